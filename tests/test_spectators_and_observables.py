"""SM chemical equilibrium (exact fractions) and the conversion to today's observables.

References: Harvey & Turner, PRD 42 (1990) 3344 (B = 28/79 (B−L), L = −51/79 (B−L));
Nardi, Nir, Roulet, Racker, hep-ph/0601084 (one-flavour full-equilibrium c_ℓ, c_H); physics
notes §3.5, §5 and crosscheck.md items 4–5 for the numerical coefficients.
"""

import math
from fractions import Fraction

import pytest

import jaxcogen
from jaxcogen import constants, observables
from jaxcogen.production._boltzmann import chemical_potential_coefficients
from jaxcogen.production._spectators import sm_equilibrium_coefficients


def test_sm_equilibrium_reproduces_harvey_turner():
    c = sm_equilibrium_coefficients()
    assert c.c_baryon == Fraction(28, 79)
    assert c.c_lepton_total == Fraction(-51, 79)
    assert c.c_ell == Fraction(442, 711)
    assert c.c_higgs == Fraction(16, 79)
    assert c.K == Fraction(257, 711)
    assert constants.c_sphaleron == float(c.c_baryon)


def test_chemical_potential_coefficients_match_crosscheck_numbers():
    g = constants.g_star_SM
    c_sm, c_dark = chemical_potential_coefficients("none", g)
    assert float(c_sm) == pytest.approx(231.08 / 2, rel=1e-4)  # MB, lepton doublet alone
    assert float(c_dark) == pytest.approx(462.15, rel=1e-5)  # MB, g_chi = g_phi = 1
    c_sm, c_dark = chemical_potential_coefficients("sm_equilibrium", g)
    assert float(c_sm) == pytest.approx(280.95 * 257 / 711, rel=1e-4)  # = 101.55
    assert float(c_dark) == pytest.approx(421.43, rel=1e-5)  # QS, g_chi = g_phi = 1


def test_relic_density_conversion():
    assert constants.omega_h2_per_GeV_yield == pytest.approx(2.7438e8, rel=1e-4)
    assert float(observables.relic_density(1.0, 1e-9)) == pytest.approx(0.27438, rel=1e-4)


def test_asymmetric_mass_relation():
    """m_χ |ΔY_χ^final| = 4.373e-10 GeV gives Ω h² = 0.12 (notes §5), with the final asymmetry
    ΔY_χ + ΔY_φ = 2 ΔY_χ after φ → χ η̄ (notes §1.2)."""
    assert float(observables.asymmetric_dark_matter_mass(0.5)) == pytest.approx(4.373e-10, rel=1e-3)
    m = float(observables.asymmetric_dark_matter_mass(-2e-12))
    assert float(observables.relic_density(m, 2 * 2e-12)) == pytest.approx(0.12, rel=1e-12)


def test_observed_baryon_asymmetry_from_planck():
    """Y_B = Ω_b h² (ρ_c/h²) / (m_p s_0) = 8.70e-11 for Ω_b h² = 0.0224 (notes §5)."""
    Y_B = constants.Omega_b_h2_observed / (constants.omega_h2_per_GeV_yield * constants.m_proton)
    assert Y_B == pytest.approx(constants.DeltaY_B_observed, rel=2e-3)


def test_baryon_sign_convention():
    assert float(observables.baryon_asymmetry(-1.0)) == pytest.approx(28 / 79)


def test_hubble_coefficient_and_neutrino_mass():
    assert constants.hubble_coefficient == pytest.approx(1.66, rel=2e-4)
    model = jaxcogen.CogenesisModel(**jaxcogen.benchmark_points["default"])
    w = complex(model.w)
    assert float(model.m_nu) == pytest.approx(abs(w) * 174.10**2, rel=1e-4)
    assert float(model.m_nu) < 1e-10  # below 0.1 eV
    assert math.isfinite(float(model.epsilon_L))
