"""An MCP server for the tests of ``codeact_magic.mcp_bridge``, written with the SDK's FastMCP.

Run as ``python tests/mcp_fixture_server.py`` it serves over stdio (the transport Claude Desktop and Claude Code start
servers with); ``--http PORT`` serves streamable HTTP at ``http://127.0.0.1:PORT/mcp`` instead. Its tools cover the
shapes a bridge must turn into Python values: a primitive result (which FastMCP wraps as ``{"result": x}``), an
object result, a text-only result, a tool whose name is not a Python identifier, a tool that fails (``isError``), a
slow tool (timeouts), one that reads its environment (``env`` in the server's config), and ``pid`` and ``crash`` for
the tests of the server's lifetime.

FastMCP is ``mcp.server.fastmcp.FastMCP`` in mcp 1.x and ``mcp.server.mcpserver.MCPServer`` in mcp 2.x; both are tried.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Literal, TypedDict

import anyio

try:  # mcp 2.x
    from mcp.server.mcpserver import MCPServer as FastMCP
    from mcp.server.mcpserver.exceptions import ToolError
except ImportError:  # mcp 1.x
    from mcp.server.fastmcp import FastMCP
    from mcp.server.fastmcp.exceptions import ToolError

server = FastMCP("fixture")


class Weather(TypedDict):
    """What ``lookup`` returns: an object, sent as the result's ``structuredContent``."""

    city: str
    temperature: float
    units: str


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers.

    The sum is exact for any size of integer.
    """
    return a + b


@server.tool()
def lookup(city: str, units: Literal["metric", "imperial"] = "metric") -> Weather:
    """Look up today's weather for a city (made-up numbers)."""
    celsius = float(len(city) * 3)
    temperature = celsius if units == "metric" else celsius * 9 / 5 + 32
    return Weather(city=city, temperature=temperature, units=units)


@server.tool(structured_output=False)
def shout(text: str) -> str:
    """Return the text in capitals, as plain text content only."""
    return text.upper()


@server.tool(name="echo-text")
def echo_text(text: str, times: int = 1) -> str:
    """Repeat a text a number of times, joined by spaces."""
    return " ".join([text] * times)


@server.tool(name="stats.summary")
def stats_summary(values: list[float]) -> dict[str, float]:
    """Summarize a list of numbers: count, mean, min and max."""
    return {"count": float(len(values)), "mean": sum(values) / len(values), "min": min(values), "max": max(values)}


@server.tool()
def fail(message: str) -> str:
    """Always fail, with the given message.

    A ``ToolError``: FastMCP sends its message, where mcp 2.x hides that of any other exception.
    """
    raise ToolError(message)


@server.tool()
async def slow(seconds: float) -> str:
    """Sleep for some seconds, then answer "done".

    Async, so the server answers other calls meanwhile (mcp 1.x runs a sync tool on the server's event loop).
    """
    await anyio.sleep(seconds)
    return "done"


@server.tool()
def getenv(name: str) -> str:
    """The value of one of the server's environment variables ("" when unset)."""
    return os.environ.get(name, "")


@server.tool()
def pid() -> int:
    """The server's process id (the tests check that it exits)."""
    return os.getpid()


@server.tool()
def crash(message: str) -> str:
    """Write a message to stderr and exit at once with status 2, as a crashing server does."""
    print(message, file=sys.stderr, flush=True)
    os._exit(2)


def main(argv: list[str] | None = None) -> None:
    """Serve over stdio, or over streamable HTTP with ``--http PORT``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--http", type=int, metavar="PORT", help="serve streamable HTTP on 127.0.0.1:PORT/mcp")
    args = parser.parse_args(argv)
    print("fixture server starting", file=sys.stderr, flush=True)
    if args.http is None:
        server.run()
    elif hasattr(server, "settings") and hasattr(server.settings, "port"):  # mcp 1.x: host and port are settings
        server.settings.host, server.settings.port = "127.0.0.1", args.http
        server.run("streamable-http")
    else:
        server.run("streamable-http", host="127.0.0.1", port=args.http)


if __name__ == "__main__":
    main()
