r"""Derivatives of the observables with respect to the named model parameters.

For observables :math:`O_a\in\{\Delta Y_B,\Delta Y_\chi,\Sigma Y_\chi,\xi_{\rm final},\Omega_\chi h^2,\dots\}`
and parameters :math:`p_j` named as in :mod:`jaxcogen.model._parameters` (``"M1"``, ``"y2.abs"``,
``"lambda1.arg"``, ``"T_RH"``, ...), :func:`gradients` returns the Jacobian

.. math:: J_{aj}=\frac{\partial O_a}{\partial p_j}

as ``{observable: {parameter: value}}``: the derivative of the discrete solution along the
realised step sequence (diffrax stops gradients through the step-size controller; notes,
"Gradients through adaptive steps"), which agrees with central finite differences of a tightly
solved point to :math:`10^{-6}` or better (``tests/test_fit.py``).

Two modes, both through :func:`jaxcogen.model._parameters.set_parameters`:

- ``mode="reverse"``: ``jax.jacrev`` with diffrax's ``RecursiveCheckpointAdjoint``, one
  backward pass per observable — best for few observables and many parameters;
- ``mode="forward"``: ``jax.jacfwd`` with ``ForwardMode``, one tangent per parameter — best for
  few parameters (``RecursiveCheckpointAdjoint`` cannot be JVP'd, diffrax#691).

A batched model (every field with a leading batch axis, e.g. from ``jax.vmap`` of
:func:`~jaxcogen.model._parameters.set_parameters`) is handled with ``jax.vmap``; the values are then
arrays over the batch.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Literal

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from jaxcogen.model._cogenesis import CogenesisModel
from jaxcogen.model._parameters import (
    COMPLEX_FIELDS,
    REAL_FIELDS,
    check_parameter_name,
    get_parameter,
)
from jaxcogen.model._parameters import set_parameters as _set_parameters
from jaxcogen.production._settings import SolveSettings
from jaxcogen.production._solution import OBSERVABLES as SOLUTION_OBSERVABLES
from jaxcogen.production._solve import solve_unjitted

GradientMode = Literal["reverse", "forward"]

#: Scalar observables of :class:`~jaxcogen.Solution` that fits and gradients can use.
OBSERVABLES: tuple[str, ...] = SOLUTION_OBSERVABLES

#: The five observables of the gradient API by default.
DEFAULT_OBSERVABLES: tuple[str, ...] = (
    "DeltaY_B",
    "DeltaY_chi",
    "SigmaY_chi",
    "xi_final",
    "Omega_chi_h2_frozen_in",
)

#: Every continuous parameter of the model, complex couplings in polar form (14 in all).
CONTINUOUS_PARAMETERS: tuple[str, ...] = (
    "M1",
    "M2",
    *(f"{c}.{part}" for c in COMPLEX_FIELDS for part in ("abs", "arg")),
    *(f for f in REAL_FIELDS if f not in ("M1", "M2")),
)


def check_observable_name(name: str) -> str:
    """``name`` if it is one of :data:`OBSERVABLES`, else ``ValueError`` listing them."""
    if name not in OBSERVABLES:
        raise ValueError(f"unknown observable {name!r}; allowed: {', '.join(OBSERVABLES)}")
    return name


def check_real_parameters(parameters: Sequence[str]) -> tuple[str, ...]:
    """Validated real parameter names (a bare complex coupling such as ``"y2"`` is refused)."""
    names = tuple(parameters)
    if not names:
        raise ValueError("no parameters given")
    for name in names:
        field, part = check_parameter_name(name)
        if part is None and field in COMPLEX_FIELDS:
            raise ValueError(
                f"parameter {name!r} is complex; differentiate its parts "
                f"'{name}.abs', '{name}.arg' (or '{name}.re', '{name}.im')"
            )
    if len(set(names)) != len(names):
        raise ValueError(f"repeated parameter in {list(names)}")
    return names


def parameter_values(model: CogenesisModel, parameters: Sequence[str]) -> Float[Array, " p"]:
    """The current values of the named real parameters, stacked (jittable)."""
    return jnp.stack([jnp.asarray(get_parameter(model, n), jnp.float64) for n in parameters])


def observable_function(
    model: CogenesisModel,
    observables: Sequence[str],
    parameters: Sequence[str],
    settings: SolveSettings,
) -> Callable[[Float[Array, " p"]], Float[Array, " k"]]:
    r"""The map :math:`p\mapsto(O_a)` at ``model``, for ``jax.jacrev``/``jax.jacfwd`` (jittable)."""

    def f(values: Float[Array, " p"]) -> Float[Array, " k"]:
        point = _set_parameters(model, {n: values[j] for j, n in enumerate(parameters)})
        solution = solve_unjitted(point, settings)
        return jnp.stack([getattr(solution, name) for name in observables])

    return f


def jacobian(
    model: CogenesisModel,
    observables: Sequence[str],
    parameters: Sequence[str],
    settings: SolveSettings,
    mode: GradientMode = "reverse",
) -> Float[Array, "k p"]:
    r"""The Jacobian :math:`\partial O_a/\partial p_j` of one (unbatched) model, traceable.

    ``settings.adjoint`` must match ``mode`` (``"recursive"`` or ``"direct"`` for reverse,
    ``"forward"`` or ``"direct"`` for forward); :func:`gradients` arranges that.
    """
    f = observable_function(model, observables, parameters, settings)
    x0 = parameter_values(model, parameters)
    if mode == "reverse":
        return jax.jacrev(f)(x0)
    return jax.jacfwd(f)(x0)


@eqx.filter_jit
def _jacobian_jit(model, observables, parameters, settings, mode, batched):
    def one(m):
        return jacobian(m, observables, parameters, settings, mode)

    return jax.vmap(one)(model) if batched else one(model)


def _is_batched(model: CogenesisModel) -> bool:
    ndim = jnp.ndim(model.M1)
    if ndim > 1:
        raise ValueError(f"model fields have {ndim} batch axes; flatten them to one")
    return ndim == 1


def gradients(
    model: CogenesisModel,
    observables: Sequence[str] = DEFAULT_OBSERVABLES,
    parameters: Sequence[str] | None = None,
    mode: GradientMode = "reverse",
    **solve_options,
) -> dict[str, dict[str, np.ndarray]]:
    r"""Derivatives :math:`\partial O/\partial p` of every observable with respect to every parameter.

    Args:
        model: the point (or a batch of points: every field with one leading axis).
        observables: names from :data:`OBSERVABLES` (default: :data:`DEFAULT_OBSERVABLES`).
        parameters: names of :mod:`jaxcogen.model._parameters` with real values — ``"M1"``,
            ``"y2.abs"``, ``"y2.arg"`` (per radian), ``"y2.re"``, ... (default: all 14 of
            :data:`CONTINUOUS_PARAMETERS`). Derivatives are with respect to the parameter itself
            (per GeV for masses), not its logarithm.
        mode: ``"reverse"`` (``jax.jacrev``, recursive checkpointing) or ``"forward"``
            (``jax.jacfwd``, diffrax ``ForwardMode``).
        **solve_options: keyword arguments of :func:`jaxcogen.solve` (``rtol``, ``atol``, ...);
            ``adjoint`` is chosen from ``mode`` unless given.

    Returns:
        ``{observable: {parameter: derivative}}`` as NumPy float64 scalars (arrays over the batch
        for a batched model). A failed solve gives NaN derivatives.
    """
    observables = tuple(check_observable_name(o) for o in observables)
    parameters = check_real_parameters(CONTINUOUS_PARAMETERS if parameters is None else parameters)
    if mode not in ("reverse", "forward"):
        raise ValueError(f"mode={mode!r}: allowed values are 'reverse', 'forward'")
    options = dict(solve_options)
    options.setdefault("adjoint", "recursive" if mode == "reverse" else "forward")
    if mode == "forward" and options["adjoint"] == "recursive":
        raise ValueError("mode='forward' needs adjoint='forward' or 'direct' (diffrax#691)")
    settings = SolveSettings.create(**options)
    jac = _jacobian_jit(model, observables, parameters, settings, mode, _is_batched(model))
    jac = np.asarray(jax.device_get(jac))
    return {
        o: {p: jac[..., a, j] for j, p in enumerate(parameters)} for a, o in enumerate(observables)
    }


def as_matrix(
    grads: Mapping[str, Mapping[str, np.ndarray]],
) -> tuple[np.ndarray, tuple[str, ...], tuple[str, ...]]:
    """``gradients(...)`` as an array ``[..., observable, parameter]`` with its two name lists."""
    observables = tuple(grads)
    parameters = tuple(next(iter(grads.values())))
    matrix = np.stack(
        [np.stack([np.asarray(grads[o][p]) for p in parameters], -1) for o in observables], -2
    )
    return matrix, observables, parameters
