r"""Closed-form MB rates against independent numerical quadrature (scipy), physics notes §2.2, §3.3.

Two independent routes:

1. The Bessel-function thermal average
   :math:`\gamma=\frac{T}{64\pi^4}\int ds\,\hat\sigma\sqrt sK_1(\sqrt s/T)`,
   :math:`C_E=\frac{T}{64\pi^4}\int ds\,\hat\sigma\,sK_2(\sqrt s/T)` (talk reading: :math:`sK_1`),
   integrated with ``scipy.integrate.quad`` and ``scipy.special.kve``, never with the moments
   used in the code.
2. For the mixed SM+dark processes (one particle at :math:`T`, one at :math:`T_\chi`) the
   three-dimensional momentum integral
   :math:`\gamma=\frac{8\pi^2}{4(2\pi)^6}\int dE_1dE_2\,d\cos\theta\,E_1E_2e^{-E_1/T-E_2/T_\chi}
   \hat\sigma(2E_1E_2(1-\cos\theta))` (crosscheck item 2), done with ``scipy.integrate.nquad``.
"""

import math

import numpy as np
import pytest
from scipy import integrate, special

import jaxcogen
from jaxcogen import rates

from .conftest import make_model

T = 3.7e9


def bessel_average(sigma_hat, T, weight):
    """T/(64 π⁴) ∫ ds σ̂(s) w(s) K_ν(√s/T), in z = √s/T with scaled Bessel functions."""

    def integrand(z):
        s = (z * T) ** 2
        if weight == "gamma":
            return sigma_hat(s) * math.sqrt(s) * special.kve(1, z) * math.exp(-z) * 2 * z * T**2
        if weight == "energy_exact":
            return sigma_hat(s) * s * special.kve(2, z) * math.exp(-z) * 2 * z * T**2
        return sigma_hat(s) * s * special.kve(1, z) * math.exp(-z) * 2 * z * T**2  # talk

    value, _ = integrate.quad(integrand, 0, 200, epsabs=0, epsrel=1e-13, limit=400)
    return T / (64 * math.pi**4) * value


@pytest.fixture(scope="module")
def model():
    return make_model()


def test_reaction_densities(model):
    a2, b2 = abs(complex(model.a)) ** 2, abs(complex(model.b)) ** 2
    w2, d2 = abs(complex(model.w)) ** 2, abs(complex(model.d)) ** 2
    cases = [
        (rates.gamma_dim5(model, T), lambda s: a2 * s / (8 * math.pi)),
        (rates.gamma_dim6(model, T), lambda s: b2 * s**2 / (8 * math.pi)),
        (rates.gamma_weinberg(model, T), lambda s: 3 * w2 * s / (4 * math.pi)),
        (rates.gamma_dark(model, T), lambda s: d2 * s / (4 * math.pi)),
    ]
    for closed, sigma_hat in cases:
        np.testing.assert_allclose(float(closed), bessel_average(sigma_hat, T, "gamma"), rtol=1e-10)


@pytest.mark.parametrize("convention", ["exact", "talk"])
def test_energy_transfer(convention):
    model = make_model(conventions=jaxcogen.Conventions(energy_transfer=convention))
    a2, b2 = abs(complex(model.a)) ** 2, abs(complex(model.b)) ** 2
    weight = "energy_exact" if convention == "exact" else "energy_talk"
    channels = 2 if convention == "exact" else 1  # both CP channels vs one (notes §2.3)
    e5 = channels * bessel_average(lambda s: a2 * s / (8 * math.pi), T, weight)
    e6 = channels * bessel_average(lambda s: b2 * s**2 / (8 * math.pi), T, weight)
    np.testing.assert_allclose(float(rates.energy_transfer_dim5(model, T)), e5, rtol=1e-10)
    np.testing.assert_allclose(float(rates.energy_transfer_dim6(model, T)), e6, rtol=1e-10)


def test_talk_constants_150_and_35_over_4():
    r"""The talk's :math:`\xi^3d\xi/dT` prefactor 150 and ratio 35/4 from the "talk" reading (notes §2.3).

    :math:`\xi^3d\xi/dT=\frac14du/dT=-\frac{30}{4\pi^2g_DT^7}\frac{m_{\rm Pl}}{c_H\sqrt{g_*}}C_E`,
    and with :math:`\sigma_0F_1=|a|^2/64\pi` the dim-5 part must equal
    :math:`-\frac{150m_{\rm Pl}}{c_H\sqrt{g_*}(2\pi)^5}\sigma_0F_1`.
    """
    model = make_model(conventions=jaxcogen.Conventions(energy_transfer="talk", g_dark=9.0))
    a2, b2 = abs(complex(model.a)) ** 2, abs(complex(model.b)) ** 2
    C5 = float(rates.energy_transfer_dim5(model, T))
    C6 = float(rates.energy_transfer_dim6(model, T))
    prefactor = 30 / (4 * math.pi**2 * 9.0 * T**7) * C5 / (a2 / (64 * math.pi)) * (2 * math.pi) ** 5
    assert prefactor == pytest.approx(150, rel=1e-12)
    # dim-6 over dim-5 term: (35 T^2 / 4 m1^2) F2/F1 with sigma0 F2 = |b|^2 m1^2 / 16 pi
    ratio = (C6 / C5) / (T**2 * (b2 / (16 * math.pi)) / (a2 / (64 * math.pi)))
    assert ratio == pytest.approx(35 / 4, rel=1e-12)


def momentum_space_mixed(sigma_hat, T, T_chi):
    def integrand(cos_theta, E2, E1):
        s = 2 * E1 * E2 * (1 - cos_theta)
        return E1 * E2 * math.exp(-E1 / T - E2 / T_chi) * sigma_hat(s)

    value, _ = integrate.nquad(
        integrand,
        [[-1, 1], [0, 60 * T_chi], [0, 60 * T]],
        opts={"epsrel": 1e-10, "epsabs": 0},
    )
    return 8 * math.pi**2 / (4 * (2 * math.pi) ** 6) * value


def test_mixed_process_rates_from_momentum_space(model):
    T_, T_chi = 1.0, 0.3  # units of GeV; the rates are power laws
    a2, b2 = abs(complex(model.a)) ** 2, abs(complex(model.b)) ** 2
    dim5 = momentum_space_mixed(
        lambda s: a2 * s / (4 * math.pi) + a2 * s / (8 * math.pi), T_, T_chi
    )
    dim6 = momentum_space_mixed(
        lambda s: b2 * s**2 / (24 * math.pi) + b2 * s**2 / (8 * math.pi), T_, T_chi
    )
    np.testing.assert_allclose(float(rates.gamma_mixed_dim5(model, T_, T_chi)), dim5, rtol=1e-8)
    np.testing.assert_allclose(float(rates.gamma_mixed_dim6(model, T_, T_chi)), dim6, rtol=1e-8)


def test_cp_sources_from_cross_section_asymmetries(model):
    r"""S_L, S_χ from the CP-odd reduced cross sections of notes §2.4 (Δσ̂ ∝ s², Bessel average)."""
    J_w, J_d = float(model.J_w), float(model.J_d)
    unit = 1 / (256 * math.pi**2)
    d_chiphi = bessel_average(lambda s: -2 * (6 * J_w + 4 * J_d) * s**2 * unit, T, "gamma")
    d_chibar = bessel_average(lambda s: -2 * (6 * J_w - 4 * J_d) * s**2 * unit, T, "gamma")
    d_lbar = bessel_average(lambda s: 24 * J_w * s**2 * unit, T, "gamma")
    # unitarity + CPT: the three asymmetries sum to zero
    assert abs(d_chiphi + d_chibar + d_lbar) < 1e-12 * abs(d_lbar)
    # S_L = sum_f Delta L_f Delta gamma_f = -Δγ_χφ - Δγ_χ̄φ* - 2 Δγ_L̄H†
    np.testing.assert_allclose(
        float(rates.cp_source_lepton(model, T)), -d_chiphi - d_chibar - 2 * d_lbar, rtol=1e-10
    )
    np.testing.assert_allclose(
        float(rates.cp_source_dark(model, T)), d_chiphi - d_chibar, rtol=1e-10
    )


def test_rates_accept_model_or_effective_couplings(model):
    eff = model.effective_couplings()
    assert float(rates.gamma_dim6(model, T)) == float(rates.gamma_dim6(eff, T))


def test_xi_power_is_a_zero_safe_fourth_root_power():
    r""":math:`\xi^k=u^{k/4}` from two square roots and an integer power, against NumPy's float
    power (an independent route: exp and log), its derivative against the closed form
    :math:`\frac k4u^{k/4-1}`, and the double-``where`` guarantees: zero, with a zero (finite)
    derivative, at :math:`u\le0`."""
    import jax

    from jaxcogen.rates._network import xi_power

    u = np.logspace(-130, 3, 301)  # u^{9/4} stays a normal float
    for k in range(10):
        got = np.asarray(xi_power(u, k))
        np.testing.assert_allclose(got, u ** (k / 4.0), rtol=2e-15, atol=0.0)
        assert float(xi_power(0.0, k)) == 0.0 and float(xi_power(-1.0, k)) == 0.0
        slope = np.asarray(jax.vmap(jax.grad(lambda x, k=k: xi_power(x, k)))(u[150:]))
        np.testing.assert_allclose(slope, k / 4.0 * u[150:] ** (k / 4.0 - 1.0), rtol=2e-15)
        at_zero = float(jax.grad(lambda x, k=k: xi_power(x, k))(0.0))
        assert at_zero == 0.0
    with pytest.raises(ValueError, match="non-negative integer"):
        xi_power(0.5, -1)
