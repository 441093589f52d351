r"""NUTS posteriors (:func:`jaxcogen.bounds.posterior`) against exactly Gaussian posteriors.

When an observable is exactly linear in one free parameter, :math:`O=c\,p`, a Gaussian measurement
:math:`y\pm\sigma` and a flat prior in :math:`p` (limits ten posterior widths away) give the
Gaussian posterior :math:`p\sim N(y/c,\ (\sigma/|c|)^2)`, with :math:`c` from one solve:

- freeze-in from decays: :math:`\Omega h^2\propto\Gamma` exactly (the solved
  :math:`y=Y_X/P` does not depend on :math:`\Gamma`; module docstring of
  :mod:`jaxcogen.models.freeze_in_decay`);
- leptogenesis: :math:`Y_B\propto\varepsilon_1` exactly (the equations are linear in
  :math:`\varepsilon_1`; the solved state is :math:`\kappa`, independent of it).

The sample mean and standard deviation must match within 4 of their Monte Carlo standard errors.
"""

import numpy as np
import pytest

from jaxcogen.bounds import effective_sample_size, posterior, split_rhat
from jaxcogen.models import FreezeInDecayModel, LeptogenesisModel


def _assert_gaussian(result, name, mean, sd):
    print(result.verdict)
    z_mean = (result.mean[name] - mean) / result.mcse_mean[name]
    z_sd = (result.sd[name] - sd) / result.mcse_sd[name]
    print(
        f"{name}: mean {result.mean[name]:.6g} (exact {mean:.6g}, {z_mean:+.2f} MCSE), "
        f"sd {result.sd[name]:.4g} (exact {sd:.4g}, {z_sd:+.2f} MCSE)"
    )
    assert abs(z_mean) <= 4.0
    assert abs(z_sd) <= 4.0
    assert result.rhat[name] < 1.01
    assert result.ess[name] >= 100  # the MCSEs above are only meaningful with enough draws
    assert result.n_divergent == 0
    assert result.ess_per_second[name] > 0
    samples = result.samples[name]
    assert samples.shape == (result.n_chains, result.n_samples)
    lo, hi = result.limits[name]
    assert np.all((samples > lo) & (samples < hi))


@pytest.mark.parametrize(
    "dense_mass", [False, pytest.param(True, marks=pytest.mark.slow)], ids=["diagonal", "dense"]
)
def test_nuts_recovers_freeze_in_gamma(dense_mass):
    model = FreezeInDecayModel(m_B=1e3, Gamma=1e-15, m_X=1e-4, g_star_constant=106.75)
    c = float(model.solve_point(model.solve_settings(n_save=2))["Omega_h2"]) / 1e-15
    observed, sigma = 0.12, 0.006
    mean, sd = observed / c, sigma / c
    result = posterior(
        model.with_parameters({"Gamma": mean}),
        {"Omega_h2": (observed, sigma)},
        free=["Gamma"],
        limits={"Gamma": (mean - 10 * sd, mean + 10 * sd)},
        priors={"Gamma": "linear"},
        n_chains=2,
        n_samples=300,
        n_warmup=300,
        dense_mass=dense_mass,
    )
    assert result.priors == {"Gamma": "linear"}
    shape = (2, 1, 1) if dense_mass else (2, 1)
    assert result.inverse_mass_matrix.shape == shape
    assert result.mean_integration_steps >= 1
    _assert_gaussian(result, "Gamma", mean, sd)


@pytest.mark.slow
def test_nuts_recovers_leptogenesis_epsilon_1():
    options = {"rtol": 1e-7}
    model = LeptogenesisModel(M_1=1e10, epsilon_1=-1e-6, mtilde_1=0.05)
    c = float(model.solve_point(model.solve_settings(options, n_save=2))["Y_B"]) / -1e-6
    observed, sigma = 8.7e-11, 0.4e-11
    mean, sd = observed / c, sigma / abs(c)
    result = posterior(
        model.with_parameters({"epsilon_1": mean}),
        {"Y_B": (observed, sigma)},
        free=["epsilon_1"],
        limits={"epsilon_1": (mean - 10 * sd, mean + 10 * sd)},
        n_chains=2,
        n_samples=300,
        n_warmup=300,
        solve_options=options,
    )
    assert result.priors == {"epsilon_1": "linear"}  # the parameter's own scale
    _assert_gaussian(result, "epsilon_1", mean, sd)


def test_split_rhat_formula_and_blackjax_agree():
    """Split R-hat = blackjax's potential_scale_reduction of the half-chains."""
    from blackjax.diagnostics import potential_scale_reduction

    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 200, 2)) + np.array([0.0, 0.3, -0.2])[:, None, None]
    n = x.shape[1] // 2
    halves = np.concatenate([x[:, :n], x[:, n:]], axis=0)
    expected = np.asarray(potential_scale_reduction(halves, chain_axis=0, sample_axis=1))
    np.testing.assert_allclose(split_rhat(x), expected, rtol=1e-10)


def test_split_rhat_flags_unmixed_and_trending_chains():
    rng = np.random.default_rng(2)
    mixed = rng.standard_normal((4, 500))
    assert split_rhat(mixed) < 1.01
    apart = mixed + np.array([0.0, 0.0, 3.0, 3.0])[:, None]
    assert split_rhat(apart) > 1.5
    # a drift within each chain is caught only by splitting
    trend = rng.standard_normal((4, 500)) * 0.1 + np.linspace(-1, 1, 500)
    assert split_rhat(trend) > 1.5


def test_effective_sample_size_of_independent_and_correlated_draws():
    rng = np.random.default_rng(3)
    iid = rng.standard_normal((2, 2000))
    assert 0.85 * iid.size < float(effective_sample_size(iid)) < 1.15 * iid.size
    # AR(1) with rho = 0.9: ESS/N = (1 - rho)/(1 + rho) = 0.0526
    rho, ar = 0.9, np.zeros((2, 20000))
    noise = rng.standard_normal(ar.shape)
    for t in range(1, ar.shape[1]):
        ar[:, t] = rho * ar[:, t - 1] + noise[:, t]
    ratio = float(effective_sample_size(ar)) / ar.size
    assert ratio == pytest.approx((1 - rho) / (1 + rho), rel=0.25)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(observed={"Omega": (0.12, 0.01)}), "did you mean 'Omega_h2'"),
        (dict(observed={"Omega_h2": (0.12, 0.0)}), "sigma a positive number"),
        (dict(observed={}), "at least one"),
        (dict(free=["Gama"]), "unknown parameter 'Gama'"),
        (dict(limits={"Gamma": (2e-15, 1e-15)}), "low < high"),
        (dict(priors={"Gamma": "flat"}), "allowed: 'log', 'linear'"),
        (dict(n_samples=2), "n_samples=2"),
    ],
)
def test_bad_input_raises_value_error(kwargs, message):
    model = FreezeInDecayModel(m_B=1e3, Gamma=1e-15, m_X=1e-4, g_star_constant=106.75)
    args = dict(observed={"Omega_h2": (0.12, 0.006)}, free=["Gamma"]) | kwargs
    with pytest.raises(ValueError, match=message):
        posterior(model, **args)
