"""One transcript: with a frontend that inserts the run's cells, the %%codeact cell keeps only the status line, the
answer and a link to the cells; without one, the whole transcript. In a real ipykernel, against the stand-in."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionComplete

from codeact_magic.protocol import STEPS_MIME
from standin import turn


def cell_outputs(result) -> list[dict]:
    """The outputs a notebook keeps for the cell, from its iopub messages, by nbclient's own output rules
    (``clear_output(wait=True)``, display ids, ``update_display_data``)."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("")])
    client = NotebookClient(notebook, record_timing=False)
    client.reset_execution_trackers()
    client.clear_before_next_output = False  # as nbclient sets it before it executes a cell
    cell = notebook.cells[0]
    for message in result.messages:
        message = {**message, "msg_type": message["header"]["msg_type"]}
        try:
            client.process_message(message, cell, 0)
        except CellExecutionComplete:
            break
    return cell.outputs


def texts(outputs: list[dict]) -> list[str]:
    return [o.get("text") or o.get("data", {}).get("text/plain", "") for o in outputs]


@pytest.fixture
def frontend(kernel):
    comm_id = kernel.open_frontend()
    yield
    kernel.close_frontend(comm_id)


def test_with_a_frontend_the_cell_keeps_status_answer_and_link(kernel, server, frontend):
    kernel.execute("sales = [22984, 16831]")
    server.enqueue(
        turn("Sum the two regions.", "print('north', sales[0])\nsales[0] + sales[1]"),
        turn("Plot-free check.", "print('south', sales[1])"),
        turn("North made $22,984 and South $16,831: **$39,815** in all (`$` is money, $$x^2$$ stays maths)."),
    )
    result = kernel.execute("%%codeact\nTotal of `sales`?", metadata={"cellId": "cell-compact"})
    assert result.status == "ok", result.text
    outputs = cell_outputs(result)
    shown = texts(outputs)
    # status line, answer, link: nothing of the steps (their code and outputs are in the inserted cells)
    assert len(outputs) == 3, shown
    assert shown[0].startswith("done · step 2 of 20")
    assert "North made $22,984" in shown[1]
    markdown = outputs[1]["data"]["text/markdown"]
    # two backslashes: Jupyter's MathJax reads the rendered page (jupyterlab/jupyterlab#8645)
    assert "\\\\$22,984" in markdown and "\\\\$16,831" in markdown and "**\\\\$39,815**" in markdown
    assert "`$`" in markdown and "$$x^2$$" in markdown  # code spans and display maths are left alone
    assert outputs[2]["data"][STEPS_MIME] == {"run_id": outputs[2]["data"][STEPS_MIME]["run_id"], "steps": 2,
                                              "cells": 5, "text": "2 steps below ↓"}
    assert shown[2] == "2 steps below ↓"
    assert not any("north 22984" in t or "Step 1" in t for t in shown)
    # the steps' outputs went out once, in their cells
    cells = [c["cell"] for c in result.codeact("cell")]
    assert [c["cell_type"] for c in cells] == ["markdown", "code", "markdown", "code", "markdown"]
    assert cells[1]["outputs"][0]["text"] == "north 22984\n"
    assert "\\\\$22,984" in cells[4]["source"]
    # while a step ran, its output showed in the cell (live), then was cleared
    assert "north 22984\n" in result.stdout
    assert any(m["msg_type"] == "clear_output" and m["content"]["wait"] for m in result.messages)


def test_execution_counts_read_top_to_bottom(kernel, server, frontend):
    server.enqueue(turn("One.", "1 + 1"), turn("Two.", "2 + 2"), turn("Done."))
    result = kernel.execute("%%codeact\nCount.", metadata={"cellId": "cell-counts"})
    assert result.status == "ok", result.text
    started = next(m["content"]["execution_count"] for m in result.messages if m["msg_type"] == "execute_input")
    runs = result.codeact("run")
    assert runs[-1]["run"]["execution_count"] == started
    counts = [c["cell"]["execution_count"] for c in result.codeact("cell") if c["cell"]["cell_type"] == "code"]
    assert counts == [started + 1, started + 2]
    # the next cell follows the last step, and IPython's history is numbered as the prompts are
    after = kernel.execute("3")
    assert next(m["content"]["execution_count"] for m in after.messages if m["msg_type"] == "execute_input") == \
        counts[-1] + 1
    assert kernel.value(f"[In[{started}], In[{counts[0]}], In[{counts[-1] + 1}]]") == [
        "get_ipython().run_cell_magic('codeact', '', 'Count.\\n')", "1 + 1", "3"]


def test_with_no_insert_or_no_frontend_the_whole_transcript_stays(kernel, server):
    server.enqueue(turn("Print it.", "print('hello from step 1')"), turn("It printed $5."))
    result = kernel.execute("%%codeact\nSay hello.", metadata={"cellId": "cell-full"})
    assert result.status == "ok", result.text
    shown = "\n".join(texts(cell_outputs(result)))
    assert "Step 1" in shown and "hello from step 1" in shown and "It printed $5." in shown
    assert not any(STEPS_MIME in o.get("data", {}) for o in cell_outputs(result))
    comm_id = kernel.open_frontend()
    try:
        server.enqueue(turn("Print it.", "print('kept in the cell')"), turn("Done."))
        result = kernel.execute("%%codeact --no-insert\nSay hello.", metadata={"cellId": "cell-none"})
        assert "kept in the cell" in "\n".join(texts(cell_outputs(result)))
    finally:
        kernel.close_frontend(comm_id)


def test_a_run_that_started_before_the_frontend_offers_the_compact_outputs(kernel, server):
    """Run All: the page's comm reaches the kernel after the %%codeact cell started, so the cell shows the whole
    transcript; the run's last message offers the outputs of the compact cell, which the extension puts in place."""
    server.enqueue(turn("Print it.", "print('step output')"), turn("It costs $5."))
    result = kernel.execute("%%codeact\nPrint something.", metadata={"cellId": "cell-late"})
    assert result.status == "ok", result.text
    assert "step output" in "\n".join(texts(cell_outputs(result)))  # the whole transcript, as without a frontend
    runs = result.codeact("run")
    offered = runs[-1]["run"]["compact_outputs"]
    assert all("compact_outputs" not in r["run"] for r in runs[:-1])
    assert [o["output_type"] for o in offered] == ["display_data"] * 3
    assert offered[0]["data"]["text/plain"].startswith("done · step 1 of 20")
    assert offered[1]["data"]["text/markdown"] == "It costs \\\\$5."
    assert offered[2]["data"][STEPS_MIME]["text"] == "1 step below ↓"
    # not when the cell is compact already, nor with --no-insert
    comm_id = kernel.open_frontend()
    try:
        server.enqueue(turn("Again.", "1"), turn("Done."))
        compact = kernel.execute("%%codeact\nAgain.", metadata={"cellId": "cell-late"})
        assert "compact_outputs" not in compact.codeact("run")[-1]["run"]
    finally:
        kernel.close_frontend(comm_id)
    server.enqueue(turn("Again.", "1"), turn("Done."))
    kept = kernel.execute("%%codeact --no-insert\nAgain.", metadata={"cellId": "cell-late"})
    assert "compact_outputs" not in kept.codeact("run")[-1]["run"]


def test_widgets_are_closed_so_a_reloaded_page_gets_their_states(kernel, server, frontend):
    """A reloaded page asks the kernel for every widget's state; a progress box left open with closed children
    made that fail with "'NoneType' object has no attribute 'comm_id'"."""
    server.enqueue(turn("One.", "1"), turn("Done."))
    result = kernel.execute("%%codeact\nOne step.", metadata={"cellId": "cell-widgets"})
    assert result.status == "ok", result.text
    assert any("application/vnd.jupyter.widget-view+json" in m["content"].get("data", {})
               for m in result.outputs("display_data"))  # the progress bar was shown
    check = kernel.execute("import ipywidgets as _w\n"
                           "print(sorted(type(w).__name__ for w in _w.Widget.widgets.values() "
                           "if type(w).__name__ in ('HBox', 'IntProgress', 'HTML')))")
    assert check.stdout.strip() == "[]", check.stdout
    outputs = cell_outputs(result)
    assert not any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
