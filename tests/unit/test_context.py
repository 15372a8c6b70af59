"""Tests of ``codeact_magic.context.summarize`` on real objects: NumPy arrays, DataFrames, hostile and lazy objects."""

from __future__ import annotations

import collections
import dataclasses
import math
import os
import re
import subprocess
import sys
import time
import types
import typing
from os.path import join as imported_function

import numpy as np
import pandas as pd
import pytest

from codeact_magic import context
from codeact_magic.context import VariableSummary, summarize
from codeact_magic.describe import describe

ANTHROPIC_KEY = "sk-ant-api03-" + "Zx9_Qw8-Er7Ty6Ui5Op4As3Df2Gh1Jk0LzXcVbNm" * 2
OPENAI_KEY = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4"
GITHUB_KEY = "ghp_" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2"
SLACK_KEY = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp"
AWS_KEY = "AKIA" + "ABCDEFGHIJKLMNOP"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
HEX_TOKEN = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"
BASE64_TOKEN = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY2xq9ZtR4Lk"

CALLS: list[str] = []  # user code that summarize ran; every hostile test asserts it stays empty


def session(**names):
    """A namespace like IPython's ``user_ns``: ``__name__`` is ``__main__``, then ``names`` in order."""
    return {"__name__": "__main__", "__builtins__": __builtins__, **names}


def define(source: str) -> dict:
    """Run ``source`` as a notebook cell would, so its functions and classes have ``__module__ == "__main__"``."""
    ns = session()
    exec(source, ns)
    return ns


def line_of(summary: VariableSummary, name: str) -> str:
    found = [line for line in summary.text.splitlines() if line.startswith(name + ": ")]
    assert len(found) == 1, summary.text
    return found[0]


@pytest.fixture(autouse=True)
def _no_calls():
    CALLS.clear()
    yield
    CALLS.clear()


# --- names, order, header -------------------------------------------------------------------------------------


def test_most_recent_first_with_header():
    summary = summarize(session(first=1, second="two", third=[3]))
    lines = summary.text.splitlines()
    assert lines[0] == "# 3 user variables (data, functions and classes first; most recent first)"
    assert [line.split(":")[0] for line in lines[1:]] == ["third", "second", "first"]
    assert (summary.n_names, summary.n_shown, summary.truncated) == (3, 3, False)
    assert summary.elapsed_s >= 0


def test_one_variable_is_singular_and_none_is_one_line():
    assert summarize(session(x=1)).text.splitlines()[0] == (
        "# 1 user variable (data, functions and classes first; most recent first)")
    empty = summarize(session(_private=1, In=[], Out={}, exit=object(), quit=object(), get_ipython=print))
    assert empty.text == "# no user variables"
    assert (empty.n_names, empty.n_shown, empty.truncated) == (0, 0, False)


def test_underscore_ipython_and_hidden_names_are_skipped():
    hidden_value = object()
    ns = session(_=1, __=2, _i3="x = 1", _oh={}, In=[""], Out={}, exit=1, quit=2, get_ipython=3,
                 shell_thing=hidden_value, rebound="user value", mine=42)
    summary = summarize(ns, hidden={"shell_thing": hidden_value, "rebound": "what IPython had"})
    assert summary.n_names == 2
    for name in ("_", "__", "_i3", "_oh", "In", "Out", "exit", "quit", "get_ipython", "shell_thing"):
        assert not re.search(rf"^{re.escape(name)}:", summary.text, re.M), name
    # a mapping hides a name while it is bound to the same object, as %who does; the user rebound this one
    assert "rebound: str" in summary.text
    assert "mine: int = 42" in summary.text
    # a plain container hides by name
    assert "mine" not in summarize(ns, hidden={"mine"}).text


def test_modules_on_one_line_and_imported_names_skipped():
    ns = session(np=np, pd=pd, os=os, join=imported_function, OrderedDict=collections.OrderedDict, sqrt=math.sqrt,
                 sin=np.sin, Optional=typing.Optional, field=dataclasses.field, data=[1])
    summary = summarize(ns)
    lines = summary.text.splitlines()
    assert lines[1] == "modules: os, pd (pandas), np (numpy)"
    assert sum(line.startswith("modules:") for line in lines) == 1
    assert summary.n_names == 1 and lines[2].startswith("data: list")
    for name in ("join", "OrderedDict", "sqrt", "sin", "Optional", "field"):
        assert f"{name}:" not in summary.text


def test_session_function_signature_and_first_doc_line():
    ns = define('''
def load(path: str, n: int = 5, *args, sep=",", **kw) -> dict:
    """Load the table.

    Second paragraph, not shown.
    """
def pos_only(a, /, b, *, c=None): pass
square = lambda x: x * x
''')
    summary = summarize(ns)
    assert line_of(summary, "load") == (
        "load: function load(path: str, n: int = 5, *args, sep=',', **kw) -> dict — Load the table.")
    assert "Second paragraph" not in summary.text
    assert line_of(summary, "pos_only") == "pos_only: function pos_only(a, /, b, *, c=None)"
    assert line_of(summary, "square") == "square: function <lambda>(x)"


def test_session_class_with_init_signature_and_doc():
    ns = define('''
class Base: pass
class Point(Base):
    """A 2D point.

    Details here.
    """
    def __init__(self, x: float, y: float = 0.0):
        self.x, self.y = x, y
''')
    summary = summarize(ns)
    assert line_of(summary, "Point") == (
        "Point: class Point(x: float, y: float = 0.0), subclass of __main__.Base — A 2D point.")
    assert "Details here" not in summary.text
    assert line_of(summary, "Base") == "Base: class Base"


def test_plain_object_shows_default_repr_only():
    ns = define("class Plain: pass\nclass Custom:\n    def __repr__(self):\n        return 'CUSTOM REPR'\n")
    ns.update(plain=ns["Plain"](), custom=ns["Custom"]())
    summary = summarize(ns)
    assert re.fullmatch(r"plain: __main__\.Plain <__main__\.Plain object at 0x[0-9a-f]+>", line_of(summary, "plain"))
    assert line_of(summary, "custom") == "custom: __main__.Custom"


# --- values ----------------------------------------------------------------------------------------------------


def test_builtin_values():
    summary = summarize(session(n=42, ratio=0.25, flag=True, nothing=None, z=1 + 2j, huge=10**5000,
                                text="hello world", long_text="abcdefghij" * 100, raw=b"\x00\x01bytes",
                                items=[1, "a", (2.5, None)], empty=set(), one=(1,), cfg={"lr": 0.1, "layers": [64, 32]},
                                many=list(range(10_000)), r=range(3, 10)))
    assert line_of(summary, "n") == "n: int = 42"
    assert line_of(summary, "ratio") == "ratio: float = 0.25"
    assert line_of(summary, "flag") == "flag: bool = True"
    assert line_of(summary, "nothing") == "nothing: NoneType = None"
    assert line_of(summary, "z") == "z: complex = (1+2j)"
    assert line_of(summary, "huge") == "huge: int = <int with about 5,001 digits>"
    assert line_of(summary, "text") == "text: str len=11 'hello world'"
    assert line_of(summary, "long_text") == "long_text: str len=1,000 'abcdefghijabcdefghijabcdefghijabcdefghij'…"
    assert line_of(summary, "raw") == r"raw: bytes len=7 b'\x00\x01bytes'"
    assert line_of(summary, "items") == "items: list len=3 [1, 'a', (2.5, None)]"
    assert line_of(summary, "empty") == "empty: set len=0 set()"
    assert line_of(summary, "one") == "one: tuple len=1 (1,)"
    assert line_of(summary, "cfg") == "cfg: dict len=2 {'lr': 0.1, 'layers': [64, 32]}"
    assert line_of(summary, "many") == "many: list len=10,000 [0, 1, 2, 3, 4, 5, 6, 7, …]"
    assert line_of(summary, "r") == "r: range = range(3, 10)"


def test_numpy_multi_gb_arrays_show_shape_and_dtype_only():
    big = np.empty((40_000, 10_000))  # 3.2 GB of address space, never touched
    zeros = np.zeros((50_000, 10_000), dtype=np.float32)
    ns = session(big=big, zeros=zeros, mid=np.arange(1000), tiny=np.array([1.5, 2.5]), scalar=np.int64(7))
    summary = summarize(ns)
    assert line_of(summary, "big") == "big: numpy.ndarray shape=(40000, 10000) dtype=float64 (3.2 GB)"
    assert line_of(summary, "zeros") == "zeros: numpy.ndarray shape=(50000, 10000) dtype=float32 (2 GB)"
    assert line_of(summary, "mid") == "mid: numpy.ndarray shape=(1000,) dtype=int64 (8 KB)"
    assert line_of(summary, "tiny") == "tiny: numpy.ndarray shape=(2,) dtype=float64 [1.5, 2.5]"
    assert line_of(summary, "scalar") == "scalar: numpy.int64 = 7"


def test_dataframe_columns_and_dtypes_and_series():
    df = pd.DataFrame({"a": [1, 2], "b": [1.5, 2.5], "when": pd.to_datetime(["2024-01-01", "2024-01-02"]),
                       "label with space": ["x", "y"]})
    wide = pd.DataFrame(np.zeros((2, 100)), columns=[f"c{i}" for i in range(100)])
    s = pd.Series([1.0, 2.0, 3.0], name="price")
    summary = summarize(session(df=df, wide=wide, s=s))
    when, text = str(df.dtypes["when"]), str(df.dtypes["label with space"])  # resolution and str dtype vary
    assert line_of(summary, "df") == (
        f"df: pandas.DataFrame shape=(2, 4) columns: a int64, b float64, when {when}, 'label with space' {text}")
    wide_line = line_of(summary, "wide")
    listed = re.findall(r"\bc\d+ float64", wide_line)
    assert 5 <= len(listed) <= 30
    assert wide_line.endswith(f"… +{100 - len(listed)} more")
    assert len(wide_line) <= 480
    assert line_of(summary, "s") == "s: pandas.Series len=3 dtype=float64 name='price'"


def test_lines_are_capped():
    ns = session(nested=[["x" * 50] * 20] * 20, d={f"key{i}": "v" * 60 for i in range(50)},
                 **{"n" * 300: 1})
    summary = summarize(ns)
    assert all(len(line) <= 200 for line in summary.text.splitlines())


# --- secrets and environment --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["API_KEY", "anthropic_api_key", "apiKey", "GITHUB_TOKEN", "githubToken",
                                  "db_password", "pwd", "aws_secret_access_key", "auth_header", "Authorization",
                                  "privateKey", "my_credentials", "key", "key2", "hf_token", "passwd", "oauth_token",
                                  "creds"])
def test_secret_names_keep_name_and_type_but_not_value(name):
    summary = summarize(session(**{name: "hunter2-plain-value"}))
    assert line_of(summary, name) == f"{name}: str <redacted>"
    assert "hunter2" not in summary.text


@pytest.mark.parametrize("name", ["keys", "monkey", "keyboard", "author", "authority", "tokenizer", "max_tokens",
                                  "n_tokens", "token_count", "passage"])
def test_ordinary_names_are_not_redacted(name):
    summary = summarize(session(**{name: "visible"}))
    assert line_of(summary, name) == f"{name}: str len=7 'visible'"


def test_secret_names_redact_any_value():
    summary = summarize(session(password=12345, token_list=["a", "b"], secret_frame=pd.DataFrame({"a": [1]})))
    assert line_of(summary, "password") == "password: int <redacted>"
    assert line_of(summary, "token_list") == "token_list: list <redacted>"
    assert line_of(summary, "secret_frame") == "secret_frame: pandas.DataFrame <redacted>"


KEYS = [ANTHROPIC_KEY, OPENAI_KEY, GITHUB_KEY, SLACK_KEY, AWS_KEY, JWT, HEX_TOKEN, BASE64_TOKEN]


@pytest.mark.parametrize("key", KEYS)
def test_key_looking_values_are_redacted_everywhere(key):
    ns = define(f'def call(model="claude", auth_value={key!r}):\n    """Uses {key} internally."""\n')
    ns.update(
        text=f"Authorization: Bearer {key} trailing",
        at_cut="x" * 30 + key,  # the key starts inside the shown prefix and runs past it
        listed=["ok", key, ("nested", key)],
        mapping={"model": "claude", "value": key, key: "as a key"},
        settings={"api_key": "plain-but-named", "nested": {"password": "pw-value"}},
        as_set={key},
        as_bytes=key.encode(),
        frame=pd.DataFrame({key: [1]}),
        series=pd.Series([1], name=key),
    )
    summary = summarize(ns)
    for piece in (key, key[:12], key[-12:], "plain-but-named", "pw-value"):
        assert piece not in summary.text, piece
    assert summary.text.count("<redacted>") >= 10
    assert "'model': 'claude'" in line_of(summary, "mapping")
    assert "auth_value=" in line_of(summary, "call")


def test_ordinary_values_are_not_redacted():
    values = {"path": "/home/user/projects/report_2024/data.csv", "ident": "this_is_a_very_long_identifier_name",
              "sentence": "The quick brown fox jumps over the lazy dog", "uuid": "550e8400-e29b-41d4-a716-446655440000",
              "word": "Internationalization_Configuration"}
    summary = summarize(session(**values))
    assert "<redacted>" not in summary.text
    for value in values.values():
        assert value[:20] in summary.text


def test_environment_never_included(monkeypatch):
    fake = "sk-ant-api03-" + "EnvOnly" * 8
    monkeypatch.setenv("CODEACT_FAKE_ANTHROPIC_KEY", fake)
    monkeypatch.setenv("CODEACT_ENV_MARKER", "marker-value-8271")
    ns = session(env=os.environ, env_copy=dict(os.environ), in_list=[os.environ], environ_items=dict(os.environ))
    with monkeypatch.context() as m:  # summarize must not read os.environ itself
        m.setattr(os, "environ", _Explodes())
        _Explodes.armed = True
        try:
            summary = summarize(ns)
        finally:
            _Explodes.armed = False
    assert fake not in summary.text and "marker-value-8271" not in summary.text
    assert "CODEACT_" not in summary.text and "PATH" not in summary.text
    assert line_of(summary, "env") == "env: os._Environ (environment variables, not shown)"
    assert "looks like environment variables, not shown" in line_of(summary, "env_copy")
    assert line_of(summary, "in_list") == "in_list: list len=1 [<os._Environ>]"


class _Explodes:
    armed = False

    def __getattribute__(self, name):
        if _Explodes.armed:
            raise AssertionError(f"os.environ.{name} was read")
        return object.__getattribute__(self, name)


# --- hostile objects ------------------------------------------------------------------------------------------------


class Tripwire:
    """Records every special method or attribute access that reaches it."""

    def __repr__(self):
        CALLS.append("__repr__")
        raise RuntimeError("repr")

    def __str__(self):
        CALLS.append("__str__")
        raise RuntimeError("str")

    def __len__(self):
        CALLS.append("__len__")
        raise RuntimeError("len")

    def __getattr__(self, name):
        CALLS.append(f"__getattr__ {name}")
        raise AttributeError(name)

    def __eq__(self, other):
        CALLS.append("__eq__")
        return False

    def __hash__(self):
        CALLS.append("__hash__")
        return 0

    def __bool__(self):
        CALLS.append("__bool__")
        return True

    def __iter__(self):
        CALLS.append("__iter__")
        return iter(())


class SleepyRepr:
    def __repr__(self):
        CALLS.append("sleep")
        time.sleep(10)
        return "slept"


class ForeverRepr:
    def __repr__(self):
        CALLS.append("forever")
        while True:
            pass


class HangingProperty:
    @property
    def shape(self):
        CALLS.append("shape")
        time.sleep(10)

    @property
    def dtype(self):
        CALLS.append("dtype")
        time.sleep(10)


class Lazy:
    """Computes on every attribute access, like a lazy proxy."""

    def __getattribute__(self, name):
        CALLS.append(f"__getattribute__ {name}")
        time.sleep(10)


class LiesAboutClass:
    """``type(x)`` says LiesAboutClass, ``x.__class__`` (and so ``isinstance``) says DataFrame."""

    armed = False

    @property
    def __class__(self):
        if LiesAboutClass.armed:
            CALLS.append("__class__")
        return pd.DataFrame

    def __getattr__(self, name):
        CALLS.append(f"__getattr__ {name}")
        time.sleep(10)


class HangingMeta(type):
    armed = False

    def __getattribute__(cls, name):
        if HangingMeta.armed:
            CALLS.append(f"meta {name}")
            time.sleep(10)
        return super().__getattribute__(name)

    def __repr__(cls):
        CALLS.append("meta repr")
        raise RuntimeError


class BadList(list):
    def __len__(self):
        CALLS.append("list __len__")
        raise RuntimeError

    def __iter__(self):
        CALLS.append("list __iter__")
        raise RuntimeError


class BadStr(str):
    def __len__(self):
        CALLS.append("str __len__")
        time.sleep(10)

    def __getitem__(self, item):
        CALLS.append("str __getitem__")
        time.sleep(10)


class SlowShapeArray(np.ndarray):
    @property
    def shape(self):
        CALLS.append("array shape")
        time.sleep(10)


class SlowFrame(pd.DataFrame):
    armed = False

    @property
    def shape(self):
        if SlowFrame.armed:
            CALLS.append("frame shape")
            time.sleep(10)
        return super().shape


@pytest.fixture
def hostile_ns():
    weird = HangingMeta("Weird", (), {"__module__": "__main__", "__doc__": "Weird class."})
    ns = session(trip=Tripwire(), sleepy=SleepyRepr(), forever=ForeverRepr(), hanging=HangingProperty(), lazy=Lazy(),
                 liar=LiesAboutClass(), Weird=weird, weird_instance=weird(), bad_list=BadList([1, 2, 3]),
                 bad_str=BadStr("hello"), slow_array=np.arange(6.0).view(SlowShapeArray),
                 slow_frame=SlowFrame({"a": [1, 2]}), trip_in_list=[Tripwire(), SleepyRepr()],
                 trip_in_dict={"k": Tripwire()}, trip_default=define("def f(x=None): pass")["f"])
    ns["trip_default"].__defaults__ = (SleepyRepr(),)
    HangingMeta.armed = LiesAboutClass.armed = SlowFrame.armed = True
    yield ns
    HangingMeta.armed = LiesAboutClass.armed = SlowFrame.armed = False


@pytest.mark.timeout(5)
def test_hostile_objects_run_no_user_code(hostile_ns):
    start = time.perf_counter()
    summary = summarize(hostile_ns)
    assert time.perf_counter() - start < 2
    assert CALLS == []
    assert summary.n_names == summary.n_shown == len(hostile_ns) - 2
    for name, cls in (("trip", "Tripwire"), ("sleepy", "SleepyRepr"), ("forever", "ForeverRepr")):
        assert re.fullmatch(rf"{name}: [\w.]*\.{cls}", line_of(summary, name))  # type only: its repr is user code
    for name, cls in (("hanging", "HangingProperty"), ("lazy", "Lazy")):  # object.__repr__ runs no user code
        assert re.fullmatch(rf"{name}: [\w.]*\.{cls} <[\w.]*\.{cls} object at 0x[0-9a-f]+>", line_of(summary, name))
    assert line_of(summary, "bad_list").endswith("BadList len=3 [1, 2, 3]")
    assert line_of(summary, "bad_str").endswith("BadStr len=5 'hello'")
    slow_array = "SlowShapeArray shape=(6,) dtype=float64 [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]"
    assert line_of(summary, "slow_array").endswith(slow_array)
    assert line_of(summary, "slow_frame").endswith("(pandas.DataFrame subclass, not described)")
    assert line_of(summary, "Weird") == "Weird: class Weird — Weird class."
    assert "Tripwire>, <" in line_of(summary, "trip_in_list")
    assert "f(x=<" in line_of(summary, "trip_default")


@pytest.mark.timeout(5)
def test_class_lying_proxy_is_described_by_its_real_type(hostile_ns):
    summary = summarize(hostile_ns)
    liar = line_of(summary, "liar")
    assert "LiesAboutClass" in liar and "pandas" not in liar and "columns" not in liar
    assert CALLS == []
    assert isinstance(hostile_ns["liar"], pd.DataFrame)  # the lie that summarize did not fall for
    assert CALLS == ["__class__"]


# --- bounds ---------------------------------------------------------------------------------------------------------


def big_namespace(n=20_000):
    ns = session(np=np)
    for i in range(n):
        k = i % 4
        ns[f"v{i}"] = i if k == 0 else f"value {i}" * 3 if k == 1 else [i, i] if k == 2 else np.zeros(8 + i % 5)
    ns["huge"] = np.empty((40_000, 10_000))
    ns["df"] = pd.DataFrame({"a": [1], "b": ["x"]})
    return ns


@pytest.mark.timeout(30)
def test_size_bound_with_20000_names():
    summary = summarize(big_namespace(), time_budget_s=10)
    lines = summary.text.splitlines()
    assert len(summary.text) <= 6000
    assert lines[0] == "# 20,002 user variables (data, functions and classes first; most recent first)"
    assert lines[1] == "modules: np (numpy)"
    assert lines[2].startswith("df: pandas.DataFrame")
    assert lines[3].startswith("huge: numpy.ndarray shape=(40000, 10000)")
    assert summary.truncated and summary.n_names == 20_002 and 0 < summary.n_shown < 20_002
    assert lines[-1] == f"... {20_002 - summary.n_shown:,} more names not shown (size limit)"
    assert len(lines) == summary.n_shown + 3


@pytest.mark.parametrize("max_chars", [1, 40, 300, 1000])
def test_text_never_exceeds_max_chars(max_chars):
    summary = summarize(big_namespace(2000), max_chars=max_chars, time_budget_s=10)
    assert len(summary.text) <= max_chars


def test_time_budget_stops_describing():
    summary = summarize(big_namespace(), time_budget_s=0)
    assert summary.truncated and summary.n_shown == 0
    assert summary.text.splitlines()[-1].endswith("more names not shown (time budget)")


@pytest.mark.timeout(10)
def test_default_budget_on_20000_names_is_generous_guard():
    start = time.perf_counter()
    summary = summarize(big_namespace())
    assert time.perf_counter() - start < 2  # speed itself belongs to benchmarks/bench_context.py
    assert len(summary.text) < 8000


def test_summary_is_a_frozen_record_and_bad_arguments_raise():
    summary = summarize(session(x=1))
    with pytest.raises(dataclasses.FrozenInstanceError):
        summary.text = ""
    with pytest.raises(ValueError):
        summarize({}, max_chars=0)
    with pytest.raises(ValueError):
        summarize({}, time_budget_s=-1)


# --- ranking: data first, runs of scalars collapsed -----------------------------------------------------------------


def names_in_order(summary: VariableSummary) -> list[str]:
    """The names (or collapsed ranges) of the variable lines, in order: no header, modules or "more" line."""
    return [line.split(": ")[0] for line in summary.text.splitlines()[1:]
            if not line.startswith(("modules: ", "... "))]


def issue_namespace(ints_last: bool = True) -> dict:
    """Issue 8's namespace: one large array, a DataFrame and 20,000 ints made in a loop (last, or first)."""
    ns = session(np=np, pd=pd)
    loop = {f"v{i}": i for i in range(20_000)}
    if not ints_last:
        ns.update(loop)
    ns["big"] = np.empty((40_000, 10_000))
    ns["df"] = pd.DataFrame({"a": [1, 2], "b": [0.5, 1.5]})
    if ints_last:
        ns.update(loop)
    return ns


@pytest.mark.parametrize("ints_last", [True, False])
def test_issue_namespace_shows_the_array_the_frame_and_one_line_of_ints(ints_last):
    summary = summarize(issue_namespace(ints_last), time_budget_s=10)
    assert summary.text.splitlines() == [
        "# 20,002 user variables (data, functions and classes first; most recent first)",
        "modules: pd (pandas), np (numpy)",
        "df: pandas.DataFrame shape=(2, 2) columns: a int64, b float64",
        "big: numpy.ndarray shape=(40000, 10000) dtype=float64 (3.2 GB)",
        "v0 … v19999: 20,000 ints",
    ]
    assert (summary.n_names, summary.n_shown, summary.truncated) == (20_002, 20_002, False)
    assert len(summary.text) <= 6000


def test_ranking_describes_only_what_it_shows(monkeypatch):
    described = []

    def counting_describe(value, name):
        described.append(name)
        return describe(value, name)

    monkeypatch.setattr(context, "describe", counting_describe)
    summarize(issue_namespace(), time_budget_s=10)
    assert described == ["df", "big"]  # the 20,000 ints were ranked by type, never described


def test_issue_namespace_in_a_small_budget_keeps_the_data():
    summary = summarize(issue_namespace(), max_chars=300, time_budget_s=10)
    assert len(summary.text) <= 300
    assert names_in_order(summary) == ["df", "big"]
    assert summary.text.splitlines()[-1] == "... 20,000 more names not shown (size limit)"


def test_session_functions_and_classes_come_before_scalars():
    ns = define("def fit(x):\n    '''Fit.'''\nclass Model:\n    '''A model.'''\n")
    ns.update(n=3, ratio=0.5, label="run", fit_result=None)  # defined after, so more recent
    summary = summarize(ns)
    assert names_in_order(summary) == ["Model", "fit", "fit_result", "label", "ratio", "n"]
    assert line_of(summary, "Model") == "Model: class Model — A model."


def test_non_trivial_containers_come_before_scalars_and_small_ones_do_not():
    ns = session(rows=[1, 2, 3, 4], nested=[1, [2]], cfg={"lr": 0.1, "layers": [64, 32]}, pair=(1, 2),
                 small={"a": 1}, tags={"x", "y", "z"}, ids=frozenset(range(10)), n=1)
    summary = summarize(ns)
    assert names_in_order(summary) == ["ids", "cfg", "nested", "rows", "n", "tags", "small", "pair"]


def test_array_likes_series_and_numpy_scalars_rank_by_type():
    class Tensor:  # defines shape and dtype on the type, like torch.Tensor or xarray.DataArray
        shape, dtype = (2, 3), "float32"

    ns = session(n=1, t=Tensor(), s=pd.Series([1.0]), x0=np.float64(1.0), x1=np.float64(2.0), x2=np.float64(3.0),
                 m=2)
    summary = summarize(ns)
    assert names_in_order(summary) == ["s", "t", "m", "x0 … x2", "n"]
    assert line_of(summary, "x0 … x2") == "x0 … x2: 3 numpy.float64 values"


def test_runs_of_scalars_mixed_types_numeric_order_and_short_runs():
    ns = session(**{f"x{i}": (i if i % 2 == 0 else f"s{i}") for i in range(9)})  # one run per type
    ns.update(w10=1, w2=2, w7=3, w003=4)  # numeric order, not string order
    ns.update(y0=0.5, y1=1.5)  # two: each on its own line
    ns.update(f1=True, f2=False, f3=True, flag=False, step_1=1, step_2=2, step_3=3)
    summary = summarize(ns)
    assert names_in_order(summary) == [
        "step_1 … step_3", "flag", "f1 … f3", "y1", "y0", "w2 … w10", "x0 … x8", "x1 … x7"]
    assert line_of(summary, "x0 … x8") == "x0 … x8: 5 ints"
    assert line_of(summary, "x1 … x7") == "x1 … x7: 4 strs"
    assert line_of(summary, "w2 … w10") == "w2 … w10: 4 ints"
    assert line_of(summary, "f1 … f3") == "f1 … f3: 3 bools"
    assert line_of(summary, "y0") == "y0: float = 0.5"
    assert (summary.n_names, summary.n_shown) == (22, 22)


def test_runs_with_gaps_count_what_is_there():
    summary = summarize(session(**{f"v{i}": i for i in range(0, 300, 3)}))
    assert line_of(summary, "v0 … v297") == "v0 … v297: 100 ints"


def test_secrets_among_runs_are_not_revealed():
    ns = session(**{f"v{i}": i for i in range(50)})
    ns.update(v50=ANTHROPIC_KEY)  # a lone str in a run of ints: described on its own, redacted
    ns.update({f"key{i}": f"hunter2-{i}" for i in range(5)})  # secret names in a run: names and count only
    ns.update(api_key="hunter2-api", token_1="hunter2-t1", token_2="hunter2-t2")  # two: each redacted
    summary = summarize(ns)
    assert "hunter2" not in summary.text and ANTHROPIC_KEY[:16] not in summary.text
    assert line_of(summary, "key0 … key4") == "key0 … key4: 5 strs"
    assert line_of(summary, "v50") == f"v50: str len={len(ANTHROPIC_KEY)} '<redacted>'"
    assert line_of(summary, "token_1") == "token_1: str <redacted>"
    assert line_of(summary, "api_key") == "api_key: str <redacted>"
    assert line_of(summary, "v0 … v49") == "v0 … v49: 50 ints"


def test_a_tiny_time_budget_says_what_it_left_out():
    summary = summarize(issue_namespace(), time_budget_s=0)
    assert summary.text.splitlines()[-1] == f"... {summary.n_names:,} more names not shown (time budget)"
    assert (summary.n_shown, summary.truncated) == (0, True)
    assert summary.n_names >= 20_002  # names not reached are counted as variables: an upper bound


def test_a_time_budget_spent_describing_keeps_the_data_first(monkeypatch):
    """Each description takes 10 ms of a fake clock: a 35 ms budget describes four names, the data ones."""
    now = [0.0]

    def slow_describe(value, name):
        now[0] += 0.01
        return describe(value, name)

    monkeypatch.setattr(context, "time", types.SimpleNamespace(perf_counter=lambda: now[0]))
    monkeypatch.setattr(context, "describe", slow_describe)
    ns = issue_namespace()
    ns.update(define("def a(): pass\ndef b(): pass\nclass C: pass\n"))
    ns.update(label="x", n=1)
    summary = summarize(ns, time_budget_s=0.035)
    assert names_in_order(summary) == ["C", "b", "a", "df"]
    assert summary.text.splitlines()[-1] == f"... {summary.n_names - 4:,} more names not shown (time budget)"
    assert "v0 … v19999" not in summary.text and "label" not in summary.text


def test_ranking_imports_neither_numpy_nor_pandas():
    code = ("import sys\nfrom codeact_magic.context import summarize\n"
            "class Arr:\n    shape = dtype = None\n"
            "ns = {'__name__': '__main__', **{f'v{i}': i for i in range(100)}, 'rows': [1, 2, 3, 4], 'a': Arr()}\n"
            "print(summarize(ns).text)\nprint('numpy' in sys.modules, 'pandas' in sys.modules)\n")
    lines = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert lines[1].startswith("a: __main__.Arr <")  # an array-like by its type, without NumPy
    assert lines[2:] == ["rows: list len=4 [1, 2, 3, 4]", "v0 … v99: 100 ints", "False False"]


# --- one value: describe --------------------------------------------------------------------------------------------


def test_describe_is_the_line_summarize_prints():
    ns = session(n=42, api_key="sk-plain", frame=pd.DataFrame({"a": [1]}), items=["x" * 50] * 20)
    summary = summarize(ns)
    for name in ("n", "api_key", "frame", "items"):
        assert describe(ns[name], name) == line_of(summary, name)
    assert describe(42, "n") == "n: int = 42"
    assert describe("sk-plain", "api_key") == "api_key: str <redacted>"


def test_describe_keeps_code_under_a_secret_name_and_caps_lines():
    fn = define("def make_token(n: int = 8):\n    \"\"\"A random token.\"\"\"\n")["make_token"]
    assert describe(fn, "token_factory") == "token_factory: function make_token(n: int = 8) — A random token."
    assert len(describe([["x" * 50] * 20] * 20, "nested")) <= 200
    wide = pd.DataFrame(np.zeros((1, 200)), columns=[f"column_{i}" for i in range(200)])
    assert 200 < len(describe(wide, "wide")) <= 480


@pytest.mark.timeout(5)
def test_describe_runs_no_user_code(hostile_ns):
    for name, value in hostile_ns.items():
        if not name.startswith("_"):
            assert describe(value, name).startswith(name + ": ")
    assert CALLS == []
