"""Errors raised by codeact-magic.

Failures of the *generated* code are not errors here: they are data, recorded on the step and fed back to the model.
These exceptions describe why a run could not start or could not go on. Each carries one line that says the cause
and the fix; the magic shows only that line, never a traceback.
"""

from __future__ import annotations

import anthropic
import httpx2

__all__ = [
    "CONNECT_TIMEOUT_S",
    "SLOW_LINK",
    "BrokenStreamError",
    "CodeActError",
    "ExportError",
    "MCPConfigError",
    "MCPError",
    "MCPToolError",
    "MissingAPIKeyError",
    "MissingExtraError",
    "ModelError",
    "ReplayDivergedError",
    "ReplayError",
]


#: Seconds to open a connection to the API (the SDK's own default is 5), at most the read timeout.
CONNECT_TIMEOUT_S = 10.0
#: The hint that ends a timeout's line.
SLOW_LINK = "a slow link may need a longer `%config CodeActMagics.read_timeout` (seconds)"


class CodeActError(Exception):
    """Base class of every error codeact-magic raises on purpose.

    ``str(error)`` is one line meant for the user: the cause, then the fix. IPython shows it as that one line
    (through ``_render_traceback_``, IPython's hook for custom tracebacks), not as a stack of the magic's frames.
    """

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


class MissingAPIKeyError(CodeActError):
    """Neither ``ANTHROPIC_API_KEY`` nor ``ANTHROPIC_AUTH_TOKEN`` (nor the ``auth_token`` setting) is set, so no
    request is sent."""

    def __init__(self) -> None:
        super().__init__(
            "ANTHROPIC_API_KEY is not set. Export it in the shell that starts Jupyter, or keep it in a .env file "
            "and load it with python-dotenv (`from dotenv import load_dotenv; load_dotenv()`), or type it unseen "
            "with `os.environ['ANTHROPIC_API_KEY'] = getpass.getpass()`; never write it in a cell. A server that "
            "wants a bearer token takes ANTHROPIC_AUTH_TOKEN (or %config CodeActMagics.auth_token). Or use "
            "`--replay RUN.ipynb`."
        )


class ModelError(CodeActError):
    """A model call failed in a way the SDK's own retries could not fix.

    Parameters
    ----------
    message : str
        One line naming the cause and the fix.
    status_code : int or None
        The HTTP status of the failed request (``None`` for a connection failure or a broken stream).
    request_id : str or None
        The API's ``request-id``, when it sent one, for support requests.
    """

    def __init__(self, message: str, *, status_code: int | None = None, request_id: str | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.request_id = request_id

    @classmethod
    def from_sdk(cls, error: Exception, *, model: str, retries: int, base_url: str,
                 read_timeout: float | None = None) -> "ModelError":
        """The one line for a failed model call, built from the ``anthropic`` SDK's exception (as nbclient builds
        ``CellExecutionError.from_cell_and_msg`` from what it has).

        Parameters
        ----------
        error : Exception
            What the SDK raised: ``anthropic.APIStatusError`` (an HTTP error status, or an ``error`` event inside a
            200 stream), ``APITimeoutError``, ``APIConnectionError``, or the SDK's complaint about a malformed
            stream (``AssertionError``, ``ValueError``, ``RuntimeError``).
        model : str
            The model id asked for (named by a 404).
        retries : int
            The SDK's ``max_retries``, named when they were all used.
        base_url : str
            The API's address, named when it could not be reached.
        read_timeout : float, optional
            Seconds of silence the request allowed, named by a timeout.

        Returns
        -------
        ModelError
            With ``status_code`` and ``request_id`` when the API sent them. Statuses and error types follow
            https://docs.anthropic.com/en/api/errors.
        """
        if isinstance(error, anthropic.APIStatusError) and error.status_code < 400:
            # an `event: error` inside a 200 stream: not retried by the SDK
            kind = getattr(error, "type", None) or "error"
            return cls(f"The response stream from Claude broke off with an error event ({kind}: "
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
            return cls(text + (f" [request-id {rid}]" if rid else ""), status_code=status, request_id=rid)
        if isinstance(error, anthropic.APITimeoutError):
            attempts = f"on all {retries + 1} attempts" if retries else "with no retry"
            if isinstance(error.__cause__, httpx2.ConnectTimeout):
                return cls(f"The request to Claude timed out: no connection to {base_url} within "
                           f"{min(CONNECT_TIMEOUT_S, read_timeout or CONNECT_TIMEOUT_S):g} s, {attempts}. "
                           "Check the network or ANTHROPIC_BASE_URL and run the cell again.")
            silence = f"no answer from {base_url} for {read_timeout:g} s" if read_timeout else f"no answer from {base_url}"
            return cls(f"The request to Claude timed out: {silence}, {attempts}. Check the network or the API's "
                       f"status (status.anthropic.com) and run the cell again; {SLOW_LINK}.")
        if isinstance(error, anthropic.APIConnectionError):
            cause = error.__cause__ or error
            return cls(f"Could not reach the Anthropic API at {base_url} ({type(cause).__name__}: {cause}). "
                       "Check the network or ANTHROPIC_BASE_URL.")
        return cls(f"The response stream from Claude broke off ({type(error).__name__}: {error}). Run the cell again.")


def _api_message(error: "anthropic.APIStatusError") -> str:
    """The API's own message from an error body (``{"type": "error", "error": {"type", "message"}}``)."""
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error") if isinstance(body.get("error"), dict) else body
        if inner.get("message"):
            return str(inner["message"])
    return error.message


class BrokenStreamError(ModelError):
    """The response stream ended before ``message_stop``: the connection dropped, stalled or the body just ended.

    What arrived is a partial message (a cut text, a ``tool_use`` without its input), never a turn to act on. The
    agent loop asks that turn once more (``retry_turn``) before it fails the run with this error's line.
    """

    retry_turn = True


class ReplayError(CodeActError):
    """A ``--replay`` notebook is missing, unreadable, or holds no recorded run."""


class ReplayDivergedError(ReplayError):
    """A replayed step failed, or printed other text than the recording: the replay stops there, as ``diverged``."""

    run_status = "diverged"


class ExportError(CodeActError):
    """``%codeact export PATH`` cannot write there: the file exists (and ``--force`` was not given), the parent
    directory is missing, ``PATH`` is a directory, or the file system refused the write. Nothing is created: no
    directory, no partial file."""


class MCPError(CodeActError):
    """Something about the MCP servers of a run (``--mcp``): their configuration, or a call to one of their tools."""


class MCPConfigError(MCPError):
    """The MCP configuration is unusable: an entry of ``mcp_servers`` or of ``.mcp.json`` without ``command`` or
    ``url`` or with a wrongly typed field, a ``.mcp.json`` that is not JSON or not ``{"mcpServers": {...}}``, a
    ``${VAR}`` that is not set, a ``--mcp NAME`` that names no configured server, or the ``mcp`` package missing.
    The line names the server or the file and what is wrong, never a value of ``env`` or ``headers``."""


class MCPToolError(MCPError):
    """An MCP tool called from a step failed: the server answered with ``isError`` (its message is kept), the call
    timed out, the server's connection was lost, or the run that connected it has ended.

    Raised inside the *generated* code, so it is a step's failure (data fed back to the model), not the run's.

    Parameters
    ----------
    server : str
        The server's name in the configuration.
    tool : str
        The tool's name as the server spells it.
    message : str
        What went wrong: the server's own text for an ``isError`` result.
    """

    def __init__(self, server: str, tool: str, message: str) -> None:
        super().__init__(f"MCP tool {tool!r} of server {server!r} failed: {message}")
        self.server = server
        self.tool = tool
        self.message = message

    def __reduce__(self):
        return type(self), (self.server, self.tool, self.message)


class MissingExtraError(CodeActError):
    """The SDK's client for a platform needs packages that are not installed (the SDK's pip extra of that name).

    Parameters
    ----------
    provider : str
        The ``provider`` trait: ``bedrock`` (``boto3`` and ``botocore``) or ``vertex`` (``google-auth`` and
        ``requests``).
    extra : str
        The ``anthropic`` package's extra that installs them.
    library : str
        The first missing package.
    """

    def __init__(self, provider: str, extra: str, library: str) -> None:
        super().__init__(f"provider {provider!r} needs the SDK's {extra} extra ({library} is missing): "
                         f'pip install "anthropic[{extra}]"')
        self.provider = provider
        self.extra = extra
        self.library = library

    def __reduce__(self):
        return type(self), (self.provider, self.extra, self.library)
