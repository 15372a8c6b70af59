"""The ``%%codeact`` cell magic and the ``%codeact`` line magic."""

from __future__ import annotations

from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from traitlets.log import get_logger

from .agent import build_system, run_agent
from .config import CodeActConfig, RunOptions, default
from .context import summarize
from .display import make_display, status_line
from .exceptions import CodeActError
from .execution import LiveExecutor
from .frontend import FrontendChannel
from .journal import RunJournal, find_run, load_runs, merge_runs, resolve_dir
from .model import ClaudeModel, ReplayModel, has_api_key
from .records import Run, RunStatus, new_run_id
from .redaction import Redactor
from .replay import ReplayCheck
from .trajectory import load_run, write_notebook

__all__ = ["CodeActMagics"]

_HELP = """\
%%codeact [options]      run the cell's task with Claude in this kernel (see %%codeact? for the options)
%codeact export PATH     write the last run (or --run ID) as a notebook (--force: replace PATH)
%codeact runs            list the runs of this kernel and of the run journal, newest first
%codeact                 this help
Settings: %config CodeActMagics   (model, max_steps, timeout, prices, ...)"""

_EXAMPLE = "For example:\n%%codeact\nWhich product sold best in `df`, by revenue?"


def _cell_id(shell: Any) -> str | None:
    """The executing cell's id, as JupyterLab sends it in the execute_request's ``metadata.cellId``."""
    try:
        parent = shell.get_parent() if hasattr(shell, "get_parent") else shell.kernel.get_parent()
        return (parent or {}).get("metadata", {}).get("cellId")
    except Exception:  # noqa: BLE001 - no kernel, no cell id
        get_logger().debug("codeact: no cell id for this run", exc_info=True)
        return None


def line_of(args: Any) -> str:
    """The run options of parsed ``args`` written back as a %%codeact line (``--replay X --max-steps 3``)."""
    parts = []
    for name in ("model", "max_steps", "timeout", "max_cost", "replay", "replay_if_no_key", "insert"):
        value = getattr(args, name, None)
        if value is not None:
            parts.append(f"--{name.replace('_', '-')} {value}")
    if getattr(args, "no_insert", False):
        parts.append("--no-insert")
    return " ".join(parts)


@magics_class
class CodeActMagics(Magics, CodeActConfig):
    """``%%codeact``: a CodeAct run with Claude in the user's live kernel. Settings are this class's traits."""

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        self.runs: list[Run] = []
        self.frontend = FrontendChannel(lambda: self.runs)
        if getattr(shell, "kernel", None) is not None:
            self.frontend.register()

    # -- %%codeact --------------------------------------------------------------------------------------------------
    @magic_arguments()
    @argument("-m", "--model", help=f"Claude model id for this run (default: CodeActMagics.model, {default('model')}).")
    @argument("-n", "--max-steps", type=int, help=f"Most code steps in this run (default {default('max_steps')}).")
    @argument("-t", "--timeout", type=float,
              help=f"Seconds a step may run before it is interrupted (default {default('timeout'):g}; 0: no limit).")
    @argument("--max-cost", type=float,
              help=f"Stop the run once it has cost this many USD (default {default('max_cost_usd'):g}: no budget).")
    @argument("--replay", metavar="RUN.ipynb",
              help="Re-run a recorded run (a notebook from %%codeact export) without a model: the code runs for real.")
    @argument("--replay-if-no-key", metavar="RUN.ipynb",
              help="Replay RUN.ipynb when ANTHROPIC_API_KEY is not set; use Claude when it is (offline demos).")
    @argument("--no-insert", action="store_true", help="Do not insert this run's cells into the notebook.")
    @argument("--insert", choices=["replace", "append"],
              help="When this cell runs again: 'replace' its earlier run's cells or 'append' after them (default: "
              f"CodeActMagics.insert_mode, {default('insert_mode')}).")
    @argument("--run", metavar="ID", help="With `export`: the run to export (default: the last).")
    @argument("--force", action="store_true", help="With `export`: overwrite PATH if it exists.")
    @argument("command", nargs="*", help="Line form only: `export PATH` or `runs`.")
    @line_cell_magic
    def codeact(self, line: str = "", cell: str | None = None) -> None:
        """Solve the task in the cell body with Claude, by writing and running Python in this kernel.

        Each code step runs in your namespace (its variables stay yours) and its outputs are fed back to the model
        until it answers, the step limit is hit or you interrupt the kernel. The run is recorded; export it as a
        notebook with ``%codeact export PATH``. The API key comes from ``ANTHROPIC_API_KEY``.

        Examples
        --------
        ::

            %%codeact --max-steps 10
            Total revenue, best-selling product and average order value of `orders`.

            %codeact export analysis.ipynb
            %codeact runs
        """
        args = parse_argstring(self.codeact, line)  # raises UsageError, shown as one line
        if cell is None:
            return self._line(args)
        return self._run(args, cell)

    def _options(self, args: Any) -> RunOptions:
        for name in ("max_steps", "timeout", "max_cost"):
            value = getattr(args, name)
            if value is not None and (value < 0 or (name == "max_steps" and value < 1)):
                raise UsageError(f"--{name.replace('_', '-')} must be {'at least 1' if name == 'max_steps' else 'positive'}, not {value}.")
        insert = "none" if args.no_insert else (args.insert or self.insert_mode)
        return RunOptions.from_config(self, model=args.model, max_steps=args.max_steps, timeout=args.timeout,
                                      max_cost_usd=args.max_cost, insert_mode=insert)

    def _run(self, args: Any, cell: str) -> None:
        if args.command:
            words = " ".join(args.command)
            raise UsageError(f"The task goes in the cell body, not on the %%codeact line: put %%codeact (and its "
                             f"options) alone on the first line and the task below it, e.g. %%codeact ⏎ {words}")
        options = self._options(args)
        task = cell.strip()
        why = "Replaying"
        if args.replay_if_no_key and not args.replay:
            if not has_api_key():
                why = "No ANTHROPIC_API_KEY is set: replaying"
                args.replay = args.replay_if_no_key
        if args.replay:
            try:
                recorded = load_run(args.replay)
            except CodeActError as error:
                raise UsageError(str(error)) from None
            if not task:
                first = " ".join(recorded.task.split())[:80]
                raise UsageError(f"The %%codeact cell has no task: write it on the lines below `%%codeact "
                                 f"{line_of(args)}`, for example the recording's own: {first}")
            model: Any = ReplayModel(recorded.turns, source=args.replay)
            model_name = recorded.model
            print(f"{why} the recorded run {recorded.run_id} from {args.replay} (no model calls; the code runs for real).")
        else:
            if not task:
                raise UsageError("The task is empty: write what you want done in the cell, below the %%codeact line. "
                                 + _EXAMPLE.replace("\n", " | "))
            try:
                model = ClaudeModel(model=options.model, max_tokens=options.max_tokens,
                                    max_retries=self.max_retries, timeout=self.request_timeout,
                                    read_timeout=self.read_timeout)
            except CodeActError as error:
                raise UsageError(str(error)) from None
            model_name = options.model
        summary = summarize(self.shell.user_ns, hidden=getattr(self.shell, "user_ns_hidden", {}),
                            max_chars=self.context_max_chars, time_budget_s=self.context_time_budget)
        run = Run(run_id=new_run_id(), task=task, model=model_name, context=summary.text,
                  system=build_system(self.instructions), max_steps=options.max_steps, cell_id=_cell_id(self.shell),
                  insert_mode=options.insert_mode, replayed_from=args.replay,
                  execution_count=getattr(self.shell, "execution_count", None))
        self.runs.append(run)
        use_widgets = self.widgets and self.frontend.widget_frontends > 0
        # a frontend inserts the run's cells: the cell keeps only the status, the answer and a link to them
        compact = self.frontend.frontends > 0 and options.insert_mode != "none"
        journal_dir = resolve_dir(self.journal_dir)  # relative to the working directory now, at the run's start
        redactor = self._redactor()
        journal = [RunJournal(journal_dir, redact=redactor.data)] if journal_dir else []
        self.frontend.redact = redactor.data
        observers = [*journal, make_display(self.display, self.shell, use_widgets, compact), self.frontend]
        executor = LiveExecutor(self.shell, redactor=redactor)
        if args.replay:  # replay runs what the cells show, and stops where a step no longer does what it did
            model = executor = ReplayCheck(executor, model, recorded.steps, args.replay)
        run_agent(run, model, executor, options, observers, prices=self.prices)
        if RunStatus(run.status).raises:  # the cell fails, so nbclient and papermill see it; shown once, here
            raise CodeActError(run.end_reason or "The run failed.")

    # -- %codeact -------------------------------------------------------------------------------------------------
    def _line(self, args: Any) -> None:
        words = args.command
        options = line_of(args)
        if options:  # `%codeact --replay X`: run options belong to the cell magic
            raise UsageError(f"{options.split()[0]} is an option of the %%codeact cell: put `%%codeact {options}` on "
                             "the first line of a cell and the task below it.")
        if not words:
            print(_HELP)
            return
        verb = words[0]
        if verb == "runs":
            if len(words) > 1:
                raise UsageError("`%codeact runs` takes no argument.")
            self._print_runs()
        elif verb == "export":
            if len(words) != 2:
                raise UsageError("Usage: %codeact export PATH  (for example: %codeact export analysis.ipynb)")
            run = self._find_run(args.run)
            redactor = self._redactor()
            path = write_notebook(run, words[1], overwrite=args.force, redact=redactor.data)
            journaled = "" if any(r is run for r in self.runs) else " from the run journal"
            print(f"Exported run {run.run_id}{journaled} ({len(run.steps)} steps, {run.status}) to {path}")
        else:
            raise UsageError(f"Unknown %codeact command {verb!r}: the commands are export, runs (and none, for help). "
                             f"To give Claude a task, use a cell: %%codeact on its first line, the task below it.")

    def _redactor(self) -> Redactor:
        """This kernel's secrets as they are now: the environment's and the user's secret-named variables."""
        return Redactor(user_ns=self.shell.user_ns, hidden=getattr(self.shell, "user_ns_hidden", {}))

    def _find_run(self, run_id: str | None) -> Run:
        """This kernel's run ``run_id`` (default: the last), else the run journal's (default: its newest)."""
        if run_id is None and self.runs:
            return self.runs[-1]
        for run in self.runs:
            if run.run_id == run_id:
                return run
        directory = resolve_dir(self.journal_dir)
        if run_id is None:
            journaled = load_runs(directory)
            if journaled:
                return journaled[0]
            raise UsageError("No run yet in this kernel or in its run journal: run a %%codeact cell first.")
        journaled = find_run(directory, run_id)  # one file, not the whole journal
        if journaled is not None:
            return journaled
        raise UsageError(f"No run {run_id!r}; `%codeact runs` lists them.")

    def _print_runs(self) -> None:
        """This kernel's runs and the run journal's (a run that never ended is ``crashed``), newest first."""
        runs = merge_runs(self.runs, load_runs(resolve_dir(self.journal_dir)))
        if not runs:
            print("No run yet in this kernel or in its run journal.")
            return
        for run in runs:
            task = " ".join(run.task.split())
            task = task if len(task) <= 50 else task[:49] + "…"
            print(f"{run.run_id}  {status_line(run)}  {task}")
