"""What ``codeact run`` prints: the codeact messages of a kernel as the terminal shows them (the model's reasoning as
it streams, each step's code and outputs, the status line, the answer). Used by :mod:`codeact_magic.cli`."""

from __future__ import annotations

import re
from typing import Any, TextIO

from .insertion import codeact_metadata

__all__ = ["ANSI", "TerminalView"]

#: Lines and characters of one output shown in the terminal (the notebook keeps it whole).
MAX_LINES, MAX_CHARS = 20, 2000
#: ANSI escape sequences (colours, cursor moves), dropped from what is shown.
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _trim(text: str) -> str:
    """``text`` without ANSI codes, cut to :data:`MAX_LINES` lines and :data:`MAX_CHARS` characters (head and tail)."""
    text = ANSI.sub("", text).rstrip("\n")
    lines = text.splitlines()
    if len(lines) > MAX_LINES:
        head, tail = MAX_LINES - 5, 4
        lines = [*lines[:head], f"… ({len(lines) - head - tail} more lines)", *lines[-tail:]]
        text = "\n".join(lines)
    if len(text) > MAX_CHARS:
        text = text[: MAX_CHARS // 2] + f"\n… ({len(text) - MAX_CHARS} more characters)\n" + text[-MAX_CHARS // 2:]
    return text


def _output_text(output: dict[str, Any]) -> str:
    """One nbformat output as terminal text: streams and ``text/plain`` as they are, errors as ``ename: evalue``."""
    kind = output.get("output_type")
    if kind == "stream":
        text = output.get("text", "")
        return "".join(text) if isinstance(text, list) else text
    if kind == "error":
        return f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"
    data = output.get("data") or {}
    text = data.get("text/plain", "")
    text = "".join(text) if isinstance(text, list) else str(text)
    rich = [m for m in data if m != "text/plain" and not m.startswith("application/vnd.codeact")]
    return " ".join(p for p in (text, f"[{rich[0]}]" if rich else "") if p)


def _status(summary: dict[str, Any]) -> str:
    """The status line of a ``RunSummary``, in the magic's words (:func:`codeact_magic.display.status_line`)."""
    from .display import status_line
    from .records import Run, Usage

    try:
        run = Run(run_id=summary["run_id"], task=summary.get("task") or "", model=summary.get("model") or "",
                  max_steps=summary.get("max_steps") or 0, status=summary.get("status") or "running",
                  usage=Usage.from_json(summary.get("usage")), cost_usd=summary.get("cost_usd"),
                  elapsed_s=float(summary.get("elapsed_s") or 0), replayed_from=summary.get("replayed_from"))
    except ValueError:  # a status word this version does not know
        return f"{summary.get('status')} · step {summary.get('steps')} of {summary.get('max_steps')}"
    return status_line(run, summary.get("steps"))


class TerminalView:
    """Prints the codeact messages of a kernel as they arrive: reasoning as it streams (the new part of each ``text``
    message), each step's code when it starts (``run`` messages' ``current_code``) and its outputs when its ``cell``
    comes, a status line after each step, and at the end why the run ended and its status (a ``note`` cell says the
    same, so it is not printed).

    Parameters
    ----------
    out : file-like
        Where to write.
    colour : bool
        Use ANSI colours (a terminal); plain text otherwise.
    """

    def __init__(self, out: TextIO, colour: bool = False) -> None:
        self.out = out
        self.colour = colour
        self._runs: dict[str, dict[str, Any]] = {}  # run id -> the last summary
        self._steps_done: dict[str, int] = {}  # run id -> steps seen done
        self._ended: set[str] = set()  # runs whose end was told
        self._code_shown: set[tuple[str, int]] = set()  # (run id, step) whose code was printed
        self._said: dict[str, str] = {}  # run id -> all the reasoning text printed for it
        self._text = ""  # the streamed text of the turn going on, as printed
        self._open = False  # the last line printed has no newline yet

    def _style(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.colour else text

    def _write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()

    def line(self, text: str, code: str = "") -> None:
        """One line, on a line of its own."""
        self._end_text()
        self._write((self._style(text, code) if code else text) + "\n")

    def _end_text(self) -> None:
        if self._open:
            self._write("\n")
            self._open = False
        self._text = ""

    def note(self, text: str) -> None:
        """A line of the run's own (``[codeact] ...``)."""
        for part in text.rstrip("\n").splitlines() or [""]:
            self.line(f"[codeact] {part}", "2")

    def message(self, data: dict[str, Any]) -> None:
        """Print one codeact message (``data`` of a comm message); other types are ignored."""
        kind = data.get("type")
        if kind == "text":
            self._stream(data["run_id"], data["text"])
        elif kind == "run":
            self._run(data["run"])
        elif kind == "cell":
            self._cell(data["run_id"], data["cell"])

    def _stream(self, run_id: str, text: str) -> None:
        if not text:
            if self._text:
                self.line("[codeact] (the stream broke off: the text above is void)", "2")
            return
        new = text[len(self._text):] if text.startswith(self._text) else ("\n" if self._open else "") + text
        self._write(new)
        self._said[run_id] = self._said.get(run_id, "") + new
        self._text = text
        self._open = not text.endswith("\n")

    def _step(self, run_id: str, step: int, code: str) -> None:
        self._code_shown.add((run_id, step))
        self.line(f"--- Step {step} " + "-" * 40, "1;36")
        self.line(code.rstrip("\n"))
        self.line("--- output " + "-" * 44, "36")

    def _run(self, summary: dict[str, Any]) -> None:
        run_id = summary["run_id"]
        if run_id not in self._runs:
            self.note(f"run {run_id} with {summary.get('model')}, up to {summary.get('max_steps')} steps")
        elif summary.get("status") == "running":  # a follow-up (%%codeact -c) goes on; the magic says so
            self._ended.discard(run_id)
        self._runs[run_id] = summary
        steps = summary.get("steps") or 0
        if steps > self._steps_done.get(run_id, 0) and summary.get("status") == "running":
            self._steps_done[run_id] = steps
            self.note(_status(summary))
        code = summary.get("current_code")
        if code is not None and (run_id, steps + 1) not in self._code_shown:
            self._step(run_id, steps + 1, code)
        if summary.get("status") != "running" and run_id not in self._ended:
            self._ended.add(run_id)
            if summary.get("end_reason"):
                self.note(summary["end_reason"])
            colour = {"done": "1;32", "failed": "1;31", "diverged": "1;31"}.get(summary.get("status"), "1;33")
            self.line(f"[codeact] {_status(summary)}", colour)

    def _cell(self, run_id: str, cell: dict[str, Any]) -> None:
        meta = codeact_metadata(cell.get("metadata", {}).get("codeact")) or {}
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        role = meta.get("role")
        if role in ("reasoning", "answer"):
            if source.strip() not in self._said.get(run_id, ""):  # not streamed (a frontend that joined late)
                self.line(source.strip())
                self._said[run_id] = self._said.get(run_id, "") + source
        elif role == "step":
            step = meta.get("step") or 0
            if (run_id, step) not in self._code_shown:
                self._step(run_id, step, source)
            for output in cell.get("outputs", []):
                text = _trim(_output_text(output))
                if text:
                    self.line(text, "31" if output.get("output_type") == "error" else "")
