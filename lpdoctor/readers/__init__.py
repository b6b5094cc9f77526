"""Readers: turn logs, configs and probes into the model (:mod:`lpdoctor.model`)."""
