r"""Is the heavy-neutrino EFT trustworthy at this point? On-shell :math:`N` against the EFT rates.

The production stage treats :math:`N_{1,2}` as never produced on shell (:math:`M_i>5T_{\rm RH}`, the
talk's assumption). Physics notes §3.6 and ``crosscheck.md`` (warning 1) show that this fails near
the boundary: the Boltzmann tail of the bath makes on-shell :math:`N` by inverse decays
:math:`LH\to N`, which then decay to :math:`\chi\phi`, far faster than the EFT scatterings.

**Resonant production [D].** With no :math:`N` and an empty dark sector, each :math:`N_i` made by an
inverse decay (MB reaction density of a decay in equilibrium,
:math:`\gamma_D=n_N^{\rm eq}\langle\Gamma\rangle=\frac{g_N}{2\pi^2}M_i^2T\,K_1(M_i/T)\,\Gamma`, with
:math:`g_N=2`) decays to the dark sector with branching ratio :math:`\Gamma_{\chi,i}/\Gamma_i`, so

.. math::
    \gamma^{\rm res}_\chi=\sum_i\frac{M_i^2T\,K_1(M_i/T)}{\pi^2}\,
        \frac{\Gamma_{LH,i}\,\Gamma_{\chi,i}}{\Gamma_{LH,i}+\Gamma_{\chi,i}},\qquad
    \Gamma_{LH,i}=\frac{|y_i|^2M_i}{8\pi},\quad\Gamma_{\chi,i}=\frac{|\lambda_i|^2M_i}{16\pi}

(tree-level widths summed over CP-conjugate final states; the lepton doublet has two SU(2)
components, :math:`\chi\phi` one). It is compared with the EFT :math:`\chi`-production rate of the
Boltzmann system at :math:`\xi=0`, :math:`\gamma^{\rm EFT}_\chi=2(\gamma_5+\gamma_6)`, at
:math:`T_{\rm RH}` (where the ratio is largest: the resonance is Boltzmann-suppressed by
:math:`e^{-M/T}`). For one :math:`N` with :math:`y=\lambda` this reproduces the full Breit–Wigner
integrals of ``crosscheck.md`` (full/EFT = 22, 6 at :math:`T=M/5,\,M/10` for couplings 1; 2e3, 500
for 0.1; 2e5, 5e4 for 0.01) — see ``tests/test_validity.py``.

**Momentum transfer.** 99 % of the dimension-6 reaction density (integrand
:math:`x^6K_1(x)`, :math:`x=\sqrt s/T`, total :math:`\int_0^\infty x^6K_1=384`) comes from
:math:`x<x_{99}=13.784` (mpmath); the EFT expansion in :math:`s/M_1^2` needs
:math:`(x_{99}T_{\rm RH}/M_1)^2<1`.

**Verdict.** Trustworthy when resonant/EFT < :data:`RESONANT_RATIO_LIMIT` (0.1: on-shell :math:`N`
would change the yields by under 10 %) and :math:`s_{99}/M_1^2<` :data:`S_OVER_M2_LIMIT` (1). For
couplings of order 1 this means :math:`M/T_{\rm RH}\gtrsim15`–20, for 0.01 about 30, as in
§3.6. Outside, use the result as an order-of-magnitude indication only.
"""

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float

from jaxcogen import rates
from jaxcogen._special import bessel_k1e
from jaxcogen.model._cogenesis import CogenesisModel

#: On-shell N production above this fraction of the EFT rate makes the EFT untrustworthy.
RESONANT_RATIO_LIMIT = 0.1
#: The EFT expansion parameter s/M_1^2 at the 99th percentile of the dim-6 rate must stay below this.
S_OVER_M2_LIMIT = 1.0
#: sqrt(s)/T below which 99 % of the dimension-6 MB reaction density lies (x^6 K_1(x); mpmath).
X99_DIM6 = 13.7840386301089


class EFTValidityWarning(UserWarning):
    """The heavy-neutrino EFT is not trustworthy at this point (:func:`eft_validity`)."""


class EFTValidity(eqx.Module):
    """Diagnostic of the heavy-neutrino EFT at :math:`T_{\\rm RH}` (module docstring).

    Attributes:
        resonant_ratio: on-shell-:math:`N` :math:`\\chi` production over the EFT rate at T_RH.
        s_over_M1_squared: :math:`s/M_1^2` at the 99th percentile of the dimension-6 rate.
    """

    resonant_ratio: Float[Array, "..."]
    s_over_M1_squared: Float[Array, "..."]

    @property
    def trustworthy(self) -> Bool[Array, "..."]:
        return (self.resonant_ratio < RESONANT_RATIO_LIMIT) & (
            self.s_over_M1_squared < S_OVER_M2_LIMIT
        )

    def message(self) -> str:
        """One line for a warning (un-batched)."""
        return (
            f"EFT not trustworthy: on-shell N production is {float(self.resonant_ratio):.3g} x the EFT "
            f"rate at T_RH (limit {RESONANT_RATIO_LIMIT}), s/M1^2 reaches "
            f"{float(self.s_over_M1_squared):.3g} (limit {S_OVER_M2_LIMIT}); raise M_i/T_RH "
            "(typically above 20-35) or treat N as species: jaxcogen.solve_dynamical, "
            "'jaxcogen solve --dynamical'"
        )


def resonant_chi_production(model: CogenesisModel, T: Float[Array, ""]) -> Float[Array, ""]:
    r""":math:`\gamma^{\rm res}_\chi(T)` [GeV^4] of the module docstring (inverse decays, then N → χφ)."""
    total = jnp.zeros(())
    for M, y, lam in ((model.M1, model.y1, model.lambda1), (model.M2, model.y2, model.lambda2)):
        width_lepton = jnp.abs(y) ** 2 * M / (8.0 * jnp.pi)
        width_dark = jnp.abs(lam) ** 2 * M / (16.0 * jnp.pi)
        width = width_lepton + width_dark
        branching = jnp.where(
            width > 0, width_lepton * width_dark / jnp.where(width > 0, width, 1.0), 0.0
        )
        z = M / T
        total = total + M**2 * T * bessel_k1e(z) * jnp.exp(-z) / jnp.pi**2 * branching
    return total


def eft_validity(model: CogenesisModel) -> EFTValidity:
    """The EFT diagnostic of ``model`` at its :math:`T_{\\rm RH}` (jittable, vmappable)."""
    T = model.T_RH
    eft = 2.0 * (rates.gamma_dim5(model, T) + rates.gamma_dim6(model, T))
    resonant = resonant_chi_production(model, T)
    # no EFT production: infinitely worse only if on-shell N still make chi; with neither (a zero
    # coupling in every channel, e.g. y1 = y2 = 0) there is nothing to trust or distrust: 0
    ratio = jnp.where(
        eft > 0,
        resonant / jnp.where(eft > 0, eft, 1.0),
        jnp.where(resonant > 0, jnp.inf, 0.0),
    )
    return EFTValidity(
        resonant_ratio=ratio,
        s_over_M1_squared=(X99_DIM6 * T / model.M1) ** 2,
    )
