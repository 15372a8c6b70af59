"""The model's Markdown, made to render in Jupyter as it was meant: a ``$`` is money, ``\\(…\\)`` is maths.

JupyterLab and Notebook 7 typeset ``$…$`` as TeX: MathJax reads the rendered page, where CommonMark has already
turned ``\\$`` into ``$``, so "it made $22,984 and lost $16,831" renders as italic maths even when the ``$`` are
escaped once. Two backslashes are needed (https://github.com/jupyterlab/jupyterlab/issues/8645): ``\\\\$`` reaches
MathJax as ``\\$``, which its ``processEscapes`` shows as ``$``. For the same reason the model's ``\\(x\\)`` and
``\\[x\\]`` reach MathJax as ``(x)`` and ``[x]``, plain text: they are written ``\\\\(x\\\\)`` and ``\\\\[x\\\\]``, which
MathJax typesets. ``$$…$$`` needs nothing. (The Markdown cell and the ``text/markdown`` output render alike.)
"""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt

__all__ = ["escape_dollars"]

#: Block tokens whose text is shown as is: a backslash there would show.
_VERBATIM_BLOCKS = {"fence", "code_block", "html_block"}


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark")


def _verbatim_lines(text: str) -> set[int]:
    """Line numbers (from 0) of the fenced and indented code blocks and raw HTML blocks of ``text``."""
    lines: set[int] = set()
    for token in _parser().parse(text):
        if token.type in _VERBATIM_BLOCKS and token.map:
            lines.update(range(*token.map))
    return lines


def _closing(text: str, i: int, closer: str, same_paragraph: bool = True) -> int:
    """Where ``closer`` starts at or after ``i``, or -1 (also when a blank line comes first and ``same_paragraph``)."""
    end = text.find(closer, i)
    if end < 0:
        return -1
    if same_paragraph and "\n\n" in text[i:end]:
        return -1
    return end


def _closing_ticks(text: str, i: int, count: int) -> int:
    """Where the run of exactly ``count`` backticks that closes a code span opened before ``i`` starts, or -1 (none
    before a blank line)."""
    j, n = i, len(text)
    while True:
        j = text.find("`", j)
        if j < 0 or "\n\n" in text[i:j]:
            return -1
        k = j
        while k < n and text[k] == "`":
            k += 1
        if k - j == count:
            return j
        j = k


def _escape_inline(text: str) -> str:
    """Escape every ``$`` of running Markdown ``text`` (no code blocks) as ``\\\\$``, except in code spans and in
    ``$$…$$``; write ``\\(…\\)`` and ``\\[…\\]`` as ``\\\\(…\\\\)`` and ``\\\\[…\\\\]``."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n:
            nxt = text[i + 1]
            if text.startswith("\\\\", i):  # already two backslashes (\\$, \\(): as Jupyter wants them
                out.append(text[i:i + 3] if i + 2 < n and text[i + 2] in "$([])" else text[i:i + 2])
                i += len(out[-1])
                continue
            if nxt in "([":
                closer = "\\" + (")" if nxt == "(" else "]")
                end = _closing(text, i + 2, closer, same_paragraph=False)
                if end >= 0:
                    out.append("\\" + text[i:end] + "\\" + closer)
                    i = end + 2
                    continue
            if nxt == "$":  # the model's own \$: one backslash more
                out.append("\\\\$")
            else:
                out.append(text[i:i + 2])  # another escape: kept
            i += 2
        elif c == "`":
            run = i
            while run < n and text[run] == "`":
                run += 1
            close = _closing_ticks(text, run, run - i)
            if close >= 0:
                out.append(text[i:close + run - i])
                i = close + run - i
            else:  # no closing run: the backticks are literal
                out.append(text[i:run])
                i = run
        elif c == "$":
            if text.startswith("$$", i):
                end = _closing(text, i + 2, "$$", same_paragraph=False)
                if end >= 0:
                    out.append(text[i:end + 2])
                    i = end + 2
                    continue
            out.append("\\\\$")
            i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def escape_dollars(text: str) -> str:
    """``text`` with each ``$`` that would start maths escaped as ``\\\\$``, so amounts render as text, and the
    model's ``\\(…\\)`` / ``\\[…\\]`` maths written so that Jupyter typesets it (see the module's docstring).

    Left as they are: ``$$…$$`` (display maths), what is already written the Jupyter way (``\\\\$``, ``\\\\(``), and
    code spans, fenced or indented code blocks and raw HTML blocks (where a backslash would show). Blocks are found
    with markdown-it-py (CommonMark); code spans by their backtick runs, as CommonMark matches them.

    Parameters
    ----------
    text : str
        Markdown.

    Returns
    -------
    str
        The same Markdown; ``text`` itself when it holds no ``$``, ``\\(`` or ``\\[``.
    """
    if "$" not in text and "\\(" not in text and "\\[" not in text:
        return text
    verbatim = _verbatim_lines(text)
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    chunk: list[str] = []
    for number, line in enumerate(lines):
        if number in verbatim:
            if chunk:
                out.append(_escape_inline("".join(chunk)))
                chunk = []
            out.append(line)
        else:
            chunk.append(line)
    if chunk:
        out.append(_escape_inline("".join(chunk)))
    return "".join(out)
