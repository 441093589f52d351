"""Scan throughput: points/s against chunk size, compile time, memory, loop speed-up, bucketing.

Every timing is the best of two runs (after compilation).

Run: ``python -m benchmarks.scan_throughput [--max-chunk 65536] [--quick]``

1. Chunk sweep: a Sobol sample of mixed stiffness (|y2|, |lambda2|, T_RH log-uniform around the
   default point) solved by :func:`jaxcogen.scan` with chunk sizes 1, 4, 16, ... up to
   ``--max-chunk``. For each: compile time of the chunk function (ahead-of-time, alone), run
   time and points/s of the whole sample, the chunk function's working memory from XLA's memory
   analysis (temporaries, outputs), the process's peak RSS (cumulative: every compiled chunk
   size stays cached) and, on GPU, JAX's peak device bytes in use.
2. Memory against the number of points at a fixed chunk size, results written to Zarr: peak
   RSS above the RSS before the run (/proc/self/status, high-water mark reset first).
3. A Python loop of single-point :func:`jaxcogen.solve` calls (same settings) on the same sample
   (its first ``--loop-points``, by default all of it up to 1024).
4. Bucketing: a grid whose fast axis is |y2| (wash-out, hence stiffness), scanned with and
   without sorting by :func:`jaxcogen.scanning.stiffness_proxy`; the vmap efficiency is
   sum(steps) / sum over chunks of (chunk size x slowest point's steps).

Writes ``benchmarks/results/scan_throughput_<device>.json``.
"""

import argparse
import tempfile
import time
from pathlib import Path

import jax
import numpy as np

import jaxcogen
from benchmarks.common import environment, print_table, write_json
from jaxcogen.model._parameters import set_parameters
from jaxcogen.scanning._io import BlockLayout, choose_block_shape
from jaxcogen.scanning._sampling import sobol
from jaxcogen.scanning._scan import (
    ChunkRunner,
    ScanPoints,
    _chunk_order,
    _pad,
    _proxy_function,
    _solve_chunk,
    scan,
    scan_settings,
)

BOUNDS = {"y2.abs": (0.01, 1.0), "lambda2.abs": (0.05, 1.0), "T_RH": (1e10, 1e11)}

#: Sections 1-4 time the production stage with the EFT (as RESULTS.md §4 did): the defaults
#: are now the full chain and regime="auto" (compared in ``--issue18``).
SWEEP = {"late_universe": False, "regime": "eft"}

#: ``--issue18``'s extra row: the production stage at rtol 1e-6 (atol 1e-10), against the default 1e-8.
LOOSE_RTOL = 1.0e-6


# ---- memory -----------------------------------------------------------------------------------------


def _status_kb(key: str) -> int | None:
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class PeakMemory:
    """Peak memory of a block of code: host RSS (Linux) or JAX device bytes (GPU), in MB."""

    def __enter__(self):
        self.on_gpu = jax.default_backend() != "cpu"
        try:  # reset the RSS high-water mark (Linux >= 4.0)
            with open("/proc/self/clear_refs", "w") as handle:
                handle.write("5")
            self.resettable = True
        except OSError:
            self.resettable = False
        self.rss_before = _status_kb("VmRSS")
        return self

    def __exit__(self, *exc):
        self.peak_rss_mb = (_status_kb("VmHWM") or 0) / 1024
        self.rss_increase_mb = (
            ((_status_kb("VmHWM") or 0) - (self.rss_before or 0)) / 1024
            if self.resettable
            else None
        )
        self.device_peak_mb = None
        if self.on_gpu:
            stats = jax.local_devices()[0].memory_stats() or {}
            self.device_peak_mb = stats.get("peak_bytes_in_use", 0) / 2**20
        return False

    def record(self) -> dict:
        return {
            "peak_rss_MB": round(self.peak_rss_mb, 1),
            "rss_increase_MB": None
            if self.rss_increase_mb is None
            else round(self.rss_increase_mb, 1),
            "device_peak_MB": None
            if self.device_peak_mb is None
            else round(self.device_peak_mb, 1),
        }


# ---- measurements ----------------------------------------------------------------------------------

REPEATS = 2


def _fastest(run, repeats: int = REPEATS):
    """Best wall time of ``repeats`` calls (the machine may be shared) and the last result."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result


def compile_chunk_function(base, samples: dict, chunk: int) -> tuple[float, dict]:
    """Compile the chunk function ahead of time, as ChunkRunner will call it on device 0.

    Returns the compile time [s] (both passes' chunk functions with ``solver="auto"``) and the
    larger of their memory analyses of the compiled chunk function
    (arguments, outputs and temporaries: the working memory of one chunk, in MB). The compiled
    executable lands in JAX's cache, so the scans that follow do not compile it again.
    """
    runner = ChunkRunner(base, scan_settings(SWEEP), chunk)
    per_device = runner.chunk_size // len(runner.devices)
    device = runner.devices[0]
    values = _pad({k: v[:per_device] for k, v in samples.items()}, per_device)
    values = {k: jax.device_put(v, device) for k, v in values.items()}
    compile_s = 0.0
    sizes = {"temp": 0, "argument": 0, "output": 0}
    for per_device_settings in runner._settings.values():  # one pass per solver ("auto": two)
        start = time.perf_counter()
        compiled = _solve_chunk.lower(runner._models[0], per_device_settings[0], values).compile()
        compile_s += time.perf_counter() - start
        stats = compiled.compiled.memory_analysis()
        if stats is not None:
            sizes = {k: max(v, getattr(stats, f"{k}_size_in_bytes", 0)) for k, v in sizes.items()}
    return compile_s, {f"xla_{k}_MB": round(v / 2**20, 3) for k, v in sizes.items()}


def chunk_sweep(base, samples: dict, chunk_sizes: list[int]) -> list[dict]:
    n = len(next(iter(samples.values())))
    rows = []
    for chunk in chunk_sizes:
        compile_s, xla_memory = compile_chunk_function(base, samples, chunk)
        # two chunks' worth of points: also compiles the stiffness proxy (once per block size)
        first = {k: v[: 2 * chunk] for k, v in samples.items()}
        scan(base, samples=first, chunk_size=chunk, progress=False, solve_options=SWEEP)
        with PeakMemory() as memory:
            run, ds = _fastest(
                lambda c=chunk: scan(
                    base, samples=samples, chunk_size=c, progress=False, solve_options=SWEEP
                )
            )
        rate = n / run
        rows.append(
            {
                "chunk_size": chunk,
                "points": n,
                "compile_s": round(compile_s, 2),
                "run_s": round(run, 3),
                "points_per_s": round(rate, 1),
                "failed": int((ds["status"].values != 0).sum()),
                **xla_memory,
                "peak_rss_MB": memory.record()["peak_rss_MB"],
                "device_peak_MB": memory.record()["device_peak_MB"],
            }
        )
        print(f"  chunk {chunk}: {rate:.1f} points/s", flush=True)
    return rows


def memory_against_points(base, chunk: int, totals: list[int]) -> list[dict]:
    rows = []
    for total in totals:
        samples = sobol(BOUNDS, total, seed=11, log=list(BOUNDS))
        with tempfile.TemporaryDirectory() as tmp, PeakMemory() as memory:
            start = time.perf_counter()
            scan(
                base,
                samples=samples,
                chunk_size=chunk,
                out=Path(tmp) / "s.zarr",
                progress=False,
                solve_options=SWEEP,
            )
            run = time.perf_counter() - start
        rows.append(
            {"chunk_size": chunk, "points": total, "run_s": round(run, 2), **memory.record()}
        )
        print(f"  {total} points: {memory.record()}", flush=True)
    return rows


def python_loop(base, samples: dict, n: int) -> dict:
    """Single-point solves (same settings as the scan: n_save = 2) in a Python loop."""
    models = [set_parameters(base, {k: float(v[i]) for k, v in samples.items()}) for i in range(n)]
    jax.block_until_ready(jaxcogen.solve(models[0], n_save=2, **SWEEP))  # compile

    def loop():
        for model in models:
            jax.block_until_ready(jaxcogen.solve(model, n_save=2, **SWEEP))

    run, _ = _fastest(loop)
    return {"points": n, "run_s": round(run, 3), "points_per_s": round(n / run, 1)}


def _vmap_efficiency(steps: np.ndarray, chunks: list[np.ndarray], chunk: int) -> float:
    useful = steps.sum()
    paid = sum(chunk * steps[c].max() for c in chunks)
    return float(useful / paid)


def bucketing(base, chunk: int, n_y2: int, n_T: int) -> dict:
    grid = {"T_RH": np.geomspace(1e10, 1e11, n_T), "y2.abs": np.geomspace(0.01, 1.0, n_y2)}
    scan(
        base,
        {k: v[:2] for k, v in grid.items()},
        chunk_size=chunk,
        progress=False,
        solve_options=SWEEP,
    )  # compile
    result = {"grid": {k: [float(v[0]), float(v[-1]), len(v)] for k, v in grid.items()}}
    result["chunk_size"] = chunk
    shape = tuple(len(v) for v in grid.values())
    layout = BlockLayout(shape, choose_block_shape(shape, max(16 * chunk, 4096)))
    points = ScanPoints("grid", {k: np.asarray(v, dtype=float) for k, v in grid.items()})
    proxy = _proxy_function(base, points, layout.capacity)
    proxy(np.arange(2))  # compile
    for label, bucket in (("unbucketed", False), ("bucketed", True)):
        run, ds = _fastest(
            lambda b=bucket: scan(
                base, grid, chunk_size=chunk, progress=False, bucket=b, solve_options=SWEEP
            )
        )
        steps = ds["num_steps"].values.reshape(-1).astype(float)
        done = np.zeros(points.n_points, dtype=bool)
        chunks = list(_chunk_order(layout, done, chunk, proxy if bucket else None))
        result[label] = {
            "run_s": round(run, 3),
            "points_per_s": round(points.n_points / run, 1),
            "vmap_efficiency": round(_vmap_efficiency(steps, chunks, chunk), 3),
        }
    result["speedup"] = round(result["unbucketed"]["run_s"] / result["bucketed"]["run_s"], 2)
    proxies = proxy(np.arange(points.n_points))
    ranks = np.argsort(np.argsort(proxies)), np.argsort(np.argsort(steps))
    result["proxy_step_rank_correlation"] = round(float(np.corrcoef(*ranks)[0, 1]), 3)
    result["steps_min_median_max"] = [int(steps.min()), int(np.median(steps)), int(steps.max())]
    return result


# ---- issue 18: production-only and full-chain throughput, against a bare vmapped Tsit5 --------------


def bare_tsit5_points_per_s(base, samples: dict, chunk: int) -> float:
    """The ceiling: a plain ``vmap`` of a Tsit5 solve of the four production equations
    (:class:`~jaxcogen.production._boltzmann.BoltzmannSystem`, same tolerances and controller,
    final state only; no solver choice, validity flags, diagnostics or observables)."""
    import diffrax
    import jax.numpy as jnp

    from jaxcogen import constants
    from jaxcogen.production._boltzmann import BoltzmannSystem

    @jax.jit
    def solve(values):
        def one(v):
            model = base.with_parameters(v)
            system = BoltzmannSystem(model)
            tau_end = jnp.minimum(-jnp.log(1e-8), jnp.log(model.T_RH / constants.T_sph))
            sol = diffrax.diffeqsolve(
                diffrax.ODETerm(system.vector_field),
                diffrax.Tsit5(),
                0.0,
                tau_end,
                None,
                system.initial_state(),
                saveat=diffrax.SaveAt(t1=True),
                stepsize_controller=diffrax.PIDController(
                    rtol=1e-8, atol=1e-12, pcoeff=0.3, icoeff=0.4
                ),
                max_steps=4096,
                throw=False,
            )
            return sol.ys[-1]

        return jax.vmap(one)(values)

    n = len(next(iter(samples.values())))
    batches = [
        _pad({k: v[i : i + chunk] for k, v in samples.items()}, chunk) for i in range(0, n, chunk)
    ]
    jax.block_until_ready(solve(batches[0]))  # compile
    run, _ = _fastest(lambda: [jax.block_until_ready(solve(b)) for b in batches])
    return n / run


def issue18_throughput(base, samples: dict, chunk: int, regime_auto: bool = False) -> dict:
    """Scan throughput on one sample, every figure from this process (ratios are what to read):
    the bare vmapped Tsit5 ceiling, the production-only scan before and after this issue's
    changes to the chunk runner (``before``: every solver pass over a whole chunk), the
    full-chain scan (one chunk at a time, then :func:`jaxcogen.scanning.default_threads` chunks
    at once), all with the EFT (``regime="eft"``), and with ``regime_auto`` the default
    full chain with ``regime="auto"``; each with the time of its first (compiling) scan."""
    import jaxcogen.scanning._scan as scan_module

    n = len(next(iter(samples.values())))
    rows: dict[str, dict] = {}
    datasets: dict[str, object] = {}

    def measure(label: str, options: dict | None, configure=None, threads=None) -> None:
        saved = scan_module.SUB_BATCH_MIN_CHUNK
        try:
            if configure is not None:
                configure()
            first = {k: v[: 2 * chunk] for k, v in samples.items()}
            start = time.perf_counter()
            scan(
                base,
                samples=first,
                chunk_size=chunk,
                progress=False,
                solve_options=options,
                threads=threads,
            )
            compile_s = time.perf_counter() - start
            run, ds = _fastest(
                lambda: scan(
                    base,
                    samples=samples,
                    chunk_size=chunk,
                    progress=False,
                    solve_options=options,
                    threads=threads,
                )
            )
        finally:
            scan_module.SUB_BATCH_MIN_CHUNK = saved
        rows[label] = {
            "points_per_s": round(n / run, 1),
            "run_s": round(run, 3),
            "first_2_chunks_s": round(compile_s, 1),
            "failed": int((ds["status"].values != 0).sum()),
        }
        datasets[label] = ds
        print(f"  {label}: {n / run:.1f} points/s", flush=True)

    def whole_chunk_passes() -> None:
        scan_module.SUB_BATCH_MIN_CHUNK = 1 << 62

    bare = bare_tsit5_points_per_s(base, samples, chunk)
    rows["bare_vmapped_tsit5"] = {"points_per_s": round(bare, 1)}
    print(f"  bare vmapped Tsit5: {bare:.1f} points/s", flush=True)
    # the EFT everywhere (regime="eft"), as the issue's figures; regime="auto" (the default)
    # integrates dynamical heavy neutrinos wherever the EFT is not trusted: its own row
    eft = {"regime": "eft"}
    measure(
        "production_only_before", {**eft, "late_universe": False}, whole_chunk_passes, threads=1
    )
    # one chunk at a time (as before threads), then the default (one thread per core)
    measure("production_only_one_thread", {**eft, "late_universe": False}, threads=1)
    measure("full_chain_one_thread", eft, threads=1)
    measure("production_only", {**eft, "late_universe": False})
    measure("full_chain", eft)
    if regime_auto:
        measure("full_chain_regime_auto", None)
    # information for the 2e4 points/s target, not a default: the production stage at 100x looser
    # tolerances (Tsit5 steps fall like rtol^(1/5)), and how far its Delta Y_B moves
    loose = {"rtol": LOOSE_RTOL, "atol": LOOSE_RTOL * 1e-4}
    measure("production_only_rtol_1e-6", {**eft, "late_universe": False, **loose})
    reference = datasets["production_only"]["DeltaY_B"].values
    moved = np.abs(datasets["production_only_rtol_1e-6"]["DeltaY_B"].values / reference - 1.0)
    rows["production_only_rtol_1e-6"]["DeltaY_B_max_relative_change"] = float(np.max(moved))
    rows["production_only_rtol_1e-6"]["DeltaY_B_median_relative_change"] = float(np.median(moved))
    production = rows["production_only"]["points_per_s"]
    for row in rows.values():
        row["ratio_to_production_only"] = round(row["points_per_s"] / production, 3)
    return {
        "chunk_size": chunk,
        "points": n,
        "threads": jaxcogen.scanning.default_threads(),
        "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-chunk", type=int, default=1024, help="largest chunk (GPU: 65536)")
    parser.add_argument("--points", type=int, default=None, help="sample size of the sweep")
    parser.add_argument(
        "--loop-points", type=int, default=1024, help="points of the single-solve loop"
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    parser.add_argument(
        "--issue18",
        action="store_true",
        help="only the production-only / full-chain / bare Tsit5 comparison (RESULTS.md §11)",
    )
    parser.add_argument("--chunk", type=int, default=256, help="chunk size of --issue18")
    parser.add_argument(
        "--regime-auto", action="store_true", help="--issue18: also the regime='auto' full chain"
    )
    args = parser.parse_args()
    if args.issue18:
        base = jaxcogen.CogenesisModel(**jaxcogen.benchmark_points["default"])
        n = args.points or 2048
        samples = sobol(BOUNDS, n, seed=5, log=list(BOUNDS))
        print(f"device: {jax.devices()[0]}; {n} Sobol points, chunk {args.chunk}")
        result = issue18_throughput(base, samples, args.chunk, args.regime_auto)
        print_table(
            [{"scan": k, **v} for k, v in result["rows"].items()],
            ["scan", "points_per_s", "ratio_to_production_only", "run_s", "first_2_chunks_s"],
        )
        path = write_json(
            "scan_throughput_issue18",
            {
                "sample_bounds": {k: list(v) for k, v in BOUNDS.items()},
                **result,
                "environment_extra": {"backend": jax.default_backend(), **_versions()},
            },
        )
        print(f"\nwrote {path}")
        return

    chunk_sizes = [c for c in (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536) if c <= args.max_chunk]
    n_points = args.points or max(1024, args.max_chunk)
    totals, memory_chunk, grid_shape = [256, 1024, 4096], 64, (32, 8)
    loop_points = min(args.loop_points, n_points)  # the same points as the sweep
    if args.quick:
        chunk_sizes, n_points, totals, loop_points, grid_shape = [1, 4, 16], 32, [32, 64], 8, (8, 4)
        memory_chunk = 16
    base = jaxcogen.CogenesisModel(**jaxcogen.benchmark_points["default"])
    samples = sobol(BOUNDS, n_points, seed=5, log=list(BOUNDS))
    print(f"device: {jax.devices()[0]}, {len(jax.local_devices())} local device(s)")
    print(f"settings: {scan_settings(SWEEP)}")

    print("chunk sweep")
    sweep = chunk_sweep(base, samples, chunk_sizes)
    print("memory against points")
    memory = memory_against_points(base, memory_chunk, totals)
    print("python loop")
    loop = python_loop(base, samples, loop_points)
    best = max(sweep, key=lambda r: r["points_per_s"])
    loop["best_scan_points_per_s"] = best["points_per_s"]
    loop["speedup_best_scan_over_loop"] = round(best["points_per_s"] / loop["points_per_s"], 2)
    print("bucketing")
    buckets = bucketing(base, 16, *grid_shape)

    print("\nPoints/s against chunk size")
    columns = ["chunk_size", "points", "compile_s", "run_s", "points_per_s"]
    print_table(sweep, columns + ["xla_temp_MB", "xla_output_MB", "peak_rss_MB", "device_peak_MB"])
    print(f"\nPeak memory against total points (chunk {memory_chunk}, Zarr output)")
    print_table(memory, ["points", "run_s", "peak_rss_MB", "rss_increase_MB", "device_peak_MB"])
    print(
        f"\nPython loop of single solves: {loop['points_per_s']} points/s; best scan "
        f"{best['points_per_s']} points/s (chunk {best['chunk_size']}): "
        f"x{loop['speedup_best_scan_over_loop']}"
    )
    print(f"\nBucketing ({buckets['grid']}, chunk {buckets['chunk_size']})")
    print_table(
        [{"order": k, **buckets[k]} for k in ("unbucketed", "bucketed")],
        ["order", "run_s", "points_per_s", "vmap_efficiency"],
    )
    print(
        f"speed-up x{buckets['speedup']}; proxy/steps rank correlation "
        f"{buckets['proxy_step_rank_correlation']}; steps {buckets['steps_min_median_max']}"
    )
    path = write_json(
        "scan_throughput",
        {
            "sample_bounds": {k: list(v) for k, v in BOUNDS.items()},
            "chunk_sweep": sweep,
            "memory_against_points": memory,
            "python_loop": loop,
            "bucketing": buckets,
            "local_devices": len(jax.local_devices()),
            "environment_extra": {"backend": jax.default_backend(), **_versions()},
        },
    )
    print(f"\nwrote {path}")


def _versions() -> dict:
    env = environment()
    return {"jax": env["jax"], "jaxlib": env["jaxlib"], "diffrax": env["diffrax"]}


if __name__ == "__main__":
    main()
