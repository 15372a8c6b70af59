"""What a step writes, however it writes it, reaches the cell, the record and the model: in a real ipykernel.

Covers output written to the process's file descriptors (``os.system``, a child process, C ``printf``), ``\\r``
progress bars, deep recursion, lone surrogates and the redactor interface. Speed is measured by
``benchmarks/bench_output.py``, not here.
"""

import json


from kernel_harness import export_run, tool_results
from standin import turn


def exported(kernel, path):
    notebook, run = export_run(kernel, path)
    return [c for c in notebook.cells if c.cell_type == "code"], run


def streams(cell, name):
    return "".join(o["text"] for o in cell.outputs if o["output_type"] == "stream" and o["name"] == name)


def test_output_written_to_the_file_descriptors_is_captured_in_order(kernel, server, tmp_path):
    code = ("import ctypes, os, subprocess\nprint('py-1')\nos.system('echo fd-system')\n"
            "subprocess.run(['sh', '-c', 'echo fd-sub; echo fd-err >&2'])\nprint('py-2')\n"
            "ctypes.CDLL(None).printf(b'c-printf\\n')\n"
            "lingering = subprocess.Popen(['sleep', '30'])  # holds the step's stdout after the step\nprint('py-3')")
    server.enqueue(turn("Write everywhere.", code), turn("Done."))
    result = kernel.execute("%%codeact\nWrite everywhere", timeout=60)
    kernel.execute("lingering.kill()")
    assert result.status == "ok", result.text
    content = tool_results(server.requests[1])[0]["content"]
    for text in ("py-1", "fd-system", "fd-sub", "py-2", "c-printf", "py-3", "fd-err"):
        assert text in content, content
        assert text in result.text  # shown live too
    steps, run = exported(kernel, tmp_path / "fd.ipynb")
    stdout = streams(steps[0], "stdout")
    positions = [stdout.index(text) for text in ("py-1", "fd-system", "fd-sub", "py-2", "py-3")]
    assert positions == sorted(positions), stdout
    assert "c-printf" in stdout and streams(steps[0], "stderr") == "fd-err\n"
    assert run["steps"][0]["duration_s"] < 10  # the lingering child did not hold the step


def test_a_progress_bar_reaches_the_model_and_the_record_as_its_final_state(kernel, server, tmp_path):
    code = ("import sys\nfor i in range(10_000):\n    sys.stderr.write(f'\\rprogress {i:5d}/10000')\n"
            "sys.stderr.write('\\n')\nprint('windows line\\r\\nnext line')\nprint('overwritten\\rfinal')")
    server.enqueue(turn("Progress.", code), turn("Done."))
    assert kernel.execute("%%codeact\nShow progress", timeout=60).status == "ok"
    content = tool_results(server.requests[1])[0]["content"]
    assert "progress  9999/10000" in content and "progress  5000" not in content and len(content) < 300
    steps, _ = exported(kernel, tmp_path / "progress.ipynb")
    assert streams(steps[0], "stderr") == "progress  9999/10000\n"
    assert streams(steps[0], "stdout") == "windows line\nnext line\nfinal\n"


def test_deep_recursion_is_collapsed_for_the_model_and_quick(kernel, server, tmp_path):
    direct = "def down(n):\n    return down(n + 1)\ndown(0)"
    cycle = "def ping(n):\n    return pong(n + 1)\ndef pong(n):\n    return ping(n + 1)\nping(0)"
    server.enqueue(turn("Recurse.", direct), turn("Again, in a cycle.", cycle), turn("Done."))
    assert kernel.execute("%%codeact\nRecurse", timeout=120).status == "ok"
    for request in server.requests[1:3]:
        fed_back = tool_results(request)[0]
        content = fed_back["content"]
        assert fed_back["is_error"] is True and "RecursionError" in content
        assert "repeated" in content and len(content) < 1_000, content
    steps, run = exported(kernel, tmp_path / "recursion.ipynb")
    # IPython formats these tracebacks in seconds when inspect rescans sys.modules for every frame; a step does not
    assert all(step["duration_s"] < 5 for step in run["steps"]), run["steps"]


def test_lone_surrogates_do_not_break_the_run_or_the_record(kernel, server, tmp_path):
    show = ("class Odd:\n    def __repr__(self):\n        return 'odd \\udcff'\n"
            "print('bad \\udcff text')\ndisplay(Odd())\nOdd()")
    server.enqueue(turn("Print it.", show), turn("Raise it.", "raise ValueError('bad \\ud800 value')"), turn("Done."))
    result = kernel.execute("%%codeact\nSurrogates", timeout=60)
    assert result.status == "ok", result.text
    first = tool_results(server.requests[1])[0]["content"]
    assert "bad \ufffd text" in first and "odd \ufffd" in first
    assert "ValueError: bad \ufffd value" in tool_results(server.requests[2])[0]["content"]
    path = tmp_path / "surrogates.ipynb"
    steps, run = exported(kernel, path)
    assert run["status"] == "done"
    path.read_bytes().decode("utf-8")  # strict: no surrogate escapes in the file
    assert "\ufffd" in json.dumps([c.outputs for c in steps], ensure_ascii=False)


FAKE_REDACTOR = '''
from codeact_magic.execution import LiveExecutor

SECRET = "hunter2-sekrit-value"

def _scrub(text):
    return text.replace(SECRET, "<redacted>")

class _Filter:
    def __init__(self):
        self.held = ""
    def feed(self, text):
        text = _scrub(self.held + text)
        keep = next((n for n in range(min(len(SECRET) - 1, len(text)), 0, -1) if SECRET.startswith(text[-n:])), 0)
        self.held = text[len(text) - keep:] if keep else ""
        return text[:len(text) - keep] if keep else text
    def flush(self):
        held, self.held = self.held, ""
        return held

class FakeRedactor:
    def __init__(self):
        self.refreshed = 0
    def stream(self):
        return _Filter()
    def text(self, text):
        return _scrub(text)
    def outputs(self, outputs):
        for o in outputs:
            if "text" in o:
                o["text"] = _scrub(o["text"])
            for mime, value in o.get("data", {}).items():
                if mime.startswith("text/"):
                    o["data"][mime] = _scrub(value)
            if o["output_type"] == "error":
                o["evalue"] = _scrub(o["evalue"])
                o["traceback"] = [_scrub(line) for line in o["traceback"]]
        return outputs
    def bundle(self, data):
        return {k: _scrub(v) if k.startswith("text/") else v for k, v in data.items()}
    def exact(self, text):
        return _scrub(text)
    def mark_clean(self, obj):
        pass
    def refresh(self, user_ns):
        self.refreshed += 1
        return self.refreshed == 2  # "a secret appeared during the step": the recorded streams are scanned again

fake = FakeRedactor()
executor = LiveExecutor(get_ipython(), redactor=fake)
'''


def test_the_redactor_scrubs_what_is_shown_live_and_what_is_recorded(kernel):
    assert kernel.execute(FAKE_REDACTOR).status == "ok"
    # the secret is never a literal of the step, so the source lines a traceback shows (IPython 9 shows more of
    # them than 8) hold none of it
    step = ("import os\nfrom IPython.display import HTML, display\nprint(SECRET[:11], end='')\n"
            "print(SECRET[11:] + ' in two writes')\nos.system('echo fd ' + SECRET)\n"
            "display(HTML('<b>' + SECRET + '</b>'))\nraise ValueError(SECRET)")
    cell = kernel.execute(f"step = executor.execute({step!r})\nimport json\n"
                          "print(json.dumps([step.status, step.outputs, step.error_text, fake.refreshed]))")
    assert cell.status == "ok", cell.text
    shown = json.dumps([m["content"] for m in cell.outputs()])
    assert "hunter2-sekrit-value" not in shown
    status, outputs, error_text, refreshed = json.loads(cell.stdout.strip().splitlines()[-1])
    recorded = json.dumps(outputs) + error_text
    assert status == "error" and "hunter2" not in recorded and recorded.count("<redacted>") >= 4
    assert "rit-value in two writes" not in recorded and refreshed >= 2
