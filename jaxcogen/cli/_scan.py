r"""Command-line scans: ``jaxcogen scan SCAN.toml --out results.zarr`` and ``jaxcogen plot``.

A scan file is a parameter card (:mod:`jaxcogen.model._cards`) plus the points to scan::

    [model]                      # optional: a built-in point ("default") plus these entries
    point = "default"
    M1 = 1e12                    # GeV
    y2 = {abs = 0.05, arg = 1.0} # complex couplings: a number, {abs, arg} or {re, im}

    [conventions]                # optional, as in a card
    spectators = "none"

    [solve]                      # optional, as in a card: options of jaxcogen.solve
    max_steps = 8192             # late_universe = false: production only (--production-only)

    [grid]                       # outer product; or a [samples] table instead
    M1 = {start = 1e11, stop = 1e13, num = 16, log = true}
    T_RH = [1e10, 2e10, 5e10]
    "y2.abs" = {start = 0.01, stop = 1.0, num = 8, log = true}

    # [samples]
    # method = "sobol"           # or "lhs"
    # n = 256
    # seed = 1
    # bounds = {M1 = [1e11, 1e13], "y2.abs" = [0.01, 1.0]}
    # log = ["M1", "y2.abs"]

    [scan]                       # optional
    chunk_size = 256
    bucket = true

A bad file stops with exit code 2 and a one-line message, before any solve.
:func:`register` adds both commands to a Typer app; ``python -m jaxcogen.cli._scan`` runs them
standalone.
"""

import contextlib
import dataclasses
import json
import math
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from jaxcogen import constants
from jaxcogen.cli import _interrupt as interrupt
from jaxcogen.cli._paths import check_output_file, check_output_store, image_formats
from jaxcogen.model import _cards as cards
from jaxcogen.model._cogenesis import CogenesisModel
from jaxcogen.model._parameters import COMPLEX_FIELDS, COMPLEX_PARTS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: The tables of a scan file: those of a parameter card plus the scan's own.
SCAN_TABLES: tuple[str, ...] = ("model", "conventions", "solve", "grid", "samples", "scan")

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


# ---- scan files ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ScanFile:
    """A parsed scan file: base model, points and options (arguments of :func:`jaxcogen.scan`)."""

    model: CogenesisModel
    grid: dict[str, np.ndarray] | None
    samples: dict[str, np.ndarray] | None
    chunk_size: int | None
    bucket: bool
    solve_options: dict[str, Any]


def _number(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{where}: expected a number, got {value!r}")
    return float(value)


def _unknown(where: str, keys, allowed) -> None:
    extra = sorted(set(keys) - set(allowed))
    if extra:
        raise ValueError(f"{where}: unknown key {extra[0]!r}; allowed: {', '.join(allowed)}")


def base_card(document: Mapping[str, Any]) -> cards.Card:
    """The base point of a scan file: a built-in point (``[model] point = "default"``) with the
    ``[model]``, ``[conventions]`` and ``[solve]`` entries of the file applied.

    The tables are those of a parameter card (:mod:`jaxcogen.model._cards`), except that ``[model]``
    may list only the fields that differ from the built-in point.
    """
    model_table = dict(document.get("model", {}))
    point = model_table.pop("point", "default")
    if not isinstance(point, str):
        raise ValueError(f"[model] point={point!r}: expected the name of a built-in point")
    merged: dict[str, Any] = {
        "model": {**cards.card_to_document(cards.default_card(point))["model"], **model_table}
    }
    for name in ("conventions", "solve"):
        if name in document:
            merged[name] = document[name]
    return cards.card_from_document(merged)


def _flatten_parts(table: Mapping[str, Any], is_leaf) -> dict[str, Any]:
    """Accept ``y2.abs = ...`` (a TOML dotted key, i.e. a nested table) as ``"y2.abs" = ...``."""
    flat: dict[str, Any] = {}
    for name, value in table.items():
        nested = (
            name in COMPLEX_FIELDS
            and isinstance(value, Mapping)
            and value
            and set(value) <= set(COMPLEX_PARTS)
            and not is_leaf(value)
        )
        if nested:
            flat.update({f"{name}.{part}": v for part, v in value.items()})
        else:
            flat[name] = value
    return flat


def _is_range(value: Any) -> bool:
    return isinstance(value, Mapping) and {"start", "stop", "num"} <= set(value)


def grid_from_table(table: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """``[grid]``: each entry an explicit list or ``{start, stop, num, log}``."""
    grid = {}
    for name, entry in _flatten_parts(table, _is_range).items():
        where = f"[grid] {name}"
        if isinstance(entry, list):
            grid[name] = np.array([_number(where, v) for v in entry], dtype=np.float64)
            continue
        if not isinstance(entry, Mapping):
            raise ValueError(f"{where}: expected a list or {{start=, stop=, num=, log=}}")
        _unknown(where, entry, ("start", "stop", "num", "log"))
        for key in ("start", "stop", "num"):
            if key not in entry:
                raise ValueError(f"{where}: missing {key}=")
        start, stop = (
            _number(f"{where}.start", entry["start"]),
            _number(f"{where}.stop", entry["stop"]),
        )
        num, log = entry["num"], entry.get("log", False)
        if isinstance(num, bool) or not isinstance(num, int) or num < 1:
            raise ValueError(f"{where}: num must be a positive integer, got {num!r}")
        if not isinstance(log, bool):
            raise ValueError(f"{where}: log must be true or false, got {log!r}")
        if log and not (start > 0 and stop > 0):
            raise ValueError(f"{where}: log = true needs start > 0 and stop > 0")
        grid[name] = np.geomspace(start, stop, num) if log else np.linspace(start, stop, num)
    return grid


def samples_from_table(table: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """``[samples]``: ``method``, ``n``, ``seed``, ``bounds = {NAME = [lo, hi]}``, ``log = [...]``."""
    # imported here: scipy.stats costs seconds at start-up of every jaxcogen command
    from jaxcogen.scanning._sampling import SAMPLING_METHODS, sample_parameters

    _unknown("[samples]", table, ("method", "n", "seed", "bounds", "log"))
    method = table.get("method")
    if method not in SAMPLING_METHODS:
        raise ValueError(f"[samples] method={method!r}: allowed values are {SAMPLING_METHODS}")
    if "n" not in table:
        raise ValueError("[samples]: missing n= (number of points)")
    bounds = table.get("bounds")
    if not isinstance(bounds, Mapping) or not bounds:
        raise ValueError("[samples] bounds: expected a table {NAME = [low, high]}")
    bounds = _flatten_parts(bounds, lambda v: False)
    for name, pair in bounds.items():
        if not (isinstance(pair, list) and len(pair) == 2):
            raise ValueError(f"[samples] bounds.{name}: expected [low, high], got {pair!r}")
    log = table.get("log", [])
    if not (isinstance(log, list) and all(isinstance(v, str) for v in log)):
        raise ValueError(f"[samples] log: expected a list of parameter names, got {log!r}")
    return sample_parameters(method, bounds, table["n"], seed=table.get("seed", 0), log=log)


def load_scan_file(path: str | Path) -> ScanFile:
    """Parse and check a scan file; ``ValueError`` (or ``OSError``) with a one-line message."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"not valid TOML: {err}") from err
    _unknown("scan file", document, SCAN_TABLES)
    tables = {}
    for name in SCAN_TABLES:
        value = document.get(name, {})
        if not isinstance(value, Mapping):
            raise ValueError(f"[{name}]: expected a table")
        tables[name] = value
    if ("grid" in document) == ("samples" in document):
        raise ValueError("give exactly one of a [grid] or a [samples] table")
    _unknown("[scan]", tables["scan"], ("chunk_size", "bucket"))
    chunk_size = tables["scan"].get("chunk_size")
    if chunk_size is not None and (isinstance(chunk_size, bool) or not isinstance(chunk_size, int)):
        raise ValueError(f"[scan] chunk_size={chunk_size!r}: must be a positive integer")
    bucket = tables["scan"].get("bucket", True)
    if not isinstance(bucket, bool):
        raise ValueError(f"[scan] bucket={bucket!r}: must be true or false")
    card = base_card(document)
    return ScanFile(
        model=cards.card_to_model(card),
        grid=grid_from_table(tables["grid"]) if "grid" in document else None,
        samples=samples_from_table(tables["samples"]) if "samples" in document else None,
        chunk_size=chunk_size,
        bucket=bucket,
        solve_options=dict(card.solve_options),
    )


# ---- commands --------------------------------------------------------------------------------------


def _fail(err: BaseException, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    message = " ".join(str(err).split()) or type(err).__name__
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _local_workers(cluster: str) -> int:
    kind, _, count = cluster.partition(":")
    if kind != "local" or not count.isdigit() or int(count) < 1:
        raise ValueError(f"--cluster {cluster!r}: expected local:N with N >= 1 workers")
    return int(count)


def _distributed_available() -> bool:
    """Whether the optional ``distributed`` package (extra ``jaxcogen[distributed]``) is installed."""
    import importlib.util

    return importlib.util.find_spec("distributed") is not None


@contextlib.contextmanager
def _dask_client(address: str | None, n_local: int | None):
    """A Dask client for ``--dask-scheduler`` or ``--cluster local:N`` (process workers), or None."""
    if address is None and n_local is None:
        yield None
        return
    from distributed import Client, LocalCluster

    if address is not None:
        with Client(address, timeout="30s") as client:
            yield client
        return
    # spawned process workers with one thread each; no GPU memory preallocation per worker;
    # the persistent compilation cache of this process (the jaxcogen CLI turns it on) shared
    import jax

    env = {"XLA_PYTHON_CLIENT_PREALLOCATE": "false"}
    if jax.config.jax_compilation_cache_dir:
        env["JAX_COMPILATION_CACHE_DIR"] = str(jax.config.jax_compilation_cache_dir)
        env["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0"
    with (
        LocalCluster(n_workers=n_local, threads_per_worker=1, processes=True, env=env) as cluster,
        Client(cluster) as client,
    ):
        yield client


def scan_command(
    scan_file: Annotated[
        Path,
        typer.Argument(
            help="scan file (TOML): a card ([model], [conventions], [solve]) plus [grid] or [samples], [scan]"
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Zarr store for the results")],
    chunk_size: Annotated[
        int | None, typer.Option("--chunk-size", help="points per compiled call")
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="continue the interrupted scan in --out")
    ] = False,
    dask_scheduler: Annotated[
        str | None,
        typer.Option("--dask-scheduler", metavar="ADDRESS", help="run chunks on this Dask cluster"),
    ] = None,
    cluster: Annotated[
        str | None,
        typer.Option(
            "--cluster", metavar="local:N", help="start a local Dask cluster of N processes"
        ),
    ] = None,
    bucket: Annotated[
        bool, typer.Option("--bucket/--no-bucket", help="sort points by stiffness before chunking")
    ] = True,
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
    threads: Annotated[
        int | None,
        typer.Option(
            "--threads", help="chunks solved at once without Dask (default: one per CPU core)"
        ),
    ] = None,
    production_only: Annotated[
        bool,
        typer.Option(
            "--production-only",
            help="Stop after UV production (skip the late-universe stage: no Omega_chi_h2 today, "
            "asymmetric_fraction, Delta_N_eff), unless the file's [solve] late_universe says "
            "otherwise.",
        ),
    ] = False,
) -> None:
    """Scan a parameter grid or sample, writing results chunk by chunk into a Zarr store.

    Every point runs the full chain by default (production, then the late universe: today's
    Omega_chi_h2, asymmetric_fraction, Delta_N_eff, N_eff_ok); ``--production-only`` (or
    ``[solve] late_universe = false``) stops after production.
    """
    from jaxcogen.scanning._scan import scan, scan_points, scan_settings, scan_summary

    try:
        try:
            spec = load_scan_file(scan_file)
        except ValueError as err:
            raise ValueError(f"{scan_file}: {err}") from err
        if dask_scheduler is not None and cluster is not None:
            raise ValueError("give at most one of --dask-scheduler and --cluster")
        n_local = _local_workers(cluster) if cluster is not None else None
        if (dask_scheduler is not None or cluster is not None) and not _distributed_available():
            option = "--dask-scheduler" if dask_scheduler is not None else "--cluster"
            raise ValueError(
                f"{option} needs Dask's distributed scheduler, which is not installed: "
                'pip install "jaxcogen[distributed]"'
            )
        if "late_universe" not in spec.solve_options:
            spec = dataclasses.replace(
                spec, solve_options={**spec.solve_options, "late_universe": not production_only}
            )
        scan_points(spec.grid, spec.samples)
        scan_settings(spec.solve_options)
        if chunk_size is not None and chunk_size < 1:
            raise ValueError(f"--chunk-size {chunk_size}: must be a positive integer")
        if threads is not None and threads < 1:
            raise ValueError(f"--threads {threads}: must be a positive integer")
        check_output_store(out, "--out")
    except (ValueError, OSError) as err:
        raise _fail(err) from None
    interrupt.set_message(f"interrupted; finished chunks are in {out}; rerun with --resume")
    try:
        with _dask_client(dask_scheduler, n_local) as client:
            ds = scan(
                spec.model,
                spec.grid,
                samples=spec.samples,
                chunk_size=chunk_size if chunk_size is not None else spec.chunk_size,
                out=out,
                resume=resume,
                progress=progress,
                solve_options=spec.solve_options,
                dask_client=client,
                bucket=spec.bucket and bucket,
                threads=threads,
            )
    except (ValueError, FileExistsError) as err:
        raise _fail(err) from None
    except KeyboardInterrupt:
        interrupt.report()
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except OSError as err:  # e.g. no Dask scheduler at the address
        raise _fail(err, code=1) from None
    typer.echo(str(scan_summary(ds)))
    typer.echo(f"results: {out}")


def plot_command(
    store: Annotated[Path, typer.Argument(help="Zarr store written by 'jaxcogen scan'")],
    x: Annotated[str, typer.Option("--x", help="parameter on the horizontal axis")],
    y: Annotated[str, typer.Option("--y", help="parameter on the vertical axis")],
    color: Annotated[str, typer.Option("--color", help="variable shown in colour")] = "DeltaY_B",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="image file")] = None,
    select: Annotated[
        list[str] | None,
        typer.Option("--sel", metavar="NAME=VALUE", help="value of another grid dimension"),
    ] = None,
) -> None:
    """Heatmap of a scan with the observed ΔY_B and Ω_χh² contours and failed points marked."""
    import xarray as xr

    target = out if out is not None else store.with_name(f"{store.stem}_{color}.png")
    try:
        if not store.exists():
            raise ValueError(f"{store}: no such store")
        check_output_file(target, "--out", image_formats())
        ds = xr.open_zarr(store, consolidated=False)
        chosen = {}
        for item in select or []:
            name, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"--sel {item!r}: expected NAME=VALUE")
            chosen[name] = float(value)
        figure = plot_scan(ds, x=x, y=y, color=color, select=chosen)
    except (ValueError, OSError, KeyError) as err:
        raise _fail(err) from None
    figure.savefig(target, dpi=150)
    typer.echo(f"plot: {target}")


def register(app: typer.Typer) -> None:
    """Add the ``scan`` and ``plot`` commands to ``app``."""
    app.command("scan")(scan_command)
    app.command("plot")(plot_command)


# ---- plots -----------------------------------------------------------------------------------------


def _edges(centres: np.ndarray, log: bool) -> np.ndarray:
    """Cell edges around sorted centres (geometric midpoints on a log axis)."""
    t = np.log(centres) if log else np.asarray(centres, dtype=float)
    if t.size == 1:
        half = 0.5 if not log else math.log(1.5)
        edges = np.array([t[0] - half, t[0] + half])
    else:
        mid = 0.5 * (t[1:] + t[:-1])
        edges = np.concatenate([[2 * t[0] - mid[0]], mid, [2 * t[-1] - mid[-1]]])
    return np.exp(edges) if log else edges


def _is_log(ds, name: str) -> bool:
    values = np.asarray(ds[name].values)
    scale = ds[name].attrs.get("scale")
    if scale is not None:
        return scale == "log"
    return bool(np.all(values > 0) and values.max() / values.min() >= 100)


def _colour_norm(values: np.ndarray):
    from matplotlib import colors

    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return colors.Normalize(), "viridis"
    low, high = finite.min(), finite.max()
    if low < 0 < high or (high <= 0 and low < 0 and low / min(high, -1e-300) > 100):
        top = np.abs(finite).max()
        nonzero = np.abs(finite[finite != 0])
        linthresh = max(nonzero.min() if nonzero.size else top, top * 1e-4)
        return colors.SymLogNorm(linthresh=linthresh, vmin=-top, vmax=top), "RdBu_r"
    if low > 0 and high / low >= 100:
        return colors.LogNorm(vmin=low, vmax=high), "viridis"
    return colors.Normalize(vmin=low, vmax=high), "viridis"


_CONTOURS = (
    ("DeltaY_B", constants.DeltaY_B_observed, "-", r"$\Delta Y_B=8.7\times10^{-11}$"),
    ("Omega_chi_h2", constants.Omega_c_h2_observed, "--", r"$\Omega_\chi h^2=0.12$"),
)


def plot_scan(
    ds,
    *,
    x: str,
    y: str,
    color: str = "DeltaY_B",
    select: Mapping[str, float] | None = None,
):
    """A matplotlib Figure of a scan: ``color`` over the (``x``, ``y``) plane.

    Grid scans are drawn as a heatmap (other grid dimensions fixed by ``select``, nearest value,
    else their first value); sample scans as coloured points. Logarithmic parameters get log
    axes. Black contours mark the observed :math:`\\Delta Y_B` (solid) and
    :math:`\\Omega_\\chi h^2` (dashed); failed points are crossed, points not computed dotted.
    """
    from matplotlib import colors
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    for name in (x, y):
        if name not in ds.coords or name == "point":
            params = ds.attrs.get("scan_parameters", [])
            raise ValueError(f"{name!r} is not a scanned parameter of this store: {params}")
    if color not in ds.data_vars:
        raise ValueError(f"--color {color!r}: not a variable of this store: {sorted(ds.data_vars)}")
    figure = Figure(figsize=(6.4, 4.8), layout="constrained")
    ax = figure.add_subplot()
    log_x, log_y = _is_log(ds, x), _is_log(ds, y)
    notes = []
    if "point" in ds.dims:
        sub = ds.load()
        xs, ys = np.asarray(sub[x].values), np.asarray(sub[y].values)
        z = np.asarray(sub[color].values)
        norm, cmap = _colour_norm(z)
        image = ax.scatter(xs, ys, c=z, norm=norm, cmap=cmap, s=18)
    else:
        sub = ds
        for dim in ds[color].dims:
            if dim in (x, y):
                continue
            if select and dim in select:
                sub = sub.sel({dim: select[dim]}, method="nearest")
            else:
                sub = sub.isel({dim: 0})
            notes.append(f"{dim}={float(sub[dim]):.3g}")
        sub = sub.sortby(x).sortby(y).load()
        xs1, ys1 = np.asarray(sub[x].values), np.asarray(sub[y].values)
        z = np.asarray(sub[color].transpose(y, x).values)
        norm, cmap = _colour_norm(z)
        image = ax.pcolormesh(
            _edges(xs1, log_x), _edges(ys1, log_y), np.ma.masked_invalid(z), norm=norm, cmap=cmap
        )
        mesh_x, mesh_y = np.meshgrid(xs1, ys1)
        xs, ys = mesh_x.ravel(), mesh_y.ravel()
    units = ds[color].attrs.get("units", "")
    bar = figure.colorbar(
        image, ax=ax, label=color + (f" [{units}]" if units not in ("", "1") else "")
    )
    if isinstance(norm, colors.SymLogNorm):
        bar.set_ticks(_symlog_ticks(norm.linthresh, norm.vmax))
    handles = []
    for var, level, style, label in _CONTOURS:
        if var == "Omega_chi_h2" and _production_only(ds):
            # a production-only scan (the opt-out) has no relic today: the asymmetric relic
            # stands in, named so; a full-chain scan always draws today's relic
            var, label = "Omega_chi_h2_asymmetric", label + " (asymmetric relic; production only)"
        field = np.asarray(
            sub[var].values if "point" in ds.dims else sub[var].transpose(y, x).values
        )
        finite = field[np.isfinite(field)]
        if finite.size < 3 or not finite.min() < level < finite.max():
            notes.append(f"{var}={level:g} not crossed")
            continue
        if "point" in ds.dims:
            _tricontour(ax, xs, ys, field, level, style, log_x, log_y)
        else:
            ax.contour(
                xs1, ys1, np.ma.masked_invalid(field), levels=[level], colors="k", linestyles=style
            )
        handles.append(Line2D([], [], color="k", linestyle=style, label=label))
    status = np.asarray(
        sub["status"].values if "point" in ds.dims else sub["status"].transpose(y, x).values
    ).ravel()
    failed, missing = (status != 0) & (status >= 0), status < 0
    if failed.any():
        ax.scatter(xs[failed], ys[failed], marker="x", color="k", s=30, linewidths=1)
        handles.append(
            Line2D([], [], marker="x", color="k", linestyle="", label=f"failed ({failed.sum()})")
        )
    if missing.any():
        ax.scatter(xs[missing], ys[missing], marker=".", color="0.5", s=10)
        handles.append(
            Line2D(
                [],
                [],
                marker=".",
                color="0.5",
                linestyle="",
                label=f"not computed ({missing.sum()})",
            )
        )
    if log_x:
        ax.set_xscale("log")
        _log_ticks(ax.xaxis, xs)
    if log_y:
        ax.set_yscale("log")
        _log_ticks(ax.yaxis, ys)
    ax.set_xlabel(_axis_label(ds, x))
    ax.set_ylabel(_axis_label(ds, y))
    if handles:
        ax.legend(handles=handles, loc="best", fontsize="small")
    if notes:
        ax.set_title("; ".join(notes), fontsize="small")
    return figure


def _production_only(ds) -> bool:
    """Whether the scan stopped after production (``late_universe = false``, the opt-out): its
    dataset has no relic today. Read off the recorded solver settings; a store without them
    (or without the variable) counts as production-only when ``Omega_chi_h2`` is missing."""
    if "Omega_chi_h2" not in ds.data_vars:
        return True
    try:
        settings = json.loads(ds.attrs.get("solve_settings", "{}"))
    except (TypeError, ValueError):
        settings = {}
    return settings.get("late_universe") is False


def _log_ticks(axis, values: np.ndarray) -> None:
    """Decade ticks on a log axis; 1-2-5 ticks when it spans less than two decades."""
    from matplotlib import ticker

    finite = values[np.isfinite(values) & (values > 0)]
    narrow = finite.size and finite.max() / finite.min() < 100
    axis.set_major_locator(ticker.LogLocator(subs=(1.0, 2.0, 5.0) if narrow else (1.0,)))
    axis.set_major_formatter(ticker.LogFormatterSciNotation(labelOnlyBase=False))
    axis.set_minor_formatter(ticker.NullFormatter())


def _symlog_ticks(linthresh: float, top: float) -> list[float]:
    """Colour-bar ticks of a symmetric-log scale: 0 and about three decades each side."""
    low, high = math.ceil(math.log10(linthresh)) + 1, math.floor(math.log10(top))
    if high < low:
        return [-top, 0.0, top]
    step = max(1, math.ceil((high - low + 1) / 3))
    decades = [10.0**k for k in range(high, low - 1, -step)]
    return [-d for d in decades] + [0.0] + decades[::-1]


def _axis_label(ds, name: str) -> str:
    units = ds[name].attrs.get("units", "")
    return name + (f" [{units}]" if units not in ("", "1") else "")


def _tricontour(ax, xs, ys, field, level, style, log_x, log_y) -> None:
    """Contour of scattered samples, triangulated in the plotted (log or linear) coordinates."""
    from matplotlib.tri import Triangulation

    ok = np.isfinite(field)
    tx = np.log10(xs[ok]) if log_x else xs[ok]
    ty = np.log10(ys[ok]) if log_y else ys[ok]
    triangles = Triangulation(tx, ty).triangles
    ax.tricontour(
        Triangulation(xs[ok], ys[ok], triangles),
        field[ok],
        levels=[level],
        colors="k",
        linestyles=style,
    )


def main() -> None:
    """``python -m jaxcogen.cli._scan {scan,plot} ...`` (the same commands as ``jaxcogen``)."""
    app = typer.Typer(
        add_completion=False, pretty_exceptions_enable=False, help=__doc__.split("\n")[0]
    )
    register(app)
    interrupt.run_guarded(app)


if __name__ == "__main__":
    main()
