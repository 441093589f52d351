r"""Observables today from the frozen-in yields (notes §5).

Sign convention: :math:`\Delta Y_L` is the lepton asymmetry made by the portal scatterings, so
:math:`Y_{B-L}=-\Delta Y_L` (no initial :math:`B`), and the observed universe has
:math:`\Delta Y_B=+8.7\times10^{-11}`.
"""

import jax.numpy as jnp
from jaxtyping import ArrayLike, Float

from jaxcogen import constants


def baryon_asymmetry(DeltaY_L: Float[ArrayLike, "..."]) -> Float[ArrayLike, "..."]:
    r"""Baryon asymmetry after sphaleron conversion, :math:`\Delta Y_B=c_s\,Y_{B-L}=-\frac{28}{79}\Delta Y_L`.

    The talk's ":math:`\Delta Y_B=c_s\Delta Y_L`" up to the sign fixed here (notes §5, [S]);
    :math:`\Delta Y_L` taken at sphaleron freeze-out :math:`T_*=131.7` GeV.
    """
    return -constants.c_sphaleron * jnp.asarray(DeltaY_L)


def relic_density(m_chi: Float[ArrayLike, "..."], Y_total: Float[ArrayLike, "..."]):
    r""":math:`\Omega_\chi h^2=m_\chi(Y_\chi+Y_{\bar\chi})\,s_0/(\rho_c/h^2)=2.7438\times10^8\,(m_\chi/{\rm GeV})\,Y` (notes §5)."""
    return constants.omega_h2_per_GeV_yield * jnp.asarray(m_chi) * jnp.asarray(Y_total)


def asymmetric_dark_matter_mass(DeltaY_chi: Float[ArrayLike, "..."]) -> Float[ArrayLike, "..."]:
    r"""Dark-matter mass a purely asymmetric relic needs for :math:`\Omega_\chi h^2=0.120` [GeV].

    Production makes :math:`\chi` and :math:`\phi` in pairs (:math:`\Delta Y_\phi=\Delta Y_\chi`, the
    exact dark charge :math:`D`, notes §1.2), and the sink coupling makes the heavier of the two
    decay into the lighter (:math:`\phi\to\chi\bar\eta` for :math:`m_\phi>m_\chi`), so the relic
    carries the asymmetry :math:`\Delta Y_\chi+\Delta Y_\phi=2\Delta Y_\chi`:

    .. math:: m_{\rm DM}=\frac{\Omega_ch^2\,\rho_c/h^2}{s_0\,2|\Delta Y_\chi|}
        =\frac{2.187\times10^{-10}\ {\rm GeV}}{|\Delta Y_\chi|}

    (notes §5 with the doubling of notes §1.2; whether the paper's :math:`\Delta Y_\chi` includes it
    is open, notes §8.8). Infinite when :math:`\Delta Y_\chi=0`. Consistent with the late-universe
    stage (:mod:`jaxcogen.late_universe._dark_freezeout`), whose asymmetric relic is :math:`2|\Delta Y_\chi|`.
    """
    return constants.Omega_c_h2_observed / (
        constants.omega_h2_per_GeV_yield * 2.0 * jnp.abs(jnp.asarray(DeltaY_chi))
    )
