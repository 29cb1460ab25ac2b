"""`warehouse files`: what the lake and quarantine hold, file version by file version, and the two operator
actions on them — take a version out of the lake, or read a refused or set-aside file again."""
from __future__ import annotations

import getpass
import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest.common import lake
from warehouse.platform import durable, ledger
from warehouse.platform.settings import Settings


class FilesError(RuntimeError):
    """The operator's request cannot be carried out as asked; the message says what to do instead."""


@dataclass
class FileEntry:
    name: str
    kind: str
    status: str  # live | replaced | set_aside | removed | quarantined
    months: list[str]
    rows: int
    loaded_at: str | None
    run_id: str | None
    sha256: str
    note: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _row_status(row: dict[str, Any]) -> str:
    status = row.get("status", "live")
    if status == "live" and not any(part.get("live") for part in row["parts"]):
        return "replaced"
    return status


def _row_note(row: dict[str, Any]) -> str:
    note = row.get("status_note") or {}
    if row.get("status", "live") != "live":
        return f"{note.get('at', '')} by {note.get('by', '?')}: {note.get('reason', '')}".strip()
    replaced_by = {part.get("replaced_by") for part in row["parts"] if part.get("replaced_by")}
    return f"replaced by {', '.join(sorted(s[:12] for s in replaced_by if s))}" if replaced_by else ""


def _quarantined(settings: Settings) -> list[tuple[Path, dict[str, Any]]]:
    if not settings.quarantine_dir.exists():
        return []
    found = []
    for report in sorted(settings.quarantine_dir.glob("*.report.json")):
        try:
            payload = json.loads(report.read_text(encoding="utf-8"))
        except ValueError:
            payload = {}
        found.append((report, payload))
    return found


def list_files(settings: Settings) -> list[FileEntry]:
    """Every file version the lake knows (live, replaced, set aside, removed) and every quarantined file."""
    entries = [
        FileEntry(row["file_name"], row["kind"], _row_status(row), list(row["fiscal_months"]), int(row["rows_out"] or 0),
                  str(row["loaded_at"]) if row.get("loaded_at") else None, row.get("run_id"), row["sha256"], _row_note(row))
        for row in sorted(lake.read_manifest(settings.lake_dir), key=lambda r: str(r.get("loaded_at")))
    ]
    for report, payload in _quarantined(settings):
        stamp = datetime.fromtimestamp(report.stat().st_mtime, UTC).isoformat(timespec="seconds")
        entries.append(FileEntry(str(payload.get("file") or report.name.removesuffix(".report.json")),
                                 str(payload.get("kind") or "?"), "quarantined", [], 0, stamp, None,
                                 str(payload.get("sha256") or ""), str(payload.get("message_ja") or payload.get("message") or "")))
    return entries


def _match(rows: list[dict[str, Any]], name_or_sha: str, statuses: set[str]) -> dict[str, Any]:
    key = name_or_sha.strip()
    candidates = [row for row in rows if _row_status(row) in statuses
                  and (row["file_name"] == key or (len(key) >= 6 and row["sha256"].startswith(key.lower())))]
    if not candidates:
        raise FilesError(f"no {' or '.join(sorted(statuses))} file version is called {key!r}; "
                         "`warehouse files` lists names and SHA-256 prefixes")
    if len(candidates) > 1:
        listed = ", ".join(f"{row['sha256'][:12]} (loaded {row['loaded_at']})" for row in candidates)
        raise FilesError(f"{key!r} names {len(candidates)} file versions ({listed}); give the SHA-256 prefix instead")
    return candidates[0]


def _record(settings: Settings, message: str) -> None:
    now = ledger.utc_now()
    record = ledger.RunRecord(run_id=ledger.new_run_id(), kind="files", started_at=now,
                              as_of_date=datetime.now(UTC).date().isoformat(), finished_at=now,
                              status="success", message=message)
    ledger.append(settings, record)


def remove(settings: Settings, name_or_sha: str, reason: str) -> dict[str, Any]:
    """Take one live file version out of the lake (kept under lake/_set_aside/; the next refresh publishes
    without it). Recorded in the manifest and the ledger: who, when and why."""
    from warehouse.verify import set_aside

    rows = lake.read_manifest(settings.lake_dir)
    row = _match(rows, name_or_sha, {"live"})
    who = getpass.getuser()
    set_aside(settings, rows, row["sha256"], reason=reason or "removed by an operator", by=who,
              run_id="files-remove", status="removed")
    lake.write_manifest(settings.lake_dir, rows)
    _record(settings, f"{who} removed {row['file_name']} ({row['sha256'][:12]}) from the lake: {reason or 'no reason given'}")
    return row


def retry(settings: Settings, name_or_sha: str, run_id: str, today) -> dict[str, Any]:
    """Read a quarantined file again (after its mapping or a setting was fixed), or re-admit a set-aside or
    removed version (after the rule that failed it was fixed). Returns what happened, in words."""
    from ingest import ingest_file

    key = name_or_sha.strip()
    for report, payload in _quarantined(settings):
        copy = report.with_name(report.name.removesuffix(".report.json"))
        if key not in {payload.get("file"), copy.name} and not (len(key) >= 6 and str(payload.get("sha256", "")).startswith(key)):
            continue
        kind = str(payload.get("kind") or "")
        target = settings.landing_dir / kind / str(payload.get("file") or copy.name)
        if not kind or not copy.exists():
            raise FilesError(f"{report.name} does not say which kind of file it is, or its copy is missing; "
                             "drop the file into the right landing/<kind>/ folder yourself")
        if target.exists():
            raise FilesError(f"{target} already exists in landing; move it away first, or just run `warehouse refresh`")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(copy, target)
        durable.fsync_dir(target.parent)
        outcome = ingest_file(settings, target, kind, run_id, today=today)
        if outcome.status != "quarantined":
            copy.unlink(missing_ok=True)
            report.unlink(missing_ok=True)
        _record(settings, f"{getpass.getuser()} retried {target.name}: {outcome.status}")
        return {"file": target.name, "status": outcome.status, "message": outcome.message}
    rows = lake.read_manifest(settings.lake_dir)
    row = _match(rows, key, {"set_aside", "removed"})
    for other in rows:
        if other is row or _row_status(other) != "live":
            continue
        for part in other["parts"]:
            for mine in row["parts"]:
                if part.get("live") and mine.get("live") and (part["table"], part["fiscal_month"]) == (
                        mine["table"], mine["fiscal_month"]) and set(part.get("scope") or [""]) & set(mine.get("scope") or [""]):
                    raise FilesError(f"{other['file_name']} (loaded {other['loaded_at']}) now covers {mine['table']} "
                                     f"{mine['fiscal_month']}; remove it first if {row['file_name']} should count instead")
    lake.move_parts(settings.lake_dir, row, live=True)
    previous = row.get("status_note") or {}
    row["status"], row["status_note"] = "live", {"readmitted_at": ledger.utc_now(), "was": previous}
    lake.write_manifest(settings.lake_dir, rows)
    _record(settings, f"{getpass.getuser()} re-admitted {row['file_name']} ({row['sha256'][:12]})")
    return {"file": row["file_name"], "status": "readmitted",
            "message": f"{row['file_name']}: back in the lake; the next `warehouse refresh` publishes it "
                       "(and sets it aside again if the rule still fails)."}
