"""Who answers the model's ``ask_user`` tool: the user, through the kernel's stdin, or a recording.

The question goes through ``input()``, which in a kernel is an ``input_request`` on the stdin channel
(https://jupyter-client.readthedocs.io/en/latest/messaging.html#messages-on-the-stdin-router-dealer-channel): the
input box under the ``%%codeact`` cell in JupyterLab, Notebook 7 and VS Code, the prompt in terminal IPython. Where no
stdin exists (nbclient, papermill, ``allow_stdin=False``) nobody is asked and the tool says so
(:data:`codeact_magic.agent.NO_USER`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from IPython.core.error import StdinNotImplementedError

from .approval import stdin_available
from .stdin import ask_user

__all__ = ["PROMPT", "kernel_user", "recorded_answers"]

#: The prompt of the input box: it carries the question, as VS Code shows only the prompt.
PROMPT = "Claude asks: {question}\nYour answer: "


def kernel_user(shell: Any) -> Callable[[str], str | None] | None:
    """The user of ``shell``'s kernel as ``ask_user``'s answerer, or ``None`` when the running cell has no stdin.

    Returns
    -------
    callable or None
        ``user(question) -> reply``: the reply typed (``str``); ``None`` when stdin went away meanwhile.
        ``KeyboardInterrupt`` (the user stopped the run while asked) is passed through.
    """
    if not stdin_available(shell):
        return None

    def user(question: str) -> str | None:
        try:
            return ask_user(PROMPT.format(question=question), password=False)
        except (EOFError, OSError, StdinNotImplementedError):  # the client has no stdin after all
            return None

    return user


def recorded_answers(questions: Sequence[Any]) -> Callable[[str], str | None]:
    """``ask_user``'s answerer for a ``--replay``: the recorded replies, in order (``None`` past the last)."""
    replies = iter([q.answer for q in questions])

    def user(question: str) -> str | None:
        return next(replies, None)

    return user
