"""The run ledger: one record per refresh (or rollback), kept in runs/ and copied into the published file."""
from __future__ import annotations

import json
import logging
import os
import secrets
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from warehouse.settings import Settings

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
    kind: str  # refresh | rollback | demo
    started_at: str
    as_of_date: str
    finished_at: str | None = None
    status: str = "running"  # success | no_op | failed | rolled_back
    failed_step: str | None = None
    message: str = ""
    step_seconds: dict[str, float] = field(default_factory=dict)
    sources: dict[str, dict[str, int]] = field(default_factory=dict)
    files: list[dict[str, object]] = field(default_factory=list)
    quality: dict[str, int] = field(default_factory=dict)
    lake: dict[str, object] = field(default_factory=dict)  # what `verify` found and repaired before the run
    warehouse_version: str | None = None
    fingerprint: str | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def append(settings: Settings, record: RunRecord) -> Path:
    """Write runs/<run_id>.json and append the record to runs/ledger.jsonl."""
    settings.runs_dir.mkdir(parents=True, exist_ok=True)
    path = settings.runs_dir / f"{record.run_id}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, path)
    with (settings.runs_dir / LEDGER_FILE).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record.to_dict(), ensure_ascii=False) + "\n")
    return path


def read_all(settings: Settings) -> list[dict[str, object]]:
    """Every recorded run, oldest first."""
    path = settings.runs_dir / LEDGER_FILE
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            records.append(json.loads(line))
    return records


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
