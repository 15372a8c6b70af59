"""The model's question in JupyterLab, in Chromium: ``ask_user`` is asked on the kernel's stdin, the panel's live card
shows it in a Question box that answers it (the same ``input_reply`` as the box under the cell), the reply reaches the
model, the question and its answer become a Markdown cell among the run's cells, and the card shows the ``-o``
result checked. Screenshots go to ``tests/ui/artifacts/``."""

from __future__ import annotations

import time
from typing import Any

import pytest

from scripts import REACH_QUESTION
from test_lab import notebook, wait_for_run

pytestmark = pytest.mark.ui

TASK = "%%codeact -o shares --returns 'dict[str, float]'\nThe shares of the products in `df`, as a dict."
REPLY = "The quantity, please"


def tool_results(body: dict[str, Any]) -> list[str]:
    """The text of every ``tool_result`` in the last user message of a request."""
    last = [m for m in body["messages"] if m["role"] == "user"][-1]
    texts = []
    for block in last["content"] if isinstance(last["content"], list) else []:
        if block.get("type") == "tool_result":
            content = block.get("content")
            texts.append(content if isinstance(content, str)
                         else "".join(b.get("text", "") for b in content or [] if b.get("type") == "text"))
    return texts


def test_the_panel_answers_the_models_question_and_the_card_shows_the_result(lab, page, model_server):
    nb = notebook(lab, page, "reach.ipynb", ("task", "code", TASK))
    nb.open_panel()
    nb.run_cell(0)
    nb.wait_idle()
    nb.run_cell(1)
    box = page.locator("#codeact-runs .jp-codeact-Live .jp-codeact-question")
    box.wait_for(timeout=30_000)
    assert box.locator(".jp-codeact-questionText").inner_text() == REACH_QUESTION
    assert box.locator("button").all_inner_texts() == ["Answer", "Skip"]
    assert box.locator("button.jp-codeact-answer").is_disabled()
    # the kernel asks on stdin: the box under the cell shows the same question
    stdin = nb.cell(1).locator(".jp-Stdin")
    stdin.wait_for(timeout=10_000)
    assert REACH_QUESTION in stdin.inner_text()
    # while it waits, the card says the result is still to come
    result = page.locator("#codeact-runs .jp-codeact-Live .jp-codeact-result")
    assert result.inner_text() == "result shares: dict[str, float]"
    field = box.locator("input.jp-codeact-questionInput")
    field.fill(REPLY)
    time.sleep(0.3)
    nb.screenshot("question-panel.png")
    box.locator("button.jp-codeact-answer").click()
    box.wait_for(state="detached", timeout=10_000)
    wait_for_run(nb)

    # the model got the reply as the ask_user tool's result
    asked = [r.body for r in model_server.requests
             if "shares of the products" in str(r.body.get("messages", [{}])[0].get("content"))]
    after = [b for b in asked if sum(m["role"] == "assistant" for m in b["messages"]) == 1]
    assert after and tool_results(after[0]) == [f"The user answered: {REPLY}"]

    # the question and its answer are a rendered Markdown cell, between the %%codeact cell and the step
    cells = nb.cells()
    roles = [c["role"] if c["codeact"] else c["source"].split("\n")[0] for c in cells]
    assert roles == ["%load_ext codeact_magic", "%%codeact -o shares --returns 'dict[str, float]'",
                     "reasoning", "question", "reasoning", "step", "answer", "print('mine')"], roles
    question = cells[roles.index("question")]
    assert question["type"] == "markdown"
    assert question["text"].split("\n")[0].strip() == f"Claude asked: {REACH_QUESTION}", question["text"]
    assert f"Answer: {REPLY}" in question["text"]
    cell = nb.cell(roles.index("question"))
    assert "jp-mod-rendered" in cell.get_attribute("class")
    assert cell.locator(".jp-MarkdownOutput strong").all_inner_texts() == ["Claude asked:", "Answer:"]

    # the finished card shows the result variable checked
    card = nb.run_item("done").first
    chip = card.locator(".jp-codeact-result")
    assert chip.inner_text() == "result shares: dict[str, float] ✓"
    assert chip.get_attribute("data-status") == "valid"
    page.evaluate("(i) => document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')[i]"
                  ".scrollIntoView({block: 'start'})", roles.index("%%codeact -o shares --returns 'dict[str, float]'"))
    time.sleep(0.3)
    nb.screenshot("question-cell.png")

    # saved, the cell is the run's question cell
    nb.save()
    saved = [c for c in nb.read_file().cells if c.metadata.get("codeact", {}).get("role") == "question"]
    assert len(saved) == 1 and saved[0].cell_type == "markdown"
    assert saved[0].source == f"**Claude asked:** {REACH_QUESTION}\n\n**Answer:** {REPLY}"
