"""``%codeact undo``: a run's changes to the user's variables and files put back, in a real ipykernel, with the
stand-in Messages API over real HTTP. Each change is undone and checked by value."""

from __future__ import annotations

import json
import os

import pytest

from standin import turn

RUNS = "get_ipython().magics_manager.registry['CodeActMagics'].runs"


def run(kernel, server, *steps: str, task: str = "Change things.", options: str = "",
        stderr: list[str] | None = None) -> dict:
    """A run whose model runs ``steps`` (one per turn) and then answers; returns its record (and appends the cell's
    stderr to ``stderr``)."""
    server.enqueue(*[turn(f"Step {i + 1}.", code) for i, code in enumerate(steps)], turn("Done."))
    result = kernel.execute(f"%%codeact {options}\n{task}".replace("%%codeact \n", "%%codeact\n"))
    assert result.status == "ok", result.text
    if stderr is not None:
        stderr.append(result.stderr)
    return kernel.value(f"{RUNS}[-1].to_json()")


def undo(kernel, line: str = "") -> str:
    result = kernel.execute(f"%codeact undo {line}".strip())
    assert result.status == "ok", result.text
    return result.stdout


@pytest.fixture()
def workdir(kernel, tmp_path):
    """The kernel's working directory for one test (a fresh folder), and the kernel back where it was after."""
    before = kernel.value("__import__('os').getcwd()")
    kernel.execute(f"import os as _os; _os.chdir({str(tmp_path)!r})")
    yield tmp_path
    kernel.execute(f"_os.chdir({before!r})")


def test_rebound_new_and_deleted_names_come_back(kernel, server):
    kernel.execute("total = 10\nold = 'keep me'\nlabel = [1, 2]")
    record = run(kernel, server, "total = 99\nfresh = 'new'\ndel old", "label = 'other'")
    assert kernel.value("total") == 99 and kernel.value("'old' in dir()") is False
    assert record["steps"][0]["undo"]["kept"] == ["fresh", "old", "total"]
    text = undo(kernel)
    assert kernel.value("total") == 10
    assert kernel.value("old") == "keep me"
    assert kernel.value("label") == [1, 2]
    assert kernel.value("'fresh' in dir()") is False
    assert f"Undid run {record['run_id']}" in text
    assert "Variables restored: `label`" in text and "`total`" in text and "`old`" in text
    assert "Variables removed (the run made them): `fresh`" in text
    # the label's list is the very object it was (kept by reference), not a copy
    kernel.execute("before_id = id(label)")
    again = run(kernel, server, "label = None")
    undo(kernel)
    assert kernel.value("id(label) == before_id") is True
    undone = kernel.value(f"{RUNS}[-1].undone")
    assert undone["from_step"] == 1 and undone["from_index"] == 0 and undone["forced"] is False
    assert again["run_id"] != record["run_id"]


def test_in_place_changes_of_a_dataframe_a_list_and_a_dict_are_undone(kernel, server):
    kernel.execute("import pandas as pd\n"
                   "df = pd.DataFrame({'a': [1, 2, 3], 'b': [4.0, 5.0, 6.0], 'c': ['x', 'y', 'z']})\n"
                   "nums = [1, 2, 3]\nconfig = {'mode': 'fast'}")
    record = run(kernel, server, "df.drop(columns=['c'], inplace=True)", "df['x'] = df['a'] * 10",
                 "nums.append(4)\nconfig.update(mode='slow', extra=1)")
    assert kernel.value("list(df.columns)") == ["a", "b", "x"]
    assert kernel.value("nums") == [1, 2, 3, 4] and kernel.value("config") == {"mode": "slow", "extra": 1}
    assert record["steps"][0]["undo"]["copied"] == ["df"]
    assert record["steps"][2]["undo"]["copied"] == ["config", "nums"]
    text = undo(kernel)
    assert kernel.value("list(df.columns)") == ["a", "b", "c"]
    assert kernel.value("df.to_dict('list')") == {"a": [1, 2, 3], "b": [4.0, 5.0, 6.0], "c": ["x", "y", "z"]}
    assert kernel.value("nums") == [1, 2, 3]
    assert kernel.value("config") == {"mode": "fast"}
    assert "`df` (its copy from before step 1)" in text


def test_files_written_overwritten_removed_and_created_are_undone(kernel, server, workdir):
    (workdir / "notes.txt").write_text("the original notes\n")
    (workdir / "old.csv").write_text("a,b\n1,2\n")
    (workdir / "sales.csv").write_text("region,amount\nnorth,1\n")
    kernel.execute("import pandas as pd\nfrom pathlib import Path\ntarget = Path('sales.csv')\n"
                   "sales = pd.DataFrame({'region': ['south'], 'amount': [7]})")
    record = run(kernel, server,
                 "sales.to_csv(target, index=False)",
                 "with open('notes.txt', 'w') as f:\n    f.write('overwritten')",
                 "import os\nos.remove('old.csv')",
                 "Path('made.txt').write_text('a new file')\nopen('log.txt', 'a').write('x')")
    assert (workdir / "sales.csv").read_text().startswith("region,amount\nsouth,7")
    assert not (workdir / "old.csv").exists() and (workdir / "made.txt").exists()
    assert record["steps"][0]["undo"]["files"] == ["sales.csv"]
    assert record["steps"][3]["undo"]["files"] == ["log.txt", "made.txt"]
    # the pre-images are kept under .codeact/undo/<run id>/
    kept = workdir / ".codeact" / "undo" / record["run_id"]
    assert sorted(p.name for p in kept.rglob("*") if p.is_file()) == ["0-notes.txt", "0-old.csv", "0-sales.csv"]
    text = undo(kernel)
    assert (workdir / "sales.csv").read_text() == "region,amount\nnorth,1\n"
    assert (workdir / "notes.txt").read_text() == "the original notes\n"
    assert (workdir / "old.csv").read_text() == "a,b\n1,2\n"
    assert not (workdir / "made.txt").exists() and not (workdir / "log.txt").exists()
    assert "Files restored: sales.csv, notes.txt, old.csv" in text.replace("old.csv, notes.txt", "notes.txt, old.csv") \
        or {"sales.csv", "notes.txt", "old.csv"} <= set(text.split("Files restored: ")[1].split("\n")[0].split(", "))
    assert "made.txt" in text and "log.txt" in text
    assert not kept.exists()  # released once undone


def test_a_file_the_prediction_missed_is_reported_and_a_file_the_scan_saw_created_is_removed(kernel, server,
                                                                                              workdir):
    (workdir / "keep.txt").write_text("before")
    kernel.execute("def scribble(name, text):\n    with open(name, 'w') as f:\n        f.write(text)")
    run(kernel, server, "scribble('keep.txt', 'after')\nscribble('brand_new.txt', 'x')")
    text = undo(kernel)
    assert not (workdir / "brand_new.txt").exists()  # the files scan saw it created
    assert (workdir / "keep.txt").read_text() == "after"  # no pre-image: said so
    assert "Could not undo:\n  not predicted: keep.txt (step 1 modified it; no pre-image was kept)" in text


def test_step_rolls_the_last_run_back_to_just_before_step_n(kernel, server, workdir):
    kernel.execute("counter = 0\nlog = []")
    record = run(kernel, server, "counter = 1\nlog.append('one')", "counter = 2\nlog.append('two')",
                 "counter = 3\nlog.append('three')\nopen('three.txt', 'w').write('3')")
    text = undo(kernel, "--step 2")
    assert kernel.value("counter") == 1 and kernel.value("log") == ["one"]
    assert not (workdir / "three.txt").exists()
    assert f"Undid run {record['run_id']} from step 2 on" in text
    undone = kernel.value(f"{RUNS}[-1].undone")
    assert undone["from_step"] == 2 and undone["from_index"] > 0
    # the rest of the run can still be undone, and then nothing is left
    undo(kernel, "--step 1")
    assert kernel.value("counter") == 0 and kernel.value("log") == []
    again = kernel.execute(f"%codeact undo --run {record['run_id']}")
    assert again.status == "error" and "undone already" in again.text


def test_a_second_undo_goes_one_run_further_back(kernel, server):
    kernel.execute("level = 0")
    first = run(kernel, server, "level = 1")
    second = run(kernel, server, "level = 2")
    assert undo(kernel).splitlines()[0] == f"Undid run {second['run_id']}."
    assert kernel.value("level") == 1
    assert undo(kernel).splitlines()[0] == f"Undid run {first['run_id']}."
    assert kernel.value("level") == 0


def test_run_undoes_that_run_and_every_later_one_newest_first(kernel, server):
    kernel.execute("x = 'start'")
    first = run(kernel, server, "x = 'first'")
    run(kernel, server, "x = x + ' then second'\ny = 2")
    text = undo(kernel, f"--run {first['run_id']}")
    assert kernel.value("x") == "start" and kernel.value("'y' in dir()") is False
    assert text.splitlines()[0].startswith("Undid runs ") and first["run_id"] in text.splitlines()[0]
    runs = kernel.value(f"[r.undone is not None for r in {RUNS}[-2:]]")
    assert runs == [True, True]


def test_an_object_over_the_budget_is_declared_before_its_step_and_told_to_the_model(kernel, server):
    kernel_stderr: list[str] = []
    kernel.execute("import numpy as np\nbig = np.zeros(2_000_000)\nsmall = [1]\n"
                   "%config CodeActMagics.undo_max_bytes = 1_000_000")
    try:
        record = run(kernel, server, "big[:] = 1.0\nsmall.append(2)", stderr=kernel_stderr)
    finally:
        kernel.execute("%config CodeActMagics.undo_max_bytes = 2**30")
    step = record["steps"][0]
    # the user is told before the step runs, in the %%codeact cell's own output (not among the step's outputs)
    assert "codeact: step 1 cannot be fully undone: `big` (16 MB, over the 1.0 MB undo budget (undo_max_bytes))" \
        in kernel_stderr[-1]
    assert not any("cannot be fully undone" in str(o) for o in step["outputs"])
    assert step["undo"]["cannot"] == [{"what": "`big`", "kind": "over the budget",
                                       "reason": "16 MB, over the 1.0 MB undo budget (undo_max_bytes)"}]
    assert step["undo"]["copied"] == ["small"]
    result = [b for b in server.requests[1].body["messages"][-1]["content"] if b.get("type") == "tool_result"][0]
    content = result["content"] if isinstance(result["content"], str) else result["content"][0]["text"]
    assert "undo: cannot be undone: `big` (16 MB, over the 1.0 MB undo budget (undo_max_bytes))" in content
    text = undo(kernel)
    assert kernel.value("small") == [1]
    assert kernel.value("float(big.sum())") == 2_000_000.0  # not undone, and said so
    assert "  over the budget: `big` (16 MB, over the 1.0 MB undo budget (undo_max_bytes); step 1)" in text


def test_risky_approval_asks_about_what_cannot_be_undone(kernel, server):
    kernel.execute("import numpy as np\nhuge = np.ones(500_000)\n%config CodeActMagics.undo_max_bytes = 100_000")
    try:
        server.enqueue(turn("Scale it.", "huge *= 2"), turn("Done."))
        result = kernel.execute("%%codeact --approve risky\nDouble huge.", stdin=["y"])
    finally:
        kernel.execute("%config CodeActMagics.undo_max_bytes = 2**30")
    assert result.status == "ok", result.text
    assert len(result.prompts) == 1 and "cannot be undone: `huge` (4.0 MB, over the 100 KB undo budget" in \
        result.prompts[0], result.prompts
    approval = kernel.value(f"{RUNS}[-1].steps[0].approval")
    assert {"kind": "no_undo", "detail": "cannot be undone: `huge` (4.0 MB, over the 100 KB undo budget "
            "(undo_max_bytes))"} in approval["flagged"]


def test_it_refuses_when_the_user_changed_a_name_since_and_force_restores_anyway(kernel, server, workdir):
    kernel.execute("score = 1\nitems = ['a']")
    (workdir / "out.txt").write_text("v1")
    record = run(kernel, server, "score = 2\nitems.append('b')\nopen('out.txt', 'w').write('v2')")
    kernel.execute("score = 3")
    (workdir / "out.txt").write_text("v3, by hand")
    refused = kernel.execute("%codeact undo")
    assert refused.status == "error"
    line = refused.error["evalue"]
    assert line == (f"Not undone: you changed `score`, out.txt since run {record['run_id']}; "
                    "%codeact undo --force restores them anyway.")
    assert "\n" not in line
    assert kernel.value("score") == 3 and kernel.value("items") == ["a", "b"]  # nothing was touched
    assert (workdir / "out.txt").read_text() == "v3, by hand"
    text = undo(kernel, "--force")
    assert kernel.value("score") == 1 and kernel.value("items") == ["a"]
    assert (workdir / "out.txt").read_text() == "v1"
    assert "forced over your changes to `score`, out.txt" in text
    assert kernel.value(f"{RUNS}[-1].undone['forced']") is True


def test_partly_undoable_steps_say_why_and_names_bound_unseen_still_come_back(kernel, server):
    kernel.execute("hidden = 'before'")
    record = run(kernel, server, "exec('hidden = 42')\nglobals()['other'] = 1")
    step = record["steps"][0]["undo"]
    assert "`exec` hides what it runs" in step["partly"]
    assert sorted(step["unpredicted"]) == ["hidden", "other"]
    observation = record["steps"][0]["observation"]
    assert "undo: partly undoable: `exec` hides what it runs" in observation
    text = undo(kernel)
    assert kernel.value("hidden") == "before" and kernel.value("'other' in dir()") is False
    assert "  not readable: step 1 (`exec` hides what it runs: what it changed may not all be undone)" in text


def test_runs_journal_export_and_frontend_show_the_undo(kernel, server, tmp_path):
    comm = kernel.open_frontend()
    try:
        kernel.execute("value = 'v0'")
        record = run(kernel, server, "value = 'v1'")
        summaries = []
        result = kernel.execute("%codeact undo", on_message=lambda m: summaries.append(m))
        assert result.status == "ok", result.text
        data = [m["content"]["data"] for m in summaries if m["msg_type"] == "comm_msg"]
        [message] = [d for d in data if d.get("type") == "undo"]
        assert message["run_ids"] == [record["run_id"]] and message["refused"] is False
        assert message["undone"][0]["run_id"] == record["run_id"] and message["undone"][0]["from_index"] == 0
        [summary] = [d["run"] for d in data if d.get("type") == "run"]
        assert summary["undone"]["from_step"] == 1 and summary["undoable"] is False
        from codeact_magic.protocol import load_schema
        import jsonschema

        jsonschema.validate(message, load_schema())
    finally:
        kernel.close_frontend(comm)
    runs = kernel.execute("%codeact runs").stdout
    assert "undone" in [line for line in runs.splitlines() if record["run_id"] in line][0]
    journal = kernel.value("str(__import__('codeact_magic.journal', fromlist=['x']).resolve_dir("
                           "get_ipython().magics_manager.registry['CodeActMagics'].journal_dir))")
    lines = [json.loads(line) for line in open(os.path.join(journal, f"{record['run_id']}.jsonl"))]
    assert lines[-1]["event"] == "undone" and lines[-1]["undone"]["from_step"] == 1
    path = tmp_path / "undone.ipynb"
    assert kernel.execute(f"%codeact export {path}").status == "ok"
    nb = json.loads(path.read_text())
    assert nb["metadata"]["codeact"]["run"]["undone"]["from_step"] == 1
    steps = [c for c in nb["cells"] if c["metadata"].get("codeact", {}).get("role") == "step"]
    assert steps and all(c["metadata"]["codeact"].get("undone") for c in steps)


def test_the_panels_undo_request_is_answered_on_its_comm(kernel, server):
    kernel.execute("flag = 'before'")
    record = run(kernel, server, "flag = 'after'")
    comm = kernel.open_frontend()
    try:
        kernel.execute("flag = 'changed by hand'")
        refused = request_undo(kernel, comm, record["run_id"], force=False)
        assert refused["refused"] is True and refused["run_ids"] == []
        assert "changed `flag` since" in refused["report"]
        assert kernel.value("flag") == "changed by hand"
        done = request_undo(kernel, comm, record["run_id"], force=True)
        assert done["refused"] is False and done["run_ids"] == [record["run_id"]]
        assert kernel.value("flag") == "before"
        again = request_undo(kernel, comm, record["run_id"], force=False)
        assert again["refused"] is True and "undone already" in again["report"]
    finally:
        kernel.close_frontend(comm)


def request_undo(kernel, comm: str, run_id: str, force: bool) -> dict:
    """Send the panel's ``undo_request`` on the frontend's comm; the ``undo`` reply sent on that comm."""
    import time

    msg = kernel.kc.session.msg("comm_msg", {"comm_id": comm, "data": {
        "protocol": "codeact", "version": 1, "type": "undo_request", "run_id": run_id, "force": force}})
    kernel.kc.shell_channel.send(msg)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        m = kernel.kc.get_iopub_msg(timeout=5)
        if m["parent_header"].get("msg_id") != msg["header"]["msg_id"] or m["header"]["msg_type"] != "comm_msg":
            continue
        data = m["content"]["data"]
        if data.get("type") == "undo":
            assert m["content"]["comm_id"] == comm
            return data
    raise AssertionError("no undo reply")


def test_an_isolated_runs_returned_names_are_undone_and_its_sandbox_files_left_alone(kernel, server):
    kernel.execute("import pandas as pd\norders = pd.DataFrame({'amount': [5, 7]})")
    server.enqueue(turn("Change it.", "orders['double'] = orders.amount * 2\ngrand_total = int(orders.double.sum())\n"
                                      "orders.to_csv('orders.csv')"), turn("Total 24."))
    result = kernel.execute("%%codeact --isolated --allow-network --with orders --return grand_total,orders\nDouble them.")
    assert result.status == "ok", result.text
    record = kernel.value(f"{RUNS}[-1].to_json()")
    assert kernel.value("grand_total") == 24 and kernel.value("list(orders.columns)") == ["amount", "double"]
    assert record["steps"][0]["undo"] is None  # the step ran in the sandbox: nothing of the user's was touched
    text = undo(kernel)
    assert kernel.value("list(orders.columns)") == ["amount"] and kernel.value("'grand_total' in dir()") is False
    assert "Variables restored: `orders`" in text and "Variables removed (the run made them): `grand_total`" in text
    assert os.path.exists(os.path.join(record["isolation"]["workdir"], "orders.csv"))


def test_step_is_refused_on_a_run_and_undo_takes_no_task_words(kernel, server):
    result = kernel.execute("%%codeact --step 2\nDo something.")
    assert result.status == "error" and "--step is an option of `%codeact undo`" in result.error["evalue"]
    result = kernel.execute("%codeact undo everything")
    assert result.status == "error" and result.error["evalue"] == "Usage: %codeact undo [--run ID] [--step N] [--force]"
    assert server.requests == []
