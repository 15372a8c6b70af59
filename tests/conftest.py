"""Fixtures for tests that talk to the local Anthropic stand-in (``tests/standin.py``)."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent)) if str(Path(__file__).parent) not in sys.path else None
from standin import StandIn  # noqa: E402
from versions import tested_versions  # noqa: E402

TEST_API_KEY = "sk-ant-test-0000"


def pytest_report_header(config):
    """The tested releases (``versions.py``), one line at the top of every run."""
    return "codeact-magic tested against: " + tested_versions()


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
