r"""The augmented-Lagrangian problem of a bound: objective, constraints and the penalty (traceable).

With :math:`x` the free parameters (coordinates :math:`u(\theta)`, :mod:`jaxcogen.bounds._space`),
the objective is :math:`f(x)=s\,J(x)`, :math:`s=+1` for a minimum and :math:`-1` for a maximum, with
:math:`J=\ln q` for a log-scale parameter or a positive observable :math:`q` and :math:`J=q/S` for a
linear one (:math:`S`: the parameter's range, or the observable's typical size). Each constraint
:math:`|O_k/t_k-1|\le r_k` is written :math:`|g_k|\le1` with

.. math::
    g_k=\frac{\ell(O_k/t_k)-m_k}{h_k},\qquad m_k=\tfrac12[\ell(1+r_k)+\ell(1-r_k)],\quad
    h_k=\tfrac12[\ell(1+r_k)-\ell(1-r_k)],

:math:`\ell=\ln` for a positive observable and the signed logarithm of
:func:`jaxcogen.fitting._loss.signed_log` for a signed one (both strictly increasing, so
:math:`|g_k|\le1` is exactly :math:`|O_k/t_k-1|\le r_k`). The band becomes an equality with a
bounded slack,

.. math:: c_k=h_k\,(g_k-\varsigma\tanh\eta_k)=0,

the slack :math:`\eta_k` an extra unconstrained variable and :math:`\varsigma=1-\delta` the band
shrunk by the margin :math:`\delta` (default :math:`10^{-3}`), so that the point found is strictly
inside the band when re-solved at the final settings; :math:`c_k` is in units of :math:`\ell`
(natural-log units), like :math:`J`, which keeps the penalty well scaled. The augmented Lagrangian
(Hestenes–Powell; Nocedal & Wright, *Numerical Optimization*, §17.3) of :math:`\min f` subject to
:math:`c=0` is

.. math::
    \mathcal L_A(\theta,\eta;\lambda,\mu)=f+\sum_k\lambda_kc_k+\frac\mu2\sum_kc_k^2,

smooth in :math:`(\theta,\eta)` (a one-sided :math:`\max(0,\cdot)^2` penalty for the inequalities
leaves a kink at each band edge and a flat band interior, on which L-BFGS stalls). The outer loop
(:func:`jaxcogen.bounds._bounds.bound`) updates the multipliers by the first-order rule
:math:`\lambda_k\leftarrow\lambda_k+\mu c_k` (exact when the inner problem is solved:
stationarity of :math:`\mathcal L_A` reads :math:`\nabla f+\sum_k(\lambda_k+\mu c_k)\nabla c_k=0`),
clipped to :math:`|\lambda_k|\le10^6`, and raises :math:`\mu\leftarrow10\mu` (up to
:math:`\mu_{\max}`) whenever the largest violation :math:`v=\max_k|c_k|/h_k` did not fall by 4× (and
:math:`v>10^{-4}`).
A failed solve gives
:math:`\mathcal L_A=+\infty` (the line search backs off).

**Upper limits** :math:`q_l\le q_l^{\max}` on a derived quantity of the point (a model
attribute such as the light-neutrino mass ``m_nu`` or the EFT's estimated error ``eft_error``, or
an observable such as ``Delta_N_eff``) are one-sided, so they take a squared slack
(Nocedal & Wright §17.3, "inequality constraints" by slack variables) instead of the bounded one:

.. math:: c_l=\ln(q_l/q_l^{\max})+\delta+\zeta_l^2=0,

with :math:`\zeta_l` an extra unconstrained variable after the band slacks (:math:`\zeta_l^2\ge0`
covers the whole half-line :math:`q_l\le q_l^{\max}e^{-\delta}`, however far below the limit the
point is) and the same margin :math:`\delta`. :math:`c_l` is in natural-log units as well, so one
penalty :math:`\mu` serves both kinds; the violation of a limit is :math:`|c_l|` (a band's is
:math:`|c_k|/h_k`).

**Proxies.** Inside the optimisation a constraint may be computed through a cheaper observable
(``sources``; e.g. today's relic through the frozen-in asymmetric relic, exact when the sink
removes the symmetric part, :attr:`~jaxcogen._interface.AbstractModel.fit_proxies`), as fits do;
the final judgement solves the constraint's own observable.
"""

from __future__ import annotations

from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from jaxcogen._status import STATUS_INVALID_INPUT
from jaxcogen.bounds._space import physical, set_free, u_of_theta
from jaxcogen.fitting._loss import DEFAULT_SOFTNESS, log_ratio
from jaxcogen.fitting._problem import AbstractObjective

#: Default margin δ: the optimiser aims at the band shrunk by this fraction of its half-width.
DEFAULT_MARGIN = 1e-3


def band_edges(rel_tol: float, signed: bool, softness: float = DEFAULT_SOFTNESS):
    """``(mid, half)`` of the band :math:`[\\ell(1-r),\\ell(1+r)]` (module docstring)."""
    lo = float(log_ratio(jnp.float64(1.0 - rel_tol), signed, softness))
    hi = float(log_ratio(jnp.float64(1.0 + rel_tol), signed, softness))
    return 0.5 * (hi + lo), 0.5 * (hi - lo)


def penalty(c: Float[Array, " k"], lam: Float[Array, " k"], mu) -> Float[ArrayLike, ""]:
    r""":math:`\sum_k\lambda_kc_k+\tfrac\mu2\sum_kc_k^2`."""
    return jnp.sum(lam * c) + 0.5 * mu * jnp.sum(c**2)


class BoundProblem(AbstractObjective):
    r""":math:`\mathcal L_A(\theta)` of one bound (module docstring); jittable and vmappable.

    Arrays (traced, so a new bound with the same structure reuses the compiled code): the base
    model, solver settings, limits ``u_lo``/``u_hi``, constraint targets and bands ``mid``/``half``,
    multipliers ``lam`` (:math:`m`), penalty ``mu``, band factor
    ``band`` (:math:`\varsigma`), objective sign and scale. Static: names and kinds.
    """

    base_model: Any
    settings: Any
    u_lo: Float[Array, " p"]
    u_hi: Float[Array, " p"]
    targets: Float[Array, " m"]
    mid: Float[Array, " m"]
    half: Float[Array, " m"]
    lam: Float[Array, " k"]  # constraints, then upper limits
    mu: Float[ArrayLike, ""]
    band: Float[ArrayLike, ""]
    sign: Float[ArrayLike, ""]
    obj_scale: Float[ArrayLike, ""]
    names: tuple[str, ...] = eqx.field(static=True)
    log_mask: tuple[bool, ...] = eqx.field(static=True)
    constraint_names: tuple[str, ...] = eqx.field(static=True)
    signed: tuple[bool, ...] = eqx.field(static=True)
    quantity: str = eqx.field(static=True)
    quantity_index: int = eqx.field(static=True)  # free-parameter index, -1 for an observable
    quantity_log: bool = eqx.field(static=True)
    softness: float = eqx.field(static=True)
    sources: tuple[str, ...] = eqx.field(static=True, default=())
    limit_max: Float[Array, " l"] = eqx.field(default_factory=lambda: jnp.zeros((0,)))
    limit_names: tuple[str, ...] = eqx.field(static=True, default=())
    limit_on_model: tuple[bool, ...] = eqx.field(static=True, default=())

    # ---- points ------------------------------------------------------------------------------

    def u(self, theta: Float[Array, " q"]) -> Float[Array, " p"]:
        """The coordinates :math:`u` of the free parameters (θ's first p entries)."""
        return u_of_theta(theta[: len(self.names)], self.u_lo, self.u_hi)

    @property
    def n_slacks(self) -> int:
        """Slack variables after the free coordinates: one per constraint, then one per limit."""
        return len(self.constraint_names) + len(self.limit_names)

    def slack(self, theta: Float[Array, " q"]) -> Float[Array, " m"]:
        r"""The band positions :math:`\varsigma\tanh\eta_k` (θ's entries after the free ones)."""
        p = len(self.names)
        return self.band * jnp.tanh(theta[p : p + len(self.constraint_names)])

    def limit_slack(self, theta: Float[Array, " q"]) -> Float[Array, " l"]:
        r"""The limits' slacks :math:`\zeta_l^2` (θ's last l entries)."""
        p = len(self.names) + len(self.constraint_names)
        return theta[p:] ** 2

    def violation_scale(self) -> Float[Array, " k"]:
        """What each entry of :math:`c` is divided by for its violation: :math:`h_k`, then 1."""
        return jnp.concatenate([self.half, jnp.ones((len(self.limit_names),))])

    def limit_values(self, model, out: dict[str, Array]) -> Float[Array, " l"]:
        """:math:`q_l` of every upper limit: a model attribute or an observable of ``out``."""
        if not self.limit_names:
            return jnp.zeros((0,))
        return jnp.stack(
            [
                jnp.asarray(getattr(model, name) if on_model else out[name], dtype=float)
                for name, on_model in zip(self.limit_names, self.limit_on_model, strict=True)
            ]
        )

    def limit_constraints(self, q, theta) -> Float[Array, " l"]:
        r""":math:`c_l=\ln(q_l/q_l^{\max})+\delta+\zeta_l^2` (module docstring)."""
        if not self.limit_names:
            return jnp.zeros((0,))
        log_ratio_q = jnp.log(jnp.maximum(q, 1e-300)) - jnp.log(self.limit_max)
        return log_ratio_q + (1.0 - self.band) + self.limit_slack(theta)

    def model_at_u(self, u: Float[Array, " p"]):
        return set_free(self.base_model, self.names, physical(u, self.log_mask))

    def solve_u(self, u: Float[Array, " p"]) -> dict[str, Array]:
        """Observables and status at coordinates ``u`` (no transform; used by the checks)."""
        model = self.model_at_u(u)
        out = dict(model.solve_point(self.settings))
        out["valid"] = model.is_valid()
        # an invalid point is flagged as a scan flags it (the dynamical-N system, whose own rule
        # is wider than the model's, would otherwise report it solved)
        out["status"] = jnp.where(out["valid"], out["status"], STATUS_INVALID_INPUT).astype(
            jnp.int32
        )
        return out | self.model_records(model)

    def model_records(self, model) -> dict[str, Array]:
        """The upper limits that are model attributes (e.g. ``m_nu``), by name: no solve."""
        return {
            name: jnp.asarray(getattr(model, name), dtype=float)
            for name, on_model in zip(self.limit_names, self.limit_on_model, strict=True)
            if on_model
        }

    # ---- objective and constraints -----------------------------------------------------------

    def objective(self, u: Float[Array, " p"], out: dict[str, Array]) -> Float[ArrayLike, ""]:
        r""":math:`J` (module docstring; not yet multiplied by the sign)."""
        if self.quantity_index >= 0:
            value = u[self.quantity_index]
            return value if self.quantity_log else value / self.obj_scale
        value = out[self.quantity]
        if self.quantity_log:
            return jnp.log(jnp.maximum(value, 1e-300))
        return value / self.obj_scale

    def band_coordinates(self, out: dict[str, Array]) -> Float[Array, " m"]:
        r""":math:`g_k` for every constraint (:math:`|g_k|\le1` inside the band)."""
        if not self.constraint_names:
            return jnp.zeros((0,))
        sources = self.sources or self.constraint_names
        g = [
            (log_ratio(out[name] / self.targets[k], self.signed[k], self.softness) - self.mid[k])
            / self.half[k]
            for k, name in enumerate(sources)
        ]
        return jnp.stack(g)

    def parts(self, theta: Float[Array, " q"]):
        r"""``(J, c, ok)``: objective, the :math:`m` constraints :math:`c_k` (in units of
        :math:`\ell`, i.e. :math:`h_k(g_k-\varsigma\tanh\eta_k)`) and solve success."""
        u = self.u(theta)
        model = self.model_at_u(u)
        out = model.solve_point(self.settings)
        J = self.objective(u, out)
        c = jnp.concatenate(
            [
                self.half * (self.band_coordinates(out) - self.slack(theta)),
                self.limit_constraints(self.limit_values(model, out), theta),
            ]
        )
        ok = (out["status"] == 0) & jnp.isfinite(J) & jnp.all(jnp.isfinite(c))
        return jnp.where(ok, J, 0.0), jnp.where(ok, c, 0.0), ok

    def loss(self, theta: Float[Array, " q"]) -> Float[ArrayLike, ""]:
        r""":math:`\mathcal L_A(\theta;\lambda,\mu)`, :math:`+\infty` where the solve fails."""
        J, c, ok = self.parts(theta)
        value = self.sign * J + penalty(c, self.lam, self.mu)
        return jnp.where(ok, value, jnp.inf)


def with_multipliers(problem: BoundProblem, lam, mu) -> BoundProblem:
    """``problem`` with new multipliers and penalty (traceable)."""
    return eqx.tree_at(lambda p: (p.lam, p.mu), problem, (lam, mu))


@eqx.filter_jit
def evaluate_parts(problem: BoundProblem, thetas: Float[Array, "s p"]):
    """``(J, c, ok)`` at each start's θ (vmapped; θ = free coordinates then slacks)."""
    return jax.vmap(problem.parts)(thetas)


@eqx.filter_jit
def solve_at(problem: BoundProblem, us: Float[Array, "n p"]) -> dict[str, Array]:
    """Observables, status and validity at each row of ``us`` (vmapped, the problem's settings)."""
    return jax.vmap(problem.solve_u)(us)


@eqx.filter_jit
def valid_at(problem: BoundProblem, us: Float[Array, "n p"]):
    """Whether each row of ``us`` is a valid model point (no solve)."""
    return jax.vmap(lambda u: problem.model_at_u(u).is_valid())(us)


@eqx.filter_jit
def _model_records_at(problem: BoundProblem, us: Float[Array, "n p"]) -> dict[str, Array]:
    """Validity and the on-model upper limits (:meth:`BoundProblem.solve_u`'s extras) at each row
    of ``us``, without a solve."""

    def one(u):
        model = problem.model_at_u(u)
        return {"valid": model.is_valid()} | problem.model_records(model)

    return jax.vmap(one)(us)


def solve_split(problem: BoundProblem, us, size: int | None = None) -> dict[str, np.ndarray]:
    """What :func:`solve_at` returns at the rows of ``us``, solved as a scan solves a chunk
    (:class:`jaxcogen.scanning.ChunkRunner`): per-point choices that ``vmap`` would otherwise run
    on every point (the cogenesis model's ``regime="auto"``: EFT or dynamical heavy neutrinos;
    ``solver="auto"``: Tsit5 or Kvaerno5) are made on the host and each pass runs only on its
    own points, and a full chain's late stage runs on the points sorted by its cost. At a bound
    on the light end of the viable region nearly every point takes the dynamical-N system,
    while under ``vmap`` of :func:`solve_at` every point also paid both EFT integrations (and
    vice versa).

    ``size``: the batch the rows are padded to (default: their number), so that calls with
    varying numbers of rows can share one compiled program per size."""
    from jaxcogen.scanning._scan import ChunkRunner  # the scanning package imports the models

    us = np.asarray(us, dtype=float)
    n = len(us)
    if n == 0:
        raise ValueError("solve_split: no points to solve")
    size = max(int(size or n), n)
    padded = np.concatenate([us, np.repeat(us[:1], size - n, axis=0)])
    x = np.where(np.asarray(problem.log_mask), np.exp(padded), padded)
    values = {name: x[:n, j] for j, name in enumerate(problem.names)}
    out = dict(ChunkRunner(problem.base_model, problem.settings, size)(values))
    extras = _model_records_at(problem, jnp.asarray(padded))
    out.update({k: np.asarray(v)[:n] for k, v in extras.items()})
    return {k: np.asarray(v)[:n] for k, v in out.items()}
