"""Work–precision: error of ΔY_B, ΔY_χ, ΣY_χ, ξ against a Radau rtol=1e-12 reference vs time.

Run: ``python -m benchmarks.work_precision``

For each diffrax solver (Kvaerno5, Kvaerno3, Tsit5), controller (PI: pcoeff 0.3, icoeff 0.4; I:
0, 1) and rtol, at two points — the built-in point (weak wash-out) and a strong-wash-out variant —
it records the warm time, the steps and the largest relative error. The default solver and
controller are picked from this table; a plot goes to ``benchmarks/results/work_precision.png``.
"""

import matplotlib

matplotlib.use("Agg")
import jax  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

import jaxcogen  # noqa: E402
from benchmarks.common import RESULTS_DIR, print_table, time_call, write_json  # noqa: E402
from tests.reference_numpy import reference_solve  # noqa: E402

OUTPUTS = ("DeltaY_B", "DeltaY_chi", "SigmaY_chi", "xi_final")
POINTS = {
    "default": dict(jaxcogen.benchmark_points["default"]),
    # ten times larger Yukawas: |w| x100, strong Delta L = 2 wash-out (m_nu far above bounds)
    "strong_washout": {
        **jaxcogen.benchmark_points["default"],
        "y1": 0.4,
        "y2": 10 * complex(jaxcogen.benchmark_points["default"]["y2"]),
    },
}
SOLVERS = ("Kvaerno5", "Kvaerno3", "Tsit5")
CONTROLLERS = {"PI": (0.3, 0.4), "I": (0.0, 1.0)}
RTOLS = (1e-6, 1e-7, 1e-8, 1e-9, 1e-10)


def main() -> None:
    rows = []
    for point, params in POINTS.items():
        model = jaxcogen.CogenesisModel(**params)
        truth = reference_solve(params, rtol=1e-12)
        for solver in SOLVERS:
            for controller, (p, i) in CONTROLLERS.items():
                for rtol in RTOLS:
                    kwargs = dict(solver=solver, rtol=rtol, atol=rtol * 1e-4, pcoeff=p, icoeff=i)
                    sol = jax.block_until_ready(
                        jaxcogen.solve(model, **kwargs, late_universe=False)
                    )
                    timing = time_call(
                        lambda k=kwargs, m=model: jax.block_until_ready(
                            jaxcogen.solve(m, **k, late_universe=False)
                        ),
                        10,
                    )
                    error = max(abs(float(getattr(sol, k)) / truth[k] - 1) for k in OUTPUTS)
                    rows.append(
                        {
                            "point": point,
                            "solver": solver,
                            "controller": controller,
                            "rtol": rtol,
                            "steps": int(sol.num_steps),
                            "rejected": int(sol.num_rejected_steps),
                            "warm_ms": 1e3 * timing["median_s"],
                            "max_rel_error": error,
                            "status": sol.status_name,
                        }
                    )
    print_table(
        rows,
        ["point", "solver", "controller", "rtol", "steps", "rejected", "warm_ms", "max_rel_error"],
    )
    path = write_json("work_precision", {"rows": rows})
    fig, axes = plt.subplots(1, len(POINTS), figsize=(11, 4.2), sharey=True)
    for ax, point in zip(axes, POINTS, strict=True):
        for solver in SOLVERS:
            for controller, style in (("PI", "-o"), ("I", "--s")):
                sel = [
                    r
                    for r in rows
                    if r["point"] == point
                    and r["solver"] == solver
                    and r["controller"] == controller
                ]
                ax.loglog(
                    [r["warm_ms"] for r in sel],
                    [max(r["max_rel_error"], 1e-16) for r in sel],
                    style,
                    label=f"{solver} {controller}",
                )
        ax.set_title(point)
        ax.set_xlabel("warm time per solve [ms]")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("max relative error vs Radau rtol=1e-12")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    png = RESULTS_DIR / "work_precision.png"
    fig.savefig(png, dpi=120)
    print(f"\nwrote {path} and {png}")


if __name__ == "__main__":
    main()
