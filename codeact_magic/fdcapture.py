"""Output written to the process's file descriptors 1 and 2 during a step, captured: ``os.system``, a child process
that inherited them, a C library's ``printf``.

For the step's duration :class:`FdCapture` puts a pipe of its own on fds 1 and 2; a reader thread hands each piece to
the capture (:class:`codeact_magic.capture.OutputCapture`), which records it and forwards it to where fds 1 and 2
went before (in a kernel, ipykernel's own fd pipe, so the cell shows it; in a terminal, the terminal). At the end the
C library's buffers are flushed (``fflush(NULL)``), the fds are put back and the pipes read to their end. A start that
fails half-way puts fds 1 and 2 back and closes what it opened before it returns or raises.

Per step this costs two ``dup``, two ``pipe`` and four ``dup2`` calls and one reader thread started and joined: about
0.1 to 0.2 ms on a 2-core machine.
"""

from __future__ import annotations

import codecs
import contextvars
import ctypes
import os
import select
import sys
import threading
from typing import Any, Callable

from traitlets.log import get_logger

__all__ = ["DRAIN_WAIT_S", "SYNC_GAP_S", "FdCapture", "FdWriter"]

#: Seconds without a Python-level write after which the next one first reads what is waiting in the fd pipes, so
#: ``print(); os.system(...); print()`` is recorded in that order without a system call on every write.
SYNC_GAP_S = 0.001
#: Seconds the end of a step waits for the fd pipes to reach end of file (a background child may hold them).
DRAIN_WAIT_S = 0.5

_LIBC: list[Any] = []


def _c_flush() -> None:
    """Flush the C library's stdio buffers (``fflush(NULL)``), so a C extension's ``printf`` reaches its fd."""
    try:
        if not _LIBC:
            _LIBC.append(ctypes.CDLL(None))
        _LIBC[0].fflush(None)
    except (OSError, AttributeError):  # pragma: no cover - no C library to ask (not POSIX)
        pass


class FdWriter:
    """A text stream on a saved copy of fd 1 or 2: the live target in terminal IPython, whose ``sys.stdout`` writes
    to fd 1, which during the step is the capture pipe."""

    def __init__(self, fd: int, number: int, stream: Any) -> None:
        self._fd, self._number, self._stream = fd, number, stream
        self.encoding = getattr(stream, "encoding", None) or "utf-8"
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        data = memoryview(text.encode(self.encoding, "replace"))
        with self._lock:
            while data:
                data = data[os.write(self._fd, data):]
        return len(text)

    def flush(self) -> None:
        pass

    def fileno(self) -> int:
        return self._number

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class FdCapture:
    """A pipe on fds 1 and 2 for the step's duration, read by a thread that records and forwards what comes.

    ``deliver(fd, text)`` is called, with this object's lock held, from the reader thread or from :meth:`sync`.
    Bytes are decoded as UTF-8 with ``errors="replace"``, as ipykernel's own fd watcher does.
    """

    def __init__(self, deliver: Callable[[int, str], None]) -> None:
        self._deliver = deliver
        self._lock = threading.Lock()
        self._pipes: dict[int, int] = {}  # read end -> 1 or 2
        self._decoders: dict[int, Any] = {}
        self.saved: dict[int, int] = {}  # 1 or 2 -> a copy of what it was before the step
        self._thread: threading.Thread | None = None
        self._detached = False
        self.reading = False  # the pipe is on fds 1 and 2
        self.last = 0.0  # time.perf_counter() of the last Python-level write
        self.log = get_logger()

    def start(self) -> bool:
        """Put the pipes on fds 1 and 2 and start the reader thread.

        Returns
        -------
        bool
            False when the pipes cannot be made (no fd 1 or 2, as in a daemon or ``pythonw``; too many open files):
            nothing was changed and fd output is not captured.

        Raises
        ------
        Exception
            Whatever else stops it half-way (a reader thread that cannot start), after fds 1 and 2 were put back and
            the pipes closed.
        """
        _c_flush()
        try:
            for fd in (1, 2):
                self.saved[fd] = os.dup(fd)
                read, write = os.pipe()
                self._pipes[read] = fd
                try:
                    os.set_blocking(read, False)
                    self._decoders[read] = codecs.getincrementaldecoder("utf-8")("replace")
                    os.dup2(write, fd)  # inheritable: child processes write to the pipe too
                finally:
                    os.close(write)
            self._thread = threading.Thread(target=contextvars.copy_context().run, args=(self._loop,), daemon=True,
                                            name="codeact-fd-capture")
            self._thread.start()
        except BaseException as error:
            self._undo_start()
            if isinstance(error, OSError):
                self.log.debug("codeact: no capture of fds 1 and 2 for this step", exc_info=True)
                return False
            raise
        self.reading = True
        return True

    def _undo_start(self) -> None:
        """Put fds 1 and 2 back and close what :meth:`start` opened (it failed half-way)."""
        self._thread = None
        self._restore()
        for descriptor in (*self._pipes, *self.saved.values()):
            try:
                os.close(descriptor)
            except OSError:
                self.log.debug("codeact: closing fd %d failed", descriptor, exc_info=True)
        self._pipes.clear()
        self._decoders.clear()
        self.saved.clear()

    def _restore(self) -> None:
        for fd, saved in self.saved.items():
            try:
                os.dup2(saved, fd)
            except OSError:  # pragma: no cover - dup2 of two open descriptors does not fail
                self.log.debug("codeact: fd %d could not be put back", fd, exc_info=True)

    def _read(self, read: int) -> bool:
        """Read once from a pipe (lock held); False when nothing was waiting."""
        try:
            data = os.read(read, 65536)
        except BlockingIOError:
            return False
        except OSError:
            data = b""
        fd = self._pipes[read]
        if data and self._detached:  # after the step: pass on, as the fd did before
            try:
                os.write(self.saved[fd], data)
            except OSError:  # where fd 1/2 went is gone: the output is lost, as it would be there
                self.log.debug("codeact: passing on fd %d output after the step failed", fd, exc_info=True)
        elif data:
            text = self._decoders[read].decode(data)
            if text:
                self._deliver(fd, text)
        else:  # end of file: no process holds the pipe any more
            tail = self._decoders.pop(read).decode(b"", final=True)
            if tail and not self._detached:
                self._deliver(fd, tail)
            os.close(read)
            del self._pipes[read]
            if self._detached and not self._pipes:
                for saved in self.saved.values():
                    os.close(saved)
            return False
        return True

    def _loop(self) -> None:
        while True:
            with self._lock:
                reads = list(self._pipes)
            if not reads:
                return
            try:
                ready = select.select(reads, [], [], 0.5)[0]
            except (OSError, ValueError):  # pragma: no cover - a pipe closed under us
                return
            with self._lock:
                for read in ready:
                    if read in self._pipes:
                        self._read(read)

    def sync(self) -> None:
        """Read what waits in the pipes now, so that it is recorded and shown before what comes next.

        Called before a Python-level write that follows a pause of :data:`SYNC_GAP_S` (the time a child process
        or a C call took), before a display and before a traceback.
        """
        if self.reading:
            with self._lock:
                for read in list(self._pipes):
                    for _ in range(64):  # bounded: a busy background writer must not hold the step
                        if read not in self._pipes or not self._read(read):
                            break

    def stop(self) -> None:
        """Put fds 1 and 2 back and read the pipes to their end, waiting at most :data:`DRAIN_WAIT_S` seconds.

        The saved copies stay open (for the live targets' last writes) until :meth:`close`. Idempotent, and safe to
        call again when an exception interrupted it.
        """
        thread = self._thread
        if thread is None:
            return
        self.reading = False
        for stream in (sys.__stdout__, sys.__stderr__):  # Python-level buffers on fd 1/2, then C's
            try:
                stream.flush()
            except (AttributeError, OSError, ValueError):
                self.log.debug("codeact: flushing %r failed", stream, exc_info=True)
        _c_flush()
        self._restore()
        thread.join(DRAIN_WAIT_S)
        with self._lock:
            if self._pipes and not self._detached:  # a background child holds the pipe: what it writes later goes
                self._detached = True                # where fd 1/2 go
                for read, decoder in self._decoders.items():
                    tail = decoder.decode(b"", final=True)
                    if tail:
                        self._deliver(self._pipes[read], tail)
        self._thread = None

    def close(self) -> None:
        """Close the saved copies of fds 1 and 2, unless a detached reader still passes output on to them."""
        with self._lock:
            if not self._detached:  # else the reader closes them at the end of file
                for saved in self.saved.values():
                    os.close(saved)
                self.saved = {}
