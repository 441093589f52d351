r""":func:`posterior`: NUTS samples of free parameters given observed values, through the solver's
exact gradients.

**Likelihood.** Independent Gaussian measurements :math:`y_k\pm\sigma_k` of observables
:math:`O_k`:

.. math:: \ln\mathcal L(x)=-\frac12\sum_k\Big(\frac{O_k(x)-y_k}{\sigma_k}\Big)^2

(a failed solve: :math:`\ln\mathcal L=-\infty`, which NUTS treats as a divergence).

**Priors.** Uniform in each parameter's coordinate :math:`u` within its limits (default: the
parameter's ``scale``, so log-uniform for masses and rates, uniform for a CP asymmetry;
``priors={name: "log" | "linear"}`` overrides). NUTS moves the unconstrained
:math:`\theta` with :math:`u=u_-+(u_+-u_-)\sigma(\theta)`, so its target density is

.. math::
    \ln\pi(\theta)=\ln\mathcal L(x(\theta))+\sum_j\Big[\ln(u_{j+}-u_{j-})+\ln\sigma(\theta_j)
    +\ln\big(1-\sigma(\theta_j)\big)\Big]

(the log-Jacobian of :math:`\theta\to u`; a uniform prior in :math:`u` is constant).

**Sampler.** blackjax's NUTS with Stan's window adaptation of the step size and a diagonal (or,
``dense_mass=True``, dense) mass matrix (``n_warmup`` steps, target acceptance 0.8), chains
vmapped, then ``n_samples`` draws per chain. Chains start at the model's own point, jittered in :math:`\theta` (``init_jitter``).

**Diagnostics.** Split :math:`\hat R` (Gelman et al., *Bayesian Data Analysis*, 3rd ed., §11.4):
each of the :math:`C` chains is cut in halves, giving :math:`M=2C` sequences of length :math:`N`
with means :math:`\bar x_m` and variances :math:`s_m^2`;

.. math::
    W=\frac1M\sum_ms_m^2,\quad B=\frac{N}{M-1}\sum_m(\bar x_m-\bar x)^2,\quad
    \widehat{\rm var}^+=\frac{N-1}{N}W+\frac BN,\quad \hat R=\sqrt{\widehat{\rm var}^+/W}.

The effective sample size is blackjax's (Stan's estimator,
:math:`N_{\rm eff}=CN_{\rm draws}/\hat\tau`, :math:`\hat\tau=-1+2\sum_{t'}\hat P_{t'}` with Geyer's
initial monotone sequence). Monte Carlo errors: of the mean, :math:`\hat s/\sqrt{N_{\rm eff}}`; of
the standard deviation (delta method),
:math:`\sqrt{\widehat{\rm var}[(x-\bar x)^2]/N_{\rm eff}^{(2)}}\,/\,(2\hat s)` with
:math:`N_{\rm eff}^{(2)}` the ESS of :math:`(x-\bar x)^2`. ESS per second divides by the wall time
of the sampling phase alone (compiled ahead of time, so no compilation is counted).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping, Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from jaxcogen._interface import AbstractModel, model_type_of
from jaxcogen.bounds._space import (
    coordinates,
    model_u,
    physical,
    set_free,
    theta_of_u,
    u_bounds,
    u_of_theta,
)

#: Convergence thresholds of the verdict (Vehtari et al. 2021, arXiv:1903.08008).
RHAT_MAX = 1.01
ESS_PER_CHAIN_MIN = 100


@dataclasses.dataclass(frozen=True)
class PosteriorResult:
    """The outcome of :func:`posterior`.

    Attributes:
        names: the free parameters.
        samples: ``{name: array[chain, draw]}`` of physical values.
        mean, sd: posterior mean and standard deviation per parameter (all chains).
        mcse_mean, mcse_sd: their Monte Carlo standard errors (module docstring).
        ess: effective sample size per parameter; ``ess_sd``: of :math:`(x-\\bar x)^2`.
        rhat: split :math:`\\hat R` per parameter.
        ess_per_second: ESS divided by the sampling wall time.
        acceptance_rate: mean NUTS acceptance probability.
        mean_integration_steps: mean leapfrog steps per draw (each one gradient of the target,
            so one differentiated solve per chain): the cost of a draw.
        n_divergent: divergent transitions while sampling.
        step_size: the adapted step size of each chain; ``inverse_mass_matrix``: the adapted
            inverse mass matrix in θ (``[chain, p]`` diagonal, ``[chain, p, p]`` dense).
        observed: ``{observable: (value, sigma)}``; ``limits``, ``priors``: the prior set-up.
        n_chains, n_samples, n_warmup: the run.
        warmup_time_s, sampling_time_s, wall_time_s: wall times (the last includes compilation).
        converged: every :math:`\\hat R<1.01`, every ESS ≥ 100 per chain, no divergence.
        verdict: one paragraph in plain words.
    """

    names: tuple[str, ...]
    samples: dict[str, np.ndarray]
    mean: dict[str, float]
    sd: dict[str, float]
    mcse_mean: dict[str, float]
    mcse_sd: dict[str, float]
    ess: dict[str, float]
    ess_sd: dict[str, float]
    rhat: dict[str, float]
    ess_per_second: dict[str, float]
    acceptance_rate: float
    mean_integration_steps: float
    n_divergent: int
    step_size: np.ndarray
    inverse_mass_matrix: np.ndarray
    observed: dict[str, tuple[float, float]]
    limits: dict[str, tuple[float, float]]
    priors: dict[str, str]
    n_chains: int
    n_samples: int
    n_warmup: int
    warmup_time_s: float
    sampling_time_s: float
    wall_time_s: float
    converged: bool
    verdict: str


# ---- diagnostics ----------------------------------------------------------------------------------


def split_rhat(samples) -> np.ndarray:
    """Split :math:`\\hat R` (module docstring) of ``samples[chain, draw, ...]``, per trailing index."""
    x = np.asarray(samples, dtype=float)
    if x.ndim < 2 or x.shape[1] < 4:
        raise ValueError("split_rhat: give samples[chain, draw, ...] with at least 4 draws")
    n = x.shape[1] // 2
    halves = np.concatenate([x[:, :n], x[:, x.shape[1] - n :]], axis=0)
    means = halves.mean(axis=1)
    W = halves.var(axis=1, ddof=1).mean(axis=0)
    B = n * means.var(axis=0, ddof=1)
    var_plus = (n - 1) / n * W + B / n
    return np.asarray(np.sqrt(var_plus / W))


def effective_sample_size(samples) -> np.ndarray:
    """blackjax's ESS (Geyer's initial monotone sequence) of ``samples[chain, draw, ...]``."""
    from blackjax.diagnostics import effective_sample_size as ess

    x = jnp.asarray(samples, dtype=float)
    out = np.asarray(ess(x, chain_axis=0, sample_axis=1), dtype=float)
    return out.reshape(x.shape[2:])


# ---- the target density -------------------------------------------------------------------------


class _Target(eqx.Module):
    """:math:`\\ln\\pi(\\theta)` (module docstring); jittable."""

    base_model: AbstractModel
    settings: object
    u_lo: jax.Array
    u_hi: jax.Array
    values: jax.Array
    sigmas: jax.Array
    names: tuple[str, ...] = eqx.field(static=True)
    log_mask: tuple[bool, ...] = eqx.field(static=True)
    observed_names: tuple[str, ...] = eqx.field(static=True)

    def physical(self, theta):
        return physical(u_of_theta(theta, self.u_lo, self.u_hi), self.log_mask)

    def __call__(self, theta):
        model = set_free(self.base_model, self.names, self.physical(theta))
        out = model.solve_point(self.settings)
        predicted = jnp.stack([out[name] for name in self.observed_names])
        loglik = -0.5 * jnp.sum(((predicted - self.values) / self.sigmas) ** 2)
        log_jac = jnp.sum(
            jnp.log(self.u_hi - self.u_lo) - jax.nn.softplus(-theta) - jax.nn.softplus(theta)
        )
        ok = (out["status"] == 0) & jnp.isfinite(loglik)
        return jnp.where(ok, loglik, -jnp.inf) + log_jac


def _check_observed(model_type, observed) -> dict[str, tuple[float, float]]:
    if not observed:
        raise ValueError("observed: give at least one {observable: (value, sigma)}")
    out = {}
    for name, pair in dict(observed).items():
        model_type.check_observable_name(name, "observed")
        try:
            value, sigma = (float(v) for v in pair)
        except (TypeError, ValueError):
            raise ValueError(f"observed[{name!r}]={pair!r}: give (value, sigma)") from None
        if not (math.isfinite(value) and math.isfinite(sigma) and sigma > 0):
            raise ValueError(
                f"observed[{name!r}]={pair!r}: value finite and sigma a positive number"
            )
        out[name] = (value, sigma)
    return out


def _positive_int(name, value, minimum=1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name}={value!r}: must be an integer >= {minimum}")
    return value


def posterior(
    model: AbstractModel,
    observed: Mapping[str, tuple[float, float]],
    free: Sequence[str] | None = None,
    limits: Mapping[str, tuple[float, float]] | None = None,
    *,
    priors: Mapping[str, str] | None = None,
    n_chains: int = 2,
    n_samples: int = 300,
    n_warmup: int = 300,
    seed: int = 0,
    init_jitter: float = 0.1,
    solve_options: Mapping[str, object] | None = None,
    dense_mass: bool = False,
) -> PosteriorResult:
    """NUTS samples of the ``free`` parameters given ``observed`` values (module docstring).

    Args:
        model: the base point; its free-parameter values are where the chains start.
        observed: ``{observable: (value, sigma)}`` (independent Gaussian measurements).
        free: the sampled parameters (default: the model's ``default_free``).
        limits: ``{name: (low, high)}`` ∩ the physical range: the support of the prior.
        priors: ``{name: "log" | "linear"}``: uniform in :math:`\\ln p` or :math:`p` (default:
            the parameter's scale).
        n_chains, n_samples, n_warmup, seed, init_jitter: the run (``init_jitter``: standard
            deviation of the Gaussian jitter of each chain's start in θ).
        solve_options: solver settings of every solve (the model's defaults).
        dense_mass: adapt a dense mass matrix (the posterior's covariance) instead of a diagonal
            one: for parameters the data tie together (a ridge), at the price of a
            :math:`p\\times p` matrix the warm-up must estimate.

    Returns:
        a :class:`PosteriorResult`; ``ValueError`` on bad input.
    """
    import blackjax

    wall_start = time.perf_counter()
    model_type = model_type_of(model)
    observed = _check_observed(model_type, observed)
    free = tuple(model_type.default_free if free is None else free)
    coords = coordinates(model, free, limits, scales=priors)
    n_chains = _positive_int("n_chains", n_chains)
    n_samples = _positive_int("n_samples", n_samples, 4)
    n_warmup = _positive_int("n_warmup", n_warmup)
    if not (init_jitter >= 0 and math.isfinite(init_jitter)):
        raise ValueError(f"init_jitter={init_jitter!r}: must be a non-negative number")
    if not isinstance(dense_mass, bool):
        raise ValueError(f"dense_mass={dense_mass!r}: must be True or False")
    settings = model_type.solve_settings(solve_options, n_save=2)
    u_lo, u_hi = u_bounds(coords)
    names_obs = tuple(observed)
    target = _Target(
        base_model=model,
        settings=settings,
        u_lo=jnp.asarray(u_lo),
        u_hi=jnp.asarray(u_hi),
        values=jnp.asarray([observed[n][0] for n in names_obs]),
        sigmas=jnp.asarray([observed[n][1] for n in names_obs]),
        names=free,
        log_mask=tuple(c.scale == "log" for c in coords),
        observed_names=names_obs,
    )

    start_u = model_u(model, coords)
    if not np.all(np.isfinite(start_u)):
        start_u = 0.5 * (u_lo + u_hi)
    rng = np.random.default_rng(seed)
    theta0 = theta_of_u(start_u, u_lo, u_hi)
    positions = jnp.asarray(theta0 + init_jitter * rng.standard_normal((n_chains, len(free))))
    key_warm, key_sample = jax.random.split(jax.random.PRNGKey(seed))

    def warm(key, position):
        adaptation = blackjax.window_adaptation(
            blackjax.nuts, target, is_mass_matrix_diagonal=not dense_mass
        )
        (state, parameters), _ = adaptation.run(key, position, num_steps=n_warmup)
        return state, parameters

    def sample(key, state, parameters):
        kernel = blackjax.nuts(target, **parameters)

        def body(carry, k):
            carry, info = kernel.step(k, carry)
            return carry, (
                carry.position,
                info.is_divergent,
                info.acceptance_rate,
                info.num_integration_steps,
            )

        _, out = jax.lax.scan(body, state, jax.random.split(key, n_samples))
        return out

    t0 = time.perf_counter()
    warm_keys = jax.random.split(key_warm, n_chains)
    states, parameters = jax.block_until_ready(jax.jit(jax.vmap(warm))(warm_keys, positions))
    warmup_time = time.perf_counter() - t0

    sample_keys = jax.random.split(key_sample, n_chains)
    compiled = jax.jit(jax.vmap(sample)).lower(sample_keys, states, parameters).compile()
    t0 = time.perf_counter()
    thetas, divergent, acceptance, leapfrogs = jax.block_until_ready(
        compiled(sample_keys, states, parameters)
    )
    sampling_time = time.perf_counter() - t0

    values = np.asarray(jax.jit(jax.vmap(jax.vmap(target.physical)))(thetas))  # [chain, draw, p]
    samples = {name: values[:, :, j] for j, name in enumerate(free)}
    flat = values.reshape(-1, len(free))
    mean = flat.mean(axis=0)
    sd = flat.std(axis=0, ddof=1)
    ess = effective_sample_size(values)
    squares = (values - mean) ** 2
    ess_sd = effective_sample_size(squares)
    rhat = split_rhat(values)
    mcse_mean = sd / np.sqrt(ess)
    mcse_sd = np.sqrt(squares.reshape(-1, len(free)).var(axis=0, ddof=1) / ess_sd) / (2.0 * sd)
    n_divergent = int(np.asarray(divergent).sum())
    converged = bool(
        np.all(rhat < RHAT_MAX) and np.all(ess >= ESS_PER_CHAIN_MIN * n_chains) and n_divergent == 0
    )
    per_second = ess / max(sampling_time, 1e-12)

    def by_name(arr):
        return {name: float(arr[j]) for j, name in enumerate(free)}

    summary = "; ".join(
        f"{name} = {mean[j]:.6g} ± {sd[j]:.3g} (split R̂ {rhat[j]:.3f}, ESS {ess[j]:.0f}, "
        f"{per_second[j]:.3g}/s)"
        for j, name in enumerate(free)
    )
    if converged:
        head = f"Converged ({n_chains} chains × {n_samples} draws after {n_warmup} warm-up steps)"
    else:
        problems = []
        if not np.all(rhat < RHAT_MAX):
            problems.append(f"split R̂ ≥ {RHAT_MAX}")
        if not np.all(ess >= ESS_PER_CHAIN_MIN * n_chains):
            problems.append(f"ESS below {ESS_PER_CHAIN_MIN} per chain")
        if n_divergent:
            problems.append(f"{n_divergent} divergent transitions")
        head = (
            f"NOT converged ({', '.join(problems)}; {n_chains} chains × {n_samples} draws): "
            f"run longer or check the parametrisation"
        )
    verdict = (
        f"{head}: {summary}; mean acceptance {float(np.mean(acceptance)):.2f}; "
        f"{float(np.mean(leapfrogs)):.3g} leapfrog steps per draw; "
        f"sampling took {sampling_time:.3g} s."
    )
    return PosteriorResult(
        names=free,
        samples=samples,
        mean=by_name(mean),
        sd=by_name(sd),
        mcse_mean=by_name(mcse_mean),
        mcse_sd=by_name(mcse_sd),
        ess=by_name(ess),
        ess_sd=by_name(ess_sd),
        rhat=by_name(rhat),
        ess_per_second=by_name(per_second),
        acceptance_rate=float(np.mean(acceptance)),
        mean_integration_steps=float(np.mean(leapfrogs)),
        n_divergent=n_divergent,
        step_size=np.asarray(parameters["step_size"]),
        inverse_mass_matrix=np.asarray(parameters["inverse_mass_matrix"]),
        observed=observed,
        limits={c.name: (c.lower, c.upper) for c in coords},
        priors={c.name: c.scale for c in coords},
        n_chains=n_chains,
        n_samples=n_samples,
        n_warmup=n_warmup,
        warmup_time_s=warmup_time,
        sampling_time_s=sampling_time,
        wall_time_s=time.perf_counter() - wall_start,
        converged=converged,
        verdict=verdict,
    )
