"""The EFT validity diagnostic (``jaxcogen.production._validity``) against independent numbers."""

import math

import jax
import numpy as np
import pytest
from scipy import integrate

import jaxcogen
from jaxcogen.production._validity import (
    RESONANT_RATIO_LIMIT,
    X99_DIM6,
    EFTValidityWarning,
    eft_validity,
    resonant_chi_production,
)


def single_n(coupling: float, M_over_T: float) -> jaxcogen.CogenesisModel:
    """One heavy neutrino (N2 decoupled: y2 = lambda2 = 0) with y1 = lambda1 = coupling."""
    return jaxcogen.CogenesisModel(
        M1=1e12,
        M2=3e12,
        y1=coupling,
        y2=0.0,
        lambda1=coupling,
        lambda2=0.0,
        m_chi=1.0,
        m_phi=2.0,
        kappa=1.0,
        T_RH=1e12 / M_over_T,
        eft_hierarchy=4.0,  # explicit override: the table below starts at M = 5 T
    )


@pytest.mark.parametrize(
    ("coupling", "M_over_T", "full_over_eft"),
    [(1.0, 5, 22), (1.0, 10, 6), (0.1, 5, 2e3), (0.1, 10, 500), (0.01, 5, 2e5), (0.01, 10, 5e4)],
)
def test_reproduces_the_breit_wigner_integrals_of_the_crosscheck(coupling, M_over_T, full_over_eft):
    """``shared/physics/crosscheck.md``, warning 1: a full Breit–Wigner integral (single N, y = λ)
    gives (EFT + resonant)/EFT χ production = 22, 6 (couplings 1), 2e3, 500 (0.1), 2e5, 5e4
    (0.01) at T = M/5, M/10. The table has one or two significant figures (2e3, 5e4), hence 10 %.
    (At M/20, M/30 the table's values also contain the O(s/M^2) off-shell corrections of the full
    propagator, which the EFT rates leave out, so only the resonance-dominated entries are used.)
    """
    ratio = float(eft_validity(single_n(coupling, M_over_T)).resonant_ratio)
    assert 1.0 + ratio == pytest.approx(full_over_eft, rel=0.1)


def test_resonant_rate_equals_the_momentum_integral():
    r"""Inverse decays LH → N at the rate of the time-dilated decays N → LH of an equilibrium MB
    population, g_N ∫ d³p/(2π)³ e^{-E/T} (M/E) Γ_LH, times the dark branching ratio Γ_χ/Γ,
    integrated with scipy over p; the closed form uses
    ∫ d³p e^{-E/T} M/E = 4π M² T K_1(M/T)."""
    model = jaxcogen.CogenesisModel(
        **{**jaxcogen.benchmark_points["default"], "T_RH": 2e11}, eft_hierarchy=2.0
    )
    T = 2e11
    expected = 0.0
    for M, y, lam in ((1e12, 0.04, 0.3), (3e12, abs(model.y2), abs(model.lambda2))):
        M, y, lam = float(M), float(y), float(lam)
        width_lepton, width_dark = y**2 * M / (8 * math.pi), lam**2 * M / (16 * math.pi)
        width = width_lepton + width_dark

        def integrand(p, M=M, width_lepton=width_lepton):
            E = math.hypot(p, M)
            phase_space = 2.0 * 4 * math.pi * p**2 / (2 * math.pi) ** 3
            return phase_space * math.exp(-E / T) * M / E * width_lepton

        gamma_D, _ = integrate.quad(integrand, 0.0, 200 * T, epsrel=1e-12, limit=200)
        expected += gamma_D * width_dark / width
    np.testing.assert_allclose(float(resonant_chi_production(model, T)), expected, rtol=1e-9)


def test_momentum_percentile_and_verdicts():
    """x_99 from the closed-form total ∫ x^6 K_1 = 2^5 Γ(4) Γ(3) = 384 (scipy quadrature); the
    built-in point (M/T_RH = 30.3) passes, the hierarchy boundary with small couplings fails."""
    from scipy.special import k1

    below, _ = integrate.quad(lambda x: x**6 * k1(x), 0.0, X99_DIM6, epsrel=1e-12)
    assert below / 384.0 == pytest.approx(0.99, abs=1e-9)

    default = eft_validity(jaxcogen.CogenesisModel(**jaxcogen.benchmark_points["default"]))
    assert bool(default.trustworthy)
    point = jaxcogen.benchmark_points["default"]
    assert float(default.s_over_M1_squared) == pytest.approx(
        (X99_DIM6 * point["T_RH"] / point["M1"]) ** 2
    )
    bad = eft_validity(single_n(0.01, 6))
    assert not bool(bad.trustworthy) and "not trustworthy" in bad.message()


def test_jit_and_vmap():
    models = [single_n(g, 10) for g in (1.0, 0.1)]
    stacked = jax.tree.map(lambda *xs: jax.numpy.stack(xs), *models)
    batched = jax.jit(jax.vmap(lambda m: eft_validity(m).resonant_ratio))(stacked)
    singles = [float(eft_validity(m).resonant_ratio) for m in models]
    np.testing.assert_allclose(np.asarray(batched), singles, rtol=1e-13)


# ---- the diagnostic reaches the user: Solution, solve() warning, CLI, scans ---------------------


def near_boundary() -> jaxcogen.CogenesisModel:
    """The built-in point with T_RH raised to M1/6.7: inverse decays dominate (ratio ~300)."""
    return jaxcogen.CogenesisModel(**{**jaxcogen.benchmark_points["default"], "T_RH": 1.5e11})


def test_solution_carries_the_diagnostic_and_solve_warns():
    import warnings

    model = near_boundary()
    # the warning is for a forced EFT solve (the default regime="auto" takes N as species here)
    with pytest.warns(EFTValidityWarning, match="not trustworthy.*regime='auto'"):
        sol = jaxcogen.solve(model, regime="eft")
    expected = eft_validity(model)
    # the same function inside solve's jit and eagerly: equal up to the rounding of fused operations
    assert float(sol.eft_resonant_ratio) == pytest.approx(float(expected.resonant_ratio), rel=1e-14)
    assert float(expected.resonant_ratio) > 100
    assert not bool(sol.eft_trustworthy)
    with warnings.catch_warnings():
        warnings.simplefilter("error", EFTValidityWarning)  # no warning at the built-in point
        assert bool(
            jaxcogen.solve(
                jaxcogen.CogenesisModel(**jaxcogen.benchmark_points["default"])
            ).eft_trustworthy
        )


def test_warning_follows_the_per_observable_criterion():
    """Issue 19: a forced EFT solve warns where the per-observable criterion does not trust it, and
    names the observable and its estimated error; not for observables that were not requested,
    nor under a tolerance the estimate meets. At M_1/T_RH = 26 (built-in couplings) the CP-even
    rule passes (resonant ratio < 0.1), but the estimate for Delta Y_B is above 1e-2."""
    import re
    import warnings

    from jaxcogen.production._validity import EFT_TOLERANCE, eft_error_estimate

    fields = dict(jaxcogen.benchmark_points["default"])
    model = jaxcogen.CogenesisModel(**{**fields, "T_RH": fields["M1"] / 26.0})
    estimate = eft_error_estimate(model)
    assert bool(eft_validity(model).trustworthy)  # the old rule would not have warned
    assert float(estimate.SigmaY_chi) < EFT_TOLERANCE < float(estimate.DeltaY_B) < 0.1
    options = dict(regime="eft", late_universe=False, n_save=2)
    with pytest.warns(EFTValidityWarning) as caught:
        solution = jaxcogen.solve(model, **options)
    message = str(caught[0].message)
    assert "DeltaY_B" in message and "regime='auto'" in message
    assert "SigmaY_chi" not in message
    quoted = float(re.search(r"DeltaY_B off by up to ([0-9.e+-]+)", message).group(1))
    assert quoted == pytest.approx(float(estimate.DeltaY_B), rel=0.05)  # printed to 2 digits
    # the same solution judged under other settings (what solve does after integrating)
    from jaxcogen.production._settings import SolveSettings
    from jaxcogen.production._solve import _warn_if_eft_untrustworthy

    with warnings.catch_warnings():
        warnings.simplefilter("error", EFTValidityWarning)
        for other in (dict(eft_observables="SigmaY_chi,xi_final"), dict(eft_tolerance=0.1)):
            _warn_if_eft_untrustworthy(solution, SolveSettings.create(**options, **other))


def test_cli_prints_a_warning_line():
    from typer.testing import CliRunner

    from jaxcogen.cli._main import app

    result = CliRunner().invoke(
        app, ["solve", "--production-only", "--set", "T_RH=1.5e11", "--set", "solve.regime=eft"]
    )
    assert result.exit_code == 0
    assert "warning: EFT not trustworthy" in result.output


def test_scan_summary_counts_untrustworthy_points():
    base = jaxcogen.CogenesisModel(**jaxcogen.benchmark_points["default"])
    # the EFT at every point, production only: the count is the production stage's diagnostic of
    # each succeeded point, and the point counted (M1/T_RH = 6.7) is then integrated with the EFT
    # itself (regime="auto" would compile and run the dynamical system, and the late stage, for it)
    options = {"regime": "eft", "late_universe": False}
    ds = jaxcogen.scan(
        base,
        {"T_RH": np.array([2e10, 5e10, 1.5e11])},
        progress=False,
        chunk_size=4,
        solve_options=options,
    )
    summary = jaxcogen.scan_summary(ds)
    assert summary.n_eft_untrustworthy == 1
    assert "outside the EFT" in str(summary)
    ratios = ds["eft_resonant_ratio"].values
    assert ratios[2] > 100 and ratios[0] < ratios[1] < RESONANT_RATIO_LIMIT


# ---- the per-observable estimate (issue 19 item 2) -------------------------------------------


@pytest.mark.parametrize(
    ("z0", "power", "order"), [(0.0, 3, 1), (0.0, 4, 2), (5.0, 3, 1), (30.0, 4, 2)]
)
def test_bessel_tail_integral(z0, power, order):
    r""":math:`e^{z_0}\int_{z_0}^\infty z^pK_\nu`: at :math:`z_0=0` the closed form
    :math:`2^{p-1}\Gamma(\frac{1+p+\nu}2)\Gamma(\frac{1+p-\nu}2)`, elsewhere scipy quad of ``kve``.

    Tolerance 1e-8: at :math:`z_0=0` the integrand's small-:math:`z` expansion has a
    :math:`z^{p+1}\ln z` term that limits the 48-point Gauss–Laguerre rule (measured 1.6e-9 for
    :math:`z^3K_1`); the estimate it feeds is calibrated with a margin of 3, so 1e-8 is far more
    than it needs. At :math:`z_0\ge5` (every EFT model) the rule is exact to rounding."""
    from scipy.special import kve

    from jaxcogen.production._validity import bessel_tail_integral

    if z0 == 0.0:
        expected = 2 ** (power - 1) * math.gamma((1 + power + order) / 2)
        expected *= math.gamma((1 + power - order) / 2)
    else:
        expected = integrate.quad(
            lambda t: (z0 + t) ** power * kve(order, z0 + t) * math.exp(-t),
            0,
            np.inf,
            epsabs=0,
            epsrel=1e-13,
        )[0]
    assert float(bessel_tail_integral(z0, power, order)) == pytest.approx(expected, rel=1e-8)


@pytest.mark.parametrize("M_over_T", [6.0, 20.0])
def test_on_shell_production_integral_against_quadrature_in_temperature(M_over_T):
    r"""``on_shell_integrals(model).production`` equals
    :math:`\int_0^\infty\gamma^{\rm res}_\chi(T)/(Hs)\,d\tau\,/\,\int_0^\infty2(\gamma_5+\gamma_6)/(Hs)\,d\tau`
    computed by scipy quad over :math:`\tau` from :func:`resonant_chi_production` and the analytic
    EFT rates at each temperature (an independent route: no Bessel-tail closed form, no power-law
    integral). :math:`g_*` is constant above the top mass, where both integrands live.
    """
    from jaxcogen import cosmology, rates
    from jaxcogen.production._validity import on_shell_integrals

    fields = dict(jaxcogen.benchmark_points["default"])
    fields["T_RH"] = fields["M1"] / M_over_T
    model = jaxcogen.CogenesisModel(**fields)
    T_RH = fields["T_RH"]

    def per_efold(tau, rate):
        T = T_RH * math.exp(-tau)
        return float(rate(T) * cosmology.yield_rate_factor(T))

    def eft(T):
        return 2.0 * (rates.gamma_dim5(model, T) + rates.gamma_dim6(model, T))

    on_shell = integrate.quad(
        per_efold,
        0,
        40,
        args=(lambda T: resonant_chi_production(model, T),),
        epsrel=1e-10,
        limit=200,
    )[0]
    off_shell = integrate.quad(per_efold, 0, 40, args=(eft,), epsrel=1e-10, limit=200)[0]
    assert float(on_shell_integrals(model).production) == pytest.approx(
        on_shell / off_shell, rel=1e-6
    )
