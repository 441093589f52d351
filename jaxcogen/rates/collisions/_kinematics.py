r"""Two-body kinematics of :math:`a+b\to c+d` in the centre-of-mass (CM) and plasma frames.

Conventions: metric :math:`(+,-,-,-)`, :math:`s=(p_a+p_b)^2`, :math:`t=(p_a-p_c)^2`,
:math:`u=(p_a-p_d)^2`, :math:`s+t+u=\sum m^2`. The pair has plasma-frame energy
:math:`E_+=E_a+E_b` and momentum :math:`|\vec P|=\sqrt{E_+^2-s}`; the CM direction of :math:`a`
(or :math:`c`) makes the angle :math:`\theta` with :math:`\vec P`, so (boost along :math:`\vec P`)

.. math:: E_a=\frac{E_+E_a^*+|\vec P|\,p^*\cos\theta}{\sqrt s},

with :math:`E_a^*=(s+m_a^2-m_b^2)/2\sqrt s` and :math:`p^*=\lambda^{1/2}(s,m_a^2,m_b^2)/2\sqrt s`
(Byckling & Kajantie, *Particle Kinematics*, ch. IV). All functions are elementwise and NaN-safe
below threshold (they return 0 there).
"""

import jax.numpy as jnp
from jaxtyping import ArrayLike, Float


def kallen(a, b, c) -> Float[ArrayLike, "..."]:
    r"""Källén function :math:`\lambda(a,b,c)=a^2+b^2+c^2-2ab-2ac-2bc`."""
    return a * a + b * b + c * c - 2.0 * (a * b + a * c + b * c)


def cm_momentum(s, m1, m2) -> Float[ArrayLike, "..."]:
    r""":math:`p^*=\lambda^{1/2}(s,m_1^2,m_2^2)/2\sqrt s`, written as
    :math:`\sqrt{(s-(m_1+m_2)^2)(s-(m_1-m_2)^2)}/2\sqrt s` (no cancellation near threshold); 0 below it."""
    above = jnp.maximum(s - (m1 + m2) ** 2, 0.0)
    other = jnp.maximum(s - (m1 - m2) ** 2, 0.0)
    safe_s = jnp.where(s > 0, s, 1.0)
    return jnp.where(s > 0, 0.5 * jnp.sqrt(above * other / safe_s), 0.0)


def cm_energy(s, m_self, m_other) -> Float[ArrayLike, "..."]:
    r""":math:`E^*=(s+m_{\rm self}^2-m_{\rm other}^2)/2\sqrt s`."""
    safe_s = jnp.where(s > 0, s, 1.0)
    return (safe_s + m_self**2 - m_other**2) / (2.0 * jnp.sqrt(safe_s))


def mandelstam_tu(
    s, x, m_a, m_b, m_c, m_d
) -> tuple[Float[ArrayLike, "..."], Float[ArrayLike, "..."]]:
    r""":math:`t` and :math:`u` at CM scattering angle :math:`x=\cos\theta_{ac}`.

    :math:`t=m_a^2+m_c^2-2(E_a^*E_c^*-p_i^*p_f^*x)`, :math:`u=\sum m^2-s-t`.
    """
    e_a = cm_energy(s, m_a, m_b)
    e_c = cm_energy(s, m_c, m_d)
    p_i = cm_momentum(s, m_a, m_b)
    p_f = cm_momentum(s, m_c, m_d)
    t = m_a**2 + m_c**2 - 2.0 * (e_a * e_c - p_i * p_f * x)
    u = m_a**2 + m_b**2 + m_c**2 + m_d**2 - s - t
    return t, u


def lab_energies(s, e_plus, p_pair, e_star, p_star, one_minus, one_plus):
    r"""Plasma-frame energies of the two members of a pair at CM angle :math:`\cos\theta`.

    Args:
        s, e_plus, p_pair: :math:`s`, :math:`E_+`, :math:`|\vec P|` (broadcastable).
        e_star: ``(E_1^*, E_2^*)`` CM energies; p_star: :math:`p^*`.
        one_minus, one_plus: :math:`1-\cos\theta`, :math:`1+\cos\theta` (computed without cancellation).

    Returns ``(E_1, E_2)`` with :math:`E_1` along :math:`+\cos\theta`; each is written as its minimum
    over angles plus a non-negative term, the minimum in the cancellation-free form
    :math:`E_{\min}=(E_+^2m^2+s\,p^{*2})/\sqrt s(E_+E^*+|\vec P|p^*)`, so that soft bosons
    (:math:`E\to0`) keep full relative precision.
    """
    rs = jnp.sqrt(s)
    e1s, e2s = e_star
    m1sq = jnp.maximum(e1s**2 - p_star**2, 0.0)
    m2sq = jnp.maximum(e2s**2 - p_star**2, 0.0)
    pp = p_pair * p_star
    e1_min = (e_plus**2 * m1sq + s * p_star**2) / (rs * (e_plus * e1s + pp))
    e2_min = (e_plus**2 * m2sq + s * p_star**2) / (rs * (e_plus * e2s + pp))
    e1 = e1_min + pp * one_plus / rs
    e2 = e2_min + pp * one_minus / rs
    return e1, e2
