"""Bad input gets a clear ValueError naming the parameter (before any tracing); failures in jit
become per-point status codes with NaN outputs, never silently wrong numbers."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxcogen

from .conftest import make_model


@pytest.mark.parametrize(
    "overrides, name",
    [
        ({"M1": 1e11}, "M1"),  # M1 < 5 T_RH = 1.65e11 (built-in T_RH = 3.3e10)
        ({"M2": 1.5e11}, "M2"),
        ({"m_chi": 3e11}, "m_chi"),  # > 5 T_RH
        ({"m_phi": 1e12}, "m_phi"),
        ({"m_chi": -1.0}, "m_chi"),
        ({"T_RH": 0.0}, "T_RH"),
        ({"T_RH": float("nan")}, "T_RH"),
        ({"kappa": -0.1}, "kappa"),
        ({"y1": complex(float("inf"), 0)}, "y1"),
        ({"lambda2": float("nan")}, "lambda2"),
        ({"M1": "heavy"}, "M1"),
        ({"M1": 1e12 + 1e3j}, "M1"),
    ],
)
def test_model_rejects_bad_input(overrides, name):
    with pytest.raises(ValueError, match=name):
        make_model(**overrides)


def test_hierarchy_message_names_the_range():
    with pytest.raises(ValueError, match=r"M1=1e\+11 GeV: must be > 5\*T_RH = 1\.65e\+11 GeV"):
        make_model(M1=1e11)


def test_hierarchy_factor_can_be_overridden_explicitly():
    p = dict(jaxcogen.benchmark_points["default"])
    p["M1"] = 3 * p["T_RH"]
    with pytest.raises(ValueError, match="M1"):
        jaxcogen.CogenesisModel(**p)
    model = jaxcogen.CogenesisModel(**p, eft_hierarchy=2.0)
    assert bool(model.is_valid())
    # below 1 (even T_RH > M_i) is allowed, for the dynamical-N mode; only h > 0 is required
    assert bool(jaxcogen.CogenesisModel(**p, eft_hierarchy=0.5).is_valid())
    for bad in (0.0, -1.0):
        with pytest.raises(ValueError, match="eft_hierarchy"):
            jaxcogen.CogenesisModel(**p, eft_hierarchy=bad)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"energy_transfer": "fast"}, "energy_transfer"),
        ({"spectators": "all"}, "spectators"),
        ({"g_dark": -1.0}, "g_dark"),
        ({"mixed_processes": "yes"}, "mixed_processes"),
    ],
)
def test_conventions_reject_bad_values(kwargs, name):
    with pytest.raises(ValueError, match=name):
        jaxcogen.Conventions(**kwargs)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"rtol": 0.5}, "rtol"),
        ({"T_end_ratio": 2.0}, "T_end_ratio"),
        ({"solver": "Euler"}, "solver"),
        ({"adjoint": "magic"}, "adjoint"),
        ({"max_steps": 0}, "max_steps"),
        ({"fixed_xi": 1.5}, "fixed_xi"),
        ({"n_save": 1}, "n_save"),
    ],
)
def test_solve_rejects_bad_settings(default_model, kwargs, name):
    with pytest.raises(ValueError, match=name):
        jaxcogen.solve(default_model, **kwargs)


def test_max_steps_exhaustion_is_reported_not_hidden(default_model):
    sol = jaxcogen.solve(default_model, max_steps=4)
    assert sol.status_name == "max_steps_reached"
    assert not sol.succeeded
    for name in ("DeltaY_B", "DeltaY_L", "DeltaY_chi", "SigmaY_chi", "xi_final", "Omega_chi_h2"):
        assert np.isnan(float(getattr(sol, name))), name


def test_invalid_point_inside_jit_is_flagged(default_model):
    """A traced model cannot raise; it gets status 'invalid_input' and NaN outputs instead.

    The EFT's validity rule (M_i > 5 T_RH), so the EFT forced: under the default regime="auto" a
    traced point below the hierarchy is solved with dynamical heavy neutrinos, valid there."""

    @jax.jit
    def solve_with_M1(M1):
        model = eqx.tree_at(lambda m: m.M1, default_model, M1)
        sol = jaxcogen.solve(model, regime="eft")
        return sol.status, sol.DeltaY_B

    status, value = solve_with_M1(jnp.asarray(1e10))
    assert jaxcogen.status_name(int(status)) == "invalid_input"
    assert np.isnan(float(value))
    status, value = solve_with_M1(jnp.asarray(1e12))
    assert int(status) == 0 and np.isfinite(float(value))
