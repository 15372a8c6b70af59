"""``%%codeact -o NAME [--returns TYPE]``: the run hands back a Python value, checked before the run is ``done``.

The model is told to leave its result in the variable ``NAME``. When it answers, :meth:`OutputCheck.check` looks the
name up (in the user's namespace, or in the sandbox of an ``--isolated`` run) and, with ``--returns``, validates the
value with pydantic's ``TypeAdapter`` (https://docs.pydantic.dev/latest/concepts/type_adapter/): ``float``,
``pd.DataFrame``, ``dict[str, float]``, a dataclass or a pydantic model. What is wrong goes back to the model in one
message and the run goes on; the run ends ``done`` only with a valid value.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["OutputCheck", "OutputSpecError"]

#: Characters of a type's JSON Schema shown to the model.
SCHEMA_MAX_CHARS = 1500
#: Answers in a row the model may give without a valid value (no step in between) before the run fails.
MAX_IDLE_CORRECTIONS = 2


class OutputSpecError(ValueError):
    """``-o NAME`` is not a variable name, or ``--returns TYPE`` is not a type pydantic can check."""


def _one_line(text: str, limit: int = 240) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _adapter(tp: Any) -> Any:
    """A ``TypeAdapter`` for ``tp``; arbitrary classes (``pd.DataFrame``) are checked with ``isinstance``."""
    from pydantic import ConfigDict, PydanticUserError, TypeAdapter

    try:
        return TypeAdapter(tp, config=ConfigDict(arbitrary_types_allowed=True))
    except PydanticUserError:  # a BaseModel, dataclass or TypedDict brings its own config
        return TypeAdapter(tp)


def validation_problem(error: Any, limit: int = 3) -> str:
    """A pydantic ``ValidationError`` as one line: up to ``limit`` errors, each ``where: message (got type repr)``."""
    parts = []
    errors = error.errors(include_url=False)
    for item in errors[:limit]:
        where = ".".join(str(p) for p in item.get("loc", ())) or "the value"
        got = item.get("input")
        shown = repr(got)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        parts.append(f"{where}: {item.get('msg')} (got {type(got).__name__} {shown})")
    more = f"; and {len(errors) - limit} more" if len(errors) > limit else ""
    return _one_line("; ".join(parts) + more, 400)


class OutputCheck:
    """The result a run must leave behind: the variable ``name``, of the type ``type_expr`` when given.

    Parameters
    ----------
    name : str
        The variable (``-o NAME``).
    type_expr : str or None
        ``--returns TYPE``: a Python expression evaluated in ``namespace`` (``float``, ``pd.DataFrame``,
        ``dict[str, float]``, a class).
    namespace : mapping
        Where ``type_expr`` is evaluated (the user's namespace).
    lookup : callable, optional
        ``lookup(name) -> (found, value_or_reason)``: where the value is read. Default: ``namespace`` itself (the
        user's kernel); an isolated run reads it from its sandbox.
    assign : callable, optional
        ``assign(name, value)``: rebinds ``name`` to the validated value when validation converted it (a ``dict``
        into a pydantic model, ``1`` into ``1.0``). Default: sets it in ``namespace`` when that is a dict.

    Raises
    ------
    OutputSpecError
        When ``name`` is not an identifier, ``type_expr`` does not evaluate, or pydantic cannot check that type.
    """

    def __init__(self, name: str, type_expr: str | None, namespace: Mapping[str, Any],
                 lookup: Callable[[str], tuple[bool, Any]] | None = None,
                 assign: Callable[[str, Any], None] | None = None) -> None:
        if not name.isidentifier() or name.startswith("__"):
            raise OutputSpecError(f"-o {name!r} is not a variable name: give one such as -o result.")
        self.name = name
        expr = (type_expr or "").strip()
        if len(expr) >= 2 and expr[0] == expr[-1] and expr[0] in "'\"":  # the magic's line keeps the quotes
            expr = expr[1:-1].strip()
        self.type_expr = expr or None
        self.adapter = None
        if self.type_expr:
            try:
                tp = eval(self.type_expr, {"__builtins__": __builtins__}, dict(namespace))  # noqa: S307 - the user's
            except Exception as error:  # noqa: BLE001 - any error of the user's expression is one line
                raise OutputSpecError(f"--returns {self.type_expr}: {type(error).__name__}: {_one_line(error)} (the "
                                      "type is evaluated in this kernel's namespace: import it first).") from None
            if isinstance(tp, str):
                raise OutputSpecError(f"--returns {self.type_expr} is a string, not a type: write the type itself "
                                      "(--returns float, --returns 'dict[str, float]').")
            try:
                self.adapter = _adapter(tp)
            except Exception as error:  # noqa: BLE001 - pydantic's schema errors are long
                raise OutputSpecError(f"--returns {self.type_expr} is not a type pydantic can check: "
                                      f"{_one_line(error, 160)}") from None
        self._namespace = namespace
        self._lookup = lookup or self._from_namespace
        self._assign = assign or self._into_namespace
        self.status: str | None = None
        self.error: str | None = None
        self.value: Any = None
        self.corrections: list[dict[str, Any]] = []

    def _from_namespace(self, name: str) -> tuple[bool, Any]:
        if name in self._namespace:
            return True, self._namespace[name]
        return False, "not defined"

    def _into_namespace(self, name: str, value: Any) -> None:
        if isinstance(self._namespace, dict):
            self._namespace[name] = value

    @property
    def wanted(self) -> str:
        """```NAME``` or ```NAME``` (type ```T```), as the messages name it."""
        return f"`{self.name}`" + (f" (type `{self.type_expr}`)" if self.type_expr else "")

    def schema_text(self) -> str:
        """The type's JSON Schema, trimmed to :data:`SCHEMA_MAX_CHARS`, or ``""`` when it has none (an arbitrary
        class such as ``pd.DataFrame``)."""
        if self.adapter is None:
            return ""
        try:
            text = json.dumps(self.adapter.json_schema(), separators=(",", ":"))
        except Exception:  # noqa: BLE001 - arbitrary classes have no JSON Schema
            return ""
        return text if len(text) <= SCHEMA_MAX_CHARS else text[:SCHEMA_MAX_CHARS] + "…"

    def instructions(self) -> str:
        """The section of the first message that asks for the value (``<result_variable>``)."""
        lines = [f"When you answer, the result must be in the variable {self.wanted} in the namespace: assign it "
                 "with the python tool before you answer. The run checks it and tells you if it is missing or does "
                 "not validate."]
        schema = self.schema_text()
        if schema:
            lines.append(f"Its JSON Schema: {schema}")
        return "<result_variable>\n" + "\n".join(lines) + "\n</result_variable>"

    def check(self) -> str | None:
        """Look the value up and validate it.

        Returns
        -------
        str or None
            ``None`` when the value is there and valid (``value`` holds it, converted by the ``TypeAdapter`` when it
            had to be, and ``NAME`` is rebound to it); else the one message the model is sent, and ``status`` says
            ``missing`` or ``invalid`` with ``error`` the problem.
        """
        found, value = self._lookup(self.name)
        if not found:
            self.status, self.error = "missing", f"`{self.name}` is {value}"
            return (f"The task asks for the result in {self.wanted}, but `{self.name}` is {value}. Assign it with the "
                    "python tool, then answer again.")
        if self.adapter is not None:
            from pydantic import ValidationError

            try:
                valid = self.adapter.validate_python(value)
            except ValidationError as error:
                self.status, self.error = "invalid", validation_problem(error)
                return (f"The task asks for the result in {self.wanted}, but its value does not validate: "
                        f"{self.error}. Fix it with the python tool, then answer again.")
            if valid is not value:
                self._assign(self.name, valid)
            value = valid
        self.status, self.error, self.value = "valid", None, value
        return None

    def failure(self) -> str:
        """The run's one-line end reason when it ends without a valid value."""
        what = f"`{self.name}`" + (f" as {self.type_expr}" if self.type_expr else "")
        if self.status == "missing":
            return f"The run ended without the result: {what} was asked for, but {self.error}."
        return f"The run ended without a valid result: {what} was asked for, but it does not validate: {self.error}"

    def to_json(self) -> dict[str, Any]:
        """``Run.output``: name, type, status, error and the corrections sent."""
        return {"name": self.name, "type": self.type_expr, "status": self.status, "error": self.error,
                "corrections": list(self.corrections)}
