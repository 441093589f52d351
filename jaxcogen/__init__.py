"""jaxcogen: a differentiable Boltzmann solver for freeze-in cogenesis of asymmetric dark matter.

Float64 is switched on at import (every physics number in jaxcogen is float64).
"""

import jax

jax.config.update("jax_enable_x64", True)

from . import (  # noqa: E402
    constants,
    cosmology,
    observables,
    rates,
    sampling,  # noqa: E402
    spectators,
)
from .benchmark_points import POINTS as benchmark_points  # noqa: E402
from .boltzmann import BoltzmannSystem  # noqa: E402
from .conventions import Conventions  # noqa: E402
from .dark_freezeout import LateUniverse, late_universe  # noqa: E402
from .dynamical import solve_dynamical  # noqa: E402
from .fit import FitResult, fit  # noqa: E402
from .model import CogenesisModel, EffectiveCouplings  # noqa: E402
from .plotting import plot_evolution  # noqa: E402
from .sampling import latin_hypercube, sobol  # noqa: E402
from .scan import ScanSummary, scan, scan_summary  # noqa: E402
from .solve import Evolution, Solution, SolveSettings, solve, solve_unjitted, status_name  # noqa: E402
from .validity import EFTValidity, EFTValidityWarning, eft_validity  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "BoltzmannSystem",
    "CogenesisModel",
    "Conventions",
    "EffectiveCouplings",
    "FitResult",
    "EFTValidity",
    "EFTValidityWarning",
    "LateUniverse",
    "eft_validity",
    "late_universe",
    "Evolution",
    "Solution",
    "SolveSettings",
    "ScanSummary",
    "benchmark_points",
    "fit",
    "latin_hypercube",
    "plot_evolution",
    "sampling",
    "scan",
    "scan_summary",
    "sobol",
    "constants",
    "cosmology",
    "observables",
    "rates",
    "solve",
    "solve_unjitted",
    "solve_dynamical",
    "spectators",
    "status_name",
]
