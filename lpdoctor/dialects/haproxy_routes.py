"""Which HAProxy backend serves a request, and that backend as a hop: ACLs evaluated three-valued (true, false,
cannot tell) the way HAProxy evaluates them, then the backend's timers (``mode tcp``: both idle cuts) as
:class:`~lpdoctor.model.hops.HopFacts`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lpdoctor.dialects.base import timer
from lpdoctor.dialects.config_regex import untrusted_match
from lpdoctor.dialects.haproxy_model import (
    COMPONENT,
    RETRY_ON_TIMEOUT,
    Acl,
    Line,
    Proxy,
    parse_acl,
)
from lpdoctor.model import Hop, HopKind, Semantics, Timeout
from lpdoctor.model.hops import SCOPE_DEFAULT, SCOPE_GLOBAL, SCOPE_ROUTE, HopFacts, RetryFacts
from lpdoctor.text.durations import fmt_s


@dataclass(slots=True)
class AclRequest:
    host: str | None
    path: str
    method: str

    @property
    def path_only(self) -> str:
        return self.path.split("?", 1)[0]


_PREDEFINED: dict[str, bool | None] = {
    "TRUE": True,
    "FALSE": False,
    "HTTP": True,
    "HTTP_1.1": True,
    "METH_GET": True,
    "METH_POST": False,
    "METH_HEAD": False,
    "METH_PUT": False,
    "METH_DELETE": False,
    "METH_OPTIONS": False,
    "METH_CONNECT": False,
    "METH_TRACE": False,
    "LOCALHOST": None,
}

_HOST_FETCH = re.compile(r"(?:req\.)?hdr(_beg|_end|_sub|_dom|_reg|_str)?\((?i:host)(?:,-?\d{1,3})?\)")
_FETCH_MATCH = {
    "path": ("path", "str"),
    "path_beg": ("path", "beg"),
    "path_end": ("path", "end"),
    "path_sub": ("path", "sub"),
    "path_dir": ("path", "dir"),
    "path_reg": ("path", "reg"),
    "path_len": ("path", "len"),
    "url": ("url", "str"),
    "url_beg": ("url", "beg"),
    "url_end": ("url", "end"),
    "url_sub": ("url", "sub"),
    "url_dir": ("url", "dir"),
    "url_reg": ("url", "reg"),
    "base": ("base", "str"),
    "base_beg": ("base", "beg"),
    "base_end": ("base", "end"),
    "base_sub": ("base", "sub"),
    "base_dir": ("base", "dir"),
    "base_reg": ("base", "reg"),
    "method": ("method", "str"),
}


def _fetch(criterion: str, req: AclRequest) -> tuple[str | None, str, bool]:
    """(sample, match method, known). ``sample`` None with known=True means "absent"."""
    m = _HOST_FETCH.fullmatch(criterion)
    if m:
        method = (m[1] or "_str")[1:]
        host = req.host.split(":", 1)[0] if req.host and not req.host.startswith("[") else req.host
        return host, method, req.host is not None
    if criterion in _FETCH_MATCH:
        what, method = _FETCH_MATCH[criterion]
        if what == "path":
            return req.path_only, method, True
        if what == "url":
            return req.path, method, True
        if what == "method":
            return req.method, method, True
        if req.host is None:
            return None, method, False
        return f"{req.host}{req.path_only}", method, True
    return None, "str", False


def _match(sample: str, method: str, pattern: str, icase: bool) -> bool | None:
    if icase and method != "reg":
        sample, pattern = sample.lower(), pattern.lower()
    if method == "str":
        return sample == pattern
    if method == "beg":
        return sample.startswith(pattern)
    if method == "end":
        return sample.endswith(pattern)
    if method == "sub":
        return pattern in sample
    if method == "dir":
        return pattern.strip("/") in [part for part in sample.split("/") if part] if pattern.strip("/") else False
    if method == "dom":
        return pattern.strip(".") in [part for part in re.split(r"[./?]", sample) if part] or (
            "." in pattern and ("." + pattern.strip(".") + ".") in ("." + sample + ".")
        )
    if method == "reg":
        if len(pattern) > 512:
            return None
        try:
            return untrusted_match(pattern, sample, flags=re.IGNORECASE if icase else 0)
        except re.error:
            return None
    if method == "len":
        return str(len(sample)) == pattern
    if method == "found":
        return True
    return None


def _eval_acl(acl: Acl, req: AclRequest) -> bool | None:
    if acl.criterion in _PREDEFINED and not acl.values:
        return _PREDEFINED[acl.criterion]
    if acl.criterion in ("always_true",):
        return True
    if acl.criterion in ("always_false",):
        return False
    sample, method, known = _fetch(acl.criterion, req)
    if not known:
        return None
    icase = "-i" in acl.flags
    if "-m" in acl.flags:
        i = acl.flags.index("-m")
        method = acl.flags[i + 1] if i + 1 < len(acl.flags) else method
    if "-f" in acl.flags or "-M" in acl.flags:
        return None  # patterns in a file lpdoctor was not given
    if sample is None:
        return False
    if method == "found":
        return True
    results = [_match(sample, method, v, icase) for v in acl.values]
    if any(r is True for r in results):
        return True
    if any(r is None for r in results):
        return None
    return False


def _named(name: str, frontend: Proxy, req: AclRequest) -> bool | None:
    acls = frontend.acls.get(name)
    if acls is None:
        return _PREDEFINED.get(name)
    results = [_eval_acl(a, req) for a in acls]
    if any(r is True for r in results):
        return True
    if any(r is None for r in results):
        return None
    return False


def _and(a: bool | None, b: bool | None) -> bool | None:
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return True


def _or(a: bool | None, b: bool | None) -> bool | None:
    if a is True or b is True:
        return True
    if a is None or b is None:
        return None
    return False


def evaluate_condition(kind: str | None, words: list[str], frontend: Proxy, req: AclRequest) -> bool | None:
    if kind is None:
        return True
    result: bool | None = False
    term: bool | None = True
    i = 0
    n = len(words)
    while i < n:
        w = words[i]
        if w in ("||", "or"):
            result = _or(result, term)
            term = True
            i += 1
            continue
        negate = False
        if w.startswith("!"):
            negate = True
            w = w[1:]
            if not w:
                i += 1
                w = words[i] if i < n else ""
        if w == "{":
            j = i + 1
            inner: list[str] = []
            while j < n and words[j] != "}":
                inner.append(words[j])
                j += 1
            value = _eval_acl(parse_acl(inner, Line("", 0, inner)), req) if inner else None
            i = j + 1
        else:
            value = _named(w, frontend, req)
            i += 1
        if negate and value is not None:
            value = not value
        term = _and(term, value)
    result = _or(result, term)
    if kind == "unless" and result is not None:
        return not result
    return result


def frontend_host_values(frontend: Proxy) -> list[str]:
    """Concrete host names the frontend's host ACLs test (for "which backend serves this path on any host")."""
    out: list[str] = []
    acls = [a for group in frontend.acls.values() for a in group]
    for rule in frontend.use_backends:
        if "{" in rule.cond:
            start = rule.cond.index("{") + 1
            end = rule.cond.index("}") if "}" in rule.cond else len(rule.cond)
            inner = rule.cond[start:end]
            if inner:
                acls.append(parse_acl(inner, rule.line))
    for acl in acls:
        m = _HOST_FETCH.fullmatch(acl.criterion)
        if m and (m[1] or "_str") in ("_str", "_dom", "_end") and "-m" not in acl.flags:
            out.extend(v.lower().lstrip(".") for v in acl.values if "*" not in v)
    return list(dict.fromkeys(out))


# ---- the hop


def _rule_values(frontend: Proxy, backend: Proxy) -> list[str]:
    """The ACL patterns of the rules that send requests to ``backend`` (what the block says it serves)."""
    out: list[str] = []
    for rule in frontend.use_backends:
        if rule.backend != backend.name:
            continue
        for word in rule.cond:
            name = word.lstrip("!")
            for acl in frontend.acls.get(name, []):
                out.extend(acl.values)
            if name not in frontend.acls and name not in ("{", "}", "||", "or"):
                out.append(name)
    return out


def _timeout_of(backend: Proxy, name: str, semantics: Semantics, default_note: str) -> tuple[Timeout, str]:
    setting, owner = backend.setting(name)
    if setting is None:
        return (
            timer(
                COMPONENT,
                f"timeout {name}",
                None,
                semantics,
                backend.location,
                explicit=False,
                note=default_note,
            ),
            SCOPE_DEFAULT,
        )
    note = None
    if setting.value_s is None:
        note = f"'timeout {name} {setting.raw}': 0 means no limit in HAProxy (it warns 'missing timeouts' at startup)"
    elif setting.raw.isdecimal() and setting.value_s < 1:
        note = (
            f"'timeout {name} {setting.raw}' is {fmt_s(setting.value_s)}: HAProxy reads a bare number as "
            f"milliseconds (write {setting.raw}s for seconds)"
        )
    scope = SCOPE_ROUTE if owner is backend else SCOPE_GLOBAL
    return timer(COMPONENT, setting.name, setting.value_s, semantics, setting.location, note=note), scope


TCP_IDLE_NOTE = "mode tcp: an idle timer on the stream; a silent connection is closed with no byte (an empty reply)"


def backend_hop_facts(frontend: Proxy, backend: Proxy, catch_all: bool) -> HopFacts:
    server, server_scope = _timeout_of(
        backend,
        "server",
        Semantics.IDLE,
        "unset: HAProxy waits forever for the server (and warns 'missing timeouts' at startup)",
    )
    name = f"haproxy {backend.label}" + (f" (via {frontend.label})" if frontend is not backend else "")
    notes: list[str] = []
    timeouts = [server]
    scope_of = {server.setting: server_scope}
    tcp = backend.effective_mode() != "http"
    if tcp:
        # [E] HAProxy 2.6.12, mode tcp, timeout client 2s / server 2s, a silent backend: every session ended
        # at 2 s with state cD and no byte (tests/test_e2e_proxies.py). Both are idle timers on the one stream.
        client_t, client_scope = _timeout_of(frontend, "client", Semantics.IDLE, "unset: HAProxy waits forever")
        for t in (server, client_t):
            t.note = TCP_IDLE_NOTE + (f"; {t.note}" if t.note else "")
        timeouts.append(client_t)
        scope_of[client_t.setting] = client_scope
        notes.append(
            f"{backend.label} runs in mode tcp: HAProxy sees a byte stream, not requests; timeout client and "
            "timeout server both close a silent stream (clients get an empty reply, not a 504)"
        )
    tunnel, _ = backend.setting("tunnel")
    if tunnel is not None:
        notes.append(
            f"timeout tunnel {tunnel.raw} ({tunnel.location.file}:{tunnel.location.line}) applies only to "
            "upgraded connections (WebSocket, CONNECT), not to a long-poll: timeout server governs it"
        )
    client, _ = frontend.setting("client")
    if client is not None and client.value_s is not None and not tcp:
        notes.append(
            f"timeout client {client.raw} ({client.location.file}:{client.location.line}) does not end a held "
            "GET whose request was fully received (HAProxy 2.6, tested): only timeout server does"
        )
    connect, _ = backend.setting("connect")
    if connect is None or connect.value_s is None:
        notes.append("timeout connect is unset: a server that never accepts is waited on forever")

    retries, retries_line = backend.effective_retries()
    retry_on, retry_on_line = backend.effective_retry_on()
    on_timeout = any(c in RETRY_ON_TIMEOUT for c in retry_on) or "all" in retry_on
    if "none" in retry_on:
        on_timeout = False
    attempts = (retries + 1) if on_timeout else 1
    servers = len(backend.servers) or None
    hop = Hop(
        kind=HopKind.PROXY,
        component=COMPONENT,
        name=name,
        timeouts=timeouts,
        attempts=attempts,
        location=backend.location,
    )
    retry_where = retry_on_line or retries_line
    retry = RetryFacts(
        directive="retry-on",
        conditions=" ".join(retry_on),
        location=retry_where.where(backend.context) if retry_where else backend.location,
        explicit=retry_on_line is not None,
        on_timeout=on_timeout,
        attempts=attempts,
        servers=servers,
        upstream=backend.name,
        upstream_location=backend.location,
    )
    if on_timeout:
        redispatch = backend.effective_redispatch()
        notes.append(
            f"retry-on {' '.join(retry_on)} with retries {retries}: a request cut by timeout server is sent "
            f"again, up to {attempts} attempts"
            + (" (option redispatch: the last one may go to another server)" if redispatch else "")
        )
    accept_idle = None
    for name_ in ("http-keep-alive", "http-request", "client"):
        s, _ = frontend.setting(name_)
        if s is not None:
            if s.value_s:
                accept_idle = timer(COMPONENT, s.name, s.value_s, Semantics.IDLE, s.location)
            break
    route_text = " ".join([frontend.name or "", backend.name or "", *_rule_values(frontend, backend)])
    route_text += " " + " ".join(s[0] for s in backend.servers)
    return HopFacts(
        hop=hop,
        block=backend.location,
        block_label=backend.label,
        scope_of=scope_of,
        retry=retry,
        accept_idle=accept_idle,
        route_text=route_text,
        catch_all=catch_all,
        notes=notes,
    )
