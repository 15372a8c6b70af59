"""The kernel an isolated run's steps execute in: a separate local ipykernel, confined (see :mod:`codeact_magic.confine`).

:class:`LocalKernel` starts it through ``jupyter_client``'s ``AsyncKernelManager``, as JupyterLab starts kernels, with
the command of the native kernelspec (this Python's ipykernel) put behind the launcher that sets its resource limits
and, unless the network is allowed, its own network namespace. Kernel and client then speak over Unix sockets
(``transport="ipc"``), in a directory of their own under the system's temporary directory (a socket's path must stay
under 108 bytes).

The kernel's environment is this process's, without the variables that look like secrets
(:func:`codeact_magic.redaction.is_secret_name`: ``ANTHROPIC_API_KEY``, ``AWS_SECRET_ACCESS_KEY``...), so code in the
sandbox cannot read the user's keys from ``os.environ``.

:class:`LocalKernel` and :class:`codeact_magic.gateway.GatewayKernel` have the same face, which
:class:`codeact_magic.sandbox.SandboxExecutor` uses: coroutines ``start``, ``is_alive``, ``interrupt``, ``restart``,
``shutdown``, and attributes ``client`` (a ``jupyter_client`` ``AsyncKernelClient``), ``pid`` and ``description``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from .confine import confine_command
from .redaction import is_secret_name

__all__ = ["Limits", "LocalKernel", "LoopThread", "kernel_environment"]

#: Seconds a new kernel has to answer ``kernel_info`` before :meth:`LocalKernel.start` gives up.
READY_TIMEOUT_S = 60.0


@dataclasses.dataclass(frozen=True)
class Limits:
    """The resource limits of an isolated kernel (0: no limit), set by :mod:`codeact_magic.confine`.

    Attributes
    ----------
    cpu_s : int
        CPU seconds of each process (``RLIMIT_CPU``).
    memory_bytes : int
        Address space of each process, in bytes (``RLIMIT_AS``).
    file_bytes : int
        The largest file a process may write, in bytes (``RLIMIT_FSIZE``).
    processes : int
        Processes and threads of the user (``RLIMIT_NPROC``; Linux exempts root).
    network : bool
        Whether the kernel keeps the network (``--allow-network``).
    """

    cpu_s: int = 0
    memory_bytes: int = 0
    file_bytes: int = 0
    processes: int = 0
    network: bool = False

    def describe(self) -> str:
        """One line: ``no network, 600 CPU s, 4.0 GiB memory, 1.0 GiB files, 512 processes``."""
        parts = ["network allowed" if self.network else "no network"]
        if self.cpu_s:
            parts.append(f"{self.cpu_s:,} CPU s")
        if self.memory_bytes:
            parts.append(f"{self.memory_bytes / 2**30:.1f} GiB memory")
        if self.file_bytes:
            parts.append(f"{self.file_bytes / 2**30:.1f} GiB files")
        if self.processes:
            parts.append(f"{self.processes:,} processes")
        return ", ".join(parts)


def kernel_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    """``environ`` (``os.environ`` by default) without secret-named variables, for a sandbox kernel."""
    source = os.environ if environ is None else environ
    return {k: v for k, v in source.items() if not is_secret_name(k)}


def _manager_class() -> type:
    from jupyter_client.manager import AsyncKernelManager

    class ConfinedKernelManager(AsyncKernelManager):
        """An ``AsyncKernelManager`` whose kernel command runs behind :func:`confine_command`."""

        limits = Limits()

        def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
            command = super().format_kernel_cmd(extra_arguments)
            limits = self.limits
            return confine_command(command, cpu_s=limits.cpu_s, memory_bytes=limits.memory_bytes,
                                   file_bytes=limits.file_bytes, processes=limits.processes, network=limits.network)

    return ConfinedKernelManager


class LocalKernel:
    """A confined ipykernel on this machine, in working directory ``cwd``.

    Parameters
    ----------
    cwd : str or PathLike
        The kernel's working directory (created when missing).
    limits : Limits
        Its resource limits and whether it keeps the network.
    kernel_name : str
        The kernelspec to start; ``""`` for the native one (this Python's ipykernel).
    env : dict, optional
        Its environment; :func:`kernel_environment` by default.

    Attributes
    ----------
    client : jupyter_client.asynchronous.AsyncKernelClient or None
        Connected and ready after :meth:`start`.
    pid : int or None
        The kernel process's id.
    """

    def __init__(self, cwd: str | os.PathLike, limits: Limits, kernel_name: str = "",
                 env: dict[str, str] | None = None) -> None:
        self.cwd = Path(cwd)
        self.limits = limits
        self.kernel_name = kernel_name
        self.env = kernel_environment() if env is None else env
        self.client: Any = None
        self.manager: Any = None
        self._sockets: str | None = None

    @property
    def pid(self) -> int | None:
        provisioner = getattr(self.manager, "provisioner", None)
        return getattr(provisioner, "pid", None)

    @property
    def description(self) -> str:
        return f"a local ipykernel (pid {self.pid}; {self.limits.describe()}) in {self.cwd}"

    async def start(self) -> None:
        """Start the kernel and connect a client that it has answered.

        Raises
        ------
        RuntimeError
            When the kernel exits before it answers (its launcher's one line, when it wrote one, is the message) or
            does not answer within :data:`READY_TIMEOUT_S` seconds.
        """
        from jupyter_client.kernelspec import NATIVE_KERNEL_NAME

        self.cwd.mkdir(parents=True, exist_ok=True)
        self._sockets = tempfile.mkdtemp(prefix="codeact-ipc-")
        manager = _manager_class()(kernel_name=self.kernel_name or NATIVE_KERNEL_NAME, transport="ipc",
                                   ip=os.path.join(self._sockets, "kernel"),
                                   connection_file=os.path.join(self._sockets, "connection.json"))
        manager.limits = self.limits
        self.manager = manager
        log = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace", prefix="codeact-sandbox-")
        try:
            await manager.start_kernel(cwd=str(self.cwd), env=self.env, stderr=log)
            client = manager.client()
            client.start_channels()
            self.client = client
            try:
                await client.wait_for_ready(timeout=READY_TIMEOUT_S)
            except RuntimeError as failed:
                log.seek(0)
                said = [line for line in log.read().splitlines() if line.startswith("codeact: ")]
                reason = said[-1].removeprefix("codeact: ") if said else str(failed)
                await self.shutdown()
                raise RuntimeError(reason) from None
        finally:
            log.close()

    async def is_alive(self) -> bool:
        """Whether the kernel process is still running."""
        return self.manager is not None and bool(await self.manager.is_alive())

    async def interrupt(self) -> None:
        """Send the kernel ``SIGINT`` (its interrupt), as JupyterLab's Stop does."""
        if self.manager is not None:
            await self.manager.interrupt_kernel()

    async def restart(self) -> None:
        """A new kernel process in the same working directory, with the same limits (state is not kept)."""
        await self.shutdown()
        await self.start()

    async def shutdown(self) -> None:
        """Stop the kernel at once and remove its sockets; never raises, and may be called again."""
        client, manager, sockets = self.client, self.manager, self._sockets
        self.client = self.manager = self._sockets = None
        if client is not None:
            try:
                client.stop_channels()
            except Exception:  # noqa: BLE001 - already closed
                pass
        if manager is not None:
            try:
                await manager.shutdown_kernel(now=True)
            except Exception:  # noqa: BLE001 - a kernel that is gone already
                pass
        if sockets is not None:
            shutil.rmtree(sockets, ignore_errors=True)


class LoopThread:
    """An asyncio event loop in a daemon thread; :meth:`call` runs a coroutine on it and waits, interruptibly."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="codeact-sandbox", daemon=True)
        self.thread.start()

    def submit(self, coro: Any) -> concurrent.futures.Future:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def call(self, coro: Any, timeout: float | None = None) -> Any:
        """The coroutine's result; a ``KeyboardInterrupt`` (the user's Stop) comes through while waiting."""
        future = self.submit(coro)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                return future.result(timeout=0.1)
            except concurrent.futures.TimeoutError:
                if deadline is not None and time.monotonic() > deadline:
                    future.cancel()
                    raise TimeoutError(f"no answer from the sandbox kernel within {timeout:g} s") from None

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
