r"""Exponentially scaled modified Bessel functions :math:`e^zK_\nu(z)`, :math:`\nu=0,1,2`, in JAX.

JAX 0.10 has no :math:`K_\nu`. The thermal averages reach :math:`z=\sqrt s/T` from :math:`\sim10^{-6}`
(soft pairs) to :math:`\gg10^2` (Boltzmann tail, heavy-neutrino poles), so the scaled functions are
computed from the integral representation (DLMF 10.32.9)

.. math::
    e^zK_\nu(z)=\int_0^\infty\exp\!\big[-2z\sinh^2(t/2)\big]\cosh(\nu t)\,dt ,

whose integrand is analytic in the strip :math:`|{\rm Im}\,t|<\pi/2` and decays double-exponentially.
The trapezoidal rule on :math:`[0,t_{\max}]` then converges geometrically, with error
:math:`\sim e^{-\pi^2/h}` for step :math:`h` (Trefethen & Weideman, SIAM Rev. 56 (2014) 385, §5).
The cut-off :math:`t_{\max}` solves :math:`2z\sinh^2(t/2)=L+2\ln(1+1/z)` (the integrand, including
the growth of :math:`\cosh 2t`, is below :math:`e^{-L}` of its peak there), so one fixed set of
:math:`N+1` nodes, rescaled with :math:`z`, serves every argument. With :math:`N=80`, :math:`L=45`
the relative error against ``scipy.special.kve`` is below :math:`5\times10^{-14}` on
:math:`z\in[10^{-6},10^{4}]`, :math:`2\times10^{-12}` down to :math:`10^{-8}` (``tests/test_collisions_special.py``).

Derivatives come from the recurrences :math:`K_0'=-K_1`, :math:`K_1'=-K_0-K_1/z`,
:math:`K_2'=-K_1-2K_2/z` (DLMF 10.29.3), through a ``jax.custom_jvp`` on the triple, so gradients are
as accurate as the values and any order of differentiation works.
"""

import jax
import jax.numpy as jnp
from jaxtyping import ArrayLike, Float

_N_NODES = 80
_DECAY = 45.0
_Z_FLOOR = 1e-300


def _acosh1p(y: Float[ArrayLike, "..."]) -> Float[ArrayLike, "..."]:
    r""":math:`{\rm arccosh}(1+y)=\ln\big(1+y+\sqrt{y(2+y)}\big)`, accurate for small :math:`y`."""
    return jnp.log1p(y + jnp.sqrt(y * (2.0 + y)))


@jax.custom_jvp
def bessel_k012e(z: Float[ArrayLike, "..."]) -> tuple[Float[ArrayLike, "..."], ...]:
    r"""The triple :math:`(e^zK_0(z),e^zK_1(z),e^zK_2(z))` for :math:`z>0` (any shape).

    See the module docstring for the method. Non-positive arguments are clamped to a tiny
    positive number (the functions diverge there; callers never pass them).
    """
    z = jnp.maximum(jnp.asarray(z, dtype=jnp.float64), _Z_FLOOR)
    t_max = _acosh1p((_DECAY + 2.0 * jnp.log1p(1.0 / z)) / z)
    k = jnp.arange(_N_NODES + 1, dtype=jnp.float64).reshape((1,) * z.ndim + (-1,))
    trap = jnp.where(k == 0, 0.5, 1.0)
    h = t_max / _N_NODES
    t = h[..., None] * k
    decay = jnp.exp(-2.0 * z[..., None] * jnp.sinh(0.5 * t) ** 2)
    weight = h[..., None] * trap * decay
    k0 = jnp.sum(weight, axis=-1)
    k1 = jnp.sum(weight * jnp.cosh(t), axis=-1)
    k2 = jnp.sum(weight * jnp.cosh(2.0 * t), axis=-1)
    return k0, k1, k2


@bessel_k012e.defjvp
def _bessel_k012e_jvp(primals, tangents):
    (z,), (dz,) = primals, tangents
    z = jnp.maximum(jnp.asarray(z, dtype=jnp.float64), _Z_FLOOR)
    k0, k1, k2 = bessel_k012e(z)
    dk0 = k0 - k1
    dk1 = k1 - k0 - k1 / z
    dk2 = k2 - k1 - 2.0 * k2 / z
    return (k0, k1, k2), (dk0 * dz, dk1 * dz, dk2 * dz)


def bessel_k0e(z: Float[ArrayLike, "..."]) -> Float[ArrayLike, "..."]:
    r""":math:`e^zK_0(z)` (module docstring)."""
    return bessel_k012e(z)[0]


def bessel_k1e(z: Float[ArrayLike, "..."]) -> Float[ArrayLike, "..."]:
    r""":math:`e^zK_1(z)` (module docstring)."""
    return bessel_k012e(z)[1]


def bessel_k2e(z: Float[ArrayLike, "..."]) -> Float[ArrayLike, "..."]:
    r""":math:`e^zK_2(z)` (module docstring)."""
    return bessel_k012e(z)[2]
