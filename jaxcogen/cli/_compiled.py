r"""Compiled solvers kept on disk between ``jaxcogen`` runs.

JAX's persistent compilation cache (:func:`jaxcogen.cli._main.enable_compilation_cache`) skips
XLA's compilation on a second run, but not the tracing and lowering of the solver (~10 s of
Python for the full chain), which it needs to compute its cache key. :func:`run_compiled` keeps
the *executable* instead (``jax.experimental.serialize_executable``), keyed on everything that
shapes it — the jaxcogen sources, the versions of JAX and its solver libraries, the device, the
static settings and the shapes of the inputs — so a repeated ``jaxcogen solve`` neither traces
nor compiles. Anything unexpected (an unwritable cache, a stale or corrupt file, a JAX without
the API) falls back to compiling as usual: the cache can cost time, never a result.
"""

import hashlib
import io
import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import Executor
from importlib import metadata
from pathlib import Path
from typing import Any

import equinox as eqx
import jax

import jaxcogen

#: Bump to invalidate every stored executable (a change in how they are written).
_FORMAT = "1"
_LIBRARIES = ("jax", "jaxlib", "equinox", "diffrax", "optimistix", "lineax", "jaxtyping")

COMPILING_MESSAGE = "compiling the solver (first run only)…"


def executable_cache_dir() -> Path | None:
    """``$XDG_CACHE_HOME/jaxcogen/executables`` (default ``~/.cache/...``), or None if unwritable."""
    try:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        path = base / "jaxcogen" / "executables"
        path.mkdir(parents=True, exist_ok=True)
    except (OSError, RuntimeError):
        return None
    return path if os.access(path, os.W_OK | os.X_OK) else None


_SOURCE_HASH: str | None = None


def _source_hash() -> str:
    """SHA-256 of every ``.py`` file of the installed jaxcogen package (cached per process)."""
    global _SOURCE_HASH
    if _SOURCE_HASH is None:
        digest = hashlib.sha256()
        root = Path(jaxcogen.__file__).parent
        for path in sorted(root.rglob("*.py")):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
        _SOURCE_HASH = digest.hexdigest()
    return _SOURCE_HASH


def _versions() -> str:
    out = []
    for name in _LIBRARIES:
        try:
            out.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            out.append(f"{name}=?")
    return ",".join(out)


def _is_input(leaf: Any) -> bool:
    """A traced input: an array, or its abstract stand-in (a program compiled before its input
    exists, :func:`prepare_compiled`). Everything else is static, part of the program."""
    return eqx.is_array(leaf) or isinstance(leaf, jax.ShapeDtypeStruct)


def cache_key(name: str, args: tuple) -> str:
    """The key of ``name`` applied to ``args``: sources, libraries, device, static parts, shapes.

    ``args`` may hold ``jax.ShapeDtypeStruct`` in place of arrays (the same key)."""
    dynamic, static = eqx.partition(args, _is_input)
    leaves, treedef = jax.tree.flatten(dynamic)
    device = jax.devices()[0]
    parts = [
        _FORMAT,
        name,
        _source_hash(),
        _versions(),
        sys.version,
        f"{device.platform}:{getattr(device, 'device_kind', '')}",
        f"x64={jax.config.jax_enable_x64}",
        os.environ.get("XLA_FLAGS", ""),
        str(treedef),
        repr(jax.tree.leaves(static)),
        ";".join(f"{leaf.dtype}{leaf.shape}" for leaf in leaves),
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


# equinox marks absent fields with a module-level sentinel: pickled by reference, so that a
# reloaded output tree is unflattened with the very object equinox compares against
def _sentinels() -> dict[int, str]:
    try:
        from equinox._module._flatten import MISSING
    except ImportError:  # pragma: no cover - another equinox; the round trip check decides
        return {}
    return {id(MISSING): "equinox.MISSING"}


def _sentinel(name: str) -> Any:
    if name == "equinox.MISSING":
        from equinox._module._flatten import MISSING

        return MISSING
    raise pickle.UnpicklingError(f"unknown sentinel {name!r}")


class _Pickler(pickle.Pickler):
    def __init__(self, file):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._known = _sentinels()

    def persistent_id(self, obj):
        return self._known.get(id(obj))


class _Unpickler(pickle.Unpickler):
    def persistent_load(self, pid):
        return _sentinel(pid)


def _dumps(value: Any) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer).dump(value)
    return buffer.getvalue()


def _loads(data: bytes) -> Any:
    return _Unpickler(io.BytesIO(data)).load()


def _flat_function(fn: Callable, treedef, static, out_box: dict) -> Callable:
    def flat(*leaves):
        args = eqx.combine(jax.tree.unflatten(treedef, leaves), static)
        out_leaves, out_box["treedef"] = jax.tree.flatten(fn(*args))
        return out_leaves

    return flat


def _load(path: Path) -> tuple[Any, Any]:
    """The stored executable at ``path`` and its output tree; raises if anything is off."""
    from jax.experimental import serialize_executable

    serialized, in_tree, out_tree, result_tree = _loads(path.read_bytes())
    return serialize_executable.deserialize_and_load(serialized, in_tree, out_tree), result_tree


def _store(path: Path, compiled, result_tree, out_leaves) -> None:
    """Write the executable atomically, after checking that its output tree survives a reload."""
    from jax.experimental import serialize_executable

    serialized, in_tree, out_tree = serialize_executable.serialize(compiled)
    data = _dumps((serialized, in_tree, out_tree, result_tree))
    jax.tree.unflatten(_loads(data)[3], out_leaves)  # the round trip works, or no file
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class Executable:
    """A compiled program of :func:`prepare_compiled`: call it on arguments of the prepared
    structure (arrays where it was prepared with arrays or their ``ShapeDtypeStruct``).

    A program compiled in this run is written to the executable cache after its first call
    (the write checks the output tree on the real output); a loaded one is not written again.
    A loaded one that fails when run (XLA has refused a deserialized program whose kernels it
    had already compiled in the same process: "Function ... not found") is deleted and
    ``fallback()`` (compiling afresh) takes its place: the cache can cost time, never a result.
    """

    def __init__(self, compiled, result_tree, path: Path | None, fallback=None):
        self._compiled, self._result_tree, self._path = compiled, result_tree, path
        self._fresh, self._fallback = fallback is None, fallback

    def __call__(self, *args) -> Any:
        leaves = jax.tree.leaves(eqx.filter(args, _is_input))
        if self._fallback is not None:  # loaded: run it to the end before trusting it
            try:
                out_leaves = jax.block_until_ready(self._compiled(*leaves))
            except Exception:  # noqa: BLE001 - compile afresh (and overwrite the file)
                if self._path is not None:
                    self._path.unlink(missing_ok=True)
                replacement = self._fallback()
                self._compiled, self._result_tree = replacement._compiled, replacement._result_tree
                self._fresh, self._fallback = True, None
                return self(*args)
            return jax.tree.unflatten(self._result_tree, out_leaves)
        out_leaves = self._compiled(*leaves)
        if self._fresh and self._path is not None:
            self._fresh = False
            try:
                _store(self._path, self._compiled, self._result_tree, out_leaves)
            except Exception:  # noqa: BLE001 - the result stands; only the cache is lost
                pass
        return jax.tree.unflatten(self._result_tree, out_leaves)


def prepare_compiled(
    name: str,
    fn: Callable,
    args: tuple,
    *,
    announce: Callable[[str], None] | None = None,
    cache_dir: Path | None = None,
    executor: Executor | None = None,
) -> Callable[[], Executable]:
    """``fn`` compiled for arguments shaped like ``args``: returns ``get``, and ``get()`` is the
    :class:`Executable`.

    From the executable cache when it holds ``name`` for these arguments; otherwise ``fn`` is
    traced and lowered here (Python, on the calling thread: tracing holds the interpreter) and
    compiled by ``executor`` when one is given — XLA's compilation releases the interpreter, so
    it runs beside whatever the caller traces or computes next, and ``get()`` waits for it —
    else at once. ``args`` may hold ``jax.ShapeDtypeStruct`` for inputs not computed yet.
    ``announce`` is called with :data:`COMPILING_MESSAGE` just before tracing (cache misses
    only). ``cache_dir``: default :func:`executable_cache_dir`; no cache if that is None.
    """
    from jaxcogen.production._solve import _runtime_errors_as_nan

    cache_dir = cache_dir if cache_dir is not None else executable_cache_dir()
    dynamic, static = eqx.partition(args, _is_input)
    leaves, treedef = jax.tree.flatten(dynamic)
    path = None
    if cache_dir is not None:
        try:
            path = cache_dir / f"{name}-{cache_key(name, args)}.pkl"
        except Exception:  # noqa: BLE001 - no key, no cache
            path = None

    def build(executor: Executor | None) -> Callable[[], Executable]:
        if announce is not None:
            announce(COMPILING_MESSAGE if path is not None else "compiling the solver…")
        box: dict[str, Any] = {}
        abstract = [
            jax.ShapeDtypeStruct(
                leaf.shape, leaf.dtype, weak_type=getattr(leaf, "weak_type", False)
            )
            for leaf in leaves
        ]
        with _runtime_errors_as_nan():
            lowered = jax.jit(_flat_function(fn, treedef, static, box)).lower(*abstract)
        # XLA's CPU optimisation level 0 cuts ~20 % of the compilation, but XLA sets such options
        # as process-wide LLVM flags, which must not change between compilations of one process
        # (a test session compiling with and without them crashed in XLA once): so not here, per
        # program, but for a whole `jaxcogen solve` process (_main.quick_compilation)
        if executor is None:
            compiled = Executable(lowered.compile(), box["treedef"], path)
            return lambda: compiled
        future = executor.submit(lowered.compile)
        return lambda: Executable(future.result(), box["treedef"], path)

    if path is not None and path.is_file():
        try:
            loaded = Executable(*_load(path), path, fallback=lambda: build(None)())
            return lambda: loaded
        except Exception:  # noqa: BLE001 - stale or corrupt: compile again and overwrite
            path.unlink(missing_ok=True)
    return build(executor)


def run_compiled(
    name: str,
    fn: Callable,
    args: tuple,
    *,
    announce: Callable[[str], None] | None = None,
    cache_dir: Path | None = None,
) -> Any:
    """``fn(*args)`` compiled, from the executable cache when it holds this ``name`` and ``args``.

    ``fn`` must be traceable (no ``jit`` needed); it is traced with equinox's runtime checks in
    NaN mode, so the executable has no host callback. ``announce`` is called with
    :data:`COMPILING_MESSAGE` just before compiling (only when the cache misses).
    ``cache_dir``: default :func:`executable_cache_dir`; no cache if that is None.
    (:func:`prepare_compiled` compiled at once, then called on ``args``.)
    """
    return prepare_compiled(name, fn, args, announce=announce, cache_dir=cache_dir)()(*args)
