r"""Vanilla thermal leptogenesis: one heavy Majorana neutrino :math:`N_1`, one lepton flavour.

A validation model: the standard Boltzmann equations of Buchmüller, Di Bari & Plümacher,
"Leptogenesis for pedestrians", hep-ph/0401240 (Ann. Phys. 315 (2005) 305), "BDP" below, solved
with jaxcogen's own machinery (scaled Bessel functions, stiff diffrax integration, sphaleron
factor) and compared with BDP's analytic κ(K), an independent scipy Radau solve and ULYSSES
(``tests/test_models_leptogenesis.py``). It is the set ULYSSES calls ``1BE1F``.

**Equations** (BDP §2, their Boltzmann equations for :math:`N_{N_1}` and :math:`N_{B-L}`), in
:math:`z=M_1/T`:

.. math::
    \frac{dN_{N_1}}{dz}=-(D+S)\,\big(N_{N_1}-N_{N_1}^{\rm eq}\big),\qquad
    \frac{dN_{B-L}}{dz}=-\varepsilon_1\,D\,\big(N_{N_1}-N_{N_1}^{\rm eq}\big)-W\,N_{B-L},

with the decay and inverse-decay terms (BDP §2)

.. math::
    D(z)=K\,z\,\frac{K_1(z)}{K_2(z)},\qquad W_{\rm ID}(z)=\frac14\,K\,z^3K_1(z),\qquad
    N_{N_1}^{\rm eq}(z)=\frac38\,z^2K_2(z),

and :math:`W=W_{\rm ID}` (the ``1BE1F`` set, default). Two optional terms, each behind a switch:

- ``scatterings=True``: the :math:`\Delta L=1` Higgs-mediated top-quark scatterings in BDP's
  approximate form (BDP §5), with :math:`t=\ln(M_1/M_h)` and :math:`a=8.77`:

  .. math::
      D+S\simeq\frac{K}{a}\Big[1+t\,z^2\ln\!\Big(1+\frac{a}{t\,z}\Big)\Big],\qquad
      W=W_{\rm ID}\,j(z),\quad j(z)\simeq\frac{1}{10}\Big(1+\frac{15}{8z}\Big)
      \Big[t\,z\ln\!\Big(1+\frac{a}{t\,z}\Big)+\frac1z\Big].

  (At :math:`z\gg1`, :math:`D+S\to Kz\simeq D`; at :math:`z\ll1` the scatterings dominate.) The
  CP asymmetry of the scatterings is neglected, as in BDP: the source keeps :math:`D` alone.
- ``Delta_L2_washout=True``: the non-resonant :math:`\Delta L=2` wash-out (BDP §2),
  :math:`\Delta W(z)\simeq\frac{\omega}{z^2}\frac{M_1}{10^{10}\,{\rm GeV}}\big(\bar m/{\rm eV}\big)^2`,
  :math:`\omega\simeq0.186`, with :math:`\bar m^2=m_1^2+m_2^2+m_3^2` (field ``mbar``).

**Normalisation.** :math:`N_X` is the number of :math:`X` in a comoving volume that contains one
photon at :math:`z\ll1`, so :math:`N_{N_1}^{\rm eq}(0)=3/4` (the :math:`\tfrac38z^2K_2` above; BDP's
own text counts one :math:`N_1` in that volume instead, :math:`N_{N_1}^{\rm eq}(0)=1`,
:math:`N_\gamma=4/3` — every ratio, κ and η_B are the same). The efficiency factor is defined by

.. math:: N_{B-L}^{\rm f}=-\tfrac34\,\varepsilon_1\,\kappa_{\rm f}

(:math:`\kappa_{\rm f}\to1` for a thermal initial abundance and no wash-out), and the baryon-to-photon
ratio at recombination by

.. math::
    \eta_B=a_{\rm sph}\frac{N_{B-L}^{\rm f}}{N_\gamma^{\rm rec}},\qquad a_{\rm sph}=\frac{28}{79},\quad
    N_\gamma^{\rm rec}=\frac{g_{*s}}{g_{*s}^{\rm rec}}=\frac{106.75}{43/11}=27.31,

so :math:`\eta_B=0.012979\,N_{B-L}^{\rm f}=-0.9734\times10^{-2}\,\varepsilon_1\kappa_{\rm f}`
(BDP quote :math:`|\eta_B|\simeq0.96\times10^{-2}|\varepsilon_1|\kappa_{\rm f}`, ULYSSES uses the
factor 0.013). Sign: :math:`\varepsilon_1` is BDP's, :math:`(\Gamma_{N\to\ell H}-\Gamma_{N\to\bar\ell\bar H})/\Gamma_{\rm tot}`,
so a positive :math:`\eta_B` needs :math:`\varepsilon_1<0`. The yields per entropy follow from
:math:`n_\gamma/s=45\zeta(3)/(\pi^4g_{*s})` at :math:`z\ll1`:
:math:`Y_{B-L}=N_{B-L}\,45\zeta(3)/(\pi^4 g_{*s})=5.200\times10^{-3}N_{B-L}`, :math:`Y_B=a_{\rm sph}Y_{B-L}`.

**Decay parameter.** :math:`K=\Gamma_D/H(T=M_1)=\widetilde m_1/m_*` with

.. math::
    m_*=\frac{8\pi c_H\sqrt{g_*}\,v^2}{m_{\rm Pl}}=\frac{16\,\pi^{5/2}\sqrt{g_*}}{3\sqrt5}\frac{v^2}{m_{\rm Pl}}
    =1.0702\times10^{-3}\ {\rm eV}

(:math:`\Gamma_D=\widetilde m_1M_1^2/(8\pi v^2)`, :math:`H=c_H\sqrt{g_*}T^2/m_{\rm Pl}`,
:math:`c_H=\sqrt{4\pi^3/45}`; jaxcogen's :math:`v=174.10` GeV, :math:`m_{\rm Pl}=1.22093\times10^{19}` GeV,
:math:`g_*=106.75`; BDP quote :math:`m_*\simeq1.08\times10^{-3}` eV). A single-flavour
Casas–Ibarra-like input :math:`(y,M_1)` gives :math:`\widetilde m_1=|y|^2v^2/M_1`
(:meth:`LeptogenesisModel.from_yukawa`).

**Numerics.** The state is :math:`(N_{N_1},\kappa(z))` with the running efficiency
:math:`\kappa(z)=-\tfrac43N_{B-L}(z)/\varepsilon_1` (the equations are linear in
:math:`\varepsilon_1`, so this is exact and keeps the state of order one), integrated in
:math:`\ln z` from ``z_initial`` (1e-3, as ULYSSES) to :math:`z_{\rm end}=\max(z_{\rm final},10/\sqrt K)`,
``z_final`` = 50 (so a weakly coupled :math:`N_1` has decayed, :math:`e^{-Kz^2/2}<e^{-50}`, and
:math:`N^{\rm eq},W_{\rm ID}\propto e^{-z}` are below :math:`10^{-14}` for :math:`K\le10^3`) with the
L-stable Kvaerno5 and a PID controller; the :math:`\Delta W\propto1/z^2` tail beyond
:math:`z_{\rm end}` is applied exactly, :math:`\kappa\to\kappa\,e^{-\int_{z_{\rm end}}^\infty\Delta W}`.
Cost: the implicit stages are solved by full Newton iterations
(:func:`jaxcogen.production.implicit_solver` with ``newton=True``, tolerance :data:`ROOT_TOLERANCE_FACTOR`
x the controller's). With diffrax's default chord iteration (one Jacobian per step) the stiff
:math:`N_1` relaxation rejected ~25 % of the steps; measured on
``initial_abundance="zero"`` at :math:`\widetilde m_1=10^{-5},10^{-3},10^{-2},10^{-1}` eV, chord at
rtol 1e-8 took 347 / 954 / 1466 / 2682 steps, Newton at rtol 1e-9 (the default) 223 / 442 / 555
/ 608, and is more accurate. The default rtol is 1e-9 rather than 1e-8 because at zero initial
abundance and :math:`K\ll1` the final :math:`\kappa_f` is a cancellation between the early negative
and the late positive asymmetry (by ~1e2), which amplifies the integration error: against the Radau
reference at K = 0.01, 2.3e-6 at rtol 1e-8 and 1.6e-8 at 1e-9; every other case is at ≤ 1.5e-8
already at 1e-8 (``tests/test_models_leptogenesis.py``). The Bessel functions enter only as the
scaled :math:`e^zK_\nu(z)` of :mod:`jaxcogen._special`, so nothing overflows at large :math:`z`.
"""

import math
from typing import ClassVar, Literal, no_type_check

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Bool, Float

from jaxcogen import constants
from jaxcogen._interface import Observable, Parameter
from jaxcogen._special import bessel_k012e
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
from jaxcogen.production._settings import implicit_solver

#: Newton tolerance of the implicit stages, in units of the controller's (module docstring).
ROOT_TOLERANCE_FACTOR = 1.0e2

InitialAbundance = Literal["thermal", "zero"]

#: :math:`m_*` [GeV] from jaxcogen's constants (module docstring): 1.0702e-12 GeV.
m_star_GeV: float = (
    8.0
    * math.pi
    * constants.hubble_coefficient
    * math.sqrt(constants.g_star_SM)
    * constants.v_EW**2
    / constants.m_Pl
)
#: :math:`m_*` [eV] = 1.0702e-3 eV.
m_star_eV: float = m_star_GeV * 1e9

#: Photon dilution between :math:`z\ll1` and recombination, :math:`N_\gamma^{\rm rec}=g_{*s}/(43/11)`.
N_gamma_recombination: float = constants.g_star_SM / (43.0 / 11.0)

#: :math:`\eta_B/N_{B-L}^{\rm f}=a_{\rm sph}/N_\gamma^{\rm rec}=0.012979`.
eta_B_per_N_B_minus_L: float = constants.c_sphaleron / N_gamma_recombination

#: :math:`n_\gamma/s=45\zeta(3)/(\pi^4g_{*s})` at :math:`z\ll1`: :math:`Y_X=` this :math:`\times N_X`.
n_gamma_over_s: float = 45.0 * 1.2020569031595942 / (math.pi**4 * constants.g_star_SM)

#: Coefficient :math:`\omega` of BDP's :math:`\Delta L=2` wash-out term.
DELTA_L2_OMEGA: float = 0.186

#: The constant :math:`a` of BDP's approximate :math:`\Delta L=1` scattering terms.
SCATTERING_A: float = 8.77298


#: Allowed ranges, checked on concrete inputs (``ValueError``) and under ``jit`` (status 100).
K_RANGE = (1e-4, 1e3)
M_1_RANGE = (1e3, 1e17)  # GeV
EPSILON_1_MAX = 1.0
MBAR_RANGE = (0.0, 10.0)  # eV
HIGGS_MASS_DEFAULT = 125.25  # GeV (PDG), only for the ΔL=1 scattering logarithm
#: Allowed ranges of the float solver settings.
SETTING_RANGES = {
    "rtol": (1e-14, 1e-2),
    "atol": (1e-30, 1e-2),
    "z_initial": (1e-8, 1e-1),
    "z_final": (20.0, 1e6),
}


class LeptogenesisModel(AbstractValidationModel):
    r"""One point of vanilla :math:`N_1` leptogenesis (module docstring for the equations).

    Attributes:
        M_1: heavy-neutrino mass :math:`M_1` [GeV] (enters only the optional terms).
        epsilon_1: CP asymmetry :math:`\varepsilon_1` of :math:`N_1` decays (BDP's sign).
        mtilde_1: effective neutrino mass :math:`\widetilde m_1=(h^\dagger h)_{11}v^2/M_1` [eV].
        mbar: absolute neutrino mass scale :math:`\bar m` [eV] (only for ``Delta_L2_washout``).
        M_higgs: the Higgs mass in BDP's scattering logarithm :math:`\ln(M_1/M_h)` [GeV].
        initial_abundance: ``"thermal"`` (:math:`N_{N_1}=N^{\rm eq}` at ``z_initial``) or
            ``"zero"`` (static).
        scatterings: include the :math:`\Delta L=1` scatterings (static, default False).
        Delta_L2_washout: include the :math:`\Delta L=2` wash-out :math:`\Delta W` (static).

    Concrete inputs are validated when the model is built; a violation raises ``ValueError``
    naming the parameter and its allowed range: :math:`K=\widetilde m_1/m_*\in[10^{-4},10^3]`,
    :math:`M_1\in[10^3,10^{17}]` GeV, :math:`|\varepsilon_1|\le1`, :math:`\bar m\in[0,10]` eV,
    :math:`M_h\in(0,M_1)` when scatterings are on. Traced inputs (inside ``jit``/``vmap``) are
    checked by :meth:`is_valid`; an invalid point then solves to NaN with status 100.
    """

    M_1: Float[ArrayLike, "..."]
    epsilon_1: Float[ArrayLike, "..."]
    mtilde_1: Float[ArrayLike, "..."]
    mbar: Float[ArrayLike, "..."]
    M_higgs: Float[ArrayLike, "..."]
    initial_abundance: str = eqx.field(static=True)
    scatterings: bool = eqx.field(static=True)
    Delta_L2_washout: bool = eqx.field(static=True)

    name: ClassVar[str] = "leptogenesis"
    parameters: ClassVar[dict[str, Parameter]] = {
        "M_1": Parameter("GeV", "heavy-neutrino mass M_1", *M_1_RANGE, scale="log", positive=True),
        "epsilon_1": Parameter("1", "CP asymmetry of N_1 decays", -EPSILON_1_MAX, EPSILON_1_MAX),
        "mtilde_1": Parameter(
            "eV",
            "effective neutrino mass mtilde_1",
            K_RANGE[0] * m_star_eV,
            K_RANGE[1] * m_star_eV,
            scale="log",
            positive=True,
        ),
        "mbar": Parameter("eV", "absolute neutrino mass scale", *MBAR_RANGE),
        "M_higgs": Parameter("GeV", "Higgs mass in the scattering logarithm", positive=True),
    }
    observables: ClassVar[dict[str, Observable]] = {
        "eta_B": Observable("1", "baryon-to-photon ratio at recombination", signed=True),
        "Y_B": Observable("1", "baryon asymmetry n_B/s", signed=True),
        "Y_B_minus_L": Observable("1", "B-L asymmetry per entropy", signed=True),
        "N_B_minus_L_final": Observable(
            "1", "final N_{B-L} per comoving photon (z << 1)", signed=True
        ),
        "kappa_f": Observable("1", "efficiency factor kappa_f"),
        "K": Observable("1", "decay parameter K = mtilde_1/m_*"),
    }
    default_targets: ClassVar[dict[str, float]] = {"Y_B": constants.DeltaY_B_observed}
    default_free: ClassVar[tuple[str, ...]] = ("epsilon_1",)
    setting_ranges: ClassVar[dict[str, tuple[float, float]]] = SETTING_RANGES

    @staticmethod
    def public_solve():
        return solve_leptogenesis

    def traced_solve(self, floats, max_steps, n_save):
        return solve_leptogenesis_unjitted(self, **floats, max_steps=max_steps, n_save=n_save)

    # the constructor checks its inputs itself (a ValueError naming the parameter and its allowed
    # values); the test suite's run-time type checker would pre-empt those messages
    @no_type_check
    def __init__(
        self,
        *,
        M_1,
        epsilon_1,
        mtilde_1,
        initial_abundance: InitialAbundance = "thermal",
        scatterings: bool = False,
        Delta_L2_washout: bool = False,
        mbar=0.05,
        M_higgs=HIGGS_MASS_DEFAULT,
    ):
        if initial_abundance not in ("thermal", "zero"):
            raise ValueError(
                f"initial_abundance={initial_abundance!r}: allowed values are 'thermal', 'zero'"
            )
        for name, flag in (("scatterings", scatterings), ("Delta_L2_washout", Delta_L2_washout)):
            if not isinstance(flag, bool):
                raise ValueError(f"{name}={flag!r}: must be True or False")
        values = dict(M_1=M_1, epsilon_1=epsilon_1, mtilde_1=mtilde_1, mbar=mbar, M_higgs=M_higgs)
        if all(is_concrete(v) for v in values.values()):
            check_range("M_1", M_1, *M_1_RANGE, " GeV")
            check_range("epsilon_1", epsilon_1, -EPSILON_1_MAX, EPSILON_1_MAX)
            lo, hi = K_RANGE
            check_range(
                "mtilde_1",
                mtilde_1,
                lo * m_star_eV,
                hi * m_star_eV,
                f" eV (K = mtilde_1/m_* in [{lo:g}, {hi:g}], m_* = {m_star_eV:.5g} eV)",
            )
            check_range("mbar", mbar, *MBAR_RANGE, " eV")
            if scatterings:
                check_range("M_higgs", M_higgs, 1e-300, float(np.min(M_1)) * (1 - 1e-12), " GeV")
        for name, value in values.items():
            setattr(self, name, jnp.asarray(value, dtype=jnp.float64))
        self.initial_abundance = initial_abundance
        self.scatterings = scatterings
        self.Delta_L2_washout = Delta_L2_washout

    @classmethod
    def from_yukawa(cls, *, y, M_1, epsilon_1, **kwargs) -> "LeptogenesisModel":
        r"""Single-flavour Casas–Ibarra-like input: :math:`\widetilde m_1=|y|^2v^2/M_1`.

        ``y`` is the (possibly complex) Yukawa coupling of :math:`N_1` to :math:`\ell H`,
        :math:`|y|\le\sqrt{4\pi}`; ``M_1`` in GeV; other keywords as :class:`LeptogenesisModel`.
        """
        if is_concrete(y):
            check_range("|y|", np.abs(np.asarray(y)), 0.0, math.sqrt(4.0 * math.pi))
        mtilde_1 = jnp.abs(jnp.asarray(y)) ** 2 * constants.v_EW**2 / jnp.asarray(M_1) * 1e9
        if is_concrete(mtilde_1):
            mtilde_1 = np.asarray(mtilde_1)
        return cls(M_1=M_1, epsilon_1=epsilon_1, mtilde_1=mtilde_1, **kwargs)

    @property
    def K(self) -> Float[ArrayLike, "..."]:
        r"""Decay parameter :math:`K=\widetilde m_1/m_*`."""
        return self.mtilde_1 / m_star_eV

    def is_valid(self) -> Bool[ArrayLike, "..."]:
        """The ranges of the class docstring as a traced boolean (for ``jit``/``vmap``)."""
        K = self.K
        ok = (K >= K_RANGE[0]) & (K <= K_RANGE[1])
        ok &= (self.M_1 >= M_1_RANGE[0]) & (self.M_1 <= M_1_RANGE[1])
        ok &= jnp.abs(self.epsilon_1) <= EPSILON_1_MAX
        ok &= (self.mbar >= MBAR_RANGE[0]) & (self.mbar <= MBAR_RANGE[1])
        if self.scatterings:
            ok &= (self.M_higgs > 0) & (self.M_higgs < self.M_1)
        return ok


# ---- rates ----------------------------------------------------------------------------------


def equilibrium_abundance(z: Float[ArrayLike, "..."]) -> Float[ArrayLike, "..."]:
    r""":math:`N_{N_1}^{\rm eq}(z)=\tfrac38z^2K_2(z)` (BDP §2, one-photon normalisation)."""
    z = jnp.asarray(z, dtype=jnp.float64)
    return 0.375 * z**2 * jnp.exp(-z) * bessel_k012e(z)[2]


def decay_term(K, z) -> Float[ArrayLike, "..."]:
    r""":math:`D(z)=Kz\,K_1(z)/K_2(z)` (BDP §2); the ratio of scaled Bessel functions, no overflow."""
    _, k1e, k2e = bessel_k012e(z)
    return K * z * k1e / k2e


def inverse_decay_washout(K, z) -> Float[ArrayLike, "..."]:
    r""":math:`W_{\rm ID}(z)=\tfrac14Kz^3K_1(z)` (BDP §2)."""
    return 0.25 * K * z**3 * jnp.exp(-z) * bessel_k012e(z)[1]


def log_equilibrium_abundance(z) -> Float[ArrayLike, "..."]:
    r""":math:`\ln N_{N_1}^{\rm eq}=\ln\tfrac38+2\ln z-z+\ln[e^zK_2(z)]` (finite at any :math:`z`)."""
    z = jnp.asarray(z, dtype=jnp.float64)
    return math.log(0.375) + 2.0 * jnp.log(z) - z + jnp.log(bessel_k012e(z)[2])


def rates(model: LeptogenesisModel, z) -> dict[str, Array]:
    r"""The terms of the Boltzmann equations at ``z`` for ``model``'s switches (module docstring).

    Returns ``D``, ``D_plus_S``, ``W`` (total wash-out), ``D_times_N_eq``
    (:math:`DN^{\rm eq}=\tfrac32W_{\rm ID}=\tfrac38Kz^3K_1`, exact), ``log_N_eq`` and
    ``K1_over_K2``.
    """
    K = model.K
    _, k1e, k2e = bessel_k012e(z)
    log_N_eq = math.log(0.375) + 2.0 * jnp.log(z) - z + jnp.log(k2e)
    K1_over_K2 = k1e / k2e
    D = K * z * K1_over_K2
    W_ID = 0.25 * K * z**3 * jnp.exp(-z) * k1e
    D_plus_S, W = D, W_ID
    if model.scatterings:
        t = jnp.log(model.M_1 / model.M_higgs)
        log_term = jnp.log1p(SCATTERING_A / (t * z))
        D_plus_S = K / SCATTERING_A * (1.0 + t * z**2 * log_term)
        j = 0.1 * (1.0 + 15.0 / (8.0 * z)) * (t * z * log_term + 1.0 / z)
        W = W_ID * j
    if model.Delta_L2_washout:
        W = W + DELTA_L2_OMEGA / z**2 * (model.M_1 / 1e10) * model.mbar**2
    return dict(
        D=D,
        D_plus_S=D_plus_S,
        W=W,
        D_times_N_eq=1.5 * W_ID,
        log_N_eq=log_N_eq,
        K1_over_K2=K1_over_K2,
    )


_U_SPLIT = 30.0


def _relative_excess(u):
    r""":math:`e^u-1`, overflow-safe for the gradient too (clamped branches, double ``where``)."""
    return jnp.expm1(jnp.minimum(u, _U_SPLIT))


def _vector_field(log_z, y, model: LeptogenesisModel):
    r"""Right-hand side in :math:`\ln z` for the state :math:`(u,\kappa)`, :math:`u=\ln(N_{N_1}/N^{\rm eq})`.

    From the module equations, with :math:`d\ln N^{\rm eq}/dz=-K_1/K_2` (DLMF 10.29.3):

    .. math::
        \frac{du}{dz}=\frac{K_1}{K_2}-(D+S)\big(1-e^{-u}\big),\qquad
        \frac{d\kappa}{dz}=\tfrac43\,DN^{\rm eq}\,(e^u-1)-W\kappa .

    :math:`u` is smooth where :math:`N_{N_1}` tracks :math:`N^{\rm eq}\propto e^{-z}` (strong
    wash-out: :math:`u\simeq1/(Kz)`), so the steps stay large; :math:`N_{N_1}-N^{\rm eq}=N^{\rm eq}(e^u-1)`
    has no cancellation. Where :math:`u>30` (a weakly coupled :math:`N_1` far out of equilibrium)
    the source is written :math:`e^{\ln N^{\rm eq}+u}-N^{\rm eq}` instead, which cannot overflow.
    """
    z = jnp.exp(log_z)
    u, kappa = y[0], y[1]
    r = rates(model, z)
    du = r["K1_over_K2"] + r["D_plus_S"] * jnp.expm1(-u)
    large = u > _U_SPLIT
    u_large = jnp.maximum(u, _U_SPLIT)
    excess_small = r["D_times_N_eq"] * _relative_excess(u)
    excess_large = r["D"] * (jnp.exp(r["log_N_eq"] + u_large) - jnp.exp(r["log_N_eq"]))
    source = jnp.where(large, excess_large, excess_small)
    dkappa = 4.0 / 3.0 * source - r["W"] * kappa
    return z * jnp.stack([du, dkappa])


def initial_log_ratio(model: LeptogenesisModel, z_initial) -> Float[ArrayLike, ""]:
    r""":math:`u(z_0)=\ln(N_{N_1}/N^{\rm eq})` at the start.

    Thermal: 0. Zero abundance at :math:`z=0`: the first-order production up to :math:`z_0`,
    :math:`N_{N_1}(z_0)=\int_0^{z_0}(D+S)N^{\rm eq}dz` (the inverse term :math:`-(D+S)N_{N_1}` is
    second order), by 24-point Gauss–Legendre in :math:`\ln z` over :math:`[z_0e^{-30},z_0]`
    (the integrand is a power law there; :math:`K z_0^3/8` without scatterings).
    """
    if model.initial_abundance == "thermal":
        return jnp.float64(0.0)
    nodes, weights = np.polynomial.legendre.leggauss(24)
    log_z0 = jnp.log(z_initial)
    log_z = log_z0 - 15.0 * (1.0 - nodes)
    z = jnp.exp(log_z)
    r = rates(model, z)
    N_eq = jnp.exp(r["log_N_eq"])
    integrand = z * r["D_plus_S"] * N_eq
    N_N0 = 15.0 * jnp.sum(weights * integrand)
    return jnp.log(N_N0) - log_equilibrium_abundance(z_initial)


# ---- solve ----------------------------------------------------------------------------------


class LeptogenesisSolution(ModelSolution):
    r"""Result of :func:`solve_leptogenesis` (module docstring for the definitions).

    Attributes:
        z: the save grid :math:`z=M_1/T` (log-spaced, ``n_save`` points).
        N_N: :math:`N_{N_1}(z)`; N_B_minus_L: :math:`N_{B-L}(z)`; kappa: :math:`\kappa(z)`.
        N_B_minus_L_final: :math:`N_{B-L}^{\rm f}`.
        kappa_f: the efficiency factor, :math:`N_{B-L}^{\rm f}=-\frac34\varepsilon_1\kappa_{\rm f}`.
        eta_B: :math:`a_{\rm sph}N_{B-L}^{\rm f}/N_\gamma^{\rm rec}` (signed).
        Y_B_minus_L, Y_B: the final yields per entropy, :math:`Y_B=a_{\rm sph}Y_{B-L}`.
        K: the decay parameter.
        status, num_steps, num_rejected_steps: see :class:`~jaxcogen.models._inputs.ModelSolution`
            (every output above is NaN unless ``status`` is 0).
    """

    z: Float[Array, "... n"]
    N_N: Float[Array, "... n"]
    N_B_minus_L: Float[Array, "... n"]
    kappa: Float[Array, "... n"]
    N_B_minus_L_final: Float[ArrayLike, "..."]
    kappa_f: Float[ArrayLike, "..."]
    eta_B: Float[ArrayLike, "..."]
    Y_B_minus_L: Float[ArrayLike, "..."]
    Y_B: Float[ArrayLike, "..."]
    K: Float[ArrayLike, "..."]


def solve_leptogenesis(
    model: LeptogenesisModel,
    *,
    rtol: float = 1e-9,
    atol: float = 1e-14,
    z_initial: float = 1e-3,
    z_final: float = 50.0,
    max_steps: int = 16384,
    n_save: int = 100,
) -> LeptogenesisSolution:
    r"""Solve the Boltzmann equations of ``model`` (module docstring) and return the observables.

    Jittable, vmappable (``eqx.filter_vmap`` over a model built from arrays) and differentiable
    in every model field. Settings: ``rtol``/``atol`` of the PID controller on
    :math:`(N_{N_1},\kappa)` (both of order one, so ``atol`` is effectively a floor on
    :math:`\kappa`), the range ``z_initial`` … :math:`\max(` ``z_final`` :math:`,10/\sqrt K)`,
    the step budget and the size of the save grid. Raises ``ValueError`` on bad settings
    (before any tracing).
    """
    settings = _validated_settings(rtol, atol, z_initial, z_final, max_steps, n_save)
    return _solve_jit(model, settings, max_steps, n_save)


#: Allowed ranges of the float settings of :func:`solve_leptogenesis`.


def _validated_settings(rtol, atol, z_initial, z_final, max_steps, n_save):
    values = dict(rtol=rtol, atol=atol, z_initial=z_initial, z_final=z_final)
    return validated_settings(SETTING_RANGES, values, max_steps, n_save)


@eqx.filter_jit
def _solve_jit(model, settings, max_steps, n_save):
    return solve_leptogenesis_unjitted(model, *settings, max_steps=max_steps, n_save=n_save)


def solve_leptogenesis_unjitted(
    model: LeptogenesisModel,
    rtol,
    atol,
    z_initial,
    z_final,
    *,
    max_steps: int = 16384,
    n_save: int = 100,
) -> LeptogenesisSolution:
    """The traceable body of :func:`solve_leptogenesis` (one point; wrap in ``vmap`` for many)."""
    K = model.K
    valid = model.is_valid()
    # weakly coupled N_1: run until it has decayed, e^{-K z^2/2} < e^{-50}
    z_end = jnp.maximum(z_final, 10.0 / jnp.sqrt(jnp.where(valid, K, 1.0)))
    t0, t1 = jnp.log(z_initial), jnp.log(z_end)
    grid = jnp.clip(t0 + (t1 - t0) * jnp.linspace(0.0, 1.0, n_save), t0, t1)
    y0 = jnp.stack([initial_log_ratio(model, z_initial), jnp.float64(0.0)])
    sol = diffrax.diffeqsolve(
        diffrax.ODETerm(_vector_field),
        implicit_solver(
            "Kvaerno5", rtol, atol, root_tolerance_factor=ROOT_TOLERANCE_FACTOR, newton=True
        ),
        t0=t0,
        t1=t1,
        dt0=None,
        y0=y0,
        args=model,
        saveat=diffrax.SaveAt(ts=grid),
        stepsize_controller=diffrax.PIDController(rtol=rtol, atol=atol, pcoeff=0.3, icoeff=0.4),
        max_steps=max_steps,
        throw=False,
    )
    status, guard = status_and_guard(valid, sol.result)

    z_grid = jnp.exp(grid)
    N_N = guard(jnp.exp(log_equilibrium_abundance(z_grid) + sol.ys[:, 0]))
    kappa = guard(sol.ys[:, 1])
    N_B_minus_L = -0.75 * model.epsilon_1 * kappa
    kappa_f = kappa[-1]
    if model.Delta_L2_washout:
        # the ΔW ∝ 1/z² tail beyond z_end, where the source and W_ID have died out (exact)
        tail = DELTA_L2_OMEGA * (model.M_1 / 1e10) * model.mbar**2 / z_end
        kappa = kappa.at[-1].multiply(jnp.exp(-tail))
        kappa_f = kappa[-1]
        N_B_minus_L = -0.75 * model.epsilon_1 * kappa
    N_B_minus_L_final = N_B_minus_L[-1]
    Y_B_minus_L = n_gamma_over_s * N_B_minus_L_final
    return LeptogenesisSolution(
        z=z_grid,
        N_N=N_N,
        N_B_minus_L=N_B_minus_L,
        kappa=kappa,
        N_B_minus_L_final=N_B_minus_L_final,
        kappa_f=kappa_f,
        eta_B=eta_B_per_N_B_minus_L * N_B_minus_L_final,
        Y_B_minus_L=Y_B_minus_L,
        Y_B=constants.c_sphaleron * Y_B_minus_L,
        K=K,
        **ModelSolution.bookkeeping(status, sol),
    )


def solve_leptogenesis_batch(
    model: LeptogenesisModel,
    *,
    rtol: float = 1e-9,
    atol: float = 1e-14,
    z_initial: float = 1e-3,
    z_final: float = 50.0,
    max_steps: int = 16384,
    n_save: int = 100,
) -> LeptogenesisSolution:
    """:func:`solve_leptogenesis` vmapped over a model whose fields are 1-d arrays (one per point).

    One compilation per batch shape; every output gains a leading batch axis.
    """
    settings = _validated_settings(rtol, atol, z_initial, z_final, max_steps, n_save)
    shape = jnp.broadcast_shapes(*(jnp.shape(x) for x in jax.tree_util.tree_leaves(model)))
    model = jax.tree_util.tree_map(lambda x: jnp.broadcast_to(x, shape), model)
    return _solve_batch_jit(model, settings, max_steps, n_save)


@eqx.filter_jit
def _solve_batch_jit(model, settings, max_steps, n_save):
    return eqx.filter_vmap(
        lambda m: solve_leptogenesis_unjitted(m, *settings, max_steps=max_steps, n_save=n_save)
    )(model)
