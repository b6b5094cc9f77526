"""Scan on a dask.distributed cluster: files, or byte ranges of them, read by the workers, merged here in order.

Optional: ``pip install 'lpdoctor[dask]'``. Nothing here imports ``distributed`` until :func:`scan_on_dask`
runs, so lpdoctor works without it.

The plan is the one :mod:`~lpdoctor.scan.parallel` makes on one machine: a big uncompressed access or error log is
cut into byte ranges at line starts (:func:`~lpdoctor.scan.parallel._plan`, as many pieces as the cluster has
worker threads unless ``pieces`` says otherwise), everything else is read whole. The client reads the head of
each file (format, size, where pieces start); the workers read the files **by path**, so every path must be
readable, under the same name, on the client and on every worker (a shared filesystem). The client plans with
what it can read: a file it cannot open is read whole by a worker, which says why it cannot either.

Each task returns its piece's partial aggregate as :meth:`ScanAggregate.to_dict` (the ``--save-partial``
document, versioned), so the workers and the client need lpdoctor installed and nothing else in common. The
client merges the partials in input and piece order, which gives the report a single process gives (as
``lpdoctor merge`` of partials in log order does). A partial does not carry the routes a piece turned away at
the route cap, and what an error-log line adds depends on the requests before it, so a file cut in pieces where a
later piece filled the cap, or with both requests and error-log lines, is read again whole by one task (an error
log alone is merged: :func:`~lpdoctor.scan.parallel.read_whole_again`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lpdoctor.logformats.base import LogFormat
from lpdoctor.logformats.nginx_access import make_custom_format
from lpdoctor.logformats.registry import get_format
from lpdoctor.scan.aggregate import DEFAULT_MAX_ROUTES, ScanAggregate
from lpdoctor.scan.parallel import _plan, count_newlines, join_pieces, plain_file_size, read_whole_again
from lpdoctor.scan.pipeline import aggregate_file
from lpdoctor.text.inputs import InputError, Span

CONNECT_TIMEOUT_S = 10.0
INSTALL_HINT = "pip install 'lpdoctor[dask]'"
# A format as it travels to a worker: a built-in one by name, a --log-format by its string (a LogFormat holds
# closures, which do not pickle). None: the worker detects it.
FormatSpec = tuple[str, str] | None
CUSTOM_FORMAT_NAME = "cli"  # the name `scan --log-format` gives its format (commands/scan.py)


class DaskScanError(Exception):
    """The cluster cannot be used (not installed, unreachable, a task failed). ``str()`` is one line."""


# ------------------------------------------------------------------------------------------ on the workers


def _format(spec: FormatSpec) -> LogFormat | None:
    if spec is None:
        return None
    kind, value = spec
    if kind == "log_format":
        return make_custom_format(value, CUSTOM_FORMAT_NAME)
    fmt = get_format(value)
    if fmt is None:
        raise InputError(f"log format {value!r} unknown to the lpdoctor on dask worker {_worker()}")
    return fmt


def _worker() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return "(not on a worker)"


def scan_task(
    path: str,
    spec: FormatSpec,
    max_routes: int,
    span: Span | None,
    window: tuple[float | None, float | None],
) -> dict[str, Any]:
    """One piece (or the whole of ``path``) scanned on a worker: its partial aggregate, as a dict."""
    try:
        return aggregate_file(path, _format(spec), max_routes, span=span, window=window).to_dict()
    except InputError as exc:
        raise InputError(f"{exc} (on dask worker {_worker()})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read on dask worker {_worker()}: {exc.strerror or exc}") from None


def count_task(path: str, start: int, end: int) -> int:
    """The newlines of ``path`` between ``start`` and ``end``, on a worker (the line number of the next piece)."""
    try:
        return count_newlines(path, start, end)
    except OSError as exc:
        raise InputError(f"{path}: cannot read on dask worker {_worker()}: {exc.strerror or exc}") from None


# ------------------------------------------------------------------------------------------ on the client


def _client_class() -> Any:
    try:
        from distributed import Client
    except ImportError:
        raise DaskScanError(f"--dask needs dask.distributed, which is not installed: {INSTALL_HINT}") from None
    return Client


def _spec(fmt: LogFormat | None, log_format: str | None) -> FormatSpec:
    if log_format is not None:
        return ("log_format", log_format)
    return None if fmt is None else ("name", fmt.name)


def scan_on_dask(
    address: str,
    paths: list[str],
    *,
    input_format: str | None = None,
    log_format: str | None = None,
    max_routes: int = DEFAULT_MAX_ROUTES,
    on_input_error: Callable[[str], None] | None = None,
    pieces: int | None = None,
    window: tuple[float | None, float | None] = (None, None),
    connect_timeout: float = CONNECT_TIMEOUT_S,
) -> tuple[ScanAggregate, list[str]]:
    """Scan ``paths`` on the dask scheduler at ``address``, as :func:`~lpdoctor.scan.parallel.scan_inputs`
    does on one machine: the same aggregate, and the inputs that could not be read (each also passed to
    ``on_input_error``). ``input_format`` (a built-in format's name) or ``log_format`` (an nginx
    ``log_format`` string) force the format. ``pieces``: how many pieces a big file is cut into (default: the
    cluster's worker threads). Raises :class:`DaskScanError` when the cluster cannot be used."""
    if "-" in paths:
        raise DaskScanError("--dask: standard input (-) cannot be read by the workers; give files")
    forced = _forced(input_format, log_format)
    client_class = _client_class()
    try:
        _check_address(address)  # before Client: one that fails on a malformed address hangs at exit closing
        client = client_class(address, timeout=connect_timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise DaskScanError(f"--dask {address}: cannot reach the dask scheduler: {_one_line(exc)}") from None
    try:
        with client:
            return _scan(client, paths, forced, log_format, max_routes, on_input_error, pieces, window)
    except (InputError, DaskScanError):
        raise
    except Exception as exc:  # a worker without lpdoctor, a lost connection…: one line, not a remote traceback
        raise DaskScanError(f"--dask {address}: {type(exc).__name__}: {_one_line(exc)}") from None


def _check_address(address: str) -> None:
    """Raise ValueError for an address dask cannot connect to whatever the network: unknown scheme, no port."""
    from distributed.comm.addressing import parse_address, parse_host_port
    from distributed.comm.registry import get_backend

    scheme, location = parse_address(address)
    get_backend(scheme)
    if scheme in ("tcp", "tls"):
        parse_host_port(location)


def _forced(input_format: str | None, log_format: str | None) -> LogFormat | None:
    if log_format is not None:
        return make_custom_format(log_format, CUSTOM_FORMAT_NAME)
    if input_format is not None:
        fmt = get_format(input_format)
        if fmt is None:
            raise DaskScanError(f"--input-format: unknown format {input_format!r}")
        return fmt
    return None


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300] or type(exc).__name__


def _scan(
    client: Any,
    paths: list[str],
    forced: LogFormat | None,
    log_format: str | None,
    max_routes: int,
    on_input_error: Callable[[str], None] | None,
    pieces: int | None,
    window: tuple[float | None, float | None],
) -> tuple[ScanAggregate, list[str]]:
    count = pieces or max(1, sum(client.nthreads().values()))
    plans: list[tuple[str, FormatSpec, list[Span | None]]] = []
    for path in paths:
        size = plain_file_size(path)
        fmt, starts = _plan(path, size, forced, count)
        ends = [*starts[1:], size or 0]
        spans: list[Span | None] = (
            [Span(a, b) for a, b in zip(starts, ends, strict=True)] if len(starts) > 1 else [None]
        )
        plans.append((path, _spec(fmt, log_format), spans))

    def submit(fn: Callable[..., Any], *args: Any) -> Any:
        return client.submit(fn, *args, pure=False)

    # The first piece of each input starts at line 1; the others wait for the newline count before them.
    results: list[list[Any]] = []
    counts: list[list[Any]] = []
    for path, spec, spans in plans:
        results.append([submit(scan_task, path, spec, max_routes, spans[0], window)])
        counts.append([submit(count_task, path, s.start, s.end) for s in spans[:-1] if s is not None])
    for (path, spec, spans), mine, counted in zip(plans, results, counts, strict=True):
        first = 1
        for span, lines_before in zip(spans[1:], counted, strict=True):
            try:
                first += lines_before.result()
            except InputError:
                break  # reported once, with the piece results below
            assert span is not None
            mine.append(submit(scan_task, path, spec, max_routes, Span(span.start, span.end, first), window))

    total: ScanAggregate | None = None
    errors: list[str] = []
    for (path, spec, _spans), mine, counted in zip(plans, results, counts, strict=True):
        try:
            for c in counted:
                c.result()
            parts = [ScanAggregate.from_dict(f.result()) for f in mine]
            if len(parts) > 1 and (read_whole_again(parts) or any(p.full for p in parts[1:])):
                parts = [ScanAggregate.from_dict(submit(scan_task, path, spec, max_routes, None, window).result())]
        except InputError as exc:
            errors.append(str(exc))
            if on_input_error:
                on_input_error(str(exc))
            continue
        part = join_pieces(parts) if len(parts) > 1 else parts[0]
        if total is None:
            total = part
        else:
            total.merge(part)
    if total is None:
        total = ScanAggregate(max_routes=max_routes)
        total.set_window(*window)
    return total, errors
