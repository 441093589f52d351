r"""From the end of production to today: dark freeze-out, :math:`\Omega_\chi h^2`, :math:`\Delta N_{\rm eff}`.

Physics notes §3.4 ("where to stop"), §4, §5. Everything here is jittable, vmappable and
differentiable (a closed-form BDF2 integrator under ``lax.scan`` for the stiff freeze-out ODE, an
implicit-function Newton step for :math:`\xi`).

**Assumptions** (each one a stated choice):

1. *Separate entropy conservation.* After production the SM and the dark bath (χ, φ, η at
   :math:`T_\chi=\xi T`, zero chemical potential, kinetic equilibrium through κ) each conserve
   entropy. The comoving ratio :math:`r=s_D/s_{\rm SM}=g_D\xi_{\rm end}^3/g_{*s}` is fixed by the
   production stage at its end :math:`T_{\rm end}` (its ``g_dark``, :math:`g_{*s}(T_{\rm end})`), then
   :math:`g_{s,D}(T_\chi)\,\xi^3=r\,g_{*s}(T)` with the species dof of :mod:`jaxcogen.thermodynamics`
   (:math:`g_{s,D}=\tfrac78\,4f^F_s(m_\chi/T_\chi)+2f^B_s(m_\phi/T_\chi)+g_\eta`, :math:`g_\eta=\tfrac78\cdot2`
   Weyl or :math:`\tfrac78\cdot4` Dirac) — notes §4 "Dark radiation" **[D]**.
2. *χ–φ chemical equilibrium* through :math:`\phi\leftrightarrow\chi\bar\eta` (fast for any κ that
   depletes anything: :attr:`LateUniverse.phi_decay_over_hubble` reports :math:`\Gamma_\phi/H` at
   :math:`x_\chi=20`). Then χ and φ form one family (Griest & Seckel, PRD 43 (1991) 3191,
   coannihilation **[S]**): :math:`N_\pm=Y_{\chi/\bar\chi}+Y_{\phi/\phi^*}`, with
   :math:`Y_\phi/Y_\chi=R=Y_\phi^{\rm eq}/Y_\chi^{\rm eq}`, and every φ ends as a χ (or, if
   :math:`m_\phi<m_\chi`, every χ as a φ: the relic mass is :math:`\min(m_\chi,m_\phi)`).
3. *η asymmetry negligible* (:math:`|\mu_\eta|/T_\chi\sim\Delta Y/Y_\eta\ll1`) in the inverse decays.
4. Maxwell–Boltzmann number densities and the leading (s-/p-wave) :math:`\langle\sigma v\rangle`.

**Equation** (Iminniyaz, Drees & Chen, arXiv:1104.5548, with coannihilation and :math:`T_\chi`):
with :math:`\tau=\ln(T_{\rm start}/T)`, :math:`dt/d\tau=(1+\tfrac13d\ln g_{*s}/d\ln T)/H`,

.. math::
    \frac{dN_\pm}{d\tau}=-\frac{(1+\delta)\,s\,\sigma_{\rm eff}}{H}\big(N_+N_--N_{\rm eq}^2\big),\qquad
    \sigma_{\rm eff}=\frac{\langle\sigma v\rangle_\chi+R^2\langle\sigma v\rangle_\phi}{(1+R)^2},

:math:`N_{\rm eq}=Y^{\rm eq}_\chi+Y^{\rm eq}_\phi` at :math:`T_\chi`, :math:`H` from the SM and the dark
radiation. :math:`N_+-N_-=\Delta Y_\chi+\Delta Y_\phi=2\Delta Y_\chi^{\rm prod}` (the production stage
makes :math:`\Delta Y_\phi=\Delta Y_\chi`, notes §1.2) is conserved *exactly*: the ODE evolves only the
minority :math:`\ln N_{\rm min}`. The initial family yields are those of production
(:math:`Y_\chi+Y_{\bar\chi}=Y_\phi+Y_{\phi^*}=\Sigma Y_\chi`). The integration starts at
:math:`x_\chi=m/T_\chi=1` (or :math:`10^{-2}T_{\rm RH}` if that is colder — production is then
finished to :math:`\lesssim1\%`) and ends at :math:`x_\chi=10^6`, where the remaining depletion is
:math:`\sim x_f/x<10^{-4}`.

:math:`\Delta Y_B` needs nothing new: sphalerons freeze out at :math:`T_*=131.7` GeV
(:mod:`jaxcogen.production._solve`), afterwards :math:`n_B/s` is constant (no entropy flows between the sectors).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int

from jaxcogen import constants, thermodynamics

#: :math:`N_{\rm eff}` of the SM, 3.044 (Akita & Yamaguchi, arXiv:2005.07047; Bennett et al.,
#: arXiv:2012.02726) **[S]**.
N_eff_SM: float = 3.044
#: Planck 2018 (TT,TE,EE+lowE+lensing+BAO, arXiv:1807.06209 eq. 66): :math:`N_{\rm eff}=2.99^{+0.34}_{-0.33}`
#: at 95 %; the flag uses the 95 % upper edge 3.33 (notes §4: 2.99 ± 0.17) **[S]**.
N_eff_planck_95_upper: float = 2.99 + 0.34
#: The SM temperature at which :math:`\Delta N_{\rm eff}` is evaluated [GeV] (~ neutrino decoupling).
T_N_eff: float = 1e-3


def g_eta(eta: str) -> float:
    r"""Effective (entropy = energy) dof of the massless η: :math:`\tfrac78\cdot2` (Weyl) or :math:`\tfrac78\cdot4` (Dirac)."""
    return 7.0 / 8.0 * (2.0 if eta == "weyl" else 4.0)


# ---- cross sections and widths (notes §4, [D]; tests integrate the amplitudes numerically) ------


def sigma_v_chi(m_chi, m_phi, kappa, eta: str = "dirac") -> Float[Array, "..."]:
    r"""s-wave :math:`\langle\sigma v\rangle(\chi\bar\chi\to\eta\bar\eta)`, t-channel φ:

    :math:`\frac{\kappa^4m_\chi^2}{32\pi(m_\chi^2+m_\phi^2)^2}` for a chiral coupling to a Weyl η,
    4× that for the non-chiral coupling to a Dirac η (notes §4 [D]; :math:`\Sigma|\mathcal M|^2=
    c\,\kappa^4(m_\chi^2-t)^2/(t-m_\phi^2)^2`, :math:`c=1` or 4).
    """
    m_chi, m_phi, kappa = (jnp.asarray(v, dtype=jnp.float64) for v in (m_chi, m_phi, kappa))
    c = 1.0 if eta == "weyl" else 4.0
    return c * kappa**4 * m_chi**2 / (32.0 * jnp.pi * (m_chi**2 + m_phi**2) ** 2)


def sigma_v_phi(m_chi, m_phi, kappa, x_phi, eta: str = "dirac") -> Float[Array, "..."]:
    r""":math:`\langle\sigma v\rangle(\phi\phi^*\to\eta\bar\eta)`, t-channel χ, leading terms in :math:`1/x_\phi`.

    :math:`\Sigma|\mathcal M|^2=\kappa^4\,[c_p(tu-m_\phi^4)+c_s\,m_\chi^2s]/(t-m_\chi^2)^2` with
    :math:`(c_p,c_s)=(1,0)` (Weyl, chiral: helicity-suppressed, pure p-wave) or :math:`(2,2)` (Dirac).
    Hence :math:`\langle\sigma v\rangle=\frac{\kappa^4}{(m_\chi^2+m_\phi^2)^2}\big[\frac{c_s}{8\pi}m_\chi^2
    +\frac{c_p}{8\pi}\frac{m_\phi^2}{x_\phi}\big]` (MB :math:`\langle v_{\rm rel}^2\rangle=6/x_\phi`) [D].
    """
    c_p, c_s = (1.0, 0.0) if eta == "weyl" else (2.0, 2.0)
    D2 = (m_chi**2 + m_phi**2) ** 2
    return (
        kappa**4 / D2 * (c_s * m_chi**2 / (8.0 * jnp.pi) + c_p * m_phi**2 / (8.0 * jnp.pi * x_phi))
    )


def phi_decay_width(m_chi, m_phi, kappa, eta: str = "dirac") -> Float[Array, "..."]:
    r""":math:`\Gamma(\phi\to\chi\bar\eta)=c\,\frac{\kappa^2m_\phi}{16\pi}(1-m_\chi^2/m_\phi^2)^2`.

    :math:`c=1` (Weyl η) or 2 (Dirac η) [D]; 0 if :math:`m_\phi\le m_\chi`.
    """
    c = 1.0 if eta == "weyl" else 2.0
    r2 = jnp.minimum(m_chi**2 / m_phi**2, 1.0)
    return c * kappa**2 * m_phi / (16.0 * jnp.pi) * (1.0 - r2) ** 2


# ---- the dark bath ---------------------------------------------------------------------------------


def dark_dof(T_chi, m_chi, m_phi, eta: str = "dirac", quantity: str = "s") -> Float[Array, "..."]:
    r"""Dark-bath dof :math:`g_{s,D}` (``"s"``) or :math:`g_{\rho,D}` (``"rho"``) at :math:`T_\chi` (zero μ)."""
    f = thermodynamics.dof_fraction
    return (
        7.0 / 8.0 * 4.0 * f(m_chi / T_chi, quantity, True)
        + 2.0 * f(m_phi / T_chi, quantity, False)
        + g_eta(eta)
    )


def xi_from_entropy(T, entropy_ratio, m_chi, m_phi, eta: str = "dirac") -> Float[Array, ""]:
    r""":math:`\xi(T)` solving :math:`g_{s,D}(\xi T)\,\xi^3=r\,g_{*s}(T)` (separate entropy conservation).

    Bisection in :math:`\ln\xi` between the all-massless and the η-only bounds, then one Newton
    step with live gradients (implicit-function derivative, exact at the root).
    """
    T = jnp.asarray(T, dtype=jnp.float64)
    target = jnp.log(jnp.maximum(entropy_ratio, 1e-300) * thermodynamics.g_star_s(T))

    def F(y):
        return jnp.log(dark_dof(jnp.exp(y) * T, m_chi, m_phi, eta)) + 3.0 * y - target

    g_all = 7.0 / 8.0 * 4.0 + 2.0 + g_eta(eta)
    lo = jax.lax.stop_gradient((target - jnp.log(g_all * 1.01)) / 3.0)
    hi = jax.lax.stop_gradient((target - jnp.log(g_eta(eta) * 0.99)) / 3.0)

    def body(_, bounds):
        a, b = bounds
        mid = 0.5 * (a + b)
        neg = jax.lax.stop_gradient(F(mid)) < 0
        return jnp.where(neg, mid, a), jnp.where(neg, b, mid)

    a, b = jax.lax.fori_loop(0, 64, body, (lo, hi))
    y0 = jax.lax.stop_gradient(0.5 * (a + b))
    f0, df0 = jax.jvp(F, (y0,), (jnp.ones_like(y0),))
    return jnp.exp(y0 - f0 / jax.lax.stop_gradient(df0))


def delta_N_eff(xi, T_chi, m_chi, m_phi, eta: str = "dirac") -> Float[Array, ""]:
    r""":math:`\Delta N_{\rm eff}=\frac47\,g_{\rho,D}(T_\chi)\,\xi^4` at :math:`T\sim1` MeV, where :math:`T_\nu=T`
    (notes §4): η, plus χ and φ while relativistic (their equilibrium :math:`g_\rho` with masses)."""
    return 4.0 / 7.0 * dark_dof(T_chi, m_chi, m_phi, eta, "rho") * xi**4


# ---- results -----------------------------------------------------------------------------------------


class LateEvolution(eqx.Module):
    r"""The dark freeze-out on a grid: SM temperature, :math:`\xi`, :math:`x_\chi=m_\chi/T_\chi`, the
    family yields :math:`N_\pm` and the equilibrium :math:`N_{\rm eq}`."""

    T: Float[Array, " n"]
    xi: Float[Array, " n"]
    x_chi: Float[Array, " n"]
    Y_majority: Float[Array, " n"]
    Y_minority: Float[Array, " n"]
    Y_eq: Float[Array, " n"]


class LateUniverse(eqx.Module):
    r"""Today's observables (:func:`late_universe`).

    Attributes:
        Omega_chi_h2: :math:`\Omega_{\rm DM}h^2` today after depletion and φ decays.
        Omega_asymmetric_h2, Omega_symmetric_h2: its asymmetric and symmetric parts.
        asymmetric_fraction: :math:`|\Delta Y|/(Y_\chi+Y_{\bar\chi})` today.
        Y_chi, Y_chibar: relic yields today (χ family after φ decays).
        DeltaY_chi_today: :math:`Y_\chi-Y_{\bar\chi}` today :math:`=\Delta Y_\chi+\Delta Y_\phi`.
        DeltaY_B: baryon asymmetry today (= its value at sphaleron freeze-out).
        xi_N_eff: :math:`T_D/T` at :math:`T=1` MeV; Delta_N_eff, N_eff: dark radiation there and
            :math:`3.044+\Delta N_{\rm eff}`; N_eff_ok: ``N_eff`` below Planck's 95 % bound 3.33.
        m_relic: mass of the relic particle, :math:`\min(m_\chi,m_\phi)` [GeV]; chi_is_relic:
            :math:`m_\phi>m_\chi` (χ the stable DM, as the talk assumes).
        phi_decay_over_hubble: :math:`\Gamma(\phi\to\chi\bar\eta)/H` at :math:`x_\chi=20`; assumption 2
            of the module holds when this is ≫ 1.
        x_chi_start: :math:`m_\chi/T_\chi` where the freeze-out integration started (≈1, larger
            only if production ends colder).
        T_start, T_stop: the integration range [GeV].
        status: 0 on success, 1 if the integration produced a non-finite number (observables NaN).
        num_steps: BDF2 steps (fixed).
        evolution: :class:`LateEvolution`.
    """

    Omega_chi_h2: Float[Array, ""]
    Omega_asymmetric_h2: Float[Array, ""]
    Omega_symmetric_h2: Float[Array, ""]
    asymmetric_fraction: Float[Array, ""]
    Y_chi: Float[Array, ""]
    Y_chibar: Float[Array, ""]
    DeltaY_chi_today: Float[Array, ""]
    DeltaY_B: Float[Array, ""]
    xi_N_eff: Float[Array, ""]
    Delta_N_eff: Float[Array, ""]
    N_eff: Float[Array, ""]
    N_eff_ok: Bool[Array, ""]
    m_relic: Float[Array, ""]
    chi_is_relic: Bool[Array, ""]
    phi_decay_over_hubble: Float[Array, ""]
    x_chi_start: Float[Array, ""]
    T_start: Float[Array, ""]
    T_stop: Float[Array, ""]
    status: Int[Array, ""]
    num_steps: Int[Array, ""]
    evolution: LateEvolution


class _Background(eqx.Module):
    """Everything the freeze-out RHS needs at SM temperature T (traced parameters)."""

    entropy_ratio: Float[Array, ""]
    m_chi: Float[Array, ""]
    m_phi: Float[Array, ""]
    kappa: Float[Array, ""]
    eta: str = eqx.field(static=True)

    def at(self, T):
        xi = xi_from_entropy(T, self.entropy_ratio, self.m_chi, self.m_phi, self.eta)
        T_chi = xi * T
        gs = thermodynamics.g_star_s(T)
        s = 2.0 * jnp.pi**2 / 45.0 * gs * T**3
        g_rad = (
            thermodynamics.g_star(T)
            + dark_dof(T_chi, self.m_chi, self.m_phi, self.eta, "rho") * xi**4
        )
        H = constants.hubble_coefficient * jnp.sqrt(g_rad) * T**2 / constants.m_Pl
        delta = thermodynamics.dlng_star_s_dlnT(T) / 3.0
        z_chi, z_phi = self.m_chi / T_chi, self.m_phi / T_chi
        base = 3.0 * jnp.log(T_chi) - jnp.log(2.0 * jnp.pi**2 * s)
        lnY_chi = jnp.log(2.0) + thermodynamics.log_z2_K2(z_chi) + base
        lnY_phi = thermodynamics.log_z2_K2(z_phi) + base
        lnN_eq = jnp.logaddexp(lnY_chi, lnY_phi)
        w_chi = jax.nn.sigmoid(lnY_chi - lnY_phi)
        w_phi = jax.nn.sigmoid(lnY_phi - lnY_chi)
        sv = sigma_v_chi(self.m_chi, self.m_phi, self.kappa, self.eta) * w_chi**2
        sv = sv + sigma_v_phi(self.m_chi, self.m_phi, self.kappa, z_phi, self.eta) * w_phi**2
        rate = (1.0 + delta) * s * sv / H
        return dict(xi=xi, T_chi=T_chi, H=H, s=s, lnN_eq=lnN_eq, rate=rate)


def late_universe_from_yields(
    *,
    DeltaY_chi,
    SigmaY_chi,
    xi_end,
    DeltaY_B,
    m_chi,
    m_phi,
    kappa,
    T_RH,
    g_dark: float = 9.0,
    eta: str = "dirac",
    g_star_s_production: float = constants.g_star_SM,
    x_start: float = 1.0,
    x_stop: float = 1e6,
    n_steps: int = 4000,
    n_save: int = 100,
) -> LateUniverse:
    r"""The late-universe stage from production-stage numbers (see :func:`late_universe`)."""
    f64 = lambda v: jnp.asarray(v, dtype=jnp.float64)  # noqa: E731
    DeltaY_chi, SigmaY_chi, xi_end, DeltaY_B = map(f64, (DeltaY_chi, SigmaY_chi, xi_end, DeltaY_B))
    m_chi, m_phi, kappa, T_RH = map(f64, (m_chi, m_phi, kappa, T_RH))
    entropy_ratio = g_dark * xi_end**3 / g_star_s_production
    bg = _Background(entropy_ratio, m_chi, m_phi, kappa, eta)
    m_light = jnp.minimum(m_chi, m_phi)

    # start at x = m_light/T_chi = x_start (xi estimated with the massless dark bath), but not
    # hotter than 1e-2 T_RH; stop at x_stop.
    xi_rel = xi_end * (g_dark / dark_dof(jnp.asarray(1e300), 0.0, 0.0, eta)) ** (1.0 / 3.0)
    T_start = jnp.minimum(m_light / (x_start * xi_rel), 1e-2 * T_RH)
    T_stop = m_light / (x_stop * xi_end)
    tau_end = jnp.log(T_start / T_stop)

    Delta = jnp.abs(2.0 * DeltaY_chi)  # N_+ - N_- : Delta Y_chi + Delta Y_phi
    N_tot0 = 2.0 * SigmaY_chi  # chi family: Y_chi + Y_chibar + Y_phi + Y_phi*
    # start from the frozen-in count; if annihilation is faster than expansion there, the first
    # (L-stable) steps take the bath to chemical equilibrium, as the Boltzmann equation says.
    N_min0 = jnp.maximum(0.5 * (N_tot0 - Delta), 1e-20 * N_tot0 + 1e-300)

    # BDF2 on a uniform tau grid (first step backward Euler). The implicit equation of each
    # step is a quadratic in N_min with a positive root, solved in closed form: unconditionally
    # (L-)stable at any annihilation rate, jittable, and differentiable through lax.scan.
    if n_steps < 4 or n_steps % 2:
        raise ValueError(f"n_steps={n_steps!r}: must be an even integer >= 4")
    h = tau_end / n_steps
    taus = jnp.arange(1, n_steps + 1) * h
    path_bg = jax.vmap(lambda t: bg.at(T_start * jnp.exp(-t)))(taus)
    hk = h * path_bg["rate"]
    Neq2 = jnp.exp(2.0 * path_bg["lnN_eq"])

    def positive_root(a, b, c):
        return 2.0 * c / (b + jnp.sqrt(b * b + 4.0 * a * c))

    def step(carry, inputs):
        N_n, N_nm1, first = carry
        hk_i, Neq2_i = inputs
        N_be = positive_root(hk_i, 1.0 + hk_i * Delta, N_n + hk_i * Neq2_i)
        a2 = 2.0 / 3.0 * hk_i
        c2 = (4.0 * N_n - N_nm1) / 3.0 + a2 * Neq2_i
        N_bdf = positive_root(a2, 1.0 + a2 * Delta, jnp.maximum(c2, 0.0))
        N_new = jnp.where(first | (c2 <= 0.0), N_be, N_bdf)
        return (N_new, N_n, jnp.asarray(False)), N_new

    init = (N_min0, N_min0, jnp.asarray(True))
    _, N_path = jax.lax.scan(step, init, (hk, Neq2))
    # Richardson extrapolation against the half-resolution run on every second node (BDF2 is
    # second order): removes the leading O(h^2) error (~1e-4 at 4000 steps -> ~1e-6).
    _, N_half = jax.lax.scan(step, init, (2.0 * hk[1::2], Neq2[1::2]))
    N_end = (4.0 * N_path[-1] - N_half[-1]) / 3.0
    N_end = jnp.where(N_end > 0.0, N_end, N_path[-1])
    ok = jnp.all(jnp.isfinite(N_path)) & jnp.isfinite(tau_end) & (tau_end > 0)
    nan_if_bad = lambda v: jnp.where(ok, v, jnp.nan)  # noqa: E731
    N_min = nan_if_bad(N_end)
    N_maj = N_min + Delta
    Y_tot = N_maj + N_min
    positive = DeltaY_chi >= 0
    Y_chi = jnp.where(positive, N_maj, N_min)
    Y_chibar = jnp.where(positive, N_min, N_maj)
    Omega = constants.omega_h2_per_GeV_yield * m_light * Y_tot
    Omega_asym = constants.omega_h2_per_GeV_yield * m_light * Delta

    # dark radiation at T ~ 1 MeV
    xi_N = xi_from_entropy(T_N_eff, entropy_ratio, m_chi, m_phi, eta)
    dN = delta_N_eff(xi_N, xi_N * T_N_eff, m_chi, m_phi, eta)
    N_eff = N_eff_SM + dN

    # diagnostic: phi <-> chi eta-bar equilibrium at x_chi = 20
    T20 = m_chi / (20.0 * xi_end)
    b20 = bg.at(T20)
    gamma_over_H = phi_decay_width(m_chi, m_phi, kappa, eta) / b20["H"]

    idx = jnp.round(jnp.linspace(0.0, n_steps - 1.0, n_save)).astype(jnp.int32)
    Ts = T_start * jnp.exp(-taus[idx])
    N_min_path = N_path[idx]
    return LateUniverse(
        Omega_chi_h2=Omega,
        Omega_asymmetric_h2=nan_if_bad(Omega_asym),
        Omega_symmetric_h2=Omega - Omega_asym,
        asymmetric_fraction=Delta / Y_tot,
        Y_chi=Y_chi,
        Y_chibar=Y_chibar,
        DeltaY_chi_today=nan_if_bad(2.0 * DeltaY_chi),
        DeltaY_B=DeltaY_B,
        xi_N_eff=xi_N,
        Delta_N_eff=dN,
        N_eff=N_eff,
        N_eff_ok=N_eff <= N_eff_planck_95_upper,
        m_relic=m_light,
        chi_is_relic=m_phi > m_chi,
        phi_decay_over_hubble=gamma_over_H,
        x_chi_start=m_chi / (xi_from_entropy(T_start, entropy_ratio, m_chi, m_phi, eta) * T_start),
        T_start=T_start,
        T_stop=T_stop,
        status=jnp.where(ok, 0, 1).astype(jnp.int32),
        num_steps=jnp.asarray(n_steps, dtype=jnp.int32),
        evolution=LateEvolution(
            T=Ts,
            xi=path_bg["xi"][idx],
            x_chi=m_chi / path_bg["T_chi"][idx],
            Y_majority=N_min_path + Delta,
            Y_minority=N_min_path,
            Y_eq=jnp.exp(path_bg["lnN_eq"][idx]),
        ),
    )


def late_universe(solution, model, **settings) -> LateUniverse:
    r"""Carry a production-stage :class:`~jaxcogen.Solution` of ``model`` to today.

    Uses ``solution.DeltaY_chi``, ``SigmaY_chi``, ``xi_final`` (end of production) and
    ``DeltaY_B`` (at sphaleron freeze-out), and the model's :math:`m_\chi`, :math:`m_\phi`,
    :math:`\kappa`, :math:`T_{\rm RH}` and conventions (``eta``, ``g_dark``). Keyword settings:
    ``x_start`` (1), ``x_stop`` (1e6), ``n_steps`` (4000, the BDF2 grid; static), ``n_save``
    (100, static). Jittable and differentiable; the conventions are static.
    """
    conv = model.conventions
    return late_universe_from_yields(
        DeltaY_chi=solution.DeltaY_chi,
        SigmaY_chi=solution.SigmaY_chi,
        xi_end=solution.xi_final,
        DeltaY_B=solution.DeltaY_B,
        m_chi=model.m_chi,
        m_phi=model.m_phi,
        kappa=model.kappa,
        T_RH=model.T_RH,
        g_dark=conv.g_dark,
        eta=conv.eta,
        g_star_s_production=thermodynamics.g_star_s(solution.T_end),
        **settings,
    )
