"""Physical constants, in GeV units. The one place every constant of jaxcogen lives.

Each constant names its source. Values are plain Python floats (they are fixed numbers, never
traced), so they fold into compiled code as literals.
"""

import math

# --- Gravity and the Hubble rate -----------------------------------------------------------------

#: Non-reduced Planck mass :math:`m_{\rm Pl}=G^{-1/2}` [GeV]. PDG (Astrophysical constants and
#: parameters), :math:`1.22093(7)\times10^{19}` GeV.
m_Pl: float = 1.22093e19

#: The coefficient in :math:`H=c_H\sqrt{g_*}\,T^2/m_{\rm Pl}` for radiation domination,
#: :math:`c_H=\sqrt{4\pi^3/45}\simeq1.66023` (Kolb & Turner, eq. 3.59). The literature's rounded
#: "1.66" shifts every yield by :math:`-1.4\times10^{-4}` relative; jaxcogen uses the exact value.
hubble_coefficient: float = math.sqrt(4.0 * math.pi**3 / 45.0)

# --- Standard Model plasma ------------------------------------------------------------------------

#: Relativistic degrees of freedom of the full Standard Model above the electroweak scale,
#: :math:`g_*=g_{*s}=106.75` (Kolb & Turner, Table 3.1; Saikawa & Shirai, arXiv:1803.01038).
g_star_SM: float = 106.75

#: Electroweak vacuum expectation value :math:`v=(2\sqrt2G_F)^{-1/2}=174.10` GeV (PDG: G_F =
#: 1.1663788e-5 GeV^-2), in the normalisation :math:`m_\nu=|w|v^2` of the physics notes §2.1.
v_EW: float = 1.0 / math.sqrt(2.0 * math.sqrt(2.0) * 1.1663788e-5)

#: Sphaleron freeze-out temperature :math:`T_*=131.7\pm2.3` GeV (D'Onofrio, Rummukainen,
#: Tranberg, arXiv:1404.3565).
T_sph: float = 131.7

#: Sphaleron conversion factor :math:`Y_B=c_s\,Y_{B-L}`, :math:`c_s=28/79` (SM with one Higgs
#: doublet, all Yukawas and both sphalerons in equilibrium; Harvey & Turner, PRD 42 (1990) 3344).
#: Derived independently in :mod:`jaxcogen.production._spectators` and tested to agree.
c_sphaleron: float = 28.0 / 79.0

# --- Units ---------------------------------------------------------------------------------------

#: :math:`\hbar c` [GeV cm] (exact in the 2019 SI: :math:`197.3269804` MeV fm).
hbar_c_GeV_cm: float = 1.973269804e-14

#: Speed of light [cm/s] (exact in the SI).
c_cm_per_s: float = 2.99792458e10

#: One GeV⁻² of :math:`\sigma v` in cm³/s: :math:`(\hbar c)^2c=1.167329\times10^{-17}`.
GeV_minus2_in_cm3_per_s: float = hbar_c_GeV_cm**2 * c_cm_per_s

# --- Today ----------------------------------------------------------------------------------------

#: Proton mass [GeV]. PDG 2024: 938.27209 MeV.
m_proton: float = 0.93827209

#: Entropy density today [cm^-3]. PDG (Astrophysical constants): :math:`s_0=2891.2` cm^-3
#: (T_0 = 2.7255 K).
s_today_cm3: float = 2891.2

#: Critical density over h^2 [GeV cm^-3]. PDG: :math:`\rho_c/h^2=1.05371\times10^{-5}` GeV cm^-3.
rho_crit_over_h2_GeV_cm3: float = 1.05371e-5

#: :math:`\Omega h^2` per unit :math:`(m/{\rm GeV})\,Y`: :math:`s_0/(\rho_c/h^2)=2.7438\times10^8`.
omega_h2_per_GeV_yield: float = s_today_cm3 / rho_crit_over_h2_GeV_cm3

# --- Observed universe (fit targets) --------------------------------------------------------------

#: Cold dark matter density, Planck 2018 (arXiv:1807.06209, TT,TE,EE+lowE+lensing):
#: :math:`\Omega_ch^2=0.120\pm0.001`.
Omega_c_h2_observed: float = 0.120

#: Baryon density, Planck 2018: :math:`\Omega_bh^2=0.0224\pm0.0001`.
Omega_b_h2_observed: float = 0.0224

#: Baryon asymmetry today, :math:`\Delta Y_B=n_B/s=8.7\times10^{-11}` (the talk; equals
#: :math:`\Omega_bh^2(\rho_c/h^2)/(m_ps_0)=8.70\times10^{-11}`).
DeltaY_B_observed: float = 8.7e-11

#: :math:`N_{\rm eff}` of the SM, 3.044 (Akita & Yamaguchi, arXiv:2005.07047; Bennett et al.,
#: arXiv:2012.02726) **[S]**.
N_eff_SM: float = 3.044
#: Planck 2018 (TT,TE,EE+lowE+lensing+BAO, arXiv:1807.06209 eq. 66): :math:`N_{\rm eff}=2.99^{+0.34}_{-0.33}`
#: at 95 %; the flag uses the 95 % upper edge 3.33 (notes §4: 2.99 ± 0.17) **[S]**.
N_eff_planck_95_upper: float = 2.99 + 0.34
#: Upper bound on a light-neutrino mass, :math:`m_\nu\le0.1` eV = :math:`10^{-10}` GeV, kept by fits
#: and bounds on :math:`m_\nu=|w|v^2`: the cosmological :math:`\sum m_\nu<0.12` eV (Planck 2018,
#: arXiv:1807.06209, TT,TE,EE+lowE+lensing+BAO, 95 %) bounds each mass by ~0.1 eV in the
#: quasi-degenerate spectrum (the scale the talk uses) **[S]**.
m_nu_max: float = 1.0e-10  # GeV
