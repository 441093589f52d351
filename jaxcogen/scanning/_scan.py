r"""Batched parameter scans: many points, one compiled chunk function, a status for every point.

:func:`scan` solves a base model — any model of the interface
(:class:`~jaxcogen._interface.AbstractModel`: the cogenesis model and the validation models) — at
many parameter points, reading everything model-specific off that interface:

- the points are the outer product of a ``grid`` (one axis per parameter) or a list of
  ``samples`` (one point per index; see :mod:`jaxcogen.scanning._sampling`);
- they are solved in *chunks* of ``chunk_size``: one jitted function (``vmap`` of the model's
  ``solve_point`` over a chunk, compiled once per scan configuration, the last
  chunk padded) inside a sequential Python loop, keeping only the final observables, so peak
  memory grows with the chunk size and stays flat with the number of points
  (engineering notes §6.2: jax#3865, DESC#826);
- a vmapped adaptive solve runs until its slowest point is done (jax#2586), so points are sorted
  by a cheap stiffness proxy (:func:`stiffness_proxy`) before chunking ("bucketing"), when the
  model offers one;
- per-point choices that would run every branch under ``vmap`` — the model's regime
  (``regime="auto"``: the EFT or dynamical heavy neutrinos) and its solver (``solver="auto"``)
  — are made on the host, and each choice's points are solved in their own vmapped pass
  (:class:`ChunkRunner`);
- every point keeps its status: a failed solve or a point outside the model's validity range
  gets NaN observables and its status code, and never stops the other points;
- results go to memory or, chunk by chunk, to a Zarr store that an interrupted scan resumes
  (:mod:`jaxcogen.scanning._io`);
- with several local devices each chunk is split across them; with a Dask ``Client`` the chunks
  are spread over its workers.
"""

import collections
import dataclasses
import hashlib
import json
import logging
import math
import os
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr
from jaxtyping import Array, ArrayLike, Float

from jaxcogen._interface import AbstractModel, model_type_of
from jaxcogen._status import STATUS_INVALID_INPUT, status_name
from jaxcogen.production._validity import RESONANT_RATIO_LIMIT, S_OVER_M2_LIMIT
from jaxcogen.scanning._io import (
    DIAGNOSTICS,
    OBSERVABLES,
    BlockLayout,
    MemoryResults,
    ZarrResults,
    check_scan_size,
    choose_block_shape,
    coordinate_attributes,
    dataset_attributes,
    result_variables,
    variable_attributes,
    variable_dtype,
)

__all__ = [
    "DIAGNOSTICS",
    "OBSERVABLES",
    "ChunkRunner",
    "NoDaskWorkersError",
    "ScanPoints",
    "ScanSummary",
    "default_chunk_size",
    "default_threads",
    "scan",
    "scan_points",
    "scan_settings",
    "scan_summary",
    "stiffness_proxy",
]

_log = logging.getLogger(__name__)

#: Seconds a Dask scan waits for a worker when its cluster has none (:func:`scan`).
DASK_WORKER_TIMEOUT = 60.0

#: Points per block (Zarr storage chunk) = this many chunks, so bucketing sorts within a block.
_CHUNKS_PER_BLOCK = 16
_MIN_BLOCK_POINTS = 4096


# ---- the points of a scan ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class ScanPoints:
    """The validated points of a scan.

    Attributes:
        kind: ``"grid"`` (outer product of ``axes``) or ``"samples"`` (one point per index).
        axes: parameter name → 1-D values (float64; complex128 for a bare complex coupling).
    """

    kind: str
    axes: dict[str, np.ndarray]
    #: the unit of each parameter (from the model's registry)
    units: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.axes)

    @property
    def shape(self) -> tuple[int, ...]:
        if self.kind == "grid":
            return tuple(len(axis) for axis in self.axes.values())
        return (len(next(iter(self.axes.values()))),)

    @property
    def dims(self) -> tuple[str, ...]:
        return self.names if self.kind == "grid" else ("point",)

    @property
    def n_points(self) -> int:
        return math.prod(self.shape)

    def values(self, flat: np.ndarray) -> dict[str, np.ndarray]:
        """Parameter values of the points with flat (C-order) indices ``flat``."""
        if self.kind == "grid":
            index = np.unravel_index(flat, self.shape)
            return {name: self.axes[name][i] for name, i in zip(self.names, index, strict=True)}
        return {name: axis[flat] for name, axis in self.axes.items()}

    def logarithmic(self, name: str) -> bool:
        """Whether ``name`` is scanned logarithmically (geometric grid, or samples over ≥ 2 decades)."""
        axis = self.axes[name]
        if np.iscomplexobj(axis) or not np.all(axis > 0):
            return False
        if self.kind == "grid" and len(axis) >= 3:
            log_steps, steps = np.diff(np.log(axis)), np.diff(axis)
            geometric = np.allclose(log_steps, log_steps[0], rtol=1e-6, atol=0.0)
            arithmetic = np.allclose(steps, steps[0], rtol=1e-6, atol=0.0)
            return bool(geometric and not arithmetic)
        return bool(axis.max() / axis.min() >= 100.0)

    def coords(self) -> dict[str, tuple]:
        """xarray coordinates: an index per grid axis, or parameters along ``point``."""
        coords: dict[str, tuple] = {}
        if self.kind == "samples":
            coords["point"] = ("point", np.arange(self.n_points), {"long_name": "sample index"})
        for name, axis in self.axes.items():
            dim = name if self.kind == "grid" else "point"
            units = self.units.get(name, "1")
            coords[name] = (dim, axis, coordinate_attributes(name, self.logarithmic(name), units))
        return coords


def _checked_axis(role: str, name: str, values: Any, model_type: type[AbstractModel]) -> np.ndarray:
    """One parameter's values as a validated 1-D array (``ValueError`` naming the problem)."""
    field, part = model_type.check_parameter_name(name)
    parameter = model_type.parameters[field]
    label = f"{role}[{name!r}]"
    try:
        array = np.asarray(values)
    except Exception as err:
        raise ValueError(f"{label}: values must be an array of numbers") from err
    if array.dtype.kind not in "iufc":
        raise ValueError(f"{label}: values must be numbers, got dtype {array.dtype}")
    if array.ndim != 1:
        raise ValueError(
            f"{label}: must be a 1-D array of values (shape {array.shape}); "
            "write [value] for a single value"
        )
    if array.size == 0:
        raise ValueError(f"{label}: empty range (no values)")
    whole_coupling = parameter.complex and part is None
    if array.dtype.kind == "c" and not whole_coupling:
        if np.any(array.imag != 0):
            raise ValueError(f"{label}: must be real")
        array = array.real
    array = array.astype(np.complex128 if whole_coupling else np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{label}: non-finite value {array[~np.isfinite(array)][0].item()!r}")
    if parameter.positive and np.any(array.real <= 0):
        unit = f" {parameter.unit}" if parameter.unit != "1" else ""
        raise ValueError(f"{label}: must be > 0{unit}, got {float(array.real.min())!r}")
    non_negative = parameter.non_negative and part is None
    if (non_negative or part == "abs") and np.any(array.real < 0):
        raise ValueError(f"{label}: must be >= 0, got {float(array.real.min())!r}")
    return array


def scan_points(
    grid: Mapping[str, Any] | None = None,
    samples: Mapping[str, Any] | None = None,
    model_type: type[AbstractModel] | None = None,
) -> ScanPoints:
    """Validate a scan specification; ``ValueError`` with a clear message before any work.

    ``model_type``: whose parameter names are allowed (default :class:`~jaxcogen.CogenesisModel`;
    read off its ``parameters``). Checks: exactly one of ``grid``/``samples``; known parameter
    names (with a suggestion); 1-D, non-empty, finite, real values (complex only for a whole
    complex coupling such as ``"y2"``); positive parameters > 0; non-negative ones and ``.abs``
    parts >= 0; distinct grid values; equal sample lengths; no coupling scanned in two
    incompatible ways.
    """
    if model_type is None:
        from jaxcogen.model import CogenesisModel as model_type
    if (grid is None) == (samples is None):
        raise ValueError("give exactly one of grid= (outer product) or samples= (point list)")
    kind, spec = ("grid", grid) if grid is not None else ("samples", samples)
    if not isinstance(spec, Mapping) or not spec:
        raise ValueError(f"{kind}: give a mapping from parameter names to 1-D arrays")
    axes = {name: _checked_axis(kind, name, values, model_type) for name, values in spec.items()}
    model_type.check_scan_names(tuple(axes))
    if kind == "grid":
        for name, axis in axes.items():
            if len(np.unique(axis)) != len(axis):
                raise ValueError(f"grid[{name!r}]: repeated values")
    else:
        lengths = {name: len(axis) for name, axis in axes.items()}
        if len(set(lengths.values())) != 1:
            raise ValueError(
                f"samples: all parameters need the same number of values, got {lengths}"
            )
    units = {name: model_type.parameter_unit(name) for name in axes}
    return ScanPoints(kind, axes, units)


def scan_settings(solve_options, model_type: type[AbstractModel] | None = None):
    """Solver settings of a scan: the model's :meth:`solve_settings` from ``solve_options``
    (keyword options, or a settings object of the model) with ``n_save = 2``.

    Only the final observables are kept, so the evolution grid is the smallest the model allows.
    """
    if model_type is None:
        from jaxcogen.model import CogenesisModel as model_type
    if isinstance(solve_options, Mapping) and "n_save" in solve_options:
        raise ValueError("solve_options: n_save is fixed to 2 in scans (only final values kept)")
    return model_type.solve_settings(solve_options, n_save=2)


def default_chunk_size() -> int:
    """256 points per CPU device, 4096 per GPU device (see ``benchmarks/scan_throughput.py``)."""
    per_device = 256 if jax.default_backend() == "cpu" else 4096
    return per_device * len(jax.local_devices())


def default_threads() -> int:
    """Chunks solved at once in one process: on CPU one per core not used by a device of its
    own (a compiled chunk runs on one core and releases the interpreter, so two cores run two
    chunks, and one chunk's host-side work overlaps another's solve: 1.7x measured on the 2-core
    CPU, ``benchmarks/RESULTS.md`` §11); on GPUs one (a chunk fills the device)."""
    if jax.default_backend() != "cpu":
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, cores // len(jax.local_devices()))


def _checked_threads(threads: int | None) -> int:
    if threads is None:
        return default_threads()
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 1:
        raise ValueError(f"threads={threads!r}: must be a positive integer (chunks at once)")
    return int(threads)


def _checked_chunk_size(chunk_size: int | None) -> int:
    if chunk_size is None:
        return default_chunk_size()
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)):
        raise ValueError(f"chunk_size={chunk_size!r}: must be a positive integer")
    if chunk_size < 1:
        raise ValueError(f"chunk_size={chunk_size!r}: must be a positive integer")
    return int(chunk_size)


# ---- the compiled chunk function -----------------------------------------------------------------


def _pad(values: Mapping[str, np.ndarray], size: int) -> dict[str, np.ndarray]:
    """Pad each array to ``size`` by repeating its last entry (a valid point, never the stiffest)."""
    return {k: np.concatenate([v, np.repeat(v[-1:], size - len(v))]) for k, v in values.items()}


@eqx.filter_jit
def _solve_chunk(base_model: AbstractModel, settings, values: dict[str, Array]) -> dict[str, Array]:
    """Solve every point of a chunk (``vmap``); invalid points are flagged, not solved.

    A point outside the validity range would still be integrated by a vmapped solve, possibly
    to ``max_steps``, and hold up its whole chunk; so it is replaced by a valid point of the
    chunk for the solve and its results are then overwritten by NaN and ``invalid_input``.
    """
    models = jax.vmap(base_model.with_parameters)(values)
    valid = jax.vmap(lambda m: m.is_valid())(models)
    donor = jnp.argmax(valid)  # first valid point (0 if there is none)
    solvable = jax.tree.map(lambda x: jnp.where(valid, x, x[donor]), models)
    results = jax.vmap(lambda m: m.solve_point(settings))(solvable)
    kept = (*base_model.observables, *base_model.diagnostics)
    # what a second stage (AbstractModel.finish_point) reads besides those
    kept += tuple(n for n in base_model.stage_inputs if n not in kept and n in results
                  and n not in ("status", "num_steps", "num_rejected_steps"))  # fmt: skip
    out = {name: jnp.where(valid, results[name], jnp.nan) for name in kept}
    out["status"] = jnp.where(valid, results["status"], STATUS_INVALID_INPUT).astype(jnp.int32)
    for name in ("num_steps", "num_rejected_steps"):
        out[name] = jnp.where(valid, results[name], 0).astype(jnp.int32)
    for name in base_model.point_records:
        out[name] = jnp.where(valid, results[name], -1).astype(jnp.int32)
    return out


#: A two-stage solve's second stage runs over a chunk's points sorted by its cost proxy, in
#: this many sub-batches (measured on the 2-core CPU, RESULTS.md §11: fewer, wider batches pay
#: the adaptive loop's per-step overhead fewer times, more batches wait less for slow lanes).
FINISH_SUB_BATCHES = 4


@eqx.filter_jit
def _finish_chunk(
    base_model: AbstractModel, settings, values: dict[str, Array], first: dict[str, Array]
) -> dict[str, Array]:
    """The second stage of a two-stage solve (:meth:`AbstractModel.finish_point`) on a batch of
    points whose first stage succeeded (``vmap``)."""
    models = jax.vmap(base_model.with_parameters)(values)
    return jax.vmap(lambda m, f: m.finish_point(settings, f))(models, first)


#: A pass over at most half a chunk runs in sub-batches of ``chunk_size // SUB_BATCH_DIVISOR``
#: points (chunks of at least ``SUB_BATCH_MIN_CHUNK`` points), so that a few stiff points (the
#: implicit pass) or a few points outside the EFT's range (the dynamical-N regime, ~30x the
#: cost of the EFT) do not pay for a whole chunk of lanes.
SUB_BATCH_DIVISOR = 8
SUB_BATCH_MIN_CHUNK = 64


class ChunkRunner:
    """Solves chunks of up to ``chunk_size`` points with one compiled function per pass.

    With several local devices (GPUs, or ``--xla_force_host_platform_device_count`` on CPU) the
    padded chunk is split into equal slices, one per device, dispatched asynchronously: each
    device runs its own adaptive loop to its own slowest point. (``shard_map``/``pmap`` would be
    the textbook route, but diffrax's implicit solvers fail inside them — lineax#185,
    diffrax#765 — and GSPMD auto-partitioning of the while loop ran ~15× slower here.) The
    executable is compiled once per device and batch size, and cached for the process.

    Attributes:
        chunk_size: points per call, rounded up to a multiple of the device count.
        sub_batch: the smaller batch of passes over at most half a chunk (None: none).
        devices: the devices used.
    """

    def __init__(
        self,
        base_model,
        settings,
        chunk_size: int,
        devices: list | None = None,
    ):
        self.devices = list(devices) if devices is not None else jax.local_devices()
        n_devices = len(self.devices)
        self.chunk_size = -(-int(chunk_size) // n_devices) * n_devices
        sub = (self.chunk_size // SUB_BATCH_DIVISOR) // n_devices * n_devices
        self.sub_batch = sub if self.chunk_size >= SUB_BATCH_MIN_CHUNK and sub >= 1 else None
        self._models = [jax.device_put(base_model, d) for d in self.devices]
        self.variables = result_variables(model_type_of(base_model))
        # a two-stage solve (AbstractModel.staged_passes): the passes below are the first stage,
        # then the second runs on points sorted by its cost proxy, in sub-batches
        first_stage = base_model.staged_passes(settings)
        self._finish = None
        self._first_outputs = self.variables
        if first_stage is not None:
            self._finish = [jax.device_put(settings, d) for d in self.devices]
            settings = first_stage
            extra = [n for n in base_model.stage_inputs if n not in self.variables]
            self._first_outputs = (*self.variables, *extra)
        # the model's regime choice per point (None: one regime), then within each regime its
        # explicit-then-implicit solver choice (None: one pass with the regime's settings)
        regimes = base_model.regime_passes(settings)
        self._regime_settings = None if regimes is None else settings
        self._groups: list[dict[str, list]] = []
        for group in (settings,) if regimes is None else regimes:
            passes = base_model.solver_passes(group)
            named = (
                {"one": group} if passes is None else {"explicit": passes[0], "implicit": passes[1]}
            )
            self._groups.append(
                {name: [jax.device_put(s, d) for d in self.devices] for name, s in named.items()}
            )
        self.auto = any("explicit" in group for group in self._groups)

    @property
    def _settings(self) -> dict[str, list]:
        """Every pass's per-device settings, by name (``"eft.explicit"``, …; for benchmarks)."""
        return {
            f"{k}.{name}" if len(self._groups) > 1 else name: per_device
            for k, group in enumerate(self._groups)
            for name, per_device in group.items()
        }

    def _run(
        self,
        per_device_settings: list,
        batch: Mapping[str, np.ndarray],
        size: int,
        first: Mapping[str, np.ndarray] | None = None,
    ):
        """A padded batch of ``size`` points, split over the devices: the first stage (or the
        only one), or with ``first`` (its outputs) the second."""
        per_device = size // len(self.devices)

        def on(device, arrays, k):
            return {
                name: jax.device_put(v[k * per_device : (k + 1) * per_device], device)
                for name, v in arrays.items()
            }

        pending = []
        for k, device in enumerate(self.devices):
            part = on(device, batch, k)
            if first is None:
                pending.append(_solve_chunk(self._models[k], per_device_settings[k], part))
            else:
                pending.append(
                    _finish_chunk(
                        self._models[k], per_device_settings[k], part, on(device, first, k)
                    )
                )
        names = self._first_outputs if first is None else pending[0].keys()
        return {name: np.concatenate([np.asarray(p[name]) for p in pending]) for name in names}

    def _batches(self, members: np.ndarray) -> Iterator[tuple[np.ndarray, int]]:
        """The points ``members`` of a pass as (indices, batch size) batches."""
        if self.sub_batch is None or len(members) > self.chunk_size // 2:
            yield members, self.chunk_size
            return
        for start in range(0, len(members), self.sub_batch):
            yield members[start : start + self.sub_batch], self.sub_batch

    def _solve(self, per_device_settings, values, members: np.ndarray, out: dict) -> None:
        """Solve the points ``members`` (indices into ``values``) into ``out``."""
        for indices, size in self._batches(members):
            batch = _pad({k: v[indices] for k, v in values.items()}, size)
            results = self._run(per_device_settings, batch, size)
            for name, array in results.items():
                out[name][indices] = array[: len(indices)]

    def __call__(self, values: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Observables and diagnostics of the points ``values`` (at most ``chunk_size``).

        Per-point choices that a ``lax.cond`` would turn into "run everything on every point"
        under ``vmap`` are resolved here, on the host, into separate vmapped passes over the
        points concerned (a pass over at most half a chunk runs in sub-batches):

        - the model's regime (``regime_passes``, e.g. the cogenesis model's ``regime="auto"``:
          the EFT where trusted, dynamical heavy neutrinos elsewhere), first;
        - then, within a regime, its solver (``solver_passes``, e.g. ``solver="auto"``): the
          explicit pass on the points the model does not flag with ``needs_implicit``, then the
          implicit pass on the flagged points and those the explicit pass failed, if any.
        """
        n_points = len(next(iter(values.values())))
        if not 0 < n_points <= self.chunk_size:
            raise ValueError(f"{n_points} points for a chunk of {self.chunk_size}")
        values = {k: np.asarray(v) for k, v in values.items()}
        padded = _pad(values, self.chunk_size)  # host-side criteria: one compile per chunk size
        everything = np.arange(n_points)
        if self._regime_settings is None:
            regime = np.zeros(n_points, dtype=np.int64)
        else:
            regime = np.asarray(_regime_index(self._models[0], self._regime_settings, padded))
            regime = regime[:n_points]
        stiff = (
            np.asarray(_needs_implicit(self._models[0], padded))[:n_points] if self.auto else None
        )
        out: dict[str, np.ndarray] = {
            name: np.empty(n_points, dtype=variable_dtype(name)) for name in self._first_outputs
        }
        for k, group in enumerate(self._groups):
            members = everything[regime == k]
            if members.size == 0:
                continue
            if "one" in group:
                self._solve(group["one"], values, members, out)
                continue
            explicit, redo = members[~stiff[members]], members[stiff[members]]
            if explicit.size:
                self._solve(group["explicit"], values, explicit, out)
                status = out["status"][explicit]
                failed = explicit[(status != 0) & (status != STATUS_INVALID_INPUT)]
                redo = np.sort(np.concatenate([redo, failed]))
            if redo.size:
                self._solve(group["implicit"], values, redo, out)
        if self._finish is not None:
            self._solve_second_stage(values, out)
        return {name: out[name] for name in self.variables}

    def _solve_second_stage(self, values: Mapping[str, np.ndarray], out: dict) -> None:
        """The second stage on the points whose first stage succeeded, sorted by the model's
        cost proxy and run in sub-batches (each waits only for points of similar cost)."""
        model = self._models[0]
        done = np.flatnonzero(out["status"] == 0)
        if done.size == 0:
            return
        inputs = type(model).stage_inputs
        proxy = type(model).finish_cost_proxy({n: out[n][done] for n in inputs})
        members = done[np.argsort(np.where(np.isfinite(proxy), proxy, np.inf), kind="stable")]
        n_devices = len(self.devices)
        size = max(self.chunk_size // FINISH_SUB_BATCHES // n_devices, 1) * n_devices
        for start in range(0, len(members), size):
            indices = members[start : start + size]
            batch = _pad({k: v[indices] for k, v in values.items()}, size)
            first = _pad({n: out[n][indices] for n in inputs}, size)
            results = self._run(self._finish, batch, size, first)
            for name, array in results.items():
                out[name][indices] = array[: len(indices)]


def solve_chunk_task(
    base_model: AbstractModel,
    settings,
    values: Mapping[str, np.ndarray],
    chunk_size: int,
) -> dict[str, np.ndarray]:
    """One chunk in a Dask worker; module level so the worker imports jaxcogen (float64 on)."""
    if not jax.config.jax_enable_x64:
        raise RuntimeError("float64 is off in this Dask worker; import jaxcogen before JAX use")
    return ChunkRunner(base_model, settings, chunk_size)(values)


# ---- stiffness bucketing -------------------------------------------------------------------------


def stiffness_proxy(model: AbstractModel) -> Float[ArrayLike, ""]:
    """The model's cheap predictor of the step count (its ``stiffness_proxy`` capability; for the
    cogenesis model :meth:`jaxcogen.CogenesisModel.stiffness_proxy`)."""
    return model.stiffness_proxy()


@eqx.filter_jit
def _needs_implicit(base_model: AbstractModel, values: dict[str, Array]) -> Array:
    return jax.vmap(lambda v: base_model.with_parameters(v).needs_implicit())(values)


@eqx.filter_jit
def _regime_index(base_model: AbstractModel, settings, values: dict[str, Array]) -> Array:
    """The regime of each point (``regime_index``); 0 for an invalid point (it is not solved)."""

    def one(v):
        model = base_model.with_parameters(v)
        return jnp.where(model.is_valid(), model.regime_index(settings), 0)

    return jax.vmap(one)(values)


@eqx.filter_jit
def _stiffness_proxies(base_model: AbstractModel, values: dict[str, Array]) -> Array:
    return jax.vmap(lambda v: base_model.with_parameters(v).stiffness_proxy())(values)


def _chunk_order(
    layout: BlockLayout,
    done: np.ndarray,
    chunk_size: int,
    proxy: Callable[[np.ndarray], np.ndarray] | None,
) -> Iterator[np.ndarray]:
    """Flat indices of the points still to do, chunk by chunk, block after block.

    With ``proxy``, each block's points are sorted by it, alternately ascending and descending,
    so that a chunk straddling two blocks joins two ends of similar stiffness.
    """
    carry = np.empty(0, dtype=np.int64)
    ascending = True
    for block in range(layout.n_blocks):
        todo = layout.points(block)
        todo = todo[~done[todo]]
        if todo.size == 0:
            continue
        if proxy is not None and todo.size > chunk_size:
            order = np.argsort(proxy(todo), kind="stable")
            todo = todo[order if ascending else order[::-1]]
            ascending = not ascending
        carry = np.concatenate([carry, todo])
        while carry.size >= chunk_size:
            yield carry[:chunk_size]
            carry = carry[chunk_size:]
    if carry.size:
        yield carry


# ---- the scan --------------------------------------------------------------------------------------


def _fingerprint(model, points: ScanPoints, settings) -> str:
    """Hash of everything that determines the results (not the chunking): resume checks it."""
    digest = hashlib.sha256()
    header = {
        "model": model.card(),
        "settings": model.settings_record(settings),
        "kind": points.kind,
        "names": points.names,
    }
    digest.update(json.dumps(header, sort_keys=True).encode())
    for axis in points.axes.values():
        digest.update(np.ascontiguousarray(axis).tobytes())
    return digest.hexdigest()


def scan(
    base_model: AbstractModel,
    grid: Mapping[str, Any] | None = None,
    *,
    samples: Mapping[str, Any] | None = None,
    chunk_size: int | None = None,
    out: str | os.PathLike | None = None,
    resume: bool = False,
    progress: bool = True,
    solve_options: Mapping[str, Any] | Any | None = None,
    dask_client=None,
    bucket: bool = True,
    dask_worker_timeout: float = DASK_WORKER_TIMEOUT,
    threads: int | None = None,
) -> xr.Dataset:
    r"""Solve ``base_model`` at many parameter points; one dataset variable per observable.

    ``base_model`` is any model of the interface (:class:`~jaxcogen._interface.AbstractModel`): a
    :class:`~jaxcogen.CogenesisModel` or a validation model
    (:class:`~jaxcogen.models.leptogenesis.LeptogenesisModel`,
    :class:`~jaxcogen.models.freeze_out.FreezeOutModel`,
    :class:`~jaxcogen.models.freeze_in_decay.FreezeInDecayModel`). The parameter names, solver
    options and observables are the model's (its ``parameters``, ``solve_settings`` and
    ``observables``), e.g. ``scan(LeptogenesisModel(...), grid={"mtilde_1": ..., "M_1": ...})``
    gives ``eta_B``, ``kappa_f``, … per point; stiffness bucketing and the two-pass automatic
    solver choice apply where the model offers them (the cogenesis model does).

    Args:
        base_model: the point whose other parameters stay fixed.
        grid: ``{name: 1-D values}``; the scan is their outer product, one dimension per name
            (names as in :mod:`jaxcogen.model._parameters`: ``"M1"``, ``"T_RH"``, ``"y2.abs"``, …).
        samples: ``{name: values}`` of equal lengths; point ``i`` takes entry ``i`` of each
            (a ``point`` dimension, parameters as coordinates; see :mod:`jaxcogen.scanning._sampling`).
        chunk_size: points per compiled call (memory grows with it); rounded up to a multiple of
            the local device count. Default :func:`default_chunk_size`.
        out: a Zarr store path; results are written chunk by chunk and the dataset returned is
            the store opened lazily. ``None``: results in memory.
        resume: continue the scan already in ``out`` (only the points whose ``done`` flag is
            false are computed). The stored scan must be the same (base model, points, solver
            settings); the chunk size may differ.
        progress: show a tqdm bar (points/s and ETA).
        solve_options: the model's solver options (for the cogenesis model those of
            :func:`jaxcogen.solve`: ``rtol``, ``max_steps``, ``regime``, …, or a
            :class:`~jaxcogen.SolveSettings`); ``n_save`` is fixed to 2. The cogenesis model
            runs the full chain by default, so the dataset carries today's ``Omega_chi_h2``,
            ``asymmetric_fraction``, ``Delta_N_eff`` and ``N_eff_ok``;
            ``{"late_universe": False}`` is the production-only opt-out (those are then NaN).
        dask_client: a ``distributed.Client``: chunks run on its workers, which return the
            results to this process, the only writer. Chunks lost with a worker are rerun on
            the others, or on a worker that joins later.
        bucket: sort points by :func:`stiffness_proxy` within each block before chunking.
        dask_worker_timeout: seconds a Dask scan waits when the cluster has no worker at all
            (all lost, or none started) before it gives up with :class:`NoDaskWorkersError`.
        threads: chunks solved at once in this process (without ``dask_client``): default
            :func:`default_threads` (one per CPU core; one on GPUs). Results are written in
            chunk order by the calling thread; each thread holds one chunk's working memory.

    Returns:
        An :class:`xarray.Dataset` with the model's observables and diagnostics (NaN where the
        point failed), ``status`` (0 success, a diffrax code, 100 ``invalid_input``, -1 not
        computed), ``num_steps``, ``num_rejected_steps`` and ``done``; the scanned parameters
        as coordinates; attributes with the base model card, conventions, solver settings and
        jaxcogen version. :func:`scan_summary` counts the statuses.

    Raises:
        ValueError: a bad specification (unknown name, empty range, non-positive mass,
            non-finite value, unequal sample lengths, bad solver option), or a scan too large
            for the available memory (or, with ``out``, disk), before any work.
        FileExistsError: ``out`` exists and ``resume`` is false.
        NoDaskWorkersError: the Dask cluster had no worker for ``dask_worker_timeout`` seconds
            (the finished chunks are in ``out``; resume later).
    """
    model_type = model_type_of(base_model)  # TypeError naming the supported model types
    points = scan_points(grid, samples, model_type)
    settings = scan_settings(solve_options, model_type)
    chunk_size = _checked_chunk_size(chunk_size)
    threads = _checked_threads(threads)
    if resume and out is None:
        raise ValueError("resume=True needs out= (the store to continue)")

    fingerprint = _fingerprint(base_model, points, settings)
    attrs = dataset_attributes(base_model, settings, points.kind, points.names, fingerprint)
    variables, variable_attrs = result_variables(model_type), variable_attributes(model_type)
    # before anything is allocated or written (a 10^10-point grid is refused here)
    check_scan_size(points.kind, points.shape, variables, out)
    if dask_client is not None and not dask_worker_timeout > 0:
        raise ValueError(f"dask_worker_timeout={dask_worker_timeout!r}: must be > 0 seconds")
    block_points = max(_CHUNKS_PER_BLOCK * chunk_size, _MIN_BLOCK_POINTS)
    block_shape = choose_block_shape(points.shape, block_points)
    if out is None:
        results: MemoryResults | ZarrResults = MemoryResults(
            points.dims, points.shape, points.coords(), attrs, variables, variable_attrs
        )
        layout = BlockLayout(points.shape, block_shape)
    else:
        results = ZarrResults(
            out,
            points.dims,
            points.shape,
            points.coords(),
            attrs,
            block_shape,
            resume,
            variables,
            variable_attrs,
        )
        layout = results.layout

    done = results.done_mask()
    todo = int(np.count_nonzero(~done))
    bucket = bucket and model_type.has_stiffness_proxy  # a capability of the model
    proxy = _proxy_function(base_model, points, layout.capacity) if bucket else None
    chunks = _chunk_order(layout, done, chunk_size, proxy)
    already = points.n_points - todo
    if dask_client is None:
        runner = ChunkRunner(base_model, settings, chunk_size)
        # the first chunk compiles; keep it out of the progress bar's points/s and ETA
        with _ProgressBar(todo, already, enabled=progress, compiling=True) as bar:
            first = next(chunks, None)
            if first is not None:
                _record(results, bar, first, runner(points.values(first)))
                bar.reset_rate()
            _run_in_threads(runner, chunks, points, results, bar, threads)
    else:
        with _ProgressBar(todo, already, enabled=progress) as bar:
            _run_on_dask(
                dask_client,
                chunks,
                points,
                base_model,
                settings,
                chunk_size,
                results,
                bar,
                dask_worker_timeout,
            )
    return results.dataset()


def _proxy_function(
    base_model: AbstractModel, points: ScanPoints, capacity: int
) -> Callable[[np.ndarray], np.ndarray]:
    """Stiffness proxies of flat point indices (padded to the block capacity: one compile)."""

    def proxy(flat: np.ndarray) -> np.ndarray:
        values = _pad(points.values(flat), capacity)
        return np.asarray(_stiffness_proxies(base_model, values))[: len(flat)]

    return proxy


class _ProgressBar:
    """A tqdm bar over points (points/s, ETA) with a running count of failed points."""

    def __init__(self, todo: int, already: int, enabled: bool, compiling: bool = False):
        from tqdm.auto import tqdm

        self._tqdm = tqdm
        self.desc = "scan" if not already else f"scan (resumed, {already} done)"
        desc = f"{self.desc}, compiling" if compiling else self.desc
        self.bar = tqdm(total=todo, desc=desc, unit="pt", disable=not enabled, smoothing=0.1)
        self.failed = 0

    def update(self, n_points: int, n_failed: int) -> None:
        self.bar.update(n_points)
        if n_failed:
            self.failed += n_failed
            self.bar.set_postfix(failed=self.failed, refresh=False)

    def reset_rate(self) -> None:
        """Restart the clock (after the compiling first chunk), keeping the count."""
        old = self.bar
        total, count, disabled = old.total, old.n, old.disable
        if count >= total:  # a one-chunk scan: nothing left to time, keep the finished line
            return
        old.leave = False  # the new bar takes its line
        old.close()
        self.bar = self._tqdm(
            total=total, initial=count, desc=self.desc, unit="pt", disable=disabled, smoothing=0.1
        )
        if self.failed:
            self.bar.set_postfix(failed=self.failed, refresh=False)

    def __enter__(self) -> "_ProgressBar":
        return self

    def __exit__(self, *exc) -> None:
        self.bar.close()


def _record(results, bar: _ProgressBar, flat: np.ndarray, outputs: Mapping[str, np.ndarray]):
    results.write(flat, outputs)
    bar.update(len(flat), int(np.count_nonzero(outputs["status"] != 0)))


def _run_in_threads(runner, chunks, points, results, bar, threads: int) -> None:
    """Solve ``chunks`` with ``runner`` in ``threads`` threads (one chunk each, one more queued),
    recording the results in chunk order from this thread (the only writer).

    A compiled chunk releases the interpreter while it runs, so the threads' solves run side by
    side on the cores and a chunk's host-side work (passes, sorting, padding) overlaps the
    others' solves. An exception (or Ctrl-C) stops the submission; the chunks already running
    finish in the background, the ones waiting are cancelled, the finished ones are recorded.
    """
    if threads == 1:
        for flat in chunks:
            _record(results, bar, flat, runner(points.values(flat)))
        return
    pool = ThreadPoolExecutor(threads, thread_name_prefix="jaxcogen-scan")
    pending: collections.deque = collections.deque()
    clean = False
    try:
        for flat in chunks:
            pending.append((flat, pool.submit(runner, points.values(flat))))
            if len(pending) > threads:
                done_flat, future = pending.popleft()
                _record(results, bar, done_flat, future.result())
        while pending:
            done_flat, future = pending.popleft()
            _record(results, bar, done_flat, future.result())
        clean = True
    finally:
        pool.shutdown(wait=clean, cancel_futures=not clean)


class NoDaskWorkersError(TimeoutError):
    """A Dask scan found no worker in its cluster for longer than its ``dask_worker_timeout``."""


def _run_on_dask(
    client,
    chunks,
    points,
    base_model,
    settings,
    chunk_size,
    results,
    bar,
    worker_timeout: float = DASK_WORKER_TIMEOUT,
) -> None:
    """Keep about two chunks per worker thread in flight (more as workers join); write results
    as they come back.

    Model and settings travel by value in every task (about a kilobyte: an equinox module of
    scalars) and as NumPy leaves, so nothing is turned into a JAX array in a worker before
    jaxcogen (which switches float64 on) is imported there. Nothing a task needs lives only on
    a worker, so when workers die the scheduler reruns their chunks on the others, or on the
    next worker to join; if the cluster has no worker for ``worker_timeout`` seconds the scan
    stops with :class:`NoDaskWorkersError` (the finished chunks are written).
    """
    host_model = jax.tree.map(np.asarray, base_model)
    host_settings = jax.tree.map(np.asarray, settings)
    in_flight: dict = {}

    def submit_next() -> bool:
        flat = next(chunks, None)
        if flat is None:
            return False
        future = client.submit(
            solve_chunk_task,
            host_model,
            host_settings,
            points.values(flat),
            chunk_size,
            pure=False,
        )
        in_flight[future] = flat
        return True

    def fill_window() -> None:
        while len(in_flight) < 2 * max(1, watch.threads) and submit_next():
            pass

    watch = _WorkerWatch(client, worker_timeout)
    try:
        watch.check()
        fill_window()
        while in_flight:
            recorded = 0
            for future in [future for future in in_flight if future.done()]:
                try:
                    # a result held by a worker that has just died is recomputed: the future
                    # is pending again and is picked up on a later pass
                    outputs = future.result(timeout=watch.poll)
                except TimeoutError:
                    continue
                flat = in_flight.pop(future)
                _record(results, bar, flat, outputs)
                recorded += 1
                submit_next()
            watch.check()
            fill_window()
            if not recorded:
                time.sleep(0.02)
    finally:
        client.cancel(list(in_flight))


class _WorkerWatch:
    """Raises :class:`NoDaskWorkersError` once the cluster has had no worker for ``timeout`` s."""

    poll = 1.0  # seconds between two questions to the scheduler

    def __init__(self, client, timeout: float):
        self.client, self.timeout = client, float(timeout)
        self._asked = -math.inf
        self._since: float | None = None
        self.threads = 0  # worker threads in the cluster when last asked

    def check(self) -> None:
        now = time.monotonic()
        if now - self._asked < self.poll:
            return
        self._asked = now
        self.threads = sum(self.client.nthreads().values())
        if self.threads:
            if self._since is not None:
                _log.warning("a Dask worker joined; the scan goes on")
            self._since = None
            return
        if self._since is None:
            self._since = now
            _log.warning(
                "no Dask worker in the cluster; waiting up to %g s for one to join", self.timeout
            )
        elif now - self._since > self.timeout:
            raise NoDaskWorkersError(
                f"no Dask worker in the cluster for {self.timeout:g} s (all lost, or none "
                "started); the finished chunks are written: start workers and resume the scan"
            )


# ---- summary ---------------------------------------------------------------------------------------

_REASONS = {
    "invalid_input": "outside the model's validity range (cogenesis: finite, positive, "
    "M_i > h*T_RH > m_chi, m_phi); not solved",
    "max_steps_reached": "step budget exhausted; raise solve max_steps or loosen rtol",
    "not_computed": "not computed yet (interrupted scan; resume it)",
}


@dataclasses.dataclass(frozen=True)
class ScanSummary:
    """Counts of the points of a scan by status name (:func:`scan_summary`)."""

    n_points: int
    counts: dict[str, int]
    #: Succeeded points where the heavy-neutrino EFT is not trustworthy (:mod:`jaxcogen.production._validity`).
    n_eft_untrustworthy: int = 0

    @property
    def n_succeeded(self) -> int:
        return self.counts.get("success", 0)

    @property
    def n_not_computed(self) -> int:
        return self.counts.get("not_computed", 0)

    @property
    def n_failed(self) -> int:
        """Points computed without success (invalid input or a solver failure)."""
        return self.n_points - self.n_succeeded - self.n_not_computed

    @property
    def failures(self) -> dict[str, int]:
        return {k: v for k, v in self.counts.items() if k not in ("success", "not_computed")}

    def __str__(self) -> str:
        lines = [
            f"{self.n_points} points: {self.n_succeeded} succeeded, {self.n_failed} failed"
            + (f", {self.n_not_computed} not computed" if self.n_not_computed else "")
        ]
        for name, count in self.counts.items():
            if name != "success":
                reason = _REASONS.get(name, "solver failure reported by diffrax")
                lines.append(f"  {count} {name}: {reason}")
        if self.n_eft_untrustworthy:
            lines.append(
                f"  warning: {self.n_eft_untrustworthy} succeeded points are outside the EFT's range "
                "(on-shell N production or s/M1^2 too large; see eft_resonant_ratio, "
                "eft_s_over_M1_squared)"
            )
        return "\n".join(lines)


def scan_summary(ds: xr.Dataset) -> ScanSummary:
    """Count the points of a scan dataset by status name and explain the failures.

    ``print(scan_summary(ds))`` gives e.g. ``16 points: 14 succeeded, 2 failed`` followed by
    one line per failure kind with its count and cause.
    """
    status = np.asarray(ds["status"].values).reshape(-1)
    codes, counts = np.unique(status, return_counts=True)
    # status alone says what happened to a point: STATUS_NOT_COMPUTED ("not_computed") until
    # its results are written, then 0 or its failure code
    named = {status_name(int(code)): int(count) for code, count in zip(codes, counts, strict=True)}
    ordered = dict(sorted(named.items(), key=lambda item: (item[0] != "success", item[0])))
    untrustworthy = 0
    if "eft_resonant_ratio" in ds and "eft_s_over_M1_squared" in ds:
        ok = status == 0
        ratio = np.asarray(ds["eft_resonant_ratio"].values).reshape(-1)
        s_over = np.asarray(ds["eft_s_over_M1_squared"].values).reshape(-1)
        untrustworthy = int(
            np.sum(ok & ((ratio >= RESONANT_RATIO_LIMIT) | (s_over >= S_OVER_M2_LIMIT)))
        )
    return ScanSummary(n_points=int(status.size), counts=ordered, n_eft_untrustworthy=untrustworthy)
