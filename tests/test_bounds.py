r"""Bounds on the viable region (:func:`jaxcogen.bounds.bound`) against a closed form.

Toy problem: freeze-in from decays with a constant :math:`g_*=g_{*s}` (HJMW's closed form is then
exact, :func:`jaxcogen.models.closed_form_yield`):

.. math::
    \Omega_Xh^2=m_X\,Y_\infty\,\frac{s_0}{\rho_c/h^2},\qquad
    Y_\infty=\frac{135\,g_B\,\Gamma\,m_{\rm Pl}}{8\pi^3c_Hg_*^{3/2}m_B^2},

so :math:`\Omega_Xh^2=K\,m_X\Gamma` with :math:`K` fixed by :math:`m_B,g_B,g_*`. The smallest
:math:`m_X` with :math:`\Omega h^2=0.12\,(1\pm1\%)` and :math:`\Gamma\le\Gamma_{\max}` sits at
:math:`\Gamma=\Gamma_{\max}`, :math:`\Omega h^2=0.12\times0.99`:
:math:`m_X^{\min}=0.1188/(K\Gamma_{\max})`; the largest at :math:`\Gamma=\Gamma_{\min}`,
:math:`\Omega h^2=0.1212`. The optimiser aims at the band shrunk by the margin
:math:`\delta=10^{-3}` of its half-width :math:`h` (in :math:`\ln\Omega`), so it reports
:math:`m_X^{\min}e^{\delta h}` (:math:`\approx1+10^{-5}`): a bound that is conservative by a known
amount, compared here to :math:`10^{-6}`.
"""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxcogen import observables
from jaxcogen.bounds import bound
from jaxcogen.bounds._bounds import _local_check, make_problem
from jaxcogen.bounds._problem import DEFAULT_MARGIN, band_edges, solve_at
from jaxcogen.bounds._space import coordinates
from jaxcogen.models import FreezeInDecayModel, closed_form_yield, solve_freeze_in_decay

M_B = 1e3  # GeV
G_STAR = 106.75
GAMMA_LIMITS = (1e-20, 1e-15)  # GeV
M_X_LIMITS = (1e-8, 1e2)  # GeV
TARGET, REL_TOL = 0.12, 0.01
FREE = ["m_X", "Gamma"]
LIMITS = {"m_X": M_X_LIMITS, "Gamma": GAMMA_LIMITS}
CONSTRAINTS = {"Omega_h2": (TARGET, REL_TOL)}


def _model(**kw):
    fields = dict(m_B=M_B, Gamma=1e-17, m_X=1e-3, g_star_constant=G_STAR) | kw
    return FreezeInDecayModel(**fields)


def _omega_per_mx_gamma() -> float:
    """K = Omega h^2 / (m_X Gamma) from the closed form (independent of the solver)."""
    y = float(closed_form_yield(_model(Gamma=1.0e-16, m_X=1.0)))
    return float(observables.relic_density(1.0, y)) / 1.0e-16


def _edge_factor(side: int) -> float:
    """exp(mid ± ς h): the band edge the optimiser aims at, relative to the target."""
    mid, half = band_edges(REL_TOL, signed=False)
    return math.exp(mid + side * (1.0 - DEFAULT_MARGIN) * half)


@pytest.fixture(scope="module")
def minimum():
    return bound(_model(), "m_X", "min", CONSTRAINTS, free=FREE, limits=LIMITS, seed=0)


def test_minimum_matches_closed_form(minimum):
    K = _omega_per_mx_gamma()
    exact = TARGET * (1.0 - REL_TOL) / (K * GAMMA_LIMITS[1])
    aimed = TARGET * _edge_factor(-1) / (K * GAMMA_LIMITS[1])
    assert minimum.found
    # the optimiser's point: the shrunk band edge at Gamma_max, to the solver's precision
    assert minimum.value == pytest.approx(aimed, rel=1e-6)
    # conservative: never below the true minimum
    assert minimum.value >= exact
    assert minimum.parameters["Gamma"] == pytest.approx(GAMMA_LIMITS[1], rel=1e-6)
    assert any(s.startswith("Gamma at its upper limit") for s in minimum.active_limits)
    assert any(s.startswith("Omega_h2 at its lower edge") for s in minimum.active_constraints)
    assert "min m_X" in minimum.verdict


def test_bound_point_satisfies_constraints_on_fresh_solve(minimum):
    assert minimum.check.feasible and minimum.check.status == 0
    assert minimum.check.satisfied == {"Omega_h2": True}
    # an independent solve through the public function, default settings
    solution = solve_freeze_in_decay(minimum.model)
    assert solution.succeeded
    assert abs(float(solution.Omega_h2) / TARGET - 1.0) <= REL_TOL
    assert float(minimum.model.m_X) == pytest.approx(minimum.value, rel=1e-12)


def test_multistart_bound_is_stable_across_seeds(minimum):
    values = [minimum.value]
    for seed in (1, 2):
        other = bound(
            _model(),
            "m_X",
            "min",
            CONSTRAINTS,
            free=FREE,
            limits=LIMITS,
            seed=seed,
            include_model=False,
        )
        assert other.found
        values.append(other.value)
    # each is within 1e-6 of the aimed-at point (test above), so they agree to 2e-6
    assert max(values) / min(values) - 1.0 <= 2e-6
    assert minimum.n_agree >= minimum.starts.feasible.sum() // 2


def test_local_check_finds_nothing_beyond_the_bound(minimum):
    local = minimum.local
    assert local.n_points >= 20 and local.n_feasible > 0
    assert local.n_beyond == 0 and local.max_excess == 0.0


def test_local_check_has_power():
    """A point that is *not* the bound (centre of the band, Gamma below its limit) fails it."""
    model = _model()
    coords = coordinates(model, FREE, LIMITS)
    problem = make_problem(model, "m_X", "min", CONSTRAINTS, coords, model.solve_settings(n_save=2))
    K = _omega_per_mx_gamma()
    gamma = 0.5 * GAMMA_LIMITS[1]
    m_x = TARGET / (K * gamma)
    center = np.array([math.log(m_x), math.log(gamma)])
    local, beyond_u, beyond_value, beyond_out = _local_check(
        problem,
        coords,
        CONSTRAINTS,
        "m_X",
        0,
        1.0,
        center,
        m_x,
        0.02,
        7,
        729,
        np.random.default_rng(0),
    )
    assert local.n_beyond > 0 and local.max_excess > 1e-3
    # the most extreme feasible neighbour is returned, beyond by exactly max_excess
    assert beyond_value == pytest.approx(m_x * (1.0 - local.max_excess), rel=1e-12)
    assert math.exp(beyond_u[0]) == pytest.approx(beyond_value, rel=1e-12)
    # with its solve at the check's settings, feasible: inside the band
    assert beyond_out["status"] == 0 and abs(beyond_out["Omega_h2"] / TARGET - 1.0) <= REL_TOL


def test_polishing_moves_an_unconverged_bound_to_feasible_neighbours():
    """From the band centre at Gamma_max/2 with one optimiser step, the reported point is not the
    bound (its neighbourhood holds feasible points beyond it); polishing steps to the most
    extreme feasible neighbour while there is one. Each step keeps a feasible point (fresh
    solve), never goes below the closed-form minimum, and improves on the unpolished value."""
    K = _omega_per_mx_gamma()
    gamma = 0.5 * GAMMA_LIMITS[1]
    start = _model(Gamma=gamma, m_X=TARGET / (K * gamma))
    common = dict(free=FREE, limits=LIMITS, n_starts=1, outer_iterations=1, inner_steps=1)
    rough = bound(start, "m_X", "min", CONSTRAINTS, polish_iterations=0, **common)
    polished = bound(start, "m_X", "min", CONSTRAINTS, polish_iterations=5, **common)
    assert rough.found and rough.local.n_beyond > 0 and rough.polish_steps == 0
    assert polished.found and polished.check.feasible and polished.polish_steps >= 1
    assert polished.value < rough.value * (1.0 - 1e-3)
    assert polished.value >= TARGET * (1.0 - REL_TOL) / (K * GAMMA_LIMITS[1])
    solution = solve_freeze_in_decay(polished.model)
    assert abs(float(solution.Omega_h2) / TARGET - 1.0) <= REL_TOL
    assert "moved" in polished.verdict


def test_polishing_converges_to_the_closed_form_edge():
    r"""From the same rough point, polishing with projected neighbours (the grid's misses moved
    onto the band by its local linear model) and a widening neighbourhood reaches the edge:
    :math:`\Gamma` at its upper limit and no feasible neighbour beyond. On the 7 x 7 grid of
    half-width 0.02 in :math:`\ln m_X` the neighbour at :math:`(m_Xe^{-0.04/6},\Gamma_{\max})`
    is feasible whenever :math:`m_X>m_X^{\min}e^{0.04/6}`, so a converged point lies within that
    factor of the closed-form minimum :math:`m_X^{\min}=0.1188/(K\Gamma_{\max})`."""
    K = _omega_per_mx_gamma()
    gamma = 0.5 * GAMMA_LIMITS[1]
    start = _model(Gamma=gamma, m_X=TARGET / (K * gamma))
    common = dict(free=FREE, limits=LIMITS, n_starts=1, outer_iterations=1, inner_steps=1)
    steps = []
    polished = bound(
        start,
        "m_X",
        "min",
        CONSTRAINTS,
        polish_iterations=40,
        on_polish_step=lambda parameters, value: steps.append((parameters, value)),
        **common,
    )
    exact = TARGET * (1.0 - REL_TOL) / (K * GAMMA_LIMITS[1])
    # each step is reported as it is taken, the last one being the returned point
    assert len(steps) == polished.polish_steps
    assert steps[-1] == (polished.parameters, polished.value)
    assert all(b[1] < a[1] for a, b in zip(steps, steps[1:], strict=False))
    assert polished.found and polished.check.feasible
    assert polished.local.n_beyond == 0 and polished.local.width == 0.02
    assert polished.polish_steps < 40
    assert exact <= polished.value <= exact * math.exp(0.04 / 6)
    assert polished.parameters["Gamma"] == pytest.approx(GAMMA_LIMITS[1], rel=1e-12)
    assert "Gamma at its upper limit" in polished.verdict


def test_pattern_moves_reach_the_same_edge_in_fewer_looks():
    r"""Polishing's pattern moves (after a step :math:`u\to u'`, points :math:`u'+f(u'-u)` with
    the misses projected onto the band; Hooke–Jeeves) end at the same converged point as plain
    polishing, from the rough start of the test above, in fewer neighbourhood looks — the costly
    part (a look solves ~10^3 points on the cogenesis problems, a pattern move 4–8). Measured on
    this toy: 7 looks against 14."""
    K = _omega_per_mx_gamma()
    gamma = 0.5 * GAMMA_LIMITS[1]
    start = _model(Gamma=gamma, m_X=TARGET / (K * gamma))
    common = dict(free=FREE, limits=LIMITS, n_starts=1, outer_iterations=1, inner_steps=1)
    looks, results = {}, {}
    for pattern in (False, True):
        lines = []
        results[pattern] = bound(
            start,
            "m_X",
            "min",
            CONSTRAINTS,
            polish_iterations=60,
            pattern_moves=pattern,
            progress=lines.append,
            **common,
        )
        looks[pattern] = sum("look around" in line for line in lines)
    exact = TARGET * (1.0 - REL_TOL) / (K * GAMMA_LIMITS[1])
    for result in results.values():
        assert result.found and result.local.n_beyond == 0
        assert exact <= result.value <= exact * math.exp(0.04 / 6)
    assert results[True].value == pytest.approx(results[False].value, rel=0.04 / 6)
    assert looks[True] < looks[False]


def test_maximum_matches_closed_form():
    K = _omega_per_mx_gamma()
    result = bound(_model(), "m_X", "max", CONSTRAINTS, free=FREE, limits=LIMITS, seed=0)
    aimed = TARGET * _edge_factor(+1) / (K * GAMMA_LIMITS[0])
    exact = TARGET * (1.0 + REL_TOL) / (K * GAMMA_LIMITS[0])
    assert result.found and result.check.feasible
    # the starts settle on the shrunk band's edge to the solver's precision ...
    assert np.median(result.starts.values) == pytest.approx(aimed, rel=1e-6)
    # ... and the bound is the most extreme feasible start: at the aimed edge, or (a start that
    # stopped inside the margin; seen on an AMD EPYC, 12.1718686 against 12.1718527) between it
    # and the exact edge, never beyond
    assert aimed * (1.0 - 1e-6) <= result.value <= exact
    assert any(s.startswith("Gamma at its lower limit") for s in result.active_limits)
    assert any(s.startswith("Omega_h2 at its upper edge") for s in result.active_constraints)
    assert result.local.n_beyond == 0


GAMMA_CAP = 1e-16  # GeV, inside GAMMA_LIMITS: the upper limits below bind before Gamma's limit


def _yield_per_gamma() -> float:
    """Y_inf / Gamma from the closed form (independent of the solver)."""
    return float(closed_form_yield(_model(Gamma=1.0e-16, m_X=1.0))) / 1.0e-16


@pytest.mark.parametrize(
    "upper_limits", [{"Y_inf": "cap"}, {"Gamma": GAMMA_CAP}], ids=["observable", "attribute"]
)
def test_upper_limit_binds_at_its_closed_form(upper_limits):
    r"""A one-sided limit :math:`q\le q^{\max}` (squared slack, :mod:`jaxcogen.bounds._problem`).

    With :math:`Y_\infty=K'\Gamma\le K'\Gamma_{\rm cap}` (an observable) or
    :math:`\Gamma\le\Gamma_{\rm cap}` (a model attribute), the smallest :math:`m_X` with
    :math:`\Omega h^2=Km_X\Gamma` in the band sits at :math:`\Gamma=\Gamma_{\rm cap}` and the band's
    lower edge: :math:`m_X^{\min}=0.1188/(K\Gamma_{\rm cap})`. The optimiser aims at
    :math:`\ln(q/q^{\max})=-\delta` and the band edge shrunk by :math:`\delta h`, so it reports
    :math:`0.12\,e^{{\rm mid}-\varsigma h}/(K\Gamma_{\rm cap}e^{-\delta})`, compared to
    :math:`10^{-6}`; the limit is named as active and the fresh solve satisfies it.
    """
    K = _omega_per_mx_gamma()
    if "Y_inf" in upper_limits:
        upper_limits = {"Y_inf": _yield_per_gamma() * GAMMA_CAP}
    result = bound(
        _model(), "m_X", "min", CONSTRAINTS, free=FREE, limits=LIMITS, upper_limits=upper_limits
    )
    (name,) = upper_limits
    exact = TARGET * (1.0 - REL_TOL) / (K * GAMMA_CAP)
    aimed = TARGET * _edge_factor(-1) / (K * GAMMA_CAP * math.exp(-DEFAULT_MARGIN))
    assert result.found and result.check.feasible
    assert result.value == pytest.approx(aimed, rel=1e-6)
    assert result.value >= exact
    assert result.parameters["Gamma"] == pytest.approx(GAMMA_CAP * math.exp(-DEFAULT_MARGIN), 1e-6)
    assert result.upper_limits == upper_limits
    assert result.check.satisfied[name] is True
    assert result.check.limit_values[name] <= upper_limits[name]
    assert any(s.startswith(f"{name} at its upper limit") for s in result.active_constraints)
    assert not any(s.startswith("Gamma at its upper limit") for s in result.active_limits)
    assert result.local.n_beyond == 0


def test_upper_limit_far_from_the_bound_changes_nothing(minimum):
    """A limit the bound point is far below (Y_inf <= 10 x its value at Gamma_max) leaves the
    closed-form minimum of ``test_minimum_matches_closed_form`` as it was. Tolerance: the
    optimiser's, 1e-5 here (the extra slack variable shares L-BFGS's memory, and Gamma
    approaches its limit through the sigmoid; measured 2.6e-6): 100x below the shift of 1e-3
    that the limit's margin would add had it bound (``exp(delta) - 1``)."""
    cap = 10.0 * _yield_per_gamma() * GAMMA_LIMITS[1]
    result = bound(
        _model(), "m_X", "min", CONSTRAINTS, free=FREE, limits=LIMITS, upper_limits={"Y_inf": cap}
    )
    assert result.found
    assert result.value == pytest.approx(minimum.value, rel=1e-5)
    assert result.value >= TARGET * (1.0 - REL_TOL) / (_omega_per_mx_gamma() * GAMMA_LIMITS[1])
    assert not any("upper limit" in s for s in result.active_constraints)


@pytest.mark.slow
def test_bound_on_an_observable():
    """max Y_inf with Omega h^2 = 0.12 ± 1 % and m_X >= 1e-3 GeV: Y = Omega/(m_X s0/rho_c)
    is largest at the smallest m_X and the upper edge of the band (there Gamma ~ 1.2e-16 GeV,
    inside its limits)."""
    m_x_lo = 1e-3
    limits = {"m_X": (m_x_lo, 1e2), "Gamma": GAMMA_LIMITS}
    result = bound(_model(), "Y_inf", "max", CONSTRAINTS, free=FREE, limits=limits, seed=0)
    per_yield = float(observables.relic_density(1.0, 1.0))  # Omega h^2 per (m_X Y) [1/GeV]
    aimed = TARGET * _edge_factor(+1) / (per_yield * m_x_lo)
    assert result.found and result.check.feasible
    assert result.value == pytest.approx(aimed, rel=1e-6)
    assert result.local.n_beyond == 0


def test_augmented_lagrangian_gradient_matches_central_differences():
    """jax.grad of L_A through the diffrax solve vs central differences, with the SM g_*(T)
    table and m_B free so that the solve itself depends on θ (m_B/T sets where g_* is read)."""
    model = FreezeInDecayModel(m_B=M_B, Gamma=1e-17, m_X=1e-3)
    free = ["m_X", "Gamma", "m_B"]
    limits = {"m_X": (1e-6, 1e1), "Gamma": GAMMA_LIMITS, "m_B": (1e2, 1e4)}
    coords = coordinates(model, free, limits)
    problem = make_problem(model, "m_X", "min", CONSTRAINTS, coords, model.solve_settings(n_save=2))
    problem = eqx.tree_at(lambda p: (p.lam, p.mu), problem, (jnp.asarray([0.7]), jnp.asarray(3.0)))
    # a point off the band (penalty and multiplier terms both act); last entry: the slack
    theta = jnp.asarray([0.3, -0.4, 0.5, 0.2])
    _, c, ok = problem.parts(theta)
    assert bool(ok) and abs(float(c[0])) > 1e-2
    value_and_grad = eqx.filter_jit(lambda p, t: jax.value_and_grad(p.loss)(t))
    grad = np.asarray(value_and_grad(problem, theta)[1])

    def loss(t):  # the same compiled function, so one compilation
        return value_and_grad(problem, t)[0]

    # error budget: truncation h^2 |L'''|/6 ~ 1e-9, solver noise ~ rtol |L| / h ~ 1e-6
    h = 1e-4
    fd = np.array(
        [
            (float(loss(theta.at[j].add(h))) - float(loss(theta.at[j].add(-h)))) / (2 * h)
            for j in range(theta.size)
        ]
    )
    print("grad", grad, "central differences", fd)
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-6)
    assert np.all(np.abs(grad) > 1e-3)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(quantity="m_Y"), "unknown quantity 'm_Y'"),
        (dict(quantity="m_B"), "is a fixed parameter"),
        (dict(constraints={"Omega": (0.12, 0.01)}), "did you mean 'Omega_h2'"),
        (dict(free=["m_X", "Gama"]), "unknown parameter 'Gama'"),
        (dict(limits={"Gamma": (1e-15, 1e-20)}), "low < high"),
        (dict(limits={"Gamma": (1e-15, 1e-15)}), "low < high"),
        (dict(limits={"m_B": (1.0, 2.0)}), "not a free parameter"),
        (dict(constraints={"Omega_h2": (0.12, 0.0)}), "relative tolerance 0.0"),
        (dict(constraints={"Omega_h2": (0.12, -0.01)}), "relative tolerance -0.01"),
        (dict(constraints={"Omega_h2": (0.12, 1.5)}), "allowed range is \\(0, 1\\)"),
        (dict(constraints={"Omega_h2": (-0.12, 0.01)}), "is positive"),
        (dict(sense="least"), "sense='least'"),
        (dict(n_starts=0), "n_starts=0"),
        (dict(upper_limits={"Omega": 1.0}), "upper_limits\\['Omega'\\]: not an observable"),
        (dict(upper_limits={"Y_inf": -1.0}), "must be finite and > 0"),
        (dict(upper_limits={"Y_inf": "big"}), "must be a number"),
        (dict(starts={"m_X": [1e-3]}), "missing \\['Gamma'\\]"),
        (dict(starts={"m_X": [1e-3], "Gamma": [1e-17], "m_B": [1.0]}), "not free \\['m_B'\\]"),
        (dict(starts={"m_X": [1e-3, 2e-3], "Gamma": [1e-17]}), "same number"),
        (dict(starts={"m_X": [1e3], "Gamma": [1e-17]}), "starts\\['m_X'\\]=1000.0: outside"),
        (dict(starts={"m_X": [np.nan], "Gamma": [1e-17]}), "non-finite"),
    ],
)
def test_bad_input_raises_value_error(kwargs, message):
    args = dict(quantity="m_X", sense="min", constraints=CONSTRAINTS, free=FREE, limits=LIMITS)
    args |= kwargs
    with pytest.raises(ValueError, match=message):
        bound(_model(), **args)


def test_infinite_range_needs_limits():
    from jaxcogen.models import LeptogenesisModel

    model = LeptogenesisModel(M_1=1e10, epsilon_1=-1e-6, mtilde_1=0.05)
    with pytest.raises(ValueError, match="not finite"):
        bound(model, "M_higgs", "min", {"Y_B": (8.7e-11, 0.01)}, free=["M_higgs"])


def test_solve_at_reports_validity():
    """Points outside the model's validity (m_X >= m_B) are never counted feasible."""
    model = _model()
    coords = coordinates(model, FREE, {"m_X": (1e-8, 1e4), "Gamma": GAMMA_LIMITS})
    problem = make_problem(model, "m_X", "min", CONSTRAINTS, coords, model.solve_settings(n_save=2))
    out = solve_at(problem, jnp.asarray([[math.log(2e3), math.log(1e-17)]]))
    assert not bool(out["valid"][0]) and int(out["status"][0]) != 0


def test_viable_region_problems_are_well_posed():
    """The abstract's claims as bound problems (``VIABLE_REGION_BOUNDS``): every free parameter
    exists with finite limits on the built-in point, the bounded quantity moves, the point
    itself lies inside every box (so it can start the optimisation), and the model's default
    upper limits hold there; an unknown problem name is refused before any solve."""
    import jaxcogen
    from jaxcogen.bounds import VIABLE_REGION_BOUNDS, viable_region_bounds
    from jaxcogen.bounds._bounds import check_upper_limits
    from jaxcogen.bounds._space import model_u, u_bounds

    model = jaxcogen.CogenesisModel(**jaxcogen.benchmark_points["default"])
    for name, spec in VIABLE_REGION_BOUNDS.items():
        coords = coordinates(model, spec.free, spec.limits)
        assert spec.quantity in spec.free, name
        u_lo, u_hi = u_bounds(coords)
        own = model_u(model, coords)
        assert np.all((own >= u_lo) & (own <= u_hi)), name
    for quantity, maximum in check_upper_limits(model, None).items():
        value = float(getattr(model, quantity)) if hasattr(model, quantity) else None
        if value is not None:
            assert value <= maximum, quantity
    with pytest.raises(ValueError, match="bound 'M1_max': allowed"):
        viable_region_bounds(model, ["M1_max"])


def test_a_constraint_the_optimisation_cannot_compute_is_left_to_the_judgement():
    """``m_chi_min`` asks for a mainly asymmetric relic; its optimisation solves the production
    stage (no ``asymmetric_fraction`` there, and no proxy), so that constraint is judged on the
    final full-chain solves only, while the two observed values are optimised (today's relic
    through its asymmetric proxy). A constraint no settings compute is refused."""
    import jaxcogen
    from jaxcogen.bounds import VIABLE_REGION_BOUNDS
    from jaxcogen.bounds._bounds import _inner_options, _reachable
    from jaxcogen.bounds._viable_region import VIABLE_REGION_TOLERANCE, _constraints

    model = jaxcogen.CogenesisModel(**jaxcogen.benchmark_points["default"])
    spec = VIABLE_REGION_BOUNDS["m_chi_min"]
    constraints = _constraints(spec, VIABLE_REGION_TOLERANCE)
    assert "asymmetric_fraction" in constraints
    model_type = type(model)
    inner = model_type.solve_settings(
        _inner_options(model_type, None, None, constraints, spec.free), n_save=2
    )
    assert set(_reachable(model_type, constraints, inner)) == {"DeltaY_B", "Omega_chi_h2"}
    final = model_type.solve_settings(None, n_save=2)
    assert set(_reachable(model_type, constraints, final)) == set(constraints)
    coords = coordinates(model, spec.free, spec.limits)
    with pytest.raises(ValueError, match="'asymmetric_fraction': not computed"):
        make_problem(model, "m_chi", "min", constraints, coords, inner)


#: One outer iteration of three L-BFGS steps with a negligible penalty, no polishing.
ONE_STEP_NO_PENALTY = dict(
    free=FREE,
    limits=LIMITS,
    outer_iterations=1,
    inner_steps=3,
    mu0=1e-9,
    mu_max=1e-9,
    polish_iterations=0,
)


def test_a_start_that_leaves_the_viable_region_keeps_its_feasible_beginning():
    """With a negligible penalty (mu0 = mu_max = 1e-9) one L-BFGS step minimises m_X alone and
    leaves the band (measured: m_X 2.4e-4 -> 9e-8 GeV, Gamma unchanged); the start's own point
    was feasible, so the result reports that point (not
    "no bound"), unpolished, exactly where it began."""
    K = _omega_per_mx_gamma()
    gamma = 0.5 * GAMMA_LIMITS[1]
    m_x = TARGET / (K * gamma)
    result = bound(
        _model(Gamma=gamma, m_X=m_x),
        "m_X",
        "min",
        CONSTRAINTS,
        n_starts=1,
        **ONE_STEP_NO_PENALTY,
    )
    assert result.found and result.check.feasible
    assert result.value == pytest.approx(m_x, rel=1e-9)


def test_given_starts_come_first_and_a_feasible_one_is_kept():
    """``starts=``: a start of one's own is the first start, before the model's own point.
    The same set-up as above (negligible penalty: the optimiser leaves the band), with the
    model's point infeasible (Gamma at its lower limit, m_X tiny) and one given start on the
    band: the result is that given start, exactly, and start 1 is the model's own point."""
    K = _omega_per_mx_gamma()
    gamma = 0.25 * GAMMA_LIMITS[1]
    m_x = TARGET / (K * gamma)
    result = bound(
        _model(Gamma=GAMMA_LIMITS[0], m_X=1e-8),
        "m_X",
        "min",
        CONSTRAINTS,
        n_starts=3,
        starts={"m_X": [m_x], "Gamma": [gamma]},
        **ONE_STEP_NO_PENALTY,
    )
    assert result.found and result.best_start == 0
    assert result.value == pytest.approx(m_x, rel=1e-9)
    assert result.parameters["Gamma"] == pytest.approx(gamma, rel=1e-9)
    assert not result.starts.feasible[1]  # the model's own point: far off the band


def test_seed_starts_refuses_bad_input_before_any_work(monkeypatch):
    import jaxcogen.scanning
    from jaxcogen.bounds import seed_starts

    def no_work(*args, **kwargs):
        raise AssertionError("work started")

    monkeypatch.setattr(jaxcogen.scanning, "scan", no_work)
    with pytest.raises(ValueError, match="bound 'm_chi_maximum': allowed"):
        seed_starts("m_chi_maximum")
    with pytest.raises(ValueError, match="n_points=1: must be an integer >= 2"):
        seed_starts("m_chi_max", n_points=1)
    with pytest.raises(ValueError, match="tolerance=0.0"):
        seed_starts("m_chi_max", tolerance=0.0)


@pytest.mark.slow
def test_seed_starts_are_viable_on_a_fresh_solve():
    """The seeds of the heavy-m_chi bound (a 1024-point seeding scan, ~1 min): each, set on the
    built-in point and solved afresh by ``jaxcogen.solve`` (the full chain, regime "auto"),
    gives Delta Y_B and today's Omega_chi h^2 within 5 % of the observed values, a mainly
    asymmetric relic (the problem's own constraint), m_nu below 0.1 eV and m_chi < m_phi, lies
    within the problem's limits, and they come heaviest first."""
    import jaxcogen
    from jaxcogen.bounds import VIABLE_REGION_BOUNDS, seed_starts

    base = jaxcogen.CogenesisModel(**jaxcogen.benchmark_points["default"])
    seeds = seed_starts("m_chi_max", base, n_points=1024)
    n = len(seeds["m_chi"])
    assert n >= 1
    assert np.all(np.diff(seeds["m_chi"]) <= 0)
    spec = VIABLE_REGION_BOUNDS["m_chi_max"]
    coords = {c.name: c for c in coordinates(base, spec.free, spec.limits)}
    for k in range(min(n, 3)):
        point = {name: float(values[k]) for name, values in seeds.items()}
        for name, value in point.items():
            assert coords[name].lower <= value <= coords[name].upper, name
        model = base.with_parameters(point)
        s = jaxcogen.solve(model, n_save=2)
        assert int(s.status) == 0
        assert abs(float(s.DeltaY_B) / 8.7e-11 - 1.0) <= 0.05
        assert abs(float(s.Omega_chi_h2) / 0.12 - 1.0) <= 0.05
        assert float(s.asymmetric_fraction) >= 0.76 * (1.0 - 0.34)  # mainly asymmetric
        assert float(model.m_nu) <= 1e-10 and float(model.m_chi) < float(model.m_phi)


def test_split_solves_equal_vmapped_solves():
    """The looks around a bound solve their points as a scan does (``solve_split``: regime and
    solver chosen on the host, each pass on its own points, padded to a shared batch size); the
    results must be those of the plain ``vmap`` of the same solve (``solve_at``), invalid
    points and padding included."""
    from jaxcogen.bounds._problem import solve_split

    model = _model()
    coords = coordinates(model, FREE, {"m_X": (1e-8, 1e4), "Gamma": GAMMA_LIMITS})
    problem = make_problem(model, "m_X", "min", CONSTRAINTS, coords, model.solve_settings(n_save=2))
    m_X = [1e-6, 3e-4, 0.1, 2.0, 40.0, 2e3, 5e3]  # GeV; the last two invalid (m_X >= m_B)
    Gamma = np.geomspace(1e-20, 1e-15, 7)  # GeV
    us = np.log(np.column_stack([m_X, Gamma]))
    split = solve_split(problem, us, size=16)
    plain = {k: np.asarray(v) for k, v in solve_at(problem, jnp.asarray(us)).items()}
    assert set(split) == set(plain)
    np.testing.assert_array_equal(split["valid"], [True] * 5 + [False] * 2)
    assert np.all(split["status"][5:] != 0) and np.all(split["status"][:5] == 0)
    # invalid points are not solved by the split (a scan's rule: no steps, NaN observables)
    ok = split["valid"]
    for name in plain:
        np.testing.assert_allclose(split[name][ok], plain[name][ok], rtol=1e-13, err_msg=name)
    np.testing.assert_array_equal(split["status"], plain["status"])
    with pytest.raises(ValueError, match="no points"):
        solve_split(problem, us[:0])


@pytest.mark.slow
def test_split_solves_equal_vmapped_solves_across_regimes():
    """The same on the cogenesis model at the default settings (``regime="auto"``, the full
    chain), with points on both sides of the EFT's validity (M1/T_RH from 4 to 100; 4 is below the
    model's hierarchy rule M1 > 5 T_RH, so that point is invalid for both): the host's
    split runs each regime's system on its own points only; the adaptive steps of the two
    programs may round differently, so the observables agree to the solvers' tolerances
    (production rtol 1e-8, late stage 1e-9), the regime and status exactly."""
    import jaxcogen
    from jaxcogen.bounds._problem import solve_split
    from jaxcogen.production import SolveSettings

    model = jaxcogen.CogenesisModel(**jaxcogen.benchmark_points["default"])
    coords = coordinates(model, ["M1", "y2.abs"], {"M1": (1e8, 1e15), "y2.abs": (1e-6, 3.5)})
    settings = SolveSettings.create(late_universe=True)
    problem = make_problem(model, "M1", "min", {"DeltaY_B": (8.7e-11, 0.1)}, coords, settings)
    T_RH = float(model.T_RH)
    us = np.column_stack(
        [np.log(T_RH * np.geomspace(4.0, 100.0, 6)), np.log(np.linspace(0.5, 1.5, 6))]
    )
    split = solve_split(problem, us)
    plain = {k: np.asarray(v) for k, v in solve_at(problem, jnp.asarray(us)).items()}
    assert set(split) <= set(plain)
    used = split["regime_used"]
    assert (used == 0).any() and (used == 1).any()  # both regimes present
    for name in ("status", "valid"):
        np.testing.assert_array_equal(split[name], plain[name], err_msg=name)
    ok = split["valid"]
    assert not ok[0] and ok[1:].all()
    np.testing.assert_array_equal(split["regime_used"][ok], plain["regime_used"][ok])
    for name in ("DeltaY_B", "Omega_chi_h2", "asymmetric_fraction", "Delta_N_eff"):
        np.testing.assert_allclose(split[name][ok], plain[name][ok], rtol=1e-6, err_msg=name)


def test_limit_defaults_live_in_one_place():
    """The light-neutrino mass bound and the EFT's error limit that bounds keep are the fits'
    defaults and the package's constants (``constants.m_nu_max``, ``solve``'s
    ``EFT_TOLERANCE``): one value each, whichever entry point a user takes."""
    import inspect

    from jaxcogen import constants, fit
    from jaxcogen.model._registry import BOUND_UPPER_LIMITS
    from jaxcogen.production._validity import EFT_TOLERANCE

    assert BOUND_UPPER_LIMITS["m_nu"] == constants.m_nu_max == 1e-10  # GeV = 0.1 eV
    assert BOUND_UPPER_LIMITS["eft_error"] == EFT_TOLERANCE
    parameters = inspect.signature(fit).parameters
    assert parameters["m_nu_max"].default == constants.m_nu_max
    assert parameters["eft_error_max"].default == EFT_TOLERANCE
