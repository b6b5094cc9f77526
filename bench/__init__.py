"""Benchmark tools: a deterministic nginx log generator (:mod:`bench.generate`) and the timing script (``bench/run.py``)."""
