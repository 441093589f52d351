r"""Reaction densities of the production stage.

The closed-form Maxwell–Boltzmann rates of the leading EFT (physics notes §2–3) are re-exported
here (``jaxcogen.rates.gamma_dim5`` …); :class:`AbstractRateNetwork` is what the Boltzmann system
reads them through, with :class:`AnalyticRateNetwork` (closed forms) and the quadrature engine of
:mod:`jaxcogen.rates.collisions` (``rates="quadrature"``, loaded on first use) as implementations.
"""

from jaxcogen.rates._analytic import (
    cp_source_dark,
    cp_source_lepton,
    energy_transfer_dim5,
    energy_transfer_dim6,
    gamma_dark,
    gamma_dim5,
    gamma_dim6,
    gamma_mixed_dim5,
    gamma_mixed_dim6,
    gamma_weinberg,
)
from jaxcogen.rates._network import (
    AbstractRateNetwork,
    AnalyticRateNetwork,
    ThermalRates,
    xi_power,
)

__all__ = [
    "AbstractRateNetwork",
    "AnalyticRateNetwork",
    "ThermalRates",
    "cp_source_dark",
    "cp_source_lepton",
    "energy_transfer_dim5",
    "energy_transfer_dim6",
    "gamma_dark",
    "gamma_dim5",
    "gamma_dim6",
    "gamma_mixed_dim5",
    "gamma_mixed_dim6",
    "gamma_weinberg",
    "xi_power",
]
