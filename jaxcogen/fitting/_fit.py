r"""Gradient-based fits of model parameters to observed targets (multi-start, optax).

.. math::
    \hat\theta=\arg\min_\theta\ \sum_kw_k\,\ell_k\!\Big(\frac{O_k(p(\theta))}{t_k}\Big)^2
    +\mu\Big[\max\Big(0,\ln\frac{m_\nu}{m_\nu^{\max}}+\delta\Big)\Big]^2

with :math:`\ell_k=\ln` for positive-definite observables and a signed logarithm for
:math:`\Delta Y_{B,L,\chi}` (:mod:`jaxcogen.fitting._loss`: log space, sign respected, smooth across
zero) and unconstrained coordinates
:math:`\theta` that map onto the validity region :math:`M_i>r\,T_{\rm RH}`,
:math:`h\,T_{\rm RH}>m_\chi,m_\phi` and perturbative couplings (:mod:`jaxcogen.fitting._transforms`:
logs of positive quantities, masses relative to :math:`T_{\rm RH}`, free angles for phases).
Every start is optimised in one vmapped, jitted loop (:mod:`jaxcogen.fitting._optimize`) with inner
solves at ``fit_solve_options`` (default rtol 1e-6); each start's best point is then re-solved
with :func:`jaxcogen.solve` at ``solve_options`` (default: its defaults) and judged there, so the
reported numbers are exactly what ``jaxcogen.solve(result.model)`` gives.

Example::

    import jaxcogen
    from jaxcogen.fitting._fit import fit

    model = jaxcogen.CogenesisModel(**jaxcogen.benchmark_points["default"])
    result = fit(model, free=["lambda2.abs", "y2.arg", "m_chi"], n_starts=8, min_mass_ratio=20)
    print(result.verdict)
    result.model            # the best fit, a validated CogenesisModel
"""

import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from jaxcogen.fitting._gradients import OBSERVABLES, check_observable_name
from jaxcogen.fitting._loss import (
    DEFAULT_SOFTNESS,
    NEUTRINO_PENALTY_ONSET,
    NEUTRINO_PENALTY_WEIGHT,
    SIGNED_OBSERVABLES,
    goal_loss,
)
from jaxcogen.fitting._optimize import OptimizerConfig, best_start, optimize
from jaxcogen.fitting._problem import SLOT, FitProblem
from jaxcogen.fitting._result import (
    DEFAULT_ADAM_LEARNING_RATE,
    DEFAULT_STEPS,
    FitResult,
    solve_failure_text,
    verdict_text,
)
from jaxcogen.fitting._transforms import (
    FreeParameter,
    free_parameters,
    initial_thetas,
    theta_to_natural,
)
from jaxcogen.model._cogenesis import CogenesisModel
from jaxcogen.model._parameters import get_parameter
from jaxcogen.production._solve import SolveSettings, solve
from jaxcogen.production._validity import EFTValidityWarning

#: Default targets: the observed baryon asymmetry and cold-dark-matter density (today's relic,
#: see :data:`TARGET_ALIASES`).
DEFAULT_TARGETS: dict[str, float] = dict(CogenesisModel.default_targets)

#: A fit target ``Omega_chi_h2`` means the relic *today* (``Solution.Omega_chi_h2``, after the
#: dark sink). The loss aims at ``Omega_chi_h2_asymmetric`` (the production stage alone: cheap and
#: differentiable in every step) and the best point is then checked with the full chain
#: (``Omega_chi_h2`` in the result): the fit fails if a symmetric remnant moves today's value off
#: the target. (The late stage inside the loss is the next step: it needs the adaptive late
#: stage to be fast under ``vmap``; docs/late_universe.md.)
TARGET_ALIASES: dict[str, str] = {"Omega_chi_h2": "Omega_chi_h2_asymmetric"}

#: Default free parameters: one modulus and one phase for ΔY_B, m_χ for Ω_χh².
DEFAULT_FREE: tuple[str, ...] = CogenesisModel.default_free

#: Solver options of the solves inside the loss (the final check uses ``solve_options``).
#: Tsit5 (not ``"auto"``): compiling the reverse-mode Kvaerno5 branch as well takes minutes on a CPU;
#: pass ``fit_solve_options={"solver": "auto", ...}`` for stiff (strong-washout) regions, where Tsit5
#: fails and such a point counts as a failed solve (infinite loss).
FIT_SOLVE_OPTIONS: dict[str, float | int | str] = {
    "rtol": 1e-6,
    "atol": 1e-10,
    "n_save": 2,
    "solver": "Tsit5",
}

ProgressCallback = Callable[[int, np.ndarray, np.ndarray], None]


# ---- input checks --------------------------------------------------------------------------------


def _check_targets(targets: Mapping[str, float] | None) -> dict[str, float]:
    targets = dict(DEFAULT_TARGETS if targets is None else targets)
    if not targets:
        raise ValueError("no targets given")
    out = {}
    for name, value in targets.items():
        name = TARGET_ALIASES.get(name, name)
        check_observable_name(name)
        value = float(value)
        if not (math.isfinite(value) and value != 0.0):
            raise ValueError(f"target {name}={value!r}: must be finite and non-zero")
        out[name] = value
    return out


def _check_weights(weights: Mapping[str, float] | None, targets: Mapping[str, float]):
    weights = dict(weights or {})
    unknown = set(weights) - set(targets)
    if unknown:
        raise ValueError(f"weights for observables that are not targets: {sorted(unknown)}")
    out = {k: float(weights.get(k, 1.0)) for k in targets}
    for k, w in out.items():
        if not (math.isfinite(w) and w > 0):
            raise ValueError(f"weight of {k} = {w!r}: must be finite and > 0")
    return out


def _check_counts(n_starts: int, steps: int, tolerance: float, m_nu_max: float | None) -> None:
    if not (isinstance(n_starts, int) and n_starts >= 1):
        raise ValueError(f"n_starts={n_starts!r}: must be an integer >= 1")
    if not (isinstance(steps, int) and steps >= 1):
        raise ValueError(f"steps={steps!r}: must be an integer >= 1")
    if not 0 < tolerance < 1:
        raise ValueError(f"tolerance={tolerance!r}: must lie in (0, 1)")
    if m_nu_max is not None and not m_nu_max > 0:
        raise ValueError(f"m_nu_max={m_nu_max!r} GeV: must be > 0 (or None to switch it off)")


# ---- the model of a fitted point -----------------------------------------------------------------


def concrete_model(model: CogenesisModel) -> CogenesisModel:
    """Rebuild ``model`` from Python numbers, so that the constructor validates it."""
    fields = {}
    for name in ("M1", "M2", "m_chi", "m_phi", "kappa", "T_RH"):
        fields[name] = float(getattr(model, name))
    for name in ("y1", "y2", "lambda1", "lambda2"):
        fields[name] = complex(getattr(model, name))
    return CogenesisModel(
        **fields, conventions=model.conventions, eft_hierarchy=model.eft_hierarchy
    )


def _final_loss(
    values: Mapping[str, float],
    targets: Mapping[str, float],
    weights: Mapping[str, float],
    m_nu: float,
    m_nu_max: float | None,
    softness: float,
) -> float:
    """The loss of :mod:`jaxcogen.fitting._loss` in NumPy, at the final solve."""
    total = 0.0
    for name, t in targets.items():
        r = values[name] / t
        if name in SIGNED_OBSERVABLES:
            ell = math.asinh(r / (2 * softness)) - math.asinh(1 / (2 * softness))
        else:
            ell = math.log(max(r, 1e-300))
        total += weights[name] * ell**2
    if m_nu_max is not None:
        excess = math.log(max(m_nu, 1e-300) / m_nu_max) + NEUTRINO_PENALTY_ONSET
        total += NEUTRINO_PENALTY_WEIGHT * max(excess, 0.0) ** 2
    return total


def _judge(values, targets, tolerance, m_nu, m_nu_max, status) -> bool:
    if status != 0:
        return False
    if m_nu_max is not None and m_nu > m_nu_max * (1 + 1e-12):
        return False
    return all(abs(values[k] / t - 1.0) <= tolerance for k, t in targets.items())


# ---- the verdict ---------------------------------------------------------------------------------


def active_limits(
    parameters: Sequence[FreeParameter],
    theta: np.ndarray,
    m_nu: float,
    m_nu_max: float | None,
) -> tuple[str, ...]:
    """The bounds a point (full θ) sits on (within 1 % in log coordinates, 0.01 in linear ones)."""
    out = []
    for p in parameters:
        u = float(theta_to_natural(p, theta[SLOT[p.name]]))
        for end, label in ((p.lower, "lower"), (p.upper, "upper")):
            if math.isfinite(end) and abs(u - end) < 1e-2:
                shown = math.exp(end) if p.coordinate != "linear" else end
                unit = " x T_RH" if p.coordinate == "log_ratio" else ""
                out.append(f"{p.name} at its {label} bound {shown:.6g}{unit}")
    if m_nu_max is not None and m_nu >= m_nu_max * (1 - 2 * NEUTRINO_PENALTY_ONSET):
        out.append(f"m_nu at its bound {m_nu_max * 1e9:.4g} eV")
    return tuple(out)


def _verdict(success, n_success, n_starts, tolerance, values, targets, m_nu, m_nu_max, limits):
    m_nu_text = f"m_nu = {m_nu * 1e9:.4g} eV" + (
        f" (bound {m_nu_max * 1e9:.4g} eV)" if m_nu_max is not None else ""
    )
    return verdict_text(
        success, n_success, n_starts, tolerance, values, targets, limits, extra=m_nu_text
    )


# ---- the fit -------------------------------------------------------------------------------------


def fit(
    model: CogenesisModel,
    targets: Mapping[str, float] | None = None,
    free: Sequence[str] = DEFAULT_FREE,
    *,
    optimizer: str = "lbfgs",
    n_starts: int = 8,
    seed: int = 0,
    steps: int | None = None,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    m_nu_max: float | None = 1e-10,
    min_mass_ratio: float | None = None,
    tolerance: float = 0.01,
    weights: Mapping[str, float] | None = None,
    start_domain: Mapping[str, tuple[float, float]] | None = None,
    include_model: bool = True,
    learning_rate: float | None = None,
    softness: float = DEFAULT_SOFTNESS,
    fit_solve_options: Mapping[str, object] | None = None,
    solve_options: Mapping[str, object] | None = None,
    chunk_steps: int = 10,
    progress: ProgressCallback | None = None,
) -> FitResult:
    r"""Fit the ``free`` parameters of ``model`` so that the observables hit ``targets``.

    ``model`` may also be a validation model (:class:`~jaxcogen.models.leptogenesis.LeptogenesisModel`,
    :class:`~jaxcogen.models.freeze_out.FreezeOutModel`,
    :class:`~jaxcogen.models.freeze_in_decay.FreezeInDecayModel`): the same multi-start optax
    loop then fits that family's parameters to its observables
    (:func:`jaxcogen.fitting._family.fit_family`; default targets ``Y_B`` = 8.7e-11 by ``epsilon_1``,
    or ``Omega_h2`` = 0.12 by ``sigma_v`` or by ``Gamma``; ``m_nu_max`` does not apply).

    Args:
        model: the starting point; its other parameters stay fixed.
        targets: ``{observable: value}`` (default :data:`DEFAULT_TARGETS`: :math:`\Delta Y_B=8.7\times
            10^{-11}`, :math:`\Omega_\chi h^2=0.12`); any of
            :data:`~jaxcogen.fitting._gradients.OBSERVABLES`, signs respected.
        free: parameter names (:mod:`jaxcogen.model._parameters`; complex couplings by part, e.g.
            ``"y2.abs"``, ``"y2.arg"``).
        optimizer: ``"lbfgs"`` (default; fastest and most reliable here: README, "Fitting", and benchmarks/gradients.py) or
            ``"adam"``.
        n_starts: number of starts, run together under ``vmap``.
        seed: seed of the random starts.
        steps: optimiser steps per start (default 60 for L-BFGS, 300 for Adam), rounded up to a
            multiple of ``chunk_steps``; the fit stops early when every start has converged.
        bounds: ``{name: (low, high)}`` in physical units, intersected with validity and
            perturbativity (:mod:`jaxcogen.fitting._transforms`).
        m_nu_max: bound on :math:`m_\nu=|w|v^2` [GeV] (default :math:`10^{-10}` = 0.1 eV;
            ``None`` switches it off).
        min_mass_ratio: keep :math:`M_i/T_{\rm RH}\ge` this (default the model's
            ``eft_hierarchy``); fixed masses must already satisfy it.
        tolerance: relative tolerance of ``success`` on every target (default 1 %).
        weights: ``{observable: w_k}`` (default 1 each).
        start_domain: ``{name: (low, high)}`` where random starts are drawn (physical units;
            default: a decade around the model's value, phases over :math:`[-\pi,\pi]`).
        include_model: start 0 is the model itself (else every start is random).
        learning_rate: Adam's initial learning rate (default 0.05).
        softness: :math:`\varepsilon` of the signed logarithm (default 1e-3).
        fit_solve_options: solver options inside the loss (default :data:`FIT_SOLVE_OPTIONS`;
            ``adjoint`` must stay ``"recursive"`` or ``"direct"``).
        solve_options: solver options of the final check (default: :func:`jaxcogen.solve`'s).
        chunk_steps: steps per compiled call (progress is reported between calls).
        progress: called after every chunk with ``(steps_done, best_losses, done)`` (arrays over
            starts).

    Returns:
        A :class:`FitResult`. Bad input raises ``ValueError``; an unreachable target is not an
        error: ``success`` is False and ``verdict`` says how close the best point came.
    """
    if not isinstance(model, CogenesisModel):
        # a validation model (jaxcogen.models._families): same optimiser loop, the family's parameters
        if min_mass_ratio is not None:
            raise ValueError("min_mass_ratio: only for a CogenesisModel")
        from jaxcogen.fitting._family import fit_family

        return fit_family(
            model,
            targets,
            None if free is DEFAULT_FREE else free,
            optimizer=optimizer,
            n_starts=n_starts,
            seed=seed,
            steps=steps,
            bounds=bounds,
            tolerance=tolerance,
            weights=weights,
            start_domain=start_domain,
            include_model=include_model,
            learning_rate=learning_rate,
            softness=softness,
            fit_solve_options=fit_solve_options,
            solve_options=solve_options,
            chunk_steps=chunk_steps,
            progress=progress,
        )
    wall_start = time.perf_counter()
    targets = _check_targets(targets)
    weights = _check_weights(weights, targets)
    steps = DEFAULT_STEPS.get(optimizer, 60) if steps is None else steps
    _check_counts(n_starts, steps, tolerance, m_nu_max)
    if not (isinstance(chunk_steps, int) and chunk_steps >= 1):
        raise ValueError(f"chunk_steps={chunk_steps!r}: must be an integer >= 1")
    parameters = free_parameters(model, free, bounds, min_mass_ratio)
    inner_options = dict(FIT_SOLVE_OPTIONS if fit_solve_options is None else fit_solve_options)
    if inner_options.get("adjoint", "recursive") == "forward":
        raise ValueError("fit_solve_options: adjoint='forward' cannot be reverse-differentiated")
    settings = SolveSettings.create(**inner_options)
    final_options = dict(solve_options or {})
    SolveSettings.create(**final_options)  # validate before the expensive part
    n_chunks = -(-steps // chunk_steps)
    config = OptimizerConfig(
        name=optimizer,
        learning_rate=DEFAULT_ADAM_LEARNING_RATE if learning_rate is None else learning_rate,
        decay_steps=n_chunks * chunk_steps,
    )
    config.build()  # validates the name
    problem = FitProblem.create(model, parameters, targets, weights, m_nu_max, settings, softness)
    thetas = FitProblem.embed(
        parameters, initial_thetas(model, parameters, n_starts, seed, include_model, start_domain)
    )

    goal = jnp.asarray(goal_loss(tolerance, min(weights.values())))
    states, loss_histories = optimize(
        problem, config, jnp.asarray(thetas), goal, n_chunks, chunk_steps, progress
    )

    best_thetas = np.asarray(states.best_theta)
    never_finite = ~np.isfinite(np.asarray(states.best_loss))
    best_thetas = np.where(never_finite[:, None], thetas, best_thetas)
    return _finish(
        problem=problem,
        model=model,
        parameters=parameters,
        thetas=best_thetas,
        done=np.asarray(states.done),
        never_finite=never_finite,
        loss_histories=loss_histories,
        targets=targets,
        weights=weights,
        m_nu_max=m_nu_max,
        tolerance=tolerance,
        softness=softness,
        final_options=final_options,
        optimizer=optimizer,
        wall_start=wall_start,
    )


def _finish(
    *,
    problem,
    model,
    parameters,
    thetas,
    done,
    never_finite,
    loss_histories,
    targets,
    weights,
    m_nu_max,
    tolerance,
    softness,
    final_options,
    optimizer,
    wall_start,
) -> FitResult:
    """Re-solve every start's best point with :func:`jaxcogen.solve`, judge it, pick the best."""
    n_starts = thetas.shape[0]
    models, summaries, losses, success, status, status_codes = [], [], [], [], [], []
    for s in range(n_starts):
        point = concrete_model(jax.device_get(problem.model(jnp.asarray(thetas[s]))))
        with (
            warnings.catch_warnings()
        ):  # EFT validity is the user's choice of region, not a fit error
            warnings.simplefilter("ignore", EFTValidityWarning)
            solution = solve(point, **final_options)
        values = {k: float(getattr(solution, k)) for k in OBSERVABLES}
        m_nu = float(point.m_nu)
        loss = _final_loss(values, targets, weights, m_nu, m_nu_max, softness)
        code = int(solution.status)
        status_codes.append(code)
        models.append(point)
        summaries.append((values, m_nu))
        losses.append(loss if math.isfinite(loss) else math.inf)
        success.append(_judge(values, targets, tolerance, m_nu, m_nu_max, code))
        if code != 0 or never_finite[s]:
            status.append(solve_failure_text(code))
        else:
            status.append("converged" if done[s] else "max_steps")

    losses_arr = np.asarray(losses)
    success_arr = np.asarray(success, dtype=bool)
    best = best_start(losses_arr, success_arr)
    values, m_nu = summaries[best]
    late_note = ""
    if "Omega_chi_h2_asymmetric" in targets and int(status_codes[best]) == 0:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EFTValidityWarning)
            today = solve(models[best], **{**final_options, "late_universe": True})
        values = {
            **values,
            "Omega_chi_h2": float(today.Omega_chi_h2),
            "asymmetric_fraction": float(today.asymmetric_fraction),
        }
        target = targets["Omega_chi_h2_asymmetric"]
        if success_arr[best] and not abs(values["Omega_chi_h2"] / target - 1.0) <= tolerance:
            success_arr[best] = False
            late_note = (
                f" But today's relic (late-universe stage) is Omega_chi_h2 = "
                f"{values['Omega_chi_h2']:.4g}: the dark sink leaves a symmetric remnant "
                f"(asymmetric fraction {values['asymmetric_fraction']:.3g}); raise kappa or free it."
            )
    limits = active_limits(parameters, thetas[best], m_nu, m_nu_max)
    verdict = (
        _verdict(
            bool(success_arr[best]),
            int(success_arr.sum()),
            n_starts,
            tolerance,
            values,
            targets,
            m_nu,
            m_nu_max,
            limits,
        )
        + late_note
    )
    if never_finite.all():
        verdict = (
            f"FAILED: the solve failed at every one of the {n_starts} starts "
            f"(status {status[best]}); try other starts, bounds or solver options."
        )
    start_parameters = {
        p.name: np.array([float(np.asarray(get_parameter(m, p.name))) for m in models])
        for p in parameters
    }
    return FitResult(
        model=models[best],
        parameters={name: float(v[best]) for name, v in start_parameters.items()},
        observables=values,
        targets=dict(targets),
        m_nu=m_nu,
        loss=float(losses_arr[best]),
        success=bool(success_arr[best]),
        verdict=verdict,
        loss_history=loss_histories[best],
        best_start=best,
        start_losses=losses_arr,
        start_success=success_arr,
        start_status=tuple(status),
        start_parameters=start_parameters,
        loss_histories=loss_histories,
        active_limits=limits,
        optimizer=optimizer,
        n_steps=int(loss_histories.shape[1]),
        wall_time_s=time.perf_counter() - wall_start,
        tolerance=tolerance,
    )
