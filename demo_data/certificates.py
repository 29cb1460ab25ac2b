"""Certificate issuances: daily counts by office × type × channel, one CP932 CSV per month (FY2018 as .xlsx)."""
from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import numpy as np

from .common import (
    Month,
    business_days,
    is_new_year_closure,
    rng_for,
    seed_names,
    to_fullwidth_digits,
    wareki_long,
    wareki_short,
    write_bytes,
    write_xlsx,
)

HEADER = ["交付日", "窓口", "証明書種別", "交付方法", "件数"]
OFFICES = {code: name for code, name in seed_names("certificate_offices").items() if code != "none"}
NO_OFFICE_JA = "なし"  # office_code 'none': channels not at an office
OFFICE_SHARE = {"honcho": 0.30, "akatsuka": 0.12, "itabashi": 0.11, "kamiitabashi": 0.11, "shimura": 0.12,
                "takashimadaira": 0.13, "tokiwadai": 0.11}
TYPES = seed_names("certificate_types")  # codes and names from seeds/, the warehouse's own lists
CHANNELS = seed_names("certificate_channels")
TYPE_SHARE = {
    "counter": {"residence": .45, "seal": .20, "tax_assessment": .12, "tax_payment": .04, "family_register": .15,
                "residence_record": .04},
    "kiosk": {"residence": .65, "seal": .35},
    "convenience_store": {"residence": .55, "seal": .25, "tax_assessment": .15, "tax_payment": .05},
    "post": {"residence": .40, "family_register": .45, "tax_assessment": .10, "tax_payment": .05},
    "online": {"residence": .50, "tax_assessment": .30, "family_register": .20},
}
AT_OFFICE = {"counter", "kiosk"}
KIOSK_LAST_DAY = dt.date(2017, 9, 30)
CONVENIENCE_FIRST_DAY = dt.date(2016, 1, 15)
ONLINE_FIRST_MONTH = Month(2023, 4)
SEASON = {1: .95, 2: .97, 3: 1.35, 4: 1.30, 5: 1.0, 6: .95, 7: .92, 8: .88, 9: .90, 10: .95, 11: .92, 12: .91}
# Honest gap: this office's counter/kiosk rows are missing for this month (the office never sent them).
MISSING_OFFICE_MONTH = ("shimura", Month(2019, 8))
XLSX_FISCAL_YEAR = 2018
WAREKI_DATE_FORMAT = '[$-ja-JP-x-gannen]ggge"年"m"月"d"日"'

# Itabashi's My Number card rate (%): codeforjapan/mynumbercard_statistics (real, 2017-03..2022-12) with the
# synthetic extension outside that range marked below; read from the real file when it is available.
CARD_RATE_FALLBACK = [("2016-01-15", 1.0), ("2016-06-01", 5.0),  # synthetic before 2017-03
                      ("2017-03-08", 9.9), ("2018-03-01", 14.8), ("2019-04-01", 18.5), ("2020-04-01", 21.4),
                      ("2021-03-01", 30.7), ("2022-03-01", 46.0), ("2022-12-31", 56.3),
                      ("2023-12-31", 70.0), ("2024-12-31", 76.0), ("2026-12-31", 81.0)]  # synthetic after 2022
CARD_RATE_FILE = Path("mynumbercard_codeforjapan") / "itabashi_131199_mynumbercard_timeseries_2017-2022.csv"
# Convenience-store share of all certificates as a function of the card rate: ~2% in FY2016, ~30% in FY2020
# (the 40% target missed), ~45% by FY2025.
SHARE_BY_CARD_RATE = ([0, 3, 9, 14, 19, 23, 30, 45, 60, 75, 100], [0, .5, 2.2, 7, 17, 29, 34, 40, 43, 45, 47])


def card_rate_points(real_data_dir: Path | None) -> list[tuple[dt.date, float]]:
    """Card-rate anchors: real snapshots when the file is there, synthetic before 2017-03 and after 2022-12."""
    points = [(dt.date.fromisoformat(day), rate) for day, rate in CARD_RATE_FALLBACK]
    path = Path(real_data_dir) / CARD_RATE_FILE if real_data_dir else None
    if path is not None and path.is_file():
        with path.open(encoding="utf-8-sig", newline="") as handle:
            real = [(dt.date.fromisoformat(row["算出基準日"].replace("/", "-")), float(row["人口に対する交付枚数率"]))
                    for row in csv.DictReader(handle)]
        first, last = real[0][0], real[-1][0]
        points = [p for p in points if p[0] < first or p[0] > last] + real
    return sorted(points)


def convenience_share(day: dt.date, points: list[tuple[dt.date, float]]) -> float:
    """Share of all certificates issued at convenience stores on a day."""
    if day < CONVENIENCE_FIRST_DAY:
        return 0.0
    ordinals = [p[0].toordinal() for p in points]
    rate = float(np.interp(day.toordinal(), ordinals, [p[1] for p in points]))
    return float(np.interp(rate, *SHARE_BY_CARD_RATE)) / 100


def annual_total(fiscal_year: int) -> float:
    """Ward total certificates per year: ~1.25M in FY2015, slowly declining (~1.12M by FY2026)."""
    return 1_250_000 * (0.99 ** (fiscal_year - 2015))


def channel_shares(month: Month, points: list[tuple[dt.date, float]]) -> dict[str, float]:
    """Shares of the month's certificates by channel."""
    mid = dt.date(month.year, month.month, 15)
    conv = convenience_share(mid, points)
    kiosk = 0.0 if mid > KIOSK_LAST_DAY else max(0.0, 0.11 - 0.0015 * month.index)
    online = 0.0 if month < ONLINE_FIRST_MONTH else min(0.025, 0.003 + 0.0006 * (month.index - 96))
    post = 0.06
    return {"counter": 1 - conv - kiosk - online - post, "kiosk": kiosk, "convenience_store": conv, "post": post,
            "online": online}


def _day_weight(day: dt.date, channel: str) -> float:
    """Relative volume of a day: offices on business days (Monday busiest); convenience stores every day."""
    if channel == "convenience_store":
        if day < CONVENIENCE_FIRST_DAY or is_new_year_closure(day):
            return 0.0
        return 0.6 if day.weekday() >= 5 else 1.0
    if channel == "kiosk" and day > KIOSK_LAST_DAY:
        return 0.0
    return {0: 1.2, 4: 1.05}.get(day.weekday(), 1.0)


def month_frame(month: Month, seed: int, points: list[tuple[dt.date, float]]) -> list[tuple]:
    """Rows (date, office_code, type_code, channel_code, count) for one month, count > 0 only."""
    rng = rng_for(seed, "certificates", month)
    covid = 0.8 if month in (Month(2020, 4), Month(2020, 5)) else 1.0
    month_total = annual_total(month.fiscal_year) / 12 * SEASON[month.month] * covid
    working = business_days(month)
    rows: list[tuple] = []
    for channel, share in channel_shares(month, points).items():
        days = month.days() if channel == "convenience_store" else working
        weights = np.array([_day_weight(day, channel) for day in days])
        if share <= 0 or weights.sum() == 0:
            continue
        day_expect = month_total * share * weights / weights.sum()
        offices = list(OFFICE_SHARE) if channel in AT_OFFICE else ["none"]
        office_share = np.array([OFFICE_SHARE[o] for o in offices]) if channel in AT_OFFICE else np.ones(1)
        types = list(TYPE_SHARE[channel])
        type_share = np.array([TYPE_SHARE[channel][t] for t in types])
        expect = day_expect[:, None, None] * office_share[None, :, None] * type_share[None, None, :]
        counts = rng.poisson(expect)
        for i, j, k in zip(*np.nonzero(counts)):
            rows.append((days[i], offices[j], types[k], channel, int(counts[i, j, k])))
    missing_office, missing_month = MISSING_OFFICE_MONTH
    if month == missing_month:
        rows = [row for row in rows if row[1] != missing_office]
    rows.sort(key=lambda r: (r[0], list(OFFICES).index(r[1]) if r[1] in OFFICES else 99, r[3], r[2]))
    return rows


def _file_style(month: Month) -> dict[str, bool]:
    """How a month's file looks (departments changed templates over the years)."""
    return {"short_date": month.year in (2017, 2020, 2023, 2025),
            "fullwidth": month.fiscal_year in (2016, 2021),
            "thousands": month.fiscal_year >= 2019,
            "xlsx": month.fiscal_year == XLSX_FISCAL_YEAR}


def _csv_bytes(rows: list[tuple], style: dict[str, bool]) -> bytes:
    """CP932 CSV with 和暦 dates, CRLF; full-width digits and thousands separators where the style says so."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    date_text = {}
    for day, office, ctype, channel, count in rows:
        if day not in date_text:
            text = wareki_short(day) if style["short_date"] else wareki_long(day)
            date_text[day] = to_fullwidth_digits(text) if style["fullwidth"] else text
        count_text = f"{count:,}" if style["thousands"] else str(count)
        if style["fullwidth"]:
            count_text = to_fullwidth_digits(count_text)
        writer.writerow([date_text[day], OFFICES.get(office, NO_OFFICE_JA), TYPES[ctype], CHANNELS[channel],
                         count_text])
    return buffer.getvalue().encode("cp932")


def write_month(out_dir: Path, month: Month, seed: int, points: list[tuple[dt.date, float]]) -> tuple[Path, int]:
    """Write one month's file; return its path and row count."""
    rows = month_frame(month, seed, points)
    style = _file_style(month)
    if style["xlsx"]:
        path = out_dir / f"certificates_{month}.xlsx"
        body = [[day, OFFICES.get(office, NO_OFFICE_JA), TYPES[ctype], CHANNELS[channel], count]
                for day, office, ctype, channel, count in rows]
        write_xlsx(path, f"{month.year}年{month.month}月", HEADER, body, formats={0: WAREKI_DATE_FORMAT})
    else:
        path = out_dir / f"certificates_{month}.csv"
        write_bytes(path, _csv_bytes(rows, style))
    return path, len(rows)
