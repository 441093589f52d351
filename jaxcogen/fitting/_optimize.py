r"""Multi-start optimisation: one jitted optimiser step, vmapped over starts, scanned over steps.

:func:`run_chunk` advances every start by a fixed number of steps in one compiled call
(``lax.scan`` over steps of ``jax.vmap`` over starts); :func:`jaxcogen.fit` calls it
repeatedly, printing progress in between and stopping early once every start has converged.
A new fit with the same number of starts, free parameters, targets and optimiser settings reuses
the compiled chunk (bounds, targets and the base model are traced arrays).

Per start the state keeps the current point :math:`\theta`, the optimiser state, the best point
seen and its loss, and a ``done`` flag, set once :math:`\mathcal L\le\mathcal L_{\rm goal}`
(:func:`jaxcogen.fitting._loss.goal_loss`); a done start is frozen.

Optimisers (optax):

- ``"lbfgs"``: optax's L-BFGS (``optax.scale_by_lbfgs``, memory 10, the chain of
  ``optax.lbfgs``) with the zoom line search (strong Wolfe), value and gradient reused from the
  line search through ``optax.value_and_grad_from_state``, and one addition: a trust radius
  (the direction clipped to ``max_step`` = 1 in θ, the line search capped at step 1), because an
  unrestricted first step slings the moduli many decades into the flat region
  :math:`|\lambda_2|\to0` (where :math:`\partial\mathcal L/\partial\ln|\lambda_2|\to0`). A failed
  solve inside the line search (NaN loss) counts as :math:`+\infty` there, so the step shrinks.
- ``"adam"``: ``optax.adam`` with a cosine-decayed learning rate (to 1 % of its initial value
  over ``steps``). A step that lands on a failed solve is undone by bisection towards the last
  point with a finite loss.
"""

import dataclasses
from typing import Literal, no_type_check

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, ArrayLike, Bool, Float, Int

from jaxcogen.fitting._problem import AbstractObjective, FitProblem

OptimizerName = Literal["lbfgs", "adam"]


# checks its own inputs (a ValueError naming the setting and its allowed values), which the
# test suite's run-time type checker would otherwise pre-empt with a TypeCheckError
@no_type_check
@dataclasses.dataclass(frozen=True)
class OptimizerConfig:
    """Static optimiser settings (hashable: part of the compiled chunk's cache key).

    Attributes:
        name: ``"lbfgs"`` or ``"adam"``.
        learning_rate: Adam's initial step size in θ (natural log units or radians).
        decay_steps: Adam's cosine-decay horizon (the fit's ``steps``).
        memory_size: L-BFGS history length.
        max_linesearch_steps: zoom line-search budget per L-BFGS step.
        max_step: trust radius of L-BFGS: the search direction is clipped to this Euclidean
            norm in θ (natural-log units, radians) and the line search may not go beyond it.
    """

    name: OptimizerName = "lbfgs"
    learning_rate: float = 0.05
    decay_steps: int = 200
    memory_size: int = 10
    max_linesearch_steps: int = 16
    max_step: float = 1.0

    def build(self) -> optax.GradientTransformationExtraArgs:
        if self.name == "adam":
            schedule = optax.cosine_decay_schedule(
                self.learning_rate, max(self.decay_steps, 1), alpha=0.01
            )
            return optax.adam(schedule)
        if self.name == "lbfgs":
            return optax.chain(
                optax.scale_by_lbfgs(memory_size=self.memory_size),
                optax.clip_by_global_norm(self.max_step),
                optax.scale(-1.0),
                optax.scale_by_zoom_linesearch(
                    max_linesearch_steps=self.max_linesearch_steps,
                    max_learning_rate=1.0,
                    verbose=False,
                ),
            )
        raise ValueError(f"optimizer={self.name!r}: allowed values are 'lbfgs', 'adam'")


class StartState(eqx.Module):
    """The state of one start (a batch of them under ``vmap``)."""

    theta: Float[Array, " p"]
    opt_state: optax.OptState
    good_theta: Float[Array, " p"]
    best_theta: Float[Array, " p"]
    best_loss: Float[ArrayLike, ""]
    done: Bool[ArrayLike, ""]
    n_failed: Int[ArrayLike, ""]


def _where(condition, new, old):
    return jax.tree.map(lambda a, b: jnp.where(condition, a, b), new, old)


def init_state(problem: AbstractObjective, config: OptimizerConfig, theta: Float[Array, " p"]):
    del problem
    return StartState(
        theta=theta,
        opt_state=config.build().init(theta),
        good_theta=theta,
        best_theta=theta,
        best_loss=jnp.asarray(jnp.inf),
        done=jnp.asarray(False),
        n_failed=jnp.asarray(0, jnp.int32),
    )


def _adam_step(problem: AbstractObjective, config: OptimizerConfig, state: StartState):
    value, grad = jax.value_and_grad(problem.loss)(state.theta)
    finite = jnp.isfinite(value) & jnp.all(jnp.isfinite(grad))
    updates, opt_state = config.build().update(
        jnp.where(finite, grad, 0.0), state.opt_state, state.theta
    )
    theta = jnp.where(finite, state.theta + updates, 0.5 * (state.theta + state.good_theta))
    return value, theta, _where(finite, opt_state, state.opt_state)


def _lbfgs_step(problem: AbstractObjective, config: OptimizerConfig, state: StartState):
    optimizer = config.build()
    value, grad = optax.value_and_grad_from_state(problem.loss)(state.theta, state=state.opt_state)
    updates, opt_state = optimizer.update(
        grad, state.opt_state, state.theta, value=value, grad=grad, value_fn=problem.loss
    )
    theta = state.theta + updates
    moved = jnp.all(jnp.isfinite(theta))
    return value, jnp.where(moved, theta, state.theta), _where(moved, opt_state, state.opt_state)


def step(problem: AbstractObjective, config: OptimizerConfig, state: StartState, goal):
    """One optimiser step of one start; returns the new state and the loss at the old point."""
    if config.name == "adam":
        value, theta, opt_state = _adam_step(problem, config, state)
    else:
        value, theta, opt_state = _lbfgs_step(problem, config, state)
    finite = jnp.isfinite(value)
    improved = finite & (value < state.best_loss)
    new = StartState(
        theta=theta,
        opt_state=opt_state,
        good_theta=jnp.where(finite, state.theta, state.good_theta),
        best_theta=jnp.where(improved, state.theta, state.best_theta),
        best_loss=jnp.where(improved, value, state.best_loss),
        done=state.done | (finite & (value <= goal)),
        n_failed=state.n_failed + jnp.where(finite, 0, 1).astype(jnp.int32),
    )
    return _where(state.done, state, new), jnp.where(state.done, state.best_loss, value)


@eqx.filter_jit
def init_states(problem: AbstractObjective, config: OptimizerConfig, thetas: Float[Array, "s p"]):
    """The initial states of all starts (vmapped; strongly typed, as :func:`run_chunk` returns them)."""
    states = jax.vmap(lambda t: init_state(problem, config, t))(thetas)
    return jax.tree.map(lambda x: jnp.asarray(x, dtype=x.dtype), states)


@eqx.filter_jit
def run_chunk(
    problem: AbstractObjective,
    config: OptimizerConfig,
    states: StartState,
    goal: Float[ArrayLike, ""],
    n_steps: int,
) -> tuple[StartState, Float[Array, "s n"]]:
    """Advance every start by ``n_steps`` steps; the states and the losses ``[start, step]``."""

    def one_start(state):
        def body(carry, _):
            return step(problem, config, carry, goal)

        return jax.lax.scan(body, state, None, length=n_steps)

    states, losses = jax.vmap(one_start)(states)
    return states, losses


@eqx.filter_jit
def evaluate(problem: FitProblem, thetas: Float[Array, "s p"]):
    """Target terms, penalty, observables and m_ν at each start's θ (vmapped, fit settings)."""
    return jax.vmap(problem.loss_terms)(thetas)


def optimize(
    problem,
    config: OptimizerConfig,
    thetas: Float[Array, "s p"],
    goal: Float[ArrayLike, ""],
    n_chunks: int,
    chunk_steps: int,
    progress=None,
) -> tuple[StartState, np.ndarray]:
    """Run every start for up to ``n_chunks * chunk_steps`` steps, stopping early when all are done.

    ``problem`` is an :class:`~jaxcogen.fitting._problem.AbstractObjective` (a fit or a bound). ``progress`` is called after each chunk with
    ``(steps_done, best_losses, done)``. Returns the final states and the ``[start, step]`` losses.
    """
    states = init_states(problem, config, jnp.asarray(thetas))
    histories = []
    for chunk in range(n_chunks):
        states, losses = run_chunk(problem, config, states, goal, chunk_steps)
        histories.append(np.asarray(losses))
        done = np.asarray(states.done)
        if progress is not None:
            progress((chunk + 1) * chunk_steps, np.asarray(states.best_loss), done)
        if done.all():
            break
    return states, np.concatenate(histories, axis=1)


def best_start(losses: np.ndarray, success: np.ndarray) -> int:
    """Index of the start to report: the lowest loss among the successful starts, else the lowest
    loss among all (a start with a non-finite loss only if every start has one).

    Ranks lexicographically by (failed, loss), never by ``loss + 1e300``, which rounds every
    failed start to the same number and so always picked start 0.
    """
    losses = np.where(np.isfinite(losses), np.asarray(losses, dtype=float), np.inf)
    failed = ~np.asarray(success, dtype=bool)
    return int(np.lexsort((losses, failed))[0])
