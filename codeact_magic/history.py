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

:func:`kernel_setup` reads a live shell's ``history_manager.input_hist_raw``. The run's own ``%%codeact`` entry is
found by its task and its steps' code, not by the run's execution count (a follow-up, the line form and a kernel
whose history was trimmed all keep it findable), and each earlier entry's ``In[n]`` is read from the ``_i<n>``
variables IPython keeps. The per-cell analysis is :mod:`codeact_magic.cellnames`.
"""

from __future__ import annotations

import ast
import dataclasses
import os
from collections.abc import Container, Iterable, Sequence
from pathlib import Path
from typing import Any

from .cellnames import KERNEL_NAMES, CellNames, analyse, magic_call, parse_cell, safe_analyse

__all__ = ["SetupCell", "Setup", "find_setup", "kernel_setup", "KERNEL_NAMES"]

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
            cell = analyse(code)
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
    infos: dict[int, CellNames | None] = {}

    def info(i: int) -> CellNames | None:
        if i not in infos:
            infos[i] = safe_analyse(cells[i][1])
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
        tree = parse_cell(source)
    except (SyntaxError, ValueError, RecursionError):
        return False
    for node in ast.walk(tree):
        magic = magic_call(node) if isinstance(node, ast.Call) else None
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
