"""Scan robustness (issue 21): Dask workers lost and replaced, oversized scans refused up front,
interrupted stores counted from ``status``, consolidated metadata.

The scans here use the parameters ("y2.abs", "T_RH"), chunk size 2, Tsit5 (one pass, the
quickest to compile in a fresh Dask worker) and no bucketing, so they share one compiled chunk
function in this process. The Dask tests run an external scheduler and workers on 127.0.0.1
(process workers without a nanny, so a SIGKILL removes the worker for good), sharing a persistent
JAX compilation cache so that only the first worker compiles (the no-worker test runs first).
"""

import importlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings

import dask
import numpy as np
import psutil
import pytest
import typer
import xarray as xr
import zarr
from packaging.version import Version
from typer.testing import CliRunner

import jaxcogen
from jaxcogen._status import STATUS_INVALID_INPUT, STATUS_NOT_COMPUTED, status_table
from jaxcogen.cli._scan import register
from jaxcogen.scanning._io import RESULT_VARIABLES, ZarrResults, dataset_attributes
from jaxcogen.scanning._scan import (
    NoDaskWorkersError,
    scan,
    scan_settings,
    scan_summary,
)

from .conftest import make_model

scan_module = importlib.import_module("jaxcogen.scanning._scan")
scan_io = importlib.import_module("jaxcogen.scanning._io")

BASE = make_model()
CHUNK = 2
GRID = {"y2.abs": np.geomspace(0.02, 0.5, 4), "T_RH": np.array([2e10, 5e10])}  # 4 chunks
# the production-only opt-out and the EFT everywhere: cheap solves
OPTIONS = {"solver": "Tsit5", "late_universe": False, "regime": "eft"}
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HUGE = {"M1": np.geomspace(1e11, 1e13, 100_000), "T_RH": np.geomspace(1e8, 1e10, 100_000)}


def _scan(**kwargs) -> xr.Dataset:
    return scan(
        BASE, GRID, chunk_size=CHUNK, solve_options=OPTIONS, bucket=False, progress=False, **kwargs
    )


def _assert_same_results(ds: xr.Dataset, reference: xr.Dataset) -> None:
    for name in RESULT_VARIABLES:
        if name in ("status", "num_steps", "num_rejected_steps"):
            np.testing.assert_array_equal(ds[name].values, reference[name].values, err_msg=name)
        else:
            np.testing.assert_allclose(
                ds[name].values, reference[name].values, rtol=1e-12, atol=0, err_msg=name
            )
    assert ds["done"].values.all()


@pytest.fixture(scope="module")
def reference() -> xr.Dataset:
    ds = _scan()
    assert (ds["status"].values == 0).all()
    return ds


# ---- interrupted stores: status alone says what was computed -------------------------------------------


def _store(path, shape=(12,), block=(4,)) -> ZarrResults:
    attrs = dataset_attributes(BASE, scan_settings(None), "samples", ("T_RH",), "fingerprint")
    coords = {"point": ("point", np.arange(shape[0]))}
    return ZarrResults(path, ("point",), shape, coords, attrs, block, resume=path.exists())


def _outputs(flat: np.ndarray, status: np.ndarray) -> dict[str, np.ndarray]:
    outputs = {name: np.full(len(flat), 1e-10) for name in RESULT_VARIABLES}
    outputs["status"] = np.asarray(status, dtype=np.int32)
    outputs["num_steps"] = np.full(len(flat), 50, dtype=np.int32)
    outputs["num_rejected_steps"] = np.zeros(len(flat), dtype=np.int32)
    return outputs


def test_a_new_store_writes_no_result_chunk_and_reads_as_not_computed(tmp_path):
    path = tmp_path / "new.zarr"
    _store(path)
    for name in ("status", "done", "DeltaY_B"):  # metadata only: nothing to overcount
        assert not list((path / name).rglob("c/*")), name
    ds = xr.open_zarr(path)
    assert (ds["status"].values == STATUS_NOT_COMPUTED).all() and not ds["done"].values.any()
    assert np.isnan(ds["DeltaY_B"].values).all() and (ds["num_steps"].values == -1).all()
    summary = scan_summary(ds)
    assert (summary.n_succeeded, summary.n_failed, summary.n_not_computed) == (0, 0, 12)


def test_a_block_never_written_counts_as_not_computed(tmp_path):
    """Two of three blocks written (one point failed, one invalid), the last never written."""
    path = tmp_path / "partial.zarr"
    store = _store(path)
    status = np.zeros(8, dtype=np.int32)
    status[2], status[5] = 1, STATUS_INVALID_INPUT
    store.write(np.arange(8), _outputs(np.arange(8), status))
    assert not list((path / "status").rglob("c/2"))  # the last block's chunk does not exist
    ds = xr.open_zarr(path)
    summary = scan_summary(ds)
    assert summary.counts == {"success": 6, "invalid_input": 1, "max_steps_reached": 1,
                              "not_computed": 4}  # fmt: skip
    assert (summary.n_succeeded, summary.n_failed, summary.n_not_computed) == (6, 2, 4)
    assert summary.n_succeeded == int((ds["done"].values & (ds["status"].values == 0)).sum())
    assert "4 not computed" in str(summary)


def test_a_write_interrupted_before_the_status_leaves_the_points_not_computed(
    tmp_path, monkeypatch
):
    """Killed after a chunk's results reached the disk but before its status: the points are
    neither counted as succeeded nor flagged done, and a resumed store recomputes them."""
    path = tmp_path / "interrupted.zarr"
    store = _store(path)
    store.write(np.arange(4), _outputs(np.arange(4), np.zeros(4)))
    original = ZarrResults._write_block

    def interrupt_at_status(self, names, region, buffer):
        if names == ("status",):
            raise KeyboardInterrupt
        return original(self, names, region, buffer)

    monkeypatch.setattr(ZarrResults, "_write_block", interrupt_at_status)
    with pytest.raises(KeyboardInterrupt):
        store.write(np.arange(4, 8), _outputs(np.arange(4, 8), np.zeros(4)))
    ds = xr.open_zarr(path)
    assert np.isfinite(ds["DeltaY_B"].values[4:8]).all()  # the results are on disk ...
    assert (ds["status"].values[4:8] == STATUS_NOT_COMPUTED).all()  # ... but not the status
    summary = scan_summary(ds)
    assert (summary.n_succeeded, summary.n_not_computed) == (4, 8)
    monkeypatch.setattr(ZarrResults, "_write_block", original)
    resumed = _store(path)  # path exists: resume=True
    assert resumed.done_mask().tolist() == [True] * 4 + [False] * 8


def test_status_codes_attribute_is_the_status_table(tmp_path):
    _store(tmp_path / "codes.zarr")
    ds = xr.open_zarr(tmp_path / "codes.zarr")
    assert json.loads(ds.attrs["status_codes"]) == status_table()
    assert json.loads(ds.attrs["status_codes"])[str(STATUS_NOT_COMPUTED)] == "not_computed"


# ---- consolidated metadata -------------------------------------------------------------------------------


def test_stores_open_without_warnings_while_interrupted_and_after_resume(
    tmp_path, monkeypatch, reference
):
    store = tmp_path / "scan.zarr"
    original = ZarrResults.write
    calls = []

    def interrupt_second_chunk(self, flat, outputs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(self, flat, outputs)

    monkeypatch.setattr(ZarrResults, "write", interrupt_second_chunk)
    with pytest.raises(KeyboardInterrupt):
        _scan(out=store)
    monkeypatch.setattr(ZarrResults, "write", original)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        partial = xr.open_zarr(store)
    assert scan_summary(partial).n_not_computed == 8 - CHUNK
    _scan(out=store, resume=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        finished = xr.open_zarr(store)
    _assert_same_results(finished.load(), reference)
    assert zarr.open_group(store, mode="r").metadata.consolidated_metadata is not None


# ---- oversized scans are refused before anything is allocated or written ----------------------------------


@pytest.fixture
def no_work(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("work started")

    monkeypatch.setattr(scan_module, "_solve_chunk", fail)
    monkeypatch.setattr(scan_module, "_stiffness_proxies", fail)


@pytest.mark.parametrize("to_store", [False, True])
def test_a_huge_grid_is_refused_at_once(tmp_path, no_work, to_store):
    out = tmp_path / "huge.zarr" if to_store else None
    rss = psutil.Process().memory_info().rss
    start = time.monotonic()
    with pytest.raises(ValueError, match=r"grid of 100000 × 100000 = 10000000000 points") as err:
        scan(BASE, HUGE, out=out, progress=False)
    assert time.monotonic() - start < 10
    assert "limit" in str(err.value) and "GB" in str(err.value)
    assert psutil.Process().memory_info().rss - rss < 200e6
    assert not (tmp_path / "huge.zarr").exists()


def test_the_limits_are_the_available_memory_and_disk(tmp_path, monkeypatch, no_work):
    monkeypatch.setattr(scan_io, "available_memory", lambda: 100)
    with pytest.raises(
        ValueError, match=r"grid of 4 × 2 = 8 points .* memory .* limit of 8e-08 GB"
    ):
        _scan()
    monkeypatch.setattr(scan_io, "available_memory", lambda: 10**12)
    monkeypatch.setattr(scan_io, "free_disk", lambda path: (100, tmp_path))
    with pytest.raises(ValueError, match=r"8 points .* disk .* limit of 1e-07 GB free"):
        _scan(out=tmp_path / "small.zarr")
    assert not (tmp_path / "small.zarr").exists()


@pytest.mark.parametrize("empty_directory", [False, True])
def test_a_store_interrupted_while_being_created_is_removed(
    tmp_path, monkeypatch, no_work, empty_directory
):
    """Nothing is left behind (an empty directory given as the store stays empty)."""
    out = tmp_path / "created.zarr"
    if empty_directory:
        out.mkdir()

    def interrupted(path):
        assert (out / "status" / "zarr.json").exists()
        raise KeyboardInterrupt  # Ctrl-C after the metadata, before it is consolidated

    monkeypatch.setattr(scan_io, "consolidate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _scan(out=out)
    assert (list(out.iterdir()) == []) if empty_directory else not out.exists()


def test_cli_refuses_a_huge_grid_with_one_line(tmp_path, no_work):
    scan_file = tmp_path / "huge.toml"
    scan_file.write_text(
        textwrap.dedent(
            """
            [grid]
            M1 = {start = 1e11, stop = 1e13, num = 100000, log = true}
            T_RH = {start = 1e8, stop = 1e10, num = 100000, log = true}
            """
        )
    )
    app = typer.Typer()
    register(app)
    out = tmp_path / "huge.zarr"
    result = CliRunner().invoke(app, ["scan", str(scan_file), "--out", str(out), "--no-progress"])
    assert result.exit_code == 2, result.output
    assert (
        result.output.startswith("error: grid of 100000 × 100000")
        and result.output.count("\n") == 1
    ), result.output
    assert not out.exists()


def test_zarr_writes_chunks_atomically():
    """zarr-python >= 3.1.3 writes a chunk to a temporary file and renames it (zarr#3412)."""
    assert Version(zarr.__version__) >= Version("3.1.3")


# ---- Dask: workers lost, replaced, or not ----------------------------------------------------------------


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
    process.wait(timeout=30)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """An external scheduler on 127.0.0.1; ``start_worker()`` adds a worker process (no nanny)."""
    distributed = pytest.importorskip("distributed")
    folder = tmp_path_factory.mktemp("cluster")
    scheduler_file = folder / "scheduler.json"
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
             "--port", "0", "--no-dashboard", "--scheduler-file", str(scheduler_file)],
            cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
    ]  # fmt: skip
    worker_env = dict(
        env,
        JAX_COMPILATION_CACHE_DIR=str(folder / "jax_cache"),
        JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0",
    )

    def start_worker() -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
             "--no-nanny", "--host", "127.0.0.1", "--no-dashboard", "--death-timeout", "60"],
            cwd=REPO, env=worker_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        processes.append(process)
        return process

    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() or not scheduler_file.read_text().strip():
            assert time.monotonic() < deadline and processes[0].poll() is None, "no scheduler"
            time.sleep(0.1)
        time.sleep(0.2)  # the file is written whole by now
        address = json.loads(scheduler_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        with distributed.Client(address, timeout="30s") as client:
            yield client, start_worker
    finally:
        for process in reversed(processes):
            _stop(process)


def _kill_after_first_chunk(monkeypatch, client, worker, then=None) -> dict:
    """SIGKILL ``worker`` once the first chunk is recorded, wait until the scheduler has seen
    it go, then call ``then`` (e.g. start a replacement)."""
    original = scan_module._record
    state: dict = {}

    def record(results, bar, flat, outputs):
        original(results, bar, flat, outputs)
        if not state:
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=30)
            deadline = time.monotonic() + 30
            while client.nthreads() and time.monotonic() < deadline:
                time.sleep(0.05)
            state["killed"] = time.monotonic()
            state["replacement"] = then() if then is not None else None

    monkeypatch.setattr(scan_module, "_record", record)
    return state


@pytest.mark.slow  # ~20 s: waits out the stated timeout with a live scheduler
def test_dask_scan_without_workers_stops_after_the_stated_time(
    tmp_path, monkeypatch, cluster, reference
):
    client, start_worker = cluster
    deadline = time.monotonic() + 30
    while client.nthreads() and time.monotonic() < deadline:  # the last test's worker gone
        time.sleep(0.1)
    worker = start_worker()
    client.wait_for_workers(1, timeout=120)
    state = _kill_after_first_chunk(monkeypatch, client, worker)
    store = tmp_path / "stopped.zarr"
    with pytest.raises(NoDaskWorkersError, match=r"no Dask worker in the cluster for 4 s") as err:
        _scan(out=store, dask_client=client, dask_worker_timeout=4)
    waited = time.monotonic() - state["killed"]
    assert 4 <= waited < 4 + 6, waited
    assert "\n" not in str(err.value) and isinstance(err.value, TimeoutError)  # CLI: exit 1
    # the finished chunk is on disk; the scan resumes (here without Dask: the client, the
    # default Dask scheduler, has no worker to load the store with)
    with dask.config.set(scheduler="sync"):
        assert int(xr.open_zarr(store)["done"].sum()) >= CHUNK
        _assert_same_results(_scan(out=store, resume=True).load(), reference)


def test_dask_scan_survives_losing_its_only_worker(tmp_path, monkeypatch, cluster, reference):
    client, start_worker = cluster
    first = start_worker()
    client.wait_for_workers(1, timeout=120)
    state = _kill_after_first_chunk(monkeypatch, client, first, then=start_worker)
    ds = _scan(out=tmp_path / "dask.zarr", dask_client=client)
    assert state["replacement"].poll() is None  # the replacement finished the scan
    _assert_same_results(ds.load(), reference)
    _stop(state["replacement"])


def test_progress_bar_prints_its_last_line_once(capsys):
    """Issue 21.8: a scan finished within its first (compiling) chunk printed the final bar line
    twice — the compiling bar, then a fresh bar restarted at the same count. The finished line
    (``2/2``) now appears on one line of the terminal output only."""
    jaxcogen.scan(BASE, grid={"T_RH": [4e10, 5e10]}, progress=True, solve_options=OPTIONS)
    err = capsys.readouterr().err
    final_lines = [line for line in err.split("\n") if "2/2" in line.split("\r")[-1]]
    assert len(final_lines) == 1, err
