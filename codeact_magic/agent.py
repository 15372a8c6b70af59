"""The CodeAct loop: model turn -> code steps -> observations -> next turn, ended by the stop rules of
:mod:`codeact_magic.stoprules`; its messages are built by :mod:`codeact_magic.conversation`.

It knows nothing of IPython, the browser or HTTP: it is given a model (``turn(system, messages, on_text)``), an
executor (``execute(code, timeout)``) and observers, and it fills in a :class:`~codeact_magic.records.Run`.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from .config import RunOptions
from .conversation import aged_images, conversation, result_content
from .exceptions import CodeActError
from .observation import image_blocks, render_observation, step_images
from .pricing import cost_usd
from .records import FollowUp, Question, Run, RunStatus, Step, StepStatus, Turn, utcnow
from .returns import MAX_IDLE_CORRECTIONS
from .stoprules import (CODE_TOOL, Ending, budget_ending, code_of, error_ending, limit_note, refusal_of, steps_word,
                        stop_ending, turn_ending)

__all__ = ["ASK_TOOL", "CODE_TOOL", "NO_USER", "SYSTEM_PROMPT", "RunObserver", "budget_ending", "build_system",
           "continue_run", "refusal_of", "run_agent", "steps_word", "turn_ending"]

#: The tool the model asks the user a question with (``model.ASK_USER_TOOL``, input ``{"question": str}``); its
#: ``tool_use`` is not a step.
ASK_TOOL = "ask_user"

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


#: The ``tool_result`` of ``ask_user`` when nobody can answer (no stdin: nbclient, papermill, ``allow_stdin=False``).
NO_USER = "no user is available: state your assumption and go on"


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

    def question_answered(self, run: Run, question: Question) -> None:
        """The question is answered (or could not be) and recorded (``run.questions[-1]``)."""

    def outputs_updated(self, run: Run, step: Step) -> None:
        """The outputs of an earlier ``step`` changed in place (told after the ``step_finished`` of the step that
        changed them): a later step's ``update_display_data`` replaced an output with its ``display_id``, as a
        notebook replaces it wherever it is shown."""

    def run_finished(self, run: Run) -> None:
        """The run ended; ``run.status`` and ``run.end_reason`` say how."""


class Executor(Protocol):
    def execute(self, code: str, timeout: float = 0.0) -> Any: ...


#: Who answers ``ask_user``: ``user(question) -> reply``, ``None`` when nobody can be asked.
User = Callable[[str], "str | None"]


class Model(Protocol):
    def turn(self, system: str, messages: Sequence[dict[str, Any]], on_text: Any = None) -> Turn: ...


class _Stopped(Exception):
    pass


#: Seconds between two ``text`` events while the model streams: the streamed text is joined at most this often (and
#: at the first delta of a turn, and when it has come whole), not once per delta. The displays and the frontend
#: channel throttle their messages on top of it (``display.THROTTLE_S``, ``FrontendChannel.text_interval_s``).
TEXT_INTERVAL_S = 0.01


def _notify(observers: Sequence[RunObserver], event: str, *args: Any) -> None:
    for observer in observers:
        getattr(observer, event)(*args)


class _TextStream:
    """The current turn's streamed text: deltas are kept as parts and joined when the observers are told, at the
    turn's first delta, then at most every :data:`TEXT_INTERVAL_S` seconds, and once more when the turn has come
    whole (:meth:`finish`), so every observer has seen all of it before ``turn_finished``."""

    def __init__(self, run: Run, observers: Sequence[RunObserver]) -> None:
        self.run, self.observers = run, observers
        self.parts: list[str] = []
        self._told = 0.0
        self._told_parts = 0  # how many parts the observers were last told

    def clear(self) -> None:
        self.parts.clear()
        self._told_parts = 0

    def void(self) -> None:
        """What a broken stream showed is void: tell the observers at once."""
        if self.parts:
            _notify(self.observers, "text", self.run, "")
        self.clear()

    def finish(self) -> None:
        """The turn's stream ended whole: tell the observers what they were not told yet."""
        if len(self.parts) != self._told_parts:
            self._tell()

    def _tell(self) -> None:
        self._told_parts = len(self.parts)
        _notify(self.observers, "text", self.run, "".join(self.parts))

    def __call__(self, delta: str) -> None:
        self.parts.append(delta)
        now = time.monotonic()
        if len(self.parts) == 1 or now - self._told >= TEXT_INTERVAL_S:
            self._told = now
            self._tell()


class _Loop:
    """One run's conversation and its steps; :func:`run_agent` is its public face."""

    def __init__(self, run: Run, model: Model, executor: Executor, options: RunOptions,
                 observers: Sequence[RunObserver], prices: dict | None, user: User | None = None,
                 output: Any = None) -> None:
        self.run, self.model, self.executor, self.options = run, model, executor, options
        self.observers, self.prices, self.user, self.output = observers, prices, user, output
        self.image_tokens: dict[int, int] = {}  # id() of an image block sent -> its estimated tokens
        self.images_sent = sum(len(s.images) for s in run.steps)
        recent = len(run.turns) - options.image_turns  # older steps' images would only be aged away again
        self.messages = conversation(  # the first message, or the conversation so far and a follow-up's
            run, images=lambda step: self.blocks_of(step) if step.turn >= recent else ())
        self.text = _TextStream(run, observers)
        self.start = time.perf_counter() - run.elapsed_s  # a follow-up's time adds to the run's
        self.idle_corrections = 0  # -o corrections since the last step ran

    def blocks_of(self, step: Step) -> list[dict[str, Any]]:
        """The image blocks of a recorded step, rebuilt from its outputs (a follow-up's conversation)."""
        blocks = image_blocks(step, self.options.image_max_px)
        for block, record in zip(blocks, step.images):
            self.image_tokens[id(block)] = int(record.get("tokens") or 0)
        return blocks

    def request(self) -> tuple[list[dict[str, Any]], int]:
        """The messages of the next request (images past ``image_turns`` turns replaced by text) and the
        estimated tokens of the images it carries."""
        messages = aged_images(self.messages, self.options.image_turns)
        tokens = sum(self.image_tokens.get(id(block), 0) for m in messages if m["role"] == "user"
                     for result in m["content"] if isinstance(result, dict) and result.get("type") == "tool_result"
                     and isinstance(result.get("content"), list) for block in result["content"])
        return messages, tokens

    def ask(self) -> Turn:
        """The next model turn. A turn whose stream broke off (the error says so with ``retry_turn``) is asked once
        more; what it streamed is void. The SDK's own retries cover the HTTP errors."""
        retried = False
        messages, image_tokens = self.request()
        while True:
            self.text.clear()
            _notify(self.observers, "turn_started", self.run)
            try:
                turn = self.model.turn(self.run.system, messages, self.text)
            except CodeActError as error:
                broken = getattr(error, "retry_turn", False)
                if broken:  # what the broken stream showed is void, asked again or not
                    self.text.void()
                if retried or not broken:
                    raise
                retried = True
            else:
                self.text.finish()
                if image_tokens:
                    turn.usage = turn.usage.with_images(image_tokens)
                return turn

    def record_turn(self, turn: Turn) -> None:
        run = self.run
        run.turns.append(turn)
        run.usage = run.usage + turn.usage
        run.cost_usd = cost_usd(run.model, **run.usage.billed, overrides=self.prices)
        run.elapsed_s = time.perf_counter() - self.start
        self.messages.append({"role": "assistant", "content": turn.content})
        _notify(self.observers, "turn_finished", run, turn)

    def attach_images(self, outputs: list[dict[str, Any]]) -> tuple[list[dict], list[dict], list[str]]:
        """The image blocks a step's outputs send, their records and the lines the observation gets about them."""
        options = self.options
        if not options.send_images:
            return [], [], []
        left = max(0, options.max_images_per_run - self.images_sent)
        records, blocks, notes = step_images(outputs, max_px=options.image_max_px,
                                             per_step=options.max_images_per_step, run_left=left)
        for block, record in zip(blocks, records):
            self.image_tokens[id(block)] = int(record.get("tokens") or 0)
        self.images_sent += len(records)
        return records, blocks, notes

    def ask_user(self, use: dict[str, Any]) -> dict[str, Any]:
        """Answer one ``ask_user`` ``tool_use``: the user's reply through ``user``, or why there is none. The
        question and its reply are recorded on the run (:class:`~codeact_magic.records.Question`)."""
        run, limit = self.run, self.options.max_questions
        question = (use.get("input") or {}).get("question") if isinstance(use.get("input"), dict) else None
        if not isinstance(question, str) or not question.strip():
            return {"type": "tool_result", "tool_use_id": use["id"], "is_error": True,
                    "content": 'The ask_user tool needs an input {"question": "..."} with one short question.'}
        answer = None
        if len(run.questions) >= limit:
            result = f"No more questions in this run (at most {limit}): state your assumption and go on."
        elif self.user is None:
            result = NO_USER
        else:
            answer = self.user(question.strip())
            if answer is None:
                result = NO_USER
            elif not answer.strip():
                result = "The user gave no answer: state your assumption and go on."
            else:
                result = f"The user answered: {answer.strip()}"
        record = Question(turn=len(run.turns) - 1, tool_use_id=use["id"], question=question.strip(),
                          answer=answer, result=result)
        run.questions.append(record)
        _notify(self.observers, "question_answered", run, record)
        return {"type": "tool_result", "tool_use_id": use["id"], "content": result}

    def run_tool_use(self, use: dict[str, Any]) -> dict[str, Any]:
        """Run one ``tool_use`` as a step (or refuse it, or answer ``ask_user``) and return its ``tool_result``.

        Raises
        ------
        _Stopped
            When the step ended ``interrupted``: the user stopped the run (the step is recorded first).
        """
        run = self.run
        if use.get("name") == ASK_TOOL and self.options.max_questions > 0:
            return self.ask_user(use)
        refused = refusal_of(use, run, self.options)
        if refused is not None:
            return {"type": "tool_result", "tool_use_id": use["id"], "is_error": True, "content": refused}
        code = code_of(use)
        index = len(run.steps) + 1
        _notify(self.observers, "step_started", run, index, code)
        result = self.executor.execute(code, self.options.timeout)
        self.idle_corrections = 0
        observation = render_observation(result.outputs, result.status, result.error_text,
                                         self.options.observation_max_chars)
        images, blocks, image_notes = self.attach_images(result.outputs)
        notes = [*image_notes, *(getattr(result, "notes", None) or ())]
        if notes:  # the images attached, the files it touched, a recreated sandbox, a declined step's reason
            observation = "\n".join([observation, *notes])
        step = Step(index=index, turn=len(run.turns) - 1, tool_use_id=use["id"], code=code, outputs=result.outputs,
                    execution_count=result.execution_count, status=result.status, observation=observation,
                    duration_s=result.duration_s, approval=getattr(result, "approval", None),
                    files=getattr(result, "files", None), environment=getattr(result, "environment", None),
                    images=images, stdin=list(getattr(result, "stdin", None) or ()),
                    undo=getattr(result, "undo", None))
        run.steps.append(step)
        run.elapsed_s = time.perf_counter() - self.start
        _notify(self.observers, "step_finished", run, step)
        for earlier in updated_steps(run, result):
            _notify(self.observers, "outputs_updated", run, earlier)
        if result.status == StepStatus.INTERRUPTED:
            raise _Stopped
        return {"type": "tool_result", "tool_use_id": use["id"], "content": result_content(observation, blocks),
                "is_error": step.is_error}

    def check_output(self, turn: Turn, ending: Ending) -> Ending | None:
        """With ``-o NAME``: the ending of an answer whose result is valid, ``None`` when the model is told what is
        wrong and goes on, or ``failed`` when it cannot go on (the step limit, or answers in a row that fixed
        nothing)."""
        output = self.output
        if output is None or ending[0] != RunStatus.DONE or turn.tool_uses:
            return ending
        problem = output.check()
        self.run.output = output.to_json()
        if problem is None:
            return ending
        if len(self.run.steps) >= self.options.max_steps or self.idle_corrections >= MAX_IDLE_CORRECTIONS:
            return RunStatus.FAILED, output.failure()
        self.idle_corrections += 1
        output.corrections.append({"turn": len(self.run.turns) - 1, "problem": problem})
        self.run.output = output.to_json()
        self.messages.append({"role": "user", "content": [{"type": "text", "text": problem}]})
        return None

    def go(self) -> Ending:
        """Turns and steps until a stop rule ends the run; returns that ending."""
        limit_reached = False
        while True:
            turn = self.ask()
            self.record_turn(turn)
            ending = turn_ending(self.run, turn, self.options, limit_reached)
            if ending is not None:
                ending = self.check_output(turn, ending)
                if ending is not None:
                    return ending
                continue
            if not turn.tool_uses:  # pause_turn: the same turn goes on
                continue
            results = [self.run_tool_use(use) for use in turn.tool_uses]
            if len(self.run.steps) >= self.options.max_steps:
                # one more turn, so the model can still answer from what the last step showed
                limit_reached = True
                results.append({"type": "text", "text": limit_note(self.options)})
            self.messages.append({"role": "user", "content": results})
            ending = budget_ending(self.run, self.options)
            if ending is not None:
                return ending


def updated_steps(run: Run, result: Any) -> list[Step]:
    """The earlier steps whose outputs the step of ``result`` changed in place (an ``update_display_data`` of a
    display they showed): ``result.updated`` holds their output lists, matched by identity."""
    changed = getattr(result, "updated", None) or ()
    return [s for s in run.steps[:-1] if any(s.outputs is outputs for outputs in changed)]


def continue_run(run: Run, followup: FollowUp, options: RunOptions) -> RunOptions:
    """Make ``run`` ready to go on with ``followup`` (``%%codeact --continue``): the follow-up is recorded at the
    run's next turn and step, the run is running again, and its step limit grows by ``options.max_steps``.

    Returns
    -------
    RunOptions
        ``options`` with ``max_steps`` counted over the whole run (its steps so far plus this follow-up's limit),
        for :func:`run_agent`. Budgets (tokens, USD) stay counted over the whole run.

    Raises
    ------
    ValueError
        When ``run`` is still running.
    """
    if run.status == RunStatus.RUNNING:
        raise ValueError(f"Run {run.run_id} is still running.")
    followup.turn, followup.step = len(run.turns), len(run.steps)
    followup.before_status, followup.before_end_reason = run.status, run.end_reason
    run.followups.append(followup)
    run.status, run.end_reason, run.ended_at = RunStatus.RUNNING, None, None
    run.max_steps = len(run.steps) + options.max_steps
    return dataclasses.replace(options, max_steps=run.max_steps)


def run_agent(
    run: Run,
    model: Model,
    executor: Executor,
    options: RunOptions,
    observers: Sequence[RunObserver] = (),
    prices: dict | None = None,
    user: User | None = None,
    output: Any = None,
) -> Run:
    """Drive ``run`` to its end: ask the model, run each ``tool_use`` as a step, feed back ``tool_result`` blocks.

    Parameters
    ----------
    run : Run
        A new record (task, context, system prompt and model set), or one made ready for a follow-up by
        :func:`continue_run`: its conversation goes on from the record; filled in place.
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
    user : callable, optional
        ``user(question) -> reply or None``: who answers the ``ask_user`` tool (``None``: nobody, the tool says
        :data:`NO_USER`).
    output : OutputCheck, optional
        With ``-o NAME``: an answer ends the run ``done`` only when ``output.check()`` finds a valid value
        (:mod:`codeact_magic.returns`); else the model is told what is wrong and goes on within the step limit.

    Returns
    -------
    Run
        The same record, ended: ``status`` is ``done``, ``step_limit``, ``budget``, ``stopped``, ``failed`` (or an
        error's own ``run_status``), as the stop rules above say (:func:`turn_ending`, :func:`refusal_of`,
        :func:`budget_ending`, :func:`stop_ending`, :func:`error_ending`). Nothing is raised for those endings; the
        steps done stay in the record.
    """
    loop = _Loop(run, model, executor, options, observers, prices, user, output)
    _notify(observers, "run_started", run)
    try:
        run.status, run.end_reason = loop.go()
    except (KeyboardInterrupt, _Stopped):
        run.status, run.end_reason = stop_ending(run)
    except CodeActError as error:
        run.status, run.end_reason = error_ending(error)
    finally:
        if run.status == RunStatus.RUNNING:  # an unexpected exception is on its way up
            run.status, run.end_reason = RunStatus.FAILED, "The run failed with an internal error (see the traceback)."
        run.ended_at = utcnow()
        run.elapsed_s = time.perf_counter() - loop.start
        _notify(observers, "run_finished", run)
    return run
