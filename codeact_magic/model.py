"""Claude through the official ``anthropic`` SDK: the tools, prompt caching, streaming, usage and errors.

Everything that talks to the Messages API lives here. The agent loop sees :class:`ClaudeModel` (or
:class:`ReplayModel`) through one method, ``turn(system, messages, on_text) -> Turn``.

Three providers (the ``provider`` trait): ``anthropic`` is ``anthropic.Anthropic`` at ``base_url``, Anthropic's API or
any server that speaks the Messages API (Ollama, llama.cpp's server, vLLM, LiteLLM's proxy; the SDK appends
``/v1/messages`` to the base URL); ``bedrock`` and ``vertex`` are the SDK's own ``AnthropicBedrock`` and
``AnthropicVertex``, with credentials from those platforms' standard environment. A server that rejects prompt caching
(``cache_control``) with a 400 gets the same turn once more without it, and never again this session (see
:meth:`ClaudeModel.turn`).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from typing import Any

import anthropic
import httpx2
from traitlets.log import get_logger

from .agent import ASK_TOOL, CODE_TOOL
from .config import default
from .exceptions import CONNECT_TIMEOUT_S, SLOW_LINK, BrokenStreamError, ModelError, ReplayError
from .providers import NO_CACHE, PROVIDERS, check_api_key, client, has_api_key, rejects_caching
from .records import Turn, Usage

__all__ = ["ASK_USER_TOOL", "PROVIDERS", "PYTHON_TOOL", "ClaudeModel", "ReplayModel", "build_request",
           "check_api_key", "has_api_key", "sendable"]

#: The one client tool Claude gets. Each ``tool_use`` of it is one code step.
PYTHON_TOOL: dict[str, Any] = {
    "name": CODE_TOOL,
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

#: The tool Claude asks the user a question with; its ``tool_use`` is not a step (``agent.ASK_TOOL``).
ASK_USER_TOOL: dict[str, Any] = {
    "name": ASK_TOOL,
    "description": (
        "Ask the user one short question, only when the task is ambiguous and a wrong guess would waste the work "
        "(which file, which column, which year). Do not ask for what you can find out by running code. The result is "
        "the user's answer, or a note that no user is available: then make a reasonable choice and say which."
    ),
    "input_schema": {
        "type": "object",
        "properties": {"question": {"type": "string",
                                    "description": "One short, self-contained question, answerable in a few words."}},
        "required": ["question"],
    },
}

_EPHEMERAL = {"type": "ephemeral"}
_DERIVED = {"text", "input_json", "citation", "thinking", "signature"}  # the SDK's events made from a delta event


def _blank(block: Any) -> bool:
    """Whether ``block`` is a text block with empty or whitespace-only text (the API answers such a block with 400)."""
    return isinstance(block, dict) and block.get("type") == "text" and not str(block.get("text") or "").strip()


def sendable(content: Any) -> Any:
    """Message ``content`` without the blank text blocks the API rejects ("text content blocks must contain
    non-whitespace text", HTTP 400, for the whole request). A string is returned as it is."""
    return content if isinstance(content, str) else [b for b in content if not _blank(b)]


def build_request(
    system: str, messages: Sequence[dict[str, Any]], *, model: str, max_tokens: int,
    tools: Sequence[dict] = (PYTHON_TOOL,), cache: bool = True,
) -> dict[str, Any]:
    """The keyword arguments of one ``messages.stream`` call, with prompt-caching breakpoints.

    Three ``cache_control`` breakpoints (the API allows 4): the last tool, the system prompt, and the last content
    block of the last message. The last one moves forward every turn, so each request reads the previous turn's
    prefix from the cache and writes only the new blocks (https://platform.claude.com/docs/en/build-with-claude/prompt-caching).
    Without `cache` no block carries ``cache_control``, for servers that reject it.
    Empty or whitespace-only text blocks are left out (see :func:`sendable`): the model sometimes sends one before a
    ``tool_use``, and the API rejects the whole request when it comes back.

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
    cache : bool, default True
        Whether to place the ``cache_control`` breakpoints.

    Returns
    -------
    dict
        ``model``, ``max_tokens``, ``system``, ``tools``, ``messages``.
    """
    tools = [dict(t) for t in tools]
    if tools and cache:
        tools[-1]["cache_control"] = _EPHEMERAL
    msgs = [{**m, "content": sendable(m["content"])} for m in messages]
    if msgs and cache:
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
        "system": [{"type": "text", "text": system, **({"cache_control": _EPHEMERAL} if cache else {})}],
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


class ClaudeModel:
    """Claude, streamed through the SDK client's ``messages.stream``.

    Each option left out (``None``) takes the default of its trait in :class:`~codeact_magic.config.CodeActConfig`
    (``max_tokens``, ``max_retries``, ``request_timeout``, ``read_timeout``).

    Parameters
    ----------
    model : str
        Model id (on Bedrock and Vertex AI in their own form, e.g. ``anthropic.claude-sonnet-4-5-20250929-v1:0`` and
        ``claude-sonnet-4-5@20250929``).
    max_tokens : int
        Output tokens per turn.
    max_retries : int
        The SDK's retries (408, 409, 429, >= 500, connection errors), with its own backoff and ``retry-after``.
    timeout : float
        Seconds for writing the request and for waiting on the connection pool (``httpx2.Timeout``'s default; no
        phase of a request waits longer).
    read_timeout : float
        Seconds without a byte from the API before a request fails: while waiting for the answer (then the SDK
        retries, so a silent server fails after about ``(max_retries + 1) * read_timeout`` seconds plus its short
        backoff: 3 * 40 + ~1.5 = ~122 s with the defaults) and between two bytes of the stream (then the turn is
        broken, see :class:`BrokenStreamError`). The stream sends ``ping`` events while the model works, so a live
        answer is never this silent. Opening a connection may take at most ``min(10, read_timeout)`` seconds.
    base_url : str, optional
        The server's address, without ``/v1/messages`` (the SDK appends it), e.g. ``http://localhost:11434`` for
        Ollama. None or empty: the SDK's default (``ANTHROPIC_BASE_URL``, else https://api.anthropic.com; for Bedrock
        and Vertex their regional endpoint).
    auth_token : str, optional
        A bearer token (``Authorization: Bearer``) for provider ``anthropic``, used instead of the environment's
        ``ANTHROPIC_API_KEY`` / ``ANTHROPIC_AUTH_TOKEN``. None or empty: the SDK reads those.
    provider : {"anthropic", "bedrock", "vertex"}, default "anthropic"
        ``anthropic.Anthropic``, ``anthropic.AnthropicBedrock`` (AWS credentials and region from the standard
        environment: ``AWS_REGION``, ``AWS_PROFILE``, ``~/.aws``, or ``AWS_BEARER_TOKEN_BEDROCK``) or
        ``anthropic.AnthropicVertex`` (``CLOUD_ML_REGION``, ``ANTHROPIC_VERTEX_PROJECT_ID`` and Google's application
        default credentials).
    tools : sequence of dict, optional
        The tool definitions sent with every turn; default ``(PYTHON_TOOL,)``.

    Raises
    ------
    MissingAPIKeyError
        For provider ``anthropic`` when no API key or token is set; raised before any request.
    MissingExtraError
        For ``bedrock`` or ``vertex`` when the SDK's extra of that name is not installed.
    ModelError
        When the Bedrock or Vertex client cannot be set up (no region).
    """

    def __init__(self, *, model: str, max_tokens: int | None = None, max_retries: int | None = None,
                 timeout: float | None = None, read_timeout: float | None = None, base_url: str | None = None,
                 auth_token: str | None = None, provider: str = "anthropic",
                 tools: Sequence[dict[str, Any]] | None = None) -> None:
        check_api_key(auth_token, provider)
        # a None is the setting's default, read from its trait (codeact_magic.config)
        max_tokens = default("max_tokens") if max_tokens is None else max_tokens
        max_retries = default("max_retries") if max_retries is None else max_retries
        timeout = default("request_timeout") if timeout is None else timeout
        read_timeout = default("read_timeout") if read_timeout is None else read_timeout
        self.model = model
        self.max_tokens = max_tokens
        self.max_retries = max_retries
        self.read_timeout = read_timeout
        self.provider = provider
        self.tools = [PYTHON_TOOL] if tools is None else list(tools)
        timeouts = httpx2.Timeout(timeout, connect=min(CONNECT_TIMEOUT_S, read_timeout), read=read_timeout)
        self.client = client(provider, base_url=base_url or None, auth_token=auth_token or None,
                              max_retries=max_retries, timeout=timeouts)

    @property
    def base_url(self) -> str:
        """The server's base URL as the SDK client has it, without a trailing slash (the SDK adds
        ``/v1/messages``)."""
        return str(self.client.base_url).rstrip("/")

    @property
    def caching(self) -> bool:
        """Whether requests carry ``cache_control``: False once this server rejected it, this session."""
        return self.base_url not in NO_CACHE

    def turn(self, system: str, messages: Sequence[dict[str, Any]], on_text: Callable[[str], None] | None = None) -> Turn:
        """Ask for the next assistant message, streaming its text to ``on_text``.

        A server that answers a request with ``cache_control`` with a 400 about it (see :func:`_rejects_caching`;
        servers that speak the Messages API often lack prompt caching) gets the same turn once more without it. When
        that succeeds, its base URL is remembered for the session: no later turn of any :class:`ClaudeModel` sends
        it ``cache_control``. A 400 comes before any byte of the stream, so nothing went to ``on_text`` twice.

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
            Content blocks (blank text blocks left out), stop_reason, usage (a field the server did not send counts
            0) and latency (seconds, the retry without ``cache_control`` included).

        Raises
        ------
        BrokenStreamError
            When the stream ended before ``message_stop``: the body ended, the connection dropped or stalled for
            ``read_timeout`` seconds. Its text deltas may already have gone to ``on_text``.
        ModelError
            On an API error the SDK did not (or could not) retry, a connection failure or a malformed stream; when
            the turn without ``cache_control`` fails too, with that second error.
        KeyboardInterrupt
            Passed through, so the caller can end the run as stopped.
        """
        start = time.perf_counter()
        cache = self.caching
        try:
            message = self._stream(self._request(system, messages, cache), on_text)
        except ModelError as error:
            if not (cache and rejects_caching(error.__cause__, self.base_url)):
                raise
            message = self._stream(self._request(system, messages, False), on_text)
            if self.base_url not in NO_CACHE:
                NO_CACHE.add(self.base_url)
                get_logger().info("codeact: %s rejected prompt caching (%s); it gets no cache_control for the rest "
                                  "of this session", self.base_url, error)
        return Turn(
            content=[p for p in map(_block_param, message.content) if not _blank(p)],
            stop_reason=message.stop_reason,
            usage=Usage.from_api(getattr(message, "usage", None)),
            latency_s=time.perf_counter() - start,
            message_id=message.id,
        )

    def _request(self, system: str, messages: Sequence[dict[str, Any]], cache: bool) -> dict[str, Any]:
        return build_request(system, messages, model=self.model, max_tokens=self.max_tokens, tools=self.tools,
                             cache=cache)

    def _stream(self, request: dict[str, Any], on_text: Callable[[str], None] | None) -> Any:
        """The final ``anthropic.types.Message`` of one streamed request; errors as :meth:`turn` raises them (an
        SDK error is the ``__cause__`` of the :class:`ModelError`)."""
        base_url = self.base_url
        events, complete = 0, False
        try:
            with self.client.messages.stream(**request) as stream:
                for event in stream:
                    events += event.type not in _DERIVED
                    if event.type == "text" and on_text is not None:
                        on_text(event.text)
                    elif event.type == "message_stop":
                        complete = True
                if not complete:  # the SDK hands back whatever arrived as if it were the message
                    raise BrokenStreamError(f"The response stream from Claude ended before the message was complete "
                                            f"(no message_stop after {events} events). Run the cell again.")
                return stream.get_final_message()
        except anthropic.APIError as error:
            raise ModelError.from_sdk(error, model=self.model, retries=self.max_retries, base_url=base_url,
                                      read_timeout=self.read_timeout) from error
        except httpx2.TimeoutException as error:  # mid-stream: the SDK's retries cover only the wait for headers
            raise BrokenStreamError(f"The response stream from Claude stalled: no byte for {self.read_timeout:g} s "
                                    f"(read timeout) after {events} events. Run the cell again; {SLOW_LINK}.") from error
        except httpx2.HTTPError as error:  # a connection dropped mid-stream: the transport's own error
            raise BrokenStreamError(f"The connection to Claude dropped mid-answer after {events} events "
                                    f"({type(error).__name__}: {error}). Run the cell again.") from error
        except (AssertionError, ValueError, RuntimeError) as error:  # the SDK's complaints about a malformed stream
            raise ModelError.from_sdk(error, model=self.model, retries=self.max_retries, base_url=base_url,
                                      read_timeout=self.read_timeout) from error


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
