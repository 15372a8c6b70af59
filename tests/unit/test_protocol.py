"""The kernel<->frontend messages: fixtures and what FrontendChannel sends both validate against the one schema."""

import json
from pathlib import Path

import jsonschema
import pytest

from codeact_magic.frontend import FrontendChannel
from codeact_magic.protocol import PROTOCOL_VERSION, load_schema

from test_trajectory import recorded_run

FIXTURES = Path(__file__).parent.parent / "fixtures" / "messages"
VALIDATOR = jsonschema.Draft202012Validator(load_schema())


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.json")), ids=lambda p: p.name)
def test_fixture_is_valid(path):
    VALIDATOR.validate(json.loads(path.read_text()))


@pytest.mark.parametrize("path", sorted((FIXTURES / "invalid").glob("*.json")), ids=lambda p: p.name)
def test_invalid_fixture_is_rejected(path):
    assert not VALIDATOR.is_valid(json.loads(path.read_text()))


class FakeComm:
    def __init__(self):
        self.sent = []

    def send(self, data):
        self.sent.append(json.loads(json.dumps(data)))


def channel_for(runs):
    channel = FrontendChannel(lambda: runs, text_interval_s=0)
    channel._registered = True
    channel._comm = FakeComm()
    return channel


def test_a_run_sends_schema_valid_messages_and_each_cell_once():
    run = recorded_run()
    run.status = "running"
    steps, turns = list(run.steps), list(run.turns)
    run.steps, run.turns = [], []
    channel = channel_for([run])
    channel.run_started(run)
    for i, turn in enumerate(turns):
        channel.text(run, turn.text)
        run.turns.append(turn)
        channel.turn_finished(run, turn)
        if i < len(steps):
            channel.step_started(run, i + 1, steps[i].code)
            run.steps.append(steps[i])
            channel.step_finished(run, steps[i])
    run.status, run.end_reason = "done", "The model answered after 2 steps."
    channel.run_finished(run)
    sent = channel._comm.sent
    for message in sent:
        VALIDATOR.validate(message)
        assert message["version"] == PROTOCOL_VERSION
    cells = [m for m in sent if m["type"] == "cell"]
    assert [m["index"] for m in cells] == [0, 1, 2, 3, 4]
    assert [m["cell"]["metadata"]["codeact"]["role"] for m in cells] == ["reasoning", "step", "reasoning", "step", "answer"]
    assert all("id" not in m["cell"] for m in cells)
    assert all(m["key"] == f"r-abc:{m['index']}" for m in cells)
    assert sent[-1]["type"] == "run" and sent[-1]["run"]["status"] == "done"
    running = [m for m in sent if m["type"] == "run" and m["run"]["current_code"]]
    assert running and running[0]["run"]["current_code"] == "df.head()"


def test_no_insert_sends_no_cells():
    run = recorded_run()
    run.insert_mode = "none"
    channel = channel_for([run])
    channel.run_finished(run)
    assert [m["type"] for m in channel._comm.sent] == ["run"]


def test_requests_are_answered_and_version_mismatch_is_explained():
    run = recorded_run()
    channel = channel_for([run])
    comm = FakeComm()
    envelope = {"protocol": "codeact", "version": 1}
    channel._on_msg(comm, {"content": {"data": dict(envelope, type="sync")}})
    channel._on_msg(comm, {"content": {"data": dict(envelope, type="export_request", run_id="r-abc")}})
    channel._on_msg(comm, {"content": {"data": dict(envelope, type="export_request", run_id="nope")}})
    channel._on_msg(comm, {"content": {"data": {"protocol": "codeact", "version": 2, "type": "sync"}}})
    kinds = [m["type"] for m in comm.sent]
    assert kinds == ["runs", "export", "error", "error"]
    for message in comm.sent:
        VALIDATOR.validate(message)
    assert comm.sent[0]["runs"][0]["run_id"] == "r-abc"
    assert comm.sent[1]["notebook"]["metadata"]["codeact"]["run"]["run_id"] == "r-abc"
    assert "protocol v1" in comm.sent[3]["message"] and "v2" in comm.sent[3]["message"]


def test_heartbeat_sends_run_updates_while_a_step_runs():
    import time as _time

    run = recorded_run()
    run.status = "running"
    channel = channel_for([run])
    channel.heartbeat_s = 0.05
    channel.run_started(run)
    channel.step_started(run, 1, "import time; time.sleep(60)")
    _time.sleep(0.3)
    channel.step_finished(run, run.steps[0])
    count = len(channel._comm.sent)
    _time.sleep(0.15)
    beats = [m for m in channel._comm.sent if m["type"] == "run" and m["run"]["current_code"]]
    assert len(beats) >= 3  # the step_started update and at least two heartbeats
    assert beats[-1]["run"]["elapsed_s"] >= 0.1
    assert len(channel._comm.sent) == count  # stopped with the step
    for message in channel._comm.sent:
        VALIDATOR.validate(message)


def test_status_words_are_the_schema_enum():
    from codeact_magic.records import RunStatus, StepStatus

    defs = load_schema()["$defs"]
    assert [s.value for s in RunStatus] == defs["RunStatus"]["enum"]
    assert [s.value for s in StepStatus] == defs["StepStatus"]["enum"]
    assert defs["RunSummary"]["properties"]["status"] == {"$ref": "#/$defs/RunStatus"}


def test_every_cell_carries_its_index_as_an_integer_and_valid_metadata():
    from codeact_magic.trajectory import run_cells, run_to_notebook

    schema = load_schema()
    meta_validator = jsonschema.Draft202012Validator({"$defs": schema["$defs"], "$ref": "#/$defs/CellMetadata"})
    run = recorded_run()
    run.status, run.end_reason = "stopped", "Stopped by the user after 2 steps."
    cells = run_cells(run)
    assert [c.metadata["codeact"]["index"] for c in cells] == list(range(len(cells)))
    assert cells[-1].metadata["codeact"]["role"] == "note"
    for cell in run_to_notebook(run).cells:
        meta = json.loads(json.dumps(cell.metadata["codeact"]))
        errors = [e.message for e in meta_validator.iter_errors(meta)]
        assert not errors, (meta, errors)


def test_generated_typescript_is_fresh(tmp_path):
    """``labextension/src/generated/`` is what ``labextension/scripts/generate-protocol.mjs`` makes of the schema
    now, byte for byte: after a change of the schema, run ``npm run build:schema`` in ``labextension/`` and commit
    its output.

    Needs Node and the extension's ``node_modules``; skips without them, or fails when ``CODEACT_REQUIRE_UI=1`` (CI).
    """
    import subprocess

    from node import LABEXTENSION, toolchain

    with toolchain() as (_npm, env):  # node is found on env's PATH
        result = subprocess.run(["node", "scripts/generate-protocol.mjs", str(tmp_path)], cwd=LABEXTENSION, env=env,
                                capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    checked_in = LABEXTENSION / "src" / "generated"
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(p.name for p in checked_in.iterdir())
    stale = [name for name in names if (tmp_path / name).read_bytes() != (checked_in / name).read_bytes()]
    assert not stale, (f"labextension/src/generated/{', '.join(stale)} not generated from the schema as it is now: "
                       "run `npm run build:schema` in labextension/")
