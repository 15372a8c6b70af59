"""`codeact run`, as a real process with a real kernel: the quickstart replayed without a key and live against the
stand-in, --task, a second run over its own output, failures and bad input."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from codeact_magic.insertion import source_hash
from codeact_magic.protocol import STEPS_MIME
from standin import StandIn, error, turn

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = json.loads((ROOT / "tests/fixtures/quickstart_script.json").read_text())
ANSI = re.compile(r"\x1b\[")


def codeact(*args: str, cwd: Path, env: dict[str, str] | None = None,
            timeout: float = 600) -> subprocess.CompletedProcess:
    """``python -m codeact_magic.cli ARGS`` in ``cwd``, with no ANTHROPIC_* variable but those of ``env``."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    environ.update(env or {})
    return subprocess.run([sys.executable, "-m", "codeact_magic.cli", *args], cwd=cwd, env=environ,
                          capture_output=True, text=True, timeout=timeout)


def errors(done: subprocess.CompletedProcess) -> list[str]:
    """The command's own error lines (the kernel may log a warning of its own on stderr)."""
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return [line for line in done.stderr.splitlines() if line.startswith("codeact:")]


def write(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))
    return path


def run_cells_below(nb: nbformat.NotebookNode, anchor: int) -> list[nbformat.NotebookNode]:
    """The cells right below the cell at ``anchor`` that a run of it inserted."""
    cells = []
    for cell in nb.cells[anchor + 1:]:
        meta = cell.metadata.get("codeact")
        if not meta or meta.get("source_cell_id") != nb.cells[anchor].id:
            break
        cells.append(cell)
    return cells


def codeact_positions(nb: nbformat.NotebookNode) -> list[int]:
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.startswith("%%codeact")]


def recorded(path: Path) -> list[tuple[str, str]]:
    """(role, source) of a recording's run cells, its task cell left out."""
    nb = nbformat.read(str(path), as_version=4)
    return [(c.metadata.codeact["role"], c.source) for c in nb.cells if c.metadata.codeact["role"] != "task"]


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory):
    """A fresh copy of the quickstart and its recordings; returns a function making one more."""
    def copy() -> Path:
        workdir = tmp_path_factory.mktemp("quickstart")
        shutil.copy(ROOT / "notebooks/quickstart.ipynb", workdir)
        shutil.copytree(ROOT / "notebooks/recordings", workdir / "recordings")
        return workdir
    return copy


@pytest.fixture(scope="module")
def replayed(quickstart):
    """`codeact run quickstart.ipynb` without a key: (the process, the written notebook, the work directory)."""
    workdir = quickstart()
    before = (workdir / "quickstart.ipynb").read_bytes()
    done = codeact("run", "quickstart.ipynb", cwd=workdir)
    assert (workdir / "quickstart.ipynb").read_bytes() == before  # the input is never written
    out = nbformat.read(str(workdir / "quickstart.out.ipynb"), as_version=4)
    nbformat.validate(out)
    return done, out, workdir


# -- the quickstart, replayed --------------------------------------------------------------------------------------
def test_replay_shows_each_runs_steps_in_the_terminal(replayed):
    done, _, workdir = replayed
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert errors(done) == []
    text = done.stdout
    assert not ANSI.search(text)  # not a terminal: plain text
    assert text.count("No ANTHROPIC_API_KEY is set: replaying the recorded run") == 2
    for name, steps in (("sales", 3), ("stats", 2)):
        for role, source in recorded(workdir / "recordings" / f"{name}.ipynb"):
            if role == "step":
                assert source in text, source
        assert f"done · step {steps} of 20" in text
    # in order: the first step's code, then its outputs, then the status after it
    first = text.index("orders.info()\norders.head()")
    assert first < text.index("RangeIndex: 777 entries") < text.index("running · step 1 of 20")
    assert "Total revenue: 49,964.15" in text and "KeyError: 'Region'" in text
    assert "Welch t = 3.322, df = 144.0, two-sided p = 0.0011" in text
    assert "**Results for `orders`**" in text  # the answer
    assert text.rstrip().endswith("wrote quickstart.out.ipynb: 2 runs, 12 cells inserted")


def test_replay_inserts_each_runs_cells_below_its_codeact_cell(replayed):
    _, out, workdir = replayed
    source = nbformat.read(str(workdir / "quickstart.ipynb"), as_version=4)
    sales, stats = codeact_positions(out)
    for anchor, name in ((sales, "sales"), (stats, "stats")):
        cells = run_cells_below(out, anchor)
        recording = recorded(workdir / "recordings" / f"{name}.ipynb")
        assert [(c.metadata.codeact["role"], c.source) for c in cells] == recording
        run_id = cells[0].metadata.codeact["run_id"]
        for index, cell in enumerate(cells):
            meta = cell.metadata.codeact
            assert (meta["run_id"], meta["key"], meta["index"]) == (run_id, f"{run_id}:{index}", index)
            assert meta["source_hash"] == source_hash(cell.source)  # as the extension writes it
            assert "trusted" not in cell.metadata  # the extension's in-memory mark; not saved
        # the steps' cells are the kernel's, with their outputs and counts, reading down from the %%codeact cell
        counts = [c.execution_count for c in cells if c.cell_type == "code"]
        first = out.cells[anchor].execution_count + 1
        assert counts == list(range(first, first + len(counts)))
        assert all(c.outputs for c in cells if c.cell_type == "code")
    # the user's cells are all there, in their order, around the inserted ones
    assert [c.id for c in out.cells if "codeact" not in c.metadata] == [c.id for c in source.cells]
    step_cells = [c for c in run_cells_below(out, stats) if c.cell_type == "code"]
    assert step_cells[0].outputs[0].output_type == "error" and step_cells[0].outputs[0].ename == "KeyError"


def test_the_codeact_cell_keeps_the_compact_output(replayed):
    """With a frontend connected, the kernel keeps only the status line, the answer and "N steps below ↓"."""
    _, out, _ = replayed
    for anchor, steps, answer in zip(codeact_positions(out), (3, 2), ("49,964.15", "Welch's t")):
        outputs = out.cells[anchor].outputs
        texts = [o.get("text") or o.get("data", {}).get("text/plain", "") for o in outputs]
        assert len(outputs) == 3, texts
        assert texts[0].startswith(f"done · step {steps} of 20")
        assert answer in texts[1]
        link = outputs[2].data[STEPS_MIME]
        assert (link["steps"], link["text"]) == (steps, f"{steps} steps below ↓")
        assert link["run_id"] == run_cells_below(out, anchor)[0].metadata.codeact["run_id"]
        assert not any("Step 1" in t or "orders.info()" in t for t in texts)


# -- the quickstart, live against the stand-in ---------------------------------------------------------------------
def test_with_a_key_it_asks_the_model_and_streams_its_text(quickstart):
    workdir = quickstart()
    with StandIn(scripts=SCRIPT["scripts"]) as server:
        done = codeact("run", "quickstart.ipynb", "-o", "live.ipynb", cwd=workdir,
                       env={"ANTHROPIC_API_KEY": "test", "ANTHROPIC_BASE_URL": server.url})
        requests = len(server.requests)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert errors(done) == []
    assert requests == 4 + 3
    text = done.stdout
    assert "replaying" not in text
    for script in SCRIPT["scripts"]:
        for spec in script["turns"]:
            assert spec["text"] in text  # streamed, whole
            if "code" in spec:
                assert spec["code"] in text
    statuses = re.findall(r"done · step (\d) of 20 · ([\d,]+) in / ([\d,]+) out tokens", text)
    assert [s[0] for s in statuses] == ["3", "2"] and all(int(s[2].replace(",", "")) > 0 for s in statuses)
    out = nbformat.read(str(workdir / "live.ipynb"), as_version=4)
    nbformat.validate(out)
    assert not (workdir / "quickstart.out.ipynb").exists()
    sales, stats = codeact_positions(out)
    assert [c.metadata.codeact["role"] for c in run_cells_below(out, sales)] == \
        ["reasoning", "step"] * 3 + ["answer"]
    assert [c.metadata.codeact["role"] for c in run_cells_below(out, stats)] == ["reasoning", "step"] * 2 + ["answer"]


# -- --task, and a second run over the output ------------------------------------------------------------------------
def test_task_appends_a_codeact_cell_and_runs_it(tmp_path):
    write(tmp_path / "count.ipynb", "counter = 0")
    (tmp_path / "rec").mkdir()
    shutil.copy(ROOT / "notebooks/recordings/sales.ipynb", tmp_path / "rec" / "count-run.ipynb")
    env = {"ANTHROPIC_API_KEY": "test"}
    with StandIn([turn("I'll add one.", "counter += 1\ncounter"), turn("The counter is **1**.")]) as server:
        done = codeact("run", "count.ipynb", "--task", "Add one to `counter`.", "--replay-if-no-key",
                       "rec/count-run.ipynb", cwd=tmp_path, env={**env, "ANTHROPIC_BASE_URL": server.url})
        asked = [r.body for r in server.requests]
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert len(asked) == 2 and "Add one to `counter`." in json.dumps(asked[0]["messages"][0])
    assert "I'll add one." in done.stdout and "counter += 1\ncounter" in done.stdout
    assert "done · step 1 of 20" in done.stdout and "The counter is **1**." in done.stdout
    assert len(nbformat.read(str(tmp_path / "count.ipynb"), as_version=4).cells) == 1  # the input is left alone
    out = nbformat.read(str(tmp_path / "count.out.ipynb"), as_version=4)
    nbformat.validate(out)
    task_cell = "%%codeact --replay-if-no-key rec/count-run.ipynb\nAdd one to `counter`."
    assert [c.source for c in out.cells[:3]] == ["counter = 0", "%load_ext codeact_magic", task_cell]
    run = run_cells_below(out, 2)
    assert [c.metadata.codeact["role"] for c in run] == ["reasoning", "step", "answer"] and len(out.cells) == 6
    assert run[1].outputs[0].data["text/plain"] == "1"

    # again, over its own output: the earlier run's cells are replaced, not executed a second time
    nb = nbformat.read(str(tmp_path / "count.out.ipynb"), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("counter"))
    nbformat.write(nb, str(tmp_path / "again.ipynb"))
    with StandIn([turn("Once more.", "counter += 1\ncounter"), turn("Now **1** again.")]) as server:
        done = codeact("run", "again.ipynb", "-o", "again.ipynb", cwd=tmp_path,
                       env={**env, "ANTHROPIC_BASE_URL": server.url})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    again = nbformat.read(str(tmp_path / "again.ipynb"), as_version=4)  # asked for: written in place
    second = run_cells_below(again, 2)
    assert [c.source for c in second] == ["Once more.", "counter += 1\ncounter", "Now **1** again."]
    assert second[0].metadata.codeact["run_id"] != run[0].metadata.codeact["run_id"]
    assert len(again.cells) == 7 and again.cells[-1].outputs[0].data["text/plain"] == "1"


# -- failures --------------------------------------------------------------------------------------------------------
def test_a_failed_run_exits_non_zero_with_one_line(tmp_path):
    write(tmp_path / "fail.ipynb", "%load_ext codeact_magic")
    with StandIn([error(400, message="messages: bad request")]) as server:
        done = codeact("run", "fail.ipynb", "--task", "Anything.", cwd=tmp_path,
                       env={"ANTHROPIC_API_KEY": "test", "ANTHROPIC_BASE_URL": server.url})
    assert done.returncode == 1
    [line] = errors(done)
    assert line.startswith("codeact: cell 2 failed: CodeActError: ") and "bad request" in line
    assert "bad request" in done.stdout and "failed · step 0 of 20" in done.stdout
    out = nbformat.read(str(tmp_path / "fail.out.ipynb"), as_version=4)  # written all the same
    [note] = run_cells_below(out, 1)
    assert note.metadata.codeact["role"] == "note" and "Run failed" in note.source


def test_ctrl_c_stops_the_run_keeps_its_steps_and_writes_the_notebook(tmp_path):
    write(tmp_path / "wait.ipynb", "%load_ext codeact_magic", "%%codeact\nWait.", "after = True")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    sleep = "import time\nfor _ in range(120):\n    time.sleep(0.5)"
    with StandIn([turn("Waiting.", sleep), turn("Not asked.")]) as server:
        environ.update(ANTHROPIC_API_KEY="test", ANTHROPIC_BASE_URL=server.url)
        proc = subprocess.Popen([sys.executable, "-m", "codeact_magic.cli", "run", "wait.ipynb"], cwd=tmp_path,
                                env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        shown = []
        for line in proc.stdout:  # the step's code is shown as it starts: it runs now
            shown.append(line)
            if line.startswith("--- output"):
                break
        time.sleep(2)  # the step's code is running, not about to
        proc.send_signal(signal.SIGINT)
        rest, stderr = proc.communicate(timeout=120)
    text = "".join(shown) + rest
    assert proc.returncode == 130, text + stderr
    assert "interrupted: the kernel stops the cell" in text and "stopped · step 1 of 20" in text
    assert [line for line in stderr.splitlines() if line.startswith("codeact:")] == ["codeact: interrupted"]
    out = nbformat.read(str(tmp_path / "wait.out.ipynb"), as_version=4)
    run = run_cells_below(out, 1)
    assert [c.metadata.codeact["role"] for c in run] == ["reasoning", "step", "note"]
    assert run[1].outputs[-1].ename == "KeyboardInterrupt" and "Run stopped" in run[2].source
    assert out.cells[-1].source == "after = True" and out.cells[-1].execution_count is None  # not run after it


def test_a_cell_past_the_timeout_is_interrupted_and_the_rest_not_run(tmp_path):
    write(tmp_path / "slow.ipynb", "x = 1", "import time\nfor _ in range(120):\n    time.sleep(0.5)", "x = 2")
    done = codeact("run", "slow.ipynb", "--timeout", "2", cwd=tmp_path)
    assert done.returncode == 1
    assert errors(done) == ["codeact: cell 2 timed out after 2 s"]
    out = nbformat.read(str(tmp_path / "slow.out.ipynb"), as_version=4)
    assert out.cells[1].outputs[-1].ename == "KeyboardInterrupt" and out.cells[2].execution_count is None


def test_a_cell_error_exits_non_zero_with_one_line(tmp_path):
    write(tmp_path / "boom.ipynb", "x = 1", "1 / 0", "x = 2")
    done = codeact("run", "boom.ipynb", cwd=tmp_path)
    assert done.returncode == 1
    assert errors(done) == ["codeact: cell 2 failed: ZeroDivisionError: division by zero"]
    out = nbformat.read(str(tmp_path / "boom.out.ipynb"), as_version=4)
    assert out.cells[1].outputs[0].ename == "ZeroDivisionError" and out.cells[2].outputs == []
    # the kernel process's own log (its TCP warning, a traceback of its own at shutdown) is not the command's output
    assert "IPKernelApp" not in done.stderr and len(done.stderr.splitlines()) == 1, done.stderr


def test_a_kernel_that_dies_is_told_with_the_end_of_its_log(tmp_path):
    write(tmp_path / "dies.ipynb", "x = 1", "import os, sys\nprint('going', file=sys.__stderr__, flush=True)\n"
          "os._exit(3)", "x = 2")
    done = codeact("run", "dies.ipynb", cwd=tmp_path)
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert lines[0] == "codeact: the kernel's log ends:" and "  going" in lines, done.stderr
    assert lines[-1].startswith("codeact: DeadKernelError: "), done.stderr
    out = nbformat.read(str(tmp_path / "dies.out.ipynb"), as_version=4)
    assert out.cells[0].execution_count == 1 and out.cells[2].execution_count is None


@pytest.mark.parametrize("name, content, expected", [
    ("missing.ipynb", None, "codeact: error: No such notebook: missing.ipynb"),
    ("bad.ipynb", "{bad", "codeact: error: bad.ipynb is not a notebook: bad JSON at line 1, column 2."),
    ("list.ipynb", "[1, 2]", "codeact: error: list.ipynb is not a notebook: its JSON has no list of cells."),
    ("invalid.ipynb", json.dumps({"cells": [{"cell_type": "code"}], "metadata": {}, "nbformat": 4,
                                  "nbformat_minor": 5}), "codeact: error: invalid.ipynb is not a valid notebook: "),
])
def test_bad_input_gives_one_line_and_exit_2(tmp_path, name, content, expected):
    if content is not None:
        (tmp_path / name).write_text(content)
    done = codeact("run", name, cwd=tmp_path, timeout=60)
    assert done.returncode == 2
    assert done.stdout == "" and len(done.stderr.splitlines()) == 1 and done.stderr.startswith(expected), done.stderr


def test_bad_options_give_one_line_and_exit_2(tmp_path):
    write(tmp_path / "nb.ipynb", "1")
    done = codeact("run", "nb.ipynb", "--replay-if-no-key", "x.ipynb", cwd=tmp_path, timeout=60)
    assert done.returncode == 2 and errors(done) == [
        "codeact: error: --replay-if-no-key goes with --task: it is the recording of that task. The notebook's own "
        "%%codeact cells say theirs on their first line."]
    done = codeact("run", "nb.ipynb", "-o", "nowhere/out.ipynb", cwd=tmp_path, timeout=60)
    assert done.returncode == 2 and errors(done) == [
        "codeact: error: Cannot write nowhere/out.ipynb: the directory nowhere does not exist."]


def test_help_reads_cleanly(tmp_path):
    top = codeact("--help", cwd=tmp_path, timeout=60)
    assert top.returncode == 0 and "run       execute a notebook, showing its %%codeact runs" in top.stdout
    run = codeact("run", "--help", cwd=tmp_path, timeout=60)
    assert run.returncode == 0
    for option in ("-o OUT.ipynb", "--task TEXT", "--replay-if-no-key RUN.ipynb", "--timeout S", "--kernel NAME"):
        assert option in run.stdout
    assert "%%codeact cell with this task" in run.stdout and "Exit status" in run.stdout
