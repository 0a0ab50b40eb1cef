"""Keep API keys out of everything the app writes or shows.

Redaction knows two sorts of secret: the values it is told are in use (:func:`remember`:
every configured profile's key, URL credentials, query secrets), and the values of
environment variables named like secrets. A secret in use is found in any of its forms:
whole, without its ``sk-``/``proj-`` prefix, as a long enough fragment, or elided in the
middle (``sk-abc…wxyz``) with ends that match it.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable, Mapping
from urllib.parse import unquote, urlsplit, urlunsplit

MIN_SECRET = 8
FRAGMENT = 12  # characters of a secret in use that are enough to redact where they appear
FRAGMENT_SOURCE = 20  # a secret shorter than this is only redacted whole or unprefixed
MIN_TAIL = 3  # characters an elided form must keep of the secret's end
MARK = "[redacted]"
_SECRET_NAMES = ("KEY", "TOKEN", "SECRET")
_QUERY_SECRET_WORDS = ("key", "token", "secret", "sig", "pass", "auth", "cred")
_KEY = re.compile(r"\bsk-[A-Za-z0-9_\-*.]{3,}")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[^\s\"']+")
_MASKED = re.compile(r"[A-Za-z0-9_\-]*\*{4,}[A-Za-z0-9_\-]*")  # echoed masked: abc****wxyz
_ELIDED = re.compile(rf"([A-Za-z0-9_\-]*)(?:\.{{2,}}|…|\*{{3,}})([A-Za-z0-9_\-]{{{MIN_TAIL},}})")
_TOKEN = re.compile(rf"[A-Za-z0-9_\-+/=~]{{{FRAGMENT},}}")
_PREFIX = re.compile(r"^[A-Za-z]+[-_]")
_RANDOM_RUN = re.compile(r"[A-Za-z0-9]{16,}")
_USERINFO = re.compile(r"(?<=://)[^/\s@?#]+@")  # https://user:pass@host
_QUERY_WORD = "|".join(_QUERY_SECRET_WORDS)
_QUERY_NAME = rf"[A-Za-z0-9_.\-]*(?:{_QUERY_WORD})[A-Za-z0-9_.\-]*"
_QUERY_SECRET = re.compile(rf"(?i)([?&]{_QUERY_NAME}=)[^&#\s\"']+")  # ?api-key=…

_lock = threading.Lock()
_in_use: set[str] = set()


def remember(*values: str | None) -> None:
    """Add secret values in use (keys, URL passwords, query secrets) to what is redacted."""
    found = {v.strip() for v in values if v and len(v.strip()) >= MIN_SECRET}
    if found - _in_use:
        with _lock:
            _in_use.update(found)


def remembered() -> frozenset[str]:
    """The secret values in use that redaction knows."""
    with _lock:
        return frozenset(_in_use)


def looks_like_key(text: str) -> bool:
    """True when ``text`` is, or looks like, a secret rather than a name a person chose.

    That is a secret in use or in a secret-named variable, anything :func:`redact`
    changes, and a run of 16 or more letters and digits mixed (names have words).
    """
    if redact(text) != text:
        return True
    return any(
        any(c.isdigit() for c in run) and any(c.isalpha() for c in run)
        for run in _RANDOM_RUN.findall(text)
    )


def is_query_secret(name: str) -> bool:
    """True when a URL query parameter's name says it carries a secret (``api-key``, ``sig``)."""
    lowered = unquote(name).lower()
    return any(word in lowered for word in _QUERY_SECRET_WORDS)


def url_secrets(url: str) -> list[str]:
    """The credentials a URL carries: its user-info password (or lone user) and query secrets."""
    try:
        parts = urlsplit(url.strip())
        password, username = parts.password, parts.username
    except ValueError:
        return []
    found = [password or username or ""]
    for pair in parts.query.split("&"):
        name, _, value = pair.partition("=")
        if value and is_query_secret(name):
            found.append(value)
    both = found + [unquote(value) for value in found]  # as written, and as decoded
    return [value for value in dict.fromkeys(both) if len(value) >= MIN_SECRET]


def without_credentials(url: str) -> str:
    """``url`` without user-info and secret query parameters; unchanged when it has none."""
    try:
        parts = urlsplit(url)
        has_user = parts.username is not None or parts.password is not None
    except ValueError:
        return url
    pairs = parts.query.split("&") if parts.query else []
    kept = [p for p in pairs if not is_query_secret(p.partition("=")[0])]
    if not has_user and len(kept) == len(pairs):
        return url
    netloc = parts.netloc.rpartition("@")[2]
    clean = urlunsplit((parts.scheme, netloc, parts.path, "&".join(kept), parts.fragment))
    return clean if kept else clean.rstrip("/")


def _forms(secret: str) -> list[str]:
    """The secret and what is left of it without each leading ``word-`` (``sk-``, ``proj-``)."""
    forms = [secret]
    rest = secret
    while (match := _PREFIX.match(rest)) and len(rest) - match.end() >= MIN_SECRET:
        rest = rest[match.end() :]
        forms.append(rest)
    return forms


def _env_secrets(environ: Mapping[str, str]) -> set[str]:
    """Values of variables named like secrets (``…KEY…``, ``…TOKEN…``)."""
    return {
        value.strip()
        for name, value in environ.items()
        if any(word in name.upper() for word in _SECRET_NAMES) and len(value.strip()) >= MIN_SECRET
    }


def _grams(secrets: Iterable[str]) -> set[str]:
    """Every run of :data:`FRAGMENT` characters of each long secret's unprefixed body."""
    grams: set[str] = set()
    for secret in secrets:
        body = _forms(secret)[-1]
        if len(secret) < FRAGMENT_SOURCE or len(body) < FRAGMENT:
            continue
        for start in range(len(body) - FRAGMENT + 1):
            gram = body[start : start + FRAGMENT]
            if len(set(gram)) >= 4:  # not a run of one repeated character
                grams.add(gram)
    return grams


def _fragments(text: str, grams: set[str]) -> str:
    """Each word of ``text`` that holds a long enough fragment of a secret, redacted."""
    if not grams:
        return text

    def hide(match: re.Match[str]) -> str:
        word = match.group()
        for start in range(len(word) - FRAGMENT + 1):
            if word[start : start + FRAGMENT] in grams:
                return MARK
        return word

    return _TOKEN.sub(hide, text)


def _heads(head: str) -> list[str]:
    """``head`` and what is left of it without each leading ``word-`` (``sk-``, ``proj-``)."""
    heads = [head]
    while match := _PREFIX.match(heads[-1]):
        heads.append(heads[-1][match.end() :])
    return heads


def _elided(text: str, secrets: Iterable[str]) -> str:
    """``head…tail`` forms whose tail ends a secret and whose head starts one of its forms.

    A head of prefixes only (``sk-…wxyz``) needs a tail of 4 characters or more.
    """
    known = [(secret, _forms(secret)) for secret in secrets]

    def matches(head: str, tail: str, secret: str, forms: list[str]) -> bool:
        if not secret.endswith(tail):
            return False
        starts = [h for h in _heads(head) if any(form.startswith(h) for form in forms)]
        return any(starts) or ("" in starts and len(tail) > MIN_TAIL)

    def hide(match: re.Match[str]) -> str:
        head, tail = match.group(1), match.group(2)
        if any(matches(head, tail, secret, forms) for secret, forms in known):
            return MARK
        return match.group()

    return _ELIDED.sub(hide, text)


def redact(text: str, environ: Mapping[str, str] | None = None) -> str:
    """Replace anything that is or looks like an API key with a marker.

    That is every secret in use (:func:`remember`) in any of its forms, the value (8
    characters or more) of any environment variable whose name holds KEY, TOKEN or SECRET
    (``OPENAI_API_KEY``, a profile's ``LOCAL_KEY``), anything shaped like ``sk-…`` or
    ``Bearer …``, a key a server echoed masked with asterisks, and the credentials of any
    URL (user-info, ``?api-key=`` and other secret query parameters).
    """
    in_use = remembered()
    exact = set(in_use).union(*(_forms(s) for s in in_use))
    exact |= _env_secrets(os.environ if environ is None else environ)
    for secret in sorted(exact, key=len, reverse=True):
        text = text.replace(secret, MARK)
    text = _elided(text, in_use)
    text = _fragments(text, _grams(in_use))
    text = _USERINFO.sub(MARK + "@", text)
    text = _QUERY_SECRET.sub(r"\1" + MARK, text)
    text = _KEY.sub("sk-…" + MARK, text)
    text = _MASKED.sub(MARK, text)
    return _BEARER.sub(r"\1" + MARK, text)
