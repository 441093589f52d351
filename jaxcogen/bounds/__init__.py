"""The viable region as bounds: gradient-based extremes of a quantity under observable
constraints (:func:`bound`), and posteriors of free parameters by NUTS (:func:`posterior`).

Generic over the model interface (:class:`~jaxcogen._interface.AbstractModel`); see
``docs/bounds.md``.
"""

from jaxcogen.bounds._bounds import BoundCheck, BoundResult, LocalCheck, StartResults, bound
from jaxcogen.bounds._posterior import (
    PosteriorResult,
    effective_sample_size,
    posterior,
    split_rhat,
)
from jaxcogen.bounds._viable_region import (
    VIABLE_REGION_BOUNDS,
    BoundSpec,
    seed_starts,
    viable_region_bounds,
)

__all__ = [
    "VIABLE_REGION_BOUNDS",
    "BoundCheck",
    "BoundSpec",
    "BoundResult",
    "LocalCheck",
    "PosteriorResult",
    "StartResults",
    "bound",
    "effective_sample_size",
    "posterior",
    "seed_starts",
    "split_rhat",
    "viable_region_bounds",
]
