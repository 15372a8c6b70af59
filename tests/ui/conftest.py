"""Fixtures of the browser tests: the stand-in Messages API with scripted runs, a ``jupyter lab`` whose kernels use
it, and Debian's Chromium driven by Playwright. Screenshots and the server log go to ``tests/ui/artifacts/``.

Without Chromium, Playwright or the installed extension the tests skip, or fail when ``CODEACT_REQUIRE_UI=1`` (CI).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from lab import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, LabServer, copy_log, missing_requirements  # noqa: E402
from scripts import SCRIPTS, SERVICE_TOKEN  # noqa: E402

TEST_API_KEY = "sk-ant-test-0000"


@pytest.fixture(scope="session")
def ui_ready():
    why = missing_requirements()
    if why:
        if os.environ.get("CODEACT_REQUIRE_UI") == "1":
            pytest.fail(f"UI tests required (CODEACT_REQUIRE_UI=1) but {why}")
        pytest.skip(why)


@pytest.fixture(scope="module")
def model_server(ui_ready):
    from standin import StandIn

    with StandIn(scripts=SCRIPTS, latency=0.2) as server:
        yield server


@pytest.fixture(scope="module")
def lab(model_server, tmp_path_factory, request):
    env = {"ANTHROPIC_BASE_URL": model_server.url, "ANTHROPIC_API_KEY": TEST_API_KEY, "ANTHROPIC_AUTH_TOKEN": None,
           "SERVICE_TOKEN": SERVICE_TOKEN}
    server = LabServer(tmp_path_factory.mktemp("lab"), env)
    yield server
    server.close()
    copy_log(server, f"{request.module.__name__.rsplit('.', 1)[-1]}-server.log")


@pytest.fixture(scope="module")
def browser(ui_ready):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    messages: list[str] = []
    page.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
    yield page
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        try:
            page.screenshot(path=str(ARTIFACTS / f"FAILED-{request.node.name}.png"))
        except Exception:  # noqa: BLE001
            pass
        (ARTIFACTS / f"FAILED-{request.node.name}-console.txt").write_text("\n".join(messages))
    context.close()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
