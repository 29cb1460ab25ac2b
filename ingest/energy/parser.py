"""Energy extracts → energy_readings_monthly / energy_readings_interval / facilities; mappings load other layouts."""
from __future__ import annotations

import hashlib
import re
import unicodedata

import polars as pl

from ingest.common.contract import Layout
from ingest.common.convert import code_parser, convert, text
from ingest.common.findings import Finding
from ingest.common.normalize import parse_datetime, parse_integer, parse_month, parse_number
from ingest.common.units import parse_unit, to_lake_units
from ingest.energy.contract import (
    FACILITIES,
    INTERVAL,
    INTERVAL_FIELDS,
    KYOIKU_FIELDS,
    METER_LABELS,
    MONTHLY,
    MONTHLY_FIELDS,
    MONTHLY_LONG_FIELDS,
    PUBLIC_V1_FIELDS,
    PUBLIC_V2_FIELDS,
)

METER_COLUMNS = (("electricity_kwh", "electricity", "kWh"), ("gas_m3", "gas", "m3"), ("water_m3", "water", "m3"))
METER_PARSER = code_parser({**METER_LABELS, **{m: m for m in ("electricity", "gas", "water")}},
                           {"電気": "electricity", "ガス": "gas", "水道": "water"})


def _declared_units(ctx) -> dict[str, str]:
    """Units a mapping declares per field (empty for the built-in layouts)."""
    layout = getattr(ctx, "layout", None)
    return dict(getattr(layout, "units", {}) or {})


def _to_lake_units(result: pl.DataFrame, ctx, findings: list[Finding], minutes: pl.Series | None) -> pl.DataFrame:
    """Convert usage_value from each row's source unit to the lake unit (MWh → kWh, 万kW for an hour → kWh …)."""
    values, units, problems = to_lake_units(result["usage_value"], result["usage_unit"], result["meter_type"],
                                            minutes, result["source_row_number"])
    label = ctx.headers.get("usage_unit", "usage_unit")
    findings.extend(Finding(int(row), label, problem) for row, problem in problems)
    return result.with_columns(values, units)
SCHOOL_KINDS = {"A1": "幼稚園", "A2": "幼保連携型認定こども園", "B1": "小学校", "C1": "中学校", "C2": "義務教育学校",
                "D1": "高等学校", "D2": "中等教育学校", "E1": "特別支援学校", "F1": "大学", "F2": "短期大学",
                "G1": "高等専門学校", "H1": "専修学校", "H2": "各種学校"}


def transform_monthly(frame: pl.DataFrame, ctx, findings: list[Finding]) -> pl.DataFrame:
    """Unpivot the wide monthly sheet (one column per meter) into one row per facility × meter × month."""
    base = convert(frame, [("facility_code", "facility_code", text), ("reading_month", "reading_month", parse_month)],
                   MONTHLY, ctx.headers, findings)
    pieces = []
    declared = _declared_units(ctx)
    for field_name, meter, unit in METER_COLUMNS:
        if field_name not in frame.columns:
            continue
        values = convert(frame, [(field_name, "usage_value", parse_number)], MONTHLY, ctx.headers, findings)
        piece = base.with_columns(
            pl.lit(meter).alias("meter_type"), values["usage_value"],
            pl.lit(declared.get(field_name, unit)).alias("usage_unit")
        ).filter(frame[field_name].is_not_null() & (frame[field_name].str.strip_chars() != ""))
        pieces.append(piece)
        ctx.headers.setdefault("usage_value", ctx.headers.get(field_name, field_name))
        ctx.headers.setdefault("usage_unit", f"unit of {ctx.headers.get(field_name, field_name)}")
    ctx.headers["meter_type"] = "(meter column)"
    result = pl.concat(pieces).select(["source_row_number", *MONTHLY.names])
    if declared:
        result = _to_lake_units(result, ctx, findings, None)
    return result


def transform_monthly_long(frame: pl.DataFrame, ctx, findings: list[Finding]) -> pl.DataFrame:
    """One row per facility × meter × month already (施設コード, 年月, 種別, 使用量, 単位); units converted."""
    unit = _declared_units(ctx).get("usage_value")
    if unit is not None:
        frame = frame.with_columns(pl.col("usage_unit").fill_null(unit) if "usage_unit" in frame.columns
                                   else pl.lit(unit, dtype=pl.String).alias("usage_unit"))
    specs = [
        ("facility_code", "facility_code", text),
        ("meter_type", "meter_type", METER_PARSER),
        ("reading_month", "reading_month", parse_month),
        ("usage_value", "usage_value", parse_number),
        ("usage_unit", "usage_unit", parse_unit),
    ]
    result = convert(frame, specs, MONTHLY, ctx.headers, findings)
    return _to_lake_units(result, ctx, findings, None).select(["source_row_number", *MONTHLY.names])


def _interval_minutes(value: str) -> int:
    """30 or 60; other intervals are not in the contract."""
    minutes = parse_integer(value)
    if minutes not in (30, 60):
        raise ValueError("interval must be 30 or 60 minutes")
    return minutes


def transform_interval(frame: pl.DataFrame, ctx, findings: list[Finding]) -> pl.DataFrame:
    """Parse interval timestamps and values; meter, unit and interval default to 30-minute electricity in kWh."""
    defaults = {"meter_type": "electricity", "usage_unit": _declared_units(ctx).get("usage_value", "kWh"),
                "interval_minutes": "30"}
    frame = frame.with_columns(
        [pl.col(name).fill_null(value) if name in frame.columns else pl.lit(value, dtype=pl.String).alias(name)
         for name, value in defaults.items()]
    )
    specs = [
        ("facility_code", "facility_code", text),
        ("meter_type", "meter_type", METER_PARSER),
        ("reading_start_at", "reading_start_at", parse_datetime),
        ("interval_minutes", "interval_minutes", _interval_minutes),
        ("usage_value", "usage_value", parse_number),
        ("usage_unit", "usage_unit", parse_unit),
    ]
    result = convert(frame, specs, INTERVAL, ctx.headers, findings)
    if result.height and (result["usage_unit"] != "kWh").any() or _declared_units(ctx):
        result = _to_lake_units(result, ctx, findings, result["interval_minutes"])
    return result


def _postal(value: str) -> str:
    """Seven-digit postal code ('173-0014' and '1730014' both become '1730014')."""
    digits = re.sub(r"[^0-9]", "", value)
    if len(digits) != 7:
        raise ValueError("postal code must have 7 digits")
    return digits


def _facilities(frame: pl.DataFrame, ctx, findings: list[Finding], layout: str) -> pl.DataFrame:
    """Common part of the three facility layouts."""
    if "address_ja" not in frame.columns:
        parts = [c for c in ("address_city", "address_town", "address_block") if c in frame.columns]
        frame = frame.with_columns(pl.concat_str([pl.col(c).fill_null("") for c in parts]).alias("address_ja"))
    elif "address_extra" in frame.columns:
        frame = frame.with_columns(pl.concat_str([pl.col("address_ja").fill_null(""),
                                                  pl.col("address_extra").fill_null("")], separator=" ")
                                   .alias("address_ja"))
    specs = [
        ("facility_code", "facility_code", text),
        ("facility_name_ja", "facility_name_ja", text),
        ("facility_kind", "facility_kind_ja", lambda v: SCHOOL_KINDS.get(v, v)),
        ("address_ja", "address_ja", text),
        ("postal_code", "postal_code", _postal),
        ("latitude", "latitude", parse_number),
        ("longitude", "longitude", parse_number),
    ]
    result = convert(frame, specs, FACILITIES, ctx.headers, findings)
    derived = [
        code or (None if name is None else derived_facility_code(name))
        for code, name in zip(result["facility_code"].to_list(), result["facility_name_ja"].to_list())
    ]
    ctx.headers.setdefault("facility_kind_ja", ctx.headers.get("facility_kind", "facility_kind"))
    return result.with_columns(pl.Series("facility_code", derived, dtype=pl.String),
                               pl.lit(layout).alias("source_layout"))


def derived_facility_code(name: str) -> str:
    """Stable code for a facility listed without one (the open 教育機関一覧 leaves 学校コード empty).

    'school-' + the first 8 hex digits of SHA-1 of the NFKC-normalised, stripped name: the EMS extracts
    (and the sample generator, demo_data/common.stable_code) use the same rule.
    """
    normalised = unicodedata.normalize("NFKC", name).strip()
    return "school-" + hashlib.sha1(normalised.encode("utf-8")).hexdigest()[:8]


def transform_kyoiku(frame: pl.DataFrame, ctx, findings: list[Finding]) -> pl.DataFrame:
    """教育機関一覧: the school code is often empty in the open data, so a stable code is derived."""
    return _facilities(frame, ctx, findings, "kyoiku_kikan")


def transform_public_v1(frame: pl.DataFrame, ctx, findings: list[Finding]) -> pl.DataFrame:
    """公共施設一覧 (old column set)."""
    return _facilities(frame, ctx, findings, "kokyo_shisetsu_v1")


def transform_public_v2(frame: pl.DataFrame, ctx, findings: list[Finding]) -> pl.DataFrame:
    """公共施設一覧 (new column set)."""
    return _facilities(frame, ctx, findings, "kokyo_shisetsu_v2")


LAYOUTS = (
    Layout("energy_monthly", "energy", MONTHLY.table, MONTHLY_FIELDS, transform_monthly, declares_month=False),
    Layout("energy_interval", "energy", INTERVAL.table, INTERVAL_FIELDS, transform_interval),
    Layout("energy_monthly_long", "energy", MONTHLY.table, MONTHLY_LONG_FIELDS, transform_monthly_long,
           declares_month=False),
    Layout("kyoiku_kikan", "energy", FACILITIES.table, KYOIKU_FIELDS, transform_kyoiku, declares_month=False),
    Layout("kokyo_shisetsu_v1", "energy", FACILITIES.table, PUBLIC_V1_FIELDS, transform_public_v1,
           signature=("都道府県コード又は市区町村コード",), declares_month=False),
    Layout("kokyo_shisetsu_v2", "energy", FACILITIES.table, PUBLIC_V2_FIELDS, transform_public_v2,
           signature=("全国地方公共団体コード",), declares_month=False),
)
