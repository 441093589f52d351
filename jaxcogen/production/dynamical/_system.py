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
  :math:`|\mathcal M(LH\to N)|=|\mathcal M(N\to\bar LH^\dagger)|`), and from the dark bath at
  :math:`T_\chi`, :math:`\gamma(\chi\phi\to N_i)=\gamma_{D,i}(\xi T)(B_{i\chi}-\epsilon_{i\chi})/2`;
- 2→2 scatterings through :math:`N` with the real intermediate state removed (below).

**RIS subtraction [D] (narrow width, Kolb–Wolfram; Giudice et al. hep-ph/0310123 App. A).** The
on-shell part of an :math:`s`-channel scattering :math:`a\to f` is the inverse decay followed by the
decay, :math:`\gamma^{\rm RIS}(a\to f)=\gamma_D(T_a)\Gamma(N\to\bar a)\Gamma(N\to f)/\Gamma^2`, which
the decay terms already count. Its CP-odd part,
:math:`\Delta\gamma^{\rm RIS}(a\to f)=\gamma_D(T_a)[\Gamma(N\to\bar a)\Gamma(N\to f)-\Gamma(N\to a)\Gamma(N\to\bar f)]/\Gamma^2`,
violates the unitarity sum rule by :math:`\sum_f\Delta\gamma^{\rm RIS}(a\to f)=-\gamma_D(T_a)\Delta\Gamma_a/\Gamma`,
while the full leading-order scattering asymmetry obeys it. The scheme used here:

.. math:: \Delta\gamma^{\rm sub}(a\to f)=\Delta\gamma^{\rm EFT}(a\to f)-\Delta\gamma^{\rm RIS}(a\to f),
    \qquad \gamma^{\rm sub}_{\rm CP\text{-}even}=\gamma^{\rm off\text{-}shell}

i.e. the full leading-order CP-odd scattering rate is taken to be the EFT one of physics notes §2.4
(which satisfies the sum rule and CPT by itself and vanishes at :math:`\xi=1`, the Hook cancellation;
in SM-only leptogenesis it is zero and this reduces to the standard :math:`\Delta\gamma^{\rm sub}=-\Delta\gamma^{\rm RIS}`).
The CP-even off-shell rates are the model's rate network (:func:`jaxcogen.production._boltzmann.make_network`):
the analytic EFT by default (no pole, nothing to subtract), or the quadrature network with
``propagator="full"``, whose kept rate is exactly the off-shell remainder
:math:`{\rm Re}(D^2)` after removing :math:`2({\rm Im}D)^2\to\frac{\pi}{M\Gamma}\delta(s-M^2)`, the same RIS
(``docs/collisions.md`` §3). Its CP-odd rates are EFT in both modes, consistent with the scheme.

Summing the SM lepton number :math:`L` changed by each RIS channel from the SM bath
(:math:`\bar LH^\dagger`: −2, :math:`\chi\phi,\bar\chi\phi^*`: −1) gives
:math:`\gamma_D(T)\epsilon_L(1+B_L)`, from the dark bath :math:`\gamma_D(\xi T)\epsilon_LB_\chi`. With the
decays (:math:`+D\epsilon_L`) and SM inverse decays (:math:`+\gamma_D(T)\epsilon_L`):

.. math::
    S^N_L&=\sum_i\epsilon_{iL}\big[D_i+\gamma_{D,i}(T)-\gamma_{D,i}(T)(1+B_{iL})-\gamma_{D,i}(\xi T)B_{i\chi}\big]
        =\sum_i\epsilon_{iL}W_i,\\
    S^N_\chi&=\sum_i\epsilon_{i\chi}\big[D_i+\gamma_{D,i}(\xi T)-\gamma_{D,i}(\xi T)(1+B_{i\chi})-\gamma_{D,i}(T)B_{iL}\big]
        =\sum_i\epsilon_{i\chi}W_i,\\
    W_i&=D_i-B_{iL}\gamma_{D,i}(T)-B_{i\chi}\gamma_{D,i}(\xi T),

:math:`W_i` being the net (CP-even) decay rate of :math:`N_i`: the source is the CP asymmetry times
the departure of :math:`N_i` from equilibrium with *both* baths. **In full equilibrium**
(:math:`\xi=1`, :math:`Y_N=Y_N^{\rm eq}`, zero chemical potentials) :math:`D_i=\gamma_{D,i}(T)` and
:math:`W_i=\gamma_{D,i}(1-B_{iL}-B_{i\chi})=0`, and the EFT part carries :math:`1-\xi^8=0`: every
asymmetry source vanishes. Without the subtraction the decay terms alone would leave
:math:`2\epsilon_{iL}\gamma_{D,i}`. Note the new out-of-equilibrium source: even with
:math:`Y_N=Y_N^{\rm eq}(T)`, :math:`W_i=B_{i\chi}[\gamma_{D,i}(T)-\gamma_{D,i}(\xi T)]\neq0` while the dark
bath is colder.

**Equations** (:math:`\gamma` at :math:`T` unless marked; EFT part as in :mod:`jaxcogen.production._boltzmann`):

.. math::
    \frac{dY_{N_i}}{d\tau}&=-\frac{W_i}{Hs},\qquad
    \frac{d\Sigma Y_\chi}{d\tau}=\frac{1}{Hs}\Big[P^{\rm off}+\sum_iB_{i\chi}\big(D_i-\gamma_{D,i}(\xi T)\big)\Big],\\
    \frac{du}{d\tau}&\ni\frac{30}{\pi^2g_DT^4H}\sum_iB_{i\chi}\Gamma_iM_i\big[n_{N_i}\,-n^{\rm eq}_{N_i}(\xi T)\big],\\
    Hs\frac{d\Delta Y_L}{d\tau}&=S_L^{\rm EFT}(1-\xi^8)+S_L^N-\big(R+R^N\big)_{L\cdot}\,\mu,\qquad
    Hs\frac{d\Delta Y_\chi}{d\tau}=S_\chi^{\rm EFT}(1-\xi^8)+S_\chi^N-\big(R+R^N\big)_{\chi\cdot}\,\mu,

with the inverse-decay wash-out (MB, linear in :math:`\hat\mu`; decays do not depend on :math:`\mu`)
:math:`R^N={\rm diag}\big(\sum_iB_{iL}\gamma_{D,i}(T),\ \sum_iB_{i\chi}\gamma_{D,i}(\xi T)/\xi^3\big)`
acting on :math:`(\mu_{\rm SM},\xi^3\mu_D)` — the :math:`\xi^{-3}` is finite (:math:`\gamma_D(\xi T)\propto e^{-M/\xi T}`).
:math:`N` energy is left out of the Hubble rate (≤ 2 % of :math:`g_*` when relativistic), and
:math:`\epsilon\times\mu` terms are second order and dropped.
"""

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float

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
        inverse_sm, inverse_dark: CP-even inverse decays :math:`B_{iL}\gamma_{D,i}(T)`, :math:`B_{i\chi}\gamma_{D,i}(\xi T)`.
        net_decay: :math:`W_i=D_i-` inverse decays.
        source_lepton, source_dark: :math:`S^N_{L}`, :math:`S^N_\chi` (scalars), RIS-subtracted.
        unsubtracted_lepton, unsubtracted_dark: the same from decays and inverse decays only.
        production: net :math:`\chi+\bar\chi` production by :math:`N` (scalar).
        energy_transfer: net energy into the dark bath [GeV^5] (scalar).
        washout: :math:`R^N` (2×2 diagonal, against :math:`(\mu_{\rm SM},\xi^3\mu_D)`).
    """

    decays: Float[Array, "2"]
    inverse_sm: Float[Array, "2"]
    inverse_dark: Float[Array, "2"]
    net_decay: Float[Array, "2"]
    source_lepton: Float[Array, ""]
    source_dark: Float[Array, ""]
    unsubtracted_lepton: Float[Array, ""]
    unsubtracted_dark: Float[Array, ""]
    production: Float[Array, ""]
    energy_transfer: Float[Array, ""]
    washout: Float[Array, "2 2"]


class DynamicalSystem(eqx.Module):
    r"""Vector field of the dynamical-:math:`N` production stage (module docstring), rescaled state of 6.

    Attributes:
        off_shell: the EFT/off-shell production-stage system (its rate network, :math:`T_{\rm RH}`,
            conventions, ``fixed_xi`` and dark-bath dilution are reused).
        M, Gamma, B_L, B_chi: masses [GeV], total tree widths [GeV], branching ratios of :math:`N_{1,2}`.
        epsilon_L, epsilon_chi: decay CP asymmetries :math:`\epsilon_{i,L}`, :math:`\epsilon_{i,\chi}`.
        sigma_scale, asymmetry_scale, N_scale: rescaling of :math:`\Sigma Y_\chi`, the asymmetries, :math:`Y_{N_i}`.
    """

    off_shell: BoltzmannSystem
    M: Float[Array, "2"]
    Gamma: Float[Array, "2"]
    B_L: Float[Array, "2"]
    B_chi: Float[Array, "2"]
    epsilon_L: Float[Array, "2"]
    epsilon_chi: Float[Array, "2"]
    sigma_scale: Float[Array, ""]
    asymmetry_scale: Float[Array, ""]
    N_scale: Float[Array, "2"]

    def __init__(self, model: CogenesisModel, fixed_xi=None, regulate: bool = True):
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
        self.epsilon_L, self.epsilon_chi = eps.lepton, eps.dark

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
        asym = asym / 3.0 + jnp.sum((jnp.abs(self.epsilon_L) + jnp.abs(self.epsilon_chi)) * Y_N)
        self.sigma_scale = jnp.where(sigma > 0, sigma, 1.0)
        self.asymmetry_scale = jnp.where(asym > 0, asym, 1.0)
        self.N_scale = Y_N

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

    def physical(self, y, tau) -> dict[str, Float[Array, "..."]]:
        """Undo the rescaling: ``xi, SigmaY_chi, DeltaY_L, DeltaY_chi, Y_N1, Y_N2``."""
        u = y[..., 0]
        if self.off_shell.fixed_xi is None:
            u = u * self.off_shell.entropy_dilution(self.temperature(tau))
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

    # ---- the heavy-neutrino collision terms ---------------------------------------------------

    def neutrino_rates(self, T, u, Y_N: Float[Array, "2"]) -> NeutrinoRates:
        """:class:`NeutrinoRates` at SM temperature ``T``, :math:`u=\\xi^4` and yields ``Y_N``."""
        M, Gamma, B_L, B_chi = self.M, self.Gamma, self.B_L, self.B_chi
        eps_L, eps_chi = self.epsilon_L, self.epsilon_chi
        s = cosmology.entropy_density(T)
        n_N = s * Y_N
        decays = n_N * Gamma * time_dilation(M, T)
        gamma_sm = decay_density(M, Gamma, T)
        # dark bath at T_chi = xi T; "double where" keeps derivatives finite at u = 0
        warm = u > 0
        xi = jnp.where(warm, jnp.where(warm, u, 1.0) ** 0.25, 1.0)
        gamma_dark_bath = jnp.where(warm, decay_density(M, Gamma, xi * T), 0.0)
        gamma_dark_per_xi3 = jnp.where(warm, decay_density(M, Gamma, xi * T) / xi**3, 0.0)
        n_eq_dark = jnp.where(warm, number_density_eq(M, xi * T), 0.0)

        inverse_sm = B_L * gamma_sm
        inverse_dark = B_chi * gamma_dark_bath
        net = decays - inverse_sm - inverse_dark
        # CP-odd pieces (module docstring): decays + inverse decays, then the RIS subtraction
        unsub_L = eps_L * (decays + gamma_sm)
        unsub_chi = eps_chi * (decays + gamma_dark_bath)
        ris_L = eps_L * (gamma_sm * (1.0 + B_L) + gamma_dark_bath * B_chi)
        ris_chi = eps_chi * (gamma_dark_bath * (1.0 + B_chi) + gamma_sm * B_L)
        washout = jnp.diag(
            jnp.stack([jnp.sum(B_L * gamma_sm), jnp.sum(B_chi * gamma_dark_per_xi3)])
        )
        return NeutrinoRates(
            decays=decays,
            inverse_sm=inverse_sm,
            inverse_dark=inverse_dark,
            net_decay=net,
            source_lepton=jnp.sum(unsub_L - ris_L),
            source_dark=jnp.sum(unsub_chi - ris_chi),
            unsubtracted_lepton=jnp.sum(unsub_L),
            unsubtracted_dark=jnp.sum(unsub_chi),
            production=jnp.sum(B_chi * (decays - gamma_dark_bath)),
            energy_transfer=jnp.sum(B_chi * Gamma * M * (n_N - n_eq_dark)),
            washout=washout,
        )

    def vector_field(self, tau, y, args=None):
        """d(state)/dτ of the module docstring's equations."""
        base = self.off_shell
        T = self.temperature(tau)
        DeltaY_L = y[2] * self.asymmetry_scale
        DeltaY_chi = y[3] * self.asymmetry_scale
        Y_N = y[4:] * self.N_scale
        dilution = base.entropy_dilution(T)
        u = y[0] * dilution if base.fixed_xi is None else y[0]
        r = base.network(T, u)
        n = self.neutrino_rates(T, u, Y_N)
        heating = cosmology.entropy_heating_factor(T)
        per_Hs = heating * cosmology.yield_rate_factor(T)

        if base.fixed_xi is None:
            H = cosmology.hubble_rate(T)
            du = heating * 30.0 / (jnp.pi**2 * base.conventions.g_dark * T**4 * H * dilution)
            du = du * (r.energy_transfer + n.energy_transfer)
        else:
            du = jnp.zeros_like(u)

        c_sm, c_dark = chemical_potential_coefficients(
            base.conventions.spectators, cosmology.g_star_s(T)
        )
        potentials = jnp.stack([c_sm * DeltaY_L, c_dark * DeltaY_chi])
        washout = (r.response + n.washout) @ potentials
        dL = per_Hs * (r.source_lepton + n.source_lepton - washout[0])
        dchi = per_Hs * (r.source_dark + n.source_dark - washout[1])
        dN = -per_Hs * n.net_decay
        return jnp.concatenate(
            [
                jnp.stack(
                    [
                        du,
                        per_Hs * (r.production + n.production) / self.sigma_scale,
                        dL / self.asymmetry_scale,
                        dchi / self.asymmetry_scale,
                    ]
                ),
                dN / self.N_scale,
            ]
        )
