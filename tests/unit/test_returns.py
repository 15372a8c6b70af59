"""``-o NAME [--returns TYPE]``: the value's lookup and its check with pydantic's TypeAdapter (codeact_magic.returns)."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from pydantic import BaseModel

from codeact_magic.returns import OutputCheck, OutputSpecError


class Summary(BaseModel):
    region: str
    revenue: float


@dataclasses.dataclass
class Point:
    x: int
    y: int


def test_a_missing_name_then_a_valid_one():
    ns: dict = {}
    check = OutputCheck("total", "int", ns)
    problem = check.check()
    assert problem is not None and "`total` is not defined" in problem and check.status == "missing"
    assert "was asked for, but `total` is not defined" in check.failure()
    ns["total"] = 42
    assert check.check() is None and check.status == "valid" and check.value == 42


def test_validation_converts_and_rebinds_the_name():
    ns = {"shares": {"north": 1, "south": "0.5"}}
    check = OutputCheck("shares", "dict[str, float]", ns)
    assert check.check() is None
    assert ns["shares"] == {"north": 1.0, "south": 0.5} and isinstance(ns["shares"]["north"], float)


def test_an_invalid_value_is_one_line_naming_where_and_what():
    ns = {"shares": {"north": "a lot", "south": [1]}}
    check = OutputCheck("shares", "'dict[str, float]'", ns)  # the magic's line keeps the quotes
    problem = check.check()
    assert check.type_expr == "dict[str, float]" and check.status == "invalid"
    assert "\n" not in problem and "north: Input should be a valid number" in problem and "(got str 'a lot')" in problem
    assert "south" in problem
    assert check.failure().startswith("The run ended without a valid result: `shares` as dict[str, float]")


def test_a_pydantic_model_a_dataclass_and_an_arbitrary_class():
    ns = {"Summary": Summary, "Point": Point, "pd": pd, "best": {"region": "n", "revenue": "2.5"},
          "p": {"x": 1, "y": 2}, "frame": pd.DataFrame({"a": [1]})}
    best = OutputCheck("best", "Summary", ns)
    assert best.check() is None and isinstance(ns["best"], Summary) and ns["best"].revenue == 2.5
    assert '"revenue"' in best.instructions()  # its JSON Schema is shown
    point = OutputCheck("p", "Point", ns)
    assert point.check() is None and ns["p"] == Point(1, 2)
    frame = OutputCheck("frame", "pd.DataFrame", ns)
    assert frame.check() is None and frame.schema_text() == ""  # checked with isinstance, no schema
    ns["frame"] = [1, 2]
    assert "does not validate" in frame.check()


@pytest.mark.parametrize("name, expr, words", [
    ("2x", None, "not a variable name"), ("__x", None, "not a variable name"),
    ("x", "NoSuchType", "NameError"), ("x", "'float'", None), ("x", "'\"float\"'", "a string, not a type"),
    ("x", "1 +", "SyntaxError"),
])
def test_bad_specs_are_one_line(name, expr, words):
    if words is None:  # a quoted type is the type
        assert OutputCheck(name, expr, {}).type_expr == "float"
        return
    with pytest.raises(OutputSpecError) as info:
        OutputCheck(name, expr, {})
    assert words in str(info.value) and "\n" not in str(info.value)


def test_a_lookup_elsewhere_is_used_and_records_its_reason():
    calls = []

    def lookup(name):
        calls.append(name)
        return False, "not defined in the sandbox"

    check = OutputCheck("result", None, {}, lookup=lookup)
    assert "not defined in the sandbox" in check.check() and calls == ["result"]
    assert check.to_json() == {"name": "result", "type": None, "status": "missing",
                               "error": "`result` is not defined in the sandbox", "corrections": []}
