"""``solver="auto"``: the explicit Tsit5 where the system is not stiff, Kvaerno5 otherwise.

The choice must never change *what* is computed, only how fast: each test compares the automatic
choice with an explicitly chosen solver on the same point (bit-for-bit where the same solver ran,
since the same compiled integration is used), and the scan's two-pass version of the choice with
single-point solves.
"""

import numpy as np

import jaxcogen
from jaxcogen.production._settings import AUTO_STIFFNESS_THRESHOLD
from jaxcogen.production._solve import stiffness_ratio
from jaxcogen.scanning._scan import scan

KEYS = ("DeltaY_B", "DeltaY_chi", "SigmaY_chi", "xi_final", "num_steps", "status")

# Strong dark-sector thermalisation at M_1/T_RH ~ 22: stiffness ratio ~1.0e3-9e3 (points 6 and 24
# of the Sobol sample of ``benchmarks/solver_choice.py``).
STIFF = dict(
    M1=7650435354.338495,
    M2=22951306063.015488,
    y1=0.022704275543976856,
    y2=complex(-0.36566792090847744, 0.7989989839009835),
    lambda1=0.02753477931142827,
    lambda2=complex(-0.27894995952482704, -0.6095167814169343),
    m_chi=1.0,
    m_phi=2.0,
    kappa=1.0,
    T_RH=456530692.84927654,
)
# Not stiff at T_RH (ratio 2.8) but Tsit5 exhausts 4096 steps later on; Kvaerno5 succeeds: the
# automatic choice must fall back (point 207 of the same sample).
TSIT5_FAILS = dict(
    M1=71661934888.64682,
    M2=214985804665.94046,
    y1=0.01219161977898237,
    y2=complex(-0.009071239302215846, 0.01982101948452623),
    lambda1=0.3536897627934758,
    lambda2=complex(-1.1126404256016178, -2.431163683415797),
    m_chi=1.0,
    m_phi=2.0,
    kappa=1.0,
    T_RH=2987296890.7131476,
)


def _same(a, b):
    for key in KEYS:
        assert float(getattr(a, key)) == float(getattr(b, key)), key


def test_default_point_is_not_stiff_and_auto_runs_tsit5(default_model):
    assert float(stiffness_ratio(default_model)) < 1.0
    _same(jaxcogen.solve(default_model), jaxcogen.solve(default_model, solver="Tsit5"))


def test_tsit5_and_kvaerno5_agree_at_the_default_point(default_model):
    """Two independent integrators at rtol 1e-8: agreement far below the 1e-6 accuracy bar."""
    explicit = jaxcogen.solve(default_model, solver="Tsit5")
    implicit = jaxcogen.solve(default_model, solver="Kvaerno5")
    for key in ("DeltaY_B", "DeltaY_chi", "SigmaY_chi", "xi_final"):
        np.testing.assert_allclose(
            float(getattr(explicit, key)), float(getattr(implicit, key)), rtol=1e-7
        )


def test_stiff_point_uses_kvaerno5():
    model = jaxcogen.CogenesisModel(**STIFF)
    assert float(stiffness_ratio(model)) >= AUTO_STIFFNESS_THRESHOLD
    auto = jaxcogen.solve(model)
    assert auto.succeeded
    _same(auto, jaxcogen.solve(model, solver="Kvaerno5"))


def test_falls_back_to_kvaerno5_when_tsit5_fails():
    model = jaxcogen.CogenesisModel(**TSIT5_FAILS)
    assert float(stiffness_ratio(model)) < AUTO_STIFFNESS_THRESHOLD
    assert jaxcogen.solve(model, solver="Tsit5").status_name == "max_steps_reached"
    auto = jaxcogen.solve(model)
    assert auto.succeeded
    _same(auto, jaxcogen.solve(model, solver="Kvaerno5"))


def test_scan_two_pass_choice_matches_single_solves():
    """One chunk holding a non-stiff, a stiff and a Tsit5-failing point (plus padding).

    At the stiff point the dark sector thermalises (xi -> 1) and both asymmetries are erased to
    rounding noise (~1e-25, i.e. zero: 1e-14 of the observed Delta Y_B), where a vmapped and a
    single solve differ in the noise; hence the absolute floor of 1e-20. The vmapped and the single
    solve are the same algorithm compiled differently (XLA fuses the g_*(T) table look-up
    differently under vmap), so rounding differs in the last bits; where the integration is smooth
    the step sequences coincide and results agree to rtol 1e-10, but at the stiff point
    (Kvaerno5, ~950 steps through thermalisation) the step sequences part (955 vs 941 steps) and
    the results agree only to the integration tolerance: rtol 1e-6 there (measured 3.5e-8).
    """
    base = jaxcogen.CogenesisModel(**jaxcogen.benchmark_points["default"])
    points = [jaxcogen.benchmark_points["default"], STIFF, TSIT5_FAILS]
    names = (
        "M1",
        "M2",
        "y1.abs",
        "y2.abs",
        "y2.arg",
        "lambda1.abs",
        "lambda2.abs",
        "lambda2.arg",
        "T_RH",
    )
    samples = {}
    for name in names:
        field, _, part = name.partition(".")
        values = [complex(p[field]) for p in points]
        if part == "abs":
            samples[name] = np.abs(values)
        elif part == "arg":
            samples[name] = np.angle(values)
        else:
            samples[name] = np.real(values)
    # the solver choice is the EFT system's (regime="auto" may take another system there)
    ds = scan(base, samples=samples, chunk_size=4, progress=False, solve_options={"regime": "eft"})
    for k, point in enumerate(points):
        single = jaxcogen.solve(jaxcogen.CogenesisModel(**point), regime="eft")
        assert int(ds["status"].values[k]) == int(single.status) == 0
        rtol = 1e-6 if point is STIFF else 1e-10
        for key in ("DeltaY_B", "DeltaY_chi", "SigmaY_chi", "xi_final"):
            np.testing.assert_allclose(
                float(ds[key].values[k]), float(getattr(single, key)), rtol=rtol, atol=1e-20
            )
