"""``jaxcogen bound``: input checks (exit 2 before any compilation) and the parsing of its
options; the bound itself is tested on models with closed-form edges in ``test_bounds.py``."""

import pytest
from typer.testing import CliRunner

from jaxcogen.cli._bound import (
    DEFAULT_CONSTRAINT_TOLERANCE,
    EXIT_BAD_INPUT,
    parse_constraints,
    parse_limits,
    parse_upper_limits,
)
from jaxcogen.cli._main import app

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_constraints_default_to_the_model_targets():
    defaults = {"DeltaY_B": 8.7e-11, "Omega_chi_h2": 0.12}
    assert parse_constraints(None, defaults) == {
        "DeltaY_B": (8.7e-11, DEFAULT_CONSTRAINT_TOLERANCE),
        "Omega_chi_h2": (0.12, DEFAULT_CONSTRAINT_TOLERANCE),
    }
    assert parse_constraints(["none"], defaults) == {}
    assert parse_constraints(["DeltaY_B=-8.7e-11:0.1", "Omega_chi_h2=0.12"], defaults) == {
        "DeltaY_B": (-8.7e-11, 0.1),
        "Omega_chi_h2": (0.12, DEFAULT_CONSTRAINT_TOLERANCE),
    }


@pytest.mark.parametrize(
    "item, words",
    [
        ("DeltaY_B", "NAME=VALUE"),
        ("DeltaY_B=abc", "not VALUE"),
        ("DeltaY_B=8.7e-11:1.5", "allowed range (0, 1)"),
        ("Omega_chi_h2=-0.12", "must be > 0"),
    ],
)
def test_bad_constraints_are_refused(item, words):
    with pytest.raises(ValueError, match="--constraint|--target") as error:
        parse_constraints([item], {})
    assert words in str(error.value)


def test_limits_parse_and_bad_ones_are_refused():
    assert parse_limits(["M1=1e9:1e13", "m_chi=0.01:10"]) == {
        "M1": (1e9, 1e13),
        "m_chi": (0.01, 10.0),
    }
    assert parse_limits(None) is None
    for item in ("M1=1e9", "M1=a:b", "M1=1e13:1e9", "M1"):
        with pytest.raises(ValueError, match="--limit"):
            parse_limits([item])


def test_upper_limits_parse_and_bad_ones_are_refused():
    assert parse_upper_limits(["m_nu=5e-11", "m_chi_over_m_phi=none"]) == {
        "m_nu": 5e-11,
        "m_chi_over_m_phi": None,
    }
    assert parse_upper_limits(None) is None
    for item in ("m_nu", "m_nu=abc", "m_nu=-1", "m_nu=inf"):
        with pytest.raises(ValueError, match="--upper-limit"):
            parse_upper_limits([item])


@pytest.mark.parametrize(
    "args, words",
    [
        (["M1", "--upper-limit", "m_nux=1e-10"], "upper_limits['m_nux']: not an observable"),
        (["M1", "--constraint", "DeltaY_B=8.7e-11:2"], "REL_TOL"),
        (["M_N1"], "not a parameter or observable"),
        (["M1", "--limit", "M1=1e13:1e9"], "LOW must be below HIGH"),
        (["M1", "--free", ","], "no parameter names"),
        (["M1", "nonexistent.toml"], "nonexistent.toml"),
        (["M1", "--out", "/nonexistent/dir/bound.json"], "--out"),
        (["M1", "--polish", "-1"], "Invalid value for '--polish'"),
    ],
)
def test_bound_command_refuses_bad_input_up_front(args, words):
    """Exit 2 with a one-line reason, before anything is compiled (fast)."""
    result = invoke("bound", *args)
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert words in result.output
    assert "compiling" not in result.output


def test_polishing_options_reach_the_bound(monkeypatch):
    """``--polish`` and ``--no-pattern-moves`` are handed to :func:`jaxcogen.bounds.bound` as
    ``polish_iterations`` and ``pattern_moves`` (defaults: bound's own, 20 and True). The bound
    is replaced by a stand-in that records its keywords and stops the command with a
    ``ValueError`` (which the command reports with exit 2), so nothing is compiled."""
    import inspect

    import jaxcogen.bounds._bounds as bounds_module

    seen = {}

    def stand_in(*args, **kwargs):
        seen.update(kwargs)
        raise ValueError("stand-in bound")

    defaults = inspect.signature(bounds_module.bound).parameters
    monkeypatch.setattr(bounds_module, "bound", stand_in)
    result = invoke("bound", "M1")
    assert result.exit_code == EXIT_BAD_INPUT and "stand-in bound" in result.output
    assert seen["polish_iterations"] == defaults["polish_iterations"].default
    assert seen["pattern_moves"] is defaults["pattern_moves"].default
    invoke("bound", "M1", "--polish", "3", "--no-pattern-moves")
    assert seen["polish_iterations"] == 3 and seen["pattern_moves"] is False
