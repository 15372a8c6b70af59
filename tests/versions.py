"""The releases a test run used, named in one line: pytest's header (``conftest.py``) and ``.ci/run`` both print it,
so that a red run says which release broke it. ``python tests/versions.py`` prints it."""

import importlib.metadata

#: The dependencies whose releases most often change what the tests see.
REPORTED_DISTRIBUTIONS = ("anthropic", "ipykernel", "ipython", "jupyter_client", "jupyterlab", "nbclient", "nbformat",
                          "notebook", "traitlets")


def tested_versions() -> str:
    """``"anthropic 2.15.0, ipykernel 7.4.0, ..."`` for :data:`REPORTED_DISTRIBUTIONS`, as installed now."""
    found = []
    for name in REPORTED_DISTRIBUTIONS:
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


if __name__ == "__main__":
    print(f"tested: {tested_versions()}")
