"""What the tests of scanning on several processes share."""

from __future__ import annotations

import pytest

from lpdoctor.scan import parallel


def sent_to_workers(monkeypatch: pytest.MonkeyPatch) -> list[parallel.Piece]:
    """The list of every piece this process hands to a worker process from now on, in order (a piece read a
    second time comes again): what a test can see of the workers' reading from this process."""
    sent: list[parallel.Piece] = []
    real_submit = parallel._Workers.submit

    def counting(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
        if args and isinstance(args[0], parallel.Piece):
            sent.append(args[0])
        return real_submit(self, fn, *args, **kwargs)

    monkeypatch.setattr(parallel._Workers, "submit", counting)
    return sent
