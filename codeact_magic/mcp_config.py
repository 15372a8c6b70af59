"""The MCP servers a run may connect: the ``mcp_servers`` trait merged over ``.mcp.json``, checked and normalized.

The entries have the ``mcpServers`` shape of Claude Desktop and Claude Code: ``command``/``args``/``env``/``cwd`` for a
stdio server, ``url``/``headers`` for streamable HTTP (https://modelcontextprotocol.io/specification). ``${VAR}`` is
expanded from the environment. :func:`servers_config` is the entry; ``_secrets``, ``_mask`` and ``_where`` keep the
values of ``env`` and ``headers`` out of every line :mod:`codeact_magic.mcp_bridge` shows.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .exceptions import MCPConfigError
from .mcp_tools import one_line

__all__ = ["CONFIG_FILE", "servers_config"]

#: The project file read next to the kernel, in Claude Code's shape ``{"mcpServers": {...}}``.
CONFIG_FILE = ".mcp.json"

_STDIO_KEYS = {"command": str, "args": list, "env": dict, "cwd": str}
_HTTP_KEYS = {"url": str, "headers": dict}
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def servers_config(configured: Mapping[str, Any], cwd: str | os.PathLike) -> dict[str, dict[str, Any]]:
    """The MCP servers a run may connect: the trait's, merged over those of ``cwd/.mcp.json``, checked.

    Parameters
    ----------
    configured : Mapping
        The ``mcp_servers`` trait: ``{NAME: {"command": str, "args": [str], "env": {str: str}, "cwd": str}}`` for a
        stdio server, ``{NAME: {"url": str, "headers": {str: str}}}`` for streamable HTTP (the ``mcpServers`` shape
        of Claude Desktop and Claude Code). ``"type"`` may say ``"stdio"`` or ``"http"``; other keys are ignored.
    cwd : str or PathLike
        The kernel's working directory, where ``.mcp.json`` (``{"mcpServers": {...}}``) is read when present.

    Returns
    -------
    dict of str to dict
        Each server's normalized entry: ``command``, ``args`` (list), ``env`` (dict or None), ``cwd`` (None or an
        absolute path, relative ones taken from ``cwd``), or ``url`` and ``headers`` (dict). A name in both places
        takes the trait's entry, whole: what the session set wins over the project's file. ``${VAR}`` and
        ``${VAR:-default}`` in any string are replaced from ``os.environ``, as Claude Code does in ``.mcp.json``.

    Raises
    ------
    MCPConfigError
        ``.mcp.json`` is unreadable, not JSON, or has no ``mcpServers`` object; an entry is not an object, has
        neither or both of ``command`` and ``url``, has a field of the wrong type, an ``sse`` type, or a ``${VAR}``
        that is not set. The line names the server (and the file) and the field, never an env or header value.
    """
    merged: dict[str, tuple[Any, str]] = {}
    path = Path(cwd) / CONFIG_FILE
    if path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as e:
            raise MCPConfigError(f"{path} is not readable JSON ({type(e).__name__}: {one_line(str(e))}).") from None
        if not isinstance(data, dict) or not isinstance(data.get("mcpServers"), dict):
            raise MCPConfigError(f'{path} must hold an object {{"mcpServers": {{"NAME": {{...}}}}}}.')
        merged.update((str(k), (v, f"in {path}")) for k, v in data["mcpServers"].items())
    merged.update((str(k), (v, "in the mcp_servers trait")) for k, v in dict(configured or {}).items())
    return {name: _checked(name, entry, where, Path(cwd)) for name, (entry, where) in merged.items()}


def _checked(name: str, entry: Any, where: str, cwd: Path) -> dict[str, Any]:
    """One server's entry, normalized and with ``${VAR}`` expanded; `MCPConfigError` when it is malformed."""
    def bad(what: str) -> MCPConfigError:
        return MCPConfigError(f"MCP server {name!r} {where}: {what}.")
    if not isinstance(entry, Mapping):
        raise bad('must be an object with "command" (stdio) or "url" (streamable HTTP)')
    kind = entry.get("type")
    if kind in ("sse", "ws"):
        raise bad(f'type {kind!r} is not supported; use a stdio "command" or a streamable HTTP "url"')
    if ("command" in entry) == ("url" in entry):
        raise bad('needs exactly one of "command" (stdio) or "url" (streamable HTTP)')
    keys = _STDIO_KEYS if "command" in entry else _HTTP_KEYS
    out: dict[str, Any] = {}
    for key, typ in keys.items():
        value = entry.get(key)
        if value is None:
            continue
        if not isinstance(value, typ) or (typ is list and not all(isinstance(v, str) for v in value)) or (
                typ is dict and not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())):
            kind_of = {str: "a string", list: "a list of strings", dict: "an object of strings"}[typ]
            raise bad(f"{key!r} must be {kind_of}")
        out[key] = _expand(value, lambda var, key=key: bad(f"${{{var}}} in {key!r} is not set in the environment"))
    if "command" in out:
        if not out["command"].strip():
            raise bad('"command" is empty')
        cwd_value = out.get("cwd")
        return {"command": out["command"], "args": out.get("args", []), "env": out.get("env"),
                "cwd": str(cwd / cwd_value) if cwd_value else None}
    if not re.match(r"https?://", out["url"]):
        raise bad('"url" must start with http:// or https://')
    return {"url": out["url"], "headers": out.get("headers", {})}


def _expand(value: Any, missing) -> Any:
    """``value`` with ``${VAR}`` / ``${VAR:-default}`` replaced in every string; ``missing(var)`` is raised."""
    if isinstance(value, list):
        return [_expand(v, missing) for v in value]
    if isinstance(value, dict):
        return {k: _expand(v, missing) for k, v in value.items()}

    def sub(m: re.Match) -> str:
        if m.group(1) in os.environ:
            return os.environ[m.group(1)]
        if m.group(2) is None:
            raise missing(m.group(1))
        return m.group(2)
    return _VAR.sub(sub, value)


def _secrets(config: Mapping[str, Any]) -> list[str]:
    """The values of a server's ``env`` and ``headers`` (longest first), masked in every line shown."""
    values = [*(config.get("env") or {}).values(), *(config.get("headers") or {}).values()]
    return sorted({v for v in values if len(v) >= 4}, key=len, reverse=True)


def _mask(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "<redacted>")
    return text


def _where(config: Mapping[str, Any]) -> str:
    """How a server is reached, without its arguments or any secret: ``stdio: npx``, ``http: host/path``."""
    if "command" in config:
        return f"stdio: {Path(config['command']).name}"
    scheme, _, rest = config["url"].partition("://")
    return f"{scheme}: {rest.split('?')[0].split('@')[-1]}"
