r"""Boltzmann system with dynamical heavy neutrinos: decays, inverse decays, RIS-subtracted scatterings.

State (in :math:`\tau=\ln(T_{\rm RH}/T)`, each component rescaled by a characteristic size as in
:mod:`jaxcogen.production._boltzmann`): :math:`[v\,(\to u=\xi^4),\ \Sigma Y_\chi,\ \Delta Y_L,\ \Delta Y_\chi,\
Y_{N_1},\ Y_{N_2}]`, all zero at :math:`T_{\rm RH}` (reheating to the SM only; no :math:`N`).

**Processes.** For each :math:`N_i` (MB, :math:`N_i` in kinetic equilibrium at the SM temperature,
:math:`f_{N_i}=(Y_{N_i}/Y^{\rm eq}_{N_i})f^{\rm eq}`), with :math:`\gamma_{D,i}(T)` of
:mod:`~jaxcogen.production.dynamical._decays`, :math:`B_{i,L}+B_{i,\chi}=1`, :math:`T_\chi=\xi T`:

- decays :math:`N_i\to LH,\bar LH^\dagger,\chi\phi,\bar\chi\phi^*`: rate density
  :math:`D_i=sY_{N_i}\Gamma_i\langle M/E\rangle` (= :math:`r_i\gamma_{D,i}(T)`,
  :math:`r_i=Y_{N_i}/Y^{\rm eq}_{N_i}(T)`), split :math:`\Gamma(N_i\to\alpha)=\Gamma_i(B_{i\alpha}+\epsilon_{i\alpha})/2`;
- inverse decays from the SM bath, :math:`\gamma(LH\to N_i)=\gamma_{D,i}(T)(B_{iL}-\epsilon_{iL})/2` (CPT:
  :math:`|\mathcal M(LH\to N)|=|\mathcal M(N\to\bar LH^\dagger)|`), and from the dark bath,
  :math:`\gamma(\chi\phi\to N_i)=\tilde\gamma_{D,i}(B_{i\chi}-\epsilon_{i\chi})/2` with the **actual**
  :math:`\chi\phi` occupancy (below);
- 2→2 scatterings through :math:`N` with the real intermediate state (RIS) removed (below).

**Dark occupancy [D].** The dark bath is taken in kinetic equilibrium at :math:`T_\chi=\xi T` (from its
energy density) but not necessarily in chemical equilibrium: freeze-in and :math:`N` decays fill it
with :math:`\Sigma Y_\chi` pairs, not with the zero-chemical-potential number at :math:`T_\chi`. With MB
statistics a pseudo-chemical potential multiplies each distribution by the occupancy
:math:`\rho_D=\Sigma Y_\chi/\Sigma Y_\chi^{\rm eq}(T_\chi)`, :math:`\Sigma Y_\chi^{\rm eq}=2g_\chi T_\chi^3/(\pi^2s)`
(:math:`g_\chi=g_\phi=1`: the Weyl component :math:`\chi`, the complex :math:`\phi`; :math:`\chi` and
:math:`\phi` are made in pairs, so both have :math:`\rho_D`). Every rate with a :math:`\chi\phi` initial
state then carries :math:`\rho_D^2`:

.. math:: \tilde\gamma_{D,i}=\rho_D^2\,\gamma_{D,i}(\xi T),

and the linear response to the dark asymmetry, whose chemical potential is measured against the
actual (not the equilibrium) density, carries one power: :math:`\rho_D\,\gamma_{D,i}(\xi T)\hat\mu_D`.
``dark_occupancy=False`` restores :math:`\rho_D=1` (a dark bath in chemical equilibrium at :math:`\xi T`).
In a nearly empty dark sector :math:`\rho_D\ll1` and the dark inverse decays are negligible even when
:math:`\gamma_{D}(\xi T)` is not.

**CP sources with two baths [D] (``/work/shared/physics/two_bath_sources.md``; derivation in
``docs/dynamical.md`` §2).** Narrow width: the on-shell part of an :math:`s`-channel scattering
:math:`a\to b` is inverse decay then decay, :math:`\gamma^{\rm RIS}(a\to b)=\gamma_D(T_a)\beta_{\bar a}\beta_b`,
:math:`\beta_c=\Gamma(N\to c)/\Gamma` (Kolb & Wolfram, Nucl. Phys. B172 (1980) 224; Giudice et al.,
hep-ph/0310123 App. A), which the decay terms already count, so the Boltzmann equations use
:math:`\gamma^{\rm sub}=\gamma^{\rm full}-\gamma^{\rm RIS}`. What is *not* true with two baths is that the full
CP-odd rate :math:`\Delta\gamma^{\rm full}(a\to b)=\gamma(a\to b)-\gamma(\bar a\to\bar b)` has no part at the
pole. Resumming the :math:`N` propagator (absorptive self-energy; Pilaftsis & Underwood,
hep-ph/0309342) and expanding :math:`|\mathcal T(a\to b)|^2` around :math:`s=M_i^2` to
:math:`O(h^4)`, the CP-odd pole term has the RIS piece and a width-interference piece
:math:`-4\,{\rm Im}\Delta_{ii}\,{\rm Im}[R\,\mathcal T_{\rm nr}^*]` between the resonant product :math:`R` and the
off-shell exchange of :math:`N_j` (same coupling structure as the decay loop cut through :math:`a`):

.. math:: \Delta\gamma^{\rm full}(a\to b)\big|_{\rm pole}=\gamma_{D,i}(T_a)\big[\beta_{\bar a}\beta_b-\beta_a\beta_{\bar b}
    -\epsilon_b^{[a]}\big],

with :math:`\epsilon_b^{[a]}` the part of the decay asymmetry of :math:`N_i\to b` whose loop is cut through
the state :math:`a` (for :math:`a=\alpha_c`, :math:`b=\alpha_d`: the Q-conserving self-energy piece with
:math:`A\to A^{(c)}`; for :math:`b=\bar\alpha_d`: minus the Q-violating one; vertex pieces when
:math:`c=d`). Unitarity and CPT give :math:`\sum_b\epsilon_b^{[a]}=-\epsilon_a` (the full pole obeys the
sum rule). Summing the charge :math:`Q_\alpha` moved by decays (:math:`+\epsilon_{i\alpha}D_i`), inverse
decays (:math:`+\epsilon_{i\alpha}\gamma_{D,i}(T_\alpha)`) and the subtracted scatterings (whose pole
part is the interference term alone, :math:`-\epsilon_{i\alpha}\gamma_{D,i}(T_\alpha)
-\sum_\beta\epsilon^{(\beta)}_{i\alpha}\gamma_{D,i}(T_\beta)`):

.. math::
    S^N_\alpha=\sum_i\Big[\epsilon_{i\alpha}D_i-\epsilon^{(L)}_{i\alpha}\gamma_{D,i}(T)
        -\epsilon^{(\chi)}_{i\alpha}\tilde\gamma_{D,i}\Big],\qquad\alpha=L,\chi,

each piece of :math:`\epsilon_{i\alpha}=\epsilon^{(L)}_{i\alpha}+\epsilon^{(\chi)}_{i\alpha}` matched against
the bath its loop is cut through (:class:`~jaxcogen.production.dynamical._asymmetries.CPAsymmetries`,
``lepton_cut``/``dark_cut``). Off the pole the CP-odd scattering rates stay the EFT ones of physics
notes §2.4 (sum rule and CPT hold, zero at :math:`\xi=1`), :math:`S^{\rm EFT}_\alpha(1-\xi^8)`. Limits:
:math:`\xi=1`, :math:`Y_N=Y^{\rm eq}`, :math:`\rho_D=1`: :math:`S^N_\alpha=\sum_i\gamma_{D,i}
(\epsilon_{i\alpha}-\epsilon^{(L)}_{i\alpha}-\epsilon^{(\chi)}_{i\alpha})=0`; :math:`\lambda=0`: the standard
:math:`\epsilon_L(D-\gamma_D)`; :math:`y_2=0`: :math:`\epsilon_{1L}=0` and
:math:`S_\chi=\epsilon_{1\chi}(D_1-\tilde\gamma_{D,1})` — :math:`N_1` made from the SM bath and decaying into
an empty dark sector leaves :math:`\epsilon_{1\chi}` per decay. The previous scheme,
:math:`\Delta\gamma^{\rm full}=\Delta\gamma^{\rm EFT}` (no pole asymmetry), gave
:math:`\sum_i\epsilon_{i\alpha}W_i` instead, which vanishes in steady state (zero dark asymmetry at
:math:`y_2=0`); it is right only if :math:`\epsilon^{(L)}:\epsilon^{(\chi)}=B_L:B_\chi`. Both forms agree at
one bath. Checked against an exact resummed-propagator model (``tests/test_two_bath_sources.py``):
pole coefficients of all 16 channels and the thermal sources at :math:`\xi\ne1`, error :math:`O(h^2)`.

**Equations** (:math:`\gamma` at :math:`T` unless marked; EFT part as in :mod:`jaxcogen.production._boltzmann`):

.. math::
    \frac{dY_{N_i}}{d\tau}&=-\frac{W_i}{Hs},\qquad W_i=D_i-B_{iL}\gamma_{D,i}(T)-B_{i\chi}\tilde\gamma_{D,i},\qquad
    \frac{d\Sigma Y_\chi}{d\tau}=\frac{1}{Hs}\Big[P^{\rm off}+\sum_iB_{i\chi}\big(D_i-\tilde\gamma_{D,i}\big)\Big],\\
    \frac{du}{d\tau}&\ni\frac{30}{\pi^2g_DT^4H}\sum_iB_{i\chi}\Gamma_iM_i\big[n_{N_i}-\rho_D^2n^{\rm eq}_{N_i}(\xi T)\big],\\
    Hs\frac{d\Delta Y_L}{d\tau}&=S_L^{\rm EFT}(1-\xi^8)+S_L^N-\big(R+R^N\big)_{L\cdot}\,\mu,\qquad
    Hs\frac{d\Delta Y_\chi}{d\tau}=S_\chi^{\rm EFT}(1-\xi^8)+S_\chi^N-\big(R+R^N\big)_{\chi\cdot}\,\mu,

with the inverse-decay wash-out (MB, linear in :math:`\hat\mu`; decays do not depend on :math:`\mu`)
:math:`R^N={\rm diag}\big(\sum_iB_{iL}\gamma_{D,i}(T),\ \rho_D\sum_iB_{i\chi}\gamma_{D,i}(\xi T)/\xi^3\big)`
acting on :math:`(\mu_{\rm SM},\xi^3\mu_D)` — the :math:`\xi^{-3}` is finite (:math:`\gamma_D(\xi T)\propto e^{-M/\xi T}`).
:math:`N` energy is left out of the Hubble rate (≤ 2 % of :math:`g_*` when relativistic), and
:math:`\epsilon\times\mu` terms are second order and dropped.

**Step-size control.** The state is rescaled by characteristic sizes that only set the solver's
absolute tolerance. For :math:`Y_{N_i}` that is :math:`Y^{\rm eq}_{N_i}(T_{\rm RH})\sqrt{\max(1,K_i)}` with the
wash-out parameter :math:`K_i=\Gamma_i/H(T=M_i)`. Why the :math:`\sqrt{K_i}`: at :math:`M_1=7\times10^9` GeV,
:math:`T_{\rm RH}=M_1/5.5` (default couplings otherwise, :math:`K_1=2\times10^5`) the scale
:math:`Y^{\rm eq}_{N}(T_{\rm RH})` alone took 4 915 steps (1 375 rejected; beyond 20 000 before the two-bath
sources). Loosening one component's tolerance at a time by 1e4 located it: :math:`Y_N` → 708 steps
(16 rejected), the asymmetries → 1 533, :math:`u` or :math:`\Sigma Y_\chi` → no gain.
:math:`Y_{N}` is then a stiff component (relaxation :math:`\lambda\sim K_iz^3K_1(z)` per
e-fold) tracking :math:`Y^{\rm eq}\propto e^{-M/T}` far below its scale, and the embedded error
estimate :math:`h\sum_j(b_j-\hat b_j)f(Z_j)` of the ESDIRK pair multiplies the stage iterates' Newton
error by :math:`h\lambda\gg1` (diffrax does not filter it with :math:`(1-\gamma hJ)^{-1}`; Hairer & Wanner,
*Solving ODEs II*, IV.8): noise, not the solution, set the step (a tighter Newton tolerance does not
converge, the residual's rounding being :math:`\propto h\lambda` too). An error in a stiff :math:`Y_N`
relaxes at the rate :math:`\lambda` and reaches the asymmetries only through :math:`\epsilon\,\delta Y_N`,
washed out at the same rate, so the looser tolerance costs nothing measurable: 762 steps (18
rejected) at that point, asymmetries unchanged to 3e-7 (the wash-out leaves :math:`\Delta Y_B\sim10^{-16}`);
at the default couplings with :math:`M_1/T_{\rm RH}=5,10,20` they move by < 1e-9 and the step
counts drop by ~20 %.
"""

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from jaxcogen import cosmology, rates
from jaxcogen.model._cogenesis import CogenesisModel
from jaxcogen.production._boltzmann import BoltzmannSystem, chemical_potential_coefficients
from jaxcogen.production.dynamical._asymmetries import cp_asymmetries
from jaxcogen.production.dynamical._decays import (
    decay_density,
    number_density_eq,
    time_dilation,
    width_dark,
    width_lepton,
)
from jaxcogen.rates._network import xi_power

#: Y_N of one MB Majorana species, ultra-relativistic, g_* = 106.75: 45 g_N / (2 pi^4 g_*s) ~ 4.3e-3.
_Y_RELATIVISTIC = 45.0 * 2.0 / (2.0 * 3.141592653589793**4 * 106.75)


class NeutrinoRates(eqx.Module):
    r"""The heavy-neutrino collision terms at one point (all [GeV^4] unless stated; shape (2,) per :math:`N_i`).

    Attributes:
        decays: :math:`D_i`, all decays of the actual :math:`N_i` population.
        inverse_sm, inverse_dark: CP-even inverse decays :math:`B_{iL}\gamma_{D,i}(T)`, :math:`B_{i\chi}\tilde\gamma_{D,i}`.
        net_decay: :math:`W_i=D_i-` inverse decays.
        source_lepton, source_dark: :math:`S^N_{L}`, :math:`S^N_\chi` (scalars), RIS-subtracted, two baths.
        unsubtracted_lepton, unsubtracted_dark: the same from decays and inverse decays only.
        production: net :math:`\chi+\bar\chi` production by :math:`N` (scalar).
        energy_transfer: net energy into the dark bath [GeV^5] (scalar).
        washout: :math:`R^N` (2×2 diagonal, against :math:`(\mu_{\rm SM},\xi^3\mu_D)`).
        occupancy: :math:`\rho_D` (scalar; 1 with ``dark_occupancy=False`` or no :math:`\Sigma Y_\chi` given).
    """

    decays: Float[Array, "2"]
    inverse_sm: Float[Array, "2"]
    inverse_dark: Float[Array, "2"]
    net_decay: Float[Array, "2"]
    source_lepton: Float[ArrayLike, ""]
    source_dark: Float[ArrayLike, ""]
    unsubtracted_lepton: Float[ArrayLike, ""]
    unsubtracted_dark: Float[ArrayLike, ""]
    production: Float[ArrayLike, ""]
    energy_transfer: Float[ArrayLike, ""]
    washout: Float[Array, "2 2"]
    occupancy: Float[ArrayLike, ""]


class DynamicalSystem(eqx.Module):
    r"""Vector field of the dynamical-:math:`N` production stage (module docstring), rescaled state of 6.

    Attributes:
        off_shell: the EFT/off-shell production-stage system (its rate network, :math:`T_{\rm RH}`,
            conventions, ``fixed_xi`` and dark-bath dilution are reused).
        M, Gamma, B_L, B_chi: masses [GeV], total tree widths [GeV], branching ratios of :math:`N_{1,2}`.
        epsilon_L_cut, epsilon_chi_cut: cut-resolved decay asymmetries :math:`\epsilon^{(\beta)}_{i,L}`,
            :math:`\epsilon^{(\beta)}_{i,\chi}`, shape (2, 2) = (:math:`N_i`, :math:`\beta=L,\chi`).
        sigma_scale, asymmetry_scale, N_scale: rescaling of :math:`\Sigma Y_\chi`, the asymmetries, :math:`Y_{N_i}`.
        dark_occupancy: dark inverse decays with the actual :math:`\chi\phi` occupancy (static; module docstring).
    """

    off_shell: BoltzmannSystem
    M: Float[Array, "2"]
    Gamma: Float[Array, "2"]
    B_L: Float[Array, "2"]
    B_chi: Float[Array, "2"]
    epsilon_L_cut: Float[Array, "2 2"]
    epsilon_chi_cut: Float[Array, "2 2"]
    sigma_scale: Float[ArrayLike, ""]
    asymmetry_scale: Float[ArrayLike, ""]
    N_scale: Float[Array, "2"]
    dark_occupancy: bool = eqx.field(static=True, default=True)

    def __init__(
        self,
        model: CogenesisModel,
        fixed_xi=None,
        regulate: bool = True,
        dark_occupancy: bool = True,
    ):
        self.dark_occupancy = dark_occupancy
        self.off_shell = BoltzmannSystem(model, fixed_xi)
        self.M = jnp.stack([model.M1, model.M2])
        width_L = jnp.stack([width_lepton(model.y1, model.M1), width_lepton(model.y2, model.M2)])
        width_chi = jnp.stack(
            [width_dark(model.lambda1, model.M1), width_dark(model.lambda2, model.M2)]
        )
        self.Gamma = width_L + width_chi
        live = self.Gamma > 0
        safe = jnp.where(live, self.Gamma, 1.0)
        self.B_L = jnp.where(live, width_L / safe, 0.0)
        self.B_chi = jnp.where(live, width_chi / safe, 0.0)
        eps = cp_asymmetries(model, regulate=regulate)
        self.epsilon_L_cut, self.epsilon_chi_cut = eps.lepton_cut, eps.dark_cut

        # characteristic sizes (only set the solver's absolute tolerance; never enter the physics)
        T = model.T_RH
        k = cosmology.yield_rate_factor(T)
        Y_eq_RH = number_density_eq(self.M, T) / cosmology.entropy_density(T)
        Y_N = jnp.clip(Y_eq_RH, 1e-250, _Y_RELATIVISTIC)
        couplings = model.effective_couplings()
        sigma = 2.0 * k * (rates.gamma_dim5(couplings, T) + rates.gamma_dim6(couplings, T) / 3.0)
        sigma = sigma + jnp.sum(self.B_chi * Y_N)
        asym = k * (
            jnp.abs(rates.cp_source_lepton(couplings, T))
            + jnp.abs(rates.cp_source_dark(couplings, T))
        )
        eps_size = jnp.sum(jnp.abs(self.epsilon_L_cut) + jnp.abs(self.epsilon_chi_cut), axis=-1)
        asym = asym / 3.0 + jnp.sum(eps_size * Y_N)
        self.sigma_scale = jnp.where(sigma > 0, sigma, 1.0)
        self.asymmetry_scale = jnp.where(asym > 0, asym, 1.0)
        # Stiff N: an absolute tolerance on Y_N loosened by sqrt(K_i), K_i = Gamma_i/H(T = M_i) the
        # washout parameter (module docstring, "Step-size control"). Without it the strongly
        # coupled points (K ~ 1e5) spend thousands of steps on the noise of the stiff component's
        # error estimate.
        washout_parameter = self.Gamma / cosmology.hubble_rate(self.M)
        self.N_scale = Y_N * jnp.sqrt(jnp.maximum(washout_parameter, 1.0))

    # ---- state bookkeeping ---------------------------------------------------------------------

    def temperature(self, tau):
        return self.off_shell.temperature(tau)

    def initial_state(self) -> Float[Array, "6"]:
        """Empty dark sector and no heavy neutrinos at T_RH (u = ξ_fixed⁴ if ξ is fixed)."""
        return jnp.concatenate([self.off_shell.initial_state(), jnp.zeros(2)])

    def state_from_physical(self, xi, SigmaY_chi, DeltaY_L, DeltaY_chi, Y_N, tau=0.0):
        """The rescaled state for given physical values (for tests and diagnostics)."""
        u = jnp.asarray(xi, dtype=jnp.float64) ** 4
        if self.off_shell.fixed_xi is None:
            u = u / self.off_shell.entropy_dilution(self.temperature(jnp.asarray(tau)))
        return jnp.concatenate(
            [
                jnp.stack(
                    [
                        u,
                        SigmaY_chi / self.sigma_scale,
                        DeltaY_L / self.asymmetry_scale,
                        DeltaY_chi / self.asymmetry_scale,
                    ]
                ),
                jnp.asarray(Y_N) / self.N_scale,
            ]
        )

    def physical(self, y, tau) -> dict[str, Float[ArrayLike, "..."]]:
        """Undo the rescaling: ``xi, SigmaY_chi, DeltaY_L, DeltaY_chi, Y_N1, Y_N2``."""
        # the dark bath as the EFT system reads it (sink_reactions: g_D and xi from the energy)
        u = self.off_shell.dark_bath(self.temperature(tau), y[..., 0])[0]
        return {
            "xi": xi_power(u, 1),
            "SigmaY_chi": y[..., 1] * self.sigma_scale,
            "DeltaY_L": y[..., 2] * self.asymmetry_scale,
            "DeltaY_chi": y[..., 3] * self.asymmetry_scale,
            "Y_N1": y[..., 4] * self.N_scale[0],
            "Y_N2": y[..., 5] * self.N_scale[1],
        }

    def equilibrium_yield(self, T) -> Float[Array, "2"]:
        r""":math:`Y^{\rm eq}_{N_i}(T)=n^{\rm eq}_{N_i}(T)/s(T)`."""
        return number_density_eq(self.M, T) / cosmology.entropy_density(T)

    @property
    def epsilon_L(self) -> Float[Array, "2"]:
        r""":math:`\epsilon_{i,L}=\epsilon^{(L)}_{i,L}+\epsilon^{(\chi)}_{i,L}`."""
        return jnp.sum(self.epsilon_L_cut, axis=-1)

    @property
    def epsilon_chi(self) -> Float[Array, "2"]:
        r""":math:`\epsilon_{i,\chi}=\epsilon^{(L)}_{i,\chi}+\epsilon^{(\chi)}_{i,\chi}`."""
        return jnp.sum(self.epsilon_chi_cut, axis=-1)

    # ---- the heavy-neutrino collision terms ---------------------------------------------------

    def dark_equilibrium_yield(self, T, u) -> Float[ArrayLike, ""]:
        r""":math:`\Sigma Y_\chi^{\rm eq}(\xi T)=2g_\chi(\xi T)^3/(\pi^2 s(T))` (MB, :math:`g_\chi=1`; module docstring)."""
        return 2.0 * u**0.75 * T**3 / (jnp.pi**2 * cosmology.entropy_density(T))

    def neutrino_rates(self, T, u, Y_N: Float[Array, "2"], SigmaY_chi=None) -> NeutrinoRates:
        r""":class:`NeutrinoRates` at SM temperature ``T``, :math:`u=\xi^4`, yields ``Y_N`` and :math:`\Sigma Y_\chi`.

        Without ``SigmaY_chi`` (or with ``dark_occupancy=False``) the dark bath is taken in chemical
        equilibrium at :math:`\xi T` (:math:`\rho_D=1`).
        """
        M, Gamma, B_L, B_chi = self.M, self.Gamma, self.B_L, self.B_chi
        eps_L, eps_chi = self.epsilon_L_cut, self.epsilon_chi_cut
        s = cosmology.entropy_density(T)
        n_N = s * Y_N
        decays = n_N * Gamma * time_dilation(M, T)
        gamma_sm = decay_density(M, Gamma, T)
        # dark bath at T_chi = xi T. "Double where": only where exp(-M/xi T) is representable (the
        # same cut as decays.py), so that rho_D = SigmaY/SigmaY_eq ~ xi^-3 never meets 0/0 and the
        # derivatives stay finite at u -> 0.
        T_chi_min = jnp.min(M) / 700.0
        warm = u > (T_chi_min / T) ** 4
        u_safe = jnp.where(warm, u, 1.0)
        xi = u_safe**0.25
        gamma_dark = jnp.where(warm, decay_density(M, Gamma, xi * T), 0.0)
        n_eq_dark = jnp.where(warm, number_density_eq(M, xi * T), 0.0)
        if self.dark_occupancy and SigmaY_chi is not None:
            rho = SigmaY_chi / self.dark_equilibrium_yield(T, u_safe)
            rho = jnp.where(warm, rho, 0.0)
        else:
            rho = jnp.asarray(1.0)
        # tilde gamma_D: the actual chi phi -> N density over B_chi
        gamma_dark_actual = rho**2 * gamma_dark
        washout_dark = jnp.where(warm, rho * gamma_dark / xi**3, 0.0)

        inverse_sm = B_L * gamma_sm
        inverse_dark = B_chi * gamma_dark_actual
        net = decays - inverse_sm - inverse_dark
        # CP-odd (module docstring): each cut-resolved piece of epsilon against its own bath
        baths = jnp.stack([gamma_sm, gamma_dark_actual], axis=-1)  # (N_i, beta)
        eps_L_tot, eps_chi_tot = jnp.sum(eps_L, axis=-1), jnp.sum(eps_chi, axis=-1)
        source_L = jnp.sum(eps_L_tot * decays - jnp.sum(eps_L * baths, axis=-1))
        source_chi = jnp.sum(eps_chi_tot * decays - jnp.sum(eps_chi * baths, axis=-1))
        washout = jnp.diag(jnp.stack([jnp.sum(B_L * gamma_sm), jnp.sum(B_chi * washout_dark)]))
        return NeutrinoRates(
            decays=decays,
            inverse_sm=inverse_sm,
            inverse_dark=inverse_dark,
            net_decay=net,
            source_lepton=source_L,
            source_dark=source_chi,
            unsubtracted_lepton=jnp.sum(eps_L_tot * (decays + gamma_sm)),
            unsubtracted_dark=jnp.sum(eps_chi_tot * (decays + gamma_dark_actual)),
            production=jnp.sum(B_chi * (decays - gamma_dark_actual)),
            energy_transfer=jnp.sum(B_chi * Gamma * M * (n_N - rho**2 * n_eq_dark)),
            washout=washout,
            occupancy=rho,
        )

    def vector_field(self, tau, y, args=None):
        r"""d(state)/dτ of the module docstring's equations.

        The conventions of the EFT system apply unchanged (:mod:`jaxcogen.production._boltzmann`):
        ``spectators`` and ``sink_reactions`` through the chemical-potential coefficients and the
        dark bath (:meth:`BoltzmannSystem.dark_bath`: :math:`u`, :math:`g_D`, the sink's weight),
        ``dark_radiation_in_hubble`` through :math:`H^2\propto g_*T^4+g_DT_\chi^4` and the SM
        entropy drained by the energy transfer (EFT and :math:`N\to\chi\phi` together),
        :math:`dY/d\tau\ni3\epsilon Y` for every yield, :math:`Y_{N_i}` included.
        """
        base = self.off_shell
        conv = base.conventions
        T = self.temperature(tau)
        SigmaY_chi = y[1] * self.sigma_scale
        DeltaY_L = y[2] * self.asymmetry_scale
        DeltaY_chi = y[3] * self.asymmetry_scale
        Y_N = y[4:] * self.N_scale
        dilution = base.entropy_dilution(T)
        u, g_D, sink_weight = base.dark_bath(T, y[0])
        r = base.network(T, u)
        n = self.neutrino_rates(T, u, Y_N, SigmaY_chi)
        heating = cosmology.entropy_heating_factor(T)
        energy_transfer = r.energy_transfer + n.energy_transfer
        if conv.dark_radiation_in_hubble:
            # as BoltzmannSystem.vector_field (docs/physics.md, "Dark radiation in H")
            s = cosmology.entropy_density(T)
            H = cosmology.hubble_rate(T, g_D * u)
            drain = energy_transfer / (3.0 * T * s * H)
            clock = heating / (1.0 + drain)
            per_Hs = clock / (H * s)
        else:
            H = cosmology.hubble_rate(T)
            drain = jnp.zeros_like(u)
            clock = heating
            per_Hs = heating * cosmology.yield_rate_factor(T)
        dilute = 3.0 * clock * drain

        if base.fixed_xi is None:
            g_ref = conv.g_dark
            du = clock * 30.0 / (jnp.pi**2 * g_ref * T**4 * H * dilution) * energy_transfer
            du = du + 4.0 * clock * drain * g_D * u / (g_ref * dilution)
        else:
            du = jnp.zeros_like(u)

        c_sm, c_dark = chemical_potential_coefficients(
            conv.spectators, cosmology.g_star_s(T), T, eta=conv.eta, sink_weight=sink_weight
        )
        potentials = jnp.stack([c_sm * DeltaY_L, c_dark * DeltaY_chi])
        washout = (r.response + n.washout) @ potentials
        dL = per_Hs * (r.source_lepton + n.source_lepton - washout[0]) + dilute * DeltaY_L
        dchi = per_Hs * (r.source_dark + n.source_dark - washout[1]) + dilute * DeltaY_chi
        dsigma = per_Hs * (r.production + n.production) + dilute * SigmaY_chi
        dN = -per_Hs * n.net_decay + dilute * Y_N
        return jnp.concatenate(
            [
                jnp.stack(
                    [
                        du,
                        dsigma / self.sigma_scale,
                        dL / self.asymmetry_scale,
                        dchi / self.asymmetry_scale,
                    ]
                ),
                dN / self.N_scale,
            ]
        )
