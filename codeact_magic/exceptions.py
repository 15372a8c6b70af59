"""Errors raised by codeact-magic.

Failures of the *generated* code are not errors here: they are data, recorded on the step and fed back to the model.
These exceptions describe why a run could not start or could not go on. Each carries one line that says the cause
and the fix; the magic shows only that line, never a traceback.
"""

from __future__ import annotations

__all__ = [
    "BrokenStreamError",
    "CodeActError",
    "ExportError",
    "MissingAPIKeyError",
    "ModelError",
    "ReplayDivergedError",
    "ReplayError",
]


class CodeActError(Exception):
    """Base class of every error codeact-magic raises on purpose.

    ``str(error)`` is one line meant for the user: the cause, then the fix. IPython shows it as that one line
    (through ``_render_traceback_``, IPython's hook for custom tracebacks), not as a stack of the magic's frames.
    """

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


class MissingAPIKeyError(CodeActError):
    """``ANTHROPIC_API_KEY`` is not set, so no request is sent."""

    def __init__(self) -> None:
        super().__init__(
            "ANTHROPIC_API_KEY is not set. Export it in the shell that starts Jupyter, or keep it in a .env file "
            "and load it with python-dotenv (`from dotenv import load_dotenv; load_dotenv()`), or type it unseen "
            "with `os.environ['ANTHROPIC_API_KEY'] = getpass.getpass()`; never write it in a cell. Or use "
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
