"""What one cell of IPython code binds, reads, changes in place and loads from files, from its AST: the analysis
under an export's setup (:mod:`codeact_magic.history`).

IPython syntax is first turned into Python by ``TransformerManager.transform_cell``. :func:`analyse` reads one cell's
top level: the names it binds (assignments, imports, ``def``, ``class``, ``for``/``with``/``except`` targets, walrus,
``from m import *`` of a loaded module), the names it reads before binding them (names a function uses count, and so
do ``{expr}`` and ``$name`` in shell commands and magic lines), the names it changes in place (``df["x"] = ...``,
``df.x = ...``, ``lst.append(...)``, ``...(inplace=True)``) and the literal paths it reads (``pd.read_csv("x.csv")``,
``open("x")``, ``np.load``, ``Path("x").read_text()``, ``%run x.py``). A cell whose bindings cannot be read
(``%run``, ``exec(...)``, ``globals()[...] = ...``, a star import of a module not loaded, a cell magic of another
language) is marked opaque.
"""

from __future__ import annotations

import ast
import builtins
import dataclasses
import sys
from functools import lru_cache
from typing import Any

__all__ = ["CellNames", "KERNEL_NAMES", "analyse", "magic_call", "parse_cell", "safe_analyse"]

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


@dataclasses.dataclass
class CellNames:
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


def parse_cell(source: str) -> ast.Module:
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


def magic_call(node: ast.Call) -> tuple[str, list[str | None]] | None:
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
    """Walks a cell's top level in execution order, filling a :class:`CellNames`."""

    def __init__(self) -> None:
        self.cell = CellNames()
        self.deferred: set[str] = set()  # read by functions and classes: resolved against the whole cell

    def analyse(self, tree: ast.Module) -> CellNames:
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
            magic = magic_call(node.value)
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
        magic = magic_call(node)
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
                tree = parse_cell(body)
            except (SyntaxError, ValueError):
                return
            for statement in tree.body:
                self.visit(statement)
            if name == "capture" and method == "run_cell_magic":
                self.cell.binds |= {w for w in words if not w.startswith("-")}
        elif name == "timeit" and body is not None:  # runs in a namespace of its own: reads, binds nothing
            try:
                inner = analyse(body)
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


def analyse(source: str) -> CellNames:
    """The top-level names of one cell; raises ``SyntaxError`` or ``ValueError`` when it does not parse."""
    return _Names().analyse(parse_cell(source))


def safe_analyse(source: str) -> CellNames | None:
    try:
        return analyse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
