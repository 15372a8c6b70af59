"""What is kept before each step so that ``%codeact undo`` (:mod:`codeact_magic.undo`) can put it back.

Before a step runs, :meth:`UndoStore.take` reads its code (:func:`codeact_magic.undoscan.predict`) and keeps:

- **bindings**: the object each name it may bind, rebind or delete holds (or that it is absent), by reference. That
  costs nothing: rebinding a name does not change its old object. Names the prediction missed (``exec``,
  ``globals()[...]``) are caught after the step by comparing the namespace's objects by identity with a shallow copy
  of it taken before (one dict of references, O(number of names)), and restored all the same;
- **copies** of the objects it may change in place: ``DataFrame.copy(deep=True)`` (and ``Series``, ``Index``),
  ``ndarray.copy()``, otherwise ``copy.deepcopy`` (one memo per step, so two names of one object stay one object).
  Numbers, strings, bytes, ``None``, and tuples and frozensets of those cannot change and are not copied; nor are
  modules, classes and functions (``os.remove`` is not a list's ``remove``);
- **pre-images** of the files it may write or delete under the working directory, in ``.codeact/undo/<run id>/
  <step>/`` (``shutil.copy2`` for a file, ``copytree`` for a directory, the target for a symlink), or the note that
  the path did not exist (so undo removes what the step creates there).

Copies and pre-images together stay within the kernel's budget (``undo_max_bytes``): when a step needs more than is
left, the snapshots of the oldest runs are released first (those runs can no longer be undone), never the current
run's. A name or file that still does not fit, cannot be copied, or lies outside the working directory is marked
*cannot be undone* in the step's record before the step runs; :class:`codeact_magic.control.UndoWatch` (the layer of
the executor that takes the snapshots) tells the model in the observation, and ``--approve risky`` asks about it
(risk kind ``no_undo``). The size of a copy is estimated before it is made (:func:`codeact_magic.copies.copy_bytes`).
"""

from __future__ import annotations

import dataclasses
import filecmp
import os
import shutil
from pathlib import Path
from typing import Any, Callable, Mapping

from .copies import (ABSENT, UNCOPIED, copy_bytes, copy_of, identity, immutable, path_state, relative, tree_bytes,
                     user_names)
from .files import human_size
from .undoscan import Prediction, predict

__all__ = ["FileImage", "Kept", "RunKept", "UndoStore", "created_files"]


@dataclasses.dataclass
class FileImage:
    """The pre-image of one path: what was there before the step.

    Attributes
    ----------
    path : str
        Absolute path.
    kind : str or None
        ``"file"``, ``"dir"`` or ``"symlink"``; ``None`` when nothing was there (undo removes what is there then).
    stored : str or None
        Where its copy is kept (a file or directory under ``.codeact/undo/<run id>/``), or the symlink's target.
    nbytes : int
        Bytes the copy takes.
    state : tuple or None
        Its :func:`~codeact_magic.copies.path_state` when it was kept: a path the step left as it was (the same
        state, and for a file the same bytes) is let go after the step.
    """

    path: str
    kind: str | None
    stored: str | None = None
    nbytes: int = 0
    state: tuple | None = None


@dataclasses.dataclass
class Kept:
    """What one step's undo needs, held in the kernel (never in a record: it holds the user's objects).

    Attributes
    ----------
    step : int
        The step's number; 0 for what the run's end changed (the ``--return`` names copied back).
    bindings : dict of str to object
        Each name's object before the step, or :data:`ABSENT`.
    copies : dict of str to object
        Copies of the objects it might change in place, by name.
    files : dict of str to FileImage
        Pre-images by absolute path.
    cannot : list of dict
        ``{"what", "kind", "reason"}`` for each name or file that cannot be undone: its kind is ``over the budget``,
        ``could not be copied``, ``outside the working directory`` or ``not readable``; the reason, one phrase.
    partly : list of str
        Why its code could not be read fully.
    unknown : list of str
        Writes and deletions whose path was known only at run time.
    unpredicted : list of str
        Names it changed that the prediction missed (restored all the same).
    nbytes : int
        Bytes its copies and pre-images take.
    """

    step: int
    bindings: dict[str, Any] = dataclasses.field(default_factory=dict)
    copies: dict[str, Any] = dataclasses.field(default_factory=dict)
    files: dict[str, FileImage] = dataclasses.field(default_factory=dict)
    cannot: list[dict[str, str]] = dataclasses.field(default_factory=list)
    partly: list[str] = dataclasses.field(default_factory=list)
    unknown: list[str] = dataclasses.field(default_factory=list)
    unpredicted: list[str] = dataclasses.field(default_factory=list)
    nbytes: int = 0
    code: str = ""
    _before: dict[str, Any] | None = None

    def names(self) -> set[str]:
        return set(self.bindings) | set(self.copies)

    def record(self, cwd: str) -> dict[str, Any]:
        """The step's ``undo`` record (JSON): ``kept`` (names kept by reference), ``copied``, ``files`` (relative
        paths), ``cannot``, ``partly``, ``unknown``, ``unpredicted`` and ``bytes``."""
        return {"kept": sorted(self.bindings), "copied": sorted(self.copies),
                "files": sorted(relative(p, cwd) for p in self.files), "cannot": list(self.cannot),
                "partly": list(self.partly), "unknown": list(self.unknown), "unpredicted": list(self.unpredicted),
                "bytes": self.nbytes}

    def notes(self) -> list[str]:
        """The lines the model reads about what cannot be undone, if anything."""
        lines = []
        if self.cannot:
            lines.append("undo: cannot be undone: " + "; ".join(f"{c['what']} ({c['reason']})" for c in self.cannot))
        if self.partly or self.unknown:
            lines.append("undo: partly undoable: " + "; ".join([*self.partly, *self.unknown]))
        return lines


@dataclasses.dataclass
class RunKept:
    """What undoing one run needs: its steps' :class:`Kept`, by number, where its pre-images are, and the state it
    left (``after``, taken when it ended: each touched name's identity and each touched path's ``_stat``)."""

    run_id: str
    folder: Path
    cwd: str
    steps: dict[int, Kept] = dataclasses.field(default_factory=dict)
    after_names: dict[str, tuple[int, Any] | None] = dataclasses.field(default_factory=dict)
    after_files: dict[str, tuple | None] = dataclasses.field(default_factory=dict)
    released: str | None = None  # why its snapshots are gone

    @property
    def nbytes(self) -> int:
        return sum(k.nbytes for k in self.steps.values())


class UndoStore:
    """The snapshots of this kernel's runs (see the module docstring).

    Parameters
    ----------
    budget : callable
        ``budget() -> int``: the bytes copies and pre-images may take over all runs (the ``undo_max_bytes`` trait,
        read at each step).
    """

    def __init__(self, budget: Callable[[], int]) -> None:
        self.budget = budget
        self.runs: dict[str, RunKept] = {}  # in the order the runs started

    @property
    def held(self) -> int:
        """Bytes held now, in copies and pre-images."""
        return sum(r.nbytes for r in self.runs.values())

    def run(self, run_id: str, cwd: str | os.PathLike) -> RunKept:
        """The snapshots of run ``run_id`` (made on first use, its pre-images under ``cwd/.codeact/undo/<run id>``)."""
        if run_id not in self.runs or self.runs[run_id].released:
            cwd = os.fspath(cwd)
            self.runs[run_id] = RunKept(run_id, Path(cwd) / ".codeact" / "undo" / run_id, cwd)
        return self.runs[run_id]

    def _room(self, run_id: str, nbytes: int) -> bool:
        """Whether ``nbytes`` more fit, after releasing older runs' snapshots if need be."""
        for other in list(self.runs.values()):
            if self.budget() - self.held >= nbytes:
                break
            if other.run_id != run_id and other.nbytes:
                self.release(other.run_id, "its snapshots were released to keep within undo_max_bytes")
        return self.budget() - self.held >= nbytes

    def release(self, run_id: str, reason: str, steps: Any = None) -> None:
        """Drop the snapshots of run ``run_id`` (only of ``steps``, numbers, when given) and their pre-images."""
        kept = self.runs.get(run_id)
        if kept is None:
            return
        for number in list(kept.steps) if steps is None else list(steps):
            step = kept.steps.pop(number, None)
            if step is not None:
                shutil.rmtree(kept.folder / str(number), ignore_errors=True)
        if steps is None:
            kept.released = reason
            shutil.rmtree(kept.folder, ignore_errors=True)

    def take(self, run_id: str, number: int, code: str, namespace: Mapping[str, Any], cwd: str | os.PathLike,
             hidden: Mapping[str, Any] | None = None) -> Kept:
        """Keep what undoing step ``number`` of run ``run_id`` needs, before it runs (see the module docstring).

        Parameters
        ----------
        run_id : str
        number : int
            The step's number in the run, from 1.
        code : str
            The step's code, IPython syntax.
        namespace : mapping
            The user's namespace (only read).
        cwd : str or os.PathLike
            The working directory: relative paths are read from it, and only files under it are kept.
        hidden : mapping, optional
            ``shell.user_ns_hidden``: names that are IPython's, not the user's.

        Returns
        -------
        Kept
            Held by the store until the run is undone or released; replaces an earlier one of the same step (a step
            declined under ``--approve`` and asked again).
        """
        run = self.run(run_id, cwd)
        run.steps.pop(number, None)
        cwd = os.fspath(cwd)
        found: Prediction = predict(code, namespace, cwd)
        kept = Kept(number, partly=list(found.partly), unknown=list(found.unknown), code=code)
        run.steps[number] = kept
        kept._before = user_names(namespace, hidden)
        for name in sorted(found.binds):
            kept.bindings[name] = namespace.get(name, ABSENT)
        memo: dict[int, Any] = {}
        for name in sorted(found.mutates):
            value = namespace.get(name, ABSENT)
            if value is ABSENT or immutable(value) or isinstance(value, UNCOPIED):
                continue
            left = max(0, self.budget() - self.held)
            size, whole = copy_bytes(value, self.budget())
            if size > left and not self._room(run_id, size):
                kept.cannot.append({"what": f"`{name}`", "kind": "over the budget",
                                    "reason": _over(size, self.budget(), whole)})
                continue
            try:
                kept.copies[name] = copy_of(value, memo)
            except Exception as error:  # whatever the object's __deepcopy__ or pickling raises
                kept.cannot.append({"what": f"`{name}`", "kind": "could not be copied",
                                    "reason": f"cannot be copied: {type(error).__name__}: "
                                    f"{str(error)[:120]}".rstrip(": ")})
                continue
            kept.nbytes += size
        root = os.path.join(cwd, "")
        for index, (path, _action) in enumerate(found.files):
            shown = relative(path, cwd)
            if not path.startswith(root) or "/.codeact/" in path[len(root) - 1:] + "/":
                kept.cannot.append({"what": shown, "kind": "outside the working directory",
                                    "reason": "outside the working directory"})
                continue
            self._image(run, kept, path, shown, index)
        return kept

    def _image(self, run: RunKept, kept: Kept, path: str, shown: str, index: int) -> None:
        stat = path_state(path)
        if stat is None:
            kept.files[path] = FileImage(path, None)
            return
        kind = stat[0]
        if kind == "symlink":
            kept.files[path] = FileImage(path, kind, os.readlink(path), state=stat)
            return
        size = stat[1] if kind == "file" else tree_bytes(path, self.budget())
        if size > max(0, self.budget() - self.held) and not self._room(run.run_id, size):
            whole = kind == "file" or size <= self.budget()
            kept.cannot.append({"what": shown, "kind": "over the budget", "reason": _over(size, self.budget(), whole)})
            return
        stored = run.folder / str(kept.step) / f"{index}-{os.path.basename(path) or 'root'}"
        try:
            stored.parent.mkdir(parents=True, exist_ok=True)
            ignore = run.folder.parent / ".gitignore"
            if not ignore.exists():  # pre-images are copies of the user's data: keep them out of a git working tree
                ignore.write_text("# codeact-magic undo: pre-images of the files runs changed; git ignores them\n*\n")
            if kind == "dir":
                shutil.copytree(path, stored, symlinks=True)
            else:
                shutil.copy2(path, stored)
        except OSError as error:
            shutil.rmtree(stored, ignore_errors=True) if stored.is_dir() else stored.unlink(missing_ok=True)
            kept.cannot.append({"what": shown, "kind": "not readable",
                                "reason": f"not readable: {error.strerror or error}"})
            return
        kept.files[path] = FileImage(path, kind, str(stored), size, stat)
        kept.nbytes += size

    def finish_step(self, kept: Kept, namespace: Mapping[str, Any], hidden: Mapping[str, Any] | None = None) -> None:
        """After the step: keep the earlier objects of the names it changed that the prediction missed, and let go of
        what it predicted but left as it was (a name holding the same object, a path in the same state with the same
        bytes), so that undo neither holds it nor puts it back over a later change of the user's."""
        before, kept._before = kept._before or {}, None
        now = user_names(namespace, hidden)
        for name in list(kept.bindings):
            if name not in kept.copies and kept.bindings[name] is namespace.get(name, ABSENT):
                del kept.bindings[name]
        for name in sorted(set(before) | set(now)):
            if name in kept.bindings:
                continue
            old, new = before.get(name, ABSENT), now.get(name, ABSENT)
            if old is not new:
                kept.bindings[name] = old
                kept.unpredicted.append(name)
        for path, image in list(kept.files.items()):
            if image.kind != "dir" and path_state(path) == image.state and (
                    image.kind != "file" or filecmp.cmp(image.stored or "", path, shallow=False)):
                if image.kind == "file":
                    os.unlink(image.stored or "")
                kept.nbytes -= image.nbytes
                del kept.files[path]

    def keep_end(self, run_id: str, names: Any, namespace: Mapping[str, Any], cwd: str | os.PathLike) -> None:
        """Keep, as step 0, the objects ``names`` hold before the run's end rebinds them (``--return``)."""
        kept = Kept(0, bindings={n: namespace.get(n, ABSENT) for n in names})
        self.run(run_id, cwd).steps[0] = kept

    def undoable(self, run: Any) -> bool:
        """Whether this store holds what undoing ``run`` (a :class:`~codeact_magic.records.Run`) needs: it ended,
        is not undone whole, and its snapshots were kept and not released."""
        kept = self.runs.get(run.run_id)
        return (kept is not None and not kept.released and str(run.status) != "running"
                and not (run.undone and run.undone.get("from_step", 1) <= 1))

    def finished(self, run: Any, namespace: Mapping[str, Any]) -> None:
        """``run`` ended: note the state it left (the identity of each name its steps touched, the ``_stat`` of each
        path and of each file the files scan saw it create), against which ``%codeact undo`` checks that the user
        changed nothing since."""
        kept = self.runs.get(run.run_id)
        if kept is None or kept.released:
            return
        for step in kept.steps.values():
            for name in step.names():
                value = namespace.get(name, ABSENT)
                kept.after_names[name] = None if value is ABSENT else identity(value)
            for path in step.files:
                kept.after_files[path] = path_state(path)
        for paths in created_files(run, kept.cwd).values():
            for path in paths:
                kept.after_files[path] = path_state(path)


def created_files(run: Any, cwd: str, from_step: int = 1) -> dict[int, list[str]]:
    """Step number (from ``from_step`` on) -> the absolute paths the files-touched scan saw that step of ``run``
    create, relative paths joined to ``cwd``."""
    return {s.index: [os.path.join(cwd, c["path"]) for c in (s.files or {}).get("changes", [])
                      if c.get("change") == "created"] for s in run.steps if s.index >= from_step}


def _over(size: int, budget: int, whole: bool = True) -> str:
    if not budget:
        return "undo_max_bytes is 0: nothing is copied"
    return f"{'' if whole else 'more than '}{human_size(size)}, over the {human_size(budget)} undo budget (undo_max_bytes)"
