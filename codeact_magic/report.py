"""The figures of ``%codeact report [--all]``: how a kernel's runs (or a run journal's) went, in one table.

:func:`build_report` reads :class:`~codeact_magic.records.Run` records, live or read back by
:func:`~codeact_magic.journal.load_runs`, and returns a :class:`Report`: runs by status, steps per run, the step
error rate and the most common error types, the seconds spent in the model and in code, tokens and cost (USD).
:meth:`Report.text` is the plain-text table the magic prints; :meth:`Report.to_dataframe` gives one row per run as a
pandas DataFrame (pandas is optional), the figures to keep working with.

A run continued with ``%%codeact --continue`` is one run: its follow-ups' turns and steps are in the same record.
A run read from the journal of a kernel that died is ``crashed``, and its step that was running (status ``crashed``)
counts as a failed step of type ``(kernel died)``.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as _dt
import statistics
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .agent import steps_word
from .records import Run, RunStatus, Step, StepStatus

if TYPE_CHECKING:  # pragma: no cover
    import pandas

__all__ = ["Report", "RunFigures", "build_report", "error_type", "runs_table", "TOP_ERRORS", "NO_ERROR_OUTPUT"]

#: How many error types the report lists, most common first.
TOP_ERRORS = 5

#: The error type of a step whose status says it all, whatever its outputs hold.
_STATUS_ERRORS = {StepStatus.TIMEOUT: "TimeoutError", StepStatus.INTERRUPTED: "KeyboardInterrupt",
                  StepStatus.CRASHED: "(kernel died)"}
#: The error type of a step with status ``error`` and no nbformat ``error`` output.
NO_ERROR_OUTPUT = "(no error output)"

_MISSING_PANDAS = ("pandas is not installed: `pip install pandas` for the report as a DataFrame "
                   "(Report.text() needs nothing).")
#: The numeric columns of :meth:`Report.to_dataframe`, after the text ones, with their dtypes.
_NUMBERS = {"followups": "int64", "steps": "int64", "step_errors": "int64", "model_s": "float64",
            "code_s": "float64", "elapsed_s": "float64", "input_tokens": "int64", "output_tokens": "int64",
            "cache_read_input_tokens": "int64", "cache_creation_input_tokens": "int64", "tokens": "int64",
            "cost_usd": "float64"}


def error_type(step: Step) -> str | None:
    """The error type of one step: the ``ename`` of its last nbformat ``error`` output, or what its status implies.

    Parameters
    ----------
    step : Step

    Returns
    -------
    str or None
        ``None`` for a step with status ``ok``; ``TimeoutError`` for ``timeout``, ``KeyboardInterrupt`` for
        ``interrupted`` and ``(kernel died)`` for ``crashed`` (a run read from the journal of a kernel that died);
        for ``error``, the exception's name (``NameError``), or ``(no error output)`` when no output names it.
    """
    status = StepStatus(step.status)
    if status == StepStatus.OK:
        return None
    if status in _STATUS_ERRORS:
        return _STATUS_ERRORS[status]
    names = [o.get("ename") for o in step.outputs if isinstance(o, dict) and o.get("output_type") == "error"]
    names = [str(n) for n in names if n]
    return names[-1] if names else NO_ERROR_OUTPUT


@dataclasses.dataclass
class RunFigures:
    """The figures of one run: a row of :meth:`Report.to_dataframe`.

    Attributes
    ----------
    run_id, task, model : str
        As in the run's record.
    started_at, ended_at : str or None
        ISO 8601 UTC; ``ended_at`` is ``None`` for a run that is running or crashed.
    status : str
        A :class:`~codeact_magic.records.RunStatus` value, the run's last (after its follow-ups).
    followups : int
        How many times it was continued (``%%codeact --continue``).
    steps, step_errors : int
        Its steps, and those whose status is not ``ok``.
    model_s, code_s, elapsed_s : float
        Seconds: waiting for the model (sum of ``Turn.latency_s``), running code (sum of ``Step.duration_s``), and
        from start to end (``Run.elapsed_s``, which also holds the time spent between the two).
    input_tokens, output_tokens, cache_read_input_tokens, cache_creation_input_tokens : int
        Tokens, as in the Messages API's ``usage`` (``input_tokens`` excludes cache reads and writes).
    cost_usd : float or None
        USD; ``None`` when the model's price is unknown.
    """

    run_id: str
    task: str
    model: str
    started_at: str | None
    ended_at: str | None
    status: str
    followups: int
    steps: int
    step_errors: int
    model_s: float
    code_s: float
    elapsed_s: float
    input_tokens: int
    output_tokens: int
    cache_read_input_tokens: int
    cache_creation_input_tokens: int
    cost_usd: float | None

    @property
    def tokens(self) -> int:
        """All its tokens: input in any form plus output."""
        return (self.input_tokens + self.output_tokens + self.cache_read_input_tokens
                + self.cache_creation_input_tokens)

    @classmethod
    def of(cls, run: Run) -> "RunFigures":
        """The figures of ``run``."""
        return cls(
            run_id=run.run_id, task=run.task, model=run.model, started_at=run.started_at, ended_at=run.ended_at,
            status=RunStatus(run.status).value, followups=len(run.followups), steps=len(run.steps),
            step_errors=sum(1 for s in run.steps if s.status != StepStatus.OK),
            model_s=float(sum(t.latency_s for t in run.turns)), code_s=float(sum(s.duration_s for s in run.steps)),
            elapsed_s=float(run.elapsed_s), input_tokens=run.usage.input_tokens,
            output_tokens=run.usage.output_tokens, cache_read_input_tokens=run.usage.cache_read_input_tokens,
            cache_creation_input_tokens=run.usage.cache_creation_input_tokens,
            cost_usd=None if run.cost_usd is None else float(run.cost_usd))


@dataclasses.dataclass
class Report:
    """The figures of a set of runs (:func:`build_report`).

    Attributes
    ----------
    runs : int
        How many runs; a run with follow-ups counts once.
    by_status : dict of str to int
        Runs per :class:`~codeact_magic.records.RunStatus` value, every status a key (0 when none), in that
        enum's order (``running`` first).
    continued_runs : int
        Runs with at least one follow-up.
    steps : int
        Steps over all runs.
    steps_per_run_mean, steps_per_run_median : float
        Steps per run (0 when there is no run).
    steps_per_run_max : int
        The most steps of one run.
    step_errors : int
        Steps whose status is not ``ok`` (``error``, ``timeout``, ``interrupted``, ``crashed``).
    step_error_rate : float
        ``step_errors / steps``, from 0 to 1 (0 when there is no step).
    error_types : list of (str, int)
        The most common error types (:func:`error_type`) with their counts, most common first (ties by name), at
        most :data:`TOP_ERRORS`.
    model_s, code_s : float
        Seconds waiting for the model (sum of ``Turn.latency_s``) and running code (sum of ``Step.duration_s``).
    input_tokens, output_tokens, cache_read_input_tokens, cache_creation_input_tokens : int
        Tokens over all runs (``Run.usage``).
    cost_usd : float
        USD over the runs whose cost is known.
    cost_unknown_runs : int
        Runs whose cost is unknown (a model with no price), left out of ``cost_usd``.
    per_run : list of RunFigures
        One per run, in the order given.
    """

    runs: int
    by_status: dict[str, int]
    continued_runs: int
    steps: int
    steps_per_run_mean: float
    steps_per_run_median: float
    steps_per_run_max: int
    step_errors: int
    step_error_rate: float
    error_types: list[tuple[str, int]]
    model_s: float
    code_s: float
    input_tokens: int
    output_tokens: int
    cache_read_input_tokens: int
    cache_creation_input_tokens: int
    cost_usd: float
    cost_unknown_runs: int
    per_run: list[RunFigures] = dataclasses.field(default_factory=list, repr=False)

    @property
    def tokens(self) -> int:
        """All tokens: input in any form plus output."""
        return (self.input_tokens + self.output_tokens + self.cache_read_input_tokens
                + self.cache_creation_input_tokens)

    def text(self) -> str:
        """The report as ``%codeact report`` prints it: labelled sections of aligned plain-text rows.

        Returns
        -------
        str
            ``No runs yet.`` for no run; else a headline (runs, steps) and the sections Runs by status, Steps,
            Error types (their share of the steps with an error), Time (seconds and share of model plus code),
            Tokens and Cost (USD, 4 decimals; runs of unknown cost are counted, not guessed). Status rows show
            every status but ``running``, which shows only when a run is.
        """
        if not self.runs:
            return "No runs yet."
        head = f"{_count(self.runs, 'run')}, {_count(self.steps, 'step')}"
        if self.continued_runs:
            head += f" ({self.continued_runs} continued with --continue)"
        sections = [[head]]
        sections.append(["Runs by status", *_rows(
            [(RunStatus(s).label, f"{n:,}", _share(n, self.runs) if n else "") for s, n in self.by_status.items()
             if n or s != RunStatus.RUNNING])])
        sections.append(["Steps", *_rows([
            ("total", f"{self.steps:,}", ""),
            ("mean per run", f"{self.steps_per_run_mean:,.1f}", ""),
            ("median per run", f"{self.steps_per_run_median:,.1f}", ""),
            ("max per run", f"{self.steps_per_run_max:,}", ""),
            ("with an error", f"{self.step_errors:,}", f"{self.step_error_rate:.1%} of steps" if self.steps else "")])])
        if self.error_types:
            sections.append([f"Error types (top {TOP_ERRORS})",
                             *_rows([(name, f"{n:,}", _share(n, self.step_errors)) for name, n in self.error_types])])
        timed = self.model_s + self.code_s
        sections.append(["Time (seconds, share of model + code)", *_rows([
            ("model", f"{self.model_s:,.1f} s", _share(self.model_s, timed)),
            ("code", f"{self.code_s:,.1f} s", _share(self.code_s, timed)),
            ("total", f"{timed:,.1f} s", "")])])
        sections.append(["Tokens", *_rows([
            ("input", f"{self.input_tokens:,}", ""), ("output", f"{self.output_tokens:,}", ""),
            ("cache read", f"{self.cache_read_input_tokens:,}", ""),
            ("cache write", f"{self.cache_creation_input_tokens:,}", ""), ("total", f"{self.tokens:,}", "")])])
        known = self.runs - self.cost_unknown_runs
        if self.cost_unknown_runs and not known:  # a local model: no price to sum, not $0
            cost = [("total", "unknown", "no run's model has a price")]
        else:
            cost = [("total", f"${self.cost_usd:.4f}", f"over {_count(known, 'run')}" if self.cost_unknown_runs else "")]
        if known:
            cost.append(("per run", f"${self.cost_usd / known:.4f}", "mean"))
        if self.cost_unknown_runs:
            word = "run" if self.cost_unknown_runs == 1 else "runs"
            cost.append(("unknown", f"{self.cost_unknown_runs:,}", f"{word} of a model with no price, not counted"))
        sections.append(["Cost (USD)", *_rows(cost)])
        return "\n\n".join("\n".join(lines) for lines in sections)

    def to_dataframe(self) -> "pandas.DataFrame":
        """One row per run (in the order given) with its figures, to filter, group and plot.

        A row per run rather than per figure: the aggregates of :meth:`text` follow from it (``df.steps.mean()``,
        ``df.groupby("status").cost_usd.sum()``), and it joins with other data on ``run_id``. No totals row, so
        ``df.sum()`` stays right; the totals are this report's attributes.

        Returns
        -------
        pandas.DataFrame
            Columns ``run_id`` (pandas' string dtype), ``started_at`` and ``ended_at`` (``datetime64`` UTC,
            ``NaT`` when missing), ``status`` (categorical, the :class:`~codeact_magic.records.RunStatus` values in
            order), ``model``, ``task`` (strings), ``followups``, ``steps``, ``step_errors`` (``int64``),
            ``model_s``, ``code_s``, ``elapsed_s`` (``float64`` seconds), ``input_tokens``, ``output_tokens``,
            ``cache_read_input_tokens``, ``cache_creation_input_tokens``, ``tokens`` (``int64``) and ``cost_usd``
            (``float64`` USD, ``NaN`` when unknown).

        Raises
        ------
        ImportError
            When pandas is not installed (one line saying so).
        """
        try:
            import pandas as pd
        except ImportError as error:
            raise ImportError(_MISSING_PANDAS) from error
        rows = self.per_run
        data: dict[str, Any] = {
            "run_id": pd.Series([r.run_id for r in rows], dtype=str),
            "started_at": pd.to_datetime([_moment(r.started_at) for r in rows], utc=True),
            "ended_at": pd.to_datetime([_moment(r.ended_at) for r in rows], utc=True),
            "status": pd.Categorical([r.status for r in rows], categories=[s.value for s in RunStatus]),
            "model": pd.Series([r.model for r in rows], dtype=str),
            "task": pd.Series([r.task for r in rows], dtype=str),
        }
        for name, dtype in _NUMBERS.items():  # a None cost becomes NaN
            data[name] = pd.Series([getattr(r, name) for r in rows], dtype=dtype)
        return pd.DataFrame(data)


def build_report(runs: Sequence[Run]) -> Report:
    """The figures of ``runs``.

    Parameters
    ----------
    runs : sequence of Run
        This kernel's runs, or a run journal's (:func:`~codeact_magic.journal.load_runs`, merged with the live ones
        by :func:`~codeact_magic.journal.merge_runs`); each run once.

    Returns
    -------
    Report
        All zeros (and ``text()`` ``No runs yet.``) for no run.
    """
    per_run = [RunFigures.of(run) for run in runs]
    by_status = {s.value: 0 for s in RunStatus}
    for figures in per_run:
        by_status[figures.status] += 1
    counts = [f.steps for f in per_run]
    kinds = collections.Counter(kind for run in runs for kind in map(error_type, run.steps) if kind is not None)
    n_steps, n_errors = sum(counts), sum(f.step_errors for f in per_run)
    known = [f.cost_usd for f in per_run if f.cost_usd is not None]
    return Report(
        runs=len(per_run), by_status=by_status, continued_runs=sum(1 for f in per_run if f.followups),
        steps=n_steps, steps_per_run_mean=float(statistics.fmean(counts)) if counts else 0.0,
        steps_per_run_median=float(statistics.median(counts)) if counts else 0.0,
        steps_per_run_max=max(counts, default=0), step_errors=n_errors,
        step_error_rate=n_errors / n_steps if n_steps else 0.0,
        error_types=sorted(kinds.items(), key=lambda item: (-item[1], item[0]))[:TOP_ERRORS],
        model_s=sum(f.model_s for f in per_run), code_s=sum(f.code_s for f in per_run),
        input_tokens=sum(f.input_tokens for f in per_run), output_tokens=sum(f.output_tokens for f in per_run),
        cache_read_input_tokens=sum(f.cache_read_input_tokens for f in per_run),
        cache_creation_input_tokens=sum(f.cache_creation_input_tokens for f in per_run),
        cost_usd=float(sum(known)), cost_unknown_runs=len(per_run) - len(known), per_run=per_run)


# -- formatting -------------------------------------------------------------------------------------------------------
def _count(n: int, word: str) -> str:
    """``1 run``, ``1,204 runs``."""
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _share(part: float, whole: float) -> str:
    """``part`` as a percentage of ``whole`` (``42.9%``), or ``""`` when ``whole`` is 0."""
    return f"{part / whole:.1%}" if whole else ""


def _rows(rows: list[tuple[str, str, str]]) -> list[str]:
    """Aligned lines, indented two spaces: the label left, the value right, the note (if any) after them."""
    width = [max(len(row[i]) for row in rows) for i in range(2)]
    return [f"  {label.ljust(width[0])}  {value.rjust(width[1])}" + (f"  {note}" if note else "")
            for label, value, note in rows]


def _moment(iso: str | None) -> _dt.datetime | None:
    """An ISO 8601 time (``...Z`` too, on Python 3.10) as an aware datetime; ``None`` when missing or unreadable."""
    if not iso:
        return None
    try:
        moment = _dt.datetime.fromisoformat(str(iso).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=_dt.timezone.utc)


# -- %codeact runs ----------------------------------------------------------------------------------------------
def _local_time(iso: str) -> str:
    """An ISO 8601 UTC time as local ``YYYY-MM-DD HH:MM``; the text itself when it does not parse."""
    try:
        moment = _dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return str(iso)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def runs_table(runs: list[Run], task_width: int = 48) -> str:
    """``%codeact runs``: one aligned row per run, in the order given (newest first), then the totals.

    Parameters
    ----------
    runs : list of Run
    task_width : int
        Characters of the task shown (longer ones end with "…").

    Returns
    -------
    str
        Columns run id, started (local time), status, steps, tokens (input, cache and output), cost (USD) and
        task; the totals line sums steps, tokens and the known costs, and says how many costs are unknown.
    """
    rows = [("run", "started", "status", "steps", "tokens", "cost", "task")]
    for run in runs:
        task = " ".join(run.task.split())
        task = task if len(task) <= task_width else task[:task_width - 1] + "…"
        if run.followups:
            task += f" (+{len(run.followups)} follow-up{'' if len(run.followups) == 1 else 's'})"
        cost = "unknown" if run.cost_usd is None else f"${run.cost_usd:.4f}"
        status = RunStatus(run.status).label
        if run.undone:
            step = int(run.undone.get("from_step", 1))
            status += ", undone" + (f" from step {step}" if step > 1 else "")
        rows.append((run.run_id, _local_time(run.started_at), status, str(len(run.steps)),
                     f"{run.usage.total:,}", cost, task))
    widths = [max(len(row[i]) for row in rows) for i in range(6)]
    right = {3, 4, 5}
    lines = ["  ".join(cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
                       for i, cell in enumerate(row[:6])) + "  " + row[6] for row in rows]
    known = [r.cost_usd for r in runs if r.cost_usd is not None]
    unknown = len(runs) - len(known)
    total = (f"total: {len(runs)} run{'' if len(runs) == 1 else 's'}, {steps_word(sum(len(r.steps) for r in runs))}, "
             f"{sum(r.usage.total for r in runs):,} tokens, ${sum(known):.4f}")
    if unknown:
        total += f" (and {unknown} run{'' if unknown == 1 else 's'} of unknown cost)"
    return "\n".join([*lines, total])
