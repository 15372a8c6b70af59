"""The messages of a request, rebuilt from the record, with old images aged out (codeact_magic.conversation)."""

from __future__ import annotations

from codeact_magic.conversation import IMAGE_GONE, aged_images, conversation, first_message, result_content
from codeact_magic.records import Question, Run, Step, Turn

IMAGE = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}


def use(id_: str, name: str = "python", **input_) -> dict:
    return {"type": "tool_use", "id": id_, "name": name, "input": input_ or {"code": "x = 1"}}


def messages_with_images(turns: int) -> list[dict]:
    """A first message, a turn whose step sent an image, then ``turns - 1`` turns of plain steps."""
    messages = [first_message("task", "")]
    for t in range(turns):
        messages.append({"role": "assistant", "content": [use(f"t{t}")]})
        content = result_content(f"step {t}", [IMAGE] if t == 0 else [])
        messages.append({"role": "user", "content": [{"type": "tool_result", "tool_use_id": f"t{t}",
                                                      "content": content}]})
    return messages


def images_in(messages) -> int:
    return sum(1 for m in messages if m["role"] == "user" for b in m["content"]
               if isinstance(b.get("content"), list) for c in b["content"] if c["type"] == "image")


def test_an_image_is_sent_with_the_next_three_requests_then_as_text():
    assert [images_in(aged_images(messages_with_images(n), 3)) for n in (1, 2, 3, 4, 5)] == [1, 1, 1, 0, 0]
    aged = aged_images(messages_with_images(4), 3)
    result = aged[2]["content"][0]["content"]
    assert result[0] == {"type": "text", "text": "step 0"}
    assert result[-1]["text"] == IMAGE_GONE.format(n="its image is", turns=3)


def test_aging_copies_only_what_it_changes():
    original = messages_with_images(4)
    aged = aged_images(original, 3)
    assert images_in(original) == 1  # not modified
    assert aged[4] is original[4] and aged[2] is not original[2]
    assert aged_images(original, 10) == original


def test_text_only_results_stay_strings():
    assert result_content("out") == "out"
    assert result_content("out", [IMAGE]) == [{"type": "text", "text": "out"}, IMAGE]


def test_the_rebuilt_conversation_has_questions_corrections_and_images():
    run = Run(run_id="r-1", task="t", model="m", preamble="<result_variable>\nx\n</result_variable>")
    run.turns = [Turn(content=[use("q1", "ask_user", question="Which?")]),
                 Turn(content=[use("s1")]),
                 Turn(content=[{"type": "text", "text": "Done."}]),
                 Turn(content=[{"type": "text", "text": "Fixed."}])]
    run.questions = [Question(turn=0, tool_use_id="q1", question="Which?", answer="this",
                              result="The user answered: this")]
    run.steps = [Step(index=1, turn=1, tool_use_id="s1", code="x = 1", observation="ok",
                      images=[{"output": 0, "tokens": 3}])]
    run.output = {"name": "x", "corrections": [{"turn": 2, "problem": "x is missing"}]}
    messages = conversation(run, images=lambda step: [IMAGE])
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant", "user", "assistant", "user",
                                             "assistant"]
    assert messages[0]["content"][0]["text"].endswith("<result_variable>\nx\n</result_variable>")
    assert messages[2]["content"][0]["content"] == "The user answered: this"
    assert messages[4]["content"][0]["content"] == [{"type": "text", "text": "ok"}, IMAGE]
    assert messages[6]["content"] == [{"type": "text", "text": "x is missing"}]
