"""``--isolated``: the steps run in a confined ipykernel of their own (rlimits, no network, ipc transport), started
through ``jupyter_client`` from the user's real ipykernel, against the stand-in Messages API over real HTTP."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

from kernel_harness import tool_results
from standin import turn

pytestmark = pytest.mark.skipif(__import__("codeact_magic.confine", fromlist=["x"]).network_isolation() is not None,
                                reason="no network namespace on this machine")


def last_run(kernel) -> dict:
    return kernel.value("get_ipython().magics_manager.registry['CodeActMagics'].runs[-1].to_json()")


@pytest.fixture()
def listener():
    """A TCP port listening on 127.0.0.1, as a local service the sandbox must not reach."""
    with socket.create_server(("127.0.0.1", 0)) as sock:
        yield sock.getsockname()[1]


def test_steps_run_in_another_process_with_only_the_copied_data(kernel, server, listener):
    kernel.execute("import os, pandas as pd\norders = pd.DataFrame({'amount': [5, 7, 9]})\nsecret_plan = 'mine'\n"
                   "user_pid = os.getpid()")
    server.enqueue(turn("Where am I?", "import os\nprint(os.getpid(), os.getcwd())\nprint('secret_plan' in globals())"),
                   turn("Change it.", "orders['double'] = orders.amount * 2\ntotal = int(orders.double.sum())\n"
                        "user_pid = 0"),
                   turn("Network?", f"import socket\nsocket.create_connection(('127.0.0.1', {listener}), timeout=3)"),
                   turn("Write a file.", "orders.to_csv('orders.csv')"),
                   turn("Total 42."))
    result = kernel.execute("%%codeact --isolated --with orders --return total,orders\nDouble the orders.")
    assert result.status == "ok", result.text
    run = last_run(kernel)
    assert run["status"] == "done" and run["isolation"]["kernel"] == "local"
    pid_line, seen_secret = run["steps"][0]["observation"].splitlines()[:2]
    pid, cwd = pid_line.split(" ", 1)
    assert int(pid) != kernel.value("os.getpid()")
    assert Path(cwd) == Path(run["isolation"]["workdir"]) and cwd.endswith(f".codeact/sandbox/{run['run_id']}")
    assert seen_secret == "False"
    # the model's summary described the sandbox (orders only), not the user's namespace
    first = server.requests[0].body["messages"][0]["content"][0]["text"]
    assert "orders" in first and "secret_plan" not in first and "user_pid" not in first
    assert "isolated" in server.requests[0].body["system"][0]["text"]
    # a local port cannot be reached: a new network namespace
    assert run["steps"][2]["status"] == "error" and "Network is unreachable" in run["steps"][2]["observation"]
    # the user's namespace is unchanged but for the names returned
    assert kernel.value("user_pid") == kernel.value("os.getpid()")
    assert kernel.value("total") == 42 and kernel.value("list(orders.columns)") == ["amount", "double"]
    assert "Copied total, orders back from the sandbox." in result.stdout
    # files are the sandbox's, kept after the run, and reported on the step
    assert (Path(cwd) / "orders.csv").exists()
    assert run["steps"][3]["files"]["changes"] == [{"path": "orders.csv", "change": "created",
                                                    "size": (Path(cwd) / "orders.csv").stat().st_size}]
    size = (Path(cwd) / "orders.csv").stat().st_size
    assert run["steps"][3]["observation"].endswith(f"files: + orders.csv {size} B")
    assert run["steps"][3]["execution_count"] is None  # it did not run in this kernel


def test_with_names_that_cannot_be_pickled_fail_in_one_line(kernel, server):
    kernel.execute("import threading\nlock = threading.Lock()\nfine = 1")
    result = kernel.execute("%%codeact --isolated --with fine,lock,missing\nAnything.")
    assert result.status == "error" and result.error["ename"] == "UsageError"
    text = result.error["evalue"]
    assert "lock: cannot be pickled" in text and "missing: not defined" in text and "fine:" not in text
    assert server.requests == []


def test_with_without_isolated_is_refused(kernel, server):
    result = kernel.execute("%%codeact --with df\nAnything.")
    assert result.status == "error" and "add --isolated" in result.error["evalue"]


def test_a_memory_hog_and_a_dead_kernel_leave_the_user_kernel_and_the_state(kernel, server):
    server.enqueue(turn("State.", "base = 41"),
                   turn("Hog.", "hog = bytearray(64 * 2**30)"),
                   turn("Die.", "import os\nos._exit(9)"),
                   turn("Again.", "answer = base + 1\nprint(answer)"),
                   turn("It is 42."))
    result = kernel.execute("%%codeact --isolated --return answer\nSurvive.")
    assert result.status == "ok", result.text
    run = last_run(kernel)
    steps = run["steps"]
    assert steps[1]["status"] == "error" and "MemoryError" in steps[1]["observation"]
    assert steps[2]["status"] == "error" and "the sandbox kernel died while running this step" in steps[2]["observation"]
    assert steps[3]["status"] == "ok" and steps[3]["observation"].startswith("42")
    assert steps[3]["environment"]["recreated"] is True and steps[3]["environment"]["replayed"] == 1
    assert "recreated before this step" in steps[3]["observation"]
    assert kernel.value("answer") == 42
    assert kernel.execute("print('user kernel alive')").stdout.strip() == "user kernel alive"


def test_a_step_past_its_timeout_is_interrupted_and_the_run_goes_on(kernel, server):
    server.enqueue(turn("Slow.", "import time\nkept = 5\ntime.sleep(60)"),
                   turn("Next.", "print(kept * 2)"),
                   turn("Done."))
    result = kernel.execute("%%codeact --isolated --timeout 2\nBe slow.")
    assert result.status == "ok", result.text
    steps = last_run(kernel)["steps"]
    assert steps[0]["status"] == "timeout" and "timeout of 2 s" in steps[0]["observation"]
    assert steps[1]["status"] == "ok" and steps[1]["observation"].startswith("10")
    assert tool_results(server.requests[1])[0]["is_error"] is True


def test_stop_interrupts_the_sandbox_and_keeps_the_steps(kernel, server):
    server.enqueue(turn("One.", "kept = 'yes'"), turn("Wait.", "import time\ntime.sleep(60)"),
                   turn("Never.", "never = 1"))

    def interrupt_when_sleeping(message):
        data = (message["content"].get("data") or {}) if message["msg_type"] == "comm_msg" else {}
        if "sleep" in ((data.get("run") or {}).get("current_code") or ""):
            threading.Timer(0.5, kernel.interrupt).start()

    started = time.monotonic()
    result = kernel.execute("%%codeact --isolated\nWait.", timeout=60, on_message=interrupt_when_sleeping)
    assert result.status == "ok", result.text
    assert time.monotonic() - started < 30
    run = last_run(kernel)
    assert run["status"] == "stopped" and [s["status"] for s in run["steps"]] == ["ok", "interrupted"]
    assert "KeyboardInterrupt" in run["steps"][1]["observation"] and len(server.requests) == 2
    assert kernel.execute("print('user kernel alive')").stdout.strip() == "user kernel alive"


def test_a_follow_up_of_an_isolated_run_goes_on_in_a_sandbox_with_its_state(kernel, server):
    server.enqueue(turn("Set.", "carried = 20"), turn("Set it."))
    assert kernel.execute("%%codeact --isolated\nSet a value.").status == "ok"
    first = last_run(kernel)
    server.enqueue(turn("Use.", "print(carried + 1)"), turn("21."))
    follow = kernel.execute("%%codeact -c --approve always\nAdd one.", stdin=["y"])
    assert follow.status == "ok", follow.text
    run = last_run(kernel)
    assert run["run_id"] == first["run_id"] and run["steps"][1]["observation"].startswith("21")
    assert follow.prompts[0].startswith("Run step 2?")
    assert "carried" in server.requests[-2].body["messages"][-1]["content"][0]["text"]  # the sandbox's summary
    assert kernel.value("'carried' in globals()") is False


def test_a_returned_value_that_would_run_code_here_is_not_copied(kernel, server, tmp_path):
    marker = tmp_path / "pwned"
    server.enqueue(turn("Leave a trap.", "import os\nclass Trap:\n    def __reduce__(self):\n"
                        f"        return (os.system, ('touch {marker}',))\ntrap = Trap()\nfine = [1, 2]"),
                   turn("Done."))
    result = kernel.execute("%%codeact --isolated --return trap,fine\nReturn them.")
    assert result.status == "ok", result.text
    assert not marker.exists()
    assert kernel.value("fine") == [1, 2] and kernel.value("'trap' in globals()") is False
    assert "Not copied: trap (not data this kernel builds from a sandbox: " in result.stdout
    assert last_run(kernel)["isolation"]["not_returned"]["trap"].startswith("not data")


def test_outputs_that_would_run_code_in_the_users_page_are_made_inert(kernel, server):
    server.enqueue(turn("Show.", "from IPython.display import HTML, Javascript, display\n"
                        "display(Javascript('alert(1)'))\ndisplay(HTML('<b>ok</b><script>alert(2)</script>'))\n"
                        "display(HTML('<b>table</b>'))"),
                   turn("Done."))
    result = kernel.execute("%%codeact --isolated\nShow things.")
    assert result.status == "ok", result.text
    outputs = last_run(kernel)["steps"][0]["outputs"]
    assert [sorted(o["data"]) for o in outputs] == [["text/plain"], ["text/plain"], ["text/html", "text/plain"]]
    shown = [m["content"]["data"] for m in result.outputs("display_data")]
    assert not any("application/javascript" in d or "<script" in str(d.get("text/html", "")) for d in shown)
