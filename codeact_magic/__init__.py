"""codeact-magic: Claude solves a task by writing and running Python in your live Jupyter kernel.

``%load_ext codeact_magic`` registers ``%%codeact`` and ``%codeact`` (see :mod:`codeact_magic.magics`).
"""

from __future__ import annotations

from typing import Any

from ._version import __version__

__all__ = ["__version__", "load_ipython_extension", "unload_ipython_extension", "_jupyter_labextension_paths"]

_MAGICS: dict[int, Any] = {}


def load_ipython_extension(ipython: Any) -> None:
    """Register the magics and the frontend channel with ``ipython`` (``%load_ext codeact_magic``)."""
    from .magics import CodeActMagics

    if id(ipython) in _MAGICS:
        return
    magics = CodeActMagics(shell=ipython)
    ipython.register_magics(magics)
    ipython.configurables.append(magics)
    _MAGICS[id(ipython)] = magics


def unload_ipython_extension(ipython: Any) -> None:
    """Undo :func:`load_ipython_extension` (``%unload_ext codeact_magic``)."""
    magics = _MAGICS.pop(id(ipython), None)
    if magics is None:
        return
    magics.frontend.unregister()
    ipython.magics_manager.magics["line"].pop("codeact", None)
    ipython.magics_manager.magics["cell"].pop("codeact", None)
    if magics in ipython.configurables:
        ipython.configurables.remove(magics)


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where the prebuilt JupyterLab extension lives (for ``jupyter labextension develop``)."""
    return [{"src": "labextension", "dest": "codeact-magic"}]
