r"""Tree-level decays of the heavy neutrinos and their Maxwell–Boltzmann reaction densities.

Widths [D] (two-component spinors, :math:`\mathcal L\supset-y_i(L\cdot H)N_i-\lambda_i(\chi\phi)N_i
-\frac12M_iN_iN_i+{\rm h.c.}`, massless decay products). For :math:`N_i(p)\to L(k)H`, summed over
the SU(2) components (:math:`\sum|\epsilon_{ab}|^2=2`) and the :math:`N` spins, the spinor trace
gives :math:`\sum|\mathcal M|^2=2|y_i|^2\,2p\cdot k=2|y_i|^2M_i^2`; averaging over the two :math:`N`
spins and using :math:`\Gamma=\overline{|\mathcal M|^2}/(16\pi M)`:

.. math::
    \Gamma(N_i\to LH)=\Gamma(N_i\to\bar LH^\dagger)=\frac{|y_i|^2M_i}{16\pi},\qquad
    \Gamma(N_i\to\chi\phi)=\Gamma(N_i\to\bar\chi\phi^*)=\frac{|\lambda_i|^2M_i}{32\pi}

at tree level, so :math:`\Gamma_{i,L}=|y_i|^2M_i/8\pi`, :math:`\Gamma_{i,\chi}=|\lambda_i|^2M_i/16\pi`
(both CP channels; the same widths as :mod:`jaxcogen.production._validity`), :math:`\Gamma_i=\Gamma_{i,L}+\Gamma_{i,\chi}`
and branching ratios :math:`B_{i,L}+B_{i,\chi}=1`.

Thermal averages [S] (Maxwell–Boltzmann, :math:`g_N=2`, :math:`z=M/T`):

.. math::
    n_N^{\rm eq}(T)=\frac{g_N}{2\pi^2}M^2T\,K_2(z),\qquad
    \gamma_D(T)=n_N^{\rm eq}\,\frac{K_1(z)}{K_2(z)}\,\Gamma=\frac{g_N}{2\pi^2}M^2T\,K_1(z)\,\Gamma,

where :math:`K_1/K_2=\langle M/E\rangle` is the time-dilation factor. :math:`\gamma_D` is the rate
per volume of all decays of an equilibrium population, and by detailed balance (MB, zero chemical
potentials) the rate of all inverse decays from a bath at temperature :math:`T`. The energy
carried per unit time by decays is :math:`\int d^3p\,f_N\,(M/E)\Gamma\,E=M\Gamma\,n_N`.

All functions are jittable and differentiable; Bessel functions are the exponentially scaled ones
of :mod:`jaxcogen._special`, so nothing overflows for :math:`z\gg1`.
"""

import jax.numpy as jnp
from jaxtyping import ArrayLike, Float

from jaxcogen._special import bessel_k012e

#: Internal degrees of freedom of a Majorana heavy neutrino (two helicities).
g_N: float = 2.0
#: z = M/T above which every Boltzmann factor exp(-z) is treated as exactly zero (e^-700 ~ 1e-304).
_Z_MAX = 700.0


def width_lepton(y: ArrayLike, M: ArrayLike) -> Float[ArrayLike, "..."]:
    r""":math:`\Gamma_{L}=\Gamma(N\to LH)+\Gamma(N\to\bar LH^\dagger)=|y|^2M/8\pi` [GeV] (tree level)."""
    return jnp.abs(y) ** 2 * M / (8.0 * jnp.pi)


def width_dark(lam: ArrayLike, M: ArrayLike) -> Float[ArrayLike, "..."]:
    r""":math:`\Gamma_{\chi}=\Gamma(N\to\chi\phi)+\Gamma(N\to\bar\chi\phi^*)=|\lambda|^2M/16\pi` [GeV] (tree level)."""
    return jnp.abs(lam) ** 2 * M / (16.0 * jnp.pi)


def _bessel_pieces(M, T):
    """(e^{-z}, e^z K_1(z), e^z K_2(z)) at z = M/T, with T <= 0 or z > _Z_MAX mapped to e^{-z} = 0."""
    T = jnp.asarray(T, dtype=jnp.float64)
    positive = T > 0
    z = jnp.where(positive, M / jnp.where(positive, T, 1.0), _Z_MAX)
    live = z < _Z_MAX
    z_safe = jnp.where(live, z, _Z_MAX)
    _, k1e, k2e = bessel_k012e(z_safe)
    boltzmann = jnp.where(live, jnp.exp(-z_safe), 0.0)
    return boltzmann, k1e, k2e


def number_density_eq(M: ArrayLike, T: ArrayLike) -> Float[ArrayLike, "..."]:
    r""":math:`n_N^{\rm eq}(T)=\frac{g_N}{2\pi^2}M^2TK_2(M/T)` [GeV^3] (MB; zero for T ≤ 0)."""
    boltzmann, _, k2e = _bessel_pieces(M, T)
    return g_N / (2.0 * jnp.pi**2) * M**2 * jnp.maximum(T, 0.0) * k2e * boltzmann


def decay_density(M: ArrayLike, Gamma: ArrayLike, T: ArrayLike) -> Float[ArrayLike, "..."]:
    r""":math:`\gamma_D(T)=\frac{g_N}{2\pi^2}M^2TK_1(M/T)\,\Gamma` [GeV^4] (module docstring; zero for T ≤ 0)."""
    boltzmann, k1e, _ = _bessel_pieces(M, T)
    return g_N / (2.0 * jnp.pi**2) * M**2 * jnp.maximum(T, 0.0) * k1e * boltzmann * Gamma


def time_dilation(M: ArrayLike, T: ArrayLike) -> Float[ArrayLike, "..."]:
    r""":math:`\langle M/E\rangle=K_1(M/T)/K_2(M/T)` of an MB population at :math:`T>0` (scaled Bessels, no overflow)."""
    z = jnp.minimum(M / T, 1e6)
    _, k1e, k2e = bessel_k012e(z)
    return k1e / k2e
