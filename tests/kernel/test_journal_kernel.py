"""The run journal in a real ipykernel: a kernel that dies mid-run leaves its run, listed and exported after a restart."""

import time

import nbformat

from kernel_harness import Kernel, runs_table
from standin import turn

KEY = "sk-ant-test-0000"


def start(server, cwd):
    kernel = Kernel({"ANTHROPIC_BASE_URL": server.url, "ANTHROPIC_API_KEY": KEY}, cwd=str(cwd))
    result = kernel.execute("%load_ext codeact_magic")
    assert result.status == "ok", result.text
    return kernel


def execute_until_it_dies(kernel, code, timeout=60):
    """Send ``code`` and wait for the kernel process to end (no idle or reply ever comes)."""
    kernel.kc.execute(code)
    deadline = time.monotonic() + timeout
    while kernel.km.is_alive():
        assert time.monotonic() < deadline, f"the kernel still lives after {timeout} s"
        time.sleep(0.1)


def test_a_kernel_that_dies_mid_run_leaves_a_crashed_run_to_list_and_export(server, tmp_path):
    step1 = "import os\nkept = 6 * 7\nprint('kept', kept, os.environ['ANTHROPIC_API_KEY'])"
    step2 = "import os\nos._exit(1)"
    server.enqueue(turn("First a value.", step1), turn("Now the kernel dies.", step2), turn("Never asked for."))
    first = start(server, tmp_path)
    try:
        execute_until_it_dies(first, "%%codeact\nKeep a value, then die")
    finally:
        first.shutdown()
    files = list((tmp_path / ".codeact" / "runs").glob("*.jsonl"))
    assert len(files) == 1 and KEY not in files[0].read_text()
    run_id = files[0].stem

    second = start(server, tmp_path)
    try:
        assert second.value("'kept' in globals()") is False  # a new process
        listed = second.execute("%codeact runs")
        assert listed.status == "ok", listed.text
        rows = runs_table(listed.stdout)
        assert len(rows) == 1
        assert (rows[0]["run"], rows[0]["status"], rows[0]["steps"]) == (run_id, "crashed", "2")
        assert rows[0]["task"] == "Keep a value, then die"
        out = tmp_path / "out.ipynb"
        exported = second.execute(f"%codeact export {out} --run {run_id}")
        assert exported.status == "ok", exported.text
        assert exported.stdout.strip() == f"Exported run {run_id} from the run journal (2 steps, crashed) to {out}"
        # with no run in this kernel, plain export takes the journal's newest
        assert f"Exported run {run_id} from the run journal" in second.execute(f"%codeact export {tmp_path}/b").stdout
    finally:
        second.shutdown()
    notebook = nbformat.read(str(out), as_version=4)
    nbformat.validate(notebook)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert [c.source for c in code] == [step1, step2]
    assert code[0].outputs[0]["text"] == "kept 42 <redacted>\n" and code[0].execution_count is not None
    assert code[1].outputs == [] and code[1].metadata["codeact"]["status"] == "crashed"
    record = notebook.metadata["codeact"]["run"]
    assert record["status"] == "crashed" and record["end_reason"] == "The kernel died during step 2 (no end was recorded)."
    assert len(record["turns"]) == 2 and sum(record["usage"].values()) > 0 and record["cost_usd"] > 0
    assert len(server.requests) == 2


JOURNALED = """\
import json
from codeact_magic.journal import read_journal, resolve_dir
_m = get_ipython().magics_manager.registry['CodeActMagics']
_run = _m.runs[-1]
_path = resolve_dir(_m.journal_dir) / f"{_run.run_id}.jsonl"
"""


def test_a_finished_runs_journal_ends_done_and_reads_back_to_the_same_record(kernel, server):
    server.enqueue(turn("Compute.", "journaled = 6 * 7\nprint(journaled)"), turn("It is 42."))
    assert kernel.execute("%%codeact\nWhat is 6*7?").status == "ok"
    assert kernel.execute(JOURNALED).status == "ok"
    last = kernel.value("json.loads(_path.read_text().splitlines()[-1])")
    assert last["event"] == "end" and last["run"]["status"] == "done"
    assert kernel.value("read_journal(_path).to_json() == _run.to_json()") is True
    run_id = kernel.value("_run.run_id")
    listed = kernel.execute("%codeact runs").stdout
    newest = runs_table(listed)[0]
    assert listed.count(run_id) == 1 and (newest["run"], newest["status"], newest["steps"]) == (run_id, "done", "1")


def test_the_journal_directory_is_a_setting_and_empty_turns_it_off(kernel, server):
    try:
        kernel.execute("%config CodeActMagics.journal_dir = 'elsewhere/journal'")
        server.enqueue(turn("One.", "one = 1"), turn("Done."))
        assert kernel.execute("%%codeact\nOne").status == "ok"
        assert kernel.execute(JOURNALED).status == "ok"
        assert kernel.value("str(_path.relative_to(__import__('os').getcwd()))").startswith("elsewhere/journal/r-")
        assert kernel.value("_path.exists()") is True
        kernel.execute("%config CodeActMagics.journal_dir = ''")
        server.enqueue(turn("Two.", "two = 2"), turn("Done."))
        assert kernel.execute("%%codeact\nTwo").status == "ok"
        assert kernel.execute(JOURNALED.replace("_path = resolve_dir(_m.journal_dir)", "_path = resolve_dir('elsewhere/journal')")).status == "ok"
        assert kernel.value("_path.exists()") is False
        assert kernel.value("len(list(_path.parent.glob('*.jsonl')))") == 1
    finally:
        kernel.execute("%config CodeActMagics.journal_dir = '.codeact/runs'")
