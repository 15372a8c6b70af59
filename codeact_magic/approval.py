"""Approval of each step before it runs: ``--approve always|risky|never`` (trait ``approve``).

:class:`ApprovingExecutor` goes in front of the executor (the live kernel's or the sandbox's), so the agent loop keeps
its shape. With ``always``, every step is asked about; with ``risky``, only a step that the AST check of
:mod:`codeact_magic.risks` flags, and the prompt names what it flagged; with ``never`` (the default), none.

The question is asked through the kernel's stdin channel: ``input()``, which ipykernel turns into an
``input_request`` message (https://jupyter-client.readthedocs.io/en/latest/messaging.html#messages-on-the-stdin-router-dealer-channel),
so JupyterLab, Notebook 7 and VS Code show an input box under the cell, and terminal IPython reads the terminal. The
cell shows the step's code first. The answers:

- ``y``: run the step;
- ``n`` (or ``n REASON``): skip it; the model reads that the user declined it, with the reason;
- ``a``: run it and every later step of this run without asking;
- ``q``: stop the run (it ends ``stopped``; its steps so far stay).

A client that cannot answer (nbclient, papermill: ``allow_stdin`` false) is found out before the run starts
(:func:`stdin_available`), so such a run fails at once with :func:`no_stdin_message` instead of at its first question.

Each step's decision (:func:`decision`) is recorded on the step (``Step.approval``) and in its cell's metadata.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Collection, Mapping
from typing import Any

from .execution import ExecutionResult
from .risks import assess, describe

__all__ = ["MODES", "ApprovingExecutor", "decision", "no_stdin_message", "parse_answer", "stdin_available"]

#: The approval modes, least asking last.
MODES = ("always", "risky", "never")
_ANSWERS = "y run it · n [reason] skip it · a run the rest of this run · q stop the run"


def stdin_available(shell: Any) -> bool:
    """Whether ``input()`` can reach the user now: in a kernel, the execute request that is running allowed stdin
    (``allow_stdin``, which nbclient and papermill send as false); in terminal IPython, a standard input is open."""
    kernel = getattr(shell, "kernel", None)
    if kernel is not None:
        return bool(getattr(kernel, "_allow_stdin", False))
    return sys.stdin is not None and not sys.stdin.closed


def no_stdin_message(mode: str) -> str:
    """The one line that a run with ``--approve MODE`` and no stdin fails with, before anything runs."""
    return (f"--approve {mode} asks before steps run, through the kernel's stdin, and this client has none "
            "(nbclient, papermill and `codeact run` cannot answer): use --approve never, or --isolated to run the "
            "steps in a sandbox kernel instead.")


def parse_answer(text: str) -> tuple[str, str] | None:
    """The answer ``y``, ``n``, ``a`` or ``q`` and the reason typed after it, or ``None`` for anything else.

    ``yes``/``no``/``all``/``quit`` and upper case are read too; ``n too slow`` gives ``("n", "too slow")``.
    """
    word, _, rest = (text or "").strip().partition(" ")
    word = word.lower().rstrip(":,.")
    for answer, words in (("y", ("y", "yes")), ("n", ("n", "no")), ("a", ("a", "all")), ("q", ("q", "quit"))):
        if word in words:
            return answer, rest.strip().lstrip(":,- ").strip()
    return None


def decision(mode: str, asked: bool, answer: str | None = None, reason: str = "",
             flagged: list[Any] | None = None) -> dict[str, Any]:
    """A step's approval record (``Approval`` in the schema): ``mode``, ``asked``, ``answer``, ``reason`` and what the
    risky check ``flagged`` (``Risk.to_json()`` dicts)."""
    return {"mode": mode, "asked": asked, "answer": answer, "reason": reason,
            "flagged": [r.to_json() if hasattr(r, "to_json") else dict(r) for r in (flagged or [])]}


class ApprovingExecutor:
    """Asks before each step as ``mode`` says, then runs it with ``inner`` (or not).

    Parameters
    ----------
    inner : executor
        Has ``execute(code, timeout) -> ExecutionResult``.
    mode : str
        ``always``, ``risky`` or ``never``.
    ask : callable
        ``ask(prompt) -> str``: ``input`` by default (the kernel's ``input_request``). A ``KeyboardInterrupt`` while
        it waits (the user's Stop) goes up, and the run ends ``stopped``.
    user_names : collection of str
        The names the user had before the run: the risky check flags a step that rebinds or deletes one.
    namespace : callable, optional
        ``namespace() -> mapping``: where a path held in a variable is read (``df.to_csv(path)``).
    cwd : str, optional
        The directory relative paths are read from (the kernel's working directory by default).
    first_step : int
        The number of the first step it will be asked about (a follow-up's steps go on from the run's).
    more_risks : callable, optional
        ``more_risks(code) -> list of Risk``, called before the risky check asks: what else counts as risky (the
        names and files the step's undo cannot cover, :meth:`codeact_magic.control.UndoWatch.prepare`).

    Attributes
    ----------
    approved_all : bool
        ``a`` was answered: the rest of the run is not asked about.
    """

    def __init__(self, inner: Any, mode: str, ask: Callable[[str], str] = input, user_names: Collection[str] = (),
                 namespace: Callable[[], Mapping[str, Any]] | None = None, cwd: str | None = None,
                 first_step: int = 1, more_risks: Callable[[str], list[Any]] | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"--approve takes always, risky or never, not {mode!r}")
        self.inner, self.mode, self.ask = inner, mode, ask
        self.user_names = frozenset(user_names)
        self.namespace = namespace or (lambda: {})
        self.cwd = cwd
        self.approved_all = False
        self.more_risks = more_risks
        self._steps = first_step - 1

    def execute(self, code: str, timeout: float = 0.0) -> ExecutionResult:
        """Ask (or not), then run ``code`` with the inner executor, or record that it was not run.

        Returns
        -------
        ExecutionResult
            The inner executor's, with ``approval`` set; for ``n`` a ``declined`` result with no outputs, whose error
            text tells the model; for ``q`` an ``interrupted`` one (the run stops).
        """
        self._steps += 1
        if self.mode == "never":
            return self.inner.execute(code, timeout)
        flagged = []
        if self.mode == "risky":
            flagged = assess(code, self.user_names, self.namespace(), self.cwd or os.getcwd())
            flagged += self.more_risks(code) if self.more_risks is not None else []
        if self.approved_all:
            return self._run(code, timeout, decision(self.mode, False, "a", "", flagged))
        if self.mode == "risky" and not flagged:
            return self._run(code, timeout, decision(self.mode, False, None, "", flagged))
        what = f" Flagged: {describe(flagged)}." if flagged else ""
        prompt = f"Run step {self._steps}?{what} [{_ANSWERS}]: "
        while True:
            parsed = parse_answer(self.ask(prompt))
            if parsed is not None:
                break
            prompt = f"Please answer y, n (with a reason if you like), a or q. Run step {self._steps}? "
        answer, reason = parsed
        record = decision(self.mode, True, answer, reason, flagged)
        if answer in ("y", "a"):
            self.approved_all = answer == "a"
            return self._run(code, timeout, record)
        if answer == "n":
            text = "Not run: the user declined this step" + (f", saying: {reason}" if reason else "") + \
                ". Do not run it again unchanged; find another way, or answer with what you have."
            return ExecutionResult([], None, "declined", None, 0.0, text, approval=record)
        return ExecutionResult([], None, "interrupted", None, 0.0, "Not run: the user stopped the run.",
                               approval=record)

    def _run(self, code: str, timeout: float, record: dict[str, Any]) -> ExecutionResult:
        result = self.inner.execute(code, timeout)
        result.approval = record
        return result
