"""What a run is given besides its task and the variables: the ``-o`` result it must leave, and the MCP servers it
can reach (``--mcp``), with the preamble of its first message that names them.

``config`` below is the magic (:class:`~codeact_magic.config.CodeActConfig`: ``mcp_servers``, ``mcp_namespace``,
``sandbox_return_modules``), ``shell`` the IPython shell, ``args`` the parsed ``%%codeact`` line and ``control``
the run's :class:`~codeact_magic.control.RunControl`.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from IPython.core.error import UsageError

from .records import Run
from .returns import OutputCheck, OutputSpecError

__all__ = ["Reach", "cell_result", "check", "configured_servers", "mcp_names", "connect_mcp", "output_check", "reach", "sandbox_value"]


@dataclasses.dataclass
class Reach:
    """What :func:`reach` set up for one run (or follow-up).

    Attributes
    ----------
    bridge : MCPBridge or None
        The MCP servers connected for the run (:class:`codeact_magic.mcp_bridge.MCPBridge`).
    preamble : str
        The sections of its first message (a follow-up's message) after the variables.
    """

    bridge: Any = None
    preamble: str = ""

    def close(self) -> None:
        """Close the MCP sessions (idempotent)."""
        if self.bridge is not None:
            self.bridge.close()


def mcp_names(args: Any) -> list[str]:
    """The ``--mcp`` names, in order, each once (server names need not be identifiers: ``my-server``)."""
    return list(dict.fromkeys(n.strip() for n in (getattr(args, "mcp", None) or "").split(",") if n.strip()))


def check(args: Any, control: Any) -> None:
    """Refuse, before anything starts, what cannot go together: ``--mcp`` with ``--isolated`` (the servers are
    connected in this kernel, and the steps would run in another).

    Raises
    ------
    UsageError
        One line saying so.
    """
    if mcp_names(args) and control.isolated:
        raise UsageError("--mcp connects the servers in this kernel, and an --isolated run's steps run in another "
                         "kernel: drop one of the two.")


def output_check(config: Any, shell: Any, args: Any, control: Any, run: Run | None = None) -> OutputCheck | None:
    """``-o NAME [--returns TYPE]``: what the run must leave behind, or ``None``. In an isolated run the value
    is read from the sandbox and copied back (``NAME`` joins the ``--return`` names).

    Raises
    ------
    UsageError
        For ``--returns`` without ``-o``, a name that is not one, or a type that does not evaluate here.
    """
    if args.returns and not args.output:
        raise UsageError(f"--returns {args.returns} needs -o NAME: the variable the run leaves its result in "
                         f"(for example -o result --returns {args.returns}).")
    if not args.output:
        return None
    lookup = None
    if control.isolated:
        if args.output not in control.return_names:
            control.return_names.append(args.output)
        modules = config.sandbox_return_modules
        lookup = lambda name: sandbox_value(control, name, modules)  # noqa: E731 - read when the model answers
    try:
        check = OutputCheck(args.output, args.returns, shell.user_ns, lookup=lookup)
    except OutputSpecError as error:
        raise UsageError(str(error)) from None
    if run is not None and run.output:  # a follow-up: the corrections sent so far stay in the conversation
        check.corrections = list(run.output.get("corrections") or [])
    return check



def reach(config: Any, shell: Any, args: Any, control: Any, run: Run, output: OutputCheck | None,
          followup: bool = False) -> Reach:
    """Connect the ``--mcp`` servers (their object goes into the namespace as ``mcp_namespace``) and write the
    run's preamble: the servers' index and the ``-o`` result variable. A new run's preamble is its first
    message's; a follow-up's goes into its own message.

    Returns
    -------
    Reach

    Raises
    ------
    UsageError
        For ``--mcp`` with ``--isolated``, an unknown server or an invalid configuration.
    """
    parts, bridge = [], None
    names = mcp_names(args)
    if names:
        check(args, control)
        bridge = connect_mcp(config, names)
        shell.user_ns[config.mcp_namespace] = bridge.namespace
        run.mcp = sorted(set(run.mcp) | set(bridge.tools))
        for failure in bridge.failures:
            print(failure)
        if bridge.tools:
            parts.append(f"<mcp_servers>\n{bridge.index()}\n</mcp_servers>")
    if output is not None:
        run.output = output.to_json()
        parts.append(output.instructions())
    preamble = "\n\n".join(parts)
    if not followup:
        run.preamble = preamble
    return Reach(bridge, preamble)



def configured_servers(config: Any) -> dict[str, dict[str, Any]]:
    """The configured MCP servers: the ``mcp_servers`` setting and ``.mcp.json`` of the working directory."""
    from .mcp_bridge import MCPError, servers_config

    try:
        return servers_config(config.mcp_servers, os.getcwd())
    except MCPError as error:
        raise UsageError(str(error)) from None



def connect_mcp(config: Any, names: list[str]) -> Any:
    """The ``--mcp`` servers, connected for one run (:class:`codeact_magic.mcp_bridge.MCPBridge`)."""
    from .mcp_bridge import MCPBridge, MCPError

    servers = configured_servers(config)
    try:
        return MCPBridge.connect(servers, names, name=config.mcp_namespace)
    except MCPError as error:
        raise UsageError(str(error)) from None



def sandbox_value(control: Any, name: str, modules: Any) -> tuple[bool, Any]:
    """``name``'s value in the isolated run's sandbox, copied here, or why not."""
    if control.sandbox is None:
        return False, "not defined (the sandbox is gone)"
    try:
        values, failed = control.sandbox.copy_out([name], modules)
    except Exception as error:  # noqa: BLE001 - SandboxError, TimeoutError: said in the one line
        return False, f"not readable from the sandbox ({error})"
    if name in values:
        return True, values[name]
    return False, failed.get(name, "not defined")


def cell_result(shell: Any, value: Any, count: int | None) -> Any:
    """``value``, returned by the magic so that IPython's display hook shows it as the ``%%codeact`` cell's own
    ``Out[count]`` (and ``_``, ``_<count>``), not under the last step's number, whose ``Out`` it would replace.

    The steps moved ``shell.execution_count`` on; it is set to the cell's count until the cell ends, when a one-shot
    ``post_run_cell`` callback puts it back where the steps left it (plus whatever IPython added meanwhile), so the
    next cell's number still follows the steps. IPython 8's display hook numbers by ``execution_count``, IPython 9's
    by ``execution_count - 1``: the offset is read from the hook (``prompt_count``), not assumed.
    """
    hook = getattr(shell, "displayhook", None)
    events = getattr(shell, "events", None)
    if count is None or hook is None or events is None or not isinstance(getattr(hook, "prompt_count", None), int):
        return value
    original = shell.execution_count
    modified = count + (original - hook.prompt_count)
    if modified == original:
        return value
    shell.execution_count = modified

    def restore(result: Any = None) -> None:
        events.unregister("post_run_cell", restore)
        shell.execution_count = original + (shell.execution_count - modified)

    events.register("post_run_cell", restore)
    return value

