"""和暦 (Japanese era) labels in Python: the one home for the app, the report, the demo generator and tests.

SQL has its own single home, macros/calendar.sql (wareki_fiscal_year_label, plan_fiscal_year_label); both
write 平成 up to 2019-04-30 and 令和 from 2019-05-01, so FY2019 is 令和元年度.
"""
from __future__ import annotations

import datetime as dt

REIWA_FIRST_DAY = dt.date(2019, 5, 1)


def era_year(day: dt.date) -> tuple[str, str, int]:
    """(long era, short era, year in era) of a date: ('令和', 'R', 2) for 2020-04-01."""
    if day >= REIWA_FIRST_DAY:
        return "令和", "R", day.year - 2018
    return "平成", "H", day.year - 1988


def date_long(day: dt.date) -> str:
    """e.g. 令和2年4月1日 (元年 for the first year, as printed on forms)."""
    era, _, year = era_year(day)
    return f"{era}{'元' if year == 1 else year}年{day.month}月{day.day}日"


def date_short(day: dt.date) -> str:
    """e.g. R2.4.1 / H30.4.1."""
    _, era, year = era_year(day)
    return f"{era}{year}.{day.month}.{day.day}"


def fiscal_year_label(fiscal_year: int, short: bool = False) -> str:
    """和暦 label of a fiscal year as the ward writes it today: 平成30年度, 令和元年度 (FY2019), 令和2年度;
    short: H30年度, R1年度, R2年度."""
    if fiscal_year >= 2019:
        era, letter, year = "令和", "R", fiscal_year - 2018
    else:
        era, letter, year = "平成", "H", fiscal_year - 1988
    if short:
        return f"{letter}{year}年度"
    return f"{era}{'元' if year == 1 else year}年度"
