"""Capturing what one step shows: nbformat outputs recorded while they still reach the cell live.

For the step's duration only, :class:`OutputCapture` wraps the shell's display publisher, display hook and traceback
printer, replaces ``sys.stdout``/``sys.stderr`` with recording streams, and puts a pipe of its own on the process's
file descriptors 1 and 2 (:mod:`codeact_magic.fdcapture`), so that what ``os.system``, a child process that inherited them, or a C library writes is
recorded too. Everything is forwarded to where it went before (the kernel's ``OutStream`` or the terminal), so the
cell shows it as it comes. The outputs follow https://nbformat.readthedocs.io/en/latest/format_description.html.

Time and memory are linear in the output's size: stream text is kept as a list of chunks and joined once at the end.
"""

from __future__ import annotations

import inspect
import os
import sys
import threading
from time import perf_counter as _perf_counter
from typing import Any, Callable

from .fdcapture import SYNC_GAP_S, FdCapture, FdWriter
from .observation import terminal_text
from .redaction import clean_data

__all__ = ["OutputCapture", "Recorder", "seed_cell_files"]

_MISSING = object()
_TEXT_MIME_PREFIX = "text/"
#: Characters of Python-level writes gathered before they go through the live secret filter.
_BATCH = 8192
#: Seconds between two flushes of the gathered writes by the flusher thread, so output shows while a step waits.
_FLUSH_S = 0.05


class Recorder:
    """The outputs of one step in nbformat v4 form, written by the main thread and the fd reader.

    A stream output's text is held as chunks (the last 4,096 writes) and blocks (earlier writes, joined 4,096 at a
    time) until :meth:`finished` joins them once.
    """

    def __init__(self) -> None:
        self.outputs: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._by_id: dict[str, list[int]] = {}
        self._clear_waiting = False
        self._tail_name: str | None = None  # the last output is a stream of this name, appended to directly
        self._tail: list[str] = []
        self._tail_blocks: list[str] = []

    def _clear_if_waiting(self) -> None:
        self._tail_name = None
        if self._clear_waiting:
            self._clear_waiting = False
            self.outputs.clear()
            self._by_id.clear()

    def stream(self, name: str, text: str) -> None:
        with self._lock:
            if name == self._tail_name:
                tail = self._tail
                tail.append(text)
                if len(tail) >= 4096:
                    self._tail_blocks.append("".join(tail))
                    tail.clear()
                return
            self._clear_if_waiting()
            self._tail_name, self._tail, self._tail_blocks = name, [text], []
            self.outputs.append({"output_type": "stream", "name": name, "_chunks": self._tail,
                                 "_blocks": self._tail_blocks})

    def display(self, data: dict, metadata: dict | None, transient: dict | None, update: bool) -> None:
        display_id = (transient or {}).get("display_id")
        output = {"output_type": "display_data", "data": dict(data), "metadata": dict(metadata or {})}
        with self._lock:
            if update:  # an update changes the outputs showing that display id, wherever they are
                for i in self._by_id.get(display_id, ()):
                    self.outputs[i] = output
                return
            self._clear_if_waiting()
            if display_id:
                self._by_id.setdefault(display_id, []).append(len(self.outputs))
            self.outputs.append(output)

    def execute_result(self, data: dict, metadata: dict | None, count: int | None) -> None:
        with self._lock:
            self._clear_if_waiting()
            self.outputs.append({"output_type": "execute_result", "data": dict(data), "metadata": dict(metadata or {}),
                                 "execution_count": count})

    def error(self, ename: str, evalue: str, traceback: list[str]) -> None:
        with self._lock:
            self._clear_if_waiting()
            self.outputs.append({"output_type": "error", "ename": ename, "evalue": evalue,
                                 "traceback": list(traceback)})

    def drop_errors(self, enames: set[str]) -> None:
        """Remove the error outputs of those exception names (the executor's own interrupts)."""
        with self._lock:
            kept = [o for o in self.outputs if not (o["output_type"] == "error" and o["ename"] in enames)]
            self.outputs[:] = kept
            self._by_id.clear()
            self._tail_name = None  # indices moved; a later update of an old display id is dropped

    def clear(self, wait: bool = False) -> None:
        """``clear_output``: now, or with ``wait`` when the next output comes (as the frontends do)."""
        with self._lock:
            self._clear_waiting = True
            self._tail_name = None
            if not wait:
                self._clear_if_waiting()

    def finished(self, redactor: Any = None, secrets_changed: bool = True) -> list[dict[str, Any]]:
        """The outputs, final: streams joined and read as a terminal shows them, surrogates replaced, secrets out.

        Parameters
        ----------
        redactor : object, optional
            The step's :class:`~codeact_magic.redaction.Redactor`. What :class:`OutputCapture` recorded with it was
            masked as it was recorded (streams by the live filter, displays and tracebacks before they were shown),
            so it is only scanned again when ``secrets_changed`` says the step made new secrets known: streams for
            exact secrets (``redactor.exact``), the rest whole (``redactor.outputs``).
        secrets_changed : bool
            Whether the redactor learnt new secrets after the outputs were recorded.

        Returns
        -------
        list of dict
            nbformat v4 outputs; streams left empty by carriage returns are dropped.
        """
        with self._lock:
            outputs = []
            for output in self.outputs:
                if "_chunks" in output:
                    text = "".join(output.pop("_blocks") + output.pop("_chunks"))
                    text = clean_data(terminal_text(text))
                    if not text:
                        continue
                    output["text"] = text
                elif output["output_type"] == "error":
                    for key in ("ename", "evalue", "traceback"):
                        output[key] = clean_data(output[key])
                else:
                    for mime, value in output["data"].items():
                        if mime.startswith(_TEXT_MIME_PREFIX):
                            output["data"][mime] = clean_data(value)
                outputs.append(output)
            self.outputs = outputs
        if redactor is not None:
            if secrets_changed:
                redactor.outputs([o for o in outputs if o["output_type"] != "stream"])
                for output in outputs:
                    if output["output_type"] == "stream":
                        output["text"] = redactor.exact(output["text"])
            redactor.mark_clean(outputs)
        return outputs


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
        (self._target if self.active else self._original).flush()

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
    """Record a step's outputs into a :class:`Recorder` while they reach the cell live.

    Parameters
    ----------
    shell : IPython.core.interactiveshell.InteractiveShell
        The live shell.
    record : Recorder
        Where the outputs go.
    redactor : object, optional
        When given, what goes live passes through it, and is recorded as it was shown: one ``redactor.stream()``
        filter per stream (Python-level stdout and stderr, fd 1 and fd 2), ``redactor.bundle`` on display and result
        data, ``redactor.text`` on traceback lines.
    """

    def __init__(self, shell: Any, record: Recorder, redactor: Any = None) -> None:
        self.shell, self.record, self.redactor = shell, record, redactor
        self.mute = _Mute()
        self.fd = FdCapture(self._deliver_fd)
        self._fd_live = {1: redactor.stream(), 2: redactor.stream()} if redactor is not None else {}
        self._targets: dict[int, Any] = {}
        self._tees: tuple[_Tee, _Tee] | None = None
        self._saved: list[tuple[Any, str, Any]] = []
        self.stream_lock = threading.RLock()
        self.last_tee: _Tee | None = None
        self._flusher: threading.Event | None = None

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
                pass

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
        data = {mime: clean_data(value) if mime.startswith(_TEXT_MIME_PREFIX) else value for mime, value in data.items()}
        return self.redactor.bundle(data) if self.redactor is not None else data

    def start(self) -> None:
        """Install the wrappers and the fd pipe (undone by :meth:`stop`)."""
        shell, record, mute = self.shell, self.record, self.mute
        pub, hook = shell.display_pub, shell.displayhook
        orig_publish, orig_clear = pub.publish, pub.clear_output
        orig_write, orig_prompt, orig_finish = hook.write_format_data, hook.write_output_prompt, hook.finish_displayhook
        orig_tb = shell._showtraceback

        def publish(data, metadata=None, *args, transient=None, update=False, **kwargs):
            self.fd.sync()
            self.emit_pending()
            data = self._shown(data)
            record.display(data, metadata, transient, update)
            return mute.wrap(orig_publish)(data, metadata, *args, transient=transient, update=update, **kwargs)

        def clear_output(wait=False):
            record.clear(wait)
            return orig_clear(wait)

        def write_format_data(format_dict, md_dict=None):
            self.fd.sync()
            self.emit_pending()
            format_dict = self._shown(format_dict)
            record.execute_result(format_dict, md_dict, shell.execution_count)
            return mute.wrap(orig_write)(format_dict, md_dict)

        def _showtraceback(etype, evalue, stb):
            self.fd.sync()
            self.emit_pending()
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
            _flush(stream)
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
            self._flusher = threading.Event()
            threading.Thread(target=self._flush_loop, args=(self._flusher,), daemon=True,
                             name="codeact-output-flush").start()

    def say(self, text: str) -> None:
        """Write one line of ours to the cell's stderr, recorded with the step's outputs (from any thread)."""
        if self._tees is not None:
            self._tees[1].write(text if text.endswith("\n") else text + "\n")

    def say_live(self, text: str) -> None:
        """Write one line to the cell's stderr without recording it."""
        if self._tees is not None:
            self.mute.depth += 1
            try:
                self._tees[1].write(text if text.endswith("\n") else text + "\n")
            finally:
                self.mute.depth -= 1

    def stop(self) -> None:
        """Put everything back: the fd pipe is read to its end, what the live filters held back goes out. Idempotent."""
        if self._flusher is not None:
            self._flusher.set()
            self._flusher = None
        tees = self._tees
        for tee in tees or ():
            _flush(tee)
        self.fd.stop()
        for fd, live in self._fd_live.items():
            rest = live.flush()
            if rest and fd in self._targets:
                self.record.stream("stdout" if fd == 1 else "stderr", rest)
                self._targets[fd].write(rest)
        for tee in tees or ():
            tee.flush_live()
            _flush(tee)
            tee.active = False
        self._tees = None
        if tees:
            sys.stdout, sys.stderr = self._streams
        self.fd.close()
        for obj, name, value in self._saved:
            if value is _MISSING:
                obj.__dict__.pop(name, None)
            else:
                setattr(obj, name, value)
        self._saved = []


def _flush(stream: Any) -> None:
    try:
        stream.flush()
    except Exception:  # noqa: BLE001 - a user's broken stream must not lose the record
        pass


def _fileno(stream: Any) -> int | None:
    try:
        return stream.fileno()
    except Exception:  # noqa: BLE001 - io.UnsupportedOperation, a closed or odd stream
        return None
