"""A sandbox's outputs, made inert before the user's page shows them (``codeact_magic.untrusted``)."""

from __future__ import annotations

import pandas as pd
import pytest

from codeact_magic.untrusted import inert_bundle


def test_plain_outputs_and_a_dataframes_table_pass_unchanged():
    frame = pd.DataFrame({"a": [1, 2]})
    for data in ({"text/plain": "42"}, {"image/png": "iVBOR", "text/plain": "<Figure>"},
                 {"text/html": frame._repr_html_(), "text/plain": repr(frame)},
                 {"text/markdown": "**bold**"}, {"image/svg+xml": "<svg><circle r='3'/></svg>"},
                 {"text/html": ["<b>", "lines</b>"]}):
        assert inert_bundle(data) is data


@pytest.mark.parametrize("markup, why", [
    ("<b>hi</b><script>fetch('/api/kernels')</script>", "<script>"),
    ("<SCRIPT src='x.js'></SCRIPT>", "<script>"),
    ("<img src=x onerror=alert(1)>", "an onerror attribute"),
    ("<a href=' javascript:alert(1)'>x</a>", "a javascript: URL"),
    ("<iframe src='https://example.com'></iframe>", "<iframe>"),
    ("<svg><script>alert(1)</script></svg>", "<script>"),
    ("<svg onload='alert(1)'/>", "an onload attribute"),
    ("<meta http-equiv='refresh' content='0;url=javascript:alert(1)'>", "<meta http-equiv>"),
])
def test_markup_that_runs_code_is_dropped_and_the_text_kept(markup, why):
    kept = inert_bundle({"text/html": markup, "text/plain": "the text"})
    assert kept == {"text/plain": "the text"}
    only = inert_bundle({"text/html": markup})
    assert only == {"text/plain": f"[not shown: text/html with {why} from the sandbox kernel]"}


def test_javascript_and_widget_views_are_dropped():
    assert inert_bundle({"application/javascript": "alert(1)", "text/plain": "<IPython.core.display.Javascript>"}) \
        == {"text/plain": "<IPython.core.display.Javascript>"}
    view = {"application/vnd.jupyter.widget-view+json": {"model_id": "x", "version_major": 2}, "text/plain": "IntSlider"}
    assert inert_bundle(view) == {"text/plain": "IntSlider"}
    assert inert_bundle({"application/javascript": "x"}) == {
        "text/plain": "[not shown: application/javascript from the sandbox kernel]"}
