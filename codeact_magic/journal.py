"""The run journal: each run's record written to disk as the run goes, so a kernel that dies keeps its runs.

One JSON Lines file per run, ``<directory>/<run_id>.jsonl`` (``.codeact/runs/`` in the kernel's working directory by
default, see ``CodeActConfig.journal_dir``). Each event of the run appends one line and flushes it to the operating
system, so a write costs the new data only and a kernel killed at any point (``os._exit``, the OOM killer, a
segfault) leaves every line written before it. Flushing is not ``fsync``: the lines survive the process, not a
power cut. The events, each one JSON object with ``event`` and ``at`` (ISO 8601 UTC)::

    {"event": "start", "journal": 1, "pid": 4242, "run": {...Run.to_json() without turns and steps...}}
    {"event": "turn", "turn": {...Turn.to_json()...}, "usage": {...}, "cost_usd": 0.0123, "elapsed_s": 2.31}
    {"event": "step_start", "index": 2, "turn": 1, "tool_use_id": "toolu_...", "code": "...", "elapsed_s": 2.31}
    {"event": "step", "step": {...Step.to_json()...}, "elapsed_s": 3.02}
    {"event": "outputs", "index": 1, "outputs": [...]}   (a later step's display update changed step 1's outputs)
    {"event": "question", "question": {...Question.to_json()...}}   (the model asked the user, ask_user)
    {"event": "end", "run": {...the Run.to_json() fields that changed since start...}}
    {"event": "undone", "undone": {...Run.undone...}}   (after the end: %codeact undo restored what it changed)

:func:`read_journal` folds them back into a :class:`~codeact_magic.records.Run`. A file with no ``end`` line is a
run that never ended: ``crashed``, with the step that was running (its code, no outputs) when the kernel died in one,
unless its kernel is still alive. The writer holds an exclusive ``flock`` on the file for the run's duration; the
operating system drops it when the process dies however it dies, so a reader that cannot take a shared lock knows
the run is live in another kernel and reads it as ``running``. A torn last line (the process died mid-write) is
ignored. Every event goes through the ``redact`` callable before it is written, and a write that fails (a read-only
directory, a full disk) stops the journal of that run with one line on stderr; the run itself goes on.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

from traitlets.log import get_logger

from .agent import RunObserver, steps_word
from .records import Question, Run, RunStatus, Step, Turn, Usage, utcnow

try:  # POSIX only; without it an unfinished run of a live kernel reads as crashed
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["JOURNAL_VERSION", "SUFFIX", "RunJournal", "append_undone", "resolve_dir", "read_journal", "find_run",
           "load_runs", "merge_runs"]

#: Version of the event format, in the ``start`` line.
JOURNAL_VERSION = 1
#: File name suffix of a run's journal.
SUFFIX = ".jsonl"
#: The step status and run status of a run whose kernel died.
CRASHED = RunStatus.CRASHED


def resolve_dir(setting: str, cwd: str | os.PathLike | None = None) -> Path | None:
    """The journal directory a ``journal_dir`` setting names.

    Parameters
    ----------
    setting : str
        ``CodeActConfig.journal_dir``: ``~`` is expanded; a relative path is taken from ``cwd``; ``""`` (or only
        spaces) means no journal.
    cwd : str or PathLike, optional
        The directory a relative setting starts from; the process's working directory by default.

    Returns
    -------
    Path or None
        An absolute path (not created here), or ``None`` when the journal is off.
    """
    if not setting.strip():
        return None
    path = Path(setting).expanduser()
    return path if path.is_absolute() else Path(cwd if cwd is not None else os.getcwd()) / path


def _fields(run: Run) -> dict[str, Any]:
    """``run.to_json()`` without its turns and steps, in time independent of their number."""
    data = dataclasses.replace(run, turns=[], steps=[]).to_json()
    del data["turns"], data["steps"]
    return data


def _stderr_line(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class RunJournal(RunObserver):
    """Writes one run's record to ``<directory>/<run_id>.jsonl`` as the run goes (a :class:`RunObserver`).

    Put it first among the observers, so a step's code is on disk before the step runs and the ``end`` line is
    written even when a later observer fails. It never raises: the first failure (creating the directory, opening or
    writing the file, encoding an event) is reported once, as one line, and the journal of that run stops there.

    Parameters
    ----------
    directory : str or PathLike
        Where the file goes; created, with its parents, when missing.
    redact : callable, optional
        Applied to every event (a JSON-like dict) before it is encoded; returns the data to write, for example a
        scrubbed deep copy (``Redactor.data``). It must not change the dict it is given in place if the run's own
        record is to stay unredacted: events hold the record's lists and dicts, not copies.
    warn : callable, optional
        Called with the one-line message of a failure; prints it to ``sys.stderr`` by default.

    Attributes
    ----------
    path : Path or None
        The run's file, once the run has started.
    failed : bool
        Whether a write failed (nothing more is written for this run).
    bytes_written : int
        Size of what was appended to the file so far, in bytes.
    """

    def __init__(self, directory: str | os.PathLike, redact: Callable[[Any], Any] | None = None,
                 warn: Callable[[str], None] | None = None) -> None:
        self.log = get_logger()
        self.directory = Path(directory)
        self.redact = redact
        self.warn = warn or _stderr_line
        self.path: Path | None = None
        self.failed = False
        self.bytes_written = 0
        self._file: IO[bytes] | None = None
        self._header: dict[str, Any] = {}

    # -- writing ----------------------------------------------------------------------------------------------------
    def _write(self, event: dict[str, Any]) -> None:
        if self._file is None or self.failed:
            return
        try:
            event = {"event": event.pop("event"), "at": utcnow(), **event}
            data = self.redact(event) if self.redact is not None else event
            line = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
            self._file.write(line)
            self._file.flush()
            self.bytes_written += len(line)
        except Exception as error:  # noqa: BLE001 - the journal must never break the run
            self.log.debug("codeact: a run journal event was not written", exc_info=True)
            self._fail(error)

    def _fail(self, error: BaseException) -> None:
        self.failed = True
        if self._file is not None:
            try:
                self._file.close()
            except OSError:
                self.log.debug("codeact: the run journal's file did not close", exc_info=True)
            self._file = None
        reason = (error.strerror or str(error)) if isinstance(error, OSError) else f"{type(error).__name__}: {error}"
        self.warn(f"codeact: the run journal stopped, this run goes on unsaved: cannot write {self.path or self.directory}"
                  f" ({reason}).")

    def run_started(self, run: Run) -> None:
        self.path = self.directory / f"{run.run_id}{SUFFIX}"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            ignore = self.directory / ".gitignore"
            if not ignore.exists():  # records hold the user's data outputs: keep them out of a git working tree
                ignore.write_text("# codeact-magic run journal: records hold data outputs, so git ignores them\n*\n")
            self._file = open(self.path, "ab")
        except OSError as error:
            self._fail(error)
            return
        if fcntl is not None:
            try:
                fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:  # a file system without locks: readers elsewhere will call this run crashed while it lives
                self.log.debug("codeact: no lock on the run journal %s", self.path, exc_info=True)
        self._header = _fields(run)
        self._write({"event": "start", "journal": JOURNAL_VERSION, "pid": os.getpid(), "run": self._header})

    def turn_finished(self, run: Run, turn: Turn) -> None:
        self._write({"event": "turn", "turn": turn.to_json(), "usage": run.usage.to_json(), "cost_usd": run.cost_usd,
                     "elapsed_s": round(run.elapsed_s, 3)})

    def step_started(self, run: Run, index: int, code: str) -> None:
        turn = len(run.turns) - 1
        done = {s.tool_use_id for s in run.steps if s.turn == turn}
        uses = run.turns[-1].tool_uses if run.turns else []
        tool_use_id = next((u["id"] for u in uses if u.get("id") not in done
                            and isinstance(u.get("input"), dict) and u["input"].get("code") == code), "")
        self._write({"event": "step_start", "index": index, "turn": turn, "tool_use_id": tool_use_id, "code": code,
                     "elapsed_s": round(run.elapsed_s, 3)})

    def step_finished(self, run: Run, step: Step) -> None:
        self._write({"event": "step", "step": step.to_json(), "elapsed_s": round(run.elapsed_s, 3)})

    def outputs_updated(self, run: Run, step: Step) -> None:
        self._write({"event": "outputs", "index": step.index, "outputs": step.outputs})

    def question_answered(self, run: Run, question: Question) -> None:
        self._write({"event": "question", "question": question.to_json()})

    def run_finished(self, run: Run) -> None:
        changed = {k: v for k, v in _fields(run).items() if self._header.get(k) != v}
        self._write({"event": "end", "run": changed})
        if self._file is not None:
            try:
                self._file.close()  # drops the lock
            except OSError as error:
                self._fail(error)
            self._file = None


def append_undone(directory: str | os.PathLike | None, run: Run) -> bool:
    """Append ``run``'s ``undone`` event to its journal file (written after the run ended, so no lock is held).

    Returns
    -------
    bool
        Whether it was written; ``False`` without a journal, a file for the run, or when the write fails (the undo
        stands either way).
    """
    path = Path(directory) / f"{run.run_id}{SUFFIX}" if directory is not None else None
    if path is None or not path.is_file() or run.undone is None:
        return False
    event = {"event": "undone", "at": utcnow(), "undone": run.undone}
    try:
        with open(path, "ab") as file:
            file.write(json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n")
    except OSError:
        get_logger().debug("codeact: the undone event was not journaled", exc_info=True)
        return False
    return True


# -- reading ----------------------------------------------------------------------------------------------------------
def _events(data: bytes) -> Iterable[dict[str, Any]]:
    """The events of a journal file's bytes; lines that are not a JSON object (a torn last line) are skipped."""
    for raw in data.split(b"\n"):
        if not raw.strip():
            continue
        try:
            event = json.loads(raw)
        except ValueError:
            continue
        if isinstance(event, dict):
            yield event


def _is_live(file: IO[bytes]) -> bool:
    """Whether another open file description holds the writer's lock (its kernel is alive)."""
    if fcntl is None:
        return False
    try:
        fcntl.flock(file.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    fcntl.flock(file.fileno(), fcntl.LOCK_UN)
    return False


def read_journal(path: str | os.PathLike) -> Run:
    """The run recorded in one journal file, as complete as its lines allow.

    Parameters
    ----------
    path : str or PathLike
        A ``<run_id>.jsonl`` file written by :class:`RunJournal`.

    Returns
    -------
    Run
        Turns and steps with their outputs, usage, cost and elapsed seconds as last written. A file with an ``end``
        line gives the run as it ended (a later ``start`` line, a follow-up's, continues the run before it). One
        without is ``running`` while its kernel holds the file's lock, else
        ``crashed`` with ``end_reason`` such as ``The kernel died during step 3 (no end was recorded).``; a step that
        was running is included with status ``crashed``, its code and no outputs; ``ended_at`` stays ``None``.

    Raises
    ------
    OSError
        If the file cannot be opened or read.
    ValueError
        If it holds no readable ``start`` line.
    """
    with open(path, "rb") as file:
        live = _is_live(file)
        data = file.read()
    run: Run | None = None
    running: dict[str, Any] | None = None
    ended = False
    for event in _events(data):
        kind = event.get("event")
        if kind == "start" and isinstance(event.get("run"), dict):
            earlier = run
            run = Run.from_json(event["run"])
            if earlier is not None:  # a follow-up (%%codeact --continue) goes on in the same file
                run.turns, run.steps = earlier.turns, earlier.steps
                run.usage, run.cost_usd = earlier.usage, earlier.cost_usd
            ended = False
        elif run is None:
            continue
        elif kind == "turn":
            run.turns.append(Turn.from_json(event.get("turn") or {}))
            run.usage = Usage.from_json(event.get("usage"))
            run.cost_usd = event.get("cost_usd")
        elif kind == "step_start":
            running = event
        elif kind == "step":
            step = Step.from_json(event.get("step") or {})
            run.steps.append(step)
            if running is not None and running.get("index") == step.index:
                running = None
        elif kind == "outputs":  # a later step's update_display_data changed an earlier step's outputs
            for step in run.steps:
                if step.index == event.get("index") and isinstance(event.get("outputs"), list):
                    step.outputs = event["outputs"]
        elif kind == "question" and isinstance(event.get("question"), dict):
            run.questions.append(Question.from_json(event["question"]))
        elif kind == "undone" and isinstance(event.get("undone"), dict):
            run.undone = event["undone"]
        elif kind == "end":
            changed = {k: v for k, v in (event.get("run") or {}).items() if k not in ("turns", "steps")}
            turns, steps = run.turns, run.steps  # kept as read, not serialised again with their outputs
            run = Run.from_json({**_fields(run), **changed})
            run.turns, run.steps = turns, steps
            ended = True
        if kind in ("turn", "step_start", "step") and "elapsed_s" in event:
            run.elapsed_s = float(event["elapsed_s"] or 0.0)
    if run is None:
        raise ValueError(f"{path} has no start line: not a codeact run journal.")
    if ended or live:
        if not ended:
            run.status = "running"
        return run
    run.status = CRASHED
    if running is not None:
        index = int(running.get("index") or len(run.steps) + 1)
        run.steps.append(Step(index=index, turn=int(running.get("turn") or 0),
                              tool_use_id=str(running.get("tool_use_id") or ""), code=str(running.get("code") or ""),
                              status=CRASHED, observation="The kernel died while this step ran."))
        run.end_reason = f"The kernel died during step {index} (no end was recorded)."
    elif run.steps:
        run.end_reason = f"The kernel died after {steps_word(len(run.steps))} (no end was recorded)."
    else:
        run.end_reason = "The kernel died before any step ran (no end was recorded)."
    return run


#: What reading a file that is not a journal (or a damaged one) raises; such files are left out.
_UNREADABLE = (OSError, ValueError, TypeError, KeyError, AttributeError)


def find_run(directory: str | os.PathLike | None, run_id: str) -> Run | None:
    """The run ``run_id`` of a journal directory, reading its one file; ``None`` when it is not there or unreadable.

    Parameters
    ----------
    directory : str or PathLike or None
        A journal directory (``None``: the journal is off).
    run_id : str
        A run id such as ``r-3f9c2a1b``; anything that is not a bare file name finds nothing.
    """
    if directory is None or Path(run_id).name != run_id:
        return None
    try:
        return read_journal(Path(directory) / f"{run_id}{SUFFIX}")
    except _UNREADABLE:
        return None


def load_runs(directory: str | os.PathLike | None) -> list[Run]:
    """Every run in a journal directory, newest first (by ``started_at``).

    Parameters
    ----------
    directory : str or PathLike or None
        A journal directory; ``None`` (the journal is off) or a missing directory gives ``[]``.

    Returns
    -------
    list of Run
        See :func:`read_journal`. Files that cannot be read, or hold no start line, are left out.
    """
    if directory is None:
        return []
    try:
        paths = sorted(Path(directory).glob(f"*{SUFFIX}"))
    except OSError:
        return []
    runs = []
    for path in paths:
        try:
            runs.append(read_journal(path))
        except _UNREADABLE:
            continue
    runs.sort(key=lambda r: r.started_at or "", reverse=True)
    return runs


def merge_runs(live: Iterable[Run], journaled: Iterable[Run]) -> list[Run]:
    """This kernel's runs and a journal's, one per run id (the live one wins), newest first (by ``started_at``).

    Parameters
    ----------
    live : iterable of Run
        The runs held in memory.
    journaled : iterable of Run
        Runs read back by :func:`load_runs`.

    Returns
    -------
    list of Run
    """
    runs = {r.run_id: r for r in journaled}
    runs.update((r.run_id, r) for r in live)
    return sorted(runs.values(), key=lambda r: r.started_at or "", reverse=True)
