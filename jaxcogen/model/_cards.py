r"""Parameter cards: one model point, its conventions and its solver options in a small TOML file.

A card::

    [model]
    M1 = 1e12                         # GeV
    M2 = 3e12                         # GeV
    y1 = 0.04                         # a real number, or
    y2 = { abs = 0.05, arg = 1.0 }    # a complex coupling: modulus and phase [rad], or
    lambda1 = { re = 0.3, im = 0.0 }  # real and imaginary part
    lambda2 = { abs = 0.3, arg = 0.5 }
    m_chi = 1.0                       # GeV
    m_phi = 2.0                       # GeV
    kappa = 1.0
    T_RH = 5e10                       # GeV
    # eft_hierarchy = 5.0             # optional: h of M_i > h T_RH > m_chi, m_phi

    [conventions]                     # optional: fields of jaxcogen.Conventions
    spectators = "none"

    [solve]                           # optional: keyword arguments of jaxcogen.solve
    rtol = 1e-8

Loading (:func:`load_card`) and overriding (:func:`apply_overrides`) check the structure and the
types; :func:`card_to_model` and :func:`card_solve_settings` check the values (so an override can
still repair an out-of-range card). Every problem raises :class:`CardError` (a ``ValueError``)
with a one-line message that names the offending key.

A :class:`Card` holds a complex coupling as a Python ``complex`` (exactly the number the model
gets) and a real one as a ``float``; :func:`card_to_toml` writes a complex coupling as
``{abs, arg}`` with the shortest decimals that reproduce it exactly, so that
TOML → Card → TOML → Card is the identity.
"""

import cmath
import dataclasses
import difflib
import json
import math
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from jaxcogen.model._benchmark_points import POINTS
from jaxcogen.model._cogenesis import CogenesisModel
from jaxcogen.model._conventions import Conventions
from jaxcogen.model._parameters import COMPLEX_FIELDS, COMPLEX_PARTS
from jaxcogen.production._settings import SolveSettings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: Required entries of ``[model]``, in the order a card is written.
MODEL_FIELDS: tuple[str, ...] = (
    "M1",
    "M2",
    "y1",
    "y2",
    "lambda1",
    "lambda2",
    "m_chi",
    "m_phi",
    "kappa",
    "T_RH",
)
#: Optional entries of ``[model]``.
OPTIONAL_MODEL_FIELDS: tuple[str, ...] = ("eft_hierarchy",)

#: Units of the dimensionful model fields.
UNITS: dict[str, str] = {name: "GeV" for name in ("M1", "M2", "m_chi", "m_phi", "T_RH")}

#: One-line meaning of each model field (comments of a written card, the CLI table).
DESCRIPTIONS: dict[str, str] = {
    "M1": "mass of the heavy Majorana neutrino N1",
    "M2": "mass of the heavy Majorana neutrino N2",
    "y1": "Yukawa coupling of (L.H) N1",
    "y2": "Yukawa coupling of (L.H) N2",
    "lambda1": "dark coupling of (chi phi) N1",
    "lambda2": "dark coupling of (chi phi) N2",
    "m_chi": "Dirac dark-matter mass",
    "m_phi": "dark scalar mass",
    "kappa": "dark-sink coupling of phi chi^c eta",
    "T_RH": "reheating temperature",
    "eft_hierarchy": "h of the validity rule M_i > h T_RH > m_chi, m_phi",
}

#: Fields of :class:`~jaxcogen.Conventions` and their defaults (the default's type is the type).
CONVENTION_DEFAULTS: dict[str, Any] = {
    field.name: field.default for field in dataclasses.fields(Conventions)
}

#: Keyword arguments of :func:`jaxcogen.solve` a ``[solve]`` table may set, with their types.
SOLVE_OPTION_TYPES: dict[str, type] = {
    "rtol": float,
    "atol": float,
    "T_end_ratio": float,
    "solver": str,
    "max_steps": int,
    "n_save": int,
    "pcoeff": float,
    "icoeff": float,
    "fixed_xi": float,
    "adjoint": str,
    "late_universe": bool,
    "regime": str,
    "eft_tolerance": float,
    "eft_observables": str,
}

TABLES: tuple[str, ...] = ("model", "conventions", "solve")

#: Every name :func:`apply_overrides` accepts (``model.`` may prefix a model name).
OVERRIDE_NAMES: tuple[str, ...] = (
    MODEL_FIELDS
    + OPTIONAL_MODEL_FIELDS
    + tuple(f"{c}.{p}" for c in COMPLEX_FIELDS for p in COMPLEX_PARTS)
    + tuple(f"conventions.{name}" for name in CONVENTION_DEFAULTS)
    + tuple(f"solve.{name}" for name in SOLVE_OPTION_TYPES)
)

OVERRIDE_EXAMPLES = "T_RH=1e10, y2.arg=0.5, conventions.spectators=sm_equilibrium, solve.rtol=1e-10"

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


class CardError(ValueError):
    """A bad card, override or model value; the message is one line and names the key."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))


@dataclasses.dataclass(frozen=True)
class Card:
    """One parameter point with its conventions and solver options.

    Attributes:
        model_fields: keyword arguments of :class:`~jaxcogen.CogenesisModel` (masses in GeV as
            ``float``, couplings as ``float`` or ``complex``, optionally ``eft_hierarchy``).
        conventions: keyword arguments of :class:`~jaxcogen.Conventions` (unset ones keep their
            defaults).
        solve_options: keyword arguments of :func:`jaxcogen.solve`.
    """

    model_fields: dict[str, float | complex]
    conventions: dict[str, str | float | bool] = dataclasses.field(default_factory=dict)
    solve_options: dict[str, float | int | str] = dataclasses.field(default_factory=dict)


# ---- small helpers -------------------------------------------------------------------------------


#: Other names for the parts of a complex coupling, suggested by meaning rather than spelling
#: (difflib alone answers 'abs' to 'phase').
_PART_SYNONYMS: dict[str, str] = {
    "phase": "arg",
    "angle": "arg",
    "argument": "arg",
    "phi": "arg",
    "theta": "arg",
    "modulus": "abs",
    "mod": "abs",
    "magnitude": "abs",
    "norm": "abs",
    "real": "re",
    "imag": "im",
    "imaginary": "im",
}


def _suggestion(name: str, allowed: Iterable[str]) -> str:
    """`` (did you mean 'X'?)`` for the closest allowed name, or an empty string."""
    allowed = list(allowed)
    head, dot, tail = name.rpartition(".")
    synonym = _PART_SYNONYMS.get((tail if dot else name).lower())
    if synonym is not None:
        candidate = f"{head}.{synonym}" if dot else synonym
        if candidate in allowed:
            return f" (did you mean {candidate!r}?)"
    close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_keys(where: str, keys: Iterable[str], allowed: Iterable[str]) -> None:
    allowed = tuple(allowed)
    for key in keys:
        if key not in allowed:
            raise CardError(
                f"{where}: unknown key {key!r}{_suggestion(key, allowed)}; "
                f"allowed: {', '.join(allowed)}"
            )


def _as_table(where: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise CardError(f"{where}: expected a table, got {value!r}")
    return value


def polar_parts(z: complex) -> tuple[float, float]:
    """Modulus and phase [rad] of ``z``: the shortest decimals whose ``cmath.rect`` is exactly ``z``.

    Falls back to ``(abs(z), cmath.phase(z))`` when no pair reproduces ``z`` bit for bit.
    """
    modulus, phase = abs(z), cmath.phase(z)
    for digits in range(1, 18):
        r, t = float(f"{modulus:.{digits}g}"), float(f"{phase:.{digits}g}")
        if cmath.rect(r, t) == z:
            return r, t
    return modulus, phase


def real_number(where: str, value: Any, expected: str = "a number") -> float:
    """``value`` as a float; :class:`CardError` for a bool, a string, a table, ..."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CardError(f"{where}: expected {expected}, got {value!r}")
    try:
        return float(value)
    except OverflowError:
        raise CardError(f"{where}: {value!r} is too large for a float") from None


def coupling_value(where: str, value: Any) -> float | complex:
    """A coupling: a real number, ``{abs, arg}`` (phase in radians) or ``{re, im}``."""
    expected = "a number, {abs = .., arg = ..} or {re = .., im = ..}"
    if isinstance(value, complex):
        return value
    if not isinstance(value, Mapping):
        return real_number(where, value, expected)
    _check_keys(where, value, COMPLEX_PARTS)
    keys = set(value)
    if keys == {"abs", "arg"}:
        modulus = real_number(f"{where}.abs", value["abs"])
        phase = real_number(f"{where}.arg", value["arg"])
        if modulus < 0:
            raise CardError(f"{where}.abs={modulus!r}: must be >= 0 (put a sign into arg)")
        try:
            return cmath.rect(modulus, phase)
        except ValueError:
            raise CardError(
                f"{where}: {{abs = {modulus!r}, arg = {phase!r}}} is not finite"
            ) from None
    if keys == {"re", "im"}:
        return complex(
            real_number(f"{where}.re", value["re"]), real_number(f"{where}.im", value["im"])
        )
    raise CardError(f"{where}: expected {expected}, got keys {sorted(keys)}")


def convention_value(name: str, value: Any) -> str | float | bool:
    """A value of :class:`~jaxcogen.Conventions` field ``name``, type-checked against its default."""
    where = f"[conventions] {name}"
    default = CONVENTION_DEFAULTS[name]
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise CardError(f"{where}: expected true or false, got {value!r}")
        return value
    if isinstance(default, float):
        return real_number(where, value)
    if not isinstance(value, str):
        raise CardError(f"{where}: expected a string, got {value!r}")
    return value


def solve_option_value(name: str, value: Any) -> float | int | str | bool:
    """A keyword argument ``name`` of :func:`jaxcogen.solve`, type-checked."""
    where = f"[solve] {name}"
    kind = SOLVE_OPTION_TYPES[name]
    if kind is bool:
        if not isinstance(value, bool):
            raise CardError(f"{where}: expected true or false, got {value!r}")
        return value
    if kind is float:
        return real_number(where, value)
    if kind is int:
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise CardError(f"{where}: expected an integer, got {value!r}")
        return value
    if not isinstance(value, str):
        raise CardError(f"{where}: expected a string, got {value!r}")
    return value


def _model_value(name: str, value: Any) -> float | complex:
    where = f"[model] {name}"
    if name in COMPLEX_FIELDS:
        return coupling_value(where, value)
    unit = UNITS.get(name)
    return real_number(where, value, f"a number ({unit})" if unit else "a number")


# ---- reading ---------------------------------------------------------------------------------


def card_from_document(document: Mapping[str, Any]) -> Card:
    """A :class:`Card` from a parsed TOML document (checks tables, keys and types)."""
    for name, value in document.items():
        if name in TABLES:
            _as_table(f"[{name}]", value)
        elif not isinstance(value, Mapping):
            hint = " (put it under [model])" if name in MODEL_FIELDS + OPTIONAL_MODEL_FIELDS else ""
            raise CardError(f"top-level key {name!r} outside a table{hint}")
        else:
            raise CardError(
                f"unknown table [{name}]{_suggestion(name, TABLES)}; "
                f"allowed: {', '.join(f'[{t}]' for t in TABLES)}"
            )
    if "model" not in document:
        raise CardError("missing table [model]")
    model_table = document["model"]
    for key in model_table:
        if key in ("conventions", "solve"):
            raise CardError(f"[model] {key}: write it as a top-level table [{key}]")
    _check_keys("[model]", model_table, MODEL_FIELDS + OPTIONAL_MODEL_FIELDS)
    missing = [name for name in MODEL_FIELDS if name not in model_table]
    if missing:
        raise CardError(f"[model]: missing required field {missing[0]!r}")
    model_fields = {name: _model_value(name, model_table[name]) for name in model_table}
    conventions_table = document.get("conventions", {})
    _check_keys("[conventions]", conventions_table, CONVENTION_DEFAULTS)
    solve_table = document.get("solve", {})
    _check_keys("[solve]", solve_table, SOLVE_OPTION_TYPES)
    return Card(
        model_fields={name: model_fields[name] for name in _field_order(model_fields)},
        conventions={k: convention_value(k, v) for k, v in conventions_table.items()},
        solve_options={k: solve_option_value(k, v) for k, v in solve_table.items()},
    )


def _field_order(fields: Iterable[str]) -> list[str]:
    order = MODEL_FIELDS + OPTIONAL_MODEL_FIELDS
    return sorted(fields, key=lambda name: order.index(name) if name in order else len(order))


def parse_card(text: str) -> Card:
    """A :class:`Card` from TOML text."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise CardError(f"not valid TOML: {err}") from None
    return card_from_document(document)


def load_card(path: str | Path) -> Card:
    """Read a card file; :class:`CardError` (message prefixed by the path) on any problem."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise CardError(f"{path}: no such card file") from None
    except UnicodeDecodeError:
        raise CardError(f"{path}: not a UTF-8 text file") from None
    except OSError as err:
        raise CardError(f"{path}: cannot read the card: {err.strerror or err}") from None
    try:
        return parse_card(text)
    except CardError as err:
        raise CardError(f"{path}: {err}") from None


def point_names() -> tuple[str, ...]:
    """Names of the built-in parameter points (:data:`jaxcogen.model._benchmark_points`)."""
    return tuple(POINTS)


def default_card(point: str = "default") -> Card:
    """The card of a built-in point (``jaxcogen.benchmark_points[point]``), default conventions."""
    if point not in POINTS:
        raise CardError(
            f"unknown point {point!r}{_suggestion(point, POINTS)}; "
            f"built-in points: {', '.join(POINTS)}"
        )
    fields = {name: _model_value(name, value) for name, value in POINTS[point].items()}
    return Card(model_fields={name: fields[name] for name in _field_order(fields)})


# ---- overrides -----------------------------------------------------------------------------------


def parse_override_value(text: str) -> Any:
    """The value of ``NAME=VALUE``: a TOML value (``1e10``, ``true``, ``{abs = 0.1, arg = 2}``),
    else a Python float (``.5``) or complex (``0.03+0.04j``), else the text itself (a string)."""
    text = text.strip()
    if "\n" not in text:
        try:
            return tomllib.loads(f"value = {text}")["value"]
        except tomllib.TOMLDecodeError:
            pass
    for convert in (float, complex):
        try:
            return convert(text)
        except ValueError:
            pass
    return text


def split_override_name(name: str) -> tuple[str, str, str | None]:
    """``"y2.arg"`` → ``("model", "y2", "arg")``; ``"solve.rtol"`` → ``("solve", "rtol", None)``."""
    parts = name.split(".")
    if len(parts) > 1 and parts[0] == "model":
        parts = parts[1:]
    if len(parts) == 1 and parts[0] in MODEL_FIELDS + OPTIONAL_MODEL_FIELDS:
        return "model", parts[0], None
    if len(parts) == 2 and parts[0] in COMPLEX_FIELDS and parts[1] in COMPLEX_PARTS:
        return "model", parts[0], parts[1]
    if len(parts) == 2 and parts[0] == "conventions" and parts[1] in CONVENTION_DEFAULTS:
        return "conventions", parts[1], None
    if len(parts) == 2 and parts[0] == "solve" and parts[1] in SOLVE_OPTION_TYPES:
        return "solve", parts[1], None
    raise CardError(f"unknown parameter {name!r}{_suggestion(name, OVERRIDE_NAMES)}")


def set_coupling_part(current: float | complex, part: str, value: float) -> float | complex:
    """``current`` with one part (``abs``, ``arg``, ``re`` or ``im``) replaced, the other kept."""
    z = complex(current)
    if part in ("abs", "arg"):
        modulus, phase = polar_parts(z)
        if part == "abs":
            if value < 0:
                raise CardError(f"abs={value!r}: must be >= 0 (put a sign into arg)")
            modulus = value
        else:
            phase = value
        return cmath.rect(modulus, phase)
    if part == "re":
        return value if isinstance(current, float) else complex(value, z.imag)
    return complex(z.real, value)


def _apply_override(text: str, model: dict, conventions: dict, solve_options: dict) -> None:
    name, sep, raw = text.partition("=")
    name, raw = name.strip(), raw.strip()
    if not sep or not name:
        raise CardError(f"expected NAME=VALUE (e.g. {OVERRIDE_EXAMPLES})")
    if not raw:
        raise CardError(f"{name}: missing value after '='")
    value = parse_override_value(raw)
    table, key, part = split_override_name(name)
    if table == "conventions":
        conventions[key] = convention_value(key, value)
    elif table == "solve":
        solve_options[key] = solve_option_value(key, value)
    elif part is None:
        model[key] = _model_value(key, value)
    else:
        number = real_number(f"[model] {name}", value)
        if key not in model:
            raise CardError(f"[model] {name}: the card has no {key} to edit; set {key}= first")
        try:
            model[key] = set_coupling_part(model[key], part, number)
        except CardError as err:
            raise CardError(f"[model] {key}.{err}") from None


def apply_overrides(card: Card, overrides: Iterable[str]) -> Card:
    """A new card with ``NAME=VALUE`` overrides applied in order (the input card is unchanged).

    ``NAME`` is a model field (``M1``, ``y2``, ``eft_hierarchy``; optionally ``model.M1``), one
    part of a complex coupling (``y2.abs``, ``y2.arg`` [rad], ``y2.re``, ``y2.im``: the other
    part of the pair keeps its current value), ``conventions.FIELD`` or ``solve.OPTION``.
    ``VALUE`` is read as a TOML value (``1e10``, ``true``, ``{abs = 0.1, arg = 2.0}``), falling
    back to a Python number or to a bare string (``sm_equilibrium``, ``Kvaerno3``).
    """
    model = dict(card.model_fields)
    conventions = dict(card.conventions)
    solve_options = dict(card.solve_options)
    for text in overrides:
        try:
            _apply_override(text, model, conventions, solve_options)
        except CardError as err:
            raise CardError(f"override {text!r}: {err}") from None
    return Card(
        model_fields={name: model[name] for name in _field_order(model)},
        conventions=conventions,
        solve_options=solve_options,
    )


# ---- building the model --------------------------------------------------------------------------


def card_to_conventions(card: Card) -> Conventions:
    """The card's :class:`~jaxcogen.Conventions` (unset fields at their defaults)."""
    _check_keys("[conventions]", card.conventions, CONVENTION_DEFAULTS)
    try:
        return Conventions(**card.conventions)
    except (TypeError, ValueError) as err:
        raise CardError(f"[conventions] {err}") from None


def card_to_model(card: Card) -> CogenesisModel:
    """The :class:`~jaxcogen.CogenesisModel` of a card; its ``ValueError`` becomes a :class:`CardError`."""
    _check_keys("[model]", card.model_fields, MODEL_FIELDS + OPTIONAL_MODEL_FIELDS)
    missing = [name for name in MODEL_FIELDS if name not in card.model_fields]
    if missing:
        raise CardError(f"[model]: missing required field {missing[0]!r}")
    conventions = card_to_conventions(card)
    try:
        return CogenesisModel(**card.model_fields, conventions=conventions)
    except (TypeError, ValueError) as err:
        raise CardError(f"[model] {err}") from None


def card_solve_settings(card: Card) -> SolveSettings:
    """The validated :class:`~jaxcogen.SolveSettings` of the card's ``[solve]`` options."""
    _check_keys("[solve]", card.solve_options, SOLVE_OPTION_TYPES)
    try:
        return SolveSettings.create(**card.solve_options)
    except (TypeError, ValueError) as err:
        raise CardError(f"[solve] {err}") from None


# ---- writing ---------------------------------------------------------------------------------


def coupling_table(value: float | complex) -> float | dict[str, float]:
    """How a coupling is written: a real number as is, a complex one as ``{abs, arg}``, or as
    ``{re, im}`` when no decimal ``{abs, arg}`` reproduces it exactly."""
    if not isinstance(value, complex):
        return value
    modulus, phase = polar_parts(value)
    if cmath.rect(modulus, phase) == value:
        return {"abs": modulus, "arg": phase}
    return {"re": value.real, "im": value.imag}


def card_to_document(card: Card) -> dict[str, dict[str, Any]]:
    """The card as a plain TOML document (a dict of tables); empty optional tables are left out."""
    document: dict[str, dict[str, Any]] = {
        "model": {
            name: coupling_table(value) if name in COMPLEX_FIELDS else value
            for name, value in card.model_fields.items()
        }
    }
    if card.conventions:
        document["conventions"] = dict(card.conventions)
    if card.solve_options:
        document["solve"] = dict(card.solve_options)
    return document


def _toml_float(x: float) -> str:
    """Shortest exact TOML spelling of a float: ``0.04``, ``1e12``, ``2.5e-07``, ``inf``."""
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0.0 or 1e-4 <= abs(x) < 1e6:
        return repr(x)
    for digits in range(17):
        text = f"{x:.{digits}e}"
        if float(text) == x:
            break
    mantissa, exponent = text.split("e")
    return f"{mantissa}e{int(exponent)}"


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else json.dumps(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _toml_float(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, Mapping):
        items = ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + items + " }"
    raise CardError(f"cannot write {value!r} to TOML")


def _model_comment(name: str, value: Any) -> str:
    unit = f"[{UNITS[name]}] " if name in UNITS else ""
    form = ""
    if isinstance(value, Mapping):
        form = "modulus, phase [rad]; " if "abs" in value else "real, imaginary part; "
    return f"{unit}{form}{DESCRIPTIONS.get(name, '')}".strip().rstrip(";")


def card_to_toml(card: Card) -> str:
    """The card as TOML text, with units in comments; :func:`parse_card` reads it back exactly."""
    document = card_to_document(card)
    lines = ["# jaxcogen parameter card", ""]
    for table, entries in document.items():
        lines.append(f"[{table}]")
        rows = [(f"{_toml_key(k)} = {_toml_value(v)}", k, v) for k, v in entries.items()]
        width = max((len(text) for text, _, _ in rows), default=0)
        for text, key, value in rows:
            comment = _model_comment(key, value) if table == "model" else ""
            lines.append(f"{text:<{width}}  # {comment}" if comment else text)
        lines.append("")
    return "\n".join(lines)
