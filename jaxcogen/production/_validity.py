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

**Per-observable criterion [D] (issue 19; ``docs/dynamical.md`` §7).** The ratio above is CP-even
and measured at one temperature; the CP-odd observables are more sensitive (at the built-in point,
ratio 0.08, on-shell :math:`N` move :math:`\Delta Y_B` by +30 %). For each observable, compare the
on-shell contribution with the EFT's, both integrated over the production stage
(:func:`on_shell_integrals`). With :math:`z=M_i/T`, :math:`\gamma_{D,i}=\frac{M_i^2T}{\pi^2}K_1(z)\Gamma_i` and
:math:`Hs\propto T^5`, :math:`H\propto T^2` (:math:`g_*` constant where production happens):

.. math::
    \int_0^\infty\frac{\gamma_{D,i}}{Hs}d\tau=\frac{T_{\rm RH}^5\Gamma_i}{\pi^2M_i^2}\,\frac{1}{(Hs)_{\rm RH}}
        \int_{z_{\rm RH}}^\infty z^3K_1(z)\,dz,\qquad
    \int_0^\infty\frac{A\,T^n}{Hs}d\tau=\frac{A\,T_{\rm RH}^n}{(n-5)(Hs)_{\rm RH}},

and for the comoving dark energy :math:`\int C/(HT^4)d\tau` the on-shell integrand is the energy of the
:math:`N` made by inverse decays, :math:`B_{iL}B_{i\chi}\gamma_{D,i}\,M_iK_2/K_1` (mean energy of an
inverse-decay-made :math:`N`), giving :math:`\int z^4K_2`, against :math:`C\propto T^n`: :math:`1/(n-6)`. Then

- :math:`\Sigma Y_\chi`: on-shell :math:`\chi` production :math:`\sum_iB_{iL}B_{i\chi}\gamma_{D,i}` over
  :math:`2(\gamma_5+\gamma_6)` (dimension 5: :math:`n=6`, dimension 6: :math:`n=8`);
- :math:`\xi`: on-shell energy over :math:`C_{E5}+C_{E6}` (:math:`n=7,9`), divided by 4
  (:math:`\xi\propto\rho_D^{1/4}`);
- :math:`\Delta Y_L`, :math:`\Delta Y_B`, :math:`\Delta Y_\chi`: the integrated on-shell CP source of
  ``docs/dynamical.md`` §2.2 over :math:`|S^{\rm EFT}_\alpha|` (:math:`n=8`). With an empty dark bath
  (:math:`\tilde\gamma_D\approx0`) and every :math:`N` made eventually decayed,
  :math:`\int D_i=B_{iL}\int\gamma_{D,i}` (from :math:`dY_N/d\tau=-W/Hs` and :math:`Y_N=0` at both ends), so
  :math:`\int S^N_\alpha=\sum_ic_{i\alpha}\int\gamma_{D,i}`,
  :math:`c_{i\alpha}=\epsilon^{(\chi)}_{i\alpha}B_{iL}-\epsilon^{(L)}_{i\alpha}B_{i\chi}`,
  independent of how fast :math:`N` decay; if they have not decayed by the end it lies between
  that and :math:`-\epsilon^{(L)}_{i\alpha}\int\gamma_{D,i}`, so the bound uses
  :math:`\max(|c_{i\alpha}|,|\epsilon^{(L)}_{i\alpha}|)`, summed over :math:`i` in absolute value. For
  :math:`\Delta Y_L` the inverse-decay wash-out adds the fraction it removes,
  :math:`c_{\rm SM}\sum_iB_{iL}\int\gamma_{D,i}/(Hs)d\tau`.

Each ratio, times the calibration :data:`EFT_ERROR_CALIBRATION` (the largest measured
|EFT/dynamical − 1| per unit ratio over a spread of points, times the margin
:data:`EFT_ERROR_MARGIN`), is :class:`EFTErrorEstimate`; the EFT is trusted for an observable where it
is below the tolerance (:data:`EFT_TOLERANCE`, 1 %) — :func:`eft_trusted`, used by
``solve(..., regime="auto")``.
"""

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import ArrayLike, Bool, Float

from jaxcogen import cosmology, rates
from jaxcogen._special import bessel_k012e, bessel_k1e
from jaxcogen.model._cogenesis import CogenesisModel
from jaxcogen.production._boltzmann import chemical_potential_coefficients

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

    resonant_ratio: Float[ArrayLike, "..."]
    s_over_M1_squared: Float[ArrayLike, "..."]

    @property
    def trustworthy(self) -> Bool[ArrayLike, "..."]:
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


def resonant_chi_production(model: CogenesisModel, T: Float[ArrayLike, ""]) -> Float[ArrayLike, ""]:
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


# ---- per-observable error of the EFT (issue 19 item 2) ------------------------------------------

#: The observables the per-observable criterion covers, in the order of :class:`EFTErrorEstimate`.
EFT_ERROR_OBSERVABLES: tuple[str, ...] = ("DeltaY_B", "DeltaY_chi", "SigmaY_chi", "xi_final")

#: Default tolerance of the per-observable criterion: the EFT is trusted for an observable when
#: its :class:`EFTErrorEstimate` is below this relative error.
EFT_TOLERANCE = 1.0e-2

#: Calibration of :func:`eft_error_estimate` against the dynamical mode (module docstring,
#: "Per-observable criterion"; ``benchmarks/eft_trust.py``, ``docs/dynamical.md`` §7): the largest
#: measured ratio |EFT/dynamical - 1| / ratio of on-shell to EFT integrals, per observable, times
#: the safety margin :data:`EFT_ERROR_MARGIN`.
EFT_ERROR_CALIBRATION: dict[str, float] = {
    # measured max ratios (ξ_final < 0.9, errors above 1e-5, ratio < 0.1; 217 points): 5.7, 1.00,
    # 1.00, 1.005 (median 0.34, 0.91, 0.97, 0.94), times the margin 3
    "DeltaY_B": 17.0,
    "DeltaY_chi": 3.0,
    "SigmaY_chi": 3.0,
    "xi_final": 3.0,
}
#: Safety factor applied on top of the largest measured ratio of :data:`EFT_ERROR_CALIBRATION`.
EFT_ERROR_MARGIN = 3.0

# Gauss-Laguerre rule for the on-shell tails  \int_{z0}^\infty z^p K_nu(z) dz
_LAGUERRE_T, _LAGUERRE_W = np.polynomial.laguerre.laggauss(48)


def bessel_tail_integral(
    z0: Float[ArrayLike, "..."], power: int, order: int
) -> Float[ArrayLike, "..."]:
    r""":math:`e^{z_0}\int_{z_0}^\infty z^pK_\nu(z)\,dz` for :math:`\nu=1,2` (48-point Gauss–Laguerre in
    :math:`t=z-z_0`; the integrand :math:`(z_0+t)^pe^{z_0+t}K_\nu(z_0+t)` is smooth and slowly varying).

    Closed forms used by the tests: :math:`\int_0^\infty z^pK_\nu=2^{p-1}\Gamma(\frac{1+p+\nu}2)
    \Gamma(\frac{1+p-\nu}2)`.
    """
    z0 = jnp.asarray(z0, dtype=jnp.float64)
    nodes = (1,) * z0.ndim + (-1,)
    z = z0[..., None] + jnp.reshape(jnp.asarray(_LAGUERRE_T), nodes)
    k_scaled = bessel_k012e(z)[order]
    return jnp.sum(jnp.reshape(jnp.asarray(_LAGUERRE_W), nodes) * z**power * k_scaled, axis=-1)


class OnShellIntegrals(eqx.Module):
    r"""On-shell :math:`N` against the EFT, each integrated over the whole production stage.

    Module docstring, "Per-observable criterion". All ratios are dimensionless.

    Attributes:
        production: :math:`\int` on-shell :math:`\chi` production / :math:`\int` EFT production (yields).
        energy: :math:`\int` on-shell energy into the dark bath / :math:`\int` EFT energy transfer
            (comoving energy, :math:`a^4\rho_D`).
        source_lepton, source_dark: :math:`\int` on-shell CP source (its bound) / :math:`|\int S^{\rm EFT}|`.
        washout_lepton: the fraction of a lepton asymmetry removed by inverse decays
            :math:`\int c_{\rm SM}\sum_iB_{iL}\gamma_{D,i}/(Hs)\,d\tau`.
    """

    production: Float[ArrayLike, "..."]
    energy: Float[ArrayLike, "..."]
    source_lepton: Float[ArrayLike, "..."]
    source_dark: Float[ArrayLike, "..."]
    washout_lepton: Float[ArrayLike, "..."]


def _safe_ratio(numerator, denominator):
    """numerator/denominator; inf for x/0 with x > 0 and 0 for 0/0 (nothing to trust or distrust)."""
    positive = denominator > 0
    return jnp.where(
        positive,
        numerator / jnp.where(positive, denominator, 1.0),
        jnp.where(numerator > 0, jnp.inf, 0.0),
    )


def on_shell_integrals(model: CogenesisModel) -> OnShellIntegrals:
    r""":class:`OnShellIntegrals` of ``model`` (module docstring, "Per-observable criterion"); jittable."""
    # lazy: the dynamical package imports the production stage, which imports this module
    from jaxcogen.production.dynamical._asymmetries import cp_asymmetries
    from jaxcogen.production.dynamical._decays import width_dark, width_lepton

    T = model.T_RH
    M = jnp.stack([model.M1, model.M2])
    width_L = jnp.stack([width_lepton(model.y1, model.M1), width_lepton(model.y2, model.M2)])
    width_chi = jnp.stack(
        [width_dark(model.lambda1, model.M1), width_dark(model.lambda2, model.M2)]
    )
    width = width_L + width_chi
    live = width > 0
    B_L = jnp.where(live, width_L / jnp.where(live, width, 1.0), 0.0)
    B_chi = jnp.where(live, width_chi / jnp.where(live, width, 1.0), 0.0)
    z0 = M / T
    # e^{-z0} applied after the quadrature (underflows harmlessly to 0 for z0 > ~700)
    boltzmann = jnp.exp(-z0)
    # \int gamma_D/(Hs) dtau = k T^5 Gamma/(pi^2 M^2) \int_{z0} z^3 K_1;  k = 1/(Hs) at T_RH
    yield_weight = T**5 * width / (jnp.pi**2 * M**2) * bessel_tail_integral(z0, 3, 1) * boltzmann
    # \int C_N/(H T^4) dtau = T^2/H Gamma B_L B_chi/(pi^2 M^2) \int_{z0} z^4 K_2 (per unit B_L B_chi)
    energy_weight = T**6 * width / (jnp.pi**2 * M**2) * bessel_tail_integral(z0, 4, 2) * boltzmann

    couplings = model.effective_couplings()
    # EFT power laws gamma = A T^n: \int gamma/(Hs) dtau = k gamma(T_RH)/(n-5), energy: /(n-6)
    eft_production = 2.0 * (rates.gamma_dim5(couplings, T) + rates.gamma_dim6(couplings, T) / 3.0)
    eft_energy = (
        rates.energy_transfer_dim5(couplings, T) + rates.energy_transfer_dim6(couplings, T) / 3.0
    )
    eft_lepton = jnp.abs(rates.cp_source_lepton(couplings, T)) / 3.0
    eft_dark = jnp.abs(rates.cp_source_dark(couplings, T)) / 3.0

    eps = cp_asymmetries(model)

    def source_bound(cut):  # (N_i, beta) -> bound on the integrated on-shell CP source
        from_sm, from_dark = cut[:, 0], cut[:, 1]
        completed = from_dark * B_L - from_sm * B_chi  # every N made has decayed
        return jnp.sum(jnp.maximum(jnp.abs(completed), jnp.abs(from_sm)) * yield_weight)

    c_sm, _ = chemical_potential_coefficients(
        model.conventions.spectators, cosmology.g_star_s(T), T
    )
    k = cosmology.yield_rate_factor(T)
    return OnShellIntegrals(
        production=_safe_ratio(jnp.sum(B_L * B_chi * yield_weight), eft_production),
        energy=_safe_ratio(jnp.sum(B_L * B_chi * energy_weight), eft_energy),
        source_lepton=_safe_ratio(source_bound(eps.lepton_cut), eft_lepton),
        source_dark=_safe_ratio(source_bound(eps.dark_cut), eft_dark),
        washout_lepton=c_sm * k * jnp.sum(B_L * yield_weight),
    )


class EFTErrorEstimate(eqx.Module):
    r"""Upper estimate of the EFT's relative error :math:`|{\rm EFT}/{\rm dynamical}-1|`, per observable.

    Module docstring, "Per-observable criterion": the on-shell integrals of
    :func:`on_shell_integrals` times the calibration :data:`EFT_ERROR_CALIBRATION`. Infinite where
    the EFT predicts zero for an observable that on-shell :math:`N` make non-zero.
    """

    DeltaY_B: Float[ArrayLike, "..."]
    DeltaY_chi: Float[ArrayLike, "..."]
    SigmaY_chi: Float[ArrayLike, "..."]
    xi_final: Float[ArrayLike, "..."]

    def trusted(
        self, observables: tuple[str, ...] = EFT_ERROR_OBSERVABLES, tolerance=EFT_TOLERANCE
    ) -> Bool[ArrayLike, "..."]:
        """Whether every one of ``observables`` has an estimated error below ``tolerance``."""
        ok = jnp.asarray(True)
        for name in observables:
            ok = ok & (getattr(self, name) < tolerance)
        return ok


def eft_error_estimate(model: CogenesisModel) -> EFTErrorEstimate:
    r""":class:`EFTErrorEstimate` of ``model`` (jittable, vmappable, differentiable almost everywhere)."""
    r = on_shell_integrals(model)
    c = EFT_ERROR_CALIBRATION
    return EFTErrorEstimate(
        DeltaY_B=c["DeltaY_B"] * (r.source_lepton + r.washout_lepton),
        DeltaY_chi=c["DeltaY_chi"] * r.source_dark,
        SigmaY_chi=c["SigmaY_chi"] * r.production,
        xi_final=c["xi_final"] * r.energy / 4.0,
    )


def eft_trusted(
    estimate: EFTErrorEstimate,
    s_over_M1_squared: Float[ArrayLike, "..."],
    observables: tuple[str, ...] = EFT_ERROR_OBSERVABLES,
    tolerance=EFT_TOLERANCE,
) -> Bool[ArrayLike, "..."]:
    r"""The per-observable criterion (the one place it is applied): every one of ``observables``
    has an estimated error below ``tolerance`` and the EFT expansion converges,
    :math:`s_{99}/M_1^2<` :data:`S_OVER_M2_LIMIT`. ``regime="auto"`` integrates the EFT exactly where
    this is true."""
    return estimate.trusted(observables, tolerance) & (s_over_M1_squared < S_OVER_M2_LIMIT)
