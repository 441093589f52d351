"""Late-universe stage against an independent SciPy Radau solve of the same equations (issue 18).

The reference below is written from the equations of ``docs/late_universe.md`` §2–4 alone, in
NumPy/SciPy, without calling jaxcogen's functions: the SM g_*(T), g_*s(T) are read from the shipped
table with SciPy's PCHIP (``tests/reference_numpy.py``), the dark-bath dof fractions come from the
Bessel series of the FD/BE integrals, K_2 from ``scipy.special.kve``, ξ(T) from ``brentq`` on the
entropy condition, and the freeze-out equation is integrated with ``solve_ivp(method="Radau",
rtol=1e-12)`` with its analytic Jacobian.
"""

import math

import jax
import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import brentq
from scipy.special import kv, kve

from jaxcogen.late_universe import _dark_freezeout as lu
from tests import reference_numpy as ref

OMEGA_PER_GEV_YIELD = ref.S0_CM3 / ref.RHO_C_OVER_H2  # 2.7438e8
G_ETA = {"dirac": 7.0 / 8.0 * 4.0, "weyl": 7.0 / 8.0 * 2.0}


def _fractions(z, fermion):
    """rho/rho_0 and s/s_0 of one species at m/T = z (Bessel series of the FD/BE integrals,
    truncated where e^{-kz} < e^{-45})."""
    if z < 1e-3:
        return 1.0, 1.0
    K = np.arange(1, min(400, int(45.0 / z) + 2) + 1)
    sgn = (-1.0) ** (K + 1) if fermion else np.ones(K.size)
    kz = K * z
    P = np.sum(sgn * z**2 * kv(2, kz) / K**2)
    rho = np.sum(sgn * (3 * z**2 * kv(2, kz) / K**2 + z**3 * kv(1, kz) / K))
    rho0 = (7 / 8 if fermion else 1.0) * math.pi**4 / 15
    return rho / rho0, (rho + P) / (4 / 3 * rho0)


def _g_dark(T_chi, m_chi, m_phi, eta, which):
    i = 0 if which == "rho" else 1
    return (
        3.5 * _fractions(m_chi / T_chi, True)[i]
        + 2.0 * _fractions(m_phi / T_chi, False)[i]
        + G_ETA[eta]
    )


def reference_omega(DeltaY_chi, SigmaY_chi, xi_end, m_chi, m_phi, kappa, *, eta="dirac",
                    T_RH=1e10, g_dark=9.0, g_star_s_production=106.75, x_start=1.0,
                    x_stop=1e6):  # fmt: skip
    """Omega_chi h^2 today from Radau (rtol 1e-12) on dN/dtau = -k (N^2 + Delta N - N_eq^2)."""
    r = g_dark * xi_end**3 / g_star_s_production
    m_light = min(m_chi, m_phi)
    xi_rel = xi_end * (g_dark / (3.5 + 2.0 + G_ETA[eta])) ** (1 / 3)
    T_start = min(m_light / (x_start * xi_rel), 1e-2 * T_RH)
    T_stop = m_light / (x_stop * xi_end)
    tau_end = math.log(T_start / T_stop)
    c = 1.0 if eta == "weyl" else 4.0
    D2 = (m_chi**2 + m_phi**2) ** 2
    sv_chi = c * kappa**4 * m_chi**2 / (32 * math.pi * D2)
    c_p, c_s = (1.0, 0.0) if eta == "weyl" else (2.0, 2.0)

    def xi_of(T):
        target = r * ref.g_s(T)
        return brentq(
            lambda y: math.log(_g_dark(math.exp(y) * T, m_chi, m_phi, eta, "s")) + 3 * y
            - math.log(target),
            math.log((target / 10.0) ** (1 / 3)),
            math.log((target / 1.5) ** (1 / 3)),
            xtol=1e-15,
            rtol=1e-15,
        )  # fmt: skip

    def coefficients(tau):
        T = T_start * math.exp(-tau)
        xi = math.exp(xi_of(T))
        Tc = xi * T
        s = 2 * math.pi**2 / 45 * ref.g_s(T) * T**3
        H = ref.C_H * math.sqrt(ref.g_rho(T) + _g_dark(Tc, m_chi, m_phi, eta, "rho") * xi**4)
        H *= T**2 / ref.M_PL
        z1, z2 = m_chi / Tc, m_phi / Tc
        ln1 = math.log(2 * z1**2 * kve(2, z1)) - z1  # ln[g z^2 K_2(z)] without overflow
        ln2 = math.log(z2**2 * kve(2, z2)) - z2
        ln12 = np.logaddexp(ln1, ln2)
        w1, w2 = math.exp(ln1 - ln12), math.exp(ln2 - ln12)
        lnNeq = ln12 + 3 * math.log(Tc) - math.log(2 * math.pi**2 * s)
        sv_phi = kappa**4 / D2 * (c_s * m_chi**2 + c_p * m_phi**2 / z2) / (8 * math.pi)
        k = (1 + ref.delta_heating(T)) * s * (sv_chi * w1**2 + sv_phi * w2**2) / H
        return k, math.exp(2 * lnNeq)

    Delta = abs(2 * DeltaY_chi)
    N0 = max(0.5 * (2 * SigmaY_chi - Delta), 1e-20 * 2 * SigmaY_chi + 1e-300)

    def rhs(tau, N):
        k, E = coefficients(tau)
        return [-k * (N[0] ** 2 + Delta * N[0] - E)]

    def jac(tau, N):
        k, _ = coefficients(tau)
        return [[-k * (2 * N[0] + Delta)]]

    sol = solve_ivp(rhs, (0.0, tau_end), [N0], method="Radau", jac=jac, rtol=1e-12,
                    atol=1e-13 * (0.5 * Delta) + 1e-30 * SigmaY_chi)  # fmt: skip
    assert sol.success, sol.message
    N = sol.y[0, -1]
    return OMEGA_PER_GEV_YIELD * m_light * (2 * N + Delta)


@jax.jit
def _omega(p):
    late = lu.late_universe_from_yields(
        DeltaY_chi=p[0], SigmaY_chi=p[1], xi_end=p[2], m_chi=p[3], m_phi=p[4], kappa=p[5],
        DeltaY_B=0.0, T_RH=1e10,
    )  # fmt: skip
    return late.Omega_chi_h2, late.status, late.num_steps


# (DeltaY_chi, SigmaY_chi, xi_end, m_chi, m_phi, kappa); the Radau reference (Python RHS with a
# brentq for xi per call) takes 1-5 minutes per point on the 2-core CPU, so only the built-in point
# runs by default
DEFAULT_POINTS = [
    (2.5033e-9, 1.087e-4, 0.318, 0.08735, 2.0, 1.0),  # the pre-issue-19 built-in point: asymmetric
    pytest.param((1e-12, 1e-8, 0.1, 100.0, 300.0, 0.3), marks=pytest.mark.slow),  # both parts
    pytest.param((1e-13, 1e-8, 0.2, 10.0, 10.1, 1e-3), marks=pytest.mark.slow),  # mostly symmetric
    pytest.param((0.0, 1e-9, 0.3, 1e4, 1.5e4, 0.05), marks=pytest.mark.slow),  # purely symmetric
    # the m_chi_max bound's point (benchmarks/results/bounds_table_cpu.json; production by a
    # fresh jaxcogen.solve): m_phi/m_chi = 1.009, below the grid's 1.01, kappa at sqrt(4 pi),
    # a symmetric population 7e10 times the asymmetry (1.5e-8 from Radau, 2026-12-06)
    pytest.param(
        (
            1.34116903746902e-14,
            9.368320819072037e-4,
            0.5428059401566937,
            15604.277941483873,
            15748.457484863146,
            3.5375335405731394,
        ),
        marks=pytest.mark.slow,
    ),
]


def _check(point):
    omega, status, steps = _omega(np.array(point, dtype=float))
    expected = reference_omega(*point)
    assert int(status) == 0
    rel = abs(float(omega) / expected - 1.0)
    return rel, int(steps)


@pytest.mark.parametrize("point", DEFAULT_POINTS)
def test_omega_today_matches_radau(point):
    rel, _ = _check(point)
    assert rel <= 1e-6


KAPPAS = [1e-3, 1e-2, 0.1, 1.0, math.sqrt(4 * math.pi)]
MASSES = [1e-3, 1e-1, 10.0, 1e3, 1e4]
RATIOS = [1.01, 3.0, 100.0]


@pytest.mark.slow
@pytest.mark.parametrize("kappa", KAPPAS)
@pytest.mark.parametrize("m_chi", MASSES)
@pytest.mark.parametrize("ratio", RATIOS)
def test_omega_today_matches_radau_grid(kappa, m_chi, ratio):
    # DeltaY_chi from m_chi Delta Y = 4.4e-10 GeV / 2 (the asymmetric relic ~ 0.12), SigmaY 100x
    DeltaY = 2.2e-10 / m_chi
    rel, _ = _check((DeltaY, min(100 * DeltaY, 1e-2), 0.2, m_chi, ratio * m_chi, kappa))
    assert rel <= 1e-6


# ---- gradients against central finite differences ------------------------------------------------

NAMES = ("DeltaY_chi", "SigmaY_chi", "xi_end", "m_chi", "m_phi", "kappa")


def _omega_of(adjoint, rtol):
    def omega(p):
        return lu.late_universe_from_yields(
            **dict(zip(NAMES, p, strict=True)), DeltaY_B=0.0, T_RH=1e10, rtol=rtol,
            max_steps=8192, adjoint=adjoint,
        ).Omega_chi_h2  # fmt: skip

    return omega


def _central_difference(f, p0, i, h):
    up, down = p0.copy(), p0.copy()
    up[i] *= 1 + h
    down[i] *= 1 - h
    return (float(f(up)) - float(f(down))) / (2 * h * p0[i])


#: Relative steps of the central differences: the first is the reference; the spread of all three
#: measures the reference's noise (their truncation errors, O(h^2) ~ 1e-7 relative, are far below).
FD_STEPS = (1e-4, 2e-4, 4e-4)


def _check_gradients(point, modes):
    """AD at the default rtol 1e-9 (and at 1e-12) against central differences (h = 1e-4
    relative) of rtol-1e-12 solves.

    Tolerance: 1e-5 of the derivative, or of 1e-3 Omega per unit relative change where the
    derivative is ~0, plus 3x the reference's own noise — the spread of the central differences
    at h, 2h and 4h (``FD_STEPS``). An adaptive solve's Omega moves by its step-size noise
    (~1e-12 relative at rtol 1e-12 for most points), which the differences amplify by 1/h; where
    a derivative cancels to ~1e-4 of its natural scale (d Omega / d Delta Y_chi at a mostly
    symmetric point with m_phi/m_chi = 1.01: the step noise there is larger, ~1e-10 of Omega) the
    differences cannot resolve it, and the check is then that AD stays within that noise.
    Everywhere else the noise term is far below 1e-5 of the derivative, so the check is the
    strict one."""
    p0 = np.array(point, dtype=float)
    f = jax.jit(_omega_of("recursive", 1e-12))
    scale_omega = abs(float(f(p0)))
    grads = {}
    for mode, rtol in modes:
        if mode == "reverse":
            grads[mode, rtol] = np.asarray(jax.jit(jax.grad(_omega_of("recursive", rtol)))(p0))
        else:
            grads[mode, rtol] = np.asarray(jax.jit(jax.jacfwd(_omega_of("forward", rtol)))(p0))
    for i, name in enumerate(NAMES):
        if p0[i] == 0.0:
            continue
        fds = [_central_difference(f, p0, i, h) for h in FD_STEPS]
        fd, noise = fds[0], max(fds) - min(fds)
        # relative, or 1e-5 of Omega per unit relative change where the derivative is ~0
        scale = max(abs(fd), 1e-3 * scale_omega / abs(p0[i]))
        for key, grad in grads.items():
            assert abs(grad[i] - fd) <= 1e-5 * scale + 3.0 * noise, (name, key, grad[i], fds)


GRADIENT_POINTS = [
    (1e-12, 1e-8, 0.1, 100.0, 300.0, 0.3),  # both relic parts
    (1e-13, 1e-8, 0.2, 10.0, 10.1, 0.01),  # mostly symmetric, nearly degenerate phi
    (2.5033e-9, 1.087e-4, 0.318, 0.08735, 2.0, 1.0),  # the pre-issue-19 built-in point: asymmetric
]


def test_gradients_match_finite_differences():
    """d Omega / d(DeltaY_chi, SigmaY_chi, xi_end, m_chi, m_phi, kappa), reverse mode at the default
    tolerance, one point (measured: <= 1.5e-6 relative)."""
    _check_gradients(GRADIENT_POINTS[0], [("reverse", 1e-9)])


@pytest.mark.slow
@pytest.mark.parametrize("point", GRADIENT_POINTS)
def test_gradients_forward_and_reverse_match_finite_differences(point):
    _check_gradients(
        point, [("reverse", 1e-9), ("forward", 1e-9), ("reverse", 1e-12), ("forward", 1e-12)]
    )
