r"""The ``jaxcogen`` command line.

::

    jaxcogen solve [CARD.toml] [--set NAME=VALUE ...] [--point NAME] [--json] [--plot FILE.png]
    jaxcogen points [NAME]

``jaxcogen solve`` with no card runs the built-in point ``default`` (or ``--point NAME``), prints
the inputs, derived couplings, conventions and observables as an aligned table (or, with
``--json``, one JSON object on stdout), and optionally plots the evolution. Exit codes: 0 on
success, 1 if the solve failed (its status is printed), 2 on bad input (card, override or option
value) with a one-line ``error: ...`` on stderr.

:func:`main` (the console script) turns on JAX's persistent compilation cache in
``$XDG_CACHE_HOME/jaxcogen/jax`` (default ``~/.cache/jaxcogen/jax``) and keeps the compiled
solver in ``$XDG_CACHE_HOME/jaxcogen/executables`` (:mod:`jaxcogen.cli._compiled`): the first
run says ``compiling the solver (first run only)…`` on stderr, a second run with the same static
settings neither traces nor compiles. An unwritable home only disables the caches. Ctrl-C exits
with code 130 and ``interrupted`` on stderr at any moment (:mod:`jaxcogen.cli._interrupt`).
Output paths follow :mod:`jaxcogen.cli._paths`.
"""

import dataclasses
import json
import math
import os
import sys
import time
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated, Any

import equinox as eqx
import jax
import jax.numpy as jnp
import typer
from typer.core import TyperGroup

from jaxcogen import __version__
from jaxcogen._status import STATUS_INVALID_INPUT
from jaxcogen.cli import _interrupt as interrupt
from jaxcogen.cli._compiled import (
    COMPILING_MESSAGE,
    executable_cache_dir,
    prepare_compiled,
    run_compiled,
)
from jaxcogen.cli._paths import check_output_file, image_formats
from jaxcogen.model._benchmark_points import POINTS
from jaxcogen.model._cards import (
    DESCRIPTIONS,
    MODEL_FIELDS,
    OVERRIDE_EXAMPLES,
    UNITS,
    Card,
    CardError,
    apply_overrides,
    card_solve_settings,
    card_to_model,
    card_to_toml,
    default_card,
    load_card,
    polar_parts,
)
from jaxcogen.model._cogenesis import CogenesisModel
from jaxcogen.model._parameters import COMPLEX_FIELDS
from jaxcogen.production._settings import SolveSettings
from jaxcogen.production._solution import EFT_DIAGNOSTICS, OBSERVABLES, TODAY_OBSERVABLES, Solution
from jaxcogen.production._solve import (
    LATE_UNIVERSE_INPUTS,
    attach_late_universe,
    late_universe_of_production,
    solve,
    solve_unjitted,
)
from jaxcogen.production._solve import _warn_if_eft_untrustworthy as warn_if_eft_untrustworthy
from jaxcogen.production._validity import EFTValidityWarning

EXIT_SOLVE_FAILED = 1
EXIT_BAD_INPUT = 2

#: Keys of the observables in ``jaxcogen solve --json`` (those of :meth:`Solution.summary`).
OBSERVABLE_KEYS: tuple[str, ...] = (*OBSERVABLES, "T_end", "status", "num_steps", *EFT_DIAGNOSTICS)


def _row(name: str, observable) -> tuple[str, str, str]:
    return (name, "" if observable.unit == "1" else observable.unit, observable.description)


#: Rows of the report, read off the model's registry (:mod:`jaxcogen.model._registry`).
_OUTPUT_ROWS: tuple[tuple[str, str, str], ...] = (
    *(
        _row(name, o)
        for name, o in CogenesisModel.observables.items()
        if name not in TODAY_OBSERVABLES
    ),
    ("T_end", "GeV", "end of the integration"),
    ("status", "", "solver status"),
    ("num_steps", "", "solver steps"),
    *(_row(name, o) for name, o in CogenesisModel.diagnostics.items()),
)

#: Rows added when the late-universe stage ran (``jaxcogen solve`` does by default): today's.
_LATE_ROWS: tuple[tuple[str, str, str], ...] = tuple(
    _row(name, CogenesisModel.observables[name]) for name in TODAY_OBSERVABLES
)

_DERIVED_ROWS: tuple[tuple[str, str, str, str], ...] = (
    ("abs_a", "|a|", "GeV^-1", "dim-5 portal, sum_i y_i lambda_i / M_i"),
    ("abs_b", "|b|", "GeV^-2", "dim-6 portal, sum_i y_i^* lambda_i / M_i^2"),
    ("abs_w", "|w|", "GeV^-1", "Weinberg operator, sum_i y_i^2 / M_i"),
    ("abs_d", "|d|", "GeV^-1", "dark dim-5, sum_i lambda_i^2 / M_i"),
    ("J_w", "J_w", "GeV^-4", "Im(b a^* w), lepton CP violation"),
    ("J_d", "J_d", "GeV^-4", "Im(b a d^*), dark CP violation"),
    ("epsilon_L", "epsilon_L", "", "lepton CP asymmetry per dim-6 production"),
    ("epsilon_chi", "epsilon_chi", "", "dark CP asymmetry per dim-6 production"),
    ("m_nu_eV", "m_nu", "eV", "light-neutrino mass |w| v^2"),
)

Row = tuple[str, str, str, str]


# ---- persistent compilation cache ----------------------------------------------------------------


def compilation_cache_dir() -> Path | None:
    """``$XDG_CACHE_HOME/jaxcogen/jax`` (default ``~/.cache/jaxcogen/jax``), created if needed.

    ``None`` when it cannot be created or written (read-only home, no home at all).
    """
    try:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        path = base / "jaxcogen" / "jax"
        path.mkdir(parents=True, exist_ok=True)
    except (OSError, RuntimeError):
        return None
    return path if os.access(path, os.W_OK | os.X_OK) else None


def enable_compilation_cache() -> Path | None:
    """Turn on JAX's persistent compilation cache (every compilation cached); its directory or None.

    A directory the user already chose (``JAX_COMPILATION_CACHE_DIR``) is kept.
    """
    chosen = jax.config.jax_compilation_cache_dir
    if chosen:
        return Path(chosen)
    path = compilation_cache_dir()
    if path is None:
        return None
    try:
        jax.config.update("jax_compilation_cache_dir", str(path))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    except (AttributeError, KeyError, ValueError):  # options renamed in another JAX version
        return None
    return path


# ---- numbers for the report ----------------------------------------------------------------------


@eqx.filter_jit
def _derived_arrays(model: CogenesisModel) -> dict[str, jax.Array]:
    return {
        "abs_a": jnp.abs(model.a),
        "abs_b": jnp.abs(model.b),
        "abs_w": jnp.abs(model.w),
        "abs_d": jnp.abs(model.d),
        "J_w": model.J_w,
        "J_d": model.J_d,
        "epsilon_L": model.epsilon_L,
        "epsilon_chi": model.epsilon_chi,
        "m_nu_eV": model.m_nu * 1e9,
    }


def derived_quantities(model: CogenesisModel) -> dict[str, float]:
    """|a| [GeV^-1], |b| [GeV^-2], |w|, |d| [GeV^-1], J_w, J_d [GeV^-4], ε_L, ε_χ, m_ν [eV]."""
    return {name: float(value) for name, value in jax.device_get(_derived_arrays(model)).items()}


def input_values(card: Card, model: CogenesisModel) -> dict[str, Any]:
    """The model inputs: masses [GeV] and kappa as floats, couplings as ``{"abs", "arg"}``."""
    out: dict[str, Any] = {}
    for name in MODEL_FIELDS:
        value = card.model_fields[name]
        if name in COMPLEX_FIELDS:
            modulus, phase = polar_parts(complex(value))
            out[name] = {"abs": modulus, "arg": phase}
        else:
            out[name] = float(value)
    out["eft_hierarchy"] = float(model.eft_hierarchy)
    return out


def conventions_values(model: CogenesisModel) -> dict[str, Any]:
    """Every field of the model's :class:`~jaxcogen.Conventions` (defaults included)."""
    conventions = model.conventions
    return {name: getattr(conventions, name) for name in conventions.__dataclass_fields__}


def settings_values(settings: SolveSettings) -> dict[str, Any]:
    """The effective solver settings as plain Python values."""
    out: dict[str, Any] = {}
    for name in ("solver", "rtol", "atol", "T_end_ratio", "max_steps", "n_save"):
        value = getattr(settings, name)
        out[name] = value if isinstance(value, (str, int)) else float(value)
    for name in ("pcoeff", "icoeff"):
        out[name] = float(getattr(settings, name))
    out["fixed_xi"] = None if settings.fixed_xi is None else float(settings.fixed_xi)
    out["adjoint"] = settings.adjoint
    out["late_universe"] = settings.late_universe
    return out


def _json_number(value: Any) -> Any:
    """Floats as they are; NaN and infinities (failed solves) as ``null``."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def result_document(
    summary: Mapping[str, Any],
    card: Card,
    model: CogenesisModel,
    settings: SolveSettings,
    wall_time_s: float,
) -> dict[str, Any]:
    """The ``--json`` object: observables, then inputs, derived couplings, conventions, settings."""
    document: dict[str, Any] = {key: _json_number(summary[key]) for key in OBSERVABLE_KEYS}
    for key, _, _ in _LATE_ROWS:
        if key in summary:
            document[key] = _json_number(summary[key])
    document["inputs"] = input_values(card, model)
    document["derived"] = {k: _json_number(v) for k, v in derived_quantities(model).items()}
    document["conventions"] = conventions_values(model)
    document["solve_options"] = settings_values(settings)
    document["wall_time_s"] = wall_time_s
    document["jaxcogen_version"] = __version__
    return document


# ---- the plain-text report -------------------------------------------------------------------


def _number(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, Mapping) and set(value) == {"abs", "arg"}:
        return f"{value['abs']:.6g} exp({value['arg']:.6g} i)"
    return str(value)


def format_table(title: str, sections: Sequence[tuple[str, Sequence[Row]]]) -> str:
    """Sections of (name, value, unit, note) rows, columns aligned across all sections."""
    rows = [row for _, section in sections for row in section]
    widths = [max((len(row[i]) for row in rows), default=0) for i in range(3)]
    lines = [title, ""]
    for heading, section in sections:
        lines.append(heading)
        for name, value, unit, note in section:
            line = f"  {name:<{widths[0]}}  {value:<{widths[1]}}  {unit:<{widths[2]}}  {note}"
            lines.append(line.rstrip())
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def report_sections(
    summary: Mapping[str, Any],
    card: Card,
    model: CogenesisModel,
    settings: SolveSettings,
) -> list[tuple[str, list[Row]]]:
    """The rows of the solve report: inputs, derived, conventions, solver, outputs."""
    input_rows = []
    for name, value in input_values(card, model).items():
        note = DESCRIPTIONS.get(name, "")
        if isinstance(card.model_fields.get(name), complex):
            note = f"{note} (modulus, phase [rad])"
        elif name in COMPLEX_FIELDS:
            value = card.model_fields[name]  # a real coupling: shown as the number it is
        input_rows.append((name, _number(value), UNITS.get(name, ""), note))
    derived = derived_quantities(model)
    derived_rows = [
        (label, _number(derived[key]), unit, note) for key, label, unit, note in _DERIVED_ROWS
    ]
    convention_rows = [(k, _number(v), "", "") for k, v in conventions_values(model).items()]
    solver = settings_values(settings)
    solver_rows = [
        (k, _number(solver[k]), "", "")
        for k in ("solver", "rtol", "atol", "T_end_ratio", "max_steps", "late_universe")
    ]
    if solver["fixed_xi"] is not None:
        solver_rows.append(("fixed_xi", _number(solver["fixed_xi"]), "", "xi held fixed"))
    output_rows = [(key, _number(summary[key]), unit, note) for key, unit, note in _OUTPUT_ROWS]
    output_rows += [
        (key, _number(summary[key]), unit, note) for key, unit, note in _LATE_ROWS if key in summary
    ]
    return [
        ("Inputs", input_rows),
        ("Derived", derived_rows),
        ("Conventions", convention_rows),
        ("Solver", solver_rows),
        ("Outputs", output_rows),
    ]


# ---- command-line plumbing -------------------------------------------------------------------


def _click_exception_type() -> type[Exception]:
    """click's ``ClickException`` as typer raises it (recent typer vendors its own copy of click)."""
    for cls in typer.BadParameter.__mro__:
        if cls.__name__ == "ClickException":
            return cls
    return typer.BadParameter.__mro__[1]  # pragma: no cover - UsageError


_ClickException = _click_exception_type()


class _OneLineErrorGroup(TyperGroup):
    """A Typer group whose usage errors are one ``error: ...`` line on stderr (exit code 2)."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except _ClickException as err:
            if type(err).__name__ == "NoArgsIsHelpError":  # the help text, not an error line
                err.show()
                sys.exit(err.exit_code)
            context = getattr(err, "ctx", None)
            hint = f" (see '{context.command_path} --help')" if context is not None else ""
            message = " ".join(err.format_message().split())
            typer.echo(f"error: {message}{hint}", err=True)
            sys.exit(err.exit_code)
        except typer.Abort:
            typer.echo("error: aborted", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=_OneLineErrorGroup,
    name="jaxcogen",
    help="jaxcogen: freeze-in cogenesis of asymmetric dark matter (JAX + diffrax Boltzmann solver).",
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"jaxcogen {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def _root(
    context: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version_callback, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """jaxcogen: freeze-in cogenesis of asymmetric dark matter (JAX + diffrax Boltzmann solver)."""
    if context.invoked_subcommand is None:
        typer.echo(context.get_help())
        raise typer.Exit()


def _bad_input(err: BaseException) -> typer.Exit:
    """Print ``error: <one line>`` on stderr; the exit to raise (code 2)."""
    message = " ".join(str(err).split()) or type(err).__name__
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_BAD_INPUT)


def select_card(card_path: Path | None, point: str | None) -> Card:
    """The card file if given, else the built-in point (``default`` unless ``--point``)."""
    if card_path is not None and point is not None:
        raise CardError("give a CARD file or --point, not both (use --set to change a card)")
    if card_path is not None:
        return load_card(card_path)
    return default_card(point or "default")


def check_plot_path(path: Path) -> None:
    """Fail before the solve if the plot cannot be written (:mod:`jaxcogen.cli._paths`)."""
    try:
        check_output_file(path, "--plot", image_formats())
    except ValueError as err:
        raise CardError(str(err)) from None


def _announce(message: str) -> None:
    """Say on stderr that compilation starts (once per run: a solve may compile several programs)."""
    if message == COMPILING_MESSAGE:
        if message in _compiled_here:
            return
        _compiled_here.add(message)
    typer.echo(message, err=True)


#: Where :func:`main` (the console script) keeps compiled solvers (:mod:`jaxcogen.cli._compiled`);
#: None in process (tests, ``app`` called from Python): the library's in-memory jit cache then.
_executable_cache: Path | None = None
_compiled_here: set[tuple[str, str] | str] = set()


def _run_passes(
    name: str, body, model, settings, pool: ThreadPoolExecutor | None = None
) -> Solution:
    """``body(model, settings)`` from a stored executable, with ``solver="auto"`` decided here.

    ``solver="auto"`` compiled as one program holds both integrators (Tsit5 and Kvaerno5) behind a
    ``lax.cond``, which doubles what a first run traces and compiles. For one point the choice can
    be made on the host instead, with the same rule as the compiled one (the model's
    ``solver_passes``/``needs_implicit`` capabilities: the explicit pass where the model is not
    stiff, the implicit pass where it is or where the explicit pass failed), so each run compiles
    and stores only the integrator it uses — the same answer, half the compilation. The same
    holds for ``regime="auto"`` (both production systems behind a ``lax.cond``): the model's
    ``regime_passes``/``regime_index`` pick the system here first, with the rule of ``solve``.
    With a thread ``pool`` (the full chain, :func:`_run_full_chain`) the stiffness check and the
    explicit pass (the likely one, traced here meanwhile) compile on it side by side, beside the
    late stage: ~0.4 s less on a first run; a stiff point then compiles the explicit pass in vain
    (it is not stored). Without one, only the pass that runs is compiled.
    """
    regimes = model.regime_passes(settings)
    if regimes is not None:
        index = run_compiled(
            "regime_index", type(model).regime_index, (model, settings), cache_dir=_executable_cache
        )
        settings = regimes[int(index)]
    passes = model.solver_passes(settings)
    if passes is None:
        return run_compiled(
            name, body, (model, settings), announce=_announce, cache_dir=_executable_cache
        )
    explicit, implicit = passes
    get_explicit = None
    if pool is None:
        stiff = bool(
            run_compiled(
                "needs_implicit", type(model).needs_implicit, (model,), cache_dir=_executable_cache
            )
        )
    else:
        get_stiff = prepare_compiled(
            "needs_implicit", type(model).needs_implicit, (model,), cache_dir=_executable_cache,
            executor=pool,
        )  # fmt: skip
        get_explicit = prepare_compiled(
            name, body, (model, explicit), announce=_announce, cache_dir=_executable_cache,
            executor=pool,
        )  # fmt: skip
        stiff = bool(get_stiff()(model))
    if stiff:
        return run_compiled(
            name, body, (model, implicit), announce=_announce, cache_dir=_executable_cache
        )
    if get_explicit is None:
        get_explicit = prepare_compiled(
            name, body, (model, explicit), announce=_announce, cache_dir=_executable_cache
        )
    solution = get_explicit()(model, explicit)
    if int(solution.status) not in (0, int(STATUS_INVALID_INPUT)):
        solution = run_compiled(
            name, body, (model, implicit), announce=_announce, cache_dir=_executable_cache
        )
    return solution


def _late_stage(model: CogenesisModel, inputs: dict[str, jax.Array], adjoint: str):
    """The late-universe stage on the production numbers ``inputs`` (a program of its own)."""
    return late_universe_of_production(inputs, model, adjoint=adjoint)


def _run_full_chain(name: str, body, model, settings: SolveSettings) -> Solution:
    """:func:`_run_passes` for the production stage, and the late-universe stage as a second
    program, compiled beside the first.

    One program for the full chain is traced and compiled in one piece, on one core. The late
    stage (~half the compilation) needs only five numbers of the production stage, whose shapes
    are known before it runs, so it is traced first and compiled on a second thread while the
    production stage's passes are decided, traced and compiled here (XLA releases the
    interpreter while it compiles); the stages are then joined as the library's solve joins
    them (:func:`jaxcogen.production._solve.attach_late_universe`). Each program is stored.
    """
    if not settings.late_universe:
        return _run_passes(name, body, model, settings)
    production = dataclasses.replace(settings, late_universe=False)
    scalar = jax.ShapeDtypeStruct((), jnp.float64)
    pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix="jaxcogen-compile")
    try:
        get_late = prepare_compiled(
            "late_universe",
            _late_stage,
            (model, dict.fromkeys(LATE_UNIVERSE_INPUTS, scalar), settings.adjoint),
            announce=_announce,
            cache_dir=_executable_cache,
            executor=pool,
        )
        solution = _run_passes(name, body, model, production, pool)
        inputs = {key: getattr(solution, key) for key in LATE_UNIVERSE_INPUTS}
        late = get_late()(model, inputs, settings.adjoint)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return attach_late_universe(solution, late)


def _solve_point(
    model: CogenesisModel, settings: SolveSettings, options: Mapping[str, Any], dynamical: bool
) -> Solution:
    """The solve of ``jaxcogen solve``: a stored executable when there is one
    (:mod:`jaxcogen.cli._compiled`), else compiled now, announced on stderr."""
    if dynamical:
        from jaxcogen.production.dynamical._solve import solve_dynamical_unjitted

        def body(model, settings):
            return solve_dynamical_unjitted(model, settings).solution

        name = "solve_dynamical"
    else:
        body, name = solve_unjitted, "solve"
    if _executable_cache is not None:
        solution = _run_full_chain(name, body, model, settings)
        warn_if_eft_untrustworthy(solution, settings)
        return solution
    # in process: announce the first compilation of these static settings in this process
    static = (name, str(jax.tree.structure(eqx.filter((model, settings), eqx.is_array))))
    if static not in _compiled_here:
        _announce("compiling the solver…")
        _compiled_here.add(static)
    if dynamical:
        from jaxcogen.production.dynamical import solve_dynamical

        return solve_dynamical(model, **options)
    return solve(model, **options)


def _source(card_path: Path | None, point: str | None, overrides: Sequence[str]) -> str:
    source = (
        f"card {card_path}" if card_path is not None else f"built-in point {point or 'default'!r}"
    )
    if overrides:
        source += " with " + ", ".join(overrides)
    return source


@app.command("solve")
def solve_command(
    card_path: Annotated[
        Path | None,
        typer.Argument(
            metavar="CARD.toml",
            help="Parameter card (TOML: [model], optional [conventions], [solve]). "
            "Default: the built-in point.",
            show_default=False,
        ),
    ] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            "-s",
            metavar="NAME=VALUE",
            help=f"Override a card entry (repeatable), e.g. {OVERRIDE_EXAMPLES}.",
            show_default=False,
        ),
    ] = None,
    point: Annotated[
        str | None,
        typer.Option(
            "--point",
            "-p",
            metavar="NAME",
            help=f"Built-in point to run instead of a card ({', '.join(POINTS)}).",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of the table.")
    ] = False,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot",
            metavar="FILE.png",
            help="Plot xi and the yields against x = M1/T into this file.",
            show_default=False,
        ),
    ] = None,
    production_only: Annotated[
        bool,
        typer.Option(
            "--production-only",
            help="Stop after UV production (skip the late-universe stage: dark freeze-out, "
            "phi decays, Delta N_eff), unless the card's [solve] late_universe says otherwise.",
        ),
    ] = False,
    dynamical: Annotated[
        bool,
        typer.Option(
            "--dynamical",
            help="Treat N1, N2 as dynamical species (decays, inverse decays, RIS-subtracted "
            "scatterings; valid for any M_i/T_RH, docs/dynamical.md) instead of the EFT. Below "
            "M_i = 5 T_RH also set eft_hierarchy, e.g. --set eft_hierarchy=0.1.",
        ),
    ] = False,
) -> None:
    """Solve one parameter point and print its inputs, derived couplings and observables."""
    overrides = list(overrides or [])
    try:
        card = apply_overrides(select_card(card_path, point), overrides)
        if "late_universe" not in card.solve_options:
            card = dataclasses.replace(
                card, solve_options={**card.solve_options, "late_universe": not production_only}
            )
        model = card_to_model(card)
        settings = card_solve_settings(card)
        if plot is not None:
            check_plot_path(plot)
    except CardError as err:
        raise _bad_input(err) from None

    start = time.perf_counter()
    interrupt.set_message("interrupted")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", EFTValidityWarning)
            solution = _solve_point(model, settings, card.solve_options, dynamical)
        summary = solution.summary()
    except KeyboardInterrupt:
        interrupt.report()
        raise typer.Exit(interrupt.EXIT_INTERRUPTED) from None
    wall_time_s = time.perf_counter() - start

    if plot is not None:
        from jaxcogen._plotting import plot_evolution

        try:
            plot_evolution(solution, path=plot)
        except (OSError, ValueError) as err:
            raise _bad_input(f"--plot {plot}: {err}") from None

    if as_json:
        document = result_document(summary, card, model, settings, wall_time_s)
        typer.echo(json.dumps(document, indent=2, allow_nan=False))
    else:
        title = f"jaxcogen {__version__}: {_source(card_path, point, overrides)}"
        sections = report_sections(summary, card, model, settings)
        footer = [("wall time", f"{wall_time_s:.3g} s", "", "solve, including compilation")]
        # regime="auto" (the default) may have taken N as species without --dynamical
        as_species = dynamical or summary.get("regime_used") == "dynamical"
        mode = "dynamical N1, N2" if as_species else "EFT (N integrated out)"
        footer.append(("heavy_neutrinos", mode, "", ""))
        if plot is not None:
            footer.append(("plot", str(plot), "", ""))
        typer.echo(format_table(title, [*sections, ("Run", footer)]), nl=False)
    for warning in caught:
        if issubclass(warning.category, EFTValidityWarning):
            typer.echo(f"warning: {warning.message}", err=True)
        else:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    if not solution.succeeded:
        typer.echo(f"error: the solve failed with status {summary['status']!r}", err=True)
        raise typer.Exit(EXIT_SOLVE_FAILED)


@app.command("points")
def points_command(
    name: Annotated[
        str | None,
        typer.Argument(
            metavar="NAME",
            help="Print this point as a parameter card (TOML).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """List the built-in parameter points, or print one as a card: jaxcogen points default > card.toml."""
    if name is not None:
        try:
            card = default_card(name)
        except CardError as err:
            raise _bad_input(err) from None
        typer.echo(card_to_toml(card), nl=False)
        return
    header = ("name", *(f"{f} [{UNITS[f]}]" if f in UNITS else f for f in MODEL_FIELDS))
    rows = [header]
    for point_name in POINTS:
        card = default_card(point_name)
        values = []
        for field in MODEL_FIELDS:
            value = card.model_fields[field]
            if isinstance(value, complex):
                modulus, phase = polar_parts(value)
                value = {"abs": modulus, "arg": phase}
            values.append(_number(value))
        rows.append((point_name, *values))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        typer.echo("  ".join(f"{cell:<{w}}" for cell, w in zip(row, widths, strict=True)).rstrip())
    typer.echo(
        "\n'jaxcogen points NAME' prints a point as a card; 'jaxcogen solve -p NAME' runs it."
    )


def _register_scan_commands(application: typer.Typer) -> None:
    """Add ``jaxcogen scan`` and ``jaxcogen plot`` (:mod:`jaxcogen.cli._scan`) where present."""
    try:
        from jaxcogen.cli import _scan as scan_cli
    except ModuleNotFoundError as err:
        if err.name != f"{__package__}._scan":
            raise
        return
    scan_cli.register(application)


_register_scan_commands(app)
__import__(f"{__package__}._fit", fromlist=["register"]).register(app)  # jaxcogen fit
__import__(f"{__package__}._bound", fromlist=["register"]).register(app)  # jaxcogen bound


def main() -> None:
    """Console-script entry point ``jaxcogen``: persistent compilation cache on, then the app.

    Ctrl-C exits with code 130 and one line on stderr at any moment (:mod:`jaxcogen.cli._interrupt`);
    that exit skips the interpreter's teardown, which could crash around a live compilation.
    """
    global _executable_cache
    if sys.argv[1:2] == ["solve"]:
        quick_compilation()
    enable_compilation_cache()
    _executable_cache = executable_cache_dir()
    interrupt.run_guarded(lambda: app(prog_name="jaxcogen"))


#: XLA's CPU back-end optimisation level for ``jaxcogen solve`` (:func:`quick_compilation`).
SOLVE_XLA_FLAG = "--xla_backend_optimization_level=0"


def quick_compilation() -> None:
    """Compile ``jaxcogen solve``'s programs with XLA's back-end optimisation off.

    A single point runs its compiled programs once or twice (milliseconds) after compiling them
    for seconds, so LLVM's optimisation of the kernels costs far more than it saves: measured on
    the 2-core CPU, a first ``jaxcogen solve`` takes 8.4 s with it off against 9.6–10.8 s with
    it on, and prints the same numbers to ~3e-16 (benchmarks/RESULTS.md §10). Set through
    ``XLA_FLAGS`` before the first compilation, so every compilation of the process sees the same
    options (XLA turns them into process-wide LLVM options, which must not change between
    compilations); a choice of the user's own in ``XLA_FLAGS`` is kept. Only ``solve``: a scan
    or a fit runs its programs for minutes.
    """
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_backend_optimization_level" not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} {SOLVE_XLA_FLAG}".strip()


if __name__ == "__main__":
    main()
