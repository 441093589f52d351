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
"""
