r"""The production-stage Boltzmann system of UV freeze-in cogenesis.

Independent variable :math:`\tau=\ln(T_{\rm RH}/T)` (so :math:`x=M_1/T=x_{\rm RH}e^\tau`);
:math:`g_*(T)`, :math:`g_{*s}(T)` from the SM table (:mod:`jaxcogen.cosmology`), so
:math:`dY/d\tau=(1+\delta)\,\gamma_{\rm net}/(Hs)` with :math:`1+\delta=1+\frac13d\ln g_{*s}/d\ln T`
(:func:`~jaxcogen.cosmology.entropy_heating_factor`; 1 to :math:`4\times10^{-6}` above 10 TeV,
where UV production happens, and it matters only for the tail below the electroweak scale). The
equations below are written for :math:`\delta=0`; with :math:`\delta\ne0` every right-hand side
is multiplied by :math:`1+\delta`, and :math:`du/d\tau` gains :math:`-4\delta u` (the SM is heated
by annihilations, the decoupled dark bath is not) — which the variable :math:`v` absorbs:
:math:`dv/d\tau=(1+\delta)(g_{*s}(T_{\rm RH})/g_{*s}(T))^{4/3}\,du/d\tau|_{\delta=0}`.

State (each yield rescaled by a characteristic size so that one relative tolerance serves all):

- :math:`v=\xi^4\,(g_{*s}(T_{\rm RH})/g_{*s}(T))^{4/3}\propto\rho_Da^4` with :math:`\xi=T_\chi/T` —
  regular at :math:`\xi=0`, unlike :math:`\xi`; :math:`u=\xi^4` is read off it. Evolving the
  comoving dark energy rather than :math:`u` keeps the state smooth where :math:`g_{*s}` changes
  (below ~1 TeV): a decoupled dark bath just keeps its :math:`v`,
- :math:`\Sigma Y_\chi=Y_\chi+Y_{\bar\chi}`,
- :math:`\Delta Y_L` — the lepton asymmetry made by the portal (one lepton doublet flavour),
  so :math:`Y_{B-L}=-\Delta Y_L`,
- :math:`\Delta Y_\chi=\Delta Y_\phi` (dark charge conservation).

Equations (notes §3.4 (a), (b), (c′); :math:`\gamma` at :math:`T` unless marked, all MB power laws
so :math:`\gamma_5(\xi T)=\xi^6\gamma_5`, :math:`\gamma_6(\xi T)=\xi^8\gamma_6`):

.. math::
    \frac{du}{d\tau}&=\frac{30}{\pi^2g_DT^4H}\big[C_{E5}(T)(1-\xi^7)+C_{E6}(T)(1-\xi^9)\big]\\
    \frac{d\Sigma Y_\chi}{d\tau}&=\frac{2}{Hs}\big[\gamma_6(1-\xi^8)+\gamma_5(1-\xi^6)\big]\\
    \frac{d\Delta Y_L}{d\tau}&=\frac1{Hs}\Big\{S_L(1-\xi^8)
        -2\big[\gamma_6+\gamma_5+4\gamma_W+m(3\xi^3\gamma_5+\tfrac43\xi^4\gamma_6)\big]\mu_{\rm SM}
        +2\big[\xi^8\gamma_6-\xi^6\gamma_5+m(\tfrac43\xi^4\gamma_6-3\xi^3\gamma_5)\big]\mu_D\Big\}\\
    \frac{d\Delta Y_\chi}{d\tau}&=\frac1{Hs}\Big\{S_\chi(1-\xi^8)
        +2\big[\gamma_6-\gamma_5+m(\tfrac43\xi^4\gamma_6-3\xi^3\gamma_5)\big]\mu_{\rm SM}
        -2\big[\xi^8\gamma_6+\xi^6\gamma_5+4\gamma_d(\xi T)+m(3\xi^3\gamma_5+\tfrac43\xi^4\gamma_6)\big]\mu_D\Big\}

with :math:`m=1` when ``mixed_processes`` is on, :math:`\mu_{\rm SM}=\hat\mu_\ell+\hat\mu_H` and
:math:`\mu_D=\hat\mu_\chi+\hat\mu_\phi` (see :func:`chemical_potential_coefficients`). The
collision terms come from a rate network (:mod:`jaxcogen.rates._network`); the equations above are those
of the analytic network. Since :math:`\mu_D\propto\Delta Y_\chi/\xi^3`, the network works with
:math:`\xi^3\mu_D`, and every power of :math:`\xi` is :math:`u^{k/4}` with a zero-safe power, so
the Jacobian stays finite at the initial point :math:`u=0`.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from jaxcogen import cosmology, rates, thermodynamics
from jaxcogen._special import bessel_k012e
from jaxcogen.model._cogenesis import CogenesisModel, EffectiveCouplings
from jaxcogen.model._conventions import Conventions
from jaxcogen.production._spectators import (
    dark_charge_coefficient,
    sm_equilibrium_coefficients,
    spectator_factor,
)
from jaxcogen.rates._network import AbstractRateNetwork, AnalyticRateNetwork, xi_power

_SM = sm_equilibrium_coefficients()
_K_SM_EQUILIBRIUM = float(_SM.K)

# internal dof entering the chemical potentials (notes §3.4(c)): lepton doublet, and the Weyl
# component chi (no chirality flips for massless chi) and the complex scalar phi.
g_lepton_doublet = 2.0
g_chi_weyl = 1.0
g_phi = 1.0


def chemical_potential_coefficients(
    spectators: str,
    g_star_s: Float[ArrayLike, ""],
    T: Float[ArrayLike, ""] | None = None,
    *,
    eta: str = "dirac",
    sink_weight: Float[ArrayLike, ""] | None = None,
) -> tuple[Float[ArrayLike, ""], Float[ArrayLike, ""]]:
    r"""Linear-response coefficients :math:`(c_{\rm SM},c_D)` with
    :math:`\mu_{\rm SM}=c_{\rm SM}\,\Delta Y_L` and :math:`\mu_D\,\xi^3=c_D\,\Delta Y_\chi`.

    - ``"none"`` (MB susceptibilities, :math:`\Delta n=2gT_X^3\hat\mu/\pi^2`):
      :math:`\hat\mu_X=\frac{\pi^4g_{*s}}{45g_X}\frac{\Delta Y_X}{(T_X/T)^3}`, no Higgs asymmetry.
    - ``"sm_equilibrium"`` (quantum susceptibilities): :math:`\hat\mu_\ell+\hat\mu_H
      =-K\frac{4\pi^2g_{*s}}{15}Y_{B-L}` with :math:`K=257/711`, and
      :math:`\hat\mu_F=\frac{4\pi^2g_{*s}}{15g}\frac{\Delta Y}{\xi^3}`,
      :math:`\hat\mu_B=\frac{2\pi^2g_{*s}}{15g}\frac{\Delta Y}{\xi^3}` (notes §3.5, crosscheck 4–5).
    - ``"temperature_regime"``: as ``"sm_equilibrium"`` with :math:`K=K(T)`
      (:func:`jaxcogen.production._spectators.spectator_factor`); needs the SM temperature ``T``.

    The dark coefficient above is :math:`\Delta Y_\phi=\Delta Y_\chi`, i.e. the sink's reactions
    ignored. With ``sink_weight`` :math:`w` (0 … 1) it is instead
    :math:`c_D=c_0\,[K_D^{\rm off}+w\,(K_D^{\rm eq}-K_D^{\rm off})]`, with
    :math:`c_0=4\pi^2g_{*s}/15` (quantum) or :math:`\pi^4g_{*s}/45` (MB) and the exact
    :math:`K_D` of :func:`jaxcogen.production._spectators.dark_charge_coefficient` for ``eta``
    (:math:`w=1`: the sink in chemical equilibrium; :math:`\Delta Y_\chi` then counts the
    portal's :math:`\chi_L\phi` pairs, half the conserved :math:`N_\chi+N_\phi`).
    """
    if spectators in ("sm_equilibrium", "temperature_regime"):
        if spectators == "sm_equilibrium":
            K = _K_SM_EQUILIBRIUM
        elif T is None:
            raise ValueError("spectators='temperature_regime' needs the temperature T [GeV]")
        else:
            K = spectator_factor(T)
        c_sm = K * 4.0 * jnp.pi**2 * g_star_s / 15.0
        c_dark = (4.0 / g_chi_weyl + 2.0 / g_phi) * jnp.pi**2 * g_star_s / 15.0
        c_unit, susceptibilities = 4.0 * jnp.pi**2 * g_star_s / 15.0, "quantum"
    else:
        c_sm = jnp.pi**4 * g_star_s / (45.0 * g_lepton_doublet)
        c_dark = jnp.pi**4 * g_star_s / 45.0 * (1.0 / g_chi_weyl + 1.0 / g_phi)
        c_unit, susceptibilities = jnp.pi**4 * g_star_s / 45.0, "maxwell_boltzmann"
    if sink_weight is not None:
        K_off = float(dark_charge_coefficient(eta, susceptibilities, False))
        K_eq = float(dark_charge_coefficient(eta, susceptibilities, True))
        c_dark = c_unit * (K_off + sink_weight * (K_eq - K_off))
    return c_sm, c_dark


def sink_rates(
    kappa: Float[ArrayLike, "..."],
    T_chi: Float[ArrayLike, "..."],
    m_chi: Float[ArrayLike, "..."],
    m_phi: Float[ArrayLike, "..."],
    eta: str,
) -> tuple[Float[ArrayLike, "..."], Float[ArrayLike, "..."]]:
    r"""Rates per dark particle [GeV] of the sink :math:`\kappa\,\phi\chi^c\eta` in the dark bath at :math:`T_\chi`.

    Returns :math:`(\Gamma_{2\to2},\Gamma_{1\leftrightarrow2})`:

    - :math:`\Gamma_{2\to2}=\gamma(\chi\bar\chi\to\eta\bar\eta)/n_\eta^{\rm eq}
      =\frac{c\,\kappa^4T_\chi}{128\pi^3g_\eta}`: the massless limit of
      :math:`\Sigma|\mathcal M|^2=c\kappa^4(m_\chi^2-t)^2/(t-m_\phi^2)^2` (:math:`c=1` Weyl,
      4 Dirac; :func:`jaxcogen.late_universe.sigma_v_chi`) is the constant :math:`c\kappa^4`, so
      :math:`\hat\sigma=c\kappa^4/8\pi` and :math:`\gamma=\frac{T^4}{16\pi^4}\hat\sigma` (MB,
      :math:`\int_0^\infty z^2K_1=2`), and :math:`n_\eta^{\rm eq}=g_\eta T_\chi^3/\pi^2`
      (:math:`g_\eta=2,4`) [D]. It stands for every :math:`\kappa^4` two-body process (the
      :math:`t`-channel fermion exchanges, :math:`\phi\phi^*\to\eta\bar\eta`, are larger by a
      logarithm of the thermal mass, not computed): an order-of-magnitude rate.
    - :math:`\Gamma_{1\leftrightarrow2}=\Gamma(\phi\to\chi\bar\eta)\,K_1(z)/K_2(z)`,
      :math:`z=m_\phi/T_\chi`: φ decays with time dilation (vacuum masses; MB).
    """
    from jaxcogen.late_universe._dark_freezeout import phi_decay_width  # no import cycle

    c_over_g_eta = 0.5 if eta == "weyl" else 1.0
    gamma_2to2 = c_over_g_eta * kappa**4 * T_chi / (128.0 * jnp.pi**3)
    # K1/K2 -> 1 - 3/(2z) for z >> 1; clipped (also at T_chi = 0) where the ratio is 1 to 1e-4
    z = 1.0 / jnp.clip(T_chi / m_phi, 1e-4, 1e8)  # finite derivatives at T_chi = 0
    _, k1e, k2e = bessel_k012e(z)
    gamma_1to2 = phi_decay_width(m_chi, m_phi, kappa, eta) * k1e / k2e
    return gamma_2to2, gamma_1to2


def sink_weights(
    kappa: Float[ArrayLike, "..."],
    T_chi: Float[ArrayLike, "..."],
    H: Float[ArrayLike, "..."],
    m_chi: Float[ArrayLike, "..."],
    m_phi: Float[ArrayLike, "..."],
    eta: str,
) -> tuple[Float[ArrayLike, "..."], Float[ArrayLike, "..."]]:
    r"""Weights :math:`(w_{\rm bath},w_{\rm charge})\in[0,1]` of ``sink_reactions="rate"``, each :math:`\Gamma/(\Gamma+H)`.

    - :math:`w_{\rm bath}`: :math:`\xi` and η in the dark bath, :math:`\Gamma=\Gamma_{2\to2}+\Gamma_{1\leftrightarrow2}`
      (:func:`sink_rates`).
    - :math:`w_{\rm charge}`: the sink's reactions in chemical equilibrium. For a Dirac η
      (non-chiral: :math:`\phi\xi\eta_1` and :math:`\phi\chi_L^\dagger\eta_2^\dagger`) the
      :math:`s`-channel φ scatterings :math:`\xi\eta_1\leftrightarrow\bar\chi_L\bar\eta_2` move charge at
      :math:`O(\kappa^4)`: :math:`\Gamma=\Gamma_{2\to2}+\Gamma_{1\leftrightarrow2}`. For a Weyl η
      (only :math:`\phi\xi\eta_1`) every tree-level two-body process with massless states
      keeps :math:`N_\phi`, :math:`N_\xi`, :math:`N_{\eta}` separately (the two vertices of
      a diagram must be conjugate, and the exchanged line then carries its own number), so
      only :math:`\phi\leftrightarrow\bar\xi\bar\eta` moves charge:
      :math:`\Gamma=\Gamma_{1\leftrightarrow2}`, negligible while :math:`T_\chi\gg m_\phi`.

    The form :math:`\Gamma/(\Gamma+H)` is the crude model of partial equilibration used for
    ``spectators="temperature_regime"``: exact in the limits, smooth in between.
    """
    gamma_2to2, gamma_1to2 = sink_rates(kappa, T_chi, m_chi, m_phi, eta)
    bath = gamma_2to2 + gamma_1to2
    charge = bath if eta == "dirac" else gamma_1to2
    return bath / (bath + H), charge / (charge + H)


def freeze_in_scales(
    couplings: EffectiveCouplings, T_RH: Float[ArrayLike, ""]
) -> tuple[Float[ArrayLike, ""], Float[ArrayLike, ""]]:
    r"""Characteristic sizes of :math:`\Sigma Y_\chi` and of the asymmetries (used to rescale the state).

    The :math:`\xi\ll1` closed forms (notes §7 items 2–3): for :math:`\gamma=AT^n`,
    :math:`\int_0^\infty\gamma/(Hs)\,d\tau=A\,k\,T_{\rm RH}^{n-5}/(n-5)` with
    :math:`k=45m_{\rm Pl}/(2\pi^2g_{*s}c_H\sqrt{g_*})`. A vanishing scale is replaced by 1 (that
    component then stays exactly zero).
    """
    T = T_RH
    k = cosmology.yield_rate_factor(T)  # A k' T_RH^(n-5) = gamma(T_RH) / (H s)(T_RH)
    sigma = 2.0 * k * (rates.gamma_dim5(couplings, T) + rates.gamma_dim6(couplings, T) / 3.0)
    asym = k * (
        jnp.abs(rates.cp_source_lepton(couplings, T)) + jnp.abs(rates.cp_source_dark(couplings, T))
    )
    asym = asym / 3.0
    return jnp.where(sigma > 0, sigma, 1.0), jnp.where(asym > 0, asym, 1.0)


def make_network(model: CogenesisModel) -> AbstractRateNetwork:
    """The rate network selected by ``model.conventions.rates``."""
    if model.conventions.rates == "analytic":
        return AnalyticRateNetwork(model.effective_couplings(), model.conventions)
    from jaxcogen.rates.collisions._quadrature_network import (
        QuadratureRateNetwork,  # lazy: only quadrature runs need it
    )

    return QuadratureRateNetwork.from_model(model)


class BoltzmannSystem(eqx.Module):
    r"""Vector field of the production stage in :math:`\tau=\ln(T_{\rm RH}/T)`, rescaled state.

    Attributes:
        network: the rate network giving the collision terms (no complex numbers reach diffrax).
        T_RH: reheating temperature [GeV].
        conventions: the model's conventions.
        sigma_scale: scale of :math:`\Sigma Y_\chi` in the state vector.
        asymmetry_scale: scale of :math:`\Delta Y_L` and :math:`\Delta Y_\chi` in the state vector.
        fixed_xi: if not ``None``, :math:`\xi` is held at this value (no energy transfer is
            evolved); used to exhibit the Sakharov condition (:math:`\xi=1` kills every source).
        kappa, m_chi, m_phi: the sink coupling and the dark masses (only
            ``sink_reactions="rate"`` uses them, for the sink's rates).
    """

    network: AbstractRateNetwork
    T_RH: Float[ArrayLike, ""]
    conventions: Conventions
    sigma_scale: Float[ArrayLike, ""]
    asymmetry_scale: Float[ArrayLike, ""]
    fixed_xi: Float[ArrayLike, ""] | None
    kappa: Float[ArrayLike, ""]
    m_chi: Float[ArrayLike, ""]
    m_phi: Float[ArrayLike, ""]

    def __init__(self, model: CogenesisModel, fixed_xi=None, network=None):
        couplings = model.effective_couplings()
        self.network = make_network(model) if network is None else network
        self.T_RH = model.T_RH
        self.kappa, self.m_chi, self.m_phi = model.kappa, model.m_chi, model.m_phi
        self.conventions = model.conventions
        self.sigma_scale, self.asymmetry_scale = freeze_in_scales(couplings, self.T_RH)
        self.fixed_xi = None if fixed_xi is None else jnp.asarray(fixed_xi, dtype=jnp.float64)

    def temperature(self, tau: Float[ArrayLike, "..."]) -> Float[ArrayLike, "..."]:
        r""":math:`T=T_{\rm RH}e^{-\tau}` [GeV]."""
        return self.T_RH * jnp.exp(-tau)

    def entropy_dilution(self, T: Float[ArrayLike, "..."]) -> Float[ArrayLike, "..."]:
        r""":math:`u/v=(g_{*s}(T)/g_{*s}(T_{\rm RH}))^{4/3}`: how SM entropy release cools a decoupled dark bath."""
        return (cosmology.g_star_s(T) / cosmology.g_star_s(self.T_RH)) ** (4.0 / 3.0)

    def initial_state(self) -> Float[Array, "4"]:
        """Dark sector empty at T_RH ([T]): v = ΣY_χ = ΔY_L = ΔY_χ = 0 (u = ξ_fixed⁴ if ξ is fixed)."""
        u0 = 0.0 if self.fixed_xi is None else self.fixed_xi**4
        return jnp.array([u0, 0.0, 0.0, 0.0])

    def physical(
        self, y: Float[Array, "... 4"], tau: Float[ArrayLike, "..."]
    ) -> dict[str, Float[ArrayLike, "..."]]:
        """Undo the rescaling at ``tau``: ``{"xi", "SigmaY_chi", "DeltaY_L", "DeltaY_chi"}``."""
        u = self.dark_bath(self.temperature(tau), y[..., 0])[0]
        return {
            "xi": xi_power(u, 1),
            "SigmaY_chi": y[..., 1] * self.sigma_scale,
            "DeltaY_L": y[..., 2] * self.asymmetry_scale,
            "DeltaY_chi": y[..., 3] * self.asymmetry_scale,
        }

    def dark_bath(
        self, T: Float[ArrayLike, "..."], v: Float[ArrayLike, "..."]
    ) -> tuple[Float[ArrayLike, "..."], Float[ArrayLike, "..."], Float[ArrayLike, "..."] | None]:
        r"""The dark bath at SM temperature ``T`` from the state's first component :math:`v`.

        Returns :math:`(u=\xi^4,\ g_D,\ w_{\rm charge})`. :math:`v\,g_{\rm ref}` is the comoving
        dark energy :math:`\propto g_D\,u\,(Ta)^4` (:math:`g_{\rm ref}=` ``g_dark``), so
        :math:`u=v\,D(T)\,g_{\rm ref}/g_D` with :math:`D` the :meth:`entropy_dilution`. ``g_D`` is
        ``g_dark`` except for ``sink_reactions="rate"``, where
        :math:`g_D=g_{\rm portal}+w_{\rm bath}(g_{\rm ref}-g_{\rm portal})`
        (:func:`sink_weights`, rates at the all-species temperature :math:`(vD)^{1/4}T`, so that
        :math:`g_D` needs no iteration). :math:`w_{\rm charge}` is ``None`` for
        ``"ignored"``, 1 for ``"equilibrium"``.
        """
        conv = self.conventions
        g_ref = conv.g_dark
        if self.fixed_xi is not None:
            u = v
            g_D = jnp.full_like(u, g_ref)
        else:
            u = v * self.entropy_dilution(T)
            g_D = jnp.full_like(u, g_ref)
        if conv.sink_reactions == "ignored":
            return u, g_D, None
        if conv.sink_reactions == "equilibrium":
            return u, g_D, jnp.ones_like(u)
        T_chi = xi_power(u, 1) * T
        H = cosmology.hubble_rate(T)
        w_bath, w_charge = sink_weights(self.kappa, T_chi, H, self.m_chi, self.m_phi, conv.eta)
        if self.fixed_xi is not None:
            return u, g_D, w_charge
        g_portal = thermodynamics.massless_dof(thermodynamics.PORTAL_FIELDS)
        g_D = g_portal + w_bath * (g_ref - g_portal)
        return u * g_ref / g_D, g_D, w_charge

    def vector_field(self, tau: Float[ArrayLike, ""], y: Float[Array, "4"], args=None):
        """The right-hand side d(state)/dτ of the module docstring's equations."""
        T = self.temperature(tau)
        conv = self.conventions
        DeltaY_L = y[2] * self.asymmetry_scale
        DeltaY_chi = y[3] * self.asymmetry_scale
        SigmaY_chi = y[1] * self.sigma_scale
        dilution = self.entropy_dilution(T)
        u, g_D, sink_weight = self.dark_bath(T, y[0])
        r = self.network(T, u)
        heating = cosmology.entropy_heating_factor(T)  # 1 + (1/3) dln g_*s/dln T = H dt/dtau
        s = cosmology.entropy_density(T)
        if conv.dark_radiation_in_hubble:
            # H^2 ∝ rho_SM + rho_D; the SM loses entropy T d(s a^3) = -a^3 C_E dt, at the rate
            # epsilon = C_E / (3 T s H) per e-fold of T a (docs/physics.md)
            H = cosmology.hubble_rate(T, g_D * u)
            drain = r.energy_transfer / (3.0 * T * s * H)
        else:
            H = cosmology.hubble_rate(T)
            drain = jnp.zeros_like(u)
        clock = heating / (1.0 + drain)  # H dt/dtau
        if conv.dark_radiation_in_hubble:
            per_Hs = clock / (H * s)
        else:
            per_Hs = heating * cosmology.yield_rate_factor(T)
        dilute = 3.0 * clock * drain  # + 3 epsilon Y: Y = n / s_SM with s_SM a^3 falling

        # (a) energy transfer: d(rho_D a^4)/dt = a^4 C_E with rho_D a^4 ∝ g_D u (T a)^4 ∝ v
        if self.fixed_xi is None:
            g_ref = conv.g_dark
            dv = clock * 30.0 / (jnp.pi**2 * g_ref * T**4 * H * dilution) * r.energy_transfer
            dv = dv + 4.0 * clock * drain * g_D * u / (g_ref * dilution)
        else:
            dv = jnp.zeros_like(u)

        # (c') asymmetries in linear response
        c_sm, c_dark = chemical_potential_coefficients(
            conv.spectators, cosmology.g_star_s(T), T, eta=conv.eta, sink_weight=sink_weight
        )
        potentials = jnp.stack([c_sm * DeltaY_L, c_dark * DeltaY_chi])  # (mu_SM, xi^3 mu_D)
        washout = r.response @ potentials
        dL = per_Hs * (r.source_lepton - washout[0]) + dilute * DeltaY_L
        dchi = per_Hs * (r.source_dark - washout[1]) + dilute * DeltaY_chi
        dsigma = per_Hs * r.production + dilute * SigmaY_chi
        return jnp.stack(
            [
                dv,
                dsigma / self.sigma_scale,
                dL / self.asymmetry_scale,
                dchi / self.asymmetry_scale,
            ]
        )


def relaxation_rates(model: CogenesisModel) -> Float[Array, "5"]:
    r"""Relaxation rates per e-fold at :math:`T_{\rm RH}`: :math:`|\partial f_k/\partial y_k|`.

    :math:`f` is the vector field in :math:`\tau=\ln(T_{\rm RH}/T)`, so each diagonal Jacobian
    entry is a rate per Hubble time: the four entries at the initial (empty dark sector) state —
    the lepton and dark wash-out rates are the large ones — and the thermalisation rate of
    :math:`u=\xi^4` at :math:`\xi=1` (zero at the initial state, where :math:`1-\xi^7` is flat).
    All of them fall like :math:`T^{1\ldots3}` relative to :math:`H`, so :math:`T_{\rm RH}` is
    where the system is stiffest. Non-finite entries (invalid input) are returned as 0.
    """
    system = BoltzmannSystem(model)

    def field(y):
        return system.vector_field(jnp.zeros(()), y)

    empty = system.initial_state()
    thermal = empty.at[0].set(1.0)
    # both Jacobians in one batched call: one copy of the vector field to compile, not two
    jacobians = jax.vmap(jax.jacfwd(field))(jnp.stack([empty, thermal]))
    rates = jnp.concatenate([jnp.abs(jnp.diagonal(jacobians[0])), jnp.abs(jacobians[1, :1, 0])])
    return jnp.where(jnp.isfinite(rates), rates, 0.0)
