"""The extension's jest suite (``labextension/test``: protocol against the shared schema and fixtures, ordering,
de-duplication, runs), run from pytest so that the project's one test command covers the TypeScript logic too.

Needs Node and the extension's ``node_modules`` (``pip install -e .`` creates them). Skips without them, or fails
when ``CODEACT_REQUIRE_UI=1`` (CI).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

LABEXTENSION = Path(__file__).resolve().parents[2] / "labextension"


def test_jest_suite_passes():
    why = None
    if shutil.which("npm") is None:
        why = "npm is not installed"
    elif not (LABEXTENSION / "node_modules" / ".bin" / "jest").exists():
        why = "labextension/node_modules is missing (pip install -e . or npm ci in labextension/)"
    if why:
        if os.environ.get("CODEACT_REQUIRE_UI") == "1":
            pytest.fail(f"jest required (CODEACT_REQUIRE_UI=1) but {why}")
        pytest.skip(why)
    result = subprocess.run(["npm", "test", "--", "--ci"], cwd=LABEXTENSION, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "failed" not in result.stderr.split("Tests:")[-1].split("\n")[0], result.stderr[-2000:]
