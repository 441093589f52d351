r"""Unconstrained coordinates for fits of any model: every point the optimiser can reach is valid.

Each free parameter :math:`p` has a *natural coordinate* :math:`u`, declared by the model
(:meth:`~jaxcogen._interface.AbstractModel.fit_coordinates`, a
:class:`~jaxcogen._interface.FitCoordinate` per name):

.. math::
    u=\begin{cases}
      \ln p & \texttt{"log"}\ (\text{moduli, rates, } T_{\rm RH},\ \dots)\\
      \ln(p/p_{\rm ref}) & \texttt{"log\_ratio"}\ (M_i,m_\chi,m_\phi\text{ relative to }T_{\rm RH};
        \ \Gamma,m_X\text{ relative to }m_B)\\
      p & \texttt{"linear"},\ \texttt{"angle"}\ (\varepsilon_1;\ \text{phases})
    \end{cases}

and an interval :math:`(u_-,u_+)` (either end may be infinite), and the optimiser moves the
unconstrained :math:`\theta\in\mathbb R` with

.. math::
    u(\theta)=\begin{cases}
      \theta & \text{no bound}\\
      u_-+\operatorname{softplus}(\theta) & \text{lower bound only}\\
      u_+-\operatorname{softplus}(-\theta) & \text{upper bound only}\\
      u_-+(u_+-u_-)\,\sigma(\theta) & \text{both}
    \end{cases}

(monotone increasing, the identity far from a one-sided bound). The interval of a free
:math:`p` (the *validity box*) is

- ``"log"``, ``"linear"``: the declared range of :math:`p`; ``"angle"``: unbounded;
- ``"log_ratio"``: the declared range of :math:`p/p_{\rm ref}` (a coupled validity constraint,
  e.g. :math:`M_i>r\,T_{\rm RH}` or :math:`\Gamma/m_B\le0.1`), and, while :math:`p_{\rm ref}` stays
  fixed, the range of :math:`p` itself divided by :math:`p_{\rm ref}`;
- for a free reference :math:`p_{\rm ref}`, in addition
  :math:`\ln p-\ln(p/p_{\rm ref})_{\max}\le\ln p_{\rm ref}\le\ln p-\ln(p/p_{\rm ref})_{\min}` for every
  *fixed* :math:`p` declared relative to it (so a free :math:`T_{\rm RH}` is bounded by the fixed
  masses, :math:`\max(m_\chi,m_\phi)/h<T_{\rm RH}<\min(M_1,M_2)/r`);

intersected with the user's ``bounds`` (physical units; refused on a ``"log_ratio"`` parameter
whose reference is free too, since that bound is not a box), every finite end then moved
inwards by a relative :math:`10^{-12}` so that the open inequalities of ``is_valid`` hold after
rounding. A fixed pair outside its ratio range cannot be repaired by the fit: ``ValueError``.
"""

import dataclasses
import math
from collections.abc import Mapping, Sequence

import numpy as np

from jaxcogen._interface import FIT_KINDS, AbstractModel, FitCoordinate

#: Relative margin that keeps the open validity inequalities strict after rounding.
_STRICT = 1e-12

#: Distance (natural units) a start is kept from a bound, so the transform is not saturated.
_START_MARGIN = 1e-3


@dataclasses.dataclass(frozen=True)
class FreeParameter:
    r"""One free parameter: its name, natural coordinate and interval :math:`(u_-,u_+)`.

    Attributes:
        name: the model's parameter name (``"M1"``, ``"y2.arg"``, ``"epsilon_1"``, ...).
        coordinate: ``"log"``, ``"log_ratio"``, ``"linear"`` or ``"angle"``.
        lower, upper: the interval in the natural coordinate (``±inf`` when open).
        reference: the parameter a ``"log_ratio"`` coordinate is relative to.
    """

    name: str
    coordinate: str
    lower: float
    upper: float
    reference: str | None = None

    @property
    def side(self) -> str:
        """Which ends are bounded: ``"none"``, ``"lower"``, ``"upper"`` or ``"both"``."""
        lo, hi = math.isfinite(self.lower), math.isfinite(self.upper)
        return {(False, False): "none", (True, False): "lower", (False, True): "upper"}.get(
            (lo, hi), "both"
        )


def _log(x: float) -> float:
    r""":math:`\ln x`, with :math:`-\infty` for :math:`x\le0`."""
    return math.log(x) if x > 0 else -math.inf


def fit_coordinates_of(
    model: AbstractModel, options: Mapping[str, object] | None = None
) -> dict[str, FitCoordinate]:
    """The model's :class:`~jaxcogen._interface.FitCoordinate` of every fittable name, checked.

    ``options``: the fit options the model declares (:attr:`AbstractModel.fit_options`, e.g. the
    cogenesis model's ``min_mass_ratio``); ``None`` values are left out, any other option the
    model does not declare is a ``ValueError``.
    """
    options = {k: v for k, v in dict(options or {}).items() if v is not None}
    for key in options:
        if key not in model.fit_options:
            declared = ", ".join(model.fit_options) or "none"
            raise ValueError(
                f"{key}: not an option of the {model.name} model's fits "
                f"(its fit options: {declared})"
            )
    coordinates = dict(model.fit_coordinates(**options))
    for name, c in coordinates.items():
        if c.kind not in FIT_KINDS:
            raise ValueError(
                f"{model.name}: fit coordinate of {name!r} is {c.kind!r}; allowed {FIT_KINDS}"
            )
        if c.kind == "log_ratio":
            ref = coordinates.get(c.reference)
            if ref is None or ref.kind != "log":
                raise ValueError(
                    f"{model.name}: {name!r} is fitted relative to {c.reference!r}, "
                    f"which must be a fittable 'log' parameter"
                )
    return coordinates


def check_free(
    model: AbstractModel, coordinates: Mapping[str, FitCoordinate], free: Sequence[str]
) -> tuple[str, ...]:
    """Validated free-parameter names: known, fittable and not repeated."""
    names = (free,) if isinstance(free, str) else tuple(free)
    if not names:
        raise ValueError("free: no free parameters given")
    for name in names:
        field, part = model.check_parameter_name(name)  # ValueError for an unknown name
        if name not in coordinates:
            hint = ""
            if model.parameters[field].complex:
                hint = f" (free its parts '{field}.abs', '{field}.arg')"
            raise ValueError(
                f"free parameter {name!r}: not fittable in the {model.name} model{hint}; "
                f"allowed: {list(coordinates)}"
            )
    if len(set(names)) != len(names):
        raise ValueError(f"free: repeated parameter in {list(names)}")
    return names


def _value(model: AbstractModel, name: str) -> float:
    return float(np.asarray(model.get_parameter(name)))


def to_natural(coordinate: FitCoordinate | FreeParameter, value, model: AbstractModel):
    """Physical value(s) → natural coordinate (the model's reference value for ``"log_ratio"``)."""
    kind = coordinate.kind if isinstance(coordinate, FitCoordinate) else coordinate.coordinate
    value = np.asarray(value, dtype=np.float64)
    if kind in ("linear", "angle"):
        return value
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "log_ratio":
            return np.log(value / _value(model, coordinate.reference))
        return np.log(value)


def _declared_interval(
    model: AbstractModel, c: FitCoordinate, reference_free: bool
) -> tuple[float, float]:
    """The validity interval of a free parameter in its natural coordinate (module docstring)."""
    if c.kind == "angle":
        return -math.inf, math.inf
    if c.kind == "linear":
        return c.lower, c.upper
    if c.kind == "log":
        return _log(c.lower), _log(c.upper)
    lo, hi = _log(c.ratio_lower), _log(c.ratio_upper)
    if not reference_free:
        ref = _value(model, c.reference)
        lo, hi = max(lo, _log(c.lower / ref)), min(hi, _log(c.upper / ref))
    return lo, hi


def _strict(lower: float, upper: float) -> tuple[float, float]:
    """Both finite ends moved inwards by a relative 1e-12 (absolute in log coordinates)."""
    ends = [abs(x) for x in (lower, upper) if math.isfinite(x)]
    margin = _STRICT * max(ends + [1.0]) if ends else 0.0
    return lower + margin, upper - margin


def free_parameters(
    model: AbstractModel,
    free: Sequence[str],
    bounds: Mapping[str, tuple[float, float]] | None = None,
    options: Mapping[str, object] | None = None,
) -> tuple[FreeParameter, ...]:
    r"""The :class:`FreeParameter` list of a fit: the validity box (module docstring) ∩ ``bounds``.

    Raises ``ValueError`` for a bad name, option or bound, an empty interval, or when *fixed*
    parameters already violate a ratio constraint (nothing the fit could change would repair it).
    """
    coordinates = fit_coordinates_of(model, options)
    names = check_free(model, coordinates, free)
    bounds = dict(bounds or {})
    for name, pair in bounds.items():
        if name not in names:
            raise ValueError(f"bounds[{name!r}]: not a free parameter ({', '.join(names)})")
        try:
            lo, hi = (float(x) for x in pair)
        except (TypeError, ValueError):
            raise ValueError(f"bounds[{name!r}]={pair!r}: expected (low, high)") from None
        if not lo < hi:
            raise ValueError(f"bounds[{name!r}]=({lo:g}, {hi:g}): need low < high")
        bounds[name] = (lo, hi)

    # fixed pairs: a violated ratio constraint cannot be repaired
    for name, c in coordinates.items():
        if c.kind != "log_ratio" or name in names or c.reference in names:
            continue
        ratio = _value(model, name) / _value(model, c.reference)
        if not c.ratio_lower * (1 - _STRICT) <= ratio <= c.ratio_upper * (1 + _STRICT):
            raise ValueError(
                f"{name}/{c.reference} = {ratio:.6g} is outside [{c.ratio_lower:g}, "
                f"{c.ratio_upper:g}] with {name} and {c.reference} fixed; free one of them"
                + (f" or change {', '.join(model.fit_options)}" if model.fit_options else "")
            )

    out = []
    for name in names:
        c = coordinates[name]
        value = _value(model, name)
        if c.kind in ("log", "log_ratio") and not value > 0:
            raise ValueError(
                f"{name}={value:g}: a positive parameter fitted on a log scale must start > 0"
            )
        reference_free = c.kind == "log_ratio" and c.reference in names
        lower, upper = _declared_interval(model, c, reference_free)
        for other, d in coordinates.items():  # fixed parameters relative to this one
            if d.kind == "log_ratio" and d.reference == name and other not in names:
                ln_other = math.log(_value(model, other))
                lower = max(lower, ln_other - _log(d.ratio_upper))
                upper = min(upper, ln_other - _log(d.ratio_lower))
        if name in bounds:
            lo, hi = bounds[name]
            if reference_free:
                raise ValueError(
                    f"bounds on {name} with {c.reference} free are not supported: {name} moves "
                    f"with {c.reference} (bound the ratio {name}/{c.reference} instead"
                    + (f", e.g. with {', '.join(model.fit_options)})" if model.fit_options else ")")
                )
            if c.kind in ("log", "log_ratio") and lo < 0:
                raise ValueError(f"bounds[{name!r}]: {name} is positive, low must be >= 0")
            lo_u = (
                -math.inf
                if c.kind in ("log", "log_ratio") and lo == 0
                else float(to_natural(c, lo, model))
            )
            lower, upper = max(lower, lo_u), min(upper, float(to_natural(c, hi, model)))
        lower, upper = _strict(lower, upper)
        if not lower < upper:
            raise ValueError(
                f"{name}: the allowed range is empty (bounds, validity"
                + (f", {', '.join(model.fit_options)})" if model.fit_options else ")")
            )
        out.append(FreeParameter(name, c.kind, lower, upper, c.reference))
    return tuple(out)


# ---- θ <-> u in NumPy (starts, reports); the traced forward map is FitProblem.natural ---------


def _softplus_inverse(x: float | np.ndarray) -> float | np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x + np.log(-np.expm1(-x))


def natural_to_theta(parameter: FreeParameter, u: float | np.ndarray) -> float | np.ndarray:
    """Inverse of the bounded transform (u strictly inside the interval)."""
    lo, hi, side = parameter.lower, parameter.upper, parameter.side
    u = np.asarray(u, dtype=np.float64)
    if side == "none":
        return u
    if side == "lower":
        return _softplus_inverse(u - lo)
    if side == "upper":
        return -_softplus_inverse(hi - u)
    s = (u - lo) / (hi - lo)
    return np.log(s) - np.log1p(-s)


def theta_to_natural(parameter: FreeParameter, theta: float | np.ndarray) -> float | np.ndarray:
    """The bounded transform in NumPy (the traced one is :meth:`FitProblem.natural`)."""
    lo, hi, side = parameter.lower, parameter.upper, parameter.side
    theta = np.asarray(theta, dtype=np.float64)
    if side == "none":
        return theta
    if side == "lower":
        return lo + np.logaddexp(theta, 0.0)
    if side == "upper":
        return hi - np.logaddexp(-theta, 0.0)
    return lo + (hi - lo) / (1.0 + np.exp(-theta))


def inside(parameter: FreeParameter, u: float | np.ndarray) -> float | np.ndarray:
    """``u`` moved strictly inside the interval, at least a small margin from each end."""
    lo, hi = parameter.lower, parameter.upper
    margin = _START_MARGIN
    if math.isfinite(lo) and math.isfinite(hi):
        margin = min(margin, 0.01 * (hi - lo))
    return np.clip(np.asarray(u, dtype=np.float64), lo + margin, hi - margin)


def current_natural(model: AbstractModel, parameter: FreeParameter) -> float:
    """The model's value of a free parameter in its natural coordinate."""
    return float(to_natural(parameter, _value(model, parameter.name), model))


def start_interval(
    model: AbstractModel,
    parameter: FreeParameter,
    domain: tuple[float, float] | None = None,
) -> tuple[float, float]:
    r"""Where random starts are drawn, in the natural coordinate (uniformly).

    Default: angles over :math:`[-\pi,\pi]`; log coordinates one decade either side of the
    model's value; linear ones the value :math:`\pm` its modulus (half the interval at 0).
    ``domain`` (physical units) replaces it. Always intersected with the fit's interval.
    """
    u0 = current_natural(model, parameter)
    if domain is not None:
        try:
            lo, hi = (float(to_natural(parameter, float(x), model)) for x in domain)
        except (TypeError, ValueError):
            raise ValueError(
                f"start_domain[{parameter.name!r}]={domain!r}: expected (low, high)"
            ) from None
        if not lo < hi:
            raise ValueError(f"start_domain[{parameter.name!r}]={domain!r}: need low < high")
    elif parameter.coordinate == "angle":
        lo, hi = -math.pi, math.pi
    elif parameter.coordinate == "linear":
        half = abs(u0)
        if half == 0.0:
            width = parameter.upper - parameter.lower
            half = 0.5 * width if math.isfinite(width) else 1.0
        lo, hi = u0 - half, u0 + half
    else:
        lo, hi = u0 - math.log(10.0), u0 + math.log(10.0)
    lo, hi = (float(x) for x in inside(parameter, np.array([lo, hi])))
    if not lo < hi:
        raise ValueError(f"{parameter.name}: the start domain does not overlap the allowed range")
    return lo, hi


def initial_thetas(
    model: AbstractModel,
    parameters: Sequence[FreeParameter],
    n_starts: int,
    seed: int,
    include_model: bool = True,
    start_domain: Mapping[str, tuple[float, float]] | None = None,
) -> np.ndarray:
    """Starting points ``[n_starts, n_free]`` in θ: the model itself first (if asked), then uniform
    random draws in the natural coordinates over :func:`start_interval`."""
    start_domain = dict(start_domain or {})
    for name in start_domain:
        if name not in {p.name for p in parameters}:
            raise ValueError(f"start_domain[{name!r}]: not a free parameter")
    rng = np.random.default_rng(seed)
    columns = []
    for p in parameters:
        lo, hi = start_interval(model, p, start_domain.get(p.name))
        u = rng.uniform(lo, hi, size=n_starts)
        if include_model:
            u[0] = inside(p, current_natural(model, p))
        columns.append(natural_to_theta(p, u))
    return np.stack(columns, axis=-1)
