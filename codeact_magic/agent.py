"""The CodeAct loop: model turn -> code steps -> observations -> next turn, and its stop rules.

It knows nothing of IPython, the browser or HTTP: it is given a model (``turn(system, messages, on_text)``), an
executor (``execute(code, timeout)``) and observers, and it fills in a :class:`~codeact_magic.records.Run`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Protocol

from .config import RunOptions
from .exceptions import CodeActError
from .observation import render_observation
from .pricing import cost_usd
from .records import Run, Step, Turn, utcnow

__all__ = ["CODE_TOOL", "SYSTEM_PROMPT", "RunObserver", "build_system", "first_message", "run_agent",
           "steps_word"]

#: The name of the one tool the model is given (``model.PYTHON_TOOL``); a ``tool_use`` of any other name is not run.
CODE_TOOL = "python"

SYSTEM_PROMPT = """\
You are a careful data scientist working inside the user's live Jupyter kernel, through the `python` tool.
- Each `python` call runs as one notebook cell in the user's own namespace; it is kept in their notebook, so write
  clean, short cells a colleague would keep. Variables you create stay theirs.
- The user's existing variables are summarized below the task. Inspect data (columns, dtypes, a few rows) before
  relying on assumptions, and prefer the user's variables over re-loading data.
- Before each call, say in one or two sentences what you will do and why.
- When a call fails, read the traceback, fix the cause and go on; do not repeat a failing call unchanged.
- Print or display the values you need to see; outputs are shortened when long.
- When the task is done, answer without calling the tool: a short Markdown answer with the results (numbers,
  names) and where they are in the namespace. Do not ask questions back unless the task cannot be done."""


def build_system(instructions: str = "") -> str:
    """The system prompt, with the user's extra ``instructions`` appended when given."""
    return SYSTEM_PROMPT + (f"\n\nThe user's standing instructions:\n{instructions.strip()}" if instructions.strip() else "")


def first_message(task: str, context: str) -> dict[str, Any]:
    """The first user message: the task and the variable summary, as a ``MessageParam`` dict."""
    text = f"<task>\n{task.strip()}\n</task>\n\n<kernel_variables>\n{context.strip() or '(none)'}\n</kernel_variables>"
    return {"role": "user", "content": [{"type": "text", "text": text}]}


class RunObserver:
    """Receives a run's events as they happen; every method is optional (no-op by default)."""

    def run_started(self, run: Run) -> None:
        """The run is about to ask the model for its first turn."""

    def turn_started(self, run: Run) -> None:
        """A request for the next model turn is about to be sent (again, when a broken turn is asked once more)."""

    def text(self, run: Run, text: str) -> None:
        """The model's text streamed so far in the current turn (whole text, not a delta). ``""`` after text was
        streamed means that text is void: its stream broke off (the turn is asked once more, or the run fails)."""

    def turn_finished(self, run: Run, turn: Turn) -> None:
        """A model turn is complete and recorded (``run.turns[-1]``); usage is updated."""

    def step_started(self, run: Run, index: int, code: str) -> None:
        """Step ``index`` (1-based) is about to run ``code``."""

    def step_finished(self, run: Run, step: Step) -> None:
        """A step ran and is recorded (``run.steps[-1]``)."""

    def run_finished(self, run: Run) -> None:
        """The run ended; ``run.status`` and ``run.end_reason`` say how."""


class Executor(Protocol):
    def execute(self, code: str, timeout: float = 0.0) -> Any: ...


class Model(Protocol):
    def turn(self, system: str, messages: Sequence[dict[str, Any]], on_text: Any = None) -> Turn: ...


class _Stopped(Exception):
    pass


def _notify(observers: Sequence[RunObserver], event: str, *args: Any) -> None:
    for observer in observers:
        getattr(observer, event)(*args)


def _budget_hit(run: Run, options: RunOptions) -> str | None:
    if options.max_run_tokens and run.usage.total >= options.max_run_tokens:
        return f"Stopped at the token budget: {run.usage.total:,} of {options.max_run_tokens:,} tokens used."
    if options.max_cost_usd and run.cost_usd is not None and run.cost_usd >= options.max_cost_usd:
        return f"Stopped at the cost budget: ${run.cost_usd:.4f} of ${options.max_cost_usd:.4f} spent."
    return None


def steps_word(n: int) -> str:
    """``1 step``, ``3 steps``."""
    return f"{n} step" + ("" if n == 1 else "s")


def _not_declared(name: Any) -> str:
    return (f"There is no tool named {name!r}: nothing was run. The only tool is `{CODE_TOOL}` (input "
            '{"code": "..."}); run Python with it.')


def run_agent(
    run: Run,
    model: Model,
    executor: Executor,
    options: RunOptions,
    observers: Sequence[RunObserver] = (),
    prices: dict | None = None,
) -> Run:
    """Drive ``run`` to its end: ask the model, run each ``tool_use`` as a step, feed back ``tool_result`` blocks.

    Parameters
    ----------
    run : Run
        A new record (task, context, system prompt and model set); filled in place.
    model : object
        Has ``turn(system, messages, on_text) -> Turn``; raises :class:`~codeact_magic.exceptions.CodeActError`
        subclasses on failure. An error with a true ``retry_turn`` attribute (a stream that broke off) gets the turn
        asked once more; one with a ``run_status`` attribute ends the run with that status instead of ``failed``.
    executor : object
        Has ``execute(code, timeout) -> ExecutionResult``.
    options : RunOptions
        Step limit, step timeout (seconds), budgets, observation size.
    observers : sequence of RunObserver
        Told of every event, in order.
    prices : dict, optional
        Price overrides (USD per million tokens) for the cost.

    Returns
    -------
    Run
        The same record, ended: ``status`` is ``done``, ``step_limit``, ``budget``, ``stopped``, ``failed`` (or an
        error's own ``run_status``). Nothing is raised for those endings; the steps done stay in the record.
    """
    start = time.perf_counter()
    messages: list[dict[str, Any]] = [first_message(run.task, run.context)]
    buffer: list[str] = []

    def on_text(delta: str) -> None:
        buffer.append(delta)
        _notify(observers, "text", run, "".join(buffer))

    def ask() -> Turn:
        # A turn whose stream broke off (the error says so with `retry_turn`) is asked once more; what it streamed
        # is void, so the text shown so far is replaced. The SDK's own retries cover the HTTP errors.
        retried = False
        while True:
            buffer.clear()
            _notify(observers, "turn_started", run)
            try:
                return model.turn(run.system, messages, on_text)
            except CodeActError as error:
                broken = getattr(error, "retry_turn", False)
                if broken and buffer:  # what the broken stream showed is void, asked again or not
                    _notify(observers, "text", run, "")
                if retried or not broken:
                    raise
                retried = True

    def finish(status: str, reason: str) -> None:
        run.status, run.end_reason = status, reason

    limit_reached = False
    limit_note = (f"The step limit ({steps_word(options.max_steps)}) is reached: no more code will run. "
                  "Answer now, without calling the tool, with what you have found.")
    _notify(observers, "run_started", run)
    try:
        while True:
            turn = ask()
            run.turns.append(turn)
            run.usage = run.usage + turn.usage
            run.cost_usd = cost_usd(run.model, **run.usage.to_json(), overrides=prices)
            run.elapsed_s = time.perf_counter() - start
            messages.append({"role": "assistant", "content": turn.content})
            _notify(observers, "turn_finished", run, turn)
            uses = turn.tool_uses
            if not uses:
                if turn.stop_reason == "pause_turn":
                    continue
                if turn.stop_reason == "refusal":
                    finish("failed", "The model declined the task (stop_reason refusal).")
                elif turn.stop_reason == "max_tokens":
                    finish("done", f"The answer was cut at max_tokens ({options.max_tokens:,}); raise it to see more.")
                else:
                    finish("done", f"The model answered after {steps_word(len(run.steps))}.")
                break
            if limit_reached:  # asked for the answer after the last step, it wants more code
                finish("step_limit", f"Stopped at the step limit ({steps_word(options.max_steps)}) before the model "
                       "answered. Re-run with a higher --max-steps to let it go on.")
                break
            results: list[dict[str, Any]] = []
            for use in uses:
                if use.get("name") != CODE_TOOL:  # never run as Python what was meant for another tool
                    results.append({"type": "tool_result", "tool_use_id": use["id"], "is_error": True,
                                    "content": _not_declared(use.get("name"))})
                    continue
                if len(run.steps) >= options.max_steps:
                    results.append({"type": "tool_result", "tool_use_id": use["id"], "is_error": True,
                                    "content": "Not run: the step limit is reached."})
                    continue
                code = use.get("input", {}).get("code") if isinstance(use.get("input"), dict) else None
                if not isinstance(code, str) or not code.strip():
                    results.append({"type": "tool_result", "tool_use_id": use["id"], "is_error": True,
                                    "content": "The python tool needs an input {\"code\": \"...\"} with some code."})
                    continue
                index = len(run.steps) + 1
                _notify(observers, "step_started", run, index, code)
                result = executor.execute(code, options.timeout)
                observation = render_observation(result.outputs, result.status, result.error_text,
                                                 options.observation_max_chars)
                step = Step(index=index, turn=len(run.turns) - 1, tool_use_id=use["id"], code=code,
                            outputs=result.outputs, execution_count=result.execution_count, status=result.status,
                            observation=observation, duration_s=result.duration_s)
                run.steps.append(step)
                run.elapsed_s = time.perf_counter() - start
                _notify(observers, "step_finished", run, step)
                if result.status == "interrupted":
                    raise _Stopped
                results.append({"type": "tool_result", "tool_use_id": use["id"], "content": observation,
                                "is_error": step.is_error})
            if len(run.steps) >= options.max_steps:
                # one more turn, so the model can still answer from what the last step showed
                limit_reached = True
                results.append({"type": "text", "text": limit_note})
            messages.append({"role": "user", "content": results})
            reason = _budget_hit(run, options)
            if reason:
                finish("budget", reason)
                break
    except (KeyboardInterrupt, _Stopped):
        finish("stopped", f"Stopped by the user after {steps_word(len(run.steps))}.")
    except CodeActError as error:  # a subclass may name its own ending, e.g. a replay that diverged
        finish(getattr(error, "run_status", "failed"), str(error))
    finally:
        if run.status == "running":  # an unexpected exception is on its way up
            finish("failed", "The run failed with an internal error (see the traceback).")
        run.ended_at = utcnow()
        run.elapsed_s = time.perf_counter() - start
        _notify(observers, "run_finished", run)
    return run
