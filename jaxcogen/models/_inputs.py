"""Input checks shared by the validation models: a ``ValueError`` naming the parameter and its
allowed range, raised on concrete inputs before any ``jit`` (traced inputs get a status flag)."""

from __future__ import annotations

import jax
import numpy as np


def is_concrete(x) -> bool:
    """True when ``x`` is a concrete value (not a tracer inside ``jit``/``vmap``/``grad``)."""
    return not isinstance(x, jax.core.Tracer)


def check_range(name: str, value, lo: float, hi: float, unit: str = "") -> None:
    """Raise ``ValueError`` unless every element of ``value`` is finite and in ``[lo, hi]``."""
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)) or not (np.all(arr >= lo) and np.all(arr <= hi)):
        raise ValueError(f"{name}={value!r}: allowed range is [{lo:g}, {hi:g}]{unit}")
