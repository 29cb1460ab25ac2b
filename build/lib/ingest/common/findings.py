"""Findings that reject a file: where (row, column) and what kind, never the offending value."""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Finding:
    """One reason to refuse a file; row is the 1-based data row (header excluded), 0 for the file as a whole."""

    row: int
    column: str | None
    reason: str

    def to_dict(self) -> dict[str, object]:
        """JSON form for the quarantine report."""
        return asdict(self)


class Rejected(Exception):
    """The file cannot be trusted; findings say where and why, message says what to do."""

    def __init__(self, message: str, findings: list[Finding]):
        super().__init__(message)
        self.message = message
        self.findings = findings


def summarise(findings: list[Finding], limit: int = 5) -> str:
    """One line naming the first few findings, for people."""
    parts = [
        f"row {f.row}, column {f.column}: {f.reason}" if f.column else (f"row {f.row}: {f.reason}" if f.row else f.reason)
        for f in findings[:limit]
    ]
    more = f" (and {len(findings) - limit} more)" if len(findings) > limit else ""
    return "; ".join(parts) + more
