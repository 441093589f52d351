"""The abstract's claims as bounds: min M1, min and max m_chi over the viable region (issue 20).

Runs :func:`jaxcogen.bounds.viable_region_bounds` (the problems of
``jaxcogen.bounds.VIABLE_REGION_BOUNDS``) from the built-in point, prints the table "claim |
jaxcogen's bound | the point | what limits it", and writes
``benchmarks/results/bounds_table_<device>.json`` after each bound (the notebook
``02_viable_region.ipynb`` and the README read it).

    python -m benchmarks.bounds_table                       # all three, 4 starts, 10 x 20 steps
    python -m benchmarks.bounds_table --only m_chi_max --starts 8 --outer 20 --inner 30
    python -m benchmarks.bounds_table --only M1_min --from-stored --starts 1 --outer 2 --inner 10
    python -m benchmarks.bounds_table --only M1_min --from-stored --starts 1 --outer 1 --inner 1 --polish 150

Each bound starts from the most extreme viable points of a seeding scan
(:func:`jaxcogen.bounds.seed_starts`, ``--seed-points``, 0 for none). ``--from-stored`` starts
from the stored bound point instead (its free parameters set on the built-in
point; the model's own point is start 0), so a further run continues an earlier one; the row
records the earlier runs' settings and wall times with its own. Each polishing step's point is
written to ``benchmarks/results/bounds_polishing_<device>.json`` as it is taken; ``--from-stored``
continues from there when a stopped run's last step went beyond the stored bound (the run's
record then names that step's value: a stopped run leaves no record of its own).
"""

import argparse
import json
import time

from benchmarks.common import RESULTS_DIR, device_tag, write_json
from jaxcogen.bounds import VIABLE_REGION_BOUNDS, viable_region_bounds
from jaxcogen.bounds._viable_region import SEED_POINTS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None, choices=list(VIABLE_REGION_BOUNDS))
    parser.add_argument("--starts", type=int, default=4)
    parser.add_argument("--outer", type=int, default=10)
    parser.add_argument("--inner", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--seed-points",
        type=int,
        default=None,
        help="points of the seeding scan (jaxcogen.bounds.seed_starts; 0: no seeding)",
    )
    parser.add_argument("--from-stored", action="store_true", help="start from the stored point")
    parser.add_argument(
        "--polish",
        type=int,
        default=None,
        help="most polishing steps after the optimisation (default: bound's polish_iterations)",
    )
    args = parser.parse_args()

    path = RESULTS_DIR / f"bounds_table_{device_tag()}.json"

    def stored() -> dict:
        """The rows on disk (another run may have written some meanwhile)."""
        return json.loads(path.read_text()).get("bounds", {}) if path.exists() else {}

    polishing_path = RESULTS_DIR / f"bounds_polishing_{device_tag()}.json"

    def polishing() -> dict:
        """The latest polishing step of each bound (written as each step is taken)."""
        return json.loads(polishing_path.read_text()) if polishing_path.exists() else {}

    def record_step(name: str):
        def record(parameters: dict, value: float) -> None:
            steps = polishing()
            steps[name] = {"value": value, "parameters": parameters}
            polishing_path.write_text(json.dumps(steps, indent=2))

        return record

    names = args.only or list(VIABLE_REGION_BOUNDS)
    seed_points = SEED_POINTS if args.seed_points is None else args.seed_points
    rows = stored()
    for name in names:
        start = time.perf_counter()
        model, earlier, continued = None, [], None
        if args.from_stored and name in rows and rows[name]["found"]:
            import jaxcogen

            base = jaxcogen.CogenesisModel(**jaxcogen.benchmark_points["default"])
            parameters = rows[name]["parameters"]
            step = polishing().get(name)
            sign = 1.0 if VIABLE_REGION_BOUNDS[name].sense == "min" else -1.0
            if step is not None and sign * step["value"] < sign * rows[name]["value"]:
                # a stopped run's last polishing step went beyond the stored bound
                print(
                    f"{name}: continuing from a stopped run's polishing step ({step['value']:.6g})"
                )
                parameters = step["parameters"]
                continued = step["value"]
            model = base.with_parameters(parameters)
            earlier = rows[name].get(
                "runs", [rows[name]["settings"] | {"wall_s": rows[name]["wall_s"]}]
            )
        (result,) = viable_region_bounds(
            model,
            names=[name],
            n_starts=args.starts,
            outer_iterations=args.outer,
            inner_steps=args.inner,
            seed=args.seed,
            # a continued run starts from the stored point (the model's own start), not seeds
            seed_points=0 if earlier else seed_points,
            **({} if args.polish is None else {"polish_iterations": args.polish}),
            on_polish_step=record_step(name),
        ).values()
        spec = VIABLE_REGION_BOUNDS[name]
        row = {
            "claim": spec.claim,
            "claimed_GeV": spec.claimed,
            "settings": {
                "starts": args.starts,
                "outer": args.outer,
                "inner": args.inner,
                "seed": args.seed,
                "seed_points": seed_points,
                "polish": args.polish,
            },
            "wall_s": time.perf_counter() - start,
            "runs": earlier
            + [
                {
                    "starts": args.starts,
                    "outer": args.outer,
                    "inner": args.inner,
                    "seed": args.seed,
                    "seed_points": seed_points,
                    "from_stored": bool(earlier),
                    # the stopped run's last polishing step it went on from (None: the row)
                    "continued_from_polishing_step": continued,
                    "polish": args.polish,
                    "wall_s": time.perf_counter() - start,
                }
            ],
            **result.to_dict(),
        }
        rows = stored() | {name: row}
        write_json("bounds_table", {"bounds": rows})
    print(f"\n{'bound':<10} {'claim':<48} {'jaxcogen':>11} {'feasible':>8}  limited by")
    for name, row in rows.items():
        value = row["value"]
        value_text = f"{value:.3g}" if isinstance(value, float) else str(value)
        limited = "; ".join(row["active_constraints"] + row["active_limits"]) or "interior"
        print(
            f"{name:<10} {row['claim']:<48} {value_text:>11} "
            f"{row['starts_feasible']}/{row['starts']:<6}  {limited}"
        )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
