r"""The abstract's claims about the viable region of freeze-in cogenesis, as bound problems.

arXiv:2505.22710's abstract says that viable cogenesis needs heavy neutrinos
:math:`M_N\gtrsim10^{10}` GeV, and that a mainly asymmetric relic allows
:math:`0.1\ {\rm GeV}\lesssim m_\chi\lesssim10^3` GeV. Each claim is an extreme of one quantity
over the viable region (:func:`jaxcogen.bounds.bound`): :math:`\Delta Y_B=8.7\times10^{-11}` and
today's :math:`\Omega_\chi h^2=0.12` within ``tolerance``, perturbative couplings
(:math:`|y_i|,|\lambda_i|,\kappa\le\sqrt{4\pi}`, the parameters' ranges), and the cogenesis model's
default upper limits (:data:`jaxcogen.model._registry.BOUND_UPPER_LIMITS`: :math:`m_\nu\le0.1` eV,
:math:`m_\chi<m_\phi`, the EFT's 1 % trust region while the optimisation integrates it,
:math:`\Delta N_{\rm eff}\le0.286`). :data:`VIABLE_REGION_BOUNDS` fixes which parameters move and
within which intervals; the others keep the base point's values (the built-in point by default).

What each bound moves, and why:

- ``M1_min``: :math:`M_{1,2}`, :math:`T_{\rm RH}`, :math:`|y_{1,2}|`, :math:`\arg y_2`,
  :math:`|\lambda_2|`, :math:`m_\chi`, :math:`m_\phi` and :math:`\kappa`: everything that sets
  the lepton asymmetry's size, the relic's mass scale and the sink that removes its symmetric
  part (:math:`\lambda_1` and the other phases stay: they trade against the moved ones). A
  lighter :math:`M_1` makes less asymmetry, which a heavier :math:`\chi` makes up; with
  :math:`m_\phi` fixed at the built-in 2 GeV the bound stopped at :math:`m_\chi=m_\phi`, so
  :math:`m_\phi` and :math:`\kappa` move (and the optimisation solves the full chain), with
  :math:`m_\chi` up to :math:`10^6` GeV as in ``m_chi_max``: what stops a heavy relic is then
  the sink (:math:`\kappa\le\sqrt{4\pi}`), not the box. With :math:`\kappa` free the relic
  must be mainly asymmetric (:data:`MAINLY_ASYMMETRIC`), as in the :math:`m_\chi` bounds: else
  the polishing walks to a weaker sink whose symmetric remnant is the relic (a run without the
  condition reached :math:`M_1=1.7\times10^9` GeV with asymmetric fraction 0.024) — dark matter
  that the asymmetry no longer sets, i.e. not cogenesis of asymmetric dark matter.
- ``m_chi_min``: :math:`m_\chi`, :math:`T_{\rm RH}`, :math:`|y_{1,2}|`, :math:`\arg y_2`,
  :math:`|\lambda_{1,2}|`: the lightest :math:`\chi` needs the most :math:`\Delta Y_\chi` per
  :math:`\Delta Y_B`; :math:`\kappa=1` and :math:`m_\phi=2` GeV stay (a light :math:`\chi`'s
  symmetric part is removed at :math:`\kappa=1`), so today's relic is reached through the
  asymmetric-relic proxy during the optimisation and solved in full at the judgement, which also
  asks for a mainly asymmetric relic (:data:`MAINLY_ASYMMETRIC`: polishing, on full-chain
  solves, otherwise walks to a light, almost wholly symmetric relic that the sink at
  :math:`\kappa=1` cannot deplete).
- ``m_chi_max``: :math:`m_\chi`, :math:`m_\phi`, :math:`\kappa`, and the production parameters of
  ``m_chi_min``: a heavy :math:`\chi` needs the least :math:`\Delta Y_\chi` per :math:`\Delta Y_B`
  and a strong enough sink to remove its symmetric part, so :math:`\kappa` and :math:`m_\phi` move
  and the optimisation solves the full chain (today's relic exactly).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jaxcogen import constants


@dataclasses.dataclass(frozen=True)
class BoundSpec:
    """One claim as a bound problem.

    Attributes:
        quantity, sense: what is bounded, ``"min"`` or ``"max"``.
        free: the parameters moved.
        limits: their intervals ``{name: (low, high)}`` (physical units).
        claim: the abstract's statement it tests, in words.
        claimed: the abstract's number [GeV].
        constraints: constraints besides the two observed values, ``{observable: (target,
            rel_tol)}`` (all three: :data:`MAINLY_ASYMMETRIC`).
    """

    quantity: str
    sense: str
    free: tuple[str, ...]
    limits: Mapping[str, tuple[float, float]]
    claim: str
    claimed: float
    constraints: Mapping[str, tuple[float, float]] = dataclasses.field(default_factory=dict)


#: "A mainly asymmetric relic": today's asymmetric fraction :math:`|\Delta Y|/(Y_\chi+Y_{\bar\chi})`
#: at least 1/2, as the band :math:`0.76\,(1\pm0.34)=[0.5016,1.0184]`, whose upper edge lies
#: above the fraction's largest value 1 (so it is one-sided; the optimiser aims inside the band
#: shrunk by its margin, which still holds 1).
MAINLY_ASYMMETRIC = {"asymmetric_fraction": (0.76, 0.34)}


#: The abstract's claims (arXiv:2505.22710) as bound problems (module docstring).
VIABLE_REGION_BOUNDS: dict[str, BoundSpec] = {
    "M1_min": BoundSpec(
        "M1",
        "min",
        (
            "M1",
            "M2",
            "T_RH",
            "y1.abs",
            "y2.abs",
            "y2.arg",
            "lambda2.abs",
            "m_chi",
            "m_phi",
            "kappa",
        ),
        {
            "M1": (1e8, 1e14),
            "M2": (1e8, 1e15),
            "T_RH": (1e7, 1e13),
            "m_chi": (1e-3, 1e6),
            "m_phi": (1e-2, 1e7),
            "kappa": (1e-3, math.sqrt(4 * math.pi)),
        },
        "viable cogenesis needs M_N >~ 1e10 GeV",
        1e10,
        MAINLY_ASYMMETRIC,
    ),
    "m_chi_min": BoundSpec(
        "m_chi",
        "min",
        ("m_chi", "T_RH", "y1.abs", "y2.abs", "y2.arg", "lambda1.abs", "lambda2.abs"),
        {"m_chi": (1e-4, 1e4), "T_RH": (1e8, 1e11)},
        "a mainly asymmetric relic allows m_chi >~ 0.1 GeV",
        0.1,
        MAINLY_ASYMMETRIC,
    ),
    "m_chi_max": BoundSpec(
        "m_chi",
        "max",
        (
            "m_chi",
            "m_phi",
            "kappa",
            "T_RH",
            "y1.abs",
            "y2.abs",
            "y2.arg",
            "lambda1.abs",
            "lambda2.abs",
        ),
        {
            "m_chi": (1e-2, 1e6),
            "m_phi": (1e-2, 1e7),
            "kappa": (1e-3, math.sqrt(4 * math.pi)),
            "T_RH": (1e8, 1e11),
        },
        "a mainly asymmetric relic allows m_chi <~ 1e3 GeV",
        1e3,
        MAINLY_ASYMMETRIC,
    ),
}

#: The constraints of every bound: the observed values within 5 %.
VIABLE_REGION_TOLERANCE = 0.05


def _constraints(spec: BoundSpec, tolerance: float) -> dict[str, tuple[float, float]]:
    r"""A problem's constraints: the observed :math:`\Delta Y_B` and today's
    :math:`\Omega_\chi h^2` within ``tolerance``, and its own ``constraints``."""
    return {
        "DeltaY_B": (constants.DeltaY_B_observed, tolerance),
        "Omega_chi_h2": (constants.Omega_c_h2_observed, tolerance),
    } | dict(spec.constraints)


#: Production points :func:`seed_starts` samples by default (nine production-only EFT scans of
#: them and a full-chain scan of the candidates: ~1.5 min on the 2-core CPU).
SEED_POINTS = 1 << 12
#: :math:`m_\phi/m_\chi` of a seed where :math:`m_\phi` is free: near-degenerate, the strongest
#: sink (:math:`\langle\sigma v\rangle\propto m_\chi^2/(m_\chi^2+m_\phi^2)^2`) within the
#: late-universe stage's tested range (1.01-100).
SEED_M_PHI_RATIO = 1.1
#: Parameters a seed derives instead of sampling (the dark masses and the sink).
_LATE_PARAMETERS = ("m_chi", "m_phi", "kappa")


def _sampling_box(coords) -> tuple[dict, list[str]]:
    r"""Sobol bounds for the production parameters of a seed scan: the coordinates' limits, with
    the Yukawa moduli in units of :math:`y_{\rm ref}(M_i)=\sqrt{m_\nu^{\max}M_i}/v` (one
    coupling alone at the light-neutrino bound; a unit ``"y_i.abs"`` value is rescaled by
    :func:`_physical_samples`) and the dark moduli from 1e-3 up."""
    box, log = {}, []
    for c in coords:
        if c.name in _LATE_PARAMETERS:
            continue
        if c.name in ("y1.abs", "y2.abs"):
            box[c.name], log = (1e-3, 3.0), [*log, c.name]
        elif c.name.endswith(".abs"):
            box[c.name], log = (max(c.lower, 1e-3), c.upper), [*log, c.name]
        else:
            box[c.name] = (c.lower, c.upper)
            if c.scale == "log":
                log.append(c.name)
    return box, log


def _physical_samples(samples, coords, model, m_nu_max: float) -> dict[str, np.ndarray]:
    """The Yukawa moduli of :func:`_sampling_box` in physical units, clipped into their limits."""
    out = dict(samples)
    limits = {c.name: (c.lower, c.upper) for c in coords}
    for i in ("1", "2"):
        name = f"y{i}.abs"
        if name in out:
            M = np.asarray(out.get(f"M{i}", float(model.get_parameter(f"M{i}"))))
            y_ref = np.sqrt(m_nu_max * M) / constants.v_EW
            out[name] = np.clip(out[name] * y_ref, *limits[name])
    return out


#: Secant iterations of :func:`_hit_baryon_asymmetry` (in log T_RH against log Delta Y_B; a
#: power law locally, so a few suffice).
SEED_SECANT_ITERATIONS = 8


def _hit_baryon_asymmetry(model, samples, limits, target, tolerance, production_scan):
    r"""Move each sample's :math:`T_{\rm RH}` (within its limits and below :math:`M_1/h`) so that
    :math:`\Delta Y_B` hits ``target``: a secant iteration in :math:`\ln T_{\rm RH}` on
    :math:`\ln\Delta Y_B`, which freeze-in makes a power of :math:`T_{\rm RH}` (the sources and
    the dark production grow alike, so :math:`\Delta Y_\chi/\Delta Y_B`, which fixes
    :math:`m_\chi`, moves little). Points whose :math:`\Delta Y_B` has the wrong sign keep
    their value (step 2 of :func:`seed_starts` drops them). Returns the samples and the last
    production scan."""
    lo, hi = np.log(limits["T_RH"][0]), np.log(limits["T_RH"][1])
    M1 = np.asarray(samples.get("M1", float(model.get_parameter("M1"))))
    M2 = np.asarray(samples.get("M2", float(model.get_parameter("M2"))))
    h = float(model.eft_hierarchy)
    hi = np.minimum(hi, np.log(np.minimum(M1, M2) / h) - 1e-6)  # stay valid (M_i > h T_RH)
    x = np.clip(np.log(samples["T_RH"]), lo, hi)
    ln_target = math.log(target)

    def residual(x):
        ds = production_scan({**samples, "T_RH": np.exp(x)})
        B = ds["DeltaY_B"].values
        ok = (ds["status"].values == 0) & (B > 0)
        return np.where(ok, np.log(np.where(ok, B, 1.0)) - ln_target, np.nan), ds

    f, ds = residual(x)
    x_prev, f_prev = x, f
    x = np.clip(x + 0.5, lo, hi)
    for _ in range(SEED_SECANT_ITERATIONS):
        f, ds = residual(x)
        done = np.abs(f) <= 0.5 * tolerance
        with np.errstate(divide="ignore", invalid="ignore"):  # a point that did not move
            slope = (f - f_prev) / (x - x_prev)
        usable = np.isfinite(slope) & (np.abs(slope) > 1e-3) & ~done
        step = np.where(usable, -f / np.where(usable, slope, 1.0), 0.0)
        x_prev, f_prev = x, f
        x = np.where(usable, np.clip(x + np.clip(step, -3.0, 3.0), lo, hi), x)
    out = dict(samples)
    out["T_RH"] = np.exp(x_prev)
    return out, ds


def seed_starts(
    name: str,
    model=None,
    *,
    n_points: int = SEED_POINTS,
    tolerance: float = VIABLE_REGION_TOLERANCE,
    seed: int = 0,
    progress: Callable[[str], Any] | None = None,
) -> dict[str, np.ndarray]:
    r"""Viable starting points for the bound ``name`` of :data:`VIABLE_REGION_BOUNDS`, from a scan.

    A random start almost never lies near the viable surface (two equality constraints in six to
    nine dimensions), and the augmented Lagrangian then creeps towards it. The relic relation
    gives a shortcut: once the sink has removed the symmetric part, today's relic is the
    asymmetric one, :math:`\Omega_\chi h^2=m_\chi\,2|\Delta Y_\chi|\,s_0/(\rho_c/h^2)`, so every
    production point fixes the one :math:`m_\chi` that gives 0.12 (``m_chi_asymmetric``,
    :func:`jaxcogen.observables.asymmetric_dark_matter_mass`), and :math:`m_\chi\ll T` does not
    feed back on production. Hence:

    1. a scrambled Sobol sample of ``n_points`` of the bound's production parameters (its free
       parameters other than :math:`m_\chi,m_\phi,\kappa`) within their limits — moduli
       log-uniform, the Yukawa moduli from :math:`10^{-3}` to 3 times
       :math:`\sqrt{m_\nu^{\max}M_i}/v` (one coupling alone at the light-neutrino bound
       :math:`m_\nu\simeq|y_i|^2v^2/M_i`), phases uniform — with each point's
       :math:`T_{\rm RH}` then moved to hit the observed :math:`\Delta Y_B`
       (:func:`_hit_baryon_asymmetry`) where :math:`T_{\rm RH}` is free;
    2. production-only scans with the EFT (cheap; points outside the EFT's range are judged in
       step 4 with the default regime choice), keeping the points with :math:`\Delta Y_B`
       within ``tolerance`` of the target, :math:`m_\nu` below the model's bound and
       ``m_chi_asymmetric`` within :math:`m_\chi`'s limits (and below the base :math:`m_\phi`
       when that is fixed);
    3. :math:`m_\chi=` ``m_chi_asymmetric`` there and, where free, :math:`m_\phi=`
       :data:`SEED_M_PHI_RATIO` :math:`m_\chi` and :math:`\kappa` at its upper limit (the
       strongest sink: the best chance that the relic is asymmetric);
    4. a full-chain scan of those points at the default settings (``regime="auto"``), keeping
       those whose :math:`\Delta Y_B` and today's :math:`\Omega_\chi h^2` are within
       ``tolerance``, whose :math:`\Delta N_{\rm eff}` is below the model's bound and which
       meet the problem's own ``constraints`` (``m_chi_max``: a mainly asymmetric relic).

    Returns ``{free parameter: values}``, the viable seeds ordered from the most extreme in the
    bound's sense (empty arrays if none), ready for ``bound(..., starts=...)``.
    """
    from jaxcogen.bounds._bounds import _feasible
    from jaxcogen.bounds._space import coordinates
    from jaxcogen.model import CogenesisModel
    from jaxcogen.model._benchmark_points import POINTS
    from jaxcogen.model._registry import BOUND_UPPER_LIMITS
    from jaxcogen.scanning import scan, sobol

    if name not in VIABLE_REGION_BOUNDS:
        raise ValueError(f"bound {name!r}: allowed {', '.join(VIABLE_REGION_BOUNDS)}")
    if isinstance(n_points, bool) or not isinstance(n_points, int) or n_points < 2:
        raise ValueError(f"n_points={n_points!r}: must be an integer >= 2")
    if not 0.0 < tolerance < 1.0:
        raise ValueError(f"tolerance={tolerance!r}: allowed range is (0, 1)")
    spec = VIABLE_REGION_BOUNDS[name]
    model = CogenesisModel(**POINTS["default"]) if model is None else model
    coords = coordinates(model, spec.free, dict(spec.limits))
    limits = {c.name: (c.lower, c.upper) for c in coords}
    empty = {c.name: np.empty(0) for c in coords}
    m_nu_max = BOUND_UPPER_LIMITS["m_nu"]

    box, log = _sampling_box(coords)
    samples = _physical_samples(sobol(box, n_points, seed=seed, log=log), coords, model, m_nu_max)
    target_B = constants.DeltaY_B_observed

    def production_scan(points):
        return scan(
            model,
            samples=points,
            progress=False,
            solve_options={"regime": "eft", "late_universe": False},
        )

    if "T_RH" in limits:
        if progress is not None:
            progress(
                f"  seeds: T_RH of {n_points} production points moved to hit Delta Y_B "
                f"({SEED_SECANT_ITERATIONS + 1} production-only scans) ..."
            )
        samples, production = _hit_baryon_asymmetry(
            model, samples, limits, target_B, tolerance, production_scan
        )
    else:
        if progress is not None:
            progress(f"  seeds: production-only scan of {n_points} points ...")
        production = production_scan(samples)
    m_nu = np.asarray(
        jax.jit(jax.vmap(lambda v: model.with_parameters(v).m_nu))(
            {k: jnp.asarray(v) for k, v in samples.items()}
        )
    )
    m_chi = production["m_chi_asymmetric"].values
    keep = (
        (production["status"].values == 0)
        & (np.abs(production["DeltaY_B"].values / target_B - 1.0) <= tolerance)
        & (m_nu <= m_nu_max)
        & (m_chi >= limits["m_chi"][0])
        & (m_chi <= limits["m_chi"][1])
    )
    if "m_phi" not in limits:
        keep &= m_chi < float(model.m_phi)
    if not keep.any():
        return empty
    candidates = {k: np.asarray(v)[keep] for k, v in samples.items()}
    candidates["m_chi"] = m_chi[keep]
    if "m_phi" in limits:
        candidates["m_phi"] = np.clip(SEED_M_PHI_RATIO * m_chi[keep], *limits["m_phi"])
    if "kappa" in limits:
        candidates["kappa"] = np.full(int(keep.sum()), limits["kappa"][1])
    if progress is not None:
        progress(f"  seeds: full-chain solves of {int(keep.sum())} candidates ...")
    today = scan(model, samples=candidates, progress=False)
    # judged as bound() judges its points (invalid points have a non-zero status)
    outs = {name: today[name].values for name in today.data_vars} | {"valid": True}
    limit = {"Delta_N_eff": BOUND_UPPER_LIMITS["Delta_N_eff"]}
    viable = _feasible(outs, _constraints(spec, tolerance), len(outs["status"]), limit)
    if not viable.any():
        return empty
    values = candidates[spec.quantity][viable]
    order = np.argsort(values if spec.sense == "min" else -values, kind="stable")
    return {c.name: np.asarray(candidates[c.name])[viable][order] for c in coords}


def viable_region_bounds(
    model=None,
    names: Sequence[str] | None = None,
    *,
    n_starts: int = 4,
    outer_iterations: int = 10,
    inner_steps: int = 20,
    seed: int = 0,
    tolerance: float = VIABLE_REGION_TOLERANCE,
    progress: Callable[[str], Any] | None = print,
    seed_points: int = SEED_POINTS,
    **bound_options: Any,
) -> dict[str, Any]:
    """Run the bounds of :data:`VIABLE_REGION_BOUNDS` (all, or ``names``) from ``model`` (default:
    the built-in point); returns ``{name: BoundResult}``. With ``seed_points`` > 0 the starts
    are the most extreme viable points of a :func:`seed_starts` scan of that many points (then
    the model's own point and random draws fill the ``n_starts``); 0 starts from the model's
    point and draws alone. ``bound_options`` pass on to :func:`jaxcogen.bounds.bound` (e.g.
    ``inner_solve_options``, ``upper_limits``)."""
    from jaxcogen.bounds._bounds import bound
    from jaxcogen.model import CogenesisModel
    from jaxcogen.model._benchmark_points import POINTS

    if model is None:
        model = CogenesisModel(**POINTS["default"])
    names = list(VIABLE_REGION_BOUNDS if names is None else names)
    for name in names:
        if name not in VIABLE_REGION_BOUNDS:
            raise ValueError(f"bound {name!r}: allowed {', '.join(VIABLE_REGION_BOUNDS)}")
    out = {}
    for name in names:
        spec = VIABLE_REGION_BOUNDS[name]
        if progress is not None:
            progress(f"{name}: {spec.sense} {spec.quantity} over {', '.join(spec.free)} ...")
        starts = None
        if seed_points:
            seeds = seed_starts(
                name, model, n_points=seed_points, tolerance=tolerance, seed=seed, progress=progress
            )
            n_seeds = len(seeds[spec.quantity])
            if progress is not None:
                extreme = f", most extreme {spec.quantity} = {seeds[spec.quantity][0]:.3g}"
                progress(f"  seeds: {n_seeds} viable" + (extreme if n_seeds else ""))
            starts = seeds if n_seeds else None
        out[name] = bound(
            model,
            spec.quantity,
            spec.sense,
            _constraints(spec, tolerance),
            free=spec.free,
            limits=dict(spec.limits),
            n_starts=n_starts,
            outer_iterations=outer_iterations,
            inner_steps=inner_steps,
            seed=seed,
            starts=starts,
            progress=progress,
            **bound_options,
        )
        if progress is not None:
            progress(f"  {out[name].verdict} ({out[name].wall_time_s:.0f} s)")
    return out
