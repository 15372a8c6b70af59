"""The run journal: written as the run goes, read back whole, a run that never ended read as crashed (no kernel)."""

import json
import os

import nbformat
import pytest

from codeact_magic.agent import run_agent
from codeact_magic.config import CodeActConfig, RunOptions
from codeact_magic.execution import ExecutionResult
from codeact_magic.journal import RunJournal, find_run, load_runs, merge_runs, read_journal, resolve_dir
from codeact_magic.records import Run, Turn, Usage
from codeact_magic.trajectory import write_notebook


def code_turn(code, text="Thinking."):
    return Turn([{"type": "text", "text": text},
                 {"type": "tool_use", "id": f"toolu_{abs(hash(code))}", "name": "python", "input": {"code": code}}],
                "tool_use", Usage(100, 10))


def answer(text="Done: 42."):
    return Turn([{"type": "text", "text": text}], "end_turn", Usage(120, 5))


class Scripted:
    def __init__(self, *turns):
        self.turns = list(turns)

    def turn(self, system, messages, on_text=None):
        return self.turns.pop(0)


class Died(BaseException):
    """What the test raises where the process would have died."""


class Executor:
    """Runs nothing; prints ``ran CODE``. ``on(code)`` is called first (to look at the journal mid-step, or die)."""

    def __init__(self, on=None):
        self.on = on

    def execute(self, code, timeout=0.0):
        if self.on:
            self.on(code)
        outputs = [{"output_type": "stream", "name": "stdout", "text": f"ran {code}\n"},
                   {"output_type": "execute_result", "execution_count": 1, "metadata": {},
                    "data": {"text/plain": "42"}}]
        return ExecutionResult(outputs, 7, "ok", None, 0.01, "")


def new_run(run_id="r-test", **kw):
    return Run(run_id=run_id, task="Compute 6*7", model="claude-sonnet-5-5", **{"context": "x: int = 1", **kw})


def lines(path):
    return [json.loads(line) for line in path.read_bytes().splitlines()]


def test_a_finished_run_reads_back_to_the_same_record(tmp_path):
    journal = RunJournal(tmp_path / "runs")
    run = run_agent(new_run(), Scripted(code_turn("a = 6*7"), code_turn("a"), answer()), Executor(), RunOptions(),
                    [journal])
    path = tmp_path / "runs" / "r-test.jsonl"
    assert journal.path == path and not journal.failed
    events = lines(path)
    assert [e["event"] for e in events] == ["start", "turn", "step_start", "step", "turn", "step_start", "step",
                                            "turn", "end"]
    assert events[-1]["run"]["status"] == "done" and "context" not in events[-1]["run"]  # only what changed
    assert events[2]["code"] == "a = 6*7" and events[2]["tool_use_id"] == run.turns[0].tool_uses[0]["id"]
    assert journal.bytes_written == path.stat().st_size
    again = read_journal(path)
    assert again.to_json() == run.to_json()
    assert again.steps[1].outputs[1]["data"]["text/plain"] == "42" and again.cost_usd == run.cost_usd > 0
    # one run is found by its id, reading its file only; what is not a bare run id finds nothing
    assert find_run(tmp_path / "runs", "r-test").to_json() == run.to_json()
    assert find_run(tmp_path / "runs", "r-other") is None and find_run(None, "r-test") is None
    assert find_run(tmp_path, "runs/r-test") is None


def test_a_kernel_that_died_during_a_step_leaves_a_crashed_run_with_that_steps_code(tmp_path):
    journal = RunJournal(tmp_path)

    def die_in_step_2(code):
        if code == "import os; os._exit(1)":
            journal._file.close()  # what the OS does when the process dies: lines already flushed stay, the lock goes
            journal._file = None
            raise Died

    with pytest.raises(Died):
        run_agent(new_run(), Scripted(code_turn("a = 6*7"), code_turn("import os; os._exit(1)")),
                  Executor(die_in_step_2), RunOptions(), [journal])
    run = read_journal(tmp_path / "r-test.jsonl")
    assert run.status == "crashed" and run.ended_at is None
    assert run.end_reason == "The kernel died during step 2 (no end was recorded)."
    assert [(s.index, s.status, s.code) for s in run.steps] == [(1, "ok", "a = 6*7"),
                                                                 (2, "crashed", "import os; os._exit(1)")]
    assert run.steps[0].outputs[0]["text"] == "ran a = 6*7\n" and run.steps[1].outputs == []
    assert len(run.turns) == 2 and run.usage.input_tokens == 200 and run.cost_usd > 0
    # the export is a whole notebook: step 1 with its outputs, step 2's code
    notebook = nbformat.read(str(write_notebook(run, tmp_path / "crashed.ipynb")), as_version=4)
    nbformat.validate(notebook)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert [c.source for c in code] == ["a = 6*7", "import os; os._exit(1)"]
    assert code[0].outputs[0]["text"] == "ran a = 6*7\n" and code[1].outputs == []


def test_a_run_still_going_in_a_live_kernel_reads_as_running(tmp_path):
    seen = []
    run_agent(new_run(), Scripted(code_turn("a = 1"), answer()),
              Executor(lambda code: seen.append(read_journal(tmp_path / "r-test.jsonl"))), RunOptions(),
              [RunJournal(tmp_path)])
    assert seen[0].status == "running" and seen[0].end_reason is None and len(seen[0].turns) == 1
    assert read_journal(tmp_path / "r-test.jsonl").status == "done"  # the lock went with the end


@pytest.mark.parametrize("tail", [b'{"event":"step","at":"2026', b'{"event":"end","run":{"status":"do'])
def test_a_torn_last_line_is_ignored(tmp_path, tail):
    run_agent(new_run(), Scripted(code_turn("a = 1"), answer()), Executor(), RunOptions(), [RunJournal(tmp_path)])
    path = tmp_path / "r-test.jsonl"
    whole = path.read_bytes()
    complete = read_journal(path).to_json()
    path.write_bytes(whole + tail)
    assert read_journal(path).to_json() == complete
    # torn end line: all steps are there, and it never ended
    cut = whole[: whole.rindex(b'{"event":"end"')] + tail
    path.write_bytes(cut)
    crashed = read_journal(path)
    assert crashed.status == "crashed" and crashed.end_reason == "The kernel died after 1 step (no end was recorded)."
    assert len(crashed.steps) == 1 and crashed.steps[0].status == "ok"


def test_an_unwritable_directory_warns_once_and_the_run_goes_on(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    warnings = []
    journal = RunJournal(blocker / "runs", warn=warnings.append)
    run = run_agent(new_run(), Scripted(code_turn("a = 1"), code_turn("b = 2"), answer()), Executor(), RunOptions(),
                    [journal])
    assert run.status == "done" and len(run.steps) == 2
    assert journal.failed and len(warnings) == 1 and "\n" not in warnings[0]
    assert warnings[0].startswith("codeact: the run journal stopped, this run goes on unsaved: cannot write")
    assert str(blocker / "runs") in warnings[0]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes in read-only directories")
def test_a_read_only_directory_warns_once(tmp_path):
    tmp_path.chmod(0o500)
    try:
        warnings = []
        run = run_agent(new_run(), Scripted(code_turn("a = 1"), answer()), Executor(), RunOptions(),
                        [RunJournal(tmp_path, warn=warnings.append)])
    finally:
        tmp_path.chmod(0o700)
    assert run.status == "done" and len(warnings) == 1 and "Permission denied" in warnings[0]


class FullDisk:
    """A file whose writes fail with ENOSPC after ``room`` of them."""

    def __init__(self, room):
        self.room, self.writes = room, 0

    def write(self, data):
        self.writes += 1
        if self.writes > self.room:
            raise OSError(28, "No space left on device")

    def flush(self):
        pass

    def close(self):
        pass


def test_a_full_disk_mid_run_warns_once_and_writes_nothing_more(tmp_path):
    warnings = []
    journal = RunJournal(tmp_path, warn=warnings.append)
    disk = FullDisk(room=2)
    real_started = journal.run_started

    def started(run):
        real_started(run)
        journal._file.close()
        journal._file = disk

    journal.run_started = started
    run = run_agent(new_run(), Scripted(code_turn("a = 1"), code_turn("b = 2"), answer()), Executor(), RunOptions(),
                    [journal])
    assert run.status == "done" and len(run.steps) == 2
    assert warnings == [f"codeact: the run journal stopped, this run goes on unsaved: cannot write "
                        f"{tmp_path / 'r-test.jsonl'} (No space left on device)."]
    assert disk.writes == 3  # start went to the real file; turn and step_start here, then the failure; nothing after


def test_every_event_is_redacted_before_it_is_written(tmp_path):
    secret = "sk-ant-api03-SECRETSECRETSECRET"
    calls = []

    def redact(obj):
        calls.append(obj["event"])
        return json.loads(json.dumps(obj).replace(secret, "<redacted>"))

    turns = (code_turn(f"key = '{secret}'\nprint(key)", text=f"I will print {secret}."), answer(f"It is {secret}."))
    run = run_agent(new_run(context=f"key: str = '{secret}'"), Scripted(*turns), Executor(), RunOptions(),
                    [RunJournal(tmp_path, redact=redact)])
    path = tmp_path / "r-test.jsonl"
    assert secret not in path.read_text() and path.read_text().count("<redacted>") >= 5
    assert calls == [e["event"] for e in lines(path)]
    assert secret in run.context and secret in run.steps[0].code  # the live record is left as it was


def test_load_runs_newest_first_skipping_what_is_not_a_journal(tmp_path):
    for run_id, started in [("r-old", "2026-01-01T00:00:00.000000Z"), ("r-new", "2026-03-01T00:00:00.000000Z"),
                            ("r-mid", "2026-02-01T00:00:00.000000Z")]:
        run_agent(new_run(run_id, started_at=started), Scripted(answer()), Executor(), RunOptions(),
                  [RunJournal(tmp_path)])
    (tmp_path / "junk.jsonl").write_text("not json\n")
    (tmp_path / "empty.jsonl").write_text("")
    (tmp_path / "notes.txt").write_text("{}")
    assert [r.run_id for r in load_runs(tmp_path)] == ["r-new", "r-mid", "r-old"]
    assert load_runs(tmp_path / "missing") == [] and load_runs(None) == []


def test_merge_keeps_the_live_run_and_sorts_newest_first():
    live = [new_run("r-a", started_at="2026-01-02T00:00:00Z", status="running")]
    journaled = [new_run("r-b", started_at="2026-01-03T00:00:00Z", status="crashed"),
                 new_run("r-a", started_at="2026-01-02T00:00:00Z", status="crashed"),
                 new_run("r-c", started_at="2026-01-01T00:00:00Z", status="done")]
    merged = merge_runs(live, journaled)
    assert [(r.run_id, r.status) for r in merged] == [("r-b", "crashed"), ("r-a", "running"), ("r-c", "done")]
    assert merged[1] is live[0]


def test_the_journal_directory_setting(tmp_path, monkeypatch):
    assert CodeActConfig().journal_dir == ".codeact/runs"
    assert resolve_dir(".codeact/runs", cwd=tmp_path) == tmp_path / ".codeact" / "runs"
    monkeypatch.chdir(tmp_path)
    assert resolve_dir("runs") == tmp_path / "runs"
    assert resolve_dir(str(tmp_path / "abs")) == tmp_path / "abs"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert resolve_dir("~/j") == tmp_path / "home" / "j"
    assert resolve_dir("") is None and resolve_dir("  ") is None
