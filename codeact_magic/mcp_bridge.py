"""MCP servers as Python callables in the kernel: ``mcp.SERVER.TOOL(**kwargs)``.

Anthropic's "Code execution with MCP" (November 2025) gives an agent its MCP tools as a code API rather than as direct
tool calls, so the model reads a short index instead of every tool's schema, and filters results in code before it
prints them. Here each tool of each connected server becomes a Python function on one object in the namespace, with a
signature and docstring generated from the tool's input JSON Schema, through the official ``mcp`` Python SDK
(https://github.com/modelcontextprotocol/python-sdk, ``mcp>=1.20``; the shapes follow the MCP specification,
https://modelcontextprotocol.io/specification).

- :func:`servers_config` (:mod:`codeact_magic.mcp_config`) merges the ``mcp_servers`` trait with ``.mcp.json``
  and checks every entry; :mod:`codeact_magic.mcp_tools` makes the tool functions and the namespace objects.
- :class:`MCPBridge` connects the servers a run names on one background event-loop thread, and gives the namespace
  object (:attr:`MCPBridge.namespace`), the first message's index (:meth:`MCPBridge.index`) and the failures; it is
  closed when the run ends.
- :func:`list_servers` is ``%codeact mcp``: every configured server with its tools.

Values of ``env`` and ``headers`` (API keys, tokens) never appear in the index, the listing or an error line.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import importlib.util
import math
import os
import tempfile
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from .exceptions import MCPConfigError, MCPError, MCPToolError
from .mcp_config import CONFIG_FILE, _mask, _secrets, _where, servers_config
from .mcp_tools import _RESERVED, MCPNamespace, MCPServerTools, _attribute, make_tool, one_line, short_signature

__all__ = ["MCPBridge", "MCPConfigError", "MCPError", "MCPToolError", "list_servers", "servers_config"]

#: Seconds a server has to start, answer ``initialize`` and list its tools.
START_TIMEOUT_S = 30.0
#: Seconds one tool call may take.
CALL_TIMEOUT_S = 120.0
#: Seconds :meth:`MCPBridge.close` waits for the servers to exit (the SDK closes stdin, then terminates, then kills).
STOP_TIMEOUT_S = 10.0
#: Lines of a failed server's stderr quoted in its one line.
STDERR_TAIL_LINES = 5


# -- the sessions, on their event-loop thread --------------------------------------------------------------------------

class MCPBridge:
    """The MCP sessions of one run, on one background event-loop thread (a daemon thread the bridge owns).

    Build it with :meth:`connect`; use it as a context manager or call :meth:`close` when the run ends. Each server's
    session is one long-lived task that enters the SDK's transport and ``ClientSession`` context managers and waits
    for its stop event, so every anyio context is entered and left in the same task.

    Attributes
    ----------
    namespace : MCPNamespace
        The object to bind as ``mcp``: ``namespace.NAME.TOOL(**kwargs)`` for each server that started.
    failures : list of str
        One line per server that did not start: ``MCP server 'NAME' did not start: <reason>; its stderr ended:
        <last lines>``.
    tools : dict of str to list of dict
        Each started server's tools as the server listed them (``name``, ``description``, ``inputSchema``, ...).
    """

    def __init__(self, *, call_timeout_s: float = CALL_TIMEOUT_S, name: str = "mcp") -> None:
        self.call_timeout_s, self.name = call_timeout_s, name
        self.failures: list[str] = []
        self.tools: dict[str, list[dict[str, Any]]] = {}
        self.namespace = MCPNamespace(name)
        self._sessions: dict[str, Any] = {}
        self._stops: dict[str, asyncio.Event] = {}
        self._tasks: dict[str, concurrent.futures.Future] = {}
        self._errlogs: dict[str, Any] = {}
        self._secrets: list[str] = []
        self._closed = False
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="codeact-mcp", daemon=True)
        self._thread.start()

    @classmethod
    def connect(cls, servers: Mapping[str, Mapping[str, Any]], names: Sequence[str], *,
                start_timeout_s: float = START_TIMEOUT_S, call_timeout_s: float = CALL_TIMEOUT_S,
                name: str = "mcp") -> "MCPBridge":
        """Start the named servers (all at once), initialize them and list their tools.

        Parameters
        ----------
        servers : Mapping
            The configured servers, as :func:`servers_config` returns them.
        names : sequence of str
            The servers to connect (``--mcp a,b``), in order; duplicates are connected once.
        start_timeout_s : float
            Seconds each server has to start, answer ``initialize`` and list its tools.
        call_timeout_s : float
            Seconds each tool call may take before it raises `MCPToolError`.
        name : str
            The variable the namespace object is bound to (the ``mcp_namespace`` trait), used in the index.

        Returns
        -------
        MCPBridge
            Connected; a server that did not start is in :attr:`failures` (one line), and the others go on.

        Raises
        ------
        MCPConfigError
            A name is not configured (the line lists those that are), or the ``mcp`` package is not installed.
        KeyboardInterrupt
            The user interrupted the start; every server started so far is stopped first.
        """
        unknown = [n for n in names if n not in servers]
        if unknown:
            raise MCPConfigError(f"No MCP server named {', '.join(map(repr, unknown))}; configured: "
                                 f"{', '.join(servers) or 'none'} (the mcp_servers trait and {CONFIG_FILE}).")
        _import_sdk()
        bridge = cls(call_timeout_s=call_timeout_s, name=name)
        try:
            bridge._start({n: servers[n] for n in dict.fromkeys(names)}, start_timeout_s)
        except BaseException:
            bridge.close()
            raise
        return bridge

    def _start(self, servers: Mapping[str, Mapping[str, Any]], start_timeout_s: float) -> None:
        ready = {n: concurrent.futures.Future() for n in servers}
        self._errlogs = errlogs = {n: tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")
                                   for n in servers}
        self._secrets = sorted({v for c in servers.values() for v in _secrets(c)}, key=len, reverse=True)
        for n, config in servers.items():
            self._stops[n] = asyncio.Event()
            self._tasks[n] = asyncio.run_coroutine_threadsafe(
                _serve(config, errlogs[n], ready[n], self._stops[n], start_timeout_s), self._loop)
        concurrent.futures.wait(ready.values(), timeout=start_timeout_s + STOP_TIMEOUT_S)
        connected, server_attrs = [], set(_RESERVED)
        for n, config in servers.items():
            try:
                session, tools = ready[n].result(timeout=0)
            except BaseException as e:  # not started: a spawn error, the server's exit, the deadline
                self._loop.call_soon_threadsafe(self._stops[n].set)
                self.failures.append(_failure_line(n, config, e, errlogs.pop(n)))
                continue
            self._sessions[n], self.tools[n] = session, tools
            attr, taken = _attribute(n, server_attrs), set(_RESERVED)
            connected.append(MCPServerTools(n, attr, {
                t["name"]: make_tool(self, n, attr, t, _attribute(t["name"], taken)) for t in tools}))
        self.namespace = MCPNamespace(self.name, connected, self.failures)
        if any(t.get("outputSchema") for tools in self.tools.values() for t in tools):
            # the SDK checks structured results with jsonschema, whose first import takes ~1 s: do it now, meanwhile
            threading.Thread(target=__import__, args=("jsonschema",), daemon=True).start()

    def call(self, server: str, tool: str, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """Run ``tools/call`` on the loop thread and wait for it (the kernel's main thread blocks).

        Returns
        -------
        dict
            The ``CallToolResult`` in its wire form (``content``, ``structuredContent``, ``isError``).

        Raises
        ------
        MCPToolError
            The run's sessions are closed, the call took over ``call_timeout_s``, or the connection failed.
        KeyboardInterrupt
            The user interrupted the call; it is cancelled on the loop thread.
        """
        if self._closed or server not in self._sessions:
            raise MCPToolError(server, tool, "its session ended with the run that connected it; call it from a "
                               f"step of a run started with %%codeact --mcp {server}")
        future = asyncio.run_coroutine_threadsafe(
            _call(self._sessions[server], tool, dict(arguments), self.call_timeout_s), self._loop)
        try:
            return future.result(timeout=self.call_timeout_s + 5)
        except BaseException as e:
            future.cancel()
            if isinstance(e, (TimeoutError, concurrent.futures.TimeoutError)):
                raise MCPToolError(server, tool, f"no answer within {self.call_timeout_s:g} s") from None
            if isinstance(e, Exception):
                message = _reason(e)
                if message == _CLOSED:
                    message = f"the connection to the server was lost: {message}{_tail(self._errlogs.get(server))}"
                raise MCPToolError(server, tool, _mask(message, self._secrets)) from e
            raise

    def index(self) -> str:
        """The compact index for the run's first message: how to call, then each server's tools in one line each.

        Returns
        -------
        str
            The usage line, then per server ``NAME.SERVER (N tools):`` and ``TOOL(required, optional=...): first
            line of the description``, then the failures' lines; no schemas (the model reads those with ``help()``),
            no env or header values. With no server started: ``No MCP server started for this run.`` and the
            failures.
        """
        n = self.name
        if not self.tools:
            return "\n".join(["No MCP server started for this run."] + self.failures)
        lines = [f"MCP tools are Python functions in the namespace: call {n}.SERVER.TOOL(**kwargs) in code; "
                 f"help({n}.SERVER.TOOL) shows its parameters and JSON Schema. They return Python values (the "
                 "tool's structured content, or its text); filter and summarize them in code and print only what "
                 "you need. A failing tool raises MCPToolError with the server's message."]
        for tools in self.namespace:
            lines.append(f"{n}.{tools._attr} ({len(tools)} tools):")
            for fn in tools:
                alias = f' [{n}.{tools._attr}["{fn.mcp_tool["name"]}"]]' if fn.__name__ != fn.mcp_tool["name"] else ""
                desc = one_line(fn.mcp_tool.get("description") or "")
                lines.append(f"  {short_signature(fn)}{alias}" + (f": {desc}" if desc else ""))
        return "\n".join(lines + self.failures)

    def close(self) -> None:
        """Stop every session: the servers exit, the loop thread ends. Idempotent; at most ~``STOP_TIMEOUT_S``."""
        if self._closed:
            return
        self._closed = True
        for stop in self._stops.values():
            self._loop.call_soon_threadsafe(stop.set)
        _, pending = concurrent.futures.wait(self._tasks.values(), timeout=STOP_TIMEOUT_S)
        for task in pending:
            task.cancel()
        concurrent.futures.wait(pending, timeout=1.0)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=2.0)
        if not self._thread.is_alive():
            self._loop.close()
        self._sessions.clear()
        for errlog in self._errlogs.values():
            errlog.close()

    def __enter__(self) -> "MCPBridge":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _import_sdk() -> None:
    """`MCPConfigError` when the ``mcp`` extra is not installed."""
    if importlib.util.find_spec("mcp") is None:
        raise MCPConfigError("--mcp needs the MCP Python SDK: pip install 'codeact-magic[mcp]'.")


def _transport(config: Mapping[str, Any], errlog):
    """The SDK's client transport for one server: ``stdio_client`` or streamable HTTP (1.x and 2.x names)."""
    if "command" in config:
        from mcp.client.stdio import StdioServerParameters, stdio_client
        params = StdioServerParameters(command=config["command"], args=config["args"], env=config["env"],
                                       cwd=config["cwd"])
        return stdio_client(params, errlog=errlog)
    from mcp.client import streamable_http
    if hasattr(streamable_http, "streamable_http_client"):  # mcp >= 1.24 and 2.x: headers live on the client
        from mcp.shared._httpx_utils import create_mcp_http_client

        @contextlib.asynccontextmanager
        async def http():
            async with create_mcp_http_client(headers=config["headers"]) as client:
                async with streamable_http.streamable_http_client(config["url"], http_client=client) as streams:
                    yield streams
        return http()
    return streamable_http.streamablehttp_client(config["url"], headers=config["headers"])


async def _serve(config, errlog, ready: concurrent.futures.Future, stop: asyncio.Event, timeout: float) -> None:
    """One server's session: open, initialize, list tools, report on ``ready``, wait for ``stop``, close."""
    import anyio
    from mcp import ClientSession, types
    try:
        with anyio.CancelScope(deadline=anyio.current_time() + timeout) as scope:
            async with contextlib.AsyncExitStack() as stack:
                streams = await stack.enter_async_context(_transport(config, errlog))
                session = await stack.enter_async_context(ClientSession(streams[0], streams[1]))
                await session.initialize()
                tools, cursor = [], None
                while True:
                    page = await (session.list_tools() if cursor is None else session.list_tools(
                        params=types.PaginatedRequestParams(cursor=cursor)))
                    data = page.model_dump(mode="json", by_alias=True, exclude_none=True)
                    tools += data.get("tools", [])
                    if not (cursor := data.get("nextCursor")):
                        break
                scope.deadline = math.inf
                ready.set_result((session, tools))
                await stop.wait()
        if scope.cancelled_caught and not ready.done():
            ready.set_exception(TimeoutError(f"no answer to initialize within {timeout:g} s"))
    except BaseException as e:
        if not ready.done():
            ready.set_exception(e if isinstance(e, Exception) else RuntimeError("stopped before it started"))
        if not isinstance(e, Exception):
            raise
    finally:
        if not ready.done():
            ready.set_exception(RuntimeError("it ended before listing its tools"))


async def _call(session, tool: str, arguments: dict[str, Any], timeout: float) -> dict[str, Any]:
    import anyio
    with anyio.fail_after(timeout):
        result = await session.call_tool(tool, arguments)
    return result.model_dump(mode="json", by_alias=True, exclude_none=True)


_CLOSED = "it exited or closed its stdout"


def _reason(error: BaseException) -> str:
    """One line for an exception, the first leaf of anyio's exception groups."""
    while getattr(error, "exceptions", None):  # an (anyio) ExceptionGroup: its first leaf
        error = error.exceptions[0]
    if isinstance(error, OSError) and error.strerror:
        return f"cannot run it ({type(error).__name__}: {error.strerror})"
    if isinstance(error, TimeoutError):
        return str(error) or "it timed out"
    if "connection closed" in str(error).lower():
        return _CLOSED
    return f"{type(error).__name__}: {one_line(str(error))}"


def _failure_line(name: str, config: Mapping[str, Any], error: BaseException, errlog) -> str:
    """``MCP server 'NAME' did not start: <reason>; its stderr ended: <tail>``, with env/header values masked."""
    line = f"MCP server {name!r} did not start: {_reason(error)}" + _tail(errlog if "command" in config else None)
    errlog.close()
    return _mask(line, _secrets(config))


def _tail(errlog) -> str:
    """``; its stderr ended: <the last STDERR_TAIL_LINES lines, joined by ' | '>`` of a stdio server's stderr file."""
    if errlog is None:
        return ""
    with contextlib.suppress(OSError, ValueError):
        raw = errlog.buffer  # the server writes to the file itself; read only its end, however long it grew
        raw.seek(max(0, os.fstat(raw.fileno()).st_size - 20_000))
        lines = raw.read().decode("utf-8", "replace").splitlines()
        tail = [one_line(s, 200) for s in lines if s.strip()][-STDERR_TAIL_LINES:]
        return f"; its stderr ended: {' | '.join(tail)}" if tail else "; nothing on its stderr"
    return ""


def list_servers(servers: Mapping[str, Mapping[str, Any]], *, start_timeout_s: float = START_TIMEOUT_S) -> str:
    """``%codeact mcp``: connect every configured server, list its tools (name and one line each), close.

    Parameters
    ----------
    servers : Mapping
        The configured servers, as :func:`servers_config` returns them.
    start_timeout_s : float
        Seconds each server has to start and list its tools.

    Returns
    -------
    str
        Per server: ``NAME (stdio: COMMAND | http: HOST/PATH), N tools`` and its tools; a server that did not start
        gives its one line; with no server configured, how to configure them.
    """
    if not servers:
        return ("No MCP servers are configured. Set them with %config CodeActMagics.mcp_servers = {'NAME': "
                "{'command': 'npx', 'args': ['-y', 'PACKAGE'], 'env': {'KEY': '...'}}} (or {'NAME': {'url': "
                "'https://HOST/mcp'}}), or write them in a .mcp.json in the working directory ({\"mcpServers\": "
                "{...}}, the shape Claude Desktop and Claude Code use). Then: %%codeact --mcp NAME.")
    with MCPBridge.connect(servers, list(servers), start_timeout_s=start_timeout_s) as bridge:
        lines = []
        for name, config in servers.items():
            if name not in bridge.tools:
                continue
            tools = bridge.namespace[name]
            lines.append(f"{name} ({_where(config)}), {len(tools)} tools:")
            lines += [f"  {fn.mcp_tool['name']}: {one_line(fn.mcp_tool.get('description') or '')}".rstrip(": ")
                      for fn in tools]
        return "\n".join(lines + bridge.failures)
