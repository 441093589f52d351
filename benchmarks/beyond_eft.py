"""EFT against dynamical heavy neutrinos across M_1/T_RH (issue "Beyond the EFT").

Run: ``python -m benchmarks.beyond_eft [--points 13]``

At two fixed coupling sets (all of order 0.01, and the built-in point's, 0.04–0.4, whose inverse
decays are ~1e5 per e-fold at M_1/T_RH <= 5), M_1 = 1e12 GeV and T_RH from M_1 down to M_1/100:
Delta Y_B, |Delta Y_chi| and the frozen-in Omega_chi h^2 from the EFT solve (``jaxcogen.solve``,
production only) and from ``jaxcogen.solve_dynamical``, with the EFT validity
diagnostic. Below M_1/T_RH = 5 the EFT model is built with a relaxed ``eft_hierarchy`` only to show
how far off it is. Prints a table, writes ``benchmarks/results/beyond_eft.json`` and the figure
``docs/beyond_eft.png``.
"""

import argparse
import cmath
import warnings
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

import jaxcogen
from benchmarks.common import print_table, write_json

SMALL_COUPLINGS = dict(
    M1=1e12,
    M2=3e12,
    y1=0.01,
    y2=cmath.rect(0.012, 2.0),
    lambda1=0.01,
    lambda2=cmath.rect(0.013, -2.0),
    m_chi=1.0,
    m_phi=2.0,
    kappa=1.0,
)
BUILT_IN_COUPLINGS = {k: v for k, v in jaxcogen.benchmark_points["default"].items() if k != "T_RH"}
COUPLING_SETS = {"couplings ~0.01": SMALL_COUPLINGS, "built-in couplings": BUILT_IN_COUPLINGS}
FIGURE = Path(__file__).resolve().parents[1] / "docs" / "beyond_eft.png"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", type=int, default=13)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    ratios = np.geomspace(1.0, 100.0, args.points)
    results = {name: sweep(couplings, ratios) for name, couplings in COUPLING_SETS.items()}
    for name, rows in results.items():
        print(f"EFT vs dynamical N, {name} (M_1 = 1e12 GeV):")
        print_table(rows, list(rows[0]))
    write_json(
        "beyond_eft",
        {
            name: {
                "couplings": {k: str(v) for k, v in COUPLING_SETS[name].items()},
                "rows": rows,
            }
            for name, rows in results.items()
        },
    )

    figure = Figure(figsize=(12.0, 7.5), layout="constrained")
    grid = figure.subplots(len(results), 3, squeeze=False)
    for axes, (name, rows) in zip(grid, results.items(), strict=True):
        x = np.array([r["M1_over_T_RH"] for r in rows])
        for ax, key, label in zip(
            axes,
            ("DeltaY_B", "DeltaY_chi", "Omega_chi_h2_frozen_in"),
            (r"$|\Delta Y_B|$", r"$|\Delta Y_\chi|$", r"$\Omega_\chi h^2$ (frozen in)"),
            strict=True,
        ):
            for mode, style in (("eft", "o--"), ("dynamical", "s-")):
                y = np.abs([r[f"{key}_{mode}"] for r in rows])
                ax.plot(x, y, style, label="EFT" if mode == "eft" else "dynamical $N_{1,2}$")
            ax.axvspan(1.0, 5.0, color="0.9", label=r"outside the talk's $M>5T_{\rm RH}$")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel(r"$M_1/T_{\rm RH}$")
            ax.set_ylabel(label)
            ax.set_title(name, fontsize="small")
        axes[0].legend(fontsize="small")
    figure.suptitle("EFT and dynamical heavy neutrinos ($M_1=10^{12}$ GeV)")
    figure.savefig(FIGURE, dpi=130)
    print(f"wrote {FIGURE}")


def sweep(couplings: dict, ratios: np.ndarray) -> list[dict]:
    """EFT and dynamical solves (production stage) at T_RH = M_1 / ratio."""
    rows = []
    for ratio in ratios:
        params = dict(couplings, T_RH=couplings["M1"] / ratio)
        model = jaxcogen.CogenesisModel(**params, eft_hierarchy=min(5.0, 0.5 * ratio))
        eft = jaxcogen.solve(model, late_universe=False)
        dyn = jaxcogen.solve_dynamical(model, late_universe=False)
        rows.append(
            {
                "M1_over_T_RH": float(ratio),
                "DeltaY_B_eft": float(eft.DeltaY_B),
                "DeltaY_B_dynamical": float(dyn.DeltaY_B),
                "DeltaY_chi_eft": float(eft.DeltaY_chi),
                "DeltaY_chi_dynamical": float(dyn.DeltaY_chi),
                "Omega_chi_h2_frozen_in_eft": float(eft.Omega_chi_h2_frozen_in),
                "Omega_chi_h2_frozen_in_dynamical": float(dyn.Omega_chi_h2_frozen_in),
                "eft_resonant_ratio": float(eft.eft_resonant_ratio),
                "status_dynamical": dyn.status_name,
                "steps_dynamical": int(dyn.num_steps),
            }
        )
    return rows


if __name__ == "__main__":
    main()
