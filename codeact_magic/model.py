"""Claude through the official ``anthropic`` SDK: the code tool, prompt caching, streaming, usage and errors.

Everything that talks to the Messages API lives here. The agent loop sees :class:`ClaudeModel` (or
:class:`ReplayModel`) through one method, ``turn(system, messages, on_text) -> Turn``.
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import anthropic
import httpx2

from .exceptions import MissingAPIKeyError, ModelError, ReplayError
from .records import Turn, Usage

__all__ = ["PYTHON_TOOL", "ClaudeModel", "ReplayModel", "build_request", "check_api_key", "has_api_key"]

#: The one client tool Claude gets. Each ``tool_use`` of it is one code step.
PYTHON_TOOL: dict[str, Any] = {
    "name": "python",
    "description": (
        "Run Python code in the user's live Jupyter kernel (IPython). Variables persist between calls and are the "
        "user's own afterwards. The result is the cell's output: stdout, stderr, rich outputs (described), the value "
        "of the last expression, or the traceback. Display plots and tables rather than describing them; keep "
        "output short."
    ),
    "input_schema": {
        "type": "object",
        "properties": {"code": {"type": "string", "description": "Python source to execute, as one notebook cell."}},
        "required": ["code"],
    },
}

_EPHEMERAL = {"type": "ephemeral"}


def has_api_key() -> bool:
    """Whether ``ANTHROPIC_API_KEY`` (or ``ANTHROPIC_AUTH_TOKEN``) is set to a non-empty value."""
    return bool(os.environ.get("ANTHROPIC_API_KEY") or os.environ.get("ANTHROPIC_AUTH_TOKEN"))


def check_api_key() -> None:
    """Raise :class:`MissingAPIKeyError` unless ``ANTHROPIC_API_KEY`` (or ``ANTHROPIC_AUTH_TOKEN``) is set.

    Raises
    ------
    MissingAPIKeyError
        When neither variable is set to a non-empty value.
    """
    if not has_api_key():
        raise MissingAPIKeyError()


def build_request(
    system: str, messages: Sequence[dict[str, Any]], *, model: str, max_tokens: int, tools: Sequence[dict] = (PYTHON_TOOL,)
) -> dict[str, Any]:
    """The keyword arguments of one ``messages.stream`` call, with prompt-caching breakpoints.

    Three ``cache_control`` breakpoints (the API allows 4): the last tool, the system prompt, and the last content
    block of the last message. The last one moves forward every turn, so each request reads the previous turn's
    prefix from the cache and writes only the new blocks (https://platform.claude.com/docs/en/build-with-claude/prompt-caching).

    Parameters
    ----------
    system : str
        System prompt.
    messages : sequence of dict
        The conversation (``MessageParam`` dicts); not modified.
    model : str
        Model id.
    max_tokens : int
        Output tokens of the turn.
    tools : sequence of dict
        Tool definitions.

    Returns
    -------
    dict
        ``model``, ``max_tokens``, ``system``, ``tools``, ``messages``.
    """
    tools = [dict(t) for t in tools]
    if tools:
        tools[-1]["cache_control"] = _EPHEMERAL
    msgs = [dict(m) for m in messages]
    if msgs:
        last = msgs[-1]
        content = last["content"]
        if isinstance(content, str):
            content = [{"type": "text", "text": content}]
        else:
            content = [dict(b) for b in content]
        if content:
            content[-1]["cache_control"] = _EPHEMERAL
        msgs[-1] = {**last, "content": content}
    return {
        "model": model,
        "max_tokens": max_tokens,
        "system": [{"type": "text", "text": system, "cache_control": _EPHEMERAL}],
        "tools": tools,
        "messages": msgs,
    }


def _block_param(block: Any) -> dict[str, Any]:
    """An SDK content block as the param dict that goes back into ``messages``."""
    kind = block.type
    if kind == "text":
        return {"type": "text", "text": block.text}
    if kind == "tool_use":
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
    if kind == "thinking":
        return {"type": "thinking", "thinking": block.thinking, "signature": block.signature}
    if kind == "redacted_thinking":
        return {"type": "redacted_thinking", "data": block.data}
    return block.model_dump(exclude_none=True)


def _api_message(error: anthropic.APIStatusError) -> str:
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error") if isinstance(body.get("error"), dict) else body
        if inner.get("message"):
            return str(inner["message"])
    return error.message


def _wrap(error: Exception, model: str, retries: int, base_url: str) -> ModelError:
    """One clear line for a failed model call: what failed and what to do."""
    if isinstance(error, anthropic.APIStatusError) and error.status_code < 400:
        # an `event: error` inside a 200 stream: not retried by the SDK
        kind = getattr(error, "type", None) or "error"
        return ModelError(f"The response stream from Claude broke off with an error event ({kind}: "
                          f"{_api_message(error)}). Run the cell again.", request_id=error.request_id)
    if isinstance(error, anthropic.APIStatusError):
        status, rid = error.status_code, error.request_id
        detail = _api_message(error)
        after = f" after {retries} retries" if retries else ""
        if status == 401:
            text = f"Claude rejected the API key (401 authentication_error: {detail}). Check ANTHROPIC_API_KEY."
        elif status == 403:
            text = f"This API key may not use this model or feature (403 permission_error: {detail})."
        elif status == 404:
            text = f"Model {model!r} was not found (404: {detail}). Choose another with --model."
        elif status == 402:
            text = f"Billing problem on the Anthropic account (402: {detail}). Check the console's billing page."
        elif status == 413:
            text = f"The request was too large (413: {detail}). Start a new run with less context."
        elif status == 429:
            text = f"Rate limited by the API (429){after}: {detail}. Wait a minute and run the cell again."
        elif status >= 500:
            text = f"The API is overloaded or failing ({status}){after}: {detail}. Try again in a few minutes."
        else:
            text = f"Claude rejected the request ({status}: {detail})."
        return ModelError(text + (f" [request-id {rid}]" if rid else ""), status_code=status, request_id=rid)
    if isinstance(error, anthropic.APITimeoutError):
        return ModelError(f"The request to Claude timed out{' after retries' if retries else ''}. Try again.")
    if isinstance(error, anthropic.APIConnectionError):
        cause = error.__cause__ or error
        return ModelError(
            f"Could not reach the Anthropic API at {base_url} ({type(cause).__name__}: {cause}). "
            "Check the network or ANTHROPIC_BASE_URL."
        )
    return ModelError(f"The response stream from Claude broke off ({type(error).__name__}: {error}). Run the cell again.")


class ClaudeModel:
    """Claude, streamed through ``anthropic.Anthropic().messages.stream``.

    Parameters
    ----------
    model : str
        Model id.
    max_tokens : int
        Output tokens per turn.
    max_retries : int
        The SDK's retries (408, 409, 429, >= 500, connection errors), with its own backoff and ``retry-after``.
    timeout : float
        Seconds per request.

    Raises
    ------
    MissingAPIKeyError
        When no API key is set; raised before any request.
    """

    def __init__(self, *, model: str, max_tokens: int = 8192, max_retries: int = 2, timeout: float = 600.0) -> None:
        check_api_key()
        self.model = model
        self.max_tokens = max_tokens
        self.max_retries = max_retries
        self.client = anthropic.Anthropic(max_retries=max_retries, timeout=timeout)

    def turn(self, system: str, messages: Sequence[dict[str, Any]], on_text: Callable[[str], None] | None = None) -> Turn:
        """Ask for the next assistant message, streaming its text to ``on_text``.

        Parameters
        ----------
        system : str
            System prompt.
        messages : sequence of dict
            The conversation so far; the last message is the user's.
        on_text : callable, optional
            Called with each text delta (str) as it arrives.

        Returns
        -------
        Turn
            Content blocks, stop_reason, usage and latency (seconds).

        Raises
        ------
        ModelError
            On an API error the SDK did not (or could not) retry, a connection failure or a broken stream.
        KeyboardInterrupt
            Passed through, so the caller can end the run as stopped.
        """
        request = build_request(system, messages, model=self.model, max_tokens=self.max_tokens)
        start = time.perf_counter()
        try:
            with self.client.messages.stream(**request) as stream:
                for event in stream:
                    if event.type == "text" and on_text is not None:
                        on_text(event.text)
                message = stream.get_final_message()
        except anthropic.APIError as error:
            raise _wrap(error, self.model, self.max_retries, str(self.client.base_url)) from error
        except (httpx2.HTTPError, AssertionError, ValueError, RuntimeError) as error:
            # a connection dropped mid-stream surfaces as the transport's own error, not an anthropic.APIError;
            # the others are the SDK's complaints about a malformed stream
            raise _wrap(error, self.model, self.max_retries, str(self.client.base_url)) from error
        return Turn(
            content=[_block_param(b) for b in message.content],
            stop_reason=message.stop_reason,
            usage=Usage.from_api(message.usage),
            latency_s=time.perf_counter() - start,
            message_id=message.id,
        )


class ReplayModel:
    """Recorded turns played back in order, instead of asking Claude (``%%codeact --replay``).

    Parameters
    ----------
    turns : sequence of Turn
        The recorded model turns.
    source : str
        Where they came from, for messages.
    """

    def __init__(self, turns: Sequence[Turn], source: str = "the recording") -> None:
        self.turns = list(turns)
        self.source = source
        self.model = "replay"
        self._next = 0

    def turn(self, system: str, messages: Sequence[dict[str, Any]], on_text: Callable[[str], None] | None = None) -> Turn:
        """The next recorded turn; its text goes to ``on_text`` in one piece.

        Raises
        ------
        ReplayError
            When the recording has no turn left.
        """
        if self._next >= len(self.turns):
            raise ReplayError(f"{self.source} has no recorded model turn {self._next + 1}; the replay ends here.")
        recorded = copy.deepcopy(self.turns[self._next])
        self._next += 1
        if on_text is not None:
            for block in recorded.content:
                if block.get("type") == "text" and block.get("text"):
                    on_text(block["text"])
        recorded.latency_s = 0.0
        recorded.usage = Usage()  # a replay bills nothing
        return recorded
