import linecache

from codeact_magic.outputs import Recorder
from codeact_magic.observation import render_observation, strip_ansi, terminal_text, truncate_middle, user_traceback


def test_text_is_kept_and_streams_merge_in_order():
    outputs = [
        {"output_type": "stream", "name": "stdout", "text": "total 42\n"},
        {"output_type": "execute_result", "execution_count": 3, "data": {"text/plain": "1234.5"}, "metadata": {}},
    ]
    assert render_observation(outputs) == "total 42\n[Out] 1234.5"


def test_images_and_html_are_described_not_sent():
    png = "iVBORw0KGgo" * 5000
    outputs = [
        {"output_type": "display_data", "data": {"image/png": png, "text/plain": "<Figure size 640x480 with 1 Axes>"},
         "metadata": {"image/png": {"width": 640, "height": 480}}},
        {"output_type": "display_data", "data": {"text/html": "<table><tr><td>North</td><td>12</td></tr></table>"},
         "metadata": {}},
    ]
    text = render_observation(outputs)
    assert png not in text
    assert "[image/png image 640x480 displayed to the user" in text
    assert "<Figure size 640x480 with 1 Axes>" in text
    assert "[HTML output, 49 characters; its text: North 12]" in text


def test_long_output_keeps_head_and_tail_with_marker():
    lines = "".join(f"line {i}\n" for i in range(5000))
    text = render_observation([{"output_type": "stream", "name": "stdout", "text": lines}], max_chars=1000)
    assert text.startswith("line 0\n")
    assert text.rstrip().endswith("line 4999")
    assert "characters cut] ..." in text
    assert len(text) < 1100


def test_truncate_middle_counts_what_it_cut():
    text = "a" * 600 + "b" * 600
    cut = truncate_middle(text, 100)
    head, marker, tail = cut.split("\n")
    assert head == "a" * 60 and tail == "b" * 40
    assert marker == "... [1,100 characters cut] ..."
    assert truncate_middle("short", 100) == "short"


def test_error_text_replaces_full_traceback_and_ansi_is_removed():
    outputs = [{"output_type": "error", "ename": "KeyError", "evalue": "'Region'",
                "traceback": ["\x1b[0;31mKeyError\x1b[0m long library traceback"]}]
    text = render_observation(outputs, "error", "Traceback (...)\n  Cell In[4], line 1\nKeyError: 'Region'")
    assert "long library traceback" not in text
    assert text.endswith("KeyError: 'Region'")
    assert strip_ansi("\x1b[0;31mred\x1b[0m") == "red"


def test_empty_output_says_so():
    assert render_observation([]) == "(no output)"
    assert render_observation([], "timeout") == "(no output; status timeout)"


def test_carriage_returns_keep_what_a_terminal_shows():
    frames = "".join(f"\rprogress {i:5d}/10000" for i in range(10_000)) + "\n"
    assert terminal_text(frames) == "progress  9999/10000\n"
    assert terminal_text("windows\r\nline\r\r\nnext") == "windows\nline\nnext"
    assert terminal_text("overwritten\rfinal\n") == "final\n"
    assert terminal_text("nothing overwrote this\r") == "nothing overwrote this"
    assert terminal_text("plain\ntext") == "plain\ntext"
    bar = [{"output_type": "stream", "name": "stderr", "text": frames}]
    assert render_observation(bar) == "[stderr]\nprogress  9999/10000"


def _raise_in_cell(source, call):
    """Run ``source`` compiled as an IPython cell file would be, call ``call`` in it; return the exception."""
    namespace = {}
    for text, name in ((source, "/tmp/ipykernel_0/cell7.py"), (call, "/tmp/ipykernel_0/cell8.py")):
        linecache.cache[name] = (len(text), None, text.splitlines(True), name)  # as IPython keeps a cell's source
    exec(compile(source, "/tmp/ipykernel_0/cell7.py", "exec"), namespace)
    try:
        exec(compile(call, "/tmp/ipykernel_0/cell8.py", "exec"), namespace)
    except BaseException as error:  # noqa: BLE001 - the test wants it
        return error
    raise AssertionError("no exception")


CELLS = {"/tmp/ipykernel_0/cell7.py": 7, "/tmp/ipykernel_0/cell8.py": 8}


def test_deep_recursion_is_collapsed_to_a_few_lines():
    error = _raise_in_cell("def down(n):\n    return down(n + 1)\n", "down(0)")
    text = user_traceback(error, CELLS)
    assert text.startswith("Traceback (most recent call last; library frames folded):\n  Cell In[8], line 1\n")
    assert "  Cell In[7], line 2, in down\n    return down(n + 1)\n  [previous frame repeated " in text
    assert text.endswith("RecursionError: maximum recursion depth exceeded") and len(text) < 400


def test_a_cycle_of_frames_is_collapsed_too():
    error = _raise_in_cell("def ping(n):\n    return pong(n + 1)\ndef pong(n):\n    return ping(n + 1)\n", "ping(0)")
    text = user_traceback(error, CELLS)
    assert "in ping\n    return pong(n + 1)\n  Cell In[7], line 4, in pong\n    return ping(n + 1)\n" in text
    assert "[previous 2 frames repeated " in text and len(text) < 500


def test_a_short_traceback_is_left_whole():
    error = _raise_in_cell("def f(x):\n    return g(x)\ndef g(x):\n    return 1 / x\n", "f(0)")
    text = user_traceback(error, CELLS)
    assert "repeated" not in text and "in f\n    return g(x)" in text and "in g\n    return 1 / x" in text
    assert text.endswith("ZeroDivisionError: division by zero")


def test_recorded_streams_are_joined_cleaned_and_scrubbed():
    record = Recorder()
    for i in range(10_000):  # more than one block of chunks
        record.stream("stdout", f"\rstep {i}")
    record.stream("stdout", "\nthe pass is hun")
    record.stream("stdout", "ter2 and \udcff\n")
    record.display({"text/plain": "shown \ud800"}, {}, {"display_id": "d1"}, False)
    record.display({"text/plain": "updated"}, {}, {"display_id": "d1"}, True)
    record.stream("stderr", "\r")  # left empty by its carriage return: dropped
    record.error("ValueError", "bad \udcff", ["ValueError: bad \udcff"])
    from codeact_magic.redaction import Redactor

    outputs = record.finished(Redactor(environ={}, user_ns={"db_pass": "hunter2"}), secrets_changed=True)
    assert [o["output_type"] for o in outputs] == ["stream", "display_data", "error"]
    assert outputs[0]["text"] == "step 9999\nthe pass is <redacted> and \ufffd\n"
    assert outputs[1]["data"] == {"text/plain": "updated"}
    assert outputs[2]["evalue"] == "bad \ufffd" and outputs[2]["traceback"] == ["ValueError: bad \ufffd"]


def test_clear_output_with_wait_clears_when_the_next_output_comes():
    record = Recorder()
    record.stream("stdout", "old\n")
    record.clear(wait=True)
    assert record.outputs  # not yet
    record.stream("stdout", "new\n")
    record.clear(wait=False)
    record.stream("stdout", "newer\n")
    assert record.finished() == [{"output_type": "stream", "name": "stdout", "text": "newer\n"}]
