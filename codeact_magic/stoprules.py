"""The stop rules of a run, one named function each: how a model turn, the budgets, the user's stop or an error end
it, and why a ``tool_use`` is not run. Pure functions over the records; :mod:`codeact_magic.agent` applies them.

``stop_reason`` values: https://docs.anthropic.com/en/api/handling-stop-reasons.
"""

from __future__ import annotations

from typing import Any

from .config import RunOptions
from .exceptions import CodeActError
from .records import Run, RunStatus, Turn

__all__ = ["CODE_TOOL", "Ending", "budget_ending", "code_of", "error_ending", "limit_note", "refusal_of",
           "steps_word", "stop_ending", "turn_ending"]

#: The name of the one tool the model runs code with (``model.PYTHON_TOOL``); a ``tool_use`` of any other name is not
#: run.
CODE_TOOL = "python"

#: How a run ends: its status and the one line that says why.
Ending = tuple[RunStatus, str]


def steps_word(n: int) -> str:
    """``1 step``, ``3 steps``."""
    return f"{n} step" + ("" if n == 1 else "s")


def turn_ending(run: Run, turn: Turn, options: RunOptions, limit_reached: bool) -> Ending | None:
    """How a model turn ends the run, or ``None`` when its ``tool_use`` blocks are to run (or, for
    ``stop_reason`` ``pause_turn``, the same turn goes on).

    - no ``tool_use``: ``refusal`` fails the run; ``max_tokens`` and an answer end it ``done``;
    - ``tool_use`` after the step limit was reached (the model was asked to answer): ``step_limit``.

    ``stop_reason`` values: https://docs.anthropic.com/en/api/handling-stop-reasons.
    """
    if not turn.tool_uses:
        if turn.stop_reason == "pause_turn":
            return None
        if turn.stop_reason == "refusal":
            return RunStatus.FAILED, "The model declined the task (stop_reason refusal)."
        if turn.stop_reason == "max_tokens":
            return RunStatus.DONE, f"The answer was cut at max_tokens ({options.max_tokens:,}); raise it to see more."
        return RunStatus.DONE, f"The model answered after {steps_word(len(run.steps))}."
    if limit_reached:
        return (RunStatus.STEP_LIMIT, f"Stopped at the step limit ({steps_word(options.max_steps)}) before the model "
                "answered. Re-run with a higher --max-steps to let it go on.")
    return None


def budget_ending(run: Run, options: RunOptions) -> Ending | None:
    """``budget`` once the run's tokens or cost (USD) reach their budget (0: no budget), checked after each turn's
    steps."""
    if options.max_run_tokens and run.usage.total >= options.max_run_tokens:
        return (RunStatus.BUDGET,
                f"Stopped at the token budget: {run.usage.total:,} of {options.max_run_tokens:,} tokens used.")
    if options.max_cost_usd and run.cost_usd is not None and run.cost_usd >= options.max_cost_usd:
        return RunStatus.BUDGET, f"Stopped at the cost budget: ${run.cost_usd:.4f} of ${options.max_cost_usd:.4f} spent."
    return None


def refusal_of(use: dict[str, Any], run: Run, options: RunOptions) -> str | None:
    """Why a ``tool_use`` block is not run (the ``tool_result`` error the model reads), or ``None`` to run it:
    another tool's name, the step limit reached, or no code in its input."""
    if use.get("name") != CODE_TOOL:  # never run as Python what was meant for another tool
        return (f"There is no tool named {use.get('name')!r}: nothing was run. The only tool is `{CODE_TOOL}` (input "
                '{"code": "..."}); run Python with it.')
    if len(run.steps) >= options.max_steps:
        return "Not run: the step limit is reached."
    code = code_of(use)
    if not isinstance(code, str) or not code.strip():
        return "The python tool needs an input {\"code\": \"...\"} with some code."
    return None


def code_of(use: dict[str, Any]) -> str | None:
    """The ``code`` of a ``tool_use`` block's input, or ``None``."""
    data = use.get("input")
    return data.get("code") if isinstance(data, dict) else None


def stop_ending(run: Run) -> Ending:
    """The ending of a run the user stopped (an interrupt, or a step that ended ``interrupted``)."""
    return RunStatus.STOPPED, f"Stopped by the user after {steps_word(len(run.steps))}."


def error_ending(error: CodeActError) -> Ending:
    """The ending of a run a :class:`CodeActError` cut short: ``failed``, or the error's own ``run_status`` (a replay
    that diverged)."""
    return RunStatus(getattr(error, "run_status", RunStatus.FAILED)), str(error)


def limit_note(options: RunOptions) -> str:
    return (f"The step limit ({steps_word(options.max_steps)}) is reached: no more code will run. "
            "Answer now, without calling the tool, with what you have found.")
