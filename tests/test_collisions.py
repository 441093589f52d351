r"""The collision-integral engine (:mod:`jaxcogen.rates.collisions`) against independent references.

Conventions: :math:`\gamma=\int d\Pi_ad\Pi_bd\Pi_cd\Pi_d(2\pi)^4\delta^4\sum|\mathcal M|^2f_af_b
(1-\eta_cf_c)(1-\eta_df_d)`, :math:`C_E` the same with :math:`\times(E_a+E_b)`, plasma frame.

Independent references used here (never the engine's own reduction):

* the closed-form MB rates of :mod:`jaxcogen.rates._analytic` (Bessel moments);
* for two temperatures and massless states, the factorised momentum integral [D]: with
  :math:`\hat\sigma=\int d\Phi_2\sum|\mathcal M|^2=c\,s^n` and no final-state factors,
  :math:`\int_{-1}^1d\!\cos\theta\,(2E_aE_b(1-\cos\theta))^n=2^{2n+1}(E_aE_b)^n/(n+1)`, so

  .. math::
      \gamma=\frac{8\pi^2}{4(2\pi)^6}\frac{2^{2n+1}c}{n+1}\,M_{n+1}^{(a)}M_{n+1}^{(b)},\qquad
      C_E=\frac{8\pi^2}{4(2\pi)^6}\frac{2^{2n+1}c}{n+1}\big[M_{n+2}^{(a)}M_{n+1}^{(b)}+M_{n+1}^{(a)}M_{n+2}^{(b)}\big],

  with the energy moments :math:`M_k=\int_0^\infty E^kf(E)\,dE`: :math:`k!\,T^{k+1}` (MB),
  :math:`k!\,\zeta(k+1)T^{k+1}` (BE), :math:`(1-2^{-k})\,k!\,\zeta(k+1)T^{k+1}` (FD). Hence the
  MB two-temperature forms :math:`\gamma\propto T_a^{n+2}T_b^{n+2}`,
  :math:`C_E=(n+2)(T_a+T_b)\gamma`, and the **quantum-statistics correction factors** for a
  fermion–boson initial pair (:math:`LH`):

  .. math::
      \frac{\gamma^{\rm FD\times BE}}{\gamma^{\rm MB}}=(1-2^{-(n+1)})\,\zeta(n+2)^2
      =\tfrac34\zeta(3)^2=1.0837\ (|\mathcal M|^2\propto s),\quad
      \tfrac78\zeta(4)^2=1.0250\ (|\mathcal M|^2\propto s^2);

* ``scipy.integrate.nquad`` over the original momentum variables :math:`(E_a,E_b,\cos\theta_{ab})`
  with, for the final-state factors of an isotropic amplitude, the exact average over the CM
  direction written as a plasma-frame energy integral: for massless :math:`c,d`,
  :math:`E_c=(E_++|\vec P|\cos\theta^*)/2` is uniform on :math:`[(E_+-|\vec P|)/2,(E_++|\vec P|)/2]`.
"""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import integrate, special

import jaxcogen
from jaxcogen import rates
from jaxcogen.rates.collisions import _amplitudes as amp
from jaxcogen.rates.collisions._quadrature import QuadratureSettings
from jaxcogen.rates.collisions._thermal import Participant, thermal_rate

from .conftest import make_model

T = 3.7e9
ZETA3, ZETA4 = special.zeta(3.0), special.zeta(4.0)


def P(temperature, statistics="MB", mass=0.0, mu_hat=0.0):
    return Participant(temperature, mass, mu_hat, statistics)


@pytest.fixture(scope="module")
def model():
    return make_model()


@pytest.fixture(scope="module")
def couplings(model):
    return amp.PortalCouplings.from_model(model, massive=False)


def _rate(process, couplings, initial, final, **kw):
    return float(thermal_rate(process, couplings, initial, final, **kw))


# ---------------------------------------------------------------------------------------------
# 1. MB, massless, leading EFT: the closed forms of jaxcogen.rates, <= 1e-8
# ---------------------------------------------------------------------------------------------


def test_mb_eft_reaction_densities_equal_closed_forms(model, couplings):
    eff = model.effective_couplings()
    sm = (P(T), P(T))
    T_chi = 0.37 * T
    dark = (P(T_chi), P(T_chi))
    cases = [
        (amp.LHToChibarPhibar(), sm, rates.gamma_dim5(eff, T)),
        (amp.LHToChiPhi(), sm, rates.gamma_dim6(eff, T)),
        (amp.LHToLbarHbar(), sm, rates.gamma_weinberg(eff, T)),
        # dark scattering at T_chi, inverse portal reactions at T_chi: power laws xi^n
        (amp.ChiPhiToChibarPhibar(), dark, rates.gamma_dark(eff, T_chi)),
        (amp.LHToChibarPhibar(), dark, rates.gamma_dim5(eff, T_chi)),
        (amp.LHToChiPhi(), dark, rates.gamma_dim6(eff, T_chi)),
    ]
    for process, initial, closed in cases:
        value = _rate(process, couplings, initial, initial, final_factors=False)
        assert value == pytest.approx(float(closed), rel=1e-8), process.name
    # t/u-channel crossings: LL -> HbarHbar is half the LH -> LbarHbar density (symmetry 1/4)
    ll = _rate(amp.LLToHbarHbar(), couplings, sm, sm, final_factors=False)
    assert ll == pytest.approx(0.5 * float(rates.gamma_weinberg(eff, T)), rel=1e-8)


@pytest.mark.parametrize("ratio", [1.0, 0.3, 0.02])
def test_mb_eft_mixed_processes_and_two_temperature_energy_transfer(model, couplings, ratio):
    r"""Mixed SM+dark channels at :math:`T\ne T_\chi` (closed forms of :mod:`jaxcogen.rates._analytic`), and the
    energy-transfer rate of one pair at two temperatures, :math:`C_E=(n+2)(T_a+T_b)\gamma` (module
    docstring)."""
    eff = model.effective_couplings()
    T_chi = ratio * T
    lc = (P(T), P(T_chi))  # L at T, chi (or phi) at T_chi
    dim5 = sum(
        _rate(p, couplings, lc, (P(T), P(T_chi)), final_factors=False)
        for p in (amp.LChiToHbarPhibar(), amp.LPhiToHbarChibar())
    )
    dim6 = sum(
        _rate(p, couplings, lc, (P(T), P(T_chi)), final_factors=False)
        for p in (amp.LbarChiToHPhibar(), amp.LbarPhiToHChibar())
    )
    assert dim5 == pytest.approx(float(rates.gamma_mixed_dim5(eff, T, T_chi)), rel=1e-8)
    assert dim6 == pytest.approx(float(rates.gamma_mixed_dim6(eff, T, T_chi)), rel=1e-8)
    for n in (1, 2):
        process = amp.PowerLaw(power=n)
        kw = dict(final_factors=False)
        gamma = _rate(process, couplings, lc, lc, **kw)
        energy = _rate(process, couplings, lc, lc, weight="energy", **kw)
        c = 1.0 / (8.0 * math.pi)
        prefactor = 8 * math.pi**2 / (4 * (2 * math.pi) ** 6) * 2 ** (2 * n + 1) * c / (n + 1)
        closed = prefactor * math.factorial(n + 1) ** 2 * (T * T_chi) ** (n + 2)
        assert gamma == pytest.approx(closed, rel=1e-8)
        assert energy == pytest.approx((n + 2) * (T + T_chi) * closed, rel=1e-8)


@pytest.mark.parametrize("convention", ["exact", "talk"])
def test_mb_eft_energy_transfer_equals_closed_forms(convention):
    model = make_model(conventions=jaxcogen.Conventions(energy_transfer=convention))
    couplings = amp.PortalCouplings.from_model(model, massive=False)
    weight, channels = ("energy", 2.0) if convention == "exact" else ("cm_energy", 1.0)
    for temperature in (T, 0.01 * T):
        sm = (P(temperature), P(temperature))
        for process, closed in (
            (amp.LHToChibarPhibar(), rates.energy_transfer_dim5(model, temperature)),
            (amp.LHToChiPhi(), rates.energy_transfer_dim6(model, temperature)),
        ):
            value = channels * _rate(process, couplings, sm, sm, weight=weight, final_factors=False)
            assert value == pytest.approx(float(closed), rel=1e-8)


# ---------------------------------------------------------------------------------------------
# 2. Quantum statistics
# ---------------------------------------------------------------------------------------------


def _fermion_moment(k, temperature):
    return (1 - 2.0 ** (-k)) * math.factorial(k) * special.zeta(k + 1) * temperature ** (k + 1)


def _boson_moment(k, temperature):
    return math.factorial(k) * special.zeta(k + 1) * temperature ** (k + 1)


def test_zeta_function_correction_factors(couplings):
    r"""FD×BE initial pair, no final-state factors: :math:`\frac34\zeta(3)^2` (:math:`s`) and
    :math:`\frac78\zeta(4)^2` (:math:`s^2`), and the two-temperature moments (module docstring)."""
    assert 0.75 * ZETA3**2 == pytest.approx(1.08371, abs=1e-5)
    assert 0.875 * ZETA4**2 == pytest.approx(1.02499, abs=1e-5)
    expected = {1: 0.75 * ZETA3**2, 2: 0.875 * ZETA4**2}
    for n in (1, 2):
        process = amp.PowerLaw(power=n)
        quantum = _rate(
            process, couplings, (P(T, "FD"), P(T, "BE")), (P(T), P(T)), final_factors=False
        )
        mb = _rate(process, couplings, (P(T), P(T)), (P(T), P(T)), final_factors=False)
        assert quantum / mb == pytest.approx(expected[n], rel=1e-9)
        # unequal temperatures, energy weighting: moments of FD at T_a and BE at T_b
        Ta, Tb = T, 0.21 * T
        c = 1.0 / (8.0 * math.pi)
        pref = 8 * math.pi**2 / (4 * (2 * math.pi) ** 6) * 2 ** (2 * n + 1) * c / (n + 1)
        gamma = pref * _fermion_moment(n + 1, Ta) * _boson_moment(n + 1, Tb)
        energy = pref * (
            _fermion_moment(n + 2, Ta) * _boson_moment(n + 1, Tb)
            + _fermion_moment(n + 1, Ta) * _boson_moment(n + 2, Tb)
        )
        initial = (P(Ta, "FD"), P(Tb, "BE"))
        kw = dict(final_factors=False)
        assert _rate(process, couplings, initial, initial, **kw) == pytest.approx(gamma, rel=1e-8)
        value = _rate(process, couplings, initial, initial, weight="energy", **kw)
        assert value == pytest.approx(energy, rel=1e-8)


def _occupation(E, temperature, eta):
    x = E / temperature
    return math.exp(-x) / (1.0 + eta * math.exp(-x))


def _final_average_fd_be(e_plus, p_pair, Tc):
    r"""Exact average of :math:`(1-f_F(E_c))(1+f_B(E_d))` over the CM direction, massless, both at :math:`T_c`.

    :math:`E_c` is uniform on :math:`[E_-,E_+']=[(E_+-P)/2,(E_++P)/2]`, and with
    :math:`x=E_c/T_c`, :math:`\epsilon=E_+/T_c`, partial fractions in :math:`e^x` give [D]

    .. math:: \int(1-f_F)(1+f_B)\,dx=\frac{\ln(1+e^x)-\ln(1-e^{x-\epsilon})}{1+e^{-\epsilon}} .
    """
    hi = 0.5 * (e_plus + p_pair)
    lo = 0.25 * (e_plus**2 - p_pair**2) / hi  # (E_+ - P)/2 without cancellation

    def G(e_c):
        return np.logaddexp(0.0, e_c / Tc) - math.log(-math.expm1(-(e_plus - e_c) / Tc))

    return Tc * (G(hi) - G(lo)) / ((1.0 + math.exp(-e_plus / Tc)) * (hi - lo))


def nquad_rate(n, Ta, eta_a, Tb, eta_b, final_fd_be=None):
    r""":math:`\gamma` for :math:`\sum|\mathcal M|^2=s^n` from :math:`\frac{8\pi^2}{4(2\pi)^6}\int dE_adE_b
    d\!\cos\theta\,E_aE_bf_af_b\,\hat\sigma(s)\,\langle(1-f_c)(1+f_d)\rangle`, :math:`\hat\sigma=s^n/8\pi`."""

    def integrand(cos_theta, Eb, Ea):
        s = 2 * Ea * Eb * (1 - cos_theta)
        value = (
            Ea * Eb * _occupation(Ea, Ta, eta_a) * _occupation(Eb, Tb, eta_b) * s**n / (8 * math.pi)
        )
        if final_fd_be is not None and value > 0:
            p_pair = math.sqrt(Ea**2 + Eb**2 + 2 * Ea * Eb * cos_theta)
            value *= _final_average_fd_be(Ea + Eb, p_pair, final_fd_be)
        return value

    result, _ = integrate.nquad(
        integrand,
        [[-1, 1], [0, 40 * Tb], [0, 40 * Ta]],
        opts={"epsrel": 1e-8, "epsabs": 0, "limit": 50},
    )
    return 8 * math.pi**2 / (4 * (2 * math.pi) ** 6) * result


def product_rule_rate(n, Tq, Tc, nodes=160):
    r"""The same 3-D integral as :func:`nquad_rate` (FD×BE at ``Tq`` → FD×BE at ``Tc``), vectorised:
    Gauss–Legendre in :math:`E_a,E_b\in[0,40T]` and in :math:`w` with :math:`\cos\theta=1-2w^2`
    (which smooths the :math:`s\ln s` behaviour of the Bose-enhanced final state at :math:`s\to0`)."""
    x, wx = np.polynomial.legendre.leggauss(nodes)
    e = 20 * Tq * (x + 1)
    we = 20 * Tq * wx
    w = 0.5 * (x + 1)
    ww = 0.5 * wx
    cos_theta = 1 - 2 * w**2
    dcos = 4 * w * ww
    Ea, Eb, c = np.meshgrid(e, e, cos_theta, indexing="ij")
    weight = we[:, None, None] * we[None, :, None] * dcos[None, None, :]
    fa = 1 / (np.exp(Ea / Tq) + 1)
    fb = 1 / np.expm1(Eb / Tq)
    s = 2 * Ea * Eb * (1 - c)
    e_plus = Ea + Eb
    p_pair = np.sqrt(Ea**2 + Eb**2 + 2 * Ea * Eb * c)
    hi = 0.5 * (e_plus + p_pair)
    lo = 0.25 * s / hi

    def G(e_c):
        return np.logaddexp(0.0, e_c / Tc) - np.log(-np.expm1(-(e_plus - e_c) / Tc))

    average = Tc * (G(hi) - G(lo)) / ((1 + np.exp(-e_plus / Tc)) * (hi - lo))
    integrand = Ea * Eb * fa * fb * s**n / (8 * math.pi) * average
    return 8 * math.pi**2 / (4 * (2 * math.pi) ** 6) * np.sum(weight * integrand)


def _quantum_case(couplings):
    Tq, Tc = 1.0, 0.4
    initial = (P(Tq, "FD"), P(Tq, "BE"))
    final = (P(Tc, "FD"), P(Tc, "BE"))
    return Tq, Tc, initial, final, _rate(amp.PowerLaw(power=1), couplings, initial, final)


def test_quantum_statistics_against_momentum_integral(couplings):
    r"""FD×BE initial pair at :math:`T`, FD×BE final pair (Pauli blocking, Bose enhancement) at
    :math:`T_\chi=0.4T`, isotropic :math:`|\mathcal M|^2=s`: engine vs the 3-D momentum integral
    (vectorised product rule; the adaptive ``nquad`` version is the slow test below). The
    anisotropic parts (Legendre :math:`\ell=1`) are checked by :math:`(-t)+(-u)=s`."""
    Tq, Tc, initial, final, value = _quantum_case(couplings)
    assert value == pytest.approx(product_rule_rate(1, Tq, Tc), rel=1e-6)
    # the final-state factors matter here: blocked/enhanced differs from the free rate
    free = _rate(amp.PowerLaw(power=1), couplings, initial, final, final_factors=False)
    assert abs(value / free - 1) > 1e-2
    # -t and -u parts of |M|^2 = s (massless): the Legendre l = 1 pieces cancel in the sum
    unit = amp.PortalCouplings.unit("a")
    minus_t = _rate(amp.LHToChibarPhibar(), unit, initial, final) / 2.0  # 2|a|^2 (-t), |a| = 1
    # swapping c and d turns t = (p_a - p_c)^2 into u: 2|a|^2 (-u) with the same statistics
    swapped = _rate(amp.LHToChibarPhibar(), unit, initial, (final[1], final[0])) / 2.0
    assert minus_t + swapped == pytest.approx(value, rel=1e-9)
    assert abs(minus_t / swapped - 1) > 1e-3  # FD vs BE final states: genuinely anisotropic


@pytest.mark.slow
def test_quantum_statistics_against_nquad(couplings):
    """As above with adaptive ``scipy.integrate.nquad`` (about a minute on 2 cores)."""
    Tq, Tc, _, _, value = _quantum_case(couplings)
    assert value == pytest.approx(nquad_rate(1, Tq, 1.0, Tq, -1.0, final_fd_be=Tc), rel=1e-6)


# ---------------------------------------------------------------------------------------------
# 3. Detailed balance
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("propagator", ["eft", "full"])
def test_detailed_balance_at_equal_temperatures(model, propagator):
    r"""Equal temperatures, zero chemical potentials, quantum statistics with final-state factors:
    forward = inverse (that is what makes the :math:`(1-\xi^n)` factors)."""
    couplings = amp.PortalCouplings.from_model(model, massive=False)
    temperature = model.M1 / 5.0
    for process in (amp.LHToChibarPhibar(), amp.LHToChiPhi(), amp.LbarChiToHPhibar()):
        stats = ["FD", "BE", "FD", "BE"]
        parts = [P(temperature, s) for s in stats]
        if process.name == "Lbarchi_to_H_phibar":
            parts = [P(temperature, s) for s in ("FD", "FD", "BE", "BE")]
        kw = dict(propagator=propagator)
        forward = _rate(process, couplings, tuple(parts[:2]), tuple(parts[2:]), **kw)
        inverse = _rate(process, couplings, tuple(parts[2:]), tuple(parts[:2]), **kw)
        assert forward == pytest.approx(inverse, rel=1e-10), process.name


# ---------------------------------------------------------------------------------------------
# 4. Exact propagators -> EFT
# ---------------------------------------------------------------------------------------------


def test_full_propagator_tends_to_eft_with_T_over_M_squared():
    r"""Single heavy neutrino: :math:`|a(s)|^2=|a|^2(1+2s/M^2+3s^2/M^4+\dots)`, so
    :math:`\gamma_{\rm full}/\gamma_{\rm EFT}-1=2\frac{\gamma[s^2]}{\gamma[s]}\frac{T^2}{M^2}+O(T^4/M^4)
    =48\,T^2/M^2` for :math:`\hat\sigma\propto s` (:math:`\int z^6K_1/\int z^4K_1=24`) and
    :math:`96\,T^2/M^2` for :math:`\hat\sigma\propto s^2`; Richardson extrapolation of the
    coefficient from :math:`M/T=100,200` must give these."""
    for process, kind, coefficient in (
        (amp.LHToChibarPhibar(), "a", 48.0),
        (amp.LHToChiPhi(), "b", 96.0),
    ):
        couplings = amp.PortalCouplings.unit(kind)  # M1 = 1, M2 = 3 with zero coupling
        c = []
        for ratio in (100.0, 200.0):
            temperature = 1.0 / ratio
            parts = (P(temperature), P(temperature))
            full = _rate(process, couplings, parts, parts, propagator="full", final_factors=False)
            eft = _rate(process, couplings, parts, parts, propagator="eft", final_factors=False)
            c.append((full / eft - 1.0) * ratio**2)
        assert c[0] == pytest.approx(coefficient, rel=0.05)
        assert (4 * c[1] - c[0]) / 3 == pytest.approx(coefficient, rel=1e-4)


def test_full_propagator_at_M_equal_5T_is_the_hadamard_finite_part():
    r"""At :math:`M=5T` the :math:`s`-channel pole sits in the thermal range. The rate kept is the
    RIS-subtracted, narrow-width off-shell part: with :math:`g(s)=\frac{T}{64\pi^4}\frac{s}{8\pi}
    \sqrt sK_1(\sqrt s/T)M^2` (single :math:`N`, :math:`|a(s)|^2=M^2/(M^2-s)^2`, :math:`M=1`),

    .. math:: \gamma={\rm FP}\!\int_0^\infty\frac{g(s)\,ds}{(s-M^2)^2}
        =\int_0^{2M^2}\frac{g(s)-g(M^2)-g'(M^2)(s-M^2)}{(s-M^2)^2}ds+\int_{2M^2}^\infty\frac{g\,ds}{(s-M^2)^2}
        -\frac{2g(M^2)}{M^2},

    (:math:`{\rm FP}\int_{-M^2}^{M^2}dx/x^2=-2/M^2`, :math:`{\rm PV}\int dx/x=0`), done with scipy.
    The off-shell part alone is *negative* here: the on-shell :math:`N` (inverse decays) carries the
    production, which is why the EFT premise fails at :math:`M=5T` (notes §3.6)."""
    temperature = 0.2
    C = temperature / (64 * math.pi**4) / (8 * math.pi)

    def g(s):
        return C * s**1.5 * special.kv(1, math.sqrt(s) / temperature)

    def dg(s):
        z = math.sqrt(s) / temperature
        dk1 = -special.kv(0, z) - special.kv(1, z) / z
        return C * (1.5 * math.sqrt(s) * special.kv(1, z) + s * dk1 / (2 * temperature))

    g1, dg1 = g(1.0), dg(1.0)

    def subtracted(s):
        x = s - 1.0
        if abs(x) < 1e-4:  # Taylor: g''(1)/2, by central differences of g'
            return (dg(1.0 + 1e-4) - dg(1.0 - 1e-4)) / 4e-4
        return (g(s) - g1 - dg1 * x) / x**2

    near, _ = integrate.quad(subtracted, 0.0, 2.0, epsabs=0, epsrel=1e-12, limit=200, points=[1.0])
    far, _ = integrate.quad(lambda s: g(s) / (s - 1.0) ** 2, 2.0, np.inf, epsabs=0, epsrel=1e-12)
    reference = near + far - 2.0 * g1
    parts = (P(temperature), P(temperature))
    unit = amp.PortalCouplings.unit("a")
    full = _rate(amp.LHToChibarPhibar(), unit, parts, parts, propagator="full", final_factors=False)
    assert full == pytest.approx(reference, rel=1e-7)
    assert full < 0


def test_removed_onshell_part_is_inverse_decay_times_branching_ratio():
    r"""The RIS-subtracted pole part (:func:`onshell_rate`): in the narrow-width limit
    :math:`\gamma_{\rm on}(LH\to N\to\chi\phi)=\frac{g_NM^2T}{2\pi^2}K_1(M/T)\,\Gamma(N\to LH)\,
    {\rm BR}(N\to\chi\phi)` with :math:`\Gamma(N\to LH)=|y|^2M/16\pi`,
    :math:`{\rm BR}(\chi\phi)=|\lambda|^2/2(2|y|^2+|\lambda|^2)`, the same for :math:`\bar\chi\bar\phi`
    (Majorana :math:`N`), single :math:`N`, MB."""
    from jaxcogen.rates.collisions._thermal import onshell_rate

    y, lam, M = 0.3, 0.5, 1.0
    yv, lv, masses = jnp.array([y, 0.0]), jnp.array([lam, 0.0]), jnp.array([M, 3.0])

    def gram(g):
        return jnp.real(g[:, None] * jnp.conj(g)[None, :])

    couplings = amp.PortalCouplings(
        masses=masses,
        widths=(2 * yv**2 + lv**2) * masses / (16 * jnp.pi),
        gram_a=gram(yv * lv),
        gram_b=gram(yv * lv),
        gram_w=gram(yv * yv),
        gram_d=gram(lv * lv),
        m_chi=jnp.zeros(()),
        m_phi=jnp.zeros(()),
        J_w=jnp.zeros(()),
        J_d=jnp.zeros(()),
    )
    for temperature in (0.2, 0.5):
        parts = (P(temperature), P(temperature))
        inverse_decay = 2 * M**2 * temperature * special.kv(1, M / temperature) / (2 * math.pi**2)
        expected = inverse_decay * y**2 * M / (16 * math.pi) * lam**2 / (2 * (2 * y**2 + lam**2))
        for process in (amp.LHToChiPhi(), amp.LHToChibarPhibar()):
            value = float(onshell_rate(process, couplings, parts, parts, final_factors=False))
            assert value == pytest.approx(expected, rel=1e-12)


# ---------------------------------------------------------------------------------------------
# 5. Convergence: doubling the nodes
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "case",
    ["quantum_two_temperatures", "quantum_cold_bath", "full_M_over_T_5", "full_quantum_weinberg"],
)
def test_node_doubling_changes_less_than_stated_accuracy(model, case):
    couplings = amp.PortalCouplings.from_model(model, massive=False)
    temperature = model.M1 / 5.0
    process = amp.LHToChibarPhibar()
    kw = dict(propagator="eft")
    if case == "quantum_two_temperatures":
        initial = (P(temperature, "FD"), P(temperature, "BE"))
        final = (P(0.3 * temperature, "FD"), P(0.3 * temperature, "BE"))
    elif case == "quantum_cold_bath":  # the xi floor of the quantum network
        initial = (P(temperature, "FD"), P(temperature, "BE"))
        final = (P(1e-3 * temperature, "FD"), P(1e-3 * temperature, "BE"))
    elif case == "full_M_over_T_5":
        initial = final = (P(temperature), P(temperature))
        kw = dict(propagator="full", final_factors=False)
    else:
        process = amp.LHToLbarHbar()
        initial = (P(temperature, "FD"), P(temperature, "BE"))
        final = (P(temperature, "FD"), P(temperature, "BE"))
        kw = dict(propagator="full")
    base = _rate(process, couplings, initial, final, **kw)
    fine = _rate(process, couplings, initial, final, settings=QuadratureSettings().refined(), **kw)
    assert base == pytest.approx(fine, rel=1e-8)


# ---------------------------------------------------------------------------------------------
# 6. Gradients
# ---------------------------------------------------------------------------------------------


def test_gradients_wrt_temperature_and_couplings_match_finite_differences():
    base = make_model()
    process = amp.LHToChibarPhibar()

    def gamma(log_T, y1, propagator):
        model = eqx.tree_at(lambda m: m.y1, base, y1 + 0j)  # traced coupling, no re-validation
        couplings = amp.PortalCouplings.from_model(model, massive=False)
        temperature = jnp.exp(log_T)
        initial = (P(temperature, "FD"), P(temperature, "BE"))
        final = (P(0.3 * temperature, "FD"), P(0.3 * temperature, "BE"))
        return jnp.log(thermal_rate(process, couplings, initial, final, propagator=propagator))

    log_T0 = math.log(float(base.M1) / 5.0)
    y0 = complex(base.y1).real
    for propagator in ("eft", "full"):
        fn = jax.jit(lambda lt, y, p=propagator: gamma(lt, y, p))
        g_T, g_y = jax.grad(fn, argnums=(0, 1))(jnp.asarray(log_T0), jnp.asarray(y0))
        h = 1e-4
        fd_T = (fn(log_T0 + h, y0) - fn(log_T0 - h, y0)) / (2 * h)
        fd_y = (fn(log_T0, y0 * (1 + h)) - fn(log_T0, y0 * (1 - h))) / (2 * h * y0)
        assert float(g_T) == pytest.approx(float(fd_T), rel=1e-6)
        assert float(g_y) == pytest.approx(float(fd_y), rel=1e-6)


# ---------------------------------------------------------------------------------------------
# 7. The quadrature rate network and the solver switch
# ---------------------------------------------------------------------------------------------

_FIELDS = ("production", "energy_transfer", "source_lepton", "source_dark", "response")
_STATES = ((1.0, 0.0), (0.3, 0.2**4), (0.01, 0.7**4), (0.7, 0.9))


def _compare_networks(net, ref, T_RH, rtol):
    f, g = jax.jit(net.__call__), jax.jit(ref.__call__)
    for ratio, u in _STATES:
        a, b = (
            f(jnp.asarray(ratio * T_RH), jnp.asarray(u)),
            g(jnp.asarray(ratio * T_RH), jnp.asarray(u)),
        )
        for name in _FIELDS:
            x, y = np.asarray(getattr(a, name)), np.asarray(getattr(b, name))
            assert np.max(np.abs(x - y)) <= rtol * np.max(np.abs(y)), (name, ratio, u)


@pytest.mark.parametrize("mode", ["direct", "tabulated"])
def test_quadrature_network_equals_analytic_network(mode):
    from jaxcogen.rates._network import AnalyticRateNetwork
    from jaxcogen.rates.collisions._quadrature_network import QuadratureRateNetwork

    model = make_model()
    net = QuadratureRateNetwork.from_model(model, mode=mode)
    ref = AnalyticRateNetwork(model.effective_couplings(), model.conventions)
    _compare_networks(net, ref, float(model.T_RH), 1e-10)


def test_temperature_table_ratios_equal_direct_rates():
    r"""The per-point :math:`T` table reproduces :math:`\gamma_{\rm full}/\gamma_{\rm EFT}` of single
    processes at :math:`M_1=5.2\,T_{\rm RH}` (stated accuracy 1e-7)."""
    from jaxcogen.rates.collisions._quadrature_network import all_processes, build_temperature_table

    model = make_model(
        M1=2.6e11, conventions=jaxcogen.Conventions(rates="quadrature", propagator="full")
    )
    couplings = amp.PortalCouplings.from_model(model, massive=False)
    table = build_temperature_table(couplings, model.T_RH, model.conventions, QuadratureSettings())
    processes = all_processes(True)
    for ratio in (1.0, 0.63, 0.2, 1e-3):
        temperature = ratio * float(model.T_RH)
        ratios = np.asarray(table.ratios(jnp.asarray(temperature)))
        parts = (P(temperature), P(temperature))
        for i in (0, 2, 6):  # dim-5 portal (s channel), Weinberg (s + u), mixed (t channel)
            process = processes[i]
            full = _rate(process, couplings, parts, parts, propagator="full", final_factors=False)
            eft = _rate(process, couplings, parts, parts, propagator="eft", final_factors=False)
            assert ratios[i, 0] == pytest.approx(full / eft, rel=1e-7), (process.name, ratio)


@pytest.mark.slow
def test_temperature_table_equals_direct_quadrature():
    r"""MB, exact propagators at :math:`M_1=5.2\,T_{\rm RH}`: the per-point temperature table against
    the direct quadrature (stated accuracy 1e-7; measured 2e-8 here, 1e-11 at :math:`M_1=20T_{\rm RH}`)."""
    from jaxcogen.rates.collisions._quadrature_network import QuadratureRateNetwork

    model = make_model(
        M1=2.6e11, conventions=jaxcogen.Conventions(rates="quadrature", propagator="full")
    )
    table = QuadratureRateNetwork.from_model(model)
    assert table.mode == "temperature_table"
    direct = QuadratureRateNetwork.from_model(model, mode="direct")
    _compare_networks(table, direct, float(model.T_RH), 1e-7)


@pytest.mark.slow
def test_quantum_full_network_vanishes_at_equal_temperatures():
    r""":math:`\xi=1`: no net production, energy transfer or CP source with quantum statistics and
    exact propagators (detailed balance node by node; notes §7 item 5)."""
    from jaxcogen.rates.collisions._quadrature_network import QuadratureRateNetwork

    model = make_model(
        conventions=jaxcogen.Conventions(
            rates="quadrature", statistics="quantum", propagator="full"
        )
    )
    net = QuadratureRateNetwork.from_model(model)
    assert net.mode == "direct"
    T_RH = float(model.T_RH)
    at_one = jax.jit(net.__call__)(jnp.asarray(0.5 * T_RH), jnp.asarray(1.0))
    cold = jax.jit(net.__call__)(jnp.asarray(0.5 * T_RH), jnp.asarray(0.3**4))
    for name in ("production", "energy_transfer", "source_lepton", "source_dark"):
        assert abs(float(getattr(at_one, name))) <= 1e-10 * abs(float(getattr(cold, name))), name
    assert np.all(np.isfinite(np.asarray(at_one.response)))


def _solve(**conventions):
    model = make_model(conventions=jaxcogen.Conventions(**conventions))
    return jaxcogen.solve(model, solver="Tsit5")


def test_quadrature_solve_equals_analytic_solve():
    # conventions both networks support: the quadrature network has fixed chemical-potential
    # shares, so neither the default spectators="temperature_regime" nor the sink's reactions
    from jaxcogen.model._conventions import LEGACY_CONVENTIONS

    analytic = _solve(**LEGACY_CONVENTIONS)
    quadrature = _solve(rates="quadrature", **LEGACY_CONVENTIONS)
    assert int(quadrature.status) == 0
    for name in ("DeltaY_B", "DeltaY_L", "DeltaY_chi", "SigmaY_chi", "xi_final"):
        assert float(getattr(quadrature, name)) == pytest.approx(
            float(getattr(analytic, name)), rel=1e-6
        )


@pytest.mark.slow
@pytest.mark.parametrize(
    "conventions",
    [
        dict(statistics="quantum"),
        dict(propagator="full"),
        dict(statistics="quantum", propagator="full"),
    ],
)
def test_quantum_and_full_propagator_solves_run(conventions):
    solution = _solve(rates="quadrature", **conventions)
    assert int(solution.status) == 0
    summary = solution.summary()
    for name in ("DeltaY_B", "DeltaY_chi", "SigmaY_chi", "xi_final"):
        assert np.isfinite(summary[name]) and summary[name] != 0.0, name
