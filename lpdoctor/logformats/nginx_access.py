"""nginx access logs: the built-in formats, any ``log_format`` string, and JSON written with ``escape=json``.

Built-in formats, auto-detected:

- ``nginx-combined`` — nginx's default ``combined`` (and the stock ``main``, which adds
  ``"$http_x_forwarded_for"``). No timing: statuses and hold parameters only.
- ``nginx-timing`` — ``combined`` followed by positional timing fields such as
  ``$request_time $upstream_response_time $upstream_status`` (any such tail: the reader guesses each field).
- ``ingress-nginx`` — ingress-nginx's default ``upstreaminfo`` log_format, read as that ``log_format`` (the
  compiled path walks it field by field).
- ``nginx-kv`` — ``combined`` followed by ``key=value`` timing (``rt= uct="…" uht="…" urt="…"``), the style of
  nginx's own admin guide.
- ``nginx-json`` — one JSON object per line (``escape=json``: missing values are ``""`` rather than ``-``).

A custom ``log_format`` (``--log-format`` or read from nginx.conf) is compiled into a linear-time regular
expression: every variable is matched by a character class that cannot run past the literal text after it, so a
hostile line can never make it backtrack.

Multi-value upstream fields (``"0.002, 30.001"``, ``"502, 504"``, ``" : "`` after internal redirects, ``-``) are
kept as :class:`~lpdoctor.model.UpstreamTry` values, one per attempt.
"""

from __future__ import annotations

import calendar
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from lpdoctor.logformats.base import LogFormat, Parsed
from lpdoctor.logformats.layout import LayoutError, TextField, TextLayout, layout_regex, walkable
from lpdoctor.model import Outcome, RequestRecord, UpstreamTry, outcome_from_status

# --------------------------------------------------------------------------------------------- values

_MONTHS = {m: i for i, m in enumerate(calendar.month_abbr) if m}
_NGINX_LOCAL = re.compile(r"(\d{2})/([A-Z][a-z]{2})/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?")


def _none(value: str | None) -> str | None:
    if value is None:
        return None
    v = value.strip()
    return None if v in ("", "-") else v


def parse_float(value: str | None) -> float | None:
    v = _none(value)
    if v is None or len(v) > 32:
        return None
    try:
        f = float(v)
    except ValueError:
        return None
    if not math.isfinite(f) or f < 0:
        return None
    return f


def parse_int(value: str | None) -> int | None:
    v = _none(value)
    if v is None or not v.isdecimal() or len(v) > 9:
        return None
    return int(v)


class _TimeCache:
    """Timestamps repeat for every request in the same second: parse each once."""

    __slots__ = ("_key", "_value")

    def __init__(self) -> None:
        self._key: str | None = None
        self._value: float | None = None

    def local(self, text: str | None) -> float | None:
        if not text:
            return None
        if text == self._key:
            return self._value
        m = _NGINX_LOCAL.match(text)
        value = None
        if m:
            day, mon, year, hh, mm, ss, sign, oh, om = m.groups()
            month = _MONTHS.get(mon)
            if month:
                try:
                    epoch = calendar.timegm((int(year), month, int(day), int(hh), int(mm), int(ss), 0, 0, 0))
                    offset = (int(oh) * 3600 + int(om) * 60) * (1 if sign == "+" else -1)
                    value = float(epoch - offset)
                except (ValueError, OverflowError):
                    value = None
        self._key, self._value = text, value
        return value

    def iso(self, text: str | None) -> float | None:
        if not text:
            return None
        m = _ISO.match(text)
        if not m:
            return None
        try:
            y, mo, d, hh, mi, ss = (int(g) for g in m.groups()[:6])
            epoch = float(calendar.timegm((y, mo, d, hh, mi, ss, 0, 0, 0)))
        except (ValueError, OverflowError):
            return None
        frac = m.group(7)
        if frac:
            epoch += float("0." + frac)
        tz = m.group(8)
        if tz and tz != "Z":
            tzs = tz.replace(":", "")
            offset = int(tzs[1:3]) * 3600 + int(tzs[3:5]) * 60
            epoch -= offset if tzs[0] == "+" else -offset
        return epoch


def split_upstream(value: str | None) -> tuple[list[str | None], int]:
    """``"a, b : c"`` → ``(["a", "b", "c"], 1)``: every attempt, and the number of internal redirects."""
    v = value.strip() if value else ""
    if not v:
        return [], 0
    groups = v.split(" : ")
    out: list[str | None] = []
    for group in groups:
        for item in group.split(","):
            out.append(_none(item))
    return out, len(groups) - 1


def build_upstream(
    addr: str | None, status: str | None, connect: str | None, header: str | None, response: str | None
) -> tuple[tuple[UpstreamTry, ...], int]:
    joined = f"{addr or ''}\n{status or ''}\n{connect or ''}\n{header or ''}\n{response or ''}"
    if "," not in joined and " : " not in joined:
        # Fast path, the common case: at most one attempt, no separators to split on.
        if not joined.strip():
            return (), 0
        only = UpstreamTry(  # (absent and empty fields are None: not worth a call each)
            addr=_none(addr) if addr else None,
            status=parse_int(status) if status else None,
            connect_s=parse_float(connect) if connect else None,
            header_s=parse_float(header) if header else None,
            response_s=parse_float(response) if response else None,
        )
        return (only,), 0
    addrs, redirects = split_upstream(addr)
    statuses, r2 = split_upstream(status)
    connects, _ = split_upstream(connect)
    headers, _ = split_upstream(header)
    responses, r3 = split_upstream(response)
    n = max(len(addrs), len(statuses), len(connects), len(headers), len(responses))
    if n == 0:
        return (), 0
    n = min(n, 64)

    def at(seq: list[str | None], i: int) -> str | None:
        return seq[i] if i < len(seq) else None

    tries = tuple(
        UpstreamTry(
            addr=at(addrs, i),
            status=parse_int(at(statuses, i)),
            connect_s=parse_float(at(connects, i)),
            header_s=parse_float(at(headers, i)),
            response_s=parse_float(at(responses, i)),
        )
        for i in range(n)
    )
    return tries, max(redirects, r2, r3)


_REQUEST = re.compile(r"([A-Z][A-Z_-]{0,19}) (\S{1,65536})(?: (HTTP/[0-9.]{1,5}))?")


def split_request(request: str | None) -> tuple[str | None, str | None]:
    """``GET /path?q HTTP/1.1`` → ``("GET", "/path?q")``; anything else → ``(None, None)``."""
    if not request:
        return None, None
    m = _REQUEST.fullmatch(request)
    if not m:
        return None, None
    return m.group(1), m.group(2)


# Field names people use for the same nginx variable (key=value logs, JSON logs).
ALIASES: dict[str, str] = {
    "rt": "request_time",
    "request_time": "request_time",
    "reqtime": "request_time",
    "urt": "upstream_response_time",
    "uprt": "upstream_response_time",
    "upstream_response_time": "upstream_response_time",
    "uht": "upstream_header_time",
    "upstream_header_time": "upstream_header_time",
    "uct": "upstream_connect_time",
    "upstream_connect_time": "upstream_connect_time",
    "us": "upstream_status",
    "ust": "upstream_status",
    "upstat": "upstream_status",
    "upstream_status": "upstream_status",
    "ua": "upstream_addr",
    "upadd": "upstream_addr",
    "upstream_addr": "upstream_addr",
    "upstream": "upstream_addr",
    "status": "status",
    "request": "request",
    "method": "request_method",
    "request_method": "request_method",
    "request_uri": "request_uri",
    "uri": "uri",
    "path": "request_uri",
    "args": "args",
    "query_string": "args",
    "host": "host",
    "http_host": "host",
    "vhost": "host",
    "server_name": "server_name",
    "remote_addr": "remote_addr",
    "client": "remote_addr",
    "time_local": "time_local",
    "time_iso8601": "time_iso8601",
    "time": "time",
    "@timestamp": "time",
    "timestamp": "time",
    "msec": "msec",
}

TIMING_VARS = frozenset({"request_time", "upstream_response_time", "upstream_header_time"})

# What _RecordBuilder.build makes of each variable, for the compiled path of JSON lines
# (lpdoctor/scan/fastpath.py) and of text log_formats: "key" (read as it is), "request" ($request), "status",
# "duration" (seconds),
# "response" (the upstream's response time: its value, and whether there is one), "presence" (an upstream time
# of which only "", "-" or a number matters), "upstream" (one try's $upstream_addr or $upstream_status),
# "time" (ISO 8601; "time_alt": $time, read when $time_iso8601 is empty), "clf" ($time_local), "decimal" ($msec,
# a number of seconds), "skip" (not read), or "python" (read in a way the compiled path does not follow: a line
# with it goes to the Python parser). Every variable ALIASES names has a role (tests/test_fastpath.py); one it
# does not name (a text log_format's $request_length ...) is "skip".
FAST_ROLES: dict[str, str] = {
    "request": "request",
    "status": "status",
    "request_time": "duration",
    "upstream_response_time": "response",
    "upstream_header_time": "presence",
    "upstream_connect_time": "presence",
    "upstream_addr": "upstream",
    "upstream_status": "upstream",
    "host": "key",
    "http_host": "key",
    "server_name": "key",
    "time": "time_alt",
    "time_iso8601": "time",
    "remote_addr": "skip",
    "time_local": "clf",
    "msec": "decimal",
    "request_method": "python",
    "request_uri": "python",
    "uri": "python",
    "args": "python",
}


# Every status a log line can hold (three digits; 0 when nothing was sent), mapped once.
_OUTCOMES: dict[int | None, Outcome] = {code: outcome_from_status(code) for code in range(1000)}


class _RecordBuilder:
    """Turns a ``{nginx variable: raw value}`` dict into a :class:`RequestRecord`."""

    def __init__(self) -> None:
        self.times = _TimeCache()

    def build(self, v: Mapping[str, str | None], line_no: int, source: str) -> RequestRecord | None:
        method, target = split_request(v.get("request"))
        if v.get("request_method"):
            method = _none(v["request_method"]) or method
        uri = _none(v.get("request_uri"))
        if uri is None and v.get("uri") is not None and _none(v["uri"]) is not None:
            uri = v["uri"]
            args = _none(v.get("args"))
            if args:
                uri = f"{uri}?{args}"
        if uri is not None:
            target = uri
        status_raw = v.get("status")
        status = parse_int(status_raw)
        if (status is None and _none(status_raw) is not None) or (status is not None and status > 999):
            return None  # a status field that is not a status (three digits, 0 for none): not this format
        if target is None and status is None:
            return None
        duration = parse_float(v.get("request_time"))
        tries, redirects = build_upstream(
            v.get("upstream_addr"),
            v.get("upstream_status"),
            v.get("upstream_connect_time"),
            v.get("upstream_header_time"),
            v.get("upstream_response_time"),
        )
        time = self.times.local(v.get("time_local"))
        if time is None:
            raw_time = v.get("time_iso8601") or v.get("time")
            if raw_time:
                time = self.times.iso(raw_time) or self.times.local(raw_time)
        if time is None and v.get("msec"):
            time = parse_float(v.get("msec"))
        host = _none(v.get("host")) or _none(v.get("http_host")) or _none(v.get("server_name"))
        header_s = tries[-1].header_s if tries else None
        outcome = _OUTCOMES.get(status) or outcome_from_status(status)
        return RequestRecord(
            source=source,
            line=line_no,
            proxy="nginx",
            target=target,
            status=status,
            duration_s=duration,
            outcome=outcome,
            method=method,
            host=host,
            time=time,
            client=_none(v.get("remote_addr")),
            upstream=tries,
            redirects=redirects,
            header_s=header_s,
        )


# ------------------------------------------------------------------------------- log_format compiler

_VAR = re.compile(r"\$(?:\{([A-Za-z0-9_]{1,64})\}|([A-Za-z0-9_]{1,64}))")
# Variables whose values may contain ", " or " : " (several upstreams, several forwarded addresses).
_MULTI_VALUE = frozenset(
    {
        "upstream_addr",
        "upstream_status",
        "upstream_connect_time",
        "upstream_header_time",
        "upstream_response_time",
        "upstream_response_length",
        "upstream_bytes_received",
        "upstream_bytes_sent",
        "upstream_queue_time",
        "upstream_cache_status",
        "http_x_forwarded_for",
        "proxy_add_x_forwarded_for",
    }
)


class LogFormatError(ValueError):
    """A ``log_format`` string lpdoctor cannot turn into a parser; the message says why."""


@dataclass(frozen=True)
class CompiledLogFormat:
    """A ``log_format`` turned into a parser: a text layout and its linear regex, or a JSON key map for JSON
    templates."""

    name: str
    variables: tuple[str, ...]
    regex: re.Pattern[str] | None
    json_keys: dict[str, str] | None  # JSON key -> nginx variable
    layout: TextLayout | None = None  # the text template's literals and fields (the regex is made of it)

    @property
    def has_timing(self) -> bool:
        return any(v in TIMING_VARS for v in self.variables)


def tokenize_log_format(fmt: str) -> list[tuple[str, str]]:
    """``'$a - [$b]'`` → ``[("var", "a"), ("lit", " - ["), ("var", "b"), ("lit", "]")]``."""
    tokens: list[tuple[str, str]] = []
    pos = 0
    for m in _VAR.finditer(fmt):
        if m.start() > pos:
            tokens.append(("lit", fmt[pos : m.start()]))
        tokens.append(("var", m.group(1) or m.group(2)))
        pos = m.end()
    if pos < len(fmt):
        tokens.append(("lit", fmt[pos:]))
    return tokens


_JSON_KEY = re.compile(r'"([^"\\]{1,128})"\s{0,8}:\s{0,8}"?\$\{?([A-Za-z0-9_]{1,64})')


def log_format_layout(fmt: str) -> TextLayout:
    """The literals and fields of a text ``log_format`` (each field an nginx variable, with its role)."""
    fields: list[TextField] = []
    literal = ""
    for kind, value in tokenize_log_format(fmt):
        if kind == "lit":
            literal = value
            continue
        fields.append(TextField(literal, value, FAST_ROLES.get(value, "skip"), value in _MULTI_VALUE))
        literal = ""
    return TextLayout(tuple(fields), literal)


def compile_log_format(fmt: str, name: str = "custom") -> CompiledLogFormat:
    """Compile an nginx ``log_format`` string (the concatenated text, without ``escape=``)."""
    if len(fmt) > 10000:
        raise LogFormatError("log_format is longer than 10000 characters")
    tokens = tokenize_log_format(fmt)
    variables = tuple(t[1] for t in tokens if t[0] == "var")
    if not variables:
        raise LogFormatError("log_format has no $variables")
    if fmt.lstrip().startswith("{"):
        keys = {k: var for k, var in _JSON_KEY.findall(fmt)}
        if keys:
            return CompiledLogFormat(name, variables, None, keys)
    layout = log_format_layout(fmt)
    try:
        regex = layout_regex(layout)
    except LayoutError as exc:
        raise LogFormatError(str(exc)) from None
    return CompiledLogFormat(name, variables, regex, None, layout)


def _python_only(names: list[str]) -> str:
    return f'it logs {", ".join(names)}, which only the Python reader reads ("$request" in their place is read in C)'


def _layout_obstacle(layout: TextLayout) -> str | None:
    """Why the compiled path cannot read lines of ``layout``, in a few words naming only nginx variables (never
    the format's text); None when it can (see :func:`fast_layout`)."""
    names = [f.name for f in layout.fields if f.role != "skip"]
    python = sorted({f"${f.name}" for f in layout.fields if f.role == "python"})
    if python:
        return _python_only(python)
    twice = sorted({f"${n}" for n in names if names.count(n) > 1})
    if twice:
        return f"it logs {', '.join(twice)} twice"
    missing = [f"${n}" for n in ("request", "status") if n not in names]
    if missing:
        return f"it has no {' or '.join(missing)}"
    if not walkable(layout) or len(names) > 62:  # (the scanner's variables)
        return "its text between variables (characters outside ASCII, or a field the text after it does not end)"
    return None


def fast_layout(layout: TextLayout) -> bool:
    """Whether the compiled path reads lines of ``layout`` (else the Python reader reads them all): one it can
    walk (:func:`~lpdoctor.logformats.layout.walkable`: ASCII literals, each field of several values followed by
    a literal that starts with a space, a comma or a quote, or by nothing), with ``$request`` and ``$status``,
    no variable it leaves to Python (``$request_uri``, ``$uri``, ``$args``, ``$request_method``), none of those it
    reads twice (the reader keeps the last)."""
    return _layout_obstacle(layout) is None


def _json_obstacle(keys: Mapping[str, str]) -> str | None:
    """Why the compiled path cannot read the lines of a JSON ``log_format`` with these keys (key → nginx
    variable); None when it can: ASCII keys of at most 63 characters, none of a variable it leaves to Python,
    no more than its table holds with :data:`ALIASES` (looked up after them)."""
    python = sorted({f"${v}" for v in keys.values() if FAST_ROLES.get(v, "skip") == "python"})
    if python:
        return _python_only(python)
    if len(keys) + len(ALIASES) > 128 or not all(k.isascii() and 0 < len(k) <= 63 for k in keys):
        return "a key outside ASCII, longer than 63 characters, or too many keys"
    return None


def _obstacle(compiled: CompiledLogFormat) -> str | None:
    if compiled.json_keys is not None:
        return _json_obstacle(compiled.json_keys)
    return _layout_obstacle(compiled.layout) if compiled.layout is not None else None


def slow_reason(fmt: str) -> str | None:
    """Why the compiled path does not read lines of the ``log_format`` ``fmt`` (so the Python reader reads
    every line, 20-50x slower), in a few words; None when it reads them, or when ``fmt`` does not compile.
    Names only nginx variables (``[A-Za-z0-9_]``), never the format's literal text."""
    try:
        return _obstacle(compile_log_format(fmt))
    except LogFormatError:
        return None


def make_custom_format(fmt: str, name: str = "custom") -> LogFormat:
    """A :class:`LogFormat` for a user-given ``log_format`` (``--log-format`` or ``--nginx-conf``)."""
    return log_format_reader(fmt, f"nginx-log_format:{name}", f"nginx log_format {name}", 100)


def log_format_reader(fmt: str, name: str, description: str, priority: int) -> LogFormat:
    """A :class:`LogFormat` named ``name`` that reads the lines of the nginx ``log_format`` ``fmt``."""
    compiled = compile_log_format(fmt, name)
    layout = compiled.layout
    var_at = {f"v{n}": field.name for n, field in enumerate(layout.fields)} if layout is not None else {}

    def factory() -> Callable[[str, int, str], Parsed | None]:
        if compiled.json_keys is not None:
            return _json_parser(compiled.json_keys)
        builder = _RecordBuilder()
        regex = compiled.regex
        assert regex is not None

        def parse(line: str, line_no: int, source: str) -> Parsed | None:
            if len(line) > 65536:
                return None
            m = regex.match(line)
            if not m:
                return None
            values = {var_at[g]: val for g, val in m.groupdict().items() if val is not None}
            return builder.build(values, line_no, source)

        return parse

    keys = compiled.json_keys
    fast = None if _obstacle(compiled) else "json" if keys is not None else "fields"
    return LogFormat(
        name=name,
        kind="access",
        has_timing=compiled.has_timing,
        make_parser=factory,
        priority=priority,
        description=description,
        fast=fast,
        layouts=(layout,) if fast == "fields" and layout is not None else (),
        json_keys=keys if fast == "json" else None,
    )


# ----------------------------------------------------------------------------------- JSON lines


def _json_parser(key_map: dict[str, str] | None = None) -> Callable[[str, int, str], Parsed | None]:
    builder = _RecordBuilder()

    def parse(line: str, line_no: int, source: str) -> Parsed | None:
        s = line.strip()
        if not s.startswith("{") or len(s) > 65536:
            return None
        try:
            obj = json.loads(s)
        except (ValueError, RecursionError):
            return None
        if not isinstance(obj, dict):
            return None
        values: dict[str, str] = {}
        for key, raw in obj.items():
            if not isinstance(key, str):
                continue
            var = key_map.get(key) if key_map is not None else None
            if var is None:
                var = ALIASES.get(key.lower())
            if var is None:
                continue
            if isinstance(raw, bool) or raw is None:
                continue
            if isinstance(raw, int | float):
                if isinstance(raw, float) and not math.isfinite(raw):
                    continue
                values[var] = str(raw)
            elif isinstance(raw, str):
                values[var] = raw
        if "status" not in values or not ("request" in values or "request_uri" in values or "uri" in values):
            return None
        return builder.build(values, line_no, source)

    return parse


# ------------------------------------------------------------------- combined, with or without a tail

_COMBINED = re.compile(
    r"(?P<remote_addr>[^ ]{1,256}) [^ ]{1,256} (?P<remote_user>[^ ]{1,256}) \[(?P<time_local>[^\]]{1,64})\] "
    r'"(?P<request>[^"]{0,65536})" (?P<status>\d{3}|-) (?P<body_bytes_sent>\d{1,20}|-)'
    r'(?: "(?P<http_referer>[^"]{0,65536})" "(?P<http_user_agent>[^"]{0,65536})")?'
    r"(?P<tail>.{0,65536})"
)
_TAIL_TOKEN = re.compile(r'\s{0,64}(?:([A-Za-z_@][A-Za-z0-9_.@-]{0,63})=)?("[^"]{0,65536}"|[^\s"]{1,65536})')
_TIME_VALUE = re.compile(r"(?:\d{1,9}\.\d{3}|-)(?:(?:, | : )(?:\d{1,9}\.\d{3}|-)){0,64}")
_STATUS_VALUE = re.compile(r"(?:\d{3}|-)(?:(?:, | : )(?:\d{3}|-)){0,64}")
_ADDR_VALUE = re.compile(r"(?:unix:|\[?[0-9A-Fa-f:.]{2,64}\]?:\d{1,5})")
# The most common tail by far, " $request_time $upstream_response_time $upstream_status" with one upstream try:
# read directly. It gives exactly what _tail_tokens + _classify_tail give for it (tested against them).
_SIMPLE_TIMING_TAIL = re.compile(r" (\d{1,9}\.\d{3}) (\d{1,9}\.\d{3}|-) (\d{3}|-)")


def _tail_tokens(tail: str) -> list[tuple[str | None, str, bool]] | None:
    """Split a tail into ``(key or None, value, quoted)`` tokens, joining multi-value runs (``a, b : c``)."""
    tokens: list[tuple[str | None, str, bool]] = []
    pos = 0
    n = len(tail)
    while pos < n:
        if tail[pos:].strip() == "":
            break
        m = _TAIL_TOKEN.match(tail, pos)
        if not m or m.end() == pos:
            return None
        key, raw = m.group(1), m.group(2)
        quoted = raw.startswith('"')
        value = raw[1:-1] if quoted and len(raw) >= 2 else raw
        pos = m.end()
        if not quoted:
            # Join "0.002," "30.001" and ":" separators of unquoted multi-value fields.
            while True:
                if value.endswith(",") and pos < n:
                    nm = _TAIL_TOKEN.match(tail, pos)
                    if not nm or nm.group(1):
                        break
                    value = value + " " + nm.group(2)
                    pos = nm.end()
                    continue
                if tail.startswith(" : ", pos):
                    nm = _TAIL_TOKEN.match(tail, pos + 3)
                    if not nm or nm.group(1):
                        break
                    value = value + " : " + nm.group(2)
                    pos = nm.end()
                    continue
                break
        tokens.append((key, value, quoted))
    return tokens


def _classify_tail(tokens: list[tuple[str | None, str, bool]]) -> tuple[dict[str, str], bool, bool]:
    """Map tail tokens to nginx variables. Returns (values, saw_key_value_timing, saw_positional_timing)."""
    values: dict[str, str] = {}
    kv_timing = False
    positional_timing = False
    slots = ["request_time", "upstream_response_time", "upstream_status"]
    next_slot = 0
    for key, value, quoted in tokens:
        if key is not None:
            var = ALIASES.get(key.lower())
            if var:
                values[var] = value
                if var in TIMING_VARS:
                    kv_timing = True
            continue
        if quoted:
            continue  # "$http_x_forwarded_for", "$host" ... positional strings carry no timing
        if next_slot < 2 and _TIME_VALUE.fullmatch(value) and (value != "-" or next_slot == 1):
            if value == "-" and next_slot == 0:
                continue
            values[slots[next_slot]] = value
            positional_timing = positional_timing or slots[next_slot] == "request_time"
            next_slot += 1
            continue
        if next_slot == 2 and _STATUS_VALUE.fullmatch(value):
            values["upstream_status"] = value
            next_slot = 3
            continue
        if _ADDR_VALUE.match(value) and "upstream_addr" not in values:
            values["upstream_addr"] = value
    return values, kv_timing, positional_timing


def _combined_parser(style: str) -> Callable[[str, int, str], Parsed | None]:
    """``style``: "plain" (no timing in the tail), "kv" or "positional"."""
    builder = _RecordBuilder()

    def parse(line: str, line_no: int, source: str) -> Parsed | None:
        if len(line) > 200000:
            return None
        m = _COMBINED.fullmatch(line.rstrip())
        if not m:
            return None
        values = m.groupdict()  # unmatched optional groups are None, which build() reads as absent
        tail = values.pop("tail") or ""
        simple = _SIMPLE_TIMING_TAIL.fullmatch(tail) if style == "positional" else None
        if simple:
            values["request_time"], values["upstream_response_time"], values["upstream_status"] = simple.groups()
        elif tail.strip():
            tokens = _tail_tokens(tail)
            if tokens is None:
                return None
            tail_values, kv, positional = _classify_tail(tokens)
            if style == "kv" and not kv:
                return None
            if style == "positional" and (kv or not positional):
                return None
            if style == "plain" and (kv or positional):
                return None
            values.update(tail_values)
        elif style != "plain":
            return None
        return builder.build(values, line_no, source)

    return parse


# ingress-nginx's default log_format (its ConfigMap's log-format-upstream):
# https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/log-format/
UPSTREAMINFO = (
    '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" '
    '"$http_user_agent" $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] '
    "$upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id"
)

FORMATS: list[LogFormat] = [
    # (above nginx-timing, which reads these lines too, by guessing what each field of the tail is)
    log_format_reader(UPSTREAMINFO, "ingress-nginx", "ingress-nginx's upstreaminfo log_format", 22),
    LogFormat(
        name="nginx-json",
        kind="access",
        has_timing=True,
        make_parser=lambda: _json_parser(None),
        priority=30,
        description="JSON lines (log_format escape=json)",
        fast="json",
    ),
    LogFormat(
        name="nginx-kv",
        kind="access",
        has_timing=True,
        make_parser=lambda: _combined_parser("kv"),
        priority=25,
        description='combined + key=value timing (rt= uct="…" uht="…" urt="…")',
        fast="kv",
    ),
    LogFormat(
        name="nginx-timing",
        kind="access",
        has_timing=True,
        make_parser=lambda: _combined_parser("positional"),
        priority=20,
        description="combined + $request_time $upstream_response_time $upstream_status …",
        fast="timing",
    ),
    LogFormat(
        name="nginx-combined",
        kind="access",
        has_timing=False,
        make_parser=lambda: _combined_parser("plain"),
        priority=10,
        description="nginx combined / main (no timing)",
        aliases=("combined", "main"),
        fast="combined",
    ),
]
