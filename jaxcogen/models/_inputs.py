"""What the validation models share: input checks (a ``ValueError`` naming the parameter and its
allowed range, raised on concrete inputs before any ``jit``; traced inputs get a status flag), the
status of a solve and the NaN guard of its outputs, and the base of their solution classes."""

from __future__ import annotations

import abc
import inspect
import math
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float, Int

from jaxcogen._interface import AbstractModel
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

    status: Int[ArrayLike, "..."]
    num_steps: Int[ArrayLike, "..."]
    num_rejected_steps: Int[ArrayLike, "..."]

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


# ---- the model interface of the validation models ------------------------------------------------


class ModelSolveSettings(eqx.Module):
    """Solver settings of a validation model: traced floats (no recompilation when they change)
    plus the static step budget and save-grid size."""

    floats: dict[str, Float[ArrayLike, ""]]
    max_steps: int = eqx.field(static=True)
    n_save: int = eqx.field(static=True)


def keyword_defaults(solve) -> dict[str, Any]:
    """The keyword-only defaults of a model's public solve (``rtol``, ``max_steps``, …): the one
    place a validation model's default solver options come from."""
    return {
        name: parameter.default
        for name, parameter in inspect.signature(solve).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    }


class AbstractValidationModel(AbstractModel):
    """The :class:`~jaxcogen._interface.AbstractModel` implementation the validation models share:
    settings are the keyword options of the model's public solve (``public_solve``), checked
    against ``setting_ranges``; the traced solve is ``traced_solve``."""

    setting_ranges: eqx.AbstractClassVar[Mapping[str, tuple[float, float]]]
    #: smallest save grid whose final observables are right (freeze-out reads x_f off the grid)
    min_n_save: ClassVar[int] = 2

    @staticmethod
    @abc.abstractmethod
    def public_solve() -> Callable:
        """The model's public solve function (its keyword defaults are the default options)."""

    @abc.abstractmethod
    def traced_solve(self, floats: Mapping[str, Array], max_steps: int, n_save: int):
        """The model's solution object (a :class:`ModelSolution`), traceable."""

    @classmethod
    def default_options(cls) -> dict[str, Any]:
        return keyword_defaults(cls.public_solve())

    @classmethod
    def solve_settings(cls, options=None, *, n_save=None) -> ModelSolveSettings:
        options = dict(options or {})
        defaults = cls.default_options()
        for key in options:
            if key not in defaults:
                raise ValueError(
                    f"solve_options: unknown setting {key!r}; allowed: {list(defaults)}"
                )
        merged = {**defaults, **options}
        if n_save is not None:
            merged["n_save"] = max(n_save, cls.min_n_save)
        max_steps, save = merged.pop("max_steps"), merged.pop("n_save")
        if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1:
            raise ValueError(f"max_steps={max_steps!r}: must be a positive integer")
        if isinstance(save, bool) or not isinstance(save, int) or save < cls.min_n_save:
            raise ValueError(f"n_save={save!r}: must be an integer >= {cls.min_n_save}")
        floats = {}
        for key, value in merged.items():
            lo, hi = cls.setting_ranges.get(key, (-math.inf, math.inf))
            if not (isinstance(value, (int, float)) and lo <= float(value) <= hi):
                raise ValueError(f"{key}={value!r}: allowed range is [{lo:g}, {hi:g}]")
            floats[key] = jnp.asarray(float(value), dtype=jnp.float64)
        return ModelSolveSettings(floats=floats, max_steps=max_steps, n_save=save)

    def solve_point(self, settings: ModelSolveSettings) -> dict[str, Array]:
        solution = self.traced_solve(settings.floats, settings.max_steps, settings.n_save)
        out = {name: getattr(solution, name) for name in self.observables}
        out["status"] = solution.status
        out["num_steps"] = solution.num_steps
        out["num_rejected_steps"] = solution.num_rejected_steps
        return out

    @classmethod
    def settings_record(cls, settings: ModelSolveSettings) -> dict:
        record = {k: float(v) for k, v in settings.floats.items()}
        return record | {"max_steps": settings.max_steps, "n_save": settings.n_save}
