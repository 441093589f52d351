"""Single point: compile and warm time of ``jaxcogen.solve`` against scipy on the same equations.

Run: ``python -m benchmarks.single_point [--point default] [--repeats 30]``

The scipy reference is the independent NumPy implementation of the same Boltzmann system in
``tests/reference_numpy.py`` (Radau and LSODA). "Same accuracy": a tight Radau run (rtol 1e-12) is
the truth; jaxcogen's error at its default tolerances is measured against it, and each scipy
method is timed at the loosest rtol that reaches an error no larger than jaxcogen's.
"""

import argparse
import time

import jax

import jaxcogen
from benchmarks.common import print_table, time_call, write_json
from tests.reference_numpy import reference_solve

OUTPUTS = ("DeltaY_B", "DeltaY_chi", "SigmaY_chi", "xi_final")


def max_relative_error(values: dict, truth: dict) -> float:
    return max(abs(float(values[k]) / float(truth[k]) - 1.0) for k in OUTPUTS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--point", default="default")
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()

    params = dict(jaxcogen.benchmark_points[args.point])
    model = jaxcogen.CogenesisModel(**params)

    truth = reference_solve(params, rtol=1e-12)
    rows = []
    for solver in ("auto", "Kvaerno5"):
        start = time.perf_counter()
        sol = jaxcogen.solve(model, solver=solver, late_universe=False)
        jax.block_until_ready(sol)
        first_call = time.perf_counter() - start
        warm = time_call(
            lambda s=solver: jax.block_until_ready(
                jaxcogen.solve(model, solver=s, late_universe=False)
            ),
            args.repeats,
        )
        rows.append(
            {
                "method": f"jaxcogen {solver}" + (" (default)" if solver == "auto" else ""),
                "rtol": 1e-8,
                "max_rel_error": max_relative_error({k: getattr(sol, k) for k in OUTPUTS}, truth),
                "warm_ms": 1e3 * warm["median_s"],
                "compile_s": first_call - warm["median_s"],
                "steps_or_nfev": int(sol.num_steps),
            }
        )
    our_error = rows[0]["max_rel_error"]

    for method in ("Radau", "LSODA"):
        chosen = None
        for rtol in (1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11):
            ref = reference_solve(params, rtol=rtol, method=method)
            if max_relative_error(ref, truth) <= max(our_error, 1e-12):
                chosen = (rtol, ref)
                break
        if chosen is None:
            continue
        rtol, ref = chosen
        timing = time_call(lambda r=rtol, m=method: reference_solve(params, rtol=r, method=m), 5)
        rows.append(
            {
                "method": f"scipy {method} (NumPy reference)",
                "rtol": rtol,
                "max_rel_error": max_relative_error(ref, truth),
                "warm_ms": 1e3 * timing["median_s"],
                "compile_s": 0.0,
                "steps_or_nfev": int(ref["nfev"]),
            }
        )
    for row in rows[1:]:
        row["ratio_vs_jaxcogen"] = row["warm_ms"] / rows[0]["warm_ms"]
    columns = ["method", "rtol", "max_rel_error", "warm_ms", "compile_s", "steps_or_nfev"]
    print(f"Single point '{args.point}' ({jax.devices()[0].platform}):")
    print_table(rows, columns + ["ratio_vs_jaxcogen"])
    path = write_json("single_point", {"point": args.point, "rows": rows})
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
