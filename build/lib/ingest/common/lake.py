"""The lake on disk: manifest of accepted file versions, atomic parquet commits, replacement, quarantine, salt."""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

import polars as pl

MANIFEST_NAME = "_manifest.parquet"
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
    "parts_json": pl.String(),  # [{table, fiscal_month, scope, rows, parquet, live, replaced_by}]
}


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(lake_dir: Path) -> list[dict[str, Any]]:
    """All accepted file versions (empty for a new lake)."""
    path = lake_dir / MANIFEST_NAME
    if not path.exists():
        return []
    rows = pl.read_parquet(path).to_dicts()
    for row in rows:
        row["parts"] = json.loads(row.pop("parts_json") or "[]")
    return rows


def write_manifest(lake_dir: Path, rows: list[dict[str, Any]]) -> None:
    """Replace the manifest atomically (temp file + os.replace)."""
    lake_dir.mkdir(parents=True, exist_ok=True)
    records = []
    for row in rows:
        record = {key: row.get(key) for key in MANIFEST_SCHEMA if key != "parts_json"}
        record["parts_json"] = json.dumps(row.get("parts", []), ensure_ascii=False, sort_keys=True)
        records.append(record)
    frame = pl.DataFrame(records, schema=MANIFEST_SCHEMA)
    temp = lake_dir / f".{MANIFEST_NAME}.tmp-{os.getpid()}"
    frame.write_parquet(temp)
    os.replace(temp, lake_dir / MANIFEST_NAME)


def live_parquet_files(rows: list[dict[str, Any]]) -> set[str]:
    """Relative paths of lake files that the manifest says are current."""
    return {part["parquet"] for row in rows for part in row["parts"] if part.get("live")}


def remove_orphans(lake_dir: Path, rows: list[dict[str, Any]]) -> list[str]:
    """Delete lake parquet files the manifest does not list as live (left by a crash); returns what was removed."""
    live = live_parquet_files(rows)
    removed = []
    if not lake_dir.exists():
        return removed
    for path in lake_dir.glob("*/fiscal_month=*/*"):
        relative = path.relative_to(lake_dir).as_posix()
        if path.is_file() and relative not in live:
            path.unlink()
            removed.append(relative)
    return removed


def ensure_salt(salt_file: str | os.PathLike[str]) -> bytes:
    """Read the IP-hashing salt, creating 32 random bytes (mode 600) on first use; it never lives in the repo."""
    path = Path(salt_file).expanduser()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(secrets.token_bytes(32))
    salt = path.read_bytes()
    if len(salt) < 16:
        raise ValueError(f"salt file {path} holds fewer than 16 bytes; delete it to create a new one (hashes change)")
    return salt


def quarantine(quarantine_dir: Path, source: Path, sha256: str, report: dict[str, Any]) -> Path:
    """Copy the file and its report into quarantine, then remove it from landing; the copy lands before the delete."""
    quarantine_dir.mkdir(parents=True, exist_ok=True)
    target = quarantine_dir / f"{sha256[:16]}__{source.name}"
    temp = target.with_name(target.name + ".part")
    shutil.copyfile(source, temp)
    os.replace(temp, target)
    report_path = target.with_name(target.name + ".report.json")
    temp_report = report_path.with_name(report_path.name + ".part")
    temp_report.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(temp_report, report_path)
    source.unlink()
    return target
