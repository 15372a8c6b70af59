"""Running one code step in the user's namespace, live, with outputs captured and a stop that stops.

The step goes through ``shell.run_cell(store_history=True)`` so it gets a real execution count, ``Out[]`` and history,
and everything it prints or displays reaches the ``%%codeact`` cell live while :mod:`codeact_magic.capture` records
it as nbformat outputs (https://nbformat.readthedocs.io/en/latest/format_description.html), inside
``with OutputCapture(...)``, which puts the shell and the process's streams back however the step ends.

The record follows the notebook's output rules as nbclient applies them to a cell (see :mod:`codeact_magic.capture`):
a step's outputs are what the same code leaves as a plain cell. One :class:`LiveExecutor` serves one run, and steps
are its cells: a ``clear_output`` clears only the step that made it, and an update of a display (``handle.update``,
``display(..., display_id=..., update=True)``) changes the output showing it in whichever step of the run it is, as
nbclient's ``_update_display_id`` changes it in whichever cell. The earlier steps so changed are named in
:attr:`ExecutionResult.updated`; the loop tells its observers (``outputs_updated``), so the journal, the export and
the inserted cells hold the new value. What the model reads of a step (its observation) stays that step's own outputs.

How a step is stopped, and what cannot be stopped: :mod:`codeact_magic.stops`. Code that asks for input (``input()``,
``getpass.getpass()``): :mod:`codeact_magic.stdin`; the exchanges are :attr:`ExecutionResult.stdin`, and the time a
question waits for its answer is left out of the step's timeout.
"""

from __future__ import annotations

import contextlib
import dataclasses
import signal
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

from .capture import OutputCapture
from .outputs import DisplayIds, Recorder
from .observation import user_traceback
from .redaction import clean_text
from .stdin import ForwardedInput, StdinLog
from .stops import ORIGINAL_GETSIGNAL, StepStopped, StopControl, until_done

__all__ = ["ExecutionResult", "LiveExecutor", "StepStopped", "user_traceback"]


@dataclasses.dataclass
class ExecutionResult:
    """What one step produced.

    Attributes
    ----------
    outputs : list of dict
        nbformat v4 outputs in the order they happened (consecutive stream writes merged).
    execution_count : int or None
        The step's ``In[]`` number.
    status : str
        ``ok``, ``error`` (the code raised), ``timeout`` (its timeout fired, whatever the code then did) or
        ``interrupted`` (the user's interrupt).
    error : BaseException or None
        The exception the code raised, if any (traceback attached).
    duration_s : float
        Seconds the code ran.
    error_text : str
        The error as the model should read it: :func:`user_traceback`, or ``""``.
    updated : list of list of dict
        The ``outputs`` lists of this run's earlier steps that this step changed in place (an update of a display
        they showed), each once; compare by identity (``is``), as :func:`codeact_magic.agent.updated_steps` does.
    approval : dict or None
        How the step was approved (:mod:`codeact_magic.approval`), when an approval mode is on.
    files : dict or None
        The files under the working directory it created, changed or deleted (:class:`codeact_magic.files.
        FilesTouched` as JSON), when they were scanned.
    environment : dict or None
        Set when the sandbox kernel was recreated before the step (:mod:`codeact_magic.sandbox`).
    notes : list of str
        Lines the model reads after the step's outputs (what the user answered the code, the files it touched, a
        recreated environment).
    stdin : list of dict
        What the code asked through stdin and was answered, in order (:class:`codeact_magic.stdin.StdinLog`):
        ``{"prompt": str, "password": bool, "reply": str or None}``; a plain reply is kept with secrets masked, a
        ``getpass`` reply never (``None``; it became a secret of the kernel). Empty when nothing was answered (with
        no stdin the code's ``input()`` raised ``StdinNotImplementedError`` at once, and the traceback says so).
    undo : dict or None
        What was kept to undo it (:meth:`codeact_magic.snapshots.Kept.record`), when the run keeps snapshots.
    """

    outputs: list[dict[str, Any]]
    execution_count: int | None
    status: str
    error: BaseException | None
    duration_s: float
    error_text: str = ""
    updated: list[list[dict[str, Any]]] = dataclasses.field(default_factory=list)
    approval: dict[str, Any] | None = None
    files: dict[str, Any] | None = None
    environment: dict[str, Any] | None = None
    notes: list[str] = dataclasses.field(default_factory=list)
    stdin: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    undo: dict[str, Any] | None = None


@contextlib.contextmanager
def timeout_paused(control: StopControl) -> Iterator[None]:
    """Leave the time inside the block out of ``control``'s timeout (the step waits for the user's answer): its
    deadline is lifted meanwhile and moved on by the time waited. A stop already asked for is left as it is."""
    deadline = control.deadline
    if deadline is None or control.reason is not None:
        yield
        return
    control.deadline = None  # the watchdog, waking at the old deadline, finds none and waits to be woken
    start = time.perf_counter()
    try:
        yield
    finally:
        control.deadline = deadline + (time.perf_counter() - start)
        control.wake.set()


def _shown_unrecorded(capture: OutputCapture) -> Any:
    """``show(text)``: write to the step's stdout as the shell's own writing (shown live, not a step output)."""

    def write(text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    return capture.mute.wrap(write)


def cell_execution_count(shell: Any) -> int | None:
    """The execution count of the cell running now (its ``In[n]``), or ``None`` outside a shell.

    IPython 8 gives a running cell ``shell.execution_count`` and adds one after it; IPython 9 adds one before it runs
    it. The count of the cell itself is its ``ExecutionResult``'s, which the display hook holds while the cell runs
    (``displayhook.exec_result``, set by ``InteractiveShell.run_cell``).
    """
    result = getattr(getattr(shell, "displayhook", None), "exec_result", None)
    count = getattr(result, "execution_count", None)
    return count if isinstance(count, int) else getattr(shell, "execution_count", None)


class LiveExecutor:
    """Runs the code steps of one run in an IPython shell's user namespace.

    Parameters
    ----------
    shell : IPython.core.interactiveshell.InteractiveShell
        The live shell (an ipykernel ``ZMQInteractiveShell`` or terminal IPython). Create the executor in the main
        thread while a cell runs (the ``%%codeact`` cell): the SIGINT handler in force then is the kernel's, put
        back before and after each step (ipykernel installs ``signal.default_int_handler`` while a cell executes).
    redactor : object, optional
        The secret filter for everything that leaves the step (a :class:`~codeact_magic.redaction.Redactor`):
        ``stream()`` gives a filter with ``feed(text) -> text`` and ``flush() -> text`` (one per live stream),
        ``bundle(data)`` and ``text(text)`` mask display data and traceback lines before they are shown (and the
        error text), ``refresh(user_ns)`` re-reads the secret-named variables before each step and after it, and
        when that finds new secrets ``exact``/``outputs`` mask the recorded outputs again; ``mark_clean`` notes
        what is masked. Without it, nothing is masked (only lone surrogates are replaced).
    """

    def __init__(self, shell: Any, redactor: Any = None) -> None:
        self.shell = shell
        self.redactor = redactor
        self._cell_count = cell_execution_count(shell)  # the %%codeact cell's own In[n]
        self._bumped = False
        self._displays = DisplayIds()  # the run's display ids, across its steps
        on_main = threading.current_thread() is threading.main_thread()
        self._kernel_handler = ORIGINAL_GETSIGNAL(signal.SIGINT) if on_main else None

    def finish(self) -> None:
        """The run ended: give back the number the first step took ahead of the ``%%codeact`` cell's own (IPython 8,
        which counts a cell after running it), so the cell after it follows the last step (``[4]`` the cell,
        ``[5]``…``[9]`` its steps, ``[10]`` the next cell) and IPython's history (``In``, ``_i<n>``, ``%history``)
        stays numbered as the prompts are."""
        if self._bumped:
            self.shell.execution_count -= 1
            self._bumped = False

    def execute(self, code: str, timeout: float = 0.0) -> ExecutionResult:
        """Run ``code`` as one cell in the user's namespace, showing its output live.

        Parameters
        ----------
        code : str
            Python source (IPython syntax: magics and ``!`` work).
        timeout : float
            Seconds before the code is interrupted (SIGINT, which also breaks ``time.sleep`` and other blocking
            system calls, then escalation; see :mod:`codeact_magic.stops`); 0 for no limit.

        Returns
        -------
        ExecutionResult
            The outputs, the execution count, how it ended and the earlier steps' outputs it updated. A timeout is
            reported as status ``timeout`` with an error output ``TimeoutError``; the kernel stays usable.

        Raises
        ------
        Exception
            Only when the output capture cannot be installed (see :class:`~codeact_magic.capture.OutputCapture`);
            the shell is then as it was and the code did not run. The code's own exceptions, and the stops, are
            recorded, never raised.
        """
        shell = self.shell
        if self._cell_count is not None and shell.execution_count <= self._cell_count:
            # IPython 8: the %%codeact cell holds the current execution count; give the first step a number of its
            # own (IPython 9 has counted the cell already)
            shell.execution_count = self._cell_count + 1
            self._bumped = True
        if self.redactor is not None:
            self.redactor.refresh(shell.user_ns)
        record = Recorder(self._displays)
        capture = OutputCapture(shell, record, self.redactor)
        control = StopControl(shell, timeout, self._kernel_handler, sys._getframe(), capture.say)
        stdin = StdinLog(self.redactor)
        forward = ForwardedInput(shell, stdin, before=capture.fd.sync, waiting=lambda: timeout_paused(control),
                                 show=_shown_unrecorded(capture))
        count = shell.execution_count
        result = landed = None
        try:
            with capture, forward:
                control.start()
                start = time.perf_counter()
                try:
                    result = shell.run_cell(code, store_history=True, silent=False)
                except KeyboardInterrupt as stop:  # a stop that landed in IPython's code around the step's
                    landed = stop
                finally:
                    duration = time.perf_counter() - start
                    until_done(control.end)
                error = landed if result is None else (result.error_before_exec or result.error_in_exec)
                if control.user_stop or (control.reason is None and isinstance(error, KeyboardInterrupt)):
                    status = "interrupted"
                elif control.reason == "timeout":
                    status = "timeout"
                    message = f"step exceeded the timeout of {timeout:g} s and was interrupted"
                    if control.escalating:
                        message += (f"; the code did not stop at the interrupt and was stopped "
                                    f"{duration - timeout:.1f} s after the timeout")
                    record.drop_errors({"KeyboardInterrupt", "StepStopped"})
                    record.error("TimeoutError", message, [f"TimeoutError: {message}"])
                    capture.say_live(f"TimeoutError: {message}")
                    error = TimeoutError(message)
                else:
                    status = "error" if error is not None else "ok"
        finally:
            until_done(control.release)
        if control.user_stop and status != "interrupted":  # the user's stop came as the step ended
            status = "interrupted"
        if status == "timeout":
            error_text = f"TimeoutError: {error}"
        else:
            error_text = "" if error is None else user_traceback(error, getattr(shell.compile, "_filename_map", {}))
        changed = False
        if self.redactor is not None:
            changed = self.redactor.refresh(shell.user_ns)
            error_text = self.redactor.text(error_text)
        outputs = record.finished(self.redactor, secrets_changed=changed)
        error_text = clean_text(error_text)
        return ExecutionResult(outputs, count, status, error, duration, error_text, record.updated,
                               notes=list(stdin.notes), stdin=list(stdin.exchanges))
