"""Stopping a step: a timeout or the user's interrupt ends it, whatever the step does with SIGINT.

The executor owns SIGINT for the step's duration: it installs its own handler (and, so that a step cannot
take it away, ``signal.signal``/``signal.getsignal`` record the step's wish for SIGINT instead of installing it).
A stop is a timeout (the watchdog thread sends SIGINT to the main thread) or the user's interrupt (the kernel's,
a SIGINT to the process). It is first handled as the step asked: its own handler is called, ``SIG_IGN`` does
nothing, the default raises ``KeyboardInterrupt``. If the step is still running one second later, the executor
escalates: every 50 ms it sends SIGINT again, and its handler raises :class:`StepStopped` and sets a trace function
(``sys.settrace`` and ``frame.f_trace``) that raises it again at the step's next line or call, including inside the
``except`` clause that just swallowed the previous one, so loops that catch ``BaseException`` end too. If the
handler does not run at all (SIGINT blocked, the handler replaced from C), ``PyThreadState_SetAsyncExc`` raises it
in the main thread instead. Each raise first checks that the main thread is in the step's own code, not in
IPython's, ipykernel's or this package's (the asynchronous one checks just before it is sent), and nothing is raised
once the step's code has returned: a pending asynchronous exception is then cancelled, under the lock the watchdog
holds to send one. ipykernel installs ``signal.default_int_handler`` while a cell executes
(``Kernel.pre_handler_hook``), so that is the kernel's handler the executor puts back.

What cannot be stopped: code blocked inside C that does not return to Python (a long C loop that never checks for
signals, a blocking call with SIGINT masked). No Python-level mechanism reaches it; the step ends when the call
returns. When escalation has had no effect for 3 s the cell's stderr says so in one line (restart the kernel to end
it now). After the step, the kernel's SIGINT handler is back in place and SIGINT is unblocked.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from typing import Any, Callable

from .capture import seed_cell_files

__all__ = ["GRACE_S", "KICK_INTERVAL_S", "BLOCKED_AFTER_S", "ORIGINAL_GETSIGNAL", "ORIGINAL_SIGNAL", "StepStopped",
           "StopControl", "until_done"]

#: Seconds a stop is left to the step's own handling before the executor escalates.
GRACE_S = 1.0
#: Seconds between two escalation attempts (SIGINT, and the asynchronous exception when SIGINT goes unanswered).
KICK_INTERVAL_S = 0.05
#: Seconds of escalation without effect after which the cell is told the step is blocked in C.
BLOCKED_AFTER_S = 3.0

# PyThreadState_SetAsyncExc(thread id, exception type). Never called with NULL to cancel one: in CPython 3.11 that
# leaves the interpreter's eval breaker set for good, and with a trace function on (a debugger, coverage) the next
# traced call then spins forever. A pending one is cancelled by replacing it with _Absorbed and catching that.
_set_async_exc = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_ulong, ctypes.py_object)(
    ("PyThreadState_SetAsyncExc", ctypes.pythonapi))
#: ``signal.signal`` and ``signal.getsignal`` as the signal module has them (a step's calls are wrapped).
ORIGINAL_SIGNAL, ORIGINAL_GETSIGNAL = signal.signal, signal.getsignal
_ESCALATING: list["StopControl"] = []  # the control whose step is being stopped, for StepStopped.__del__


class _Absorbed(BaseException):
    """Replaces an asynchronous :class:`StepStopped` still pending when the step's code has ended, and is caught."""


def _absorb(thread: int) -> None:
    """Cancel an asynchronous exception pending in ``thread`` (the current one)."""
    try:
        _set_async_exc(thread, _Absorbed)  # replaces the pending one; raised as this call returns
        range(2)
    except _Absorbed:
        pass


class StepStopped(KeyboardInterrupt):
    """Raised in a step's code by the executor when a timeout or the user's stop was not obeyed within a second.

    A subclass of ``KeyboardInterrupt``, so ``except KeyboardInterrupt`` cleanup still runs. When one is swallowed
    and freed, the next line of the step raises another (see the module docstring).
    """

    def __str__(self) -> str:
        return super().__str__() or "the step was stopped (its timeout, or the user's interrupt)"

    def __del__(self) -> None:
        if _ESCALATING:  # swallowed and freed in the step: trace again, so its next line raises another
            _ESCALATING[-1].arm(sys._getframe(1))


def _protected_prefixes() -> tuple[str, ...]:
    names = ("IPython", "ipykernel", "codeact_magic", "traitlets", "zmq", "tornado", "comm", "jupyter_client")
    files = [getattr(sys.modules.get(name), "__file__", None) for name in names]
    return tuple(os.path.dirname(f) + os.sep for f in files if f)


class StopControl:
    """SIGINT, the watchdog and the escalation for one step (see the module docstring)."""

    def __init__(self, shell: Any, timeout: float, kernel_handler: Any, boundary: Any, say: Callable[[str], None]):
        self.shell, self.kernel_handler, self.boundary, self.say = shell, kernel_handler, boundary, say
        self.thread = threading.get_ident()
        self.on_main = threading.current_thread() is threading.main_thread()
        self.deadline = time.perf_counter() + timeout if timeout and timeout > 0 else None
        self.lock = threading.Lock()  # watchdog vs the main thread leaving the code; never taken by the handler
        self.wake = threading.Event()
        self.wish = kernel_handler  # the step's SIGINT handler, as far as it knows
        self.reason: str | None = None  # "timeout" or "interrupted", once a stop was asked
        self.user_stop = False
        self.stop_at = self.escalated_at = 0.0
        self.escalating = self.in_code = self.ended = self.armed = False
        self.injected = False  # an asynchronous StepStopped may be pending in the main thread
        self.pending = False  # a KeyboardInterrupt is due at the step's next line (it could not be raised at once)
        self.kicks_sent = self.kicks_seen = 0
        self.handled_at = 0.0
        self.said = False
        self.protected = _protected_prefixes()
        self._saved_trace: Any = None
        self._handler = self._on_sigint  # one bound method, so the watchdog can tell it is still installed
        self._saved: dict[str, Any] = {}
        self._watchdog = threading.Thread(target=self._watch, daemon=True, name="codeact-watchdog")

    # -- installed for the step ------------------------------------------------------------------------------------
    def start(self) -> None:
        if self.on_main:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT])
            ORIGINAL_SIGNAL(signal.SIGINT, self._handler)
            signal.signal, signal.getsignal = self._signal, self._getsignal
        self._saved_trace = sys.gettrace()
        shell = self.shell
        orig_run, orig_show = shell.run_code, shell.showtraceback

        async def run_code(code_obj, result=None, *, async_=False):
            """IPython runs each compiled part of the step through this: only then is the step's code running."""
            with self.lock:
                self.in_code = True
            if self.pending or self.escalating:
                self.arm(sys._getframe())
            try:
                return await orig_run(code_obj, result, async_=async_)
            finally:
                self._leave_code()
                self._disarm()

        def showtraceback(*args, **kwargs):
            """The step's code raised: nothing is raised into IPython while it formats the traceback."""
            was = self.in_code
            self._leave_code()
            self._disarm()
            self._drop_own_frames(sys.exc_info()[2])
            try:
                seed_cell_files(shell)
                return orig_show(*args, **kwargs)
            finally:
                self.in_code = was  # showtraceback called by the step's own code, which goes on

        self._saved = {name: shell.__dict__.get(name) for name in ("run_code", "showtraceback")}
        shell.run_code, shell.showtraceback = run_code, showtraceback
        self._watchdog.start()

    def _leave_code(self) -> None:
        """The step's code returned or raised: from now on nothing is raised into the main thread."""
        with self.lock:  # the watchdog injects only under the lock, while in_code
            self.in_code = False
            if self.injected:  # one may have been sent just before: cancel it (or, at worst, it lands right here)
                self.injected = False
                _absorb(self.thread)

    def _signal(self, signalnum: int, handler: Any) -> Any:
        if signalnum == signal.SIGINT and threading.current_thread() is threading.main_thread() and not self.ended:
            if not (callable(handler) or handler in (signal.SIG_IGN, signal.SIG_DFL)):
                raise TypeError("signal handler must be signal.SIG_IGN, signal.SIG_DFL, or a callable object")
            previous, self.wish = self.wish, handler
            return previous
        return ORIGINAL_SIGNAL(signalnum, handler)

    def _getsignal(self, signalnum: int) -> Any:
        if signalnum == signal.SIGINT and not self.ended:
            return self.wish
        return ORIGINAL_GETSIGNAL(signalnum)

    def _is_step(self, frame: Any) -> bool:
        return not frame.f_code.co_filename.startswith(self.protected)

    def _step_on_stack(self, frame: Any) -> bool:
        while frame is not None and frame is not self.boundary:
            if self._is_step(frame):
                return True
            frame = frame.f_back
        return False

    def arm(self, frame: Any) -> None:
        """Trace the step's frames from ``frame`` up, so its next line or call raises :class:`StepStopped`."""
        if self.ended or frame is None or threading.get_ident() != self.thread:
            return
        self.armed = True
        sys.settrace(self._trace)
        while frame is not None and frame is not self.boundary:
            if self._is_step(frame):
                frame.f_trace = self._trace
            frame = frame.f_back

    def _drop_own_frames(self, tb: Any) -> None:
        """Cut the executor's handler or trace function off the end of a traceback, to show the step's line."""
        ours = (self._on_sigint.__code__, self._trace.__code__)
        while tb is not None and tb.tb_next is not None:
            if tb.tb_next.tb_frame.f_code in ours:
                tb.tb_next = None
            tb = tb.tb_next

    def _disarm(self) -> None:
        if self.armed:
            self.armed = False
            sys.settrace(self._saved_trace)

    def _trace(self, frame: Any, event: str, arg: Any) -> Any:
        __tracebackhide__ = True  # noqa: F841 - IPython leaves this frame out of the traceback it shows
        if not self.armed or self.ended or not self.in_code:
            return None
        if event in ("call", "line") and self._is_step(frame):
            self.armed = self.escalating  # raising turns tracing off; StepStopped.__del__ turns it on again
            self.pending = False
            raise StepStopped()
        return self._trace if self._is_step(frame) else None

    def _on_sigint(self, signum: int, frame: Any) -> Any:
        __tracebackhide__ = True  # noqa: F841
        now = self.handled_at = time.perf_counter()
        if self.kicks_seen == self.kicks_sent:  # not one of ours: the user's interrupt
            self.user_stop = True
            if self.reason is None:
                self.reason, self.stop_at = "interrupted", now
                self.wake.set()
        self.kicks_seen = self.kicks_sent
        if self.ended or (not self.in_code and self.escalating):
            return None  # run_code arms the trace if the step's code runs again
        if self.escalating:
            self.arm(frame)
            if self.in_code and (self._is_step(frame) or (now - self.escalated_at > GRACE_S
                                                          and self._step_on_stack(frame))):
                raise StepStopped()
            return None
        wish = self.wish
        if wish == signal.SIG_IGN:
            return None
        if callable(wish) and wish is not signal.default_int_handler:
            return wish(signum, frame)
        if self.in_code and self._is_step(frame):
            raise KeyboardInterrupt
        self.pending = True  # in IPython's code or before the step's code started: raise at the step's next line
        if self.in_code:
            self.arm(frame)
        return None

    # -- the watchdog thread ---------------------------------------------------------------------------------------
    def _kick(self, now: float) -> None:
        if self.on_main:
            self.kicks_sent += 1
            signal.pthread_kill(self.thread, signal.SIGINT)
        unanswered = now - max(self.handled_at, self.escalated_at) > 4 * KICK_INTERVAL_S
        replaced = self.on_main and ORIGINAL_GETSIGNAL(signal.SIGINT) is not self._handler
        if self.escalating and self.in_code and (not self.on_main or unanswered or replaced):
            top = sys._current_frames().get(self.thread)
            if top is not None and self._is_step(top):
                self.injected = True
                _set_async_exc(self.thread, StepStopped)

    def _watch(self) -> None:
        where, since = None, 0.0
        while True:
            now = time.perf_counter()
            if self.escalating:
                wait = KICK_INTERVAL_S if now - self.escalated_at < BLOCKED_AFTER_S else 5 * KICK_INTERVAL_S
            elif self.reason is not None:
                wait = self.stop_at + GRACE_S - now
            else:
                wait = None if self.deadline is None else self.deadline - now
            self.wake.wait(None if wait is None else max(wait, 0.0))
            self.wake.clear()
            line = ""
            with self.lock:
                now = time.perf_counter()
                if self.ended:
                    return
                if self.reason is None and self.deadline is not None and now >= self.deadline:
                    self.reason, self.stop_at = "timeout", now
                    self._kick(now)
                elif self.reason is not None and not self.escalating and now >= self.stop_at + GRACE_S:
                    self.escalating, self.escalated_at = True, now
                    _ESCALATING.append(self)
                    self._kick(now)
                elif self.escalating:
                    self._kick(now)
                    top = sys._current_frames().get(self.thread)
                    here = (id(top), getattr(top, "f_lasti", None))
                    where, since = (where, since) if here == where else (here, now)
                    if not self.said and self.in_code and now - self.escalated_at >= BLOCKED_AFTER_S:
                        if now - since >= BLOCKED_AFTER_S and now - self.handled_at >= BLOCKED_AFTER_S:
                            line = (f"[codeact] The step is blocked in C code and cannot be stopped from Python "
                                    f"(asked {now - self.stop_at:.0f} s ago); it ends when that call returns. "
                                    "Restart the kernel to end it now.")
                        elif now - self.escalated_at >= 2 * BLOCKED_AFTER_S:
                            line = (f"[codeact] The step still runs {now - self.stop_at:.0f} s after it was asked to "
                                    "stop (it catches every interrupt). Restart the kernel to end it now.")
                        self.said = bool(line)
            if line:
                self.say(line)

    # -- the end of the step ---------------------------------------------------------------------------------------
    def end(self) -> None:
        """Stop escalating and untrace (idempotent; the handler stays ours until :meth:`release`)."""
        self.ended = True
        self._leave_code()
        if self in _ESCALATING:
            _ESCALATING.remove(self)
        self.armed = False
        if sys.gettrace() is not self._saved_trace:
            sys.settrace(self._saved_trace)
        self.wake.set()
        if self._watchdog.is_alive():
            self._watchdog.join(1.0)
        if self.on_main:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT])  # a pending SIGINT runs our handler now

    def release(self) -> None:
        """Put back ``run_code``, ``signal.signal`` and the kernel's SIGINT handler."""
        for name, value in self._saved.items():
            if value is None:
                self.shell.__dict__.pop(name, None)
            else:
                setattr(self.shell, name, value)
        if self.on_main:
            signal.signal, signal.getsignal = ORIGINAL_SIGNAL, ORIGINAL_GETSIGNAL
            handler = self.kernel_handler if self.kernel_handler is not None else signal.default_int_handler
            ORIGINAL_SIGNAL(signal.SIGINT, handler)


def until_done(function: Callable[[], None]) -> None:
    """Call ``function`` again if a stop that was already on its way interrupts it (it must be idempotent)."""
    for _ in range(100):
        try:
            function()
            return
        except KeyboardInterrupt:
            continue
    function()


