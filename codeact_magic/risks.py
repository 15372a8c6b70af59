"""The documented check behind ``--approve risky``: what in a step may reach beyond the kernel's own computation.

:func:`assess` reads the step's AST only (IPython syntax is turned into Python by
:func:`codeact_magic.cellnames.parse_cell`); there is no regular expression over the source text. It looks at every
call, inside functions, classes and nested blocks too, and at the top-level bindings. A called name is resolved through
the step's imports (``import subprocess as sp``, ``from os import system``), then ``namespace`` (a module or function
imported in an earlier cell), then the usual ``np``, ``pd``, ``plt``. Flagged, by :attr:`Risk.kind`:

``shell``
    ``!cmd``, ``x = !cmd``, ``%sx``, ``%system``, IPython's shell aliases (``%ls``, ``%cat``, ``%mkdir``...),
    ``%%bash``, ``%%sh``, ``%%script``, ``%%system``, ``%%sx``; ``subprocess.run``/``call``/``check_call``/
    ``check_output``/``Popen``/``getoutput``/``getstatusoutput``, ``os.system``, ``os.popen``, ``os.exec*``,
    ``os.spawn*``, ``os.posix_spawn*``, ``pty.spawn``.
``install`` (instead of ``shell`` when packages change)
    ``%pip``/``%conda``/``%mamba``/``%micromamba`` ``install``, ``uninstall``, ``remove``, ``update``, ``upgrade``
    (``%pip list`` is not flagged; ``!pip show`` is ``shell``); a command or argument list naming pip, conda, mamba
    or uv and one of those verbs (``!python -m pip install x``, ``subprocess.run([sys.executable, "-m", "pip",
    "install", "x"])``); ``pip.main``.
``file_delete``
    ``os.remove``/``unlink``/``rmdir``/``removedirs``/``rename``/``renames``/``replace``, ``shutil.rmtree``/``move``,
    any method ``unlink`` or ``rmdir``, ``Path(...).rename``/``replace``, ``%rm``, ``%rmdir``, ``%mv``.
``file_write``
    ``open``, ``io.open``, ``codecs.open``, ``gzip``/``bz2``/``lzma``/``tarfile.open``, ``zipfile.ZipFile`` and any
    method ``.open(mode)`` with a mode containing ``w``, ``a``, ``x`` or ``+`` (for the functions, a mode known only at
    run time too); ``os.open``, ``os.truncate``, ``shutil.copy``/``copy2``/``copyfile``/``copytree``, ``%cp``; any
    method ``write_text``, ``write_bytes``, ``touch``; ``%%writefile``. Writers of results (``to_csv``, ``to_parquet``,
    ``to_excel``, ``to_json``, ``to_pickle``..., polars' ``write_csv``..., ``savefig``, ``tofile``, ``np.save``/
    ``savez``/``savetxt``, ``joblib.dump``, ``torch.save``) only when the target exists or is known only at run time;
    a new file, or no target (``df.to_csv()`` returns a string), is not flagged. A target is resolved if it is a
    string literal, an f-string without placeholders, ``Path(...)``, ``os.path.join(...)``, ``/`` of those, a name the
    step assigns once to one of those, or a name the step does not bind whose ``namespace`` value is a ``str`` or
    ``os.PathLike`` (an ``io.StringIO``/``BytesIO`` is in memory: not flagged); relative to ``cwd``.
``network``
    Importing or calling ``requests``, ``httpx``, ``urllib.request``, ``urllib3``, ``http.client``, ``aiohttp``,
    ``socket``, ``ftplib``, ``smtplib``, ``telnetlib``, ``paramiko``, ``websocket(s)``, ``boto3``, ``botocore``,
    ``google.cloud``, ``pycurl``, ``xmlrpc.client`` (once per module, naming its first call if any); ``urlopen``,
    ``urlretrieve``; a call whose first string literal argument is an ``http``, ``https``, ``ftp``, ``s3`` or ``gs``
    URL (``pd.read_csv("https://...")``; not ``print``, ``display``, ``urllib.parse``); a writer to a URL.
``rebind``
    A top-level binding (``cellnames.analyse(code).binds``: assignment, import, ``def``, ``class``, ``for``/``with``/
    ``except`` target, walrus, a function's ``global``) of a name in ``user_names``, unless imports only bind it to
    what ``namespace`` already holds (``import pandas as pd`` again). Changing a user's object in place (``df["x"] =
    1``, ``inplace=True``) is *not* flagged: nearly every analysis step does it, and ``risky`` would mean ``always``.
``delete_name``
    ``del name`` outside functions and ``%xdel name`` of a name in ``user_names``; ``%reset``, ``%reset_selective``.
``unreadable``
    ``exec``, ``eval``, ``compile``; ``__import__``/``importlib.import_module`` of a name known only at run time;
    writes into ``globals()``, ``vars()``, ``locals()``, ``user_ns``; ``get_ipython().run_cell``/``ex``/``ev``/
    ``push``; a magic named at run time; ``%run``, ``%load``; ``%%perl``, ``%%ruby``, ``%%python3`` and other
    languages; ``%%javascript`` and ``%%html`` with a ``<script`` (the browser can send code to the kernel); an unknown
    cell magic; what ``cellnames`` marks opaque (a star import of a module not loaded, ``%pylab``, ``%store -r``).
    The Python bodies of ``%time``, ``%timeit``, ``%prun``, ``%%capture``, ``%debug`` are read as the step is.
``no_undo``
    Not found by :func:`assess`: :class:`codeact_magic.snapshots.UndoWatch` adds it for a name or file the step may
    change that its undo cannot cover (over the ``undo_max_bytes`` budget, not copyable, outside the working
    directory).

Not seen: a function reached through ``getattr``, a container or another name (``f = os.remove; f(p)``); what
imported modules and called functions do inside; names imported in an earlier cell without ``namespace``; a URL
built at run time; unknown line magics (``%matplotlib``, ``%cd``, an extension's) and ``.save(...)`` methods. A
step that does not parse (``SyntaxError``) gets no risks: it fails before any of it runs.
"""

from __future__ import annotations

import ast
import builtins
import dataclasses
import io
import os
import sys
import types
from collections import Counter
from typing import Any, Collection, Iterator, Mapping

from .cellnames import KERNEL_NAMES, _is_namespace, _literal, magic_call, parse_cell, safe_analyse
from .riskmagics import MagicScan, package_change, short, words

__all__ = ["KINDS", "Risk", "assess", "describe"]

#: The kinds of :class:`Risk`, each described in the module docstring.
KINDS = ("shell", "install", "file_write", "file_delete", "network", "rebind", "delete_name", "unreadable", "no_undo")

_SHELL_PREFIXES = ("os.exec", "os.spawn", "os.posix_spawn")
_CALLS = {**dict.fromkeys(("subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
                           "subprocess.Popen", "subprocess.getoutput", "subprocess.getstatusoutput", "os.system",
                           "os.popen", "pty.spawn"), ("shell", "runs a command")),
          **dict.fromkeys(("pip.main", "pip._internal.main"), ("install", "installs packages")),
          **dict.fromkeys(("os.remove", "os.unlink"), ("file_delete", "deletes a file")),
          **dict.fromkeys(("os.rmdir", "os.removedirs"), ("file_delete", "deletes a directory")),
          **dict.fromkeys(("shutil.move", "os.rename", "os.renames", "os.replace"), ("file_delete", "moves a file")),
          "shutil.rmtree": ("file_delete", "deletes a directory tree"),
          **dict.fromkeys(("os.open", "os.truncate", "shutil.copy", "shutil.copy2", "shutil.copyfile",
                           "shutil.copytree"), ("file_write", "writes a file"))}  # -> (kind, verb)
_METHODS = {"unlink": ("file_delete", "deletes a file"), "rmdir": ("file_delete", "deletes a directory"),
            **dict.fromkeys(("write_text", "write_bytes", "touch"), ("file_write", "writes a file"))}
_OPENERS = {"open": 1, "io.open": 1, "builtins.open": 1, "codecs.open": 1, "gzip.open": 1, "bz2.open": 1,
            "lzma.open": 1, "tarfile.open": 1, "zipfile.ZipFile": 1}  # -> position of the mode argument
_WRITER_METHODS = frozenset({"to_csv", "to_parquet", "to_excel", "to_json", "to_pickle", "to_feather", "to_hdf",
                             "to_stata", "to_html", "to_latex", "to_markdown", "to_string", "to_xml", "to_orc",
                             "to_netcdf", "write_csv", "write_parquet", "write_json", "write_ndjson",
                             "write_excel", "write_ipc", "write_avro", "savefig", "tofile"})
_WRITER_FUNCS = {"numpy.save": 0, "numpy.savez": 0, "numpy.savez_compressed": 0, "numpy.savetxt": 0,
                 "joblib.dump": 1, "torch.save": 1}  # -> position of the target argument
_NUMPY_SUFFIX = {"numpy.save": ".npy", "numpy.savez": ".npz", "numpy.savez_compressed": ".npz"}
_TARGET_KEYWORDS = frozenset({"path_or_buf", "path", "fname", "file", "excel_writer", "buf", "path_or_buffer",
                              "filename"})
_PATH_CALLS = frozenset({"Path", "pathlib.Path", "PurePath", "pathlib.PurePath", "os.path.join"})
_BUFFER_CALLS = frozenset({"io.StringIO", "io.BytesIO", "StringIO", "BytesIO"})
_HIDDEN_CALLS = frozenset({"exec", "eval", "compile", "builtins.exec", "builtins.eval", "builtins.compile"})
_IMPORTERS = frozenset({"__import__", "builtins.__import__", "importlib.import_module", "importlib.__import__"})
_NETWORK_MODULES = ("requests", "httpx", "urllib.request", "urllib3", "http.client", "aiohttp", "socket", "ftplib",
                    "smtplib", "telnetlib", "paramiko", "websocket", "websockets", "boto3", "botocore",
                    "google.cloud", "pycurl", "xmlrpc.client")
_URL_CALLS = frozenset({"urlopen", "urlretrieve"})
_URL_SCHEMES = ("http://", "https://", "ftp://", "s3://", "gs://")
_NOT_READERS = frozenset({"print", "display", "repr", "str", "len", "IPython.display.display"})
_CONVENTIONS = {"np": "numpy", "pd": "pandas", "plt": "matplotlib.pyplot"}
_IPYTHON_NAMES = (KERNEL_NAMES - set(dir(builtins))) | {"_", "__", "___", "exit", "quit"}  # the kernel's own
_UNRESOLVED = object()


@dataclasses.dataclass(frozen=True)
class Risk:
    """One thing a step does that ``--approve risky`` asks about.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS` (another raises ``ValueError``).
    detail : str
        A short phrase naming what was flagged, e.g. ``"shell escape `!ls -la`"``.
    """

    kind: str
    detail: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown risk kind {self.kind!r}; expected one of {', '.join(KINDS)}")

    def to_json(self) -> dict[str, str]:
        """``{"kind": ..., "detail": ...}``."""
        return {"kind": self.kind, "detail": self.detail}


def _dotted(node: ast.AST) -> str | None:
    """``"a.b.c"`` for a chain of names and attributes, else ``None``."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return ".".join([node.id, *reversed(parts)]) if isinstance(node, ast.Name) else None


def _imports(tree: ast.AST) -> Iterator[tuple[ast.AST, str, str]]:
    """``(node, bound name, dotted name it is bound to)`` for every absolute import in ``tree``."""
    for node in ast.walk(tree):
        for a in getattr(node, "names", []) if isinstance(node, (ast.Import, ast.ImportFrom)) else []:
            if isinstance(node, ast.Import):
                yield node, a.asname or a.name.split(".")[0], a.name if a.asname else a.name.split(".")[0]
            elif node.module and not node.level and a.name != "*":
                yield node, a.asname or a.name, f"{node.module}.{a.name}"


def _network_module(name: str) -> str | None:
    return next((m for m in _NETWORK_MODULES if name == m or name.startswith(m + ".")), None)


def _loaded(dotted: str) -> Any:
    """The object ``dotted`` names among the loaded modules, or ``_UNRESOLVED``."""
    if dotted in sys.modules:
        return sys.modules[dotted]
    module, _, attr = dotted.rpartition(".")
    return getattr(sys.modules[module], attr, _UNRESOLVED) if module in sys.modules else _UNRESOLVED


def _top_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements of ``body`` and of its nested blocks, not those inside functions or classes."""
    for node in body:
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                yield from _top_level([n for n in getattr(node, field, []) if isinstance(n, ast.AST)])


def _bound(tree: ast.AST) -> Iterator[tuple[str, ast.AST]]:
    """``(name, node)`` for every place ``tree`` binds a name, at any depth."""
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
            yield n.id, n
        elif isinstance(n, ast.arg):
            yield n.arg, n
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.ExceptHandler)) and n.name:
            yield n.name, n
        elif isinstance(n, ast.alias) and n.name != "*":
            yield n.asname or n.name.split(".")[0], n


class _Scan(MagicScan):
    """Fills ``found`` with ``(position, Risk, group, rank)`` for one parsed step or one magic's Python body."""

    def __init__(self, tree: ast.Module, namespace: Mapping[str, Any], cwd: str, users: set[str], found: list,
                 base: tuple = (), aliases: Mapping[str, str] | None = None) -> None:
        self.namespace, self.cwd, self.users, self.found, self.base = namespace, cwd, users, found, base
        self.aliases = {**(aliases or {}), **{name: target for _, name, target in _imports(tree)}}
        self.stores = Counter(name for name, _ in _bound(tree))
        self.assigned = {s.targets[0].id: s.value for s in _top_level(tree.body) if isinstance(s, ast.Assign)
                         and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
                         and self.stores[s.targets[0].id] == 1}
        for node in ast.walk(tree):
            full = [a.name for a in node.names] if isinstance(node, ast.Import) else [
                f"{node.module}.{a.name}" for a in node.names] if isinstance(node, ast.ImportFrom) else []
            for net in filter(None, map(_network_module, full)):
                self.add(node, "network", f"network client: import {net}", ("network", net), 1)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                self.call(node)
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [getattr(node, "target", None)]
            if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)) and any(
                    isinstance(t, ast.Subscript) and _is_namespace(t.value) for t in targets):
                self.add(node, "unreadable", "writes into the namespace (`globals()[...]`), binding unseen names")
        for stmt in (s for s in _top_level(tree.body) if isinstance(s, ast.Delete)):
            for t in (t for target in stmt.targets for t in getattr(target, "elts", [target])):
                if isinstance(t, ast.Name) and t.id in users:
                    self.add(t, "delete_name", f"deletes your variable `{t.id}`")

    def add(self, node: ast.AST, kind: str, detail: str, group: tuple | None = None, rank: int = 0) -> None:
        pos = (*self.base, getattr(node, "lineno", 0), getattr(node, "col_offset", 0))
        self.found.append((pos, Risk(kind, detail), group, rank))

    def qualify(self, func: ast.AST) -> str | None:
        """The dotted name a called expression resolves to (``sp.run`` -> ``subprocess.run``), or ``None``."""
        dotted = _dotted(func)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        value = self.namespace.get(head) if head not in self.aliases else None
        if head in self.aliases:
            head = self.aliases[head]
        elif isinstance(value, types.ModuleType):
            head = value.__name__
        elif isinstance(value, (types.FunctionType, types.BuiltinFunctionType, type)):
            module = getattr(value, "__module__", None) or ""
            head = f"{'os' if module in ('posix', 'nt') else module}.{value.__name__}".lstrip(".")
        elif head in self.namespace:
            return None  # an object of the user's (``df``): only its method's name says anything
        else:
            head = _CONVENTIONS.get(head, head)
        return f"{head}.{rest}" if rest else head

    def call(self, node: ast.Call) -> None:
        magic = magic_call(node)
        if magic:
            return self.magic(node, *magic)
        f, qual = node.func, self.qualify(node.func)
        method = f.attr if isinstance(f, ast.Attribute) else None
        last = qual.rsplit(".", 1)[-1] if qual else method
        values = [*node.args, *(k.value for k in node.keywords)]
        text = short(f"{qual or ast.unparse(f)}({', '.join(ast.unparse(a) for a in [*node.args, *node.keywords])})")
        kind, verb = _CALLS.get(qual or "") or _METHODS.get(method or "") or (
            ("shell", "runs a command") if qual and qual.startswith(_SHELL_PREFIXES) else (None, None))
        if kind == "shell" and package_change(words(values)):
            kind, verb = "install", package_change(words(values))
        if kind:
            self.add(node, kind, f"{verb}: {text}")
        elif method in ("rename", "replace") and isinstance(f.value, ast.Call) and self.qualify(
                f.value.func) in _PATH_CALLS:
            self.add(node, "file_delete", f"moves a file: {text}")
        elif qual in _OPENERS or method == "open":
            self.opened(node, text, _OPENERS.get(qual, 0), qual in _OPENERS)
        elif qual in _WRITER_FUNCS or last in _WRITER_METHODS:
            self.writer(node, text, _WRITER_FUNCS.get(qual, 0), _NUMPY_SUFFIX.get(qual, ""))
        elif qual in _HIDDEN_CALLS:
            self.add(node, "unreadable", f"`{last}` hides what it runs")
        elif qual in _IMPORTERS:
            module = _literal(node.args[0]) if node.args else None
            if module is None:
                self.add(node, "unreadable", f"`{qual}` of a module named only at run time")
            elif _network_module(module):
                self.add(node, "network", f"network client: {text}", ("network", _network_module(module)))
        elif isinstance(f, ast.Attribute) and _is_namespace(f.value) and method in ("update", "setdefault"):
            self.add(node, "unreadable", f"writes into the namespace ({short(ast.unparse(f))}), binding unseen names")
        elif qual and (_network_module(qual) or last in _URL_CALLS):
            self.add(node, "network", f"network client: {text}", ("network", _network_module(qual) or "urllib"))
        elif qual not in _NOT_READERS and not (qual or "").startswith("urllib.parse."):
            url = next((s for s in map(_literal, values) if s is not None), None)
            if url and url.startswith(_URL_SCHEMES):
                self.add(node, "network", f"reads a URL: {short(url)}")

    def opened(self, node: ast.Call, text: str, at: int, function: bool) -> None:
        """``open(path, mode)`` and its kin: flagged for a writing mode, or (functions) one known only at run time."""
        given = node.args[at] if len(node.args) > at else next((k.value for k in node.keywords if k.arg == "mode"),
                                                               None)
        mode = _literal(given)
        if mode is None:
            if given is not None and function:
                self.add(node, "file_write", f"opens a file with a mode known only at run time: {text}")
        elif set(mode) <= set("rwxabtU+") and set(mode) & set("wax+"):
            path = self.path(node.args[0]) if node.args and function else _UNRESOLVED
            exists = isinstance(path, str) and "w" in mode and self.exists(path)
            self.add(node, "file_write", f"{'overwrites an existing file' if exists else 'writes a file'}: {text}")

    def writer(self, node: ast.Call, text: str, at: int, suffix: str) -> None:
        """A writer of results: flagged when its target exists, is a URL, or is known only at run time."""
        target = node.args[at] if len(node.args) > at else next(
            (k.value for k in node.keywords if k.arg in _TARGET_KEYWORDS), None)
        path = self.path(target) if target is not None else None
        if path is _UNRESOLVED:
            self.add(node, "file_write", f"writes a file whose path is known only at run time: {text}")
        elif isinstance(path, str) and "://" in path:
            self.add(node, "network", f"writes to a URL: {text}")
        elif isinstance(path, str) and self.exists(path if path.endswith(suffix) else path + suffix):
            self.add(node, "file_write", f"overwrites an existing file: {text}")

    def exists(self, path: str) -> bool:
        return os.path.exists(os.path.join(self.cwd, os.path.expanduser(path)))

    def path(self, node: ast.AST, depth: int = 0) -> Any:
        """The path ``node`` names (a ``str``), ``None`` for an in-memory buffer, else ``_UNRESOLVED``."""
        if _literal(node) is not None:
            return _literal(node)
        if isinstance(node, ast.JoinedStr) and all(_literal(v) is not None for v in node.values):
            return "".join(_literal(v) for v in node.values)
        if isinstance(node, ast.Call) and self.qualify(node.func) in _BUFFER_CALLS:
            return None
        parts: list[ast.AST] = []
        if isinstance(node, ast.Call) and node.args and not node.keywords and self.qualify(node.func) in _PATH_CALLS:
            parts = node.args
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            parts = [node.left, node.right]
        elif isinstance(node, ast.Name) and node.id in self.assigned and depth < 5:
            return self.path(self.assigned[node.id], depth + 1)
        elif isinstance(node, ast.Name) and not self.stores[node.id] and node.id in self.namespace:
            value = self.namespace[node.id]
            if isinstance(value, (str, os.PathLike)):
                return os.fspath(value)
            return None if isinstance(value, (io.StringIO, io.BytesIO)) else _UNRESOLVED
        resolved = [self.path(p, depth + 1) for p in parts] if depth < 5 else []
        return os.path.join(*resolved) if resolved and all(isinstance(p, str) for p in resolved) else _UNRESOLVED

def _rebinds(tree: ast.Module, name: str, namespace: Mapping[str, Any]) -> bool:
    """Whether binding ``name`` changes it: not when only imports bind it, to what ``namespace[name]`` already is."""
    sites = [target for _, bound, target in _imports(tree) if bound == name]
    others = [n for bound, n in _bound(tree) if bound == name and not isinstance(n, ast.alias)]
    return not sites or bool(others) or name not in namespace or any(
        _loaded(target) is not namespace[name] for target in sites)


def assess(code: str, user_names: Collection[str] = (), namespace: Mapping[str, Any] | None = None,
           cwd: str | os.PathLike | None = None) -> list[Risk]:
    """What in ``code`` ``--approve risky`` asks about; the module docstring lists what is checked.

    Parameters
    ----------
    code : str
        One step, in IPython syntax.
    user_names : collection of str
        The names in the user's namespace before the run started: rebinding or deleting one is flagged. IPython's own
        (``In``, ``Out``, ``_``, ``_3``, ``_i3``, ``get_ipython``...) are ignored.
    namespace : mapping, optional
        The user's namespace, only read: it resolves modules imported in earlier cells and the targets of writers.
    cwd : str or os.PathLike, optional
        The directory relative paths are taken from; ``os.getcwd()`` by default.

    Returns
    -------
    list of Risk
        In source order, without duplicates; empty when nothing is flagged or ``code`` does not parse.
    """
    try:
        tree = parse_cell(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []  # it cannot run, so none of it reaches anything
    namespace = namespace if namespace is not None else {}
    users = {n for n in user_names if n not in _IPYTHON_NAMES
             and not (n[:1] == "_" and (n[1:].isdigit() or (n[1:2] == "i" and n[2:].isdigit())))}
    found: list = []
    _Scan(tree, namespace, os.fspath(cwd) if cwd is not None else os.getcwd(), users, found)
    names = safe_analyse(code)
    for name in sorted(names.binds & users if names else ()):
        if _rebinds(tree, name, namespace):
            where = min(((n.lineno, n.col_offset) for bound, n in _bound(tree) if bound == name
                         and hasattr(n, "lineno")), default=(sys.maxsize, 0))
            found.append((where, Risk("rebind", f"rebinds your variable `{name}`"), None, 0))
    if names and names.opaque and not any(entry[1].kind == "unreadable" for entry in found):
        found.append(((sys.maxsize,), Risk("unreadable", "binds names the check cannot see"), None, 0))
    best: dict[tuple, tuple] = {}  # one network risk per module: its first call, else its import
    for entry in sorted(found, key=lambda e: (e[3], e[0])):
        best.setdefault(entry[2], entry)
    return list(dict.fromkeys(e[1] for e in sorted(found, key=lambda e: e[0]) if e[2] is None or best[e[2]] is e))

def describe(risks: Collection[Risk], limit: int = 200) -> str:
    """One line naming ``risks`` for the approval prompt.

    Parameters
    ----------
    risks : collection of Risk
        What :func:`assess` returned.
    limit : int
        The most characters of the line; a longer one is cut and ends with ``…``.

    Returns
    -------
    str
        The details joined by ``"; "``, in order, duplicates dropped; ``""`` for no risks.
    """
    line = "; ".join(dict.fromkeys(r.detail for r in risks))
    return line if len(line) <= limit else line[:limit - 1].rstrip("; ") + "…"
