"""The IPython side of the ``--approve risky`` check (:mod:`codeact_magic.risks`): shell escapes, line and cell
magics, and the package managers' commands, as IPython's ``TransformerManager`` turns them into calls
(``get_ipython().system(...)``, ``run_line_magic``, ``run_cell_magic``; :func:`codeact_magic.cellnames.magic_call`).

:class:`MagicScan` is the part of the check's AST visitor that reads those calls; what it flags is listed, with the
rest of the check, in :mod:`codeact_magic.risks`.
"""

from __future__ import annotations

import ast
import os
from typing import Any

from .cellnames import _literal, parse_cell

__all__ = ["MagicScan", "package_change", "short", "words"]

_PACKAGE_TOOLS = frozenset({"pip", "pip3", "conda", "mamba", "micromamba", "uv"})
_PACKAGE_VERBS = frozenset({"install", "uninstall", "remove", "update", "upgrade"})
_HIDDEN_IPYTHON = frozenset({"run_cell", "run_cell_async", "run_code", "ex", "ev", "push", "safe_execfile"})
_PACKAGE_MAGICS = frozenset({"pip", "conda", "mamba", "micromamba"})
_PYTHON_MAGICS = frozenset({"time", "timeit", "prun", "capture", "debug"})  # their body is Python: read as the step
_LINE_MAGICS = {"rm": ("file_delete", "deletes a file: {}"), "rmdir": ("file_delete", "deletes a directory: {}"),
                "mv": ("file_delete", "moves a file: {}"), "cp": ("file_write", "writes a file: {}"),
                **dict.fromkeys(("sx", "system", "sc", "cat", "ls", "ll", "lf", "lk", "ldir", "lx", "mkdir"),
                                ("shell", None)),  # IPython's shell magics and aliases
                **dict.fromkeys(("run", "load", "loadpy"), ("unreadable", "`{}` runs code the check cannot read")),
                "reset_selective": ("delete_name", "deletes your variables matching: {}")}  # -> (kind, detail)
_CELL_MAGICS = {**dict.fromkeys(("bash", "sh", "script", "system", "sx"), ("shell", "`%%{name}` cell magic")),
                "writefile": ("file_write", "writes a file: %%{name} {line}"),
                **dict.fromkeys(("perl", "ruby", "python", "python2", "python3", "pypy"),
                                ("unreadable", "`%%{name}` runs code of another language")),
                **dict.fromkeys(("javascript", "js"), ("unreadable", "`%%{name}` runs JavaScript in the browser")),
                **dict.fromkeys(("latex", "markdown", "svg", "html", "HTML"), None)}  # text: nothing runs

def short(text: str, limit: int = 60) -> str:
    """``text``'s first line, cut to ``limit`` characters; ``…`` marks a cut."""
    lines = text.strip().splitlines() or [""]
    return lines[0] if len(lines[0]) <= limit and len(lines) == 1 else lines[0][:limit - 1].rstrip() + "…"


def words(values: list[ast.AST]) -> list[str]:
    """The words of the string literals among ``values``, and inside list or tuple literals among them."""
    items = [i for v in values for i in (v.elts if isinstance(v, (ast.List, ast.Tuple)) else [v])]
    return [w for i in items if _literal(i) is not None for w in _literal(i).split()]


def package_change(words: list[str], tool_given: bool = False) -> str | None:
    """``"installs packages"`` or ``"changes packages"`` when ``words`` is a package manager's command."""
    verbs = [w for w in words if w in _PACKAGE_VERBS]
    if not verbs or not (tool_given or {os.path.basename(w) for w in words} & _PACKAGE_TOOLS):
        return None
    return "installs packages" if verbs[0] == "install" else "changes packages"



class MagicScan:
    """The magic-reading methods of the check's visitor (``risks._Scan``), which provides ``add``, ``namespace``,
    ``cwd``, ``users``, ``found``, ``base`` and ``aliases``."""

    add: Any
    users: set[str]

    def magic(self, node: ast.Call, method: str, args: list[str | None]) -> None:
        """``get_ipython().system(...)``, ``run_line_magic``, ``run_cell_magic`` and their kin."""
        name, line = (args + [None, None])[:2]
        if method in ("system", "getoutput"):
            self.command(node, f"!{name or '…'}", words(node.args[:1]))
        elif method in _HIDDEN_IPYTHON:
            self.add(node, "unreadable", f"`get_ipython().{method}` runs what the check cannot read")
        elif method in ("run_line_magic", "run_cell_magic") and name is None:
            self.add(node, "unreadable", "a magic named only at run time")
        elif method == "run_line_magic":
            self.line_magic(node, name, line or "")
        elif method == "run_cell_magic":
            self.cell_magic(node, name, line or "", (args[2] if len(args) > 2 else None) or "")

    def command(self, node: ast.AST, shown: str, words: list[str], tool_given: bool = False) -> None:
        change = package_change(words, tool_given)
        self.add(node, "install" if change else "shell",
                 f"{change}: {short(shown)}" if change else f"shell escape `{short(shown)}`")

    def line_magic(self, node: ast.Call, name: str, line: str) -> None:
        shown, words = short(f"%{name} {line}".strip()), line.split()
        targets = [w for w in words if not w.startswith("-")]
        if name in _PACKAGE_MAGICS:
            if package_change(targets[:1], tool_given=True):
                self.command(node, shown, targets[:1], tool_given=True)
        elif _LINE_MAGICS.get(name, ("",))[0] == "shell":
            self.command(node, shown, words)
        elif name in _LINE_MAGICS:
            self.add(node, _LINE_MAGICS[name][0], _LINE_MAGICS[name][1].format(shown))
        elif name == "reset" and not (targets and set(targets) <= {"in", "out", "dhist"}):
            self.add(node, "delete_name", f"deletes all your variables: {shown}")
        elif name == "xdel":
            for word in (w for w in targets if w in self.users):
                self.add(node, "delete_name", f"deletes your variable `{word}`")
        elif name in _PYTHON_MAGICS:
            self.body(node, line)

    def cell_magic(self, node: ast.Call, name: str, line: str, body: str) -> None:
        kind, template = _CELL_MAGICS.get(name, ("unreadable", "`%%{name}` cell magic the check cannot read")) or (
            None, None)
        if kind == "shell" and package_change(body.split()):
            self.add(node, "install", f"{package_change(body.split())}: `%%{name}` {short(body, 40)}")
        elif name in _PYTHON_MAGICS:
            self.body(node, body)
        elif name in ("html", "HTML") and "<script" in body.lower():
            self.add(node, "unreadable", f"`%%{name}` with a <script> runs JavaScript in the browser")
        elif kind:
            self.add(node, kind, short(template.format(name=name, line=line)))

    def body(self, node: ast.Call, source: str) -> None:
        """A magic's Python body (``%time``, ``%%capture``...), scanned as the step is."""
        try:
            tree = parse_cell(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return
        type(self)(tree, self.namespace, self.cwd, self.users, self.found,
                   (*self.base, node.lineno, node.col_offset), self.aliases)
