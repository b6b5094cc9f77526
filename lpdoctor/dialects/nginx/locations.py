"""Which ``server`` and ``location`` nginx picks for a request, by nginx's own rules.

Server (``ngx_http_find_virtual_server``, among the servers listening on the port when it is given):
exact ``server_name``; then the longest wildcard starting with ``*.`` (``.example.org`` also matches
``example.org``); then the longest wildcard ending with ``.*``; then ``~`` regex names in config order;
else the ``default_server`` for the port, else the first server.

Location (``ngx_http_core_find_location``), at each nesting level:

1. ``= /exact`` matching the whole URI wins at once.
2. Otherwise the longest matching prefix is remembered; nested locations inside it are searched the
   same way, and a match there wins.
3. If that prefix has ``^~``, stop. Otherwise the regex locations of this level (``~`` case-sensitive,
   ``~*`` case-insensitive) are tried in config order and the first match wins (then its own nested
   locations are searched).
4. No regex matched: the remembered prefix. No prefix either: the server's fallback (``server.default``).

A prefix found among nested locations does not stop the outer level's regexes (only an exact or a
regex match does), and a nested ``^~`` only stops the nested level's regexes: both as in nginx's code.

Named locations (``@x``) never match a URI. Regexes are PCRE in nginx; Python's ``re`` reads typical
location regexes the same way (named groups are translated). A regex that does not compile is reported as
a config warning and never matches.

The URI is matched as nginx normalizes it: no query string, ``%XX`` decoded, ``//`` merged, ``.`` and
``..`` segments resolved.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from lpdoctor.dialects.config_regex import untrusted_match
from lpdoctor.dialects.nginx.interpret import pcre_to_python
from lpdoctor.dialects.nginx.model import NginxConfig, NginxLocation, NginxServer
from lpdoctor.text.safety import compile_untrusted

MAX_PATH_CHARS = 8192  # longer URIs are cut before regex matching; nginx's own limit is similar


def normalize_uri(target: str) -> str:
    """The URI nginx matches locations against: path only, decoded, slashes merged, dots resolved."""
    path = target.split("?", 1)[0].split("#", 1)[0]
    if "://" in path[:16]:  # absolute-form request target
        path = "/" + path.split("://", 1)[1].partition("/")[2]
    path = unquote(path, errors="replace")[:MAX_PATH_CHARS]
    if not path.startswith("/"):
        path = "/" + path
    out: list[str] = []
    segments = path.split("/")
    for seg in segments[1:]:
        if seg == "..":
            if out:
                out.pop()
        elif seg not in ("", "."):
            out.append(seg)
    trailing = path.endswith("/") or segments[-1] in (".", "..")
    result = "/" + "/".join(out)
    return result + "/" if trailing and out else result


def match_server(config: NginxConfig, host: str | None, port: int | None = None) -> NginxServer | None:
    """The server block that handles requests for ``host`` (and ``port``, when known)."""
    candidates = [s for s in config.servers if port is None or port in s.ports or (not s.listens and port == 80)]
    if not candidates:
        candidates = list(config.servers)
    if not candidates:
        return None
    name = _host_name(host)
    if name is not None:
        found = _by_name(candidates, name)
        if found is not None:
            return found
    for server in candidates:
        if any(x.default_server and (port is None or x.port == port) for x in server.listens):
            return server
    return candidates[0]


def match_location(
    config: NginxConfig,
    host: str | None,
    path: str,
    port: int | None = None,
    follow_try_files: bool = True,
) -> NginxLocation | None:
    """The location that serves ``path`` on ``host``; the server's fallback when no location matches.

    With ``follow_try_files`` (the default), a location that only does ``try_files ... @name`` is
    replaced by the named location: a long-poll endpoint is no file on disk, so nginx falls through to
    it, and its timeouts are the ones that apply. None only when the configuration has no server.
    """
    server = match_server(config, host, port)
    if server is None:
        return None
    loc = match_in_server(server, path)
    if follow_try_files and loc is not None and loc.pass_kind is None and loc.try_files_fallback:
        return server.named(loc.try_files_fallback) or loc
    return loc


def match_in_server(server: NginxServer, path: str) -> NginxLocation | None:
    """The location of ``server`` that serves ``path`` (``server.default`` when none matches)."""
    uri = normalize_uri(path)
    found, _ = _find(server.top_locations, uri)
    return found if found is not None else server.default


def _find(level: list[NginxLocation], uri: str) -> tuple[NginxLocation | None, bool]:
    """nginx's search at one nesting level: (location, final).

    ``final`` is True for an exact match or a regex match (nginx's NGX_OK): no regex of an outer level
    overrides it. A prefix match, even one found among nested locations, is not final: the regexes of
    the outer level are still tried unless the outer level's own longest prefix has ``^~``.
    """
    exact = next((loc for loc in level if loc.modifier == "=" and loc.pattern == uri), None)
    if exact is not None:
        return exact, True
    prefixes = [loc for loc in level if loc.modifier in ("", "^~") and uri.startswith(loc.pattern)]
    best = max(prefixes, key=lambda loc: len(loc.pattern), default=None)
    current = best
    if best is not None:
        nested, final = _find(best.children, uri)
        if final:
            return nested, True
        if nested is not None:
            current = nested
        if best.modifier == "^~":
            return current, False
    for loc in level:
        if loc.is_regex and loc.regex is not None and untrusted_match(loc.regex.pattern, uri, flags=loc.regex.flags):
            nested, _ = _find(loc.children, uri)
            return (nested if nested is not None else loc), True
    return current, False


def _host_name(host: str | None) -> str | None:
    if host is None:
        return None
    name = host.strip().lower()
    if name.startswith("["):
        return name.split("]", 1)[0] + "]"
    name = name.rsplit(":", 1)[0] if name.count(":") == 1 else name
    return name.rstrip(".")


def _by_name(candidates: list[NginxServer], name: str) -> NginxServer | None:
    for server in candidates:
        if any(n.lower() == name for n in server.names if not _is_wildcard(n)):
            return server
    for matches in (_leading_wildcard, _trailing_wildcard):
        best: tuple[int, NginxServer] | None = None
        for server in candidates:
            for n in server.names:
                if matches(n.lower(), name) and (best is None or len(n) > best[0]):
                    best = (len(n), server)
        if best is not None:
            return best[1]
    for server in candidates:
        for n in server.names:
            if n.startswith("~"):
                regex = _server_regex(n[1:])
                if regex is not None and untrusted_match(regex.pattern, name, flags=regex.flags):
                    return server
    return None


def _is_wildcard(n: str) -> bool:
    return n.startswith(("~", ".")) or "*" in n


def _leading_wildcard(pattern: str, name: str) -> bool:
    """``*.example.org`` matches any subdomain; ``.example.org`` also matches ``example.org`` itself."""
    if pattern.startswith("*."):
        return name.endswith(pattern[1:])
    if pattern.startswith("."):
        return name == pattern[1:] or name.endswith(pattern)
    return False


def _trailing_wildcard(pattern: str, name: str) -> bool:
    return pattern.endswith(".*") and not pattern.startswith(("*", "~")) and name.startswith(pattern[:-1])


def _server_regex(pattern: str) -> re.Pattern[str] | None:
    return compile_untrusted(pcre_to_python(pattern), re.IGNORECASE)
