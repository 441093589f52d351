r"""Thermal reaction densities and energy-transfer rates of :math:`2\to2` processes by fixed-node quadrature.

For :math:`a+b\to c+d` with phase-space distributions :math:`f_X(E)=1/(e^{E/T_X-\hat\mu_X}+\eta_X)`
(:math:`\eta=1` Fermi–Dirac, :math:`-1` Bose–Einstein, 0 Maxwell–Boltzmann) and final-state factors
:math:`1-\eta_Xf_X` (Pauli blocking / Bose enhancement), the plasma-frame reaction density and
energy-transfer rate are (Kolb & Turner ch. 5; Gondolo & Gelfini, NPB 360 (1991) 145, for the MB case)

.. math::
    \gamma=S\!\int\!d\Pi_ad\Pi_bd\Pi_cd\Pi_d\,(2\pi)^4\delta^4(p_a+p_b-p_c-p_d)\,
    \sum|\mathcal M|^2 f_af_b(1-\eta_cf_c)(1-\eta_df_d),\qquad
    C_E=\gamma\big|_{\,\times(E_a+E_b)},

with :math:`d\Pi=d^3p/(2\pi)^32E` and :math:`S` the identical-particle factor. With the pair
variables :math:`s`, :math:`E_+=E_a+E_b`, the CM angle :math:`\theta_a` of :math:`a` and
:math:`\Omega_c` of :math:`c` (both relative to :math:`\vec P=\vec p_a+\vec p_b`),
:math:`d\Pi_ad\Pi_b=|\vec P|p_i^*\,ds\,dE_+\,d\!\cos\theta_a/(64\pi^4\sqrt s)` and the final
two-body phase space is :math:`p_f^*d\Omega_c/(16\pi^2\sqrt s)`. Expanding
:math:`\sum|\mathcal M|^2=\sum_\ell k_\ell(s)P_\ell(\cos\theta_{ac})` and using the addition theorem
to do the relative azimuth exactly [D]:

.. math::
    \gamma=S\!\int_{s_{\min}}^\infty\!ds\,\frac{p_i^*p_f^*}{512\pi^5s}\sum_\ell k_\ell(s)\,\Theta_\ell(s),\qquad
    \Theta_\ell=\int_{\sqrt s}^\infty\!dE_+|\vec P|\,w(E_+)\,I_\ell\,F_\ell,

:math:`I_\ell=\int_{-1}^1d\!\cos\theta_a\,P_\ell f_af_b`, :math:`F_\ell=\int_{-1}^1d\!\cos\theta_c\,P_\ell
(1-\eta_cf_c)(1-\eta_df_d)`, :math:`w=1` (number), :math:`E_+` (plasma-frame energy) or
:math:`\sqrt s` (the talk's CM-energy reading). Each initial and final particle has its own
temperature, chemical potential, mass and statistics, so forward (SM :math:`\to` dark) and inverse
rates use the same code with the roles swapped; at equal temperatures and zero chemical potentials
they agree node by node (:math:`f_af_b(1-\eta_cf_c)(1-\eta_df_d)=f_cf_d(1-\eta_af_a)(1-\eta_bf_b)`).

Maxwell–Boltzmann initial states without final-state factors reduce analytically (exact, [D]):
with :math:`A=(E_a^*/T_a+E_b^*/T_b)/\sqrt s`, :math:`B=p_i^*(1/T_a-1/T_b)/\sqrt s`,
:math:`\kappa=\sqrt{A^2-B^2}`,

.. math::
    \Theta_0=\frac{4\sqrt s\,K_1(\sqrt s\kappa)}{\kappa}e^{\hat\mu_a+\hat\mu_b},\qquad
    \Theta_0^{(E_+)}=\frac{4sA\,K_2(\sqrt s\kappa)}{\kappa^2}e^{\hat\mu_a+\hat\mu_b},

which for :math:`T_a=T_b=T` gives the textbook :math:`\gamma=\frac{T}{32\pi^4}\int ds\,p_i^*\hat\sigma
K_1(\sqrt s/T)` and for massless states at two temperatures the effective temperature
:math:`\sqrt{T_aT_b}` (so :math:`\gamma\propto T^3T_\chi^3` for :math:`\hat\sigma\propto s`, crosscheck item 4(a)).

Exact propagators (``propagator="full"``) put double poles at :math:`s=M_i^2` in the
:math:`s`-channel processes. Scheme (narrow-width RIS subtraction, [D]): the Breit–Wigner factor
satisfies exactly :math:`|D|^2={\rm Re}(D^2)+2({\rm Im}D)^2` with :math:`D=1/(x+iM\Gamma)`,
:math:`x=s-M^2`; the second term tends to :math:`\frac{\pi}{M\Gamma}\delta(x)`, the on-shell
(real-intermediate-state) contribution, which is removed (it belongs to inverse decays and decays
of a dynamical :math:`N`), and the first tends to the Hadamard finite part of :math:`1/x^2`; the
interference terms tend to principal values. The off-shell rate kept here is therefore the
:math:`\Gamma\to0` limit, with :math:`O(\Gamma/M)` corrections dropped. Numerically, around each pole
a window :math:`|x|<h` is integrated with symmetric pairs,

.. math:: {\rm FP}\!\int_{-h}^{h}\!F\,dx=\int_0^h\Big[F(x)+F(-x)-\frac{2A}{x^2}\Big]dx-\frac{2A}{h},
    \qquad A=\lim_{x\to0}x^2F,

(the :math:`1/x` parts cancel pairwise), :math:`A` being evaluated from the residue of the
propagator (:class:`~jaxcogen.rates.collisions._amplitudes.Propagator` mode ``"residue"``);
:func:`onshell_rate` returns the removed part :math:`\sum_i\frac{\pi}{M_i\Gamma_i}A_i` as a diagnostic.
"""

from typing import Literal

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from jaxcogen._special import bessel_k012e
from jaxcogen.rates.collisions._amplitudes import AbstractProcess, PortalCouplings, Propagator
from jaxcogen.rates.collisions._kinematics import (
    cm_energy,
    cm_momentum,
    lab_energies,
    mandelstam_tu,
)
from jaxcogen.rates.collisions._quadrature import (
    QuadratureSettings,
    gauss_laguerre_scaled,
    gauss_legendre,
    gauss_legendre_symmetric,
    legendre_table,
)

Statistics = Literal["MB", "FD", "BE"]
Weight = Literal["number", "energy", "cm_energy"]
PropagatorChoice = Literal["eft", "full"]

_ETA = {"MB": 0.0, "FD": 1.0, "BE": -1.0}
_REGULATOR = 1e-2  # smoothing width of poles beyond the thermal range, in units of M^2


class Participant(eqx.Module):
    r"""One external particle of a thermal average.

    Attributes:
        temperature: temperature of its bath [GeV].
        mass: mass [GeV].
        mu_hat: :math:`\hat\mu=\mu/T` (linear response: differentiate at 0).
        statistics: ``"MB"``, ``"FD"`` or ``"BE"`` (static).
    """

    temperature: Float[ArrayLike, ""]
    mass: Float[ArrayLike, ""]
    mu_hat: Float[ArrayLike, ""]
    statistics: Statistics = eqx.field(static=True)

    def __init__(self, temperature, mass=0.0, mu_hat=0.0, statistics: Statistics = "MB"):
        if statistics not in _ETA:
            raise ValueError(f"statistics={statistics!r}: allowed values are {tuple(_ETA)}")
        self.temperature = jnp.asarray(temperature, dtype=jnp.float64)
        self.mass = jnp.asarray(mass, dtype=jnp.float64)
        self.mu_hat = jnp.asarray(mu_hat, dtype=jnp.float64)
        self.statistics = statistics


def occupation(energy, p: Participant):
    r""":math:`f(E)=1/(e^{E/T-\hat\mu}+\eta)`, written with :math:`e^{-x}` only (no overflow, no
    NaN derivatives deep in the Boltzmann tail)."""
    x = energy / p.temperature - p.mu_hat
    if p.statistics == "MB":
        return jnp.exp(-x)
    if p.statistics == "FD":
        return jax.nn.sigmoid(-x)
    return jnp.exp(-x) / (-jnp.expm1(-x))


def final_state_factor(energy, p: Participant):
    r""":math:`1-\eta f`: Pauli blocking (FD), Bose enhancement (BE), 1 (MB)."""
    x = energy / p.temperature - p.mu_hat
    if p.statistics == "MB":
        return jnp.ones_like(x)
    if p.statistics == "FD":
        return jax.nn.sigmoid(x)
    return -1.0 / jnp.expm1(-x)


def _is_mb_fast(initial, final, final_factors: bool) -> bool:
    init_mb = all(p.statistics == "MB" for p in initial)
    fin_mb = (not final_factors) or all(p.statistics == "MB" for p in final)
    return init_mb and fin_mb


def thermal_kernel(
    s: Float[Array, " n"],
    initial: tuple[Participant, Participant],
    final: tuple[Participant, Participant],
    l_max: int,
    weight: Weight = "number",
    final_factors: bool = True,
    settings: QuadratureSettings | None = None,
) -> Float[Array, "n l"]:
    r""":math:`\Theta_\ell(s)`, :math:`\ell=0..l_{\max}` (module docstring), at the given invariant masses.

    Returns shape ``(n, l_max + 1)``, or ``(n, 1)`` on the Maxwell–Boltzmann fast path (where
    :math:`\Theta_{\ell>0}=0`).
    """
    settings = QuadratureSettings() if settings is None else settings
    a, b = initial
    c, d = final
    rs = jnp.sqrt(s)
    p_i = cm_momentum(s, a.mass, b.mass)
    e_a = cm_energy(s, a.mass, b.mass)
    e_b = cm_energy(s, b.mass, a.mass)
    if _is_mb_fast(initial, final, final_factors):
        inv_a, inv_b = 1.0 / a.temperature, 1.0 / b.temperature
        # A -+ B without cancellation: E* - p* = m^2/(E* + p*)
        dm_a = a.mass**2 / (e_a + p_i)
        dm_b = b.mass**2 / (e_b + p_i)
        a_minus_b = (dm_a * inv_a + (e_b + p_i) * inv_b) / rs
        a_plus_b = ((e_a + p_i) * inv_a + dm_b * inv_b) / rs
        kappa = jnp.sqrt(a_minus_b * a_plus_b)
        big_a = 0.5 * (a_minus_b + a_plus_b)
        z = rs * kappa
        _, k1e, k2e = bessel_k012e(z)
        boltz = jnp.exp(-z + a.mu_hat + b.mu_hat)
        if weight == "energy":
            theta = 4.0 * s * big_a * k2e * boltz / kappa**2
        else:
            theta = 4.0 * rs * k1e * boltz / kappa
            if weight == "cm_energy":
                theta = theta * rs
        return theta[:, None]

    t_e = jnp.maximum(a.temperature, b.temperature)
    v, wv = gauss_legendre(settings.n_energy)
    v = jnp.asarray(v * settings.energy_vmax)
    wv = jnp.asarray(wv * settings.energy_vmax)
    y = t_e * v**2  # E_+ - sqrt(s)
    dE = wv * 2.0 * t_e * v
    e_plus = rs[:, None] + y[None, :]
    p_pair = jnp.sqrt(y[None, :] * (y[None, :] + 2.0 * rs[:, None]))
    x, omx, opx, wc = settings.angle_rule()
    w_leg = jnp.asarray(wc[:, None] * legendre_table(x, l_max))  # (C, L)
    omx = jnp.asarray(omx)[None, None, :]
    opx = jnp.asarray(opx)[None, None, :]

    s3 = s[:, None, None]
    ep3 = e_plus[:, :, None]
    pp3 = p_pair[:, :, None]
    ea, eb = lab_energies(
        s3, ep3, pp3, (e_a[:, None, None], e_b[:, None, None]), p_i[:, None, None], omx, opx
    )
    initial_weight = occupation(ea, a) * occupation(eb, b)
    i_ell = jnp.einsum("sec,cl->sel", initial_weight, w_leg)

    if final_factors and not all(p.statistics == "MB" for p in final):
        p_f = cm_momentum(s, c.mass, d.mass)
        e_c = cm_energy(s, c.mass, d.mass)
        e_d = cm_energy(s, d.mass, c.mass)
        ec, ed = lab_energies(
            s3, ep3, pp3, (e_c[:, None, None], e_d[:, None, None]), p_f[:, None, None], omx, opx
        )
        blocking = final_state_factor(ec, c) * final_state_factor(ed, d)
        f_ell = jnp.einsum("sec,cl->sel", blocking, w_leg)
    else:
        f_ell = jnp.zeros((1, 1, l_max + 1)).at[0, 0, 0].set(2.0)

    if weight == "energy":
        w_e = e_plus
    elif weight == "cm_energy":
        w_e = jnp.broadcast_to(rs[:, None], e_plus.shape)
    else:
        w_e = jnp.ones_like(e_plus)
    return jnp.einsum("e,se,sel->sl", dE, p_pair * w_e, i_ell * f_ell)


def legendre_coefficients(
    process: AbstractProcess,
    couplings: PortalCouplings,
    prop: Propagator,
    s: Float[Array, " n"],
    masses: tuple,
    l_max: int,
    n_nodes: int,
) -> Float[Array, "n l"]:
    r""":math:`k_\ell(s)=\frac{2\ell+1}2\int_{-1}^1|\mathcal M|^2(s,x)P_\ell(x)\,dx` by Gauss–Legendre,
    :math:`x=\cos\theta_{ac}` (exact for polynomial amplitudes when ``n_nodes`` exceeds their degree)."""
    x, w = gauss_legendre_symmetric(n_nodes)
    proj = jnp.asarray(
        w[:, None] * legendre_table(x, l_max) * (2.0 * np.arange(l_max + 1) + 1.0) / 2.0
    )
    m_a, m_b, m_c, m_d = masses
    t, u = mandelstam_tu(s[:, None], jnp.asarray(x)[None, :], m_a, m_b, m_c, m_d)
    m2 = process.squared_amplitude(s[:, None], t, u, couplings, prop)
    return m2 @ proj


def _measure(s, masses):
    m_a, m_b, m_c, m_d = masses
    return cm_momentum(s, m_a, m_b) * cm_momentum(s, m_c, m_d) / (512.0 * jnp.pi**5 * s)


def _simple_s_rule(s_min, t_ref, settings: QuadratureSettings):
    r"""Nodes/weights in :math:`s` for :math:`\int_{s_{\min}}^\infty ds`: :math:`w=w_0r^2` plus Laguerre."""
    r, wr = gauss_legendre(settings.n_s_low)
    w0 = settings.w_split
    w_soft = w0 * r**2
    dw_soft = wr * 2.0 * w0 * r
    xl, wl = gauss_laguerre_scaled(settings.n_s_tail)
    w_nodes = jnp.asarray(np.concatenate([w_soft, w0 + xl]))
    dw = jnp.asarray(np.concatenate([dw_soft, wl]))
    s = s_min + (t_ref * w_nodes) ** 2
    return s, dw * 2.0 * t_ref**2 * w_nodes


def _gl_segment(w_lo, w_hi, n):
    x, wx = gauss_legendre(n)
    w = w_lo + (w_hi - w_lo) * jnp.asarray(x)
    return w, (w_hi - w_lo) * jnp.asarray(wx)


class _PoleRule(eqx.Module):
    """The segmented ``s`` rule around the two heavy-neutrino poles (see :func:`thermal_rate`)."""

    s: Float[Array, " n"]
    weight: Float[Array, " n"]
    regulator: Float[Array, "2"]
    centre_weight: Float[Array, "2"]


def _pole_s_rule(s_min, t_ref, masses, settings: QuadratureSettings) -> _PoleRule:
    m_lo, m_hi = jnp.min(masses), jnp.max(masses)
    lo_first = masses[0] <= masses[1]
    sq_lo, sq_hi = m_lo**2, m_hi**2
    delta = jnp.minimum(settings.window_fraction, 0.9 * (sq_hi - sq_lo) / (sq_hi + sq_lo))

    def w_of(sv):
        return jnp.sqrt(jnp.maximum(sv - s_min, 0.0)) / t_ref

    act1 = w_of(sq_lo * (1 + delta)) < settings.pole_cutoff
    act2 = w_of(sq_hi * (1 + delta)) < settings.pole_cutoff
    b0 = jnp.minimum(settings.w_split, w_of(sq_lo * (1 - delta)))
    a1 = jnp.where(act1, w_of(sq_lo * (1 - delta)), b0)
    b1 = jnp.where(act1, w_of(sq_lo * (1 + delta)), b0)
    a2 = jnp.where(act2, w_of(sq_hi * (1 - delta)), b1)
    b2 = jnp.where(act2, w_of(sq_hi * (1 + delta)), b1)

    r, wr = gauss_legendre(settings.n_s_low)
    w_soft = b0 * jnp.asarray(r**2)
    dw_soft = jnp.asarray(wr * 2.0 * r) * b0
    w1, dw1 = _gl_segment(b0, a1, settings.n_segment)
    w2, dw2 = _gl_segment(b1, a2, settings.n_segment)
    xl, wl = gauss_laguerre_scaled(settings.n_s_tail)
    w3 = b2 + jnp.asarray(xl)
    dw3 = jnp.asarray(wl)
    w_all = jnp.concatenate([w_soft, w1, w2, w3])
    s_w = s_min + (t_ref * w_all) ** 2
    ds_w = jnp.concatenate([dw_soft, dw1, dw2, dw3]) * 2.0 * t_ref**2 * w_all

    rp, wp = gauss_legendre(settings.n_window)
    rp, wp = jnp.asarray(rp), jnp.asarray(wp)
    h1 = jnp.where(act1, delta * sq_lo, 0.0)
    h2 = jnp.where(act2, delta * sq_hi, 0.0)
    s_win = jnp.concatenate([sq_lo + h1 * rp, sq_lo - h1 * rp, sq_hi + h2 * rp, sq_hi - h2 * rp])
    ds_win = jnp.concatenate([h1 * wp, h1 * wp, h2 * wp, h2 * wp])
    inv_r2 = float(
        np.sum(gauss_legendre(settings.n_window)[1] / gauss_legendre(settings.n_window)[0] ** 2)
    )

    def corr(act, h):
        h_safe = jnp.where(act, h, 1.0)
        return jnp.where(act, -(2.0 / h_safe) * (1.0 + inv_r2), 0.0)

    c_lo, c_hi = corr(act1, h1), corr(act2, h2)
    centre_weight = jnp.where(lo_first, jnp.stack([c_lo, c_hi]), jnp.stack([c_hi, c_lo]))
    active = jnp.where(lo_first, jnp.stack([act1, act2]), jnp.stack([act2, act1]))
    regulator = jnp.where(active, 0.0, _REGULATOR * masses**2)
    return _PoleRule(
        s=jnp.concatenate([s_w, s_win]),
        weight=jnp.concatenate([ds_w, ds_win]),
        regulator=regulator,
        centre_weight=centre_weight,
    )


def _setup(process, initial, final, propagator, settings):
    a, b = initial
    c, d = final
    masses = (a.mass, b.mass, c.mass, d.mass)
    s_min = jnp.maximum((a.mass + b.mass) ** 2, (c.mass + d.mass) ** 2)
    t_ref = jnp.sqrt(a.temperature * b.temperature)
    l_max = process.l_max(propagator, settings.l_max_full)
    crossed = propagator == "full" and process.has_crossed_channel
    n_x = settings.n_projection if crossed else process.eft_degree + 1
    return masses, s_min, t_ref, l_max, n_x


def _integrand(process, couplings, prop, s, theta, masses, l_max, n_x):
    ell = min(l_max, theta.shape[-1] - 1)
    k = legendre_coefficients(process, couplings, prop, s, masses, ell, max(n_x, ell + 1))
    return _measure(s, masses) * jnp.sum(k * theta[:, : ell + 1], axis=-1)


def thermal_rate(
    process: AbstractProcess,
    couplings: PortalCouplings,
    initial: tuple[Participant, Participant],
    final: tuple[Participant, Participant],
    *,
    propagator: PropagatorChoice = "eft",
    weight: Weight = "number",
    final_factors: bool = True,
    settings: QuadratureSettings | None = None,
) -> Float[ArrayLike, ""]:
    r"""Reaction density :math:`\gamma` [GeV^4] (``weight="number"``) or energy-transfer rate
    :math:`C_E` [GeV^5] (``"energy"``: plasma frame; ``"cm_energy"``: :math:`\sqrt s` weighting) of
    ``process`` with the given initial and final participants (module docstring).

    The amplitude's invariants are :math:`t=(p_{\rm init,1}-p_{\rm fin,1})^2`,
    :math:`u=(p_{\rm init,1}-p_{\rm fin,2})^2`, so the inverse reaction is obtained by swapping
    ``initial`` and ``final`` (and the process formula is unchanged). For ``propagator="full"`` and
    an :math:`s`-channel process the on-shell part is removed (module docstring); the heavy
    neutrinos must not be degenerate (windows need :math:`(M_2^2-M_1^2)/(M_1^2+M_2^2)\gtrsim10^{-2}`).
    """
    settings = QuadratureSettings() if settings is None else settings
    masses, s_min, t_ref, l_max, n_x = _setup(process, initial, final, propagator, settings)
    if propagator == "full" and process.s_channel is not None:
        rule = _pole_s_rule(s_min, t_ref, couplings.masses, settings)
        centres = couplings.masses**2
        theta = thermal_kernel(
            jnp.concatenate([rule.s, centres]),
            initial,
            final,
            l_max,
            weight,
            final_factors,
            settings,
        )
        n = rule.s.shape[0]
        prop = Propagator(couplings.masses, rule.regulator, "full")
        main = _integrand(process, couplings, prop, rule.s, theta[:n], masses, l_max, n_x)
        total = jnp.sum(rule.weight * main)
        for i in range(2):
            res = Propagator(couplings.masses, rule.regulator, "residue", pole=i)
            a_i = _integrand(
                process,
                couplings,
                res,
                centres[i : i + 1],
                theta[n + i : n + i + 1],
                masses,
                l_max,
                n_x,
            )[0]
            total = total + rule.centre_weight[i] * a_i
        return process.symmetry * total
    s, ws = _simple_s_rule(s_min, t_ref, settings)
    theta = thermal_kernel(s, initial, final, l_max, weight, final_factors, settings)
    prop = Propagator(couplings.masses, jnp.zeros(2), propagator)
    return process.symmetry * jnp.sum(
        ws * _integrand(process, couplings, prop, s, theta, masses, l_max, n_x)
    )


def onshell_rate(
    process: AbstractProcess,
    couplings: PortalCouplings,
    initial: tuple[Participant, Participant],
    final: tuple[Participant, Participant],
    *,
    weight: Weight = "number",
    final_factors: bool = True,
    settings: QuadratureSettings | None = None,
) -> Float[ArrayLike, ""]:
    r"""The real-intermediate-state part :math:`\sum_i\frac{\pi}{M_i\Gamma_i}A_i` removed by the RIS
    subtraction of an :math:`s`-channel process: the rate of :math:`a+b\to N_i\to c+d` with on-shell
    :math:`N_i` in the narrow-width limit (inverse-decay density times branching ratio). Zero for
    processes without an :math:`s`-channel line."""
    settings = QuadratureSettings() if settings is None else settings
    if process.s_channel is None:
        return jnp.zeros(())
    masses, s_min, t_ref, l_max, n_x = _setup(process, initial, final, "full", settings)
    centres = couplings.masses**2
    theta = thermal_kernel(centres, initial, final, l_max, weight, final_factors, settings)
    total = jnp.zeros(())
    for i in range(2):
        res = Propagator(couplings.masses, jnp.zeros(2), "residue", pole=i)
        a_i = _integrand(
            process, couplings, res, centres[i : i + 1], theta[i : i + 1], masses, l_max, n_x
        )[0]
        width = couplings.widths[i]
        has_width = width > 0
        inverse = jnp.pi / (couplings.masses[i] * jnp.where(has_width, width, 1.0))
        total = total + jnp.where(has_width, inverse * a_i, 0.0)
    return process.symmetry * total


def reduced_cross_section(
    process: AbstractProcess,
    couplings: PortalCouplings,
    s: Float[Array, " n"],
    masses: tuple = (0.0, 0.0, 0.0, 0.0),
    propagator: PropagatorChoice = "eft",
    settings: QuadratureSettings | None = None,
) -> Float[Array, " n"]:
    r""":math:`\hat\sigma(s)=\int d\Phi_2\sum|\mathcal M|^2=\frac{p_f^*}{4\pi\sqrt s}k_0(s)` (no symmetry factor)."""
    settings = QuadratureSettings() if settings is None else settings
    crossed = propagator == "full" and process.has_crossed_channel
    n_x = settings.n_projection if crossed else process.eft_degree + 1
    s = jnp.asarray(s, dtype=jnp.float64)
    masses = tuple(jnp.asarray(m, dtype=jnp.float64) for m in masses)
    prop = Propagator(couplings.masses, jnp.zeros(2), propagator)
    k0 = legendre_coefficients(process, couplings, prop, s, masses, 0, n_x)[:, 0]
    return cm_momentum(s, masses[2], masses[3]) * k0 / (4.0 * jnp.pi * jnp.sqrt(s))
