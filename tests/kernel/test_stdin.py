"""Code in a step that asks for input: ``input()`` and ``getpass.getpass()`` reach the client through the kernel's
stdin channel (``input_request``) and the reply is the step's; a ``getpass`` reply is a secret, masked in everything
that leaves the kernel; without stdin (``allow_stdin`` false, as nbclient and papermill send) the step fails at once.
A real ipykernel driven by ``jupyter_client``, against the stand-in Messages API over real HTTP, live and
``--isolated``."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import pytest

from kernel_harness import export_run, tool_results
from standin import turn

TOKEN = "tok-" + "Qm4rVx8ZpL2wNs6K"  # what the user types into getpass: no known key format, no secret name


def isolation_available() -> bool:
    from codeact_magic.confine import network_isolation

    return network_isolation() is None


def last_result(server) -> dict:
    """The last ``tool_result`` block the model was sent."""
    return tool_results(server.requests[-1])[-1]


def leaked(text: str, secret: str = TOKEN) -> bool:
    """Whether ``secret``, its base64 or hex form, or a 10-character piece of it is in ``text``."""
    raw = secret.encode()
    pieces = {secret[i:i + 10] for i in range(len(secret) - 9)}
    pieces |= {base64.b64encode(raw).decode()[:-4], raw.hex()}
    return any(p in text for p in pieces)


# -- the live kernel ---------------------------------------------------------------------------------------------
def test_input_in_a_step_is_answered_through_the_clients_stdin(kernel, server):
    server.enqueue(turn("Ask.", "column = input('Which column? ')\nprint('using', column)"), turn("Done."))
    result = kernel.execute("%%codeact\nAsk me which column to use.", stdin=["revenue"])
    assert result.status == "ok", result.text
    assert result.prompts == ["Which column? "]
    assert kernel.value("column") == "revenue"  # the reply is the code's
    # the model reads what was printed, then the exchange
    block = last_result(server)
    assert block["is_error"] is False
    assert block["content"] == "using revenue\ninput('Which column? ') was answered: 'revenue'"
    # neither the prompt nor the reply is one of the step's outputs (a notebook does not save the stdin box either)
    assert "Which column?" not in result.stdout
    run = kernel.value("get_ipython().magics_manager.registry['CodeActMagics'].runs[-1].to_json()")
    assert run["steps"][0]["outputs"] == [{"output_type": "stream", "name": "stdout", "text": "using revenue\n"}]


def test_two_questions_in_one_step_are_answered_in_order(kernel, server):
    server.enqueue(turn("Ask twice.", "a = input('First? ')\nb = input('Second? ')\nprint(a + b)"), turn("Done."))
    result = kernel.execute("%%codeact\nAsk two things.", stdin=lambda prompt: prompt[0].lower() * 3)
    assert result.status == "ok", result.text
    assert result.prompts == ["First? ", "Second? "]
    assert kernel.value("[a, b]") == ["fff", "sss"]
    assert last_result(server)["content"].splitlines() == [
        "fffsss", "input('First? ') was answered: 'fff'", "input('Second? ') was answered: 'sss'"]


def test_without_stdin_the_step_fails_at_once_and_the_model_reads_why(kernel, server):
    server.enqueue(turn("Ask.", "column = input('Which column? ')"),
                   turn("Again.", "import getpass\nsecret_reply = getpass.getpass('Token: ')"),
                   turn("I will pick one myself."))
    started = time.monotonic()
    result = kernel.execute("%%codeact\nAsk me which column.", timeout=60)  # allow_stdin false, as nbclient sends
    elapsed = time.monotonic() - started
    assert result.status == "ok", result.text
    assert elapsed < 10, elapsed  # nothing waited for an answer that cannot come
    assert result.prompts == []
    for i in (1, 2):
        block = tool_results(server.requests[i])[-1]
        assert block["is_error"] is True
        assert "StdinNotImplementedError" in block["content"] and "was answered" not in block["content"]
    run = kernel.value("get_ipython().magics_manager.registry['CodeActMagics'].runs[-1].to_json()")
    assert [s["status"] for s in run["steps"]] == ["error", "error"] and run["status"] == "done"
    assert kernel.value("'secret_reply' in globals()") is False


def test_a_getpass_reply_is_a_secret_everywhere(kernel, server, tmp_path):
    step = ("import base64, getpass\ntok = getpass.getpass('API token: ')\nprint('token is', tok)\n"
            "print('b64', base64.b64encode(tok.encode()).decode())\nprint('halves', tok[:8]); print(tok[8:])")
    server.enqueue(turn("Ask for it.", step), turn("Use it again.", "print('still', tok)\ntok"), turn("Done."))
    result = kernel.execute("%%codeact\nAsk me for the API token.", stdin=[TOKEN], metadata={"cellId": "cell-gp"})
    assert result.status == "ok", result.text
    assert result.prompts == ["API token: "]
    assert kernel.value("tok") == TOKEN  # the code got the real value
    # the step's live output, this step's and the next one's, is masked
    assert "token is <redacted>" in result.stdout and "still <redacted>" in result.stdout
    assert not leaked(json.dumps([m["content"] for m in result.messages]))
    # the model read the note, never the value
    first = tool_results(server.requests[1])[-1]["content"]
    assert first.splitlines()[0] == "token is <redacted>"
    assert first.splitlines()[-1] == "getpass('API token: ') was answered (a secret: masked everywhere)"
    assert not any(leaked(json.dumps(r.body)) for r in server.requests)
    # the frontend messages (the cells to insert, the run's events)
    assert result.codeact() and not leaked(json.dumps(result.codeact()))
    # the record: the reply is not kept, the outputs are masked
    run = kernel.value("get_ipython().magics_manager.registry['CodeActMagics'].runs[-1].to_json()")
    assert not leaked(json.dumps(run)) and "<redacted>" in json.dumps(run["steps"][0]["outputs"])
    # the run journal and the export
    cwd = Path(kernel.value("__import__('os').getcwd()"))
    journal = "".join(p.read_text() for p in (cwd / ".codeact" / "runs").glob("*"))
    assert journal and not leaked(journal)
    notebook, _ = export_run(kernel, tmp_path / "getpass.ipynb")
    text = (tmp_path / "getpass.ipynb").read_text()
    assert "<redacted>" in text and not leaked(text)


def test_waiting_for_the_answer_is_not_the_steps_running_time(kernel, server):
    server.enqueue(turn("Ask.", "late = input('Slowly? ')"), turn("Done."))

    def slow(prompt):
        time.sleep(3)
        return "in time"

    result = kernel.execute("%%codeact --timeout 2\nAsk me slowly.", stdin=slow)
    assert result.status == "ok", result.text
    assert kernel.value("late") == "in time"
    assert last_result(server)["is_error"] is False


def test_stop_while_a_question_waits_ends_the_step(kernel, server):
    server.enqueue(turn("Ask.", "never_answered = input('Anything? ')"), turn("Not reached."))

    def stop(prompt):
        kernel.interrupt()
        time.sleep(4)  # the reply comes after the step has ended: a stale one, dropped by the next question
        return "too late"

    started = time.monotonic()
    result = kernel.execute("%%codeact\nAsk and wait.", stdin=stop, timeout=60)
    assert result.status == "ok", result.text
    assert time.monotonic() - started < 30
    run = kernel.value("get_ipython().magics_manager.registry['CodeActMagics'].runs[-1].to_json()")
    assert run["status"] == "stopped" and [s["status"] for s in run["steps"]] == ["interrupted"]
    assert kernel.value("'never_answered' in globals()") is False
    # the kernel asks again afterwards, and gets the new answer
    assert kernel.execute("again = input('Again? ')", stdin=["fresh"]).status == "ok"
    assert kernel.value("again") == "fresh"


# -- isolated ------------------------------------------------------------------------------------------------------
isolated = pytest.mark.skipif(not isolation_available(), reason="no network namespace on this machine")


@isolated
def test_isolated_input_is_forwarded_to_the_user_and_answered(kernel, server):
    step = ("import getpass\nsandbox_column = input('Which column? ')\nkey = getpass.getpass('Sandbox key: ')\n"
            "print('using', sandbox_column, 'with', key)")
    server.enqueue(turn("Ask.", step), turn("Again.", "print(sandbox_column, key)"), turn("Done."))
    answers = {"Which column? ": "profit", "Sandbox key: ": TOKEN}

    def slowly(prompt):
        time.sleep(2.5 if prompt == "Which column? " else 0)  # longer than the timeout: waiting is not running
        return answers[prompt]

    result = kernel.execute("%%codeact --isolated --timeout 2\nAsk me.", stdin=slowly)
    assert result.status == "ok", result.text
    assert result.prompts == ["Which column? ", "Sandbox key: "]
    first = tool_results(server.requests[1])[-1]
    assert first["is_error"] is False
    assert first["content"].splitlines() == [
        "using profit with <redacted>", "input('Which column? ') was answered: 'profit'",
        "getpass('Sandbox key: ') was answered (a secret: masked everywhere)"]
    assert last_result(server)["content"] == "profit <redacted>"  # the sandbox kept both
    assert kernel.value("'sandbox_column' in globals()") is False  # it ran in the sandbox, not here
    assert not any(leaked(json.dumps(r.body)) for r in server.requests)
    assert not leaked(json.dumps([m["content"] for m in result.messages]))
    run = kernel.value("get_ipython().magics_manager.registry['CodeActMagics'].runs[-1].to_json()")
    assert not leaked(json.dumps(run))


@isolated
def test_isolated_without_stdin_fails_at_once(kernel, server):
    server.enqueue(turn("Ask.", "column = input('Which column? ')"), turn("I will choose."))
    started = time.monotonic()
    result = kernel.execute("%%codeact --isolated\nAsk me.", timeout=90)
    assert result.status == "ok", result.text
    assert result.prompts == []
    block = tool_results(server.requests[1])[-1]
    assert block["is_error"] is True and "StdinNotImplementedError" in block["content"]
    assert time.monotonic() - started < 30  # a sandbox's start included; the step itself did not wait
    run = kernel.value("get_ipython().magics_manager.registry['CodeActMagics'].runs[-1].to_json()")
    assert run["steps"][0]["duration_s"] < 5


@pytest.fixture(scope="module")
def gateway():
    pytest.importorskip("jupyter_server")
    pytest.importorskip("kernel_gateway")
    from gateway_server import GatewayServer

    with GatewayServer() as server:
        yield server


@pytest.mark.timeout(300)
def test_a_gateway_kernels_input_is_forwarded_too(kernel, server, gateway):
    server.enqueue(turn("Ask.", "remote_column = input('Which column? ')\nprint('remote', remote_column)"),
                   turn("Done."))
    result = kernel.execute(f"%%codeact --gateway {gateway.url}\nAsk me.", stdin=["margin"], timeout=180)
    assert result.status == "ok", result.text
    assert result.prompts == ["Which column? "]
    assert last_result(server)["content"] == "remote margin\ninput('Which column? ') was answered: 'margin'"
    assert gateway.kernel_ids() == []


# -- terminal IPython ------------------------------------------------------------------------------------------------
def run_in_a_terminal(argv: list[str], env: dict[str, str], cwd: Path, answers: dict[str, str],
                      timeout: float = 120) -> str:
    """Run ``argv`` on a new pseudo-terminal (its controlling terminal, so ``getpass`` reads ``/dev/tty``), typing
    ``answers[prompt]`` when the terminal shows ``prompt`` last (it waits for it); everything the terminal showed."""
    import fcntl
    import os
    import pty
    import select
    import subprocess
    import termios

    master, slave = pty.openpty()
    child = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd, start_new_session=True,
                             preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
    os.close(slave)
    shown, pending, deadline = "", dict(answers), time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                shown += chunk.decode("utf-8", "replace")
            for prompt in [p for p in pending if shown.endswith(p)]:  # asked now, not just listed in the code
                os.write(master, (pending.pop(prompt) + "\n").encode())
            if child.poll() is not None and not ready:
                break
    finally:
        os.close(master)
        if child.poll() is None:
            child.kill()
        child.wait(10)
    return shown


def test_terminal_ipython_asks_on_the_terminal(tmp_path):
    import os
    import sys

    from standin import StandIn

    step = ("import getpass\nplace = input('Which column? ')\nterm_token = getpass.getpass('Token: ')\n"
            "print('got', place, term_token)")
    (tmp_path / "work").mkdir()
    with StandIn() as standin:
        standin.enqueue(turn("Ask.", step), turn("Done."))
        env = {"ANTHROPIC_BASE_URL": standin.url, "ANTHROPIC_API_KEY": "sk-ant-test-0000", "PATH": "/usr/bin:/bin",
               "HOME": str(tmp_path), "IPYTHONDIR": str(tmp_path / "ipython"), "TERM": "dumb",
               "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
        shown = run_in_a_terminal([sys.executable, "-m", "IPython", "--colors=NoColor", "--ext", "codeact_magic",
                                   "-c", "%%codeact\nAsk me."], env, tmp_path / "work",
                                  {"Which column? ": "revenue", "Token: ": TOKEN})
        sent = [r.body for r in standin.requests]
    assert "got revenue <redacted>" in shown, shown
    assert "Which column? revenue" in shown  # the prompt and the typed answer, echoed by the terminal
    assert not leaked(shown) and not leaked(json.dumps(sent))  # getpass turned the echo off
    # neither prompt is one of the step's outputs: the model reads what the code printed, then the exchanges
    assert tool_results(standin.requests[-1])[-1]["content"].splitlines() == [
        "got revenue <redacted>", "input('Which column? ') was answered: 'revenue'",
        "getpass('Token: ') was answered (a secret: masked everywhere)"]
