r"""What every fit reports: :class:`FitResult`, the one verdict wording and failure vocabulary,
and the optimiser defaults shared by the cogenesis and the validation-model fits."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from jaxcogen._interface import AbstractModel
from jaxcogen._status import status_name

#: Default number of optimiser steps.
DEFAULT_STEPS: dict[str, int] = {"lbfgs": 60, "adam": 300}

#: Default initial learning rate of Adam (θ is in natural-log units or radians).
DEFAULT_ADAM_LEARNING_RATE: float = 0.05


@dataclasses.dataclass(frozen=True)
class FitResult:
    """The outcome of :func:`fit`.

    Attributes:
        model: the best fit, a validated model (the type of the start).
        parameters: the best-fit free parameters (GeV, moduli, radians), by name.
        observables: the observables at the best fit, from the model's solve with
            ``solve_options``: those a fit's loss can use, every other one that solve computed,
            and, for a proxied target (cogenesis ``Omega_chi_h2``), those of the final check.
        targets: the targets fitted (a proxied target under the name of its proxy, e.g.
            ``Omega_chi_h2_asymmetric``).
        m_nu: light-neutrino mass :math:`|w|v^2` of the best fit [GeV] (NaN for a model without
            that limit, e.g. the validation models).
        loss: the loss of the best fit (same final solve).
        success: every target within ``tolerance`` (relative), the solve succeeded and every
            limit holds (:math:`m_\\nu\\le m_\\nu^{\\max}`).
        verdict: one paragraph: reached, or not reachable with the closest point and how far.
        loss_history: loss per step of the best start (inner-solve accuracy).
        best_start: index of the best start.
        start_losses, start_success: final loss and success of each start.
        start_status: per start, ``"converged"``, ``"max_steps"`` (goal not reached in the
            step budget) or ``"solve_failed: <status>"``.
        start_parameters: each start's final free parameters, by name (arrays over starts).
        loss_histories: ``[start, step]`` losses.
        active_limits: bounds the best fit sits on (e.g. ``"m_nu at its bound 0.1 eV"``).
        optimizer, n_steps, wall_time_s, tolerance: how it was run.
    """

    model: AbstractModel
    parameters: dict[str, float]
    observables: dict[str, float]
    targets: dict[str, float]
    m_nu: float
    loss: float
    success: bool
    verdict: str
    loss_history: np.ndarray
    best_start: int
    start_losses: np.ndarray
    start_success: np.ndarray
    start_status: tuple[str, ...]
    start_parameters: dict[str, np.ndarray]
    loss_histories: np.ndarray
    active_limits: tuple[str, ...]
    optimizer: str
    n_steps: int
    wall_time_s: float
    tolerance: float

    @property
    def n_successful(self) -> int:
        return int(np.sum(self.start_success))

    def summary(self) -> str:
        """A short plain-text report: the verdict, the fitted parameters and the observables."""
        lines = [self.verdict, "", "best fit:"]
        lines += [f"  {k} = {v!r}" for k, v in self.parameters.items()]
        lines.append("observables:")
        for key, value in self.observables.items():
            target = f"   (target {self.targets[key]:.6g})" if key in self.targets else ""
            lines.append(f"  {key} = {value:.6g}{target}")
        if math.isfinite(self.m_nu):  # NaN for the validation models
            lines.append(f"  m_nu = {self.m_nu * 1e9:.6g} eV")
        return "\n".join(lines)


def describe_miss(name: str, value: float, target: float) -> str:
    """``"DeltaY_B = 3.1e-12 (target 8.7e-11: 28.1x too small)"`` and similar."""
    if not math.isfinite(value):
        return f"{name} = {value} (target {target:.4g}: the solve failed)"
    ratio = value / target
    if ratio <= 0:
        how = "wrong sign" if ratio < 0 else "zero"
    elif ratio >= 1:
        how = f"{ratio:.3g}x too large" if ratio > 1.5 else f"{100 * (ratio - 1):+.3g}%"
    else:
        how = f"{1 / ratio:.3g}x too small" if ratio < 1 / 1.5 else f"{100 * (ratio - 1):+.3g}%"
    return f"{name} = {value:.4g} (target {target:.4g}: {how})"


def verdict_text(success, n_success, n_starts, tolerance, values, targets, limits, extra=""):
    """The one verdict wording of every fit: reached (with how many starts), or not reachable in
    the allowed region with the closest point, how far each target is and which bounds it sits
    on. ``extra``: a model-specific clause (the cogenesis fit's light-neutrino mass)."""
    misses = "; ".join(describe_miss(k, values[k], t) for k, t in targets.items())
    extra = f"; {extra}" if extra else ""
    if success:
        return (
            f"reached: every target within {100 * tolerance:.3g}% in {n_success}/{n_starts} "
            f"starts. Best fit: {misses}{extra}."
        )
    limit_text = (
        " It sits on " + ", ".join(limits) + "." if limits else " No bound is active there."
    )
    return (
        f"NOT REACHABLE in the allowed region: none of {n_starts} starts reached every target "
        f"within {100 * tolerance:.3g}%. Closest point: {misses}{extra}.{limit_text}"
    )


def solve_failure_text(code: int) -> str:
    """The one failure wording of a start whose final solve failed."""
    return f"solve_failed: {status_name(code) if code else 'during the fit'}"
