r"""A diffrax solver for the scalar Riccati equation of the dark freeze-out, with closed-form stages.

The minority yield :math:`N` of the χ family obeys (module :mod:`._dark_freezeout`)

.. math::
    \frac{dN}{d\tau}=-k(\tau)\,\big[N^2+\Delta\,N-E(\tau)\big],\qquad k\ge0,\ \Delta\ge0,\ E=N_{\rm eq}^2\ge0.

:class:`RiccatiESDIRK` integrates it with the Butcher tableau of an ESDIRK method of Kværnø
(``diffrax.Kvaerno5`` by default: A-L stable, stiffly accurate, 7 stages of which 6 implicit,
5th order with an embedded, also stiffly accurate, 4th-order solution; A. Kværnø, "Singly diagonally
implicit Runge–Kutta methods with an explicit first stage", BIT 44 (2004) 489). Every implicit
stage :math:`N_i=c_i+\gamma h\,f(\tau_i,N_i)`, :math:`c_i=N_n+h\sum_{j<i}a_{ij}f_j`, is a quadratic
in :math:`N_i`,

.. math::
    \gamma hk_i\,N_i^2+(1+\gamma hk_i\Delta)\,N_i-(c_i+\gamma hk_iE_i)=0,

whose non-negative root :math:`N_i=2C/(B+\sqrt{B^2+4AC})` is taken in closed form (no Newton
iteration, no cancellation; exact derivatives by plain automatic differentiation). The stage slope
is then :math:`f_i=(N_i-c_i)/(\gamma h)` (not :math:`-k(N_i^2+\Delta N_i-E_i)`, which would lose all
digits where :math:`k\sim10^{20}` and :math:`N_i\simeq N_{\rm eq}`), and it is carried to the next
step (first-same-as-last). A stage with :math:`c_i+\gamma hk_iE_i<0` has no non-negative root: the
step returns an infinite error estimate and the step-size controller rejects it. The error
estimate is :math:`N_{n+1}-\hat N_{n+1}`, the difference of the two stiffly accurate solutions
(the last two stages, both at :math:`\tau_{n+1}`), so it vanishes on the stiff (equilibrium-tracking)
mode instead of stalling the step size at :math:`\sim1/k`.

The coefficients :math:`k(\tau)`, :math:`E(\tau)` come from ``coefficients(tau, args)`` (evaluated
once per distinct stage time: 5 per step for Kvaerno5); ``args`` carries them.
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


class RiccatiESDIRK(diffrax.AbstractAdaptiveSolver):
    r"""ESDIRK with closed-form stages for :math:`dN/d\tau=-k(N^2+\Delta N-E)` (module docstring).

    Attributes:
        coefficients: ``coefficients(tau, args) -> (k, E, Delta)`` (static).
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
        k, E, Delta = self.coefficients(t0, args)
        return -k * (y0 * y0 + Delta * y0 - E)  # f at t0 (first-same-as-last afterwards)

    def step(self, terms, t0, t1, y0, args, solver_state, made_jump):
        del terms, made_jump
        gamma, a_rows, c = self._tableau()
        h = t1 - t0
        gh = gamma * h
        coeffs = {}
        for ci in c[1:]:
            if ci not in coeffs:
                coeffs[ci] = self.coefficients(t0 + ci * h, args)
        fs = [solver_state]
        Ns = [y0]
        bad = jnp.asarray(False)
        clipped = jnp.zeros_like(y0)
        for i, row in enumerate(a_rows, start=1):
            k, E, Delta = coeffs[c[i]]
            explicit = y0 + h * sum(float(a) * f for a, f in zip(row, fs, strict=True) if a != 0.0)
            A = gh * k
            C = explicit + A * E
            bad = bad | jnp.isnan(C)
            B = 1.0 + A * Delta
            clipped = clipped + jnp.maximum(-C, 0.0) / B
            N = positive_root(A, B, jnp.maximum(C, 0.0))
            Ns.append(N)
            fs.append((N - explicit) / gh)
        y1 = Ns[-1]
        # (1 - gamma h J)^{-1} filter, J = -k (2 N + Delta) at the new point
        k, _, Delta = coeffs[1.0]
        filtered = (y1 - Ns[-2]) / (1.0 + gh * k * (2.0 * y1 + Delta))
        y_error = jnp.where(bad | ~jnp.isfinite(y1), jnp.inf, jnp.abs(filtered) + clipped)
        dense_info = dict(y0=y0, y1=y1)
        return y1, y_error, dense_info, fs[-1], diffrax.RESULTS.successful

    def func(self, terms, t0, y0, args):
        k, E, Delta = self.coefficients(t0, args)
        return -k * (y0 * y0 + Delta * y0 - E)
