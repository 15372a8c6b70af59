"""Tests of ``codeact_magic.stdin``: the record and the note of each exchange, a ``getpass`` reply made a secret
before the code has it, and the answer to another kernel's ``input_request``."""

from __future__ import annotations

import pytest

from codeact_magic import redaction
from codeact_magic.redaction import REDACTED, Redactor
from codeact_magic.stdin import EOF_REPLY, StdinLog, answer_request


@pytest.fixture()
def redactor():
    saved = set(redaction._GIVEN)
    yield Redactor(environ={"SERVICE_TOKEN": "env-secret-value-123"}, user_ns={})
    redaction._GIVEN.clear()
    redaction._GIVEN.update(saved)


def test_a_plain_reply_is_kept_masked_and_noted(redactor):
    log = StdinLog(redactor)
    log.answered("Which column? ", False, "revenue")
    log.answered("Token env-secret-value-123? ", False, "also env-secret-value-123")
    assert log.exchanges == [
        {"prompt": "Which column? ", "password": False, "reply": "revenue"},
        {"prompt": f"Token {REDACTED}? ", "password": False, "reply": f"also {REDACTED}"}]
    assert log.notes[0] == "input('Which column? ') was answered: 'revenue'"
    assert "env-secret" not in "".join(log.notes)


def test_a_password_reply_is_never_kept_and_becomes_a_secret(redactor):
    log = StdinLog(redactor)
    log.answered("API token: ", True, "gp-Mn5Bv7Cx9Zl3Kj1H")
    assert log.exchanges == [{"prompt": "API token: ", "password": True, "reply": None}]
    assert log.notes == ["getpass('API token: ') was answered (a secret: masked everywhere)"]
    assert redactor.text("print gp-Mn5Bv7Cx9Zl3Kj1H") == f"print {REDACTED}"
    log.answered("PIN: ", True, "42")
    log.answered("Empty: ", True, "")
    assert "shorter than 4 characters" in log.notes[1] and log.exchanges[1]["reply"] is None
    assert log.notes[2] == "getpass('Empty: ') was answered with an empty reply"


def test_a_long_reply_is_cut_in_the_note():
    log = StdinLog()
    log.answered("Paste: ", False, "x" * 5000)
    assert len(log.exchanges[0]["reply"]) == 2000 and len(log.notes[0]) < 260 and log.notes[0].endswith("…'")


def test_another_kernels_request_is_asked_masked_and_answered(redactor):
    log = StdinLog(redactor)
    asked = []

    def ask(prompt, password):
        asked.append((prompt, password))
        return "gp-Ty6Ui8Op0As2Df4G"

    request = {"content": {"prompt": "Key for env-secret-value-123: ", "password": True}}
    assert answer_request(request, log, ask) == "gp-Ty6Ui8Op0As2Df4G"
    assert asked == [(f"Key for {REDACTED}: ", True)]
    assert redactor.text("gp-Ty6Ui8Op0As2Df4G") == REDACTED


def test_a_request_the_user_cannot_answer_gets_end_of_file():
    def no_stdin(prompt, password):
        raise EOFError

    log = StdinLog()
    assert answer_request({"content": {"prompt": "? ", "password": False}}, log, no_stdin) == EOF_REPLY
    assert log.exchanges == [] and log.notes == []
