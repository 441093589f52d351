r"""The result of a solve: :class:`Solution` (final observables, status, diagnostics, the
evolution on a grid) and its assembly from the production stage's path (:func:`production_solution`).
"""

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Bool, Float, Int

from jaxcogen import observables
from jaxcogen._status import status_name
from jaxcogen.late_universe._dark_freezeout import LateUniverse
from jaxcogen.model._cogenesis import CogenesisModel
from jaxcogen.model._registry import PRODUCTION_OBSERVABLES
from jaxcogen.production._settings import REGIME_DYNAMICAL, REGIME_EFT
from jaxcogen.production._validity import (
    EFT_ERROR_OBSERVABLES,
    EFT_TOLERANCE,
    EFTErrorEstimate,
    EFTValidity,
    eft_error_estimate,
    eft_trusted,
    eft_validity,
)


class Evolution(eqx.Module):
    r"""The production stage on a fixed grid of ``n_save`` points, for plotting.

    Attributes:
        T: SM temperature [GeV], from :math:`T_{\rm RH}` down to :math:`T_{\rm end}`.
        x: :math:`x=M_1/T`.
        xi, SigmaY_chi, DeltaY_L, DeltaY_chi: the state along the grid.
    """

    T: Float[Array, " n"]
    x: Float[Array, " n"]
    xi: Float[Array, " n"]
    SigmaY_chi: Float[Array, " n"]
    DeltaY_L: Float[Array, " n"]
    DeltaY_chi: Float[Array, " n"]


#: The scalar final observables of a :class:`Solution` produced by the production stage
#: (declared once, in the model's registry).
OBSERVABLES: tuple[str, ...] = PRODUCTION_OBSERVABLES

#: Today's observables, filled by the late-universe stage (``None`` with ``late_universe=False``).
TODAY_OBSERVABLES: tuple[str, ...] = (
    "Omega_chi_h2",
    "asymmetric_fraction",
    "Delta_N_eff",
    "N_eff_ok",
)

#: The EFT validity diagnostic carried by every :class:`Solution` (:mod:`jaxcogen.production._validity`).
EFT_DIAGNOSTICS: tuple[str, ...] = ("eft_resonant_ratio", "eft_s_over_M1_squared")


class Solution(eqx.Module):
    r"""Result of :func:`solve`.

    Attributes:
        DeltaY_L: lepton asymmetry :math:`\Delta Y_L` at :math:`T_{\rm end}` (:math:`Y_{B-L}=-\Delta Y_L`).
        DeltaY_chi: dark-matter asymmetry :math:`\Delta Y_\chi=Y_\chi-Y_{\bar\chi}` at :math:`T_{\rm end}`.
        SigmaY_chi: :math:`Y_\chi+Y_{\bar\chi}` at :math:`T_{\rm end}` (before any depletion).
        xi_final: :math:`\xi=T_\chi/T` at :math:`T_{\rm end}`.
        DeltaY_B: baryon asymmetry :math:`-c_s\Delta Y_L` at sphaleron freeze-out.
        Omega_chi_h2_frozen_in: :math:`\Omega_\chi h^2` of the frozen-in :math:`\chi` population
            at the end of production (no dark-sink depletion, no :math:`\phi` decays yet) — never
            what is observed today; see ``Omega_chi_h2``.
        Omega_chi_h2_asymmetric: today's :math:`\Omega h^2` of the asymmetric relic alone,
            :math:`m_{\rm DM}\,2|\Delta Y_\chi|\,s_0/(\rho_c/h^2)` with
            :math:`m_{\rm DM}=\min(m_\chi,m_\phi)` (the heavier decays into the lighter) — equal to
            today's relic when the dark sink removes the symmetric part (``Omega_chi_h2`` says).
            The fits' loss uses it for an :math:`\Omega_\chi h^2` target (then checks today's).
        m_chi_asymmetric: the dark-matter mass [GeV] for which a purely asymmetric relic, with
            the asymmetry :math:`2\Delta Y_\chi` left after :math:`\phi\to\chi\bar\eta`, gives
            :math:`\Omega_\chi h^2=0.12` (:func:`~jaxcogen.observables.asymmetric_dark_matter_mass`).
        T_end: where the integration stopped [GeV].
        status: 0 on success, else a diffrax failure code or ``STATUS_INVALID_INPUT``
            (:func:`status_name`). On failure every observable is NaN — never a silently wrong
            number.
        num_steps, num_rejected_steps: step statistics of the solve.
        evolution: the state on a fixed grid (:class:`Evolution`).
        eft_resonant_ratio, eft_s_over_M1_squared: the EFT validity diagnostic at
            :math:`T_{\rm RH}` (:func:`~jaxcogen.production._validity.eft_validity`): on-shell-:math:`N`
            production over the EFT rate, and :math:`s/M_1^2` at the 99th percentile of the
            dimension-6 rate; ``eft_trustworthy`` combines them. :func:`solve` warns when the
            EFT is not trustworthy (and the EFT was integrated).
        eft_error_estimate: upper estimate of the EFT's relative error per observable
            (``DeltaY_B``, ``DeltaY_chi``, ``SigmaY_chi``, ``xi_final``) from on-shell :math:`N`
            (:func:`~jaxcogen.production._validity.eft_error_estimate`, calibrated against the
            dynamical mode); ``eft_trusted_for`` applies the per-observable criterion.
        regime_used: which production system was integrated: 0 the EFT (:data:`REGIME_EFT`),
            1 dynamical heavy neutrinos (:data:`REGIME_DYNAMICAL`; ``regime`` of :func:`solve`).
        Omega_chi_h2, asymmetric_fraction, Delta_N_eff, N_eff_ok: today's relic density
            :math:`\Omega_\chi h^2` (after the dark freeze-out and φ decays — the observed
            quantity, 0.12), its asymmetric fraction, :math:`\Delta N_{\rm eff}` at 1 MeV and
            whether :math:`N_{\rm eff}` is below Planck's 95 % bound (1.0 or 0.0) — filled by the
            late-universe stage (the default), ``None`` with ``late_universe=False``.
        late_universe: the full :class:`~jaxcogen.late_universe._dark_freezeout.LateUniverse` (or ``None``).
    """

    DeltaY_L: Float[ArrayLike, ""]
    DeltaY_chi: Float[ArrayLike, ""]
    SigmaY_chi: Float[ArrayLike, ""]
    xi_final: Float[ArrayLike, ""]
    DeltaY_B: Float[ArrayLike, ""]
    Omega_chi_h2_frozen_in: Float[ArrayLike, ""]
    Omega_chi_h2_asymmetric: Float[ArrayLike, ""]
    m_chi_asymmetric: Float[ArrayLike, ""]
    T_end: Float[ArrayLike, ""]
    status: Int[ArrayLike, ""]
    num_steps: Int[ArrayLike, ""]
    num_rejected_steps: Int[ArrayLike, ""]
    evolution: Evolution
    eft_resonant_ratio: Float[ArrayLike, ""]
    eft_s_over_M1_squared: Float[ArrayLike, ""]
    eft_error_estimate: EFTErrorEstimate
    regime_used: Int[ArrayLike, ""]
    # --- the late-universe stage (default); None with ``late_universe=False`` ------------------
    Omega_chi_h2: Float[ArrayLike, ""] | None = None
    asymmetric_fraction: Float[ArrayLike, ""] | None = None
    Delta_N_eff: Float[ArrayLike, ""] | None = None
    N_eff_ok: Float[ArrayLike, ""] | None = None
    late_universe: LateUniverse | None = None

    @property
    def succeeded(self) -> bool:
        """True when the solve succeeded (Python bool; not for use under ``jit``)."""
        return bool(self.status == 0)

    @property
    def eft_trustworthy(self) -> Bool[ArrayLike, "..."]:
        """Whether the heavy-neutrino EFT holds at this point (:mod:`jaxcogen.production._validity`)."""
        return EFTValidity(self.eft_resonant_ratio, self.eft_s_over_M1_squared).trustworthy

    def eft_trusted_for(
        self, observables: tuple[str, ...] = EFT_ERROR_OBSERVABLES, tolerance: float = EFT_TOLERANCE
    ) -> Bool[ArrayLike, "..."]:
        """Whether the EFT holds to ``tolerance`` for every one of ``observables`` here (the
        criterion ``regime="auto"`` applies; :func:`~jaxcogen.production._validity.eft_trusted`)."""
        return eft_trusted(
            self.eft_error_estimate, self.eft_s_over_M1_squared, observables, tolerance
        )

    @property
    def status_name(self) -> str:
        return status_name(int(self.status))

    def summary(self) -> dict[str, float | int | str]:
        """Final observables as plain Python numbers (a single, un-batched solution)."""
        keys = (*OBSERVABLES, "T_end", *EFT_DIAGNOSTICS)
        out: dict[str, float | int | str] = {k: float(getattr(self, k)) for k in keys}
        out["status"] = self.status_name
        out["num_steps"] = int(self.num_steps)
        out["regime_used"] = "dynamical" if int(self.regime_used) == REGIME_DYNAMICAL else "eft"
        if self.late_universe is not None:
            out["Omega_chi_h2"] = float(self.Omega_chi_h2)
            out["asymmetric_fraction"] = float(self.asymmetric_fraction)
            out["Delta_N_eff"] = float(self.Delta_N_eff)
            out["N_eff_ok"] = bool(self.N_eff_ok)
        return out


def production_solution(
    model: CogenesisModel,
    path: dict[str, Float[Array, " n"]],
    at_sph: dict[str, Float[ArrayLike, ""]],
    T: Float[Array, " n"],
    tau_end: Float[ArrayLike, ""],
    status: Int[ArrayLike, ""],
    num_steps: Int[ArrayLike, ""],
    num_rejected: Int[ArrayLike, ""],
    regime_used: int = REGIME_EFT,
) -> Solution:
    r"""The :class:`Solution` of a production-stage integration (shared by the EFT and the dynamical mode).

    ``path``: the physical state on the saved grid (``xi``, ``SigmaY_chi``, ``DeltaY_L``,
    ``DeltaY_chi``) at temperatures ``T``; ``at_sph``: the state at sphaleron freeze-out;
    ``status``: 0 on success (every observable is NaN otherwise); ``regime_used``: which
    system was integrated (:data:`REGIME_EFT`, :data:`REGIME_DYNAMICAL`).
    """
    ok = status == 0

    def final(v):
        return jnp.where(ok, v, jnp.nan)

    DeltaY_chi = final(path["DeltaY_chi"][-1])
    SigmaY_chi = final(path["SigmaY_chi"][-1])
    validity = eft_validity(model)
    return Solution(
        DeltaY_L=final(path["DeltaY_L"][-1]),
        DeltaY_chi=DeltaY_chi,
        SigmaY_chi=SigmaY_chi,
        xi_final=final(path["xi"][-1]),
        DeltaY_B=final(observables.baryon_asymmetry(at_sph["DeltaY_L"])),
        Omega_chi_h2_frozen_in=observables.relic_density(model.m_chi, SigmaY_chi),
        Omega_chi_h2_asymmetric=observables.relic_density(
            jnp.minimum(model.m_chi, model.m_phi), 2.0 * jnp.abs(DeltaY_chi)
        ),
        m_chi_asymmetric=observables.asymmetric_dark_matter_mass(DeltaY_chi),
        T_end=model.T_RH * jnp.exp(-tau_end),
        status=status,
        num_steps=num_steps,
        num_rejected_steps=num_rejected,
        evolution=Evolution(
            T=T,
            x=model.M1 / T,
            xi=path["xi"],
            SigmaY_chi=path["SigmaY_chi"],
            DeltaY_L=path["DeltaY_L"],
            DeltaY_chi=path["DeltaY_chi"],
        ),
        eft_resonant_ratio=validity.resonant_ratio,
        eft_s_over_M1_squared=validity.s_over_M1_squared,
        eft_error_estimate=eft_error_estimate(model),
        regime_used=jnp.asarray(regime_used, dtype=jnp.int32),
    )
