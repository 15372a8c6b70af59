"""The loop's stop rules and message building, with a scripted model and a recording executor (no kernel)."""

import pytest

from codeact_magic.agent import CODE_TOOL, RunObserver, run_agent
from codeact_magic.conversation import first_message
from codeact_magic.config import RunOptions
from codeact_magic.exceptions import CodeActError, ModelError
from codeact_magic.exceptions import BrokenStreamError
from codeact_magic.model import PYTHON_TOOL, build_request
from codeact_magic.execution import ExecutionResult
from codeact_magic.records import Run, Turn, Usage


def code_turn(code, text="Thinking.", usage=Usage(100, 10)):
    return Turn([{"type": "text", "text": text},
                 {"type": "tool_use", "id": f"toolu_{abs(hash(code))}", "name": "python", "input": {"code": code}}],
                "tool_use", usage)


def answer(text="Done: 42.", stop_reason="end_turn"):
    return Turn([{"type": "text", "text": text}], stop_reason, Usage(120, 5))


class Scripted:
    def __init__(self, *turns, fail_at=None):
        self.turns, self.fail_at, self.requests = list(turns), fail_at, []

    def turn(self, system, messages, on_text=None):
        self.requests.append([dict(m) for m in messages])
        if self.fail_at is not None and len(self.requests) - 1 == self.fail_at:
            raise ModelError("Claude rejected the API key (401 authentication_error: invalid x-api-key). Check ANTHROPIC_API_KEY.", status_code=401)
        turn = self.turns.pop(0)
        if on_text:
            on_text(turn.text[:3])
            on_text(turn.text[3:])
        return turn


class Executor:
    def __init__(self, statuses=None):
        self.ran, self.statuses = [], dict(statuses or {})

    def execute(self, code, timeout=0.0):
        self.ran.append((code, timeout))
        status = self.statuses.get(code, "ok")
        outputs = [{"output_type": "stream", "name": "stdout", "text": f"ran {code}\n"}]
        error_text = "Traceback ...\nZeroDivisionError: division by zero" if status == "error" else ""
        return ExecutionResult(outputs, len(self.ran), status, None, 0.01, error_text)


class Events(RunObserver):
    def __init__(self):
        self.log = []

    def __getattribute__(self, name):
        if name in ("run_started", "text", "turn_finished", "step_started", "step_finished", "run_finished"):
            return lambda *args: object.__getattribute__(self, "log").append(name)
        return object.__getattribute__(self, name)


def new_run(**kw):
    return Run(run_id="r-test", task="Compute 6*7", model="claude-sonnet-5-5", context="x: int = 1", **kw)


def test_answer_ends_the_run_and_results_go_back_as_tool_result():
    model = Scripted(code_turn("a = 6*7"), code_turn("1/0"), answer())
    ex = Executor({"1/0": "error"})
    events = Events()
    run = run_agent(new_run(), model, ex, RunOptions(timeout=5), [events])
    assert run.status == "done" and run.end_reason == "The model answered after 2 steps."
    assert [s.status for s in run.steps] == ["ok", "error"]
    assert ex.ran == [("a = 6*7", 5), ("1/0", 5)]
    # second request: the first tool_result, not an error; third: the error fed back with is_error
    first = model.requests[1][-1]["content"][0]
    assert first["type"] == "tool_result" and first["is_error"] is False and first["content"] == "ran a = 6*7"
    second = model.requests[2][-1]["content"][0]
    assert second["is_error"] is True and second["content"].endswith("ZeroDivisionError: division by zero")
    assert second["tool_use_id"] == model.requests[2][-2]["content"][1]["id"]
    assert run.answer == "Done: 42."
    assert run.usage.input_tokens == 320 and run.cost_usd > 0
    assert events.log[0] == "run_started" and events.log[-1] == "run_finished"
    assert events.log.count("step_finished") == 2 and "text" in events.log


def test_step_limit_is_said_plainly():
    model = Scripted(*(code_turn(f"x = {i}") for i in range(5)))
    run = run_agent(new_run(max_steps=3), model, Executor(), RunOptions(max_steps=3))
    assert run.status == "step_limit" and len(run.steps) == 3
    assert "step limit (3 steps)" in run.end_reason and "--max-steps" in run.end_reason
    # after the last step the model was asked once more, told that no more code will run
    assert len(model.requests) == 4
    last = model.requests[3][-1]["content"]
    assert last[0]["type"] == "tool_result" and last[-1]["type"] == "text" and "step limit" in last[-1]["text"]


def test_the_model_may_still_answer_after_the_last_step():
    model = Scripted(code_turn("x = 1"), code_turn("y = 2"), answer("x is 1, y is 2."))
    ex = Executor()
    run = run_agent(new_run(max_steps=2), model, ex, RunOptions(max_steps=2))
    assert run.status == "done" and run.answer == "x is 1, y is 2." and len(ex.ran) == 2


def test_tool_uses_past_the_limit_in_one_turn_are_answered_not_run():
    many = Turn([{"type": "tool_use", "id": f"toolu_{i}", "name": "python", "input": {"code": f"v{i} = {i}"}}
                 for i in range(3)], "tool_use", Usage(10, 10))
    model = Scripted(many, answer())
    ex = Executor()
    run = run_agent(new_run(max_steps=2), model, ex, RunOptions(max_steps=2))
    assert [c for c, _ in ex.ran] == ["v0 = 0", "v1 = 1"] and run.status == "done"
    results = model.requests[1][-1]["content"]
    assert [r["tool_use_id"] for r in results if r["type"] == "tool_result"] == ["toolu_0", "toolu_1", "toolu_2"]
    assert results[2]["is_error"] is True and "Not run" in results[2]["content"]


def test_model_error_keeps_the_steps_done():
    model = Scripted(code_turn("a = 1"), fail_at=1)
    run = run_agent(new_run(), model, Executor(), RunOptions())
    assert run.status == "failed" and "401" in run.end_reason and len(run.steps) == 1
    assert run.ended_at is not None


def test_interrupt_in_a_step_stops_the_run_and_keeps_the_record():
    model = Scripted(code_turn("a = 1"), code_turn("sleep"), answer())
    run = run_agent(new_run(), model, Executor({"sleep": "interrupted"}), RunOptions())
    assert run.status == "stopped" and run.end_reason == "Stopped by the user after 2 steps."
    assert [s.status for s in run.steps] == ["ok", "interrupted"]


def test_keyboard_interrupt_while_streaming_is_a_stop():
    class Interrupting(Scripted):
        def turn(self, system, messages, on_text=None):
            if len(self.requests) == 1:
                raise KeyboardInterrupt
            return super().turn(system, messages, on_text)

    run = run_agent(new_run(), Interrupting(code_turn("a = 1")), Executor(), RunOptions())
    assert run.status == "stopped" and len(run.steps) == 1


def test_budget_stops_the_run():
    model = Scripted(*(code_turn(f"x = {i}", usage=Usage(600_000, 0)) for i in range(5)))
    run = run_agent(new_run(), model, Executor(), RunOptions(max_cost_usd=2.0))
    assert run.status == "budget" and len(run.steps) == 2  # $1.20 per turn at $2/MTok input
    assert "cost budget" in run.end_reason


def test_missing_code_is_fed_back_as_an_error_not_run():
    bad = Turn([{"type": "tool_use", "id": "toolu_bad", "name": "python", "input": {}}], "tool_use", Usage(1, 1))
    model = Scripted(bad, answer())
    ex = Executor()
    run = run_agent(new_run(), model, ex, RunOptions())
    assert ex.ran == [] and run.status == "done"
    result = model.requests[1][-1]["content"][0]
    assert result["is_error"] is True and "code" in result["content"]


def test_first_message_holds_task_and_variables():
    msg = first_message("  Sum df  ", "df: pandas.DataFrame shape=(3, 2)")
    text = msg["content"][0]["text"]
    assert msg["role"] == "user"
    assert "<task>\nSum df\n</task>" in text and "df: pandas.DataFrame" in text


@pytest.mark.parametrize("reason,status", [("refusal", "failed"), ("max_tokens", "done")])
def test_other_stop_reasons(reason, status):
    run = run_agent(new_run(), Scripted(answer("Partial", reason)), Executor(), RunOptions())
    assert run.status == status


class Breaking(Scripted):
    """Streams a partial text, then breaks (``BrokenStreamError``) at the requests numbered in ``broken``."""

    def __init__(self, *turns, broken=()):
        super().__init__(*turns)
        self.broken = set(broken)

    def turn(self, system, messages, on_text=None):
        if len(self.requests) in self.broken:
            self.requests.append([dict(m) for m in messages])
            on_text("Now I wil")
            raise BrokenStreamError("The response stream from Claude ended before the message was complete "
                                    "(no message_stop after 6 events). Run the cell again.")
        return super().turn(system, messages, on_text)


class Texts(RunObserver):
    def __init__(self):
        self.log = []

    def turn_started(self, run):
        self.log.append("turn_started")

    def text(self, run, text):
        self.log.append(text)


def test_a_broken_turn_is_asked_once_more_and_its_text_is_void():
    model = Breaking(code_turn("a = 1", text="Looking."), answer("It is 1."), broken={0})
    texts = Texts()
    run = run_agent(new_run(), model, Executor(), RunOptions(), [texts])
    assert run.status == "done" and run.answer == "It is 1." and len(run.turns) == 2
    assert model.requests[0] == model.requests[1]  # the same turn asked again
    # the partial text was shown, then voided before the retry's own text came
    assert texts.log[:5] == ["turn_started", "Now I wil", "", "turn_started", "Loo"]
    assert all("Now I wil" not in t.text for t in run.turns)


def test_a_turn_broken_twice_fails_the_run_with_one_line():
    model = Breaking(code_turn("a = 1"), broken={1, 2})
    texts = Texts()
    run = run_agent(new_run(), model, Executor(), RunOptions(), [texts])
    assert run.status == "failed" and len(model.requests) == 3 and len(run.steps) == 1
    assert run.end_reason.startswith("The response stream from Claude ended before") and "\n" not in run.end_reason
    assert texts.log[-1] == ""  # the second partial text is void too
    assert texts.log.count("turn_started") == 3


def test_other_model_errors_are_not_asked_again():
    model = Scripted(code_turn("a = 1"), fail_at=1)
    run = run_agent(new_run(), model, Executor(), RunOptions())
    assert run.status == "failed" and len(model.requests) == 2


def test_a_tool_use_of_an_undeclared_tool_is_answered_not_run():
    other = Turn([{"type": "text", "text": "Let me use the shell."},
                  {"type": "tool_use", "id": "toolu_sh", "name": "bash", "input": {"code": "shell_ran = True"}},
                  {"type": "tool_use", "id": "toolu_py", "name": "python", "input": {"code": "py = 1"}}],
                 "tool_use", Usage(1, 1))
    model = Scripted(other, answer())
    ex = Executor()
    run = run_agent(new_run(), model, ex, RunOptions())
    assert ex.ran == [("py = 1", 180.0)] and [s.tool_use_id for s in run.steps] == ["toolu_py"]
    bash, python = model.requests[1][-1]["content"]
    assert bash["tool_use_id"] == "toolu_sh" and bash["is_error"] is True
    assert "no tool named 'bash'" in bash["content"] and "nothing was run" in bash["content"]
    assert python["is_error"] is False
    assert PYTHON_TOOL["name"] == CODE_TOOL


class Diverged(CodeActError):
    run_status = "diverged"


class FailsAt(Scripted):
    """Answers its turns, then raises ``error`` at request number ``at``."""

    def __init__(self, *turns, error, at):
        super().__init__(*turns)
        self.error, self.at = error, at

    def turn(self, system, messages, on_text=None):
        if len(self.requests) == self.at:
            self.requests.append(messages)
            raise self.error
        return super().turn(system, messages, on_text)


@pytest.mark.parametrize("error, status", [
    (Diverged("Step 2 printed other text than the recording; the replay stops here."), "diverged"),
    (ModelError("The API said no."), "failed"),
])
def test_an_error_may_name_the_runs_ending(error, status):
    run = run_agent(new_run(), FailsAt(code_turn("a = 1"), error=error, at=1), Executor(), RunOptions())
    assert run.status == status and run.end_reason == str(error) and len(run.steps) == 1


def test_an_error_instance_may_name_the_runs_ending():
    error = ModelError("The replay stops here.")
    error.run_status = "diverged"
    run = run_agent(new_run(), FailsAt(error=error, at=0), Executor(), RunOptions())
    assert run.status == "diverged" and run.end_reason == "The replay stops here." and run.ended_at


def test_blank_text_blocks_are_not_sent():
    messages = [{"role": "user", "content": [{"type": "text", "text": "task"}]},
                {"role": "assistant", "content": [{"type": "text", "text": "\n\n"},
                                                  {"type": "tool_use", "id": "t1", "name": "python", "input": {}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "ok"},
                                             {"type": "text", "text": " "}]}]
    request = build_request("system", messages, model="m", max_tokens=10)
    assert request["messages"][1]["content"] == [{"type": "tool_use", "id": "t1", "name": "python", "input": {}}]
    assert request["messages"][2]["content"] == [{"type": "tool_result", "tool_use_id": "t1", "content": "ok",
                                                  "cache_control": {"type": "ephemeral"}}]
    assert messages[1]["content"][0]["text"] == "\n\n"  # the caller's list is left alone


def test_observers_see_the_whole_streamed_text_before_the_turn_finishes():
    # deltas faster than TEXT_INTERVAL_S are joined, not told one by one; the rest is told when the turn ends
    class Fast(Scripted):
        def turn(self, system, messages, on_text=None):
            turn = self.turns.pop(0)
            for piece in ("Think", "ing ", "hard."):
                on_text(piece)
            return turn

    seen = []

    class Seen(RunObserver):
        def text(self, run, text):
            seen.append(text)

        def turn_finished(self, run, turn):
            seen.append(("turn_finished", turn.text))

    run_agent(new_run(), Fast(answer("Thinking hard.")), Executor(), RunOptions(), [Seen()])
    assert seen[0] == "Think"  # the turn's first delta is told at once
    assert seen[-2:] == ["Thinking hard.", ("turn_finished", "Thinking hard.")]
    assert len(seen) <= 4  # not once per delta


def test_a_streamed_turn_is_read_from_the_raw_events(anthropic_env):
    # ClaudeModel reads the SDK's raw stream events itself (no messages.stream() snapshot per delta): every block
    # comes back as the param that goes back into messages, with the usage of message_start and message_delta
    from standin import turn

    from codeact_magic.model import ClaudeModel

    anthropic_env.enqueue(turn("Two steps.", tool_uses=["a = 1", "print('x')"], thinking="Let me think.", chunks=4))
    deltas = []
    got = ClaudeModel(model="claude-sonnet-5-5").turn("system", [first_message("task", "")], deltas.append)
    kinds = [b["type"] for b in got.content]
    assert kinds == ["thinking", "text", "tool_use", "tool_use"]
    assert got.content[0]["thinking"] == "Let me think." and got.content[0]["signature"]
    assert "".join(deltas) == "Two steps." and len(deltas) > 1  # text deltas as they came, thinking not among them
    assert [b["input"] for b in got.content[2:]] == [{"code": "a = 1"}, {"code": "print('x')"}]
    assert got.stop_reason == "tool_use" and got.message_id.startswith("msg_")
    assert got.usage.output_tokens > 1 and got.usage.total_input > 0
