"""Validation models: standard physics run through jaxcogen's own machinery.

The cogenesis physics has no public code to compare against, so the machinery it uses (thermal
averages with Bessel functions, stiff diffrax integration, wash-out bookkeeping, sphaleron
conversion, relic densities) is also run on problems with trusted answers:

- :mod:`jaxcogen.models.leptogenesis` — vanilla thermal leptogenesis with one heavy :math:`N_1`
  (Buchmüller, Di Bari & Plümacher, hep-ph/0401240), compared with ULYSSES and κ(K) fits.
- :mod:`jaxcogen.models.freeze_out` — s-wave WIMP freeze-out (Steigman, Dasgupta & Beacom,
  arXiv:1204.3622).
- :mod:`jaxcogen.models.freeze_in_decay` — freeze-in from a bath particle's decay (Hall, Jedamzik,
  March-Russell & West, arXiv:0911.1120).

All three run through :func:`jaxcogen.scan` and :func:`jaxcogen.fit` as well
(:mod:`jaxcogen.models._families`: their parameters, observables and solver options).
"""

from jaxcogen.models.freeze_in_decay import (
    FreezeInDecayModel,
    closed_form_yield,
    solve_freeze_in_decay,
)
from jaxcogen.models.freeze_out import FreezeOutModel, sigma_v_for_relic, solve_freeze_out
from jaxcogen.models.leptogenesis import (
    LeptogenesisModel,
    solve_leptogenesis,
    solve_leptogenesis_batch,
)

__all__ = [
    "FreezeInDecayModel",
    "FreezeOutModel",
    "LeptogenesisModel",
    "closed_form_yield",
    "sigma_v_for_relic",
    "solve_freeze_in_decay",
    "solve_freeze_out",
    "solve_leptogenesis",
    "solve_leptogenesis_batch",
]
