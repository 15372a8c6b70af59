"""Replay runs what the user sees and stops where it no longer matches; export never overwrites; one-line hints."""

import nbformat
import pytest

from kernel_harness import Kernel
from standin import turn


@pytest.fixture
def recording(kernel, server, tmp_path):
    """A recorded two-step run that reads the user's `base`, exported to rec.ipynb."""
    kernel.execute("base = 20")
    server.enqueue(turn("Double it.", "doubled = base * 2\nprint('doubled:', doubled)"),
                   turn("Then mark it.", "marked = True\nprint('marked')"), turn("Doubled is 40."))
    assert kernel.execute("%%codeact\nDouble base").status == "ok"
    path = tmp_path / "rec.ipynb"
    assert kernel.execute(f"%codeact export {path}").status == "ok"
    return path


@pytest.fixture
def fresh(tmp_path):
    k = Kernel({"ANTHROPIC_API_KEY": None}, cwd=str(tmp_path))
    k.execute("%load_ext codeact_magic")
    yield k
    k.shutdown()


def test_a_replay_that_prints_other_text_ends_diverged_at_that_step(recording, fresh):
    fresh.execute("base = 21")
    result = fresh.execute(f"%%codeact --replay {recording}\nDouble base")
    assert result.status == "error"
    line = result.error["evalue"]
    assert "Step 1 diverged from the recording" in line
    assert "now 'doubled: 42', recorded 'doubled: 40'" in line
    assert "Doubled is 40." not in result.text  # the recorded answer is not shown as if it still held
    assert fresh.value("'marked' in globals()") is False  # it stopped at that step
    assert "diverged" in fresh.execute("%codeact runs").stdout
    assert result.text.count("diverged from the recording") == 1


def test_a_replayed_step_that_now_fails_ends_diverged(recording, fresh):
    result = fresh.execute(f"%%codeact --replay {recording}\nDouble base")  # no `base` in this kernel
    assert result.status == "error"
    assert "Step 1 diverged" in result.error["evalue"]
    assert "now fails with NameError: name 'base' is not defined" in result.error["evalue"]


def test_a_replay_that_matches_ends_done(recording, fresh):
    fresh.execute("base = 20")
    result = fresh.execute(f"%%codeact --replay {recording}\nDouble base")
    assert result.status == "ok", result.text
    assert "Doubled is 40." in result.text and fresh.value("marked") is True


def test_replay_refuses_a_cell_edited_after_the_export(recording, fresh):
    notebook = nbformat.read(str(recording), as_version=4)
    cell = next(c for c in notebook.cells if c.metadata.get("codeact", {}).get("step") == 2)
    cell.source = "import shutil; shutil.rmtree('data')"
    nbformat.write(notebook, str(recording))
    fresh.execute("base = 20")
    result = fresh.execute(f"%%codeact --replay {recording}\nDouble base")
    assert result.status == "error" and result.error["ename"] == "UsageError"
    assert "the cell of step 2 shows other code than the recorded run" in result.error["evalue"]
    assert fresh.value("'doubled' in globals()") is False  # nothing ran


def test_export_refuses_an_existing_file_unless_forced(kernel, server, tmp_path):
    server.enqueue(turn("Done."))
    kernel.execute("%%codeact\nSay done")
    target = tmp_path / "mine.ipynb"
    target.write_text("{}")
    result = kernel.execute(f"%codeact export {target}")
    assert result.status == "error" and result.error["ename"] == "ExportError"
    assert result.error["evalue"] == f"{target} exists: add --force to replace it, or give another path."
    assert len(result.error["traceback"]) == 1 and target.read_text() == "{}"
    assert kernel.execute(f"%codeact export {target} --force").status == "ok"
    nbformat.validate(nbformat.read(str(target), as_version=4))


@pytest.mark.parametrize("cell, hint", [
    ("%%codeact --replay rec.ipynb", "The %%codeact cell has no task: write it on the lines below `%%codeact --replay"),
    ("%%codeact", "The task is empty: write what you want done in the cell, below the %%codeact line."),
    ("%%codeact What sells best?", "The task goes in the cell body, not on the %%codeact line"),
    ("%%codeact --max-steps 3 What sells best?", "e.g. %%codeact ⏎ What sells best?"),
    ("%codeact --replay rec.ipynb", "has no task: write it after the options"),
])
def test_wrong_forms_get_a_one_line_hint(kernel, server, recording, cell, hint):
    asked = len(server.requests)
    result = kernel.execute(cell.replace("rec.ipynb", str(recording)))
    assert result.status == "error"
    assert hint in result.error["evalue"], result.error["evalue"]
    assert "Did you mean the line magic" not in result.text and "\n" not in result.error["evalue"]
    assert len(server.requests) == asked  # the model was not asked


@pytest.fixture
def updated_recording(kernel, server, tmp_path):
    """A recorded run whose step 2 updates the display step 1 showed: the export holds step 1's display as 'v2'."""
    kernel.execute("start = 'v'")
    server.enqueue(turn("Show it.", "h = display(start + '1', display_id=True)"),
                   turn("Update it.", "h.update(start + '2')\nprint('updated')"), turn("Shown as v2."))
    assert kernel.execute("%%codeact\nShow then update").status == "ok"
    path = tmp_path / "upd.ipynb"
    assert kernel.execute(f"%codeact export {path}").status == "ok"
    step1 = next(c for c in nbformat.read(str(path), as_version=4).cells if c.metadata.get("codeact", {}).get("step") == 1)
    assert [o["data"]["text/plain"] for o in step1.outputs] == ["'v2'"]
    return path


def test_a_replay_whose_later_step_updates_an_earlier_display_ends_done(updated_recording, fresh):
    fresh.execute("start = 'v'")
    result = fresh.execute(f"%%codeact --replay {updated_recording}\nShow then update")
    assert result.status == "ok", result.text
    assert "Shown as v2." in result.text


def test_a_display_that_still_differs_at_the_end_diverges_at_its_step(updated_recording, fresh):
    fresh.execute("start = 'w'")
    result = fresh.execute(f"%%codeact --replay {updated_recording}\nShow then update")
    assert result.status == "error"
    assert "Step 1 diverged from the recording" in result.error["evalue"]
    assert "now \"'w2'\", recorded \"'v2'\"" in result.error["evalue"]
