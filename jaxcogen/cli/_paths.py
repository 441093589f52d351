r"""One rule for every output path of the ``jaxcogen`` commands, checked before any work.

``solve --plot``, ``scan --out``, ``plot --out`` and ``fit --out``: the parent directory must
already exist (nothing is created on the way) and accept a new file; an existing directory is
refused as a file output, and an existing file or non-empty directory that is not a Zarr store
is refused as a scan store. Each failure is a ``ValueError`` with a one-line reason (the
commands turn it into ``error: ...`` and exit code 2).
"""

import os
import tempfile
from pathlib import Path

_STORE_MARKERS = ("zarr.json", ".zgroup", ".zattrs", ".zarray")


def is_zarr_store(path: Path) -> bool:
    """A directory holding Zarr (v2 or v3) metadata."""
    return path.is_dir() and any((path / marker).exists() for marker in _STORE_MARKERS)


def _check_parent(path: Path, option: str) -> None:
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        if parent.exists():
            raise ValueError(f"{option} {path}: {str(parent)!r} is not a directory")
        raise ValueError(f"{option} {path}: directory {str(parent)!r} does not exist")
    try:  # os.access says yes to root on /proc and read-only mounts: try it
        handle, probe = tempfile.mkstemp(dir=parent, prefix=".jaxcogen-write-test-")
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise ValueError(
            f"{option} {path}: cannot write in directory {str(parent)!r} ({reason})"
        ) from None
    os.close(handle)
    os.unlink(probe)


def check_output_file(path: Path, option: str, formats: tuple[str, ...] | None = None) -> None:
    """An output file (image, card): writable parent, not a directory, a known suffix if asked."""
    if formats is not None:
        suffix = path.suffix.lower().lstrip(".")
        if suffix not in formats:
            raise ValueError(
                f"{option} {path}: unknown file format {path.suffix or '(no suffix)'!r}; "
                f"use one of {', '.join('.' + f for f in sorted(formats))}"
            )
    if path.is_dir():
        raise ValueError(f"{option} {path}: is a directory")
    _check_parent(path, option)


def check_output_store(path: Path, option: str = "--out") -> None:
    """A Zarr store to create or continue: writable parent; an existing path must be a store
    (or an empty directory)."""
    if path.exists():
        if path.is_dir():
            if not is_zarr_store(path) and any(path.iterdir()):
                raise ValueError(
                    f"{option} {path}: exists and is not a Zarr store (a non-empty directory); "
                    "choose another output"
                )
        else:
            raise ValueError(
                f"{option} {path}: exists and is not a Zarr store (a file); choose another output"
            )
    _check_parent(path, option)


def image_formats() -> tuple[str, ...]:
    """The file suffixes matplotlib can write."""
    from matplotlib.backend_bases import FigureCanvasBase

    return tuple(FigureCanvasBase.get_supported_filetypes())
