r"""Unconstrained coordinates for fits: every point the optimiser can reach is a valid model.

Each free parameter :math:`p` has a *natural coordinate* :math:`u` and an interval
:math:`(u_-,u_+)` (either end may be infinite):

.. math::
    u=\begin{cases}
      \ln(p/T_{\rm RH}) & p\in\{M_1,M_2,m_\chi,m_\phi\}\quad\text{(masses relative to } T_{\rm RH})\\
      \ln p & p\in\{|y_i|,|\lambda_i|,\kappa,T_{\rm RH}\}\\
      p & p\in\{\arg y_i,\arg\lambda_i\}
    \end{cases}

and the optimiser moves the unconstrained :math:`\theta\in\mathbb R` with

.. math::
    u(\theta)=\begin{cases}
      \theta & \text{no bound}\\
      u_-+\operatorname{softplus}(\theta) & \text{lower bound only}\\
      u_+-\operatorname{softplus}(-\theta) & \text{upper bound only}\\
      u_-+(u_+-u_-)\,\sigma(\theta) & \text{both}
    \end{cases}

(monotone increasing, the identity far from a bound). The validity rule
:math:`M_i>r\,T_{\rm RH}`, :math:`h\,T_{\rm RH}>m_\chi,m_\phi` (:math:`h` the model's
``eft_hierarchy``, :math:`r=\max(h,\text{min\_mass\_ratio})`) is then a box in :math:`u`:
:math:`u_{M_i}>\ln r`, :math:`u_{m_\chi},u_{m_\phi}<\ln h`. A free :math:`T_{\rm RH}` moves the
free masses with it and is itself bounded by the fixed ones,
:math:`\max(m_\chi,m_\phi)/h<T_{\rm RH}<\min(M_1,M_2)/r`. Phases are unconstrained angles.

Default bounds besides validity: perturbativity :math:`|y_i|,|\lambda_i|,\kappa\le\sqrt{4\pi}`. User ``bounds`` (physical units) intersect
them; with a free :math:`T_{\rm RH}`, absolute bounds on a free mass are refused (bound the ratio
with ``min_mass_ratio`` instead).
"""

import dataclasses
import math
from collections.abc import Mapping, Sequence

import numpy as np

from jaxcogen.fitting._gradients import CONTINUOUS_PARAMETERS
from jaxcogen.model._cogenesis import CogenesisModel
from jaxcogen.model._parameters import COMPLEX_FIELDS, check_parameter_name, get_parameter

#: The parameters a fit can free (complex couplings in polar form).
FITTABLE: tuple[str, ...] = CONTINUOUS_PARAMETERS

#: Perturbativity limit used as the default upper bound of couplings.
PERTURBATIVE_COUPLING: float = math.sqrt(4.0 * math.pi)

HEAVY_MASSES = ("M1", "M2")
LIGHT_MASSES = ("m_chi", "m_phi")

#: Relative margin that keeps the open validity inequalities strict after rounding.
_STRICT = 1e-12

#: Distance (natural units) a start is kept from a bound, so the transform is not saturated.
_START_MARGIN = 1e-3


@dataclasses.dataclass(frozen=True)
class FreeParameter:
    r"""One free parameter: its name, natural coordinate and interval :math:`(u_-,u_+)`.

    Attributes:
        name: the :mod:`jaxcogen.model._parameters` name (``"M1"``, ``"y2.arg"``, ...).
        coordinate: ``"log_ratio"`` (:math:`\ln(p/T_{\rm RH})`), ``"log"`` or ``"linear"``.
        lower, upper: the interval in the natural coordinate (``±inf`` when open).
    """

    name: str
    coordinate: str
    lower: float
    upper: float

    @property
    def side(self) -> str:
        """Which ends are bounded: ``"none"``, ``"lower"``, ``"upper"`` or ``"both"``."""
        lo, hi = math.isfinite(self.lower), math.isfinite(self.upper)
        return {(False, False): "none", (True, False): "lower", (False, True): "upper"}.get(
            (lo, hi), "both"
        )


def coordinate_of(name: str) -> str:
    """The natural coordinate of a fittable parameter (``ValueError`` for any other name).

    Fittable: the 14 :data:`~jaxcogen.fitting._gradients.CONTINUOUS_PARAMETERS` (complex couplings in
    polar form).
    """
    field, part = check_parameter_name(name)
    if name not in FITTABLE:
        if part is None and field in COMPLEX_FIELDS:
            hint = f"free its parts '{name}.abs', '{name}.arg'"
        else:
            hint = f"fit '{field}.abs', '{field}.arg' instead"
        raise ValueError(f"cannot fit {name!r}: {hint}")
    if field in HEAVY_MASSES + LIGHT_MASSES:
        return "log_ratio"
    if part == "arg":
        return "linear"
    return "log"  # |coupling|, kappa, T_RH


def to_natural(name: str, value: float, T_RH: float) -> float:
    """Physical value → natural coordinate (``T_RH`` for the relative masses)."""
    coordinate = coordinate_of(name)
    if coordinate == "linear":
        return float(value)
    with np.errstate(divide="ignore", invalid="ignore"):
        if coordinate == "log_ratio":
            return float(np.log(value / T_RH))
        return float(np.log(value))


def _default_interval(name: str) -> tuple[float, float]:
    field, part = check_parameter_name(name)
    if part == "abs" or field == "kappa":
        return -math.inf, math.log(PERTURBATIVE_COUPLING)
    return -math.inf, math.inf


def check_free(free: Sequence[str]) -> tuple[str, ...]:
    """Validated free-parameter names: fittable and not repeated."""
    names = (free,) if isinstance(free, str) else tuple(free)
    if not names:
        raise ValueError("no free parameters given")
    for name in names:
        coordinate_of(name)
    if len(set(names)) != len(names):
        raise ValueError(f"repeated free parameter in {list(names)}")
    return names


def free_parameters(
    model: CogenesisModel,
    free: Sequence[str],
    bounds: Mapping[str, tuple[float, float]] | None = None,
    min_mass_ratio: float | None = None,
) -> tuple[FreeParameter, ...]:
    r"""The :class:`FreeParameter` list of a fit (intervals from validity, perturbativity, ``bounds``).

    Raises ``ValueError`` for a bad name or bound, or when the *fixed* parameters already
    violate :math:`M_i\ge r\,T_{\rm RH}` (nothing the fit could change would repair it).
    """
    names = check_free(free)
    bounds = dict(bounds or {})
    for name, pair in bounds.items():
        if name not in names:
            raise ValueError(f"bounds given for {name!r}, which is not free ({', '.join(names)})")
        try:
            lo, hi = (float(x) for x in pair)
        except (TypeError, ValueError):
            raise ValueError(f"bounds[{name!r}]={pair!r}: expected (low, high)") from None
        if not lo < hi:
            raise ValueError(f"bounds[{name!r}]=({lo:g}, {hi:g}): need low < high")
        bounds[name] = (lo, hi)
    h = float(model.eft_hierarchy)
    r = max(h, float(min_mass_ratio or h))
    T_RH_free = "T_RH" in names
    T_RH = float(model.T_RH)
    for name in HEAVY_MASSES:
        ratio = float(getattr(model, name)) / T_RH
        if name not in names and not T_RH_free and ratio < r * (1 - 1e-12):
            raise ValueError(
                f"{name}/T_RH = {ratio:.6g} < min_mass_ratio {r:g} with {name} and T_RH fixed; "
                f"free one of them or lower min_mass_ratio"
            )

    out = []
    for name in names:
        coordinate = coordinate_of(name)
        value = float(np.asarray(get_parameter(model, name)))
        if coordinate != "linear" and not value > 0:
            raise ValueError(
                f"{name}={value:g}: a positive parameter fitted on a log scale must start > 0"
            )
        lower, upper = _default_interval(name)
        if name in HEAVY_MASSES:
            lower = math.log(r) + _STRICT
        elif name in LIGHT_MASSES:
            upper = math.log(h) - _STRICT
        elif name == "T_RH":
            heavy = [float(getattr(model, m)) / r for m in HEAVY_MASSES if m not in names]
            light = [float(getattr(model, m)) / h for m in LIGHT_MASSES if m not in names]
            if heavy:
                upper = math.log(min(heavy)) - _STRICT
            if light:
                lower = math.log(max(light)) + _STRICT
        if name in bounds:
            lo, hi = bounds[name]
            if coordinate == "log_ratio" and T_RH_free:
                raise ValueError(
                    f"bounds on {name} with T_RH free are not supported: {name} moves with T_RH "
                    f"(bound M_i/T_RH with min_mass_ratio instead)"
                )
            if coordinate != "linear" and lo < 0:
                raise ValueError(f"bounds[{name!r}]: {name} is positive, low must be >= 0")
            lo_u = -math.inf if coordinate != "linear" and lo == 0 else to_natural(name, lo, T_RH)
            hi_u = to_natural(name, hi, T_RH)
            lower, upper = max(lower, lo_u), min(upper, hi_u)
        if not lower < upper:
            raise ValueError(
                f"{name}: the allowed range is empty (bounds, validity, min_mass_ratio)"
            )
        out.append(FreeParameter(name, coordinate, lower, upper))
    return tuple(out)


# ---- θ <-> u in NumPy (starts); the traced forward map lives in jaxcogen.fitting._problem ----------------


def _softplus_inverse(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x + np.log(-np.expm1(-x))


def natural_to_theta(parameter: FreeParameter, u: np.ndarray) -> np.ndarray:
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


def theta_to_natural(parameter: FreeParameter, theta: np.ndarray) -> np.ndarray:
    """The bounded transform in NumPy (for reports; the traced version is in fit_problem)."""
    lo, hi, side = parameter.lower, parameter.upper, parameter.side
    theta = np.asarray(theta, dtype=np.float64)
    if side == "none":
        return theta
    if side == "lower":
        return lo + np.logaddexp(theta, 0.0)
    if side == "upper":
        return hi - np.logaddexp(-theta, 0.0)
    return lo + (hi - lo) / (1.0 + np.exp(-theta))


def inside(parameter: FreeParameter, u: np.ndarray) -> np.ndarray:
    """``u`` moved strictly inside the interval, at least a small margin from each end."""
    lo, hi = parameter.lower, parameter.upper
    margin = _START_MARGIN
    if math.isfinite(lo) and math.isfinite(hi):
        margin = min(margin, 0.01 * (hi - lo))
    return np.clip(np.asarray(u, dtype=np.float64), lo + margin, hi - margin)


def current_natural(model: CogenesisModel, parameter: FreeParameter) -> float:
    """The model's value of a free parameter in its natural coordinate."""
    value = float(np.asarray(get_parameter(model, parameter.name)))
    return to_natural(parameter.name, value, float(model.T_RH))


def start_interval(
    model: CogenesisModel,
    parameter: FreeParameter,
    domain: tuple[float, float] | None = None,
) -> tuple[float, float]:
    r"""Where random starts are drawn, in the natural coordinate (uniformly).

    Default: phases over :math:`[-\pi,\pi]`; log coordinates one decade either side of the
    model's value. ``domain`` (physical units) replaces it. Always intersected with the fit's
    interval.
    """
    u0 = current_natural(model, parameter)
    if domain is not None:
        lo, hi = (to_natural(parameter.name, float(x), float(model.T_RH)) for x in domain)
    elif parameter.coordinate == "linear":
        lo, hi = -math.pi, math.pi
    else:
        lo, hi = u0 - math.log(10.0), u0 + math.log(10.0)
    lo, hi = (float(x) for x in inside(parameter, np.array([lo, hi])))
    if not lo < hi:
        raise ValueError(f"{parameter.name}: the start domain does not overlap the allowed range")
    return lo, hi


def initial_thetas(
    model: CogenesisModel,
    parameters: Sequence[FreeParameter],
    n_starts: int,
    seed: int,
    include_model: bool = True,
    start_domain: Mapping[str, tuple[float, float]] | None = None,
) -> np.ndarray:
    """Starting points ``[n_starts, n_free]`` in θ: the model itself first (if asked), then uniform
    random draws in the natural coordinates over :func:`start_interval`."""
    start_domain = dict(start_domain or {})
    unknown = set(start_domain) - {p.name for p in parameters}
    if unknown:
        raise ValueError(f"start_domain for parameters that are not free: {sorted(unknown)}")
    rng = np.random.default_rng(seed)
    columns = []
    for p in parameters:
        lo, hi = start_interval(model, p, start_domain.get(p.name))
        u = rng.uniform(lo, hi, size=n_starts)
        if include_model:
            u[0] = inside(p, current_natural(model, p))
        columns.append(natural_to_theta(p, u))
    return np.stack(columns, axis=-1)
