"""Reverse-mode gradients under ``jax.vmap`` equal each point's own gradient.

Under ``vmap`` the adaptive ``diffrax`` loop keeps stepping a lane that has already finished,
with ``t0 == t1`` (h = 0), and discards the result with a select. The select's zero cotangent
times a non-finite partial derivative of the discarded step is NaN: ``RiccatiESDIRK`` divided
the stage slopes by ``gamma h``, so the lane that finished first got a NaN gradient (and the
late-universe stage, hence every vmapped fit or bound that solves it, with it). The smallest
reproduction is the solver itself on a Riccati equation whose two points need different numbers
of steps (docs/late_universe.md, "Gradients under vmap").
"""

import diffrax
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxcogen.late_universe._solver import RiccatiESDIRK

jax.config.update("jax_enable_x64", True)

MAX_STEPS = 512


def _coefficients(t, args):
    (k,) = args
    one = jnp.ones_like(t)
    return k * jnp.exp(-t), one, k * jnp.exp(-2.0 * t), 1e-3 * one


def _solve(k, adjoint):
    sol = diffrax.diffeqsolve(
        diffrax.ODETerm(lambda t, v, args: jnp.zeros_like(v)),  # the solver uses the coefficients
        RiccatiESDIRK(_coefficients),
        t0=0.0,
        t1=10.0,
        dt0=None,
        y0=jnp.asarray(1.0),
        args=(k,),
        stepsize_controller=diffrax.PIDController(rtol=1e-8, atol=1e-300),
        adjoint=adjoint,
        max_steps=MAX_STEPS,
        throw=False,
    )
    return sol.ys[-1], sol.stats["num_steps"]


# k = 1 takes ~80 steps, k = 1e4 ~130: under vmap the first lane runs ~50 steps with h = 0
KS = jnp.asarray([1.0, 1e4])


@pytest.mark.parametrize(
    ("adjoint", "rtol"),
    [
        # every step checkpointed: the same floating-point operations as the single solve
        (diffrax.RecursiveCheckpointAdjoint(checkpoints=MAX_STEPS), 1e-10),
        # the default (online treeverse, as the late-universe stage): the recomputed forward
        # steps depend on the total number of steps (the slowest lane's) and differ in the last
        # digits, which the adaptive step-size decisions carry to a ~3e-7 relative difference of
        # the gradient (also without vmap, when only the number of checkpoints changes)
        (diffrax.RecursiveCheckpointAdjoint(), 1e-5),
    ],
)
def test_vmapped_gradient_equals_single(adjoint, rtol):
    value_and_grad = jax.value_and_grad(lambda k: _solve(k, adjoint), has_aux=True)
    (values, steps), grads = jax.jit(jax.vmap(value_and_grad))(KS)
    assert steps[0] < steps[1]  # the first lane finishes first and idles with h = 0
    assert np.all(np.isfinite(grads))
    single = jax.jit(value_and_grad)
    for i, k in enumerate(KS):
        (value, _), grad = single(k)
        assert np.isfinite(grad) and grad != 0.0
        np.testing.assert_allclose(values[i], value, rtol=1e-12)
        np.testing.assert_allclose(grads[i], grad, rtol=rtol)
