"""lpdoctor: find the hop that cuts your HTTP long-polls."""

__version__ = "0.1.0"
