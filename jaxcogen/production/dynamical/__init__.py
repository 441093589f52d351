r"""Beyond the EFT: the heavy neutrinos :math:`N_{1,2}` as dynamical species (any :math:`M_i/T_{\rm RH}`).

- :mod:`~jaxcogen.production.dynamical._decays`: widths, :math:`n_N^{\rm eq}`, decay reaction densities :math:`\gamma_D`.
- :mod:`~jaxcogen.production.dynamical._asymmetries`: CP asymmetries :math:`\epsilon_{i,L}`, :math:`\epsilon_{i,\chi}`,
  split by the sector of the loop cut.
- :mod:`~jaxcogen.production.dynamical._system`: the 6-component Boltzmann system with RIS-subtracted scatterings
  and the two-bath CP sources (each cut-resolved piece of :math:`\epsilon` against its own bath).
- :mod:`~jaxcogen.production.dynamical._solve`: :func:`solve_dynamical` (returns :class:`jaxcogen.Solution`).

See ``docs/dynamical.md``.
"""

from jaxcogen.production.dynamical._asymmetries import (
    CPAsymmetries,
    cp_asymmetries,
    decay_asymmetry,
)
from jaxcogen.production.dynamical._decays import (
    decay_density,
    number_density_eq,
    width_dark,
    width_lepton,
)
from jaxcogen.production.dynamical._solve import (
    DynamicalSolution,
    NeutrinoEvolution,
    solve_dynamical,
    solve_dynamical_detailed,
    solve_dynamical_unjitted,
)
from jaxcogen.production.dynamical._system import DynamicalSystem, NeutrinoRates

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
