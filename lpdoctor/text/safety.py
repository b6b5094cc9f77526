"""Text from logs and configs is attacker-controlled: make it safe to print and free of secrets.

Every string that came from an input goes through :func:`clean` (no control characters, no escape
sequences reach a terminal or a CI log) and every URL or log message through :func:`redact` (credentials in
query strings, JWTs, bot tokens in paths). Reporters never interpret input as rich markup.

Every regular expression here runs in time linear in its input: a candidate key, token or header value can
only start where the previous character cannot continue it (a look-behind), so a 1 MB run of hostile
characters is scanned once, not once per position. :func:`safe` also cuts its input to a bounded length
before redacting (far more than it ever shows), so no report string costs more than a few milliseconds.
"""

from __future__ import annotations

import re

REDACTED = "REDACTED"

# Query parameter and field names whose values are credentials (matched case-insensitively, on the whole name
# or on its last part after "_", "-" or ".": "x-amz-signature", "next_batch_token", "my.api_key").
SECRET_NAMES = (
    "access_token",
    "refresh_token",
    "id_token",
    "token",
    "auth_token",
    "api_key",
    "apikey",
    "api-key",
    "key",
    "sig",
    "signature",
    "password",
    "passwd",
    "pass",
    "pwd",
    "secret",
    "client_secret",
    "auth",
    "authorization",
    "session",
    "sessionid",
    "session_id",
    "sid_token",
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
    "code",
    "jwt",
    "bearer",
    "private_token",
    "oauth_token",
)
_NAMES = frozenset(SECRET_NAMES)

# Bare words that are also ordinary prose ("unknown key: foo", "status code: 504", "session: 5 requests"): as a
# whole key they count only as ``name=value``, ``name:value`` (no space) or a quoted JSON key, never as
# ``name: value`` in a sentence. ``code`` counts only as a query parameter (an OAuth authorization code).
_PROSE_WORDS = frozenset({"key", "code", "pass", "session", "auth", "sig", "token"})
_QUERY_ONLY = frozenset({"code"})
_MAX_KEY = 256  # longer "names" are not parameter names

# name=value / name: value / "name": "value" / name%3Dvalue. The key is a whole run of name characters (the
# look-behind stops a match from starting inside one); whether it names a credential is decided in Python. The
# value is matched separately, so the value of an ordinary key (a URL in ``redirect=``) is still searched.
_KV_HEAD = re.compile(
    r"(?<![A-Za-z0-9_.-])([A-Za-z0-9_.-]+)"  # 1: key
    r"([\"']?)"  # 2: closing quote of a quoted key
    r"(=|%3[Dd]|:[ \t]{0,4})"  # 3: separator
    r"(\[?)"  # 4: opening bracket of a JSON list value
)
# Quoted values run to their quote; others to a separator, or to a colon that ends a message ("file?token=x: ...").
_KV_VALUE = re.compile(r"\"[^\"\r\n]*\"?|'[^'\r\n]*'?|(?:[^&\s\"',;\]:]|:(?![\s]|$))+")
# Cookie headers: every value in them is a credential, so everything up to the end of the header.
_COOKIE = re.compile(r"(?i)(?<![A-Za-z0-9_-])((?:set-)?cookie[\"']?[ \t]{0,4}[:=][ \t]{0,4}\[?[\"']?)([^\r\n\"\]]+)")
# JWT-looking values: three base64url parts, the first two starting like a JSON object.
_JWT = re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
# Bearer/Basic credentials in a logged Authorization header.
_AUTH_HEADER = re.compile(r"(?i)(?<![A-Za-z0-9_-])(Bearer|Basic|Token)[ \t]+[A-Za-z0-9._~+/=-]{8,}")
# Bot tokens in paths (Telegram: /bot123456:ABC-DEF.../getUpdates), the colon possibly percent-encoded.
_BOT_PATH = re.compile(r"/bot\d{3,20}(?::|%3[Aa])[A-Za-z0-9_-]{10,}")
# user:password@ in URLs.
_USERINFO = re.compile(r"(?i)(?<![a-z0-9+.-])([a-z][a-z0-9+.-]{0,20}://)[^/@\s:]+:[^/@\s]+@")
# Tokens recognisable by their shape alone: Matrix (syt_), GitHub, GitLab, Slack, AWS access key ids, Stripe.
_KNOWN_TOKEN = re.compile(
    r"(?<![A-Za-z0-9_-])(?:syt_[A-Za-z0-9]+_[A-Za-z0-9]+_[A-Za-z0-9]+|gh[pousr]_[A-Za-z0-9]{30,}"
    r"|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}"
    r"|AKIA[0-9A-Z]{16}|[sr]k_live_[A-Za-z0-9]{16,})"
)
_HEX2 = re.compile(r"[0-9A-Fa-f]{2}")
_LINE_OR_PORT = re.compile(r"[0-9]{1,10}(?::[0-9]{1,10})?:?")


def _secret_name(key: str) -> str | None:
    """The credential name ``key`` ends with ("x-amz-signature" → "x-amz-signature", "my_token" → "token")."""
    k = key.lower()
    if k in _NAMES:
        return k
    for i, ch in enumerate(k):
        if ch in "_.-" and k[i + 1 :] in _NAMES:
            return k[i + 1 :]
    return None


def _names_credential(m: re.Match[str]) -> bool:
    key, close_quote, sep, _open = m.groups()
    start = m.start()
    before = m.string[start - 1] if start > 0 else ""
    in_query = before in ("", "?", "&")
    if before == "%" and _HEX2.match(key):  # "%26token%3D…": the key starts after an encoded separator
        key = key[2:]
        in_query = True
    if not key or len(key) > _MAX_KEY:
        return False
    name = _secret_name(key)
    if name is None:
        return False
    if name == key.lower() and not close_quote:
        if name in _QUERY_ONLY and not in_query:
            return False
        if name in _PROSE_WORDS and sep[:1] == ":" and len(sep) > 1:
            return False  # "unknown key: foo" is prose, not a credential
    return True


def _redact_kv(text: str) -> str:
    out: list[str] = []
    pos = 0
    while True:
        m = _KV_HEAD.search(text, pos)
        if m is None:
            break
        v = _KV_VALUE.match(text, m.end()) if _names_credential(m) else None
        value = v.group(0) if v else ""
        if v is None or (m.group(3) == ":" and not m.group(4) and _LINE_OR_PORT.fullmatch(value)):
            # not a credential; or "api.key:3", "/etc/passwd:27:", "session:443": a line number or a port
            out.append(text[pos : m.end()])
            pos = m.end()
            continue
        quote = value[0] if value[:1] in ("'", '"') and len(value) > 1 and value.endswith(value[0]) else ""
        out.append(text[pos : m.end()] + quote + REDACTED + quote)
        pos = v.end()
    out.append(text[pos:])
    return "".join(out)


def redact(text: str) -> str:
    """Replace credentials in a URL, query string or log message with ``REDACTED``."""
    if not text:
        return text
    out = _COOKIE.sub(lambda m: m.group(1) + REDACTED, text)
    out = _JWT.sub(REDACTED, out)
    out = _KNOWN_TOKEN.sub(REDACTED, out)
    out = _BOT_PATH.sub("/bot" + REDACTED, out)
    out = _USERINFO.sub(lambda m: m.group(1) + REDACTED + "@", out)
    out = _AUTH_HEADER.sub(lambda m: m.group(1) + " " + REDACTED, out)
    out = _redact_kv(out)
    return out


# What never reaches an output as itself: C0 and C1 controls and DEL (terminal escapes, carriage returns, NUL),
# bidi controls (U+061C, U+200E/F, U+202A-E, U+2066-9: "Trojan Source" reordering), zero-width and invisible
# characters (U+200B-D, U+2060-4, U+FEFF, Unicode tags U+E0000-7F), line and paragraph separators (U+2028/9),
# interlinear annotations (U+FFF9-B), and lone surrogates (from JSON "\ud800": they cannot even be encoded).
_CONTROL = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069"
    "\ufeff\ufff9-\ufffb\ud800-\udfff\U000e0000-\U000e007f]"
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
    try:
        rx = re.compile(pattern, flags)
    except (re.error, RecursionError, OverflowError, ValueError):
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
