r"""Beyond the EFT: the heavy neutrinos :math:`N_{1,2}` as dynamical species (any :math:`M_i/T_{\rm RH}`).

- :mod:`~jaxcogen.dynamical.decays`: widths, :math:`n_N^{\rm eq}`, decay reaction densities :math:`\gamma_D`.
- :mod:`~jaxcogen.dynamical.asymmetries`: CP asymmetries :math:`\epsilon_{i,L}`, :math:`\epsilon_{i,\chi}`.
- :mod:`~jaxcogen.dynamical.system`: the 6-component Boltzmann system with RIS-subtracted scatterings.
- :mod:`~jaxcogen.dynamical.solve`: :func:`solve_dynamical` (returns :class:`jaxcogen.solve.Solution`).

See ``docs/dynamical.md``.
"""

from .asymmetries import CPAsymmetries, cp_asymmetries, decay_asymmetry
from .decays import decay_density, number_density_eq, width_dark, width_lepton
from .solve import (
    DynamicalSolution,
    NeutrinoEvolution,
    solve_dynamical,
    solve_dynamical_detailed,
    solve_dynamical_unjitted,
)
from .system import DynamicalSystem, NeutrinoRates

__all__ = [
    "CPAsymmetries",
    "DynamicalSolution",
    "DynamicalSystem",
    "NeutrinoEvolution",
    "NeutrinoRates",
    "cp_asymmetries",
    "decay_asymmetry",
    "decay_density",
    "number_density_eq",
    "solve_dynamical",
    "solve_dynamical_detailed",
    "solve_dynamical_unjitted",
    "width_dark",
    "width_lepton",
]
