r"""The quadrature rate network: every collision term of the production stage from :mod:`.thermal`.

:class:`QuadratureRateNetwork` fills :class:`~jaxcogen.rates._network.ThermalRates` for
``statistics`` ∈ {``"maxwell_boltzmann"``, ``"quantum"``} and ``propagator`` ∈ {``"eft"``, ``"full"``}.
SM species (:math:`L`: FD, :math:`H`: BE) sit at :math:`T`, dark ones (:math:`\chi`: FD,
:math:`\phi`: BE) at :math:`T_\chi=\xi T`; with quantum statistics every final state carries its
Pauli-blocking / Bose-enhancement factor at its own bath temperature.

For each process class :math:`P` (:mod:`.amplitudes`) the net rate of the pair
:math:`N_P=\Gamma(a b\to c d)-\Gamma(c d\to a b)` is computed with per-species chemical potentials
:math:`\hat\mu_X`, and linearised by forward-mode differentiation at :math:`\hat\mu=0`:

.. math::
    \text{production}&=\sum_{P\in\text{portal}}2N_P,\qquad
    \text{energy}=\sum_{P\in\text{portal}}n_{\rm CP}N_P^{(E)},\qquad
    S^{\rm net}_{L,\chi}=c_{L,\chi}\big[G(T)-G(T_\chi)\big],\\
    R_{Q,\rm SM}&=-\sum_Pm_P\,\Delta Q_P\sum_{X=L,H}w_X\frac{\partial N_P}{\partial\hat\mu_X},\qquad
    R_{Q,D}=-\xi^{-3}\sum_Pm_P\,\Delta Q_P\sum_{X=\chi,\phi}w_X\frac{\partial N_P}{\partial\hat\mu_X},

with :math:`Q\in\{L,N_\chi\}`, :math:`m_P` the CP multiplicity (2 when the CP-conjugate class is a
different reaction pair: it has the same rate with :math:`\hat\mu\to-\hat\mu` and opposite charges),
:math:`n_{\rm CP}=2` (``energy_transfer="exact"``, plasma-frame :math:`E_+`) or 1 (``"talk"``,
:math:`\sqrt s` weighting), and :math:`w_X` the share of :math:`\mu_{\rm SM}=\hat\mu_L+\hat\mu_H`
(:math:`\mu_D=\hat\mu_\chi+\hat\mu_\phi`) carried by each species (Maxwell–Boltzmann rates depend
only on the sums; quantum rates do not, see :func:`chemical_potential_shares`). In the
Maxwell–Boltzmann, EFT, massless limit these are exactly the terms of
:class:`~jaxcogen.rates._network.AnalyticRateNetwork` (notes §3.4(c′)).

CP-odd sources: :math:`G(T)` is the thermal average of the :math:`s^2` reduced cross section with
the initial-state statistics of the SM pair (and :math:`G(T_\chi)` of the dark pair: the inverse
sources), with :math:`c_L=-\frac{3J_w}{4\pi}`, :math:`c_\chi=-\frac{J_d}{2\pi}` so that the MB limit
is :math:`S_{L,\chi}(T)(1-\xi^8)` of notes §2.4. No final-state factors enter the CP-odd part: the
CPT + unitarity sum rule that makes the sources vanish in equilibrium holds only if the cut
(loop) states carry the same thermal factors, which the vacuum :math:`\Delta\hat\sigma` does not
(crosscheck item 3, "not addressed"); with initial-state statistics only the sources still vanish
at :math:`\xi=1`. The CP-odd cross sections are those of the leading EFT in both propagator modes.

Chemical potentials: with ``statistics="quantum"`` and ``spectators="none"`` the response
columns are rescaled from the Maxwell–Boltzmann susceptibilities used by
:func:`jaxcogen.production._boltzmann.chemical_potential_coefficients` to the quantum ones
(:func:`susceptibility_correction`), so that rates and :math:`\hat\mu(\Delta Y)` use the same
statistics.

Three evaluation modes (``"auto"`` picks the cheapest exact one, :meth:`QuadratureRateNetwork.from_model`):

- ``"tabulated"`` (massless EFT): every quantity is a coupling times a power of :math:`T` times a
  function of :math:`\xi`, tabulated once per statistics on Chebyshev nodes in :math:`\xi` (MB:
  polynomials, exact; quantum: :math:`\ln\xi` on :math:`[10^{-3},1]`) and interpolated by
  Clenshaw's recurrence, differentiable in :math:`T`, :math:`u` and couplings;
- ``"temperature_table"`` (MB, exact propagators): :class:`TemperatureTable`, one function of one
  temperature per process, tabulated per parameter point;
- ``"direct"``: the quadrature at every right-hand-side call (quantum statistics with exact
  propagators, massive states). Correct but expensive to compile inside an implicit solver.
"""

import functools
from typing import Literal

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from jaxcogen.model._cogenesis import CogenesisModel
from jaxcogen.model._conventions import Conventions
from jaxcogen.production._spectators import sm_equilibrium_coefficients
from jaxcogen.rates._network import AbstractRateNetwork, ThermalRates, xi_power
from jaxcogen.rates.collisions._amplitudes import (
    DARK_PROCESSES,
    MIXED_PROCESSES,
    PORTAL_PROCESSES,
    SM_PROCESSES,
    SPECIES,
    SPECIES_ORDER,
    AbstractProcess,
    PortalCouplings,
    PowerLaw,
)
from jaxcogen.rates.collisions._quadrature import QuadratureSettings
from jaxcogen.rates.collisions._thermal import Participant, thermal_rate

Mode = Literal["direct", "tabulated", "temperature_table"]

#: Smallest xi used by the direct quadrature (MB: exact analytic reduction; quantum: the
#: cross-bath angular rule resolves T_chi/T down to ~1e-3 at 1e-8).
_XI_FLOOR = {"maxwell_boltzmann": 1e-10, "quantum": 1e-3}
_N_CHEBYSHEV = {"maxwell_boltzmann": 16, "quantum": 48}
_COUPLING_POWER = {"a": 6, "b": 8, "w": 6, "d": 6}
_CP_SOURCE_LEPTON = -0.75 / np.pi  # x J_w, per unit |M|^2 = s^2 average
_CP_SOURCE_DARK = -0.5 / np.pi  # x J_d


_PORTAL_NAMES = frozenset(p.name for p in PORTAL_PROCESSES)


def is_portal(process: AbstractProcess) -> bool:
    """True for the SM↔dark pair processes (they produce χ and transfer energy)."""
    return process.name in _PORTAL_NAMES


def all_processes(mixed: bool) -> tuple[AbstractProcess, ...]:
    """The process classes of the network (mixed SM+dark ones when ``mixed``)."""
    base = PORTAL_PROCESSES + SM_PROCESSES + DARK_PROCESSES
    return base + (MIXED_PROCESSES if mixed else ())


def chemical_potential_shares(conventions: Conventions) -> tuple[np.ndarray, np.ndarray]:
    r"""Shares :math:`(w_L,w_H)` of :math:`\mu_{\rm SM}` and :math:`(w_\chi,w_\phi)` of :math:`\mu_D`.

    - ``spectators="none"``: no Higgs asymmetry, :math:`(1,0)`. With Maxwell–Boltzmann
      susceptibilities, :math:`\Delta Y_\chi=\Delta Y_\phi` and :math:`g_\chi=g_\phi=1` give
      :math:`\hat\mu_\chi=\hat\mu_\phi`, :math:`(\frac12,\frac12)`; with quantum statistics the
      boson susceptibility is twice the fermion one, :math:`\hat\mu_\chi=2\hat\mu_\phi`,
      :math:`(\frac23,\frac13)`;
    - ``"sm_equilibrium"``: :math:`\hat\mu_\ell:\hat\mu_H=c_\ell/2:c_H/4` (crosscheck item 5),
      and quantum susceptibilities, :math:`(\frac23,\frac13)`.
    """
    if conventions.spectators == "sm_equilibrium":
        c = sm_equilibrium_coefficients()
        ell, higgs = float(c.c_ell) / 2.0, float(c.c_higgs) / 4.0
        return np.array([ell, higgs]) / (ell + higgs), np.array([2.0, 1.0]) / 3.0
    if conventions.statistics == "quantum":
        return np.array([1.0, 0.0]), np.array([2.0, 1.0]) / 3.0
    return np.array([1.0, 0.0]), np.array([0.5, 0.5])


def susceptibility_correction(conventions: Conventions) -> np.ndarray:
    r"""Factors that turn the MB chemical potentials of ``spectators="none"`` into quantum ones.

    :func:`jaxcogen.production._boltzmann.chemical_potential_coefficients` converts :math:`\Delta Y` into
    :math:`\hat\mu` with Maxwell–Boltzmann susceptibilities for ``spectators="none"``
    (:math:`\Delta n=2gT^3\hat\mu/\pi^2`). With ``statistics="quantum"`` the consistent
    susceptibilities are :math:`gT^3\hat\mu/6` (fermion) and :math:`gT^3\hat\mu/3` (boson) [S],
    so the response columns are multiplied by :math:`\hat\mu^{\rm FD}_\ell/\hat\mu^{\rm MB}_\ell=12/\pi^2`
    and :math:`(\hat\mu_\chi+\hat\mu_\phi)^{\rm quantum}/(\cdot)^{\rm MB}=(6+3)/\pi^2`
    (:math:`g_\chi=g_\phi=1`). Ones otherwise (``"sm_equilibrium"`` is already quantum).
    """
    if conventions.statistics == "quantum" and conventions.spectators == "none":
        return np.array([12.0, 9.0]) / np.pi**2
    return np.ones(2)


def _statistics(species: str, statistics: str) -> str:
    if statistics == "maxwell_boltzmann":
        return "MB"
    return "FD" if SPECIES[species][0] == "fermion" else "BE"


def process_net_rates(
    process: AbstractProcess,
    couplings: PortalCouplings,
    T: Float[ArrayLike, ""],
    T_chi: Float[ArrayLike, ""],
    *,
    statistics: str,
    propagator: str,
    settings: QuadratureSettings,
    energy_weight: str | None = None,
) -> tuple[Float[ArrayLike, ""], Float[ArrayLike, ""], Float[Array, "4"]]:
    r"""Net pair rate :math:`N_P` at :math:`\hat\mu=0`, its energy-weighted version (0 if
    ``energy_weight`` is None) and :math:`\partial N_P/\partial\hat\mu_X` for
    :math:`X=(L,H,\chi,\phi)`."""
    quantum = statistics == "quantum"

    def participants(mu):
        out = []
        for species, sign in process.particles:
            bath = SPECIES[species][1]
            idx = SPECIES_ORDER.index(species)
            temp = T if bath == "sm" else T_chi
            mass = {"chi": couplings.m_chi, "phi": couplings.m_phi}.get(species, jnp.zeros(()))
            out.append(Participant(temp, mass, sign * mu[idx], _statistics(species, statistics)))
        return out

    def net(mu, weight):
        a, b, c, d = participants(mu)
        kw = dict(propagator=propagator, weight=weight, final_factors=quantum, settings=settings)
        fwd = thermal_rate(process, couplings, (a, b), (c, d), **kw)
        inv = thermal_rate(process, couplings, (c, d), (a, b), **kw)
        return fwd - inv

    mu0 = jnp.zeros(4)
    value, lin = jax.linearize(lambda mu: net(mu, "number"), mu0)
    grad = jax.vmap(lin)(jnp.eye(4))
    energy = jnp.zeros(()) if energy_weight is None else net(mu0, energy_weight)
    return value, energy, grad


def cp_source_kernels(
    T: Float[ArrayLike, ""],
    T_chi: Float[ArrayLike, ""],
    statistics: str,
    settings: QuadratureSettings,
) -> tuple[Float[ArrayLike, ""], Float[ArrayLike, ""]]:
    r""":math:`G(T)` of the SM pair and :math:`G(T_\chi)` of the dark pair for :math:`|\mathcal M|^2=s^2`,
    initial-state statistics only (module docstring)."""
    quantum = statistics == "quantum"
    couplings = PortalCouplings.unit("a")
    power = PowerLaw(power=2)

    def g(temp):
        a = Participant(temp, 0.0, 0.0, "FD" if quantum else "MB")
        b = Participant(temp, 0.0, 0.0, "BE" if quantum else "MB")
        return thermal_rate(
            power, couplings, (a, b), (a, b), final_factors=False, settings=settings
        )

    return g(T), g(T_chi)


class RateTables(eqx.Module):
    r"""Chebyshev coefficients of the massless-EFT rates per unit coupling at :math:`T=1`.

    Maxwell–Boltzmann rates are polynomials in :math:`\xi` (the :math:`(1-\xi^n)` factors), tabulated
    exactly in :math:`\xi\in[0,1]`. Quantum rates carry :math:`\ln\xi` terms from soft final-state
    bosons (:math:`1+f_B(E)\simeq T/E` down to :math:`E\sim T_\chi`), so they are tabulated in
    :math:`\ln\xi` on :math:`[\xi_{\min},1]` and evaluated at :math:`\max(\xi,\xi_{\min})`.

    Attributes:
        coefficients: shape ``(n_process, 6, n)``: net rate, energy-weighted net rate,
            :math:`\partial N/\partial\hat\mu_{L,H}`, :math:`\xi^{-3}\partial N/\partial\hat\mu_{\chi,\phi}`.
        source: shape ``(2,)``: :math:`G(1)` of the SM and of the dark pair.
        xi_min: ``None`` (polynomial table in :math:`\xi`) or :math:`\xi_{\min}` of the log table.
    """

    coefficients: Float[Array, "p 6 n"]
    source: Float[Array, "2"]
    xi_min: float | None = eqx.field(static=True)

    def variable(self, u: Float[ArrayLike, ""]) -> Float[ArrayLike, ""]:
        r"""Chebyshev variable :math:`t\in[-1,1]` at :math:`u=\xi^4`."""
        if self.xi_min is None:
            return 2.0 * xi_power(u, 1) - 1.0
        log_min = np.log(self.xi_min)
        y = 0.25 * jnp.log(jnp.maximum(u, self.xi_min**4))
        return 1.0 - 2.0 * y / log_min

    def nodes(self) -> np.ndarray:
        r""":math:`\xi` at the Chebyshev nodes."""
        return _table_nodes(self.coefficients.shape[-1], self.xi_min)


def _table_nodes(n: int, xi_min: float | None) -> np.ndarray:
    t = np.cos(np.pi * (np.arange(n) + 0.5) / n)
    if xi_min is None:
        return 0.5 * (1.0 + t)
    return np.exp(0.5 * (1.0 - t) * np.log(xi_min))


def _chebyshev_coefficients(values: np.ndarray) -> np.ndarray:
    """Coefficients along the last axis from values at the Chebyshev nodes (DCT-II)."""
    n = values.shape[-1]
    k = np.arange(n)
    basis = np.cos(np.pi * k[:, None] * (k[None, :] + 0.5) / n)  # (j, node)
    c = values @ basis.T * (2.0 / n)
    c[..., 0] *= 0.5
    return c


def chebyshev_eval(
    coefficients: Float[Array, "... n"], t: Float[ArrayLike, ""]
) -> Float[ArrayLike, "..."]:
    r"""Clenshaw evaluation of :math:`\sum_jc_jT_j(t)`."""
    n = coefficients.shape[-1]
    b1 = jnp.zeros(coefficients.shape[:-1])
    b2 = jnp.zeros(coefficients.shape[:-1])
    for j in range(n - 1, 0, -1):
        b1, b2 = 2.0 * t * b1 - b2 + coefficients[..., j], b1
    return t * b1 - b2 + coefficients[..., 0]


@functools.cache
def build_tables(
    statistics: str, energy_weight: str, mixed: bool, settings: QuadratureSettings
) -> RateTables:
    """Tabulate the massless-EFT rates once (cached per statistics, energy weight and settings)."""
    processes = all_processes(mixed)
    quantum = statistics == "quantum"
    xi_min = _XI_FLOOR["quantum"] if quantum else None
    nodes = _table_nodes(_N_CHEBYSHEV[statistics], xi_min)
    with jax.ensure_compile_time_eval():

        @jax.jit
        def at(xi):
            rows = []
            for proc in processes:
                couplings = PortalCouplings.unit(proc.coupling)
                ew = energy_weight if is_portal(proc) else None
                value, energy, grad = process_net_rates(
                    proc,
                    couplings,
                    jnp.ones(()),
                    xi,
                    statistics=statistics,
                    propagator="eft",
                    settings=settings,
                    energy_weight=ew,
                )
                dark = grad[2:] / xi**3
                rows.append(jnp.concatenate([jnp.stack([value, energy]), grad[:2], dark]))
            g_sm, g_dark = cp_source_kernels(jnp.ones(()), jnp.ones(()), statistics, settings)
            return jnp.stack(rows), jnp.stack([g_sm, g_dark])

        values = []
        source = None
        for xi in nodes:
            rows, source = at(jnp.asarray(xi))
            values.append(np.asarray(rows))
        values = np.stack(values, axis=-1)  # (p, 6, n)
        return RateTables(
            coefficients=jnp.asarray(_chebyshev_coefficients(values)),
            source=jnp.asarray(np.asarray(source)),
            xi_min=xi_min,
        )


_T_TABLE_NODES = 48


def _bath_temperatures(process: AbstractProcess, T, T_chi):
    temps = [T if SPECIES[species][1] == "sm" else T_chi for species, _ in process.particles]
    return temps


def _species_signs(process: AbstractProcess, which: slice) -> np.ndarray:
    r""":math:`\sum_i\sigma_i` per species :math:`(L,H,\chi,\phi)` over the initial or final pair."""
    out = np.zeros(4)
    for species, sign in process.particles[which]:
        out[SPECIES_ORDER.index(species)] += sign
    return out


@functools.cache
def _eft_unit_rates(energy_weight: str, mixed: bool) -> np.ndarray:
    r"""Massless MB EFT rates per unit :math:`|c_X|^2` at :math:`T=1`: shape ``(p, 2)`` (:math:`\gamma`, :math:`C_E`)."""
    rows = []
    with jax.ensure_compile_time_eval():
        for proc in all_processes(mixed):
            couplings = PortalCouplings.unit(proc.coupling)
            one = (Participant(1.0), Participant(1.0))
            kw = dict(final_factors=False)
            g = thermal_rate(proc, couplings, one, one, **kw)
            e = thermal_rate(proc, couplings, one, one, weight=energy_weight, **kw)
            rows.append([float(g), float(e)])
    return np.asarray(rows)


class TemperatureTable(eqx.Module):
    r"""Exact-propagator corrections of the Maxwell–Boltzmann rates on a temperature grid (per point).

    For massless Maxwell–Boltzmann states without final-state factors, every rate of a pair at
    temperatures :math:`(T_a,T_b)` depends on them only through :math:`T_{\rm eff}=\sqrt{T_aT_b}`
    (number) — the Bessel argument is :math:`\sqrt s\kappa` with :math:`\kappa=1/\sqrt{T_aT_b}`
    (:mod:`.thermal`) — and the energy-weighted rate is needed only for equal temperatures. So each
    process needs one function of one temperature, :math:`\gamma_P(T)=\gamma_P^{\rm EFT}(T)
    [1+D_P(T)\,T^2/M_1^2]`. :math:`D_P` tends to a constant as :math:`T/M\to0` (the
    :math:`(T/M)^2` expansion of the propagators, a polynomial in :math:`T`) plus on-shell tails
    :math:`\propto e^{-M/T}` that vary on the scale :math:`\Delta T\sim T^2/M`, so it is interpolated
    by a Chebyshev series in :math:`T` on :math:`[0,T_{\rm RH}]` (every effective temperature is
    below :math:`T_{\rm RH}`; a :math:`\ln T` grid resolves the tails worse, 1e-7 against 1e-10
    with the same node count). Built once per parameter point, differentiably (traced nodes).

    Attributes:
        coefficients: shape ``(p, 2, n)``: :math:`D_P` of :math:`\gamma` and of :math:`C_E`.
        T_max: :math:`T_{\rm RH}` [GeV].
        M1: the reference mass [GeV].
    """

    coefficients: Float[Array, "p 2 n"]
    T_max: Float[ArrayLike, ""]
    M1: Float[ArrayLike, ""]

    def ratios(self, T_eff: Float[ArrayLike, ""]) -> Float[Array, "p 2"]:
        t = jnp.clip(2.0 * T_eff / self.T_max - 1.0, -1.0, 1.0)
        return 1.0 + chebyshev_eval(self.coefficients, t) * (T_eff / self.M1) ** 2


def build_temperature_table(
    couplings: PortalCouplings,
    T_max: Float[ArrayLike, ""],
    conventions: Conventions,
    settings: QuadratureSettings,
) -> TemperatureTable:
    """Tabulate :math:`D_P(T)` of :class:`TemperatureTable` at the Chebyshev nodes (direct quadrature)."""
    processes = all_processes(conventions.mixed_processes)
    energy_weight = _energy_weight(conventions)
    unit = jnp.asarray(_eft_unit_rates(energy_weight, conventions.mixed_processes))
    n = _T_TABLE_NODES
    t_nodes = np.cos(np.pi * (np.arange(n) + 0.5) / n)
    M1 = couplings.masses[0]

    def at(t):
        T = 0.5 * T_max * (1.0 + t)
        one = (Participant(T), Participant(T))
        rows = []
        for i, proc in enumerate(processes):
            kw = dict(final_factors=False, propagator="full", settings=settings)
            g = thermal_rate(proc, couplings, one, one, **kw)
            scale = (
                couplings.eft_coefficient_squared(proc.coupling)
                * T ** _COUPLING_POWER[proc.coupling]
            )
            if is_portal(proc):
                e = thermal_rate(proc, couplings, one, one, weight=energy_weight, **kw)
            else:
                e = g * T * unit[i, 1] / unit[i, 0]
            ratio_g = g / (scale * unit[i, 0])
            ratio_e = e / (scale * T * unit[i, 1])
            rows.append(jnp.stack([ratio_g - 1.0, ratio_e - 1.0]) * (M1 / T) ** 2)
        return jnp.stack(rows)

    values = jax.lax.map(at, jnp.asarray(t_nodes))  # (n, p, 2)
    values = jnp.moveaxis(values, 0, -1)
    k = np.arange(n)
    basis = jnp.asarray(np.cos(np.pi * k[:, None] * (k[None, :] + 0.5) / n) * (2.0 / n))
    basis = basis.at[0].multiply(0.5)
    coefficients = jnp.einsum("pen,jn->pej", values, basis)
    return TemperatureTable(coefficients=coefficients, T_max=T_max, M1=M1)


class QuadratureRateNetwork(AbstractRateNetwork):
    r"""Collision terms from the thermal-rate engine (module docstring).

    Attributes:
        couplings: the amplitudes' couplings and masses (:class:`PortalCouplings`).
        conventions: the model's conventions (``statistics``, ``propagator``, ``energy_transfer``,
            ``mixed_processes``, ``spectators`` are used).
        settings: quadrature node counts.
        mode: ``"direct"``, ``"tabulated"`` or ``"temperature_table"`` (static).
        tables: the :class:`RateTables` of the tabulated mode (``None`` otherwise).
        temperature_table: the :class:`TemperatureTable` of the ``"temperature_table"`` mode.
    """

    couplings: PortalCouplings
    conventions: Conventions
    settings: QuadratureSettings
    mode: Mode = eqx.field(static=True)
    tables: RateTables | None
    temperature_table: TemperatureTable | None = None

    @classmethod
    def from_model(
        cls,
        model: CogenesisModel,
        *,
        mode: Mode | Literal["auto"] = "auto",
        massive: bool = False,
        settings: QuadratureSettings | None = None,
    ) -> "QuadratureRateNetwork":
        r"""The network of ``model``.

        Args:
            mode: ``"auto"``: ``"tabulated"`` for the massless EFT (a :math:`\xi` table shared by
                all points), ``"temperature_table"`` for Maxwell–Boltzmann exact propagators (a
                :math:`\ln T` table per point, :class:`TemperatureTable`), ``"direct"`` otherwise
                (quantum statistics with exact propagators, massive states).
            massive: use :math:`m_\chi,m_\phi` in the kinematics and distributions (direct mode);
                the default massless limit is that of the analytic network (during production
                :math:`m/T\le10^{-8}T_{\rm RH}/T`, negligible).
            settings: quadrature node counts (default :class:`QuadratureSettings`).
        """
        conv = model.conventions
        settings = QuadratureSettings() if settings is None else settings
        can_tabulate = conv.propagator == "eft" and not massive
        can_t_table = conv.statistics == "maxwell_boltzmann" and not massive
        if mode == "auto":
            mode = (
                "tabulated" if can_tabulate else ("temperature_table" if can_t_table else "direct")
            )
        if mode == "tabulated" and not can_tabulate:
            raise ValueError("mode='tabulated' needs propagator='eft' and massless states")
        if mode == "temperature_table" and not can_t_table:
            raise ValueError(
                "mode='temperature_table' needs Maxwell–Boltzmann statistics and massless states"
            )
        couplings = PortalCouplings.from_model(model, massive=massive)
        tables = t_table = None
        if mode == "tabulated":
            tables = build_tables(
                conv.statistics, _energy_weight(conv), conv.mixed_processes, settings.refined()
            )
        if mode == "temperature_table":
            t_table = build_temperature_table(couplings, model.T_RH, conv, settings)
        return cls(
            couplings=couplings,
            conventions=conv,
            settings=settings,
            mode=mode,
            tables=tables,
            temperature_table=t_table,
        )

    def __call__(self, T: Float[ArrayLike, ""], u: Float[ArrayLike, ""]) -> ThermalRates:
        if self.mode == "tabulated":
            return self._tabulated(T, u)
        if self.mode == "temperature_table":
            return self._temperature_tabulated(T, u)
        return self._direct(T, u)

    # ---------------------------------------------------------------------------------------

    def _assemble(self, per_process, g_sm, g_dark) -> ThermalRates:
        conv = self.conventions
        w_sm, w_dark = chemical_potential_shares(conv)
        n_cp_energy = 1.0 if conv.energy_transfer == "talk" else 2.0
        production = jnp.zeros(())
        energy = jnp.zeros(())
        response = jnp.zeros((2, 2))
        for proc, (value, e_value, d_sm, d_dark) in zip(
            all_processes(conv.mixed_processes), per_process, strict=True
        ):
            m = float(proc.cp_multiplicity)
            if is_portal(proc):
                production = production + m * value
                energy = energy + n_cp_energy * e_value
            sm = jnp.dot(jnp.asarray(w_sm), d_sm)
            dk = jnp.dot(jnp.asarray(w_dark), d_dark)
            charges = jnp.asarray(proc.charges, dtype=jnp.float64)
            response = response - m * charges[:, None] * jnp.stack([sm, dk])[None, :]
        c = self.couplings
        diff = g_sm - g_dark
        return ThermalRates(
            production=production,
            energy_transfer=energy,
            source_lepton=_CP_SOURCE_LEPTON * c.J_w * diff,
            source_dark=_CP_SOURCE_DARK * c.J_d * diff,
            response=response * jnp.asarray(susceptibility_correction(conv))[None, :],
        )

    def _direct(self, T, u) -> ThermalRates:
        conv = self.conventions
        xi = jnp.maximum(xi_power(u, 1), _XI_FLOOR[conv.statistics])
        T_chi = xi * T
        ew = _energy_weight(conv)
        per_process = []
        for proc in all_processes(conv.mixed_processes):
            value, e_value, grad = process_net_rates(
                proc,
                self.couplings,
                T,
                T_chi,
                statistics=conv.statistics,
                propagator=conv.propagator,
                settings=self.settings,
                energy_weight=ew if is_portal(proc) else None,
            )
            per_process.append((value, e_value, grad[:2], grad[2:] / xi**3))
        g_sm, g_dark = cp_source_kernels(T, T_chi, conv.statistics, self.settings)
        return self._assemble(per_process, g_sm, g_dark)

    def _temperature_tabulated(self, T, u) -> ThermalRates:
        r"""Maxwell–Boltzmann structure: :math:`N_P(\hat\mu)=\gamma_P(T_{\rm in})e^{\sum_{\rm in}\sigma\hat\mu}
        -\gamma_P(T_{\rm out})e^{\sum_{\rm out}\sigma\hat\mu}` with :math:`T_{\rm in,out}` the
        effective temperatures of the two pairs (detailed balance: MB rates of a pair depend only
        on its own temperatures), :math:`\gamma_P` from :class:`TemperatureTable`."""
        conv = self.conventions
        xi = jnp.maximum(xi_power(u, 1), _XI_FLOOR[conv.statistics])
        T_chi = xi * T
        unit = jnp.asarray(_eft_unit_rates(_energy_weight(conv), conv.mixed_processes))
        per_process = []
        for i, proc in enumerate(all_processes(conv.mixed_processes)):
            ta, tb, tc, td = _bath_temperatures(proc, T, T_chi)
            t_in, t_out = jnp.sqrt(ta * tb), jnp.sqrt(tc * td)
            n = _COUPLING_POWER[proc.coupling]
            c2 = self.couplings.eft_coefficient_squared(proc.coupling)
            r_in = self.temperature_table.ratios(t_in)[i]
            r_out = self.temperature_table.ratios(t_out)[i]
            g_in = c2 * unit[i, 0] * t_in**n * r_in[0]
            g_out = c2 * unit[i, 0] * t_out**n * r_out[0]
            e_value = c2 * unit[i, 1] * (t_in ** (n + 1) * r_in[1] - t_out ** (n + 1) * r_out[1])
            grad = g_in * jnp.asarray(_species_signs(proc, slice(0, 2))) - g_out * jnp.asarray(
                _species_signs(proc, slice(2, 4))
            )
            per_process.append((g_in - g_out, e_value, grad[:2], grad[2:] / xi**3))
        g_sm, g_dark = cp_source_kernels(T, T_chi, conv.statistics, self.settings)
        return self._assemble(per_process, g_sm, g_dark)

    def _tabulated(self, T, u) -> ThermalRates:
        conv = self.conventions
        q = chebyshev_eval(self.tables.coefficients, self.tables.variable(u))  # (p, 6)
        per_process = []
        for i, proc in enumerate(all_processes(conv.mixed_processes)):
            n = _COUPLING_POWER[proc.coupling]
            scale = self.couplings.eft_coefficient_squared(proc.coupling) * T**n
            per_process.append(
                (scale * q[i, 0], scale * T * q[i, 1], scale * q[i, 2:4], scale * q[i, 4:6])
            )
        g_sm = self.tables.source[0] * T**8
        g_dark = self.tables.source[1] * xi_power(u, 8) * T**8
        return self._assemble(per_process, g_sm, g_dark)


def _energy_weight(conventions: Conventions) -> str:
    return "cm_energy" if conventions.energy_transfer == "talk" else "energy"
