r"""Tree-level squared amplitudes of the heavy-neutrino-mediated :math:`2\to2` processes.

Model (physics notes §1.1): :math:`\mathcal L=-y_i(L\cdot H)N_i-\lambda_i(\chi\phi)N_i-\frac12M_iN_iN_i+{\rm h.c.}`
Every amplitude is an :math:`N_i` exchange between two of the currents
:math:`J_i=y_i(L\cdot H)+\lambda_i(\chi\phi)`. Integrating :math:`N_i` out at tree level gives the
four Wilson coefficients :math:`a,b,w,d` of notes §2.1; keeping the propagator exactly replaces
(crosscheck.md, Method 1)

.. math::
    \frac1{M_i}\to\frac{M_i}{M_i^2-q^2}\quad(\text{mass insertion: }a,w,d),\qquad
    \frac1{M_i^2}\to\frac1{M_i^2-q^2}\quad(p\!\!\!/\ \text{part: }b),

with :math:`q` the momentum of the :math:`N` line. So each coefficient becomes
:math:`c_X(q^2)=\sum_ig_{X,i}D_i(q^2)`, :math:`g_a=y_i\lambda_i`, :math:`g_b=y_i^*\lambda_i`,
:math:`g_w=y_i^2`, :math:`g_d=\lambda_i^2`, and with real propagators :math:`D_i`

.. math:: c_X(q_1^2)\,c_X^*(q_2^2)\big|_{\rm real\ part}=\sum_{ij}G^X_{ij}D_i(q_1^2)D_j(q_2^2),
    \qquad G^X_{ij}={\rm Re}(g_{X,i}g_{X,j}^*),

a real Gram matrix (no complex numbers in the rates, and CP-conjugate channels have equal rates).

Squared amplitudes, summed over all internal dof, :math:`t=(p_a-p_c)^2`, :math:`u=(p_a-p_d)^2`
in the order :math:`a+b\to c+d` of each class (massless limits: notes §2.2 and crosscheck item
4(a); masses from the two-component trace :math:`{\rm tr}[k\!\cdot\!\sigma\,P\!\cdot\!\bar\sigma\,
p\!\cdot\!\sigma\,P\!\cdot\!\bar\sigma]=2[2(k\!\cdot\!P)(p\!\cdot\!P)-P^2k\!\cdot\!p]` with
crossing, [D] here):

==============================  =====================================================  ==========
process                         :math:`\sum|\mathcal M|^2`                              :math:`N` line
==============================  =====================================================  ==========
:math:`LH\to\bar\chi\bar\phi`   :math:`2|a|^2(m_\chi^2-t)`                              :math:`s`
:math:`LH\to\chi\phi`           :math:`2|b|^2s(s+t-m_\phi^2)`                           :math:`s`
:math:`LH\to\bar L\bar H`       :math:`(-t)\,4[|w_s|^2+|w_u|^2+{\rm Re}\,w_sw_u^*]`     :math:`s,u`
:math:`LL\to\bar H\bar H`       :math:`s\,4[|w_t|^2+|w_u|^2+{\rm Re}\,w_tw_u^*]`        :math:`t,u`
:math:`\chi\phi\to\bar\chi\bar\phi`  :math:`(2m_\chi^2-t)|d_s+d_u|^2`                   :math:`s,u`
:math:`\chi\chi\to\bar\phi\bar\phi`  :math:`(s-2m_\chi^2)|d_t+d_u|^2`                   :math:`t,u`
:math:`L\chi\to\bar H\bar\phi`  :math:`2|a_t|^2(s-m_\chi^2)`                            :math:`t`
:math:`L\phi\to\bar H\bar\chi`  :math:`2|a_t|^2(m_\chi^2-u)`                            :math:`t`
:math:`\bar L\chi\to H\bar\phi` :math:`2|b_t|^2\,t\,(u-m_\chi^2)`                       :math:`t`
:math:`\bar L\phi\to H\bar\chi` :math:`2|b_t|^2(-t)(s-m_\chi^2)`                        :math:`t`
==============================  =====================================================  ==========

The SU(2) factor 4 of the Weinberg channels comes from :math:`S=\epsilon_{ab}\epsilon_{cd}+\epsilon_{ad}
\epsilon_{cb}` (:math:`\sum|S|^2=12` splits as :math:`4+4+2\cdot2`); each of its two terms is one
:math:`N` channel, and the EFT limit (:math:`12|w|^2`) fixes their relative sign. The same holds for
the dark :math:`(\chi\phi)^2` operator without SU(2) (:math:`|d+d|^2=4|d|^2`).

Heavy-neutrino widths (two-body decays to massless :math:`LH`, :math:`\bar L\bar H`, :math:`\chi\phi`,
:math:`\bar\chi\bar\phi`, both SU(2) components, [D]):
:math:`\Gamma_i=(2|y_i|^2+|\lambda_i|^2)M_i/16\pi`. Check: in the narrow-width limit the on-shell
part of :math:`LH\to\chi\phi` equals the inverse-decay density times :math:`{\rm BR}(N\to\chi\phi)`
(``tests/test_collisions.py``).
"""

import abc
from typing import ClassVar, Literal

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from jaxcogen.model._cogenesis import CogenesisModel

CoefficientKind = Literal["a", "b", "w", "d"]
PropagatorMode = Literal["eft", "full", "residue"]

#: mass power of the numerator of each coefficient: M_i (mass insertion) or 1 (p-slash part).
_MASS_POWER = {"a": 1, "b": 0, "w": 1, "d": 1}


class PortalCouplings(eqx.Module):
    r"""Everything the squared amplitudes need, as real arrays (differentiable, jit-friendly).

    Attributes:
        masses: :math:`(M_1,M_2)` [GeV].
        widths: :math:`(\Gamma_1,\Gamma_2)` [GeV], :math:`\Gamma_i=(2|y_i|^2+|\lambda_i|^2)M_i/16\pi`.
        gram_a, gram_b, gram_w, gram_d: :math:`G^X_{ij}={\rm Re}(g_{X,i}g^*_{X,j})` (module docstring).
        m_chi, m_phi: dark masses entering the amplitudes [GeV] (0 for the massless limit).
        J_w, J_d: the CP invariants :math:`{\rm Im}(ba^*w)`, :math:`{\rm Im}(bad^*)` [GeV^-4]
            of the leading EFT (notes §2.4).
    """

    masses: Float[Array, "2"]
    widths: Float[Array, "2"]
    gram_a: Float[Array, "2 2"]
    gram_b: Float[Array, "2 2"]
    gram_w: Float[Array, "2 2"]
    gram_d: Float[Array, "2 2"]
    m_chi: Float[ArrayLike, ""]
    m_phi: Float[ArrayLike, ""]
    J_w: Float[ArrayLike, ""]
    J_d: Float[ArrayLike, ""]

    @classmethod
    def from_model(cls, model: CogenesisModel, massive: bool = True) -> "PortalCouplings":
        """Couplings of ``model``; ``massive=False`` sets :math:`m_\\chi=m_\\phi=0`."""
        y = jnp.stack([model.y1, model.y2])
        lam = jnp.stack([model.lambda1, model.lambda2])
        masses = jnp.stack([model.M1, model.M2])

        def gram(g):
            return jnp.real(g[:, None] * jnp.conj(g)[None, :])

        widths = (2.0 * jnp.abs(y) ** 2 + jnp.abs(lam) ** 2) * masses / (16.0 * jnp.pi)
        zero = jnp.zeros(())
        return cls(
            masses=masses,
            widths=widths,
            gram_a=gram(y * lam),
            gram_b=gram(jnp.conj(y) * lam),
            gram_w=gram(y * y),
            gram_d=gram(lam * lam),
            m_chi=model.m_chi if massive else zero,
            m_phi=model.m_phi if massive else zero,
            J_w=model.J_w,
            J_d=model.J_d,
        )

    @classmethod
    def unit(cls, kind: CoefficientKind, mass: float = 1.0) -> "PortalCouplings":
        r"""One heavy neutrino of mass ``mass`` with unit EFT coefficient of ``kind`` (others 0).

        Used to tabulate rates per unit :math:`|a|^2,|b|^2,|w|^2,|d|^2` (massless EFT).
        """
        one = jnp.zeros((2, 2)).at[0, 0].set(mass ** (2 * (2 - _MASS_POWER[kind])))
        zeros = jnp.zeros((2, 2))
        grams = {k: (one if k == kind else zeros) for k in ("a", "b", "w", "d")}
        return cls(
            masses=jnp.array([mass, 3.0 * mass]),
            widths=jnp.array([1e-3 * mass, 1e-3 * mass]),
            gram_a=grams["a"],
            gram_b=grams["b"],
            gram_w=grams["w"],
            gram_d=grams["d"],
            m_chi=jnp.zeros(()),
            m_phi=jnp.zeros(()),
            J_w=jnp.zeros(()),
            J_d=jnp.zeros(()),
        )

    def gram(self, kind: CoefficientKind) -> Float[Array, "2 2"]:
        return {"a": self.gram_a, "b": self.gram_b, "w": self.gram_w, "d": self.gram_d}[kind]

    def eft_coefficient_squared(self, kind: CoefficientKind) -> Float[ArrayLike, ""]:
        r""":math:`|c_X|^2` of the leading EFT, e.g. :math:`|a|^2=|\sum_iy_i\lambda_i/M_i|^2`."""
        d = self.masses ** (_MASS_POWER[kind] - 2)
        return d @ self.gram(kind) @ d


class Propagator(eqx.Module):
    r"""Heavy-neutrino propagator factors :math:`D_i(q^2)` in one of three modes.

    - ``"eft"``: :math:`D_i=M_i^{p-2}` (leading term; :math:`p=1` for mass insertions, 0 otherwise);
    - ``"full"``: :math:`D_i=M_i^p/(M_i^2-q^2)`, real (narrow-width limit). Where ``regulator[i] > 0``
      the pole is smoothed, :math:`1/x\to(1-e^{-x^2/\epsilon^2})/x` with :math:`\epsilon=`
      ``regulator[i]``: used only for poles beyond the thermal range, whose neighbourhood carries
      weight :math:`<e^{-50}`;
    - ``"residue"``: the coefficient of the double pole at :math:`s=M_{\rm pole}^2`, i.e.
      :math:`D_i=\delta_{i,{\rm pole}}M_i^p` for the :math:`s`-channel line and 0 for the others, so
      that :math:`\lim_{s\to M^2}(s-M^2)^2|\mathcal M|^2` is obtained from the same formula.
    """

    masses: Float[Array, "2"]
    regulator: Float[Array, "2"]
    mode: PropagatorMode = eqx.field(static=True, default="eft")
    pole: int = eqx.field(static=True, default=0)

    def factors(self, kind: CoefficientKind, q2, s_channel: bool) -> Float[Array, "... 2"]:
        """:math:`D_i(q^2)` with a trailing axis of length 2 (one per heavy neutrino)."""
        p = _MASS_POWER[kind]
        q2 = jnp.asarray(q2)[..., None]
        m = self.masses.reshape((1,) * (q2.ndim - 1) + (2,))
        if self.mode == "eft":
            return jnp.broadcast_to(m ** (p - 2), q2.shape[:-1] + (2,))
        if self.mode == "residue":
            if not s_channel:
                return jnp.zeros(q2.shape[:-1] + (2,))
            e = jnp.zeros(2).at[self.pole].set(1.0)
            return jnp.broadcast_to(e * self.masses**p, q2.shape[:-1] + (2,))
        x = m**2 - q2
        nonzero = x != 0
        x_safe = jnp.where(nonzero, x, 1.0)
        eps = self.regulator.reshape(m.shape)
        smooth = eps > 0
        eps_safe = jnp.where(smooth, eps, 1.0)
        g = jnp.where(smooth, -jnp.expm1(-((x_safe / eps_safe) ** 2)) / x_safe, 1.0 / x_safe)
        return m**p * jnp.where(nonzero, g, 0.0)


def _pair(couplings: PortalCouplings, prop: Propagator, kind, q2a, q2b, sa: bool, sb: bool):
    r""":math:`\sum_{ij}G^X_{ij}D_i(q_a^2)D_j(q_b^2)`."""
    da = prop.factors(kind, q2a, sa)
    db = prop.factors(kind, q2b, sb)
    g = couplings.gram(kind)
    return jnp.einsum("...i,ij,...j->...", da, g, db)


#: Species: (statistics, bath). Participants carry a sign (+1 particle, -1 antiparticle).
SPECIES = {
    "L": ("fermion", "sm"),
    "H": ("boson", "sm"),
    "chi": ("fermion", "dark"),
    "phi": ("boson", "dark"),
}
SPECIES_ORDER = ("L", "H", "chi", "phi")


class AbstractProcess(eqx.Module):
    r"""A :math:`2\to2` process class :math:`a+b\to c+d` (equinox abstract/final pattern).

    Class attributes:
        name: identifier.
        particles: ``((species, sign), ...)`` for :math:`a,b,c,d`.
        charges: :math:`(\Delta L,\Delta N_\chi)` of one forward reaction.
        symmetry: identical-particle factor of the reaction density (1/4 for :math:`LL\to\bar H\bar H`).
        cp_multiplicity: 2 if the CP-conjugate class is a different pair of reactions (it then has
            the same rate with all chemical potentials reversed), 1 if it is the inverse reaction.
        coupling: the Wilson coefficient (:math:`a,b,w,d`) of the process.
        s_channel: the coefficient kind with an :math:`s`-channel :math:`N` line, or ``None``.
        eft_degree: degree of the EFT :math:`|\mathcal M|^2` in :math:`\cos\theta_{ac}`.
        has_crossed_channel: a :math:`t`/:math:`u`-channel :math:`N` line (non-polynomial in
            :math:`\cos\theta` with exact propagators).
    """

    name: ClassVar[str]
    particles: ClassVar[tuple[tuple[str, int], ...]]
    charges: ClassVar[tuple[int, int]]
    symmetry: ClassVar[float] = 1.0
    cp_multiplicity: ClassVar[int] = 2
    coupling: ClassVar[CoefficientKind] = "a"
    s_channel: ClassVar[CoefficientKind | None] = None
    eft_degree: ClassVar[int] = 1
    has_crossed_channel: ClassVar[bool] = False

    @abc.abstractmethod
    def squared_amplitude(self, s, t, u, couplings: PortalCouplings, prop: Propagator):
        r""":math:`\sum|\mathcal M|^2` at invariants :math:`(s,t,u)` (elementwise)."""

    def l_max(self, propagator: str, l_max_full: int) -> int:
        """Highest Legendre order needed for :math:`|\\mathcal M|^2` in :math:`\\cos\\theta_{ac}`."""
        if propagator == "full" and self.has_crossed_channel:
            return max(l_max_full, self.eft_degree)
        return self.eft_degree


class LHToChibarPhibar(AbstractProcess):
    r""":math:`LH\to\bar\chi\bar\phi` (dim-5 :math:`a`): :math:`2|a(s)|^2(m_\chi^2-t)`, :math:`t=(p_L-p_{\bar\chi})^2`."""

    name: ClassVar[str] = "LH_to_chibar_phibar"
    particles: ClassVar = (("L", 1), ("H", 1), ("chi", -1), ("phi", -1))
    charges: ClassVar = (-1, -1)
    s_channel: ClassVar = "a"

    def squared_amplitude(self, s, t, u, couplings, prop):
        return 2.0 * _pair(couplings, prop, "a", s, s, True, True) * (couplings.m_chi**2 - t)


class LHToChiPhi(AbstractProcess):
    r""":math:`LH\to\chi\phi` (dim-6 :math:`b`): :math:`2|b(s)|^2s(s+t-m_\phi^2)=2|b|^2s(m_\chi^2-u)`."""

    name: ClassVar[str] = "LH_to_chi_phi"
    coupling: ClassVar = "b"
    particles: ClassVar = (("L", 1), ("H", 1), ("chi", 1), ("phi", 1))
    charges: ClassVar = (-1, 1)
    s_channel: ClassVar = "b"

    def squared_amplitude(self, s, t, u, couplings, prop):
        return (
            2.0 * _pair(couplings, prop, "b", s, s, True, True) * s * (s + t - couplings.m_phi**2)
        )


class LHToLbarHbar(AbstractProcess):
    r""":math:`LH\to\bar L\bar H` (:math:`\Delta L=-2`, :math:`w`): :math:`(-t)\,4[|w_s|^2+|w_u|^2+{\rm Re}\,w_sw_u^*]`."""

    name: ClassVar[str] = "LH_to_Lbar_Hbar"
    coupling: ClassVar = "w"
    particles: ClassVar = (("L", 1), ("H", 1), ("L", -1), ("H", -1))
    charges: ClassVar = (-2, 0)
    cp_multiplicity: ClassVar = 1
    s_channel: ClassVar = "w"
    has_crossed_channel: ClassVar = True

    def squared_amplitude(self, s, t, u, couplings, prop):
        ss = _pair(couplings, prop, "w", s, s, True, True)
        uu = _pair(couplings, prop, "w", u, u, False, False)
        su = _pair(couplings, prop, "w", s, u, True, False)
        return 4.0 * (-t) * (ss + uu + su)


class LLToHbarHbar(AbstractProcess):
    r""":math:`LL\to\bar H\bar H` (:math:`w`, :math:`t`/:math:`u` channels).

    :math:`s\,4[|w_t|^2+|w_u|^2+{\rm Re}\,w_tw_u^*]`, symmetry 1/4.
    """

    name: ClassVar[str] = "LL_to_Hbar_Hbar"
    coupling: ClassVar = "w"
    particles: ClassVar = (("L", 1), ("L", 1), ("H", -1), ("H", -1))
    charges: ClassVar = (-2, 0)
    symmetry: ClassVar = 0.25
    eft_degree: ClassVar = 0
    has_crossed_channel: ClassVar = True

    def squared_amplitude(self, s, t, u, couplings, prop):
        tt = _pair(couplings, prop, "w", t, t, False, False)
        uu = _pair(couplings, prop, "w", u, u, False, False)
        tu = _pair(couplings, prop, "w", t, u, False, False)
        return 4.0 * s * (tt + uu + tu)


class ChiPhiToChibarPhibar(AbstractProcess):
    r""":math:`\chi\phi\to\bar\chi\bar\phi` (:math:`d`): :math:`(2m_\chi^2-t)|d_s+d_u|^2`."""

    name: ClassVar[str] = "chiphi_to_chibar_phibar"
    coupling: ClassVar = "d"
    particles: ClassVar = (("chi", 1), ("phi", 1), ("chi", -1), ("phi", -1))
    charges: ClassVar = (0, -2)
    cp_multiplicity: ClassVar = 1
    s_channel: ClassVar = "d"
    has_crossed_channel: ClassVar = True

    def squared_amplitude(self, s, t, u, couplings, prop):
        ss = _pair(couplings, prop, "d", s, s, True, True)
        uu = _pair(couplings, prop, "d", u, u, False, False)
        su = _pair(couplings, prop, "d", s, u, True, False)
        return (2.0 * couplings.m_chi**2 - t) * (ss + uu + 2.0 * su)


class ChiChiToPhibarPhibar(AbstractProcess):
    r""":math:`\chi\chi\to\bar\phi\bar\phi` (:math:`d`, :math:`t`/:math:`u`): :math:`(s-2m_\chi^2)|d_t+d_u|^2`, symmetry 1/4."""

    name: ClassVar[str] = "chichi_to_phibar_phibar"
    coupling: ClassVar = "d"
    particles: ClassVar = (("chi", 1), ("chi", 1), ("phi", -1), ("phi", -1))
    charges: ClassVar = (0, -2)
    symmetry: ClassVar = 0.25
    eft_degree: ClassVar = 0
    has_crossed_channel: ClassVar = True

    def squared_amplitude(self, s, t, u, couplings, prop):
        tt = _pair(couplings, prop, "d", t, t, False, False)
        uu = _pair(couplings, prop, "d", u, u, False, False)
        tu = _pair(couplings, prop, "d", t, u, False, False)
        return (s - 2.0 * couplings.m_chi**2) * (tt + uu + 2.0 * tu)


class LChiToHbarPhibar(AbstractProcess):
    r""":math:`L\chi\to\bar H\bar\phi` (mixed, :math:`a` in the :math:`t` channel): :math:`2|a(t)|^2(s-m_\chi^2)`."""

    name: ClassVar[str] = "Lchi_to_Hbar_phibar"
    particles: ClassVar = (("L", 1), ("chi", 1), ("H", -1), ("phi", -1))
    charges: ClassVar = (-1, -1)
    eft_degree: ClassVar = 0
    has_crossed_channel: ClassVar = True

    def squared_amplitude(self, s, t, u, couplings, prop):
        return 2.0 * _pair(couplings, prop, "a", t, t, False, False) * (s - couplings.m_chi**2)


class LPhiToHbarChibar(AbstractProcess):
    r""":math:`L\phi\to\bar H\bar\chi` (mixed, :math:`a_t`): :math:`2|a(t)|^2(m_\chi^2-u)`, :math:`u=(p_L-p_{\bar\chi})^2`."""

    name: ClassVar[str] = "Lphi_to_Hbar_chibar"
    particles: ClassVar = (("L", 1), ("phi", 1), ("H", -1), ("chi", -1))
    charges: ClassVar = (-1, -1)
    has_crossed_channel: ClassVar = True

    def squared_amplitude(self, s, t, u, couplings, prop):
        return 2.0 * _pair(couplings, prop, "a", t, t, False, False) * (couplings.m_chi**2 - u)


class LbarChiToHPhibar(AbstractProcess):
    r""":math:`\bar L\chi\to H\bar\phi` (mixed, :math:`b_t`): :math:`2|b(t)|^2\,t\,(u-m_\chi^2)`."""

    name: ClassVar[str] = "Lbarchi_to_H_phibar"
    coupling: ClassVar = "b"
    particles: ClassVar = (("L", -1), ("chi", 1), ("H", 1), ("phi", -1))
    charges: ClassVar = (1, -1)
    eft_degree: ClassVar = 2
    has_crossed_channel: ClassVar = True

    def squared_amplitude(self, s, t, u, couplings, prop):
        return 2.0 * _pair(couplings, prop, "b", t, t, False, False) * t * (u - couplings.m_chi**2)


class LbarPhiToHChibar(AbstractProcess):
    r""":math:`\bar L\phi\to H\bar\chi` (mixed, :math:`b_t`): :math:`2|b(t)|^2(-t)(s-m_\chi^2)`."""

    name: ClassVar[str] = "Lbarphi_to_H_chibar"
    coupling: ClassVar = "b"
    particles: ClassVar = (("L", -1), ("phi", 1), ("H", 1), ("chi", -1))
    charges: ClassVar = (1, -1)
    has_crossed_channel: ClassVar = True

    def squared_amplitude(self, s, t, u, couplings, prop):
        return (
            2.0 * _pair(couplings, prop, "b", t, t, False, False) * (-t) * (s - couplings.m_chi**2)
        )


class PowerLaw(AbstractProcess):
    r"""An isotropic test amplitude :math:`\sum|\mathcal M|^2=s^n` (no couplings, no propagator).

    Used for the closed-form and quantum-statistics checks and for the CP-odd sources, whose
    reduced cross sections are :math:`\Delta\hat\sigma\propto s^2` at leading order (notes §2.4).
    The ``particles`` are placeholders; the caller supplies the participants.
    """

    power: int = eqx.field(static=True, default=1)
    name: ClassVar[str] = "power_law"
    particles: ClassVar = (("L", 1), ("H", 1), ("chi", 1), ("phi", 1))
    charges: ClassVar = (0, 0)
    eft_degree: ClassVar = 0

    def squared_amplitude(self, s, t, u, couplings, prop):
        return s**self.power + 0.0 * t


#: The processes of the network: portal (s-channel), SM-internal, dark-internal, mixed.
PORTAL_PROCESSES = (LHToChibarPhibar(), LHToChiPhi())
SM_PROCESSES = (LHToLbarHbar(), LLToHbarHbar())
DARK_PROCESSES = (ChiPhiToChibarPhibar(), ChiChiToPhibarPhibar())
MIXED_PROCESSES = (LChiToHbarPhibar(), LPhiToHbarChibar(), LbarChiToHPhibar(), LbarPhiToHChibar())
