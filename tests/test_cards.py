"""Parameter cards: parsing, round trips, overrides and one-line errors (no solves here)."""

import cmath
import inspect
import math

import pytest

import jaxcogen
from jaxcogen.model._cards import (
    SOLVE_OPTION_TYPES,
    Card,
    CardError,
    apply_overrides,
    card_solve_settings,
    card_to_document,
    card_to_model,
    card_to_toml,
    default_card,
    load_card,
    parse_card,
    polar_parts,
    tomllib,
)

CARD_TEXT = """\
[model]
M1 = 1e12          # GeV
M2 = 3e12
y1 = 0.04          # a real number, or
y2 = { abs = 0.05, arg = 1.0 }   # a complex coupling as modulus + phase (radians)
lambda1 = { re = 0.3, im = -0.01 }
lambda2 = { abs = 0.3, arg = 0.5 }
m_chi = 1.0
m_phi = 2.0
kappa = 1.0
T_RH = 5e10
eft_hierarchy = 4.0

[conventions]
spectators = "sm_equilibrium"
mixed_processes = false
g_dark = 9

[solve]
rtol = 1e-8
max_steps = 8192
solver = "Kvaerno3"
"""


def replace_line(text: str, start: str, new: str | None) -> str:
    """``text`` with the line beginning ``start`` replaced by ``new`` (or removed)."""
    lines = [
        (new if line.startswith(start) else line)
        for line in text.splitlines()
        if new is not None or not line.startswith(start)
    ]
    return "\n".join(lines) + "\n"


def model_fields_equal(a: jaxcogen.CogenesisModel, b: jaxcogen.CogenesisModel) -> bool:
    names = ("M1", "M2", "y1", "y2", "lambda1", "lambda2", "m_chi", "m_phi", "kappa", "T_RH")
    return all(complex(getattr(a, n)) == complex(getattr(b, n)) for n in names)


# ---- reading and writing ------------------------------------------------------------------------


def test_parse_card_reads_every_form():
    card = parse_card(CARD_TEXT)
    fields = card.model_fields
    assert fields["M1"] == 1e12 and isinstance(fields["M1"], float)
    assert fields["y1"] == 0.04 and isinstance(fields["y1"], float)
    assert fields["y2"] == cmath.rect(0.05, 1.0)
    assert fields["lambda1"] == complex(0.3, -0.01)
    assert fields["eft_hierarchy"] == 4.0
    assert card.conventions == {
        "spectators": "sm_equilibrium",
        "mixed_processes": False,
        "g_dark": 9.0,
    }
    assert card.solve_options == {"rtol": 1e-8, "max_steps": 8192, "solver": "Kvaerno3"}
    model = card_to_model(card)
    assert model.conventions == jaxcogen.Conventions(
        spectators="sm_equilibrium", mixed_processes=False
    )
    assert model.eft_hierarchy == 4.0
    assert card_solve_settings(card).solver == "Kvaerno3"


def test_round_trip_toml_card_toml_card(tmp_path):
    first = tmp_path / "first.toml"
    first.write_text(CARD_TEXT)
    card = load_card(first)
    text = card_to_toml(card)
    second = tmp_path / "second.toml"
    second.write_text(text)
    again = load_card(second)
    assert again == card
    assert card_to_toml(again) == text  # writing is deterministic
    assert model_fields_equal(card_to_model(again), card_to_model(card))


@pytest.mark.parametrize(
    "value",
    [cmath.rect(0.05, 1.0), complex(0.3, -0.01), complex(1e-3, 2e-5), -0.04, 1j, 0.0],
)
def test_round_trip_of_couplings_is_exact(value):
    card = Card({**default_card().model_fields, "y2": value})
    assert parse_card(card_to_toml(card)) == card


def test_couplings_written_as_abs_arg():
    text = card_to_toml(default_card())
    assert "y2 = { abs = 0.05, arg = 2.0 }" in text
    assert "lambda2 = { abs = 0.6511130486685256, arg = -2.0 }" in text
    assert "M1 = 1e12" in text and "T_RH = 3.3e10" in text


def test_writer_agrees_with_tomli_w():
    tomli_w = pytest.importorskip("tomli_w")
    card = parse_card(CARD_TEXT)
    ours = tomllib.loads(card_to_toml(card))
    theirs = tomllib.loads(tomli_w.dumps(card_to_document(card)))
    assert ours == theirs


def test_default_card_is_the_builtin_point_exactly():
    card = default_card()
    assert card.conventions == {} and card.solve_options == {}
    reference = jaxcogen.CogenesisModel(**jaxcogen.benchmark_points["default"])
    assert model_fields_equal(card_to_model(card), reference)


def test_polar_parts_prefers_short_decimals():
    assert polar_parts(cmath.rect(0.05, 1.0)) == (0.05, 1.0)
    r, t = polar_parts(complex(0.3, 0.4))
    assert math.isclose(r, 0.5) and math.isclose(t, math.atan2(0.4, 0.3))


def test_solve_option_names_match_solve_settings():
    parameters = set(inspect.signature(jaxcogen.SolveSettings.create).parameters)
    assert set(SOLVE_OPTION_TYPES) == parameters


# ---- overrides -----------------------------------------------------------------------------------


def test_override_real_fields_and_eft_hierarchy():
    card = default_card()
    new = apply_overrides(card, ["M1=2e12", "T_RH=1e10", "model.m_chi=0.5", "eft_hierarchy=10"])
    assert new.model_fields["M1"] == 2e12
    assert new.model_fields["T_RH"] == 1e10
    assert new.model_fields["m_chi"] == 0.5
    assert new.model_fields["eft_hierarchy"] == 10.0
    assert card == default_card()  # the input card is unchanged


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("y2.arg=0.5", cmath.rect(0.05, 0.5)),  # keeps |y2| = 0.05
        ("y2.abs=0.07", cmath.rect(0.07, 2.0)),  # keeps arg y2 = 2
        ("y2.re=0.01", complex(0.01, cmath.rect(0.05, 2.0).imag)),
        ("y2.im=0.02", complex(cmath.rect(0.05, 2.0).real, 0.02)),
        ("y1.arg=0.3", cmath.rect(0.04, 0.3)),  # a real coupling becomes complex
        ("y1.im=0.01", complex(0.04, 0.01)),
        ("y2={abs = 0.1, arg = 2.0}", cmath.rect(0.1, 2.0)),
        ("y2={re = 0.1, im = -0.2}", complex(0.1, -0.2)),
        ("y2=0.03+0.04j", complex(0.03, 0.04)),
        ("y2=0.2", 0.2),
    ],
)
def test_override_couplings(override, expected):
    name = override.split(".")[0].split("=")[0]
    assert apply_overrides(default_card(), [override]).model_fields[name] == expected


def test_overrides_apply_in_order():
    card = apply_overrides(default_card(), ["y2.abs=0.2", "y2.arg=-1.5"])
    assert card.model_fields["y2"] == cmath.rect(0.2, -1.5)


def test_override_conventions_and_solve_options():
    card = apply_overrides(
        default_card(),
        [
            "conventions.spectators=sm_equilibrium",
            "conventions.mixed_processes=false",
            "conventions.energy_transfer='talk'",
            "conventions.g_dark=10",
            "solve.rtol=1e-10",
            "solve.solver=Kvaerno3",
            "solve.max_steps=1e4",
        ],
    )
    assert card.conventions == {
        "spectators": "sm_equilibrium",
        "mixed_processes": False,
        "energy_transfer": "talk",
        "g_dark": 10.0,
    }
    assert card.solve_options == {"rtol": 1e-10, "solver": "Kvaerno3", "max_steps": 10000}
    conventions = card_to_model(card).conventions
    assert conventions.spectators == "sm_equilibrium" and conventions.g_dark == 10.0
    assert card_solve_settings(card).max_steps == 10000


# ---- errors ----------------------------------------------------------------------------------------


def assert_one_line(err: CardError, *words: str) -> None:
    message = str(err)
    assert "\n" not in message and message.strip() == message
    for word in words:
        assert word in message, (word, message)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[modle]\nM1 = 1\n", ("[modle]", "did you mean", "model")),
        ("M1 = 1e12\n", ("M1", "[model]")),
        ("[model]\nM1 = = 1\n", ("TOML",)),
        (replace_line(CARD_TEXT, "M1", 'M1 = "big"'), ("M1", "expected a number", "'big'")),
        (replace_line(CARD_TEXT, "M1", "M1 = true"), ("M1", "True")),
        (replace_line(CARD_TEXT, "kappa", "kappa = [1.0]"), ("kappa",)),
        (replace_line(CARD_TEXT, "T_RH", None), ("missing", "T_RH")),
        (replace_line(CARD_TEXT, "M2", "M3 = 3e12"), ("M3", "did you mean")),
        (  # the suggestion goes by meaning ('arg'), not by spelling ('abs')
            replace_line(CARD_TEXT, "y2", "y2 = { abs = 0.05, phase = 1.0 }"),
            ("y2", "phase", "did you mean 'arg'"),
        ),
        (
            replace_line(CARD_TEXT, "y2", "y2 = { modulus = 0.05, arg = 1.0 }"),
            ("y2", "modulus", "did you mean 'abs'"),
        ),
        (replace_line(CARD_TEXT, "y2", "y2 = { abs = 0.05 }"), ("y2", "abs")),
        (replace_line(CARD_TEXT, "y2", "y2 = { abs = 0.05, im = 1.0 }"), ("y2",)),
        (replace_line(CARD_TEXT, "y2", "y2 = { abs = -0.05, arg = 1.0 }"), ("y2.abs",)),
        (replace_line(CARD_TEXT, "y2", 'y2 = "0.05"'), ("y2",)),
        (replace_line(CARD_TEXT, "spectators", 'spectator = "none"'), ("spectator", "spectators")),
        (
            replace_line(CARD_TEXT, "mixed_processes", 'mixed_processes = "no"'),
            ("mixed_processes",),
        ),
        (replace_line(CARD_TEXT, "rtol", "rtoll = 1e-8"), ("rtoll", "rtol")),
        (replace_line(CARD_TEXT, "max_steps", "max_steps = 10.5"), ("max_steps", "integer")),
        (replace_line(CARD_TEXT, "solver", "solver = 5"), ("solver",)),
        ("[model]\n[model.conventions]\nspectators = 'none'\n", ("conventions", "top-level")),
        ("[conventions]\nspectators = 'none'\n", ("missing", "[model]")),
    ],
)
def test_card_errors_are_one_line_and_name_the_key(text, words):
    with pytest.raises(CardError) as info:
        parse_card(text)
    assert_one_line(info.value, *words)


def test_load_card_errors_name_the_file(tmp_path):
    with pytest.raises(CardError) as info:
        load_card(tmp_path / "missing.toml")
    assert_one_line(info.value, "missing.toml", "no such")
    bad = tmp_path / "bad.toml"
    bad.write_text("[model]\nM1 = = 1\n")
    with pytest.raises(CardError) as info:
        load_card(bad)
    assert_one_line(info.value, "bad.toml", "TOML", "line 2")


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ("M1", ("NAME=VALUE",)),
        ("=3", ("NAME=VALUE",)),
        ("M1=", ("M1", "missing value")),
        ("M3=1", ("M3", "did you mean")),
        ("y2.phase=1", ("y2.phase", "did you mean 'y2.arg'")),
        ("conventions.spectator=none", ("conventions.spectator", "conventions.spectators")),
        ("solve.rtoll=1e-9", ("solve.rtoll", "solve.rtol")),
        ("M1=abc", ("M1", "'abc'")),
        ("M1=true", ("M1", "True")),
        ("y2.abs=big", ("y2.abs",)),
        ("y2.abs=-1", ("y2.abs", ">= 0")),
        ("conventions.mixed_processes=yes", ("mixed_processes", "true or false")),
        ("solve.max_steps=1.5", ("max_steps", "integer")),
    ],
)
def test_override_errors(override, words):
    with pytest.raises(CardError) as info:
        apply_overrides(default_card(), [override])
    assert_one_line(info.value, *words)


@pytest.mark.parametrize(
    ("override", "build", "words"),
    [
        ("M1=1e9", card_to_model, ("M1", "T_RH")),
        ("m_chi=-1", card_to_model, ("m_chi", "> 0")),
        ("T_RH=inf", card_to_model, ("T_RH",)),
        ("y1=1e6", card_to_model, ("y1", "sqrt(4 pi)")),
        ("lambda2.abs=3.6", card_to_model, ("lambda2", "sqrt(4 pi)")),
        ("conventions.spectators=all", card_to_model, ("spectators", "sm_equilibrium")),
        ("conventions.statistics=quantum", card_to_model, ("statistics", "quadrature")),
        ("solve.rtol=1", card_solve_settings, ("rtol", "range")),
        ("solve.solver=Euler", card_solve_settings, ("solver", "Kvaerno5")),
    ],
)
def test_value_errors_of_model_conventions_and_solver(override, build, words):
    card = apply_overrides(default_card(), [override])  # the types are fine ...
    with pytest.raises(CardError) as info:  # ... the values are not
        build(card)
    assert_one_line(info.value, *words)
    assert isinstance(info.value, ValueError)


def test_unknown_point():
    with pytest.raises(CardError) as info:
        default_card("defualt")
    assert_one_line(info.value, "defualt", "did you mean", "default")


def test_couplings_up_to_the_perturbative_bound_are_accepted():
    bound = math.sqrt(4.0 * math.pi)
    card = apply_overrides(default_card(), [f"y1={bound}", "lambda1.abs=3.5"])
    model = card_to_model(card)
    assert abs(complex(model.y1)) == pytest.approx(bound)


def test_model_construction_refuses_a_non_perturbative_coupling():
    fields = dict(jaxcogen.benchmark_points["default"], y2=4.0j)
    with pytest.raises(ValueError, match=r"y2=4j: \|y2\| = 4 is above .*sqrt\(4 pi\)"):
        jaxcogen.CogenesisModel(**fields)
