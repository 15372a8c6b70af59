"""Each stop rule of the loop on its own (``agent.turn_ending``, ``refusal_of``, ``budget_ending``, ...), each default
read from its trait, the status words, and the one line ``ModelError.from_sdk`` makes of the SDK's errors."""

import anthropic
import httpx2
import pytest

from codeact_magic.stoprules import budget_ending, error_ending, refusal_of, stop_ending, turn_ending
from codeact_magic.config import CodeActConfig, RunOptions, default
from codeact_magic.exceptions import ModelError, ReplayDivergedError
from codeact_magic.records import Run, RunStatus, Step, Turn, Usage


def new_run(**kwargs):
    return Run(run_id="r-1", task="t", model="claude-sonnet-5-5", **kwargs)


def tool_turn(code="x = 1", name="python"):
    return Turn([{"type": "tool_use", "id": "toolu_1", "name": name, "input": {"code": code}}], "tool_use")


@pytest.mark.parametrize("stop_reason, status, words", [
    ("end_turn", "done", "The model answered after 0 steps."),
    ("max_tokens", "done", "cut at max_tokens (8,192)"),
    ("refusal", "failed", "declined the task"),
])
def test_a_turn_without_tool_use_ends_the_run(stop_reason, status, words):
    ending = turn_ending(new_run(), Turn([{"type": "text", "text": "Hi"}], stop_reason), RunOptions(), False)
    assert ending[0] == status and isinstance(ending[0], RunStatus) and words in ending[1]


def test_pause_turn_and_tool_use_go_on_until_the_limit_was_reached():
    assert turn_ending(new_run(), Turn([{"type": "text", "text": "…"}], "pause_turn"), RunOptions(), False) is None
    assert turn_ending(new_run(), tool_turn(), RunOptions(), False) is None
    status, reason = turn_ending(new_run(), tool_turn(), RunOptions(max_steps=3), True)
    assert status == RunStatus.STEP_LIMIT and "(3 steps)" in reason and "--max-steps" in reason


def test_a_tool_use_is_refused_for_another_tool_the_limit_or_no_code():
    run = new_run()
    assert refusal_of(tool_turn().tool_uses[0], run, RunOptions()) is None
    assert "no tool named 'bash'" in refusal_of(tool_turn(name="bash").tool_uses[0], run, RunOptions())
    assert "needs an input" in refusal_of(tool_turn(code="  ").tool_uses[0], run, RunOptions())
    run.steps.append(Step(index=1, turn=0, tool_use_id="toolu_0", code="x = 0"))
    assert refusal_of(tool_turn().tool_uses[0], run, RunOptions(max_steps=1)) == "Not run: the step limit is reached."


def test_budgets_in_tokens_and_usd():
    run = new_run(usage=Usage(900, 100), cost_usd=0.5)
    assert budget_ending(run, RunOptions()) is None  # 0: no budget
    assert budget_ending(run, RunOptions(max_run_tokens=1000))[0] == RunStatus.BUDGET
    assert budget_ending(run, RunOptions(max_run_tokens=1001)) is None
    status, reason = budget_ending(run, RunOptions(max_cost_usd=0.5))
    assert status == "budget" and "$0.5000 of $0.5000" in reason


def test_stop_and_error_endings():
    run = new_run(steps=[Step(index=1, turn=0, tool_use_id="a", code="x")])
    assert stop_ending(run) == (RunStatus.STOPPED, "Stopped by the user after 1 step.")
    assert error_ending(ModelError("Boom. Fix it.")) == (RunStatus.FAILED, "Boom. Fix it.")
    assert error_ending(ReplayDivergedError("Step 2 printed other text."))[0] == RunStatus.DIVERGED


def test_each_default_is_its_trait():
    traits = CodeActConfig.class_traits()
    options = RunOptions()
    for name in ("model", "max_steps", "timeout", "max_tokens", "max_run_tokens", "max_cost_usd",
                 "observation_max_chars", "insert_mode"):
        assert getattr(options, name) == traits[name].default_value == default(name)
    run = new_run()
    assert run.max_steps == default("max_steps") and run.insert_mode == default("insert_mode")
    assert run.status is RunStatus.RUNNING


def test_the_magic_help_reads_the_defaults():
    from codeact_magic.magics import CodeActMagics

    # the option parser's help, as %%codeact? prints it
    parser = CodeActMagics.codeact.parser
    text = parser.format_help()
    assert f"(default {default('max_steps')})" in text and f"(default {default('timeout'):g};" in text
    assert default("model") in " ".join(text.split())


def test_status_words_are_members_and_stay_plain_words():
    assert Run.from_json({"run_id": "r", "task": "t", "model": "m", "status": "step_limit"}).status is RunStatus.STEP_LIMIT
    assert RunStatus.STEP_LIMIT.label == "step limit" and RunStatus.BUDGET.label == "budget reached"
    assert RunStatus.DONE.note is None and RunStatus.STOPPED.note == "Run stopped"
    assert {s for s in RunStatus if s.raises} == {"failed", "diverged"}
    assert f"{RunStatus.DONE}" == "done" and new_run(status="done").to_json()["status"] == "done"
    with pytest.raises(ValueError):
        new_run(status="finished")


def _sdk_error(status, message, request_id="req_1"):
    request = httpx2.Request("POST", "http://127.0.0.1:1/v1/messages")
    response = httpx2.Response(status, json={"type": "error", "error": {"type": "x", "message": message}},
                               headers={"request-id": request_id}, request=request)
    return anthropic.APIStatusError(f"Error code: {status}", response=response, body=response.json())


@pytest.mark.parametrize("status, words", [
    (401, "Claude rejected the API key (401 authentication_error: nope). Check ANTHROPIC_API_KEY."),
    (404, "Model 'claude-x' was not found (404: nope)."),
    (429, "Rate limited by the API (429) after 2 retries: nope."),
    (529, "The API is overloaded or failing (529) after 2 retries: nope."),
])
def test_model_error_from_sdk_status(status, words):
    error = ModelError.from_sdk(_sdk_error(status, "nope"), model="claude-x", retries=2, base_url="http://api")
    assert isinstance(error, ModelError) and words in str(error) and "\n" not in str(error)
    assert error.status_code == status and error.request_id == "req_1" and str(error).endswith("[request-id req_1]")


def test_model_error_from_sdk_connection_and_timeout():
    request = httpx2.Request("POST", "http://127.0.0.1:1/v1/messages")
    refused = anthropic.APIConnectionError(request=request)
    refused.__cause__ = ConnectionRefusedError("refused")
    error = ModelError.from_sdk(refused, model="m", retries=0, base_url="http://127.0.0.1:1")
    assert str(error).startswith("Could not reach the Anthropic API at http://127.0.0.1:1 (ConnectionRefusedError")
    timeout = anthropic.APITimeoutError(request=request)
    error = ModelError.from_sdk(timeout, model="m", retries=2, base_url="http://api", read_timeout=40)
    assert "no answer from http://api for 40 s, on all 3 attempts" in str(error) and error.status_code is None
