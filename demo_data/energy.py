"""Facility energy: monthly electricity/gas/water per facility (one wide .xlsx per fiscal year) and 30-minute
electricity for a few facilities (one CSV per facility per month), consistent with the monthly totals."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl

from .common import Month, is_business_day, rng_for, write_bytes, write_xlsx
from .facilities import Facility

MONTHLY_HEADER = ["施設コード", "施設名", "年月", "電気使用量(kWh)", "ガス使用量(m3)", "水道使用量(m3)"]
INTERVAL_HEADER = ["施設コード", "計測日時", "電力量(kWh)"]
MONTH_FORMAT = 'yyyy"年"m"月"'
SCHOOL_KWH = 24_000  # an average school's electricity per month (15-40 MWh range across schools)
# month → factor; schools: cooling in Jul/Sep, August holidays, heating Dec-Feb
SCHOOL_ELECTRICITY = {4: .95, 5: .88, 6: 1.0, 7: 1.22, 8: .72, 9: 1.18, 10: .92, 11: .92, 12: 1.05, 1: 1.15,
                      2: 1.15, 3: .92}
OFFICE_ELECTRICITY = {4: .92, 5: .92, 6: .98, 7: 1.15, 8: 1.2, 9: 1.08, 10: .92, 11: .9, 12: 1.0, 1: 1.05,
                      2: 1.02, 3: .95}
GAS_HEATING = {4: .5, 5: .25, 6: .2, 7: .25, 8: .2, 9: .2, 10: .3, 11: .8, 12: 1.5, 1: 1.9, 2: 1.8, 3: 1.1}
SCHOOL_WATER = {4: .9, 5: .95, 6: 1.9, 7: 2.1, 8: .7, 9: 1.4, 10: .95, 11: .9, 12: .85, 1: .8, 2: .85, 3: .8}
# Honest gap: one facility's electricity meter was not read for two months (cells left empty).
METER_GAP_INDEX = 3  # position in the non-school list (a 区民事務所); months below
METER_GAP_MONTHS = (Month(2021, 7), Month(2021, 8))


def _trend(month: Month) -> float:
    """Energy saving: -1%/year, LED retrofit -5% from FY2019."""
    years = month.index / 12
    return 0.99 ** years * (0.95 if month.fiscal_year >= 2019 else 1.0)


def _covid(month: Month, facility: Facility) -> float:
    """School closure March-May 2020; other facilities closed or quieter in spring 2020."""
    if Month(2020, 3) <= month <= Month(2020, 5):
        return 0.62 if facility.is_school else 0.85
    return 1.0


def _part(facility: Facility) -> int:
    """A facility's own random stream, so adding facilities does not change the others' readings."""
    return int(facility.facility_code.encode("utf-8").hex()[-12:], 16) % 2**40


def monthly_values(facility: Facility, month: Month, seed: int) -> tuple[float, float | None, float]:
    """Electricity kWh, gas m3 (None when the facility has no gas) and water m3 for one facility-month."""
    rng = rng_for(seed, "energy", month, part=_part(facility))
    noise = rng.normal(1.0, 0.04, size=3)
    profile = SCHOOL_ELECTRICITY if facility.is_school else OFFICE_ELECTRICITY
    kwh = SCHOOL_KWH * facility.size * profile[month.month] * _trend(month) * _covid(month, facility) * noise[0]
    gas = None
    if facility.has_gas:
        gas = 1_600 * facility.size * GAS_HEATING[month.month] * _trend(month) * noise[1]
    water_profile = SCHOOL_WATER if facility.has_pool else {m: 1.0 for m in range(1, 13)}
    water = 520 * facility.size * water_profile[month.month] * _covid(month, facility) * noise[2]
    return round(kwh), (round(gas, 1) if gas is not None else None), round(water, 1)


def monthly_rows(facilities: list[Facility], months: list[Month], seed: int) -> list[list[object]]:
    """Wide rows: code, name, month (first day, shown as 年月), kWh, m3 gas, m3 water."""
    non_school = [f for f in facilities if not f.is_school]
    gap_code = non_school[METER_GAP_INDEX].facility_code if len(non_school) > METER_GAP_INDEX else None
    rows = []
    for month in months:
        for facility in facilities:
            kwh, gas, water = monthly_values(facility, month, seed)
            if facility.facility_code == gap_code and month in METER_GAP_MONTHS:
                kwh = None
            rows.append([facility.facility_code, facility.name_ja, month.first_day, kwh, gas, water])
    return rows


def write_fiscal_year(out_dir: Path, fiscal_year: int, facilities: list[Facility], months: list[Month],
                      seed: int) -> tuple[Path, int]:
    """One wide .xlsx per fiscal year (only the months of the span)."""
    rows = monthly_rows(facilities, months, seed)
    path = out_dir / f"energy_monthly_FY{fiscal_year}.xlsx"
    write_xlsx(path, f"{fiscal_year}年度", MONTHLY_HEADER, rows, formats={2: MONTH_FORMAT})
    return path, len(rows)


def _half_hour_shape(facility: Facility, days: list[dt.date]) -> np.ndarray:
    """Relative load per 30 minutes: base load at night, a working-hours plateau on business days."""
    slots = np.arange(48) / 2
    daytime = np.exp(-0.5 * ((slots - 12.5) / 3.2) ** 2)
    shapes = []
    for day in days:
        open_day = is_business_day(day) or (not facility.is_school and day.weekday() == 5)
        shapes.append(0.35 + (2.4 if open_day else 0.15) * daytime)
    return np.concatenate(shapes)


def interval_frame(facility: Facility, month: Month, monthly_kwh: float, seed: int) -> pl.DataFrame:
    """30-minute readings whose sum is the monthly total (to rounding of 0.1 kWh)."""
    rng = rng_for(seed, "energy", month, part=2**41 + _part(facility))
    days = month.days()
    shape = _half_hour_shape(facility, days) * rng.normal(1.0, 0.06, size=len(days) * 48).clip(0.7, 1.3)
    tenths = np.floor(shape / shape.sum() * monthly_kwh * 10).astype(np.int64)
    tenths[np.argsort(-shape, kind="stable")[: round(monthly_kwh * 10) - int(tenths.sum())]] += 1
    start = dt.datetime(month.year, month.month, 1)
    return pl.DataFrame({
        "施設コード": [facility.facility_code] * tenths.size,
        "計測日時": [(start + dt.timedelta(minutes=30 * i)).strftime("%Y-%m-%d %H:%M") for i in range(tenths.size)],
        "電力量(kWh)": tenths / 10,
    })


def interval_facilities(facilities: list[Facility], count: int) -> list[tuple[int, Facility]]:
    """Which facilities have 30-minute meters: the main building first, then schools (never the gap facility)."""
    chosen = [(i, f) for i, f in enumerate(facilities) if f.kind_ja == "庁舎"][:1]
    chosen += [(i, f) for i, f in enumerate(facilities) if f.is_school][: max(0, count - len(chosen))]
    if len(chosen) < count:
        taken = {i for i, _ in chosen}
        chosen += [(i, f) for i, f in enumerate(facilities) if i not in taken][: count - len(chosen)]
    return chosen[:count]


def write_interval(out_dir: Path, facility: Facility, month: Month, seed: int) -> tuple[Path, int]:
    """One UTF-8 CSV per facility per month."""
    kwh, _, _ = monthly_values(facility, month, seed)
    frame = interval_frame(facility, month, kwh, seed)
    path = out_dir / f"energy_interval_{facility.facility_code}_{month}.csv"
    write_bytes(path, frame.write_csv(float_precision=1).encode("utf-8"))
    return path, frame.height
