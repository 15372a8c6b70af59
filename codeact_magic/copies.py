"""What keeping a user's value or file for undo takes (:mod:`codeact_magic.snapshots`): the estimate of a copy's
bytes, the copy itself, an object's identity, a path's state, and the user's names in a namespace.

A copy is ``DataFrame.copy(deep=True)`` (and ``Series``, ``Index``), ``ndarray.copy()``, otherwise ``copy.deepcopy``
with a memo shared by the caller. :func:`copy_bytes` estimates its size before it is made: ``memory_usage(index=True)``
for pandas (a deep copy of an object column copies its references, not the objects), ``nbytes`` for arrays, and
``sys.getsizeof`` over the containers and instance dicts reachable from the object, stopped as soon as it passes a
limit. Numbers, strings, bytes, ``None``, and tuples and frozensets of those cannot change (:func:`immutable`); nor
are modules, classes and functions copied (:data:`UNCOPIED`).
"""

from __future__ import annotations

import copy
import os
import re
import stat
import sys
import types
import weakref
from pathlib import Path
from typing import Any, Mapping

__all__ = ["ABSENT", "UNCOPIED", "copy_bytes", "copy_of", "identity", "immutable", "path_state", "relative", "same",
           "tree_bytes", "user_names"]

#: What a name held before a step that did not have it.
ABSENT = object()
_ATOMS = (int, float, complex, str, bytes, bool, type(None), range)
UNCOPIED = (types.ModuleType, type, types.FunctionType, types.BuiltinFunctionType, types.MethodType)
_IPYTHON = re.compile(r"^(_|__|___|_i{1,3}|_i?\d+|_oh|_ih|_dh|In|Out|exit|quit|get_ipython)$")


def user_names(namespace: Mapping[str, Any], hidden: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The user's names in ``namespace`` and their objects: not IPython's own (``In``, ``_3``, ``_i3``...), not
    ``hidden`` (``shell.user_ns_hidden``), not dunders."""
    hidden = hidden or {}
    return {n: v for n, v in namespace.items() if not _IPYTHON.match(n) and not n.startswith("__")
            and (n not in hidden or hidden[n] is not v)}


def immutable(value: Any) -> bool:
    """Whether ``value`` cannot change in place: an atom, or a tuple or frozenset of atoms."""
    if isinstance(value, _ATOMS):
        return True
    return isinstance(value, (tuple, frozenset)) and all(isinstance(v, _ATOMS) for v in value)


def copy_bytes(value: Any, limit: int) -> tuple[int, bool]:
    """The bytes a copy of ``value`` takes, estimated as the module docstring says.

    Returns
    -------
    (int, bool)
        The bytes, and whether that is the whole estimate: ``False`` when the walk stopped once past ``limit``
        (bytes), so the copy takes at least that much.
    """
    pandas = sys.modules.get("pandas")
    numpy = sys.modules.get("numpy")
    total, seen, stack = 0, set(), [value]
    while stack:
        item = stack.pop()
        if id(item) in seen or isinstance(item, UNCOPIED):
            continue
        seen.add(id(item))
        if pandas is not None and isinstance(item, (pandas.DataFrame, pandas.Series)):
            total += int(item.memory_usage(index=True, deep=False).sum() if isinstance(item, pandas.DataFrame)
                         else item.memory_usage(index=True, deep=False))
        elif numpy is not None and isinstance(item, numpy.ndarray):
            total += int(item.nbytes) + sys.getsizeof(item) * (item.base is not None)
        else:
            total += sys.getsizeof(item, 64)
            if isinstance(item, dict):
                stack.extend(item.keys())
                stack.extend(item.values())
            elif isinstance(item, (list, tuple, set, frozenset)):
                stack.extend(item)
            elif not isinstance(item, _ATOMS):
                stack.extend(getattr(item, "__dict__", {}).values())
                for slot in getattr(type(item), "__slots__", ()):
                    if isinstance(slot, str) and hasattr(item, slot):
                        stack.append(getattr(item, slot))
        if total > limit and stack:
            return total, False
    return total, True


def copy_of(value: Any, memo: dict[int, Any]) -> Any:
    """A copy of ``value`` as the module docstring says; raises whatever copying it raises (``TypeError`` for a lock)."""
    pandas = sys.modules.get("pandas")
    numpy = sys.modules.get("numpy")
    if pandas is not None and isinstance(value, (pandas.DataFrame, pandas.Series, pandas.Index)):
        return value.copy(deep=True)
    if numpy is not None and isinstance(value, numpy.ndarray):
        return value.copy()
    return copy.deepcopy(value, memo)


def identity(value: Any) -> tuple[int, Any]:
    """What tells later whether a name still holds ``value``: its id, and a weak reference when it takes one (an id
    alone may be reused once the object is gone)."""
    try:
        return id(value), weakref.ref(value)
    except TypeError:
        return id(value), None


def same(value: Any, identity: tuple[int, Any] | None) -> bool:
    """Whether ``value`` (or :data:`ABSENT`) is the object ``identity`` was taken of (``None``: absent)."""
    if identity is None:
        return value is ABSENT
    if value is ABSENT or id(value) != identity[0]:
        return False
    return identity[1] is None or identity[1]() is value


def path_state(path: str) -> tuple[str, int, int] | None:
    """``(kind, size, mtime_ns)`` of ``path`` (``lstat``), ``None`` when it does not exist."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    kind = "symlink" if stat.S_ISLNK(st.st_mode) else "dir" if stat.S_ISDIR(st.st_mode) else "file"
    return kind, (st.st_size if kind == "file" else 0), st.st_mtime_ns


def tree_bytes(path: str, limit: int) -> int:
    """The bytes of the files under directory ``path`` (``lstat`` sizes), stopped once past ``limit``."""
    total = 0
    for folder, _, names in os.walk(path):
        for name in names:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                continue
            if total > limit:
                return total
    return total


def relative(path: str, cwd: str) -> str:
    """``path`` relative to ``cwd`` as POSIX (``data/x.csv``), or as it is when it is not under ``cwd``."""
    try:
        return Path(path).relative_to(cwd).as_posix()
    except ValueError:
        return path
