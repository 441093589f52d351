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
    assert document["conventions"]["spectators"] == "none"
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
