"""The scheduling files in deploy/ are valid: cron syntax and systemd units."""
from __future__ import annotations

import configparser
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO

DEPLOY = REPO / "deploy"
CRON_RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]


def _cron_field_ok(field: str, low: int, high: int) -> bool:
    for part in field.split(","):
        base, _, step = part.partition("/")
        if step and not step.isdigit():
            return False
        if base == "*":
            continue
        bounds = base.split("-")
        if not all(b.isdigit() and low <= int(b) <= high for b in bounds) or len(bounds) > 2:
            return False
    return True


def test_cron_line_is_valid_and_runs_the_refresh():
    lines = [l for l in (DEPLOY / "warehouse-refresh.cron").read_text().splitlines()
             if l.strip() and not l.startswith("#")]
    assert len(lines) == 1
    fields = lines[0].split(None, 5)
    for value, (low, high) in zip(fields[:5], CRON_RANGES):
        assert _cron_field_ok(value, low, high), value
    assert re.search(r"warehouse --quiet refresh", fields[5])


def test_cron_checker_rejects_bad_fields():
    assert not _cron_field_ok("61", 0, 59)
    assert not _cron_field_ok("1-2-3", 0, 59)
    assert _cron_field_ok("*/15", 0, 59)


def test_systemd_units_parse_and_reference_each_other():
    service = configparser.ConfigParser(strict=True, interpolation=None)
    service.optionxform = str
    service.read(DEPLOY / "warehouse-refresh.service")
    assert service["Service"]["Type"] == "oneshot"
    assert service["Service"]["ExecStart"].endswith("warehouse --quiet refresh")
    timer = configparser.ConfigParser(strict=True, interpolation=None)
    timer.optionxform = str
    timer.read(DEPLOY / "warehouse-refresh.timer")
    assert timer["Timer"]["OnCalendar"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed (.ci/run installs it)")
def test_systemd_analyze_verifies_units(tmp_path: Path):
    for name in ("warehouse-refresh.service", "warehouse-refresh.timer"):
        text = (DEPLOY / name).read_text()
        # verify checks that ExecStart exists: point it at a binary present on every machine
        text = re.sub(r"ExecStart=\S+", "ExecStart=/bin/true", text)
        (tmp_path / name).write_text(text)
    completed = subprocess.run(["systemd-analyze", "verify", str(tmp_path / "warehouse-refresh.timer"),
                                str(tmp_path / "warehouse-refresh.service")], check=False, capture_output=True,
                               text=True)
    assert completed.returncode == 0, completed.stderr
    calendar = subprocess.run(["systemd-analyze", "calendar", "*-*-05 06:30:00"], check=False, capture_output=True,
                              text=True)
    assert calendar.returncode == 0 and "Next elapse" in calendar.stdout
