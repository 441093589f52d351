r""":func:`bound`: the smallest or largest value of a quantity over the viable region of a model.

The viable region is every point of the free parameters, within their limits, whose observables
satisfy the constraints :math:`|O_k/t_k-1|\le r_k`. :func:`bound` minimises (or maximises) the
quantity — a free parameter or an observable — over that region by an augmented Lagrangian
(:mod:`jaxcogen.bounds._problem`): per outer iteration, each start runs ``inner_steps`` optax
L-BFGS (or Adam) steps on :math:`\mathcal L_A(\theta;\lambda,\mu)` through the solver's exact
gradients (``jax.vmap`` over starts, ``lax.scan`` over steps, the step of
:mod:`jaxcogen.fitting._optimize`), then the multipliers and penalty are updated. Every start's
final point is re-solved at ``solve_options`` and judged there; the bound is the most extreme
*feasible* start. One-sided upper limits on derived quantities (the light-neutrino mass, the EFT's
estimated error, :math:`\Delta N_{\rm eff}`: the model's ``bound_upper_limits``) join the
constraints where the stage's solver settings compute them; inside the optimisation a model may
solve cheaper settings (its ``bound_solve_defaults``) and reach a constraint through a proxy
observable, as fits do. Two checks follow: the fresh solve of that point (``check``), and a dense grid
of its neighbourhood (``local``), which should hold no feasible point beyond the bound.
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from jaxcogen._interface import AbstractModel, model_type_of
from jaxcogen.bounds._problem import (
    DEFAULT_MARGIN,
    BoundProblem,
    band_edges,
    evaluate_parts,
    solve_at,
    solve_split,
    valid_at,
    with_multipliers,
)
from jaxcogen.bounds._projection import project_neighbours
from jaxcogen.bounds._space import (
    Coordinate,
    coordinates,
    model_u,
    theta_of_u,
    u_bounds,
)
from jaxcogen.fitting._loss import DEFAULT_SOFTNESS
from jaxcogen.fitting._optimize import OptimizerConfig, init_state, step

#: A parameter within this relative distance of a limit counts as on it (active).
ACTIVE_LIMIT_RTOL = 1e-3
#: A constraint is active when the observable is within this fraction of the band's half-width
#: from an edge.
ACTIVE_CONSTRAINT_FRACTION = 1e-2
#: Starts agree when their bounds differ by less than this (relative).
AGREE_RTOL = 1e-3
#: Multipliers are clipped to this size (a far-off start must not build up a huge one).
LAMBDA_MAX = 1e6
#: A start has settled when its largest violation (in band half-widths) is below this and its
#: objective and multipliers no longer move.
SETTLED_VIOLATION = 1e-5
#: A neighbouring point is "beyond" the bound when it is more extreme by this much (relative).
BEYOND_RTOL = 1e-9
#: Polishing widens the neighbourhood up to this multiple of ``check_width`` while it keeps
#: finding feasible points beyond the bound.
POLISH_MAX_WIDTH = 16.0
#: After each polishing step :math:`u\to u'`, the pattern move tries :math:`u'+f(u'-u)` for these
#: :math:`f` (:func:`_pattern_move`).
PATTERN_FACTORS = (1.0, 2.0, 4.0, 8.0)


@dataclasses.dataclass(frozen=True)
class BoundCheck:
    """The fresh solve of the bound point at ``solve_options``.

    Attributes:
        status: the solve's status (0: success).
        observables: every observable there.
        ratios: :math:`O_k/t_k` per constraint.
        satisfied: per constraint, :math:`|O_k/t_k-1|\\le r_k`, and per upper limit checked at
            these settings, :math:`q\\le q^{\\max}`.
        feasible: the solve succeeded, the point is valid and every constraint is satisfied.
        limit_values: every upper limit's :math:`q` at the point (those kept only inside the
            optimisation included, e.g. the EFT's estimated error).
    """

    status: int
    observables: dict[str, float]
    ratios: dict[str, float]
    satisfied: dict[str, bool]
    feasible: bool
    limit_values: dict[str, float] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class LocalCheck:
    """A dense look around the bound point: no feasible point should lie beyond the bound.

    Attributes:
        width: half-width of the neighbourhood (in :math:`\\ln p` for log parameters, relative
            for linear ones).
        n_points: points solved (a product grid, or random points when the grid is too big),
            limits respected.
        n_feasible: of those, the feasible ones.
        n_beyond: feasible points more extreme than the bound (expected 0).
        max_excess: the largest relative excess of a feasible point beyond the bound (0 if none).
    """

    width: float
    n_points: int
    n_feasible: int
    n_beyond: int
    max_excess: float


@dataclasses.dataclass(frozen=True)
class StartResults:
    """Each start's final point, judged at ``solve_options`` (arrays over starts); a start whose
    final point is infeasible but whose initial point is feasible reports its initial point.

    Attributes:
        values: the quantity at each start's final point.
        feasible: whether it satisfies the constraints on a fresh solve.
        violation: the largest :math:`|O_k/t_k-1|/r_k` (≤ 1 when feasible).
        parameters: the free parameters, by name.
        status: the fresh solve's status per start.
        outer_iterations: augmented-Lagrangian iterations run.
    """

    values: np.ndarray
    feasible: np.ndarray
    violation: np.ndarray
    parameters: dict[str, np.ndarray]
    status: np.ndarray
    outer_iterations: int


@dataclasses.dataclass(frozen=True)
class BoundResult:
    """The outcome of :func:`bound`.

    Attributes:
        quantity, sense: what was bounded (``"min"`` or ``"max"``).
        value: the bound (NaN if no start found a feasible point).
        found: a feasible point was found.
        model: the point attaining it.
        parameters: its free parameters, by name.
        observables: every observable there (fresh solve at ``solve_options``).
        constraints: ``{observable: (target, rel_tol)}``.
        limits: the limits used, ``{name: (low, high)}`` (physical range ∩ user limits).
        upper_limits: the upper limits kept, ``{quantity: maximum}`` (inside the optimisation,
            the final judgement, or both).
        active_constraints, active_limits: which constraints sit on a band edge or an upper
            limit, and which parameters on a limit (plain words).
        check: the fresh solve of the bound point (:class:`BoundCheck`).
        local: the neighbourhood check (:class:`LocalCheck`).
        starts: every start's result (:class:`StartResults`).
        best_start: the start that gave the bound.
        n_agree: feasible starts within 0.1 % of the best start's value.
        polish_steps: how many times the neighbourhood check held a feasible point beyond the
            best start and the bound moved there (at most ``polish_iterations``).
        verdict: one paragraph in plain words.
        wall_time_s: wall time of the whole call.
    """

    quantity: str
    sense: str
    value: float
    found: bool
    model: AbstractModel
    parameters: dict[str, float]
    observables: dict[str, float]
    constraints: dict[str, tuple[float, float]]
    limits: dict[str, tuple[float, float]]
    upper_limits: dict[str, float]
    active_constraints: tuple[str, ...]
    active_limits: tuple[str, ...]
    check: BoundCheck
    local: LocalCheck
    starts: StartResults
    best_start: int
    n_agree: int
    polish_steps: int
    verdict: str
    wall_time_s: float

    def to_dict(self) -> dict[str, Any]:
        """The result as plain JSON-ready values (NaN and infinities as strings, the bound point
        as a card ``{"model": ..., ...}``); ``jaxcogen bound --json`` prints this."""
        return {
            "quantity": self.quantity,
            "sense": self.sense,
            "value": _json_number(float(self.value)),
            "found": bool(self.found),
            "verdict": self.verdict,
            "parameters": {k: _json_number(float(v)) for k, v in self.parameters.items()},
            "observables": {k: _json_number(float(v)) for k, v in self.observables.items()},
            "constraints": {k: list(v) for k, v in self.constraints.items()},
            "limits": {k: [_json_number(float(x)) for x in v] for k, v in self.limits.items()},
            "upper_limits": {k: _json_number(float(v)) for k, v in self.upper_limits.items()},
            "limit_values": {k: _json_number(float(v)) for k, v in self.check.limit_values.items()},
            "active_constraints": list(self.active_constraints),
            "active_limits": list(self.active_limits),
            "check_feasible": bool(self.check.feasible),
            "local_check": {
                "points": self.local.n_points,
                "feasible": self.local.n_feasible,
                "beyond": self.local.n_beyond,
                "max_excess": self.local.max_excess,
            },
            "point": self.model.card() if hasattr(self.model, "card") else None,
            "polish_steps": self.polish_steps,
            "starts_feasible": int(self.starts.feasible.sum()),
            "starts": int(self.starts.feasible.size),
            "start_values": [_json_number(float(v)) for v in self.starts.values],
            "wall_time_s": self.wall_time_s,
        }


def _json_number(value: float) -> float | str:
    """JSON-safe float: NaN and infinities as strings."""
    return value if math.isfinite(value) else str(value)


# ---- input checks ---------------------------------------------------------------------------------


def _check_constraints(model_type, constraints) -> dict[str, tuple[float, float]]:
    constraints = dict(constraints or {})
    out = {}
    for name, pair in constraints.items():
        model_type.check_observable_name(name, "constraint")
        try:
            target, rel_tol = (float(v) for v in pair)
        except (TypeError, ValueError):
            raise ValueError(
                f"constraints[{name!r}]={pair!r}: give (target, relative tolerance)"
            ) from None
        if not (math.isfinite(target) and target != 0.0):
            raise ValueError(f"constraints[{name!r}]: target {target!r} must be finite, non-zero")
        if not model_type.observables[name].signed and target < 0:
            raise ValueError(f"constraints[{name!r}]: target {target!r}; {name} is positive")
        if not (0.0 < rel_tol < 1.0):
            raise ValueError(
                f"constraints[{name!r}]: relative tolerance {rel_tol!r}; allowed range is (0, 1)"
            )
        out[name] = (target, rel_tol)
    return out


def _is_derived_quantity(model, name: str) -> bool:
    """``name`` is a field of the model or a property of its class (``m_nu``, ``eft_error``):
    something that is a number at every point, not a method or a static switch."""
    fields = {f.name for f in dataclasses.fields(model)}
    return name in fields or isinstance(getattr(type(model), name, None), property)


def check_upper_limits(model, upper_limits) -> dict[str, float]:
    """The model's ``bound_upper_limits`` updated by ``upper_limits`` (a value ``None`` removes
    one); each name must be an observable or an attribute of the model."""
    model_type = model_type_of(model)
    out = dict(model_type.bound_upper_limits)
    for name, value in dict(upper_limits or {}).items():
        if not isinstance(name, str) or not (
            name in model_type.observables or _is_derived_quantity(model, name)
        ):
            raise ValueError(
                f"upper_limits[{name!r}]: not an observable or a derived quantity of the "
                f"{model_type.name} model (observables: {', '.join(model_type.observables)}; "
                f"defaults: {', '.join(model_type.bound_upper_limits) or 'none'})"
            )
        if value is None:
            out.pop(name, None)
            continue
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"upper_limits[{name!r}]={value!r}: must be a number") from None
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"upper_limits[{name!r}]={value!r}: must be finite and > 0")
        out[name] = value
    return out


def _limits_in(model_type, upper_limits, settings) -> dict[str, tuple[float, bool]]:
    """``{name: (maximum, is a model attribute)}`` for the upper limits the solver ``settings``
    compute: an observable the stage solves (``loss_observables``), or a model attribute (off
    when it is a fit limit the settings switch off, ``active_fit_limits``)."""
    computed = set(model_type.loss_observables(settings))
    fit_quantities = {lim.quantity: key for key, lim in model_type.fit_limits.items()}
    active = set(model_type.active_fit_limits(settings))
    out = {}
    for name, value in upper_limits.items():
        if name in model_type.observables:
            if name in computed:
                out[name] = (value, False)
        elif name not in fit_quantities or fit_quantities[name] in active:
            out[name] = (value, True)
    return out


def _source(model_type, name, computed) -> str | None:
    """The observable constraint ``name`` is computed from when the solver computes
    ``computed``: its own, else its fit proxy's; ``None`` when neither is computed."""
    if name in computed:
        return name
    proxy = model_type.fit_proxies.get(name)
    return proxy.observable if proxy is not None and proxy.observable in computed else None


def _reachable(model_type, constraints, settings) -> dict[str, tuple[float, float]]:
    """The ``constraints`` the solver ``settings`` compute, directly or through a fit proxy
    (e.g. the asymmetric fraction of today's relic needs the late-universe stage: a production-only
    optimisation leaves it to the final solves, which judge every constraint)."""
    computed = set(model_type.loss_observables(settings))
    return {
        name: band
        for name, band in constraints.items()
        if _source(model_type, name, computed) is not None
    }


def _sources(model_type, constraints, settings) -> tuple[str, ...]:
    """The observable each constraint is computed from with ``settings``: its own, or its fit
    proxy where the settings do not compute it (``ValueError`` where neither is computed)."""
    computed = set(model_type.loss_observables(settings))
    out = []
    for name in constraints:
        used = _source(model_type, name, computed)
        if used is None:
            raise ValueError(
                f"constraint {name!r}: not computed with the solver settings "
                f"{dict(model_type.settings_record(settings))}; pass other solve options"
            )
        out.append(used)
    return tuple(out)


def _inner_options(model_type, solve_options, inner_solve_options, constraints, free):
    """The solver options inside the optimisation: ``inner_solve_options``; else
    ``solve_options``; else the model's ``bound_solve_defaults`` (None: its solve defaults),
    where a proxied constraint whose proxy ignores a free parameter is computed exactly (its
    proxy's ``check_options`` added, as in fits)."""
    if inner_solve_options is not None:
        return inner_solve_options
    if solve_options is not None or model_type.bound_solve_defaults is None:
        return solve_options
    return dict(model_type.bound_solve_defaults) | model_type.exact_proxy_options(constraints, free)


def _check_quantity(model_type, quantity, free) -> tuple[int, str]:
    """``(free index or -1, "parameter" | "observable")``."""
    if not isinstance(quantity, str):
        raise ValueError(f"quantity={quantity!r}: give a free parameter or an observable name")
    if quantity in free:
        return free.index(quantity), "parameter"
    if quantity in model_type.observables:
        return -1, "observable"
    if quantity in model_type.parameter_names():
        raise ValueError(
            f"quantity {quantity!r} is a fixed parameter: add it to free={list(free)} to bound it"
        )
    candidates = list(free) + list(model_type.observables)
    close = difflib.get_close_matches(quantity, candidates, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ValueError(
        f"unknown quantity {quantity!r}{hint}; allowed: a free parameter {list(free)} or an "
        f"observable {list(model_type.observables)}"
    )


def _positive_int(name, value, minimum=1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name}={value!r}: must be an integer >= {minimum}")
    return value


# ---- the optimiser --------------------------------------------------------------------------------


@eqx.filter_jit
def _inner(problem: BoundProblem, config: OptimizerConfig, thetas, lam, mu, n_steps: int):
    """``n_steps`` optimiser steps of every start on its own :math:`\\mathcal L_A` (vmapped)."""
    goal = jnp.asarray(-jnp.inf)

    def one(theta, lam_s, mu_s):
        p = with_multipliers(problem, lam_s, mu_s)
        state = init_state(p, config, theta)

        def body(carry, _):
            return step(p, config, carry, goal)

        state, losses = jax.lax.scan(body, state, None, length=n_steps)
        return state.best_theta, state.best_loss, losses

    return jax.vmap(one)(thetas, lam, mu)


def _given_starts(starts, coords: Sequence[Coordinate]) -> np.ndarray:
    """``starts`` (``{free name: values}``) as coordinates ``u``, shape (k, p); ValueError on bad input."""
    names = [c.name for c in coords]
    if not isinstance(starts, Mapping):
        raise ValueError(f"starts: give {{name: values}} for the free parameters {names}")
    missing = [n for n in names if n not in starts]
    unknown = [n for n in starts if n not in names]
    if missing or unknown:
        raise ValueError(
            f"starts: give values for exactly the free parameters {names}"
            + (f"; missing {missing}" if missing else "")
            + (f"; not free {unknown}" if unknown else "")
        )
    columns = [np.atleast_1d(np.asarray(starts[n], dtype=float)) for n in names]
    lengths = {column.shape for column in columns}
    if len(lengths) != 1 or columns[0].ndim != 1 or columns[0].size == 0:
        raise ValueError("starts: every parameter needs the same number (>= 1) of values, 1-D")
    for c, column in zip(coords, columns, strict=True):
        if not np.all(np.isfinite(column)):
            raise ValueError(f"starts[{c.name!r}]: non-finite value")
        outside = (column < c.lower) | (column > c.upper)
        if outside.any():
            raise ValueError(
                f"starts[{c.name!r}]={float(column[outside][0])!r}: outside its limits "
                f"[{c.lower:g}, {c.upper:g}]"
            )
    return np.stack(
        [[c.to_u(v) for v in column] for c, column in zip(coords, columns, strict=True)], axis=1
    )


def _draw_starts(problem, coords, model, n_starts, rng, include_model, given=None) -> np.ndarray:
    """Start coordinates ``u``: the ``given`` ones first (at most ``n_starts``), then the model's
    own point (``include_model``, if valid), then uniform draws in the box, valid ones first (no
    solve needed)."""
    u_lo, u_hi = u_bounds(coords)
    n_candidates = max(16 * n_starts, 64)
    candidates = rng.uniform(u_lo, u_hi, size=(n_candidates, len(coords)))
    valid = np.asarray(valid_at(problem, jnp.asarray(candidates)))
    order = np.argsort(~valid, kind="stable")
    chosen = [] if given is None else list(np.asarray(given)[:n_starts])
    if include_model and len(chosen) < n_starts:
        own = model_u(model, coords)
        if np.all(np.isfinite(own)) and bool(
            np.asarray(valid_at(problem, jnp.asarray(own[None])))[0]
        ):
            chosen.append(own)
    drawn = candidates[order[: n_starts - len(chosen)]]
    return np.concatenate([np.reshape(chosen, (-1, len(coords))), drawn], axis=0)


def _run(problem, config, thetas, outer_iterations, inner_steps, mu0, mu_max):
    """The outer augmented-Lagrangian loop (:mod:`jaxcogen.bounds._problem`); returns the final
    θ (free coordinates then slacks) and the iterations run."""
    n_starts = thetas.shape[0]
    n_b = len(problem.constraint_names)
    n_c = problem.n_slacks
    thetas = jnp.asarray(thetas)
    half = np.asarray(problem.violation_scale())
    if n_c:
        # start each slack where the point is (no initial violation inside a band or below a
        # limit): θ's slacks are zero here, so c is h_k g_k for a band and ln(q/q_max)+δ for a limit
        _, c0, ok = (np.asarray(a) for a in evaluate_parts(problem, thetas))
        g = np.where(ok[:, None], c0[:, :n_b] / half[:n_b], 0.0)
        eta = np.arctanh(np.clip(g / float(problem.band), -0.95, 0.95))
        zeta = np.sqrt(np.maximum(np.where(ok[:, None], -c0[:, n_b:], 0.0), 0.0))
        thetas = thetas.at[:, -n_c:].set(jnp.asarray(np.concatenate([eta, zeta], axis=1)))
    lam = np.zeros((n_starts, n_c))
    mu = np.full((n_starts,), float(mu0))
    viol_prev = np.full(n_starts, np.inf)
    J_prev = np.full(n_starts, np.nan)
    it = 0
    for it in range(1, outer_iterations + 1):
        new, best_loss, _ = _inner(
            problem, config, thetas, jnp.asarray(lam), jnp.asarray(mu), inner_steps
        )
        moved = np.isfinite(np.asarray(best_loss))
        thetas = jnp.where(jnp.asarray(moved)[:, None], new, thetas)
        J, c, ok = (np.asarray(a) for a in evaluate_parts(problem, thetas))
        viol = np.where(ok, np.max(np.abs(c) / half, axis=1, initial=0.0), np.inf)
        lam_new = np.where(
            ok[:, None], np.clip(lam + mu[:, None] * c, -LAMBDA_MAX, LAMBDA_MAX), lam
        )
        stalled = ok & (viol > 0.25 * viol_prev) & (viol > 10.0 * SETTLED_VIOLATION)
        mu = np.where(stalled, np.minimum(10.0 * mu, mu_max), mu)
        settled = ~ok | (
            (viol <= SETTLED_VIOLATION)
            & (np.abs(J - J_prev) <= 1e-8 * np.maximum(1.0, np.abs(J)))
            & np.all(np.abs(lam_new - lam) <= 1e-6 * (1.0 + np.abs(lam)), axis=1)
        )
        lam, J_prev, viol_prev = lam_new, J, np.where(ok, viol, np.inf)
        if it >= 2 and settled.all():
            break
    return thetas, it


# ---- judging --------------------------------------------------------------------------------------


def _quantity_values(quantity, index, us, outs, log_mask) -> np.ndarray:
    if index >= 0:
        u = us[:, index]
        return np.exp(u) if log_mask[index] else u
    return np.asarray(outs[quantity], dtype=float)


def _violations(outs, constraints, n, limits=None) -> np.ndarray:
    """The largest :math:`|O_k/t_k-1|/r_k` per point, and :math:`\\ln(q_l/q_l^{\\max})/\\delta` of
    each upper limit (δ the default margin) where positive (∞ where a value is not finite)."""
    worst = np.zeros(n)
    for name, (target, rel_tol) in constraints.items():
        q = np.asarray(outs[name], dtype=float) / target
        v = np.where(np.isfinite(q), np.abs(q - 1.0) / rel_tol, np.inf)
        worst = np.maximum(worst, v)
    for name, q_max in (limits or {}).items():
        q = np.asarray(outs[name], dtype=float) / q_max
        v = np.where(np.isfinite(q), np.log(np.maximum(q, 1e-300)) / DEFAULT_MARGIN, np.inf)
        worst = np.maximum(worst, v)
    return worst


def _feasible(outs, constraints, n, limits=None) -> np.ndarray:
    ok = (np.asarray(outs["status"]) == 0) & np.asarray(outs["valid"], dtype=bool)
    for name, (target, rel_tol) in constraints.items():
        q = np.asarray(outs[name], dtype=float) / target
        ok &= np.isfinite(q) & (q >= 1.0 - rel_tol) & (q <= 1.0 + rel_tol)
    for name, q_max in (limits or {}).items():
        q = np.asarray(outs[name], dtype=float)
        ok &= np.isfinite(q) & (q <= q_max)
    return ok


def _half_widths(center, coords, width) -> np.ndarray:
    """The neighbourhood's half-width per coordinate: ``width`` in :math:`\\ln p`, relative for a
    linear parameter."""
    return np.array(
        [
            width if c.scale == "log" else width * max(abs(center[j]), 1e-6 * (c.upper - c.lower))
            for j, c in enumerate(coords)
        ]
    )


def _grid(center, coords, width, points, max_points, rng) -> np.ndarray:
    """Neighbourhood of ``center`` (coordinates u) within the limits."""
    half = _half_widths(center, coords, width)
    d = len(coords)
    if points**d <= max_points:
        axes = [np.linspace(-1.0, 1.0, points)] * d
        offsets = np.array(list(itertools.product(*axes)))
    else:
        offsets = rng.uniform(-1.0, 1.0, size=(max_points, d))
        offsets[0] = 0.0
    us = center + offsets * half
    u_lo, u_hi = u_bounds(coords)
    inside = np.all((us >= u_lo) & (us <= u_hi), axis=1)
    return us[inside]


def _solve_padded(problem, us, size) -> dict[str, np.ndarray]:
    """The rows ``us`` solved as a scan solves them (:func:`solve_split`), padded to the smallest
    of ``size``, ``size // 2``, ``size // 4``, … that holds them: the looks around a bound, whose
    numbers of points vary, share a few compiled programs."""
    n = len(us)
    while size // 2 >= max(n, 1):
        size //= 2
    return solve_split(problem, us, max(size, n))


def _bands(problem, constraints) -> dict[str, tuple[float, float, float, bool]]:
    """``{observable: (target, mid, half, signed)}`` of each constraint (for the projection)."""
    return {
        name: (constraints[name][0], float(m), float(h), signed)
        for name, m, h, signed in zip(
            problem.constraint_names,
            np.asarray(problem.mid),
            np.asarray(problem.half),
            problem.signed,
            strict=True,
        )
    }


def _with_projected(problem, coords, constraints, index, center, width, us, outs, size, **rows):
    """The points ``us`` (solved: ``outs``) and, after them, those that miss a constraint moved
    onto it by the linear model of their solves (:func:`project_neighbours`; ``rows``: its
    ``fit``/``move`` masks), solved afresh in batches of ``size``."""
    u_lo, u_hi = u_bounds(coords)
    moved = project_neighbours(
        center,
        us,
        outs,
        _half_widths(center, coords, width),
        _bands(problem, constraints),
        _judged_limits(problem),
        [index] if index >= 0 else [],
        u_lo,
        u_hi,
        DEFAULT_MARGIN,
        problem.softness,
        **rows,
    )
    if not len(moved):
        return us, outs
    more = _solve_padded(problem, moved, size)
    return np.concatenate([us, moved]), {k: np.concatenate([outs[k], more[k]]) for k in outs}


def _excess(problem, constraints, quantity, index, sign, value, us, outs):
    """``(feasible, values, excess)`` of solved points: the relative amount by which each
    feasible point is more extreme than ``value`` (``-inf`` where not feasible)."""
    feasible = _feasible(outs, constraints, len(us), _judged_limits(problem))
    values = _quantity_values(quantity, index, us, outs, problem.log_mask)
    scale = max(abs(value), 1e-300)
    excess = np.where(feasible & np.isfinite(values), sign * (value - values) / scale, -np.inf)
    return feasible, values, excess


def _local_check(
    problem,
    coords,
    constraints,
    quantity,
    index,
    sign,
    center,
    value,
    width,
    points,
    max_points,
    rng,
    project: bool = True,
    return_solves: bool = False,
) -> tuple:
    """The neighbourhood check of ``center`` (:class:`LocalCheck`), and the most extreme feasible
    neighbour beyond the bound: its coordinates, value and fresh solve's outputs at the check's
    settings (``None`` when there is none). With ``project``, the neighbours that miss a
    constraint are moved onto it by the local linear model of the grid's solves
    (:mod:`jaxcogen.bounds._projection`), solved afresh and checked with the others."""
    us = _grid(center, coords, width, points, max_points, rng)
    size = min(points ** len(coords), max_points)  # the grid's size before the limits cut it
    outs = _solve_padded(problem, us, size)
    if project:
        us, outs = _with_projected(
            problem, coords, constraints, index, center, width, us, outs, size
        )
    feasible, values, excess = _excess(problem, constraints, quantity, index, sign, value, us, outs)
    beyond = excess > BEYOND_RTOL
    check = LocalCheck(
        width=float(width),
        n_points=len(us),
        n_feasible=int(feasible.sum()),
        n_beyond=int(beyond.sum()),
        max_excess=float(excess[beyond].max()) if beyond.any() else 0.0,
    )
    solves = ((us, outs),) if return_solves else ()
    if not beyond.any():
        return (check, None, None, None, *solves)
    k = int(np.argmax(excess))
    return (check, us[k], float(values[k]), {name: v[k] for name, v in outs.items()}, *solves)


def _pattern_move(problem, coords, constraints, quantity, index, sign, u_from, u_to, value, look):
    r"""A pattern move of polishing (Hooke & Jeeves, J. ACM 8 (1961) 212): after a step
    :math:`u_{\rm from}\to u_{\rm to}` to a feasible neighbour more extreme than the bound,
    try the points :math:`u_{\rm to}+f\,(u_{\rm to}-u_{\rm from})` for :math:`f` in
    :data:`PATTERN_FACTORS` (clipped to the limits), and those of them that miss a constraint
    moved onto it by the linear model of the last look's grid (``look = (us, outs, centre,
    width)``; :func:`~jaxcogen.bounds._projection.project_neighbours`, the bounded parameter
    kept). Each is solved afresh at the final settings and judged like a neighbour. On a smooth
    viable surface the direction of one step holds for several, so a look's step of a few per
    cent becomes one of up to 9x that for a handful of solves instead of a look's ~10^3.

    Returns ``(u, value, outputs)`` of the most extreme feasible point beyond ``value`` (by more
    than :data:`BEYOND_RTOL`), or ``None``."""
    u_lo, u_hi = u_bounds(coords)
    direction = np.asarray(u_to) - np.asarray(u_from)
    candidates = np.clip(u_to + np.outer(PATTERN_FACTORS, direction), u_lo, u_hi)
    outs = _solve_padded(problem, candidates, len(PATTERN_FACTORS))
    look_us, look_outs, center, width = look
    n_look = len(look_us)
    rows = np.arange(n_look + len(candidates))
    us, outs = _with_projected(
        problem,
        coords,
        constraints,
        index,
        center,
        width,
        np.concatenate([look_us, candidates]),
        {k: np.concatenate([look_outs[k], outs[k]]) for k in outs},
        len(PATTERN_FACTORS),
        fit=rows < n_look,
        move=rows >= n_look,
    )
    candidates, outs = us[n_look:], {k: v[n_look:] for k, v in outs.items()}
    _, values, excess = _excess(
        problem, constraints, quantity, index, sign, value, candidates, outs
    )
    if not (excess > BEYOND_RTOL).any():
        return None
    k = int(np.argmax(excess))
    return candidates[k], float(values[k]), {name: v[k] for name, v in outs.items()}


def _physical_parameters(coords, log_mask, u) -> dict[str, float]:
    """``{name: value}`` of the free parameters at the coordinates ``u``."""
    return {c.name: float(np.exp(u[j]) if log_mask[j] else u[j]) for j, c in enumerate(coords)}


def _active_limits(coords: Sequence[Coordinate], params: dict[str, float]) -> tuple[str, ...]:
    out = []
    for c in coords:
        p = params[c.name]
        for side, lim in (("lower", c.lower), ("upper", c.upper)):
            if c.scale == "log":
                near = p > 0 and abs(math.log(p / lim)) <= ACTIVE_LIMIT_RTOL
            else:
                ref = abs(lim) if lim != 0 else (c.upper - c.lower)
                near = abs(p - lim) <= ACTIVE_LIMIT_RTOL * ref
            if near:
                out.append(f"{c.name} at its {side} limit {lim:.6g}")
    return tuple(out)


def _judged_limits(problem: BoundProblem) -> dict[str, float]:
    """``{name: maximum}`` of the upper limits ``problem`` computes."""
    return {
        n: float(v) for n, v in zip(problem.limit_names, np.asarray(problem.limit_max), strict=True)
    }


def _active_upper_limits(limit_values, upper_limits, judged=None) -> tuple[str, ...]:
    """Upper limits the point sits on (within :math:`3\\delta`, log, of the maximum); a limit kept
    only inside the optimisation (not in ``judged``) that the point exceeds — polishing moves on
    the final solves, which do not keep it — is named as passed."""
    out = []
    for name, q in limit_values.items():
        q_max = upper_limits[name]
        if not (math.isfinite(q) and q > 0):
            continue
        if judged is not None and name not in judged and q > q_max:
            out.append(
                f"{name} = {q:.3g}, past the optimisation's limit {q_max:.6g} (the final "
                "solves, which decide feasibility, do not keep it)"
            )
        elif math.log(q / q_max) >= -3 * DEFAULT_MARGIN:
            out.append(f"{name} at its upper limit {q_max:.6g}")
    return tuple(out)


def _active_constraints(ratios, constraints) -> tuple[str, ...]:
    out = []
    for name, (target, rel_tol) in constraints.items():
        q = ratios[name]
        if not math.isfinite(q):
            continue
        if (1.0 + rel_tol) - q <= ACTIVE_CONSTRAINT_FRACTION * rel_tol:
            out.append(f"{name} at its upper edge {target * (1 + rel_tol):.6g}")
        elif q - (1.0 - rel_tol) <= ACTIVE_CONSTRAINT_FRACTION * rel_tol:
            out.append(f"{name} at its lower edge {target * (1 - rel_tol):.6g}")
    return tuple(out)


def _verdict(result_fields) -> str:
    f = result_fields
    what = f"{f['sense']} {f['quantity']}"
    if not f["found"]:
        return (
            f"No bound: none of the {f['n_starts']} starts reached a point satisfying every "
            f"constraint (closest: worst constraint off by {f['closest']:.3g} of its tolerance). "
            f"The viable region may be empty within the limits, or more starts or iterations "
            f"are needed."
        )
    where = []
    if f["active_constraints"]:
        where.append(", ".join(f["active_constraints"]))
    if f["active_limits"]:
        where.append(", ".join(f["active_limits"]))
    where_text = f", attained with {' and '.join(where)}" if where else " (an interior point)"
    check = (
        "the point satisfies every constraint on a fresh solve"
        if f["check_ok"]
        else "but the fresh solve of the point does NOT satisfy every constraint"
    )
    local = f["local"]
    local_text = (
        f"local check: {local.n_beyond} of {local.n_points} neighbouring points "
        f"({local.n_feasible} feasible) go beyond the bound"
    )
    if f.get("polish_steps"):
        local_text = (
            f"the bound moved {f['polish_steps']} time(s) to a feasible neighbour beyond the "
            f"optimiser's point; {local_text}"
        )
    if local.n_beyond:
        local_text += f" (by up to {local.max_excess:.2g} relative: the bound is not tight there)"
    return (
        f"{what} = {f['value']:.6g}{where_text}; {check}; {f['n_feasible']} of {f['n_starts']} "
        f"starts feasible, {f['n_agree']} agree within {AGREE_RTOL:.1%}; {local_text}."
    )


# ---- the public function ------------------------------------------------------------------------


def make_problem(
    model: AbstractModel,
    quantity: str,
    sense: str,
    constraints: Mapping[str, tuple[float, float]],
    coords: Sequence[Coordinate],
    settings,
    *,
    mu0: float = 1.0,
    margin: float = DEFAULT_MARGIN,
    upper_limits: Mapping[str, float] | None = None,
) -> BoundProblem:
    """The :class:`~jaxcogen.bounds._problem.BoundProblem` of a bound (checked inputs: see
    :func:`bound`); multipliers zero, penalty ``mu0``. ``upper_limits`` (``{name: maximum}``,
    checked): those the ``settings`` compute join the constraints; constraints the settings do
    not compute are reached through the model's fit proxies."""
    model_type = model_type_of(model)
    kept = _limits_in(model_type, dict(upper_limits or {}), settings)
    sources = _sources(model_type, constraints, settings)
    free = tuple(c.name for c in coords)
    index, kind = _check_quantity(model_type, quantity, free)
    log_mask = tuple(c.scale == "log" for c in coords)
    if kind == "parameter":
        quantity_log = log_mask[index]
        obj_scale = 1.0 if quantity_log else coords[index].upper - coords[index].lower
    else:
        quantity_log = not model_type.observables[quantity].signed
        obj_scale = 1.0
    names = tuple(constraints)
    signed = tuple(model_type.observables[n].signed for n in names)
    bands = [band_edges(constraints[n][1], s) for n, s in zip(names, signed, strict=True)]
    u_lo, u_hi = u_bounds(coords)
    sign = 1.0 if sense == "min" else -1.0
    problem = BoundProblem(
        base_model=model,
        settings=settings,
        u_lo=jnp.asarray(u_lo),
        u_hi=jnp.asarray(u_hi),
        targets=jnp.asarray([constraints[n][0] for n in names], dtype=float).reshape(-1),
        mid=jnp.asarray([b[0] for b in bands], dtype=float).reshape(-1),
        half=jnp.asarray([b[1] for b in bands], dtype=float).reshape(-1),
        lam=jnp.zeros((len(names) + len(kept),)),
        mu=jnp.asarray(float(mu0)),
        band=jnp.asarray(1.0 - margin),
        sign=jnp.asarray(sign),
        obj_scale=jnp.asarray(obj_scale),
        names=free,
        log_mask=log_mask,
        constraint_names=names,
        signed=signed,
        quantity=quantity,
        quantity_index=index,
        quantity_log=quantity_log,
        softness=DEFAULT_SOFTNESS,
        sources=sources,
        limit_max=jnp.asarray([v for v, _ in kept.values()], dtype=float).reshape(-1),
        limit_names=tuple(kept),
        limit_on_model=tuple(on_model for _, on_model in kept.values()),
    )
    return problem


def bound(
    model: AbstractModel,
    quantity: str,
    sense: str = "min",
    constraints: Mapping[str, tuple[float, float]] | None = None,
    free: Sequence[str] | None = None,
    limits: Mapping[str, tuple[float, float]] | None = None,
    *,
    n_starts: int = 8,
    seed: int = 0,
    include_model: bool = True,
    optimizer: str = "lbfgs",
    outer_iterations: int = 20,
    inner_steps: int = 30,
    mu0: float = 1.0,
    mu_max: float = 1e4,
    margin: float = DEFAULT_MARGIN,
    solve_options: Mapping[str, object] | None = None,
    inner_solve_options: Mapping[str, object] | None = None,
    upper_limits: Mapping[str, object] | None = None,
    check_width: float = 0.02,
    check_points: int = 7,
    check_max_points: int = 729,
    polish_iterations: int = 20,
    pattern_moves: bool = True,
    starts: Mapping[str, Sequence[float]] | None = None,
    progress: Callable[[str], Any] | None = None,
    on_polish_step: Callable[[dict[str, float], float], Any] | None = None,
) -> BoundResult:
    r"""The minimum or maximum of ``quantity`` over the viable region (module docstring).

    Args:
        model: the base point (any :class:`~jaxcogen._interface.AbstractModel`); parameters
            not in ``free`` stay at its values.
        quantity: a free parameter or an observable of the model.
        sense: ``"min"`` or ``"max"``.
        constraints: ``{observable: (target, rel_tol)}``: :math:`|O/t-1|\le r` (default: none).
        free: the parameters moved (default: the model's ``default_free``).
        limits: ``{name: (low, high)}`` intersected with each parameter's physical range (the
            result must be finite).
        n_starts, seed, include_model: multi-start set-up: uniform draws in the coordinates
            :math:`u` within the limits (valid points first), the model's own point as the
            first start when ``include_model`` and valid.
        starts: ``{free name: values}``, starting points of your own (e.g. viable points from a
            scan: :func:`jaxcogen.bounds.seed_starts`), used first — before the model's own
            point and the draws; at most ``n_starts`` of them are used. Each must lie within the
            limits.
        optimizer: the inner optimiser, ``"lbfgs"`` or ``"adam"``.
        outer_iterations, inner_steps, mu0, mu_max: augmented-Lagrangian budget and penalty.
        margin: the band the optimiser aims for is shrunk by this fraction of its half-width.
        solve_options: solver settings of the final judgement and the checks (model defaults).
        inner_solve_options: solver settings inside the optimisation (default:
            ``solve_options`` when given, else the model's ``bound_solve_defaults`` — for the
            cogenesis model the fits' production-stage settings, today's relic through the
            asymmetric-relic proxy unless κ or m_φ is free — else the model defaults).
        upper_limits: ``{quantity: maximum}`` updating the model's ``bound_upper_limits``
            (``None`` as a value removes one): one-sided limits on an observable or a derived
            quantity, each kept in the stages whose settings compute it (cogenesis:
            ``m_nu`` ≤ 1e-10 GeV, ``eft_error`` ≤ 1e-2 while the optimisation integrates the
            EFT, ``Delta_N_eff`` ≤ 0.286 where the late-universe stage runs).
        check_width, check_points, check_max_points: the neighbourhood check (:class:`LocalCheck`).
        polish_iterations: while the neighbourhood check finds feasible points beyond the bound,
            the bound moves to the most extreme of them (solved afresh in the check, at the
            final settings) and looks again, at most this many times (0: report the optimiser's
            point as it is). The check also solves its neighbours that miss a constraint moved
            onto it by a local linear model of the grid's solves
            (:mod:`jaxcogen.bounds._projection`); after a step of at least a quarter of its
            width the neighbourhood doubles (up to ``POLISH_MAX_WIDTH`` × ``check_width``), and
            it halves back when it holds nothing beyond; the reported check is at
            ``check_width``.
        pattern_moves: after each polishing step, also try points further along its
            direction (up to 9x the step, :data:`PATTERN_FACTORS`; misses projected onto the
            constraints), a handful of solves; the most extreme feasible one is a further step
            (Hooke–Jeeves; each counts towards ``polish_iterations``).
        progress: called with a line of text after the optimisation and after each polishing
            look (e.g. ``print``; default: silent).
        on_polish_step: called after each polishing step with the new point's free
            parameters ``{name: value}`` (physical units) and its value of ``quantity``, e.g. to
            store it, so that a stopped run can continue from there.

    Returns:
        a :class:`BoundResult`. ``ValueError`` on bad input (unknown names, empty or infinite
        limits, tolerances outside (0, 1), …).
    """
    wall_start = time.perf_counter()
    model_type = model_type_of(model)
    if sense not in ("min", "max"):
        raise ValueError(f"sense={sense!r}: allowed values are 'min', 'max'")
    free = tuple(model_type.default_free if free is None else free)
    coords = coordinates(model, free, limits)
    constraints = _check_constraints(model_type, constraints)
    index, kind = _check_quantity(model_type, quantity, free)
    n_starts = _positive_int("n_starts", n_starts)
    outer_iterations = _positive_int("outer_iterations", outer_iterations)
    inner_steps = _positive_int("inner_steps", inner_steps)
    check_points = _positive_int("check_points", check_points, 2)
    check_max_points = _positive_int("check_max_points", check_max_points)
    polish_iterations = _positive_int("polish_iterations", polish_iterations, 0)
    if not isinstance(pattern_moves, bool):
        raise ValueError(f"pattern_moves={pattern_moves!r}: must be True or False")
    if not (0.0 <= margin < 1.0):
        raise ValueError(f"margin={margin!r}: allowed range is [0, 1)")
    if not (check_width > 0 and math.isfinite(check_width)):
        raise ValueError(f"check_width={check_width!r}: must be a positive number")
    if not (mu0 > 0 and mu_max >= mu0):
        raise ValueError(f"mu0={mu0!r}, mu_max={mu_max!r}: need 0 < mu0 <= mu_max")
    config = OptimizerConfig(name=optimizer, decay_steps=inner_steps)
    config.build()  # validates the name
    upper = check_upper_limits(model, upper_limits)
    given_starts = None if starts is None else _given_starts(starts, coords)
    final_settings = model_type.solve_settings(solve_options, n_save=2)
    inner_settings = model_type.solve_settings(
        _inner_options(model_type, solve_options, inner_solve_options, constraints, free),
        n_save=2,
    )

    def problem_at(settings, kept_constraints):
        return make_problem(
            model,
            quantity,
            sense,
            kept_constraints,
            coords,
            settings,
            mu0=mu0,
            margin=margin,
            upper_limits=upper,
        )

    # every constraint is judged at the final settings (ValueError where they do not compute
    # it); the optimisation keeps those its own settings reach, directly or through a proxy
    final_problem = problem_at(final_settings, constraints)
    problem = problem_at(inner_settings, _reachable(model_type, constraints, inner_settings))
    log_mask, sign = problem.log_mask, float(problem.sign)
    u_lo, u_hi = u_bounds(coords)
    quantity_log = problem.quantity_log
    judged = _judged_limits(final_problem)
    kept_limits = {n: upper[n] for n in (*problem.limit_names, *final_problem.limit_names)}

    rng = np.random.default_rng(seed)
    u_starts = _draw_starts(problem, coords, model, n_starts, rng, include_model, given_starts)
    if kind == "observable" and not quantity_log:
        # a signed observable is optimised in units of its typical size at the starts
        first = np.abs(np.asarray(solve_at(final_problem, jnp.asarray(u_starts))[quantity]))
        typical = float(np.median(first[np.isfinite(first)])) if np.isfinite(first).any() else 1.0
        scale = jnp.asarray(typical if typical > 0 else 1.0)
        problem = eqx.tree_at(lambda p: p.obj_scale, problem, scale)
        final_problem = eqx.tree_at(lambda p: p.obj_scale, final_problem, scale)

    thetas0 = np.concatenate(
        [theta_of_u(u_starts, u_lo, u_hi), np.zeros((n_starts, problem.n_slacks))], axis=1
    )
    thetas, n_outer = _run(problem, config, thetas0, outer_iterations, inner_steps, mu0, mu_max)

    # judge every start at the final settings: where it ended, or where it began if only that is
    # feasible (the optimiser may leave a feasible start and not come back within its budget)
    us = np.asarray(jax.vmap(problem.u)(thetas))
    outs = {k: np.asarray(v) for k, v in solve_at(final_problem, jnp.asarray(us)).items()}
    values = _quantity_values(quantity, index, us, outs, log_mask)
    feasible = _feasible(outs, constraints, n_starts, judged) & np.isfinite(values)
    outs0 = {k: np.asarray(v) for k, v in solve_at(final_problem, jnp.asarray(u_starts)).items()}
    values0 = _quantity_values(quantity, index, u_starts, outs0, log_mask)
    feasible0 = _feasible(outs0, constraints, n_starts, judged) & np.isfinite(values0)
    kept_start = feasible0 & ~feasible
    if kept_start.any():
        us = np.where(kept_start[:, None], u_starts, us)
        outs = {k: np.where(kept_start, outs0[k], outs[k]) for k in outs}
        values = np.where(kept_start, values0, values)
        feasible = feasible | kept_start
    violation = _violations(outs, constraints, n_starts, judged)
    params = {c.name: (np.exp(us[:, j]) if log_mask[j] else us[:, j]) for j, c in enumerate(coords)}
    if feasible.any():
        ranked = np.where(feasible, sign * values, np.inf)
        best = int(np.argmin(ranked))
    else:
        best = int(np.argmin(np.where(np.isfinite(violation), violation, np.inf)))
    found = bool(feasible[best])
    value = float(values[best]) if found else math.nan
    u_best = us[best]
    point = {k: np.asarray(v)[best] for k, v in outs.items()}
    polish_steps = 0
    if found:
        agree = feasible & (np.abs(values - value) <= AGREE_RTOL * max(abs(value), 1e-300))
        n_agree = int(agree.sum())

        # what the looks and the pattern moves judge by: problem, coordinates, constraints, sense
        judged_by = (final_problem, coords, constraints, quantity, index, sign)

        def look_around(center, center_value, width):
            *result, (look_us, look_outs) = _local_check(
                *judged_by,
                center,
                center_value,
                width,
                check_points,
                check_max_points,
                rng,
                return_solves=True,
            )
            return (*result, (look_us, look_outs, center, width))

        local, beyond_u, beyond_value, beyond_out, look = look_around(u_best, value, check_width)
        # polish: step to the most extreme feasible neighbour (its solve is the check's, at the
        # final settings) while there is one, doubling the neighbourhood after a long step and
        # halving it back towards check_width when a wider one holds nothing beyond
        width = check_width
        if progress is not None:
            progress(
                f"  optimised: {quantity} = {value:.6g}; look around (±{check_width:g}): "
                f"{local.n_beyond} of {local.n_points} beyond"
            )
        while polish_steps < polish_iterations:
            if beyond_u is None:
                if width <= check_width:
                    break
                width = max(0.5 * width, check_width)
            else:
                # a step of at least a quarter of the neighbourhood widens it; a shorter one
                # (creeping along an edge) keeps it
                if local.max_excess >= 0.25 * width:
                    width = min(2.0 * width, POLISH_MAX_WIDTH * check_width)
                u_from = u_best
                u_best, value, point = beyond_u, beyond_value, beyond_out
                polish_steps += 1
                if on_polish_step is not None:
                    on_polish_step(_physical_parameters(coords, log_mask, u_best), value)
                jump = None
                if pattern_moves and polish_steps < polish_iterations:
                    jump = _pattern_move(*judged_by, u_from, u_best, value, look)
                if jump is not None:
                    u_best, value, point = jump
                    polish_steps += 1
                    if on_polish_step is not None:
                        on_polish_step(_physical_parameters(coords, log_mask, u_best), value)
                    if progress is not None:
                        progress(
                            f"  polish step {polish_steps} (pattern move): {quantity} = {value:.6g}"
                        )
            local, beyond_u, beyond_value, beyond_out, look = look_around(u_best, value, width)
            if progress is not None:
                progress(
                    f"  polish step {polish_steps}: {quantity} = {value:.6g}; look around "
                    f"(±{width:g}): {local.n_beyond} of {local.n_points} beyond"
                )
        if width > check_width:  # the reported check is at check_width
            local, *_ = look_around(u_best, value, check_width)
    else:
        n_agree = 0
        local = LocalCheck(float(check_width), 0, 0, 0, 0.0)
    best_params = _physical_parameters(coords, log_mask, u_best)
    best_model = jax.device_get(problem.model_at_u(jnp.asarray(u_best)))
    observables = {name: float(point[name]) for name in model_type.observables}
    ratios = {name: observables[name] / t for name, (t, _) in constraints.items()}
    limit_values = {
        name: float(point[name]) if name in judged else float(getattr(best_model, name))
        for name in kept_limits
    }
    check = BoundCheck(
        status=int(point["status"]),
        observables=observables,
        ratios=ratios,
        satisfied={
            name: bool(math.isfinite(ratios[name]) and abs(ratios[name] - 1.0) <= r)
            for name, (_, r) in constraints.items()
        }
        | {name: bool(limit_values[name] <= q_max) for name, q_max in judged.items()},
        feasible=found,
        limit_values=limit_values,
    )
    active_constraints = (
        _active_constraints(ratios, constraints)
        + _active_upper_limits(limit_values, kept_limits, judged)
        if found
        else ()
    )
    active_limits = _active_limits(coords, best_params) if found else ()
    verdict = _verdict(
        dict(
            sense=sense,
            quantity=quantity,
            found=found,
            n_starts=n_starts,
            closest=float(violation[best]),
            value=value,
            active_constraints=active_constraints,
            active_limits=active_limits,
            check_ok=check.feasible,
            local=local,
            n_feasible=int(feasible.sum()),
            n_agree=n_agree,
            polish_steps=polish_steps,
        )
    )
    return BoundResult(
        quantity=quantity,
        sense=sense,
        value=value,
        found=found,
        model=best_model,
        parameters=best_params,
        observables=observables,
        constraints=constraints,
        limits={c.name: (c.lower, c.upper) for c in coords},
        upper_limits=kept_limits,
        active_constraints=active_constraints,
        active_limits=active_limits,
        check=check,
        local=local,
        starts=StartResults(
            values=values,
            feasible=feasible,
            violation=violation,
            parameters=params,
            status=np.asarray(outs["status"]),
            outer_iterations=n_outer,
        ),
        best_start=best,
        n_agree=n_agree,
        polish_steps=polish_steps,
        verdict=verdict,
        wall_time_s=time.perf_counter() - wall_start,
    )
