r"""The reaction network of the production stage: every thermal rate the Boltzmann system needs.

A rate network turns :math:`(T,\,u=\xi^4)` into the net collision terms of the four production
equations (:class:`ThermalRates`). The Boltzmann system (:mod:`jaxcogen.production._boltzmann`) is written
once in terms of these, so a new way of computing rates (quadrature, quantum statistics, exact
propagators) is a new network, not a new system.

Linear response. With :math:`\mu_{\rm SM}=\hat\mu_\ell+\hat\mu_H` and
:math:`\mu_D=\hat\mu_\chi+\hat\mu_\phi\propto\Delta Y_\chi/\xi^3`, the asymmetry equations read

.. math::
    Hs\,\frac{d}{d\tau}\begin{pmatrix}\Delta Y_L\\ \Delta Y_\chi\end{pmatrix}
    =\begin{pmatrix}S_L\\ S_\chi\end{pmatrix}
    -R\begin{pmatrix}\mu_{\rm SM}\\ \xi^3\mu_D\end{pmatrix},

and the response matrix :math:`R` (GeV^4) carries every wash-out and wash-in channel. Writing
the dark column against :math:`\xi^3\mu_D` keeps it finite at :math:`\xi\to0`.
"""

import abc

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from jaxcogen import rates
from jaxcogen.model._cogenesis import EffectiveCouplings
from jaxcogen.model._conventions import Conventions


class ThermalRates(eqx.Module):
    r"""Net collision terms at one temperature (all in the plasma frame, natural units).

    Attributes:
        production: net :math:`\chi+\bar\chi` production rate per volume [GeV^4]
            (forward SM→dark minus inverse dark→SM, both CP channels).
        energy_transfer: net SM→dark energy-transfer rate per volume [GeV^5].
        source_lepton, source_dark: net CP-odd sources :math:`S_L`, :math:`S_\chi` [GeV^4].
        response: the 2×2 linear-response matrix :math:`R` of the module docstring [GeV^4].
    """

    production: Float[ArrayLike, ""]
    energy_transfer: Float[ArrayLike, ""]
    source_lepton: Float[ArrayLike, ""]
    source_dark: Float[ArrayLike, ""]
    response: Float[Array, "2 2"]


def xi_power(u: Float[ArrayLike, "*batch"], k: int) -> Float[Array, "*batch"]:
    r""":math:`\xi^k=u^{k/4}`, zero for :math:`u\le0`, with a finite derivative at u = 0 ("double where").

    Never form :math:`\xi=u^{1/4}` unguarded and raise it to a power: its derivative at u = 0 is
    infinite and poisons implicit solvers and gradients (engineering notes §7). Here the root is
    taken of :math:`u` where :math:`u>0` and of 1 elsewhere, so both branches of the final
    ``where`` are finite at u = 0 (and so is the derivative of the one chosen); for :math:`u>0`
    it is :math:`u^{k/4}` to a few ulp.
    """
    if not isinstance(k, int) or k < 0:
        raise ValueError(f"xi_power: k must be a non-negative integer, got {k!r}")
    positive = u > 0
    safe_u = jnp.where(positive, u, 1.0)
    if k % 4 == 0:
        power = safe_u ** (k // 4)  # integer power of u itself: exact for xi^4 = u
    else:
        # one fourth root by two square roots and integer powers: a field takes xi^1 ... xi^9 at
        # every evaluation, and eight float powers (exp and log each) were 40 % of its cost
        power = jnp.sqrt(jnp.sqrt(safe_u)) ** k
    return jnp.where(positive, power, 0.0)


class AbstractRateNetwork(eqx.Module):
    """A way of computing :class:`ThermalRates`; subclasses are final (equinox abstract/final pattern)."""

    @abc.abstractmethod
    def __call__(self, T: Float[ArrayLike, ""], u: Float[ArrayLike, ""]) -> ThermalRates:
        """Net collision terms at SM temperature ``T`` [GeV] and :math:`u=\\xi^4`."""


class AnalyticRateNetwork(AbstractRateNetwork):
    r"""Closed-form Maxwell–Boltzmann rates of the leading EFT, massless states (notes §3.4).

    Every rate is a power law, so the inverse (dark-initiated) rates at :math:`T_\chi=\xi T` are
    :math:`\xi^n` times the forward ones, which gives the talk's :math:`(1-\xi^n)` factors:

    .. math::
        \text{production}&=2\big[\gamma_6(1-\xi^8)+\gamma_5(1-\xi^6)\big],\qquad
        \text{energy}=C_{E5}(1-\xi^7)+C_{E6}(1-\xi^9),\\
        S_{L,\chi}^{\rm net}&=S_{L,\chi}(T)(1-\xi^8),\\
        R&=2\begin{pmatrix}
            \gamma_6+\gamma_5+4\gamma_W+m(3\xi^3\gamma_5+\frac43\xi^4\gamma_6) &
            -\xi^5\gamma_6+\xi^3\gamma_5-m(\frac43\xi\gamma_6-3\gamma_5)\\
            -\gamma_6+\gamma_5-m(\frac43\xi^4\gamma_6-3\xi^3\gamma_5) &
            \xi^5\gamma_6+\xi^3\gamma_5+4\xi^3\gamma_d+m(3\gamma_5+\frac43\xi\gamma_6)
        \end{pmatrix},

    all :math:`\gamma` at :math:`T`, :math:`m=1` with ``mixed_processes`` (notes §3.4(c′),
    crosscheck item 4). The dark column is :math:`\gamma(\xi T)\mu_D=\xi^{n-3}\gamma\,(\xi^3\mu_D)`.
    """

    couplings: EffectiveCouplings
    conventions: Conventions

    def __call__(self, T: Float[ArrayLike, ""], u: Float[ArrayLike, ""]) -> ThermalRates:
        c = self.couplings
        xi1, xi3, xi4, xi5 = (xi_power(u, k) for k in (1, 3, 4, 5))
        xi6, xi7, xi8, xi9 = (xi_power(u, k) for k in (6, 7, 8, 9))
        mixed = 1.0 if self.conventions.mixed_processes else 0.0
        g5 = rates.gamma_dim5(c, T)
        g6 = rates.gamma_dim6(c, T)
        gW = rates.gamma_weinberg(c, T)
        gd = rates.gamma_dark(c, T)  # gamma_d(xi T) = xi^6 gd
        C5 = rates.energy_transfer_dim5(c, T)
        C6 = rates.energy_transfer_dim6(c, T)
        response = 2.0 * jnp.array(
            [
                [
                    g6 + g5 + 4.0 * gW + mixed * (3.0 * xi3 * g5 + 4.0 / 3.0 * xi4 * g6),
                    -xi5 * g6 + xi3 * g5 - mixed * (4.0 / 3.0 * xi1 * g6 - 3.0 * g5),
                ],
                [
                    -g6 + g5 - mixed * (4.0 / 3.0 * xi4 * g6 - 3.0 * xi3 * g5),
                    xi5 * g6
                    + xi3 * g5
                    + 4.0 * xi3 * gd
                    + mixed * (3.0 * g5 + 4.0 / 3.0 * xi1 * g6),
                ],
            ]
        )
        return ThermalRates(
            production=2.0 * (g6 * (1 - xi8) + g5 * (1 - xi6)),
            energy_transfer=C5 * (1 - xi7) + C6 * (1 - xi9),
            source_lepton=rates.cp_source_lepton(c, T) * (1 - xi8),
            source_dark=rates.cp_source_dark(c, T) * (1 - xi8),
            response=response,
        )
