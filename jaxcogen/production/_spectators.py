r"""Standard-Model spectator processes: chemical equilibrium relations, derived exactly.

When a lepton asymmetry is created in one flavour while fast SM reactions (Yukawas, QCD and
electroweak sphalerons) are in equilibrium, the asymmetry is shared among all SM species. For
wash-out only the combination :math:`\hat\mu_{\ell}+\hat\mu_H` of the lepton doublet and Higgs
chemical potentials matters. In linear response with quantum-statistics susceptibilities
(:math:`n_X-n_{\bar X}=k_X\mu_XT^2/6`, :math:`k_X=g_X` for fermions and :math:`2g_X` for bosons)
all chemical potentials are fixed by the conserved charges, and

.. math:: \hat\mu_\ell+\hat\mu_H=-K\,\frac{n_{B-L}}{T^3/6}
          =-K\,\frac{4\pi^2g_{*s}}{15}\,Y_{B-L}.

This module solves the equilibrium conditions with exact rational arithmetic (no floating point),
so that the classic numbers come out as fractions: :math:`Y_B=\frac{28}{79}Y_{B-L}`,
:math:`Y_L=-\frac{51}{79}Y_{B-L}` and :math:`K=\frac{257}{711}` for one flavour with all Yukawas and
both sphalerons in equilibrium (Harvey & Turner, PRD 42 (1990) 3344; Nardi, Nir, Roulet, Racker,
hep-ph/0601084; physics notes §3.5 and ``crosscheck.md`` item 5).

Conditions imposed (three generations; CKM mixing equilibrates quark flavours, so one
:math:`\mu_q,\mu_u,\mu_d` serves all generations; lepton flavours :math:`\alpha=1,2,3` stay separate):

- up Yukawa :math:`\mu_u=\mu_q+\mu_H`, down Yukawa :math:`\mu_d=\mu_q-\mu_H`,
  charged-lepton Yukawas :math:`\mu_{e_\alpha}=\mu_{\ell_\alpha}-\mu_H`;
- electroweak sphalerons :math:`\sum_i(3\mu_{q_i}+\mu_{\ell_i})=9\mu_q+\sum_\alpha\mu_{\ell_\alpha}=0`
  (QCD sphalerons, :math:`\sum_i(2\mu_{q_i}-\mu_{u_i}-\mu_{d_i})=0`, then hold identically);
- hypercharge neutrality :math:`\sum_XY_Xk_X\mu_X=0`;
- the conserved flavour charges :math:`\Delta_\alpha=B/3-L_\alpha`: all of :math:`B-L` in the
  flavour :math:`\ell_N` that couples to the heavy neutrinos, none in the others.

**Temperature regimes** (``spectators="temperature_regime"``). Above :math:`\sim10^5` GeV not every SM
reaction is faster than the Hubble rate. :func:`regime_coefficients` solves the equilibrium for any
set of fast reactions by linear algebra on the conserved charges (also exact): the chemical
potentials allowed by the fast reactions span the null space of their stoichiometric matrix,
whose basis vectors :math:`q_a` are the conserved charges; with :math:`n_X=k_X\mu_XT^2/6`,
:math:`\mu=\sum_a\lambda_aq_a` and :math:`Q_a=\sum_bG_{ab}\lambda_b`,
:math:`G_{ab}=\sum_Xq_{aX}k_Xq_{bX}`. The only slow processes that change SM charges (the portal
scatterings and the :math:`\Delta L=2` ones) destroy :math:`\ell_N H` pairs, so every conserved
charge is :math:`Q_a=-\nu\,v_a`, :math:`v_a=q_a(\ell_N)+q_a(H)`, :math:`\nu=n_{B-L}/(T^3/6)`, and
:math:`\hat\mu_{\ell_N}+\hat\mu_H=-K\nu` with :math:`K=v^{\rm T}G^{-1}v` (crosscheck item 5).
Generation-diagonal Yukawas (CKM-induced flavour changes neglected in the partial regimes;
in the fully equilibrated one the generation baryon numbers stay equal, so the result is the
CKM one). :data:`REGIMES` lists the regimes used, with their lower temperature boundaries;
:func:`spectator_factor` interpolates :math:`K(T)` smoothly between them (``docs/physics.md``,
"Spectators by temperature regime").
"""

import math
from dataclasses import dataclass
from fractions import Fraction

import jax.numpy as jnp
from jax.nn import sigmoid
from jaxtyping import ArrayLike, Float

# internal dof k_X per generation in n = k mu T^2 / 6 (fermions g, bosons 2g), hypercharges
_K_Q, _K_U, _K_D, _K_L, _K_E, _K_H = 6, 3, 3, 2, 1, 4
_Y_Q, _Y_U, _Y_D, _Y_L, _Y_E, _Y_H = (
    Fraction(1, 6),
    Fraction(2, 3),
    Fraction(-1, 3),
    Fraction(-1, 2),
    Fraction(-1),
    Fraction(1, 2),
)


@dataclass(frozen=True)
class SpectatorCoefficients:
    r"""Exact SM equilibrium coefficients, per unit :math:`n_{B-L}`.

    Attributes:
        c_baryon: :math:`Y_B/Y_{B-L}` (the sphaleron factor :math:`c_s`).
        c_lepton_total: :math:`Y_L/Y_{B-L}`.
        c_ell: :math:`-n_{\ell_N}/n_{B-L}` for the doublet :math:`\ell_N` (both SU(2) components).
        c_higgs: :math:`-n_H/n_{B-L}` (both SU(2) components).
        K: :math:`K=c_\ell/2+c_H/4`, so that :math:`\hat\mu_\ell+\hat\mu_H=-K\,n_{B-L}/(T^3/6)`.
    """

    c_baryon: Fraction
    c_lepton_total: Fraction
    c_ell: Fraction
    c_higgs: Fraction
    K: Fraction


def _solve_exact(matrix: list[list[Fraction]], rhs: list[Fraction]) -> list[Fraction]:
    """Gauss–Jordan elimination in exact rational arithmetic (square, non-singular system)."""
    n = len(rhs)
    a = [row[:] + [r] for row, r in zip(matrix, rhs, strict=True)]
    for col in range(n):
        pivot = next(r for r in range(col, n) if a[r][col] != 0)
        a[col], a[pivot] = a[pivot], a[col]
        p = a[col][col]
        a[col] = [v / p for v in a[col]]
        for r in range(n):
            if r != col and a[r][col] != 0:
                f = a[r][col]
                a[r] = [vr - f * vc for vr, vc in zip(a[r], a[col], strict=True)]
    return [a[r][n] for r in range(n)]


def sm_equilibrium_coefficients() -> SpectatorCoefficients:
    """Solve the fully equilibrated SM (one asymmetric flavour) exactly; see the module docstring."""
    # unknowns: mu_q, mu_u, mu_d, mu_l1, mu_l2, mu_l3, mu_e1, mu_e2, mu_e3, mu_H
    iq, iu, id_, il, ie, iH = 0, 1, 2, 3, 6, 9
    n = 10
    F = Fraction
    rows: list[list[Fraction]] = []
    rhs: list[Fraction] = []

    def row(coeffs: dict[int, int]) -> list[Fraction]:
        r = [F(0)] * n
        for index, value in coeffs.items():
            r[index] += F(value)
        return r

    rows.append(row({iu: 1, iq: -1, iH: -1}))
    rhs.append(F(0))
    rows.append(row({id_: 1, iq: -1, iH: 1}))
    rhs.append(F(0))
    for a in range(3):
        rows.append(row({ie + a: 1, il + a: -1, iH: 1}))
        rhs.append(F(0))
    rows.append(row({iq: 9, il: 1, il + 1: 1, il + 2: 1}))
    rhs.append(F(0))
    hyper = [F(0)] * n
    hyper[iq] = 3 * _K_Q * _Y_Q
    hyper[iu] = 3 * _K_U * _Y_U
    hyper[id_] = 3 * _K_D * _Y_D
    for a in range(3):
        hyper[il + a] = _K_L * _Y_L
        hyper[ie + a] = _K_E * _Y_E
    hyper[iH] = _K_H * _Y_H
    rows.append(hyper)
    rhs.append(F(0))

    def baryon() -> list[Fraction]:
        # B = sum over 3 generations of (1/3)(k_q mu_q + k_u mu_u + k_d mu_d), in units T^2/6
        r = [F(0)] * n
        r[iq], r[iu], r[id_] = F(_K_Q), F(_K_U), F(_K_D)
        return r

    def lepton_flavour(a: int) -> list[Fraction]:
        r = [F(0)] * n
        r[il + a], r[ie + a] = F(_K_L), F(_K_E)
        return r

    # Delta_alpha = B/3 - L_alpha; flavour 0 is l_N and carries n_{B-L} = 1
    for a in range(3):
        rows.append([b / 3 - la for b, la in zip(baryon(), lepton_flavour(a), strict=True)])
        rhs.append(F(1) if a == 0 else F(0))

    mu = _solve_exact(rows, rhs)

    def charge(vec: list[Fraction]) -> Fraction:
        return sum((c * m for c, m in zip(vec, mu, strict=True)), F(0))

    B = charge(baryon())
    L = sum((charge(lepton_flavour(a)) for a in range(3)), F(0))
    n_ell = _K_L * mu[il]
    n_H = _K_H * mu[iH]
    c_ell, c_H = -n_ell / (B - L), -n_H / (B - L)
    return SpectatorCoefficients(
        c_baryon=B / (B - L),
        c_lepton_total=L / (B - L),
        c_ell=c_ell,
        c_higgs=c_H,
        K=c_ell / 2 + c_H / 4,
    )


# --- general regimes ------------------------------------------------------------------------------

#: The Yukawa couplings by name: (right-handed species, generation index 0..2).
_YUKAWAS = {
    "u": ("u", 0), "c": ("u", 1), "t": ("u", 2),
    "d": ("d", 0), "s": ("d", 1), "b": ("d", 2),
    "e": ("e", 0), "mu": ("e", 1), "tau": ("e", 2),
}  # fmt: skip
_LEPTON_FLAVOURS = {"e": 0, "mu": 1, "tau": 2}


@dataclass(frozen=True)
class Regime:
    r"""A set of SM reactions in chemical equilibrium, valid for :math:`T_{\rm low}\le T<T_{\rm high}`.

    Attributes:
        name: short label.
        yukawas: the Yukawa couplings in equilibrium (keys of ``_YUKAWAS``: ``"t"``, ``"tau"``, …).
        qcd_sphalerons: QCD sphalerons in equilibrium.
        ew_sphalerons: electroweak sphalerons in equilibrium.
        T_low: lower boundary [GeV] (0 for the last regime); the upper one is the previous
            regime's ``T_low`` (infinity for the first).
    """

    name: str
    yukawas: frozenset[str]
    qcd_sphalerons: bool
    ew_sphalerons: bool
    T_low: float


#: The regimes used by ``spectators="temperature_regime"``, from high to low temperature.
#: Boundaries (order of magnitude; where a rate :math:`\Gamma\sim5\times10^{-3}y^2T` or the
#: sphaleron rate overtakes :math:`H`): QCD sphalerons below :math:`\sim10^{13}` GeV; electroweak
#: sphalerons below :math:`\sim10^{12}` GeV (Bento, hep-ph/0304263); :math:`b,\tau` Yukawas below
#: :math:`\sim10^{12}` GeV and :math:`c` below :math:`\sim10^{11}` GeV, grouped here at
#: :math:`10^{12}` as in Nardi–Nir–Roulet–Racker (hep-ph/0601084, hep-ph/0512052: "two-flavour"
#: regime below :math:`10^{12}`); :math:`s,\mu` below :math:`\sim10^9` GeV (their three-flavour
#: regime, which keeps :math:`u,d,e` out of equilibrium); :math:`u,d,e` below
#: :math:`\sim10^5`–:math:`10^6` GeV. The top Yukawa is in equilibrium throughout
#: (:math:`T\lesssim10^{15}` GeV). Physics notes §3.5, crosscheck item 5.
REGIMES: tuple[Regime, ...] = (
    Regime("top", frozenset({"t"}), False, False, 1.0e13),
    Regime("top+QCD", frozenset({"t"}), True, False, 1.0e12),
    Regime("two-flavour", frozenset({"t", "b", "c", "tau"}), True, True, 1.0e9),
    Regime("three-flavour", frozenset({"t", "b", "c", "tau", "s", "mu"}), True, True, 1.0e5),
    Regime("all", frozenset(_YUKAWAS), True, True, 0.0),
)

#: Width of the smooth steps of :math:`K(T)` in :math:`\ln T` (:func:`spectator_factor`).
REGIME_WIDTH_LN_T: float = 1.0

#: The flavour of the doublet :math:`\ell_N` that couples to the heavy neutrinos, for
#: ``spectators="temperature_regime"``: aligned with :math:`\tau`, so that it stays a flavour
#: eigenstate in every regime (a general direction needs a flavour density matrix).
LEPTON_FLAVOUR_N: str = "tau"

_SPECIES = tuple(f"{s}{g}" for g in range(3) for s in ("q", "u", "d", "l", "e")) + ("H",)
_INDEX = {name: i for i, name in enumerate(_SPECIES)}
_K = {"q": _K_Q, "u": _K_U, "d": _K_D, "l": _K_L, "e": _K_E, "H": _K_H}
_BARYON = {"q": Fraction(1, 3), "u": Fraction(1, 3), "d": Fraction(1, 3)}


def _multiplicity(name: str) -> int:
    return _K[name[0]]


def _reaction_rows(regime: Regime) -> list[list[Fraction]]:
    """Equilibrium conditions sum_X nu_X mu_X = 0 of the fast reactions (rows over _SPECIES)."""
    n = len(_SPECIES)
    rows = []

    def row(coeffs: dict[str, int]) -> list[Fraction]:
        r = [Fraction(0)] * n
        for name, value in coeffs.items():
            r[_INDEX[name]] += Fraction(value)
        return r

    for y in sorted(regime.yukawas):
        kind, g = _YUKAWAS[y]
        if kind == "u":  # mu_u = mu_q + mu_H
            rows.append(row({f"u{g}": 1, f"q{g}": -1, "H": -1}))
        elif kind == "d":  # mu_d = mu_q - mu_H
            rows.append(row({f"d{g}": 1, f"q{g}": -1, "H": 1}))
        else:  # mu_e = mu_l - mu_H
            rows.append(row({f"e{g}": 1, f"l{g}": -1, "H": 1}))
    if regime.qcd_sphalerons:  # sum_i (2 mu_q - mu_u - mu_d) = 0
        r = [Fraction(0)] * n
        for g in range(3):
            r[_INDEX[f"q{g}"]] += 2
            r[_INDEX[f"u{g}"]] -= 1
            r[_INDEX[f"d{g}"]] -= 1
        rows.append(r)
    if regime.ew_sphalerons:  # sum_i (3 mu_q + mu_l) = 0
        r = [Fraction(0)] * n
        for g in range(3):
            r[_INDEX[f"q{g}"]] += 3
            r[_INDEX[f"l{g}"]] += 1
        rows.append(r)
    return rows


def _null_space(rows: list[list[Fraction]], n: int) -> list[list[Fraction]]:
    """Basis of {x : rows @ x = 0} (exact reduced row echelon form)."""
    a = [r[:] for r in rows]
    pivots: list[int] = []
    top = 0
    for col in range(n):
        p = next((r for r in range(top, len(a)) if a[r][col] != 0), None)
        if p is None:
            continue
        a[top], a[p] = a[p], a[top]
        pv = a[top][col]
        a[top] = [v / pv for v in a[top]]
        for r in range(len(a)):
            if r != top and a[r][col] != 0:
                f = a[r][col]
                a[r] = [vr - f * vt for vr, vt in zip(a[r], a[top], strict=True)]
        pivots.append(col)
        top += 1
        if top == len(a):
            break
    basis = []
    for free in (c for c in range(n) if c not in pivots):
        v = [Fraction(0)] * n
        v[free] = Fraction(1)
        for r, pc in enumerate(pivots):
            v[pc] = -a[r][free]
        basis.append(v)
    return basis


def regime_coefficients(
    regime: Regime, lepton_flavour: str = LEPTON_FLAVOUR_N
) -> SpectatorCoefficients:
    r"""Exact equilibrium coefficients in ``regime`` with :math:`B-L` made in ``lepton_flavour``.

    ``lepton_flavour`` (``"e"``, ``"mu"``, ``"tau"``) is the flavour of :math:`\ell_N`; it matters
    only where that flavour's Yukawa is fast. Method: module docstring ("Temperature regimes").
    """
    n = len(_SPECIES)
    charges = _null_space(_reaction_rows(regime), n)
    k = [Fraction(_multiplicity(name)) for name in _SPECIES]
    gram = [
        [sum((qa[x] * k[x] * qb[x] for x in range(n)), Fraction(0)) for qb in charges]
        for qa in charges
    ]
    ell = _INDEX[f"l{_LEPTON_FLAVOURS[lepton_flavour]}"]
    higgs = _INDEX["H"]
    v = [qa[ell] + qa[higgs] for qa in charges]
    lam = _solve_exact(gram, [-x for x in v])  # nu = 1
    mu = [
        sum((la * qa[x] for la, qa in zip(lam, charges, strict=True)), Fraction(0))
        for x in range(n)
    ]
    dens = [k[x] * mu[x] for x in range(n)]
    B = sum(
        (_BARYON.get(name[0], Fraction(0)) * dens[x] for x, name in enumerate(_SPECIES)),
        Fraction(0),
    )
    L = sum((dens[x] for x, name in enumerate(_SPECIES) if name[0] in "le"), Fraction(0))
    BL = B - L
    c_ell, c_H = -dens[ell] / BL, -dens[higgs] / BL
    return SpectatorCoefficients(
        c_baryon=B / BL,
        c_lepton_total=L / BL,
        c_ell=c_ell,
        c_higgs=c_H,
        K=c_ell / 2 + c_H / 4,
    )


def regime_K_values(lepton_flavour: str = LEPTON_FLAVOUR_N) -> tuple[Fraction, ...]:
    """:math:`K` of each of :data:`REGIMES` (high to low temperature), exact."""
    return tuple(regime_coefficients(r, lepton_flavour).K for r in REGIMES)


_K_REGIMES = tuple(float(K) for K in regime_K_values())
_T_BOUNDARIES = tuple(r.T_low for r in REGIMES[:-1])
_LN_T_BOUNDARIES = tuple(math.log(T_j) for T_j in _T_BOUNDARIES)


def spectator_factor(T: Float[ArrayLike, "..."]) -> Float[ArrayLike, "..."]:
    r"""The spectator factor :math:`K(T)` of ``spectators="temperature_regime"``.

    A smooth step at each boundary :math:`T_j` of :data:`REGIMES`:

    .. math:: K(T)=K_{\rm last}+\sum_j\big(K_j-K_{j+1}\big)\,
              \sigma\Big(\frac{\ln T-\ln T_j}{w}\Big),\qquad w=1,

    with :math:`\sigma` the logistic function and :math:`K_j` the regime just above :math:`T_j`.
    For :math:`w=1`, :math:`\sigma=T/(T+T_j)`: the weight of the higher-temperature regime is
    :math:`H/(\Gamma+H)` for a rate with :math:`\Gamma/H=T_j/T` (Yukawa-like), a crude model of
    partial equilibration; smooth and differentiable in :math:`T` (and so in :math:`T_{\rm RH}`)
    for the adaptive ODE solver. Far from the boundaries it is the regime's exact fraction.
    """
    T = jnp.asarray(T, dtype=jnp.float64)
    K = jnp.full_like(T, _K_REGIMES[-1])
    for j, (T_j, lnTj) in enumerate(zip(_T_BOUNDARIES, _LN_T_BOUNDARIES, strict=True)):
        if REGIME_WIDTH_LN_T == 1.0:
            # sigma(ln T - ln T_j) = T / (T + T_j): no exp or log in the vector field
            step = T / (T + T_j)
        else:
            step = sigmoid((jnp.log(T) - lnTj) / REGIME_WIDTH_LN_T)
        K = K + (_K_REGIMES[j] - _K_REGIMES[j + 1]) * step
    return K


# --- the dark sector: how the sink's reactions share the portal's charge ------------------------


def _dark_sink_rows(eta: str, fields: tuple[str, ...]) -> list[list[Fraction]]:
    r"""Equilibrium conditions of :math:`\kappa\,\phi\chi^c\eta+{\rm h.c.}` (rows over ``fields``).

    In two-component fields (:math:`\chi_{\rm Dirac}=(\chi_L,\xi^\dagger)`,
    :math:`\eta_{\rm Dirac}=(\eta_1,\eta_2^\dagger)`) the chiral coupling to a Weyl η is
    :math:`\kappa\,\phi\,\xi\,\eta_1`, giving :math:`\mu_\phi+\mu_\xi+\mu_{\eta_1}=0`; the non-chiral
    coupling to a Dirac η adds :math:`\kappa\,\phi\,\chi_L^\dagger\eta_2^\dagger`, giving
    :math:`\mu_\phi-\mu_{\chi_L}-\mu_{\eta_2}=0`.
    """
    index = {f: i for i, f in enumerate(fields)}

    def row(coeffs: dict[str, int]) -> list[Fraction]:
        r = [Fraction(0)] * len(fields)
        for name, value in coeffs.items():
            r[index[name]] += Fraction(value)
        return r

    rows = [row({"phi": 1, "xi": 1, "eta_1": 1})]
    if eta == "dirac":
        rows.append(row({"phi": 1, "chi_L": -1, "eta_2": -1}))
    return rows


def dark_charge_coefficient(eta: str, susceptibilities: str, sink_in_equilibrium: bool) -> Fraction:
    r"""Exact :math:`K_D` in :math:`\mu_D\equiv\hat\mu_{\chi_L}+\hat\mu_\phi=K_D\,\nu_D`, :math:`\nu_D=P/(T_\chi^3/6)`.

    :math:`P` is the number density of :math:`\chi_L\phi` pairs made by the portal (net), the
    production stage's :math:`\Delta Y_\chi\,s`. Every portal, mixed and dark-:math:`d` reaction
    creates or destroys :math:`\chi_L` and φ together, so it changes the charges
    :math:`q_a` conserved by the fast dark reactions by :math:`v_a=q_a(\chi_L)+q_a(\phi)` per pair,
    and (the dark sector starting empty) :math:`Q_a=v_aP`. With :math:`n_X=k_X\mu_XT_\chi^2/6`,
    :math:`\mu=\sum_a\lambda_aq_a`, :math:`G_{ab}=\sum_Xq_{aX}k_Xq_{bX}`: :math:`K_D=v^{\rm T}G^{-1}v`
    — the method of :func:`regime_coefficients`, applied to the dark fields of
    :data:`jaxcogen.thermodynamics.DARK_FIELDS`.

    - ``sink_in_equilibrium=False``: no fast reaction, :math:`n_{\chi_L}=n_\phi=P`,
      :math:`K_D=1/k_{\chi_L}+1/k_\phi` (3/2 quantum, 2 Maxwell–Boltzmann): the production
      stage's :math:`\Delta Y_\phi=\Delta Y_\chi`.
    - ``True``: the sink reactions of :func:`_dark_sink_rows` in chemical equilibrium. They conserve
      :math:`A=N_{\chi_L}-N_\xi+N_\phi` (:math:`\chi_{\rm Dirac}` number plus φ number; η carries
      none), so :math:`A=2P` whatever they do, and the dark charge
      :math:`D=N_{\chi_L}-N_\xi-N_\phi+2(N_{\eta_1}-N_{\eta_2})=0`; but part of φ's (and, for a Dirac
      η, :math:`\chi_L`'s) asymmetry moves into :math:`\xi`, η, which lowers :math:`\mu_D` at fixed
      :math:`P`: Weyl η 7/5 (quantum), 5/3 (MB); Dirac η 5/4 (quantum), 13/8 (MB).

    ``susceptibilities``: ``"quantum"`` (:math:`k=g` per Weyl fermion, :math:`2g` per boson, with
    :math:`g=1` particle dof each) or ``"maxwell_boltzmann"`` (:math:`k=g`; the overall
    :math:`12/\pi^2` is in the caller's prefactor).
    """
    if susceptibilities not in ("quantum", "maxwell_boltzmann"):
        raise ValueError(
            f"susceptibilities={susceptibilities!r}: allowed values are ('quantum', 'maxwell_boltzmann')"
        )
    from jaxcogen import thermodynamics  # light: no circular import at module load

    fields = thermodynamics.PORTAL_FIELDS + thermodynamics.sink_fields(eta)
    n = len(fields)
    rows = _dark_sink_rows(eta, fields) if sink_in_equilibrium else []
    charges = (
        _null_space(rows, n)
        if rows
        else [[Fraction(int(i == j)) for j in range(n)] for i in range(n)]
    )
    k = []
    for f in fields:
        fermion = thermodynamics.DARK_FIELDS[f][1]
        k.append(Fraction(2 if (not fermion and susceptibilities == "quantum") else 1))
    gram = [
        [sum((qa[x] * k[x] * qb[x] for x in range(n)), Fraction(0)) for qb in charges]
        for qa in charges
    ]
    i_chi, i_phi = fields.index("chi_L"), fields.index("phi")
    v = [qa[i_chi] + qa[i_phi] for qa in charges]
    lam = _solve_exact(gram, v)
    return sum((va * la for va, la in zip(v, lam, strict=True)), Fraction(0))
