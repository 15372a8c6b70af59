"""Notebook 7 loads the extension too: a run's cells are inserted live below the %%codeact cell, and the runs panel
sits in the right sidebar (View > Right Sidebar, or the command palette)."""

from __future__ import annotations

import pytest

from lab import NotebookPage, make_notebook
from test_lab import REVENUE_TASK, ROLES, SETUP

pytestmark = pytest.mark.ui


def test_notebook7_inserts_the_run_and_shows_the_panel_on_the_right(lab, page):
    make_notebook(lab.root / "nb7.ipynb", [("setup", "code", SETUP), ("task", "code", REVENUE_TASK),
                                           ("mine", "code", "print('mine')")])
    nb = NotebookPage(page, lab, "nb7.ipynb", app="notebooks").open()
    assert page.locator("#codeact-runs").count() == 1  # the plugin is active on the notebook page
    nb.run_cell(0)
    nb.wait_idle()
    nb.run_cell(1)
    page.wait_for_function("() => document.querySelector(\".jp-codeact-Cell[data-codeact-role='answer']\")",
                           timeout=60_000)
    nb.wait_idle()
    cells = nb.cells()
    assert [c["role"] for c in cells[2:9]] == ROLES
    assert [c["source"] for c in cells if not c["codeact"]][-1] == "print('mine')"
    assert [c["outputs"][0].strip() for c in cells if c["label"] == "step 3"] == ["total: 9.0"]

    # the panel, opened from the command palette, in Notebook 7's right sidebar
    page.keyboard.press("Escape")
    page.keyboard.press("Control+Shift+c")
    page.keyboard.type("Show codeact Runs")
    page.keyboard.press("Enter")
    panel = page.locator("#codeact-runs")
    panel.wait_for(state="visible", timeout=10_000)
    assert page.locator("#jp-right-stack #codeact-runs").count() == 1
    page.locator("#codeact-runs .jp-codeact-RunItem[data-status='done']").wait_for(timeout=20_000)
    assert panel.locator("[data-figure='steps']").first.inner_text() == "3 of 20 steps"
    page.evaluate("() => document.querySelector('.jp-codeact-Cell').scrollIntoView({block: 'start'})")
    nb.screenshot("notebook7.png")
