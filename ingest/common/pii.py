"""PII guard: My Number, phone numbers, e-mail and IP addresses in any text cell reject the file (values never logged)."""
from __future__ import annotations

import re

import polars as pl

from ingest.common.findings import Finding

# Rust-regex patterns (polars). Boundaries are "not a digit" rather than \b, because Japanese letters are word
# characters (申請者123456789018 has no \b before the digits). Kept strict so dates and versions do not match.
_D0, _D1 = r"(?:^|[^0-9])", r"(?:[^0-9]|$)"
_IP0, _IP1 = r"(?:^|[^0-9.])", r"(?:[^0-9.]|$)"
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
PATTERNS: dict[str, str] = {
    "email": r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}",
    "phone": (
        rf"(?:{_D0}0[0-9]{{1,4}}-[0-9]{{1,4}}-[0-9]{{4}}{_D1}|\(0[0-9]{{1,4}}\)\s?[0-9]{{1,4}}-[0-9]{{4}}{_D1}"
        rf"|\+81[\-\s]?[0-9]{{1,4}}[\-\s][0-9]{{1,4}}[\-\s][0-9]{{4}}{_D1}|{_D0}0[5789]0[0-9]{{8}}{_D1})"
    ),
    "ip": (
        rf"(?:{_IP0}{_OCTET}(?:\.{_OCTET}){{3}}{_IP1}"
        r"|(?:^|[^0-9A-Fa-f:])(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}(?:[^0-9A-Fa-f:]|$)"
        r"|(?:^|[^0-9A-Fa-f:])[0-9A-Fa-f]{1,4}:(?:[0-9A-Fa-f]{0,4}:)*:[0-9A-Fa-f]{1,4}(?:[^0-9A-Fa-f:]|$))"
    ),
}
MY_NUMBER = rf"{_D0}[0-9]{{12}}{_D1}"
MY_NUMBER_WEIGHTS = (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def is_my_number(digits: str) -> bool:
    """True when a 12-digit string carries a valid My Number check digit (weights 6,5,4,3,2,7,6,5,4,3,2)."""
    if len(digits) != 12 or not digits.isdigit():
        return False
    remainder = sum(int(d) * w for d, w in zip(digits[:11], MY_NUMBER_WEIGHTS)) % 11
    check = 0 if remainder <= 1 else 11 - remainder
    return int(digits[11]) == check


def scan_frame(
    frame: pl.DataFrame, allowed: dict[str, frozenset[str]], headers: dict[str, str], limit: int | None = None
) -> list[Finding]:
    """Scan every text column; allowed[column] lists the PII kinds that column is declared to hold.

    Every hit is a finding (limit caps them per column and kind), so a report can count them."""
    findings: list[Finding] = []
    rows = frame["source_row_number"]
    text_columns = [c for c in frame.columns if c != "source_row_number" and frame.schema[c] == pl.String]
    checks = [(column, kind, pattern) for column in text_columns
              for kind, pattern in [*PATTERNS.items(), ("my_number", MY_NUMBER)]
              if kind not in allowed.get(column, frozenset())]
    if not checks:
        return findings
    # One pass over the batch for every column × pattern; only columns with a hit are looked at row by row.
    any_hit = frame.select(
        pl.col(column).str.contains(pattern).fill_null(False).any().alias(f"{index}")
        for index, (column, _, pattern) in enumerate(checks)
    ).row(0)
    for (column, kind, pattern), hit in zip(checks, any_hit):
        if not hit:
            continue
        values = frame[column]
        label = headers.get(column, column)
        if kind != "my_number":
            hits = rows.filter(values.str.contains(pattern).fill_null(False))
            hits = hits if limit is None else hits.head(limit)
            findings.extend(Finding(int(row), label, f"PII: {kind}") for row in hits.to_list())
            continue
        candidates = values.str.contains(MY_NUMBER).fill_null(False)
        if candidates.any():
            for row, text in zip(rows.filter(candidates).to_list(), values.filter(candidates).to_list()):
                for digits in re.findall(r"(?<![0-9])[0-9]{12}(?![0-9])", text):
                    if is_my_number(digits):
                        findings.append(Finding(int(row), label, "PII: my_number"))
                        break
    return findings
