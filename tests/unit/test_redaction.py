"""Tests of ``codeact_magic.redaction``: which names are secret, which values look like keys, and the Redactor that
masks this kernel's own secrets in every form."""

from __future__ import annotations

import base64

import pytest

from codeact_magic.redaction import REDACTED, Redactor, clean_text, is_secret_name, redact, secret_variables

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


def test_outputs_replace_exact_secrets_in_text_only():
    png = "sk-ant-abcdefgh1234" + "A" * 100
    outputs = [
        {"output_type": "stream", "name": "stdout", "text": "key=sk-ant-abcdefgh1234 sha=" + "a1" * 20},
        {"output_type": "display_data", "data": {"text/plain": ["x sk-ant-abcdefgh1234"], "image/png": png},
         "metadata": {}},
        {"output_type": "error", "ename": "KeyError", "evalue": "sk-ant-abcdefgh1234",
         "traceback": ["line sk-ant-abcdefgh1234"]},
    ]
    scrubbed = Redactor(environ={"ANTHROPIC_API_KEY": "sk-ant-abcdefgh1234"}, user_ns={}).outputs(outputs)
    assert scrubbed[0]["text"] == f"key={REDACTED} sha={REDACTED}"  # a 40-hex run looks like a key too
    assert scrubbed[1]["data"]["text/plain"] == [f"x {REDACTED}"] and scrubbed[1]["data"]["image/png"] == png
    assert scrubbed[2]["evalue"] == REDACTED and scrubbed[2]["traceback"] == [f"line {REDACTED}"]


# -- Redactor: this kernel's own secrets, in every form --------------------------------------------------------------
KEY = "sk-ant-api03-" + "Qw7rT2yU9iO4pA6sD1fG3hJ5kL8zX0cV" * 3


def env_redactor(**user_ns):
    return Redactor(environ={"ANTHROPIC_API_KEY": KEY, "HOME": "/root",
                             "DATABASE_URL": "postgres://app:Tr0ub4dor-and-3@db.internal:5432/sales"},
                    user_ns=user_ns)


@pytest.mark.parametrize("shown", [
    KEY,
    base64.b64encode(KEY.encode()).decode(),
    base64.urlsafe_b64encode(KEY.encode()).decode(),
    base64.b64encode(b"user:" + KEY.encode()).decode(),  # HTTP basic auth: the key at another byte alignment
    base64.b64encode(b"xy" + KEY.encode()).decode(),
    KEY.encode().hex(),
    KEY.encode().hex().upper(),
    KEY[:30] + "\n" + KEY[30:70] + "\n" + KEY[70:],  # printed in pieces, one per line
    " ".join(KEY[i:i + 10] for i in range(0, len(KEY), 10)),
])
def test_an_environment_secret_is_masked_in_every_form(shown):
    text = env_redactor().text(f"before {shown} after")
    assert text.startswith("before ") and text.endswith(" after")
    # nothing of the secret's characters is left but at most a couple next to the mask
    left = text[len("before "):-len(" after")].replace(REDACTED, "")
    left = left.removeprefix(base64.b64encode(b"user:").decode()[:6])  # what encodes "user:" only
    assert REDACTED in text and len(left) <= 4, text


def test_a_mask_says_nothing_of_the_length():
    r = Redactor(environ={"A_TOKEN": "x" * 12 + "y9", "B_TOKEN": "z8" * 40}, user_ns={})
    assert r.text("x" * 12 + "y9") == r.text("z8" * 40) == REDACTED


def test_url_credentials_and_database_url_passwords():
    r = env_redactor()
    assert r.text("engine postgres://app:Tr0ub4dor-and-3@db.internal:5432/sales") == \
        f"engine postgres://app:{REDACTED}@db.internal:5432/sales"
    # the password alone, printed from a parsed URL, is masked too
    assert r.text("password=Tr0ub4dor-and-3") == f"password={REDACTED}"
    # any URL's password, known or not
    assert r.text("mysql://root:hunter2@localhost/db") == f"mysql://root:{REDACTED}@localhost/db"
    assert r.text("https://example.com/a:b@c and user@example.com") == "https://example.com/a:b@c and user@example.com"


def test_secret_named_user_variables_are_masked_once_long_enough():
    r = env_redactor(db_password="correct-horse", config={"api_key": "cfg-4455-aa", "db": {"password": "n3sted-pw"}},
                     credentials={"user": "bob-the-admin"}, pin="1234", title="correct-horse-free",
                     engine_url="postgresql://svc:pa55word!x@h/db")
    assert r.text("pw: correct-horse") == f"pw: {REDACTED}"
    assert r.text("k=cfg-4455-aa, nested n3sted-pw") == f"k={REDACTED}, nested {REDACTED}"
    assert r.text("user bob-the-admin") == f"user {REDACTED}"  # every value of a dict under a secret name
    assert r.text("pa55word!x") == REDACTED
    assert r.text("pin 1234") == "pin 1234"  # too short to mask without wrecking outputs


def test_refresh_sees_a_secret_made_by_a_step():
    ns = {}
    r = Redactor(environ={}, user_ns=ns)
    assert r.text("hunter2-long") == "hunter2-long"
    ns["token"] = "hunter2-long"
    assert r.refresh(ns) is True and r.text("hunter2-long") == REDACTED
    assert r.refresh(ns) is False


def test_key_patterns_are_masked_in_text_but_not_in_images_or_markup_data_uris():
    r = Redactor(environ={}, user_ns={})
    github = "ghp_" + "a1B2c3D4e5F6g7H8i9J0" * 2
    png = base64.b64encode(bytes(range(256)) * 40).decode()
    outputs = [{"output_type": "stream", "name": "stdout", "text": f"token {github}\n"},
               {"output_type": "display_data", "metadata": {},
                "data": {"image/png": png, "text/html": f"<img src='data:image/png;base64,{png}'>",
                         "text/plain": f"<{github}>"}},
               {"output_type": "error", "ename": "ValueError", "evalue": f"bad {github}", "traceback": [github]}]
    r.outputs(outputs)
    assert outputs[0]["text"] == f"token {REDACTED}\n"
    assert outputs[1]["data"]["image/png"] == png and png in outputs[1]["data"]["text/html"]
    assert outputs[1]["data"]["text/plain"] == f"<{REDACTED}>"
    assert outputs[2]["evalue"] == f"bad {REDACTED}" and outputs[2]["traceback"] == [REDACTED]


def test_stream_catches_a_secret_split_across_writes_and_delays_nothing_else():
    r = env_redactor()
    stream = r.stream()
    shown = [stream.feed("the key is "), stream.feed(KEY[:25]), stream.feed("\n"), stream.feed(KEY[25:60]),
             stream.feed(KEY[60:] + " (done)\n"), stream.flush()]
    assert "".join(shown) == f"the key is {REDACTED} (done)\n"
    assert shown[0] == "the key is "  # what cannot be a secret's start is let out at once
    stream = r.stream()
    assert stream.feed("epoch 1/10 loss=0.25\n") == "epoch 1/10 loss=0.25\n"
    assert stream.feed("\r 40%|####      |") == "\r 40%|####      |"
    # a secret's start that never completes is masked at the end when it is long enough to matter
    stream = r.stream()
    assert stream.feed("oops " + KEY[:30]) == "oops "
    assert stream.flush() == REDACTED


def test_data_cleans_records_and_surrogates():
    r = env_redactor()
    record = {"task": f"use {KEY}", "turns": [{"content": [{"type": "text", "text": "bad \udcff byte"}]}],
              "n": 3, "data": {"image/png": "AAAA"}}
    png = "AIza" + "b" * 40  # base64 image data that happens to look like a Google key
    record["data"]["image/png"] = png
    cleaned = r.data(record)
    assert cleaned["data"]["image/png"] == png
    assert cleaned["task"] == f"use {REDACTED}" and cleaned["n"] == 3
    assert cleaned["turns"][0]["content"][0]["text"] == "bad \ufffd byte"
    assert record["task"] == f"use {KEY}"  # a copy
    assert clean_text("ok") == "ok"


def test_secret_variables_skip_ipython_hidden_names_and_read_no_user_code():
    class Exploding(dict):
        def items(self):
            raise AssertionError("user code ran")

    hidden = {"In": ["token = 'abcdefgh'"]}
    ns = {"In": hidden["In"], "api_token": "t0k3n-value", "weird": Exploding(password="x" * 10)}
    assert secret_variables(ns, hidden) == {"t0k3n-value"}


def test_a_bundle_keeps_images_and_data_uris_and_masks_json():
    r = Redactor(environ={"SERVICE_TOKEN": "svc-" + "N7qLw2Zx8RkP4mVt" * 2}, user_ns={})
    png = base64.b64encode(bytes(range(256)) * 8).decode()
    html = f"<img src='data:image/png;base64,{png}'>"
    data = {"image/png": png, "text/html": html, "application/json": {"token": "svc-" + "N7qLw2Zx8RkP4mVt" * 2},
            "text/plain": "ghp_" + "a1B2c3D4e5F6g7H8i9J0" * 2}
    out = r.bundle(data)
    assert out["image/png"] == png and out["text/html"] == html
    assert out["application/json"] == {"token": REDACTED} and out["text/plain"] == REDACTED
    assert data["text/plain"].startswith("ghp_")  # a copy


@pytest.mark.parametrize("environ", [{}, {"SERVICE_TOKEN": "svc-" + "N7qLw2Zx8RkP4mVt" * 2}])
def test_a_stream_masks_a_short_key_in_a_short_write(environ):
    stream = Redactor(environ=environ, user_ns={}).stream()  # with no known secret, and with one
    shown = stream.feed("k=sk-ant-abcd1234\n") + stream.flush()
    assert shown == f"k={REDACTED}\n"


def test_data_remembers_masked_strings_until_the_secrets_change():
    # the same ids, task and code come back in every message: masked once, then remembered...
    ns: dict = {}
    redactor = Redactor(environ={}, user_ns=ns)
    secret = "hunter2-" + "Qx7Lm2Zp" * 2
    message = {"type": "run", "task": f"use {secret}", "key": "sk-ant-abcd1234efgh"}
    assert redactor.data(message) == {"type": "run", "task": f"use {secret}", "key": REDACTED}
    assert redactor.data(message)["task"] is redactor.data(dict(message))["task"]
    # ... until a step makes a new secret known: then nothing remembered from before is passed as it was
    ns["db_password"] = secret
    assert redactor.refresh(ns) is True
    assert redactor.data(message) == {"type": "run", "task": f"use {REDACTED}", "key": REDACTED}
    assert redactor.data({"text": [secret, {"deep": secret}]}) == {"text": [REDACTED, {"deep": REDACTED}]}


# --- secrets given by value (a getpass reply) -------------------------------------------------------------------------


@pytest.fixture()
def given_secrets():
    """The process-wide given secrets put back as they were after the test (others in this process see them)."""
    from codeact_magic import redaction

    saved = set(redaction._GIVEN)
    yield
    redaction._GIVEN.clear()
    redaction._GIVEN.update(saved)


@pytest.mark.usefixtures("given_secrets")
def test_a_given_secret_is_masked_in_every_form_and_survives_refresh():
    given = "gp-Wq7Zr2Lm9Xc4Vb8N"
    r = Redactor(environ={}, user_ns={})
    assert r.text(f"it is {given}") == f"it is {given}"
    assert r.add_secret(f"  {given}\n") is True  # surrounding whitespace is not part of it
    raw = given.encode()
    shown = f"{given} {base64.b64encode(raw).decode()} {raw.hex()} {given[:9]}\n{given[9:]}"
    assert given[:8] not in r.text(shown) and r.text(shown).count(REDACTED) == 4
    assert r.refresh({"x": 1}) is False  # the user's namespace read again: still a secret
    assert r.data({"outputs": [{"text": given}]}) == {"outputs": [{"text": REDACTED}]}
    outputs = r.outputs([{"output_type": "stream", "name": "stdout", "text": f"{given}\n"},
                         {"output_type": "execute_result", "data": {"text/plain": repr(given)}}])
    assert given not in str(outputs)
    stream = r.stream()
    assert stream.feed("token: " + given[:6]) == "token: "
    assert stream.feed(given[6:] + " ok\n") + stream.flush() == f"{REDACTED} ok\n"


@pytest.mark.usefixtures("given_secrets")
def test_a_given_secret_is_the_kernels_every_redactor_masks_it():
    given = "gp-Jd3Hs8Kq1Pt5Yz0R"
    earlier = Redactor(environ={}, user_ns={})
    Redactor(environ={}, user_ns={}).add_secret(given)
    assert Redactor(environ={}, user_ns={}).text(given) == REDACTED  # made after it (an export's)
    earlier.refresh({})
    assert earlier.text(given) == REDACTED  # made before it: from its next refresh on


@pytest.mark.usefixtures("given_secrets")
def test_a_given_secret_too_short_to_mask_is_refused():
    r = Redactor(environ={}, user_ns={})
    assert r.add_secret("abc") is False and r.add_secret("") is False
    assert r.text("abc abcabc") == "abc abcabc"
    assert r.add_secret("9137") is True  # a 4-digit PIN is masked, wherever it appears
    assert r.text("pin 9137, not 9136") == f"pin {REDACTED}, not 9136"
