r"""The neighbours' projection of polishing (:mod:`jaxcogen.bounds._projection`) on exact
linear models, where a Gauss–Newton step is exact: with :math:`\ln(O/t)=a+J\,s` a moved point
lands at the aimed edge of the band's inner half, :math:`m\pm\varsigma h`, keeps its fixed
coordinate, takes the minimum-norm step, and respects the coordinates' limits."""

import math

import numpy as np
import pytest

from jaxcogen.bounds._problem import band_edges
from jaxcogen.bounds._projection import BAND_AIM, project_neighbours

REL_TOL = 0.05
MID, HALF = band_edges(REL_TOL, signed=False)
BANDS = {"O": (2.0, MID, HALF, False)}


def _outs(us, center, half, a, jac):
    """Solves of the exact model ln(O/2) = a + J s, s = (u - center)/half."""
    s = (us - center) / half
    return {
        "O": 2.0 * np.exp(a + s @ jac),
        "status": np.zeros(len(us), dtype=int),
        "valid": np.ones(len(us), dtype=bool),
    }


def _grid(d, n, seed=0):
    return np.random.default_rng(seed).uniform(-1.0, 1.0, size=(n, d))


def test_moved_points_land_on_the_aimed_band_edge_with_the_fixed_coordinate_kept():
    d, center, half = 3, np.zeros(3), np.full(3, 0.1)
    jac = np.array([1.0, 2.0, -0.5])
    us = center + _grid(d, 60) * half
    outs = _outs(us, center, half, 0.0, jac)
    big = np.full(d, 1e9)
    moved = project_neighbours(center, us, outs, half, BANDS, {}, [0], -big, big, 1e-3)
    ell = np.log(outs["O"] / 2.0)
    misses = np.abs(ell - MID) > HALF
    assert len(moved) == misses.sum() > 0
    # fixed coordinate 0 unchanged, in the same order as the misses
    np.testing.assert_allclose(moved[:, 0], us[misses, 0], rtol=0, atol=1e-15)
    new = np.log(_outs(moved, center, half, 0.0, jac)["O"] / 2.0)
    aim = np.where(ell[misses] > MID, MID + BAND_AIM * HALF, MID - BAND_AIM * HALF)
    np.testing.assert_allclose(new, aim, rtol=0, atol=1e-12)
    # minimum norm: the step in s is parallel to J's movable part
    step = (moved - us[misses]) / half
    cross = step[:, 1] * jac[2] - step[:, 2] * jac[1]
    np.testing.assert_allclose(cross, 0.0, atol=1e-12)


def test_a_clipped_coordinate_hands_its_share_to_the_others():
    """Coordinate 1 may move at most 0.05 in s; the rest of the residual goes to coordinate 2."""
    d, center, half = 3, np.zeros(3), np.ones(3)
    jac = np.array([0.0, 1.0, 1.0])
    us = np.concatenate([_grid(d, 40, seed=1) * 0.01, [[0.0, 0.0, 0.0]]])
    a = 0.3  # every point misses the band (ln 1.05 ~ 0.049) from above
    outs = _outs(us, center, half, a, jac)
    lo, hi = np.array([-1.0, -0.05, -1.0]), np.array([1.0, 1.0, 1.0])
    moved = project_neighbours(center, us, outs, half, BANDS, {}, [], lo, hi, 1e-3)
    assert len(moved) == len(us)
    last = moved[-1]
    assert last[1] == pytest.approx(-0.05, abs=1e-15)
    new = a + last @ jac
    assert new == pytest.approx(MID + BAND_AIM * HALF, abs=1e-12)


def test_an_upper_limit_is_met_with_its_margin():
    """q = exp(s0 + s1) <= 1: a point above is moved to ln q = -delta."""
    d, center, half = 2, np.zeros(2), np.ones(2)
    us = _grid(d, 30, seed=2) * 0.5
    q = np.exp(us[:, 0] + us[:, 1])
    outs = {"q": q, "status": np.zeros(30, dtype=int), "valid": np.ones(30, dtype=bool)}
    big = np.full(d, 1e9)
    moved = project_neighbours(center, us, outs, half, {}, {"q": 1.0}, [], -big, big, 1e-3)
    assert len(moved) == int((q > 1.0).sum()) > 0
    np.testing.assert_allclose(moved.sum(axis=1), -1e-3, atol=1e-12)
    assert math.isfinite(moved.sum())


def test_too_few_solved_points_propose_nothing():
    d, center, half = 3, np.zeros(3), np.ones(3)
    us = _grid(d, 4)
    outs = _outs(us, center, half, 1.0, np.ones(3))
    big = np.full(d, 1e9)
    assert project_neighbours(center, us, outs, half, BANDS, {}, [], -big, big, 1e-3).shape == (
        0,
        3,
    )
