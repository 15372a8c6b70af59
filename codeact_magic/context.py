"""The variable summary: a bounded, ranked, redacted description of the user's kernel variables (step 2 of a run).

``summarize(shell.user_ns, hidden=shell.user_ns_hidden)`` lists the user's own names within a size and a time
budget, what a data scientist works with first: DataFrames and Series, arrays, the session's own functions and
classes, and collections that hold data; then everything else. Within each of the two tiers the most recent name
comes first. Scalars made in a loop (``v0``, ``v1``, ... of one type) take one line, ``v0 … v19999: 20,000 ints``.
Which names count, and their tier, are decided from ``type(value)`` and descriptors read from the type itself, so no
user code runs; each value shown is described by :func:`codeact_magic.describe.describe`, which runs none either and
keeps secrets out (:mod:`codeact_magic.redaction`). Environment variables are never read.

NumPy and pandas are never imported here: they are looked up in ``sys.modules``, so a kernel that has not
imported them pays nothing.
"""

from __future__ import annotations

import sys
import time
import types
from collections.abc import Container, Mapping
from dataclasses import dataclass
from itertools import chain
from typing import Any

from .config import default
from .describe import describe
from .redaction import redact

__all__ = ["VariableSummary", "summarize"]

_MODULES_LINE_CHARS = 200  # cap of the modules line, the same as a variable's line
_MODULES_SHOWN = 20  # modules listed on the modules line before "+N more"
_SKIPPED_NAMES = frozenset({"In", "Out", "exit", "quit", "get_ipython"})
_FEW_ITEMS = 3  # a list, tuple, dict or set with more items than this, or holding a non-scalar, ranks as data
_RUN_MIN = 3  # scalars of one type named <prefix><number> collapse into one line from this many
_RUN_NAME_CHARS = 80  # cap of each of the two names a collapsed line shows
_DIGITS = "0123456789"
_SUFFIX_DIGITS = 18  # a name ending in more digits is not read as <prefix><number>
_HEADER_ORDER = "(data, functions and classes first; most recent first)"


@dataclass(frozen=True)
class VariableSummary:
    """The variable summary sent with the task.

    Attributes
    ----------
    text : str
        What goes into the prompt: a header line, at most one line of modules, one line per variable shown or per
        run of collapsed scalars, and a last line counting the names left out. At most ``max_chars`` characters.
    n_names : int
        User-defined names considered (modules, imported functions and classes, hidden and ``_`` names excluded).
    n_shown : int
        Names in ``text``: described on their own line, or counted in a collapsed line.
    truncated : bool
        True when names were left out for size or time.
    elapsed_s : float
        Seconds spent, wall clock.
    """

    text: str
    n_names: int
    n_shown: int
    truncated: bool
    elapsed_s: float


def summarize(
    namespace: Mapping[str, Any],
    *,
    hidden: Container[str] = (),
    max_chars: int | None = None,
    time_budget_s: float | None = None,
) -> VariableSummary:
    """Describe the user-defined names of ``namespace``, the data first, within a size and a time budget.

    Names are ranked in two tiers, each in order of recency (most recently bound first, the namespace's insertion
    order reversed):

    1. data and definitions: pandas DataFrames and Series, NumPy arrays and other array-likes (a type that defines
       both ``shape`` and ``dtype``), functions and classes defined in the session (``__main__``), and lists,
       tuples, dicts, sets and frozensets with more than 3 items or holding anything but scalars;
    2. everything else: scalars, small containers, other objects.

    Scalars of one exact type (``int``, ``float``, ``complex``, ``bool``, ``str``, ``bytes``, ``None``, a NumPy
    scalar type) whose names share a prefix followed by a number (``v0``, ``v1``, ...) form a run; a run of 3 or
    more is one line, ``v0 … v19999: 20,000 ints``, giving the lowest and the highest name in numeric order (gaps
    between them are not listed; the count is exact) and no value, so it cannot show a secret. A prefix whose names
    hold several types gives one run per type (``x0 … x8: 5 ints`` and ``x1 … x7: 4 strs``). A run sits in the
    second tier at the place of its most recent name; runs of fewer than 3 names are described one by one.
    Ranking reads only ``type(value)`` (and for a container its length and the types of at most 3 items), so it
    costs far less than describing; only the names shown are described.

    Parameters
    ----------
    namespace : Mapping[str, Any]
        The kernel's variables, normally ``shell.user_ns``; its insertion order gives "most recent".
    hidden : Container[str], optional
        Names IPython put there itself, normally ``shell.user_ns_hidden``. For a mapping a name is hidden while it is
        still bound to the same object (as ``%who`` does), so a user who rebinds it sees it; for other containers
        membership is enough.
    max_chars : int, optional
        Hard bound on ``len(text)``, in characters (default: the trait ``context_max_chars``, 6,000). Lines are
        added in rank order until the next one does not fit.
    time_budget_s : float, optional
        Seconds after which no further name is ranked or described (default: the trait ``context_time_budget``,
        0.1); the rest are counted in the last line. Ranking checks the clock every 1,024 names, describing before
        each line; one description is cheap and bounded, so the overshoot is small. Names not reached by the
        ranking (the oldest, in a namespace too large to rank within the budget) are counted, not shown.

    Returns
    -------
    VariableSummary
        The text and its counts.

    Raises
    ------
    ValueError
        If ``max_chars`` is less than 1 or ``time_budget_s`` is negative.
    """
    start = time.perf_counter()
    max_chars = default("context_max_chars") if max_chars is None else max_chars
    time_budget_s = default("context_time_budget") if time_budget_s is None else time_budget_s
    if max_chars < 1 or time_budget_s < 0:
        raise ValueError(f"max_chars must be >= 1 and time_budget_s >= 0, got {max_chars!r}, {time_budget_s!r}")
    deadline = start + time_budget_s
    own = namespace.get("__name__") if isinstance(namespace, Mapping) else None
    session = ("__main__", own) if type(own) is str else ("__main__",)
    scan = _scan(namespace, hidden, session, deadline)
    n_names = scan.n_names

    header = "# no user variables" if n_names == 0 else (
        f"# {n_names:,} user variable{'s' if n_names != 1 else ''} {_HEADER_ORDER}")
    head = [header] + ([_modules_line(scan.modules)] if scan.modules else [])
    budget = max_chars - sum(len(x) + 1 for x in head) - len(f"... {n_names:,} more names not shown (time budget)")
    lines: list[str] = []
    n_shown = 0
    reason = "time budget" if scan.unchecked else None
    for entry in chain(scan.data, scan.rest):
        item = _shown(entry)
        if item is None:
            continue
        if time.perf_counter() > deadline:
            reason = "time budget"
            break
        collapsed = type(item) is _Run
        line = item.line() if collapsed else describe(item[1], item[0])
        if len(line) + 1 > budget:
            reason = "size limit"
            break
        budget -= len(line) + 1
        lines.append(line)
        n_shown += item.count if collapsed else 1
    if n_names > n_shown:
        lines.append(f"... {n_names - n_shown:,} more names not shown ({reason})")
    text = "\n".join(head + lines)[:max_chars]
    return VariableSummary(text, n_names, n_shown, n_names > n_shown, time.perf_counter() - start)


# --- ranking ------------------------------------------------------------------------------------------------------


@dataclass
class _Scan:
    """The namespace ranked: both tiers most recent first, the modules, and the counts."""

    data: list[tuple[str, Any]]  # the first tier
    rest: list[tuple[str, Any] | _Run | tuple[str, Any, _Run]]  # the second; a run at its first name's place
    modules: list[str]
    n_names: int  # variables, including the unchecked
    unchecked: int  # names not reached before the deadline


def _scan(namespace: Mapping[str, Any], hidden: Container[str], session: tuple[str, ...], deadline: float) -> _Scan:
    """Rank the user's names, newest first, from their types; stops at ``deadline`` (checked every 1,024 names)."""
    hidden_get = hidden.get if isinstance(hidden, Mapping) else None
    ranks = _rank_by_type_id()
    names = list(namespace)  # keys only: no 20,000 (name, value) tuples to allocate
    scan = _Scan([], [], [], 0, 0)
    data, rest, runs = scan.data, scan.rest, {}
    last_stem, last_type, last_run = None, None, None
    n_names = 0
    for j, i in enumerate(range(len(names) - 1, -1, -1)):
        if j % 1024 == 1023 and time.perf_counter() > deadline:
            scan.unchecked = i + 1
            break
        name = names[i]
        if type(name) is not str or name.startswith("_") or name in _SKIPPED_NAMES:
            continue
        value = namespace.get(name, _MISSING)
        if value is _MISSING:  # deleted meanwhile
            continue
        if hidden_get is not None:
            if hidden_get(name, _MISSING) is value:
                continue
        elif name in hidden:
            continue
        t = type(value)
        rank = ranks.get(id(t))
        if rank is None:
            kind = _kind(value, session)
            if kind == "module":
                scan.modules.append(_module_text(name, value))
            if kind != "variable":
                continue
            rank = _rank(value, t)
        n_names += 1
        if rank is _SCALAR:
            stem = name.rstrip(_DIGITS)
            digits = len(name) - len(stem)
            if not digits or not stem or digits > _SUFFIX_DIGITS:
                rest.append((name, value))
                continue
            if stem != last_stem or t is not last_type:  # names made in a loop mostly follow one another
                key = (stem, id(t))
                last_stem, last_type, last_run = stem, t, runs.get(key)
                if last_run is None:
                    runs[key] = last_run = _Run(t, name, value, int(name[-digits:]))
                    rest.append(last_run)
                    continue
            members = last_run.names
            members.append(name)
            last_run.numbers.append(int(name[-digits:]))
            if len(members) == 2:  # a run's second name keeps its place, in case the run stays short
                rest.append((name, value, last_run))
            continue
        if rank is _CONTAINER:  # an exact builtin type: len() runs no user code
            rank = _DATA if len(value) > _FEW_ITEMS or _holds_data(value, t, ranks) else _OTHER
        elif rank is _SUBCLASSED:
            rank = _DATA if _holds_data(value, _container_base(t), ranks) else _OTHER
        (data if rank is _DATA else rest).append((name, value))
    scan.n_names = n_names + scan.unchecked
    return scan


# --- runs of scalars -----------------------------------------------------------------------------------------------


class _Run:
    """Scalars of one type named ``<stem><number>``, most recent first: the type, the names and their numbers, the
    first value."""

    __slots__ = ("type", "names", "numbers", "first_value")

    def __init__(self, t: type, name: str, value: Any, number: int) -> None:
        self.type, self.names, self.numbers, self.first_value = t, [name], [number], value

    @property
    def count(self) -> int:
        return len(self.names)

    def line(self) -> str:
        """``v0 … v19999: 20,000 ints``: the lowest and highest names in numeric order and the count, no value."""
        names, numbers = self.names, self.numbers
        lo, hi = min(numbers), max(numbers)
        if lo == hi:  # v1, v01, v001
            lo_name, hi_name = min(names), max(names)
        else:
            lo_name, hi_name = names[numbers.index(lo)], names[numbers.index(hi)]
        return redact(f"{_cap(lo_name, _RUN_NAME_CHARS)} … {_cap(hi_name, _RUN_NAME_CHARS)}: {len(names):,} "
                      f"{_plural(self.type)}")


def _shown(entry: tuple[str, Any] | _Run | tuple[str, Any, _Run]) -> tuple[str, Any] | _Run | None:
    """What an entry of the second tier shows: a collapsed run, one ``(name, value)``, or ``None`` for the second
    member of a run that collapsed (its run's line counts it)."""
    if type(entry) is _Run:
        return entry if entry.count >= _RUN_MIN else (entry.names[0], entry.first_value)
    if len(entry) == 3:
        return None if entry[2].count >= _RUN_MIN else entry[:2]
    return entry


def _plural(t: type) -> str:
    label = _PLURALS.get(id(t))
    if label is not None:
        return label
    qualname = _type_qualname(t)
    return f"{_module_of(t).split('.')[0]}.{qualname if type(qualname) is str else '<unknown type>'} values"


_PLURALS = {id(int): "ints", id(float): "floats", id(complex): "complex numbers", id(bool): "bools", id(str): "strs",
            id(bytes): "bytes objects", id(type(None)): "Nones"}


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- which names count, and their tier -----------------------------------------------------------------------------

_MISSING = object()
_DATA, _SCALAR, _OTHER = "data", "scalar", "other"
_CONTAINER, _SUBCLASSED = "container", "container subclass"  # an exact builtin container, a subclass of one
_type_module = type.__dict__["__module__"].__get__
_type_qualname = type.__dict__["__qualname__"].__get__
_type_mro = type.__dict__["__mro__"].__get__
_type_dict = type.__dict__["__dict__"].__get__
_module_dict = types.ModuleType.__dict__["__dict__"].__get__
_func_module = types.FunctionType.__dict__["__module__"].__get__
_builtin_func_types = (types.BuiltinFunctionType, types.WrapperDescriptorType, types.MethodDescriptorType)
_CONTAINER_BASES = (dict, list, tuple, set, frozenset)


def _kind(value: Any, session: tuple[str, ...]) -> str:
    """``"variable"``, ``"module"`` or ``"imported"`` (a function or class from another module, skipped)."""
    t = type(value)
    if t is types.FunctionType:
        mod = _func_module(value)
        return "variable" if type(mod) is str and mod in session else "imported"
    if issubclass(t, type):
        mod = _type_module(value)
        return "variable" if type(mod) is str and mod in session else "imported"
    if issubclass(t, types.ModuleType):
        return "module"
    if issubclass(t, _builtin_func_types) or _module_of(t) in ("typing", "typing_extensions"):
        return "imported"
    np = sys.modules.get("numpy")
    if np is not None and issubclass(t, np.ufunc):
        return "imported"
    return "variable"


def _rank_by_type_id() -> dict[int, str]:
    """The tier of common exact types by ``id(type)``: the fast path for big namespaces (no hash of the type runs)."""
    ranks = {id(t): _SCALAR for t in (int, float, complex, bool, str, bytes, type(None))}
    ranks.update({id(t): _CONTAINER for t in _CONTAINER_BASES})
    ranks[id(bytearray)] = _OTHER
    np, pd = sys.modules.get("numpy"), sys.modules.get("pandas")
    if np is not None:
        ranks[id(np.ndarray)] = _DATA
        ranks.update({id(t): _SCALAR for t in (np.float64, np.int64, np.float32, np.int32, np.bool_)})
    if pd is not None:
        ranks[id(pd.DataFrame)] = ranks[id(pd.Series)] = _DATA
    return ranks


def _rank(value: Any, t: type) -> str:
    """The tier of a variable whose type is not in :func:`_rank_by_type_id`, from its type alone."""
    if t is types.FunctionType or issubclass(t, type):  # the session's own (_kind skipped the imported ones)
        return _DATA
    if issubclass(t, _CONTAINER_BASES):
        return _SUBCLASSED
    np, pd = sys.modules.get("numpy"), sys.modules.get("pandas")
    if np is not None and issubclass(t, np.generic):
        return _SCALAR if _module_of(t) == "numpy" else _OTHER
    if (np is not None and issubclass(t, np.ndarray)) or (pd is not None and issubclass(t, (pd.DataFrame, pd.Series))):
        return _DATA
    has_shape = has_dtype = False
    for k in _type_mro(t):  # an array-like: shape and dtype defined by the type (a descriptor, never called here)
        d = _type_dict(k)
        has_shape, has_dtype = has_shape or "shape" in d, has_dtype or "dtype" in d
    return _DATA if has_shape and has_dtype else _OTHER


def _container_base(t: type) -> type:
    """The builtin container type a subclass of one derives from."""
    for base in _CONTAINER_BASES:
        if issubclass(t, base):
            return base
    raise TypeError(t)  # not reached: only called for subclasses of one


def _holds_data(value: Any, base: type, ranks: dict[int, str]) -> bool:
    """Whether a list, tuple, dict, set or frozenset, exact or a subclass of ``base``, has more than 3 items or holds a
    non-scalar (a dict: a value), read through ``base``'s own methods."""
    if base.__len__(value) > _FEW_ITEMS:
        return True
    for item in dict.values(value) if base is dict else base.__iter__(value):  # at most 3
        if ranks.get(id(type(item))) is not _SCALAR:
            return True
    return False


def _module_text(alias: str, module: Any) -> str:
    real = _module_dict(module).get("__name__")
    return alias if type(real) is not str or real == alias else f"{alias} ({real[:60]})"


def _modules_line(modules: list[str]) -> str:
    """``modules: np (numpy), pd (pandas), os``, most recent first, capped like a variable's line."""
    shown: list[str] = []
    for part in modules[:_MODULES_SHOWN]:
        if 9 + sum(len(x) + 2 for x in shown) + len(part) > _MODULES_LINE_CHARS - 16:
            break
        shown.append(part)
    more = len(modules) - len(shown)
    return "modules: " + ", ".join(shown + ([f"+{more} more"] if more else []))


def _module_of(t: type) -> str:
    """``t.__module__`` read from the type itself, or ``""`` when it is not a string."""
    mod = _type_module(t)
    return mod if type(mod) is str else ""
