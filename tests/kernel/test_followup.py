"""Follow-ups (``%%codeact --continue``) and the line form (``%codeact <task words>``), in a real ipykernel against
the stand-in Messages API over real HTTP."""

from __future__ import annotations

from kernel_harness import export_run, runs_table
from standin import turn


def user_texts(request) -> list[str]:
    """The text blocks of each user message of a stand-in request, in order (one string per message)."""
    return ["\n".join(b["text"] for b in m["content"] if b.get("type") == "text")
            for m in request.body["messages"] if m["role"] == "user"]


def test_a_follow_up_continues_the_same_conversation(kernel, server, tmp_path):
    kernel.execute("import pandas as pd\nsales = pd.DataFrame({'region': ['N', 'S'], 'amount': [22984, 16831]})\n"
                   "untouched = 7")
    server.enqueue(turn("Total first.", "total = int(sales.amount.sum())\ntotal"), turn("The total is $39,815."))
    first = kernel.execute("%%codeact\nWhat is the total of `sales`?", metadata={"cellId": "cell-first"})
    assert first.status == "ok", first.text
    run_id = kernel.value("get_ipython().magics_manager.registry['CodeActMagics'].runs[-1].run_id")
    kernel.execute("share = sales.amount / 39815")  # the user goes on; `untouched` stays as it was
    server.enqueue(turn("Double it.", "doubled = total * 2\ndoubled"), turn("Doubled, it is $79,630."))
    follow = kernel.execute("%%codeact -c\nNow double it.", metadata={"cellId": "cell-follow"})
    assert follow.status == "ok", follow.text
    assert f"Continuing run {run_id} (1 step so far)" in follow.stdout
    assert kernel.value("doubled") == 79630
    # the same conversation: the first task, its turns and tool_result, then the follow-up as the next user message
    request = server.requests[2]
    roles = [m["role"] for m in request.body["messages"]]
    assert roles == ["user", "assistant", "user", "assistant", "user"]
    texts = user_texts(request)
    assert "What is the total of `sales`?" in texts[0]
    assert "<followup>\nNow double it.\n</followup>" in texts[-1]
    changed = texts[-1].split("<kernel_variables_changed>")[1]
    assert "share" in changed and "untouched" not in changed and "sales:" not in changed
    assert request.body["messages"][3]["content"][0]["text"] == "The total is $39,815."
    # recorded as one run: its steps numbered on, the follow-up's cells below the follow-up cell
    cells = follow.codeact("cell")
    assert {c["cell_id"] for c in cells} == {"cell-follow"}
    assert [c["index"] for c in cells] == [3, 4, 5]
    assert cells[1]["cell"]["metadata"]["codeact"]["step"] == 2
    assert cells[-1]["cell"]["metadata"]["codeact"]["role"] == "answer"
    started = next(m["content"]["execution_count"] for m in follow.messages if m["msg_type"] == "execute_input")
    summary = follow.codeact("run")[-1]["run"]
    assert [(f["cell_id"], f["execution_count"]) for f in summary["followups"]] == [("cell-follow", started)]
    assert summary["cell_id"] == "cell-first" and summary["steps"] == 2
    rows = runs_table(kernel.execute("%codeact runs").stdout)
    assert rows[0]["run"] == run_id and rows[0]["steps"] == "2" and rows[0]["task"].endswith("(+1 follow-up)")
    assert sum(r["run"] == run_id for r in rows) == 1
    # the export shows the whole conversation, and the journal holds it
    notebook, record = export_run(kernel, tmp_path / "followed.ipynb")
    sources = [c.source for c in notebook.cells if c.cell_type == "markdown"]
    assert any(s.startswith("**Follow-up**") and "Now double it." in s for s in sources)
    assert [c.metadata["codeact"].get("role") for c in notebook.cells if c.cell_type == "code"
            and c.metadata.get("codeact", {}).get("role") == "step"] == ["step", "step"]
    assert len(record["followups"]) == 1 and record["followups"][0]["cell_id"] == "cell-follow"
    journaled = kernel.value(f"__import__('codeact_magic.journal', fromlist=['x']).read_journal("
                             f"'.codeact/runs/{run_id}.jsonl').to_json()")
    assert [s["code"] for s in journaled["steps"]] == ["total = int(sales.amount.sum())\ntotal",
                                                      "doubled = total * 2\ndoubled"]
    assert journaled["status"] == "done" and len(journaled["followups"]) == 1


def test_continue_a_given_run_and_the_wrong_forms(kernel, server):
    server.enqueue(turn("A.", "a_value = 1"), turn("Set a."))
    kernel.execute("%%codeact\nSet a.")
    older = kernel.value("get_ipython().magics_manager.registry['CodeActMagics'].runs[-1].run_id")
    server.enqueue(turn("Set b."))
    kernel.execute("%%codeact\nSay b.")
    server.enqueue(turn("A again.", "a_value += 1"), turn("a is 2."))
    result = kernel.execute(f"%%codeact --continue {older}\nAdd one to a.")
    assert result.status == "ok", result.text
    assert kernel.value("a_value") == 2
    assert "<task>\nSet a.\n</task>" in user_texts(server.requests[-2])[0]
    asked = len(server.requests)
    empty = kernel.execute("%%codeact -c\n")
    assert empty.status == "error" and "The follow-up is empty" in empty.error["evalue"]
    unknown = kernel.execute("%%codeact -c r-00000000\nGo on.")
    assert unknown.status == "error" and "No run 'r-00000000'" in unknown.error["evalue"]
    replay = kernel.execute("%%codeact -c --replay x.ipynb\nGo on.")
    assert replay.status == "error" and "cannot replay" in replay.error["evalue"]
    assert len(server.requests) == asked
    assert all("\n" not in r.error["evalue"] for r in (empty, unknown, replay))  # one line each


def test_the_line_form_runs_a_one_line_task(kernel, server):
    server.enqueue(turn("Compute.", "answer = 6 * 7\nanswer"), turn("It's 42."))
    result = kernel.execute("%codeact -n 3 What's six times seven? Keep it in `answer`.")
    assert result.status == "ok", result.text
    assert kernel.value("answer") == 42
    request = server.requests[0]
    assert "<task>\nWhat's six times seven? Keep it in `answer`.\n</task>" in user_texts(request)[0]
    run = kernel.value("get_ipython().magics_manager.registry['CodeActMagics'].runs[-1].to_json()")
    assert run["task"] == "What's six times seven? Keep it in `answer`." and run["max_steps"] == 3
    # the reserved words stay commands
    asked = len(server.requests)
    assert kernel.execute("%codeact help").stdout.startswith("%%codeact [options]")
    report = kernel.execute("%codeact report on sales")
    assert report.status == "error" and "reserved word" in report.error["evalue"]
    assert runs_table(kernel.execute("%codeact runs").stdout)[0]["task"].startswith("What's six times seven?")
    assert len(server.requests) == asked
    # a follow-up on the line
    server.enqueue(turn("Halve.", "half = answer / 2"), turn("21."))
    assert kernel.execute("%codeact -c and now halve it").status == "ok"
    assert kernel.value("half") == 21
    assert "<followup>\nand now halve it\n</followup>" in user_texts(server.requests[-2])[-1]


def test_help_reads_cleanly(kernel):
    result = kernel.execute("print(get_ipython().find_cell_magic('codeact').__doc__)")
    text = result.stdout
    assert text.startswith("usage:\n%%codeact [options]")
    assert "::" not in text and "<[" not in text and "<RUN" not in text  # no reStructuredText leftovers
    for group in ("run options", "follow-up", "replay", "export (%codeact export PATH)", "settings (%config"):
        assert group in text
    for trait in ("max_steps = 20", "timeout = 180", "model = 'claude-sonnet-5-5'", "journal_dir = '.codeact/runs'"):
        assert trait in text
