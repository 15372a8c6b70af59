"""``%%codeact -o NAME [--returns TYPE]``: the run hands back a Python value, checked with pydantic's TypeAdapter, in a
real ipykernel against the stand-in Messages API over real HTTP."""

from __future__ import annotations

from standin import turn

LAST_RUN = "get_ipython().magics_manager.registry['CodeActMagics'].runs[-1].to_json()"


def user_texts(request) -> list[str]:
    """The text blocks of the user messages of a stand-in request (the corrections the run sent)."""
    return [b["text"] for m in request.body["messages"] if m["role"] == "user" and isinstance(m["content"], list)
            for b in m["content"] if b.get("type") == "text"]


def execute_result(result) -> str | None:
    values = [m["content"]["data"]["text/plain"] for m in result.outputs("execute_result")]
    return values[-1] if values else None


def test_a_valid_value_is_the_cells_result_and_stays_in_the_namespace(kernel, server):
    server.enqueue(turn("Look.", "[1, 2, 3]"), turn("Compute it.", "total = 6 * 7"), turn("The total is 42, in `total`."))
    result = kernel.execute("%%codeact -o total --returns int\nWhat is six times seven?")
    assert result.status == "ok", result.text
    after = kernel.execute("1 + 1")
    assert execute_result(result) == "42"
    assert kernel.value("__") == 42 and kernel.value("total") == 42  # `_` was 42 until `1 + 1`
    run = kernel.value(LAST_RUN)
    cell, steps = run["execution_count"], [s["execution_count"] for s in run["steps"]]
    # Out[n] is the %%codeact cell's own number; the steps keep their own Out
    [shown] = [m["content"]["execution_count"] for m in result.outputs("execute_result") if m["content"]["data"]
               .get("text/plain") == "42"]
    assert shown == cell and kernel.value(f"Out[{cell}]") == 42 and kernel.value(f"_{cell}") == 42
    assert kernel.value(f"Out[{steps[0]}]") == [1, 2, 3]
    assert after.reply["content"]["execution_count"] == steps[-1] + 1  # the next cell's number follows the steps
    first = server.requests[0].body["messages"][0]["content"][0]["text"]
    assert "<result_variable>" in first and "`total` (type `int`)" in first
    run = kernel.value(LAST_RUN)
    assert run["status"] == "done"
    assert run["output"] == {"name": "total", "type": "int", "status": "valid", "error": None, "corrections": []}


def test_missing_then_invalid_values_are_told_to_the_model_which_fixes_them(kernel, server):
    server.enqueue(turn("It is about 2."),  # answers without leaving the value
                   turn("Let me set it.", "shares = {'north': 'a lot', 'south': 0.5}"),
                   turn("Done: shares."),  # does not validate
                   turn("Fix it.", "shares = {'north': 0.5, 'south': 1}"),
                   turn("Done: shares, fixed."))
    result = kernel.execute("%%codeact --output shares --returns 'dict[str, float]'\nRegional shares.")
    assert result.status == "ok", result.text
    assert len(server.requests) == 5
    missing = user_texts(server.requests[1])[-1]
    assert "`shares` (type `dict[str, float]`)" in missing and "not defined" in missing
    invalid = user_texts(server.requests[3])[-1]
    assert "does not validate" in invalid and "north" in invalid and "valid number" in invalid
    assert "\n" not in invalid
    assert kernel.value("shares") == {"north": 0.5, "south": 1.0}
    assert kernel.value("type(shares['south']).__name__") == "float"  # the validated value is the one kept
    run = kernel.value(LAST_RUN)
    assert run["status"] == "done" and run["output"]["status"] == "valid"
    assert [c["turn"] for c in run["output"]["corrections"]] == [0, 2]


def test_returns_a_pydantic_model_built_from_what_the_model_left(kernel, server):
    kernel.execute("from pydantic import BaseModel\nclass Summary(BaseModel):\n    region: str\n    revenue: float")
    server.enqueue(turn("Summarize.", "best = {'region': 'north', 'revenue': '1250.5'}"), turn("Best region: north."))
    result = kernel.execute("%%codeact -o best --returns Summary\nThe best region.")
    assert result.status == "ok", result.text
    assert kernel.value("type(best).__name__") == "Summary"
    assert kernel.value("best.revenue") == 1250.5
    assert "Summary(region='north', revenue=1250.5)" in execute_result(result)
    first = server.requests[0].body["messages"][0]["content"][0]["text"]
    assert '"revenue"' in first and "JSON Schema" in first  # the model is shown the model's schema


def test_a_run_that_never_leaves_a_valid_value_fails_with_one_line(kernel, server):
    server.enqueue(turn("Count.", "n_rows = 'ten'"), turn("There are ten rows."))
    result = kernel.execute("%%codeact -o n_rows --returns int --max-steps 1\nCount the rows.")
    assert result.status == "error"
    line = result.error["evalue"]
    assert "n_rows" in line and "int" in line and "does not validate" in line, line
    assert len(result.error["traceback"]) <= 3
    run = kernel.value(LAST_RUN)
    assert run["status"] == "failed" and run["output"]["status"] == "invalid"


def test_answers_that_fix_nothing_end_the_run_failed(kernel, server):
    server.enqueue(turn("Answer one."), turn("Answer two."), turn("Answer three."), turn("Answer four."))
    result = kernel.execute("%%codeact -o never_set\nDo it.")
    assert result.status == "error"
    assert "never_set" in result.error["evalue"] and "not defined" in result.error["evalue"]
    assert len(server.requests) == 3  # two corrections, then the run gives up
    assert kernel.value(LAST_RUN)["output"]["status"] == "missing"


def test_bad_result_options_fail_before_the_model_is_asked(kernel, server):
    result = kernel.execute("%%codeact --returns float\nA number.")
    assert result.status == "error" and "needs -o NAME" in result.error["evalue"]
    result = kernel.execute("%%codeact -o x --returns NoSuchType\nA number.")
    assert result.status == "error"
    assert "NoSuchType" in result.error["evalue"] and "NameError" in result.error["evalue"]
    result = kernel.execute("%%codeact -o 2x\nA number.")
    assert result.status == "error" and "not a variable name" in result.error["evalue"]
    assert server.requests == []


def test_without_o_nothing_changes(kernel, server):
    server.enqueue(turn("Sure.", "plain = 1"), turn("Done."))
    result = kernel.execute("%%codeact\nSet plain.")
    assert result.status == "ok", result.text
    assert execute_result(result) is None
    assert "<result_variable>" not in server.requests[0].body["messages"][0]["content"][0]["text"]
    assert kernel.value(LAST_RUN)["output"] is None
