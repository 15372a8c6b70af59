"""Values carried out of a sandbox kernel (``--return``): only data is built from the sandbox's pickles."""

from __future__ import annotations

import collections
import datetime
import decimal
import os
import pickle

import numpy as np
import pandas as pd
import pytest

from codeact_magic.transfer import dump_code, pickle_values, read_dump, returned_value


@pytest.mark.parametrize("value", [
    pd.DataFrame({"a": [1, 2], "b": ["x", "y"], "t": pd.to_datetime(["2024-01-01", "2024-01-02"]),
                  "c": pd.Categorical(["u", "v"])}),
    pd.Series([1.5, 2.5], index=pd.Index(["a", "b"], name="k")),
    pd.DataFrame({"x": [1, 2]}, index=pd.MultiIndex.from_tuples([(1, "a"), (2, "b")])),
    np.arange(6.0).reshape(2, 3), np.float64(3.5), np.int64(7),
    pd.Timestamp("2024-01-01", tz="UTC"), pd.Timedelta("1D"), pd.Period("2024-01"), pd.interval_range(0, 3),
    pd.arrays.SparseArray([0, 0, 1]),
    datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc), datetime.date(2024, 1, 2),
    collections.Counter("aab"), collections.defaultdict(list, a=[1]), collections.OrderedDict(a=1),
    decimal.Decimal("1.5"), {1, 2}, frozenset([3]), 1j, bytearray(b"x"), b"raw", range(3),
    {"nested": [1, (2, 3.5)], "none": None, "flag": True},
], ids=lambda v: type(v).__name__)
def test_data_comes_back_equal(value):
    back = returned_value(pickle.dumps(value, protocol=4))
    assert type(back) is type(value)
    if hasattr(value, "equals"):  # pandas objects
        assert back.equals(value)
    elif isinstance(value, np.ndarray):
        assert np.array_equal(back, value)
    else:
        assert back == value or (isinstance(value, pd.arrays.SparseArray) and list(back) == list(value))


class _Calls:
    """A pickle that calls ``function(*args)`` when loaded, as code in the sandbox could leave one."""

    def __init__(self, function, *args):
        self.function, self.args = function, args

    def __reduce__(self):
        return self.function, self.args


@pytest.mark.parametrize("function, args", [
    (os.system, ("touch pwned",)), (eval, ("1 + 1",)), (getattr, ("text", "upper")), (pd.read_pickle, ("x.pkl",)),
    (pd.eval, ("1 + 1",)), (np.load, ("x.npy",)), (pd.ExcelWriter, ("x.xlsx",)), (pd.HDFStore, ("x.h5",)),
    (np.memmap, ("x.mm", np.uint8, "w+", 0, (10,))), (pickle.loads, (b"",)), (__import__, ("os",)),
], ids=lambda v: getattr(v, "__name__", "args"))
def test_a_pickle_that_calls_anything_else_is_refused(function, args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(pickle.UnpicklingError, match="is not data of"):
        returned_value(pickle.dumps(_Calls(function, *args)))
    assert list(tmp_path.iterdir()) == []


def test_a_package_may_be_allowed_by_name():
    blob = pickle.dumps(_Calls(collections.Counter, "ab"))
    with pytest.raises(pickle.UnpicklingError):
        returned_value(blob, modules=("numpy",))
    assert returned_value(blob, modules=("collections",)) == collections.Counter("ab")


def test_the_dump_round_trips_and_refuses_what_is_not_one():
    import base64

    namespace = {"df": pd.DataFrame({"a": [1]}), "n": 3}
    pickles, failed = pickle_values(namespace, ["df", "n", "missing"])
    assert failed == {"missing": "not defined"}
    text = base64.b64encode(pickle.dumps((pickles, {"gone": "not defined in the sandbox"}), protocol=4)).decode()
    blobs, reasons = read_dump(text)
    assert set(blobs) == {"df", "n"} and reasons == {"gone": "not defined in the sandbox"}
    assert returned_value(blobs["n"]) == 3
    evil = base64.b64encode(pickle.dumps(_Calls(os.system, "true"))).decode()
    with pytest.raises(pickle.UnpicklingError):
        read_dump(evil)
    with pytest.raises(pickle.UnpicklingError):
        read_dump(base64.b64encode(pickle.dumps([1, 2])).decode())
    assert "__codeact_dump(['a', 'b'])" in dump_code(["a", "b"])


def test_unpicklable_values_are_named_with_why():
    import threading

    _, failed = pickle_values({"lock": threading.Lock()}, ["lock"])
    assert failed["lock"].startswith("cannot be pickled: TypeError")
