"""%%codeact in a real ipykernel (jupyter_client), against the stand-in Messages API over real HTTP."""

import json
import threading
import time
import uuid
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from kernel_harness import Kernel, runs_table, tool_results
from standin import broken, error, turn


def first_text(request):
    return request.body["messages"][0]["content"][0]["text"]


def test_multi_step_run_in_the_users_namespace(kernel, server, tmp_path):
    kernel.execute("import pandas as pd\norders = pd.DataFrame({'product': ['a', 'b', 'a'], 'qty': [1, 5, 1], "
                   "'price': [2.0, 1.0, 2.0]})")
    server.enqueue(
        turn("First the columns.", "orders.columns.tolist()"),
        turn("Revenue by product.", "orders['Revenue'] = orders.qty * orders.Price"),
        turn("The column is lowercase.", "orders['revenue'] = orders.qty * orders.price\n"
             "best = orders.groupby('product').revenue.sum().idxmax()\nprint('best:', best)\nbest"),
        turn("**b** sells best (revenue 5.0)."),
    )
    result = kernel.execute("%%codeact\nWhich product has the most revenue in `orders`?",
                            metadata={"cellId": "cell-xyz"})
    assert result.status == "ok", result.text
    assert "Warning" not in result.stderr  # e.g. trio warns when an extension installs a custom exception handler
    # the code ran in the user's namespace: its variables are theirs
    assert kernel.value("best") == "b"
    assert kernel.value("sorted(orders.columns)") == ["price", "product", "qty", "revenue"]
    # the request carried the task and the DataFrame's summary, the tool and caching breakpoints
    first = server.requests[0]
    assert "Which product has the most revenue" in first_text(first)
    assert "orders" in first_text(first) and "qty" in first_text(first)
    assert first.body["tools"][0]["name"] == "python"
    assert first.body["stream"] is True and "temperature" not in first.body
    # the error was fed back with is_error and the model fixed it
    results = tool_results(server.requests[2])
    assert results[0]["is_error"] is True and "AttributeError" in results[0]["content"]
    assert "Price" in results[0]["content"]
    assert tool_results(server.requests[3])[0]["content"].startswith("best: b")
    # shown live: step code, its outputs, status line, the answer
    shown = result.text
    assert "Step 1" in shown and "orders.columns.tolist()" in shown and "best: b" in shown
    assert "b** sells best" in shown or "b sells best" in shown
    statuses = [m for m in result.outputs("update_display_data") if "step" in m["content"]["data"]["text/plain"]]
    assert statuses and statuses[-1]["content"]["data"]["text/plain"].startswith("done · step 3 of 20")
    # execution counts of the steps increase, and the cells went to the frontend with them
    cells = [m for m in result.codeact("cell")]
    steps = [c["cell"] for c in cells if c["cell"]["cell_type"] == "code"]
    counts = [c["execution_count"] for c in steps]
    assert len(counts) == 3 and counts == sorted(counts) and len(set(counts)) == 3
    assert all(c["cell_id"] == "cell-xyz" for c in cells)
    assert cells[-1]["cell"]["metadata"]["codeact"]["role"] == "answer"
    assert steps[1]["outputs"][-1]["output_type"] == "error"
    # runs and export
    runs = runs_table(kernel.execute("%codeact runs").stdout)
    assert (runs[0]["status"], runs[0]["steps"], runs[0]["task"]) == ("done", "3", "Which product has the most "
                                                                     "revenue in `orders`?")
    out = tmp_path / "exported.ipynb"
    exported = kernel.execute(f"%codeact export {out}")
    assert exported.status == "ok" and "Exported run" in exported.stdout
    notebook = nbformat.read(str(out), as_version=4)
    nbformat.validate(notebook)
    # the task, the user's cell that made `orders` (setup), then the run
    assert [c.cell_type for c in notebook.cells] == ["markdown", "code", "markdown", "code", "markdown", "code",
                                                     "markdown", "code", "markdown"]
    assert notebook.cells[1].metadata["codeact"]["role"] == "setup" and "orders = pd.DataFrame" in notebook.cells[1].source
    assert notebook.metadata["codeact"]["run"]["model"] == "claude-sonnet-5-5"
    assert len(notebook.metadata["codeact"]["run"]["turns"]) == 4


def test_export_reexecutes_in_a_fresh_kernel(kernel, server, tmp_path):
    server.enqueue(
        turn("Make data.", "import math\nvalues = [math.sqrt(i) for i in range(10)]"),
        turn("A wrong name first.", "total = sum(valuez)"),
        turn("Fix it.", "total = round(sum(values), 3)\ntotal"),
        turn("The total is 19.306."),
    )
    assert kernel.execute("%%codeact\nSum the square roots of 0..9").status == "ok"
    path = tmp_path / "run.ipynb"
    kernel.execute(f"%codeact export {path}")
    notebook = nbformat.read(str(path), as_version=4)
    NotebookClient(notebook, timeout=60, kernel_name="python3").execute()
    nbformat.validate(notebook)
    last = [c for c in notebook.cells if c.cell_type == "code"][-1]
    assert last.outputs[0]["data"]["text/plain"] == "19.306"


def test_replay_runs_the_recorded_code_without_a_model(kernel, server, tmp_path):
    server.enqueue(turn("Compute.", "replayed = 6 * 7\nprint(replayed)"), turn("It is 42."))
    kernel.execute("%%codeact\nWhat is 6*7?")
    path = tmp_path / "rec.ipynb"
    kernel.execute(f"%codeact export {path}")
    fresh = Kernel({"ANTHROPIC_API_KEY": None})
    try:
        fresh.execute("%load_ext codeact_magic")
        result = fresh.execute(f"%%codeact --replay {path}\nWhat is 6*7?")
        assert result.status == "ok", result.text
        assert "Replaying the recorded run" in result.stdout
        assert fresh.value("replayed") == 42
        assert "It is 42." in result.text
    finally:
        fresh.shutdown()
    assert len(server.requests) == 2  # only the original run asked the model


def test_step_timeout_interrupts_sleep_and_the_run_goes_on(kernel, server):
    server.enqueue(
        turn("Wait a long time.", "import time\ntime.sleep(60)"),
        turn("That was too slow; go on.", "after_timeout = 'alive'\nafter_timeout"),
        turn("Done."),
    )
    start = time.monotonic()
    result = kernel.execute("%%codeact --timeout 1\nSleep then report", timeout=60)
    assert time.monotonic() - start < 30
    assert result.status == "ok", result.text
    fed_back = tool_results(server.requests[1])[0]
    assert fed_back["is_error"] is True and "TimeoutError" in fed_back["content"] and "1 s" in fed_back["content"]
    assert kernel.value("after_timeout") == "alive"
    assert kernel.value("1 + 1") == 2


def test_user_interrupt_stops_the_run_and_keeps_the_steps(kernel, server, tmp_path):
    server.enqueue(
        turn("Step one.", "kept = 'yes'"),
        turn("Now a long wait.", "import time\ntime.sleep(60)"),
        turn("Never reached.", "never = 1"),
    )
    def interrupt_when_sleeping(message):
        data = (message["content"].get("data") or {}) if message["msg_type"] == "comm_msg" else {}
        run = data.get("run") or {}
        if run.get("current_code", "") and "sleep" in run["current_code"]:
            threading.Timer(0.5, kernel.interrupt).start()
    result = kernel.execute("%%codeact\nDo two things", timeout=60, on_message=interrupt_when_sleeping)
    assert result.status == "ok", result.text
    assert kernel.value("kept") == "yes"
    assert kernel.value("'never' in globals()") is False
    newest = runs_table(kernel.execute("%codeact runs").stdout)[0]  # newest first
    assert (newest["status"], newest["steps"]) == ("stopped", "2")
    assert "Stopped by the user after 2 steps." in result.text
    path = tmp_path / "stopped.ipynb"
    assert kernel.execute(f"%codeact export {path}").status == "ok"
    nbformat.validate(nbformat.read(str(path), as_version=4))


def test_step_limit_is_said_plainly(kernel, server):
    server.enqueue(*(turn(f"Step {i}.", f"x{i} = {i}") for i in range(4)))
    result = kernel.execute("%%codeact --max-steps 2\nCount forever")
    assert result.status == "ok"
    assert "Stopped at the step limit (2 steps)" in result.text
    assert len(server.requests) == 3  # the third asked for an answer after the last step


def test_huge_output_is_cut_for_the_model(kernel, server):
    server.enqueue(turn("Print a lot.", "print('x' * 200_000)\nprint('THE END')"), turn("Done."))
    kernel.execute("%%codeact\nPrint a lot")
    content = tool_results(server.requests[1])[0]["content"]
    assert len(content) < 10_500 and "characters cut]" in content and content.rstrip().endswith("THE END")


def test_retries_529_then_success_and_429_with_retry_after(kernel, server):
    server.enqueue(error(529), turn("Fine now.", "ok529 = True"), error(429, retry_after=0), turn("Done."))
    result = kernel.execute("%%codeact\nSurvive overload")
    assert result.status == "ok", result.text
    assert kernel.value("ok529") is True
    assert len(server.requests) == 4


@pytest.mark.parametrize("failure,expected", [
    (error(401), "401"),
    (error(400, message="messages: bad block"), "400"),
    (broken("I will", mode="error_event"), "Overloaded"),
    (broken("I will", mode="disconnect"), ""),
])
def test_non_retryable_failure_is_one_line_and_keeps_the_steps(kernel, server, tmp_path, failure, expected):
    server.enqueue(turn("First step.", "survivor = 'kept'"), failure)
    result = kernel.execute("%%codeact\nFail after one step", timeout=90)
    assert result.status == "error"
    errors = result.outputs("error")
    assert len(errors) == 1 and len(errors[0]["content"]["traceback"]) == 1
    line = errors[0]["content"]["traceback"][0]
    assert expected in line and "\n" not in line and "sk-ant-test" not in result.text
    assert kernel.value("survivor") == "kept"
    newest = runs_table(kernel.execute("%codeact runs").stdout)[0]
    assert (newest["status"], newest["steps"]) == ("failed", "1")
    path = tmp_path / "failed.ipynb"
    assert kernel.execute(f"%codeact export {path}").status == "ok"
    nbformat.validate(nbformat.read(str(path), as_version=4))


def test_empty_task_and_bad_options_send_nothing(kernel, server):
    empty = kernel.execute("%%codeact\n   \n")
    assert empty.status == "error" and "The task is empty" in empty.text
    bad = kernel.execute("%%codeact --max-steps many\nDo it")
    assert bad.status == "error" and "UsageError" in bad.text and len(bad.text.splitlines()) <= 3
    assert server.requests == []


def test_missing_key_is_caught_before_any_request(server):
    k = Kernel({"ANTHROPIC_BASE_URL": server.url, "ANTHROPIC_API_KEY": None, "ANTHROPIC_AUTH_TOKEN": None})
    try:
        k.execute("%load_ext codeact_magic")
        result = k.execute("%%codeact\nAnything")
        assert result.status == "error"
        assert "ANTHROPIC_API_KEY is not set" in result.text and len(result.text.splitlines()) <= 2
    finally:
        k.shutdown()
    assert server.requests == []


def test_secrets_never_reach_the_model_or_the_output(kernel, server):
    kernel.execute("import os\nos.environ['MY_SERVICE_TOKEN'] = 'tok-env-value-123'\n"
                   "db_password = 'hunter2-very-secret'\nnote = 'key is sk-ant-api03-" + "A" * 40 + "'\nenv = os.environ")
    server.enqueue(turn("Done."))
    result = kernel.execute("%%codeact\nList what you see")
    sent = json.dumps(server.requests[0].body)
    assert "db_password" in sent and "hunter2-very-secret" not in sent
    assert "sk-ant-api03-" + "A" * 40 not in sent and "tok-env-value-123" not in sent
    assert "sk-ant-test-0000" not in sent and "sk-ant-test-0000" not in result.text


def test_huge_namespace_keeps_the_request_bounded(kernel, server):
    kernel.execute("import numpy as np\nfor _i in range(20_000): globals()[f'v{_i}'] = _i\n"
                   "big = np.empty((60_000, 10_000))")
    server.enqueue(turn("Done."))
    start = time.monotonic()
    kernel.execute("%%codeact\nSummarize")
    assert time.monotonic() - start < 20
    text = first_text(server.requests[0])
    assert len(text) < 9_000 and "big" in text and "(60000, 10000)" in text.replace(", ", ", ")
    kernel.execute("for _i in range(20_000): del globals()[f'v{_i}']\ndel big")


def test_prompt_caching_breakpoints_move_forward(kernel, server):
    server.enqueue(turn("One.", "c1 = 1"), turn("Two.", "c2 = 2"), turn("Done."))
    kernel.execute("%%codeact\nCache me")
    for request in server.requests:
        body = request.body
        marks = json.dumps(body).count('"cache_control"')
        assert marks == 3
        assert "cache_control" in body["system"][-1] and "cache_control" in body["tools"][-1]
        assert "cache_control" in body["messages"][-1]["content"][-1]
    usage = [r for r in server.requests]
    assert len(usage) == 3


def test_help_lists_the_options(kernel):
    result = kernel.execute("%%codeact?\n")
    page = json.dumps([m["content"] for m in result.messages]) + json.dumps(result.reply["content"])
    for option in ("--model", "--max-steps", "--timeout", "--replay", "--no-insert"):
        assert option in page
    plain = kernel.execute("%codeact")
    assert "%codeact export PATH" in plain.stdout


def test_config_sets_defaults(kernel, server):
    kernel.execute("%config CodeActMagics.max_steps = 1")
    try:
        server.enqueue(turn("a", "cfg1 = 1"), turn("b", "cfg2 = 2"))
        result = kernel.execute("%%codeact\nTwo steps please")
        assert "Stopped at the step limit (1 step)" in result.text
    finally:
        kernel.execute("%config CodeActMagics.max_steps = 20")


def test_a_printed_api_key_is_kept_out_of_the_record_and_the_model(kernel, server, tmp_path):
    server.enqueue(turn("Let me look at the environment.", "import os\nprint(os.environ['ANTHROPIC_API_KEY'])"),
                   turn("Done."))
    kernel.execute("%%codeact\nShow the environment")
    fed_back = tool_results(server.requests[1])[0]["content"]
    assert "sk-ant-test-0000" not in fed_back and "<redacted>" in fed_back
    path = tmp_path / "env.ipynb"
    kernel.execute(f"%codeact export {path}")
    assert "sk-ant-test-0000" not in path.read_text()


def test_429_after_the_sdk_retries_is_one_clear_line(kernel, server):
    server.enqueue(*(error(429, retry_after=0.01) for _ in range(3)))
    result = kernel.execute("%%codeact\nRate limit me")
    assert result.status == "error" and len(server.requests) == 3  # the SDK's own 2 retries
    (line,) = result.outputs("error")[0]["content"]["traceback"]
    assert "Rate limited by the API (429) after 2 retries" in line and "Wait a minute" in line


def test_connection_failure_names_the_address(kernel, server):
    kernel.execute("import os\n_saved_url = os.environ['ANTHROPIC_BASE_URL']\n"
                   "os.environ['ANTHROPIC_BASE_URL'] = 'http://127.0.0.1:9'")
    try:
        kernel.execute("%config CodeActMagics.max_retries = 0")
        result = kernel.execute("%%codeact\nAnything", timeout=60)
    finally:
        kernel.execute("os.environ['ANTHROPIC_BASE_URL'] = _saved_url\n%config CodeActMagics.max_retries = 2")
    (line,) = result.outputs("error")[0]["content"]["traceback"]
    assert "Could not reach the Anthropic API at http://127.0.0.1:9" in line and "ANTHROPIC_BASE_URL" in line


def test_export_to_a_missing_directory_is_one_line_and_creates_nothing(kernel, server, tmp_path):
    server.enqueue(turn("Compute.", "exported_value = 3"), turn("Done."))
    assert kernel.execute("%%codeact\nSet a value").status == "ok"
    missing = Path("/") / f"codeact-missing-{uuid.uuid4().hex[:8]}"  # at the file system's root, as a user typed it
    result = kernel.execute(f"%codeact export {missing}/out.ipynb")
    assert result.status == "error"
    (line,) = result.outputs("error")[0]["content"]["traceback"]
    assert f"the directory {missing} does not exist" in line and "\n" not in line
    assert not missing.exists()
    # nothing was lost: the same run still exports where the directory exists
    path = tmp_path / "kept.ipynb"
    assert kernel.execute(f"%codeact export {path}").status == "ok"
    nbformat.validate(nbformat.read(str(path), as_version=4))
