"""The committed ``labextension/package-lock.json`` is one that ``npm ci`` installs from on every platform, and that
``npm install`` leaves as it is: it lists every optional dependency of every locked package (the platform builds of
rspack, unrs-resolver, ...), not only those of the machine that wrote it. A lock pruned to one platform made
``pip install -e .`` rewrite it on a fresh clone, and made ``npm ci`` refuse it."""

import json
from pathlib import Path

LABEXTENSION = Path(__file__).resolve().parents[2] / "labextension"


def _lock():
    return json.loads((LABEXTENSION / "package-lock.json").read_text())


def _resolves(packages, dependent_path, name):
    """Whether ``name`` resolves from ``dependent_path`` as Node's lookup does: nested ``node_modules`` first, then up."""
    base = dependent_path
    while True:
        candidate = f"{base}/node_modules/{name}" if base else f"node_modules/{name}"
        if candidate in packages:
            return True
        if not base:
            return False
        base = base.rpartition("/node_modules/")[0]  # the dependent's own parent package, "" at the top


def test_lock_is_version_3_and_matches_package_json():
    lock = _lock()
    manifest = json.loads((LABEXTENSION / "package.json").read_text())
    assert lock["lockfileVersion"] == 3
    root = lock["packages"][""]
    assert root["dependencies"] == manifest["dependencies"]
    assert root["devDependencies"] == manifest["devDependencies"]


def test_every_optional_dependency_of_every_platform_is_locked():
    packages = _lock()["packages"]
    missing = [
        f"{path} -> {name}"
        for path, entry in packages.items()
        if path
        for name in entry.get("optionalDependencies", {})
        if not _resolves(packages, path, name)
    ]
    assert missing == [], f"{len(missing)} optional dependencies are not in the lock (run npm install in labextension/)"
