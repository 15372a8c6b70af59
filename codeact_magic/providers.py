"""Where the model's requests go: Anthropic's Messages API (or any server that speaks it), Claude on Amazon Bedrock
or Google Vertex AI; the credentials each needs, the SDK client of each, and whether a server refused prompt caching.

The clients are the SDK's own (``anthropic.Anthropic``, ``AnthropicBedrock``, ``AnthropicVertex``:
https://docs.claude.com/en/api/client-sdks); :class:`codeact_magic.model.ClaudeModel` builds one with :func:`client`.
"""

from __future__ import annotations

import os
from importlib import import_module
from typing import Any
from urllib.parse import urlsplit

import anthropic
import httpx2

from .exceptions import MissingAPIKeyError, MissingExtraError, ModelError

__all__ = ["NO_CACHE", "PROVIDERS", "check_api_key", "client", "has_api_key", "rejects_caching"]

#: The values of the ``provider`` trait.
PROVIDERS = ("anthropic", "bedrock", "vertex")
#: What each platform's client imports, as ``(module, distribution)``: the SDK's pip extra of the provider's name
#: (``anthropic[bedrock]``, ``anthropic[vertex]``), checked before any request.
_EXTRAS = {"bedrock": (("botocore", "botocore"), ("boto3", "boto3")),  # boto3 imports botocore: name that first
           "vertex": (("google.auth", "google-auth"), ("google.auth.transport.requests", "requests"))}
#: The host of Anthropic's own API, which supports prompt caching: a 400 from it is never taken to be about caching.
_ANTHROPIC_HOST = "api.anthropic.com"
#: Words of a 400 that rejects ``cache_control``: its name, or a complaint about a field the server does not know.
_CACHE_REJECTED = ("cache_control", "caching", "prompt cache", "extra inputs", "extra_forbidden", "unknown field",
                   "unrecognized", "additional properties")
#: Base URLs (:attr:`ClaudeModel.base_url`) whose server rejected ``cache_control`` this session (the kernel's process):
#: no request to them carries it again, from any :class:`ClaudeModel`.
NO_CACHE: set[str] = set()

def has_api_key(auth_token: str | None = None, provider: str = "anthropic") -> bool:
    """Whether a credential for the provider is at hand.

    Parameters
    ----------
    auth_token : str, optional
        The ``auth_token`` trait (a bearer token); empty or None is not set.
    provider : {"anthropic", "bedrock", "vertex"}, default "anthropic"
        Bedrock and Vertex AI take their credentials from the platform's own environment (AWS, Google Cloud), which
        their SDK client reads at the first request, so for them this is always True.

    Returns
    -------
    bool
        For ``anthropic``: `auth_token`, ``ANTHROPIC_API_KEY`` or ``ANTHROPIC_AUTH_TOKEN`` is non-empty.
    """
    if provider != "anthropic":
        return True
    return bool(auth_token or os.environ.get("ANTHROPIC_API_KEY") or os.environ.get("ANTHROPIC_AUTH_TOKEN"))


def check_api_key(auth_token: str | None = None, provider: str = "anthropic") -> None:
    """Raise :class:`MissingAPIKeyError` unless :func:`has_api_key` (same parameters).

    Raises
    ------
    MissingAPIKeyError
        For provider ``anthropic`` when neither `auth_token` nor ``ANTHROPIC_API_KEY`` nor ``ANTHROPIC_AUTH_TOKEN``
        is set to a non-empty value.
    """
    if not has_api_key(auth_token, provider):
        raise MissingAPIKeyError()


def _check_extra(provider: str) -> None:
    """Raise :class:`MissingExtraError` when a module the provider's SDK client needs cannot be imported.

    The SDK would fail only at the first request (``botocore`` for SigV4 signing, ``google.auth`` for the access
    token); this says so before any. A Bedrock API key (``AWS_BEARER_TOKEN_BEDROCK``, sent as a bearer token) needs
    neither ``boto3`` nor ``botocore``.
    """
    if provider == "bedrock" and os.environ.get("AWS_BEARER_TOKEN_BEDROCK"):
        return
    for module, distribution in _EXTRAS.get(provider, ()):
        try:
            import_module(module)
        except ImportError:
            raise MissingExtraError(provider, provider, distribution) from None


def client(provider: str, *, base_url: str | None, auth_token: str | None, max_retries: int,
            timeout: httpx2.Timeout) -> anthropic.Anthropic:
    """The SDK client of `provider` (``Anthropic``, ``AnthropicBedrock`` or ``AnthropicVertex``).

    Raises
    ------
    MissingExtraError
        When the provider's pip extra is not installed.
    ModelError
        When the platform's client cannot be set up (Bedrock with no AWS region, Vertex with no ``CLOUD_ML_REGION``).
    ValueError
        For a provider other than those of :data:`PROVIDERS`.
    """
    common: dict[str, Any] = {"max_retries": max_retries, "timeout": timeout}
    if base_url:  # else the SDK reads ANTHROPIC_BASE_URL (ANTHROPIC_BEDROCK_BASE_URL, ANTHROPIC_VERTEX_BASE_URL)
        common["base_url"] = base_url
    if provider == "anthropic":  # auth_token None: the SDK reads ANTHROPIC_API_KEY, then ANTHROPIC_AUTH_TOKEN
        return anthropic.Anthropic(auth_token=auth_token or None, **common)
    if provider not in PROVIDERS:
        raise ValueError(f"provider must be one of {', '.join(PROVIDERS)}, not {provider!r}")
    _check_extra(provider)
    platform = anthropic.AnthropicBedrock if provider == "bedrock" else anthropic.AnthropicVertex
    try:
        return platform(**common)
    except ValueError as error:  # the SDK's own one line, e.g. "No AWS region was provided. Set ..."
        raise ModelError(f"provider {provider!r} is not set up: {error}") from error


def rejects_caching(error: BaseException | None, base_url: str) -> bool:
    """Whether `error`, what a request with ``cache_control`` got, may be the server refusing prompt caching.

    Only a 400 (``anthropic.BadRequestError``, which the SDK raises from the response status, before any event of
    the stream, and never retries) from a server that is not Anthropic's own API (whose 400 is never about support
    for caching, and so is never hidden), whose message names ``cache_control`` or caching, or rejects a field it
    does not know ("Extra inputs are not permitted", "unknown field") as servers that lack caching do. Any other 400
    is the request's own fault and is raised at once, not sent twice.
    """
    if not isinstance(error, anthropic.BadRequestError) or urlsplit(base_url).hostname == _ANTHROPIC_HOST:
        return False
    text = f"{error.message} {error.body}".lower()
    return any(word in text for word in _CACHE_REJECTED)
