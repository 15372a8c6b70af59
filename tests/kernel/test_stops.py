"""Stopping a step in a real ipykernel: a timeout or the user's interrupt ends it whatever the code does with SIGINT.

Each step runs inside a ``%%codeact`` cell served by the stand-in; the run record comes back with ``%codeact export``.
"""

import threading
import time


from kernel_harness import export_run as exported, tool_results
from standin import turn


def interrupt_when_running(kernel, marker, delay=0.5):
    """An ``on_message`` callback that interrupts the kernel once the running step's code contains ``marker``."""
    fired = []

    def on_message(message):
        data = (message["content"].get("data") or {}) if message["msg_type"] == "comm_msg" else {}
        code = (data.get("run") or {}).get("current_code") or ""
        if marker in code and not fired:
            fired.append(time.monotonic())
            threading.Timer(delay, kernel.interrupt).start()

    return on_message, fired


IGNORES_SIGINT = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"


def test_timeout_stops_a_step_that_ignores_sigint_and_the_run_goes_on(kernel, server, tmp_path):
    server.enqueue(
        turn("Spin.", IGNORES_SIGINT),
        turn("Go on.", "import signal\nafter_spin = 'alive'\n"
             "handler_in_next_step = signal.getsignal(signal.SIGINT) is signal.default_int_handler"),
        turn("Done."),
    )
    start = time.monotonic()
    result = kernel.execute("%%codeact --timeout 3\nSpin, then go on", timeout=60)
    assert time.monotonic() - start < 3 + 15
    assert result.status == "ok", result.text
    fed_back = tool_results(server.requests[1])[0]
    assert fed_back["is_error"] is True and "TimeoutError" in fed_back["content"] and "3 s" in fed_back["content"]
    # the next step started with the kernel's handler, not the SIG_IGN the first one set
    assert kernel.value("handler_in_next_step") is True and kernel.value("after_spin") == "alive"
    _, run = exported(kernel, tmp_path / "spin.ipynb")
    assert [s["status"] for s in run["steps"]] == ["timeout", "ok"] and run["status"] == "done"
    # and after the run the kernel's own interrupt works again
    threading.Timer(1.0, kernel.interrupt).start()
    start = time.monotonic()
    plain = kernel.execute("import time\ntime.sleep(30)", timeout=40)
    assert time.monotonic() - start < 15 and plain.status == "error" and "KeyboardInterrupt" in plain.text


def test_user_stop_ends_a_step_that_ignores_sigint_and_keeps_the_steps(kernel, server, tmp_path):
    server.enqueue(
        turn("Step one.", "kept_before_spin = 'yes'"),
        turn("Now spin.", IGNORES_SIGINT),
        turn("Never reached.", "never_after_spin = 1"),
    )
    on_message, fired = interrupt_when_running(kernel, "SIG_IGN", delay=1.0)
    result = kernel.execute("%%codeact\nDo two things", timeout=60, on_message=on_message)
    assert fired and time.monotonic() - fired[0] < 15
    assert result.status == "ok", result.text
    assert "Stopped by the user after 2 steps." in result.text
    assert kernel.value("kept_before_spin") == "yes"
    assert kernel.value("'never_after_spin' in globals()") is False
    _, run = exported(kernel, tmp_path / "stopped.ipynb")
    assert run["status"] == "stopped" and [s["status"] for s in run["steps"]] == ["ok", "interrupted"]
    assert kernel.value("1 + 1") == 2


def test_user_stop_reaches_the_steps_own_handler(kernel, server, tmp_path):
    code = ("import signal, time\nasked = []\nsignal.signal(signal.SIGINT, lambda *a: asked.append(1))\n"
            "while not asked:\n    time.sleep(0.05)\nprint('cleaned up')")
    server.enqueue(turn("Wait for a stop.", code), turn("Never reached.", "never_here = 1"))
    on_message, fired = interrupt_when_running(kernel, "asked.append", delay=1.0)
    result = kernel.execute("%%codeact\nWait", timeout=60, on_message=on_message)
    assert fired and result.status == "ok", result.text
    assert "cleaned up" in result.stdout and "Stopped by the user after 1 step." in result.text
    _, run = exported(kernel, tmp_path / "own.ipynb")
    assert [s["status"] for s in run["steps"]] == ["interrupted"]


def test_a_step_that_swallows_the_interrupt_is_a_timeout_and_ends_soon(kernel, server, tmp_path):
    swallow = ("import time\nswallowed = 0\nwhile True:\n    try:\n        time.sleep(0.5)\n"
               "    except BaseException:\n        swallowed += 1")
    finish_anyway = ("import time\ntry:\n    time.sleep(30)\nexcept KeyboardInterrupt:\n    pass\n"
                     "print('finished anyway')")
    server.enqueue(turn("Swallow.", swallow), turn("Finish anyway.", finish_anyway), turn("Done."))
    start = time.monotonic()
    result = kernel.execute("%%codeact --timeout 3\nSleep stubbornly", timeout=90)
    elapsed = time.monotonic() - start
    assert result.status == "ok", result.text
    assert elapsed < 2 * 3 + 15  # two steps of a 3 s timeout, each ended within a few seconds of it
    for request in server.requests[1:3]:
        fed_back = tool_results(request)[0]
        assert fed_back["is_error"] is True and "timeout" in fed_back["content"].lower()
    assert kernel.value("swallowed") >= 1
    _, run = exported(kernel, tmp_path / "swallow.ipynb")
    assert [s["status"] for s in run["steps"]] == ["timeout", "timeout"]
    assert all(s["duration_s"] < 3 + 5 for s in run["steps"])


def test_a_step_blocked_in_c_is_said_plainly_and_ends_when_c_returns(kernel, server, tmp_path):
    # SIGINT blocked in the thread's mask and a C sleep: neither a signal nor an exception can reach Python until
    # the call returns, as with any C code that never checks for signals
    blocked = ("import ctypes, signal\nsignal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT])\n"
               "ctypes.CDLL(None).sleep(8)\nwhile True:\n    pass")
    server.enqueue(turn("Block.", blocked), turn("Go on.", "import signal\n"
                   "mask_after = signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, [])"), turn("Done."))
    start = time.monotonic()
    result = kernel.execute("%%codeact --timeout 1\nBlock in C", timeout=60)
    assert time.monotonic() - start < 8 + 15
    assert result.status == "ok", result.text
    assert "blocked in C code" in result.stderr and "Restart the kernel" in result.stderr
    fed_back = tool_results(server.requests[1])[0]
    assert fed_back["is_error"] is True and "TimeoutError" in fed_back["content"]
    assert "blocked in C code" in fed_back["content"]
    assert kernel.value("mask_after") is False  # the executor unblocked SIGINT again
    _, run = exported(kernel, tmp_path / "blocked.ipynb")
    assert [s["status"] for s in run["steps"]] == ["timeout", "ok"]
