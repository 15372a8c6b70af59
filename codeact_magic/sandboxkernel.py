"""The sandbox kernel of an isolated run, driven quietly: started with the ``--with`` variables, asked for values and
its variable summary, checked before each step and recreated (state restored) when it died.

The kernel is a :class:`~codeact_magic.kernels.LocalKernel` (a confined ipykernel on this machine) or a
:class:`~codeact_magic.gateway.GatewayKernel` (one on a Jupyter Kernel or Enterprise Gateway); both are driven through
``jupyter_client``'s asynchronous client, on an event loop in a thread of its own. Its quiet executions (the
``--with`` variables, health checks, replays, ``--return``) never allow stdin and show nothing.
:class:`codeact_magic.sandbox.SandboxExecutor` runs the steps on it.

- **Health check.** Before a step, the kernel must be alive and answer ``kernel_info`` within ``health_timeout_s``.
  When it does not (the memory or CPU limit ended it, ``os._exit``, a crash), it is recreated in the same working
  directory: the ``--with`` variables are loaded again and the run's earlier successful steps re-run, quietly, in
  order (:meth:`SandboxKernel._recreate`, whose record the step keeps as its ``environment``).
"""

from __future__ import annotations

import ast
import dataclasses
import pickle
import queue
import signal
import time
from collections.abc import Collection, Mapping
from typing import Any

from .kernels import LoopThread
from .transfer import (DATA_MODULES, LOAD_CODE, NAMES_EXPRESSION, dump_code, read_dump, returned_value, seed_chunks,
                       summary_expression)

__all__ = ["SandboxError", "SandboxKernel", "recreated_note"]


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


class SandboxKernel:
    """The sandbox kernel of one run, and what is done with it quietly (no output shown, no stdin).

    Parameters
    ----------
    kernel : LocalKernel or GatewayKernel
        Not started yet; :meth:`start` starts it.
    shell : IPython shell, optional
        The user's shell (where :class:`~codeact_magic.sandbox.SandboxExecutor` shows a step's outputs).
    redactor : Redactor, optional
        Masks secrets in what is shown and recorded (see :class:`~codeact_magic.execution.LiveExecutor`).
    health_timeout_s : float
        Seconds the kernel has to answer ``kernel_info`` before a step (else it is recreated).
    interrupt_grace_s : float
        Seconds an interrupted step has to end before the kernel is restarted and recreated.

    Attributes
    ----------
    recreated : int
        How many times the kernel was recreated.
    """

    def __init__(self, kernel: Any, shell: Any = None, redactor: Any = None, health_timeout_s: float = 10.0,
                 interrupt_grace_s: float = 5.0) -> None:
        self.kernel, self.shell, self.redactor = kernel, shell, redactor
        self.health_timeout_s, self.interrupt_grace_s = health_timeout_s, interrupt_grace_s
        self.recreated = 0
        self._thread = LoopThread()
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
