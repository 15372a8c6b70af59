"""The price table is ours: these tests check its rows and arithmetic, never a list the SDK edits in minor releases."""

import datetime
import math

import pytest

from codeact_magic.config import DEFAULT_MODEL, CodeActConfig
from codeact_magic.pricing import PRICES, PRICES_AS_OF, cost_usd, price_for


def test_default_model_is_priced():
    assert price_for(DEFAULT_MODEL) is not None
    assert CodeActConfig().model == DEFAULT_MODEL


@pytest.mark.parametrize("model", sorted(PRICES))
def test_every_row_is_complete_and_consistent(model):
    row = PRICES[model]
    assert set(row) == {"input", "output", "cache_write", "cache_read"}
    assert all(isinstance(v, float) and v > 0 for v in row.values())
    # 5-minute cache writes cost 1.25x input (the pricing page's multiplier); reads cost less than input; output more
    assert math.isclose(row["cache_write"], 1.25 * row["input"])
    assert row["cache_read"] < row["input"] < row["output"]
    assert model.startswith("claude-") and model == model.strip().lower()


def test_the_table_is_dated_and_sourced():
    import codeact_magic.pricing as pricing

    # the docstring names the page the figures come from and the day they were read, and that day is PRICES_AS_OF
    assert "https://platform.claude.com/docs/" in pricing.__doc__
    assert f"read {PRICES_AS_OF}" in pricing.__doc__
    assert datetime.date.fromisoformat(PRICES_AS_OF)


def test_cost_follows_the_table():
    # claude-sonnet-5-5: $2 in, $10 out, $2.50 cache write, $0.20 cache read per million tokens
    assert cost_usd("claude-sonnet-5-5", 1_000_000, 0) == 2.0
    assert cost_usd("claude-sonnet-5-5", 0, 1_000_000) == 10.0
    assert abs(cost_usd("claude-sonnet-5-5", 0, 0, 1_000_000, 1_000_000) - 2.7) < 1e-9


@pytest.mark.parametrize("model", sorted(PRICES))
def test_cost_is_linear_in_each_count(model):
    row = PRICES[model]
    counts = (1234, 567, 890, 4321)
    expected = sum(n * row[k] for n, k in zip(counts, ("input", "output", "cache_write", "cache_read"))) / 1e6
    assert math.isclose(cost_usd(model, *counts), expected)
    assert cost_usd(model, 0, 0) == 0.0
    assert math.isclose(cost_usd(model, *(2 * n for n in counts)), 2 * expected)


def test_unknown_model_costs_unknown_and_overrides_win():
    assert cost_usd("claude-imaginary-9", 1000, 1000) is None
    assert cost_usd("claude-imaginary-9", 1_000_000, 0, overrides={"claude-imaginary-9": {"input": 7, "output": 9}}) == 7.0
    # cache prices default to 1.25x and 0.1x input when an override gives only input/output
    assert abs(cost_usd("x", 0, 0, 1_000_000, 1_000_000, overrides={"x": {"input": 4, "output": 8}}) - 5.4) < 1e-9
    # an override row without input/output prices is no price at all
    assert cost_usd("y", 1, 1, overrides={"y": {"cache_read": 1.0}}) is None


def test_dated_model_id_uses_its_alias_price():
    assert price_for("claude-haiku-4-5-20251001") == price_for("claude-haiku-4-5")
    # only an 8-digit date suffix falls back; anything else is unknown
    assert price_for("claude-haiku-4-5-2025") is None
    assert price_for("claude-haiku-4-5-latest") is None
