"""Variables into and out of a sandbox kernel (``--with``, ``--return``), and its variable summary: pickles, carried
as base64 in code the sandbox runs quietly, so the same path works for a local kernel and one on a gateway (no shared
file system needed).

The code and expressions here are the sandbox's side; :class:`codeact_magic.sandbox.SandboxExecutor` sends them.
Names starting with ``__codeact`` are its scratch, deleted when done.
"""

from __future__ import annotations

import base64
import builtins
import inspect
import io
import pickle
from pathlib import Path
from collections.abc import Collection, Iterator, Mapping
from typing import Any

__all__ = ["DATA_MODULES", "LOAD_CODE", "NAMES_EXPRESSION", "dump_code", "pickle_values", "read_dump",
           "returned_value", "seed_chunks", "summary_expression"]

#: Packages whose classes a ``--return`` value may hold by default (``CodeActMagics.sandbox_return_modules``).
DATA_MODULES = ("numpy", "pandas", "datetime", "collections", "decimal", "fractions", "uuid", "zoneinfo", "pathlib",
                "copyreg")
#: The builtins a returned pickle may name: plain data types, no function.
_SAFE_BUILTINS = frozenset({"set", "frozenset", "bytearray", "bytes", "complex", "slice", "range", "list", "dict",
                            "tuple", "str", "int", "float", "bool", "object"})
#: Functions a pickle names to rebuild an object (numpy's ``_reconstruct``, pandas' ``_unpickle_block``,
#: Cython's ``__pyx_unpickle_*``, ``copyreg._reconstructor``): allowed by these name prefixes, in allowed packages.
_REBUILDERS = ("_reconstruct", "scalar", "_unpickle", "__pyx_unpickle", "_new_", "_timedelta_unpickle")
#: Parts of an allowed package that do I/O when called or constructed (``pandas.ExcelWriter``, ``numpy.memmap``).
_IO_PARTS = (".io.", "._datasource.", ".npyio.", ".testing.", ".memmap.")

#: Characters of base64 per execute request when copying a variable in.
CHUNK = 4_000_000

def pickle_values(namespace: Mapping[str, Any], names: Collection[str]) -> tuple[dict[str, bytes], dict[str, str]]:
    """``names`` of ``namespace`` pickled for ``--with``: the pickles, and why each other name could not be.

    Returns
    -------
    (dict, dict)
        ``{name: pickle bytes}`` and ``{name: reason}`` (``not defined``, ``cannot be pickled: TypeError: ...``).
    """
    done: dict[str, bytes] = {}
    failed: dict[str, str] = {}
    for name in names:
        if name not in namespace:
            failed[name] = "not defined"
            continue
        try:
            done[name] = pickle.dumps(namespace[name], protocol=4)
        except Exception as error:  # noqa: BLE001 - any object may refuse in its own way
            failed[name] = f"cannot be pickled: {type(error).__name__}: {str(error)[:120]}"
    return done, failed



def seed_chunks(name: str, blob: bytes) -> Iterator[str]:
    """The code that carries the pickle ``blob`` of ``name`` into ``__codeact_with``, :data:`CHUNK` characters of
    base64 at a time (``__codeact_with = {}`` must run first)."""
    text = base64.b64encode(blob).decode("ascii")
    for start in range(0, len(text), CHUNK):
        yield f"__codeact_with.setdefault({name!r}, []).append({text[start:start + CHUNK]!r})"


#: Unpickles ``__codeact_with`` into the sandbox's globals; ``__codeact_failed`` is ``{name: reason}`` after it.
LOAD_CODE = ("def __codeact_load():\n    import base64, pickle\n    failed = {}\n"
             "    for name, parts in __codeact_with.items():\n        try:\n"
             "            globals()[name] = pickle.loads(base64.b64decode(''.join(parts)))\n"
             "        except Exception as error:\n"
             "            failed[name] = f'cannot be loaded there: {type(error).__name__}: {error}'[:200]\n"
             "    return failed\n__codeact_failed = __codeact_load()\ndel __codeact_with, __codeact_load")


def dump_code(names: Collection[str]) -> str:
    """The code that leaves, in ``__codeact_out``, the base64 of a pickle of ``({name: pickle}, {name: reason})``."""
    return ("def __codeact_dump(names):\n    import base64, pickle\n    out, failed = {}, {}\n"
            "    for name in names:\n        if name not in globals():\n"
            "            failed[name] = 'not defined in the sandbox'\n            continue\n        try:\n"
            "            out[name] = pickle.dumps(globals()[name], protocol=4)\n"
            "        except Exception as error:\n"
            "            failed[name] = f'cannot be pickled: {type(error).__name__}: {error}'[:200]\n"
            "    return base64.b64encode(pickle.dumps((out, failed), protocol=4)).decode('ascii')\n"
            f"__codeact_out = __codeact_dump({list(names)!r})\ndel __codeact_dump")


def read_dump(text: str) -> tuple[dict[str, bytes], dict[str, str]]:
    """What :func:`dump_code` left, read back: the pickles by name and why the other names are not there (an outer
    pickle of plain dicts, bytes and strings: read with :func:`returned_value`, allowing nothing else)."""
    dump = returned_value(base64.b64decode(text), modules=())
    if not (isinstance(dump, tuple) and len(dump) == 2 and all(isinstance(d, dict) for d in dump)):
        raise pickle.UnpicklingError("the sandbox's answer is not a dump")
    return dump


def _source(obj: Any) -> str:
    """Where ``obj``'s code is, as a dotted path (``...pandas.io.excel._base``): packages re-export their classes
    under a shorter ``__module__`` (``pandas.ExcelWriter`` says ``pandas``), so the code's file says where it lives."""
    functions = [obj] if not isinstance(obj, type) else [v for v in vars(obj).values() if inspect.isfunction(v)]
    for function in functions:
        code = getattr(function, "__code__", None)
        if code is not None:
            return ".".join(Path(code.co_filename).with_suffix("").parts)
    return ""


class _ReturnUnpickler(pickle.Unpickler):
    """An unpickler that builds only data: the classes of ``modules`` (not their I/O parts), their rebuilding
    functions and plain builtin types. A pickle made in the sandbox, where the model's code ran, is untrusted: an
    ordinary ``pickle.loads`` would call whatever it names (``os.system``), in the user's kernel."""

    def __init__(self, file: Any, modules: Collection[str]) -> None:
        super().__init__(file)
        self.modules = frozenset(modules)

    def find_class(self, module: str, name: str) -> Any:
        root = module.split(".")[0]
        if root == "builtins" and name in _SAFE_BUILTINS:
            return getattr(builtins, name)
        if root in self.modules and "." not in name:
            found = super().find_class(module, name)
            origin = f".{getattr(found, '__module__', None) or module}.{name}.{_source(found)}."
            if not any(part in origin for part in _IO_PARTS) and (
                    isinstance(found, type) or (callable(found) and name.startswith(_REBUILDERS))
                    or (module, name) == ("copyreg", "_reconstructor")):
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not data of {', '.join(sorted(self.modules))}")


def returned_value(blob: bytes, modules: Collection[str] = DATA_MODULES) -> Any:
    """Unpickle a ``--return`` value from the sandbox, building only data (see :class:`_ReturnUnpickler`).

    Raises
    ------
    pickle.UnpicklingError
        Naming the first global the pickle asks for that is not allowed (add its package to
        ``CodeActMagics.sandbox_return_modules`` to allow its classes).
    """
    return _ReturnUnpickler(io.BytesIO(blob), modules).load()


def summary_expression(max_chars: int | None, time_budget_s: float | None) -> str:
    """The expression that gives the sandbox's variable summary (:func:`codeact_magic.context.summarize` run there)."""
    return ("__import__('codeact_magic.context', fromlist=['summarize']).summarize(globals(), "
            f"hidden=get_ipython().user_ns_hidden, max_chars={max_chars!r}, time_budget_s={time_budget_s!r}).text")


#: The sandbox's names and types, when codeact-magic is not installed there (a remote kernel).
NAMES_EXPRESSION = ("sorted((n, type(v).__name__) for n, v in globals().items() if not n.startswith('_') "
                    "and n not in get_ipython().user_ns_hidden)")
