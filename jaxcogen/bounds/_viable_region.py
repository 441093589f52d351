r"""The abstract's claims about the viable region of freeze-in cogenesis, as bound problems.

arXiv:2505.22710's abstract says that viable cogenesis needs heavy neutrinos
:math:`M_N\gtrsim10^{10}` GeV, and that a mainly asymmetric relic allows
:math:`0.1\ {\rm GeV}\lesssim m_\chi\lesssim10^3` GeV. Each claim is an extreme of one quantity
over the viable region (:func:`jaxcogen.bounds.bound`): :math:`\Delta Y_B=8.7\times10^{-11}` and
today's :math:`\Omega_\chi h^2=0.12` within ``tolerance``, perturbative couplings
(:math:`|y_i|,|\lambda_i|,\kappa\le\sqrt{4\pi}`, the parameters' ranges), and the cogenesis model's
default upper limits (:data:`jaxcogen.model._registry.BOUND_UPPER_LIMITS`: :math:`m_\nu\le0.1` eV,
:math:`m_\chi<m_\phi`, the EFT's 1 % trust region while the optimisation integrates it,
:math:`\Delta N_{\rm eff}\le0.286`). :data:`VIABLE_REGION_BOUNDS` fixes which parameters move and
within which intervals; the others keep the base point's values (the built-in point by default).

What each bound moves, and why:

- ``M1_min``: :math:`M_{1,2}`, :math:`T_{\rm RH}`, :math:`|y_{1,2}|`, :math:`\arg y_2`,
  :math:`|\lambda_2|` and :math:`m_\chi`: everything that sets the lepton asymmetry's size and
  the relic's mass scale (:math:`\lambda_1`, the other phases, :math:`m_\phi`, :math:`\kappa` stay:
  they trade against the moved ones).
- ``m_chi_min``: :math:`m_\chi`, :math:`T_{\rm RH}`, :math:`|y_{1,2}|`, :math:`\arg y_2`,
  :math:`|\lambda_{1,2}|`: the lightest :math:`\chi` needs the most :math:`\Delta Y_\chi` per
  :math:`\Delta Y_B`; :math:`\kappa=1` and :math:`m_\phi=2` GeV stay (a light :math:`\chi`'s
  symmetric part is removed at :math:`\kappa=1`), so today's relic is reached through the
  asymmetric-relic proxy during the optimisation and solved in full at the judgement.
- ``m_chi_max``: :math:`m_\chi`, :math:`m_\phi`, :math:`\kappa`, and the production parameters of
  ``m_chi_min``: a heavy :math:`\chi` needs the least :math:`\Delta Y_\chi` per :math:`\Delta Y_B`
  and a strong enough sink to remove its symmetric part, so :math:`\kappa` and :math:`m_\phi` move
  and the optimisation solves the full chain (today's relic exactly).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from jaxcogen import constants


@dataclasses.dataclass(frozen=True)
class BoundSpec:
    """One claim as a bound problem.

    Attributes:
        quantity, sense: what is bounded, ``"min"`` or ``"max"``.
        free: the parameters moved.
        limits: their intervals ``{name: (low, high)}`` (physical units).
        claim: the abstract's statement it tests, in words.
        claimed: the abstract's number [GeV].
    """

    quantity: str
    sense: str
    free: tuple[str, ...]
    limits: Mapping[str, tuple[float, float]]
    claim: str
    claimed: float


#: The abstract's claims (arXiv:2505.22710) as bound problems (module docstring).
VIABLE_REGION_BOUNDS: dict[str, BoundSpec] = {
    "M1_min": BoundSpec(
        "M1",
        "min",
        ("M1", "M2", "T_RH", "y1.abs", "y2.abs", "y2.arg", "lambda2.abs", "m_chi"),
        {"M1": (1e8, 1e14), "M2": (1e8, 1e15), "T_RH": (1e7, 1e13), "m_chi": (1e-3, 1e4)},
        "viable cogenesis needs M_N >~ 1e10 GeV",
        1e10,
    ),
    "m_chi_min": BoundSpec(
        "m_chi",
        "min",
        ("m_chi", "T_RH", "y1.abs", "y2.abs", "y2.arg", "lambda1.abs", "lambda2.abs"),
        {"m_chi": (1e-4, 1e4), "T_RH": (1e8, 1e11)},
        "a mainly asymmetric relic allows m_chi >~ 0.1 GeV",
        0.1,
    ),
    "m_chi_max": BoundSpec(
        "m_chi",
        "max",
        (
            "m_chi",
            "m_phi",
            "kappa",
            "T_RH",
            "y1.abs",
            "y2.abs",
            "y2.arg",
            "lambda1.abs",
            "lambda2.abs",
        ),
        {
            "m_chi": (1e-2, 1e6),
            "m_phi": (1e-2, 1e7),
            "kappa": (1e-3, math.sqrt(4 * math.pi)),
            "T_RH": (1e8, 1e11),
        },
        "a mainly asymmetric relic allows m_chi <~ 1e3 GeV",
        1e3,
    ),
}

#: The constraints of every bound: the observed values within 5 %.
VIABLE_REGION_TOLERANCE = 0.05


def viable_region_bounds(
    model=None,
    names: Sequence[str] | None = None,
    *,
    n_starts: int = 4,
    outer_iterations: int = 10,
    inner_steps: int = 20,
    seed: int = 0,
    tolerance: float = VIABLE_REGION_TOLERANCE,
    progress: Callable[[str], Any] | None = print,
    **bound_options: Any,
) -> dict[str, Any]:
    """Run the bounds of :data:`VIABLE_REGION_BOUNDS` (all, or ``names``) from ``model`` (default:
    the built-in point); returns ``{name: BoundResult}``. ``bound_options`` pass on to
    :func:`jaxcogen.bounds.bound` (e.g. ``inner_solve_options``, ``upper_limits``)."""
    from jaxcogen.bounds._bounds import bound
    from jaxcogen.model import CogenesisModel
    from jaxcogen.model._benchmark_points import POINTS

    if model is None:
        model = CogenesisModel(**POINTS["default"])
    names = list(VIABLE_REGION_BOUNDS if names is None else names)
    for name in names:
        if name not in VIABLE_REGION_BOUNDS:
            raise ValueError(f"bound {name!r}: allowed {', '.join(VIABLE_REGION_BOUNDS)}")
    constraints = {
        "DeltaY_B": (constants.DeltaY_B_observed, tolerance),
        "Omega_chi_h2": (constants.Omega_c_h2_observed, tolerance),
    }
    out = {}
    for name in names:
        spec = VIABLE_REGION_BOUNDS[name]
        if progress is not None:
            progress(f"{name}: {spec.sense} {spec.quantity} over {', '.join(spec.free)} ...")
        out[name] = bound(
            model,
            spec.quantity,
            spec.sense,
            constraints,
            free=spec.free,
            limits=dict(spec.limits),
            n_starts=n_starts,
            outer_iterations=outer_iterations,
            inner_steps=inner_steps,
            seed=seed,
            **bound_options,
        )
        if progress is not None:
            progress(f"  {out[name].verdict} ({out[name].wall_time_s:.0f} s)")
    return out
