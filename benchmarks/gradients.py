"""Cost of gradients relative to a forward solve, and of fits from random starts.

Run: ``python -m benchmarks.gradients [--repeats 10] [--starts 8] [--steps-lbfgs 100] [--steps-adam 300]``

Run ``--full-chain --no-fits`` for the full chain's rows only (issue 18's gradient target).

Rows (solver Tsit5 at the default tolerances, the built-in point, which is not stiff):

- forward solve (warm), ``jax.grad`` (reverse mode, recursive checkpointing) and ``jax.jacfwd``
  (diffrax ForwardMode) of Delta Y_B and Omega_chi h^2 with respect to (|lambda2|, arg y2, m_chi);
  compile time reported separately from the warm time, and the warm time divided by the warm
  forward solve;
- a fit of (|lambda2|, arg y2, m_chi) to both default targets from random starts
  (|lambda2| in [0.2, 1], arg y2 in [0.5, 3], m_chi in [0.01, 1] GeV; |lambda2| kept in [0.1, 3.5]),
  Adam (300 steps) and L-BFGS (100 steps), two seeds each: compile time,
  warm time per start, fraction of starts that reach both targets to 1 %;
- the full chain (production + late-universe stage, the default of ``solve``): a warm forward
  solve, ``jax.grad`` of today's Omega_chi h^2 with respect to (|lambda2|, arg y2, m_chi, kappa,
  m_phi), ``jax.jacfwd`` of (Delta Y_B, Omega_chi h^2), each divided by the full-chain solve.
Writes ``benchmarks/results/gradients_<device>.json``.
"""

import argparse
import time
import warnings

import jax
import jax.numpy as jnp
import numpy as np

import jaxcogen
from benchmarks.common import print_table, time_call, write_json
from jaxcogen.fitting._fit import fit
from jaxcogen.model._parameters import set_parameters

PARAMS = ("lambda2.abs", "y2.arg", "m_chi")
FULL_CHAIN_PARAMS = ("lambda2.abs", "y2.arg", "m_chi", "kappa", "m_phi")
#: ``--full-chain``: rounds of the round-robin timing (each case ``--repeats`` calls a round).
GRADIENT_ROUNDS = 7
SETTINGS = {"solver": "Tsit5", "n_save": 2, "late_universe": False, "regime": "eft"}


def _timed(fn, repeats):
    start = time.perf_counter()
    jax.block_until_ready(fn())
    first = time.perf_counter() - start
    warm = time_call(lambda: jax.block_until_ready(fn()), repeats)
    return first - warm["median_s"], warm["median_s"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--starts", type=int, default=8)
    parser.add_argument("--steps-lbfgs", type=int, default=100)
    parser.add_argument("--steps-adam", type=int, default=300)
    parser.add_argument("--full-chain", action="store_true", help="only the full chain's rows")
    parser.add_argument("--no-fits", action="store_true", help="skip the fits")
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    model = jaxcogen.CogenesisModel(**jaxcogen.benchmark_points["default"])
    x0 = jnp.stack(
        [
            jnp.asarray(jaxcogen.model._parameters.get_parameter(model, p), jnp.float64)
            for p in PARAMS
        ]
    )

    def observables(adjoint):
        settings = jaxcogen.SolveSettings.create(adjoint=adjoint, **SETTINGS)

        def f(x):
            m = set_parameters(model, {p: x[j] for j, p in enumerate(PARAMS)})
            s = jaxcogen.solve_unjitted(m, settings)
            return jnp.stack([s.DeltaY_B, s.Omega_chi_h2_frozen_in])

        return f

    if args.full_chain:
        rows = _full_chain_rows(model, args.repeats)
        path = write_json(
            "gradients_full_chain", {"gradient_rows": rows, "parameters": list(FULL_CHAIN_PARAMS)}
        )
        print(f"\nwrote {path}")
        return
    f_rev, f_fwd = observables("recursive"), observables("forward")
    cases = {
        "forward solve": jax.jit(f_rev),
        "grad DeltaY_B (reverse)": jax.jit(jax.grad(lambda x: f_rev(x)[0])),
        "grad Omega_chi_h2_frozen_in (reverse)": jax.jit(jax.grad(lambda x: f_rev(x)[1])),
        "jacrev both (reverse)": jax.jit(jax.jacrev(f_rev)),
        "jacfwd both (forward mode)": jax.jit(jax.jacfwd(f_fwd)),
    }
    rows = []
    for name, fn in cases.items():
        compile_s, warm_s = _timed(lambda fn=fn: fn(x0), args.repeats)
        rows.append({"case": name, "compile_s": compile_s, "warm_ms": 1e3 * warm_s})
    base = rows[0]["warm_ms"]
    for row in rows:
        row["ratio_vs_solve"] = row["warm_ms"] / base
    print(
        f"Gradients at the default point, {len(PARAMS)} parameters ({jax.devices()[0].platform}):"
    )
    print_table(rows, ["case", "compile_s", "warm_ms", "ratio_vs_solve"])

    if args.no_fits:
        return
    fits = []
    domain = {"lambda2.abs": (0.2, 1.0), "y2.arg": (0.5, 3.0), "m_chi": (0.01, 1.0)}
    for optimizer in ("adam", "lbfgs"):
        steps = args.steps_adam if optimizer == "adam" else args.steps_lbfgs
        kwargs = dict(
            optimizer=optimizer,
            n_starts=args.starts,
            steps=steps,
            include_model=False,
            start_domain=domain,
            bounds={"lambda2.abs": (0.1, 3.5)},
        )
        first = fit(model, None, list(PARAMS), seed=0, **kwargs)
        warm = fit(model, None, list(PARAMS), seed=1, **kwargs)
        fits.append(
            {
                "optimizer": optimizer,
                "starts": args.starts,
                "steps": steps,
                "compile_s": first.wall_time_s - warm.wall_time_s,
                "warm_s": warm.wall_time_s,
                "warm_s_per_start": warm.wall_time_s / args.starts,
                "success_fraction": warm.n_successful / args.starts,
                "success_fraction_seed0": first.n_successful / args.starts,
                "steps_run": warm.n_steps,
            }
        )
    print(
        "\nFits of (|lambda2|, arg y2, m_chi) to DeltaY_B = 8.7e-11, Omega_chi h^2 = 0.12 from random starts:"
    )
    print_table(fits, list(fits[0]))
    path = write_json(
        "gradients",
        {"gradient_rows": rows, "fit_rows": fits, "parameters": list(PARAMS), "settings": SETTINGS},
    )
    print(f"\nwrote {path}")


def _full_chain_rows(model, repeats):
    """Warm full-chain solve, reverse-mode gradient of today's relic and forward-mode Jacobian."""
    names = FULL_CHAIN_PARAMS
    x0 = jnp.stack(
        [
            jnp.asarray(jaxcogen.model._parameters.get_parameter(model, p), jnp.float64)
            for p in names
        ]
    )

    def observables(adjoint):
        settings = jaxcogen.SolveSettings.create(
            adjoint=adjoint, solver="Tsit5", n_save=2, regime="eft", late_universe=True
        )

        def f(x):
            m = set_parameters(model, {p: x[j] for j, p in enumerate(names)})
            s = jaxcogen.solve_unjitted(m, settings)
            return jnp.stack([s.DeltaY_B, s.Omega_chi_h2])

        return f

    f_rev, f_fwd = observables("recursive"), observables("forward")
    cases = {
        "full chain: forward solve": jax.jit(f_rev),
        "full chain: grad Omega_chi_h2 today (reverse)": jax.jit(jax.grad(lambda x: f_rev(x)[1])),
        "full chain: jacfwd both (forward mode)": jax.jit(jax.jacfwd(f_fwd)),
    }
    rows = []
    for name, fn in cases.items():
        start = time.perf_counter()
        jax.block_until_ready(fn(x0))
        rows.append({"case": name, "compile_s": time.perf_counter() - start})
    # round-robin: each round times every case (median of ``repeats`` calls), so a change of the
    # machine's speed during the run hits all cases alike; each ratio is the median over rounds of
    # that round's ratio to its forward solve, each time the median over rounds
    per_round = {row["case"]: [] for row in rows}
    for _ in range(GRADIENT_ROUNDS):
        for name, fn in cases.items():
            warm = time_call(lambda fn=fn: jax.block_until_ready(fn(x0)), repeats)
            per_round[name].append(warm["median_s"])
    forward = np.asarray(per_round[rows[0]["case"]])
    for row in rows:
        times = np.asarray(per_round[row["case"]])
        row["warm_ms"] = 1e3 * float(np.median(times))
        row["ratio_vs_solve"] = float(np.median(times / forward))
        row["ratio_range"] = [float(np.min(times / forward)), float(np.max(times / forward))]
        print(row, flush=True)
    print(
        f"Full chain at the default point, {len(names)} parameters ({jax.devices()[0].platform}):"
    )
    print_table(rows, ["case", "compile_s", "warm_ms", "ratio_vs_solve"])
    return rows


if __name__ == "__main__":
    main()
