"""The run ledger: one record per refresh (or rollback, or repair), kept in runs/ and copied into the published file.

Lines are appended whole and fsynced (warehouse.platform.durable.append_line); a torn last line (a kill or a full disk
mid-append) is skipped with a warning when reading, never a crash.
"""
from __future__ import annotations

import json
import logging
import os
import secrets
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from warehouse.platform import durable
from warehouse.platform.faults import kill_point
from warehouse.platform.settings import Settings

LEDGER_FILE = "ledger.jsonl"


def new_run_id(now: datetime | None = None) -> str:
    """Sortable by time, unique enough for two runs in the same second."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class RunRecord:
    run_id: str
    kind: str  # refresh | rollback | demo | repair
    started_at: str
    as_of_date: str
    finished_at: str | None = None
    status: str = "running"  # running | success | no_op | failed | rolled_back | killed | repaired
    failed_step: str | None = None
    message: str = ""
    step_seconds: dict[str, float] = field(default_factory=dict)
    sources: dict[str, dict[str, int]] = field(default_factory=dict)
    files: list[dict[str, object]] = field(default_factory=list)
    quality: dict[str, int] = field(default_factory=dict)
    lake: dict[str, object] = field(default_factory=dict)  # what `verify` found and repaired before the run
    closed_years: dict[str, object] = field(default_factory=dict)  # closed years' snapshots restored or set aside
    warehouse_version: str | None = None
    fingerprint: str | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _append_line(path: Path, payload: dict[str, object]) -> None:
    """One JSON line in one write (durable.append_line); after a torn last line, start on a new line."""
    line = json.dumps(payload, ensure_ascii=False, default=str)
    try:
        with path.open("rb") as handle:
            handle.seek(-1, os.SEEK_END)
            torn = handle.read(1) != b"\n"
    except (FileNotFoundError, OSError):
        torn = False  # missing or empty
    durable.append_line(path, ("\n" if torn else "") + line)


def append_raw(settings: Settings, payload: dict[str, object]) -> Path:
    """Write runs/<run_id>.json and append the record to runs/ledger.jsonl (both durable). The ledger line
    leaves out the run's list of files (its sources still count them): every command reads the whole ledger, and a
    full rebuild lists every file of the history; runs/<run_id>.json keeps the list."""
    settings.runs_dir.mkdir(parents=True, exist_ok=True)
    path = settings.runs_dir / f"{payload['run_id']}.json"
    durable.write_text(path, json.dumps(payload, ensure_ascii=False, indent=2, default=str))
    kill_point("ledger.after_run_file")
    _append_line(settings.runs_dir / LEDGER_FILE, {key: value for key, value in payload.items() if key != "files"})
    kill_point("ledger.after_append")
    return path


def append(settings: Settings, record: RunRecord) -> Path:
    """Write runs/<run_id>.json and append the record to runs/ledger.jsonl.

    A run is appended twice: "running" when it starts (so a killed run leaves a trace) and when it ends;
    read_all() keeps the last record of each run.
    """
    return append_raw(settings, record.to_dict())


def record_repair(settings: Settings, repairs: list[str], problems: list[str]) -> None:
    """One ledger record of kind "repair" for what check_home repaired (and could not)."""
    now = utc_now()
    record = RunRecord(run_id=new_run_id(), kind="repair", started_at=now, finished_at=now,
                       as_of_date=getattr(settings, "as_of_date", datetime.now(UTC).date()).isoformat(),
                       status="repaired" if not problems else "failed",
                       message="; ".join([*repairs, *(f"not repaired: {p}" for p in problems)]))
    if problems:
        record.failed_step = "check_home"
        if not repairs:  # the same unrepairable problem seen by every command: record it once
            last = read_all(settings)[-1:]
            if last and last[0].get("kind") == "repair" and last[0].get("message") == record.message:
                return
    try:
        append(settings, record)
    except OSError:  # a full disk must not turn a repair into a crash; the repair itself is done
        logging.getLogger("warehouse.platform.ledger").warning("could not record the repair in the ledger")


def read_all(settings: Settings, warnings: list[str] | None = None) -> list[dict[str, object]]:
    """Every recorded run, oldest first, one record per run (its last line: a finished run replaces its
    "running" line). A torn or unparsable line is skipped with a warning (in `warnings` and the log)."""
    path = settings.runs_dir / LEDGER_FILE
    if not path.exists():
        return []
    runs: dict[str, dict[str, object]] = {}
    raw = path.read_bytes().decode("utf-8", errors="replace")
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict) or not record.get("run_id"):
                raise ValueError("not a run record")
        except ValueError:
            message = (f"{path}: line {number} is not a complete run record (torn by a kill or a full disk?); "
                       "skipped")
            logging.getLogger("warehouse.platform.ledger").warning(message)
            if warnings is not None:
                warnings.append(message)
            continue
        record.setdefault("kind", "refresh")
        record.setdefault("status", "unknown")
        record.setdefault("started_at", None)
        runs[str(record["run_id"])] = record
    return list(runs.values())


def run_logger(settings: Settings, run_id: str) -> logging.Logger:
    """A logger writing runs/<run_id>.log."""
    settings.runs_dir.mkdir(parents=True, exist_ok=True)
    logger = logging.getLogger(f"warehouse.run.{run_id}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    handler = logging.FileHandler(settings.runs_dir / f"{run_id}.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    return logger


def close_logger(logger: logging.Logger) -> None:
    for handler in list(logger.handlers):
        handler.close()
        logger.removeHandler(handler)
