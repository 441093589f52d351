r"""Named access to a model's continuous parameters, shared by scans, fits and the CLI.

Names are the :class:`~jaxcogen.CogenesisModel` field names, with a suffix for one real part of a
complex coupling:

- ``"M1"``, ``"M2"``, ``"m_chi"``, ``"m_phi"``, ``"kappa"``, ``"T_RH"`` — real fields [GeV or 1];
- ``"y2.abs"``, ``"y2.arg"`` (radians), ``"y2.re"``, ``"y2.im"`` — one part of a complex coupling
  (``y1``, ``y2``, ``lambda1``, ``lambda2``); setting one part keeps the other of the pair
  (``abs``/``arg`` or ``re``/``im``) at its current value; a bare ``"y2"`` sets the whole coupling.

These are the generic methods of the model interface
(:class:`~jaxcogen._interface.AbstractModel`: ``check_parameter_name``, ``get_parameter``,
``with_parameters``) as functions of a :class:`~jaxcogen.CogenesisModel`. Setting uses
:func:`equinox.tree_at`, so it runs under ``jit``/``vmap``/``grad`` without re-validating (use
:meth:`CogenesisModel.is_valid` there).
"""

from collections.abc import Mapping

from jaxtyping import Array, ArrayLike

from jaxcogen._interface import COMPLEX_PARTS
from jaxcogen.model._cogenesis import CogenesisModel

REAL_FIELDS: tuple[str, ...] = tuple(
    name for name, p in CogenesisModel.parameters.items() if not p.complex
)
COMPLEX_FIELDS: tuple[str, ...] = tuple(
    name for name, p in CogenesisModel.parameters.items() if p.complex
)

#: Every valid parameter name.
PARAMETER_NAMES: tuple[str, ...] = CogenesisModel.parameter_names()

__all__ = [
    "COMPLEX_FIELDS",
    "COMPLEX_PARTS",
    "PARAMETER_NAMES",
    "REAL_FIELDS",
    "check_parameter_name",
    "get_parameter",
    "set_parameters",
]


def check_parameter_name(name: str) -> tuple[str, str | None]:
    """Split ``"y2.arg"`` into ``("y2", "arg")``; ``ValueError`` (with a suggestion) if unknown."""
    return CogenesisModel.check_parameter_name(name)


def get_parameter(model: CogenesisModel, name: str) -> Array:
    """The value of parameter ``name`` of ``model`` (real, or complex for a bare coupling)."""
    return model.get_parameter(name)


def set_parameters(model: CogenesisModel, values: Mapping[str, ArrayLike]) -> CogenesisModel:
    """A copy of ``model`` with the named parameters replaced (jittable, differentiable).

    Parts of the same coupling are applied in the order given, each keeping the other part of
    its pair, so ``{"y2.abs": r, "y2.arg": θ}`` sets :math:`y_2=re^{i\\theta}`.
    """
    return model.with_parameters(values)
