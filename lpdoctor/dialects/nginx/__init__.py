"""The nginx dialect: its config reader, request matching and ProxySource adapter."""
