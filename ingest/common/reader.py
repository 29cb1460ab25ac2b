"""Streaming row readers for CSV/TSV (any accepted encoding) and Excel, with header, title-row and table detection.

The header may sit anywhere in the first 50 lines (title and blank lines above it are kept as title rows). A
mapping may say which line holds the header, which sheet of a workbook to read, or which of several tables
stacked in one file to take (by a title text or by position); a table picked that way ends at its first blank line.
A file that cannot be read (a damaged workbook, a broken CSV) is refused in words, never with a traceback.

Two paths give the same rows: the fast path decodes a well-formed CSV at once (UTF-8 as is, CP932 by the codec
in one pass) and lets polars split its body into columns; anything it cannot decide (quotes, blank or ragged
lines, a cut-off last line, a stacked table, a very large file) goes through the streaming `csv` reader.
"""
from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ingest.common import lake
from ingest.common.contract import Layout, ReadOptions
from ingest.common.encoding import detect_encoding
from ingest.common.findings import Finding, Rejected
from ingest.common.normalize import nfkc

HEADER_SEARCH_ROWS = ReadOptions().header_search_rows  # title and blank lines allowed above the header
FAST_READ_MAX_BYTES = 256 * 1024 * 1024  # larger files stream through the csv reader (bounded memory)
# Whitespace to Python's str.strip but not to polars (Rust): a file holding one is left to the streaming reader,
# so "blank row" means the same on both paths.
PYTHON_ONLY_WHITESPACE = "\x1c\x1d\x1e\x1f"


def has_python_only_whitespace(text: str) -> bool:
    """One `in` per character: a substring search at memchr speed, where a regex class steps through every
    character (a tenth of a second per 50 MB log)."""
    return any(character in text for character in PYTHON_ONLY_WHITESPACE)
_NO_NEWLINE = "\x00__no_newline__"


@dataclass
class RawTable:
    """A landing table: header row, title rows above it, and a lazy iterator of (data row number, cells)."""

    header: list[str]
    title_rows: list[str]
    rows: Iterator[tuple[int, list[str | None]]]
    encoding: str
    layout_index: int
    sheet: str | None = None
    # Fast path: every data row at once (text columns column_0 … and source_row_number); rows is then empty.
    frame: pl.DataFrame | None = None
    # Fast path with the body left unsplit (open_table's split_body=False): its UTF-8 bytes, one line per row,
    # for a caller that splits the bodies of many files in one read (parse_body).
    body: bytes | None = None
    delimiter: str = ","

    @property
    def data_rows(self) -> int | None:
        """Data rows on the fast path (None on the streaming reader, which does not know before the end)."""
        if self.frame is not None:
            return self.frame.height
        return None if self.body is None else self.body.count(b"\n")


def _delimiter(path: Path, first_line: str) -> str:
    """Tab for .tsv (or a .txt whose header has tabs), comma otherwise."""
    if path.suffix.lower() == ".tsv":
        return "\t"
    if path.suffix.lower() == ".txt" and first_line.count("\t") > first_line.count(","):
        return "\t"
    return ","


def _unreadable(path: Path, what: str, reason: str, line: int | None = None) -> Rejected:
    """The refusal for a file that cannot be parsed at all (damaged, cut off, not the format its name says)."""
    where = f" (near line {line})" if line else ""
    return Rejected(
        f"{path.name}: {what}{where}; it may be damaged, cut off or saved in another format. Open it, save it again "
        f"as {'.xlsx' if path.suffix.lower() in {'.xlsx', '.xlsm'} else 'CSV (UTF-8 or Shift_JIS)'} and send it again.",
        [Finding(0, None, reason)],
        message_ja=(f"{path.name}: ファイルを読み取れませんでした{('（' + str(line) + '行目付近）') if line else ''}。"
                    "壊れているか、途中で切れているか、別の形式で保存されている可能性があります。"
                    "ファイルを開いて同じ形式で保存し直し、もう一度送ってください。"),
        next_step="resend_complete",
    )


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
        try:
            for row in reader:
                if previous is not None:
                    yield previous
                previous = row
        except csv.Error as error:
            reason = "a cell is longer than 128 KB" if "field limit" in str(error) else "not a readable CSV file"
            raise _unreadable(path, reason, f"unreadable CSV ({reason})", reader.line_num) from error
        except UnicodeDecodeError as error:
            raise _unreadable(path, "bytes that are not text in its encoding", "unsupported encoding",
                              reader.line_num) from error
        if previous is not None:
            if not ends_with_newline:
                previous = previous + [_NO_NEWLINE]
            yield previous


def _excel_sheets(path: Path, wanted: str | int | None) -> list[tuple[str, Iterator[list[str | None]]]]:
    """(sheet name, rows) of the sheets to look at: the one a mapping names, else every sheet in order.

    calamine reads a sheet at once; .xlsx size is capped by max_file_megabytes."""
    import fastexcel

    try:
        book = fastexcel.read_excel(str(path))
        names = list(book.sheet_names)
    except Exception as error:  # calamine raises several kinds for a damaged or foreign file
        raise _unreadable(path, "not a readable Excel workbook", "damaged or unreadable workbook") from error
    if wanted is not None:
        if isinstance(wanted, int):
            if not 1 <= wanted <= len(names):
                raise _mapping_problem(path, f"the mapping asks for sheet {wanted}, the workbook has {len(names)}")
            names = [names[wanted - 1]]
        elif wanted in names:
            names = [wanted]
        else:
            raise _mapping_problem(path, f"the mapping asks for sheet '{wanted}'; the workbook has "
                                         f"{', '.join(names)}")

    def rows(name: str) -> Iterator[list[str | None]]:
        try:
            sheet = book.load_sheet(name, header_row=None, dtypes="string").to_polars()
        except Exception as error:
            raise _unreadable(path, f"sheet '{name}' cannot be read", "damaged or unreadable workbook") from error
        for row in sheet.iter_rows():
            yield [None if cell is None else str(cell) for cell in row]

    return [(name, rows(name)) for name in names]


def _mapping_problem(path: Path, problem: str) -> Rejected:
    return Rejected(f"{path.name}: {problem}; correct the mapping file.", [Finding(0, None, f"mapping: {problem}")],
                    message_ja=f"{path.name}: 列の対応表（マッピング）の指定がファイルと合いません（{problem}）。"
                               "マッピングファイルを直してください。",
                    next_step="fix_mapping")


def _is_blank(row: list[str | None]) -> bool:
    """True for a row with no content (Excel padding, blank CSV lines)."""
    return all(cell is None or not str(cell).strip() or cell == _NO_NEWLINE for cell in row)


def _text(row: list[str | None]) -> str:
    """A row's cells joined, NFKC-folded, for title matching."""
    return nfkc(" ".join(str(c) for c in row if c and c != _NO_NEWLINE)) or ""


def _skip_to_block(rows: Iterator[list[str | None]], options: ReadOptions, path: Path) -> tuple[list, list]:
    """Consume rows up to where the wanted table starts; returns (rows before it, [first row of the table])."""
    before: list[list[str | None]] = []
    if options.header_row is not None:
        for _ in range(options.header_row - 1):
            row = next(rows, None)
            if row is None:
                break
            before.append(row)
        return before, []
    if options.block_title is not None:
        wanted = nfkc(options.block_title) or ""
        for row in rows:
            if wanted and wanted in _text(row):
                return before, [row]
            before.append(row)
        raise _mapping_problem(path, f"no line contains the table title '{options.block_title}'")
    if options.block_index is not None:
        block, previous_blank = 0, True
        for row in rows:
            blank = _is_blank(row)
            if not blank and previous_blank:
                block += 1
                if block == options.block_index:
                    return before, [row]
            previous_blank = blank
            before.append(row)
        raise _mapping_problem(path, f"the mapping asks for table {options.block_index}, the file has {block}")
    return before, []


class _NoHeader(Exception):
    """No complete header in the rows looked at: the best near-miss and the rows seen, for the message."""

    def __init__(self, partial: tuple[int, int, list[str], list[str]] | None, seen: list[list[str | None]]):
        super().__init__("no header")
        self.partial = partial
        self.seen = seen


def _find_header(rows: Iterator[list[str | None]], layouts: list[Layout], options: ReadOptions,
                 first: list[list[str | None]]) -> tuple[list[str], list[str], int]:
    """(header, title rows, layout index) of the first row that holds every required column of a layout."""
    seen: list[list[str | None]] = []
    partial: tuple[int, int, list[str], list[str]] | None = None  # (-mapped, layout index, missing, header)
    limit = 1 if options.header_row is not None else options.header_search_rows
    source = itertools.chain(first, rows) if first else rows
    for row in source:
        if row and row[-1] == _NO_NEWLINE:
            row = row[:-1]
        seen.append(row)
        if _is_blank(row):
            if len(seen) >= limit:
                break
            continue
        header = [str(cell or "").strip() for cell in row]
        candidates = []
        for index, layout in enumerate(layouts):
            mapping, missing, _ = layout.match_header(header)
            signature_ok = all(any(h.strip() == s for h in header) for s in layout.signature)
            if signature_ok and len(mapping) >= min(2, len(layout.fields)):
                candidates.append((len(missing), -len(mapping), index, missing))
        complete = sorted(c for c in candidates if not c[0])
        if complete:
            title_rows = [_text(r) for r in seen[:-1] if not _is_blank(r)]
            return header, title_rows, complete[0][2]
        for _, mapped, index, missing in candidates:
            if partial is None or mapped < partial[0]:
                partial = (mapped, index, missing, header)
        if len(seen) >= limit:
            break
    raise _NoHeader(partial, seen)


def _headers_refusal(path: Path, kind: str, layouts: list[Layout], failure: _NoHeader, sheet: str | None,
                     options: ReadOptions) -> Rejected:
    """The refusal when no header with the required columns was found: expected beside found, and what to do."""
    where = f" (sheet '{sheet}')" if sheet else ""
    if failure.partial is not None:
        _, index, missing, header = failure.partial
        layout = layouts[index]
        labels = {spec.name: spec.label for spec in layout.fields}
        missing_labels = [labels.get(name, name) for name in missing]
        found = [h for h in header if h]
        return Rejected(
            f"{path.name}{where}: required column(s) {', '.join(missing_labels)} missing or named differently; "
            f"expected {', '.join(layout.expected_headers)}, found {', '.join(found)}.",
            [Finding(0, labels.get(name, name), "missing or renamed required column") for name in missing],
            message_ja=(f"{path.name}{where}: 必要な列 {'、'.join(missing_labels)} が見つからないか、見出しが違います。"),
            next_step="fix_mapping" if layout.source else "add_mapping", mapping_file=layout.source,
            expected_headers=layout.expected_headers, found_headers=found,
            optional_headers=layout.optional_headers, layout_fields=_field_labels(layout), table=layout.table,
        )
    non_blank = [r for r in failure.seen if not _is_blank(r)]
    if not non_blank:
        return Rejected(f"{path.name}{where}: the file is empty; send the export again.",
                        [Finding(0, None, "empty file")],
                        message_ja=f"{path.name}{where}: ファイルが空です。データの入ったファイルをもう一度送ってください。",
                        next_step="resend_complete")
    best = max(non_blank, key=lambda r: sum(1 for c in r if c is not None and str(c).strip()))
    found = [str(c).strip() for c in best if c is not None and str(c).strip() and c != _NO_NEWLINE]
    primary = layouts[0]
    others = {layout.name: layout.expected_headers for layout in layouts[1:] if layout.expected_headers}
    searched = 1 if options.header_row is not None else options.header_search_rows
    return Rejected(
        f"{path.name}{where}: no header row with the required columns of kind {kind} in the first {searched} "
        f"lines; expected {', '.join(primary.expected_headers)}, found {', '.join(found)}.",
        [Finding(0, None, "missing or renamed required column")],
        message_ja=(f"{path.name}{where}: 先頭{searched}行の中に、必要な列見出しの行が見つかりません。"),
        next_step="fix_mapping" if primary.source else "add_mapping", mapping_file=primary.source,
        expected_headers=primary.expected_headers, found_headers=found,
        optional_headers=primary.optional_headers, other_layouts=others or None,
        layout_fields=_field_labels(primary), table=primary.table,
    )


def _field_labels(layout: Layout) -> dict[str, list[str]]:
    """Stored fields of a layout → the header expected for each, then its other accepted names (example mapping)."""
    return {spec.name: [spec.label, *(a for a in spec.aliases if a != spec.label)] for spec in layout.fields
            if spec.keep and not spec.name.startswith(("public_", "kyoiku_")) and spec.name != "municipality_code"}


def open_table(path: Path, layouts: list[Layout], kind: str, *, fast: bool = True,
               split_body: bool = True) -> RawTable:
    """Open a landing file, find its header (and table, and sheet), and pick the layout it matches.

    fast=False reads every file through the streaming reader (the fast path's reference in the tests);
    split_body=False leaves a fast-path body as bytes (RawTable.body) for parse_body."""
    options = layouts[0].read if layouts else ReadOptions()
    is_excel = path.suffix.lower() in {".xlsx", ".xlsm"}
    if fast and not is_excel and not options.picks_block:
        table = _open_csv_fast(path, layouts, options, split_body)
        if table is not None:
            return table
    encoding = "xlsx" if is_excel else detect_encoding(path)
    sources: list[tuple[str | None, Iterator[list[str | None]]]] = (
        list(_excel_sheets(path, options.sheet)) if is_excel else [(None, iter(_csv_rows(path, encoding)))]
    )
    failures: list[tuple[str | None, _NoHeader]] = []
    for sheet, source in sources:
        rows = iter(source)
        try:
            before, first = _skip_to_block(rows, options, path)
            header, title_rows, index = _find_header(rows, layouts, options, first)
        except _NoHeader as failure:
            failures.append((sheet, failure))
            continue
        if options.picks_block or options.header_row is not None:
            title_rows = [_text(r) for r in before if not _is_blank(r)][-3:] + title_rows
        return RawTable(header, title_rows, _numbered(rows, len(header), path, options.picks_block), encoding,
                        index, sheet)
    near = [f for f in failures if f[1].partial is not None]
    sheet, failure = (near or failures)[0]
    raise _headers_refusal(path, kind, layouts, failure, sheet if len(sources) > 1 else None, options)


def _numbered(rows: Iterator[list[str | None]], width: int, path: Path,
              stop_at_blank: bool = False) -> Iterator[tuple[int, list[str | None]]]:
    """Number data rows from 1 (header excluded), skip blank ones, flag truncated or ragged rows."""
    for number, row in enumerate(rows, start=1):
        truncated = bool(row) and row[-1] == _NO_NEWLINE
        if truncated:
            row = row[:-1]
        if _is_blank(row):
            if stop_at_blank:
                return
            continue
        if len(row) < width:
            reason = "truncated last line" if truncated else f"expected {width} fields, found {len(row)}"
            raise Rejected(
                f"{path.name}: row {number}: {reason}; the file looks cut off or damaged — send the complete export.",
                [Finding(number, None, reason)],
                message_ja=(f"{path.name}: {number}行目の列の数が見出しと合いません（見出し{width}列、この行{len(row)}列）。"
                            "ファイルが途中で切れているか壊れています。完全なファイルをもう一度送ってください。"),
                next_step="resend_complete",
            )
        if len(row) > width and any(cell not in (None, "") for cell in row[width:]):
            raise Rejected(
                f"{path.name}: row {number}: more fields ({len(row)}) than header columns ({width}); check the "
                "delimiter and quotes.",
                [Finding(number, None, f"expected {width} fields, found {len(row)}")],
                message_ja=(f"{path.name}: {number}行目の列の数（{len(row)}）が見出しの列の数（{width}）より多くなって"
                            "います。区切り文字や引用符（\"）を確認して、もう一度送ってください。"),
                next_step="fix_and_resend",
            )
        yield number, row[:width]


def _decoded(path: Path) -> tuple[str, str] | None:
    """(text, encoding) of a whole CSV file, decoded in one pass; None when the streaming reader must decide
    (too large, UTF-16 or binary, or anything detect_encoding would refuse)."""
    data = lake.kept_content(path)
    if data is None:
        if path.stat().st_size > FAST_READ_MAX_BYTES:
            return None
        data = path.read_bytes()
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:4]:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            encoding = detect_encoding(path)  # the line-by-line verdict (mixed encodings, not text at all)
        except Rejected:
            return None
        return data.decode(encoding), encoding
    if text.startswith("\ufeff"):
        return text[1:], "utf-8-sig"
    return text, "utf-8"


def _open_csv_fast(path: Path, layouts: list[Layout], options: ReadOptions,
                   split_body: bool = True) -> RawTable | None:
    """A well-formed CSV read at once: the header found as the streaming reader finds it, the body split by
    polars. None whenever the file holds something only the streaming reader decides the same way."""
    decoded = _decoded(path)
    if decoded is None:
        return None
    text, encoding = decoded
    if (not text.endswith("\n") or '"' in text or text.count("\r") != text.count("\r\n")
            or has_python_only_whitespace(text)):
        return None
    delimiter = _delimiter(path, text[:text.find("\n") + 1])
    position = 0

    def lines() -> Iterator[list[str | None]]:
        nonlocal position
        while position < len(text):
            end = text.find("\n", position) + 1
            line, position = text[position:end], end
            yield next(csv.reader([line], delimiter=delimiter))

    rows = lines()
    try:
        before, first = _skip_to_block(rows, options, path)
        header, title_rows, index = _find_header(rows, layouts, options, first)
    except (_NoHeader, Rejected):
        return None  # the streaming reader words the refusal
    if options.header_row is not None:
        title_rows = [_text(r) for r in before if not _is_blank(r)][-3:] + title_rows
    body = text[position:].encode("utf-8")
    if body and (len(header) < 2 or body.count(delimiter.encode()) != (len(header) - 1) * body.count(b"\n")):
        return None  # a blank or short line (a long one makes polars raise in parse_body)
    if not split_body:
        return RawTable(header, title_rows, iter(()), encoding, index, None, None, body, delimiter)
    frame = parse_body(body, delimiter, len(header))
    if frame is None:
        return None
    return RawTable(header, title_rows, iter(()), encoding, index, None, frame, None, delimiter)


def parse_body(data: bytes, delimiter: str, width: int) -> pl.DataFrame | None:
    """Fast-path data rows (of one file, or the bodies of several joined) as text columns column_0 … numbered
    from 1 in source_row_number; None if a row is blank or long (the streaming reader must then decide)."""
    names = [f"column_{i}" for i in range(width)]
    if not data:
        return pl.DataFrame({**{name: pl.Series(name, [], dtype=pl.String) for name in names},
                             "source_row_number": pl.Series("source_row_number", [], dtype=pl.Int64)})
    try:
        frame = pl.read_csv(data, has_header=False, separator=delimiter, quote_char=None, infer_schema=False,
                            empty_string_is_null=False, truncate_ragged_lines=False, new_columns=names)
    except pl.exceptions.PolarsError:
        return None
    if frame.width != width:
        return None
    blank = pl.all_horizontal(pl.col(name).str.strip_chars() == "" for name in names)
    if frame.select(blank.any()).item():
        return None  # blank rows are skipped but still counted: the streaming reader numbers them
    return frame.with_columns(pl.int_range(1, frame.height + 1, dtype=pl.Int64).alias("source_row_number"))
