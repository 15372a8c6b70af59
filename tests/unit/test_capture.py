"""Tests of ``codeact_magic.capture``: the output capture puts back everything it wraps, however the block ends or its
install fails, and the record follows nbclient's output rules (clears, display ids across steps)."""

from __future__ import annotations

import builtins
import os
import sys
import threading

import pytest
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from codeact_magic import capture as capture_module
from codeact_magic.capture import OutputCapture
from codeact_magic.outputs import DisplayIds, Recorder
from codeact_magic.redaction import REDACTED, Redactor

_MISSING = object()


@pytest.fixture(scope="module")
def shell(tmp_path_factory):
    """A real (not terminal) IPython shell, its history in memory, its profile in a temporary directory."""
    saved = os.environ.get("IPYTHONDIR")
    os.environ["IPYTHONDIR"] = str(tmp_path_factory.mktemp("ipython"))
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    names = set(vars(builtins))
    try:
        yield InteractiveShell.instance(config=config)
    finally:
        InteractiveShell.clear_instance()
        for name in set(vars(builtins)) - names:  # `display`, `__IPYTHON__`: other tests are not in IPython
            delattr(builtins, name)
        if saved is None:
            os.environ.pop("IPYTHONDIR", None)
        else:
            os.environ["IPYTHONDIR"] = saved


def _wrapped(shell):
    """Every attribute the capture replaces, as the objects hold them (the instance's own value, or its absence)."""
    pub, hook = shell.display_pub, shell.displayhook
    places = [(pub, "publish"), (pub, "clear_output"), (hook, "write_format_data"), (hook, "write_output_prompt"),
              (hook, "finish_displayhook"), (shell, "_showtraceback")]
    return [vars(obj).get(name, _MISSING) for obj, name in places]


def _fd(number):
    st = os.fstat(number)
    return st.st_dev, st.st_ino


def _state(shell):
    return _wrapped(shell), (sys.stdout, sys.stderr), (_fd(1), _fd(2))


def _open_fds():
    return sorted(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else []


def assert_restored(shell, before, fds_before):
    wrapped, streams, fds = before
    now_wrapped, now_streams, now_fds = _state(shell)
    assert all(a is b for a, b in zip(now_wrapped, wrapped)), "a wrapped attribute is not the original object"
    assert now_streams[0] is streams[0] and now_streams[1] is streams[1], "sys.stdout/sys.stderr not restored"
    assert now_fds == fds, "fds 1 and 2 are not what they were"
    assert _open_fds() == fds_before, "file descriptors leaked"
    assert not [t.name for t in threading.enumerate() if t.name.startswith("codeact-")], "a capture thread lives on"


@pytest.fixture
def own_attributes(shell):
    """The wrapped attributes set on the instances themselves (as another extension may have), so restoring them is
    a question of identity, not only of removing ours."""
    pub, hook = shell.display_pub, shell.displayhook
    places = [(pub, "publish"), (pub, "clear_output"), (hook, "write_format_data"), (hook, "write_output_prompt"),
              (hook, "finish_displayhook"), (shell, "_showtraceback")]
    for obj, name in places:
        original = getattr(obj, name)

        def theirs(*args, _original=original, **kwargs):
            return _original(*args, **kwargs)

        setattr(obj, name, theirs)
    yield
    for obj, name in places:
        vars(obj).pop(name, None)


@pytest.mark.parametrize("redactor", [None, Redactor(environ={}, user_ns={})], ids=["plain", "redacted"])
def test_a_cell_is_recorded_and_everything_put_back(shell, redactor):
    before, fds = _state(shell), _open_fds()
    record = Recorder()
    with OutputCapture(shell, record, redactor):
        shell.run_cell("print('out'); import os; os.system('echo fd-out'); 6 * 7", store_history=False)
        assert sys.stdout is not before[1][0]
    assert_restored(shell, before, fds)
    outputs = record.finished(redactor)
    assert [o["output_type"] for o in outputs] == ["stream", "execute_result"]
    assert outputs[0]["text"] == "out\nfd-out\n" and outputs[1]["data"]["text/plain"] == "42"


@pytest.mark.parametrize("redactor", [None, Redactor(environ={}, user_ns={})], ids=["plain", "redacted"])
def test_an_exception_inside_the_block_puts_everything_back(shell, own_attributes, redactor):
    before, fds = _state(shell), _open_fds()
    record = Recorder()
    with pytest.raises(ZeroDivisionError):
        with OutputCapture(shell, record, redactor):
            print("before the error")
            1 / 0
    assert_restored(shell, before, fds)
    assert record.finished(redactor)[0]["text"] == "before the error\n"


def _failing_thread(name):
    start = threading.Thread.start

    def failing(self):
        if self.name == name:
            raise RuntimeError("can't start new thread")
        return start(self)

    return failing


@pytest.mark.parametrize("where", ["fd reader thread", "tee", "flusher thread"])
def test_an_install_that_fails_half_way_puts_back_what_it_installed(shell, own_attributes, monkeypatch, where):
    before, fds = _state(shell), _open_fds()
    if where == "fd reader thread":  # the pipes are on fds 1 and 2 already
        monkeypatch.setattr(threading.Thread, "start", _failing_thread("codeact-fd-capture"))
    elif where == "tee":  # the fd pipe is on, sys.stdout not replaced yet
        monkeypatch.setattr(capture_module, "_Tee", lambda *a: (_ for _ in ()).throw(RuntimeError("no tee")))
    else:  # the last part: every wrapper is installed
        monkeypatch.setattr(threading.Thread, "start", _failing_thread("codeact-output-flush"))
    with pytest.raises(RuntimeError):
        with OutputCapture(shell, Recorder(), Redactor(environ={}, user_ns={})):
            pytest.fail("the block ran although the install failed")
    monkeypatch.undo()
    assert_restored(shell, before, fds)


def test_a_pipe_that_cannot_be_made_means_no_fd_capture_not_a_failure(shell, own_attributes, monkeypatch):
    before, fds = _state(shell), _open_fds()
    pipe, calls = os.pipe, []

    def second_fails():
        calls.append(1)
        if len(calls) == 2:
            raise OSError(24, "Too many open files")
        return pipe()

    monkeypatch.setattr(os, "pipe", second_fails)
    record = Recorder()
    with OutputCapture(shell, record) as capture:
        assert not capture.fd.reading and _fd(1) == before[2][0]  # fd 1 was put back at once
        print("python-level output is still recorded")
    monkeypatch.undo()
    assert_restored(shell, before, fds)
    assert record.finished()[0]["text"] == "python-level output is still recorded\n"


# -- the record's rules (nbclient's) ---------------------------------------------------------------------------------
def test_a_wait_clear_with_nothing_after_it_clears_nothing():
    record = Recorder()
    record.display({"text/plain": "shown"}, {}, None, False)
    record.stream("stdout", "printed\n")
    record.clear(wait=True)
    assert [o["output_type"] for o in record.finished()] == ["display_data", "stream"]


def test_a_wait_clear_fires_at_the_next_output_of_any_kind_but_not_at_an_update():
    for add in (lambda r: r.stream("stderr", "x"), lambda r: r.display({"text/plain": "x"}, {}, None, False),
                lambda r: r.execute_result({"text/plain": "x"}, {}, 3), lambda r: r.error("E", "x", ["E: x"])):
        record = Recorder()
        record.stream("stdout", "old\n")
        record.clear(wait=True)
        add(record)
        assert len(record.finished()) == 1 and "old" not in str(record.outputs)
    record = Recorder()
    record.display({"text/plain": "m1"}, {}, {"display_id": "m"}, False)
    record.clear(wait=True)
    record.display({"text/plain": "m2"}, {}, {"display_id": "m"}, True)
    assert record.finished() == [{"output_type": "display_data", "data": {"text/plain": "m2"}, "metadata": {}}]


def test_an_update_changes_earlier_steps_in_place_and_names_them():
    displays = DisplayIds()
    first, second, third = Recorder(displays), Recorder(displays), Recorder(displays)
    first.display({"text/plain": "p1"}, {}, {"display_id": "plot"}, False)
    first.stream("stdout", "between\n")
    step1 = first.finished()
    second.display({"text/plain": "p2"}, {"note": 1}, {"display_id": "plot"}, True)
    second.display({"text/plain": "other"}, {}, {"display_id": "never-shown"}, True)  # dropped
    step2 = second.finished()
    assert step2 == [] and second.updated == [step1] and second.updated[0] is step1
    assert step1[0] == {"output_type": "display_data", "data": {"text/plain": "p2"}, "metadata": {"note": 1}}
    third.display({"text/plain": "p3"}, {}, {"display_id": "plot"}, False)  # a new display of the id updates too
    step3 = third.finished()
    assert step1[0]["data"] == step3[0]["data"] == {"text/plain": "p3"} and third.updated == [step1]


def test_cleared_outputs_get_no_more_updates_and_other_steps_keep_theirs():
    displays = DisplayIds()
    first, second = Recorder(displays), Recorder(displays)
    first.display({"text/plain": "a1"}, {}, {"display_id": "a"}, False)
    step1 = first.finished()
    second.display({"text/plain": "b1"}, {}, {"display_id": "b"}, False)
    second.clear()
    second.display({"text/plain": "b2"}, {}, {"display_id": "b"}, True)  # b's output is gone
    second.display({"text/plain": "a2"}, {}, {"display_id": "a"}, True)  # a clear of step 2 leaves step 1's ids
    second.stream("stdout", "after\n")
    assert second.finished() == [{"output_type": "stream", "name": "stdout", "text": "after\n"}]
    assert step1[0]["data"] == {"text/plain": "a2"} and second.updated == [step1]


def test_an_earlier_steps_updated_output_is_masked_when_the_step_makes_a_secret_known():
    displays = DisplayIds()
    first, second = Recorder(displays), Recorder(displays)
    first.display({"text/plain": "v1"}, {}, {"display_id": "v"}, False)
    step1 = first.finished()
    second.display({"text/plain": "token hunter2-value \udcff"}, {}, {"display_id": "v"}, True)
    redactor = Redactor(environ={}, user_ns={"db_password": "hunter2-value"})
    second.finished(redactor, secrets_changed=True)
    assert step1[0]["data"]["text/plain"] == f"token {REDACTED} \ufffd"


def test_streams_either_side_of_a_dropped_error_are_one_output():
    record = Recorder()
    record.stream("stdout", "a\n")
    record.error("KeyboardInterrupt", "", [])
    record.stream("stdout", "b\n")
    record.drop_errors({"KeyboardInterrupt"})
    assert record.finished() == [{"output_type": "stream", "name": "stdout", "text": "a\nb\n"}]
