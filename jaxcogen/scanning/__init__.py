r"""Parameter scans: grids and samples, chunked ``vmap`` solves with per-point status, Zarr
stores that resume, Dask for more than one machine (``docs/scans.md``)."""

from jaxcogen.scanning._sampling import SAMPLING_METHODS, latin_hypercube, sample_parameters, sobol
from jaxcogen.scanning._scan import (
    ScanPoints,
    ScanSummary,
    default_chunk_size,
    default_threads,
    scan,
    scan_points,
    scan_settings,
    scan_summary,
    stiffness_proxy,
)

__all__ = [
    "SAMPLING_METHODS",
    "ScanPoints",
    "ScanSummary",
    "default_chunk_size",
    "default_threads",
    "latin_hypercube",
    "sample_parameters",
    "scan",
    "scan_points",
    "scan_settings",
    "scan_summary",
    "sobol",
    "stiffness_proxy",
]
