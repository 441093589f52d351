r"""Freeze-in of a feebly coupled particle :math:`X` from the decays :math:`B\to X+\dots` of a bath particle.

A validation model (Hall, Jedamzik, March-Russell & West, "Freeze-In Production of FIMP Dark
Matter", arXiv:0911.1120, §2, "HJMW" below) run through jaxcogen's machinery: the
:math:`g_*(T)`, :math:`g_{*s}(T)` table, the scaled Bessel function :math:`e^zK_1(z)` of
:mod:`jaxcogen._special` and a diffrax solve. Compared with HJMW's closed form in
``tests/test_models_relics.py`` (``docs/validation_relics.md``).

**Equation.** :math:`B` (mass :math:`m_B`, internal dof :math:`g_B`) is in equilibrium with the SM
bath (Maxwell–Boltzmann statistics, zero chemical potential) and decays into one :math:`X` plus
bath particles with the partial width :math:`\Gamma` (rest frame). :math:`X` never reaches
equilibrium (:math:`Y_X\ll Y_X^{\rm eq}`), so the inverse process is negligible and the reaction
density of :math:`X` production is the thermally averaged decay rate times :math:`n_B^{\rm eq}`
(Kolb & Turner ch. 6; HJMW eq. 2.2; Gondolo & Gelmini, Nucl. Phys. B360 (1991) 145):

.. math::
    \gamma_D=n_B^{\rm eq}\,\Gamma\,\frac{K_1(m_B/T)}{K_2(m_B/T)}
    =\frac{g_B\,m_B^2\,\Gamma\,T}{2\pi^2}\,K_1\!\Big(\frac{m_B}{T}\Big).

With :math:`z=m_B/T`, :math:`Y_X=n_X/s` and :math:`dT/dt=-HT/(1+\delta)`,
:math:`\delta=\tfrac13d\ln g_{*s}/d\ln T` (:func:`jaxcogen.cosmology.entropy_heating_factor`):

.. math::
    \frac{dY_X}{dz}=(1+\delta)\,\frac{\gamma_D}{z\,H\,s}
    =(1+\delta)\,\frac{45\,g_B\,\Gamma\,m_{\rm Pl}}{4\pi^4c_H\,g_{*s}\sqrt{g_*}\,m_B^2}\;z^3K_1(z),

:math:`H=c_H\sqrt{g_*}T^2/m_{\rm Pl}`, :math:`c_H=\sqrt{4\pi^3/45}`, :math:`s=\tfrac{2\pi^2}{45}g_{*s}T^3`.
For constant :math:`g_*=g_{*s}` the integral :math:`\int_0^\infty z^3K_1(z)\,dz=3\pi/2` (DLMF 10.43.19)
gives HJMW's closed form

.. math::
    Y_X^\infty=\frac{135\,g_B\,\Gamma\,m_{\rm Pl}}{8\pi^3\,c_H\,g_{*s}\sqrt{g_*}\,m_B^2}

(HJMW eq. 2.4 with :math:`c_H=1.66`, :math:`g_{*s}=g_*`), and
:math:`\Omega_Xh^2=m_XY_X^\infty s_0/(\rho_c/h^2)` (:func:`jaxcogen.observables.relic_density`).
A decay into two :math:`X` doubles :math:`Y_X` (not modelled: one :math:`X` per decay).

**Numerics.** The ODE is linear with a pure source, so the state is the dimensionless
:math:`y=Y_X/P` with :math:`P=45g_B\Gamma m_{\rm Pl}/(4\pi^4c_Hm_B^2)` (:math:`y` does not depend on
:math:`\Gamma` or :math:`g_B` at all, so :math:`Y_X\propto g_B\Gamma` exactly), integrated in
:math:`\ln z` with the explicit Tsit5 (nothing is stiff: there is no sink term):
:math:`dy/d\ln z=(1+\delta)\,z^4e^{-z}[e^zK_1(z)]/(g_{*s}\sqrt{g_*})` from :math:`z_0=10^{-4}` to
:math:`z_{\rm end}=100` (the part beyond is :math:`\int_{100}^\infty z^3K_1<10^{-37}` of the total),
starting from the production above :math:`T=m_B/z_0`, :math:`y(z_0)=z_0^3/(3g_{*s}\sqrt{g_*})`
(:math:`z^3K_1\to z^2` for :math:`z\to0`; relative size :math:`\sim10^{-13}`).
"""

from __future__ import annotations

import math
from typing import ClassVar

import diffrax
import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Bool, Float

from jaxcogen import constants, observables
from jaxcogen._interface import Observable, Parameter
from jaxcogen._special import bessel_k1e
from jaxcogen.models._inputs import (
    STATUS_INVALID_INPUT as STATUS_INVALID_INPUT,  # status 100, re-exported
)
from jaxcogen.models._inputs import (
    AbstractValidationModel,
    ModelSolution,
    check_range,
    is_concrete,
    status_and_guard,
    validated_settings,
)
from jaxcogen.models.freeze_out import Background

#: Allowed ranges, checked on concrete inputs (``ValueError``) and under ``jit`` (status 100).
M_B_RANGE = (1e-2, 1e12)  # GeV
GAMMA_OVER_M_B_RANGE = (1e-40, 1e-1)
G_B_RANGE = (1.0, 1000.0)
#: Allowed ranges of the float settings of :func:`solve_freeze_in_decay`.
SETTING_RANGES = {"rtol": (1e-14, 1e-3), "atol": (1e-20, 1e-3)}
#: Integration range in z = m_B/T (module docstring).
Z_START = 1e-4
Z_END = 100.0


class FreezeInDecayModel(AbstractValidationModel):
    r"""Freeze-in of :math:`X` from :math:`B\to X+\dots` (module docstring).

    Attributes:
        m_B: mass of the bath particle :math:`B` [GeV], in :math:`[10^{-2},10^{12}]`.
        Gamma: partial width :math:`\Gamma(B\to X+\dots)` [GeV], with
            :math:`\Gamma/m_B\in[10^{-40},10^{-1}]`.
        g_B: internal dof of :math:`B`, in :math:`[1,1000]`.
        m_X: mass of :math:`X` [GeV] (only for :math:`\Omega_Xh^2`), :math:`0<m_X<m_B`.
        g_star_constant: ``None`` (default: the SM table) or a constant :math:`g_*=g_{*s}` — static.

    Concrete inputs are validated when the model is built (``ValueError`` naming the parameter
    and its allowed range); traced inputs are checked by :meth:`is_valid` (NaN, status 100).
    """

    m_B: Float[ArrayLike, "..."]
    Gamma: Float[ArrayLike, "..."]
    g_B: Float[ArrayLike, "..."]
    m_X: Float[ArrayLike, "..."]
    g_star_constant: float | None = eqx.field(static=True)

    name: ClassVar[str] = "freeze_in_decay"
    # Gamma/m_B and m_X < m_B are checked per point (status 100); these are outer bounds
    parameters: ClassVar[dict[str, Parameter]] = {
        "m_B": Parameter(
            "GeV", "mass of the decaying bath particle B", *M_B_RANGE, scale="log", positive=True
        ),
        "Gamma": Parameter(
            "GeV",
            "partial width of B -> X + ...",
            GAMMA_OVER_M_B_RANGE[0] * M_B_RANGE[0],
            GAMMA_OVER_M_B_RANGE[1] * M_B_RANGE[1],
            scale="log",
            positive=True,
            relative_to="m_B",
            ratio_range=GAMMA_OVER_M_B_RANGE,
        ),
        "g_B": Parameter(
            "1", "internal degrees of freedom of B", *G_B_RANGE, scale="log", positive=True
        ),
        "m_X": Parameter(
            "GeV",
            "mass of the frozen-in X",
            1e-12,
            M_B_RANGE[1],
            scale="log",
            positive=True,
            relative_to="m_B",
            ratio_range=(0.0, 1.0),
        ),
    }
    observables: ClassVar[dict[str, Observable]] = {
        "Omega_h2": Observable("1", "relic density Omega_X h^2 of the frozen-in X"),
        "Y_inf": Observable("1", "final yield n_X/s"),
    }
    default_targets: ClassVar[dict[str, float]] = {"Omega_h2": constants.Omega_c_h2_observed}
    default_free: ClassVar[tuple[str, ...]] = ("Gamma",)
    setting_ranges: ClassVar[dict[str, tuple[float, float]]] = SETTING_RANGES

    @staticmethod
    def public_solve():
        return solve_freeze_in_decay

    def traced_solve(self, floats, max_steps, n_save):
        return solve_freeze_in_decay_unjitted(self, **floats, max_steps=max_steps, n_save=n_save)

    def __init__(self, *, m_B, Gamma, m_X, g_B=1.0, g_star_constant: float | None = None):
        from jaxcogen.models.freeze_out import _check_g_star_constant

        _check_g_star_constant(g_star_constant)
        values = dict(m_B=m_B, Gamma=Gamma, g_B=g_B, m_X=m_X)
        if all(is_concrete(v) for v in values.values()):
            check_range("m_B", m_B, *M_B_RANGE, " GeV")
            lo, hi = GAMMA_OVER_M_B_RANGE
            check_range(
                "Gamma",
                Gamma,
                lo * float(np.min(m_B)),
                hi * float(np.max(m_B)),
                f" GeV (Gamma/m_B in [{lo:g}, {hi:g}])",
            )
            check_range("Gamma/m_B", np.asarray(Gamma) / np.asarray(m_B), lo, hi)
            check_range("g_B", g_B, *G_B_RANGE)
            check_range(
                "m_X", m_X, 1e-300, float(np.min(m_B)) * (1.0 - 1e-12), " GeV (0 < m_X < m_B)"
            )
        for name, value in values.items():
            setattr(self, name, jnp.asarray(value, dtype=jnp.float64))
        self.g_star_constant = None if g_star_constant is None else float(g_star_constant)

    def is_valid(self) -> Bool[ArrayLike, "..."]:
        """The ranges of the class docstring as a traced boolean (for ``jit``/``vmap``)."""
        ratio = self.Gamma / self.m_B
        ok = (self.m_B >= M_B_RANGE[0]) & (self.m_B <= M_B_RANGE[1])
        ok &= (ratio >= GAMMA_OVER_M_B_RANGE[0]) & (ratio <= GAMMA_OVER_M_B_RANGE[1])
        ok &= (self.g_B >= G_B_RANGE[0]) & (self.g_B <= G_B_RANGE[1])
        ok &= (self.m_X > 0.0) & (self.m_X < self.m_B)
        return ok

    @property
    def yield_prefactor(self) -> Float[ArrayLike, "..."]:
        r""":math:`P=45g_B\Gamma m_{\rm Pl}/(4\pi^4c_Hm_B^2)`, so that :math:`Y_X=P\,y`."""
        return (
            45.0
            * self.g_B
            * self.Gamma
            * constants.m_Pl
            / (4.0 * jnp.pi**4 * constants.hubble_coefficient * self.m_B**2)
        )


def decay_reaction_density(model: FreezeInDecayModel, T) -> Float[ArrayLike, "..."]:
    r""":math:`\gamma_D=g_Bm_B^2\Gamma TK_1(m_B/T)/(2\pi^2)` [GeV⁴] (module docstring)."""
    T = jnp.asarray(T, dtype=jnp.float64)
    z = model.m_B / T
    return (
        model.g_B * model.m_B**2 * model.Gamma * T * jnp.exp(-z) * bessel_k1e(z) / (2 * jnp.pi**2)
    )


def closed_form_yield(model: FreezeInDecayModel) -> Float[ArrayLike, "..."]:
    r"""HJMW's :math:`Y_X^\infty=135g_B\Gamma m_{\rm Pl}/(8\pi^3c_Hg_{*s}\sqrt{g_*}m_B^2)` for constant :math:`g_*` only."""
    if model.g_star_constant is None:
        raise ValueError("closed_form_yield: needs a model with g_star_constant (constant g_*)")
    g = model.g_star_constant
    return (
        135.0
        * model.g_B
        * model.Gamma
        * constants.m_Pl
        / (8.0 * jnp.pi**3 * constants.hubble_coefficient * g * math.sqrt(g) * model.m_B**2)
    )


def _vector_field(log_z, y, model: FreezeInDecayModel):
    z = jnp.exp(log_z)
    b = Background(model.g_star_constant).at(model.m_B / z)
    return (
        b["one_plus_delta"]
        * z**4
        * jnp.exp(-z)
        * bessel_k1e(z)
        / (b["g_star_s"] * jnp.sqrt(b["g_star"]))
    )


class FreezeInDecaySolution(ModelSolution):
    r"""Result of :func:`solve_freeze_in_decay`.

    Attributes:
        T: the save grid [GeV] (log-spaced from :math:`m_B/10^{-4}` down to :math:`m_B/100`).
        z: :math:`m_B/T` on the grid.
        Y_X: :math:`Y_X(T)` on the grid.
        Y_inf: the final yield :math:`Y_X^\infty`.
        Omega_h2: :math:`\Omega_Xh^2=m_XY_X^\infty s_0/(\rho_c/h^2)`.
        status, num_steps, num_rejected_steps: see :class:`~jaxcogen.models._inputs.ModelSolution`
            (every output above is NaN unless ``status`` is 0).
    """

    T: Float[Array, "... n"]
    z: Float[Array, "... n"]
    Y_X: Float[Array, "... n"]
    Y_inf: Float[ArrayLike, "..."]
    Omega_h2: Float[ArrayLike, "..."]


def solve_freeze_in_decay(
    model: FreezeInDecayModel,
    *,
    rtol: float = 1e-11,
    atol: float = 1e-14,
    max_steps: int = 4096,
    n_save: int = 100,
) -> FreezeInDecaySolution:
    r"""Integrate the freeze-in of ``model`` (module docstring): :math:`Y_X(T)`, :math:`Y_X^\infty`, :math:`\Omega_Xh^2`.

    Jittable, vmappable and differentiable in every model field. ``rtol``/``atol``: PID
    controller tolerances on :math:`y=Y_X/P` (of order 1 at the end); bad settings raise
    ``ValueError`` before any tracing.
    """
    rtol, atol = validated_settings(SETTING_RANGES, dict(rtol=rtol, atol=atol), max_steps, n_save)
    return _solve_jit(model, rtol, atol, max_steps, n_save)


@eqx.filter_jit
def _solve_jit(model, rtol, atol, max_steps, n_save):
    return solve_freeze_in_decay_unjitted(model, rtol, atol, max_steps=max_steps, n_save=n_save)


def solve_freeze_in_decay_unjitted(
    model: FreezeInDecayModel, rtol=1e-11, atol=1e-14, *, max_steps: int = 4096, n_save: int = 100
) -> FreezeInDecaySolution:
    """The traceable body of :func:`solve_freeze_in_decay` (one point; wrap in ``vmap`` for many)."""
    valid = model.is_valid()
    model_safe = eqx.tree_at(lambda md: md.m_B, model, jnp.where(valid, model.m_B, 1.0))
    t0, t1 = math.log(Z_START), math.log(Z_END)
    grid = jnp.linspace(t0, t1, n_save)
    b0 = Background(model.g_star_constant).at(model_safe.m_B / Z_START)
    y0 = Z_START**3 / (3.0 * b0["g_star_s"] * jnp.sqrt(b0["g_star"]))
    sol = diffrax.diffeqsolve(
        diffrax.ODETerm(_vector_field),
        diffrax.Tsit5(),
        t0=t0,
        t1=t1,
        dt0=None,
        y0=y0,
        args=model_safe,
        saveat=diffrax.SaveAt(ts=grid),
        stepsize_controller=diffrax.PIDController(rtol=rtol, atol=atol),
        max_steps=max_steps,
        throw=False,
    )
    status, guard = status_and_guard(valid, sol.result)

    P = model.yield_prefactor
    Y_X = guard(P * sol.ys)
    z = jnp.exp(grid)
    return FreezeInDecaySolution(
        T=model.m_B / z,
        z=z,
        Y_X=Y_X,
        Y_inf=Y_X[-1],
        Omega_h2=observables.relic_density(model.m_X, Y_X[-1]),
        **ModelSolution.bookkeeping(status, sol),
    )
