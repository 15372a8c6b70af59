"""Keeping secrets out of text: which names hold secrets, and what looks like an API key.

Two rules, reusable wherever something of the user's could end up in a prompt or a record (the variable summary,
observations, saved trajectories):

- :func:`is_secret_name` says whether a variable name or a dict key names a secret (``API_KEY``, ``githubToken``,
  ``db_password``); its value should then not be shown at all, whatever it looks like.
- :func:`redact` replaces, inside any text, what looks like an API key or token, whatever name it was under.

Both are pure functions on strings: they read no environment variable and call no user code.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["REDACTED", "is_secret_name", "redact", "secret_values", "scrub_text", "scrub_outputs"]

#: What stands in for a value or a key that is not shown.
REDACTED = "<redacted>"

#: A name is treated as secret when this matches the name lower-cased, with camelCase split by ``_``
#: (``apiKey`` -> ``api_key``) and after removing token *counts* (``n_tokens``, ``max_tokens``, ``tokens_used``, ...)
#: and ``tokenizer``/``tokenize``. Substrings anywhere: password, passwd, passphrase, secret, credential, api_key,
#: apikey, private_key, access_key, token. Whole word parts only (between ``_``, digits or the ends): key, pwd, pw,
#: pass, cred, creds, private, bearer, jwt, and auth..., oauth... (auth, authorization, oauth_token) except author,
#: authors, authority, authorities, authorship. So ``API_KEY``, ``githubToken``, ``db_password``, ``key2`` and
#: ``auth_header`` are secret; ``keys``, ``monkey``, ``keyboard``, ``author``, ``tokenizer``, ``max_tokens`` are not.
_SECRET_NAME = re.compile(
    r"password|passwd|passphrase|secret|credential|api_?key|private_?key|access_?key|token"
    r"|(?:^|_)(?:key|pwd|pw|pass|creds?|private|bearer|jwt|o?auth(?!or(?:s|ity|ities|ship)?(?:_|$))[a-z]*)(?=_|$)"
)
#: Names about token *counts* and tokenizers, removed before :data:`_SECRET_NAME` is tried.
_BENIGN_NAME = re.compile(
    r"tokeni[sz][a-z]*|(?:^|_)(?:n|num|max|min|total|input|output|prompt|completion|count)_tokens?(?=_|$)"
    r"|(?:^|_)tokens?_(?:count|counts|used|limit|budget|total)(?=_|$)"
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_ALPHA = re.compile(r"[^a-z]+")

#: Key formats recognized by their prefix: Anthropic, OpenAI, Stripe, GitHub, Slack, AWS, Google, Hugging Face, JWTs
#: and the header of a PEM private key.
_KEY_VALUE = re.compile(
    r"(?<![A-Za-z0-9])(?:sk-ant-[A-Za-z0-9_\-]{8,}|sk-(?:proj-)?[A-Za-z0-9_\-]{20,}"
    r"|(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}"
    r"|xox[abposr]-[A-Za-z0-9\-]{10,}|(?:AKIA|ASIA)[0-9A-Z]{16}"
    r"|AIza[0-9A-Za-z_\-]{30,}|hf_[A-Za-z0-9]{30,}|eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]*)"
    r"|-----BEGIN[A-Z ]*PRIVATE KEY-----"
)
#: Candidates for an unknown key format: a run of 32 or more base64 or hex characters, judged by :func:`_redact_run`.
_LONG_RUN = re.compile(r"[A-Za-z0-9+/_\-]{32,}={0,2}")
_HEX = re.compile(r"[0-9a-fA-F]+")
_DIGIT = re.compile(r"[0-9]")


def is_secret_name(name: str) -> bool:
    """Whether a variable name or dict key names a secret, so that its value must not be shown.

    The name is lower-cased, camelCase is split (``apiKey`` -> ``api_key``), other characters become ``_``, and
    names of token counts and tokenizers (``max_tokens``, ``n_tokens``, ``token_count``, ``tokenizer``) are removed.
    What is left is secret when it contains ``password``, ``passwd``, ``passphrase``, ``secret``, ``credential``,
    ``api_key``/``apikey``, ``private_key``, ``access_key`` or ``token`` anywhere, or has a word part (between ``_``,
    digits or the ends) ``key``, ``pwd``, ``pw``, ``pass``, ``cred``, ``creds``, ``private``, ``bearer``, ``jwt``, or
    one starting with ``auth``/``oauth`` other than ``author``, ``authors``, ``authority``, ``authorities`` and
    ``authorship``. Substrings catch ``anthropic_api_key`` and ``githubToken``; whole parts keep ``keys``,
    ``monkey``, ``keyboard`` and ``passage`` visible.

    Parameters
    ----------
    name : str
        A Python identifier or a dict key.

    Returns
    -------
    bool
        True for ``API_KEY``, ``githubToken``, ``db_password``, ``key2``, ``auth_header``; False for ``keys``,
        ``monkey``, ``author``, ``tokenizer``, ``max_tokens``.
    """
    norm = _NON_ALPHA.sub("_", _CAMEL.sub("_", name).lower())
    return _SECRET_NAME.search(_BENIGN_NAME.sub("_", norm)) is not None


def redact(text: str) -> str:
    """``text`` with what looks like an API key or token replaced by :data:`REDACTED` (``<redacted>``).

    Two passes. First, known formats by their prefix: Anthropic ``sk-ant-``, OpenAI ``sk-``/``sk-proj-``, Stripe
    ``sk_live_``/``rk_test_``/..., GitHub ``ghp_``/``gho_``/.../``github_pat_``, Slack ``xox?-``, AWS access key ids
    ``AKIA``/``ASIA``, Google ``AIza``, Hugging Face ``hf_``, JWTs (``eyJ...``) and the ``-----BEGIN ... PRIVATE
    KEY-----`` line of a PEM key. Second, for formats nobody listed, runs of 32 or more base64/hex characters that look
    random: hex with both letters and digits (a SHA-1, a hex token), or an entropy of at least 3.5 bits per character
    with digits or mixed case and either few vowels (under 30% of the letters) or frequent changes between upper,
    lower, digit and other (at least 45% of neighbours). Paths, identifiers, words and UUIDs (whose hex runs are
    short) stay as they are.

    Parameters
    ----------
    text : str
        Any text that may be shown or recorded.

    Returns
    -------
    str
        ``text`` with each key-looking run replaced; unchanged when there is none.
    """
    return _LONG_RUN.sub(_redact_run, _KEY_VALUE.sub(REDACTED, text))


def _redact_run(m: re.Match) -> str:
    """:data:`REDACTED` when the long run ``m`` looks random (see :func:`redact`), else the run itself."""
    s = m.group()
    if _HEX.fullmatch(s):
        return REDACTED if _DIGIT.search(s) and not s.isdigit() else s
    if not (_DIGIT.search(s) or (s.lower() != s and s.upper() != s)):
        return s
    counts: dict[str, int] = {}
    for ch in s:
        counts[ch] = counts.get(ch, 0) + 1
    entropy = -sum(c / len(s) * math.log2(c / len(s)) for c in counts.values())
    if entropy < 3.5:
        return s
    letters = [ch for ch in s if ch.isalpha()]
    vowels = sum(ch in "aeiouAEIOU" for ch in letters) / max(1, len(letters))
    kinds = [0 if ch.isupper() else 1 if ch.islower() else 2 if ch.isdigit() else 3 for ch in s]
    changes = sum(a != b for a, b in zip(kinds, kinds[1:])) / (len(s) - 1)
    return REDACTED if vowels < 0.3 or changes >= 0.45 else s


def secret_values(environ: Mapping[str, str], min_length: int = 8) -> tuple[str, ...]:
    """The values of the environment variables whose names are secret (``ANTHROPIC_API_KEY``, ``GITHUB_TOKEN``...).

    They are only used to remove those exact strings from what is recorded (see :func:`scrub_outputs`).

    Parameters
    ----------
    environ : mapping
        Usually ``os.environ``.
    min_length : int
        Shorter values (characters) are ignored: replacing ``"1"`` everywhere would wreck outputs.

    Returns
    -------
    tuple of str
        Longest first, so a value containing another is replaced whole.
    """
    found = {v for k, v in environ.items() if isinstance(v, str) and len(v) >= min_length and is_secret_name(k)}
    return tuple(sorted(found, key=len, reverse=True))


_TEXT_MIME = ("text/plain", "text/html", "text/markdown", "text/latex")


def scrub_text(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every exact occurrence of each of ``secrets`` replaced by :data:`REDACTED`.

    Parameters
    ----------
    text : str
    secrets : iterable of str
        Exact strings to remove, longest first (see :func:`secret_values`); empty ones are ignored.

    Returns
    -------
    str
    """
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, REDACTED)
    return text


def scrub_outputs(outputs: Iterable[dict[str, Any]], secrets: Iterable[str]) -> list[dict[str, Any]]:
    """nbformat outputs with every exact occurrence of ``secrets`` replaced by :data:`REDACTED`.

    Only text is touched (stream text, text/* data, error values and tracebacks), never images or JSON, and only the
    exact secret strings: pattern-based :func:`redact` would also hit hashes and ids the user wants to see.

    Parameters
    ----------
    outputs : iterable of dict
        nbformat v4 outputs; modified in place and returned.
    secrets : iterable of str
        Exact strings to remove (see :func:`secret_values`).

    Returns
    -------
    list of dict
    """
    secrets = [s for s in secrets if s]
    outputs = list(outputs)
    if not secrets:
        return outputs

    def clean(text: Any) -> Any:
        if isinstance(text, list):
            return [clean(t) for t in text]
        return scrub_text(text, secrets) if isinstance(text, str) else text

    for output in outputs:
        if "text" in output:
            output["text"] = clean(output["text"])
        for mime in _TEXT_MIME:
            if mime in output.get("data", {}):
                output["data"][mime] = clean(output["data"][mime])
        if output.get("output_type") == "error":
            output["evalue"] = clean(output.get("evalue", ""))
            output["traceback"] = clean(output.get("traceback", []))
    return outputs
