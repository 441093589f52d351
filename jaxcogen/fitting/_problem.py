r"""One fit problem of any model as a traceable object: :math:`\theta\mapsto` model :math:`\mapsto` observables :math:`\mapsto\mathcal L`.

:class:`FitProblem` holds *every* fittable parameter of the model
(:meth:`~jaxcogen._interface.AbstractModel.fit_coordinates`: the 14 continuous parameters of the
cogenesis model, complex couplings in polar form; the ranged parameters of a validation model)
with a ``free`` mask, *every* observable the loss can use with a weight (0: not a target), and
every limit the model declares with its bound (``inf``: off). Which parameters are free, their
intervals, the targets and the base model are therefore all arrays: one compiled optimiser serves
every fit of a model class with the same number of starts and optimiser settings — a new choice
of free parameters or targets does not recompile. A fixed parameter keeps the base model's value
bit for bit (``jnp.where`` on the physical value), and its gradient is exactly zero, so neither
Adam nor L-BFGS ever moves it.

The map :math:`\theta\to u` is the bounded transform of :mod:`jaxcogen.fitting._transforms`;
:math:`u\to p` is :math:`p=e^u` (``"log"``), :math:`p=p_{\rm ref}\,e^u` (``"log_ratio"``, with the
reference's value at the same :math:`\theta`) or :math:`p=u` (``"linear"``, ``"angle"``).
"""

import abc
from collections.abc import Mapping, Sequence
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Bool, Float

from jaxcogen._interface import AbstractModel
from jaxcogen.fitting._loss import DEFAULT_SOFTNESS, target_terms, upper_limit_penalty
from jaxcogen.fitting._transforms import FreeParameter, fit_coordinates_of


class AbstractObjective(eqx.Module):
    r"""What the optimiser (:mod:`jaxcogen.fitting._optimize`) minimises: a scalar
    :math:`\mathcal L(\theta)` of unconstrained coordinates, jittable and vmappable. Fits
    (:class:`FitProblem`) and bounds (:class:`~jaxcogen.bounds._problem.BoundProblem`) are two."""

    @abc.abstractmethod
    def loss(self, theta: Float[Array, " n"]) -> Float[ArrayLike, ""]:
        r""":math:`\mathcal L(\theta)`; NaN where the solve fails."""


def fit_observables(model: AbstractModel, settings: Any) -> tuple[str, ...]:
    """The observables a fit's loss computes with the inner solver ``settings``
    (:meth:`~jaxcogen._interface.AbstractModel.loss_observables`)."""
    return tuple(model.loss_observables(settings))


class FitProblem(AbstractObjective):
    r"""Loss :math:`\mathcal L(\theta)` of a fit (:mod:`jaxcogen.fitting._loss`), jittable and vmappable.

    θ has one slot per name of ``names``; fixed slots are ignored.

    Attributes:
        base_model: the model whose fixed parameters the fit keeps.
        free: which slots are free.
        has_lower, has_upper, lower, upper: the intervals of the natural coordinates
            (:mod:`jaxcogen.fitting._transforms`; ``lower``/``upper`` are 0 where open).
        target_values, target_weights: :math:`t_k`, :math:`w_k` for every observable of
            ``observables`` (weight 0: not fitted).
        limit_max: :math:`q_l^{\max}` of every limit the model declares (``inf``: off).
        settings: solver settings of the solves inside the loss (the model's ``solve_settings``).
        names, kinds, references: the slots (static): parameter name, natural coordinate, and
            the slot of a ``"log_ratio"`` coordinate's reference (-1 for the others).
        observables, signed: the observables of the loss and whether each may be negative.
        limit_quantities: the model attributes the limits bound.
        softness: :math:`\varepsilon` of the signed logarithm.
    """

    base_model: AbstractModel
    free: Bool[Array, " n"]
    has_lower: Bool[Array, " n"]
    has_upper: Bool[Array, " n"]
    lower: Float[Array, " n"]
    upper: Float[Array, " n"]
    target_values: Float[Array, " k"]
    target_weights: Float[Array, " k"]
    limit_max: Float[Array, " l"]
    settings: Any
    names: tuple[str, ...] = eqx.field(static=True)
    kinds: tuple[str, ...] = eqx.field(static=True)
    references: tuple[int, ...] = eqx.field(static=True)
    observables: tuple[str, ...] = eqx.field(static=True)
    signed: tuple[bool, ...] = eqx.field(static=True)
    limit_quantities: tuple[str, ...] = eqx.field(static=True)
    softness: float = eqx.field(static=True)

    @classmethod
    def create(
        cls,
        model: AbstractModel,
        parameters: Sequence[FreeParameter],
        targets: Mapping[str, float],
        weights: Mapping[str, float],
        limits: Mapping[str, float | None],
        settings: Any,
        softness: float = DEFAULT_SOFTNESS,
    ) -> "FitProblem":
        """The problem of fitting ``parameters`` of ``model`` to ``targets`` (observable names of
        :func:`fit_observables`) with ``limits`` (``{fit keyword: bound or None}`` for every limit
        the model declares)."""
        coordinates = fit_coordinates_of(model)
        names = tuple(coordinates)
        slot = {name: j for j, name in enumerate(names)}
        n = len(names)
        free = np.zeros(n, bool)
        has_lower, has_upper = np.zeros(n, bool), np.zeros(n, bool)
        lower, upper = np.zeros(n), np.zeros(n)
        for p in parameters:
            j = slot[p.name]
            free[j] = True
            has_lower[j], has_upper[j] = np.isfinite(p.lower), np.isfinite(p.upper)
            lower[j] = p.lower if has_lower[j] else 0.0
            upper[j] = p.upper if has_upper[j] else 0.0
        observables = fit_observables(model, settings)
        values = np.array([float(targets.get(o, 1.0)) for o in observables])
        w = np.array([float(weights[o]) if o in targets else 0.0 for o in observables])
        limit_max = [limits.get(key) for key in model.fit_limits]
        return cls(
            base_model=model,
            free=jnp.asarray(free),
            has_lower=jnp.asarray(has_lower),
            has_upper=jnp.asarray(has_upper),
            lower=jnp.asarray(lower, jnp.float64),
            upper=jnp.asarray(upper, jnp.float64),
            target_values=jnp.asarray(values, jnp.float64),
            target_weights=jnp.asarray(w, jnp.float64),
            limit_max=jnp.asarray(
                [np.inf if q is None else q for q in limit_max], jnp.float64
            ).reshape(len(limit_max)),
            settings=settings,
            names=names,
            kinds=tuple(c.kind for c in coordinates.values()),
            references=tuple(slot.get(c.reference, -1) for c in coordinates.values()),
            observables=observables,
            signed=tuple(bool(model.observables[o].signed) for o in observables),
            limit_quantities=tuple(limit.quantity for limit in model.fit_limits.values()),
            softness=float(softness),
        )

    def embed(self, parameters: Sequence[FreeParameter], theta_free: np.ndarray) -> np.ndarray:
        """θ of the free parameters ``[..., n_free]`` → the full θ ``[..., n]`` (fixed slots 0)."""
        theta_free = np.asarray(theta_free, dtype=np.float64)
        full = np.zeros(theta_free.shape[:-1] + (len(self.names),))
        for k, p in enumerate(parameters):
            full[..., self.names.index(p.name)] = theta_free[..., k]
        return full

    # ---- θ → u → model ----------------------------------------------------------------------

    def natural(self, theta: Float[Array, " n"]) -> Float[Array, " n"]:
        r"""The natural coordinates :math:`u(\theta)` (see :mod:`jaxcogen.fitting._transforms`)."""
        lo, hi = self.lower, self.upper
        from_lower = lo + jax.nn.softplus(theta)
        from_upper = hi - jax.nn.softplus(-theta)
        between = lo + (hi - lo) * jax.nn.sigmoid(theta)
        one_sided = jnp.where(
            self.has_lower, from_lower, jnp.where(self.has_upper, from_upper, theta)
        )
        return jnp.where(self.has_lower & self.has_upper, between, one_sided)

    def physical(self, theta: Float[Array, " n"]) -> list[Array]:
        """Every slot's physical value at θ (the base model's value where fixed)."""
        u = self.natural(theta)
        base = self.base_model
        out: list[Array] = [jnp.zeros(())] * len(self.names)
        # plain coordinates first: a "log_ratio" slot reads its reference's value
        order = sorted(range(len(self.names)), key=lambda j: self.kinds[j] == "log_ratio")
        for j in order:
            kind = self.kinds[j]
            if kind == "log":
                value = jnp.exp(u[j])
            elif kind == "log_ratio":
                value = out[self.references[j]] * jnp.exp(u[j])
            else:
                value = u[j]
            out[j] = jnp.where(self.free[j], value, base.get_parameter(self.names[j]))
        return out

    def model(self, theta: Float[Array, " n"]) -> AbstractModel:
        r"""The model at :math:`\theta` (valid by construction; not re-validated, traceable)."""
        base = self.base_model
        values = dict(zip(self.names, self.physical(theta), strict=True))
        slot = {name: j for j, name in enumerate(self.names)}
        fields: dict[str, Array] = {}
        for field, declared in base.parameters.items():
            if declared.complex:
                if f"{field}.abs" not in slot:
                    continue
                modulus, phase = values[f"{field}.abs"], values[f"{field}.arg"]
                moved = self.free[slot[f"{field}.abs"]] | self.free[slot[f"{field}.arg"]]
                z = getattr(base, field)
                fields[field] = jnp.where(moved, modulus * jnp.exp(1j * phase), z)
            elif field in slot:
                fields[field] = values[field]
        return base.with_parameters(fields)

    # ---- observables and loss ------------------------------------------------------------------

    def solve(self, theta: Float[Array, " n"]) -> dict[str, Array]:
        """The model's traceable solve (:meth:`~jaxcogen._interface.AbstractModel.solve_point`) at θ."""
        return self.model(theta).solve_point(self.settings)

    def loss_terms(
        self, theta: Float[Array, " n"]
    ) -> tuple[Float[Array, " k"], Float[ArrayLike, ""], Float[Array, " k"], Float[Array, " l"]]:
        """(target terms, limit penalty, observables, limited quantities) at θ; the terms are 0
        for non-targets and NaN where the solve failed."""
        model = self.model(theta)
        out = model.solve_point(self.settings)
        values = jnp.stack([out[name] for name in self.observables])
        fitted = self.target_weights > 0
        safe_values = jnp.where(fitted, values, self.target_values)  # ratio 1: a zero term
        terms = target_terms(
            safe_values, self.target_values, self.target_weights, self.signed, self.softness
        )
        terms = jnp.where(out["status"] == 0, terms, jnp.nan)
        if self.limit_quantities:
            q = jnp.stack([jnp.asarray(getattr(model, name)) for name in self.limit_quantities])
        else:
            q = jnp.zeros((0,))
        penalty = jnp.sum(upper_limit_penalty(q, self.limit_max))
        return terms, penalty, values, q

    def loss(self, theta: Float[Array, " n"]) -> Float[ArrayLike, ""]:
        r""":math:`\mathcal L(\theta)`; NaN where the solve fails."""
        terms, penalty, _, _ = self.loss_terms(theta)
        return jnp.sum(terms) + penalty
