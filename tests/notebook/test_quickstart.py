"""The quickstart, executed headless (nbclient / `jupyter execute`): replayed without a key, live against the stand-in."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from standin import StandIn

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = json.loads((ROOT / "tests/fixtures/quickstart_script.json").read_text())


@pytest.fixture
def workdir(tmp_path):
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks", ignore=shutil.ignore_patterns("exported", ".codeact"))  # what running the quickstart leaves
    return tmp_path / "notebooks"


def run_quickstart(workdir, env):
    saved = dict(os.environ)
    try:
        for key, value in env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        notebook = nbformat.read(workdir / "quickstart.ipynb", as_version=4)
        NotebookClient(notebook, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(workdir)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    nbformat.validate(notebook)
    return notebook


def cell_text(cell):
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type == "error":
            parts.append("\n".join(output.traceback))
        else:
            parts.append(str(output.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


def codeact_cells(notebook):
    return [c for c in notebook.cells if c.cell_type == "code" and c.source.startswith("%%codeact")]


def test_jupyter_execute_succeeds_without_a_key(workdir):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    done = subprocess.run([sys.executable, "-m", "jupyter", "execute", "quickstart.ipynb"], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    exported = workdir / "exported" / "stats-run.ipynb"
    nbformat.validate(nbformat.read(exported, as_version=4))


def test_without_a_key_it_replays_and_says_so_in_one_line(workdir):
    notebook = run_quickstart(workdir, {"ANTHROPIC_API_KEY": None, "ANTHROPIC_AUTH_TOKEN": None,
                                        "ANTHROPIC_BASE_URL": None})
    sales, stats = codeact_cells(notebook)
    for cell in (sales, stats):
        lines = [line for line in cell_text(cell).splitlines() if "ANTHROPIC_API_KEY" in line]
        assert len(lines) == 1 and lines[0].startswith("No ANTHROPIC_API_KEY is set: replaying the recorded run")
    # the replayed code ran for real: results are in the namespace and in the outputs
    check = notebook.cells[notebook.cells.index(sales) + 2]
    assert cell_text(check) == "('Office chair', np.float64(49964.15), np.float64(124.91))"
    assert "Total revenue: 49,964.15" in cell_text(sales)
    assert any(o.output_type == "display_data" and "image/png" in o.data for o in sales.outputs)
    text = cell_text(stats)
    assert "KeyError" in text and "Welch t = 3.322, df = 144.0, two-sided p = 0.0011" in text
    assert "done · step 2 of 20" in text


def test_with_a_key_it_takes_the_live_path(workdir):
    with StandIn(scripts=SCRIPT["scripts"]) as server:
        notebook = run_quickstart(workdir, {"ANTHROPIC_API_KEY": "sk-ant-test-0000", "ANTHROPIC_BASE_URL": server.url})
        requests = list(server.requests)
    sales, stats = codeact_cells(notebook)
    assert "replaying" not in cell_text(sales) and "replaying" not in cell_text(stats)
    assert len(requests) == 4 + 3  # sales: 3 steps + answer; stats: 2 steps + answer
    assert "Total revenue: 49,964.15" in cell_text(sales)
    # the model was sent the failing step's error and the usage/cost is real
    stats_results = [b for b in requests[5].body["messages"][-1]["content"] if b["type"] == "tool_result"]
    assert stats_results[0]["is_error"] and "KeyError: 'Region'" in stats_results[0]["content"]
    runs = cell_text(notebook.cells[-2]).splitlines()  # %codeact runs: a header, a row per run, the totals
    assert runs[0].split() == ["run", "started", "status", "steps", "tokens", "cost", "task"]
    assert [row.split()[3] for row in runs[1:-1]] == ["done", "done"] and runs[-1].startswith("total: 2 runs, 5 steps")
    assert "$0.0" in runs[-1]
    exported = nbformat.read(workdir / "exported" / "stats-run.ipynb", as_version=4)
    nbformat.validate(exported)
    assert exported.metadata["codeact"]["run"]["usage"]["output_tokens"] > 0
