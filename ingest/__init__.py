"""Ingest: landing files → validated, anonymised Parquet lake (bad files → quarantine/). See ingest/README.md."""
from __future__ import annotations

import os
import shutil
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

from ingest.common import lake
from ingest.common.findings import Finding, Rejected
from ingest.common.mapping import listed_once
from ingest.common.messages import build_report
from ingest.common.pipeline import (
    CHUNK_ROWS,
    BulkFile,
    BulkResult,
    Context,
    FileOutcome,
    IngestReport,
    ManifestUpdate,
    commit,
    encode_parts,
    now_utc,
    open_for_bulk,
    stage_bulk,
    stage_file,
    write_manifest_update,
)
from ingest.dbt_sources import render_dbt_sources, write_dbt_sources_yaml
from ingest.registry import CONTRACTS, KINDS
from warehouse.platform import durable, heap

SUFFIXES = {".csv", ".tsv", ".txt", ".log", ".xlsx"}
# Names that say a copy is still in progress or that belong to another tool: never read, never refused.
IN_PROGRESS_SUFFIXES = {".part", ".partial", ".tmp", ".crdownload", ".filepart", ".swp", ".done", ".download"}
UNSUPPORTED_ADVICE = {
    ".xls": "save it as .xlsx (Excel: ファイル → 名前を付けて保存 → Excel ブック) and send it again",
    ".xlsm": "save it as .xlsx without macros and send it again",
    ".gz": "unpack it (gunzip) and drop the unpacked file",
    ".zip": "unpack it and drop the files inside",
    ".json": "export it as CSV (UTF-8 or Shift_JIS) and send it again",
}

__all__ = [
    "CONTRACTS", "KINDS", "FileOutcome", "IngestReport", "ingest_file", "ingest_landing", "render_dbt_sources",
    "write_dbt_sources_yaml",
]


def _salt(settings: Any) -> bytes:
    """The IP-hashing salt (WAREHOUSE_INGEST_SALT_FILE or [ingest] salt_file), created on first use."""
    configured = os.environ.get("WAREHOUSE_INGEST_SALT_FILE") or str(settings.get("ingest", "salt_file"))
    return lake.ensure_salt(configured)


def _quarantine(settings: Any, path: Path, sha256: str, kind: str, error: Rejected, outcome: FileOutcome) -> None:
    """Move a refused file and its report into quarantine; nothing from it reaches the lake.

    The report (ingest/common/messages.py) says in Japanese and English what is wrong — every kind of problem
    with its count and first rows, the headers expected beside those found — and the one thing to do next."""
    report = build_report(path.name, kind, sha256, error, settings)
    target = lake.quarantine(settings.quarantine_dir, path, sha256, report)
    outcome.status = "quarantined"
    outcome.message = report["message"]
    outcome.message_ja = report["message_ja"]
    outcome.findings = report["findings"]
    outcome.path = str(target)


ManifestIndex = tuple[dict[tuple[str, int, int], dict[str, Any]], dict[str, dict[str, Any]]]


def _index(manifest: list[dict[str, Any]]) -> ManifestIndex:
    """Manifest rows by (path, size, mtime) and by SHA-256: a lookup per landing file, not a scan."""
    by_stat = {(row["path"], row["size_bytes"], row["mtime_ns"]): row for row in manifest}
    by_sha: dict[str, dict[str, Any]] = {}
    for row in manifest:
        by_sha.setdefault(row["sha256"], row)
    return by_stat, by_sha


def _add_to_index(index: ManifestIndex, row: dict[str, Any]) -> None:
    """Make a version committed in this run known to the lookups of the files after it."""
    by_stat, by_sha = index
    by_stat[(row["path"], row["size_bytes"], row["mtime_ns"])] = row
    by_sha.setdefault(row["sha256"], row)


def _process(settings: Any, path: Path, kind: str, run_id: str, update: ManifestUpdate,
             chunk_rows: int, today: date | None,
             index: ManifestIndex | None = None, *, force: bool = False, fast_read: bool = True) -> FileOutcome:
    """Hash, skip if known, stage, commit (into update) or quarantine one file.

    A file that changes while it is read was still being written: it stays in landing for the next run."""
    index = index or _index(update.rows)
    prepared = _prepare(settings, path, kind, update, today, index, force=force, fast_read=fast_read)
    if isinstance(prepared, FileOutcome):
        return prepared
    return _stage_and_commit(settings, prepared, run_id, update, chunk_rows, index)


class _Prepared:
    """A landing file that is new to the lake: its stat when first looked at, its context and outcome so far."""

    def __init__(self, stat: os.stat_result, ctx: Context, outcome: FileOutcome):
        self.stat, self.ctx, self.outcome = stat, ctx, outcome


def _prepare(settings: Any, path: Path, kind: str, update: ManifestUpdate, today: date | None,
             index: ManifestIndex, *, force: bool = False, fast_read: bool = True,
             stat: os.stat_result | None = None) -> FileOutcome | _Prepared:
    """Hash the file; the outcome if this version is already known, else what staging it needs."""
    stat = stat or os.stat(path)
    by_stat, by_sha = index
    known_by_stat = None if force else by_stat.get((str(path), stat.st_size, stat.st_mtime_ns))
    sha256 = known_by_stat["sha256"] if known_by_stat else lake.landing_sha256(path, stat)
    known = None if force else (known_by_stat or by_sha.get(sha256))
    if known is not None:
        return _known_outcome(kind, str(path), path.name, known)
    outcome = FileOutcome(kind=kind, path=str(path), sha256=sha256, status="unchanged")
    ctx = Context(path=path, sha256=sha256, kind=kind, today=today or settings.as_of_date, loaded_at=now_utc(),
                  salt=_salt(settings), settings=settings, fast_read=fast_read, manifest=update)
    return _Prepared(stat, ctx, outcome)


def _too_large(settings: Any, prepared: _Prepared) -> Rejected | None:
    limit = int(settings.get("ingest", "max_file_megabytes")) * 1024 * 1024
    if prepared.stat.st_size <= limit:
        return None
    return Rejected(f"{prepared.ctx.path.name}: {prepared.stat.st_size / 1e6:.0f} MB is above max_file_megabytes; "
                    "split the file.", [Finding(0, None, "file too large")])


def _stage_and_commit(settings: Any, prepared: _Prepared, run_id: str, update: ManifestUpdate, chunk_rows: int,
                      index: ManifestIndex, bulk: tuple[BulkFile, BulkResult] | None = None) -> FileOutcome:
    """Stage the file (or finish its checks from a bulk batch), then commit it or quarantine it."""
    ctx, stat, outcome = prepared.ctx, prepared.stat, prepared.outcome
    path, sha256 = ctx.path, ctx.sha256
    staging = settings.build_dir / "ingest_staging" / sha256[:16]
    shutil.rmtree(staging, ignore_errors=True)
    try:
        too_large = _too_large(settings, prepared)
        if too_large is not None:
            raise too_large
        try:
            staged = stage_file(KINDS[ctx.kind], ctx, staging, chunk_rows=chunk_rows, bulk=bulk)
        except Rejected:
            raise
        except Exception as exc:  # a damaged file must be refused in words, never stop everyone else's files
            raise Rejected(
                f"{path.name}: the file could not be read ({type(exc).__name__}); it may be damaged or not a "
                f"{path.suffix or 'text'} file. Open it, save it again in the same format, and send it again.",
                [Finding(0, None, f"unreadable file ({type(exc).__name__})")],
            ) from exc
        if _changed_since(path, stat, sha256):
            shutil.rmtree(staging, ignore_errors=True)
            return _still_writing(outcome, path)
        commit(settings, update, staged, outcome, ctx, run_id, stat.st_size, stat.st_mtime_ns)
        _add_to_index(index, update.rows[-1])
    except Rejected as error:
        shutil.rmtree(staging, ignore_errors=True)
        if _changed_since(path, stat, sha256):
            return _still_writing(outcome, path)
        _quarantine(settings, path, sha256, ctx.kind, error, outcome)
        return outcome
    outcome.status = "replaced" if outcome.replaced else "loaded"
    outcome.tables = [staged.table]
    outcome.fiscal_months = sorted(staged.parts)
    outcome.rows_in, outcome.rows_out, outcome.warnings = staged.rows_in, staged.rows_out, staged.warnings
    replaced = "; replaced " + ", ".join(f"{r['table']} {r['fiscal_month']} from {r['file_name']}"
                                         for r in outcome.replaced) if outcome.replaced else ""
    outcome.message = (f"{path.name}: {staged.rows_out} rows into {staged.table} "
                       f"({', '.join(outcome.fiscal_months)}){replaced}.")
    return outcome


def _known_outcome(kind: str, path: str, name: str, known: dict[str, Any]) -> FileOutcome:
    """The outcome of a landing file whose bytes are a version the manifest knows: nothing to do."""
    return FileOutcome(kind=kind, path=path, sha256=known["sha256"], status="unchanged",
                       tables=list(known["tables"]), fiscal_months=list(known["fiscal_months"]),
                       message=_known_message(name, known),
                       seen_before=known.get("status", "live") == "live" and known["file_name"] == name)


def _known_message(name: str, known: dict[str, Any]) -> str:
    status = known.get("status", "live")
    if status == "live":
        return f"{name}: already loaded (same SHA-256 as {known['file_name']}); nothing to do."
    note = known.get("status_note") or {}
    what = "removed from the lake" if status == "removed" else "set aside"
    return (f"{name}: this version was {what} on {note.get('at', '?')} ({note.get('reason', 'no reason given')}); "
            f"it is not read again. `warehouse files retry {known['file_name']}` reads it again.")


def _changed_since(path: Path, stat: os.stat_result, sha256: str) -> bool:
    """True if the file grew, shrank or was rewritten after ingest first looked at it."""
    try:
        now = path.stat()
    except FileNotFoundError:
        return True
    return (now.st_size, now.st_mtime_ns) != (stat.st_size, stat.st_mtime_ns)


def _still_writing(outcome: FileOutcome, path: Path) -> FileOutcome:
    outcome.status = "waiting"
    outcome.message = (f"{path.name}: changed while it was being read (still being copied?); left in landing, "
                       "the next refresh reads it once it is complete.")
    return outcome


def settle_seconds(settings: Any) -> float:
    """How long a landing file must be unchanged before ingest takes it ([ingest] settle_seconds)."""
    try:
        return float(settings.get("ingest", "settle_seconds"))
    except KeyError:
        return 15.0


def is_settled(path: Path | str, settle: float, now: float | None = None, *, stat: os.stat_result | None = None,
               done_markers: set[str] | None = None) -> bool:
    """A file is ready when a `<name>.done` marker exists beside it, or it has not changed for `settle` s.
    A caller that listed the folder passes the markers it saw and the file's stat (no second look per file)."""
    marker = str(path) + ".done"
    if marker in done_markers if done_markers is not None else os.path.exists(marker):
        return True
    age = (now if now is not None else time.time()) - (stat or os.stat(path)).st_mtime
    return age >= settle


def ingest_file(settings: Any, path: Path | str, kind: str, run_id: str, *, chunk_rows: int = CHUNK_ROWS,
                today: date | None = None) -> FileOutcome:
    """Ingest one landing file (tests and manual loads); the lake and manifest are updated as by ingest_landing."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    update = ManifestUpdate(lake.read_manifest(settings.lake_dir))
    with durable.deferred():
        outcome = _process(settings, Path(path), kind, run_id, update, chunk_rows, today)
        lake.forget_kept_content()
        write_manifest_update(settings, update)
    return outcome


def _entries_under(folder: Path) -> list[os.DirEntry]:
    """The files sorted(p for p in folder.rglob('*') if p.is_file()) gives (symlinked files yes, symlinked folders
    not entered), as os.scandir entries: Path.rglob, Path objects and comparisons take seconds over 36,000 landing
    files, and most of them are only looked up in the manifest by their path string and stat."""
    found: list[tuple[list[str], os.DirEntry]] = []

    def walk(directory: str, parts: list[str]) -> None:
        try:
            with os.scandir(directory) as entries:
                listed = list(entries)
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            return
        for entry in listed:
            if entry.is_dir(follow_symlinks=False):
                walk(entry.path, [*parts, entry.name])
            elif entry.is_file():
                found.append(([*parts, entry.name], entry))

    walk(str(folder), [])
    return [entry for _, entry in sorted(found, key=lambda item: item[0])]


class _Landing:
    """landing/ listed once and sorted into what ingest reads, what it refuses by type, and `.done` markers.

    Names that say a copy is in progress (`.part`, `.tmp`, `.crdownload`, Excel's `~$` lock files, hidden files)
    are never read nor refused. One pass over the entries, by string: after ten years landing holds 36,600."""

    def __init__(self, settings: Any) -> None:
        self.readable: list[tuple[str, os.DirEntry]] = []  # (kind, entry), in a stable order
        self.unreadable: list[tuple[str, Path]] = []  # (kind, path) of a type ingest does not read (.xls, .gz, log.1)
        self.done_markers: set[str] = set()
        for kind in KINDS:
            for entry in _entries_under(settings.landing_dir / kind):
                name = entry.name
                if name.endswith(".done"):
                    self.done_markers.add(entry.path)
                if name.startswith((".", "~$")):
                    continue
                dot = name.rfind(".")
                suffix = name[dot:].lower() if dot > 0 else ""  # as Path.suffix
                if suffix in SUFFIXES:
                    self.readable.append((kind, entry))
                elif suffix not in IN_PROGRESS_SUFFIXES and ".done" not in Path(name).suffixes:
                    self.unreadable.append((kind, Path(entry.path)))


def _refuse_type(settings: Any, kind: str, path: Path) -> FileOutcome:
    suffix = path.suffix.lower()
    advice = UNSUPPORTED_ADVICE.get(suffix, "send it as CSV (.csv, .tsv, .txt), a log (.log) or Excel (.xlsx)")
    sha256 = lake.file_sha256(path)
    outcome = FileOutcome(kind=kind, path=str(path), sha256=sha256, status="quarantined")
    error = Rejected(f"{path.name}: ingest does not read '{suffix or 'no extension'}' files; {advice}.",
                     [Finding(0, None, f"file type not read ({suffix or 'no extension'})")])
    _quarantine(settings, path, sha256, kind, error, outcome)
    return outcome


class _BulkBatch:
    """Small files of one layout waiting to be checked together (at most CHUNK_ROWS rows in all)."""

    def __init__(self) -> None:
        self.members: list[tuple[int, _Prepared, BulkFile]] = []  # (position in the report, file, opened file)

    @property
    def rows(self) -> int:
        return sum(member.rows for _, _, member in self.members)

    def fits(self, bulk_file: BulkFile, chunk_rows: int) -> bool:
        """True if the file may join: the same layout and room left."""
        if not self.members:
            return True
        return bulk_file.key == self.members[0][2].key and self.rows + bulk_file.rows <= chunk_rows

    def holds(self, sha256: str) -> bool:
        """True if a file with these bytes waits in the batch (a copy of it must wait for its commit)."""
        return any(member.ctx.sha256 == sha256 for _, _, member in self.members)


def _checked_together(members: list[BulkFile]) -> list[BulkResult] | None:
    """stage_bulk and the lake parts' bytes of a batch (no file is written); None if the batch cannot be checked as
    one (an unexpected error): each file is then staged alone, as it would have been without batching."""
    try:
        results = stage_bulk(members)
        encode_parts(results)
    except Exception:  # noqa: BLE001 — each file alone then gets its own refusal in words
        return None
    return results


class _BulkQueue:
    """Bulk batches are checked on a worker thread (polars and the Parquet encoder release the GIL) while the
    main thread commits the batch before and reads the files of the next, so both cores work. Commits stay on
    the main thread and in landing order: a batch is committed only after every batch before it."""

    def __init__(self, pool: ThreadPoolExecutor, commit: Callable[[_BulkBatch, list[BulkResult] | None], None]):
        self.pool, self.commit = pool, commit
        self.pending: deque[tuple[_BulkBatch, Future]] = deque()

    def submit(self, batch: _BulkBatch) -> _BulkBatch:
        """Start checking a full batch and commit those before it; returns a new empty batch."""
        if batch.members:
            self.pending.append((batch, self.pool.submit(_checked_together, [m for _, _, m in batch.members])))
        while len(self.pending) > 1:
            self._commit_oldest()
        return _BulkBatch()

    def drain(self, batch: _BulkBatch) -> _BulkBatch:
        """Check and commit everything waiting, the batch being filled last; returns a new empty batch."""
        self.submit(batch)
        while self.pending:
            self._commit_oldest()
        return _BulkBatch()

    def holds(self, sha256: str) -> bool:
        """True if a file with these bytes waits in a batch not yet committed."""
        return any(batch.holds(sha256) for batch, _ in self.pending)

    def _commit_oldest(self) -> None:
        batch, future = self.pending.popleft()
        self.commit(batch, future.result())


def _commit_checked(settings: Any, batch: _BulkBatch, results: list[BulkResult] | None, run_id: str,
                    update: ManifestUpdate, index: ManifestIndex, outcomes: list[FileOutcome | None]) -> None:
    """Finish and commit each file of a checked batch in landing order (staged alone if the batch was not)."""
    for number, (position, prepared, member) in enumerate(batch.members):
        bulk = None if results is None else (member, results[number])
        if bulk is None:  # a fresh context: the batch's attempt may have left facts on the old one
            fresh = _prepare(settings, prepared.ctx.path, prepared.ctx.kind, update, prepared.ctx.today, index,
                             fast_read=prepared.ctx.fast_read)
            if isinstance(fresh, FileOutcome):
                outcomes[position] = fresh
                continue
            prepared = fresh
        outcomes[position] = _stage_and_commit(settings, prepared, run_id, update, CHUNK_ROWS, index, bulk)
    batch.members = []


def ingest_landing(settings: Any, run_id: str, progress: Callable[[str, int, int], None] | None = None,
                   *, today: date | None = None, fast_read: bool = True) -> IngestReport:
    """Load every new or changed landing file; skipped, loaded, replaced and quarantined files are all reported.

    Small files of one layout are checked many to a batch (stage_bulk); the manifest is appended to once per run
    (one change file: lake.write_manifest), not once per file or kind, and the lake parts
    and originals it lists reach the disk together just before it (durable.deferred), not by two fsyncs each. A
    run killed before that write leaves its parts as orphans and its files in landing: the next run reads them. fast_read=False reads every file
    alone through the streaming reader (the fast path's reference in the tests)."""
    update = ManifestUpdate(lake.read_manifest_to_change(settings.lake_dir))
    report = IngestReport()
    landing = _Landing(settings)
    files = landing.readable
    with heap.no_collection():
        index = _index(update.rows)
    heap.freeze()  # the manifest's rows, copied and indexed, live until the run ends
    settle = settle_seconds(settings)
    done_markers = landing.done_markers
    for kind, path in landing.unreadable:
        if is_settled(path, settle, done_markers=done_markers):
            report.files.append(_refuse_type(settings, kind, path))
    outcomes: list[FileOutcome | None] = [None] * len(files)
    batch = _BulkBatch()
    with (durable.deferred(), listed_once(),
          ThreadPoolExecutor(1, thread_name_prefix="ingest-check") as pool,
          ThreadPoolExecutor(1, thread_name_prefix="ingest-archive") as update.archiver):
        queue = _BulkQueue(pool, lambda checked, results: _commit_checked(settings, checked, results, run_id, update,
                                                                          index, outcomes))
        try:
            for done, (kind, entry) in enumerate(files):
                if progress:
                    progress(f"ingest {kind}/{entry.name}", done, len(files))
                stat = entry.stat()
                if not is_settled(entry.path, settle, stat=stat, done_markers=done_markers):
                    outcomes[done] = FileOutcome(
                        kind=kind, path=entry.path, sha256="", status="waiting",
                        message=(f"{entry.name}: changed less than {settle:g} s ago (still being copied?); left in "
                                 "landing, the next refresh reads it once it has not changed for that long "
                                 f"(or put an empty '{entry.name}.done' beside it when the copy is complete)."),
                    )
                    continue
                known = index[0].get((entry.path, stat.st_size, stat.st_mtime_ns))
                if known is not None:  # most of landing after a few years: no Path, no hash
                    outcomes[done] = _known_outcome(kind, entry.path, entry.name, known)
                    continue
                path = Path(entry.path)
                prepared = _prepare(settings, path, kind, update, today, index, fast_read=fast_read, stat=stat)
                if isinstance(prepared, _Prepared) and (batch.holds(prepared.ctx.sha256)
                                                        or queue.holds(prepared.ctx.sha256)):
                    batch = queue.drain(batch)  # then it is known: unchanged
                    prepared = _prepare(settings, path, kind, update, today, index, fast_read=fast_read)
                if isinstance(prepared, FileOutcome):
                    outcomes[done] = prepared
                    continue
                opened = (None if _too_large(settings, prepared)
                          else open_for_bulk(KINDS[kind], prepared.ctx, CHUNK_ROWS))
                if opened is None:
                    batch = queue.drain(batch)  # landing order is commit order
                    outcomes[done] = _stage_and_commit(settings, prepared, run_id, update, CHUNK_ROWS, index)
                    continue
                if not batch.fits(opened, CHUNK_ROWS):
                    batch = queue.submit(batch)
                batch.members.append((done, prepared, opened))
            batch = queue.drain(batch)
        finally:  # what was committed before an unexpected error is recorded, as it was before it
            lake.forget_kept_content()
            write_manifest_update(settings, update)
    for outcome in outcomes:
        if outcome is None:
            continue
        report.files.append(outcome)
        if outcome.status in {"loaded", "replaced"}:
            for table in outcome.tables:
                report.changed.setdefault(table, set()).update(outcome.fiscal_months)
    if progress:
        progress("ingest done", len(files), len(files))
    return report
