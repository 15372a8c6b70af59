"""Approval and isolation in JupyterLab, in Chromium: the step's code shows in the cell, the question is
JupyterLab's own stdin box (the kernel's ``input_request``) and, the same, buttons on the panel's live card; the run
card says where the steps ran and lists the files they wrote. Screenshots go to ``tests/ui/artifacts/``."""

from __future__ import annotations

import re

import pytest

from test_lab import notebook, wait_for_run

pytestmark = [pytest.mark.ui,
              pytest.mark.skipif(__import__("codeact_magic.confine", fromlist=["x"]).network_isolation() is not None,
                                 reason="no network namespace on this machine: --isolated refuses to run")]

TASK = "%%codeact --isolated --with df --approve always\nA controlled job: summarize `df` into a file."


def answer(nb, reply: str, step: int, shot: str | None = None) -> tuple[str, str]:
    """Wait for the stdin box that asks about `step` under the running cell, type `reply` and Enter; returns its
    prompt and what the cell's output area showed while it asked (screenshot `shot` then)."""
    page = nb.page
    asking = f"Run step {step}?"
    try:
        page.wait_for_function(
            "(asking) => [...document.querySelectorAll('.jp-Stdin')].some(s => s.querySelector('.jp-Stdin-input')"
            " && (s.querySelector('.jp-Stdin-prompt')?.textContent || '').startsWith(asking))",
            arg=asking, timeout=30_000)
    except Exception:
        nb.screenshot(f"approval-missing-{step}.png")
        raise
    stdin = page.locator(".jp-Stdin").filter(has_text=asking).last
    prompt = stdin.locator(".jp-Stdin-prompt").inner_text()
    shown = nb.cell(1).locator(".jp-OutputArea").inner_text()
    if shot:
        nb.screenshot(shot)
    box = stdin.locator(".jp-Stdin-input")
    box.fill(reply)
    box.press("Enter")
    return prompt, shown


def test_approval_is_asked_in_the_cell_and_the_card_shows_the_sandbox_and_its_files(lab, page):
    nb = notebook(lab, page, "control.ipynb", ("task", "code", TASK))
    nb.open_panel()
    nb.run_cell(0)
    nb.wait_idle()
    nb.run_cell(1)
    first, shown = answer(nb, "y", 1, shot="approval-prompt.png")
    assert first.startswith("Run step 1?") and "y run it" in first
    # the code of the step asked about is in the cell above the question
    assert "print('sandbox pid', os.getpid())" in shown and shown.index("sandbox pid") < shown.index("Run step 1?")
    # the panel asks the same question, and its buttons send the same reply
    approval = nb.page.locator("#codeact-runs .jp-codeact-Live .jp-codeact-approval")
    approval.wait_for(timeout=30_000)
    assert approval.locator(".jp-codeact-approvalQuestion").inner_text() == "Run step 2?"
    assert approval.locator("button").all_inner_texts() == ["Run", "Skip", "Run all", "Quit"]
    nb.screenshot("approval-panel.png", selector="#codeact-runs")
    approval.locator("button[data-answer='y']").click()
    approval.wait_for(state="detached", timeout=10_000)
    wait_for_run(nb)
    card = nb.run_item("done").first
    chips = card.locator(".jp-codeact-chip").all_inner_texts()
    assert chips == ["isolated · no network", "approve always"]
    files = card.locator(".jp-codeact-files li").all_inner_texts()
    assert len(files) == 1 and re.fullmatch(r"\+ summary\.csv \d+ B", files[0].replace("\u00a0", " ")), files
    nb.screenshot("control-card.png", selector="#codeact-runs")
    # the steps' cells record how each was approved; the user's kernel is another process
    nb.save()
    steps = [c for c in nb.read_file().cells if c.metadata.get("codeact", {}).get("role") == "step"]
    assert [c.metadata["codeact"]["approval"]["answer"] for c in steps] == ["y", "y"]
    assert steps[1].metadata["codeact"]["files"]["changes"][0]["path"] == "summary.csv"
    pid = int(re.search(r"sandbox pid (\d+)", steps[0].outputs[0]["text"]).group(1))
    last = len(nb.cells()) - 1  # the user's own cell, below the run's cells
    nb.set_source(last, "import os\nprint('user pid', os.getpid())")
    nb.run_cell(last)
    output = nb.cell(last).locator(".jp-OutputArea-output")
    output.first.wait_for(timeout=20_000)
    user_pid = int(re.search(r"user pid (\d+)", output.first.inner_text()).group(1))
    assert pid != user_pid
