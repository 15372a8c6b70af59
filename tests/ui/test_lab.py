"""JupyterLab in Chromium: a %%codeact run appears live as notebook cells below its cell, is saved once and not
duplicated by a reload or a second view, and the runs panel shows, stops and exports runs.

Each test has its own notebook (and so its own kernel) on one ``jupyter lab`` server; the model is the stand-in
(``tests/standin.py``) answering the scripts in ``scripts.py``.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import nbformat
import pytest

from lab import NotebookPage, make_notebook
from scripts import SERVICE_TOKEN

pytestmark = pytest.mark.ui

SETUP = ("%load_ext codeact_magic\nimport pandas as pd\n"
         "df = pd.DataFrame({'product': ['a', 'b', 'a'], 'qty': [1, 5, 1], 'price': [2.0, 1.0, 2.0]})")
REVENUE_TASK = "%%codeact\nTotal revenue of `df`, and which product leads?"
ROLES = ["reasoning", "step", "reasoning", "step", "reasoning", "step", "answer"]


def notebook(lab, page, name, *cells) -> NotebookPage:
    make_notebook(lab.root / name, [("setup", "code", SETUP), *cells, ("mine", "code", "print('mine')")])
    return NotebookPage(page, lab, name).open()


def wait_for_run(nb: NotebookPage, status: str = "done", count: int = 1, timeout: float = 60_000) -> None:
    nb.page.wait_for_function(
        "([status, count]) => document.querySelectorAll("
        "`#codeact-runs .jp-codeact-RunItem[data-status='${status}']`).length >= count",
        arg=[status, count], timeout=timeout)
    nb.wait_idle()


def layout(nb: NotebookPage) -> list[str]:
    """One word per cell: the user's cells by their first line, inserted ones by role."""
    return [c["role"] if c["codeact"] else c["source"].split("\n")[0] for c in nb.cells()]


def file_keys(nb: NotebookPage) -> list[str]:
    return [c.metadata["codeact"]["key"] for c in nb.read_file().cells if "codeact" in c.metadata]


def start_live_run(nb: NotebookPage) -> Any:
    """Run the setup cell and the %%codeact cell (cell 1), and wait until the panel shows the run live and step 1 is a
    cell already; returns the panel's live section."""
    live = nb.open_panel().locator(".jp-codeact-Live")
    nb.run_cell(0)
    nb.wait_idle()
    nb.run_cell(1)
    live.locator(".jp-codeact-currentStep").wait_for(timeout=30_000)
    nb.page.wait_for_function(
        "() => document.querySelectorAll(\".jp-codeact-Cell[data-codeact-label='step 1']\").length")
    return live


def run_revenue(nb: NotebookPage) -> None:
    nb.open_panel()
    nb.run_cell(0)
    nb.wait_idle()
    nb.run_cell(1)
    wait_for_run(nb)


def test_a_run_appears_as_cells_below_its_cell_in_order(lab, page):
    nb = notebook(lab, page, "revenue.ipynb", ("task", "code", REVENUE_TASK))
    run_revenue(nb)

    assert layout(nb) == ["%load_ext codeact_magic", "%%codeact", *ROLES, "print('mine')"]
    cells = nb.cells()
    inserted = cells[2:9]
    assert len({c["run"] for c in inserted}) == 1
    steps = [c for c in inserted if c["type"] == "code"]
    assert [c["source"].split("\n")[0] for c in steps] == [
        "df.columns.tolist()", "df['revenue'] = df.qty * df.price", "total = df.revenue.sum()"]
    assert "['product', 'qty', 'price']" in steps[0]["outputs"][0]
    assert re.search(r"a\s+4\.0\s+b\s+5\.0", steps[1]["outputs"][0])
    assert steps[2]["outputs"][0].strip() == "total: 9.0"
    counts = [int(re.fullmatch(r"\[(\d+)\]:", c["prompt"]).group(1)) for c in steps]
    assert counts == sorted(counts) and len(set(counts)) == 3
    assert [c["label"] for c in steps] == ["step 1", "step 2", "step 3"]
    markdown = [c for c in inserted if c["type"] == "markdown"]
    assert markdown[0]["text"].strip() == "Let me look at the columns first."
    assert "Total revenue: 9.0." in markdown[-1]["text"]
    # the user's place did not move: Shift+Enter left the cursor in the cell below, it is still there
    assert [c["source"] for c in cells if c["active"]] == ["print('mine')"]
    # the user's own cells carry no mark
    assert not any(c["codeact"] for c in cells[:2] + cells[9:])
    nb.page.evaluate("() => document.querySelector('.jp-codeact-Cell').scrollIntoView({block: 'start'})")
    time.sleep(0.3)
    nb.screenshot("notebook-after-run.png")


def test_saved_once_and_not_duplicated_by_reload_or_a_second_view(lab, page):
    nb = notebook(lab, page, "reload.ipynb", ("task", "code", REVENUE_TASK))
    run_revenue(nb)
    nb.save()
    keys = file_keys(nb)
    assert len(keys) == 7 and len(set(keys)) == 7
    saved = nb.read_file()
    nbformat.validate(saved)
    roles = [c.metadata["codeact"]["role"] for c in saved.cells if "codeact" in c.metadata]
    assert roles == ROLES
    assert all(c.metadata["codeact"]["source_hash"] for c in saved.cells if "codeact" in c.metadata)

    # reload the page: the panel gets the runs back from the kernel, and nothing is inserted again
    page.reload()
    nb.wait_ready()
    nb.open_panel()
    wait_for_run(nb)
    time.sleep(1.0)
    assert layout(nb) == ["%load_ext codeact_magic", "%%codeact", *ROLES, "print('mine')"]
    nb.save()
    assert file_keys(nb) == keys

    # a second view of the same notebook, then the same cell again: its cells replace the earlier run's, once
    page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.jp-mod-current").click(button="right")
    page.get_by_text("New View for Notebook", exact=True).click()
    page.wait_for_function("() => document.querySelectorAll('.jp-NotebookPanel').length === 2")
    nb.run_cell(1)
    wait_for_run(nb, count=2)
    time.sleep(1.0)
    nb.save()
    second = file_keys(nb)
    assert len(second) == 7 and len(set(second)) == 7 and not set(second) & set(keys)
    for panel in page.locator(".jp-NotebookPanel").all():
        shown = panel.locator(".jp-codeact-Cell").count()
        assert shown == 7

    # --insert append keeps the earlier run's cells and adds the new ones after them
    page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.jp-mod-current .lm-TabBar-tabCloseIcon").click()
    nb.set_source(1, REVENUE_TASK.replace("%%codeact", "%%codeact --insert append"))
    nb.run_cell(1)
    wait_for_run(nb, count=3)
    nb.save()
    third = file_keys(nb)
    assert third[:7] == second and len(third) == 14 and len(set(third)) == 14


def test_a_reload_during_a_run_loses_nothing_and_duplicates_nothing(lab, page):
    nb = notebook(lab, page, "midrun.ipynb", ("slow", "code", "%%codeact\nA slow job over `df`"))
    nb.open_panel()
    nb.run_cell(0)
    nb.wait_idle()
    nb.run_cell(1)
    page.locator("#codeact-runs .jp-codeact-Live .jp-codeact-currentStep").wait_for(timeout=30_000)
    nb.save()
    assert len(file_keys(nb)) == 3
    page.reload()
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    panel = nb.open_panel()
    # the kernel is busy in step 2: the page cannot have its runs yet, and says so
    panel.locator(".jp-codeact-waiting").wait_for(timeout=20_000)
    page.locator(".jp-Notebook").first.click()
    page.keyboard.press("Escape")
    page.keyboard.press("i")
    page.keyboard.press("i")  # Kernel > Interrupt, from the keyboard
    wait_for_run(nb, status="stopped")
    assert [c["label"] for c in nb.inserted()] == ["reasoning", "step 1", "reasoning", "step 2", "note"]
    nb.save()
    keys = file_keys(nb)
    assert len(keys) == 5 and len(set(keys)) == 5


def test_stop_ends_the_run_as_stopped_and_keeps_the_earlier_steps(lab, page):
    nb = notebook(lab, page, "stop.ipynb", ("slow", "code", "%%codeact\nA slow job over `df`"))
    live = start_live_run(nb)  # live: step 1 is already a cell while the run goes on
    assert live.locator(".jp-codeact-status").inner_text() == "running"
    assert "time.sleep(1)" in live.locator(".jp-codeact-currentStep pre").inner_text()
    assert "long computation" in live.locator(".jp-codeact-reasoning pre").inner_text()
    time.sleep(1.5)  # let the elapsed time tick
    assert float(live.locator("[data-figure='elapsed']").inner_text().split()[0]) >= 1.0
    nb.screenshot("panel-live.png")
    live.locator(".jp-codeact-stop").click()
    wait_for_run(nb, status="stopped")
    item = nb.run_item("stopped").first
    assert "Stopped by the user" in item.inner_text()
    assert item.locator("[data-figure='steps']").inner_text() == "2 of 20 steps"
    inserted = nb.inserted()
    assert [c["role"] for c in inserted] == ["reasoning", "step", "reasoning", "step", "note"]
    assert inserted[1]["outputs"] == ["3"]
    assert "KeyboardInterrupt" in "".join(inserted[3]["outputs"])
    assert "stopped" in inserted[-1]["text"].lower()


def test_stop_ends_a_step_that_ignores_sigint_and_a_secret_shows_masked(lab, page):
    nb = notebook(lab, page, "stubborn.ipynb", ("stubborn", "code", "%%codeact\nA stubborn job"))
    live = start_live_run(nb)
    time.sleep(1)  # the step has set SIG_IGN and spins
    started = time.monotonic()
    live.locator(".jp-codeact-stop").click()
    wait_for_run(nb, status="stopped", timeout=30_000)
    assert time.monotonic() - started < 15
    nb.screenshot("stopped-stubborn.png")
    inserted = nb.inserted()
    assert [c["role"] for c in inserted] == ["reasoning", "step", "reasoning", "step", "note"]
    assert inserted[1]["outputs"] == ["token: <redacted>\n"] or "token: <redacted>" in "".join(inserted[1]["outputs"])
    nb.save()
    saved = nbformat.writes(nb.read_file())
    assert SERVICE_TOKEN not in saved and "token: <redacted>" in saved
    # the kernel is usable afterwards and interrupts work again
    nb.run_cell(3)
    nb.wait_idle()


def test_the_users_place_and_edits_are_kept_while_cells_arrive_above(lab, page):
    """The user edits a cell far below while the run inserts cells above it: the same cell stays active and
    focused, it stays where it was on the screen, and the typing goes on in it."""
    own = [(f"u{i}", "code", f"# my cell {i}\nx_{i} = {i}") for i in range(30)]
    nb = notebook(lab, page, "place.ipynb", ("slow", "code", "%%codeact\nA slow job over `df`"), *own)
    panel = nb.open_panel()
    nb.run_cell(0)
    nb.wait_idle()
    nb.run_cell(1)
    target = nb.cell(2 + 25)
    target.scroll_into_view_if_needed()
    target.locator(".cm-content").click()
    page.keyboard.press("End")
    page.keyboard.type("  # mine")
    probe = """() => {
      const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
      const cell = [...panel.querySelectorAll('.jp-Cell')].find(c => c.innerText.includes('my cell 25'));
      const focused = document.activeElement && document.activeElement.closest('.jp-Cell');
      return {top: cell.getBoundingClientRect().top, active: cell.classList.contains('jp-mod-active'),
              focused: focused === cell};
    }"""
    before = page.evaluate(probe)
    assert before["active"] and before["focused"]
    page.wait_for_function("() => document.querySelectorAll('.jp-codeact-Cell').length >= 3", timeout=30_000)
    time.sleep(0.5)
    after = page.evaluate(probe)
    assert after["active"] and after["focused"]
    assert abs(after["top"] - before["top"]) < 2, (before, after)
    page.keyboard.type(" and more")
    assert "# my cell 25  # mine and more" in [c["source"].split("\n")[0] for c in nb.cells()]
    panel.locator(".jp-codeact-stop").click()
    wait_for_run(nb, status="stopped")
    assert len(nb.inserted()) == 5


def test_panel_figures_go_to_and_export(lab, page):
    nb = notebook(lab, page, "panel.ipynb", ("task", "code", REVENUE_TASK))
    run_revenue(nb)
    item = nb.run_item("done").first
    figures = {name: item.locator(f"[data-figure='{name}']").inner_text()
               for name in ("steps", "tokens", "cost", "elapsed")}
    # the same figures as the magic's own status line in the %%codeact cell
    status = next(o for o in nb.cells()[1]["outputs"] if o.startswith("done · step 3 of 20"))
    tokens = re.search(r"([\d,]+) in / ([\d,]+) out tokens", status)
    assert figures["steps"] == "3 of 20 steps"
    assert figures["tokens"] == f"{tokens.group(1)} in / {tokens.group(2)} out tokens"
    assert figures["cost"] == re.search(r"\$\d+\.\d{4}", status).group(0)
    assert re.fullmatch(r"\d+\.\d s", figures["elapsed"])
    assert "Total revenue of `df`" in item.locator(".jp-codeact-task").inner_text()
    assert "answered" in item.inner_text()
    nb.screenshot("panel-light.png", selector="#codeact-runs")

    # Go to: the run's first cell becomes active and is scrolled into view
    nb.cell(len(nb.cells()) - 1).locator(".cm-content").click()
    nb.page.keyboard.press("Escape")
    item.locator(".jp-codeact-goto").click()
    nb.page.wait_for_function(
        "() => document.querySelector('.jp-Cell.jp-mod-active')?.dataset.codeactRole === 'reasoning'")

    # Export: a new notebook beside this one, opened in a tab, never the user's file
    before = nb.read_file()
    item.locator(".jp-codeact-export").click()
    run_id = nb.inserted()[0]["run"]
    target = lab.root / f"codeact-{run_id}.ipynb"
    deadline = time.monotonic() + 30
    while not target.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert target.exists(), sorted(p.name for p in lab.root.iterdir())
    exported = nbformat.read(str(target), as_version=4)
    nbformat.validate(exported)
    assert exported.metadata["codeact"]["run"]["run_id"] == run_id
    assert [c.source for c in exported.cells if c.cell_type == "code"][0] == "df.columns.tolist()"
    nb.page.wait_for_selector(f".lm-TabBar-tab:has-text('codeact-{run_id}.ipynb')", timeout=20_000)
    assert nb.read_file() == before
    # a second export does not overwrite the first
    nb.page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="panel.ipynb").click()
    nb.run_item("done").first.locator(".jp-codeact-export").click()
    second = lab.root / f"codeact-{run_id}-1.ipynb"
    deadline = time.monotonic() + 30
    while not second.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert second.exists()


def test_no_insert_keeps_the_cells_out(lab, page):
    nb = notebook(lab, page, "noinsert.ipynb", ("task", "code", REVENUE_TASK.replace("%%codeact", "%%codeact --no-insert")))
    run_revenue(nb)
    assert layout(nb) == ["%load_ext codeact_magic", "%%codeact --no-insert", "print('mine')"]
    # the cell's own output still shows the whole run
    shown = "\n".join(nb.cells()[1]["outputs"])
    assert "df.columns.tolist()" in shown and "Total revenue: 9.0." in shown


def test_a_later_step_updates_the_display_of_an_earlier_steps_cell(lab, page):
    """Step 1 shows ``display(..., display_id=True)``, step 2 updates it: the inserted cell of step 1 shows the new
    value (the kernel sends an ``outputs`` message for it), on the page and in the saved file, as in a notebook."""
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on(
        "framereceived", lambda data: frames.append(data if isinstance(data, str) else data.decode("utf-8", "replace"))))
    nb = notebook(lab, page, "display.ipynb", ("task", "code", "%%codeact\nShow a progress display."))
    run_revenue(nb)
    assert [c["label"] for c in nb.inserted()] == ["reasoning", "step 1", "reasoning", "step 2", "answer"]
    first = "() => document.querySelector(\".jp-codeact-Cell[data-codeact-label='step 1'] .jp-OutputArea\")?.innerText"
    page.wait_for_function(f"() => ({first})().includes('progress: 100%')", timeout=10_000)
    assert any(re.search(r'"type":\s*"outputs"', frame) for frame in frames)  # not the cell sent late
    step1, step2 = [c for c in nb.inserted() if c["type"] == "code"]
    page.evaluate("() => document.querySelector(\".jp-codeact-Cell[data-codeact-label='step 1']\").scrollIntoView()")
    nb.screenshot("display-updated.png")
    assert "progress: 0%" not in "".join(step1["outputs"])
    assert "work done" in "".join(step2["outputs"])
    nb.save()
    saved = [c for c in nb.read_file().cells if c.metadata.get("codeact", {}).get("role") == "step"]
    outputs = json.dumps(saved[0].outputs)
    assert "progress: 100%" in outputs and "progress: 0%" not in outputs


def test_dark_theme(lab, page):
    """Screenshots of the notebook and the panel (live and done) in JupyterLab Dark; the panel uses only theme
    variables, so its colours follow the theme."""
    theme = lab.settings / "@jupyterlab/apputils-extension/themes.jupyterlab-settings"
    theme.parent.mkdir(parents=True, exist_ok=True)
    theme.write_text('{"theme": "JupyterLab Dark"}')
    try:
        nb = notebook(lab, page, "dark.ipynb", ("task", "code", REVENUE_TASK),
                      ("slow", "code", "%%codeact\nA slow job over `df`"))
        page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'", timeout=30_000)
        run_revenue(nb)
        panel_bg = page.evaluate(
            "() => getComputedStyle(document.querySelector('#codeact-runs .jp-codeact-RunsView')).backgroundColor")
        body_bg = page.evaluate("() => getComputedStyle(document.querySelector('.jp-codeact-RunsPanel'))"
                                ".backgroundColor")
        assert panel_bg in (body_bg, "rgba(0, 0, 0, 0)")
        # the panel's background is dark: its red, green and blue are all low
        assert all(int(x) < 80 for x in body_bg[body_bg.index("(") + 1:-1].split(",")[:3])
        page.evaluate("() => document.querySelector('.jp-codeact-Cell').scrollIntoView({block: 'start'})")
        time.sleep(0.3)
        nb.screenshot("notebook-dark.png")
        slow = [i for i, c in enumerate(nb.cells()) if c["source"].startswith("%%codeact\nA slow")][0]
        nb.run_cell(slow)
        page.locator("#codeact-runs .jp-codeact-Live .jp-codeact-currentStep").wait_for(timeout=30_000)
        nb.screenshot("panel-dark.png", selector="#codeact-runs")
        page.locator("#codeact-runs .jp-codeact-stop").click()
        wait_for_run(nb, status="stopped")
    finally:
        theme.unlink()


def test_a_newer_kernel_protocol_is_told_once_and_dropped(lab, page):
    """A kernel side that speaks protocol version 2 (simulated with a comm of its own): its messages are dropped and
    the user is told once which side to upgrade."""
    send = ("from comm import create_comm\n"
            "msg = {'protocol': 'codeact', 'version': 2, 'type': 'runs', 'runs': [{'run_id': 'r-future'}]}\n"
            "c = create_comm(target_name='codeact', data=msg)\n"
            "for _ in range(3):\n"
            "    c.send(msg)")
    make_notebook(lab.root / "future.ipynb", [("send", "code", send)])
    nb = NotebookPage(page, lab, "future.ipynb").open()
    panel = nb.open_panel()
    nb.run_cell(0)
    nb.wait_idle()
    toast = page.locator(".Toastify__toast", has_text="protocol v2,")
    toast.first.wait_for(timeout=20_000)
    time.sleep(1.0)
    assert toast.count() == 1
    assert "Upgrade the extension" in toast.first.inner_text()
    assert panel.locator(".jp-codeact-RunItem").count() == 0
