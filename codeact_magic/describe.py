"""A safe, bounded, redacted one-line description of one value: ``name: type details``.

:func:`describe` runs no code it does not know: no ``__repr__``, ``__len__``, ``__getattr__``, property or
``__class__`` of an object of unknown type is called. Objects are read through ``type(obj)`` and descriptors from the
type's own ``__dict__`` (as ``inspect.getattr_static`` does), builtins through their base-type methods
(``list.__len__(obj)``), NumPy arrays through ``numpy.ndarray``'s C descriptors, and pandas objects through pandas'
API only when their type does not override it. Secrets are kept out with :mod:`codeact_magic.redaction`; environment
variables are never shown. NumPy and pandas are looked up in ``sys.modules``, never imported.
"""

from __future__ import annotations

import datetime
import math
import os
import sys
import types
import typing
from itertools import islice
from typing import Any

from traitlets.log import get_logger

from .redaction import REDACTED, is_secret_name, redact

__all__ = ["describe"]

_LINE_CHARS = 200  # cap of one variable's line
_FRAME_LINE_CHARS = 480  # a DataFrame's line, which lists its columns
_MAX_COLUMNS = 30  # columns listed per DataFrame before "+N more"
_STR_PREFIX = 40  # characters of a string shown
_REPR_CHARS = 120  # short repr of a container
_SEQ_ITEMS = 8  # items of a container shown in its short repr
_TINY_ARRAY = 10  # arrays with at most this many elements show their values
_INT_BITS = 256  # larger ints show their number of digits, not their digits

_MISSING = object()
_type_mro = type.__dict__["__mro__"].__get__
_type_dict = type.__dict__["__dict__"].__get__
_type_module = type.__dict__["__module__"].__get__
_type_qualname = type.__dict__["__qualname__"].__get__
_type_bases = type.__dict__["__bases__"].__get__
_module_dict = types.ModuleType.__dict__["__dict__"].__get__
_func_code = types.FunctionType.__dict__["__code__"].__get__
_func_doc = types.FunctionType.__dict__["__doc__"].__get__
_func_name = types.FunctionType.__dict__["__name__"].__get__
_func_defaults = types.FunctionType.__dict__["__defaults__"].__get__
_func_kwdefaults = types.FunctionType.__dict__["__kwdefaults__"].__get__


def describe(value: Any, name: str) -> str:
    """One line ``name: type details`` describing ``value``, redacted and capped; never raises, runs no user code.

    Parameters
    ----------
    value : Any
        Any object, of any type, including hostile ones (raising, sleeping or lazy ``__repr__``, ``__getattr__`` or
        properties, a ``__class__`` that lies).
    name : str
        The name it is bound to. A secret name (:func:`~codeact_magic.redaction.is_secret_name`) shows
        ``<redacted>`` instead of the value's details.

    Returns
    -------
    str
        At most 200 characters (480 for a DataFrame, whose columns are listed), e.g. ``n: int = 42``,
        ``arr: numpy.ndarray shape=(3, 4) dtype=float64 (96 B)``, ``load: function load(path: str) -> dict — Load.``.
        When reading the value fails, the details are ``(not described: ErrorType)``.
    """
    t = type(value)
    try:
        label = _type_label(t)
    except Exception:  # noqa: BLE001 - a hostile metaclass
        get_logger().debug("codeact: no type label for %r", name, exc_info=True)
        label = "<unknown type>"
    limit = _FRAME_LINE_CHARS if _is_frame(t) else _LINE_CHARS
    try:
        if t is types.FunctionType:
            label, detail = "function", _function_text(value)
        elif issubclass(t, type):
            label, detail = "class", _class_text(value)
        elif is_secret_name(name):
            detail = REDACTED
        else:
            detail = _detail(value, t)
    except Exception as e:  # a description must never fail the run
        get_logger().debug("codeact: %r not described", name, exc_info=True)
        detail = f"(not described: {type(e).__name__})"
    line = f"{name}: {label} {detail}" if detail else f"{name}: {label}"
    return _cap(redact(line[: 2 * limit]), limit)


def _detail(v: Any, t: type) -> str:
    if v is None or t is bool or t is float or t is complex:
        return "= " + repr(v)
    if t is int:
        return "= " + _int_text(v)
    if any(k is os._Environ for k in _type_mro(t)):
        return "(environment variables, not shown)"
    np = sys.modules.get("numpy")
    if np is not None:
        if issubclass(t, np.ndarray):
            return _array_text(v, np)
        if issubclass(t, np.generic):
            return "= " + _render(np.generic.item(v))
    pd = sys.modules.get("pandas")
    if pd is not None:
        if issubclass(t, pd.DataFrame):
            return _frame_text(v) if _uses_base_api(t, pd.DataFrame) else "(pandas.DataFrame subclass, not described)"
        if issubclass(t, pd.Series):
            return _series_text(v) if _uses_base_api(t, pd.Series) else "(pandas.Series subclass, not described)"
    if issubclass(t, int):
        return "= " + _int_text(v)
    if issubclass(t, float):
        return "= " + float.__repr__(v)
    if issubclass(t, str):
        return f"len={str.__len__(v):,} " + _str_text(v)
    if issubclass(t, (bytes, bytearray)):
        return f"len={_bytes_len(v):,} " + _bytes_text(v)
    for base in (dict, list, tuple, set, frozenset):
        if issubclass(t, base):
            n = base.__len__(v)
            if base is dict and _looks_like_environ(v):
                return f"len={n:,} (looks like environment variables, not shown)"
            return f"len={n:,} " + _render_container(v, base, _REPR_CHARS, 0)
    safe = _safe_repr_type(v, t)
    if safe is not None:
        return "= " + _cap(safe, _REPR_CHARS)
    if _lookup(t, "__repr__") is object.__repr__:
        return object.__repr__(v)
    return ""


def _function_text(f: types.FunctionType) -> str:
    doc = _first_line(_func_doc(f))
    return _func_name(f)[:60] + _signature(f) + (" — " + doc if doc else "")


def _class_text(cls: type) -> str:
    own = _type_dict(cls)
    init = own.get("__init__")
    sig = _signature(init, skip_first=True) if type(init) is types.FunctionType else ""
    bases = [b for b in _type_bases(cls) if b is not object]
    text = _type_qualname(cls)[:60] + sig
    if bases:
        text += ", subclass of " + ", ".join(_type_label(b) for b in bases[:3])
    doc = own.get("__doc__")
    doc = _first_line(doc) if type(doc) is str else ""
    return text + (" — " + doc if doc else "")


def _signature(f: types.FunctionType, skip_first: bool = False) -> str:
    """``(a, b: int = 2, *args, c, **kw) -> str`` from the code object; defaults through the safe renderer."""
    code = _func_code(f)
    n_pos, n_kw, flags, names = code.co_argcount, code.co_kwonlyargcount, code.co_flags, code.co_varnames
    defaults = _func_defaults(f) or ()
    kwdefaults = _func_kwdefaults(f) or {}
    annotations = _annotations(f)
    first_default = n_pos - len(defaults)

    def param(name: str, default: Any = _MISSING) -> str:
        ann = annotations.get(name, _MISSING)
        text = name + (": " + _annotation_text(ann) if ann is not _MISSING else "")
        if default is not _MISSING:
            text += (" = " if ann is not _MISSING else "=") + _render(default, 40, 1)
        return text

    parts = [param(names[i], defaults[i - first_default] if i >= first_default else _MISSING) for i in range(n_pos)]
    if code.co_posonlyargcount:
        parts.insert(code.co_posonlyargcount, "/")
    if flags & 0x04:  # CO_VARARGS
        parts.append("*" + names[n_pos + n_kw])
    elif n_kw:
        parts.append("*")
    parts += [param(names[i], kwdefaults.get(names[i], _MISSING)) for i in range(n_pos, n_pos + n_kw)]
    if flags & 0x08:  # CO_VARKEYWORDS
        parts.append("**" + names[n_pos + n_kw + bool(flags & 0x04)])
    if skip_first and parts and parts[0] not in ("/", "*") and not parts[0].startswith("*"):
        parts.pop(0)
        if parts and parts[0] == "/":
            parts.pop(0)
    ret = annotations.get("return", _MISSING)
    return _cap("(" + ", ".join(parts) + ")" + (" -> " + _annotation_text(ret) if ret is not _MISSING else ""), 150)


def _annotations(f: types.FunctionType) -> dict:
    """The function's annotations without evaluating them (PEP 649 lazy annotations are read as strings)."""
    try:
        if sys.version_info >= (3, 14):
            import annotationlib

            if types.FunctionType.__dict__["__annotate__"].__get__(f) is None:
                return {}
            ann = annotationlib.get_annotations(f, format=annotationlib.Format.STRING)
        else:
            ann = types.FunctionType.__dict__["__annotations__"].__get__(f)
    except Exception:  # noqa: BLE001 - annotations that fail to evaluate
        get_logger().debug("codeact: annotations of %r unreadable", getattr(f, "__qualname__", f), exc_info=True)
        return {}
    return ann if type(ann) is dict else {}


def _annotation_text(a: Any, depth: int = 0) -> str:
    t = type(a)
    if t is str:
        return _cap(a, 40)
    if a is None or t is types.NoneType:
        return "None"
    if issubclass(t, type):
        return _type_qualname(a)
    if depth < 3 and _module_of(t) in ("typing", "types"):
        origin, args = typing.get_origin(a), typing.get_args(a)
        inner = ", ".join(
            "[" + ", ".join(_annotation_text(x, depth + 1) for x in arg[:5]) + "]" if type(arg) is list
            else _annotation_text(arg, depth + 1) for arg in args[:5])
        if origin is typing.Union or origin is types.UnionType:
            return " | ".join(_annotation_text(x, depth + 1) for x in args[:5])
        if origin is typing.Literal:
            return "Literal[" + ", ".join(_render(x, 30, 1) for x in args[:5]) + "]"
        if origin is not None:
            return _annotation_text(origin, depth + 1) + ("[" + inner + "]" if args else "")
    return "…"


def _array_text(a: Any, np: Any) -> str:
    nd = np.ndarray.__dict__
    shape, dtype = nd["shape"].__get__(a), nd["dtype"].__get__(a)
    size, nbytes = nd["size"].__get__(a), nd["nbytes"].__get__(a)
    text = f"shape={shape} dtype={_cap(str(dtype), 60)}"
    if size <= _TINY_ARRAY:
        if dtype.kind in "biufcUS":
            text += " " + _render(np.ndarray.tolist(a), _REPR_CHARS)
    else:
        text += f" ({_size_text(nbytes)})"
    return text


def _frame_text(df: Any) -> str:
    n_rows, n_cols = df.shape
    labels = df.columns[:_MAX_COLUMNS].tolist()
    # df.dtypes builds a Series of every column: fine up to a few hundred, an empty slice beyond
    dtypes = (df.dtypes.iloc[:_MAX_COLUMNS] if n_cols <= 500 else df.iloc[:0, :_MAX_COLUMNS].dtypes).tolist()
    text, cols = f"shape=({n_rows:,}, {n_cols:,}) columns:", 0
    for label, dtype in zip(labels, dtypes):
        part = f" {_label_text(label)} {_dtype_text(dtype)},"
        if len(text) + len(part) > _FRAME_LINE_CHARS - 90:
            break
        text, cols = text + part, cols + 1
    text = text.rstrip(",")
    return text + (f" … +{n_cols - cols:,} more" if n_cols > cols else "")


def _series_text(s: Any) -> str:
    return f"len={s.shape[0]:,} dtype={_dtype_text(s.dtype)} name={_render(s.name, 40, 1)}"


def _uses_base_api(t: type, base: type) -> bool:
    """True when no class between ``t`` and ``base`` redefines what we read (a subclass's properties are user code)."""
    names = ("__getattribute__", "__getattr__", "shape", "columns", "dtypes", "dtype", "name", "iloc", "index", "_mgr",
             "_constructor", "_constructor_sliced", "_constructor_from_mgr", "_constructor_sliced_from_mgr", "axes",
             "_info_axis", "__finalize__", "_get_axis", "_ixs", "__getitem__", "_slice", "__len__")
    for k in _type_mro(t):
        if k is base:
            return True
        d = _type_dict(k)
        if any(n in d for n in names):
            return False
    return False


def _dtype_text(dtype: Any) -> str:
    if _module_of(type(dtype)).split(".")[0] in ("numpy", "pandas"):
        return _cap(str(dtype), 40)
    return "<" + _type_label(type(dtype)) + ">"


def _label_text(label: Any) -> str:
    if type(label) is str and label.isidentifier() and len(label) <= 40:
        return label
    return _render(label, 40, 1)


def _render(v: Any, limit: int = _REPR_CHARS, depth: int = 0) -> str:
    """A short repr of builtin values, built here; other objects become ``<module.Type>`` without being touched."""
    t = type(v)
    if v is None or t is bool or t is float or t is complex:
        return repr(v)
    if t is int:
        return _int_text(v)
    if t is str:
        return _str_text(v)
    if t is bytes or t is bytearray:
        return _bytes_text(v)
    for base in (dict, list, tuple, set, frozenset):
        if t is base:
            if depth >= 3:
                return "{…}" if base in (dict, set) else "[…]" if base is list else "(…)"
            if base is dict and _looks_like_environ(v):
                return "{<environment variables, not shown>}"
            return _render_container(v, base, limit, depth)
    safe = _safe_repr_type(v, t)
    return _cap(safe, 60) if safe is not None else "<" + _type_label(t) + ">"


def _render_container(v: Any, base: type, limit: int, depth: int) -> str:
    parts, used = [], 0
    items = dict.items(v) if base is dict else base.__iter__(v)
    for item in islice(items, _SEQ_ITEMS + 1):
        if len(parts) == _SEQ_ITEMS or used > limit:
            parts.append("…")
            break
        if base is dict:
            key, value = item
            secret = type(key) is str and is_secret_name(key)
            shown = REDACTED if secret else _render(value, limit - used, depth + 1)
            part = _render(key, 40, depth + 1) + ": " + shown
        else:
            part = _render(item, limit - used, depth + 1)
        parts.append(part)
        used += len(part) + 2
    body = ", ".join(parts)
    if base is dict:
        return "{" + body + "}"
    if base is list:
        return "[" + body + "]"
    if base is tuple:
        return "(" + body + ("," if len(parts) == 1 else "") + ")"
    if not parts:
        return base.__name__ + "()"
    return "{" + body + "}" if base is set else "frozenset({" + body + "})"


def _int_text(v: int) -> str:
    bits = int.bit_length(v)
    if bits <= _INT_BITS:
        return int.__repr__(v)
    return f"<int with about {int(bits * math.log10(2)) + 1:,} digits>"


def _str_text(s: str) -> str:
    """Quoted prefix of ``s``, redacted on a window longer than what is shown so a cut key is still recognized."""
    head = redact(str.__getitem__(s, slice(0, _STR_PREFIX + 200)))
    cut = len(head) > _STR_PREFIX or str.__len__(s) > _STR_PREFIX + 200
    return repr(head[:_STR_PREFIX]) + ("…" if cut else "")


def _bytes_len(b: Any) -> int:
    return bytes.__len__(b) if issubclass(type(b), bytes) else bytearray.__len__(b)


def _bytes_text(b: Any) -> str:
    """Quoted prefix of bytes or a bytearray, redacted like :func:`_str_text`."""
    base = bytes if issubclass(type(b), bytes) else bytearray
    head = bytes(base.__getitem__(b, slice(0, _STR_PREFIX + 200)))
    text = redact(repr(head))
    return _cap(text, _STR_PREFIX + 3) + ("…" if _bytes_len(b) > len(head) and len(text) <= _STR_PREFIX + 3 else "")


def _safe_repr_type(v: Any, t: type) -> str | None:
    """repr of a few exact stdlib types whose repr touches nothing of the user's."""
    if t is range or t is datetime.date or t is datetime.timedelta:
        return repr(v)
    if t is datetime.datetime or t is datetime.time:
        tz = t.__dict__["tzinfo"].__get__(v)
        return repr(v) if tz is None or type(tz) is datetime.timezone else None
    for mod, name in (("uuid", "UUID"), ("pathlib", "PosixPath"), ("pathlib", "WindowsPath"),
                      ("pathlib", "PurePosixPath"), ("pathlib", "PureWindowsPath"), ("decimal", "Decimal")):
        m = sys.modules.get(mod)
        if m is not None and _module_dict(m).get(name) is t:
            return repr(v)
    return None


def _looks_like_environ(d: dict) -> bool:
    """True for a dict with at least three of the usual environment variable names (``dict(os.environ)``)."""
    return sum(dict.__contains__(d, k) for k in ("PATH", "HOME", "USER", "SHELL", "LANG", "PWD", "TERM", "HOSTNAME",
                                                  "LOGNAME", "PYTHONPATH", "SystemRoot", "USERPROFILE")) >= 3


def _lookup(t: type, name: str) -> Any:
    """The raw class attribute ``name`` along ``t``'s MRO, without descriptors or metaclass hooks."""
    for k in _type_mro(t):
        d = _type_dict(k)
        if name in d:
            return d[name]
    return _MISSING


def _module_of(t: type) -> str:
    """``t.__module__`` read from the type itself, or ``""`` when it is not a string."""
    mod = _type_module(t)
    return mod if type(mod) is str else ""


def _is_frame(t: type) -> bool:
    pd = sys.modules.get("pandas")
    return pd is not None and issubclass(t, pd.DataFrame)


def _type_label(t: type) -> str:
    """``int``, ``numpy.ndarray``, ``pandas.DataFrame`` (public path when a parent package exports the type)."""
    qualname, module = _type_qualname(t), _type_module(t)
    if type(qualname) is not str:
        return "<unknown type>"
    if type(module) is not str or module == "builtins":
        return qualname
    parts = module.split(".")
    if "." not in qualname:
        for i in range(1, len(parts)):
            m = sys.modules.get(".".join(parts[:i]))
            if m is not None and _module_dict(m).get(qualname) is t:
                return ".".join(parts[:i]) + "." + qualname
    return module + "." + qualname


def _first_line(doc: Any) -> str:
    if type(doc) is not str:
        return ""
    for line in islice(doc.strip().splitlines(), 1):
        return _cap(line.strip(), 100)
    return ""


def _size_text(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000:
            return f"{n:.3g} {unit}" if unit != "B" else f"{n} B"
        n /= 1000
    return f"{n:.3g} TB"


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
