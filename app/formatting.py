"""Japanese-style number, date and fiscal-year formatting, and the status vocabulary shared by all pages."""
from __future__ import annotations

import datetime as dt
import math
from typing import Any

from warehouse.platform import wareki
from warehouse.platform.progress_status import STATUS_LABELS

JST = dt.timezone(dt.timedelta(hours=9), "JST")  # Japan has no daylight saving time
# One colour per status everywhere (charts, badges, report): achieved green, on track blue, at risk amber,
# off track red, no data grey.
STATUS_ORDER: tuple[str, ...] = ("achieved", "on_track", "at_risk", "off_track", "not_evaluable", "no_data")
STATUS_COLORS: dict[str, str] = {
    "achieved": "#2e7d32",
    "on_track": "#1565c0",
    "at_risk": "#f9a825",
    "off_track": "#c62828",
    "not_evaluable": "#bdbdbd",
    "no_data": "#9e9e9e",
}
# ◎○△× as Japanese reports write them (and drawable with the CJK fonts alone: no emoji font is needed).
STATUS_ICONS: dict[str, str] = {
    "achieved": "◎", "on_track": "○", "at_risk": "△", "off_track": "×", "not_evaluable": "－", "no_data": "・",
}
_STATUS_ALIASES: dict[str, str] = {
    "ontrack": "on_track", "on track": "on_track", "atrisk": "at_risk", "at risk": "at_risk",
    "offtrack": "off_track", "off track": "off_track", "behind": "off_track", "nodata": "no_data",
    "no data": "no_data", "unknown": "no_data", "": "no_data",
}


def normalize_status(value: Any) -> str:
    """Map whatever the mart wrote (None, 'On track', 'on_track') onto one of STATUS_ORDER."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "no_data"
    text = str(value).strip().lower()
    text = _STATUS_ALIASES.get(text, text)
    return text if text in STATUS_COLORS else "no_data"


def status_label(value: Any, lang: str = "ja", with_icon: bool = False) -> str:
    """Human label of a status in the chosen language (icon first so colour survives in plain tables)."""
    key = normalize_status(value)
    label = STATUS_LABELS[key].get(lang, STATUS_LABELS[key]["ja"])
    return f"{STATUS_ICONS[key]} {label}" if with_icon else label


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value)))


def format_number(value: Any, decimals: int = 0, missing: str = "—") -> str:
    """Thousands separators the Japanese way (1,234,567); trailing zeros of decimals dropped."""
    if _is_missing(value):
        return missing
    number = float(value)
    text = f"{number:,.{decimals}f}"
    if decimals and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_man(value: Any, lang: str = "ja", missing: str = "—") -> str:
    """Large counts in 万/億 (ja) or K/M (en) so 2,578,895 reads as 257.9万; small numbers stay exact."""
    if _is_missing(value):
        return missing
    number = float(value)
    magnitude = abs(number)
    if lang == "en":
        if magnitude >= 1_000_000:
            return f"{number / 1_000_000:,.2f}".rstrip("0").rstrip(".") + "M"
        if magnitude >= 10_000:
            return f"{number / 1_000:,.1f}".rstrip("0").rstrip(".") + "K"
        return format_number(number, 1 if magnitude % 1 else 0)
    if magnitude >= 100_000_000:
        return f"{number / 100_000_000:,.2f}".rstrip("0").rstrip(".") + "億"
    if magnitude >= 10_000:
        return f"{number / 10_000:,.1f}".rstrip("0").rstrip(".") + "万"
    return format_number(number, 1 if magnitude % 1 else 0)


def format_percent(value: Any, decimals: int = 1, missing: str = "—", ratio: bool = False) -> str:
    """Percent with one decimal; ratio=True when the value is 0-1 rather than 0-100."""
    if _is_missing(value):
        return missing
    number = float(value) * (100 if ratio else 1)
    return f"{format_number(number, decimals)}%"


UNIT_LABELS: dict[str, dict[str, str]] = {
    "items": {"ja": "項目", "en": "items"},
    "percent": {"ja": "%", "en": "%"},
    "logins_per_day": {"ja": "件/日", "en": "logins/day"},
    "maps_per_month": {"ja": "件/月", "en": "maps/month"},
    "date": {"ja": "時期", "en": "date"},
    "media_types": {"ja": "種類", "en": "types"},
    "count": {"ja": "件", "en": "count"},
    "facilities": {"ja": "施設", "en": "facilities"},
    "accesses": {"ja": "件", "en": "accesses"},
    "posts": {"ja": "件", "en": "posts"},
    "score": {"ja": "点", "en": "points"},
}


def unit_label(unit: Any, lang: str = "ja") -> str:
    """Display label of an indicator unit code from seeds.plan_indicators."""
    if _is_missing(unit) or unit == "":
        return ""
    return UNIT_LABELS.get(str(unit), {}).get(lang, str(unit))


def format_value(value: Any, unit: Any = None, lang: str = "ja", exact: bool = False) -> str:
    """An indicator value with its unit: percent with %, big counts in 万 (or exact with separators)."""
    if _is_missing(value):
        return "—"
    if unit == "percent":
        return format_percent(value)
    number = float(value)
    if abs(number) >= 100_000 and not exact:
        text = format_man(number, lang)
    else:
        text = format_number(number, 0 if number.is_integer() else 1)
    label = unit_label(unit, lang)
    if not label or label == "%":
        return text
    return f"{text}{label}" if lang == "ja" else f"{text} {label}"


def wareki_fiscal_year(fiscal_year: int) -> str:
    """和暦 label of a fiscal year as the ward writes it today (令和元年度 = FY2019): warehouse.platform.wareki."""
    return wareki.fiscal_year_label(int(fiscal_year))


def fiscal_year_label(fiscal_year: Any, era: str = "wareki", lang: str = "ja") -> str:
    """Fiscal year in 和暦 or 西暦 (ja) or 'FY2020' (en); era='both' gives 令和2年度（2020年度）."""
    if _is_missing(fiscal_year):
        return "—"
    year = int(fiscal_year)
    if lang == "en":
        return f"FY{year}" if era != "wareki" else f"FY{year} ({wareki_fiscal_year(year)})"
    if era == "seireki":
        return f"{year}年度"
    if era == "both":
        return f"{wareki_fiscal_year(year)}（{year}年度）"
    return wareki_fiscal_year(year)


def format_date(value: Any, lang: str = "ja") -> str:
    """A date as 2021年3月31日 (ja) or 2021-03-31 (en)."""
    if _is_missing(value) or value == "":
        return "—"
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        value = value.date()
    if lang == "en":
        return value.isoformat()
    return f"{value.year}年{value.month}月{value.day}日"


def format_datetime(value: Any, lang: str = "ja") -> str:
    """A publish or build time in Japan time: 2026年11月28日 18:05 (ja) or 2026-11-28 18:05 JST (en)."""
    if _is_missing(value) or value == "":
        return "—"
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return format_date(value, lang)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    local = value.astimezone(JST)
    if lang == "en":
        return f"{local:%Y-%m-%d %H:%M} JST"
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def format_month(value: Any, lang: str = "ja") -> str:
    """A month start date as 2021年3月 (ja) or 2021-03 (en)."""
    if _is_missing(value):
        return "—"
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return f"{value.year}年{value.month}月" if lang == "ja" else f"{value.year}-{value.month:02d}"


GRADE_LABELS: dict[str, dict[str, str]] = {
    "AA": {"ja": "AA", "en": "AA"},
    "A": {"ja": "A（計画どおり）", "en": "A (as planned)"},
    "B": {"ja": "B（概ね計画どおり）", "en": "B (mostly as planned)"},
    "C": {"ja": "C（計画を下回る）", "en": "C (below plan)"},
    "not_evaluable": {"ja": "評価不能", "en": "Not evaluable"},
}


def grade_label(grade: Any, lang: str = "ja") -> str:
    """A suggested grade in the plan's words (A 計画どおり …); '—' when there is none."""
    if _is_missing(grade) or grade == "":
        return "—"
    return GRADE_LABELS.get(str(grade), {}).get(lang, str(grade))
