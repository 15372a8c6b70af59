"""The isolated executor: a run's steps execute in a kernel of their own, never in the user's.

:class:`SandboxExecutor` has the face of :class:`codeact_magic.execution.LiveExecutor` (``execute(code, timeout) ->
ExecutionResult``), so the agent loop does not know where its code runs. The kernel is a :class:`~codeact_magic.
kernels.LocalKernel` (a confined ipykernel on this machine) or a :class:`~codeact_magic.gateway.GatewayKernel` (one on
a Jupyter Kernel or Enterprise Gateway); both are driven through ``jupyter_client``'s asynchronous client, on an event
loop in a thread of its own, while the ``%%codeact`` cell's thread shows what the step prints.

A step, as the Jupyter messaging protocol runs it (https://jupyter-client.readthedocs.io/en/latest/messaging.html):

- **Health check.** Before the step, the kernel must answer (:class:`codeact_magic.sandboxkernel.SandboxKernel`, which
  also loads the ``--with`` variables and recreates a dead kernel with its state). The step's
  :attr:`ExecutionResult.environment` records a recreation, and its note tells the model in one line.
- **The step** is one ``execute_request`` (``store_history``). Its iopub messages (``stream``,
  ``display_data``, ``update_display_data``, ``execute_result``, ``error``, ``clear_output``) are shown live in the
  ``%%codeact`` cell, secrets masked, and recorded by :class:`codeact_magic.outputs.Recorder` by the notebook's
  output rules, as the live executor records them. The step has no execution count in the user's notebook: it did not
  run in the user's kernel.
- **Input.** When the ``%%codeact`` cell's own client has stdin (:func:`codeact_magic.approval.stdin_available`),
  the step is sent with ``allow_stdin`` and the sandbox client's stdin channel is watched meanwhile: each
  ``input_request`` (the code's ``input()`` or ``getpass.getpass()``) is asked of the user through the user's
  kernel (``input(prompt)``, or ``getpass.getpass(prompt)`` for a ``password`` request) and the answer sent back as
  the ``input_reply``, recorded as the live executor records it (:mod:`codeact_magic.stdin`: a ``getpass`` answer
  is a secret before the sandbox has it). The time the question waits is left out of the step's timeout. Without
  stdin the step is sent with ``allow_stdin`` false, so the sandbox's ``input()`` raises
  ``StdinNotImplementedError`` at once. The quiet executions (the ``--with`` variables, health checks, replays) never
  allow stdin. A gateway kernel forwards stdin the same way (its websocket carries the stdin channel).
- **Timeout and Stop.** At the step's timeout, or at the user's interrupt, the kernel is interrupted (SIGINT, or the
  gateway's interrupt); when it has not ended the step within ``interrupt_grace_s``, it is restarted and recreated,
  as after a death. A timeout ends the step ``timeout`` and a Stop ``interrupted``, as in the live kernel.
- **A death during the step** ends it ``error`` with one line (``the sandbox kernel died while running this step``),
  and the next step finds the kernel dead and recreates it.
"""

from __future__ import annotations

import queue
import sys
import time
from collections.abc import Callable
from typing import Any

from .approval import stdin_available
from .execution import ExecutionResult
from .observation import strip_ansi
from .outputs import DisplayIds, Recorder
from .sandboxkernel import SandboxError, SandboxKernel, recreated_note
from .stdin import StdinLog, answer_request, ask_user, input_requests
from .untrusted import inert_bundle

__all__ = ["SandboxExecutor", "SandboxError", "recreated_note"]

_END, _DIED = object(), object()


class SandboxExecutor(SandboxKernel):
    """Runs a run's steps in a sandbox kernel.

    The parameters of :class:`~codeact_magic.sandboxkernel.SandboxKernel` (``kernel``, ``shell``: where a step's
    outputs are shown live, its display publisher and streams, nothing without it; ``redactor``, ``health_timeout_s``,
    ``interrupt_grace_s``), and:

    Parameters
    ----------
    stdin : bool, optional
        Whether a step's ``input()`` is asked of the user; by default (``None``) when the ``%%codeact`` cell's
        client has stdin (:func:`~codeact_magic.approval.stdin_available` of ``shell``; never without a shell).
    ask_input : callable, optional
        ``ask_input(prompt, password) -> str``, how the user is asked: :func:`codeact_magic.stdin.ask_user`
        (``input`` or ``getpass.getpass`` of the user's kernel) by default.

    Attributes
    ----------
    recreated : int
        How many times the kernel was recreated.
    """

    def __init__(self, kernel: Any, shell: Any = None, redactor: Any = None, health_timeout_s: float = 10.0,
                 interrupt_grace_s: float = 5.0, stdin: bool | None = None,
                 ask_input: Callable[[str, bool], str] = ask_user) -> None:
        super().__init__(kernel, shell, redactor, health_timeout_s, interrupt_grace_s)
        self.stdin, self.ask_input = stdin, ask_input
        self._displays = DisplayIds()  # the display ids of the run's steps, for their updates across steps

    # -- a step ---------------------------------------------------------------------------------------------------
    async def _pump(self, msg_id: str, into: queue.Queue) -> None:
        """The step's iopub messages into ``into``, then :data:`_END` at ``idle`` (or :data:`_DIED`)."""
        client = self.kernel.client
        quiet_since = time.monotonic()
        while True:
            try:
                msg = await client.get_iopub_msg(timeout=0.25)
            except queue.Empty:
                if time.monotonic() - quiet_since > 1.0:
                    quiet_since = time.monotonic()
                    if not await self.kernel.is_alive():
                        into.put(_DIED)
                        return
                continue
            except Exception:  # noqa: BLE001 - the channel closed under us (a restart)
                into.put(_DIED)
                return
            quiet_since = time.monotonic()
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle":
                into.put(_END)
                return
            into.put(msg)

    def _answer(self, request: dict[str, Any], log: StdinLog, messages: queue.Queue, record: Recorder,
                streams: dict[str, Any]) -> float:
        """Ask the user the sandbox's question and send the answer; the seconds it waited.

        What the sandbox printed before asking (its streams are flushed on iopub before the request) is shown
        first. A death already queued is left for the step's loop, and the question is not asked.

        Raises
        ------
        KeyboardInterrupt
            The user's Stop while the question waits.
        """
        time.sleep(0.02)
        later = []
        while True:
            try:
                item = messages.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, dict) and item.get("msg_type") != "input_request":
                self._show(item, record, streams)
            else:
                later.append(item)
        start = time.perf_counter()
        try:
            if not any(item is _DIED for item in later):
                reply = answer_request(request, log, self.ask_input)
                self._thread.call(self._send_input(reply), timeout=30)
        finally:
            for item in later:
                messages.put(item)
        return time.perf_counter() - start

    async def _send_input(self, value: str) -> None:
        self.kernel.client.input(value)

    def _show(self, msg: dict[str, Any], record: Recorder, streams: dict[str, Any]) -> None:
        kind, content = msg["msg_type"], msg["content"]
        pub = getattr(self.shell, "display_pub", None)
        redact = self.redactor.bundle if self.redactor is not None else (lambda data: data)
        if kind == "stream":
            name, text = content.get("name", "stdout"), content.get("text", "")
            record.stream(name, text)
            if self.redactor is not None:
                text = streams.setdefault(name, self.redactor.stream()).feed(text)
            if self.shell is not None and text:
                (sys.stderr if name == "stderr" else sys.stdout).write(text)
        elif kind in ("display_data", "update_display_data", "execute_result"):
            # shown in the user's page, which trusts the session's outputs: nothing that runs code there
            data, metadata = inert_bundle(content.get("data", {})), content.get("metadata", {})
            if kind == "execute_result":
                record.execute_result(data, metadata, None)
            else:
                record.display(data, metadata, content.get("transient"), kind == "update_display_data")
            if pub is not None:
                pub.publish(redact(data), metadata, transient=content.get("transient") or {},
                            update=kind == "update_display_data")
        elif kind == "error":
            lines = [self.redactor.text(line) if self.redactor is not None else line
                     for line in content.get("traceback", [])]
            record.error(content.get("ename", "Error"), content.get("evalue", ""), content.get("traceback", []))
            if self.shell is not None:
                sys.stderr.write("\n".join(lines) + "\n")
        elif kind == "clear_output":
            record.clear(bool(content.get("wait")))
            if pub is not None:
                pub.clear_output(bool(content.get("wait")))

    def _stop(self, msg_id: str, messages: queue.Queue, record: Recorder, streams: dict) -> bool:
        """Interrupt the step and wait up to ``interrupt_grace_s`` for it to end; ``False`` when it did not (the
        kernel was then restarted and recreated)."""
        try:
            self._thread.call(self.kernel.interrupt(), timeout=10)
        except Exception:  # noqa: BLE001 - a kernel that cannot be interrupted is restarted below
            pass
        deadline = time.monotonic() + self.interrupt_grace_s
        while time.monotonic() < deadline:
            try:
                item = messages.get(timeout=0.1)
            except queue.Empty:
                continue
            if item is _END:
                return True
            if item is _DIED:
                break
            self._show(item, record, streams)
        self._recreate("the step did not stop when interrupted")
        return False

    def execute(self, code: str, timeout: float = 0.0) -> ExecutionResult:
        """Run ``code`` as one cell of the sandbox kernel, showing its output live in the ``%%codeact`` cell.

        Parameters
        ----------
        code : str
            IPython source.
        timeout : float
            Seconds before the step is interrupted; 0 for no limit.

        Returns
        -------
        ExecutionResult
            Status ``ok``, ``error`` (the code raised, or the kernel died during it), ``timeout`` or ``interrupted``;
            no execution count; ``environment`` set when the kernel was recreated before the step.

        Raises
        ------
        SandboxError
            When the kernel died and could not be recreated.
        """
        environment = None
        if not self._healthy():
            environment = self._recreate(f"the sandbox kernel had died{self._exit_text()}")
        record, streams = Recorder(self._displays), {}
        messages: queue.Queue = queue.Queue()
        log = StdinLog(self.redactor)
        allow = bool(self.stdin if self.stdin is not None else self.shell is not None and stdin_available(self.shell))
        start = time.perf_counter()
        waited = 0.0  # seconds the step's questions waited for the user: not the step's running time
        msg_id = self.kernel.client.execute(code, silent=False, store_history=True, allow_stdin=allow,
                                            stop_on_error=False)
        pumps = [self._thread.submit(self._pump(msg_id, messages))]
        if allow:
            pumps.append(self._thread.submit(input_requests(self.kernel.client, msg_id, messages)))
        status, note, ended = "ok", "", True
        try:
            while True:
                if timeout and time.perf_counter() - start - waited > timeout:
                    status = "timeout"
                    ended = self._stop(msg_id, messages, record, streams)
                    break
                try:
                    item = messages.get(timeout=0.05)
                except queue.Empty:
                    continue
                if item is _END:
                    break
                if item is _DIED:
                    status, note = "error", f"the sandbox kernel died while running this step{self._exit_text()}"
                    break
                if item.get("msg_type") == "input_request":
                    waited += self._answer(item, log, messages, record, streams)
                    continue
                self._show(item, record, streams)
        except KeyboardInterrupt:  # the user's Stop
            status = "interrupted"
            ended = self._stop(msg_id, messages, record, streams)
        finally:
            for pump in pumps:
                pump.cancel()
        duration = time.perf_counter() - start
        for name, stream in streams.items():
            rest = stream.flush()
            if rest and self.shell is not None:
                (sys.stderr if name == "stderr" else sys.stdout).write(rest)
        error_text = ""
        errors = [o for o in record.outputs if o.get("output_type") == "error"]
        if status == "timeout":
            record.drop_errors({"KeyboardInterrupt"})
            message = f"step exceeded the timeout of {timeout:g} s and was interrupted"
            if not ended:
                message += "; it did not stop, so the sandbox kernel was restarted and its state restored"
            record.error("TimeoutError", message, [f"TimeoutError: {message}"])
            error_text = f"TimeoutError: {message}"
        elif note:
            record.error("SandboxDied", note, [f"SandboxDied: {note}"])
            error_text = f"SandboxDied: {note}"
        elif errors and status == "ok":
            status = "error"
            error_text = strip_ansi("\n".join(errors[-1].get("traceback") or []))
        if self.redactor is not None:
            error_text = self.redactor.text(error_text)
        if status == "ok":
            self._replay.append(code)
        outputs = record.finished(self.redactor)
        result = ExecutionResult(outputs, None, status, None, duration, error_text, record.updated,
                                 environment=environment, stdin=list(log.exchanges))
        if environment is not None:
            result.notes.append(recreated_note(environment))
        result.notes.extend(log.notes)
        return result
