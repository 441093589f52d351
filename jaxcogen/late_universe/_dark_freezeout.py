r"""From the end of production to today: dark freeze-out, :math:`\Omega_\chi h^2`, :math:`\Delta N_{\rm eff}`.

Physics notes §3.4 ("where to stop"), §4, §5. Everything here is jittable, vmappable and
differentiable: the stiff freeze-out ODE is integrated on the dark-temperature clock
(:class:`_DarkBath`: no root find inside the integration) by ``diffrax.diffeqsolve`` with
:class:`~jaxcogen.late_universe._solver.RiccatiESDIRK` (adaptive, implicit stages in closed form;
``integrator="esdirk"``, the default) or by a fixed-grid BDF2 (``integrator="bdf2"``);
:math:`\xi` at the ends of the range by an implicit-function Newton root find.

**Assumptions** (each one a stated choice):

1. *Separate entropy conservation.* After production the SM and the dark bath (χ, φ, η at
   :math:`T_\chi=\xi T`, zero chemical potential, kinetic equilibrium through κ) each conserve
   entropy. The comoving ratio :math:`r=s_D/s_{\rm SM}=g_D\xi_{\rm end}^3/g_{*s}` is fixed by the
   production stage at its end :math:`T_{\rm end}` (its ``g_dark``, :math:`g_{*s}(T_{\rm end})`), then
   :math:`g_{s,D}(T_\chi)\,\xi^3=r\,g_{*s}(T)` with the species dof of :mod:`jaxcogen.thermodynamics`
   (:math:`g_{s,D}=\tfrac78\,4f^F_s(m_\chi/T_\chi)+2f^B_s(m_\phi/T_\chi)+g_\eta`, :math:`g_\eta=\tfrac78\cdot2`
   Weyl or :math:`\tfrac78\cdot4` Dirac) — notes §4 "Dark radiation" **[D]**.
2. *χ–φ chemical equilibrium* through :math:`\phi\leftrightarrow\chi\bar\eta` (fast for any κ that
   depletes anything: :attr:`LateUniverse.phi_decay_over_hubble` reports :math:`\Gamma_\phi/H` at
   :math:`x_\chi=20`). Then χ and φ form one family (Griest & Seckel, PRD 43 (1991) 3191,
   coannihilation **[S]**): :math:`N_\pm=Y_{\chi/\bar\chi}+Y_{\phi/\phi^*}`, with
   :math:`Y_\phi/Y_\chi=R=Y_\phi^{\rm eq}/Y_\chi^{\rm eq}`, and every φ ends as a χ (or, if
   :math:`m_\phi<m_\chi`, every χ as a φ: the relic mass is :math:`\min(m_\chi,m_\phi)`).
3. *η asymmetry negligible* (:math:`|\mu_\eta|/T_\chi\sim\Delta Y/Y_\eta\ll1`) in the inverse decays.
4. Maxwell–Boltzmann number densities and the leading (s-/p-wave) :math:`\langle\sigma v\rangle`.

**Equation** (Iminniyaz, Drees & Chen, arXiv:1104.5548, with coannihilation and :math:`T_\chi`):
with :math:`\tau=\ln(T_{\rm start}/T)`, :math:`dt/d\tau=(1+\tfrac13d\ln g_{*s}/d\ln T)/H`,

.. math::
    \frac{dN_\pm}{d\tau}=-\frac{(1+\delta)\,s\,\sigma_{\rm eff}}{H}\big(N_+N_--N_{\rm eq}^2\big),\qquad
    \sigma_{\rm eff}=\frac{\langle\sigma v\rangle_\chi+R^2\langle\sigma v\rangle_\phi}{(1+R)^2},

:math:`N_{\rm eq}=Y^{\rm eq}_\chi+Y^{\rm eq}_\phi` at :math:`T_\chi`, :math:`H` from the SM and the dark
radiation. :math:`N_+-N_-=\Delta Y_\chi+\Delta Y_\phi=2\Delta Y_\chi^{\rm prod}` (the production stage
makes :math:`\Delta Y_\phi=\Delta Y_\chi`, notes §1.2) is conserved *exactly*: the ODE evolves only the
minority :math:`N_{\rm min}` (as :math:`v=N_{\rm min}/R`, a reference-scaled yield:
:meth:`_DarkBath.riccati`). The initial family yields are those of production
(:math:`Y_\chi+Y_{\bar\chi}=Y_\phi+Y_{\phi^*}=\Sigma Y_\chi`). The integration starts at
:math:`x_\chi=m/T_\chi=1` (or :math:`10^{-2}T_{\rm RH}` if that is colder — production is then
finished to :math:`\lesssim1\%`) and ends at :math:`x_\chi=10^6`, where the remaining depletion is
:math:`\sim x_f/x<10^{-4}`. It runs on the clock :math:`\lambda=\ln(T_{\chi,\rm start}/T_\chi)`
(:class:`_DarkBath`), the same equation as above with :math:`(1+\delta)\,d\tau=(1+\gamma_D/3)\,d\lambda`.

:math:`\Delta Y_B` needs nothing new: sphalerons freeze out at :math:`T_*=131.7` GeV
(:mod:`jaxcogen.production._solve`), afterwards :math:`n_B/s` is constant (no entropy flows between the sectors).
"""

from __future__ import annotations

import functools
import math

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx
from jaxtyping import Array, ArrayLike, Bool, Float, Int

from jaxcogen import constants, thermodynamics
from jaxcogen._status import STATUS_LATE_UNIVERSE_NONFINITE, STATUS_SUCCESS, status_code
from jaxcogen.late_universe._solver import RiccatiESDIRK, positive_root

#: The SM temperature at which :math:`\Delta N_{\rm eff}` is evaluated [GeV] (~ neutrino decoupling).
T_N_eff: float = 1e-3


def g_eta(eta: str) -> float:
    r"""Effective (entropy = energy) dof of the massless η: :math:`\tfrac78\cdot2` (Weyl) or :math:`\tfrac78\cdot4` (Dirac)."""
    return 7.0 / 8.0 * (2.0 if eta == "weyl" else 4.0)


# ---- cross sections and widths (notes §4, [D]; tests integrate the amplitudes numerically) ------


def sigma_v_chi(m_chi, m_phi, kappa, eta: str = "dirac") -> Float[ArrayLike, "..."]:
    r"""s-wave :math:`\langle\sigma v\rangle(\chi\bar\chi\to\eta\bar\eta)`, t-channel φ:

    :math:`\frac{\kappa^4m_\chi^2}{32\pi(m_\chi^2+m_\phi^2)^2}` for a chiral coupling to a Weyl η,
    4× that for the non-chiral coupling to a Dirac η (notes §4 [D]; :math:`\Sigma|\mathcal M|^2=
    c\,\kappa^4(m_\chi^2-t)^2/(t-m_\phi^2)^2`, :math:`c=1` or 4).
    """
    m_chi, m_phi, kappa = (jnp.asarray(v, dtype=jnp.float64) for v in (m_chi, m_phi, kappa))
    c = 1.0 if eta == "weyl" else 4.0
    return c * kappa**4 * m_chi**2 / (32.0 * jnp.pi * (m_chi**2 + m_phi**2) ** 2)


def sigma_v_phi(m_chi, m_phi, kappa, x_phi, eta: str = "dirac") -> Float[ArrayLike, "..."]:
    r""":math:`\langle\sigma v\rangle(\phi\phi^*\to\eta\bar\eta)`, t-channel χ, leading terms in :math:`1/x_\phi`.

    :math:`\Sigma|\mathcal M|^2=\kappa^4\,[c_p(tu-m_\phi^4)+c_s\,m_\chi^2s]/(t-m_\chi^2)^2` with
    :math:`(c_p,c_s)=(1,0)` (Weyl, chiral: helicity-suppressed, pure p-wave) or :math:`(2,2)` (Dirac).
    Hence :math:`\langle\sigma v\rangle=\frac{\kappa^4}{(m_\chi^2+m_\phi^2)^2}\big[\frac{c_s}{8\pi}m_\chi^2
    +\frac{c_p}{8\pi}\frac{m_\phi^2}{x_\phi}\big]` (MB :math:`\langle v_{\rm rel}^2\rangle=6/x_\phi`) [D].
    """
    c_p, c_s = (1.0, 0.0) if eta == "weyl" else (2.0, 2.0)
    D2 = (m_chi**2 + m_phi**2) ** 2
    return (
        kappa**4 / D2 * (c_s * m_chi**2 / (8.0 * jnp.pi) + c_p * m_phi**2 / (8.0 * jnp.pi * x_phi))
    )


def phi_decay_width(m_chi, m_phi, kappa, eta: str = "dirac") -> Float[ArrayLike, "..."]:
    r""":math:`\Gamma(\phi\to\chi\bar\eta)=c\,\frac{\kappa^2m_\phi}{16\pi}(1-m_\chi^2/m_\phi^2)^2`.

    :math:`c=1` (Weyl η) or 2 (Dirac η) [D]; 0 if :math:`m_\phi\le m_\chi`.
    """
    c = 1.0 if eta == "weyl" else 2.0
    r2 = jnp.minimum(m_chi**2 / m_phi**2, 1.0)
    return c * kappa**2 * m_phi / (16.0 * jnp.pi) * (1.0 - r2) ** 2


# ---- the dark bath ---------------------------------------------------------------------------------


class _UniformHermite:
    """Evaluates one of :mod:`jaxcogen.thermodynamics`' cubic Hermite tables whose nodes are uniform.

    The same interpolant (nodes, values, slopes), but the interval is found by one division
    instead of ``searchsorted``: XLA on CPU runs several ``searchsorted`` under ``jvp`` as
    separate loops (measured: 10 µs for the two dof tables of :func:`dark_dof` with a tangent,
    0.08 µs this way), and the freeze-out evaluates them at every stage of every step.
    """

    def __init__(self, table):
        x = np.asarray(table.x_np, dtype=float)
        self.x0, self.dx, self.n = float(x[0]), float(x[1] - x[0]), int(x.size)
        if not np.allclose(np.diff(x), self.dx, rtol=1e-12, atol=0.0):
            raise ValueError("_UniformHermite needs uniform nodes")
        self.y = np.asarray(table.y_np, dtype=float)
        self.m = np.asarray(table.m_np, dtype=float) * self.dx

    def __call__(self, xq):
        s = jnp.clip((jnp.asarray(xq, dtype=jnp.float64) - self.x0) / self.dx, 0.0, self.n - 1.0)
        i = jnp.clip(jnp.floor(s).astype(jnp.int32), 0, self.n - 2)
        t = s - i
        y, m = jnp.asarray(self.y), jnp.asarray(self.m)
        t2 = t * t
        t3 = t2 * t
        return (
            (2 * t3 - 3 * t2 + 1) * y[i]
            + (t3 - 2 * t2 + t) * m[i]
            + (-2 * t3 + 3 * t2) * y[i + 1]
            + (t3 - t2) * m[i + 1]
        )


@functools.cache
def _tables() -> dict:
    tables = {key: _UniformHermite(t) for key, t in thermodynamics._species_tables().items()}
    tables["K2"] = _UniformHermite(thermodynamics._k2_table())
    tables["z_min"] = 10.0 ** float(thermodynamics._Z_NODES[0])
    return tables


# jitted: traced once per (quantity, fermion) and shape, then reused at each of the stage's
# ~80 call sites (each trace embeds the tables; inline, they made most of the stage's tracing)
@functools.partial(jax.jit, static_argnames=("quantity", "fermion"))
def _dof_fraction(z, quantity: str, fermion: bool):
    """:func:`jaxcogen.thermodynamics.dof_fraction` (same table) on the uniform-node evaluator."""
    tables = _tables()
    zc = jnp.maximum(z, tables["z_min"])
    return jnp.exp(tables[(quantity, fermion)](jnp.log10(zc)) - zc)


@jax.jit
def _log_z2_K2(z):
    """:func:`jaxcogen.thermodynamics.log_z2_K2` (same table and branches) on the uniform-node evaluator."""
    z = jnp.asarray(z, dtype=jnp.float64)
    zc = jnp.clip(z, 1e-6, 1e5)
    inner = _tables()["K2"](jnp.log10(zc)) + 1.5 * jnp.log(zc) - zc
    zb = jnp.maximum(z, 1e5)
    big = 1.5 * jnp.log(zb) + 0.5 * math.log(math.pi / 2) + jnp.log1p(15.0 / (8.0 * zb)) - zb
    return jnp.where(z > 1e5, big, jnp.where(z < 1e-6, math.log(2.0), inner))


def dark_dof(
    T_chi, m_chi, m_phi, eta: str = "dirac", quantity: str = "s"
) -> Float[ArrayLike, "..."]:
    r"""Dark-bath dof :math:`g_{s,D}` (``"s"``) or :math:`g_{\rho,D}` (``"rho"``) at :math:`T_\chi` (zero μ)."""
    T_chi = jnp.asarray(T_chi, dtype=jnp.float64)
    return (
        7.0 / 8.0 * 4.0 * _dof_fraction(m_chi / T_chi, quantity, True)
        + 2.0 * _dof_fraction(m_phi / T_chi, quantity, False)
        + g_eta(eta)
    )


#: Tolerance of the Newton iteration for :math:`\ln\xi` (absolute in :math:`\ln\xi`; Newton
#: converges quadratically, so the root is at machine precision once an increment is this small).
XI_TOLERANCE = 1e-12


def _entropy_residual(y, args, eta):
    T, m_chi, m_phi, target = args
    return jnp.log(dark_dof(jnp.exp(y) * T, m_chi, m_phi, eta)) + 3.0 * y - target


def _xi_bracket(T, entropy_ratio, eta):
    target = jnp.log(jnp.maximum(entropy_ratio, 1e-300) * thermodynamics.g_star_s(T))
    g_all = 7.0 / 8.0 * 4.0 + 2.0 + g_eta(eta)
    lo = (target - math.log(g_all * (1.0 + 1e-9))) / 3.0
    hi = (target - math.log(g_eta(eta) * (1.0 - 1e-9))) / 3.0
    return target, lo, hi


def xi_from_entropy(T, entropy_ratio, m_chi, m_phi, eta: str = "dirac") -> Float[ArrayLike, ""]:
    r""":math:`\xi(T)` solving :math:`g_{s,D}(\xi T)\,\xi^3=r\,g_{*s}(T)` (separate entropy conservation).

    Newton's method in :math:`y=\ln\xi` (``optimistix.root_find`` with ``optimistix.Newton``), started
    at the all-massless bound :math:`y_0=\tfrac13\ln(rg_{*s}/g_{\rm all})` and kept inside the
    bracket :math:`[y_0,\tfrac13\ln(rg_{*s}/g_\eta)]`, which holds the root because :math:`g_{s,D}`
    lies between :math:`g_\eta` and :math:`g_{\rm all}`. The residual
    :math:`F(y)=\ln g_{s,D}(e^yT)+3y-\ln(rg_{*s})` is increasing with :math:`3\le F'\lesssim4`, so
    the iteration converges in 3–5 steps to :data:`XI_TOLERANCE`. Derivatives (forward and reverse)
    are those of the implicit function, :math:`dy/d\theta=-\partial_\theta F/\partial_yF`
    (``optimistix.ImplicitAdjoint``): exact at the root, with no differentiation through the
    iterations. NaN if the iteration does not converge.
    """
    T = jnp.asarray(T, dtype=jnp.float64)
    m_chi, m_phi, entropy_ratio = (
        jnp.asarray(v, dtype=jnp.float64) for v in (m_chi, m_phi, entropy_ratio)
    )
    target, lo, hi = _xi_bracket(T, entropy_ratio, eta)
    sol = optx.root_find(
        functools.partial(_entropy_residual, eta=eta),
        optx.Newton(rtol=0.0, atol=XI_TOLERANCE),
        jax.lax.stop_gradient(lo),
        (T, m_chi, m_phi, target),
        options=dict(lower=jax.lax.stop_gradient(lo), upper=jax.lax.stop_gradient(hi)),
        max_steps=32,
        throw=False,
    )
    ok = sol.result == optx.RESULTS.successful
    return jnp.where(ok, jnp.exp(sol.value), jnp.nan)


def delta_N_eff(xi, T_chi, m_chi, m_phi, eta: str = "dirac") -> Float[ArrayLike, ""]:
    r""":math:`\Delta N_{\rm eff}=\frac47\,g_{\rho,D}(T_\chi)\,\xi^4` at :math:`T\sim1` MeV, where :math:`T_\nu=T`
    (notes §4): η, plus χ and φ while relativistic (their equilibrium :math:`g_\rho` with masses)."""
    return 4.0 / 7.0 * dark_dof(T_chi, m_chi, m_phi, eta, "rho") * xi**4


# ---- results -----------------------------------------------------------------------------------------


class LateEvolution(eqx.Module):
    r"""The dark freeze-out on a grid: SM temperature, :math:`\xi`, :math:`x_\chi=m_\chi/T_\chi`, the
    family yields :math:`N_\pm` and the equilibrium :math:`N_{\rm eq}`."""

    T: Float[Array, " n"]
    xi: Float[Array, " n"]
    x_chi: Float[Array, " n"]
    Y_majority: Float[Array, " n"]
    Y_minority: Float[Array, " n"]
    Y_eq: Float[Array, " n"]


class LateUniverse(eqx.Module):
    r"""Today's observables (:func:`late_universe`).

    Attributes:
        Omega_chi_h2: :math:`\Omega_{\rm DM}h^2` today after depletion and φ decays.
        Omega_asymmetric_h2, Omega_symmetric_h2: its asymmetric and symmetric parts.
        asymmetric_fraction: :math:`|\Delta Y|/(Y_\chi+Y_{\bar\chi})` today.
        Y_chi, Y_chibar: relic yields today (χ family after φ decays).
        DeltaY_chi_today: :math:`Y_\chi-Y_{\bar\chi}` today :math:`=\Delta Y_\chi+\Delta Y_\phi`.
        DeltaY_B: baryon asymmetry today (= its value at sphaleron freeze-out).
        xi_N_eff: :math:`T_D/T` at :math:`T=1` MeV; Delta_N_eff, N_eff: dark radiation there and
            :math:`3.044+\Delta N_{\rm eff}`; N_eff_ok: ``N_eff`` below Planck's 95 % bound 3.33.
        m_relic: mass of the relic particle, :math:`\min(m_\chi,m_\phi)` [GeV]; chi_is_relic:
            :math:`m_\phi>m_\chi` (χ the stable DM, as the talk assumes).
        phi_decay_over_hubble: :math:`\Gamma(\phi\to\chi\bar\eta)/H` at :math:`x_\chi=20`; assumption 2
            of the module holds when this is ≫ 1.
        x_chi_start: :math:`m_\chi/T_\chi` where the freeze-out integration started (≈1, larger
            only if production ends colder).
        T_start, T_stop: the integration range [GeV].
        status: int32 code of :mod:`jaxcogen._status`: 0 on success, diffrax's code if the
            integration failed (e.g. 1, ``max_steps`` reached), 101 if it produced a non-finite
            number; the observables are NaN unless it is 0.
        num_steps, num_rejected_steps: steps of the adaptive integration (all / rejected).
        evolution: :class:`LateEvolution`.
    """

    Omega_chi_h2: Float[ArrayLike, ""]
    Omega_asymmetric_h2: Float[ArrayLike, ""]
    Omega_symmetric_h2: Float[ArrayLike, ""]
    asymmetric_fraction: Float[ArrayLike, ""]
    Y_chi: Float[ArrayLike, ""]
    Y_chibar: Float[ArrayLike, ""]
    DeltaY_chi_today: Float[ArrayLike, ""]
    DeltaY_B: Float[ArrayLike, ""]
    xi_N_eff: Float[ArrayLike, ""]
    Delta_N_eff: Float[ArrayLike, ""]
    N_eff: Float[ArrayLike, ""]
    N_eff_ok: Bool[ArrayLike, ""]
    m_relic: Float[ArrayLike, ""]
    chi_is_relic: Bool[ArrayLike, ""]
    phi_decay_over_hubble: Float[ArrayLike, ""]
    x_chi_start: Float[ArrayLike, ""]
    T_start: Float[ArrayLike, ""]
    T_stop: Float[ArrayLike, ""]
    status: Int[ArrayLike, ""]
    num_steps: Int[ArrayLike, ""]
    num_rejected_steps: Int[ArrayLike, ""]
    evolution: LateEvolution


# ---- the SM side: temperature from entropy -----------------------------------------------------


def _hermite_np(x, y, m, xq):
    """NumPy evaluation of a cubic Hermite table (nodes ``x``, values ``y``, slopes ``m``), constant outside."""
    xq = np.clip(xq, x[0], x[-1])
    i = np.clip(np.searchsorted(x, xq, side="right") - 1, 0, x.size - 2)
    h = x[i + 1] - x[i]
    t = (xq - x[i]) / h
    return (
        (2 * t**3 - 3 * t**2 + 1) * y[i]
        + (t**3 - 2 * t**2 + t) * h * m[i]
        + (-2 * t**3 + 3 * t**2) * y[i + 1]
        + (t**3 - t**2) * h * m[i + 1]
    )


class _NodeHermite:
    """One of :mod:`jaxcogen.thermodynamics`' Hermite tables with non-uniform nodes, value and slope.

    The same interpolant; the interval is found by counting the interior nodes below the query
    (one vector comparison: no ``searchsorted``, which XLA on CPU runs as a separate loop).
    Returns ``(value, d value / d x)``; constant (zero slope) outside the nodes.
    """

    def __init__(self, table):
        self.x = np.asarray(table.x_np, dtype=float)
        self.y = np.asarray(table.y_np, dtype=float)
        self.m = np.asarray(table.m_np, dtype=float)

    def __call__(self, xq):
        x, y, m = jnp.asarray(self.x), jnp.asarray(self.y), jnp.asarray(self.m)
        inside = (xq > x[0]) & (xq < x[-1])
        xc = jnp.clip(xq, x[0], x[-1])
        i = jnp.sum(xc >= x[1:-1]).astype(jnp.int32)
        h = x[i + 1] - x[i]
        t = (xc - x[i]) / h
        t2 = t * t
        t3 = t2 * t
        value = (
            (2 * t3 - 3 * t2 + 1) * y[i]
            + (t3 - 2 * t2 + t) * h * m[i]
            + (-2 * t3 + 3 * t2) * y[i + 1]
            + (t3 - t2) * h * m[i + 1]
        )
        slope = (
            (6 * t2 - 6 * t) * (y[i] - y[i + 1]) / h
            + (3 * t2 - 4 * t + 1) * m[i]
            + (3 * t2 - 2 * t) * m[i + 1]
        )
        return value, jnp.where(inside, slope, 0.0)


#: Newton iterations polishing the tabulated SM temperature (the table is good to ~1e-4 in
#: :math:`\ln T`; Newton converges quadratically: 1e-8 after one, machine precision after two).
SM_NEWTON_ITERATIONS = 2


class _SMEntropyInverse:
    r""":math:`\ln T` from the SM entropy :math:`\ln(g_{*s}(T)\,T^3)`, and :math:`g_*(T)` there.

    :math:`L(u)=\ln g_{*s}(e^u)+3u` (:math:`u=\ln T`) is increasing, :math:`L'=3(1+\delta)\ge3`.
    A linear table of the inverse on 1025 uniform nodes in :math:`L` (built once from 4097
    samples of the forward map) gives the start; :data:`SM_NEWTON_ITERATIONS` Newton steps on
    :math:`L(u)-L_{\rm target}` with the exact slope of the interpolant finish it, the last one
    differentiated (so the derivative is the implicit-function one, :math:`du/dL=1/L'(u)`).
    Outside the table (:math:`g_{*s}` constant) the inverse is exact.
    """

    def __init__(self):
        g_rho, g_s = thermodynamics._sm_interpolants()
        self.g_rho, self.g_s = _NodeHermite(g_rho), _NodeHermite(g_s)
        lt = np.linspace(g_s.x_np[0], g_s.x_np[-1], 4097)
        L = np.log(_hermite_np(g_s.x_np, g_s.y_np, g_s.m_np, lt)) + 3.0 * math.log(10.0) * lt
        self.L0, self.L1 = float(L[0]), float(L[-1])
        self.nodes = np.linspace(self.L0, self.L1, 1025)
        self.u = np.interp(self.nodes, L, math.log(10.0) * lt)
        self.dL = float(self.nodes[1] - self.nodes[0])
        self.ln_g_ends = (math.log(g_s.y_np[0]), math.log(g_s.y_np[-1]))

    def _newton(self, u, L):
        g, dg = self.g_s(u / math.log(10.0))
        F = jnp.log(g) + 3.0 * u - L
        return u - F / (3.0 + dg / (g * math.log(10.0)))

    def ln_T(self, L):
        u_nodes = jnp.asarray(self.u)
        s = jnp.clip((jax.lax.stop_gradient(L) - self.L0) / self.dL, 0.0, self.u.size - 1.0)
        i = jnp.clip(jnp.floor(s).astype(jnp.int32), 0, self.u.size - 2)
        frac = s - i
        u = (1.0 - frac) * u_nodes[i] + frac * u_nodes[i + 1]
        L_stop = jax.lax.stop_gradient(L)
        u = jnp.where(L_stop < self.L0, (L_stop - self.ln_g_ends[0]) / 3.0, u)
        u = jnp.where(L_stop > self.L1, (L_stop - self.ln_g_ends[1]) / 3.0, u)
        for _ in range(SM_NEWTON_ITERATIONS - 1):
            u = jax.lax.stop_gradient(self._newton(u, L_stop))
        return self._newton(u, L)

    def g_star(self, u):
        return self.g_rho(u / math.log(10.0))[0]


@functools.cache
def _sm_inverse() -> _SMEntropyInverse:
    return _SMEntropyInverse()


# ---- the freeze-out equation on the dark-temperature clock ---------------------------------------


class _DarkBath(eqx.Module):
    r"""The freeze-out equation's coefficients as functions of the dark temperature :math:`T_\chi`.

    Clock :math:`\lambda=\ln(T_{\chi,\rm start}/T_\chi)`. Separate entropy conservation fixes the SM
    entropy explicitly, :math:`g_{*s}(T)T^3=g_{s,D}(T_\chi)T_\chi^3/r`, so no root find for
    :math:`\xi` is needed: :math:`s`, :math:`Y^{\rm eq}` and the dark dof are explicit in
    :math:`T_\chi`, and only :math:`T` itself (for :math:`g_*(T)` in :math:`H`) comes from the
    parameter-free inverse :class:`_SMEntropyInverse`. With :math:`d\ln a=-(1+\gamma_D/3)\,d\ln T_\chi`,
    :math:`\gamma_D=d\ln g_{s,D}/d\ln T_\chi`, the equation of the module docstring becomes

    .. math::
        \frac{dN}{d\lambda}=-k\,(N^2+\Delta N-N_{\rm eq}^2),\qquad
        k=\Big(1+\frac{\gamma_D}{3}\Big)\frac{s\,\sigma_{\rm eff}}{H}

    (the :math:`1+\delta` of the SM clock cancels against :math:`d\ln T/d\ln T_\chi=(3+\gamma_D)/(3(1+\delta))`).

    Attributes: the traced parameters, ``Delta`` :math:`=|N_+-N_-|` and ``ln_N_floor`` (the reference's
    floor, :meth:`riccati`); ``eta`` static.
    """

    entropy_ratio: Float[ArrayLike, ""]
    m_chi: Float[ArrayLike, ""]
    m_phi: Float[ArrayLike, ""]
    kappa: Float[ArrayLike, ""]
    Delta: Float[ArrayLike, ""]
    ln_N_floor: Float[ArrayLike, ""]
    eta: str = eqx.field(static=True)

    def _dark(self, ln_T_chi):
        T_chi = jnp.exp(ln_T_chi)
        g_s = dark_dof(T_chi, self.m_chi, self.m_phi, self.eta, "s")
        base = jnp.log(45.0 * self.entropy_ratio / (4.0 * jnp.pi**4)) - jnp.log(g_s)
        lnY_chi = math.log(2.0) + _log_z2_K2(self.m_chi / T_chi) + base
        lnY_phi = _log_z2_K2(self.m_phi / T_chi) + base
        return jnp.log(g_s), jnp.logaddexp(lnY_chi, lnY_phi), lnY_chi - lnY_phi

    @eqx.filter_jit  # traced once, reused by each of the stage's ~20 call sites
    def at(self, ln_T_chi):
        r"""Everything at :math:`T_\chi=e^{\rm ln\_T\_chi}`: ``T``, ``xi``, ``T_chi``, ``H``, ``s``,
        ``lnN_eq``, ``rate`` (:math:`k`) and ``dlnN_eq`` (:math:`d\ln N_{\rm eq}/d\lambda`)."""
        primal, tangent = jax.jvp(self._dark, (ln_T_chi,), (jnp.ones_like(ln_T_chi),))
        ln_g_s, lnN_eq, lnY_ratio = primal
        gamma_D, dlnN_eq_dlnT_chi = tangent[0], tangent[1]
        T_chi = jnp.exp(ln_T_chi)
        ln_S = ln_g_s + 3.0 * ln_T_chi - jnp.log(self.entropy_ratio)  # ln(g_*s T^3)
        sm = _sm_inverse()
        ln_T = sm.ln_T(ln_S)
        T = jnp.exp(ln_T)
        s = 2.0 * jnp.pi**2 / 45.0 * jnp.exp(ln_S)
        g_rho_D = dark_dof(T_chi, self.m_chi, self.m_phi, self.eta, "rho")
        H = (
            constants.hubble_coefficient
            * jnp.sqrt(sm.g_star(ln_T) * T**4 + g_rho_D * T_chi**4)
            / constants.m_Pl
        )
        w_chi = jax.nn.sigmoid(lnY_ratio)
        w_phi = jax.nn.sigmoid(-lnY_ratio)
        sv = sigma_v_chi(self.m_chi, self.m_phi, self.kappa, self.eta) * w_chi**2
        sv = (
            sv
            + sigma_v_phi(self.m_chi, self.m_phi, self.kappa, self.m_phi / T_chi, self.eta)
            * w_phi**2
        )
        rate = (1.0 + gamma_D / 3.0) * s * sv / H
        return dict(T=T, xi=T_chi / T, T_chi=T_chi, H=H, s=s, lnN_eq=lnN_eq, rate=rate,
                    dlnN_eq=-dlnN_eq_dlnT_chi)  # fmt: skip

    def quasi_static(self, b):
        r""":math:`\ln N_*`, :math:`\rho=d\ln N_*/d\lambda` and :math:`J=k\,(2N_*+\Delta)` from :meth:`at`'s ``b``.

        :math:`N_*=N_{\rm eq}\,e^{-{\rm arsinh}(\Delta/2N_{\rm eq})}` is the root of
        :math:`N^2+\Delta N=N_{\rm eq}^2`; :math:`J` is the rate at which a deviation from it decays
        (the equation is :math:`dN/d\lambda=-k(N-N_*)(N+N_*+\Delta)`).
        """
        lnN_eq = b["lnN_eq"]
        q = jnp.minimum(0.5 * self.Delta * jnp.exp(-jnp.maximum(lnN_eq, -700.0)), 1e150)
        ln_N_star = lnN_eq - jnp.arcsinh(q)
        dln_N_star = b["dlnN_eq"] * (1.0 + jnp.tanh(jnp.arcsinh(q)))
        J = b["rate"] * (2.0 * jnp.exp(ln_N_star) + self.Delta)
        return ln_N_star, dln_N_star, J

    def reference(self, b):
        r""":math:`\ln R` and :math:`d\ln R/d\lambda` of the reference :math:`R=N_*+N_f` (:meth:`riccati`)."""
        ln_N_star, dln_N_star, _ = self.quasi_static(b)
        ln_R = jnp.logaddexp(ln_N_star, self.ln_N_floor)
        return ln_R, jnp.exp(ln_N_star - ln_R) * dln_N_star

    def riccati(self, lam, ln_T_chi_start):
        r"""``(a, b, c, v_floor)`` of :math:`dv/d\lambda=-av^2-bv+c` for :math:`v=N/R` (:class:`RiccatiESDIRK`).

        :math:`R=N_*+N_f` is a reference: :math:`N_*=N_{\rm eq}\,e^{-{\rm arsinh}(\Delta/2N_{\rm eq})}`, the
        root of :math:`N^2+\Delta N=N_{\rm eq}^2` (what :math:`N` tracks while annihilation is fast),
        and the floor :math:`N_f` (a rough frozen-out yield). Then :math:`a=kR`,
        :math:`b=k\Delta+R'/R`, :math:`c=kN_{\rm eq}^2/R`: still a Riccati equation, but :math:`v\simeq1`
        while :math:`N` tracks :math:`N_*` (which falls like :math:`e^{-x}` or :math:`e^{-2x}`) and
        varies slowly after freeze-out, so the step size is set by how fast the rates change, not by
        :math:`e^{-x}`. The error is measured on :math:`N+\Delta/2` (Ω is made of :math:`2N+\Delta`):
        ``v_floor`` :math:`=\Delta/(2R)`.
        """
        b = self.at(ln_T_chi_start - lam)
        ln_R, rho = self.reference(b)
        k = b["rate"]
        R = jnp.exp(ln_R)
        return (k * R, k * self.Delta + rho, k * jnp.exp(2.0 * b["lnN_eq"] - ln_R),
                0.5 * self.Delta / R)  # fmt: skip


def _riccati(lam, args):
    bath, ln_T_chi_start = args
    return bath.riccati(lam, ln_T_chi_start)


def _vector_field(lam, v, args):
    a, b, c, _ = _riccati(lam, args)
    return c - v * (a * v + b)


#: The step-size controller's coefficients (PI control, as in :mod:`jaxcogen.models.freeze_out`).
PCOEFF, ICOEFF = 0.3, 0.4
#: ESDIRK tableaus :class:`RiccatiESDIRK` accepts, by name.
TABLEAUS = {
    "Kvaerno5": diffrax.Kvaerno5,
    "Kvaerno4": diffrax.Kvaerno4,
    "Kvaerno3": diffrax.Kvaerno3,
}


def _adjoint(name: str):
    if name == "recursive":
        return diffrax.RecursiveCheckpointAdjoint()
    if name == "forward":
        return diffrax.ForwardMode()
    if name == "direct":
        return diffrax.DirectAdjoint()
    raise ValueError(f"adjoint={name!r}: allowed values are 'recursive', 'forward', 'direct'")


#: The first stretch of the integration, :math:`\lambda_r=\min(30/J_0,\ 10^{-7}\lambda_{\rm end})`, is
#: solved in closed form with the coefficients frozen at the start (:func:`_relax`).
RELAXATION_EFOLDS, RELAXATION_MAX_FRACTION = 30.0, 1e-7


def _relax(bath, ln_T_chi_start, N0, lam_end):
    r"""The state at :math:`\lambda_r` (see :data:`RELAXATION_EFOLDS`): the exact solution of the
    Riccati equation with its coefficients frozen at :math:`\lambda=0`,

    .. math::
        N(\lambda)=\frac{N_*+C\epsilon\,(N_*+\Delta)}{1-C\epsilon},\qquad
        C=\frac{N_0-N_*}{N_0+N_*+\Delta},\quad \epsilon=e^{-J_0\lambda},\quad J_0=k\,(2N_*+\Delta)

    (:math:`N_*` and :math:`-N_*-\Delta` the roots of :math:`N^2+\Delta N-N_{\rm eq}^2`). Where annihilation
    is fast at the start (:math:`J_0\gg1`) the production yields relax to :math:`N_*` within
    :math:`\lambda_r=30/J_0` (the ODE forgets the :math:`O(\lambda_r)` error of the frozen coefficients
    at the rate :math:`J_0`), so the adaptive integrator does not spend ~60 steps resolving a
    transient that leaves no trace; elsewhere :math:`\lambda_r=10^{-7}\lambda_{\rm end}` and the
    local error is :math:`O(\lambda_r^2)`. Returns ``(lambda_r, N(lambda_r))``.
    """
    b = bath.at(ln_T_chi_start)
    ln_N_star, _, J0 = bath.quasi_static(b)
    lam_r = jax.lax.stop_gradient(
        jnp.minimum(RELAXATION_EFOLDS / J0, RELAXATION_MAX_FRACTION * lam_end)
    )
    return lam_r, _frozen_relaxation(jnp.exp(ln_N_star), J0, bath.Delta, N0, lam_r)


def _frozen_relaxation(N_star, J0, Delta, N0, lam):
    """The closed form of :func:`_relax` at ``lam``."""
    C = (N0 - N_star) / (N0 + N_star + Delta)
    C_eps = C * jnp.exp(-J0 * lam)
    return (N_star + C_eps * (N_star + Delta)) / (1.0 - C_eps)


#: The integration starts on the slow manifold where :math:`J/|\rho|` has fallen to this value
#: (:func:`_slow_start`), if the yields have relaxed onto it by then.
SLOW_START_RATIO = 30.0
#: ... which needs this many e-folds of relaxation, :math:`\int J\,d\lambda`, since :math:`\lambda_r`.
SLOW_START_RELAXED_EFOLDS = 40.0
#: Bisection steps locating :math:`J/|\rho|=` :data:`SLOW_START_RATIO` (to :math:`2^{-24}\lambda_{\rm end}`,
#: ~1e-6: the ratio changes by a factor e over :math:`\Delta\lambda\sim1/x\sim0.05` there).
SLOW_START_BISECTIONS = 24
#: Points of :math:`[\lambda_r,\lambda_s]` on which :math:`J_{\min}` is taken.
SLOW_START_SAMPLES = 8


def _slow_manifold(bath, b, used):
    r"""The yield on the slow manifold to first order, :math:`N_*\,(1+|\rho|/J)`, from :meth:`_DarkBath.at`'s ``b``.

    Where ``used`` is False the value is discarded by the caller: :math:`J` is replaced by 1 there,
    so that a vanishing :math:`J` cannot turn the zero cotangent of the discarded value into NaN.
    """
    ln_N_star, rho, J = bath.quasi_static(b)
    return jnp.exp(ln_N_star) * (1.0 + jnp.abs(rho) / jnp.where(used, J, 1.0))


def _slow_start(bath, ln_T_chi_start, lam_r, lam_end):
    r"""Where the adaptive integration can start on the slow manifold: ``(use, lambda_s, J_min)``.

    While annihilation is fast, :math:`N` tracks the quasi-static root :math:`N_*` (:meth:`_DarkBath.quasi_static`):
    with :math:`N=N_*+\delta`, :math:`d\delta/d\lambda=-J\delta-N_*'+O(\delta^2)`, so
    :math:`\delta=|\rho|N_*/J\,(1+O(\epsilon))` with :math:`\epsilon=|\rho|/J` (:math:`\rho=d\ln N_*/d\lambda<0`;
    the first-order quasi-static deviation of the standard freeze-out treatment, Kolb & Turner,
    *The Early Universe* (1990) §5.2, :math:`\Delta\simeq-Y_{\rm eq}'/(2f(x)\,Y_{\rm eq})` for
    :math:`\Delta Y=0`), and any other deviation decays like :math:`e^{-\int J\,d\lambda}`. The integrator resolves this
    tracking to ``rtol`` (~60 of its ~250 steps at a point whose symmetric part freezes out) although
    nothing of it survives: an error made while :math:`J/|\rho|\gg1` is damped by
    :math:`\sim e^{-J/|\rho|}` before freeze-out. So the integration starts at :math:`\lambda_s`, where
    :math:`J/|\rho|` has fallen to :data:`SLOW_START_RATIO` (bisection; :math:`J/|\rho|` falls with
    :math:`\lambda` there), from :func:`_slow_manifold`, whose :math:`O(\epsilon^2)\approx10^{-3}`
    relative error is damped by :math:`\sim e^{-30}` on the way to freeze-out. This is used only where
    the yields have relaxed onto the manifold by :math:`\lambda_s`: :math:`J/|\rho|>` the ratio at
    :math:`\lambda_r` and :math:`(\lambda_s-\lambda_r)\,J_{\min}\ge` :data:`SLOW_START_RELAXED_EFOLDS`,
    with :math:`J_{\min}` the least :math:`J` on :data:`SLOW_START_SAMPLES` points of :math:`[\lambda_r,\lambda_s]` (a freeze-in
    population far below :math:`N_*` at a slow rate, e.g., is left to the integrator). Measured on 560
    points (κ 1e-3–3.5, m_χ 1e-3–1e4 GeV, m_φ/m_χ 1.01–100, two symmetric populations; Ω against
    rtol-1e-12 solves from :math:`\lambda_r`): 28 % fewer steps, largest error 5.8e-8 (5.8e-8
    without). Position only (no gradient): :math:`\lambda_s` is a numerical choice.
    """
    ln_ratio = math.log(SLOW_START_RATIO)

    def log_ratio(lam):
        _, rho, J = bath.quasi_static(bath.at(ln_T_chi_start - lam))
        return jnp.log(J) - jnp.log(jnp.maximum(jnp.abs(rho), 1e-300))

    def bisect(i, bracket):
        lo, hi = bracket
        mid = 0.5 * (lo + hi)
        above = log_ratio(mid) > ln_ratio
        return jnp.where(above, mid, lo), jnp.where(above, hi, mid)

    lam_s, _ = jax.lax.fori_loop(0, SLOW_START_BISECTIONS, bisect, (lam_r, lam_end))
    samples = lam_r + (lam_s - lam_r) * jnp.linspace(0.0, 1.0, SLOW_START_SAMPLES)
    J = jax.vmap(lambda lam: bath.quasi_static(bath.at(ln_T_chi_start - lam))[2])(samples)
    J_min = jnp.min(J)
    use = (log_ratio(lam_r) > ln_ratio) & ((lam_s - lam_r) * J_min >= SLOW_START_RELAXED_EFOLDS)
    return use, lam_s, J_min


def _integrate_esdirk(
    bath, ln_T_chi_start, N0, lam_end, grid, path, rtol, max_steps, solver, adjoint
):
    """Adaptive :class:`RiccatiESDIRK` on :math:`v=N/R` under ``diffrax.diffeqsolve`` after
    :func:`_relax`, from the slow manifold where :func:`_slow_start` allows; returns
    ``(N_end, N on grid, status, num_steps, num_rejected_steps)``."""
    args = (bath, ln_T_chi_start)
    lam_r, N_r = _relax(bath, ln_T_chi_start, N0, lam_end)
    stop = jax.lax.stop_gradient
    use_slow, lam_s, J_min = _slow_start(
        stop(bath), stop(ln_T_chi_start), stop(lam_r), stop(lam_end)
    )
    lam_0 = stop(jnp.where(use_slow, lam_s, lam_r))
    b_0 = bath.at(ln_T_chi_start - lam_0)
    N_start = jnp.where(use_slow, _slow_manifold(bath, b_0, use_slow), N_r)
    ln_R_0, _ = bath.reference(b_0)
    sol = diffrax.diffeqsolve(
        diffrax.ODETerm(_vector_field),
        RiccatiESDIRK(_riccati, TABLEAUS[solver]),
        t0=lam_0,
        t1=lam_end,
        dt0=None,
        y0=N_start * jnp.exp(-ln_R_0),
        args=args,
        saveat=diffrax.SaveAt(
            subs=[diffrax.SubSaveAt(t1=True), diffrax.SubSaveAt(ts=jnp.maximum(grid, lam_0))]
        ),
        stepsize_controller=diffrax.PIDController(
            rtol=rtol, atol=1e-300, pcoeff=PCOEFF, icoeff=ICOEFF
        ),
        adjoint=_adjoint(adjoint),
        max_steps=max_steps,
        throw=False,
    )
    ln_R_end, _ = bath.reference(bath.at(ln_T_chi_start - lam_end))
    N_path = sol.ys[1] * jnp.exp(bath.reference(path)[0])
    # before a slow start the grid shows the slow manifold where the yields have relaxed onto it
    # (e-folds since lambda_r >= SLOW_START_RELAXED_EFOLDS), else _relax's frozen-coefficient
    # relaxation (within ~40/J of the start, where the coefficients have barely moved)
    ln_N_star_0, _, J_0 = bath.quasi_static(bath.at(ln_T_chi_start))
    early = _frozen_relaxation(jnp.exp(ln_N_star_0), J_0, bath.Delta, N0, grid)
    relaxed = (grid - lam_r) * J_min >= SLOW_START_RELAXED_EFOLDS
    shown = use_slow & (grid < lam_0)
    before = jnp.where(relaxed, _slow_manifold(bath, path, shown & relaxed), early)
    N_path = jnp.where(shown, before, N_path)
    stats = sol.stats
    # v may end slightly below 0 where N << Delta/2 (an error the controller accepts there)
    N_end = jnp.maximum(sol.ys[0][-1] * jnp.exp(ln_R_end), 0.0)
    return (N_end, jnp.maximum(N_path, 0.0).at[0].set(N0), status_code(sol.result),
            stats["num_steps"], stats["num_rejected_steps"])  # fmt: skip


def _integrate_bdf2(bath, ln_T_chi_start, N0, lam_end, grid, n_steps):
    """BDF2 on a uniform :math:`\\lambda` grid (first step backward Euler), Richardson-extrapolated.

    Each implicit step is a quadratic in :math:`N` with a positive root, solved in closed form:
    L-stable at any rate, differentiable through ``lax.scan``. Richardson extrapolation against
    the half-resolution run on every second node removes the leading :math:`O(h^2)` error.
    """
    Delta = bath.Delta
    h = lam_end / n_steps
    lams = jnp.arange(1, n_steps + 1) * h
    path = jax.vmap(lambda lam: bath.at(ln_T_chi_start - lam))(lams)
    hk = h * path["rate"]
    Neq2 = jnp.exp(2.0 * path["lnN_eq"])

    def step(carry, inputs):
        N_n, N_nm1, first = carry
        hk_i, Neq2_i = inputs
        N_be = positive_root(hk_i, 1.0 + hk_i * Delta, N_n + hk_i * Neq2_i)
        a2 = 2.0 / 3.0 * hk_i
        c2 = (4.0 * N_n - N_nm1) / 3.0 + a2 * Neq2_i
        N_bdf = positive_root(a2, 1.0 + a2 * Delta, jnp.maximum(c2, 0.0))
        N_new = jnp.where(first | (c2 <= 0.0), N_be, N_bdf)
        return (N_new, N_n, jnp.asarray(False)), N_new

    init = (N0, N0, jnp.asarray(True))
    _, N_full = jax.lax.scan(step, init, (hk, Neq2))
    _, N_half = jax.lax.scan(step, init, (2.0 * hk[1::2], Neq2[1::2]))
    N_end = (4.0 * N_full[-1] - N_half[-1]) / 3.0
    N_end = jnp.where(N_end > 0.0, N_end, N_full[-1])
    code = jnp.where(jnp.all(jnp.isfinite(N_full)), STATUS_SUCCESS, STATUS_LATE_UNIVERSE_NONFINITE)
    N_path = jnp.interp(
        grid, jnp.concatenate([jnp.zeros(1), lams]), jnp.concatenate([N0[None], N_full])
    )
    return N_end, N_path, code, n_steps + n_steps // 2, 0


INTEGRATORS = ("esdirk", "bdf2")


def late_universe_from_yields(
    *,
    DeltaY_chi,
    SigmaY_chi,
    xi_end,
    DeltaY_B,
    m_chi,
    m_phi,
    kappa,
    T_RH,
    g_dark: float = 9.0,
    eta: str = "dirac",
    g_star_s_production: float | Float[ArrayLike, ""] = constants.g_star_SM,
    x_start: float = 1.0,
    x_stop: float = 1e6,
    rtol: float = 1e-9,
    max_steps: int = 4096,
    n_save: int = 100,
    solver: str = "Kvaerno5",
    adjoint: str = "recursive",
    integrator: str = "esdirk",
    n_steps: int = 4000,
) -> LateUniverse:
    r"""The late-universe stage from production-stage numbers (see :func:`late_universe`)."""
    if integrator not in INTEGRATORS:
        raise ValueError(f"integrator={integrator!r}: allowed values are {INTEGRATORS}")
    if not (isinstance(n_steps, int) and n_steps >= 4 and n_steps % 2 == 0):
        raise ValueError(f"n_steps={n_steps!r}: must be an even integer >= 4")
    if solver not in TABLEAUS:
        raise ValueError(f"solver={solver!r}: allowed values are {sorted(TABLEAUS)}")
    if not (isinstance(n_save, int) and n_save >= 2):
        raise ValueError(f"n_save={n_save!r}: must be an integer >= 2")
    if not (isinstance(max_steps, int) and max_steps >= 16):
        raise ValueError(f"max_steps={max_steps!r}: must be an integer >= 16")
    if not (isinstance(rtol, (int, float)) and 1e-14 <= rtol <= 1e-3):
        raise ValueError(f"rtol={rtol!r}: allowed range is [1e-14, 1e-3]")
    _adjoint(adjoint)
    f64 = lambda v: jnp.asarray(v, dtype=jnp.float64)  # noqa: E731
    DeltaY_chi, SigmaY_chi, xi_end, DeltaY_B = map(f64, (DeltaY_chi, SigmaY_chi, xi_end, DeltaY_B))
    m_chi, m_phi, kappa, T_RH = map(f64, (m_chi, m_phi, kappa, T_RH))
    entropy_ratio = jnp.maximum(g_dark * xi_end**3 / g_star_s_production, 1e-300)
    m_light = jnp.minimum(m_chi, m_phi)

    # start at x = m_light/T_chi = x_start (xi estimated with the massless dark bath), but not
    # hotter than 1e-2 T_RH; stop at x_stop. The clock is ln T_chi: xi at both ends (and at
    # T = 1 MeV for Delta N_eff) by one Newton root find each.
    xi_rel = xi_end * (g_dark / (7.0 / 8.0 * 4.0 + 2.0 + g_eta(eta))) ** (1.0 / 3.0)
    T_start = jnp.minimum(m_light / (x_start * xi_rel), 1e-2 * T_RH)
    T_stop = m_light / (x_stop * xi_end)
    T_ends = jnp.stack([T_start, T_stop, jnp.full_like(T_start, T_N_eff)])
    xi_ends = jax.vmap(lambda T: xi_from_entropy(T, entropy_ratio, m_chi, m_phi, eta))(T_ends)
    ln_T_chi_start = jnp.log(xi_ends[0] * T_start)
    lam_end = ln_T_chi_start - jnp.log(xi_ends[1] * T_stop)

    Delta = jnp.abs(2.0 * DeltaY_chi)  # N_+ - N_- : Delta Y_chi + Delta Y_phi
    N_tot0 = 2.0 * SigmaY_chi  # chi family: Y_chi + Y_chibar + Y_phi + Y_phi*
    # start from the frozen-in count; if annihilation is faster than expansion there, the first
    # (L-stable) steps take the bath to chemical equilibrium, as the Boltzmann equation says.
    N0 = jnp.maximum(0.5 * (N_tot0 - Delta), 1e-20 * N_tot0 + 1e-300)

    # the reference's floor: a rough frozen-out minority, 1/k at x = 20 (the symmetric relic is
    # ~ x_f/(20 k(20))), at most the initial one; only a change of variables (no gradient)
    bath0 = _DarkBath(entropy_ratio, m_chi, m_phi, kappa, Delta, jnp.zeros(()), eta)
    b20 = bath0.at(jnp.log(m_light / 20.0))
    ln_floor = jnp.clip(jnp.minimum(jnp.log(N0), -jnp.log(b20["rate"])), -575.0, 0.0)
    bath = eqx.tree_at(lambda b: b.ln_N_floor, bath0, jax.lax.stop_gradient(ln_floor))

    grid = lam_end * jnp.linspace(0.0, 1.0, n_save)
    path = jax.vmap(bath.at)(ln_T_chi_start - grid)
    if integrator == "esdirk":
        N_end, N_path, code, num_steps, num_rejected = _integrate_esdirk(
            bath, ln_T_chi_start, N0, lam_end, grid, path, rtol, max_steps, solver, adjoint
        )
    else:
        N_end, N_path, code, num_steps, num_rejected = _integrate_bdf2(
            bath, ln_T_chi_start, N0, lam_end, grid, n_steps
        )
    finite = jnp.isfinite(N_end) & jnp.isfinite(lam_end) & (lam_end > 0) & (N_end >= 0)
    status = jnp.where(
        code != STATUS_SUCCESS,
        code,
        jnp.where(finite, STATUS_SUCCESS, STATUS_LATE_UNIVERSE_NONFINITE),
    ).astype(jnp.int32)
    ok = status == STATUS_SUCCESS
    nan_if_bad = lambda v: jnp.where(ok, v, jnp.nan)  # noqa: E731
    N_min = nan_if_bad(jnp.where(ok, N_end, 0.0))
    N_maj = N_min + Delta
    Y_tot = N_maj + N_min
    positive = DeltaY_chi >= 0
    Y_chi = jnp.where(positive, N_maj, N_min)
    Y_chibar = jnp.where(positive, N_min, N_maj)
    Omega = constants.omega_h2_per_GeV_yield * m_light * Y_tot
    Omega_asym = constants.omega_h2_per_GeV_yield * m_light * Delta

    # dark radiation at T ~ 1 MeV
    xi_N = xi_ends[2]
    dN = delta_N_eff(xi_N, xi_N * T_N_eff, m_chi, m_phi, eta)
    N_eff = constants.N_eff_SM + dN

    # diagnostic: phi <-> chi eta-bar equilibrium at x_chi = m_chi/T_chi = 20
    gamma_over_H = phi_decay_width(m_chi, m_phi, kappa, eta) / bath.at(jnp.log(m_chi / 20.0))["H"]

    return LateUniverse(
        Omega_chi_h2=Omega,
        Omega_asymmetric_h2=nan_if_bad(Omega_asym),
        Omega_symmetric_h2=Omega - Omega_asym,
        asymmetric_fraction=Delta / Y_tot,
        Y_chi=Y_chi,
        Y_chibar=Y_chibar,
        DeltaY_chi_today=nan_if_bad(2.0 * DeltaY_chi),
        DeltaY_B=DeltaY_B,
        xi_N_eff=xi_N,
        Delta_N_eff=dN,
        N_eff=N_eff,
        N_eff_ok=N_eff <= constants.N_eff_planck_95_upper,
        m_relic=m_light,
        chi_is_relic=m_phi > m_chi,
        phi_decay_over_hubble=gamma_over_H,
        x_chi_start=m_chi / jnp.exp(ln_T_chi_start),
        T_start=T_start,
        T_stop=T_stop,
        status=status,
        num_steps=jnp.asarray(num_steps, dtype=jnp.int32),
        num_rejected_steps=jnp.asarray(num_rejected, dtype=jnp.int32),
        evolution=LateEvolution(
            T=path["T"],
            xi=path["xi"],
            x_chi=m_chi / path["T_chi"],
            Y_majority=N_path + Delta,
            Y_minority=N_path,
            Y_eq=jnp.exp(path["lnN_eq"]),
        ),
    )


def late_universe(solution, model, **settings) -> LateUniverse:
    r"""Carry a production-stage :class:`~jaxcogen.Solution` of ``model`` to today.

    Uses ``solution.DeltaY_chi``, ``SigmaY_chi``, ``xi_final`` (end of production) and
    ``DeltaY_B`` (at sphaleron freeze-out), and the model's :math:`m_\chi`, :math:`m_\phi`,
    :math:`\kappa`, :math:`T_{\rm RH}` and conventions (``eta``, ``g_dark``). Keyword settings:
    ``x_start`` (1), ``x_stop`` (1e6), ``integrator`` (``"esdirk"``: adaptive diffrax
    :class:`~jaxcogen.late_universe._solver.RiccatiESDIRK`, Ω within ~1e-8 of a Radau solve and
    exact gradients; ``"bdf2"``: fixed grid, faster at hard points, ~1e-5), ``rtol`` (1e-9),
    ``max_steps`` (4096), ``solver`` (``"Kvaerno5"``, ``"Kvaerno4"``, ``"Kvaerno3"``), ``adjoint``
    (``"recursive"``, ``"forward"``, ``"direct"``), ``n_steps`` (4000, the BDF2 grid), ``n_save``
    (100, the ``evolution`` grid). Jittable and differentiable; the conventions and the integer
    and string settings are static.
    """
    conv = model.conventions
    return late_universe_from_yields(
        DeltaY_chi=solution.DeltaY_chi,
        SigmaY_chi=solution.SigmaY_chi,
        xi_end=solution.xi_final,
        DeltaY_B=solution.DeltaY_B,
        m_chi=model.m_chi,
        m_phi=model.m_phi,
        kappa=model.kappa,
        T_RH=model.T_RH,
        g_dark=conv.g_dark,
        eta=conv.eta,
        g_star_s_production=thermodynamics.g_star_s(solution.T_end),
        **settings,
    )
