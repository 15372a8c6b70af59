"""A local stand-in for the Anthropic Messages API, for tests.

It answers ``POST /v1/messages`` (one JSON message, or SSE when the request says ``"stream": true``) and
``POST /v1/messages/count_tokens`` on 127.0.0.1 over real HTTP, so the real ``anthropic`` SDK can be pointed at it
with ``ANTHROPIC_BASE_URL`` or ``base_url=``. Answers come from a FIFO queue (`StandIn.enqueue`) or, statelessly,
from scripts matched on the first user message. Requests are validated like the real API, so client bugs answer 400:
image blocks too (a base64 source of a PNG, JPEG, GIF or WebP whose bytes match its ``media_type``, at most 5 MB of
base64 and 8000 px a side), and a ``tool_result``'s content list holds only text and image blocks.

Usage is estimated, not tokenized: a block costs ``ceil(len(canonical JSON) / 4)`` tokens, except that an image costs
``ceil(width * height / 750)`` tokens (https://platform.claude.com/docs/en/build-with-claude/vision; the API's
down-scaling of large images is not modelled), its size read from the PNG, JPEG, GIF or WebP header. Prompt caching
follows the documented rules (prefix order tools, system, messages; at most 4 breakpoints; a hit is looked for at each
breakpoint and up to `LOOKBACK` blocks before it). The minimum cacheable prefix (1,024 tokens and more, per model) is
ignored, so small test prompts cache too.

``StandIn(caching=False)`` plays a server without prompt caching, as Ollama, llama.cpp's server or vLLM are: a request
with ``cache_control`` anywhere answers 400 (``...cache_control: Extra inputs are not permitted``) and no usage carries
``cache_creation_input_tokens`` or ``cache_read_input_tokens``. Run as a script it serves scripts from a JSON file::

    python tests/standin.py --script SCRIPT.json [--port 0] [--port-file PATH] [--latency S] [--no-cache]

Stdlib only.
"""
from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import itertools
import json
import math
import os
import secrets
import select
import signal
import socket
import struct
import sys
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Mapping, Sequence, Union
from urllib.parse import urlsplit

__all__ = ["StandIn", "Recorded", "Turn", "ErrorReply", "Broken", "Silent", "Responder",
           "turn", "error", "broken", "silent", "responder", "estimate_tokens", "image_size", "main"]

NO_SAMPLING_VERSION = "2026-10-21"
"""The ``anthropic-version`` that rejects ``temperature``, ``top_p`` and ``top_k``."""
MAX_BREAKPOINTS = 4
"""Most ``cache_control`` breakpoints the API accepts in one request."""
LOOKBACK = 20
"""Blocks before a breakpoint where a cache hit is also looked for (the docs say "about 20")."""
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
"""The ``media_type`` values an image source may have."""
MAX_IMAGE_BYTES = 5 * 1024 * 1024
"""Most characters of base64 ``data`` in one image block (the API's 5 MB per image)."""
MAX_IMAGE_PX = 8000
"""Most pixels on either side of an image."""
PIXELS_PER_TOKEN = 750
"""An image costs about ``width * height / 750`` input tokens."""
_ERRORS = {  # status -> (error type, default message)
    400: ("invalid_request_error", "Invalid request."), 401: ("authentication_error", "invalid x-api-key"),
    402: ("billing_error", "Your credit balance is too low."), 403: ("permission_error", "Permission denied."),
    404: ("not_found_error", "Not found."), 413: ("request_too_large", "Request exceeds the maximum size."),
    429: ("rate_limit_error", "Rate limited."), 500: ("api_error", "Internal server error."),
    529: ("overloaded_error", "Overloaded"),
}


@dataclass(frozen=True)
class Turn:
    """An assistant message to answer with; build it with `turn`."""

    text: str | None
    codes: tuple[str | dict, ...]  # a code string (a `tool` call) or {"name", "input"} per tool_use
    thinking: str | None
    stop_reason: str
    usage: Mapping[str, int] | None  # None: estimated
    chunks: int
    tool: str = "python"
    cut_after: int | None = None  # SSE frames sent before the stream is cut; None: the whole stream
    cut: str = "close"


@dataclass(frozen=True)
class ErrorReply:
    """An HTTP error answer; build it with `error`."""

    status: int
    type: str
    message: str
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Broken:
    """A stream that starts a text block and breaks off; build it with `broken`."""

    text: str
    mode: str


@dataclass(frozen=True)
class Silent:
    """A connection held open without a byte sent; build it with `silent`."""

    seconds: float | None


@dataclass(frozen=True)
class Responder:
    """A response computed per request by ``fn(request_body)``; build it with `responder`."""

    fn: Callable[[dict], Any]


Response = Union[Turn, ErrorReply, Broken, Silent, Responder]


@dataclass(frozen=True)
class Recorded:
    """One ``POST /v1/messages`` as received: JSON ``body`` (``{}`` if unparsable) and lower-cased ``headers``."""

    body: dict
    headers: dict


def turn(text: str | None = None, code: str | None = None, *, tool_uses: Sequence[str | Mapping] | None = None,
         thinking: str | None = None, stop_reason: str | None = None, usage: str | Mapping[str, int] = "auto",
         chunks: int = 3, tool: str = "python", cut_after: int | None = None, cut: str = "close") -> Turn:
    """Build an assistant message: [thinking] [text] then one tool_use per code string (of `tool`, ``python`` by
    default) or per ``{"name", "input"}`` of any tool.

    Parameters
    ----------
    text : str, optional
        Text block content, streamed as `chunks` ``text_delta`` pieces. It is sent as given, so ``""`` or a
        whitespace-only text (``"\\n\\n"``) makes the empty or blank text block the real API sometimes sends before a
        tool_use (and rejects, with a 400, when a client sends it back).
    code : str, optional
        Code of one ``tool_use`` block named `tool` with input ``{"code": code}``.
    tool_uses : sequence of str or mapping, optional
        Several ``tool_use`` blocks in one turn (instead of `code`), in order: a str is the code of a `tool` call, a
        mapping ``{"name": str, "input": dict}`` a call of any tool with any input, e.g.
        ``{"name": "ask_user", "input": {"question": "Which year?"}}``.
    thinking : str, optional
        Content of a leading thinking block (with a made-up signature).
    stop_reason : str, optional
        Defaults to ``"tool_use"`` when there is a tool_use block, else ``"end_turn"``.
    usage : "auto" or mapping, default "auto"
        Token counts overriding the estimate, e.g. ``dict(output_tokens=500)``; keys not given stay estimated.
    chunks : int, default 3
        Number of text/thinking deltas when streamed.
    tool : str, default "python"
        Name of the tool_use blocks. Any name is sent, declared in the request's ``tools`` or not, as a model can
        call a tool it was not given.
    cut_after : int, optional
        Cut the stream after this many SSE frames, every frame counted (``ping`` frames too: the stand-in sends one
        after ``message_start`` and one after each block's first delta), so no ``message_stop`` arrives. To a
        non-streaming request a cut turn hangs up without answering.
    cut : {"close", "disconnect", "stall"}, default "close"
        How a cut stream ends: ``"close"`` ends the HTTP body cleanly (the terminating chunk), as a proxy that
        drops the upstream does; ``"disconnect"`` hangs up mid-body (the client sees an incomplete chunked read);
        ``"stall"`` sends nothing more, holding the connection until the client hangs up (its read timeout) or the
        stand-in closes.

    Returns
    -------
    Turn

    Raises
    ------
    ValueError
        If both `code` and `tool_uses` are given, `chunks` < 1, `cut_after` < 0, `cut` is unknown, or a tool use is
        neither a str nor ``{"name": non-empty str, "input": mapping}``.
    """
    if code is not None and tool_uses is not None:
        raise ValueError("give code or tool_uses, not both")
    if isinstance(tool_uses, (str, Mapping)):
        raise ValueError("tool_uses is a sequence of tool uses; give one in a list")
    if chunks < 1:
        raise ValueError("chunks must be >= 1")
    if usage != "auto" and not isinstance(usage, Mapping):
        raise TypeError("usage must be 'auto' or a mapping of token counts")
    if cut_after is not None and cut_after < 0:
        raise ValueError("cut_after must be >= 0")
    if cut not in ("close", "disconnect", "stall"):
        raise ValueError(f"cut must be 'close', 'disconnect' or 'stall', not {cut!r}")
    codes = tuple(map(_tool_use, tool_uses or ())) + (() if code is None else (code,))
    return Turn(text, codes, thinking, stop_reason or ("tool_use" if codes else "end_turn"),
                None if usage == "auto" else dict(usage), chunks, tool, cut_after, cut)


def _tool_use(use: Any) -> str | dict:
    """One item of `turn`'s ``tool_uses``: a code string as it is, a call of any tool as a fresh
    ``{"name", "input"}`` dict."""
    if isinstance(use, str):
        return use
    if (isinstance(use, Mapping) and set(use) == {"name", "input"} and isinstance(use["name"], str) and use["name"]
            and isinstance(use["input"], Mapping)):
        return {"name": use["name"], "input": json.loads(json.dumps(use["input"]))}
    raise ValueError(f'a tool use is a code string or {{"name": str, "input": dict}}, not {use!r}')


def error(status: int, type: str | None = None, message: str | None = None, *, retry_after: float | None = None,
          headers: Mapping[str, str] | None = None) -> ErrorReply:
    """Build an error answer ``{"type": "error", "error": {"type", "message"}, "request_id"}``.

    Parameters
    ----------
    status : int
        HTTP status; the error type defaults per status as the API does (529 ``overloaded_error``, ...).
    type, message : str, optional
        Override the error type and message.
    retry_after : float, optional
        Seconds, sent as ``retry-after``. The SDK ignores a value <= 0 and backs off instead (about 0.5 s).
    headers : mapping, optional
        Extra response headers, e.g. ``{"x-should-retry": "false"}``.

    Returns
    -------
    ErrorReply
    """
    default_type, default_message = _ERRORS.get(
        status, ("api_error" if status >= 500 else "invalid_request_error", f"HTTP {status}"))
    extra = dict(headers or {})
    if retry_after is not None:
        extra["retry-after"] = f"{retry_after:g}"
    return ErrorReply(status, type or default_type, message or default_message, tuple(extra.items()))


def broken(text: str = "Let me", *, mode: str = "error_event") -> Broken:
    """Build a stream that starts a text block with `text` and breaks off before ``message_stop``.

    Parameters
    ----------
    text : str, default "Let me"
    mode : {"error_event", "disconnect", "close"}
        ``"error_event"`` sends an ``event: error`` (overloaded_error) inside the 200 stream; ``"disconnect"``
        closes the connection mid-body; ``"close"`` ends the body cleanly there, without ``content_block_stop``,
        ``message_delta`` or ``message_stop``. To a non-streaming request the first answers 529, the others close
        without answering. (`turn` with ``cut_after`` cuts anywhere, a tool_use's JSON included.)

    Returns
    -------
    Broken
    """
    if mode not in ("error_event", "disconnect", "close"):
        raise ValueError(f"mode must be 'error_event', 'disconnect' or 'close', not {mode!r}")
    return Broken(text, mode)


def silent(seconds: float | None = None) -> Silent:
    """Build an answer that never comes: the request is read, then the connection is held without a byte sent.

    Parameters
    ----------
    seconds : float, optional
        How long to hold it before hanging up (still without a byte); ``None`` holds until the client hangs up
        (its read timeout) or the stand-in closes. A held connection consumes the response as any other.

    Returns
    -------
    Silent
    """
    if seconds is not None and seconds < 0:
        raise ValueError("seconds must be >= 0")
    return Silent(None if seconds is None else float(seconds))


def responder(fn: Callable[[dict], Any]) -> Responder:
    """Wrap ``fn(request_body) -> response`` (a response object or a turn-spec dict), called per request."""
    return Responder(fn)


def _from_spec(spec: Any) -> Response:
    """A response object from itself or a script turn-spec dict (``text``/``code``/..., ``error``, ``broken``,
    ``silent``: seconds or null)."""
    if isinstance(spec, (Turn, ErrorReply, Broken, Silent, Responder)):
        return spec
    if not isinstance(spec, Mapping):
        raise TypeError(f"not a response or turn-spec: {spec!r}")
    for key in ("error", "broken", "silent"):
        if key in spec and len(spec) > 1:
            raise ValueError(f"a {key!r} turn-spec takes no other keys: {dict(spec)!r}")
    if "silent" in spec:
        return silent(spec["silent"])
    if "error" in spec:
        return error(**spec["error"])
    if "broken" in spec:
        value = spec["broken"]
        return broken(**value) if isinstance(value, Mapping) else broken(mode=value)
    return turn(**spec)


def _blocks(content: Any) -> list[dict]:
    """Content as a list of block dicts (a string is one text block)."""
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content or () if isinstance(b, Mapping)] if isinstance(content, list) else []


def _strip(obj: Any) -> tuple[Any, int]:
    """`obj` without ``cache_control`` keys (at any depth) and how many it had."""
    if isinstance(obj, Mapping):
        pairs = [(k, _strip(v)) for k, v in obj.items() if k != "cache_control"]
        found = int(obj.get("cache_control") is not None) + sum(n for _, (_, n) in pairs)
        return {k: v for k, (v, _) in pairs}, found
    if isinstance(obj, list):
        pairs = [_strip(v) for v in obj]
        return [v for v, _ in pairs], sum(n for _, n in pairs)
    return obj, 0


def _canon(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def image_size(data: bytes) -> tuple[str, int, int] | None:
    """``(media_type, width, height)`` read from the header of PNG (IHDR), JPEG (the SOFn marker: baseline SOF0,
    progressive SOF2, ...), GIF or WebP bytes; ``None`` when they are none of these or the header is cut."""
    try:
        if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
            return ("image/png", *struct.unpack(">II", data[16:24]))
        if data[:6] in (b"GIF87a", b"GIF89a"):
            return ("image/gif", *struct.unpack("<HH", data[6:10]))
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            chunk = data[12:16]
            if chunk == b"VP8X":
                return ("image/webp", 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little"))
            if chunk == b"VP8L" and data[20:21] == b"\x2f":
                bits = int.from_bytes(data[21:25], "little")
                return "image/webp", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
            if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
                w, h = struct.unpack("<HH", data[26:30])
                return "image/webp", w & 0x3FFF, h & 0x3FFF
            return None
        if data[:2] == b"\xff\xd8":
            i = 2
            while i + 4 <= len(data):
                if data[i] != 0xFF:
                    return None
                marker = data[i + 1]
                if marker == 0xFF:  # fill byte
                    i += 1
                elif marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
                    i += 2
                elif 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # SOFn: precision, height, width
                    height, width = struct.unpack(">HH", data[i + 5:i + 9])
                    return "image/jpeg", width, height
                else:
                    i += 2 + struct.unpack(">H", data[i + 2:i + 4])[0]
    except struct.error:
        return None
    return None


def _image_tokens(block: Mapping) -> int | None:
    """``ceil(width * height / 750)`` of an image block with a readable base64 source, else None."""
    source = block.get("source")
    if not isinstance(source, Mapping) or not isinstance(source.get("data"), str):
        return None
    try:
        size = image_size(base64.b64decode(source["data"].encode()))
    except (binascii.Error, ValueError):
        return None
    return None if size is None else math.ceil(size[1] * size[2] / PIXELS_PER_TOKEN)


def _tokens(block: Any) -> int:
    """Estimated tokens of one prompt block (``cache_control`` stripped): ``ceil(len(canonical JSON) / 4)``, but an
    image block (on its own, or in a ``tool_result``'s content) costs its pixels, ``ceil(width * height / 750)``."""
    pixels = 0

    def text_of(obj: Any) -> Any:
        nonlocal pixels
        if isinstance(obj, list):
            kept = []
            for item in obj:
                n = _image_tokens(item) if isinstance(item, Mapping) and item.get("type") == "image" else None
                if n is None:
                    kept.append(text_of(item))
                else:
                    pixels += n
            return kept
        if isinstance(obj, Mapping):
            return {k: text_of(v) for k, v in obj.items()}
        return obj

    if isinstance(block, Mapping) and block.get("type") == "image" and (n := _image_tokens(block)) is not None:
        return n
    return math.ceil(len(_canon(text_of(block))) / 4) + pixels


def _prompt(body: dict) -> list[tuple[str, str, int, int]]:
    """The prompt as ``(where, canonical JSON, breakpoints, tokens)`` per block, in prefix order tools, system,
    messages."""
    system = body.get("system")
    parts = [("tool", t) for t in body.get("tools") or () if isinstance(t, Mapping)]
    parts += [("system", b) for b in _blocks(system)]
    parts += [(m.get("role", "?"), b) for m in body.get("messages") or () if isinstance(m, Mapping)
              for b in _blocks(m.get("content"))]
    items = []
    for where, block in parts:
        clean, found = _strip(block)
        items.append((where, _canon(clean), found, _tokens(clean)))
    if body.get("cache_control") is not None and items:  # automatic caching: a breakpoint on the last block
        where, canon, found, tokens = items[-1]
        items[-1] = (where, canon, found + 1, tokens)
    return items


def estimate_tokens(body: dict) -> int:
    """Estimated input tokens of a request body: the sum over its blocks of ``ceil(len(canonical JSON) / 4)``, or of
    ``ceil(width * height / 750)`` for an image (a ``tool_result`` holding images: its JSON without them, plus their
    pixels)."""
    return sum(tokens for *_, tokens in _prompt(body))


def _cache_controls(obj: Any, path: str = "") -> list[str]:
    """The dotted paths of every ``cache_control`` in `obj`, a typed block's type in them as the API names a tagged
    union's member: ``messages.0.content.0.text.cache_control``."""
    if isinstance(obj, Mapping):
        found = [f"{path}cache_control"] if obj.get("cache_control") is not None else []
        return found + [p for k, v in obj.items() if k != "cache_control" for p in _cache_controls(v, f"{path}{k}.")]
    if isinstance(obj, list):
        tag = lambda v: f"{v['type']}." if isinstance(v, Mapping) and isinstance(v.get("type"), str) else ""
        return [p for i, v in enumerate(obj) for p in _cache_controls(v, f"{path}{i}.{tag(v)}")]
    return []


def _bad_image(block: Mapping, where: str) -> str | None:
    """Why the API would reject the image block at `where` (``messages.0.content.1``), or None."""
    source = block.get("source")
    if not isinstance(source, Mapping):
        return f"{where}.source: Field required"
    if source.get("type") != "base64":
        return (f"{where}.source: Input tag {source.get('type')!r} found using 'type' does not match any of the "
                "expected tags: 'base64'")
    for key in ("media_type", "data"):
        if not isinstance(source.get(key), str):
            return f"{where}.source.base64.{key}: Field required"
    media_type, data = source["media_type"], source["data"]
    if media_type not in IMAGE_TYPES:
        return (f"{where}.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or "
                "'image/webp'")
    if len(data) > MAX_IMAGE_BYTES:
        return f"{where}.source.base64: image exceeds 5 MB maximum: {len(data)} bytes > {MAX_IMAGE_BYTES} bytes"
    try:
        raw = base64.b64decode(data.encode(), validate=True)
    except (binascii.Error, ValueError):
        return f"{where}.source.base64.data: The image data is not valid base64."
    size = image_size(raw)
    if size is None:
        return f"{where}.source.base64.data: Could not process image"
    if size[0] != media_type:
        return f"{where}.source.base64.data: Image does not match the provided media type {media_type}"
    if max(size[1:]) > MAX_IMAGE_PX:
        return f"{where}.source.base64: image dimensions exceed max allowed size: {MAX_IMAGE_PX} pixels"
    return None


def _bad_content(i: int, content: Any) -> str | None:
    """Why the images or ``tool_result`` contents of message `i` would be rejected, or None."""
    for j, block in enumerate(_blocks(content)):
        where = f"messages.{i}.content.{j}"
        inner = [(where, block)]
        if block.get("type") == "tool_result" and isinstance(block.get("content"), list):
            inner = []
            for k, item in enumerate(block["content"]):
                kind = item.get("type") if isinstance(item, Mapping) else None
                if kind not in ("text", "image"):
                    return (f"{where}.content.{k}: Input tag {kind!r} found using 'type' does not match any of the "
                            "expected tags: 'image', 'text'")
                inner.append((f"{where}.content.{k}", item))
        for at, item in inner:
            if item.get("type") == "image" and (problem := _bad_image(item, at)):
                return problem
    return None


def _invalid(body: Any, headers: Mapping[str, str], count_only: bool = False) -> str | None:
    """Why the real API would answer 400 to this request, or None."""
    if not isinstance(body, dict):
        return "There was an error parsing the body of your request: it must be a JSON object."
    for key in ("model", "messages") if count_only else ("model", "max_tokens", "messages"):
        if key not in body:
            return f"{key}: Field required"
    messages = body["messages"]
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    for i, m in enumerate(messages):
        role = m.get("role") if isinstance(m, dict) else None
        if role not in ("user", "assistant"):
            return f"messages.{i}.role: Input should be 'user' or 'assistant'"
        if i == 0 and role != "user":
            return 'messages: first message must use the "user" role'
        if i and role == messages[i - 1]["role"]:
            return ('messages: roles must alternate between "user" and "assistant", '
                    f'but found multiple "{role}" roles in a row')
        if not m.get("content") and not (i == len(messages) - 1 and role == "assistant"):
            return (f"messages.{i}: all messages must have non-empty content except for the optional final "
                    "assistant message")
    for where, blocks in [("system", _blocks(body.get("system")))] + [
            ("messages", _blocks(m.get("content"))) for m in messages]:
        for block in blocks:
            if block.get("type") == "text" and isinstance(block.get("text"), str) and not block["text"].strip():
                return (f"{where}: text content blocks must be non-empty" if not block["text"] else
                        f"{where}: text content blocks must contain non-whitespace text")
    if headers.get("anthropic-version") == NO_SAMPLING_VERSION:
        for key in ("temperature", "top_p", "top_k"):
            if key in body:
                return f"{key}: not supported with anthropic-version {NO_SAMPLING_VERSION}; remove it"
    for j, tool in enumerate(body.get("tools") or ()):
        for key in ("name", "description", "input_schema"):
            if isinstance(tool, dict) and tool.get("type", "custom") == "custom" and key not in tool:
                return f"tools.{j}.{key}: Field required"
    for i, m in enumerate(messages):
        if problem := _bad_content(i, m.get("content")):
            return problem
    found = sum(n for _, _, n, _ in _prompt(body))
    if found > MAX_BREAKPOINTS:
        return f"A maximum of {MAX_BREAKPOINTS} blocks with cache_control may be provided. Found {found}."
    expected: list[str] = []  # tool_use ids of the previous assistant message
    for i, m in enumerate(messages):
        blocks = _blocks(m.get("content"))
        if m["role"] == "assistant":
            expected = [b.get("id") for b in blocks if b.get("type") == "tool_use"]
            continue
        results = [b.get("tool_use_id") for b in blocks if b.get("type") == "tool_result"]
        leading = [b.get("tool_use_id") for b in itertools.takewhile(lambda b: b.get("type") == "tool_result", blocks)]
        if missing := [x for x in expected if x not in leading]:
            return (f"messages.{i}: `tool_use` ids were found without `tool_result` blocks immediately after: "
                    f"{', '.join(map(str, missing))}. Each `tool_use` block must have a corresponding `tool_result` "
                    "block at the start of the next message.")
        if unexpected := [x for x in results if x not in expected]:
            return (f"messages.{i}.content: unexpected `tool_use_id` found in `tool_result` blocks: "
                    f"{', '.join(map(str, unexpected))}. Each `tool_result` block must have a corresponding "
                    "`tool_use` block in the previous message.")
        if leading != expected:
            return (f"messages.{i}.content: `tool_result` blocks must come first, one per `tool_use` of the "
                    f"previous message, in the same order: expected {expected}, found {leading}")
        expected = []
    if expected:
        return (f"messages.{len(messages) - 1}: `tool_use` ids were found without `tool_result` blocks immediately "
                f"after: {', '.join(map(str, expected))}")
    return None


def _first_user_text(body: dict) -> str:
    """Text of the first user message (string content or its text blocks concatenated)."""
    for m in body.get("messages") or ():
        if isinstance(m, dict) and m.get("role") == "user":
            return "".join(str(b.get("text", "")) for b in _blocks(m.get("content")) if b.get("type") == "text")
    return ""


def _split(s: str, n: int) -> list[str]:
    """`s` in at most `n` non-empty pieces."""
    size = max(1, math.ceil(len(s) / n))
    return [s[i:i + size] for i in range(0, len(s), size)]


def _events(message: dict, chunks: int, cut: dict | None = None):
    """SSE event dicts streaming `message`; with `cut`, break off after the first block's deltas (yielding `cut` if
    not empty) instead of closing it."""
    usage = dict(message["usage"], output_tokens=1)
    yield {"type": "message_start", "message": dict(message, content=[], stop_reason=None, usage=usage)}
    yield {"type": "ping"}
    for index, block in enumerate(message["content"]):
        kind = block["type"]
        if kind == "tool_use":
            empty = dict(block, input={})
            deltas = [{"type": "input_json_delta", "partial_json": p} for p in _split(json.dumps(block["input"]), 3)]
        elif kind == "thinking":
            empty = {"type": "thinking", "thinking": "", "signature": ""}
            deltas = [{"type": "thinking_delta", "thinking": p} for p in _split(block["thinking"], chunks)]
            deltas.append({"type": "signature_delta", "signature": block["signature"]})
        else:
            empty = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": p} for p in _split(block["text"], chunks)]
        yield {"type": "content_block_start", "index": index, "content_block": empty}
        for j, delta in enumerate(deltas):
            yield {"type": "content_block_delta", "index": index, "delta": delta}
            if j == 0:
                yield {"type": "ping"}
        if cut is not None:
            yield from [cut] if cut else []
            return
        yield {"type": "content_block_stop", "index": index}
    yield {"type": "message_delta", "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
           "usage": message["usage"]}
    yield {"type": "message_stop"}


def _id(prefix: str) -> str:
    return prefix + secrets.token_hex(12)


class StandIn:
    """A local Anthropic Messages API on ``127.0.0.1``, served from a daemon thread until `close`.

    Parameters
    ----------
    responses : iterable of responses, optional
        Initial queue (see `enqueue`).
    scripts : list of dict, optional
        ``{"match": substring, "turns": [turn-spec, ...]}``: the first script whose ``match`` is in the first user
        message answers ``turns[k]``, k = number of assistant messages in the request; past the end, "Done.".
    latency : float, default 0.0
        Seconds to wait before the first byte of every ``/v1/messages`` answer.
    port : int, default 0
        Port to bind; 0 picks a free one.
    caching : bool, default True
        False plays a server without prompt caching (Ollama, llama.cpp's server, vLLM): a ``/v1/messages`` or
        ``count_tokens`` request with ``cache_control`` anywhere (a block, a tool, top-level) answers 400
        ``invalid_request_error`` ``<path>.cache_control: Extra inputs are not permitted`` without consuming a
        response, and no usage has ``cache_creation_input_tokens`` or ``cache_read_input_tokens`` (left out of
        ``message_start``, ``message_delta`` and JSON answers).

    Attributes
    ----------
    url : str
        ``http://127.0.0.1:PORT``.
    caching : bool
        As given; may be changed between requests.
    requests : list of Recorded
        Every ``POST /v1/messages``, in order (rejected ones included).
    """

    def __init__(self, responses: Sequence[Any] = (), *, scripts: Sequence[Mapping] | None = None,
                 latency: float = 0.0, port: int = 0, caching: bool = True) -> None:
        self.requests: list[Recorded] = []
        self.latency = float(latency)
        self.caching = bool(caching)
        self._lock = threading.Lock()
        self._queue: deque[Response] = deque(_from_spec(r) for r in responses)
        self._scripts = []
        for script in scripts or ():
            if set(script) - {"match", "turns"}:
                raise ValueError(f"a script has only 'match' and 'turns': {dict(script)!r}")
            self._scripts.append((str(script.get("match", "")), [_from_spec(t) for t in script["turns"]]))
        self._cache: dict[str, int] = {}
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.standin = self
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="standin", daemon=True)
        self._thread.start()

    def __enter__(self) -> StandIn:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def enqueue(self, *responses: Any) -> None:
        """Append responses (objects from `turn`, `error`, `broken`, `responder`, or turn-spec dicts) to the FIFO
        queue; each valid ``POST /v1/messages`` consumes one, before scripts are consulted."""
        items = [_from_spec(r) for r in responses]
        with self._lock:
            self._queue.extend(items)

    def reset_cache(self) -> None:
        """Forget every cached prompt prefix."""
        with self._lock:
            self._cache.clear()

    def reset(self) -> None:
        """Empty the queue, the recorded requests and the prompt cache (scripts stay)."""
        with self._lock:
            self._queue.clear()
            self.requests.clear()
            self._cache.clear()

    def close(self) -> None:
        """Stop serving, hang up open connections and release the port (idempotent)."""
        self._server.closing.set()
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()
        for connection in list(self._server.connections):
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _reply(self, body: Any, headers: Mapping[str, str], count_only: bool = False) -> Response | dict:
        """What to answer: an auth or validation error, ``{"input_tokens"}``, or the next response."""
        auth = headers.get("authorization", "")
        key = headers.get("x-api-key") or (auth[7:].strip() if auth.lower().startswith("bearer ") else "")
        if not key:
            return error(401, message="x-api-key or Authorization: Bearer header is required")
        if key == "sk-ant-bad":
            return error(401)
        if not self.caching and isinstance(body, dict) and (paths := _cache_controls(body)):
            return error(400, message=f"{paths[0]}: Extra inputs are not permitted")
        if problem := _invalid(body, headers, count_only):
            return error(400, message=problem)
        if count_only:
            return {"input_tokens": estimate_tokens(body)}
        with self._lock:
            response = self._queue.popleft() if self._queue else self._scripted(body)
        if isinstance(response, Responder):
            try:
                response = _from_spec(response.fn(body))
                if isinstance(response, Responder):
                    raise TypeError("a responder must return a response, not a responder")
            except Exception as e:  # a test's mistake: say so loudly, don't let the SDK retry
                return error(500, message=f"stand-in: responder raised {e!r}", headers={"x-should-retry": "false"})
        return response

    def _scripted(self, body: dict) -> Response:
        text = _first_user_text(body)
        for match, turns in self._scripts:
            if match in text:
                k = sum(1 for m in body["messages"] if m["role"] == "assistant")
                return turns[k] if k < len(turns) else turn("Done.")
        return error(500, message="stand-in: no scripted response left", headers={"x-should-retry": "false"})

    def _usage(self, body: dict) -> dict:
        """Estimated usage of a served request; records its breakpoint prefixes in the cache."""
        h = hashlib.sha256(json.dumps(body.get("model")).encode())
        hashes, totals, breakpoints = [], [], []
        for i, (where, canon, found, tokens) in enumerate(_prompt(body)):
            h.update(f"{where}\0{canon}\0".encode())
            hashes.append(h.hexdigest())
            totals.append((totals[-1] if totals else 0) + tokens)
            if found:
                breakpoints.append(i)
        total, last = (totals[-1] if totals else 0), (totals[breakpoints[-1]] if breakpoints else 0)
        if not self.caching:  # like Ollama: no cache fields at all
            return {"input_tokens": total}
        with self._lock:
            hits = [totals[i] for b in breakpoints for i in range(b, max(b - LOOKBACK, -1), -1)
                    if hashes[i] in self._cache]
            self._cache.update({hashes[b]: totals[b] for b in breakpoints})
        read = max(hits, default=0)
        return {"input_tokens": total - last, "cache_creation_input_tokens": last - read,
                "cache_read_input_tokens": read}

    def _message(self, response: Turn | Broken, body: dict) -> dict:
        """The full assistant message for `response` to `body`, with fresh ids and usage."""
        if isinstance(response, Broken):
            content, stop, override = [{"type": "text", "text": response.text}], None, None
        else:
            content = [{"type": "thinking", "thinking": response.thinking, "signature": secrets.token_urlsafe(32)}
                       ] if response.thinking is not None else []
            content += [{"type": "text", "text": response.text}] if response.text is not None else []
            content += [{"type": "tool_use", "id": _id("toolu_01"), "name": response.tool, "input": {"code": c}}
                        if isinstance(c, str) else {"type": "tool_use", "id": _id("toolu_01"), **json.loads(json.dumps(c))}
                        for c in response.codes]
            stop, override = response.stop_reason, response.usage
        out = "".join(json.dumps(b["input"]) if b["type"] == "tool_use" else b.get("text") or b.get("thinking") or ""
                      for b in content)
        usage = {**self._usage(body), "output_tokens": math.ceil(len(out) / 4), **(override or {})}
        return {"id": _id("msg_01"), "type": "message", "role": "assistant", "model": body.get("model"),
                "content": content, "stop_reason": stop, "stop_sequence": None, "usage": usage}


class _Server(ThreadingHTTPServer):
    standin: StandIn
    verbose = False  # log requests to stderr (the CLI does)

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.connections: set[socket.socket] = set()  # open ones, hung up on `close`
        self.closing = threading.Event()  # set by `close`: held (silent) connections let go

    def process_request(self, request: Any, client_address: Any) -> None:
        self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):  # clients hang up mid-stream
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, chunked streams
    server_version = "anthropic-standin/1"
    disable_nagle_algorithm = True  # each SSE frame is its own send(): don't wait for the client's delayed ACK
    timeout = 60  # seconds an idle keep-alive connection is held

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def do_POST(self) -> None:
        standin: StandIn = self.server.standin
        path = urlsplit(self.path).path.rstrip("/")
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        self._started = False
        try:
            if path == "/v1/messages":
                with standin._lock:
                    standin.requests.append(Recorded(body if isinstance(body, dict) else {}, headers))
                time.sleep(standin.latency)
                self._send(standin._reply(body, headers), body)
            elif path == "/v1/messages/count_tokens":
                self._send(standin._reply(body, headers, count_only=True), body)
            else:
                self._send(error(404, message=f"Not found: POST {path}"), {})
        except Exception as e:  # a bug here: answer a loud, unretried 500 if nothing was sent yet
            if self._started:
                raise
            self._send(error(500, message=f"stand-in failed: {e!r}", headers={"x-should-retry": "false"}), {})
            traceback.print_exc()

    def do_GET(self) -> None:
        self._send(error(404, message=f"Not found: {self.command} {urlsplit(self.path).path}"), {})

    do_PUT = do_DELETE = do_PATCH = do_GET

    def _send(self, response: Response | dict, body: Any) -> None:
        request_id = _id("req_01")
        if isinstance(response, dict):
            return self._json(200, response, request_id)
        if isinstance(response, ErrorReply):
            payload = {"type": "error", "error": {"type": response.type, "message": response.message},
                       "request_id": request_id}
            return self._json(response.status, payload, request_id, dict(response.headers))
        stream = bool(body.get("stream"))
        if isinstance(response, Silent):
            return self._hold(response.seconds)
        cut_turn = isinstance(response, Turn) and response.cut_after is not None
        if (isinstance(response, Broken) or cut_turn) and not stream:
            if isinstance(response, Broken) and response.mode == "error_event":
                return self._send(error(529), body)
            self.close_connection = True  # hang up without answering
            return
        message = self.server.standin._message(response, body)
        if not stream:
            return self._json(200, message, request_id)
        if isinstance(response, Broken):
            cut = {} if response.mode != "error_event" else {
                "type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
            self._sse(_events(message, 1, cut), request_id, hang_up=response.mode == "disconnect")
            return
        events = _events(message, response.chunks)
        if cut_turn:
            events = itertools.islice(events, response.cut_after)
        self._sse(events, request_id, hang_up=cut_turn and response.cut != "close")
        if cut_turn and response.cut == "stall":
            self._hold(None)

    def _hold(self, seconds: float | None) -> None:
        """Send nothing; return (hanging up) when the client hangs up, the stand-in closes or `seconds` pass."""
        self._started = True
        self.close_connection = True
        deadline = None if seconds is None else time.monotonic() + seconds
        closing = self.server.closing
        while not closing.is_set() and (deadline is None or time.monotonic() < deadline):
            readable, _, _ = select.select([self.connection], [], [], 0.05)
            if readable:
                try:
                    if not self.connection.recv(1, socket.MSG_PEEK):
                        return  # the client hung up
                except OSError:
                    return

    def _json(self, status: int, obj: Any, request_id: str, headers: Mapping[str, str] | None = None) -> None:
        data = json.dumps(obj).encode()
        self._started = True
        self.send_response(status)
        for name, value in {"content-type": "application/json", "content-length": str(len(data)),
                            "request-id": request_id, **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _before_write(self, event: dict[str, Any]) -> None:
        """Called just before each SSE event is written (a subclass may pace the events or time them)."""

    def _sse(self, events: Any, request_id: str, hang_up: bool = False) -> None:
        self._started = True
        self.send_response(200)
        for name, value in {"content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache",
                            "transfer-encoding": "chunked", "request-id": request_id}.items():
            self.send_header(name, value)
        self.end_headers()
        for event in events:
            frame = f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()
            self._before_write(event)
            self.wfile.write(b"%x\r\n%s\r\n" % (len(frame), frame))
        if hang_up:  # no terminating chunk: the client sees an incomplete body
            self.close_connection = True
        else:
            self.wfile.write(b"0\r\n\r\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Serve scripts from a JSON file until killed (SIGTERM or Ctrl-C).

    Parameters
    ----------
    argv : sequence of str, optional
        Command-line arguments; see ``python tests/standin.py --help``.

    Returns
    -------
    int
        Exit status.
    """
    parser = argparse.ArgumentParser(prog="standin.py", description="A local stand-in for the Anthropic API.")
    parser.add_argument("--script", required=True, help='JSON file {"scripts": [{"match": ..., "turns": [...]}]}')
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    parser.add_argument("--port-file", help="file to write the URL to once listening")
    parser.add_argument("--latency", type=float, default=0.0, help="delay before each answer, in seconds")
    parser.add_argument("--no-cache", action="store_true",
                        help="no prompt caching, as Ollama: cache_control answers 400, usage has no cache fields")
    args = parser.parse_args(argv)
    with open(args.script, encoding="utf-8") as f:
        data = json.load(f)
    scripts = data["scripts"] if isinstance(data, dict) else data
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with StandIn(scripts=scripts, latency=args.latency, port=args.port, caching=not args.no_cache) as standin:
        standin._server.verbose = True
        if args.port_file:
            with open(args.port_file + ".tmp", "w", encoding="utf-8") as f:
                f.write(standin.url)
            os.replace(args.port_file + ".tmp", args.port_file)
        print(f"stand-in listening on {standin.url}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
