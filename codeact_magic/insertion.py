"""Where a run's cell goes in a notebook, and whether it goes in at all: the rules of the JupyterLab extension
(``labextension/src/insertion.ts``, and ``planOutputs`` of ``handler.ts``), in Python, for the frontends that are not
a browser (``codeact run``).

The rules, as the extension applies them:

- A key (``metadata.codeact.key``, an identity only) is inserted at most once per notebook: not if a cell of the
  notebook already carries it, and not if it was handled before by this planner (a cell the user deleted stays
  deleted).
- A cell goes after the present cell of its run with the greatest lower index (or before the one with the least
  higher index), so the run's cells stay in order. The index is the integer ``metadata.codeact.index``, never read
  out of the key; a cell of the run without one is left out of the ordering but still counts for its key. Only the
  cells of the same ``%%codeact`` cell count (``metadata.codeact.source_cell_id``, the message's ``cell_id``): a
  follow-up (``%%codeact --continue``) goes on with the same run from another cell, and its cells go below that cell.
- The first cell of a run goes right below its ``%%codeact`` cell (the anchor, found by id). With ``replace``, the
  block of earlier runs' cells of that anchor right below it is removed first, except the cells the user edited
  (their source no longer matches the hash taken at insertion, or there is no hash): those stay, below the new
  run's cells. With ``append``, the new run's cells go after that block.
- With no anchor in the notebook, the cell goes at the end, but only when this frontend started the run.
- An ``outputs`` message replaces the outputs of the cell carrying its key, if there is one.

Pure: the notebook is anything with the methods of :class:`NotebookCells`; :class:`CellList` is one over a list of
nbformat cells (dicts). The messages are the ``cell`` and ``outputs`` messages of ``schema/messages.schema.json``.
"""

from __future__ import annotations

import array
import copy
import dataclasses
import sys
import uuid
from collections.abc import MutableSequence, Sequence
from typing import Any, Protocol

__all__ = ["CellList", "InsertPlan", "InsertionPlanner", "NotebookCells", "OutputsPlan", "apply_message",
           "cell_to_insert", "codeact_metadata", "edited", "newest_execution_count", "plan_outputs", "source_hash"]


def source_hash(source: str) -> str:
    """A cheap, stable fingerprint of a cell's source, to tell whether the user edited it: 32-bit FNV-1a over the
    UTF-16 code units, as 8 hex digits (the extension's ``sourceHash``, so both judge a cell alike)."""
    units = array.array("H", source.encode("utf-16-le", "surrogatepass"))
    if sys.byteorder == "big":
        units.byteswap()
    value = 0x811C9DC5
    for unit in units:
        value = ((value ^ unit) * 0x01000193) & 0xFFFFFFFF
    return f"{value:08x}"


def codeact_metadata(value: Any) -> dict[str, Any] | None:
    """``metadata.codeact`` of a cell when it is a run's (a mapping with a ``run_id``), else ``None``."""
    return value if isinstance(value, dict) and "run_id" in value else None


def _text(source: Any) -> str:
    return "".join(source) if isinstance(source, list) else str(source or "")


class NotebookCells(Protocol):
    """The notebook as the planner sees it; indices are positions in the notebook."""

    def __len__(self) -> int: ...

    def id(self, index: int) -> str | None:
        """The cell's nbformat id."""

    def codeact(self, index: int) -> dict[str, Any] | None:
        """``metadata.codeact`` of the cell, or ``None`` for the user's own cells."""

    def source(self, index: int) -> str:
        """The cell's current source."""

    def apply(self, remove: Sequence[int], at: int, cell: dict[str, Any]) -> None:
        """Remove the cells at ``remove`` (ascending positions), then insert ``cell`` at ``at`` (a position after the
        removal)."""

    def set_outputs(self, index: int, outputs: list[dict[str, Any]]) -> None:
        """Replace the outputs of the code cell at ``index``."""


class CellList:
    """:class:`NotebookCells` over a list of nbformat v4 cells (plain dicts or ``NotebookNode``), changed in place.

    Parameters
    ----------
    cells : list of dict
        The notebook's cells; inserted cells are plain dicts with a fresh ``id`` (a UUID, as JupyterLab gives).
    """

    def __init__(self, cells: MutableSequence[dict[str, Any]]) -> None:
        self.cells = cells

    def __len__(self) -> int:
        return len(self.cells)

    def id(self, index: int) -> str | None:
        return self.cells[index].get("id")

    def codeact(self, index: int) -> dict[str, Any] | None:
        return codeact_metadata((self.cells[index].get("metadata") or {}).get("codeact"))

    def source(self, index: int) -> str:
        return _text(self.cells[index].get("source"))

    def apply(self, remove: Sequence[int], at: int, cell: dict[str, Any]) -> None:
        for position in sorted(remove, reverse=True):
            del self.cells[position]
        self.cells.insert(at, {"id": str(uuid.uuid4()), **cell})

    def set_outputs(self, index: int, outputs: list[dict[str, Any]]) -> None:
        if self.cells[index].get("cell_type") == "code":  # a cell that is not a code cell (any more) is left alone
            self.cells[index]["outputs"] = copy.deepcopy(outputs)


@dataclasses.dataclass(frozen=True)
class InsertPlan:
    """What becomes of one ``cell`` message.

    Attributes
    ----------
    kind : str
        ``insert`` or ``skip``.
    at : int or None
        With ``insert``: the position of the new cell, after the removal.
    remove : tuple of int
        With ``insert``: positions of earlier runs' cells to remove first (``replace``), ascending.
    reason : str or None
        With ``skip``: ``no-insert`` (``--no-insert``), ``present`` (a cell already carries the key), ``handled``
        (this planner handled the key before; the user deleted it) or ``not-ours`` (no anchor, run started
        elsewhere).
    """

    kind: str
    at: int | None = None
    remove: tuple[int, ...] = ()
    reason: str | None = None

    @classmethod
    def insert(cls, at: int, remove: Sequence[int] = ()) -> "InsertPlan":
        return cls("insert", at=at, remove=tuple(remove))

    @classmethod
    def skip(cls, reason: str) -> "InsertPlan":
        return cls("skip", reason=reason)


@dataclasses.dataclass(frozen=True)
class OutputsPlan:
    """What becomes of one ``outputs`` message: ``replace`` the outputs of the cell ``at``, or ``skip`` (``absent``:
    no cell carries the key)."""

    kind: str
    at: int | None = None
    reason: str | None = None


def edited(cells: NotebookCells, index: int) -> bool:
    """Whether the user changed the run's cell at ``index`` since it was inserted (or it carries no hash to tell)."""
    hash_ = (cells.codeact(index) or {}).get("source_hash")
    return not hash_ or hash_ != source_hash(cells.source(index))


def _earlier_runs_block(cells: NotebookCells, anchor: int, message: dict[str, Any]) -> list[int]:
    """Positions of the contiguous cells right below ``anchor`` that earlier runs of the same anchor inserted."""
    block = []
    for i in range(anchor + 1, len(cells)):
        meta = cells.codeact(i)
        if not meta or meta.get("run_id") == message["run_id"] or meta.get("source_cell_id") != message["cell_id"]:
            break
        block.append(i)
    return block


def _same_source(meta: dict[str, Any], message: dict[str, Any]) -> bool:
    """Whether an inserted cell came from the message's ``%%codeact`` cell (one without ``source_cell_id`` may have)."""
    return "source_cell_id" not in meta or meta["source_cell_id"] == message.get("cell_id")


def newest_execution_count(runs: Sequence[dict[str, Any]], cell_id: str | None) -> int | None:
    """The execution count the cell ``cell_id`` got when it last started or continued one of ``runs`` (run
    summaries): the run's own ``execution_count`` or a follow-up's, whichever started last; ``None`` when none of them
    came from that cell. The extension's ``newestExecutionOfCell`` (``runs.ts``)."""
    newest: tuple[str, int | None] | None = None
    for run in runs:
        starts = [(run.get("cell_id"), run.get("execution_count"), run.get("started_at", ""))]
        starts += [(f.get("cell_id"), f.get("execution_count"), f.get("started_at", "")) for f in run.get("followups", [])]
        for source, count, at in starts:
            if cell_id is not None and source == cell_id and (newest is None or at > newest[0]):
                newest = (at, count)
    return None if newest is None else newest[1]


def _is_index(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class InsertionPlanner:
    """Decides where each cell of a run goes in one notebook, and remembers what it handled (one per notebook).

    Attributes
    ----------
    handled_keys : set of str
        Keys handled here: inserted, or found present.
    seen_runs : set of str
        Runs that have had a cell handled here.
    """

    def __init__(self) -> None:
        self.handled_keys: set[str] = set()
        self.seen_runs: set[str] = set()

    def plan(self, cells: NotebookCells, message: dict[str, Any], started_here: bool) -> InsertPlan:
        """Plan the insertion of one ``cell`` message.

        Parameters
        ----------
        cells : NotebookCells
            The notebook now.
        message : dict
            The ``cell`` message.
        started_here : bool
            Whether this frontend sent the execute request that started the run.

        Returns
        -------
        InsertPlan
        """
        key, run_id, index = message["key"], message["run_id"], message["index"]
        if message.get("insert_mode") == "none":
            return InsertPlan.skip("no-insert")
        if key in self.handled_keys:
            return InsertPlan.skip("handled")
        anchor = before = after = -1
        before_index, after_index = float("-inf"), float("inf")
        for i in range(len(cells)):  # one pass: the key, this run's cells, the anchor
            meta = cells.codeact(i)
            if meta:
                if meta.get("key") == key:
                    return InsertPlan.skip("present")
                k = meta.get("index")
                if meta.get("run_id") == run_id and _is_index(k) and _same_source(meta, message):
                    if before_index < k < index:
                        before, before_index = i, k
                    elif index < k < after_index:
                        after, after_index = i, k
            if anchor < 0 and message.get("cell_id") is not None and cells.id(i) == message["cell_id"]:
                anchor = i
        if before >= 0:
            return InsertPlan.insert(before + 1)
        if after >= 0:
            return InsertPlan.insert(after)
        if anchor < 0:
            return InsertPlan.insert(len(cells)) if started_here else InsertPlan.skip("not-ours")
        block = _earlier_runs_block(cells, anchor, message)  # the run's first cell here
        if message.get("insert_mode") == "append":
            return InsertPlan.insert(anchor + 1 + len(block))
        remove = [] if run_id in self.seen_runs else [i for i in block if not edited(cells, i)]
        return InsertPlan.insert(anchor + 1, remove)

    def commit(self, message: dict[str, Any]) -> None:
        """Record that ``message`` was dealt with (inserted, or found present): its key is never inserted again."""
        self.handled_keys.add(message["key"])
        self.seen_runs.add(message["run_id"])


def cell_to_insert(message: dict[str, Any]) -> dict[str, Any]:
    """The cell to insert for a ``cell`` message: the kernel's cell (a copy), with the message's index and the source
    hash in ``metadata.codeact``, code cells trusted (their outputs come from this kernel), and no id."""
    cell = copy.deepcopy(message["cell"])
    cell.pop("id", None)
    metadata = cell.setdefault("metadata", {})
    metadata["codeact"] = {**metadata.get("codeact", {}), "index": message["index"],
                           "source_hash": source_hash(_text(cell.get("source")))}
    if cell.get("cell_type") == "code":
        metadata["trusted"] = True
    return cell


def plan_outputs(cells: NotebookCells, message: dict[str, Any]) -> OutputsPlan:
    """Where an ``outputs`` message goes: the cell carrying its key (a later step updated a display of that cell's
    step), or nowhere."""
    for i in range(len(cells)):
        meta = cells.codeact(i)
        if meta and meta.get("key") == message["key"] and meta.get("run_id") == message["run_id"]:
            return OutputsPlan("replace", at=i)
    return OutputsPlan("skip", reason="absent")


def apply_message(planner: InsertionPlanner, cells: NotebookCells, message: dict[str, Any],
                  started_here: bool = True) -> InsertPlan | OutputsPlan | None:
    """Plan and apply one ``cell`` or ``outputs`` message to ``cells``, as the extension's handler does.

    Parameters
    ----------
    planner : InsertionPlanner
        The notebook's planner.
    cells : NotebookCells
        The notebook, changed in place.
    message : dict
        A codeact message; other types than ``cell`` and ``outputs`` are left alone.
    started_here : bool
        Whether this frontend started the run.

    Returns
    -------
    InsertPlan, OutputsPlan or None
        What was done; ``None`` for another type of message.
    """
    kind = message.get("type")
    if kind == "cell":
        plan = planner.plan(cells, message, started_here)
        if plan.kind == "insert":
            cells.apply(plan.remove, plan.at, cell_to_insert(message))
        if plan.kind == "insert" or plan.reason == "present":
            planner.commit(message)
        return plan
    if kind == "outputs":
        found = plan_outputs(cells, message)
        if found.kind == "replace":
            cells.set_outputs(found.at, message["outputs"])
        return found
    return None
