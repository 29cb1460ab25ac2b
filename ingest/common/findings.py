"""Findings that reject a file: where (row, column) and what kind, never the offending value."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

FIRST_ROWS = 5  # rows shown per kind of problem


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
    """The file cannot be trusted; findings say where and why, message says what to do.

    The keyword arguments are optional facts for the report a department reads (see ingest/common/messages.py):
    message_ja (the same as message, in Japanese), next_step (an action name such as "add_mapping" or
    "fix_and_resend"), the headers expected and found, and whether reading stopped before the end of the file.
    """

    def __init__(self, message: str, findings: list[Finding], *, message_ja: str | None = None,
                 next_step: str | None = None, expected_headers: list[str] | None = None,
                 found_headers: list[str] | None = None, optional_headers: list[str] | None = None,
                 other_layouts: dict[str, list[str]] | None = None, counts: dict[tuple[str, str | None], int] | None
                 = None, rows_read: int | None = None, stopped_early: bool = False,
                 mapping_file: str | None = None, layout_fields: dict[str, list[str]] | None = None,
                 table: str | None = None):
        super().__init__(message)
        self.message = message
        self.findings = findings
        self.message_ja = message_ja
        self.next_step = next_step
        self.expected_headers = expected_headers
        self.found_headers = found_headers
        self.optional_headers = optional_headers
        self.other_layouts = other_layouts
        self.counts = counts  # (reason, column) → how many rows, when more were counted than kept as findings
        self.rows_read = rows_read
        self.stopped_early = stopped_early
        self.mapping_file = mapping_file
        self.layout_fields = layout_fields  # field name → [expected header, other names], for an example mapping
        self.table = table


def dedupe(findings: Iterable[Finding]) -> list[Finding]:
    """Each finding once, in the order first seen (a value checked twice is still one problem)."""
    return list(dict.fromkeys(findings))


@dataclass
class Tally:
    """Counts per (reason, column) over a whole file, with the first rows of each and a bounded flat list."""

    keep: int = 200
    counts: dict[tuple[str, str | None], int] = field(default_factory=dict)
    kept: list[Finding] = field(default_factory=list)
    _seen: set[Finding] = field(default_factory=set)

    def add(self, findings: Iterable[Finding]) -> None:
        """Count new findings (duplicates of one already seen are ignored)."""
        for finding in findings:
            if finding in self._seen:
                continue
            self._seen.add(finding)
            key = (finding.reason, finding.column)
            self.counts[key] = self.counts.get(key, 0) + 1
            if len(self.kept) < self.keep:
                self.kept.append(finding)

    @property
    def total(self) -> int:
        """Findings counted so far."""
        return sum(self.counts.values())

    def __bool__(self) -> bool:
        return bool(self.counts)


def summarise(findings: list[Finding], limit: int = 5) -> str:
    """One line naming the first few findings, for people (each finding once)."""
    findings = dedupe(findings)
    parts = [
        f"row {f.row}, column {f.column}: {f.reason}" if f.column else (f"row {f.row}: {f.reason}" if f.row else f.reason)
        for f in findings[:limit]
    ]
    more = f" (and {len(findings) - limit} more)" if len(findings) > limit else ""
    return "; ".join(parts) + more


def as_dicts(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    """JSON form of findings, each once."""
    return [finding.to_dict() for finding in dedupe(findings)]
