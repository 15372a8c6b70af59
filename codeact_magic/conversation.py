"""The conversation of a run: its first message, a follow-up's, and the ``messages`` of the next request rebuilt from
the record (the Messages API's ``MessageParam`` dicts: https://docs.claude.com/en/api/messages), with the images of
old steps replaced by their description.

Pure functions over :class:`~codeact_magic.records.Run`; the loop (:mod:`codeact_magic.agent`) keeps the live list.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .records import FollowUp, Run

__all__ = ["IMAGE_GONE", "aged_images", "conversation", "first_message", "followup_message", "result_content"]

#: What replaces the image blocks of a ``tool_result`` older than the trait ``image_turns`` model turns.
IMAGE_GONE = "[{n} no longer attached (sent {turns} turns ago); its description is above]"


def first_message(task: str, context: str, preamble: str = "") -> dict[str, Any]:
    """The first user message: the task, the variable summary and the run's ``preamble`` (the MCP servers' index,
    the ``-o`` result variable), as a ``MessageParam`` dict."""
    text = f"<task>\n{task.strip()}\n</task>\n\n<kernel_variables>\n{context.strip() or '(none)'}\n</kernel_variables>"
    if preamble.strip():
        text += "\n\n" + preamble.strip()
    return {"role": "user", "content": [{"type": "text", "text": text}]}


def followup_message(followup: FollowUp) -> dict[str, Any]:
    """A follow-up's user message: its task and the summary of the variables that changed since the run ended."""
    text = (f"<followup>\n{followup.task.strip()}\n</followup>\n\n<kernel_variables_changed>\n"
            f"{followup.context.strip() or '(none changed)'}\n</kernel_variables_changed>")
    return {"role": "user", "content": [{"type": "text", "text": text}]}


def _append_user(messages: list[dict[str, Any]], content: list[dict[str, Any]]) -> None:
    """Add user content; after a user message (tool results a turn never answered) it joins that message, so the
    roles keep alternating as the Messages API wants."""
    if messages and messages[-1]["role"] == "user":
        messages[-1] = {"role": "user", "content": [*messages[-1]["content"], *content]}
    else:
        messages.append({"role": "user", "content": list(content)})


def result_content(observation: str, blocks: Sequence[dict[str, Any]] = ()) -> Any:
    """A ``tool_result``'s ``content``: the observation's text, followed by its image blocks when there are some
    (the Messages API allows ``text`` and ``image`` blocks in a ``tool_result``)."""
    return [{"type": "text", "text": observation}, *blocks] if blocks else observation


def conversation(run: Run, images: Any = None) -> list[dict[str, Any]]:
    """The run's conversation so far, as the ``messages`` of its next request (``MessageParam`` dicts), rebuilt from
    the record: the first message, each turn's content, each step's ``tool_result`` (its observation, and its image
    blocks from ``images(step)`` when given), each question's answer, each correction of a ``-o`` result and each
    follow-up's message.

    A ``tool_use`` that did not run (refused, or the run stopped first) gets a ``tool_result`` saying it was not
    run, as the API needs one for each. The step-limit note a run appended is not recorded, so it is not in it. A new
    run's is its first message; a run made ready for a follow-up (:func:`continue_run`) ends with the follow-up's.
    """
    messages = [first_message(run.task, run.context, run.preamble)]
    steps = {s.tool_use_id: s for s in run.steps}
    asked = {q.tool_use_id: q for q in run.questions}
    corrections = {c["turn"]: c["problem"] for c in (run.output or {}).get("corrections", ())}
    followups = {f.turn: f for f in run.followups}
    for t, turn in enumerate(run.turns):
        if t in followups:
            _append_user(messages, followup_message(followups[t])["content"])
        messages.append({"role": "assistant", "content": turn.content})
        if turn.tool_uses:
            results = []
            for use in turn.tool_uses:
                step, question = steps.get(use.get("id")), asked.get(use.get("id"))
                if question is not None:
                    results.append({"type": "tool_result", "tool_use_id": use["id"], "content": question.result})
                elif step is None:
                    results.append({"type": "tool_result", "tool_use_id": use["id"], "is_error": True,
                                    "content": "Not run."})
                else:
                    blocks = images(step) if images is not None and step.images else ()
                    results.append({"type": "tool_result", "tool_use_id": use["id"], "is_error": step.is_error,
                                    "content": result_content(step.observation, blocks)})
            messages.append({"role": "user", "content": results})
        elif t in corrections:
            messages.append({"role": "user", "content": [{"type": "text", "text": corrections[t]}]})
    if len(run.turns) in followups:  # the follow-up about to be asked
        _append_user(messages, followup_message(followups[len(run.turns)])["content"])
    return messages


def aged_images(messages: Sequence[dict[str, Any]], keep_turns: int) -> list[dict[str, Any]]:
    """``messages`` with the image blocks of each ``tool_result`` that ``keep_turns`` or more assistant turns have
    followed replaced by one text block (:data:`IMAGE_GONE`): an image is sent with the next ``keep_turns`` requests,
    then only its text description, which the observation holds either way. ``messages`` is not modified; the
    messages and blocks not changed are the same objects.
    """
    remaining = sum(1 for m in messages if m.get("role") == "assistant")
    out = []
    for message in messages:
        if message.get("role") == "assistant":
            remaining -= 1
            out.append(message)
            continue
        content = message.get("content")
        if remaining < keep_turns or not isinstance(content, list):
            out.append(message)
            continue
        changed, blocks = False, []
        for block in content:
            inner = block.get("content") if block.get("type") == "tool_result" else None
            images = [b for b in inner if b.get("type") == "image"] if isinstance(inner, list) else []
            if images:
                changed = True
                what = "its image is" if len(images) == 1 else f"its {len(images)} images are"
                gone = {"type": "text", "text": IMAGE_GONE.format(n=what, turns=keep_turns)}
                block = {**block, "content": [b for b in inner if b.get("type") != "image"] + [gone]}
            blocks.append(block)
        out.append({**message, "content": blocks} if changed else message)
    return out
