r"""Exponentially scaled :math:`K_0,K_1,K_2` (:mod:`jaxcogen._special`) against scipy and mpmath.

The rates evaluate :math:`e^zK_\nu(z)` from soft pairs (:math:`z\sim10^{-8}`, the clip of the sink
rates) to deep Boltzmann tails and heavy-neutrino poles (:math:`z\gg10^2`); the checks cover
:math:`z\in[10^{-8},10^4]`, the shipped Chebyshev coefficients against their generator, the
recurrence :math:`K_2=K_0+2K_1/z`, the derivatives (custom JVP from the recurrences), jit/vmap and
the clamped ends.
"""

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import pytest
from scipy import special

from jaxcogen import _special
from jaxcogen._special import bessel_k0e, bessel_k012e, bessel_k1e, bessel_k2e

Z = np.logspace(-8, 4, 4001)


@pytest.mark.parametrize("order", [0, 1, 2])
def test_scaled_bessel_against_scipy_full_range(order):
    # measured: max relative difference 2.4e-15 (nu = 0), 1.4e-15 (1), 6.7e-16 (2), all near z = 2
    values = np.asarray(bessel_k012e(jnp.asarray(Z))[order])
    reference = special.kve(order, Z)
    np.testing.assert_allclose(values, reference, rtol=1e-13, atol=0)


def test_scaled_bessel_against_mpmath():
    # both sides of the series/Chebyshev junction at z = 2 included; measured <= 1e-15
    z = np.array([1e-8, 1e-6, 3e-3, 0.5, 1.0, 1.999, 2.0, 2.001, 7.3, 42.0, 300.0, 2500.0, 1e4])
    for fn, order in ((bessel_k0e, 0), (bessel_k1e, 1), (bessel_k2e, 2)):
        values = np.asarray(fn(jnp.asarray(z)))
        with mpmath.workdps(30):
            reference = np.array([float(mpmath.besselk(order, x) * mpmath.exp(x)) for x in z])
        np.testing.assert_allclose(values, reference, rtol=5e-15, atol=0)


@pytest.mark.parametrize("nu", [0, 1])
def test_shipped_chebyshev_coefficients_match_their_generator(nu):
    shipped = (_special._CHEB_K0, _special._CHEB_K1)[nu]
    assert _special.chebyshev_coefficients(nu) == shipped
    # the truncation (first omitted coefficient ~ the last kept) is below rounding
    assert abs(shipped[-1]) < 2e-17 * abs(shipped[0])


def test_series_coefficients_truncation():
    # first omitted term of the ascending series at z = 2 (q = 1): 1/(14!)^2
    n = _special._N_SERIES
    assert 1.0 / float(np.prod(np.arange(1, n + 1, dtype=float))) ** 2 < 2e-22
    assert len(_special._SERIES_K0) == len(_special._SERIES_K1) == n


def test_recurrence_identity():
    r""":math:`K_2=K_0+2K_1/z` (DLMF 10.29.1) holds for the returned triple and for scipy's."""
    k0, k1, k2 = (np.asarray(k) for k in bessel_k012e(jnp.asarray(Z)))
    np.testing.assert_allclose(k2, k0 + 2.0 * k1 / Z, rtol=1e-15, atol=0)
    np.testing.assert_allclose(k0 + 2.0 * k1 / Z, special.kve(2, Z), rtol=1e-13, atol=0)


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
    # the identities with scipy's values, K_nu' from DLMF 10.29.3 plus the e^z factor
    zz = Z[::20]
    grads = [
        np.asarray(jax.vmap(jax.grad(lambda x, o=o: bessel_k012e(x)[o]))(jnp.asarray(zz)))
        for o in range(3)
    ]
    k0, k1, k2 = (special.kve(n, zz) for n in range(3))
    expected = (k0 - k1, k1 - k0 - k1 / zz, k2 - k1 - 2.0 * k2 / zz)
    # (e^z K_1)' = k1 - k0 - k1/z ~ -k1/(2z): the exact expressions cancel by ~z at large z, so
    # scipy's rounding alone gives ~1e-12 at z = 1e4
    for got, want in zip(grads, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-15 * zz.max() * 10 + 1e-13, atol=0)
    # second derivative of K_1 e^z through the custom JVP: (e^z K_1)'' by mpmath
    x = 2.5
    second = float(jax.grad(jax.grad(lambda t: bessel_k1e(t)))(jnp.asarray(x)))
    with mpmath.workdps(30):
        reference = float(mpmath.diff(lambda t: mpmath.besselk(1, t) * mpmath.exp(t), x, 2))
    assert second == pytest.approx(reference, rel=1e-12)
    # forward mode agrees with reverse mode
    tangent = jax.jvp(lambda t: bessel_k012e(t)[2], (jnp.asarray(0.7),), (jnp.asarray(1.0),))[1]
    assert float(tangent) == pytest.approx(float(jax.grad(bessel_k2e)(jnp.asarray(0.7))), rel=1e-15)


def test_shapes_jit_vmap_and_large_argument_asymptotics():
    z = jnp.asarray(np.logspace(1, 4, 12).reshape(3, 4))
    k1 = jax.jit(bessel_k1e)(z)
    assert k1.shape == (3, 4) and k1.dtype == jnp.float64
    eager = np.asarray(bessel_k1e(z))
    # vmap and jit change only the rounding (fused operations)
    np.testing.assert_allclose(np.asarray(jax.vmap(bessel_k1e)(z)), eager, rtol=1e-15, atol=0)
    batched = np.asarray(jax.jit(jax.vmap(jax.vmap(bessel_k1e)))(z))
    np.testing.assert_allclose(batched, eager, rtol=1e-15, atol=0)
    np.testing.assert_allclose(np.asarray(k1), eager, rtol=1e-15, atol=0)
    triple = jax.jit(bessel_k012e)(3.0)  # a Python scalar
    assert all(np.shape(t) == () for t in triple)
    # e^z K_nu(z) -> sqrt(pi/2z) (1 + (4nu^2-1)/8z + ...): no overflow or underflow at z = 1e4
    zz = np.asarray(z)
    asym = np.sqrt(np.pi / (2 * zz)) * (
        1 + 3 / (8 * zz) - 15 / (128 * zz**2) + 315 / (3072 * zz**3)
    )
    assert np.all(
        np.abs(np.asarray(k1) / asym - 1) < 0.2 / zz**4 + 1e-15
    )  # next term: -14175/98304z^4


def test_no_nan_at_the_clip_ends():
    """Finite values and derivatives at and beyond both ends (non-positive z is clamped to 1e-100)."""
    z = jnp.asarray([-1.0, 0.0, 1e-300, 1e-100, 1e-8, 2.0, 1e4, 1e8, 1e300])
    values = np.asarray(jnp.stack(bessel_k012e(z)))
    grads = np.stack(
        [np.asarray(jax.vmap(jax.grad(lambda x, o=o: bessel_k012e(x)[o]))(z)) for o in range(3)]
    )
    assert np.all(np.isfinite(values)) and np.all(values > 0)
    assert np.all(np.isfinite(grads))
    # the clamp: every z <= 1e-100 gives the value at 1e-100
    assert np.all(values[:, :4] == values[:, 3:4])
    # z = +inf: all three vanish (no NaN from 0 * inf)
    assert [float(k) for k in bessel_k012e(jnp.inf)] == [0.0, 0.0, 0.0]
