"""The one place that opens, builds and publishes DuckDB files.

A refresh never writes the served file: it builds `build/<run_id>.duckdb`, checks it, then publishes it by
renaming a hard link over `warehouse.duckdb` in one step (os.replace). Readers holding the old file keep
reading their inode; they see the new version when they reconnect. See docs/architecture.md.
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from warehouse.settings import Settings

VERSION_PREFIX = "warehouse-"


class PublishError(RuntimeError):
    """The build file cannot be published as it is."""


@dataclass(frozen=True)
class PublishedVersion:
    version_id: str
    path: Path
    published_at: str
    run_id: str
    size_bytes: int

    def to_dict(self) -> dict[str, object]:
        return {
            "version_id": self.version_id,
            "path": str(self.path),
            "published_at": self.published_at,
            "run_id": self.run_id,
            "size_bytes": self.size_bytes,
        }


def connect_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection: never takes the writer's lock, so it never blocks a refresh."""
    return duckdb.connect(str(path), read_only=True)


def connect_build(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-write connection to a build file (never to the published file)."""
    if path.resolve() == path.parent.joinpath("warehouse.duckdb").resolve():
        raise PublishError(f"refusing to open the published file {path} for writing")
    path.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(path))


def finalize_build(path: Path) -> None:
    """Checkpoint the build file so it is one self-contained file with no write-ahead log."""
    with duckdb.connect(str(path)) as con:
        con.execute("checkpoint")
    wal = Path(f"{path}.wal")
    if wal.exists():
        raise PublishError(f"{wal} still exists after checkpoint; the build is not self-contained")


def _atomic_write_json(path: Path, payload: dict[str, object]) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, path)


def _pointer_path(settings: Settings) -> Path:
    return settings.home / "published.json"


def current_version(settings: Settings) -> dict[str, object] | None:
    """What published.json says is served, or None before the first publish."""
    pointer = _pointer_path(settings)
    if not pointer.exists() or not settings.published_path.exists():
        return None
    return json.loads(pointer.read_text(encoding="utf-8"))


def list_versions(settings: Settings) -> list[Path]:
    """Published files kept for rollback, oldest first (version ids sort by time)."""
    if not settings.versions_dir.exists():
        return []
    return sorted(settings.versions_dir.glob(f"{VERSION_PREFIX}*.duckdb"))


def _swap_in(settings: Settings, version_file: Path) -> None:
    """Point warehouse.duckdb at version_file in one rename."""
    staging = settings.home / ".warehouse.duckdb.publishing"
    if staging.exists():
        staging.unlink()
    try:
        os.link(version_file, staging)
    except OSError:
        shutil.copy2(version_file, staging)  # file systems without hard links
    os.replace(staging, settings.published_path)


def publish(settings: Settings, build_path: Path, run_id: str, docs_dir: Path | None = None) -> PublishedVersion:
    """Move a finished build into versions/ and make it the served file."""
    if Path(f"{build_path}.wal").exists():
        raise PublishError(f"{build_path} has a write-ahead log; finalize_build() first")
    settings.versions_dir.mkdir(parents=True, exist_ok=True)
    version_id = f"{VERSION_PREFIX}{run_id}"
    version_file = settings.versions_dir / f"{version_id}.duckdb"
    os.replace(build_path, version_file)
    if docs_dir is not None and docs_dir.exists():
        _publish_docs(settings, docs_dir, version_id)
    _swap_in(settings, version_file)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    published = PublishedVersion(version_id, version_file, now, run_id, version_file.stat().st_size)
    _atomic_write_json(_pointer_path(settings), published.to_dict())
    _prune(settings, keep=int(settings.get("publish", "versions_kept")), current=version_file)
    return published


def _publish_docs(settings: Settings, docs_dir: Path, version_id: str) -> None:
    """Keep dbt docs per version (for rollback) and point docs/ at the served one."""
    kept = settings.versions_dir / f"{version_id}.docs"
    if kept.exists():
        shutil.rmtree(kept)
    shutil.copytree(docs_dir, kept)
    _point_docs(settings, kept)


def _point_docs(settings: Settings, kept: Path) -> None:
    staging = settings.home / ".docs.publishing"
    if staging.exists():
        shutil.rmtree(staging)
    shutil.copytree(kept, staging)
    old = settings.home / ".docs.old"
    if settings.docs_dir.exists():
        if old.exists():
            shutil.rmtree(old)
        os.replace(settings.docs_dir, old)
    os.replace(staging, settings.docs_dir)
    if old.exists():
        shutil.rmtree(old)


def _prune(settings: Settings, keep: int, current: Path) -> None:
    versions = list_versions(settings)
    for stale in versions[: max(0, len(versions) - keep)]:
        if stale == current:
            continue
        stale.unlink(missing_ok=True)
        docs = stale.with_suffix(".docs")
        if docs.exists():
            shutil.rmtree(docs)


def rollback(settings: Settings) -> PublishedVersion:
    """Re-publish the version published before the current one."""
    current = current_version(settings)
    versions = list_versions(settings)
    if current is None or not versions:
        raise PublishError("nothing is published yet, so there is nothing to roll back to")
    current_file = Path(str(current["path"]))
    older = [v for v in versions if v.name < current_file.name]
    if not older:
        raise PublishError(
            f"{current_file.name} is the oldest version kept in {settings.versions_dir}; nothing older to roll back to"
        )
    target = older[-1]
    _swap_in(settings, target)
    docs = target.with_suffix(".docs")
    if docs.exists():
        _point_docs(settings, docs)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    version_id = target.stem
    run_id = version_id.removeprefix(VERSION_PREFIX)
    published = PublishedVersion(version_id, target, now, run_id, target.stat().st_size)
    _atomic_write_json(_pointer_path(settings), {**published.to_dict(), "rolled_back_from": current["version_id"]})
    return published
