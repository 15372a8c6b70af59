"""codeact_magic.images on real Pillow images and real matplotlib (Agg) figures."""
import base64
import io
import warnings

import matplotlib
import numpy as np
import pytest
from PIL import Image

from codeact_magic.images import (
    MAX_BASE64_BYTES, PreparedImage, StepImages, image_outputs, image_tokens, prepare, step_images,
)

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def png_bytes(im, **kw):
    out = io.BytesIO()
    im.save(out, "PNG", **kw)
    return out.getvalue()


def jpeg_bytes(im, **kw):
    out = io.BytesIO()
    im.save(out, "JPEG", **kw)
    return out.getvalue()


def b64(raw):
    return base64.b64encode(raw).decode("ascii")


def decoded(prepared):
    """The image the model receives, decoded back from the block."""
    source = prepared.block()["source"]
    im = Image.open(io.BytesIO(base64.b64decode(source["data"])))
    im.load()
    return im


def line_chart(figsize, dpi):
    fig, ax = plt.subplots(figsize=figsize, dpi=dpi)
    x = np.linspace(0, 10, 400)
    ax.plot(x, np.sin(x), label="sin")
    ax.plot(x, np.cos(x), label="cos")
    ax.set_title("a line chart")
    ax.legend()
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=dpi)
    plt.close(fig)
    return out.getvalue()


def photo(w, h, seed=0, mode="RGB"):
    """Photo-like: a smooth colour gradient plus noise (no flat areas, which is what JPEG is for)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([xx / w * 255, yy / h * 255, (xx + yy) / (w + h) * 255], axis=-1)
    arr = np.clip(base + rng.normal(0, 25, (h, w, 3)), 0, 255).astype(np.uint8)
    return Image.fromarray(arr, "RGB").convert(mode)


def flat_chart(w=800, h=600):
    """Flat colours and hard edges, as a bar chart without antialiasing: PNG's case."""
    im = Image.new("RGB", (w, h), "white")
    for i, colour in enumerate(["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]):
        im.paste(Image.new("RGB", (120, 100 + 100 * i), colour), (60 + 180 * i, h - 100 - 100 * i - 40))
    im.paste(Image.new("RGB", (w - 80, 3), "black"), (40, h - 40))
    return im


@pytest.fixture(scope="module")
def big_chart():
    raw = line_chart((10, 20 / 3), 300)
    assert Image.open(io.BytesIO(raw)).size == (3000, 2000)
    return raw


# -- prepare ---------------------------------------------------------------------------------------------------------

def test_big_matplotlib_figure_is_downscaled_with_aspect_kept(big_chart):
    p = prepare(b64(big_chart), "image/png")
    assert (p.source_width, p.source_height) == (3000, 2000)
    assert (p.width, p.height) == (1568, 1045)  # 2000 * 1568 / 3000 = 1045.3
    assert decoded(p).size == (1568, 1045)
    assert decoded(p).format == {"image/png": "PNG", "image/jpeg": "JPEG"}[p.media_type]
    assert p.tokens == 2185 == image_tokens(1568, 1045)
    assert p.downscaled and p.source_mime == "image/png"
    assert p.base64_bytes == len(p.data) < len(b64(big_chart))
    assert "\n" not in p.data
    assert p.description() == (f"[image/png 3000x2000 downscaled to 1568x1045, sent as {p.media_type} "
                               f"({round(p.base64_bytes / 1000):,} KB base64), ~2,185 tokens]")


def test_block_is_the_messages_api_image_block(big_chart):
    p = prepare(b64(big_chart), "image/png", max_px=400)
    assert p.block() == {"type": "image", "source": {"type": "base64", "media_type": p.media_type, "data": p.data}}
    assert (p.width, p.height) == (400, 267)


def test_same_input_gives_the_same_bytes(big_chart):
    a = prepare(b64(big_chart), "image/png")
    b = prepare(big_chart, "image/png")  # raw bytes give the same as base64 text
    assert a == b and a.data == b.data


def test_smaller_encoding_is_chosen():
    chart = flat_chart()
    p = prepare(b64(png_bytes(chart)), "image/png", max_px=700)  # resized, so the original cannot be kept
    assert p.media_type == "image/png"
    assert p.base64_bytes < len(b64(jpeg_bytes(chart.resize((p.width, p.height)), quality=85)))
    # photo-like content: JPEG is far smaller than PNG
    img = photo(1200, 800)
    q = prepare(b64(png_bytes(img)), "image/png", max_px=1000)
    assert q.media_type == "image/jpeg" and (q.width, q.height) == (1000, 667)
    assert q.base64_bytes * 2 < len(b64(png_bytes(decoded(q).convert("RGB"))))
    # the flat chart's pixels survive exactly in PNG (lossless), not approximately
    same = prepare(png_bytes(chart), "image/png")
    assert same.media_type == "image/png"
    assert np.array_equal(np.asarray(decoded(same).convert("RGB")), np.asarray(chart))


def test_matplotlib_chart_at_1000px_is_not_resized(tmp_path):
    raw = line_chart((10, 7), 100)
    p = prepare(b64(raw), "image/png")
    assert (p.width, p.height) == (p.source_width, p.source_height) == (1000, 700)
    assert not p.downscaled and "downscaled" not in p.description()
    assert p.base64_bytes <= len(b64(raw))  # never larger than what came in


def test_tiny_image_is_not_upscaled():
    raw = png_bytes(Image.new("RGB", (50, 30), "red"), optimize=True)
    p = prepare(b64(raw), "image/png")
    assert (p.width, p.height) == (50, 30) and decoded(p).size == (50, 30)
    assert p.tokens == 2  # 1500 / 750
    assert p.base64_bytes <= len(b64(raw))
    assert p.media_type == "image/png"


def test_original_kept_when_smaller_than_both_encodings_and_not_when_resized():
    raw = jpeg_bytes(photo(300, 200), quality=30)  # smaller than a quality-85 JPEG or a PNG of it
    p = prepare(b64(raw), "image/jpeg")
    assert p.data == b64(raw) and p.media_type == "image/jpeg"
    q = prepare(b64(raw), "image/jpeg", max_px=299)
    assert q.data != b64(raw) and (q.width, q.height) == (299, 199)


def test_rgba_transparency_kept_in_png_and_flattened_on_white_in_jpeg():
    flat = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    flat.paste(Image.new("RGBA", (100, 100), (255, 0, 0, 255)), (100, 50))
    p = prepare(png_bytes(flat), "image/png")
    assert p.media_type == "image/png"
    out = decoded(p)
    assert out.mode == "RGBA" and out.getpixel((5, 5))[3] == 0 and out.getpixel((150, 100)) == (255, 0, 0, 255)
    # photo-like with its left half transparent: JPEG, and the transparent half comes out white
    rgba = photo(600, 400, mode="RGBA")
    alpha = np.full((400, 600), 255, np.uint8)
    alpha[:, :300] = 0
    rgba.putalpha(Image.fromarray(alpha, "L"))
    q = prepare(png_bytes(rgba), "image/png")
    assert q.media_type == "image/jpeg"
    left = np.asarray(decoded(q).convert("RGB"))[:, :280]
    assert left.min() >= 245  # white, give or take JPEG's rounding


def test_opaque_rgba_is_sent_without_alpha(big_chart):
    assert Image.open(io.BytesIO(big_chart)).mode == "RGBA"  # matplotlib's PNGs carry an opaque alpha
    p = prepare(big_chart, "image/png", max_px=600)
    assert decoded(p).mode in ("RGB", "L")


@pytest.mark.parametrize("transparency", [False, True])
def test_palette_images(transparency):
    im = flat_chart(400, 300).quantize(8)
    assert im.mode == "P"
    if transparency:
        im.info["transparency"] = im.getpixel((0, 0))  # the white background's index
    p = prepare(png_bytes(im), "image/png", max_px=200)
    assert (p.width, p.height) == (200, 150) and p.media_type == "image/png"
    out = decoded(p)
    if transparency:
        assert out.mode == "RGBA" and out.getpixel((0, 0))[3] == 0
        assert out.getpixel((60, 100))[3] == 255  # inside the first bar
    else:
        assert out.mode == "RGB" and out.getpixel((0, 0)) == (255, 255, 255)


def test_other_modes_grey_16_bit_cmyk_and_bilevel():
    ramp = (np.tile(np.linspace(0, 65535, 256), (64, 1))).astype(np.uint16)
    grey16 = Image.fromarray(ramp)
    assert grey16.mode.startswith("I")
    out = np.asarray(decoded(prepare(png_bytes(grey16), "image/png")).convert("L"))
    assert out[:, 0].max() <= 5 and out[:, -1].min() >= 250 and 100 < out[:, 128].mean() < 155  # scaled, not clipped
    cmyk = photo(300, 200).convert("CMYK")
    assert decoded(prepare(jpeg_bytes(cmyk), "image/jpeg")).mode in ("RGB", "L")
    bilevel = flat_chart(200, 100).convert("1")
    assert decoded(prepare(png_bytes(bilevel), "image/png")).size == (200, 100)


def test_base64_with_newlines_and_mislabelled_jpeg():
    raw = jpeg_bytes(photo(400, 300), quality=90)
    wrapped = base64.encodebytes(raw).decode("ascii")  # 76-character lines, as some producers write
    assert "\n" in wrapped
    p = prepare(wrapped, "image/png")  # labelled PNG, but the data is a JPEG: the format comes from the data
    assert p.source_mime == "image/png" and decoded(p).size == (400, 300)
    assert decoded(p).format == p.media_type.split("/")[1].upper()


def test_multi_picture_jpeg_from_a_phone():
    out = io.BytesIO()
    photo(600, 400).save(out, "MPO", save_all=True, append_images=[Image.new("RGB", (8, 8))], quality=20)
    assert Image.open(io.BytesIO(out.getvalue())).format == "MPO"
    p = prepare(out.getvalue(), "image/jpeg")  # smaller than the re-encodings, but an MPO is not sent as it came
    assert p.media_type == "image/jpeg" and decoded(p).format == "JPEG" and decoded(p).size == (600, 400)
    assert p.base64_bytes > len(b64(out.getvalue()))


def test_exif_orientation_is_applied():
    stored = photo(200, 100)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    p = prepare(jpeg_bytes(stored, exif=exif), "image/jpeg", max_px=100)
    assert (p.source_width, p.source_height) == (100, 200)
    assert (p.width, p.height) == (50, 100) and decoded(p).size == (50, 100)


def test_base64_limit_is_enforced():
    noisy = Image.fromarray(np.random.default_rng(1).integers(0, 256, (1500, 1500, 3), dtype=np.uint8), "RGB")
    raw = png_bytes(noisy)
    assert len(b64(raw)) > 6_000_000
    p = prepare(raw, "image/png", max_base64_bytes=200_000)
    assert p.base64_bytes <= 200_000
    assert p.media_type == "image/jpeg"
    assert max(p.width, p.height) < 1500  # no quality fitted at full size: it was scaled down too
    assert decoded(p).size == (p.width, p.height)
    # the API's own limit: the first encoding fits, nothing is lost
    full = prepare(raw, "image/png", max_px=1500)
    assert full.base64_bytes <= MAX_BASE64_BYTES and (full.width, full.height) == (1500, 1500)
    with pytest.raises(ValueError, match="cannot be encoded within 100 bytes"):
        prepare(raw, "image/png", max_base64_bytes=100)


def test_image_tokens_formula():
    assert image_tokens(750, 1) == 1
    assert image_tokens(751, 1) == 2  # rounded up
    assert image_tokens(1000, 1000) == 1334
    assert image_tokens(1092, 1092) == 1590  # the vision docs' table: ~1,590 for 1:1 at 1092 px
    assert image_tokens(0, 500) == 0


@pytest.mark.parametrize("data, match", [
    ("not base64 at all!", "not valid base64"),
    (b64(b"just some text, not an image"), "not a decodable PNG or JPEG"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "not a decodable PNG or JPEG"),
    (12345, "base64 text or bytes"),
])
def test_bad_data_raises_value_error(data, match):
    with pytest.raises(ValueError, match=match):
        prepare(data, "image/png")


def test_other_formats_and_mimes_raise_value_error():
    gif = io.BytesIO()
    flat_chart(100, 80).save(gif, "GIF")
    with pytest.raises(ValueError, match="not a decodable PNG or JPEG"):
        prepare(gif.getvalue(), "image/png")  # a GIF is not sent, whatever its label
    with pytest.raises(ValueError, match="unsupported image type 'image/svg\\+xml'"):
        prepare(b64(png_bytes(flat_chart())), "image/svg+xml")
    truncated = png_bytes(photo(300, 200))[:5000]
    with pytest.raises(ValueError, match="not a decodable PNG"):
        prepare(truncated, "image/png")


def test_decompression_bomb_is_refused(monkeypatch):
    raw = png_bytes(Image.new("RGB", (200, 200), "white"))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)  # 40,000 pixels: over Pillow's warning threshold
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no warning leaks out
        with pytest.raises(ValueError, match="decompression bomb"):
            prepare(raw, "image/png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 5_000)  # over twice the threshold: Pillow's error
    with pytest.raises(ValueError, match="decompression bomb"):
        prepare(raw, "image/png")


# -- image_outputs and step_images -----------------------------------------------------------------------------------

def bundle(data, output_type="display_data"):
    out = {"output_type": output_type, "data": data, "metadata": {}}
    if output_type == "execute_result":
        out["execution_count"] = 1
    return out


def test_image_outputs_prefers_png_joins_lines_and_skips_others():
    png, jpeg = b64(png_bytes(flat_chart(80, 60))), b64(jpeg_bytes(photo(80, 60)))
    outputs = [
        {"output_type": "stream", "name": "stdout", "text": "hello"},
        bundle({"image/jpeg": jpeg, "image/png": png, "text/plain": "<Figure>"}),
        bundle({"text/plain": "42"}, "execute_result"),
        bundle({"image/svg+xml": "<svg/>", "text/plain": "svg"}),
        bundle({"image/jpeg": [jpeg[:50] + "\n", jpeg[50:]]}, "execute_result"),
        {"output_type": "error", "ename": "E", "evalue": "", "traceback": []},
        bundle({"image/png": None}),
    ]
    assert image_outputs(outputs) == [(1, "image/png", png), (4, "image/jpeg", jpeg[:50] + "\n" + jpeg[50:])]
    assert prepare(image_outputs(outputs)[1][2], "image/jpeg").source_width == 80  # the joined lines decode


def charts(n, size=(300, 200)):
    return [bundle({"image/png": b64(png_bytes(photo(*size, seed=i))), "text/plain": "<Figure>"}) for i in range(n)]


def test_per_step_limit_with_note():
    outputs = [{"output_type": "stream", "name": "stdout", "text": "x"}] + charts(4)
    images, notes = step_images(outputs, max_px=100, per_step=2, run_left=20)
    assert [i.output_index for i in images] == [1, 2]
    assert all(max(i.width, i.height) == 100 for i in images)
    assert notes == ["2 more images not sent: at most 2 per step (max_images_per_step)"]


def test_run_limit_with_note():
    outputs = charts(3)
    images, notes = step_images(outputs, per_step=2, run_left=1)
    assert [i.output_index for i in images] == [0]
    assert notes == ["2 more images not sent: the run's image limit is reached (max_images_per_run)"]
    images, notes = step_images(outputs, per_step=2, run_left=0)
    assert images == [] and notes == ["3 images not sent: the run's image limit is reached (max_images_per_run)"]
    assert step_images(outputs, per_step=0, run_left=5) == StepImages([], [
        "3 images not sent: at most 0 per step (max_images_per_step)"])


def test_undecodable_image_is_skipped_with_a_note_and_the_next_taken():
    outputs = charts(1) + [bundle({"image/png": b64(b"garbage")})] + charts(2)
    images, notes = step_images(outputs, per_step=2, run_left=20)
    assert [i.output_index for i in images] == [0, 2]
    assert notes[0].startswith("image of output 1 not sent: image data is not a decodable PNG or JPEG")
    assert notes[1:] == ["1 more image not sent: at most 2 per step (max_images_per_step)"]


def test_no_images_no_notes():
    assert step_images([bundle({"text/plain": "1"})]) == StepImages([], [])


def test_blocks_rebuilt_from_recorded_outputs_and_indices():
    outputs = charts(5)
    first = step_images(outputs, max_px=120, per_step=2, run_left=20)
    sent = [i.output_index for i in first.images]
    again = step_images(outputs, max_px=120, per_step=2, run_left=20, indices=sent)
    assert again.blocks() == first.blocks() and again.images == first.images and again.notes == []
    assert first.tokens == sum(image_tokens(i.width, i.height) for i in first.images) == 2 * image_tokens(120, 80)
    assert [b["type"] for b in first.blocks()] == ["image", "image"]
    only_last = step_images(outputs, max_px=120, indices={4})
    assert [i.output_index for i in only_last.images] == [4]
    assert isinstance(only_last.images[0], PreparedImage)
