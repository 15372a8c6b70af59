"""%%codeact in terminal IPython (no kernel, no frontend): a plain-text run display."""

import os
import subprocess
import sys

from standin import StandIn, turn


def test_terminal_ipython_shows_the_run_as_plain_text(tmp_path):
    with StandIn() as server:
        server.enqueue(turn("Computing.", "answer = 6 * 7\nprint('answer', answer)"), turn("It is **42**."))
        env = {"ANTHROPIC_BASE_URL": server.url, "ANTHROPIC_API_KEY": "sk-ant-test-0000", "PATH": "/usr/bin:/bin",
               "HOME": str(tmp_path), "IPYTHONDIR": str(tmp_path / "ipython")}
        if "PYTHONPATH" in os.environ:
            env["PYTHONPATH"] = os.environ["PYTHONPATH"]
        done = subprocess.run([sys.executable, "-m", "IPython", "--colors=NoColor", "--ext", "codeact_magic",
                               "-c", "%%codeact\nWhat is 6*7?"],
                              capture_output=True, text=True, timeout=120, env=env)
    out = done.stdout
    assert "[codeact] run r-" in out and "--- Step 1" in out and "answer 42" in out
    assert "It is **42**." in out
    assert "[codeact] done · step 1 of 20" in out
    assert "text/html" not in out and "<div" not in out
    assert "sk-ant-test-0000" not in out + done.stderr
