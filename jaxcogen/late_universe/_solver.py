r"""A diffrax solver for a scalar Riccati equation, with every implicit stage in closed form.

The late-universe stage (:mod:`._dark_freezeout`) brings the dark freeze-out to the form

.. math::
    \frac{dv}{d\lambda}=-a(\lambda)\,v^2-b(\lambda)\,v+c(\lambda),\qquad a\ge0,\ c\ge0,\ v\ge0

(:math:`b` of either sign). :class:`RiccatiESDIRK` integrates it with the Butcher tableau of an
ESDIRK method of Kværnø (``diffrax.Kvaerno5`` by default: A-L stable, stiffly accurate, 7 stages of
which 6 implicit, 5th order with an embedded, also stiffly accurate, 4th-order solution;
``Kvaerno4``/``Kvaerno3`` selectable; A. Kværnø, "Singly diagonally implicit Runge–Kutta methods with
an explicit first stage", BIT 44 (2004) 489). Every implicit stage
:math:`v_i=e_i+\gamma h\,f(\lambda_i,v_i)`, with the explicit part :math:`e_i=v_n+h\sum_{j<i}a_{ij}f_j`,
is the quadratic

.. math::
    \alpha v_i^2+\beta v_i-D=0,\qquad \alpha=\gamma h\,a_i,\quad \beta=1+\gamma h\,b_i,\quad D=e_i+\gamma h\,c_i,

which for :math:`\alpha>0`, :math:`D\ge0` has exactly one non-negative root (the product of the
roots is :math:`-D/\alpha\le0`), taken in closed form without cancellation:
:math:`v_i=2D/(\beta+\sqrt{\beta^2+4\alpha D})` for :math:`\beta\ge0`,
:math:`(|\beta|+\sqrt{\beta^2+4\alpha D})/(2\alpha)` for :math:`\beta<0`. No Newton iteration, so
the discrete solution is a smooth function of the inputs and plain automatic differentiation
gives its exact derivatives. The stage slope is :math:`f_i=(v_i-e_i)/(\gamma h)` (not
:math:`f(\lambda_i,v_i)`, which loses all digits where :math:`a\sim10^{20}` and :math:`v_i` sits on
the quasi-static root), carried to the next step (first-same-as-last).

A stage with :math:`D<0` has no non-negative root, and one with :math:`\beta<0` and :math:`\alpha`
too small for the quadratic term to decide (:math:`4\alpha D<\beta^2`) would pick a root far from
the solution of the linear equation: in both cases the step returns an infinite error and the
controller rejects it (no clipping: a clipped stage would have a zero derivative). The error
estimate is :math:`v_{n+1}-\hat v_{n+1}`, the difference of the two stiffly accurate solutions
(the last two stages, both at :math:`\lambda_{n+1}`), filtered by
:math:`(1+\gamma h\,|J|)^{-1}` with :math:`J=-(2av_{n+1}+b)` (Shampine's filter: it vanishes on the
stiff, equilibrium-tracking mode instead of stalling the step size at :math:`\sim1/|J|`), and
measured against :math:`|v|+v_{\rm floor}`: the returned error is scaled by
:math:`|v|/(|v|+v_{\rm floor})`, so a PID controller with ``atol`` = 0 controls
:math:`{\rm err}/({\rm rtol}\,(|v|+v_{\rm floor}))`. The coefficients come from
``coefficients(t, args) -> (a, b, c, v_floor)``, evaluated once per distinct stage time (5 per step
for Kvaerno5, 3 for Kvaerno4, 2 for Kvaerno3).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import diffrax
import equinox as eqx
import jax.numpy as jnp
import numpy as np


def positive_root(A, B, C):
    r"""The root :math:`N\ge0` of :math:`AN^2+BN-C=0` for :math:`A\ge0,\ B>0,\ C\ge0` (no cancellation)."""
    return 2.0 * C / (B + jnp.sqrt(B * B + 4.0 * A * C))


def riccati_stage(alpha, beta, D):
    r"""The root of :math:`\alpha v^2+\beta v-D=0` on the branch of the solution, and whether it is usable.

    The branch is the root that is continuous in :math:`D` through :math:`D=0` and that is the
    non-negative one for :math:`D\ge0` (module docstring): :math:`2D/(\beta+\sqrt{\beta^2+4\alpha D})`
    for :math:`\beta\ge0` (negative, close to zero, for small :math:`D<0`),
    :math:`(|\beta|+\sqrt{\beta^2+4\alpha D})/(2\alpha)` for :math:`\beta<0`. Returns ``(v, ok)``;
    ``ok`` is False where there is no real root, and where :math:`\beta<0` with
    :math:`4\alpha D<\beta^2` (the quadratic term too weak to decide: the root is then far from the
    solution of the linear part, an unresolved growth). Both branches are evaluated on safe
    arguments, so derivatives are finite.
    """
    disc = beta * beta + 4.0 * alpha * D
    real = disc > 0.0
    root = jnp.where(real, jnp.sqrt(jnp.where(real, disc, 1.0)), 0.0)
    positive = beta >= 0.0
    den = beta + root
    usable_den = positive & (den > 0.0)
    v_pos = 2.0 * D / jnp.where(usable_den, den, 1.0)
    alpha_safe = jnp.where(positive | (alpha <= 0.0), 1.0, alpha)
    v_neg = (root - beta) / (2.0 * alpha_safe)
    ok = jnp.where(positive, (disc >= 0.0) & usable_den, 4.0 * alpha * D >= beta * beta)
    v = jnp.where(positive, v_pos, v_neg)
    # an unusable stage rejects the step; a finite stand-in keeps the later stages (and their
    # derivatives, multiplied by zero) finite
    return jnp.where(ok & jnp.isfinite(v), v, 0.0), ok


class RiccatiESDIRK(diffrax.AbstractAdaptiveSolver):
    r"""ESDIRK with closed-form stages for :math:`dv/d\lambda=-av^2-bv+c` (module docstring).

    Attributes:
        coefficients: ``coefficients(t, args) -> (a, b, c, v_floor)`` (static).
        tableau_of: the diffrax ESDIRK whose tableau is used (``diffrax.Kvaerno5`` default,
            ``Kvaerno4``, ``Kvaerno3``) — static.
    """

    coefficients: Callable = eqx.field(static=True)
    tableau_of: type = eqx.field(static=True, default=diffrax.Kvaerno5)

    term_structure: ClassVar = diffrax.AbstractTerm
    interpolation_cls: ClassVar = diffrax.LocalLinearInterpolation

    def order(self, terms):
        return {diffrax.Kvaerno3: 3, diffrax.Kvaerno4: 4, diffrax.Kvaerno5: 5}[self.tableau_of]

    def error_order(self, terms):
        return self.order(terms) - 1

    def _tableau(self):
        t = self.tableau_of.tableau
        gamma = float(t.a_diagonal[1])
        if not np.allclose(t.a_diagonal[1:], gamma) or t.a_diagonal[0] != 0.0:
            raise ValueError("RiccatiESDIRK needs an ESDIRK tableau (explicit first stage)")
        a_rows = [np.asarray(row, dtype=float) for row in t.a_lower]
        c = [0.0, *(float(v) for v in t.c)]
        # stiffly accurate, with the embedded solution the second-last stage (at c = 1 too)
        if not (np.allclose(a_rows[-1], t.b_sol[:-1]) and c[-1] == 1.0 and c[-2] == 1.0):
            raise ValueError(
                "RiccatiESDIRK needs a stiffly accurate tableau with an embedded stage"
            )
        return gamma, a_rows, c

    def init(self, terms, t0, t1, y0, args):
        a, b, c, _ = self.coefficients(t0, args)
        return -a * y0 * y0 - b * y0 + c  # f at t0 (first-same-as-last afterwards)

    def step(self, terms, t0, t1, y0, args, solver_state, made_jump):
        del terms, made_jump
        gamma, a_rows, c_nodes = self._tableau()
        h = t1 - t0
        gh = gamma * h
        # under vmap diffrax keeps calling step for a lane that has finished, with t0 == t1 (h = 0),
        # and discards the result with a select; its zero cotangent times 1/gh = inf would be NaN
        # in reverse mode, so the stage slopes divide by a stand-in there (double where)
        gh_safe = jnp.where(gh == 0.0, 1.0, gh)
        coeffs = {}
        for ci in c_nodes[1:]:
            if ci not in coeffs:
                coeffs[ci] = self.coefficients(t0 + ci * h, args)
        fs = [solver_state]
        vs = [y0]
        ok = jnp.asarray(True)
        for i, row in enumerate(a_rows, start=1):
            a, b, c, _ = coeffs[c_nodes[i]]
            explicit = y0 + h * sum(float(w) * f for w, f in zip(row, fs, strict=True) if w != 0.0)
            v, ok_i = riccati_stage(gh * a, 1.0 + gh * b, explicit + gh * c)
            ok = ok & ok_i
            vs.append(v)
            fs.append((v - explicit) / gh_safe)
        y1 = vs[-1]
        a, b, _, v_floor = coeffs[1.0]
        stiffness = jnp.abs(2.0 * a * y1 + b)
        filtered = (y1 - vs[-2]) / (1.0 + gh * stiffness)
        size = jnp.maximum(jnp.abs(y0), jnp.abs(y1))
        error = jnp.abs(filtered) * size / jnp.maximum(size + v_floor, 1e-300)
        good = ok & jnp.isfinite(y1) & jnp.isfinite(error)
        y_error = jnp.where(good, error, jnp.inf)
        dense_info = dict(y0=y0, y1=y1)
        return y1, y_error, dense_info, fs[-1], diffrax.RESULTS.successful

    def func(self, terms, t0, y0, args):
        a, b, c, _ = self.coefficients(t0, args)
        return -a * y0 * y0 - b * y0 + c
