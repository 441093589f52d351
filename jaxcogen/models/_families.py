r"""Model families: what :func:`jaxcogen.scan` and :func:`jaxcogen.fit` need to know about a model.

The scan and fit machinery (chunked ``vmap`` solves with per-point status, Zarr output, Dask,
multi-start optax fits) is the same for every model; a :class:`ModelFamily` supplies the rest —
the parameter names and how to set them on a model inside ``jit``, the validity rule, the solver
settings and the traceable solve, the observables and how to record the base point. Four
families are built in:

- :data:`COGENESIS` — :class:`~jaxcogen.CogenesisModel` and :func:`~jaxcogen.solve_unjitted`
  (parameter names of :mod:`jaxcogen.model._parameters`);
- :data:`LEPTOGENESIS` — :class:`~jaxcogen.models.leptogenesis.LeptogenesisModel` (vanilla
  :math:`N_1` leptogenesis, BDP equations; parameters ``M_1``, ``epsilon_1``, ``mtilde_1``,
  ``mbar``, ``M_higgs``; observables ``eta_B``, ``Y_B``, ``kappa_f``, …);
- :data:`FREEZE_OUT` — :class:`~jaxcogen.models.freeze_out.FreezeOutModel` (s-wave WIMP; parameters
  ``m_chi``, ``sigma_v``, ``g_chi``; observables ``Omega_h2``, ``Y_inf``, ``x_f``);
- :data:`FREEZE_IN_DECAY` — :class:`~jaxcogen.models.freeze_in_decay.FreezeInDecayModel`
  (freeze-in from :math:`B\to X+\dots`; parameters ``m_B``, ``Gamma``, ``g_B``, ``m_X``; observables
  ``Omega_h2``, ``Y_inf``).

:func:`family_of` picks the family from the model's type.
"""

from __future__ import annotations

import dataclasses
import difflib
import inspect
import math
from collections.abc import Callable, Mapping
from typing import Any

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Float

from jaxcogen import constants

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


@dataclasses.dataclass(frozen=True)
class FitCoordinate:
    r"""How a fit moves one real parameter: ``"log"`` (:math:`u=\ln p`) or ``"linear"`` (:math:`u=p`),
    within ``[lower, upper]`` of the physical value (``±inf``: open)."""

    kind: str
    lower: float
    upper: float


class ModelSolveSettings(eqx.Module):
    """Solver settings of a validation model: traced floats (no recompilation when they change)
    plus the static step budget and save-grid size."""

    floats: dict[str, Float[Array, ""]]
    max_steps: int = eqx.field(static=True)
    n_save: int = eqx.field(static=True)


@dataclasses.dataclass(frozen=True, eq=False)
class ModelFamily:
    """What scans and fits need from one kind of model (module docstring).

    Attributes:
        name: a short name (``"cogenesis"``, ``"leptogenesis"``, ``"freeze_out"``, ``"freeze_in_decay"``).
        model_type: the ``equinox.Module`` class of its models.
        parameters: real parameter names settable in scans and fits, with their units.
        positive: parameters that must be > 0 in a scan specification.
        observables: final numbers kept per point (attributes of the solution).
        signed_observables: those that may be negative (fits use a signed logarithm).
        observable_descriptions: ``{name: (long_name, units)}`` for the scan file.
        default_options: the family's default solver options (keyword arguments of its solve).
        solve_function: the traceable solve ``f(model, **floats, max_steps=, n_save=)``.
        fit_coordinates: ``{parameter: FitCoordinate}``.
    """

    name: str
    model_type: type
    parameters: Mapping[str, str]
    positive: tuple[str, ...]
    observables: tuple[str, ...]
    signed_observables: tuple[str, ...]
    observable_descriptions: Mapping[str, tuple[str, str]]
    default_options: Mapping[str, Any]
    solve_function: Callable | None
    fit_coordinates: Mapping[str, FitCoordinate]
    option_ranges: Mapping[str, tuple[float, float]] = dataclasses.field(default_factory=dict)
    #: default targets and free parameters of :func:`jaxcogen.fit` for this family
    default_targets: Mapping[str, float] = dataclasses.field(default_factory=dict)
    default_free: tuple[str, ...] = ()
    #: smallest save grid whose final observables are right (freeze-out reads x_f off the grid)
    min_n_save: int = 2

    # ---- parameters ----------------------------------------------------------------------------

    def check_parameter_name(self, name: str) -> tuple[str, str | None]:
        """``(field, None)`` for a known parameter; ``ValueError`` with a suggestion otherwise."""
        if isinstance(name, str) and name in self.parameters:
            return name, None
        hint = difflib.get_close_matches(str(name), list(self.parameters), n=1)
        suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise ValueError(
            f"unknown {self.name} parameter {name!r}{suggestion}; allowed: {list(self.parameters)}"
        )

    def set_parameters(self, model, values: Mapping[str, Any]):
        """A copy of ``model`` with the named parameters replaced (jittable, differentiable)."""
        for name, value in values.items():
            field, _ = self.check_parameter_name(name)
            model = eqx.tree_at(
                lambda m, f=field: getattr(m, f), model, jnp.asarray(value, dtype=jnp.float64)
            )
        return model

    def get_parameter(self, model, name: str) -> Array:
        field, _ = self.check_parameter_name(name)
        return getattr(model, field)

    def is_valid(self, model) -> Bool[Array, ""]:
        return model.is_valid()

    # ---- solving -------------------------------------------------------------------------------

    def settings(self, options: Mapping[str, Any] | None = None, *, n_save: int | None = None):
        """Validated :class:`ModelSolveSettings` from ``options`` (``ValueError`` on a bad one)."""
        options = dict(options or {})
        allowed = [*self.default_options]
        for key in options:
            if key not in allowed:
                raise ValueError(f"solve_options: unknown setting {key!r}; allowed: {allowed}")
        merged = {**self.default_options, **options}
        if n_save is not None:
            merged["n_save"] = max(n_save, self.min_n_save)
        max_steps, save = merged.pop("max_steps"), merged.pop("n_save")
        if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1:
            raise ValueError(f"max_steps={max_steps!r}: must be a positive integer")
        if isinstance(save, bool) or not isinstance(save, int) or save < self.min_n_save:
            raise ValueError(f"n_save={save!r}: must be an integer >= {self.min_n_save}")
        floats = {}
        for key, value in merged.items():
            lo, hi = self.option_ranges.get(key, (-math.inf, math.inf))
            if not (isinstance(value, (int, float)) and lo <= float(value) <= hi):
                raise ValueError(f"{key}={value!r}: allowed range is [{lo:g}, {hi:g}]")
            floats[key] = jnp.asarray(float(value), dtype=jnp.float64)
        return ModelSolveSettings(floats=floats, max_steps=max_steps, n_save=save)

    def solve(self, model, settings) -> dict[str, Array]:
        """Observables, ``status``, ``num_steps`` and ``num_rejected_steps`` of one point (traceable)."""
        solution = self.solve_function(
            model, **settings.floats, max_steps=settings.max_steps, n_save=settings.n_save
        )
        out = {name: getattr(solution, name) for name in self.observables}
        out["status"] = solution.status
        out["num_steps"] = solution.num_steps
        out["num_rejected_steps"] = solution.num_rejected_steps
        return out

    def settings_record(self, settings) -> dict:
        record = {k: float(v) for k, v in settings.floats.items()}
        return record | {"max_steps": settings.max_steps, "n_save": settings.n_save}

    # ---- records -------------------------------------------------------------------------------

    def card(self, model) -> dict:
        """The base point as plain numbers, plus its static switches."""
        card: dict[str, Any] = {"family": self.name}
        for field in dataclasses.fields(model):
            value = getattr(model, field.name)
            if isinstance(value, (bool, str)) or value is None:
                card[field.name] = value
            else:
                card[field.name] = float(np.asarray(value))
        return card


def _keyword_defaults(solve) -> dict[str, Any]:
    """The keyword-only defaults of a model's public solve (``rtol``, ``max_steps``, …): the one
    place the family's default solver options come from."""
    return {
        name: parameter.default
        for name, parameter in inspect.signature(solve).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    }


def _cogenesis() -> ModelFamily:
    from jaxcogen.model._cogenesis import CogenesisModel
    from jaxcogen.production._solve import EFT_DIAGNOSTICS
    from jaxcogen.production._solve import OBSERVABLES as SOLUTION_OBSERVABLES

    return ModelFamily(
        name="cogenesis",
        model_type=CogenesisModel,
        parameters={},  # jaxcogen.model._parameters (handled by scan/fit's own code paths)
        positive=("M1", "M2", "m_chi", "m_phi", "T_RH"),
        observables=SOLUTION_OBSERVABLES + EFT_DIAGNOSTICS,
        signed_observables=("DeltaY_B", "DeltaY_L", "DeltaY_chi"),
        observable_descriptions={},
        default_options={},
        solve_function=None,
        fit_coordinates={},
    )


def _leptogenesis() -> ModelFamily:
    from jaxcogen.models import leptogenesis as lg

    K_lo, K_hi = lg.K_RANGE
    return ModelFamily(
        name="leptogenesis",
        model_type=lg.LeptogenesisModel,
        parameters={
            "M_1": "GeV",
            "epsilon_1": "1",
            "mtilde_1": "eV",
            "mbar": "eV",
            "M_higgs": "GeV",
        },
        positive=("M_1", "mtilde_1", "M_higgs"),
        observables=("eta_B", "Y_B", "Y_B_minus_L", "N_B_minus_L_final", "kappa_f", "K"),
        signed_observables=("eta_B", "Y_B", "Y_B_minus_L", "N_B_minus_L_final"),
        observable_descriptions={
            "eta_B": ("baryon-to-photon ratio at recombination (signed)", "1"),
            "Y_B": ("baryon asymmetry n_B/s", "1"),
            "Y_B_minus_L": ("B-L asymmetry per entropy", "1"),
            "N_B_minus_L_final": ("final N_{B-L} per comoving photon (z << 1)", "1"),
            "kappa_f": ("efficiency factor kappa_f", "1"),
            "K": ("decay parameter K = mtilde_1/m_*", "1"),
        },
        default_options=_keyword_defaults(lg.solve_leptogenesis),
        option_ranges=lg.SETTING_RANGES,
        solve_function=lg.solve_leptogenesis_unjitted,
        fit_coordinates={
            "M_1": FitCoordinate("log", *lg.M_1_RANGE),
            "epsilon_1": FitCoordinate("linear", -lg.EPSILON_1_MAX, lg.EPSILON_1_MAX),
            "mtilde_1": FitCoordinate("log", K_lo * lg.m_star_eV, K_hi * lg.m_star_eV),
            "mbar": FitCoordinate("linear", *lg.MBAR_RANGE),
        },
        default_targets={"Y_B": constants.DeltaY_B_observed},
        default_free=("epsilon_1",),
    )


def _freeze_out() -> ModelFamily:
    from jaxcogen.models import freeze_out as fo

    return ModelFamily(
        name="freeze_out",
        model_type=fo.FreezeOutModel,
        parameters={"m_chi": "GeV", "sigma_v": "cm^3/s", "g_chi": "1"},
        positive=("m_chi", "sigma_v", "g_chi"),
        observables=("Omega_h2", "Y_inf", "x_f"),
        signed_observables=(),
        observable_descriptions={
            "Omega_h2": ("relic density Omega h^2", "1"),
            "Y_inf": ("relic yield n/s", "1"),
            "x_f": ("freeze-out point m_chi/T where Y = 2 Y_eq", "1"),
        },
        default_options=_keyword_defaults(fo.solve_freeze_out),
        option_ranges=fo.SETTING_RANGES,
        solve_function=fo.solve_freeze_out_unjitted,
        fit_coordinates={
            "m_chi": FitCoordinate("log", *fo.M_CHI_RANGE),
            "sigma_v": FitCoordinate("log", *fo.SIGMA_V_RANGE),
            "g_chi": FitCoordinate("log", *fo.G_CHI_RANGE),
        },
        default_targets={"Omega_h2": constants.Omega_c_h2_observed},
        default_free=("sigma_v",),
        min_n_save=200,
    )


def _freeze_in_decay() -> ModelFamily:
    from jaxcogen.models import freeze_in_decay as fi

    m_B_lo, m_B_hi = fi.M_B_RANGE
    ratio_lo, ratio_hi = fi.GAMMA_OVER_M_B_RANGE
    return ModelFamily(
        name="freeze_in_decay",
        model_type=fi.FreezeInDecayModel,
        parameters={"m_B": "GeV", "Gamma": "GeV", "g_B": "1", "m_X": "GeV"},
        positive=("m_B", "Gamma", "g_B", "m_X"),
        observables=("Omega_h2", "Y_inf"),
        signed_observables=(),
        observable_descriptions={
            "Omega_h2": ("relic density Omega_X h^2 of the frozen-in X", "1"),
            "Y_inf": ("final yield n_X/s", "1"),
        },
        default_options=_keyword_defaults(fi.solve_freeze_in_decay),
        option_ranges=fi.SETTING_RANGES,
        solve_function=fi.solve_freeze_in_decay_unjitted,
        # Gamma/m_B and m_X < m_B are checked per point (status 100); these are outer bounds
        fit_coordinates={
            "m_B": FitCoordinate("log", m_B_lo, m_B_hi),
            "Gamma": FitCoordinate("log", ratio_lo * m_B_lo, ratio_hi * m_B_hi),
            "g_B": FitCoordinate("log", *fi.G_B_RANGE),
            "m_X": FitCoordinate("log", 1e-12, m_B_hi),
        },
        default_targets={"Omega_h2": constants.Omega_c_h2_observed},
        default_free=("Gamma",),
    )


#: The built-in families (module docstring).
COGENESIS: ModelFamily = _cogenesis()
LEPTOGENESIS: ModelFamily = _leptogenesis()
FREEZE_OUT: ModelFamily = _freeze_out()
FREEZE_IN_DECAY: ModelFamily = _freeze_in_decay()
FAMILIES: tuple[ModelFamily, ...] = (COGENESIS, LEPTOGENESIS, FREEZE_OUT, FREEZE_IN_DECAY)


def family_of(model) -> ModelFamily:
    """The :class:`ModelFamily` of ``model``; ``TypeError`` naming the supported model types."""
    for family in FAMILIES:
        if isinstance(model, family.model_type):
            return family
    supported = ", ".join(f.model_type.__name__ for f in FAMILIES)
    raise TypeError(f"no model family for {type(model).__name__}; supported: {supported}")
