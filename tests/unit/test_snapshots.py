"""snapshots.UndoStore and undo.undo on a plain namespace and a real directory: what is kept before a step, the
budget, and the restore (the kernel tests run the same through %codeact undo)."""

from __future__ import annotations

import os
import threading

import numpy as np
import pandas as pd
import pytest
from IPython.core.error import UsageError

from codeact_magic.records import Run as _Run, RunStatus, Step, new_run_id
from codeact_magic.copies import ABSENT, copy_bytes
from codeact_magic.snapshots import UndoStore
from codeact_magic.undo import undo


def Run(task: str, status: RunStatus = RunStatus.RUNNING) -> _Run:
    return _Run(run_id=new_run_id(), task=task, model="claude-test", status=status)


def step(store: UndoStore, run: Run, code: str, namespace: dict, cwd, effect=None) -> None:
    """Snapshot, run ``effect(namespace)`` as the step, finish it, and record the step on ``run``."""
    number = len(run.steps) + 1
    kept = store.take(run.run_id, number, code, namespace, cwd)
    if effect is not None:
        effect(namespace)
    store.finish_step(kept, namespace)
    run.steps.append(Step(index=number, turn=0, tool_use_id=f"t{number}", code=code, undo=kept.record(str(cwd))))


def ended(store: UndoStore, run: Run, namespace: dict) -> Run:
    run.status = RunStatus.DONE
    store.finished(run, namespace)
    return run


def test_copy_bytes_is_exact_for_arrays_and_frames_and_stops_past_the_limit():
    frame = pd.DataFrame({"a": np.zeros(1000), "b": np.ones(1000)})
    assert copy_bytes(np.zeros(1000), 10) == (8000, True)
    assert copy_bytes(frame, 10**9) == (int(frame.memory_usage(index=True).sum()), True)
    nested = {"rows": [[i] * 10 for i in range(10_000)]}
    size, whole = copy_bytes(nested, 10**9)
    assert whole and size > 10_000 * 56
    cut, whole = copy_bytes(nested, 100_000)
    assert not whole and 100_000 < cut < size


def test_what_cannot_change_or_is_a_module_is_not_copied(tmp_path):
    store = UndoStore(lambda: 10**9)
    namespace = {"n": 3, "t": (1, "a"), "os": os, "lst": [1]}
    kept = store.take("r", 1, "n.bit_length()\nt.count(1)\nos.remove('x')\nlst.append(2)", namespace, tmp_path)
    assert set(kept.copies) == {"lst"} and kept.cannot == []


def test_two_names_of_one_object_are_copied_as_one_object(tmp_path):
    shared = [1, 2]
    namespace = {"a": shared, "b": shared}
    kept = UndoStore(lambda: 10**9).take("r", 1, "a.append(3)\nb.append(4)", namespace, tmp_path)
    assert kept.copies["a"] is kept.copies["b"] and kept.copies["a"] == [1, 2] and kept.copies["a"] is not shared


def test_an_object_that_cannot_be_copied_is_declared(tmp_path):
    namespace = {"state": {"lock": threading.Lock()}}
    kept = UndoStore(lambda: 10**9).take("r", 1, "state['n'] = 1", namespace, tmp_path)
    assert kept.cannot == [{"what": "`state`", "kind": "could not be copied",
                            "reason": "cannot be copied: TypeError: cannot pickle '_thread.lock' object"}]
    assert kept.notes() == ["undo: cannot be undone: `state` (cannot be copied: TypeError: cannot pickle "
                            "'_thread.lock' object)"]


def test_older_runs_are_released_to_make_room_and_can_no_longer_be_undone(tmp_path):
    store = UndoStore(lambda: 20_000)
    first, second = Run(task="one"), Run(task="two")
    namespace = {"arr": np.zeros(1500), "other": np.zeros(1500)}
    step(store, first, "arr[:] = 1", namespace, tmp_path)
    ended(store, first, namespace)
    assert store.held == 12_000 and store.undoable(first)
    step(store, second, "other[:] = 2", namespace, tmp_path)
    assert store.runs[first.run_id].released and not store.undoable(first)
    assert store.held == 12_000
    ended(store, second, namespace)
    with pytest.raises(UsageError, match="cannot be undone: its snapshots were released"):
        undo([first, second], store, namespace, run_id=first.run_id)


def test_undo_max_bytes_0_copies_nothing_but_rebinding_is_still_undone(tmp_path):
    store = UndoStore(lambda: 0)
    run = Run(task="t")
    namespace = {"x": 1, "lst": [1]}
    step(store, run, "x = 2\nlst.append(2)", namespace, tmp_path,
         lambda ns: (ns.__setitem__("x", 2), ns["lst"].append(2)))
    ended(store, run, namespace)
    assert run.steps[0].undo["cannot"][0]["reason"] == "undo_max_bytes is 0: nothing is copied"
    report = undo([run], store, namespace)
    assert namespace["x"] == 1 and namespace["lst"] == [1, 2]
    assert "over the budget: `lst`" in report.text and "Variables restored: `x`" in report.text


def test_a_directory_tree_and_a_symlink_come_back(tmp_path):
    (tmp_path / "build" / "sub").mkdir(parents=True)
    (tmp_path / "build" / "sub" / "a.txt").write_text("a")
    (tmp_path / "target.txt").write_text("t")
    os.symlink("target.txt", tmp_path / "link")
    store, run, namespace = UndoStore(lambda: 10**9), Run(task="t"), {}

    def effect(ns):
        import shutil
        shutil.rmtree(tmp_path / "build")
        os.unlink(tmp_path / "link")

    step(store, run, "import os, shutil\nshutil.rmtree('build')\nos.unlink('link')", namespace, tmp_path, effect)
    ended(store, run, namespace)
    report = undo([run], store, namespace)
    assert (tmp_path / "build" / "sub" / "a.txt").read_text() == "a"
    assert os.readlink(tmp_path / "link") == "target.txt"
    assert "Files restored: build, link" in report.text


def test_a_path_outside_the_working_directory_cannot_be_undone(tmp_path):
    kept = UndoStore(lambda: 10**9).take("r", 1, "open('/etc/codeact-test', 'w')", {}, tmp_path)
    assert kept.cannot == [{"what": "/etc/codeact-test", "kind": "outside the working directory",
                            "reason": "outside the working directory"}]


def test_names_bound_where_the_prediction_cannot_see_are_caught_after_the_step(tmp_path):
    store, run, namespace = UndoStore(lambda: 10**9), Run(task="t"), {"a": 1}
    step(store, run, "exec(code)", namespace, tmp_path,
         lambda ns: (ns.__setitem__("a", 2), ns.__setitem__("b", 3)))
    ended(store, run, namespace)
    assert run.steps[0].undo["unpredicted"] == ["a", "b"]
    undo([run], store, namespace)
    assert namespace == {"a": 1}


def test_the_run_end_rebinding_is_undone_first(tmp_path):
    store, run = UndoStore(lambda: 10**9), Run(task="t")
    namespace = {"summary": "mine"}
    store.keep_end(run.run_id, ["summary", "model"], namespace, tmp_path)
    namespace.update(summary="from the sandbox", model=object())
    ended(store, run, namespace)
    report = undo([run], store, namespace)
    assert namespace == {"summary": "mine"}
    assert "Variables restored: `summary`" in report.text and "removed (the run made them): `model`" in report.text


def test_refusals_name_what_changed_and_touch_nothing(tmp_path):
    store, run, namespace = UndoStore(lambda: 10**9), Run(task="t"), {"v": [1]}
    step(store, run, "v.append(2)", namespace, tmp_path, lambda ns: ns["v"].append(2))
    ended(store, run, namespace)
    namespace["v"] = "replaced"
    report = undo([run], store, namespace)
    assert report.refused and report.run_ids == [] and namespace["v"] == "replaced"
    assert report.text == (f"Not undone: you changed `v` since run {run.run_id}; %codeact undo --force restores "
                           "them anyway.")
    report = undo([run], store, namespace, force=True)
    assert namespace["v"] == [1] and run.undone["forced"] is True


def test_bad_requests_are_one_line_errors():
    store = UndoStore(lambda: 10**9)
    with pytest.raises(UsageError, match="No run to undo"):
        undo([], store, {})
    run = Run(task="t", status=RunStatus.DONE)
    with pytest.raises(UsageError, match="No run 'r-nope' in this kernel"):
        undo([run], store, {}, run_id="r-nope")
    with pytest.raises(UsageError, match="--step takes a step of run"):
        undo([run], store, {}, step=3)
    with pytest.raises(UsageError, match="still running"):
        undo([Run(task="live")], store, {})


def test_absent_is_not_a_value():
    assert ABSENT is not None and repr(ABSENT)


def test_what_the_step_left_as_it_was_is_let_go_and_its_pre_images_gitignored(tmp_path):
    (tmp_path / "same.txt").write_text("unchanged")
    (tmp_path / "edit.txt").write_text("before")
    store, run = UndoStore(lambda: 10**9), Run(task="t")
    namespace = {"x": 1, "y": [1]}
    code = "if flag:\n    x = 2\n    open('same.txt', 'w').write('changed')\nopen('edit.txt', 'w')\ny = [2]"
    step(store, run, code, namespace, tmp_path,
         lambda ns: (ns.__setitem__("y", [2]), (tmp_path / "edit.txt").write_text("after")))
    record = run.steps[0].undo
    assert record["kept"] == ["y"]  # x still holds the same object: nothing to put back
    assert record["files"] == ["edit.txt"]  # same.txt was not touched: its pre-image is gone
    assert store.held == len("before")
    folder = tmp_path / ".codeact" / "undo"
    assert (folder / ".gitignore").read_text().endswith("*\n")
    assert sorted(p.name for p in (folder / run.run_id).rglob("*") if p.is_file()) == ["1-edit.txt"]
    ended(store, run, namespace)
    namespace["x"] = "the user's, after the run"
    undo([run], store, namespace)  # not refused: the run did not change x
    assert namespace["x"] == "the user's, after the run" and namespace["y"] == [1]
    assert (tmp_path / "edit.txt").read_text() == "before" and (tmp_path / "same.txt").read_text() == "unchanged"
