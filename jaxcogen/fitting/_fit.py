r"""Gradient-based fits of any model's parameters to observed targets (multi-start, optax).

.. math::
    \hat\theta=\arg\min_\theta\ \sum_kw_k\,\ell_k\!\Big(\frac{O_k(p(\theta))}{t_k}\Big)^2
    +\mu\sum_l\Big[\max\Big(0,\ln\frac{q_l(p(\theta))}{q_l^{\max}}+\delta\Big)\Big]^2

with :math:`\ell_k=\ln` for positive-definite observables and a signed logarithm for those that
may be negative (:mod:`jaxcogen.fitting._loss`: log space, sign respected, smooth across zero),
one-sided limits :math:`q_l\le q_l^{\max}` the model declares (the cogenesis model's
:math:`m_\nu\le m_\nu^{\max}`), and unconstrained coordinates :math:`\theta` that map onto the
model's validity box (:mod:`jaxcogen.fitting._transforms`: logs of positive quantities, coupled
constraints as ratios such as :math:`M_i/T_{\rm RH}>r` or :math:`\Gamma/m_B\le0.1`, free angles
for phases). One path serves every model (:class:`~jaxcogen._interface.AbstractModel`): the
problem (:mod:`jaxcogen.fitting._problem`), the loss, the transforms and the vmapped, jitted
optimiser loop (:mod:`jaxcogen.fitting._optimize`) read the model only through its interface.
Inner solves run at the model's ``fit_solve_defaults`` updated by ``fit_solve_options``; each
start's best point is then rebuilt through the model's constructor (validated), solved with
``solve_options`` and judged there, so the reported numbers are those of a plain solve of
``result.model`` with the same options.

Example::

    import jaxcogen

    model = jaxcogen.CogenesisModel(**jaxcogen.benchmark_points["default"])
    result = jaxcogen.fit(model, free=["lambda2.abs", "y2.arg", "m_chi"], min_mass_ratio=20)
    print(result.verdict)
    result.model            # the best fit, a validated CogenesisModel
"""

import math
import time
from collections.abc import Callable, Mapping, Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from jaxcogen._interface import AbstractModel, model_type_of
from jaxcogen.fitting._loss import (
    DEFAULT_SOFTNESS,
    LIMIT_PENALTY_ONSET,
    goal_loss,
    target_terms,
    upper_limit_penalty,
)
from jaxcogen.fitting._optimize import OptimizerConfig, best_start, optimize
from jaxcogen.fitting._problem import FitProblem, fit_observables
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
from jaxcogen.model._registry import BOUND_UPPER_LIMITS

#: The cogenesis model's default targets: the observed baryon asymmetry and cold-dark-matter
#: density (today's relic). Every model declares its own (``default_targets``).
DEFAULT_TARGETS: dict[str, float] = dict(CogenesisModel.default_targets)

#: The cogenesis model's default free parameters: one modulus and one phase for ΔY_B, m_χ for
#: Ω_χh². Every model declares its own (``default_free``).
DEFAULT_FREE: tuple[str, ...] = CogenesisModel.default_free

#: Inner-solve grid size: the loss needs only the final values.
FIT_N_SAVE: int = 2

ProgressCallback = Callable[[int, np.ndarray, np.ndarray], None]


# ---- input checks --------------------------------------------------------------------------------


def _check_targets(
    model: AbstractModel, targets: Mapping[str, float] | None, settings
) -> tuple[dict[str, float], dict[str, str]]:
    """``({loss observable: value}, {loss observable: target name})`` for the targets reached
    through a proxy (:attr:`~jaxcogen._interface.AbstractModel.fit_proxies`): only those the
    loss does not compute with the inner ``settings`` (a production-only cogenesis fit)."""
    targets = dict(model.default_targets if targets is None else targets)
    if not targets:
        raise ValueError("targets: give at least one {observable: value}")
    usable = fit_observables(model, settings)
    out, proxied = {}, {}
    for name, value in targets.items():
        model.check_observable_name(name, role="target")
        used = name
        if name not in usable and name in model.fit_proxies:
            used = model.fit_proxies[name].observable
            proxied[used] = name
        if used not in usable:
            raise ValueError(
                f"target {name!r}: not computed inside a fit of the {model.name} model with "
                f"the loss's solver settings {dict(model.settings_record(settings))}; allowed: "
                f"{sorted(set(usable) | set(model.fit_proxies))} (other fit_solve_options may "
                "compute more)"
            )
        if used in out:
            raise ValueError(f"target {name!r}: {used} is a target twice")
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"targets[{name!r}]={value!r}: must be a number") from None
        if not (math.isfinite(value) and value != 0.0):
            raise ValueError(f"targets[{name!r}]={value!r}: must be a finite, non-zero number")
        if value < 0 and not model.observables[used].signed:
            raise ValueError(f"targets[{name!r}]={value!r}: this observable is positive")
        out[used] = value
    return out, proxied


def _inner_settings(
    model: AbstractModel,
    fit_solve_options: Mapping[str, object] | None,
    targets: Mapping[str, float] | None,
    free: set[str],
):
    """The solver settings inside the loss: the model's ``fit_solve_defaults`` updated by
    ``fit_solve_options``; a proxied target whose proxy ignores a free parameter
    (:attr:`~jaxcogen._interface.FitProxy.exact_when_free`) is computed exactly instead (its
    ``check_options`` join the loss's options, unless ``fit_solve_options`` set them)."""
    given = dict(fit_solve_options or {})
    options = dict(model.fit_solve_defaults)
    options.update(
        model.exact_proxy_options(model.default_targets if targets is None else targets, free)
    )
    options.update(given)
    if options.get("adjoint") == "forward":
        raise ValueError("fit_solve_options: adjoint='forward' cannot be reverse-differentiated")
    return model.solve_settings(options, n_save=FIT_N_SAVE)


def _check_weights(
    model: AbstractModel,
    weights: Mapping[str, float] | None,
    targets: Mapping[str, float],
    proxied: Mapping[str, str],
) -> dict[str, float]:
    out = {name: 1.0 for name in targets}
    loss_name = {name: used for used, name in proxied.items()}
    for name, w in dict(weights or {}).items():
        used = loss_name.get(name, name)
        if used not in targets:
            raise ValueError(f"weights[{name!r}]: not a target ({', '.join(targets)})")
        try:
            w = float(w)
        except (TypeError, ValueError):
            raise ValueError(f"weights[{name!r}]={w!r}: must be a number") from None
        if not (math.isfinite(w) and w > 0):
            raise ValueError(f"weights[{name!r}]={w!r}: must be finite and > 0")
        out[used] = w
    return out


def _check_counts(n_starts, steps, chunk_steps, tolerance) -> None:
    for name, value in (("n_starts", n_starts), ("steps", steps), ("chunk_steps", chunk_steps)):
        if isinstance(value, bool) or not (isinstance(value, int) and value >= 1):
            raise ValueError(f"{name}={value!r}: must be an integer >= 1")
    if not (isinstance(tolerance, (int, float)) and 0 < tolerance < 1):
        raise ValueError(f"tolerance={tolerance!r}: must lie in (0, 1)")


def _check_limits(
    model: AbstractModel, given: Mapping[str, float | None], settings
) -> dict[str, float | None]:
    """The bound of every limit the model declares (``None``: off); limits the model does not
    declare, or that do not apply with the inner ``settings``
    (:meth:`~jaxcogen._interface.AbstractModel.active_fit_limits`), are off."""
    out = {}
    active = set(model.active_fit_limits(settings))
    for key in model.fit_limits:
        value = given.get(key)
        if value is not None and not (isinstance(value, (int, float)) and 0 < value < math.inf):
            raise ValueError(
                f"{key}={value!r}: must be a finite number > 0 (or None to switch it off)"
            )
        out[key] = None if value is None or key not in active else float(value)
    return out


# ---- judging a point -----------------------------------------------------------------------------


@eqx.filter_jit
def _solve_point(model: AbstractModel, settings) -> dict:
    return model.solve_point(settings)


def _final_loss(values, targets, weights, signed, limit_values, limits, softness) -> float:
    """The loss of :mod:`jaxcogen.fitting._loss` at the final solve (same functions as inside)."""
    names = list(targets)
    terms = target_terms(
        jnp.asarray([values[k] for k in names]),
        jnp.asarray([targets[k] for k in names]),
        jnp.asarray([weights[k] for k in names]),
        tuple(signed[k] for k in names),
        softness,
    )
    total = float(jnp.sum(terms))
    for key, bound in limits.items():
        if bound is not None:
            total += float(upper_limit_penalty(jnp.asarray(limit_values[key]), jnp.asarray(bound)))
    return total


def _judge(values, targets, tolerance, limit_values, limits, status) -> bool:
    if status != 0:
        return False
    for key, bound in limits.items():
        if bound is not None and not limit_values[key] <= bound * (1 + 1e-12):
            return False
    return all(abs(values[k] / t - 1.0) <= tolerance for k, t in targets.items())


# ---- the verdict ---------------------------------------------------------------------------------


def active_limits(
    model: AbstractModel,
    parameters: Sequence[FreeParameter],
    theta: np.ndarray,
    limit_values: Mapping[str, float],
    limits: Mapping[str, float | None],
) -> tuple[str, ...]:
    """The bounds a point (θ of the free parameters) sits on: within 0.01 of an end in its natural
    coordinate (1 % in log coordinates), or within the onset of a limit penalty."""
    out = []
    for k, p in enumerate(parameters):
        u = float(theta_to_natural(p, theta[k]))
        for end, label in ((p.lower, "lower"), (p.upper, "upper")):
            if math.isfinite(end) and abs(u - end) < 1e-2:
                shown = end if p.coordinate in ("linear", "angle") else math.exp(end)
                unit = f" x {p.reference}" if p.coordinate == "log_ratio" else ""
                out.append(f"{p.name} at its {label} bound {shown:.6g}{unit}")
    for key, bound in limits.items():
        if bound is not None and limit_values[key] >= bound * (1 - 2 * LIMIT_PENALTY_ONSET):
            limit = model.fit_limits[key]
            out.append(
                f"{limit.quantity} at its bound {bound * limit.shown_factor:.4g} {limit.shown_unit}"
            )
    return tuple(out)


def _limits_text(model: AbstractModel, limit_values, limits) -> str:
    """``"m_nu = 0.05 eV (bound 0.1 eV)"`` for every limit the model declares."""
    parts = []
    for key, limit in model.fit_limits.items():
        f, unit = limit.shown_factor, limit.shown_unit
        text = f"{limit.quantity} = {limit_values[key] * f:.4g} {unit}"
        if limits[key] is not None:
            text += f" (bound {limits[key] * f:.4g} {unit})"
        parts.append(text)
    return "; ".join(parts)


# ---- the fit -------------------------------------------------------------------------------------


def fit(
    model: AbstractModel,
    targets: Mapping[str, float] | None = None,
    free: Sequence[str] | None = None,
    *,
    optimizer: str = "lbfgs",
    n_starts: int = 8,
    seed: int = 0,
    steps: int | None = None,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    m_nu_max: float | None = BOUND_UPPER_LIMITS["m_nu"],
    eft_error_max: float | None = BOUND_UPPER_LIMITS["eft_error"],
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
    r"""Fit the ``free`` parameters of ``model`` so that its observables hit ``targets``.

    ``model`` is any :class:`~jaxcogen._interface.AbstractModel`: the
    :class:`~jaxcogen.CogenesisModel` or a validation model
    (:class:`~jaxcogen.models.LeptogenesisModel`, :class:`~jaxcogen.models.FreezeOutModel`,
    :class:`~jaxcogen.models.FreezeInDecayModel`); the same code fits each, reading the model's
    parameters, validity box, observables and defaults from its declarations.

    Args:
        model: the starting point; its other parameters stay fixed.
        targets: ``{observable: value}`` (default: the model's ``default_targets``; cogenesis
            :data:`DEFAULT_TARGETS`: :math:`\Delta Y_B=8.7\times10^{-11}`,
            :math:`\Omega_\chi h^2=0.12`; leptogenesis ``Y_B`` = 8.7e-11; freeze-out and
            freeze-in ``Omega_h2`` = 0.12). Signs respected. Cogenesis ``Omega_chi_h2`` is
            today's relic: the loss reaches it through the asymmetric relic
            ``Omega_chi_h2_asymmetric`` (production stage only) and the final solve checks it;
            with κ or m_φ free, or ``fit_solve_options={"late_universe": True}``, the loss
            computes it through the late-universe stage (exact gradients; slower to compile).
        free: parameter names (:meth:`~jaxcogen._interface.AbstractModel.fit_coordinates`;
            complex couplings by part, e.g. ``"y2.abs"``, ``"y2.arg"``; default: the model's
            ``default_free``, cogenesis :data:`DEFAULT_FREE`).
        optimizer: ``"lbfgs"`` (default; fastest and most reliable here: README, "Fitting",
            and benchmarks/gradients.py) or ``"adam"``.
        n_starts: number of starts, run together under ``vmap``.
        seed: seed of the random starts.
        steps: optimiser steps per start (default 60 for L-BFGS, 300 for Adam), rounded up to a
            multiple of ``chunk_steps``; the fit stops early when every start has converged.
        bounds: ``{name: (low, high)}`` in physical units, intersected with the validity box.
        m_nu_max: bound on :math:`m_\nu=|w|v^2` [GeV] (default :math:`10^{-10}` = 0.1 eV;
            ``None`` switches it off); a limit of the cogenesis model, ignored by models that
            declare no such limit (``fit_limits``).
        eft_error_max: bound on the EFT's estimated relative error
            (:attr:`~jaxcogen.CogenesisModel.eft_error`, default 1e-2 as ``solve``'s
            ``eft_tolerance``) while the loss integrates the EFT (``regime="eft"``, the fit
            default): the fit stays where the system it solves holds, so the final
            ``regime="auto"`` solve agrees with it. Off with ``None`` or when
            ``fit_solve_options`` choose another regime. A cogenesis limit, ignored elsewhere.
        min_mass_ratio: keep :math:`M_i/T_{\rm RH}\ge` this (default the model's
            ``eft_hierarchy``); fixed masses must already satisfy it. A fit option of the
            cogenesis model (``fit_options``): ``ValueError`` for a model that does not declare it.
        tolerance: relative tolerance of ``success`` on every target (default 1 %).
        weights: ``{observable: w_k}`` (default 1 each).
        start_domain: ``{name: (low, high)}`` where random starts are drawn (physical units;
            default: a decade around the model's value on log scales, the value ± its modulus
            on linear ones, phases over :math:`[-\pi,\pi]`).
        include_model: start 0 is the model itself (else every start is random).
        learning_rate: Adam's initial learning rate (default 0.05).
        softness: :math:`\varepsilon` of the signed logarithm (default 1e-3).
        fit_solve_options: solver options inside the loss, updating the model's
            ``fit_solve_defaults`` (cogenesis: the production stage, the EFT regime, Tsit5,
            rtol 1e-6, atol 1e-10; validation models: rtol 1e-6); ``adjoint`` must stay ``"recursive"`` or ``"direct"``.
        solve_options: solver options of the final check (default: the model's defaults).
        chunk_steps: steps per compiled call (progress is reported between calls).
        progress: called after every chunk with ``(steps_done, best_losses, done)`` (arrays over
            starts).

    Returns:
        A :class:`FitResult`. Bad input raises ``ValueError`` (``TypeError`` for a non-model);
        an unreachable target is not an error: ``success`` is False and ``verdict`` says how
        close the best point came.
    """
    wall_start = time.perf_counter()
    model_type_of(model)
    free = model.default_free if free is None else free
    parameters = free_parameters(model, free, bounds, {"min_mass_ratio": min_mass_ratio})
    settings = _inner_settings(model, fit_solve_options, targets, {p.name for p in parameters})
    targets, proxied = _check_targets(model, targets, settings)
    weights = _check_weights(model, weights, targets, proxied)
    steps = DEFAULT_STEPS.get(optimizer, 60) if steps is None else steps
    _check_counts(n_starts, steps, chunk_steps, tolerance)
    given_limits = {"m_nu_max": m_nu_max, "eft_error_max": eft_error_max}
    limits = _check_limits(model, given_limits, settings)
    final_options = dict(solve_options or {})
    model.solve_settings(final_options)  # validate before the expensive part
    n_chunks = -(-steps // chunk_steps)
    config = OptimizerConfig(
        name=optimizer,
        learning_rate=DEFAULT_ADAM_LEARNING_RATE if learning_rate is None else learning_rate,
        decay_steps=n_chunks * chunk_steps,
    )
    config.build()  # validates the name
    problem = FitProblem.create(model, parameters, targets, weights, limits, settings, softness)
    thetas = initial_thetas(model, parameters, n_starts, seed, include_model, start_domain)

    goal = jnp.asarray(goal_loss(tolerance, min(weights.values())))
    states, loss_histories = optimize(
        problem,
        config,
        jnp.asarray(problem.embed(parameters, thetas)),
        goal,
        n_chunks,
        chunk_steps,
        progress,
    )

    columns = [problem.names.index(p.name) for p in parameters]
    best_thetas = np.asarray(states.best_theta)[:, columns]
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
        proxied=proxied,
        weights=weights,
        limits=limits,
        tolerance=tolerance,
        softness=softness,
        final_options=final_options,
        optimizer=optimizer,
        wall_start=wall_start,
    )


def _finish(
    *,
    problem: FitProblem,
    model: AbstractModel,
    parameters,
    thetas,
    done,
    never_finite,
    loss_histories,
    targets,
    proxied,
    weights,
    limits,
    tolerance,
    softness,
    final_options,
    optimizer,
    wall_start,
) -> FitResult:
    """Rebuild every start's best point through the model's constructor, solve it with
    ``final_options``, judge it, pick the best; check proxied targets on their own observable."""
    n_starts = thetas.shape[0]
    settings = model.solve_settings(final_options)
    usable = set(fit_observables(model, settings))
    signed = {k: o.signed for k, o in model.observables.items()}
    models, summaries, losses, success, status, codes = [], [], [], [], [], []
    for s in range(n_starts):
        full = problem.embed(parameters, thetas[s])
        point = jax.device_get(problem.model(jnp.asarray(full))).concrete()
        out = _solve_point(point, settings)
        code = int(out["status"])
        values = {
            k: float(out[k])
            for k in model.observables
            if k in usable or math.isfinite(float(out[k]))
        }
        limit_values = {
            key: float(np.asarray(getattr(point, limit.quantity)))
            for key, limit in model.fit_limits.items()
        }
        loss = _final_loss(values, targets, weights, signed, limit_values, limits, softness)
        codes.append(code)
        models.append(point)
        summaries.append((values, limit_values))
        losses.append(loss if code == 0 and math.isfinite(loss) else math.inf)
        success.append(_judge(values, targets, tolerance, limit_values, limits, code))
        if code != 0 or never_finite[s]:
            status.append(solve_failure_text(code))
        else:
            status.append("converged" if done[s] else "max_steps")

    losses_arr = np.asarray(losses)
    success_arr = np.asarray(success, dtype=bool)
    best = best_start(losses_arr, success_arr)
    values, limit_values = summaries[best]
    proxy_note = ""
    if proxied and codes[best] == 0:
        check_options = dict(final_options)
        for name in proxied.values():
            check_options.update(model.fit_proxies[name].check_options)
        check = _solve_point(models[best], model.solve_settings(check_options))
        values = {**values, **{k: float(check[k]) for k in model.observables if k not in values}}
        for used, name in proxied.items():
            target = targets[used]
            if success_arr[best] and not abs(values[name] / target - 1.0) <= tolerance:
                success_arr[best] = False
                proxy_note += " But " + model.fit_proxies[name].miss_note.format(**values) + "."
    limits_hit = active_limits(model, parameters, thetas[best], limit_values, limits)
    verdict = (
        verdict_text(
            bool(success_arr[best]),
            int(success_arr.sum()),
            n_starts,
            tolerance,
            values,
            targets,
            limits_hit,
            extra=_limits_text(model, limit_values, limits),
        )
        + proxy_note
    )
    if never_finite.all():
        verdict = (
            f"FAILED: the solve failed at every one of the {n_starts} starts "
            f"(status {status[best]}); try other starts, bounds or solver options."
        )
    start_parameters = {
        p.name: np.array([float(np.asarray(m.get_parameter(p.name))) for m in models])
        for p in parameters
    }
    m_nu = next(
        (v for key, v in limit_values.items() if model.fit_limits[key].quantity == "m_nu"),
        math.nan,
    )
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
        active_limits=limits_hit,
        optimizer=optimizer,
        n_steps=int(loss_histories.shape[1]),
        wall_time_s=time.perf_counter() - wall_start,
        tolerance=tolerance,
    )
