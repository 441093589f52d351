r"""The cogenesis model: two heavy Majorana neutrinos coupling the SM lepton doublet to a dark sector.

.. math::
    \mathcal L\supset-y_i\,(L\cdot H)\,N_i-\lambda_i\,(\chi\phi)\,N_i-\tfrac12M_iN_iN_i
    -\kappa\,\phi\,\chi^c\eta+{\rm h.c.},\qquad i=1,2

(the talk; physics notes §1.1, with the Majorana factor 1/2 so that :math:`M_i` is the physical
mass). Below :math:`M_i` the neutrinos are integrated out into four Wilson coefficients (notes §2.1).
"""

import dataclasses
import math
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Bool, Complex, Float, Int

from jaxcogen import constants
from jaxcogen._interface import (
    AbstractModel,
    FitCoordinate,
    FitLimit,
    FitProxy,
    Observable,
    Parameter,
)
from jaxcogen.model import _registry
from jaxcogen.model._conventions import Conventions
from jaxcogen.model._registry import T_RH_MIN

_REAL_FIELDS = ("M1", "M2", "m_chi", "m_phi", "kappa", "T_RH")

_COMPLEX_FIELDS = ("y1", "y2", "lambda1", "lambda2")


def _is_concrete(x) -> bool:
    return not isinstance(x, jax.core.Tracer)


class EffectiveCouplings(eqx.Module):
    r"""The real, rephasing-invariant content of the EFT that the rates need (notes §2.1, §2.4).

    Attributes:
        abs_a2, abs_b2, abs_w2, abs_d2: :math:`|a|^2` [GeV^-2], :math:`|b|^2` [GeV^-4],
            :math:`|w|^2`, :math:`|d|^2` [GeV^-2].
        J_w, J_d: the CP invariants :math:`{\rm Im}(ba^*w)`, :math:`{\rm Im}(bad^*)` [GeV^-4].
        conventions: carried along so the rates know which energy-transfer reading to use.

    Real-valued on purpose: the ODE solver then never sees complex numbers.
    """

    abs_a2: Float[ArrayLike, ""]
    abs_b2: Float[ArrayLike, ""]
    abs_w2: Float[ArrayLike, ""]
    abs_d2: Float[ArrayLike, ""]
    J_w: Float[ArrayLike, ""]
    J_d: Float[ArrayLike, ""]
    conventions: Conventions


class CogenesisModel(AbstractModel):
    r"""One parameter point of UV scattering freeze-in cogenesis.

    Masses and temperatures in GeV; couplings dimensionless (complex for ``y_i``, ``lambda_i``).

    Attributes:
        M1, M2: heavy Majorana neutrino masses :math:`M_{1,2}` [GeV].
        y1, y2: SM Yukawa couplings :math:`y_i` of :math:`(L\cdot H)N_i` (complex).
        lambda1, lambda2: dark couplings :math:`\lambda_i` of :math:`(\chi\phi)N_i` (complex).
        m_chi: Dirac dark-matter mass :math:`m_\chi` [GeV].
        m_phi: dark scalar mass :math:`m_\phi` [GeV].
        kappa: dark-sink coupling :math:`\kappa` of :math:`\phi\chi^c\eta` (real, ≥ 0).
        T_RH: reheating temperature of the SM bath [GeV]; the dark sector starts empty there.
        conventions: the :class:`Conventions` of the Boltzmann system.
        eft_hierarchy: the factor :math:`h` of the validity rule
            :math:`M_i>h\,T_{\rm RH}>m_\chi,m_\phi` (the talk's 5). Change it only deliberately:
            the EFT is quantitatively reliable only for :math:`M/T_{\rm RH}\gtrsim20` (notes §3.6).
            Values below 1 (even :math:`T_{\rm RH}>M_i`) are for
            :func:`jaxcogen.production.dynamical.solve_dynamical`, which treats :math:`N_i` as species.

    Inputs are checked when the model is built from concrete numbers; a violation raises
    ``ValueError`` naming the parameter, its value and the allowed range. Inside ``jit``
    (traced values) use :meth:`is_valid` instead.
    """

    name: ClassVar[str] = "cogenesis"
    parameters: ClassVar[dict[str, Parameter]] = _registry.PARAMETERS
    observables: ClassVar[dict[str, Observable]] = _registry.OBSERVABLES
    diagnostics: ClassVar[dict[str, Observable]] = _registry.DIAGNOSTICS
    default_targets: ClassVar[dict[str, float]] = _registry.DEFAULT_TARGETS
    default_free: ClassVar[tuple[str, ...]] = _registry.DEFAULT_FREE
    has_stiffness_proxy: ClassVar[bool] = True
    point_records: ClassVar[dict[str, str]] = {
        "regime_used": "production system integrated: 0 EFT, 1 dynamical heavy neutrinos"
    }
    fit_options: ClassVar[dict[str, str]] = {
        "min_mass_ratio": "keep M_i/T_RH >= this (default: eft_hierarchy)"
    }
    fit_limits: ClassVar[dict[str, FitLimit]] = _registry.FIT_LIMITS
    fit_proxies: ClassVar[dict[str, FitProxy]] = _registry.FIT_PROXIES
    fit_observables: ClassVar[tuple[str, ...]] = _registry.PRODUCTION_OBSERVABLES
    fit_solve_defaults: ClassVar[dict[str, float | int | str | bool]] = _registry.FIT_SOLVE_OPTIONS
    bound_upper_limits: ClassVar[dict[str, float]] = _registry.BOUND_UPPER_LIMITS
    bound_solve_defaults: ClassVar[dict[str, float | int | str | bool]] = (
        _registry.FIT_SOLVE_OPTIONS
    )
    #: the production numbers the late-universe stage reads (:meth:`finish_point`)
    stage_inputs: ClassVar[tuple[str, ...]] = (
        "status", "DeltaY_chi", "SigmaY_chi", "xi_final", "DeltaY_B", "T_end"
    )  # fmt: skip

    M1: Float[ArrayLike, ""]
    M2: Float[ArrayLike, ""]
    y1: Complex[ArrayLike, ""]
    y2: Complex[ArrayLike, ""]
    lambda1: Complex[ArrayLike, ""]
    lambda2: Complex[ArrayLike, ""]
    m_chi: Float[ArrayLike, ""]
    m_phi: Float[ArrayLike, ""]
    kappa: Float[ArrayLike, ""]
    T_RH: Float[ArrayLike, ""]
    conventions: Conventions
    eft_hierarchy: float = eqx.field(static=True)

    def __init__(
        self,
        *,
        M1,
        M2,
        y1,
        y2,
        lambda1,
        lambda2,
        m_chi,
        m_phi,
        kappa,
        T_RH,
        conventions: Conventions | None = None,
        eft_hierarchy: float = 5.0,
    ):
        values = dict(M1=M1, M2=M2, m_chi=m_chi, m_phi=m_phi, kappa=kappa, T_RH=T_RH)
        couplings = dict(y1=y1, y2=y2, lambda1=lambda1, lambda2=lambda2)
        if not isinstance(eft_hierarchy, (int, float)) or not eft_hierarchy > 0.0:
            raise ValueError(f"eft_hierarchy={eft_hierarchy!r}: must be a number > 0")
        if all(_is_concrete(v) for v in (*values.values(), *couplings.values())):
            _validate(values, couplings, float(eft_hierarchy))
        for name, value in values.items():
            setattr(self, name, jnp.asarray(value, dtype=jnp.float64))
        for name, value in couplings.items():
            setattr(self, name, jnp.asarray(value, dtype=jnp.complex128))
        self.conventions = Conventions() if conventions is None else conventions
        self.eft_hierarchy = float(eft_hierarchy)

    # ---- Wilson coefficients (notes §2.1) -----------------------------------------------------

    @property
    def a(self) -> Complex[ArrayLike, ""]:
        r"""Dim-5 portal coefficient :math:`a=\sum_iy_i\lambda_i/M_i` [GeV^-1]."""
        return self.y1 * self.lambda1 / self.M1 + self.y2 * self.lambda2 / self.M2

    @property
    def b(self) -> Complex[ArrayLike, ""]:
        r"""Dim-6 portal coefficient :math:`b=\sum_iy_i^*\lambda_i/M_i^2` [GeV^-2]."""
        return jnp.conj(self.y1) * self.lambda1 / self.M1**2 + jnp.conj(self.y2) * self.lambda2 / (
            self.M2**2
        )

    @property
    def w(self) -> Complex[ArrayLike, ""]:
        r"""Weinberg-operator coefficient :math:`w=\sum_iy_i^2/M_i` [GeV^-1]."""
        return self.y1**2 / self.M1 + self.y2**2 / self.M2

    @property
    def d(self) -> Complex[ArrayLike, ""]:
        r"""Dark dim-5 coefficient :math:`d=\sum_i\lambda_i^2/M_i` [GeV^-1]."""
        return self.lambda1**2 / self.M1 + self.lambda2**2 / self.M2

    # ---- CP violation (notes §2.4) ------------------------------------------------------------

    @property
    def J_w(self) -> Float[ArrayLike, ""]:
        r"""Rephasing-invariant CP-odd combination :math:`J_w={\rm Im}(b\,a^*w)` [GeV^-4]."""
        return jnp.imag(self.b * jnp.conj(self.a) * self.w)

    @property
    def J_d(self) -> Float[ArrayLike, ""]:
        r"""Rephasing-invariant CP-odd combination :math:`J_d={\rm Im}(b\,a\,d^*)` [GeV^-4]."""
        return jnp.imag(self.b * self.a * jnp.conj(self.d))

    @property
    def epsilon_L(self) -> Float[ArrayLike, ""]:
        r"""Lepton CP asymmetry per dim-6 production, :math:`\epsilon_L=S_L/2\gamma_6=-\frac{3}{8\pi}\frac{J_w}{|b|^2}`.

        Notes §2.4 (the normalisation is this project's; the paper's is unknown). Zero if b = 0.
        """
        b2 = jnp.abs(self.b) ** 2
        safe = jnp.where(b2 > 0, b2, 1.0)
        return jnp.where(b2 > 0, -3.0 / (8.0 * jnp.pi) * self.J_w / safe, 0.0)

    @property
    def epsilon_chi(self) -> Float[ArrayLike, ""]:
        r"""Dark CP asymmetry :math:`\epsilon_\chi=S_\chi/2\gamma_6=-\frac{1}{4\pi}\frac{J_d}{|b|^2}` (notes §2.4)."""
        b2 = jnp.abs(self.b) ** 2
        safe = jnp.where(b2 > 0, b2, 1.0)
        return jnp.where(b2 > 0, -1.0 / (4.0 * jnp.pi) * self.J_d / safe, 0.0)

    @property
    def m_nu(self) -> Float[ArrayLike, ""]:
        r"""Light-neutrino mass :math:`m_\nu=|w|\,v^2` [GeV], one flavour (notes §2.1), v = 174.1 GeV."""
        return jnp.abs(self.w) * constants.v_EW**2

    @property
    def m_chi_over_m_phi(self) -> Float[ArrayLike, ""]:
        r""":math:`m_\chi/m_\phi`: below 1 the Dirac :math:`\chi` is the lighter dark particle and
        the stable relic this model computes (bounds keep it below 1 by default; above 1 the
        relic would be :math:`\phi`, which the model does not follow)."""
        return self.m_chi / self.m_phi

    @property
    def eft_error(self) -> Float[ArrayLike, ""]:
        r"""The EFT's estimated relative error on its worst observable,
        :math:`\max_O\,\delta_O` over :math:`\Delta Y_B,\Delta Y_\chi,\Sigma Y_\chi,\xi`
        (:func:`jaxcogen.production.eft_error_estimate`; capped at :math:`10^{30}` where the EFT
        predicts zero for a non-zero observable). Fits keep it below ``eft_error_max``."""
        from jaxcogen.production._validity import eft_error_estimate

        estimate = eft_error_estimate(self)
        worst = jnp.max(jnp.stack([jnp.asarray(x) for x in jax.tree_util.tree_leaves(estimate)]))
        return jnp.minimum(worst, 1e30)

    def effective_couplings(self) -> EffectiveCouplings:
        """The real EFT content of this point (:class:`EffectiveCouplings`)."""
        return EffectiveCouplings(
            abs_a2=jnp.abs(self.a) ** 2,
            abs_b2=jnp.abs(self.b) ** 2,
            abs_w2=jnp.abs(self.w) ** 2,
            abs_d2=jnp.abs(self.d) ** 2,
            J_w=self.J_w,
            J_d=self.J_d,
            conventions=self.conventions,
        )

    # ---- validity --------------------------------------------------------------------------------

    def is_valid(self) -> Bool[ArrayLike, ""]:
        """Jittable form of the input rules (finite, positive, :math:`M_i>hT_{RH}>m_\\chi,m_\\phi`)."""
        h = self.eft_hierarchy
        reals = jnp.stack([getattr(self, n) for n in _REAL_FIELDS])
        cplx = jnp.stack([getattr(self, n) for n in _COMPLEX_FIELDS])
        ok = jnp.all(jnp.isfinite(reals)) & jnp.all(jnp.isfinite(cplx))
        ok &= (self.M1 > 0) & (self.M2 > 0) & (self.T_RH > 0) & (self.m_chi > 0)
        ok &= (self.m_phi > 0) & (self.kappa >= 0) & (self.T_RH >= T_RH_MIN)
        ok &= (self.M1 > h * self.T_RH) & (self.M2 > h * self.T_RH)
        ok &= (h * self.T_RH > self.m_chi) & (h * self.T_RH > self.m_phi)
        return ok

    # ---- the model interface (jaxcogen._interface.AbstractModel) ------------------------------
    # The production stage depends on the model, so it is imported when a solve is asked for.

    @classmethod
    def solve_settings(cls, options=None, *, n_save=None):
        """:meth:`~jaxcogen.SolveSettings.create` from keyword ``options`` (``ValueError`` naming
        an unknown or bad setting); a :class:`~jaxcogen.SolveSettings` passes through."""
        from jaxcogen.production._settings import SolveSettings, check_settings_names

        if isinstance(options, SolveSettings):
            return options if n_save is None else dataclasses.replace(options, n_save=n_save)
        options = dict(options or {})
        check_settings_names(options)
        if n_save is not None:
            options["n_save"] = n_save
        return SolveSettings.create(**options)

    @classmethod
    def loss_observables(cls, settings) -> tuple[str, ...]:
        """The production stage's observables, and today's when ``settings.late_universe``."""
        late = _registry.LATE_FIT_OBSERVABLES if settings.late_universe else ()
        return (*cls.fit_observables, *late)

    @classmethod
    def active_fit_limits(cls, settings) -> tuple[str, ...]:
        """``m_nu_max`` always; ``eft_error_max`` only when the loss integrates the EFT."""
        return tuple(k for k in cls.fit_limits if k != "eft_error_max" or settings.regime == "eft")

    def solve_point(self, settings) -> dict[str, Array]:
        from jaxcogen.production._solve import solve_unjitted

        solution = solve_unjitted(self, settings)
        names = (*self.observables, *self.diagnostics)
        nan = jnp.full_like(solution.DeltaY_B, jnp.nan)
        # today's observables are None when the late-universe stage is switched off
        out = {
            name: nan if getattr(solution, name) is None else getattr(solution, name)
            for name in names
        }
        out["status"] = solution.status
        out["num_steps"] = solution.num_steps
        out["num_rejected_steps"] = solution.num_rejected_steps
        out["regime_used"] = solution.regime_used
        out["T_end"] = solution.T_end
        return out

    @classmethod
    def staged_passes(cls, settings):
        """With ``settings.late_universe``: the production stage alone (its settings), the late
        universe then being :meth:`finish_point`. Its cost ranges over ~10–300 adaptive steps
        (the relaxation of a large symmetric population takes longest), so a scan sorts a chunk's
        points by :meth:`finish_cost_proxy` before it."""
        return (
            dataclasses.replace(settings, late_universe=False) if settings.late_universe else None
        )

    def finish_point(self, settings, first) -> dict[str, Array]:
        r"""The late-universe stage of a production-stage point ``first`` (:meth:`solve_point`
        with ``staged_passes(settings)``): the full chain's ``status`` and today's observables,
        joined as :func:`jaxcogen.solve` joins them
        (:func:`jaxcogen.production._solve.today_from_late_universe`)."""
        from jaxcogen.production._solve import (
            _runtime_errors_as_nan,
            late_universe_of_production,
            today_from_late_universe,
        )

        with _runtime_errors_as_nan():
            # n_save = 2: no evolution is kept (saving it does not steer the steps, so today's
            # numbers are those of solve's stage, which saves 100 points along the way)
            late = late_universe_of_production(first, self, adjoint=settings.adjoint, n_save=2)
        status, today = today_from_late_universe(first["status"], first["SigmaY_chi"], late)
        return {"status": status, **today}

    @classmethod
    def finish_cost_proxy(cls, first) -> np.ndarray:
        r""":math:`\log_{10}(\Sigma Y_\chi/|\Delta Y_\chi|)-3\log_{10}\xi_{\rm final}`: the symmetric
        population the late stage must annihilate, and how late (a colder dark bath, smaller
        :math:`\xi`, has fewer annihilations per Hubble time at a given :math:`x_\chi`). Only an
        ordering for batching (no result depends on it). Measured on the 4096 points of
        ``benchmarks/scan_throughput.py --issue18`` (the late stage takes 4–9 steps on half of
        them, 120–220 on a third): sorted by it, chunks of 256 in 4 sub-batches hold 1.46× the
        ideal lane-steps (sorting by the true step count: 1.45×; by the first term alone: 1.64×)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log10(
                np.asarray(first["SigmaY_chi"]) / np.abs(first["DeltaY_chi"])
            ) - 3.0 * np.log10(np.asarray(first["xi_final"]))

    @classmethod
    def settings_record(cls, settings) -> dict:
        record = {}
        for field in dataclasses.fields(settings):
            value = getattr(settings, field.name)
            if value is None or isinstance(value, (str, int)):
                record[field.name] = value
            else:
                record[field.name] = float(value)
        return record

    def card_text(self) -> str:
        """The point as a parameter card (TOML, :mod:`jaxcogen.model._cards`): ``[model]`` and every
        ``[conventions]`` field, exactly reproducing the model when read back."""
        from jaxcogen.model import _cards

        fields: dict = {}
        for name, parameter in self.parameters.items():
            value = getattr(self, name)
            if parameter.complex:
                z = complex(value)
                fields[name] = z if z.imag else z.real
            else:
                fields[name] = float(value)
        if self.eft_hierarchy != 5.0:
            fields["eft_hierarchy"] = float(self.eft_hierarchy)
        conventions = {
            f.name: getattr(self.conventions, f.name) for f in dataclasses.fields(self.conventions)
        }
        return _cards.card_to_toml(_cards.Card(model_fields=fields, conventions=conventions))

    def stiffness_proxy(self) -> Float[ArrayLike, ""]:
        r"""Cheap predictor of the step count: :math:`\sum_k\ln(1+|\partial f_k/\partial y_k|)` at :math:`T_{\rm RH}`.

        :math:`f` is the vector field in :math:`\tau=\ln(T_{\rm RH}/T)`, so each diagonal Jacobian
        entry is a relaxation rate per Hubble time: the lepton and dark wash-out rates (empty dark
        sector) and the thermalisation rate of :math:`\xi` (at :math:`\xi=1`). Rates fall like
        :math:`T^{1-3}` relative to :math:`H`, so :math:`T_{\rm RH}` is where the solve is stiffest.
        Its rank correlation with the Kvaerno5 step count is 0.83 on the bucketing grid of
        ``benchmarks/scan_throughput.py`` and 0.87 on a Sobol sample of seven parameters around the
        default point.
        """
        from jaxcogen.production._boltzmann import relaxation_rates

        return jnp.sum(jnp.log1p(relaxation_rates(self)))

    @classmethod
    def solver_passes(cls, settings):
        """``solver="auto"``: Tsit5 on the non-stiff points, then Kvaerno5 on the stiff ones and
        on those Tsit5 failed (:func:`~jaxcogen.production.stiffness_ratio`). The EFT system
        only: the dynamical-N system takes Kvaerno5 for ``"auto"``, and ``regime="auto"`` is
        split first (:meth:`regime_passes`)."""
        if settings.solver != "auto" or settings.regime != "eft":
            return None
        return (
            dataclasses.replace(settings, solver="Tsit5"),
            dataclasses.replace(settings, solver="Kvaerno5"),
        )

    @classmethod
    def regime_passes(cls, settings):
        """``regime="auto"``: the EFT settings (index :data:`~jaxcogen.production.REGIME_EFT`),
        then the dynamical-N ones (``REGIME_DYNAMICAL``); :meth:`regime_index` picks per point."""
        if settings.regime != "auto":
            return None
        return (
            dataclasses.replace(settings, regime="eft"),
            dataclasses.replace(settings, regime="dynamical"),
        )

    def regime_index(self, settings) -> Int[ArrayLike, ""]:
        """0 (EFT) where ``regime="auto"`` trusts the EFT at this point, else 1 (dynamical N):
        the criterion of :func:`jaxcogen.solve` itself (``production._solve._use_eft``)."""
        from jaxcogen.production._solve import _use_eft

        return jnp.where(_use_eft(self, settings), 0, 1).astype(jnp.int32)

    def needs_implicit(self) -> Bool[ArrayLike, ""]:
        from jaxcogen.production._settings import AUTO_STIFFNESS_THRESHOLD
        from jaxcogen.production._solve import stiffness_ratio

        return stiffness_ratio(self) >= AUTO_STIFFNESS_THRESHOLD

    def fit_coordinates(self, *, min_mass_ratio: float | None = None) -> dict[str, FitCoordinate]:
        r"""The validity rule :math:`M_i>r\,T_{\rm RH}`, :math:`h\,T_{\rm RH}>m_\chi,m_\phi` as a box
        in fit coordinates (masses relative to :math:`T_{\rm RH}`).

        :math:`h` is the ``eft_hierarchy`` and :math:`r=\max(h,\,{\rm min\_mass\_ratio})`; the
        other ranges come from the parameter declarations (:meth:`AbstractModel.fit_coordinates`).
        """
        h = self.eft_hierarchy
        if min_mass_ratio is not None and not (
            isinstance(min_mass_ratio, (int, float)) and 0 < min_mass_ratio < math.inf
        ):
            raise ValueError(f"min_mass_ratio={min_mass_ratio!r}: must be a finite number > 0")
        r = max(h, float(min_mass_ratio or h))
        out = super().fit_coordinates()
        for name in ("M1", "M2"):
            out[name] = dataclasses.replace(out[name], ratio_lower=r)
        for name in ("m_chi", "m_phi"):
            out[name] = dataclasses.replace(out[name], ratio_upper=h)
        return out


#: Largest coupling modulus accepted at construction: the perturbative bound |g| <= sqrt(4 pi).
PERTURBATIVE_COUPLING_MAX: float = math.sqrt(4.0 * math.pi)


def _validate(values: dict, couplings: dict, h: float) -> None:
    """Python-side checks with messages that name the parameter, its value and the allowed range."""
    real = {}
    for name, v in values.items():
        try:
            x = complex(v)
        except (TypeError, ValueError) as err:
            raise ValueError(f"{name}={v!r}: must be a real number") from err
        if x.imag != 0.0:
            raise ValueError(f"{name}={v!r}: must be real")
        if not math.isfinite(x.real):
            raise ValueError(f"{name}={v!r}: must be finite")
        real[name] = x.real
    for name, v in couplings.items():
        try:
            z = complex(v)
        except (TypeError, ValueError) as err:
            raise ValueError(f"{name}={v!r}: must be a (complex) number") from err
        if not (math.isfinite(z.real) and math.isfinite(z.imag)):
            raise ValueError(f"{name}={v!r}: must be finite")
        if abs(z) > PERTURBATIVE_COUPLING_MAX:
            raise ValueError(
                f"{name}={v!r}: |{name}| = {abs(z):.6g} is above the perturbative bound "
                f"sqrt(4 pi) = {PERTURBATIVE_COUPLING_MAX:.4g}; allowed: 0 <= |{name}| <= sqrt(4 pi)"
            )
    for name in ("M1", "M2", "m_chi", "m_phi", "T_RH"):
        if not real[name] > 0:
            raise ValueError(f"{name}={real[name]!r} GeV: must be > 0")
    if not real["kappa"] >= 0:
        raise ValueError(f"kappa={real['kappa']!r}: must be >= 0")
    T_RH = real["T_RH"]
    if not T_RH >= T_RH_MIN:
        raise ValueError(
            f"T_RH={T_RH:.6g} GeV: must be >= {T_RH_MIN:g} GeV (production in the unbroken "
            f"electroweak phase, above sphaleron freeze-out at {constants.T_sph} GeV)"
        )
    for name in ("M1", "M2"):
        if not real[name] > h * T_RH:
            raise ValueError(
                f"{name}={real[name]:.6g} GeV: must be > {h:g}*T_RH = {h * T_RH:.6g} GeV "
                f"(heavy neutrinos off shell, EFT hierarchy M_i > {h:g} T_RH)"
            )
    for name in ("m_chi", "m_phi"):
        if not real[name] < h * T_RH:
            raise ValueError(
                f"{name}={real[name]:.6g} GeV: must be < {h:g}*T_RH = {h * T_RH:.6g} GeV "
                f"(dark states light at reheating, {h:g} T_RH > m_chi, m_phi)"
            )
