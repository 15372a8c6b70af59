"""What the ``%%codeact`` cell shows while a run goes on and after: streamed reasoning, each step's code (its
outputs appear below it as the code runs), a status line and the final answer.

With the JupyterLab extension connected (it inserts the run's cells below the ``%%codeact`` cell), the cell is
compact: it keeps only the status line, the final answer and one line pointing at the run's cells ("5 steps below
↓"), and a step's live output shows only until its cell is sent. Without it (VS Code, nbclient, papermill), the cell
holds the whole transcript.

Two forms: :class:`RichDisplay` for Jupyter front ends (display updates by ``display_id``, Markdown, and an
ipywidgets progress bar when the codeact JupyterLab extension is connected) and :class:`TextDisplay` for terminal
IPython. Both are :class:`~codeact_magic.agent.RunObserver` objects.
"""

from __future__ import annotations

import functools
import html
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

from IPython.core.getipython import get_ipython
from IPython.display import DisplayHandle, clear_output, display
from traitlets.log import get_logger

from .agent import RunObserver
from .capture import flush_if_pending
from .markdown import escape_dollars
from .protocol import steps_link
from .records import Run, RunStatus, Step, Turn
from .trajectory import question_text, run_cells

__all__ = ["RichDisplay", "TextDisplay", "compact_bundles", "make_display", "status_bundle", "status_line"]

#: Seconds between two updates of the streamed reasoning in a Jupyter front end (at most 20 updates a second).
THROTTLE_S = 0.05
#: Seconds a model turn waits for its first streamed text before the status line says so.
WAITING_AFTER_S = 0.2
#: Seconds after the last run event during which the model-phase thread looks for work every ``throttle_s`` (so the
#: run's thread need not wake it for each turn); past them it waits until a turn starts.
LINGER_S = 1.0



def status_line(run: Run, step: int | None = None, *, waiting_s: float | None = None,
                elapsed_s: float | None = None) -> str:
    """One line: status, what it waits for, step k of N, tokens in and out, cost in USD, elapsed seconds.

    Parameters
    ----------
    run : Run
    step : int, optional
        The step running now (defaults to the steps done).
    waiting_s : float, optional
        Seconds the request for the model's turn has been outstanding with nothing streamed yet; shown as
        ``waiting for Claude · 12 s``.
    elapsed_s : float, optional
        Seconds since the run started, when fresher than ``run.elapsed_s`` (which moves at each turn and step).

    Returns
    -------
    str
        For example ``running · step 3 of 20 · 12,345 in / 678 out tokens · $0.0312 · 14.2 s``, or while waiting
        ``running · waiting for Claude · 12 s · step 2 of 20 · ...``.
    """
    k = step if step is not None else len(run.steps)
    word = RunStatus(run.status).label
    elapsed = run.elapsed_s if elapsed_s is None else elapsed_s
    if run.replayed_from:
        return f"{word} · step {k} of {run.max_steps} · replay, no model calls · {elapsed:.1f} s"
    if waiting_s is not None:
        word += f" · waiting for Claude · {waiting_s:.0f} s"
    cost = "cost unknown" if run.cost_usd is None else f"${run.cost_usd:.4f}"
    tokens = f"{run.usage.total_input:,} in / {run.usage.output_tokens:,} out tokens"
    extra = [f"{run.usage.cache_read_input_tokens:,} from cache"] if run.usage.cache_read_input_tokens else []
    if run.usage.image_tokens:
        extra.append(f"images ≈ {run.usage.image_tokens:,}")
    if extra:
        tokens += f" ({', '.join(extra)})"
    return f"{word} · step {k} of {run.max_steps} · {tokens} · {cost} · {elapsed:.1f} s"


def status_bundle(run: Run, step: int | None = None, **live: float) -> dict[str, str]:
    """The status line as a MIME bundle: :func:`status_line` as ``text/plain`` and as a coloured ``text/html`` line."""
    line = status_line(run, step, **live)
    colour = {"done": "var(--jp-success-color1, green)", "running": "var(--jp-brand-color1, #1976d2)"}.get(
        run.status, "var(--jp-warn-color1, #f57c00)")
    return {"text/plain": line,
            "text/html": f"<div class='codeact-status' style='font-family:var(--jp-ui-font-family);"
            f"border-left:3px solid {colour};padding:2px 8px'>{html.escape(line)}</div>"}


def compact_bundles(run: Run, steps: int, cells: int) -> list[dict[str, Any]]:
    """What a compact ``%%codeact`` cell keeps once its run (or follow-up) ended, as MIME bundles, in order: the status
    line, why the run ended (unless it answered, or failed: a failure is the magic's error), the final answer, and
    the line pointing at the run's cells (:func:`~codeact_magic.protocol.steps_link`, when it sent any).

    Parameters
    ----------
    run : Run
        The ended run.
    steps, cells : int
        Steps it ran and cells it sent, for this cell (a follow-up counts its own).
    """
    bundles: list[dict[str, Any]] = [status_bundle(run)]
    if run.status != "done" and not RunStatus(run.status).raises and run.end_reason:
        bundles.append(_end_bundle(run.end_reason))
    answer = run.answer.strip() if run.status == "done" else ""
    if answer:
        bundles.append(_markdown(answer))
    if cells > 0:
        bundles.append(steps_link(run.run_id, steps, cells))
    return bundles


def _markdown(text: str) -> dict[str, str]:
    # Markdown, rendered (with highlighted code) by JupyterLab, Notebook 7, VS Code and nbconvert alike; a $ is money
    return {"text/markdown": escape_dollars(text), "text/plain": text}


def _code_bundle(index: int, code: str) -> dict[str, str]:
    fence = "````" if "```" in code else "```"
    return {"text/markdown": f"**Step {index}**\n\n{fence}python\n{code}\n{fence}",
            "text/plain": f"--- Step {index} ---\n{code}"}


def _direct_publisher() -> Any:
    """ipykernel's display publisher, when display messages may be sent as it sends them; else ``None``
    (terminal IPython, or a publisher that is wrapped or has hooks, as while a step's outputs are captured)."""
    pub = getattr(get_ipython(), "display_pub", None)
    if (getattr(pub, "session", None) is None or getattr(pub, "pub_socket", None) is None
            or type(pub).__name__ != "ZMQDisplayPublisher" or "publish" in vars(pub) or getattr(pub, "_hooks", None)):
        return None
    return pub


def _flush_streams() -> None:
    """Flush ``sys.stdout`` and ``sys.stderr`` before a new output, so the text they hold shows before it, as
    ipykernel's ``publish`` does; but not a stream of ipykernel's that holds no text (:func:`flush_if_pending`)."""
    for stream in (sys.stdout, sys.stderr):
        flush_if_pending(stream)


def _send(pub: Any, msg_type: str, content: dict[str, Any]) -> None:
    """Send an iopub message as ``ZMQDisplayPublisher`` sends its own (the same parent header and topic)."""
    pub.session.send(pub.pub_socket, msg_type, content, parent=pub.parent_header, ident=pub.topic)


def _display_content(bundle: dict[str, Any], display_id: str | None = None) -> dict[str, Any]:
    """The content of a ``display_data`` or ``update_display_data`` message, as ``ZMQDisplayPublisher.publish``
    makes it."""
    return {"data": bundle, "metadata": {}, "transient": {} if display_id is None else {"display_id": display_id}}


def _display(bundle: dict[str, Any], display_id: bool = False, handle: Any = None) -> Any:
    """Show the MIME ``bundle`` as a new output, as ``display(bundle, raw=True, display_id=display_id)`` does; returns
    its ``DisplayHandle`` when ``display_id`` (or ``handle``: shown again with that handle's display id, after a
    ``clear_output``). In ipykernel, sent as its publisher sends it, flushing only the streams that hold text
    (:func:`_flush_streams`)."""
    pub = _direct_publisher()
    if handle is not None:
        display_id = handle.display_id
    elif display_id:
        handle = DisplayHandle()
        display_id = handle.display_id
    if pub is None:
        if display_id:
            display(bundle, raw=True, display_id=display_id)
        else:
            display(bundle, raw=True)
        return handle
    _flush_streams()
    _send(pub, "display_data", _display_content(bundle, display_id or None))
    return handle


def _clear_output() -> None:
    """``clear_output(wait=True)``: the cell's outputs go when the next one comes. In ipykernel, sent as its publisher
    sends it, flushing only the streams that hold text (:func:`_flush_streams`)."""
    pub = _direct_publisher()
    if pub is None:
        clear_output(wait=True)
        return
    _flush_streams()
    _send(pub, "clear_output", {"wait": True})


def _update_in_place(handle: Any, bundle: dict[str, str]) -> None:
    """Update the display of ``handle`` (an IPython ``DisplayHandle``) with the MIME ``bundle``. In ipykernel, sent as
    its publisher sends it but without flushing the streams: an update replaces an output where it is, so the order of
    outputs does not depend on it; elsewhere through IPython's ``update_display``."""
    pub = _direct_publisher()
    if pub is None:
        handle.update(bundle, raw=True)
    else:
        _send(pub, "update_display_data", _display_content(bundle, handle.display_id))


class RichDisplay(RunObserver):
    """Run display for Jupyter front ends, built from display messages updated in place.

    What a model turn shows while it streams (the reasoning so far, the status line's "waiting for Claude") is
    published by one thread per run, the model-phase thread (``codeact-waiting``), while the run's own thread reads
    the stream: the run's thread only notes the latest text, so a streamed delta costs it no message. That thread
    publishes only while a turn is asked (never while a step runs, whose capture would record its messages); the run's
    thread publishes what is left of a turn when it ends, so every output keeps its place in the cell. In ipykernel,
    the messages are sent as its display publisher sends them, without flushing streams that hold no text (each flush
    waits for the kernel's IOPub thread), and updates in place without any (:func:`_display`,
    :func:`_update_in_place`).

    Parameters
    ----------
    use_widgets : bool
        Show the status as an ipywidgets progress bar while running (replaced by static HTML at the end, so the
        saved notebook keeps it).
    compact : bool
        A frontend inserts the run's cells (the JupyterLab extension, or ``codeact run``): the cell keeps only the
        status line, the final answer and the line "N steps below ↓" (:func:`~codeact_magic.protocol.steps_link`);
        each step's code and live output show while it runs and are cleared (``clear_output(wait=True)``) once it is
        recorded, and so is each turn's streamed reasoning.
    throttle_s : float
        Seconds between two updates of the streamed reasoning (and from a turn's first text to its first showing).
        Text told in between is shown at the end of the interval (a trailing update), not held until the next delta.
    tick_s : float
        Seconds between two updates of the status line while waiting for the model's first streamed text.
    waiting_after_s : float
        Seconds a turn waits for its first streamed text before the status line says it waits (``waiting for Claude
        · 0 s``); a shorter wait shows nothing.
    """

    def __init__(self, use_widgets: bool = False, throttle_s: float = THROTTLE_S, tick_s: float = 1.0,
                 waiting_after_s: float = WAITING_AFTER_S, compact: bool = False) -> None:
        self.log = get_logger()
        self.use_widgets = use_widgets
        self.compact = compact
        self._box: Any = None  # the widgets' box, shown as the status line
        self._steps_before = 0  # steps and cells the run had when this display began (a follow-up continues a run)
        self._cells_before = 0
        self.throttle_s = throttle_s
        self.tick_s = tick_s
        self.waiting_after_s = waiting_after_s
        self._status: Any = None
        self._widgets: tuple[Any, Any] | None = None
        self._started = time.monotonic()
        # One thread publishes at a time: the run's or the model-phase thread (lock order: _publishing, then _state).
        self._publishing = threading.Lock()
        # What the model-phase thread is to publish, and its wake-up call.
        self._state = threading.Condition(threading.Lock())
        self._thread: threading.Thread | None = None
        self._closed = False
        self._parked = False  # the model-phase thread waits until told (nothing happened for LINGER_S)
        self._active_at = 0.0  # when the last turn ended
        self._run: Run | None = None  # set while a model turn is asked; None while a step runs, before and after
        self._waiting_since: float | None = None  # when the turn was asked, until its first streamed text
        self._ticks = 0  # waiting statuses shown for this turn
        self._waiting_shown = False  # the status line says "waiting for Claude"
        self._text: Any = None  # the turn's text display, once shown
        self._pending = ""  # the turn's text as last told
        self._shown: str | None = None  # the text as last published on self._text
        self._text_since = 0.0  # when the turn's text began (its first showing is throttle_s later)
        self._text_at = 0.0  # when the text was last published

    # -- publishing (the caller holds self._publishing) -------------------------------------------------------------
    def _publish_status(self, run: Run, step: int | None = None, **live: float) -> None:
        if self._widgets is not None:
            bar, label = self._widgets
            bar.value = step if step is not None else len(run.steps)
            label.value = html.escape(status_line(run, step, **live))
        elif self._status is not None:
            _update_in_place(self._status, status_bundle(run, step, **live))

    def _publish_text(self, text: str) -> None:
        """Show ``text`` as the turn's reasoning: its display is made at its first showing, then updated."""
        handle = self._text
        if handle is None:
            handle = _display(_markdown(text), display_id=True)
        else:
            _update_in_place(handle, _markdown(text))
        with self._state:
            self._text, self._shown, self._text_at = handle, text, time.monotonic()

    # -- the model-phase thread -------------------------------------------------------------------------------------
    def _status_due(self) -> float | None:
        """When the status line is next due (monotonic seconds): the next "waiting for Claude" tick, or at once once
        text came after one was shown; ``None`` when not due. Under _state."""
        if self._waiting_since is not None:
            return self._waiting_since + (self._ticks * self.tick_s if self._ticks else self.waiting_after_s)
        return 0.0 if self._waiting_shown else None

    def _text_due(self) -> float | None:
        """When the streamed text not shown yet is due (``throttle_s`` after the last showing, or after the text
        began), or ``None`` when there is none. Under _state."""
        if self._pending is not self._shown and (self._pending or self._text is not None):
            return max(self._text_at, self._text_since) + self.throttle_s
        return None

    def _next(self) -> float | None:
        """When something of the turn is next due to be published (monotonic seconds), or ``None``; under _state."""
        if self._run is None:
            return None
        dues = [d for d in (self._status_due(), self._text_due()) if d is not None]
        return min(dues) if dues else None

    def _take(self, now: float) -> list[Callable[[], None]]:
        """What is due now, each with its arguments as they are now; under _state."""
        run = self._run
        if run is None:
            return []
        jobs: list[Callable[[], None]] = []
        status_due = self._status_due()
        if status_due is not None and status_due <= now:
            if self._waiting_since is not None:
                self._ticks += 1
                self._waiting_shown = True
                jobs.append(functools.partial(self._publish_status, run, waiting_s=now - self._waiting_since,
                                              elapsed_s=now - self._started))
            else:  # the text came: the status line stops saying it waits
                self._waiting_shown = False
                jobs.append(functools.partial(self._publish_status, run, elapsed_s=now - self._started))
        text_due = self._text_due()
        if text_due is not None and text_due <= now:
            jobs.append(functools.partial(self._publish_text, self._pending))
        return jobs

    def _work(self) -> None:
        while True:
            with self._state:
                while True:
                    if self._closed:
                        return
                    now = time.monotonic()
                    due = self._next()
                    if due is not None and due <= now:
                        break
                    if self._run is not None or now - self._active_at < LINGER_S:  # look again soon, untold
                        poll = now + max(self.throttle_s, 0.01)
                        due = poll if due is None else min(due, poll)
                    self._parked = due is None
                    self._state.wait(None if due is None else due - now)
                self._parked = False
            with self._publishing:
                with self._state:
                    if self._closed:
                        return
                    jobs = self._take(time.monotonic())
                for job in jobs:
                    try:
                        job()
                    except Exception:  # noqa: BLE001 - the run's thread shows the turn when it ends
                        self.log.debug("codeact: a live display update failed", exc_info=True)

    def _stop_thread(self) -> None:
        """End the model-phase thread; nothing of it is published after this returns."""
        with self._publishing:
            with self._state:
                self._closed = True
                self._run = None
                self._state.notify()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None

    # -- run events -------------------------------------------------------------------------------------------------
    def run_started(self, run: Run) -> None:
        self._started = time.monotonic()
        self._steps_before = len(run.steps)
        self._cells_before = len(run_cells(run)) if self.compact and run.turns else 0
        if self.use_widgets:
            try:
                import ipywidgets as w

                bar = w.IntProgress(value=len(run.steps), min=0, max=run.max_steps, layout=w.Layout(width="160px"))
                label = w.HTML(html.escape(status_line(run)))
                self._widgets = (bar, label)
                self._box = w.HBox([bar, label])
                self._status = display(self._box, display_id=True)
            except Exception:  # noqa: BLE001 - widgets are a nicety; fall back to the plain status
                self.log.debug("codeact: no widgets for the status line", exc_info=True)
                self._widgets = None
        if self._status is None:
            self._status = _display(status_bundle(run), display_id=True)

    def turn_started(self, run: Run) -> None:
        if run.replayed_from:  # a replay has no model to wait for; its text comes whole, shown as the turn ends
            return
        with self._state:
            self._run = run
            self._waiting_since = time.monotonic()
            self._ticks = 0
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._work, daemon=True, name="codeact-waiting")
                self._thread.start()
            elif self._parked:
                self._state.notify()

    def text(self, run: Run, text: str) -> None:
        # "" after text: the stream broke off, what it streamed is void (the turn may be asked again)
        with self._state:
            if text and not self._pending:
                self._text_since = time.monotonic()
            self._pending = text
            if text:
                self._waiting_since = None

    def turn_finished(self, run: Run, turn: Turn) -> None:
        with self._publishing:
            with self._state:
                self._run, self._waiting_since = None, None
                waiting_shown, self._waiting_shown = self._waiting_shown, False
                final = turn.text or self._pending
                shown, handle = self._shown, self._text
            if final != shown and (final or handle is not None):
                self._publish_text(final)
            if waiting_shown:
                self._publish_status(run)
            with self._state:
                self._text, self._shown, self._pending = None, None, ""
                self._active_at = time.monotonic()

    def step_started(self, run: Run, index: int, code: str) -> None:
        with self._publishing:
            _display(_code_bundle(index, code))
            self._publish_status(run, index)

    def question_answered(self, run: Run, question: Any) -> None:
        if self.compact:  # the question's cell goes to the frontend
            return
        with self._publishing:
            _display(_markdown(question_text(question)))

    def step_finished(self, run: Run, step: Step) -> None:
        if not self.compact:
            return
        with self._publishing:  # the step's cell goes to the frontend now: its code and outputs leave this cell
            _clear_output()
            self._show_status(run)

    def _show_status(self, run: Run) -> None:
        """Show the status line again, with its display id, after a ``clear_output``."""
        if self._status is None:
            return
        bundle = self._box._repr_mimebundle_() if self._box is not None else None
        if bundle:  # the widget's view again, sent as the other displays are
            _display(bundle, handle=self._status)
        else:
            _display(status_bundle(run), handle=self._status)

    def _close_widgets(self) -> None:
        """Close the progress widgets, box first: a box left open would refer to closed children, and the kernel's
        answer to a reloaded page's widget ``request_states`` would fail on them (``'NoneType' object has no
        attribute 'comm_id'``)."""
        for widget in (self._box, *(self._widgets or ())):
            if widget is not None:
                widget.close()
        self._box, self._widgets = None, None

    def run_finished(self, run: Run) -> None:
        self._stop_thread()
        if self.compact:
            self._finish_compact(run)
            return
        with self._publishing:
            if self._text_due() is not None:  # the thread has ended: what it had not shown yet, now
                self._publish_text(self._pending)
            if run.status != "done" and not RunStatus(run.status).raises and run.end_reason:
                _display(_end_bundle(run.end_reason))
            if self._widgets is not None:
                self._close_widgets()
            if self._status is not None:
                _update_in_place(self._status, status_bundle(run))

    def _finish_compact(self, run: Run) -> None:
        """The compact cell (:func:`compact_bundles`), the status line shown again with its display id."""
        with self._publishing:
            _clear_output()
            if self._widgets is not None:
                self._close_widgets()
            status, *rest = compact_bundles(run, len(run.steps) - self._steps_before,
                                            len(run_cells(run)) - self._cells_before)
            if self._status is not None:
                _display(status, handle=self._status)
            else:
                self._status = _display(status, display_id=True)
            for bundle in rest:
                _display(bundle)


def _end_bundle(reason: str) -> dict[str, str]:
    """Why the run ended, in the warning colour."""
    return {"text/plain": reason,
            "text/html": f"<div class='codeact-end' style='color:var(--jp-warn-color1, #f57c00)'>"
            f"{html.escape(reason)}</div>"}


class TextDisplay(RunObserver):
    """Plain-text run display for terminal IPython: text streamed as it comes, one status line per step.

    Parameters
    ----------
    stream : file-like, optional
        Where to write (default ``sys.stdout`` at call time).
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._shown = 0

    @property
    def out(self) -> TextIO:
        return self._stream or sys.stdout

    def _line(self, *lines: str) -> None:
        self.out.write("\n".join(lines) + "\n")
        self.out.flush()

    def run_started(self, run: Run) -> None:
        self._line(f"[codeact] run {run.run_id} with {run.model}, up to {run.max_steps} steps")

    def text(self, run: Run, text: str) -> None:
        if not text and self._shown:  # printed text is void: its stream broke off
            self.out.write("\n[codeact] (the stream broke off: the text above is void)\n")
        self.out.write(text[self._shown:])
        self.out.flush()
        self._shown = len(text)

    def turn_finished(self, run: Run, turn: Turn) -> None:
        if self._shown:
            self.out.write("\n")
        self._shown = 0

    def step_started(self, run: Run, index: int, code: str) -> None:
        self._line(f"--- Step {index} " + "-" * 40, code, "--- output " + "-" * 44)

    def step_finished(self, run: Run, step: Step) -> None:
        self._line(f"[codeact] {status_line(run)}")

    def question_answered(self, run: Run, question: Any) -> None:
        reply = question.answer if question.answer is not None else f"(not answered: {question.result})"
        self._line(f"[codeact] Claude asked: {question.question}", f"[codeact] Answer: {reply}")

    def run_finished(self, run: Run) -> None:
        if run.end_reason and not RunStatus(run.status).raises:  # a failed run's line is the magic's error
            self._line(f"[codeact] {run.end_reason}")
        self._line(f"[codeact] {status_line(run)}")


def make_display(mode: str, shell: Any, use_widgets: bool, compact: bool = False) -> RunObserver:
    """The display for ``mode`` ('auto', 'rich' or 'text'); 'auto' is rich inside a kernel, text in a terminal.
    ``compact``: a frontend inserts the run's cells (see :class:`RichDisplay`); the text display ignores it."""
    if mode == "auto":
        mode = "rich" if getattr(shell, "kernel", None) is not None else "text"
    return RichDisplay(use_widgets=use_widgets, compact=compact) if mode == "rich" else TextDisplay()
