r"""Self-checks of the independent NumPy reference (``tests/reference_numpy.py``) alone.

The closed forms below are re-derived here (not imported from the reference) and compared with the
Radau solution for tiny couplings, where :math:`\xi\ll1` and all wash-out / wash-in terms are
negligible (relative size < 1e-11 for the point used).

Derivation of the finite-:math:`T_{\rm end}` freeze-in yield.  With :math:`z=\ln(T_{\rm RH}/T)`,
:math:`dT/dt=-HT` gives :math:`dY/dz=\gamma/(Hs)`.  For a rate :math:`\gamma=AT^n`,
:math:`Hs=c_H\sqrt{g_*}\,\tfrac{2\pi^2}{45}g_{*s}\,T^5/m_{\rm Pl}` with :math:`c_H=\sqrt{4\pi^3/45}`, so

.. math::
   Y(T_{\rm end})=\int_{T_{\rm end}}^{T_{\rm RH}}\frac{dT}{T}\frac{AT^n}{Hs}
   =\frac{45\,A\,m_{\rm Pl}}{2\pi^2g_{*s}c_H\sqrt{g_*}}\;\frac{T_{\rm RH}^{n-5}-T_{\rm end}^{n-5}}{n-5}
   \quad(n\neq5),\qquad
   \frac{45\,A\,m_{\rm Pl}}{2\pi^2g_{*s}c_H\sqrt{g_*}}\ln\frac{T_{\rm RH}}{T_{\rm end}}\quad(n=5).

Applied to (README §3.4(b), §2.4, ξ→0): :math:`\Sigma Y_\chi` with :math:`A=2|a|^2/16\pi^5` (n=6) plus
:math:`A=2\cdot3|b|^2/2\pi^5` (n=8); :math:`\Delta Y_L` with :math:`A=-\tfrac98J_w/\pi^6` (n=8);
:math:`\Delta Y_\chi` with :math:`A=-\tfrac34J_d/\pi^6` (n=8).

Dark temperature (README §3.4(a), §7 item 4), ξ→0: :math:`du/dz=\frac{30}{\pi^2g_DT^4H}C_E^{\rm tot}(T)`
with :math:`C_E^{\rm tot}=k_5|a|^2T^7+k_6|b|^2T^9`, so
:math:`u(T)=\frac{30m_{\rm Pl}}{\pi^2g_Dc_H\sqrt{g_*}}[k_5|a|^2(T_{\rm RH}-T)+k_6|b|^2(T_{\rm RH}^3-T^3)/3]`.
For ``"exact"`` (:math:`k_5=24/(2\pi)^5`, :math:`k_6=768/(2\pi)^5`) this is README's
:math:`\frac{720m_{\rm Pl}}{\pi^2g_Dc_H\sqrt{g_*}(2\pi)^5}[|a|^2(T_{\rm RH}-T)+\tfrac{32}{3}|b|^2(T_{\rm RH}^3-T^3)]`;
for ``"talk"`` it is the talk's
:math:`\xi^4=\frac{600m_{\rm Pl}\sigma_0}{c_H\sqrt{g_*}(2\pi)^5}\frac{9}{g_D}[F_1(T_{\rm RH}-T)+\tfrac{35}{12m_1^2}F_2(T_{\rm RH}^3-T^3)]`
with :math:`\sigma_0F_1=|a|^2/64\pi`, :math:`\sigma_0F_2=|b|^2m_1^2/16\pi` (README §2.3, §7 item 4).
"""

from __future__ import annotations

import cmath
import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import kv

from tests import reference_numpy as R

M_PL = 1.22093e19
G = 106.75
C_H = math.sqrt(4.0 * math.pi**3 / 45.0)
PI = math.pi


def _yield(A: float, n: int, T_RH: float, T_end: float) -> float:
    """Finite-T_end freeze-in yield of a rate A T^n (module docstring)."""
    pref = 45.0 * A * M_PL / (2.0 * PI**2 * G * C_H * math.sqrt(G))
    if n == 5:
        return pref * math.log(T_RH / T_end)
    return pref * (T_RH ** (n - 5) - T_end ** (n - 5)) / (n - 5)


def _abs2(params):
    M = (params["M1"], params["M2"])
    y = (params["y1"], params["y2"])
    lam = (params["lambda1"], params["lambda2"])
    a = sum(y[i] * lam[i] / M[i] for i in range(2))
    b = sum(y[i].conjugate() * lam[i] / M[i] ** 2 for i in range(2))
    return abs(a) ** 2, abs(b) ** 2


# Tiny couplings: xi ~ 1e-3, wash-out / wash-in relative effects < 1e-11, T_end = 1e-3 T_RH so that
# the finite-T_end terms matter (1e-3 for the dim-5 yield).
TINY = dict(
    M1=1.0e10,
    M2=2.5e10,
    T_RH=1.0e9,
    m_chi=1.0,
    y1=1.0e-4 + 0j,
    y2=cmath.rect(1.5e-4, 0.7),
    lambda1=1.2e-4 + 0j,
    lambda2=cmath.rect(0.8e-4, -1.1),
)
T_END_RATIO = 1.0e-3


@pytest.fixture(scope="module")
def tiny_exact():
    return R.reference_solve(TINY, T_end_ratio=T_END_RATIO)


@pytest.fixture(scope="module")
def tiny_talk():
    return R.reference_solve(TINY, T_end_ratio=T_END_RATIO, energy_transfer="talk", g_dark=7.25)


def test_wilson_and_J_against_readme_expansion():
    """J_w, J_d against the sympy expansion of README §2.4 (y1, λ1 real; y2, λ2 complex)."""
    M1, M2, y1, l1, Y2, L2, ty, tl = 1.3, 2.1, 0.7, 0.4, 0.9, 1.6, 0.8, -0.35
    p = dict(
        M1=M1, M2=M2, T_RH=0.1, m_chi=1.0,
        y1=complex(y1), y2=cmath.rect(Y2, ty), lambda1=complex(l1), lambda2=cmath.rect(L2, tl),
    )  # fmt: skip
    s = math.sin
    Jw = (Y2 * y1 / (M1**3 * M2**3)) * (
        L2 * M1**2 * Y2 * (Y2 * l1 * s(tl + ty) - L2 * y1 * s(2 * ty))
        + L2 * M1 * M2 * l1 * (y1**2 - Y2**2) * s(tl - ty)
        + M2**2 * l1 * y1 * (Y2 * l1 * s(2 * ty) - L2 * y1 * s(tl + ty))
    )
    Jd = (L2 * l1 / (M1**3 * M2**3)) * (
        L2 * M1**2 * Y2 * (Y2 * l1 * s(2 * tl) - L2 * y1 * s(tl + ty))
        + M1 * M2 * Y2 * y1 * (l1**2 - L2**2) * s(tl - ty)
        + M2**2 * l1 * y1 * (Y2 * l1 * s(tl + ty) - L2 * y1 * s(2 * tl))
    )
    J = R.cp_invariants(p)
    assert J["J_w"] == pytest.approx(Jw, rel=1e-12)
    assert J["J_d"] == pytest.approx(Jd, rel=1e-12)
    # CP conjugation flips both; a single N gives zero
    pc = dict(p, y2=p["y2"].conjugate(), lambda2=p["lambda2"].conjugate())
    Jc = R.cp_invariants(pc)
    assert Jc["J_w"] == pytest.approx(-Jw, rel=1e-12) and Jc["J_d"] == pytest.approx(-Jd, rel=1e-12)
    J1 = R.cp_invariants(dict(p, y2=0j, lambda2=0j))
    assert J1["J_w"] == 0.0 and J1["J_d"] == 0.0


def test_energy_transfer_coefficients_bessel_and_talk_constants():
    r"""k5, k6 from Bessel-weighted quadrature at T = 1, and the talk's 150 and 35/4 for g_D = 9.

    Exact: :math:`C_E=\frac{T}{64\pi^4}\int ds\,\hat\sigma\,s\,K_2(\sqrt s/T)` times 2 CP channels;
    talk: :math:`\frac{T}{64\pi^4}\int ds\,\hat\sigma\,s\,K_1(\sqrt s/T)`, one channel;
    :math:`\hat\sigma_5=s/8\pi`, :math:`\hat\sigma_6=s^2/8\pi` (unit couplings), :math:`s=z^2`.
    """

    def CE(power, nu):
        f = lambda z: (z ** (2 * power) / (8 * PI)) * z**2 * kv(nu, z) * 2 * z  # noqa: E731
        return quad(f, 0, 200, limit=200, epsabs=0, epsrel=1e-13)[0] / (64 * PI**4)

    k5, k6 = R.energy_transfer_coefficients("exact")
    assert k5 == pytest.approx(2 * CE(1, 2), rel=1e-10)
    assert k6 == pytest.approx(2 * CE(2, 2), rel=1e-10)
    t5, t6 = R.energy_transfer_coefficients("talk")
    assert t5 == pytest.approx(CE(1, 1), rel=1e-10)
    assert t6 == pytest.approx(CE(2, 1), rel=1e-10)
    # xi^3 dxi/dT = -(1/4) 30 m_Pl/(pi^2 g_D c_H sqrt(g*)) [t5 |a|^2 (1-xi^7) + t6 |b|^2 T^2 (1-xi^9)]
    # talk: -150 m_Pl/(c_H sqrt(g*) (2pi)^5) [sigma0 F1 (1-xi^7) + 35 T^2/(4 m1^2) sigma0 F2 (1-xi^9)]
    # with sigma0 F1 = |a|^2/(64 pi), sigma0 F2 = |b|^2 m1^2/(16 pi).
    pre = 30.0 / (4.0 * PI**2 * 9.0)
    assert pre * t5 * 64 * PI * (2 * PI) ** 5 == pytest.approx(150.0, rel=1e-13)
    assert (t6 * 16 * PI) / (t5 * 64 * PI) * 4 == pytest.approx(35.0, rel=1e-13)


def test_symmetric_yield_closed_form(tiny_exact):
    a2, b2 = _abs2(TINY)
    T_RH = TINY["T_RH"]
    T_end = T_END_RATIO * T_RH
    expect = _yield(2 * a2 / (16 * PI**5), 6, T_RH, T_end) + _yield(
        2 * 3 * b2 / (2 * PI**5), 8, T_RH, T_end
    )
    assert tiny_exact["SigmaY_chi"] == pytest.approx(expect, rel=1e-6)
    # also tighter: the only neglected effects are O(xi^6) ~ 1e-18 and rounding
    assert tiny_exact["SigmaY_chi"] == pytest.approx(expect, rel=1e-10)
    assert tiny_exact["Omega_chi_h2_frozen_in"] == pytest.approx(
        TINY["m_chi"] * expect * 2891.2 / 1.05371e-5, rel=1e-10
    )
    assert 2891.2 / 1.05371e-5 == pytest.approx(2.7438e8, rel=1e-4)  # README §5


def test_asymmetries_closed_form(tiny_exact):
    J = R.cp_invariants(TINY)
    T_RH = TINY["T_RH"]
    T_end = T_END_RATIO * T_RH
    dL = _yield(-9.0 / 8.0 * J["J_w"] / PI**6, 8, T_RH, T_end)
    dX = _yield(-3.0 / 4.0 * J["J_d"] / PI**6, 8, T_RH, T_end)
    assert dL != 0.0 and dX != 0.0
    assert tiny_exact["DeltaY_L"] == pytest.approx(dL, rel=1e-6)
    assert tiny_exact["DeltaY_chi"] == pytest.approx(dX, rel=1e-6)
    # tighter: the neglected wash-out / wash-in is ~3e-11 relative for this point
    assert tiny_exact["DeltaY_L"] == pytest.approx(dL, rel=1e-9)
    assert tiny_exact["DeltaY_chi"] == pytest.approx(dX, rel=1e-9)
    # T_end = 1e6 GeV > T_sph: Y_B is taken at T_end
    assert tiny_exact["DeltaY_B"] == pytest.approx(-28.0 / 79.0 * dL, rel=1e-6)
    # README §7 item 3 (T_end -> 0, prefactors with 1.66 -> c_H shift by -1.4e-4)
    assert tiny_exact["DeltaY_L"] / (J["J_w"] * M_PL * T_RH**3) == pytest.approx(
        -4.8569e-7, rel=3e-4
    )


def test_dark_temperature_closed_form_exact(tiny_exact):
    a2, b2 = _abs2(TINY)
    T_RH = TINY["T_RH"]
    T = T_END_RATIO * T_RH
    u = (720 * M_PL / (PI**2 * 9.0 * C_H * math.sqrt(G) * (2 * PI) ** 5)) * (
        a2 * (T_RH - T) + 32.0 / 3.0 * b2 * (T_RH**3 - T**3)
    )
    assert 1e-14 < u < 1e-8  # xi << 1 indeed
    assert tiny_exact["xi_final"] ** 4 == pytest.approx(u, rel=1e-6)
    assert tiny_exact["xi_final"] ** 4 == pytest.approx(u, rel=1e-12)


def test_dark_temperature_closed_form_talk(tiny_talk):
    a2, b2 = _abs2(TINY)
    T_RH = TINY["T_RH"]
    T = T_END_RATIO * T_RH
    g_dark = 7.25
    u = (600 * M_PL / (C_H * math.sqrt(G) * (2 * PI) ** 5)) * (9.0 / g_dark) * (
        a2 / (64 * PI) * (T_RH - T) + 35.0 / 12.0 * b2 / (16 * PI) * (T_RH**3 - T**3)
    )  # fmt: skip
    assert tiny_talk["xi_final"] ** 4 == pytest.approx(u, rel=1e-6)


def test_baryon_asymmetry_taken_at_sphaleron_freeze_out():
    r"""T_RH = 1 TeV, T_end = 10 GeV < T_sph: Y_B = -(28/79) ΔY_L(T_sph), which differs from the
    T_end value by (T_sph/T_RH)^3 ≈ 2.3e-3 relative."""
    p = dict(
        M1=2.0e4, M2=5.0e4, T_RH=1.0e3, m_chi=1.0,
        y1=3e-7 + 0j, y2=cmath.rect(4e-7, 0.5), lambda1=2e-7 + 0j, lambda2=cmath.rect(5e-7, 1.3),
    )  # fmt: skip
    r = R.reference_solve(p, T_end_ratio=1e-2)
    J = R.cp_invariants(p)
    dL_sph = _yield(-9.0 / 8.0 * J["J_w"] / PI**6, 8, 1.0e3, 131.7)
    dL_end = _yield(-9.0 / 8.0 * J["J_w"] / PI**6, 8, 1.0e3, 10.0)
    assert r["DeltaY_L"] == pytest.approx(dL_end, rel=1e-6)
    assert r["DeltaY_B"] == pytest.approx(-28.0 / 79.0 * dL_sph, rel=1e-6)
    assert abs(dL_sph / dL_end - 1) > 1e-3


def _naive_rhs(T, xi, dL, dX, p, spectators, mixed, energy_transfer="exact", g_dark=9.0):
    """README §3.4 (a), (b), (c') transcribed literally, with μ_D = c ΔY_χ/ξ^3 and γ(ξT) evaluated
    at ξT (only valid for ξ > 0)."""
    c = R.wilson_coefficients(p)
    J = R.cp_invariants(p)
    a2, b2, w2, d2 = (abs(c[k]) ** 2 for k in "abwd")
    g5 = lambda t: a2 * t**6 / (16 * PI**5)  # noqa: E731
    g6 = lambda t: 3 * b2 * t**8 / (2 * PI**5)  # noqa: E731
    gW = 3 * w2 * T**6 / (8 * PI**5)
    gd = lambda tc: d2 * tc**6 / (8 * PI**5)  # noqa: E731
    SL = -9 / 8 * J["J_w"] * T**8 / PI**6
    SX = -3 / 4 * J["J_d"] * T**8 / PI**6
    H = C_H * math.sqrt(G) * T**2 / M_PL
    s = 2 * PI**2 / 45 * G * T**3

    def CE(t):  # C_E^tot: exact = both CP channels, s K_2; talk = one channel, sqrt(s) K_1 moments
        if energy_transfer == "exact":
            return 2 * (12 * a2 * t**7 + 384 * b2 * t**9) / (2 * PI) ** 5
        return (45 * PI / 2 * a2 * t**7 + 1575 * PI / 2 * b2 * t**9) / (256 * PI**5)

    du = 30 / (PI**2 * g_dark * T**4 * H) * (CE(T) - CE(xi * T))
    dsig = 2 * (g6(T) * (1 - xi**8) + g5(T) * (1 - xi**6)) / (H * s)
    if spectators == "none":  # MB: mu = pi^4 g_s DY / (45 g (T_X/T)^3); no Higgs asymmetry
        muLH = PI**4 * G * dL / (45 * 2)
        muD = PI**4 * G * dX / (45 * 1 * xi**3) + PI**4 * G * dX / (45 * 1 * xi**3)
    else:  # quantum statistics + K = 257/711
        muLH = -(257 / 711) * (4 * PI**2 * G / 15) * (-dL)
        muD = 4 * PI**2 * G * dX / (15 * xi**3) + 2 * PI**2 * G * dX / (15 * xi**3)
    m = 1.0 if mixed else 0.0
    mix5 = 3 * xi**3 * g5(T)
    mix6 = 4 / 3 * xi**4 * g6(T)
    ddL = (
        SL * (1 - xi**8)
        - 2 * (g6(T) + g5(T) + 4 * gW + m * (mix5 + mix6)) * muLH
        + 2 * (g6(xi * T) - g5(xi * T) + m * (mix6 - mix5)) * muD
    ) / (H * s)
    ddX = (
        SX * (1 - xi**8)
        + 2 * (g6(T) - g5(T) + m * (mix6 - mix5)) * muLH
        - 2 * (g6(xi * T) + g5(xi * T) + 4 * gd(xi * T) + m * (mix5 + mix6)) * muD
    ) / (H * s)
    return np.array([du, dsig, ddL, ddX])


@pytest.mark.parametrize("spectators", ["none", "sm_equilibrium"])
@pytest.mark.parametrize("mixed", [True, False])
@pytest.mark.parametrize("energy_transfer", ["exact", "talk"])
def test_rhs_matches_literal_readme_equations(spectators, mixed, energy_transfer):
    """The analytic ξ^-3 cancellation and the w = 1-u branch reproduce the literal equations."""
    p = dict(
        M1=1e11, M2=3e11, T_RH=5e9, m_chi=1.0,
        y1=0.05 + 0j, y2=cmath.rect(0.08, 0.9), lambda1=0.1 + 0j, lambda2=cmath.rect(0.15, -0.6),
    )  # fmt: skip
    T, dL, dX = 2.3e9, -3.1e-10, 7.7e-10
    for xi in (0.013, 0.37, 0.93):
        u = xi**4
        ref = _naive_rhs(T, xi, dL, dX, p, spectators, mixed, energy_transfer, 9.0)
        kw = dict(energy_transfer=energy_transfer, mixed_processes=mixed, spectators=spectators)
        got = R.derivatives(T, [u, 0.0, dL, dX], p, **kw)
        got_w = R.derivatives(T, [u, 0.0, dL, dX], p, one_minus_u=1.0 - u, **kw)
        np.testing.assert_allclose(got, ref, rtol=1e-11)
        np.testing.assert_allclose(got_w, ref, rtol=1e-11)
        # fixed_xi gives the same asymmetry / yield derivatives and du = 0
        got_f = R.derivatives(T, [0.0, 0.0, dL, dX], p, fixed_xi=xi, **kw)
        np.testing.assert_allclose(got_f[1:], ref[1:], rtol=1e-11)
        assert got_f[0] == 0.0


def test_jacobian_matches_finite_differences():
    p = dict(
        M1=1e10, M2=2.5e10, T_RH=2e9, m_chi=1.0,
        y1=0.3 + 0j, y2=cmath.rect(0.5, 0.7), lambda1=0.4 + 0j, lambda2=cmath.rect(0.6, -1.1),
    )  # fmt: skip
    st = np.array([0.3**4, 1e-5, 3e-9, -2e-9])
    for kw in (dict(), dict(spectators="sm_equilibrium", mixed_processes=False)):
        J = R.jacobian(1e9, st, p, **kw)
        Jn = np.zeros((4, 4))
        for j in range(4):
            h = abs(st[j]) * 1e-5
            e = np.zeros(4)
            e[j] = h
            Jn[:, j] = (
                R.derivatives(1e9, st + e, p, **kw) - R.derivatives(1e9, st - e, p, **kw)
            ) / (2 * h)
        np.testing.assert_allclose(J, Jn, rtol=1e-7, atol=1e-7 * np.abs(J).max())


def test_xi_equal_one_gives_nothing():
    """README §7 item 5: at ξ = 1 no energy transfer, no net production, no asymmetry."""
    r = R.reference_solve(TINY, fixed_xi=1.0, T_end_ratio=1e-2)
    assert r["xi_final"] == 1.0
    assert r["SigmaY_chi"] == 0.0 and r["DeltaY_L"] == 0.0 and r["DeltaY_chi"] == 0.0


def test_cp_conjugation_flips_asymmetries():
    """README §7 item 7, on a point with O(1) wash-out and ξ ~ 0.4."""
    p = dict(
        M1=1e11, M2=3e11, T_RH=5e9, m_chi=1.0,
        y1=0.05 + 0j, y2=cmath.rect(0.08, 0.9), lambda1=0.1 + 0j, lambda2=cmath.rect(0.15, -0.6),
    )  # fmt: skip
    pc = {k: (v.conjugate() if isinstance(v, complex) else v) for k, v in p.items()}
    r = R.reference_solve(p, rtol=1e-10)
    rc = R.reference_solve(pc, rtol=1e-10)
    assert 0.1 < r["xi_final"] < 0.9
    assert rc["xi_final"] == pytest.approx(r["xi_final"], rel=1e-12)
    assert rc["SigmaY_chi"] == pytest.approx(r["SigmaY_chi"], rel=1e-12)
    assert rc["DeltaY_L"] == pytest.approx(-r["DeltaY_L"], rel=1e-9)
    assert rc["DeltaY_chi"] == pytest.approx(-r["DeltaY_chi"], rel=1e-9)


def test_converged_when_dark_sector_thermalises():
    """ξ → 1 - 7e-6: the sources ∝ 1 - ξ^8 are tiny and read from w = 1 - u; the asymmetries (washed
    out to ~1e-9 of their closed-form size) still converge: rtol 1e-8 and 1e-10 agree to 1e-9 (with
    1 - u^2 computed from u instead, the integrator stalls on rounding noise).

    Run with constant g_* = 106.75: with the g_*(T) table the SM is heated below ~1 TeV after the
    dark sector has decoupled, and ξ_final drops to ~0.987 (physical; the convergence check of
    the rest of the test is the same)."""
    p = dict(
        M1=1e11, M2=3e11, T_RH=5e9, m_chi=1.0,
        y1=0.24 + 0j, y2=cmath.rect(0.30, 0.9), lambda1=0.40 + 0j, lambda2=cmath.rect(0.50, -0.6),
    )  # fmt: skip
    R.G_MODE["mode"] = "constant"
    try:
        lo = R.reference_solve(p, rtol=1e-8)
        hi = R.reference_solve(p, rtol=1e-10)
    finally:
        R.G_MODE["mode"] = "table"
    assert 1 - 1e-4 < hi["xi_final"] < 1.0
    for k in ("xi_final", "SigmaY_chi", "DeltaY_L", "DeltaY_chi", "DeltaY_B"):
        assert lo[k] == pytest.approx(hi[k], rel=1e-9), k
