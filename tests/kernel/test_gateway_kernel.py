"""`codeact_magic.gateway.GatewayKernel` against a real Jupyter Kernel Gateway (``tests/kernel/gateway_server.py``).

Each test runs its coroutine on a private event loop (``asyncio.run``), as the sandbox executor runs them on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import sys
import threading
import time
from queue import Empty
from typing import Any, AsyncIterator

import pytest

pytest.importorskip("jupyter_server")
pytest.importorskip("kernel_gateway")

from codeact_magic.gateway import GatewayKernel  # noqa: E402
from gateway_server import GatewayServer, free_port  # noqa: E402

pytestmark = pytest.mark.timeout(300)

#: The one variable (besides ``KERNEL_*``) the test gateway lets a client put in a kernel's environment.
ALLOWED = "CODEACT_GW_ENV"


@pytest.fixture(scope="module")
def gateway() -> Any:
    with GatewayServer(env_whitelist=[ALLOWED]) as server:
        yield server


@contextlib.asynccontextmanager
async def started(url: str, **options: Any) -> AsyncIterator[GatewayKernel]:
    kernel = GatewayKernel(url, **options)
    await kernel.start()
    try:
        yield kernel
    finally:
        await kernel.shutdown()


async def execute(client: Any, code: str, timeout_s: float = 30.0) -> tuple[list[dict], dict]:
    """Run ``code``; its iopub messages (up to ``idle``, statuses left out) and its ``execute_reply``."""
    msg_id = client.execute(code)
    deadline = time.monotonic() + timeout_s
    messages = []
    while True:
        msg = await client.get_iopub_msg(timeout=max(0.0, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status":
            if msg["content"]["execution_state"] == "idle":
                break
            continue
        messages.append(msg)
    while True:
        reply = await client.get_shell_msg(timeout=max(0.0, deadline - time.monotonic()))
        if reply["parent_header"].get("msg_id") == msg_id:
            return messages, reply


def of_type(messages: list[dict], msg_type: str) -> list[dict]:
    return [m["content"] for m in messages if m["msg_type"] == msg_type]


def test_start_and_print(gateway):
    async def scenario():
        async with started(gateway.url) as kernel:
            assert kernel.kernel_id in gateway.kernel_ids()
            assert kernel.pid is None
            assert kernel.description == f"kernel {kernel.kernel_id[:8]}… (python3) on gateway {gateway.url}"
            assert await kernel.is_alive()
            messages, reply = await execute(kernel.client, "print(6*7)")
            assert of_type(messages, "stream") == [{"name": "stdout", "text": "42\n"}]
            assert reply["msg_type"] == "execute_reply" and reply["content"]["status"] == "ok"

    asyncio.run(scenario())


def test_driven_from_a_background_threads_loop(gateway):
    """As the sandbox executor drives it: coroutines submitted to a loop running in another thread."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def run(coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(60)

    try:
        kernel = GatewayKernel(gateway.url)
        run(kernel.start())
        messages, reply = run(execute(kernel.client, "print(6*7)"))
        assert of_type(messages, "stream")[0]["text"] == "42\n" and reply["content"]["status"] == "ok"
        run(kernel.shutdown())
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
    assert not [t.name for t in threading.enumerate() if t.name.startswith("gateway-ws-")]


def test_error_and_rich_output(gateway):
    async def scenario():
        async with started(gateway.url) as kernel:
            messages, reply = await execute(kernel.client, "1/0")
            assert [e["ename"] for e in of_type(messages, "error")] == ["ZeroDivisionError"]
            assert reply["content"]["status"] == "error"
            messages, reply = await execute(kernel.client, "from IPython.display import HTML, display\n"
                                                           "display(HTML('<b>rich</b>'))")
            assert [d["data"]["text/html"] for d in of_type(messages, "display_data")] == ["<b>rich</b>"]
            assert reply["content"]["status"] == "ok"

    asyncio.run(scenario())


def test_state_persists_across_executes(gateway):
    async def scenario():
        async with started(gateway.url) as kernel:
            await execute(kernel.client, "x = 1")
            messages, _ = await execute(kernel.client, "x + 1")
            assert [r["data"]["text/plain"] for r in of_type(messages, "execute_result")] == ["2"]

    asyncio.run(scenario())


def test_interrupt_ends_a_long_execution(gateway):
    async def scenario():
        async with started(gateway.url) as kernel:
            client = kernel.client
            msg_id = client.execute("import time; time.sleep(60)")
            while (await client.get_iopub_msg(timeout=10))["msg_type"] != "execute_input":
                pass
            await asyncio.sleep(0.5)
            began = time.monotonic()
            await kernel.interrupt()
            errors = []
            while True:
                msg = await client.get_iopub_msg(timeout=10)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                if msg["msg_type"] == "error":
                    errors.append(msg["content"]["ename"])
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    break
            assert errors == ["KeyboardInterrupt"]
            assert time.monotonic() - began < 5
            assert await kernel.is_alive()
            messages, _ = await execute(client, "print('after')")
            assert of_type(messages, "stream")[0]["text"] == "after\n"

    asyncio.run(scenario())


def test_waiting_for_a_message_does_not_spin(gateway):
    """jupyter_server's channel queue polls with ``asyncio.sleep(0)``: a whole core while it waits; ours sleeps."""
    async def scenario():
        async with started(gateway.url) as kernel:
            before = resource.getrusage(resource.RUSAGE_SELF)
            messages, _ = await execute(kernel.client, "import time; time.sleep(2); print('done')")
            after = resource.getrusage(resource.RUSAGE_SELF)
            assert of_type(messages, "stream")[0]["text"] == "done\n"
            cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            assert cpu_s < 0.5, f"{cpu_s:.2f} CPU s spent waiting 2 s"

    asyncio.run(scenario())


def test_env_reaches_the_kernel_as_the_gateway_allows_and_cwd_is_ignored(gateway, tmp_path):
    env = {ALLOWED: "yes", "CODEACT_GW_NOT_ALLOWED": "no", "KERNEL_CODEACT_TEST": "k"}

    async def scenario():
        async with started(gateway.url, env=env, cwd=str(tmp_path)) as kernel:
            code = ("import os; print(repr((os.getcwd(), os.environ.get('CODEACT_GW_ENV'), "
                    "os.environ.get('CODEACT_GW_NOT_ALLOWED'), os.environ.get('KERNEL_CODEACT_TEST'), "
                    "os.environ.get('KERNEL_WORKING_DIR'))))")
            messages, _ = await execute(kernel.client, code)
            return eval(of_type(messages, "stream")[0]["text"])

    cwd, allowed, not_allowed, kernel_var, working_dir = asyncio.run(scenario())
    assert (allowed, not_allowed, kernel_var) == ("yes", None, "k")
    # cwd is sent as KERNEL_WORKING_DIR, which Kernel Gateway does not act on: its kernels run in its own directory
    assert working_dir == str(tmp_path)
    assert os.path.realpath(cwd) == os.path.realpath(gateway.root_dir)


def test_a_kernel_that_exits_is_restarted_by_the_gateway_and_counts_as_dead(gateway):
    async def scenario():
        async with started(gateway.url) as kernel:
            kernel_id = kernel.kernel_id
            await execute(kernel.client, "x = 1")
            exit_id = kernel.client.execute("import os; os._exit(1)")
            began = time.monotonic()
            while await kernel.is_alive():
                assert time.monotonic() - began < 10, "is_alive() still True 10 s after os._exit"
                await asyncio.sleep(0.2)
            statuses = []
            with contextlib.suppress(Empty):
                while True:
                    msg = await kernel.client.get_iopub_msg(timeout=0.5)
                    if msg["msg_type"] == "status" and not msg["parent_header"]:
                        statuses.append(msg["content"]["execution_state"])
            assert "restarting" in statuses
            # the gateway keeps the kernel (same id, a new process) and the execute that killed it gets no reply
            assert kernel_id in gateway.kernel_ids()
            with contextlib.suppress(Empty):
                while True:
                    reply = await kernel.client.get_shell_msg(timeout=1)
                    assert reply["parent_header"].get("msg_id") != exit_id
            await kernel.restart()
            assert kernel.kernel_id == kernel_id and await kernel.is_alive()
            messages, _ = await execute(kernel.client, "x")
            assert [e["ename"] for e in of_type(messages, "error")] == ["NameError"]

    asyncio.run(scenario())


def test_restart_gives_a_fresh_kernel(gateway):
    async def scenario():
        async with started(gateway.url) as kernel:
            kernel_id, old_client = kernel.kernel_id, kernel.client
            await execute(kernel.client, "x = 1")
            await kernel.restart()
            assert kernel.client is not old_client and kernel.kernel_id == kernel_id
            assert await kernel.is_alive()
            messages, reply = await execute(kernel.client, "x")
            assert [e["ename"] for e in of_type(messages, "error")] == ["NameError"]
            messages, _ = await execute(kernel.client, "print(6*7)")
            assert of_type(messages, "stream")[0]["text"] == "42\n"

    asyncio.run(scenario())


def test_restart_of_a_kernel_gone_from_the_gateway_starts_a_new_one(gateway):
    async def scenario():
        async with started(gateway.url) as kernel:
            old_id = kernel.kernel_id
            assert gateway.request("DELETE", f"/api/kernels/{old_id}")[0] == 204
            assert not await kernel.is_alive()
            await kernel.restart()
            assert kernel.kernel_id != old_id and await kernel.is_alive()
            messages, _ = await execute(kernel.client, "print(6*7)")
            assert of_type(messages, "stream")[0]["text"] == "42\n"

    asyncio.run(scenario())


def test_shutdown_is_idempotent(gateway):
    async def scenario():
        kernel = GatewayKernel(gateway.url)
        await kernel.shutdown()  # never started
        await kernel.start()
        kernel_id = kernel.kernel_id
        await kernel.shutdown()
        await kernel.shutdown()
        assert kernel.client is None and not await kernel.is_alive()
        return kernel_id

    kernel_id = asyncio.run(scenario())
    assert kernel_id not in gateway.kernel_ids()


def test_an_unreachable_gateway_is_named_quickly():
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    began = time.monotonic()
    with pytest.raises(RuntimeError, match="connection refused") as raised:
        asyncio.run(GatewayKernel(url).start())
    assert time.monotonic() - began < 10
    assert url in str(raised.value) and "\n" not in str(raised.value)


def test_a_url_without_kernels_endpoint_is_a_404(gateway):
    with pytest.raises(RuntimeError, match="404") as raised:
        asyncio.run(GatewayKernel(gateway.url + "/not-a-gateway").start())
    assert f"{gateway.url}/not-a-gateway" in str(raised.value)


def test_the_token_is_sent_on_rest_calls_and_the_websocket():
    async def scenario(url: str) -> str:
        with pytest.raises(RuntimeError, match="401"):
            await GatewayKernel(url, auth_token="wrong").start()
        async with started(url, auth_token="s3cret") as kernel:
            messages, _ = await execute(kernel.client, "print(6*7)")
            return of_type(messages, "stream")[0]["text"]

    with GatewayServer(auth_token="s3cret") as server:
        assert asyncio.run(scenario(server.url)) == "42\n"
        assert server.kernel_ids() == []


def test_without_jupyter_server_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "jupyter_server.gateway.managers", None)
    with pytest.raises(ImportError, match=r"pip install 'codeact-magic\[gateway\]'"):
        GatewayKernel("http://127.0.0.1:1")
