"""The ``%codeact`` line: its forms, the help ``%%codeact?`` shows, and splitting a one-line task from its options."""

from __future__ import annotations

import argparse
import inspect
import re
import textwrap
from typing import Any

from .config import CodeActConfig

__all__ = ["RESERVED", "USAGE", "finish_help", "help_text", "line_of", "split_task_line"]

#: The forms of the magics: the usage line of ``%%codeact?`` and the help ``%codeact`` prints.
USAGE = """\
%%codeact [options]                 the cell's body is the task
%%codeact -c [RUN_ID] [options]     a follow-up: the body goes on with the last run (or RUN_ID)
%codeact [options] TASK WORDS       a one-line task
%codeact export PATH [--run ID] [--force]
%codeact runs                       the runs of this kernel and of the run journal
%codeact report [--all]             figures over this kernel's runs (--all: and the run journal's)
%codeact mcp                        the configured MCP servers and their tools
%codeact undo [--run ID] [--step N] [--force]
                                    put back the variables and files as they were before the last run
%codeact help                       this help"""

#: Words of the line form that are commands, never the start of a task.
RESERVED = ("export", "runs", "report", "mcp", "undo", "help")


def line_of(args: Any) -> str:
    """The run options of parsed ``args`` written back as a %%codeact line (``--replay X --max-steps 3``)."""
    parts = []
    for name in ("model", "max_steps", "timeout", "max_cost", "replay", "replay_if_no_key", "insert", "approve",
                 "with_names", "return_names", "gateway", "output", "returns", "mcp"):
        value = getattr(args, name, None)
        if value is not None:
            option = {"with_names": "with", "return_names": "return"}.get(name, name)
            parts.append(f"--{option.replace('_', '-')} {value}")
    for name in ("no_insert", "isolated", "allow_network", "no_images"):
        if getattr(args, name, False):
            parts.append(f"--{name.replace('_', '-')}")
    return " ".join(parts)


def _settings() -> str:
    """The ``%config`` traits, one line each with its default: the epilog of ``%%codeact?``."""
    lines = ["settings (%config CodeActMagics.<name> = value, or c.CodeActMagics.<name> in ipython_config.py):"]
    for name, trait in sorted(CodeActConfig.class_traits(config=True).items()):
        value = trait.default()
        shown = repr(value) if isinstance(value, str) else f"{value:g}" if isinstance(value, float) else str(value)
        lines.append(f"  {name} = {shown}")
        lines.extend(textwrap.wrap(trait.help, width=100, initial_indent="      ", subsequent_indent="      "))
    return "\n".join(lines)


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Plain argparse help (no reStructuredText ``::`` block or ``<…>`` around metavars, which IPython's
    ``MagicHelpFormatter`` adds for Sphinx), 100 columns wide, the description dedented as a docstring is."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=100, max_help_position=34)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return super()._fill_text(inspect.cleandoc(text), width, indent)

    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, "usage:\n" if prefix is None else prefix)


def finish_help(magic: Any) -> None:
    """Give the magic's parser the forms as its usage and the settings as its epilog, and make its docstring (what
    ``%%codeact?`` shows) read as plain text."""
    parser = magic.parser
    parser.prog = "%%codeact"
    parser.usage = USAGE.replace("%", "%%")  # argparse formats the usage with %
    parser.epilog = _settings()
    parser.formatter_class = _HelpFormatter
    magic.__doc__ = parser.format_help()


def help_text() -> str:
    """What ``%codeact`` and ``%codeact help`` print."""
    return (USAGE + "\n\nAll the options and settings: %%codeact?   Settings now: %config CodeActMagics")


def _run_id(word: str) -> bool:
    """Whether ``word`` reads as a run id (``r-3f9c2a1b``): after ``-c`` on the line form, it names the run."""
    return re.fullmatch(r"r-[0-9a-f]{4,}", word) is not None


def split_task_line(parser: argparse.ArgumentParser, line: str) -> tuple[str, str]:
    """Split a ``%codeact`` line into its leading options and the task after them, kept as typed (quotes,
    apostrophes and all: only the options are parsed).

    Returns
    -------
    tuple of str
        ``(options, task)``; ``task`` is ``""`` when the line holds only options.
    """
    takes_value = {s: a.nargs for a in parser._actions for s in a.option_strings}  # argparse's own table
    pos = 0
    while True:
        match = re.compile(r"\s*(\S+)").match(line, pos)
        if match is None:
            return line.strip(), ""
        word = match.group(1)
        name = word.split("=", 1)[0]
        if not word.startswith("-") or name not in takes_value:
            return line[:match.start(1)].strip(), line[match.start(1):].strip()
        pos = match.end()
        nargs = takes_value[name]
        if "=" in word or nargs == 0:
            continue
        value = re.compile(r"\s*(\S+)").match(line, pos)
        if value is not None and (nargs != "?" or _run_id(value.group(1))):
            pos = value.end()


