"""The warehouse: settings, the refresh job, publishing, and the `warehouse` CLI."""
