r"""Background cosmology during UV freeze-in: radiation domination by the Standard-Model plasma.

All temperatures in GeV, rates in GeV, densities in natural units (GeV^3).

For now :math:`g_*(T)=g_{*s}(T)=106.75` (the full SM above the electroweak scale, where all
production happens). The interface ``g_star(T)``, ``g_star_s(T)`` is what a tabulated
:math:`g_*(T)` will replace.
"""

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from . import constants


def g_star(T: Float[ArrayLike, "..."]) -> Float[Array, "..."]:
    r"""Energy-density degrees of freedom :math:`g_*(T)`; constant 106.75 above the EW scale."""
    return jnp.full_like(jnp.asarray(T, dtype=float), constants.g_star_SM)


def g_star_s(T: Float[ArrayLike, "..."]) -> Float[Array, "..."]:
    r"""Entropy degrees of freedom :math:`g_{*s}(T)`; constant 106.75 above the EW scale."""
    return jnp.full_like(jnp.asarray(T, dtype=float), constants.g_star_SM)


def hubble_rate(T: Float[ArrayLike, "..."]) -> Float[Array, "..."]:
    r"""Hubble rate in radiation domination [GeV].

    .. math:: H(T)=\sqrt{\frac{4\pi^3}{45}}\,\sqrt{g_*(T)}\,\frac{T^2}{m_{\rm Pl}}

    (Kolb & Turner eq. 3.59; physics notes §3.2, non-reduced :math:`m_{\rm Pl}`).
    """
    T = jnp.asarray(T, dtype=float)
    return constants.hubble_coefficient * jnp.sqrt(g_star(T)) * T**2 / constants.m_Pl


def entropy_density(T: Float[ArrayLike, "..."]) -> Float[Array, "..."]:
    r"""Entropy density :math:`s=\frac{2\pi^2}{45}g_{*s}(T)\,T^3` [GeV^3] (physics notes §3.2)."""
    T = jnp.asarray(T, dtype=float)
    return 2.0 * jnp.pi**2 / 45.0 * g_star_s(T) * T**3


def radiation_energy_density(T: Float[ArrayLike, "..."], g: Float[ArrayLike, "..."]):
    r"""Energy density of a thermal bath with :math:`g` effective dof, :math:`\rho=\frac{\pi^2}{30}gT^4`."""
    return jnp.pi**2 / 30.0 * g * jnp.asarray(T, dtype=float) ** 4


def yield_rate_factor(T: Float[ArrayLike, "..."]) -> Float[Array, "..."]:
    r"""The factor :math:`1/(H s)` [GeV^-4] that turns a reaction density into :math:`dY/d\ln(1/T)`.

    With entropy conserved and :math:`T a` constant (constant :math:`g_{*s}`),
    :math:`dY/d\tau=\gamma/(Hs)` for :math:`\tau=\ln(T_{\rm RH}/T)` — the same as the notes'
    :math:`dY/dx=\gamma/(xHs)` with :math:`x=M_1/T`.
    """
    return 1.0 / (hubble_rate(T) * entropy_density(T))
