"""The ``codeact`` console script: run a notebook headless and watch its ``%%codeact`` runs in the terminal.

``codeact run NOTEBOOK.ipynb`` executes the notebook with nbclient in a fresh kernel, as ``jupyter execute`` does, but
as a codeact frontend: before the first ``%%codeact`` cell it opens a comm to the kernel's ``codeact`` target, as the
JupyterLab extension does (``labextension/src/channel.ts``), so the magic knows a frontend is there. It prints each run
as it goes (the model's reasoning as it streams, each step's code and outputs, the status line, the answer) and
inserts each run's cells below its ``%%codeact`` cell by the extension's rules (:mod:`codeact_magic.insertion`), into
the notebook it writes (``NOTEBOOK.out.ipynb`` unless ``-o``; the input is never written unless ``-o`` names it).

What it does as a frontend, as JupyterLab does:

- every execute request carries the cell's id (``metadata.cellId``), so a run knows its ``%%codeact`` cell;
- execution counts are the kernel's (a run's steps take counts of their own), not nbclient's own numbering;
- cells an earlier run inserted below a ``%%codeact`` cell of this notebook, and that the user did not edit, are not
  executed: that cell's run makes them anew (with ``replace``, they are replaced; with ``append``, kept as they were).

Without ``ANTHROPIC_API_KEY``, each ``%%codeact`` cell decides for itself, as in JupyterLab: a cell with
``--replay-if-no-key RUN.ipynb`` (the quickstart's) replays its recording, one without fails with the magic's one line.
The command's own ``--replay-if-no-key RUN.ipynb`` is that option for the ``--task`` cell, whose recording it is; it
changes no cell of the notebook.

Exit status: 0 when every cell ran and every run ended ``done``; 1 when a cell failed (a failed or diverged run
fails its cell), a run ended otherwise (step limit, budget, stopped) or the kernel died or timed out; 2 for bad
input (no such notebook, not a notebook, bad options); 130 when interrupted (the first Ctrl-C interrupts the kernel,
so a run stops as ``stopped`` and keeps its steps; the notebook is still written).

The kernel process's own log (its stderr: ipykernel's warnings, and its tracebacks when it shuts down) is kept in a
temporary file, not mixed into the command's output; its last :data:`KERNEL_LOG_LINES` lines are printed only when the
kernel would not start or died. A cell's own output, stderr included, reaches the terminal through the kernel's
messages as before.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shlex
import signal
import sys
import tempfile
import time
import uuid
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from . import __version__, protocol
from .insertion import CellList, InsertionPlanner, apply_message, edited, newest_execution_count
from .terminal import ANSI, TerminalView

if TYPE_CHECKING:  # nbformat takes a second to import: not for `codeact --help`
    import nbformat

__all__ = ["main"]

EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130
#: Seconds a cell interrupted at ``--timeout`` has to answer before the command gives up on the kernel.
GRACE_S = 30.0
#: Lines of the kernel process's own log printed when the kernel would not start or died.
KERNEL_LOG_LINES = 20
_LOAD_EXT = re.compile(r"^\s*%(re)?load_ext\s.*\bcodeact_magic\b", re.MULTILINE)


class _Usage(Exception):
    """Bad input: one line, exit status 2."""


# -- the frontend ------------------------------------------------------------------------------------------------------
def _is_codeact(cell: dict[str, Any]) -> bool:
    return cell.get("cell_type") == "code" and cell.get("source", "").lstrip().startswith("%%codeact")


def _frontend_class() -> type:
    """:class:`HeadlessFrontend`, built on first use so that ``codeact --help`` does not import nbclient."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError
    from nbclient.util import ensure_async

    class HeadlessFrontend(NotebookClient):
        """nbclient's ``NotebookClient`` as a codeact frontend (see the module docstring).

        ``cells`` is the notebook as the extension would leave it: the executed cells (the same objects) with each
        run's cells inserted as their ``cell`` messages come; ``runs`` is each run's last summary, by id.
        """

        def __init__(self, nb: nbformat.NotebookNode, view: TerminalView, **kw: Any) -> None:
            super().__init__(nb, **kw)
            self.view = view
            self.cells = CellList(list(nb.cells))
            self.planner = InsertionPlanner()
            self.runs: dict[str, dict[str, Any]] = {}
            self.inserted = 0
            self.current = 0  # the index of the cell executing (or last executed)
            self.interrupted = False
            self.timed_out: float | None = None  # when the executing cell ran past --timeout (monotonic seconds)
            self._comm_id: str | None = None
            self._touched: set[str] = set()  # the runs this execution started or continued
            self._in_codeact = self._run_seen = self._warned = self._handler = False
            anchors = {c.get("id") for c in nb.cells if _is_codeact(c)}
            metas = [self.cells.codeact(i) or {} for i in range(len(self.cells))]
            self._regenerated = {id(c) for i, (c, meta) in enumerate(zip(nb.cells, metas)) if "key" in meta
                                 and meta.get("source_cell_id") in anchors and not edited(self.cells, i)}

        async def async_execute_cell(self, cell: Any, cell_index: int, execution_count: int | None = None,
                                     store_history: bool = True) -> Any:
            if not self._handler:
                self._handler = True
                try:  # after nbclient's own, which shuts the kernel down at once
                    asyncio.get_running_loop().add_signal_handler(signal.SIGINT, self._on_sigint)
                except (RuntimeError, NotImplementedError, ValueError):
                    pass
            if self.interrupted or self.timed_out is not None or id(cell) in self._regenerated:
                return cell
            self.current = cell_index
            self._in_codeact, self._run_seen = _is_codeact(cell), False
            if self._in_codeact:
                await self._connect()
            session, metadata = self.kc.session, self.kc.session.metadata
            session.metadata = {**metadata, "cellId": cell["id"]} if cell.get("id") else metadata  # as JupyterLab
            self._touched = set()
            try:  # the kernel's execution count, not nbclient's own numbering
                return await super().async_execute_cell(cell, cell_index, None, store_history)
            finally:
                session.metadata = metadata
                # the cell reads [n] above its steps [n+1]..., not the last step's count (as the extension's counts.ts)
                count = newest_execution_count([self.runs[r] for r in self._touched], cell.get("id"))
                if count is not None:
                    cell["execution_count"] = count

        async def _connect(self) -> None:
            """Open this frontend's comm to the kernel's ``codeact`` target, once the magic has registered it."""
            if self._comm_id is not None:
                return
            msg_id = await ensure_async(self.kc.comm_info(target_name=protocol.COMM_TARGET))
            reply = await self.async_wait_for_reply(msg_id)
            comms = ((reply or {}).get("content") or {}).get("comms") or {}
            if any(c.get("target_name") == protocol.COMM_TARGET for c in comms.values()):
                self._comm_id = uuid.uuid4().hex
                content = {"comm_id": self._comm_id, "target_name": protocol.COMM_TARGET,
                           "data": protocol.message("sync", widgets=False)}  # a terminal renders none
                self.kc.shell_channel.send(self.kc.session.msg("comm_open", content))

        async def _async_handle_timeout(self, timeout: int, cell: Any = None) -> None:
            """A cell past ``--timeout`` is interrupted once, as Ctrl-C does (a run stops and keeps its steps); its
            reply is then awaited :data:`GRACE_S` more before giving up on the kernel."""
            now = time.monotonic()
            if self.timed_out is None:
                self.timed_out = now
                self.view.note(f"cell {self.current + 1} ran past --timeout ({timeout} s): interrupting it")
                await ensure_async(self.km.interrupt_kernel())
            elif now - self.timed_out > GRACE_S:
                raise CellTimeoutError.error_from_timeout_and_cell("Cell execution timed out", timeout, cell)
            await asyncio.sleep(0.5)
            return None

        def _on_sigint(self) -> None:
            if self.interrupted:  # the second Ctrl-C: stop at once, as nbclient does
                self._async_cleanup_kernel_future = asyncio.ensure_future(self._async_cleanup_kernel())
                return
            self.interrupted = True
            self.view.note("interrupted: the kernel stops the cell (a run keeps its steps); Ctrl-C again to quit")
            asyncio.ensure_future(ensure_async(self.km.interrupt_kernel()))

        def output(self, outs: list, msg: dict, display_id: str | None, cell_index: int) -> Any:
            if self._in_codeact and not self._run_seen and msg["msg_type"] == "stream":
                self.view.note(msg["content"].get("text", ""))  # what the magic says before the run (replaying...)
            return super().output(outs, msg, display_id, cell_index)

        def handle_comm_msg(self, outs: list, msg: dict, cell_index: int) -> None:
            content = msg.get("content") or {}
            data = content.get("data")
            if isinstance(data, dict) and data.get("protocol") == protocol.PROTOCOL:
                try:
                    self._receive(msg, data)
                except (KeyError, TypeError, ValueError, AttributeError):  # a malformed message: dropped
                    self.log.debug("codeact: dropped a malformed message", exc_info=True)
                return
            super().handle_comm_msg(outs, msg, cell_index)

        def _receive(self, msg: dict, data: dict[str, Any]) -> None:
            if data.get("version") != protocol.PROTOCOL_VERSION:
                if not self._warned:
                    self._warned = True
                    self.view.note(f"the kernel speaks codeact protocol v{data.get('version')}, this command "
                                   f"v{protocol.PROTOCOL_VERSION}: install the same codeact-magic in both.")
                return
            kind = data.get("type")
            if kind == "run":
                run = data["run"]
                self._touched.add(run["run_id"])
                self.runs[run["run_id"]] = run
                self._run_seen = True
            elif kind in ("cell", "outputs"):
                started_here = (msg.get("parent_header") or {}).get("session") == self.kc.session.session
                plan = apply_message(self.planner, self.cells, data, started_here)
                self.inserted += plan is not None and plan.kind == "insert"
            self.view.message(data)

    return HeadlessFrontend


# -- the command -------------------------------------------------------------------------------------------------------
def load_notebook(path: Path) -> nbformat.NotebookNode:
    """Read ``path`` as an nbformat v4.5 notebook (cells without an id get one, as JupyterLab gives them).

    Raises
    ------
    _Usage
        One line, when the file is missing, unreadable, not JSON or not a valid notebook.
    """
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _Usage(f"No such notebook: {path}") from None
    except IsADirectoryError:
        raise _Usage(f"{path} is a directory, not a notebook.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise _Usage(f"Cannot read {path}: {getattr(error, 'strerror', None) or error}.") from None
    except json.JSONDecodeError as error:
        raise _Usage(f"{path} is not a notebook: bad JSON at line {error.lineno}, column {error.colno}.") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("cells", raw.get("worksheets")), list):
        raise _Usage(f"{path} is not a notebook: its JSON has no list of cells.")
    import nbformat

    try:
        with warnings.catch_warnings():  # nbformat warns of what it repairs (missing cell ids); we add them below
            warnings.simplefilter("ignore")
            if raw.get("nbformat") == 4:  # checked before nbformat reads it, which would log the errors at length
                nbformat.validate(raw)
            nb = nbformat.reads(json.dumps(raw), as_version=4)
            nbformat.validate(nb)
    except nbformat.ValidationError as error:
        where = "/".join(str(p) for p in getattr(error, "absolute_path", ()) or ())
        raise _Usage(f"{path} is not a valid notebook: {error.message}{f' (at {where})' if where else ''}.") from None
    except Exception as error:  # noqa: BLE001 - nbformat's conversions raise what they raise; one line
        raise _Usage(f"{path} is not a notebook nbformat can read ({type(error).__name__}: {error}).") from None
    if nb.nbformat_minor < 5:
        from nbformat.corpus.words import generate_corpus_id

        nb.nbformat_minor = 5
        for cell in nb.cells:
            cell.setdefault("id", generate_corpus_id())
    return nb


def add_task(nb: nbformat.NotebookNode, task: str, replay: str | None) -> None:
    """Append a ``%%codeact`` cell with ``task`` (``--replay-if-no-key replay`` on its line when given), after a
    ``%load_ext codeact_magic`` cell when no cell of the notebook loads the extension."""
    import nbformat

    if not task.strip():
        raise _Usage("--task is empty: give the task to solve, e.g. --task 'Plot revenue by month'.")
    if not any(c.cell_type == "code" and _LOAD_EXT.search(c.source) for c in nb.cells):
        nb.cells.append(nbformat.v4.new_code_cell("%load_ext codeact_magic"))
    line = "%%codeact" + (f" --replay-if-no-key {shlex.quote(replay)}" if replay else "")
    nb.cells.append(nbformat.v4.new_code_cell(f"{line}\n{task.strip()}"))


def write_output(nb: nbformat.NotebookNode, path: Path) -> None:
    """Validate ``nb`` and write it to ``path``, through a temporary file renamed over it (no partial file)."""
    from .trajectory import save_notebook

    try:
        save_notebook(nb, path)
    except OSError as error:
        raise _Usage(f"Cannot write {path}: {error.strerror or error}.") from None


def _paths(args: argparse.Namespace) -> tuple[Path, Path, str | None]:
    """The notebook, where to write and the task's recording (relative to the notebook's directory)."""
    source = Path(args.notebook).expanduser()
    out = Path(args.output).expanduser() if args.output else source.with_name(source.stem + ".out.ipynb")
    if out.is_dir():
        raise _Usage(f"{out} is a directory: give a file name for -o, e.g. {out / 'result.ipynb'}.")
    if not out.parent.is_dir():
        raise _Usage(f"Cannot write {out}: the directory {out.parent} does not exist.")
    replay = None
    if args.replay_if_no_key:
        if args.task is None:
            raise _Usage("--replay-if-no-key goes with --task: it is the recording of that task. The notebook's own "
                         "%%codeact cells say theirs on their first line.")
        recording = Path(args.replay_if_no_key).expanduser()
        if not recording.is_file():
            raise _Usage(f"No such recording: {recording}")
        try:
            replay = os.path.relpath(recording.resolve(), source.resolve().parent)
        except ValueError:  # another drive
            replay = str(recording.resolve())
    return source, out, replay


def _outcome(client: Any, error: BaseException | None) -> tuple[str | None, int]:
    """What executing the notebook came to: the command's error line (``None`` when all went well) and exit status."""
    if client.timed_out is not None:
        return f"cell {client.current + 1} timed out after {client.timeout} s", EXIT_FAILED
    if client.interrupted or isinstance(error, KeyboardInterrupt) or getattr(error, "ename", "") == "KeyboardInterrupt":
        return "interrupted", EXIT_INTERRUPTED
    if hasattr(error, "ename"):  # nbclient's CellExecutionError: the cell's own error, in one line
        evalue = (ANSI.sub("", str(error.evalue)).strip().splitlines() or [""])[0]
        return f"cell {client.current + 1} failed: {error.ename}: {evalue}".rstrip(": "), EXIT_FAILED
    if error is not None:  # the kernel would not start or died, or nbclient gave up
        return f"{type(error).__name__}: {(str(error).strip().splitlines() or [''])[0]}".rstrip(": "), EXIT_FAILED
    ended = [r for r in client.runs.values() if r.get("status") != "done"]
    if ended:
        return f"run {ended[0]['run_id']} ended {ended[0].get('status')}: {ended[0].get('end_reason')}", EXIT_FAILED
    return None, 0


def _run(args: argparse.Namespace, out: TextIO) -> int:
    import nbformat
    from jupyter_client.kernelspec import NoSuchKernel

    source, target, replay = _paths(args)
    nb = load_notebook(source)
    if args.task is not None:
        add_task(nb, args.task, replay)
    view = TerminalView(out, colour=out.isatty() and not os.environ.get("NO_COLOR"))
    kernel = args.kernel or nb.metadata.get("kernelspec", {}).get("name") or "default"
    view.note(f"running {source} in a new {kernel} kernel; the notebook with its runs goes to {target}")
    timeout = None if args.timeout is None else max(1, int(-(-args.timeout // 1)))  # nbclient counts whole seconds
    client = _frontend_class()(nb, view, timeout=timeout, kernel_name=args.kernel or "",
                               resources={"metadata": {"path": str(source.resolve().parent)}})
    error: BaseException | None = None
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace", prefix="codeact-kernel-") as kernel_log:
        try:
            client.execute(stderr=kernel_log)
        except NoSuchKernel as missing:
            raise _Usage(f"No such kernel: {missing.name}; `jupyter kernelspec list` lists them.") from None
        except (Exception, KeyboardInterrupt) as caught:  # noqa: BLE001 - told in one line by _outcome
            error = caught
        failure, status = _outcome(client, error)
        if error is not None and not hasattr(error, "ename") and not client.interrupted:  # the kernel itself failed
            kernel_log.seek(0)
            tail = kernel_log.read().splitlines()[-KERNEL_LOG_LINES:]
            if tail:
                print("codeact: the kernel's log ends:", *("  " + line for line in tail), sep="\n", file=sys.stderr)
    try:
        write_output(nbformat.from_dict({**client.nb, "cells": client.cells.cells}), target)
    except _Usage as unwritten:
        print(f"codeact: {failure or unwritten}", file=sys.stderr)
        return status or EXIT_FAILED
    runs, inserted = len(client.runs), client.inserted
    view.note(f"wrote {target}: {runs} run{'' if runs == 1 else 's'}, {inserted} cell{'' if inserted == 1 else 's'} "
              "inserted")
    if failure is not None:
        print(f"codeact: {failure}", file=sys.stderr)
    return status


def build_parser() -> argparse.ArgumentParser:
    """The ``codeact`` argument parser, with its ``run`` subcommand."""
    parser = argparse.ArgumentParser(
        prog="codeact", description="codeact-magic from the shell: run notebooks with %%codeact cells headless.")
    parser.add_argument("--version", action="version", version=f"codeact-magic {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = commands.add_parser(
        "run", help="execute a notebook, showing its %%%%codeact runs in the terminal",
        description="Execute NOTEBOOK in a new kernel (as `jupyter execute` does), print each %%codeact run as it "
        "goes (reasoning, each step's code and outputs, status, answer) and write the notebook with each run's cells "
        "inserted below its %%codeact cell, as the JupyterLab extension inserts them. Cells that use "
        "`--replay-if-no-key RUN.ipynb` replay their recording when ANTHROPIC_API_KEY is not set.",
        epilog="Exit status: 0 all went well; 1 a cell failed or a run did not end done; 2 bad input; "
        "130 interrupted (Ctrl-C interrupts the kernel: the run stops and keeps its steps, the notebook is written).")
    run.add_argument("notebook", metavar="NOTEBOOK.ipynb", help="the notebook to execute (it is not changed)")
    run.add_argument("-o", "--output", metavar="OUT.ipynb",
                     help="where to write the executed notebook (default: NOTEBOOK.out.ipynb, replaced if it exists; "
                     "give NOTEBOOK.ipynb itself to update it in place)")
    run.add_argument("--task", metavar="TEXT",
                     help="append a %%%%codeact cell with this task (after a `%%load_ext codeact_magic` cell if the "
                     "notebook has none) and run it last")
    run.add_argument("--replay-if-no-key", metavar="RUN.ipynb",
                     help="with --task: replay this recorded run (a notebook from `%%codeact export`) when "
                     "ANTHROPIC_API_KEY is not set, instead of failing")
    run.add_argument("--timeout", type=float, metavar="S",
                     help="seconds each cell may run, a whole %%%%codeact run included (default: no limit)")
    run.add_argument("--kernel", metavar="NAME", help="kernel to use (default: the notebook's kernelspec)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``codeact`` console script.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status (see the module docstring).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    if args.timeout is not None and args.timeout <= 0:
        parser.error("--timeout must be a positive number of seconds")
    try:
        return _run(args, sys.stdout)
    except _Usage as error:
        print(f"codeact: error: {error}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
