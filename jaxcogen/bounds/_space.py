r"""The box of free parameters that bounds and posteriors move in, and its unconstrained coordinates.

Each free parameter :math:`p` has a coordinate :math:`u` (its :class:`~jaxcogen._interface.Parameter`'s
``scale``: :math:`u=\ln p` for ``"log"``, :math:`u=p` for ``"linear"``) and finite limits
:math:`[p_-,p_+]` — the parameter's physical range intersected with the user's ``limits``. The
optimiser and the sampler move the unconstrained :math:`\theta\in\mathbb R` with

.. math:: u(\theta)=u_-+(u_+-u_-)\,\sigma(\theta),\qquad \sigma(\theta)=\frac{1}{1+e^{-\theta}},

so every point they reach lies inside the limits (as in :mod:`jaxcogen.fitting._transforms`).
Complex couplings are free by parts: ``".abs"`` (the field's scale and range), ``".arg"``
(linear, :math:`[-\pi,\pi]`), ``".re"``/``".im"`` (linear, :math:`\pm` the field's upper limit).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from jaxcogen._interface import AbstractModel, model_type_of


@dataclasses.dataclass(frozen=True)
class Coordinate:
    """One free parameter: its name, coordinate (``"log"`` or ``"linear"``) and finite limits.

    Attributes:
        name: the parameter name (``"Gamma"``, ``"y2.arg"``, …).
        scale: ``"log"`` (:math:`u=\\ln p`) or ``"linear"`` (:math:`u=p`).
        lower, upper: the physical limits :math:`p_-<p_+` (finite; positive for ``"log"``).
    """

    name: str
    scale: str
    lower: float
    upper: float

    @property
    def u_lower(self) -> float:
        return math.log(self.lower) if self.scale == "log" else self.lower

    @property
    def u_upper(self) -> float:
        return math.log(self.upper) if self.scale == "log" else self.upper

    def to_u(self, value: float) -> float:
        return math.log(value) if self.scale == "log" else float(value)

    def from_u(self, u):
        return jnp.exp(u) if self.scale == "log" else u


def _natural_range(model_type: type[AbstractModel], name: str) -> tuple[str, float, float]:
    """``(scale, lower, upper)`` of a parameter name, complex parts included."""
    field, part = model_type.check_parameter_name(name)
    parameter = model_type.parameters[field]
    if parameter.complex and part is None:
        raise ValueError(
            f"free parameter {name!r} is a complex coupling: free its parts "
            f"'{name}.abs' and '{name}.arg' (or '.re' and '.im')"
        )
    if part == "arg":
        return "linear", -math.pi, math.pi
    if part in ("re", "im"):
        return "linear", -parameter.upper, parameter.upper
    lower = parameter.lower
    if parameter.positive or parameter.non_negative or part == "abs":
        lower = max(lower, 0.0)
    return parameter.scale, lower, parameter.upper


def coordinates(
    model: AbstractModel,
    free: Sequence[str],
    limits: Mapping[str, tuple[float, float]] | None,
    *,
    scales: Mapping[str, str] | None = None,
) -> tuple[Coordinate, ...]:
    """The :class:`Coordinate` of each free parameter (``ValueError`` on a bad name or limit).

    ``scales`` overrides a parameter's coordinate (``"log"`` or ``"linear"``; posteriors use it
    for their priors).
    """
    model_type = model_type_of(model)
    if isinstance(free, str) or not free:
        raise ValueError(f"free={free!r}: give a non-empty list of parameter names")
    free = tuple(free)
    if len(set(free)) != len(free):
        raise ValueError(f"free={free!r}: a parameter is named twice")
    for name in free:
        model_type.check_parameter_name(name)  # ValueError with a suggestion
    limits = dict(limits or {})
    for name in limits:
        if name not in free:
            raise ValueError(f"limits[{name!r}]: not a free parameter (free: {list(free)})")
    scales = dict(scales or {})
    out = []
    for name in free:
        scale, lower, upper = _natural_range(model_type, name)
        if name in scales:
            if scales[name] not in ("log", "linear"):
                raise ValueError(f"{name!r}: scale {scales[name]!r}; allowed: 'log', 'linear'")
            scale = scales[name]
        if name in limits:
            pair = limits[name]
            try:
                lo, hi = (float(v) for v in pair)
            except (TypeError, ValueError):
                raise ValueError(f"limits[{name!r}]={pair!r}: give (low, high)") from None
            if not (math.isfinite(lo) and math.isfinite(hi)) or not lo < hi:
                raise ValueError(
                    f"limits[{name!r}]={pair!r}: give finite (low, high) with low < high"
                )
            lower, upper = max(lower, lo), min(upper, hi)
            if not lower < upper:
                raise ValueError(
                    f"limits[{name!r}]={pair!r}: empty after intersecting with the "
                    f"parameter's physical range"
                )
        if not (math.isfinite(lower) and math.isfinite(upper)):
            raise ValueError(
                f"free parameter {name!r}: its range [{lower:g}, {upper:g}] is not finite; "
                f"give limits={{{name!r}: (low, high)}}"
            )
        if scale == "log" and lower <= 0.0:
            raise ValueError(
                f"free parameter {name!r} moves in log scale: give a positive lower limit "
                f"(limits={{{name!r}: (low, high)}}, low > 0)"
            )
        out.append(Coordinate(name, scale, lower, upper))
    return tuple(out)


def u_bounds(coords: Sequence[Coordinate]) -> tuple[np.ndarray, np.ndarray]:
    """The limits in the coordinates :math:`u`, as arrays."""
    return (
        np.array([c.u_lower for c in coords], dtype=float),
        np.array([c.u_upper for c in coords], dtype=float),
    )


def u_of_theta(theta: Float[Array, " p"], u_lo, u_hi) -> Float[Array, " p"]:
    r""":math:`u=u_-+(u_+-u_-)\sigma(\theta)`."""
    return u_lo + (u_hi - u_lo) * jax.nn.sigmoid(theta)


def theta_of_u(u: np.ndarray, u_lo: np.ndarray, u_hi: np.ndarray) -> np.ndarray:
    """The inverse of :func:`u_of_theta` (points on a limit are pulled in by 1e-9 of the range)."""
    frac = np.clip((np.asarray(u) - u_lo) / (u_hi - u_lo), 1e-9, 1.0 - 1e-9)
    return np.log(frac) - np.log1p(-frac)


def physical(u: Float[Array, " p"], log_mask: tuple[bool, ...]) -> Float[Array, " p"]:
    """Physical values from coordinates (``exp`` where ``log_mask``)."""
    return jnp.stack([jnp.exp(u[j]) if is_log else u[j] for j, is_log in enumerate(log_mask)])


def set_free(model: AbstractModel, names: Sequence[str], values: Float[Array, " p"]):
    """``model`` with the free parameters set (traceable)."""
    return model.with_parameters({name: values[j] for j, name in enumerate(names)})


def model_u(model: AbstractModel, coords: Sequence[Coordinate]) -> np.ndarray:
    """The model's own point in the coordinates :math:`u`, clipped into the limits (NaN if a log
    parameter is not positive)."""
    out = []
    for c in coords:
        value = float(np.real(np.asarray(model.get_parameter(c.name))))
        value = min(max(value, c.lower), c.upper)
        out.append(c.to_u(value) if value > 0 or c.scale == "linear" else math.nan)
    return np.asarray(out)
