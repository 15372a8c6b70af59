"""The kernel of an isolated run on a Jupyter Kernel Gateway or Enterprise Gateway (``--gateway URL``).

:class:`GatewayKernel` has the face of :class:`codeact_magic.kernels.LocalKernel` (coroutines ``start``, ``is_alive``,
``interrupt``, ``restart``, ``shutdown``; attributes ``client``, ``pid``, ``description``). It adapts jupyter_server's
gateway client, the code behind ``jupyter lab --gateway-url``: ``GatewayKernelManager`` makes the REST calls
(``POST /api/kernels``, ``.../interrupt``, ``.../restart``, ``DELETE``); ``GatewayKernelClient`` carries the five
channels over one websocket (``/api/kernels/ID/channels``), a thread routing its messages into a queue per channel.
Fixed here (jupyter_server 2.21): the websocket sends the REST calls' headers (upstream sends none: a gateway with a
token answers 401) and keeps no read timeout (upstream's ends the thread after 40 s without a message unless the
gateway pings); reads sleep 5 ms between looks at an empty queue (upstream's ``asyncio.sleep(0)`` spins a core while
it waits); ``is_alive`` asks the gateway (upstream's fails an assertion, having no local process to poll); a message
sent names its channel (upstream's name none, so the gateway takes each for the shell channel's, and a step's
``input_reply`` never reaches the kernel's stdin).

Configuration is jupyter_server's ``GatewayClient``, a process-wide singleton: :class:`GatewayKernel` sets its
``url``, timeouts and (when given) ``auth_token``; the rest comes from its ``JUPYTER_GATEWAY_*`` environment variables
(``..._HEADERS``, ``..._CA_CERTS``, ``..._HTTP_USER``...). One gateway per process: other settings replace it.

What a gateway does with a kernel (measured with Kernel Gateway 3.0.1):

- ``env``: only ``KERNEL_*`` variables and those the gateway allows reach the kernel (Kernel Gateway:
  ``--JupyterWebsocketPersonality.env_whitelist``; Enterprise Gateway: ``--EnterpriseGatewayApp.client_envs``), on top
  of the gateway's own ``PATH``.
- ``cwd`` is sent as ``KERNEL_WORKING_DIR``. Kernel Gateway ignores it (its kernels run in its own working
  directory); Enterprise Gateway honours it for container kernels when started with ``EG_MIRROR_WORKING_DIRS=True``.
- A kernel process that dies (``os._exit``) is restarted by the gateway within about 3 s, with an empty namespace,
  and the pending execute never gets a reply. The gateway says so on iopub (a ``status`` message with no parent and
  ``execution_state`` ``restarting``, or ``dead`` when it gives up); from then on :meth:`GatewayKernel.is_alive` is
  ``False``, as for a local kernel that died, until :meth:`GatewayKernel.restart`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib.util
import logging
import socket
import ssl
import threading
from queue import Empty
from time import monotonic
from typing import Any

__all__ = ["GatewayKernel"]

#: Seconds to open a TCP connection (HTTP or websocket) to the gateway.
CONNECT_TIMEOUT_S = 10.0
#: Seconds a channel's reader sleeps between looks at its empty queue.
POLL_S = 0.005

_MISSING = "--gateway needs jupyter_server: pip install 'codeact-magic[gateway]'"


@functools.cache
def _client_class() -> type:
    """``GatewayKernelClient`` with the fixes listed in the module's docstring (built on first use: jupyter_server is
    an optional dependency)."""
    import websocket
    from jupyter_client.asynchronous.client import AsyncKernelClient
    from jupyter_core.utils import ensure_async
    from jupyter_server.gateway.gateway_client import GatewayClient
    from jupyter_server.gateway.managers import GatewayKernelClient, HBChannelQueue
    from jupyter_server.utils import url_path_join
    from tornado.escape import url_escape

    class Channel(HBChannelQueue):
        """A channel's queue: waits without spinning, notes the gateway's word that the kernel died, and sends on its
        own channel."""

        died = False

        def send(self, msg: dict) -> None:
            super().send({**msg, "channel": self.channel_name})

        def put(self, item: dict, block: bool = True, timeout: float | None = None) -> None:
            content = item.get("content") or {}
            if (self.channel_name == "iopub" and item.get("msg_type") == "status" and not item.get("parent_header")
                    and content.get("execution_state") in ("restarting", "dead")):
                self.died = True
            super().put(item, block, timeout)

        async def _async_get(self, timeout: float | None = None) -> dict:
            if timeout is not None and timeout < 0:
                raise ValueError("'timeout' must be a non-negative number")
            end = float("inf") if timeout is None else monotonic() + timeout
            while True:
                try:
                    return self.get(block=False)
                except Empty:
                    if self.response_router_finished:
                        raise ConnectionError("the websocket to the kernel's gateway closed") from None
                    left = end - monotonic()
                    if left <= 0:
                        raise
                    await asyncio.sleep(min(POLL_S, left))

    def channel(name: str) -> property:
        attribute = f"_{name}_channel"

        def get(self: Any) -> Channel:
            if getattr(self, attribute) is None:
                queue = Channel(name, self.channel_socket, self.log)
                setattr(self, attribute, queue)
                self._channel_queues[name] = queue
            return getattr(self, attribute)

        return property(get, doc=f"The {name} channel's queue, filled by the websocket's reader thread.")

    class Client(GatewayKernelClient):
        """``GatewayKernelClient`` with the fixes of the module's docstring."""

        shell_channel = channel("shell")
        iopub_channel = channel("iopub")
        stdin_channel = channel("stdin")
        hb_channel = channel("hb")
        control_channel = channel("control")

        @property
        def kernel_died(self) -> bool:
            """Whether the gateway said on iopub that the kernel process died (and restarted it, or gave up)."""
            return bool(self._iopub_channel is not None and self._iopub_channel.died)

        async def start_channels(self, shell: bool = True, iopub: bool = True, stdin: bool = True, hb: bool = True,
                                 control: bool = True) -> None:
            gateway = GatewayClient.instance()
            url = url_path_join(gateway.ws_url or "", gateway.kernels_endpoint, url_escape(self.kernel_id),
                                "channels")
            sslopt: dict[str, Any] = {"ca_certs": gateway.ca_certs, "certfile": gateway.client_cert,
                                      "keyfile": gateway.client_key}
            if not gateway.validate_cert:
                sslopt.update(cert_reqs=ssl.CERT_NONE, check_hostname=False)
            # the REST calls' headers: the token (after the configured renewer) and the gateway's cookies
            headers = gateway.load_connection_args().get("headers") or {}
            self.channel_socket = await asyncio.to_thread(
                websocket.create_connection, url, timeout=gateway.request_timeout, enable_multithread=True,
                sslopt=sslopt, header=headers)
            # the timeout was for the handshake (the gateway answers it once the kernel's channels are connected):
            # kept on the socket, it would end the reader thread after that many seconds without a message (a quiet
            # cell on a gateway that does not ping). A dead peer is still noticed: websocket-client sets TCP keepalive.
            self.channel_socket.settimeout(None)
            await ensure_async(AsyncKernelClient.start_channels(self, shell=shell, iopub=iopub, stdin=stdin, hb=hb,
                                                                control=control))
            self.response_router = threading.Thread(target=self._route_responses, daemon=True,
                                                    name=f"gateway-ws-{self.kernel_id}")
            self.response_router.start()

        async def _async_is_alive(self) -> bool:
            return not self.kernel_died and await _model_alive(self.parent)

        is_alive = _async_is_alive

    return Client


async def _model_alive(manager: Any) -> bool:
    """Whether the gateway still lists the kernel of ``manager`` (a ``GatewayKernelManager``), not ``dead``."""
    model = await manager.refresh_model()
    return bool(model) and model.get("execution_state") != "dead"


#: The ``GatewayClient`` :func:`_gateway_client` made last, and its settings (it raises ``request_timeout`` itself).
_configured: list[Any] = [None, None]


def _gateway_client(url: str, auth_token: str | None, timeout_s: float, log: logging.Logger) -> Any:
    """jupyter_server's ``GatewayClient`` singleton, set for ``url`` (replaced when it was set otherwise)."""
    from jupyter_server.gateway.gateway_client import GatewayClient

    settings: dict[str, Any] = {"url": url, "request_timeout": timeout_s,
                                "connect_timeout": min(CONNECT_TIMEOUT_S, timeout_s)}
    if auth_token is not None:
        settings["auth_token"] = auth_token
    if GatewayClient.initialized():
        if _configured == [GatewayClient.instance(), settings]:
            return _configured[0]
        GatewayClient.clear_instance()
    _configured[:] = [GatewayClient.instance(log=log, **settings), settings]
    return _configured[0]


class GatewayKernel:
    """A kernel on a Jupyter Kernel Gateway or Enterprise Gateway.

    Parameters
    ----------
    url : str
        The gateway's base URL (``http://host:8888``, or ``https://...``; a ``base_url`` path included).
    kernel_name : str
        The gateway's kernelspec to start.
    env : dict, optional
        Variables for the kernel's environment; the gateway keeps only those it allows (see the module's docstring).
    cwd : str, optional
        The kernel's working directory, sent as ``KERNEL_WORKING_DIR`` (Kernel Gateway ignores it).
    auth_token : str, optional
        The gateway's token (``Authorization: token ...``); ``JUPYTER_GATEWAY_AUTH_TOKEN`` when not given.
    request_timeout_s : float
        Seconds allowed for each REST call and for the new kernel to answer ``kernel_info`` (jupyter_server raises its
        REST timeout to at least ``KERNEL_LAUNCH_TIMEOUT`` + 2, 42 s by default). TCP connections get at most
        :data:`CONNECT_TIMEOUT_S`.
    log : logging.Logger, optional
        Where the gateway client logs; ``codeact_magic.gateway``'s logger by default.

    Raises
    ------
    ImportError
        When jupyter_server is not installed.

    Attributes
    ----------
    client : GatewayKernelClient or None
        Connected and ready after :meth:`start` and :meth:`restart` (a new object each time); ``None`` after
        :meth:`shutdown`. Its ``get_*_msg`` raise ``queue.Empty`` on timeout, and ``ConnectionError`` once the
        websocket has closed (the gateway stopped, or the network dropped).
    kernel_id : str or None
        The gateway's id of the kernel.
    pid : None
        The gateway does not say which process runs the kernel.
    """

    pid: int | None = None

    def __init__(self, url: str, kernel_name: str = "python3", env: dict[str, str] | None = None,
                 cwd: str | None = None, auth_token: str | None = None, request_timeout_s: float = 40.0,
                 log: logging.Logger | None = None) -> None:
        try:  # found, not imported: importing it (about 1 s) is left to start(), on the caller's loop thread
            found = importlib.util.find_spec("jupyter_server.gateway.managers") is not None
        except ImportError:
            found = False
        if not found:
            raise ImportError(_MISSING)
        self.url = url.rstrip("/")
        self.kernel_name = kernel_name
        self.env = dict(env) if env is not None else None
        self.cwd = None if cwd is None else str(cwd)
        self.auth_token = auth_token
        self.request_timeout_s = float(request_timeout_s)
        self.log = log or logging.getLogger(__name__)
        self.client: Any = None
        self.manager: Any = None

    @property
    def kernel_id(self) -> str | None:
        return None if self.manager is None else self.manager.kernel_id

    @property
    def description(self) -> str:
        """One line for the user: ``kernel 3f2a9c1e… (python3) on gateway http://127.0.0.1:8889``."""
        return f"{self._kernel()} ({self.kernel_name}) on gateway {self.url}"

    async def start(self) -> None:
        """Start a kernel on the gateway, open its websocket, and wait until it answers ``kernel_info``.

        Raises
        ------
        RuntimeError
            With one line that names the gateway's URL and the cause: it cannot be reached (connection refused, no
            such host, no answer within the timeouts), it has no kernels endpoint there (404), it refused the token
            (401, 403), it failed to start the kernel, or the kernel did not answer within ``request_timeout_s``
            seconds. A kernel already created is shut down first.
        """
        from jupyter_server.gateway.managers import GatewayKernelManager

        gateway = _gateway_client(self.url, self.auth_token, self.request_timeout_s, self.log)
        if self.env is not None:
            gateway.allowed_envs = ",".join(self.env)  # read by start_kernel before its first await
        self.manager = GatewayKernelManager(log=self.log)
        try:
            await self.manager.start_kernel(kernel_name=self.kernel_name, env=self.env or {}, cwd=self.cwd)
        except Exception as error:
            self.manager = None
            raise RuntimeError(self._failure(f"could not start a {self.kernel_name} kernel", error)) from error
        await self._connect()

    async def _connect(self) -> None:
        """A new client on the kernel's websocket, ready; on failure the kernel is shut down and RuntimeError raised."""
        kernel = self._kernel()
        self.manager.client_factory = _client_class()
        self.client = client = self.manager.client(log=self.log)
        try:
            await client.start_channels()
        except Exception as error:  # noqa: BLE001 - reported as the one line, after cleaning up
            await self.shutdown()
            raise RuntimeError(self._failure(f"could not open the websocket of {kernel}", error)) from error
        try:
            await client.wait_for_ready(timeout=self.request_timeout_s)
        except Exception as error:  # noqa: BLE001 - reported as the one line, after cleaning up
            if isinstance(error, RuntimeError):
                # jupyter_client's two: "Kernel didn't respond in N seconds", "Kernel died before replying..."
                alive = await self.is_alive()
                reason = (f"{self.description} did not answer kernel_info within {self.request_timeout_s:g} s"
                          if alive else f"{self.description} died before it answered kernel_info")
            else:
                reason = self._failure(f"lost {kernel}", error)
            await self.shutdown()
            raise RuntimeError(reason) from error

    def _failure(self, doing: str, error: BaseException) -> str:
        """One line for an error of the gateway's REST client (``tornado.web.HTTPError``, the cause chained) or of
        the websocket's (``websocket-client``'s exceptions, ``OSError``)."""
        from websocket import WebSocketTimeoutException

        status = getattr(error, "status_code", None)
        errors = (error, error.__cause__)
        if any(isinstance(e, socket.gaierror) for e in errors):
            why = "no such host"
        elif any(isinstance(e, ConnectionRefusedError) for e in errors):
            why = "connection refused; is the gateway running?"
        elif status == 599 or any(isinstance(e, (TimeoutError, WebSocketTimeoutException)) for e in errors):
            why = "no answer in time"
        elif any(isinstance(e, ConnectionError) for e in errors):
            why = f"connection failed ({error.__cause__ or error})"
        elif status in (401, 403):
            why = f"{status}, the token was refused (the gateway's token, or JUPYTER_GATEWAY_AUTH_TOKEN)"
        elif status == 404:
            why = f"404, no kernel service at {self.url}/api/kernels; is this a Jupyter Kernel or Enterprise Gateway?"
        else:
            why = f"{type(error).__name__}: {error}"
        return " ".join(f"{doing} on the Jupyter gateway at {self.url}: {why}".split())

    def _kernel(self) -> str:
        """``kernel 3f2a9c1e…``, for messages."""
        return f"kernel {self.kernel_id[:8]}…" if self.kernel_id else "the kernel"

    async def is_alive(self) -> bool:
        """Whether the kernel still exists on the gateway, is not ``dead``, and has not died and been restarted by the
        gateway since :meth:`start` or :meth:`restart`; ``False`` (logged) when the gateway cannot be asked."""
        if self.manager is None or self.client is None:
            return False
        try:
            return bool(await self.client.is_alive())
        except Exception as error:  # noqa: BLE001 - cannot ask: treated as gone
            self.log.warning("%s", self._failure(f"could not ask about {self._kernel()}", error))
            return False

    async def interrupt(self) -> None:
        """Interrupt the running execution (``POST /api/kernels/ID/interrupt``, as JupyterLab's Stop).

        Raises
        ------
        RuntimeError
            When the gateway cannot be reached or refuses (one line naming it).
        """
        if self.manager is None:
            return
        try:
            await self.manager.interrupt_kernel()
        except Exception as error:
            raise RuntimeError(self._failure(f"could not interrupt {self._kernel()}", error)) from error

    async def restart(self) -> None:
        """A fresh kernel process with an empty namespace, and a new ready :attr:`client`.

        The gateway's restart (``POST /api/kernels/ID/restart``) keeps the kernel's id; when that fails (the kernel
        is gone, or was never started) a new kernel is started.

        Raises
        ------
        RuntimeError
            As :meth:`start`.
        """
        client, self.client = self.client, None
        _close(client, self.log)
        if self.manager is not None and self.manager.has_kernel:
            try:
                await self.manager.restart_kernel()
            except Exception as error:  # noqa: BLE001 - a new kernel instead
                self.log.warning("%s; starting a new one", self._failure(f"could not restart {self._kernel()}", error))
            else:
                await self._connect()
                return
            await self.shutdown()
        await self.start()

    async def shutdown(self) -> None:
        """Close the websocket and shut the kernel down (``DELETE``); never raises (logs instead), may be repeated."""
        client, manager = self.client, self.manager
        self.client = self.manager = None
        _close(client, self.log)
        if manager is not None and manager.has_kernel:
            try:
                await manager.shutdown_kernel(now=True)
            except Exception as error:  # noqa: BLE001 - logged: the gateway may cull it later
                self.log.warning("%s", self._failure(f"could not shut down kernel {manager.kernel_id}", error))


def _close(client: Any, log: logging.Logger) -> None:
    """Close ``client``'s websocket and join its reader thread, if it was opened."""
    if client is None or getattr(client, "channel_socket", None) is None:
        return
    # what the caller left unread belongs to the kernel being left: not worth upstream's warning about it
    for queue in list((client._channel_queues or {}).values()):
        with contextlib.suppress(Empty):
            while True:
                queue.get_nowait()
    try:
        client.stop_channels()
    except Exception as error:  # noqa: BLE001 - already closed
        log.debug("closing a gateway websocket: %s", error)
