"""Normalisation of Japanese office text: NFKC, numbers with separators, 和暦 dates, months, fiscal years."""
from __future__ import annotations

import functools
import re
import unicodedata
from datetime import date, datetime, timedelta

# (kanji, letter, first day): the day each era began; an era ends the day before the next begins.
ERAS: tuple[tuple[str, str, date], ...] = (
    ("明治", "M", date(1868, 1, 25)),
    ("大正", "T", date(1912, 7, 30)),
    ("昭和", "S", date(1926, 12, 25)),
    ("平成", "H", date(1989, 1, 8)),
    ("令和", "R", date(2019, 5, 1)),
)
_ERA_BY_NAME = {name: (i, start) for i, (kanji, letter, start) in enumerate(ERAS) for name in (kanji, letter)}
_ERA_ALT = "明治|大正|昭和|平成|令和|M|T|S|H|R"
_YEAR = r"(?P<year>元|\d{1,2})"
_SEP = r"\s*(?:[./\-]|年)\s*"

_WAREKI_DATE = re.compile(
    rf"^(?P<era>{_ERA_ALT})\s*{_YEAR}{_SEP}(?P<month>\d{{1,2}}){_SEP.replace('年', '月')}(?P<day>\d{{1,2}})\s*日?$",
    re.IGNORECASE,
)
_WAREKI_MONTH = re.compile(rf"(?P<era>{_ERA_ALT})\s*{_YEAR}\s*(?:[./\-]|年)\s*(?P<month>\d{{1,2}})\s*月?", re.IGNORECASE)
_WAREKI_FY = re.compile(rf"^(?P<era>{_ERA_ALT})\s*{_YEAR}\s*(?:年度|年)?$", re.IGNORECASE)
_ISO_DATE = re.compile(r"^(?P<year>\d{4})\s*(?:[./\-]|年)\s*(?P<month>\d{1,2})\s*(?:[./\-]|月)\s*(?P<day>\d{1,2})\s*日?$")
_COMPACT_DATE = re.compile(r"^(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})$")
_ISO_MONTH = re.compile(r"(?<!\d)(?P<year>(?:19|20)\d{2})\s*(?:[./\-_]|年)?\s*(?P<month>0[1-9]|1[0-2]|[1-9](?!\d))\s*月?(?!\d)")
_TIME = re.compile(r"^(?P<h>\d{1,2})\s*[:時]\s*(?P<m>\d{1,2})\s*(?:分)?\s*(?:[:]?\s*(?P<s>\d{1,2}(?:\.\d+)?)\s*秒?)?$")
_NUMBER = re.compile(r"^(?P<sign>[-−△▲]?)\s*(?P<digits>\d+(?:,\d{3})*(?:\.\d+)?|\.\d+)$")
_LEADING_NUMBER = re.compile(r"^\s*(?P<sign>[-−△▲]?)\s*(?P<digits>\d+(?:,\d{3})*(?:\.\d+)?)")


def nfkc(value: str | None) -> str | None:
    """NFKC-fold full-width digits/letters and trim; empty cells become None so 'missing' has one form."""
    if value is None:
        return None
    folded = unicodedata.normalize("NFKC", value).replace("\u3000", " ").strip()
    return folded or None


def _era_year(era: str, year: str) -> tuple[int, date]:
    """Gregorian year of an era year, and the era's first day."""
    _, start = _ERA_BY_NAME[era.upper() if len(era) == 1 else era]
    number = 1 if year == "元" else int(year)
    if number < 1:
        raise ValueError("era year 0 does not exist")
    return start.year + number - 1, start


def _check_in_era(era: str, value: date) -> date:
    """Refuse era dates outside their era (平成31年5月1日 does not exist: it is 令和元年5月1日)."""
    index, start = _ERA_BY_NAME[era.upper() if len(era) == 1 else era]
    end = ERAS[index + 1][2] - timedelta(days=1) if index + 1 < len(ERAS) else date.max
    if not start <= value <= end:
        raise ValueError(f"date outside the era {ERAS[index][0]} ({start} to {end})")
    return value


def parse_date(text: str | None) -> date | None:
    """Parse a date in any common Japanese office form (和暦 or Gregorian) to a date; ValueError if malformed."""
    value = nfkc(text)
    if value is None:
        return None
    value = re.sub(r"\s+0{1,2}:00(?::00(?:\.0+)?)?$", "", value)  # Excel dates arrive as 'YYYY-MM-DD 00:00:00'
    match = _WAREKI_DATE.match(value)
    if match:
        year, _ = _era_year(match["era"], match["year"])
        return _check_in_era(match["era"], date(year, int(match["month"]), int(match["day"])))
    match = _ISO_DATE.match(value) or _COMPACT_DATE.match(value)
    if match:
        return date(int(match["year"]), int(match["month"]), int(match["day"]))
    raise ValueError("not a date: expected e.g. 令和2年4月1日, R2.4.1 or 2020-04-01")


def parse_time(text: str) -> tuple[int, int, float]:
    """Parse 'H:MM[:SS]' or 'H時M分' to (hours, minutes, seconds); 24:00 is allowed as end of day."""
    match = _TIME.match(text)
    if not match:
        raise ValueError("not a time: expected e.g. 09:30 or 9時30分")
    hours, minutes, seconds = int(match["h"]), int(match["m"]), float(match["s"] or 0)
    if hours > 24 or minutes > 59 or seconds >= 60 or (hours == 24 and (minutes or seconds)):
        raise ValueError("time out of range")
    return hours, minutes, seconds


def parse_datetime(text: str | None) -> datetime | None:
    """Parse a date (any form parse_date accepts) followed by a time; a lone date means midnight."""
    value = nfkc(text)
    if value is None:
        return None
    value = value.replace("T", " ")
    match = re.match(r"^(?P<date>.*?日|\S+)\s*(?P<time>\d{1,2}\s*[:時].*)?$", value)
    if not match:
        raise ValueError("not a date-time: expected e.g. 2020-04-01 09:30")
    day = parse_date(match["date"])
    assert day is not None
    if not match["time"]:
        return datetime(day.year, day.month, day.day)
    hours, minutes, seconds = parse_time(match["time"].strip())
    whole = int(seconds)
    return datetime(day.year, day.month, day.day) + timedelta(
        hours=hours, minutes=minutes, seconds=whole, microseconds=round((seconds - whole) * 1e6)
    )


def parse_month(text: str | None) -> date | None:
    """Parse a year-month (令和2年4月, R2.4, 2020-04, 202004, or a full date) to the month's first day."""
    value = nfkc(text)
    if value is None:
        return None
    try:
        day = parse_date(value)
        assert day is not None
        return day.replace(day=1)
    except ValueError:
        pass
    found = find_month(value, whole=True)
    if found is None:
        raise ValueError("not a month: expected e.g. 令和2年4月 or 2020-04")
    return found


def find_month(text: str, whole: bool = False) -> date | None:
    """Find a year-month declared in free text (a file name or a title row such as '令和2年4月分')."""
    value = nfkc(text) or ""
    match = _WAREKI_MONTH.search(value)
    if match and (not whole or match.group(0).strip() == value):
        year, start = _era_year(match["era"], match["year"])
        month = int(match["month"])
        if 1 <= month <= 12:
            first = date(year, month, 1)
            last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
            index, start = _ERA_BY_NAME[match["era"].upper() if len(match["era"]) == 1 else match["era"]]
            end = ERAS[index + 1][2] - timedelta(days=1) if index + 1 < len(ERAS) else date.max
            if last < start or first > end:
                raise ValueError(f"month outside the era {ERAS[index][0]}")
            return first
    match = _ISO_MONTH.search(value)
    if match and (not whole or match.group(0).strip() == value):
        return date(int(match["year"]), int(match["month"]), 1)
    return None


def parse_fiscal_year(text: str | None) -> int | None:
    """Parse a fiscal year (H28年度, 令和2年度, R2, 2020年度, 2020) to its Gregorian starting year."""
    value = nfkc(text)
    if value is None:
        return None
    value = re.sub(r"\.0+$", "", value)
    match = _WAREKI_FY.match(value)
    if match:
        return _era_year(match["era"], match["year"])[0]
    match = re.match(r"^(\d{4})\s*(?:年度|年)?$", value)
    if match:
        return int(match[1])
    raise ValueError("not a fiscal year: expected e.g. 令和2年度, H28年度 or 2020")


def parse_number(text: str | None) -> float | None:
    """Parse a number with thousands separators, full-width digits or △ for minus; ValueError if not a number."""
    value = nfkc(text)
    if value is None:
        return None
    value = re.sub(r"\s*(件|回|人|枚|kwh|m3|m³|%)$", "", value, flags=re.IGNORECASE)
    match = _NUMBER.match(value)
    if not match:
        raise ValueError("not a number")
    number = float(match["digits"].replace(",", ""))
    return -number if match["sign"] else number


def parse_integer(text: str | None) -> int | None:
    """Parse a whole number (counts); a fractional value is an error, not silently rounded."""
    number = parse_number(text)
    if number is None:
        return None
    if number != int(number):
        raise ValueError("not a whole number")
    return int(number)


def leading_number(text: str | None) -> float | None:
    """The number a free-text figure starts with ('97%' → 97, '1,457件' → 1457), or None."""
    value = nfkc(text)
    if value is None:
        return None
    match = _LEADING_NUMBER.match(value)
    if not match:
        return None
    number = float(match["digits"].replace(",", ""))
    return -number if match["sign"] else number


@functools.lru_cache(maxsize=4096)  # headers and aliases repeat in every file of a kind
def header_key(text: str | None) -> str:
    """Comparable form of a column header: NFKC, lower case, no spaces or brackets' inner spacing."""
    value = nfkc(text) or ""
    return re.sub(r"\s+", "", value).lower()
