"""MCP tools as Python objects: one function per tool, typed from its JSON Schema, on ``mcp.SERVER.TOOL``.

Each tool a server lists (``name``, ``description``, ``inputSchema``, ``outputSchema``; MCP specification,
https://modelcontextprotocol.io/specification) becomes, by :func:`make_tool`, a function with keyword-only parameters
typed from the input schema and a numpydoc docstring that ``help()`` shows; calling it runs ``tools/call`` through the
bridge it was given and returns :func:`tool_value` of the result. :class:`MCPServerTools` holds one server's functions
and :class:`MCPNamespace` the run's servers (the object bound as ``mcp``). :func:`one_line` and
:func:`short_signature` write the lines of the index.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import keyword
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Union

from .exceptions import MCPToolError

if TYPE_CHECKING:
    from .mcp_bridge import MCPBridge

__all__ = ["MCPNamespace", "MCPServerTools", "make_tool", "one_line", "short_signature", "tool_value"]

#: Attribute names the namespace objects use themselves: a tool or server so named gets a suffix (``_name_2``).
_RESERVED = {"_name", "_attr", "_tools", "_by_attr", "_failures", "_servers"}


# -- tool functions from JSON Schema: signature, docstring, result values ----------------------------------------------

_JSON_TYPES = {"string": str, "integer": int, "number": float, "boolean": bool, "array": list, "object": dict,
               "null": type(None)}


def one_line(text: str, limit: int = 120) -> str:
    """The first non-empty line of ``text``, cut to ``limit`` characters with ``...``."""
    return _cut(next((s.strip() for s in str(text).splitlines() if s.strip()), ""), limit)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _annotation(schema: Mapping[str, Any]) -> Any:
    """The Python annotation for a JSON Schema: ``string`` -> ``str``, ..., ``enum`` -> ``Literal``, unions."""
    if "enum" in schema and schema["enum"]:
        return Literal[tuple(schema["enum"])]
    options = schema.get("anyOf") or schema.get("oneOf")
    types = schema.get("type")
    if options or isinstance(types, list):
        parts = [_annotation(o) for o in options] if options else [_annotation({"type": t}) for t in types]
        return Union[tuple(parts)] if len(parts) > 1 else parts[0]
    if types == "array" and isinstance(schema.get("items"), Mapping) and schema["items"].get("type") in _JSON_TYPES:
        return list[_annotation(schema["items"])]
    return _JSON_TYPES.get(types, Any)


def _type_text(schema: Mapping[str, Any]) -> str:
    """The numpydoc type of a JSON Schema: ``int``, ``list of float``, ``str or None``, ``{'metric', 'imperial'}``."""
    if schema.get("enum"):
        return "{" + ", ".join(map(repr, schema["enum"])) + "}"
    options = schema.get("anyOf") or schema.get("oneOf")
    if options or isinstance(schema.get("type"), list):
        parts = options or [{"type": t} for t in schema["type"]]
        return " or ".join(_type_text(p) for p in parts)
    kind = schema.get("type")
    if kind == "array" and isinstance(schema.get("items"), Mapping):
        return f"list of {_type_text(schema['items'])}"
    return getattr(_JSON_TYPES.get(kind), "__name__", None) or ("None" if kind == "null" else "object")


def _signature(schema: Mapping[str, Any]) -> inspect.Signature:
    """Keyword-only parameters from the input schema's ``properties``: required ones without a default, the others
    defaulting to the schema's ``default`` or ``None``; ``**arguments`` too when a property is not an identifier."""
    required = set(schema.get("required") or [])
    params, odd = [], False
    for prop, sub in (schema.get("properties") or {}).items():
        if not prop.isidentifier() or keyword.iskeyword(prop):
            odd = True
            continue
        sub = sub if isinstance(sub, Mapping) else {}
        default = inspect.Parameter.empty if prop in required else sub.get("default")
        params.append(inspect.Parameter(prop, inspect.Parameter.KEYWORD_ONLY, default=default,
                                        annotation=_annotation(sub)))
    if odd or schema.get("additionalProperties") is True:
        params.append(inspect.Parameter("arguments", inspect.Parameter.VAR_KEYWORD))
    return inspect.Signature(params)


def _wraps_result(output_schema: Mapping[str, Any] | None) -> bool:
    """Whether FastMCP wrapped a non-object return value as ``{"result": value}`` (its output schema says so)."""
    if not output_schema:
        return False
    return output_schema.get("x-fastmcp-wrap-result") is True or (
        set(output_schema.get("properties") or {}) == {"result"} and output_schema.get("required") == ["result"])


def _doc(server: str, tool: Mapping[str, Any]) -> str:
    """The docstring: description, parameters (type, description, allowed values, default), returns, schema."""
    schema = tool.get("inputSchema") or {}
    required = set(schema.get("required") or [])
    out = [inspect.cleandoc(tool.get("description") or "") or f"The MCP tool {tool['name']!r}.", "",
           "Parameters", "----------"]
    for prop, sub in (schema.get("properties") or {}).items():
        sub = sub if isinstance(sub, Mapping) else {}
        extra = "" if prop in required else ", optional"
        out.append(f"{prop} : {_type_text(sub)}{extra}")
        text = " ".join(x for x in [(sub.get("description") or "").strip(),
                                    f"Default: {sub['default']!r}." if "default" in sub else ""] if x)
        out += [f"    {text}"] if text else []
    output = tool.get("outputSchema")
    kind = _type_text((output.get("properties") or {}).get("result", {})) if _wraps_result(output) else (
        "dict" if output else "str, or the parsed dict or list when the text is a JSON object or array")
    out += ["", "Returns", "-------", kind, "    The tool's structured content, or its text.", "", "Raises", "------",
            "MCPToolError", "    The tool reported an error (the server's message), timed out, or its run ended.",
            "", "Notes", "-----", f"MCP tool {tool['name']!r} of server {server!r}; optional arguments left at None "
            "are not sent. Input schema (JSON Schema):", _cut(json.dumps(schema), 8000)]
    if output:
        out += ["Output schema:", _cut(json.dumps(output), 4000)]
    return "\n".join(out)


def short_signature(fn: Any) -> str:
    """``add(a, b)`` / ``lookup(city, units=...)``: a tool's parameter names for the index, without types."""
    names = [p.name + ("" if p.default is p.empty else "=...") if p.kind is p.KEYWORD_ONLY else "**" + p.name
             for p in inspect.signature(fn).parameters.values()]
    return f"{fn.__name__}({', '.join(names)})"


def tool_value(result: Mapping[str, Any], output_schema: Mapping[str, Any] | None = None) -> Any:
    """The Python value of a successful ``CallToolResult`` (its wire form, camelCase keys).

    Parameters
    ----------
    result : Mapping
        ``{"content": [...], "structuredContent": ..., "isError": false}``.
    output_schema : Mapping, optional
        The tool's ``outputSchema``, to unwrap FastMCP's ``{"result": value}`` for non-object return types.

    Returns
    -------
    Any
        ``structuredContent`` when present (unwrapped); else the content: ``None`` when empty; one text block as
        its string, parsed when it is a JSON object or array (``{``/``[``); several text blocks joined by newlines;
        an image, audio, resource or link block as its dict (``type``, ``mimeType``, base64 ``data``, ...), and mixed
        content as the list of those values.
    """
    structured = result.get("structuredContent")
    if structured is not None:
        wrapped = _wraps_result(output_schema) and isinstance(structured, dict) and set(structured) == {"result"}
        return structured["result"] if wrapped else structured
    blocks = list(result.get("content") or [])
    if not blocks:
        return None
    if all(b.get("type") == "text" for b in blocks):
        text = "\n".join(b.get("text", "") for b in blocks)
        if len(blocks) == 1 and text.lstrip()[:1] in ("{", "["):
            with contextlib.suppress(ValueError):
                return json.loads(text)
        return text
    values = [b.get("text", "") if b.get("type") == "text" else dict(b) for b in blocks]
    return values[0] if len(values) == 1 else values


def make_tool(bridge: "MCPBridge", server: str, server_attr: str, tool: Mapping[str, Any], attr: str) -> Any:
    """The Python function for one tool: a real signature and docstring; calling it runs ``tools/call``."""
    name, signature, output = tool["name"], _signature(tool.get("inputSchema") or {}), tool.get("outputSchema")
    required = set((tool.get("inputSchema") or {}).get("required") or [])

    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"{bridge.name}.{server_attr}.{attr}() {e}") from None
        arguments: dict[str, Any] = {}
        for key, value in bound.arguments.items():
            if signature.parameters[key].kind is inspect.Parameter.VAR_KEYWORD:
                arguments.update(value)
            elif value is not None or key in required:
                arguments[key] = value
        result = bridge.call(server, name, arguments)
        if result.get("isError"):
            texts = [b.get("text", "") for b in result.get("content") or [] if b.get("type") == "text"]
            raise MCPToolError(server, name, "\n".join(texts).strip() or "the tool reported an error")
        return tool_value(result, output)

    call.__name__, call.__qualname__, call.__module__ = attr, attr, f"{bridge.name}.{server_attr}"
    call.__signature__, call.__doc__, call.mcp_tool = signature, _doc(server, tool), dict(tool)
    return call


# -- the namespace objects: mcp.SERVER.TOOL, and Python names for MCP names --------------------------------------------

def _attribute(name: str, taken: set[str]) -> str:
    """A Python identifier for a server or tool name (``echo-text`` -> ``echo_text``), not among ``taken``."""
    attr = re.sub(r"\W", "_", name) or "_"
    if attr[0].isdigit() or keyword.iskeyword(attr):
        attr = f"_{attr}" if attr[0].isdigit() else f"{attr}_"
    base, n = attr, 2
    while attr in taken:
        attr, n = f"{base}_{n}", n + 1
    taken.add(attr)
    return attr


class MCPServerTools:
    """One connected server in the namespace: its tools as attributes (``mcp.NAME.TOOL``), and by their own names
    (``mcp.NAME["echo-text"]``) when those are not identifiers. Iterating gives the tool functions."""

    def __init__(self, name: str, attr: str, tools: Mapping[str, Any]) -> None:
        self._name, self._attr, self._tools = name, attr, dict(tools)
        self._by_attr = {fn.__name__: fn for fn in self._tools.values()}
        self.__dict__.update(self._by_attr)

    def __getitem__(self, tool: str) -> Any:
        found = self._tools.get(tool) or self._by_attr.get(tool)
        if found is None:
            raise KeyError(f"MCP server {self._name!r} has no tool {tool!r}; it has: {', '.join(self._tools)}")
        return found

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        raise AttributeError(f"MCP server {self._name!r} has no tool {attr!r}; it has: "
                             f"{', '.join(self._by_attr) or 'none'}")

    def __dir__(self) -> list[str]:
        return sorted(self._by_attr)

    def __iter__(self):
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)

    def __repr__(self) -> str:
        names = [fn.__name__ + (f" ({tool!r})" if fn.__name__ != tool else "") for tool, fn in self._tools.items()]
        return f"<MCP server {self._name!r}: {', '.join(names) or 'no tools'}>"


class MCPNamespace:
    """The object bound as ``mcp`` (the ``mcp_namespace`` trait): the run's connected servers as attributes
    (``mcp.NAME``, or ``mcp["my-server"]`` by the configured name), and the failures in its ``repr``."""

    def __init__(self, name: str, servers: Sequence[MCPServerTools] = (), failures: Sequence[str] = ()) -> None:
        self._name, self._failures = name, list(failures)
        self._servers = {s._name: s for s in servers}
        self.__dict__.update({s._attr: s for s in servers})

    def __getitem__(self, server: str) -> MCPServerTools:
        return self._servers[server]

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        raise AttributeError(f"no MCP server {attr!r} is connected in this run (connected: "
                             f"{', '.join(self._servers) or 'none'}); connect it with %%codeact --mcp {attr}")

    def __dir__(self) -> list[str]:
        return sorted(s._attr for s in self._servers.values())

    def __iter__(self):
        return iter(self._servers.values())

    def __repr__(self) -> str:
        lines = [f"{self._name}.{s._attr}: {s!r}" for s in self._servers.values()]
        return "\n".join(lines + self._failures) or f"<{self._name}: no MCP servers connected>"

