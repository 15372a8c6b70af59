"""Keeping secrets out of everything that leaves the kernel: the one masking mechanism.

Rules, reusable wherever something of the user's could end up in a prompt or a record (the variable summary,
observations, the live cell output, the run journal, exports):

- :func:`is_secret_name` says whether a variable name or a dict key names a secret (``API_KEY``, ``githubToken``,
  ``db_password``); its value should then not be shown at all, whatever it looks like.
- :func:`redact` replaces, inside any text, what looks like an API key or token, whatever name it was under, and the
  password of a URL (``postgres://user:<redacted>@host``).
- :class:`Redactor` knows this kernel's actual secrets (environment variables with secret names, passwords inside
  URL-valued variables, user variables and dict entries with secret names, and the values given to it with
  :meth:`Redactor.add_secret`, such as a step's ``getpass`` replies) and removes them in every form a step can
  print: exact, base64 and URL-safe base64 (at any byte alignment), hex, percent-encoded, and split by whitespace or
  line breaks. It works on whole texts, nbformat outputs, JSON-like records, and live streams (holding back only a
  tail that could be the start of a secret).

A masked value reads ``<redacted>``, whatever its length. Exact-secret matching uses an Aho-Corasick automaton
(``pyahocorasick``), so its cost does not grow with the number of secrets.
"""

from __future__ import annotations

import base64
import functools
import math
import os
import re
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any

import ahocorasick

__all__ = ["MIN_GIVEN_SECRET", "REDACTED", "Redactor", "StreamRedactor", "clean_data", "clean_text", "is_secret_name",
           "redact", "secret_values", "secret_variables", "url_passwords"]

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
#: ``scheme://user:password@`` in a URL; the password is group 2.
_URL_CREDS = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://[^\s:/@?#]*:)([^\s@/?#]+)(@)")
_URL_REPLACE = rf"\g<1>{REDACTED}\g<3>"
_DIGIT = re.compile(r"[0-9]")


@functools.lru_cache(maxsize=4096)
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


def redact(text: str, long_runs: bool = True) -> str:
    """``text`` with what looks like an API key, a token or a URL's password replaced by :data:`REDACTED`.

    Three passes. First, the password of a URL with credentials (``postgres://user:PASSWORD@host`` becomes
    ``postgres://user:<redacted>@host``). Second, known formats by their prefix: Anthropic ``sk-ant-``, OpenAI
    ``sk-``/``sk-proj-``, Stripe ``sk_live_``/``rk_test_``/..., GitHub ``ghp_``/``gho_``/.../``github_pat_``, Slack
    ``xox?-``, AWS access key ids ``AKIA``/``ASIA``, Google ``AIza``, Hugging Face ``hf_``, JWTs (``eyJ...``) and the
    ``-----BEGIN ... PRIVATE KEY-----`` line of a PEM key. Third (``long_runs``), for formats nobody listed, runs of 32
    or more base64/hex characters that look random: hex with both letters and digits (a SHA-1, a hex token), or an
    entropy of at least 3.5 bits per character with digits or mixed case and either few vowels (under 30% of the
    letters) or frequent changes between upper, lower, digit and other (at least 45% of neighbours). Paths,
    identifiers, words and UUIDs (whose hex runs are short) stay as they are.

    Parameters
    ----------
    text : str
        Any text that may be shown or recorded.
    long_runs : bool
        Apply the third pass. Off for markup (HTML, Markdown), whose ``data:`` URIs are long base64 runs.

    Returns
    -------
    str
        ``text`` with each key-looking run replaced; unchanged when there is none.
    """
    if "://" in text:
        text = _URL_CREDS.sub(_URL_REPLACE, text)
    text = _KEY_VALUE.sub(REDACTED, text)
    return _LONG_RUN.sub(_redact_run, text) if long_runs else text


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

    They are masked in every form wherever they could leave the kernel (see :class:`Redactor`).

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


# -- this kernel's own secrets ---------------------------------------------------------------------------------------

#: Shortest value of a secret-named *variable* (characters) that is masked: shorter ones (``pw = "x"``) would wreck
#: every output they occur in.
MIN_VARIABLE_SECRET = 6
#: Shortest encoded form (characters) that is looked for: a shorter base64 or hex core could occur by chance.
_MIN_FORM = 8
#: Shortest start of a secret that a stream holds back until it knows whether the secret follows.
_MIN_HOLD = 3
#: Shortest secret given by value (:meth:`Redactor.add_secret`, characters after stripping whitespace) that is masked.
#: It is lower than :data:`MIN_VARIABLE_SECRET` because the value is known to be a secret (a 4-digit PIN is masked,
#: and so is every ``1234`` in what the kernel shows from then on); 1 to 3 characters would wreck every output.
MIN_GIVEN_SECRET = 4
#: The secrets given by value (:meth:`Redactor.add_secret`) in this process: every :class:`Redactor` masks them, for
#: the rest of the kernel's life (a later run's, the export's), and :meth:`Redactor.refresh` keeps them.
_GIVEN: set[str] = set()
_WS = re.compile(r"\s+")
_PER_CONTAINER = 500  # entries of one dict looked at for secret keys
#: Strings shorter than this (characters) are remembered with their masked form by :meth:`Redactor.data` and the
#: other whole-data methods, at most :data:`_MEMO_SIZE` of them: the same ids, names, task and code come back in
#: every message and journal event of a run.
_MEMO_CHARS = 1024
_MEMO_SIZE = 8192


def url_passwords(text: str) -> set[str]:
    """The passwords of the URLs with credentials in ``text`` (``postgres://user:PASSWORD@host``), percent-decoded."""
    found = set()
    for m in _URL_CREDS.finditer(text):
        found.add(m.group(2))
        found.add(urllib.parse.unquote(m.group(2)))
    return found


def secret_variables(user_ns: Mapping[str, Any], hidden: Mapping[str, Any] | None = None,
                     min_length: int = MIN_VARIABLE_SECRET) -> set[str]:
    """The string values of the user's variables that name secrets, without calling any user code.

    Looked at: top-level names (``db_password = "..."``), the entries of top-level dicts whose keys name secrets
    (``config["api_key"]``, one level of nesting more: ``config["db"]["password"]``), every string value of a dict
    bound to a secret name (``credentials = {...}``), and the passwords of URLs held in top-level strings
    (``engine_url = "postgres://u:PASSWORD@h"``). Only exact ``str``/``bytes`` values count; at most 500 entries of
    one dict are read.

    Parameters
    ----------
    user_ns : mapping
        The shell's ``user_ns``.
    hidden : mapping, optional
        IPython's ``user_ns_hidden`` (``In``, ``Out``, ``exit``...), skipped.
    min_length : int
        Shorter values (characters) are not secrets worth masking.

    Returns
    -------
    set of str
    """
    hidden = hidden or {}
    found: set[str] = set()

    def add(value: Any) -> None:
        if type(value) is bytes:
            value = value.decode("utf-8", "replace")
        if type(value) is str and len(value.strip()) >= min_length:
            found.add(value.strip())

    def scan(container: dict, all_values: bool, depth: int) -> None:
        for n, (key, value) in enumerate(container.items()):
            if n >= _PER_CONTAINER:
                break
            secret = all_values or (type(key) is str and is_secret_name(key))
            if secret:
                add(value)
            if type(value) is dict and depth < 2:
                scan(value, secret, depth + 1)

    for name, value in list(user_ns.items()):
        if name in hidden and hidden[name] is value:
            continue
        kind = type(value)
        if kind is str:
            if is_secret_name(name):
                add(value)
            if "://" in value and "@" in value:
                for password in url_passwords(value[:10_000]):
                    add(password)
        elif kind is bytes:
            if is_secret_name(name):
                add(value)
        elif kind is dict:
            scan(value, is_secret_name(name), 1)
    return found


def environment_secrets(environ: Mapping[str, str]) -> set[str]:
    """Secrets of the environment: values of secret-named variables (:func:`secret_values`) and URL passwords in
    any variable (``DATABASE_URL=postgres://u:PASSWORD@h``)."""
    found = set(secret_values(environ))
    for value in environ.values():
        if isinstance(value, str) and "://" in value and "@" in value:
            found.update(p for p in url_passwords(value) if len(p) >= MIN_VARIABLE_SECRET)
    return found


def _b64_cores(raw: bytes) -> list[str]:
    """The base64 and URL-safe base64 characters that depend only on ``raw``, at each of the 3 byte alignments."""
    cores = []
    n = len(raw)
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw).decode("ascii")
        lo, hi = -(-8 * offset // 6), (8 * (offset + n)) // 6  # characters made of the secret's bits only
        core = encoded[lo:hi]
        cores += [core, core.replace("+", "-").replace("/", "_")]
    return cores


def secret_forms(secret: str) -> set[str]:
    """Every form of ``secret`` that a step may print, whitespace removed: exact, base64 / URL-safe base64 (any
    alignment, so ``base64("user:" + key)`` is caught), hex (lower and upper) and percent-encoded."""
    raw = secret.encode("utf-8", "replace")
    forms = {secret, urllib.parse.quote(secret, safe=""), raw.hex(), raw.hex().upper(), *_b64_cores(raw)}
    forms = {_WS.sub("", f) for f in forms}
    return {f for f in forms if len(f) >= min(_MIN_FORM, len(_WS.sub("", secret)))}


class Redactor:
    """This kernel's secrets, and their removal from whatever leaves the kernel.

    Parameters
    ----------
    environ : mapping, optional
        Environment variables (default ``os.environ`` at construction); see :func:`environment_secrets`.
    user_ns : mapping, optional
        The user's namespace, read for secret-named variables (:func:`secret_variables`); :meth:`refresh` reads it
        again, for example before and after each step.
    hidden : mapping, optional
        IPython's ``user_ns_hidden``.
    """

    def __init__(self, environ: Mapping[str, str] | None = None, user_ns: Mapping[str, Any] | None = None,
                 hidden: Mapping[str, Any] | None = None) -> None:
        self._env = environment_secrets(os.environ if environ is None else environ)
        self._vars: set[str] = set()
        self._hidden = hidden
        self._secrets: frozenset[str] = frozenset()
        self._clean: dict[int, str] = {}
        self._memo: tuple[dict[str, str], dict[str, str]] = ({}, {})  # masked forms, without and with long runs
        self._full: Any = None
        self._prefix: Any = None
        self.longest = 0
        if user_ns is not None:
            self.refresh(user_ns)
        else:
            self._build()

    def refresh(self, user_ns: Mapping[str, Any]) -> bool:
        """Read the user's secret-named variables again; returns whether the set of secrets changed (the secrets
        given with :meth:`add_secret`, this redactor's or another's, are kept and picked up)."""
        self._vars = secret_variables(user_ns, self._hidden)
        return self._build()

    def add_secret(self, value: str) -> bool:
        """Mask ``value`` from now on, in every form, as the other secrets: a reply typed into ``getpass``.

        It is a secret of this kernel, not only of this redactor: every :class:`Redactor` of the process masks it
        from its next :meth:`refresh` or construction on (a later run, ``%codeact export``), and it survives
        :meth:`refresh`. Surrounding whitespace is ignored.

        Parameters
        ----------
        value : str
            The secret (``bytes`` are decoded as UTF-8).

        Returns
        -------
        bool
            Whether it will be masked: ``False`` for a value shorter than :data:`MIN_GIVEN_SECRET` characters
            (masking it would wreck every output it occurs in; it is never recorded, but what prints it shows it).
        """
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        value = value.strip() if isinstance(value, str) else ""
        if len(value) < MIN_GIVEN_SECRET:
            return False
        _GIVEN.add(value)
        self._build()
        return True

    def mark_clean(self, obj: Any) -> None:
        """Remember the strings inside JSON-like ``obj`` as masked already, so :meth:`data` passes them as they are
        (a step's outputs, masked as they were made, are not scanned again for the journal and the frontend) until
        the set of secrets changes. The strings are held, so their identity stays theirs."""
        if isinstance(obj, str):
            if len(obj) >= 1024:  # only big texts are worth the bookkeeping
                self._clean[id(obj)] = obj
        elif isinstance(obj, list):
            for value in obj:
                self.mark_clean(value)
        elif isinstance(obj, dict):
            for value in obj.values():
                self.mark_clean(value)

    def _build(self) -> bool:
        secrets = frozenset(self._env | self._vars | _GIVEN)
        if secrets == self._secrets and self._full is not None:
            return False
        self._clean = {}
        self._memo = ({}, {})
        self._secrets = secrets
        full, prefix = ahocorasick.Automaton(), ahocorasick.Automaton()
        longest = 0
        for secret in secrets:
            for form in secret_forms(secret):
                longest = max(longest, len(form))
                # a form, or the form without its first one or two characters (they may have been let out already)
                for cut in (0, 1, 2):
                    if cut == 0 or len(form) - cut >= _MIN_FORM:
                        key = form[cut:]
                        if len(full.get(key, "")) < len(key):
                            full.add_word(key, key)
                for k in range(_MIN_HOLD, len(form)):
                    prefix.add_word(form[:k], k)
        if len(full):
            full.make_automaton()
            prefix.make_automaton()
            self._full, self._prefix = full, prefix
        else:
            self._full, self._prefix = False, False
        self.longest = longest
        return True

    # -- whole texts ---------------------------------------------------------------------------------------------
    def _spans(self, text: str) -> list[tuple[int, int]]:
        """Spans ``[start, end)`` of ``text`` holding a secret form, whitespace inside a form allowed, merged."""
        spans = []
        for end, key in self._full.iter(text, ignore_white_space=True):
            start = end - len(key) + 1
            if start < 0 or _WS.search(text, start, end + 1):
                start = _start_of(text, end, len(key))
            spans.append((start, end + 1))
        if len(spans) > 1:
            spans.sort()
            merged = [spans[0]]
            for a, b in spans[1:]:
                if a <= merged[-1][1]:
                    merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
                else:
                    merged.append((a, b))
            spans = merged
        return spans

    def exact(self, text: str) -> str:
        """``text`` with every form of every known secret replaced by :data:`REDACTED` (no patterns)."""
        if not self._full or not text:
            return text
        spans = self._spans(text)
        if not spans:
            return text
        out, last = [], 0
        for a, b in spans:
            out += [text[last:a], REDACTED]
            last = b
        out.append(text[last:])
        return "".join(out)

    def text(self, text: str, long_runs: bool = True) -> str:
        """``text`` without the known secrets (:meth:`exact`), then without key-like values and URL passwords
        (:func:`redact`; ``long_runs`` as there). Lone surrogates become U+FFFD, so the text can be encoded."""
        return redact(self.exact(clean_text(text)), long_runs)

    def stream(self) -> "StreamRedactor":
        """A filter for one live stream (stdout, stderr): see :class:`StreamRedactor`."""
        return StreamRedactor(self)

    def outputs(self, outputs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """nbformat outputs with secrets removed from their text, in place.

        Stream text, ``text/plain`` and error values and tracebacks get :meth:`text`; markup (``text/html``,
        ``text/markdown``, ``text/latex``) and JSON strings get :meth:`text` without the long-run heuristic (their
        ``data:`` URIs are long base64 runs); images are left as they are.

        Parameters
        ----------
        outputs : iterable of dict
            nbformat v4 outputs.

        Returns
        -------
        list of dict
        """
        outputs = list(outputs)
        for output in outputs:
            if "text" in output:
                output["text"] = self._each(output["text"], True)
            data = output.get("data")
            if isinstance(data, dict):
                output["data"] = self.bundle(data)
            if output.get("output_type") == "error":
                output["evalue"] = self._each(output.get("evalue", ""), True)
                output["traceback"] = self._each(output.get("traceback", []), True)
        return outputs

    def bundle(self, data: dict[str, Any]) -> dict[str, Any]:
        """A copy of a MIME bundle (``display_data``/``execute_result`` ``data``) with secrets removed: ``text/plain``
        gets :meth:`text`, markup and JSON get it without the long-run heuristic, images are left as they are."""
        return {mime: value if mime.startswith("image/") else self._each(value, mime == "text/plain")
                for mime, value in data.items()}

    def _each(self, value: Any, long_runs: bool) -> Any:
        if isinstance(value, str):
            if len(value) < _MEMO_CHARS:
                memo = self._memo[long_runs]
                masked = memo.get(value)
                if masked is None:
                    masked = self.text(value, long_runs)
                    if len(memo) >= _MEMO_SIZE:
                        memo.clear()
                    memo[value] = masked
                return masked
            if self._clean.get(id(value)) is value:
                return value
            return self.text(value, long_runs)
        if isinstance(value, list):
            return [self._each(v, long_runs) for v in value]
        if isinstance(value, dict):  # base64 images are left as they are: patterns would only ever hit by chance
            return {k: v if isinstance(k, str) and k.startswith("image/") else self._each(v, long_runs)
                    for k, v in value.items()}
        return value

    def data(self, obj: Any) -> Any:
        """A copy of JSON-like ``obj`` (a run record, a message) with every string cleaned: known secrets, key-like
        values and URL passwords removed (no long-run heuristic, so code and ids stay readable), lone surrogates
        replaced. Dict keys are kept."""
        return self._each(obj, False)


def _start_of(text: str, end: int, count: int) -> int:
    """The index in ``text`` of the ``count``-th non-whitespace character counting back from ``end`` (inclusive)."""
    i = end
    while i >= 0:
        if not text[i].isspace():
            count -= 1
            if count == 0:
                return i
        i -= 1
    return 0


_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """``text`` with every lone surrogate (U+D800-U+DFFF, from ``print('\\udcff')`` or undecodable bytes) replaced by
    U+FFFD, so it can be encoded as UTF-8 in a message, a journal or a notebook."""
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def clean_data(obj: Any) -> Any:
    """A copy of JSON-like ``obj`` with :func:`clean_text` applied to every string (keys included)."""
    if isinstance(obj, str):
        return clean_text(obj)
    if isinstance(obj, list):
        return [clean_data(v) for v in obj]
    if isinstance(obj, dict):
        return {clean_text(k) if isinstance(k, str) else k: clean_data(v) for k, v in obj.items()}
    return obj


class StreamRedactor:
    """Secrets removed from a live stream written in pieces, so that a secret split across writes is caught too.

    Each :meth:`feed` returns what may be shown now: the text so far with secrets removed, less a tail that could be
    the start of a secret form (at least 3 characters of one; whitespace between its characters allowed). That tail is
    held until a later write shows it is not a secret (then it is let out) or completes it (then it is masked), or
    until :meth:`flush`. Only a tail that matches the start of a known secret is ever held, so ordinary output is
    never delayed. Each call costs two Aho-Corasick scans plus the patterns of :func:`redact`, so the capture feeds it
    batches of writes, not each ``print``.

    Parameters
    ----------
    redactor : Redactor
    """

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor
        self._held = ""

    def feed(self, text: str) -> str:
        """Take the next piece of the stream; return the part that is safe to show now (may be ``""``)."""
        r = self._redactor
        if not self._held and (len(text) < _MIN_HOLD or text.isspace()):
            return text  # a newline, a separator: no secret fits in it, and none was started
        text = clean_text(text)
        if not r._full:
            return redact(text)
        text = self._held + text
        self._held = ""
        hold = self._hold_from(text)
        if hold < len(text):
            text, self._held = text[:hold], text[hold:]
        if not text:
            return ""
        return redact(r.exact(text))

    def _hold_from(self, text: str) -> int:
        """Index from which ``text`` ends with the start of a secret form (``len(text)`` when it does not)."""
        last = len(text) - 1
        while last >= 0 and text[last].isspace():
            last -= 1
        if last < 0:
            return len(text)
        window = max(0, last + 1 - 2 * self._redactor.longest)
        best = 0
        for end, k in self._redactor._prefix.iter(text, window, last + 1, ignore_white_space=True):
            if end == last and k > best:
                best = k
        if not best:
            return len(text)
        return _start_of(text, last, best)

    def flush(self) -> str:
        """The held tail, with secrets removed (a partial secret of at least 3 characters is masked too)."""
        held, self._held = self._held, ""
        if not held:
            return ""
        r = self._redactor
        hold = self._hold_from(held) if r._full else len(held)
        if hold < len(held):
            held = held[:hold] + REDACTED
        return redact(r.exact(held))
