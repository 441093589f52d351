"""Shared helpers of the benchmark scripts: environment record, timing, JSON output."""

import datetime
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import jax

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def environment() -> dict:
    """Versions, device and machine, recorded in every JSON result."""
    import diffrax
    import equinox
    import jaxlib

    device = jax.devices()[0]
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "jax": jax.__version__,
        "jaxlib": jaxlib.__version__,
        "diffrax": diffrax.__version__,
        "equinox": equinox.__version__,
        "device": f"{device.platform}:{getattr(device, 'device_kind', '')}",
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }


def device_tag() -> str:
    return jax.devices()[0].platform


def time_call(fn: Callable[[], object], repeats: int = 20) -> dict:
    """Median and minimum wall time [s] of ``fn`` (which must block until its result is ready)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return {"median_s": statistics.median(times), "min_s": min(times), "repeats": repeats}


def write_json(name: str, payload: dict) -> Path:
    """Write ``payload`` plus the environment to ``benchmarks/results/<name>_<device>.json``."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}_{device_tag()}.json"
    path.write_text(json.dumps({"environment": environment(), **payload}, indent=2, default=float))
    return path


def print_table(rows: list[dict], columns: list[str]) -> None:
    """A plain aligned text table."""
    cells = [[str(c) for c in columns]] + [[_fmt(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    for k, row in enumerate(cells):
        print("  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)))
        if k == 0:
            print("  ".join("-" * w for w in widths))


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)
