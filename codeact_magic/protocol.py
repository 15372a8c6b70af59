"""The message format between the kernel and the JupyterLab extension, on the Python side: comm messages of
protocol ``codeact`` v1 and the ``metadata.codeact`` of every trajectory cell.

Declared once, in ``codeact_magic/schema/messages.schema.json`` (JSON Schema 2020-12). This module builds every
message and every cell's metadata that the schema declares; the extension's TypeScript types and validators are
generated from the same file (``labextension/scripts/generate-protocol.mjs``), and the fixtures in
``tests/fixtures/messages/`` are checked against it by pytest and by jest.

Every message is the ``data`` of a Jupyter comm message on target ``codeact``
(https://jupyter-client.readthedocs.io/en/latest/messaging.html#custom-messages): the envelope
``{"protocol": "codeact", "version": 1, "type": ...}`` and the fields of its type. The builders return plain
``dict``/``list`` values (no ``NotebookNode``), ready for ``comm.send``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from functools import lru_cache
from importlib import resources
from typing import Any

from .files import FilesTouched, combine
from .records import Run

__all__ = [
    "COMM_TARGET", "PROTOCOL", "PROTOCOL_VERSION", "SCHEMA_VERSION", "cell_key", "cell_message", "cell_metadata",
    "error_message", "export_message", "load_schema", "message", "outputs_message", "plain", "run_message",
    "run_summary", "undo_message", "runs_message", "STEPS_MIME", "steps_link", "task_metadata", "text_message",
]

#: The ``protocol`` field of every message.
PROTOCOL = "codeact"
#: The protocol version; a frontend drops messages of another version and tells the user once.
PROTOCOL_VERSION = 1
#: The comm target name, on both sides.
COMM_TARGET = "codeact"
#: Version of the ``metadata.codeact`` an exported notebook carries (``{"schema_version": 1, "run": {...}}``).
SCHEMA_VERSION = 1
#: MIME type of the one-line link from a compact ``%%codeact`` cell output to its run's cells (data: ``StepsLink``).
STEPS_MIME = "application/vnd.codeact.steps+json"


@lru_cache(maxsize=1)
def _schema_text() -> str:
    return resources.files("codeact_magic").joinpath("schema/messages.schema.json").read_text("utf-8")


def load_schema() -> dict[str, Any]:
    """The JSON Schema of the messages (draft 2020-12), as shipped in the package (a fresh copy each call)."""
    return json.loads(_schema_text())


def message(kind: str, **fields: Any) -> dict[str, Any]:
    """A message of type ``kind`` with its envelope: ``{"protocol", "version", "type", **fields}``."""
    return {"protocol": PROTOCOL, "version": PROTOCOL_VERSION, "type": kind, **fields}


def plain(value: Any) -> Any:
    """``value`` as plain dicts and lists (a ``NotebookNode`` is a dict subclass); strings are kept, not copied."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


# -- cell metadata ---------------------------------------------------------------------------------------------------
def cell_key(run_id: str, index: int) -> str:
    """The identity of the run's cell at ``index``: ``<run_id>:<index>``. Read ``index`` for the position; never
    parse it out of the key."""
    return f"{run_id}:{index}"


def cell_metadata(run: Run, index: int, role: str, **fields: Any) -> dict[str, Any]:
    """A trajectory cell's metadata: ``{"codeact": CellMetadata}`` (see the schema).

    Parameters
    ----------
    run : Run
        The run the cell belongs to.
    index : int
        The cell's position among the run's cells, from 0 (the task cell of an export is not counted).
    role : str
        ``reasoning``, ``step``, ``answer`` or ``note``.
    **fields
        The role's own fields: ``turn``; for ``step``: ``step`` (its number, from 1), ``tool_use_id``, ``status``,
        ``duration_s`` (seconds), ``turn_usage``; for ``note``: ``status`` (the run's). ``source_cell_id`` (default
        ``run.cell_id``): the cell the cell is inserted below, a follow-up's for the cells of that follow-up.

    Returns
    -------
    dict
        ``{"codeact": {"run_id", "key", "index", "role", "source_cell_id", **fields}}``, and ``undone`` (when) for
        a cell of the run's part that was undone.
    """
    meta = {"run_id": run.run_id, "key": cell_key(run.run_id, index), "index": index, "role": role,
            "source_cell_id": run.cell_id}
    meta.update(fields)
    if run.undone and index >= int(run.undone.get("from_index", 0)):
        meta["undone"] = run.undone["at"]  # the cell stays, marked
    return {"codeact": meta}


def task_metadata(run: Run) -> dict[str, Any]:
    """The metadata of an export's task cell, which is not one of the run's cells (no ``key``, no ``index``)."""
    return {"codeact": {"run_id": run.run_id, "role": "task"}}


# -- kernel -> frontend ----------------------------------------------------------------------------------------------
def run_summary(run: Run, current_code: str | None = None, elapsed_s: float | None = None,
                compact_outputs: list[dict[str, Any]] | None = None, undoable: bool = False) -> dict[str, Any]:
    """A ``RunSummary`` of ``run``.

    Parameters
    ----------
    run : Run
    current_code : str, optional
        Source of the step running now.
    elapsed_s : float, optional
        Seconds since the run started, when fresher than ``run.elapsed_s`` (the heartbeat during a long step).
    compact_outputs : list of dict, optional
        nbformat outputs the ``%%codeact`` cell keeps once compact, offered at the run's end when the kernel could not
        make it compact itself (see the schema's ``RunSummary.compact_outputs``).
    undoable : bool
        Whether the kernel holds what undoing the run needs (:meth:`codeact_magic.snapshots.UndoStore.undoable`).
    """
    undone = run.undone
    summary = {
        "run_id": run.run_id,
        "task": run.task,
        "model": run.model,
        "status": str(run.status),
        "end_reason": run.end_reason,
        "steps": len(run.steps),
        "max_steps": run.max_steps,
        "usage": run.usage.to_json(),
        "cost_usd": run.cost_usd,
        "started_at": run.started_at,
        "elapsed_s": round(run.elapsed_s if elapsed_s is None else elapsed_s, 3),
        "cell_id": run.cell_id,
        "insert_mode": run.insert_mode,
        "current_code": current_code,
        "execution_count": run.execution_count,
        "replayed_from": run.replayed_from,
        "followups": [{"cell_id": f.cell_id, "execution_count": f.execution_count, "started_at": f.started_at}
                      for f in run.followups],
        "approve": run.approve,
        "isolation": run.isolation,
        "files": run_files(run),
        "output": {k: v for k, v in run.output.items() if k != "corrections"} if run.output else None,
        "mcp": list(run.mcp),
        "undone": None if not undone else {"at": undone["at"], "from_step": int(undone.get("from_step", 1)),
                                           "from_index": int(undone.get("from_index", 0)),
                                           "forced": bool(undone.get("forced"))},
        "undoable": bool(undoable),
    }
    if compact_outputs is not None:
        summary["compact_outputs"] = compact_outputs
    return summary


def run_files(run: Run) -> dict[str, Any]:
    """The files the run's steps touched (``FilesTouched`` JSON), each path once with its net change
    (:func:`codeact_magic.files.combine`)."""
    return combine(FilesTouched.from_json(s.files) for s in run.steps if s.files).to_json()


def runs_message(runs: Iterable[Run], undoable: Callable[[Run], bool] | None = None) -> dict[str, Any]:
    """``runs``: every run of this kernel, oldest first (the reply to ``sync``, and the comm's open message);
    ``undoable(run)`` says whether each can be undone (none, by default)."""
    return message("runs", runs=[run_summary(r, undoable=bool(undoable and undoable(r))) for r in runs])


def run_message(run: Run, current_code: str | None = None, elapsed_s: float | None = None,
                compact_outputs: list[dict[str, Any]] | None = None, undoable: bool = False) -> dict[str, Any]:
    """``run``: one run changed (started, a step started or finished, usage grew, it ended, a heartbeat, it was
    undone)."""
    return message("run", run=run_summary(run, current_code, elapsed_s, compact_outputs, undoable))


def text_message(run: Run, text: str) -> dict[str, Any]:
    """``text``: the model's reasoning streamed so far in the current turn (the whole text; ``""`` voids it)."""
    return message("text", run_id=run.run_id, text=text)


def cell_message(run: Run, cell: dict[str, Any]) -> dict[str, Any]:
    """``cell``: one finished trajectory cell (built by :func:`~codeact_magic.trajectory.run_cells`), without ``id``.

    Its ``key`` and ``index`` are read from the cell's own metadata, so they always agree with it.
    """
    data = plain(cell)
    data.pop("id", None)
    meta = data["metadata"]["codeact"]
    return message("cell", run_id=run.run_id, key=meta["key"], index=meta["index"], cell_id=meta["source_cell_id"],
                   insert_mode=run.insert_mode, cell=data)


def outputs_message(run: Run, index: int, outputs: list[dict[str, Any]]) -> dict[str, Any]:
    """``outputs``: the outputs of the run's cell at ``index`` changed after the cell was sent (a later step's
    ``update_display_data`` replaced one): the frontend replaces that inserted cell's outputs."""
    return message("outputs", run_id=run.run_id, key=cell_key(run.run_id, index), index=index,
                   outputs=plain(outputs))


def export_message(run: Run, notebook: dict[str, Any]) -> dict[str, Any]:
    """``export``: the reply to ``export_request``, the run as an nbformat v4 notebook (plain JSON)."""
    return message("export", run_id=run.run_id, filename=f"codeact-{run.run_id}.ipynb", notebook=notebook)


def undo_message(report: Any) -> dict[str, Any]:
    """``undo``: an undo was done or refused (:class:`codeact_magic.undo.UndoReport`): the runs undone, the report
    printed, and the cells each run's frontend marks undone."""
    return message("undo", run_ids=list(report.run_ids), refused=bool(report.refused),
                   changed=list(report.changed), report=report.text, undone=[dict(u) for u in report.undone])


def error_message(text: str) -> dict[str, Any]:
    """``error``: a request could not be served; ``text`` is one line for the user."""
    return message("error", message=text)


def steps_link(run_id: str, steps: int, cells: int) -> dict[str, Any]:
    """The MIME bundle of the line that ends a compact ``%%codeact`` output: "5 steps below ↓".

    Parameters
    ----------
    run_id : str
    steps : int
        Code steps this cell's run (or follow-up) ran.
    cells : int
        Cells it sent to the frontend (Markdown ones included).

    Returns
    -------
    dict
        ``text/plain`` (what a frontend without the extension shows) and :data:`STEPS_MIME` with a ``StepsLink``
        (``run_id``, ``steps``, ``cells``, ``text``), which the extension renders with a "Go to" button.
    """
    if steps:
        text = f"{steps} step{'' if steps == 1 else 's'} below ↓"
    else:
        text = f"{cells} cell{'' if cells == 1 else 's'} below ↓"
    return {"text/plain": text, STEPS_MIME: {"run_id": run_id, "steps": steps, "cells": cells, "text": text}}
