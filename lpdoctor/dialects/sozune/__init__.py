"""The sozune dialect: its config reader, request matching and ProxySource adapter."""
