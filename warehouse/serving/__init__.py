"""Serving: the read-only, sandboxed SQL every reader goes through (app, `warehouse sql`, open data)."""
