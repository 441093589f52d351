r"""Collision-integral engine: thermal reaction densities and energy-transfer rates of 2→2 processes.

- :mod:`.special`: exponentially scaled :math:`K_0,K_1,K_2` in JAX;
- :mod:`.quadrature`: fixed quadrature nodes and the :class:`QuadratureSettings`;
- :mod:`.kinematics`: two-body kinematics;
- :mod:`.amplitudes`: squared amplitudes with EFT or exact heavy-neutrino propagators;
- :mod:`.thermal`: :math:`\gamma` and :math:`C_E` with MB/FD/BE statistics, final-state factors,
  separate temperatures and chemical potentials, RIS-subtracted poles;
- :mod:`.network`: :class:`QuadratureRateNetwork`, the :class:`~jaxcogen.rates._network.AbstractRateNetwork`
  built on them.

See ``docs/collisions.md`` for the equations, the convergence study and the cost figures.
"""

from jaxcogen._special import bessel_k0e, bessel_k012e, bessel_k1e, bessel_k2e
from jaxcogen.rates.collisions._amplitudes import (
    DARK_PROCESSES,
    MIXED_PROCESSES,
    PORTAL_PROCESSES,
    SM_PROCESSES,
    AbstractProcess,
    PortalCouplings,
    PowerLaw,
    Propagator,
)
from jaxcogen.rates.collisions._quadrature import QuadratureSettings
from jaxcogen.rates.collisions._quadrature_network import (
    QuadratureRateNetwork,
    RateTables,
    TemperatureTable,
    build_tables,
    build_temperature_table,
)
from jaxcogen.rates.collisions._thermal import (
    Participant,
    onshell_rate,
    reduced_cross_section,
    thermal_kernel,
    thermal_rate,
)

__all__ = [
    "DARK_PROCESSES",
    "MIXED_PROCESSES",
    "PORTAL_PROCESSES",
    "SM_PROCESSES",
    "AbstractProcess",
    "Participant",
    "PortalCouplings",
    "PowerLaw",
    "Propagator",
    "QuadratureRateNetwork",
    "QuadratureSettings",
    "RateTables",
    "TemperatureTable",
    "bessel_k012e",
    "bessel_k0e",
    "bessel_k1e",
    "bessel_k2e",
    "build_tables",
    "build_temperature_table",
    "onshell_rate",
    "reduced_cross_section",
    "thermal_kernel",
    "thermal_rate",
]
