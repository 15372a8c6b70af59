"""``--replay``: the recorded model turns against the code running for real, and the check that it still matches.

A replay is only worth something if it shows the same thing as the recording. :class:`ReplayCheck` sits between the
agent loop and the executor: after each step it compares what the step did with the recorded step (it failed where
the recording did not, or its text differs), and the next model turn then ends the run as ``diverged``, naming the
step and showing both texts. The loop keeps its shape: it sees an executor and a model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .exceptions import ReplayDivergedError
from .observation import terminal_text
from .records import Step

__all__ = ["ReplayCheck", "step_text", "compare_step"]

_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{6,}\b")
_SHOWN = 160  # characters of each side shown in the divergence line


def _plain(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def step_text(outputs: Sequence[dict[str, Any]], displays: bool = True) -> str:
    """The text a step showed, as compared by a replay.

    Its stdout and the ``text/plain`` of its results and displays (``displays=False``: of its results only), in
    order; stderr (warnings, whose paths and
    wording change between machines and versions), images and HTML are left out. Carriage returns are read as a
    terminal does (:func:`~codeact_magic.observation.terminal_text`, the rule the record itself follows), each line
    is stripped of trailing blanks, and memory addresses (``0x7f...``) read ``0x…``.

    Parameters
    ----------
    outputs : sequence of dict
        nbformat v4 outputs.
    displays : bool
        Include ``display_data`` outputs.

    Returns
    -------
    str
    """
    kinds = ("execute_result", "display_data") if displays else ("execute_result",)
    parts = []
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream" and output.get("name") == "stdout":
            parts.append(_plain(output.get("text")))
        elif kind in kinds and "text/plain" in output.get("data", {}):
            parts.append(_plain(output["data"]["text/plain"]) + "\n")
    lines = [line.rstrip() for line in terminal_text("".join(parts)).split("\n")]
    return _ADDRESS.sub("0x…", "\n".join(lines).strip("\n"))


def _error_line(outputs: Sequence[dict[str, Any]]) -> str:
    for output in outputs:
        if output.get("output_type") == "error":
            return f"{output.get('ename')}: {output.get('evalue')}"
    return "an error"


def _quote(text: str) -> str:
    text = " ⏎ ".join(text.split("\n"))
    return repr(text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…")


def compare_step(recorded: Step | None, status: str, outputs: Sequence[dict[str, Any]],
                 displays: bool = True) -> str | None:
    """How a replayed step differs from its recording, in one line; ``None`` when it does not.

    Parameters
    ----------
    recorded : Step or None
        The recorded step (with outputs), ``None`` when the recording has no such step.
    status : str
        How the replayed step ended (``ok``, ``error``, ``timeout``, ``interrupted``).
    outputs : sequence of dict
        Its nbformat outputs.
    displays : bool
        Compare the text of ``display_data`` outputs too.

    Returns
    -------
    str or None
    """
    if recorded is None:
        return None
    if status != "ok" and recorded.status == "ok":
        return f"it now fails with {_error_line(outputs)}, where the recording ran without error"
    if status == "ok" and recorded.status != "ok":
        return f"it now runs without error, where the recording failed with {_error_line(recorded.outputs)}"
    now, then = step_text(outputs, displays), step_text(recorded.outputs, displays)
    if now != then:
        a, b = now.split("\n"), then.split("\n")
        line = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        return (f"its text output differs from line {line + 1}: now {_quote(chr(10).join(a[line:]))}, "
                f"recorded {_quote(chr(10).join(b[line:]))}")
    return None


class ReplayCheck:
    """Wraps the executor and the replayed model of one ``--replay`` run.

    Parameters
    ----------
    executor : object
        Has ``execute(code, timeout) -> ExecutionResult``.
    model : object
        The :class:`~codeact_magic.model.ReplayModel`.
    steps : sequence of Step
        The recorded steps, with their outputs (see :func:`~codeact_magic.trajectory.load_run`).
    source : str
        The recording's path, for the message.
    """

    def __init__(self, executor: Any, model: Any, steps: Sequence[Step], source: str) -> None:
        self.executor = executor
        self.model = model
        self.steps = list(steps)
        self.source = source
        self.model_name = getattr(model, "model", "replay")
        self.divergence: str | None = None
        self._done = 0
        # step number -> (recorded step, its live outputs): differs only in displays, which a later step may update
        self._waiting: dict[int, tuple[Step, list[dict[str, Any]]]] = {}

    def execute(self, code: str, timeout: float = 0.0) -> Any:
        """Run the step for real, then compare it with step k of the recording.

        The recording holds each display as the run left it, after later steps updated it (``handle.update``), so a
        step that differs only in its displays is checked again when a later step updates them, and at the end of
        the recording; it diverges only if it still differs then.
        """
        result = self.executor.execute(code, timeout)
        recorded = self.steps[self._done] if self._done < len(self.steps) else None
        self._done += 1
        if self.divergence is None:
            why = compare_step(recorded, result.status, result.outputs)
            if why and compare_step(recorded, result.status, result.outputs, displays=False) is None:
                self._waiting[self._done] = (recorded, result.outputs)
            elif why:
                self._diverge(self._done, why)
        changed = getattr(result, "updated", None) or ()
        for number, (step, outputs) in list(self._waiting.items()):
            if any(outputs is c for c in changed) and compare_step(step, step.status, outputs) is None:
                del self._waiting[number]
        return result

    def _diverge(self, number: int, why: str) -> None:
        if self.divergence is None:
            self.divergence = f"Step {number} diverged from the recording {self.source}: {why}."

    def _check_waiting(self) -> None:
        for number, (step, outputs) in sorted(self._waiting.items()):
            why = compare_step(step, step.status, outputs)
            if why:
                self._diverge(number, why)
        self._waiting.clear()

    def turn(self, system: str, messages: Sequence[dict[str, Any]], on_text: Any = None, **kwargs: Any) -> Any:
        """The next recorded turn, unless a step has diverged.

        Raises
        ------
        ReplayDivergedError
            When a step diverged: the run ends as ``diverged`` with that line, instead of going on with answers
            recorded for other results.
        """
        if self.divergence:
            raise ReplayDivergedError(self.divergence)
        turn = self.model.turn(system, messages, on_text, **kwargs)
        if not turn.tool_uses:  # the recorded answer: every step has run, so a display that still differs diverged
            self._check_waiting()
            if self.divergence:
                raise ReplayDivergedError(self.divergence)
        return turn
