"""codeact_magic.insertion: the extension's insertion rules in Python. The cases of labextension/test/insertion.test.ts
and the fixture cases of handler.test.ts, on the same fixtures (tests/fixtures/messages/)."""

import copy
import itertools
import json
from pathlib import Path

import pytest

from codeact_magic.insertion import (CellList, InsertPlan, InsertionPlanner, OutputsPlan, apply_message,
                                     cell_to_insert, newest_execution_count, plan_outputs, source_hash)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "messages"
_counter = itertools.count(1)


def fixture(name):
    return json.loads((FIXTURES / name).read_text())


class FakeNotebook(CellList):
    """A notebook as a list of cells, with the jest helper's layout()."""

    @staticmethod
    def user(id_, source=""):
        return {"id": id_, "cell_type": "code", "source": source, "metadata": {}, "outputs": [],
                "execution_count": None}

    def layout(self):
        return [(c["metadata"].get("codeact") or {}).get("key") or c["id"] for c in self.cells]


def cell_message(run_id, index, anchor="anchor", mode="replace", source=None, role=None):
    """A schema-valid `cell` message (labextension/test/helpers.ts cellMessage)."""
    key = f"{run_id}:{index}"
    role = role or ("reasoning" if index % 2 == 0 else "step")
    source = source if source is not None else f"# {key} ({next(_counter)})"
    codeact = {"run_id": run_id, "key": key, "index": index, "role": role, "source_cell_id": anchor}
    if role == "step":
        codeact["step"] = (index + 1) // 2
        cell = {"cell_type": "code", "source": source, "metadata": {"codeact": codeact}, "outputs": [],
                "execution_count": index + 1}
    else:
        cell = {"cell_type": "markdown", "source": source, "metadata": {"codeact": codeact}}
    return {"protocol": "codeact", "version": 1, "type": "cell", "run_id": run_id, "key": key, "index": index,
            "cell_id": anchor, "insert_mode": mode, "cell": cell}


def notebook():
    return FakeNotebook([FakeNotebook.user("setup", "df = ..."),
                         FakeNotebook.user("anchor", "%%codeact\nTotal revenue"),
                         FakeNotebook.user("after", 'print("mine")')])


def deliver(planner, nb, message, started_here=True):
    return apply_message(planner, nb, message, started_here)


# -- the source hash -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("source, expected", [
    # computed with the extension's sourceHash under node
    ("", "811c9dc5"), ("a", "e40c292c"), ("df.sum()", "1bdaee59"), ('print("héllo")\n', "0f742b53"),
    ('x = "😀"', "f8a27ccb"), ("orders.info()\norders.head()", "1054506f"),
])
def test_source_hash_is_the_extensions(source, expected):
    assert source_hash(source) == expected


# -- order ---------------------------------------------------------------------------------------------------------
def test_a_run_goes_right_below_its_codeact_cell_in_order():
    nb, planner = notebook(), InsertionPlanner()
    for i in range(4):
        deliver(planner, nb, cell_message("r1", i))
    assert nb.layout() == ["setup", "anchor", "r1:0", "r1:1", "r1:2", "r1:3", "after"]


def test_order_is_kept_when_a_message_arrives_late():
    nb, planner = notebook(), InsertionPlanner()
    for i in (0, 2, 3, 1):
        deliver(planner, nb, cell_message("r1", i))
    assert nb.layout() == ["setup", "anchor", "r1:0", "r1:1", "r1:2", "r1:3", "after"]


def test_the_run_goes_on_after_a_cell_the_user_moved():
    nb, planner = notebook(), InsertionPlanner()
    deliver(planner, nb, cell_message("r1", 0))
    deliver(planner, nb, cell_message("r1", 1))
    nb.cells.append(nb.cells.pop(3))
    nb.cells.insert(3, FakeNotebook.user("typed"))
    deliver(planner, nb, cell_message("r1", 2))
    assert nb.layout() == ["setup", "anchor", "r1:0", "typed", "after", "r1:1", "r1:2"]


def test_a_follow_up_goes_below_its_own_cell_not_after_the_runs_earlier_cells():
    nb, planner = notebook(), InsertionPlanner()
    nb.cells += [FakeNotebook.user("followup", "%%codeact -c\nNow chart it"), FakeNotebook.user("last")]
    for i in range(3):
        deliver(planner, nb, cell_message("r1", i))
    for i in range(3, 5):
        deliver(planner, nb, cell_message("r1", i, anchor="followup"))
    expected = ["setup", "anchor", "r1:0", "r1:1", "r1:2", "after", "followup", "r1:3", "r1:4", "last"]
    assert nb.layout() == expected
    again = InsertionPlanner()  # delivered again (a reload): nothing moves, nothing doubles
    for i in range(5):
        deliver(again, nb, cell_message("r1", i, anchor="anchor" if i < 3 else "followup"))
    assert nb.layout() == expected


def test_the_count_of_a_cell_is_that_of_its_newest_execution_a_run_or_a_follow_up():
    followed = {"run_id": "r-2", "cell_id": "cell-a", "execution_count": 4, "started_at": "2026-12-01T10:00:00Z",
                "followups": [{"cell_id": "cell-f", "execution_count": 12, "started_at": "2026-12-01T10:05:00Z"},
                              {"cell_id": "cell-f", "execution_count": 20, "started_at": "2026-12-01T10:09:00Z"}]}
    later = {**followed, "run_id": "r-9", "execution_count": 30, "started_at": "2026-12-01T11:00:00Z",
             "followups": []}
    assert newest_execution_count([later, followed], "cell-f") == 20
    assert newest_execution_count([later, followed], "cell-a") == 30
    assert newest_execution_count([followed], "cell-a") == 4
    assert newest_execution_count([followed], "cell-x") is None
    assert newest_execution_count([followed], None) is None


def test_an_inserted_cell_has_the_hash_is_trusted_and_gets_a_fresh_id():
    message = cell_message("r1", 1, source="df.sum()")
    message["cell"]["id"] = "from-the-kernel"
    before = copy.deepcopy(message)
    cell = cell_to_insert(message)
    assert cell["metadata"]["codeact"]["source_hash"] == source_hash("df.sum()")
    assert cell["metadata"]["trusted"] is True and "id" not in cell
    assert message == before  # the message is not changed
    assert "trusted" not in cell_to_insert(cell_message("r1", 0))["metadata"]
    nb = notebook()
    deliver(InsertionPlanner(), nb, message)
    assert nb.cells[2]["id"] not in ("from-the-kernel", "anchor") and len(nb.cells[2]["id"]) == 36


# -- de-duplication ------------------------------------------------------------------------------------------------
def test_a_key_is_never_inserted_twice():
    nb, planner = notebook(), InsertionPlanner()
    message = cell_message("r1", 0)
    assert deliver(planner, nb, message).kind == "insert"
    assert deliver(planner, nb, message) == InsertPlan.skip("handled")
    assert nb.layout() == ["setup", "anchor", "r1:0", "after"]


def test_nor_when_the_notebook_already_has_the_cell():
    nb = notebook()
    deliver(InsertionPlanner(), nb, cell_message("r1", 0))
    fresh = InsertionPlanner()
    assert deliver(fresh, nb, cell_message("r1", 0)) == InsertPlan.skip("present")
    assert "r1:0" in fresh.handled_keys
    deliver(fresh, nb, cell_message("r1", 1))
    assert nb.layout() == ["setup", "anchor", "r1:0", "r1:1", "after"]


def test_a_deleted_cell_stays_deleted():
    nb, planner = notebook(), InsertionPlanner()
    first = cell_message("r1", 0)
    deliver(planner, nb, first)
    del nb.cells[2]
    assert deliver(planner, nb, first) == InsertPlan.skip("handled")
    deliver(planner, nb, cell_message("r1", 1))
    assert nb.layout() == ["setup", "anchor", "r1:1", "after"]


def test_no_insert_inserts_nothing():
    nb = notebook()
    assert deliver(InsertionPlanner(), nb, cell_message("r1", 0, mode="none")) == InsertPlan.skip("no-insert")
    assert len(nb) == 3


# -- a second run of the same cell ---------------------------------------------------------------------------------
def two_runs(mode, edit=None):
    nb, planner = notebook(), InsertionPlanner()
    for i in range(3):
        deliver(planner, nb, cell_message("r1", i))
    if edit:
        edit(nb)
    for i in range(2):
        deliver(planner, nb, cell_message("r2", i, mode=mode))
    return nb


def test_replace_removes_the_earlier_run():
    assert two_runs("replace").layout() == ["setup", "anchor", "r2:0", "r2:1", "after"]


def test_append_goes_after_the_earlier_run():
    assert two_runs("append").layout() == ["setup", "anchor", "r1:0", "r1:1", "r1:2", "r2:0", "r2:1", "after"]


def test_replace_keeps_the_cells_the_user_edited_below_the_new_run():
    def edit(nb):
        nb.cells[3]["source"] = "df.sum()  # fixed by hand"
    assert two_runs("replace", edit).layout() == ["setup", "anchor", "r2:0", "r2:1", "r1:1", "after"]


def test_replace_keeps_cells_without_a_hash():
    def edit(nb):
        del nb.cells[2]["metadata"]["codeact"]["source_hash"]
    assert two_runs("replace", edit).layout() == ["setup", "anchor", "r2:0", "r2:1", "r1:0", "after"]


def test_replace_only_removes_the_block_right_below_the_anchor():
    def edit(nb):
        nb.cells.insert(4, FakeNotebook.user("typed"))
    assert two_runs("replace", edit).layout() == ["setup", "anchor", "r2:0", "r2:1", "typed", "r1:2", "after"]


def test_the_runs_of_another_codeact_cell_are_left_alone():
    nb, planner = notebook(), InsertionPlanner()
    nb.cells.append(FakeNotebook.user("other", "%%codeact\nPlot it"))
    deliver(planner, nb, cell_message("o1", 0, anchor="other"))
    deliver(planner, nb, cell_message("r1", 0))
    deliver(planner, nb, cell_message("r2", 0))
    assert nb.layout() == ["setup", "anchor", "r2:0", "after", "other", "o1:0"]


def test_replace_happens_only_when_the_run_starts():
    nb, planner = notebook(), InsertionPlanner()
    deliver(planner, nb, cell_message("r1", 0))
    deliver(planner, nb, cell_message("r2", 0))
    del nb.cells[2]
    deliver(planner, nb, cell_message("r2", 1))
    assert nb.layout() == ["setup", "anchor", "r2:1", "after"]


# -- a missing anchor ----------------------------------------------------------------------------------------------
def test_no_anchor_appends_at_the_end_when_the_run_started_here():
    nb, planner = notebook(), InsertionPlanner()
    deliver(planner, nb, cell_message("r1", 0, anchor="deleted-meanwhile"))
    deliver(planner, nb, cell_message("r1", 1, anchor="deleted-meanwhile"))
    assert nb.layout() == ["setup", "anchor", "after", "r1:0", "r1:1"]


def test_an_unknown_cell_id_appends_at_the_end():
    nb = notebook()
    deliver(InsertionPlanner(), nb, cell_message("r1", 0, anchor=None))
    assert nb.layout() == ["setup", "anchor", "after", "r1:0"]


def test_no_anchor_and_started_elsewhere_inserts_nothing():
    nb = notebook()
    assert deliver(InsertionPlanner(), nb, cell_message("r1", 0, anchor="elsewhere"), False) == \
        InsertPlan.skip("not-ours")
    assert len(nb) == 3


def test_a_fresh_planner_goes_on_below_the_saved_anchor_though_started_elsewhere():
    nb = notebook()
    deliver(InsertionPlanner(), nb, cell_message("r1", 0))
    deliver(InsertionPlanner(), nb, cell_message("r1", 1), False)
    assert nb.layout() == ["setup", "anchor", "r1:0", "r1:1", "after"]


# -- the index -----------------------------------------------------------------------------------------------------
def test_the_index_is_read_from_the_metadata_not_the_key():
    nb, planner = notebook(), InsertionPlanner()
    deliver(planner, nb, cell_message("r1", 0))
    deliver(planner, nb, cell_message("r1", 2))
    nb.cells[3]["metadata"]["codeact"]["key"] = "r1:opaque"
    deliver(planner, nb, cell_message("r1", 1))
    assert [(c["metadata"].get("codeact") or {}).get("index", c["id"]) for c in nb.cells] == \
        ["setup", "anchor", 0, 1, 2, "after"]


def test_the_index_of_the_message_is_written_into_the_cell():
    message = cell_message("r1", 3)
    del message["cell"]["metadata"]["codeact"]["index"]
    assert cell_to_insert(message)["metadata"]["codeact"]["index"] == 3


def test_a_cell_saved_without_an_index_does_not_order_the_run_but_counts_for_its_key():
    nb, planner = notebook(), InsertionPlanner()
    deliver(planner, nb, cell_message("r1", 0))
    deliver(planner, nb, cell_message("r1", 1))
    del nb.cells[3]["metadata"]["codeact"]["index"]
    fresh = InsertionPlanner()
    assert deliver(fresh, nb, cell_message("r1", 1)) == InsertPlan.skip("present")
    deliver(fresh, nb, cell_message("r1", 2))
    assert nb.layout() == ["setup", "anchor", "r1:0", "r1:2", "r1:1", "after"]


# -- the fixtures (handler.test.ts) --------------------------------------------------------------------------------
def test_the_cell_fixtures_go_below_their_codeact_cell_in_index_order():
    nb, planner = FakeNotebook([FakeNotebook.user("a1b2c3", "%%codeact\nTotal revenue of df")]), InsertionPlanner()
    assert deliver(planner, nb, fixture("cell_code.json")) == InsertPlan.insert(1)
    assert deliver(planner, nb, fixture("cell_markdown.json")) == InsertPlan.insert(1)
    assert nb.layout() == ["a1b2c3", "r-0001:0", "r-0001:1"]
    assert nb.cells[2]["source"] == "df['revenue'].sum()"
    assert nb.cells[2]["outputs"] == fixture("cell_code.json")["cell"]["outputs"]
    assert deliver(planner, nb, fixture("cell_code.json")) == InsertPlan.skip("handled")


def test_the_outputs_fixture_replaces_the_outputs_of_the_inserted_cell():
    nb, planner = FakeNotebook([FakeNotebook.user("a1b2c3", "%%codeact\nTotal revenue of df")]), InsertionPlanner()
    assert deliver(planner, nb, fixture("outputs.json")) == OutputsPlan("skip", reason="absent")
    deliver(planner, nb, fixture("cell_code.json"))
    assert deliver(planner, nb, fixture("outputs.json")) == OutputsPlan("replace", at=1)
    assert nb.cells[1]["outputs"] == fixture("outputs.json")["outputs"]
    assert plan_outputs(nb, {**fixture("outputs.json"), "run_id": "r-other"}).kind == "skip"


@pytest.mark.parametrize("name", ["run_done.json", "run_running.json", "runs.json", "text.json", "sync.json"])
def test_other_messages_leave_the_notebook_alone(name):
    nb = notebook()
    assert apply_message(InsertionPlanner(), nb, fixture(name)) is None
    assert nb.layout() == ["setup", "anchor", "after"]
