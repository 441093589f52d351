r"""CP asymmetries of heavy-neutrino decays into the SM and dark channels, two :math:`N` in the loops.

Notation. Channels :math:`\alpha\in\{L,\chi\}`: :math:`N_i\to LH` (coupling :math:`h_{L i}=y_i`, SU(2)
multiplicity :math:`g_L=2`) and :math:`N_i\to\chi\phi` (:math:`h_{\chi i}=\lambda_i`, :math:`g_\chi=1`),
each with its CP conjugate :math:`\bar LH^\dagger`, :math:`\bar\chi\phi^*`. Define
:math:`\Delta\Gamma_{i\alpha}=\Gamma(N_i\to\alpha)-\Gamma(N_i\to\bar\alpha)` and
:math:`\epsilon_{i,\alpha}=\Delta\Gamma_{i\alpha}/\Gamma_i` (per **total** width, the usual normalisation,
so that the CP-odd source of :math:`\Delta Y_\alpha` is :math:`\epsilon_{i,\alpha}` times the net
decay rate of :math:`N_i`; :mod:`jaxcogen.production.dynamical._system`). The loop-weighted coupling matrix is

.. math:: A_{ij}=\sum_\beta\frac{g_\beta}{2}h_{\beta i}^*h_{\beta j}=y_i^*y_j+\tfrac12\lambda_i^*\lambda_j,
    \qquad \Gamma_i=\frac{A_{ii}M_i}{8\pi}.

**Derivation [D, structure S].** At one loop :math:`\Delta\Gamma` is the interference of the tree
amplitude with the absorptive (cut) part of the loops (Cutkosky); the cut states are on-shell pairs.

1. *Vertex.* The triangle :math:`N_i\to(\text{cut pair})\to\alpha` exchanges :math:`N_j` in the
   :math:`t`/:math:`u` channel between the two cut lines. Each vertex :math:`LHN` or :math:`\chi\phi N`
   holds one fermion and one scalar of the **same** sector, so the cut pair must be of the same type
   as :math:`\alpha` (no :math:`\chi\phi\to LH` by :math:`N` exchange in :math:`t`): the coupling
   structure is :math:`(h_{\alpha i}^*h_{\alpha j})^2`. Its SU(2) factor,
   :math:`\sum\epsilon_{a'b'}\epsilon_{a'b}\epsilon_{ab'}=\epsilon_{ab}`, is the same as the tree's, so
   relative to the tree the vertex correction is the same for both sectors; the loop function is
   the standard :math:`f_V(x)=\sqrt x\,[1-(1+x)\ln\frac{1+x}{x}]`, :math:`x_j=M_j^2/M_i^2`
   (Covi, Roulet, Vissani, hep-ph/9605319).
2. *Self-energy, lepton-number (Q-)violating.* :math:`N_i\to\bar\beta\,(\text{cut})\to N_j\to\alpha` with
   the Majorana mass insertion, any cut sector :math:`\beta`, weighted by its multiplicity:
   :math:`h_{\alpha i}^*h_{\alpha j}A_{ij}`, loop function :math:`f_S=\sqrt{x}/(1-x)`.
3. *Self-energy, Q-conserving.* The same with the :math:`\not p` part of the :math:`N_j` propagator:
   :math:`h_{\alpha i}^*h_{\alpha j}A_{ji}`, loop function :math:`f_C=1/(1-x)`. In SM-only
   leptogenesis it only matters for flavoured asymmetries; here the dark sector is a second
   "flavour" with a different charge, so it moves asymmetry between :math:`L` and :math:`\chi`.

With the tree widths :math:`\Gamma(N_i\to\alpha)=g_\alpha|h_{\alpha i}|^2M_i/32\pi` this gives

.. math::
    \Delta\Gamma_{i\alpha}=-\frac{g_\alpha}{2}\frac{M_i}{64\pi^2}\sum_{j\ne i}\Big\{
        {\rm Im}[(h_{\alpha i}^*h_{\alpha j})^2]\,f_V(x_j)
        +{\rm Im}[h_{\alpha i}^*h_{\alpha j}A_{ij}]\,f_S(x_j)
        +{\rm Im}[h_{\alpha i}^*h_{\alpha j}A_{ji}]\,f_C(x_j)\Big\}.

Spelled out for :math:`N_1` (:math:`x=M_2^2/M_1^2`):

.. math::
    \epsilon_{1,L}&=-\frac{1}{8\pi A_{11}}\Big\{{\rm Im}[(y_1^*y_2)^2](f_V+f_S)
        +\tfrac12{\rm Im}[(y_1^*y_2)(\lambda_1^*\lambda_2)]f_S
        +\tfrac12{\rm Im}[(y_1^*y_2)(\lambda_1\lambda_2^*)]f_C\Big\},\\
    \epsilon_{1,\chi}&=-\frac{1}{16\pi A_{11}}\Big\{{\rm Im}[(\lambda_1^*\lambda_2)^2](f_V+\tfrac12f_S)
        +{\rm Im}[(y_1^*y_2)(\lambda_1^*\lambda_2)]f_S
        -{\rm Im}[(y_1^*y_2)(\lambda_1\lambda_2^*)]f_C\Big\}.

**Overall sign [D].** With the Weyl Lagrangian of this project the un-daggered term :math:`y_iLHN_i`
makes :math:`N\to\bar LH^\dagger`, i.e. :math:`y` plays the role of :math:`h^*` in the usual
:math:`\bar\ell\tilde Hh N` convention: hence the leading minus sign. This was checked, independently
of that dictionary, against the cross-checked EFT CP structure of physics notes §2.4: keeping the
:math:`s`-channel :math:`N` propagators in :math:`J_w={\rm Im}(ba^*w)`, :math:`J_d={\rm Im}(bad^*)`,
the coefficient of the on-shell :math:`|D_1|^2` pole of :math:`\Delta\hat\sigma(LH\to\chi\phi)` equals
:math:`64\pi M_1^2(\Gamma_L\Delta\Gamma_\chi-\Gamma_\chi\Delta\Gamma_L)/2` built from the
Q-violating self-energy terms above — sign and magnitude, four coupling structures
(``tests/test_dynamical.py::test_self_energy_matches_eft_unitarity_structure``). In the hierarchical
limit :math:`M_2\gg M_1`, :math:`\lambda=0`: :math:`f_V+f_S\to-\frac32\sqrt{M_1^2/M_2^2}`, so

.. math:: \epsilon_{1,L}\to+\frac{3}{16\pi}\frac{M_1}{M_2}\frac{{\rm Im}[(y_1^*y_2)^2]}{|y_1|^2},

the Covi–Roulet–Vissani result with :math:`h\to y^*` (i.e. :math:`-\frac3{16\pi}\frac{M_1}{M_2}
{\rm Im}[(h_1^*h_2)^2]/|h_1|^2` in the :math:`\bar\ell\tilde HhN` convention).

**Unitarity / CPT.** Summed over all final states :math:`\{\alpha,\bar\alpha\}` the CP asymmetry of
a Majorana decay vanishes identically (:math:`N=\bar N`); the non-trivial statement is about the
charge :math:`Q=L+N_\chi`, conserved by everything except the Majorana masses: the Q-conserving
self-energy pieces cancel in :math:`\epsilon_{i,L}+\epsilon_{i,\chi}` (:math:`\sum_\alpha\frac{g_\alpha}2
h_{\alpha i}^*h_{\alpha j}=A_{ij}` and :math:`{\rm Im}|A_{ij}|^2=0`), so :math:`\epsilon_{i,L}+\epsilon_{i,\chi}`
is pure Q-violation (:math:`\propto M_iM_j`, vertex and mass-insertion terms). It is **not** zero in
general: :math:`\epsilon_L+\epsilon_\chi=0` holds only for the Q-conserving part. The equilibrium
cancellation (no asymmetry in full equilibrium) is a statement about decays plus RIS-subtracted
scatterings, shown in :mod:`jaxcogen.production.dynamical._system`.

**Split by the cut sector [D] (two baths; ``docs/dynamical.md`` §2).** Each term is the interference
with a loop cut through on-shell pairs of one sector :math:`\beta`; writing
:math:`A_{ij}=A^{(L)}_{ij}+A^{(\chi)}_{ij}`, :math:`A^{(L)}_{ij}=y_i^*y_j`, :math:`A^{(\chi)}_{ij}=\tfrac12\lambda_i^*\lambda_j` in both
self-energy terms, and putting the vertex (cut through pairs of the final state's own sector) in
:math:`\beta=\alpha`, gives :math:`\epsilon_{i\alpha}=\epsilon^{(L)}_{i\alpha}+\epsilon^{(\chi)}_{i\alpha}`. With two baths at different
temperatures each piece is matched against the bath its cut runs through
(:mod:`jaxcogen.production.dynamical._system`). The cross-sector pieces of :math:`N_1`,

.. math::
    \epsilon^{(\chi)}_{1L}&=-\frac{1}{16\pi A_{11}}\Big\{{\rm Im}[(y_1^*y_2)(\lambda_1^*\lambda_2)]f_S
        +{\rm Im}[(y_1^*y_2)(\lambda_1\lambda_2^*)]f_C\Big\},\\
    \epsilon^{(L)}_{1\chi}&=-\frac{1}{16\pi A_{11}}\Big\{{\rm Im}[(y_1^*y_2)(\lambda_1^*\lambda_2)]f_S
        -{\rm Im}[(y_1^*y_2)(\lambda_1\lambda_2^*)]f_C\Big\},

need all four couplings; every other piece is same-sector.

**Degeneracy regulator.** :math:`1/(1-x_j)=M_i^2/(M_i^2-M_j^2)` is replaced in :math:`f_S`, :math:`f_C` by

.. math:: R_{ij}=\frac{M_i^2(M_i^2-M_j^2)}{(M_i^2-M_j^2)^2+M_i^2\Gamma_j^2}

(Pilaftsis & Underwood, hep-ph/0309342), with :math:`\Gamma_j` the tree width of :math:`N_j`; it
changes nothing when :math:`|M_i-M_j|\gg\Gamma_j` and keeps :math:`|\epsilon|\le\frac12`-sized values
at exact degeneracy (where it vanishes). Other regulators (Anisimov et al., hep-ph/0511248) differ
only within :math:`|M_1-M_2|\lesssim\Gamma`.
"""

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from jaxcogen.production.dynamical._decays import width_dark, width_lepton

#: SU(2) multiplicities of the decay channels (L·H: two components; χφ: one).
g_lepton_channel = 2.0
g_dark_channel = 1.0


def vertex_function(x: ArrayLike) -> Float[ArrayLike, "..."]:
    r"""Vertex loop function :math:`f_V(x)=\sqrt x\,[1-(1+x)\ln(1+1/x)]` (→ :math:`-1/(2\sqrt x)` for x ≫ 1)."""
    x = jnp.asarray(x, dtype=jnp.float64)
    return jnp.sqrt(x) * (1.0 - (1.0 + x) * jnp.log1p(1.0 / x))


def degeneracy_regulator(M_i, M_j, Gamma_j) -> Float[ArrayLike, "..."]:
    r""":math:`R_{ij}=M_i^2(M_i^2-M_j^2)/[(M_i^2-M_j^2)^2+M_i^2\Gamma_j^2]`, the regulated :math:`1/(1-x_j)`."""
    diff = M_i**2 - M_j**2
    return M_i**2 * diff / (diff**2 + M_i**2 * Gamma_j**2)


class DecayAsymmetry(eqx.Module):
    r"""The pieces of :math:`\Delta\Gamma_{i\alpha}=\Gamma(N_i\to\alpha)-\Gamma(N_i\to\bar\alpha)` [GeV].

    Attributes:
        vertex: the vertex term (its loop is always cut through the final-state sector ``sector``).
        violating_cut, conserving_cut: the Q-violating and Q-conserving self-energy terms, split by
            the sector :math:`\beta\in(L,\chi)` of the cut pair (index 0: :math:`LH`, 1: :math:`\chi\phi`),
            i.e. with :math:`A_{ij}\to A^{(\beta)}_{ij}=\frac{g_\beta}{2}h_{\beta i}^*h_{\beta j}` (module docstring).
        width: the total tree width :math:`\Gamma_i` [GeV].
        sector: 0 for the final state :math:`LH`, 1 for :math:`\chi\phi` (static).
    """

    vertex: Float[ArrayLike, ""]
    violating_cut: Float[Array, "2"]
    conserving_cut: Float[Array, "2"]
    width: Float[ArrayLike, ""]
    sector: int = eqx.field(static=True, default=0)

    @property
    def violating(self) -> Float[ArrayLike, ""]:
        return jnp.sum(self.violating_cut)

    @property
    def conserving(self) -> Float[ArrayLike, ""]:
        return jnp.sum(self.conserving_cut)

    @property
    def total(self) -> Float[ArrayLike, ""]:
        return self.vertex + self.violating + self.conserving

    @property
    def by_cut(self) -> Float[Array, "2"]:
        r""":math:`\Delta\Gamma^{(\beta)}_{i\alpha}` for :math:`\beta=(L,\chi)`, the vertex in the final-state sector."""
        own = jnp.zeros(2).at[self.sector].set(1.0)
        return self.violating_cut + self.conserving_cut + own * self.vertex

    def _per_width(self, x):
        w = self.width
        return jnp.where(w > 0, x / jnp.where(w > 0, w, 1.0), 0.0)

    @property
    def epsilon(self) -> Float[ArrayLike, ""]:
        r""":math:`\epsilon_{i,\alpha}=\Delta\Gamma_{i\alpha}/\Gamma_i` (0 if :math:`\Gamma_i=0`)."""
        return self._per_width(self.total)

    @property
    def epsilon_cut(self) -> Float[Array, "2"]:
        r""":math:`(\epsilon^{(L)}_{i\alpha},\epsilon^{(\chi)}_{i\alpha})`, summing to :attr:`epsilon`."""
        return self._per_width(self.by_cut)


def decay_asymmetry(
    channel: str, M_i, M_j, y_i, y_j, lambda_i, lambda_j, regulate: bool = True
) -> DecayAsymmetry:
    r""":math:`\Delta\Gamma` of :math:`N_i` into ``channel`` (``"L"`` or ``"chi"``), :math:`N_j` in the loops.

    Arguments are scalars (masses in GeV, complex couplings); ``regulate`` applies the degeneracy
    regulator :func:`degeneracy_regulator` (else the bare :math:`1/(1-x)`). The self-energy terms
    are returned split by the sector of their cut (:class:`DecayAsymmetry`).
    """
    y_i, y_j = jnp.asarray(y_i, jnp.complex128), jnp.asarray(y_j, jnp.complex128)
    lambda_i = jnp.asarray(lambda_i, jnp.complex128)
    lambda_j = jnp.asarray(lambda_j, jnp.complex128)
    if channel == "L":
        h_i, h_j, g, sector = y_i, y_j, g_lepton_channel, 0
    elif channel == "chi":
        h_i, h_j, g, sector = lambda_i, lambda_j, g_dark_channel, 1
    else:
        raise ValueError(f"channel={channel!r}: allowed values are 'L', 'chi'")
    # A^(beta)_ij = (g_beta/2) h*_{beta i} h_{beta j}, cut through LH (beta = L) or chi phi (beta = chi)
    A_ij = jnp.stack(
        [
            0.5 * g_lepton_channel * jnp.conj(y_i) * y_j,
            0.5 * g_dark_channel * jnp.conj(lambda_i) * lambda_j,
        ]
    )
    A_ji = jnp.conj(A_ij)
    Gamma_i = width_lepton(y_i, M_i) + width_dark(lambda_i, M_i)
    Gamma_j = width_lepton(y_j, M_j) + width_dark(lambda_j, M_j)
    x = (M_j / M_i) ** 2
    if regulate:
        propagator = degeneracy_regulator(M_i, M_j, Gamma_j)
    else:
        propagator = 1.0 / (1.0 - x)
    hh = jnp.conj(h_i) * h_j
    prefactor = -0.5 * g * M_i / (64.0 * jnp.pi**2)
    return DecayAsymmetry(
        vertex=prefactor * jnp.imag(hh**2) * vertex_function(x),
        violating_cut=prefactor * jnp.imag(hh * A_ij) * jnp.sqrt(x) * propagator,
        conserving_cut=prefactor * jnp.imag(hh * A_ji) * propagator,
        width=Gamma_i,
        sector=sector,
    )


class CPAsymmetries(eqx.Module):
    r"""The decay asymmetries of a parameter point (module docstring), total and cut-resolved.

    Attributes:
        epsilon_1_L, epsilon_1_chi, epsilon_2_L, epsilon_2_chi: :math:`\epsilon_{i,\alpha}` per total width.
        lepton_cut, dark_cut: :math:`\epsilon^{(\beta)}_{i,L}`, :math:`\epsilon^{(\beta)}_{i,\chi}`, shape
            (2, 2) = (:math:`N_i`, cut sector :math:`\beta=L,\chi`); each row sums to the total.
    """

    epsilon_1_L: Float[ArrayLike, ""]
    epsilon_1_chi: Float[ArrayLike, ""]
    epsilon_2_L: Float[ArrayLike, ""]
    epsilon_2_chi: Float[ArrayLike, ""]
    lepton_cut: Float[Array, "2 2"]
    dark_cut: Float[Array, "2 2"]

    @property
    def lepton(self) -> Float[Array, "2"]:
        return jnp.stack([self.epsilon_1_L, self.epsilon_2_L])

    @property
    def dark(self) -> Float[Array, "2"]:
        return jnp.stack([self.epsilon_1_chi, self.epsilon_2_chi])


def cp_asymmetries(model, regulate: bool = True) -> CPAsymmetries:
    r""":class:`CPAsymmetries` of a :class:`~jaxcogen.CogenesisModel` (or anything with its fields)."""
    args1 = (model.M1, model.M2, model.y1, model.y2, model.lambda1, model.lambda2)
    args2 = (model.M2, model.M1, model.y2, model.y1, model.lambda2, model.lambda1)
    parts = {
        (i, ch): decay_asymmetry(ch, *args, regulate=regulate)
        for i, args in ((1, args1), (2, args2))
        for ch in ("L", "chi")
    }
    return CPAsymmetries(
        epsilon_1_L=parts[(1, "L")].epsilon,
        epsilon_1_chi=parts[(1, "chi")].epsilon,
        epsilon_2_L=parts[(2, "L")].epsilon,
        epsilon_2_chi=parts[(2, "chi")].epsilon,
        lepton_cut=jnp.stack([parts[(1, "L")].epsilon_cut, parts[(2, "L")].epsilon_cut]),
        dark_cut=jnp.stack([parts[(1, "chi")].epsilon_cut, parts[(2, "chi")].epsilon_cut]),
    )
