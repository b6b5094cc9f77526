"""Known long-poll requests to try against a proxy configuration, and how to tell a proxy serves them.

For each protocol of ``rules/protocols.yaml`` one typical request (the hold it asks for comes from the
catalog through :class:`~lpdoctor.catalog.holds.HoldMatcher`, never from here) and the words that show a
configuration was written for that service: a ``location /_matrix/`` or an upstream called ``synapse`` serves
Matrix; a bare ``location /`` in front of an unknown app serves nothing lpdoctor can name. Without such a
hint a generic ``/v1/`` API would be mistaken for Consul.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lpdoctor.catalog.holds import HoldMatcher, RequestedHold
from lpdoctor.scan.routes import split_target


@dataclass(frozen=True, slots=True)
class KnownRequest:
    protocol: str  # catalog id
    target: str  # a typical request target, query included
    hints: tuple[str, ...]  # words in a location, upstream or server name that show the service is proxied


# Targets use what clients really send (Matrix clients: timeout=30000; Consul: index without wait = 5 min).
KNOWN_REQUESTS: tuple[KnownRequest, ...] = (
    KnownRequest(
        "matrix-sync",
        "/_matrix/client/v3/sync?since=s1&timeout=30000",
        ("_matrix", "matrix.", "synapse", "dendrite", "conduit"),
    ),
    KnownRequest("consul-blocking", "/v1/kv/app/config?index=42", ("consul", "/v1/kv", "/v1/catalog", "/v1/health")),
    KnownRequest("nomad-blocking", "/v1/jobs?index=42", ("nomad", "/v1/job", "/v1/allocation", "/v1/node")),
    KnownRequest("kubernetes-watch", "/api/v1/pods?watch=true", ("kube", "k8s", "apiserver")),
    KnownRequest("telegram-getupdates", "/bot123456:token/getUpdates?timeout=50", ("getupdates", "telegram")),
    KnownRequest("couchdb-changes", "/db/_changes?feed=longpoll", ("_changes", "couch")),
    KnownRequest("electric-shape", "/v1/shape?table=items&live=true", ("/v1/shape", "electric")),
    KnownRequest("cometd", "/cometd/connect", ("cometd", "bayeux")),
    KnownRequest("discourse-message-bus", "/message-bus/abc/poll", ("message-bus", "discourse")),
    KnownRequest(
        "socketio-polling",
        "/socket.io/?EIO=4&transport=polling&sid=abc",
        ("socket.io", "socket\\.io", "engine.io", "engine\\.io"),
    ),
    KnownRequest("signalr-longpolling", "/hubs/chat?id=abc", ("signalr", "hub")),
    KnownRequest("apollo-notifications", "/notifications/v2?appId=app", ("notifications/v2", "apollo")),
    KnownRequest("nacos-listener", "/nacos/v1/cs/configs/listener", ("nacos",)),
    KnownRequest("gitlab-runner-jobs", "/api/v4/jobs/request", ("gitlab", "workhorse", "/api/v4/jobs")),
    KnownRequest("zulip-events", "/json/events?queue_id=abc", ("zulip", "/json/events", "/api/v1/events")),
    KnownRequest("dropbox-longpoll", "/2/files/list_folder/longpoll", ("longpoll", "dropbox")),
)

_WORD = re.compile(r"[a-z0-9_]")


def served_by(hints: tuple[str, ...], route_text: str) -> bool:
    """True when one of ``hints`` appears in ``route_text`` as a word (``hub`` in ``/hubs/``, not ``github``)."""
    text = route_text.lower()
    for hint in hints:
        start = text.find(hint)
        while start >= 0:
            before = text[start - 1] if start > 0 else " "
            if not (_WORD.match(before) and _WORD.match(hint[0])):
                return True
            start = text.find(hint, start + 1)
    return False


def known_holds() -> list[tuple[KnownRequest, str, RequestedHold]]:
    """(request, path, hold) for every known request whose catalog hold is a real long-poll (over 0 s)."""
    matcher = HoldMatcher()
    out = []
    for req in KNOWN_REQUESTS:
        path, query = split_target(req.target)
        hold = matcher.match(path, query)
        if hold is not None and hold.seconds > 0 and hold.protocol == req.protocol:
            out.append((req, path, hold))
    return out
