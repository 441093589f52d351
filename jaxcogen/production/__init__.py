r"""The production stage: from :math:`T_{\rm RH}` to the end of freeze-in.

- the EFT Boltzmann system (:class:`BoltzmannSystem`) and its solve (:func:`solve_unjitted`,
  :class:`SolveSettings`, :class:`Solution`);
- the integrator choice (:func:`stiffness_ratio`, :func:`implicit_solver`);
- the EFT validity diagnostic (:func:`eft_validity`);
- :mod:`jaxcogen.production.dynamical`: the heavy neutrinos as species (any :math:`M_1/T_{\rm RH}`).
"""

from jaxcogen._status import status_name
from jaxcogen.production._boltzmann import (
    BoltzmannSystem,
    chemical_potential_coefficients,
    freeze_in_scales,
    relaxation_rates,
)
from jaxcogen.production._settings import (
    AUTO_STIFFNESS_THRESHOLD,
    ROOT_TOLERANCE_FACTOR,
    SolveSettings,
    implicit_solver,
)
from jaxcogen.production._solution import (
    EFT_DIAGNOSTICS,
    OBSERVABLES,
    TODAY_OBSERVABLES,
    Evolution,
    Solution,
    production_solution,
)
from jaxcogen.production._solve import solve, solve_unjitted, stiffness_ratio, with_late_universe
from jaxcogen.production._spectators import SpectatorCoefficients, sm_equilibrium_coefficients
from jaxcogen.production._validity import (
    RESONANT_RATIO_LIMIT,
    S_OVER_M2_LIMIT,
    EFTValidity,
    EFTValidityWarning,
    eft_validity,
)

__all__ = [
    "AUTO_STIFFNESS_THRESHOLD",
    "BoltzmannSystem",
    "EFTValidity",
    "EFTValidityWarning",
    "EFT_DIAGNOSTICS",
    "Evolution",
    "OBSERVABLES",
    "RESONANT_RATIO_LIMIT",
    "ROOT_TOLERANCE_FACTOR",
    "S_OVER_M2_LIMIT",
    "TODAY_OBSERVABLES",
    "Solution",
    "SolveSettings",
    "SpectatorCoefficients",
    "chemical_potential_coefficients",
    "eft_validity",
    "freeze_in_scales",
    "implicit_solver",
    "production_solution",
    "relaxation_rates",
    "sm_equilibrium_coefficients",
    "solve",
    "solve_unjitted",
    "status_name",
    "stiffness_ratio",
    "with_late_universe",
]
