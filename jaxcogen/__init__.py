"""jaxcogen: a differentiable Boltzmann solver for freeze-in cogenesis of asymmetric dark matter.

Float64 is switched on at import (every physics number in jaxcogen is float64).
"""

import jax

jax.config.update("jax_enable_x64", True)

from . import constants, cosmology, observables, rates, spectators  # noqa: E402
from .benchmark_points import POINTS as benchmark_points  # noqa: E402
from .boltzmann import BoltzmannSystem  # noqa: E402
from .conventions import Conventions  # noqa: E402
from .model import CogenesisModel, EffectiveCouplings  # noqa: E402
from .solve import Evolution, Solution, SolveSettings, solve, solve_unjitted, status_name  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "BoltzmannSystem",
    "CogenesisModel",
    "Conventions",
    "EffectiveCouplings",
    "Evolution",
    "Solution",
    "SolveSettings",
    "benchmark_points",
    "constants",
    "cosmology",
    "observables",
    "rates",
    "solve",
    "solve_unjitted",
    "spectators",
    "status_name",
]
