"""Regular expressions from configurations, matched under one time budget per run.

:func:`lpdoctor.text.safety.untrusted_match` stops one match after 0.2 s, but a config can hold any number of
patterns and each is tried against every route: 60 crafted ``location ~`` lines took 24 s. Every reader
matches through :func:`untrusted_match` here, which charges the CPU time each match took beyond what an
ordinary match costs (:data:`FREE_S`, the timer's own set-up included) to one budget of :data:`RUN_BUDGET_S`
for the whole run; once it is spent, every further match is "unknown" (None), as a pattern that timed out
is, and :func:`budget_note` says so in the report. CPU time, not wall time: a busy machine does not spend
the budget of an ordinary configuration. :func:`reset_budget` starts a new budget with every command
(``lpdoctor.cli.main`` and ``lpdoctor.commands.common.guard_outputs`` call it).
"""

from __future__ import annotations

import time

from lpdoctor.text import safety

RUN_BUDGET_S = 1.0
FREE_S = 0.0005  # an ordinary match with its timer takes about 70 us: only backtracking is charged

_state = {"spent": 0.0, "refused": 0}


def reset_budget() -> None:
    _state["spent"] = 0.0
    _state["refused"] = 0


def untrusted_match(pattern: str, subject: str, *, flags: int = 0, how: str = "search") -> bool | None:
    """:func:`lpdoctor.text.safety.untrusted_match`, charged to the run's budget; None once it is spent."""
    if _state["spent"] >= RUN_BUDGET_S:
        _state["refused"] += 1
        return None
    started = time.thread_time()
    try:
        return safety.untrusted_match(pattern, subject, flags=flags, how=how)
    finally:
        _state["spent"] += max(0.0, time.thread_time() - started - FREE_S)


def budget_note() -> str | None:
    """A note for the report when the budget ran out, else None."""
    if not _state["refused"]:
        return None
    return (
        f"regular expressions from the configuration took more than {RUN_BUDGET_S:g} s in all; "
        f"{int(_state['refused'])} later matches were not tried, so the blocks they choose are unknown"
    )
