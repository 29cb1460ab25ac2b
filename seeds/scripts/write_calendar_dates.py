"""Write seeds/calendar_dates.csv: one row per day FY2009-FY2040 with the ward's 開庁日 rule.

A business day (開庁日) is a weekday that is not a national holiday (jpholiday, the maintained library of
祝日法 holidays incl. substitute days and the 2019-2021 specials) and not in the 年末年始 closure (12/29-1/3).
dbt cannot import Python at build time, so the rule is computed here once and committed as a seed;
tests/seeds/test_calendar_dates.py proves the committed file equals this script's output.
Run: .venv/bin/python seeds/scripts/write_calendar_dates.py
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import jpholiday

FIRST_FISCAL_YEAR = 2009
LAST_FISCAL_YEAR = 2040
SEED_PATH = Path(__file__).resolve().parent.parent / "calendar_dates.csv"
HEADER = ["calendar_date", "fiscal_year", "day_of_week", "is_weekend", "is_national_holiday", "holiday_name_ja",
          "is_new_year_closure", "is_business_day"]


def is_new_year_closure(day: dt.date) -> bool:
    """年末年始: ward offices are closed 12/29 to 1/3."""
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def calendar_rows(first_fiscal_year: int = FIRST_FISCAL_YEAR,
                  last_fiscal_year: int = LAST_FISCAL_YEAR) -> list[list[str]]:
    """One row per day from April 1 of the first fiscal year to March 31 after the last one."""
    rows = []
    day, end = dt.date(first_fiscal_year, 4, 1), dt.date(last_fiscal_year + 1, 3, 31)
    while day <= end:
        holiday = jpholiday.is_holiday_name(day) or ""
        weekend, closure = day.weekday() >= 5, is_new_year_closure(day)
        fiscal_year = day.year if day.month >= 4 else day.year - 1
        rows.append([day.isoformat(), str(fiscal_year), str(day.isoweekday()), _flag(weekend), _flag(bool(holiday)),
                     holiday, _flag(closure), _flag(not (weekend or holiday or closure))])
        day += dt.timedelta(days=1)
    return rows


def _flag(value: bool) -> str:
    return "true" if value else "false"


def render() -> str:
    """The seed file's text (LF line ends, UTF-8)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(calendar_rows())
    return buffer.getvalue()


def main() -> None:
    SEED_PATH.write_text(render(), encoding="utf-8")


if __name__ == "__main__":
    main()
