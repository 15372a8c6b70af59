"""Time ``images.prepare`` (decode, downscale, encode) per figure on charts and photos, and print a table.

Run ``python benchmarks/bench_images.py [--runs 7] [--max-px 1568]``. The inputs are made here, as a step would show
them (base64 text in an nbformat output):

- ``chart 3000x2000``: a matplotlib (Agg) line chart, ``figsize=(10, 6.67)`` at 300 dpi, PNG;
- ``chart 1000x700``: the same chart at 100 dpi, PNG (no resize needed);
- ``photo 4000x3000 jpeg`` and ``photo 4000x3000 png``: a smooth colour gradient plus Gaussian noise, as a camera's
  JPEG (quality 90) and as a lossless PNG (the slowest case: 36 MB of pixels to inflate);
- ``rgba scatter 2400x1800``: a matplotlib scatter of 5,000 half-transparent points on a transparent figure, PNG.

Per input it prints the input's size (px, format, KB of base64), Pillow's decode time alone (open and load, the
floor any path pays), the median and max wall time of :func:`~codeact_magic.images.prepare` over ``--runs`` runs
after one warm-up, in ms, and what is sent: format, px, KB of base64 and the estimated tokens
(:func:`~codeact_magic.images.image_tokens`). Exits 1 when the 3000x2000 chart's median exceeds :data:`TARGET_MS`,
or any result is larger than ``--max-px`` or the API's 5 MB of base64.
"""

from __future__ import annotations

import argparse
import base64
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import matplotlib
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from codeact_magic.images import MAX_BASE64_BYTES, prepare  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

TARGET_MS = 500.0  # median prepare() of the 3000x2000 matplotlib chart
TARGET_INPUT = "chart 3000x2000"


def _save(fig, dpi: float, **kw) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=dpi, **kw)
    plt.close(fig)
    return out.getvalue()


def line_chart(dpi: float) -> bytes:
    """A two-line matplotlib chart with title, labels, legend and grid, 10 x 6.67 in (7 in at 100 dpi)."""
    fig, ax = plt.subplots(figsize=(10, 20 / 3 if dpi >= 300 else 7))
    x = np.linspace(0, 10, 1000)
    ax.plot(x, np.sin(x) * np.exp(-x / 8), label="damped sine")
    ax.plot(x, np.cos(2 * x) / 2, "--", label="cosine")
    ax.set(title="A line chart", xlabel="time (s)", ylabel="amplitude")
    ax.grid(True)
    ax.legend()
    return _save(fig, dpi)


def rgba_scatter() -> bytes:
    """5,000 half-transparent points on a transparent 8 x 6 in figure at 300 dpi."""
    rng = np.random.default_rng(0)
    fig, ax = plt.subplots(figsize=(8, 6))
    ax.scatter(rng.normal(size=5000), rng.normal(size=5000), c=rng.uniform(size=5000), alpha=0.5, s=12)
    ax.set_title("A scatter, transparent background")
    return _save(fig, 300, transparent=True)


def photo(fmt: str) -> bytes:
    """A 4000x3000 smooth gradient plus noise (sigma 20), as JPEG (quality 90) or PNG."""
    rng = np.random.default_rng(0)
    h, w = 3000, 4000
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([xx / w * 255, yy / h * 255, 128 + 100 * np.sin((xx + yy) / 400)], axis=-1)
    arr = np.clip(base + rng.normal(0, 20, (h, w, 3)).astype(np.float32), 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(arr, "RGB").save(out, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return out.getvalue()


def timed(fn: Callable[[], object], runs: int) -> tuple[list[float], object]:
    """Wall times in ms of ``runs`` calls of ``fn`` after one warm-up, and its last result."""
    result = fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return times, result


def decode(raw: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(raw))
    im.load()
    return im


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="measured runs per input (default 7)")
    parser.add_argument("--max-px", type=int, default=1568, help="long edge sent, at most (default 1568)")
    args = parser.parse_args(argv)
    inputs = [
        ("chart 3000x2000", "image/png", line_chart(300)),
        ("chart 1000x700", "image/png", line_chart(100)),
        ("photo 4000x3000 jpeg", "image/jpeg", photo("JPEG")),
        ("photo 4000x3000 png", "image/png", photo("PNG")),
        ("rgba scatter 2400x1800", "image/png", rgba_scatter()),
    ]
    failures: list[str] = []
    print(f"{args.runs} runs per input after one warm-up; max_px {args.max_px}; Pillow {Image.__version__}")
    print(f"{'input':<23} {'in px':>10} {'fmt':>5} {'in KB b64':>9} | {'decode ms':>9} | {'prepare ms':>10} "
          f"{'max':>6} | {'sent':<5} {'px':>10} {'KB b64':>7} {'tokens':>7}")
    for name, mime, raw in inputs:
        text = base64.b64encode(raw).decode("ascii")
        source = decode(raw)
        decode_t, _ = timed(lambda: decode(raw), max(3, args.runs // 2))
        times, p = timed(lambda: prepare(text, mime, max_px=args.max_px), args.runs)
        median = statistics.median(times)
        print(f"{name:<23} {f'{source.width}x{source.height}':>10} {source.format:>5} {len(text) / 1000:>9,.0f} | "
              f"{statistics.median(decode_t):>9.1f} | {median:>10.1f} {max(times):>6.1f} | "
              f"{p.media_type.split('/')[1]:<5} {f'{p.width}x{p.height}':>10} {p.base64_bytes / 1000:>7,.0f} "
              f"{p.tokens:>7,}")
        if max(p.width, p.height) > args.max_px or p.base64_bytes > MAX_BASE64_BYTES:
            failures.append(f"{name}: sent {p.width}x{p.height}, {p.base64_bytes:,} bytes of base64")
        if name == TARGET_INPUT and median > TARGET_MS:
            failures.append(f"{name}: median prepare {median:.0f} ms > {TARGET_MS:.0f} ms")
        if name == TARGET_INPUT:
            print(f"  {p.description()}")
    for failure in failures:
        print("FAIL:", failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
