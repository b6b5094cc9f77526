"""Text plumbing every reader shares, stdlib only: bounded input files (:mod:`.inputs`), durations
(:mod:`.durations`) and what makes untrusted text safe to show (:mod:`.safety`). Depends on nothing else of
lpdoctor but the model."""
