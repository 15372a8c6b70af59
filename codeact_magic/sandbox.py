"""The isolated executor: a run's steps execute in a kernel of their own, never in the user's.

:class:`SandboxExecutor` has the face of :class:`codeact_magic.execution.LiveExecutor` (``execute(code, timeout) ->
ExecutionResult``), so the agent loop does not know where its code runs. The kernel is a :class:`~codeact_magic.
kernels.LocalKernel` (a confined ipykernel on this machine) or a :class:`~codeact_magic.gateway.GatewayKernel` (one on
a Jupyter Kernel or Enterprise Gateway); both are driven through ``jupyter_client``'s asynchronous client, on an event
loop in a thread of its own, while the ``%%codeact`` cell's thread shows what the step prints.

A step, as the Jupyter messaging protocol runs it (https://jupyter-client.readthedocs.io/en/latest/messaging.html):

- **Health check.** Before the step, the kernel must be alive and answer ``kernel_info`` within
  ``health_timeout_s``. When it does not (the memory or CPU limit ended it, ``os._exit``, a crash), it is recreated in
  the same working directory: the ``--with`` variables are loaded again and the run's earlier successful steps re-run,
  quietly, in order. The step's :attr:`ExecutionResult.environment` records that, and its note tells the model in one
  line.
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

import ast
import dataclasses
import pickle
import queue
import signal
import sys
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any

from .approval import stdin_available
from .execution import ExecutionResult
from .kernels import LoopThread
from .observation import strip_ansi
from .outputs import DisplayIds, Recorder
from .stdin import StdinLog, answer_request, ask_user, input_requests
from .transfer import (DATA_MODULES, LOAD_CODE, NAMES_EXPRESSION, dump_code, read_dump, returned_value, seed_chunks,
                       summary_expression)
from .untrusted import inert_bundle

__all__ = ["SandboxExecutor", "SandboxError", "recreated_note"]

_END, _DIED = object(), object()


class SandboxError(Exception):
    """The sandbox kernel could not be started, recreated or asked (the message is one line for the user)."""


def _signal_text(code: int | None) -> str:
    if code is None:
        return ""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = {"SIGKILL": ": the memory limit or the system", "SIGXCPU": ": the CPU-time limit",
                "SIGSEGV": ": a crash"}.get(name, "")
        return f" (killed by {name}{hint})"
    return f" (exit status {code})"


def recreated_note(environment: Mapping[str, Any]) -> str:
    """The one line the model reads after a step before which the sandbox was recreated."""
    replayed = environment.get("replayed", 0)
    text = f"Note: {environment.get('reason', 'the sandbox kernel had died')}, so it was recreated before this step"
    if replayed:
        text += f" and your {replayed} earlier successful step{'s' if replayed != 1 else ''} re-run to restore its state"
    failed = environment.get("failed_replays") or []
    if failed:
        text += f" ({len(failed)} of them failed this time: what they made may be missing)"
    return text + "."


@dataclasses.dataclass
class _Quiet:
    """The reply of a quiet execution: its status, error and user expressions."""

    status: str
    error: str = ""
    expressions: dict[str, Any] = dataclasses.field(default_factory=dict)


class SandboxExecutor:
    """Runs a run's steps in a sandbox kernel.

    Parameters
    ----------
    kernel : LocalKernel or GatewayKernel
        Not started yet; :meth:`start` starts it.
    shell : IPython shell, optional
        The user's shell, where a step's outputs are shown live (its display publisher and streams); without it
        nothing is shown.
    redactor : Redactor, optional
        Masks secrets in what is shown and recorded (see :class:`~codeact_magic.execution.LiveExecutor`).
    health_timeout_s : float
        Seconds the kernel has to answer ``kernel_info`` before a step (else it is recreated).
    interrupt_grace_s : float
        Seconds an interrupted step has to end before the kernel is restarted and recreated.
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
        self.kernel, self.shell, self.redactor = kernel, shell, redactor
        self.health_timeout_s, self.interrupt_grace_s = health_timeout_s, interrupt_grace_s
        self.stdin, self.ask_input = stdin, ask_input
        self.recreated = 0
        self._thread = LoopThread()
        self._displays = DisplayIds()
        self._seed: dict[str, bytes] = {}
        self._replay: list[str] = []  # the code of the run's successful steps, in order

    # -- life -----------------------------------------------------------------------------------------------------
    def start(self, seed: Mapping[str, bytes] | None = None) -> dict[str, str]:
        """Start the kernel and load the ``--with`` variables (pickles, see :func:`codeact_magic.transfer.pickle_values`).

        Returns
        -------
        dict
            ``{name: reason}`` for the variables the sandbox could not load (a class defined only in the user's
            ``__main__``, a module missing there).

        Raises
        ------
        SandboxError
            When the kernel does not start (the reason in one line).
        """
        self._seed = dict(seed or {})
        try:
            self._thread.call(self.kernel.start())
        except Exception as error:  # noqa: BLE001 - jupyter_client and the gateway raise their own kinds
            raise SandboxError(f"the isolated kernel did not start: {error}") from None
        return self._load_seed()

    def close(self) -> None:
        """Shut the kernel down (its working directory stays) and stop the loop thread; never raises."""
        try:
            self._thread.call(self.kernel.shutdown(), timeout=30)
        except BaseException:  # noqa: BLE001 - closing is best effort, a Stop included
            pass
        self._thread.close()

    def restore(self, steps: list[str]) -> list[int]:
        """Run ``steps`` (code) quietly, in order, as the state to keep (a follow-up's earlier successful steps);
        returns the 1-based numbers of those that failed. They are run again whenever the kernel is recreated."""
        failed = self._run_quietly(steps)
        self._replay.extend(steps)
        return failed

    # -- asking the kernel quietly ------------------------------------------------------------------------------
    async def _quiet(self, code: str, expressions: Mapping[str, str] | None = None, timeout: float = 600) -> _Quiet:
        client = self.kernel.client
        msg_id = client.execute(code, silent=True, store_history=False, user_expressions=dict(expressions or {}),
                                allow_stdin=False, stop_on_error=False)
        content = (await self._reply(msg_id, timeout)).get("content", {})
        error = f"{content.get('ename', '')}: {content.get('evalue', '')}" if content.get("ename") else ""
        values = {}
        for key, value in (content.get("user_expressions") or {}).items():
            values[key] = (value.get("data", {}).get("text/plain") if value.get("status") == "ok"
                           else SandboxError(f"{value.get('ename')}: {value.get('evalue')}"))
        return _Quiet(content.get("status", "error"), error, values)

    async def _reply(self, msg_id: str, timeout: float) -> dict[str, Any]:
        """The shell reply to request ``msg_id``, skipping the replies nobody waited for (the steps' own).

        Raises
        ------
        TimeoutError
            When none came within ``timeout`` seconds (``queue.Empty`` from the client is turned into it).
        """
        client = self.kernel.client
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no reply from the sandbox kernel")
            try:
                reply = await client.get_shell_msg(timeout=remaining)
            except queue.Empty:
                raise TimeoutError("no reply from the sandbox kernel") from None
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                return reply

    def _run_quietly(self, steps: list[str]) -> list[int]:
        """Run ``steps`` (code) quietly, in order; the 1-based numbers of those that did not end ``ok``."""
        return [i for i, code in enumerate(steps, 1) if self._thread.call(self._quiet(code)).status != "ok"]

    def ask(self, expression: str, timeout: float = 60) -> Any:
        """The value of a Python literal ``expression`` (a ``str``, a ``dict``...) evaluated in the sandbox.

        Raises
        ------
        SandboxError
            When it fails there, or its ``repr`` is not a literal.
        """
        reply = self._thread.call(self._quiet("", {"value": expression}, timeout))
        value = reply.expressions.get("value")
        if isinstance(value, Exception):
            raise value
        try:
            return ast.literal_eval(value)
        except (ValueError, SyntaxError, TypeError):
            raise SandboxError(f"the sandbox's answer is not a literal: {str(value)[:80]}") from None

    def _load_seed(self) -> dict[str, str]:
        if not self._seed:
            return {}
        self._thread.call(self._quiet("__codeact_with = {}"))
        for name, blob in self._seed.items():
            for chunk in seed_chunks(name, blob):
                self._thread.call(self._quiet(chunk))
        self._thread.call(self._quiet(LOAD_CODE))
        failed = self.ask("__codeact_failed")
        self._thread.call(self._quiet("del __codeact_failed"))
        return failed

    def copy_out(self, names: Collection[str], modules: Collection[str] = DATA_MODULES
                 ) -> tuple[dict[str, Any], dict[str, str]]:
        """The sandbox's values of ``names`` (``--return``), unpickled here, and why each other name is not.

        The pickles come from where the model's code ran, so they are read with
        :func:`codeact_magic.transfer.returned_value`: only the classes of ``modules`` (numpy, pandas, datetime...)
        and plain builtin types are built; a value naming anything else is not copied, and the reason says what.

        Raises
        ------
        SandboxError
            When the sandbox cannot be asked (it died and could not be recreated).
        """
        if not self._healthy():
            self._recreate("the sandbox kernel had died")
        self._thread.call(self._quiet(dump_code(names)))
        blobs, failed = read_dump(self.ask("__codeact_out", timeout=600))
        self._thread.call(self._quiet("del __codeact_out"))
        values: dict[str, Any] = {}
        for name, blob in blobs.items():
            try:
                values[name] = returned_value(blob, modules)
            except pickle.UnpicklingError as refused:
                failed[name] = f"not data this kernel builds from a sandbox: {str(refused)[:160]}"
            except Exception as error:  # noqa: BLE001 - a class that exists only in the sandbox, for one
                failed[name] = f"cannot be loaded here: {type(error).__name__}: {str(error)[:120]}"
        return values, failed

    def summary(self, max_chars: int | None = None, time_budget_s: float | None = None) -> str:
        """The variable summary of the sandbox's namespace (:func:`codeact_magic.context.summarize` run there); a
        list of names and types when codeact-magic is not installed in the sandbox's Python (a remote kernel)."""
        try:
            return self.ask(summary_expression(max_chars, time_budget_s))
        except SandboxError:
            names = self.ask(NAMES_EXPRESSION)
            return "\n".join(f"{name}: {kind}" for name, kind in names[:200])

    # -- health ---------------------------------------------------------------------------------------------------
    async def _answers(self) -> bool:
        if self.kernel.client is None or not await self.kernel.is_alive():
            return False
        try:
            await self._reply(self.kernel.client.kernel_info(), self.health_timeout_s)
        except Exception:  # noqa: BLE001 - no reply in time, or a closed channel
            return False
        return True

    def _healthy(self) -> bool:
        try:
            return bool(self._thread.call(self._answers(), timeout=self.health_timeout_s + 5))
        except TimeoutError:
            return False

    def _exit_text(self) -> str:
        process = getattr(getattr(getattr(self.kernel, "manager", None), "provisioner", None), "process", None)
        return _signal_text(process.poll() if process is not None else None)

    def _recreate(self, why: str) -> dict[str, Any]:
        """A new kernel in the same working directory, with the ``--with`` variables and the successful steps run
        again; returns the record of it (``reason``, ``replayed`` step count, ``failed`` replays).

        Raises
        ------
        SandboxError
            When the new kernel does not start.
        """
        try:
            self._thread.call(self.kernel.restart())
        except Exception as error:  # noqa: BLE001
            raise SandboxError(f"the isolated kernel could not be recreated: {error}") from None
        self.recreated += 1
        unloaded = self._load_seed()
        failed = self._run_quietly(self._replay)
        return {"recreated": True, "reason": why, "replayed": len(self._replay), "failed_replays": failed,
                "unloaded": sorted(unloaded)}

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
