r"""Solve one parameter point: a stiff diffrax integration from :math:`T_{\rm RH}` to the end of production.

Where to stop: production is UV dominated. For a reaction density :math:`\gamma\propto T^n` the
yield still to come below :math:`T` is the fraction :math:`(T/T_{\rm RH})^{n-5}` of the total
(notes §7 item 2), so the slowest channel (dim-5, :math:`n=6`) leaves the fraction
:math:`T_{\rm end}/T_{\rm RH}`. The default ``T_end_ratio = 1e-8`` keeps that below
:math:`10^{-8}`, under the default tolerance (a test checks that integrating further changes
nothing). Production never runs below sphaleron freeze-out :math:`T_*=131.7` GeV
(:math:`T_{\rm end}=\max(T_{\rm RH}\times` ``T_end_ratio``:math:`,T_*)`): below the electroweak
crossover the Higgs has a vacuum expectation value and the massless-SM rates no longer hold; the
tail left out is at most the fraction :math:`T_*/T_{\rm RH}\le0.13` of the dimension-5 yield
(at the lowest allowed :math:`T_{\rm RH}=1` TeV) and :math:`<10^{-6}` for
:math:`T_{\rm RH}>1.3\times10^8` GeV. The lepton asymmetry is converted into baryons at
:math:`T_*`, read off the same solve (or at :math:`T_{\rm end}` if that is hotter).
"""

import contextlib
import dataclasses
import warnings
from collections.abc import Mapping
from types import SimpleNamespace

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float, Int

from jaxcogen import constants
from jaxcogen._status import STATUS_INVALID_INPUT, status_code
from jaxcogen.late_universe._dark_freezeout import LateUniverse, late_universe
from jaxcogen.model._cogenesis import CogenesisModel
from jaxcogen.production._boltzmann import BoltzmannSystem, relaxation_rates
from jaxcogen.production._settings import (
    AUTO_STIFFNESS_THRESHOLD,
    REGIME_EFT,
    SolveSettings,
    _make_adjoint,
    _make_solver,
    check_settings_names,
)
from jaxcogen.production._solution import Solution, production_solution
from jaxcogen.production._validity import (
    S_OVER_M2_LIMIT,
    EFTValidityWarning,
    eft_error_estimate,
    eft_trusted,
    eft_validity,
)


def stiffness_ratio(model: CogenesisModel) -> Float[ArrayLike, ""]:
    r"""Largest relaxation rate per e-fold at :math:`T_{\rm RH}` (:func:`relaxation_rates`).

    An explicit method of stability interval :math:`|h\lambda|\lesssim3.5` needs steps of
    :math:`\Delta\tau\lesssim3.5/\text{ratio}`, so a ratio of order 1–10 costs it nothing,
    while a ratio of :math:`10^3` forces hundreds of steps where an L-stable implicit method
    takes a few.
    """
    return jnp.max(relaxation_rates(model))


def solve(model: CogenesisModel, *, late_universe: bool = True, **settings) -> Solution:
    r"""The full chain for one parameter point: production from :math:`T_{\rm RH}`, then the late
    universe to today (``late_universe=True``, the default) — one call gives today's observables.

    Jittable, vmappable and differentiable in every model field (the static settings are
    compile-time constants: a new parameter point never recompiles, a new solver does).

    Keyword args (all optional; validated by :meth:`SolveSettings.create`):
        rtol: relative tolerance of the step-size controller (default 1e-8).
        atol: absolute tolerance, in units of each component's characteristic size
            (:func:`jaxcogen.production._boltzmann.freeze_in_scales`), so effectively relative too (1e-12).
        T_end_ratio: stop at :math:`T_{\rm end}=T_{\rm RH}\times` this (1e-8; module docstring).
        solver: ``"auto"`` (default): the explicit ``"Tsit5"`` where the system is not stiff
            (:func:`stiffness_ratio` below :data:`AUTO_STIFFNESS_THRESHOLD`), the L-stable
            ESDIRK ``"Kvaerno5"`` otherwise or when Tsit5 fails, chosen per point at run time
            (``lax.cond``: on one point only the chosen branch runs; under ``vmap`` both do).
            Or one of them explicitly, or ``"Kvaerno3"``. The work–precision and solver-choice
            benchmarks motivate this: at the built-in point Tsit5 is ~13x faster than Kvaerno5
            and more accurate.
        adjoint: ``"recursive"`` (reverse mode, default), ``"forward"`` (for ``jax.jacfwd``) or
            ``"direct"`` (higher derivatives).
        max_steps: step budget (4096); a solve that exhausts it reports ``max_steps_reached``.
        n_save: points of the evolution grid (200).
        fixed_xi: hold :math:`\xi` fixed at this value instead of evolving it (None).
        pcoeff, icoeff: PI step-size controller coefficients (0.3, 0.4; ``0, 1`` is the classic
            I controller).
        late_universe: also run the late-universe stage (:mod:`jaxcogen.late_universe._dark_freezeout`: dark
            freeze-out, φ decays, :math:`\Delta N_{\rm eff}`) and fill ``Omega_chi_h2`` (today),
            ``asymmetric_fraction``, ``Delta_N_eff``, ``late_universe`` (default True here; with
            False those stay ``None`` and everything else is bit-identical). True by default
            everywhere (:class:`SolveSettings`, scans, cards); production-only is the opt-out
            ``late_universe=False``. Fits reach today's relic through the asymmetric one unless
            κ or m_φ is free (:func:`jaxcogen.fit`). Cost: ~1.1x the production solve at the
            built-in point (the stage's closed-form relaxation covers most of it there),
            benchmarks/RESULTS.md.
        regime: which production system to integrate. ``"eft"``: heavy neutrinos
            integrated out (:class:`~jaxcogen.production._boltzmann.BoltzmannSystem`); forced, it
            warns (:class:`EFTValidityWarning`) where the criterion below does not trust it.
            ``"dynamical"``: :math:`N_{1,2}` as species
            (:func:`~jaxcogen.production.dynamical.solve_dynamical`, valid at any
            :math:`M_1/T_{\rm RH}`, ~30x slower). ``"auto"`` (default): per point, the EFT where the
            per-observable criterion (:func:`~jaxcogen.production._validity.eft_trusted`) says
            its error is below ``eft_tolerance`` for every one of ``eft_observables``, the
            dynamical system elsewhere — a ``lax.cond``, so under ``jit`` only the chosen branch
            runs, while under ``vmap`` both do (cost of the dynamical system for every point).
            ``Solution.regime_used`` records the choice.
        eft_tolerance: relative error allowed to the EFT by ``regime="auto"`` (1e-2).
        eft_observables: the observables ``regime="auto"`` requires the EFT to get right, a
            tuple or a comma-separated string of ``DeltaY_B``, ``DeltaY_chi``, ``SigmaY_chi``,
            ``xi_final`` (default all four).
    """
    check_settings_names(settings)
    settings = SolveSettings.create(late_universe=late_universe, **settings)
    solution = _solve_jit(model, _resolve_regime(model, settings))
    _warn_if_eft_untrustworthy(solution, settings)
    return solution


def _use_eft(model: CogenesisModel, settings: SolveSettings):
    """``regime="auto"``'s choice: the per-observable criterion for ``settings.eft_observables``."""
    return eft_trusted(
        eft_error_estimate(model),
        eft_validity(model).s_over_M1_squared,
        tuple(settings.eft_observables.split(",")),
        settings.eft_tolerance,
    )


_use_eft_jit = eqx.filter_jit(_use_eft)


def _resolve_regime(model: CogenesisModel, settings: SolveSettings) -> SolveSettings:
    """``regime="auto"`` for one concrete, un-batched point: the criterion evaluated before the
    solve is compiled, so that only the chosen system is compiled (inside ``jit`` the ``lax.cond``
    compiles both, and the dynamical one is the slow compilation). The same choice and the same
    branch as the traced ``"auto"``; traced or batched models keep ``"auto"``."""
    if settings.regime != "auto":
        return settings
    leaves = jax.tree.leaves(eqx.filter(model, eqx.is_array))
    if any(isinstance(x, jax.core.Tracer) or jnp.ndim(x) != 0 for x in leaves):
        return settings
    if isinstance(settings.eft_tolerance, jax.core.Tracer):
        return settings
    regime = "eft" if bool(_use_eft_jit(model, settings)) else "dynamical"
    return dataclasses.replace(settings, regime=regime)


def _warn_if_eft_untrustworthy(solution: "Solution", settings: SolveSettings | None = None) -> None:
    """An :class:`EFTValidityWarning` for a concrete, un-batched solution integrated with the EFT
    where the per-observable criterion (:func:`~jaxcogen.production._validity.eft_trusted`) does
    not trust it: some requested observable (``settings.eft_observables``) has an estimated EFT
    error above ``settings.eft_tolerance``, or the EFT expansion does not converge.

    Only a forced ``regime="eft"`` can get there (``"auto"`` integrates the EFT only where the
    criterion trusts it, ``"dynamical"`` never); ``settings=None`` means the defaults."""
    if settings is None:
        settings = SolveSettings.create()
    ratio = solution.eft_s_over_M1_squared
    tolerance = settings.eft_tolerance
    estimate = solution.eft_error_estimate
    # traced anywhere (e.g. under jax.grad, where some outputs stay concrete) or batched: no warning
    judged = jax.tree.leaves((ratio, tolerance, solution.regime_used, estimate))
    if any(isinstance(x, jax.core.Tracer) or jnp.ndim(x) != 0 for x in judged):
        return
    if int(solution.regime_used) != REGIME_EFT:  # heavy neutrinos were species: nothing to warn
        return
    tolerance = float(tolerance)
    observables = tuple(settings.eft_observables.split(","))
    errors = {name: float(getattr(estimate, name)) for name in observables}
    off = {name: err for name, err in errors.items() if not err < tolerance}
    expansion = float(ratio)
    if not off and expansion < S_OVER_M2_LIMIT:
        return
    parts = [f"{name} off by up to {err:.2g}" for name, err in off.items()]
    if expansion >= S_OVER_M2_LIMIT:
        parts.append(f"s/M1^2 reaches {expansion:.3g} (limit {S_OVER_M2_LIMIT:g})")
    message = (
        f"EFT not trustworthy here: {'; '.join(parts)} (estimated relative error, eft_tolerance "
        f"{tolerance:.2g}); solve with regime='auto' (the default: heavy neutrinos as species "
        "where the EFT is off) or regime='dynamical'"
    )
    warnings.warn(message, EFTValidityWarning, stacklevel=3)


@eqx.filter_jit
def _solve_jit(model: CogenesisModel, settings: SolveSettings) -> Solution:
    return solve_unjitted(model, settings)


@contextlib.contextmanager
def _runtime_errors_as_nan():
    """Trace with equinox's runtime checks in NaN mode instead of raising through a host callback.

    diffrax checks traced ``SaveAt`` times (ordered, inside [t0, t1]) with ``equinox.error_if``,
    which by default (``EQX_ON_ERROR=raise``) compiles to a ``pure_callback``; JAX's persistent
    compilation cache refuses any executable with a host callback ("Not writing persistent cache
    entry ... because it uses host callbacks") and ``jax.export`` cannot serialize one, so every
    ``jaxcogen solve`` recompiled. Our save times are valid by construction, and a point whose
    inputs are not is reported through ``status`` (NaN observables) anyway.
    """
    try:
        from equinox import _errors
    except ImportError:  # pragma: no cover - equinox reorganised; tests/test_cli.py notices
        yield
        return
    previous = getattr(_errors, "EQX_ON_ERROR", None)
    if previous != "raise":  # "nan"/"off" chosen by the user, or an equinox without the switch
        yield
        return
    _errors.EQX_ON_ERROR = "nan"
    try:
        yield
    finally:
        _errors.EQX_ON_ERROR = previous


def solve_unjitted(model: CogenesisModel, settings: SolveSettings) -> Solution:
    """The traceable body of :func:`solve`, for use inside an outer ``jit``/``vmap``."""
    with _runtime_errors_as_nan():
        return _solve_traced(model, settings)


def _solve_traced(model: CogenesisModel, settings: SolveSettings) -> Solution:
    production_only = dataclasses.replace(settings, late_universe=False)
    if settings.regime == "eft":
        solution = _solve_eft(model, production_only)
    elif settings.regime == "dynamical":
        solution = _solve_dynamical(model, production_only)
    else:  # "auto": the per-observable criterion, per point (lax.cond; both branches under vmap)
        solution = jax.lax.cond(
            _use_eft(model, settings),
            lambda: _solve_eft(model, production_only),
            lambda: _solve_dynamical(model, production_only),
        )
    if not settings.late_universe:
        return solution
    return with_late_universe(solution, model, adjoint=settings.adjoint)


def _solve_dynamical(model: CogenesisModel, settings: SolveSettings) -> Solution:
    """The production stage with dynamical heavy neutrinos (:mod:`jaxcogen.production.dynamical`)."""
    from jaxcogen.production.dynamical._solve import _solve_dynamical_body  # imports this module

    return _solve_dynamical_body(model, settings, regulate=True, dark_occupancy=True).solution


def evolution_saveat(
    tau_end: Float[ArrayLike, ""], n_save: int
) -> tuple[Float[Array, " n_save"], diffrax.SaveAt]:
    r"""The production stage's save times: ``n_save`` evenly spaced :math:`\tau=\ln(T_{\rm RH}/T)`
    on :math:`[0,\tau_{\rm end}]`, and the ``diffrax.SaveAt`` that saves there.

    The baryon asymmetry is read at the last of them: the integration stops at
    :math:`\tau_{\rm end}=\min(-\ln r_{\rm end},\ln(T_{\rm RH}/T_{\rm sph}))`, i.e. at sphaleron
    freeze-out, or at :math:`T_{\rm end}=r_{\rm end}T_{\rm RH}` when that is hotter (where the
    massless-SM rates stop holding); :math:`T_{\rm RH}\ge T_{\rm RH,min}>T_{\rm sph}` by
    validation, so :math:`\tau_{\rm end}>0`. With two points (scans, fits, the command line's
    numbers) the first and last states are saved as they are (``SaveAt(t0=True, t1=True)``)
    rather than interpolated by a search of the save grid at every step.
    """
    grid = jnp.linspace(0.0, 1.0, n_save) * tau_end
    if n_save == 2:
        return grid, diffrax.SaveAt(t0=True, t1=True)
    return grid, diffrax.SaveAt(ts=grid)


def _solve_eft(model: CogenesisModel, settings: SolveSettings) -> Solution:
    """The production stage of the EFT system (:class:`BoltzmannSystem`), no late stage."""
    fixed_xi, rtol, atol = settings.fixed_xi, settings.rtol, settings.atol
    T_end_ratio, n_save = settings.T_end_ratio, settings.n_save
    system = BoltzmannSystem(model, fixed_xi)
    tau_sph = jnp.log(model.T_RH / constants.T_sph)
    # stop at T_end_ratio * T_RH, or at sphaleron freeze-out if that is hotter: below the
    # electroweak crossover the massless-SM rates no longer hold (module docstring)
    tau_end = jnp.minimum(-jnp.log(T_end_ratio), tau_sph)
    grid, saveat = evolution_saveat(tau_end, n_save)

    def integrate(solver_name: str):
        sol = diffrax.diffeqsolve(
            diffrax.ODETerm(system.vector_field),
            _make_solver(solver_name, rtol, atol),
            t0=0.0,
            t1=tau_end,
            dt0=None,
            y0=system.initial_state(),
            saveat=saveat,
            stepsize_controller=diffrax.PIDController(
                rtol=rtol, atol=atol, pcoeff=settings.pcoeff, icoeff=settings.icoeff
            ),
            adjoint=_make_adjoint(settings.adjoint, settings.max_steps),
            max_steps=settings.max_steps,
            throw=False,
        )
        stats = (sol.stats["num_steps"], sol.stats["num_rejected_steps"])
        return sol.ys, status_code(sol.result), stats

    if settings.solver == "auto":

        def implicit():
            return integrate("Kvaerno5")

        def explicit_then_implicit():
            explicit = integrate("Tsit5")
            return jax.lax.cond(explicit[1] == 0, lambda: explicit, implicit)

        not_stiff = stiffness_ratio(model) < AUTO_STIFFNESS_THRESHOLD
        ys_grid, result, (num_steps, num_rejected) = jax.lax.cond(
            not_stiff, explicit_then_implicit, implicit
        )
    else:
        ys_grid, result, (num_steps, num_rejected) = integrate(settings.solver)
    path = system.physical(ys_grid, grid)
    at_sph = system.physical(ys_grid[-1], tau_end)  # the baryon asymmetry: evolution_saveat
    status = jnp.where(model.is_valid(), result, STATUS_INVALID_INPUT).astype(jnp.int32)
    return production_solution(
        model, path, at_sph, system.temperature(grid), tau_end, status, num_steps, num_rejected
    )


def with_late_universe(
    solution: Solution, model: CogenesisModel, *, adjoint: str = "recursive"
) -> Solution:
    """``solution`` with the late-universe stage (:func:`jaxcogen.late_universe._dark_freezeout.late_universe`)
    filled in: ``Omega_chi_h2`` (today), ``asymmetric_fraction``, ``Delta_N_eff``, ``N_eff_ok``,
    ``late_universe``.
    Shared by the EFT and the dynamical-N production stages. ``adjoint`` is the production
    stage's (``"forward"``: both stages forward-mode differentiable, e.g. ``jax.jacfwd``)."""
    return attach_late_universe(solution, late_universe(solution, model, adjoint=adjoint))


#: The production-stage numbers the late-universe stage reads (:func:`late_universe`).
LATE_UNIVERSE_INPUTS = ("DeltaY_chi", "SigmaY_chi", "xi_final", "DeltaY_B", "T_end")


def late_universe_of_production(
    production: Mapping[str, ArrayLike], model: CogenesisModel, **settings
) -> LateUniverse:
    """:func:`late_universe` from the production numbers alone (a mapping with the
    :data:`LATE_UNIVERSE_INPUTS`), for the late stage run as a program or pass of its own
    (the command line's first run, scans' second stage); ``settings`` as there."""
    numbers = SimpleNamespace(**{name: production[name] for name in LATE_UNIVERSE_INPUTS})
    return late_universe(numbers, model, **settings)


def today_from_late_universe(
    status: Int[ArrayLike, ""], SigmaY_chi: Float[ArrayLike, ""], late: LateUniverse
) -> tuple[Int[ArrayLike, ""], dict[str, Float[ArrayLike, ""]]]:
    """The status of the full chain and today's observables (:data:`TODAY_OBSERVABLES`) from the
    production stage's ``status`` and ``SigmaY_chi`` and its late stage ``late``: the late stage's
    failure is the point's (its observables NaN, never silently wrong); a point with no dark
    particles at all (``SigmaY_chi`` = 0, e.g. :math:`y_1=y_2=0`) has nothing to carry to today,
    a valid answer (Ω = 0, no ΔN_eff)."""
    empty = (status == 0) & (SigmaY_chi == 0.0)
    late_status = jnp.where(empty, 0, late.status)
    status = jnp.where(status == 0, late_status, status).astype(jnp.int32)
    ok = status == 0

    def today(value, if_empty):
        return jnp.where(ok, jnp.where(empty, if_empty, value), jnp.nan)

    return status, {
        "Omega_chi_h2": today(late.Omega_chi_h2, 0.0),
        "asymmetric_fraction": today(late.asymmetric_fraction, 0.0),
        "Delta_N_eff": today(late.Delta_N_eff, 0.0),
        "N_eff_ok": today(jnp.where(late.N_eff_ok, 1.0, 0.0), 1.0),
    }


def attach_late_universe(solution: Solution, late: LateUniverse) -> Solution:
    """``solution`` (production stage) with today's values from ``late`` (its late stage), the
    second half of :func:`with_late_universe` (:func:`today_from_late_universe`); the command line
    runs the two stages as separate programs (:mod:`jaxcogen.cli._compiled`) and joins them
    with this."""
    status, today = today_from_late_universe(solution.status, solution.SigmaY_chi, late)
    return dataclasses.replace(solution, status=status, **today, late_universe=late)
