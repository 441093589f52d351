"""Wall time of the whole ``jaxcogen solve`` command: first run (empty caches) and repeated runs.

Each run is a fresh process (``python -m jaxcogen.cli solve --json``) with its own
``XDG_CACHE_HOME`` (a temporary directory, so neither the user's caches nor an earlier run
count), timed from start to exit; ``python -c "import jaxcogen"`` is timed in the same way, in
the same session, as the floor no command can go below. The first run compiles the solver
(stderr says "compiling the solver (first run only)…"); the repeated runs load the stored
executable (:mod:`jaxcogen.cli._compiled`) and must not compile, and must print the same
numbers. Also runs ``--production-only`` (other static settings: a separate executable).

Targets (issue 21): first run <= 10 s, repeated run <= 3 s; on a loaded machine compare the
repeated run with the import floor instead (the overhead above it is what the command adds).

    python benchmarks/cli_wall_time.py [--repeats 3]

Writes ``benchmarks/results/cli_wall_time_<device>.json``.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import print_table, write_json  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
COMPILING = "compiling the solver"


def timed(args: list[str], cache: Path) -> dict:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    start = time.perf_counter()
    process = subprocess.run(
        [sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=900
    )
    wall = time.perf_counter() - start
    if process.returncode != 0:
        raise RuntimeError(f"{args} failed ({process.returncode}): {process.stderr[-2000:]}")
    return {"wall_s": wall, "compiled": COMPILING in process.stderr, "stdout": process.stdout}


def observables(stdout: str) -> dict:
    document = json.loads(stdout)
    return {k: v for k, v in document.items() if not isinstance(v, dict) and k != "wall_time_s"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    options = parser.parse_args()

    rows, results = [], {}
    with tempfile.TemporaryDirectory(prefix="jaxcogen-cli-bench-") as tmp:
        imports = [
            timed(["-c", "import jaxcogen"], Path(tmp) / "import") for _ in range(options.repeats)
        ]
        floor = statistics.median(r["wall_s"] for r in imports)
        rows.append({"command": 'python -c "import jaxcogen"', "run": "median", "wall_s": floor})
        results["import_jaxcogen_s"] = [r["wall_s"] for r in imports]
        for label, extra in (("solve", []), ("solve --production-only", ["--production-only"])):
            cache = Path(tmp) / label.replace(" ", "_")
            command = ["-m", "jaxcogen.cli", "solve", "--json", *extra]
            first = timed(command, cache)
            repeated = [timed(command, cache) for _ in range(options.repeats)]
            same = all(observables(r["stdout"]) == observables(first["stdout"]) for r in repeated)
            median = statistics.median(r["wall_s"] for r in repeated)
            results[label] = {
                "first_s": first["wall_s"],
                "first_compiled": first["compiled"],
                "repeated_s": [r["wall_s"] for r in repeated],
                "repeated_median_s": median,
                "repeated_compiled": any(r["compiled"] for r in repeated),
                "repeated_over_import_s": median - floor,
                "same_numbers": same,
            }
            rows.append({"command": f"jaxcogen {label}", "run": "first", "wall_s": first["wall_s"]})
            rows.append(
                {"command": f"jaxcogen {label}", "run": "repeated (median)", "wall_s": median}
            )
            if not first["compiled"] or results[label]["repeated_compiled"] or not same:
                print(f"warning: {label}: {results[label]}", file=sys.stderr)
    rows = [{**r, "wall_s": f"{r['wall_s']:.2f}"} for r in rows]
    print_table(rows, ["command", "run", "wall_s"])
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = None
    payload = {
        "results": results,
        "load_average_1min": load,
        "targets": {"first_s": 10.0, "repeated_s": 3.0},
    }
    print(f"wrote {write_json('cli_wall_time', payload)}")


if __name__ == "__main__":
    main()
