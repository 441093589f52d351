r"""Command-line bounds: ``jaxcogen bound M1 --min CARD.toml --free M1,T_RH,lambda2.abs,y2.arg,m_chi``.

Finds the smallest (``--min``) or largest (``--max``) value of a quantity — a parameter such as
``M1``, ``m_chi``, ``T_RH``, or an observable — over the viable region: every point of the
``--free`` parameters, within their physical ranges and the ``--limit`` intervals, whose
observables satisfy each ``--constraint`` :math:`|O/t-1|\le r` (default: the model's targets,
:math:`\Delta Y_B=8.7\times10^{-11}` and :math:`\Omega_\chi h^2=0.12` within 5 %). It runs
:func:`jaxcogen.bound` (augmented Lagrangian from vmapped multi-starts, then a fresh solve of the
bound point and a dense look around it), prints the verdict, the point that attains the bound and
what limits it, and writes the result as JSON (``--out``). The other parameters keep the card's
values; the card's ``[conventions]`` are used for every solve. Without a ``[solve]`` table, the
optimisation solves the production stage in the EFT as fits do (today's relic through the
asymmetric-relic proxy, exactly when κ or m_φ is free; the EFT kept within its 1 % trust region)
and the judgement of the bound point solves the full chain in the ``auto`` regime; a ``[solve]``
table sets the options of every solve. One-sided ``--upper-limit`` s (default: the light-neutrino
mass, m_χ < m_φ, the EFT's trust, ΔN_eff) join the constraints.

Exit codes: 0 when a bound was found, 1 when no start reached the viable region, 2 on bad input.
"""

import json
import math
import sys
from pathlib import Path
from typing import Annotated

import typer

from jaxcogen.cli import _interrupt as interrupt
from jaxcogen.cli._fit import check_target_signs, parse_free
from jaxcogen.cli._paths import check_output_file
from jaxcogen.model import _cards as cards
from jaxcogen.model._registry import BOUND_UPPER_LIMITS

EXIT_NOT_FOUND = 1
EXIT_BAD_INPUT = 2

#: The relative tolerance of a constraint given as ``NAME=VALUE`` without ``:TOL``.
DEFAULT_CONSTRAINT_TOLERANCE = 0.05


def parse_constraints(items: list[str] | None, defaults: dict[str, float]):
    """``["DeltaY_B=8.7e-11:0.05", "Omega_chi_h2=0.12"]`` → ``{name: (target, rel_tol)}``.

    No items: the model's ``defaults`` (its fit targets) at
    :data:`DEFAULT_CONSTRAINT_TOLERANCE`. ``none`` alone: no constraint."""
    if not items:
        return {name: (value, DEFAULT_CONSTRAINT_TOLERANCE) for name, value in defaults.items()}
    if items == ["none"]:
        return {}
    out = {}
    for item in items:
        name, sep, rest = item.partition("=")
        if not sep:
            raise ValueError(
                f"--constraint {item!r}: expected NAME=VALUE[:REL_TOL], e.g. DeltaY_B=8.7e-11:0.05"
            )
        value, _, tolerance = rest.partition(":")
        try:
            target = float(value)
            rel_tol = float(tolerance) if tolerance else DEFAULT_CONSTRAINT_TOLERANCE
        except ValueError:
            raise ValueError(f"--constraint {item!r}: {rest!r} is not VALUE[:REL_TOL]") from None
        if not (0.0 < rel_tol < 1.0):
            raise ValueError(f"--constraint {item!r}: REL_TOL={rel_tol:g}, allowed range (0, 1)")
        out[name.strip()] = (target, rel_tol)
    check_target_signs({name: target for name, (target, _) in out.items()})
    return out


def parse_limits(items: list[str] | None) -> dict[str, tuple[float, float]] | None:
    """``["M1=1e9:1e13"]`` → ``{"M1": (1e9, 1e13)}`` (physical units; ``None`` for none given)."""
    if not items:
        return None
    out = {}
    for item in items:
        name, sep, rest = item.partition("=")
        low, colon, high = rest.partition(":")
        try:
            if not (sep and colon):
                raise ValueError
            interval = (float(low), float(high))
        except ValueError:
            raise ValueError(
                f"--limit {item!r}: expected NAME=LOW:HIGH, e.g. M1=1e9:1e13"
            ) from None
        if not (interval[0] < interval[1]):
            raise ValueError(f"--limit {item!r}: LOW must be below HIGH")
        out[name.strip()] = interval
    return out


def parse_upper_limits(items: list[str] | None) -> dict[str, float | None] | None:
    """``["m_nu=5e-11", "m_chi_over_m_phi=none"]`` → ``{"m_nu": 5e-11, "m_chi_over_m_phi":
    None}`` (``none`` lifts a default limit; ``None`` for none given)."""
    if not items:
        return None
    out: dict[str, float | None] = {}
    for item in items:
        name, sep, rest = item.partition("=")
        if not sep:
            raise ValueError(f"--upper-limit {item!r}: expected NAME=MAX or NAME=none")
        if rest.strip().lower() == "none":
            out[name.strip()] = None
            continue
        try:
            value = float(rest)
        except ValueError:
            raise ValueError(f"--upper-limit {item!r}: {rest!r} is not a number or none") from None
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"--upper-limit {item!r}: MAX must be finite and > 0")
        out[name.strip()] = value
    return out


def check_quantity(model_type, quantity: str) -> None:
    """``quantity`` must be a parameter (or a part of a complex one) or an observable."""
    if quantity in model_type.observables:
        return
    try:
        model_type.check_parameter_name(quantity)
    except ValueError:
        raise ValueError(
            f"QUANTITY {quantity!r}: not a parameter or observable of {model_type.name}; "
            f"parameters: {', '.join(model_type.parameter_names())}; "
            f"observables: {', '.join(model_type.observables)}"
        ) from None


def bound_command(
    quantity: Annotated[
        str,
        typer.Argument(
            metavar="QUANTITY", help="Parameter or observable to bound, e.g. M1, m_chi."
        ),
    ],
    card_path: Annotated[
        Path | None,
        typer.Argument(metavar="[CARD.toml]", help="Base point (default: the built-in point)."),
    ] = None,
    minimum: Annotated[
        bool, typer.Option("--min/--max", help="Smallest (default) or largest value.")
    ] = True,
    free: Annotated[
        str | None,
        typer.Option(
            "--free",
            metavar="NAMES",
            help="Comma-separated free parameters (default: the model's fit parameters, plus QUANTITY if it is a parameter).",
        ),
    ] = None,
    constraint: Annotated[
        list[str] | None,
        typer.Option(
            "--constraint",
            "-c",
            metavar="NAME=VALUE[:REL_TOL]",
            help=(
                "Constraint |O/VALUE - 1| <= REL_TOL (repeatable; REL_TOL default 0.05). Default: "
                "DeltaY_B=8.7e-11 and Omega_chi_h2=0.12; 'none' for no constraint."
            ),
            show_default=False,
        ),
    ] = None,
    limit: Annotated[
        list[str] | None,
        typer.Option(
            "--limit",
            "-l",
            metavar="NAME=LOW:HIGH",
            help="Interval of a free parameter in its units (repeatable).",
            show_default=False,
        ),
    ] = None,
    upper_limit: Annotated[
        list[str] | None,
        typer.Option(
            "--upper-limit",
            "-u",
            metavar="NAME=MAX|none",
            help=(
                "One-sided limit NAME <= MAX on an observable or derived quantity (repeatable; "
                "'none' lifts a default). Defaults: "
                + ", ".join(f"{k}={v:.3g}" for k, v in BOUND_UPPER_LIMITS.items())
                + " (m_nu in GeV; eft_error while the optimisation integrates the EFT)."
            ),
            show_default=False,
        ),
    ] = None,
    n_starts: Annotated[
        int, typer.Option("--starts", "-n", help="Number of starts (vmapped).")
    ] = 8,
    seed: Annotated[int, typer.Option(help="Seed of the random starts.")] = 0,
    outer_iterations: Annotated[
        int, typer.Option("--outer", help="Augmented-Lagrangian iterations.")
    ] = 20,
    inner_steps: Annotated[
        int, typer.Option("--inner", help="Optimiser steps per iteration.")
    ] = 30,
    polish: Annotated[
        int,
        typer.Option(
            "--polish",
            metavar="STEPS",
            min=0,
            help=(
                "Most polishing steps after the optimisation: while a look around the bound "
                "finds feasible points beyond it, move there and look again (0: none)."
            ),
        ),
    ] = 20,
    pattern_moves: Annotated[
        bool,
        typer.Option(
            "--pattern-moves/--no-pattern-moves",
            help="After each polishing step, also try points further along it (Hooke-Jeeves).",
        ),
    ] = True,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", metavar="BOUND.json", help="Write the result as JSON here."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Bound a parameter or observable over the viable region of a card's model."""
    try:
        card = cards.load_card(card_path) if card_path is not None else cards.default_card()
        model = cards.card_to_model(card)
        cards.card_solve_settings(card)
        check_quantity(type(model), quantity)
        constraints = parse_constraints(constraint, dict(type(model).default_targets))
        limits = parse_limits(limit)
        upper_limits = parse_upper_limits(upper_limit)
        from jaxcogen.bounds._bounds import check_upper_limits

        check_upper_limits(model, upper_limits)
        if free is not None:
            names = parse_free(free)
        else:
            names = list(type(model).default_free)
            if quantity not in type(model).observables and quantity not in names:
                names.append(quantity)
        if out is not None:
            check_output_file(out, "--out")
    except ValueError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None

    sense = "min" if minimum else "max"
    source = card_path if card_path is not None else "the built-in point"
    typer.echo(
        f"bounding {sense} {quantity} over {', '.join(names)} of {source} "
        f"({n_starts} starts, {outer_iterations} x {inner_steps} steps) ...",
        err=True,
    )
    typer.echo("compiling the solver and its gradient (no progress until then)…", err=True)
    from jaxcogen.bounds._bounds import bound

    try:
        result = bound(
            model,
            quantity,
            sense,
            constraints,
            names,
            limits,
            n_starts=n_starts,
            seed=seed,
            outer_iterations=outer_iterations,
            inner_steps=inner_steps,
            solve_options=dict(card.solve_options) or None,
            upper_limits=upper_limits,
            polish_iterations=polish,
            pattern_moves=pattern_moves,
            progress=lambda line: typer.echo(line, err=True),
        )
    except ValueError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except KeyboardInterrupt:
        interrupt.report()
        raise typer.Exit(interrupt.EXIT_INTERRUPTED) from None
    document = result.to_dict()
    if as_json:
        typer.echo(json.dumps(document, indent=2))
    else:
        typer.echo(result.verdict)
        for name, value in result.parameters.items():
            typer.echo(f"  {name:>16s} = {value:.6g}")
        for name in constraints:
            typer.echo(f"  {name:>16s} = {result.observables.get(name, float('nan')):.6g}")
        typer.echo(f"({result.wall_time_s:.1f} s)")
    if out is not None:
        out.write_text(json.dumps(document, indent=2) + "\n")
        typer.echo(f"wrote {out}", err=True)
    if not result.found:
        raise typer.Exit(EXIT_NOT_FOUND)


def register(app: typer.Typer) -> None:
    """Add the ``bound`` command to ``app``."""
    app.command("bound")(bound_command)


if __name__ == "__main__":  # pragma: no cover
    _app = typer.Typer()
    register(_app)
    _app(prog_name="jaxcogen bound")
    sys.exit(0)
