"""Undo from the runs panel, in JupyterLab in Chromium: a run's step changes the user's list in place and writes a
file; the card's Undo asks first, the kernel puts the list and the file back, and the run's cells stay, greyed with an
"undone" badge (saved in the file as ``metadata.codeact.undone``). When the user changed the list since the run, the
kernel refuses and the panel offers "Undo anyway", which restores it all the same. Screenshots go to
``tests/ui/artifacts/``."""

from __future__ import annotations

import time
from typing import Any

import pytest

from lab import NotebookPage, make_notebook
from test_lab import wait_for_run

pytestmark = pytest.mark.ui

SETUP = "%load_ext codeact_magic\nimport os\nnums = [1, 2, 3]"
TASK = "%%codeact\nAppend 4 to nums and write out.txt"
CHECK = 'print(nums, os.path.exists("out.txt"))'
ROLES = ["reasoning", "step", "answer"]
#: The dialog in front (JupyterLab shows one at a time).
DIALOG = ".jp-Dialog"


def open_notebook(lab, page, folder: str, *cells: tuple[str, str, str]) -> NotebookPage:
    """A notebook alone in its folder (the kernel's working directory, where the step writes out.txt); its last cell
    is the user's, so that Shift+Enter on the check cell adds none."""
    (lab.root / folder).mkdir()
    make_notebook(lab.root / folder / f"{folder}.ipynb", [("setup", "code", SETUP), ("task", "code", TASK), *cells,
                                                          ("check", "code", CHECK), ("mine", "code", "print('mine')")])
    return NotebookPage(page, lab, f"{folder}/{folder}.ipynb").open()


def index_of(nb: NotebookPage, first_line: str) -> int:
    """The position of the user's cell whose source starts with `first_line`."""
    return next(i for i, c in enumerate(nb.cells()) if not c["codeact"] and c["source"].startswith(first_line))


def run_and_read(nb: NotebookPage, first_line: str, timeout: float = 30) -> str:
    """Run the user's cell starting with `first_line` and return its output once it has one."""
    at = index_of(nb, first_line)
    nb.run_cell(at)
    nb.wait_idle()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        outputs = nb.cells()[at]["outputs"]
        if outputs:
            return "".join(outputs).strip()
        time.sleep(0.1)
    raise TimeoutError(f"the cell {first_line!r} has no output")


def run_the_task(nb: NotebookPage) -> Any:
    """Run the setup and the %%codeact cell; returns the finished run's card."""
    nb.open_panel()
    nb.run_cell(0)
    nb.wait_idle()
    nb.run_cell(1)
    wait_for_run(nb)
    assert [c["role"] for c in nb.inserted()] == ROLES
    assert (nb.server.root / nb.path).parent.joinpath("out.txt").exists()
    return nb.run_item("done").first


def undo_button(card: Any) -> Any:
    return card.locator("button.jp-codeact-undo")


def press(page, label: str) -> None:
    """Press the button `label` of the dialog in front, and wait until that dialog is gone (the next one, the kernel's
    answer, may be open by then)."""
    dialog = page.locator(DIALOG).first
    handle = dialog.element_handle()
    dialog.get_by_role("button", name=label, exact=True).click()
    page.wait_for_function("(el) => !el.isConnected", arg=handle, timeout=10_000)


def wait_undone(nb: NotebookPage, count: int, timeout: float = 30_000) -> None:
    nb.page.wait_for_function(
        "(count) => document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) "
        ".jp-codeact-Cell.jp-codeact-undone').length === count", arg=count, timeout=timeout)


def undone_cells(nb: NotebookPage) -> list[dict[str, Any]]:
    """What the page shows of each cell: its role (or first line), greyed or not, its badge and tooltip."""
    return nb.page.evaluate("""(root) => [...document.querySelectorAll(`${root} .jp-Notebook .jp-Cell`)].map(cell => {
        const badge = cell.querySelector(':scope > .jp-codeact-mark > .jp-codeact-undoneBadge');
        const spark = cell.querySelector(':scope > .jp-codeact-mark > .jp-codeact-badge');
        const input = cell.querySelector('.jp-Cell-inputWrapper');
        return {
          role: cell.dataset.codeactRole || null,
          undone: cell.classList.contains('jp-codeact-undone'),
          badge: badge ? badge.textContent : null,
          tooltip: spark ? spark.title : null,
          opacity: input ? getComputedStyle(input).opacity : null,
        };
      })""", ".jp-NotebookPanel:not(.lm-mod-hidden)")


def test_undo_asks_first_restores_the_list_and_the_file_and_greys_the_runs_cells(lab, page):
    nb = open_notebook(lab, page, "undo_confirm")
    card = run_the_task(nb)
    run_id = card.get_attribute("data-run-id")
    button = undo_button(card)
    page.wait_for_function("(b) => !b.disabled", arg=button.element_handle(), timeout=10_000)
    assert button.get_attribute("title") == "Restore the variables and files as they were before this run (asks first)"
    assert run_and_read(nb, "print(nums") == "[1, 2, 3, 4] True"

    button.click()
    dialog = page.locator(DIALOG)
    dialog.wait_for(timeout=10_000)
    assert dialog.locator(".jp-Dialog-header").inner_text().strip() == f"Undo run {run_id}?"
    body = dialog.locator(".jp-Dialog-body").inner_text()
    assert f"restores the variables and files as they were before run {run_id}" in body
    assert "stay in the notebook, marked undone" in body
    assert "later run" not in body
    assert [b.strip() for b in dialog.locator(".jp-Dialog-footer button").all_inner_texts()] == ["Cancel", "Undo"]
    assert "jp-mod-warn" in dialog.get_by_role("button", name="Undo", exact=True).get_attribute("class")
    nb.screenshot("undo-confirm.png")
    press(page, "Undo")

    wait_undone(nb, 3)
    cells = [c for c in undone_cells(nb) if c["role"]]
    assert [(c["role"], c["undone"], c["badge"]) for c in cells] == [(r, True, "undone") for r in ROLES]
    assert all(c["tooltip"].startswith("Inserted by %%codeact: ") and "; undone 20" in c["tooltip"] for c in cells)
    assert all(0.5 <= float(c["opacity"]) <= 0.6 for c in cells), cells
    assert not any(c["undone"] for c in undone_cells(nb) if not c["role"])
    toast = page.locator(".Toastify__toast", has_text=f"Undid run {run_id}")
    toast.first.wait_for(timeout=10_000)

    # the kernel has the list and the file as they were
    assert run_and_read(nb, "print(nums") == "[1, 2, 3] False"
    assert not (lab.root / "undo_confirm" / "out.txt").exists()

    # the card says undone, and its Undo is off
    page.wait_for_function("(b) => b.disabled", arg=button.element_handle(), timeout=10_000)
    assert button.get_attribute("title") == "Undone"
    assert "jp-codeact-undone" in card.get_attribute("class")
    assert card.locator(".jp-codeact-undoneChip").inner_text().startswith("undone ")
    nb.cell(1).scroll_into_view_if_needed()
    time.sleep(0.3)
    nb.screenshot("undo-cells.png")
    nb.screenshot("undo-card.png", selector="#codeact-runs")

    # saved: the run's cells carry when they were undone, the user's cells nothing; none removed
    nb.save()
    saved = nb.read_file().cells
    assert [c.metadata.get("codeact", {}).get("role") for c in saved] == [None, None, *ROLES, None, None]
    marks = [c.metadata["codeact"].get("undone") for c in saved if "codeact" in c.metadata]
    assert len(set(marks)) == 1 and marks[0].startswith("20"), marks

    # reloaded, the cells read from the file are marked again, and the kernel's runs (undone) change nothing
    page.reload()
    nb.wait_ready()
    wait_undone(nb, 3)
    nb.run_item("done").first.locator(".jp-codeact-undoneChip").wait_for(timeout=30_000)
    # the reloaded page draws its cells one after another: read the badges once every cell of the file is there
    page.wait_for_function("([root, n]) => document.querySelectorAll(`${root} .jp-Notebook .jp-Cell`).length === n",
                           arg=[".jp-NotebookPanel:not(.lm-mod-hidden)", len(saved)], timeout=30_000)
    assert [c["badge"] for c in undone_cells(nb)] == [None, None, "undone", "undone", "undone", None, None]
    assert [c.metadata.get("codeact", {}).get("undone") for c in nb.read_file().cells][2:5] == marks
    time.sleep(0.5)
    assert page.locator(".lm-DockPanel .lm-TabBar-tab.jp-mod-dirty").count() == 0  # nothing marked twice


def test_a_change_since_the_run_is_refused_and_undo_anyway_restores_it(lab, page):
    nb = open_notebook(lab, page, "undo_force", ("change", "code", "nums = nums + [99]"))
    card = run_the_task(nb)
    run_id = card.get_attribute("data-run-id")
    run_and_read_change(nb)

    button = undo_button(card)
    page.wait_for_function("(b) => !b.disabled", arg=button.element_handle(), timeout=10_000)
    button.click()
    page.locator(DIALOG).wait_for(timeout=10_000)
    press(page, "Undo")

    # the kernel refuses and says why; the panel offers to undo anyway
    dialog = page.locator(DIALOG)
    dialog.wait_for(timeout=30_000)
    assert dialog.locator(".jp-Dialog-header").inner_text().strip() == f"Run {run_id} not undone"
    report = dialog.locator("pre.jp-codeact-undoReport").inner_text()
    assert "you changed `nums`" in report and f"since run {run_id}" in report, report
    assert [b.strip() for b in dialog.locator(".jp-Dialog-footer button").all_inner_texts()] == ["Cancel",
                                                                                                 "Undo anyway"]
    assert not any(c["undone"] for c in undone_cells(nb))
    nb.screenshot("undo-refused.png")
    press(page, "Undo anyway")

    wait_undone(nb, 3)
    assert run_and_read(nb, "print(nums") == "[1, 2, 3] False"
    page.wait_for_function("(b) => b.disabled", arg=button.element_handle(), timeout=10_000)
    chip = card.locator(".jp-codeact-undoneChip")
    assert chip.get_attribute("data-forced") == "true"
    assert chip.inner_text().endswith("· forced")
    nb.screenshot("undo-forced-card.png", selector="#codeact-runs")


def run_and_read_change(nb: NotebookPage) -> None:
    """Bind the list to a new one from a cell after the run: the kernel's check sees it (a change in place it does not
    see, by design: README, Undo)."""
    nb.run_cell(index_of(nb, "nums = nums + [99]"))
    nb.wait_idle()
    assert run_and_read(nb, "print(nums") == "[1, 2, 3, 4, 99] True"


def test_codeact_undo_typed_in_a_cell_marks_the_cells_without_a_dialog(lab, page):
    nb = open_notebook(lab, page, "undo_magic", ("magic", "code", "%codeact undo"))
    card = run_the_task(nb)
    out = run_and_read(nb, "%codeact undo")
    assert out.startswith(f"Undid run {card.get_attribute('data-run-id')}"), out
    wait_undone(nb, 3)
    assert run_and_read(nb, "print(nums") == "[1, 2, 3] False"
    # the cell printed the report: the page shows no dialog and no news of its own
    assert page.locator(DIALOG).count() == 0
    assert page.locator(".Toastify__toast", has_text="Undid run").count() == 0
    page.wait_for_function("(b) => b.disabled", arg=undo_button(card).element_handle(), timeout=10_000)
    assert undo_button(card).get_attribute("title") == "Undone"
