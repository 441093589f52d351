r"""One fit problem as a traceable object: :math:`\theta\mapsto` model :math:`\mapsto` observables :math:`\mapsto\mathcal L`.

:class:`FitProblem` holds *every* continuous parameter (the 14 of
:data:`~jaxcogen.fitting._gradients.CONTINUOUS_PARAMETERS`) with a ``free`` mask, and *every* fittable
observable with a weight (0: not a target). Which parameters are free, their bounds, the targets
and the base model are therefore all arrays: one compiled optimiser serves every fit with the same
number of starts and optimiser settings — a new choice of free parameters or targets does not
recompile. A fixed parameter keeps the base model's value bit for bit (``jnp.where`` on the
physical value), and its gradient is exactly zero, so neither Adam nor L-BFGS ever moves it.
"""

from collections.abc import Mapping, Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Float

from jaxcogen.fitting._gradients import CONTINUOUS_PARAMETERS, OBSERVABLES
from jaxcogen.fitting._loss import (
    DEFAULT_SOFTNESS,
    SIGNED_OBSERVABLES,
    neutrino_mass_penalty,
    target_terms,
)
from jaxcogen.fitting._transforms import FreeParameter
from jaxcogen.model._cogenesis import CogenesisModel
from jaxcogen.production._solve import Solution, SolveSettings, solve_unjitted

#: Slot of each parameter in θ.
SLOT: dict[str, int] = {name: j for j, name in enumerate(CONTINUOUS_PARAMETERS)}

_SIGNED = tuple(name in SIGNED_OBSERVABLES for name in OBSERVABLES)
_COUPLINGS = ("y1", "y2", "lambda1", "lambda2")


class FitProblem(eqx.Module):
    r"""Loss :math:`\mathcal L(\theta)` of a fit (see :mod:`jaxcogen.fitting._loss`), jittable and vmappable.

    θ has one slot per :data:`~jaxcogen.fitting._gradients.CONTINUOUS_PARAMETERS` entry; fixed slots
    are ignored.

    Attributes:
        base_model: the model whose fixed parameters the fit keeps.
        free: which slots are free.
        has_lower, has_upper, lower, upper: the intervals of the natural coordinates
            (:mod:`jaxcogen.fitting._transforms`; ``lower``/``upper`` are 0 where open).
        target_values, target_weights: :math:`t_k`, :math:`w_k` for every observable of
            :data:`~jaxcogen.fitting._gradients.OBSERVABLES` (weight 0: not fitted).
        m_nu_max: the light-neutrino-mass bound [GeV] (``inf``: off).
        settings: solver settings of the solves inside the loss.
        softness: :math:`\varepsilon` of the signed logarithm (static).
    """

    base_model: CogenesisModel
    free: Bool[Array, " 14"]
    has_lower: Bool[Array, " 14"]
    has_upper: Bool[Array, " 14"]
    lower: Float[Array, " 14"]
    upper: Float[Array, " 14"]
    target_values: Float[Array, " 7"]
    target_weights: Float[Array, " 7"]
    m_nu_max: Float[Array, ""]
    settings: SolveSettings
    softness: float = eqx.field(static=True)

    @classmethod
    def create(
        cls,
        model: CogenesisModel,
        parameters: Sequence[FreeParameter],
        targets: Mapping[str, float],
        weights: Mapping[str, float],
        m_nu_max: float | None,
        settings: SolveSettings,
        softness: float = DEFAULT_SOFTNESS,
    ) -> "FitProblem":
        n = len(CONTINUOUS_PARAMETERS)
        free = np.zeros(n, bool)
        has_lower, has_upper = np.zeros(n, bool), np.zeros(n, bool)
        lower, upper = np.zeros(n), np.zeros(n)
        for p in parameters:
            j = SLOT[p.name]
            free[j] = True
            has_lower[j], has_upper[j] = np.isfinite(p.lower), np.isfinite(p.upper)
            lower[j] = p.lower if has_lower[j] else 0.0
            upper[j] = p.upper if has_upper[j] else 0.0
        values = np.array([float(targets.get(o, 1.0)) for o in OBSERVABLES])
        w = np.array([float(weights[o]) if o in targets else 0.0 for o in OBSERVABLES])
        return cls(
            base_model=model,
            free=jnp.asarray(free),
            has_lower=jnp.asarray(has_lower),
            has_upper=jnp.asarray(has_upper),
            lower=jnp.asarray(lower, jnp.float64),
            upper=jnp.asarray(upper, jnp.float64),
            target_values=jnp.asarray(values, jnp.float64),
            target_weights=jnp.asarray(w, jnp.float64),
            m_nu_max=jnp.asarray(np.inf if m_nu_max is None else m_nu_max, jnp.float64),
            settings=settings,
            softness=float(softness),
        )

    @staticmethod
    def embed(parameters: Sequence[FreeParameter], theta_free: np.ndarray) -> np.ndarray:
        """θ of the free parameters ``[..., n_free]`` → the full θ ``[..., 14]`` (fixed slots 0)."""
        theta_free = np.asarray(theta_free, dtype=np.float64)
        full = np.zeros(theta_free.shape[:-1] + (len(CONTINUOUS_PARAMETERS),))
        for k, p in enumerate(parameters):
            full[..., SLOT[p.name]] = theta_free[..., k]
        return full

    # ---- θ → u → model ----------------------------------------------------------------------

    def natural(self, theta: Float[Array, " 14"]) -> Float[Array, " 14"]:
        r"""The natural coordinates :math:`u(\theta)` (see :mod:`jaxcogen.fitting._transforms`)."""
        lo, hi = self.lower, self.upper
        from_lower = lo + jax.nn.softplus(theta)
        from_upper = hi - jax.nn.softplus(-theta)
        between = lo + (hi - lo) * jax.nn.sigmoid(theta)
        one_sided = jnp.where(
            self.has_lower, from_lower, jnp.where(self.has_upper, from_upper, theta)
        )
        return jnp.where(self.has_lower & self.has_upper, between, one_sided)

    def model(self, theta: Float[Array, " 14"]) -> CogenesisModel:
        r"""The model at :math:`\theta` (valid by construction; not re-validated, traceable)."""
        u = self.natural(theta)
        base = self.base_model

        def pick(name: str, value: Array, fixed: Array) -> Array:
            return jnp.where(self.free[SLOT[name]], value, fixed)

        T_RH = pick("T_RH", jnp.exp(u[SLOT["T_RH"]]), base.T_RH)
        fields = {"T_RH": T_RH}
        for name in ("M1", "M2", "m_chi", "m_phi"):
            fields[name] = pick(name, T_RH * jnp.exp(u[SLOT[name]]), getattr(base, name))
        fields["kappa"] = pick("kappa", jnp.exp(u[SLOT["kappa"]]), base.kappa)
        for name in _COUPLINGS:
            z = getattr(base, name)
            modulus = pick(f"{name}.abs", jnp.exp(u[SLOT[f"{name}.abs"]]), jnp.abs(z))
            phase = pick(f"{name}.arg", u[SLOT[f"{name}.arg"]], jnp.angle(z))
            moved = self.free[SLOT[f"{name}.abs"]] | self.free[SLOT[f"{name}.arg"]]
            fields[name] = jnp.where(moved, modulus * jnp.exp(1j * phase), z)
        names = tuple(fields)
        return eqx.tree_at(
            lambda m: tuple(getattr(m, n) for n in names),
            base,
            tuple(fields[n] for n in names),
        )

    # ---- observables and loss ------------------------------------------------------------------

    def solve(self, theta: Float[Array, " 14"]) -> Solution:
        return solve_unjitted(self.model(theta), self.settings)

    def loss_terms(
        self, theta: Float[Array, " 14"]
    ) -> tuple[Float[Array, " 7"], Float[Array, ""], Float[Array, " 7"], Float[Array, ""]]:
        """(target terms, neutrino penalty, observables, m_ν) at θ (terms 0 for non-targets)."""
        model = self.model(theta)
        solution = solve_unjitted(model, self.settings)
        values = jnp.stack([getattr(solution, name) for name in OBSERVABLES])
        fitted = self.target_weights > 0
        safe_values = jnp.where(fitted, values, self.target_values)  # ratio 1: a zero term
        terms = target_terms(
            safe_values, self.target_values, self.target_weights, _SIGNED, self.softness
        )
        return terms, neutrino_mass_penalty(model.m_nu, self.m_nu_max), values, model.m_nu

    def loss(self, theta: Float[Array, " 14"]) -> Float[Array, ""]:
        r""":math:`\mathcal L(\theta)`; NaN where the solve fails."""
        terms, penalty, _, _ = self.loss_terms(theta)
        return jnp.sum(terms) + penalty
