r"""Command-line fits: ``jaxcogen fit CARD.toml --free lambda2.abs,y2.arg --target DeltaY_B=8.7e-11``.

Fits the ``--free`` parameters of the card's model (:func:`jaxcogen.fit`) so that the
observables hit the ``--target`` values (default: :math:`\Delta Y_B=8.7\times10^{-11}` and
:math:`\Omega_\chi h^2=0.12`), prints progress and the best fit, and writes the fitted card
(``--out``), with the card's ``[conventions]`` and ``[solve]`` tables unchanged: the fit judges its
best point with exactly those solve options, so ``jaxcogen solve fitted.toml`` reproduces it.

Exit codes: 0 when every target is reached, 1 when not (the verdict names the closest point,
which is still written), 2 on bad input.
"""

import dataclasses
import math
import sys
from pathlib import Path
from typing import Annotated

import typer

from jaxcogen.cli import _interrupt as interrupt
from jaxcogen.cli._paths import check_output_file
from jaxcogen.model import _cards as cards

EXIT_NOT_REACHED = 1
EXIT_BAD_INPUT = 2


def parse_targets(items: list[str] | None) -> dict[str, float] | None:
    """``["DeltaY_B=8.7e-11", ...]`` → ``{"DeltaY_B": 8.7e-11}`` (``None`` for none given)."""
    if not items:
        return None
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--target {item!r}: expected NAME=VALUE, e.g. DeltaY_B=8.7e-11")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise ValueError(f"--target {item!r}: {value!r} is not a number") from None
    return out


#: Targets that can take either sign; every other observable is positive (densities, masses,
#: yields), so a negative target for it cannot be reached.
SIGNED_TARGETS: tuple[str, ...] = ("DeltaY_B", "DeltaY_L", "DeltaY_chi")


def check_target_signs(targets: dict[str, float] | None) -> None:
    """Refuse, before any compilation, a target that no point can reach: a positive observable
    given a negative or zero value, or a non-finite value."""
    for name, value in (targets or {}).items():
        if not math.isfinite(value):
            raise ValueError(f"--target {name}={value}: must be a finite number")
        if name in SIGNED_TARGETS:
            if value == 0.0:
                raise ValueError(f"--target {name}=0: must be non-zero")
        elif value <= 0.0:
            raise ValueError(
                f"--target {name}={value:g}: {name} is positive, so the target must be > 0"
            )


def parse_free(text: str) -> list[str]:
    """``"lambda2.abs,y2.arg"`` → ``["lambda2.abs", "y2.arg"]``."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise ValueError("--free: no parameter names given")
    return names


def fitted_card(card: cards.Card, model) -> cards.Card:
    """``card`` with its model fields replaced by those of ``model`` (Python numbers)."""
    fields = dict(card.model_fields)
    for name, parameter in type(model).parameters.items():
        if parameter.complex:
            z = complex(getattr(model, name))
            fields[name] = z.real if z.imag == 0.0 else z
        else:
            fields[name] = float(getattr(model, name))
    return dataclasses.replace(card, model_fields=fields)


def fit_command(
    card_path: Annotated[
        Path, typer.Argument(metavar="CARD.toml", help="Starting parameter card.")
    ],
    free: Annotated[
        str,
        typer.Option(
            "--free",
            metavar="NAMES",
            help="Comma-separated free parameters, e.g. lambda2.abs,y2.arg,m_chi.",
        ),
    ] = "lambda2.abs,y2.arg,m_chi",
    target: Annotated[
        list[str] | None,
        typer.Option(
            "--target",
            "-t",
            metavar="NAME=VALUE",
            help="Target observable (repeatable). Default: DeltaY_B=8.7e-11 and Omega_chi_h2=0.12.",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", metavar="FITTED.toml", help="Write the fitted card here."),
    ] = None,
    optimizer: Annotated[str, typer.Option(help="lbfgs or adam.")] = "lbfgs",
    n_starts: Annotated[
        int, typer.Option("--starts", "-n", help="Number of starts (vmapped).")
    ] = 4,
    seed: Annotated[int, typer.Option(help="Seed of the random starts.")] = 0,
    steps: Annotated[int | None, typer.Option(help="Optimiser steps per start.")] = None,
    m_nu_max: Annotated[
        float, typer.Option("--m-nu-max", help="Light-neutrino mass bound [eV]; 0 switches it off.")
    ] = 0.1,
    eft_error_max: Annotated[
        float,
        typer.Option(
            "--eft-error-max",
            help="Keep the EFT's estimated relative error below this (the loss integrates the EFT); 0 switches it off.",
        ),
    ] = 0.01,
    tolerance: Annotated[float, typer.Option(help="Relative tolerance on every target.")] = 0.01,
) -> None:
    """Fit free parameters of a card to target observables and write the fitted card."""
    try:
        card = cards.load_card(card_path)
        model = cards.card_to_model(card)
        cards.card_solve_settings(card)
        targets = parse_targets(target)
        check_target_signs(targets)
        names = parse_free(free)
        if out is not None:
            check_output_file(out, "--out")
    except ValueError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None

    def progress(step, best_losses, done):
        finite = best_losses[best_losses < float("inf")]
        best = f"{finite.min():.3e}" if finite.size else "nan"
        typer.echo(
            f"  step {step:5d}: best loss {best}, {int(done.sum())}/{done.size} starts converged",
            err=True,
        )

    typer.echo(
        f"fitting {', '.join(names)} of {card_path} ({n_starts} starts, {optimizer}) ...", err=True
    )
    typer.echo(
        "compiling the solver and its gradient (first run only; no progress until then)…", err=True
    )
    from jaxcogen.fitting._fit import fit

    try:
        result = fit(
            model,
            targets,
            names,
            optimizer=optimizer,
            n_starts=n_starts,
            seed=seed,
            steps=steps,
            m_nu_max=None if m_nu_max <= 0 else m_nu_max * 1e-9,
            eft_error_max=None if eft_error_max <= 0 else eft_error_max,
            tolerance=tolerance,
            solve_options=dict(card.solve_options),
            progress=progress,
        )
    except ValueError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except KeyboardInterrupt:
        interrupt.report()
        raise typer.Exit(interrupt.EXIT_INTERRUPTED) from None
    typer.echo(result.summary())
    typer.echo(f"({result.wall_time_s:.1f} s; per start: {', '.join(result.start_status)})")
    if out is not None:
        out.write_text(cards.card_to_toml(fitted_card(card, result.model)))
        typer.echo(f"wrote {out}")
    if not result.success:
        raise typer.Exit(EXIT_NOT_REACHED)


def register(app: typer.Typer) -> None:
    """Add the ``fit`` command to ``app``."""
    app.command("fit")(fit_command)


if __name__ == "__main__":  # pragma: no cover
    _app = typer.Typer()
    register(_app)
    _app(prog_name="jaxcogen fit")
    sys.exit(0)
