"""The launcher of an isolated kernel (``codeact_magic.confine``) on this machine: each limit is the kernel's (Linux
enforces it), and the network is gone. Each test starts a real child process through the launcher."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys

import pytest

from codeact_magic.confine import EXIT_NO_NAMESPACE, confine_command, main, network_isolation
from codeact_magic.kernels import Limits, LocalKernel, kernel_environment

NO_NAMESPACE = network_isolation()


def run(code: str, **limits) -> subprocess.CompletedProcess:
    return subprocess.run(confine_command([sys.executable, "-c", code], **limits), capture_output=True, text=True,
                          timeout=60)


def test_each_limit_is_set_on_the_process():
    done = run("import resource as r\nprint([r.getrlimit(getattr(r, n))[0] for n in "
               "('RLIMIT_CPU', 'RLIMIT_AS', 'RLIMIT_FSIZE', 'RLIMIT_NPROC')])",
               cpu_s=30, memory_bytes=2**31, file_bytes=10**6, processes=4096, network=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str([30, 2**31, 10**6, 4096])


def test_memory_past_the_limit_raises_memory_error():
    done = run("try:\n    b = bytearray(3 * 2**30)\nexcept MemoryError:\n    print('MemoryError')",
               memory_bytes=2**31, network=True)
    assert done.stdout.strip() == "MemoryError", done.stderr


def test_a_file_past_the_limit_fails_with_efbig(tmp_path):
    done = run(f"import errno\ntry:\n    open({str(tmp_path / 'big')!r}, 'wb').write(b'x' * 2_000_000)\n"
               "except OSError as e:\n    print(errno.errorcode[e.errno])", file_bytes=10**6, network=True)
    assert done.stdout.strip() == "EFBIG", done.stderr
    assert (tmp_path / "big").stat().st_size <= 10**6


def test_cpu_past_the_limit_ends_the_process():
    done = run("while True:\n    pass", cpu_s=1, network=True)
    assert done.returncode == -signal.SIGXCPU


@pytest.mark.skipif(NO_NAMESPACE is not None, reason=f"no network namespace here: {NO_NAMESPACE}")
def test_no_network_reaches_no_port_of_this_machine():
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        done = run(f"import socket\ntry:\n    socket.create_connection(('127.0.0.1', {port}), timeout=3)\n"
                   "except OSError as e:\n    print(type(e).__name__, e.errno)\nelse:\n    print('connected')")
    assert done.stdout.split()[0] != "connected" and done.stdout.split()[-1] == "101", done.stdout + done.stderr


def test_a_refused_namespace_runs_nothing(monkeypatch, capsys):
    import codeact_magic.confine as confine

    def refuse() -> None:
        raise OSError(1, "unshare(CLONE_NEWUSER | CLONE_NEWNET): Operation not permitted")

    monkeypatch.setattr(confine, "_unshare_network", refuse)
    monkeypatch.setattr(confine.os, "execvp", lambda *a: pytest.fail("ran the command"))
    assert main(["--no-network", "--", "true"]) == EXIT_NO_NAMESPACE
    assert capsys.readouterr().err.strip() == ("codeact: no network namespace for the isolated kernel: "
                                               "unshare(CLONE_NEWUSER | CLONE_NEWNET): Operation not permitted")


def test_the_sandbox_kernel_gets_no_secret_named_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("CODEACT_TEST_API_KEY", "sk-secret-value-1234")
    monkeypatch.setenv("CODEACT_TEST_PLAIN", "plain")
    assert "CODEACT_TEST_API_KEY" not in kernel_environment() and kernel_environment()["CODEACT_TEST_PLAIN"] == "plain"

    async def env_of_kernel() -> str:
        kernel = LocalKernel(tmp_path / "box", Limits(network=NO_NAMESPACE is not None))
        await kernel.start()
        try:
            reply = await kernel.client.execute_interactive(
                "import os\nprint(sorted(k for k in os.environ if k.startswith('CODEACT_TEST')), os.getcwd())",
                output_hook=lambda msg: seen.append(msg), timeout=30)
            assert reply["content"]["status"] == "ok"
            return "".join(m["content"].get("text", "") for m in seen if m["msg_type"] == "stream")
        finally:
            await kernel.shutdown()

    seen: list = []
    printed = asyncio.run(env_of_kernel())
    assert printed.strip() == f"['CODEACT_TEST_PLAIN'] {tmp_path / 'box'}"
