"""One landing file through ingest: read in chunks → normalise → contract checks → PII guard → stage → commit."""
from __future__ import annotations

import bisect
import contextvars
import hashlib
import io
import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from ingest.common import lake
from ingest.common.contract import LINEAGE_COLUMNS, PUBLIC_IDENTIFIER_PII, Contract, Layout
from ingest.common.findings import Finding, Rejected, Tally, summarise
from ingest.common.mapping import layouts_for
from ingest.common.normalize import find_month, header_key
from ingest.common.pii import scan_frame
from ingest.common.reader import RawTable, open_table, parse_body
from warehouse.platform import durable, heap
from warehouse.platform.faults import kill_point

CHUNK_ROWS = 100_000  # rows per batch: bounds memory whatever the file size
MAX_FINDINGS = 200  # stop reading a file once this many problems are known


@dataclass
class FileOutcome:
    """What happened to one landing file version."""

    kind: str
    path: str
    sha256: str
    status: str  # loaded, unchanged, quarantined, replaced
    tables: list[str] = field(default_factory=list)
    fiscal_months: list[str] = field(default_factory=list)
    rows_in: int = 0
    rows_out: int = 0
    message: str = ""
    warnings: list[str] = field(default_factory=list)
    message_ja: str = ""
    findings: list[dict[str, Any]] = field(default_factory=list)
    replaced: list[dict[str, str]] = field(default_factory=list)  # [{table, fiscal_month, sha256, file_name}]
    seen_before: bool = False  # unchanged: a live version already loaded from a file of the same name

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return asdict(self)


@dataclass
class IngestReport:
    """Every file seen in one ingest run, and which lake partitions changed (the refresh rebuilds those)."""

    files: list[FileOutcome] = field(default_factory=list)
    changed: dict[str, set[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (sets become sorted lists)."""
        return {
            "files": [outcome.to_dict() for outcome in self.files],
            "changed": {table: sorted(months) for table, months in sorted(self.changed.items())},
        }


@dataclass
class KindSpec:
    """An extract kind: its lake contracts, landing layouts and optional special reader (mappings: common/mapping.py)."""

    kind: str
    contracts: dict[str, Contract]
    layouts: tuple[Layout, ...]
    special_reader: Callable[[Path, Context], RawTable | None] | None = None


@dataclass
class Context:
    """Per-file facts the transforms need. today is the warehouse's as-of date (future dates are refused after it)."""

    path: Path
    sha256: str
    kind: str
    today: date
    loaded_at: datetime
    salt: bytes
    settings: Any
    layout: Layout | None = None
    contract: Contract | None = None
    headers: dict[str, str] = field(default_factory=dict)  # field / lake column → header as written in the file
    declared_month: date | None = None
    title_rows: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    fast_read: bool = True  # False: every file through the streaming reader (the equivalence tests' reference)
    manifest: ManifestUpdate | None = None  # the run's manifest, with versions not yet written; None: lake/'s
    opened: _Opened | None = None  # a special reader's table kept by open_for_bulk, so stage_file does not read again


@dataclass
class Staged:
    """A file that passed every check, written to staging but not yet to the lake."""

    table: str
    parts: dict[str, list[Path]]  # fiscal_month → staged parquet parts
    rows: dict[str, int]
    scopes: dict[str, list[str]] | None  # fiscal_month → replacement scope values; None: never replaces
    rows_in: int
    rows_out: int
    warnings: list[str]
    staging_dir: Path
    frames: dict[str, pl.DataFrame] | None = None  # fiscal_month → rows held in memory instead of staged parts
    parquet: dict[str, bytes] | None = None  # fiscal_month → those rows already written as a Parquet file's bytes

    def scans(self) -> dict[str, pl.LazyFrame]:
        """Each month's rows, from memory or from the staged parts."""
        if self.frames is not None:
            return {month: frame.lazy() for month, frame in self.frames.items()}
        return {month: pl.scan_parquet([str(p) for p in paths], glob=False) for month, paths in self.parts.items()}


def _batches(rows: Iterator[tuple[int, list[str | None]]], size: int) -> Iterator[list[tuple[int, list[str | None]]]]:
    """Group numbered rows into lists of at most size."""
    batch: list[tuple[int, list[str | None]]] = []
    for item in rows:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _frame(batch: list[tuple[int, list[str | None]]], names: list[str]) -> pl.DataFrame:
    """Text DataFrame of one batch with a source_row_number column."""
    columns: dict[str, list[Any]] = {name: [] for name in names}
    numbers = []
    for number, cells in batch:
        numbers.append(number)
        for name, cell in zip(names, cells):
            columns[name].append(None if cell is None else str(cell))
    frame = pl.DataFrame({name: pl.Series(name, values, dtype=pl.String) for name, values in columns.items()})
    return frame.with_columns(pl.Series("source_row_number", numbers, dtype=pl.Int64))


def _text_batches(table: RawTable, names: list[str], size: int) -> Iterator[pl.DataFrame]:
    """Text DataFrames of at most size rows (field-named columns, then source_row_number), from either path."""
    if table.frame is None:
        yield from (_frame(batch, names) for batch in _batches(table.rows, size))
        return
    frame = table.frame.rename({f"column_{index}": name for index, name in enumerate(names)})
    for offset in range(0, frame.height, size):
        yield frame.slice(offset, size)


def _declared_month(path: Path, title_rows: list[str], layout: Layout) -> date | None:
    """The month a file declares in its name or a title row, if its layout holds one month per file."""
    if not layout.declares_month:
        return None
    for text in [path.stem, *title_rows]:
        try:
            found = find_month(text)
        except ValueError:
            found = None
        if found is not None:
            return found
    return None


def check_contract(frame: pl.DataFrame, contract: Contract, ctx: Context, max_values: dict[str, float],
                   declared_months: pl.Series | None = None) -> list[Finding]:
    """Required values, accepted values, ranges, future dates and the declared month — each a finding at its row.

    These are the row rules the dbt tests on the staging models enforce (not_null, accepted_values, ranges), so a
    file that passes here cannot fail them later. declared_months ('YYYY-MM' per row, null where none) replaces
    ctx.declared_month when several files are checked as one batch."""
    findings: list[Finding] = []
    rows = frame["source_row_number"]

    def add(mask: pl.Series, column: str, reason: str) -> None:
        label = ctx.headers.get(column, column)
        findings.extend(Finding(int(row), label, reason) for row in rows.filter(mask.fill_null(False)).to_list())

    for column in contract.columns:
        if column.name not in frame.columns:
            continue
        values = frame[column.name]
        if column.required:
            add(values.is_null(), column.name, "missing required value")
        if column.accepted_values is not None:
            add(~values.is_in(list(column.accepted_values)) & values.is_not_null(), column.name,
                f"value not allowed (allowed: {', '.join(column.accepted_values)})")
        if column.min_value is not None:
            reason = "negative value" if column.min_value == 0 else f"below minimum {column.min_value:g}"
            add(values < column.min_value, column.name, reason)
        maximum = max_values.get(column.name, column.max_value)
        if maximum is not None:
            add(values > maximum, column.name, f"above plausible maximum {maximum:g}")
    if contract.date_column and contract.date_column in frame.columns:
        days = frame[contract.date_column].cast(pl.Date)
        if contract.check_not_future:
            add(days > ctx.today, contract.date_column, f"date in the future (after {ctx.today.isoformat()})")
        if declared_months is None and ctx.declared_month is not None:
            declared_months = pl.Series([ctx.declared_month.strftime("%Y-%m")] * frame.height, dtype=pl.String)
        if declared_months is not None:
            outside = (days.dt.strftime("%Y-%m") != declared_months).fill_null(False)
            for month in declared_months.filter(outside).unique(maintain_order=True).to_list():
                add(outside & (declared_months == month), contract.date_column,
                    f"date outside the month the file declares ({month})")
    if contract.partition_rule == "fiscal_year_april" and contract.check_not_future and "fiscal_year" in frame.columns:
        current = ctx.today.year if ctx.today.month >= 4 else ctx.today.year - 1
        add(frame["fiscal_year"] > current, "fiscal_year", f"fiscal year after the current one (FY{current})")
    return findings


def _fiscal_month(frame: pl.DataFrame, contract: Contract, loaded_at: datetime) -> pl.Series:
    """The partition value of each row (calendar month of its date, load month, or April of its fiscal year)."""
    if contract.partition_rule == "load_month":
        return pl.Series("fiscal_month", [loaded_at.strftime("%Y-%m")] * frame.height, dtype=pl.String)
    if contract.partition_rule == "fiscal_year_april":
        return (frame["fiscal_year"].cast(pl.String) + "-04").alias("fiscal_month")
    return frame[contract.date_column].cast(pl.Date).dt.strftime("%Y-%m").alias("fiscal_month")


def _allowed_pii(layout: Layout) -> dict[str, frozenset[str]]:
    """PII kinds each field may hold; reduced fields (keep=False) are scanned after reduction, in the lake frame."""
    allowed = {spec.name: spec.pii_allowed for spec in layout.fields}
    for spec in layout.fields:
        if not spec.keep:
            allowed[spec.name] = frozenset({"email", "phone", "ip", "my_number"})
    return allowed


def _lake_pii_allowed(contract: Contract) -> dict[str, frozenset[str]]:
    """Hashed columns hold digests, not addresses: skip them; scan every other stored text column."""
    return {column.name: frozenset({"email", "phone", "ip", "my_number"})
            for column in contract.columns if column.name == "client_hash"}


def stage_file(
    spec: KindSpec, ctx: Context, staging_dir: Path, chunk_rows: int = CHUNK_ROWS,
    bulk: tuple[BulkFile, BulkResult] | None = None,
) -> Staged:
    """Read, check and stage one file; raise Rejected (nothing written outside staging_dir) if it cannot be trusted.
    A file whose rows were already checked in a bulk batch (stage_bulk) gets only the whole-file checks.

    Whatever goes wrong while reading one file (a damaged workbook, a disk error, a bug) is a refusal of that
    file in words, never an exception that stops the other files of the run."""
    try:
        if bulk is not None:
            return finish_bulk(*bulk)
        return _stage(spec, ctx, staging_dir, chunk_rows)
    except Rejected:
        raise
    except Exception as error:
        name = type(error).__name__
        detail = f" ({error.strerror})" if isinstance(error, OSError) and error.strerror else ""
        raise Rejected(
            f"{ctx.path.name}: the file could not be read ({name}{detail}); it may be damaged, still being copied "
            "or not the format its name says. Open it, save it again and send it again.",
            [Finding(0, None, f"unreadable file ({name})")],
            message_ja=(f"{ctx.path.name}: ファイルを読み取れませんでした（{name}{detail}）。壊れているか、コピーの途中か、"
                        "名前と違う形式の可能性があります。ファイルを開いて保存し直し、もう一度送ってください。"),
            next_step="resend_complete",
        ) from error


def _stage(spec: KindSpec, ctx: Context, staging_dir: Path, chunk_rows: int) -> Staged:
    """stage_file without the safety net: open the layout, check and stage each batch, then the whole-file checks.
    A file read whole into memory (the fast path) keeps its lake rows in memory too, so the commit writes each
    month once; the streaming reader's batches are staged on disk, so its memory stays bounded."""
    opened, ctx.opened = ctx.opened or _open_layout(spec, ctx), None
    written = _Written()
    in_memory: dict[str, list[pl.DataFrame]] | None = None if opened.table.frame is None else {}
    for number, (frame, (result, findings)) in enumerate(_checked_batches(opened, ctx, chunk_rows)):
        written.rows_in += frame.height
        written.tally.add(_one_problem_per_cell(findings))
        if written.tally.total >= MAX_FINDINGS:
            written.stopped_early = True
            break
        if written.tally:
            continue
        lake_rows = _lake_frame(result, opened.contract, ctx)
        if in_memory is None:
            _write_parts(lake_rows, number, staging_dir, written)
            continue
        for (month,), part in lake_rows.partition_by("fiscal_month", as_dict=True).items():
            in_memory.setdefault(str(month), []).append(part.drop("fiscal_month"))
            written.parts.setdefault(str(month), [])
            written.month_rows[str(month)] = written.month_rows.get(str(month), 0) + part.height
        written.rows_out += lake_rows.height
    _reject_findings(opened, ctx, written)
    frames = None if in_memory is None else {month: pl.concat(parts) for month, parts in in_memory.items()}
    return _finish_checks(opened, ctx, written, staging_dir, frames=frames)


@dataclass
class _Opened:
    """A landing file opened and its layout read: what every batch is checked and transformed with."""

    table: RawTable
    special: bool  # read by the kind's special reader (logs): no header list to show in a refusal
    layout: Layout
    contract: Contract
    names: list[str]  # field name of each file column (extra:<i> for columns the layout does not know)
    warnings: list[str]
    max_values: dict[str, float]
    raw_allowed: dict[str, frozenset[str]]
    lake_allowed: dict[str, frozenset[str]]
    scanned_raw: set[str]


@dataclass
class _Written:
    """What the batches of one file have staged and found so far."""

    tally: Tally = field(default_factory=lambda: Tally(keep=MAX_FINDINGS))
    parts: dict[str, list[Path]] = field(default_factory=dict)
    month_rows: dict[str, int] = field(default_factory=dict)
    rows_in: int = 0
    rows_out: int = 0
    stopped_early: bool = False


def _open_layout(spec: KindSpec, ctx: Context, split_body: bool = True) -> _Opened:
    """Open the file with its kind's reader, match its header to a layout and record the facts on ctx."""
    path = ctx.path
    table = spec.special_reader(path, ctx) if spec.special_reader else None
    special = table is not None
    if table is not None:
        layouts = list(spec.layouts)  # special readers (logs) index the built-in layouts
    else:
        layouts = layouts_for(spec, path, ctx.settings)
        table = open_table(path, layouts, spec.kind, fast=ctx.fast_read, split_body=split_body)
    layout = layouts[table.layout_index]
    contract = spec.contracts[layout.table]
    ctx.layout, ctx.contract = layout, contract
    mapping, _, unknown = layout.match_header(table.header)
    warnings = [f"extra column '{name}' is not in the {spec.kind} contract and was ignored" for name in unknown]
    names = [mapping.get(index, f"extra:{index}") for index in range(len(table.header))]
    ctx.headers = {names[index]: table.header[index] for index in range(len(table.header))}
    ctx.title_rows = table.title_rows
    ctx.declared_month = _declared_month(path, table.title_rows, layout)
    max_values = _max_values(contract, layout, ctx.settings)
    raw_allowed = _raw_pii_allowed(layout, table.header, names, warnings)
    return _Opened(table, special, layout, contract, names, warnings, max_values, raw_allowed,
                   _lake_pii_allowed(contract), {field_.name for field_ in layout.fields if field_.keep})


def _max_values(contract: Contract, layout: Layout, settings: Any) -> dict[str, float]:
    """Plausible maxima per column: the [ingest] settings the contract names, then the layout's own limits."""
    max_values = {
        column.name: float(settings.get("ingest", column.max_setting))
        for column in contract.columns if column.max_setting
    }
    max_values.update(layout.limits)
    return max_values


def _raw_pii_allowed(layout: Layout, header: list[str], names: list[str],
                     warnings: list[str]) -> dict[str, frozenset[str]]:
    """PII kinds each file column may hold as read, public identifiers included (a warning when one is missing)."""
    raw_allowed = _allowed_pii(layout)
    public = {header_key(title) for title in layout.public_identifiers}
    for index, title in enumerate(header):
        if header_key(title) in public:
            raw_allowed[names[index]] = raw_allowed.get(names[index], frozenset()) | PUBLIC_IDENTIFIER_PII
    missing_public = sorted(public - {header_key(title) for title in header})
    if missing_public:
        warnings.append(f"public identifier column(s) {', '.join(missing_public)} declared by the mapping are not in "
                        "the file")
    return raw_allowed


def _checked_batches(opened: _Opened, ctx: Context, chunk_rows: int
                     ) -> Iterator[tuple[pl.DataFrame, tuple[pl.DataFrame, list[Finding]]]]:
    """Each batch of the file with its _batch_findings, in order. A file read whole into memory (the fast path)
    has its next batch checked on a second thread while this one is (polars releases the GIL); the streaming
    reader's batches are checked one at a time, so its memory stays bounded."""
    batches = _text_batches(opened.table, opened.names, chunk_rows)
    if opened.table.frame is None or opened.table.frame.height <= chunk_rows:
        yield from ((frame, _batch_findings(frame, opened, ctx)) for frame in batches)
        return
    with ThreadPoolExecutor(1, thread_name_prefix="ingest-batch") as pool:
        ahead: tuple[pl.DataFrame, Future] | None = None
        for frame in batches:
            if ahead is None:
                ahead = (frame, pool.submit(_batch_findings, frame, opened, ctx))
                continue
            checked = _batch_findings(frame, opened, ctx)
            yield ahead[0], ahead[1].result()
            ahead = None
            yield frame, checked
        if ahead is not None:
            yield ahead[0], ahead[1].result()


def _batch_findings(frame: pl.DataFrame, opened: _Opened, ctx: Context,
                    declared_months: Callable[[pl.Series], pl.Series] | None = None
                    ) -> tuple[pl.DataFrame, list[Finding]]:
    """The checks of one batch: the transformed batch and every finding, in the order they are reported.
    declared_months maps source_row_number to each row's declared month (a batch of several files)."""
    layout = opened.layout
    if layout.constants:
        frame = frame.with_columns(
            [pl.lit(None if value is None else str(value), dtype=pl.String).alias(name)
             for name, value in layout.constants.items() if name not in frame.columns]
        )
    findings: list[Finding] = []
    findings.extend(scan_frame(frame, opened.raw_allowed, ctx.headers))
    result: pl.DataFrame = layout.transform(frame, ctx, findings)
    reduced = [c for c in result.columns if result.schema[c] == pl.String and c not in opened.scanned_raw]
    if reduced:  # columns made at ingest (request path, referrer host …) are scanned in their stored form
        findings.extend(scan_frame(result.select([*reduced, "source_row_number"]), opened.lake_allowed, ctx.headers))
    months = None if declared_months is None else declared_months(result["source_row_number"])
    findings.extend(check_contract(result, opened.contract, ctx, opened.max_values, months))
    return result, findings


# Kinds whose transforms read only the batch and the layout (indicator reports take the department from the
# file's name, logs have their own reader): their small files are checked many to a batch.
BULK_KINDS = frozenset({"certificates", "web_access", "gis", "energy"})


@dataclass
class BulkFile:
    """A small landing file opened on the fast path, waiting to be checked with others of its layout."""

    ctx: Context
    opened: _Opened
    rows: int = 0  # data rows in the file

    @property
    def key(self) -> tuple[object, ...]:
        """Files with the same key are read the same way: one layout, one header, the same constants."""
        layout = self.opened.layout
        return (self.ctx.kind, layout.name, layout.source, tuple(self.opened.table.header),
                self.opened.table.delimiter,
                tuple(sorted((name, str(value)) for name, value in layout.constants.items())))


@dataclass
class BulkResult:
    """One file of a bulk batch after the row checks: its findings counted, its lake rows by month."""

    written: _Written
    frames: dict[str, pl.DataFrame]
    duplicates: pl.DataFrame | None = None  # keys held by more than one row (None: the contract has no key)
    scopes: dict[str, list[str]] | None = None  # per month, the replace scope values (None: compute per file)
    parquet: dict[str, bytes] | None = None  # per month, the lake part's bytes (encode_parts)


def encode_parts(results: list[BulkResult]) -> None:
    """Write each month's lake rows of a bulk batch as Parquet bytes in memory, so the commit only puts them on
    disk (ingest_landing does this beside the commits of the batch before, on the other core)."""
    for result in results:
        parquet = {}
        for month, frame in result.frames.items():
            buffer = io.BytesIO()
            frame.write_parquet(buffer)
            parquet[month] = buffer.getvalue()
        result.parquet = parquet


def open_for_bulk(spec: KindSpec, ctx: Context, chunk_rows: int) -> BulkFile | None:
    """The file opened for a bulk batch, or None when it must go through stage_file alone (another reader,
    more rows than one batch, a kind whose transform reads the file's name, or anything that fails to open)."""
    if spec.kind not in BULK_KINDS or not ctx.fast_read:
        return None
    try:
        opened = _open_layout(spec, ctx, split_body=False)
    except Exception:  # noqa: BLE001 — stage_file opens it again and words the refusal
        return None
    rows = opened.table.data_rows
    if opened.special:  # a special reader (logs) reads the whole file whatever split_body says: keep it
        ctx.opened = opened
        return None
    if opened.table.body is None or rows is None or rows > chunk_rows:
        return None
    return BulkFile(ctx, opened, rows)


def stage_bulk(files: list[BulkFile]) -> list[BulkResult]:
    """Check files of one layout as one batch (one PII scan, one transform, one contract check for all) and
    split the result per file: each file's findings and lake rows are those stage_file gives it alone.

    Rows are numbered across the batch while it is checked (file i's row r is starts[i] + r) and numbered
    per file again afterwards. Raises on anything unexpected: the caller then stages each file alone."""
    first = files[0]
    names = first.opened.names
    starts = [0]
    for bulk_file in files:
        starts.append(starts[-1] + bulk_file.rows)
    table = first.opened.table
    batch = parse_body(b"".join(f.opened.table.body or b"" for f in files), table.delimiter, len(table.header))
    if batch is None or batch.height != starts[-1]:
        raise ValueError("the joined bodies do not split into the files' rows; each file is read alone")
    batch = batch.rename({f"column_{index}": name for index, name in enumerate(names)})
    offsets = pl.Series("start", starts[:-1], dtype=pl.Int64)

    def file_of(rows: pl.Series) -> pl.Series:
        return (offsets.search_sorted(rows - 1, side="right") - 1).cast(pl.Int64)

    declared = pl.Series("declared", [None if f.ctx.declared_month is None else f.ctx.declared_month.strftime("%Y-%m")
                                      for f in files], dtype=pl.String)
    result, findings = _batch_findings(batch, first.opened, first.ctx, lambda rows: declared.gather(file_of(rows)))
    for bulk_file in files[1:]:
        bulk_file.ctx.headers = dict(first.ctx.headers)  # transforms name derived columns (usage_value …)
    by_file: list[list[Finding]] = [[] for _ in files]
    for finding in findings:
        if not 0 < finding.row <= starts[-1]:
            raise ValueError(f"finding outside the batch's rows: {finding}")
        index = bisect.bisect_right(starts, finding.row - 1) - 1
        by_file[index].append(Finding(finding.row - starts[index], finding.column, finding.reason))
    lake_rows = _bulk_lake_frame(result, files, offsets, file_of(result["source_row_number"]), first.opened.contract)
    parts = lake_rows.partition_by(["_file", "fiscal_month"], as_dict=True)
    contract = first.opened.contract
    duplicates: dict[int, pl.DataFrame] = {}
    if contract.unique_key:
        found = _duplicate_keys(lake_rows.lazy(), list(contract.unique_key), ("_file",))
        duplicates = {int(i): part.drop("_file") for (i,), part in found.partition_by("_file", as_dict=True).items()}
        no_duplicates = found.clear().drop("_file")
    scopes: dict[int, dict[str, list[str]]] = {}
    if contract.replace_scope:
        scope = pl.concat_str([pl.col(c).cast(pl.String) for c in contract.replace_scope], separator="|")
        grouped = lake_rows.group_by(["_file", "fiscal_month"]).agg(scope.unique().alias("scope"))
        for file_index, month, values in grouped.iter_rows():
            scopes.setdefault(int(file_index), {})[str(month)] = sorted(str(v) for v in values)
    results = []
    for index, bulk_file in enumerate(files):
        written = _Written(rows_in=bulk_file.rows)
        written.tally.add(_one_problem_per_cell(by_file[index]))
        written.stopped_early = written.tally.total >= MAX_FINDINGS
        month_frames: dict[str, pl.DataFrame] = {}
        if not written.tally:
            for (file_index, month), part in parts.items():
                if file_index == index:
                    month_frames[str(month)] = part.drop("_file", "fiscal_month")
            written.parts = {month: [] for month in month_frames}
            written.month_rows = {month: frame.height for month, frame in month_frames.items()}
            written.rows_out = sum(written.month_rows.values())
        results.append(BulkResult(
            written, month_frames,
            duplicates.get(index, no_duplicates) if contract.unique_key else None,
            scopes.get(index, {}) if contract.replace_scope and month_frames else None,
        ))
    return results


def _bulk_lake_frame(result: pl.DataFrame, files: list[BulkFile], offsets: pl.Series, file_index: pl.Series,
                     contract: Contract) -> pl.DataFrame:
    """_lake_frame for a batch of several files: each row's lineage from its own file, numbered per file."""
    lineage = pl.DataFrame({
        "source_file_name": pl.Series([f.ctx.path.name for f in files], dtype=pl.String),
        "source_file_sha256": pl.Series([f.ctx.sha256 for f in files], dtype=pl.String),
        "loaded_at": pl.Series([f.ctx.loaded_at.replace(tzinfo=None) for f in files], dtype=pl.Datetime("us")),
    })
    result = result.with_columns(
        *(lineage[name].gather(file_index).alias(name) for name in lineage.columns),
        (pl.col("source_row_number") - offsets.gather(file_index)).alias("source_row_number"),
        file_index.alias("_file"),
    )
    if contract.partition_rule == "load_month":
        fiscal_month = pl.col("loaded_at").dt.strftime("%Y-%m").alias("fiscal_month")
    else:
        fiscal_month = _fiscal_month(result, contract, files[0].ctx.loaded_at)
    result = result.with_columns(fiscal_month)
    ordered = [*contract.names, *(name for name, _, _ in LINEAGE_COLUMNS), "fiscal_month"]
    schema = contract.polars_schema()
    return result.select([*(pl.col(name).cast(schema[name]) for name in ordered), "_file"])


def finish_bulk(bulk_file: BulkFile, result: BulkResult) -> Staged:
    """The whole-file checks of stage_file for one file of a bulk batch (run just before its commit, so keys
    loaded by the files before it in this run count); Rejected as stage_file would refuse it."""
    ctx, opened = bulk_file.ctx, bulk_file.opened
    _reject_findings(opened, ctx, result.written)
    missing = ctx.settings.build_dir / "ingest_staging" / "bulk-in-memory"  # nothing is staged on disk
    return _finish_checks(opened, ctx, result.written, missing, result)


def _lake_frame(result: pl.DataFrame, contract: Contract, ctx: Context) -> pl.DataFrame:
    """A checked batch in its lake form: lineage columns, the partition value, the contract's order and types."""
    result = result.with_columns(
        pl.lit(ctx.path.name, dtype=pl.String).alias("source_file_name"),
        pl.lit(ctx.sha256, dtype=pl.String).alias("source_file_sha256"),
        pl.lit(ctx.loaded_at.replace(tzinfo=None), dtype=pl.Datetime("us")).alias("loaded_at"),
    )
    result = result.with_columns(_fiscal_month(result, contract, ctx.loaded_at))
    ordered = [*contract.names, *(name for name, _, _ in LINEAGE_COLUMNS), "fiscal_month"]
    schema = contract.polars_schema()
    return result.select([pl.col(name).cast(schema[name]) for name in ordered])


def _write_parts(result: pl.DataFrame, number: int, staging_dir: Path, written: _Written) -> None:
    """Write one batch into staging, one Parquet part per fiscal month."""
    for (month,), part in result.partition_by("fiscal_month", as_dict=True).items():
        target = staging_dir / str(month) / f"part-{number:06d}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        part.drop("fiscal_month").write_parquet(target)
        written.parts.setdefault(str(month), []).append(target)
        written.month_rows[str(month)] = written.month_rows.get(str(month), 0) + part.height
    written.rows_out += result.height


def _reject_findings(opened: _Opened, ctx: Context, written: _Written) -> None:
    """Refuse a file with row problems, or with no data rows at all."""
    path, layout = ctx.path, opened.layout
    found = None if opened.special else [header for header in opened.table.header if header]
    if written.tally:
        raise Rejected(f"{path.name}: {summarise(written.tally.kept)}.", written.tally.kept,
                       counts=written.tally.counts, rows_read=written.rows_in, stopped_early=written.stopped_early,
                       expected_headers=layout.expected_headers, found_headers=found,
                       optional_headers=layout.optional_headers, mapping_file=layout.source)
    if written.rows_in == 0:
        raise Rejected(f"{path.name}: header only, no data rows; send the export with its data.",
                       [Finding(0, None, "header only (no data rows)")],
                       message_ja=f"{path.name}: 見出しの行だけで、データの行がありません。データの入ったファイルを送ってください。",
                       next_step="resend_complete", found_headers=found)


def _finish_checks(opened: _Opened, ctx: Context, written: _Written, staging_dir: Path,
                   bulk: BulkResult | None = None, frames: dict[str, pl.DataFrame] | None = None) -> Staged:
    """Whole-file checks over the staged parts or the rows in memory (unique keys in the file, then across the
    lake), then the result. A file of a bulk batch brings its rows, duplicate keys and scopes from the batch's
    queries."""
    contract = opened.contract
    staged = Staged(contract.table, written.parts, written.month_rows, None, written.rows_in, written.rows_out, [],
                    staging_dir, frames if bulk is None else bulk.frames, None if bulk is None else bulk.parquet)
    _check_unique(staged.scans(), contract, ctx, None if bulk is None else bulk.duplicates)
    if bulk is not None and bulk.scopes is not None:
        staged.scopes = bulk.scopes
    else:
        staged.scopes = _scopes(staged.scans(), contract)
    _check_lake_unique(staged, contract, ctx)
    staged.warnings = opened.warnings + ctx.warnings
    return staged


def _one_problem_per_cell(findings: list[Finding]) -> list[Finding]:
    """A cell that could not be read is not also 'missing': drop that echo of a parse error."""
    read_errors = {(f.row, f.column) for f in findings if f.reason != "missing required value"}
    return [f for f in findings if f.reason != "missing required value" or (f.row, f.column) not in read_errors]


def _duplicate_keys(rows: pl.LazyFrame, key: list[str], by: tuple[str, ...] = ()) -> pl.DataFrame:
    """Keys (per value of by) held by more than one row: first and last row, and how many."""
    return (
        rows.group_by([*by, *key])
        .agg(pl.col("source_row_number").min().alias("first"), pl.col("source_row_number").max().alias("last"),
             pl.len().alias("n"))
        .filter(pl.col("n") > 1)
        .collect(engine="streaming")
    )


def _check_unique(scans: dict[str, pl.LazyFrame], contract: Contract, ctx: Context,
                  duplicates: pl.DataFrame | None = None) -> None:
    """Reject duplicate unique keys within the file (checked lazily over the staged parts, or given by a bulk
    batch's one query)."""
    if not contract.unique_key or not scans:
        return
    key = list(contract.unique_key)
    grouped = _duplicate_keys(pl.concat(list(scans.values())), key) if duplicates is None else duplicates
    if not grouped.height:
        return
    duplicates = grouped.sort("last").head(MAX_FINDINGS)
    label = "+".join(ctx.headers.get(name, name) for name in key)
    findings = [Finding(int(last), label, f"duplicate key (same as row {first})")
                for first, last in zip(duplicates["first"].to_list(), duplicates["last"].to_list())]
    extra = int((grouped["n"] - 1).sum()) - len(findings)  # rows repeating a key, beyond those listed
    counts = {(f.reason, f.column): 1 for f in findings}
    if extra > 0:
        counts[("duplicate key", label)] = extra
    raise Rejected(
        f"{ctx.path.name}: duplicate {label} — {summarise(findings)}; each key may appear once per file.",
        findings, counts=counts, next_step="fix_and_resend",
        found_headers=[header for header in ctx.headers.values() if header],
        expected_headers=ctx.layout.expected_headers if ctx.layout else None,
    )


LINEAGE_KEY_COLUMNS = {"source_file_sha256", "source_file_name", "source_row_number"}


def _check_lake_unique(staged: Staged, contract: Contract, ctx: Context) -> None:
    """Reject rows whose lake-wide key is already loaded from another file that this one does not replace.

    The dbt uniqueness tests on the staging models would otherwise fail on every later refresh, naming no file.
    Only the live lake parts of the same table and months are read (read-only), never the whole lake."""
    key = list(contract.lake_unique_key)
    if not key or LINEAGE_KEY_COLUMNS & set(key) or not staged.parts:
        return
    if contract.replace_scope is not None and set(contract.replace_scope) <= set(key):
        return  # a clash needs the same scope values: replaced, or refused as a partial overlap, before this
    existing = _live_lake_parts(staged, contract, ctx)
    if not existing:
        return
    new = pl.concat(list(staged.scans().values())).select([*key, "source_row_number"])
    old = pl.scan_parquet([str(p) for p in existing], glob=False).select(
        [*key, pl.col("source_file_name").alias("old_file"), pl.col("source_row_number").alias("old_row")])
    clashes = new.join(old, on=key, how="inner", nulls_equal=True).sort("source_row_number").collect()
    if clashes.height:
        _reject_lake_clashes(clashes, "+".join(ctx.headers.get(name, name) for name in key), ctx)


def _live_lake_parts(staged: Staged, contract: Contract, ctx: Context) -> list[Path]:
    """The live lake parts of the staged table and months from other files, minus those this file replaces."""
    lake_dir = Path(ctx.settings.lake_dir)
    if ctx.manifest is not None:
        live = ctx.manifest.live
    else:
        try:
            live = LiveParts(lake.read_manifest(lake_dir))
        except Exception:  # noqa: BLE001 — a damaged manifest is the refresh's to report, not this file's fault
            return []
    candidates = live.live(contract.table, staged.parts)
    replaced = {part["parquet"] for _, part in plan_replacement(live, staged, ctx.path)}
    existing = [lake_dir / part["parquet"] for row, part in candidates
                if row["sha256"] != ctx.sha256 and part["parquet"] not in replaced]
    return [path for path in existing if path.exists()]


def _reject_lake_clashes(clashes: pl.DataFrame, label: str, ctx: Context) -> None:
    """Refuse the file, naming each clashing row (up to MAX_FINDINGS) and the earlier file it repeats."""
    shown = clashes.head(MAX_FINDINGS)
    findings = [Finding(int(row), label, f"duplicate key across files (already loaded from {name}, row {old_row})")
                for row, name, old_row in zip(shown["source_row_number"].to_list(), shown["old_file"].to_list(),
                                              shown["old_row"].to_list())]
    counts = {(f.reason, f.column): 1 for f in findings}
    if clashes.height > len(findings):
        counts[("duplicate key across files", label)] = clashes.height - len(findings)
    names = sorted(set(clashes["old_file"].to_list()))
    raise Rejected(
        f"{ctx.path.name}: {clashes.height} row(s) repeat {label} already loaded from {', '.join(names)}, which this "
        "file does not replace; send each row once (correct this file, or remove the earlier file with "
        "`warehouse files remove NAME`).",
        findings, counts=counts, next_step="fix_and_resend",
        message_ja=(f"{ctx.path.name}: {clashes.height}行が、取り込み済みのファイル {'、'.join(names)} と同じ "
                    f"{label} です（このファイルはそれを置き換えません）。同じ行は一度だけ送ってください（このファイルを直すか、"
                    "前のファイルを warehouse files remove で取り除いてください）。"),
    )


def _scopes(scans: dict[str, pl.LazyFrame], contract: Contract) -> dict[str, list[str]] | None:
    """Per month, the scope values a corrected file replaces (e.g. facility codes); [''] means the whole month."""
    if contract.replace_scope is None:
        return None
    if not contract.replace_scope:
        return {month: [""] for month in scans}
    result = {}
    for month, scan in scans.items():
        values = (
            scan
            .select(pl.concat_str([pl.col(c).cast(pl.String) for c in contract.replace_scope], separator="|")
                    .alias("scope"))
            .unique()
            .collect()["scope"]
            .to_list()
        )
        result[month] = sorted(str(v) for v in values)
    return result


class LiveParts:
    """The manifest's parts by (table, fiscal month), so what a new file replaces or clashes with is a lookup,
    not a scan of every version (36,000 small files would make a run quadratic). Built once per run and added to
    on commit; a version's status and a part's liveness are read at lookup, so parts replaced or set aside since
    drop out by themselves."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self._parts: dict[tuple[str, str], list[tuple[int, int, dict[str, Any], dict[str, Any]]]] = {}
        self._by_scope: dict[tuple[str, str, str], list[tuple[int, int, dict[str, Any], dict[str, Any]]]] = {}
        self._rows = 0
        for row in rows:
            self.add(row)

    def add(self, row: dict[str, Any]) -> None:
        """Index a version's parts (in manifest order), also by each scope value they cover."""
        for number, part in enumerate(row["parts"]):
            entry = (self._rows, number, row, part)
            self._parts.setdefault((part["table"], part["fiscal_month"]), []).append(entry)
            for value in part.get("scope") or [""]:
                self._by_scope.setdefault((part["table"], part["fiscal_month"], value), []).append(entry)
        self._rows += 1

    def live(self, table: str, months: Iterable[str]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """(manifest row, part) of the live parts of table in months, in manifest order."""
        found = [entry for month in set(months) for entry in self._parts.get((table, month), ())
                 if entry[2].get("status", "live") == "live" and entry[3].get("live")]
        return [(row, part) for _, _, row, part in sorted(found, key=lambda entry: entry[:2])]

    def overlapping(self, table: str, scopes: dict[str, list[str]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """(manifest row, part) of the live parts of table whose scope shares a value with scopes[month], in
        manifest order: a facility's file looks at that facility's parts, not at the month's 300."""
        found = {}
        for month, values in scopes.items():
            for value in values:
                for entry in self._by_scope.get((table, month, value), ()):
                    if entry[2].get("status", "live") == "live" and entry[3].get("live"):
                        found[entry[:2]] = entry
        return [(row, part) for _, _, row, part in sorted(found.values(), key=lambda entry: entry[:2])]


def plan_replacement(live: LiveParts, staged: Staged, path: Path) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The (manifest row, part) pairs the staged file replaces; Rejected if it only partly overlaps loaded data."""
    if staged.scopes is None:
        return []
    replaced = []
    for row, part in live.overlapping(staged.table, staged.scopes):  # parts sharing no scope value are untouched
        new_scope = set(staged.scopes[part["fiscal_month"]])
        old_scope = set(part.get("scope") or [""])
        if old_scope <= new_scope:
            replaced.append((row, part))
        elif old_scope & new_scope:
            raise Rejected(
                f"{path.name}: for {part['fiscal_month']} it covers only part of what {row['file_name']} loaded "
                f"into {staged.table}; send a file that covers {', '.join(sorted(old_scope))} completely.",
                [Finding(0, None, f"partial overlap with an earlier file for {part['fiscal_month']}")],
            )
    return replaced


@dataclass
class ManifestUpdate:
    """The manifest as this run has it: versions committed to the lake but not yet recorded on disk, and per
    committed version the lake files it replaced (deleted only once the manifest that drops them is written)."""

    rows: list[dict[str, Any]]  # as lake.read_manifest gave them; the run's new versions are appended
    stale: list[list[Path]] = field(default_factory=list)
    live: LiveParts = field(init=False)
    read_rows: int = field(init=False)  # how many of rows were read (the rest are this run's)
    changed: set[int] = field(default_factory=set)  # positions of read rows whose parts this run replaced
    positions: dict[int, int] = field(init=False)  # id(row) → position, for the read rows
    archiver: ThreadPoolExecutor | None = None  # set by ingest_landing: originals are copied beside the main thread
    archiving: list[Future] = field(default_factory=list)
    archive_error: BaseException | None = None

    def __post_init__(self) -> None:
        with heap.no_collection():
            self.live = LiveParts(self.rows)
            self.read_rows = len(self.rows)
            self.positions = {id(row): position for position, row in enumerate(self.rows)}

    def archive(self, archive_dir: Path, source: Path, sha256: str, origin: dict[str, Any],
                size_bytes: int, mtime_ns: int) -> str:
        """Keep the accepted original (lake.archive_original); returns its path relative to archive_dir. With an
        archiver the copy runs on its thread (in this scope's deferred durability) and wait_for_archives()
        makes sure it is done before the manifest lists the version."""
        if self.archiver is None:
            return _archive_unchanged(archive_dir, source, sha256, origin, size_bytes, mtime_ns)
        self.archiving.append(self.archiver.submit(contextvars.copy_context().run, _archive_unchanged, archive_dir,
                                                   source, sha256, origin, size_bytes, mtime_ns))
        return lake.archive_relative(sha256, source.name)

    def wait_for_archives(self) -> None:
        """Every original handed to the archiver is archived; else raise its error, now and at every later call,
        so no manifest written in this run lists a version whose original is not kept."""
        for future in self.archiving:
            error = future.exception()
            if error is not None and self.archive_error is None:
                self.archive_error = error
        self.archiving = []
        if self.archive_error is not None:
            raise self.archive_error


class OriginalChanged(OSError):
    """The landing file changed after it was hashed and before its copy was archived."""


def _archive_unchanged(archive_dir: Path, source: Path, sha256: str, origin: dict[str, Any], size_bytes: int,
                       mtime_ns: int) -> str:
    kept_before = (archive_dir / lake.archive_relative(sha256, source.name)).exists()  # e.g. a retried version's
    relative = lake.archive_original(archive_dir, source, sha256, source.name, origin)
    stat = source.stat()
    if (stat.st_size, stat.st_mtime_ns) != (size_bytes, mtime_ns):  # the archived bytes may not be the hashed ones
        if not kept_before:  # never delete an original an earlier run archived
            (archive_dir / relative).unlink(missing_ok=True)
        raise OriginalChanged(f"{source.name} changed while ingest archived it (was it copied again during the "
                              "refresh?); nothing of this run was recorded. The next refresh reads it again.")
    kill_point("ingest.after_archive")
    return relative


def commit(settings: Any, update: ManifestUpdate, staged: Staged, outcome: FileOutcome,
           ctx: Context, run_id: str, size_bytes: int, mtime_ns: int) -> None:
    """Archive the original, move staged months into the lake atomically and add the version to the run's
    manifest; write_manifest_update records it (the commit point). A crash before that leaves only files the
    manifest does not list (verify moves them aside; the landing file is read again)."""
    lake_dir: Path = settings.lake_dir
    replaced = plan_replacement(update.live, staged, ctx.path)
    if not (lake_dir / lake.MANIFEST_NAME).exists():  # a new lake: its (empty) index exists before any data
        lake.write_manifest(lake_dir, update.rows)
    archived = update.archive(settings.archive_dir, ctx.path, ctx.sha256,
                              {"kind": ctx.kind, "loaded_at": ctx.loaded_at.isoformat(), "run_id": run_id},
                              size_bytes, mtime_ns)
    new_parts = []
    for month, paths in sorted(staged.parts.items()):
        relative = f"{staged.table}/fiscal_month={month}/{ctx.sha256[:16]}.parquet"
        final = lake_dir / relative
        final.parent.mkdir(parents=True, exist_ok=True)
        temp = final.with_name(final.name + f".tmp-{os.getpid()}")
        if staged.parquet is not None:
            temp.write_bytes(staged.parquet[month])
        elif staged.frames is not None:
            staged.frames[month].write_parquet(temp)
        else:
            pl.scan_parquet([str(p) for p in paths], glob=False).sink_parquet(temp)
        durable.replace(temp, final)
        encoded = None if staged.parquet is None else staged.parquet[month]
        new_parts.append({
            "table": staged.table, "fiscal_month": month, "rows": staged.rows[month], "parquet": relative,
            "scope": None if staged.scopes is None else staged.scopes[month], "live": True,
            "sha256": lake.file_sha256(final) if encoded is None else hashlib.sha256(encoded).hexdigest(),
            "bytes": final.stat().st_size,
        })
        kill_point("ingest.after_lake_part")
    for row, part in replaced:
        part["live"] = False
        part["replaced_by"] = ctx.sha256
        if id(row) in update.positions:
            update.changed.add(update.positions[id(row)])
        outcome.replaced.append({"table": part["table"], "fiscal_month": part["fiscal_month"],
                                 "sha256": row["sha256"], "file_name": row["file_name"]})
    update.rows.append({
        "sha256": ctx.sha256, "kind": ctx.kind, "path": str(ctx.path), "file_name": ctx.path.name,
        "size_bytes": size_bytes, "mtime_ns": mtime_ns, "tables": [staged.table],
        "fiscal_months": sorted(staged.parts), "rows_in": staged.rows_in, "rows_out": staged.rows_out,
        "loaded_at": ctx.loaded_at.replace(tzinfo=None), "run_id": run_id, "parts": new_parts,
        "status": "live", "status_note": {}, "archive": archived,
    })
    update.live.add(update.rows[-1])
    written = {part["parquet"] for part in new_parts}
    update.stale.append([lake_dir / part["parquet"] for _, part in replaced if part["parquet"] not in written])
    shutil.rmtree(staged.staging_dir, ignore_errors=True)


def write_manifest_update(settings: Any, update: ManifestUpdate) -> None:
    """Record the versions committed since the last call in one manifest write, then delete what they replaced.

    Called once per run, not once per file: the run's new versions and the older ones whose parts they replaced
    go into one change file (lake.write_manifest), whatever the size of the lake."""
    update.wait_for_archives()
    if not update.stale:
        return
    lake.write_manifest(settings.lake_dir, update.rows, shared_from=update.read_rows, changed=update.changed)
    for stale in update.stale:
        kill_point("ingest.after_manifest")
        for path in stale:
            path.unlink(missing_ok=True)
    update.stale = []


def now_utc() -> datetime:
    """Current UTC time (one place, so a run's loaded_at is consistent)."""
    return datetime.now(UTC)
