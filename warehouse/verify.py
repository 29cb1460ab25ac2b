"""`warehouse verify`: the lake proves itself, and a damaged piece is repaired, never silently lost.

Every part (one Parquet file) of every live file version is checked against the size and SHA-256 the
manifest recorded when it was written. A missing or damaged part is restored from the archived original
(or from the same file still in landing); when neither exists the file version is set aside with a report,
and the refresh publishes without it (exit 3) — never silently fewer rows. Parquet files the manifest does
not know are moved to lake/_orphans/ (kept, never deleted). A lost or unreadable manifest is rebuilt from
the Parquet files themselves (their lineage columns say which file version each row came from), starting
from the kept previous copy when there is one.
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from ingest.common import lake
from warehouse.platform import durable
from warehouse.platform.settings import Settings

ORPHANS_DIR = "_orphans"
LAST_VERIFY = "last_verify.json"
VERIFIED_PARTS = "verified_parts.json"  # size and mtime of each part as last hashed intact (the refresh's quick check)


@dataclass
class LakeIssue:
    problem: str  # manifest_missing | manifest_unreadable | missing | damaged | orphan | unrecorded_checksum
    path: str  # relative to lake/
    detail: str
    file_name: str | None = None
    sha256: str | None = None


@dataclass
class VerifyReport:
    issues: list[LakeIssue] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    set_aside: list[dict[str, str]] = field(default_factory=list)
    parts_checked: int = 0
    versions_checked: int = 0
    full: bool = True  # every part hashed (not only those written since the last check)
    manifest_ok: bool = True
    remaining: list[LakeIssue] | None = None  # after a repair: what a fresh check still finds

    def __post_init__(self) -> None:
        # lake path → [size, mtime_ns] of each part found intact with a recorded checksum, for the record of
        # verified parts (not a field: the report's JSON does not carry 36,000 of them)
        self.intact_parts: dict[str, list[int]] = {}

    @property
    def ok(self) -> bool:
        """The lake is intact now (after the repairs, when there were any)."""
        issues = self.issues if self.remaining is None else self.remaining
        return self.manifest_ok and not [i for i in issues if i.problem != "unrecorded_checksum"]

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}

    def summary(self) -> str:
        if self.ok and not self.repaired and not self.set_aside:
            return f"lake verified: {self.versions_checked} file versions, {self.parts_checked} Parquet files, all intact"
        parts = []
        if self.issues:
            counts: dict[str, int] = {}
            for issue in self.issues:
                counts[issue.problem] = counts.get(issue.problem, 0) + 1
            parts.append("found " + ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in counts.items()))
        if self.repaired:
            parts.append(f"repaired {len(self.repaired)}")
        if self.set_aside:
            parts.append(f"set aside {len(self.set_aside)} file version(s): "
                         + ", ".join(item["file_name"] for item in self.set_aside))
        return "lake: " + "; ".join(parts)


def _part_problem(lake_dir: Path, part: dict[str, Any], checksums: bool,
                  trusted: dict[str, list[int]] | None = None,
                  intact: dict[str, list[int]] | None = None) -> tuple[str, str] | None:
    """What is wrong with a lake part, or None; with checksums, a part found intact by its recorded checksum
    (now, or by an earlier check and not written since) is stamped into `intact` with its size and mtime."""
    try:
        stat = os.stat(f"{lake_dir}/{part['parquet']}")  # a str, not a Path: 36,000 parts per refresh
    except FileNotFoundError:
        return "missing", f"{part['parquet']} is missing"
    if part.get("bytes") is not None and stat.st_size != part["bytes"]:
        return "damaged", f"{part['parquet']} has {stat.st_size} bytes, {part['bytes']} were written"
    stamp = [stat.st_size, stat.st_mtime_ns]
    if trusted is not None and trusted.get(part["parquet"]) == stamp:
        pass  # hashed intact by an earlier check and not written since
    elif checksums and part.get("sha256"):
        if lake.file_sha256(lake_dir / part["parquet"]) != part["sha256"]:
            return "damaged", f"{part['parquet']} does not match the checksum recorded when it was written"
    elif checksums:
        try:
            pl.read_parquet_schema(lake_dir / part["parquet"])
        except Exception as exc:  # noqa: BLE001 — polars raises several kinds for a torn file
            return "damaged", f"{part['parquet']} cannot be read ({type(exc).__name__})"
    if intact is not None and checksums and part.get("sha256"):
        intact[part["parquet"]] = stamp
    return None


def verify_lake(settings: Settings, *, checksums: bool = True,
                trusted: dict[str, list[int]] | None = None) -> VerifyReport:
    """Check the lake against its manifest; change nothing. trusted (lake path → [size, mtime_ns] of parts an
    earlier check hashed intact, see verified_parts) skips the checksum of parts unchanged since."""
    report = VerifyReport()
    lake_dir = settings.lake_dir
    try:
        rows = lake.read_manifest(lake_dir, shared=True)
    except lake.ManifestDamaged as exc:
        report.manifest_ok = False
        missing = not (lake_dir / lake.MANIFEST_NAME).exists()
        report.issues.append(LakeIssue("manifest_missing" if missing else "manifest_unreadable",
                                       lake.MANIFEST_NAME, str(exc)))
        return report
    if not (lake_dir / lake.MANIFEST_NAME).exists():
        originals = lake.archived_originals(settings.archive_dir)
        if originals:  # no index and no data, but accepted files exist: the lake was lost, not never made
            report.manifest_ok = False
            report.issues.append(LakeIssue(
                "lake_lost", "", f"{lake_dir} holds no manifest and no data, but {settings.archive_dir} holds "
                f"{len(originals)} accepted originals: the lake was lost. Nothing was changed. Run `warehouse verify "
                "--repair` to load them again from the archive."))
            return report
    for row in rows:
        if row.get("status", "live") != "live":
            continue
        report.versions_checked += 1
        for part in row["parts"]:
            if not part.get("live"):
                continue
            report.parts_checked += 1
            problem = _part_problem(lake_dir, part, checksums, trusted, report.intact_parts)
            if problem:
                report.issues.append(LakeIssue(problem[0], part["parquet"], problem[1], row["file_name"], row["sha256"]))
            elif not part.get("sha256"):
                report.issues.append(LakeIssue("unrecorded_checksum", part["parquet"],
                                               "written before checksums were recorded", row["file_name"], row["sha256"]))
    known = lake.known_parquet_files(rows)
    for relative in lake.lake_parquet_names(lake_dir):
        if relative not in known:
            report.issues.append(LakeIssue("orphan", relative, "not listed in the manifest (left by an interrupted load?)"))
    return report


def _restore_sources(settings: Settings, row: dict[str, Any]) -> list[Path]:
    """Where the original of a file version can still be read: its archived copy, then its landing file."""
    candidates = []
    if row.get("archive"):
        candidates.append(settings.archive_dir / row["archive"])
    archived = settings.archive_dir / row["sha256"][:2] / row["sha256"]
    if archived.is_dir():
        candidates.extend(sorted(archived.iterdir()))
    landing = settings.landing_dir / row["kind"]
    if landing.is_dir():  # the department's copy, if it is still in this home's landing folder
        candidates.extend(sorted(landing.rglob(row["file_name"])))
    return [path for path in dict.fromkeys(candidates) if path.is_file() and lake.file_sha256(path) == row["sha256"]]


def _restore(settings: Settings, row: dict[str, Any], today: date) -> str | None:
    """Re-ingest a version's live parts from its original; returns None on success, else why not."""
    from ingest import KINDS
    from ingest.common.findings import Rejected
    from ingest.common.pipeline import Context, now_utc, stage_file

    sources = _restore_sources(settings, row)
    if not sources:
        return "its original is neither in archive/ nor in landing/"
    source = sources[0]
    staging = settings.build_dir / "restore_staging" / row["sha256"][:16]
    shutil.rmtree(staging, ignore_errors=True)
    try:
        ctx = Context(path=source, sha256=row["sha256"], kind=row["kind"], today=today, loaded_at=now_utc(),
                      salt=_salt(settings), settings=settings)
        try:
            staged = stage_file(KINDS[row["kind"]], ctx, staging)
        except Rejected as exc:
            return f"reading its original again was refused: {exc.message}"
        live = {part["fiscal_month"]: part for part in row["parts"] if part.get("live")}
        if staged.table not in row["tables"] or not set(live) <= set(staged.parts):
            return "its original no longer gives the same months"
        scans = staged.scans()
        for month, part in live.items():
            final = settings.lake_dir / part["parquet"]
            final.parent.mkdir(parents=True, exist_ok=True)
            temp = final.with_name(final.name + ".restore-tmp")
            frame = scans[month].collect()
            # keep the original lineage (loaded_at) so the restored part equals what was lost
            original_loaded_at = row.get("loaded_at")
            if original_loaded_at is not None and "loaded_at" in frame.columns:
                frame = frame.with_columns(pl.lit(original_loaded_at).cast(frame.schema["loaded_at"]).alias("loaded_at"))
            frame.write_parquet(temp)
            durable.replace(temp, final)
            part["sha256"], part["bytes"] = lake.file_sha256(final), final.stat().st_size
        return None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _salt(settings: Settings) -> bytes:
    from ingest import _salt as ingest_salt

    return ingest_salt(settings)


def set_aside(settings: Settings, rows: list[dict[str, Any]], sha256: str, *, reason: str, run_id: str,
              rule: str = "", by: str = "warehouse", status: str = "set_aside", rows_hint: str = "") -> dict[str, Any]:
    """Take one file version out of the lake (its parts move to lake/_set_aside/); the caller writes the manifest."""
    row = next(r for r in rows if r["sha256"] == sha256)
    lake.move_parts(settings.lake_dir, row, live=False)
    row["status"] = status
    row["status_note"] = {"reason": reason, "rule": rule, "by": by, "run_id": run_id, "rows": rows_hint,
                          "at": _now()}
    return row


def _now() -> str:
    from ingest.common.pipeline import now_utc

    return now_utc().isoformat(timespec="seconds")


def rebuild_manifest(settings: Settings) -> tuple[list[dict[str, Any]], list[str]]:
    """A manifest from the Parquet files themselves, starting from the manifest's base and the change files that
    read, else from the kept previous copy when it reads."""
    from ingest import CONTRACTS

    lake_dir = settings.lake_dir
    notes: list[str] = []
    base: list[dict[str, Any]] = []
    previous = lake_dir / lake.PREVIOUS_MANIFEST_NAME
    current, why_not = (lake.read_manifest_as_far_as_it_reads(lake_dir) if (lake_dir / lake.MANIFEST_NAME).exists()
                        else ([], ""))
    if current:  # the base reads, a change file after it does not
        base = current
        notes.append(f"started from the manifest as far as it reads ({len(base)} file versions; {why_not})")
    elif previous.exists():
        try:
            base = lake.read_manifest_file(previous)
            notes.append(f"started from the kept previous manifest ({len(base)} file versions)")
        except Exception:  # noqa: BLE001 — an unreadable previous copy is simply not used
            notes.append("the kept previous manifest is unreadable too; rebuilt from the Parquet files alone")
    known = lake.known_parquet_files(base)
    by_sha = {row["sha256"]: row for row in base}
    adopted: dict[str, dict[str, Any]] = {}
    for path in lake.lake_parquet_files(lake_dir):
        relative = path.relative_to(lake_dir).as_posix()
        if relative in known:
            continue
        table, month = path.parts[-3], path.parts[-2].removeprefix("fiscal_month=")
        if table not in CONTRACTS:
            continue
        facts = (pl.scan_parquet(path, glob=False).select(pl.col("source_file_sha256").first(), pl.col("source_file_name").first(),
                                              pl.col("loaded_at").min(), pl.len().alias("rows")).collect().row(0))
        sha, name, loaded_at, count = facts
        contract = CONTRACTS[table]
        scope: list[str] | None = None
        if contract.replace_scope is not None:
            if contract.replace_scope:
                scope = sorted(pl.scan_parquet(path, glob=False).select(pl.concat_str(
                    [pl.col(c).cast(pl.String) for c in contract.replace_scope], separator="|").alias("s"))
                    .unique().collect()["s"].cast(pl.String).to_list())
            else:
                scope = [""]
        part = {"table": table, "fiscal_month": month, "rows": int(count), "parquet": relative, "scope": scope,
                "live": True, "sha256": lake.file_sha256(path), "bytes": path.stat().st_size}
        row = by_sha.get(sha) or adopted.get(sha)
        if row is None:
            archived = settings.archive_dir / sha[:2] / sha
            originals = sorted(p for p in archived.iterdir() if p.name != lake.ORIGIN_NAME) if archived.is_dir() else []
            row = adopted[sha] = {
                "sha256": sha, "kind": contract.kind, "path": "", "file_name": name, "size_bytes": -1, "mtime_ns": -1,
                "tables": [table], "fiscal_months": [], "rows_in": 0, "rows_out": 0, "loaded_at": loaded_at,
                "run_id": "manifest-rebuilt", "parts": [], "status": "live", "status_note": {},
                "archive": originals[0].relative_to(settings.archive_dir).as_posix() if originals else "",
            }
        row["parts"].append(part)
        row["fiscal_months"] = sorted({*row["fiscal_months"], month})
        row["rows_out"] = int(row.get("rows_out") or 0) + int(count)
    # A version found only on disk replaces what older versions loaded for the same month and scope,
    # exactly as its load did before the manifest was lost.
    rows = base + sorted(adopted.values(), key=lambda r: r["loaded_at"])
    for new in sorted(adopted.values(), key=lambda r: r["loaded_at"]):
        for old in rows:
            if old is new or old.get("status", "live") != "live" or old["loaded_at"] > new["loaded_at"]:
                continue
            for old_part in old["parts"]:
                for new_part in new["parts"]:
                    same = (old_part.get("live") and old_part["table"] == new_part["table"]
                            and old_part["fiscal_month"] == new_part["fiscal_month"])
                    if same and new_part["scope"] is not None and set(old_part.get("scope") or [""]) <= set(new_part["scope"]):
                        old_part["live"], old_part["replaced_by"] = False, new["sha256"]
    if adopted:
        notes.append(f"adopted {len(adopted)} file version(s) found only as Parquet files")
    return rows, notes


def repair_lake(settings: Settings, run_id: str, *, today: date, rebuild: bool, quick: bool = False) -> VerifyReport:
    """Verify, then repair what can be repaired: restore, set aside, move orphans; rebuild a lost manifest
    only when `rebuild` (the operator's `warehouse verify --repair`; a refresh stops instead).

    quick (the refresh) hashes only the parts written since the last check, unless that check's full hash is
    older than [refresh] full_verify_days; sizes, presence and orphans are always checked."""
    trusted = trusted_parts(settings, today) if quick else None
    report = verify_lake(settings, trusted=trusted)
    report.full = trusted is None
    lake_dir = settings.lake_dir
    if not report.manifest_ok and report.issues[0].problem == "lake_lost":
        if not rebuild:
            return report
        report.repaired.append(_reload_from_archive(settings, run_id, today))
        reloaded = verify_lake(settings, trusted=trusted)
        reloaded.repaired = report.repaired
        reloaded.full = trusted is None
        return reloaded
    if not report.manifest_ok:
        if not rebuild:
            return report
        rows, notes = rebuild_manifest(settings)
        lake.write_manifest(lake_dir, rows)
        report.repaired.append("manifest rebuilt from the Parquet files: " + "; ".join(notes))
        rebuilt = verify_lake(settings, trusted=trusted)
        rebuilt.repaired = report.repaired
        rebuilt.full = trusted is None
        report = rebuilt
    _remove_temp_files(settings, report)
    needs_rows = any(issue.problem in {"missing", "damaged", "unrecorded_checksum"} for issue in report.issues)
    rows = lake.read_manifest(lake_dir, shared=not needs_rows)  # a copy of its own only when a repair changes it
    changed = False
    by_version: dict[str, list[LakeIssue]] = {}
    for issue in report.issues:
        if issue.problem in {"missing", "damaged"} and issue.sha256:
            by_version.setdefault(issue.sha256, []).append(issue)
        elif issue.problem == "unrecorded_checksum":
            row = next(r for r in rows if r["sha256"] == issue.sha256)
            for part in row["parts"]:
                if part["parquet"] == issue.path:
                    path = lake_dir / part["parquet"]
                    part["sha256"], part["bytes"] = lake.file_sha256(path), path.stat().st_size
                    changed = True
        elif issue.problem == "orphan":
            target = lake_dir / ORPHANS_DIR / issue.path
            target.parent.mkdir(parents=True, exist_ok=True)
            durable.replace(lake_dir / issue.path, target)
            report.repaired.append(f"moved {issue.path} (not in the manifest) to lake/{ORPHANS_DIR}/")
    for sha, issues in by_version.items():
        row = next(r for r in rows if r["sha256"] == sha)
        why_not = _restore(settings, row, today)
        changed = True
        if why_not is None:
            report.repaired.append(f"{row['file_name']}: {len(issues)} lake file(s) restored from its original")
            continue
        damage = "; ".join(issue.detail for issue in issues)
        reason = (f"lake file damaged or missing ({damage}) and {why_not}. Its rows are not published. "
                  f"Send {row['file_name']} again (drop it into landing/{row['kind']}/).")
        set_aside(settings, rows, sha, reason=reason, rule="lake file intact", run_id=run_id)
        report.set_aside.append({"file_name": row["file_name"], "sha256": sha, "reason": reason})
    if changed:
        lake.write_manifest(lake_dir, rows)
    # Parts already replaced by a newer version but left on disk by an interrupted load: finish the load.
    live = lake.live_parquet_files(rows)
    for row in rows:
        for part in row["parts"]:
            if part.get("live") or not part.get("replaced_by") or part["parquet"] in live:
                continue
            path = lake_dir / part["parquet"]
            if path.exists():
                path.unlink()
                report.repaired.append(f"removed {part['parquet']} (replaced by a newer file, left by an interrupted load)")
    if report.issues or report.repaired or report.set_aside:
        report.remaining = verify_lake(settings, trusted=trusted).issues
    return report


def _reload_from_archive(settings: Settings, run_id: str, today: date) -> str:
    """Load every archived original again, in the order they were first loaded (so corrections replace what
    they replaced before). Each is read from a scratch copy: a refusal must never touch the archive."""
    from ingest import ingest_file

    loaded, refused = 0, []
    scratch = settings.build_dir / "restore_staging" / "archive"
    for original, origin in lake.archived_originals(settings.archive_dir):
        copy = scratch / original.parent.name / original.name
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(original, copy)
        outcome = ingest_file(settings, copy, str(origin.get("kind")), run_id, today=today)
        if outcome.status in {"loaded", "replaced", "unchanged"}:
            loaded += 1
        else:
            refused.append(f"{original.name} ({outcome.status}: {outcome.message})")
    shutil.rmtree(scratch, ignore_errors=True)
    note = f"the lost lake was loaded again from {loaded} archived original(s)"
    return note + (f"; refused now: {'; '.join(refused)}" if refused else "")


def _remove_temp_files(settings: Settings, report: VerifyReport) -> None:
    """Temp files of a write that never reached its rename (a kill): never data, safe to remove under the lock.

    The archive (one folder per original: 38,000 folders after ten years, seconds to walk) is swept by the full
    check only: nothing reads a temp file there, so a quick check leaves it for at most full_verify_days."""
    folders = (settings.lake_dir, settings.archive_dir, settings.quarantine_dir) if report.full else (
        settings.lake_dir, settings.quarantine_dir)
    for folder in folders:
        for directory, _, names in os.walk(folder):  # not Path.rglob: a 36,000-file archive takes it seconds
            for name in names:
                if ".tmp-" not in name and not name.endswith(".restore-tmp"):
                    continue
                path = Path(directory) / name
                if path.is_file():
                    path.unlink()
                    report.repaired.append(f"removed {path.relative_to(settings.home)} (a write interrupted before it "
                                           "finished)")


def record_result(settings: Settings, report: VerifyReport, today: date | None = None) -> None:
    """Keep the last verification's result for `warehouse status`, and (when the lake checked intact) the size
    and mtime of every live part as hashed intact, for the next quick check."""
    payload = {**report.to_dict(), "at": _now(), "summary": report.summary()}
    durable.write_text(settings.runs_dir / LAST_VERIFY, json.dumps(payload, ensure_ascii=False, indent=2))
    if report.ok and report.manifest_ok:
        _record_verified_parts(settings, report, today)


def _record_verified_parts(settings: Settings, report: VerifyReport, today: date | None) -> None:
    lake_dir = settings.lake_dir
    if not report.repaired and not report.set_aside and report.remaining is None:
        stamps = report.intact_parts  # the check's own stats: nothing changed the lake since
    else:
        stamps = _stat_live_parts(lake_dir)
    previous = _read_verified_parts(settings)
    full_on = (today or date.today()).isoformat() if report.full else (previous or {}).get("full_on")
    if full_on is None:
        return
    _write_verified_parts(settings, {"full_on": full_on, "parts": stamps})


def _stat_live_parts(lake_dir: Path) -> dict[str, list[int]]:
    stamps: dict[str, list[int]] = {}
    for row in lake.read_manifest(lake_dir, shared=True):
        if row.get("status", "live") != "live":
            continue
        for part in row["parts"]:
            if part.get("live") and part.get("sha256"):
                try:
                    stat = os.stat(f"{lake_dir}/{part['parquet']}")
                except FileNotFoundError:
                    continue
                stamps[part["parquet"]] = [stat.st_size, stat.st_mtime_ns]
    return stamps


def stamp_written_parts(settings: Settings, versions: set[str]) -> None:
    """Ingest hashed the parts of these file versions as it wrote them: stamp them as checked, so the next quick
    check does not hash them again (after a full rebuild, that would be the whole lake)."""
    document = _read_verified_parts(settings)
    if document is None or not versions:
        return
    lake_dir = settings.lake_dir
    for row in lake.read_manifest(lake_dir, shared=True):
        if row["sha256"] not in versions or row.get("status", "live") != "live":
            continue
        for part in row["parts"]:
            if part.get("live") and part.get("sha256"):
                try:
                    stat = (lake_dir / part["parquet"]).stat()
                except FileNotFoundError:
                    continue
                document["parts"][part["parquet"]] = [stat.st_size, stat.st_mtime_ns]
    _write_verified_parts(settings, document)


_VERIFIED_PARTS_READ = durable.FileMemo()


def _read_verified_parts(settings: Settings) -> dict[str, Any] | None:
    """The record of verified parts; the document this process last read or wrote while the file is unchanged
    (a refresh reads it three times, and 36,000 parts take ~0.1 s to parse). Callers that change it write it."""
    path = settings.runs_dir / VERIFIED_PARTS
    state, cached = _VERIFIED_PARTS_READ.get(path)
    if cached is not None:
        return cached
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if not (isinstance(document.get("parts"), dict) and isinstance(document.get("full_on"), str)):
            return None
    except (OSError, ValueError, AttributeError):
        return None
    _VERIFIED_PARTS_READ.put(path, state, document)
    return document


def _write_verified_parts(settings: Settings, document: dict[str, Any]) -> None:
    path = settings.runs_dir / VERIFIED_PARTS
    durable.write_text(path, json.dumps(document))
    _VERIFIED_PARTS_READ.put(path, durable.file_state(path), document)


def trusted_parts(settings: Settings, today: date) -> dict[str, list[int]] | None:
    """Parts hashed intact by an earlier check (lake path → [size, mtime_ns]), or None when the last full hash
    of the lake is older than [refresh] full_verify_days (or there is none): then every part is hashed."""
    document = _read_verified_parts(settings)
    if document is None:
        return None
    try:
        age = (today - date.fromisoformat(document["full_on"])).days
    except ValueError:
        return None
    if not 0 <= age < settings.refresh.full_verify_days:
        return None
    return document["parts"]


def last_result(settings: Settings) -> dict[str, Any] | None:
    path = settings.runs_dir / LAST_VERIFY
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
