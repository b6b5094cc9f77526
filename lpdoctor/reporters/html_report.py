"""``--format html``: one self-contained page to share during an incident.

Findings and fixes first; then, per long-poll route, when its cut-offs started and stopped, the durations
(hold and cut marked) and the timeline of failures; the chains (each hop's timer against the hold); the inputs.
Charts are inline SVG drawn here; nothing is fetched (a Content-Security-Policy forbids it, and every script).
Every string comes from the sanitised report and is HTML-escaped once more here, in text and attributes alike:
logs are written by whoever sends requests. The report's JSON (``-f json``) is embedded, escaped, for tools.
"""

from __future__ import annotations

import html
import json
from typing import Any, TextIO

from lpdoctor import __version__
from lpdoctor.model import Chain, Endpoint, Finding, Report
from lpdoctor.reporters.chain_view import axis_rows
from lpdoctor.reporters.json_report import report_dict
from lpdoctor.text.durations import fmt_s
from lpdoctor.text.times import fmt_time

_W, _H = 520, 200  # chart drawing box (scaled to the page width by the browser)
_PAD_L, _PAD_B, _PAD_T = 40, 30, 34

_CSS = """
:root{color-scheme:light;--fg:#1b1f24;--muted:#57606a;--ok:#6e8fb3;--fail:#cf222e;--hold:#0a6ebd;--line:#d0d7de}
*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:#fff}
main{max-width:960px;margin:0 auto;padding:12px 14px 40px}
h1{font-size:1.35rem;margin:.4rem 0}h2{font-size:1.15rem;margin:1.6rem 0 .5rem;border-bottom:1px solid var(--line)}
h3{font-size:1rem;margin:1rem 0 .3rem;overflow-wrap:anywhere}
.meta{color:var(--muted);font-size:.9rem}
.finding{border:1px solid var(--line);border-left:6px solid var(--muted);border-radius:6px;padding:8px 12px;margin:10px 0}
.finding.error{border-left-color:var(--fail)}.finding.warning{border-left-color:#bf8700}
.finding.info{border-left-color:var(--hold)}
.sev{font-weight:700;text-transform:uppercase;font-size:.8rem;letter-spacing:.04em}
.when{font-weight:600;margin:.3rem 0}
pre{background:#f6f8fa;border-radius:6px;padding:8px 10px;overflow-x:auto;white-space:pre-wrap;overflow-wrap:anywhere;
font:14px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
svg{width:100%;height:auto;display:block;margin:.3rem 0 .8rem}
svg text{font:13px system-ui,sans-serif;fill:var(--muted)}
.wrap{overflow-x:auto}table{border-collapse:collapse;font-size:.9rem}
td,th{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
.nw{white-space:nowrap}
.legend span{display:inline-block;margin-right:12px;font-size:.85rem;color:var(--muted)}
.sw{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
"""
# No script may run and nothing may be fetched: the page is data, whatever the logs contained.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


def _e(value: object) -> str:
    """Text for HTML text or a quoted attribute."""
    return html.escape(str(value), quote=True)


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def _n(v: float) -> str:
    """A coordinate, short and locale-free."""
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _svg_open(title: str, height: int = _H) -> list[str]:
    return [
        f'<svg viewBox="0 0 {_W} {height}" role="img" aria-label="{_e(title)}">',
        f"<title>{_e(title)}</title>",
    ]


def _marker(x: float, label: str, color: str, dashed: bool, row: int) -> list[str]:
    dash = ' stroke-dasharray="5 4"' if dashed else ""
    y = 13 + 14 * row
    return [
        f'<line x1="{_n(x)}" y1="{_PAD_T - 4}" x2="{_n(x)}" y2="{_H - _PAD_B}" stroke="{color}" stroke-width="2"{dash}/>',
        f'<text x="{_n(min(x + 4, _W - 110))}" y="{y}" style="fill:{color};font-weight:600">{_e(label)}</text>',
    ]


def histogram_svg(route: str, rows: list[tuple[float, int, int]], hold: float | None, cut: float | None) -> str:
    """Durations of a route: successes and failures per column, the hold and the cut-off as vertical lines."""
    if not rows:
        return ""
    step = rows[1][0] - rows[0][0] if len(rows) > 1 else max(rows[0][0], 1.0)
    top_s = max(rows[-1][0] + step, hold or 0.0, cut or 0.0) * 1.04
    top_n = max(max(ok + fail for _, ok, fail in rows), 1)
    plot_w, plot_h = _W - _PAD_L - 8, _H - _PAD_B - _PAD_T
    x = lambda s: _PAD_L + s / top_s * plot_w  # noqa: E731
    y = lambda n: _PAD_T + plot_h - n / top_n * plot_h  # noqa: E731
    out = _svg_open(f"durations of {route}")
    bar_w = max(1.0, step / top_s * plot_w - 1)
    for start, ok, fail in rows:
        if ok:
            out.append(
                f'<rect x="{_n(x(start))}" y="{_n(y(ok + fail))}" width="{_n(bar_w)}" '
                f'height="{_n(y(fail) - y(ok + fail))}" fill="#6e8fb3"><title>{_e(fmt_s(start))}: {ok} ok</title></rect>'
            )
        if fail:
            out.append(
                f'<rect x="{_n(x(start))}" y="{_n(y(fail))}" width="{_n(bar_w)}" height="{_n(y(0) - y(fail))}" '
                f'fill="#cf222e"><title>{_e(fmt_s(start))}: {fail} failed</title></rect>'
            )
    out.append(f'<line x1="{_PAD_L}" y1="{_H - _PAD_B}" x2="{_W - 8}" y2="{_H - _PAD_B}" stroke="#8c959f"/>')
    for frac in (0.0, 0.25, 0.5, 0.75, 1.0):
        s = frac * top_s / 1.04
        out.append(f'<text x="{_n(x(s))}" y="{_H - 10}" text-anchor="middle">{_e(fmt_s(round(s, 1)))}</text>')
    out.append(f'<text x="4" y="{_PAD_T + 8}">{top_n}</text><text x="4" y="{_H - _PAD_B}">0</text>')
    if hold is not None:
        out += _marker(x(hold), f"hold {fmt_s(hold)}", "#0a6ebd", True, 0)
    if cut is not None:
        out += _marker(x(cut), f"cut {fmt_s(cut)}", "#cf222e", False, 1)
    out.append("</svg>")
    return "\n".join(out)


def timeline_svg(route: str, tl: dict[str, Any], cuts: dict[str, Any] | None) -> str:
    """Requests (grey) and failures (red) of a route over time, the first and last cut-off marked."""
    requests: list[int] = tl.get("requests") or []
    failures: list[int] = tl.get("failures") or []
    if not requests:
        return ""
    start, width = float(tl["start"]), float(tl["width_s"])
    end = start + width * len(requests)
    plot_w, plot_h = _W - _PAD_L - 8, _H - _PAD_B - _PAD_T
    top_n = max(max(requests), 1)
    x = lambda t: _PAD_L + (t - start) / (end - start) * plot_w  # noqa: E731
    y = lambda n: _PAD_T + plot_h - n / top_n * plot_h  # noqa: E731
    bar_w = max(1.0, plot_w / len(requests) - 0.5)
    out = _svg_open(f"requests and failures of {route} over time")
    for i, (req, fail) in enumerate(zip(requests, failures, strict=False)):
        t = start + i * width
        if req:
            out.append(
                f'<rect x="{_n(x(t))}" y="{_n(y(req))}" width="{_n(bar_w)}" height="{_n(y(0) - y(req))}" '
                f'fill="#afb8c1"><title>{_e(fmt_time(t))}: {req} requests, {fail} failed</title></rect>'
            )
        if fail:
            out.append(
                f'<rect x="{_n(x(t))}" y="{_n(y(fail))}" width="{_n(bar_w)}" height="{_n(y(0) - y(fail))}" '
                f'fill="#cf222e"/>'
            )
    out.append(f'<line x1="{_PAD_L}" y1="{_H - _PAD_B}" x2="{_W - 8}" y2="{_H - _PAD_B}" stroke="#8c959f"/>')
    out.append(f'<text x="{_PAD_L}" y="{_H - 10}">{_e(fmt_time(start))}</text>')
    out.append(f'<text x="{_W - 8}" y="{_H - 10}" text-anchor="end">{_e(fmt_time(end)[11:])} UTC</text>')
    out.append(f'<text x="4" y="{_PAD_T + 8}">{top_n}</text><text x="4" y="{_H - _PAD_B}">0</text>')
    if cuts:
        out += _marker(x(float(cuts["first"])), f"first cut {fmt_time(cuts['first'])[11:]}", "#cf222e", True, 0)
        if cuts.get("stopped"):
            last = x(float(cuts["last"]) + min(width, 1.0))
            out += _marker(last, f"last cut {fmt_time(cuts['last'])[11:]}", "#1a7f37", True, 1)
    out.append("</svg>")
    return "\n".join(out)


def chain_svg(c: Chain) -> str:
    """Each hop's timer as a bar on one axis with the hold; the one that cuts first in red."""
    rows = axis_rows(c, 48)
    if not rows:
        return ""
    row_h = 34
    height = row_h * len(rows) + 10
    out = _svg_open(f"chain of {c.route}", height)
    for i, (label, bar, value, first) in enumerate(rows):
        y0 = i * row_h + 6
        frac = len(bar) / 49
        color = "#cf222e" if first else ("#0a6ebd" if label == "hold" else "#8c959f")
        out.append(f'<text x="0" y="{y0 + 10}">{_e(label)} — {_e(value)}{"  ← cuts first" if first else ""}</text>')
        out.append(
            f'<rect x="0" y="{y0 + 14}" width="{_n(max(2.0, frac * (_W - 10)))}" height="12" fill="{color}" rx="2"/>'
        )
    out.append("</svg>")
    return "\n".join(out)


def _finding(f: Finding, when: dict[str, str]) -> str:
    parts = [
        f'<section class="finding {_e(f.severity.value)}">',
        f'<div><span class="sev">{_e(f.severity.value)}</span> · <code>{_e(f.rule)}</code> · hop {_e(f.hop.value)}'
        + (f" · <code>{_e(f.route)}</code>" if f.route else "")
        + "</div>",
        f"<p>{_e(f.message)}</p>",
    ]
    if f.route and f.route in when:
        parts.append(f'<p class="when">When: {_e(when[f.route])}</p>')
    if f.explanation:
        parts.append(f"<p>Why: {_e(f.explanation)}</p>")
    if f.location is not None:
        parts.append(f'<p class="meta">Where: <code>{_e(f.location)}</code></p>')
    if f.fix:
        parts.append(f"<p>Fix:</p><pre>{_e(f.fix)}</pre>")
    parts.append("</section>")
    return "\n".join(parts)


def _route(e: Endpoint, report: Report) -> str:
    obs = e.observed or {}
    statuses = e.extra.get("statuses") or {}
    fails = ", ".join(f"{k}×{v}" for k, v in statuses.items() if str(k)[:1] in ("5", "-") or k == "499")
    parts = [
        f"<h3><code>{_e(e.route)}</code></h3>",
        f'<p class="meta">{e.requests} requests · hold {_e(fmt_s(e.hold_s) if e.hold_s is not None else "–")}'
        f" · p50 {_e(fmt_s(obs['p50_s']) if 'p50_s' in obs else '–')}"
        f" · max {_e(fmt_s(obs['max_s']) if 'max_s' in obs else '–')}"
        f" · {e.failures} failures{' (' + _e(fails) + ')' if fails else ''}"
        f" · cut-off {_e(fmt_s(e.cutoff_s) if e.cutoff_s is not None else '–')}</p>",
    ]
    cuts = e.extra.get("cut_times")
    if cuts:
        parts.append(f'<p class="when">{_e(cuts["summary"])}</p>')
    rows = report.histograms.get(e.route)
    if rows:
        parts.append("<p>Durations</p>")
        parts.append(histogram_svg(e.route, rows, e.hold_s, e.cutoff_s))
    tl = e.extra.get("timeline")
    if tl:
        parts.append(f"<p>Over time ({_e(fmt_s(tl['width_s']))} a column)</p>")
        parts.append(timeline_svg(e.route, tl, cuts))
    parts.append(
        '<div class="legend"><span><i class="sw" style="background:#6e8fb3"></i>ok</span>'
        '<span><i class="sw" style="background:#afb8c1"></i>requests</span>'
        '<span><i class="sw" style="background:#cf222e"></i>failed</span></div>'
    )
    return "\n".join(parts)


def _inputs(report: Report) -> str:
    rows = []
    for i in report.inputs:
        span = ""
        if i.first_time is not None and i.last_time is not None:
            span = f"{fmt_time(i.first_time)} – {fmt_time(i.last_time)} UTC"
        warn = "; ".join(i.warnings)
        rows.append(
            f'<tr><td><code>{_e(i.path)}</code></td><td class="nw">{_e(i.format)}</td>'
            f'<td class="nw">{i.parsed}/{i.lines}</td><td class="nw">{i.skipped}</td><td>{_e(span)}</td>'
            + (f"<td>{_e(warn)}</td>" if any(x.warnings for x in report.inputs) else "")
            + "</tr>"
        )
    head = (
        "<tr><th>input</th><th>format</th><th>parsed</th><th>skipped</th><th>time (UTC)</th>"
        + ("<th>warnings</th>" if any(x.warnings for x in report.inputs) else "")
        + "</tr>"
    )
    return f'<div class="wrap"><table>{head}{"".join(rows)}</table></div>'


def _data(report: Report) -> str:
    """The -f json report, inert: a data block no browser runs, with every character that could end it escaped."""
    text = json.dumps(report_dict(report), ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/json" id="lpdoctor-report">{text}</script>'


def render(report: Report, out: TextIO) -> None:
    long_polls = [e for e in report.endpoints if e.long_poll]
    when = {e.route: e.extra["cut_times"]["summary"] for e in long_polls if e.extra.get("cut_times")}
    span = report.stats.get("time_range") or {}
    errors = sum(1 for f in report.findings if f.severity.value == "error")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_e(_CSP)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>lpdoctor {_e(report.command)}: {len(report.findings)} findings</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>lpdoctor {_e(report.command)}</h1>",
        f'<p class="meta">{_count(len(report.findings), "finding")} ({_count(errors, "error")})'
        f" · {_count(len(long_polls), 'long-poll route')}"
        + (f" · logs from {_e(span['summary'])}" if span.get("summary") else "")
        + "</p>",
    ]
    if span.get("window"):
        parts.append(f'<p class="meta">--since/--until: {_e(span["window"]["summary"])}</p>')
    parts.append("<h2>Findings and fixes</h2>")
    if report.findings:
        parts += [_finding(f, when) for f in report.findings]
    else:
        parts.append("<p>No findings.</p>")
    if long_polls:
        parts.append("<h2>Long-poll routes</h2>")
        parts += [_route(e, report) for e in long_polls]
    if report.chains:
        parts.append("<h2>Chains: each hop's timer against the hold</h2>")
        for c in report.chains:
            parts.append(f"<h3><code>{_e(c.route)}</code></h3>")
            parts.append(chain_svg(c))
    if report.inputs:
        parts.append("<h2>Inputs</h2>")
        parts.append(_inputs(report))
    for note in report.notes:
        parts.append(f'<p class="meta">Note: {_e(note)}</p>')
    parts += [
        f'<p class="meta">lpdoctor {_e(__version__)} · the same report as <code>-f json</code> is embedded below.</p>',
        "</main>",
        _data(report),
        "</body>",
        "</html>",
    ]
    out.write("\n".join(parts) + "\n")
