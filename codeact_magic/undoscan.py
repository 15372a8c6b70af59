"""What a step may change, read from its code before it runs: the names it may bind, rebind or delete, the objects it
may change in place, and the files it may write or delete. :mod:`codeact_magic.snapshots` keeps those before the step
so that ``%codeact undo`` (:mod:`codeact_magic.undo`) can put them back.

:func:`predict` reads the step's AST only (IPython syntax is turned into Python by
:func:`codeact_magic.cellnames.parse_cell`):

``binds``
    :func:`codeact_magic.cellnames.analyse`'s top-level bindings (assignments, augmented assignments, imports,
    ``def``, ``class``, ``for``/``with``/``except`` targets, walrus, a function's ``global``) and the names a ``del``
    at top level deletes.
``mutates``
    The names whose objects the step may change in place, at any depth (a function the step defines and calls
    counts): the root name of an attribute or item assignment (``df["x"] = ...``, ``obj.attr = ...``, ``d[k] += 1``),
    of ``del x[...]`` and ``del x.attr``, of a call of a mutating method (``append``, ``extend``, ``insert``, ``pop``,
    ``remove``, ``clear``, ``update``, ``sort``, ``setdefault`` and their kin in
    :data:`codeact_magic.cellnames._MUTATORS`) or of any method called with ``inplace=True``; the first argument of
    a function known to change it (``random.shuffle``, ``np.copyto``, ``heapq.heappush``, ``bisect.insort``...) and
    an ``out=`` argument; a name augmented in place (``lst += [4]`` changes the list); and, through ``a = b`` in the
    step, the name an alias stands for.
``files``
    The paths the step may write or delete, resolved as the ``--approve risky`` check resolves them
    (:class:`codeact_magic.risks._Scan`: a literal, ``Path(...)``, ``os.path.join``, ``/``, a name the step assigns once,
    or a name whose value in the namespace is a ``str`` or ``os.PathLike``), relative to the working directory:
    ``open``/``io.open``/``gzip.open``... and ``Path.open`` with a mode that writes, ``Path.write_text``/
    ``write_bytes``/``touch``, the writers of results (``to_csv``, ``to_parquet``, ``savefig``, ``np.save``...),
    ``os.remove``/``unlink``, ``Path.unlink``/``rmdir``, ``os.rmdir``/``removedirs``, ``shutil.rmtree``,
    ``shutil.move``, ``os.rename``/``replace`` and ``Path.rename``/``replace`` (both ends), ``shutil.copy*`` and
    ``copytree`` (the destination), ``os.truncate``, and ``%%writefile``.
``unknown``
    The writes and deletions whose path is known only at run time, named.
``partly``
    Why the code cannot be read fully, when it cannot: what the risky check calls ``shell``, ``install`` or
    ``unreadable`` (shell escapes, ``subprocess``, ``exec``, ``globals()[...]``, ``%run``...).

What it cannot see: a function of an earlier cell that changes its argument (``add_row(df)``), a change through a
container or another alias (``rows = [df]; rows[0]["x"] = 1``), what called libraries write, and paths built at run
time (``unknown`` names them).
"""

from __future__ import annotations

import ast
import dataclasses
import os
from typing import Any, Mapping

from .cellnames import _MUTATORS, _literal, _root, magic_call, parse_cell, safe_analyse
from .risks import (_NUMPY_SUFFIX, _OPENERS, _TARGET_KEYWORDS, _UNRESOLVED, _WRITER_FUNCS, _WRITER_METHODS, _Scan,
                    _top_level, assess)
from .riskmagics import short

__all__ = ["Prediction", "predict"]

_DELETERS = {"os.remove": (0,), "os.unlink": (0,), "os.rmdir": (0,), "os.removedirs": (0,), "shutil.rmtree": (0,),
             "shutil.move": (0,), "os.rename": (0,), "os.renames": (0,), "os.replace": (0,)}  # -> arguments deleted
_WRITERS = {"shutil.move": (1,), "os.rename": (1,), "os.renames": (1,), "os.replace": (1,), "shutil.copy": (1,),
            "shutil.copy2": (1,), "shutil.copyfile": (1,), "shutil.copytree": (1,), "os.truncate": (0,),
            "os.open": (0,)}  # -> arguments written
_RECEIVER_DELETES = frozenset({"unlink", "rmdir"})
_RECEIVER_WRITES = frozenset({"write_text", "write_bytes", "touch"})
_PARTLY = frozenset({"shell", "install", "unreadable"})
#: Functions (or methods of another object) that change their first argument in place: ``random.shuffle(rows)``,
#: ``rng.shuffle(arr)``, ``np.copyto(dst, src)``, ``heapq.heappush(heap, x)``, ``bisect.insort(lst, x)``.
_ARGUMENT_MUTATORS = frozenset({"shuffle", "copyto", "put", "place", "putmask", "fill_diagonal", "heappush",
                                "heappop", "heapify", "heapreplace", "heappushpop", "insort", "insort_left",
                                "insort_right"})


@dataclasses.dataclass
class Prediction:
    """What one step may change (see the module docstring).

    Attributes
    ----------
    binds : set of str
        Names it may bind, rebind or delete at top level.
    mutates : set of str
        Names whose objects it may change in place.
    files : list of (str, str)
        ``(absolute path, "write" or "delete")``, in source order, each path once (``"delete"`` when the step both
        writes and deletes it; its pre-image is the same either way).
    unknown : list of str
        Writes and deletions whose path is known only at run time, each a short phrase.
    partly : list of str
        Why the step's code cannot be read fully; empty when it can.
    """

    binds: set[str] = dataclasses.field(default_factory=set)
    mutates: set[str] = dataclasses.field(default_factory=set)
    files: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    unknown: list[str] = dataclasses.field(default_factory=list)
    partly: list[str] = dataclasses.field(default_factory=list)


class _Targets(_Scan):
    """The risky check's visitor, keeping the paths the step writes or deletes instead of its risks."""

    def __init__(self, tree: ast.Module, namespace: Mapping[str, Any], cwd: str) -> None:
        self.targets: list[tuple[Any, str, str, tuple]] = []  # (path or _UNRESOLVED, action, shown, position)
        self._at: tuple = (0, 0)
        super().__init__(tree, namespace, cwd, set(), [])

    def add(self, node: ast.AST, kind: str, detail: str, group: tuple | None = None, rank: int = 0) -> None:
        pass  # the risks are assess()'s business

    def _keep(self, node: ast.AST | None, action: str, text: str) -> None:
        if node is not None:
            path = self.path(node)
            if path is not None:  # None: an in-memory buffer
                self.targets.append((path, action, text, self._at))

    def call(self, node: ast.Call) -> None:
        self._at = (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))
        magic = magic_call(node)
        if magic and magic[0] == "run_cell_magic" and magic[1][:1] == ["writefile"]:
            words = [w for w in (magic[1][1] or "").split() if not w.startswith("-")]
            if words:
                self.targets.append((words[0], "write", f"%%writefile {words[0]}", self._at))
            return
        if magic and magic[0] in ("run_line_magic", "run_cell_magic") and magic[1][:1] in (["time"], ["capture"],
                                                                                          ["prun"]):
            body = magic[1][2] if magic[0] == "run_cell_magic" and len(magic[1]) > 2 else magic[1][1]
            try:
                inner = _Targets(parse_cell(body or ""), self.namespace, self.cwd)
            except (SyntaxError, ValueError, RecursionError):
                return
            self.targets.extend((*target[:3], self._at) for target in inner.targets)
            return
        if magic:
            return
        f, qual = node.func, self.qualify(node.func)
        method = f.attr if isinstance(f, ast.Attribute) else None
        last = qual.rsplit(".", 1)[-1] if qual else method
        text = short(f"{qual or ast.unparse(f)}({', '.join(ast.unparse(a) for a in [*node.args, *node.keywords])})")
        for action, table in (("delete", _DELETERS), ("write", _WRITERS)):
            for at in table.get(qual or "", ()):
                self._keep(node.args[at] if len(node.args) > at else None, action, text)
        if qual in _DELETERS or qual in _WRITERS:
            return
        receiver = f.value if isinstance(f, ast.Attribute) else None
        if method in _RECEIVER_DELETES or method in _RECEIVER_WRITES:
            self._keep(receiver, "delete" if method in _RECEIVER_DELETES else "write", text)
        elif method in ("rename", "replace") and receiver is not None and self.path(receiver) is not _UNRESOLVED:
            self._keep(receiver, "delete", text)
            self._keep(node.args[0] if node.args else None, "write", text)
        elif qual in _OPENERS or method == "open":
            at = _OPENERS.get(qual or "", 0)
            given = node.args[at] if len(node.args) > at else next(
                (k.value for k in node.keywords if k.arg == "mode"), None)
            mode = _literal(given)
            function = qual in _OPENERS
            writes = mode is None and given is not None or (mode is not None and bool(set(mode) & set("wax+")))
            if writes and function:
                self._keep(node.args[0] if node.args else None, "write", text)
            elif writes and receiver is not None:
                self._keep(receiver, "write", text)
        elif qual in _WRITER_FUNCS or last in _WRITER_METHODS:
            at = _WRITER_FUNCS.get(qual or "", 0)
            target = node.args[at] if len(node.args) > at else next(
                (k.value for k in node.keywords if k.arg in _TARGET_KEYWORDS), None)
            path = self.path(target) if target is not None else None
            suffix = _NUMPY_SUFFIX.get(qual or "", "")
            if isinstance(path, str) and suffix and not path.endswith(suffix):
                self.targets.append((path + suffix, "write", text, self._at))
            elif target is not None and path is not None:
                self.targets.append((path, "write", text, self._at))


def _mutated(tree: ast.Module) -> set[str]:
    """The root names of every in-place change in ``tree``, at any depth."""
    roots: set[str] = set()
    for node in ast.walk(tree):
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
            if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
                roots.add(node.target.id)  # lst += [4] extends the list itself
        elif isinstance(node, ast.Delete):
            targets = list(node.targets)
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
            if isinstance(func, ast.Attribute):
                inplace = any(k.arg == "inplace" and isinstance(k.value, ast.Constant) and k.value.value is True
                              for k in node.keywords)
                if func.attr in _MUTATORS or inplace:
                    targets.append(func.value)
            if name in _ARGUMENT_MUTATORS and node.args:
                targets.append(node.args[0])
            targets += [k.value for k in node.keywords if k.arg == "out"]
        stack = list(targets)
        while stack:
            target = stack.pop()
            if isinstance(target, (ast.Tuple, ast.List)):
                stack.extend(target.elts)
            elif isinstance(target, ast.Starred):
                stack.append(target.value)
            elif isinstance(target, (ast.Attribute, ast.Subscript)) or (
                    isinstance(target, ast.Name) and not isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign,
                                                                             ast.Delete))):
                root = _root(target)
                if root:
                    roots.add(root)
    return roots


def _aliases(tree: ast.Module) -> dict[str, str]:
    """``{"a": "b"}`` for each top-level ``a = b`` of the step (one name to another)."""
    return {s.targets[0].id: s.value.id for s in _top_level(tree.body) if isinstance(s, ast.Assign)
            and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) and isinstance(s.value, ast.Name)}


def predict(code: str, namespace: Mapping[str, Any] | None = None, cwd: str | os.PathLike | None = None
            ) -> Prediction:
    """What ``code`` may change, from its AST; the module docstring lists what is read.

    Parameters
    ----------
    code : str
        One step, in IPython syntax.
    namespace : mapping, optional
        The user's namespace, only read: it resolves paths held in variables and modules imported earlier.
    cwd : str or os.PathLike, optional
        The directory relative paths are taken from; ``os.getcwd()`` by default.

    Returns
    -------
    Prediction
        Empty (nothing to keep) when ``code`` does not parse: it fails before any of it runs.
    """
    namespace = namespace if namespace is not None else {}
    cwd = os.fspath(cwd) if cwd is not None else os.getcwd()
    try:
        tree = parse_cell(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return Prediction()
    found = Prediction()
    names = safe_analyse(code)
    if names is not None:
        found.binds |= names.binds
        found.mutates |= names.mutates
    for statement in _top_level(tree.body):
        if isinstance(statement, ast.Delete):
            found.binds |= {t.id for target in statement.targets for t in getattr(target, "elts", [target])
                            if isinstance(t, ast.Name)}
    found.mutates |= _mutated(tree)
    aliases = _aliases(tree)
    found.mutates |= {aliases[n] for n in list(found.mutates) if n in aliases}
    seen: dict[str, int] = {}
    for path, action, text, _ in sorted(_Targets(tree, namespace, cwd).targets, key=lambda t: t[3]):
        if path is _UNRESOLVED:
            found.unknown.append(f"{'deletes' if action == 'delete' else 'writes'} a path known only at run time: "
                                 f"{text}")
            continue
        full = os.path.normpath(os.path.join(cwd, os.path.expanduser(path)))
        if full in seen:
            if action == "delete":
                found.files[seen[full]] = (full, action)
            continue
        seen[full] = len(found.files)
        found.files.append((full, action))
    found.partly = [r.detail for r in assess(code, (), namespace, cwd) if r.kind in _PARTLY]
    if names is not None and names.opaque and not found.partly:
        found.partly.append("binds names the check cannot see")
    return found
