r"""Closed-form Maxwell–Boltzmann reaction densities of the leading EFT, massless external states.

Every function is pure, jittable and differentiable, and takes either a
:class:`~jaxcogen.CogenesisModel` or its real :class:`~jaxcogen.model.EffectiveCouplings`;
temperatures in GeV; reaction densities :math:`\gamma` in GeV^4 (number of reactions per volume per time), energy-transfer rates
:math:`C_E` in GeV^5. Tags follow the physics notes: [T] talk, [D] derived and cross-checked,
[H] hypothesis reproducing the talk's constants.

The thermal averages used (notes §3.3, [S]/[D]):

.. math::
    \gamma(T)=\frac{T}{64\pi^4}\int_0^\infty ds\,\hat\sigma(s)\sqrt s\,K_1(\sqrt s/T),\qquad
    C_E(T)=\frac{T}{64\pi^4}\int_0^\infty ds\,\hat\sigma(s)\,s\,K_2(\sqrt s/T),

with :math:`\int_0^\infty z^\mu K_\nu(z)dz=2^{\mu-1}\Gamma(\frac{1+\mu+\nu}2)\Gamma(\frac{1+\mu-\nu}2)`.
For :math:`\hat\sigma=c\,s` one finds :math:`\gamma=cT^6/2\pi^4`, :math:`C_E=3cT^7/\pi^4`; for
:math:`\hat\sigma=c\,s^2`, :math:`\gamma=12cT^8/\pi^4`, :math:`C_E=96cT^9/\pi^4`.
"""

import jax.numpy as jnp
from jaxtyping import ArrayLike, Float

from jaxcogen.model._cogenesis import CogenesisModel, EffectiveCouplings

_PI = jnp.pi

Couplings = CogenesisModel | EffectiveCouplings


def _effective(model: Couplings) -> EffectiveCouplings:
    return model.effective_couplings() if isinstance(model, CogenesisModel) else model


def gamma_dim5(model: Couplings, T: Float[ArrayLike, ""]) -> Float[ArrayLike, ""]:
    r"""Reaction density of :math:`LH\to\bar\chi\phi^*` (one CP channel), dim-5 operator :math:`a`.

    :math:`\hat\sigma=|a|^2s/8\pi` gives :math:`\gamma_5=|a|^2T^6/16\pi^5` (notes §2.2, [D]).
    """
    return _effective(model).abs_a2 * T**6 / (16.0 * _PI**5)


def gamma_dim6(model: Couplings, T: Float[ArrayLike, ""]) -> Float[ArrayLike, ""]:
    r"""Reaction density of :math:`LH\to\chi\phi` (one CP channel), dim-6 operator :math:`b`.

    :math:`\hat\sigma=|b|^2s^2/8\pi` gives :math:`\gamma_6=\frac32|b|^2T^8/\pi^5` (notes §2.2, [D]).
    """
    return 1.5 * _effective(model).abs_b2 * T**8 / _PI**5


def gamma_weinberg(model: Couplings, T: Float[ArrayLike, ""]) -> Float[ArrayLike, ""]:
    r"""Reaction density of the :math:`\Delta L=2` scattering :math:`LH\to\bar LH^\dagger`.

    :math:`\hat\sigma=3|w|^2s/4\pi` gives :math:`\gamma_W=3|w|^2T^6/8\pi^5` (notes §2.2, [D]). The
    :math:`t`-channel :math:`LL\to H^\dagger H^\dagger` pairs are accounted for by the factor 4 of
    the wash-out term (notes §3.4(c), crosscheck item 4).
    """
    return 3.0 * _effective(model).abs_w2 * T**6 / (8.0 * _PI**5)


def gamma_dark(model: Couplings, T_chi: Float[ArrayLike, ""]) -> Float[ArrayLike, ""]:
    r"""Reaction density of the dark :math:`\chi\phi\to\bar\chi\phi^*` scattering at :math:`T_\chi`.

    :math:`\hat\sigma=|d|^2s/4\pi` gives :math:`\gamma_d=|d|^2T_\chi^6/8\pi^5` (notes §2.2, [D]).
    """
    return _effective(model).abs_d2 * T_chi**6 / (8.0 * _PI**5)


def gamma_mixed_dim5(
    model: Couplings, T: Float[ArrayLike, ""], T_chi: Float[ArrayLike, ""]
) -> Float[ArrayLike, ""]:
    r"""Mixed SM+dark dim-5 channels :math:`L\chi\leftrightarrow\bar H\bar\phi`, :math:`L\phi\leftrightarrow\bar H\bar\chi`.

    :math:`\hat\sigma=|a|^2s/4\pi+|a|^2s/8\pi`, one initial particle at :math:`T` and one at
    :math:`T_\chi`: :math:`\gamma=cT^3T_\chi^3/2\pi^4=3|a|^2T^3T_\chi^3/16\pi^5=3\xi^3\gamma_5(T)`
    (notes §3.4(c′), crosscheck item 4(a), [D]).
    """
    return 3.0 * _effective(model).abs_a2 * T**3 * T_chi**3 / (16.0 * _PI**5)


def gamma_mixed_dim6(
    model: Couplings, T: Float[ArrayLike, ""], T_chi: Float[ArrayLike, ""]
) -> Float[ArrayLike, ""]:
    r"""Mixed SM+dark dim-6 channels :math:`\bar L\chi\leftrightarrow H\bar\phi`, :math:`\bar L\phi\leftrightarrow H\bar\chi`.

    :math:`\hat\sigma=|b|^2s^2/24\pi+|b|^2s^2/8\pi`:
    :math:`\gamma=12cT^4T_\chi^4/\pi^4=2|b|^2T^4T_\chi^4/\pi^5=\frac43\xi^4\gamma_6(T)`
    (notes §3.4(c′), crosscheck item 4(a), [D]).
    """
    return 2.0 * _effective(model).abs_b2 * T**4 * T_chi**4 / _PI**5


def cp_source_lepton(model: Couplings, T: Float[ArrayLike, ""]) -> Float[ArrayLike, ""]:
    r"""CP-odd lepton-number source of SM-initiated scatterings, both CP channels.

    .. math:: S_L(T)=\sum_f\Delta L_f\,\Delta\gamma(LH\to f)=-\frac98\frac{J_w}{\pi^6}T^8

    (notes §2.4, [D]; sign confirmed by the independent full two-N computation, crosscheck item 3).
    """
    return -9.0 / 8.0 * _effective(model).J_w * T**8 / _PI**6


def cp_source_dark(model: Couplings, T: Float[ArrayLike, ""]) -> Float[ArrayLike, ""]:
    r"""CP-odd dark-number source :math:`S_\chi(T)=\Delta\gamma_{\chi\phi}-\Delta\gamma_{\bar\chi\phi^*}=-\frac34\frac{J_d}{\pi^6}T^8`.

    Notes §2.4, [D], cross-checked (crosscheck item 3).
    """
    return -0.75 * _effective(model).J_d * T**8 / _PI**6


def energy_transfer_dim5(model: Couplings, T: Float[ArrayLike, ""]) -> Float[ArrayLike, ""]:
    r"""Energy-transfer rate of the dim-5 portal, all channels counted by the convention.

    - ``"exact"``: both CP channels, plasma frame, :math:`2\times12|a|^2T^7/(2\pi)^5`
      (notes §2.2, §3.4(a), [D]).
    - ``"talk"``: one CP channel, :math:`\sqrt s` weighting,
      :math:`\frac{T}{64\pi^4}\int ds\,\frac{|a|^2s}{8\pi}\,s\,K_1=\frac{45|a|^2T^7}{512\pi^4}`
      (:math:`\int z^5K_1=45\pi/2`; notes §2.3, [H]).
    """
    couplings = _effective(model)
    a2 = couplings.abs_a2
    if couplings.conventions.energy_transfer == "talk":
        return 45.0 * a2 * T**7 / (512.0 * _PI**4)
    return 2.0 * 12.0 * a2 * T**7 / (2.0 * _PI) ** 5


def energy_transfer_dim6(model: Couplings, T: Float[ArrayLike, ""]) -> Float[ArrayLike, ""]:
    r"""Energy-transfer rate of the dim-6 portal, all channels counted by the convention.

    - ``"exact"``: :math:`2\times384|b|^2T^9/(2\pi)^5` (notes §2.2, §3.4(a), [D]).
    - ``"talk"``: :math:`\frac{T}{64\pi^4}\int ds\,\frac{|b|^2s^2}{8\pi}\,s\,K_1=\frac{1575|b|^2T^9}{512\pi^4}`
      (:math:`\int z^7K_1=1575\pi/2`; 35 times the dim-5 rate at equal couplings, the talk's
      :math:`35T^2/4m_1^2` with :math:`\sigma_0F_2=|b|^2m_1^2/16\pi`; notes §2.3, [H]).
    """
    couplings = _effective(model)
    b2 = couplings.abs_b2
    if couplings.conventions.energy_transfer == "talk":
        return 1575.0 * b2 * T**9 / (512.0 * _PI**4)
    return 2.0 * 384.0 * b2 * T**9 / (2.0 * _PI) ** 5
