"""Cost of the late-universe stage (issue 18): adaptive RiccatiESDIRK vs the fixed-grid BDF2.

Note: ``solve(model)`` runs the default ``integrator="bdf2"``; the "new" rows use ``"esdirk"``.

Prints one table (compile time separate from the warm time, medians of repeats) and writes
``benchmarks/results/late_universe_<device>.json``:

* ``jaxcogen.solve(model, late_universe=False)`` and ``jaxcogen.solve(model)`` at the built-in point;
* the late stage alone (``late_universe_from_yields``) at that point's yields: the adaptive
  :class:`jaxcogen.late_universe._solver.RiccatiESDIRK` (default) and the former BDF2 (4000 + 2000
  steps with Richardson extrapolation, kept below as a private reference);
* SciPy Radau (rtol 1e-12) on the same equations (``tests/test_late_universe_reference.py``);
* ``vmap`` over 256 points (points/s) for the new and the old integrator.

Run: ``python -m benchmarks.late_universe``.
"""

import time

import jax
import jax.numpy as jnp
import numpy as np

import jaxcogen
from benchmarks.common import print_table, time_call, write_json
from jaxcogen import constants
from jaxcogen.late_universe import _dark_freezeout as lu


def _bdf2_omega(DeltaY_chi, SigmaY_chi, xi_end, m_chi, m_phi, kappa, T_RH, n_steps=4000):
    """The former integrator: BDF2 on a uniform tau grid, closed-form quadratic steps, Richardson."""
    entropy_ratio = 9.0 * xi_end**3 / constants.g_star_SM
    bg = lu._Background(entropy_ratio, m_chi, m_phi, kappa, "dirac")
    m_light = jnp.minimum(m_chi, m_phi)
    xi_rel = xi_end * (9.0 / (7.0 / 8.0 * 4.0 + 2.0 + lu.g_eta("dirac"))) ** (1.0 / 3.0)
    T_start = jnp.minimum(m_light / xi_rel, 1e-2 * T_RH)
    tau_end = jnp.log(T_start / (m_light / (1e6 * xi_end)))
    Delta = jnp.abs(2.0 * DeltaY_chi)
    N0 = jnp.maximum(0.5 * (2.0 * SigmaY_chi - Delta), 2e-20 * SigmaY_chi + 1e-300)
    h = tau_end / n_steps
    taus = jnp.arange(1, n_steps + 1) * h
    path = jax.vmap(lambda t: bg.at(T_start * jnp.exp(-t)))(taus)
    hk, Neq2 = h * path["rate"], jnp.exp(2.0 * path["lnN_eq"])

    def root(a, b, c):
        return 2.0 * c / (b + jnp.sqrt(b * b + 4.0 * a * c))

    def step(carry, inputs):
        N_n, N_nm1, first = carry
        hk_i, E_i = inputs
        N_be = root(hk_i, 1.0 + hk_i * Delta, N_n + hk_i * E_i)
        a2 = 2.0 / 3.0 * hk_i
        c2 = (4.0 * N_n - N_nm1) / 3.0 + a2 * E_i
        N_bdf = root(a2, 1.0 + a2 * Delta, jnp.maximum(c2, 0.0))
        N_new = jnp.where(first | (c2 <= 0.0), N_be, N_bdf)
        return (N_new, N_n, jnp.asarray(False)), N_new

    init = (N0, N0, jnp.asarray(True))
    _, full = jax.lax.scan(step, init, (hk, Neq2))
    _, half = jax.lax.scan(step, init, (2.0 * hk[1::2], Neq2[1::2]))
    N_end = (4.0 * full[-1] - half[-1]) / 3.0
    return constants.omega_h2_per_GeV_yield * m_light * (2.0 * N_end + Delta)


def _new_omega(DeltaY_chi, SigmaY_chi, xi_end, m_chi, m_phi, kappa, T_RH):
    late = lu.late_universe_from_yields(
        DeltaY_chi=DeltaY_chi, SigmaY_chi=SigmaY_chi, xi_end=xi_end, DeltaY_B=0.0,
        m_chi=m_chi, m_phi=m_phi, kappa=kappa, T_RH=T_RH, integrator="esdirk",
    )  # fmt: skip
    return late.Omega_chi_h2


def _esdirk_steps(DeltaY_chi, SigmaY_chi, xi_end, m_chi, m_phi, kappa, T_RH):
    late = lu.late_universe_from_yields(
        DeltaY_chi=DeltaY_chi, SigmaY_chi=SigmaY_chi, xi_end=xi_end, DeltaY_B=0.0,
        m_chi=m_chi, m_phi=m_phi, kappa=kappa, T_RH=T_RH, integrator="esdirk",
    )  # fmt: skip
    return int(late.num_steps)


def _compile_and_time(fn, *args, repeats=20):
    jitted = jax.jit(fn)
    start = time.perf_counter()
    out = jax.block_until_ready(jitted(*args))
    compile_s = time.perf_counter() - start
    timing = time_call(lambda: jax.block_until_ready(jitted(*args)), repeats)
    return out, compile_s, timing


def main() -> None:
    model = jaxcogen.CogenesisModel(**jaxcogen.benchmark_points["default"])
    rows = []

    for name, late in (("solve, production only", False), ("solve, full chain", True)):
        start = time.perf_counter()
        sol = jax.block_until_ready(jaxcogen.solve(model, late_universe=late))
        compile_s = time.perf_counter() - start
        t = time_call(
            lambda late=late: jax.block_until_ready(jaxcogen.solve(model, late_universe=late))
        )
        rows.append(dict(what=name, compile_s=compile_s, warm_ms=1e3 * t["median_s"]))
    full = sol
    args = tuple(
        jnp.asarray(float(v))
        for v in (full.DeltaY_chi, full.SigmaY_chi, full.xi_final, model.m_chi, model.m_phi,
                  model.kappa, model.T_RH)
    )  # fmt: skip

    omega_new, c_new, t_new = _compile_and_time(_new_omega, *args)
    omega_old, c_old, t_old = _compile_and_time(_bdf2_omega, *args, repeats=5)
    rows.append(dict(what="late stage, RiccatiESDIRK (new)", compile_s=c_new,
                     warm_ms=1e3 * t_new["median_s"], Omega_h2=float(omega_new),
                     steps=_esdirk_steps(*args)))  # fmt: skip
    rows.append(dict(what="late stage, BDF2 4000+2000 (old)", compile_s=c_old,
                     warm_ms=1e3 * t_old["median_s"], Omega_h2=float(omega_old), steps=6000))  # fmt: skip

    from tests.test_late_universe_reference import reference_omega

    point = [float(v) for v in args[:6]]
    start = time.perf_counter()
    omega_ref = reference_omega(*point)
    rows.append(dict(what="SciPy Radau rtol 1e-12 (reference)", compile_s=0.0,
                     warm_ms=1e3 * (time.perf_counter() - start), Omega_h2=omega_ref))  # fmt: skip
    for row in rows:
        if "Omega_h2" in row:
            row["rel_vs_radau"] = row["Omega_h2"] / omega_ref - 1.0

    # vmap over 256 points: m_chi log-uniform in [1e-2, 1e3] GeV, kappa in [1e-2, 3]
    rng = np.random.default_rng(0)
    n = 256
    m = 10.0 ** rng.uniform(-2, 3, n)
    batch = (
        jnp.asarray(2.2e-10 / m), jnp.asarray(2.2e-8 / m), jnp.full(n, 0.2), jnp.asarray(m),
        jnp.asarray(m * 10.0 ** rng.uniform(0.005, 2, n)), jnp.asarray(10.0 ** rng.uniform(-2, 0.5, n)),
        jnp.full(n, 1e10),
    )  # fmt: skip
    vmapped = []
    for name, fn in (("new", _new_omega), ("old", _bdf2_omega)):
        out, compile_s, t = _compile_and_time(jax.vmap(fn), *batch, repeats=3)
        vmapped.append(dict(what=f"vmap 256, {name}", compile_s=compile_s,
                            warm_ms=1e3 * t["median_s"], points_per_s=n / t["median_s"],
                            finite=int(np.isfinite(np.asarray(out)).sum())))  # fmt: skip

    columns = ["what", "compile_s", "warm_ms", "steps", "Omega_h2", "rel_vs_radau"]
    print_table(rows, columns)
    print()
    print_table(vmapped, ["what", "compile_s", "warm_ms", "points_per_s", "finite"])
    path = write_json("late_universe", {"single_point": rows, "vmap_256": vmapped})
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
