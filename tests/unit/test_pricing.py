import typing

import anthropic.types

from codeact_magic.config import DEFAULT_MODEL
from codeact_magic.pricing import PRICES, cost_usd, price_for


def test_default_model_is_known_to_the_installed_sdk_and_priced():
    assert DEFAULT_MODEL in typing.get_args(typing.get_args(anthropic.types.Model)[0])
    assert price_for(DEFAULT_MODEL) is not None


def test_every_priced_model_is_known_to_the_sdk():
    known = set(typing.get_args(typing.get_args(anthropic.types.Model)[0]))
    assert set(PRICES) <= known


def test_cost_follows_the_table():
    # claude-sonnet-5-5: $2 in, $10 out, $2.50 cache write, $0.20 cache read per million tokens
    assert cost_usd("claude-sonnet-5-5", 1_000_000, 0) == 2.0
    assert cost_usd("claude-sonnet-5-5", 0, 1_000_000) == 10.0
    assert abs(cost_usd("claude-sonnet-5-5", 0, 0, 1_000_000, 1_000_000) - 2.7) < 1e-9


def test_unknown_model_costs_unknown_and_overrides_win():
    assert cost_usd("claude-imaginary-9", 1000, 1000) is None
    assert cost_usd("claude-imaginary-9", 1_000_000, 0, overrides={"claude-imaginary-9": {"input": 7, "output": 9}}) == 7.0
    # cache prices default to 1.25x and 0.1x input when an override gives only input/output
    assert abs(cost_usd("x", 0, 0, 1_000_000, 1_000_000, overrides={"x": {"input": 4, "output": 8}}) - 5.4) < 1e-9


def test_dated_model_id_uses_its_alias_price():
    assert price_for("claude-haiku-4-5-20251001") == price_for("claude-haiku-4-5")
