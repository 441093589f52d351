r"""The model interface: what :func:`jaxcogen.scan`, :func:`jaxcogen.fit`, parameter cards and the
CLI need from a model — and nothing model-specific anywhere else.

A model is an immutable :class:`equinox.Module` of traced parameters that subclasses
:class:`AbstractModel` and declares, as class variables (``eqx.AbstractClassVar`` here):

- ``name`` — a short name (``"cogenesis"``, ``"leptogenesis"``, …), recorded in scan files;
- ``parameters`` — ``{field: Parameter}``: unit, meaning, physical range, fit coordinate, and
  whether it is a complex coupling (then scanned and fitted whole or by one real part,
  ``"y2.abs"``, ``"y2.arg"``, ``"y2.re"``, ``"y2.im"``);
- ``observables`` — ``{name: Observable}``: unit, meaning, sign;
- ``diagnostics`` — per-point numbers kept by scans that are not fit targets (optional);
- ``default_targets``, ``default_free`` — what :func:`jaxcogen.fit` does by default;

and implements ``is_valid`` (traceable validity of a point), ``solve_settings`` (validated solver
settings from keyword options) and ``solve_point`` (the traceable solve, returning the observables
with ``status``, ``num_steps`` and ``num_rejected_steps``). Everything else has a generic
implementation here that a model may refine: naming and setting parameters under ``jit``, the base
point as a record, and two optional capabilities — a stiffness proxy that scans sort points by
("bucketing"), and an explicit-then-implicit solver split (``solver="auto"``) that scans run as
two vmapped passes.

Fits (:func:`jaxcogen.fit`, one code path for every model) read ``fit_coordinates`` — each
fittable name's natural coordinate and validity range (:class:`FitCoordinate`), by default from
the :class:`Parameter` declarations, coupled constraints as ratios to another parameter — and the
optional ``fit_options``, ``fit_limits`` (:class:`FitLimit`), ``fit_proxies``
(:class:`FitProxy`), ``fit_observables`` and ``fit_solve_defaults``; ``concrete`` rebuilds a
point through the validating constructor.
"""

from __future__ import annotations

import abc
import dataclasses
import difflib
import json
import math
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Bool, Float, Int

__all__ = [
    "COMPLEX_PARTS",
    "FIT_KINDS",
    "AbstractModel",
    "FitCoordinate",
    "FitLimit",
    "FitProxy",
    "Observable",
    "Parameter",
    "model_type_of",
]

#: The real parts a complex coupling is scanned or fitted by.
COMPLEX_PARTS: tuple[str, ...] = ("abs", "arg", "re", "im")


@dataclasses.dataclass(frozen=True)
class Parameter:
    """One continuous parameter of a model.

    Attributes:
        unit: its unit (``"GeV"``, ``"1"``, ``"cm^3/s"``, …).
        description: one line saying what it is.
        lower, upper: the physical range a fit stays within (``±inf``: open); scans only check
            ``positive`` (the model's ``is_valid`` flags the rest per point).
        scale: the fit coordinate, ``"log"`` (:math:`u=\\ln p`) or ``"linear"`` (:math:`u=p`).
        positive: must be > 0 (masses, temperatures, rates).
        non_negative: must be >= 0 (a coupling's modulus).
        complex: a complex coupling (scanned whole, or by one part of ``COMPLEX_PARTS``).
        fit_scale: the natural coordinate of a fit when it differs from ``scale``
            (``"log"``, ``"linear"`` or ``"angle"``); see :meth:`AbstractModel.fit_coordinates`.
        relative_to: fit this parameter relative to another one, :math:`u=\\ln(p/p_{\\rm ref})`
            (a coupled validity constraint such as :math:`\\Gamma/m_B\\le0.1`).
        ratio_range: the valid range of :math:`p/p_{\\rm ref}` when ``relative_to`` is set.
    """

    unit: str
    description: str
    lower: float = -math.inf
    upper: float = math.inf
    scale: str = "linear"
    positive: bool = False
    non_negative: bool = False
    complex: bool = False
    fit_scale: str | None = None
    relative_to: str | None = None
    ratio_range: tuple[float, float] = (0.0, math.inf)


#: The natural coordinates of a fit (:class:`FitCoordinate`).
FIT_KINDS: tuple[str, ...] = ("log", "log_ratio", "linear", "angle")


@dataclasses.dataclass(frozen=True)
class FitCoordinate:
    r"""How a fit moves one real parameter :math:`p`: its natural coordinate and validity range.

    ``kind``:

    - ``"log"``: :math:`u=\ln p`, with :math:`p\in[{\rm lower},{\rm upper}]` (a lower end
      :math:`\le0` is open);
    - ``"log_ratio"``: :math:`u=\ln(p/p_{\rm ref})` with ``reference`` :math:`p_{\rm ref}` (a
      ``"log"`` parameter), :math:`p/p_{\rm ref}\in[{\rm ratio\_lower},{\rm ratio\_upper}]`
      and, while :math:`p_{\rm ref}` stays fixed, :math:`p\in[{\rm lower},{\rm upper}]`;
    - ``"linear"``: :math:`u=p\in[{\rm lower},{\rm upper}]`;
    - ``"angle"``: :math:`u=p` in radians, unbounded (a phase).

    ``±inf`` ends are open. :mod:`jaxcogen.fitting._transforms` turns these ranges into the box
    every point of a fit stays in.
    """

    kind: str
    lower: float = -math.inf
    upper: float = math.inf
    reference: str | None = None
    ratio_lower: float = 0.0
    ratio_upper: float = math.inf


@dataclasses.dataclass(frozen=True)
class FitLimit:
    r"""A one-sided limit :math:`q\le q_{\max}` on a derived quantity of a point that fits keep
    with a penalty (:func:`jaxcogen.fitting._loss.upper_limit_penalty`) and check at the end.

    Attributes:
        quantity: the model attribute :math:`q` (traceable), e.g. ``"m_nu"``.
        unit: its unit.
        description: one line saying what it is.
        shown_unit, shown_factor: how verdicts print it (``"eV"``, 1e9 for a mass in GeV).
    """

    quantity: str
    unit: str
    description: str
    shown_unit: str = ""
    shown_factor: float = 1.0


@dataclasses.dataclass(frozen=True)
class FitProxy:
    """A target a fit's loss reaches through a cheaper observable, checked at the final solve.

    Attributes:
        observable: what the loss uses instead (cheap and differentiable inside the loss).
        check_options: solver options added for the final check of the best point, which
            computes the target's own observable.
        miss_note: the verdict's sentence when the check misses the target, formatted with the
            check's observables (``{name:.4g}``).
        exact_when_free: parameters the proxy does not depend on: when one of them is free the
            proxy cannot be right, so the loss computes the target itself (``check_options``
            added to the loss's solver options, unless ``fit_solve_options`` set them).
    """

    observable: str
    check_options: Mapping[str, Any]
    miss_note: str
    exact_when_free: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Observable:
    """One number a solve reports per point: its unit, meaning and whether it may be negative."""

    unit: str
    description: str
    signed: bool = False


class AbstractModel(eqx.Module):
    """A parameter point of some physics model (module docstring)."""

    name: eqx.AbstractClassVar[str]
    parameters: eqx.AbstractClassVar[Mapping[str, Parameter]]
    observables: eqx.AbstractClassVar[Mapping[str, Observable]]
    default_targets: eqx.AbstractClassVar[Mapping[str, float]]
    default_free: eqx.AbstractClassVar[tuple[str, ...]]
    #: per-point numbers scans keep besides the observables (not fit targets)
    diagnostics: ClassVar[Mapping[str, Observable]] = {}

    # ---- what every model implements ---------------------------------------------------------

    @abc.abstractmethod
    def is_valid(self) -> Bool[ArrayLike, ""]:
        """Whether the (possibly traced) point is inside the model's validity range."""

    @classmethod
    @abc.abstractmethod
    def solve_settings(cls, options: Mapping[str, Any] | None = None, *, n_save: int | None = None):
        """Validated solver settings from keyword ``options`` (``ValueError`` naming a bad one);
        ``n_save`` overrides the saved-grid size (scans and fits keep only final values)."""

    @abc.abstractmethod
    def solve_point(self, settings) -> dict[str, Array]:
        """The traceable solve: every observable and diagnostic, plus ``status``, ``num_steps``
        and ``num_rejected_steps`` (observables NaN unless ``status`` is 0)."""

    @classmethod
    @abc.abstractmethod
    def settings_record(cls, settings) -> dict:
        """The solver settings as plain numbers and strings (scan attributes, fit reports)."""

    # ---- parameters (generic) ---------------------------------------------------------------

    @classmethod
    def parameter_names(cls) -> tuple[str, ...]:
        """Every name :meth:`with_parameters` accepts: the fields, and the parts of complex ones."""
        names = list(cls.parameters)
        for field, parameter in cls.parameters.items():
            if parameter.complex:
                names += [f"{field}.{part}" for part in COMPLEX_PARTS]
        return tuple(names)

    @classmethod
    def check_parameter_name(cls, name: str) -> tuple[str, str | None]:
        """``("y2", "arg")`` for ``"y2.arg"``, ``(field, None)`` for a field; ``ValueError`` with a
        suggestion for an unknown name."""
        names = cls.parameter_names()
        if not isinstance(name, str) or name not in names:
            close = difflib.get_close_matches(str(name), names, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(
                f"unknown parameter {name!r}{hint} of the {cls.name} model; "
                f"allowed: {', '.join(names)}"
            )
        field, _, part = name.partition(".")
        return field, (part or None)

    @classmethod
    def check_observable_name(cls, name: str, role: str = "observable") -> str:
        """``name`` if it is one of the model's observables; ``ValueError`` naming ``role``, a
        suggestion and the allowed names otherwise."""
        names = list(cls.observables)
        if name not in cls.observables:
            close = difflib.get_close_matches(str(name), names, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(
                f"{role} {name!r}{hint}: not an observable of the {cls.name} model; "
                f"allowed: {names}"
            )
        return name

    @classmethod
    def parameter_unit(cls, name: str) -> str:
        """Unit of a parameter name (a complex part: ``"rad"`` for ``arg``, else the field's)."""
        field, part = cls.check_parameter_name(name)
        return "rad" if part == "arg" else cls.parameters[field].unit

    def get_parameter(self, name: str) -> Array:
        """The value of parameter ``name`` (real, or complex for a bare complex coupling)."""
        field, part = self.check_parameter_name(name)
        value = getattr(self, field)
        return {
            None: lambda v: v,
            "abs": jnp.abs,
            "arg": jnp.angle,
            "re": jnp.real,
            "im": jnp.imag,
        }[part](value)

    def with_parameters(self, values: Mapping[str, ArrayLike]):
        """A copy with the named parameters replaced (jittable, vmappable, differentiable).

        Parts of one complex coupling are applied in the order given, each keeping the other of
        its pair (``abs``/``arg`` or ``re``/``im``), so ``{"y2.abs": r, "y2.arg": θ}`` sets
        :math:`y_2=re^{i\\theta}`. No validation here (use :meth:`is_valid` under ``jit``).
        """
        model = self
        for name, value in values.items():
            field, part = self.check_parameter_name(name)
            if part is None:
                dtype = jnp.complex128 if self.parameters[field].complex else jnp.float64
                new = jnp.asarray(value, dtype=dtype)
            else:
                new = _combine(getattr(model, field), part, value).astype(jnp.complex128)
            model = eqx.tree_at(lambda m, f=field: getattr(m, f), model, new)
        return model

    # ---- records (generic) ------------------------------------------------------------------

    def card(self) -> dict:
        """The point as plain numbers and static switches (complex couplings as ``{abs, arg}``)."""
        card: dict[str, Any] = {"family": self.name}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, (bool, str)) or value is None:
                card[field.name] = value
            elif isinstance(value, eqx.Module):
                card[field.name] = {
                    f.name: getattr(value, f.name) for f in dataclasses.fields(value)
                }
            elif np.iscomplexobj(value):
                z = complex(np.asarray(value))
                card[field.name] = {"abs": abs(z), "arg": math.atan2(z.imag, z.real)}
            else:
                card[field.name] = float(np.asarray(value))
        return card

    def card_text(self) -> str:
        """The point as text for a scan file's attributes (JSON of :meth:`card` by default)."""
        return json.dumps(self.card())

    # ---- scans (generic; refined by models that can do better) ------------------------------

    @classmethod
    def check_scan_names(cls, names: tuple[str, ...]) -> None:
        """A complex coupling is scanned whole, by polar parts or by cartesian parts — never a
        mixture (``ValueError``)."""
        parts_of: dict[str, list[str | None]] = {}
        for name in names:
            field, part = cls.check_parameter_name(name)
            parts_of.setdefault(field, []).append(part)
        for field, parts in parts_of.items():
            if None in parts and len(parts) > 1:
                raise ValueError(f"{field!r} is scanned both whole and by parts; choose one")
            if {"abs", "arg"} & set(parts) and {"re", "im"} & set(parts):
                raise ValueError(f"{field!r}: scan either .abs/.arg or .re/.im, not both")

    #: whether :meth:`stiffness_proxy` is implemented (scans sort points by it when True)
    has_stiffness_proxy: ClassVar[bool] = False

    def stiffness_proxy(self) -> Float[ArrayLike, ""]:
        """A cheap predictor of the solve's step count (capability; see ``has_stiffness_proxy``)."""
        raise NotImplementedError(f"{self.name}: no stiffness proxy")

    @classmethod
    def solver_passes(cls, settings) -> tuple[Any, Any] | None:
        """``(explicit, implicit)`` settings when ``settings`` asks for an automatic
        explicit-then-implicit choice (capability; None: one pass with ``settings``)."""
        return None

    def needs_implicit(self) -> Bool[ArrayLike, ""]:
        """Whether the point is too stiff for the explicit pass of :meth:`solver_passes`."""
        raise NotImplementedError(f"{self.name}: no automatic solver choice")

    @classmethod
    def regime_passes(cls, settings) -> tuple[Any, ...] | None:
        """One settings object per physical regime when ``settings`` asks for a choice of regime
        per point (capability; None: every point with ``settings``). Scans solve each regime's
        points in their own vmapped batch (:meth:`regime_index` picks), where a per-point
        ``lax.cond`` would run every regime on every point under ``vmap``."""
        return None

    def regime_index(self, settings) -> Int[ArrayLike, ""]:
        """Which entry of :meth:`regime_passes` solves this point (jittable)."""
        raise NotImplementedError(f"{self.name}: no automatic regime choice")

    @classmethod
    def staged_passes(cls, settings) -> Any | None:
        """The first stage's settings when a solve with ``settings`` is two stages, the second of
        which (:meth:`finish_point`) needs only the first's outputs and costs very different
        amounts from point to point (capability; None: one stage). Scans then run the first
        stage on a chunk, sort its points by :meth:`finish_cost_proxy` and run the second in
        sub-batches of similar cost, where one vmapped program would make every point of the
        chunk wait for its slowest second stage."""
        return None

    #: what :meth:`finish_point` reads of the first stage: names of :meth:`solve_point`'s output
    stage_inputs: ClassVar[tuple[str, ...]] = ()

    def finish_point(self, settings, first: Mapping[str, Array]) -> dict[str, Array]:
        """The second stage of a solve with ``settings`` (:meth:`staged_passes`), from the first
        stage's outputs ``first`` (:attr:`stage_inputs`): ``status`` and the outputs it fills."""
        raise NotImplementedError(f"{self.name}: one-stage solve")

    @classmethod
    def finish_cost_proxy(cls, first: Mapping[str, np.ndarray]) -> np.ndarray:
        """A predictor (host side, NumPy) of :meth:`finish_point`'s cost from the first stage's
        outputs; points of similar value are solved together."""
        raise NotImplementedError(f"{cls.name}: one-stage solve")

    #: integer per-point records of :meth:`solve_point` that scans store besides the status and
    #: step counts (name: description; -1 where the point was not solved)
    point_records: ClassVar[Mapping[str, str]] = {}

    # ---- fits (generic; refined by models with coupled constraints) ---------------------------

    #: keyword options of :func:`jaxcogen.fit` that :meth:`fit_coordinates` accepts (name: meaning)
    fit_options: ClassVar[Mapping[str, str]] = {}
    #: one-sided limits fits keep, by the :func:`jaxcogen.fit` keyword that sets them
    fit_limits: ClassVar[Mapping[str, FitLimit]] = {}
    #: targets a fit's loss reaches through a cheaper observable (checked at the final solve)
    fit_proxies: ClassVar[Mapping[str, FitProxy]] = {}
    #: observables a fit's loss can use (None: every observable); see :meth:`loss_observables`
    fit_observables: ClassVar[tuple[str, ...] | None] = None
    #: solver options of the solves inside a fit's loss (``fit_solve_options`` update them);
    #: a model whose settings have no ``rtol`` declares its own (e.g. ``{}``)
    fit_solve_defaults: ClassVar[Mapping[str, Any]] = {"rtol": 1e-6}

    # ---- bounds (generic) ---------------------------------------------------------------------

    #: one-sided limits :math:`q\le q^{\max}` a bound keeps by default, ``{quantity: maximum}``:
    #: a model attribute (e.g. a :class:`FitLimit`'s ``quantity``) or an observable; those the
    #: solver settings of a stage do not compute (:meth:`active_fit_limits`,
    #: :meth:`loss_observables`) are off in that stage
    bound_upper_limits: ClassVar[Mapping[str, float]] = {}
    #: solver options inside a bound's optimisation (None: the final judgement's options); a
    #: constraint they do not compute is reached through :attr:`fit_proxies`, as in fits
    bound_solve_defaults: ClassVar[Mapping[str, Any] | None] = None

    @classmethod
    def exact_proxy_options(cls, targets: Iterable[str], free: Iterable[str]) -> dict[str, Any]:
        """Solver options that compute proxied targets exactly: the ``check_options`` of each
        target's :class:`FitProxy` that ignores one of the ``free`` parameters
        (:attr:`FitProxy.exact_when_free`). Fits' and bounds' inner settings add them."""
        free = set(free)
        options: dict[str, Any] = {}
        for name in targets:
            proxy = cls.fit_proxies.get(name)
            if proxy is not None and free & set(proxy.exact_when_free):
                options.update(proxy.check_options)
        return options

    @classmethod
    def loss_observables(cls, settings: Any) -> tuple[str, ...]:
        """The observables a fit's loss computes with the inner solver ``settings``
        (:attr:`fit_observables`, default every observable). Models whose settings switch
        stages on and off refine this (the cogenesis model: today's observables only with the
        late-universe stage); a target outside it is reached through :attr:`fit_proxies`."""
        return tuple(cls.observables) if cls.fit_observables is None else tuple(cls.fit_observables)

    @classmethod
    def active_fit_limits(cls, settings: Any) -> tuple[str, ...]:
        """The keys of :attr:`fit_limits` that apply with the inner solver ``settings`` (default
        all); the others are off whatever bound is given."""
        return tuple(cls.fit_limits)

    def fit_coordinates(self, **options: Any) -> dict[str, FitCoordinate]:
        """Every parameter name a fit may free, with its :class:`FitCoordinate` (the validity box).

        Generic: read off the :class:`Parameter` declarations. A complex coupling is fitted by
        ``"<field>.abs"`` (``"log"`` within the field's range) and ``"<field>.arg"``
        (``"angle"``); a real one by ``fit_scale`` (default ``scale``) within its range, or,
        with ``relative_to``, as ``"log_ratio"`` within ``ratio_range``. A parameter whose sign
        a linear coordinate over its range would not keep (``positive`` with an open lower end)
        is not fittable. Models with constraints that depend on the point or on ``options``
        (declared in :attr:`fit_options`) refine this.
        """
        if options:
            raise ValueError(
                f"{sorted(options)}: not a fit option of the {self.name} model "
                f"(its fit options: {', '.join(self.fit_options) or 'none'})"
            )
        out: dict[str, FitCoordinate] = {}
        for field, p in self.parameters.items():
            if p.complex:
                out[f"{field}.abs"] = FitCoordinate("log", max(p.lower, 0.0), p.upper)
                out[f"{field}.arg"] = FitCoordinate("angle")
                continue
            kind = p.fit_scale or p.scale
            if p.relative_to is not None:
                out[field] = FitCoordinate(
                    "log_ratio", p.lower, p.upper, p.relative_to, *p.ratio_range
                )
            elif kind == "log":
                out[field] = FitCoordinate("log", max(p.lower, 0.0), p.upper)
            elif not ((p.positive or p.non_negative) and not p.lower >= 0.0):
                out[field] = FitCoordinate(kind, p.lower, p.upper)
        return out

    def concrete(self):
        """The point rebuilt from Python numbers through the constructor, which validates it
        (``ValueError`` naming a parameter out of range); e.g. the best point of a fit."""
        fields = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, (jnp.ndarray, np.ndarray)) or np.isscalar(value):
                array = np.asarray(value)
                if array.ndim == 0 and np.issubdtype(array.dtype, np.number):
                    value = complex(array) if np.iscomplexobj(array) else array.item()
            fields[field.name] = value
        return type(self)(**fields)


def _combine(current: Array, part: str, value: ArrayLike) -> Array:
    value = jnp.asarray(value, dtype=jnp.float64)
    if part == "abs":
        return value * jnp.exp(1j * jnp.angle(current))
    if part == "arg":
        return jnp.abs(current) * jnp.exp(1j * value)
    if part == "re":
        return value + 1j * jnp.imag(current)
    return jnp.real(current) + 1j * value  # "im"


def model_type_of(model) -> type[AbstractModel]:
    """The model's class; ``TypeError`` naming the built-in model types if it is not a model."""
    if isinstance(model, AbstractModel):
        return type(model)
    from jaxcogen.model import CogenesisModel
    from jaxcogen.models import FreezeInDecayModel, FreezeOutModel, LeptogenesisModel

    supported = ", ".join(
        t.__name__ for t in (CogenesisModel, LeptogenesisModel, FreezeOutModel, FreezeInDecayModel)
    )
    raise TypeError(
        f"{type(model).__name__} is not a jaxcogen model (an AbstractModel); supported: {supported}"
    )
