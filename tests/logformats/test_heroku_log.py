"""Heroku router reader (``heroku-router``).

REAL lines: the H12 line (miguelgrinberg/Flask-SocketIO#974, research/peers.md) and the H10 line from
Heroku's error-codes article (empty ``dyno= connect= service=`` values). The others are ILLUSTRATIVE, built
from the documented logfmt keys and the error-code list (H12/H15 timeouts, H13/H18 dyno closes, H27
client gone, ``sock=backend`` before ``at=``, an H15 line without method and path).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lpdoctor.logformats.heroku_log import parse_line
from lpdoctor.logformats.logs import detect_format
from lpdoctor.logformats.registry import all_formats, get_format
from lpdoctor.model import Outcome, RequestRecord
from tests.fixtures.proxies.hostile import assert_sane, check_hostile

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "proxies" / "heroku"


def _lines() -> list[str]:
    return (FIXTURES / "router.log").read_text(encoding="utf-8").splitlines()


def _records() -> list[RequestRecord]:
    out = []
    for i, line in enumerate(_lines(), 1):
        rec = parse_line(line, i, "router.log")
        assert isinstance(rec, RequestRecord), i
        out.append(rec)
    return out


def test_h12_request_timeout() -> None:
    rec = _records()[1]
    assert (rec.status, rec.outcome, rec.detail) == (503, Outcome.GATEWAY_TIMEOUT, "H12")
    assert rec.duration_s == 30.002  # connect=1ms + service=30001ms
    assert rec.target == "/socket.io/?EIO=3&transport=polling&t=MgzgGQD&sid=2c4deb6ce3224f1686dfd5474c6d8d67"
    assert (rec.method, rec.host, rec.client, rec.proxy) == ("GET", "mypage.herokuapp.com", "186.22.250.42", "heroku")
    assert rec.time == pytest.approx(1557960162.334662)


def test_codes_map_to_outcomes() -> None:
    ok, _, idle, closed, interrupted, gone, crashed = _records()
    assert (ok.status, ok.outcome, ok.detail, ok.duration_s) == (200, Outcome.OK, None, 25.002)
    assert (idle.detail, idle.outcome, idle.target, idle.method) == ("H15", Outcome.GATEWAY_TIMEOUT, None, None)
    assert idle.duration_s == pytest.approx(55.45)
    assert (closed.detail, closed.outcome) == ("H13", Outcome.UPSTREAM_CLOSED)
    assert (interrupted.detail, interrupted.outcome, interrupted.target) == (
        "H18",
        Outcome.UPSTREAM_CLOSED,
        "/api/poll?cursor=45",
    )
    assert (gone.detail, gone.status, gone.outcome) == ("H27", 499, Outcome.CLIENT_CLOSED)
    # H10 with empty values: no duration, status 503 → a server error.
    assert (crashed.detail, crashed.outcome, crashed.duration_s, crashed.client) == (
        "H10",
        Outcome.SERVER_ERROR,
        None,
        "17.17.17.17",
    )
    assert crashed.time == pytest.approx(1286427072.0)  # -07:00


def test_drain_and_syslog_framings() -> None:
    body = _lines()[1].split("heroku[router]: ", 1)[1]
    drain = "296 <158>1 2019-05-15T22:42:42.334662+00:00 host heroku router - " + body
    papertrail = "May 15 22:42:42 myapp heroku/router: " + body
    for line in (drain, papertrail):
        rec = parse_line(line, 1, "x")
        assert isinstance(rec, RequestRecord) and rec.detail == "H12" and rec.duration_s == 30.002
    rec = parse_line(drain, 1, "x")
    assert rec is not None and rec.time == pytest.approx(1557960162.334662)


def test_not_router_lines() -> None:
    for line in (
        "2010-10-06T21:51:04-07:00 heroku[web.1]: State changed from down to starting",
        "2010-10-06T21:51:09-07:00 app[web.1]: at=info method=GET path=/ status=200",  # the app's own logfmt
        "2010-10-06T21:51:12-07:00 heroku[router]: Error H10 (App crashed) -> GET myapp.heroku.com/ web=web.1",
        "2019-05-15T22:42:42.334662+00:00 heroku[router]: at=info",
    ):
        assert parse_line(line, 1, "x") is None, line


def test_hostile_lines() -> None:
    for good in _lines()[1:3]:
        assert check_hostile(parse_line, good) > 0


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_fuzz_never_raises(text: str) -> None:
    assert_sane(parse_line(text, 1, "fuzz"))
    assert_sane(parse_line("2019-05-15T22:42:42Z heroku[router]: at=error " + text, 1, "fuzz"))


def test_registered_and_detected() -> None:
    assert get_format("heroku-router") is not None and get_format("heroku") is not None
    fmt = detect_format(_lines(), all_formats())
    assert fmt is not None and fmt.name == "heroku-router"
