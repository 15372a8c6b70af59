"""``%%codeact --mcp NAME``: MCP servers' tools as Python functions in a real ipykernel driven by ``jupyter_client``,
against the stand-in Messages API over real HTTP and the FastMCP server ``tests/mcp_fixture_server.py`` over stdio."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

from kernel_harness import tool_results
from standin import turn

pytest.importorskip("mcp")

SERVER = str(Path(__file__).parents[1] / "mcp_fixture_server.py")
FIXTURE = {"command": sys.executable, "args": [SERVER]}
BROKEN = {"command": sys.executable,
          "args": ["-c", "import sys; sys.stderr.write('loading\\nboom: no token for broken\\n'); sys.exit(3)"]}
LAST_RUN = "get_ipython().magics_manager.registry['CodeActMagics'].runs[-1].to_json()"


@pytest.fixture(scope="module", autouse=True)
def configured(kernel):
    """The fixture server and one that exits at once, in the ``mcp_servers`` trait for the module's tests."""
    result = kernel.execute(f"%config CodeActMagics.mcp_servers = {{'fixture': {FIXTURE!r}, 'broken': {BROKEN!r}}}")
    assert result.status == "ok", result.text
    yield
    kernel.execute("%config CodeActMagics.mcp_servers = {}")


def first_text(request) -> str:
    return request.body["messages"][0]["content"][0]["text"]


def gone(pid: int, within_s: float = 10.0) -> bool:
    """Whether process ``pid`` has exited (and been reaped) within ``within_s`` seconds."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def test_a_step_calls_a_tool_and_the_model_reads_its_result(kernel, server):
    server.enqueue(turn("Adding.", "print(mcp.fixture.add(a=2, b=3))"), turn("The sum is 5."))
    result = kernel.execute("%%codeact --mcp fixture\nAdd 2 and 3 with the fixture server.")
    assert result.status == "ok", result.text
    assert result.stdout.count("did not start") == 0
    fed_back = tool_results(server.requests[1])[0]
    assert not fed_back.get("is_error") and fed_back["content"].strip() == "5"
    # the first message holds the index: one line per tool, its parameters and first line, no schema
    first = first_text(server.requests[0])
    index = first[first.index("<mcp_servers>"):first.index("</mcp_servers>")]
    assert "help(mcp.SERVER.TOOL)" in index and "mcp.fixture (10 tools):" in index
    assert "  add(a, b): Add two integers." in index.splitlines()
    assert "  lookup(city, units=...): Look up today's weather for a city (made-up numbers)." in index.splitlines()
    assert '  echo_text(text, times=...) [mcp.fixture["echo-text"]]: Repeat a text' in index
    assert "The sum is exact" not in index  # only the first line of a description
    assert "inputSchema" not in first and '"properties"' not in first and "imperial" not in first
    assert kernel.value(LAST_RUN)["mcp"] == ["fixture"]
    # the docstring and signature the model reads with help(): typed from the input schema
    kernel.execute("import inspect")
    assert kernel.value("str(inspect.signature(mcp.fixture.lookup))") == (
        "(*, city: str, units: Literal['metric', 'imperial'] = 'metric')")
    doc = kernel.value("mcp.fixture.lookup.__doc__")
    assert doc.startswith("Look up today's weather for a city (made-up numbers).")
    assert "units : {'metric', 'imperial'}, optional" in doc and "Input schema (JSON Schema):" in doc


def test_a_tool_error_is_the_steps_error_with_the_servers_message(kernel, server):
    server.enqueue(turn("Trying.", "mcp.fixture.fail(message='quota exceeded for key 42')"), turn("It failed."))
    result = kernel.execute("%%codeact --mcp fixture\nCall the failing tool.")
    assert result.status == "ok", result.text
    fed_back = tool_results(server.requests[1])[0]
    assert fed_back["is_error"] is True
    assert "MCPToolError" in fed_back["content"] and "quota exceeded for key 42" in fed_back["content"]
    assert "MCP tool 'fail' of server 'fixture' failed" in fed_back["content"]
    assert kernel.value(LAST_RUN)["status"] == "done"  # the step failed, not the run


def test_a_server_that_does_not_start_gives_one_line_and_the_run_goes_on(kernel, server):
    server.enqueue(turn("Using the one that started.", "print(mcp.fixture.add(a=1, b=1))"), turn("2."))
    result = kernel.execute("%%codeact --mcp fixture,broken\nAdd 1 and 1.")
    assert result.status == "ok", result.text
    lines = [line for line in result.stdout.splitlines() if "broken" in line]
    assert len(lines) == 1, result.stdout
    assert lines[0].startswith("MCP server 'broken' did not start: ")
    assert lines[0].endswith("its stderr ended: loading | boom: no token for broken")
    assert tool_results(server.requests[1])[0]["content"].strip() == "2"
    first = first_text(server.requests[0])
    assert "mcp.fixture (10 tools):" in first and "mcp.broken" not in first
    assert "MCP server 'broken' did not start" in first  # the model reads the failure too
    assert kernel.value(LAST_RUN)["mcp"] == ["fixture"]


def test_the_session_is_closed_when_the_run_ends(kernel, server):
    server.enqueue(turn("Which process?", "server_pid = mcp.fixture.pid()\nprint(server_pid)"), turn("Noted."))
    result = kernel.execute("%%codeact --mcp fixture\nRecord the server's pid.")
    assert result.status == "ok", result.text
    pid = kernel.value("server_pid")
    assert isinstance(pid, int) and pid != kernel.value("__import__('os').getpid()")
    assert gone(pid), f"the fixture server {pid} still runs after the run ended"
    after = kernel.execute("mcp.fixture.add(a=1, b=2)")
    assert after.status == "error" and after.error["ename"] == "MCPToolError"
    assert "its session ended with the run that connected it" in after.error["evalue"]
    assert "%%codeact --mcp fixture" in after.error["evalue"]


def test_mcp_json_in_the_working_directory_is_read(kernel, server):
    cwd = Path(kernel.value("__import__('os').getcwd()"))
    path = cwd / ".mcp.json"
    path.write_text(json.dumps({"mcpServers": {"project": {"command": sys.executable, "args": [SERVER]}}}))
    try:
        result = kernel.execute("%codeact mcp")
        assert result.status == "ok", result.text
        lines = result.stdout.splitlines()
        assert f"project (stdio: {Path(sys.executable).name}), 10 tools:" in lines
        assert f"fixture (stdio: {Path(sys.executable).name}), 10 tools:" in lines
        assert "  add: Add two integers." in lines and "  echo-text: Repeat a text a number of times, joined by " \
            "spaces." in lines
        assert [line for line in lines if "broken" in line] == [
            "MCP server 'broken' did not start: it exited or closed its stdout; its stderr ended: loading | boom: "
            "no token for broken"]
        assert SERVER not in result.stdout  # the command's name, not its arguments
        # and a run connects it
        server.enqueue(turn("Shouting.", "print(mcp.project.shout(text='hi'))"), turn("HI."))
        result = kernel.execute("%%codeact --mcp project\nShout hi.")
        assert result.status == "ok", result.text
        assert tool_results(server.requests[1])[0]["content"].strip() == "HI"
    finally:
        path.unlink()
    assert server.requests and len(server.requests) == 2


def test_a_follow_up_reaches_the_servers_only_with_mcp_again(kernel, server):
    server.enqueue(turn("Adding.", "print(mcp.fixture.add(a=4, b=4))"), turn("8."))
    assert kernel.execute("%%codeact --mcp fixture\nAdd 4 and 4.").status == "ok"
    server.reset()
    server.enqueue(turn("Again.", "print(mcp.fixture.add(a=5, b=5))"), turn("Closed."))
    result = kernel.execute("%%codeact -c\nAdd 5 and 5.")
    assert result.status == "ok", result.text
    fed_back = tool_results(server.requests[1])[0]
    assert fed_back["is_error"] is True and "its session ended with the run that connected it" in fed_back["content"]
    server.reset()
    server.enqueue(turn("Again.", "print(mcp.fixture.add(a=6, b=6))"), turn("12."))
    result = kernel.execute("%%codeact -c --mcp fixture\nAdd 6 and 6.")
    assert result.status == "ok", result.text
    assert tool_results(server.requests[1])[0]["content"].strip() == "12"
    asked = json.dumps(server.requests[0].body["messages"][-1])
    assert "<mcp_servers>" in asked and "add(a, b): Add two integers." in asked


def test_an_unknown_server_fails_in_one_line_before_the_model_is_asked(kernel, server):
    result = kernel.execute("%%codeact --mcp nosuch\nUse it.")
    assert result.status == "error"
    (line,) = [line for line in result.text.splitlines() if line.strip()]  # IPython prints a UsageError's line
    assert "UsageError" in line and "No MCP server named 'nosuch'; configured: fixture, broken" in line
    assert server.requests == []


def test_mcp_with_isolated_fails_in_one_line(kernel, server):
    result = kernel.execute("%%codeact --mcp fixture --isolated --allow-network\nUse it.")
    assert result.status == "error"
    (line,) = [line for line in result.text.splitlines() if line.strip()]
    assert "UsageError" in line and "--mcp connects the servers in this kernel" in line and "--isolated" in line
    assert server.requests == []


def test_mcp_with_isolated_starts_no_sandbox(kernel, server):
    cwd = Path(kernel.value("__import__('os').getcwd()"))
    sandboxes = set((cwd / ".codeact" / "sandbox").glob("*"))
    result = kernel.execute("%%codeact --mcp fixture --isolated --allow-network\nUse it.")
    assert result.status == "error"
    assert set((cwd / ".codeact" / "sandbox").glob("*")) == sandboxes, "a sandbox was started for a refused run"
