"""A local server that speaks the Messages API without prompt caching (as Ollama, llama.cpp's server or vLLM): a real
ipykernel points at it with the ``base_url`` and ``auth_token`` settings, and a stand-in in its no-caching mode
rejects ``cache_control`` with a 400 and reports no cache usage."""

from __future__ import annotations

import json

import pytest
from kernel_harness import Kernel
from standin import StandIn, turn

LOCAL_MODEL = "qwen3-coder:30b"  # no price: the cost reads "unknown"
LAST_RUN = "get_ipython().magics_manager.registry['CodeActMagics'].runs[-1].to_json()"


def has_cache_control(body) -> bool:
    return "cache_control" in json.dumps(body)


@pytest.fixture(scope="module")
def local():
    with StandIn(caching=False) as s:
        yield s


@pytest.fixture(scope="module")
def kernel(local, tmp_path_factory):
    # no key and no base URL in the environment: the settings alone reach the server
    k = Kernel({"ANTHROPIC_BASE_URL": None, "ANTHROPIC_API_KEY": None, "ANTHROPIC_AUTH_TOKEN": None},
               cwd=str(tmp_path_factory.mktemp("local")))
    for line in ("%load_ext codeact_magic", f"%config CodeActMagics.base_url = {local.url!r}",
                 "%config CodeActMagics.auth_token = 'ollama'", f"%config CodeActMagics.model = {LOCAL_MODEL!r}"):
        assert k.execute(line).status == "ok"
    yield k
    k.shutdown()


def test_a_run_works_without_caching_and_the_rejection_is_remembered(kernel, local):
    local.reset()
    local.enqueue(turn("Compute.", "answer = 2 + 2\nanswer"), turn("It is 4."))
    result = kernel.execute("%%codeact\nWhat is 2 + 2?")
    assert result.status == "ok", result.text
    bodies = [r.body for r in local.requests]
    assert len(bodies) == 3  # the first turn twice (with cache_control: 400, then without), then the second turn
    assert has_cache_control(bodies[0]) and not has_cache_control(bodies[1]) and not has_cache_control(bodies[2])
    assert local.requests[0].headers["authorization"] == "Bearer ollama"
    assert kernel.value("answer") == 4
    run = kernel.value(LAST_RUN)
    assert run["status"] == "done" and run["cost_usd"] is None
    usage = run["usage"]
    assert usage["cache_creation_input_tokens"] == 0 and usage["cache_read_input_tokens"] == 0
    assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0
    shown = result.text
    assert "cost unknown" in shown and "Traceback" not in shown
    # the kernel's session remembers: the next run sends no cache_control at all
    local.reset()
    local.enqueue(turn("Again.", "again = 1"), turn("Done."))
    assert kernel.execute("%%codeact\nOnce more.").status == "ok"
    assert len(local.requests) == 2 and not any(has_cache_control(r.body) for r in local.requests)


def test_runs_table_and_report_say_unknown_cost(kernel, local):
    result = kernel.execute("%codeact runs")
    assert result.status == "ok", result.text
    assert "unknown" in result.stdout
