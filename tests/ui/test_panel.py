"""The runs panel and the notebook around it, in Chromium: a card's start time and run id, the panel's totals, a run
replaced by a re-run of its cell, step counts that agree while a step runs, the steps link (the
``application/vnd.codeact.steps+json`` output) and its Go to, execution counts that read top to bottom, and the panel
opened from the notebook toolbar in JupyterLab and Notebook 7.

The notebooks, the scripted model and the helpers are those of ``test_lab.py``; screenshots go to
``tests/ui/artifacts/``.
"""

from __future__ import annotations

import json
import re
import time
from datetime import datetime
from typing import Any

import pytest

from lab import CURRENT, NotebookPage, make_notebook
from test_lab import REVENUE_TASK, ROLES, SETUP, layout, notebook, start_live_run, wait_for_run

pytestmark = pytest.mark.ui

STEPS_MIME = "application/vnd.codeact.steps+json"
#: The toolbar button of a notebook that opens the runs panel.
PANEL_BUTTON = ".jp-NotebookPanel-toolbar [data-command='codeact:open-panel']"
CELLS = f"{CURRENT} .jp-Notebook .jp-Cell"
#: Code cells tall enough that the run's first cell is out of view from the last one.
FILLERS = [(f"f{i}", "code", f"# filler {i}\n\n\n\nfiller_{i} = {i}") for i in range(14)]


def steps_link_cell(run_id: str | None = None) -> str:
    """Source of a cell that shows the steps link of the kernel's last run (or of `run_id`), as the compact output of
    a ``%%codeact`` cell ends."""
    run = ("get_ipython().magics_manager.registry['CodeActMagics'].runs[-1].run_id" if run_id is None
           else repr(run_id))
    return ("from IPython.display import display\n"
            f"run_id = {run}\n"
            "text = '3 steps below ↓'\n"
            f"display({{'text/plain': text, {STEPS_MIME!r}: "
            "{'run_id': run_id, 'steps': 3, 'cells': 7, 'text': text}}, raw=True)")


def open_panel_from_toolbar(nb: NotebookPage) -> Any:
    button = nb.page.locator(f".jp-NotebookPanel:not(.lm-mod-hidden) {PANEL_BUTTON}").first
    button.wait_for(timeout=20_000)
    button.click()
    panel = nb.page.locator("#codeact-runs")
    panel.wait_for(state="visible", timeout=10_000)
    return panel


def prompts(nb: NotebookPage) -> list[tuple[str, int | None]]:
    """(first line, execution count) of each code cell, in notebook order."""
    found = []
    for cell in nb.cells():
        if cell["type"] == "code":
            match = re.fullmatch(r"\[(\d+)\]:", cell["prompt"])
            found.append((cell["label"] or cell["source"].split("\n")[0], int(match.group(1)) if match else None))
    return found


def assert_counts_read_top_to_bottom(counts: list[tuple[str, int | None]]) -> None:
    ran = [count for _, count in counts if count is not None]
    assert ran == sorted(ran) and len(set(ran)) == len(ran), counts


def tokens_of(card: Any) -> int:
    text = card.locator("[data-figure='tokens']").inner_text()
    tokens = re.fullmatch(r"([\d,]+) in / ([\d,]+) out tokens", text)
    return int(tokens.group(1).replace(",", "")) + int(tokens.group(2).replace(",", ""))


def cost_of(card: Any) -> float:
    return float(card.locator("[data-figure='cost']").inner_text().lstrip("$"))


def wait_for_active(nb: NotebookPage, predicate: str, timeout: float = 10_000) -> None:
    """Wait until the active cell of the current notebook satisfies the JS expression `predicate` (of `cell`)."""
    nb.page.wait_for_function(
        "() => { const cell = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell.jp-mod-active');"
        f" return !!cell && ({predicate}); }}", timeout=timeout)


def in_view(nb: NotebookPage, selector: str) -> bool:
    return nb.page.evaluate(
        """(selector) => {
          const cell = document.querySelector(selector);
          const scroller = cell && cell.closest('.jp-WindowedPanel-outer, .jp-Notebook');
          if (!cell || !scroller) return false;
          const a = cell.getBoundingClientRect(), b = scroller.getBoundingClientRect();
          return a.top >= b.top - 1 && a.top < b.bottom - 20;
        }""", selector)


def test_a_card_shows_its_start_time_and_run_id_the_panel_its_totals_and_counts_read_top_to_bottom(lab, page):
    nb = notebook(lab, page, "cards.ipynb", ("task", "code", REVENUE_TASK))
    panel = open_panel_from_toolbar(nb)  # JupyterLab has the toolbar button too
    nb.run_cell(0)
    nb.wait_idle()
    nb.run_cell(1)
    wait_for_run(nb)
    card = nb.run_item("done").first
    run_id = nb.inserted()[0]["run"]

    # the start time, in local time of day, from the kernel's ISO UTC
    started = card.locator("time.jp-codeact-started")
    iso = started.get_attribute("datetime")
    local = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone()
    assert started.inner_text() == local.strftime("%H:%M:%S")
    assert abs((datetime.now().astimezone() - local).total_seconds()) < 300
    # the run id, monospace and selected whole by a click
    shown_id = card.locator(".jp-codeact-meta .jp-codeact-runId").first
    assert shown_id.inner_text() == run_id
    style = shown_id.evaluate("el => { const s = getComputedStyle(el); return [s.fontFamily, s.userSelect]; }")
    assert "mono" in style[0].lower() and style[1] == "all", style
    shown_id.click()
    assert page.evaluate("() => window.getSelection().toString()") == run_id

    # the totals of one run are its figures
    totals = panel.locator(".jp-codeact-totals")
    assert int(totals.get_attribute("data-tokens")) == tokens_of(card)
    assert totals.locator(".jp-codeact-totalsText").inner_text() == (
        f"1 run · {tokens_of(card):,} tokens · {card.locator('[data-figure=cost]').inner_text()}")
    nb.screenshot("panel-card.png", selector="#codeact-runs")

    # [n] on the %%codeact cell, [n+1]... on its steps below, on the page and in the file
    counts = prompts(nb)
    assert [label for label, _ in counts] == ["%load_ext codeact_magic", "%%codeact", "step 1", "step 2", "step 3",
                                              "print('mine')"]
    assert_counts_read_top_to_bottom(counts)
    task, *steps = [count for _, count in counts[1:5]]
    assert steps == [task + 1, task + 2, task + 3], counts
    nb.save()
    saved = [(c.metadata.get("codeact", {}).get("role", c.source.split("\n")[0]), c.execution_count)
             for c in nb.read_file().cells if c.cell_type == "code"]
    assert saved == [("%load_ext codeact_magic", counts[0][1]), ("%%codeact", task), ("step", task + 1),
                     ("step", task + 2), ("step", task + 3), ("print('mine')", None)]

    # a second run of the same cell: two runs in the totals, counts still top to bottom
    nb.run_cell(1)
    wait_for_run(nb, count=2)
    cards = nb.run_item("done")
    assert cards.count() == 2
    expected = sum(tokens_of(cards.nth(i)) for i in range(2))
    page.wait_for_function("(n) => document.querySelector('#codeact-runs .jp-codeact-totals')?.dataset.tokens == n",
                           arg=expected, timeout=10_000)
    assert totals.locator(".jp-codeact-totalsText").inner_text().startswith(f"2 runs · {expected:,} tokens · $")
    assert float(totals.get_attribute("data-cost")) == pytest.approx(cost_of(cards.nth(0)) + cost_of(cards.nth(1)),
                                                                     abs=2e-4)
    counts = prompts(nb)
    assert_counts_read_top_to_bottom(counts)
    assert counts[1][1] > task + 3
    nb.screenshot("panel-totals.png", selector="#codeact-runs")


def test_the_steps_link_goes_to_the_first_step_and_a_rerun_marks_the_first_run_replaced(lab, page):
    nb = notebook(lab, page, "steplink.ipynb", ("task", "code", REVENUE_TASK), *FILLERS,
                  ("link", "code", steps_link_cell()), ("stray", "code", steps_link_cell("r-not-here")))
    nb.open_panel()
    nb.run_cell(0)
    nb.wait_idle()
    nb.run_cell(1)
    wait_for_run(nb)
    first_run = nb.inserted()[0]["run"]
    link_cell = 2 + len(ROLES) + len(FILLERS)  # setup, task, the run's cells, the fillers (far below: not rendered yet)
    nb.run_cell(link_cell)
    assert "runs[-1]" in nb.cells()[link_cell]["source"]
    nb.wait_idle()
    nb.run_cell(link_cell + 1)
    nb.wait_idle()

    # the link of a run whose cells are here: its line and a Go to
    link = nb.cell(link_cell).locator(".jp-codeact-StepsLink")
    link.wait_for(timeout=10_000)
    assert link.get_attribute("data-state") == "cells"
    assert link.locator(".jp-codeact-stepsText").inner_text() == "3 steps below ↓"
    goto = link.locator(".jp-codeact-stepsGoto")
    assert goto.is_visible() and "run " + first_run in goto.get_attribute("title")
    # the link of a run this notebook has no cells of: the plain line
    stray = nb.cell(link_cell + 1).locator(".jp-codeact-StepsLink")
    assert stray.get_attribute("data-state") == "absent"
    assert stray.inner_text().strip() == "3 steps below ↓" and not stray.locator(".jp-codeact-stepsGoto").is_visible()
    nb.screenshot("steps-link.png", selector=f"{CELLS} >> nth={link_cell}")

    first_cell = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-codeact-Cell"
    assert not in_view(nb, first_cell)
    goto.click()
    wait_for_active(nb, f"cell.dataset.codeactRun === {json.dumps(first_run)} && "
                        "cell.dataset.codeactRole === 'reasoning'")
    time.sleep(0.5)  # the scroll
    assert in_view(nb, first_cell)
    nb.screenshot("steps-link-goto.png")

    # the same cell again: its cells replace the first run's, whose card and link say so
    nb.run_cell(1)
    wait_for_run(nb, count=2)
    assert layout(nb)[2:2 + len(ROLES)] == ROLES
    second_run = nb.inserted()[0]["run"]
    assert second_run != first_run
    old = page.locator(f"#codeact-runs .jp-codeact-RunItem[data-run-id='{first_run}']")
    new = page.locator(f"#codeact-runs .jp-codeact-RunItem[data-run-id='{second_run}']")
    assert old.get_attribute("data-replaced-by") == second_run
    assert old.locator(".jp-codeact-replaced").inner_text() == "replaced"
    assert f"replaced by {second_run}" in old.locator(".jp-codeact-meta").inner_text()
    assert new.get_attribute("data-replaced-by") is None and new.locator(".jp-codeact-replaced").count() == 0
    old_goto = old.locator(".jp-codeact-goto")
    assert old_goto.get_attribute("title").startswith(f"Replaced by run {second_run}")
    nb.screenshot("panel-replaced.png", selector="#codeact-runs")
    old_goto.click()
    page.locator(".Toastify__toast", has_text=f"were replaced by run {second_run}").first.wait_for(timeout=10_000)
    wait_for_active(nb, "cell.innerText.includes('%%codeact') && !cell.dataset.codeactRun")
    link = nb.cell(link_cell).locator(".jp-codeact-StepsLink")
    link.scroll_into_view_if_needed()
    page.wait_for_function("(el) => el.dataset.state === 'replaced'", arg=link.element_handle(), timeout=10_000)
    assert link.locator(".jp-codeact-stepsNote").text_content() == "replaced by a later run"  # set with the state
    assert not link.locator(".jp-codeact-stepsGoto").is_visible()
    nb.screenshot("steps-link-replaced.png", selector=f"{CELLS} >> nth={link_cell}")


def test_the_live_card_names_the_running_step_alike_everywhere(lab, page):
    nb = notebook(lab, page, "livecount.ipynb", ("slow", "code", "%%codeact\nA slow job over `df`"))
    live = start_live_run(nb)  # step 1 is a cell; step 2 sleeps once the model asked for it
    page.wait_for_function(
        "() => /Step 2/.test(document.querySelector('#codeact-runs .jp-codeact-currentStep .jp-codeact-label')"
        "?.textContent || '')", timeout=30_000)
    # read in one go: the card is rendered again at every message
    figure, label, text = live.evaluate(
        "el => [el.querySelector(\"[data-figure='steps']\").textContent,"
        " el.querySelector('.jp-codeact-currentStep .jp-codeact-label').textContent, el.innerText]")
    assert (figure, label) == ("2 of 20 running", "Step 2 of 20 running")
    assert "1 of 20" not in text
    assert re.fullmatch(r"\d\d:\d\d:\d\d", live.locator("time.jp-codeact-started").inner_text())
    assert re.fullmatch(r"r-\S+", live.locator(".jp-codeact-runId").first.inner_text())
    totals = page.locator("#codeact-runs .jp-codeact-totalsText").inner_text()
    assert totals.startswith("1 run · ")
    nb.screenshot("panel-live-steps.png", selector="#codeact-runs")
    live.locator(".jp-codeact-stop").click()
    wait_for_run(nb, status="stopped")
    assert nb.run_item("stopped").first.locator("[data-figure='steps']").inner_text() == "2 of 20 steps"


def test_notebook7_opens_the_panel_from_the_notebook_toolbar(lab, page):
    make_notebook(lab.root / "nb7panel.ipynb", [("setup", "code", SETUP), ("task", "code", REVENUE_TASK)])
    nb = NotebookPage(page, lab, "nb7panel.ipynb", app="notebooks").open()
    panel = page.locator("#codeact-runs")
    assert not panel.is_visible()
    button = page.locator(PANEL_BUTTON).first
    button.wait_for(timeout=20_000)
    assert "codeact runs" in (button.get_attribute("title") or "")
    nb.screenshot("notebook7-toolbar.png", selector=".jp-NotebookPanel-toolbar")
    button.click()
    panel.wait_for(state="visible", timeout=10_000)
    assert page.locator("#jp-right-stack #codeact-runs").count() == 1
    nb.run_cell(0)
    nb.wait_idle()
    nb.run_cell(1)
    page.locator("#codeact-runs .jp-codeact-RunItem[data-status='done']").wait_for(timeout=60_000)
    nb.wait_idle()
    counts = prompts(nb)
    assert_counts_read_top_to_bottom(counts)
    assert [label for label, _ in counts][1:5] == ["%%codeact", "step 1", "step 2", "step 3"]
    nb.screenshot("notebook7-panel.png")
