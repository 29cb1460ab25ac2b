"""What a refresh step raises."""
from __future__ import annotations


class RefreshFailed(RuntimeError):
    """A step failed; the published warehouse was not touched."""

    def __init__(self, step: str, message: str) -> None:
        super().__init__(f"{step}: {message}")
        self.step = step
        self.message = message


class DbtFailed(RefreshFailed):
    """dbt failed; `failures` lists the failing nodes as (unique_id, status, first line of the message)."""

    def __init__(self, step: str, message: str, failures: list[tuple[str, str, str]]) -> None:
        super().__init__(step, message)
        self.failures = failures


class RefreshLocked(RuntimeError):
    """Another refresh holds the lock on this warehouse home."""
