"""codeact-magic: Claude solves a task by writing and running Python in your live Jupyter kernel.

``%load_ext codeact_magic`` registers ``%%codeact`` and ``%codeact`` (see :mod:`codeact_magic.magics`).
"""

from __future__ import annotations

from typing import Any

from ._version import __version__

__all__ = ["__version__", "load_ipython_extension", "unload_ipython_extension", "_jupyter_labextension_paths"]

_MAGICS: dict[int, Any] = {}


def give_empty_cells_a_body(lines: list[str]) -> list[str]:
    """An IPython cleanup input transformer: a ``%%codeact`` cell with nothing below its first line gets one blank
    body line, so the magic itself says what is missing (the task) instead of IPython's "Did you mean the line magic".

    Parameters
    ----------
    lines : list of str
        The cell's lines, each ending with a newline (IPython's ``input_transformers_cleanup`` protocol).

    Returns
    -------
    list of str
    """
    if lines and lines[0].startswith("%%codeact") and not lines[0].startswith("%%codeact?") \
            and not "".join(lines[1:]).strip():
        return [lines[0] if lines[0].endswith("\n") else lines[0] + "\n", "\n"]
    return lines


def load_ipython_extension(ipython: Any) -> None:
    """Register the magics and the frontend channel with ``ipython`` (``%load_ext codeact_magic``)."""
    from .magics import CodeActMagics

    if id(ipython) in _MAGICS:
        return
    magics = CodeActMagics(shell=ipython)
    ipython.register_magics(magics)
    if give_empty_cells_a_body not in ipython.input_transformers_cleanup:
        ipython.input_transformers_cleanup.append(give_empty_cells_a_body)
    ipython.configurables.append(magics)
    _MAGICS[id(ipython)] = magics


def unload_ipython_extension(ipython: Any) -> None:
    """Undo :func:`load_ipython_extension` (``%unload_ext codeact_magic``)."""
    magics = _MAGICS.pop(id(ipython), None)
    if magics is None:
        return
    magics.frontend.unregister()
    if give_empty_cells_a_body in ipython.input_transformers_cleanup:
        ipython.input_transformers_cleanup.remove(give_empty_cells_a_body)
    ipython.magics_manager.magics["line"].pop("codeact", None)
    ipython.magics_manager.magics["cell"].pop("codeact", None)
    if magics in ipython.configurables:
        ipython.configurables.remove(magics)


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where the prebuilt JupyterLab extension lives (for ``jupyter labextension develop``)."""
    return [{"src": "labextension", "dest": "codeact-magic"}]
