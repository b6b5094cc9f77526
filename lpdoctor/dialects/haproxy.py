"""HAProxy configuration (``haproxy.cfg``) → the hop that serves each request, with its timers.

What the reader understands (haproxy ``doc/configuration.txt``; research: shared/research/timeouts.md table A):

- sections ``global``, ``defaults [name] [from name]``, ``frontend|backend|listen name [from name]``; a proxy
  inherits every setting it does not set from the last ``defaults`` before it (or the named one);
- timers ``timeout server|client|connect|http-request|http-keep-alive|queue|tunnel|...`` in HAProxy's time
  syntax: a bare number is **milliseconds**, units ``us ms s m h d`` (``1m30s`` is not one: 2.6 reads ``1m``
  and warns). ``0`` or unset is **no limit** (HAProxy warns "missing timeouts" at startup);
- routing: ``use_backend <be> if|unless <condition>`` in order, then ``default_backend``; conditions over named
  ``acl`` lines and anonymous ``{ ... }`` ACLs, with ``!``, AND by juxtaposition and ``||``/``or``. Fetches
  understood: ``path``, ``path_beg``, ``path_end``, ``path_sub``, ``path_dir``, ``path_reg``, ``url*``,
  ``base*``, ``hdr(host)`` and friends, ``method``; the predefined ``TRUE``/``FALSE``/``METH_GET``/``HTTP``.
  Anything else is "unknown": a rule that depends on it is taken as not matching, with a note.

Which timers end a held GET:

- ``timeout server`` (backend side, idle: any byte from the server resets it) — **the** long-poll timer:
  [E] HAProxy 2.6 answered 504 with ``sH--`` and ``Tr=-1`` when it struck before the response headers;
- ``timeout client`` did **not** cut a held GET in tests ([E] 2.6, 5 s hold, ``timeout client 2s``: 200),
  so it is not a hop timer; ``timeout tunnel`` applies only to upgraded connections (WebSocket), not to a
  long-poll; ``timeout http-request`` bounds receiving the request headers, ``timeout connect`` the TCP
  connect: neither can end a request already held. They are kept on :class:`Proxy` and shown as notes.
- ``retries`` re-sends a request on a new connection only for the ``retry-on`` conditions (default
  ``conn-failure``); with ``response-timeout`` (or ``all-retryable-errors``) in it, each timed-out attempt
  is replayed, so the client waits up to (retries + 1) × ``timeout server``. ``option redispatch`` lets the
  retry go to another server.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from lpdoctor.dialects.base import ConfigReadError, Frontend, RoutedSource, read_text
from lpdoctor.dialects.haproxy_model import (
    BACKEND_SIDE,
    COMPONENT,
    FRONTEND_SIDE,
    LEGACY_TIMERS,
    OTHER_SECTIONS,
    SECTION_KEYWORDS,
    TIMER_NAMES,
    HaproxyConfigError,
    Line,
    Proxy,
    Setting,
    UseBackend,
    parse_acl,
    parse_time,
    split_words,
)
from lpdoctor.dialects.haproxy_routes import AclRequest, backend_hop_facts, evaluate_condition, frontend_host_values
from lpdoctor.model.hops import HopFacts


@dataclass(slots=True)
class HaproxyConfig:
    files: list[str]
    proxies: dict[str, Proxy] = field(default_factory=dict)  # frontend/backend/listen by name
    defaults: list[Proxy] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    _facts: dict[tuple[str, str], HopFacts] = field(default_factory=dict)

    @property
    def main_file(self) -> str:
        return self.files[0] if self.files else "haproxy.cfg"

    def frontends(self) -> list[Proxy]:
        return [p for p in self.proxies.values() if p.kind in ("frontend", "listen") and p.binds]

    def backend(self, name: str) -> Proxy | None:
        p = self.proxies.get(name)
        return p if p is not None and p.has_backend else None

    # -- routing

    def route(
        self, frontend: Proxy, host: str | None, path: str, method: str = "GET"
    ) -> tuple[Proxy | None, list[str]]:
        """The backend HAProxy picks for ``method host path`` on ``frontend``, and notes on rules it could
        not evaluate."""
        notes: list[str] = []
        if frontend.effective_mode() != "http":
            target = frontend.default_backend[0] if frontend.default_backend else None
            if target is None and frontend.kind == "listen":
                return frontend, notes
            return (self.backend(target) if target else None), notes
        req = AclRequest(host=host, path=path, method=method)
        for rule in frontend.use_backends:
            verdict = evaluate_condition(rule.cond_kind, rule.cond, frontend, req)
            if verdict is None:
                notes.append(
                    f"{rule.line.file}:{rule.line.line}: use_backend {rule.backend} has a condition lpdoctor "
                    "cannot evaluate; it was taken as not matching"
                )
                continue
            if verdict:
                if "%[" in rule.backend:
                    notes.append(
                        f"{rule.line.file}:{rule.line.line}: use_backend {rule.backend} picks its backend at "
                        "run time; lpdoctor cannot tell which"
                    )
                    return None, notes
                return self.backend(rule.backend), notes
        if frontend.default_backend is not None:
            return self.backend(frontend.default_backend[0]), notes
        if frontend.kind == "listen":
            return frontend, notes
        return None, notes

    def hop_facts(self, frontend: Proxy, backend: Proxy, notes: list[str], catch_all: bool) -> HopFacts:
        key = (frontend.label, backend.label)
        cached = self._facts.get(key)
        if cached is None:
            cached = backend_hop_facts(frontend, backend, catch_all)
            self._facts[key] = cached
        for note in notes:
            if note not in cached.notes:
                cached.notes.append(note)
        return cached

    def pick(self, frontend: Proxy, host: str | None, path: str) -> HopFacts | None:
        backend, notes = self.route(frontend, host, path)
        if backend is None:
            return None
        catch_all = frontend.default_backend is not None and backend.name == frontend.default_backend[0]
        if frontend.kind == "listen" and backend is frontend:
            catch_all = True
        return self.hop_facts(frontend, backend, notes, catch_all)

    def source(self) -> RoutedSource:
        frontends = [
            Frontend(name=fe.label, hosts=[], pick=self._picker(fe), probe_hosts=frontend_host_values(fe))
            for fe in self.frontends()
        ]
        return RoutedSource(
            COMPONENT,
            self.main_file,
            frontends,
            self.warnings,
            every_hop=self._every_hop,
            files=self.files,
            dialect="haproxy",
        )

    def _picker(self, fe: Proxy) -> Callable[[str | None, str], HopFacts | None]:
        def pick(host: str | None, path: str) -> HopFacts | None:
            return self.pick(fe, host, path)

        return pick

    def _every_hop(self) -> Iterator[HopFacts]:
        for fe in self.frontends():
            names = [u.backend for u in fe.use_backends]
            if fe.default_backend:
                names.append(fe.default_backend[0])
            for name in dict.fromkeys(names):
                be = self.backend(name)
                if be is not None:
                    yield self.hop_facts(fe, be, [], name == (fe.default_backend or ("",))[0])
            if fe.kind == "listen" and not names:
                yield self.hop_facts(fe, fe, [], True)


# ---- reading


_SECTION_HEADER = re.compile(r"(?m)^[ \t]*(?:frontend|backend|listen|defaults)(?:[ \t]+[^\s;{}#]{1,128}){0,3}[ \t]*$")
_HAPROXY_DIRECTIVE = re.compile(
    r"(?m)^[ \t]*(?:timeout[ \t]+(?:server|client|connect)|default_backend|use_backend|mode[ \t]+(?:http|tcp)"
    r"|bind[ \t]+\S{1,256}|server[ \t]+\S{1,128}[ \t]+\S{1,256})[^;{}\n]{0,512}$"
)
_SEMICOLON_LINE = re.compile(r"(?m);[ \t]*(?:#[^\n]{0,512})?$")


def looks_like(name: str, text: str) -> bool:
    """Whether a file is an HAProxy configuration (for dispatching by content). nginx files, whose lines end
    in ``;`` and whose ``listen``/``server`` lines would look alike, are never taken."""
    head = text[:200_000]
    if len(_SEMICOLON_LINE.findall(head)) >= 3:
        return False
    return bool(_SECTION_HEADER.search(head) and _HAPROXY_DIRECTIVE.search(head))


def load_haproxy_config(path: str) -> HaproxyConfig:
    """Read one file, or every ``*.cfg`` of a directory in name order (as ``haproxy -f DIR`` does).

    Raises :class:`HaproxyConfigError` only when nothing can be read; anything HAProxy would warn about or
    refuse becomes a ``file:line: ...`` warning on the result.
    """
    files: list[str]
    if path != "-" and os.path.isdir(path):
        files = sorted(os.path.join(path, f) for f in os.listdir(path) if f.endswith(".cfg"))
        if not files:
            raise HaproxyConfigError("directory without *.cfg files", path)
    else:
        files = [path]
    texts = []
    for f in files:
        try:
            texts.append((f if f != "-" else "<stdin>", read_text(f)))
        except ConfigReadError as exc:
            raise HaproxyConfigError(exc.problem, exc.file, exc.line) from None
    return parse_haproxy_config(texts)


def parse_haproxy_config(texts: list[tuple[str, str]]) -> HaproxyConfig:
    """Parse ``(file name, text)`` pairs in order. Never raises on content."""
    config = HaproxyConfig(files=[f for f, _ in texts])
    named_defaults: dict[str, Proxy] = {}
    last_defaults: Proxy | None = None
    for file, text in texts:
        current: Proxy | None = None
        for no, raw in enumerate(text.splitlines(), start=1):
            if len(raw) > 65536:
                config.warnings.append(f"{file}:{no}: line longer than 64 KiB ignored")
                continue
            words = split_words(raw)
            if not words:
                continue
            line = Line(file, no, words)
            key = words[0]
            if key in SECTION_KEYWORDS or key in OTHER_SECTIONS:
                current = None
                if key in ("global",) or key in OTHER_SECTIONS:
                    continue
                name = words[1] if len(words) > 1 and words[1] != "from" else None
                parent_name = None
                if "from" in words:
                    i = words.index("from")
                    parent_name = words[i + 1] if i + 1 < len(words) else None
                parent = last_defaults
                if parent_name is not None:
                    parent = named_defaults.get(parent_name)
                    if parent is None:
                        config.warnings.append(
                            f"{file}:{no}: {key} {name or ''} inherits from defaults section {parent_name!r}, "
                            "which is not defined before it (HAProxy refuses this)"
                        )
                proxy = Proxy(kind=key, name=name, header=line, parent=parent)
                if key == "defaults":
                    if parent_name is None:
                        proxy.parent = None
                    last_defaults = proxy
                    if name:
                        named_defaults[name] = proxy
                    config.defaults.append(proxy)
                else:
                    if name is None:
                        config.warnings.append(f"{file}:{no}: {key} without a name (HAProxy refuses this)")
                        continue
                    if name in config.proxies and config.proxies[name].has_backend == proxy.has_backend:
                        config.warnings.append(
                            f"{file}:{no}: {key} {name} is defined twice (also {config.proxies[name].header.file}:"
                            f"{config.proxies[name].header.line}); lpdoctor reads the last one"
                        )
                    config.proxies[name] = proxy
                current = proxy
                continue
            if current is None:
                continue
            current.lines.append(line)
            _directive(current, line, config)
    _check(config)
    return config


def _directive(p: Proxy, line: Line, config: HaproxyConfig) -> None:
    w = line.words
    key = w[0]
    where = f"{line.file}:{line.line}"
    if key == "timeout" and len(w) >= 2:
        name = w[1]
        if name not in TIMER_NAMES:
            config.warnings.append(f"{where}: unknown timeout {name!r} (HAProxy refuses it)")
            return
        if len(w) < 3:
            config.warnings.append(f"{where}: timeout {name} without a value (HAProxy refuses it)")
            return
        _set_timer(p, name, w[2], line, config)
        return
    if key in LEGACY_TIMERS:
        config.warnings.append(
            f"{where}: {key} was removed in HAProxy 2.1; write 'timeout {LEGACY_TIMERS[key]} {w[1] if len(w) > 1 else ''}'"
        )
        if len(w) > 1:
            _set_timer(p, LEGACY_TIMERS[key], w[1], line, config, legacy=key)
        return
    if key == "mode" and len(w) > 1:
        p.mode = w[1]
    elif key == "retries" and len(w) > 1:
        if w[1].isdecimal():
            p.retries = (int(w[1]), line)
        else:
            config.warnings.append(f"{where}: retries expects a number, got {w[1]!r}")
    elif key == "retry-on" and len(w) > 1:
        p.retry_on = (w[1:], line)
    elif key == "option" and len(w) > 1 and w[1] == "redispatch":
        p.redispatch = line
    elif key == "no" and len(w) > 2 and w[1] == "option" and w[2] == "redispatch":
        p.redispatch = None
    elif key == "acl" and len(w) > 2:
        p.acls.setdefault(w[1], []).append(parse_acl(w[2:], line))
    elif key == "use_backend" and len(w) > 1:
        cond_kind = w[2] if len(w) > 2 and w[2] in ("if", "unless") else None
        p.use_backends.append(UseBackend(w[1], cond_kind, w[3:] if cond_kind else [], line))
    elif key == "default_backend" and len(w) > 1:
        p.default_backend = (w[1], line)
    elif key == "server" and len(w) > 2:
        p.servers.append((w[1], w[2], line))
    elif key == "server-template" and len(w) > 3:
        count = w[2].split("-")[-1]
        for i in range(min(int(count) if count.isdecimal() else 1, 1024)):
            p.servers.append((f"{w[1]}{i + 1}", w[3], line))
    elif key == "bind":
        p.binds.append(line)


def _set_timer(p: Proxy, name: str, raw: str, line: Line, config: HaproxyConfig, legacy: str | None = None) -> None:
    where = f"{line.file}:{line.line}"
    value, problem = parse_time(raw)
    if value is None:  # HAProxy refuses to start; the default in its place would pass what never runs
        raise HaproxyConfigError(f"timeout {name}: {problem}; HAProxy refuses to start", line.file, line.line)
    if problem:
        config.warnings.append(f"{where}: timeout {name}: {problem}")
    if name in BACKEND_SIDE and not p.has_backend:
        config.warnings.append(
            f"{where}: 'timeout {name}' will be ignored because {p.label} has no backend capability "
            "(HAProxy says the same); set it in the backend or defaults section"
        )
        return
    if name in FRONTEND_SIDE and not p.has_frontend:
        config.warnings.append(
            f"{where}: 'timeout {name}' will be ignored because {p.label} has no frontend capability "
            "(HAProxy says the same); set it in the frontend or defaults section"
        )
        return
    p.timers[name] = Setting(
        name=f"timeout {name}",
        value_s=value if value > 0 else None,
        raw=raw if legacy is None else f"{legacy} {raw}",
        location=line.where(p.context),
    )


def _check(config: HaproxyConfig) -> None:
    """What HAProxy itself says at startup about timeouts and dangling backends."""
    for p in config.proxies.values():
        if p.effective_mode() not in ("http", "tcp"):
            continue
        missing = []
        if p.has_frontend and p.kind != "backend":
            s, _ = p.setting("client")
            if s is None or s.value_s is None:
                missing.append("client")
        if p.has_backend and p.kind != "frontend":
            for name in ("connect", "server"):
                s, _ = p.setting(name)
                if s is None or s.value_s is None:
                    missing.append(name)
        if missing:
            config.warnings.append(
                f"{p.header.file}:{p.header.line}: missing timeouts for {p.label} ({', '.join(missing)}): "
                "HAProxy warns at startup and waits forever on them"
            )
        for rule in p.use_backends:
            if "%[" not in rule.backend and config.backend(rule.backend) is None:
                config.warnings.append(
                    f"{rule.line.file}:{rule.line.line}: use_backend {rule.backend}: no such backend (HAProxy refuses this)"
                )
        if p.default_backend and config.backend(p.default_backend[0]) is None:
            line = p.default_backend[1]
            config.warnings.append(
                f"{line.file}:{line.line}: default_backend {p.default_backend[0]}: no such backend (HAProxy refuses this)"
            )


# ---- ACL evaluation (three-valued: True, False, None = cannot tell)


def load(path: str) -> HaproxyConfig:
    """The reader's entry point for :func:`lpdoctor.dialects.registry.load_config_source`."""
    return load_haproxy_config(path)


def load_source(path: str) -> RoutedSource:
    """The dialect's entry point (:class:`lpdoctor.dialects.base.Dialect`): the file as a proxy source."""
    return load(path).source()
