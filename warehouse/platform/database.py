"""The one place that opens, builds and publishes DuckDB files, and that keeps the data home whole.

A refresh never writes the served file. It builds `build/<run_id>.duckdb`, checks it, then publishes it as one
release folder:

    releases/<version_id>/warehouse.duckdb   the served copy (the build file, moved)
    releases/<version_id>/docs/              dbt docs of this version
    releases/<version_id>/open/              the open-data export, written from this file before the switch
    releases/<version_id>/release.json       version id, run id, published_at, sha256 and size; written last
    versions/<version_id>.duckdb (+ .json)   a separate copy (own inode) with its checksum, for repair and rollback

`current` is a relative symlink to `releases/<version_id>`: the single commit point, replaced by one rename of a
new symlink (then the folder is fsynced). `warehouse.duckdb`, `docs`, `open` and `published.json` are static
relative symlinks into `current/`, so the served file, its pointer, docs and open data always belong to one
version. `check_home()` runs before every command: it finishes or removes what a kill left behind, repairs a
damaged served file from its kept copy, and records each repair in the ledger. See docs/architecture.md.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import glob as globbing
import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from warehouse.platform import durable
from warehouse.platform.faults import kill_point
from warehouse.platform.settings import Settings

VERSION_PREFIX = "warehouse-"
SERVED_NAME = "warehouse.duckdb"
RELEASE_FILE = "release.json"
CURRENT = "current"
POINTER = "published.json"
LOCK_FILE = ".refresh.lock"
# name in the home -> where it points (relative, so a copied or moved home keeps working)
LINKS = {SERVED_NAME: f"{CURRENT}/{SERVED_NAME}", "docs": f"{CURRENT}/docs", "open": f"{CURRENT}/open",
         POINTER: f"{CURRENT}/{RELEASE_FILE}"}
# what a warehouse home holds (a folder with none of these is not one: never "repair" a mistyped path)
HOME_MARKERS = (LOCK_FILE, "runs", "releases", CURRENT, "lake", "landing", SERVED_NAME, POINTER, "versions")
RUN_FILE = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{6}")  # build/<run_id>.duckdb, .wal, .docs

Exporter = Callable[[Path, Path], None]  # (duckdb file, open/ folder to create)


class PublishError(RuntimeError):
    """The build file cannot be published as it is, or a rollback has nothing sound to serve."""


class HomeLocked(RuntimeError):
    """A refresh (or rollback) holds the lock on this warehouse home."""


@dataclass(frozen=True)
class PublishedVersion:
    version_id: str
    path: Path
    published_at: str
    run_id: str
    size_bytes: int
    sha256: str = ""
    skipped: tuple[str, ...] = ()  # rollback: damaged versions passed over, each with the reason

    def to_dict(self) -> dict[str, object]:
        return {
            "version_id": self.version_id,
            "path": str(self.path),
            "published_at": self.published_at,
            "run_id": self.run_id,
            "size_bytes": self.size_bytes,
            "sha256": self.sha256,
        }


@dataclass
class HomeReport:
    """What check_home found: repairs it made, problems it could not repair (or may not, while locked)."""

    repairs: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    refresh_running: bool = False
    served: dict[str, object] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "repairs": self.repairs, "problems": self.problems,
                "refresh_running": self.refresh_running, "served": self.served}


# --- values in SQL ---------------------------------------------------------------------------------------------

def sql_literal(value: object) -> str:
    """A SQL string literal, for the few places DuckDB takes no bound parameter (ATTACH, COPY ... TO, SET) and
    for constant IN lists (DuckDB skips row groups on those, not on a bound list's subquery).

    Everywhere else bind values with `?`. Quotes are doubled; nothing else in a string literal is special.
    """
    return "'" + str(value).replace("'", "''") + "'"


def file_pattern(path: Path | str) -> str:
    """A path DuckDB's file readers take literally: glob characters (* ? [) in folder names are escaped.

    read_parquet / read_csv treat every path as a glob, so a home like `/srv/it's */板橋` would match other
    folders (or nothing). Bind the result as a parameter; append your own glob after escaping the fixed part.
    """
    return globbing.escape(str(path))


# --- connections -----------------------------------------------------------------------------------------------

def connect_read_only(path: Path, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection: never takes the writer's lock, so it never blocks a refresh. memory_limit caps
    DuckDB's buffer pool for a step that scans the whole lake (its default is 80 % of the machine)."""
    return duckdb.connect(str(path), read_only=True,
                          config={} if memory_limit is None else {"memory_limit": memory_limit})


def connect_build(path: Path, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """A read-write connection to a build file (never to the published file); memory_limit caps DuckDB's memory
    (default: 80 % of the machine) for the steps that move the whole lake ([refresh] duckdb_memory_limit)."""
    if path.resolve() == path.parent.joinpath(SERVED_NAME).resolve():
        raise PublishError(f"refusing to open the published file {path} for writing")
    path.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(path), config={} if memory_limit is None else {"memory_limit": memory_limit})


def finalize_build(path: Path) -> None:
    """Checkpoint the build file so it is one self-contained file with no write-ahead log, and flush it."""
    with duckdb.connect(str(path)) as con:
        con.execute("checkpoint")
    wal = Path(f"{path}.wal")
    if wal.exists():
        raise PublishError(f"{wal} still exists after checkpoint; the build is not self-contained")
    durable.fsync_file(path)


def opens(path: Path) -> str | None:
    """None if DuckDB opens the file read-only and reads its catalog; else the error, in one line."""
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            con.execute("select count(*) from duckdb_tables()").fetchall()
    except (duckdb.Error, OSError) as exc:
        return str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
    return None


sha256_file = durable.sha256_file  # one way to hash a file (large chunks, releases the GIL)


# --- the lock ----------------------------------------------------------------------------------------------------

@contextlib.contextmanager
def home_lock(settings: Settings) -> Iterator[None]:
    """The refresh lock (the same flock as warehouse.refresh.refresh_lock): HomeLocked if someone holds it."""
    settings.home.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(settings.home / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        os.close(descriptor)
        raise HomeLocked(f"a refresh is running on {settings.home} (lock {settings.home / LOCK_FILE}); "
                         "wait for it to finish") from exc
    try:
        yield
    finally:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        os.close(descriptor)


# --- reading the layout ------------------------------------------------------------------------------------------

def _pointer_path(settings: Settings) -> Path:
    return settings.home / POINTER


def release_dir(settings: Settings, version_id: str) -> Path:
    return settings.releases_dir / version_id


def _version_file(settings: Settings, version_id: str) -> Path:
    return settings.versions_dir / f"{version_id}.duckdb"


def _version_record(settings: Settings, version_id: str) -> Path:
    return settings.versions_dir / f"{version_id}.json"


def _read_json(path: Path) -> dict[str, object] | None:
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return payload if isinstance(payload, dict) and payload.get("version_id") else None


def read_release(folder: Path) -> dict[str, object] | None:
    """release.json of a release folder, or None if it is missing or unreadable (a half-built folder)."""
    return _read_json(folder / RELEASE_FILE)


def _is_complete(folder: Path) -> bool:
    """release.json readable and the served copy there with the recorded size (stat only)."""
    release = read_release(folder)
    if release is None or release.get("version_id") != folder.name:
        return False
    try:
        return (folder / SERVED_NAME).stat().st_size == int(release.get("size_bytes", -1))  # type: ignore[arg-type]
    except OSError:
        return False


def current_release(settings: Settings) -> Path | None:
    """The release folder `current` points at, if that folder exists."""
    link = settings.home / CURRENT
    if not link.is_symlink():
        return None
    target = os.readlink(link)
    folder = (settings.home / target)
    if not folder.is_dir() or folder.parent.resolve() != settings.releases_dir.resolve():
        return None
    return settings.releases_dir / folder.name


def current_version(settings: Settings) -> dict[str, object] | None:
    """What is served: the current release's release.json (with its path), or None before the first publish."""
    folder = current_release(settings)
    if folder is None:
        if _is_old_layout(settings):  # not migrated yet (the next command migrates it)
            pointer = _read_json(_pointer_path(settings))
            return pointer
        return None
    release = read_release(folder)
    if release is None or not (folder / SERVED_NAME).exists():
        return None
    return {**release, "path": str(folder / SERVED_NAME)}


def release_is_whole(settings: Settings) -> bool:
    """The served release has its docs and open data (a release restored from a kept copy has neither yet)."""
    folder = current_release(settings)
    return folder is not None and (folder / "docs" / "catalog.json").exists() and (folder / "open" / "catalog.json").exists()


def list_versions(settings: Settings) -> list[Path]:
    """Kept copies for rollback and repair, oldest first (version ids sort by time)."""
    if not settings.versions_dir.exists():
        return []
    return sorted(p for p in settings.versions_dir.glob(f"{VERSION_PREFIX}*.duckdb") if not p.name.startswith("."))


def list_releases(settings: Settings) -> list[str]:
    """Version ids of complete release folders, oldest first."""
    if not settings.releases_dir.exists():
        return []
    return sorted(p.name for p in settings.releases_dir.iterdir()
                  if p.is_dir() and not p.name.startswith(".") and _is_complete(p))


# --- writing -----------------------------------------------------------------------------------------------------

def _fsync_tree(root: Path) -> None:
    """fsync every file and folder under root (a folder about to be renamed into place)."""
    for folder, _, files in os.walk(root):
        for name in files:
            durable.fsync_file(Path(folder) / name)
        durable.fsync_dir(Path(folder))


def _copy_tree(source: Path, target: Path) -> None:
    shutil.copytree(source, target, symlinks=False)
    _fsync_tree(target)


def _remove_tree(path: Path) -> None:
    """Remove a release-like folder so that a kill half-way leaves it visibly incomplete (release.json first)."""
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
        return
    if not path.exists():
        return
    (path / RELEASE_FILE).unlink(missing_ok=True)
    durable.fsync_dir(path)
    shutil.rmtree(path, ignore_errors=True)


def _symlink(settings: Settings, name: str, target: str) -> None:
    """Make home/name a symlink to target in one rename (a temp link replaces whatever file is there)."""
    temp = settings.home / f".{name}.tmp-link-{os.getpid()}"
    temp.unlink(missing_ok=True)
    os.symlink(target, temp)
    os.replace(temp, settings.home / name)
    durable.fsync_dir(settings.home)


def switch_current(settings: Settings, version_id: str) -> None:
    """The commit point: `current` names another release, by one rename of a new symlink, then fsync."""
    temp = settings.home / f".{CURRENT}.tmp-{os.getpid()}"
    temp.unlink(missing_ok=True)
    os.symlink(f"{settings.releases_dir.name}/{version_id}", temp)
    kill_point("current.before_rename")
    os.replace(temp, settings.home / CURRENT)
    durable.fsync_dir(settings.home)
    kill_point("current.after_rename")


def ensure_links(settings: Settings) -> list[str]:
    """Make the static links (warehouse.duckdb, docs, open, published.json -> current/...) exist; list fixes."""
    fixed: list[str] = []
    for name, target in LINKS.items():
        path = settings.home / name
        if path.is_symlink() and os.readlink(path) == target:
            continue
        if path.is_dir() and not path.is_symlink():  # an old-layout folder: move it aside, link, then remove it
            aside = settings.home / f".{name}.old-layout-{os.getpid()}"
            os.replace(path, aside)
            _symlink(settings, name, target)
            shutil.rmtree(aside, ignore_errors=True)
        else:
            _symlink(settings, name, target)
        fixed.append(f"{name} now points at {target}")
        kill_point("links.after_one")
    return fixed


def _release_payload(version_id: str, run_id: str, served: Path, sha: str) -> dict[str, object]:
    stat = served.stat()
    return {"version_id": version_id, "run_id": run_id,
            "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "sha256": sha, "size_bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns, "served_file": SERVED_NAME}


def _write_json(path: Path, payload: dict[str, object]) -> None:
    durable.write_text(path, json.dumps(payload, ensure_ascii=False, indent=2))


def publish(settings: Settings, build_path: Path, run_id: str, docs_dir: Path | None = None,
            export: Exporter | None = None) -> PublishedVersion:
    """Publish a finished build as one release folder and switch `current` to it (see the module docstring).

    export(db_file, open_dir) writes the open-data export from the new file into the release before the
    switch; without it the release gets an empty open/. Anything that fails before the switch leaves the served
    version as it was (the half-built folder is removed); after the switch only pruning is left.
    """
    if Path(f"{build_path}.wal").exists():
        raise PublishError(f"{build_path} has a write-ahead log; finalize_build() first")
    if not build_path.is_file():
        raise PublishError(f"{build_path} does not exist; nothing to publish")
    version_id = f"{VERSION_PREFIX}{run_id}"
    folder = release_dir(settings, version_id)
    kept = _version_file(settings, version_id)
    settings.releases_dir.mkdir(parents=True, exist_ok=True)
    settings.versions_dir.mkdir(parents=True, exist_ok=True)
    if folder.exists():
        _remove_tree(folder)
    try:
        folder.mkdir()
        durable.fsync_dir(settings.releases_dir)
        kill_point("publish.after_release_dir")
        served = folder / SERVED_NAME
        os.replace(build_path, served)
        durable.fsync_file(served)
        durable.fsync_dir(folder)
        durable.fsync_dir(build_path.parent)
        kill_point("publish.after_move_build")
        if docs_dir is not None and docs_dir.exists():
            _copy_tree(docs_dir, folder / "docs")
        else:
            (folder / "docs").mkdir()
        kill_point("publish.after_docs")
        # The kept copy is hashed and written beside the export (both only read the served file): at ten years a
        # 1 GB copy and the export each take about a second, and the machine has two cores.
        with ThreadPoolExecutor(1, thread_name_prefix="publish-kept-copy") as pool:
            copying = pool.submit(durable.copy_file, served, kept, hashed=True)
            if export is not None:
                export(served, folder / "open")
            if not (folder / "open").exists():
                (folder / "open").mkdir()
            durable.fsync_dir(folder)
            kill_point("publish.after_open")
        sha = str(copying.result())  # the pool's exit waited for it, also when the export raised
        kill_point("publish.after_version_copy")
        release = _release_payload(version_id, run_id, served, sha)
        _write_json(folder / RELEASE_FILE, release)  # the folder is complete from here on
        kill_point("publish.after_release_json")
        _write_json(_version_record(settings, version_id), release)
        kill_point("publish.after_version_record")
    except BaseException:
        _remove_tree(folder)
        kept.unlink(missing_ok=True)
        _version_record(settings, version_id).unlink(missing_ok=True)
        raise
    switch_current(settings, version_id)
    kill_point("publish.after_switch")
    ensure_links(settings)
    kill_point("publish.after_links")
    prune(settings, keep=int(settings.get("publish", "versions_kept")), current=version_id)
    kill_point("publish.after_prune")
    return PublishedVersion(version_id, served, str(release["published_at"]), run_id, int(release["size_bytes"]),
                            sha)


def carry_over_open(settings: Settings, target: Path) -> str | None:
    """Copy the served release's open/ into target (when a new export failed); the version it came from."""
    folder = current_release(settings)
    if folder is None or not (folder / "open").is_dir():
        target.mkdir(parents=True, exist_ok=True)
        return None
    if target.exists():
        shutil.rmtree(target)
    _copy_tree(folder / "open", target)
    return folder.name


def prune(settings: Settings, keep: int, current: str) -> list[str]:
    """Keep the newest `keep` versions (and the served one): release folders and kept copies go together."""
    ids = sorted({p.stem for p in list_versions(settings)} | set(list_releases(settings)))
    stale = [v for v in ids[: max(0, len(ids) - keep)] if v != current]
    for version_id in stale:
        # record first, release folder last: a kill in between leaves a complete release or a visible leftover
        _version_record(settings, version_id).unlink(missing_ok=True)
        _version_file(settings, version_id).unlink(missing_ok=True)
        kill_point("prune.after_kept_copy")
        _remove_tree(release_dir(settings, version_id))
        # an old-layout kept docs folder
        shutil.rmtree(settings.versions_dir / f"{version_id}.docs", ignore_errors=True)
    if stale:
        durable.fsync_dir(settings.versions_dir)
        durable.fsync_dir(settings.releases_dir)
    return stale


# --- verifying and repairing a release ---------------------------------------------------------------------------

def _recorded(settings: Settings, version_id: str) -> dict[str, object] | None:
    """What was recorded at publish: release.json, else the kept copy's record."""
    return read_release(release_dir(settings, version_id)) or _read_json(_version_record(settings, version_id))


def _kept_copy_sound(settings: Settings, version_id: str, sha: str) -> bool:
    path = _version_file(settings, version_id)
    return path.is_file() and sha256_file(path) == sha


def restore_served_copy(settings: Settings, version_id: str) -> str:
    """Replace a release's served copy by its kept copy after checking the kept copy's checksum.

    Returns what was done; raises PublishError naming the version when the kept copy is missing or damaged.
    """
    record = _recorded(settings, version_id)
    if record is None or not record.get("sha256"):
        raise PublishError(f"{version_id}: no checksum was recorded for it, so no copy can be trusted")
    sha = str(record["sha256"])
    if not _kept_copy_sound(settings, version_id, sha):
        raise PublishError(f"{version_id}: its kept copy {_version_file(settings, version_id)} is missing or "
                           "damaged too (checksum differs from the one recorded at publish)")
    folder = release_dir(settings, version_id)
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("docs", "open"):
        (folder / name).mkdir(exist_ok=True)
    temp = folder / f".{SERVED_NAME}.repair-{os.getpid()}"
    shutil.copyfile(_version_file(settings, version_id), temp)
    kill_point("repair.before_replace")
    durable.replace(temp, folder / SERVED_NAME)
    served = folder / SERVED_NAME
    stat = served.stat()
    _write_json(folder / RELEASE_FILE, {**record, "size_bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns,
                                        "repaired_at": datetime.now(UTC).isoformat(timespec="seconds")})
    return f"{version_id}: served copy restored from {_version_file(settings, version_id).name} (checksum verified)"


def verify_release(settings: Settings, version_id: str, *, full: bool, repair: bool) -> tuple[bool, str]:
    """Is this release's served copy the file recorded at publish, and does it open? Repair it when asked.

    full=False compares size and mtime (one stat); a mismatch, or full=True, checks the SHA-256 (and opens it).
    Returns (sound, what was done or what is wrong).
    """
    folder = release_dir(settings, version_id)
    record = _recorded(settings, version_id)
    served = folder / SERVED_NAME
    if record is None:
        return False, f"{version_id}: no release.json and no record of the kept copy"
    problem = ""
    try:
        stat = served.stat()
    except OSError:
        problem = f"{version_id}: the served copy {served} is missing"
    else:
        same_stat = (stat.st_size == record.get("size_bytes") and
                     ("mtime_ns" not in record or stat.st_mtime_ns == record.get("mtime_ns")))
        if full or not same_stat:
            if record.get("sha256") and sha256_file(served) != record["sha256"]:
                problem = (f"{version_id}: the served copy {served} is damaged (its SHA-256 differs from the one "
                           "recorded at publish)")
            elif full and (error := opens(served)):
                problem = f"{version_id}: the served copy {served} does not open ({error})"
            elif not same_stat:  # same content, touched: record the new stat so the cheap check holds again
                if not repair:
                    return True, f"{version_id}: the served copy was touched (checksum still matches)"
                _write_json(folder / RELEASE_FILE, {**record, "size_bytes": stat.st_size,
                                                    "mtime_ns": stat.st_mtime_ns})
                return True, f"{version_id}: the served copy was touched (checksum matches); release.json updated"
    if not problem:
        if read_release(folder) is None:  # release.json lost but the kept record says what it was
            if not repair:
                return False, f"{version_id}: release.json is missing or unreadable"
            _write_json(folder / RELEASE_FILE, record)
            return True, f"{version_id}: release.json rewritten from the record of its kept copy"
        return True, ""
    if not repair:
        return False, problem
    try:
        return True, f"{problem}; {restore_served_copy(settings, version_id)}"
    except PublishError as exc:
        return False, f"{problem}; cannot repair: {exc}"


# --- rollback ------------------------------------------------------------------------------------------------------

def rollback(settings: Settings) -> PublishedVersion:
    """Serve the version published before the current one (the caller holds the refresh lock).

    Each candidate is verified by checksum before it is served; a damaged one (with no sound kept copy) is
    skipped and named in `skipped`. Never serves a file that does not open.
    """
    current = current_version(settings)
    if current is None:
        raise PublishError("nothing is published yet, so there is nothing to roll back to")
    current_id = str(current["version_id"])
    candidates = sorted({p.stem for p in list_versions(settings)} | set(list_releases(settings)))
    older = [v for v in candidates if v < current_id]
    if not older:
        raise PublishError(f"{current_id} is the oldest version kept in {settings.releases_dir}; "
                           "nothing older to roll back to")
    skipped: list[str] = []
    for version_id in reversed(older):
        sound, note = verify_release(settings, version_id, full=True, repair=True)
        if sound:
            break
        skipped.append(note)
    else:
        raise PublishError("no older version can be served: " + "; ".join(skipped))
    kill_point("rollback.before_switch")
    switch_current(settings, version_id)
    kill_point("rollback.after_switch")
    ensure_links(settings)
    folder = release_dir(settings, version_id)
    release = read_release(folder) or {}
    now = datetime.now(UTC).isoformat(timespec="seconds")
    _write_json(folder / RELEASE_FILE, {**release, "rolled_back_from": current_id, "served_again_at": now})
    kill_point("rollback.after_release_note")
    return PublishedVersion(version_id, folder / SERVED_NAME, now, str(release.get("run_id", "")),
                            int(release.get("size_bytes", 0)), str(release.get("sha256", "")), tuple(skipped))


# --- the home check ----------------------------------------------------------------------------------------------

def _is_old_layout(settings: Settings) -> bool:
    served = settings.home / SERVED_NAME
    return served.is_file() and not served.is_symlink() and not (settings.home / CURRENT).is_symlink()


def _old_version_id(settings: Settings) -> str:
    pointer = settings.home / POINTER
    if pointer.is_file() and not pointer.is_symlink():
        payload = _read_json(pointer)
        if payload and str(payload["version_id"]).startswith(VERSION_PREFIX):
            return str(payload["version_id"])
    try:
        with duckdb.connect(str(settings.home / SERVED_NAME), read_only=True) as con:
            row = con.sql("select version_id from meta.warehouse_version").fetchall()
        if row and str(row[0][0]).startswith(VERSION_PREFIX):
            return str(row[0][0])
    except duckdb.Error:
        pass
    mtime = datetime.fromtimestamp((settings.home / SERVED_NAME).stat().st_mtime, UTC)
    return f"{VERSION_PREFIX}{mtime:%Y%m%dT%H%M%SZ}-migrated"


def _migrate_old_layout(settings: Settings) -> list[str]:
    """A home from before release folders: copy the served file, docs/ and open/ into releases/<id>/, give
    every old kept version (hard links of the served file) its own copy and release, then link."""
    done: list[str] = []
    served_id = _old_version_id(settings)
    settings.releases_dir.mkdir(parents=True, exist_ok=True)
    settings.versions_dir.mkdir(parents=True, exist_ok=True)
    sources: dict[str, tuple[Path, Path | None, Path | None]] = {}
    for kept in list_versions(settings):
        docs = kept.with_suffix(".docs")
        sources[kept.stem] = (kept, docs if docs.is_dir() else None, None)
    docs = settings.home / "docs"
    opened = settings.home / "open"
    sources[served_id] = (settings.home / SERVED_NAME, docs if docs.is_dir() and not docs.is_symlink() else None,
                          opened if opened.is_dir() and not opened.is_symlink() else None)
    for version_id, (source, docs_source, open_source) in sorted(sources.items()):
        folder = release_dir(settings, version_id)
        if _is_complete(folder):
            continue
        if folder.exists():
            _remove_tree(folder)
        if opens(source) is not None and version_id != served_id:
            done.append(f"old kept version {source.name} does not open; left out of the migration")
            continue
        folder.mkdir()
        durable.copy_file(source, folder / SERVED_NAME)  # a copy: the old kept versions were hard links
        if docs_source is not None:
            _copy_tree(docs_source, folder / "docs")
        else:
            (folder / "docs").mkdir()
        if open_source is not None:
            _copy_tree(open_source, folder / "open")
        else:
            (folder / "open").mkdir()
        sha = sha256_file(folder / SERVED_NAME)
        durable.copy_file(folder / SERVED_NAME, _version_file(settings, version_id))
        payload = {**_release_payload(version_id, version_id.removeprefix(VERSION_PREFIX), folder / SERVED_NAME,
                                      sha), "migrated": True}
        _write_json(folder / RELEASE_FILE, payload)
        _write_json(_version_record(settings, version_id), payload)
        kill_point("migrate.after_release")
    switch_current(settings, served_id)
    done.append(f"migrated the home to release folders: {served_id} is served from "
                f"{settings.releases_dir.name}/{served_id}/ (kept versions are separate copies now)")
    for version_id in sources:
        shutil.rmtree(settings.versions_dir / f"{version_id}.docs", ignore_errors=True)
    return done


def _leftovers(settings: Settings) -> list[Path]:
    """Temp and half-built files a killed run leaves (only meaningful while no refresh holds the lock)."""
    home = settings.home
    found: list[Path] = []
    patterns = [".current.tmp-*", ".*.tmp-link-*", ".*.old-layout-*", ".warehouse.duckdb.publishing",
                ".docs.publishing", ".docs.old", ".open.tmp-*", ".open.old-*", ".published.json.tmp*",
                "published.json.tmp"]
    for pattern in patterns:
        found.extend(home.glob(pattern))
    if settings.build_dir.is_dir():
        found.extend(p for p in settings.build_dir.iterdir() if RUN_FILE.match(p.name))
    if settings.releases_dir.is_dir():
        current = current_release(settings)
        for folder in settings.releases_dir.iterdir():
            if folder.name.startswith("."):
                found.append(folder)
                continue
            has_record = _version_record(settings, folder.name).is_file()
            if read_release(folder) is None and not has_record and folder != current:
                found.append(folder)  # half-built: release.json is written last
                continue
            if folder.is_dir():
                for pattern in (".open.tmp-*", f".{SERVED_NAME}.repair-*", f".{RELEASE_FILE}.tmp-*"):
                    found.extend(folder.glob(pattern))
                if (folder / "open").exists():
                    found.extend(folder.glob(".open.old-*"))
    if settings.versions_dir.is_dir():
        releases = settings.releases_dir
        for path in settings.versions_dir.iterdir():
            if path.name.startswith("."):
                found.append(path)
            elif path.suffix == ".duckdb" and not path.with_suffix(".json").is_file() \
                    and read_release(releases / path.stem) is None and not _is_old_layout(settings):
                found.append(path)  # copied by a publish that was killed before its release was complete
    if settings.runs_dir.is_dir():
        found.extend(settings.runs_dir.glob(".*.tmp-*"))
    return sorted(set(found))


def _restore_half_swapped_open(settings: Settings) -> list[str]:
    """`warehouse export` killed between its two renames: open/ missing, .open.old-* holds the previous export."""
    fixed: list[str] = []
    if not settings.releases_dir.is_dir():
        return fixed
    for folder in settings.releases_dir.iterdir():
        if folder.is_dir() and not (folder / "open").exists():
            olds = sorted(folder.glob(".open.old-*"))
            if olds:
                os.replace(olds[-1], folder / "open")
                durable.fsync_dir(folder)
                fixed.append(f"{folder.name}: open/ restored from an interrupted export")
    return fixed


def _stale_running_runs(settings: Settings) -> list[dict[str, object]]:
    from warehouse.platform import ledger

    return [r for r in ledger.read_all(settings) if r.get("status") == "running"]


def _heal(settings: Settings, apply: bool, full: bool) -> HomeReport:
    """One pass over the home. apply=False only lists what it would repair (no file is touched)."""
    report = HomeReport()
    home = settings.home

    def fix(message: str, action: Callable[[], object]) -> None:
        if not apply:
            report.problems.append(message)
            return
        result = action()
        if isinstance(result, list):
            report.repairs.extend(result or [message])
        elif isinstance(result, str) and result:
            report.repairs.append(result)
        else:
            report.repairs.append(message)

    if _is_old_layout(settings):
        fix(f"{home} uses the old layout (a plain warehouse.duckdb); it will be migrated to release folders",
            lambda: _migrate_old_layout(settings))
        if not apply:
            return report
    if settings.releases_dir.is_dir():
        for folder in settings.releases_dir.iterdir():
            if folder.is_dir() and not (folder / "open").exists() and any(folder.glob(".open.old-*")):
                fix(f"{folder.name}: open/ was moved aside by an interrupted export",
                    lambda: _restore_half_swapped_open(settings))
                break
    # `current`: must name a complete release
    folder = current_release(settings)
    if folder is not None and not _is_complete(folder):
        sound, note = verify_release(settings, folder.name, full=False, repair=apply)
        if not sound or not apply:
            report.problems.append(note or f"{folder.name}: incomplete release")
            folder = None if apply else folder
        else:
            report.repairs.append(note)
    releases = list_releases(settings)
    if folder is None and releases:
        link = home / CURRENT
        reason = ("`current` is missing" if not link.is_symlink() else
                  f"`current` points at {os.readlink(link)}, which is not a complete release")

        def choose() -> str:
            for version_id in reversed(list_releases(settings)):
                sound, _ = verify_release(settings, version_id, full=True, repair=True)
                if sound:
                    switch_current(settings, version_id)
                    return f"{reason}: now serving {version_id}, the newest complete release"
            report.problems.append(f"{reason}, and no release verifies; run `warehouse refresh --full-rebuild`")
            return ""

        fix(f"{reason}; the newest complete release will be served", choose)
        folder = current_release(settings)
    kept = [path.stem for path in list_versions(settings)]
    if folder is None and not releases and kept:
        def from_kept() -> str:
            for version_id in reversed(kept):
                try:
                    note = restore_served_copy(settings, version_id)
                except PublishError:
                    continue
                switch_current(settings, version_id)
                ensure_links(settings)
                return (f"releases/ is lost: {note}; now serving {version_id} (its docs and open data are written "
                        "again by the next refresh)")
            report.problems.append("releases/ is lost and no kept copy in versions/ verifies; "
                                   "run `warehouse refresh --full-rebuild`")
            return ""

        fix("no release folder is left; the newest sound kept copy in versions/ will be served", from_kept)
        folder = current_release(settings)
    if folder is not None or (home / CURRENT).is_symlink():
        for name, target in LINKS.items():
            path = home / name
            if not (path.is_symlink() and os.readlink(path) == target):
                fix(f"{name} does not point at {target}", lambda: ensure_links(settings))
                break
    folder = current_release(settings)
    if folder is not None:
        for name, remedy in (("docs", "`warehouse refresh --full-rebuild` writes them again"),
                             ("open", "`warehouse export` writes it again")):
            if not (folder / name).is_dir():
                report.problems.append(f"{folder.name}: {name}/ is missing from the served release; {remedy}")
    # the served file: stat-level every time, checksum and open when asked (status, rollback) or on mismatch
    folder = current_release(settings)
    if folder is not None and _is_complete(folder):
        sound, note = verify_release(settings, folder.name, full=full, repair=apply)
        report.served = {"version_id": folder.name, "sound": sound, "checked": "sha256+open" if full else "stat"}
        if note and sound:
            report.repairs.append(note)
        elif not sound:
            if not apply:
                report.problems.append(note)
            else:
                older = [v for v in list_releases(settings) if v < folder.name]
                for version_id in reversed(older):
                    ok, _ = verify_release(settings, version_id, full=True, repair=True)
                    if ok:
                        switch_current(settings, version_id)
                        report.repairs.append(f"{note}; now serving {version_id}, the newest sound older version "
                                              "(the next refresh publishes a new one)")
                        report.served = {"version_id": version_id, "sound": True, "checked": "sha256+open"}
                        break
                else:
                    report.problems.append(f"{note}; no sound version to serve instead")
    # kept copies: a record each (written right after release.json; a kill can come between)
    for version_id in list_releases(settings):
        if _version_file(settings, version_id).is_file() and not _version_record(settings, version_id).is_file():
            def record(version_id: str = version_id) -> str:
                release = read_release(release_dir(settings, version_id)) or {}
                if release.get("sha256") and _kept_copy_sound(settings, version_id, str(release["sha256"])):
                    _write_json(_version_record(settings, version_id), release)
                    return f"{version_id}: record of the kept copy written"
                _version_file(settings, version_id).unlink(missing_ok=True)
                return f"{version_id}: an incomplete kept copy removed"

            fix(f"{version_id}: kept copy has no record", record)
    # what killed runs left behind (checked last: the fixes above decide what is still referenced)
    for leftover in _leftovers(settings):
        fix(f"removed leftover {leftover.relative_to(home)}", lambda leftover=leftover: _remove_tree(leftover))
    # runs that were killed: a "running" record nobody finished (we hold the lock, so nobody is running)
    for run in _stale_running_runs(settings):
        def killed(run: dict[str, object] = run) -> str:
            from warehouse.platform import ledger

            ledger.append_raw(settings, {**run, "status": "killed", "finished_at": ledger.utc_now(),
                                         "message": "the run stopped without finishing (killed, power cut or "
                                                    "out of memory); nothing it did was published",
                                         "failed_step": run.get("failed_step") or "killed"})
            return f"run {run['run_id']} ({run.get('kind')}) was killed: recorded in the ledger"

        fix(f"run {run['run_id']} is recorded as running but no process holds the lock", killed)
    return report


def check_home(settings: Settings, *, locked: bool = False, full: bool = False,
               record: bool = True) -> HomeReport:
    """Check the home before a command and repair what a kill or damage left (see the module docstring).

    Cheap when all is well: a few stats. It repairs only under the refresh lock: `locked=True` when the
    caller holds it; otherwise the lock is taken briefly when something needs repair, and if a refresh holds
    it, problems are only reported (a running refresh's build files are not leftovers). full=True also
    checksums and opens the served file. Repairs are recorded in the ledger as one record of kind "repair".
    """
    if not looks_like_home(settings.home):
        return HomeReport()
    scan = _heal(settings, apply=False, full=full)
    if scan.ok and not scan.repairs:
        return scan
    if locked:
        report = _heal(settings, apply=True, full=full)
    else:
        try:
            with home_lock(settings):
                report = _heal(settings, apply=True, full=full)
        except HomeLocked:
            # a refresh is running: its build and temp files are not leftovers; report only the served file
            scan.problems = [p for p in scan.problems if not p.startswith("removed leftover")
                             and "recorded as running" not in p]
            scan.refresh_running = True
            scan.repairs = []
            return scan
    if record and (report.repairs or report.problems):
        from warehouse.platform import ledger

        ledger.record_repair(settings, report.repairs, report.problems)
    return report


def looks_like_home(path: Path) -> bool:
    """A folder holding something a warehouse home holds (check_home never touches any other folder)."""
    return path.is_dir() and any((path / m).exists() or (path / m).is_symlink() for m in HOME_MARKERS)


def disk_full(exc: BaseException) -> bool:
    """True for 'no space left on device' (and quota exceeded) anywhere in the exception chain."""
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return False
