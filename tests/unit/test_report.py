"""The figures of ``%codeact report``: every figure by value, its text, its DataFrame, and runs read from a journal."""

import math

import pandas as pd
import pytest

from codeact_magic.agent import continue_run, run_agent
from codeact_magic.config import RunOptions
from codeact_magic.execution import ExecutionResult
from codeact_magic.journal import RunJournal, load_runs, merge_runs
from codeact_magic.records import FollowUp, Run, Step, Turn, Usage
from codeact_magic.report import NO_ERROR_OUTPUT, TOP_ERRORS, Report, build_report, error_type
from test_journal import Died, Scripted  # the journal tests' scripted model and kernel death


def error_output(ename, evalue="boom"):
    return {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": [f"{ename}: {evalue}"]}


def stdout(text):
    return {"output_type": "stream", "name": "stdout", "text": text}


def step(index, status="ok", duration_s=0.0, outputs=None):
    return Step(index=index, turn=0, tool_use_id=f"toolu_{index}", code=f"x{index}", outputs=outputs or [],
                status=status, duration_s=duration_s)


def turn(usage, latency_s):
    return Turn([{"type": "text", "text": "Thinking."}], "tool_use", usage, latency_s)


def sample_runs():
    """Three runs: one done and continued once, one failed of unknown cost, one crashed (as the journal reads it)."""
    done = Run(run_id="r-aaaa0001", task="Total revenue of `orders`", model="claude-sonnet-5-5", status="done",
               started_at="2026-11-20T09:00:00.000000Z", ended_at="2026-11-20T09:00:12.000000Z", elapsed_s=12.5,
               turns=[turn(Usage(1000, 100, 200, 3000), 2.25), turn(Usage(500, 50, 0, 4000), 1.75)],
               steps=[step(1, duration_s=0.5, outputs=[stdout("42\n")]),
                      step(2, "error", 0.25, [stdout("partial\n"), error_output("NameError", "name 'df' undefined")]),
                      step(3, duration_s=1.25), step(4, duration_s=0.5)],
               usage=Usage(1500, 150, 200, 7000), cost_usd=0.0123,
               followups=[FollowUp(task="Now by month", turn=1, step=2)])
    failed = Run(run_id="r-bbbb0002", task="Fit a model", model="claude-unknown-9", status="failed",
                 started_at="2026-11-20T10:00:00.000000Z", ended_at="2026-11-20T10:01:00.000000Z", elapsed_s=60.0,
                 turns=[turn(Usage(2000, 300), 4.0)],
                 steps=[step(1, "timeout", 30.0, [error_output("TimeoutError", "step exceeded the timeout")]),
                        step(2, "interrupted", 2.0, [error_output("KeyboardInterrupt", "")]),
                        step(3, "error", 0.5, [error_output("ValueError"), error_output("NameError")])],
                 usage=Usage(2000, 300), cost_usd=None)
    crashed = Run(run_id="r-cccc0003", task="Load the big file", model="claude-haiku-4-5", status="crashed",
                  started_at="2026-11-20T11:00:00.000000Z", elapsed_s=3.0,
                  turns=[turn(Usage(800, 80, 0, 0), 1.0)],
                  steps=[step(1, "error", 0.0), step(2, "crashed")], usage=Usage(800, 80), cost_usd=0.0012)
    return [done, failed, crashed]


def test_every_figure_of_three_runs():
    report = build_report(sample_runs())
    assert report.runs == 3 and report.continued_runs == 1
    assert report.by_status == {"running": 0, "done": 1, "stopped": 0, "failed": 1, "step_limit": 0, "budget": 0,
                                "crashed": 1, "diverged": 0}
    assert report.steps == 9
    assert report.steps_per_run_mean == 3.0 and report.steps_per_run_median == 3.0 and report.steps_per_run_max == 4
    assert report.step_errors == 6 and report.step_error_rate == pytest.approx(6 / 9)
    # the last error output names a step's error; a timeout is TimeoutError and an interrupt KeyboardInterrupt
    assert report.error_types == [("NameError", 2), ("(kernel died)", 1), (NO_ERROR_OUTPUT, 1),
                                  ("KeyboardInterrupt", 1), ("TimeoutError", 1)]
    assert report.model_s == pytest.approx(9.0) and report.code_s == pytest.approx(35.0)
    assert (report.input_tokens, report.output_tokens) == (4300, 530)
    assert (report.cache_creation_input_tokens, report.cache_read_input_tokens) == (200, 7000)
    assert report.tokens == 12030
    assert report.cost_usd == pytest.approx(0.0135) and report.cost_unknown_runs == 1
    assert [f.run_id for f in report.per_run] == ["r-aaaa0001", "r-bbbb0002", "r-cccc0003"]
    assert [(f.steps, f.step_errors, f.followups) for f in report.per_run] == [(4, 1, 1), (3, 3, 0), (2, 2, 0)]


def test_a_step_s_error_type():
    assert error_type(step(1)) is None
    assert error_type(step(1, "error", outputs=[error_output("ZeroDivisionError")])) == "ZeroDivisionError"
    assert error_type(step(1, "timeout")) == "TimeoutError"  # whatever its outputs hold
    assert error_type(step(1, "interrupted", outputs=[error_output("RuntimeError")])) == "KeyboardInterrupt"
    assert error_type(step(1, "crashed")) == "(kernel died)"
    assert error_type(step(1, "error", outputs=[stdout("no error output\n")])) == NO_ERROR_OUTPUT


def test_only_the_top_error_types_most_common_first_ties_by_name():
    names = ["E1", "E2", "E2", "E3", "E4", "E5", "E6", "E6", "E6"]
    steps = [step(i + 1, "error", outputs=[error_output(n)]) for i, n in enumerate(names)]
    report = build_report([Run(run_id="r-1", task="t", model="m", status="failed", steps=steps)])
    assert len(report.error_types) == TOP_ERRORS == 5
    assert report.error_types == [("E6", 3), ("E2", 2), ("E1", 1), ("E3", 1), ("E4", 1)]
    assert report.step_errors == 9 and report.step_error_rate == 1.0


def test_the_median_of_an_even_number_of_runs_and_a_running_one():
    runs = [Run(run_id=f"r-{n}", task="t", model="m", status=s, steps=[step(i + 1) for i in range(n)])
            for n, s in [(1, "done"), (2, "running"), (4, "stopped"), (10, "step_limit")]]
    report = build_report(runs)
    assert report.steps_per_run_median == 3.0 and report.steps_per_run_mean == 4.25 and report.steps_per_run_max == 10
    assert report.step_errors == 0 and report.step_error_rate == 0.0 and report.error_types == []
    assert report.by_status["running"] == 1 and report.by_status["step_limit"] == 1
    assert "running" in report.text() and "step limit" in report.text()


def test_the_text_shows_the_figures_formatted():
    text = build_report(sample_runs()).text()
    assert text.startswith("3 runs, 9 steps (1 continued with --continue)\n\nRuns by status\n")
    lines = text.splitlines()
    assert "  done            1  33.3%" in lines and "  stopped         0" in lines
    assert "  budget reached  0" in lines and "  crashed         1  33.3%" in lines
    assert not any(line.strip().startswith("running") for line in lines)  # only when a run is
    assert ["Steps", "  total             9", "  mean per run    3.0", "  median per run  3.0", "  max per run       4",
            "  with an error     6  66.7% of steps"] == text.split("\n\n")[2].splitlines()
    assert "Error types (top 5)" in lines and "  NameError          2  33.3%" in lines
    assert "  (kernel died)      1  16.7%" in lines
    assert ["Time (seconds, share of model + code)", "  model   9.0 s  20.5%", "  code   35.0 s  79.5%",
            "  total  44.0 s"] == text.split("\n\n")[4].splitlines()
    assert "  cache read    7,000" in lines and "  total        12,030" in lines
    assert text.endswith("Cost (USD)\n  total    $0.0135  over 2 runs\n  per run  $0.0067  mean\n"
                         "  unknown        1  run of a model with no price, not counted")
    # every section's values right-aligned in one column
    section = text.split("Tokens\n")[1].split("\n\n")[0].splitlines()
    assert len({len(line) for line in section}) == 1


def test_thousands_separators_and_a_run_of_known_cost_only():
    run = Run(run_id="r-big", task="t", model="claude-sonnet-5-5", status="done", usage=Usage(1_234_567, 89_012),
              turns=[turn(Usage(1_234_567, 89_012), 1234.5)], steps=[step(i + 1, duration_s=1.0) for i in range(1200)],
              cost_usd=3.358)
    text = build_report([run]).text()
    assert text.startswith("1 run, 1,200 steps\n")
    assert "  input        1,234,567" in text and "  total             1,200" in text
    assert "  max per run       1,200" in text and "  mean per run    1,200.0" in text
    assert "  model  1,234.5 s  50.7%" in text
    assert "  total    $3.3580" in text.splitlines() and "unknown" not in text


def test_no_runs():
    report = build_report([])
    assert report.text() == "No runs yet."
    assert report.runs == report.steps == report.step_errors == report.steps_per_run_max == 0
    assert report.steps_per_run_mean == report.steps_per_run_median == report.step_error_rate == 0.0
    assert report.error_types == [] and report.cost_usd == 0.0 and report.cost_unknown_runs == 0
    assert set(report.by_status.values()) == {0}
    frame = report.to_dataframe()
    assert len(frame) == 0 and "cost_usd" in frame.columns


def test_a_run_without_steps_or_turns_has_no_shares():
    report = build_report([Run(run_id="r-0", task="t", model="m", status="failed")])
    lines = report.text().splitlines()
    assert "  with an error     0" in lines and "  model  0.0 s" in lines and "Error types (top 5)" not in lines
    assert "  failed          1  100.0%" in lines and "  done            0" in lines


COLUMNS = ["run_id", "started_at", "ended_at", "status", "model", "task", "followups", "steps", "step_errors",
           "model_s", "code_s", "elapsed_s", "input_tokens", "output_tokens", "cache_read_input_tokens",
           "cache_creation_input_tokens", "tokens", "cost_usd"]


def test_the_dataframe_has_one_row_per_run_with_typed_columns():
    report = build_report(sample_runs())
    frame = report.to_dataframe()
    assert list(frame.columns) == COLUMNS and len(frame) == 3
    assert list(frame.run_id) == ["r-aaaa0001", "r-bbbb0002", "r-cccc0003"]
    assert pd.api.types.is_string_dtype(frame.run_id) and pd.api.types.is_string_dtype(frame.task)
    for column in ("started_at", "ended_at"):
        assert isinstance(frame[column].dtype, pd.DatetimeTZDtype) and str(frame[column].dt.tz) == "UTC"
    assert frame.started_at[0] == pd.Timestamp("2026-11-20T09:00:00Z") and pd.isna(frame.ended_at[2])
    assert isinstance(frame.status.dtype, pd.CategoricalDtype) and list(frame.status) == ["done", "failed", "crashed"]
    assert list(frame.status.cat.categories) == list(report.by_status)
    for column in ("followups", "steps", "step_errors", "input_tokens", "output_tokens", "cache_read_input_tokens",
                   "cache_creation_input_tokens", "tokens"):
        assert frame[column].dtype == "int64", column
    for column in ("model_s", "code_s", "elapsed_s", "cost_usd"):
        assert frame[column].dtype == "float64", column
    assert list(frame.steps) == [4, 3, 2] and list(frame.step_errors) == [1, 3, 2]
    assert list(frame.followups) == [1, 0, 0]
    assert list(frame.model_s) == [4.0, 4.0, 1.0] and list(frame.code_s) == [2.5, 32.5, 0.0]
    assert list(frame.tokens) == [8850, 2300, 880]
    assert frame.cost_usd[0] == 0.0123 and math.isnan(frame.cost_usd[1])
    # the aggregates follow from the frame
    assert frame.steps.sum() == report.steps and frame.tokens.sum() == report.tokens
    assert frame.cost_usd.sum() == pytest.approx(report.cost_usd) and frame.cost_usd.isna().sum() == 1
    assert frame.status.value_counts().to_dict() == report.by_status


def test_without_pandas_the_dataframe_is_one_import_error(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pandas(name, *args, **kwargs):
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError("No module named 'pandas'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    report = build_report(sample_runs())
    assert report.text().startswith("3 runs")
    with pytest.raises(ImportError, match=r"^pandas is not installed: `pip install pandas`") as caught:
        report.to_dataframe()
    assert "\n" not in str(caught.value)


def test_runs_round_tripped_through_json_give_the_same_report():
    runs = sample_runs()
    again = [Run.from_json(run.to_json()) for run in runs]
    assert build_report(again) == build_report(runs)
    pd.testing.assert_frame_equal(build_report(again).to_dataframe(), build_report(runs).to_dataframe())


# -- runs written by the real RunJournal (built as tests/unit/test_journal.py builds them) -----------------------------
def code_turn(code, latency_s=0.5):
    return Turn([{"type": "text", "text": "Thinking."},
                 {"type": "tool_use", "id": f"toolu_{abs(hash(code))}", "name": "python", "input": {"code": code}}],
                "tool_use", Usage(100, 10), latency_s)


def answer(text="Done: 42.", latency_s=0.25):
    return Turn([{"type": "text", "text": text}], "end_turn", Usage(120, 5), latency_s)


class Executor:
    """Runs nothing: code starting with ``1/0`` raises ZeroDivisionError, ``die`` kills the "kernel", the rest
    prints."""

    def __init__(self, journal=None):
        self.journal = journal

    def execute(self, code, timeout=0.0):
        if code == "die":
            self.journal._file.close()  # what the OS does when the process dies: lines already flushed stay
            self.journal._file = None
            raise Died
        if code.startswith("1/0"):
            return ExecutionResult([error_output("ZeroDivisionError", "division by zero")], 2, "error", None, 0.125,
                                   "ZeroDivisionError: division by zero")
        return ExecutionResult([stdout(f"ran {code}\n")], 1, "ok", None, 0.25, "")


def new_run(run_id, **kw):
    return Run(run_id=run_id, task="Compute 6*7", model="claude-sonnet-5-5", **{"context": "x: int = 1", **kw})


def test_runs_read_back_from_the_journal(tmp_path):
    done = run_agent(new_run("r-done", started_at="2026-11-20T09:00:00.000000Z"),
                     Scripted(code_turn("a = 6*7"), code_turn("1/0"), answer()), Executor(), RunOptions(),
                     [RunJournal(tmp_path)])
    options = continue_run(done, FollowUp(task="And 7*8?"), RunOptions())  # a follow-up: the same run, same file
    run_agent(done, Scripted(code_turn("b = 7*8"), answer("56.")), Executor(), options, [RunJournal(tmp_path)])
    journal = RunJournal(tmp_path)
    with pytest.raises(Died):
        run_agent(new_run("r-died", started_at="2026-11-20T10:00:00.000000Z"),
                  Scripted(code_turn("1/0 # again"), code_turn("die")), Executor(journal), RunOptions(), [journal])

    runs = load_runs(tmp_path)
    assert [(r.run_id, r.status) for r in runs] == [("r-died", "crashed"), ("r-done", "done")]
    report = build_report(runs)
    assert report.runs == 2 and report.continued_runs == 1
    assert report.by_status["done"] == 1 and report.by_status["crashed"] == 1
    assert report.steps == 5 and report.steps_per_run_max == 3 and report.steps_per_run_median == 2.5
    assert report.step_errors == 3 and report.step_error_rate == pytest.approx(0.6)
    assert report.error_types == [("ZeroDivisionError", 2), ("(kernel died)", 1)]
    assert report.model_s == pytest.approx(5 * 0.5 + 2 * 0.25) and report.code_s == pytest.approx(0.25 * 2 + 0.125 * 2)
    assert (report.input_tokens, report.output_tokens) == (5 * 100 + 2 * 120, 5 * 10 + 2 * 5)
    assert report.cost_unknown_runs == 0 and report.cost_usd > 0
    assert report.cost_usd == pytest.approx(sum(r.cost_usd for r in runs))
    # the finished run reads back to the same figures as the live one (its elapsed seconds rounded as written)
    assert [f for f in report.per_run if f.run_id == "r-done"] == build_report([Run.from_json(done.to_json())]).per_run
    merged = build_report(merge_runs([done], runs))  # the live run and its journal's count once
    assert (merged.runs, merged.steps, merged.cost_usd) == (report.runs, report.steps, report.cost_usd)
    assert "  crashed         1  50.0%" in report.text().splitlines()
    assert list(report.to_dataframe().status) == ["crashed", "done"]


def test_report_is_a_dataclass_with_the_figures_as_fields():
    names = [f for f in Report.__dataclass_fields__]
    for name in ("runs", "by_status", "steps", "steps_per_run_mean", "steps_per_run_median", "steps_per_run_max",
                 "step_errors", "step_error_rate", "error_types", "model_s", "code_s", "input_tokens",
                 "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens", "cost_usd",
                 "cost_unknown_runs"):
        assert name in names


def test_runs_of_unpriced_models_only_read_unknown_not_zero():
    runs = [Run(run_id="r-local001", task="t", model="qwen3-coder:30b", status="done", cost_usd=None),
            Run(run_id="r-local002", task="t", model="qwen3-coder:30b", status="done", cost_usd=None)]
    text = build_report(runs).text()
    assert "  total    unknown  no run's model has a price" in text.splitlines()
    assert "$0.0000" not in text
