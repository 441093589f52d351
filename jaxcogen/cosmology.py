r"""Background cosmology during UV freeze-in: radiation domination by the Standard-Model plasma.

All temperatures in GeV, rates in GeV, densities in natural units (GeV^3).

:math:`g_*(T)` and :math:`g_{*s}(T)` are the SM table of :mod:`jaxcogen.thermodynamics` (lattice QCD
below 282 GeV, the ideal gas with the heavy SM masses above, tending to 106.75). Where
:math:`g_{*s}` varies, :math:`Ta` is not constant and the clock of the Boltzmann equations carries
the factor of :func:`entropy_heating_factor`. Above ~10 TeV — where all UV freeze-in happens — the
table equals 106.75 to better than :math:`5\times10^{-8}`, so the closed forms for constant
:math:`g_*` (notes §7) hold there.
"""

import jax.numpy as jnp
from jaxtyping import ArrayLike, Float

from jaxcogen import constants, thermodynamics


def g_star(T: Float[ArrayLike, "..."]) -> Float[ArrayLike, "..."]:
    r"""Energy-density degrees of freedom :math:`g_*(T)` of the SM plasma (:func:`jaxcogen.thermodynamics.g_star`)."""
    return thermodynamics.g_star(T)


def g_star_s(T: Float[ArrayLike, "..."]) -> Float[ArrayLike, "..."]:
    r"""Entropy degrees of freedom :math:`g_{*s}(T)` of the SM plasma (:func:`jaxcogen.thermodynamics.g_star_s`)."""
    return thermodynamics.g_star_s(T)


def entropy_heating_factor(T: Float[ArrayLike, "..."]) -> Float[ArrayLike, "..."]:
    r"""The factor :math:`1+\delta` with :math:`\delta=\frac13\,d\ln g_{*s}/d\ln T`, in :math:`\frac{dT}{dt}=-\frac{HT}{1+\delta}`.

    Entropy conservation, :math:`g_{*s}(T)\,T^3a^3=` const, gives
    :math:`d\ln T/dt=-H/(1+\delta)` (Kolb & Turner eq. 5.25 generalised; Gondolo & Gelmini,
    Nucl. Phys. B360 (1991) 145, eq. 3.8). For :math:`\tau=\ln(T_{\rm RH}/T)`:
    :math:`d\tau/dt=H/(1+\delta)`, so :math:`dY/d\tau=(1+\delta)\,\gamma/(Hs)`. It is 1 to
    :math:`4\times10^{-6}` above 10 TeV and reaches 1.02 near the electroweak crossover, ~1.3 at
    the QCD one.
    """
    return 1.0 + thermodynamics.dlng_star_s_dlnT(T) / 3.0


def hubble_rate(
    T: Float[ArrayLike, "..."], dark_radiation_dof: Float[ArrayLike, "..."] = 0.0
) -> Float[ArrayLike, "..."]:
    r"""Hubble rate in radiation domination [GeV].

    .. math:: H(T)=\sqrt{\frac{4\pi^3}{45}}\,\sqrt{g_*(T)+g_D\xi^4}\,\frac{T^2}{m_{\rm Pl}}

    (Kolb & Turner eq. 3.59; physics notes §3.2, non-reduced :math:`m_{\rm Pl}`): Friedmann's
    :math:`H^2=\frac{8\pi}{3m_{\rm Pl}^2}(\rho_{\rm SM}+\rho_D)` with
    :math:`\rho_{\rm SM}=\frac{\pi^2}{30}g_*T^4` and a dark radiation bath
    :math:`\rho_D=\frac{\pi^2}{30}g_DT_\chi^4`, :math:`T_\chi=\xi T`
    (:math:`\frac{8\pi}{3}\frac{\pi^2}{30}=\frac{4\pi^3}{45}`). ``dark_radiation_dof`` is
    :math:`g_D\xi^4=\rho_D/(\frac{\pi^2}{30}T^4)`; 0 (default) is the SM alone.
    """
    T = jnp.asarray(T, dtype=float)
    g = g_star(T) + dark_radiation_dof
    return constants.hubble_coefficient * jnp.sqrt(g) * T**2 / constants.m_Pl


def entropy_density(T: Float[ArrayLike, "..."]) -> Float[ArrayLike, "..."]:
    r"""Entropy density :math:`s=\frac{2\pi^2}{45}g_{*s}(T)\,T^3` [GeV^3] (physics notes §3.2)."""
    T = jnp.asarray(T, dtype=float)
    return 2.0 * jnp.pi**2 / 45.0 * g_star_s(T) * T**3


def radiation_energy_density(T: Float[ArrayLike, "..."], g: Float[ArrayLike, "..."]):
    r"""Energy density of a thermal bath with :math:`g` effective dof, :math:`\rho=\frac{\pi^2}{30}gT^4`."""
    return jnp.pi**2 / 30.0 * g * jnp.asarray(T, dtype=float) ** 4


def yield_rate_factor(T: Float[ArrayLike, "..."]) -> Float[ArrayLike, "..."]:
    r"""The factor :math:`1/(H s)` [GeV^-4] that turns a reaction density into :math:`dY/d\ln(1/T)`.

    With entropy conserved and :math:`T a` constant (constant :math:`g_{*s}`),
    :math:`dY/d\tau=\gamma/(Hs)` for :math:`\tau=\ln(T_{\rm RH}/T)` — the same as the notes'
    :math:`dY/dx=\gamma/(xHs)` with :math:`x=M_1/T`; where :math:`g_{*s}` varies, multiply by
    :func:`entropy_heating_factor`.
    """
    return 1.0 / (hubble_rate(T) * entropy_density(T))
