r"""Gradients (forward, reverse, finite differences, vmap) and fits (:mod:`jaxcogen.fitting._fit`).

Known derivative. With :math:`y_2=\lambda_2\to0` only :math:`N_1` mediates, so the Wilson
coefficients are :math:`a=y_1\lambda_1/M_1`, :math:`b=y_1^*\lambda_1/M_1^2`. In the freeze-in
regime (:math:`\xi\ll1`, no back-reaction) the dark yield is the integral of the production rate,
:math:`\Sigma Y_\chi=Y_5+Y_6` with :math:`Y_5\propto|a|^2` and :math:`Y_6\propto|b|^2`, both
:math:`\propto|\lambda_1|^2` at fixed :math:`y_1`, so

.. math:: \frac{d\ln\Sigma Y_\chi}{d\ln|\lambda_1|}=\frac{2Y_5+2Y_6}{Y_5+Y_6}=2,

up to the :math:`\xi`-dependent back-reaction, negligible at tiny couplings.
"""

import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from typer.testing import CliRunner

import jaxcogen
from jaxcogen.fitting._fit import fit
from jaxcogen.fitting._gradients import gradients
from jaxcogen.model import _cards as cards
from jaxcogen.model._parameters import set_parameters

from .conftest import make_model

TIGHT = {"rtol": 1e-10, "atol": 1e-14, "solver": "Tsit5", "n_save": 2}
PARAMS = ("lambda2.abs", "y2.arg")
OBS = ("DeltaY_B", "Omega_chi_h2_frozen_in")
#: Small fits: adam, 2 starts, 20 steps, Tsit5 inside the loss (shares one compiled optimiser).
SMALL_FIT = {"optimizer": "adam", "n_starts": 2, "steps": 20, "seed": 0}


def _points():
    return [make_model(), make_model(M1=2e12, T_RH=3e10, y1=0.06)]


def _finite_differences(model, h=1e-5):
    """Central differences of the observables wrt each parameter, relative step ``h``."""
    base = {p: float(jaxcogen.model._parameters.get_parameter(model, p)) for p in PARAMS}
    out = np.zeros((len(OBS), len(PARAMS)))
    for j, p in enumerate(PARAMS):
        step = h * max(abs(base[p]), 1.0)
        vals = []
        for sign in (1, -1):
            m = set_parameters(model, {p: base[p] + sign * step})
            s = jaxcogen.solve(m, **TIGHT, late_universe=False)
            vals.append(np.array([float(getattr(s, o)) for o in OBS]))
        out[:, j] = (vals[0] - vals[1]) / (2 * step)
    return out


def _matrix(grads):
    return np.array([[np.asarray(grads[o][p]) for p in PARAMS] for o in OBS])


@pytest.fixture(scope="module")
def batched_model():
    pts = _points()
    return jax.tree.map(lambda *xs: jnp.stack(xs), *pts)


def test_forward_reverse_and_finite_differences_agree(batched_model):
    """jacrev (recursive checkpointing) = jacfwd (ForwardMode) = central FD to 1e-5, also under vmap."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rev_b = _matrix(
            gradients(batched_model, OBS, PARAMS, mode="reverse", **TIGHT)
        )  # [o, p, batch]
        fwd_b = _matrix(gradients(batched_model, OBS, PARAMS, mode="forward", **TIGHT))
        for i, model in enumerate(_points()):
            rev = _matrix(gradients(model, OBS, PARAMS, mode="reverse", **TIGHT))
            fd = _finite_differences(model)
            scale = np.abs(rev).max(axis=1, keepdims=True)  # per observable
            assert np.all(np.abs(rev - fd) <= 1e-5 * np.abs(fd) + 1e-6 * scale), (rev, fd)
            assert np.all(np.abs(fwd_b[..., i] - rev) <= 1e-8 * np.abs(rev) + 1e-10 * scale), (
                fwd_b[..., i],
                rev,
            )
            assert np.all(np.abs(rev_b[..., i] - rev) <= 1e-8 * np.abs(rev) + 1e-10 * scale), (
                rev_b[..., i],
                rev,
            )


@pytest.mark.filterwarnings("ignore::jaxcogen.production._validity.EFTValidityWarning")
def test_dlnSigma_dln_lambda1_is_two_when_N1_dominates():
    model = jaxcogen.CogenesisModel(
        M1=1e12,
        M2=3e12,
        y1=1e-3,
        y2=1e-9,
        lambda1=1e-3,
        lambda2=1e-9,
        m_chi=1.0,
        m_phi=2.0,
        kappa=1.0,
        T_RH=5e10,
    )

    def f(log_abs_lambda1):
        m = set_parameters(model, {"lambda1.abs": jnp.exp(log_abs_lambda1)})
        return jnp.log(jaxcogen.solve(m, **TIGHT, late_universe=False).SigmaY_chi)

    x0 = math.log(1e-3)
    slope = float(jax.grad(f)(x0))
    h = 1e-3
    fd = (float(f(x0 + h)) - float(f(x0 - h))) / (2 * h)
    assert abs(slope - 2.0) < 1e-6
    np.testing.assert_allclose(slope, fd, rtol=1e-6)


def test_small_fit_reaches_DeltaY_B():
    """Fast version of the multi-start fit: one free modulus, the baryon asymmetry only."""
    model = make_model(lambda2=0.3 * complex(math.cos(-2.0), math.sin(-2.0)))
    result = fit(model, {"DeltaY_B": 8.7e-11}, ["lambda2.abs"], **SMALL_FIT)
    assert result.success, result.verdict
    assert result.verdict.startswith("reached")
    assert len(result.start_status) == 2
    assert np.all(np.isfinite(result.loss_history))
    solution = jaxcogen.solve(result.model)
    assert abs(float(solution.DeltaY_B) / 8.7e-11 - 1) < 0.01


def test_unreachable_target_gives_verdict_not_nan():
    """M1 = 1e8 GeV with m_nu <= 0.1 eV: the Yukawas cannot make Delta Y_B = 8.7e-11."""
    y1 = math.sqrt(0.03e-9 * 1e8) / 174.1
    model = jaxcogen.CogenesisModel(
        M1=1e8,
        M2=3e8,
        y1=y1,
        y2=y1 * complex(math.cos(2.0), math.sin(2.0)),
        lambda1=0.03,
        lambda2=0.03 * complex(math.cos(-2.0), math.sin(-2.0)),
        m_chi=1.0,
        m_phi=2.0,
        kappa=1.0,
        T_RH=1.9e7,
    )
    result = fit(model, {"DeltaY_B": 8.7e-11}, ["y1.abs", "y2.abs"], **SMALL_FIT)
    assert not result.success
    assert "NOT REACHABLE" in result.verdict and "Closest point" in result.verdict
    assert math.isfinite(result.observables["DeltaY_B"])
    assert math.isfinite(result.loss)
    assert result.m_nu <= 1e-10 * (1 + 1e-9)


def test_cli_fit_round_trip(tmp_path):
    from jaxcogen.cli._main import app

    card = cards.default_card()
    card = cards.Card(
        model_fields=dict(card.model_fields, lambda2=0.3 * complex(math.cos(-2.0), math.sin(-2.0)))
    )
    start = tmp_path / "start.toml"
    start.write_text(cards.card_to_toml(card))
    fitted = tmp_path / "fitted.toml"
    runner = CliRunner()
    args = [
        "fit",
        str(start),
        "--free",
        "lambda2.abs",
        "--target",
        "DeltaY_B=8.7e-11",
        "--out",
        str(fitted),
        "--starts",
        "2",
        "--steps",
        "20",
        "--optimizer",
        "adam",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "reached" in result.output
    solved = runner.invoke(app, ["solve", str(fitted), "--json", "--production-only"])
    assert solved.exit_code == 0, solved.output
    import json

    doc = json.loads(solved.stdout[solved.stdout.index("{") :])
    observables = doc.get("observables", doc)
    assert abs(observables["DeltaY_B"] / 8.7e-11 - 1) < 0.01


def test_bad_inputs():
    model = make_model()
    with pytest.raises(ValueError, match="unknown observable"):
        fit(model, {"DeltaY_X": 1.0}, ["lambda2.abs"])
    with pytest.raises(ValueError, match="unknown parameter"):
        fit(model, None, ["lambda9.abs"])
    with pytest.raises(ValueError, match="optimizer"):
        fit(model, None, ["lambda2.abs"], optimizer="sgd")


@pytest.mark.slow
def test_fit_from_random_starts_reaches_both_targets():
    r"""12 random starts, L-BFGS, 100 steps, both default targets; free |lambda2|, arg y2, m_chi.

    Start domain: |lambda2| in [0.2, 1], arg y2 in [0.5, 3] rad, m_chi in [0.01, 1] GeV (the rest at
    the default point); |lambda2| is bounded to [0.1, sqrt(4 pi)] during the fit (without the lower
    bound some starts run off to |lambda2| -> 0, a flat valley of N1-only production).
    """
    n = 12
    result = fit(
        make_model(),
        None,
        ["lambda2.abs", "y2.arg", "m_chi"],
        optimizer="lbfgs",
        n_starts=n,
        seed=1,
        steps=100,
        include_model=False,
        bounds={"lambda2.abs": (0.1, 3.5)},
        start_domain={"lambda2.abs": (0.2, 1.0), "y2.arg": (0.5, 3.0), "m_chi": (0.01, 1.0)},
    )
    assert result.success, result.verdict
    assert result.n_successful >= 0.8 * n, (result.start_status, result.start_losses)
    for name, target in result.targets.items():
        assert abs(result.observables[name] / target - 1) < 0.01


def test_omega_target_is_todays_relic_and_is_checked_by_the_late_universe_stage():
    """``Omega_chi_h2`` as a fit target means today's relic: the fit aims at the asymmetric relic
    (m_DM · 2|ΔY_χ| · s0/ρc, exact when the sink depletes the symmetric part) and re-checks the
    best point with the late-universe stage. With the sink switched almost off (κ = 1e-3) the
    symmetric population survives, so hitting the asymmetric target must not count as success."""
    for kappa, reached in ((1.0, True), (1e-3, False)):
        model = make_model(kappa=kappa)
        result = fit(model, {"Omega_chi_h2": 0.12}, ["m_chi"], **SMALL_FIT)
        assert set(result.targets) == {"Omega_chi_h2_asymmetric"}
        assert result.observables["Omega_chi_h2_asymmetric"] == pytest.approx(0.12, rel=0.01)
        assert result.success is reached, result.verdict
        today = result.observables["Omega_chi_h2"]
        if reached:
            assert today == pytest.approx(0.12, rel=0.01)
        else:
            assert today > 0.2 and "symmetric remnant" in result.verdict


def test_best_start_ranks_failed_starts_by_loss():
    """Issue 21.3: with no successful start, the reported start is the one of lowest loss.

    ``loss + 1e300`` rounds every failed loss to 1e300 in float64 (1e300 has a spacing of ~1e284),
    so ``argmin`` picked start 0 whatever its loss; the ranking is lexicographic in
    (failed, loss) instead, and a successful start always beats a failed one.
    """
    import numpy as np

    from jaxcogen.fitting._optimize import best_start

    failed = np.zeros(4, dtype=bool)
    assert best_start(np.array([2.3, 3.7e-4, np.nan, 0.5]), failed) == 1
    assert best_start(np.array([np.nan, np.inf, 7.0, np.nan]), failed) == 2
    assert best_start(np.array([np.nan, np.nan]), np.zeros(2, dtype=bool)) == 0
    # a successful start wins over a failed one of lower loss; among successes the lowest loss
    success = np.array([False, True, True, False])
    assert best_start(np.array([1e-9, 0.2, 0.1, 1e-12]), success) == 2
