"""Fixtures for tests that talk to the local Anthropic stand-in (``tests/standin.py``)."""
import importlib.metadata
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent)) if str(Path(__file__).parent) not in sys.path else None
from standin import StandIn  # noqa: E402

TEST_API_KEY = "sk-ant-test-0000"

#: The dependencies whose releases most often change what the tests see; the header names the ones tested.
REPORTED_DISTRIBUTIONS = ("anthropic", "ipykernel", "ipython", "jupyter_client", "jupyterlab", "nbclient", "nbformat",
                          "notebook", "traitlets")


def pytest_report_header(config):
    """One header line with the tested release of each of :data:`REPORTED_DISTRIBUTIONS`, so that a red run says
    which release broke it."""
    found = []
    for name in REPORTED_DISTRIBUTIONS:
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return "codeact-magic tested against: " + ", ".join(found)


@pytest.fixture
def standin():
    """A started `StandIn` with an empty queue, closed after the test."""
    with StandIn() as server:
        yield server


@pytest.fixture
def anthropic_env(standin, monkeypatch):
    """Point the SDK (``ANTHROPIC_BASE_URL``, ``ANTHROPIC_API_KEY``) at the `standin` fixture; returns it."""
    monkeypatch.setenv("ANTHROPIC_BASE_URL", standin.url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", TEST_API_KEY)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    return standin
