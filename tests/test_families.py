r"""The scan and fit machinery on the validation models (:mod:`jaxcogen.models._families`).

Independent references: the linearity of the BDP equations in :math:`\varepsilon_1` (derived
below), single-point solves outside the scan machinery, the Newton solve
:func:`~jaxcogen.models.freeze_out.sigma_v_for_relic` (a different algorithm from the optax fit),
and central finite differences for the loss gradient.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxcogen
from jaxcogen.fitting._fit import fit
from jaxcogen.fitting._problem import FitProblem
from jaxcogen.fitting._transforms import free_parameters
from jaxcogen.models._families import FREEZE_IN_DECAY, FREEZE_OUT, LEPTOGENESIS, family_of
from jaxcogen.models.freeze_in_decay import (
    FreezeInDecayModel,
    closed_form_yield,
    solve_freeze_in_decay,
)
from jaxcogen.models.freeze_out import FreezeOutModel, sigma_v_for_relic, solve_freeze_out
from jaxcogen.models.leptogenesis import (
    STATUS_INVALID_INPUT,
    LeptogenesisModel,
    m_star_eV,
    solve_leptogenesis,
)

BASE = dict(M_1=1e10, epsilon_1=-1e-6, mtilde_1=1e-2)


@pytest.fixture(scope="module")
def leptogenesis_scan():
    """mtilde_1 (3 values, K ~ 0.9 ... 93) x epsilon_1 (two valid values, one outside |ε| <= 1)."""
    return jaxcogen.scan(
        LeptogenesisModel(**BASE),
        grid={"mtilde_1": np.geomspace(1e-3, 1e-1, 3), "epsilon_1": [-1e-6, -3e-6, 5.0]},
        chunk_size=4,
        progress=False,
    )


def test_family_dispatch_and_unknown_model():
    assert family_of(LeptogenesisModel(**BASE)) is LEPTOGENESIS
    assert family_of(FreezeOutModel(m_chi=100.0, sigma_v=2e-26)) is FREEZE_OUT
    assert family_of(FreezeInDecayModel(m_B=1e3, Gamma=1e-13, m_X=1e-6)) is FREEZE_IN_DECAY
    with pytest.raises(TypeError, match="supported: CogenesisModel, LeptogenesisModel"):
        family_of(object())


def test_leptogenesis_scan_matches_single_solves(leptogenesis_scan):
    """Each valid point equals :func:`solve_leptogenesis` of the same model, solved alone.

    The vmapped adaptive solve gives every point its own step sequence, so the agreement is at
    round-off (1e-10 allows for a different order of floating-point operations under vmap).
    """
    ds = leptogenesis_scan
    assert ds.attrs["model_family"] == "leptogenesis"
    assert ds["mtilde_1"].attrs["units"] == "eV" and ds["mtilde_1"].attrs["scale"] == "log"
    for mtilde in ds["mtilde_1"].values[[0, 2]]:
        alone = solve_leptogenesis(LeptogenesisModel(**{**BASE, "mtilde_1": float(mtilde)}))
        point = ds.sel(mtilde_1=mtilde, epsilon_1=-1e-6)
        assert int(point.status) == 0
        for name in ("eta_B", "Y_B", "kappa_f"):
            assert float(point[name]) == pytest.approx(float(getattr(alone, name)), rel=1e-10)


def test_leptogenesis_scan_is_linear_in_epsilon_and_flags_invalid_points(leptogenesis_scan):
    r"""BDP: dN_N/dz does not involve ε_1 and dN_{B-L}/dz = -ε_1 D (N_N - N^eq) - W N_{B-L} is
    linear and homogeneous in (ε_1, N_{B-L}) with N_{B-L}(z_0) = 0, so N_{B-L} ∝ ε_1 exactly:
    η_B(-3e-6)/η_B(-1e-6) = 3 and κ_f is the same. The |ε_1| = 5 column is outside the model's
    range: status 100 and NaN observables, without affecting its neighbours."""
    ds = leptogenesis_scan
    one, three = ds.sel(epsilon_1=-1e-6), ds.sel(epsilon_1=-3e-6)
    np.testing.assert_allclose(three.eta_B / one.eta_B, 3.0, rtol=1e-7)
    np.testing.assert_allclose(three.kappa_f, one.kappa_f, rtol=1e-7)
    bad = ds.sel(epsilon_1=5.0)
    assert np.all(bad.status.values == STATUS_INVALID_INPUT)
    assert np.all(np.isnan(bad.eta_B.values))
    summary = jaxcogen.scan_summary(ds)
    assert summary.n_succeeded == 6 and summary.counts["invalid_input"] == 3


def test_scan_rejects_bad_family_specifications():
    model = LeptogenesisModel(**BASE)
    with pytest.raises(
        ValueError, match="unknown parameter 'mtilde1'.*'mtilde_1'.*leptogenesis model"
    ):
        jaxcogen.scan(model, grid={"mtilde1": [1e-2]}, progress=False)
    with pytest.raises(ValueError, match="mtilde_1.*must be > 0"):
        jaxcogen.scan(model, grid={"mtilde_1": [-1.0]}, progress=False)
    with pytest.raises(ValueError, match="unknown setting 'solver'"):
        jaxcogen.scan(model, grid={"M_1": [1e10]}, solve_options={"solver": "Tsit5"})
    with pytest.raises(ValueError, match="rtol=1.0: allowed range"):
        jaxcogen.scan(model, grid={"M_1": [1e10]}, solve_options={"rtol": 1.0})


def test_fit_epsilon_to_the_observed_baryon_asymmetry():
    r"""`fit` on a LeptogenesisModel (default: Y_B = 8.7e-11 by ε_1) against the closed form.

    Y_B ∝ ε_1 (previous test), so the answer is ε* = ε_0 · 8.7e-11 / Y_B(ε_0) from one solve.
    The fit succeeds when Y_B is within its tolerance (1 %), so ε agrees to that.
    """
    model = LeptogenesisModel(**BASE)
    result = fit(model, n_starts=2, steps=30)
    assert result.success, result.verdict
    expected = -1e-6 * jaxcogen.constants.DeltaY_B_observed / float(solve_leptogenesis(model).Y_B)
    assert result.parameters["epsilon_1"] == pytest.approx(expected, rel=1e-2)
    assert isinstance(result.model, LeptogenesisModel)
    assert float(result.model.epsilon_1) == result.parameters["epsilon_1"]
    assert "m_nu" not in result.summary()


def _loss_gradient_against_central_differences(model, free, bounds, targets, theta, settings):
    r"""∂L/∂θ of the one fit problem of every model (:class:`~jaxcogen.fitting._problem.FitProblem`)
    against central differences in θ.

    h = 1e-4 in θ: truncation ~h² L''' ~ 1e-8, solve noise (rtol 1e-10) / h ~ 1e-6 relative.
    The fixed slots of θ have a gradient of exactly zero.
    """
    parameters = free_parameters(model, free, bounds)
    problem = FitProblem.create(
        model, parameters, targets, {k: 1.0 for k in targets}, {}, settings, 1e-3
    )
    full = jnp.asarray(problem.embed(parameters, np.asarray(theta)))
    loss = eqx.filter_jit(lambda p, t: p.loss(t))
    grad = np.asarray(eqx.filter_jit(lambda p, t: jax.grad(p.loss)(t))(problem, full))
    h = 1e-4
    for name in free:
        j = problem.names.index(name)
        e = np.zeros(full.shape)
        e[j] = h
        fd = (float(loss(problem, full + e)) - float(loss(problem, full - e))) / (2 * h)
        assert grad[j] == pytest.approx(fd, rel=1e-5, abs=1e-9), name
    fixed = [j for j, name in enumerate(problem.names) if name not in free]
    assert np.all(grad[fixed] == 0.0)
    return problem


def test_family_loss_gradient_matches_central_differences():
    r"""∂L/∂θ of a two-parameter leptogenesis fit (ε_1 linear in (-1e-5, 0), m̃_1 log in
    [1e-3, 1e3] m_*) vs central differences at θ = (0.3, -1): ε ≈ -4.3e-6, m̃ ≈ 4e-5 eV
    (K ≈ 0.04)."""
    model = LeptogenesisModel(**BASE)
    _loss_gradient_against_central_differences(
        model,
        ("epsilon_1", "mtilde_1"),
        {"epsilon_1": (-1e-5, 0.0), "mtilde_1": (1e-3 * m_star_eV, 1e3 * m_star_eV)},
        {"Y_B": 8.7e-11},
        [0.3, -1.0],
        model.solve_settings({"rtol": 1e-10, "atol": 1e-16}, n_save=2),
    )


@pytest.mark.slow
def test_freeze_in_loss_gradient_through_ratio_coordinates():
    r"""The same check through ``"log_ratio"`` coordinates: Γ is fitted as ln(Γ/m_B) and m_X as
    ln(m_X/m_B) (the coupled constraints Γ/m_B ≤ 0.1, m_X < m_B), both moving with a free m_B, so
    ∂L/∂θ_{m_B} includes the chain rule through the reference; target Ω h² = 0.12."""
    model = FreezeInDecayModel(m_B=1e3, Gamma=1e-13, m_X=1e-4)
    problem = _loss_gradient_against_central_differences(
        model,
        ("m_B", "Gamma", "m_X"),
        None,
        {"Omega_h2": 0.12},
        [0.2, 0.5, -0.3],
        model.solve_settings({"rtol": 1e-10, "atol": 1e-16}, n_save=2),
    )
    kinds = [problem.kinds[problem.names.index(n)] for n in ("m_B", "Gamma", "m_X")]
    assert kinds == ["log", "log_ratio", "log_ratio"]


def test_fit_family_bad_input():
    model = LeptogenesisModel(**BASE)
    with pytest.raises(
        ValueError, match="target 'DeltaY_B'.*not an observable of the leptogenesis"
    ):
        fit(model, targets={"DeltaY_B": 8.7e-11})
    with pytest.raises(ValueError, match="free parameter 'M_higgs': not fittable"):
        fit(model, free=["M_higgs"])
    with pytest.raises(ValueError, match="bounds\\['mtilde_1'\\]: not a free parameter"):
        fit(model, bounds={"mtilde_1": (1e-3, 1e-2)})
    with pytest.raises(ValueError, match="min_mass_ratio: not an option of the leptogenesis"):
        fit(model, min_mass_ratio=20.0)
    with pytest.raises(ValueError, match="this observable is positive"):
        fit(FreezeOutModel(m_chi=100.0, sigma_v=2e-26), targets={"Omega_h2": -0.1})


@pytest.mark.slow
def test_freeze_out_scan_and_fit_against_newton():
    r"""Freeze-out through the same scan and fit: a σv grid (Ω h² falls with σv, x_f in the
    WIMP range 15–30, Kolb & Turner §5.2) equal to single solves; and `fit` (σv for Ω h² = 0.12)
    against `sigma_v_for_relic`'s Newton iteration, to the fit's 1 % tolerance."""
    base = FreezeOutModel(m_chi=100.0, sigma_v=3e-26)
    ds = jaxcogen.scan(base, grid={"sigma_v": [1e-26, 2e-26, 4e-26]}, progress=False)
    omega = ds.Omega_h2.values
    assert np.all(np.diff(omega) < 0)
    assert np.all((ds.x_f.values > 15) & (ds.x_f.values < 30))
    alone = solve_freeze_out(FreezeOutModel(m_chi=100.0, sigma_v=2e-26))
    assert omega[1] == pytest.approx(float(alone.Omega_h2), rel=1e-9)
    assert float(ds.x_f.values[1]) == pytest.approx(float(alone.x_f), rel=1e-9)

    result = fit(base, n_starts=2, steps=30)
    assert result.success, result.verdict
    newton = float(sigma_v_for_relic(100.0, Omega_h2=0.12))
    assert result.parameters["sigma_v"] == pytest.approx(newton, rel=1.5e-2)


def test_freeze_in_decay_scan_matches_the_closed_form_and_flags_invalid_points():
    r"""Freeze-in from decays through the same scan, against HJMW's closed form (arXiv:0911.1120,
    eq. 2.4; :func:`~jaxcogen.models.freeze_in_decay.closed_form_yield`) at constant
    :math:`g_*=g_{*s}=106.75`, where :math:`Y_X^\infty=135g_B\Gamma m_{\rm Pl}/(8\pi^3c_Hg^{3/2}m_B^2)`
    exactly (:math:`\int_0^\infty z^3K_1=3\pi/2`). The solve alone agrees to 1.4e-12
    (docs/validation_relics.md); 1e-9 allows for the vmapped step sequence. The
    :math:`\Gamma/m_B=0.5` column is outside the model's range (:math:`\le0.1`): status 100, NaN."""
    base = FreezeInDecayModel(m_B=1e3, Gamma=1e-13, m_X=1e-6, g_star_constant=106.75)
    ds = jaxcogen.scan(
        base, grid={"m_B": [1e2, 1e3, 1e4], "Gamma": [1e-14, 1e-12, 5e1]}, progress=False
    )
    assert ds.attrs["model_family"] == "freeze_in_decay"
    assert ds["Gamma"].attrs["units"] == "GeV"
    for m_B in (1e2, 1e3, 1e4):
        for Gamma in (1e-14, 1e-12):
            point = ds.sel(m_B=m_B, Gamma=Gamma)
            assert int(point.status) == 0
            expected = float(
                closed_form_yield(
                    FreezeInDecayModel(m_B=m_B, Gamma=Gamma, m_X=1e-6, g_star_constant=106.75)
                )
            )
            assert float(point.Y_inf) == pytest.approx(expected, rel=1e-9)
    bad = ds.sel(Gamma=5e1, m_B=1e2)
    assert int(bad.status) == STATUS_INVALID_INPUT and np.isnan(float(bad.Omega_h2))
    assert int(ds.sel(Gamma=5e1, m_B=1e3).status) == 0  # Gamma/m_B = 0.05 is allowed


def test_fit_decay_width_to_the_observed_relic_density():
    r"""`fit` on a FreezeInDecayModel (default: Ω_X h² = 0.12 by Γ), with the SM g_*(T) table.

    :math:`Y_X^\infty\propto\Gamma` exactly (the solved variable :math:`y=Y_X/P` does not involve
    Γ; module docstring), so Γ* = Γ_0 · 0.12/Ω(Γ_0) from one solve. The fit succeeds when Ω is
    within its 1 % tolerance, so Γ agrees to that."""
    model = FreezeInDecayModel(m_B=1e3, Gamma=1e-13, m_X=1e-4)
    result = fit(model, n_starts=2, steps=30)
    assert result.success, result.verdict
    omega_0 = float(solve_freeze_in_decay(model).Omega_h2)
    expected = 1e-13 * jaxcogen.constants.Omega_c_h2_observed / omega_0
    assert result.parameters["Gamma"] == pytest.approx(expected, rel=1e-2)
    assert isinstance(result.model, FreezeInDecayModel)
