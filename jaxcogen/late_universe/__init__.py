r"""From the end of production to today: dark freeze-out into the sink, φ decays,
:math:`\Omega_\chi h^2` and :math:`\Delta N_{\rm eff}` (physics notes §4–5)."""

from jaxcogen.late_universe._dark_freezeout import (
    LateEvolution,
    LateUniverse,
    dark_dof,
    delta_N_eff,
    g_eta,
    late_universe,
    late_universe_from_yields,
    phi_decay_width,
    sigma_v_chi,
    sigma_v_phi,
    xi_from_entropy,
)

__all__ = [
    "LateEvolution",
    "LateUniverse",
    "dark_dof",
    "delta_N_eff",
    "g_eta",
    "late_universe",
    "late_universe_from_yields",
    "phi_decay_width",
    "sigma_v_chi",
    "sigma_v_phi",
    "xi_from_entropy",
]
