"""Sōzune's ``sozune.*`` label scheme: known keys, value parsing, did-you-mean for unknown keys.

The same scheme is read from Docker labels, Kubernetes ``Service`` annotations and the other label-driven
providers (kemeter/sozune ``src/labels/catalog.rs``, ``src/labels/parser.rs``, ``src/labels/fields/*.rs``;
``documentation/providers/kubernetes.md``: "parsed by the same engine used for Docker labels").

- ``sozune.<protocol>.<service>.<field>=<value>``, protocol ``http`` / ``tcp`` / ``udp``; globals
  ``sozune.enable`` and ``sozune.network``.
- Booleans are true only for the literal ``true`` (``core::parse_bool``).
- ``backendTimeout`` is parsed as ``u64`` (no trimming; W003 and the default when not a whole number); the
  runtime reads it as **seconds** (``src/middleware/proxy.rs``: ``Duration::from_secs``,
  ``unwrap_or(30)``), while the W003 hint and ``sozune explain W003`` speak of milliseconds.
- ``retry.attempts`` (u32, trimmed; ``<= 1`` means no retry; W023), ``inFlightReq`` (u64 > 0; W025).
- ``path`` and ``prefix`` are both prefix rules, ``pathRegex`` a regex; precedence path > prefix > pathRegex
  (``fields/path.rs``); none of them → prefix ``/``.

Sōzune code is read for facts only; nothing here is copied from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lpdoctor.text.durations import DurationError, parse_duration

PROTOCOLS = ("http", "tcp", "udp")
GLOBAL_KEYS = ("enable", "network")

# SERVICE_FIELDS of catalog.rs at kemeter/sozune ea2e08af (shared/research/sozune.md §1.1), plus ``sni``,
# ``acme.resolver`` and ``weight`` which fields/core.rs parses. A key missing here would be reported as
# unknown, so the list errs on the side of knowing too much.
SERVICE_FIELDS = (
    "host",
    "port",
    "priority",
    "backendTimeout",
    "healthCheck.path",
    "healthCheck.status",
    "healthCheck.timeout",
    "loadBalancer",
    "weight",
    "retry.attempts",
    "circuitBreaker.threshold",
    "circuitBreaker.minRequests",
    "circuitBreaker.cooldown",
    "tls",
    "stripPrefix",
    "addPrefix",
    "httpsRedirect",
    "httpsRedirectPort",
    "stickySession",
    "compress",
    "path",
    "prefix",
    "pathRegex",
    "redirect",
    "redirectScheme",
    "redirectTemplate",
    "wwwAuthenticate",
    "ratelimit.average",
    "ratelimit.burst",
    "inFlightReq",
    "auth.basic",
    "forwardAuth.address",
    "forwardAuth.responseHeaders",
    "forwardAuth.trustForwardHeader",
    "entrypoint",
    "methods",
    "plugins",
    "matchHeaders",
    "matchQuery",
    "matchClientIP",
    "ipAllowList",
    "sni",
    "acme.resolver",
)
SERVICE_FIELD_PREFIXES = ("headers.", "errorPages.", "plugins.")

# Words people reach for when they mean a Sōzune field; checked before edit distance, because
# ``timeout`` is 7 edits away from ``backendTimeout`` (Sōzune's own W013 test expects that suggestion).
_SYNONYMS = {
    "timeout": "backendTimeout",
    "backend_timeout": "backendTimeout",
    "backendtimeout": "backendTimeout",
    "readtimeout": "backendTimeout",
    "proxytimeout": "backendTimeout",
    "requesttimeout": "backendTimeout",
    "responsetimeout": "backendTimeout",
    "upstreamtimeout": "backendTimeout",
    "servertimeout": "backendTimeout",
    "retry": "retry.attempts",
    "retries": "retry.attempts",
    "retry.count": "retry.attempts",
    "retry.max": "retry.attempts",
    "retryattempts": "retry.attempts",
    "inflight": "inFlightReq",
    "inflightreq": "inFlightReq",
    "inflightrequests": "inFlightReq",
    "maxinflight": "inFlightReq",
    "in_flight_req": "inFlightReq",
    "hostname": "host",
    "hostnames": "host",
    "hosts": "host",
    "domain": "host",
    "rule": "host",
}
# The file provider's snake_case keys under ``config:`` (src/model/entrypoint.rs EntrypointConfig) and the
# label field each corresponds to, for suggestions in both directions.
FILE_CONFIG_KEYS = (
    "hostnames",
    "path",
    "tls",
    "strip_prefix",
    "add_prefix",
    "https_redirect",
    "https_redirect_port",
    "redirect",
    "redirect_scheme",
    "redirect_template",
    "rewrite_host",
    "rewrite_path",
    "rewrite_port",
    "rewrite",
    "www_authenticate",
    "priority",
    "auth",
    "forward_auth",
    "headers",
    "backend_timeout",
    "health_check",
    "retry",
    "circuit_breaker",
    "rate_limit",
    "in_flight_req",
    "load_balancer",
    "sticky_session",
    "compress",
    "entrypoint",
    "methods",
    "acme",
    "plugins",
    "plugin_config",
    "error_pages",
    "ip_allow_list",
    "match_headers",
    "match_query",
    "match_client_ip",
    "sni",
)
_FILE_SYNONYMS = {
    "timeout": "backend_timeout",
    "backendtimeout": "backend_timeout",
    "backend_timeout_secs": "backend_timeout",
    "backend_timeout_ms": "backend_timeout",
    "read_timeout": "backend_timeout",
    "proxy_timeout": "backend_timeout",
    "request_timeout": "backend_timeout",
    "inflightreq": "in_flight_req",
    "in_flight": "in_flight_req",
    "max_in_flight": "in_flight_req",
    "retries": "retry",
    "retry_attempts": "retry",
    "hosts": "hostnames",
    "host": "hostnames",
    "hostname": "hostnames",
}

MAX_KEY_CHARS = 200
_U64_MAX = (1 << 64) - 1
_U32_MAX = (1 << 32) - 1
_UNSIGNED = re.compile(r"\+?[0-9]{1,20}")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]{0,100})(?::?[-=]([^}]{0,100}))?\}|\$[A-Za-z_][A-Za-z0-9_]{0,100}")


@dataclass(frozen=True, slots=True)
class LabelKey:
    """A ``sozune.*`` key split into its parts. ``protocol``/``service``/``field`` are None for globals."""

    raw: str
    protocol: str | None
    service: str | None
    field: str | None
    is_global: bool


def split_key(key: str) -> LabelKey | None:
    """Split a ``sozune.*`` key; None when it does not start with ``sozune.``."""
    if not key.startswith("sozune.") or len(key) > MAX_KEY_CHARS:
        return None
    rest = key[len("sozune.") :]
    if rest in GLOBAL_KEYS:
        return LabelKey(key, None, None, None, True)
    parts = rest.split(".", 2)
    if len(parts) < 3 or not parts[1] or not parts[2]:
        return LabelKey(key, parts[0] if parts else None, parts[1] if len(parts) > 1 else None, None, False)
    return LabelKey(key, parts[0], parts[1], parts[2], False)


def is_known_field(field: str) -> bool:
    if field in SERVICE_FIELDS:
        return True
    return any(field.startswith(p) and len(field) > len(p) for p in SERVICE_FIELD_PREFIXES)


def levenshtein(a: str, b: str, limit: int = 64) -> int:
    """Edit distance of two short strings (cut at ``limit`` characters)."""
    a, b = a[:limit], b[:limit]
    if not a:
        return len(b)
    if not b:
        return len(a)
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _closest(word: str, candidates: tuple[str, ...], synonyms: dict[str, str]) -> str | None:
    low = word.lower()
    if low in synonyms:
        return synonyms[low]
    for cand in candidates:
        if cand.lower() == low:
            return cand  # only the case differs: Sōzune's keys are case-sensitive
    best: tuple[int, str] | None = None
    for cand in candidates:
        d = levenshtein(low, cand.lower())
        if best is None or d < best[0]:
            best = (d, cand)
    if best is not None and best[0] <= (1 if len(word) <= 4 else 2):
        return best[1]
    # A known field written as the tail of a longer word (``synapse_backendTimeout``) or the reverse.
    tails = [c for c in candidates if len(c) >= 4 and (low.endswith(c.lower()) or c.lower().endswith(low))]
    if len(low) >= 4 and tails:
        return min(tails, key=len)
    return None


def suggest_label(key: LabelKey) -> str | None:
    """A did-you-mean for an unknown ``sozune.*`` key, as a full key (like Sōzune's W013 hint)."""
    if key.is_global:
        return None
    rest = key.raw[len("sozune.") :]
    if key.field is None:
        g = _closest(rest, GLOBAL_KEYS, {})
        if g:
            return f"sozune.{g}"
        if key.protocol and key.service:
            return f"sozune.{key.protocol}.{key.service}.host"
        return None
    protocol = key.protocol or ""
    if protocol not in PROTOCOLS:
        fixed = _closest(protocol, PROTOCOLS, {"https": "http", "h2": "http", "web": "http"})
        if fixed is None:
            return None
        protocol = fixed
    field = key.field if is_known_field(key.field) else _closest(key.field, SERVICE_FIELDS, _SYNONYMS)
    if field is None:
        return None
    return f"sozune.{protocol}.{key.service}.{field}"


def suggest_file_key(word: str) -> str | None:
    """A did-you-mean for an unknown key under a file-provider entrypoint's ``config:``."""
    return _closest(word, FILE_CONFIG_KEYS, _FILE_SYNONYMS)


def parse_unsigned(raw: str, bits: int = 64) -> int | None:
    """Rust's ``str::parse::<u64>()`` / ``u32``: digits with an optional ``+``, no spaces, no units."""
    if not _UNSIGNED.fullmatch(raw):
        return None
    value = int(raw)
    return value if value <= (_U64_MAX if bits == 64 else _U32_MAX) else None


def parse_bool(raw: str | None) -> bool:
    """Sōzune's ``parse_bool``: only the literal ``true`` is true."""
    return raw == "true"


def variable_default(raw: str) -> tuple[str | None, bool]:
    """Compose interpolation: (``${X:-60}`` → "60", True); (``${X}`` → None, True); (plain → raw, False)."""
    m = _VARIABLE.fullmatch(raw.strip())
    if m is None:
        return raw, False
    return m.group(2), True


# Fields that send a route through Sōzune's internal middleware proxy (``needs_middleware()`` in
# src/middleware/mod.rs, per shared/research/sozune.md §0.2). ``retry.attempts`` counts only above 1.
MIDDLEWARE_FIELDS = (
    "backendTimeout",
    "inFlightReq",
    "forwardAuth.address",
    "plugins",
    "matchHeaders",
    "matchQuery",
    "matchClientIP",
    "ipAllowList",
    "circuitBreaker.threshold",
    "circuitBreaker.minRequests",
    "circuitBreaker.cooldown",
    "ratelimit.average",
    "ratelimit.burst",
)


def unit_hint(raw: str) -> str:
    """What to say of a backendTimeout written with a unit (Sōzune reads whole seconds): the bare number."""
    low = raw.strip().lower()
    if low.endswith(("ms", "s", "m", "h")):
        return f"; write a bare number of seconds ({suggest_seconds(raw)}), without a unit"
    return ""


def suggest_seconds(raw: str) -> str:
    """A duration as the whole seconds Sōzune's backendTimeout takes (60 when it is not one)."""
    try:
        seconds = parse_duration(raw.strip(), default_unit="s")
    except (DurationError, ValueError, OverflowError):
        return "60"
    return str(max(1, round(seconds)))
