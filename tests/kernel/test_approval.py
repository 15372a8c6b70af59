"""``--approve``: the question goes through the kernel's stdin (``input_request``), in a real ipykernel driven by
``jupyter_client`` with ``allow_stdin``, against the stand-in Messages API over real HTTP."""

from __future__ import annotations

from kernel_harness import export_run, tool_results
from standin import turn


def results_text(server, index: int) -> list[str]:
    """The ``tool_result`` contents of the stand-in's request ``index``."""
    return [r["content"] for r in tool_results(server.requests[index])]


def test_y_n_a_answers_run_skip_and_approve_the_rest(kernel, server, tmp_path):
    server.enqueue(turn("One.", "a1 = 1"), turn("Two.", "a2 = 2"), turn("Three.", "a3 = 3"), turn("Four.", "a4 = 4"),
                   turn("Done."))
    result = kernel.execute("%%codeact --approve always\nSet four variables.",
                            stdin=["y", "n not that one", "a"])
    assert result.status == "ok", result.text
    assert len(result.prompts) == 3  # the fourth step was approved by `a`
    assert all(p.startswith("Run step ") and "[y run it" in p for p in result.prompts)
    assert [kernel.value(f"'a{i}' in globals()") for i in range(1, 5)] == [True, False, True, True]
    declined = results_text(server, 2)[0]
    assert "declined" in declined and "not that one" in declined
    run = kernel.value("get_ipython().magics_manager.registry['CodeActMagics'].runs[-1].to_json()")
    approvals = [s["approval"] for s in run["steps"]]
    assert [(a["asked"], a["answer"]) for a in approvals] == [(True, "y"), (True, "n"), (True, "a"), (False, "a")]
    assert approvals[1]["reason"] == "not that one" and run["steps"][1]["status"] == "declined"
    assert run["status"] == "done" and run["approve"] == "always"
    # the export keeps each decision, and the declined step is shown, not run
    notebook, _ = export_run(kernel, tmp_path / "approved.ipynb")
    steps = [c for c in notebook.cells if c.metadata.get("codeact", {}).get("role") == "step"]
    assert [c.cell_type for c in steps] == ["code", "markdown", "code", "code"]
    assert steps[1].source.startswith("*Step 2 was not run: declined by the user: not that one.*")
    assert steps[0].metadata["codeact"]["approval"]["answer"] == "y"


def test_q_stops_the_run_before_the_step_runs(kernel, server):
    server.enqueue(turn("First.", "q1 = 1"), turn("Second.", "q2 = 2"), turn("Done."))
    result = kernel.execute("%%codeact --approve always\nTwo steps.", stdin=["y", "q"])
    assert result.status == "ok", result.text
    assert kernel.value("['q1' in globals(), 'q2' in globals()]") == [True, False]
    run = kernel.value("get_ipython().magics_manager.registry['CodeActMagics'].runs[-1].to_json()")
    assert run["status"] == "stopped" and len(server.requests) == 2
    assert run["steps"][-1]["approval"]["answer"] == "q"


def test_an_unclear_answer_is_asked_again(kernel, server):
    server.enqueue(turn("One.", "u1 = 1"), turn("Done."))
    result = kernel.execute("%%codeact --approve always\nOne step.", stdin=["maybe", "yes"])
    assert result.status == "ok", result.text
    assert len(result.prompts) == 2 and result.prompts[1].startswith("Please answer y, n")
    assert kernel.value("u1") == 1


def test_risky_asks_for_a_shell_escape_and_a_deletion_but_not_for_a_computation(kernel, server, tmp_path):
    kernel.execute(f"import os\nos.chdir({str(tmp_path)!r})\nopen('old.csv', 'w').write('x')\ntotal = 10")
    server.enqueue(turn("Compute.", "mean = sum([1, 2, 3]) / 3\nmean"),
                   turn("Shell.", "!echo from-the-shell"),
                   turn("Delete.", "import os\nos.remove('old.csv')"),
                   turn("Rebind.", "total = 0"),
                   turn("Done."))
    result = kernel.execute("%%codeact --approve risky\nTidy up.", stdin=["y", "y", "n keep it"])
    assert result.status == "ok", result.text
    assert len(result.prompts) == 3, result.prompts
    assert "shell" in result.prompts[0] and "echo from-the-shell" in result.prompts[0]
    assert "os.remove" in result.prompts[1] and "old.csv" in result.prompts[1]
    assert "total" in result.prompts[2]
    assert kernel.value("mean") == 2.0 and kernel.value("total") == 10
    assert not (tmp_path / "old.csv").exists()
    run = kernel.value("get_ipython().magics_manager.registry['CodeActMagics'].runs[-1].to_json()")
    flagged = [[f["kind"] for f in s["approval"]["flagged"]] for s in run["steps"]]
    assert flagged[0] == [] and "shell" in flagged[1] and "file_delete" in flagged[2] and "rebind" in flagged[3]
    assert run["steps"][0]["approval"]["asked"] is False
    assert "from-the-shell" in results_text(server, 2)[0]


def test_without_stdin_approval_fails_before_anything_runs(kernel, server):
    server.enqueue(turn("Never asked.", "never = 1"), turn("Done."))
    result = kernel.execute("%%codeact --approve risky\nAnything.")  # allow_stdin false, as nbclient sends
    assert result.status == "error"
    assert result.error["ename"] == "UsageError"
    assert "--approve risky" in result.error["evalue"] and "--approve never" in result.error["evalue"]
    assert len(result.error["evalue"].splitlines()) == 1
    assert server.requests == [] and kernel.value("'never' in globals()") is False
