"""The observation: what the model reads of a step, rendered from its nbformat outputs.

Text is kept (stream text as a terminal leaves it after carriage returns, :func:`terminal_text`); images, HTML and
other rich outputs are described rather than sent; ANSI colours are removed; long text keeps a head and a tail around a
visible marker; errors are shown as the trimmed traceback (:func:`user_traceback`, repeated frames collapsed). The
result goes back as the ``content`` of the step's ``tool_result`` block, with ``is_error`` set when the step failed.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Sequence
from typing import Any

from .config import default

__all__ = ["image_blocks", "render_observation", "step_images", "truncate_middle", "strip_ansi", "terminal_text",
           "user_traceback"]

_LONGEST_CYCLE = 8  # frames in the longest repeated sequence user_traceback collapses

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_TAGS = re.compile(r"<[^>]+>")
_CR_NEWLINE = re.compile(r"\r+\n")
_CR_AT_END = re.compile(r"\r+\Z")
_OVERWRITTEN = re.compile(r"^.*\r", re.MULTILINE)


def strip_ansi(text: str) -> str:
    """``text`` without ANSI escape sequences."""
    return _ANSI.sub("", text)


def terminal_text(text: str) -> str:
    """Stream text as a terminal leaves it: of each line, only what follows its last carriage return.

    ``\\r\\n`` (one or more ``\\r`` before ``\\n``) is a newline and a ``\\r`` at the very end overwrote nothing;
    any other ``\\r`` returns to the start of the line, so what came before it on that line is dropped. A progress
    bar (tqdm, which pads each frame to the length of the last) that redrew itself 10,000 times keeps its final
    frame. This is nbconvert's ``coalesce_streams`` rule (``.*\\r(?=[^\\n])`` removed), with ``\\r\\n`` read as a
    newline; JupyterLab shows the same for frames that do not get shorter.

    Parameters
    ----------
    text : str
        Stream text, possibly with carriage returns.

    Returns
    -------
    str
        ``text`` itself when it has no ``\\r``; time linear in its length.
    """
    if "\r" not in text:
        return text
    return _OVERWRITTEN.sub("", _CR_AT_END.sub("", _CR_NEWLINE.sub("\n", text)))


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


def _collapse(entries: list[tuple[Any, list[str]]]) -> list[str]:
    """Lines of ``entries`` (key, lines), each run of 3 or more repeats of a block of up to 8 collapsed to one."""
    keys = [key for key, _ in entries]
    lines: list[str] = []
    i = 0
    while i < len(entries):
        best = (1, 1)
        for width in range(1, min(_LONGEST_CYCLE, (len(keys) - i) // 2) + 1):
            block, reps = keys[i:i + width], 1
            while keys[i + reps * width:i + (reps + 1) * width] == block:
                reps += 1
            if reps >= 3 and reps * width > best[0] * best[1]:
                best = (width, reps)
        width, reps = best
        for _, entry in entries[i:i + width]:
            lines.extend(entry)
        if reps > 1:
            what = "previous frame" if width == 1 else f"previous {width} frames"
            lines.append(f"  [{what} repeated {reps - 1:,} more times]")
        i += width * reps
    return lines


def user_traceback(error: BaseException, cell_files: Any) -> str:
    """A traceback cut to the user's frames: cell frames in full, library frames folded into one line each run.

    Repeats are collapsed as CPython's own tracebacks do, and cycles too: a run of 3 or more identical frames (deep
    recursion) or of a repeated sequence of up to 8 frames (``f -> g -> f -> g``) shows once, followed by
    ``[previous frame repeated N more times]``, so a ``RecursionError`` reads in a few hundred characters.

    Parameters
    ----------
    error : BaseException
        The exception, with ``__traceback__``.
    cell_files : container of str
        Filenames of compiled cells (IPython's ``shell.compile._filename_map``: filename -> execution count).

    Returns
    -------
    str
        Plain text (no ANSI colours), ending with the exception line.
    """
    frames = traceback.extract_tb(error.__traceback__) if error.__traceback__ else []
    # drop IPython's own frames above the first cell frame
    first = next((i for i, f in enumerate(frames) if f.filename in cell_files), len(frames))
    frames = frames[first:]
    entries: list[tuple[Any, list[str]]] = []
    folded: list[traceback.FrameSummary] = []

    def fold() -> None:
        if not folded:
            return
        last = folded[-1]
        lines = [f"  ... {len(folded) - 1} library frame(s) ..."] if len(folded) > 1 else []
        lines.append(f'  File "{last.filename}", line {last.lineno}, in {last.name}')
        if last.line:
            lines.append(f"    {last.line.strip()}")
        entries.append((tuple((f.filename, f.lineno, f.name) for f in folded), lines))
        folded.clear()

    for frame in frames:
        if frame.filename in cell_files:
            fold()
            number = cell_files.get(frame.filename) if hasattr(cell_files, "get") else None
            where = f"Cell In[{number}]" if number is not None else frame.filename
            lines = [f"  {where}, line {frame.lineno}" + (f", in {frame.name}" if frame.name != "<module>" else "")]
            if frame.line:
                lines.append(f"    {frame.line.strip()}")
            entries.append(((frame.filename, frame.lineno, frame.name), lines))
        else:
            folded.append(frame)
    fold()
    head = ["Traceback (most recent call last; library frames folded):"] if entries else []
    tail = "".join(traceback.format_exception_only(type(error), error)).rstrip()
    return "\n".join(head + _collapse(entries) + [tail])


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
    outputs: Sequence[dict[str, Any]], status: str = "ok", error_text: str = "", max_chars: int | None = None
) -> str:
    """The text of a step's ``tool_result``.

    Parameters
    ----------
    outputs : sequence of dict
        nbformat v4 outputs of the step.
    status : str
        ``ok``, ``error``, ``timeout`` or ``interrupted``.
    error_text : str
        The trimmed traceback (see :func:`user_traceback`); replaces the error outputs'
        full tracebacks when given.
    max_chars : int, optional
        Characters kept (head and tail); see :func:`truncate_middle`. Default: the trait
        ``observation_max_chars`` (10,000).

    Returns
    -------
    str
        Never empty: a step with no output says so.
    """
    if max_chars is None:
        max_chars = default("observation_max_chars")
    pieces: list[str] = []
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream":
            text = terminal_text(_as_text(output.get("text", "")))
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


def _image_record(image: Any) -> dict[str, Any]:
    return {"output": image.output_index, "media_type": image.media_type, "width": image.width,
            "height": image.height, "source_width": image.source_width, "source_height": image.source_height,
            "tokens": image.tokens}


def step_images(outputs: Sequence[dict[str, Any]], *, max_px: int, per_step: int, run_left: int
                ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """The images of a step's outputs that go to the model, as ``image`` content blocks of its ``tool_result``
    (:func:`codeact_magic.images.step_images`: the first ``min(per_step, run_left)`` that decode, downscaled to a
    long edge of ``max_px`` pixels, the smaller of PNG and JPEG, at most 5 MB of base64).

    Returns
    -------
    tuple
        ``(records, blocks, notes)``: for each image sent its record (``Step.images``: ``output`` index,
        ``media_type``, ``width``, ``height``, ``source_width``, ``source_height``, estimated ``tokens``) and its
        block, and the lines the observation gets (which image is attached, which were left out and why).
    """
    from .images import step_images as prepare_images

    chosen = prepare_images(outputs, max_px=max_px, per_step=per_step, run_left=run_left)
    notes = [f"[image {n} attached below: {image.description()}]" for n, image in enumerate(chosen.images, 1)]
    return ([_image_record(image) for image in chosen.images], chosen.blocks(),
            notes + [f"[{note}]" for note in chosen.notes])


def image_blocks(step: Any, max_px: int) -> list[dict[str, Any]]:
    """The ``image`` blocks a recorded step sent, rebuilt from its outputs (``step.images`` names them): the same
    blocks :func:`step_images` made then, as :func:`codeact_magic.images.prepare` is deterministic (for the same
    Pillow). An output that no longer decodes is left out."""
    from .images import step_images as prepare_images

    indices = [r["output"] for r in step.images if isinstance(r.get("output"), int)]
    return prepare_images(step.outputs, max_px=max_px, per_step=len(indices), run_left=len(indices),
                          indices=indices).blocks()
