"""The files a step touched: a bounded scan of the working directory before and after it, and their difference.

:func:`scan` walks a directory tree with :func:`os.scandir`, depth first and in sorted order, and records every
entry that is not a directory (regular files, symlinks, fifos...) with its size and modification time, as
``lstat`` gives them. It stops at a file count or a time budget, both the caller's (config traits), and says so.
:func:`diff` compares two scans of the same root into :class:`FilesTouched`: the files created, modified and
deleted, which the step's observation ends with as one line (:meth:`FilesTouched.line`) and its record keeps as JSON
(:meth:`FilesTouched.to_json`). The after-scan of one step can serve as the before-scan of the next.

The walk order is what makes a cut-short scan usable. Entries of each directory are visited in sorted name order and
a directory's contents right where its name sorts (pre-order), so a scan covers exactly the paths up to its last
entry in one total order: relative paths compared component by component (``("a", "b.txt") < ("a-c",)``, although
``"a-c" < "a/b.txt"`` as strings). A scan cut short at ``last`` therefore saw every entry at or before ``last`` in
that order, and nothing after it. :func:`diff` reports

- a path in both scans as *modified* when its size or ``mtime_ns`` changed, wherever it is;
- a path only in the after-scan as *created* only when the before-scan covered it (it is at or before the
  before-scan's ``last``); a path beyond that point may have been there all along, so it is left out;
- a path only in the before-scan as *deleted* only when the after-scan covered it, for the same reason;

and marks the result incomplete (``complete=False``, with the reason) when either scan was cut short, since changes
beyond the cut are missing. Nothing it reports is a guess.

What a scan cannot see: a change that keeps both the size and ``mtime_ns`` (a write within the filesystem's
timestamp granularity, or ``os.utime`` back to the old time), entries in unreadable directories (skipped silently),
and entries whose names are in the ``skip`` set. Changes made by other processes during the step count as the step's.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from typing import Any, Literal

__all__ = ["DEFAULT_SKIP", "Snapshot", "FileChange", "FilesTouched", "combine", "scan", "diff", "human_size"]

#: Names skipped at any depth, directories or files: version control (``.git`` may be a file in a worktree), our own
#: journal and sandbox (``.codeact``), caches, checkpoints and environments.
DEFAULT_SKIP: frozenset[str] = frozenset({
    ".git", ".hg", ".svn", ".codeact", "__pycache__", ".ipynb_checkpoints", "node_modules", ".venv", "venv",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox",
})

Change = Literal["created", "modified", "deleted"]
_MARKS: dict[str, str] = {"created": "+", "modified": "~", "deleted": "-"}
_UNITS = ("KB", "MB", "GB", "TB", "PB", "EB")


@dataclasses.dataclass
class Snapshot:
    """One bounded scan of a directory tree (:func:`scan`).

    Attributes
    ----------
    root : str
        The absolute path scanned.
    entries : dict of str to (int, int)
        Relative POSIX path (``"data/results.csv"``) to ``(size in bytes, mtime in nanoseconds since the epoch)``,
        from ``lstat`` (a symlink's own size and time), in walk order.
    complete : bool
        ``False`` when ``max_files`` or the time budget cut the scan short.
    reason : str or None
        Why it was cut short (``"stopped at 20,000 files"``, ``"stopped after 0.5 s"``); ``None`` when complete.
    elapsed_s : float
        Wall time of the scan, in seconds.
    last : str or None
        The last path recorded (``None`` when none was): a cut-short scan covered every path at or before it in
        walk order (see the module docstring) and none after it.
    """

    root: str
    entries: dict[str, tuple[int, int]]
    complete: bool = True
    reason: str | None = None
    elapsed_s: float = 0.0
    last: str | None = None

    def covers(self, path: str) -> bool:
        """Whether this scan would have seen ``path`` (relative POSIX) had it existed: always when complete."""
        return _coverage(self)(path)


@dataclasses.dataclass
class FileChange:
    """One entry a step created, modified or deleted.

    Attributes
    ----------
    path : str
        Relative POSIX path under the scanned root.
    change : {"created", "modified", "deleted"}
        What happened to it; modified means its size or mtime changed.
    size : int or None
        Its size after the step, in bytes; ``None`` when deleted.
    """

    path: str
    change: Change
    size: int | None = None

    def to_json(self) -> dict[str, Any]:
        """``{"path", "change", "size"}``; a name that is not valid UTF-8 gets its undecodable bytes as ``\\xNN``
        (notebook JSON must be UTF-8), so only such names do not round-trip exactly."""
        return {"path": _printable(self.path), "change": self.change, "size": self.size}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "FileChange":
        size = data.get("size")
        return cls(path=str(data["path"]), change=data["change"], size=None if size is None else int(size))


@dataclasses.dataclass
class FilesTouched:
    """The files a step created, modified and deleted (:func:`diff`).

    Attributes
    ----------
    changes : list of FileChange
        Created, then modified, then deleted; each group in walk order (by path, component by component).
    complete : bool
        ``False`` when either scan was cut short: then changes beyond the cut are missing (never invented).
    reason : str or None
        Why (the scans' reasons, distinct ones joined by ``"; "``); ``None`` when complete.
    """

    changes: list[FileChange] = dataclasses.field(default_factory=list)
    complete: bool = True
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"changes": [c.to_json() for c in self.changes], "complete": self.complete, "reason": self.reason}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> "FilesTouched":
        data = data or {}
        return cls(changes=[FileChange.from_json(c) for c in data.get("changes") or []],
                   complete=bool(data.get("complete", True)), reason=data.get("reason"))

    def line(self, max_items: int = 10) -> str:
        """The observation's last line: ``files: + results.csv 12 KB, ~ data.parquet 3.1 MB, - old.csv``.

        ``+`` created, ``~`` modified (with the size after the step, :func:`human_size`), ``-`` deleted. A path
        with whitespace, a comma, a quote or an unprintable character is shown in double quotes with escapes, so
        the line stays one line and can be split back.

        Parameters
        ----------
        max_items : int
            Changes shown; the rest are counted as ``+ N more``.

        Returns
        -------
        str
            The line, ending with ``(scan cut short: REASON)`` when incomplete (``files: no changes seen (...)``
            when it found none); ``""`` when nothing changed and both scans were complete.
        """
        note = f" (scan cut short: {self.reason})" if self.reason else " (scan cut short)"
        if not self.changes:
            return "" if self.complete else "files: no changes seen" + note
        shown = self.changes[:max(max_items, 0)]
        items = [f"{_MARKS[c.change]} {_quoted(c.path)}" + ("" if c.size is None else f" {human_size(c.size)}")
                 for c in shown]
        if len(self.changes) > len(shown):
            items.append(f"+ {len(self.changes) - len(shown)} more")
        return "files: " + ", ".join(items) + ("" if self.complete else note)


def scan(root: str | os.PathLike[str], max_files: int = 20_000, budget_s: float = 0.5,
         skip: Collection[str] = DEFAULT_SKIP) -> Snapshot:
    """Record the entries under ``root``, depth first in sorted order, within a file count and a time budget.

    Directories are descended into (not recorded); everything else is an entry, with ``DirEntry.stat(
    follow_symlinks=False)``: a symlink is recorded as itself (its own size and mtime, also when broken or pointing
    at a directory) and never followed, so links cannot loop or count a file twice. Directories that cannot be
    listed and entries that vanish or cannot be stat'ed are skipped silently.

    Parameters
    ----------
    root : str or os.PathLike
        The directory to scan (usually the kernel's working directory); made absolute.
    max_files : int
        Entries to record at most; meeting one more cuts the scan short (``"stopped at 20,000 files"``).
    budget_s : float
        Wall-time budget in seconds, checked before each entry; ``0`` stops at the first one.
    skip : collection of str
        Names (not paths) skipped at any depth, directories and files alike; :data:`DEFAULT_SKIP` by default.

    Returns
    -------
    Snapshot
        Never raises for filesystem errors: an unreadable or missing ``root`` gives an empty, complete snapshot.
    """
    t0 = time.perf_counter()
    deadline = t0 + budget_s
    root = os.path.abspath(os.fspath(root))
    skip = skip if isinstance(skip, (set, frozenset)) else frozenset(skip)
    entries: dict[str, tuple[int, int]] = {}
    last: str | None = None
    reason: str | None = None
    stack = [("", _listing(root))]  # (relative prefix ending in "/", or "" for root; iterator over sorted entries)
    clock = time.perf_counter
    while stack:
        prefix, it = stack[-1]
        entry = next(it, None)
        if entry is None:
            stack.pop()
            continue
        name = entry.name
        if name in skip:
            continue
        if clock() >= deadline:
            reason = f"stopped after {budget_s:g} s"
            break
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            continue
        if is_dir:
            stack.append((f"{prefix}{name}/", _listing(entry.path)))
            continue
        if len(entries) >= max_files:
            reason = f"stopped at {max_files:,} files"
            break
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        last = prefix + name
        entries[last] = (st.st_size, st.st_mtime_ns)
    return Snapshot(root=root, entries=entries, complete=reason is None, reason=reason,
                    elapsed_s=time.perf_counter() - t0, last=last)


def diff(before: Snapshot, after: Snapshot) -> FilesTouched:
    """What changed between two scans of the same root; honest when either was cut short (module docstring).

    Parameters
    ----------
    before, after : Snapshot
        Scans of the same root, with the same ``skip``, before and after a step.

    Returns
    -------
    FilesTouched
        Created (sizes after), modified (size or ``mtime_ns`` changed; sizes after) and deleted entries, each group
        in walk order; incomplete when either scan was.

    Raises
    ------
    ValueError
        When the two scans have different roots.
    """
    if before.root != after.root:
        raise ValueError(f"scans of different roots: {before.root!r} and {after.root!r}")
    old, new = before.entries, after.entries
    before_covers, after_covers = _coverage(before), _coverage(after)
    created: list[FileChange] = []
    modified: list[FileChange] = []
    for path, stat in new.items():
        was = old.get(path)
        if was is None:
            if before_covers(path):
                created.append(FileChange(path, "created", stat[0]))
        elif was != stat:
            modified.append(FileChange(path, "modified", stat[0]))
    deleted = [FileChange(path, "deleted") for path in old if path not in new and after_covers(path)]
    reasons = list(dict.fromkeys(r for r in (before.reason, after.reason) if r))
    return FilesTouched(changes=created + modified + deleted, complete=before.complete and after.complete,
                        reason="; ".join(reasons) or None)


def combine(steps: Iterable[FilesTouched]) -> FilesTouched:
    """The net change of several steps' files, in order (a run's, for the panel): each path once.

    Created then modified is created (with the last size); created then deleted is nothing; deleted then created is
    modified; modified then deleted is deleted. Incomplete when any step's scan was, with their reasons.

    Parameters
    ----------
    steps : iterable of FilesTouched
        The steps' changes, oldest first.

    Returns
    -------
    FilesTouched
        Ordered as :func:`diff` orders them (created, modified, deleted; each by first appearance).
    """
    first: dict[str, str] = {}
    last: dict[str, FileChange] = {}
    complete, reasons = True, []
    for touched in steps:
        complete = complete and touched.complete
        if touched.reason and touched.reason not in reasons:
            reasons.append(touched.reason)
        for change in touched.changes:
            first.setdefault(change.path, change.change)
            last[change.path] = change
    groups: dict[str, list[FileChange]] = {"created": [], "modified": [], "deleted": []}
    for path, began in first.items():
        end = last[path]
        if began == "created":
            if end.change != "deleted":
                groups["created"].append(FileChange(path, "created", end.size))
        elif end.change == "deleted":
            groups["deleted"].append(FileChange(path, "deleted"))
        else:
            groups["modified"].append(FileChange(path, "modified", end.size))
    return FilesTouched(changes=groups["created"] + groups["modified"] + groups["deleted"], complete=complete,
                        reason="; ".join(reasons) or None)


def human_size(n: int) -> str:
    """A size as file browsers show it, in decimal units (1 KB = 1,000 bytes, as GNOME Files and the macOS Finder).

    Parameters
    ----------
    n : int
        A size in bytes, not negative.

    Returns
    -------
    str
        ``"512 B"`` below 1,000 bytes; else one decimal below 10 of the unit and none from 10 on (``"3.1 MB"``,
        ``"12 KB"``, ``"999 KB"``), rounded into the next unit rather than showing 1000 (``"1.0 MB"``).

    Raises
    ------
    ValueError
        When ``n`` is negative.
    """
    if n < 0:
        raise ValueError(f"negative size: {n}")
    if n < 1000:
        return f"{n} B"
    value = float(n)
    for unit in _UNITS:
        value /= 1000
        text = f"{value:.1f}" if value < 9.95 else f"{value:.0f}"
        if float(text) < 1000 or unit == _UNITS[-1]:
            return f"{text} {unit}"
    raise AssertionError("unreachable")  # pragma: no cover


def _listing(path: str) -> Iterator[os.DirEntry]:
    """An iterator over the entries of directory ``path`` sorted by name; empty when it cannot be listed."""
    try:
        with os.scandir(path) as it:
            return iter(sorted(it, key=_name))
    except OSError:
        return iter(())


def _name(entry: os.DirEntry) -> str:
    return entry.name


def _walk_key(path: str) -> list[str]:
    """``path``'s place in walk order: its components (pre-order over sorted names is their lexicographic order)."""
    return path.split("/")


def _coverage(snapshot: Snapshot) -> Callable[[str], bool]:
    """A test of whether ``snapshot`` covered a relative path: everything when complete, else up to its last."""
    if snapshot.complete:
        return lambda path: True
    if snapshot.last is None:
        return lambda path: False
    bound = _walk_key(snapshot.last)
    return lambda path: _walk_key(path) <= bound


def _printable(path: str) -> str:
    """``path`` as valid UTF-8 text: bytes an ``os.fsdecode`` could not decode (lone surrogates) become ``\\xNN``."""
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        try:
            raw = path.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # surrogates outside the escape range (possible on Windows)
            raw = path.encode("utf-8", "surrogatepass")
        return raw.decode("utf-8", "backslashreplace")


def _quoted(path: str) -> str:
    """``path`` for :meth:`FilesTouched.line`: as is, or in double quotes with backslash escapes (undecodable bytes
    as ``\\xNN``) when whitespace, a comma, a quote or an unprintable character would make it ambiguous."""
    if not any(c.isspace() or c in ',"' or not c.isprintable() for c in path):
        return path
    out = []
    for c in path:
        if c in '"\\':
            out.append("\\" + c)
        elif c == " " or c.isprintable():
            out.append(c)
        elif 0xDC80 <= ord(c) <= 0xDCFF:  # a byte os.fsdecode could not decode
            out.append(f"\\x{ord(c) - 0xDC00:02x}")
        else:
            out.append(ascii(c)[1:-1])
    return '"' + "".join(out) + '"'
