"""The kernel's side of the channel to the JupyterLab extension: comm messages of protocol ``codeact`` v1.

Messages are declared once, in ``codeact_magic/schema/messages.schema.json``; the extension and the tests validate
the same fixtures against it. The kernel publishes on a comm it opens (target ``codeact``) on iopub, so every
connected front end sees them even while the kernel is busy; front ends send ``sync`` and ``export_request`` on a
comm they open to the ``codeact`` target, answered when the kernel is next idle.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from importlib import resources
from typing import Any

from .agent import RunObserver
from .records import Run, Step, Turn
from .trajectory import run_cells, run_to_notebook

__all__ = ["PROTOCOL", "PROTOCOL_VERSION", "FrontendChannel", "run_summary", "load_schema"]

PROTOCOL = "codeact"
PROTOCOL_VERSION = 1
COMM_TARGET = "codeact"


def load_schema() -> dict[str, Any]:
    """The JSON Schema of the messages (draft 2020-12), as shipped in the package."""
    return json.loads(resources.files("codeact_magic").joinpath("schema/messages.schema.json").read_text("utf-8"))


def run_summary(run: Run, current_code: str | None = None) -> dict[str, Any]:
    """A ``RunSummary`` (see the schema) of ``run``."""
    return {
        "run_id": run.run_id,
        "task": run.task,
        "model": run.model,
        "status": run.status,
        "end_reason": run.end_reason,
        "steps": len(run.steps),
        "max_steps": run.max_steps,
        "usage": run.usage.to_json(),
        "cost_usd": run.cost_usd,
        "started_at": run.started_at,
        "elapsed_s": round(run.elapsed_s, 3),
        "cell_id": run.cell_id,
        "insert_mode": run.insert_mode,
        "current_code": current_code,
    }


def _message(kind: str, **fields: Any) -> dict[str, Any]:
    return {"protocol": PROTOCOL, "version": PROTOCOL_VERSION, "type": kind, **fields}


def _json(value: Any) -> Any:
    """``value`` as plain dicts and lists (a NotebookNode is a dict subclass); strings are kept, not copied."""
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    return value


def _plain(cell: Any) -> dict[str, Any]:
    data = _json(cell)
    data.pop("id", None)
    return data


class FrontendChannel(RunObserver):
    """Publishes a run's progress and cells to JupyterLab, and answers the extension's requests.

    Parameters
    ----------
    runs : callable
        Returns this kernel's runs, oldest first.
    text_interval_s : float
        Seconds between two ``text`` messages while the model streams.
    heartbeat_s : float
        Seconds between two ``run`` messages while a step runs, so a page reloaded during a long step catches up.
    """

    def __init__(self, runs: Callable[[], list[Run]], text_interval_s: float = 0.15, heartbeat_s: float = 2.0) -> None:
        self._runs = runs
        self.text_interval_s = text_interval_s
        self.heartbeat_s = heartbeat_s
        self._comm: Any = None
        self._registered = False
        self._sent: dict[str, int] = {}
        self._last_text = 0.0
        self._started = 0.0
        self._beat: threading.Event | None = None
        self._lock = threading.Lock()
        self.frontends = 0  # comms opened to us by front ends: > 0 means the extension is there
        #: Applied to every message before it leaves the kernel (``Redactor.data``, set by the magic for each run).
        self.redact: Callable[[Any], Any] | None = None

    # -- kernel plumbing -------------------------------------------------------------------------------------------
    def register(self) -> bool:
        """Register the ``codeact`` comm target with the kernel's comm manager.

        Returns
        -------
        bool
            False when there is no kernel (terminal IPython): then nothing is ever sent.
        """
        try:
            from comm import get_comm_manager

            manager = get_comm_manager()
            manager.register_target(COMM_TARGET, self._on_open)
            self._registered = True
            self._open()  # at once, so a page that connects later finds the kernel's comm and asks for the runs
        except Exception:  # noqa: BLE001 - no kernel, no frontend channel
            self._registered = False
        return self._registered

    def _open(self) -> Any:
        """The kernel's own comm, (re)opened when missing or closed (a console without the extension closes it)."""
        if self._comm is None or getattr(self._comm, "_closed", False):
            from comm import create_comm

            comm = create_comm(target_name=COMM_TARGET, data=_message("runs", runs=self._summaries()))
            comm.on_close(lambda msg: setattr(self, "_comm", None) if self._comm is comm else None)
            self._comm = comm
        return self._comm

    def unregister(self) -> None:
        """Undo :meth:`register` and close the kernel's comm."""
        if self._registered:
            try:
                from comm import get_comm_manager

                get_comm_manager().unregister_target(COMM_TARGET, self._on_open)
            except Exception:  # noqa: BLE001
                pass
        if self._comm is not None:
            self._comm.close()
            self._comm = None
        self._registered = False

    def send(self, message: dict[str, Any], comm: Any = None) -> None:
        """Publish one message (already built with its envelope) on iopub."""
        if not self._registered:
            return
        if self.redact is not None:
            message = self.redact(message)
        with self._lock:  # the heartbeat thread sends too
            (comm or self._open()).send(data=message)

    def _summaries(self) -> list[dict[str, Any]]:
        return [run_summary(r) for r in self._runs()]

    def _on_open(self, comm: Any, open_msg: dict[str, Any]) -> None:
        self.frontends += 1
        comm.on_msg(lambda msg: self._on_msg(comm, msg))
        comm.on_close(lambda msg: setattr(self, "frontends", max(0, self.frontends - 1)))
        self._on_msg(comm, open_msg)

    def _on_msg(self, comm: Any, msg: dict[str, Any]) -> None:
        data = msg.get("content", {}).get("data") or {}
        if data.get("protocol") != PROTOCOL:
            return
        if data.get("version") != PROTOCOL_VERSION:
            comm.send(data=_message("error", message=f"This kernel speaks codeact protocol v{PROTOCOL_VERSION}, "
                                    f"the extension v{data.get('version')}: upgrade the older of the two."))
            return
        kind = data.get("type")
        if kind == "sync":
            self.send(_message("runs", runs=self._summaries()), comm)
        elif kind == "export_request":
            run = next((r for r in self._runs() if r.run_id == data.get("run_id")), None)
            if run is None:
                comm.send(data=_message("error", message=f"No run {data.get('run_id')!r} in this kernel."))
            else:
                notebook = json.loads(json.dumps(run_to_notebook(run)))
                self.send(_message("export", run_id=run.run_id, filename=f"codeact-{run.run_id}.ipynb",
                                   notebook=notebook), comm)

    # -- run events ------------------------------------------------------------------------------------------------
    def _update(self, run: Run, current_code: str | None = None) -> None:
        self.send(_message("run", run=run_summary(run, current_code)))

    def _cells(self, run: Run) -> None:
        if run.insert_mode == "none" or not self._registered:
            return
        sent = self._sent.get(run.run_id, 0)
        for index, cell in enumerate(run_cells(run, start=sent), start=sent):  # run_cells numbers them the same
            self.send(_message("cell", run_id=run.run_id, key=cell["metadata"]["codeact"]["key"], index=index,
                               cell_id=run.cell_id, insert_mode=run.insert_mode, cell=_plain(cell)))
            self._sent[run.run_id] = index + 1

    def _heartbeat(self, run: Run, code: str, stop: threading.Event) -> None:
        while not stop.wait(self.heartbeat_s):
            summary = run_summary(run, code)
            summary["elapsed_s"] = round(time.monotonic() - self._started, 3)
            self.send(_message("run", run=summary))

    def _stop_heartbeat(self) -> None:
        if self._beat is not None:
            self._beat.set()
            self._beat = None

    def run_started(self, run: Run) -> None:
        self._started = time.monotonic()
        self._update(run)

    def text(self, run: Run, text: str) -> None:
        now = time.monotonic()
        if now - self._last_text >= self.text_interval_s or not text:  # "" voids a broken turn's text: at once
            self._last_text = now
            self.send(_message("text", run_id=run.run_id, text=text))

    def turn_finished(self, run: Run, turn: Turn) -> None:
        self.send(_message("text", run_id=run.run_id, text=turn.text))
        self._cells(run)
        self._update(run)

    def step_started(self, run: Run, index: int, code: str) -> None:
        self._update(run, current_code=code)
        if self._registered and self.heartbeat_s > 0:
            self._stop_heartbeat()
            self._beat = threading.Event()
            threading.Thread(target=self._heartbeat, args=(run, code, self._beat), daemon=True,
                             name="codeact-heartbeat").start()

    def step_finished(self, run: Run, step: Step) -> None:
        self._stop_heartbeat()
        self._cells(run)
        self._update(run)

    def run_finished(self, run: Run) -> None:
        self._stop_heartbeat()
        self._cells(run)
        self._update(run)
