"""MCP servers as Python callables (``codeact_magic.mcp_bridge``), against a real FastMCP server.

The server is ``tests/mcp_fixture_server.py``, started as a subprocess over stdio (and once over streamable HTTP);
the failing servers are one-line Python commands.
"""

from __future__ import annotations

import inspect
import json
import os
import pydoc
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Literal, Union

import pytest

pytest.importorskip("mcp")

from codeact_magic.exceptions import CodeActError, MCPConfigError, MCPToolError  # noqa: E402
from codeact_magic.mcp_bridge import MCPBridge, list_servers, servers_config  # noqa: E402
from codeact_magic import mcp_tools  # noqa: E402

SERVER = str(Path(__file__).parents[1] / "mcp_fixture_server.py")
SECRET = "sk-fixture-0123456789"
FIXTURE = {"command": sys.executable, "args": [SERVER], "env": {"FIXTURE_TOKEN": SECRET}, "cwd": None}
BROKEN = {"command": sys.executable, "args": ["-c", f"import sys; sys.stderr.write('loading\\nboom: missing token "
                                              f"{SECRET}\\n'); sys.exit(3)"], "env": {"TOKEN": SECRET}, "cwd": None}
SILENT = {"command": sys.executable, "args": ["-c", "import sys; sys.stdin.read()"], "env": None, "cwd": None}


@pytest.fixture(scope="module")
def bridge():
    """The fixture server and a server that exits at once, connected for the whole module."""
    with MCPBridge.connect({"fixture": FIXTURE, "broken": BROKEN}, ["fixture", "broken"]) as connected:
        yield connected


# -- configuration ----------------------------------------------------------------------------------------------------

def test_trait_wins_over_mcp_json_and_both_are_read(tmp_path, monkeypatch):
    monkeypatch.setenv("FIXTURE_KEY", "from-env")
    (tmp_path / ".mcp.json").write_text(json.dumps({"mcpServers": {
        "files": {"command": "npx", "args": ["-y", "server-files"], "env": {"KEY": "${FIXTURE_KEY}"}, "cwd": "sub"},
        "shared": {"command": "old"},
        "web": {"type": "http", "url": "https://example.com/mcp", "headers": {"X": "${UNSET_FIXTURE_VAR:-none}"}}}}))
    servers = servers_config({"shared": {"command": "new", "args": ["--flag"]}}, tmp_path)
    assert servers["shared"] == {"command": "new", "args": ["--flag"], "env": None, "cwd": None}
    assert servers["files"] == {"command": "npx", "args": ["-y", "server-files"], "env": {"KEY": "from-env"},
                                "cwd": str(tmp_path / "sub")}
    assert servers["web"] == {"url": "https://example.com/mcp", "headers": {"X": "none"}}


@pytest.mark.parametrize("text, expected", [
    ("{not json", r"\.mcp\.json is not readable JSON"),
    ('{"servers": {}}', r'must hold an object \{"mcpServers"'),
    ('{"mcpServers": {"x": {"command": "a", "url": "http://h"}}}', "'x' in .*needs exactly one of"),
    ('{"mcpServers": {"x": {"command": "a", "args": "--flag"}}}', "'x' in .*'args' must be a list of strings"),
    ('{"mcpServers": {"x": {"command": "a", "env": {"K": 1}}}}', "'env' must be an object of strings"),
    ('{"mcpServers": {"x": {"type": "sse", "url": "http://h/sse"}}}', "type 'sse' is not supported"),
    ('{"mcpServers": {"x": {"url": "ftp://h"}}}', "must start with http"),
    ('{"mcpServers": {"x": {"command": "a", "env": {"K": "${UNSET_FIXTURE_VAR}"}}}}',
     r"\$\{UNSET_FIXTURE_VAR\} in 'env' is not set"),
])
def test_bad_mcp_json_raises_one_line_naming_file_or_server(tmp_path, text, expected):
    (tmp_path / ".mcp.json").write_text(text)
    with pytest.raises(MCPConfigError, match=expected) as caught:
        servers_config({}, tmp_path)
    assert "\n" not in str(caught.value) and isinstance(caught.value, CodeActError)


def test_bad_trait_entry_is_named_without_its_env_values(tmp_path):
    with pytest.raises(MCPConfigError, match="'db' in the mcp_servers trait") as caught:
        servers_config({"db": {"env": {"PASSWORD": SECRET}}}, tmp_path)
    assert SECRET not in str(caught.value)


def test_unknown_server_name_lists_the_configured_ones():
    with pytest.raises(MCPConfigError, match="No MCP server named 'nope'; configured: fixture, broken"):
        MCPBridge.connect({"fixture": FIXTURE, "broken": BROKEN}, ["nope"])


# -- schema -> signature, result -> value (no server) -----------------------------------------------------------------

def test_signature_follows_the_input_schema():
    schema = {"type": "object", "required": ["q"], "properties": {
        "q": {"type": "string"}, "limit": {"type": "integer", "default": 10}, "tags": {"type": "array",
        "items": {"type": "string"}}, "when": {"anyOf": [{"type": "number"}, {"type": "null"}]},
        "mode": {"enum": ["a", "b"]}, "from": {"type": "string"}}}
    params = mcp_tools._signature(schema).parameters
    assert [(p.name, p.kind.name) for p in params.values()][-1] == ("arguments", "VAR_KEYWORD")  # 'from'
    assert params["q"].default is inspect.Parameter.empty and params["q"].annotation is str
    assert params["limit"].default == 10 and params["limit"].annotation is int
    assert params["tags"].annotation == list[str] and params["tags"].default is None
    assert params["when"].annotation == Union[float, None] and params["mode"].annotation == Literal["a", "b"]


@pytest.mark.parametrize("result, output_schema, value", [
    ({"structuredContent": {"result": 3}, "content": [{"type": "text", "text": "3"}]},
     {"properties": {"result": {"type": "integer"}}, "required": ["result"]}, 3),
    ({"structuredContent": {"result": 3, "unit": "m"}}, {"properties": {"result": {}, "unit": {}}},
     {"result": 3, "unit": "m"}),
    ({"content": [{"type": "text", "text": "plain"}]}, None, "plain"),
    ({"content": [{"type": "text", "text": '{"a": [1, 2]}'}]}, None, {"a": [1, 2]}),
    ({"content": [{"type": "text", "text": "42"}]}, None, "42"),
    ({"content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}, None, "a\nb"),
    ({"content": [{"type": "image", "mimeType": "image/png", "data": "iVBO"}]}, None,
     {"type": "image", "mimeType": "image/png", "data": "iVBO"}),
    ({"content": [{"type": "text", "text": "see"}, {"type": "image", "mimeType": "image/png", "data": "x"}]}, None,
     ["see", {"type": "image", "mimeType": "image/png", "data": "x"}]),
    ({"content": []}, None, None),
])
def test_result_values(result, output_schema, value):
    assert mcp_tools.tool_value(result, output_schema) == value


# -- a live stdio server ----------------------------------------------------------------------------------------------

def test_index_is_compact_and_says_how_to_call(bridge):
    index = bridge.index()
    assert "mcp.SERVER.TOOL(**kwargs)" in index and "help(mcp.SERVER.TOOL)" in index and "filter" in index
    assert "  add(a, b): Add two integers." in index and "sum is exact" not in index  # one line per tool
    assert '  echo_text(text, times=...) [mcp.fixture["echo-text"]]: Repeat a text' in index
    assert '"properties"' not in index and SECRET not in index and "FIXTURE_TOKEN" not in index


def test_tools_have_signatures_and_docstrings_from_their_schema(bridge):
    lookup = bridge.namespace.fixture.lookup
    assert str(inspect.signature(lookup)) == "(*, city: str, units: Literal['metric', 'imperial'] = 'metric')"
    assert lookup.__name__ == "lookup" and lookup.__doc__.startswith("Look up today's weather")
    assert "units : {'metric', 'imperial'}, optional" in lookup.__doc__ and '"required": ["city"]' in lookup.__doc__
    assert "Output schema" in lookup.__doc__ and "MCPToolError" in lookup.__doc__
    assert "lookup(*, city: str" in pydoc.render_doc(lookup, renderer=pydoc.plaintext)  # what help() shows


def test_calls_return_structured_content_or_text_as_python_values(bridge):
    fixture = bridge.namespace.fixture
    assert fixture.add(a=2, b=40) == 42  # FastMCP's {"result": 42}, unwrapped
    assert fixture.lookup(city="Oslo", units="imperial") == {"city": "Oslo", "temperature": 53.6, "units": "imperial"}
    assert fixture.shout(text="hi") == "HI"  # text content only
    assert fixture["echo-text"](text="ab", times=2) == fixture.echo_text(text="ab", times=2) == "ab ab"
    assert fixture.stats_summary(values=[1, 3])["mean"] == 2.0
    assert fixture.getenv(name="FIXTURE_TOKEN") == SECRET  # the config's env reached the server


def test_tool_error_raises_mcp_tool_error_with_the_servers_message(bridge):
    with pytest.raises(MCPToolError, match="MCP tool 'fail' of server 'fixture' failed: .*no such city") as caught:
        bridge.namespace.fixture.fail(message="no such city")
    assert (caught.value.server, caught.value.tool) == ("fixture", "fail")
    with pytest.raises(MCPToolError, match="validation error"):  # the server checks the types
        bridge.namespace.fixture.add(a="x", b=1)


def test_wrong_argument_names_raise_type_error_like_python(bridge):
    with pytest.raises(TypeError, match=r"mcp.fixture.add\(\) missing a required argument: 'b'"):
        bridge.namespace.fixture.add(a=1)
    with pytest.raises(TypeError, match="unexpected keyword argument 'c'"):
        bridge.namespace.fixture.add(a=1, b=2, c=3)
    with pytest.raises(TypeError, match="positional"):
        bridge.namespace.fixture.add(1, 2)


def test_failing_server_gives_one_line_with_its_stderr_tail_and_the_other_works(bridge):
    [line] = bridge.failures
    assert line.startswith("MCP server 'broken' did not start: it exited") and "\n" not in line
    assert line.endswith("its stderr ended: loading | boom: missing token <redacted>")
    assert line in bridge.index() and line in repr(bridge.namespace)
    assert list(bridge.tools) == ["fixture"] and bridge.namespace.fixture.add(a=1, b=1) == 2


def test_namespace_lists_servers_and_tools(bridge):
    mcp = bridge.namespace
    assert dir(mcp) == ["fixture"] and "echo_text" in dir(mcp.fixture) and "add" in dir(mcp.fixture)
    assert "mcp.fixture: <MCP server 'fixture': add, lookup, shout, echo_text ('echo-text')" in repr(mcp)
    with pytest.raises(AttributeError, match="connect it with %%codeact --mcp github"):
        mcp.github
    with pytest.raises(AttributeError, match="has no tool 'sub'; it has: add, lookup"):
        mcp.fixture.sub


def test_call_timeout_raises_and_the_session_goes_on(bridge, monkeypatch):
    monkeypatch.setattr(bridge, "call_timeout_s", 0.3)
    with pytest.raises(MCPToolError, match="no answer within 0.3 s"):
        bridge.namespace.fixture.slow(seconds=2)
    assert bridge.namespace.fixture.add(a=1, b=2) == 3


def test_keyboard_interrupt_stops_a_call(bridge):
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    started = time.monotonic()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        bridge.namespace.fixture.slow(seconds=3)
    assert time.monotonic() - started < 2
    assert bridge.namespace.fixture.add(a=2, b=2) == 4


# -- lifetime ---------------------------------------------------------------------------------------------------------

def test_close_ends_the_server_and_the_thread_and_later_calls_say_so():
    bridge = MCPBridge.connect({"fixture": FIXTURE}, ["fixture"])
    add, pid = bridge.namespace.fixture.add, bridge.namespace.fixture.pid()
    os.kill(pid, 0)  # alive
    bridge.close()
    bridge.close()  # idempotent
    assert not bridge._thread.is_alive()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(MCPToolError, match="session ended with the run .* %%codeact --mcp fixture"):
        add(a=1, b=2)


def test_a_server_that_never_answers_times_out():
    started = time.monotonic()
    with MCPBridge.connect({"silent": SILENT}, ["silent"], start_timeout_s=1.0) as bridge:
        assert bridge.failures == ["MCP server 'silent' did not start: no answer to initialize within 1 s; "
                                   "nothing on its stderr"]
        assert dir(bridge.namespace) == [] and bridge.index().startswith("No MCP server started for this run.\n")
    assert time.monotonic() - started < 4


def test_a_server_that_crashes_mid_run_gives_its_stderr_on_the_next_call():
    with MCPBridge.connect({"fixture": FIXTURE}, ["fixture"]) as bridge:
        with pytest.raises(MCPToolError, match="connection to the server was lost.*its stderr ended: .*gone: "
                                               "<redacted>"):
            bridge.namespace.fixture.crash(message=f"gone: {SECRET}")


def test_list_servers_shows_tools_and_failures():
    text = list_servers({"fixture": FIXTURE, "broken": BROKEN})
    assert text.startswith(f"fixture (stdio: {Path(sys.executable).name}), 10 tools:\n  add: Add two integers.")
    assert "\n  echo-text: Repeat a text" in text and text.splitlines()[-1].startswith("MCP server 'broken' did not")
    assert SECRET not in text and SERVER not in text


def test_list_servers_without_servers_says_how_to_configure():
    text = list_servers({})
    assert "%config CodeActMagics.mcp_servers" in text and ".mcp.json" in text and "--mcp NAME" in text


def test_streamable_http_server(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, SERVER, "--http", str(port)], stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        (tmp_path / ".mcp.json").write_text(json.dumps({"mcpServers": {"web": {
            "type": "http", "url": f"http://127.0.0.1:{port}/mcp", "headers": {"Authorization": f"Bearer {SECRET}"}}}}))
        servers = servers_config({}, tmp_path)
        with MCPBridge.connect(servers, ["web"]) as bridge:
            assert bridge.failures == []
            assert bridge.namespace.web.add(a=20, b=22) == 42
            assert bridge.namespace.web.lookup(city="Rome")["city"] == "Rome"
        assert list_servers(servers).startswith(f"web (http: 127.0.0.1:{port}/mcp), 10 tools:")
    finally:
        server.terminate()
        server.wait(timeout=10)
