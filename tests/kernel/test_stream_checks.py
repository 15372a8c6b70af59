"""The model's stream is checked, not trusted: %%codeact in a real ipykernel against the stand-in over real HTTP.

A stream that ends before ``message_stop`` is asked again once, blank text blocks never go back, an undeclared tool
is never run, waiting shows in the status line, a silent API fails in time, and every failure line shows once.
"""

import re
import time

import nbformat
import pytest

from standin import error, responder, silent, turn


def text_of(message):
    content = message["content"]
    if message["msg_type"] == "stream":
        return content["text"]
    if message["msg_type"] == "error":
        return "\n".join(content["traceback"])
    return str(content.get("data", {}).get("text/plain", ""))


def shown(result):
    """What the cell shows when it is done: every output in order, each display at its last update."""
    outputs, by_id = [], {}
    for message in result.outputs():
        display_id = (message["content"].get("transient") or {}).get("display_id")
        if message["msg_type"] == "update_display_data":
            if display_id in by_id:
                outputs[by_id[display_id]] = text_of(message)
            continue
        if display_id:
            by_id[display_id] = len(outputs)
        outputs.append(text_of(message))
    return "\n".join(outputs)


def status_updates(result):
    return [text_of(m) for m in result.outputs("update_display_data") if " of 20 · " in text_of(m)]


LAST_RUN = "get_ipython().find_magic('codeact').__self__.runs[-1]"


def one_error_line(result):
    assert result.status == "error"
    errors = result.outputs("error")
    assert len(errors) == 1
    (line,) = errors[0]["content"]["traceback"]
    assert "\n" not in line
    return line


@pytest.fixture
def read_timeout_2(kernel):
    assert kernel.execute("%config CodeActMagics.read_timeout = 2").status == "ok"
    yield
    kernel.execute("%config CodeActMagics.read_timeout = 40")


@pytest.mark.parametrize("cut_after, cut", [
    (6, "close"),  # mid-answer: "Now I will l", then the body just ends
    (12, "disconnect"),  # mid-tool_use JSON: the connection drops
    (14, "close"),  # the whole tool_use came, but no message_delta and no message_stop
])
def test_a_stream_cut_short_is_asked_again_and_its_text_is_dropped(kernel, server, tmp_path, cut_after, cut):
    server.enqueue(turn("Now I will look.", "broken_ran = True", cut_after=cut_after, cut=cut),
                   turn("Looking again.", "retried = 6 * 7"), turn("It is 42."))
    result = kernel.execute("%%codeact\nWhat is 6*7?", timeout=60)
    assert result.status == "ok", result.text
    assert len(server.requests) == 3
    assert server.requests[1].body["messages"] == server.requests[0].body["messages"]  # the same turn, once more
    assert kernel.value("'broken_ran' in globals()") is False  # a cut turn's code never runs
    assert kernel.value("retried") == 42
    final = shown(result)
    assert "Now I will" not in final and "Looking again." in final and "It is 42." in final
    assert kernel.value(f"({LAST_RUN}.status, {LAST_RUN}.answer)") == ["done", "It is 42."]
    path = tmp_path / "retried.ipynb"
    assert kernel.execute(f"%codeact export {path}").status == "ok"
    notebook = nbformat.read(str(path), as_version=4)
    assert len(notebook.metadata["codeact"]["run"]["turns"]) == 2 and "Now I will" not in path.read_text()


def test_a_turn_cut_short_twice_fails_with_one_line(kernel, server):
    server.enqueue(turn("First.", "before_break = 1"), turn("Now I will look.", cut_after=6),
                   turn("Now I will look.", cut_after=6, cut="disconnect"))
    result = kernel.execute("%%codeact\nBreak twice", timeout=60)
    line = one_error_line(result)
    assert "Claude dropped mid-answer" in line and "Run the cell again" in line
    assert len(server.requests) == 3 and kernel.value("before_break") == 1
    final = shown(result)
    assert "Now I will" not in final and final.count(line.split(": ", 1)[1]) == 1
    assert kernel.value(f"({LAST_RUN}.status, len({LAST_RUN}.steps), {LAST_RUN}.answer)") == ["failed", 1, ""]


def test_blank_text_blocks_are_not_sent_back(kernel, server, tmp_path):
    server.enqueue(turn("\n\n", "blank_one = 1"), turn("", "blank_two = 2"), turn("Done."))
    result = kernel.execute("%%codeact\nTwo steps, blank texts")
    assert result.status == "ok", result.text  # the stand-in answers a blank text block with 400, as the API does
    assert kernel.value("blank_one + blank_two") == 3 and len(server.requests) == 3
    for request in server.requests:
        for message in request.body["messages"]:
            assert all(b.get("text", "x").strip() for b in message["content"] if b["type"] == "text")
    path = tmp_path / "blank.ipynb"
    kernel.execute(f"%codeact export {path}")
    notebook = nbformat.read(str(path), as_version=4)
    nbformat.validate(notebook)
    assert [c.cell_type for c in notebook.cells] == ["markdown", "code", "code", "markdown"]  # no empty reasoning
    assert all(c.source.strip() for c in notebook.cells)
    recorded = [b for t in notebook.metadata["codeact"]["run"]["turns"] for b in t["content"] if b["type"] == "text"]
    assert [b["text"] for b in recorded] == ["Done."]  # the record holds what went back, not the blank blocks


def test_a_tool_use_for_an_undeclared_tool_is_answered_not_run(kernel, server):
    server.enqueue(turn("Let me use the shell.", "undeclared_ran = True", tool="bash"),
                   turn("With python, then.", "declared_ran = True"), turn("Done."))
    result = kernel.execute("%%codeact\nUse a tool")
    assert result.status == "ok", result.text
    assert kernel.value("'undeclared_ran' in globals()") is False and kernel.value("declared_ran") is True
    (fed_back,) = [b for b in server.requests[1].body["messages"][-1]["content"] if b["type"] == "tool_result"]
    assert fed_back["is_error"] is True and "no tool named 'bash'" in fed_back["content"]
    assert "Step 1" in result.text and "Step 2" not in result.text and "undeclared_ran" not in result.text


def test_waiting_for_claude_counts_the_seconds_in_the_status_line(kernel, server):
    server.enqueue(responder(lambda body: time.sleep(3.5) or turn("Done after a wait.")))
    result = kernel.execute("%%codeact\nTake your time", timeout=60)
    assert result.status == "ok", result.text
    # updates from the display's ticker thread reach this cell's output (ipykernel parents them to the cell)
    statuses = status_updates(result)
    waiting = [re.match(r"running · waiting for Claude · (\d+) s · step 0 of 20 · .* · (\d+\.\d) s$", s)
               for s in statuses]
    seconds = [int(m.group(1)) for m in waiting if m]
    assert seconds[:1] == [0] and len(seconds) >= 3 and seconds == sorted(seconds) and seconds[-1] >= 2
    elapsed = [float(m.group(2)) for m in waiting if m]
    assert elapsed == sorted(elapsed) and elapsed[-1] >= 2
    assert statuses[-1].startswith("done · step 0 of 20") and not waiting[-1]
    assert "waiting for Claude" not in shown(result)
    # the ticker is stopped, not left running in the kernel
    time.sleep(1.5)
    assert kernel.value("[t.name for t in __import__('threading').enumerate() if t.name == 'codeact-waiting']") == []
    assert kernel.execute("1").outputs("update_display_data") == []


def test_a_silent_api_fails_in_time_with_one_line(kernel, server, read_timeout_2):
    server.enqueue(silent(), silent(), silent())
    started = time.monotonic()
    result = kernel.execute("%%codeact\nAnyone there?", timeout=60)
    took = time.monotonic() - started
    line = one_error_line(result)
    # 3 attempts (the SDK's 2 retries) of 2 s each, plus its backoff of about 0.5 s and 1 s
    assert 6 <= took < 15 and len(server.requests) == 3
    assert "timed out" in line and "for 2 s" in line and "on all 3 attempts" in line and "read_timeout" in line
    assert shown(result).count(line.split(": ", 1)[1]) == 1


def test_a_stream_that_stalls_is_asked_again_then_fails_with_one_line(kernel, server, read_timeout_2):
    server.enqueue(turn("Let me think.", cut_after=4, cut="stall"), turn("Let me think.", cut_after=4, cut="stall"))
    started = time.monotonic()
    result = kernel.execute("%%codeact\nStall", timeout=60)
    line = one_error_line(result)
    assert 4 <= time.monotonic() - started < 12 and len(server.requests) == 2
    assert "stalled: no byte for 2 s (read timeout)" in line and "read_timeout" in line
    assert "Let me" not in shown(result)


def test_a_failure_line_shows_once(kernel, server):
    server.enqueue(turn("First step.", "once = 1"), error(400, message="messages: bad block"))
    result = kernel.execute("%%codeact\nFail once")
    line = one_error_line(result)
    reason = line.split(": ", 1)[1]
    assert "400" in reason and result.text.count(reason) == 1
    assert shown(result).count("Claude rejected the request") == 1
    assert "failed · step 1 of 20" in status_updates(result)[-1]  # the status line still says how it ended
