r"""Independent NumPy/SciPy reference for the freeze-in cogenesis Boltzmann system.

This module is deliberately written without JAX and without looking at the ``jaxcogen`` package:
it re-implements ``shared/physics/README.md`` §3.4 (a), (b), (c), (c'), §3.5 and
``crosscheck.md`` items 4–5 from the equations alone, so that tests can compare the two codes.

Conventions (all fixed; GeV units)
----------------------------------
* :math:`m_{\rm Pl}=1.22093\times10^{19}` (non-reduced).
* :math:`g_*(T)`, :math:`g_{*s}(T)`: the published SM table shipped as ``jaxcogen/data/sm_dof.csv``
  (an *input*, tested against its own nodes elsewhere), read here with NumPy and interpolated with
  SciPy's ``PchipInterpolator`` in :math:`\log_{10}T` (constant outside the table) — not with
  jaxcogen's interpolation code. With ``g_star="constant"``: :math:`g_*=g_{*s}=106.75`.
* :math:`H=c_H\sqrt{g_*}\,T^2/m_{\rm Pl}` with :math:`c_H=\sqrt{4\pi^3/45}` (exactly, not 1.66).
* :math:`s=\tfrac{2\pi^2}{45}g_{*s}T^3`; entropy conservation :math:`g_{*s}T^3a^3=` const gives
  :math:`dT/dt=-HT/(1+\delta)`, :math:`\delta=\tfrac13d\ln g_{*s}/d\ln T`.
* Independent variable :math:`z=\ln(T_{\rm RH}/T)`, so that for any rate density :math:`\gamma`

  .. math:: \frac{dY}{dz}=(1+\delta)\frac{\gamma(T)}{H(T)\,s(T)}\qquad(=\tfrac{dY}{dx}\,x \text{ with } x=M_1/T).

  The dark bath's energy obeys :math:`d(\rho_Da^4)/dt=a^4C_E` with :math:`\rho_D\propto uT^4` and
  :math:`(Ta)^4\propto g_{*s}^{-4/3}`, hence :math:`du/dz=(1+\delta)\frac{30\,C_E}{\pi^2g_DT^4H}-4\delta u`.

Wilson coefficients and CP invariants (README §2.1, §2.4)
---------------------------------------------------------
:math:`a=\sum_i y_i\lambda_i/M_i`, :math:`b=\sum_i y_i^*\lambda_i/M_i^2`, :math:`w=\sum_i y_i^2/M_i`,
:math:`d=\sum_i\lambda_i^2/M_i`; :math:`J_w={\rm Im}(b\,a^*w)`, :math:`J_d={\rm Im}(b\,a\,d^*)`.

Rates (per CP channel, Maxwell–Boltzmann, massless; README §2.2, §2.4)
-----------------------------------------------------------------------
:math:`\gamma_5=|a|^2T^6/16\pi^5`, :math:`\gamma_6=3|b|^2T^8/2\pi^5`, :math:`\gamma_W=3|w|^2T^6/8\pi^5`,
:math:`\gamma_d(T_\chi)=|d|^2T_\chi^6/8\pi^5`; CP sources
:math:`S_L=-\tfrac98J_wT^8/\pi^6`, :math:`S_\chi=-\tfrac34J_dT^8/\pi^6`.

State and equations
-------------------
State :math:`(u=\xi^4,\ \Sigma Y_\chi,\ \Delta Y_L,\ \Delta Y_\chi)`, all zero at :math:`T=T_{\rm RH}`.

(a) Energy. :math:`\rho_D=\tfrac{\pi^2}{30}g_D\xi^4T^4`, :math:`d(\rho_Da^4)/dt=a^4[C_E^{\rm tot}(T)-C_E^{\rm tot}(\xi T)]`
and :math:`Ta={\rm const}` give

.. math:: \frac{du}{dz}=\frac{30}{\pi^2g_D\,T^4H}\big[C_E^{\rm tot}(T)-C_E^{\rm tot}(\xi T)\big].

With :math:`C_E^{\rm tot}(T)=k_5|a|^2T^7+k_6|b|^2T^9` the bracket is
:math:`k_5|a|^2T^7(1-\xi^7)+k_6|b|^2T^9(1-\xi^9)`, where (see :func:`energy_transfer_coefficients`)

* ``"exact"``: both CP channels of both processes, plasma-frame MB (:math:`sK_2` weighting):
  :math:`k_5=2\cdot12/(2\pi)^5`, :math:`k_6=2\cdot384/(2\pi)^5`.
* ``"talk"``: README §2.3 [H], :math:`C_E=\frac{T}{64\pi^4}\int ds\,\hat\sigma\,s\,K_1(\sqrt s/T)`,
  one CP channel per process.  With :math:`s=T^2z^2` and
  :math:`\int_0^\infty z^{\mu}K_1(z)dz=2^{\mu-1}\Gamma(\tfrac{2+\mu}{2})\Gamma(\tfrac{\mu}{2})`,
  i.e. :math:`\int z^5K_1=45\pi/2`, :math:`\int z^7K_1=1575\pi/2`:

  .. math::
     C_{E5}=\frac{T}{64\pi^4}\,\frac{|a|^2}{8\pi}\,2T^6\!\int z^5K_1=\frac{45\,|a|^2T^7}{512\,\pi^4},\qquad
     C_{E6}=\frac{T}{64\pi^4}\,\frac{|b|^2}{8\pi}\,2T^8\!\int z^7K_1=\frac{1575\,|b|^2T^9}{512\,\pi^4}.

  Then :math:`\xi^3d\xi/dT=-\frac{675\,m_{\rm Pl}}{1024\,\pi^6g_Dc_H\sqrt{g_*}}\,|a|^2
  [(1-\xi^7)+35\frac{|b|^2}{|a|^2}T^2(1-\xi^9)]`; for :math:`g_D=9`,
  :math:`675/(1024\cdot9\,\pi^6)\cdot64\pi=150/(2\pi)^5` and, with :math:`|a|^2=64\pi\sigma_0F_1`,
  :math:`|b|^2=16\pi\sigma_0F_2/m_1^2`, the ratio term is :math:`\tfrac{35}{4}T^2F_2/m_1^2`: the
  talk's constants 150 and 35/4.

(b) Symmetric yield:
:math:`d\Sigma Y_\chi/dz=\frac{2}{Hs}[\gamma_6(T)(1-\xi^8)+\gamma_5(T)(1-\xi^6)]`.

(c') Asymmetries (README §3.4(c'); ``m`` = 1 with ``mixed_processes`` else 0, giving (c)):

.. math::
   \frac{d\Delta Y_L}{dz}=\frac{1}{Hs}\Big\{S_L(1-\xi^8)
     -2\big[\gamma_6+\gamma_5+4\gamma_W+m(3\xi^3\gamma_5+\tfrac43\xi^4\gamma_6)\big]\mu_{LH}
     +2\big[\gamma_6(\xi T)-\gamma_5(\xi T)+m(\tfrac43\xi^4\gamma_6-3\xi^3\gamma_5)\big]\mu_{D}\Big\}

   \frac{d\Delta Y_\chi}{dz}=\frac{1}{Hs}\Big\{S_\chi(1-\xi^8)
     +2\big[\gamma_6-\gamma_5+m(\tfrac43\xi^4\gamma_6-3\xi^3\gamma_5)\big]\mu_{LH}
     -2\big[\gamma_6(\xi T)+\gamma_5(\xi T)+4\gamma_d(\xi T)+m(3\xi^3\gamma_5+\tfrac43\xi^4\gamma_6)\big]\mu_{D}\Big\}

with unlabelled :math:`\gamma` at :math:`T`, :math:`\mu_{LH}\equiv\hat\mu_L+\hat\mu_H=c_L\,\Delta Y_L` and
:math:`\mu_D\equiv\hat\mu_\chi+\hat\mu_\phi=c_D\,\Delta Y_\chi/\xi^3`:

* ``spectators="none"`` (MB susceptibilities, no Higgs asymmetry, :math:`g_L=2`, :math:`g_\chi=g_\phi=1`):
  :math:`c_L=\pi^4g_{*s}/90`, :math:`c_D=2\pi^4g_{*s}/45`.
* ``spectators="sm_equilibrium"`` (quantum susceptibilities, all SM Yukawas + both sphalerons, one
  flavour): :math:`\hat\mu_\ell+\hat\mu_H=-K\frac{4\pi^2g_{*s}}{15}Y_{B-L}`, :math:`Y_{B-L}=-\Delta Y_L`,
  :math:`K=257/711`, so :math:`c_L=K\,4\pi^2g_{*s}/15`; dark fermion + boson
  :math:`c_D=(4+2)\pi^2g_{*s}/15`.

The :math:`\xi^{-3}` of :math:`\mu_D` is cancelled analytically: with
:math:`\gamma_6(\xi T)=\xi^8\gamma_6`, :math:`\gamma_5(\xi T)=\xi^6\gamma_5`,
:math:`\gamma_d(\xi T)=\xi^6\gamma_d(T)`, the :math:`\mu_D` brackets become
:math:`c_D\Delta Y_\chi[\xi^5\gamma_6-\xi^3\gamma_5+m(\tfrac43\xi\gamma_6-3\gamma_5)]` and
:math:`c_D\Delta Y_\chi[\xi^5\gamma_6+\xi^3\gamma_5+4\xi^3\gamma_d(T)+m(3\gamma_5+\tfrac43\xi\gamma_6)]`.

Numerics
--------
``scipy.integrate.solve_ivp(method="Radau")`` (or ``method``) in :math:`z=\ln(T_{\rm RH}/T)` with an analytic Jacobian, on
the *scaled* state :math:`y_k/\sigma_k`, where :math:`\sigma_k` are the :math:`\xi\ll1` closed forms at
:math:`T_{\rm end}` (README §7 items 2–4; :func:`closed_forms`, :func:`_scales`), so every component is
O(1) at the end and ``atol`` (applied to the scaled state, default 1e-30) is negligible: the error
control is effectively purely relative on every component, asymmetries included.

Precision near :math:`\xi\to1`: the sources :math:`\propto1-\xi^8` and the energy transfer
:math:`\propto1-\xi^{7,9}` would lose all relative precision if computed as :math:`1-u^2` with
:math:`u\approx1` (the integrator then stalls on rounding noise).  The internal state therefore also
carries :math:`w=1-u` (with :math:`dw/dz=-du/dz`, a linear invariant that Runge–Kutta methods preserve to
rounding); ξ and :math:`1-\xi^n` are taken from u while :math:`u\le1/2` and from w (``log1p``/``expm1``)
above.

The integration is split at :math:`T_B=\max(T_{\rm sph},T_{\rm end})` so that :math:`\Delta Y_L(T_B)` is a
step end point (exact, not an interpolant); the two segments are each run with ``dense_output=True``.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
from scipy.integrate import solve_ivp
from scipy.interpolate import PchipInterpolator

# ----------------------------------------------------------------------------- constants
M_PL = 1.22093e19  # GeV, non-reduced Planck mass
G_STAR = 106.75  # g_* = g_*s, constant
G_STAR_S = 106.75
C_H = math.sqrt(4.0 * math.pi**3 / 45.0)  # H = C_H sqrt(g_*) T^2 / m_Pl
C_SPH = 28.0 / 79.0  # Y_B = c_s Y_{B-L}
T_SPH = 131.7  # GeV
S0_CM3 = 2891.2  # entropy density today, cm^-3
RHO_C_OVER_H2 = 1.05371e-5  # GeV cm^-3
K_SM_EQ = 257.0 / 711.0  # all SM Yukawas + both sphalerons, one flavour (crosscheck item 5)

PI = math.pi


_DOF_FILE = Path(__file__).resolve().parents[1] / "jaxcogen" / "data" / "sm_dof.csv"


@functools.cache
def _dof_interpolants():
    rows = [
        line.split(",")
        for line in _DOF_FILE.read_text().splitlines()
        if line and not line.startswith(("#", "log10"))
    ]
    x = np.array([float(r[0]) for r in rows])
    g_rho = PchipInterpolator(x, np.array([float(r[1]) for r in rows]))
    g_s = PchipInterpolator(x, np.array([float(r[2]) for r in rows]))
    return x[0], x[-1], g_rho, g_s


#: "table" (default) or "constant" (g_* = g_*s = 106.75): how the functions below get g.
G_MODE = {"mode": "table"}


def g_rho(T):
    """g_*(T) from the shipped table (PCHIP in log10 T, constant outside), or 106.75."""
    if G_MODE["mode"] == "constant":
        return G_STAR
    lo, hi, f, _ = _dof_interpolants()
    return float(f(min(max(math.log10(T), lo), hi)))


def g_s(T):
    """g_*s(T) from the shipped table, or 106.75."""
    if G_MODE["mode"] == "constant":
        return G_STAR_S
    lo, hi, _, f = _dof_interpolants()
    return float(f(min(max(math.log10(T), lo), hi)))


def delta_heating(T):
    """δ = (1/3) d ln g_*s / d ln T (0 outside the table and for constant g)."""
    if G_MODE["mode"] == "constant":
        return 0.0
    lo, hi, _, f = _dof_interpolants()
    x = math.log10(T)
    if not lo < x < hi:
        return 0.0
    return float(f.derivative()(x)) / (float(f(x)) * math.log(10.0)) / 3.0


def hubble(T):
    """H(T) = sqrt(4 pi^3/45) sqrt(g_*) T^2 / m_Pl."""
    return C_H * math.sqrt(g_rho(T)) * T**2 / M_PL


def entropy(T):
    """s(T) = (2 pi^2/45) g_*s T^3."""
    return 2.0 * PI**2 / 45.0 * g_s(T) * T**3


# ----------------------------------------------------------------------------- couplings
def wilson_coefficients(params: dict) -> dict:
    r"""Wilson coefficients of README §2.1.

    :math:`a=\sum y_i\lambda_i/M_i`, :math:`b=\sum y_i^*\lambda_i/M_i^2`, :math:`w=\sum y_i^2/M_i`,
    :math:`d=\sum\lambda_i^2/M_i` (complex).
    """
    M = (float(params["M1"]), float(params["M2"]))
    y = (complex(params["y1"]), complex(params["y2"]))
    lam = (complex(params["lambda1"]), complex(params["lambda2"]))
    a = sum(y[i] * lam[i] / M[i] for i in range(2))
    b = sum(y[i].conjugate() * lam[i] / M[i] ** 2 for i in range(2))
    w = sum(y[i] ** 2 / M[i] for i in range(2))
    d = sum(lam[i] ** 2 / M[i] for i in range(2))
    return {"a": a, "b": b, "w": w, "d": d}


def cp_invariants(params: dict) -> dict:
    r""":math:`J_w={\rm Im}(b\,a^*w)`, :math:`J_d={\rm Im}(b\,a\,d^*)` (README §2.4)."""
    c = wilson_coefficients(params)
    a, b, w, d = c["a"], c["b"], c["w"], c["d"]
    return {
        "J_w": float((b * a.conjugate() * w).imag),
        "J_d": float((b * a * d.conjugate()).imag),
    }


# ----------------------------------------------------------------------------- rate coefficients
def energy_transfer_coefficients(energy_transfer: str = "exact") -> tuple[float, float]:
    r"""(k5, k6) with :math:`C_E^{\rm tot}(T)=k_5|a|^2T^7+k_6|b|^2T^9` (see module docstring (a)).

    ``"exact"``: :math:`k_5=24/(2\pi)^5`, :math:`k_6=768/(2\pi)^5` (both CP channels, :math:`sK_2`).
    ``"talk"``:  :math:`k_5=45/(512\pi^4)`, :math:`k_6=1575/(512\pi^4)` (one channel, :math:`\sqrt s`
    weighting with :math:`K_1`).
    """
    if energy_transfer == "exact":
        return 2.0 * 12.0 / (2 * PI) ** 5, 2.0 * 384.0 / (2 * PI) ** 5
    if energy_transfer == "talk":
        return 45.0 / (512.0 * PI**4), 1575.0 / (512.0 * PI**4)
    raise ValueError(f"unknown energy_transfer {energy_transfer!r}")


def chemical_potential_coefficients(
    spectators: str = "none", T: float = 1e16
) -> tuple[float, float]:
    r"""(c_L, c_D) with :math:`\hat\mu_L+\hat\mu_H=c_L\Delta Y_L`, :math:`\hat\mu_\chi+\hat\mu_\phi=c_D\Delta Y_\chi/\xi^3`.

    ``"none"``: MB, :math:`\hat\mu_X=\pi^4g_{*s}\Delta Y_X/(45g_X(T_X/T)^3)`, no Higgs asymmetry,
    :math:`g_L=2`, :math:`g_\chi=g_\phi=1`: :math:`c_L=\pi^4g_{*s}/90`, :math:`c_D=2\pi^4g_{*s}/45`.
    ``"sm_equilibrium"``: quantum statistics, :math:`c_L=K\cdot4\pi^2g_{*s}/15` with
    :math:`K=257/711`; :math:`c_D=4\pi^2g_{*s}/15+2\pi^2g_{*s}/15`.
    """
    gs = g_s(T)
    if spectators == "none":
        return PI**4 * gs / (45.0 * 2.0), PI**4 * gs / 45.0 * (1.0 + 1.0)
    if spectators == "sm_equilibrium":
        return (
            K_SM_EQ * 4.0 * PI**2 * gs / 15.0,
            4.0 * PI**2 * gs / 15.0 + 2.0 * PI**2 * gs / 15.0,
        )
    raise ValueError(f"unknown spectators {spectators!r}")


def _couplings(params: dict) -> dict:
    c = wilson_coefficients(params)
    j = cp_invariants(params)
    return {
        "a2": abs(c["a"]) ** 2,
        "b2": abs(c["b"]) ** 2,
        "w2": abs(c["w"]) ** 2,
        "d2": abs(c["d"]) ** 2,
        "J_w": j["J_w"],
        "J_d": j["J_d"],
    }


# ----------------------------------------------------------------------------- right-hand side
def _terms(T, u, w, c, energy_transfer, g_dark, mixed_processes, spectators, fixed_xi):
    """Everything the right-hand side and its Jacobian need at temperature T.

    ``u`` = ξ^4 and ``w`` = 1 − u (``w`` may be None: then 1 − u).  ξ and the factors 1 − ξ^n are
    computed from u while u ≤ 1/2 and from w = 1 − u above, so that both ξ ≪ 1 and ξ → 1 (where
    the sources ∝ 1 − ξ^8 are tiny) keep full relative precision.
    """
    k5, k6 = energy_transfer_coefficients(energy_transfer)
    cL, cD = chemical_potential_coefficients(spectators, T)
    m = 1.0 if mixed_processes else 0.0
    if fixed_xi is not None:
        xi = float(fixed_xi)
        u = xi**4
        om = {n: 1.0 - xi**n for n in (6, 7, 8, 9)}
    elif w is None or u <= 0.5:
        u = max(u, 0.0)
        xi = u**0.25
        om = {n: 1.0 - xi**n for n in (6, 7, 8, 9)}
    else:
        lg = math.log1p(-w)  # ln u
        u = 1.0 - w
        xi = math.exp(0.25 * lg)
        om = {n: -math.expm1(0.25 * n * lg) for n in (6, 7, 8, 9)}  # 1 - xi^n
    H = hubble(T)
    return dict(
        T=T,
        u=u,
        xi=xi,
        om=om,
        m=m,
        cL=cL,
        cD=cD,
        H=H,
        heating=1.0 + delta_heating(T),
        Hs=H * entropy(T) / (1.0 + delta_heating(T)),  # (H s)/(1+δ): every rate is divided by it
        pre_u=30.0 / (PI**2 * g_dark * T**4 * H),
        g5=c["a2"] * T**6 / (16.0 * PI**5),
        g6=3.0 * c["b2"] * T**8 / (2.0 * PI**5),
        gW=3.0 * c["w2"] * T**6 / (8.0 * PI**5),
        gd=c["d2"] * T**6 / (8.0 * PI**5),  # gamma_d at temperature T; gamma_d(xi T) = xi^6 gd
        SL=-9.0 / 8.0 * c["J_w"] * T**8 / PI**6,
        SX=-3.0 / 4.0 * c["J_d"] * T**8 / PI**6,
        CE5=k5 * c["a2"] * T**7,  # C_E^tot = CE5 + CE6 at temperature T
        CE6=k6 * c["b2"] * T**9,
    )


def _brackets(q):
    """The four wash-out / transfer brackets of (c'), the μ_D ones already divided by ξ^3."""
    u, xi, m, g5, g6 = q["u"], q["xi"], q["m"], q["g5"], q["g6"]
    xi3 = xi**3
    wash_L = g6 + g5 + 4.0 * q["gW"] + m * (3.0 * xi3 * g5 + 4.0 / 3.0 * u * g6)
    tr_L_from_D = xi**5 * g6 - xi3 * g5 + m * (4.0 / 3.0 * xi * g6 - 3.0 * g5)
    tr_D_from_L = g6 - g5 + m * (4.0 / 3.0 * u * g6 - 3.0 * xi3 * g5)
    wash_D = xi**5 * g6 + xi3 * g5 + 4.0 * xi3 * q["gd"] + m * (3.0 * g5 + 4.0 / 3.0 * xi * g6)
    return wash_L, tr_L_from_D, tr_D_from_L, wash_D


def derivatives(
    T: float,
    state,
    params: dict,
    *,
    energy_transfer: str = "exact",
    g_dark: float = 9.0,
    mixed_processes: bool = True,
    spectators: str = "none",
    fixed_xi: float | None = None,
    one_minus_u: float | None = None,
    _cache: dict | None = None,
) -> np.ndarray:
    r"""d/dz of the physical state (u, ΣY_χ, ΔY_L, ΔY_χ) at temperature T, z = ln(T_RH/T).

    Implements the module docstring's (a), (b), (c') with the ξ^{-3} of μ_D cancelled analytically.
    ``one_minus_u``: optionally 1 − u carried separately (precision near ξ = 1).
    """
    c = _cache if _cache is not None else _couplings(params)
    q = _terms(
        T,
        float(state[0]),
        one_minus_u,
        c,
        energy_transfer,
        g_dark,
        mixed_processes,
        spectators,
        fixed_xi,
    )
    dL, dX = float(state[2]), float(state[3])
    g5, g6, Hs, om = q["g5"], q["g6"], q["Hs"], q["om"]

    # (a) energy
    if fixed_xi is not None:
        du = 0.0
    else:
        du = q["heating"] * q["pre_u"] * (q["CE5"] * om[7] + q["CE6"] * om[9])
        du -= 4.0 * (q["heating"] - 1.0) * q["u"]
    # (b) symmetric yield
    dsig = 2.0 * (g6 * om[8] + g5 * om[6]) / Hs
    # (c') asymmetries
    wash_L, tr_L_from_D, tr_D_from_L, wash_D = _brackets(q)
    muLH = q["cL"] * dL
    cDX = q["cD"] * dX  # = xi^3 (mu_chi + mu_phi)
    ddL = (q["SL"] * om[8] - 2.0 * wash_L * muLH + 2.0 * tr_L_from_D * cDX) / Hs
    ddX = (q["SX"] * om[8] + 2.0 * tr_D_from_L * muLH - 2.0 * wash_D * cDX) / Hs
    return np.array([du, dsig, ddL, ddX])


def jacobian(
    T: float,
    state,
    params: dict,
    *,
    energy_transfer: str = "exact",
    g_dark: float = 9.0,
    mixed_processes: bool = True,
    spectators: str = "none",
    fixed_xi: float | None = None,
    one_minus_u: float | None = None,
    _cache: dict | None = None,
) -> np.ndarray:
    r"""∂(d state/dz)/∂state for the state (u, ΣY_χ, ΔY_L, ΔY_χ); analytic, for Radau's Newton steps.

    Uses :math:`d(\xi^k)/du=\tfrac k4\xi^{k-4}`; the entries with negative powers of ξ (they multiply
    ΔY's that vanish at least as fast along the solution) are set to zero at u = 0.
    """
    c = _cache if _cache is not None else _couplings(params)
    q = _terms(
        T,
        float(state[0]),
        one_minus_u,
        c,
        energy_transfer,
        g_dark,
        mixed_processes,
        spectators,
        fixed_xi,
    )
    dL, dX = float(state[2]), float(state[3])
    u, xi, m, g5, g6, Hs = q["u"], q["xi"], q["m"], q["g5"], q["g6"], q["Hs"]
    cL, cD, gd = q["cL"], q["cD"], q["gd"]
    xi3 = xi**3
    J = np.zeros((4, 4))

    wash_L, tr_L_from_D, tr_D_from_L, wash_D = _brackets(q)
    J[2, 2] = -2.0 * wash_L * cL / Hs
    J[2, 3] = 2.0 * tr_L_from_D * cD / Hs
    J[3, 2] = 2.0 * tr_D_from_L * cL / Hs
    J[3, 3] = -2.0 * wash_D * cD / Hs

    if fixed_xi is None:
        J[0, 0] = q["heating"] * q["pre_u"] * (-1.75 * q["CE5"] * xi3 - 2.25 * q["CE6"] * xi**5)
        J[0, 0] -= 4.0 * (q["heating"] - 1.0)
        J[1, 0] = 2.0 * (-2.0 * u * g6 - 1.5 * xi**2 * g5) / Hs
        if u > 0.0:
            d_wash_L = m * (2.25 * g5 / xi + 4.0 / 3.0 * g6)
            d_tr_LD = 1.25 * xi * g6 - 0.75 * g5 / xi + m * g6 / (3.0 * xi3)
            d_tr_DL = m * (4.0 / 3.0 * g6 - 2.25 * g5 / xi)
            d_wash_D = 1.25 * xi * g6 + 0.75 * g5 / xi + 3.0 * gd / xi + m * g6 / (3.0 * xi3)
        else:
            d_wash_L = m * 4.0 / 3.0 * g6
            d_tr_LD = d_tr_DL = d_wash_D = 0.0
        J[2, 0] = (-2.0 * u * q["SL"] - 2.0 * d_wash_L * cL * dL + 2.0 * d_tr_LD * cD * dX) / Hs
        J[3, 0] = (-2.0 * u * q["SX"] + 2.0 * d_tr_DL * cL * dL - 2.0 * d_wash_D * cD * dX) / Hs
    return J


# ----------------------------------------------------------------------------- closed forms
def _freeze_in_integral(n: int, T_RH: float, T_end: float) -> float:
    r""":math:`\int_{T_{\rm end}}^{T_{\rm RH}}\frac{dT}{T}\frac{T^n}{H s}` for a rate :math:`\gamma=T^n`.

    :math:`Hs=c_H\sqrt{g_*}\tfrac{2\pi^2}{45}g_{*s}T^5/m_{\rm Pl}`, so this is
    :math:`\frac{45m_{\rm Pl}}{2\pi^2g_{*s}c_H\sqrt{g_*}}\frac{T_{\rm RH}^{n-5}-T_{\rm end}^{n-5}}{n-5}`
    (:math:`\ln(T_{\rm RH}/T_{\rm end})` for :math:`n=5`).
    """
    pref = 45.0 * M_PL / (2.0 * PI**2 * G_STAR_S * C_H * math.sqrt(G_STAR))
    if n == 5:
        return pref * math.log(T_RH / T_end)
    return pref * (T_RH ** (n - 5) - T_end ** (n - 5)) / (n - 5)


def closed_forms(params: dict, T: float, *, energy_transfer: str = "exact", g_dark: float = 9.0):
    r"""ξ≪1 closed forms (README §7 items 2–4) from :math:`T_{\rm RH}` down to finite T.

    * :math:`u=\xi^4=\frac{30m_{\rm Pl}}{\pi^2g_Dc_H\sqrt{g_*}}[k_5|a|^2(T_{\rm RH}-T)+k_6|b|^2(T_{\rm RH}^3-T^3)/3]`
      (from :math:`du/dz=\frac{30m_{\rm Pl}}{\pi^2g_Dc_H\sqrt{g_*}}(k_5|a|^2T+k_6|b|^2T^3)`, :math:`dz=-dT/T`).
    * :math:`\Sigma Y_\chi=2\big[\tfrac{|a|^2}{16\pi^5}I(6)+\tfrac{3|b|^2}{2\pi^5}I(8)\big]` with
      :math:`I(n)` of :func:`_freeze_in_integral` (the rate :math:`\gamma=T^n`).
    * :math:`\Delta Y_L=-\tfrac98\tfrac{J_w}{\pi^6}I(8)`, :math:`\Delta Y_\chi=-\tfrac34\tfrac{J_d}{\pi^6}I(8)`.
    """
    c = _couplings(params)
    T_RH = float(params["T_RH"])
    k5, k6 = energy_transfer_coefficients(energy_transfer)
    pre_u = 30.0 * M_PL / (PI**2 * g_dark * C_H * math.sqrt(G_STAR))
    u = pre_u * (k5 * c["a2"] * (T_RH - T) + k6 * c["b2"] * (T_RH**3 - T**3) / 3.0)
    I6 = _freeze_in_integral(6, T_RH, T)
    I8 = _freeze_in_integral(8, T_RH, T)
    sig = 2.0 * (c["a2"] / (16.0 * PI**5) * I6 + 3.0 * c["b2"] / (2.0 * PI**5) * I8)
    dL = -9.0 / 8.0 * c["J_w"] / PI**6 * I8
    dX = -3.0 / 4.0 * c["J_d"] / PI**6 * I8
    return {"u": u, "SigmaY_chi": sig, "DeltaY_L": dL, "DeltaY_chi": dX}


def _scales(params, T_end, energy_transfer, g_dark, fixed_xi) -> np.ndarray:
    """Characteristic sizes of (u, ΣY, ΔY_L, ΔY_χ): ξ≪1 closed forms at T_end, guarded against 0."""
    cf = closed_forms(params, T_end, energy_transfer=energy_transfer, g_dark=g_dark)
    if fixed_xi is not None:
        su = float(fixed_xi) ** 4
    else:
        su = min(cf["u"], 1.0)  # xi never exceeds 1
    su = su if su > 0.0 else 1.0
    ss = cf["SigmaY_chi"] if cf["SigmaY_chi"] > 0.0 else 1.0
    aL, aX = abs(cf["DeltaY_L"]), abs(cf["DeltaY_chi"])
    fallback = max(aL, aX) if max(aL, aX) > 0.0 else ss
    sL = aL if aL > 0.0 else fallback
    sX = aX if aX > 0.0 else fallback
    return np.array([su, ss, sL, sX])


# ----------------------------------------------------------------------------- solver
def reference_solve(
    params: dict,
    *,
    energy_transfer: str = "exact",
    g_dark: float = 9.0,
    mixed_processes: bool = True,
    spectators: str = "none",
    T_end_ratio: float = 1e-8,
    rtol: float = 1e-12,
    atol: float = 1e-30,
    fixed_xi: float | None = None,
    method: str = "Radau",
) -> dict:
    r"""Integrate (u, ΣY_χ, ΔY_L, ΔY_χ) from T_RH (all zero; u = fixed_xi^4 if given) to
    T_end = max(T_end_ratio·T_RH, T_sph) with Radau and return the observables.

    ``atol`` applies to the scaled state (each component divided by its ξ≪1 closed form at
    T_end, so O(1)); the default 1e-30 makes the control purely relative.

    Returns floats: ``xi_final`` = u(T_end)^{1/4}; ``SigmaY_chi``, ``DeltaY_L``, ``DeltaY_chi`` at
    T_end; ``DeltaY_B`` = c_s Y_{B-L} = -(28/79) ΔY_L(T_B), T_B = max(T_sph, T_end) (clipped to
    T_RH, where ΔY_L = 0); ``Omega_chi_h2_frozen_in`` = m_χ ΣY_χ s_0/(ρ_c/h^2); ``nfev`` (both segments).
    """
    T_RH = float(params["T_RH"])
    if not 0.0 < T_end_ratio < 1.0:
        raise ValueError("need 0 < T_end_ratio < 1")
    T_end = max(T_end_ratio * T_RH, T_SPH)  # production stops at sphaleron freeze-out at the latest
    cache = _couplings(params)
    scale = _scales(params, T_end, energy_transfer, g_dark, fixed_xi)
    opts = dict(
        energy_transfer=energy_transfer,
        g_dark=g_dark,
        mixed_processes=mixed_processes,
        spectators=spectators,
        fixed_xi=fixed_xi,
    )

    # Independent variable z = ln(T_RH/T).  (Near T_RH, u ∝ z and ξ ∝ z^(1/4), so terms such as
    # ξ·ΔY_χ ∝ z^(5/4) are not smooth at z = 0; the step-size control resolves this cheaply, and a
    # z^(1/4) variable was tried and found 4x more expensive at equal accuracy.)
    # Internal state (u, w = 1 - u, ΣY, ΔY_L, ΔY_χ), each divided by its scale.  w is redundant
    # (dw = -du, a linear invariant that Runge-Kutta methods keep to rounding); the right-hand side
    # reads ξ from u while u <= 1/2 and from w above, so 1 - ξ^n keeps full precision near ξ = 1.
    sc = np.array([scale[0], 1.0, scale[1], scale[2], scale[3]])

    def split(ys):
        y = ys * sc
        return y[0], y[1], np.array([y[0], y[2], y[3], y[4]])

    def rhs(z, ys):
        T = T_RH * math.exp(-z)
        u, w, st = split(ys)
        f = derivatives(T, st, params, one_minus_u=w, _cache=cache, **opts)
        out = np.array([f[0], -f[0], f[1], f[2], f[3]])
        return out / sc

    def jac(z, ys):
        T = T_RH * math.exp(-z)
        u, w, st = split(ys)
        Jp = jacobian(T, st, params, one_minus_u=w, _cache=cache, **opts)
        J = np.zeros((5, 5))
        rows = [0, 2, 3, 4]
        col_u = 0 if (fixed_xi is not None or u <= 0.5) else 1  # the variable ξ is read from
        sign = 1.0 if col_u == 0 else -1.0
        for i, r in enumerate(rows):
            J[r, col_u] = sign * Jp[i, 0]
            J[r, 2:] = Jp[i, 1:]
        J[1, :] = -J[0, :]
        return J * sc[None, :] / sc[:, None]

    z_end = math.log(T_RH / T_end)
    T_B = min(max(T_SPH, T_end), T_RH)
    z_B = math.log(T_RH / T_B)

    u0 = 0.0 if fixed_xi is None else float(fixed_xi) ** 4
    y0 = np.array([u0, 1.0 - u0, 0.0, 0.0, 0.0]) / sc

    nfev = 0
    y_B = y0.copy()
    y = y0.copy()
    t0 = 0.0
    for t1 in (z_B, z_end):
        if t1 <= t0:
            continue
        sol = solve_ivp(
            rhs, (t0, t1), y, method=method, rtol=rtol, atol=atol, jac=jac, dense_output=True
        )
        if not sol.success:
            raise RuntimeError(f"solve_ivp failed: {sol.message}")
        nfev += int(sol.nfev)
        y = sol.y[:, -1].copy()
        if t1 == z_B:
            y_B = y.copy()
        t0 = t1

    phys = y * sc
    phys_B = y_B * sc
    if fixed_xi is not None:
        xi_final = float(fixed_xi)
    elif phys[0] <= 0.5:
        xi_final = max(phys[0], 0.0) ** 0.25
    else:
        xi_final = math.exp(0.25 * math.log1p(-phys[1]))
    sig = float(phys[2])
    return {
        "xi_final": float(xi_final),
        "SigmaY_chi": sig,
        "DeltaY_L": float(phys[3]),
        "DeltaY_chi": float(phys[4]),
        "DeltaY_B": float(-C_SPH * phys_B[3]),
        "Omega_chi_h2_frozen_in": float(params["m_chi"]) * sig * S0_CM3 / RHO_C_OVER_H2,
        "nfev": nfev,
    }
