"""The kernel's side of the channel to the JupyterLab extension: the comm plumbing and the run observer.

The messages themselves are built by :mod:`codeact_magic.protocol` (declared once, in
``codeact_magic/schema/messages.schema.json``). The kernel publishes on a comm it opens (target ``codeact``) on iopub, so every
connected front end sees them even while the kernel is busy; front ends send ``sync``, ``export_request`` and
``undo_request`` on a comm they open to the ``codeact`` target, answered when the kernel is next idle.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from traitlets.log import get_logger

from . import protocol
from .agent import RunObserver
from .display import compact_bundles
from .protocol import COMM_TARGET, PROTOCOL, PROTOCOL_VERSION
from .records import Run, Step, Turn
from .trajectory import run_cells, run_to_notebook, step_outputs

__all__ = ["FrontendChannel"]

#: Seconds after the run's last event during which the sender thread looks for work every :data:`POLL_S` untold (so
#: the run's thread need not wake it at each turn); past them it waits until told, or for the next heartbeat.
LINGER_S = 1.0
#: Seconds between two looks of the sender thread while it lingers.
POLL_S = 0.05


class FrontendChannel(RunObserver):
    """Publishes a run's progress and cells to JupyterLab, and answers the extension's requests.

    While a run goes on, a sender thread of its own (``codeact-frontend``) sends what is due between the run's
    events: the heartbeat while a step runs, and the streamed text told since the last ``text`` message, at most every
    ``text_interval_s`` and at the end of that interval (a trailing message, so a pause in the stream does not hold
    back what came before it). The run's thread (the one that runs the loop) sends everything else, the final text
    of each turn included, as each event comes.

    Parameters
    ----------
    runs : callable
        Returns this kernel's runs, oldest first.
    text_interval_s : float
        Seconds between two ``text`` messages while the model streams.
    heartbeat_s : float
        Seconds between two ``run`` messages while a step runs, so a page reloaded during a long step catches up.
    setup : callable, optional
        Returns the user's earlier cells a run read from (:func:`~codeact_magic.history.kernel_setup`), put first in
        the notebook an ``export_request`` gets, as ``%codeact export`` does, so it stands alone.
    undo : callable, optional
        ``undo(run_id, force) -> UndoReport`` (:func:`codeact_magic.undo.undo_in_kernel`, announcing nothing
        itself): serves ``undo_request``; a ``UsageError`` it raises is answered as a refused ``undo``.
    undoable : callable, optional
        ``undoable(run) -> bool``: the ``undoable`` of each run summary sent.
    """

    def __init__(self, runs: Callable[[], list[Run]], text_interval_s: float = 0.15, heartbeat_s: float = 2.0,
                 setup: Callable[[Run], Any] | None = None, undo: Callable[[str, bool], Any] | None = None,
                 undoable: Callable[[Run], bool] | None = None) -> None:
        self.log = get_logger()
        self._runs = runs
        self._setup = setup
        self._undo = undo
        self.undoable: Callable[[Run], bool] = undoable or (lambda run: False)
        self.text_interval_s = text_interval_s
        self.heartbeat_s = heartbeat_s
        self._comm: Any = None
        self._registered = False
        self._sent: dict[str, int] = {}  # run id -> how many of its cells were sent
        self._step_cells: dict[str, dict[int, int]] = {}  # run id -> step number -> index of its sent code cell
        # run id -> (steps, cells sent) when it (or its follow-up) started, and whether its cell is compact
        self._parts: dict[str, tuple[int, int, bool]] = {}
        self._started = 0.0
        self._lock = threading.Lock()  # the sender thread sends too
        self.frontends = 0  # comms opened to us by front ends: > 0 means the extension (or `codeact run`) is there
        self.widget_frontends = 0  # those of them that render ipywidgets (all but a `sync` with "widgets": false)
        #: Applied to every message before it leaves the kernel (``Redactor.data``, set by the magic for each run).
        self.redact: Callable[[Any], Any] | None = None
        # The sender thread and what it is to send. It sends only while it holds _sending, having checked under _due
        # that it is still due: so no heartbeat follows its step's end and no text its turn's final text
        # (lock order: _sending, then _due, then _lock).
        self._due = threading.Condition(threading.Lock())
        self._sending = threading.Lock()
        self._thread: threading.Thread | None = None
        self._live: Run | None = None  # the run the sender thread serves; None tells it to end
        self._parked = False  # the sender thread waits until told (nothing happened for LINGER_S, no step runs)
        self._active_at = 0.0  # when the run's last event came
        self._text: str | None = None  # streamed text told and not sent yet
        self._text_at = 0.0  # when a text message was last sent
        self._code: str | None = None  # the code of the step running now
        self._beat_at = 0.0  # when its next heartbeat is due

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
            self.log.debug("codeact: no comm manager, so no frontend channel", exc_info=True)
            self._registered = False
        return self._registered

    def _open(self) -> Any:
        """The kernel's own comm, (re)opened when missing or closed (a console without the extension closes it)."""
        if self._comm is None or getattr(self._comm, "_closed", False):
            from comm import create_comm

            comm = create_comm(target_name=COMM_TARGET, data=protocol.runs_message(self._runs(), self.undoable))
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
                self.log.debug("codeact: the comm target was not unregistered", exc_info=True)
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
        with self._lock:  # the run's own thread sends too
            (comm or self._open()).send(data=message)

    def _on_open(self, comm: Any, open_msg: dict[str, Any]) -> None:
        widgets = (open_msg.get("content", {}).get("data") or {}).get("widgets") is not False
        self.frontends += 1
        self.widget_frontends += widgets
        comm.on_msg(lambda msg: self._on_msg(comm, msg))
        comm.on_close(lambda msg: self._on_close(widgets))
        self._on_msg(comm, open_msg)

    def _on_close(self, widgets: bool) -> None:
        self.frontends = max(0, self.frontends - 1)
        self.widget_frontends = max(0, self.widget_frontends - widgets)

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
            self.send(protocol.runs_message(self._runs(), self.undoable), comm)
        elif kind == "export_request":
            run = next((r for r in self._runs() if r.run_id == data.get("run_id")), None)
            if run is None:
                comm.send(data=protocol.error_message(f"No run {data.get('run_id')!r} in this kernel."))
            else:
                notebook = json.loads(json.dumps(run_to_notebook(run, self._setup(run) if self._setup else None)))
                self.send(protocol.export_message(run, notebook), comm)
        elif kind == "undo_request" and self._undo is not None:
            from IPython.core.error import UsageError

            from .undo import UndoReport

            try:
                report = self._undo(str(data.get("run_id") or ""), bool(data.get("force")))
            except UsageError as refused:
                report = UndoReport([], True, str(refused))
            except Exception as error:  # noqa: BLE001 - the panel waits for a reply: it gets the error, in one line
                self.log.error("codeact: the panel's undo failed", exc_info=True)
                report = UndoReport([], True, f"The undo failed: {type(error).__name__}: {error}")
            self.send(protocol.undo_message(report), comm)

    # -- the sender thread: heartbeats and the streamed text ---------------------------------------------------------
    def _beat_due(self) -> float | None:
        """When the next heartbeat is due (monotonic seconds), or ``None`` while no step runs; under _due."""
        return self._beat_at if self._code is not None else None

    def _text_due(self) -> float | None:
        """When the streamed text not sent yet is due, or ``None`` when there is none; under _due."""
        return self._text_at + self.text_interval_s if self._text is not None else None

    def _next(self) -> float | None:
        """When the sender thread is next due to send (monotonic seconds), or ``None``; under _due."""
        dues = [d for d in (self._beat_due(), self._text_due()) if d is not None]
        return min(dues) if dues else None

    def _told(self) -> None:
        """An event came: the sender thread looks for work for LINGER_S more, woken if it waits until told; under
        _due."""
        self._active_at = time.monotonic()
        if self._parked:
            self._due.notify()

    def _work(self, run: Run) -> None:
        while True:
            with self._due:
                while True:
                    if self._live is not run:
                        return
                    now = time.monotonic()
                    due = self._next()
                    if due is not None and due <= now:
                        break
                    if now - self._active_at < LINGER_S:  # look again soon, untold
                        poll = now + POLL_S
                        due = poll if due is None else min(due, poll)
                    self._parked = due is None
                    self._due.wait(None if due is None else due - now)
                self._parked = False
            try:
                with self._sending:
                    with self._due:  # what is due, seen again with the sending lock held: still due when sent
                        if self._live is not run:
                            return
                        now = time.monotonic()
                        beat_due, text_due = self._beat_due(), self._text_due()
                        beat = self._code if beat_due is not None and beat_due <= now else None
                        if beat is not None:
                            self._beat_at = now + self.heartbeat_s
                        text = None
                        if text_due is not None and text_due <= now:
                            text, self._text, self._text_at = self._text, None, now
                    if beat is not None:
                        self.send(protocol.run_message(run, beat, elapsed_s=now - self._started))
                    if text is not None:
                        self.send(protocol.text_message(run, text))
            except Exception:  # noqa: BLE001 - the run goes on; its next event sends the state again
                self.log.debug("codeact: a message to the frontend failed", exc_info=True)

    def _send_text(self, run: Run, text: str) -> None:
        """Send ``text`` now, from the run's thread; the streamed text the sender thread had pending is superseded."""
        with self._sending:
            with self._due:
                self._text, self._text_at = None, time.monotonic()
                self._active_at = self._text_at
            self.send(protocol.text_message(run, text))

    # -- run events ------------------------------------------------------------------------------------------------
    def _update(self, run: Run, current_code: str | None = None) -> None:
        if self._registered:
            self.send(protocol.run_message(run, current_code))

    def _cells(self, run: Run) -> None:
        if run.insert_mode == "none" or not self._registered:
            return
        sent = self._sent.get(run.run_id, 0)
        for cell in run_cells(run, start=sent):
            self.send(protocol.cell_message(run, cell))
            meta = cell["metadata"]["codeact"]
            self._sent[run.run_id] = meta["index"] + 1
            if meta["role"] == "step":
                self._step_cells.setdefault(run.run_id, {})[meta["step"]] = meta["index"]

    def compact(self, run: Run) -> bool:
        """Whether ``run``'s ``%%codeact`` cell is compact (status line, answer, steps link): a frontend that inserts
        cells has opened its comm, and the run inserts its cells. Known only when the run starts: the kernel reads
        no comm message while a cell runs."""
        return self.frontends > 0 and run.insert_mode != "none"

    def run_started(self, run: Run) -> None:
        self._started = time.monotonic()
        self._parts[run.run_id] = (len(run.steps), self._sent.get(run.run_id, 0), self.compact(run))
        if not self._registered:
            return
        self._update(run)
        with self._due:
            self._live, self._text, self._code, self._text_at = run, None, None, 0.0
            self._active_at, self._parked = time.monotonic(), False
        self._thread = threading.Thread(target=self._work, args=(run,), daemon=True, name="codeact-frontend")
        self._thread.start()

    def text(self, run: Run, text: str) -> None:
        if not self._registered:
            return
        if not text:  # "" voids a broken turn's text: at once
            self._send_text(run, text)
            return
        with self._due:
            if self._live is run:
                self._text = text
                self._told()
                return
        now = time.monotonic()  # no sender thread serves this run (it was not started as one): send as it comes
        if now - self._text_at >= self.text_interval_s:
            self._send_text(run, text)

    def turn_finished(self, run: Run, turn: Turn) -> None:
        if not self._registered:
            return
        self._send_text(run, turn.text)
        self._cells(run)
        self._update(run)

    def step_started(self, run: Run, index: int, code: str) -> None:
        self._update(run, current_code=code)
        if self._registered and self.heartbeat_s > 0:
            with self._due:
                self._code, self._beat_at = code, time.monotonic() + self.heartbeat_s
                self._told()

    def step_finished(self, run: Run, step: Step) -> None:
        with self._sending:
            with self._due:
                self._code = None
                self._active_at = time.monotonic()
        self._cells(run)
        self._update(run)

    def question_answered(self, run: Run, question: Any) -> None:
        """The question and its reply become a Markdown cell below the steps so far."""
        self._cells(run)
        self._update(run)

    def outputs_updated(self, run: Run, step: Step) -> None:
        if run.insert_mode == "none" or not self._registered:
            return
        index = self._step_cells.get(run.run_id, {}).get(step.index)
        if index is not None:  # a cell not sent yet goes out with its outputs as they are
            self.send(protocol.outputs_message(run, index, step_outputs(step)))

    def run_finished(self, run: Run) -> None:
        with self._sending:
            with self._due:
                self._live, self._code, self._text = None, None, None
                self._due.notify()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None
        self._cells(run)
        if not self._registered:
            return
        steps, sent, compact = self._parts.pop(run.run_id, (0, 0, True))
        compact_outputs = None
        if not compact and run.insert_mode != "none":  # e.g. Run All: the page's comm came after the cell
            bundles = compact_bundles(run, len(run.steps) - steps, self._sent.get(run.run_id, 0) - sent)
            compact_outputs = [{"output_type": "display_data", "data": b, "metadata": {}} for b in bundles]
        self.send(protocol.run_message(run, compact_outputs=compact_outputs, undoable=self.undoable(run)))
