r"""Standard WIMP freeze-out with a constant s-wave :math:`\langle\sigma v\rangle`.

A validation model: the textbook relic-density calculation run through jaxcogen's machinery
(the :math:`g_*(T)`, :math:`g_{*s}(T)` table of :mod:`jaxcogen.thermodynamics`, the scaled Bessel
functions of :mod:`jaxcogen._special`, a stiff diffrax solve), compared with Steigman,
Dasgupta & Beacom, arXiv:1204.3622 ("SDB"), an independent scipy Radau solve and the Kolb–Turner
approximation (``tests/test_models_relics.py``, ``docs/validation_relics.md``).

**Equation** (Gondolo & Gelmini, Nucl. Phys. B360 (1991) 145; Kolb & Turner, *The Early Universe*,
ch. 5.2; SDB §II). With :math:`x=m_\chi/T`, :math:`Y=n/s` and entropy conservation,
:math:`dT/dt=-HT/(1+\delta)` with :math:`\delta=\tfrac13\,d\ln g_{*s}/d\ln T`
(:func:`jaxcogen.cosmology.entropy_heating_factor`), so

.. math::
    \frac{dY}{dx}=-\,(1+\delta)\,\frac{s\,\langle\sigma v\rangle_{\rm eff}}{H\,x}
    \big(Y^2-Y_{\rm eq}^2\big),\qquad
    H=\sqrt{\tfrac{4\pi^3}{45}}\,\sqrt{g_*}\,\frac{T^2}{m_{\rm Pl}},\quad
    s=\tfrac{2\pi^2}{45}\,g_{*s}T^3,

with the Maxwell–Boltzmann equilibrium yield

.. math::
    Y_{\rm eq}(x)=\frac{g_{\rm tot}}{2\pi^2}\,\frac{m_\chi^2TK_2(x)}{s}
    =\frac{45\,g_{\rm tot}}{4\pi^4g_{*s}(T)}\,x^2K_2(x).

**Conventions (the factors of 2).** :math:`Y` is always the *total* yield that makes the relic,
:math:`\Omega h^2=m_\chi Y_\infty s_0/(\rho_c/h^2)` (:func:`jaxcogen.observables.relic_density`).
``sigma_v`` is the annihilation cross section of one pair that can annihilate:

- self-conjugate (Majorana fermion, real scalar), ``self_conjugate=True``:
  :math:`\langle\sigma v\rangle=\langle\sigma v\rangle(\chi\chi\to{\rm SM})`,
  :math:`g_{\rm tot}=g_\chi` (2 for a Majorana fermion), :math:`\langle\sigma v\rangle_{\rm eff}=\langle\sigma v\rangle`.
  (Each annihilation removes two particles and the rate of pairs is :math:`\tfrac12n^2\sigma v`;
  the two factors of 2 cancel, :math:`\dot n+3Hn=-\langle\sigma v\rangle(n^2-n_{\rm eq}^2)`.)
- not self-conjugate (Dirac fermion, complex scalar), ``self_conjugate=False``, no asymmetry:
  :math:`\langle\sigma v\rangle=\langle\sigma v\rangle(\chi\bar\chi\to{\rm SM})`,
  :math:`n_\chi=n_{\bar\chi}=n/2`, so :math:`\dot n+3Hn=-\tfrac12\langle\sigma v\rangle(n^2-n_{\rm eq}^2)`:
  :math:`g_{\rm tot}=2g_\chi` (4 for a Dirac fermion) and
  :math:`\langle\sigma v\rangle_{\rm eff}=\langle\sigma v\rangle/2`. The same relic density then
  needs (almost exactly) twice the :math:`\langle\sigma v\rangle` of the Majorana case.

``sigma_v`` is given in cm³/s and converted with :data:`constants.GeV_minus2_in_cm3_per_s`
:math:`=(\hbar c)^2c=1.16733\times10^{-17}` cm³ s⁻¹ per GeV⁻².

**Numerics.** The state is :math:`W=\ln Y`, integrated in :math:`\ln x`:

.. math::
    \frac{dW}{d\ln x}=-\Lambda(x)\,e^{W}\big(1-e^{-2u}\big),\qquad
    \Lambda=(1+\delta)\frac{s\langle\sigma v\rangle_{\rm eff}}{H},\quad u=W-W_{\rm eq}.

Why :math:`W`: (i) :math:`Y` falls from :math:`\sim10^{-2}` to :math:`\sim10^{-12}` while
:math:`W` stays of order 10 throughout, so a plain absolute tolerance on :math:`W` is a uniform
*relative* tolerance on :math:`Y` (no :math:`{\rm atol}` floor to tune) and :math:`Y=e^W>0`
always; (ii) while :math:`\chi` tracks equilibrium, :math:`W\simeq W_{\rm eq}=-x+\tfrac32\ln x+\dots`
is smooth, so steps are limited only by stability, which the L-stable ESDIRK Kvaerno5 provides
(the relaxation rate :math:`2\Lambda Y_{\rm eq}` reaches :math:`10^{10}` per e-fold at
:math:`x=1`); (iii) the deviation :math:`u=W-W_{\rm eq}` alone would be equally smooth during
tracking, but grows like :math:`x` after freeze-out (:math:`10^6` and more at the end), where a
relative tolerance on it would no longer control :math:`Y`. The small difference
:math:`Y^2-Y_{\rm eq}^2=Y^2(1-e^{-2u})` is evaluated with ``expm1`` so the
:math:`u\sim10^{-10}` of the tracking phase keeps full precision. :math:`\ln x` as the clock makes
the long post-freeze-out tail (down to :math:`T=10^{-7}` GeV, the end of the :math:`g_*` table)
cost a handful of steps. Below that temperature :math:`g_*` and :math:`g_{*s}` are constant,
:math:`Y_{\rm eq}` is :math:`e^{-10^6}`-small and :math:`\Lambda\propto1/x`, so the rest of the
depletion is exact: :math:`1/Y_\infty=1/Y(x_{\rm end})+\Lambda(x_{\rm end})`.

The integration starts at ``x_start`` (default 1) in equilibrium, :math:`W=W_{\rm eq}`.
The freeze-out point :math:`x_f` is where :math:`Y=2Y_{\rm eq}` (:math:`u=\ln2`), read off the save
grid by linear interpolation in :math:`\ln x` (a diagnostic only; :math:`Y_\infty` does not use it).
"""

from __future__ import annotations

import math
from typing import ClassVar, no_type_check

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import optimistix as optx
from jaxtyping import Array, ArrayLike, Bool, Float

from jaxcogen import constants, cosmology, observables, thermodynamics
from jaxcogen._interface import Observable, Parameter
from jaxcogen._special import bessel_k012e, bessel_k2e
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

#: Allowed ranges, checked on concrete inputs (``ValueError``) and under ``jit`` (status 100).
M_CHI_RANGE = (1e-2, 1e6)  # GeV
SIGMA_V_RANGE = (1e-32, 1e-18)  # cm^3/s
G_CHI_RANGE = (1.0, 100.0)
#: Allowed ranges of the float solver settings.
SETTING_RANGES = {"rtol": (1e-14, 1e-3), "atol": (1e-16, 1e-3), "x_start": (0.1, 5.0)}
#: Where the integration stops [GeV]: the low end of the SM g_* table (constant below).
T_END = 1e-7
#: Tolerance of the Newton iteration of the implicit stages, in units of the controller's
#: (module docstring, "Numerics").
ROOT_TOLERANCE_FACTOR = 1.0e4


def _check_g_star_constant(value) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"g_star_constant={value!r}: must be None or a number in [1, 1000]")
    if not (1.0 <= float(value) <= 1000.0):
        raise ValueError(f"g_star_constant={value!r}: allowed range is [1, 1000]")


class Background(eqx.Module):
    r"""The SM plasma: the :math:`g_*(T)` table, or constant :math:`g_*=g_{*s}` (``g_star_constant``).

    ``at(T)`` returns :math:`s` [GeV³], :math:`H` [GeV], :math:`1+\delta`, :math:`g_{*s}`, :math:`g_*`.
    """

    g_star_constant: float | None = eqx.field(static=True, default=None)

    def at(self, T):
        T = jnp.asarray(T, dtype=jnp.float64)
        if self.g_star_constant is None:
            return dict(
                s=cosmology.entropy_density(T),
                H=cosmology.hubble_rate(T),
                one_plus_delta=cosmology.entropy_heating_factor(T),
                g_star_s=cosmology.g_star_s(T),
                g_star=cosmology.g_star(T),
            )
        g = float(self.g_star_constant)
        return dict(
            s=2.0 * jnp.pi**2 / 45.0 * g * T**3,
            H=constants.hubble_coefficient * math.sqrt(g) * T**2 / constants.m_Pl,
            one_plus_delta=jnp.ones_like(T),
            g_star_s=jnp.full_like(T, g),
            g_star=jnp.full_like(T, g),
        )


class FreezeOutModel(AbstractValidationModel):
    r"""One WIMP with a constant s-wave :math:`\langle\sigma v\rangle` (module docstring).

    Attributes:
        m_chi: WIMP mass [GeV], in :math:`[10^{-2},10^6]`.
        sigma_v: :math:`\langle\sigma v\rangle` [cm³/s], in :math:`[10^{-32},10^{-18}]`; for a
            non-self-conjugate WIMP the :math:`\chi\bar\chi` cross section.
        g_chi: internal dof of one particle (2 for a spin-1/2 fermion), in :math:`[1,100]`.
        self_conjugate: Majorana/real (True, default) or Dirac/complex (False) — static.
        g_star_constant: ``None`` (default: the SM table) or a constant :math:`g_*=g_{*s}` — static.

    Concrete inputs are validated when the model is built (``ValueError`` naming the parameter
    and its allowed range); traced inputs (inside ``jit``/``vmap``) are checked by
    :meth:`is_valid` and an invalid point solves to NaN with status 100.
    """

    m_chi: Float[ArrayLike, "..."]
    sigma_v: Float[ArrayLike, "..."]
    g_chi: Float[ArrayLike, "..."]
    self_conjugate: bool = eqx.field(static=True)
    g_star_constant: float | None = eqx.field(static=True)

    name: ClassVar[str] = "freeze_out"
    parameters: ClassVar[dict[str, Parameter]] = {
        "m_chi": Parameter("GeV", "WIMP mass", *M_CHI_RANGE, scale="log", positive=True),
        "sigma_v": Parameter(
            "cm^3/s",
            "s-wave annihilation cross section",
            *SIGMA_V_RANGE,
            scale="log",
            positive=True,
        ),
        "g_chi": Parameter(
            "1", "internal degrees of freedom", *G_CHI_RANGE, scale="log", positive=True
        ),
    }
    observables: ClassVar[dict[str, Observable]] = {
        "Omega_h2": Observable("1", "relic density Omega h^2"),
        "Y_inf": Observable("1", "relic yield n/s"),
        "x_f": Observable("1", "freeze-out point m_chi/T where Y = 2 Y_eq"),
    }
    default_targets: ClassVar[dict[str, float]] = {"Omega_h2": constants.Omega_c_h2_observed}
    default_free: ClassVar[tuple[str, ...]] = ("sigma_v",)
    setting_ranges: ClassVar[dict[str, tuple[float, float]]] = SETTING_RANGES
    min_n_save: ClassVar[int] = 200

    @staticmethod
    def public_solve():
        return solve_freeze_out

    def traced_solve(self, floats, max_steps, n_save):
        return solve_freeze_out_unjitted(self, **floats, max_steps=max_steps, n_save=n_save)

    # the constructor checks its inputs itself (a ValueError naming the parameter and its allowed
    # values); the test suite's run-time type checker would pre-empt those messages
    @no_type_check
    def __init__(
        self,
        *,
        m_chi,
        sigma_v,
        g_chi=2.0,
        self_conjugate: bool = True,
        g_star_constant: float | None = None,
    ):
        if not isinstance(self_conjugate, bool):
            raise ValueError(f"self_conjugate={self_conjugate!r}: must be True or False")
        _check_g_star_constant(g_star_constant)
        values = dict(m_chi=m_chi, sigma_v=sigma_v, g_chi=g_chi)
        if all(is_concrete(v) for v in values.values()):
            check_range("m_chi", m_chi, *M_CHI_RANGE, " GeV")
            check_range("sigma_v", sigma_v, *SIGMA_V_RANGE, " cm^3/s")
            check_range("g_chi", g_chi, *G_CHI_RANGE)
        for name, value in values.items():
            setattr(self, name, jnp.asarray(value, dtype=jnp.float64))
        self.self_conjugate = self_conjugate
        self.g_star_constant = None if g_star_constant is None else float(g_star_constant)

    @property
    def g_total(self) -> Float[ArrayLike, "..."]:
        r""":math:`g_{\rm tot}`: :math:`g_\chi` (self-conjugate) or :math:`2g_\chi` (χ and χ̄)."""
        return self.g_chi if self.self_conjugate else 2.0 * self.g_chi

    @property
    def sigma_v_eff_GeV(self) -> Float[ArrayLike, "..."]:
        r""":math:`\langle\sigma v\rangle_{\rm eff}` [GeV⁻²] of the total-yield equation."""
        sv = self.sigma_v / constants.GeV_minus2_in_cm3_per_s
        return sv if self.self_conjugate else 0.5 * sv

    def is_valid(self) -> Bool[ArrayLike, "..."]:
        """The ranges of the class docstring as a traced boolean (for ``jit``/``vmap``)."""
        ok = (self.m_chi >= M_CHI_RANGE[0]) & (self.m_chi <= M_CHI_RANGE[1])
        ok &= (self.sigma_v >= SIGMA_V_RANGE[0]) & (self.sigma_v <= SIGMA_V_RANGE[1])
        ok &= (self.g_chi >= G_CHI_RANGE[0]) & (self.g_chi <= G_CHI_RANGE[1])
        return ok


def log_equilibrium_yield(model: FreezeOutModel, x, background: Background | None = None):
    r""":math:`W_{\rm eq}=\ln Y_{\rm eq}=\ln\frac{45g_{\rm tot}}{4\pi^4g_{*s}}+2\ln x-x+\ln[e^xK_2(x)]`."""
    background = background or Background(model.g_star_constant)
    x = jnp.asarray(x, dtype=jnp.float64)
    g_s = background.at(model.m_chi / x)["g_star_s"]
    return (
        jnp.log(45.0 * model.g_total / (4.0 * jnp.pi**4 * g_s))
        + 2.0 * jnp.log(x)
        - x
        + jnp.log(bessel_k2e(x))
    )


def annihilation_rate(model: FreezeOutModel, x, background: Background | None = None):
    r""":math:`\Lambda(x)=(1+\delta)\,s\langle\sigma v\rangle_{\rm eff}/H` (module docstring)."""
    background = background or Background(model.g_star_constant)
    b = background.at(model.m_chi / jnp.asarray(x, dtype=jnp.float64))
    return b["one_plus_delta"] * b["s"] * model.sigma_v_eff_GeV / b["H"]


def _reference(model: FreezeOutModel, x, W_floor, bg: Background):
    r"""The reference :math:`W_{\rm ref}=W_f+{\rm softplus}(W_{\rm eq}-W_f)` and its pieces.

    Returns ``(W_eq, W_ref - W_eq, dW_ref/dln x, b, W_ref)``; :math:`W_{\rm ref}-W_{\rm eq}=\ln(1+e^{-(W_{\rm eq}-W_f)})`
    is computed with ``log1p`` (full relative precision when tiny), and
    :math:`dW_{\rm eq}/d\ln x=-xK_1/K_2+3\delta` (DLMF 10.29.3, :math:`3\delta=d\ln g_{*s}/d\ln T`).
    :math:`W_{\rm ref}` itself is formed without going through :math:`W_{\rm eq}` once the
    reference has left equilibrium (:math:`W_{\rm eq}-W_f<-30`): there
    :math:`W_{\rm ref}=W_f+\ln(1+e^{W_{\rm eq}-W_f})`, whereas :math:`W_{\rm eq}+(W_{\rm ref}-W_{\rm eq})`
    would cancel two numbers of size :math:`x` (up to :math:`m_\chi/10^{-7}` GeV) and lose
    :math:`\sim x\,\epsilon_{\rm mach}` in :math:`\ln Y` (1e-7 at 100 GeV, 2e-3 at 1 PeV).
    """
    b = bg.at(model.m_chi / x)
    _, k1e, k2e = bessel_k012e(x)
    W_eq = (
        jnp.log(45.0 * model.g_total / (4.0 * jnp.pi**4 * b["g_star_s"]))
        + 2.0 * jnp.log(x)
        - x
        + jnp.log(k2e)
    )
    a = W_eq - W_floor
    offset = jnp.where(a > -30.0, jnp.log1p(jnp.exp(-jnp.maximum(a, -30.0))), -a)
    W_ref = jnp.where(a > -30.0, W_eq + offset, W_floor + jnp.log1p(jnp.exp(jnp.minimum(a, -30.0))))
    dW_eq = -x * k1e / k2e + 3.0 * (b["one_plus_delta"] - 1.0)
    return W_eq, offset, jax.nn.sigmoid(a) * dW_eq, b, W_ref


def _vector_field(log_x, q, args):
    r""":math:`dq/d\ln x` for :math:`q=W-W_{\rm ref}` (module docstring); overflow-safe for any trial :math:`q`."""
    model, W_floor = args
    x = jnp.exp(log_x)
    bg = Background(model.g_star_constant)
    W_eq, offset, dW_ref, b, W_ref = _reference(model, x, W_floor, bg)
    Lam = b["one_plus_delta"] * b["s"] * model.sigma_v_eff_GeV / b["H"]
    u = q + offset  # W - W_eq, accurate also where it is ~1e-10
    W = q + W_ref  # not u + W_eq: no cancellation of two O(x) numbers after freeze-out
    # Y^2 - Y_eq^2 = e^{2W}(1 - e^{-2u}) for u >= 0, = -e^{2W_eq}(1 - e^{2u}) for u < 0;
    # divided by Y = e^W for dW/dln x
    u_pos, u_neg = jnp.maximum(u, 0.0), jnp.minimum(u, 0.0)
    above = jnp.exp(jnp.minimum(W, 0.0)) * (-jnp.expm1(-2.0 * u_pos))
    below = jnp.exp(jnp.minimum(2.0 * W_eq - W, 50.0)) * jnp.expm1(2.0 * u_neg)
    dW = -Lam * jnp.where(u >= 0.0, above, below)
    return dW - dW_ref


class FreezeOutSolution(ModelSolution):
    r"""Result of :func:`solve_freeze_out`.

    Attributes:
        x: the save grid :math:`x=m_\chi/T` (log-spaced from ``x_start`` to :math:`m_\chi/10^{-7}` GeV).
        Y, Y_eq: the total yield and its equilibrium value on the grid.
        Y_inf: :math:`Y_\infty` (including the exact tail below :math:`T=10^{-7}` GeV).
        Omega_h2: :math:`\Omega h^2=m_\chi Y_\infty s_0/(\rho_c/h^2)`.
        x_f: freeze-out point, :math:`Y(x_f)=2Y_{\rm eq}(x_f)` (NaN if not crossed on the grid).
        status, num_steps, num_rejected_steps: see :class:`~jaxcogen.models._inputs.ModelSolution`
            (every output above is NaN unless ``status`` is 0).
    """

    x: Float[Array, "... n"]
    Y: Float[Array, "... n"]
    Y_eq: Float[Array, "... n"]
    Y_inf: Float[ArrayLike, "..."]
    Omega_h2: Float[ArrayLike, "..."]
    x_f: Float[ArrayLike, "..."]


#: Allowed ranges of the float settings of :func:`solve_freeze_out`.


def _validated_settings(rtol, atol, x_start, max_steps, n_save):
    values = dict(rtol=rtol, atol=atol, x_start=x_start)
    return validated_settings(SETTING_RANGES, values, max_steps, n_save)


def solve_freeze_out(
    model: FreezeOutModel,
    *,
    rtol: float = 1e-10,
    atol: float = 1e-10,
    x_start: float = 1.0,
    max_steps: int = 4096,
    n_save: int = 200,
) -> FreezeOutSolution:
    r"""Solve the freeze-out of ``model`` (module docstring); :math:`Y(x)`, :math:`Y_\infty`, :math:`\Omega h^2`, :math:`x_f`.

    Jittable, vmappable (``eqx.filter_vmap`` over a model built from arrays, or
    :func:`solve_freeze_out_unjitted` under your own ``vmap``) and differentiable in every
    model field. ``rtol``/``atol``: PID controller tolerances on :math:`W=\ln Y` (``atol`` is a
    relative tolerance on :math:`Y`); ``x_start``: where the integration starts, in equilibrium;
    ``max_steps``: step budget (exhausting it gives NaN and a non-zero status); ``n_save``: size of
    the save grid. Bad settings raise ``ValueError`` before any tracing.
    """
    settings = _validated_settings(rtol, atol, x_start, max_steps, n_save)
    return _solve_jit(model, settings, max_steps, n_save)


@eqx.filter_jit
def _solve_jit(model, settings, max_steps, n_save):
    return solve_freeze_out_unjitted(model, *settings, max_steps=max_steps, n_save=n_save)


def _table_kinks(model: FreezeOutModel) -> Float[Array, " k"] | None:
    r"""The nodes of the :math:`g_*(T)` table in the integration variable :math:`t=\ln x=
    \ln(m_\chi/T)`, where the right-hand side has kinks (``None`` for a constant :math:`g_*`).

    The tables are monotone cubic Hermite interpolants (:mod:`jaxcogen.thermodynamics`), so
    :math:`g_*` is :math:`C^1` but :math:`d\ln g_{*s}/d\ln T` (in :math:`1+\delta`) only
    :math:`C^0`: a step straddling a node breaks the embedded error estimate's assumption of a
    smooth field, and the controller may accept it with an error far above ``rtol``. Measured at
    :math:`m_\chi=100` GeV, rtol 1e-10, against Radau at rtol 1e-13: relative errors in
    :math:`\Omega h^2` jumping between 4e-9 and 5e-7 as rtol moves by 10 %. Handing the nodes to
    the controller (diffrax ``step_ts``) makes every step end on them: then 9e-9 at rtol 1e-10,
    growing smoothly with rtol (2e-8 at 2e-10, 1e-7 at 1e-9), for ~15 % more steps. (``jump_ts``
    would also restart the first-same-as-last stage at each node, which diffrax decides for a
    whole ``vmap`` batch at once, so one point's nodes would move its neighbours' steps.)"""
    if model.g_star_constant is not None:
        return None
    log10_T = jnp.asarray(thermodynamics.sm_table()["log10_T_GeV"], dtype=jnp.float64)
    return jnp.sort(jnp.log(model.m_chi) - math.log(10.0) * log10_T)


def solve_freeze_out_unjitted(
    model: FreezeOutModel,
    rtol=1e-10,
    atol=1e-10,
    x_start=1.0,
    *,
    max_steps: int = 4096,
    n_save: int = 200,
) -> FreezeOutSolution:
    """The traceable body of :func:`solve_freeze_out` (one point; wrap in ``vmap`` for many)."""
    valid = model.is_valid()
    bg = Background(model.g_star_constant)
    # an invalid point is solved at a harmless stand-in (its outputs become NaN below), so a NaN
    # or out-of-range input neither runs to max_steps nor changes a vmapped batch's steps
    safe = (
        jnp.where(valid, model.m_chi, 100.0),
        jnp.where(valid, model.sigma_v, 2e-26),
        jnp.where(valid, model.g_chi, 2.0),
    )
    model_safe = eqx.tree_at(lambda md: (md.m_chi, md.sigma_v, md.g_chi), model, safe)
    m = model_safe.m_chi
    t0 = jnp.log(jnp.asarray(x_start, dtype=jnp.float64))
    t1 = jnp.log(m / T_END)
    grid = jnp.clip(t0 + (t1 - t0) * jnp.linspace(0.0, 1.0, n_save), t0, t1)
    # W_floor: a rough ln Y_inf (Y_inf ~ x_f / (x Lambda), x_f ~ 20) minus 2; only a change of
    # variables (module docstring), the result does not depend on it
    W_floor = jax.lax.stop_gradient(
        jnp.log(20.0 / (20.0 * annihilation_rate(model_safe, 20.0, bg))) - 2.0
    )
    x0 = jnp.exp(t0)
    q0 = -_reference(model_safe, x0, W_floor, bg)[1]
    sol = diffrax.diffeqsolve(
        diffrax.ODETerm(_vector_field),
        diffrax.Kvaerno5(
            root_finder=optx.Newton(
                rtol=ROOT_TOLERANCE_FACTOR * rtol, atol=ROOT_TOLERANCE_FACTOR * atol
            )
        ),
        t0=t0,
        t1=t1,
        dt0=None,
        y0=q0,
        args=(model_safe, W_floor),
        saveat=diffrax.SaveAt(ts=grid),
        stepsize_controller=diffrax.PIDController(
            rtol=rtol, atol=atol, pcoeff=0.3, icoeff=0.4, step_ts=_table_kinks(model_safe)
        ),
        max_steps=max_steps,
        throw=False,
    )
    status, guard = status_and_guard(valid, sol.result)

    x_grid = jnp.exp(grid)
    W_eq, offset, _, _, W_ref = _reference(model_safe, x_grid, W_floor, bg)
    W = sol.ys + W_ref
    # exact tail below T_END: g constant, Y_eq negligible, Lambda ∝ 1/x
    Lam_end = annihilation_rate(model_safe, x_grid[-1], bg)
    Y_end = jnp.exp(W[-1])
    Y_inf = Y_end / (1.0 + Lam_end * Y_end)
    # x_f: first grid crossing of u = W - W_eq through ln 2, linear in ln x
    d = (sol.ys + offset) - math.log(2.0)
    crossed = (d[:-1] < 0.0) & (d[1:] >= 0.0)
    i = jnp.argmax(crossed)
    frac = d[i] / (d[i] - d[i + 1])
    x_f = jnp.exp(grid[i] + frac * (grid[i + 1] - grid[i]))
    x_f = jnp.where(jnp.any(crossed), x_f, jnp.nan)
    return FreezeOutSolution(
        x=x_grid,
        Y=guard(jnp.exp(W)),
        Y_eq=jnp.exp(W_eq),
        Y_inf=guard(Y_inf),
        Omega_h2=guard(observables.relic_density(model.m_chi, Y_inf)),
        x_f=guard(x_f),
        **ModelSolution.bookkeeping(status, sol),
    )


# ---- the cross section for a target relic density ------------------------------------------


def _log_omega(log_sigma_v, m_chi, g_chi, self_conjugate, g_star_constant, settings):
    model = FreezeOutModel(
        m_chi=m_chi,
        sigma_v=jnp.exp(log_sigma_v),
        g_chi=g_chi,
        self_conjugate=self_conjugate,
        g_star_constant=g_star_constant,
    )
    sol = solve_freeze_out_unjitted(model, *settings, max_steps=4096, n_save=2)
    return jnp.log(sol.Omega_h2)


#: Newton iterations (gradient-free) before the final, differentiable Newton step.
NEWTON_ITERATIONS = 4


def sigma_v_for_relic(
    m_chi,
    Omega_h2=constants.Omega_c_h2_observed,
    *,
    g_chi=2.0,
    self_conjugate: bool = True,
    g_star_constant: float | None = None,
    rtol: float = 1e-10,
    atol: float = 1e-10,
    x_start: float = 1.0,
) -> Float[ArrayLike, "..."]:
    r"""The :math:`\langle\sigma v\rangle` [cm³/s] for which :func:`solve_freeze_out` gives ``Omega_h2``.

    Newton's method on :math:`F(\ln\langle\sigma v\rangle)=\ln\Omega h^2-\ln\Omega_{\rm target}`,
    with :math:`F'` from ``jax.value_and_grad`` through the solve (:math:`F'\simeq-1`), started
    from :math:`2.2\times10^{-26}` cm³/s :math:`\times(0.12/\Omega_{\rm target})` (×2 if not
    self-conjugate): :data:`NEWTON_ITERATIONS` gradient-free iterations (relative change
    :math:`<10^{-12}` after four), then one more Newton step with live gradients, so derivatives with
    respect to ``m_chi``, ``Omega_h2`` and ``g_chi`` are those of the implicit function (exact at
    the root). Jittable and vmappable (scalar inputs per point); NaN if a solve fails or the
    root leaves the allowed :math:`\langle\sigma v\rangle` range.
    """
    _check_g_star_constant(g_star_constant)
    if not isinstance(self_conjugate, bool):
        raise ValueError(f"self_conjugate={self_conjugate!r}: must be True or False")
    if all(is_concrete(v) for v in (m_chi, Omega_h2, g_chi)):
        check_range("m_chi", m_chi, *M_CHI_RANGE, " GeV")
        check_range("Omega_h2", Omega_h2, 1e-6, 1e3)
        check_range("g_chi", g_chi, *G_CHI_RANGE)
    settings = _validated_settings(rtol, atol, x_start, 4096, 2)
    return _sigma_v_for_relic_jit(
        jnp.asarray(m_chi, dtype=jnp.float64),
        jnp.asarray(Omega_h2, dtype=jnp.float64),
        jnp.asarray(g_chi, dtype=jnp.float64),
        self_conjugate,
        g_star_constant,
        settings,
    )


@eqx.filter_jit
def _sigma_v_for_relic_jit(m_chi, Omega_h2, g_chi, self_conjugate, g_star_constant, settings):
    return sigma_v_for_relic_unjitted(
        m_chi, Omega_h2, g_chi, self_conjugate, g_star_constant, settings
    )


def sigma_v_for_relic_unjitted(m_chi, Omega_h2, g_chi, self_conjugate, g_star_constant, settings):
    """The traceable body of :func:`sigma_v_for_relic` (one point)."""
    log_target = jnp.log(Omega_h2)

    def F(log_sv, m, g, log_t):
        return _log_omega(log_sv, m, g, self_conjugate, g_star_constant, settings) - log_t

    F_and_dF = jax.value_and_grad(F)
    lo, hi = math.log(SIGMA_V_RANGE[0]), math.log(SIGMA_V_RANGE[1])
    # gradient-free iterations on stopped inputs
    m_c, g_c, t_c = (jax.lax.stop_gradient(v) for v in (m_chi, g_chi, log_target))
    log_sv0 = jnp.log(2.2e-26 * 0.12 * (1.0 if self_conjugate else 2.0)) - t_c

    def newton(_, carry):
        log_sv, _df = carry
        f, df = F_and_dF(log_sv, m_c, g_c, t_c)
        step = jnp.where(jnp.isfinite(f / df), f / df, 0.0)
        return jnp.clip(log_sv - jnp.clip(step, -3.0, 3.0), lo, hi), df

    log_sv, df = jax.lax.stop_gradient(
        jax.lax.fori_loop(0, NEWTON_ITERATIONS, newton, (log_sv0, jnp.float64(-1.0)))
    )
    # final Newton step with live dependence on (m_chi, g_chi, Omega_h2): the implicit-function
    # derivative -dF/dtheta / F' (F' of the last iteration, equal at the root to < 1e-10)
    f = F(log_sv, m_chi, g_chi, log_target)
    log_sv = log_sv - f / df
    inside = (log_sv >= lo) & (log_sv <= hi) & jnp.isfinite(log_sv)
    return jnp.where(inside, jnp.exp(log_sv), jnp.nan)
