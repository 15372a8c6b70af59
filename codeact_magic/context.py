"""The variable summary: a bounded, redacted description of the user's kernel variables (step 2 of a run).

``summarize(shell.user_ns, hidden=shell.user_ns_hidden)`` lists the user's own names, most recent first, one short
line each, within a size and a time budget. Which names count is decided from ``type(value)`` and descriptors read
from the type itself, so no user code runs; each value is described by :func:`codeact_magic.describe.describe`, which
runs none either and keeps secrets out (:mod:`codeact_magic.redaction`). Environment variables are never read.

NumPy and pandas are never imported here: they are looked up in ``sys.modules``, so a kernel that has not
imported them pays nothing.
"""

from __future__ import annotations

import sys
import time
import types
from collections.abc import Container, Mapping
from dataclasses import dataclass
from typing import Any

from .config import default
from .describe import describe

__all__ = ["VariableSummary", "summarize"]

_MODULES_LINE_CHARS = 200  # cap of the modules line, the same as a variable's line
_MODULES_SHOWN = 20  # modules listed on the modules line before "+N more"
_SKIPPED_NAMES = frozenset({"In", "Out", "exit", "quit", "get_ipython"})


@dataclass(frozen=True)
class VariableSummary:
    """The variable summary sent with the task.

    Attributes
    ----------
    text : str
        What goes into the prompt: a header line, at most one line of modules, one line per variable shown, and a
        last line counting the names left out. At most ``max_chars`` characters.
    n_names : int
        User-defined names considered (modules, imported functions and classes, hidden and ``_`` names excluded).
    n_shown : int
        Names described in ``text``.
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
    """Describe the user-defined names of ``namespace``, most recent first, within a size and a time budget.

    Parameters
    ----------
    namespace : Mapping[str, Any]
        The kernel's variables, normally ``shell.user_ns``; its insertion order gives "most recent".
    hidden : Container[str], optional
        Names IPython put there itself, normally ``shell.user_ns_hidden``. For a mapping a name is hidden while it is
        still bound to the same object (as ``%who`` does), so a user who rebinds it sees it; for other containers
        membership is enough.
    max_chars : int, optional
        Hard bound on ``len(text)``, in characters (default: the trait ``context_max_chars``, 6,000).
    time_budget_s : float, optional
        Seconds after which no further name is described (default: the trait ``context_time_budget``, 0.1); the
        rest are counted in the last line.
        One description is cheap and bounded, so the overshoot is small.

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
    hidden_get = hidden.get if isinstance(hidden, Mapping) else None

    plain = _plain_type_ids()
    names = list(namespace)  # keys only: no 20,000 (name, value) tuples to allocate
    variables: list[tuple[str, Any]] = []
    modules: list[str] = []
    unchecked = 0
    for j, i in enumerate(range(len(names) - 1, -1, -1)):
        if j % 1024 == 1023 and time.perf_counter() > deadline:
            unchecked = i + 1
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
        kind = "variable" if id(type(value)) in plain else _kind(value, session)
        if kind == "variable":
            variables.append((name, value))
        elif kind == "module":
            modules.append(_module_text(name, value))

    n_names = len(variables) + unchecked
    header = "# no user variables" if n_names == 0 else (
        f"# {n_names:,} user variable{'s' if n_names != 1 else ''} (most recent first)")
    head = [header] + ([_modules_line(modules)] if modules else [])
    budget = max_chars - sum(len(x) + 1 for x in head) - len(f"... {n_names:,} more names not shown (time budget)")
    lines: list[str] = []
    reason = "time budget" if unchecked else None
    for name, value in variables:
        if time.perf_counter() > deadline:
            reason = "time budget"
            break
        line = describe(value, name)
        if len(line) + 1 > budget:
            reason = "size limit"
            break
        budget -= len(line) + 1
        lines.append(line)
    n_shown = len(lines)
    if n_names > n_shown:
        lines.append(f"... {n_names - n_shown:,} more names not shown ({reason})")
    text = "\n".join(head + lines)[:max_chars]
    return VariableSummary(text, n_names, n_shown, n_names > n_shown, time.perf_counter() - start)


# --- which names count ------------------------------------------------------------------------------------------

_MISSING = object()
_type_module = type.__dict__["__module__"].__get__
_module_dict = types.ModuleType.__dict__["__dict__"].__get__
_func_module = types.FunctionType.__dict__["__module__"].__get__
_builtin_func_types = (types.BuiltinFunctionType, types.WrapperDescriptorType, types.MethodDescriptorType)


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


def _plain_type_ids() -> set[int]:
    """ids of common data types, whose values are always variables (a fast path for big namespaces)."""
    plain = [int, float, complex, bool, str, bytes, bytearray, list, tuple, dict, set, frozenset, type(None)]
    np, pd = sys.modules.get("numpy"), sys.modules.get("pandas")
    if np is not None:
        plain += [np.ndarray, np.float64, np.int64, np.float32, np.int32, np.bool_]
    if pd is not None:
        plain += [pd.DataFrame, pd.Series]
    return {id(t) for t in plain}


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
