"""The files each step touched (in the user's kernel) and ``%codeact report``, in a real ipykernel against the
stand-in Messages API over real HTTP."""

from __future__ import annotations

import os

from kernel_harness import Kernel, export_run, tool_results
from standin import turn


def test_each_step_records_the_files_it_created_modified_and_deleted(kernel, server, tmp_path):
    kernel.execute(f"import os\nos.chdir({str(tmp_path)!r})\nopen('data.csv', 'w').write('a\\n1\\n')\n"
                   "open('old.txt', 'w').write('old')")
    server.enqueue(turn("Write.", "open('results.csv', 'w').write('x' * 12000)"),
                   turn("Change and delete.", "open('data.csv', 'a').write('2\\n')\nimport os\nos.remove('old.txt')"),
                   turn("Nothing.", "1 + 1"),
                   turn("Done."))
    result = kernel.execute("%%codeact\nShuffle files.")
    assert result.status == "ok", result.text
    first, second = tool_results(server.requests[1])[0], tool_results(server.requests[2])[0]
    assert first["content"].endswith("files: + results.csv 12 KB")
    assert second["content"].endswith("files: ~ data.csv 6 B, - old.txt")
    assert "files:" not in tool_results(server.requests[3])[0]["content"]
    run = kernel.value("get_ipython().magics_manager.registry['CodeActMagics'].runs[-1].to_json()")
    assert run["steps"][0]["files"] == {"changes": [{"path": "results.csv", "change": "created", "size": 12000}],
                                        "complete": True, "reason": None}
    assert run["steps"][2]["files"] is None
    # the panel's run summary holds the run's files, each once
    summary = result.codeact("run")[-1]["run"]
    assert [(c["path"], c["change"]) for c in summary["files"]["changes"]] == [
        ("results.csv", "created"), ("data.csv", "modified"), ("old.txt", "deleted")]
    notebook, _ = export_run(kernel, tmp_path / "files.ipynb")
    steps = [c for c in notebook.cells if c.metadata.get("codeact", {}).get("role") == "step"]
    assert steps[1].metadata["codeact"]["files"]["changes"][1] == {"path": "old.txt", "change": "deleted",
                                                                    "size": None}


def test_a_scan_cut_short_says_so(kernel, server, tmp_path):
    kernel.execute(f"import os\nos.chdir({str(tmp_path)!r})\nfor i in range(30): open(f'f{{i:02}}.txt', 'w')\n"
                   "get_ipython().magics_manager.registry['CodeActMagics'].files_max = 10")
    server.enqueue(turn("Write.", "open('a_new.txt', 'w').write('new')"), turn("Done."))
    try:
        result = kernel.execute("%%codeact\nWrite one.")
    finally:
        kernel.execute("get_ipython().magics_manager.registry['CodeActMagics'].files_max = 20000")
    assert result.status == "ok", result.text
    content = tool_results(server.requests[1])[0]["content"]
    assert content.endswith("files: + a_new.txt 3 B (scan cut short: stopped at 10 files)")


def test_report_gives_the_figures_and_a_dataframe(server, tmp_path):
    env = {"ANTHROPIC_BASE_URL": server.url, "ANTHROPIC_API_KEY": "sk-ant-test-0000"}
    earlier = Kernel(env, cwd=str(tmp_path))  # a run of another kernel, in the same directory's journal
    try:
        assert earlier.execute("%load_ext codeact_magic").status == "ok"
        server.enqueue(turn("Fail.", "1 / 0"), turn("Done after an error."))
        assert earlier.execute("%%codeact\nDivide.").status == "ok"
    finally:
        earlier.shutdown()
    kernel = Kernel(env, cwd=str(tmp_path))
    try:
        assert kernel.execute("%load_ext codeact_magic").status == "ok"
        empty = kernel.execute("%codeact report")
        assert "No runs yet." in empty.stdout and not empty.outputs("execute_result")
        server.enqueue(turn("Name.", "undefined_name"), turn("Fixed.", "ok = 1"), turn("Done."))
        assert kernel.execute("%%codeact\nTwo steps.").status == "ok"
        mine = kernel.execute("%codeact report")
        assert mine.status == "ok", mine.text
        text = mine.stdout
        assert text.startswith("Runs of this kernel") and "1 run, 2 steps" in text
        assert "NameError" in text and "ZeroDivisionError" not in text
        assert "with an error     1  50.0% of steps" in text
        frame = mine.outputs("execute_result")[0]["content"]["data"]
        assert "text/html" in frame and "run_id" in frame["text/plain"]
        every = kernel.execute("%codeact report --all").stdout
        assert "2 runs, 3 steps" in every and "ZeroDivisionError" in every and "NameError" in every
        assert kernel.value("len(_)") == 2  # the DataFrame: one row per run
        bad = kernel.execute("%codeact report extra")
        assert bad.status == "error" and "Usage: %codeact report [--all]" in bad.error["evalue"]
    finally:
        kernel.shutdown()
    assert os.path.isdir(tmp_path / ".codeact" / "runs")
