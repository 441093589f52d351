"""Rate modes: cost per solve of the analytic and quadrature networks, and how much the physics moves.

Run: ``python -m benchmarks.rate_modes [--repeats 5] [--direct] [--physics]``

Timing (default point, ``solver="Tsit5"``, which ``"auto"`` picks there): first call (trace +
compile + table builds) and warm solve for

- ``analytic``: closed-form MB/EFT rates;
- ``quadrature MB/EFT tabulated``: the shared Chebyshev table in :math:`\\xi` (built once per
  statistics, the default of ``rates="quadrature"``);
- ``quadrature quantum/EFT tabulated``;
- ``quadrature MB/full T-table``: the per-point Chebyshev table in :math:`T` (default for exact
  propagators with MB statistics);
- with ``--direct``: the same physics with the quadrature evaluated at every right-hand-side call
  (``mode="direct"``), and quantum/full (direct only). These compile for minutes.

``--physics``: the observables :math:`\\Delta Y_B`, :math:`\\Delta Y_\\chi`, :math:`\\Sigma Y_\\chi`,
:math:`\\xi_{\\rm final}` in each physics mode at :math:`M_1/T_{\\rm RH}=20,10,5` (``T_RH`` lowered at
fixed couplings), relative to analytic MB/EFT (the table of ``docs/collisions.md``).

Writes ``benchmarks/results/rate_modes_<device>.json``.
"""

import argparse
import time

import jax

import jaxcogen
from benchmarks.common import print_table, time_call, write_json
from jaxcogen.production import _boltzmann as boltzmann
from jaxcogen.rates.collisions._quadrature_network import QuadratureRateNetwork

OUTPUTS = ("DeltaY_B", "DeltaY_chi", "SigmaY_chi", "xi_final")
_DEFAULT_MAKE_NETWORK = boltzmann.make_network


def _model(point: dict, **conventions) -> jaxcogen.CogenesisModel:
    return jaxcogen.CogenesisModel(
        **point, conventions=jaxcogen.Conventions(**conventions), eft_hierarchy=4.0
    )


def _with_mode(mode: str | None):
    """Force the quadrature network's evaluation mode (None: the default choice)."""

    def make(model):
        if mode is None or model.conventions.rates == "analytic":
            return _DEFAULT_MAKE_NETWORK(model)
        return QuadratureRateNetwork.from_model(model, mode=mode)

    return make


def time_mode(label: str, model, mode: str | None, repeats: int) -> dict:
    boltzmann.make_network = _with_mode(mode)
    jax.clear_caches()
    try:
        start = time.perf_counter()
        sol = jaxcogen.solve(model, solver="Tsit5", late_universe=False)
        jax.block_until_ready(sol)
        first = time.perf_counter() - start
        warm = time_call(
            lambda: jax.block_until_ready(
                jaxcogen.solve(model, solver="Tsit5", late_universe=False)
            ),
            repeats,
        )
    finally:
        boltzmann.make_network = _DEFAULT_MAKE_NETWORK
    return {
        "mode": label,
        "first_call_s": first,
        "warm_ms": 1e3 * warm["median_s"],
        "steps": int(sol.num_steps),
        "status": sol.status_name,
        **{k: float(getattr(sol, k)) for k in OUTPUTS},
    }


PHYSICS_MODES = {
    "analytic MB/EFT": dict(),
    "quantum statistics": dict(rates="quadrature", statistics="quantum"),
    "full propagators": dict(rates="quadrature", propagator="full"),
    "quantum + full": dict(rates="quadrature", statistics="quantum", propagator="full"),
}


def physics_table(point: dict) -> list[dict]:
    rows = []
    M1 = point["M1"]
    for ratio in (20.0, 10.0, 5.0):
        p = dict(point, T_RH=M1 / ratio)
        base = None
        for label, conv in PHYSICS_MODES.items():
            sol = jaxcogen.solve(_model(p, **conv), solver="Tsit5", late_universe=False)
            values = {k: float(getattr(sol, k)) for k in OUTPUTS}
            if base is None:
                base = values
            row = {"M1/T_RH": ratio, "mode": label, "status": sol.status_name}
            for k in OUTPUTS:
                row[k] = values[k]
                row[f"{k}_rel_change"] = values[k] / base[k] - 1.0
            rows.append(row)
            print(row, flush=True)
    return rows


def _scaled_settings(factor: float):
    from jaxcogen.rates.collisions._quadrature import QuadratureSettings

    d = QuadratureSettings()
    names = (
        "n_s_low",
        "n_s_tail",
        "n_segment",
        "n_window",
        "n_energy",
        "n_angle",
        "n_projection",
        "l_max_full",
    )
    return QuadratureSettings(**{k: max(2, int(round(getattr(d, k) * factor))) for k in names})


def convergence_study(point: dict) -> list[dict]:
    """Single rates with every node count x0.5, x1 (default), x4, relative to x2."""
    from jaxcogen.rates.collisions import amplitudes as amp
    from jaxcogen.rates.collisions._thermal import Participant, thermal_rate

    model = _model(point)
    couplings = amp.PortalCouplings.from_model(model, massive=False)
    T = float(model.M1) / 5.0

    def parts(temperature, stats):
        code = {"F": "FD", "B": "BE", "M": "MB"}
        return tuple(Participant(temperature, 0.0, 0.0, code[s]) for s in stats)

    cases = {
        "LH->chibar phibar, quantum, T_chi=0.3T": (
            amp.LHToChibarPhibar(),
            parts(T, "FB"),
            parts(0.3 * T, "FB"),
            "eft",
        ),
        "LH->chibar phibar, quantum, T_chi=1e-3T": (
            amp.LHToChibarPhibar(),
            parts(T, "FB"),
            parts(1e-3 * T, "FB"),
            "eft",
        ),
        "LH->chi phi, MB, full, M1=5T": (amp.LHToChiPhi(), parts(T, "MM"), parts(T, "MM"), "full"),
        "LH->Lbar Hbar, quantum, full, M1=5T": (
            amp.LHToLbarHbar(),
            parts(T, "FB"),
            parts(T, "FB"),
            "full",
        ),
        "Lchi->Hbar phibar, quantum, full, T_chi=0.3T": (
            amp.LChiToHbarPhibar(),
            (Participant(T, 0.0, 0.0, "FD"), Participant(0.3 * T, 0.0, 0.0, "FD")),
            (Participant(T, 0.0, 0.0, "BE"), Participant(0.3 * T, 0.0, 0.0, "BE")),
            "full",
        ),
    }
    rows = []
    for label, (process, initial, final, propagator) in cases.items():
        values = {}
        for factor in (0.5, 1.0, 2.0, 4.0):
            values[factor] = float(
                thermal_rate(
                    process,
                    couplings,
                    initial,
                    final,
                    propagator=propagator,
                    settings=_scaled_settings(factor),
                )
            )
        ref = values[2.0]  # x4 loses ~1e-7 to cancellation in the pole windows (docs/collisions.md)
        row = {"case": label, **{f"x{f:g}": values[f] / ref - 1.0 for f in (0.5, 1.0, 4.0)}}
        rows.append(row)
        print(row, flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--point", default="default")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--direct", action="store_true", help="also time the direct quadrature")
    parser.add_argument("--physics", action="store_true", help="also compute the physics table")
    parser.add_argument("--convergence", action="store_true", help="also the node-count study")
    parser.add_argument("--no-timing", action="store_true", help="skip the solve timings")
    args = parser.parse_args()

    point = dict(jaxcogen.benchmark_points[args.point])
    cases = [
        ("analytic MB/EFT", dict(), None),
        ("quadrature MB/EFT, xi-table", dict(rates="quadrature"), "tabulated"),
        (
            "quadrature quantum/EFT, xi-table",
            dict(rates="quadrature", statistics="quantum"),
            "tabulated",
        ),
        (
            "quadrature MB/full, T-table",
            dict(rates="quadrature", propagator="full"),
            "temperature_table",
        ),
    ]
    if args.direct:
        cases += [
            ("quadrature MB/EFT, direct", dict(rates="quadrature"), "direct"),
            (
                "quadrature quantum/EFT, direct",
                dict(rates="quadrature", statistics="quantum"),
                "direct",
            ),
            ("quadrature MB/full, direct", dict(rates="quadrature", propagator="full"), "direct"),
            (
                "quadrature quantum/full, direct",
                dict(rates="quadrature", statistics="quantum", propagator="full"),
                "direct",
            ),
        ]
    rows = []
    for label, conv, mode in [] if args.no_timing else cases:
        row = time_mode(label, _model(point, **conv), mode, args.repeats)
        rows.append(row)
        print(row, flush=True)
    print_table(
        rows, ["mode", "first_call_s", "warm_ms", "steps", "status", "DeltaY_B", "xi_final"]
    )
    payload = {"point": args.point, "solver": "Tsit5", "timing": rows}
    if args.physics:
        payload["physics"] = physics_table(point)
    if args.convergence:
        payload["convergence"] = convergence_study(point)
        print_table(payload["convergence"], ["case", "x0.5", "x1", "x4"])
    path = write_json("rate_modes", payload)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
