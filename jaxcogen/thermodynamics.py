r"""Thermodynamics of the Standard-Model plasma and of a dark bath: :math:`g_*(T)`, :math:`g_{*s}(T)`.

**SM table** (``jaxcogen/data/sm_dof.csv``, 1 keV … :math:`10^{16}` GeV, three pieces):

- :math:`1\ {\rm MeV}\le T\le282` GeV: the published table S2 of Borsanyi et al., *Calculation of
  the axion mass based on high-temperature lattice QCD*, Nature 539 (2016) 69, arXiv:1606.07494
  (lattice QCD equation of state plus the perturbative electroweak sector; columns
  :math:`\log_{10}(T/{\rm MeV})`, :math:`g_\rho`, :math:`g_\rho/g_s`) **[S]**. These rows are the
  published numbers, unchanged; they include the lattice QCD crossover.
- :math:`T\le0.3` MeV: computed here **[D]** — photons, :math:`e^\pm` (exact Fermi–Dirac integrals,
  :math:`m_e=0.511` MeV) and three neutrino flavours decoupled instantaneously before :math:`e^\pm`
  annihilation, :math:`(T_\nu/T)^3=g_{s,\gamma e}(T)/\tfrac{11}{2}`. Limits: :math:`g_{*s}=43/11=3.909`,
  :math:`g_*=2+\tfrac{21}{4}(4/11)^{4/3}=3.363` today.
- :math:`T\ge1` TeV: ideal gas of the SM with :math:`t,h,Z,W` masses **[D]**, tending to 106.75.
  The published table stops at 282 GeV with 104.98 (its interaction corrections lower
  :math:`g_*` by ~1.5 %); the ideal-gas continuation is the convention that keeps the production
  stage's 106.75 above the electroweak scale. Between 282 GeV and 1 TeV the interpolant bridges
  the two (a stated, ≲1.5 % modelling choice).

:func:`build_sm_table` regenerates the computed rows; a test checks that the shipped file agrees.

**Interpolation**: monotone piecewise-cubic Hermite (Fritsch–Carlson slopes) in
:math:`\log_{10}T`, so :math:`g` is :math:`C^1`, never overshoots the nodes, and reproduces every
node exactly; constant outside the table. Jittable and differentiable in :math:`T`.

**Species functions**: :func:`dof_fraction` gives :math:`\rho(m/T)/\rho(0)` and :math:`s(m/T)/s(0)` for
one Fermi–Dirac or Bose–Einstein species at zero chemical potential (tabulated on first use by
quadrature), :func:`log_z2_K2` gives :math:`\ln[z^2K_2(z)]` for Maxwell–Boltzmann number densities.
"""

from __future__ import annotations

import functools
import math
from importlib import resources

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import ArrayLike, Float

#: Electron mass [GeV] (PDG).
m_electron: float = 0.51099895e-3

#: SM masses [GeV] (PDG) used in the ideal-gas continuation above 1 TeV: (mass, dof, is_fermion).
_SM_HEAVY = (
    (172.69, 12.0, True),  # top quark
    (125.25, 1.0, False),  # Higgs boson
    (91.1876, 3.0, False),  # Z
    (80.377, 6.0, False),  # W+-
    (4.18, 12.0, True),  # bottom
    (1.777, 4.0, True),  # tau
    (1.27, 12.0, True),  # charm
)
#: massless (at T >= 1 TeV) SM content: photon + gluons (18 bosonic dof); u, d, s, e, mu, 3 nu
_SM_LIGHT_BOSONS = 18.0
_SM_LIGHT_FERMIONS = 3 * 12.0 + 2 * 4.0 + 3 * 2.0

_DATA_FILE = "sm_dof.csv"
_LOW_T_NODES = tuple(np.round(np.arange(-4.0, -0.49, 0.25), 2))  # log10(T/MeV)
_HIGH_T_NODES = (6.0, 6.5, 7.0, 8.0, 9.0, 10.0, 12.0, 14.0, 16.0, 19.0)  # log10(T/MeV)


# ---- thermodynamic integrals (numpy/scipy; run once) --------------------------------------------


def _ideal_gas_fractions_np(z: float, fermion: bool) -> tuple[float, float]:
    r"""(:math:`\rho/\rho_0`, :math:`s/s_0`) of one species with :math:`z=m/T`, zero chemical potential."""
    from scipy import integrate

    sign = 1.0 if fermion else -1.0
    if z > 700.0:
        return 0.0, 0.0

    def occ(E):
        return 1.0 / (math.exp(E) + sign) if E < 700 else 0.0

    def rho_int(y):
        E = math.sqrt(y * y + z * z)
        return y * y * E * occ(E)

    def p_int(y):
        E = math.sqrt(y * y + z * z)
        return y**4 / (3.0 * E) * occ(E) if E > 0 else 0.0

    kw = dict(limit=400, epsabs=0.0, epsrel=1e-12)
    ymax = 60.0 + 2.0 * math.sqrt(60.0 * z)
    pts = [min(0.5 * z + 1e-3, ymax / 2)]
    rho = integrate.quad(rho_int, 0.0, ymax, points=pts, **kw)[0]
    p = integrate.quad(p_int, 0.0, ymax, points=pts, **kw)[0]
    # massless: rho_0 = (7/8) pi^4/15 (fermion) or pi^4/15 (boson), in units T^4/(2 pi^2) per dof
    rho0 = (7.0 / 8.0 if fermion else 1.0) * math.pi**4 / 15.0
    s0 = 4.0 / 3.0 * rho0
    return rho / rho0, (rho + p) / s0


def _sm_low_T(T_GeV: float) -> tuple[float, float]:
    """(g_rho, g_s) of photons + e+- + decoupled neutrinos (instantaneous decoupling) [D]."""
    f_rho, f_s = _ideal_gas_fractions_np(m_electron / T_GeV, True)
    g_s_gamma_e = 2.0 + 7.0 / 8.0 * 4.0 * f_s
    r = g_s_gamma_e / 5.5  # (T_nu/T)^3
    g_s = g_s_gamma_e + 7.0 / 8.0 * 6.0 * r
    g_rho = 2.0 + 7.0 / 8.0 * 4.0 * f_rho + 7.0 / 8.0 * 6.0 * r ** (4.0 / 3.0)
    return g_rho, g_s


def _sm_high_T(T_GeV: float) -> tuple[float, float]:
    """(g_rho, g_s) of the SM ideal gas with the heavy masses (valid for T >= 1 TeV) [D]."""
    g_rho = _SM_LIGHT_BOSONS + 7.0 / 8.0 * _SM_LIGHT_FERMIONS
    g_s = g_rho
    for m, g, fermion in _SM_HEAVY:
        f_rho, f_s = _ideal_gas_fractions_np(m / T_GeV, fermion)
        w = 7.0 / 8.0 * g if fermion else g
        g_rho += w * f_rho
        g_s += w * f_s
    return g_rho, g_s


#: Borsanyi et al. 2016 (arXiv:1606.07494), Table S2: log10(T/MeV), g_rho, g_rho/g_s [S].
#: Kept here only to *build* the data file; the package reads the file.
_BORSANYI_2016_S2 = (
    (0.00, 10.71, 1.00228), (0.50, 10.74, 1.00029), (1.00, 10.76, 1.00048),
    (1.25, 11.09, 1.00505), (1.60, 13.68, 1.02159), (2.00, 17.61, 1.02324),
    (2.15, 24.07, 1.05423), (2.20, 29.84, 1.07578), (2.40, 47.83, 1.06118),
    (2.50, 53.04, 1.04690), (3.00, 73.48, 1.01778), (4.00, 83.10, 1.00123),
    (4.30, 85.56, 1.00389), (4.60, 91.97, 1.00887), (5.00, 102.17, 1.00750),
    (5.45, 104.98, 1.00023),
)  # fmt: skip


def build_sm_table() -> list[tuple[float, float, float, str]]:
    """Rows ``(log10(T/GeV), g_rho, g_s, source)`` of the shipped SM table (regenerates the file)."""
    rows = []
    for lt in _LOW_T_NODES:
        g_rho, g_s = _sm_low_T(10.0 ** (lt - 3.0))
        rows.append((lt - 3.0, g_rho, g_s, "ideal_gas_e_annihilation"))
    for lt, g_rho, ratio in _BORSANYI_2016_S2:
        rows.append((lt - 3.0, g_rho, g_rho / ratio, "borsanyi2016_tableS2"))
    for lt in _HIGH_T_NODES:
        g_rho, g_s = _sm_high_T(10.0 ** (lt - 3.0))
        rows.append((lt - 3.0, g_rho, g_s, "ideal_gas_SM"))
    return rows


def write_sm_table(path) -> None:
    """Write :func:`build_sm_table` as the CSV the package ships."""
    header = (
        "# SM effective degrees of freedom g_rho(T) (= g_*), g_s(T) (= g_*s); jaxcogen.thermodynamics\n"
        "# borsanyi2016_tableS2: Borsanyi et al., Nature 539 (2016) 69, arXiv:1606.07494, Table S2"
        " (g_s = g_rho / (g_rho/g_s) of the table)\n"
        "# ideal_gas_e_annihilation: photons + e+- (FD, m_e) + 3 nu decoupled instantaneously"
        " [derived]\n"
        "# ideal_gas_SM: SM ideal gas with t, h, Z, W, b, tau, c masses (PDG), -> 106.75 [derived]\n"
        "log10_T_GeV,g_rho,g_s,source\n"
    )
    with open(path, "w") as fh:
        fh.write(header)
        for lt, g_rho, g_s, src in build_sm_table():
            fh.write(f"{lt:.4f},{g_rho:.15g},{g_s:.15g},{src}\n")


# ---- monotone cubic Hermite interpolation ------------------------------------------------------


def pchip_slopes(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Fritsch–Carlson monotone slopes (the PCHIP rule) for nodes ``x`` (increasing), values ``y``."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    h = np.diff(x)
    d = np.diff(y) / h
    m = np.zeros_like(y)
    for k in range(1, len(x) - 1):
        if d[k - 1] * d[k] > 0:
            w1, w2 = 2 * h[k] + h[k - 1], h[k] + 2 * h[k - 1]
            m[k] = (w1 + w2) / (w1 / d[k - 1] + w2 / d[k])
    m[0] = _pchip_end(h[0], h[1], d[0], d[1]) if len(x) > 2 else d[0]
    m[-1] = _pchip_end(h[-1], h[-2], d[-1], d[-2]) if len(x) > 2 else d[-1]
    return m


def _pchip_end(h0, h1, d0, d1):
    m = ((2 * h0 + h1) * d0 - h0 * d1) / (h0 + h1)
    if np.sign(m) != np.sign(d0):
        return 0.0
    if np.sign(d0) != np.sign(d1) and abs(m) > abs(3 * d0):
        return 3 * d0
    return m


class HermiteTable:
    """A cubic Hermite interpolant, constant outside its nodes (JAX evaluation).

    ``slopes="pchip"``: monotone Fritsch–Carlson slopes (tabulated data: no overshoot);
    ``"spline"``: the slopes of the not-a-knot cubic spline (smooth functions: fourth order).
    """

    def __init__(self, x, y, slopes: str = "pchip"):
        self.x_np = np.asarray(x, float)
        self.y_np = np.asarray(y, float)
        if slopes == "spline":
            from scipy.interpolate import CubicSpline

            self.m_np = CubicSpline(self.x_np, self.y_np)(self.x_np, 1)
        else:
            self.m_np = pchip_slopes(self.x_np, self.y_np)

    def __call__(self, xq):
        x, y, m = jnp.asarray(self.x_np), jnp.asarray(self.y_np), jnp.asarray(self.m_np)
        xq = jnp.clip(jnp.asarray(xq, dtype=jnp.float64), x[0], x[-1])
        i = jnp.clip(jnp.searchsorted(x, xq, side="right") - 1, 0, x.shape[0] - 2)
        h = x[i + 1] - x[i]
        t = (xq - x[i]) / h
        t2, t3 = t * t, t * t * t
        return (
            (2 * t3 - 3 * t2 + 1) * y[i]
            + (t3 - 2 * t2 + t) * h * m[i]
            + (-2 * t3 + 3 * t2) * y[i + 1]
            + (t3 - t2) * h * m[i + 1]
        )


# ---- the SM table --------------------------------------------------------------------------------


@functools.cache
def sm_table() -> dict[str, np.ndarray]:
    """The shipped SM table as arrays (``log10_T_GeV``, ``g_rho``, ``g_s``, ``source``)."""
    text = resources.files("jaxcogen.data").joinpath(_DATA_FILE).read_text()
    rows = [ln.split(",") for ln in text.splitlines() if ln and not ln.startswith(("#", "log10"))]
    return {
        "log10_T_GeV": np.array([float(r[0]) for r in rows]),
        "g_rho": np.array([float(r[1]) for r in rows]),
        "g_s": np.array([float(r[2]) for r in rows]),
        "source": np.array([r[3] for r in rows]),
    }


@functools.cache
def _sm_interpolants() -> tuple[HermiteTable, HermiteTable]:
    t = sm_table()
    return HermiteTable(t["log10_T_GeV"], t["g_rho"]), HermiteTable(t["log10_T_GeV"], t["g_s"])


def g_star(T: Float[ArrayLike, "..."]) -> Float[ArrayLike, "..."]:
    r"""SM energy-density dof :math:`g_*(T)` [T in GeV], from the shipped table (module docstring)."""
    return _sm_interpolants()[0](jnp.log10(jnp.asarray(T, dtype=jnp.float64)))


def g_star_s(T: Float[ArrayLike, "..."]) -> Float[ArrayLike, "..."]:
    r"""SM entropy dof :math:`g_{*s}(T)` [T in GeV], from the shipped table (module docstring)."""
    return _sm_interpolants()[1](jnp.log10(jnp.asarray(T, dtype=jnp.float64)))


def dlng_star_s_dlnT(T: Float[ArrayLike, "..."]) -> Float[ArrayLike, "..."]:
    r""":math:`d\ln g_{*s}/d\ln T` (enters :math:`dt/d\ln T` when :math:`g_{*s}` varies)."""
    lnT = jnp.log(jnp.asarray(T, dtype=jnp.float64))

    def f(lt):
        return jnp.log(g_star_s(jnp.exp(lt)))

    return jax.jvp(f, (lnT,), (jnp.ones_like(lnT),))[1]


# ---- one species: FD/BE dof fractions and MB number density ------------------------------------

_Z_NODES = np.linspace(-3.0, 2.5, 111)  # log10(m/T)


@functools.cache
def _species_tables() -> dict[tuple[str, bool], HermiteTable]:
    """``(quantity, fermion) -> table of ln f + z`` on log10 z (smooth; built once by quadrature)."""
    out = {}
    z = 10.0**_Z_NODES
    for fermion in (True, False):
        fr = np.array([_ideal_gas_fractions_np(zi, fermion) for zi in z])
        out[("rho", fermion)] = HermiteTable(_Z_NODES, np.log(fr[:, 0]) + z, "spline")
        out[("s", fermion)] = HermiteTable(_Z_NODES, np.log(fr[:, 1]) + z, "spline")
    return out


def dof_fraction(
    z: Float[ArrayLike, "..."], quantity: str, fermion: bool
) -> Float[ArrayLike, "..."]:
    r"""Fraction :math:`\rho(z)/\rho(0)` (``"rho"``) or :math:`s(z)/s(0)` (``"s"``) of one species.

    :math:`z=m/T`, Fermi–Dirac (``fermion``) or Bose–Einstein, zero chemical potential; 1 for
    :math:`z\to0`, :math:`\propto z^{3/2}e^{-z}` for :math:`z\gg1` (beyond :math:`z=316` the
    prefactor is frozen; the fraction is then below :math:`10^{-130}`).
    """
    z = jnp.asarray(z, dtype=jnp.float64)
    zc = jnp.maximum(
        z, 10.0 ** _Z_NODES[0]
    )  # below the first node: the value there (f = 1 - O(z^2))
    return jnp.exp(_species_tables()[(quantity, fermion)](jnp.log10(zc)) - zc)


_K2_NODES = np.linspace(-6.0, 5.0, 221)  # log10 z


@functools.cache
def _k2_table() -> HermiteTable:
    from scipy.special import kve

    z = 10.0**_K2_NODES
    return HermiteTable(_K2_NODES, np.log(z**2 * kve(2, z)) - 1.5 * np.log(z), "spline")


def log_z2_K2(z: Float[ArrayLike, "..."]) -> Float[ArrayLike, "..."]:
    r""":math:`\ln[z^2K_2(z)]` for :math:`z>0` without overflow (tabulated; asymptotic beyond
    :math:`z=10^5`, :math:`\to\ln2` below :math:`10^{-6}`).

    The Maxwell–Boltzmann number density per dof is :math:`n=\frac{T^3}{2\pi^2}z^2K_2(z)`.
    """
    z = jnp.asarray(z, dtype=jnp.float64)
    zc = jnp.clip(z, 1e-6, 1e5)
    inner = _k2_table()(jnp.log10(zc)) + 1.5 * jnp.log(zc) - zc
    big = (
        1.5 * jnp.log(jnp.maximum(z, 1e5))
        + 0.5 * jnp.log(jnp.pi / 2)
        + jnp.log1p(15.0 / (8.0 * jnp.maximum(z, 1e5)))
        - jnp.maximum(z, 1e5)
    )
    return jnp.where(z > 1e5, big, jnp.where(z < 1e-6, math.log(2.0), inner))


def mb_number_density(m, T, g) -> Float[ArrayLike, "..."]:
    r"""Maxwell–Boltzmann equilibrium number density :math:`n=\frac{g}{2\pi^2}m^2TK_2(m/T)` [GeV^3]."""
    T = jnp.asarray(T, dtype=jnp.float64)
    return g * T**3 / (2 * jnp.pi**2) * jnp.exp(log_z2_K2(jnp.asarray(m) / T))


# ---- the dark bath: which species, how many degrees of freedom ---------------------------------

#: Dark-sector species as two-component fields, each ``name: (internal dof, is_fermion)``:
#: the left-handed Weyl component :math:`\chi_L` of the Dirac χ (the one that couples to
#: :math:`N_i`), its right-handed partner :math:`\xi` (:math:`\chi_{\rm Dirac}=(\chi_L,\xi^\dagger)`),
#: the complex scalar φ, and the sink fermion η (one Weyl field :math:`\eta_1`; a Dirac η adds
#: :math:`\eta_2`). "dof" counts particle and antiparticle (physics notes §1.2).
DARK_FIELDS: dict[str, tuple[int, bool]] = {
    "chi_L": (2, True),
    "xi": (2, True),
    "phi": (2, False),
    "eta_1": (2, True),
    "eta_2": (2, True),
}

#: The fields the :math:`N`-portal fills during production (massless χ: no chirality flip, so
#: :math:`\xi` is reached only through the sink coupling κ).
PORTAL_FIELDS: tuple[str, ...] = ("chi_L", "phi")


def sink_fields(eta: str) -> tuple[str, ...]:
    r"""The fields that join the dark bath only through :math:`\kappa\,\phi\chi^c\eta`: :math:`\xi`, :math:`\eta_1`
    (Weyl η), and :math:`\eta_2` for a Dirac η."""
    if eta not in ("weyl", "dirac"):
        raise ValueError(f"eta={eta!r}: allowed values are ('weyl', 'dirac')")
    return ("xi", "eta_1") if eta == "weyl" else ("xi", "eta_1", "eta_2")


def massless_dof(fields) -> float:
    r"""Effective dof :math:`g=\sum_B g_B+\frac78\sum_F g_F` of massless ``fields`` (keys of
    :data:`DARK_FIELDS`), the same for :math:`\rho` and :math:`s` (Kolb & Turner eq. 3.61)."""
    return sum(
        g * (7.0 / 8.0 if fermion else 1.0) for g, fermion in (DARK_FIELDS[f] for f in fields)
    )


def dark_radiation_dof(eta: str, sink_in_bath: bool = True) -> float:
    r"""Massless dark-bath dof :math:`g_D` in :math:`\rho_D=\frac{\pi^2}{30}g_DT_\chi^4` [D].

    With the sink in the bath (``sink_in_bath``: χ both chiralities, φ, η):
    :math:`g_D=\frac78\cdot4+2+\frac78g_\eta`, i.e. 9 for a Dirac η (:math:`g_\eta=4`; the talk's
    value, notes §2.3) and 7.25 for a Weyl η (:math:`g_\eta=2`) — the massless limit of the
    late-universe bath (:func:`jaxcogen.late_universe.dark_dof`). Without it only the
    portal's :math:`\chi_L` and φ: :math:`g_D=\frac78\cdot2+2=3.75`.
    """
    fields = PORTAL_FIELDS + (sink_fields(eta) if sink_in_bath else ())
    return massless_dof(fields)
