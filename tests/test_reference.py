"""jaxcogen against an independent NumPy implementation solved with scipy Radau at rtol 1e-12.

`tests/reference_numpy.py` was written from the physics notes alone, without looking at the
package (different variables' scaling, different integrator, a two-segment solve for the
sphaleron read-out). Agreement on every output to ≤ 1e-6 relative at jaxcogen's *default*
tolerances, at random points spanning weak and strong wash-out, and for every convention.

The reference implements the EFT system with the conventions that were the defaults before
issue 19 (spectators ``"none"`` or ``"sm_equilibrium"``, the sink's reactions ignored, the SM
alone in H): the solves here pass them, and ``regime="eft"``, explicitly (``LEGACY``).
"""

import math

import numpy as np
import pytest

import jaxcogen
from jaxcogen.model._conventions import LEGACY_CONVENTIONS as LEGACY

from .conftest import polar
from .reference_numpy import reference_solve

OUTPUTS = ("DeltaY_B", "DeltaY_L", "DeltaY_chi", "SigmaY_chi", "xi_final", "Omega_chi_h2_frozen_in")


def random_point(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    T_RH = 10 ** rng.uniform(8, 11)
    M1 = T_RH * 10 ** rng.uniform(math.log10(8), 2.5)
    M2 = M1 * 10 ** rng.uniform(0.1, 1.0)
    return {
        "M1": M1,
        "M2": M2,
        "T_RH": T_RH,
        "y1": polar(10 ** rng.uniform(-2.5, -0.3), rng.uniform(-math.pi, math.pi)),
        "y2": polar(10 ** rng.uniform(-2.5, -0.3), rng.uniform(-math.pi, math.pi)),
        "lambda1": polar(10 ** rng.uniform(-2.5, 0), rng.uniform(-math.pi, math.pi)),
        "lambda2": polar(10 ** rng.uniform(-2.5, 0), rng.uniform(-math.pi, math.pi)),
        "m_chi": 1.0,
        "m_phi": 2.0,
        "kappa": 1.0,
    }


CASES = [
    ("default", {}),
    ("talk+sm_equilibrium", {"energy_transfer": "talk", "spectators": "sm_equilibrium"}),
    ("no mixed", {"mixed_processes": False}),
]


SEEDS = (11, 12, 13, 14)
# Every convention set agrees with the reference at seed 11 in the default run, and the default
# set at all four points (weak to strong wash-out); the other sets' remaining three points (~7 s
# each: a scipy Radau reference at rtol 1e-12) are slow.
REFERENCE_CASES = [
    pytest.param(
        seed,
        name,
        conventions,
        marks=pytest.mark.slow if name != "default" and seed != 11 else (),
        id=f"{name}-{seed}",
    )
    for name, conventions in CASES
    for seed in SEEDS
]


@pytest.mark.parametrize("seed, name, conventions", REFERENCE_CASES)
def test_agrees_with_independent_reference(seed, name, conventions):
    params = random_point(seed)
    model = jaxcogen.CogenesisModel(
        **params, conventions=jaxcogen.Conventions(**{**LEGACY, **conventions})
    )
    sol = jaxcogen.solve(model, regime="eft")
    assert sol.succeeded
    ref = reference_solve(params, rtol=1e-12, **conventions)
    for key in OUTPUTS:
        np.testing.assert_allclose(float(getattr(sol, key)), ref[key], rtol=1e-6, err_msg=key)


def test_agrees_at_builtin_point():
    params = dict(jaxcogen.benchmark_points["default"])
    model = jaxcogen.CogenesisModel(**params, conventions=jaxcogen.Conventions(**LEGACY))
    solution = jaxcogen.solve(model, regime="eft")
    ref = reference_solve(params, rtol=1e-12)
    for key in OUTPUTS:
        np.testing.assert_allclose(float(getattr(solution, key)), ref[key], rtol=1e-6, err_msg=key)


def test_agrees_with_xi_held_fixed():
    params = random_point(21)
    model = jaxcogen.CogenesisModel(**params, conventions=jaxcogen.Conventions(**LEGACY))
    sol = jaxcogen.solve(model, fixed_xi=0.4, regime="eft")
    ref = reference_solve(params, rtol=1e-12, fixed_xi=0.4)
    for key in ("DeltaY_L", "DeltaY_chi", "SigmaY_chi"):
        np.testing.assert_allclose(float(getattr(sol, key)), ref[key], rtol=1e-6, err_msg=key)
