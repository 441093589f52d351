"""What the validation models share: input checks (a ``ValueError`` naming the parameter and its
allowed range, raised on concrete inputs before any ``jit``; traced inputs get a status flag), the
status of a solve and the NaN guard of its outputs, and the base of their solution classes."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Int

from jaxcogen._status import STATUS_INVALID_INPUT, status_code


def is_concrete(x) -> bool:
    """True when ``x`` is a concrete value (not a tracer inside ``jit``/``vmap``/``grad``)."""
    return not isinstance(x, jax.core.Tracer)


def check_range(name: str, value, lo: float, hi: float, unit: str = "") -> None:
    """Raise ``ValueError`` unless every element of ``value`` is finite and in ``[lo, hi]``."""
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)) or not (np.all(arr >= lo) and np.all(arr <= hi)):
        raise ValueError(f"{name}={value!r}: allowed range is [{lo:g}, {hi:g}]{unit}")


def validated_settings(ranges, values, max_steps, n_save) -> tuple:
    """Solver settings checked before any tracing: each float of ``values`` (``{name: value}``)
    against ``ranges[name] = (lo, hi)`` (traced values pass through), ``max_steps`` a positive
    integer, ``n_save`` an integer >= 2. Returns the floats as float64 arrays, in ``values``'s
    order; ``ValueError`` naming the setting and its allowed range otherwise."""
    for name, value in values.items():
        lo, hi = ranges[name]
        if not isinstance(value, jax.Array) and not (lo <= value <= hi):
            raise ValueError(f"{name}={value!r}: allowed range is [{lo:g}, {hi:g}]")
    if isinstance(max_steps, bool) or not (isinstance(max_steps, int) and max_steps > 0):
        raise ValueError(f"max_steps={max_steps!r}: must be a positive integer")
    if isinstance(n_save, bool) or not (isinstance(n_save, int) and n_save >= 2):
        raise ValueError(f"n_save={n_save!r}: must be an integer >= 2")
    return tuple(jnp.float64(v) for v in values.values())




def status_and_guard(valid, result):
    """The point's status (``STATUS_INVALID_INPUT`` if not ``valid``, else diffrax's code) and a
    function that turns every output into NaN unless the status is 0 (never a silently wrong
    number)."""
    status = jnp.where(valid, status_code(result), STATUS_INVALID_INPUT).astype(jnp.int32)
    ok = status == 0
    return status, lambda value: jnp.where(ok, value, jnp.nan)


class ModelSolution(eqx.Module):
    """Base of the validation models' solutions: the bookkeeping every solve reports.

    Attributes:
        status: 0 on success; a diffrax failure code, or ``STATUS_INVALID_INPUT`` (100) for
            invalid traced inputs. On failure every physical output is NaN — never a silently
            wrong number.
        num_steps: accepted steps of the solve.
        num_rejected_steps: rejected steps of the solve.
    """

    status: Int[Array, "..."]
    num_steps: Int[Array, "..."]
    num_rejected_steps: Int[Array, "..."]

    @classmethod
    def bookkeeping(cls, status, diffrax_solution) -> dict:
        """The base-class fields from a status and a ``diffrax.Solution`` (keyword arguments)."""
        stats = diffrax_solution.stats
        return dict(
            status=status,
            num_steps=stats["num_steps"],
            num_rejected_steps=stats["num_rejected_steps"],
        )

    @property
    def succeeded(self) -> bool:
        """True when every point solved (Python bool; not for use under ``jit``)."""
        return bool(np.all(np.asarray(self.status) == 0))
