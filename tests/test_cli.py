"""The ``jaxcogen`` command line, in process (typer's CliRunner) plus one real subprocess.

The default point is compiled once per session (shared with ``conftest.default_solution``;
tolerances and parameter values are traced, so every in-process solve here reuses it); the
subprocess compiles once more.
"""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import pytest
from typer.testing import CliRunner

import jaxcogen
from jaxcogen.cli._main import (
    EXIT_BAD_INPUT,
    EXIT_SOLVE_FAILED,
    OBSERVABLE_KEYS,
    app,
    compilation_cache_dir,
)
from jaxcogen.model._cards import (
    apply_overrides,
    card_to_model,
    card_to_toml,
    default_card,
    parse_card,
)

FLOAT_KEYS = [k for k in OBSERVABLE_KEYS if k not in ("status", "num_steps")]
REPO = Path(__file__).resolve().parents[1]

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def json_run(tmp_path_factory):
    """One ``solve --json --plot`` of the default point, shared by several tests."""
    plot = tmp_path_factory.mktemp("plot") / "evolution.png"
    result = invoke("solve", "--json", "--plot", str(plot))
    return result, plot


@pytest.fixture(scope="module")
def reference_summary():
    """``jaxcogen.solve`` on the model of the default card, called directly."""
    return jaxcogen.solve(card_to_model(default_card())).summary()


def test_solve_json_is_one_object_with_finite_numbers(json_run):
    result, _ = json_run
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)  # nothing else on stdout
    assert set(OBSERVABLE_KEYS) | {"inputs", "conventions"} <= set(document)
    assert document["status"] == "success"
    assert isinstance(document["num_steps"], int) and document["num_steps"] > 0
    for key in FLOAT_KEYS:
        assert isinstance(document[key], float) and math.isfinite(document[key]), key
    assert document["inputs"]["y2"] == {"abs": 0.05, "arg": 2.0}
    assert document["inputs"]["M1"] == 1e12
    assert document["conventions"]["spectators"] == "temperature_regime"  # the default (issue 19)
    assert document["derived"]["m_nu_eV"] > 0


def test_solve_json_matches_the_library_exactly(json_run, reference_summary):
    document = json.loads(json_run[0].stdout)
    for key in OBSERVABLE_KEYS:
        assert document[key] == reference_summary[key], key


def test_plot_writes_a_png(json_run):
    _, plot = json_run
    assert plot.stat().st_size > 10_000
    assert plot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_table_output(reference_summary):
    result = invoke("solve")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    for heading in ("Inputs", "Derived", "Conventions", "Solver", "Outputs"):
        assert f"\n{heading}\n" in text
    for word in ("T_RH", "GeV", "|a|", "GeV^-1", "J_w", "epsilon_L", "m_nu", "eV", "spectators"):
        assert word in text, word
    rows = {line.split()[0]: line for line in text.splitlines() if line.startswith("  ")}
    assert rows["status"].split()[1] == "success"
    assert float(rows["DeltaY_B"].split()[1]) == pytest.approx(
        reference_summary["DeltaY_B"], rel=1e-5
    )
    assert "wall time" in text
    # values start in one column across all sections
    table = [line for name, line in rows.items() if name not in ("wall", "plot")]
    columns = {line.index(line.split()[1], len(line.split()[0]) + 2) for line in table}
    assert len(columns) == 1


def test_card_file_and_overrides(tmp_path):
    card = apply_overrides(default_card(), ["solve.rtol=1e-8"])
    path = tmp_path / "card.toml"
    path.write_text(card_to_toml(card))
    result = invoke("solve", str(path), "--set", "y2.arg=0.5", "--set", "T_RH=4e10", "--json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["inputs"]["y2"] == {"abs": 0.05, "arg": 0.5}
    assert document["inputs"]["T_RH"] == 4e10
    expected = jaxcogen.solve(
        card_to_model(apply_overrides(card, ["y2.arg=0.5", "T_RH=4e10"])), rtol=1e-8
    ).summary()
    for key in OBSERVABLE_KEYS:
        assert document[key] == expected[key], key


def _bad_card(tmp_path: Path, text: str) -> str:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    return str(path)


GOOD = card_to_toml(default_card())


def _directory(path: Path) -> str:
    path.mkdir()
    return str(path)


def _scan_file(tmp_path: Path) -> str:
    path = tmp_path / "scan.toml"
    path.write_text("[grid]\nM1 = [1e12, 2e12]\n")
    return str(path)


@pytest.mark.parametrize(
    ("make_args", "word"),
    [
        (lambda tmp: ["solve", str(tmp / "missing.toml")], "missing.toml"),
        (lambda tmp: ["solve", _bad_card(tmp, "[model]\nM1 = = 1\n")], "TOML"),
        (lambda tmp: ["solve", _bad_card(tmp, "[modle]\n")], "modle"),
        (lambda tmp: ["solve", _bad_card(tmp, GOOD.replace("M2 =", "M3 ="))], "M3"),
        (lambda tmp: ["solve", _bad_card(tmp, GOOD.replace("M1 = 1e12", "M1 = 'x'"))], "M1"),
        (lambda tmp: ["solve", _bad_card(tmp, GOOD.replace("M1 = 1e12", "M1 = true"))], "M1"),
        (lambda tmp: ["solve", _bad_card(tmp, GOOD.replace("T_RH =", "# T_RH ="))], "T_RH"),
        (lambda tmp: ["solve", "--set", "M1"], "NAME=VALUE"),
        (lambda tmp: ["solve", "--set", "M9=1"], "M9"),
        (lambda tmp: ["solve", "--set", "M1=abc"], "M1"),
        (lambda tmp: ["solve", "--set", "M1=1e9"], "M1"),
        (lambda tmp: ["solve", "--set", "conventions.spectators=all"], "spectators"),
        (lambda tmp: ["solve", "--set", "solve.rtol=1"], "rtol"),
        (lambda tmp: ["solve", "--point", "nope"], "nope"),
        (lambda tmp: ["solve", _bad_card(tmp, GOOD), "--point", "default"], "--point"),
        (lambda tmp: ["solve", "--plot", str(tmp / "plot.xyz")], ".xyz"),
        (lambda tmp: ["solve", "--plot", str(tmp / "no" / "plot.png")], "does not exist"),
        (lambda tmp: ["solve", "--plot", "/proc/plot.png"], "cannot write in directory"),
        (lambda tmp: ["solve", "--plot", _directory(tmp / "d.png")], "is a directory"),
        (lambda tmp: ["solve", "--set", "y1=1e6"], "sqrt(4 pi)"),
        (
            lambda tmp: ["scan", _scan_file(tmp), "--out", str(tmp / "no" / "x.zarr")],
            "does not exist",
        ),
        (
            lambda tmp: ["scan", _scan_file(tmp), "--out", "/proc/x.zarr"],
            "cannot write in directory",
        ),
        (lambda tmp: ["scan", _scan_file(tmp), "--out", _scan_file(tmp)], "not a Zarr store"),
        (lambda tmp: ["scan", _scan_file(tmp), "--out", str(tmp)], "not a Zarr store"),
        (lambda tmp: ["plot", str(tmp / "none.zarr"), "--x", "M1", "--y", "T_RH"], "no such store"),
        (
            lambda tmp: ["fit", _bad_card(tmp, GOOD), "--out", str(tmp / "no" / "f.toml")],
            "does not exist",
        ),
        (lambda tmp: ["fit", _bad_card(tmp, GOOD), "--target", "Omega_chi_h2=-0.12"], "> 0"),
        (lambda tmp: ["fit", _bad_card(tmp, GOOD), "--target", "m_chi_asymmetric=0"], "> 0"),
        (lambda tmp: ["fit", _bad_card(tmp, GOOD), "--target", "DeltaY_B=0"], "non-zero"),
        (lambda tmp: ["solve", "--frobnicate"], "--frobnicate"),
        (lambda tmp: ["solve", "--set"], "--set"),
        (lambda tmp: ["frobnicate"], "frobnicate"),
        (lambda tmp: ["points", "nope"], "nope"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, make_args, word):
    result = invoke(*make_args(tmp_path))
    assert result.exit_code == EXIT_BAD_INPUT
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert word in lines[0]
    assert "Traceback" not in result.stderr


def test_model_value_error_names_M1():
    result = invoke("solve", "--set", "M1=1e9")
    assert result.exit_code == EXIT_BAD_INPUT
    assert "M1=1e+09 GeV: must be > 5*T_RH" in result.stderr


def test_failed_solve_exits_1_with_status():
    # a frozen step size (no controller gain) at the tightest tolerance exhausts the 4096 steps;
    # tolerances and controller gains are traced, so this reuses the compiled default solve
    frozen = ["solve.rtol=1e-14", "solve.atol=1e-30", "solve.pcoeff=0", "solve.icoeff=0"]
    args = [item for override in frozen for item in ("--set", override)]
    result = invoke("solve", "--json", *args, "--set", "solve.T_end_ratio=1e-14")
    assert result.exit_code == EXIT_SOLVE_FAILED
    document = json.loads(result.stdout)
    assert document["status"] == "max_steps_reached"
    assert document["DeltaY_B"] is None  # NaN becomes null: the output stays valid JSON
    assert "max_steps_reached" in result.stderr


def test_points_lists_and_prints_cards():
    listing = invoke("points")
    assert listing.exit_code == 0 and "default" in listing.stdout
    printed = invoke("points", "default")
    assert printed.exit_code == 0
    assert parse_card(printed.stdout) == default_card()


def test_help_lists_the_commands():
    result = invoke("--help")
    assert result.exit_code == 0
    assert "solve" in result.stdout and "points" in result.stdout


def test_cache_dir_is_optional(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert compilation_cache_dir() == tmp_path / "cache" / "jaxcogen" / "jax"
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # unwritable: no cache, no error
    assert compilation_cache_dir() is None


def test_console_entry_point_in_a_subprocess(tmp_path, json_run):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    process = subprocess.run(
        [sys.executable, "-m", "jaxcogen.cli", "solve", "--json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert process.returncode == 0, process.stderr
    document = json.loads(process.stdout)
    assert document["status"] == "success"
    in_process = json.loads(json_run[0].stdout)
    for key in FLOAT_KEYS:
        assert document[key] == pytest.approx(in_process[key], rel=1e-12, abs=0.0), key
    assert any((tmp_path / "jaxcogen" / "jax").iterdir())  # the persistent cache is on
    # the executable is stored: a second run neither traces nor compiles, and agrees exactly
    assert "compiling the solver (first run only)" in process.stderr
    assert len(list((tmp_path / "jaxcogen" / "executables").glob("solve-*.pkl"))) == 1
    again = subprocess.run(
        [sys.executable, "-m", "jaxcogen.cli", "solve", "--json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stderr
    assert "compiling" not in again.stderr
    repeated = json.loads(again.stdout)
    for key in OBSERVABLE_KEYS:
        assert repeated[key] == document[key], key


def test_dynamical_flag_reproduces_the_eft_where_it_holds():
    r"""``solve --dynamical`` at M_1/T_RH = 50 (built-in couplings) against the library's EFT solve.

    There the on-shell N contribution is the validity diagnostic's ratio (~1e-12) times O(1), so
    the dynamical and EFT production stages agree to the integrators' global error (~1e-6,
    ``tests/test_dynamical.py``); the CLI must run the dynamical mode (its footer says so).
    """
    args = ("solve", "--production-only", "--set", "T_RH=2e10")
    result = invoke(*args, "--dynamical", "--json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    fields = dict(jaxcogen.benchmark_points["default"], T_RH=2e10)
    eft = jaxcogen.solve(jaxcogen.CogenesisModel(**fields), late_universe=False)
    for key in ("DeltaY_B", "DeltaY_chi", "SigmaY_chi", "xi_final"):
        assert document[key] == pytest.approx(float(getattr(eft, key)), rel=1e-6), key
    assert document["num_steps"] != int(eft.num_steps)  # a different system was integrated
    table = invoke(*args, "--dynamical")
    assert "dynamical N1, N2" in table.stdout


# ---- compilation: no host callback, stored executables, Ctrl-C ----------------------------------


@pytest.mark.parametrize("late", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_the_solve_has_no_host_callback(default_model, late):
    """A host callback (diffrax's ``equinox.error_if`` on traced save times) keeps the executable
    out of JAX's persistent cache and out of ``jax.experimental.serialize_executable``: every
    ``jaxcogen solve`` recompiled. The full chain (late universe included) must have none."""
    import equinox as eqx

    from jaxcogen.production._settings import SolveSettings
    from jaxcogen.production._solve import solve_unjitted

    settings = SolveSettings.create(late_universe=late)
    jaxpr = str(eqx.filter_make_jaxpr(solve_unjitted)(default_model, settings)[0])
    for word in ("callback", "debug_print", "io_callback"):
        assert word not in jaxpr, word


class Toy(eqx.Module):
    """A module with a traced and a static field (module level: its output tree is pickled)."""

    x: jax.Array
    power: int = eqx.field(static=True)


def test_stored_executables_are_reused_and_keyed_on_static_settings(tmp_path):
    """:func:`run_compiled` compiles once, then loads: same numbers, no second announcement;
    another static setting (or another traced shape) is another executable."""
    from jaxcogen.cli._compiled import COMPILING_MESSAGE, run_compiled

    def body(toy):
        return {"y": jnp.sin(toy.x) ** toy.power, "toy": toy}

    said = []
    first = run_compiled(
        "toy", body, (Toy(jnp.arange(3.0), 2),), announce=said.append, cache_dir=tmp_path
    )
    assert said == [COMPILING_MESSAGE] and len(list(tmp_path.glob("toy-*.pkl"))) == 1
    again = run_compiled(
        "toy", body, (Toy(jnp.arange(3.0) + 1, 2),), announce=said.append, cache_dir=tmp_path
    )
    assert said == [COMPILING_MESSAGE]  # loaded, not compiled
    assert (again["y"] == jnp.sin(jnp.arange(3.0) + 1) ** 2).all()
    assert isinstance(again["toy"], Toy) and again["toy"].power == 2
    assert (first["y"] == jnp.sin(jnp.arange(3.0)) ** 2).all()
    run_compiled("toy", body, (Toy(jnp.arange(3.0), 3),), announce=said.append, cache_dir=tmp_path)
    assert len(said) == 2 and len(list(tmp_path.glob("toy-*.pkl"))) == 2
    for path in tmp_path.glob("toy-*.pkl"):  # a corrupt file is compiled over, not an error
        path.write_bytes(b"garbage")
    again = run_compiled(
        "toy", body, (Toy(jnp.arange(3.0), 2),), announce=said.append, cache_dir=tmp_path
    )
    assert len(said) == 3 and (again["y"] == first["y"]).all()


def test_a_stored_executable_that_fails_to_run_is_compiled_afresh(tmp_path, monkeypatch):
    """A stored program that loads but fails when run (XLA refusing a deserialized executable,
    seen in a process that had compiled the same kernels) costs a compilation, never a result:
    the right numbers, the announcement, and a new file in place of the old one."""
    from jaxcogen.cli import _compiled
    from jaxcogen.cli._compiled import COMPILING_MESSAGE, run_compiled

    def body(toy):
        return {"y": jnp.sin(toy.x) ** toy.power}

    toy = Toy(jnp.arange(3.0), 2)
    run_compiled("toy", body, (toy,), cache_dir=tmp_path)
    (stored,) = tmp_path.glob("toy-*.pkl")
    tree = _compiled._load(stored)[1]

    def broken(*leaves):
        raise RuntimeError("NOT_FOUND: Function multiply_divide_fusion.3 not found")

    monkeypatch.setattr(_compiled, "_load", lambda path: (broken, tree))
    written = []
    real_store = _compiled._store
    monkeypatch.setattr(
        _compiled, "_store", lambda path, *rest: (written.append(path), real_store(path, *rest))
    )
    said = []
    again = run_compiled("toy", body, (toy,), announce=said.append, cache_dir=tmp_path)
    assert said == [COMPILING_MESSAGE]
    assert (again["y"] == jnp.sin(jnp.arange(3.0)) ** 2).all()
    assert written == [stored] and stored.is_file()  # the fresh program replaced the stored one


class PassOutcome(eqx.Module):
    """What a toy pass returns: a status (0 success) and which pass ran."""

    status: jax.Array
    ran: jax.Array


class TwoPassToy(eqx.Module):
    """A model with the automatic solver choice of the interface: ``needs_implicit`` when
    ``stiffness > 1``; its explicit pass fails (status 4) when ``explicit_fails``."""

    stiffness: jax.Array
    explicit_fails: jax.Array

    def regime_passes(self, settings):
        return None  # one production system (the cogenesis regime="auto": below)

    def solver_passes(self, settings):
        return ("explicit", "implicit") if settings == "auto" else None

    def needs_implicit(self):
        return self.stiffness > 1.0


def _toy_pass(model, settings):
    if settings == "explicit":
        return PassOutcome(jnp.where(model.explicit_fails, 4, 0), jnp.asarray(1))
    return PassOutcome(jnp.asarray(0), jnp.asarray(2))


@pytest.mark.parametrize(
    "stiffness, explicit_fails, passes_run, ran",
    [(0.5, False, ["explicit"], 1), (3.0, False, ["implicit"], 2), (0.5, True, None, 2)],
)
def test_cli_chooses_the_solver_on_the_host_like_auto(
    tmp_path, monkeypatch, stiffness, explicit_fails, passes_run, ran
):
    """The CLI resolves ``solver="auto"`` on the host (one integrator compiled per run) with
    the rule of the compiled ``auto``: the explicit pass unless ``needs_implicit``, the implicit
    pass when the explicit one fails. A toy model with the interface's two capabilities checks
    each branch: which pass ran, and which executables were compiled."""
    from jaxcogen.cli import _main

    monkeypatch.setattr(_main, "_executable_cache", tmp_path)
    said = []
    monkeypatch.setattr(_main, "_announce", said.append)
    model = TwoPassToy(jnp.asarray(stiffness), jnp.asarray(explicit_fails))
    outcome = _main._run_passes("toy_pass", _toy_pass, model, "auto")
    assert int(outcome.status) == 0 and int(outcome.ran) == ran
    compiled = 1 if passes_run is not None else 2  # the explicit pass, then the implicit one
    assert len(said) == compiled
    assert len(list(tmp_path.glob("toy_pass-*.pkl"))) == compiled
    assert len(list(tmp_path.glob("needs_implicit-*.pkl"))) == 1
    # another setting than auto: one pass, no stiffness check
    outcome = _main._run_passes("toy_pass", _toy_pass, model, "implicit")
    assert int(outcome.ran) == 2


@pytest.mark.parametrize(
    "stiffness, explicit_fails, ran", [(0.5, False, 1), (3.0, False, 2), (0.5, True, 2)]
)
def test_cli_pass_choice_with_a_compile_pool_is_the_same(
    tmp_path, monkeypatch, stiffness, explicit_fails, ran
):
    """With a thread pool (the full chain's first run) the stiffness check and the explicit pass
    compile side by side; the pass that runs, and what is stored, follow the same rule: an
    explicit pass compiled in vain for a stiff point is not written."""
    from concurrent.futures import ThreadPoolExecutor

    from jaxcogen.cli import _main

    monkeypatch.setattr(_main, "_executable_cache", tmp_path)
    monkeypatch.setattr(_main, "_announce", lambda message: None)
    model = TwoPassToy(jnp.asarray(stiffness), jnp.asarray(explicit_fails))
    with ThreadPoolExecutor(max_workers=3) as pool:
        outcome = _main._run_passes("toy_pass", _toy_pass, model, "auto", pool)
    assert int(outcome.status) == 0 and int(outcome.ran) == ran
    stored = 2 if explicit_fails else 1  # the pass that ran (and the failed explicit one)
    assert len(list(tmp_path.glob("toy_pass-*.pkl"))) == stored
    assert len(list(tmp_path.glob("needs_implicit-*.pkl"))) == 1


def test_cli_solve_matches_the_library_solve(tmp_path, monkeypatch, default_model):
    """The command's solve (host-side regime and solver choice, a stored executable) gives the
    library's ``solve`` to rounding (production stage), with one production system compiled: the
    default ``regime="auto"`` is decided on the host by the model's ``regime_index``."""
    from jaxcogen.cli import _main
    from jaxcogen.production._settings import SolveSettings
    from jaxcogen.production._solve import solve

    monkeypatch.setattr(_main, "_executable_cache", tmp_path)
    monkeypatch.setattr(_main, "_announce", lambda message: None)
    settings = SolveSettings.create(late_universe=False)
    mine = _main._solve_point(default_model, settings, {"late_universe": False}, False)
    library = solve(default_model, late_universe=False)
    for name in ("DeltaY_B", "DeltaY_chi", "SigmaY_chi", "xi_final"):
        assert float(getattr(mine, name)) == pytest.approx(float(getattr(library, name)), rel=1e-12)
    assert len(list(tmp_path.glob("solve-*.pkl"))) == 1  # Tsit5 only: not stiff, and it succeeded
    assert len(list(tmp_path.glob("regime_index-*.pkl"))) == 1
    assert settings.regime == "auto" and int(mine.regime_used) == int(library.regime_used)


def test_cli_full_chain_in_two_programs_matches_the_library(tmp_path, monkeypatch, default_model):
    """The command's full chain runs the production and late stages as two programs compiled
    side by side (:func:`jaxcogen.cli._main._run_full_chain`), joined as the library joins them:
    today's observables agree with ``jaxcogen.solve`` to rounding, and both programs are stored."""
    from jaxcogen.cli import _main
    from jaxcogen.production._settings import SolveSettings
    from jaxcogen.production._solve import solve

    monkeypatch.setattr(_main, "_executable_cache", tmp_path)
    said = []
    monkeypatch.setattr(_main, "_announce", said.append)
    settings = SolveSettings.create()
    mine = _main._solve_point(default_model, settings, {}, False)
    library = solve(default_model)
    names = ("Omega_chi_h2", "asymmetric_fraction", "Delta_N_eff", "DeltaY_B", "SigmaY_chi")
    for name in names:
        assert float(getattr(mine, name)) == pytest.approx(float(getattr(library, name)), rel=1e-12)
    assert int(mine.status) == int(library.status) == 0
    assert int(mine.late_universe.num_steps) == int(library.late_universe.num_steps)
    assert len(list(tmp_path.glob("late_universe-*.pkl"))) == 1
    assert len(list(tmp_path.glob("solve-*.pkl"))) == 1
    # loaded again (here in the process that compiled them, where XLA may refuse a reload and
    # the program is compiled afresh: test_console_entry_point_in_a_subprocess checks the reuse)
    again = _main._solve_point(default_model, settings, {}, False)
    for name in names:
        assert float(getattr(again, name)) == float(getattr(mine, name))


def _start(args: list[str], cache: Path) -> subprocess.Popen:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "PYTHONUNBUFFERED": "1"}
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    return subprocess.Popen(
        [sys.executable, "-m", "jaxcogen.cli", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _interrupt_after(process: subprocess.Popen, marker: bytes, delay: float) -> tuple[int, str]:
    """Wait for ``marker`` on stderr (or the end), then ``delay`` s, then SIGINT; (code, stderr)."""
    import signal
    import threading
    import time

    chunks: list[bytes] = []

    def read():
        while block := os.read(process.stderr.fileno(), 4096):
            chunks.append(block)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + 240
    while marker not in b"".join(chunks) and process.poll() is None:
        assert time.monotonic() < deadline, b"".join(chunks)
        time.sleep(0.05)
    assert process.poll() is None, b"".join(chunks)  # still compiling
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    code = process.wait(timeout=60)
    reader.join(timeout=10)
    process.stdout.close()
    process.stderr.close()
    return code, b"".join(chunks).decode()


@pytest.mark.parametrize("delay", [0.0, pytest.param(4.0, marks=pytest.mark.slow)])
def test_ctrl_c_while_compiling_exits_130(tmp_path, delay):
    """Ctrl-C during compilation (once tracing, once XLA) exits 130 with 'interrupted', no crash.

    The first run is ~10 s on a quiet 2-core CPU (RESULTS.md §10): the message comes ~1.5 s in,
    the late stage compiles on a second thread from ~2.5 s, the production stage after ~3.5 s;
    4 s after the message XLA is compiling on some thread (on a loaded machine, all the more)."""
    process = _start(["solve"], tmp_path)
    code, stderr = _interrupt_after(process, b"compiling the solver (first run only)", delay)
    assert code == 130, stderr
    assert stderr.strip().splitlines()[-1] == "interrupted"
    assert "Traceback" not in stderr


SWALLOWED_CTRL_C = """
import gc, os, signal, sys
from jaxcogen.cli import _interrupt as interrupt

def command():
    # a Ctrl-C whose KeyboardInterrupt lands in a callback whose exceptions Python ignores
    # (seen: JAX's garbage-collection callback, while a solve compiled); the command goes on
    gc.callbacks.append(lambda *args: signal.raise_signal(signal.SIGINT))
    gc.collect()
    gc.callbacks.clear()
    print("finished", flush=True)

interrupt.run_guarded(command)
"""


def test_solve_compiles_without_xla_backend_optimisation(monkeypatch):
    """``jaxcogen solve`` switches XLA's back-end optimisation off through ``XLA_FLAGS`` (a
    first run 8.4 s instead of 9.6-10.8 s; RESULTS.md §10), appended to the user's flags and
    never overriding a level the user chose. (That its numbers agree with the library's to
    1e-12: test_console_entry_point_in_a_subprocess, which runs it.)"""
    from jaxcogen.cli._main import SOLVE_XLA_FLAG, quick_compilation

    monkeypatch.delenv("XLA_FLAGS", raising=False)
    quick_compilation()
    assert os.environ["XLA_FLAGS"] == SOLVE_XLA_FLAG == "--xla_backend_optimization_level=0"
    monkeypatch.setenv("XLA_FLAGS", "--xla_force_host_platform_device_count=2")
    quick_compilation()
    assert os.environ["XLA_FLAGS"] == f"--xla_force_host_platform_device_count=2 {SOLVE_XLA_FLAG}"
    mine = "--xla_backend_optimization_level=3"
    monkeypatch.setenv("XLA_FLAGS", mine)
    quick_compilation()
    assert os.environ["XLA_FLAGS"] == mine


def test_a_swallowed_ctrl_c_still_exits_130():
    """The KeyboardInterrupt of a Ctrl-C can be swallowed on its way (raised inside a gc
    callback: Python prints "Exception ignored" and carries on); the command then still exits
    130 with its one line, and no traceback is printed."""
    process = subprocess.run(
        [sys.executable, "-c", SWALLOWED_CTRL_C],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert process.returncode == 130, process.stderr
    assert process.stderr.strip().splitlines()[-1] == "interrupted"
    assert "Traceback" not in process.stderr and "Exception ignored" not in process.stderr


@pytest.mark.slow
def test_ctrl_c_while_a_scan_compiles_exits_130(tmp_path):
    out = tmp_path / "out.zarr"
    process = _start(["scan", _scan_file(tmp_path), "--out", str(out)], tmp_path / "cache")
    code, stderr = _interrupt_after(process, b"compiling", 5.0)
    assert code == 130, stderr
    assert f"interrupted; finished chunks are in {out}; rerun with --resume" in stderr
    assert "Traceback" not in stderr


# ---- smaller defects -------------------------------------------------------------------------


def test_zero_production_is_a_trustworthy_zero():
    """y1 = y2 = 0: no EFT and no on-shell production; the diagnostic is 0, not inf (no warning)."""
    from jaxcogen.production._validity import eft_validity

    fields = dict(jaxcogen.benchmark_points["default"], y1=0.0, y2=0.0)
    validity = eft_validity(jaxcogen.CogenesisModel(**fields))
    assert float(validity.resonant_ratio) == 0.0
    assert bool(validity.trustworthy)
    # on-shell N without any EFT rate (lambda = 0 kills a, b; y alone cannot make chi): still 0
    fields = dict(jaxcogen.benchmark_points["default"], lambda1=0.0, lambda2=0.0)
    assert float(eft_validity(jaxcogen.CogenesisModel(**fields)).resonant_ratio) == 0.0


def test_unknown_solve_setting_is_a_value_error_listing_the_allowed(default_model):
    with pytest.raises(ValueError, match=r"rtoll.*did you mean 'rtol'.*allowed: .*atol"):
        jaxcogen.solve(default_model, rtoll=1e-8)


def test_fit_announces_the_compilation_before_it(tmp_path, monkeypatch):
    """Before the first optimiser step (30-40 s of compilation) the fit says so on stderr."""
    import jaxcogen.fitting._fit as fit_module

    def no_fit(*args, **kwargs):
        raise ValueError("stopped by the test")

    monkeypatch.setattr(fit_module, "fit", no_fit)
    result = invoke("fit", _bad_card(tmp_path, GOOD))
    assert result.exit_code == EXIT_BAD_INPUT
    lines = result.stderr.splitlines()
    assert lines[0].startswith("fitting ") and lines[1].startswith("compiling")
    assert lines[-1] == "error: stopped by the test"


def test_plot_legends_leave_the_curves_alone(default_solution):
    """The xi legend sits below its panel (inside it covered the falling curve) and the gap
    between production and the late stage is labelled."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from jaxcogen._plotting import HANDOVER_LABEL, plot_evolution

    assert default_solution.late_universe is not None
    figure = plot_evolution(default_solution)
    FigureCanvasAgg(figure).draw()
    ax_xi, ax_yield = figure.axes[:2]
    legend = ax_xi.get_legend().get_window_extent()
    assert legend.y1 <= ax_xi.get_window_extent().y0  # entirely below the xi panel
    labels = [text.get_text() for text in ax_yield.get_legend().get_texts()]
    assert HANDOVER_LABEL in labels
