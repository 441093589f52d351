"""Validation models: per-point and batched cost of jaxcogen's leptogenesis solve against ULYSSES.

Both codes solve the same two equations (BDP's decays + inverse decays, ULYSSES's ``1BE1F``) in
this one process, so the ratios are the figures to read on a loaded machine:

- per point (median and minimum of ``--repeats`` calls; the minimum is the steadier figure on a
  shared machine): the warm ``solve_leptogenesis`` (one jitted call from Python, dispatch included) and
  ULYSSES's own integration of its ``1BE1F`` right-hand side (``odeintw``/LSODA, its rtol 1e-10,
  atol 1e-14, its grid z = 1e-3…1e3; the ``setParams``/Casas–Ibarra part is not timed), at
  K = 0.01…100 from a thermal and from a zero initial abundance. Compilation is timed apart
  (the first call of each distinct program).
- batched: ``solve_leptogenesis_batch`` (one jitted vmap) over N points log-spaced in
  K = 1e-2…1e2, with the 100-point trajectory and final values only (``n_save=2``, what scans
  and fits use), against ULYSSES one point after another over the same N points (fastest of
  interleaved passes for each); ``jaxcogen.scan`` (chunked, status flags) of the same points.

Run: ``python -m benchmarks.validation_models [--repeats 5] [--batch 32 256]``
"""

import argparse
import contextlib
import io
import time
import warnings

import jax
import matplotlib
import numpy as np

import jaxcogen
from benchmarks.common import print_table, time_call, write_json
from jaxcogen.models import leptogenesis as lg

K_VALUES = (0.01, 0.1, 1.0, 10.0, 100.0)
INITIAL = ("thermal", "zero")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch", type=int, nargs="+", default=[32, 256])
    args = parser.parse_args()
    peer = _ulysses()
    rows, compile_s = [], {}
    for initial in INITIAL:
        for K in K_VALUES:
            model = _model(K, initial)
            start = time.perf_counter()
            sol = jax.block_until_ready(lg.solve_leptogenesis(model))
            first = time.perf_counter() - start
            timing = time_call(
                lambda m=model: jax.block_until_ready(lg.solve_leptogenesis(m)), args.repeats
            )
            warm = timing["median_s"]
            if initial not in compile_s:
                compile_s[initial] = first - warm
            row = {
                "initial": initial,
                "K": K,
                "kappa_f": float(sol.kappa_f),
                "steps": int(sol.num_steps),
                "rejected": int(sol.num_rejected_steps),
                "warm_ms": 1e3 * warm,
                "warm_min_ms": 1e3 * timing["min_s"],
                "us_per_step": 1e6 * timing["min_s"] / int(sol.num_steps),
            }
            if peer is not None:
                run = _ulysses_run(peer, K, initial)
                ys = run()
                peer_timing = time_call(run, args.repeats)
                row["ulysses_ms"] = 1e3 * peer_timing["median_s"]
                row["ulysses_min_ms"] = 1e3 * peer_timing["min_s"]
                row["ulysses_kappa_f"] = float(np.real(ys[-1, 1])) / 0.75
                row["kappa_f_rel_diff"] = row["kappa_f"] / row["ulysses_kappa_f"] - 1.0
                row["jaxcogen_over_ulysses"] = row["warm_ms"] / row["ulysses_ms"]
                row["min_over_min"] = row["warm_min_ms"] / row["ulysses_min_ms"]
            rows.append(row)
    columns = [
        "initial",
        "K",
        "kappa_f",
        "steps",
        "rejected",
        "warm_ms",
        "warm_min_ms",
        "us_per_step",
        "ulysses_ms",
        "ulysses_min_ms",
        "kappa_f_rel_diff",
        "jaxcogen_over_ulysses",
        "min_over_min",
    ]
    print_table(rows, [c for c in columns if c in rows[0]])
    print(
        "compile [s] (first call, once per program):",
        ", ".join(f"{k} {v:.2f}" for k, v in compile_s.items()),
    )

    batches = []
    for n in args.batch:
        batches.append(_batch(n, peer, args.repeats))
    print()
    print_table(batches, [c for c in batches[0] if c != "ulysses_kappa_f"])
    path = write_json(
        "validation_models",
        {
            "device_note": "2-core CPU, shared/loaded",
            "per_point": rows,
            "compile_s": compile_s,
            "batched": batches,
        },
    )
    print(f"wrote {path}")


def _model(K, initial, n=None):
    if n is None:
        return lg.LeptogenesisModel(
            M_1=1e10, epsilon_1=-1e-6, mtilde_1=K * lg.m_star_eV, initial_abundance=initial
        )
    return lg.LeptogenesisModel(
        M_1=np.full(n, 1e10),
        epsilon_1=np.full(n, -1e-6),
        mtilde_1=np.asarray(K) * lg.m_star_eV,
        initial_abundance=initial,
    )


def _batch(n, peer, repeats):
    """Throughput of the vmapped solve (trajectory of 100 points, and final values only), of
    ``jaxcogen.scan`` and of ULYSSES point after point, on the same n points K = 1e-2…1e2.

    The three timed passes are interleaved, ``repeats`` times, and each one's fastest pass
    is kept: on a shared machine the load changes between passes, and the minimum is the
    estimator both codes get alike."""
    Ks = np.geomspace(1e-2, 1e2, n)
    batch = _model(Ks, "thermal", n)
    row = {"points": n}
    calls = {
        "vmap": lambda: jax.block_until_ready(lg.solve_leptogenesis_batch(batch, n_save=100)),
        "vmap_final_only": lambda: jax.block_until_ready(
            lg.solve_leptogenesis_batch(batch, n_save=2)
        ),
    }
    for key, call in calls.items():
        start = time.perf_counter()
        out = call()
        row[f"{key}_first_call_s"] = time.perf_counter() - start
    if peer is not None:
        runs = [_ulysses_run(peer, K, "thermal") for K in Ks]

        def sequential():
            for run in runs:
                run()

        calls["ulysses"] = sequential
    best = {key: float("inf") for key in calls}
    for _ in range(max(2, repeats // 2)):
        for key, call in calls.items():
            start = time.perf_counter()
            call()
            best[key] = min(best[key], time.perf_counter() - start)
    for key, seconds in best.items():
        row[f"{key}_points_per_s"] = n / seconds
    row["max_steps"] = int(np.max(out.num_steps))
    if peer is not None:
        row["vmap_over_ulysses"] = row["vmap_points_per_s"] / row["ulysses_points_per_s"]
        row["vmap_final_only_over_ulysses"] = (
            row["vmap_final_only_points_per_s"] / row["ulysses_points_per_s"]
        )
    base = lg.LeptogenesisModel(M_1=1e10, epsilon_1=-1e-6, mtilde_1=1e-2)
    samples = {"mtilde_1": Ks * lg.m_star_eV}
    jaxcogen.scan(base, samples=samples, chunk_size=n, progress=False)  # compiles
    start = time.perf_counter()
    jaxcogen.scan(base, samples=samples, chunk_size=n, progress=False)
    row["scan_points_per_s"] = n / (time.perf_counter() - start)
    return row


def _ulysses():
    try:
        with matplotlib.rc_context():  # importing ULYSSES switches text.usetex on
            import ulysses
        import odeintw  # noqa: F401
    except ImportError:
        print("ULYSSES not installed (pip install ulysses odeintw): no ratios")
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            initial: ulysses.EtaB_1BE1F(
                mstar=lg.m_star_GeV,
                normfact=lg.eta_B_per_N_B_minus_L,
                initial_abundance=1 if initial == "thermal" else 0,
            )
            for initial in INITIAL
        }


def _ulysses_run(peers, K, initial):
    """ULYSSES's 1BE1F takes Casas–Ibarra cards, so drive its equations at a given K directly:
    its own right-hand side, initial state, grid and tolerances (as its ``EtaB`` does)."""
    from odeintw import odeintw

    peer = peers[initial]

    def run():
        y0 = np.array([peer.initial_abundance * peer.N1Eq(peer.zmin) + 0j, 0j])
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return odeintw(
                peer.RHS, y0, peer.zs, args=(1.0 + 0j, 0j, 0j, K + 0j), atol=1e-14, rtol=1e-10
            )

    return run


if __name__ == "__main__":
    main()
