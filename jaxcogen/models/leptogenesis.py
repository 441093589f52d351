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

**Numerics.** The equations are linear in :math:`N_{N_1}` and in the running efficiency
:math:`\kappa(z)=-\tfrac43N_{B-L}(z)/\varepsilon_1` (exact: the equations are linear in
:math:`\varepsilon_1`; :math:`\kappa` is of order one), and lower-triangular. They are integrated
in :math:`\ln z` from ``z_initial`` (1e-3, as ULYSSES) to :math:`z_{\rm end}=\max(z_{\rm final},10/\sqrt K)`,
``z_final`` = 50 (so a weakly coupled :math:`N_1` has decayed, :math:`e^{-Kz^2/2}<e^{-50}`, and
:math:`N^{\rm eq},W_{\rm ID}\propto e^{-z}` are below :math:`10^{-14}` for :math:`K\le10^3`); the
:math:`\Delta W\propto1/z^2` tail beyond :math:`z_{\rm end}` is applied exactly,
:math:`\kappa\to\kappa\,e^{-\int_{z_{\rm end}}^\infty\Delta W}`.

- *State* :math:`(x,\kappa)`, :math:`x=(N_{N_1}-\theta N^{\rm eq})/S` with a switch
  :math:`\theta=(Kz)^2/(1+(Kz)^2)` and a scale :math:`S=N^{\rm eq}+\tfrac34e^{-Kz^2/2}`, both
  known functions (:func:`_vector_field`): still linear, and smooth in :math:`\ln z` in every regime
  (no steps spent following :math:`e^{-z}`), relatively accurate where :math:`N_{N_1}\ll N^{\rm eq}`
  and where :math:`N_{N_1}\simeq N^{\rm eq}`, never overflowing.
- *Solver* :class:`LinearKvaerno5`: diffrax's L-stable, stiffly accurate Kvaerno5 tableau whose
  implicit stages, for this linear triangular system, are solved in closed form (no Jacobian, no
  Newton iteration), with a filtered error estimate and a PID controller. Rates from the
  series/Chebyshev :func:`jaxcogen._special.bessel_k012e` (~1e-15 relative, ~15–20 ns a point).
- *Tolerance*: rtol 1e-8 (default) holds :math:`\kappa_{\rm f}` to ≲1e-7 of an independent Radau
  solve at rtol 1e-12 for K = 1e-4…1e3 and both initial abundances
  (``tests/test_models_leptogenesis.py``). From a zero abundance at :math:`K\ll1`,
  :math:`\kappa_{\rm f}` is the difference of an early negative and a late positive asymmetry, by
  ~1.5/K; the :math:`\kappa` error estimate is weighted by that factor
  (:func:`kappa_error_weight`), without which the error on :math:`\kappa_{\rm f}` was ~1/K times
  larger (3e-6 at K = 0.01, rtol 1e-8).
- *Cost* (2-core CPU): 140–390 steps for K = 0.01…1000 (850 at K = 1e-4 from a zero abundance)
  at ~5 µs each, dispatch and the saved grid included — 0.1–0.6× ULYSSES's LSODA on the same
  equations; the previous Kvaerno5 with Newton stages on :math:`(\ln N_{N_1}/N^{\rm eq},\kappa)`
  took 230–610 steps at 60–140 µs (``benchmarks/RESULTS.md`` §7).
"""

import functools
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


def rates(model: LeptogenesisModel, z, log_z=None) -> dict[str, Array]:
    r"""The terms of the Boltzmann equations at ``z`` for ``model``'s switches (module docstring).

    Returns ``D``, ``D_plus_S``, ``W`` (total wash-out), ``W_ID``, ``D_times_N_eq``
    (:math:`DN^{\rm eq}=\tfrac32W_{\rm ID}=\tfrac38Kz^3K_1`, exact), ``log_N_eq``, ``N_eq`` and
    ``K1_over_K2``. ``log_z``: :math:`\ln z` if the caller has it (saves a logarithm).
    """
    K = model.K
    log_z = jnp.log(z) if log_z is None else log_z
    _, k1e, k2e = bessel_k012e(z)
    e_minus_z = jnp.exp(-z)
    log_N_eq = _LOG_3_8 + 2.0 * log_z - z + jnp.log(k2e)
    K1_over_K2 = k1e / k2e
    D = K * z * K1_over_K2
    W_ID = 0.25 * K * z**3 * e_minus_z * k1e
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
        W_ID=W_ID,
        D_times_N_eq=1.5 * W_ID,
        log_N_eq=log_N_eq,
        N_eq=0.375 * z**2 * e_minus_z * k2e,
        K1_over_K2=K1_over_K2,
    )


_LOG_3_8 = math.log(0.375)
_LOG_3_4 = math.log(0.75)


def _change_of_variables(z, model: LeptogenesisModel, log_z=None):
    r"""The rates at ``z``, the switch :math:`\theta(z)` and :math:`\theta'`, and the scale :math:`S(z)`.

    :math:`\theta=(Kz)^2/(1+(Kz)^2)`; :math:`S=N^{\rm eq}+\sigma`, :math:`\sigma=\tfrac34e^{-Kz^2/2}`,
    with the fractions :math:`p=N^{\rm eq}/S`, :math:`q=\sigma/S` (from :math:`e^{-|\ln N^{\rm eq}-\ln\sigma|}`:
    nothing overflows at any :math:`z`).
    """
    K = model.K
    Kz2 = (K * z) ** 2
    theta = Kz2 / (1.0 + Kz2)
    dtheta = 2.0 * K * K * z / (1.0 + Kz2) ** 2
    r = rates(model, z, log_z)
    log_sigma = _LOG_3_4 - 0.5 * K * z * z
    d = r["log_N_eq"] - log_sigma
    e = jnp.exp(-jnp.abs(d))
    inv = 1.0 / (1.0 + e)
    above = d > 0.0
    p = jnp.where(above, inv, e * inv)
    q = jnp.where(above, e * inv, inv)
    S = jnp.exp(jnp.maximum(r["log_N_eq"], log_sigma)) * (1.0 + e)
    return r, theta, dtheta, S, p, q


def _linear_coefficients(log_z, model: LeptogenesisModel):
    r"""The coefficients :math:`(a,b,c,g,w)` of the linear system in :math:`\ln z` (:func:`_vector_field`)."""
    z = jnp.exp(log_z)
    r, theta, dtheta, S, p, q = _change_of_variables(z, model, log_z)
    A, K1_over_K2 = r["D_plus_S"], r["K1_over_K2"]
    a = A - K1_over_K2 * p - model.K * z * q
    b = p * (A * (1.0 - theta) - dtheta + theta * K1_over_K2)
    c = 4.0 / 3.0 * r["D"] * S
    g = -2.0 * (1.0 - theta) * r["W_ID"]
    return z * a, z * b, z * c, z * g, z * r["W"]


def _vector_field(log_z, y, model: LeptogenesisModel):
    r"""Right-hand side in :math:`\ln z` for the state :math:`(x,\kappa)`, :math:`x=(N_{N_1}-\theta N^{\rm eq})/S`.

    The module equations are linear in :math:`N_{N_1}` and :math:`\kappa`; any state
    :math:`x=(N_{N_1}-\theta N^{\rm eq})/S` with known :math:`\theta(z),S(z)` keeps them linear and
    lower-triangular (:func:`_change_of_variables` for the choice). With
    :math:`dN^{\rm eq}/dz=-rN^{\rm eq}`, :math:`r=K_1/K_2` (DLMF 10.29.3), :math:`A=D+S_{\Delta L=1}`,
    :math:`p=N^{\rm eq}/S`:

    .. math::
        \frac{dx}{dz}=-\Big(A+\frac{S'}{S}\Big)x+p\,\big[A(1-\theta)-\theta'+\theta r\big],\qquad
        \frac{d\kappa}{dz}=\tfrac43DS\,x-2(1-\theta)W_{\rm ID}-W\kappa ,

    (:math:`DN^{\rm eq}=\tfrac32W_{\rm ID}`), i.e. :math:`x'=-ax+b`, :math:`\kappa'=cx+g-w\kappa`
    (times :math:`z` in :math:`\ln z`); each implicit stage of :class:`LinearKvaerno5` is then
    solved in closed form. Why this :math:`x`: where the :math:`N_1` couple weakly
    (:math:`Kz\ll1`, :math:`\theta\to0`) it is :math:`N_{N_1}/S`, relatively accurate also when
    :math:`N_{N_1}\ll N^{\rm eq}` (zero initial abundance); where they couple strongly
    (:math:`\theta\to1`) it is :math:`(N_{N_1}-N^{\rm eq})/S`, the deviation itself, which drives the
    asymmetry and would be a cancellation in :math:`N_{N_1}`. The scale :math:`S` follows
    :math:`N^{\rm eq}\propto e^{-z}` where the :math:`N_1` track equilibrium (then :math:`x\simeq
    r/(Az)`, smooth: no steps are spent resolving :math:`e^{-z}`) and the free decay
    :math:`e^{-Kz^2/2}` where they do not, so :math:`x` stays of order one and never overflows.
    """
    a, b, c, g, w = _linear_coefficients(log_z, model)
    return jnp.stack([b - a * y[0], c * y[0] + g - w * y[1]])


class LinearKvaerno5(diffrax.AbstractAdaptiveSolver):
    r"""Kvaerno's 5th-order ESDIRK (diffrax's ``Kvaerno5`` tableau) for this model's linear system.

    L-stable and stiffly accurate, with the embedded 4th-order error estimate and the 3rd-order
    Hermite dense output of diffrax's ``Kvaerno5``; the difference is the stage equations. The
    system of :func:`_vector_field` is linear and lower-triangular, so the implicit stage
    :math:`Y_i=X_i+h\gamma f(t_i,Y_i)` is, exactly,

    .. math::
        x_i=\frac{X_{i,x}+h\gamma\,b_i}{1+h\gamma\,a_i},\qquad
        \kappa_i=\frac{X_{i,\kappa}+h\gamma\,(c_ix_i+g_i)}{1+h\gamma\,w_i}

    — no Jacobian, no Newton iteration, no linear solve; the coefficients do not depend on the
    state, so all stages' are evaluated at once, vectorised (five distinct times; the first stage
    reuses the previous step's last). The error estimate is
    filtered by the same stage matrix, :math:`(I-h\gamma J)^{-1}\,\hat e` (Hairer & Wanner,
    *Solving ODEs II*, §IV.8): unfiltered, the stiff component's estimate does not decay and
    the controller takes needlessly small steps (measured on a state :math:`N_{N_1}-N^{\rm eq}`
    at K = 100: 972 steps unfiltered, 686 filtered).

    Attributes:
        kappa_error_weight: factor on the :math:`\kappa` component of the error estimate
            (:func:`kappa_error_weight`).
    """

    kappa_error_weight: Float[ArrayLike, ""] = 1.0
    term_structure: ClassVar = diffrax.AbstractTerm
    interpolation_cls: ClassVar = diffrax.ThirdOrderHermitePolynomialInterpolation.from_k

    def order(self, terms):
        return 5

    def init(self, terms, t0, t1, y0, args):
        return _linear_coefficients(t0, args)

    def step(self, terms, t0, t1, y0, args, solver_state, made_jump):
        del made_jump  # the coefficients are smooth: no jumps
        h = t1 - t0
        gamma_h = _GAMMA * h
        # first stage at t0: the last stage of the previous accepted step (diffrax keeps the
        # state of the last accepted step on a rejection); the others at the 5 distinct nodes
        # c = 0.52, 1.23, 0.90, 0.44, 1 (stages 6 and 7 are both at t1), all evaluated at once
        first = solver_state
        rest = _linear_coefficients(t0 + h * _DISTINCT_NODES, args)
        # the stage divisions as reciprocals, vectorised: the recursion below is then products
        # and sums only, which XLA fuses into a few kernels (with the divisions in it, ~3x the
        # cost a step: each division's result was materialised)
        nodes = tuple(jnp.concatenate([f[None], r]) for f, r in zip(first, rest, strict=True))
        inv_x = 1.0 / (1.0 + gamma_h * nodes[0])
        inv_k = 1.0 / (1.0 + gamma_h * nodes[4])
        a, b, c, g, w, inv_x, inv_k = (
            [v[0]] + [v[j + 1] for j in _STAGE_NODE] for v in (*nodes, inv_x, inv_k)
        )
        x0, kappa0 = y0[0], y0[1]
        kx = [b[0] - a[0] * x0]
        kk = [c[0] * x0 + g[0] - w[0] * kappa0]
        for i, row in enumerate(_A_LOWER, start=1):
            known_x = x0 + h * sum(row[j] * kx[j] for j in range(i) if row[j] != 0.0)
            known_k = kappa0 + h * sum(row[j] * kk[j] for j in range(i) if row[j] != 0.0)
            x = (known_x + gamma_h * b[i]) * inv_x[i]
            kappa = (known_k + gamma_h * (c[i] * x + g[i])) * inv_k[i]
            kx.append(b[i] - a[i] * x)
            kk.append(c[i] * x + g[i] - w[i] * kappa)
        # stiffly accurate: the last stage (c_7 = 1) is the solution
        e_x = h * sum(e * k for e, k in zip(_B_ERROR, kx, strict=True) if e != 0.0)
        e_k = h * sum(e * k for e, k in zip(_B_ERROR, kk, strict=True) if e != 0.0)
        e_x = e_x * inv_x[-1]
        e_k = (e_k + gamma_h * c[-1] * e_x) * inv_k[-1] * self.kappa_error_weight
        y1 = jnp.stack([x, kappa])
        k = h * jnp.stack([jnp.stack([kx[0], kk[0]]), jnp.stack([kx[-1], kk[-1]])])
        last = tuple(v[-1] for v in (a, b, c, g, w))
        return y1, jnp.stack([e_x, e_k]), dict(y0=y0, y1=y1, k=k), last, diffrax.RESULTS.successful

    def func(self, terms, t0, y0, args):
        return terms.vf(t0, y0, args)


_TABLEAU = diffrax.Kvaerno5.tableau
_GAMMA = float(_TABLEAU.a_diagonal[1])
_DISTINCT_NODES = np.unique(_TABLEAU.c)
_STAGE_NODE = tuple(int(np.searchsorted(_DISTINCT_NODES, c)) for c in _TABLEAU.c)
_A_LOWER = tuple(tuple(float(v) for v in row) for row in _TABLEAU.a_lower)
_B_ERROR = tuple(float(v) for v in _TABLEAU.b_error)


def initial_abundance_N(model: LeptogenesisModel, z_initial) -> Float[ArrayLike, ""]:
    r""":math:`N_{N_1}(z_0)` at the start.

    Thermal: :math:`N^{\rm eq}(z_0)`. Zero abundance at :math:`z=0`: the first-order production
    up to :math:`z_0`, :math:`N_{N_1}(z_0)=\int_0^{z_0}(D+S)N^{\rm eq}dz` (the inverse term
    :math:`-(D+S)N_{N_1}` is second order), by 24-point Gauss–Legendre in :math:`\ln z` over
    :math:`[z_0e^{-30},z_0]` (the integrand is a power law there; :math:`K z_0^3/8` without
    scatterings).
    """
    if model.initial_abundance == "thermal":
        return equilibrium_abundance(z_initial)
    nodes, weights = np.polynomial.legendre.leggauss(24)
    log_z0 = jnp.log(z_initial)
    log_z = log_z0 - 15.0 * (1.0 - nodes)
    z = jnp.exp(log_z)
    r = rates(model, z)
    N_eq = jnp.exp(r["log_N_eq"])
    integrand = z * r["D_plus_S"] * N_eq
    return 15.0 * jnp.sum(weights * integrand)


def kappa_error_weight(model: LeptogenesisModel) -> Float[ArrayLike, ""]:
    r"""Weight of the :math:`\kappa` error estimate: :math:`1+1.5/K` from a zero initial abundance, else 1.

    From a zero abundance :math:`\kappa_{\rm f}` is the difference of an early negative and a late
    positive asymmetry; the largest :math:`|\kappa(z)|` is :math:`\simeq1.5/K` times
    :math:`\kappa_{\rm f}` at :math:`K\ll1` (measured: 149 at :math:`K=0.01`, 1.6e4 at
    :math:`10^{-4}`; 2–3 at :math:`K\gtrsim0.3`). A relative tolerance held on :math:`\kappa(z)` would
    then allow a relative error ~1/K larger on :math:`\kappa_{\rm f}`; the weight holds it on
    :math:`\kappa_{\rm f}`.
    """
    if model.initial_abundance == "thermal":
        return jnp.float64(1.0)
    return 1.0 + 1.5 / model.K


def _to_state(model, z, N_N):
    """:math:`x=(N_{N_1}-\\theta N^{\\rm eq})/S` from :math:`N_{N_1}` at ``z``."""
    r, theta, _, S, _, _ = _change_of_variables(z, model)
    return (N_N - theta * r["N_eq"]) / S


def _from_state(model, z, x):
    """:math:`N_{N_1}=Sx+\\theta N^{\\rm eq}` from the state at ``z``."""
    r, theta, _, S, _, _ = _change_of_variables(z, model)
    return S * x + theta * r["N_eq"]


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
    rtol: float = 1e-8,
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
    try:  # plain numbers (the usual case): checked and converted once, not at every call
        return _validated_settings_cached(rtol, atol, z_initial, z_final, max_steps, n_save)
    except TypeError:  # unhashable (arrays)
        return _validated_settings_uncached(rtol, atol, z_initial, z_final, max_steps, n_save)


def _validated_settings_uncached(rtol, atol, z_initial, z_final, max_steps, n_save):
    values = dict(rtol=rtol, atol=atol, z_initial=z_initial, z_final=z_final)
    return validated_settings(SETTING_RANGES, values, max_steps, n_save)


_validated_settings_cached = functools.lru_cache(maxsize=64)(_validated_settings_uncached)


# plain jax.jit (the model is a pytree, its switches static in its structure): ~0.3 ms less
# dispatch a call than eqx.filter_jit, a tenth of a warm solve
@functools.partial(jax.jit, static_argnums=(2, 3))
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
    x0 = _to_state(
        model, jnp.asarray(z_initial, dtype=jnp.float64), initial_abundance_N(model, z_initial)
    )
    y0 = jnp.stack([x0, jnp.float64(0.0)])
    # two points are the ends (scans, fits): saved without diffrax's per-step search of the grid
    saveat = diffrax.SaveAt(t0=True, t1=True) if n_save == 2 else diffrax.SaveAt(ts=grid)
    sol = diffrax.diffeqsolve(
        diffrax.ODETerm(_vector_field),
        LinearKvaerno5(kappa_error_weight=kappa_error_weight(model)),
        t0=t0,
        t1=t1,
        dt0=None,
        y0=y0,
        args=model,
        saveat=saveat,
        stepsize_controller=diffrax.PIDController(rtol=rtol, atol=atol, pcoeff=0.3, icoeff=0.4),
        max_steps=max_steps,
        throw=False,
    )
    status, guard = status_and_guard(valid, sol.result)

    z_grid = jnp.exp(grid)
    N_N = guard(_from_state(model, z_grid, sol.ys[:, 0]))
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
    rtol: float = 1e-8,
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
