"""escape_dollars: a $ in the model's Markdown is money in Jupyter, its maths stays maths, its code stays code."""

import pytest

from codeact_magic.markdown import escape_dollars

B = "\\"  # one backslash


@pytest.mark.parametrize("text, expected", [
    ("North made $22,984 and South $16,831.", f"North made {B*2}$22,984 and South {B*2}$16,831."),
    ("no dollars here", "no dollars here"),
    ("display maths $$x^2 + y$$ then $3", f"display maths $$x^2 + y$$ then {B*2}$3"),
    (f"inline {B}(x^2{B}) and block {B}[y{B}]", f"inline {B*2}(x^2{B*2}) and block {B*2}[y{B*2}]"),
    (f"the model escaped it: {B}$5", f"the model escaped it: {B*2}$5"),
    (f"written for Jupyter: {B*2}$5 and {B*2}(z{B*2})", f"written for Jupyter: {B*2}$5 and {B*2}(z{B*2})"),
    ("code `df.$x` and ``a`$b`` and $1", f"code `df.$x` and ``a`$b`` and {B*2}$1"),
    ("an unclosed ` tick $1", f"an unclosed ` tick {B*2}$1"),
    ("$$unclosed display", f"{B*2}${B*2}$unclosed display"),
])
def test_inline(text, expected):
    assert escape_dollars(text) == expected


def test_code_blocks_and_html_are_left_alone():
    text = ("Costs $5:\n\n```python\nprint('$5')\n```\n\n    indented $6\n\n<div>$7</div>\n\nand $8\n")
    assert escape_dollars(text) == (f"Costs {B*2}$5:\n\n```python\nprint('$5')\n```\n\n    indented $6\n\n"
                                    f"<div>$7</div>\n\nand {B*2}$8\n")


def test_a_code_span_does_not_run_past_a_paragraph():
    assert escape_dollars("a ` b $1\n\nc ` d") == f"a ` b {B*2}$1\n\nc ` d"


def test_display_maths_may_span_lines():
    assert escape_dollars("$$\na = 1\n$$ and $2") == f"$$\na = 1\n$$ and {B*2}$2"
