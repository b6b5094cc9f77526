"""Text from logs and configs is attacker-controlled: make it safe to print and free of secrets.

Every string that came from an input goes through :func:`clean` (no control characters, no escape
sequences reach a terminal or a CI log) and every URL or log message through :func:`redact` (credentials in
query strings, JWTs, bot tokens in paths). Reporters never interpret input as rich markup.
"""

from __future__ import annotations

import re

REDACTED = "REDACTED"

# Query parameter and field names whose values are credentials (matched case-insensitively, whole name).
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
_SECRET_NAME_RE = "|".join(re.escape(n) for n in sorted(SECRET_NAMES, key=len, reverse=True))

# name=value inside a query string or a key=value log: the value runs to the next separator.
_KV = re.compile(
    r"(?i)(?<![A-Za-z0-9_-])((?:[A-Za-z0-9_.-]{0,40}[_.-])?(?:" + _SECRET_NAME_RE + r"))(=|:\s?)([^&\s\"',;]{1,4096})"
)
# JWT-looking values: three base64url parts, the first two starting like a JSON object.
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,4096}\.eyJ[A-Za-z0-9_-]{1,8192}\.[A-Za-z0-9_-]{0,4096}")
# Bearer/Basic credentials in a logged Authorization header.
_AUTH_HEADER = re.compile(r"(?i)\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,4096}")
# Bot tokens in paths (Telegram: /bot123456:ABC-DEF.../getUpdates).
_BOT_PATH = re.compile(r"/bot\d{3,20}:[A-Za-z0-9_-]{10,200}")
# user:password@ in URLs.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]{0,20}://)[^/@\s:]{1,256}:[^/@\s]{1,256}@")


def redact(text: str) -> str:
    """Replace credentials in a URL, query string or log message with ``REDACTED``."""
    if not text:
        return text
    out = _JWT.sub(REDACTED, text)
    out = _BOT_PATH.sub("/bot" + REDACTED, out)
    out = _USERINFO.sub(lambda m: m.group(1) + REDACTED + "@", out)
    out = _AUTH_HEADER.sub(lambda m: m.group(1) + " " + REDACTED, out)
    out = _KV.sub(lambda m: m.group(1) + m.group(2) + REDACTED, out)
    return out


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def _escape_char(m: re.Match[str]) -> str:
    ch = m.group(0)
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(text: str | None, limit: int = 300) -> str:
    """Printable, single-line, bounded: control characters become visible ``\\xNN`` escapes."""
    if text is None:
        return ""
    if len(text) > limit:
        text = text[:limit] + "…"
    return _CONTROL.sub(_escape_char, text)


def safe(text: str | None, limit: int = 300) -> str:
    """:func:`redact` then :func:`clean`: what every input-derived string goes through before output."""
    if text is None:
        return ""
    return clean(redact(text), limit)
