from codeact_magic.observation import render_observation, strip_ansi, truncate_middle


def test_text_is_kept_and_streams_merge_in_order():
    outputs = [
        {"output_type": "stream", "name": "stdout", "text": "total 42\n"},
        {"output_type": "execute_result", "execution_count": 3, "data": {"text/plain": "1234.5"}, "metadata": {}},
    ]
    assert render_observation(outputs) == "total 42\n[Out] 1234.5"


def test_images_and_html_are_described_not_sent():
    png = "iVBORw0KGgo" * 5000
    outputs = [
        {"output_type": "display_data", "data": {"image/png": png, "text/plain": "<Figure size 640x480 with 1 Axes>"},
         "metadata": {"image/png": {"width": 640, "height": 480}}},
        {"output_type": "display_data", "data": {"text/html": "<table><tr><td>North</td><td>12</td></tr></table>"},
         "metadata": {}},
    ]
    text = render_observation(outputs)
    assert png not in text
    assert "[image/png image 640x480 displayed to the user" in text
    assert "<Figure size 640x480 with 1 Axes>" in text
    assert "[HTML output, 49 characters; its text: North 12]" in text


def test_long_output_keeps_head_and_tail_with_marker():
    lines = "".join(f"line {i}\n" for i in range(5000))
    text = render_observation([{"output_type": "stream", "name": "stdout", "text": lines}], max_chars=1000)
    assert text.startswith("line 0\n")
    assert text.rstrip().endswith("line 4999")
    assert "characters cut] ..." in text
    assert len(text) < 1100


def test_truncate_middle_counts_what_it_cut():
    text = "a" * 600 + "b" * 600
    cut = truncate_middle(text, 100)
    head, marker, tail = cut.split("\n")
    assert head == "a" * 60 and tail == "b" * 40
    assert marker == "... [1,100 characters cut] ..."
    assert truncate_middle("short", 100) == "short"


def test_error_text_replaces_full_traceback_and_ansi_is_removed():
    outputs = [{"output_type": "error", "ename": "KeyError", "evalue": "'Region'",
                "traceback": ["\x1b[0;31mKeyError\x1b[0m long library traceback"]}]
    text = render_observation(outputs, "error", "Traceback (...)\n  Cell In[4], line 1\nKeyError: 'Region'")
    assert "long library traceback" not in text
    assert text.endswith("KeyError: 'Region'")
    assert strip_ansi("\x1b[0;31mred\x1b[0m") == "red"


def test_empty_output_says_so():
    assert render_observation([]) == "(no output)"
    assert render_observation([], "timeout") == "(no output; status timeout)"
