"""Servers that speak the Messages API (base_url, auth_token), one without prompt caching, and Claude on Bedrock and
Vertex AI: the real ``anthropic`` SDK over real HTTP against the stand-in (``tests/standin.py``)."""
import logging
import sys
import types

import anthropic
import httpx2
import pytest

from standin import StandIn, error, turn

from codeact_magic import providers
from codeact_magic.agent import build_system, run_agent
from codeact_magic.conversation import first_message
from codeact_magic.config import RunOptions
from codeact_magic.display import status_line
from codeact_magic.exceptions import MissingAPIKeyError, MissingExtraError, ModelError
from codeact_magic.execution import ExecutionResult
from codeact_magic.model import ASK_USER_TOOL, PYTHON_TOOL, ClaudeModel, build_request
from codeact_magic.providers import check_api_key, has_api_key, rejects_caching
from codeact_magic.pricing import cost_usd
from codeact_magic.records import Run, Usage
from codeact_magic.report import runs_table

LOCAL_MODEL = "qwen3-coder:30b"  # a model id with no price
TOKEN = "ollama"


@pytest.fixture(autouse=True)
def fresh_session(monkeypatch):
    """No key in the environment, an unreachable ANTHROPIC_BASE_URL, and no server remembered as refusing caching
    (stand-ins of later tests may get the port of an earlier one)."""
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "AWS_BEARER_TOKEN_BEDROCK"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")  # discard: nothing listens
    providers.NO_CACHE.clear()
    yield
    providers.NO_CACHE.clear()


@pytest.fixture
def plain():
    """A stand-in without prompt caching, as Ollama is."""
    with StandIn(caching=False) as server:
        yield server


def local(server, **kw):
    return ClaudeModel(model=LOCAL_MODEL, base_url=server.url, auth_token=TOKEN, max_retries=0, **kw)


def has_cache_control(body):
    return "cache_control" in repr(body)


MESSAGES = [first_message("What is 6*7?", "")]


# -- base_url and auth_token ------------------------------------------------------------------------------------------
def test_base_url_and_auth_token_win_over_the_environment(standin, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-from-env")
    standin.enqueue(turn("Hi."))
    got = local(standin).turn("system", MESSAGES)
    assert got.text == "Hi." and len(standin.requests) == 1  # reached, though ANTHROPIC_BASE_URL points elsewhere
    headers = standin.requests[0].headers
    assert headers["authorization"] == f"Bearer {TOKEN}" and "x-api-key" not in headers


def test_empty_options_fall_back_to_the_sdks_environment(standin, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_BASE_URL", standin.url)
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", "tok-env")
    standin.enqueue(turn("Hi."))
    ClaudeModel(model=LOCAL_MODEL, base_url="", auth_token="").turn("system", MESSAGES)
    assert standin.requests[0].headers["authorization"] == "Bearer tok-env"


def test_the_key_check_counts_the_auth_token_and_skips_the_platforms(monkeypatch):
    assert not has_api_key()  # as --replay-if-no-key calls it
    with pytest.raises(MissingAPIKeyError):
        check_api_key()
    with pytest.raises(MissingAPIKeyError):
        ClaudeModel(model=LOCAL_MODEL, base_url="http://localhost:11434")
    assert has_api_key("tok") and has_api_key(provider="bedrock") and has_api_key(provider="vertex")
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", "tok")
    assert has_api_key()


# -- a server without prompt caching ---------------------------------------------------------------------------------
def test_a_400_for_cache_control_is_retried_once_without_it_and_remembered(plain, standin, caplog):
    plain.enqueue(turn("It is 42."), turn("Still 42."))
    deltas = []
    with caplog.at_level(logging.INFO, logger="traitlets"):
        first = local(plain).turn("system", MESSAGES, deltas.append)
    [note] = [r.getMessage() for r in caplog.records if "rejected prompt caching" in r.getMessage()]
    assert note.startswith(f"codeact: {plain.url} rejected prompt caching") and "Extra inputs" in note
    assert first.text == "It is 42." and "".join(deltas) == "It is 42."  # streamed once
    rejected, retried = plain.requests
    assert has_cache_control(rejected.body) and not has_cache_control(retried.body)
    assert {k: v for k, v in retried.body.items() if k != "messages"} == {
        k: v for k, v in build_request("system", MESSAGES, model=LOCAL_MODEL, max_tokens=retried.body["max_tokens"],
                                       cache=False).items() if k != "messages"} | {"stream": True}
    assert first.usage == Usage(input_tokens=first.usage.input_tokens, output_tokens=first.usage.output_tokens)
    assert first.usage.input_tokens > 0 and first.usage.cache_read_input_tokens == 0  # absent fields count 0

    # a second model for the same server (a later run of the session) sends none at all
    second = local(plain).turn("system", MESSAGES)
    assert second.text == "Still 42." and len(plain.requests) == 3
    assert not has_cache_control(plain.requests[2].body)

    # another server still gets it
    standin.enqueue(turn("Cached."))
    assert local(standin).turn("system", MESSAGES).text == "Cached."
    assert has_cache_control(standin.requests[0].body)


def test_the_retry_happens_once(plain):
    plain.enqueue(error(400, message="messages.0: this server says no"))
    model = local(plain)
    with pytest.raises(ModelError) as info:
        model.turn("system", MESSAGES)
    assert len(plain.requests) == 2  # with cache_control, then once without
    line = str(info.value)
    assert "\n" not in line and "this server says no" in line and info.value.status_code == 400
    assert model.caching  # not remembered: the turn without it failed too


def test_another_400_is_raised_at_once(standin):
    standin.enqueue(error(400, message="messages: text content blocks must contain non-whitespace text"))
    with pytest.raises(ModelError, match="non-whitespace"):
        local(standin).turn("system", MESSAGES)
    assert len(standin.requests) == 1


def bad_request(url, message):
    request = httpx2.Request("POST", url + "/v1/messages")
    body = {"type": "error", "error": {"type": "invalid_request_error", "message": message}}
    return anthropic.BadRequestError(message, response=httpx2.Response(400, request=request), body=body)


@pytest.mark.parametrize("url, message, about", [
    ("http://localhost:11434/", "system.0.text.cache_control: Extra inputs are not permitted", True),
    ("http://localhost:8000/", "json: unknown field \"cache_control\"", True),
    ("http://localhost:4000/", "Unrecognized request argument supplied", True),
    ("http://localhost:11434/", "messages: roles must alternate", False),
    ("https://api.anthropic.com/", "tools.0.cache_control: Extra inputs are not permitted", False),  # never hidden
])
def test_which_400s_are_taken_for_a_refusal_of_caching(url, message, about):
    assert rejects_caching(bad_request(url, message), url) is about
    assert not rejects_caching(anthropic.APIConnectionError(request=httpx2.Request("POST", url)), url)


def test_a_full_run_against_a_server_without_caching(plain):
    class Executor:
        def execute(self, code, timeout=0.0):
            return ExecutionResult([{"output_type": "stream", "name": "stdout", "text": "42\n"}], 1, "ok", None,
                                   0.01, "")

    plain.enqueue(turn("Let me compute.", "print(6 * 7)"), turn("It is 42."))
    run = Run(run_id="r-local", task="What is 6*7?", model=LOCAL_MODEL, context="", system=build_system())
    run = run_agent(run, local(plain), Executor(), RunOptions(timeout=5))
    assert run.status == "done" and len(run.steps) == 1 and run.answer == "It is 42."
    assert len(plain.requests) == 3 and [has_cache_control(r.body) for r in plain.requests] == [True, False, False]
    assert run.usage.input_tokens > 0 and run.usage.output_tokens > 0
    assert run.usage.cache_read_input_tokens == run.usage.cache_creation_input_tokens == 0
    assert run.cost_usd is None and "cost unknown" in status_line(run)


# -- cost of a model with no price ------------------------------------------------------------------------------------
def test_an_unpriced_model_costs_unknown_not_zero():
    usage = Usage(input_tokens=1200, output_tokens=80)
    run = Run(run_id="r-1", task="t", model=LOCAL_MODEL, context="", usage=usage,
              cost_usd=cost_usd(LOCAL_MODEL, usage.input_tokens, usage.output_tokens))
    assert run.cost_usd is None
    line = status_line(run)
    assert "cost unknown" in line and "$" not in line and "1,200 in / 80 out tokens" in line
    table = runs_table([run])
    assert " unknown " in table and "(and 1 run of unknown cost)" in table


# -- the ask_user tool -----------------------------------------------------------------------------------------------
def test_the_ask_user_tool_is_sent_when_given(standin):
    standin.enqueue(turn("One question.", tool_uses=[{"name": "ask_user", "input": {"question": "Which year?"}}]),
                    turn("Plain."))
    got = local(standin, tools=[PYTHON_TOOL, ASK_USER_TOOL]).turn("system", MESSAGES)
    tools = standin.requests[0].body["tools"]
    assert [t["name"] for t in tools] == ["python", "ask_user"]
    assert tools[1]["input_schema"]["required"] == ["question"] and "cache_control" in tools[1]
    assert got.content[1]["name"] == "ask_user" and got.content[1]["input"] == {"question": "Which year?"}
    local(standin).turn("system", MESSAGES)  # the default: the python tool alone
    assert [t["name"] for t in standin.requests[1].body["tools"]] == ["python"]


# -- Bedrock and Vertex AI -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("provider, module", [("bedrock", "boto3"), ("bedrock", "botocore"),
                                              ("vertex", "google.auth")])
def test_a_missing_extra_is_one_line_naming_it(monkeypatch, provider, module):
    for other, _ in providers._EXTRAS[provider]:  # the provider's other modules import (installed or not) ...
        monkeypatch.setitem(sys.modules, other, types.ModuleType(other))
    monkeypatch.setitem(sys.modules, module, None)  # ... and this one fails, installed or not
    with pytest.raises(MissingExtraError) as info:
        ClaudeModel(model="claude-sonnet-4-5", provider=provider)  # no Anthropic key needed for these
    line = str(info.value)
    assert "\n" not in line and line.startswith(f"provider '{provider}' needs the SDK's {provider} extra")
    assert line.endswith(f'pip install "anthropic[{provider}]"')
    assert info.value.library == module.replace("google.auth", "google-auth")


def test_a_bedrock_client_with_the_same_options(monkeypatch, standin):
    pytest.importorskip("boto3")
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    model = ClaudeModel(model="anthropic.claude-sonnet-4-5-20250929-v1:0", provider="bedrock", max_retries=1,
                        read_timeout=7)
    assert isinstance(model.client, anthropic.AnthropicBedrock)
    assert model.base_url == "https://bedrock-runtime.us-west-2.amazonaws.com"
    assert model.client.max_retries == 1 and model.client.timeout.read == 7
    there = ClaudeModel(model="m", provider="bedrock", base_url=standin.url)
    assert there.base_url == standin.url


def test_bedrock_without_a_region_is_one_line(monkeypatch, tmp_path):
    pytest.importorskip("boto3")
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    with pytest.raises(ModelError, match="provider 'bedrock' is not set up: No AWS region was provided"):
        ClaudeModel(model="m", provider="bedrock")


def test_a_bedrock_api_key_needs_no_boto3(monkeypatch):
    monkeypatch.setitem(sys.modules, "boto3", None)
    monkeypatch.setitem(sys.modules, "botocore", None)
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "bedrock-key")
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    assert ClaudeModel(model="m", provider="bedrock").client.api_key == "bedrock-key"


def test_a_vertex_client(monkeypatch):
    for name in ("google", "google.auth", "google.auth.transport", "google.auth.transport.requests"):
        monkeypatch.setitem(sys.modules, name, sys.modules.get(name) or types.ModuleType(name))
    monkeypatch.setenv("CLOUD_ML_REGION", "us-east5")
    monkeypatch.setenv("ANTHROPIC_VERTEX_PROJECT_ID", "my-project")
    model = ClaudeModel(model="claude-sonnet-4-5@20250929", provider="vertex")
    assert isinstance(model.client, anthropic.AnthropicVertex) and model.client.project_id == "my-project"
    assert model.base_url == "https://us-east5-aiplatform.googleapis.com/v1"
    monkeypatch.delenv("CLOUD_ML_REGION")
    with pytest.raises(ModelError, match="provider 'vertex' is not set up: No region was given"):
        ClaudeModel(model="m", provider="vertex")


def test_an_unknown_provider():
    with pytest.raises(ValueError, match="provider must be one of anthropic, bedrock, vertex"):
        ClaudeModel(model="m", provider="azure")
