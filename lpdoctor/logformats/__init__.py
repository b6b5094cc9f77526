"""Log formats: one module per proxy's log family, each exposing ``FORMATS: list[LogFormat]`` (:mod:`.base`),
listed in :mod:`.registry` in auto-detection order. :mod:`.logs` detects a file's format and parses blocks of
lines into the model. A format translates its proxy's own words (status habits, termination flags, error-log
lines) into the model's :class:`~lpdoctor.model.Outcome`; nothing past this package knows which proxy wrote a line."""
