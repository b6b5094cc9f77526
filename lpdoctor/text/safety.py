"""Text from logs and configs is attacker-controlled: make it safe to print and free of secrets.

Every string that came from an input goes through :func:`clean` (no control characters, no escape
sequences, no invisible code points reach a terminal or a CI log) and every URL or log message through
:func:`redact` (credentials in query strings and path parameters, in ``user:password@``, logged headers,
JWTs, tokens known by their shape). Reporters never interpret input as rich markup.

Every regular expression here runs in time linear in its input: a candidate key, token or header value can
only start where the previous character cannot continue it (a look-behind), so a 1 MB run of hostile
characters is scanned once, not once per position. :func:`safe` also cuts its input to a bounded length
before redacting (far more than it ever shows), so no report string costs more than a few milliseconds.

Text lpdoctor writes itself (a fix from a rule's template) is an :class:`Authored` string: its template is
not redacted (``--attributes Key=idle_timeout.timeout_seconds`` is an instruction, not a credential), only
the values from inputs put into it are (:func:`authored`).
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Mapping
from urllib.parse import unquote

from lpdoctor.text._invisible import INVISIBLE_RANGES

REDACTED = "REDACTED"

# Parameter, field and header names whose values are credentials. A name is compared once normalised
# (:func:`credential_name`): percent-decoded (at most three times), camelCase split, lower-cased, with "-",
# ".", "[", "]" and spaces read as "_" — "accessToken", "X-Amz-Signature", "access_token[]" and
# "access%255Ftoken" become "access_token", "x_amz_signature", "access_token", "access_token". It names a
# credential when the whole name or its last words are one of these ("next_batch_token" ends in "token"), or,
# for the names of several words, when it ends with them run together ("XACCESSTOKEN" ends in "accesstoken").
SECRET_NAMES = (
    "access_token",
    "refresh_token",
    "id_token",
    "token",
    "auth_token",
    "api_key",
    "apikey",
    "key",
    "sig",
    "signature",
    "password",
    "passwd",
    "pass",
    "pwd",
    "passphrase",
    "secret",
    "client_secret",
    "auth",
    "authorization",
    "credential",
    "credentials",
    "session",
    "sessionid",
    "session_id",
    "sid_token",
    "phpsessid",
    "jsessionid",
    "sessid",
    "x_amz_signature",
    "x_amz_credential",
    "x_amz_security_token",
    "code",
    "jwt",
    "bearer",
    "private_token",
    "private_key",
    "secret_key",
    "access_key",
    "auth_key",
    "session_key",
    "client_key",
    "signing_key",
    "master_key",
    "encryption_key",
    "api_token",
    "pw",
    "oauth_token",
)
_NAMES = frozenset(SECRET_NAMES)
_RUN_TOGETHER = tuple(sorted({n.replace("_", "") for n in SECRET_NAMES if "_" in n}))

# Bare words that are also ordinary prose ("unknown key: foo", "status code: 504", "session: 5 requests"): as a
# whole key they count only as ``name=value``, ``name:value`` (no space) or a quoted JSON key, never as
# ``name: value`` in a sentence. ``code`` counts only as a query or path parameter (an OAuth authorization code).
_PROSE_WORDS = frozenset({"key", "code", "pass", "session", "auth", "sig", "token"})
_QUERY_ONLY = frozenset({"code"})
_MAX_KEY = 256  # longer "names" are not parameter names
_MAX_DECODE = 3  # "%25255F" is "_" encoded three times; a name encoded more often is not read as a name

# A name is a run of name characters, any of which may be percent-encoded (up to three times): "access%5Ftoken".
_NAME_CH = r"\-A-Za-z0-9_.\[\]"
_ENC_NAME_CH = r"%(?:25){0,2}(?:2[DEde]|3[0-9]|[46][1-9A-Fa-f]|[57][0-9Aa]|5[BDFbdf])"
# Any other encoded character ("&", ";", "?", a space, a comma ...) ends what comes before: a name can start
# after one even inside a run of name characters ("redirect=https%3A%2F%2Fapp%2Fcb%3Fx%3D1%26access_token%3D…").
_ENC_DELIM = r"%(?:25){0,2}(?:[01][0-9A-Fa-f]|2[0-9A-Ca-cFf]|3[A-Fa-f]|40|5[CEce]|60|7[B-Fb-f]|[89A-Fa-f][0-9A-Fa-f])"
_ENC_EQ = r"%(?:25){0,2}3[Dd]"

# name=value / name: value / "name": "value" / name%3Dvalue / ;name=value. The key is a whole run of name
# characters (the look-behind stops a match from starting inside one, or inside a percent-encoding); whether
# it names a credential is decided in Python. The value is matched separately, so the value of an ordinary
# key (a URL in ``redirect=``) is still searched.
_KV_HEAD = re.compile(
    rf"(?:({_ENC_DELIM})|(?<![{_NAME_CH}%]))"  # 1: an encoded separator before the key
    rf"((?:[{_NAME_CH}]|{_ENC_NAME_CH})+)"  # 2: key
    r"([\"']?)"  # 3: closing quote of a quoted key
    rf"([ \t]{{0,4}}(?:=[ \t]{{0,4}}|{_ENC_EQ}|:[ \t]{{0,4}}))"  # 4: separator ("api_key = x" too)
    r"(\[?)"  # 5: opening bracket of a JSON list value
)
# Quoted values run to their quote; others to a separator, or to a colon that ends a message ("file?token=x: ...").
_KV_VALUE = re.compile(r"\"[^\"\r\n]*\"?|'[^'\r\n]*'?|(?:[^&\s\"',;\]:]|:(?![\s]|$))+")
# After an encoded "=", the value also ends at an encoded separator ("%26", "%3B", "%20", ...).
_KV_VALUE_ENCODED = re.compile(r"(?:[^&\s\"',;\]:%]|:(?![\s]|$)|%(?!(?:25){0,2}(?:2[0267Cc]|3[Bb])))+")
# A path parameter (";jsessionid=…") ends where the path or the query goes on.
_PATH_PARAM_VALUE = re.compile(r"[^&\s\"',;\]:/?#]+")
# An Authorization header's value: its scheme stays readable, its credentials do not.
_AUTH_VALUE = re.compile(r"([\"']?)(?:([A-Za-z][A-Za-z0-9-]{0,30})[ \t]+)?[^\s\"',;&\]]+\1")
# Cookie headers: every value in them is a credential, so everything up to the end of the header.
_COOKIE = re.compile(r"(?i)(?<![A-Za-z0-9_-])((?:set-)?cookie[\"']?[ \t]{0,4}[:=][ \t]{0,4}\[?[\"']?)([^\r\n\"\]]+)")
# JWT-looking values: three base64url parts, the first two starting like a JSON object.
_JWT = re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
# Bearer/Basic credentials in a logged Authorization header.
_AUTH_HEADER = re.compile(r"(?i)(?<![A-Za-z0-9_-])(Bearer|Basic|Token)[ \t]+[A-Za-z0-9._~+/=-]{8,}")
# Bot tokens in paths (Telegram: /bot123456:ABC-DEF.../getUpdates), the colon possibly percent-encoded.
_BOT_PATH = re.compile(r"/bot\d{3,20}(?::|%3[Aa])[A-Za-z0-9_-]{10,}")
# Userinfo after a scheme ("https://user:password@", "redis://:password@", "https://TOKEN@"): all of it.
_USERINFO = re.compile(r"(?i)(?<![a-z0-9+.-])([a-z][a-z0-9+.-]{0,20}://)[^/?#@\s\"'<>]+@")
# The same inside a percent-encoded URL, encoded once to three times ("redirect=https%3A%2F%2Fu%3Apw%40host").
_ENCODED_USERINFO = re.compile(
    r"(?i)(%(?:25){0,2}3A%(?:25){0,2}2F%(?:25){0,2}2F)"
    r"(?:[^/?#@\s&%\"'<>]|%(?!(?:25){0,2}(?:40|2F|3F|23|26)))+"
    r"(%(?:25){0,2}40)"
)
# "user:password@host" and ":password@host" without a scheme (a Host header, a Referer cut short, a DSN in a
# message): a run that starts after a separator, holds a colon before its "@" and goes on with a host. Not
# "@alice:example.org" (Matrix ids: the colon comes after the "@"), nor "image:tag@sha256:…" (a digest).
_BARE_USERINFO = re.compile(
    r"(?<![^\s\"'<>(\[{=,;|/])([^\s\"'<>()\[\]{}=,;|/@:]{0,256}):[^\s\"'<>/@]+@"
    r"(?=[A-Za-z0-9\[])(?!sha(?:1|224|256|384|512):)"
)
# "scheme:user@host" URIs whose "user" is an address, not a password: "mailto:bob@…", WebFinger "acct:bob@…".
_ADDRESS_SCHEMES = frozenset({"mailto", "acct", "sip", "sips", "xmpp", "im", "pres", "tel"})
# Tokens recognisable by their shape alone: Matrix (syt_), GitHub, GitLab, Slack, AWS access key ids (long-term
# AKIA, temporary ASIA), Stripe secret and restricted keys, Google API keys (AIza + 35), npm, PyPI upload
# tokens, Hugging Face, SendGrid, Shopify, Anthropic and OpenAI project keys.
_KNOWN_TOKEN = re.compile(
    r"(?<![A-Za-z0-9_-])(?:syt_[A-Za-z0-9]+_[A-Za-z0-9]+_[A-Za-z0-9]+|gh[pousr]_[A-Za-z0-9]{30,}"
    r"|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{20,}|xox[abposre]-[A-Za-z0-9-]{10,}|xapp-[A-Za-z0-9-]{10,}"
    r"|(?:AKIA|ASIA)[0-9A-Z]{16}|[sr]k_(?:live|test)_[A-Za-z0-9]{16,}|AIza[A-Za-z0-9_-]{35}"
    r"|npm_[A-Za-z0-9]{36}|pypi-AgE[A-Za-z0-9_-]{40,}|hf_[A-Za-z0-9]{30,}"
    r"|SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}|shp(?:at|ca|pa|ss)_[A-Fa-f0-9]{32}"
    r"|sk-(?:ant|proj)-[A-Za-z0-9_-]{20,}|\d{6,12}:AA[A-Za-z0-9_-]{30,}|key-[0-9a-f]{32}|hv[sb]\.[A-Za-z0-9_-]{24,}"
    r"|dop_v1_[a-f0-9]{64}|(?<=hooks\.slack\.com/services/)T[A-Za-z0-9]+/B[A-Za-z0-9]+/[A-Za-z0-9]+"
    r"|(?<=/api/webhooks/)\d{6,25}/[A-Za-z0-9_-]{20,})"
)
# Values no credential has, under a name that only ends like one: a setting ("stickySession=true",
# "require_auth: false"). A name that is a credential's whole ("password=no") is redacted whatever its value.
_SETTING_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "null", "none"})
_LINE_OR_PORT = re.compile(r"[0-9]{1,10}(?::[0-9]{1,10})?:?")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NAME_SEP = re.compile(r"[-.\[\]\s_]+")


@functools.lru_cache(maxsize=4096)
def credential_name(key: str) -> str | None:
    """The credential name ``key`` ends with, once normalised; None when it names none.

    >>> credential_name("accessToken"), credential_name("X-Amz-Signature"), credential_name("access%255Ftoken[]")
    ('access_token', 'x_amz_signature', 'access_token')
    >>> credential_name("monkey") is None
    True
    """
    if not key or len(key) > _MAX_KEY:
        return None
    name = key
    for _ in range(_MAX_DECODE):
        if "%" not in name:
            break
        name = unquote(name)
    name = _NAME_SEP.sub("_", _CAMEL.sub("_", name)).strip("_").lower()
    if not name:
        return None
    words = name.split("_")
    for i in range(len(words)):
        tail = "_".join(words[i:])
        if tail in _NAMES:
            return tail
    run = "".join(words)
    for together in _RUN_TOGETHER:
        if run.endswith(together):
            return together
    return None


@functools.lru_cache(maxsize=4096)
def _normal(key: str) -> str:
    """``key`` as :func:`credential_name` compares it (to tell a whole-name match from a last-word one)."""
    name = key
    for _ in range(_MAX_DECODE):
        if "%" not in name:
            break
        name = unquote(name)
    return _NAME_SEP.sub("_", _CAMEL.sub("_", name)).strip("_").lower()


def _credential_at(m: re.Match[str]) -> str | None:
    """The credential name the key of ``m`` (a :data:`_KV_HEAD` match) gives, in its context; or None."""
    encoded_delim, key, close_quote, sep, _open = m.groups()
    before = m.string[m.start() - 1] if m.start() > 0 else ""
    in_query = bool(encoded_delim) or before in ("", "?", "&", ";")
    name = credential_name(key)
    if name is None:
        return None
    if name == _normal(key) and not close_quote:
        if name in _QUERY_ONLY and not in_query:
            return None
        if name in _PROSE_WORDS and sep.lstrip(" \t")[:1] == ":" and sep[-1:] in (" ", "\t"):
            return None  # "unknown key: foo" is prose, not a credential
    return name


def _redact_kv(text: str) -> str:
    out: list[str] = []
    pos = 0
    while True:
        m = _KV_HEAD.search(text, pos)
        if m is None:
            break
        name = _credential_at(m)
        sep = m.group(4).strip(" \t")
        if name is None or (m.group(4)[:1] in (" ", "\t") and text[m.end() : m.end() + 1] == "="):  # "key == x"
            v = None
        elif name == "authorization":
            v = _AUTH_VALUE.match(text, m.end())
        elif sep[:1] == "%":
            v = _KV_VALUE_ENCODED.match(text, m.end())
        elif sep == "=" and not m.group(1) and m.start() > 0 and text[m.start() - 1] == ";":
            v = _PATH_PARAM_VALUE.match(text, m.end())
        else:
            v = _KV_VALUE.match(text, m.end())
        value = v.group(0) if v else ""
        if (
            v is None
            or (sep == ":" and not m.group(5) and _LINE_OR_PORT.fullmatch(value))
            or (value.strip("\"'").lower() in _SETTING_WORDS and name != _normal(m.group(2)))
        ):
            # not a credential; or "api.key:3", "/etc/passwd:27:", "session:443": a line number or a port;
            # or "stickySession=true", "use_token: false": a setting, not a secret
            out.append(text[pos : m.end()])
            pos = m.end()
            continue
        if name == "authorization":  # "Authorization: Bearer REDACTED"
            quote, scheme = v.group(1), v.group(2)
            replacement = quote + (scheme + " " if scheme else "") + REDACTED + quote
        else:
            quote = value[0] if value[:1] in ("'", '"') and len(value) > 1 and value.endswith(value[0]) else ""
            replacement = quote + REDACTED + quote
        out.append(text[pos : m.end()] + replacement)
        pos = v.end()
    out.append(text[pos:])
    return "".join(out)


def _bare_userinfo(m: re.Match[str]) -> str:
    if m.group(1).lower() in _ADDRESS_SCHEMES:
        return m.group(0)
    return REDACTED + "@"


def redact(text: str) -> str:
    """Replace credentials in a URL, query string, header or log message with ``REDACTED``."""
    if not text:
        return text
    if isinstance(text, Authored):
        return text  # lpdoctor's own words; the values from inputs in it were redacted when it was made
    out = _COOKIE.sub(lambda m: m.group(1) + REDACTED, text)
    out = _JWT.sub(REDACTED, out)
    out = _KNOWN_TOKEN.sub(REDACTED, out)
    out = _BOT_PATH.sub("/bot" + REDACTED, out)
    out = _USERINFO.sub(lambda m: m.group(1) + REDACTED + "@", out)
    if "%" in out:
        out = _ENCODED_USERINFO.sub(lambda m: m.group(1) + REDACTED + m.group(2), out)
    if "@" in out:
        out = _BARE_USERINFO.sub(_bare_userinfo, out)
    out = _AUTH_HEADER.sub(lambda m: m.group(1) + " " + REDACTED, out)
    out = _redact_kv(out)
    return out


class Authored(str):
    """Text lpdoctor wrote itself, with the values from inputs in it already redacted (:func:`authored`).

    :func:`redact` leaves it as it is; :func:`clean` still applies (a value may hold a control character). Any
    operation on it (``+``, slicing, ``format``) gives a plain ``str`` again, which is redacted whole: only the
    string :func:`authored` made is trusted.
    """

    __slots__ = ()


def authored(template: str, values: Mapping[str, object]) -> Authored:
    """``template.format_map(values)``, each string value redacted first: a fix of lpdoctor's own rules."""
    safe_values = _RedactedValues({k: v if isinstance(v, int | float) else redact(str(v)) for k, v in values.items()})
    return Authored(template.format_map(safe_values))


class _RedactedValues(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


# What never reaches an output as itself (lpdoctor.text._invisible.py, generated from the Unicode Character Database
# by scripts/gen_invisible.py): C0 and C1 controls and DEL (terminal escapes, carriage returns, NUL), format
# characters and bidi controls ("Trojan Source" reordering), every Default_Ignorable_Code_Point (zero-width and
# invisible characters, soft hyphen, Hangul fillers, variation selectors, tags: a terminal and rich disagree on
# their width, which breaks a panel's border, and they hide text), noncharacters, line and paragraph
# separators, and lone surrogates (from JSON "\ud800": they cannot even be encoded).
_CONTROL = re.compile(
    "["
    + "".join(
        re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}" for lo, hi in INVISIBLE_RANGES
    )
    + "]"
)


def _escape_char(m: re.Match[str]) -> str:
    ch = m.group(0)
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def clean(text: str | None, limit: int = 300) -> str:
    """Printable, single-line, bounded: control characters become visible ``\\xNN`` escapes."""
    if text is None:
        return ""
    if len(text) > limit:
        text = text[:limit] + "…"
    return _CONTROL.sub(_escape_char, text)


# How much more than it shows :func:`safe` redacts: a credential that starts in the shown part is recognised
# whole as long as it is shorter than this.
_REDACT_MARGIN = 16384


def safe(text: str | None, limit: int = 300) -> str:
    """:func:`redact` then :func:`clean`: what every input-derived string goes through before output."""
    if text is None:
        return ""
    if isinstance(text, Authored):
        return clean(text, limit)
    if len(text) > limit + _REDACT_MARGIN:
        text = text[: limit + _REDACT_MARGIN]
    return clean(redact(text), limit)


# ---- regular expressions from configurations, matched against paths from logs

# A location regex is the operator's (or, in a pull request checked in CI, anyone's); the path it is matched
# against may come from a log line. Python's re backtracks where PCRE (nginx, HAProxy, Apache) gives up at its
# match limit and RE2 (Envoy, Traefik, Caddy) never backtracks, so "^/(a+)+$" against a 40-character path
# would take hours here but no time in the proxy.
REGEX_TIME_LIMIT_S = 0.2
MAX_REGEX_SUBJECT = 8192
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.){0,200}[+*}](?:[^()\\]|\\.){0,200}\)[+*{]")
MAX_REGEX_TIMEOUTS = 3  # a pattern that timed out this often is not tried again
_timeouts: dict[tuple[str, int], int] = {}


class _RegexTimeout(Exception):
    pass


def compile_untrusted(pattern: str, flags: int = 0) -> re.Pattern[str] | None:
    """A regular expression from a configuration, compiled; None when Python cannot read it. Python's own
    FutureWarning on a pattern (``[[`` or ``--`` inside a set) is not printed: the user's proxy reads it its way."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return re.compile(pattern, flags)
    except (re.error, RecursionError, OverflowError, ValueError):
        return None


def untrusted_match(pattern: str, subject: str, *, flags: int = 0, how: str = "search") -> bool | None:
    """Match a regular expression from a configuration against a subject that may be hostile.

    ``how`` is ``"search"``, ``"match"`` or ``"fullmatch"``. Returns None when the pattern does not compile or
    cannot be matched in :data:`REGEX_TIME_LIMIT_S` (after :data:`MAX_REGEX_TIMEOUTS` such times it is not
    tried again): the caller treats that as "unknown", as it does for a pattern Python cannot read. Where no
    timer is available (not the main thread, no SIGALRM), a pattern with a quantified group that holds a
    quantifier is not run.
    """
    key = (pattern, flags)
    if _timeouts.get(key, 0) >= MAX_REGEX_TIMEOUTS or len(pattern) > 4096:
        return None
    rx = compile_untrusted(pattern, flags)
    if rx is None:
        return None
    subject = subject[:MAX_REGEX_SUBJECT]
    method = {"search": rx.search, "match": rx.match, "fullmatch": rx.fullmatch}[how]
    if not _can_time():
        if _NESTED_QUANTIFIER.search(pattern):
            return None
        return method(subject) is not None
    try:
        with _TimeLimit(REGEX_TIME_LIMIT_S):
            return method(subject) is not None
    except _RegexTimeout:
        _timeouts[key] = _timeouts.get(key, 0) + 1
        return None


def _can_time() -> bool:
    import signal
    import threading

    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


class _TimeLimit:
    """Raise :class:`_RegexTimeout` in the block after ``seconds``; a timer already running is re-armed."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __enter__(self) -> None:
        import signal
        import time

        def on_alarm(signum: int, frame: object) -> None:
            raise _RegexTimeout

        self.started = time.monotonic()
        self.previous_handler = signal.signal(signal.SIGALRM, on_alarm)
        self.previous = signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc: object) -> None:
        import signal
        import time

        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.previous_handler)
        delay, interval = self.previous
        if delay > 0:
            left = delay - (time.monotonic() - self.started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001), interval)
