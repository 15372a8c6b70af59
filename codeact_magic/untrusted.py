"""Outputs of a sandbox kernel, made inert before the user's frontend shows them.

The model's code ran in the sandbox, but what it displays is shown in the user's notebook, where JupyterLab trusts the
outputs of the running session: it runs ``application/javascript`` and the ``<script>`` of trusted HTML, and that
code can talk to the user's kernel. So :func:`inert_bundle` keeps, of a sandbox's display data:

- every MIME type without active content (``text/plain``, ``text/markdown``, images but SVG, JSON, LaTeX, a
  DataFrame's HTML table);
- ``text/html`` and ``image/svg+xml`` only when an HTML parse (:class:`html.parser.HTMLParser`, not a pattern) finds
  no ``<script>``, ``<iframe>``, ``<object>``, ``<embed>``, ``<form>``, ``<base>``, ``<meta http-equiv>``, ``on*``
  event attribute or ``javascript:`` URL in it;

and drops ``application/javascript`` and widget views (``application/vnd.jupyter.widget-view+json``, whose model
lives in the sandbox's kernel, not the user's). A bundle left without any MIME type gets a ``text/plain`` line
saying what was not shown.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

__all__ = ["inert_bundle"]

_DROPPED = frozenset({"application/javascript", "text/javascript", "application/x-javascript",
                      "application/vnd.jupyter.widget-view+json"})
_MARKUP = frozenset({"text/html", "image/svg+xml"})
_ACTIVE_TAGS = frozenset({"script", "iframe", "object", "embed", "form", "base", "frame", "frameset", "applet"})
_URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "data"})


class _ActiveContent(HTMLParser):
    """Finds whether HTML (or SVG) holds anything that runs code in the page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.active: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.active is not None:
            return
        tag = tag.lower()
        if tag in _ACTIVE_TAGS:
            self.active = f"<{tag}>"
        for name, value in attrs:
            name = name.lower()
            text = "".join((value or "").split()).lower()
            if name.startswith("on"):
                self.active = f"an {name} attribute"
            elif name in _URL_ATTRIBUTES and text.startswith(("javascript:", "vbscript:", "data:text/html")):
                self.active = f"a {text.split(':', 1)[0]}: URL"
            elif tag == "meta" and name == "http-equiv":
                self.active = "<meta http-equiv>"

    handle_startendtag = handle_starttag


def _active(markup: Any) -> str | None:
    """What in ``markup`` (a str, or a list of lines as nbformat may hold it) runs code, or ``None``."""
    parser = _ActiveContent()
    try:
        parser.feed("".join(markup) if isinstance(markup, list) else str(markup))
        parser.close()
    except Exception:  # noqa: BLE001 - what cannot be parsed is not shown as markup
        return "markup that does not parse"
    return parser.active


def inert_bundle(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` (a MIME bundle from a sandbox) without what could run code in the user's page.

    Parameters
    ----------
    data : dict
        ``{mime type: value}`` of a ``display_data``, ``update_display_data`` or ``execute_result``.

    Returns
    -------
    dict
        A new bundle, or ``data`` itself when nothing had to go; never empty.
    """
    dropped = [mime for mime in data if mime in _DROPPED]
    for mime in _MARKUP & data.keys():
        why = _active(data[mime])
        if why is not None:
            dropped.append(f"{mime} with {why}")
    if not dropped:
        return data
    kept = {mime: value for mime, value in data.items()
            if mime not in _DROPPED and not any(d.startswith(f"{mime} with ") for d in dropped)}
    if not kept:
        kept = {"text/plain": f"[not shown: {', '.join(dropped)} from the sandbox kernel]"}
    return kept
