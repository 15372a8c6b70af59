"""Running one code step in the user's namespace, live, while capturing nbformat outputs.

The step goes through ``shell.run_cell(store_history=True)`` so it gets a real execution count, ``Out[]`` and history,
and everything it prints or displays reaches the ``%%codeact`` cell live. At the same time the outputs are recorded as
nbformat v4 output dicts (https://nbformat.readthedocs.io/en/latest/format_description.html#code-cell-outputs) by
wrapping, for the step's duration only, the shell's streams, display publisher, display hook and traceback printer.
"""

from __future__ import annotations

import dataclasses
import signal
import sys
import threading
import time
import traceback
from contextlib import contextmanager
from collections.abc import Sequence
from typing import Any, Iterator

from .redaction import scrub_outputs, scrub_text

__all__ = ["ExecutionResult", "LiveExecutor", "user_traceback"]

_MISSING = object()


def user_traceback(error: BaseException, cell_files: Any) -> str:
    """A traceback cut to the user's frames: cell frames in full, library frames folded into one line each run.

    Parameters
    ----------
    error : BaseException
        The exception, with ``__traceback__``.
    cell_files : container of str
        Filenames of compiled cells (IPython's ``shell.compile._filename_map``: filename -> execution count).

    Returns
    -------
    str
        Plain text (no ANSI colours), ending with the exception line.
    """
    frames = traceback.extract_tb(error.__traceback__) if error.__traceback__ else []
    # drop IPython's own frames above the first cell frame
    first = next((i for i, f in enumerate(frames) if f.filename in cell_files), len(frames))
    frames = frames[first:]
    lines: list[str] = []
    folded: list[traceback.FrameSummary] = []

    def fold() -> None:
        if not folded:
            return
        last = folded[-1]
        if len(folded) > 1:
            lines.append(f"  ... {len(folded) - 1} library frame(s) ...")
        lines.append(f'  File "{last.filename}", line {last.lineno}, in {last.name}')
        if last.line:
            lines.append(f"    {last.line.strip()}")
        folded.clear()

    for frame in frames:
        if frame.filename in cell_files:
            fold()
            number = cell_files.get(frame.filename) if hasattr(cell_files, "get") else None
            where = f"Cell In[{number}]" if number is not None else frame.filename
            lines.append(f"  {where}, line {frame.lineno}" + (f", in {frame.name}" if frame.name != "<module>" else ""))
            if frame.line:
                lines.append(f"    {frame.line.strip()}")
        else:
            folded.append(frame)
    fold()
    head = ["Traceback (most recent call last; library frames folded):"] if lines else []
    tail = "".join(traceback.format_exception_only(type(error), error)).rstrip()
    return "\n".join(head + lines + [tail])


@dataclasses.dataclass
class ExecutionResult:
    """What one step produced.

    Attributes
    ----------
    outputs : list of dict
        nbformat v4 outputs in the order they happened (consecutive stream writes merged).
    execution_count : int or None
        The step's ``In[]`` number.
    status : str
        ``ok``, ``error`` (the code raised), ``timeout`` (stopped after the step timeout) or ``interrupted``
        (the user's interrupt).
    error : BaseException or None
        The exception the code raised, if any (traceback attached).
    duration_s : float
        Seconds the code ran.
    error_text : str
        The error as the model should read it: :func:`user_traceback`, or ``""``.
    """

    outputs: list[dict[str, Any]]
    execution_count: int | None
    status: str
    error: BaseException | None
    duration_s: float
    error_text: str = ""


class _Tee:
    """A text stream that records what is written and passes it on."""

    def __init__(self, target: Any, name: str, record: "_Recorder") -> None:
        self._target, self._name, self._record = target, name, record

    def write(self, text: str) -> int:
        if text:
            self._record.stream(self._name, text)
        return self._target.write(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)


class _Recorder:
    """The outputs of one step, in nbformat v4 form."""

    def __init__(self) -> None:
        self.outputs: list[dict[str, Any]] = []
        self.muted = 0  # > 0 while the shell itself writes (a terminal's Out[] prompt, a printed traceback)

    def stream(self, name: str, text: str) -> None:
        if self.muted:
            return
        last = self.outputs[-1] if self.outputs else None
        if last and last["output_type"] == "stream" and last["name"] == name:
            last["text"] += text
        else:
            self.outputs.append({"output_type": "stream", "name": name, "text": text})

    def display(self, data: dict, metadata: dict | None, transient: dict | None, update: bool) -> None:
        display_id = (transient or {}).get("display_id")
        output = {"output_type": "display_data", "data": dict(data), "metadata": dict(metadata or {})}
        if display_id:
            output["_display_id"] = display_id
        if update:
            for i, existing in enumerate(self.outputs):
                if existing.get("_display_id") == display_id:
                    self.outputs[i] = output
            return
        self.outputs.append(output)

    def execute_result(self, data: dict, metadata: dict | None, count: int | None) -> None:
        self.outputs.append(
            {"output_type": "execute_result", "data": dict(data), "metadata": dict(metadata or {}), "execution_count": count}
        )

    def error(self, ename: str, evalue: str, traceback: list[str]) -> None:
        self.outputs.append({"output_type": "error", "ename": ename, "evalue": evalue, "traceback": list(traceback)})

    def clear(self) -> None:
        self.outputs.clear()

    def finished(self) -> list[dict[str, Any]]:
        for output in self.outputs:
            output.pop("_display_id", None)
        return self.outputs


class LiveExecutor:
    """Runs code steps in an IPython shell's user namespace.

    Parameters
    ----------
    shell : IPython.core.interactiveshell.InteractiveShell
        The live shell (an ipykernel ``ZMQInteractiveShell`` or terminal IPython).
    secrets : sequence of str
        Exact strings (API keys from the environment) removed from the recorded outputs and the error text, so
        they reach neither the model nor the run record nor an export; what the cell showed live is not changed.
    """

    def __init__(self, shell: Any, secrets: Sequence[str] = ()) -> None:
        self.shell = shell
        self.secrets = tuple(secrets)
        self._first = True

    @contextmanager
    def _capture(self, record: _Recorder) -> Iterator[None]:
        shell = self.shell
        pub, hook = shell.display_pub, shell.displayhook
        saved = (sys.stdout, sys.stderr)
        orig_publish, orig_clear = pub.publish, pub.clear_output
        orig_write, orig_prompt, orig_finish = hook.write_format_data, hook.write_output_prompt, hook.finish_displayhook
        orig_tb = shell._showtraceback

        def muted(function):
            def call(*args, **kwargs):
                record.muted += 1
                try:
                    return function(*args, **kwargs)
                finally:
                    record.muted -= 1

            return call

        def publish(data, metadata=None, *args, transient=None, update=False, **kwargs):
            record.display(data, metadata, transient, update)
            return orig_publish(data, metadata, *args, transient=transient, update=update, **kwargs)

        def clear_output(wait=False):
            record.clear()
            return orig_clear(wait)

        def write_format_data(format_dict, md_dict=None):
            record.execute_result(format_dict, md_dict, shell.execution_count)
            return muted(orig_write)(format_dict, md_dict)

        def showtraceback(etype, evalue, stb):
            record.error(getattr(etype, "__name__", str(etype)), str(evalue), stb)
            return muted(orig_tb)(etype, evalue, stb)

        patches = ((pub, "publish", publish), (pub, "clear_output", clear_output),
                   (hook, "write_format_data", write_format_data), (shell, "_showtraceback", showtraceback),
                   (hook, "write_output_prompt", muted(orig_prompt)), (hook, "finish_displayhook", muted(orig_finish)))
        before = [(obj, name, obj.__dict__.get(name, _MISSING)) for obj, name, _ in patches]
        sys.stdout, sys.stderr = _Tee(saved[0], "stdout", record), _Tee(saved[1], "stderr", record)
        for obj, name, value in patches:
            setattr(obj, name, value)
        try:
            yield
        finally:
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except Exception:  # noqa: BLE001 - a user's broken stream must not lose the record
                    pass
            sys.stdout, sys.stderr = saved
            for obj, name, value in before:
                if value is _MISSING:
                    obj.__dict__.pop(name, None)
                else:
                    setattr(obj, name, value)

    def execute(self, code: str, timeout: float = 0.0) -> ExecutionResult:
        """Run ``code`` as one cell in the user's namespace, showing its output live.

        Parameters
        ----------
        code : str
            Python source (IPython syntax: magics and ``!`` work).
        timeout : float
            Seconds before the code is interrupted with SIGINT (which also breaks ``time.sleep`` and other blocking
            system calls); 0 for no limit.

        Returns
        -------
        ExecutionResult
            The outputs, the execution count and how it ended. A timeout is reported as status ``timeout`` with an
            error output ``TimeoutError``; the kernel stays usable.

        Raises
        ------
        Nothing from the code itself: its exceptions are recorded. ``KeyboardInterrupt`` from the user outside the
        code's own run propagates.
        """
        shell = self.shell
        if self._first:
            # The %%codeact cell holds the current execution count; give the first step a number of its own.
            shell.execution_count += 1
            self._first = False
        record = _Recorder()
        fired = threading.Event()
        done = threading.Lock()
        main = threading.main_thread().ident
        on_main = threading.get_ident() == main

        def interrupt() -> None:
            with done:
                fired.set()
                if on_main:
                    signal.pthread_kill(main, signal.SIGINT)
                else:  # pragma: no cover - a shell running off the main thread
                    import _thread

                    _thread.interrupt_main()

        timer = threading.Timer(timeout, interrupt) if timeout and timeout > 0 else None
        start = time.perf_counter()
        count = shell.execution_count
        result = None
        with self._capture(record):
            try:
                if timer:
                    timer.daemon = True
                    timer.start()
                result = shell.run_cell(code, store_history=True, silent=False)
            except KeyboardInterrupt:
                if not fired.is_set():
                    raise
            finally:
                if timer:
                    with done:
                        timer.cancel()
            duration = time.perf_counter() - start
            error = None if result is None else (result.error_before_exec or result.error_in_exec)
            if fired.is_set() and (result is None or isinstance(error, KeyboardInterrupt)):
                record.outputs[:] = [o for o in record.outputs if not (o["output_type"] == "error" and o["ename"] == "KeyboardInterrupt")]
                message = f"step exceeded the timeout of {timeout:g} s and was interrupted"
                record.error("TimeoutError", message, [f"TimeoutError: {message}"])
                record.muted += 1
                try:
                    sys.stderr.write(f"TimeoutError: {message}\n")
                finally:
                    record.muted -= 1
                status = "timeout"
                error = TimeoutError(message)
            elif isinstance(error, KeyboardInterrupt):
                status = "interrupted"
            elif error is not None:
                status = "error"
            else:
                status = "ok"
        error_text = ""
        if status == "timeout":
            error_text = f"TimeoutError: {error}"
        elif error is not None:
            error_text = user_traceback(error, getattr(shell.compile, "_filename_map", {}))
        outputs = scrub_outputs(record.finished(), self.secrets)
        return ExecutionResult(outputs, count, status, error, duration, scrub_text(error_text, self.secrets))
