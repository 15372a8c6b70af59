"""The ``%%codeact`` cell magic and the ``%codeact`` line magic."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import argument, argument_group, magic_arguments, parse_argstring
from traitlets.log import get_logger

from .agent import build_system, continue_run, run_agent, steps_word
from .asking import kernel_user, recorded_answers
from .config import CodeActConfig, RunOptions, default
from .context import summarize
from .control import RunControl
from .display import make_display
from .exceptions import CodeActError
from .execution import LiveExecutor, cell_execution_count
from .frontend import FrontendChannel
from .history import kernel_setup
from .journal import RunJournal, find_run, load_runs, merge_runs, resolve_dir
from .model import ASK_USER_TOOL, PYTHON_TOOL, ClaudeModel, ReplayModel, has_api_key
from .records import FollowUp, Run, RunStatus, new_run_id
from .redaction import Redactor
from .report import build_report, runs_table
from .replay import ReplayCheck
from .reach import Reach, cell_result, configured_servers, output_check, reach as reach_of
from .reach import check as check_reach
from .returns import OutputCheck
from .magicline import RESERVED, finish_help, help_text, line_of, split_task_line
from .snapshots import UndoStore
from .trajectory import load_run, write_notebook
from .undo import undo_in_kernel

__all__ = ["CodeActMagics"]

_EXAMPLE = "For example:\n%%codeact\nWhich product sold best in `df`, by revenue?"


def _cell_id(shell: Any) -> str | None:
    """The executing cell's id, as JupyterLab sends it in the execute_request's ``metadata.cellId``."""
    try:
        parent = shell.get_parent() if hasattr(shell, "get_parent") else shell.kernel.get_parent()
        return (parent or {}).get("metadata", {}).get("cellId")
    except Exception:  # noqa: BLE001 - no kernel, no cell id
        get_logger().debug("codeact: no cell id for this run", exc_info=True)
        return None


def _marks(namespace: dict[str, Any], hidden: Any) -> dict[str, tuple[int, Any]]:
    """What a follow-up compares to find the variables that changed: each user name's object id and size (a
    ``shape`` or ``len``), cheap for any namespace."""
    marks = {}
    for name, value in namespace.items():
        if name.startswith("_") or name in hidden:
            continue
        size = getattr(value, "shape", None)
        if size is None and isinstance(value, (list, dict, set, tuple, str, bytes)):
            size = len(value)
        marks[name] = (id(value), size if isinstance(size, (int, tuple)) else None)
    return marks


@magics_class
class CodeActMagics(Magics, CodeActConfig):
    """``%%codeact``: a CodeAct run with Claude in the user's live kernel. Settings are this class's traits."""

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        self.runs: list[Run] = []
        self.undo_store = UndoStore(lambda: self.undo_max_bytes)
        self._ended: dict[str, dict[str, tuple[int, Any]]] = {}  # run id -> the namespace's marks when it ended
        self.frontend = FrontendChannel(lambda: self.runs, setup=lambda run: kernel_setup(self.shell, run),
                                        undo=lambda run_id, force: undo_in_kernel(self, run_id, None, force, False),
                                        undoable=self.undo_store.undoable)
        if getattr(shell, "kernel", None) is not None:
            self.frontend.register()

    # -- %%codeact and %codeact -----------------------------------------------------------------------------------
    @magic_arguments()
    @argument_group("run options (%%codeact, and %codeact TASK)")
    @argument("-m", "--model", help=f"Claude model id for this run (default {default('model')}).")
    @argument("-n", "--max-steps", type=int, help=f"Most code steps in this run (default {default('max_steps')}).")
    @argument("-t", "--timeout", type=float,
              help=f"Seconds a step may run before it is interrupted (default {default('timeout'):g}; 0: no limit).")
    @argument("--max-cost", type=float,
              help=f"Stop the run once it has cost this many USD (default {default('max_cost_usd'):g}: no budget).")
    @argument("--no-insert", action="store_true", help="Do not insert this run's cells into the notebook.")
    @argument("--insert", choices=["replace", "append"],
              help="When this cell runs again: 'replace' its earlier run's cells or 'append' after them (default "
              f"{default('insert_mode')}).")
    @argument("--no-images", action="store_true",
              help="Do not send the steps' images (plots) to the model; it reads their text description only.")
    @argument_group("result (%%codeact, and %codeact TASK)")
    @argument("-o", "--output", metavar="NAME",
              help="Leave the result in the variable NAME: the run ends done only when NAME exists (and is valid, "
              "with --returns), and the cell returns its value (Out[n], _).")
    @argument("--returns", metavar="TYPE",
              help="The type NAME must have, a Python expression checked with pydantic's TypeAdapter: float, "
              "pd.DataFrame, 'dict[str, float]' (quoted when it has spaces), a dataclass or a pydantic model. Needs -o.")
    @argument_group("reach (%%codeact, and %codeact TASK)")
    @argument("--mcp", metavar="NAMES",
              help="Connect these MCP servers (the mcp_servers setting, or .mcp.json) for the run: their tools are "
              "Python callables, mcp.NAME.TOOL(**kwargs).")
    @argument_group("control (%%codeact, and %codeact TASK)")
    @argument("--approve", choices=["always", "risky", "never"],
              help="Ask before each step runs (an input box under the cell): 'always', 'risky' (only steps that "
              "touch the shell, packages, files, the network or your variables) or 'never' (default "
              f"{default('approve')}). Answers: y, n [reason], a (all the rest), q (stop).")
    @argument("--isolated", action="store_true",
              help="Run the steps in a kernel of their own (.codeact/sandbox/<run id>/, resource limits, no "
              "network), never in this one.")
    @argument("--allow-network", action="store_true", help="Let the isolated kernel keep the network.")
    @argument("--with", dest="with_names", metavar="NAMES",
              help="Copy these variables into the isolated kernel (pickled): --with df,orders.")
    @argument("--return", dest="return_names", metavar="NAMES",
              help="Copy these variables back from the isolated kernel when the run ends: --return summary,model.")
    @argument("--gateway", metavar="URL",
              help="Run the isolated kernel on a Jupyter Kernel Gateway or Enterprise Gateway (default: "
              "$JUPYTER_GATEWAY_URL); implies --isolated.")
    @argument_group("follow-up (%%codeact)")
    @argument("-c", "--continue", dest="followup", nargs="?", const="last", default=None, metavar="RUN_ID",
              help="Go on with the last run of this kernel (or RUN_ID): the same conversation, the cell's body as "
              "the next message, with the variables that changed since.")
    @argument_group("replay (%%codeact)")
    @argument("--replay", metavar="RUN.ipynb",
              help="Re-run a recorded run (a notebook from %%codeact export) without a model: the code runs for real.")
    @argument("--replay-if-no-key", metavar="RUN.ipynb",
              help="Replay RUN.ipynb when ANTHROPIC_API_KEY is not set; use Claude when it is (offline demos).")
    @argument_group("export (%codeact export PATH) and undo (%codeact undo)")
    @argument("--run", metavar="ID", help="The run to export (default: the last); the run to undo, with every later "
              "run.")
    @argument("--force", action="store_true", help="Overwrite PATH if it exists; undo even what you changed since.")
    @argument("--step", type=int, metavar="N", help="Undo the last run from its step N on (back to just before it).")
    @argument_group("report (%codeact report)")
    @argument("--all", dest="all_runs", action="store_true",
              help="Report over the run journal of this directory too, not only this kernel's runs.")
    @argument("command", nargs="*", help=argparse.SUPPRESS)
    @line_cell_magic
    def codeact(self, line: str = "", cell: str | None = None) -> Any:
        """Solve a task with Claude by writing and running Python in this kernel.

        Each code step runs in your namespace (its variables stay yours) and its outputs are fed back to the model
        until it answers, the step limit is hit or you stop it (interrupt the kernel). The run is recorded; its steps
        become cells below the %%codeact cell (with the JupyterLab extension), and %codeact export PATH writes it as a
        notebook that re-executes top to bottom. The API key comes from ANTHROPIC_API_KEY.

        examples:
          %%codeact --max-steps 10
          Total revenue, best-selling product and average order value of `orders`.

          %%codeact -c
          Now chart the revenue by month.

          %codeact What is the median of `prices`?
          %codeact export analysis.ipynb
          %codeact runs
          %codeact undo            (your variables and files as they were before the last run)
        """
        if cell is None:
            return self._line(line)
        args = parse_argstring(self.codeact, line)  # raises UsageError, shown as one line
        return self._run(args, cell)

    def _options(self, args: Any) -> RunOptions:
        for name in ("max_steps", "timeout", "max_cost"):
            value = getattr(args, name)
            if value is not None and (value < 0 or (name == "max_steps" and value < 1)):
                raise UsageError(f"--{name.replace('_', '-')} must be {'at least 1' if name == 'max_steps' else 'positive'}, not {value}.")
        insert = "none" if args.no_insert else (args.insert or self.insert_mode)
        return RunOptions.from_config(self, model=args.model, max_steps=args.max_steps, timeout=args.timeout,
                                      max_cost_usd=args.max_cost, insert_mode=insert,
                                      send_images=False if args.no_images else None)

    def _run(self, args: Any, cell: str, line_form: bool = False) -> None:
        if args.step is not None:
            raise UsageError("--step is an option of `%codeact undo`, not of a run.")
        if args.command and not line_form:
            words = " ".join(args.command)
            raise UsageError(f"The task goes in the cell body, not on the %%codeact line: put %%codeact (and its "
                             f"options) alone on the first line and the task below it, e.g. %%codeact ⏎ {words}")
        options = self._options(args)
        task = cell.strip()
        if args.followup is not None:
            return self._follow_up(args, task, options)
        why = "Replaying"
        if args.replay_if_no_key and not args.replay:
            if not has_api_key(self.auth_token or None, self.provider):
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
            model = self._model(options.model, options)
            model_name = options.model
        control = RunControl.from_args(self, self.shell, args)
        control.check()  # before the model is asked or anything runs
        check_reach(args, control)
        context = "" if control.isolated else summarize(
            self.shell.user_ns, hidden=getattr(self.shell, "user_ns_hidden", {}), max_chars=self.context_max_chars,
            time_budget_s=self.context_time_budget).text
        run = Run(run_id=new_run_id(), task=task, model=model_name, context=context,
                  system=build_system(self.instructions), max_steps=options.max_steps, cell_id=_cell_id(self.shell),
                  insert_mode=options.insert_mode, replayed_from=args.replay,
                  execution_count=cell_execution_count(self.shell))
        output = output_check(self, self.shell, args, control)
        redactor = self._redactor()  # one for the run: the sandbox's outputs, the live steps, the journal
        sandboxed = control.start(run, redactor)  # the sandbox's variables, when isolated
        if sandboxed is not None:
            run.context = sandboxed
        run.context = redactor.text(run.context)  # a getpass reply kept under an ordinary name, for one
        reach = reach_of(self, self.shell, args, control, run, output)
        self.runs.append(run)
        recorded_steps = recorded.steps if args.replay else None
        user = recorded_answers(recorded.questions) if args.replay else kernel_user(self.shell)
        return self._drive(run, model, options, replay=(args.replay, recorded_steps) if args.replay else None,
                           control=control, redactor=redactor, user=user, output=output, reach=reach)

    def _model(self, name: str, options: RunOptions) -> ClaudeModel:
        tools = [PYTHON_TOOL, ASK_USER_TOOL] if options.max_questions > 0 else [PYTHON_TOOL]
        try:
            return ClaudeModel(model=name, max_tokens=options.max_tokens,
                               max_retries=self.max_retries, timeout=self.request_timeout,
                               read_timeout=self.read_timeout, base_url=self.base_url or None,
                               auth_token=self.auth_token or None, provider=self.provider, tools=tools)
        except CodeActError as error:
            raise UsageError(str(error)) from None

    def _follow_up(self, args: Any, task: str, options: RunOptions) -> None:
        """``%%codeact --continue [RUN_ID]``: the run goes on, the body as its next message."""
        if args.replay or args.replay_if_no_key:
            raise UsageError("--continue goes on with Claude, so it cannot replay: drop --replay, or replay the "
                             "recording in a cell of its own.")
        run = self._find_run(None if args.followup == "last" else args.followup)
        if run.status == RunStatus.RUNNING:
            raise UsageError(f"Run {run.run_id} is still running: wait for it to end (or stop it), then continue it.")
        if not task:
            raise UsageError(f"The follow-up is empty: write what to do next below `%%codeact -c`, for example: "
                             f"Now chart it by month. (It goes on with run {run.run_id}.)")
        name = args.model or (options.model if run.replayed_from else run.model)
        model = self._model(name, options)
        control = RunControl.from_args(self, self.shell, args, run)
        control.check()
        check_reach(args, control)
        redactor = self._redactor()
        context = self._changed(run) if not control.isolated else None
        if control.isolated:  # a sandbox again, in the same directory, with the run's earlier state
            context = control.start(run, redactor, resume=True)
        context = redactor.text(context) if context else context
        output = output_check(self, self.shell, args, control, run)
        reach = reach_of(self, self.shell, args, control, run, output, followup=True)
        if reach.preamble:  # the follow-up's message names what it can reach and the result it must leave
            context = "\n\n".join(p for p in (context, reach.preamble) if p)
        options = continue_run(run, FollowUp(task=task, context=context or "", cell_id=_cell_id(self.shell),
                                             execution_count=cell_execution_count(self.shell)),
                               dataclasses.replace(options, model=name))
        run.insert_mode = options.insert_mode
        if not any(r is run for r in self.runs):  # a run of the journal goes on in this kernel
            self.runs.append(run)
        print(f"Continuing run {run.run_id} ({steps_word(run.followups[-1].step)} so far) with {name}.")
        return self._drive(run, model, options, control=control, redactor=redactor, user=kernel_user(self.shell),
                           output=output, reach=reach)

    def _changed(self, run: Run) -> str:
        """The summary of the variables that changed since ``run`` last ended (all of them when this kernel did not
        see it end), and the names that are gone."""
        ns = self.shell.user_ns
        hidden = getattr(self.shell, "user_ns_hidden", {})
        before = self._ended.get(run.run_id)
        now = _marks(ns, hidden)
        if before is None:
            names, gone, head = list(now), [], "(this kernel did not see the run end: all variables)\n"
        else:
            names = [n for n, mark in now.items() if before.get(n) != mark]
            gone, head = [n for n in before if n not in now], ""
        summary = summarize({n: ns[n] for n in names}, hidden=hidden, max_chars=self.context_max_chars,
                            time_budget_s=self.context_time_budget)
        text = head + summary.text if names else ""
        if gone:
            text += ("\n" if text else "") + "No longer defined: " + ", ".join(gone[:50]) + (" …" if len(gone) > 50 else "")
        return text

    def _drive(self, run: Run, model: Any, options: RunOptions, replay: tuple[str, list] | None = None,
               control: RunControl | None = None, redactor: Redactor | None = None, user: Any = None,
               output: OutputCheck | None = None, reach: Reach | None = None) -> Any:
        """Run (or go on with) ``run`` to its end with its observers; the cell fails when the run failed.
        ``control`` (started) gives the executor's layers: approval, the files scan, the sandbox; ``redactor`` is
        the one its sandbox was given (a new one by default); ``user`` answers ``ask_user``; ``output`` is the
        ``-o`` check; ``reach`` holds the MCP servers connected for the run (closed when it ends).

        Returns
        -------
        object or None
            With ``-o NAME``, the value of ``NAME`` when the run ended ``done`` (the cell's ``Out[n]``).
        """
        use_widgets = self.widgets and self.frontend.widget_frontends > 0
        # a frontend inserts the run's cells: the cell keeps only the status, the answer and a link to them
        compact = self.frontend.compact(run)
        journal_dir = resolve_dir(self.journal_dir)  # relative to the working directory now, at the run's start
        redactor = redactor or self._redactor()
        journal = [RunJournal(journal_dir, redact=redactor.data)] if journal_dir else []
        self.frontend.redact = redactor.data
        observers = [*journal, make_display(self.display, self.shell, use_widgets, compact), self.frontend]
        live = LiveExecutor(self.shell, redactor=redactor)
        control = control or RunControl(self, self.shell)
        executor: Any = control.executor(live, run)
        if replay is not None:  # replay runs what the cells show, and stops where a step no longer does what it did
            model = executor = ReplayCheck(executor, model, replay[1], replay[0])
        try:  # the control first: --return copies back before the journal and the frontend record the end
            run_agent(run, model, executor, options, [control, *observers], prices=self.prices, user=user,
                      output=output)
        finally:
            control.close()
            live.finish()
            if reach is not None:
                reach.close()
            self._ended[run.run_id] = _marks(self.shell.user_ns, getattr(self.shell, "user_ns_hidden", {}))
            self.undo_store.finished(run, self.shell.user_ns)
        if control.returned:
            print(control.returned)
        if RunStatus(run.status).raises:  # the cell fails, so nbclient and papermill see it; shown once, here
            raise CodeActError(run.end_reason or "The run failed.")
        if output is not None and run.status == RunStatus.DONE and output.status == "valid":
            self.shell.user_ns[output.name] = output.value  # the validated value (an isolated run's came back)
            self.undo_store.finished(run, self.shell.user_ns)  # the state the run left has the value
            count = run.followups[-1].execution_count if run.followups else run.execution_count
            return cell_result(self.shell, output.value, count)
        return None

    # -- %codeact -------------------------------------------------------------------------------------------------
    def _line(self, line: str) -> None:
        options, rest = split_task_line(self.codeact.parser, line)
        verb = rest.split(None, 1)[0] if rest else ""
        if rest and verb not in RESERVED:  # `%codeact <task words>`: a one-line task
            return self._run(parse_argstring(self.codeact, options), rest, line_form=True)
        args = parse_argstring(self.codeact, line)
        words = args.command
        run_options = line_of(args)
        if not words:
            if run_options or args.followup is not None:
                raise UsageError(f"`%codeact {line.strip()}` has no task: write it after the options "
                                 f"(%codeact {run_options or '-c'} What next?), or use a %%codeact cell.")
            print(help_text())
            return
        verb = words[0]
        if args.step is not None and verb != "undo":
            raise UsageError("--step is an option of `%codeact undo`.")
        if run_options and verb != "help":
            raise UsageError(f"{run_options.split()[0]} is an option of a task, not of `%codeact {verb}`.")
        if verb == "help":
            print(help_text())
        elif verb == "runs":
            if len(words) > 1:
                raise UsageError("`%codeact runs` takes no argument.")
            self._print_runs()
        elif verb == "mcp":
            if len(words) > 1:
                raise UsageError("`%codeact mcp` takes no argument: it lists the configured MCP servers and their "
                                 "tools.")
            from .mcp_bridge import list_servers

            print(list_servers(configured_servers(self)))
        elif verb == "undo":
            if len(words) > 1:
                raise UsageError("Usage: %codeact undo [--run ID] [--step N] [--force]")
            report = undo_in_kernel(self, args.run, args.step, args.force)
            if report.refused:
                raise UsageError(report.text)
            print(report.text)
        elif verb == "report":
            if len(words) > 1:
                raise UsageError("Usage: %codeact report [--all]. `report` is a reserved word of %codeact, not a "
                                 "task: to give Claude a task that starts with it, use a %%codeact cell.")
            return self._report(args.all_runs)
        elif verb == "export":
            if len(words) != 2:
                raise UsageError("Usage: %codeact export PATH  (for example: %codeact export analysis.ipynb)")
            run = self._find_run(args.run)
            redactor = self._redactor()
            setup = kernel_setup(self.shell, run)  # the user's earlier cells the run read from
            path = write_notebook(run, words[1], overwrite=args.force, redact=redactor.data, setup=setup)
            journaled = "" if any(r is run for r in self.runs) else " from the run journal"
            print(f"Exported run {run.run_id}{journaled} ({len(run.steps)} steps, {run.status}) to {path}")
            if setup.notes:
                print("It does not run on its own yet: its first cell names what could not be recovered.")

    def _report(self, all_runs: bool) -> Any:
        """``%codeact report [--all]``: print the figures over this kernel's runs (with ``--all``, the run journal's
        too); return them as a DataFrame, one row per run, when pandas is installed."""
        runs = merge_runs(self.runs, load_runs(resolve_dir(self.journal_dir))) if all_runs else list(self.runs)
        report = build_report(runs)
        where = "this kernel and the run journal" if all_runs else "this kernel (--all: the run journal too)"
        print(f"Runs of {where}\n\n{report.text()}")
        try:
            return report.to_dataframe() if runs else None
        except ImportError:
            return None

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
        """This kernel's runs and the run journal's (a run that never ended is ``crashed``), newest first, as an
        aligned table with a line of totals."""
        runs = merge_runs(self.runs, load_runs(resolve_dir(self.journal_dir)))
        if not runs:
            print("No run yet in this kernel or in its run journal.")
            return
        print(runs_table(runs))


finish_help(CodeActMagics.codeact)
