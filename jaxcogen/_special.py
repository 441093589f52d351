r"""Exponentially scaled modified Bessel functions :math:`e^zK_\nu(z)`, :math:`\nu=0,1,2`, in JAX.

JAX has no :math:`K_\nu`. The thermal averages and rates reach :math:`z=m/T` or :math:`\sqrt s/T`
from :math:`\sim10^{-8}` (soft pairs, the clip of the sink rates) to :math:`\gg10^2` (Boltzmann
tails, heavy-neutrino poles), so :func:`bessel_k012e` returns the scaled triple, which neither
overflows nor underflows, by two expansions joined at :math:`z=2`:

- :math:`z\le2`: the ascending series (DLMF 10.31.2 with 10.25.2, and 10.31.1), in :math:`q=z^2/4`,

  .. math::
      K_0(z)=-\ln\tfrac z2\,I_0(z)+\sum_{k\ge0}\psi(k+1)\frac{q^k}{(k!)^2},\qquad
      I_0(z)=\sum_{k\ge0}\frac{q^k}{(k!)^2},

      K_1(z)=\frac1z+\ln\tfrac z2\,I_1(z)
      -\frac z4\sum_{k\ge0}\big[\psi(k+1)+\psi(k+2)\big]\frac{q^k}{k!\,(k+1)!},\qquad
      I_1(z)=\frac z2\sum_{k\ge0}\frac{q^k}{k!\,(k+1)!},

  with :math:`\psi(1)=-\gamma`, :math:`\psi(k+1)=\psi(k)+1/k`; 14 terms (:func:`_series_coefficients`,
  computed at import), the first omitted one below :math:`q^{14}/(14!)^2<2\times10^{-22}` at
  :math:`z=2`. All terms are positive except the logarithm's, which dominates for :math:`z\to0`, so
  there is no cancellation; the result is multiplied by :math:`e^z` (:math:`\le e^2`).
- :math:`z>2`: :math:`\sqrt z\,e^zK_\nu(z)` (:math:`\nu=0,1`) is smooth and bounded on
  :math:`[2,\infty]` (it tends to :math:`\sqrt{\pi/2}`, with an asymptotic series in :math:`1/z`), so
  it is a Chebyshev series in :math:`s=4/z-1\in(-1,1]`,

  .. math:: \sqrt z\,e^zK_\nu(z)={\sum_{k=0}^{23}}{}' c^{(\nu)}_k\,T_k(s),

  evaluated by Clenshaw's recurrence. The 24 coefficients (:data:`_CHEB_K0`, :data:`_CHEB_K1`;
  the first one is already halved) interpolate 40-digit ``mpmath.besselk`` values at the 24
  Chebyshev points of the first kind, :func:`chebyshev_coefficients`, which regenerates them
  (``tests/test_collisions_special.py`` checks the shipped ones against it). They fall to
  :math:`10^{-17}` of the first, so the truncation is below rounding.
- :math:`K_2=K_0+2K_1/z` (DLMF 10.29.1), in both ranges.

Measured against ``scipy.special.kve`` on :math:`z\in[10^{-8},10^4]` (4001 log-spaced points): the
largest relative difference is ~2e-15 for each :math:`\nu` (``tests/test_collisions_special.py``
asserts 1e-13). A point costs 15–20 ns (jit, vmap of 10⁵, 2-core CPU, loaded), against 2.0–2.6 µs
in the same process for the 81-node trapezoidal quadrature of
:math:`\int_0^\infty e^{-2z\sinh^2(t/2)}\cosh\nu t\,dt` it replaced (``benchmarks/RESULTS.md`` §11).

Derivatives come from the recurrences :math:`K_0'=-K_1`, :math:`K_1'=-K_0-K_1/z`,
:math:`K_2'=-K_1-2K_2/z` (DLMF 10.29.3), with the :math:`e^z` factor,
:math:`(e^zK_\nu)'=e^zK_\nu+e^zK_\nu'`, through a ``jax.custom_jvp`` on the triple, so gradients are
as accurate as the values (up to the cancellation :math:`K_1-K_0\simeq K_1/2z` of the exact
expression at large :math:`z`) and any order of differentiation works.
"""

import math

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

#: Chebyshev coefficients (first term halved) of :math:`\sqrt z\,e^zK_0(z)` on :math:`z\ge2` in
#: :math:`s=4/z-1` (module docstring; ``chebyshev_coefficients(0)``).
_CHEB_K0 = (
    1.2201515410329777, -0.0314481013119645, 0.0015698838857300533,
    -0.00012849549581627802, 1.39498137188765e-05, -1.8317555227191195e-06,
    2.766813639445015e-07, -4.660489897687948e-08, 8.574034017414225e-09,
    -1.6975345093890604e-09, 3.5773972814003014e-10, -7.957489244476684e-11,
    1.85594911495304e-11, -4.514597883324084e-12, 1.140340588071181e-12,
    -2.9800969194347166e-13, 8.032890672721727e-14, -2.2275130415528847e-14,
    6.340068437544305e-15, -1.8485704457237368e-15, 5.51139353835088e-16,
    -1.6762920301495824e-16, 5.1528406856147265e-17, -1.4742634739260532e-17,
)  # fmt: skip
#: The same for :math:`\sqrt z\,e^zK_1(z)` (``chebyshev_coefficients(1)``).
_CHEB_K1 = (
    1.3603130952422213, 0.10392373657681724, -0.002857816859622779,
    0.00019521551847135162, -1.936197974166083e-05, 2.406484947837217e-06,
    -3.5019606030878126e-07, 5.7410841254500495e-08, -1.0345762465678097e-08,
    2.0150497551970334e-09, -4.190354759341897e-10, 9.218315187604557e-11,
    -2.1299678384257844e-11, 5.139639673428628e-12, -1.2891739608046139e-12,
    3.348419662086598e-13, -8.976705072553574e-14, 2.477154118743805e-14,
    -7.019828464732705e-15, 2.0386785204884434e-15, -6.056333999352184e-16,
    1.8360016627160622e-16, -5.627246396320122e-17, 1.6062645288701247e-17,
)  # fmt: skip
_N_CHEB = 24
_Z_SPLIT = 2.0
_N_SERIES = 14  # terms of the ascending series on z <= 2: q^k/(k!)^2 < 2e-22 beyond
#: Smallest argument: non-positive (and smaller) ones are clamped here; e^z K_2 ~ 2/z^2 = 2e200
#: and its derivative ~ -4/z^3 stay finite.
_Z_MIN = 1e-100


def chebyshev_coefficients(nu: int, n: int = _N_CHEB, dps: int = 40) -> tuple[float, ...]:
    r"""Generator of :data:`_CHEB_K0` / :data:`_CHEB_K1` (needs ``mpmath``; not used at run time).

    Interpolates :math:`f(s)=\sqrt z\,e^zK_\nu(z)`, :math:`z=4/(1+s)`, at the Chebyshev points
    :math:`s_j=\cos[\pi(j+\frac12)/n]`, :math:`j<n`, in ``dps``-digit arithmetic:
    :math:`c_k=\frac2n\sum_jf(s_j)\cos[\pi k(j+\frac12)/n]`, with :math:`c_0` halved.
    """
    import mpmath  # a test/development dependency only

    with mpmath.workdps(dps):
        half = mpmath.mpf(1) / 2
        angles = [mpmath.pi * (j + half) / n for j in range(n)]
        values = []
        for angle in angles:
            z = 4 / (1 + mpmath.cos(angle))
            values.append(mpmath.sqrt(z) * mpmath.exp(z) * mpmath.besselk(nu, z))
        coefficients = [
            2 * mpmath.fsum(f * mpmath.cos(k * a) for f, a in zip(values, angles, strict=True)) / n
            for k in range(n)
        ]
        coefficients[0] /= 2
        return tuple(float(c) for c in coefficients)


def _series_coefficients():
    """Ascending-series coefficients (module docstring) in powers of z²/4, highest first (Horner):
    those of I_0, of Σψ(k+1)q^k/(k!)², of 2I_1/z and of Σ[ψ(k+1)+ψ(k+2)]q^k/(k!(k+1)!)."""
    psi = [-0.5772156649015329]  # ψ(1) = -γ; ψ(k+1) = ψ(k) + 1/k
    for k in range(1, _N_SERIES + 1):
        psi.append(psi[-1] + 1.0 / k)
    fact = [math.factorial(k) for k in range(_N_SERIES + 1)]
    i0 = [1.0 / fact[k] ** 2 for k in range(_N_SERIES)]
    k0 = [psi[k] / fact[k] ** 2 for k in range(_N_SERIES)]
    i1 = [1.0 / (fact[k] * fact[k + 1]) for k in range(_N_SERIES)]
    k1 = [(psi[k] + psi[k + 1]) / (fact[k] * fact[k + 1]) for k in range(_N_SERIES)]
    return tuple(tuple(reversed(c)) for c in (i0, k0, i1, k1))


_SERIES_I0, _SERIES_K0, _SERIES_I1, _SERIES_K1 = _series_coefficients()


def _horner(coefficients, x):
    out = jnp.full_like(x, coefficients[0])
    for c in coefficients[1:]:
        out = out * x + c
    return out


def _clenshaw(coefficients, s):
    b1 = jnp.zeros_like(s)
    b2 = jnp.zeros_like(s)
    for c in reversed(coefficients[1:]):
        b1, b2 = c + 2.0 * s * b1 - b2, b1
    return coefficients[0] + s * b1 - b2


@jax.custom_jvp
def bessel_k012e(z: Float[ArrayLike, "..."]) -> tuple[Float[Array, "..."], ...]:
    r"""The triple :math:`(e^zK_0(z),e^zK_1(z),e^zK_2(z))` for :math:`z>0` (any shape), ~1e-15 relative.

    See the module docstring for the method. Arguments below ``_Z_MIN`` = 1e-100 (non-positive
    ones included: the functions diverge there; callers never pass them) are clamped to it;
    :math:`z=+\infty` gives zeros.
    """
    z = jnp.maximum(jnp.asarray(z, dtype=jnp.float64), _Z_MIN)
    # ascending series (both branches are evaluated, each on an argument clamped to its range)
    zs = jnp.minimum(z, _Z_SPLIT)
    q = 0.25 * zs * zs
    log_half = jnp.log(0.5 * zs)
    k0_small = _horner(_SERIES_K0, q) - log_half * _horner(_SERIES_I0, q)
    k1_small = (
        1.0 / zs + log_half * 0.5 * zs * _horner(_SERIES_I1, q) - 0.25 * zs * _horner(_SERIES_K1, q)
    )
    scale = jnp.exp(zs)
    # Chebyshev series of sqrt(z) e^z K_nu(z)
    zl = jnp.maximum(z, _Z_SPLIT)
    s = 4.0 / zl - 1.0
    root = 1.0 / jnp.sqrt(zl)
    small = z <= _Z_SPLIT
    k0e = jnp.where(small, scale * k0_small, root * _clenshaw(_CHEB_K0, s))
    k1e = jnp.where(small, scale * k1_small, root * _clenshaw(_CHEB_K1, s))
    return k0e, k1e, k0e + 2.0 * k1e / z


@bessel_k012e.defjvp
def _bessel_k012e_jvp(primals, tangents):
    (z,), (dz,) = primals, tangents
    z = jnp.maximum(jnp.asarray(z, dtype=jnp.float64), _Z_MIN)
    k0, k1, k2 = bessel_k012e(z)
    dk0 = k0 - k1
    dk1 = k1 - k0 - k1 / z
    dk2 = k2 - k1 - 2.0 * k2 / z
    return (k0, k1, k2), (dk0 * dz, dk1 * dz, dk2 * dz)


def bessel_k0e(z: Float[ArrayLike, "..."]) -> Float[Array, "..."]:
    r""":math:`e^zK_0(z)` (module docstring)."""
    return bessel_k012e(z)[0]


def bessel_k1e(z: Float[ArrayLike, "..."]) -> Float[Array, "..."]:
    r""":math:`e^zK_1(z)` (module docstring)."""
    return bessel_k012e(z)[1]


def bessel_k2e(z: Float[ArrayLike, "..."]) -> Float[Array, "..."]:
    r""":math:`e^zK_2(z)` (module docstring)."""
    return bessel_k012e(z)[2]
