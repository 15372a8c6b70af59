"""``%%codeact --gateway URL``: a multi-step run whose steps execute on a real ``jupyter kernelgateway`` on 127.0.0.1
(``tests/kernel/gateway_server.py``), from a real ipykernel, against the stand-in Messages API over real HTTP:
outputs, an error, a timeout and a Stop."""

from __future__ import annotations

import threading

import pytest

from kernel_harness import tool_results
from standin import turn

pytest.importorskip("jupyter_server")
pytest.importorskip("kernel_gateway")

from gateway_server import GatewayServer  # noqa: E402

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def gateway():
    with GatewayServer() as server:
        yield server


def last_run(kernel) -> dict:
    return kernel.value("get_ipython().magics_manager.registry['CodeActMagics'].runs[-1].to_json()")


def test_a_run_on_the_gateway_shows_outputs_errors_and_a_timeout(kernel, server, gateway):
    kernel.execute("import os\nrows = [3, 4, 5]")
    server.enqueue(turn("Where?", "import os\nprint(os.getpid())\nsum(rows)"),
                   turn("A chart.", "from IPython.display import display, HTML\ndisplay(HTML('<b>bold</b>'))"),
                   turn("Oops.", "1 / 0"),
                   turn("Slow.", "import time\ntime.sleep(60)"),
                   turn("Still here.", "print('after', sum(rows) * 2)"),
                   turn("Done: 24."))
    result = kernel.execute(f"%%codeact --gateway {gateway.url} --with rows --return rows --timeout 3\nUse rows.",
                            timeout=180)
    assert result.status == "ok", result.text
    run = last_run(kernel)
    assert run["status"] == "done"
    assert run["isolation"]["kernel"] == "gateway" and run["isolation"]["gateway_url"] == gateway.url
    steps = run["steps"]
    assert [s["status"] for s in steps] == ["ok", "ok", "error", "timeout", "ok"]
    pid, value = steps[0]["observation"].splitlines()[:2]
    assert int(pid) != kernel.value("os.getpid()") and value == "[Out] 12"
    assert steps[1]["outputs"][0]["output_type"] == "display_data" and "text/html" in steps[1]["outputs"][0]["data"]
    assert "ZeroDivisionError" in steps[2]["observation"]
    assert "timeout of 3 s" in steps[3]["observation"]
    assert steps[4]["observation"].startswith("after 24")
    assert tool_results(server.requests[3])[0]["is_error"] is True
    # the gateway's kernel is shut down at the end; the user's namespace kept its own
    assert gateway.kernel_ids() == []
    assert kernel.value("rows") == [3, 4, 5]
    # the live outputs reached the %%codeact cell
    assert any("text/html" in m["content"].get("data", {}) for m in result.outputs("display_data"))


def test_stop_interrupts_the_gateway_kernel(kernel, server, gateway):
    server.enqueue(turn("One.", "kept = 1"), turn("Wait.", "import time\ntime.sleep(60)"), turn("Never."))

    def interrupt_when_sleeping(message):
        data = (message["content"].get("data") or {}) if message["msg_type"] == "comm_msg" else {}
        if "sleep" in ((data.get("run") or {}).get("current_code") or ""):
            threading.Timer(1.0, kernel.interrupt).start()

    result = kernel.execute(f"%%codeact --gateway {gateway.url}\nWait.", timeout=120,
                            on_message=interrupt_when_sleeping)
    assert result.status == "ok", result.text
    run = last_run(kernel)
    assert run["status"] == "stopped" and [s["status"] for s in run["steps"]] == ["ok", "interrupted"]
    assert len(server.requests) == 2 and gateway.kernel_ids() == []


def test_an_unreachable_gateway_fails_in_one_line(kernel, server):
    result = kernel.execute("%%codeact --gateway http://127.0.0.1:9\nAnything.")
    assert result.status == "error" and result.error["ename"] == "UsageError"
    assert "http://127.0.0.1:9" in result.error["evalue"] and len(result.error["evalue"].splitlines()) == 1
    assert server.requests == []
