r"""Solve one parameter point: a stiff diffrax integration from :math:`T_{\rm RH}` to the end of production.

Where to stop: production is UV dominated. For a reaction density :math:`\gamma\propto T^n` the
yield still to come below :math:`T` is the fraction :math:`(T/T_{\rm RH})^{n-5}` of the total
(notes §7 item 2), so the slowest channel (dim-5, :math:`n=6`) leaves the fraction
:math:`T_{\rm end}/T_{\rm RH}`. The default ``T_end_ratio = 1e-8`` keeps that below
:math:`10^{-8}`, under the default tolerance (a test checks that integrating further changes
nothing). Production never runs below sphaleron freeze-out :math:`T_*=131.7` GeV
(:math:`T_{\rm end}=\max(T_{\rm RH}\times` ``T_end_ratio``:math:`,T_*)`): below the electroweak
crossover the Higgs has a vacuum expectation value and the massless-SM rates no longer hold; the
tail left out is at most the fraction :math:`T_*/T_{\rm RH}\le0.13` of the dimension-5 yield
(at the lowest allowed :math:`T_{\rm RH}=1` TeV) and :math:`<10^{-6}` for
:math:`T_{\rm RH}>1.3\times10^8` GeV. The lepton asymmetry is converted into baryons at
:math:`T_*`, read off the same solve (or at :math:`T_{\rm end}` if that is hotter).
"""

import contextlib
import dataclasses
import difflib
import inspect
import warnings
from typing import Literal, no_type_check

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import optimistix as optx
from jaxtyping import Array, ArrayLike, Bool, Float, Int

from jaxcogen import constants, observables
from jaxcogen._status import STATUS_INVALID_INPUT, status_code, status_name
from jaxcogen.late_universe._dark_freezeout import LateUniverse, late_universe
from jaxcogen.model._cogenesis import CogenesisModel
from jaxcogen.model._registry import PRODUCTION_OBSERVABLES
from jaxcogen.production._boltzmann import BoltzmannSystem, relaxation_rates
from jaxcogen.production._validity import (
    EFT_ERROR_OBSERVABLES,
    EFT_TOLERANCE,
    EFTErrorEstimate,
    EFTValidity,
    EFTValidityWarning,
    eft_error_estimate,
    eft_trusted,
    eft_validity,
)

SolverName = Literal["auto", "Kvaerno5", "Kvaerno3", "Tsit5"]
AdjointName = Literal["recursive", "forward", "direct"]
RegimeName = Literal["eft", "dynamical", "auto"]
#: The values of ``regime`` (:func:`solve`).
REGIMES: tuple[str, ...] = ("eft", "dynamical", "auto")
#: ``Solution.regime_used``: which production system was integrated.
REGIME_EFT, REGIME_DYNAMICAL = 0, 1


class Evolution(eqx.Module):
    r"""The production stage on a fixed grid of ``n_save`` points, for plotting.

    Attributes:
        T: SM temperature [GeV], from :math:`T_{\rm RH}` down to :math:`T_{\rm end}`.
        x: :math:`x=M_1/T`.
        xi, SigmaY_chi, DeltaY_L, DeltaY_chi: the state along the grid.
    """

    T: Float[Array, " n"]
    x: Float[Array, " n"]
    xi: Float[Array, " n"]
    SigmaY_chi: Float[Array, " n"]
    DeltaY_L: Float[Array, " n"]
    DeltaY_chi: Float[Array, " n"]


#: The scalar final observables of a :class:`Solution` produced by the production stage
#: (declared once, in the model's registry).
OBSERVABLES: tuple[str, ...] = PRODUCTION_OBSERVABLES

#: Today's observables, filled by the late-universe stage (``None`` with ``late_universe=False``).
TODAY_OBSERVABLES: tuple[str, ...] = (
    "Omega_chi_h2",
    "asymmetric_fraction",
    "Delta_N_eff",
    "N_eff_ok",
)

#: The EFT validity diagnostic carried by every :class:`Solution` (:mod:`jaxcogen.production._validity`).
EFT_DIAGNOSTICS: tuple[str, ...] = ("eft_resonant_ratio", "eft_s_over_M1_squared")


class Solution(eqx.Module):
    r"""Result of :func:`solve`.

    Attributes:
        DeltaY_L: lepton asymmetry :math:`\Delta Y_L` at :math:`T_{\rm end}` (:math:`Y_{B-L}=-\Delta Y_L`).
        DeltaY_chi: dark-matter asymmetry :math:`\Delta Y_\chi=Y_\chi-Y_{\bar\chi}` at :math:`T_{\rm end}`.
        SigmaY_chi: :math:`Y_\chi+Y_{\bar\chi}` at :math:`T_{\rm end}` (before any depletion).
        xi_final: :math:`\xi=T_\chi/T` at :math:`T_{\rm end}`.
        DeltaY_B: baryon asymmetry :math:`-c_s\Delta Y_L` at sphaleron freeze-out.
        Omega_chi_h2_frozen_in: :math:`\Omega_\chi h^2` of the frozen-in :math:`\chi` population
            at the end of production (no dark-sink depletion, no :math:`\phi` decays yet) — never
            what is observed today; see ``Omega_chi_h2``.
        Omega_chi_h2_asymmetric: today's :math:`\Omega h^2` of the asymmetric relic alone,
            :math:`m_{\rm DM}\,2|\Delta Y_\chi|\,s_0/(\rho_c/h^2)` with
            :math:`m_{\rm DM}=\min(m_\chi,m_\phi)` (the heavier decays into the lighter) — equal to
            today's relic when the dark sink removes the symmetric part (``Omega_chi_h2`` says).
            The fits' loss uses it for an :math:`\Omega_\chi h^2` target (then checks today's).
        m_chi_asymmetric: the dark-matter mass [GeV] for which a purely asymmetric relic, with
            the asymmetry :math:`2\Delta Y_\chi` left after :math:`\phi\to\chi\bar\eta`, gives
            :math:`\Omega_\chi h^2=0.12` (:func:`~jaxcogen.observables.asymmetric_dark_matter_mass`).
        T_end: where the integration stopped [GeV].
        status: 0 on success, else a diffrax failure code or ``STATUS_INVALID_INPUT``
            (:func:`status_name`). On failure every observable is NaN — never a silently wrong
            number.
        num_steps, num_rejected_steps: step statistics of the solve.
        evolution: the state on a fixed grid (:class:`Evolution`).
        eft_resonant_ratio, eft_s_over_M1_squared: the EFT validity diagnostic at
            :math:`T_{\rm RH}` (:func:`~jaxcogen.production._validity.eft_validity`): on-shell-:math:`N`
            production over the EFT rate, and :math:`s/M_1^2` at the 99th percentile of the
            dimension-6 rate; ``eft_trustworthy`` combines them. :func:`solve` warns when the
            EFT is not trustworthy (and the EFT was integrated).
        eft_error_estimate: upper estimate of the EFT's relative error per observable
            (``DeltaY_B``, ``DeltaY_chi``, ``SigmaY_chi``, ``xi_final``) from on-shell :math:`N`
            (:func:`~jaxcogen.production._validity.eft_error_estimate`, calibrated against the
            dynamical mode); ``eft_trusted_for`` applies the per-observable criterion.
        regime_used: which production system was integrated: 0 the EFT (:data:`REGIME_EFT`),
            1 dynamical heavy neutrinos (:data:`REGIME_DYNAMICAL`; ``regime`` of :func:`solve`).
        Omega_chi_h2, asymmetric_fraction, Delta_N_eff, N_eff_ok: today's relic density
            :math:`\Omega_\chi h^2` (after the dark freeze-out and φ decays — the observed
            quantity, 0.12), its asymmetric fraction, :math:`\Delta N_{\rm eff}` at 1 MeV and
            whether :math:`N_{\rm eff}` is below Planck's 95 % bound (1.0 or 0.0) — filled by the
            late-universe stage (the default), ``None`` with ``late_universe=False``.
        late_universe: the full :class:`~jaxcogen.late_universe._dark_freezeout.LateUniverse` (or ``None``).
    """

    DeltaY_L: Float[ArrayLike, ""]
    DeltaY_chi: Float[ArrayLike, ""]
    SigmaY_chi: Float[ArrayLike, ""]
    xi_final: Float[ArrayLike, ""]
    DeltaY_B: Float[ArrayLike, ""]
    Omega_chi_h2_frozen_in: Float[ArrayLike, ""]
    Omega_chi_h2_asymmetric: Float[ArrayLike, ""]
    m_chi_asymmetric: Float[ArrayLike, ""]
    T_end: Float[ArrayLike, ""]
    status: Int[ArrayLike, ""]
    num_steps: Int[ArrayLike, ""]
    num_rejected_steps: Int[ArrayLike, ""]
    evolution: Evolution
    eft_resonant_ratio: Float[ArrayLike, ""]
    eft_s_over_M1_squared: Float[ArrayLike, ""]
    eft_error_estimate: EFTErrorEstimate
    regime_used: Int[ArrayLike, ""]
    # --- the late-universe stage (default); None with ``late_universe=False`` ------------------
    Omega_chi_h2: Float[ArrayLike, ""] | None = None
    asymmetric_fraction: Float[ArrayLike, ""] | None = None
    Delta_N_eff: Float[ArrayLike, ""] | None = None
    N_eff_ok: Float[ArrayLike, ""] | None = None
    late_universe: LateUniverse | None = None

    @property
    def succeeded(self) -> bool:
        """True when the solve succeeded (Python bool; not for use under ``jit``)."""
        return bool(self.status == 0)

    @property
    def eft_trustworthy(self) -> Bool[ArrayLike, "..."]:
        """Whether the heavy-neutrino EFT holds at this point (:mod:`jaxcogen.production._validity`)."""
        return EFTValidity(self.eft_resonant_ratio, self.eft_s_over_M1_squared).trustworthy

    def eft_trusted_for(
        self, observables: tuple[str, ...] = EFT_ERROR_OBSERVABLES, tolerance: float = EFT_TOLERANCE
    ) -> Bool[ArrayLike, "..."]:
        """Whether the EFT holds to ``tolerance`` for every one of ``observables`` here (the
        criterion ``regime="auto"`` applies; :func:`~jaxcogen.production._validity.eft_trusted`)."""
        return eft_trusted(
            self.eft_error_estimate, self.eft_s_over_M1_squared, observables, tolerance
        )

    @property
    def status_name(self) -> str:
        return status_name(int(self.status))

    def summary(self) -> dict[str, float | int | str]:
        """Final observables as plain Python numbers (a single, un-batched solution)."""
        keys = (*OBSERVABLES, "T_end", *EFT_DIAGNOSTICS)
        out: dict[str, float | int | str] = {k: float(getattr(self, k)) for k in keys}
        out["status"] = self.status_name
        out["num_steps"] = int(self.num_steps)
        out["regime_used"] = "dynamical" if int(self.regime_used) == REGIME_DYNAMICAL else "eft"
        if self.late_universe is not None:
            out["Omega_chi_h2"] = float(self.Omega_chi_h2)
            out["asymmetric_fraction"] = float(self.asymmetric_fraction)
            out["Delta_N_eff"] = float(self.Delta_N_eff)
            out["N_eff_ok"] = bool(self.N_eff_ok)
        return out


#: ``solver="auto"`` integrates with the explicit Tsit5 when :func:`stiffness_ratio` is below this
#: value and with the implicit Kvaerno5 otherwise (and falls back to Kvaerno5 whenever Tsit5
#: fails). Read off ``benchmarks/solver_choice.py``; see ``benchmarks/RESULTS.md``.
AUTO_STIFFNESS_THRESHOLD = 1000.0


def stiffness_ratio(model: CogenesisModel) -> Float[ArrayLike, ""]:
    r"""Largest relaxation rate per e-fold at :math:`T_{\rm RH}` (:func:`relaxation_rates`).

    An explicit method of stability interval :math:`|h\lambda|\lesssim3.5` needs steps of
    :math:`\Delta\tau\lesssim3.5/\text{ratio}`, so a ratio of order 1–10 costs it nothing,
    while a ratio of :math:`10^3` forces hundreds of steps where an L-stable implicit method
    takes a few.
    """
    return jnp.max(relaxation_rates(model))


#: The implicit solvers' stage equations are solved by a simplified-Newton (chord) iteration to
#: this multiple of the step-size controller's ``rtol`` and ``atol``. diffrax's default is the
#: controller's own tolerances; on stiff steps the chord iteration then cannot meet its
#: convergence test (increments below 1e-2 of that scale) within its iteration budget, declares
#: divergence and the step is rejected — Kvaerno5 needed 196 steps (46 rejected) at the built-in
#: point, 955 and 3080 at two stiff points of ``tests/test_solver_choice.py``, and never finished a
#: T_RH = 10 TeV point. With 1e3 x (1e-5, 1e-9 at the defaults): 67, 212, 538 and 1695 steps, and
#: xi_final, DeltaY_B agree with a Tsit5 rtol-1e-12 solve to 3e-9 (as before). The trivially
#: stiff y' = z(1 - z y) on [45, 100] shows the same: 7830 steps with the default, 77 with this.
ROOT_TOLERANCE_FACTOR = 1.0e3


def implicit_solver(
    name: str,
    rtol,
    atol,
    root_tolerance_factor: float = ROOT_TOLERANCE_FACTOR,
    newton: bool = False,
):
    r"""Kvaerno5 or Kvaerno3 whose stage iteration stops at ``root_tolerance_factor`` x (rtol, atol).

    ``newton=False``: diffrax's chord iteration (``VeryChord``: one Jacobian per step, reused by
    every stage and iteration). ``newton=True``: full Newton (``optimistix.Newton``: a fresh
    Jacobian each iteration), for systems whose Jacobian changes across one step — the
    dynamical-N mode (:mod:`jaxcogen.production.dynamical._solve`), where inverse decays from a dark bath at
    :math:`T_\chi=\xi T` enter as :math:`e^{-M/\xi T}` and the chord iteration is rejected on
    half the steps.
    """
    tolerances = dict(rtol=root_tolerance_factor * rtol, atol=root_tolerance_factor * atol)
    root_finder = optx.Newton(**tolerances) if newton else diffrax.VeryChord(**tolerances)
    if name == "Kvaerno5":
        return diffrax.Kvaerno5(root_finder=root_finder)
    if name == "Kvaerno3":
        return diffrax.Kvaerno3(root_finder=root_finder)
    raise ValueError(f"implicit solver {name!r}: allowed values are 'Kvaerno5', 'Kvaerno3'")


def _make_solver(name: str, rtol=1e-8, atol=1e-12):
    if name == "auto":
        return None
    if name in ("Kvaerno5", "Kvaerno3"):
        return implicit_solver(name, rtol, atol)
    if name == "Tsit5":
        return diffrax.Tsit5()
    raise ValueError(f"solver={name!r}: allowed values are 'auto', 'Kvaerno5', 'Kvaerno3', 'Tsit5'")


def _make_adjoint(name: str, max_steps: int = 4096):
    """The diffrax adjoint. ``"recursive"`` keeps one checkpoint per allowed step: nothing is
    recomputed on the backward pass (diffrax's default, ~log2(max_steps) checkpoints, recomputes
    O(n log n) steps); measured 25 % faster reverse gradients at the built-in point
    (``benchmarks/gradients.py``), for memory ~ max_steps x the solver carry (~30 MB per point at
    the defaults, n_save = 200; ~1 MB with n_save = 2, as fits use)."""
    if name == "recursive":
        return diffrax.RecursiveCheckpointAdjoint(checkpoints=max_steps)
    if name == "forward":
        return diffrax.ForwardMode()
    if name == "direct":
        return diffrax.DirectAdjoint()
    raise ValueError(f"adjoint={name!r}: allowed values are 'recursive', 'forward', 'direct'")


def check_settings_names(options) -> None:
    """``ValueError`` naming an unknown keyword setting and listing the allowed ones (a typo such
    as ``rtoll`` would otherwise be a bare ``TypeError``)."""
    allowed = [p for p in inspect.signature(SolveSettings.create).parameters if p != "cls"]
    for key in options:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"unknown setting {key!r}{hint}; allowed: {', '.join(allowed)}")


class SolveSettings(eqx.Module):
    """Numerical settings of a solve (see :func:`solve` for their meaning).

    Tolerances and controller coefficients are traced arrays (changing them does not recompile);
    the solver, adjoint, step budget and grid size are static. Build it with
    :meth:`SolveSettings.create`, which validates every value; pass it to :func:`solve_unjitted`
    inside your own ``jit``/``vmap`` (scans, fits).
    """

    rtol: Float[ArrayLike, ""]
    atol: Float[ArrayLike, ""]
    T_end_ratio: Float[ArrayLike, ""]
    pcoeff: Float[ArrayLike, ""]
    icoeff: Float[ArrayLike, ""]
    fixed_xi: Float[ArrayLike, ""] | None
    solver: str = eqx.field(static=True)
    adjoint: str = eqx.field(static=True)
    max_steps: int = eqx.field(static=True)
    n_save: int = eqx.field(static=True)
    late_universe: bool = eqx.field(static=True, default=False)
    eft_tolerance: Float[ArrayLike, ""] = eqx.field(
        default_factory=lambda: jnp.asarray(EFT_TOLERANCE)
    )
    regime: str = eqx.field(static=True, default="eft")
    eft_observables: str = eqx.field(static=True, default=",".join(EFT_ERROR_OBSERVABLES))

    @classmethod
    @no_type_check  # validates every setting itself (ValueError naming it and the allowed values)
    def create(
        cls,
        *,
        rtol: float = 1e-8,
        atol: float = 1e-12,
        T_end_ratio: float = 1e-8,
        solver: SolverName = "auto",
        adjoint: AdjointName = "recursive",
        max_steps: int = 4096,
        n_save: int = 200,
        fixed_xi: float | None = None,
        pcoeff: float = 0.3,
        icoeff: float = 0.4,
        late_universe: bool = False,
        regime: str = "eft",  # RegimeName; a bad value is a ValueError below
        eft_tolerance: float = EFT_TOLERANCE,
        eft_observables: str | tuple[str, ...] = EFT_ERROR_OBSERVABLES,
    ) -> "SolveSettings":
        """Validated settings; ``ValueError`` naming the setting and its allowed range."""
        for name, value, lo, hi in (
            ("rtol", rtol, 1e-14, 1e-2),
            ("atol", atol, 1e-30, 1e-2),
            ("T_end_ratio", T_end_ratio, 1e-14, 0.5),
            ("pcoeff", pcoeff, 0.0, 1.0),
            ("icoeff", icoeff, 0.0, 2.0),
            ("eft_tolerance", eft_tolerance, 1e-12, 10.0),
        ):
            if isinstance(value, jax.Array):
                continue
            if not (lo <= value <= hi):
                raise ValueError(f"{name}={value!r}: allowed range is [{lo:g}, {hi:g}]")
        if not (isinstance(max_steps, int) and max_steps > 0):
            raise ValueError(f"max_steps={max_steps!r}: must be a positive integer")
        if not isinstance(late_universe, bool):
            raise ValueError(f"late_universe={late_universe!r}: must be True or False")
        if not (isinstance(n_save, int) and n_save >= 2):
            raise ValueError(f"n_save={n_save!r}: must be an integer >= 2")
        if fixed_xi is not None and not (isinstance(fixed_xi, jax.Array) or 0.0 <= fixed_xi <= 1.0):
            raise ValueError(f"fixed_xi={fixed_xi!r}: allowed range is [0, 1]")
        _make_solver(solver), _make_adjoint(adjoint)
        if regime not in REGIMES:
            raise ValueError(
                f"regime={regime!r}: allowed values are {', '.join(map(repr, REGIMES))}"
            )
        eft_observables = _observable_list(eft_observables)

        def f64(x):
            return jnp.asarray(x, dtype=jnp.float64)

        return cls(
            rtol=f64(rtol),
            atol=f64(atol),
            T_end_ratio=f64(T_end_ratio),
            pcoeff=f64(pcoeff),
            icoeff=f64(icoeff),
            fixed_xi=None if fixed_xi is None else f64(fixed_xi),
            solver=solver,
            adjoint=adjoint,
            max_steps=max_steps,
            n_save=n_save,
            late_universe=late_universe,
            eft_tolerance=f64(eft_tolerance),
            regime=regime,
            eft_observables=",".join(eft_observables),
        )


def _observable_list(value) -> tuple[str, ...]:
    """``eft_observables`` as a tuple of names: a sequence, or one string with comma-separated names."""
    names = tuple(n.strip() for n in value.split(",")) if isinstance(value, str) else tuple(value)
    allowed = ", ".join(EFT_ERROR_OBSERVABLES)
    if not names or any(n not in EFT_ERROR_OBSERVABLES for n in names):
        raise ValueError(f"eft_observables={value!r}: a non-empty selection of {allowed}")
    return names


def solve(model: CogenesisModel, *, late_universe: bool = True, **settings) -> Solution:
    r"""The full chain for one parameter point: production from :math:`T_{\rm RH}`, then the late
    universe to today (``late_universe=True``, the default) — one call gives today's observables.

    Jittable, vmappable and differentiable in every model field (the static settings are
    compile-time constants: a new parameter point never recompiles, a new solver does).

    Keyword args (all optional; validated by :meth:`SolveSettings.create`):
        rtol: relative tolerance of the step-size controller (default 1e-8).
        atol: absolute tolerance, in units of each component's characteristic size
            (:func:`jaxcogen.production._boltzmann.freeze_in_scales`), so effectively relative too (1e-12).
        T_end_ratio: stop at :math:`T_{\rm end}=T_{\rm RH}\times` this (1e-8; module docstring).
        solver: ``"auto"`` (default): the explicit ``"Tsit5"`` where the system is not stiff
            (:func:`stiffness_ratio` below :data:`AUTO_STIFFNESS_THRESHOLD`), the L-stable
            ESDIRK ``"Kvaerno5"`` otherwise or when Tsit5 fails, chosen per point at run time
            (``lax.cond``: on one point only the chosen branch runs; under ``vmap`` both do).
            Or one of them explicitly, or ``"Kvaerno3"``. The work–precision and solver-choice
            benchmarks motivate this: at the built-in point Tsit5 is ~13x faster than Kvaerno5
            and more accurate.
        adjoint: ``"recursive"`` (reverse mode, default), ``"forward"`` (for ``jax.jacfwd``) or
            ``"direct"`` (higher derivatives).
        max_steps: step budget (4096); a solve that exhausts it reports ``max_steps_reached``.
        n_save: points of the evolution grid (200).
        fixed_xi: hold :math:`\xi` fixed at this value instead of evolving it (None).
        pcoeff, icoeff: PI step-size controller coefficients (0.3, 0.4; ``0, 1`` is the classic
            I controller).
        late_universe: also run the late-universe stage (:mod:`jaxcogen.late_universe._dark_freezeout`: dark
            freeze-out, φ decays, :math:`\Delta N_{\rm eff}`) and fill ``Omega_chi_h2`` (today),
            ``asymmetric_fraction``, ``Delta_N_eff``, ``late_universe`` (default True here; with
            False those stay ``None`` and everything else is bit-identical). It costs ~20 ms
            warm on a CPU, ~15x the production solve at the built-in point, so
            :class:`SolveSettings` (what scans and fits use) defaults to False: there
            ``DeltaY_B`` and ``Omega_chi_h2_asymmetric`` (today's relic when the dark sink
            removes the symmetric part) come from production alone, and a scan opts in with
            ``solve_options={"late_universe": True}``.
        regime: which production system to integrate. ``"eft"`` (default): heavy neutrinos
            integrated out (:class:`~jaxcogen.production._boltzmann.BoltzmannSystem`).
            ``"dynamical"``: :math:`N_{1,2}` as species
            (:func:`~jaxcogen.production.dynamical.solve_dynamical`, valid at any
            :math:`M_1/T_{\rm RH}`, ~30x slower). ``"auto"``: per point, the EFT where the
            per-observable criterion (:func:`~jaxcogen.production._validity.eft_trusted`) says
            its error is below ``eft_tolerance`` for every one of ``eft_observables``, the
            dynamical system elsewhere — a ``lax.cond``, so under ``jit`` only the chosen branch
            runs, while under ``vmap`` both do (cost of the dynamical system for every point).
            ``Solution.regime_used`` records the choice.
        eft_tolerance: relative error allowed to the EFT by ``regime="auto"`` (1e-2).
        eft_observables: the observables ``regime="auto"`` requires the EFT to get right, a
            tuple or a comma-separated string of ``DeltaY_B``, ``DeltaY_chi``, ``SigmaY_chi``,
            ``xi_final`` (default all four).
    """
    check_settings_names(settings)
    solution = _solve_jit(model, SolveSettings.create(late_universe=late_universe, **settings))
    _warn_if_eft_untrustworthy(solution)
    return solution


def _warn_if_eft_untrustworthy(solution: "Solution") -> None:
    """A :class:`EFTValidityWarning` for a concrete, un-batched solution outside the EFT's range."""
    ratio = solution.eft_resonant_ratio
    if isinstance(ratio, jax.core.Tracer) or jnp.ndim(ratio) != 0:
        return
    if int(solution.regime_used) != REGIME_EFT:  # heavy neutrinos were species: nothing to warn
        return
    validity = EFTValidity(ratio, solution.eft_s_over_M1_squared)
    if not bool(validity.trustworthy):
        warnings.warn(validity.message(), EFTValidityWarning, stacklevel=3)


@eqx.filter_jit
def _solve_jit(model: CogenesisModel, settings: SolveSettings) -> Solution:
    return solve_unjitted(model, settings)


@contextlib.contextmanager
def _runtime_errors_as_nan():
    """Trace with equinox's runtime checks in NaN mode instead of raising through a host callback.

    diffrax checks traced ``SaveAt`` times (ordered, inside [t0, t1]) with ``equinox.error_if``,
    which by default (``EQX_ON_ERROR=raise``) compiles to a ``pure_callback``; JAX's persistent
    compilation cache refuses any executable with a host callback ("Not writing persistent cache
    entry ... because it uses host callbacks") and ``jax.export`` cannot serialize one, so every
    ``jaxcogen solve`` recompiled. Our save times are valid by construction, and a point whose
    inputs are not is reported through ``status`` (NaN observables) anyway.
    """
    try:
        from equinox import _errors
    except ImportError:  # pragma: no cover - equinox reorganised; tests/test_cli.py notices
        yield
        return
    previous = getattr(_errors, "EQX_ON_ERROR", None)
    if previous != "raise":  # "nan"/"off" chosen by the user, or an equinox without the switch
        yield
        return
    _errors.EQX_ON_ERROR = "nan"
    try:
        yield
    finally:
        _errors.EQX_ON_ERROR = previous


def solve_unjitted(model: CogenesisModel, settings: SolveSettings) -> Solution:
    """The traceable body of :func:`solve`, for use inside an outer ``jit``/``vmap``."""
    with _runtime_errors_as_nan():
        return _solve_traced(model, settings)


def _solve_traced(model: CogenesisModel, settings: SolveSettings) -> Solution:
    production_only = dataclasses.replace(settings, late_universe=False)
    if settings.regime == "eft":
        solution = _solve_eft(model, production_only)
    elif settings.regime == "dynamical":
        solution = _solve_dynamical(model, production_only)
    else:  # "auto": the per-observable criterion, per point (lax.cond; both branches under vmap)
        observables = tuple(settings.eft_observables.split(","))
        use_eft = eft_trusted(
            eft_error_estimate(model),
            eft_validity(model).s_over_M1_squared,
            observables,
            settings.eft_tolerance,
        )
        solution = jax.lax.cond(
            use_eft,
            lambda: _solve_eft(model, production_only),
            lambda: _solve_dynamical(model, production_only),
        )
    if not settings.late_universe:
        return solution
    return with_late_universe(solution, model)


def _solve_dynamical(model: CogenesisModel, settings: SolveSettings) -> Solution:
    """The production stage with dynamical heavy neutrinos (:mod:`jaxcogen.production.dynamical`)."""
    from jaxcogen.production.dynamical._solve import _solve_dynamical_body  # imports this module

    return _solve_dynamical_body(model, settings, regulate=True, dark_occupancy=True).solution


def _solve_eft(model: CogenesisModel, settings: SolveSettings) -> Solution:
    """The production stage of the EFT system (:class:`BoltzmannSystem`), no late stage."""
    fixed_xi, rtol, atol = settings.fixed_xi, settings.rtol, settings.atol
    T_end_ratio, n_save = settings.T_end_ratio, settings.n_save
    system = BoltzmannSystem(model, fixed_xi)
    tau_sph = jnp.log(model.T_RH / constants.T_sph)
    # stop at T_end_ratio * T_RH, or at sphaleron freeze-out if that is hotter: below the
    # electroweak crossover the massless-SM rates no longer hold (module docstring)
    tau_end = jnp.minimum(-jnp.log(T_end_ratio), tau_sph)
    tau_baryon = jnp.clip(tau_sph, 0.0, tau_end)
    grid = jnp.linspace(0.0, 1.0, n_save) * tau_end
    saveat = diffrax.SaveAt(
        subs=[diffrax.SubSaveAt(ts=grid), diffrax.SubSaveAt(ts=tau_baryon[None])]
    )

    def integrate(solver_name: str):
        sol = diffrax.diffeqsolve(
            diffrax.ODETerm(system.vector_field),
            _make_solver(solver_name, rtol, atol),
            t0=0.0,
            t1=tau_end,
            dt0=None,
            y0=system.initial_state(),
            saveat=saveat,
            stepsize_controller=diffrax.PIDController(
                rtol=rtol, atol=atol, pcoeff=settings.pcoeff, icoeff=settings.icoeff
            ),
            adjoint=_make_adjoint(settings.adjoint, settings.max_steps),
            max_steps=settings.max_steps,
            throw=False,
        )
        stats = (sol.stats["num_steps"], sol.stats["num_rejected_steps"])
        return sol.ys, status_code(sol.result), stats

    if settings.solver == "auto":

        def implicit():
            return integrate("Kvaerno5")

        def explicit_then_implicit():
            explicit = integrate("Tsit5")
            return jax.lax.cond(explicit[1] == 0, lambda: explicit, implicit)

        not_stiff = stiffness_ratio(model) < AUTO_STIFFNESS_THRESHOLD
        (ys_grid, ys_baryon), result, (num_steps, num_rejected) = jax.lax.cond(
            not_stiff, explicit_then_implicit, implicit
        )
    else:
        (ys_grid, ys_baryon), result, (num_steps, num_rejected) = integrate(settings.solver)
    path = system.physical(ys_grid, grid)
    at_sph = system.physical(ys_baryon[0], tau_baryon)
    status = jnp.where(model.is_valid(), result, STATUS_INVALID_INPUT).astype(jnp.int32)
    return production_solution(
        model, path, at_sph, system.temperature(grid), tau_end, status, num_steps, num_rejected
    )


def with_late_universe(solution: Solution, model: CogenesisModel) -> Solution:
    """``solution`` with the late-universe stage (:func:`jaxcogen.late_universe._dark_freezeout.late_universe`)
    filled in: ``Omega_chi_h2`` (today), ``asymmetric_fraction``, ``Delta_N_eff``, ``N_eff_ok``,
    ``late_universe``.
    Shared by the EFT and the dynamical-N production stages."""
    late = late_universe(solution, model)
    # no dark particles at all (e.g. y1 = y2 = 0): nothing to carry to today, a valid answer
    empty = (solution.status == 0) & (solution.SigmaY_chi == 0.0)
    late_status = jnp.where(empty, 0, late.status)
    # the late stage's failure is the solution's failure (observables NaN, never silently wrong)
    status = jnp.where(solution.status == 0, late_status, solution.status).astype(jnp.int32)
    ok = status == 0

    def today(value, if_empty):
        return jnp.where(ok, jnp.where(empty, if_empty, value), jnp.nan)

    return dataclasses.replace(
        solution,
        status=status,
        Omega_chi_h2=today(late.Omega_chi_h2, 0.0),
        asymmetric_fraction=today(late.asymmetric_fraction, 0.0),
        Delta_N_eff=today(late.Delta_N_eff, 0.0),
        N_eff_ok=today(jnp.where(late.N_eff_ok, 1.0, 0.0), 1.0),
        late_universe=late,
    )


def production_solution(
    model: CogenesisModel,
    path: dict[str, Float[Array, " n"]],
    at_sph: dict[str, Float[ArrayLike, ""]],
    T: Float[Array, " n"],
    tau_end: Float[ArrayLike, ""],
    status: Int[ArrayLike, ""],
    num_steps: Int[ArrayLike, ""],
    num_rejected: Int[ArrayLike, ""],
    regime_used: int = REGIME_EFT,
) -> Solution:
    r"""The :class:`Solution` of a production-stage integration (shared by the EFT and the dynamical mode).

    ``path``: the physical state on the saved grid (``xi``, ``SigmaY_chi``, ``DeltaY_L``,
    ``DeltaY_chi``) at temperatures ``T``; ``at_sph``: the state at sphaleron freeze-out;
    ``status``: 0 on success (every observable is NaN otherwise); ``regime_used``: which
    system was integrated (:data:`REGIME_EFT`, :data:`REGIME_DYNAMICAL`).
    """
    ok = status == 0

    def final(v):
        return jnp.where(ok, v, jnp.nan)

    DeltaY_chi = final(path["DeltaY_chi"][-1])
    SigmaY_chi = final(path["SigmaY_chi"][-1])
    validity = eft_validity(model)
    return Solution(
        DeltaY_L=final(path["DeltaY_L"][-1]),
        DeltaY_chi=DeltaY_chi,
        SigmaY_chi=SigmaY_chi,
        xi_final=final(path["xi"][-1]),
        DeltaY_B=final(observables.baryon_asymmetry(at_sph["DeltaY_L"])),
        Omega_chi_h2_frozen_in=observables.relic_density(model.m_chi, SigmaY_chi),
        Omega_chi_h2_asymmetric=observables.relic_density(
            jnp.minimum(model.m_chi, model.m_phi), 2.0 * jnp.abs(DeltaY_chi)
        ),
        m_chi_asymmetric=observables.asymmetric_dark_matter_mass(DeltaY_chi),
        T_end=model.T_RH * jnp.exp(-tau_end),
        status=status,
        num_steps=num_steps,
        num_rejected_steps=num_rejected,
        evolution=Evolution(
            T=T,
            x=model.M1 / T,
            xi=path["xi"],
            SigmaY_chi=path["SigmaY_chi"],
            DeltaY_L=path["DeltaY_L"],
            DeltaY_chi=path["DeltaY_chi"],
        ),
        eft_resonant_ratio=validity.resonant_ratio,
        eft_s_over_M1_squared=validity.s_over_M1_squared,
        eft_error_estimate=eft_error_estimate(model),
        regime_used=jnp.asarray(regime_used, dtype=jnp.int32),
    )
