"""Where does the production stage become stiff? Tsit5 against Kvaerno5 across parameter space.

For a Sobol sample of wide ranges (couplings up to 3, M_1/T_RH from 5 to 1e3, T_RH from 1e8 to
1e14 GeV) each point is solved with the explicit Tsit5 and the implicit Kvaerno5 at the default
tolerances, and compared with the point's stiffness ratio
:func:`jaxcogen.production.stiffness_ratio` (the largest relaxation rate per e-fold at T_RH). The
table bins the points by that ratio: steps, warm time and agreement of the two solvers. The
threshold of ``solver="auto"`` (Tsit5 below it, Kvaerno5 above) is read off this table.

Run: ``python -m benchmarks.solver_choice [--points 256]``.
Writes ``benchmarks/results/solver_choice_<device>.json``.
"""

import argparse
import time

import jax
import numpy as np

import jaxcogen
from benchmarks.common import print_table, write_json
from jaxcogen.model._parameters import set_parameters
from jaxcogen.production._settings import SolveSettings
from jaxcogen.production._solve import _solve_jit, stiffness_ratio
from jaxcogen.scanning._sampling import sobol

BOUNDS = {
    "y1.abs": (0.01, 3.0),
    "y2.abs": (0.01, 3.0),
    "lambda1.abs": (0.01, 3.0),
    "lambda2.abs": (0.01, 3.0),
    "T_RH": (1e8, 1e14),
    "M1": (5.0, 1e3),  # in units of T_RH, converted below
}
OBSERVABLES = ("DeltaY_B", "DeltaY_chi", "SigmaY_chi", "xi_final")


def sample_models(n: int, seed: int) -> list[jaxcogen.CogenesisModel]:
    base = jaxcogen.CogenesisModel(**jaxcogen.benchmark_points["default"])
    values = sobol(BOUNDS, n, seed=seed, log=list(BOUNDS))
    models = []
    for i in range(n):
        point = {k: float(v[i]) for k, v in values.items()}
        point["M1"] = point["M1"] * point["T_RH"]
        point["M2"] = 3.0 * point["M1"]
        models.append(set_parameters(base, point))
    return models


def timed_solve(model, settings):
    start = time.perf_counter()
    sol = _solve_jit(model, settings)
    jax.block_until_ready(sol.DeltaY_B)
    return sol, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=256)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()

    models = sample_models(args.points, args.seed)
    settings = {name: SolveSettings.create(solver=name) for name in ("Tsit5", "Kvaerno5")}
    ratio_fn = jax.jit(stiffness_ratio)
    for s in settings.values():  # compile
        timed_solve(models[0], s)
    records = []
    for model in models:
        record = {"stiffness_ratio": float(ratio_fn(model))}
        sols = {}
        for name, s in settings.items():
            sol, seconds = timed_solve(model, s)
            sols[name] = sol
            record[f"{name}_steps"] = int(sol.num_steps)
            record[f"{name}_ms"] = 1e3 * seconds
            record[f"{name}_status"] = sol.status_name
        both_ok = all(int(sol.status) == 0 for sol in sols.values())
        record["max_rel_difference"] = (
            max(
                abs(float(getattr(sols["Tsit5"], k)) / float(getattr(sols["Kvaerno5"], k)) - 1.0)
                for k in OBSERVABLES
            )
            if both_ok
            else float("nan")
        )
        records.append(record)

    edges = [0.0, 1.0, 10.0, 30.0, 100.0, 300.0, 1e3, 1e4, np.inf]
    rows = []
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        group = [r for r in records if low <= r["stiffness_ratio"] < high]
        if not group:
            continue
        rows.append(
            {
                "ratio_bin": f"[{low:g}, {high:g})",
                "points": len(group),
                "Tsit5_steps_median": float(np.median([r["Tsit5_steps"] for r in group])),
                "Kvaerno5_steps_median": float(np.median([r["Kvaerno5_steps"] for r in group])),
                "Tsit5_ms_median": float(np.median([r["Tsit5_ms"] for r in group])),
                "Kvaerno5_ms_median": float(np.median([r["Kvaerno5_ms"] for r in group])),
                "Tsit5_failed": sum(r["Tsit5_status"] != "success" for r in group),
                "Kvaerno5_failed": sum(r["Kvaerno5_status"] != "success" for r in group),
                "max_rel_difference": float(
                    np.nanmax([r["max_rel_difference"] for r in group] + [0.0])
                ),
            }
        )
    print_table(rows, list(rows[0]))
    path = write_json("solver_choice", {"bounds": BOUNDS, "bins": rows, "points": records})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
