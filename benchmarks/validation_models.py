"""Validation models: per-point and batched cost of jaxcogen's leptogenesis solve, and ULYSSES.

Run: ``python -m benchmarks.validation_models [--repeats 5]``
"""

import argparse
import contextlib
import io
import time
import warnings

import jax
import numpy as np

import jaxcogen
from benchmarks.common import print_table, time_call, write_json
from jaxcogen.models import leptogenesis as lg

K_VALUES = (0.01, 1.0, 100.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    rows = []
    for K in K_VALUES:
        model = lg.LeptogenesisModel(M_1=1e10, epsilon_1=-1e-6, mtilde_1=K * lg.m_star_eV)
        start = time.perf_counter()
        sol = jax.block_until_ready(lg.solve_leptogenesis(model))
        first = time.perf_counter() - start
        warm = time_call(lambda m=model: jax.block_until_ready(lg.solve_leptogenesis(m)), args.repeats)
        row = {"K": K, "kappa_f": float(sol.kappa_f), "steps": int(sol.num_steps),
               "warm_ms": 1e3 * warm["median_s"], "compile_s": first - warm["median_s"]}
        try:
            import ulysses  # noqa: F401

            peer = _ulysses_time(K, args.repeats)
            row.update(peer)
        except ImportError:
            pass
        rows.append(row)
    Ks = np.geomspace(1e-2, 1e2, args.batch)
    batch = lg.LeptogenesisModel(
        M_1=np.full(args.batch, 1e10), epsilon_1=np.full(args.batch, -1e-6), mtilde_1=Ks * lg.m_star_eV
    )
    jax.block_until_ready(lg.solve_leptogenesis_batch(batch))
    timing = time_call(lambda: jax.block_until_ready(lg.solve_leptogenesis_batch(batch)), 2)
    throughput = args.batch / timing["median_s"]
    # the same points through jaxcogen.scan (chunked vmap, status flags); the first scan compiles
    base = lg.LeptogenesisModel(M_1=1e10, epsilon_1=-1e-6, mtilde_1=1e-2)
    samples = {"mtilde_1": Ks * lg.m_star_eV}
    jaxcogen.scan(base, samples=samples, chunk_size=args.batch, progress=False)
    start = time.perf_counter()
    jaxcogen.scan(base, samples=samples, chunk_size=args.batch, progress=False)
    scan_throughput = args.batch / (time.perf_counter() - start)
    for row in rows:
        if "ulysses_ms" in row:
            row["jaxcogen_over_ulysses"] = row["warm_ms"] / row["ulysses_ms"]
    columns = ["K", "kappa_f", "steps", "warm_ms", "compile_s", "ulysses_ms", "ulysses_kappa_f",
               "jaxcogen_over_ulysses"]
    print_table(rows, [c for c in columns if c in rows[0]])
    print(f"\nvmapped batch of {args.batch} (K in [1e-2, 1e2]): {throughput:.1f} points/s")
    print(f"jaxcogen.scan of the same {args.batch} points: {scan_throughput:.1f} points/s")
    if all("ulysses_ms" in row for row in rows):
        sequential = 1e3 / np.mean([row["ulysses_ms"] for row in rows])
        print(f"ULYSSES, one point after another (mean of the K above): {sequential:.1f} points/s")
    path = write_json(
        "validation_models",
        {"leptogenesis": rows, "batch_points_per_s": throughput, "scan_points_per_s": scan_throughput},
    )
    print(f"wrote {path}")


def _ulysses_time(K, repeats):
    """ULYSSES's 1BE1F takes Casas–Ibarra cards, so drive its equations at a given K directly."""
    import ulysses

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer = ulysses.EtaB_1BE1F(mstar=lg.m_star_GeV, normfact=lg.eta_B_per_N_B_minus_L,
                                  initial_abundance=1)
    from odeintw import odeintw

    def run():
        y0 = np.array([peer.N1Eq(peer.zmin) + 0j, 0j])
        with contextlib.redirect_stdout(io.StringIO()):
            return odeintw(peer.RHS, y0, peer.zs, args=(1.0 + 0j, 0j, 0j, K + 0j), atol=1e-14, rtol=1e-10)

    ys = run()
    timing = time_call(run, repeats)
    return {"ulysses_ms": 1e3 * timing["median_s"], "ulysses_kappa_f": float(np.real(ys[-1, 1])) / 0.75}


if __name__ == "__main__":
    main()
