r"""Physics conventions: the choices the talk leaves open, each a typed, static field.

Changing a convention changes the compiled program (the fields are static), so solves with the
same conventions and different parameter values share one compilation.
"""

from typing import Literal, no_type_check

import equinox as eqx

EnergyTransfer = Literal["exact", "talk"]
Spectators = Literal["none", "sm_equilibrium", "temperature_regime"]
Rates = Literal["analytic", "quadrature"]
Statistics = Literal["maxwell_boltzmann", "quantum"]
Propagator = Literal["eft", "full"]
EtaKind = Literal["weyl", "dirac"]
SinkReactions = Literal["ignored", "equilibrium", "rate"]

_ENERGY_TRANSFER = ("exact", "talk")
_SPECTATORS = ("none", "sm_equilibrium", "temperature_regime")
_RATES = ("analytic", "quadrature")
_STATISTICS = ("maxwell_boltzmann", "quantum")
_PROPAGATOR = ("eft", "full")
_ETA = ("weyl", "dirac")
_SINK_REACTIONS = ("ignored", "equilibrium", "rate")


# checks its own inputs (a ValueError naming the setting and its allowed values), which the
# test suite's run-time type checker would otherwise pre-empt with a TypeCheckError
@no_type_check
class Conventions(eqx.Module):
    r"""Conventions of the cogenesis Boltzmann system.

    Attributes:
        energy_transfer: how SM→dark energy transfer is computed.

            - ``"exact"`` (default): plasma-frame Maxwell–Boltzmann energy-transfer rate
              :math:`C_E=\frac{T}{64\pi^4}\int ds\,\hat\sigma\,s\,K_2(\sqrt s/T)`, both CP channels
              of both portal processes (physics notes §3.3, §3.4(a)).
            - ``"talk"``: the :math:`\sqrt s`-weighted reading
              :math:`C_E=\frac{T}{64\pi^4}\int ds\,\hat\sigma\,s\,K_1(\sqrt s/T)` with one CP
              channel per process, which reproduces the talk's constants 150 and 35/4
              (notes §2.3, tag [H]). It transfers :math:`45\pi/192\simeq0.368` of the exact
              dim-5 energy and :math:`0.322` of the exact dim-6 energy.
        g_dark: effective dof of the dark radiation in :math:`\rho_D=\frac{\pi^2}{30}g_D T_\chi^4`
            with every dark species in the bath. 0 (default) derives it from the particle content
            and ``eta`` (:func:`jaxcogen.thermodynamics.dark_radiation_dof`, the same count as the
            late-universe bath): 9 = 7/8·4 (Dirac χ) + 2 (complex φ) + 7/8·4 (Dirac η), the talk's
            value (notes §2.3 [H]), or 7.25 with a Weyl η. A positive value overrides it (both
            stages). The constructed ``Conventions`` holds the resolved number.
        mixed_processes: include the crossed SM+dark processes
            (:math:`L\chi\leftrightarrow\bar H\bar\phi`, …) in wash-out and wash-in; the leading
            channels at :math:`\xi\ll1` (notes §0.1 item 1, §3.4(c′)). Default on.
        spectators: how the Higgs and the other SM species share the lepton asymmetry.

            - ``"none"``: the asymmetry stays in the lepton doublet, no Higgs asymmetry
              (:math:`K=1/2`), with Maxwell–Boltzmann susceptibilities for every species (the
              default before issue 19; overstates :math:`\Delta Y_B` by ~11 % through the dark
              susceptibility).
            - ``"sm_equilibrium"``: all SM Yukawas and both sphalerons in chemical equilibrium,
              one lepton flavour: :math:`K=257/711` (:mod:`jaxcogen.production._spectators`), with
              quantum-statistics susceptibilities for every species (those the coefficients are
              derived with). The two differ by ~9 % in the susceptibilities alone (notes §3.5).
            - ``"temperature_regime"`` (default): as ``"sm_equilibrium"``, but :math:`K` follows the SM
              reactions in equilibrium at the temperature of the solve, :math:`\ell_N=\tau`:
              2/3 (top Yukawa, :math:`T>10^{13}` GeV), 15/23 (+ QCD sphalerons), 251/589
              (:math:`t,b,c,\tau` + both sphalerons, :math:`10^9`–:math:`10^{12}` GeV), 211/537
              (+ :math:`s,\mu`, :math:`10^5`–:math:`10^9` GeV), 257/711 (all), joined smoothly
              (:func:`jaxcogen.production._spectators.spectator_factor`, ``docs/physics.md``).
              ``rates="analytic"`` only (the quadrature network splits :math:`\mu_\ell:\mu_H`
              with the fixed ``"sm_equilibrium"`` shares).

            Why the default: production happens at :math:`10^9`–:math:`10^{12}` GeV, where only
            some Yukawas and sphalerons are in equilibrium (``"sm_equilibrium"`` holds below
            ~:math:`10^5` GeV), and the susceptibilities of fermions and bosons in kinetic
            equilibrium are the quantum ones, whatever approximation the rates make
            (``docs/physics.md``, "Which susceptibilities are right").
        rates: ``"analytic"`` (default; closed-form MB power laws of the leading EFT) or
            ``"quadrature"`` (numerical thermal averages; needed for the two options below).
        statistics: the occupation numbers *in the rates*: ``"maxwell_boltzmann"`` (default) or
            ``"quantum"`` (Fermi–Dirac / Bose–Einstein occupation numbers with Pauli blocking /
            Bose enhancement; needs ``rates="quadrature"``). It does not set the
            susceptibilities, which ``spectators`` does (quantum for ``"sm_equilibrium"`` and
            ``"temperature_regime"``, the right ones). The default stays MB because the closed-form
            analytic rates are MB; the quantum rates move the relaxation speeds by O(10–20 %)
            and cost a numerical quadrature network (``docs/physics.md``).
        propagator: ``"eft"`` (default; leading term in :math:`1/M_i`) or ``"full"`` (the
            tree-level heavy-neutrino propagators).
        eta: the dark-sink fermion :math:`\eta`: ``"dirac"`` (default, the 7/8·4 dof counted in
            ``g_dark = 9``, non-chiral coupling) or ``"weyl"`` (chiral coupling; 4× smaller
            :math:`\langle\sigma v\rangle`, notes §4).
        sink_reactions: the sink's reactions (:math:`\kappa\,\phi\chi^c\eta`) during production
            (``docs/physics.md``, "Dark bookkeeping during production").

            - ``"ignored"``: :math:`\Delta Y_\phi=\Delta Y_\chi` (no asymmetry moves into
              :math:`\xi`, η) and the dark bath holds ``g_dark`` dof throughout (the default
              before issue 19; right only for :math:`\kappa\lesssim0.05`).
            - ``"equilibrium"``: the sink's reactions in chemical equilibrium throughout
              production: :math:`\hat\mu_\chi+\hat\mu_\phi` from the conserved dark charges
              (:func:`jaxcogen.production._spectators.dark_charge_coefficient`), all of ``g_dark``
              in the bath.
            - ``"rate"`` (default): between the two, weighted by :math:`\Gamma/(\Gamma+H)` for the sink's
              rate at :math:`(\kappa,T_\chi)` (:func:`jaxcogen.production._boltzmann.sink_weights`):
              the bath holds the portal's :math:`\chi_L,\phi` (3.75 dof) plus the weighted
              rest, and the dark chemical potential is interpolated between the two limits.

            ``"equilibrium"`` and ``"rate"`` need ``rates="analytic"`` (the quadrature network
            splits :math:`\mu_D` into :math:`\mu_\chi:\mu_\phi` with fixed shares).

            Why ``"rate"``: the sink's reactions do run during production (at the built-in
            point :math:`\Gamma_{2\to2}/H\approx10^3\kappa^4`, so in equilibrium for
            :math:`\kappa\gtrsim0.2`, out of it for :math:`\kappa\lesssim0.05`); ``"rate"`` reaches
            both exact limits (``tests/test_dark_bookkeeping.py``) and follows κ in between, where
            ``"equilibrium"`` is wrong at small κ and ``"ignored"`` at large κ. The form
            :math:`\Gamma/(\Gamma+H)` between the limits is the crude partial-equilibration
            model of ``"temperature_regime"``.
        dark_radiation_in_hubble: include the dark radiation in the Hubble rate during production,
            :math:`H^2\propto g_*T^4+g_D\,T_\chi^4`, and the SM entropy the energy transfer
            removes, :math:`d(s_{\rm SM}a^3)/dt=-a^3C_E/T` (``docs/physics.md``). Default on: it is
            Friedmann's equation with both baths (a few-% correction at
            :math:`\xi\sim0.3`–0.8); ``False`` gives the SM-only Hubble rate (the default before
            issue 19).

    With ``rates="quadrature"``, ``spectators`` and ``sink_reactions`` left out default to
    ``"sm_equilibrium"`` and ``"ignored"`` instead (the quadrature network has fixed
    chemical-potential shares); asking for ``"temperature_regime"`` or a sink mode with it is a
    ``ValueError``.

    The defaults are the physically right choices (issue 19); each earlier behaviour stays
    reachable by its option: ``Conventions(spectators="none", sink_reactions="ignored",
    dark_radiation_in_hubble=False)`` is the convention set before issue 19 (:data:`LEGACY_CONVENTIONS`).
    """

    energy_transfer: EnergyTransfer = eqx.field(static=True, default="exact")
    g_dark: float = eqx.field(static=True, default=0.0)
    mixed_processes: bool = eqx.field(static=True, default=True)
    spectators: Spectators = eqx.field(static=True, default="temperature_regime")
    rates: Rates = eqx.field(static=True, default="analytic")
    statistics: Statistics = eqx.field(static=True, default="maxwell_boltzmann")
    propagator: Propagator = eqx.field(static=True, default="eft")
    eta: EtaKind = eqx.field(static=True, default="dirac")
    sink_reactions: SinkReactions = eqx.field(static=True, default="rate")
    dark_radiation_in_hubble: bool = eqx.field(static=True, default=True)

    def __init__(
        self,
        energy_transfer: EnergyTransfer = "exact",
        g_dark: float = 0.0,
        mixed_processes: bool = True,
        spectators: Spectators | None = None,
        rates: Rates = "analytic",
        statistics: Statistics = "maxwell_boltzmann",
        propagator: Propagator = "eft",
        eta: EtaKind = "dirac",
        sink_reactions: SinkReactions | None = None,
        dark_radiation_in_hubble: bool = True,
    ):
        # spectators and sink_reactions not given: the defaults (the fields' defaults) where the
        # rates support them; with rates="quadrature" the closest the quadrature network supports,
        # "sm_equilibrium" (quantum susceptibilities, K=257/711) and "ignored". Given explicitly,
        # an unsupported combination is a ValueError (__check_init__).
        quadrature = rates == "quadrature"
        if spectators is None:
            spectators = "sm_equilibrium" if quadrature else "temperature_regime"
        if sink_reactions is None:
            sink_reactions = "ignored" if quadrature else "rate"
        self.energy_transfer = energy_transfer
        self.mixed_processes = mixed_processes
        self.spectators = spectators
        self.rates = rates
        self.statistics = statistics
        self.propagator = propagator
        self.eta = eta
        self.sink_reactions = sink_reactions
        self.dark_radiation_in_hubble = dark_radiation_in_hubble
        g = g_dark
        if eta in _ETA and not isinstance(g, bool) and isinstance(g, (int, float)) and g == 0:
            from jaxcogen.thermodynamics import dark_radiation_dof

            g = dark_radiation_dof(eta)
        self.g_dark = g

    def __check_init__(self):
        if self.energy_transfer not in _ENERGY_TRANSFER:
            raise ValueError(
                f"energy_transfer={self.energy_transfer!r}: allowed values are {_ENERGY_TRANSFER}"
            )
        if self.spectators not in _SPECTATORS:
            raise ValueError(f"spectators={self.spectators!r}: allowed values are {_SPECTATORS}")
        for name, allowed in (
            ("rates", _RATES),
            ("statistics", _STATISTICS),
            ("propagator", _PROPAGATOR),
            ("eta", _ETA),
            ("sink_reactions", _SINK_REACTIONS),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name}={getattr(self, name)!r}: allowed values are {allowed}")
        if self.rates == "analytic" and (
            self.statistics != "maxwell_boltzmann" or self.propagator != "eft"
        ):
            raise ValueError(
                f"statistics={self.statistics!r}, propagator={self.propagator!r} need "
                "rates='quadrature' (the analytic rates are Maxwell–Boltzmann, leading EFT)"
            )
        if self.spectators == "temperature_regime" and self.rates != "analytic":
            raise ValueError(
                "spectators='temperature_regime' needs rates='analytic' (the quadrature network "
                "has no temperature-dependent chemical-potential shares)"
            )
        if self.sink_reactions != "ignored" and self.rates != "analytic":
            raise ValueError(
                f"sink_reactions={self.sink_reactions!r} needs rates='analytic' (the quadrature "
                "network splits the dark chemical potential with fixed shares)"
            )
        for name in ("mixed_processes", "dark_radiation_in_hubble"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name}={getattr(self, name)!r}: must be True or False")
        g = self.g_dark
        if isinstance(g, bool) or not isinstance(g, (int, float)) or not (g > 0 and g < 1e4):
            raise ValueError(f"g_dark={g!r}: must be a positive number of degrees of freedom")


#: The conventions that were the defaults before issue 19 (MB susceptibilities with the asymmetry
#: in the lepton doublet only, the dark sink's reactions ignored during production, the SM alone in
#: the Hubble rate); for comparisons with earlier results.
LEGACY_CONVENTIONS = dict(
    spectators="none", sink_reactions="ignored", dark_radiation_in_hubble=False
)
