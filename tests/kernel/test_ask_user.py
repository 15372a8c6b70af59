"""The ``ask_user`` tool: the model asks one short question through the kernel's stdin (``input_request``), in a real
ipykernel driven by ``jupyter_client``, against the stand-in Messages API over real HTTP."""

from __future__ import annotations

from kernel_harness import export_run, tool_results
from standin import turn

LAST_RUN = "get_ipython().magics_manager.registry['CodeActMagics'].runs[-1].to_json()"


def ask(question: str) -> dict:
    return {"name": "ask_user", "input": {"question": question}}


def test_the_question_reaches_the_user_and_the_reply_goes_back_to_the_model(kernel, server, tmp_path):
    server.enqueue(turn("Which year do you mean?", tool_uses=[ask("Which fiscal year: 2024 or 2025?")]),
                   turn("Using it.", "year = 2025"),
                   turn("Done: `year` is 2025."))
    result = kernel.execute("%%codeact\nRevenue for the fiscal year.", stdin=["2025, the current one"])
    assert result.status == "ok", result.text
    assert result.prompts == ["Claude asks: Which fiscal year: 2024 or 2025?\nYour answer: "]
    answer = tool_results(server.requests[1])[0]
    assert answer["content"] == "The user answered: 2025, the current one" and not answer.get("is_error")
    tools = [t["name"] for t in server.requests[0].body["tools"]]
    assert tools == ["python", "ask_user"]
    run = kernel.value(LAST_RUN)
    assert [(q["question"], q["answer"]) for q in run["questions"]] == [
        ("Which fiscal year: 2024 or 2025?", "2025, the current one")]
    assert len(run["steps"]) == 1 and run["status"] == "done"  # a question is not a step
    # the transcript in the cell shows the question and the answer
    shown = "".join(m["content"]["data"].get("text/markdown", "") for m in result.outputs("display_data"))
    assert "**Claude asked:** Which fiscal year: 2024 or 2025?" in shown and "2025, the current one" in shown
    notebook, _ = export_run(kernel, tmp_path / "asked.ipynb")
    roles = [c.metadata.get("codeact", {}).get("role") for c in notebook.cells]
    assert roles.index("question") < roles.index("step")
    cell = notebook.cells[roles.index("question")]
    assert cell.cell_type == "markdown" and cell.metadata["codeact"]["answered"] is True
    assert cell.source == "**Claude asked:** Which fiscal year: 2024 or 2025?\n\n**Answer:** 2025, the current one"


def test_without_stdin_the_tool_answers_that_no_user_is_available(kernel, server, tmp_path):
    server.enqueue(turn("I need to know.", tool_uses=[ask("Which currency?")]), turn("I assume EUR. Done."))
    result = kernel.execute("%%codeact\nConvert the prices.")  # allow_stdin false, as nbclient sends
    assert result.status == "ok", result.text
    assert result.prompts == []
    answer = tool_results(server.requests[1])[0]
    assert answer["content"] == "no user is available: state your assumption and go on"
    run = kernel.value(LAST_RUN)
    assert run["questions"][0]["answer"] is None and run["status"] == "done"
    notebook, _ = export_run(kernel, tmp_path / "unasked.ipynb")
    question = [c for c in notebook.cells if c.metadata.get("codeact", {}).get("role") == "question"][0]
    assert question.source.startswith("**Claude asked:** Which currency?\n\n*Not answered: no user is available")


def test_questions_past_the_limit_are_not_asked(kernel, server):
    kernel.execute("%config CodeActMagics.max_questions = 1")
    try:
        server.enqueue(turn("First.", tool_uses=[ask("A?")]), turn("Second.", tool_uses=[ask("B?")]), turn("Done."))
        result = kernel.execute("%%codeact\nTwo questions.", stdin=["yes"])
        assert result.status == "ok", result.text
        assert len(result.prompts) == 1
        assert "No more questions in this run (at most 1)" in tool_results(server.requests[2])[0]["content"]
    finally:
        kernel.execute("%config CodeActMagics.max_questions = 3")


def test_max_questions_zero_withholds_the_tool(kernel, server):
    kernel.execute("%config CodeActMagics.max_questions = 0")
    try:
        server.enqueue(turn("Hm.", tool_uses=[ask("Sure?")]), turn("Done."))
        result = kernel.execute("%%codeact\nNo questions.", stdin=["never asked"])
        assert result.status == "ok", result.text
        assert [t["name"] for t in server.requests[0].body["tools"]] == ["python"]
        assert result.prompts == []
        assert tool_results(server.requests[1])[0]["is_error"] is True  # not a tool of this run
    finally:
        kernel.execute("%config CodeActMagics.max_questions = 3")


def test_a_replay_answers_with_the_recorded_reply(kernel, server, tmp_path):
    server.enqueue(turn("Which?", tool_uses=[ask("Which column?")]), turn("Using it.", "column = 'revenue'"),
                   turn("Done."))
    assert kernel.execute("%%codeact\nPick a column.", stdin=["revenue"]).status == "ok"
    export_run(kernel, tmp_path / "asked.ipynb")
    kernel.execute("del column")
    result = kernel.execute(f"%%codeact --replay {tmp_path / 'asked.ipynb'}\nPick a column.")  # no stdin
    assert result.status == "ok", result.text
    assert result.prompts == [] and kernel.value("column") == "revenue"
    run = kernel.value(LAST_RUN)
    assert run["status"] == "done" and run["questions"][0]["answer"] == "revenue"
