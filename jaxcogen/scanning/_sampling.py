r"""Space-filling samples of named parameters within bounds, for :func:`jaxcogen.scan`.

Two designs from :mod:`scipy.stats.qmc`, both seeded so a scan is reproducible:

- :func:`latin_hypercube`: every parameter's range is cut into ``n`` equal strata and each
  stratum holds exactly one point (McKay, Beckman & Conover 1979);
- :func:`sobol`: a scrambled Sobol' low-discrepancy sequence (Owen scrambling); its balance
  properties hold for ``n`` a power of two.

A parameter listed in ``log`` is sampled uniformly in :math:`\ln x` (log-uniform), the natural
choice for masses and temperatures spanning decades. The result maps each name to a float64
array of length ``n``, ready for ``jaxcogen.scan(model, samples=...)``.
"""

import math
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Literal, no_type_check

import numpy as np
from scipy.stats import qmc

from jaxcogen.model._parameters import COMPLEX_FIELDS, check_parameter_name

SamplingMethod = Literal["sobol", "lhs"]

#: The sampling methods by name (the ``method`` of a scan file's ``[samples]`` table).
SAMPLING_METHODS: tuple[str, ...] = ("sobol", "lhs")


def _checked_bounds(
    bounds: Mapping[str, Sequence[float]], log: Iterable[str]
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Names, lower and upper bounds, and the log flags, validated (``ValueError`` otherwise)."""
    if not isinstance(bounds, Mapping) or not bounds:
        raise ValueError("bounds: give at least one parameter as {name: (low, high)}")
    log = [log] if isinstance(log, str) else list(log)
    names, lows, highs = [], [], []
    for name, pair in bounds.items():
        field, part = check_parameter_name(name)
        if field in COMPLEX_FIELDS and part is None:
            raise ValueError(
                f"bounds[{name!r}]: a complex coupling has no range; sample "
                f"'{name}.abs' and '{name}.arg' (or '.re' and '.im') instead"
            )
        try:
            low, high = (float(v) for v in pair)
        except (TypeError, ValueError) as err:
            raise ValueError(f"bounds[{name!r}]={pair!r}: must be a pair (low, high)") from err
        if not (math.isfinite(low) and math.isfinite(high)):
            raise ValueError(f"bounds[{name!r}]=({low!r}, {high!r}): must be finite")
        if not low < high:
            raise ValueError(f"bounds[{name!r}]=({low!r}, {high!r}): need low < high")
        names.append(name)
        lows.append(low)
        highs.append(high)
    for name in log:
        if name not in bounds:
            raise ValueError(f"log: {name!r} is not one of the sampled parameters {names}")
        low = lows[names.index(name)]
        if not low > 0:
            raise ValueError(
                f"log: {name!r} has low bound {low!r}; log-uniform sampling needs low > 0"
            )
    is_log = np.array([name in log for name in names])
    return names, np.array(lows), np.array(highs), is_log


def _check_size(n: int, seed: int) -> None:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n={n!r}: the number of samples must be a positive integer")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed={seed!r}: must be an integer (samples are always seeded)")


def _scale(
    unit: np.ndarray, names: list[str], low: np.ndarray, high: np.ndarray, is_log: np.ndarray
) -> dict[str, np.ndarray]:
    """Map points of the unit cube onto the bounds (log-uniform where ``is_log``)."""
    safe_low = np.where(is_log, low, 1.0)
    safe_high = np.where(is_log, high, 1.0)
    linear = low + (high - low) * unit
    logarithmic = np.exp(np.log(safe_low) + (np.log(safe_high) - np.log(safe_low)) * unit)
    values = np.clip(np.where(is_log, logarithmic, linear), low, high)
    return {name: np.ascontiguousarray(values[:, k]) for k, name in enumerate(names)}


def _engine(kind: Callable, d: int, seed: int):
    """A qmc engine seeded with ``seed`` (``rng=`` on SciPy >= 1.15, ``seed=`` before)."""
    try:
        return kind(d, rng=np.random.default_rng(seed))
    except TypeError:  # SciPy < 1.15
        return kind(d, seed=np.random.default_rng(seed))


def latin_hypercube(
    bounds: Mapping[str, Sequence[float]],
    n: int,
    *,
    seed: int = 0,
    log: Iterable[str] = (),
) -> dict[str, np.ndarray]:
    """``n`` Latin-hypercube points within ``bounds``.

    Args:
        bounds: ``{name: (low, high)}`` for each sampled parameter (names as in
            :mod:`jaxcogen.model._parameters`, e.g. ``"M1"``, ``"y2.abs"``); masses in GeV.
        n: number of points.
        seed: seed of the random generator; the same seed gives the same points.
        log: names sampled log-uniformly (their low bound must be > 0).

    Returns:
        ``{name: float64 array of length n}``.
    """
    _check_size(n, seed)
    names, low, high, is_log = _checked_bounds(bounds, log)
    unit = _engine(qmc.LatinHypercube, len(names), seed).random(int(n))
    return _scale(unit, names, low, high, is_log)


def sobol(
    bounds: Mapping[str, Sequence[float]],
    n: int,
    *,
    seed: int = 0,
    log: Iterable[str] = (),
) -> dict[str, np.ndarray]:
    """``n`` points of a scrambled Sobol' sequence within ``bounds``.

    Arguments as in :func:`latin_hypercube`. Use ``n`` a power of two for the sequence's balance
    properties (any ``n`` works; SciPy's warning about it is silenced here).
    """
    _check_size(n, seed)
    names, low, high, is_log = _checked_bounds(bounds, log)
    engine = _engine(qmc.Sobol, len(names), seed)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*balance properties.*")
        unit = engine.random(int(n))
    return _scale(unit, names, low, high, is_log)


@no_type_check  # validates its own input (ValueError naming the method and the allowed ones)
def sample_parameters(
    method: SamplingMethod,
    bounds: Mapping[str, Sequence[float]],
    n: int,
    *,
    seed: int = 0,
    log: Iterable[str] = (),
) -> dict[str, np.ndarray]:
    """Dispatch to :func:`sobol` (``method="sobol"``) or :func:`latin_hypercube` (``"lhs"``)."""
    if method == "sobol":
        return sobol(bounds, n, seed=seed, log=log)
    if method == "lhs":
        return latin_hypercube(bounds, n, seed=seed, log=log)
    raise ValueError(f"method={method!r}: allowed values are {SAMPLING_METHODS}")
