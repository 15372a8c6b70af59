"""JupyterLab in Chromium: one transcript. With the extension, a run's steps appear once, as the inserted cells, and
the %%codeact cell keeps only its status line, the answer and a link; the saved file holds each output once; a
``$`` amount in the model's Markdown renders as money, not maths; a reload shows no errors in the browser's console.
"""

from __future__ import annotations

import time

import pytest

from lab import NotebookPage, make_notebook
from scripts import SCRIPTS

pytestmark = pytest.mark.ui

#: Two steps, one printing a marker and one showing a rich display; the answer has dollar amounts and real maths.
MONEY = {"match": "regional sales", "turns": [
    {"text": "The north first, which costs $5 to check.", "code": "print('north-marker', sales['north'])"},
    {"text": "Then the south, as a table.",
     "code": "from IPython.display import HTML\nHTML('<b>south-marker</b> 16831')"},
    {"text": "North made $22,984 and South $16,831; the share is $$\\frac{22984}{39815}$$ and "
             "\\(x^2\\) stays maths."},
]}


@pytest.fixture(scope="module")
def model_server(ui_ready):
    from standin import StandIn

    with StandIn(scripts=[*SCRIPTS, MONEY], latency=0.2) as server:
        yield server


SETUP = "%load_ext codeact_magic\nsales = {'north': 22984, 'south': 16831}"
TASK = "%%codeact\nCompare the regional sales in `sales`."


FRONTENDS = "get_ipython().magics_manager.registry['CodeActMagics'].frontend.frontends"


def open_notebook(lab, page, name: str) -> NotebookPage:
    make_notebook(lab.root / name, [("setup", "code", SETUP), ("task", "code", TASK), ("mine", "code", FRONTENDS)])
    return NotebookPage(page, lab, name).open()


def run(nb: NotebookPage) -> None:
    nb.open_panel()
    nb.run_cell(0)
    nb.wait_idle()
    nb.run_cell(1)
    nb.page.wait_for_function(
        "() => document.querySelectorAll(\"#codeact-runs .jp-codeact-RunItem[data-status='done']\").length >= 1",
        timeout=60_000)
    nb.wait_idle()
    time.sleep(0.5)


def test_steps_appear_once_and_dollars_render_as_money(lab, page):
    nb = open_notebook(lab, page, "money.ipynb")
    run(nb)
    cells = nb.cells()
    task = cells[1]
    # the %%codeact cell: status line, answer, "2 steps below ↓" — no step code, no step output
    assert len(task["outputs"]) == 3, task["outputs"]
    assert task["outputs"][0].startswith("done · step 2 of 20")
    assert "North made $22,984 and South $16,831" in task["outputs"][1]
    assert "2 steps below ↓" in task["outputs"][2]
    assert not any("north-marker" in o or "south-marker" in o for o in task["outputs"])
    # the steps are the inserted cells, each output there once
    inserted = [c for c in cells if c["codeact"]]
    assert [c["role"] for c in inserted] == ["reasoning", "step", "reasoning", "step", "answer"]
    shown = [o for c in cells for o in c["outputs"]]
    assert sum("north-marker" in o for o in shown) == 1 and sum("south-marker" in o for o in shown) == 1
    # money is text; $$…$$ and \(…\) are typeset by MathJax
    answer = nb.page.locator(".jp-codeact-Cell[data-codeact-role='answer'] .jp-MarkdownOutput")
    text = answer.inner_text()
    assert "North made $22,984 and South $16,831" in text and "\\$" not in text
    assert answer.locator("mjx-container").count() == 2
    reasoning = nb.page.locator(".jp-codeact-Cell[data-codeact-role='reasoning'] .jp-MarkdownOutput").first
    assert "costs $5 to check" in reasoning.inner_text() and reasoning.locator("mjx-container").count() == 0
    compact_answer = nb.cell(1).locator(".jp-OutputArea-output").nth(1)
    assert compact_answer.locator("mjx-container").count() == 2
    nb.cell(1).scroll_into_view_if_needed()
    nb.screenshot("transcript-compact.png")
    # the saved notebook holds each step output once
    nb.save()
    saved = nb.read_file()
    texts = [str(o.get("text", "")) + str(o.get("data", {})) for c in saved.cells for o in c.get("outputs", [])]
    assert sum("north-marker" in t for t in texts) == 1 and sum("south-marker" in t for t in texts) == 1
    assert len(saved.cells[1].outputs) == 3


def test_run_all_leaves_the_cell_compact_too(lab, page):
    """Run All queues the %%codeact cell before the page's comm reaches the kernel (it opens once the magic is
    loaded), so the kernel shows the whole transcript; the extension then puts the compact outputs in place."""
    nb = open_notebook(lab, page, "run-all.ipynb")
    nb.open_panel()
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    page.wait_for_function(
        "() => document.querySelectorAll(\"#codeact-runs .jp-codeact-RunItem[data-status='done']\").length >= 1",
        timeout=60_000)
    nb.wait_idle()
    time.sleep(0.5)
    task = nb.cells()[1]
    assert len(task["outputs"]) == 3, task["outputs"]
    assert task["outputs"][0].startswith("done · step 2 of 20") and "2 steps below ↓" in task["outputs"][2]
    shown = [o for c in nb.cells() for o in c["outputs"]]
    assert sum("north-marker" in o for o in shown) == 1
    nb.save()
    saved = nb.read_file()
    assert len(saved.cells[1].outputs) == 3
    assert sum("north-marker" in str(o.get("text", "")) for c in saved.cells for o in c.get("outputs", [])) == 1
    counts = [c.execution_count for c in saved.cells if c.cell_type == "code" and c.execution_count is not None]
    assert counts == sorted(counts), counts


def test_no_console_errors_after_a_reload(lab, page):
    nb = open_notebook(lab, page, "reload-console.ipynb")
    run(nb)
    nb.save()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.reload()
    nb.wait_ready()
    nb.open_panel()
    # the widget manager asks the kernel for its widgets' states after a reload; JupyterLab's log console gets the
    # kernel's messages that belong to no cell (a comm handler's traceback), and its status bar item shows when it
    # holds any: wait for it a while
    status = nb.page.locator(".jp-LogConsoleStatusItem")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not (status.count() and status.first.is_visible()):
        time.sleep(0.25)
    logged = ""
    if status.count() and status.first.is_visible():
        status.first.click()
        nb.page.locator(".jp-LogConsole").first.wait_for(timeout=10_000)
        time.sleep(0.5)
        logged = "\n".join(nb.page.locator(".jp-LogConsole").all_inner_texts())
    assert "comm_id" not in logged and "Traceback" not in logged and "Error" not in logged, logged
    assert not [e for e in errors if "comm_id" in e or "Error" in e], errors
    # the page that went away closed its comm: the kernel counts one frontend, so a run stays compact only for a
    # page that is there to insert its cells
    count = len(nb.inserted()) + 2  # setup, task, the run's cells: the last cell is the count's
    nb.run_cell(count)
    nb.wait_idle()
    nb.page.wait_for_function("(i) => document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')[i]"
                              ".querySelector('.jp-OutputArea-output')", arg=count, timeout=10_000)
    assert nb.cells()[count]["outputs"] == ["1"], nb.cells()[count]
    nb.screenshot("after-reload.png")
