"""The user's own earlier cells that a run read from: the setup an export needs to run on its own.

:func:`find_setup` finds them by dependency analysis over the cells' ASTs (IPython syntax first turned into Python by
``TransformerManager.transform_cell``):

1. The names the run reads: those its steps load before any step binds them, less builtins and the kernel's own
   (``In``, ``_``, ``get_ipython``...). Names a function uses count (it may be called), and so do ``{expr}`` and
   ``$name`` in shell commands and magic lines (IPython expands them).
2. Walking the history backwards from the run, a cell is needed when it binds a needed name at its top level
   (assignments, imports, ``def``, ``class``, ``for``/``with``/``except`` targets, ``from m import *`` of a loaded
   module) or changes one in place (``df["x"] = ...``, ``df.x = ...``, ``lst.append(...)``, ``...(inplace=True)``).
   A binding satisfies the name (the latest one before the run wins); a change keeps it needed further back. What a
   needed cell reads is needed in turn. The cells keep their order.
3. Literal file reads in the needed cells (``pd.read_csv("x.csv")``, ``open("x")``, ``np.load``,
   ``Path("x").read_text()``, ``%run x.py``) whose file is absent from the working directory are notes.

Never setup: ``%%codeact`` cells and any cell with ``%codeact`` or ``%load_ext codeact_magic`` (an export does not
start runs); text and shell cell magics (``%%html``, ``%%bash``...); shell escapes and other line magics alone in a
cell (``!pip install``, ``%timeit``, ``%cd``, ``%env``: the reader's environment and working directory are theirs,
and ``%cd`` is relative to where the kernel started). ``%%time``, ``%%prun`` and ``%%capture`` cells and ``%time``
lines are the Python they run. Cells of configuration magics only (``%matplotlib``, ``%config``, ``%load_ext``,
``%autoreload``, ``%precision``) are kept when a kept cell follows them: that cell ran under them.

A cell whose bindings cannot be read (``%run``, ``exec(...)``, ``globals()[...] = ...``, ``%store -r``, ``%pylab``,
a star import of a module not loaded, a cell magic of a language) is kept when a needed name is bound by no
earlier cell, with a note that it may define it. A name no cell binds and an absent file are notes; a cell that does
not parse is skipped, and a step that does not parse is a note.

:func:`kernel_setup` reads a live shell's ``history_manager.input_hist_raw``. That list is not indexed by execution
count once a run has happened (its steps take counts of their own, and one count after them stores no input), so the
run's own ``%%codeact`` entry is found by its task and its steps' code, and each earlier entry's ``In[n]`` is read
from the ``_i<n>`` variables IPython keeps.
"""

from __future__ import annotations

import ast
import builtins
import dataclasses
import os
import sys
from collections.abc import Container, Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["SetupCell", "Setup", "find_setup", "kernel_setup", "KERNEL_NAMES"]

#: Names a fresh IPython kernel provides without any cell: never a dependency.
KERNEL_NAMES = frozenset(dir(builtins)) | {
    "get_ipython", "display", "In", "Out", "exit", "quit", "_", "__", "___", "_i", "_ii", "_iii", "_ih", "_oh",
    "_dh", "__builtin__", "__builtins__", "__name__", "__doc__", "__spec__", "__loader__", "__package__"}

_MUTATORS = frozenset({"append", "extend", "insert", "remove", "pop", "clear", "sort", "reverse", "update",
                       "setdefault", "popitem", "add", "discard", "difference_update", "intersection_update",
                       "symmetric_difference_update", "__setitem__", "__delitem__"})
_READERS = frozenset({"open", "read_csv", "read_table", "read_excel", "read_json", "read_parquet", "read_feather",
                      "read_pickle", "read_hdf", "read_stata", "read_sas", "read_spss", "read_orc", "read_xml",
                      "read_fwf", "read_html", "load", "loadtxt", "genfromtxt", "fromfile", "imread", "read_file",
                      "open_dataset", "load_workbook"})
_PATH_KEYWORDS = frozenset({"filepath_or_buffer", "path", "path_or_buf", "io", "file", "fname", "filename",
                            "filepath", "filename_or_obj"})
_PATH_METHODS = frozenset({"read_text", "read_bytes", "open"})
_PYTHON_MAGICS = frozenset({"time", "prun", "capture"})  # their body runs in the user's namespace
_CONFIG_MAGICS = frozenset({"matplotlib", "config", "load_ext", "reload_ext", "autoreload", "aimport", "precision"})
_TEXT_MAGICS = frozenset({"html", "HTML", "javascript", "js", "latex", "markdown", "svg", "writefile"})
_SHELL_MAGICS = frozenset({"bash", "sh", "script", "system", "sx", "perl", "ruby"})  # --out/--err VAR bind VAR
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.ListComp, ast.SetComp,
           ast.DictComp, ast.GeneratorExp)


@dataclasses.dataclass(frozen=True)
class SetupCell:
    """One history cell an export starts with.

    Attributes
    ----------
    execution_count : int or None
        Its ``In[n]`` in the kernel it came from.
    source : str
        Its source as the user wrote it (IPython syntax kept).
    names : tuple of str
        The needed names it binds or changes, sorted (empty for a configuration magic).
    """

    execution_count: int | None
    source: str
    names: tuple[str, ...] = ()


@dataclasses.dataclass
class Setup:
    """What an export needs before the run's own cells: the cells, in history order, and what is missing.

    Attributes
    ----------
    cells : list of SetupCell
    notes : list of str
        One line (Markdown) per dependency that could not be recovered, naming it.
    """

    cells: list[SetupCell] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class _Cell:
    """What one cell binds, reads and changes at its top level, as far as its AST tells."""

    binds: set[str] = dataclasses.field(default_factory=set)
    reads: set[str] = dataclasses.field(default_factory=set)
    mutates: set[str] = dataclasses.field(default_factory=set)
    files: list[str] = dataclasses.field(default_factory=list)
    opaque: bool = False  # it may bind names its AST does not show
    kind: str = "python"  # "codeact", "foreign" (not Python), "config" (configuration magics only), "magic"


@lru_cache(maxsize=1)
def _transformer() -> Any:
    from IPython.core.inputtransformer2 import TransformerManager
    return TransformerManager()


def _parse(source: str) -> ast.Module:
    """``source`` (IPython syntax) as a Python AST; raises ``SyntaxError`` (or ``ValueError``, ``RecursionError``)."""
    return ast.parse(_transformer().transform_cell(source))


def _literal(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _root(node: ast.AST) -> str | None:
    """The name an attribute or subscript chain starts from: ``df`` for ``df.loc["a", "x"]``; ``None`` for a call."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _is_namespace(node: ast.AST) -> bool:
    """``globals()``, ``vars()``, ``locals()`` or ``get_ipython().user_ns``: writing into it binds unseen names."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id in ("globals", "vars", "locals")
    return isinstance(node, ast.Attribute) and node.attr == "user_ns"


def _magic(node: ast.Call) -> tuple[str, list[str | None]] | None:
    """``("run_line_magic", [name, args])`` for ``get_ipython().run_line_magic(...)`` and its kin, else ``None``."""
    f = node.func
    if (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Call) and isinstance(f.value.func, ast.Name)
            and f.value.func.id == "get_ipython"):
        return f.attr, [_literal(a) for a in node.args]
    return None


def _read_path(node: ast.Call) -> str | None:
    """The literal path a call reads (``open("x")``, ``pd.read_csv("x")``, ``Path("x").read_text()``), or ``None``."""
    f = node.func
    name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
    mode = next((_literal(k.value) for k in node.keywords if k.arg == "mode"), None)
    path = None
    if (isinstance(f, ast.Attribute) and f.attr in _PATH_METHODS and isinstance(f.value, ast.Call)
            and f.value.args and getattr(f.value.func, "id", getattr(f.value.func, "attr", None)) == "Path"):
        path = _literal(f.value.args[0])
        mode = mode or (_literal(node.args[0]) if node.args else None)
    elif name in _READERS:
        path = _literal(node.args[0]) if node.args else next(
            (_literal(k.value) for k in node.keywords if k.arg in _PATH_KEYWORDS), None)
        if name == "open" and len(node.args) > 1:
            mode = _literal(node.args[1])
    if not path or (mode and set(mode) & set("wax")) or "://" in path or set(path) & set("*?["):
        return None
    return path


def _free(scope: ast.AST) -> tuple[set[str], set[str]]:
    """Names a function, lambda, class body or comprehension reads from outside it, and the ``global`` names it
    assigns."""
    local: set[str] = set()
    loads: set[str] = set()
    declared: set[str] = set()
    assigned_globals: set[str] = set()
    if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        a = scope.args
        local |= {x.arg for x in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg] if x is not None}
        stack: list[ast.AST] = [scope.body] if isinstance(scope, ast.Lambda) else list(scope.body)
    elif isinstance(scope, ast.ClassDef):
        stack = list(scope.body)
    else:
        stack = [n for n in ast.iter_child_nodes(scope)]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            (loads if isinstance(node.ctx, ast.Load) else local).add(node.id)
        elif isinstance(node, ast.Global):
            declared |= set(node.names)
            assigned_globals |= set(node.names)
        elif isinstance(node, ast.Nonlocal):
            declared |= set(node.names)
        elif isinstance(node, _SCOPES):
            if not isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                local.add(node.name)
            stack.extend(_outer_parts(node))
            inner, inner_globals = _free(node)
            loads |= inner
            assigned_globals |= inner_globals
        else:
            if isinstance(node, ast.alias) and node.name != "*":
                local.add(node.asname or node.name.split(".")[0])
            for field in ("name", "rest"):  # except ... as name; match captures
                value = getattr(node, field, None)
                if isinstance(value, str) and not isinstance(node, ast.alias):
                    local.add(value)
            stack.extend(ast.iter_child_nodes(node))
    return loads - (local - declared), assigned_globals & local


def _outer_parts(node: ast.AST) -> list[ast.AST]:
    """The parts of a scope evaluated where it is defined: decorators, defaults, annotations, bases."""
    parts: list[ast.AST] = list(getattr(node, "decorator_list", []))
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        a = node.args
        parts += [*a.defaults, *(d for d in a.kw_defaults if d is not None)]
        if not isinstance(node, ast.Lambda):
            parts += [x.annotation for x in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]
                      if x is not None and x.annotation is not None]
            parts += [node.returns] if node.returns is not None else []
    elif isinstance(node, ast.ClassDef):
        parts += [*node.bases, *(k.value for k in node.keywords)]
    return parts


class _Names(ast.NodeVisitor):
    """Walks a cell's top level in execution order, filling a :class:`_Cell`."""

    def __init__(self) -> None:
        self.cell = _Cell()
        self.deferred: set[str] = set()  # read by functions and classes: resolved against the whole cell

    def analyse(self, tree: ast.Module) -> _Cell:
        kinds = [self._statement(s) for s in tree.body]
        cell = self.cell
        cell.reads |= self.deferred - cell.binds
        if cell.kind == "python" and not cell.opaque and kinds and all(k is not None for k in kinds):
            cell.kind = "config" if all(k in _CONFIG_MAGICS for k in kinds) else "magic"
        return cell

    def _statement(self, node: ast.stmt) -> str | None:
        """Visit one top-level statement; the magic's name when the statement is only a line magic or ``!``."""
        self.visit(node)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            magic = _magic(node.value)
            if magic and magic[0] == "run_line_magic" and magic[1] and magic[1][0] not in (None, *_PYTHON_MAGICS):
                return magic[1][0]
            if magic and magic[0] == "system":
                return "!"
        return None

    # -- bindings and reads ------------------------------------------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            if node.id not in self.cell.binds:
                self.cell.reads.add(node.id)
        elif isinstance(node.ctx, ast.Store):
            self.cell.binds.add(node.id)

    def _target(self, node: ast.AST) -> None:
        if isinstance(node, (ast.Tuple, ast.List)):
            for element in node.elts:
                self._target(element)
        elif isinstance(node, ast.Starred):
            self._target(node.value)
        else:
            if isinstance(node, (ast.Attribute, ast.Subscript)):
                root = _root(node)
                if root:
                    self.cell.mutates.add(root)
                if isinstance(node, ast.Subscript) and _is_namespace(node.value):
                    self.cell.opaque = True
            self.visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self._target(target)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        if isinstance(node.target, ast.Name):
            self.visit_Name(ast.Name(node.target.id, ast.Load()))
        self._target(node.target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.visit(node.annotation)
        if node.value is not None:
            self.visit(node.value)
            self._target(node.target)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self._target(node.target)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        self._target(node.target)
        for statement in [*node.body, *node.orelse]:
            self.visit(statement)

    visit_AsyncFor = visit_For

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            if isinstance(target, (ast.Attribute, ast.Subscript)):
                self._target(target)

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name != "*":
                self.cell.binds.add(alias.asname or alias.name.split(".")[0])
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module in sys.modules:
                module = sys.modules[node.module]  # the cell ran: its module is loaded, and it says what it gave
                names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
                self.cell.binds |= {n for n in names if isinstance(n, str)}
            else:
                self.cell.opaque = True

    visit_ImportFrom = visit_Import

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self.visit(node.type)
        if node.name:
            self.cell.binds.add(node.name)
        for statement in node.body:
            self.visit(statement)

    def _capture(self, node: ast.AST) -> None:  # match patterns: MatchAs, MatchStar, MatchMapping
        for field in ("name", "rest"):
            if isinstance(getattr(node, field, None), str):
                self.cell.binds.add(getattr(node, field))
        self.generic_visit(node)

    visit_MatchAs = visit_MatchStar = visit_MatchMapping = _capture

    def _scope(self, node: ast.AST) -> None:
        for part in _outer_parts(node):
            self.visit(part)
        free, assigned_globals = _free(node)
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            self.cell.reads |= free - self.cell.binds  # runs now
        else:
            self.deferred |= free  # runs when called
        self.cell.binds |= assigned_globals
        if not isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            self.cell.binds.add(node.name)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = visit_ClassDef = _scope
    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _scope

    # -- calls: in-place changes, unreadable bindings, file reads, magics ---------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        f = node.func
        if isinstance(f, ast.Attribute):
            root = _root(f.value)
            inplace = any(k.arg == "inplace" and isinstance(k.value, ast.Constant) and k.value.value is True
                          for k in node.keywords)
            if root and (f.attr in _MUTATORS or inplace):
                self.cell.mutates.add(root)
            if _is_namespace(f.value) and f.attr in ("update", "setdefault", "__setitem__"):
                self.cell.opaque = True
        elif isinstance(f, ast.Name) and f.id == "exec":
            self.cell.opaque = True
        path = _read_path(node)
        if path:
            self.cell.files.append(path)
        magic = _magic(node)
        if magic:
            self._magic(*magic)
        self.generic_visit(node)

    def _expanded(self, text: str | None) -> None:
        """The names a shell command or a magic's line reads through IPython's ``{expr}`` and ``$name``."""
        from IPython.utils.text import DollarFormatter
        try:
            fields = [f for _, f, _, _ in DollarFormatter().parse(text or "") if f]
        except ValueError:
            return
        for field in fields:
            try:
                expression = ast.parse(field, mode="eval")
            except (SyntaxError, ValueError):
                continue
            self.visit(expression.body)

    def _magic(self, method: str, args: list[str | None]) -> None:
        name, line = (args + [None, None])[:2]
        if method == "push":
            self.cell.opaque = True
        if method in ("system", "getoutput") or (method == "run_line_magic" and name not in _PYTHON_MAGICS):
            self._expanded(name if method != "run_line_magic" else line)
        if method not in ("run_line_magic", "run_cell_magic") or name is None:
            return
        words = (line or "").split()
        body = args[2] if method == "run_cell_magic" and len(args) > 2 else line
        if name == "codeact" or (name in ("load_ext", "reload_ext") and "codeact_magic" in words):
            self.cell.kind = "codeact"
        elif name in _PYTHON_MAGICS and body is not None:
            try:
                tree = _parse(body)
            except (SyntaxError, ValueError):
                return
            for statement in tree.body:
                self.visit(statement)
            if name == "capture" and method == "run_cell_magic":
                self.cell.binds |= {w for w in words if not w.startswith("-")}
        elif name == "timeit" and body is not None:  # runs in a namespace of its own: reads, binds nothing
            try:
                inner = _analyse(body)
            except (SyntaxError, ValueError):
                return
            self.cell.reads |= inner.reads - self.cell.binds
        elif name in ("run", "pylab") or (name == "store" and "-r" in words):
            self.cell.opaque = True
            script = next((w for w in words if not w.startswith("-")), None) if name == "run" else None
            if script:
                self.cell.files.append(script)
        elif method == "run_cell_magic":  # not Python: binds nothing, unless it may put names in the namespace
            output = name in _SHELL_MAGICS and ("--out" in words or "--err" in words)
            if name in _TEXT_MAGICS or (name in _SHELL_MAGICS and not output):
                self.cell.kind = "foreign"
            else:
                self.cell.opaque = True


def _analyse(source: str) -> _Cell:
    """The top-level names of one cell; raises ``SyntaxError`` or ``ValueError`` when it does not parse."""
    return _Names().analyse(_parse(source))


def _safe(source: str) -> _Cell | None:
    try:
        return _analyse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _provided(name: str, provided: Container[str]) -> bool:
    """A name the kernel has without any cell: builtins, IPython's, ``_<n>`` and ``_i<n>`` output/input caches."""
    digits = name[2:] if name.startswith("_i") else name[1:] if name.startswith("_") else ""
    return name in provided or digits.isdigit()


def _first_line(source: str) -> str:
    line = next((s.strip() for s in source.splitlines() if s.strip()), "")
    return line if len(line) <= 60 else line[:59] + "…"


def _run_reads(steps: Sequence[str], provided: Container[str]) -> tuple[dict[str, str], set[str], list[str]]:
    """The names a run reads from before it: ``{name: "step n"}`` (its first reader), the names the run binds, and
    notes on the steps that do not parse."""
    needed: dict[str, str] = {}
    bound: set[str] = set()
    notes: list[str] = []
    for number, code in enumerate(steps, 1):
        try:
            cell = _analyse(code)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
            notes.append(f"Step {number} does not parse as Python ({type(error).__name__}), so the names it reads "
                         "were not looked for.")
            continue
        for name in sorted(cell.reads - bound):
            if not _provided(name, provided):
                needed.setdefault(name, f"step {number}")
        bound |= cell.binds
    return needed, bound, notes


def find_setup(steps: Sequence[str], history: Iterable[tuple[int | None, str]], *,
               namespace: Container[str] | None = None, cwd: str | os.PathLike | None = None,
               provided: Container[str] = KERNEL_NAMES) -> Setup:
    """The fewest history cells that recreate what a run's steps read, and what cannot be recovered.

    Parameters
    ----------
    steps : sequence of str
        The run's step code, in order.
    history : iterable of (int or None, str)
        The cells run before the run, oldest first: each ``(In[n], source)`` (IPython syntax). Nothing of the run
        itself (its ``%%codeact`` cell, its steps).
    namespace : container of str, optional
        The kernel's names now. When given, a name the run read that no cell binds and that the kernel does not
        have, or that the run itself binds, is no dependency (the step that read it raised ``NameError``) and gets no
        note.
    cwd : str or PathLike, optional
        The directory relative file paths are read from (default: the working directory now).
    provided : container of str
        Names a fresh kernel has (default :data:`KERNEL_NAMES`).

    Returns
    -------
    Setup
        The cells in history order; a note per name no cell defines, per absent file, per step that does not parse,
        and per cell kept only because it may define a name in a way that cannot be read.
    """
    needed, run_binds, notes = _run_reads(steps, provided)
    cells = list(history)
    infos: dict[int, _Cell | None] = {}

    def info(i: int) -> _Cell | None:
        if i not in infos:
            infos[i] = _safe(cells[i][1])
        return infos[i]

    chosen: dict[int, set[str]] = {}
    unread: dict[str, list[int]] = {}  # a needed name bound by no readable cell: the unreadable cells kept for it
    for i in range(len(cells) - 1, -1, -1):
        if not needed:
            break
        cell = info(i)
        if cell is None or cell.kind != "python":
            continue
        hit = (cell.binds | cell.mutates) & needed.keys()
        maybe: set[str] = set()
        if cell.opaque:
            earlier = set().union(*(c.binds for c in map(info, range(i)) if c is not None and c.kind == "python"))
            maybe = {n for n in needed.keys() - hit - earlier if namespace is None or n in namespace}
        if not hit and not maybe:
            continue
        chosen[i] = hit | maybe
        for name in maybe:
            unread.setdefault(name, []).insert(0, i)
        for name in hit & cell.binds:
            del needed[name]
        for name in sorted(cell.reads):
            if not _provided(name, provided):
                needed.setdefault(name, f"In[{cells[i][0]}]")
    for name, reader in sorted(needed.items()):
        if name in unread:
            where = ", ".join(f"In[{cells[i][0]}] (`{_first_line(cells[i][1])}`)" for i in unread[name])
            kept = "is" if len(unread[name]) == 1 else "are"
            notes.append(f"`{name}` (read by {reader}) is bound by no cell this export can read; {where} may "
                         f"define it and {kept} kept, unchecked.")
        elif namespace is None or (name in namespace and name not in run_binds):
            notes.append(f"`{name}` (read by {reader}) is defined in no cell of this kernel's history before the "
                         "run: define it before running this notebook.")
    if chosen:  # configuration magics that a kept cell ran under
        for i in range(max(chosen)):
            if "%" in cells[i][1] and (cell := info(i)) is not None and cell.kind == "config":
                chosen[i] = set()
    base = Path(os.getcwd() if cwd is None else cwd)
    for i in sorted(chosen):
        for path in dict.fromkeys(info(i).files):  # type: ignore[union-attr]
            if not (base / Path(path).expanduser()).exists():
                where = "" if Path(path).expanduser().is_absolute() else f" in {base}"
                notes.append(f"`{path}` (read by In[{cells[i][0]}]) does not exist{where}.")
    return Setup([SetupCell(cells[i][0], cells[i][1], tuple(sorted(chosen[i]))) for i in sorted(chosen)], notes)


def _is_run_cell(source: str, task: str) -> bool:
    """Whether ``source`` is a ``%%codeact`` cell whose body is ``task``, or a ``%codeact`` line ending with it."""
    try:
        tree = _parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return False
    for node in ast.walk(tree):
        magic = _magic(node) if isinstance(node, ast.Call) else None
        if magic and len(magic[1]) > 1 and magic[1][0] == "codeact":
            if magic[0] == "run_cell_magic" and (magic[1][2:] or [None])[0] is not None:
                if magic[1][2].strip() == task.strip():  # type: ignore[union-attr]
                    return True
            elif magic[0] == "run_line_magic" and task.strip() and (magic[1][1] or "").strip().endswith(task.strip()):
                return True
    return False


def _run_entry(raw: Sequence[str], run: Any) -> int | None:
    """The index in ``raw`` (``input_hist_raw``) of the run's own ``%codeact`` cell, found by its task and then the
    code of its steps up to its first follow-up; never after ``run.execution_count`` (entries fall behind counts)."""
    followups = getattr(run, "followups", None) or []
    codes = [s.code.rstrip("\n") for s in run.steps][:followups[0].step if followups else None]
    last = len(raw) - 1 if run.execution_count is None else min(run.execution_count, len(raw) - 1)
    for i in range(last, 0, -1):
        if ("codeact" in raw[i] and list(raw[i + 1:i + 1 + len(codes)]) == codes
                and _is_run_cell(raw[i], run.task)):
            return i
    return None


def _counts(raw: Sequence[str], entry: int, count: int | None, user_ns: dict[str, Any]) -> list[int]:
    """The ``In[n]`` of ``raw[1:entry]``: counting down from the run's own, skipping the counts no input was stored
    under (no ``_i<n>`` variable)."""
    counts = []
    n = entry if count is None else count
    for i in range(entry - 1, 0, -1):
        n -= 1
        while n > i and f"_i{n}" not in user_ns:
            n -= 1
        counts.append(n)
    return counts[::-1]


def kernel_setup(shell: Any, run: Any, *, cwd: str | os.PathLike | None = None) -> Setup:
    """The setup an export of ``run`` needs, from ``shell``'s history (:func:`find_setup` over it).

    Parameters
    ----------
    shell : IPython.core.interactiveshell.InteractiveShell
        The live shell; its ``history_manager.input_hist_raw``, ``user_ns`` and ``user_ns_hidden`` are read.
    run : Run
        The record to export, of this kernel or of the run journal.
    cwd : str or PathLike, optional
        Where relative file paths are looked for (default: the working directory now).

    Returns
    -------
    Setup
        When the run's ``%%codeact`` cell is not in this kernel's history (a run of another kernel session), no
        cells and, if the run read names from before it, one note naming them.
    """
    raw = list(getattr(getattr(shell, "history_manager", None), "input_hist_raw", None) or [""])
    user_ns = getattr(shell, "user_ns", {})
    provided = KERNEL_NAMES | set(getattr(shell, "user_ns_hidden", {}))
    entry = _run_entry(raw, run)
    if entry is None:
        needed, _, notes = _run_reads([s.code for s in run.steps], provided)
        if needed:
            names = ", ".join(f"`{n}`" for n in sorted(needed))
            notes.append(f"The cells that defined {names} could not be recovered: the run came from another kernel "
                         "session, whose history this kernel does not have.")
        return Setup([], notes)
    history = zip(_counts(raw, entry, run.execution_count, user_ns), raw[1:entry])
    return find_setup([s.code for s in run.steps], history, namespace=user_ns, cwd=cwd, provided=provided)
