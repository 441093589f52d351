r"""Exponentially scaled :math:`K_0,K_1,K_2` in JAX against ``scipy.special.kve`` and mpmath.

The thermal averages evaluate :math:`e^zK_\nu(z)` from soft pairs (:math:`z\sim10^{-6}`) to deep
Boltzmann tails and heavy-neutrino poles (:math:`z\gg10^2`); the check covers
:math:`z\in[10^{-8},10^4]`, the derivatives (custom JVP from the recurrences) and jit/vmap.
"""

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import pytest
from scipy import special

from jaxcogen._special import bessel_k0e, bessel_k012e, bessel_k1e, bessel_k2e

Z = np.logspace(-8, 4, 1201)


@pytest.mark.parametrize("order", [0, 1, 2])
def test_scaled_bessel_against_scipy_full_range(order):
    values = np.asarray(bessel_k012e(jnp.asarray(Z))[order])
    reference = special.kve(order, Z)
    np.testing.assert_allclose(values, reference, rtol=2e-12, atol=0)
    # the range the thermal averages actually reach (z >= 1e-6): near machine precision
    reached = Z >= 1e-6
    np.testing.assert_allclose(values[reached], reference[reached], rtol=5e-14, atol=0)


def test_scaled_bessel_against_mpmath():
    z = np.array([1e-6, 3e-3, 0.5, 1.0, 7.3, 42.0, 300.0, 2500.0])
    for fn, order in ((bessel_k0e, 0), (bessel_k1e, 1), (bessel_k2e, 2)):
        values = np.asarray(fn(jnp.asarray(z)))
        with mpmath.workdps(30):
            reference = np.array([float(mpmath.besselk(order, x) * mpmath.exp(x)) for x in z])
        np.testing.assert_allclose(values, reference, rtol=2e-14, atol=0)


def test_derivatives_from_recurrences():
    r""":math:`\frac{d}{dz}(e^zK_\nu)` against central differences and the DLMF 10.29.3 identities."""
    z = jnp.asarray(np.logspace(-3, 3, 25))
    for order in range(3):

        def one(x, order=order):
            return bessel_k012e(x)[order]

        grad = jax.vmap(jax.grad(one))(z)
        h = 1e-6 * z
        fd = (one(z + h) - one(z - h)) / (2 * h)
        np.testing.assert_allclose(np.asarray(grad), np.asarray(fd), rtol=1e-7)
    # second derivative of K_1 e^z through the custom JVP: (e^z K_1)'' by mpmath
    x = 2.5
    second = float(jax.grad(jax.grad(lambda t: bessel_k1e(t)))(jnp.asarray(x)))
    with mpmath.workdps(30):
        reference = float(mpmath.diff(lambda t: mpmath.besselk(1, t) * mpmath.exp(t), x, 2))
    assert second == pytest.approx(reference, rel=1e-12)


def test_shapes_jit_and_large_argument_asymptotics():
    z = jnp.asarray(np.logspace(1, 4, 12).reshape(3, 4))
    k1 = jax.jit(bessel_k1e)(z)
    assert k1.shape == (3, 4) and k1.dtype == jnp.float64
    # e^z K_nu(z) -> sqrt(pi/2z) (1 + (4nu^2-1)/8z + ...): no overflow or underflow at z = 1e4
    zz = np.asarray(z)
    asym = np.sqrt(np.pi / (2 * zz)) * (
        1 + 3 / (8 * zz) - 15 / (128 * zz**2) + 315 / (3072 * zz**3)
    )
    assert np.all(
        np.abs(np.asarray(k1) / asym - 1) < 0.2 / zz**4 + 1e-15
    )  # next term: -14175/98304z^4
