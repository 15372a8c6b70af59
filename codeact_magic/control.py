"""What a run's options ask of its steps: who approves them, where they run, and which files they touched.

:class:`RunControl` turns ``--approve``, ``--isolated`` (``--allow-network``, ``--with``, ``--return``,
``--gateway``) and the files scan into layers of the executor, each with the face ``execute(code, timeout) ->
ExecutionResult``, so the agent loop does not change:

``ApprovingExecutor`` (asks, :mod:`codeact_magic.approval`) → ``FilesWatch`` (scans, :mod:`codeact_magic.files`) →
``LiveExecutor`` (the user's kernel) or ``SandboxExecutor`` (a kernel of the run's own, :mod:`codeact_magic.sandbox`).

Everything that can refuse a run does so in :meth:`RunControl.check`, before the model is asked or anything runs:
approval without stdin, no network namespace, ``--with`` names that cannot be pickled.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path
from typing import Any

from IPython.core.error import UsageError

from .approval import ApprovingExecutor, no_stdin_message, stdin_available
from .confine import network_isolation
from .files import diff, scan
from .agent import RunObserver
from .records import Run
from .risks import Risk
from .snapshots import Kept, UndoStore

__all__ = ["FilesWatch", "ISOLATED_NOTE", "RunControl", "UndoWatch", "names_option"]

#: Appended to the system prompt of an isolated run.
ISOLATED_NOTE = """\

This run is isolated: each `python` call runs in a sandbox kernel of its own, not in the user's kernel. Its working
directory is a fresh folder; {network}; memory, CPU time and file sizes are limited. Only the variables listed below
the task are there (copies of the user's). {returns}"""


def names_option(text: str | None, option: str) -> list[str]:
    """``"df, orders"`` as ``["df", "orders"]``.

    Raises
    ------
    UsageError
        When a name is not a Python identifier.
    """
    names = [n.strip() for n in (text or "").split(",") if n.strip()]
    bad = [n for n in names if not n.isidentifier()]
    if bad:
        raise UsageError(f"{option} takes variable names separated by commas (--with df,orders), not {bad[0]!r}.")
    return list(dict.fromkeys(names))


class FilesWatch:
    """An executor layer that records the files a step created, modified or deleted under ``root``.

    The after-scan of a step is the before-scan of the next, so each step costs one bounded scan
    (``max_files`` files, ``budget_s`` seconds). A step with changes gets ``files`` (``FilesTouched`` JSON) and a
    note line for the model (``files: + results.csv 12 KB``).
    """

    def __init__(self, inner: Any, root: str | os.PathLike, max_files: int, budget_s: float) -> None:
        self.inner, self.root, self.max_files, self.budget_s = inner, str(root), max_files, budget_s
        self._before = scan(self.root, max_files, budget_s)

    def execute(self, code: str, timeout: float = 0.0) -> Any:
        result = self.inner.execute(code, timeout)
        after = scan(self.root, self.max_files, self.budget_s)
        touched = diff(self._before, after)
        self._before = after
        if touched.changes or not touched.complete:
            result.files = touched.to_json()
            line = touched.line()
            if line:
                result.notes.append(line)
        return result


class UndoWatch:
    """An executor layer that keeps what undoing each step needs before it runs (:meth:`UndoStore.take`).

    Parameters
    ----------
    inner : executor
        Has ``execute(code, timeout) -> ExecutionResult``.
    store : UndoStore
    run : Run
        The run whose steps it sees: a step's number is ``len(run.steps) + 1`` when it runs.
    shell : InteractiveShell
        Its ``user_ns`` is read; nothing is written.
    cwd : str or os.PathLike
        The working directory.
    """

    def __init__(self, inner: Any, store: UndoStore, run: Any, shell: Any, cwd: str | os.PathLike) -> None:
        self.inner, self.store, self.run, self.shell, self.cwd = inner, store, run, shell, os.fspath(cwd)
        self._prepared: Kept | None = None

    def _take(self, code: str) -> Kept:
        self._drop()
        return self.store.take(self.run.run_id, len(self.run.steps) + 1, code, self.shell.user_ns, self.cwd,
                               getattr(self.shell, "user_ns_hidden", None))

    def _drop(self) -> None:
        """Release a snapshot taken for a step that did not run (declined under ``--approve``)."""
        if self._prepared is not None:
            self.store.release(self.run.run_id, "", steps=[self._prepared.step])
            self._prepared = None

    def prepare(self, code: str) -> list[Risk]:
        """Take the snapshot of the next step now (before ``--approve`` asks about it); what cannot be undone, as
        risks of kind ``no_undo``."""
        kept = self._take(code)
        self._prepared = kept
        return [Risk("no_undo", f"cannot be undone: {c['what']} ({c['reason']})") for c in kept.cannot]

    def execute(self, code: str, timeout: float = 0.0) -> Any:
        kept = self._prepared
        if kept is None or kept.code != code or kept.step != len(self.run.steps) + 1:
            kept = self._take(code)
        self._prepared = None
        if kept.cannot:  # the user is told too, before the step runs (the cell's output, not the step's)
            print(f"codeact: step {kept.step} cannot be fully undone: "
                  + "; ".join(f"{c['what']} ({c['reason']})" for c in kept.cannot), file=sys.stderr)
        result = self.inner.execute(code, timeout)
        self.store.finish_step(kept, self.shell.user_ns, getattr(self.shell, "user_ns_hidden", None))
        result.undo = kept.record(self.cwd)
        result.notes.extend(kept.notes())
        return result

    def close(self) -> None:
        """The run ended: release a snapshot of a step that never ran."""
        self._drop()


@dataclasses.dataclass
class RunControl(RunObserver):
    """The options of one run that shape its executor (see the module docstring).

    Attributes
    ----------
    config : CodeActMagics
        The session's settings (traits ``approve``, ``sandbox_*``, ``files_*``, ``gateway_url``...).
    shell : InteractiveShell
        The user's shell.
    approve : str
        ``always``, ``risky`` or ``never``.
    isolated : bool
        Run the steps in a sandbox kernel (``--gateway`` implies it).
    allow_network : bool
        Let the sandbox keep the network.
    with_names, return_names : list of str
        Variables copied into the sandbox, and back at the end.
    gateway_url : str
        Where the sandbox kernel runs; ``""`` for this machine.
    """

    config: Any
    shell: Any
    approve: str = "never"
    isolated: bool = False
    allow_network: bool = False
    with_names: list[str] = dataclasses.field(default_factory=list)
    return_names: list[str] = dataclasses.field(default_factory=list)
    gateway_url: str = ""
    sandbox: Any = None
    _pickles: dict[str, bytes] = dataclasses.field(default_factory=dict)
    _user_names: frozenset[str] = frozenset()
    returned: str | None = None
    undo: Any = None

    @classmethod
    def from_args(cls, config: Any, shell: Any, args: Any, run: Run | None = None) -> "RunControl":
        """The control of a run from the ``%%codeact`` line's ``args`` and the settings ``config``; a follow-up's
        ``run`` keeps its isolation (the same kind of sandbox, its ``--with`` and ``--return`` names).

        Raises
        ------
        UsageError
            For a follow-up that asks for ``--isolated`` of a run that ran in the user's kernel, or a bad name list.
        """
        isolation = run.isolation if run is not None else None
        isolated = bool(args.isolated or args.gateway or isolation or (run is None and config.isolated))
        if run is not None and isolated and isolation is None:
            raise UsageError(f"Run {run.run_id} ran in this kernel, and a follow-up goes on where its run ran: drop "
                             "--isolated/--gateway, or start a new isolated run.")
        if isolation is not None:  # a follow-up's sandbox is made as the run's was
            gateway, network = isolation.get("gateway_url") or "", bool(isolation.get("network"))
        else:
            gateway = args.gateway or config.gateway_url or os.environ.get("JUPYTER_GATEWAY_URL", "")
            gateway = gateway if isolated else ""
            network = False
        with_names = names_option(args.with_names, "--with") or list((isolation or {}).get("with") or [])
        return_names = names_option(args.return_names, "--return") or list((isolation or {}).get("returns") or [])
        allow_network = bool(args.allow_network or (isolated and config.allow_network) or network)
        return cls(config, shell, approve=args.approve or config.approve, isolated=isolated,
                   allow_network=allow_network, with_names=with_names, return_names=return_names, gateway_url=gateway)

    def check(self) -> None:
        """Refuse, in one line and before anything runs, what this run cannot do here.

        Raises
        ------
        UsageError
            Approval without a stdin; ``--with``/``--return`` without ``--isolated``; no network namespace for an
            isolated kernel without ``--allow-network``; ``--with`` names that are not defined or cannot be pickled.
        """
        from .transfer import pickle_values

        if self.approve != "never" and not stdin_available(self.shell):
            raise UsageError(no_stdin_message(self.approve))
        if not self.isolated:
            if self.with_names or self.return_names or self.allow_network:
                option = "--with" if self.with_names else "--return" if self.return_names else "--allow-network"
                raise UsageError(f"{option} is an option of an isolated run: add --isolated (without it the steps "
                                 "run in this kernel and already see your variables).")
            self._user_names = self._names()
            return
        if not self.gateway_url and not self.allow_network:
            refused = network_isolation()
            if refused is not None:
                raise UsageError(f"--isolated runs the sandbox without network in a Linux network namespace, and "
                                 f"this machine refuses one ({refused}): add --allow-network to run it with network, "
                                 "or --gateway URL to run it on a kernel gateway.")
        self._pickles, failed = pickle_values(self.shell.user_ns, self.with_names)
        if failed:
            listed = "; ".join(f"{name}: {why}" for name, why in failed.items())
            raise UsageError(f"--with cannot copy into the sandbox: {listed}.")
        self._user_names = frozenset(self.with_names)

    def _names(self) -> frozenset[str]:
        hidden = getattr(self.shell, "user_ns_hidden", {})
        return frozenset(n for n in self.shell.user_ns if not n.startswith("_") and n not in hidden)

    def workdir(self, run: Run) -> Path:
        """``.codeact/sandbox/<run id>/`` under the working directory: the local sandbox's, kept after the run."""
        return Path.cwd() / ".codeact" / "sandbox" / run.run_id

    def start(self, run: Run, redactor: Any, resume: bool = False) -> str | None:
        """Start the sandbox of an isolated run (a no-op otherwise); returns its variable summary, or ``None``.

        With ``resume`` (a follow-up), the run's earlier successful steps are run again in the new sandbox first,
        quietly, so it holds the state the run left.

        Raises
        ------
        UsageError
            When the sandbox kernel does not start, or a ``--with`` variable does not load there.
        """
        run.approve = self.approve
        if not self.isolated:
            return None
        from .kernels import Limits, LocalKernel
        from .sandbox import SandboxError, SandboxExecutor

        config = self.config
        limits = Limits(cpu_s=config.sandbox_cpu_s, memory_bytes=config.sandbox_memory_bytes,
                        file_bytes=config.sandbox_file_bytes, processes=config.sandbox_processes,
                        network=self.allow_network)
        if self.gateway_url:
            try:
                from .gateway import GatewayKernel

                kernel: Any = GatewayKernel(self.gateway_url)
            except ImportError as missing:
                raise UsageError(str(missing)) from None
            workdir = None
        else:
            workdir = self.workdir(run)
            kernel = LocalKernel(workdir, limits)
        self.sandbox = SandboxExecutor(kernel, self.shell, redactor, config.sandbox_health_timeout,
                                       config.sandbox_interrupt_grace)
        try:  # a Stop while the sandbox starts leaves no kernel behind
            unloaded = self.sandbox.start(self._pickles)
            if unloaded:
                listed = "; ".join(f"{name}: {why}" for name, why in unloaded.items())
                raise UsageError(f"--with could not load into the sandbox: {listed}.")
            if resume:
                kept = [s for s in run.steps if s.status == "ok"]
                failed = [kept[i - 1].index for i in self.sandbox.restore([s.code for s in kept])]
                if failed:
                    print(f"The sandbox was made anew; re-running the run's earlier steps failed at step(s) "
                          f"{', '.join(map(str, failed))}, so its state may differ.")
        except SandboxError as error:
            self.close()
            raise UsageError(str(error)) from None
        except BaseException:
            self.close()
            raise
        run.isolation = {"kernel": "gateway" if self.gateway_url else "local", "description": kernel.description,
                         "workdir": None if workdir is None else str(workdir), "gateway_url": self.gateway_url or None,
                         "network": self.allow_network,
                         "with": list(self.with_names), "returns": list(self.return_names)}
        network = "it has no network" if not self.allow_network and not self.gateway_url else "it may have network"
        returns = (f"When the run ends, {', '.join(self.return_names)} will be copied back to the user: leave the "
                   "results there." if self.return_names else "Nothing is copied back to the user, so report the "
                   "results in your answer.")
        if not resume:
            run.system += ISOLATED_NOTE.format(network=network, returns=returns)
        return self.sandbox.summary(config.context_max_chars, config.context_time_budget)

    def executor(self, live: Any, run: Run) -> Any:
        """The executor of ``run``: the layers over the sandbox (isolated) or over ``live``."""
        config = self.config
        executor = self.sandbox if self.sandbox is not None else live
        workdir = getattr(self.sandbox.kernel, "cwd", None) if self.sandbox is not None else Path.cwd()
        if config.files_max and workdir is not None:
            executor = FilesWatch(executor, workdir, config.files_max, config.files_budget)
        store = getattr(config, "undo_store", None)
        if store is not None and self.sandbox is None:
            executor = self.undo = UndoWatch(executor, store, run, self.shell, Path.cwd())
        if self.approve != "never":
            namespace = (lambda: {}) if self.isolated else (lambda: self.shell.user_ns)
            executor = ApprovingExecutor(executor, self.approve, user_names=self._user_names, namespace=namespace,
                                         cwd=str(workdir) if workdir is not None else None,
                                         first_step=len(run.steps) + 1,
                                         more_risks=self.undo.prepare if self.undo is not None else None)
        return executor

    def run_finished(self, run: Run) -> None:
        """A :class:`~codeact_magic.agent.RunObserver` event (this control goes first among the observers): the
        ``--return`` names come back before the journal and the frontend record the run's end."""
        self.returned = self.finish(run)
        if self.undo is not None:
            self.undo.close()

    def finish(self, run: Run) -> str | None:
        """Copy the ``--return`` names back into the user's namespace; the line to print about it, or ``None``."""
        if self.sandbox is None or not self.return_names:
            return None
        from .sandbox import SandboxError

        try:
            values, failed = self.sandbox.copy_out(self.return_names, self.config.sandbox_return_modules)
        except (SandboxError, TimeoutError) as error:
            values, failed = {}, {name: str(error) for name in self.return_names}
        store = getattr(self.config, "undo_store", None)
        if store is not None and values:  # undo puts back what they held before
            store.keep_end(run.run_id, list(values), self.shell.user_ns, Path.cwd())
        self.shell.user_ns.update(values)
        if run.isolation is not None:
            run.isolation["returned"] = sorted(values)
            run.isolation["not_returned"] = failed
        parts = [f"Copied {', '.join(values)} back from the sandbox."] if values else []
        if failed:
            parts.append("Not copied: " + "; ".join(f"{name} ({why})" for name, why in failed.items()) + ".")
        return " ".join(parts)

    def close(self) -> None:
        """Shut the sandbox kernel down (its working directory stays)."""
        if self.sandbox is not None:
            self.sandbox.close()
            self.sandbox = None
