"""Route templates of the URL shapes real sites serve: generated parts collapse, words stay.

The paths are the shapes of real traffic (CDN and SPA build output of webpack/Create React App, Vite, Next.js;
Matrix, Slack, Stripe and GitHub-style ids; image and download URLs) with made-up values. A route is what the
report lists, so each case is what a user reads in it.
"""

from __future__ import annotations

import random
import re

import pytest

from lpdoctor.scan.routes import normalize_path, segment_template

COLLAPSED = [
    # numbered files
    ("/img/61141.png", "/img/{id}.png"),
    ("/img/7.png", "/img/{id}.png"),
    ("/static/app.27961.js", "/static/app.{id}.js"),
    ("/thumbs/61141_128.jpg", "/thumbs/{id}_{id}.jpg"),
    ("/download/report-88121.pdf", "/download/report-{id}.pdf"),
    ("/photos/IMG_20240105_123456.jpg", "/photos/IMG_{id}_{id}.jpg"),
    ("/icons/icon-192.png", "/icons/icon-{id}.png"),
    # hashed build output
    ("/static/js/main.3f2a9c1b.chunk.js", "/static/js/main.{hash}.chunk.js"),
    ("/static/css/123.9f8e7d6c.chunk.css", "/static/css/{id}.{hash}.chunk.css"),
    ("/static/js/runtime-main.0ab1c2d3.js", "/static/js/runtime-main.{hash}.js"),
    ("/assets/index-BXq3k9aZ.js", "/assets/index-{hash}.js"),
    ("/assets/Dashboard-D_f-2kQa.js", "/assets/Dashboard-{hash}.js"),
    ("/assets/vendor-aBcDeFgH.css", "/assets/vendor-{hash}.css"),
    ("/_next/static/chunks/pages/_app-a1b2c3d4e5f6a7b8.js", "/_next/static/chunks/pages/_app-{hash}.js"),
    ("/_next/static/chunks/framework-2c79e2a64abdb08b.js", "/_next/static/chunks/framework-{hash}.js"),
    ("/dist/bundle.5e1c8f0b2a7d.min.js", "/dist/bundle.{hash}.min.js"),
    ("/media/aGVsbG8gd29ybGQgdGhpcyBpcyBh.png", "/media/{hash}.png"),
    # ids
    ("/api/documents/3f2504e0-4f89-41d3-9a0c-0305e82c3301", "/api/documents/{uuid}"),
    ("/api/feed/page/eyJpZCI6MTIzLCJ0cyI6MTcwMDAwMDAwMH0", "/api/feed/page/{token}"),
    ("/api/channels/C024BE91L/history", "/api/channels/{id}/history"),
    ("/api/users/U0G9QF9C6", "/api/users/{id}"),
    ("/v1/customers/cus_88121/sources", "/v1/customers/cus_{id}/sources"),
    (
        "/_matrix/client/v3/rooms/!hXkQvWmzrTtbLgBbnD:example.org/event/$YUwRidLecu9k5V_fdNzdBvn0IqeFz6TAPq5b0ly0bY4",
        "/_matrix/client/v3/rooms/{id}/event/{id}",
    ),
    ("/api/users/5f1a2b3c4d5e6f708192a3b4/avatar", "/api/users/{hash}/avatar"),
    ("/api/v1/orders/8812/items", "/api/v1/orders/{id}/items"),
]

KEPT = [
    "/index.html",
    "/service-worker.js",
    "/manifest.json",
    "/favicon-32x32.png",
    "/jquery-3.6.0.min.js",
    "/fonts/Roboto-Regular.woff2",
    "/assets/vendor-abcdefgh.js",  # all lower-case letters: a word as far as anyone can tell
    "/assets/Settings-Settings.js",
    "/api/HelloWorld/getUserProfile",
    "/DashboardPage",
    "/Windows10/download",
    "/files/x86_64/Packages",
    "/.well-known/openid-configuration",
    "/v1.2.3/changelog",
    "/api/v2/users/me",
    "/guide/step-2",
    "/m.room.message",
    "/sitemap-index.xml",
    "/app.js.map",
    "/2fa/setup",
    "/h264.mp4",
]


@pytest.mark.parametrize(("path", "route"), COLLAPSED)
def test_generated_parts_collapse(path: str, route: str) -> None:
    assert normalize_path(path) == route


@pytest.mark.parametrize("path", KEPT)
def test_words_stay(path: str) -> None:
    assert normalize_path(path) == path


def test_a_log_of_numbered_and_hashed_files_has_few_routes() -> None:
    r = random.Random(7)
    paths = [f"/img/{r.randint(1, 100_000)}.png" for _ in range(2000)]
    paths += [f"/static/js/main.{r.getrandbits(32):08x}.chunk.js" for _ in range(2000)]
    paths += [f"/static/app.{r.randint(100, 100_000)}.js" for _ in range(2000)]
    # A hex hash made only of digits (2 % of 8-digit ones) is a number: that is the one route more. Numbers of
    # one or two digits between dots stay (versions: jquery-3.6.0.min.js).
    assert {normalize_path(p) for p in paths} == {
        "/img/{id}.png",
        "/static/js/main.{hash}.chunk.js",
        "/static/js/main.{id}.chunk.js",
        "/static/app.{id}.js",
    }


_DIGIT = re.compile(r"[0-9]")


def test_templates_depend_on_where_digits_are_not_on_their_values() -> None:
    """The compiled scanner templates one segment per digit shape (61141.png and 88812.png alike) when the
    template holds no digit: other digit values must then give the same template."""
    r = random.Random(11)
    segments = [p for path, _ in COLLAPSED for p in path.split("/")] + [p for path in KEPT for p in path.split("/")]
    alphabet = "abcdefABCDEFxyzXYZ0123456789_-.~$!:@"
    segments += ["".join(r.choices(alphabet, k=r.randint(1, 40))) for _ in range(20_000)]
    checked = 0
    for seg in segments:
        template = segment_template(seg)
        if _DIGIT.search(template) or "%" in seg:
            continue
        for _ in range(3):
            other = _DIGIT.sub(lambda _: str(r.randint(0, 9)), seg)
            assert segment_template(other) == template, (seg, other)
        checked += 1
    assert checked > 2000


@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("/static/js/2.a3b4c5d6.chunk.js", "/static/js/{id}.{hash}.chunk.js"),
        ("/assets/Settings-PtXLICHK.js", "/assets/Settings-{hash}.js"),
        ("/assets/index-un-nAZZK.js", "/assets/index-{hash}.js"),
        ("/assets/Dashboard-_edU_ull.js", "/assets/Dashboard-{hash}.js"),
        ("/posts/about-my_story.html", "/posts/about-my_story.html"),
        ("/assets/index-someWord.js", "/assets/index-someWord.js"),
    ],
)
def test_build_chunks_by_number_and_letter_only_hashes(path: str, route: str) -> None:
    assert normalize_path(path) == route


@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("/static/js/14.12345678.chunk.js", "/static/js/{id}.{id}.chunk.js"),
        ("/api/channels/CTVXRQEBXD6/history", "/api/channels/{id}/history"),
        ("/api/channels/C3JXBXMSYHF/history", "/api/channels/{id}/history"),
        ("/docs/README", "/docs/README"),
        ("/docs/CHANGELOG2", "/docs/CHANGELOG2"),
    ],
)
def test_chunk_numbers_and_upper_case_ids(path: str, route: str) -> None:
    assert normalize_path(path) == route
