"""What a run costs, in USD, from the token counts in the Messages API's ``usage``.

There is no price API, so this is a small dated table. Source: https://platform.claude.com/docs/en/about-claude/pricing
and each model's overview page (read 2026-11-21). Cache writes are the 5-minute ephemeral writes (1.25x input) and
cache reads as listed there. Override or extend with ``%config CodeActMagics.prices = {...}``. An unknown model costs
``None`` ("unknown"): we never guess.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["PRICES", "PRICES_AS_OF", "cost_usd", "price_for"]

PRICES_AS_OF = "2026-11-21"

#: USD per million tokens: input, output, cache_write (5 min), cache_read.
PRICES: dict[str, dict[str, float]] = {
    "claude-opus-5-5": {"input": 4.0, "output": 20.0, "cache_write": 5.0, "cache_read": 0.20},
    "claude-opus-5": {"input": 5.0, "output": 25.0, "cache_write": 6.25, "cache_read": 0.50},
    "claude-sonnet-5-5": {"input": 2.0, "output": 10.0, "cache_write": 2.50, "cache_read": 0.20},
    "claude-sonnet-5": {"input": 2.0, "output": 10.0, "cache_write": 2.50, "cache_read": 0.20},
    "claude-haiku-5-5": {"input": 0.10, "output": 0.50, "cache_write": 0.125, "cache_read": 0.01},
    "claude-opus-4-5": {"input": 5.0, "output": 25.0, "cache_write": 6.25, "cache_read": 0.50},
    "claude-sonnet-4-5": {"input": 3.0, "output": 15.0, "cache_write": 3.75, "cache_read": 0.30},
    "claude-haiku-4-5": {"input": 1.0, "output": 5.0, "cache_write": 1.25, "cache_read": 0.10},
}


def price_for(model: str, overrides: Mapping[str, Mapping[str, float]] | None = None) -> dict[str, float] | None:
    """The price row of ``model``, or ``None`` when it is unknown.

    Parameters
    ----------
    model : str
        A model id; a dated id (``claude-haiku-4-5-20251001``) falls back to its undated alias.
    overrides : mapping, optional
        ``{model: {"input", "output", "cache_write", "cache_read"}}`` in USD per million tokens, taking precedence.

    Returns
    -------
    dict or None
        USD per million tokens for ``input``, ``output``, ``cache_write``, ``cache_read``.
    """
    table = {**PRICES, **(overrides or {})}
    if model in table:
        row = dict(table[model])
    else:
        base, _, suffix = model.rpartition("-")
        if not (suffix.isdigit() and len(suffix) == 8 and base in table):
            return None
        row = dict(table[base])
    if "input" not in row or "output" not in row:
        return None
    row.setdefault("cache_write", row["input"] * 1.25)
    row.setdefault("cache_read", row["input"] * 0.1)
    return row


def cost_usd(
    model: str,
    input_tokens: int,
    output_tokens: int,
    cache_creation_input_tokens: int = 0,
    cache_read_input_tokens: int = 0,
    overrides: Mapping[str, Mapping[str, float]] | None = None,
) -> float | None:
    """Cost in USD of the given token counts, or ``None`` for a model with no known price.

    Parameters
    ----------
    model : str
        Model id.
    input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens : int
        Token counts as in the Messages API ``usage`` object (``input_tokens`` excludes cached tokens).
    overrides : mapping, optional
        Price overrides, see :func:`price_for`.

    Returns
    -------
    float or None
        USD.
    """
    row = price_for(model, overrides)
    if row is None:
        return None
    return (
        input_tokens * row["input"]
        + output_tokens * row["output"]
        + cache_creation_input_tokens * row["cache_write"]
        + cache_read_input_tokens * row["cache_read"]
    ) / 1_000_000
