"""Capturing what one step shows: nbformat outputs recorded while they still reach the cell live.

For the step's duration only (``with OutputCapture(...)``), :class:`OutputCapture` wraps the shell's display
publisher, display hook and traceback printer, replaces ``sys.stdout``/``sys.stderr`` with recording streams, and puts
a pipe of its own on the process's file descriptors 1 and 2 (:mod:`codeact_magic.fdcapture`), so that what
``os.system``, a child process that inherited them, or a C library writes is recorded too. Everything is forwarded to
where it went before (the kernel's ``OutStream`` or the terminal), so the cell shows it as it comes. Leaving the
``with`` block puts every one of those back, whether the step raised or installing the capture failed half-way, as
IPython's ``IPython.utils.capture.capture_output`` does.

The record is a :class:`~codeact_magic.outputs.Recorder`: nbformat outputs by the notebook's own rules (see
:mod:`codeact_magic.outputs`).
"""

from __future__ import annotations

import inspect
import os
import sys
import threading
from time import perf_counter as _perf_counter
from typing import Any, Callable

from traitlets.log import get_logger

from .fdcapture import SYNC_GAP_S, FdCapture, FdWriter
from .outputs import Recorder, clean_bundle
from .redaction import clean_data

__all__ = ["OutputCapture", "flush_if_pending", "seed_cell_files"]

_MISSING = object()
#: Characters of Python-level writes gathered before they go through the live secret filter.
_BATCH = 8192
#: Seconds between two flushes of the gathered writes by the flusher thread, so output shows while a step waits.
_FLUSH_S = 0.05
#: Times the restore is begun again when a stop already on its way lands in it (each part of it is idempotent).
_RESTORE_TRIES = 100



class _Mute:
    """While ``depth`` > 0, writes of the main thread are the shell's own (an ``Out[]`` prompt, a traceback)."""

    def __init__(self) -> None:
        self.depth = 0
        self.thread = threading.get_ident()

    def wrap(self, function: Callable) -> Callable:
        def call(*args: Any, **kwargs: Any) -> Any:
            self.depth += 1
            try:
                return function(*args, **kwargs)
            finally:
                self.depth -= 1

        return call


class _Tee:
    """The step's ``sys.stdout``/``sys.stderr``: records each write and passes it on (through the live filter).

    With a redactor, writes are gathered and go through the filter in batches (at 8,192 characters, cut at a line
    end; on ``flush()``; before any other output, so the order holds; and every 50 ms from the capture's flusher
    thread), so that masking costs per batch, not per ``print``. What is recorded is what was shown: the filtered
    text. After the step (a logging handler made during it may still hold this object) it only passes writes on to
    the stream it replaced.
    """

    def __init__(self, target: Any, original: Any, name: str, capture: "OutputCapture") -> None:
        self._target, self._original, self._name, self._capture = target, original, name, capture
        self._live = capture.redactor.stream() if capture.redactor is not None else None
        self._lock = capture.stream_lock
        self._fd, self._mute, self._record = capture.fd, capture.mute, capture.record
        self._pending: list[str] = []
        self._size = 0
        self.active = True

    def write(self, text: str) -> int:
        # the hot path of a step that prints: a few hundred nanoseconds on top of the target's own write
        if text.__class__ is not str and not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if not self.active:
            return self._original.write(text)
        if text:
            fd = self._fd
            if fd.reading:
                now = _perf_counter()
                if now - fd.last > SYNC_GAP_S:
                    fd.sync()
                fd.last = now
            muted = self._mute.depth and threading.get_ident() == self._mute.thread
            if self._live is None:
                if not muted:
                    self._record.stream(self._name, text)
                self._target.write(text)
                return len(text)
            with self._lock:
                capture = self._capture
                if muted:  # the shell's own writing (a prompt, a printed traceback): shown, not recorded
                    capture.emit_pending()
                    self._target.write(capture.redactor.text(text))
                    return len(text)
                if capture.last_tee is not self:
                    capture.emit_pending()
                    capture.last_tee = self
                self._pending.append(text)
                self._size += len(text)
                if self._size >= _BATCH:
                    self.emit(whole=False)
        return len(text)

    def emit(self, whole: bool = True) -> None:
        """Filter, record and show the gathered writes (the lock held); ``whole=False`` keeps a partial last line."""
        if not self._pending:
            return
        text = "".join(self._pending)
        self._pending.clear()
        self._size = 0
        if not whole:
            cut = text.rfind("\n") + 1
            if 0 < cut < len(text):
                self._pending.append(text[cut:])
                self._size = len(text) - cut
                text = text[:cut]
        shown = self._live.feed(text)
        if shown:
            self._record.stream(self._name, shown)
            self._target.write(shown)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if self.active and self._live is not None:
            with self._lock:
                self.emit()
        flush_if_pending(self._target if self.active else self._original)

    def flush_live(self) -> None:
        """Write what the live filter held back (the end of the step)."""
        if self._live is not None:
            with self._lock:
                self.emit()
                rest = self._live.flush()
                if rest:
                    self._record.stream(self._name, rest)
                    self._target.write(rest)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target if self.active else self._original, name)


def seed_cell_files(shell: Any) -> None:
    """Register the shell's cell files with :mod:`inspect` as belonging to ``__main__``.

    IPython 8's traceback formatter (``ultratb.VerboseTB.get_records``) calls ``inspect.getmodule`` on every frame;
    for a file that belongs to no module, such as a cell's, ``inspect`` scans all of ``sys.modules`` again each
    time, so a ``RecursionError`` of 3,000 cell frames took 4 to 9 s to format. Cells do run in ``__main__``'s
    namespace (their functions' ``__module__`` is ``"__main__"``), so this is what ``getmodule`` should say.
    """
    files = getattr(getattr(shell, "compile", None), "_filename_map", None) or {}
    for name in files:
        if name not in inspect.modulesbyfile:
            inspect.modulesbyfile[name] = "__main__"
            inspect.modulesbyfile[os.path.normcase(os.path.abspath(name))] = "__main__"


class OutputCapture:
    """Record a step's outputs into a :class:`Recorder` while they reach the cell live: a context manager.

    ``with OutputCapture(shell, record, redactor):`` installs the wrappers, the recording streams, the fd pipe and
    (with a redactor) the flusher thread; leaving the block, by any exception too, reads the fd pipe to its end, sends
    what the live filters held back, and puts back every attribute it replaced: the display publisher's ``publish``
    and ``clear_output``, the display hook's ``write_format_data``, ``write_output_prompt`` and
    ``finish_displayhook``, ``shell._showtraceback``, ``sys.stdout``, ``sys.stderr`` and fds 1 and 2. If installing
    fails half-way, what was installed is put back before the error propagates. ``__exit__`` never swallows the
    block's exception.

    Parameters
    ----------
    shell : IPython.core.interactiveshell.InteractiveShell
        The live shell.
    record : Recorder
        Where the outputs go.
    redactor : object, optional
        When given, what goes live passes through it, and is recorded as it was shown: one ``redactor.stream()``
        filter per stream (Python-level stdout and stderr, fd 1 and fd 2), ``redactor.bundle`` on display and result
        data (updates included), ``redactor.text`` on traceback lines.

    Raises
    ------
    Exception
        From ``__enter__``, whatever stopped the install (a thread that cannot start, say), after the restore. An fd
        pipe that cannot be made (no fd 1 or 2, too many open files) is not an error: fd output is then not captured.
    """

    def __init__(self, shell: Any, record: Recorder, redactor: Any = None) -> None:
        self.shell, self.record, self.redactor = shell, record, redactor
        self.log = get_logger()
        self.mute = _Mute()
        self.fd = FdCapture(self._deliver_fd)
        self._fd_live = {1: redactor.stream(), 2: redactor.stream()} if redactor is not None else {}
        self._targets: dict[int, Any] = {}
        self._tees: tuple[_Tee, _Tee] | None = None
        self._streams: tuple[Any, Any] | None = None  # sys.stdout, sys.stderr before the step
        self._saved: list[tuple[Any, str, Any]] = []
        self.stream_lock = threading.RLock()
        self.last_tee: _Tee | None = None
        self._flusher: tuple[threading.Event, threading.Thread] | None = None

    def emit_pending(self) -> None:
        """Send the writes both streams gathered through the filter (before another output, and every 50 ms)."""
        tees = self._tees
        if tees is not None and self.redactor is not None:
            with self.stream_lock:
                for tee in tees:
                    tee.emit()

    def _flush_loop(self, stop: threading.Event) -> None:
        while not stop.wait(_FLUSH_S):
            try:
                self.emit_pending()
            except Exception:  # noqa: BLE001 - a closed target at the step's end; the end flushes again
                self.log.debug("codeact: a periodic flush of the step's output failed", exc_info=True)

    def _deliver_fd(self, fd: int, text: str) -> None:
        if not self._fd_live:
            self.record.stream("stdout" if fd == 1 else "stderr", text)
            self._targets[fd].write(text)
            return
        self.emit_pending()
        live = self._fd_live[fd].feed(text)
        if live:
            self.record.stream("stdout" if fd == 1 else "stderr", live)
            self._targets[fd].write(live)

    def _shown(self, data: dict) -> dict:
        """``data`` as it may go live: text without lone surrogates (ipykernel drops a message that has one) and,
        with a redactor, without secrets (``redactor.bundle``: images and ``data:`` URIs in markup left whole)."""
        data = clean_bundle(data)
        return self.redactor.bundle(data) if self.redactor is not None else data

    def _before_output(self) -> None:
        """What was written before an output is recorded before it: the fd pipes read, the gathered writes sent."""
        self.fd.sync()
        self.emit_pending()

    def __enter__(self) -> "OutputCapture":
        try:
            self._install()
        except BaseException:
            self._restore_all()
            raise
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._restore_all()

    def _install(self) -> None:
        shell, record, mute = self.shell, self.record, self.mute
        pub, hook = shell.display_pub, shell.displayhook
        orig_publish, orig_clear = pub.publish, pub.clear_output
        orig_write, orig_prompt, orig_finish = hook.write_format_data, hook.write_output_prompt, hook.finish_displayhook
        orig_tb = shell._showtraceback

        def publish(data, metadata=None, *args, transient=None, update=False, **kwargs):
            self._before_output()
            data = self._shown(data)
            record.display(data, metadata, transient, update)
            return mute.wrap(orig_publish)(data, metadata, *args, transient=transient, update=update, **kwargs)

        def clear_output(wait=False):
            self._before_output()  # ipykernel flushes the streams first too; they came before the clear
            record.clear(wait)
            return orig_clear(wait)

        def write_format_data(format_dict, md_dict=None):
            self._before_output()
            format_dict = self._shown(format_dict)
            record.execute_result(format_dict, md_dict, shell.execution_count)
            return mute.wrap(orig_write)(format_dict, md_dict)

        def _showtraceback(etype, evalue, stb):
            self._before_output()
            text = self.redactor.text if self.redactor is not None else str
            evalue, stb = text(clean_data(str(evalue))), [text(clean_data(line)) for line in stb]
            record.error(getattr(etype, "__name__", str(etype)), evalue, stb)
            return mute.wrap(orig_tb)(etype, evalue, stb)

        patches = ((pub, "publish", publish), (pub, "clear_output", clear_output),
                   (hook, "write_format_data", write_format_data), (shell, "_showtraceback", _showtraceback),
                   (hook, "write_output_prompt", mute.wrap(orig_prompt)),
                   (hook, "finish_displayhook", mute.wrap(orig_finish)))
        self._saved = [(obj, name, obj.__dict__.get(name, _MISSING)) for obj, name, _ in patches]
        self._streams = (sys.stdout, sys.stderr)
        for stream in (*self._streams, sys.__stdout__, sys.__stderr__):
            self._flush(stream)
        fds = self.fd.start()
        for number, stream in zip((1, 2), self._streams):
            writes_to_fd = fds and _fileno(stream) == number  # terminal IPython: sys.stdout is fd 1
            self._targets[number] = FdWriter(self.fd.saved[number], number, stream) if writes_to_fd else stream
        self._tees = (_Tee(self._targets[1], self._streams[0], "stdout", self),
                      _Tee(self._targets[2], self._streams[1], "stderr", self))
        sys.stdout, sys.stderr = self._tees
        for obj, name, value in patches:
            setattr(obj, name, value)
        if self.redactor is not None:
            stop = threading.Event()
            thread = threading.Thread(target=self._flush_loop, args=(stop,), daemon=True, name="codeact-output-flush")
            self._flusher = (stop, thread)
            thread.start()

    def say(self, text: str) -> None:
        """Write one line of ours to the cell's stderr, recorded with the step's outputs (from any thread)."""
        tees = self._tees
        if tees is not None:
            tees[1].write(text if text.endswith("\n") else text + "\n")

    def say_live(self, text: str) -> None:
        """Write one line to the cell's stderr without recording it."""
        tees = self._tees
        if tees is not None:
            self.mute.depth += 1
            try:
                tees[1].write(text if text.endswith("\n") else text + "\n")
            finally:
                self.mute.depth -= 1

    def _restore_all(self) -> None:
        """:meth:`_restore`, begun again if a stop already on its way lands in it (each of its parts is idempotent)."""
        for _ in range(_RESTORE_TRIES):
            try:
                self._restore()
                return
            except KeyboardInterrupt:
                continue
        self._restore()

    def _restore(self) -> None:
        """Put everything back, each part whatever the others did: the fd pipe is read to its end and what the live
        filters held back goes out first. Idempotent."""
        if self._flusher is not None:
            stop, thread = self._flusher
            stop.set()
            if thread.is_alive():
                thread.join(1.0)
            self._flusher = None
        tees = self._tees
        for tee in tees or ():
            self._flush(tee)
        self._attempt(self.fd.stop)
        for fd, live in self._fd_live.items():
            self._attempt(self._send_rest, fd, live)
        for tee in tees or ():
            self._attempt(tee.flush_live)
            self._flush(tee)
            tee.active = False
        self._tees = None
        if self._streams is not None:
            sys.stdout, sys.stderr = self._streams
            self._streams = None
        self._attempt(self.fd.close)
        for obj, name, value in self._saved:
            self._attempt(_put_back, obj, name, value)
        self._saved = []

    def _send_rest(self, fd: int, live: Any) -> None:
        rest = live.flush()
        if rest and fd in self._targets:
            self.record.stream("stdout" if fd == 1 else "stderr", rest)
            self._targets[fd].write(rest)

    def _attempt(self, function: Callable, *args: Any) -> None:
        try:
            function(*args)
        except Exception:  # noqa: BLE001 - the rest of the restore must happen
            self.log.debug("codeact: %s failed while the output capture was put back",
                           getattr(function, "__name__", function), exc_info=True)

    def _flush(self, stream: Any) -> None:
        try:
            flush_if_pending(stream)
        except Exception:  # noqa: BLE001 - a user's broken stream must not lose the record
            self.log.debug("codeact: flushing %r failed", stream, exc_info=True)


def flush_if_pending(stream: Any) -> None:
    """``stream.flush()``, except for one of ipykernel's ``OutStream`` that holds no text.

    ``OutStream.flush`` waits for the kernel's IOPub thread to run a flush even when nothing was written (a round
    trip between threads, a few tenths of a millisecond, several times per step); its ``_flush_pending`` is false
    until something is written. What it sends and what is published after it still go out in order: both go through
    the same IOPub thread.
    """
    if getattr(stream, "_flush_pending", None) is False and getattr(stream, "pub_thread", None) is not None:
        return
    stream.flush()


def _put_back(obj: Any, name: str, value: Any) -> None:
    if value is _MISSING:
        obj.__dict__.pop(name, None)
    else:
        setattr(obj, name, value)


def _fileno(stream: Any) -> int | None:
    try:
        return stream.fileno()
    except Exception:  # noqa: BLE001 - io.UnsupportedOperation, a closed or odd stream
        get_logger().debug("codeact: %r has no file descriptor", stream, exc_info=True)
        return None
