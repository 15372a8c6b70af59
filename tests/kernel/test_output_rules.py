"""A step's saved outputs are what the same code leaves as a plain cell: checked against nbclient, cell by cell.

Each golden notebook in ``tests/fixtures/golden/`` (sources only, no outputs) is run twice:

1. plainly, by nbclient in a fresh ipykernel: the outputs a notebook keeps (nbclient's ``clear_output``,
   ``clear_before_next_output`` and ``_update_display_id`` rules);
2. as the steps of ONE ``%%codeact`` run, one ``tool_use`` per code cell (the stand-in model), in the module's kernel.

The run's step cells must hold the plain cells' outputs in the export (``%codeact export``), in the journal's read-back
(``journal.find_run``) and in the cells sent to the frontend (``cell`` messages, then the ``outputs`` messages that
replace an earlier cell's outputs). The plain outputs are computed here, never stored, so no golden goes stale.

What :func:`normalized` leaves out, and why:

- ``execution_count`` of ``execute_result`` (and of the cell): the run's steps are numbered after the ``%%codeact``
  cell, the plain cells from 1;
- ``transient`` (never saved by nbformat) and the ``traceback`` of an error except its last line without ANSI
  colours: the frames name different cells (``Cell In[7]``) and IPython colours them;
- the split of one stream's text into several outputs: nbclient keeps one output per ``stream`` message (as ipykernel
  happened to flush), the record merges consecutive writes to one stream into one output, as JupyterLab shows them.

Everything else is compared as it is: output types and order, stream names and text, MIME bundles and metadata.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from codeact_magic.journal import find_run
from kernel_harness import export_run
from standin import turn

GOLDEN = Path(__file__).resolve().parent.parent / "fixtures" / "golden"
NOTEBOOKS = sorted(p.name for p in GOLDEN.glob("*.ipynb"))
KEY = "sk-ant-test-0000"  # the kernel fixture's ANTHROPIC_API_KEY: an environment secret
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def normalized(outputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``outputs`` as compared (see the module docstring)."""
    result: list[dict[str, Any]] = []
    for output in outputs:
        kind = output["output_type"]
        if kind == "stream":
            text = "".join(output["text"]) if isinstance(output["text"], list) else output["text"]
            if result and result[-1]["output_type"] == "stream" and result[-1]["name"] == output["name"]:
                result[-1]["text"] += text
            else:
                result.append({"output_type": "stream", "name": output["name"], "text": text})
        elif kind == "error":
            last = _ANSI.sub("", output["traceback"][-1]) if output.get("traceback") else ""
            result.append({"output_type": "error", "ename": output["ename"], "evalue": output["evalue"],
                           "last_line": last})
        else:
            result.append({"output_type": kind, "data": dict(output["data"]),
                           "metadata": dict(output.get("metadata") or {})})
    return result


def plain_run(notebook: nbformat.NotebookNode, cwd: Path) -> list[list[dict[str, Any]]]:
    """The outputs of each code cell, run top to bottom by nbclient (errors allowed, as a step's are)."""
    notebook = nbformat.from_dict(notebook)
    NotebookClient(notebook, timeout=60, allow_errors=True, kernel_name="python3",
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return [cell.outputs for cell in notebook.cells if cell.cell_type == "code"]


def sent_step_outputs(result: Any) -> list[list[dict[str, Any]]]:
    """The step cells' outputs as the frontend ends up with them: each ``cell`` message, then the ``outputs``
    messages that replace an inserted cell's outputs (by its index)."""
    cells: dict[int, dict[str, Any]] = {}
    for message in result.codeact():
        if message.get("type") == "cell":
            cells[message["index"]] = message["cell"]
        elif message.get("type") == "outputs":
            assert message["index"] in cells, "outputs message for a cell never sent"
            cells[message["index"]]["outputs"] = message["outputs"]
    steps = [cells[i] for i in sorted(cells) if cells[i]["metadata"]["codeact"].get("role") == "step"]
    return [cell["outputs"] for cell in steps]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_a_step_saves_what_the_same_code_leaves_in_a_plain_cell(name, kernel, server, tmp_path):
    golden = nbformat.read(str(GOLDEN / name), as_version=4)
    nbformat.validate(golden)
    sources = [cell.source for cell in golden.cells if cell.cell_type == "code"]
    assert sources and all(not cell.get("outputs") for cell in golden.cells if cell.cell_type == "code")
    expected = [normalized(outputs) for outputs in plain_run(golden, tmp_path)]

    server.enqueue(*(turn(f"Cell {i + 1}.", code) for i, code in enumerate(sources)), turn("Done."))
    result = kernel.execute(f"%%codeact\nRun the cells of {name}", timeout=180)
    assert result.status == "ok", result.text

    notebook, run = export_run(kernel, tmp_path / "exported.ipynb")
    assert run["status"] == "done", run["end_reason"]
    steps = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert [cell.source for cell in steps] == sources
    for i, cell in enumerate(steps):
        assert normalized(cell.outputs) == expected[i], f"{name} cell {i + 1} (export):\n{sources[i]}"

    sent = sent_step_outputs(result)
    assert len(sent) == len(sources)
    for i, outputs in enumerate(sent):
        assert normalized(outputs) == expected[i], f"{name} cell {i + 1} (frontend cells):\n{sources[i]}"

    journal = Path(kernel.value("__import__('os').getcwd()")) / ".codeact" / "runs"
    journaled = find_run(journal, run["run_id"])
    assert journaled is not None and len(journaled.steps) == len(sources)
    for i, step in enumerate(journaled.steps):
        assert normalized(step.outputs) == expected[i], f"{name} cell {i + 1} (journal):\n{sources[i]}"


def test_the_model_reads_each_steps_own_outputs_and_updates_reach_earlier_steps_masked(kernel, server, tmp_path):
    steps = ['h = display("v1", display_id=True)', 'h.update("v2")\nprint("updated")',
             'import os\nh.update("key " + os.environ["ANTHROPIC_API_KEY"])']
    server.enqueue(*(turn(f"Step {i + 1}.", code) for i, code in enumerate(steps)), turn("Done."))
    result = kernel.execute("%%codeact\nUpdate a display", timeout=120)
    assert result.status == "ok", result.text
    observations = [b["content"] for r in server.requests[1:] for b in r.body["messages"][-1]["content"]
                    if b.get("type") == "tool_result"]
    assert observations == ["'v1'", "updated", "(no output)"]  # what each step itself showed
    updates = result.codeact("outputs")
    assert [u["outputs"][0]["data"]["text/plain"] for u in updates] == ["'v2'", "'key <redacted>'"]
    assert len({u["index"] for u in updates}) == 1  # both for step 1's cell
    assert KEY not in json.dumps([m["content"] for m in result.messages])  # nor live
    path = tmp_path / "updated.ipynb"
    notebook, run = export_run(kernel, path)
    first = [c for c in notebook.cells if c.cell_type == "code"][0]
    assert [o["data"]["text/plain"] for o in first.outputs] == ["'key <redacted>'"]
    journal = Path(kernel.value("__import__('os').getcwd()")) / ".codeact" / "runs" / f"{run['run_id']}.jsonl"
    assert KEY not in journal.read_text() + path.read_text()
