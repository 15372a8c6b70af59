"""The model sees its own figures: a step's image outputs go back as ``image`` blocks of its ``tool_result``, in a real
ipykernel with matplotlib, against the stand-in Messages API over real HTTP."""

from __future__ import annotations

import base64
import io

from PIL import Image
from kernel_harness import export_run, tool_results
from standin import turn

LAST_RUN = "get_ipython().magics_manager.registry['CodeActMagics'].runs[-1].to_json()"

#: A 3000 x 2000 px figure, displayed as a PNG (savefig at 300 dpi gives exactly that size).
BIG_FIGURE = """\
import io
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from IPython.display import Image, display
fig, ax = plt.subplots(figsize=(10, 2000 / 300))
ax.plot(range(100), [x * x for x in range(100)])
ax.set_title("squares")
buf = io.BytesIO()
fig.savefig(buf, format="png", dpi=300)
plt.close(fig)
display(Image(buf.getvalue()))
"""


def images_of(result_block: dict) -> list[dict]:
    content = result_block["content"]
    return [b for b in content if b.get("type") == "image"] if isinstance(content, list) else []


def text_of(result_block: dict) -> str:
    content = result_block["content"]
    return content if isinstance(content, str) else "\n".join(b["text"] for b in content if b["type"] == "text")


def test_a_3000_px_figure_reaches_the_model_downscaled_within_the_limits(kernel, server, tmp_path):
    server.enqueue(turn("Plot it.", BIG_FIGURE), turn("The curve is a parabola."))
    result = kernel.execute("%%codeact\nPlot the squares.")
    assert result.status == "ok", result.text
    block = tool_results(server.requests[1])[0]
    [image] = images_of(block)
    assert image["source"]["type"] == "base64" and image["source"]["media_type"] in ("image/png", "image/jpeg")
    data = base64.b64decode(image["source"]["data"])
    assert len(image["source"]["data"]) <= 5 * 1024 * 1024
    with Image.open(io.BytesIO(data)) as sent:
        assert max(sent.size) == 1568 and abs(sent.size[0] / sent.size[1] - 1.5) < 0.01
    text = text_of(block)
    assert "3000x2000" in text and "image 1 attached below" in text  # the text description is sent too
    assert block["content"][0]["type"] == "text"  # the text first, then the image
    run = kernel.value(LAST_RUN)
    [record] = run["steps"][0]["images"]
    assert (record["width"], record["height"], record["source_width"]) == (1568, 1045, 3000)
    assert record["tokens"] == -(-1568 * 1045 // 750)
    assert run["usage"]["image_tokens"] == record["tokens"]  # one request carried it
    # the record and the export keep the image once, in the cell's output, as it was displayed
    notebook, meta = export_run(kernel, tmp_path / "figure.ipynb")
    step = [c for c in notebook.cells if c.metadata.get("codeact", {}).get("role") == "step"][0]
    [png] = [o for o in step.outputs if "image/png" in o.get("data", {})]
    with Image.open(io.BytesIO(base64.b64decode(png["data"]["image/png"]))) as kept:
        assert kept.size == (3000, 2000)
    assert "data" not in str(meta["steps"][0]["images"])


def test_no_images_sends_only_the_description(kernel, server):
    server.enqueue(turn("Plot it.", BIG_FIGURE), turn("Done."))
    result = kernel.execute("%%codeact --no-images\nPlot the squares.")
    assert result.status == "ok", result.text
    block = tool_results(server.requests[1])[0]
    assert images_of(block) == []
    assert "[image/png image" in text_of(block) and "displayed to the user" in text_of(block)
    run = kernel.value(LAST_RUN)
    assert run["steps"][0]["images"] == [] and run["usage"]["image_tokens"] == 0


def test_at_most_two_images_a_step_and_old_images_give_way_to_text(kernel, server):
    three = ("%matplotlib inline\nimport matplotlib.pyplot as plt\n"
             "for k in range(3):\n    fig, ax = plt.subplots()\n    ax.bar([1, 2], [k, k + 1])\n    plt.show()\n")
    server.enqueue(turn("Three charts.", three), turn("Again.", "x1 = 1"), turn("Again.", "x2 = 2"),
                   turn("Again.", "x3 = 3"), turn("Done."))
    result = kernel.execute("%%codeact\nThree charts, then three more steps.")
    assert result.status == "ok", result.text
    first = tool_results(server.requests[1])[0]
    assert len(images_of(first)) == 2
    assert "1 more image not sent: at most 2 per step" in text_of(first)
    # sent with the next 3 requests, then replaced by text
    counts = []
    for request in server.requests[1:]:
        block = request.body["messages"][2]["content"][0]
        counts.append(len(images_of(block)))
    assert counts == [2, 2, 2, 0]
    gone = server.requests[4].body["messages"][2]["content"][0]["content"]
    assert "no longer attached" in gone[-1]["text"]
    run = kernel.value(LAST_RUN)
    assert len(run["steps"][0]["images"]) == 2
    per_image = run["steps"][0]["images"][0]["tokens"] + run["steps"][0]["images"][1]["tokens"]
    assert run["usage"]["image_tokens"] == 3 * per_image
