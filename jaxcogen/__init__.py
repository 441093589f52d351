"""jaxcogen: a differentiable Boltzmann solver for freeze-in cogenesis of asymmetric dark matter.

Float64 is switched on at import (every physics number in jaxcogen is float64). The public API
is re-exported here; the package is laid out by physical stage (``docs/architecture.md``):
:mod:`jaxcogen.model`, :mod:`jaxcogen.rates`, :mod:`jaxcogen.production`,
:mod:`jaxcogen.late_universe`, :mod:`jaxcogen.models` (validation models),
:mod:`jaxcogen.scanning`, :mod:`jaxcogen.fitting` and :mod:`jaxcogen.cli`.

``import jaxcogen`` loads only what a solve needs; scans (xarray, Zarr, Dask), fits (optax) and
plots (matplotlib) are imported on first use of their names.
"""

import importlib
import importlib.metadata

import jax

jax.config.update("jax_enable_x64", True)

from jaxcogen import constants, cosmology, observables, rates  # noqa: E402
from jaxcogen.late_universe import LateUniverse, late_universe  # noqa: E402
from jaxcogen.model import (  # noqa: E402
    POINTS as benchmark_points,
)
from jaxcogen.model import (  # noqa: E402
    CogenesisModel,
    Conventions,
    EffectiveCouplings,
)
from jaxcogen.production import (  # noqa: E402
    BoltzmannSystem,
    EFTValidity,
    EFTValidityWarning,
    Evolution,
    Solution,
    SolveSettings,
    eft_validity,
    solve,
    solve_unjitted,
    status_name,
)
from jaxcogen.production.dynamical import solve_dynamical  # noqa: E402

try:
    __version__ = importlib.metadata.version("jaxcogen")
except importlib.metadata.PackageNotFoundError:  # running from a source tree, not installed
    __version__ = "0+unknown"

#: names imported on first use: ``{name: (module, attribute)}`` (heavy dependencies stay unloaded)
_LAZY = {
    "FitResult": ("jaxcogen.fitting", "FitResult"),
    "fit": ("jaxcogen.fitting", "fit"),
    "ScanSummary": ("jaxcogen.scanning", "ScanSummary"),
    "scan": ("jaxcogen.scanning", "scan"),
    "scan_summary": ("jaxcogen.scanning", "scan_summary"),
    "latin_hypercube": ("jaxcogen.scanning", "latin_hypercube"),
    "sobol": ("jaxcogen.scanning", "sobol"),
    "plot_evolution": ("jaxcogen._plotting", "plot_evolution"),
    "bound": ("jaxcogen.bounds", "bound"),
    "BoundResult": ("jaxcogen.bounds", "BoundResult"),
    "posterior": ("jaxcogen.bounds", "posterior"),
    "PosteriorResult": ("jaxcogen.bounds", "PosteriorResult"),
    "spectators": ("jaxcogen.production._spectators", None),
    "sampling": ("jaxcogen.scanning._sampling", None),
}


def __getattr__(name: str):
    if name in _LAZY:
        module_name, attribute = _LAZY[name]
        module = importlib.import_module(module_name)
        value = module if attribute is None else getattr(module, attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'jaxcogen' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "BoltzmannSystem",
    "BoundResult",
    "PosteriorResult",
    "bound",
    "posterior",
    "CogenesisModel",
    "Conventions",
    "EFTValidity",
    "EFTValidityWarning",
    "EffectiveCouplings",
    "Evolution",
    "FitResult",
    "LateUniverse",
    "ScanSummary",
    "Solution",
    "SolveSettings",
    "benchmark_points",
    "constants",
    "cosmology",
    "eft_validity",
    "fit",
    "late_universe",
    "latin_hypercube",
    "observables",
    "plot_evolution",
    "rates",
    "sampling",
    "scan",
    "scan_summary",
    "sobol",
    "solve",
    "solve_dynamical",
    "solve_unjitted",
    "spectators",
    "status_name",
]
