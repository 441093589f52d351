r"""Neighbours of a bound moved onto the constraints by a local linear model (polishing).

The neighbourhood check of a bound (:func:`jaxcogen.bounds._bounds._local_check`) solves points
of a box around it. In :math:`d` dimensions a random neighbour seldom satisfies two equality-like
constraints (bands of a few per cent), so a polishing that only steps to the most extreme
*feasible* neighbour creeps along the viable surface. The neighbours' own solves carry the
local shape of that surface: fit, by least squares over the neighbours that solved,

.. math::
    \ell_k(u)\approx a_k+\sum_jJ_{kj}\,s_j,\qquad s_j=\frac{u_j-c_j}{w_j},

with :math:`c` the centre, :math:`w_j` the box's half-width in coordinate :math:`j` (so the
offsets are :math:`O(1)`), :math:`\ell_k` the constraint's log-ratio of
:mod:`jaxcogen.bounds._problem` (:math:`\ln(O_k/t_k)`, or the signed logarithm for a signed
observable) and, for each upper limit :math:`q_l\le q_l^{\max}`, :math:`\ell_l=\ln(q_l/q_l^{\max})`.
A neighbour outside a band or past a limit has the residual

.. math::
    r_k=\ell_k-\operatorname{clip}(\ell_k,\;m_k-\varsigma h_k,\;m_k+\varsigma h_k),\qquad
    r_l=\max(0,\;\ell_l+\delta),

(:math:`m_k,h_k` the band's centre and half-width in :math:`\ell`; :math:`\varsigma=1/2` aims at
the band's inner half, which the linear model's error should not leave; :math:`\delta` the
bound's margin) and moves by the minimum-norm Gauss–Newton step
:math:`\Delta s=-J_F^{+}r` (Nocedal & Wright, *Numerical Optimization*, §10.3) in the coordinates
:math:`F` it may move: every one but the bounded parameter, so that the neighbour keeps its value
of the bounded quantity. A coordinate the step pushes past its limit is clipped there and the
remaining residual, as the linear model predicts it, is taken up by the others in a second step.
The moved points are solved afresh by the caller and judged like every other neighbour: the
linear model only proposes points, it decides nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from jaxcogen.fitting._loss import DEFAULT_SOFTNESS, log_ratio

#: The band's fraction :math:`\varsigma` a moved neighbour aims inside (module docstring).
BAND_AIM = 0.5


def _log_ratios(outs, bands, limits, softness) -> np.ndarray:
    """:math:`\\ell` of every constraint and upper limit, one column each (NaN where unusable)."""
    columns = []
    for name, (target, _mid, _half, signed) in bands.items():
        q = np.asarray(outs[name], dtype=float) / target
        ell = np.asarray(log_ratio(q, signed, softness), dtype=float)
        columns.append(np.where(np.isfinite(q), ell, np.nan))
    for name, q_max in limits.items():
        q = np.asarray(outs[name], dtype=float) / q_max
        columns.append(np.where(np.isfinite(q) & (q > 0), np.log(np.maximum(q, 1e-300)), np.nan))
    return np.stack(columns, axis=1)


def _residuals(ell, bands, n_limits, margin) -> np.ndarray:
    """:math:`r` of each point (module docstring); zero rows for points needing no move."""
    r = np.zeros_like(ell)
    for k, (_target, mid, half, _signed) in enumerate(bands.values()):
        lo, hi = mid - BAND_AIM * half, mid + BAND_AIM * half
        r[:, k] = ell[:, k] - np.clip(ell[:, k], lo, hi)
    m = len(bands)
    for j in range(n_limits):
        r[:, m + j] = np.maximum(0.0, ell[:, m + j] + margin)
    # points inside every band and under every limit stay where they are
    outside = np.zeros(len(ell), dtype=bool)
    for k, (_target, mid, half, _signed) in enumerate(bands.values()):
        outside |= np.abs(ell[:, k] - mid) > half
    for j in range(n_limits):
        outside |= ell[:, m + j] > 0.0
    return np.where(outside[:, None], r, 0.0)


def project_neighbours(
    center: np.ndarray,
    us: np.ndarray,
    outs: Mapping[str, np.ndarray],
    half_widths: np.ndarray,
    bands: Mapping[str, tuple[float, float, float, bool]],
    limits: Mapping[str, float],
    fixed: Sequence[int],
    u_lo: np.ndarray,
    u_hi: np.ndarray,
    margin: float,
    softness: float = DEFAULT_SOFTNESS,
    *,
    fit: np.ndarray | None = None,
    move: np.ndarray | None = None,
) -> np.ndarray:
    """The neighbours ``us`` (rows, coordinates u) that miss a constraint, moved onto it by the
    local linear model of their solves ``outs`` (module docstring); shape ``(k, d)``, ``k = 0``
    when nothing needs or allows a move.

    Args:
        center, half_widths: the box's centre and half-width per coordinate.
        bands: ``{observable: (target, mid, half, signed)}``: the band :math:`|\\ell-m|\\le h`.
        limits: ``{name: maximum}`` of the upper limits judged at these solves.
        fixed: coordinates that keep their values (the bounded parameter).
        u_lo, u_hi: the coordinates' limits.
        margin: :math:`\\delta` kept below each upper limit.
        fit: rows of ``us`` the linear model is fitted on (default: all);
        move: rows that may be moved (default: all), e.g. far points proposed along the
            polishing's direction, moved by the model of the neighbourhood's grid.
    """
    n, d = us.shape
    if not bands and not limits:
        return np.zeros((0, d))
    ok = (np.asarray(outs["status"]) == 0) & np.asarray(outs["valid"], dtype=bool)
    ell = _log_ratios(outs, bands, limits, softness)
    ok &= np.all(np.isfinite(ell), axis=1)
    movable = np.ones(d, dtype=bool)
    movable[list(fixed)] = False
    if ok.sum() < d + 2 or not movable.any():
        return np.zeros((0, d))
    s = (us - center) / half_widths
    design = np.concatenate([np.ones((n, 1)), s], axis=1)
    fitted = ok if fit is None else ok & np.asarray(fit, dtype=bool)
    if fitted.sum() < d + 2:
        return np.zeros((0, d))
    coef, *_ = np.linalg.lstsq(design[fitted], ell[fitted], rcond=None)
    jac = coef[1:].T  # (constraints + limits, d)
    r = _residuals(ell, bands, len(limits), margin)
    needs = ok & np.any(r != 0.0, axis=1)
    if move is not None:
        needs &= np.asarray(move, dtype=bool)
    s_lo, s_hi = (u_lo - center) / half_widths, (u_hi - center) / half_widths
    moved = []
    for i in np.flatnonzero(needs):
        free_i = movable.copy()
        s_i = s[i].copy()
        r_i = r[i].copy()
        for _ in range(2):
            if not free_i.any():
                break
            step = -np.linalg.pinv(jac[:, free_i]) @ r_i
            trial = s_i.copy()
            trial[free_i] += step
            clipped = np.clip(trial, s_lo, s_hi)
            r_i = r_i + jac @ (clipped - s_i)
            s_i = clipped
            hit = free_i & (clipped != trial)
            if not hit.any():
                break
            free_i &= ~hit
        if np.all(np.isfinite(s_i)) and np.any(s_i != s[i]):
            moved.append(center + s_i * half_widths)
    return np.array(moved).reshape(-1, d)
