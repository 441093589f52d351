r"""A model's interface seen as a *family* record — the shape the scan and fit machinery read.

Everything here is derived from the declarations of the model classes
(:class:`~jaxcogen._interface.AbstractModel`: ``parameters``, ``observables``, ``solve_settings``,
``solve_point``, …); nothing is declared twice. Four models are built in:
:class:`~jaxcogen.CogenesisModel`, :class:`~jaxcogen.models.LeptogenesisModel` (vanilla
:math:`N_1` leptogenesis), :class:`~jaxcogen.models.FreezeOutModel` (s-wave WIMP) and
:class:`~jaxcogen.models.FreezeInDecayModel` (freeze-in from decays). :func:`family_of` gives the
record of a model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jaxtyping import Array, ArrayLike, Bool

from jaxcogen._interface import AbstractModel, FitCoordinate, model_type_of
from jaxcogen.models._inputs import ModelSolveSettings

__all__ = [
    "COGENESIS",
    "FAMILIES",
    "FREEZE_IN_DECAY",
    "FREEZE_OUT",
    "LEPTOGENESIS",
    "FitCoordinate",
    "ModelFamily",
    "ModelSolveSettings",
    "family_of",
]


class ModelFamily:
    """The scan/fit view of one model class (module docstring); every attribute is read off the
    class's :class:`~jaxcogen._interface.AbstractModel` declarations."""

    def __init__(self, model_type: type[AbstractModel]):
        self.model_type = model_type

    def __repr__(self) -> str:
        return f"ModelFamily({self.model_type.__name__})"

    # ---- declarations ---------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.model_type.name

    @property
    def parameters(self) -> dict[str, str]:
        """Real parameter names with their units."""
        return {name: p.unit for name, p in self.model_type.parameters.items()}

    @property
    def positive(self) -> tuple[str, ...]:
        return tuple(name for name, p in self.model_type.parameters.items() if p.positive)

    @property
    def observables(self) -> tuple[str, ...]:
        return tuple(self.model_type.observables)

    @property
    def signed_observables(self) -> tuple[str, ...]:
        return tuple(name for name, o in self.model_type.observables.items() if o.signed)

    @property
    def observable_descriptions(self) -> dict[str, tuple[str, str]]:
        return {name: (o.description, o.unit) for name, o in self.model_type.observables.items()}

    @property
    def default_options(self) -> Mapping[str, Any]:
        return self.model_type.default_options()

    @property
    def option_ranges(self) -> Mapping[str, tuple[float, float]]:
        return self.model_type.setting_ranges

    @property
    def min_n_save(self) -> int:
        return getattr(self.model_type, "min_n_save", 2)

    def fit_coordinates(self, model, **options) -> dict[str, FitCoordinate]:
        """What a fit may free, with natural coordinates and the validity box
        (:meth:`~jaxcogen._interface.AbstractModel.fit_coordinates` of ``model``)."""
        return model.fit_coordinates(**options)

    @property
    def default_targets(self) -> Mapping[str, float]:
        return self.model_type.default_targets

    @property
    def default_free(self) -> tuple[str, ...]:
        return self.model_type.default_free

    # ---- behaviour ------------------------------------------------------------------------------

    def check_parameter_name(self, name: str) -> tuple[str, str | None]:
        return self.model_type.check_parameter_name(name)

    def set_parameters(self, model, values: Mapping[str, Any]):
        return model.with_parameters(values)

    def get_parameter(self, model, name: str) -> Array:
        return model.get_parameter(name)

    def is_valid(self, model) -> Bool[ArrayLike, ""]:
        return model.is_valid()

    def settings(self, options: Mapping[str, Any] | None = None, *, n_save: int | None = None):
        return self.model_type.solve_settings(options, n_save=n_save)

    def solve(self, model, settings) -> dict[str, Array]:
        return model.solve_point(settings)

    def settings_record(self, settings) -> dict:
        return self.model_type.settings_record(settings)

    def card(self, model) -> dict:
        return model.card()


def _builtin() -> dict[type, ModelFamily]:
    from jaxcogen.model._cogenesis import CogenesisModel
    from jaxcogen.models.freeze_in_decay import FreezeInDecayModel
    from jaxcogen.models.freeze_out import FreezeOutModel
    from jaxcogen.models.leptogenesis import LeptogenesisModel

    types = (CogenesisModel, LeptogenesisModel, FreezeOutModel, FreezeInDecayModel)
    return {t: ModelFamily(t) for t in types}


_FAMILY_OF_TYPE = _builtin()
COGENESIS, LEPTOGENESIS, FREEZE_OUT, FREEZE_IN_DECAY = _FAMILY_OF_TYPE.values()
FAMILIES: tuple[ModelFamily, ...] = tuple(_FAMILY_OF_TYPE.values())


def family_of(model) -> ModelFamily:
    """The :class:`ModelFamily` of ``model``; ``TypeError`` naming the supported model types."""
    model_type = model_type_of(model)
    if model_type not in _FAMILY_OF_TYPE:
        _FAMILY_OF_TYPE[model_type] = ModelFamily(model_type)
    return _FAMILY_OF_TYPE[model_type]
