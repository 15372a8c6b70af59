"""The build function that ``pyproject.toml`` gives hatch-jupyter-builder: install the extension's npm packages
exactly as ``package-lock.json`` locks them (``npm ci``), then run the build script.

hatch-jupyter-builder's own ``npm_builder`` (0.10) always runs ``npm install``, which re-resolves the tree and
rewrites the lock file whenever it is not byte-for-byte what this npm would write, so a fresh clone was dirty after
``pip install -e .``. ``npm ci`` never writes the lock file and fails when it does not match ``package.json``, so a
stale lock is an error at build time instead of a silent upgrade. Everything else (``--skip-npm``,
``HATCH_JUPYTER_BUILDER_SKIP_NPM=1``, the staleness check of ``source_dir`` against ``build_dir``, the command echo)
is hatch-jupyter-builder's, called from its ``utils`` module.

This file is read by the build backend only (``build-function = "labextension.npm_ci.npm_ci_builder"``); the package
never imports it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from hatch_jupyter_builder.utils import is_stale, normalize_cmd, run

__all__ = ["npm_ci_builder"]


def _installed_as_locked(package_dir: Path) -> bool:
    """Whether ``node_modules`` was installed after the last change of ``package.json`` and ``package-lock.json``.

    npm writes ``node_modules/.package-lock.json`` (its "hidden lockfile") at the end of every install, so its
    mtime is the time of the last install.
    """
    hidden = package_dir / "node_modules" / ".package-lock.json"
    if not hidden.exists():
        return False
    installed = hidden.stat().st_mtime
    return all((package_dir / name).stat().st_mtime <= installed for name in ("package.json", "package-lock.json"))


def npm_ci_builder(
    target_name: str,
    version: str,
    path: str = ".",
    build_dir: str | None = None,
    source_dir: str | None = None,
    build_cmd: str | None = "build",
    force: bool = False,
    npm: str | list[str] | None = None,
    editable_build_cmd: str | None = None,
) -> None:
    """Install with ``npm ci`` (when ``node_modules`` is missing or older than the lock), then ``npm run build_cmd``.

    Parameters are those of ``hatch_jupyter_builder.npm_builder``, as ``[tool.hatch.build.hooks.jupyter-builder.
    build-kwargs]`` passes them.

    Parameters
    ----------
    target_name : str
        ``"wheel"`` or ``"sdist"`` (unused, as in ``npm_builder``).
    version : str
        ``"standard"`` or ``"editable"``; an editable build runs ``editable_build_cmd`` when given.
    path : str
        The directory holding ``package.json`` and ``package-lock.json``.
    build_dir, source_dir : str, optional
        When both are given (and not ``force``), nothing runs unless a file under ``source_dir`` is newer than
        everything under ``build_dir``.
    build_cmd : str or None
        The ``package.json`` script to run after the install.
    force : bool
        Build even when ``build_dir`` is up to date.
    npm : str or list of str, optional
        The npm executable (default ``npm``).
    editable_build_cmd : str, optional
        The script to run instead of ``build_cmd`` for an editable install.

    Raises
    ------
    FileNotFoundError
        If ``path`` has no ``package-lock.json`` (``npm ci`` needs one; it is committed).
    subprocess.CalledProcessError
        If ``npm ci`` fails (for example when the lock file and ``package.json`` disagree) or the build fails.
    """
    if "--skip-npm" in sys.argv or os.environ.get("HATCH_JUPYTER_BUILDER_SKIP_NPM") == "1":
        if "--skip-npm" in sys.argv:
            sys.argv.remove("--skip-npm")
        return
    package_dir = Path(path).resolve()
    if not (package_dir / "package-lock.json").exists():
        raise FileNotFoundError(f"{package_dir / 'package-lock.json'} is missing: npm ci installs from it.")
    if version == "editable" and editable_build_cmd:
        build_cmd = editable_build_cmd
    if build_dir and source_dir and not force and not is_stale(build_dir, source_dir):
        return
    npm_cmd = normalize_cmd(npm or "npm")
    if not _installed_as_locked(package_dir):
        run([*npm_cmd, "ci", "--no-audit", "--no-fund"], cwd=str(package_dir))
    if build_cmd:
        run([*npm_cmd, "run", build_cmd], cwd=str(package_dir))
