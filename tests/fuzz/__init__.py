"""Hostile-input tooling shared by the security tests and the long-running fuzz driver.

- :mod:`tests.fuzz.payloads`: terminal-escape and secret payloads, a report with every string field
  poisoned, and the checks that raw output bytes are safe.
- :mod:`tests.fuzz.mutate`: mutation operators (byte flips, hostile tokens, huge numbers, truncation ...).
- :mod:`tests.fuzz.targets`: every log format and every config reader as a fuzz target, with its seeds and
  the one kind of error it may raise.
- :mod:`tests.fuzz.run`: ``python -m tests.fuzz.run --minutes 60`` fuzzes every target for as long as asked.

In CI, ``tests/test_fuzz_parsers.py`` runs the same targets with a fixed budget.
"""
