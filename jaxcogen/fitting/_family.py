r"""Fits of the validation models (:mod:`jaxcogen.models._families`) with the same optimiser as cogenesis fits.

:func:`jaxcogen.fit` hands a :class:`~jaxcogen.models.leptogenesis.LeptogenesisModel`, a
:class:`~jaxcogen.models.freeze_out.FreezeOutModel` or a
:class:`~jaxcogen.models.freeze_in_decay.FreezeInDecayModel` to :func:`fit_family`. The loss is the one of
:mod:`jaxcogen.fitting._loss`,

.. math:: \mathcal L(\theta)=\sum_kw_k\,\ell_k\big(O_k(p(\theta))/t_k\big)^2,

(:math:`\ell_k=\ln`, or the signed logarithm for observables that may be negative), and every
free parameter lives in its family's bounded natural coordinate :math:`u` (``log``:
:math:`u=\ln p`; ``linear``: :math:`u=p`) mapped from an unconstrained :math:`\theta` by
:math:`u=u_{\rm lo}+(u_{\rm hi}-u_{\rm lo})\,\sigma(\theta)`, so every step stays inside the
model's validity range. The multi-start vmapped optax loop is
:func:`jaxcogen.fitting._optimize.run_chunk`, shared with the cogenesis fit; each start's best point
is re-solved at ``solve_options`` and judged there.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from jaxcogen.fitting._loss import DEFAULT_SOFTNESS, goal_loss, log_ratio, target_terms
from jaxcogen.fitting._optimize import OptimizerConfig, best_start, optimize
from jaxcogen.fitting._result import (
    DEFAULT_ADAM_LEARNING_RATE,
    DEFAULT_STEPS,
    FitResult,
    solve_failure_text,
    verdict_text,
)
from jaxcogen.models._families import FAMILIES, ModelFamily, ModelSolveSettings, family_of

#: Inner-solve options of the loss (looser than the final check's family defaults).
FIT_SOLVE_RTOL = 1e-6


def _family_named(name: str) -> ModelFamily:
    return next(f for f in FAMILIES if f.name == name)


class FamilyFitProblem(eqx.Module):
    r"""Loss :math:`\mathcal L(\theta)` of a validation-model fit (module docstring); jittable, vmappable.

    Attributes:
        base_model: the model whose other parameters stay fixed.
        lower, upper: bounds of the natural coordinates of the free parameters.
        target_values, target_weights: :math:`t_k`, :math:`w_k` per observable of the family
            (weight 0: not fitted).
        settings: solver settings of the solves inside the loss.
        family_name, names, kinds, signed, softness: static description.
    """

    base_model: eqx.Module
    lower: Float[Array, " p"]
    upper: Float[Array, " p"]
    target_values: Float[Array, " k"]
    target_weights: Float[Array, " k"]
    settings: ModelSolveSettings
    family_name: str = eqx.field(static=True)
    names: tuple[str, ...] = eqx.field(static=True)
    kinds: tuple[str, ...] = eqx.field(static=True)
    signed: tuple[bool, ...] = eqx.field(static=True)
    softness: float = eqx.field(static=True)

    @property
    def family(self) -> ModelFamily:
        return _family_named(self.family_name)

    def natural(self, theta: Float[Array, " p"]) -> Float[Array, " p"]:
        return self.lower + (self.upper - self.lower) * jax.nn.sigmoid(theta)

    def physical(self, theta: Float[Array, " p"]) -> Float[Array, " p"]:
        """The free parameters' physical values at θ."""
        u = self.natural(theta)
        return jnp.stack(
            [jnp.exp(u[j]) if kind == "log" else u[j] for j, kind in enumerate(self.kinds)]
        )

    def model(self, theta: Float[Array, " p"]):
        p = self.physical(theta)
        return self.family.set_parameters(
            self.base_model, {name: p[j] for j, name in enumerate(self.names)}
        )

    def observables(self, theta: Float[Array, " p"]) -> dict[str, Array]:
        return self.family.solve(self.model(theta), self.settings)

    def loss(self, theta: Float[Array, " p"]) -> Float[Array, ""]:
        r""":math:`\mathcal L(\theta)`; NaN where the solve fails."""
        out = self.observables(theta)
        values = jnp.stack([out[name] for name in self.family.observables])
        fitted = self.target_weights > 0
        safe = jnp.where(fitted, values, self.target_values)
        terms = target_terms(
            safe, self.target_values, self.target_weights, self.signed, self.softness
        )
        return jnp.where(out["status"] == 0, jnp.sum(terms), jnp.nan)


def _natural_of(kind: str, value: float) -> float:
    return math.log(value) if kind == "log" else value


def _theta_of(u: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    frac = np.clip((u - lo) / (hi - lo), 1e-9, 1.0 - 1e-9)
    return np.log(frac) - np.log1p(-frac)


def _check(family: ModelFamily, targets, free, weights, bounds, start_domain):
    targets = dict(family.default_targets if targets is None else targets)
    if not targets:
        raise ValueError("targets: give at least one {observable: value}")
    for name, value in targets.items():
        if name not in family.observables:
            raise ValueError(
                f"target {name!r}: not an observable of the {family.name} model; "
                f"allowed: {list(family.observables)}"
            )
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value != 0):
            raise ValueError(f"targets[{name!r}]={value!r}: must be a finite, non-zero number")
        if name not in family.signed_observables and value < 0:
            raise ValueError(f"targets[{name!r}]={value!r}: this observable is positive")
    free = tuple(free if free is not None else family.default_free)
    if not free or len(set(free)) != len(free):
        raise ValueError(f"free={free!r}: give distinct parameter names")
    for name in free:
        if name not in family.fit_coordinates:
            raise ValueError(
                f"free parameter {name!r}: not fittable in the {family.name} model; "
                f"allowed: {list(family.fit_coordinates)}"
            )
    weights = {name: 1.0 for name in targets} | dict(weights or {})
    for name, w in weights.items():
        if name not in targets or not (isinstance(w, (int, float)) and w > 0):
            raise ValueError(f"weights[{name!r}]={w!r}: a positive number for a target")
    for role, mapping in (("bounds", bounds), ("start_domain", start_domain)):
        for name, pair in (mapping or {}).items():
            if name not in free:
                raise ValueError(f"{role}[{name!r}]: not a free parameter ({list(free)})")
            if not (len(pair) == 2 and float(pair[0]) < float(pair[1])):
                raise ValueError(f"{role}[{name!r}]={pair!r}: give (low, high) with low < high")
    return targets, free, weights


def fit_family(
    model,
    targets: Mapping[str, float] | None = None,
    free: Sequence[str] | None = None,
    *,
    optimizer: str = "lbfgs",
    n_starts: int = 8,
    seed: int = 0,
    steps: int | None = None,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    tolerance: float = 0.01,
    weights: Mapping[str, float] | None = None,
    start_domain: Mapping[str, tuple[float, float]] | None = None,
    include_model: bool = True,
    learning_rate: float | None = None,
    softness: float = DEFAULT_SOFTNESS,
    fit_solve_options: Mapping[str, object] | None = None,
    solve_options: Mapping[str, object] | None = None,
    chunk_steps: int = 10,
    progress=None,
):
    """Fit the ``free`` parameters of a validation model so that its observables hit ``targets``.

    The arguments mean what they mean for :func:`jaxcogen.fit`; the defaults of ``targets`` and
    ``free`` are the family's (leptogenesis: ``Y_B`` = 8.7e-11 by ``epsilon_1``; freeze-out:
    ``Omega_h2`` = 0.12 by ``sigma_v``; freeze-in from decays: ``Omega_h2`` = 0.12 by
    ``Gamma``); bounds are intersected with the family's validity
    ranges; ``start_domain`` defaults to a decade around the model's value (log coordinates) or
    the value ± its modulus (linear). Returns a :class:`jaxcogen.FitResult` (``m_nu`` NaN).
    """
    wall_start = time.perf_counter()
    family = family_of(model)
    targets, free, weights = _check(family, targets, free, weights, bounds, start_domain)
    if isinstance(n_starts, bool) or not isinstance(n_starts, int) or n_starts < 1:
        raise ValueError(f"n_starts={n_starts!r}: must be a positive integer")
    if not (isinstance(chunk_steps, int) and chunk_steps >= 1):
        raise ValueError(f"chunk_steps={chunk_steps!r}: must be an integer >= 1")
    if not (0 < tolerance < 1):
        raise ValueError(f"tolerance={tolerance!r}: allowed range is (0, 1)")
    steps = DEFAULT_STEPS.get(optimizer, 60) if steps is None else steps
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps={steps!r}: must be a positive integer")
    settings = family.settings({"rtol": FIT_SOLVE_RTOL} | dict(fit_solve_options or {}), n_save=2)
    final_settings = family.settings(solve_options, n_save=2)

    kinds = tuple(family.fit_coordinates[name].kind for name in free)
    lo, hi = [], []
    for name, kind in zip(free, kinds, strict=True):
        c = family.fit_coordinates[name]
        low, high = c.lower, c.upper
        if bounds and name in bounds:
            low, high = max(low, float(bounds[name][0])), min(high, float(bounds[name][1]))
            if not low < high:
                raise ValueError(
                    f"bounds[{name!r}]: empty after intersecting with [{c.lower:g}, {c.upper:g}]"
                )
        if kind == "log" and low <= 0:
            low = high * 1e-30
        lo.append(_natural_of(kind, low))
        hi.append(_natural_of(kind, high))
    lo_arr, hi_arr = np.asarray(lo), np.asarray(hi)

    values = np.array([float(targets.get(o, 1.0)) for o in family.observables])
    w = np.array([float(weights[o]) if o in targets else 0.0 for o in family.observables])
    problem = FamilyFitProblem(
        base_model=model,
        lower=jnp.asarray(lo_arr),
        upper=jnp.asarray(hi_arr),
        target_values=jnp.asarray(values),
        target_weights=jnp.asarray(w),
        settings=settings,
        family_name=family.name,
        names=free,
        kinds=kinds,
        signed=tuple(o in family.signed_observables for o in family.observables),
        softness=float(softness),
    )

    # starts: the model itself, then uniform draws in the natural coordinates of start_domain
    rng = np.random.default_rng(seed)
    current = np.array(
        [
            _natural_of(k, float(np.asarray(family.get_parameter(model, n))))
            for n, k in zip(free, kinds, strict=True)
        ]
    )
    domain_lo, domain_hi = current.copy(), current.copy()
    for j, (name, kind) in enumerate(zip(free, kinds, strict=True)):
        if start_domain and name in start_domain:
            a, b = (_natural_of(kind, float(v)) for v in start_domain[name])
        elif kind == "log":
            a, b = current[j] - math.log(10.0), current[j] + math.log(10.0)
        else:
            half = abs(current[j]) if current[j] != 0 else 0.5 * (hi_arr[j] - lo_arr[j])
            a, b = current[j] - half, current[j] + half
        domain_lo[j], domain_hi[j] = max(a, lo_arr[j]), min(b, hi_arr[j])
    draws = rng.uniform(domain_lo, domain_hi, size=(n_starts, len(free)))
    if include_model:
        draws[0] = current
    thetas = _theta_of(draws, lo_arr, hi_arr)

    n_chunks = -(-steps // chunk_steps)
    config = OptimizerConfig(
        name=optimizer,
        learning_rate=DEFAULT_ADAM_LEARNING_RATE if learning_rate is None else learning_rate,
        decay_steps=n_chunks * chunk_steps,
    )
    config.build()  # validates the name
    goal = jnp.asarray(goal_loss(tolerance, min(weights.values())))
    states, loss_histories = optimize(
        problem, config, jnp.asarray(thetas), goal, n_chunks, chunk_steps, progress
    )
    best_loss_inner = np.asarray(states.best_loss)
    best_thetas = np.where(
        np.isfinite(best_loss_inner)[:, None], np.asarray(states.best_theta), thetas
    )

    # judge every start at the final settings
    final_problem = eqx.tree_at(lambda p: p.settings, problem, final_settings)
    finals = _final_observables(final_problem, jnp.asarray(best_thetas))
    physical = np.asarray(_physical(problem, jnp.asarray(best_thetas)))
    n = best_thetas.shape[0]
    losses, success, status = [], [], []
    for s in range(n):
        code = int(finals["status"][s])
        obs = {k: float(finals[k][s]) for k in family.observables}
        terms = [
            weights[k]
            * float(log_ratio(obs[k] / targets[k], k in family.signed_observables, softness)) ** 2
            for k in targets
        ]
        loss = float(sum(terms)) if code == 0 else math.inf
        losses.append(loss if math.isfinite(loss) else math.inf)
        ok = code == 0 and all(
            math.isfinite(obs[k]) and abs(obs[k] / targets[k] - 1.0) <= tolerance for k in targets
        )
        success.append(ok)
        if code != 0:
            status.append(solve_failure_text(code))
        else:
            status.append("converged" if bool(np.asarray(states.done)[s]) else "max_steps")
    losses_arr, success_arr = np.asarray(losses), np.asarray(success, dtype=bool)
    best = best_start(losses_arr, success_arr)
    best_model = jax.device_get(problem.model(jnp.asarray(best_thetas[best])))
    observables = {k: float(finals[k][best]) for k in family.observables}
    parameters = {name: float(physical[best, j]) for j, name in enumerate(free)}
    limits = tuple(
        f"{name} at its {'lower' if best_thetas[best, j] < 0 else 'upper'} bound"
        for j, name in enumerate(free)
        if abs(best_thetas[best, j]) > 15.0
    )
    verdict = verdict_text(
        bool(success_arr[best]),
        int(success_arr.sum()),
        n,
        tolerance,
        observables,
        targets,
        limits,
    )
    return FitResult(
        model=best_model,
        parameters=parameters,
        observables=observables,
        targets=dict(targets),
        m_nu=math.nan,
        loss=float(losses_arr[best]),
        success=bool(success_arr[best]),
        verdict=verdict,
        loss_history=loss_histories[best],
        best_start=best,
        start_losses=losses_arr,
        start_success=success_arr,
        start_status=tuple(status),
        start_parameters={name: physical[:, j] for j, name in enumerate(free)},
        loss_histories=loss_histories,
        active_limits=limits,
        optimizer=optimizer,
        n_steps=int(loss_histories.shape[1]),
        wall_time_s=time.perf_counter() - wall_start,
        tolerance=tolerance,
    )


@eqx.filter_jit
def _final_observables(problem: FamilyFitProblem, thetas):
    return jax.vmap(problem.observables)(thetas)


@eqx.filter_jit
def _physical(problem: FamilyFitProblem, thetas):
    return jax.vmap(problem.physical)(thetas)
