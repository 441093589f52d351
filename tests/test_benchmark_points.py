"""The built-in point does what the README says: the observed universe, both targets at once.

Not a physics test (those compare against independent references elsewhere) but a guard on the
documentation: the point's |lambda_2| and m_chi were tuned so that Delta Y_B = 8.7e-11 and, after
the late-universe stage, Omega_chi h^2 = 0.120 (Planck 2018, notes §5), under the default
conventions and settings (issue 19: ``regime="auto"``, which must pick the EFT there).
"""

import warnings

import pytest

import jaxcogen
from jaxcogen import constants
from jaxcogen.production._settings import REGIME_EFT


def test_default_point_reproduces_the_observed_universe():
    model = jaxcogen.CogenesisModel(**jaxcogen.benchmark_points["default"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", jaxcogen.EFTValidityWarning)
        sol = jaxcogen.solve(model, late_universe=True)
    assert sol.succeeded
    # the default point is one where the per-observable criterion trusts the EFT (fast default)
    assert int(sol.regime_used) == REGIME_EFT
    assert bool(sol.eft_trusted_for())
    assert model.conventions == jaxcogen.Conventions()  # the defaults it was tuned under
    assert float(sol.DeltaY_B) == pytest.approx(constants.DeltaY_B_observed, rel=1e-6)
    assert float(sol.Omega_chi_h2) == pytest.approx(constants.Omega_c_h2_observed, rel=1e-5)
    assert float(sol.asymmetric_fraction) > 0.99
    assert bool(sol.late_universe.N_eff_ok)
