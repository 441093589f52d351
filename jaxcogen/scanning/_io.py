r"""Where scan results go: an in-memory dataset, or a Zarr store written chunk by chunk.

Layout. The result arrays have the scan's own shape (one dimension per grid parameter, or one
``point`` dimension for samples). They are cut into *blocks*: hyper-rectangles that are also the
Zarr storage chunks. A new store holds only metadata: every array's Zarr ``fill_value`` is the
"not computed" state (NaN observables, ``status`` = :data:`~jaxcogen._status.STATUS_NOT_COMPUTED`,
``done`` false), so a storage chunk that was never written reads as not computed. A finished
chunk of points is scattered into the blocks it touches, and each touched block is written whole,
in three steps: first the results (observables and step counts), then ``status``, then the
per-point ``done`` flags. Zarr replaces a storage chunk atomically (write to a temporary file,
then rename; zarr-python >= 3.1.3), so a scan killed at any moment leaves a readable store in
which a point's ``status`` is :data:`STATUS_NOT_COMPUTED` until its results are on disk and
``done`` is true only for points whose results and status are on disk; ``resume`` recomputes
the others and nothing else. The metadata is consolidated when the store is created (and again
when a scan finishes), so ``xarray.open_zarr(path)`` opens it without a warning at any time.

Only one process writes (the one that called :func:`jaxcogen.scan`; Dask workers return their
results to it), so no two writers ever touch the same storage chunk and no locks are needed.

:func:`check_scan_size` refuses a scan whose results would not fit in memory (or on disk) before
anything is allocated or written.
"""

import dataclasses
import datetime
import json
import math
import os
import shutil
import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import xarray as xr

from jaxcogen._interface import AbstractModel
from jaxcogen._status import STATUS_INVALID_INPUT, STATUS_NOT_COMPUTED, status_table
from jaxcogen.model._cogenesis import CogenesisModel

#: Per-point solver diagnostics, kept for every model.
DIAGNOSTICS: tuple[str, ...] = ("status", "num_steps", "num_rejected_steps")

#: Final observables of a cogenesis scan (the model's observables and EFT diagnostics).
OBSERVABLES: tuple[str, ...] = (*CogenesisModel.observables, *CogenesisModel.diagnostics)

_DTYPES = {
    "status": np.int32,
    "num_steps": np.int32,
    "num_rejected_steps": np.int32,
    "done": np.bool_,
}
_FILL = {
    "status": STATUS_NOT_COMPUTED,
    "num_steps": -1,
    "num_rejected_steps": -1,
    "done": False,
}
_DIAGNOSTIC_ATTRS = {
    "status": {
        "long_name": "solve status: 0 success, diffrax failure code, "
        f"{STATUS_INVALID_INPUT} invalid input, {STATUS_NOT_COMPUTED} not computed yet "
        "(names in the dataset attribute status_codes)"
    },
    "num_steps": {"long_name": "accepted + rejected solver steps (0: not solved, invalid input)"},
    "num_rejected_steps": {"long_name": "rejected solver steps"},
    "done": {"long_name": "point computed and written"},
}


def result_variables(model_type: type[AbstractModel]) -> tuple[str, ...]:
    """The per-point variables of a scan of ``model_type``: observables, diagnostics, status,
    step counts and the model's integer :attr:`~jaxcogen._interface.AbstractModel.point_records`."""
    for name in model_type.point_records:  # int32, -1 until computed (and where not solved)
        _DTYPES.setdefault(name, np.int32)
        _FILL.setdefault(name, -1)
    records = tuple(model_type.point_records)
    return (*model_type.observables, *model_type.diagnostics, *DIAGNOSTICS, *records)


#: Every per-point result variable of a cogenesis scan, in storage order (with the model's
#: integer records, e.g. ``regime_used``).
RESULT_VARIABLES: tuple[str, ...] = result_variables(CogenesisModel)


def variable_attributes(model_type: type[AbstractModel]) -> dict[str, dict]:
    """Long name and units of every per-point variable, from the model's registry."""
    described = {**model_type.observables, **model_type.diagnostics}
    records = {
        name: {"long_name": f"{text} (-1: not solved)"}
        for name, text in model_type.point_records.items()
    }
    return (
        {name: {"long_name": o.description, "units": o.unit} for name, o in described.items()}
        | _DIAGNOSTIC_ATTRS
        | records
    )


# ---- descriptions recorded in the attributes ------------------------------------------------------


def status_codes() -> dict[str, str]:
    """``{code: name}`` for every status a scan can report (:func:`jaxcogen._status.status_table`)."""
    return status_table()


def dataset_attributes(
    model: AbstractModel, settings, kind: str, names: tuple[str, ...], fingerprint: str
) -> dict:
    """Dataset attributes: the model's name and base point (``model.card_text()``: a parameter
    card that :func:`jaxcogen.model.parse_card` reads back for the cogenesis model, JSON for the
    others), its conventions if it has any, the solver settings, version, kind. Nested records are
    JSON strings (``json.loads(ds.attrs["conventions"])``)."""
    import jaxcogen  # at call time: this module is imported while jaxcogen initialises

    attrs = {
        "title": f"jaxcogen parameter scan ({model.name})",
        "jaxcogen_version": jaxcogen.__version__,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "model_family": model.name,
        "scan_kind": kind,
        "scan_parameters": list(names),
        "model_card": model.card_text(),
        "solve_settings": json.dumps(model.settings_record(settings)),
        "status_codes": json.dumps(status_codes()),
        "fingerprint": fingerprint,
    }
    card = model.card()
    if "conventions" in card:
        attrs["conventions"] = json.dumps(card["conventions"])
    return attrs


def coordinate_attributes(name: str, logarithmic: bool, units: str) -> dict:
    """Attributes of a scanned parameter's coordinate: units and axis scale (for plots)."""
    return {"units": units, "scale": "log" if logarithmic else "linear"}


# ---- blocks ----------------------------------------------------------------------------------------


def choose_block_shape(shape: tuple[int, ...], target: int) -> tuple[int, ...]:
    """A block (storage-chunk) shape of about ``target`` points, filled from the last axis."""
    block = [1] * len(shape)
    room = max(1, int(target))
    for axis in reversed(range(len(shape))):
        block[axis] = max(1, min(shape[axis], room))
        room = max(1, room // block[axis])
    return tuple(block)


@dataclasses.dataclass(frozen=True)
class BlockLayout:
    """The result arrays of ``shape`` cut into blocks of ``block_shape`` (C order of blocks).

    Points are named by their flat (C-order) index into ``shape``.
    """

    shape: tuple[int, ...]
    block_shape: tuple[int, ...]

    @property
    def blocks_per_axis(self) -> tuple[int, ...]:
        return tuple(-(-s // b) for s, b in zip(self.shape, self.block_shape, strict=True))

    @property
    def n_blocks(self) -> int:
        return math.prod(self.blocks_per_axis)

    @property
    def capacity(self) -> int:
        """Points in a full block."""
        return math.prod(self.block_shape)

    def region(self, block: int) -> tuple[slice, ...]:
        """The slices of the result arrays that block ``block`` covers."""
        index = np.unravel_index(block, self.blocks_per_axis)
        return tuple(
            slice(int(i) * b, min((int(i) + 1) * b, s))
            for i, b, s in zip(index, self.block_shape, self.shape, strict=True)
        )

    def points(self, block: int) -> np.ndarray:
        """Flat indices of the points in ``block``, in C order."""
        ranges = [np.arange(r.start, r.stop) for r in self.region(block)]
        mesh = np.meshgrid(*ranges, indexing="ij")
        return np.ravel_multi_index(mesh, self.shape).ravel()

    def block_of(self, flat: np.ndarray) -> np.ndarray:
        """The block of each flat point index."""
        index = np.unravel_index(flat, self.shape)
        block_index = tuple(i // b for i, b in zip(index, self.block_shape, strict=True))
        return np.ravel_multi_index(block_index, self.blocks_per_axis)

    def local_index(self, flat: np.ndarray, block: int) -> tuple[np.ndarray, ...]:
        """Index of flat points inside the arrays of ``block``."""
        index = np.unravel_index(flat, self.shape)
        return tuple(i - r.start for i, r in zip(index, self.region(block), strict=True))


# ---- writers ---------------------------------------------------------------------------------------


def variable_dtype(name: str):
    """The NumPy dtype of a per-point variable (float64 unless declared integer or boolean)."""
    return _DTYPES.get(name, np.float64)


def _fill(name: str):
    return _FILL.get(name, np.nan)


def _result_dataset(
    arrays: Mapping[str, object],
    dims: tuple[str, ...],
    coords: Mapping,
    attrs: Mapping,
    variables: tuple[str, ...] = RESULT_VARIABLES,
    variable_attrs: Mapping[str, dict] | None = None,
) -> xr.Dataset:
    described = {**_DIAGNOSTIC_ATTRS, **(variable_attrs or {})}
    data_vars = {
        name: xr.Variable(dims, arrays[name], attrs=described.get(name, {}))
        for name in (*variables, "done")
    }
    return xr.Dataset(data_vars, coords=dict(coords), attrs=dict(attrs))


class MemoryResults:
    """Results held in NumPy arrays; :meth:`dataset` wraps them in an :class:`xarray.Dataset`.

    ``variables``: the per-point results stored (default: the cogenesis observables and the
    solver diagnostics); ``variable_attrs``: their attributes beyond the built-in ones.
    """

    def __init__(
        self,
        dims: tuple[str, ...],
        shape: tuple[int, ...],
        coords: Mapping,
        attrs,
        variables: tuple[str, ...] = RESULT_VARIABLES,
        variable_attrs: Mapping[str, dict] | None = None,
    ):
        self.dims, self.shape, self.coords, self.attrs = dims, shape, coords, attrs
        self.variables, self.variable_attrs = tuple(variables), variable_attrs
        self.arrays = {
            name: np.full(shape, _fill(name), dtype=variable_dtype(name))
            for name in (*self.variables, "done")
        }

    def done_mask(self) -> np.ndarray:
        """Flat boolean mask of the points already computed."""
        return self.arrays["done"].reshape(-1).copy()

    def write(self, flat: np.ndarray, outputs: Mapping[str, np.ndarray]) -> None:
        """Store the results of the points ``flat``."""
        for name in self.variables:
            self.arrays[name].reshape(-1)[flat] = outputs[name]
        self.arrays["done"].reshape(-1)[flat] = True

    def dataset(self) -> xr.Dataset:
        return _result_dataset(
            self.arrays, self.dims, self.coords, self.attrs, self.variables, self.variable_attrs
        )


def store_exists(path: str | os.PathLike) -> bool:
    """Whether ``path`` already holds something (a Zarr store or anything else); an empty
    directory holds nothing (a new store is created in it)."""
    path = Path(path)
    return path.exists() and not (path.is_dir() and not any(path.iterdir()))


#: Zarr's warning that consolidated metadata is not (yet) part of the format 3 specification.
_CONSOLIDATED_V3_WARNING = "Consolidated metadata is currently not part"


def consolidate(path: str | os.PathLike) -> None:
    """Consolidate the metadata of the store at ``path`` (``xarray.open_zarr`` then opens it with
    one read and without its "non-consolidated metadata" warning)."""
    import zarr

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_CONSOLIDATED_V3_WARNING)
        zarr.consolidate_metadata(os.fspath(path))


class ZarrResults:
    """Results written block by block into the Zarr store at ``path``.

    A new store is created with the full shape and metadata only: Zarr's ``fill_value`` of each
    array is the not-computed state (NaN, ``status`` = :data:`STATUS_NOT_COMPUTED`, step counts
    -1, ``done`` false), so unwritten storage chunks read as not computed. An existing store is
    reopened only with ``resume=True`` and only if its ``fingerprint`` attribute matches this scan
    (the same base model, points and solver settings).
    """

    def __init__(
        self,
        path: str | os.PathLike,
        dims: tuple[str, ...],
        shape: tuple[int, ...],
        coords: Mapping,
        attrs: Mapping,
        block_shape: tuple[int, ...],
        resume: bool,
        variables: tuple[str, ...] = RESULT_VARIABLES,
        variable_attrs: Mapping[str, dict] | None = None,
    ):
        import zarr

        self.path = os.fspath(path)
        self.dims = dims
        self.variables, self.variable_attrs = tuple(variables), variable_attrs
        if store_exists(self.path):
            block_shape = self._check_resumable(attrs["fingerprint"], resume, shape)
        else:
            self._create(dims, shape, coords, attrs, block_shape)
        self.layout = BlockLayout(tuple(shape), tuple(block_shape))
        group = zarr.open_group(self.path, mode="r+")
        self._arrays = {name: group[name] for name in (*self.variables, "done")}
        # the order of a block's writes: a point's status stays "not computed" until its results
        # are on disk, and its done flag false until its status is
        results = tuple(name for name in self.variables if name != "status")
        self._write_order: tuple[tuple[str, ...], ...] = (results, ("status",), ("done",))
        self._buffers: dict[int, dict[str, np.ndarray]] = {}
        self._remaining: dict[int, int] = {}

    def _check_resumable(self, fingerprint: str, resume: bool, shape) -> tuple[int, ...]:
        if not resume:
            raise FileExistsError(
                f"{self.path} already exists; pass resume=True (--resume) to continue that "
                "scan, or choose another output"
            )
        # temporary files of a write that was killed (Zarr writes a chunk to "<key>.<id>.partial"
        # and renames it into place): the chunk itself is intact, the leftover is noise
        for leftover in Path(self.path).rglob("*.partial"):
            leftover.unlink(missing_ok=True)
        try:
            stored = xr.open_zarr(self.path, consolidated=False)
        except Exception as err:  # any failure means "not a scan store"
            raise ValueError(f"{self.path} exists but is not a readable Zarr store: {err}") from err
        missing = [name for name in (*self.variables, "done") if name not in stored]
        if missing:
            raise ValueError(
                f"{self.path} is incomplete (no {missing[0]!r}; interrupted while being "
                "created?); remove it and start again"
            )
        if stored.attrs.get("fingerprint") != fingerprint:
            raise ValueError(
                f"{self.path} holds a different scan (other base model, points or solver "
                "settings); resume only with the same scan, or choose another output"
            )
        if stored["status"].shape != tuple(shape):
            raise ValueError(f"{self.path}: stored shape {stored['status'].shape} != {shape}")
        return tuple(stored["status"].encoding["chunks"])

    def _create(self, dims, shape, coords, attrs, block_shape) -> None:
        """Write the metadata (and the coordinates) only: no result chunk is written."""
        import dask
        import dask.array as da

        names = (*self.variables, "done")
        arrays = {
            name: da.full(shape, _fill(name), dtype=variable_dtype(name), chunks=block_shape)
            for name in names
        }
        template = _result_dataset(arrays, dims, coords, attrs, self.variables, self.variable_attrs)
        encoding = {name: {"chunks": block_shape, "fill_value": _fill(name)} for name in names}
        folder = Path(self.path)
        existed = folder.is_dir()  # an empty directory given as the store
        try:
            # local threads even when a distributed Client is the default scheduler: the store
            # may live on a disk the workers cannot see
            with dask.config.set(scheduler="threads"):
                template.to_zarr(
                    self.path,
                    mode="w-",
                    encoding=encoding,
                    compute=False,
                    consolidated=False,
                    zarr_format=3,
                )
            consolidate(self.path)
        except FileExistsError:
            raise
        except BaseException:  # interrupted or failed while creating: leave nothing behind
            for leftover in folder.iterdir() if existed else (folder,):
                if leftover.is_dir():
                    shutil.rmtree(leftover, ignore_errors=True)
                else:
                    leftover.unlink(missing_ok=True)
            raise

    def done_mask(self) -> np.ndarray:
        """Flat boolean mask of the points already on disk."""
        return np.asarray(self._arrays["done"][...], dtype=bool).reshape(-1)

    def _buffer(self, block: int) -> dict[str, np.ndarray]:
        if block not in self._buffers:
            region = self.layout.region(block)
            buffer = {name: np.array(array[region]) for name, array in self._arrays.items()}
            self._buffers[block] = buffer
            self._remaining[block] = int(np.count_nonzero(~buffer["done"]))
        return self._buffers[block]

    def _write_block(
        self, names: tuple[str, ...], region: tuple[slice, ...], buffer: Mapping[str, np.ndarray]
    ) -> None:
        """Write the arrays ``names`` of one block (each storage chunk replaced atomically)."""
        for name in names:
            self._arrays[name][region] = buffer[name]

    def write(self, flat: np.ndarray, outputs: Mapping[str, np.ndarray]) -> None:
        """Write the results of the points ``flat``: results, then ``status``, then ``done``."""
        blocks = self.layout.block_of(flat)
        for block in np.unique(blocks):
            mine = blocks == block
            buffer = self._buffer(int(block))
            local = self.layout.local_index(flat[mine], int(block))
            for name in self.variables:
                buffer[name][local] = outputs[name][mine]
            buffer["done"][local] = True
            region = self.layout.region(int(block))
            for names in self._write_order:
                self._write_block(names, region, buffer)
            self._remaining[int(block)] -= int(np.count_nonzero(mine))
            if self._remaining[int(block)] <= 0:
                del self._buffers[int(block)], self._remaining[int(block)]

    def dataset(self) -> xr.Dataset:
        """The store, its metadata consolidated, opened lazily (Dask-backed; ``.load()`` it)."""
        consolidate(self.path)  # a store written by an older jaxcogen may lack it
        return xr.open_zarr(self.path, consolidated=True)


# ---- the size of a scan, checked before anything is allocated or written ------------------------------

#: Share of the available memory a scan may plan to fill with its results and bookkeeping.
MEMORY_FRACTION = 0.8

#: Bytes a point costs in memory beyond its results: the ``done`` mask and its complement.
_BOOKKEEPING_BYTES = 2


def bytes_per_point(variables: tuple[str, ...] = RESULT_VARIABLES) -> int:
    """Bytes of one point's results (``variables`` and ``done``), uncompressed."""
    return sum(np.dtype(variable_dtype(name)).itemsize for name in (*variables, "done"))


def available_memory() -> int | None:
    """Bytes of memory available to new allocations (None: unknown)."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except ImportError:
        try:
            return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (AttributeError, ValueError, OSError):
            return None


def free_disk(path: str | os.PathLike) -> tuple[int, Path]:
    """Free bytes on the disk that would hold ``path``, and the existing folder measured."""
    folder = Path(path).absolute()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return shutil.disk_usage(folder).free, folder


def _gb(n_bytes: float) -> str:
    return f"{n_bytes / 1e9:.3g} GB"


def describe_points(kind: str, shape: tuple[int, ...]) -> str:
    """``"grid of 100000 × 100000 = 10000000000 points"`` or ``"sample of 64 points"``."""
    n_points = math.prod(shape)
    if kind == "grid" and len(shape) > 1:
        return f"grid of {' × '.join(map(str, shape))} = {n_points} points"
    return f"{kind if kind == 'grid' else 'sample'} of {n_points} points"


def check_scan_size(
    kind: str,
    shape: tuple[int, ...],
    variables: tuple[str, ...],
    out: str | os.PathLike | None,
) -> None:
    """Refuse (``ValueError`` naming the size and the limit) a scan that cannot fit.

    In memory (``out=None``) the results take :func:`bytes_per_point` bytes a point plus
    ``_BOOKKEEPING_BYTES``; they must fit in :data:`MEMORY_FRACTION` of the available memory.
    With a Zarr store only the bookkeeping is in memory (``done`` mask: 3 bytes a point), and a
    new store must fit, uncompressed, on the free space of its disk (an existing store, resumed,
    is not checked against the disk).
    """
    n_points = math.prod(shape)
    what = describe_points(kind, shape)
    per_point = bytes_per_point(variables)
    memory = available_memory()
    if out is None:
        need, role = n_points * (per_point + _BOOKKEEPING_BYTES), "results need"
        advice = "write to a Zarr store (out=...) or scan fewer points"
    else:
        need, role = n_points * (1 + _BOOKKEEPING_BYTES), "per-point bookkeeping needs"
        advice = "split it into smaller scans"
    if memory is not None and need > MEMORY_FRACTION * memory:
        raise ValueError(
            f"{what} is too large: its {role} {_gb(need)} of memory "
            f"({need // n_points} bytes a point), more than the limit of "
            f"{_gb(MEMORY_FRACTION * memory)} ({MEMORY_FRACTION:.0%} of the {_gb(memory)} "
            f"available); {advice}"
        )
    if out is not None and not store_exists(out):
        need = n_points * per_point
        free, folder = free_disk(out)
        if need > free:
            raise ValueError(
                f"{what} is too large: its store needs up to {_gb(need)} of disk "
                f"({per_point} bytes a point), more than the limit of {_gb(free)} free at "
                f"{folder}; choose another output or scan fewer points"
            )
