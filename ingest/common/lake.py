"""The lake on disk: manifest of accepted file versions, atomic parquet commits, replacement, quarantine, salt.

The manifest is the lake's index and its proof: every part (one Parquet file) carries its size and SHA-256,
every accepted file version its status (live, set_aside, removed). It is written atomically and durably, and
the previous copy is kept beside it. A missing or unreadable manifest is never taken for an empty lake.

A refresh appends to it rather than rewriting it: `_manifest.parquet` is the base, and each run's new and
changed versions go into one small change file beside it (`_manifest.<generation>.<sequence>.parquet`, each
written atomically and never changed). `_manifest.head` then names the last one (the commit point): a reader
applies the base's change files up to it, in order, and a missing one is damage, never fewer versions; a change
file after it was not committed (a kill before the head moved) and is written over by the next run. A whole
write (every MAX_CHANGE_FILES runs, and every operator action) starts a new generation: the change files of the
old one are then ignored and removed, so a crash between the two steps changes nothing that is read.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import threading
from pathlib import Path
from typing import Any

import polars as pl

from warehouse.platform import durable, heap
from warehouse.platform.faults import kill_point

MANIFEST_NAME = "_manifest.parquet"
PREVIOUS_MANIFEST_NAME = "_manifest.prev.parquet"
HEAD_NAME = "_manifest.head"  # "<generation> <sequence> …": the last committed change file per generation
GENERATION_KEY = "manifest_generation"  # in the base's Parquet metadata: which change files belong to it
MAX_CHANGE_FILES = 24  # then the next write is whole: a reader opens at most this many small files
SET_ASIDE_DIR = "_set_aside"  # lake/_set_aside/<sha16>/<table>/fiscal_month=.../: parts of versions not live
STATUSES = ("live", "set_aside", "removed")
MANIFEST_SCHEMA: dict[str, pl.DataType] = {
    "sha256": pl.String(),
    "kind": pl.String(),
    "path": pl.String(),
    "file_name": pl.String(),
    "size_bytes": pl.Int64(),
    "mtime_ns": pl.Int64(),
    "tables": pl.List(pl.String()),
    "fiscal_months": pl.List(pl.String()),
    "rows_in": pl.Int64(),
    "rows_out": pl.Int64(),
    "loaded_at": pl.Datetime("us"),
    "run_id": pl.String(),
    "parts_json": pl.String(),  # [{table, fiscal_month, scope, rows, parquet, live, replaced_by, sha256, bytes}]
    "status": pl.String(),  # live | set_aside | removed
    "status_json": pl.String(),  # {reason, by, at, run_id, rule, rows} for set_aside / removed
    "archive": pl.String(),  # the original's path relative to the home's archive/, "" if not archived
}


class ManifestDamaged(RuntimeError):
    """The manifest is missing or unreadable while the lake holds data: stop, never guess."""


def file_sha256(path: Path) -> str:
    """SHA-256 of a file (durable.sha256_file: the one way the warehouse hashes a file)."""
    return durable.sha256_file(path)


# A landing file up to this size is read whole when it is hashed, and the reader parses those bytes: each file is
# read once, not three times (hash, encoding check, parse), and what is parsed is exactly what was hashed.
KEPT_CONTENT_MAX_BYTES = 128 * 1024 * 1024
_kept = threading.local()  # the last landing file hashed on this thread: key (path, size, mtime_ns), data


def landing_sha256(path: Path, stat: os.stat_result) -> str:
    """SHA-256 of a landing file whose stat was just taken; a small file's bytes are kept for kept_content."""
    forget_kept_content()
    if stat.st_size > KEPT_CONTENT_MAX_BYTES:
        return file_sha256(path)
    with open(path, "rb") as handle:
        data = handle.read()
    if len(data) == stat.st_size:
        _kept.key, _kept.data = (str(path), stat.st_size, stat.st_mtime_ns), data
    return hashlib.sha256(data).hexdigest()


def forget_kept_content() -> None:
    """Drop the bytes kept on this thread (a 70 MB log must not stay in memory through dbt and the gates)."""
    _kept.key = _kept.data = None


def kept_content(path: Path) -> bytes | None:
    """The bytes landing_sha256 read from path on this thread, if the file still has the size and mtime it had
    then; None otherwise (read the file)."""
    key = getattr(_kept, "key", None)
    if key is None or key[0] != str(path):
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return _kept.data if (stat.st_size, stat.st_mtime_ns) == key[1:] else None


def lake_parquet_files(lake_dir: Path) -> list[Path]:
    """Every Parquet file in the lake's table folders (live or not), whatever the manifest says."""
    return [lake_dir / relative for relative in lake_parquet_names(lake_dir)]


def lake_parquet_names(lake_dir: Path) -> list[str]:
    """lake_parquet_files as paths relative to lake_dir ('table/fiscal_month=…/x.parquet'), sorted; listed with
    os.scandir, not Path.glob, which takes most of a second over a 36,000-file lake."""
    found = []
    for table in _entries(lake_dir):
        if table.name.startswith("_") or not table.is_dir():
            continue
        for month in _entries(Path(table.path)):
            if not month.name.startswith("fiscal_month=") or not month.is_dir():
                continue
            found.extend(f"{table.name}/{month.name}/{entry.name}" for entry in _entries(Path(month.path))
                         if entry.name.endswith(".parquet") and entry.is_file())
    return sorted(found)


def _entries(folder: Path) -> list[os.DirEntry]:
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except (FileNotFoundError, NotADirectoryError):
        return []


def _json_column(frame: pl.DataFrame, column: str, empty: str) -> list[Any]:
    """Every row's JSON text of column parsed by one json.loads call (37,000 calls took most of a second)."""
    if column not in frame.columns:
        return [json.loads(empty) for _ in range(frame.height)]
    return json.loads("[" + ",".join(text or empty for text in frame[column].to_list()) + "]")


def _rows_of(frame: pl.DataFrame) -> list[dict[str, Any]]:
    with heap.no_collection():
        return _converted_rows(frame)


def _converted_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    parts, notes = _json_column(frame, "parts_json", "[]"), _json_column(frame, "status_json", "{}")
    rows = frame.drop("parts_json", "status_json", strict=False).to_dicts()
    for row, row_parts, note in zip(rows, parts, notes, strict=True):
        row["parts"] = row_parts
        row["status"] = row.get("status") or "live"
        row["status_note"] = note
        row["archive"] = row.get("archive") or ""
    return rows


def read_manifest_file(path: Path) -> list[dict[str, Any]]:
    """Rows of one manifest file (the base alone, or the kept previous copy); raises on an unreadable file."""
    return _rows_of(pl.read_parquet(path, glob=False))


def _change_name(generation: str, sequence: int) -> str:
    return f"_manifest.{generation}.{sequence:06d}.parquet"


def _change_files(lake_dir: Path) -> list[str]:
    """Names of every change file in the lake folder (of any generation), sorted."""
    return sorted(entry.name for entry in _entries(lake_dir)
                  if entry.name.startswith("_manifest.") and entry.name.count(".") == 3
                  and entry.name.endswith(".parquet") and entry.name != PREVIOUS_MANIFEST_NAME)


def _generation(base: Path) -> str:
    return pl.read_parquet_metadata(base).get(GENERATION_KEY, "")


def _committed(lake_dir: Path, generation: str) -> int:
    """How many change files of the base of this generation are committed, by the head; ValueError when change
    files of it exist but the head is lost or damaged."""
    try:
        words = (lake_dir / HEAD_NAME).read_text(encoding="utf-8").split()
        committed = dict(zip(words[::2], [int(word) for word in words[1::2]], strict=True))
    except (OSError, ValueError):
        committed = {}
    if generation in committed:
        return committed[generation]
    if any(name.split(".")[1] == generation for name in _change_files(lake_dir)):
        raise ValueError(f"{HEAD_NAME} is missing or damaged while change files of the manifest exist")
    return 0  # a base written whole before the head existed: no change file yet


def _changes_of(lake_dir: Path, generation: str) -> list[str]:
    """Names of the committed change files of the base of this generation, in order (none for a base without
    one); ValueError when the head is lost."""
    return [_change_name(generation, sequence) for sequence in range(1, _committed(lake_dir, generation) + 1)
            ] if generation else []


def _state(lake_dir: Path) -> tuple[object, ...] | None:
    """The manifest's state: the base's and the head's (inode, size, mtime), and the change files' names (never
    rewritten)."""
    base = durable.file_state(lake_dir / MANIFEST_NAME)
    return None if base is None else (base, durable.file_state(lake_dir / HEAD_NAME), *_change_files(lake_dir))


def _read_current(lake_dir: Path) -> tuple[list[dict[str, Any]], str]:
    """The base's rows with its change files applied in order, up to the first that does not read, and why that
    one does not ("" when all read). Raises what polars raises when the base does not read."""
    path = lake_dir / MANIFEST_NAME
    rows = read_manifest_file(path)
    try:
        names = _changes_of(lake_dir, _generation(path))
    except ValueError as exc:
        return rows, str(exc)
    return rows, _read_changes(lake_dir, names, rows)


def _read_changes(lake_dir: Path, names: list[str], rows: list[dict[str, Any]]) -> str:
    """Apply these change files to rows in order; why the first that does not read or follow does not ("" when all do)."""
    for name in names:
        if not (lake_dir / name).exists():
            return f"{name} is missing (the head names a later change file)"
        try:
            frame = pl.read_parquet(lake_dir / name, glob=False)
            changes = list(zip(frame["position"].to_list(), _rows_of(frame.drop("position")), strict=True))
        except Exception as exc:  # noqa: BLE001 — a torn or foreign file: polars raises several kinds
            return f"{name} cannot be read ({type(exc).__name__})"
        length = len(rows)
        for position, _ in changes:
            if position > length:
                return f"{name} does not follow the versions before it"
            length += position == length
        for position, row in changes:
            rows[position:position + 1] = [row]
    return ""


_SHARED = durable.FileMemo()  # the manifest's rows as read_manifest(shared=True) returns them


def read_manifest(lake_dir: Path, *, shared: bool = False) -> list[dict[str, Any]]:
    """All accepted file versions: empty for a new lake, ManifestDamaged if the index is lost but data is not.

    shared=True returns the rows this process already read from the same manifest (same base file and change
    files) for callers that only read them: a 36,000-version manifest takes about half a second to parse, and
    one refresh reads it in several steps. Callers that change rows read their own."""
    path = lake_dir / MANIFEST_NAME
    if shared and path.exists():
        state, cached = _SHARED.get(path, _state(lake_dir))
        if cached is not None:
            return cached
        rows = read_manifest(lake_dir)
        _SHARED.put(path, state, rows)
        return rows
    repair = "Nothing was changed. Run `warehouse verify --repair` to rebuild it from the Parquet files."
    if not path.exists():
        files = lake_parquet_files(lake_dir)
        if files:
            raise ManifestDamaged(f"{path} is missing while the lake holds {len(files)} Parquet files. {repair}")
        return []
    for _ in range(3):  # a whole write between reading the base and its change files: read again
        state = _state(lake_dir)
        try:
            rows, why_not = _read_current(lake_dir)
        except Exception as exc:  # a torn or foreign file: polars raises several kinds
            raise ManifestDamaged(f"{path} cannot be read ({type(exc).__name__}). {repair}") from exc
        if _state(lake_dir) == state:
            break
    if why_not:
        raise ManifestDamaged(f"{lake_dir / why_not}. {repair}")
    return rows


def read_manifest_as_far_as_it_reads(lake_dir: Path) -> tuple[list[dict[str, Any]], str]:
    """For a repair: the base and its change files up to the first that does not read, and why that one does
    not; ([], why) if the base does not read."""
    try:
        return _read_current(lake_dir)
    except Exception as exc:  # noqa: BLE001 — a torn or foreign file: polars raises several kinds
        return [], f"{MANIFEST_NAME} cannot be read ({type(exc).__name__})"


def read_manifest_to_change(lake_dir: Path) -> list[dict[str, Any]]:
    """read_manifest for a caller that changes the rows: a copy of the rows this process already read from the
    same manifest when it has them (a refresh's verify step did; a copy takes half the parse), else its own read."""
    _, cached = _SHARED.get(lake_dir / MANIFEST_NAME, _state(lake_dir))
    if cached is None:
        return read_manifest(lake_dir)
    with heap.no_collection():
        return [{**row, "parts": [dict(part) for part in row["parts"]], "status_note": dict(row["status_note"])}
                for row in cached]


def write_manifest(lake_dir: Path, rows: list[dict[str, Any]], *, shared_from: int | None = None,
                   changed: set[int] | None = None) -> None:
    """Record the manifest atomically and durably.

    The commit point: what ingest wrote in a durable.deferred() scope is flushed first, so the manifest never
    lists a part or an original that is not on disk.

    shared_from=n: rows[:n] are rows as read_manifest gave them (their parts may have changed since) and the
    rest are new. The written rows then become what read_manifest(shared=True) returns for the new manifest, the
    new ones converted as a read would convert them: the steps after ingest do not parse it again.

    changed (with shared_from): the positions below n whose rows changed. The change is then appended as one
    change file when the base allows it; otherwise, and without changed, the whole manifest is written anew and
    the previous one kept as _manifest.prev.parquet."""
    lake_dir.mkdir(parents=True, exist_ok=True)
    current = lake_dir / MANIFEST_NAME
    with durable.immediate():
        appended = None
        if changed is not None and shared_from is not None:
            appended = _append(lake_dir, rows, sorted(changed), shared_from)
        if appended is None:
            frame = _write_whole(lake_dir, rows)
            new_rows = None if shared_from is None else _rows_of(frame.slice(shared_from))
        else:
            new_rows = appended
    _SHARED.clear()
    if shared_from is not None:
        _SHARED.put(current, _state(lake_dir), [*rows[:shared_from], *new_rows])


def _append(lake_dir: Path, rows: list[dict[str, Any]], changed: list[int], read: int) -> list[dict[str, Any]] | None:
    """Write the changed and new rows as the base's next change file; their rows as a read gives them. None when
    the manifest must be written whole: no base of a generation, MAX_CHANGE_FILES reached, or most rows changed."""
    base = lake_dir / MANIFEST_NAME
    try:
        generation = _generation(base) if base.exists() else ""
        committed = _committed(lake_dir, generation) if generation else 0
    except Exception:  # noqa: BLE001 — an unreadable base or a lost head: the manifest is written whole
        generation = ""
    positions = [*changed, *range(read, len(rows))]
    if not generation or committed >= MAX_CHANGE_FILES or 2 * len(positions) > len(rows):
        return None
    frame = _manifest_frame([rows[position] for position in positions]).with_columns(
        pl.Series("position", positions, dtype=pl.Int64))
    name = _change_name(generation, committed + 1)  # over one a kill left uncommitted
    temp = lake_dir / f".{name}.tmp-{os.getpid()}"
    frame.write_parquet(temp)
    durable.fsync_file(temp)
    kill_point("lake.manifest_before_replace")
    durable.replace(temp, lake_dir / name)
    _write_head(lake_dir, {generation: committed + 1})
    return _rows_of(frame.slice(len(changed)).drop("position"))


def _write_whole(lake_dir: Path, rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Write the manifest as a new base of a new generation, keep the one it replaces as the previous copy, then
    remove the change files no base reads any more."""
    frame = _manifest_frame(rows)
    current = lake_dir / MANIFEST_NAME
    temp = lake_dir / f".{MANIFEST_NAME}.tmp-{os.getpid()}"
    generation = secrets.token_hex(6)
    frame.write_parquet(temp, metadata={GENERATION_KEY: generation})
    durable.fsync_file(temp)
    # the head first, naming the new base's generation and still the old one's: a kill before the rename below
    # leaves the old base with its change files, after it the new base with none
    kept = {}
    with contextlib.suppress(Exception):  # an old base without a generation or a lost head: nothing to keep
        old = _generation(current)
        kept = {old: _committed(lake_dir, old)} if old else {}
    _write_head(lake_dir, {generation: 0, **kept})
    if current.exists():
        previous_temp = lake_dir / f".{PREVIOUS_MANIFEST_NAME}.tmp-{os.getpid()}"
        previous_temp.unlink(missing_ok=True)
        _keep_previous(lake_dir, previous_temp)
        durable.replace(previous_temp, lake_dir / PREVIOUS_MANIFEST_NAME)
    kill_point("lake.manifest_before_replace")
    durable.replace(temp, current)
    for name in _change_files(lake_dir):
        (lake_dir / name).unlink(missing_ok=True)
    return frame


def _write_head(lake_dir: Path, committed: dict[str, int]) -> None:
    durable.write_text(lake_dir / HEAD_NAME, "".join(f"{generation} {sequence}\n"
                                                     for generation, sequence in committed.items()))


def _keep_previous(lake_dir: Path, target: Path) -> None:
    """The manifest as it reads now, as one file: the base with its change files applied, or the base copied
    when it has none or they do not read (a repair's rebuild then writes what it found)."""
    current = lake_dir / MANIFEST_NAME
    try:
        rows = read_manifest(lake_dir, shared=True) if _changes_of(lake_dir, _generation(current)) else None
    except Exception:  # noqa: BLE001 — a manifest that does not read is copied as it is
        rows = None
    if rows is None:
        shutil.copyfile(current, target)
        return
    _manifest_frame(rows).write_parquet(target)
    durable.fsync_file(target)


def _manifest_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """The manifest's rows as its Parquet frame (parts and status notes as JSON text)."""
    plain = [key for key in MANIFEST_SCHEMA if key not in {"parts_json", "status_json", "status", "archive"}]
    columns: dict[str, list[Any]] = {key: [row.get(key) for row in rows] for key in plain}
    columns["parts_json"] = [json.dumps(row.get("parts", []), ensure_ascii=False, sort_keys=True) for row in rows]
    columns["status"] = [row.get("status") or "live" for row in rows]
    columns["status_json"] = [json.dumps(row.get("status_note") or {}, ensure_ascii=False, sort_keys=True)
                              for row in rows]
    columns["archive"] = [row.get("archive") or "" for row in rows]
    # column by column, the lists through Arrow offsets: polars took over a second for 36,000 row dicts
    return pl.DataFrame({key: _list_series(key, columns[key]) if isinstance(dtype, pl.List)
                         else pl.Series(key, columns[key], dtype=dtype) for key, dtype in MANIFEST_SCHEMA.items()})


def _list_series(name: str, values: list[list[str] | None]) -> pl.Series:
    """A List(String) column from Python lists, built from one flat array and its offsets (no per-row objects)."""
    import pyarrow as pa

    offsets, flat, mask = [0], [], []
    for items in values:
        flat.extend(items or ())
        offsets.append(len(flat))
        mask.append(items is None)
    array = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), pa.array(flat, pa.string()),
                                     mask=pa.array(mask, pa.bool_()))
    return pl.Series(name, array, dtype=pl.List(pl.String()))


def live_parts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every live part of every live file version."""
    return [part for row in rows if row.get("status", "live") == "live" for part in row["parts"] if part.get("live")]


def live_parquet_files(rows: list[dict[str, Any]]) -> set[str]:
    """Relative paths of lake files that the manifest says are current."""
    return {part["parquet"] for part in live_parts(rows)}


def known_parquet_files(rows: list[dict[str, Any]]) -> set[str]:
    """Relative paths of every part the manifest knows, live or not."""
    return {part["parquet"] for row in rows for part in row["parts"]}


def set_aside_path(part: dict[str, Any], sha256: str) -> str:
    """Where a part of a version that is not live is kept (outside the table folders readers scan)."""
    return f"{SET_ASIDE_DIR}/{sha256[:16]}/{part['parquet']}"


def move_parts(lake_dir: Path, row: dict[str, Any], live: bool) -> None:
    """Move a version's live parts out of the table folders (live=False) or back into them (live=True)."""
    for part in row["parts"]:
        if not live and not part.get("live"):
            continue
        inside, outside = lake_dir / part["parquet"], lake_dir / set_aside_path(part, row["sha256"])
        source, target = (outside, inside) if live else (inside, outside)
        if source.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            durable.replace(source, target)


_SALTS: dict[tuple[str, int, int, int], bytes] = {}


def ensure_salt(salt_file: str | os.PathLike[str]) -> bytes:
    """Read the IP-hashing salt, creating 32 random bytes (mode 600) on first use; it never lives in the repo."""
    path = Path(salt_file).expanduser()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(secrets.token_bytes(32))
    stat = path.stat()
    key = (str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns)
    if _SALTS.get(key) is None:  # read once per process and version of the file, not once per landing file
        _SALTS.clear()
        _SALTS[key] = path.read_bytes()
    salt = _SALTS[key]
    if len(salt) < 16:
        raise ValueError(f"salt file {path} holds fewer than 16 bytes; delete it to create a new one (hashes change)")
    return salt


def quarantine(quarantine_dir: Path, source: Path, sha256: str, report: dict[str, Any]) -> Path:
    """Copy the file and its report into quarantine, then remove it from landing; the copy lands before the delete."""
    quarantine_dir.mkdir(parents=True, exist_ok=True)
    target = quarantine_dir / f"{sha256[:16]}__{source.name}"
    durable.copy_file(source, target)
    report_path = target.with_name(target.name + ".report.json")
    durable.write_text(report_path, json.dumps(report, ensure_ascii=False, indent=2))
    durable.flush()  # in ingest's deferred scope: the copy must be on disk before the original goes
    source.unlink()
    return target


ORIGIN_NAME = "origin.json"  # beside each archived original: what it is, so a lost lake can be reloaded


def archive_original(archive_dir: Path, source: Path, sha256: str, file_name: str, origin: dict[str, Any]) -> str:
    """Keep the accepted original, content-addressed (archive/<sha[:2]>/<sha256>/<file name>) with an
    origin.json (kind, file name, loaded_at, run_id); returns the path relative to archive_dir. The file name
    is kept because ingest reads the month from it."""
    relative = archive_relative(sha256, file_name)
    target = archive_dir / relative
    if not (target.exists() and target.stat().st_size == source.stat().st_size):
        durable.copy_file(source, target)
    durable.write_text(target.with_name(ORIGIN_NAME),
                       json.dumps({"file_name": file_name, "sha256": sha256, **origin}, ensure_ascii=False, default=str))
    return relative


def archive_relative(sha256: str, file_name: str) -> str:
    """Where archive_original keeps a file, relative to the archive folder."""
    return f"{sha256[:2]}/{sha256}/{file_name}"


def archived_originals(archive_dir: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Every archived original with its origin record, oldest load first."""
    found = []
    for origin in archive_dir.glob(f"*/*/{ORIGIN_NAME}") if archive_dir.exists() else []:
        try:
            record = json.loads(origin.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        original = origin.with_name(str(record.get("file_name", "")))
        if original.is_file():
            found.append((original, record))
    return sorted(found, key=lambda item: str(item[1].get("loaded_at", "")))
