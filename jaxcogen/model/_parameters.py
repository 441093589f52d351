r"""Named access to a model's continuous parameters, shared by scans, fits and the CLI.

Names are the :class:`~jaxcogen.CogenesisModel` field names, with a suffix for one real part of a
complex coupling:

- ``"M1"``, ``"M2"``, ``"m_chi"``, ``"m_phi"``, ``"kappa"``, ``"T_RH"`` — real fields [GeV or 1];
- ``"y2.abs"``, ``"y2.arg"`` (radians), ``"y2.re"``, ``"y2.im"`` — one part of a complex coupling
  (``y1``, ``y2``, ``lambda1``, ``lambda2``); setting one part keeps the other of the pair
  (``abs``/``arg`` or ``re``/``im``) at its current value; a bare ``"y2"`` sets the whole coupling.

:func:`set_parameters` uses :func:`equinox.tree_at`, so it runs under ``jit``/``vmap``/``grad``
without re-validating (use :meth:`CogenesisModel.is_valid` there).
"""

import difflib
from collections.abc import Mapping

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike

from jaxcogen.model._cogenesis import CogenesisModel

REAL_FIELDS = ("M1", "M2", "m_chi", "m_phi", "kappa", "T_RH")
COMPLEX_FIELDS = ("y1", "y2", "lambda1", "lambda2")
COMPLEX_PARTS = ("abs", "arg", "re", "im")

#: Every valid parameter name.
PARAMETER_NAMES: tuple[str, ...] = (
    REAL_FIELDS
    + COMPLEX_FIELDS
    + tuple(f"{c}.{p}" for c in COMPLEX_FIELDS for p in COMPLEX_PARTS)
)


def check_parameter_name(name: str) -> tuple[str, str | None]:
    """Split ``"y2.arg"`` into ``("y2", "arg")``; ``ValueError`` (with a suggestion) if unknown."""
    if name not in PARAMETER_NAMES:
        close = difflib.get_close_matches(name, PARAMETER_NAMES, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(
            f"unknown parameter {name!r}{hint}; allowed: {', '.join(PARAMETER_NAMES)}"
        )
    field, _, part = name.partition(".")
    return field, (part or None)


def get_parameter(model: CogenesisModel, name: str) -> Array:
    """The value of parameter ``name`` of ``model`` (real, or complex for a bare coupling)."""
    field, part = check_parameter_name(name)
    value = getattr(model, field)
    if part == "abs":
        return jnp.abs(value)
    if part == "arg":
        return jnp.angle(value)
    if part == "re":
        return jnp.real(value)
    if part == "im":
        return jnp.imag(value)
    return value


def _combine(current: Array, part: str, value: ArrayLike) -> Array:
    value = jnp.asarray(value, dtype=jnp.float64)
    if part == "abs":
        return value * jnp.exp(1j * jnp.angle(current))
    if part == "arg":
        return jnp.abs(current) * jnp.exp(1j * value)
    if part == "re":
        return value + 1j * jnp.imag(current)
    return jnp.real(current) + 1j * value  # "im"


def set_parameters(model: CogenesisModel, values: Mapping[str, ArrayLike]) -> CogenesisModel:
    """A copy of ``model`` with the named parameters replaced (jittable, differentiable).

    Parts of the same coupling are applied in the order given, each keeping the other part of
    its pair, so ``{"y2.abs": r, "y2.arg": θ}`` sets :math:`y_2=re^{i\\theta}`.
    """
    for name, value in values.items():
        field, part = check_parameter_name(name)
        current = getattr(model, field)
        if part is None:
            dtype = jnp.complex128 if field in COMPLEX_FIELDS else jnp.float64
            new = jnp.asarray(value, dtype=dtype)
        else:
            new = _combine(current, part, value).astype(jnp.complex128)
        model = eqx.tree_at(lambda m, f=field: getattr(m, f), model, new)
    return model
