"""A step's image outputs as the ``image`` content blocks its ``tool_result`` sends the model.

A chart a step shows (an ``image/png`` or ``image/jpeg`` output) goes back to Claude so it can check its own work.
Before it is sent, :func:`prepare` makes it what the Messages API takes cheaply
(https://docs.claude.com/en/docs/build-with-claude/vision):

- the long edge is downscaled to ``max_px`` (the ``image_max_px`` trait, 1568 px by default: the API downscales a
  larger image itself, which only adds latency), with Lanczos resampling and the aspect ratio kept; an image is never
  upscaled;
- the result is encoded as PNG and as JPEG (quality :data:`JPEG_QUALITY`, transparency flattened onto white) and
  the smaller is kept; an image that needed no change is kept as it came when its own bytes are smaller still;
- its base64 text never exceeds :data:`MAX_BASE64_BYTES` (the API's per-image limit): past it the JPEG quality goes
  down (:data:`FALLBACK_QUALITIES`), then the size (by :data:`SCALE_STEP` at a time) until it fits.

:func:`image_outputs` finds the images of a step's nbformat v4 outputs, and :func:`step_images` applies the per-step
and per-run limits (``max_images_per_step``, ``max_images_per_run``), with a note for every image left out.

Everything here is pure and deterministic: the same outputs and options give the same blocks, byte for byte (Pillow's
encoders are), so a caller may recompute a step's blocks from its recorded outputs instead of storing them.
:func:`image_tokens` is the vision docs' estimate of what an image costs, ``width × height / 750`` tokens. The API
further downscales an image of more than about 1.15 megapixels (~1,600 tokens), so for such an image (1568 × 1045 is
1.64 MP) the estimate is an upper bound.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import io
import math
import warnings
from collections.abc import Collection, Sequence
from typing import Any, NamedTuple

from PIL import Image, ImageOps

__all__ = ["FALLBACK_QUALITIES", "JPEG_QUALITY", "MAX_BASE64_BYTES", "MIME_TYPES", "SCALE_STEP", "PreparedImage",
           "StepImages", "image_outputs", "image_tokens", "prepare", "step_images"]

#: The Messages API's limit on one image, in bytes of base64 text: 5 MB
#: (https://docs.claude.com/en/docs/build-with-claude/vision, "Limits"; a larger image is refused with HTTP 400).
MAX_BASE64_BYTES = 5 * 1024 * 1024
#: The image types sent (others, SVG or GIF, are described in text only); PNG first, preferred when an output has both.
MIME_TYPES = ("image/png", "image/jpeg")
#: JPEG quality of the first encoding (Pillow's 1-95 scale).
JPEG_QUALITY = 85
#: JPEG qualities tried, in order, when the first encodings' base64 exceeds the limit.
FALLBACK_QUALITIES = (70, 55, 40)
#: Factor applied to both edges, repeatedly, when no quality fits the limit.
SCALE_STEP = 0.75
#: Pixels per token in the vision docs' estimate ``tokens = width * height / 750``.
PIXELS_PER_TOKEN = 750

_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG"}
_MIME_OF = {fmt: mime for mime, fmt in _FORMATS.items()}
_MIN_EDGE = 16  # px: below this long edge, shrinking further to fit the limit is given up


def image_tokens(width: int, height: int) -> int:
    """Estimated input tokens of an image, by Anthropic's vision docs: ``ceil(width * height / 750)``.

    Parameters
    ----------
    width, height : int
        Pixels of the image as sent.

    Returns
    -------
    int
        Tokens (https://docs.claude.com/en/docs/build-with-claude/vision, "Calculate image costs").
    """
    return math.ceil(width * height / PIXELS_PER_TOKEN)


def _base64_len(n: int) -> int:
    return 4 * ((n + 2) // 3)  # characters of the base64 text of n bytes, padded, no newlines


@dataclasses.dataclass(frozen=True)
class PreparedImage:
    """One image as it is sent to the model (:func:`prepare`).

    Attributes
    ----------
    media_type : str
        ``"image/png"`` or ``"image/jpeg"``: the format of :attr:`data`.
    data : str
        The image, base64 without newlines.
    width, height : int
        Pixels sent.
    source_mime : str
        The output's MIME type.
    source_width, source_height : int
        Pixels of the output's image (upright, after its EXIF orientation).
    output_index : int or None
        Index of the output in the step's outputs (:func:`step_images` sets it).
    """

    media_type: str
    data: str = dataclasses.field(repr=False)
    width: int
    height: int
    source_mime: str
    source_width: int
    source_height: int
    output_index: int | None = None

    @property
    def tokens(self) -> int:
        """Estimated input tokens (:func:`image_tokens` of the size sent)."""
        return image_tokens(self.width, self.height)

    @property
    def base64_bytes(self) -> int:
        """Bytes of base64 text sent (at most the ``max_base64_bytes`` it was prepared with)."""
        return len(self.data)

    @property
    def downscaled(self) -> bool:
        """Whether fewer pixels are sent than the output has."""
        return (self.width, self.height) != (self.source_width, self.source_height)

    def block(self) -> dict[str, Any]:
        """The Messages API ``image`` content block, base64 source, for a ``tool_result``'s content."""
        return {"type": "image", "source": {"type": "base64", "media_type": self.media_type, "data": self.data}}

    def description(self) -> str:
        """One short line for the text a model or user reads in place of the image, e.g. ``[image/png 3000x2000
        downscaled to 1568x1045, sent as image/png (212 KB base64), ~2,185 tokens]``."""
        size = f"{self.source_width}x{self.source_height}"
        if self.downscaled:
            size += f" downscaled to {self.width}x{self.height}"
        kb = max(1, round(self.base64_bytes / 1000))
        return f"[{self.source_mime} {size}, sent as {self.media_type} ({kb:,} KB base64), ~{self.tokens:,} tokens]"


def _raw_bytes(data: str | bytes) -> bytes:
    """The image file's bytes: ``data`` as given when bytes, else decoded from base64 (whitespace ignored)."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    if not isinstance(data, str):
        raise ValueError(f"image data must be base64 text or bytes, not {type(data).__name__}")
    try:
        return base64.b64decode("".join(data.split()), validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError(f"image data is not valid base64 ({error})") from None


def _open(raw: bytes) -> Image.Image:
    """Decode PNG or JPEG bytes with Pillow, fully loaded; a decompression bomb (more than
    ``Image.MAX_IMAGE_PIXELS`` pixels, Pillow's warning threshold) is refused before its pixels are decoded."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(raw), formats=("PNG", "JPEG"))
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise ValueError(f"image refused as a possible decompression bomb: {error}") from None
    except (OSError, SyntaxError, ValueError) as error:  # UnidentifiedImageError is an OSError
        raise ValueError(f"image data is not a decodable PNG or JPEG ({error})") from None
    return im


def _normal(im: Image.Image) -> Image.Image:
    """``im`` in a mode both encoders and Lanczos resizing take: RGB, RGBA, L or LA; without alpha when opaque."""
    mode = im.mode
    if mode in ("P", "PA"):
        im = im.convert("RGBA" if mode == "PA" or "transparency" in im.info else "RGB")
    elif mode == "1":
        im = im.convert("L")
    elif mode.startswith("I"):  # 16- or 32-bit grey (a 16-bit PNG): 0-65535 onto 0-255, not clipped
        im = im.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    elif mode in ("RGBa", "La"):
        im = im.convert(mode.upper())
    elif mode not in ("RGB", "RGBA", "L", "LA"):  # CMYK, YCbCr, LAB, F...
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    if im.mode in ("RGBA", "LA") and im.getchannel("A").getextrema() == (255, 255):
        return im.convert(im.mode[:-1])  # opaque (matplotlib's PNGs are RGBA): smaller PNG, faster resize
    return im


def _flatten(im: Image.Image) -> Image.Image:
    """``im`` without alpha, composited onto white (JPEG has no transparency)."""
    if im.mode not in ("RGBA", "LA"):
        return im
    bg = Image.new(im.mode[0] if im.mode == "LA" else "RGB", im.size, 255 if im.mode == "LA" else (255, 255, 255))
    bg.paste(im.convert(bg.mode), mask=im.getchannel("A"))
    return bg


class _TooLarge(Exception):
    pass


class _CappedBuffer(io.BytesIO):
    """A ``BytesIO`` that stops the encoder writing to it (raises :class:`_TooLarge`) past ``cap`` bytes."""

    def __init__(self, cap: int | None) -> None:
        super().__init__()
        self._cap = cap

    def write(self, data: Any) -> int:
        if self._cap is not None and self.tell() + len(data) > self._cap:
            raise _TooLarge
        return super().write(data)


def _encode(im: Image.Image, fmt: str, quality: int = JPEG_QUALITY, cap: int | None = None) -> bytes | None:
    """``im`` encoded as PNG or JPEG (flattened, at ``quality``); None once the encoding passes ``cap`` bytes, so
    that a PNG of a photo, which only has to be compared with the JPEG, stops as soon as it is the larger."""
    out = _CappedBuffer(cap)
    try:
        if fmt == "PNG":
            im.save(out, "PNG")  # zlib level 6: ``optimize`` (level 9) took 4x as long for a larger file on charts
        else:
            _flatten(im).save(out, "JPEG", quality=quality, optimize=True)
    except _TooLarge:
        return None
    return out.getvalue()


def _fit(w: int, h: int, max_px: int) -> tuple[int, int]:
    """``(w, h)`` scaled so the long edge is at most ``max_px``, aspect kept; never larger."""
    long = max(w, h)
    if long <= max_px:
        return w, h
    scale = max_px / long
    return max(1, round(w * scale)), max(1, round(h * scale))


def prepare(data: str | bytes, mime: str, max_px: int = 1568,
            max_base64_bytes: int = MAX_BASE64_BYTES) -> PreparedImage:
    """An image output, downscaled and re-encoded as it is sent to the model.

    Parameters
    ----------
    data : str or bytes
        The output's value: base64 text as nbformat stores it (newlines and other whitespace ignored; a list of
        lines must be joined by the caller, as :func:`image_outputs` does), or the image file's raw bytes.
    mime : str
        The output's MIME type: ``"image/png"`` or ``"image/jpeg"``. The format is read from the data itself, so a
        JPEG labelled ``image/png`` still works.
    max_px : int
        Pixels of the long edge sent, at most (the ``image_max_px`` trait).
    max_base64_bytes : int
        Bytes of base64 text sent, at most (default :data:`MAX_BASE64_BYTES`, the API's limit).

    Returns
    -------
    PreparedImage
        The smaller of the PNG and JPEG encodings of the downscaled image (or the original bytes, when the image
        needed no change and they are smaller still), within ``max_base64_bytes``. ``output_index`` is None.

    Raises
    ------
    ValueError
        For a ``mime`` other than ``image/png`` and ``image/jpeg``, ``data`` that is not base64 of a decodable PNG
        or JPEG, an image of more than ``PIL.Image.MAX_IMAGE_PIXELS`` pixels (a possible decompression bomb),
        ``max_px < 1``, or a limit too small for even a 16 px image.
    """
    if mime not in _FORMATS:
        raise ValueError(f"unsupported image type {mime!r}: only {' and '.join(MIME_TYPES)} are sent")
    if max_px < 1:
        raise ValueError(f"max_px must be at least 1, not {max_px}")
    raw = _raw_bytes(data)
    fmt, base, source, unchanged = _load(raw, max_px)
    scaled = base
    while True:
        # JPEG first (fast); the PNG only matters when it is no larger (PNG wins a tie), and the original when smaller
        best_fmt, best = "JPEG", _encode(scaled, "JPEG")
        png = _encode(scaled, "PNG", cap=len(best))
        if png is not None:
            best_fmt, best = "PNG", png
        if unchanged and scaled is base and len(raw) < len(best):
            best_fmt, best = fmt, raw
        if _base64_len(len(best)) > max_base64_bytes:
            fits = (j for j in (_encode(scaled, "JPEG", q) for q in FALLBACK_QUALITIES)
                    if _base64_len(len(j)) <= max_base64_bytes)
            best_fmt, best = "JPEG", next(fits, None)
        if best is not None:
            return PreparedImage(_MIME_OF[best_fmt], base64.b64encode(best).decode("ascii"), scaled.width,
                                 scaled.height, mime, *source)
        size = _fit(scaled.width, scaled.height, math.floor(max(scaled.size) * SCALE_STEP))
        if max(size) < _MIN_EDGE:
            raise ValueError(f"image cannot be encoded within {max_base64_bytes:,} bytes of base64")
        scaled = base.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _load(raw: bytes, max_px: int) -> tuple[str, Image.Image, tuple[int, int], bool]:
    """Decode, turn upright (EXIF orientation), normalise the mode (:func:`_normal`) and downscale to ``max_px``.

    Returns the format (``"PNG"``, ``"JPEG"``), the image, the upright source size (px) and whether it needed no
    change but its mode (so its original bytes may be sent). A JPEG is decoded at 1/2, 1/4 or 1/8 scale when that
    still gives at least the size sent (Pillow's ``draft``: much faster on a camera's photo).
    """
    im = _open(raw)
    fmt = im.format
    try:
        orientation = im.getexif().get(0x0112, 1)  # EXIF Orientation: 1 is upright
        stored = im.size
        target = _fit(*stored, max_px)
        if fmt == "JPEG" and target != stored:
            im.draft(im.mode if im.mode in ("RGB", "L") else None, target)
        im.load()
        upright = ImageOps.exif_transpose(im) if orientation != 1 else im
    except (OSError, SyntaxError, ValueError) as error:
        raise ValueError(f"image data is not a decodable {fmt} ({error})") from None
    if orientation in (5, 6, 7, 8):  # the transposition swapped the edges
        stored, target = stored[::-1], target[::-1]
    base = _normal(upright)
    if base.size != target:
        base = base.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    return fmt, base, stored, target == stored and orientation == 1 and fmt in _MIME_OF  # not MPO, a phone's JPEG


def _join(value: Any) -> str | None:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = "".join(value)
    return value if isinstance(value, str) else None


def image_outputs(outputs: Sequence[dict[str, Any]]) -> list[tuple[int, str, str]]:
    """The images of a step's nbformat v4 outputs, in order.

    Parameters
    ----------
    outputs : sequence of dict
        nbformat v4 outputs (https://nbformat.readthedocs.io/en/latest/format_description.html). Only
        ``display_data`` and ``execute_result`` outputs hold images.

    Returns
    -------
    list of (int, str, str)
        ``(index in outputs, mime, base64 text)``, one per output that has an ``image/png`` or ``image/jpeg``
        value (``image/png`` when it has both); a value stored as a list of lines is joined.
    """
    found = []
    for index, output in enumerate(outputs):
        if not isinstance(output, dict) or output.get("output_type") not in ("display_data", "execute_result"):
            continue
        data = output.get("data")
        if not isinstance(data, dict):
            continue
        for mime in MIME_TYPES:
            text = _join(data.get(mime))
            if text is not None:
                found.append((index, mime, text))
                break
    return found


class StepImages(NamedTuple):
    """The images of one step sent to the model (:func:`step_images`); unpacks as ``images, notes``."""

    #: The images sent, in output order, each with its ``output_index``.
    images: list[PreparedImage]
    #: One line per image left out (a limit, a decode failure), for the step's observation text.
    notes: list[str]

    @property
    def tokens(self) -> int:
        """Estimated input tokens of :attr:`images` (:func:`image_tokens`), for the run's usage."""
        return sum(image.tokens for image in self.images)

    def blocks(self) -> list[dict[str, Any]]:
        """The ``image`` content blocks of :attr:`images`, in order."""
        return [image.block() for image in self.images]


def step_images(outputs: Sequence[dict[str, Any]], *, max_px: int = 1568, per_step: int = 2, run_left: int = 20,
                max_base64_bytes: int = MAX_BASE64_BYTES, indices: Collection[int] | None = None) -> StepImages:
    """The images of a step's outputs to send the model, within the per-step and per-run limits.

    Parameters
    ----------
    outputs : sequence of dict
        The step's nbformat v4 outputs.
    max_px : int
        Long edge sent, at most, in pixels (the ``image_max_px`` trait).
    per_step : int
        Images sent for one step, at most (``max_images_per_step``).
    run_left : int
        Images the run may still send (``max_images_per_run`` minus those sent by earlier steps).
    max_base64_bytes : int
        Bytes of base64 text per image, at most.
    indices : collection of int, optional
        Only the outputs at these indices are candidates: to rebuild a step's blocks from its recorded outputs and
        the ``output_index`` of each image sent then (the limits still apply).

    Returns
    -------
    StepImages
        The first ``min(per_step, run_left)`` images that decode, in output order, and the notes: one per image that
        failed to decode (``"image of output 3 not sent: ..."``) and one for those left out by the limits (``"2 more
        images not sent: at most 2 per step (max_images_per_step)"``). Images left out are not decoded.
    """
    candidates = [c for c in image_outputs(outputs) if indices is None or c[0] in indices]
    room = max(0, min(per_step, run_left))
    images: list[PreparedImage] = []
    notes: list[str] = []
    i = 0
    while i < len(candidates) and len(images) < room:
        index, mime, text = candidates[i]
        i += 1
        try:
            image = prepare(text, mime, max_px=max_px, max_base64_bytes=max_base64_bytes)
        except ValueError as error:
            notes.append(f"image of output {index} not sent: {error}")
            continue
        images.append(dataclasses.replace(image, output_index=index))
    left = len(candidates) - i
    if left:
        why = (f"at most {per_step} per step (max_images_per_step)" if per_step <= run_left
               else "the run's image limit is reached (max_images_per_run)")
        notes.append(f"{left} {'more ' if images else ''}image{'s' if left != 1 else ''} not sent: {why}")
    return StepImages(images, notes)
