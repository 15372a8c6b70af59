"""The kernel's side of the channel to the JupyterLab extension: the comm plumbing and the run observer.

The messages themselves are built by :mod:`codeact_magic.protocol` (declared once, in
``codeact_magic/schema/messages.schema.json``). The kernel publishes on a comm it opens (target ``codeact``) on iopub, so every
connected front end sees them even while the kernel is busy; front ends send ``sync`` and ``export_request`` on a
comm they open to the ``codeact`` target, answered when the kernel is next idle.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from . import protocol
from .agent import RunObserver
from .protocol import COMM_TARGET, PROTOCOL, PROTOCOL_VERSION
from .records import Run, Step, Turn
from .trajectory import run_cells, run_to_notebook, step_cell_index, step_outputs

__all__ = ["FrontendChannel"]


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

            comm = create_comm(target_name=COMM_TARGET, data=protocol.runs_message(self._runs()))
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
            comm.send(data=protocol.error_message(f"This kernel speaks codeact protocol v{PROTOCOL_VERSION}, the "
                                                  f"extension v{data.get('version')}: upgrade the older of the two."))
            return
        kind = data.get("type")
        if kind == "sync":
            self.send(protocol.runs_message(self._runs()), comm)
        elif kind == "export_request":
            run = next((r for r in self._runs() if r.run_id == data.get("run_id")), None)
            if run is None:
                comm.send(data=protocol.error_message(f"No run {data.get('run_id')!r} in this kernel."))
            else:
                notebook = json.loads(json.dumps(run_to_notebook(run)))
                self.send(protocol.export_message(run, notebook), comm)

    # -- run events ------------------------------------------------------------------------------------------------
    def _update(self, run: Run, current_code: str | None = None) -> None:
        self.send(protocol.run_message(run, current_code))

    def _cells(self, run: Run) -> None:
        if run.insert_mode == "none" or not self._registered:
            return
        sent = self._sent.get(run.run_id, 0)
        for cell in run_cells(run, start=sent):
            self.send(protocol.cell_message(run, cell))
            self._sent[run.run_id] = cell["metadata"]["codeact"]["index"] + 1

    def _heartbeat(self, run: Run, code: str, stop: threading.Event) -> None:
        while not stop.wait(self.heartbeat_s):
            self.send(protocol.run_message(run, code, elapsed_s=time.monotonic() - self._started))

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
            self.send(protocol.text_message(run, text))

    def turn_finished(self, run: Run, turn: Turn) -> None:
        self.send(protocol.text_message(run, turn.text))
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

    def outputs_updated(self, run: Run, step: Step) -> None:
        if run.insert_mode == "none" or not self._registered:
            return
        index = step_cell_index(run, step.index)
        if index is not None and index < self._sent.get(run.run_id, 0):  # a cell not sent yet goes out as it is
            self.send(protocol.outputs_message(run, index, step_outputs(step)))

    def run_finished(self, run: Run) -> None:
        self._stop_heartbeat()
        self._cells(run)
        self._update(run)
