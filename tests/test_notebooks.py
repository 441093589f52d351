"""The notebooks run top to bottom on the public API (executed with nbclient, outputs discarded)."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))

#: Notebooks that take two minutes or more each on a 2-core CI machine (01: quantum statistics and
#: the evolution plots; 03: multi-start fits; 05: NUTS through the solver, 5-7 min). Their API is
#: covered by the default-run tests (test_benchmark_points, test_fit, test_posterior); they run
#: with ``pytest -m slow``.
SLOW_NOTEBOOKS = {"01_single_point.ipynb", "03_fit.ipynb", "05_posterior.ipynb"}


@pytest.mark.parametrize(
    "path",
    [pytest.param(p, marks=pytest.mark.slow) if p.name in SLOW_NOTEBOOKS else p for p in NOTEBOOKS],
    ids=lambda p: p.name,
)
def test_notebook_executes(path, tmp_path):
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors
