r"""Relic validation models (:mod:`jaxcogen.models.freeze_out`, :mod:`jaxcogen.models.freeze_in_decay`)
against answers obtained without jaxcogen's solvers.

1. Freeze-out against an independent scipy Radau solve (rtol 1e-12) of the same equation, written
   here from the textbook form, with the numpy :math:`g_*(T)`, :math:`g_{*s}(T)`, :math:`\delta(T)`
   of ``tests/reference_numpy.py``; and against the Kolb–Turner approximation.
2. Literature: the relic cross section of Steigman, Dasgupta & Beacom, arXiv:1204.3622 (SDB),
   at the level the inputs (the :math:`g_*(T)` table) allow; consistency of ``sigma_v_for_relic``.
3. Dirac vs Majorana: an exact equivalence and the derived :math:`O(\ln2/x_f)` departure from 2.
4. Freeze-in against HJMW's closed form (constant :math:`g_*`), exact scalings, and a scipy
   ``quad`` of the same integral with the table.
5. Gradients against central finite differences; 6. bad input; 7. ``vmap`` with an invalid point.

**Error budget of a freeze-out solve** (used by the tolerances below). The solver controls the
local error of :math:`q=W-W_{\rm ref}` per step to ``atol + rtol*|q|``; :math:`W_{\rm ref}` is built
two e-folds below a :math:`Y_\infty` estimate, so :math:`|q|\lesssim3` and the per-step error is
:math:`\le4\,{\rm rtol}` (``atol = rtol``). The problem is contractive (stiff relaxation towards
:math:`Y_{\rm eq}` damps earlier errors, and afterwards :math:`Y` is frozen), so the errors add at
most linearly: :math:`|\delta\ln Y_\infty|\le4\,N_{\rm steps}\,{\rm rtol}`. The Radau reference is
converged to :math:`\sim10^{-10}` (rtol 1e-12 vs 1e-13), counted as 1e-9.

**Two defects of the freeze-out module were found by these tests and fixed** (regression tests
below). (i) ``freeze_out.py`` rebuilt :math:`W=q+(W_{\rm floor}-W_{\rm eq})+W_{\rm eq}` after
freeze-out, where :math:`|W_{\rm eq}|\approx x_{\rm end}=m_\chi/10^{-7}\,{\rm GeV}`: the two large
terms cancelled and :math:`\ln Y_\infty` carried a rounding error of a few :math:`{\rm ulp}(x_{\rm end})`
(1.2e-7 at 100 GeV, 1.5e-5 at 10 TeV, 2e-3 at 1 PeV), and :math:`\Omega h^2` was a staircase in
:math:`\langle\sigma v\rangle` (:func:`test_omega_resolves_small_sigma_v_change_at_10_TeV`).
(ii) Under ``vmap`` only ``m_chi`` of an invalid point was replaced by a safe value, so a NaN
``sigma_v`` still ran its solve to ``max_steps`` and perturbed the other points
(:func:`test_freeze_out_vmap_nan_sigma_v_leaves_others_bit_identical`).
"""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.integrate import quad, solve_ivp
from scipy.optimize import brentq
from scipy.special import kve

from jaxcogen.models import freeze_in_decay as fi
from jaxcogen.models import freeze_out as fo

from . import reference_numpy as ref

#: cm^3/s per GeV^-2: (hbar c)^2 c with CODATA hbar c = 0.1973269804 GeV fm, c = 2.99792458e10 cm/s.
GEV2_TO_CM3_PER_S = (1.973269804e-14) ** 2 * 2.99792458e10
#: Omega h^2 per (m/GeV) Y: s_0 / (rho_c/h^2), PDG values (reference_numpy's constants).
OMEGA_PER_MY = ref.S0_CM3 / ref.RHO_C_OVER_H2
#: End of the freeze-out integration, the low end of the SM table [GeV] (module docstring).
T_END = 1e-7
G_CONST = 106.75
SIGMA_V = 2.2e-26
RTOL_DEFAULT = 1e-10  # solve_freeze_out's default rtol = atol
RADAU_ERROR = 1e-9


def plasma(T, g_const):
    """(g_*, g_*s, δ) from reference_numpy's PCHIP of the shipped table, or constant."""
    if g_const is not None:
        return g_const, g_const, 0.0
    assert ref.G_MODE["mode"] == "table"
    return ref.g_rho(T), ref.g_s(T), ref.delta_heating(T)


def solver_bound(sol, rtol):
    """4 N_steps rtol: the accumulated local-error bound of the module docstring."""
    return 4.0 * int(sol.num_steps) * rtol


# ---- 1. freeze-out vs scipy Radau -----------------------------------------------------------


def radau_omega(m, sigma_v, g_const=None, g_chi=2.0, rtol=1e-12, atol=1e-14):
    r"""Majorana freeze-out, scipy only: :math:`\Omega h^2` at ``sigma_v`` [cm³/s].

    Textbook equation (Kolb & Turner §5.2, Gondolo & Gelmini 1991): :math:`\dot n+3Hn=
    -\langle\sigma v\rangle(n^2-n_{\rm eq}^2)`; with :math:`Y=n/s`, :math:`x=m/T` and entropy
    conservation, :math:`g_{*s}T^3a^3=` const, :math:`dT/dt=-HT/(1+\delta)`,
    :math:`\delta=\tfrac13d\ln g_{*s}/d\ln T`, so :math:`dx/dt=Hx/(1+\delta)` and

    .. math:: \frac{dY}{d\ln x}=-(1+\delta)\frac{s\langle\sigma v\rangle}{H}(Y^2-Y_{\rm eq}^2),

    :math:`H=\sqrt{4\pi^3/45}\sqrt{g_*}T^2/m_{\rm Pl}`, :math:`s=\frac{2\pi^2}{45}g_{*s}T^3`,
    :math:`Y_{\rm eq}=\frac{g\,m^2TK_2(x)}{2\pi^2s}=\frac{45g}{4\pi^4g_{*s}}x^2K_2(x)`
    (Maxwell–Boltzmann). In :math:`W=\ln Y`:
    :math:`dW/d\ln x=-\Lambda e^W(1-e^{2(W_{\rm eq}-W)})`, :math:`\Lambda=(1+\delta)s\langle\sigma v\rangle/H`,
    started in equilibrium at :math:`x=1` and run to :math:`T=10^{-7}` GeV. Below it :math:`g` is
    constant (end of the table), :math:`Y_{\rm eq}` is :math:`e^{-10^6}`-small and
    :math:`\Lambda\propto1/x`, so :math:`dY/dx=-\Lambda_{\rm end}x_{\rm end}Y^2/x^2` integrates to
    :math:`1/Y_\infty=1/Y_{\rm end}+\Lambda_{\rm end}`. :math:`Y_{\rm eq}` is dropped for
    :math:`x>700` (:math:`<e^{-700}` relative; scipy's ``kve`` returns NaN beyond :math:`x=2^{30}`).
    :math:`\Omega h^2=(s_0/\rho_c h^{-2})\,m\,Y_\infty`.
    """
    sv = sigma_v / GEV2_TO_CM3_PER_S

    def rate(log_x):
        T = m / math.exp(log_x)
        g, g_s, delta = plasma(T, g_const)
        H = ref.C_H * math.sqrt(g) * T**2 / ref.M_PL
        s = 2.0 * math.pi**2 / 45.0 * g_s * T**3
        return (1.0 + delta) * s * sv / H

    def log_y_eq(log_x):
        x = math.exp(log_x)
        if x > 700.0:
            return -math.inf
        g_s = plasma(m / x, g_const)[1]
        return (
            math.log(45.0 * g_chi / (4.0 * math.pi**4 * g_s))
            + 2.0 * log_x
            - x
            + math.log(kve(2, x))
        )

    def rhs(log_x, w):
        u = w[0] - log_y_eq(log_x)
        return [-rate(log_x) * math.exp(w[0]) * (-math.expm1(-2.0 * u))]

    def jac(log_x, w):
        return [[-rate(log_x) * (math.exp(w[0]) + math.exp(2.0 * log_y_eq(log_x) - w[0]))]]

    t_end = math.log(m / T_END)
    sol = solve_ivp(
        rhs, (0.0, t_end), [log_y_eq(0.0)], method="Radau", rtol=rtol, atol=atol, jac=jac
    )
    assert sol.success, sol.message
    y_end = math.exp(sol.y[0, -1])
    return OMEGA_PER_MY * m / (1.0 / y_end + rate(t_end))


def solve_fo(m, sigma_v=SIGMA_V, g_const=None, rtol=RTOL_DEFAULT, **kwargs):
    model = fo.FreezeOutModel(m_chi=m, sigma_v=sigma_v, g_star_constant=g_const, **kwargs)
    sol = fo.solve_freeze_out(model, rtol=rtol, atol=rtol)
    assert int(sol.status) == 0
    return sol


@pytest.fixture(scope="module")
def radau_100():
    return {g: radau_omega(100.0, SIGMA_V, g) for g in (None, G_CONST)}


@pytest.mark.parametrize("g_const", [None, G_CONST], ids=["table", "g106.75"])
def test_freeze_out_matches_radau_100GeV(g_const, radau_100):
    # measured: 1.3e-8 (table), 9.1e-10 (constant); bound ~2.4e-7
    sol = solve_fo(100.0, g_const=g_const)
    tol = solver_bound(sol, RTOL_DEFAULT) + RADAU_ERROR
    assert abs(float(sol.Omega_h2) / radau_100[g_const] - 1.0) < tol


@pytest.mark.slow
@pytest.mark.parametrize("g_const", [None, G_CONST], ids=["table", "g106.75"])
def test_freeze_out_matches_radau_1GeV_and_converges_with_rtol(g_const):
    # the solver's accuracy follows rtol: measured 2.2e-9 (table) at rtol 1e-10 and 7e-12 at
    # rtol 1e-12 (bounds 2.5e-7, 6.4e-9)
    reference = radau_omega(1.0, SIGMA_V, g_const)
    for rtol in (RTOL_DEFAULT, 1e-12):
        sol = solve_fo(1.0, g_const=g_const, rtol=rtol)
        tol = solver_bound(sol, rtol) + RADAU_ERROR
        assert abs(float(sol.Omega_h2) / reference - 1.0) < tol


@pytest.mark.slow
@pytest.mark.parametrize("g_const", [None, G_CONST], ids=["table", "g106.75"])
def test_freeze_out_matches_radau_10TeV(g_const):
    # measured 1.7e-8 (table), 1.1e-9 (constant); before the W-reconstruction fix 3.1e-6, 1.2e-5
    reference = radau_omega(1e4, SIGMA_V, g_const)
    sol = solve_fo(1e4, g_const=g_const)
    tol = solver_bound(sol, RTOL_DEFAULT) + RADAU_ERROR
    assert abs(float(sol.Omega_h2) / reference - 1.0) < tol


def test_omega_resolves_small_sigma_v_change_at_10_TeV():
    r""":math:`d\ln\Omega/d\ln\langle\sigma v\rangle=-1+O(1/x_f)` (Kolb–Turner: :math:`\Omega\propto
    x_f/\langle\sigma v\rangle`, :math:`x_f\simeq\ln\langle\sigma v\rangle+\dots`, so
    :math:`-1+1/x_f\approx-0.96`), so a relative change :math:`10^{-6}` of :math:`\langle\sigma v\rangle`
    must change :math:`\Omega h^2` by :math:`-(0.9\ldots1)\times10^{-6}` (solver noise at the
    same step pattern is far below that). Measured: :math:`\sim10^{-16}`."""
    a = float(solve_fo(1e4, g_const=G_CONST).Omega_h2)
    b = float(solve_fo(1e4, SIGMA_V * (1.0 + 1e-6), g_const=G_CONST).Omega_h2)
    assert -1.0e-6 < b / a - 1.0 < -0.9e-6


def test_freeze_out_matches_kolb_turner():
    r"""Kolb & Turner (*The Early Universe*, eqs. 5.43–5.45, s-wave, :math:`c(c+2)=5/4`):
    :math:`x_f=\ln[0.038\,c(c+2)\ldots]` solved as
    :math:`x_f=\ln\big[c(c+2)\sqrt{45/8}\,g\,m\,m_{\rm Pl}\langle\sigma v\rangle/(2\pi^3\sqrt{g_*x_f})\big]`
    and :math:`Y_\infty=x_f/\lambda`, :math:`\lambda=\frac{2\pi^2}{45}\frac{g_{*s}}{c_H\sqrt{g_*}}m_{\rm Pl}m\langle\sigma v\rangle`
    (the post-freeze-out integral :math:`\int_{x_f}^\infty\lambda/x^2`, dropping :math:`1/Y_f`).
    Leading-log: neglected terms are :math:`O(1/x_f)\approx4\%`; measured 1.2 % (constant
    :math:`g_*`, 100 GeV), asserted 5 %."""
    m, g = 100.0, G_CONST
    sv = SIGMA_V / GEV2_TO_CM3_PER_S
    x_f = 20.0
    for _ in range(50):
        x_f = math.log(
            1.25
            * math.sqrt(45.0 / 8.0)
            * 2.0
            * m
            * ref.M_PL
            * sv
            / (2 * math.pi**3 * math.sqrt(g * x_f))
        )
    lam = 2.0 * math.pi**2 / 45.0 * g / (ref.C_H * math.sqrt(g)) * ref.M_PL * m * sv
    kt = OMEGA_PER_MY * m * x_f / lam
    assert abs(float(solve_fo(m, g_const=g).Omega_h2) / kt - 1.0) < 0.05


# ---- 2. literature: Steigman, Dasgupta & Beacom ----------------------------------------------


@pytest.fixture(scope="module")
def sdb_sigma_v():
    """``sigma_v_for_relic`` at SDB's Ω h² = 0.11 (Majorana, g_χ = 2, SM table)."""
    return {m: float(fo.sigma_v_for_relic(m, 0.11)) for m in (0.3, 100.0)}


def test_sdb_relic_cross_section(sdb_sigma_v):
    r"""SDB (abstract): :math:`\langle\sigma v\rangle` for :math:`\Omega h^2=0.11` (Majorana,
    :math:`g_\chi=2`) reaches a maximum of :math:`5.2\times10^{-26}` cm³/s at masses around
    0.3 GeV and is :math:`2.2\times10^{-26}` with feeble mass dependence above 10 GeV. Measured
    here: 4.99 at 0.3 GeV (−4.0 %; our maximum is 5.01 near 0.4 GeV) and 2.29 at 100 GeV (+4.1 %).

    A literature check at the level the inputs allow, not a precision check (the precision
    check is the Radau comparison). jaxcogen's :math:`g_*(T)` is the Borsanyi et al. 2016
    lattice-based table, SDB's an earlier one. At 100 GeV freeze-out is at :math:`T_f\approx4`
    GeV, where lattice and older QCD equations of state differ by several per cent; with
    :math:`\Omega\propto x_f\sqrt{g_*}/(g_{*s}\langle\sigma v\rangle)` (Kolb–Turner), the relic
    :math:`\langle\sigma v\rangle\propto1/\sqrt{g_*}` moves by half of that, upwards for the lower
    lattice :math:`g_*` as measured (Drees, Hajkarim & Schmitz, arXiv:1503.03513, find up to 9 %
    in :math:`\Omega` for 3–15 GeV from the lattice equation of state). At 0.3 GeV, :math:`T_f\approx15`
    MeV, where every table is close to the ideal-gas 10.75–11, so the −4 % there is *not*
    explained by :math:`g_*(T_f)` and is left unexplained (it is not an error budget of this
    code: the Radau check holds there to :math:`10^{-7}`). Bounds: 6 % and 7 %."""
    assert abs(sdb_sigma_v[0.3] / 5.2e-26 - 1.0) < 0.06
    assert abs(sdb_sigma_v[100.0] / 2.2e-26 - 1.0) < 0.07


def test_sigma_v_for_relic_is_a_root(sdb_sigma_v):
    # the forward solve (n_save=200) at the returned sigma_v gives the target; the Newton root is
    # converged far below 1e-10, what is left is the forward solve's error (bound ~2.4e-7):
    # measured 1.5e-8 (0.3 GeV), 6.7e-8 (100 GeV)
    for m, sv in sdb_sigma_v.items():
        assert abs(float(solve_fo(m, sv).Omega_h2) / 0.11 - 1.0) < 1e-6


@pytest.mark.slow
def test_sdb_heavy_masses_flat():
    # SDB: 2.2e-26 with feeble mass dependence above 10 GeV; measured 2.34 / 2.35 (1 / 10 TeV)
    sv = [float(fo.sigma_v_for_relic(m, 0.11)) for m in (100.0, 1e3, 1e4)]
    assert all(abs(s / 2.2e-26 - 1.0) < 0.07 for s in sv)
    assert max(sv) / min(sv) < 1.05


# ---- 3. Dirac vs Majorana ----------------------------------------------------------------------


def test_dirac_is_majorana_with_doubled_dof_and_half_cross_section():
    r"""The module's convention (docstring): Dirac = total yield of χ and χ̄ with
    :math:`g_{\rm tot}=2g_\chi` and :math:`\langle\sigma v\rangle_{\rm eff}=\langle\sigma v\rangle/2`
    (:math:`n_\chi=n_{\bar\chi}=n/2`, rate :math:`n_\chi n_{\bar\chi}\sigma v=\tfrac14n^2\sigma v`
    per pair, one pair removes two particles). So Dirac with :math:`(g_\chi,\sigma v)` is the
    self-conjugate equation with :math:`(2g_\chi,\sigma v/2)`: identical to rounding."""
    dirac = solve_fo(100.0, g_const=G_CONST, self_conjugate=False)
    majorana = solve_fo(100.0, SIGMA_V / 2.0, g_const=G_CONST, g_chi=4.0)
    assert abs(float(dirac.Omega_h2) / float(majorana.Omega_h2) - 1.0) < 1e-13


def relic_sigma_v_by_bisection(g_chi, m=100.0, target=0.11):
    """The relic σv from forward solves only (brentq on ln σv; independent of sigma_v_for_relic)."""

    def f(log_sv):
        return math.log(
            float(solve_fo(m, math.exp(log_sv), g_const=G_CONST, g_chi=g_chi).Omega_h2) / target
        )

    return math.exp(brentq(f, math.log(1e-26), math.log(1e-25), xtol=1e-10, rtol=1e-12))


@pytest.fixture(scope="module")
def relic_g_chi_2_and_4():
    return {g: relic_sigma_v_by_bisection(g) for g in (2.0, 4.0)}


def test_dirac_needs_twice_the_cross_section_up_to_log(relic_g_chi_2_and_4):
    r"""By the equivalence above, :math:`\sigma_D/\sigma_M=2\,\sigma_{g=4}/\sigma_{g=2}\equiv2(1+\epsilon)`.
    Constant :math:`g_*`: :math:`Y_\infty=x_*/\lambda` defines :math:`x_*` exactly
    (:math:`\lambda\propto\sigma_{\rm eff}`, the post-freeze-out integral), so at fixed
    :math:`Y_\infty`, :math:`1+\epsilon=x_*^D/x_*^M`. :math:`x_*` tracks Kolb–Turner's
    :math:`x_f=\ln(C\,g\,\sigma)-\tfrac12\ln x_f` (:math:`C` fixed): doubling :math:`g` and
    multiplying :math:`\sigma` by :math:`1+\epsilon` shifts it by
    :math:`\Delta=\ln2+\ln(1+\epsilon)-\tfrac12\ln(1+\Delta/x_*)`, and :math:`\epsilon=\Delta/x_*^M`,
    i.e. :math:`\Delta=\ln2+\tfrac12\ln(1+\epsilon)`.
    Solved self-consistently with the measured :math:`x_*^M`; the identification
    :math:`\Delta x_*=\Delta x_f` is leading-log (corrections :math:`O(1/x_f)\approx5\%` of
    :math:`\epsilon`). Measured :math:`\epsilon=0.03242`, predicted 0.03250 (0.25 %); asserted 5 %."""
    s2, s4 = relic_g_chi_2_and_4[2.0], relic_g_chi_2_and_4[4.0]
    majorana = solve_fo(100.0, s2, g_const=G_CONST)
    lam = (
        2.0
        * math.pi**2
        / 45.0
        * math.sqrt(G_CONST)
        / ref.C_H
        * ref.M_PL
        * 100.0
        * s2
        / GEV2_TO_CM3_PER_S
    )
    x_star = lam * float(majorana.Y_inf)
    eps = math.log(2.0) / x_star
    for _ in range(50):
        eps = (math.log(2.0) + 0.5 * math.log1p(eps)) / x_star
    ratio = 2.0 * s4 / s2  # sigma_Dirac / sigma_Majorana
    measured = ratio / 2.0 - 1.0
    assert 0.0 < measured < 2.0 * math.log(2.0) / x_star
    assert abs(measured / eps - 1.0) < 0.05


@pytest.mark.slow
def test_sigma_v_for_relic_dirac_table(relic_g_chi_2_and_4):
    # self_conjugate=False through sigma_v_for_relic equals twice the g_chi = 4 self-conjugate root
    # found by brentq on forward solves (the equivalence above: the same forward function), so
    # the roots agree to brentq's xtol (1e-10 in ln sigma) and Newton's convergence (< 1e-12)
    dirac = float(fo.sigma_v_for_relic(100.0, 0.11, g_star_constant=G_CONST, self_conjugate=False))
    assert abs(dirac / (2.0 * relic_g_chi_2_and_4[4.0]) - 1.0) < 1e-9
    dirac_t = float(fo.sigma_v_for_relic(100.0, 0.11, self_conjugate=False))
    majorana_t = float(fo.sigma_v_for_relic(100.0, 0.11))
    assert 2.0 < dirac_t / majorana_t < 2.0 * (1.0 + 2.0 * math.log(2.0) / 20.0)


# ---- 4. freeze-in from decays --------------------------------------------------------------------


def hjmw_yield(m_B, Gamma, g_B=1.0, g=G_CONST):
    r"""HJMW eq. 2.4 re-derived: :math:`dY/dz=\gamma_D/(zHs)`, :math:`\gamma_D=g_Bm_B^2\Gamma TK_1(z)/2\pi^2`,
    so :math:`dY/dz=\frac{45g_B\Gamma m_{\rm Pl}}{4\pi^4c_Hg^{3/2}m_B^2}z^3K_1(z)`, and
    :math:`\int_0^\infty z^3K_1dz=2^{2}\Gamma(3/2)\Gamma(5/2)=3\pi/2` (DLMF 10.43.19,
    :math:`\int_0^\infty t^{\mu-1}K_\nu=2^{\mu-2}\Gamma(\frac{\mu-\nu}2)\Gamma(\frac{\mu+\nu}2)`, :math:`\mu=4,\nu=1`):
    :math:`Y=\frac{135\,g_B\Gamma m_{\rm Pl}}{8\pi^3c_Hg^{3/2}m_B^2}`."""
    return 135.0 * g_B * Gamma * ref.M_PL / (8.0 * math.pi**3 * ref.C_H * g**1.5 * m_B**2)


def quad_yield(m_B, Gamma, g_B=1.0):
    r"""The same integral with the table, by adaptive quadrature (scipy ``quad``, epsrel 1e-13):
    :math:`Y=P\int(1+\delta)\,z^4K_1(z)/(g_{*s}\sqrt{g_*})\,d\ln z` over :math:`z\in[10^{-4},100]`,
    :math:`P=45g_B\Gamma m_{\rm Pl}/(4\pi^4c_Hm_B^2)`, split at the table's nodes (where
    :math:`\delta` has kinks), plus the :math:`z<10^{-4}` part :math:`z_0^3/(3g_{*s}\sqrt{g_*})`
    (:math:`z^3K_1\to z^2`)."""
    P = 45.0 * g_B * Gamma * ref.M_PL / (4.0 * math.pi**4 * ref.C_H * m_B**2)

    def f(log_z):
        z = math.exp(log_z)
        g, g_s, delta = plasma(m_B / z, None)
        return (1.0 + delta) * z**4 * kve(1, z) * math.exp(-z) / (g_s * math.sqrt(g))

    lo, hi = math.log(1e-4), math.log(100.0)
    log10_nodes = np.loadtxt(ref._DOF_FILE, delimiter=",", comments=("#", "log10"), usecols=0)
    breaks = sorted(b for b in math.log(m_B) - log10_nodes * math.log(10.0) if lo < b < hi)
    edges = [lo, *breaks, hi]
    g0, g_s0, _ = plasma(m_B / 1e-4, None)
    total = 1e-12 / (3.0 * g_s0 * math.sqrt(g0))
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        total += quad(f, a, b, epsabs=0.0, epsrel=1e-13, limit=200)[0]
    return P * total


def solve_fi(m_B=1e3, Gamma=1e-13, g_B=1.0, g_const=G_CONST):
    sol = fi.solve_freeze_in_decay(
        fi.FreezeInDecayModel(m_B=m_B, Gamma=Gamma, m_X=1e-3, g_B=g_B, g_star_constant=g_const)
    )
    assert int(sol.status) == 0
    return sol


def test_freeze_in_matches_hjmw_closed_form():
    # smooth integrand: measured 1.4e-12 (the accumulated bound N_steps*rtol is 2e-9)
    model = fi.FreezeInDecayModel(m_B=1e3, Gamma=1e-13, m_X=1e-3, g_star_constant=G_CONST)
    expected = hjmw_yield(1e3, 1e-13)
    assert abs(float(fi.closed_form_yield(model)) / expected - 1.0) < 1e-14
    assert abs(float(solve_fi().Y_inf) / expected - 1.0) < 1e-9


def test_freeze_in_scalings_are_exact():
    # y = Y/P is integrated with P ∝ g_B Γ / m_B^2 outside, and with constant g the integrand does
    # not depend on m_B: the scalings hold to rounding
    base = float(solve_fi().Y_inf)
    assert abs(float(solve_fi(Gamma=2e-13).Y_inf) / (2.0 * base) - 1.0) < 1e-12
    assert abs(float(solve_fi(g_B=3.0).Y_inf) / (3.0 * base) - 1.0) < 1e-12
    assert abs(float(solve_fi(m_B=2e3).Y_inf) / (0.25 * base) - 1.0) < 1e-12
    assert abs(float(solve_fi(m_B=1e6, Gamma=1e-10).Y_inf) / (1e-3 * base) - 1.0) < 1e-12


@pytest.mark.parametrize("m_B", [1e3, 1.0])
def test_freeze_in_with_table_matches_quad(m_B):
    # kinks of δ at the nodes: the Tsit5 error accumulates up to N_steps*rtol (2.7e-9 / 4.2e-9);
    # measured 5.5e-10 / 6.0e-10. Γ ∝ m_B^2 keeps Y ~ 4e-4 (far below Y_eq, as freeze-in assumes)
    gamma = 1e-13 * (m_B / 1e3) ** 2
    sol = solve_fi(m_B=m_B, Gamma=gamma, g_const=None)
    tol = int(sol.num_steps) * 1e-11
    assert abs(float(sol.Y_inf) / quad_yield(m_B, gamma) - 1.0) < tol


# ---- 5. gradients ------------------------------------------------------------------------------


def log_omega(log_sigma_v, m, rtol=RTOL_DEFAULT):
    model = fo.FreezeOutModel(m_chi=m, sigma_v=jnp.exp(log_sigma_v))
    return jnp.log(fo.solve_freeze_out(model, rtol=rtol, atol=rtol).Omega_h2)


def test_freeze_out_gradient_matches_finite_differences():
    r""":math:`d\ln\Omega/d\ln\langle\sigma v\rangle` at 1 GeV (table; the QCD era) by ``jax.grad``
    vs a central difference, :math:`h=10^{-2}`, of solves at rtol 1e-12. FD error: truncation
    :math:`h^2f'''/6` with :math:`f'''\sim2/x_f^3\sim3\times10^{-4}` (:math:`\sim10^{-9}`) plus the
    solves' non-smooth error over :math:`2h`, :math:`4N{\rm rtol}/2h\approx5\times10^{-7}`. The autodiff
    value moves by :math:`10^{-10}` between rtol 1e-10 and 1e-12. Measured :math:`9\times10^{-8}`;
    asserted :math:`10^{-6}`."""
    x0, h = math.log(SIGMA_V), 1e-2
    grad = float(jax.grad(log_omega)(jnp.float64(x0), 1.0))
    fd = (float(log_omega(x0 + h, 1.0, 1e-12)) - float(log_omega(x0 - h, 1.0, 1e-12))) / (2 * h)
    assert -1.0 < grad < -0.9  # -1 + O(1/x_f)
    assert abs(grad / fd - 1.0) < 1e-6


def log_yield(log_gamma, log_m_B, g_const=None):
    model = fi.FreezeInDecayModel(
        m_B=jnp.exp(log_m_B), Gamma=jnp.exp(log_gamma), m_X=1e-3, g_star_constant=g_const
    )
    return jnp.log(fi.solve_freeze_in_decay(model).Y_inf)


def test_freeze_in_gradients():
    r""":math:`d\ln Y/d\ln\Gamma=1` exactly (:math:`Y\propto\Gamma`), by autodiff and by central FD.
    :math:`d\ln Y/d\ln m_B` with the table (:math:`-2` plus the :math:`g_*(T)` variation) against a
    central FD (:math:`h=10^{-3}`) of the independent ``quad`` yield (:math:`10^{-13}`-accurate:
    FD error :math:`\sim10^{-10}`). Autodiff differentiates the discrete solve: moving
    :math:`m_B` slides the table's nodes (where :math:`g_*` is only :math:`C^1`) past the
    solver's stage points, which gives the discrete solution a non-smooth error component of
    :math:`\sim10^{-10}` in value but :math:`\sim10^{-6}` in slope (the fixed-step solve's own
    derivative agrees with its FD at :math:`h=10^{-5}`, not at :math:`10^{-3}`). Measured
    :math:`3.5\times10^{-6}`; asserted :math:`10^{-5}`."""
    lg, lm = math.log(1e-13), math.log(1e3)
    d_gamma, d_m = (
        float(v) for v in jax.grad(log_yield, argnums=(0, 1))(jnp.float64(lg), jnp.float64(lm))
    )
    h = 1e-3
    fd_gamma = (float(log_yield(lg + h, lm)) - float(log_yield(lg - h, lm))) / (2 * h)
    assert abs(d_gamma - 1.0) < 1e-12
    assert abs(fd_gamma - 1.0) < 1e-9
    fd_m = (
        math.log(quad_yield(1e3 * math.exp(h), 1e-13))
        - math.log(quad_yield(1e3 * math.exp(-h), 1e-13))
    ) / (2 * h)
    assert -2.1 < fd_m < -2.0
    assert abs(d_m / fd_m - 1.0) < 1e-5


@pytest.mark.slow
def test_freeze_in_mass_gradient_constant_g():
    # constant g: Y ∝ 1/m_B^2 exactly, nothing else depends on m_B
    grad = float(
        jax.grad(lambda lm: log_yield(math.log(1e-13), lm, G_CONST))(jnp.float64(math.log(1e3)))
    )
    assert abs(grad + 2.0) < 1e-12


# ---- 6. bad input --------------------------------------------------------------------------------

FO_OK = dict(m_chi=100.0, sigma_v=SIGMA_V)
FI_OK = dict(m_B=1e3, Gamma=1e-13, m_X=1e-3)


@pytest.mark.parametrize(
    "overrides, name",
    [
        (dict(m_chi=0.0), "m_chi"),
        (dict(m_chi=-1.0), "m_chi"),
        (dict(m_chi=float("nan")), "m_chi"),
        (dict(m_chi=2e6), "m_chi"),
        (dict(sigma_v=1e-33), "sigma_v"),
        (dict(sigma_v=1e-17), "sigma_v"),
        (dict(sigma_v=-SIGMA_V), "sigma_v"),
        (dict(sigma_v=float("inf")), "sigma_v"),
        (dict(g_chi=0.5), "g_chi"),
        (dict(g_star_constant=0.5), "g_star_constant"),
        (dict(g_star_constant=2000.0), "g_star_constant"),
        (dict(g_star_constant="106.75"), "g_star_constant"),
        (dict(g_star_constant=True), "g_star_constant"),
        (dict(self_conjugate="no"), "self_conjugate"),
    ],
)
def test_freeze_out_bad_input(overrides, name):
    with pytest.raises(ValueError, match=name):
        fo.FreezeOutModel(**{**FO_OK, **overrides})


@pytest.mark.parametrize(
    "overrides, name",
    [
        (dict(m_B=0.0), "m_B"),
        (dict(m_B=-1e3), "m_B"),
        (dict(Gamma=-1e-13), "Gamma"),
        (dict(Gamma=0.0), "Gamma"),
        (dict(Gamma=float("nan")), "Gamma"),
        (dict(Gamma=1e3), "Gamma"),  # Γ/m_B = 1 > 0.1
        (dict(m_X=1e3), "m_X"),  # m_X = m_B
        (dict(m_X=2e3), "m_X"),
        (dict(m_X=0.0), "m_X"),
        (dict(g_B=0.5), "g_B"),
        (dict(g_star_constant=0.0), "g_star_constant"),
    ],
)
def test_freeze_in_bad_input(overrides, name):
    with pytest.raises(ValueError, match=name):
        fi.FreezeInDecayModel(**{**FI_OK, **overrides})


def test_bad_settings_raise_before_tracing():
    model = fo.FreezeOutModel(**FO_OK)
    for kwargs, name in [
        (dict(rtol=1.0), "rtol"),
        (dict(atol=0.0), "atol"),
        (dict(x_start=10.0), "x_start"),
        (dict(max_steps=0), "max_steps"),
        (dict(n_save=1), "n_save"),
    ]:
        with pytest.raises(ValueError, match=name):
            fo.solve_freeze_out(model, **kwargs)
    with pytest.raises(ValueError, match="Omega_h2"):
        fo.sigma_v_for_relic(100.0, 0.0)
    with pytest.raises(ValueError, match="m_chi"):
        fo.sigma_v_for_relic(-1.0)
    with pytest.raises(ValueError, match="g_star_constant"):
        fi.closed_form_yield(fi.FreezeInDecayModel(**FI_OK))
    with pytest.raises(ValueError, match="rtol"):
        fi.solve_freeze_in_decay(fi.FreezeInDecayModel(**FI_OK), rtol=1.0)


# ---- 7. vmap with an invalid point ---------------------------------------------------------------


@eqx.filter_jit
@jax.vmap
def fo_batch(m_chi, sigma_v):
    # built inside vmap: the inputs are traced, so no ValueError; invalid points get status 100
    return fo.solve_freeze_out_unjitted(fo.FreezeOutModel(m_chi=m_chi, sigma_v=sigma_v))


FO_VALID = ((1.0, SIGMA_V), (100.0, 5e-26))


@pytest.fixture(scope="module")
def fo_all_valid():
    return fo_batch(jnp.array([1.0, 100.0, 100.0]), jnp.array([SIGMA_V, SIGMA_V, 5e-26]))


@pytest.mark.parametrize("bad", [(1e7, SIGMA_V), (100.0, 1e-10)], ids=["m_chi", "sigma_v"])
def test_freeze_out_vmap_invalid_point(bad, fo_all_valid):
    """The bad middle point: status 100 and NaN. The valid points: bit-identical to the same
    batch with a valid middle point, and equal to their single solves within the solver's
    accuracy (a batch is not bitwise a single solve: XLA's batched arithmetic differs in the last
    bits, and the adaptive steps then differ, 637 vs 604 at 1 GeV; measured 7e-8)."""
    out = fo_batch(jnp.array([1.0, bad[0], 100.0]), jnp.array([SIGMA_V, bad[1], 5e-26]))
    assert out.status.tolist()[1] == fo.STATUS_INVALID_INPUT
    assert np.isnan(float(out.Omega_h2[1])) and np.isnan(float(out.Y_inf[1]))
    for i, (m, sv) in zip((0, 2), FO_VALID, strict=True):
        assert int(out.status[i]) == 0
        np.testing.assert_array_equal(np.asarray(out.Y[i]), np.asarray(fo_all_valid.Y[i]))
        single = solve_fo(m, sv)
        tol = 2 * solver_bound(single, RTOL_DEFAULT)
        assert abs(float(out.Omega_h2[i]) / float(single.Omega_h2) - 1.0) < tol


def test_freeze_out_vmap_nan_sigma_v_leaves_others_bit_identical(fo_all_valid):
    out = fo_batch(jnp.array([1.0, 100.0, 100.0]), jnp.array([SIGMA_V, jnp.nan, 5e-26]))
    assert int(out.status[1]) == fo.STATUS_INVALID_INPUT
    np.testing.assert_array_equal(np.asarray(out.Y[0]), np.asarray(fo_all_valid.Y[0]))


def test_freeze_in_vmap_invalid_point():
    @eqx.filter_jit
    @jax.vmap
    def batch(m_B, Gamma, m_X):
        return fi.solve_freeze_in_decay_unjitted(
            fi.FreezeInDecayModel(m_B=m_B, Gamma=Gamma, m_X=m_X)
        )

    m_B, gamma = np.array([1e3, 1e3, 1e3, 10.0]), np.array([1e-13, 1e3, 1e-13, 1e-15])
    m_X = np.array([1e-3, 1e-3, 2e3, 1e-3])  # point 1: Γ/m_B = 1; point 2: m_X > m_B
    out = batch(jnp.asarray(m_B), jnp.asarray(gamma), jnp.asarray(m_X))
    assert out.status.tolist() == [0, fi.STATUS_INVALID_INPUT, fi.STATUS_INVALID_INPUT, 0]
    assert np.all(np.isnan(np.asarray(out.Y_inf[1:3])))
    for i in (0, 3):
        single = solve_fi(m_B=m_B[i], Gamma=gamma[i], g_const=None)
        assert abs(float(out.Y_inf[i]) / float(single.Y_inf) - 1.0) < int(single.num_steps) * 1e-11
