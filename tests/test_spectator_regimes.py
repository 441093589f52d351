r"""Spectator factor :math:`K` by temperature regime (``spectators="temperature_regime"``).

The regime coefficients of :mod:`jaxcogen.production._spectators` (exact, conserved-charge
null-space method) are checked against an independent floating-point solve written here: the
*reaction-extent* formulation. Start from a neutral plasma, remove one :math:`\ell_NH` pair (what
every slow portal and :math:`\Delta L=2` process does), let each fast reaction run by an extent
:math:`\xi_r`, and demand chemical equilibrium of the fast reactions:

.. math:: n=n_0+R^{\rm T}\xi,\quad \mu=n/k,\quad R\mu=0
          \;\Rightarrow\;(Rk^{-1}R^{\rm T})\,\xi=-Rk^{-1}n_0

(least squares: the reaction rows need not be independent). Then
:math:`K=-(\mu_{\ell_N}+\mu_H)/n_{B-L}`, in units where :math:`n=k\mu` (:math:`n/(T^3/6)`,
:math:`\mu/T`). Literature values: Harvey & Turner, PRD 42 (1990) 3344 (:math:`B=\frac{28}{79}(B-L)`);
Nardi, Nir, Roulet & Racker, hep-ph/0601084 and hep-ph/0512052 (regime structure, the
three-flavour :math:`A_{\tau\tau}=-344/537`, :math:`C^H_\tau=-52/179`); the regime table of
physics notes §3.5 / crosscheck.md item 5 (2/3, 15/23, 251/589, 585/1178, 257/711).
"""

import math
from fractions import Fraction

import jax
import numpy as np
import pytest

import jaxcogen
from jaxcogen import constants
from jaxcogen.production import _spectators as spectators
from jaxcogen.production._boltzmann import chemical_potential_coefficients, relaxation_rates

# --- independent NumPy solve ---------------------------------------------------------------------

# per generation: (name, multiplicity k = colour x SU(2) x [2 if boson], baryon number, is lepton)
_PER_GENERATION = (
    ("Q", 6, 1 / 3, False),
    ("uR", 3, 1 / 3, False),
    ("dR", 3, 1 / 3, False),
    ("L", 2, 0.0, True),
    ("eR", 1, 0.0, True),
)
_GEN = {"first": 0, "second": 1, "third": 2}


def _species():
    names, k, baryon, lepton = ["Higgs"], [4.0], [0.0], [0.0]
    for gen in range(3):
        for name, mult, b, is_lepton in _PER_GENERATION:
            names.append(f"{name}_{gen}")
            k.append(float(mult))
            baryon.append(b)
            lepton.append(1.0 if is_lepton else 0.0)
    return names, np.array(k), np.array(baryon), np.array(lepton)


# Yukawa name -> (right-handed field, generation, sign of the Higgs in mu_R - mu_L = s mu_H)
_YUKAWA_TABLE = {
    "top": ("uR", 2, +1), "charm": ("uR", 1, +1), "up": ("uR", 0, +1),
    "bottom": ("dR", 2, -1), "strange": ("dR", 1, -1), "down": ("dR", 0, -1),
    "tau": ("eR", 2, -1), "muon": ("eR", 1, -1), "electron": ("eR", 0, -1),
}  # fmt: skip


def _numpy_solve(yukawas, qcd, ew, flavour_generation):
    """(K, B/(B-L), n_ell/n_{B-L}, n_H/n_{B-L}) from the reaction-extent solve (module docstring)."""
    names, k, baryon, lepton = _species()
    pos = {n: i for i, n in enumerate(names)}
    reactions = []
    for y in yukawas:
        right, gen, sign = _YUKAWA_TABLE[y]
        left = "L" if right == "eR" else "Q"
        r = np.zeros(len(names))
        r[pos[f"{right}_{gen}"]] = 1.0  # L_or_Q (+ or - Higgs) -> right-handed
        r[pos[f"{left}_{gen}"]] = -1.0
        r[pos["Higgs"]] = -float(sign)
        reactions.append(r)
    if qcd:  # QCD sphaleron: creates every left-handed quark and right-handed antiquark
        r = np.zeros(len(names))
        for gen in range(3):
            r[pos[f"Q_{gen}"]] += 2.0
            r[pos[f"uR_{gen}"]] -= 1.0
            r[pos[f"dR_{gen}"]] -= 1.0
        reactions.append(r)
    if ew:  # electroweak sphaleron: 3 colours of each quark doublet, one lepton doublet each
        r = np.zeros(len(names))
        for gen in range(3):
            r[pos[f"Q_{gen}"]] += 3.0
            r[pos[f"L_{gen}"]] += 1.0
        reactions.append(r)
    n0 = np.zeros(len(names))
    n0[pos[f"L_{flavour_generation}"]] -= 1.0  # one ell_N H pair destroyed by a slow process
    n0[pos["Higgs"]] -= 1.0
    if reactions:
        R = np.array(reactions)
        A = R @ np.diag(1.0 / k) @ R.T
        xi = np.linalg.lstsq(A, -R @ (n0 / k), rcond=None)[0]
        n = n0 + R.T @ xi
        assert np.allclose(R @ (n / k), 0.0, atol=1e-12)
    else:
        n = n0
    mu = n / k
    B, L = baryon @ n, lepton @ n
    B_minus_L = B - L
    K = -(mu[pos[f"L_{flavour_generation}"]] + mu[pos["Higgs"]]) / B_minus_L
    return (
        K,
        B / B_minus_L,
        n[pos[f"L_{flavour_generation}"]] / B_minus_L,
        n[pos["Higgs"]] / B_minus_L,
    )


_ALL = tuple(_YUKAWA_TABLE)
_TWO_FLAVOUR = ("top", "bottom", "charm", "tau")
_THREE_FLAVOUR = _TWO_FLAVOUR + ("strange", "muon")

# (regime name in REGIMES, yukawas, QCD, EW, K for ell_N = tau from the literature / notes §3.5)
_CASES = (
    ("top", ("top",), False, False, Fraction(2, 3)),
    ("top+QCD", ("top",), True, False, Fraction(15, 23)),
    ("two-flavour", _TWO_FLAVOUR, True, True, Fraction(251, 589)),
    ("three-flavour", _THREE_FLAVOUR, True, True, None),  # no K quoted; c_ell, c_H below
    ("all", _ALL, True, True, Fraction(257, 711)),
)


def _regime(name):
    return next(r for r in spectators.REGIMES if r.name == name)


_NAME_OF_YUKAWA = {"top": "t", "charm": "c", "up": "u", "bottom": "b", "strange": "s",
                   "down": "d", "tau": "tau", "muon": "mu", "electron": "e"}  # fmt: skip


@pytest.mark.parametrize("name, yukawas, qcd, ew, K_literature", _CASES)
def test_regime_coefficients_match_independent_numpy_solve(name, yukawas, qcd, ew, K_literature):
    regime = _regime(name)
    # the module's regime is the one described here
    assert regime.yukawas == frozenset(_NAME_OF_YUKAWA[y] for y in yukawas)
    assert (regime.qcd_sphalerons, regime.ew_sphalerons) == (qcd, ew)
    exact = spectators.regime_coefficients(regime, "tau")
    K, c_B, n_ell, n_H = _numpy_solve(yukawas, qcd, ew, flavour_generation=2)
    assert float(exact.K) == pytest.approx(K, rel=1e-12)
    assert float(exact.c_baryon) == pytest.approx(c_B, rel=1e-12, abs=1e-14)
    assert float(exact.c_ell) == pytest.approx(-n_ell, rel=1e-12)
    assert float(exact.c_higgs) == pytest.approx(-n_H, rel=1e-12)
    if K_literature is not None:
        assert exact.K == K_literature


def test_flavour_orthogonal_to_tau_and_three_flavour_nnrr_entries():
    """ℓ_N ⊥ τ in the two-flavour regime gives 585/1178 (notes §3.5); the three-flavour regime
    reproduces NNRR's A_ττ = −344/537 and C^H_τ = −52/179 (ℓ_N = τ) and A_ee = −151/179."""
    two = _regime("two-flavour")
    assert spectators.regime_coefficients(two, "e").K == Fraction(585, 1178)
    assert spectators.regime_coefficients(two, "mu").K == Fraction(585, 1178)
    K, _, _, _ = _numpy_solve(_TWO_FLAVOUR, True, True, flavour_generation=0)
    assert K == pytest.approx(585 / 1178, rel=1e-12)
    three = spectators.regime_coefficients(_regime("three-flavour"), "tau")
    assert three.c_ell == Fraction(344, 537)
    assert three.c_higgs == Fraction(52, 179)
    assert spectators.regime_coefficients(_regime("three-flavour"), "e").c_ell == Fraction(151, 179)


def test_all_equilibrium_limit_is_sm_equilibrium_and_sphaleron_factor():
    """The lowest regime is the fully equilibrated one: K = 257/711, c_s = 28/79 (Harvey–Turner),
    for whichever flavour carries B−L; the two exact solvers agree."""
    last = spectators.REGIMES[-1]
    assert last.T_low == 0.0
    full = spectators.sm_equilibrium_coefficients()
    for flavour in ("e", "mu", "tau"):
        c = spectators.regime_coefficients(last, flavour)
        assert c == full
        assert (
            c.c_baryon == Fraction(28, 79) == Fraction(constants.c_sphaleron).limit_denominator(100)
        )
    _, c_B, _, _ = _numpy_solve(_ALL, True, True, flavour_generation=2)
    assert c_B == pytest.approx(28 / 79, rel=1e-12)


def test_regime_ordering_and_boundaries():
    """Fast reactions only get added as T falls (each regime contains the previous one)."""
    T = [r.T_low for r in spectators.REGIMES]
    assert T == sorted(T, reverse=True)
    for hot, cold in zip(spectators.REGIMES[:-1], spectators.REGIMES[1:], strict=True):
        assert hot.yukawas <= cold.yukawas
        assert hot.qcd_sphalerons <= cold.qcd_sphalerons
        assert hot.ew_sphalerons <= cold.ew_sphalerons
        assert "t" in hot.yukawas


def test_spectator_factor_limits_and_smoothness():
    K = [float(x) for x in spectators.regime_K_values()]
    f = spectators.spectator_factor
    assert float(f(1.0)) == pytest.approx(257 / 711, rel=1e-5)  # all Yukawas (T << 1e5 GeV)
    assert float(f(1.0e17)) == pytest.approx(2 / 3, rel=1e-5)  # top Yukawa only
    # mid-regime, a decade and a half from either boundary: within the 1/(1+10^1.5) tails
    assert float(f(10.0**10.5)) == pytest.approx(251 / 589, rel=2e-2)
    T = np.logspace(0, 17, 400)
    values = np.asarray(f(T))
    assert np.all(np.diff(values) >= 0)  # K only falls as reactions come into equilibrium
    assert values.min() >= min(K) - 1e-12 and values.max() <= max(K) + 1e-12
    # differentiable everywhere (the solve differentiates through T = T_RH e^-tau)
    grads = np.asarray(jax.vmap(jax.grad(lambda t: f(t)))(T))
    assert np.all(np.isfinite(grads))
    # the documented closed form for w = 1: the weight of the hotter regime is T/(T + T_j)
    assert spectators.REGIME_WIDTH_LN_T == 1.0
    for T1 in (3.0e4, 1.0e9, 5.0e10, 1.0e12, 3.0e12, 1.0e13):
        expected = K[-1] + sum(
            (K[j] - K[j + 1]) * T1 / (T1 + r.T_low) for j, r in enumerate(spectators.REGIMES[:-1])
        )
        assert float(f(T1)) == pytest.approx(expected, rel=1e-13)


def test_chemical_potential_coefficients_temperature_regime():
    g = constants.g_star_SM
    T = 5.0e10
    c_sm, c_dark = chemical_potential_coefficients("temperature_regime", g, T)
    _, c_dark_eq = chemical_potential_coefficients("sm_equilibrium", g)
    K = float(spectators.spectator_factor(T))
    assert float(c_sm) == pytest.approx(K * 4 * math.pi**2 * g / 15, rel=1e-12)
    assert float(c_dark) == pytest.approx(float(c_dark_eq), rel=1e-14)  # quantum, as sm_equilibrium
    with pytest.raises(ValueError, match="needs the temperature"):
        chemical_potential_coefficients("temperature_regime", g)


def test_conventions_accept_temperature_regime_with_analytic_rates_only():
    assert jaxcogen.Conventions(spectators="temperature_regime").spectators == "temperature_regime"
    with pytest.raises(ValueError, match="temperature_regime"):
        jaxcogen.Conventions(spectators="temperature_regime", rates="quadrature")


@pytest.mark.slow  # ~30 s: three full solves; the coefficients are tested above
def test_full_solve_with_temperature_regime():
    """Built-in point: finite ΔY_B, and the change from ``"sm_equilibrium"`` bounded by the change
    of the lepton wash-out rate per e-fold at T_RH (production and wash-out are UV-dominated and
    K(T) ≤ K(T_RH) below T_RH, so the survival factor exp(−∫Γdτ) moves by at most ΔΓ(T_RH))."""
    point = jaxcogen.benchmark_points["default"]
    out = {}
    for spec in ("sm_equilibrium", "temperature_regime"):
        model = jaxcogen.CogenesisModel(**point, conventions=jaxcogen.Conventions(spectators=spec))
        sol = jaxcogen.solve(model, late_universe=False)
        assert int(sol.status) == 0
        out[spec] = (float(sol.DeltaY_B), float(relaxation_rates(model)[2]))
    (B_eq, rate_eq), (B_tr, rate_tr) = out["sm_equilibrium"], out["temperature_regime"]
    assert math.isfinite(B_tr) and B_tr > 0
    assert rate_tr > rate_eq  # K(5e10 GeV) ≈ 0.44 > 257/711: stronger SM wash-out
    assert abs(B_tr / B_eq - 1.0) <= rate_tr - rate_eq
