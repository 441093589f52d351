r"""The one registry of the cogenesis model's parameters and observables: name, unit, meaning.

Cards (:mod:`jaxcogen.model._cards`), the CLI report, scan dataset attributes, fits and the docs
read these tables; :class:`~jaxcogen.CogenesisModel` declares them as its ``parameters``,
``observables`` and ``diagnostics`` (:class:`~jaxcogen._interface.AbstractModel`).
"""

import math

from jaxcogen import constants
from jaxcogen._interface import FitLimit, FitProxy, Observable, Parameter

#: Lowest reheating temperature accepted [GeV]: production must happen in the unbroken
#: electroweak phase (massless L, H; sphalerons active), well above :math:`T_*=131.7` GeV.
T_RH_MIN: float = 1.0e3

#: Largest perturbative coupling, :math:`\sqrt{4\pi}`.
PERTURBATIVE_COUPLING: float = math.sqrt(4.0 * math.pi)

PARAMETERS: dict[str, Parameter] = {
    "M1": Parameter(
        "GeV",
        "mass of the heavy Majorana neutrino N1",
        0.0,
        math.inf,
        "log",
        positive=True,
        relative_to="T_RH",
    ),
    "M2": Parameter(
        "GeV",
        "mass of the heavy Majorana neutrino N2",
        0.0,
        math.inf,
        "log",
        positive=True,
        relative_to="T_RH",
    ),
    "y1": Parameter("1", "Yukawa coupling of (L.H) N1", 0.0, PERTURBATIVE_COUPLING, complex=True),
    "y2": Parameter("1", "Yukawa coupling of (L.H) N2", 0.0, PERTURBATIVE_COUPLING, complex=True),
    "lambda1": Parameter(
        "1", "dark coupling of (chi phi) N1", 0.0, PERTURBATIVE_COUPLING, complex=True
    ),
    "lambda2": Parameter(
        "1", "dark coupling of (chi phi) N2", 0.0, PERTURBATIVE_COUPLING, complex=True
    ),
    "m_chi": Parameter(
        "GeV", "Dirac dark-matter mass", 0.0, math.inf, "log", positive=True, relative_to="T_RH"
    ),
    "m_phi": Parameter(
        "GeV", "dark scalar mass", 0.0, math.inf, "log", positive=True, relative_to="T_RH"
    ),
    "kappa": Parameter(
        "1",
        "dark-sink coupling of phi chi^c eta",
        0.0,
        PERTURBATIVE_COUPLING,
        non_negative=True,
        fit_scale="log",
    ),
    "T_RH": Parameter("GeV", "reheating temperature", T_RH_MIN, math.inf, "log", positive=True),
}

#: The scalar final observables of a :class:`~jaxcogen.Solution` (what scans store and fits use).
OBSERVABLES: dict[str, Observable] = {
    "DeltaY_B": Observable("1", "baryon asymmetry n_B/s after sphaleron freeze-out", signed=True),
    "DeltaY_L": Observable("1", "lepton asymmetry Delta Y_L at T_end", signed=True),
    "DeltaY_chi": Observable("1", "dark-matter asymmetry Y_chi - Y_chibar at T_end", signed=True),
    "SigmaY_chi": Observable("1", "Y_chi + Y_chibar at T_end"),
    "xi_final": Observable("1", "dark-to-SM temperature ratio T_chi/T at T_end"),
    "Omega_chi_h2": Observable(
        "1", "Omega_chi h^2 today, after the dark sink and phi decays (the observed 0.12)"
    ),
    "asymmetric_fraction": Observable("1", "asymmetric share |Delta Y| / (Y_chi + Y_chibar) today"),
    "Delta_N_eff": Observable("1", "dark radiation Delta N_eff at T = 1 MeV"),
    "N_eff_ok": Observable("1", "1 if N_eff is below Planck's 95% bound 3.33, else 0"),
    "Omega_chi_h2_frozen_in": Observable(
        "1", "Omega_chi h^2 of the frozen-in chi population at the end of production"
    ),
    "Omega_chi_h2_asymmetric": Observable(
        "1", "Omega h^2 of the asymmetric relic alone (2|Delta Y_chi|, m = min(m_chi, m_phi))"
    ),
    "m_chi_asymmetric": Observable(
        "GeV", "m_chi for which a purely asymmetric relic gives Omega h^2 = 0.12"
    ),
}

#: Per-point diagnostics scans keep besides the observables: the EFT validity diagnostic.
DIAGNOSTICS: dict[str, Observable] = {
    "eft_resonant_ratio": Observable(
        "1", "EFT validity: on-shell N production / EFT rate at T_RH (trustworthy below 0.1)"
    ),
    "eft_s_over_M1_squared": Observable(
        "1", "EFT validity: s/M1^2 at the 99th percentile of the dim-6 rate (trustworthy below 1)"
    ),
}

#: The observed values a fit aims at by default (today's universe).
DEFAULT_TARGETS: dict[str, float] = {
    "DeltaY_B": constants.DeltaY_B_observed,
    "Omega_chi_h2": constants.Omega_c_h2_observed,
}

#: The parameters a fit frees by default.
DEFAULT_FREE: tuple[str, ...] = ("lambda2.abs", "y2.arg", "m_chi")

#: The scalar observables of the production stage (:data:`jaxcogen.production.OBSERVABLES`);
#: also those a fit's loss can use (today's need the late stage).
PRODUCTION_OBSERVABLES: tuple[str, ...] = (
    "DeltaY_B",
    "DeltaY_L",
    "DeltaY_chi",
    "SigmaY_chi",
    "xi_final",
    "Omega_chi_h2_frozen_in",
    "Omega_chi_h2_asymmetric",
    "m_chi_asymmetric",
)

#: A fit target ``Omega_chi_h2`` means the relic *today*. The loss aims at
#: ``Omega_chi_h2_asymmetric`` (the production stage alone: cheap and differentiable in every
#: step, compiled in ~40 s) and the best point is checked with the late-universe stage: the fit
#: fails if a symmetric remnant moves today's value off the target. With κ or m_φ free (the
#: asymmetric relic does not depend on them) the loss computes today's relic itself through the
#: late-universe stage, exact gradients included; so does ``fit_solve_options={"late_universe":
#: True}``. (That loss takes ~6 min to compile on a loaded 2-core CPU against ~40 s, measured
#: for a one-start Adam fit: README, "Fitting".)
FIT_PROXIES: dict[str, FitProxy] = {
    "Omega_chi_h2": FitProxy(
        "Omega_chi_h2_asymmetric",
        {"late_universe": True},
        "today's relic (late-universe stage) is Omega_chi_h2 = {Omega_chi_h2:.4g}: the dark sink "
        "leaves a symmetric remnant (asymmetric fraction {asymmetric_fraction:.3g}); "
        "raise kappa or free it",
        exact_when_free=("kappa", "m_phi"),
    )
}

#: The limits fits keep: the light-neutrino mass bound (``jaxcogen.fit(..., m_nu_max=...)``) and,
#: when the loss integrates the EFT (``regime="eft"``, the fit default), the EFT's estimated
#: error (``eft_error_max``): a fit never lands where the EFT it solves does not hold.
FIT_LIMITS: dict[str, FitLimit] = {
    "m_nu_max": FitLimit("m_nu", "GeV", "light-neutrino mass |w| v^2", "eV", 1e9),
    "eft_error_max": FitLimit(
        "eft_error", "1", "estimated relative error of the EFT production (largest observable)"
    ),
}

#: Solver options inside a fit's loss: the production stage (today's relic through the proxy
#: above, or exactly when κ or m_φ is free), the EFT production system kept inside its trust
#: region by the ``eft_error_max`` limit (the dynamical system under ``vmap`` costs ~30x;
#: ``fit_solve_options={"regime": "dynamical"}`` fits where the EFT fails, and switches that
#: limit off), and Tsit5 (not ``"auto"``: compiling the reverse-mode Kvaerno5 branch as well
#: takes minutes on a CPU; pass ``fit_solve_options={"solver": "auto"}`` for stiff
#: strong-washout regions, where Tsit5 fails and such a point counts as a failed solve).
FIT_SOLVE_OPTIONS: dict[str, float | int | str | bool] = {
    "rtol": 1e-6,
    "atol": 1e-10,
    "solver": "Tsit5",
    "regime": "eft",
    "late_universe": False,
}

#: The limits a bound keeps by default (:func:`jaxcogen.bound`'s ``upper_limits``), each where the
#: solver settings compute it: the light-neutrino mass :math:`m_\nu=|w|v^2\le0.1` eV (as fits),
#: the EFT's estimated error :math:`\le10^{-2}` while the optimisation integrates the EFT (so the
#: bound never rests on a point the EFT gets wrong), and dark radiation below Planck 2018's 95 %
#: bound, :math:`\Delta N_{\rm eff}\le3.33-3.044` (arXiv:1807.06209, TT,TE,EE+lowE+lensing+BAO:
#: :math:`N_{\rm eff}=2.99^{+0.34}_{-0.33}`), wherever the late-universe stage runs; and
#: :math:`m_\chi<m_\phi`, so that the relic is the :math:`\chi` the model follows (``None``
#: for ``m_chi_over_m_phi`` in ``upper_limits`` lifts it: the reverse case).
BOUND_UPPER_LIMITS: dict[str, float] = {
    "m_nu": constants.m_nu_max,
    "m_chi_over_m_phi": 1.0,
    "eft_error": 1e-2,  # = production._validity.EFT_TOLERANCE (an import cycle; a test ties them)
    "Delta_N_eff": constants.N_eff_planck_95_upper - constants.N_eff_SM,
}

#: The observables a fit's loss computes with the late-universe stage on (besides the
#: production stage's): today's relic and what it is made of.
LATE_FIT_OBSERVABLES: tuple[str, ...] = ("Omega_chi_h2", "asymmetric_fraction", "Delta_N_eff")
