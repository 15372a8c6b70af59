"""Tests of ``codeact_magic.redaction``: which names are secret and which values look like keys."""

from __future__ import annotations

import pytest

from codeact_magic.redaction import REDACTED, is_secret_name, redact

ANTHROPIC_KEY = "sk-ant-api03-" + "Zx9_Qw8-Er7Ty6Ui5Op4As3Df2Gh1Jk0LzXcVbNm" * 2
OPENAI_KEY = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4"
STRIPE_KEY = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
GITHUB_KEY = "ghp_" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2"
GITHUB_PAT = "github_pat_" + "11ABCDEFG0123456789_abcdefghijKLMNOP"
SLACK_KEY = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp"
AWS_KEY = "AKIA" + "ABCDEFGHIJKLMNOP"
GOOGLE_KEY = "AIza" + "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6"
HF_KEY = "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYz01234567"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
HEX_TOKEN = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"
BASE64_TOKEN = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY2xq9ZtR4Lk"
PEM_HEADER = "-----BEGIN RSA PRIVATE KEY-----"

KEYS = [ANTHROPIC_KEY, OPENAI_KEY, STRIPE_KEY, GITHUB_KEY, GITHUB_PAT, SLACK_KEY, AWS_KEY, GOOGLE_KEY, HF_KEY, JWT,
        HEX_TOKEN, BASE64_TOKEN, PEM_HEADER]


# --- names ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["API_KEY", "anthropic_api_key", "apiKey", "GITHUB_TOKEN", "githubToken",
                                  "db_password", "pwd", "aws_secret_access_key", "auth_header", "Authorization",
                                  "privateKey", "my_credentials", "key", "key2", "hf_token", "passwd", "oauth_token",
                                  "creds", "passphrase", "bearer", "jwt", "db_pw", "secretValue", "AccessKey"])
def test_secret_names(name):
    assert is_secret_name(name)


@pytest.mark.parametrize("name", ["keys", "monkey", "keyboard", "author", "authors", "authority", "authorship",
                                  "tokenizer", "tokenize", "max_tokens", "n_tokens", "token_count", "tokens_used",
                                  "input_tokens", "passage", "x", "data", "df", ""])
def test_ordinary_names(name):
    assert not is_secret_name(name)


def test_token_count_does_not_hide_a_secret_next_to_it():
    assert is_secret_name("max_tokens_api_key")
    assert is_secret_name("token_count_password")


# --- values ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", KEYS)
def test_key_looking_values_are_replaced(key):
    text = f"Authorization: Bearer {key} trailing"
    redacted = redact(text)
    assert key not in redacted and key[:12] not in redacted and key[-12:] not in redacted
    assert redacted.startswith("Authorization: Bearer ") and redacted.endswith(" trailing")
    assert REDACTED in redacted


def test_every_key_in_a_text_is_replaced():
    text = " | ".join(KEYS)
    redacted = redact(text)
    assert redacted.count(REDACTED) >= len(KEYS)
    for key in KEYS:
        assert key not in redacted


@pytest.mark.parametrize("text", [
    "/home/user/projects/report_2024/data.csv",
    "this_is_a_very_long_identifier_name",
    "Internationalization_Configuration_Management",
    "The quick brown fox jumps over the lazy dog",
    "550e8400-e29b-41d4-a716-446655440000",
    "deadbeefdeadbeefdeadbeefdeadbeefdeadbeef",  # hex without a digit
    "1234567890123456789012345678901234567890",  # digits only
    "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz1",  # has a digit, but low entropy
    "sk-short",
    "",
])
def test_ordinary_text_is_unchanged(text):
    assert redact(text) == text


def test_redact_is_idempotent():
    once = redact(f"a {ANTHROPIC_KEY} b {HEX_TOKEN} c")
    assert redact(once) == once == f"a {REDACTED} b {REDACTED} c"


def test_secret_values_come_from_secret_names_only():
    from codeact_magic.redaction import secret_values

    env = {"ANTHROPIC_API_KEY": "sk-ant-abcdefgh1234", "GITHUB_TOKEN": "ghp_shorter123", "HOME": "/root/secret-home",
           "DB_PASSWORD": "1234"}
    assert secret_values(env) == ("sk-ant-abcdefgh1234", "ghp_shorter123")


def test_scrub_outputs_replaces_exact_secrets_in_text_only():
    from codeact_magic.redaction import REDACTED, scrub_outputs

    png = "sk-ant-abcdefgh1234" + "A" * 100
    outputs = [
        {"output_type": "stream", "name": "stdout", "text": "key=sk-ant-abcdefgh1234 sha=" + "a1" * 20},
        {"output_type": "display_data", "data": {"text/plain": ["x sk-ant-abcdefgh1234"], "image/png": png},
         "metadata": {}},
        {"output_type": "error", "ename": "KeyError", "evalue": "sk-ant-abcdefgh1234",
         "traceback": ["line sk-ant-abcdefgh1234"]},
    ]
    scrubbed = scrub_outputs(outputs, ["sk-ant-abcdefgh1234"])
    assert scrubbed[0]["text"] == f"key={REDACTED} sha=" + "a1" * 20
    assert scrubbed[1]["data"]["text/plain"] == [f"x {REDACTED}"] and scrubbed[1]["data"]["image/png"] == png
    assert scrubbed[2]["evalue"] == REDACTED and scrubbed[2]["traceback"] == [f"line {REDACTED}"]
