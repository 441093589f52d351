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
"""

from dataclasses import dataclass
from fractions import Fraction

# internal dof k_X per generation in n = k mu T^2 / 6 (fermions g, bosons 2g), hypercharges
_K_Q, _K_U, _K_D, _K_L, _K_E, _K_H = 6, 3, 3, 2, 1, 4
_Y_Q, _Y_U, _Y_D, _Y_L, _Y_E, _Y_H = (
    Fraction(1, 6), Fraction(2, 3), Fraction(-1, 3), Fraction(-1, 2), Fraction(-1), Fraction(1, 2)
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
