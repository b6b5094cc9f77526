"""Use cases that wire the layers below together for one command (check-config end to end, log formats read
from a config)."""
