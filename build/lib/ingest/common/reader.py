"""Streaming row readers for CSV/TSV (any accepted encoding) and Excel, with header and title-row detection."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ingest.common.encoding import detect_encoding
from ingest.common.findings import Finding, Rejected

HEADER_SEARCH_ROWS = 10  # title rows allowed above the header


@dataclass
class RawTable:
    """A landing table: header row, title rows above it, and a lazy iterator of (data row number, cells)."""

    header: list[str]
    title_rows: list[str]
    rows: Iterator[tuple[int, list[str | None]]]
    encoding: str
    layout_index: int


def _delimiter(path: Path, first_line: str) -> str:
    """Tab for .tsv (or a .txt whose header has tabs), comma otherwise."""
    if path.suffix.lower() == ".tsv":
        return "\t"
    if path.suffix.lower() == ".txt" and first_line.count("\t") > first_line.count(","):
        return "\t"
    return ","


def _csv_rows(path: Path, encoding: str) -> Iterator[list[str]]:
    """Stream-decode the file and yield CSV rows; a last row without newline is marked truncated if short."""
    with path.open("rb") as probe:
        probe.seek(0, io.SEEK_END)
        size = probe.tell()
        ends_with_newline = True
        if size:
            probe.seek(size - 1)
            ends_with_newline = probe.read(1) in (b"\n", b"\r")
    with path.open("r", encoding=encoding, newline="") as handle:
        first = handle.readline()
        handle.seek(0)
        reader = csv.reader(handle, delimiter=_delimiter(path, first), strict=False)
        previous: list[str] | None = None
        for row in reader:
            if previous is not None:
                yield previous
            previous = row
        if previous is not None:
            if not ends_with_newline:
                previous = previous + ["\x00__no_newline__"]
            yield previous


def _excel_rows(path: Path) -> Iterator[list[str | None]]:
    """Rows of the first sheet as strings (calamine reads the sheet at once; .xlsx size is capped by settings)."""
    import fastexcel

    reader = fastexcel.read_excel(str(path))
    sheet = reader.load_sheet(0, header_row=None, dtypes="string").to_polars()
    for row in sheet.iter_rows():
        yield [None if cell is None else str(cell) for cell in row]


def _is_blank(row: list[str | None]) -> bool:
    """True for a row with no content (Excel padding, blank CSV lines)."""
    return all(cell is None or not str(cell).strip() for cell in row)


def open_table(path: Path, layouts: list, kind: str) -> RawTable:
    """Open a landing file, find its header among the first rows, and pick the layout it matches."""
    is_excel = path.suffix.lower() in {".xlsx", ".xlsm"}
    encoding = "xlsx" if is_excel else detect_encoding(path)
    rows = iter(_excel_rows(path) if is_excel else _csv_rows(path, encoding))
    seen: list[list[str | None]] = []
    partial: tuple[int, int, list[str]] | None = None  # (-mapped, layout index, missing) of the best near-header
    for row in rows:
        if row and row[-1] == "\x00__no_newline__":
            row = row[:-1]
        seen.append(row)
        if _is_blank(row):
            if len(seen) >= HEADER_SEARCH_ROWS:
                break
            continue
        header = [str(cell or "").strip() for cell in row]
        candidates = []
        for index, layout in enumerate(layouts):
            mapping, missing, _ = layout.match_header(header)
            signature_ok = all(any(h.strip() == s for h in header) for s in layout.signature)
            if signature_ok and len(mapping) >= 2:
                candidates.append((len(missing), -len(mapping), index, missing))
        complete = sorted(c for c in candidates if not c[0])
        if complete:
            index = complete[0][2]
            title_rows = [" ".join(str(c) for c in r if c) for r in seen[:-1] if not _is_blank(r)]
            return RawTable(header, title_rows, _numbered(rows, len(header)), encoding, index)
        for _, mapped, index, missing in candidates:
            if partial is None or mapped < partial[0]:
                partial = (mapped, index, missing)
        if len(seen) >= HEADER_SEARCH_ROWS:
            break
    if partial is not None:
        _, index, missing = partial
        expected = ", ".join(f.name for f in layouts[index].fields if f.required)
        raise Rejected(
            f"{path.name}: required column(s) {', '.join(missing)} missing or renamed; the header must "
            f"contain {expected} (or an alias listed in ingest/{kind}/contract.py, or a mapping file).",
            [Finding(0, name, "missing or renamed required column") for name in missing],
        )
    if not seen or all(_is_blank(row) for row in seen):
        raise Rejected(f"{path.name}: the file is empty; send the export again.", [Finding(0, None, "empty file")])
    raise Rejected(
        f"{path.name}: no header row with the required columns of a {kind} file in the first "
        f"{HEADER_SEARCH_ROWS} rows; check the column names against ingest/{kind}/contract.py.",
        [Finding(0, None, "missing or renamed required column")],
    )


def _numbered(rows: Iterator[list[str | None]], width: int) -> Iterator[tuple[int, list[str | None]]]:
    """Number data rows from 1 (header excluded), skip blank ones, flag truncated or ragged rows."""
    for number, row in enumerate(rows, start=1):
        truncated = bool(row) and row[-1] == "\x00__no_newline__"
        if truncated:
            row = row[:-1]
        if _is_blank(row):
            continue
        if len(row) < width:
            reason = "truncated last line" if truncated else f"expected {width} fields, found {len(row)}"
            raise Rejected(
                f"row {number}: {reason}; the file looks cut off or damaged — send the complete export.",
                [Finding(number, None, reason)],
            )
        if len(row) > width and any(cell not in (None, "") for cell in row[width:]):
            raise Rejected(
                f"row {number}: more fields ({len(row)}) than header columns ({width}); check the delimiter.",
                [Finding(number, None, f"expected {width} fields, found {len(row)}")],
            )
        yield number, row[:width]
