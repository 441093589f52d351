"""Late universe: SM g_*(T) table, dark freeze-out, relic density, Delta N_eff (issue 4).

Independent references: published table values (Borsanyi et al. 2016), Bessel-series
thermodynamics, scipy's K_2, explicit-Dirac-matrix amplitudes integrated numerically over angles,
entropy conservation, the standard (Kolb–Turner) freeze-out estimate and the asymmetric
freeze-out solution of Iminniyaz, Drees & Chen (arXiv:1104.5548).
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.special import kv

from jaxcogen import constants, thermodynamics
from jaxcogen.late_universe import _dark_freezeout as dark_freezeout

# ---- SM degrees of freedom ------------------------------------------------------------------------

# Borsanyi et al., Nature 539 (2016) 69, Table S2: log10(T/MeV), g_rho, g_rho/g_s (spot checks)
BORSANYI_SPOT = [(0.00, 10.71, 1.00228), (2.20, 29.84, 1.07578), (3.00, 73.48, 1.01778),
                 (5.45, 104.98, 1.00023)]  # fmt: skip


def test_sm_table_reproduces_its_nodes_and_published_values():
    t = thermodynamics.sm_table()
    T = 10.0 ** t["log10_T_GeV"]
    np.testing.assert_allclose(thermodynamics.g_star(T), t["g_rho"], rtol=1e-12)
    np.testing.assert_allclose(thermodynamics.g_star_s(T), t["g_s"], rtol=1e-12)
    for lt, g_rho, ratio in BORSANYI_SPOT:
        T = 10.0 ** (lt - 3.0)
        assert float(thermodynamics.g_star(T)) == pytest.approx(g_rho, rel=1e-10)
        assert float(thermodynamics.g_star_s(T)) == pytest.approx(g_rho / ratio, rel=1e-10)


def test_sm_table_limits():
    g, gs = thermodynamics.g_star, thermodynamics.g_star_s
    for T in (1e4, 1e8, 1e16):  # full SM, the production stage's 106.75
        assert float(g(T)) == pytest.approx(106.75, abs=1e-3)
        assert float(gs(T)) == pytest.approx(106.75, abs=1e-3)
    today = 2.35e-13  # T_0 = 2.7255 K
    assert float(gs(today)) == pytest.approx(43.0 / 11.0, rel=1e-9)  # 3.91
    assert float(g(today)) == pytest.approx(
        2.0 + 21.0 / 4.0 * (4.0 / 11.0) ** (4.0 / 3.0), rel=1e-9
    )
    for T in (1e-3, 3e-3, 1e-2):  # before e+e- annihilation, after muons: ~10.75
        assert float(gs(T)) == pytest.approx(10.75, abs=0.07)


def test_sm_table_is_monotone_and_differentiable():
    T = jnp.logspace(-7, 16, 2001)
    for f in (thermodynamics.g_star, thermodynamics.g_star_s):
        v = np.asarray(f(T))
        assert np.all(np.diff(v) >= -1e-12)
        d = jax.vmap(jax.grad(lambda t, f=f: f(t)))(T)
        assert np.all(np.isfinite(np.asarray(d)))
    assert np.all(np.isfinite(np.asarray(thermodynamics.dlng_star_s_dlnT(T))))


def test_shipped_table_matches_its_generator():
    rows = thermodynamics.build_sm_table()
    t = thermodynamics.sm_table()
    np.testing.assert_allclose([r[1] for r in rows], t["g_rho"], rtol=1e-9)
    np.testing.assert_allclose([r[2] for r in rows], t["g_s"], rtol=1e-9)
    assert list(t["source"]) == [r[3] for r in rows]


def _bessel_series(z, fermion, kmax=400):
    """rho/rho_0 and s/s_0 from the Bessel series (independent of the quadrature)."""
    k = np.arange(1, kmax + 1)
    sgn = (-1.0) ** (k + 1) if fermion else np.ones_like(k, dtype=float)
    P = np.sum(sgn * z**2 * kv(2, k * z) / k**2)
    rho = np.sum(sgn * (3 * z**2 * kv(2, k * z) / k**2 + z**3 * kv(1, k * z) / k))
    rho0 = (7 / 8 if fermion else 1.0) * math.pi**4 / 15
    return rho / rho0, (rho + P) / (4 / 3 * rho0)


@pytest.mark.parametrize("fermion", [True, False])
@pytest.mark.parametrize("z", [0.05, 0.7, 1.37, 3.0, 20.0])
def test_species_dof_fractions_against_bessel_series(z, fermion):
    f_rho, f_s = _bessel_series(z, fermion)
    assert float(thermodynamics.dof_fraction(z, "rho", fermion)) == pytest.approx(f_rho, rel=1e-6)
    assert float(thermodynamics.dof_fraction(z, "s", fermion)) == pytest.approx(f_s, rel=1e-6)


def test_log_z2_K2_against_scipy():
    z = np.array([1e-3, 0.1, 1.0, 1.234, 7.0, 50.0, 300.0])
    ref = np.log(z**2 * kv(2, z))
    np.testing.assert_allclose(thermodynamics.log_z2_K2(z), ref, rtol=1e-9, atol=1e-7)
    zb = 2e5  # asymptotic branch
    ref = 2 * math.log(zb) + 0.5 * math.log(math.pi / (2 * zb)) - zb + math.log1p(15 / (8 * zb))
    assert float(thermodynamics.log_z2_K2(zb)) == pytest.approx(ref, rel=1e-12)


# ---- cross sections: explicit Dirac matrices, numerical angular integration -------------------------

_S = [np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.array([[1, 0], [0, -1]])]
_I2, _Z2 = np.eye(2), np.zeros((2, 2))
GAMMA = [np.block([[_Z2, _I2], [_I2, _Z2]])] + [np.block([[_Z2, s], [-s, _Z2]]) for s in _S]
G5 = np.block([[-_I2, _Z2], [_Z2, _I2]])
PL, PR = (np.eye(4) - G5) / 2, (np.eye(4) + G5) / 2


def _sqrt_herm(M):
    w, V = np.linalg.eigh(M)
    return V @ np.diag(np.sqrt(np.maximum(w, 0))) @ V.conj().T


def _spinors(p, m):
    """u(p, s), v(p, s) in the chiral basis, s = both spin states."""
    E, px, py, pz = p
    ps = E * _I2 - (px * _S[0] + py * _S[1] + pz * _S[2])
    psb = E * _I2 + (px * _S[0] + py * _S[1] + pz * _S[2])
    a, b = _sqrt_herm(ps), _sqrt_herm(psb)
    us = [np.concatenate([a @ xi, b @ xi]) for xi in _I2]
    vs = [np.concatenate([a @ xi, -b @ xi]) for xi in _I2]
    return us, vs


def _bar(psi):
    return psi.conj() @ GAMMA[0]


def _mdot(a, b):
    return a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3]


def _angles(n_theta=24, n_phi=8):
    x, w = np.polynomial.legendre.leggauss(n_theta)
    return [
        (c, ph, wc * 2 * math.pi / n_phi)
        for c, wc in zip(x, w, strict=True)
        for ph in 2 * math.pi * (np.arange(n_phi) + 0.3) / n_phi
    ]


def _sigma_v_numeric(process, chiral, m_chi, m_phi, kappa, v_rel):
    """sigma v_rel = (1/4 E1 E2) int |M|^2 dPhi_2 (massless final state), CM frame, spin-summed
    (averaged over initial spins for fermions)."""
    m_in = m_chi if process == "chi" else m_phi
    p = m_in * v_rel / 2 / math.sqrt(1 - v_rel**2 / 4)
    E = math.sqrt(p * p + m_in * m_in)
    p1, p2 = np.array([E, 0, 0, p]), np.array([E, 0, 0, -p])
    G_in, G_out = (PR, PL) if chiral else (np.eye(4), np.eye(4))
    total = 0.0
    for c, ph, w in _angles():
        s_ = math.sqrt(1 - c * c)
        k1 = np.array([E, E * s_ * math.cos(ph), E * s_ * math.sin(ph), E * c])
        k2 = np.array([E, -k1[1], -k1[2], -k1[3]])
        uk1, _ = _spinors(k1, 0.0)
        _, vk2 = _spinors(k2, 0.0)
        q = p1 - k1
        if process == "chi":  # chi(p1) chibar(p2) -> eta(k1) etabar(k2), t-channel phi
            up1, _ = _spinors(p1, m_chi)
            _, vp2 = _spinors(p2, m_chi)
            prop = 1.0 / (_mdot(q, q) - m_phi**2)
            M2 = sum(
                abs(kappa**2 * prop * (_bar(a) @ G_in @ b) * (_bar(cc) @ G_out @ d)) ** 2
                for a in uk1 for b in up1 for cc in vp2 for d in vk2
            ) / 4.0  # fmt: skip
        else:  # phi(p1) phi*(p2) -> eta(k1) etabar(k2), t-channel chi
            qs = sum(g * q[i] * (1 if i == 0 else -1) for i, g in enumerate(GAMMA))
            prop = (qs + m_chi * np.eye(4)) / (_mdot(q, q) - m_chi**2)
            M2 = sum(
                abs(kappa**2 * (_bar(a) @ G_in @ prop @ G_out @ d)) ** 2 for a in uk1 for d in vk2
            )
        total += w * M2
    return total / (32 * math.pi**2) / (4 * E * E)


@pytest.mark.parametrize("m_chi, m_phi", [(1.0, 2.0), (50.0, 60.0)])
def test_sigma_v_chi_against_numerical_angular_integration(m_chi, m_phi):
    kappa = 0.7
    for eta, chiral in (("weyl", True), ("dirac", False)):
        num = _sigma_v_numeric("chi", chiral, m_chi, m_phi, kappa, 1e-3)
        ref = float(dark_freezeout.sigma_v_chi(m_chi, m_phi, kappa, eta))
        assert num == pytest.approx(ref, rel=1e-5)
    ratio = dark_freezeout.sigma_v_chi(m_chi, m_phi, kappa, "dirac") / dark_freezeout.sigma_v_chi(
        m_chi, m_phi, kappa, "weyl"
    )
    assert float(ratio) == pytest.approx(4.0, rel=1e-14)


def test_sigma_v_phi_against_numerical_angular_integration():
    m_chi, m_phi, kappa = 1.0, 1.5, 0.6
    D2 = (m_chi**2 + m_phi**2) ** 2
    # Dirac (non-chiral): s-wave kappa^4 m_chi^2 / (4 pi D^2)
    num = _sigma_v_numeric("phi", False, m_chi, m_phi, kappa, 1e-3)
    assert num == pytest.approx(kappa**4 * m_chi**2 / (4 * math.pi * D2), rel=1e-5)
    # Weyl (chiral): pure p-wave, sigma v = kappa^4 m_phi^2 v^2 / (48 pi D^2) -> <.> with <v^2> = 6/x
    v = 2e-2
    num = _sigma_v_numeric("phi", True, m_chi, m_phi, kappa, v)
    assert num == pytest.approx(kappa**4 * m_phi**2 * v**2 / (48 * math.pi * D2), rel=2e-3)
    x = 25.0
    ref = float(dark_freezeout.sigma_v_phi(m_chi, m_phi, kappa, x, "weyl"))
    assert ref == pytest.approx(kappa**4 * m_phi**2 * (6 / x) / (48 * math.pi * D2), rel=1e-14)


# ---- the late-universe stage ------------------------------------------------------------------------

BASE = dict(DeltaY_B=8.7e-11, T_RH=1e10, g_dark=9.0)


@jax.jit
def _late(DeltaY_chi, SigmaY_chi, xi_end, m_chi, m_phi, kappa):
    return dark_freezeout.late_universe_from_yields(
        DeltaY_chi=DeltaY_chi, SigmaY_chi=SigmaY_chi, xi_end=xi_end, m_chi=m_chi, m_phi=m_phi,
        kappa=kappa, **BASE,
    )  # fmt: skip


def test_entropy_conservation_across_g_steps():
    r = 9.0 * 0.2**3 / 106.75
    m_chi, m_phi = 0.5, 0.8  # chi, phi become non-relativistic during the QCD step
    T = jnp.logspace(-4, 3, 300)
    xi = jax.vmap(lambda t: dark_freezeout.xi_from_entropy(t, r, m_chi, m_phi))(T)
    lhs = dark_freezeout.dark_dof(xi * T, m_chi, m_phi) * xi**3 / thermodynamics.g_star_s(T)
    np.testing.assert_allclose(lhs, r, rtol=1e-10)
    # xi rises as chi, phi annihilate into eta and falls as the SM heats: it is not constant
    assert float(jnp.max(xi) / jnp.min(xi)) > 1.3


def test_delta_N_eff_pure_radiation():
    xi_end = 0.3
    ratio_sm = float(thermodynamics.g_star_s(dark_freezeout.T_N_eff)) / 106.75
    for eta, g_eta in (("dirac", 3.5), ("weyl", 1.75)):
        # heavy chi, phi (gone by 1 MeV): eta alone, heated by their entropy
        r = 9.0 * xi_end**3 / 106.75
        xi = dark_freezeout.xi_from_entropy(dark_freezeout.T_N_eff, r, 1e3, 2e3, eta)
        xi_ref = xi_end * (ratio_sm * 9.0 / g_eta) ** (1 / 3)
        assert float(xi) == pytest.approx(xi_ref, rel=1e-10)
        dN = dark_freezeout.delta_N_eff(xi, xi * 1e-3, 1e3, 2e3, eta)
        assert float(dN) == pytest.approx(4 / 7 * g_eta * xi_ref**4, rel=1e-10)
    # everything still relativistic at 1 MeV (massless limit): all 9 dof radiate
    late = _late(1e-12, 1e-9, xi_end, 1e-10, 2e-10, 0.0)
    assert float(late.Delta_N_eff) == pytest.approx(
        4 / 7 * 9.0 * xi_end**4 * ratio_sm ** (4 / 3), rel=1e-6
    )
    assert bool(late.N_eff_ok)
    hot = _late(1e-12, 1e-9, 1.0, 1e3, 2e3, 0.5)  # Delta N_eff = 2 (0.636)^4 = 0.33
    assert not bool(hot.N_eff_ok)


@pytest.mark.parametrize("kappa", [0.0, 1e-3, 0.03, 0.3, 3.0])
@pytest.mark.parametrize("DeltaY_chi", [3e-12, -3e-12])
def test_asymmetry_conserved_through_dark_freeze_out(kappa, DeltaY_chi):
    late = _late(DeltaY_chi, 1e-8, 0.1, 100.0, 300.0, kappa)
    assert int(late.status) == 0
    # every phi ends as a chi: Delta Y_chi + Delta Y_phi = 2 Delta Y_chi
    assert float(late.DeltaY_chi_today) == pytest.approx(2 * DeltaY_chi, rel=1e-12)
    assert float(late.Y_chi - late.Y_chibar) == pytest.approx(2 * DeltaY_chi, rel=1e-10)
    assert float(late.Y_chibar) >= 0.0 and float(late.Y_chi) >= 0.0


def test_symmetric_part_depleted_at_large_kappa():
    DeltaY = 2.5e-12
    m_chi = 100.0
    late = _late(DeltaY, 1e-8, 0.1, m_chi, 300.0, 2.0)
    assert float(late.asymmetric_fraction) == pytest.approx(1.0, abs=1e-12)
    Omega_asym = constants.omega_h2_per_GeV_yield * m_chi * 2 * DeltaY
    assert float(late.Omega_chi_h2) == pytest.approx(Omega_asym, rel=1e-12)
    assert float(late.Omega_symmetric_h2) == pytest.approx(0.0, abs=1e-12 * Omega_asym)
    # no sink: nothing annihilates, the frozen-in chi family survives (all phi -> chi); exact
    # up to the adaptive integrator's tolerance (rtol 1e-9 on the reference-scaled yield, whose
    # reference still falls with N_eq: measured 1.3e-10)
    none = _late(DeltaY, 1e-8, 0.1, m_chi, 300.0, 0.0)
    assert float(none.Omega_chi_h2) == pytest.approx(
        constants.omega_h2_per_GeV_yield * m_chi * 2e-8, rel=1e-9
    )


def _freeze_out_reference(m_chi, xi_end, kappa, Delta):
    """Kolb–Turner freeze-out (c = 1) with the dark temperature, then Iminniyaz–Drees–Chen.

    m_phi = 2 m_chi (coannihilation weight ~e^{-x_f}), constant g (freeze-out at T ~ 1e4 GeV), so
    the rate k per e-fold of T_chi is proportional to T_chi and int_{lambda_f}^inf k = k(T_f).
    """
    bath = dark_freezeout._DarkBath(
        jnp.asarray(9.0 * xi_end**3 / 106.75), jnp.asarray(m_chi), jnp.asarray(2.0 * m_chi),
        jnp.asarray(kappa), jnp.asarray(0.0), jnp.asarray(0.0), "dirac",
    )  # fmt: skip

    @jax.jit
    def cond(ln_T_chi):
        b = bath.at(ln_T_chi)
        # -d ln Y_eq / d lambda = d ln Y_eq / d ln T_chi;  freeze-out: Delta = c Y_eq, c (c + 2) = 3
        return b["rate"] * jnp.exp(b["lnN_eq"]) * 3.0 + b["dlnN_eq"]

    lo, hi = math.log(m_chi / 200), math.log(m_chi)
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if float(cond(mid)) < 0 else (lo, mid)
    b = bath.at(lo)
    Y_eq, k_f = float(jnp.exp(b["lnN_eq"])), float(b["rate"])
    if Delta == 0.0:
        return 1.0 / (1.0 / (2.0 * Y_eq) + k_f)  # per species
    Y_minus_f = -Delta / 2 + math.sqrt(Delta**2 / 4 + (2 * Y_eq) ** 2)
    return Delta / ((1 + Delta / Y_minus_f) * math.exp(Delta * k_f) - 1)


@pytest.mark.parametrize("kappa", [0.1, 0.5])
def test_symmetric_limit_matches_standard_freeze_out(kappa):
    m_chi, xi_end = 2e4, 0.1
    late = _late(0.0, 1e-12, xi_end, m_chi, 2.0 * m_chi, kappa)
    ref = _freeze_out_reference(m_chi, xi_end, kappa, 0.0)
    assert float(late.Y_chi) == pytest.approx(ref, rel=0.03)  # measured: 1.4-1.7 %


@pytest.mark.parametrize("ratio", [0.3, 1.0, 3.0])
def test_asymmetric_freeze_out_matches_iminniyaz_drees_chen(ratio):
    m_chi, xi_end, kappa = 2e4, 0.1, 0.3
    Y_sym = _freeze_out_reference(m_chi, xi_end, kappa, 0.0)
    Delta = ratio * Y_sym  # Delta Y = Y_+ - Y_- of the chi family
    late = _late(Delta / 2, 1e-12, xi_end, m_chi, 2.0 * m_chi, kappa)
    ref = _freeze_out_reference(m_chi, xi_end, kappa, Delta)
    assert float(jnp.minimum(late.Y_chi, late.Y_chibar)) == pytest.approx(
        ref, rel=0.07
    )  # measured 2-5 %


def test_slow_start_matches_the_integration_through_the_tracking(monkeypatch):
    """The late stage's start on the slow manifold (``_slow_start``) against the same equation
    integrated from lambda_r through the whole tracking phase (the slow start switched off by
    asking J/|rho| > 1e300 at the start).

    Derivation (docs/late_universe.md "Slow start"): with N = N_* + delta,
    d delta/d lambda = -J delta - N_*' + O(delta^2), so N = N_*(1 + |rho|/J)(1 + O(eps^2)),
    eps = |rho|/J = 1/30 at lambda_s, and that O(eps^2) ~ 1e-3 start error is damped by ~e^-30
    before freeze-out: both paths must give the same Omega to the solver tolerance. The point
    (m_chi = 10 GeV, m_phi/m_chi = 1.01, kappa = 0.1) freezes out a symmetric population first
    (~270 steps without the slow start), so the start moves and the steps must fall.
    """
    point = dict(DeltaY_chi=2e-11, SigmaY_chi=1e-8, xi_end=0.5, m_chi=10.0, m_phi=10.1,
                 kappa=0.1, **BASE)  # fmt: skip

    def run(rtol):
        late = jax.jit(
            lambda: dark_freezeout.late_universe_from_yields(**point, rtol=rtol, max_steps=8192)
        )()
        assert int(late.status) == 0
        return float(late.Omega_chi_h2), int(late.num_steps)

    slow_9, steps_slow = run(1e-9)
    slow_12, _ = run(1e-12)
    monkeypatch.setattr(dark_freezeout, "SLOW_START_RATIO", 1e300)
    full_9, steps_full = run(1e-9)
    full_12, _ = run(1e-12)
    assert steps_slow < 0.85 * steps_full  # measured: 192 against 268
    assert slow_12 == pytest.approx(full_12, rel=1e-10)  # measured: 3.4e-11
    # at the default rtol, each path within its own tolerance error (measured 2.7e-9, 4.2e-9)
    assert slow_9 == pytest.approx(full_12, rel=2e-8)
    assert full_9 == pytest.approx(full_12, rel=2e-8)


def test_late_universe_is_differentiable():
    """Reverse mode at the default tolerance against a central difference of tight solves (the
    full gradient test, all six inputs and forward mode: ``test_late_universe_reference.py``)."""

    def omega(kappa, rtol):
        return dark_freezeout.late_universe_from_yields(
            DeltaY_chi=1e-12, SigmaY_chi=1e-8, xi_end=0.1, m_chi=100.0, m_phi=300.0,
            kappa=kappa, rtol=rtol, max_steps=8192, **BASE,
        ).Omega_chi_h2  # fmt: skip

    k0, h = 0.3, 1e-4
    g = float(jax.jit(jax.grad(omega), static_argnums=1)(k0, 1e-9))
    tight = jax.jit(omega, static_argnums=1)
    fd = float((tight(k0 * (1 + h), 1e-12) - tight(k0 * (1 - h), 1e-12)) / (2 * h * k0))
    assert np.isfinite(g) and g < 0
    assert g == pytest.approx(fd, rel=1e-5)  # measured: 5.8e-7


def test_solve_runs_the_late_universe_by_default(default_model):
    from jaxcogen.production._solve import solve

    plain = solve(default_model, late_universe=False)
    assert plain.late_universe is None and plain.Omega_chi_h2 is None
    full = solve(default_model)  # the full chain is the default of solve()
    for name in (
        "DeltaY_B",
        "DeltaY_L",
        "DeltaY_chi",
        "SigmaY_chi",
        "xi_final",
        "Omega_chi_h2_frozen_in",
    ):
        assert float(getattr(full, name)) == float(getattr(plain, name))
    late = full.late_universe
    assert int(late.status) == 0
    assert float(full.Omega_chi_h2) == float(late.Omega_chi_h2)
    assert float(late.DeltaY_B) == float(plain.DeltaY_B)  # n_B/s is conserved after T_sph
    # kappa = 1 at the built-in m_chi: the symmetric part is gone, Omega = m_chi * 2 Delta Y_chi
    assert float(full.asymmetric_fraction) == pytest.approx(1.0, abs=1e-9)
    m_chi = float(default_model.m_chi)
    ref = constants.omega_h2_per_GeV_yield * m_chi * 2.0 * float(plain.DeltaY_chi)
    assert float(full.Omega_chi_h2) == pytest.approx(ref, rel=1e-9)
    summary = full.summary()
    assert summary["Omega_chi_h2"] == pytest.approx(ref, rel=1e-9)
    assert summary["Omega_chi_h2_frozen_in"] == float(plain.Omega_chi_h2_frozen_in)


def test_no_production_is_a_valid_answer_today(default_model):
    """Issue 21.8: y1 = y2 = 0 makes nothing at all — no dark particles (the portal needs y_i), so
    today's relic is exactly zero and so is the dark radiation; status success, no NaN."""
    import equinox as eqx

    from jaxcogen.production._solve import solve

    empty = eqx.tree_at(lambda m: (m.y1, m.y2), default_model, (0j, 0j))
    sol = solve(empty)
    assert sol.status_name == "success"
    assert float(sol.SigmaY_chi) == 0.0
    assert float(sol.Omega_chi_h2) == 0.0
    assert float(sol.Delta_N_eff) == 0.0
    assert float(sol.N_eff_ok) == 1.0
