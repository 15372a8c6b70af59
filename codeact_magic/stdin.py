"""Code of a step that asks for input: ``input()`` and ``getpass.getpass()`` reach the user; the reply is the step's.

In a kernel, the question goes through the kernel's stdin channel (an ``input_request``,
https://jupyter-client.readthedocs.io/en/latest/messaging.html#messages-on-the-stdin-router-dealer-channel), as for a
plain cell: JupyterLab, Notebook 7 and VS Code show an input box under the cell (``password`` requests hide what is
typed), and terminal IPython reads the terminal. What the user answers is returned to the code. Where the client has
no stdin (nbclient, papermill, any ``execute_request`` with ``allow_stdin`` false), ipykernel raises
``StdinNotImplementedError`` at once, which the model reads in the step's traceback; nothing waits.

Each exchange is recorded by a :class:`StdinLog`, one per step: ``{"prompt", "password", "reply"}`` (the
``ExecutionResult.stdin`` list) and one note line the model reads after the step's outputs. A plain reply is kept
(masked by the run's :class:`~codeact_magic.redaction.Redactor`); a ``getpass`` reply is never kept: it is given to
the redactor (:meth:`~codeact_magic.redaction.Redactor.add_secret`) *before* the code receives it, so that whatever
prints it, in the same step or later, is masked live and in every record, like the environment's secrets. Neither
the prompt nor the reply is one of the step's outputs: a notebook does not save the stdin box either.

- :class:`ForwardedInput` wraps the stdin requests of one live step (:class:`codeact_magic.execution.LiveExecutor`).
  In ipykernel it wraps the kernel's ``_input_request``, which both its ``input`` and its ``getpass`` go through (so a
  ``getpass`` imported before the step is covered); in terminal IPython it wraps ``builtins.input`` and
  ``getpass.getpass``.
- :func:`input_requests` watches another kernel's stdin channel (the sandbox's, :mod:`codeact_magic.sandbox`) and
  :func:`answer_request` answers each ``input_request`` by asking the user through this kernel (:func:`ask_user`).

The time a question waits for its answer is not the step's running time: the executors leave it out of the step's
timeout (the user's Stop still ends the step while it waits).
"""

from __future__ import annotations

import builtins
import contextlib
import getpass
import queue
import sys
import threading
from collections.abc import Callable
from typing import Any

from .redaction import MIN_GIVEN_SECRET, clean_text

__all__ = ["EOF_REPLY", "ForwardedInput", "StdinLog", "answer_request", "ask_user", "exchange_note",
           "input_requests"]

#: Characters of a prompt or a plain reply kept in the step's record.
KEEP_CHARS = 2000
#: Characters of a prompt or a plain reply quoted in the note the model reads.
NOTE_CHARS = 200
#: The ``input_reply`` value ipykernel reads as end of file (the code's ``input()`` raises ``EOFError``).
EOF_REPLY = "\x04"
_MISSING = object()


def _quoted(text: str, limit: int = NOTE_CHARS) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


def exchange_note(exchange: dict[str, Any], masked: bool = True) -> str:
    """The line the model reads about one exchange (after the step's outputs).

    Parameters
    ----------
    exchange : dict
        ``{"prompt": str, "password": bool, "reply": str or None}``, as :class:`StdinLog` records it.
    masked : bool
        For a ``getpass`` exchange, whether the reply is masked (see :meth:`~codeact_magic.redaction.Redactor.
        add_secret`).

    Returns
    -------
    str
        ``input('Which column? ') was answered: 'revenue'``, or ``getpass('API token: ') was answered (a secret:
        masked everywhere)``.
    """
    prompt = _quoted(exchange["prompt"])
    if not exchange["password"]:
        return f"input({prompt}) was answered: {_quoted(exchange['reply'] or '')}"
    if masked:
        return f"getpass({prompt}) was answered (a secret: masked everywhere)"
    return (f"getpass({prompt}) was answered (a secret, not recorded; shorter than {MIN_GIVEN_SECRET} characters, "
            "so not masked where the code prints it)")


class StdinLog:
    """The stdin exchanges of one step, recorded as they happen (from any thread).

    Parameters
    ----------
    redactor : Redactor, optional
        The run's secret filter: masks the prompts shown and recorded and the plain replies recorded, and is given
        each ``getpass`` reply (``add_secret``). Without it, nothing is masked.

    Attributes
    ----------
    exchanges : list of dict
        ``{"prompt": str, "password": bool, "reply": str or None}`` in order; ``reply`` is ``None`` for a ``getpass``.
    notes : list of str
        One line per exchange (:func:`exchange_note`), for ``ExecutionResult.notes``.
    """

    def __init__(self, redactor: Any = None) -> None:
        self.redactor = redactor
        self.exchanges: list[dict[str, Any]] = []
        self.notes: list[str] = []
        self._lock = threading.Lock()

    def shown(self, text: Any) -> str:
        """``text`` as it may leave the kernel: lone surrogates replaced, secrets masked."""
        text = clean_text(str(text))
        return self.redactor.text(text) if self.redactor is not None else text

    def answered(self, prompt: Any, password: bool, reply: Any) -> None:
        """Record that ``prompt`` was answered with ``reply``; a ``password`` reply becomes a secret first (call
        this before the code gets the reply)."""
        reply = "" if reply is None else str(reply)
        masked = False
        if password:
            masked = bool(self.redactor.add_secret(reply)) if self.redactor is not None else False
        kept_prompt = self.shown(prompt)[:KEEP_CHARS]
        exchange = {"prompt": kept_prompt, "password": bool(password),
                    "reply": None if password else self.shown(reply)[:KEEP_CHARS]}
        if password and not reply:
            note = f"getpass({_quoted(kept_prompt)}) was answered with an empty reply"
        else:
            note = exchange_note(exchange, masked)
        with self._lock:
            self.exchanges.append(exchange)
            self.notes.append(note)


def ask_user(prompt: str, password: bool) -> str:
    """Ask the user through this kernel's stdin: ``getpass.getpass(prompt)`` or ``input(prompt)`` as they are now
    (ipykernel's, which send an ``input_request`` to the running cell's client).

    Raises
    ------
    IPython.core.error.StdinNotImplementedError
        When the running cell's client has no stdin.
    EOFError, KeyboardInterrupt
        As ``input`` raises them (an end of file typed, the user's interrupt).
    """
    return getpass.getpass(prompt) if password else builtins.input(prompt)


async def input_requests(client: Any, msg_id: str, into: queue.Queue) -> None:
    """Put the ``input_request`` messages that request ``msg_id`` makes on ``client``'s stdin channel into ``into``,
    until cancelled or the channel closes.

    Parameters
    ----------
    client : jupyter_client.asynchronous.AsyncKernelClient
        Its stdin channel started (a gateway kernel's client too: its websocket carries the stdin channel).
    msg_id : str
        The ``execute_request`` whose questions are wanted (stale ones of earlier requests are skipped).
    into : queue.Queue
        Where they go.
    """
    while True:
        try:
            msg = await client.get_stdin_msg(timeout=0.25)
        except queue.Empty:
            continue
        except Exception:  # noqa: BLE001 - the channel closed under us (a restart); the iopub side says so
            return
        kind = msg.get("msg_type") or msg.get("header", {}).get("msg_type")
        if kind == "input_request" and msg.get("parent_header", {}).get("msg_id") == msg_id:
            into.put(msg)


def answer_request(request: dict[str, Any], log: StdinLog,
                   ask: Callable[[str, bool], str] = ask_user) -> str:
    """The ``input_reply`` value for one ``input_request`` of another kernel (the sandbox's), asked of the user.

    Parameters
    ----------
    request : dict
        The ``input_request`` message (``content``: ``prompt``, ``password``).
    log : StdinLog
        Where the exchange is recorded (a ``getpass`` reply is made a secret before this returns).
    ask : callable
        ``ask(prompt, password) -> str``: :func:`ask_user` by default.

    Returns
    -------
    str
        The reply; :data:`EOF_REPLY` when the user's side cannot answer (an end of file, no stdin), so the other
        kernel's ``input()`` raises ``EOFError`` instead of waiting.

    Raises
    ------
    KeyboardInterrupt
        The user's Stop while the question waits.
    """
    content = request.get("content") or {}
    prompt, password = str(content.get("prompt", "")), bool(content.get("password"))
    try:
        reply = ask(log.shown(prompt), password)
    except Exception:  # noqa: BLE001 - EOFError, StdinNotImplementedError: the code is told end of file
        return EOF_REPLY
    reply = "" if reply is None else str(reply)
    log.answered(prompt, password, reply)
    return reply


class ForwardedInput:
    """For one live step: its stdin requests pass through ``log``, prompts masked, replies recorded; a context manager.

    Parameters
    ----------
    shell : IPython shell
        The live shell. With ipykernel (``shell.kernel``), the kernel's ``_input_request`` is wrapped for the
        ``with`` block; in terminal IPython, ``builtins.input`` and ``getpass.getpass``.
    log : StdinLog
        Records the exchanges.
    before : callable, optional
        Called before a question is asked (the output capture's pending output sent first).
    waiting : callable, optional
        ``waiting()`` gives a context manager around the wait for the answer (the step's timeout paused).
    show : callable, optional
        ``show(text)`` writes a terminal prompt where the user sees it, unrecorded; ``sys.stdout`` by default.
    """

    def __init__(self, shell: Any, log: StdinLog, before: Callable[[], None] | None = None,
                 waiting: Callable[[], Any] | None = None, show: Callable[[str], None] | None = None) -> None:
        self.kernel = getattr(shell, "kernel", None)
        self.log = log
        self.before = before or (lambda: None)
        self.waiting = waiting or contextlib.nullcontext
        self.show = show or _write
        self._saved: list[tuple[Any, str, Any]] = []
        self._request: Any = None
        self._getpass: Any = None

    def __enter__(self) -> "ForwardedInput":
        kernel = self.kernel
        if kernel is not None:
            if callable(getattr(kernel, "_input_request", None)):  # ipykernel 6.25 and later
                self._request = kernel._input_request
                self._saved = [(kernel, "_input_request", kernel.__dict__.get("_input_request", _MISSING))]
                kernel._input_request = self._kernel_request
        else:
            self._getpass = getpass.getpass
            self._saved = [(builtins, "input", builtins.input), (getpass, "getpass", getpass.getpass)]
            builtins.input, getpass.getpass = self._terminal_input, self._terminal_getpass
        return self

    def __exit__(self, *exc_info: Any) -> None:
        for obj, name, value in self._saved:
            if value is _MISSING:
                obj.__dict__.pop(name, None)
            else:
                setattr(obj, name, value)
        self._saved = []

    def _kernel_request(self, prompt: str, ident: Any, parent: Any, password: bool = False) -> str:
        """ipykernel's ``Kernel._input_request``, with the prompt masked and the exchange recorded."""
        self.before()
        with self.waiting():
            reply = self._request(self.log.shown(prompt), ident, parent, password=password)
        self.log.answered(prompt, password, reply)
        return reply

    def _terminal_input(self, prompt: Any = "") -> str:
        """``input`` in terminal IPython: the prompt is shown but is not one of the step's outputs."""
        if sys.stdin is None:
            raise RuntimeError("input(): lost sys.stdin")
        self.before()
        self.show(self.log.shown(prompt))
        with self.waiting():
            line = sys.stdin.readline()
        if not line:
            raise EOFError("EOF when reading a line")
        reply = line[:-1] if line.endswith("\n") else line
        self.log.answered(prompt, False, reply)
        return reply

    def _terminal_getpass(self, prompt: str = "Password: ", stream: Any = None) -> str:
        """``getpass.getpass`` in terminal IPython (it asks on the terminal, ``/dev/tty``)."""
        self.before()
        with self.waiting():
            reply = self._getpass(self.log.shown(prompt), stream)
        self.log.answered(prompt, True, reply)
        return reply


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()
