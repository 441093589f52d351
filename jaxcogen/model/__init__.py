r"""The cogenesis model: its parameters, conventions, built-in points and parameter cards.

- :class:`CogenesisModel` — the parameter point (GeV units, complex couplings) and its
  :class:`EffectiveCouplings`;
- :class:`Conventions` — the physics choices (statistics, spectators, rates, …);
- the parameter names of scans and fits (``REAL_FIELDS``, ``COMPLEX_FIELDS``, :func:`set_parameters`);
- parameter cards (TOML) — :func:`parse_card`, :func:`load_card`, :func:`card_to_model`.
"""

from jaxcogen.model._benchmark_points import POINTS
from jaxcogen.model._cards import Card, CardError, card_to_model, load_card, parse_card
from jaxcogen.model._cogenesis import T_RH_MIN, CogenesisModel, EffectiveCouplings
from jaxcogen.model._conventions import Conventions
from jaxcogen.model._parameters import (
    COMPLEX_FIELDS,
    PARAMETER_NAMES,
    REAL_FIELDS,
    get_parameter,
    set_parameters,
)

__all__ = [
    "COMPLEX_FIELDS",
    "Card",
    "CardError",
    "CogenesisModel",
    "Conventions",
    "EffectiveCouplings",
    "PARAMETER_NAMES",
    "POINTS",
    "REAL_FIELDS",
    "T_RH_MIN",
    "card_to_model",
    "get_parameter",
    "load_card",
    "parse_card",
    "set_parameters",
]
