r"""The fit loss: squared logarithms of observable/target ratios plus one-sided limit penalties.

For targets :math:`t_k` of observables :math:`O_k` (weights :math:`w_k`, default 1) and the
limits :math:`q_l\le q_l^{\max}` a model declares (:attr:`~jaxcogen._interface.AbstractModel.fit_limits`;
the cogenesis model's light-neutrino mass :math:`m_\nu\le m_\nu^{\max}`),

.. math::
    \mathcal L=\sum_kw_k\,\ell_k\!\Big(\frac{O_k}{t_k}\Big)^2
    +\mu\sum_l\Big[\max\!\Big(0,\ \ln\frac{q_l}{q_l^{\max}}+\delta\Big)\Big]^2,

with, for the positive-definite observables (:math:`\Sigma Y_\chi`, :math:`\Omega_\chi h^2`,
:math:`\xi`, ...), the plain :math:`\ell(r)=\ln r`, and for the *signed* ones
(:math:`\Delta Y_B`, :math:`\Delta Y_L`, :math:`\Delta Y_\chi`) the signed logarithm

.. math::
    \ell_\varepsilon(r)=\operatorname{arsinh}\frac{r}{2\varepsilon}-\operatorname{arsinh}\frac{1}{2\varepsilon}
    =\begin{cases}\ln r+O(\varepsilon^2/r^2) & r\gg\varepsilon\\
    \ln\varepsilon+r/2\varepsilon+O(\varepsilon^2) & |r|\ll\varepsilon\\
    2\ln\varepsilon-\ln|r| & r\ll-\varepsilon.\end{cases}

:math:`\ell_\varepsilon` is smooth and strictly increasing, zero exactly at :math:`r=1`, and equal
to the log-space :math:`\chi^2` (symmetric in factors of too much and too little) for
:math:`r\gg\varepsilon`. A wrong sign is penalised by at least :math:`(\ln\varepsilon)^2`, and the
loss falls monotonically as :math:`r` crosses zero from below, so gradient descent can flip the
sign of :math:`\Delta Y_B` by rotating a phase (:math:`\Delta Y_B\propto J_w,J_d\propto\sin(\ldots)`);
:math:`\ln|r|` would put an infinite barrier at :math:`r=0`. Default :math:`\varepsilon=10^{-3}`.
(A positive-definite observable is *not* softened: a softened log would leave a plateau at
:math:`0<r\ll\varepsilon` where an overshooting step gets stuck.)

A limit term is a one-sided quadratic penalty (continuously differentiable) that switches on a
fraction :math:`\delta=10^{-3}` below the bound; with :math:`\mu=10^4` a target pulling with
log-gradient :math:`g` can push :math:`q` past the onset by only :math:`g/2\mu`, so at a
converged fit :math:`q\le q^{\max}` (checked, not assumed: the fit's ``success`` requires it).
"""

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

#: Default softness ε of the signed logarithm (in units of the target).
DEFAULT_SOFTNESS: float = 1e-3

#: Weight μ and onset δ of a limit penalty.
LIMIT_PENALTY_WEIGHT: float = 1e4
LIMIT_PENALTY_ONSET: float = 1e-3


def signed_log(
    ratio: Float[ArrayLike, "..."], softness: float = DEFAULT_SOFTNESS
) -> Float[ArrayLike, "..."]:
    r""":math:`\ell_\varepsilon(r)=\operatorname{arsinh}(r/2\varepsilon)-\operatorname{arsinh}(1/2\varepsilon)`."""
    return jnp.arcsinh(ratio / (2.0 * softness)) - jnp.arcsinh(1.0 / (2.0 * softness))


def log_ratio(
    ratio: Float[ArrayLike, "..."], signed: bool, softness: float = DEFAULT_SOFTNESS
) -> Float[ArrayLike, "..."]:
    r""":math:`\ell_\varepsilon(r)` for a signed observable, else :math:`\ln r` (NaN-free for :math:`r\le0`: :math:`\ln10^{-300}`)."""
    if signed:
        return signed_log(ratio, softness)
    return jnp.log(jnp.maximum(ratio, 1e-300))


def target_terms(
    values: Float[Array, " k"],
    targets: Float[Array, " k"],
    weights: Float[Array, " k"],
    signed: tuple[bool, ...],
    softness: float = DEFAULT_SOFTNESS,
) -> Float[Array, " k"]:
    r"""The per-target terms :math:`w_k\,\ell_k(O_k/t_k)^2`."""
    ratios = values / targets
    logs = jnp.stack([log_ratio(ratios[k], s, softness) for k, s in enumerate(signed)])
    return weights * logs**2


def upper_limit_penalty(
    q: Float[ArrayLike, "..."],
    q_max: Float[ArrayLike, "..."],
    weight: float = LIMIT_PENALTY_WEIGHT,
    onset: float = LIMIT_PENALTY_ONSET,
) -> Float[ArrayLike, "..."]:
    r""":math:`\mu\,[\max(0,\ln(q/q^{\max})+\delta)]^2`; zero where ``q_max`` is infinite."""
    excess = jnp.log(jnp.maximum(q, 1e-300)) - jnp.log(q_max) + onset
    return weight * jnp.maximum(excess, 0.0) ** 2


def goal_loss(tolerance: float, min_weight: float) -> float:
    r"""Loss below which a start stops: every target within ``tolerance/10`` (log space).

    Each term is non-negative, so :math:`\mathcal L\le w_{\min}\ln^2(1+{\rm tol}/10)` bounds
    every :math:`|\ell_\varepsilon(O_k/t_k)|` by :math:`\ln(1+{\rm tol}/10)`.
    """
    return float(min_weight * jnp.log1p(tolerance / 10.0) ** 2)
