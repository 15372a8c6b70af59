"""Typed records of a run: usage, model turns, steps and the run itself, with their JSON form.

These are what the run record, the notebook metadata (under the ``codeact`` key) and the frontend messages are built
from. ``to_json``/``from_json`` are the one place where they become plain dicts.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import enum
import uuid
from typing import Any

from .config import default

__all__ = ["Usage", "Turn", "Step", "FollowUp", "Question", "Run", "RunStatus", "StepStatus", "new_run_id", "utcnow"]

try:  # Python 3.11+
    from enum import StrEnum as _StrEnum
except ImportError:  # Python 3.10: the same behaviour (members are str, str() is the value)
    class _StrEnum(str, enum.Enum):  # type: ignore[no-redef]
        def __str__(self) -> str:
            return str(self.value)


class RunStatus(_StrEnum):
    """How a run stands or how it ended: the one list of these words (``RunSummary.status`` in
    ``schema/messages.schema.json`` declares the same values, and a test checks that they agree).

    Members are ``str``, so a record's ``status`` compares and serialises as the plain word.
    """

    RUNNING = "running"
    DONE = "done"
    STOPPED = "stopped"
    FAILED = "failed"
    STEP_LIMIT = "step_limit"
    BUDGET = "budget"
    #: The run journal has the run but no end: the kernel died during it.
    CRASHED = "crashed"
    #: A ``--replay`` step failed or printed other text than recorded.
    DIVERGED = "diverged"

    @property
    def label(self) -> str:
        """The status as the status line and ``%codeact runs`` write it: ``step limit``, ``budget reached``."""
        return _LABELS.get(self, self.value)

    @property
    def note(self) -> str | None:
        """The italic note a run that ended this way gets as its last cell (``Run stopped``), or ``None``."""
        return _NOTES.get(self)

    @property
    def raises(self) -> bool:
        """The magic raises the run's end_reason as the cell's one-line error, so nbclient and papermill see it."""
        return self in (RunStatus.FAILED, RunStatus.DIVERGED)


_LABELS = {RunStatus.STEP_LIMIT: "step limit", RunStatus.BUDGET: "budget reached"}
_NOTES = {RunStatus.STOPPED: "Run stopped", RunStatus.FAILED: "Run failed",
          RunStatus.STEP_LIMIT: "Run stopped at the step limit", RunStatus.BUDGET: "Run stopped at its budget",
          RunStatus.CRASHED: "Run crashed", RunStatus.DIVERGED: "Replay diverged"}


class StepStatus(_StrEnum):
    """How one code step ended (``StepStatus`` in the schema)."""

    OK = "ok"
    #: The code raised.
    ERROR = "error"
    #: Its timeout fired, whatever the code then did.
    TIMEOUT = "timeout"
    #: The user's interrupt.
    INTERRUPTED = "interrupted"
    #: The kernel died while it ran (read back from the run journal).
    CRASHED = "crashed"
    #: Not run: the user answered ``n`` to ``--approve``.
    DECLINED = "declined"


def new_run_id() -> str:
    """A short unique run id such as ``r-3f9c2a1b``."""
    return "r-" + uuid.uuid4().hex[:8]


def utcnow() -> str:
    """Now, in UTC, as ISO 8601 with a ``Z``."""
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclasses.dataclass
class Usage:
    """Token counts of one model turn or a sum of them (Messages API ``usage``), in tokens.

    ``image_tokens`` is not the API's: it is the estimate of the image blocks the request carried (width × height /
    750 each, from https://docs.claude.com/en/docs/build-with-claude/vision), part of the input the server counts.
    A server that reports fewer input tokens than that estimate (one that reports no usage) gets the estimate counted
    as ``input_tokens`` instead (:meth:`with_images`), so the budgets and the status line still see the images.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    image_tokens: int = 0

    def __add__(self, other: "Usage") -> "Usage":
        return Usage(*(a + b for a, b in zip(dataclasses.astuple(self), dataclasses.astuple(other))))

    @property
    def total_input(self) -> int:
        """Input tokens billed in any form: plain, cache writes and cache reads."""
        return self.input_tokens + self.cache_creation_input_tokens + self.cache_read_input_tokens

    @property
    def total(self) -> int:
        """All tokens: :attr:`total_input` plus output."""
        return self.total_input + self.output_tokens

    def with_images(self, image_tokens: int) -> "Usage":
        """This usage with ``image_tokens`` (the estimate of the request's images) recorded, and counted as input
        when the server reported less input than that."""
        shortfall = max(0, image_tokens - self.total_input)
        return dataclasses.replace(self, input_tokens=self.input_tokens + shortfall, image_tokens=image_tokens)

    @property
    def billed(self) -> dict[str, int]:
        """The four counts the API bills (``pricing.cost_usd``'s keyword arguments)."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k != "image_tokens"}

    def to_json(self) -> dict[str, int]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> "Usage":
        data = data or {}
        return cls(**{f.name: int(data.get(f.name) or 0) for f in dataclasses.fields(cls)})

    @classmethod
    def from_api(cls, usage: Any) -> "Usage":
        """From an SDK ``Usage`` object (fields may be ``None``)."""
        return cls(**{f.name: int(getattr(usage, f.name, 0) or 0) for f in dataclasses.fields(cls)})


@dataclasses.dataclass
class Turn:
    """One assistant message.

    Attributes
    ----------
    content : list of dict
        The content blocks as sent back to the API (``text``, ``tool_use``, ``thinking``...).
    stop_reason : str or None
        Messages API ``stop_reason``.
    usage : Usage
        Tokens of this turn.
    latency_s : float
        Seconds from the request to the end of the stream.
    message_id : str or None
        The API's message id.
    """

    content: list[dict[str, Any]]
    stop_reason: str | None = None
    usage: Usage = dataclasses.field(default_factory=Usage)
    latency_s: float = 0.0
    message_id: str | None = None

    @property
    def text(self) -> str:
        """The turn's text blocks, joined by blank lines."""
        return "\n\n".join(b["text"] for b in self.content if b.get("type") == "text" and b.get("text", "").strip())

    @property
    def tool_uses(self) -> list[dict[str, Any]]:
        """The turn's ``tool_use`` blocks, in order."""
        return [b for b in self.content if b.get("type") == "tool_use"]

    def to_json(self) -> dict[str, Any]:
        return {
            "content": self.content,
            "stop_reason": self.stop_reason,
            "usage": self.usage.to_json(),
            "latency_s": round(self.latency_s, 4),
            "message_id": self.message_id,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Turn":
        return cls(
            content=list(data.get("content") or []),
            stop_reason=data.get("stop_reason"),
            usage=Usage.from_json(data.get("usage")),
            latency_s=float(data.get("latency_s") or 0.0),
            message_id=data.get("message_id"),
        )


@dataclasses.dataclass
class Step:
    """One code action: a ``tool_use`` block executed in the kernel.

    Attributes
    ----------
    index : int
        1-based step number in the run.
    turn : int
        0-based index of the model turn that asked for it.
    tool_use_id : str
        The ``tool_use`` block's id.
    code : str
        The Python source that ran.
    outputs : list of dict
        nbformat v4 outputs (stream, display_data, execute_result, error).
    execution_count : int or None
        The kernel's execution count for this step.
    status : StepStatus
        ``ok``, ``error``, ``timeout`` or ``interrupted`` (a plain ``str`` given is turned into the member).
    observation : str
        The text sent back in the ``tool_result``.
    duration_s : float
        Seconds the code ran.
    approval : dict or None
        How the step was approved under ``--approve`` (``mode``, ``asked``, ``answer``, ``reason``, ``flagged``;
        :func:`codeact_magic.approval.decision`); ``None`` when no approval mode was on.
    files : dict or None
        The files under the working directory it created, modified or deleted, with their sizes
        (:class:`codeact_magic.files.FilesTouched` as JSON); ``None`` when not scanned.
    environment : dict or None
        Set when the sandbox kernel was recreated before the step: ``reason``, ``replayed`` (steps re-run),
        ``failed_replays``.
    images : list of dict
        The image outputs sent to the model with its ``tool_result`` (:func:`codeact_magic.observation.
        step_images`): ``output`` (index in ``outputs``), ``media_type`` sent, ``width``, ``height`` (px sent),
        ``source_width``, ``source_height`` and ``tokens`` (estimated). The image itself is kept once, in
        ``outputs``; the blocks are rebuilt from it.
    stdin : list of dict
        What the code asked through ``input()`` or ``getpass``: ``prompt``, ``password`` and ``reply`` (``None``
        for a password, which is a secret).
    undo : dict or None
        What was kept before it ran so that ``%codeact undo`` can put it back (:meth:`codeact_magic.snapshots.Kept.
        record`): ``kept`` (names kept by reference), ``copied`` (names whose objects were copied), ``files``
        (paths given pre-images), ``cannot`` (``{"what", "reason"}``: cannot be undone), ``partly`` (why its code
        could not be read fully), ``unknown`` (paths known only at run time), ``unpredicted`` and ``bytes``;
        ``None`` when nothing was kept (an isolated run's steps, or a record from before undo existed).
    """

    index: int
    turn: int
    tool_use_id: str
    code: str
    outputs: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    execution_count: int | None = None
    status: StepStatus = StepStatus.OK
    observation: str = ""
    duration_s: float = 0.0
    approval: dict[str, Any] | None = None
    files: dict[str, Any] | None = None
    environment: dict[str, Any] | None = None
    images: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    stdin: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    undo: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self.status = StepStatus(self.status)  # ValueError for a word that is not a step status

    @property
    def is_error(self) -> bool:
        return self.status != "ok"

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["duration_s"] = round(self.duration_s, 4)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Step":
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclasses.dataclass
class FollowUp:
    """A follow-up of a run (``%%codeact --continue``): the next user message of the same conversation.

    Attributes
    ----------
    task : str
        The follow-up cell's body.
    context : str
        The summary of the kernel's variables that changed since the run last ended, sent with it.
    turn : int
        Index in ``Run.turns`` of its first model turn.
    step : int
        How many steps the run had before it (its first step is number ``step + 1``).
    cell_id : str or None
        The follow-up ``%%codeact`` cell's id: its cells are inserted below it.
    execution_count : int or None
        That cell's execution count when it started.
    started_at : str
        ISO 8601 UTC.
    before_status : RunStatus
        How the run had ended before this follow-up (kept, so the note of that ending stays in the transcript).
    before_end_reason : str or None
        The one line that said why.
    """

    task: str
    context: str = ""
    turn: int = 0
    step: int = 0
    cell_id: str | None = None
    execution_count: int | None = None
    started_at: str = dataclasses.field(default_factory=lambda: utcnow())
    before_status: RunStatus = RunStatus.DONE
    before_end_reason: str | None = None

    def __post_init__(self) -> None:
        self.before_status = RunStatus(self.before_status)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "FollowUp":
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclasses.dataclass
class Question:
    """A question the model asked the user with the ``ask_user`` tool, and the reply.

    Attributes
    ----------
    turn : int
        Index in ``Run.turns`` of the turn that asked it.
    tool_use_id : str
        The ``tool_use`` block's id.
    question : str
        The question as the model wrote it.
    answer : str or None
        The user's reply (redacted as everything that leaves the kernel); ``None`` when nobody could be asked.
    result : str
        The ``tool_result`` text the model read: the answer, or why there is none.
    """

    turn: int
    tool_use_id: str
    question: str
    answer: str | None = None
    result: str = ""

    @property
    def answered(self) -> bool:
        return self.answer is not None

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Question":
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclasses.dataclass
class Run:
    """The record of one ``%%codeact`` run. Whatever ended it, it holds every step done so far.

    Attributes
    ----------
    run_id, task, model : str
        Identity, the user's task and the model id.
    context : str
        The variable summary sent with the task.
    max_steps : int
        The step limit in force.
    status : RunStatus
        How it stands (a plain ``str`` given to the constructor or ``from_json`` is turned into the member, and a
        word that is no status raises ``ValueError``).
    end_reason : str or None
        One line saying why the run ended.
    turns : list of Turn
        The model's turns, in order.
    steps : list of Step
        The executed steps, in order.
    usage : Usage
        Sum over turns.
    cost_usd : float or None
        USD, ``None`` when the model's price is unknown.
    started_at, ended_at : str or None
        ISO 8601 UTC.
    elapsed_s : float
        Seconds from start to end (or to now while running).
    cell_id : str or None
        The ``%%codeact`` cell's id as the frontend sent it.
    insert_mode : str
        How the JupyterLab extension inserts the cells.
    replayed_from : str or None
        The notebook a ``--replay`` run came from.
    execution_count : int or None
        The ``%%codeact`` cell's own execution count (its ``In[n]``) when the run started; its steps follow it.
    followups : list of FollowUp
        The run's follow-ups (``%%codeact --continue``), in order: the same conversation, continued.
    approve : str
        The ``--approve`` mode: ``always``, ``risky`` or ``never``.
    isolation : dict or None
        Where the steps ran when ``--isolated`` (``Isolation`` in the schema: ``kernel`` local or gateway, a
        ``description``, ``workdir``, ``gateway_url``, the ``with`` and ``returns`` names); ``None``: the user's kernel.
    questions : list of Question
        The questions the model asked the user (``ask_user``), in order.
    output : dict or None
        With ``-o NAME``: ``name``, ``type`` (the ``--returns`` expression or ``None``), ``status`` (``valid``,
        ``missing``, ``invalid`` or ``None`` before the first check) and ``error`` (the last problem, one line), and
        ``corrections``: the problems the model was told of, each ``{"turn", "problem"}`` (the user message sent
        after that turn's answer).
    mcp : list of str
        The MCP servers connected for the run (``--mcp``).
    preamble : str
        The sections of the first message after the variable summary: the MCP servers' index, the ``-o`` result
        variable.
    undone : dict or None
        Set when ``%codeact undo`` (or the panel's Undo) restored what the run changed (``Undone`` in the schema):
        ``at`` (ISO 8601 UTC), ``from_step`` (1: the whole run), ``from_index`` (its first cell marked undone),
        ``forced``, and ``restored`` and ``not_restored`` (the report's lines).
    """

    run_id: str
    task: str
    model: str
    context: str = ""
    system: str = ""
    max_steps: int = dataclasses.field(default_factory=lambda: default("max_steps"))
    status: RunStatus = RunStatus.RUNNING
    end_reason: str | None = None
    turns: list[Turn] = dataclasses.field(default_factory=list)
    steps: list[Step] = dataclasses.field(default_factory=list)
    usage: Usage = dataclasses.field(default_factory=Usage)
    cost_usd: float | None = 0.0
    started_at: str = dataclasses.field(default_factory=utcnow)
    ended_at: str | None = None
    elapsed_s: float = 0.0
    cell_id: str | None = None
    insert_mode: str = dataclasses.field(default_factory=lambda: default("insert_mode"))
    replayed_from: str | None = None
    execution_count: int | None = None
    followups: list[FollowUp] = dataclasses.field(default_factory=list)
    approve: str = "never"
    isolation: dict[str, Any] | None = None
    questions: list[Question] = dataclasses.field(default_factory=list)
    output: dict[str, Any] | None = None
    mcp: list[str] = dataclasses.field(default_factory=list)
    preamble: str = ""
    undone: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self.status = RunStatus(self.status)

    @property
    def answer(self) -> str:
        """The final answer: the text of the last turn when it asked for no code, else ``""``."""
        if self.turns and not self.turns[-1].tool_uses:
            return self.turns[-1].text
        return ""

    def to_json(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data["turns"] = [t.to_json() for t in self.turns]
        data["steps"] = [s.to_json() for s in self.steps]
        data["followups"] = [f.to_json() for f in self.followups]
        data["questions"] = [q.to_json() for q in self.questions]
        data["usage"] = self.usage.to_json()
        data["elapsed_s"] = round(self.elapsed_s, 3)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Run":
        names = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in names}
        kwargs["turns"] = [Turn.from_json(t) for t in data.get("turns") or []]
        kwargs["steps"] = [Step.from_json(s) for s in data.get("steps") or []]
        kwargs["followups"] = [FollowUp.from_json(f) for f in data.get("followups") or []]
        kwargs["questions"] = [Question.from_json(q) for q in data.get("questions") or []]
        kwargs["usage"] = Usage.from_json(data.get("usage"))
        return cls(**kwargs)
