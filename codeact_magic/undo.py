"""``%codeact undo``: the user's variables and files put back as they were before a run, from what
:mod:`codeact_magic.snapshots` kept before each of its steps.

:func:`undo` undoes the last run (the newest not undone yet, so a second undo goes one run further back), or with
``run_id`` that run and every later run (newest first), or with ``step`` the last run from its step N on (its steps
N, N+1, ... in reverse). For each step, newest first:

- the names the step created are deleted; the names it rebound or deleted get their earlier objects back;
- the objects it may have changed in place are replaced by their copies, bound to the same names (another name
  bound to the same object keeps the changed object);
- the files it created (the files-touched scan, or a predicted write to a path that did not exist) are removed, and
  the files it changed or deleted come back from their pre-images (moved back from ``.codeact/undo/<run id>/``).

Before anything is touched, it checks that the names and files it would restore are as the runs left them (the same
object, by identity; the same kind, size and ``mtime_ns``). When the user changed some since, it refuses in one line
naming them, unless ``force``. An in-place change the user made to an object since the run is not seen; that object
is replaced by the copy all the same.

The report (:attr:`UndoReport.text`) says what was restored and what could not be, grouped: over the budget, not
copyable, outside the working directory, not predicted (files the scan saw changed that no pre-image covers), and
steps whose code could not be read fully. What was undone is recorded on the run (``Run.undone``), its snapshots are
released, and its cells are marked (``UndoReport.undone``, for the frontend).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from typing import Any, Mapping, MutableMapping, Sequence

from IPython.core.error import UsageError

from .records import Run, RunStatus, utcnow
from .copies import ABSENT, path_state, relative, same
from .snapshots import Kept, RunKept, UndoStore, created_files

__all__ = ["UndoReport", "undo"]


@dataclasses.dataclass
class UndoReport:
    """What one undo did.

    Attributes
    ----------
    run_ids : list of str
        The runs undone (in part with ``step``), newest first; empty when refused.
    refused : bool
        Nothing was touched (the user changed names or files since; ``text`` names them).
    text : str
        What to print: what was restored and what could not be, grouped.
    undone : list of dict
        ``{"run_id", "from_index", "at"}`` for each run undone: its cells from that index on are marked.
    changed : list of str
        What the user changed since the runs (`` `name` ``, relative paths), when that is why it was refused.
    """

    run_ids: list[str]
    refused: bool
    text: str
    undone: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    changed: list[str] = dataclasses.field(default_factory=list)


def _plan(runs: Sequence[Run], store: UndoStore, run_id: str | None, step: int | None) -> list[tuple[Run, int]]:
    """``[(run, first step to undo), ...]``, newest first.

    Raises
    ------
    UsageError
        No run; an unknown run, one still running or of the journal only; released snapshots; a bad ``step``.
    """
    if not runs:
        raise UsageError("No run to undo in this kernel yet.")
    if step is not None and run_id is not None and run_id != runs[-1].run_id:
        raise UsageError("--step rolls back the last run only; --run ID undoes that run whole, with every later run.")
    if step is not None:
        first = len(runs) - 1
    elif run_id is None:  # the newest run not undone whole: a second undo goes one run further back
        first = next((i for i in range(len(runs) - 1, -1, -1)
                      if (runs[i].undone or {}).get("from_step", 2) > 1), len(runs) - 1)
    else:
        first = next((i for i, r in enumerate(runs) if r.run_id == run_id), -1)
        if first < 0:
            raise UsageError(f"No run {run_id!r} in this kernel: only this kernel's runs can be undone "
                             "(`%codeact runs` lists them).")
    last = runs[-1]
    if step is not None and not 1 <= step <= max(len(last.steps), 1):
        raise UsageError(f"--step takes a step of run {last.run_id}: 1 to {len(last.steps)}, not {step}.")
    plan: list[tuple[Run, int]] = []
    for run in reversed(runs[first:]):
        if run.status == RunStatus.RUNNING:
            raise UsageError(f"Run {run.run_id} is still running: stop it first.")
        from_step = step if step is not None else 1
        done_from = (run.undone or {}).get("from_step")
        if done_from is not None and done_from <= from_step:
            continue  # already undone from there
        kept = store.runs.get(run.run_id)
        if kept is not None and kept.released and kept.released != "undone":
            raise UsageError(f"Run {run.run_id} cannot be undone: {kept.released}.")
        plan.append((run, from_step))
    if not plan:
        which = f"run {runs[first].run_id}" + (f" from step {step}" if step is not None else "")
        raise UsageError(f"Nothing to undo: {which} is undone already.")
    return plan


def _steps(kept: RunKept | None, run: Run, from_step: int) -> list[Kept]:
    """The run's kept steps from ``from_step`` on, newest first (the run's end, step 0, before them all)."""
    if kept is None:
        return []
    done_from = (run.undone or {}).get("from_step") or len(run.steps) + 1
    numbers = [n for n in kept.steps if n == 0 or from_step <= n < done_from]
    return [kept.steps[n] for n in sorted(numbers, key=lambda n: float("inf") if n == 0 else n, reverse=True)]


def _changed(plan: list[tuple[Run, int]], store: UndoStore, namespace: Mapping[str, Any]) -> list[str]:
    """The names and files the plan would restore that are no longer as the runs left them."""
    names: dict[str, Any] = {}
    files: dict[str, Any] = {}
    for run, from_step in plan:  # newest first: the state to compare with is the newest run's
        kept = store.runs.get(run.run_id)
        if kept is None:
            continue
        created = created_files(run, kept.cwd, from_step)
        for step in _steps(kept, run, from_step):
            for name in step.names():
                if name in kept.after_names:
                    names.setdefault(name, kept.after_names[name])
            for path in [*step.files, *created.get(step.step, [])]:
                if path in kept.after_files:
                    files.setdefault(path, (kept.after_files[path], kept.cwd))
    changed = [f"`{n}`" for n, identity in sorted(names.items()) if not same(namespace.get(n, ABSENT), identity)]
    changed += [relative(p, cwd) for p, (stat, cwd) in sorted(files.items()) if path_state(p) != stat]
    return changed


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


_GROUPS = ("Variables restored", "Variables removed (the run made them)", "Files restored",
           "Files removed (the run made them)")


class _Restore:
    """Puts back one plan's steps and collects the report's groups."""

    def __init__(self, namespace: MutableMapping[str, Any]) -> None:
        self.ns = namespace
        self.groups: dict[str, list[str]] = {}
        self.failed: dict[str, list[str]] = {}

    def note(self, group: str, item: str) -> None:
        items = self.groups.setdefault(group, [])
        if item not in items:
            items.append(item)

    def fail(self, kind: str, item: str) -> None:
        items = self.failed.setdefault(kind, [])
        if item not in items:
            items.append(item)

    def step(self, kept: Kept, created: list[str], cwd: str) -> None:
        where = "the run's end" if kept.step == 0 else f"step {kept.step}"
        uncopied = {c["what"].strip("`") for c in kept.cannot if c["what"].startswith("`")}
        for name, value in kept.bindings.items():
            if name in kept.copies:
                continue
            if value is ABSENT:
                if name in self.ns:
                    del self.ns[name]
                    self.note("Variables removed (the run made them)", f"`{name}`")
            else:
                self.ns[name] = value  # its earlier object; changed in place, if it was not copied
                if name not in uncopied:
                    self.note("Variables restored", f"`{name}`")
        for name, value in kept.copies.items():
            self.ns[name] = value
            self.note("Variables restored", f"`{name}` (its copy from before {where})")
        for item in kept.cannot:
            self.fail(item.get("kind", "not restored"), f"{item['what']} ({item['reason']}; {where})")
        for reason in [*kept.partly, *kept.unknown]:
            self.fail("not readable", f"{where} ({reason}: what it changed may not all be undone)")
        for path, image in kept.files.items():
            shown = relative(path, cwd)
            try:
                if image.kind is None:
                    if os.path.lexists(path):
                        _remove(path)
                        self.note("Files removed (the run made them)", shown)
                    continue
                _remove(path)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                if image.kind == "symlink":
                    os.symlink(image.stored or "", path)
                else:
                    shutil.move(image.stored or "", path)
                self.note("Files restored", shown)
            except OSError as error:
                self.fail("not restored", f"{shown} ({error.strerror or error}; {where})")
        for path in created:
            if path not in kept.files and os.path.lexists(path):
                try:
                    _remove(path)
                    self.note("Files removed (the run made them)", relative(path, cwd))
                except OSError as error:
                    self.fail("not restored", f"{relative(path, cwd)} ({error.strerror or error}; {where})")

    def unpredicted(self, run: Run, from_step: int, kept: RunKept | None, cwd: str) -> None:
        """Files the scan saw changed or deleted that no pre-image of the step covers."""
        for step in run.steps:
            if step.index < from_step:
                continue
            images = kept.steps.get(step.index).files if kept is not None and step.index in kept.steps else {}
            for change in (step.files or {}).get("changes", []):
                path = os.path.join(cwd, change["path"])
                if change.get("change") in ("modified", "deleted") and path not in images:
                    self.fail("not predicted", f"{change['path']} (step {step.index} {change['change']} it; no "
                              "pre-image was kept)")
            if step.files and not step.files.get("complete", True):
                self.fail("not predicted", f"step {step.index} (the files scan was cut short, "
                          f"{step.files.get('reason')}: changes past it are not known)")

    def lines(self) -> tuple[list[str], list[str]]:
        """The report's lines: what was restored (a line per group), and what could not be (a line per kind)."""
        def listed(items: list[str]) -> str:
            return ", ".join(items[:30]) + (f" and {len(items) - 30} more" if len(items) > 30 else "")

        restored = [f"{group}: {listed(self.groups[group])}" for group in _GROUPS if group in self.groups]
        failed = [f"  {kind}: {'; '.join(items[:30])}" for kind, items in self.failed.items()]
        return restored, failed

    def text(self, head: str) -> str:
        restored, failed = self.lines()
        lines = [head, *(restored or ["Nothing it changed needed restoring."])]
        if failed:
            lines += ["Could not undo:", *failed]
        return "\n".join(lines)


def _first_index(run: Run, from_step: int) -> int:
    """The index of step ``from_step``'s cell among the run's cells (0 for the whole run)."""
    if from_step <= 1:
        return 0
    from .trajectory import run_cells

    for cell in run_cells(run):
        meta = cell.metadata.get("codeact", {})
        if meta.get("role") == "step" and meta.get("step") == from_step:
            return int(meta.get("index", 0))
    return 0


def undo(runs: Sequence[Run], store: UndoStore, namespace: MutableMapping[str, Any], run_id: str | None = None,
         step: int | None = None, force: bool = False) -> UndoReport:
    """Undo the last run (or ``run_id`` and every later run, or the last run from ``step`` on); see the module
    docstring.

    Parameters
    ----------
    runs : sequence of Run
        This kernel's runs, oldest first.
    store : UndoStore
        What was kept before their steps.
    namespace : mutable mapping
        The user's namespace (``shell.user_ns``): restored in place.
    run_id : str, optional
        Undo this run and every later one, newest first.
    step : int, optional
        Undo the last run from its step ``step`` on (1-based).
    force : bool
        Restore even what the user changed since the runs.

    Returns
    -------
    UndoReport
        ``refused`` when the user changed names or files since (and not ``force``): nothing was touched.

    Raises
    ------
    UsageError
        When there is nothing to undo: no run, an unknown one, one still running, released snapshots, a bad step.
    """
    plan = _plan(runs, store, run_id, step)
    changed = _changed(plan, store, namespace)
    ids = ", ".join(run.run_id for run, _ in plan)
    if changed and not force:
        listed = ", ".join(changed[:12]) + (f" and {len(changed) - 12} more" if len(changed) > 12 else "")
        return UndoReport([], True, f"Not undone: you changed {listed} since run {ids}; "
                                    "%codeact undo --force restores them anyway.", changed=changed)
    restore = _Restore(namespace)
    at = utcnow()
    undone = []
    for run, from_step in plan:
        kept = store.runs.get(run.run_id)
        cwd = kept.cwd if kept is not None else os.getcwd()
        created = created_files(run, cwd, from_step)
        for kept_step in _steps(kept, run, from_step):
            restore.step(kept_step, created.get(kept_step.step, []), cwd)
        restore.unpredicted(run, from_step, kept, cwd)
        index = _first_index(run, from_step)
        run.undone = {"at": at, "from_step": from_step, "from_index": index, "forced": bool(force and changed)}
        undone.append({"run_id": run.run_id, "from_index": index, "at": at})
        if kept is not None:
            if from_step <= 1:
                store.release(run.run_id, "undone")
            else:
                store.release(run.run_id, "undone", steps=[n for n in kept.steps if n == 0 or n >= from_step])
                store.finished(run, namespace)  # what the rest of the run left is what is there now
    whole = [r for r, s in plan if s <= 1]
    head = (f"Undid run {plan[0][0].run_id} from step {plan[0][1]} on" if step is not None and plan[0][1] > 1
            else f"Undid {'runs' if len(whole) > 1 else 'run'} {ids}")
    forced = f" (forced over your changes to {', '.join(changed)})" if force and changed else ""
    text = restore.text(head + forced + ".")
    restored, failed = restore.lines()
    for run, _ in plan:
        run.undone["restored"] = restored
        run.undone["not_restored"] = [line.strip() for line in failed]
    return UndoReport([run.run_id for run, _ in plan], False, text, undone)


def undo_in_kernel(magics: Any, run_id: str | None = None, step: int | None = None, force: bool = False,
                   announce: bool = True) -> UndoReport:
    """:func:`undo` over ``magics``' runs and namespace (``%codeact undo`` and the panel's Undo): an undo that was
    done is appended to the runs' journals, and the frontends are sent the runs' summaries (and, with ``announce``,
    the ``undo`` message; the panel's request gets it as its reply instead).

    Parameters
    ----------
    magics : CodeActMagics
        Has ``runs``, ``undo_store``, ``shell``, ``journal_dir`` and ``frontend``.
    run_id, step, force
        As :func:`undo`'s.
    announce : bool
        Send the ``undo`` message on the kernel's comm.

    Returns
    -------
    UndoReport

    Raises
    ------
    UsageError
        As :func:`undo`.
    """
    from . import protocol
    from .journal import append_undone, resolve_dir

    report = undo(magics.runs, magics.undo_store, magics.shell.user_ns, run_id, step, force)
    if not report.refused:
        directory = resolve_dir(magics.journal_dir)
        for run in magics.runs:
            if run.run_id in report.run_ids:
                append_undone(directory, run)
                magics.frontend.send(protocol.run_message(run, undoable=magics.undo_store.undoable(run)))
    if announce:
        magics.frontend.send(protocol.undo_message(report))
    return report
