"""The local Anthropic stand-in, exercised with the real ``anthropic`` SDK over real HTTP (no mocks)."""
import json
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import anthropic
import httpx2
import pytest

from standin import StandIn, broken, error, estimate_tokens, responder, silent, turn

MODEL = "claude-sonnet-5"
KEY = "sk-ant-test-0000"
TOOL = {"name": "python", "description": "Run Python in the kernel.",
        "input_schema": {"type": "object", "properties": {"code": {"type": "string"}}, "required": ["code"]}}
STANDIN_PY = Path(__file__).resolve().parents[1] / "standin.py"


def ask(text="What is 1+1?", **kw):
    """Keyword arguments of a one-message request."""
    return dict(model=MODEL, max_tokens=1024, messages=[{"role": "user", "content": text}], **kw)


@pytest.fixture
def client(anthropic_env):
    """An SDK client configured only from the environment, pointed at the stand-in."""
    return anthropic.Anthropic()


def test_stream_text_and_tool_use(client, standin):
    standin.enqueue(turn("Let me compute.", "print(1 + 1)"))
    with client.messages.stream(**ask(tools=[TOOL])) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert pieces == ["Let m", "e com", "pute."]
    text, tool_use = final.content
    assert text.text == "Let me compute."
    assert (tool_use.type, tool_use.name, tool_use.input) == ("tool_use", "python", {"code": "print(1 + 1)"})
    assert tool_use.id.startswith("toolu_") and final.id.startswith("msg_")
    assert final.stop_reason == "tool_use" and final.model == MODEL
    assert final.usage.output_tokens > 1 and final.usage.input_tokens == estimate_tokens(standin.requests[0].body)
    recorded = standin.requests[0]
    assert recorded.body["stream"] is True
    assert recorded.headers["authorization"] == f"Bearer {KEY}"
    assert recorded.headers["anthropic-version"] == "2026-10-21"


def test_stream_raw_events_are_well_formed(client, standin):
    standin.enqueue(turn("ab", tool_uses=["x = 1", "y = 2"], thinking="Think.", chunks=2))
    with client.messages.stream(**ask(tools=[TOOL])) as stream:
        events = [event.type for event in stream if event.type not in ("text", "thinking", "input_json", "signature")]
        final = stream.get_final_message()
    assert events[0] == "message_start" and events[-2:] == ["message_delta", "message_stop"]
    assert events.count("content_block_start") == events.count("content_block_stop") == 4
    assert [b.type for b in final.content] == ["thinking", "text", "tool_use", "tool_use"]
    assert final.content[0].thinking == "Think." and final.content[0].signature
    assert [b.input["code"] for b in final.content[2:]] == ["x = 1", "y = 2"]
    assert final.content[2].id != final.content[3].id


def test_create_non_stream(client, standin):
    standin.enqueue(turn("2", thinking="Easy."))
    message = client.messages.create(**ask())
    assert [b.type for b in message.content] == ["thinking", "text"]
    assert message.content[1].text == "2" and message.stop_reason == "end_turn"
    assert "stream" not in standin.requests[0].body


def test_overloaded_then_success_is_retried(client, standin):
    standin.enqueue(error(529), turn("ok"))
    assert client.messages.create(**ask()).content[0].text == "ok"
    assert len(standin.requests) == 2
    assert standin.requests[1].headers["x-stainless-retry-count"] == "1"


def test_rate_limit_with_retry_after_then_success(client, standin):
    # The SDK ignores `retry-after: 0` (only values > 0 count) and backs off ~0.4-0.5 s instead.
    standin.enqueue(error(429, retry_after=0), turn("ok"))
    assert client.messages.create(**ask()).content[0].text == "ok"
    assert len(standin.requests) == 2


def test_retries_exhausted_raise_the_status_error(client, standin):
    standin.enqueue(error(529, retry_after=0.01), error(529, retry_after=0.01))
    with pytest.raises(anthropic.OverloadedError) as info:
        client.with_options(max_retries=1).messages.create(**ask())
    assert info.value.type == "overloaded_error" and info.value.request_id.startswith("req_")
    assert len(standin.requests) == 2


def test_bad_key_raises_authentication_error(anthropic_env):
    anthropic_env.enqueue(turn("never sent"))
    with pytest.raises(anthropic.AuthenticationError):
        anthropic.Anthropic(api_key="sk-ant-bad").messages.create(**ask())
    assert len(anthropic_env.requests) == 1  # not retried, and the queue is left alone:
    assert anthropic.Anthropic().messages.create(**ask()).content[0].text == "never sent"


def test_broken_stream_error_event(client, standin):
    standin.enqueue(broken("Let me"))
    with pytest.raises(anthropic.APIStatusError) as info:
        with client.messages.stream(**ask()) as stream:
            assert list(stream.text_stream) == ["Let me"]
    # The SDK raises the base class: the status is the stream's 200, the error type is in the body.
    assert type(info.value) is anthropic.APIStatusError
    assert info.value.status_code == 200 and info.value.type == "overloaded_error"
    assert len(standin.requests) == 1  # an error event is never retried


def test_broken_stream_disconnect(client, standin):
    standin.enqueue(broken("Let me", mode="disconnect"))
    with pytest.raises(httpx2.RemoteProtocolError, match="incomplete chunked read"):
        with client.messages.stream(**ask()) as stream:
            for _ in stream:
                pass
    # The transport error escapes unwrapped: it is not an anthropic.APIError.
    assert len(standin.requests) == 1


def test_broken_without_stream(client, standin):
    standin.enqueue(broken(mode="disconnect"), broken(mode="error_event"))
    with pytest.raises(anthropic.APIConnectionError):
        client.with_options(max_retries=0).messages.create(**ask())
    with pytest.raises(anthropic.OverloadedError):
        client.with_options(max_retries=0).messages.create(**ask())



def stream_events(client, **kw):
    """The raw event types of one streamed answer and the SDK's final message (or the exception raised)."""
    with client.messages.stream(**ask(tools=[TOOL], **kw)) as stream:
        types = [event.type for event in stream if event.type not in ("text", "input_json")]
        return types, stream.get_final_message()


FULL = ["message_start", "content_block_start", "content_block_delta", "content_block_delta", "content_block_delta",
        "content_block_stop", "content_block_start", "content_block_delta", "content_block_delta",
        "content_block_delta", "content_block_stop", "message_delta", "message_stop"]
# the frames on the wire add a ping after message_start and one after each block's first delta: 16 frames


@pytest.mark.parametrize("k, last, text, code", [
    (6, "content_block_delta", "Now I will l", None),  # mid-answer: 2 of 3 text deltas
    (12, "content_block_delta", "Now I will look.", None),  # mid-tool_use JSON: the input is not there yet
    (14, "content_block_stop", "Now I will look.", "print(1 + 1)"),  # the whole tool_use, then nothing
    (15, "message_delta", "Now I will look.", "print(1 + 1)"),  # all but message_stop
])
def test_a_stream_cut_after_k_frames_ends_cleanly_and_the_sdk_returns_the_partial_message(client, standin, k, last,
                                                                                          text, code):
    standin.enqueue(turn("Now I will look.", "print(1 + 1)"), turn("Now I will look.", "print(1 + 1)", cut_after=k))
    assert stream_events(client)[0] == FULL
    types, partial = stream_events(client)
    # No error at all: the SDK hands back what arrived as if it were the message. Only the missing message_stop
    # (and a stop_reason of None before message_delta) tells a cut stream from a whole one.
    assert "message_stop" not in types and types[-1] == last
    assert partial.content[0].text == text
    if code is None:
        assert len(partial.content) == 1 or partial.content[1].input == {}
    else:
        assert partial.content[1].input == {"code": code}
    assert partial.stop_reason == ("tool_use" if k == 15 else None)


def test_a_stream_cut_with_disconnect_or_stall_raises_the_transports_error(anthropic_env, standin):
    standin.enqueue(turn("Now I will look.", "print(1 + 1)", cut_after=12, cut="disconnect"),
                    turn("Now I will look.", cut_after=4, cut="stall"))
    client = anthropic.Anthropic(timeout=httpx2.Timeout(5, read=0.5))
    with pytest.raises(httpx2.RemoteProtocolError, match="incomplete chunked read"):
        stream_events(client)
    started = time.monotonic()
    with pytest.raises(httpx2.ReadTimeout):  # mid-stream, so not an anthropic.APITimeoutError and never retried
        stream_events(client)
    assert 0.5 <= time.monotonic() - started < 3 and len(standin.requests) == 2


def test_broken_close_ends_the_body_after_the_first_text(client, standin):
    standin.enqueue(broken("Now I wil", mode="close"), broken(mode="close"))
    types, partial = stream_events(client)
    assert types == ["message_start", "content_block_start", "content_block_delta"]
    assert partial.content[0].text == "Now I wil" and partial.stop_reason is None
    with pytest.raises(anthropic.APIConnectionError):  # without a stream: hang up, no answer
        client.with_options(max_retries=0).messages.create(**ask())


def test_a_cut_turn_to_a_non_streaming_request_hangs_up(client, standin):
    standin.enqueue(turn("x", cut_after=3))
    with pytest.raises(anthropic.APIConnectionError):
        client.with_options(max_retries=0).messages.create(**ask())


def test_cut_options_are_checked():
    with pytest.raises(ValueError):
        turn("x", cut_after=-1)
    with pytest.raises(ValueError):
        turn("x", cut_after=2, cut="explode")
    with pytest.raises(ValueError):
        broken(mode="explode")


@pytest.mark.parametrize("text", ["\n\n", " ", ""])
def test_a_blank_text_block_is_sent_and_rejected_when_it_comes_back(client, standin, text):
    standin.enqueue(turn(text, "x = 1"), turn("never sent"))
    first = client.messages.create(**ask(tools=[TOOL]))
    assert first.content[0].type == "text" and first.content[0].text == text  # as the API sometimes sends it
    back = ask(tools=[TOOL])["messages"] + [
        {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": first.content[1].id, "content": "ok"}]}]
    expected = "must be non-empty" if not text else "must contain non-whitespace text"
    with pytest.raises(anthropic.BadRequestError, match=f"messages: text content blocks {expected}"):
        client.messages.create(**{**ask(tools=[TOOL]), "messages": back})
    # the whole request is rejected, whichever message holds the block (here: the system prompt)
    with pytest.raises(anthropic.BadRequestError, match="system: text content blocks"):
        client.messages.create(**ask(system=[{"type": "text", "text": text}]))
    assert len(standin.requests) == 3
    back[1]["content"] = back[1]["content"][1:]  # without the blank block the same request is fine
    assert client.messages.create(**{**ask(tools=[TOOL]), "messages": back}).content[0].text == "never sent"


def test_a_tool_use_of_an_undeclared_tool(client, standin):
    standin.enqueue(turn("Let me use the shell.", "ls -la", tool="bash"))
    _, final = stream_events(client)
    assert (final.content[1].name, final.content[1].input) == ("bash", {"code": "ls -la"})
    assert [t["name"] for t in standin.requests[0].body["tools"]] == ["python"]


def test_silent_holds_the_connection_without_a_byte(anthropic_env, standin):
    standin.enqueue(silent(), silent(0.2), turn("late"))
    client = anthropic.Anthropic(timeout=httpx2.Timeout(5, read=0.5), max_retries=0)
    started = time.monotonic()
    with pytest.raises(anthropic.APITimeoutError):  # held until the client's read timeout
        client.messages.create(**ask())
    assert 0.5 <= time.monotonic() - started < 2
    started = time.monotonic()
    with pytest.raises(anthropic.APIConnectionError) as info:  # held 0.2 s, then hung up without an answer
        client.messages.create(**ask())
    assert not isinstance(info.value, anthropic.APITimeoutError) and time.monotonic() - started < 0.5 + 0.4
    assert len(standin.requests) == 2
    # the SDK retries a silent request like any timeout: here the retry finds the queued answer
    standin.enqueue(silent())
    assert client.with_options(max_retries=1).messages.create(**ask()).content[0].text == "late"


def test_a_held_connection_lets_go_when_the_standin_closes(anthropic_env):
    server = StandIn([silent()])
    client = anthropic.Anthropic(base_url=server.url, timeout=httpx2.Timeout(30), max_retries=0)
    closer = threading.Timer(0.3, server.close)
    closer.start()
    started = time.monotonic()
    with pytest.raises(anthropic.APIConnectionError):
        client.messages.create(**ask())
    assert time.monotonic() - started < 5
    closer.join()


def test_script_specs_for_silent_and_cut_turns():
    with StandIn(scripts=[{"match": "", "turns": [{"silent": 0.1}, {"text": "Now I", "cut_after": 3}]}]) as server:
        assert server._scripts[0][1][0] == silent(0.1)
        assert server._scripts[0][1][1].cut_after == 3
    with pytest.raises(ValueError):
        StandIn(scripts=[{"match": "x", "turns": [{"silent": 1, "text": "both"}]}])

@pytest.mark.parametrize("kwargs, message", [
    (dict(extra_body={"temperature": 0.5}), "temperature: not supported with anthropic-version 2026-10-21"),
    (dict(system=[{"type": "text", "text": f"part {i}", "cache_control": {"type": "ephemeral"}} for i in range(5)]),
     "A maximum of 4 blocks with cache_control may be provided. Found 5."),
    (dict(messages=[{"role": "user", "content": "hi"},
                    {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "python",
                                                       "input": {"code": "1"}}]},
                    {"role": "user", "content": "and?"}]),
     "messages.2: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_1."),
    (dict(messages=[{"role": "user", "content": "hi"}, {"role": "user", "content": "again"}]),
     'roles must alternate between "user" and "assistant"'),
    (dict(messages=[{"role": "assistant", "content": "hi"}]), 'first message must use the "user" role'),
    (dict(tools=[{"name": "python", "input_schema": {"type": "object"}}]), "tools.0.description: Field required"),
    (dict(messages=[{"role": "user", "content": []}]), "messages.0: all messages must have non-empty content"),
])
def test_invalid_requests_raise_bad_request(client, standin, kwargs, message):
    standin.enqueue(turn("not consumed"))
    with pytest.raises(anthropic.BadRequestError, match=message.replace(".", r"\.").replace("(", r"\(")):
        client.messages.create(**{**ask(), **kwargs})
    assert len(standin.requests) == 1


def test_tool_results_out_of_order_are_rejected(client, standin):
    uses = [{"type": "tool_use", "id": f"toolu_{i}", "name": "python", "input": {"code": str(i)}} for i in (1, 2)]
    results = [{"type": "tool_result", "tool_use_id": f"toolu_{i}", "content": "ok"} for i in (2, 1)]
    messages = [{"role": "user", "content": "go"}, {"role": "assistant", "content": uses},
                {"role": "user", "content": results}]
    with pytest.raises(anthropic.BadRequestError, match="in the same order"):
        client.messages.create(**{**ask(), "messages": messages})
    with pytest.raises(anthropic.BadRequestError, match="unexpected `tool_use_id`"):
        client.messages.create(**{**ask(), "messages": messages[:1] + [{"role": "assistant", "content": "hm"}]
                                  + [{"role": "user", "content": results[:1]}]})


def test_empty_queue_is_a_loud_unretried_500(client, standin):
    with pytest.raises(anthropic.InternalServerError, match="stand-in: no scripted response left"):
        client.messages.create(**ask())
    assert len(standin.requests) == 1


def test_responder_echoes_the_tool_result(client, standin):
    standin.enqueue(turn(code="print(6 * 7)"),
                    responder(lambda body: turn(f"It printed {body['messages'][-1]['content'][0]['content']}.")))
    first = client.messages.create(**ask(tools=[TOOL]))
    tool_use = first.content[0]
    messages = ask()["messages"] + [
        {"role": "assistant", "content": first.content},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_use.id, "content": "42"}]}]
    second = client.messages.create(**{**ask(tools=[TOOL]), "messages": messages})
    assert second.content[0].text == "It printed 42."


SCRIPTS = [
    {"match": "sum", "turns": [{"text": "I'll add.", "code": "1 + 2"},
                               {"text": "It is 3.", "stop_reason": "end_turn"}]},
    {"match": "", "turns": [{"error": {"status": 529, "retry_after": 0.01}}]},
]


def test_script_answers_from_the_conversation_length(standin):
    with StandIn(scripts=SCRIPTS) as server:
        client = anthropic.Anthropic(base_url=server.url, api_key=KEY, max_retries=0)
        messages = [{"role": "user", "content": [{"type": "text", "text": "Please "}, {"type": "text", "text": "sum"}]}]
        first = client.messages.create(model=MODEL, max_tokens=100, messages=messages, tools=[TOOL])
        again = client.messages.create(model=MODEL, max_tokens=100, messages=messages, tools=[TOOL])
        assert first.content[1].input == again.content[1].input == {"code": "1 + 2"}
        assert first.content[1].id != again.content[1].id  # stateless, yet ids stay unique
        messages += [{"role": "assistant", "content": first.content},
                     {"role": "user", "content": [{"type": "tool_result", "tool_use_id": first.content[1].id,
                                                   "content": "3"}]}]
        assert client.messages.create(model=MODEL, max_tokens=100, messages=messages).content[0].text == "It is 3."
        messages += [{"role": "assistant", "content": "It is 3."}, {"role": "user", "content": "Thanks"}]
        assert client.messages.create(model=MODEL, max_tokens=100, messages=messages).content[0].text == "Done."
        with pytest.raises(anthropic.OverloadedError):  # the catch-all script
            client.messages.create(**ask("something else"))
        server.enqueue(turn("queued first"))
        assert client.messages.create(**ask("sum")).content[0].text == "queued first"


def test_script_specs_are_checked_when_loaded():
    with pytest.raises(TypeError):
        StandIn(scripts=[{"match": "x", "turns": [{"txt": "typo"}]}])
    with pytest.raises(ValueError):
        StandIn(scripts=[{"match": "x", "turns": [{"error": {"status": 529}, "text": "both"}]}])


def cached_request(*turns):
    """A request whose system prompt and last user message are cache breakpoints."""
    messages = []
    for i, text in enumerate(turns):
        messages.append({"role": "user" if i % 2 == 0 else "assistant", "content": [{"type": "text", "text": text}]})
    messages[-1]["content"][-1]["cache_control"] = {"type": "ephemeral"}
    return dict(model=MODEL, max_tokens=100, tools=[TOOL], messages=messages,
                system=[{"type": "text", "text": "You are careful. " * 40, "cache_control": {"type": "ephemeral"}}])


def full_estimate(usage):
    return usage.input_tokens + usage.cache_read_input_tokens + usage.cache_creation_input_tokens


def test_usage_follows_prompt_caching(client, standin):
    standin.enqueue(turn("Hello."), turn("Fine."), turn("Again."))
    first = cached_request("Hi, this is the first question.")
    u1 = client.messages.create(**first).usage
    assert u1.cache_read_input_tokens == 0 and u1.input_tokens == 0  # the last block is a breakpoint
    assert full_estimate(u1) == client.messages.count_tokens(
        **{k: v for k, v in first.items() if k != "max_tokens"}).input_tokens

    # The breakpoint moved to the new last message: the old one is found by looking back.
    second = cached_request("Hi, this is the first question.", "Hello.", "How are you?")
    u2 = client.messages.create(**second).usage
    assert u2.cache_read_input_tokens == full_estimate(u1)
    assert full_estimate(u2) == estimate_tokens(second) > full_estimate(u1)
    assert u2.cache_creation_input_tokens == full_estimate(u2) - full_estimate(u1)

    standin.reset_cache()
    assert client.messages.create(**second).usage.cache_read_input_tokens == 0


def test_usage_override_and_uncached_input(client, standin):
    standin.enqueue(turn("x", usage=dict(output_tokens=500)))
    usage = client.messages.create(**ask()).usage
    assert usage.output_tokens == 500
    assert usage.input_tokens == estimate_tokens(ask()) and usage.cache_creation_input_tokens == 0


def test_top_level_cache_control_caches_up_to_the_last_block(client, standin):
    standin.enqueue(turn("a"), turn("b"))
    first = client.messages.create(**ask(cache_control={"type": "ephemeral"})).usage
    assert (first.input_tokens, first.cache_creation_input_tokens) == (0, estimate_tokens(ask()))
    second = client.messages.create(**ask(cache_control={"type": "ephemeral"})).usage
    assert (second.cache_read_input_tokens, second.cache_creation_input_tokens) == (estimate_tokens(ask()), 0)


def test_latency_delays_the_answer():
    with StandIn([turn("slow")], latency=0.3) as server:
        started = time.monotonic()
        anthropic.Anthropic(base_url=server.url, api_key=KEY).messages.create(**ask())
        assert time.monotonic() - started >= 0.3


def test_raw_http_auth_and_unknown_paths(standin):
    def post(path, headers):
        request = urllib.request.Request(standin.url + path, data=json.dumps(ask()).encode(), headers=headers)
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(request, timeout=5)
        return info.value.code, json.load(info.value)

    status, body = post("/v1/messages", {"content-type": "application/json"})
    assert status == 401 and body["error"]["type"] == "authentication_error"
    assert body["type"] == "error" and body["request_id"].startswith("req_")
    status, body = post("/v1/models", {"x-api-key": KEY})
    assert status == 404 and body["error"]["type"] == "not_found_error"


def test_cli_serves_a_script_file(tmp_path):
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"scripts": SCRIPTS}))
    port_file = tmp_path / "url"
    command = [sys.executable, str(STANDIN_PY), "--script", str(script), "--port-file", str(port_file)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as process:
        try:
            assert process.stdout.readline().startswith("stand-in listening on http://127.0.0.1:")
            client = anthropic.Anthropic(base_url=port_file.read_text(), api_key=KEY)
            with client.messages.stream(**ask("sum it up", tools=[TOOL])) as stream:
                assert stream.get_final_message().content[1].input == {"code": "1 + 2"}
        finally:
            process.terminate()
        assert process.wait(timeout=10) == 0


# -- a server without prompt caching (Ollama, llama.cpp, vLLM) ------------------------------------------------------
def raw_post(url, body, path="/v1/messages"):
    """Status and body text of one POST, however it answered."""
    request = urllib.request.Request(url + path, data=json.dumps(body).encode(),
                                     headers={"x-api-key": KEY, "content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


@pytest.mark.parametrize("where, path", [
    ("message", "messages.0.content.0.text.cache_control"),
    ("system", "system.0.text.cache_control"),
    ("tool", "tools.0.cache_control"),
    ("top", "cache_control"),
])
def test_without_caching_any_cache_control_answers_400(where, path):
    ephemeral = {"type": "ephemeral"}
    kwargs = ask(tools=[TOOL])
    if where == "message":
        kwargs["messages"] = [{"role": "user", "content": [{"type": "text", "text": "Hi", "cache_control": ephemeral}]}]
    elif where == "system":
        kwargs["system"] = [{"type": "text", "text": "Be brief.", "cache_control": ephemeral}]
    elif where == "tool":
        kwargs["tools"] = [{**TOOL, "cache_control": ephemeral}]
    else:
        kwargs["cache_control"] = ephemeral
    with StandIn([turn("never sent"), turn("fine")], caching=False) as server:
        client = anthropic.Anthropic(base_url=server.url, api_key=KEY)
        with pytest.raises(anthropic.BadRequestError) as info:
            client.messages.create(**kwargs)
        assert info.value.body["error"] == {"type": "invalid_request_error",
                                            "message": f"{path}: Extra inputs are not permitted"}
        with pytest.raises(anthropic.BadRequestError, match="Extra inputs are not permitted"):
            client.messages.count_tokens(**{k: v for k, v in kwargs.items() if k != "max_tokens"})
        assert len(server.requests) == 1  # recorded (count_tokens is not), and no response consumed:
        assert client.messages.create(**ask(tools=[TOOL])).content[0].text == "never sent"


def test_without_caching_usage_has_no_cache_fields():
    with StandIn([turn("a"), turn("b", "x = 1"), turn("c", usage=dict(output_tokens=7))], caching=False) as server:
        status, text = raw_post(server.url, ask())
        assert status == 200
        assert json.loads(text)["usage"] == {"input_tokens": estimate_tokens(ask()), "output_tokens": 1}
        status, text = raw_post(server.url, {**ask(tools=[TOOL]), "stream": True})
        events = [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ")]
        usages = [e["message"]["usage"] if e["type"] == "message_start" else e["usage"] for e in events
                  if e["type"] in ("message_start", "message_delta")]
        assert len(usages) == 2 and all(set(u) == {"input_tokens", "output_tokens"} for u in usages)
        with anthropic.Anthropic(base_url=server.url, api_key=KEY).messages.stream(**ask()) as stream:
            usage = stream.get_final_message().usage  # the SDK leaves them None
        assert (usage.cache_creation_input_tokens, usage.cache_read_input_tokens, usage.output_tokens) == (None, None, 7)
        status, text = raw_post(server.url, {k: v for k, v in ask().items() if k != "max_tokens"},
                                "/v1/messages/count_tokens")
        assert (status, json.loads(text)) == (200, {"input_tokens": estimate_tokens(ask())})


def test_cli_no_cache(tmp_path):
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"scripts": SCRIPTS}))
    port_file = tmp_path / "url"
    command = [sys.executable, str(STANDIN_PY), "--script", str(script), "--port-file", str(port_file), "--no-cache"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as process:
        try:
            assert process.stdout.readline().startswith("stand-in listening on")
            client = anthropic.Anthropic(base_url=port_file.read_text(), api_key=KEY, max_retries=0)
            with pytest.raises(anthropic.BadRequestError, match="cache_control: Extra inputs are not permitted"):
                client.messages.create(**ask("sum", cache_control={"type": "ephemeral"}))
            usage = client.messages.create(**ask("sum", tools=[TOOL])).usage
            assert usage.cache_read_input_tokens is None and usage.input_tokens > 0
        finally:
            process.terminate()
        assert process.wait(timeout=10) == 0


# -- tool uses of any tool -------------------------------------------------------------------------------------------
ASK = {"name": "ask_user", "input": {"question": "Which year?"}}


def test_tool_uses_of_any_tool_with_any_input(client, standin):
    standin.enqueue(turn("Let me ask.", tool_uses=["x = 1", ASK]))
    _, final = stream_events(client)
    assert [(b.name, b.input) for b in final.content[1:]] == [("python", {"code": "x = 1"}), tuple(ASK.values())]
    assert final.stop_reason == "tool_use" and final.content[1].id != final.content[2].id
    with StandIn(scripts=[{"match": "", "turns": [{"text": "Asking.", "tool_uses": [ASK]}]}]) as server:
        got = anthropic.Anthropic(base_url=server.url, api_key=KEY).messages.create(**ask())
        assert (got.content[1].name, got.content[1].input) == ("ask_user", {"question": "Which year?"})
    for bad in ({"name": "ask_user"}, {"name": "", "input": {}}, {"name": "x", "input": "text"}, 42):
        with pytest.raises(ValueError):
            turn(tool_uses=[bad])
    with pytest.raises(ValueError):
        turn(tool_uses="x = 1")  # a bare string is not a list of codes


# -- images ----------------------------------------------------------------------------------------------------------
def picture(fmt, width, height, **save):
    """Base64 of a real image file (Pillow)."""
    import base64
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, fmt, **save)
    return base64.b64encode(buffer.getvalue()).decode()


def image_block(data, media_type="image/png"):
    return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}


@pytest.mark.parametrize("fmt, media_type, save", [
    ("PNG", "image/png", {}), ("JPEG", "image/jpeg", {}), ("JPEG", "image/jpeg", {"progressive": True}),
    ("GIF", "image/gif", {}), ("WEBP", "image/webp", {}), ("WEBP", "image/webp", {"lossless": True}),
])
def test_image_size_reads_the_header(fmt, media_type, save):
    import base64

    from standin import image_size

    assert image_size(base64.b64decode(picture(fmt, 321, 123, **save))) == (media_type, 321, 123)
    assert image_size(b"not an image") is None and image_size(b"\x89PNG\r\n\x1a\n") is None


def test_an_image_costs_its_pixels_not_its_base64(client, standin):
    big = picture("PNG", 800, 600)  # ceil(800 * 600 / 750) = 640 tokens
    text = {"type": "text", "text": "What is this?"}
    alone = dict(model=MODEL, max_tokens=100, messages=[{"role": "user", "content": [text]}])
    with_image = dict(alone, messages=[{"role": "user", "content": [image_block(big), text]}])
    assert estimate_tokens(with_image) - estimate_tokens(alone) == 640
    jpeg = picture("JPEG", 1000, 750)  # 1000 tokens
    assert estimate_tokens(dict(alone, messages=[{"role": "user", "content": [image_block(jpeg, "image/jpeg")]}])) == 1000
    # in a tool_result: its JSON without the image, plus the image's pixels
    uses = [{"type": "tool_use", "id": "toolu_1", "name": "python", "input": {"code": "plot()"}}]
    result = {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "a plot"}]}
    messages = [{"role": "user", "content": "Plot it."}, {"role": "assistant", "content": uses},
                {"role": "user", "content": [result]}]
    plain = dict(alone, messages=messages)
    shown = dict(alone, messages=messages[:2] + [{"role": "user", "content": [
        {**result, "content": result["content"] + [image_block(big)]}]}])
    assert estimate_tokens(shown) - estimate_tokens(plain) == 640
    standin.enqueue(turn("A red square."))
    usage = client.messages.create(**shown).usage
    assert usage.input_tokens == estimate_tokens(shown) == client.messages.count_tokens(
        **{k: v for k, v in shown.items() if k != "max_tokens"}).input_tokens


@pytest.mark.parametrize("block, message", [
    (image_block("A" * (5 * 1024 * 1024 + 4)), "image exceeds 5 MB maximum: 5242884 bytes > 5242880 bytes"),
    (image_block(picture("PNG", 2, 2), "image/bmp"), "media_type: Input should be 'image/jpeg', 'image/png'"),
    (image_block(picture("PNG", 2, 2), "image/jpeg"), "Image does not match the provided media type image/jpeg"),
    (image_block("bm90IGFuIGltYWdl"), "data: Could not process image"),
    (image_block("***"), "not valid base64"),
    ({"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}},
     "source: Input tag 'url' found using 'type' does not match any of the expected tags: 'base64'"),
    ({"type": "image", "source": {"type": "base64", "data": picture("PNG", 2, 2)}}, "media_type: Field required"),
    ({"type": "image"}, "source: Field required"),
])
def test_bad_images_answer_400(client, standin, block, message):
    where = "messages.0.content.0."
    standin.enqueue(turn("not consumed"))
    with pytest.raises(anthropic.BadRequestError, match=re.escape(message)) as info:
        client.messages.create(**ask([block]))
    assert info.value.body["error"]["message"].startswith(where)
    # the same inside a tool_result
    uses = [{"type": "tool_use", "id": "toolu_1", "name": "python", "input": {"code": "plot()"}}]
    messages = [{"role": "user", "content": "Plot it."}, {"role": "assistant", "content": uses},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": [block]}]}]
    with pytest.raises(anthropic.BadRequestError, match=re.escape(message)) as info:
        client.messages.create(**{**ask(), "messages": messages})
    assert info.value.body["error"]["message"].startswith("messages.2.content.0.content.0.")
    assert client.messages.create(**ask()).content[0].text == "not consumed"


def test_tool_result_content_holds_only_text_and_images(client, standin):
    uses = [{"type": "tool_use", "id": "toolu_1", "name": "python", "input": {"code": "1"}}]
    inner = [{"type": "text", "text": "ok"}, {"type": "tool_use", "id": "x", "name": "python", "input": {}}]
    messages = [{"role": "user", "content": "Go."}, {"role": "assistant", "content": uses},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": inner}]}]
    with pytest.raises(anthropic.BadRequestError, match=re.escape(
            "messages.2.content.0.content.1: Input tag 'tool_use' found using 'type' does not match any of the "
            "expected tags: 'image', 'text'")):
        client.messages.create(**{**ask(), "messages": messages})
    standin.enqueue(turn("fine"))
    messages[2]["content"][0]["content"] = [inner[0], image_block(picture("GIF", 4, 4), "image/gif")]
    assert client.messages.create(**{**ask(), "messages": messages}).content[0].text == "fine"
