r"""Fixed quadrature nodes of the collision integrals, computed once (NumPy/SciPy, cached).

Every thermal average is a nest of one-dimensional integrals on fixed reference nodes that are
mapped affinely (or by a fixed power) onto the physical interval of each call, so the compiled
program has a static shape and is differentiable in every physical input. The rules, and why
(convergence study: ``docs/collisions.md``):

- **invariant mass** :math:`s=s_{\min}+T_{\rm ref}^2w^2`: Gauss–Legendre in :math:`r` with
  :math:`w=w_0r^2` on :math:`[0,w_0]` (the integrand behaves like :math:`s^n\ln s` at small
  :math:`s` for Bose–Einstein initial states; the square map makes it smooth) plus Gauss–Laguerre
  on :math:`[w_0,\infty)`; with exact propagators, Gauss–Legendre segments between the poles and
  symmetric pairs around each pole (:mod:`jaxcogen.rates.collisions._thermal`);
- **pair energy** :math:`E_+=\sqrt s+T_E\,v^2`: Gauss–Legendre in :math:`v\in[0,v_{\max}]` (the
  map removes the :math:`\sqrt{E_+-\sqrt s}` endpoint behaviour of :math:`|\vec P|`);
- **angles** (initial pair direction and final-state direction in the centre-of-mass frame):
  tanh–sinh (double-exponential) rule, whose nodes cluster at :math:`\cos\theta=\pm1`, where
  Bose–Einstein factors peak and where a cold bath confines the Fermi/Bose factors of a hot
  collision (Takahasi & Mori, Publ. RIMS 9 (1974) 721);
- **Legendre projection** of :math:`|\mathcal M|^2` in the scattering angle: Gauss–Legendre.
"""

import functools

import equinox as eqx
import numpy as np
from scipy.special import roots_laguerre


@functools.cache
def gauss_legendre(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Legendre nodes and weights on :math:`[0,1]`."""
    x, w = np.polynomial.legendre.leggauss(n)
    return 0.5 * (x + 1.0), 0.5 * w


@functools.cache
def gauss_legendre_symmetric(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Legendre nodes and weights on :math:`[-1,1]`."""
    return np.polynomial.legendre.leggauss(n)


@functools.cache
def gauss_laguerre_scaled(n: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Gauss–Laguerre nodes :math:`x_k` and weights :math:`w_ke^{x_k}`.

    :math:`\int_0^\infty f(x)dx\simeq\sum_kw_ke^{x_k}f(x_k)` for :math:`f\sim e^{-x}\times` smooth.
    """
    x, w = roots_laguerre(n)
    return x, w * np.exp(x)


@functools.cache
def tanh_sinh(n: int, step: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""Tanh–sinh rule on :math:`[-1,1]` with :math:`2n+1` nodes :math:`x_k=\tanh(\frac\pi2\sinh kh)`.

    Returns ``(x, 1 - x, 1 + x, weights)``; the complements are computed without cancellation
    (:math:`1\mp x=2/(1+e^{\pm\pi\sinh kh})`), which the Bose–Einstein factors at
    :math:`\cos\theta\to\pm1` need.
    """
    k = np.arange(-n, n + 1, dtype=np.float64)
    t = k * step
    u = 0.5 * np.pi * np.sinh(t)
    x = np.tanh(u)
    one_minus = 2.0 / (1.0 + np.exp(2.0 * u))
    one_plus = 2.0 / (1.0 + np.exp(-2.0 * u))
    w = step * 0.5 * np.pi * np.cosh(t) / np.cosh(u) ** 2
    return x, one_minus, one_plus, w


def legendre_table(x: np.ndarray, l_max: int) -> np.ndarray:
    """:math:`P_\\ell(x)` for :math:`\\ell=0..l_{\\max}`, shape ``x.shape + (l_max + 1,)`` (NumPy)."""
    p = [np.ones_like(x), x]
    for ell in range(1, l_max):
        p.append(((2 * ell + 1) * x * p[ell] - ell * p[ell - 1]) / (ell + 1))
    return np.stack(p[: l_max + 1], axis=-1)


class QuadratureSettings(eqx.Module):
    """Node counts of the collision integrals (all static: a change recompiles).

    Attributes:
        n_s_low: Gauss–Legendre nodes of the soft part :math:`w\\in[0,w_0]` of the ``s`` integral.
        n_s_tail: Gauss–Laguerre nodes of :math:`w\\in[w_0,\\infty)` (or of the tail beyond the
            last pole window).
        w_split: :math:`w_0` (units of :math:`T_{\\rm ref}`).
        n_segment: Gauss–Legendre nodes of each segment between heavy-neutrino pole windows.
        n_window: symmetric node pairs in each pole window.
        window_fraction: half-width of a pole window, :math:`|s-M^2|<\\delta M^2` (reduced
            automatically so that windows never overlap).
        pole_cutoff: poles with :math:`M>` ``pole_cutoff`` :math:`\\times T_{\\rm ref}` get no window
            (their contribution is below :math:`e^{-{\\rm cutoff}}`).
        n_energy: Gauss–Legendre nodes of the pair-energy integral.
        energy_vmax: :math:`v_{\\max}`, i.e. :math:`E_+-\\sqrt s\\le v_{\\max}^2T_E`.
        n_angle: the tanh–sinh rules have ``2 * n_angle + 1`` nodes.
        angle_span: :math:`nh` of the tanh–sinh rule (nodes reach
            :math:`1-|x|\\sim e^{-\\pi e^{\\rm span}/2}`).
        n_projection: Gauss–Legendre nodes of the Legendre projection of :math:`|\\mathcal M|^2`.
        l_max_full: highest Legendre order kept for :math:`t`/:math:`u`-channel propagators
            (polynomial amplitudes use their exact degree).
    """

    n_s_low: int = eqx.field(static=True, default=16)
    n_s_tail: int = eqx.field(static=True, default=32)
    w_split: float = eqx.field(static=True, default=2.0)
    n_segment: int = eqx.field(static=True, default=32)
    n_window: int = eqx.field(static=True, default=32)
    window_fraction: float = eqx.field(static=True, default=0.5)
    pole_cutoff: float = eqx.field(static=True, default=50.0)
    n_energy: int = eqx.field(static=True, default=24)
    energy_vmax: float = eqx.field(static=True, default=7.0)
    n_angle: int = eqx.field(static=True, default=24)
    angle_span: float = eqx.field(static=True, default=3.2)
    n_projection: int = eqx.field(static=True, default=32)
    l_max_full: int = eqx.field(static=True, default=16)

    def refined(self, factor: int = 2) -> "QuadratureSettings":
        """The same rules with ``factor`` times as many nodes (convergence checks)."""
        return QuadratureSettings(
            n_s_low=self.n_s_low * factor,
            n_s_tail=self.n_s_tail * factor,
            w_split=self.w_split,
            n_segment=self.n_segment * factor,
            n_window=self.n_window * factor,
            window_fraction=self.window_fraction,
            pole_cutoff=self.pole_cutoff,
            n_energy=self.n_energy * factor,
            energy_vmax=self.energy_vmax,
            n_angle=self.n_angle * factor,
            angle_span=self.angle_span,
            n_projection=self.n_projection * factor,
            l_max_full=self.l_max_full * factor,
        )

    def angle_rule(self):
        """The tanh–sinh rule ``(x, 1 - x, 1 + x, w)`` of the angular integrals."""
        return tanh_sinh(self.n_angle, self.angle_span / self.n_angle)
