"""Cost of the late-universe stage (issue 18): adaptive diffrax ``RiccatiESDIRK`` vs fixed-grid BDF2.

Prints two tables (compile time separate from the warm time, medians of repeats) and writes
``benchmarks/results/late_universe_<device>.json``:

* single point: ``jaxcogen.solve(model, late_universe=False)`` and ``jaxcogen.solve(model)`` at
  the built-in point; the late stage alone (``late_universe_from_yields``) at that point's yields
  and at three harder points (both relic parts, mostly symmetric, purely symmetric) with the
  default ``integrator="esdirk"`` and with ``integrator="bdf2"`` (4000 + 2000 steps), against SciPy
  Radau (rtol 1e-12, ``tests/test_late_universe_reference.py``) on the same equations;
* ``jax.vmap`` throughput (points/s) for batches of 64 and 256 points of one sample (m_chi
  log-uniform in [1e-2, 1e3] GeV, m_phi/m_chi in [1.01, 100], kappa in [1e-2, 3]): the late stage
  alone (ESDIRK, BDF2), and the production-only and full-chain solve of the built-in model with
  those m_chi, m_phi, kappa.

Run: ``python -m benchmarks.late_universe`` (``--quick``: single points only, no Radau).
"""

import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

import jaxcogen
from benchmarks.common import print_table, time_call, write_json
from jaxcogen.late_universe import _dark_freezeout as lu
from jaxcogen.production._settings import SolveSettings
from jaxcogen.production._solve import solve_unjitted

#: (DeltaY_chi, SigmaY_chi, xi_end, m_chi, m_phi, kappa) of the harder single points.
POINTS = {
    "both parts (m 100 GeV, kappa 0.3)": (1e-12, 1e-8, 0.1, 100.0, 300.0, 0.3),
    "mostly symmetric (m 10 GeV, kappa 1e-3)": (1e-13, 1e-8, 0.2, 10.0, 10.1, 1e-3),
    "purely symmetric (m 1e4 GeV, kappa 0.05)": (0.0, 1e-9, 0.3, 1e4, 1.5e4, 0.05),
}


def _late(integrator):
    def omega(DeltaY_chi, SigmaY_chi, xi_end, m_chi, m_phi, kappa):
        late = lu.late_universe_from_yields(
            DeltaY_chi=DeltaY_chi, SigmaY_chi=SigmaY_chi, xi_end=xi_end, DeltaY_B=0.0,
            m_chi=m_chi, m_phi=m_phi, kappa=kappa, T_RH=1e10, integrator=integrator,
        )  # fmt: skip
        return late.Omega_chi_h2, late.num_steps

    return omega


def _compile_and_time(fn, *args, repeats=20):
    jitted = jax.jit(fn)
    start = time.perf_counter()
    out = jax.block_until_ready(jitted(*args))
    compile_s = time.perf_counter() - start
    timing = time_call(lambda: jax.block_until_ready(jitted(*args)), repeats)
    return out, compile_s, timing


#: Rounds of the round-robin timing of the two ``jaxcogen.solve`` rows.
SOLVE_ROUNDS = 7


def _sample(n, seed=0):
    rng = np.random.default_rng(seed)
    m = 10.0 ** rng.uniform(-2, 3, n)
    ratio = 10.0 ** rng.uniform(np.log10(1.01), 2, n)
    kappa = 10.0 ** rng.uniform(-2, 0.5, n)
    return m, ratio * m, kappa


def single_points(model, quick):
    rows = []
    cases = (("solve, production only", False), ("solve, full chain", True))
    for name, late in cases:
        start = time.perf_counter()
        sol = jax.block_until_ready(jaxcogen.solve(model, late_universe=late))
        rows.append(dict(what=name, compile_s=time.perf_counter() - start))
    # round-robin (each round times both, median of 20 calls): a change of the machine's speed
    # during the run hits both alike; the ratio is the median over rounds of each round's ratio
    rounds = {late: [] for _, late in cases}
    for _ in range(SOLVE_ROUNDS):
        for _, late in cases:
            t = time_call(
                lambda late=late: jax.block_until_ready(jaxcogen.solve(model, late_universe=late))
            )
            rounds[late].append(t["median_s"])
    for row, (_, late) in zip(rows, cases, strict=True):
        row["warm_ms"] = 1e3 * float(np.median(rounds[late]))
        row["ratio_to_production_only"] = float(
            np.median(np.asarray(rounds[late]) / np.asarray(rounds[False]))
        )
    points = {
        "built-in point": tuple(
            float(v)
            for v in (
                sol.DeltaY_chi,
                sol.SigmaY_chi,
                sol.xi_final,
                model.m_chi,
                model.m_phi,
                model.kappa,
            )
        ),  # fmt: skip
        **POINTS,
    }
    if not quick:
        from tests.test_late_universe_reference import reference_omega
    for label, point in points.items():
        args = tuple(jnp.asarray(v) for v in point)
        ref = None
        if not quick:
            start = time.perf_counter()
            ref = reference_omega(*point)
            rows.append(dict(what=f"{label}: SciPy Radau rtol 1e-12", compile_s=0.0,
                             warm_ms=1e3 * (time.perf_counter() - start), Omega_h2=ref))  # fmt: skip
        for integrator in ("esdirk", "bdf2"):
            (omega, steps), c, t = _compile_and_time(
                _late(integrator), *args, repeats=20 if integrator == "esdirk" else 5
            )
            row = dict(what=f"{label}: late stage, {integrator}", compile_s=c,
                       warm_ms=1e3 * t["median_s"], steps=int(steps), Omega_h2=float(omega))  # fmt: skip
            if ref is not None:
                row["rel_vs_radau"] = float(omega) / ref - 1.0
            rows.append(row)
    return rows


def throughput(model, batches=(64, 256)):
    rows = []
    for n in batches:
        m_chi, m_phi, kappa = _sample(n)
        yields = (jnp.asarray(2.2e-10 / m_chi), jnp.asarray(2.2e-8 / m_chi), jnp.full(n, 0.2),
                  jnp.asarray(m_chi), jnp.asarray(m_phi), jnp.asarray(kappa))  # fmt: skip
        for integrator in ("esdirk", "bdf2"):
            (out, steps), c, t = _compile_and_time(jax.vmap(_late(integrator)), *yields, repeats=3)
            rows.append(dict(what=f"late stage {integrator}", batch=n, compile_s=c,
                             warm_s=t["median_s"], points_per_s=n / t["median_s"],
                             max_steps=int(np.max(steps)),
                             finite=int(np.isfinite(np.asarray(out)).sum())))  # fmt: skip
        models = jax.vmap(model.with_parameters)(
            {"m_chi": jnp.asarray(m_chi), "m_phi": jnp.asarray(m_phi), "kappa": jnp.asarray(kappa)}
        )
        for label, late in (("solve, production only", False), ("solve, full chain", True)):
            settings = SolveSettings.create(late_universe=late)

            def run(models, settings=settings):
                sol = jax.vmap(lambda md: solve_unjitted(md, settings))(models)
                return sol.status

            status, c, t = _compile_and_time(run, models, repeats=3)
            rows.append(dict(what=label, batch=n, compile_s=c, warm_s=t["median_s"],
                             points_per_s=n / t["median_s"],
                             finite=int((np.asarray(status) == 0).sum())))  # fmt: skip
    return rows


def main() -> None:
    quick = "--quick" in sys.argv
    model = jaxcogen.CogenesisModel(**jaxcogen.benchmark_points["default"])
    rows = single_points(model, quick)
    print_table(
        rows,
        [
            "what",
            "compile_s",
            "warm_ms",
            "ratio_to_production_only",
            "steps",
            "Omega_h2",
            "rel_vs_radau",
        ],
    )
    vmapped = [] if quick else throughput(model)
    if vmapped:
        print()
        print_table(vmapped, ["what", "batch", "compile_s", "warm_s", "points_per_s",
                              "max_steps", "finite"])  # fmt: skip
    path = write_json("late_universe", {"single_point": rows, "vmap": vmapped})
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
