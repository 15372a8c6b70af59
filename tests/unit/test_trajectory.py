import errno
import json
import os
from pathlib import Path

import nbformat
import pytest

from codeact_magic.exceptions import ExportError, ReplayError
from codeact_magic.records import Run, Step, Turn, Usage
from codeact_magic.trajectory import load_run, run_cells, write_notebook


def recorded_run(status="done"):
    turns = [
        Turn([{"type": "text", "text": "Look at the data."},
              {"type": "tool_use", "id": "toolu_1", "name": "python", "input": {"code": "df.head()"}}],
             "tool_use", Usage(100, 20, 80, 0)),
        Turn([{"type": "text", "text": "Group by region."},
              {"type": "tool_use", "id": "toolu_2", "name": "python", "input": {"code": "df.groupby('Region')"}}],
             "tool_use", Usage(30, 20, 40, 80)),
        Turn([{"type": "text", "text": "The **North** sells most."}], "end_turn", Usage(20, 15, 0, 120)),
    ]
    steps = [
        Step(1, 0, "toolu_1", "df.head()", [{"output_type": "execute_result", "execution_count": 7,
                                             "data": {"text/plain": "   a\n0  1"}, "metadata": {}}], 7),
        Step(2, 1, "toolu_2", "df.groupby('Region')",
             [{"output_type": "error", "ename": "KeyError", "evalue": "'Region'", "traceback": ["KeyError: 'Region'"]}],
             8, "error", "KeyError: 'Region'"),
    ]
    if status != "done":
        turns = turns[:2]
    return Run(run_id="r-abc", task="Which region sells most?", model="claude-sonnet-5-5", turns=turns, steps=steps,
               status=status, end_reason=None if status == "done" else "Stopped by the user after 2 steps.",
               cell_id="cell-1", usage=Usage(150, 55, 120, 200))


def test_cells_follow_the_trajectory_with_provenance():
    cells = run_cells(recorded_run())
    assert [(c.cell_type, c.metadata["codeact"]["role"]) for c in cells] == [
        ("markdown", "reasoning"), ("code", "step"), ("markdown", "reasoning"), ("code", "step"), ("markdown", "answer")]
    assert [c.metadata["codeact"]["key"] for c in cells] == [f"r-abc:{i}" for i in range(5)]
    step = cells[1]
    assert step.execution_count == 7 and step.outputs[0]["data"]["text/plain"] == "   a\n0  1"
    assert step.metadata["codeact"]["turn_usage"]["input_tokens"] == 100
    assert cells[3].metadata["tags"] == ["raises-exception"]
    assert all(c.metadata["codeact"]["source_cell_id"] == "cell-1" for c in cells)


def test_a_stopped_run_ends_with_a_note():
    cells = run_cells(recorded_run("stopped"))
    assert cells[-1].metadata["codeact"]["role"] == "note"
    assert "Stopped by the user after 2 steps." in cells[-1].source


def test_live_cells_stop_before_a_step_not_yet_run():
    run = recorded_run()
    run.steps = run.steps[:1]
    run.turns = run.turns[:2]
    run.status = "running"
    roles = [c.metadata["codeact"]["role"] for c in run_cells(run)]
    assert roles == ["reasoning", "step", "reasoning"]


def test_export_is_valid_nbformat_and_replays(tmp_path):
    path = write_notebook(recorded_run(), tmp_path / "run")
    assert path == tmp_path / "run.ipynb"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.ipynb"]  # no temporary file left behind
    notebook = nbformat.read(str(path), as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec.name == "python3"
    assert notebook.metadata.language_info.name == "python"
    assert notebook.cells[0].metadata["codeact"]["role"] == "task"
    assert "Which region sells most?" in notebook.cells[0].source
    record = notebook.metadata["codeact"]["run"]
    assert record["run_id"] == "r-abc" and len(record["turns"]) == 3
    assert "outputs" not in record["steps"][0]  # outputs live in the cells only
    back = load_run(path)
    assert back.turns[0].content == recorded_run().turns[0].content
    assert back.usage == Usage(150, 55, 120, 200)


def test_export_never_creates_a_directory(tmp_path):
    missing = tmp_path / "no-such-dir" / "deeper"
    with pytest.raises(ExportError) as error:
        write_notebook(recorded_run(), missing / "out.ipynb")
    message = str(error.value)
    assert "\n" not in message and f"the directory {missing} does not exist" in message
    assert list(tmp_path.iterdir()) == []


def test_export_onto_a_directory_or_under_a_file_is_one_line(tmp_path):
    with pytest.raises(ExportError, match="is a directory: give a file name"):
        write_notebook(recorded_run(), tmp_path)
    (tmp_path / "plain.txt").write_text("x")
    with pytest.raises(ExportError, match="plain.txt is not a directory"):
        write_notebook(recorded_run(), tmp_path / "plain.txt" / "out.ipynb")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain.txt"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_partial_one(tmp_path, monkeypatch):
    target = tmp_path / "out.ipynb"
    target.write_text("previous")
    real_write = nbformat.write

    def disk_full(notebook, fp, **kwargs):  # writes half the file, then fails as a full disk does
        real_write(notebook, fp, **kwargs)
        Path(fp).write_text(Path(fp).read_text()[:100])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(nbformat, "write", disk_full)
    with pytest.raises(ExportError, match="Cannot write .*out.ipynb: No space left on device"):
        write_notebook(recorded_run(), target, overwrite=True)
    assert target.read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.ipynb"]


def test_load_run_errors_are_one_line(tmp_path):
    with pytest.raises(ReplayError, match="No such notebook"):
        load_run(tmp_path / "missing.ipynb")
    (tmp_path / "junk.ipynb").write_text("not json")
    with pytest.raises(ReplayError, match="Cannot read"):
        load_run(tmp_path / "junk.ipynb")
    plain = nbformat.v4.new_notebook()
    nbformat.write(plain, str(tmp_path / "plain.ipynb"))
    with pytest.raises(ReplayError, match="no recorded codeact run"):
        load_run(tmp_path / "plain.ipynb")


def test_record_json_round_trip():
    run = recorded_run()
    assert Run.from_json(json.loads(json.dumps(run.to_json()))).to_json() == run.to_json()


def test_export_never_overwrites_without_force(tmp_path):
    target = tmp_path / "out.ipynb"
    target.write_text("the user's own notebook")
    with pytest.raises(ExportError, match=r"out.ipynb exists: add --force"):
        write_notebook(recorded_run(), target)
    assert target.read_text() == "the user's own notebook"
    write_notebook(recorded_run(), target, overwrite=True)
    nbformat.validate(nbformat.read(str(target), as_version=4))


def test_export_applies_the_redaction_to_everything_it_writes(tmp_path):
    run = recorded_run()
    run.task = "use key sk-ant-SECRETSECRET123"
    run.steps[0].outputs[0]["data"]["text/plain"] = "sk-ant-SECRETSECRET123"
    path = write_notebook(run, tmp_path / "r.ipynb",
                          redact=lambda obj: json.loads(json.dumps(obj).replace("sk-ant-SECRETSECRET123", "<redacted>")))
    assert "SECRETSECRET" not in path.read_text()


def _edit_step_cell(path, step, source):
    notebook = nbformat.read(str(path), as_version=4)
    for cell in notebook.cells:
        if cell.metadata.get("codeact", {}).get("step") == step:
            if source is None:
                notebook.cells.remove(cell)
            else:
                cell.source = source
            break
    nbformat.write(notebook, str(path))


def test_replay_reads_the_code_and_outputs_its_cells_show(tmp_path):
    path = write_notebook(recorded_run(), tmp_path / "r.ipynb")
    run = load_run(path)
    assert [s.code for s in run.steps] == ["df.head()", "df.groupby('Region')"]
    assert run.steps[0].outputs[0]["data"]["text/plain"] == "   a\n0  1"


@pytest.mark.parametrize("source, message", [
    ("import os; os.remove('data.csv')", "the cell of step 2 shows other code than the recorded run"),
    (None, "step 2 of the recorded run has no code cell"),
])
def test_replay_refuses_when_the_cells_and_the_record_disagree(tmp_path, source, message):
    path = write_notebook(recorded_run(), tmp_path / "r.ipynb")
    _edit_step_cell(path, 2, source)
    with pytest.raises(ReplayError, match=message) as info:
        load_run(path)
    assert "\n" not in str(info.value)


def test_replay_compares_what_a_step_showed():
    from codeact_magic.replay import compare_step, step_text

    recorded = recorded_run().steps[0]
    same = [{"output_type": "execute_result", "execution_count": 3, "data": {"text/plain": "   a  \n0  1"},
             "metadata": {}}, {"output_type": "stream", "name": "stderr", "text": "DeprecationWarning: /x/y.py"}]
    assert compare_step(recorded, "ok", same) is None  # stderr and trailing blanks do not count
    other = [{"output_type": "execute_result", "data": {"text/plain": "   a\n0  2"}, "metadata": {}}]
    why = compare_step(recorded, "ok", other)
    assert why.startswith("its text output differs from line 2: now '0  2', recorded '0  1'")
    failed = [{"output_type": "error", "ename": "NameError", "evalue": "name 'df' is not defined", "traceback": []}]
    assert "now fails with NameError: name 'df' is not defined" in compare_step(recorded, "error", failed)
    assert step_text([{"output_type": "stream", "name": "stdout", "text": "10%\r50%\r100%\n<f at 0x7f12ab34cd>"}]) \
        == "100%\n<f at 0x…>"


def test_export_survives_text_that_cannot_be_encoded(tmp_path):
    run = recorded_run()
    run.steps[0].outputs[0]["data"]["text/plain"] = "bad byte \udcff here"
    run.turns[-1].content[0]["text"] = "Done \ud800."
    path = write_notebook(run, tmp_path / "r.ipynb")
    text = path.read_text("utf-8")
    assert "bad byte \ufffd here" in text and "Done \ufffd." in text
