"""seeds/calendar_dates.csv is exactly what seeds/scripts/write_calendar_dates.py writes (jpholiday's holidays)."""
from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "seeds" / "scripts" / "write_calendar_dates.py"


def _script():
    spec = importlib.util.spec_from_file_location("write_calendar_dates", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_seed_equals_the_scripts_output() -> None:
    module = _script()
    assert module.SEED_PATH.read_text(encoding="utf-8") == module.render(), (
        "seeds/calendar_dates.csv is out of date: run .venv/bin/python seeds/scripts/write_calendar_dates.py")


def test_business_day_rule_on_known_days() -> None:
    rows = {row[0]: row for row in _script().calendar_rows(2019, 2020)}
    business = {day: row[-1] == "true" for day, row in rows.items()}
    assert business["2020-04-01"] is True  # Wednesday
    assert business["2020-04-04"] is False  # Saturday
    assert business["2020-07-24"] is False  # スポーツの日 moved for the Olympics (2020 special)
    assert business["2019-12-27"] is True and business["2019-12-30"] is False  # 年末年始 from 12/29
    assert business["2020-01-03"] is False and business["2020-01-06"] is True
    assert business["2019-05-01"] is False  # 天皇の即位の日
    assert rows["2020-05-06"][5] == "憲法記念日 振替休日"  # 憲法記念日 fell on a Sunday
    first, last = min(rows), max(rows)
    assert (first, last) == ("2019-04-01", "2021-03-31")
    assert len(rows) == (dt.date(2021, 3, 31) - dt.date(2019, 4, 1)).days + 1
