"""What a probe asks for: the URL (its userinfo kept out of every output), the hold parameter in it and the
request headers given with --header (their values are secrets)."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote, unquote_plus, urlsplit, urlunsplit

import httpx

from lpdoctor import catalog
from lpdoctor.catalog.holds import HoldMatcher, parse_query
from lpdoctor.text.durations import DurationError, parse_duration
from lpdoctor.text.safety import REDACTED, safe

HOLD_UNITS = ("ms", "s", "duration")
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}")


class ProbeError(ValueError):
    """The probe cannot run as asked (bad URL, header, hold parameter): a usage error, exit 2."""


# ---------------------------------------------------------------------------------------------------------
# Where the hold goes in the URL


@dataclass(frozen=True)
class HoldParam:
    """How a hold is asked for: a query parameter and its unit, or a hold the server fixes itself."""

    name: str | None  # None: the server decides the hold (ElectricSQL, CometD ...); it cannot be varied
    unit: str  # ms | s | duration
    protocol: str | None = None  # catalog id when a known protocol matched
    source: str = "query"  # "option" (--param), "protocol" or "query" (a generic parameter in the URL)
    fixed_s: float | None = None  # the server's own hold when name is None
    max_s: float | None = None  # the server caps holds at this (Telegram 50 s)

    def describe(self) -> str:
        if self.name is None:
            held = f"{self.fixed_s:g} s" if self.fixed_s is not None else "a hold the server decides"
            return f"{self.protocol or 'server'}: {held}, not set by the client"
        who = f"{self.protocol}: " if self.protocol else ("--param " if self.source == "option" else "")
        return f"{who}{self.name} in {self.unit}"

    def format_value(self, hold_s: float) -> str:
        if self.unit == "ms":
            return str(round(hold_s * 1000))
        if self.unit == "s":
            return _plain_number(hold_s)
        ms = round(hold_s * 1000)
        return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"

    def apply(self, url: str, hold_s: float) -> str:
        """``url`` with this parameter set to ``hold_s`` (other parameters keep their order and encoding)."""
        if self.name is None:
            return url
        return set_query_param(url, self.name, self.format_value(hold_s))


def _plain_number(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text or "0"


def set_query_param(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    pieces = [p for p in parts.query.split("&") if p] if parts.query else []
    out: list[str] = []
    placed = False
    encoded = f"{quote(name, safe='')}={quote(value, safe='')}"
    for piece in pieces:
        key = unquote_plus(piece.partition("=")[0])
        if key == name:
            if not placed:
                out.append(encoded)
                placed = True
            continue
        out.append(piece)
    if not placed:
        out.append(encoded)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "&".join(out), ""))


def _infer_unit(value: str | None) -> str:
    """The unit a hold value in a URL is written in: ``15s`` → duration, ``30000`` → ms, ``25`` → s."""
    if value is None:
        return "s"
    text = unquote_plus(value).strip()
    if text.isascii() and text.replace(".", "", 1).isdecimal():
        return "ms" if float(text) >= 1000 else "s"
    try:
        parse_duration(text)
    except DurationError:
        return "s"
    return "duration"


def resolve_hold_param(url: str, param: str | None = None, unit: str | None = None) -> HoldParam | None:
    """Where the hold goes: ``--param`` first, then a known protocol, then a generic parameter in the URL."""
    if unit is not None and unit not in HOLD_UNITS:
        raise ProbeError(f"--unit must be one of {', '.join(HOLD_UNITS)}")
    parts = urlsplit(url)
    params = parse_query(parts.query)
    if param:
        if not _TOKEN.fullmatch(param):
            raise ProbeError("--param must be a plain query parameter name")
        return HoldParam(param, unit or _infer_unit(params.get(param)), source="option")
    path = parts.path or "/"
    for proto in catalog.protocols():
        if not proto.path.search(path):
            continue
        if any(name not in params or not rx.search(params[name]) for name, rx in proto.require.items()):
            continue
        if proto.param:
            return HoldParam(proto.param, unit or proto.unit or "s", proto.id, "protocol", max_s=proto.max_s)
        return HoldParam(None, "s", proto.id, "protocol", fixed_s=proto.default_s, max_s=proto.max_s)
    for generic in catalog.generic_params():
        if generic.name in params:
            inferred = generic.unit if generic.unit != "auto" else _infer_unit(params[generic.name])
            return HoldParam(generic.name, unit or inferred, None, "query")
    return None


def hold_in_url(url: str, hold: HoldParam | None) -> float | None:
    """The hold the URL asks for as it stands (None when it names none)."""
    if hold is not None and hold.name is None:
        return hold.fixed_s
    parts = urlsplit(url)
    if hold is not None and hold.source == "option":
        raw = parse_query(parts.query).get(hold.name or "")
        if raw is None:
            return None
        try:
            return parse_duration(unquote_plus(raw), default_unit="s" if hold.unit == "duration" else hold.unit)
        except DurationError:
            return None
    found = HoldMatcher().match(parts.path or "/", parts.query)
    return found.seconds if found is not None else None


# ---------------------------------------------------------------------------------------------------------
# Request headers (--header): values are secrets


def parse_header(text: str) -> tuple[str, str]:
    """``"Authorization: Bearer x"`` → (name, value). Errors never repeat the value."""
    name, sep, value = text.partition(":")
    name = name.strip()
    if not sep or not name:
        raise ProbeError("--header must look like 'Name: value'")
    if not _TOKEN.fullmatch(name):
        raise ProbeError("--header: the name before ':' is not a valid header name")
    value = value.strip()
    if any(c in value for c in "\r\n\x00") or len(value) > 16384:
        raise ProbeError(f"--header {safe(name, 60)}: the value has a line break or is too long")
    if name.lower() in ("host", "content-length", "transfer-encoding", "connection"):
        raise ProbeError(f"--header {safe(name, 60)}: lpdoctor sets this header itself")
    return name, value


def validate_url(url: str) -> str:
    try:
        parsed = httpx.URL(url)
        _ = urlsplit(url).port  # what the rest of the probe parses with: "[x]" hosts, bad ports
    except (httpx.InvalidURL, TypeError, ValueError):
        raise ProbeError(f"not a valid URL: {safe(hide_userinfo(url), 200)}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ProbeError(f"the URL must be http:// or https:// with a host: {safe(hide_userinfo(url), 200)}")
    return url


def _authority_span(url: str) -> tuple[int, int]:
    """Where the authority (``user:pw@host:port``) of ``url`` starts and ends (with or without ``scheme://``).

    Found by position, not by a URL parser: the userinfo must go even from a URL no parser accepts."""
    sep = url.find("//")
    start = sep + 2 if sep >= 0 and "/" not in url[:sep] else 0  # "host" alone: no scheme, no "//"
    end = len(url)
    for ch in "/?#":
        at = url.find(ch, start)
        if 0 <= at < end:
            end = at
    return start, end


def hide_userinfo(url: str) -> str:
    """``url`` with its userinfo (``user:password@``, ``:password@``, ``token@``) replaced by ``REDACTED@``."""
    start, end = _authority_span(url)
    at = url.rfind("@", start, end)
    if at < 0:
        return url
    return url[:start] + REDACTED + url[at:]


def host_of(url: str) -> str:
    """``host:port`` of ``url``, never its userinfo."""
    start, end = _authority_span(url)
    authority = url[start:end]
    return authority.rpartition("@")[2]


def userinfo_secrets(url: str) -> list[str]:
    """The userinfo of ``url`` and its parts as they may be echoed (raw and percent-decoded)."""
    start, end = _authority_span(url)
    at = url.rfind("@", start, end)
    if at < 0:
        return []
    info = url[start:at]
    user, _sep, password = info.partition(":")
    out = {info, unquote(info)}
    for part in (user, password):
        out.update((part, unquote(part)))
    # httpx sends the userinfo as "Authorization: Basic base64(user:password)": a server may echo that too.
    out.add(base64.b64encode(f"{unquote(user)}:{unquote(password)}".encode()).decode("ascii"))
    return sorted((x for x in out if len(x) >= 3), key=len, reverse=True)
