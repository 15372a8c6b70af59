"""The observation: what the model reads of a step, rendered from its nbformat outputs.

Text is kept; images, HTML and other rich outputs are described rather than sent; ANSI colours are removed; long
text keeps a head and a tail around a visible marker; errors are shown as the trimmed traceback. The result goes back
as the ``content`` of the step's ``tool_result`` block, with ``is_error`` set when the step failed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

__all__ = ["render_observation", "truncate_middle", "strip_ansi"]

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_TAGS = re.compile(r"<[^>]+>")


def strip_ansi(text: str) -> str:
    """``text`` without ANSI escape sequences."""
    return _ANSI.sub("", text)


def truncate_middle(text: str, max_chars: int) -> str:
    """Keep at most about ``max_chars`` characters: a head and a tail around a marker saying how much was cut.

    Parameters
    ----------
    text : str
        Any text.
    max_chars : int
        Characters to keep (the marker line is added on top).

    Returns
    -------
    str
        ``text`` itself when short enough, else ``head + "\\n... [N characters cut] ...\\n" + tail`` with the head
        about 60% and the tail about 40% of ``max_chars``, both cut at line breaks when one is near.
    """
    if len(text) <= max_chars:
        return text
    head_n = int(max_chars * 0.6)
    tail_n = max_chars - head_n
    head = text[:head_n]
    cut = head.rfind("\n")
    if cut > head_n * 0.8:
        head = head[:cut]
    tail = text[len(text) - tail_n :]
    cut = tail.find("\n")
    if 0 <= cut < tail_n * 0.2:
        tail = tail[cut + 1 :]
    removed = len(text) - len(head) - len(tail)
    return f"{head}\n... [{removed:,} characters cut] ...\n{tail}"


def _as_text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _describe(data: dict[str, Any], metadata: dict[str, Any]) -> str:
    """Text for one rich output bundle (display_data or execute_result)."""
    parts = []
    for mime in data:
        if mime.startswith("image/"):
            meta = metadata.get(mime, {}) if isinstance(metadata.get(mime), dict) else {}
            size = f" {meta['width']}x{meta['height']}" if "width" in meta and "height" in meta else ""
            parts.append(f"[{mime} image{size} displayed to the user, {len(_as_text(data[mime])):,} bytes base64]")
    if "text/plain" in data:
        plain = _as_text(data["text/plain"])
        # a widget or figure's text/plain is a repr such as "<Figure size 640x480 with 1 Axes>": keep it.
        parts.append(plain)
    elif "text/markdown" in data:
        parts.append(_as_text(data["text/markdown"]))
    elif "text/html" in data:
        html = _as_text(data["text/html"])
        text = " ".join(_TAGS.sub(" ", html).split())
        parts.append(f"[HTML output, {len(html):,} characters; its text: {text[:500]}]")
    else:
        others = [m for m in data if not m.startswith("image/")]
        if others:
            parts.append(f"[rich output of type {', '.join(others)}]")
    return "\n".join(parts)


def render_observation(
    outputs: Sequence[dict[str, Any]], status: str = "ok", error_text: str = "", max_chars: int = 10_000
) -> str:
    """The text of a step's ``tool_result``.

    Parameters
    ----------
    outputs : sequence of dict
        nbformat v4 outputs of the step.
    status : str
        ``ok``, ``error``, ``timeout`` or ``interrupted``.
    error_text : str
        The trimmed traceback (see :func:`codeact_magic.execution.user_traceback`); replaces the error outputs'
        full tracebacks when given.
    max_chars : int
        Characters kept (head and tail); see :func:`truncate_middle`.

    Returns
    -------
    str
        Never empty: a step with no output says so.
    """
    pieces: list[str] = []
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream":
            text = _as_text(output.get("text", ""))
            pieces.append(text if output.get("name") != "stderr" else f"[stderr]\n{text}")
        elif kind in ("display_data", "execute_result"):
            text = _describe(output.get("data", {}), output.get("metadata", {}))
            if kind == "execute_result":
                text = f"[Out] {text}"
            pieces.append(text)
        elif kind == "error" and not error_text:
            pieces.append("\n".join(output.get("traceback") or [f"{output.get('ename')}: {output.get('evalue')}"]))
    if error_text:
        pieces.append(error_text)
    body = strip_ansi("\n".join(p.rstrip("\n") for p in pieces if p)).strip("\n")
    if not body:
        body = "(no output)" if status == "ok" else f"(no output; status {status})"
    return truncate_middle(body, max_chars)
