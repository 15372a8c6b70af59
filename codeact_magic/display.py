"""What the ``%%codeact`` cell shows while a run goes on and after: streamed reasoning, each step's code (its
outputs appear below it as the code runs), a status line and the final answer.

Two forms: :class:`RichDisplay` for Jupyter front ends (display updates by ``display_id``, Markdown, and an
ipywidgets progress bar when the codeact JupyterLab extension is connected) and :class:`TextDisplay` for terminal
IPython. Both are :class:`~codeact_magic.agent.RunObserver` objects.
"""

from __future__ import annotations

import html
import sys
import threading
import time
from typing import Any, TextIO

from IPython.display import display

from .agent import RunObserver
from .records import Run, RunStatus, Step, Turn

__all__ = ["RAISED_STATUSES", "RichDisplay", "TextDisplay", "status_line", "make_display"]

#: Endings the magic raises as the cell's one-line error (``RunStatus.raises``): the display leaves their
#: end_reason out, so it shows once.
RAISED_STATUSES = frozenset(s for s in RunStatus if s.raises)


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
    if run.usage.cache_read_input_tokens:
        tokens += f" ({run.usage.cache_read_input_tokens:,} from cache)"
    return f"{word} · step {k} of {run.max_steps} · {tokens} · {cost} · {elapsed:.1f} s"


def _markdown(text: str) -> dict[str, str]:
    # Markdown, rendered (with highlighted code) by JupyterLab, Notebook 7, VS Code and nbconvert alike
    return {"text/markdown": text, "text/plain": text}


def _code_bundle(index: int, code: str) -> dict[str, str]:
    fence = "````" if "```" in code else "```"
    return {"text/markdown": f"**Step {index}**\n\n{fence}python\n{code}\n{fence}",
            "text/plain": f"--- Step {index} ---\n{code}"}


class RichDisplay(RunObserver):
    """Run display for Jupyter front ends, built from display messages updated in place.

    Parameters
    ----------
    use_widgets : bool
        Show the status as an ipywidgets progress bar while running (replaced by static HTML at the end, so the
        saved notebook keeps it).
    throttle_s : float
        Seconds between two updates of the streamed reasoning.
    tick_s : float
        Seconds between two updates of the status line while waiting for the model's first streamed text (from a
        background thread, by display id; ipykernel sends them to the running cell's output).
    """

    def __init__(self, use_widgets: bool = False, throttle_s: float = 0.1, tick_s: float = 1.0) -> None:
        self.use_widgets = use_widgets
        self.throttle_s = throttle_s
        self.tick_s = tick_s
        self._status: Any = None
        self._widgets: tuple[Any, Any] | None = None
        self._text: Any = None
        self._last_text = 0.0
        self._pending = ""
        self._started = time.monotonic()
        self._lock = threading.Lock()  # status updates come from the run's thread and the waiting ticker
        self._waiting: tuple[threading.Event, threading.Thread] | None = None

    def _status_bundle(self, run: Run, step: int | None = None, **live: float) -> dict[str, str]:
        line = status_line(run, step, **live)
        colour = {"done": "var(--jp-success-color1, green)", "running": "var(--jp-brand-color1, #1976d2)"}.get(
            run.status, "var(--jp-warn-color1, #f57c00)")
        return {"text/plain": line,
                "text/html": f"<div class='codeact-status' style='font-family:var(--jp-ui-font-family);"
                f"border-left:3px solid {colour};padding:2px 8px'>{html.escape(line)}</div>"}

    def _update_status(self, run: Run, step: int | None = None, **live: float) -> None:
        with self._lock:
            self._publish_status(run, step, **live)

    def _publish_status(self, run: Run, step: int | None = None, **live: float) -> None:
        if self._widgets is not None:
            bar, label = self._widgets
            bar.value = step if step is not None else len(run.steps)
            label.value = html.escape(status_line(run, step, **live))
        elif self._status is not None:
            self._status.update(self._status_bundle(run, step, **live), raw=True)

    # -- waiting for the model: the status line counts the seconds -------------------------------------------------
    def _tick(self, run: Run, since: float, stop: threading.Event) -> None:
        while not stop.wait(self.tick_s):
            now = time.monotonic()
            with self._lock:
                if stop.is_set():  # stopped while this tick waited for the lock: the run's thread has moved on
                    return
                self._publish_status(run, waiting_s=now - since, elapsed_s=now - self._started)

    def _start_waiting(self, run: Run) -> None:
        self._stop_waiting()
        now = time.monotonic()
        self._update_status(run, waiting_s=0.0, elapsed_s=now - self._started)
        stop = threading.Event()
        ticker = threading.Thread(target=self._tick, args=(run, now, stop), daemon=True, name="codeact-waiting")
        self._waiting = (stop, ticker)
        ticker.start()

    def _stop_waiting(self) -> bool:
        """Stop the ticker and wait for it to end, so no waiting status comes after; whether one was running."""
        if self._waiting is None:
            return False
        stop, ticker = self._waiting
        self._waiting = None
        with self._lock:  # a tick publishing now finishes first; one after this sees `stop`
            stop.set()
        ticker.join(timeout=5.0)
        return True

    def run_started(self, run: Run) -> None:
        self._started = time.monotonic()
        if self.use_widgets:
            try:
                import ipywidgets as w

                bar = w.IntProgress(value=0, min=0, max=run.max_steps, layout=w.Layout(width="160px"))
                label = w.HTML(html.escape(status_line(run)))
                self._widgets = (bar, label)
                self._status = display(w.HBox([bar, label]), display_id=True)
            except Exception:  # noqa: BLE001 - widgets are a nicety; fall back to the plain status
                self._widgets = None
        if self._status is None:
            self._status = display(self._status_bundle(run), raw=True, display_id=True)

    def turn_started(self, run: Run) -> None:
        if not run.replayed_from:  # a replay has no model to wait for
            self._start_waiting(run)

    def text(self, run: Run, text: str) -> None:
        self._pending = text
        now = time.monotonic()
        if not text:  # the stream broke off: what it streamed is void (the turn may be asked again)
            if self._text is not None:
                self._text.update(_markdown(""), raw=True)
                self._last_text = now
            return
        if self._stop_waiting():
            self._update_status(run, elapsed_s=now - self._started)
        if self._text is None:
            self._text = display(_markdown(text), raw=True, display_id=True)
            self._last_text = now
        elif now - self._last_text >= self.throttle_s:
            self._text.update(_markdown(text), raw=True)
            self._last_text = now

    def turn_finished(self, run: Run, turn: Turn) -> None:
        self._stop_waiting()
        if self._text is not None:
            self._text.update(_markdown(turn.text or self._pending), raw=True)
        self._text, self._pending = None, ""
        self._update_status(run)

    def step_started(self, run: Run, index: int, code: str) -> None:
        display(_code_bundle(index, code), raw=True)
        self._update_status(run, index)

    def step_finished(self, run: Run, step: Step) -> None:
        self._update_status(run)

    def run_finished(self, run: Run) -> None:
        self._stop_waiting()
        if self._text is not None and self._pending:
            self._text.update(_markdown(self._pending), raw=True)
        if run.status != "done" and run.status not in RAISED_STATUSES and run.end_reason:
            display({"text/plain": run.end_reason,
                     "text/html": f"<div class='codeact-end' style='color:var(--jp-warn-color1, #f57c00)'>"
                     f"{html.escape(run.end_reason)}</div>"}, raw=True)
        if self._widgets is not None:
            for widget in self._widgets:
                widget.close()
            self._widgets = None
        if self._status is not None:
            self._status.update(self._status_bundle(run), raw=True)


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

    def _line(self, text: str) -> None:
        self.out.write(text + "\n")
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
        self._line(f"--- Step {index} " + "-" * 40)
        self._line(code)
        self._line("--- output " + "-" * 44)

    def step_finished(self, run: Run, step: Step) -> None:
        self._line(f"[codeact] {status_line(run)}")

    def run_finished(self, run: Run) -> None:
        if run.end_reason and run.status not in RAISED_STATUSES:  # a failed run's line is the magic's error
            self._line(f"[codeact] {run.end_reason}")
        self._line(f"[codeact] {status_line(run)}")


def make_display(mode: str, shell: Any, use_widgets: bool) -> RunObserver:
    """The display for ``mode`` ('auto', 'rich' or 'text'); 'auto' is rich inside a kernel, text in a terminal."""
    if mode == "auto":
        mode = "rich" if getattr(shell, "kernel", None) is not None else "text"
    return RichDisplay(use_widgets=use_widgets) if mode == "rich" else TextDisplay()
