"""A small, deterministic `raw` schema (docs/architecture.md's lake tables) for building the dbt foundation.

The rows are chosen so that the expected totals are easy to state by hand; the tests recompute the same
totals from these Python rows as an independent check of the SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from warehouse.closing import load_closed_year_figures
from warehouse.refresh import load_lake_file_versions, load_open_data_items

LINEAGE_COLUMNS: list[tuple[str, str]] = [
    ("source_file_name", "varchar"),
    ("source_file_sha256", "varchar"),
    ("source_row_number", "bigint"),
    ("loaded_at", "timestamp"),
    ("fiscal_month", "varchar"),
]

RAW_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "certificate_issuances": [
        ("issued_date", "date"),
        ("office_code", "varchar"),
        ("certificate_type_code", "varchar"),
        ("channel_code", "varchar"),
        ("issued_count", "bigint"),
    ],
    "web_page_views_daily": [
        ("access_date", "date"),
        ("page_path", "varchar"),
        ("page_title_ja", "varchar"),
        ("device_type", "varchar"),
        ("page_view_count", "bigint"),
    ],
    "web_access_log": [
        ("requested_at", "timestamp"),
        ("client_hash", "varchar"),
        ("http_method", "varchar"),
        ("request_path", "varchar"),
        ("http_status", "integer"),
        ("response_bytes", "bigint"),
        ("referrer_host", "varchar"),
        ("device_type", "varchar"),
        ("is_bot", "boolean"),
        ("is_page", "boolean"),
    ],
    "gis_events": [
        ("event_at", "timestamp"),
        ("staff_pseudo_id", "varchar"),
        ("department_name_ja", "varchar"),
        ("event_type", "varchar"),
        ("map_name_ja", "varchar"),
    ],
    "energy_readings_monthly": [
        ("facility_code", "varchar"),
        ("meter_type", "varchar"),
        ("reading_month", "date"),
        ("usage_value", "double"),
        ("usage_unit", "varchar"),
    ],
    "energy_readings_interval": [
        ("facility_code", "varchar"),
        ("meter_type", "varchar"),
        ("reading_start_at", "timestamp"),
        ("interval_minutes", "integer"),
        ("usage_value", "double"),
        ("usage_unit", "varchar"),
    ],
    "facilities": [
        ("facility_code", "varchar"),
        ("facility_name_ja", "varchar"),
        ("facility_kind_ja", "varchar"),
        ("address_ja", "varchar"),
        ("postal_code", "varchar"),
        ("latitude", "double"),
        ("longitude", "double"),
        ("source_layout", "varchar"),
    ],
    "indicator_reports": [
        ("indicator_id", "varchar"),
        ("fiscal_year", "integer"),
        ("reported_value", "double"),
        ("reported_value_text_ja", "varchar"),
        ("comment_ja", "varchar"),
        ("reporting_department_ja", "varchar"),
    ],
    "measure_evaluations": [
        ("measure_id", "integer"),
        ("fiscal_year", "integer"),
        ("self_assessed_grade", "varchar"),
        ("department_remark_ja", "varchar"),
        ("next_year_plan_ja", "varchar"),
        ("decided_grade", "varchar"),
        ("decided_reason_ja", "varchar"),
    ],
}

# Certificates: per day and certificate type, who issues how many (office, channel, count).
CERTIFICATE_MIX: list[tuple[str, str, int]] = [
    ("honcho", "counter", 10),
    ("akatsuka", "counter", 10),
    ("honcho", "kiosk", 3),
    ("none", "convenience_store", 5),
    ("none", "post", 1),
    ("none", "online", 1),
]
CERTIFICATE_TYPES = ["residence", "seal"]
CERTIFICATE_SPAN = (dt.date(2016, 3, 1), dt.date(2016, 4, 30))  # Sundays closed: no rows

WEB_PAGES = [("/index.html", "板橋区トップページ"), ("/kurashi/index.html", "くらし")]
WEB_DEVICE_BASE = {"pc": 100, "smartphone": 50, "tablet": 10, "other": 1}
WEB_SPAN = (dt.date(2015, 4, 1), dt.date(2016, 4, 30))  # from FY2016 smartphone views double

GIS_SPAN = (dt.date(2016, 4, 1), dt.date(2016, 4, 30))  # weekdays only
GIS_STAFF = [("s1", "IT推進課"), ("s2", "IT推進課"), ("s3", "都市計画課")]
GIS_MAPS = ["都市計画図", "道路台帳図"]

ENERGY_MONTHLY_SPAN = (dt.date(2015, 4, 1), dt.date(2016, 4, 1))  # months, F001 only
ENERGY_MONTHLY_BASE = {"electricity": (1000.0, "kWh"), "gas": (100.0, "m3"), "water": (50.0, "m3")}


def days(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    """Every date from start through end (inclusive), so spans read like the docstrings say."""
    current = start
    while current <= end:
        yield current
        current += dt.timedelta(days=1)


def months(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    """First days of every month from start's month through end's month."""
    current = start.replace(day=1)
    while current <= end:
        yield current
        current = (current.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def lineage(file_name: str, row_number: int, on: dt.date, loaded_at: dt.datetime) -> dict[str, Any]:
    """The lineage columns every lake row carries (architecture.md), with a fake but stable sha."""
    return {
        "source_file_name": file_name,
        "source_file_sha256": f"sha-{file_name}",
        "source_row_number": row_number,
        "loaded_at": loaded_at,
        "fiscal_month": on.strftime("%Y-%m"),
    }


def certificate_rows() -> list[dict[str, Any]]:
    """Daily issuances, March-April 2016, closed on Sundays."""
    rows = []
    for day in days(*CERTIFICATE_SPAN):
        if day.weekday() == 6:
            continue
        for type_code in CERTIFICATE_TYPES:
            for office, channel, count in CERTIFICATE_MIX:
                file_name = f"certificates_{day:%Y%m}.csv"
                rows.append(
                    {
                        "issued_date": day,
                        "office_code": office,
                        "certificate_type_code": type_code,
                        "channel_code": channel,
                        "issued_count": count,
                        **lineage(file_name, len(rows) + 1, day, dt.datetime(2016, 5, 10)),
                    }
                )
    return rows


def web_view_count(day: dt.date, device: str) -> int:
    """Page views per page, day and device: smartphone views double from FY2016 on."""
    factor = 2 if device == "smartphone" and day >= dt.date(2016, 4, 1) else 1
    return WEB_DEVICE_BASE[device] * factor


def web_page_view_rows() -> list[dict[str, Any]]:
    """Analytics export rows, April 2015 to April 2016 (one fiscal year plus a month, for YoY)."""
    rows = []
    for day in days(*WEB_SPAN):
        for path, title in WEB_PAGES:
            for device in WEB_DEVICE_BASE:
                rows.append(
                    {
                        "access_date": day,
                        "page_path": path,
                        "page_title_ja": title,
                        "device_type": device,
                        "page_view_count": web_view_count(day, device),
                        **lineage(f"web_{day:%Y%m}.csv", len(rows) + 1, day, dt.datetime(2016, 5, 10)),
                    }
                )
    return rows


def web_access_log_rows() -> list[dict[str, Any]]:
    """Raw log: 2016-04-01 has 40 page hits from 4 clients (200) and 10 bot hits (404) from 1 client."""
    rows = []
    day = dt.date(2016, 4, 1)
    for index in range(50):
        is_bot = index >= 40
        rows.append(
            {
                "requested_at": dt.datetime(2016, 4, 1, 9, 0) + dt.timedelta(minutes=index),
                "client_hash": "bot" if is_bot else f"client{index % 4}",
                "http_method": "GET",
                "request_path": "/index.html",
                "http_status": 404 if is_bot else 200,
                "response_bytes": 1000,
                "referrer_host": None,
                "device_type": "other" if is_bot else "pc",
                "is_bot": is_bot,
                "is_page": True,
                **lineage("access_20160401.log", index + 1, day, dt.datetime(2016, 5, 10)),
            }
        )
    return rows


def gis_event_rows() -> list[dict[str, Any]]:
    """April 2016 weekdays: every staff member logs in once and opens one map; weekends have no events."""
    rows = []
    for day in days(*GIS_SPAN):
        if day.weekday() >= 5:
            continue
        for index, (staff, department) in enumerate(GIS_STAFF):
            at = dt.datetime.combine(day, dt.time(9, index))
            for event_type, map_name in [("login", None), ("map_open", GIS_MAPS[index % 2])]:
                rows.append(
                    {
                        "event_at": at,
                        "staff_pseudo_id": staff,
                        "department_name_ja": department,
                        "event_type": event_type,
                        "map_name_ja": map_name,
                        **lineage(f"gis_{day:%Y%m}.csv", len(rows) + 1, day, dt.datetime(2016, 5, 10)),
                    }
                )
    return rows


def energy_monthly_rows() -> list[dict[str, Any]]:
    """F001's monthly readings April 2015-April 2016: base use, 10% more in FY2016; S001 has gas and water only."""
    rows = []
    for month in months(*ENERGY_MONTHLY_SPAN):
        factor = 1.1 if month >= dt.date(2016, 4, 1) else 1.0
        for meter, (base, unit) in ENERGY_MONTHLY_BASE.items():
            rows.append(
                {
                    "facility_code": "F001",
                    "meter_type": meter,
                    "reading_month": month,
                    "usage_value": base * factor,
                    "usage_unit": unit,
                    **lineage(f"energy_FY{month.year}.xlsx", len(rows) + 1, month, dt.datetime(2016, 5, 10)),
                }
            )
    for meter in ["gas", "water"]:
        base, unit = ENERGY_MONTHLY_BASE[meter]
        rows.append(
            {
                "facility_code": "S001",
                "meter_type": meter,
                "reading_month": dt.date(2016, 4, 1),
                "usage_value": base,
                "usage_unit": unit,
                **lineage("energy_FY2016.xlsx", len(rows) + 1, dt.date(2016, 4, 1), dt.datetime(2016, 5, 10)),
            }
        )
    return rows


def energy_interval_rows() -> list[dict[str, Any]]:
    """30-minute electricity on 2016-04-01 and 02 for S001 (summed: 96 x 2.5 = 240 kWh) and F001 (ignored)."""
    rows = []
    for facility in ["S001", "F001"]:
        for slot in range(96):
            at = dt.datetime(2016, 4, 1) + dt.timedelta(minutes=30 * slot)
            rows.append(
                {
                    "facility_code": facility,
                    "meter_type": "electricity",
                    "reading_start_at": at,
                    "interval_minutes": 30,
                    "usage_value": 2.5,
                    "usage_unit": "kWh",
                    **lineage(f"{facility}_201604.csv", slot + 1, at.date(), dt.datetime(2016, 5, 10)),
                }
            )
    return rows


def facility_rows() -> list[dict[str, Any]]:
    """F001 delivered twice (renamed in the later file), S001 once from the schools layout."""
    loaded_2015, loaded_2016 = dt.datetime(2015, 4, 5), dt.datetime(2016, 4, 5)
    return [
        {
            "facility_code": "F001",
            "facility_name_ja": "板橋区役所（旧）",
            "facility_kind_ja": "庁舎",
            "address_ja": "板橋区板橋二丁目66番1号",
            "postal_code": "173-8501",
            "latitude": 35.7512,
            "longitude": 139.7094,
            "source_layout": "kokyo_shisetsu_v1",
            **lineage("kokyo_shisetsu_2015.csv", 1, loaded_2015.date(), loaded_2015),
        },
        {
            "facility_code": "F001",
            "facility_name_ja": "板橋区役所",
            "facility_kind_ja": "庁舎",
            "address_ja": "板橋区板橋二丁目66番1号",
            "postal_code": "173-8501",
            "latitude": 35.7512,
            "longitude": 139.7094,
            "source_layout": "kokyo_shisetsu_v2",
            **lineage("kokyo_shisetsu_2016.csv", 1, loaded_2016.date(), loaded_2016),
        },
        {
            "facility_code": "S001",
            "facility_name_ja": "板橋第一小学校",
            "facility_kind_ja": "小学校",
            "address_ja": "板橋区板橋一丁目",
            "postal_code": "173-0004",
            "latitude": 35.748,
            "longitude": 139.715,
            "source_layout": "kyoiku_kikan",
            **lineage("kyoiku_kikan_2016.csv", 1, loaded_2016.date(), loaded_2016),
        },
    ]


def indicator_report_rows() -> list[dict[str, Any]]:
    """M14-1 for FY2016 reported twice (a corrected file replaces 250 by 260), M02-1 once."""

    def report(
        indicator: str, year: int, value: float, file_name: str, loaded: dt.datetime
    ) -> dict[str, Any]:
        return {
            "indicator_id": indicator,
            "fiscal_year": year,
            "reported_value": value,
            "reported_value_text_ja": f"{value:g}",
            "comment_ja": "個人名を含むかもしれない備考",
            "reporting_department_ja": "広聴広報課",
            **lineage(file_name, 1, dt.date(year, 4, 1), loaded),
        }

    return [
        report("M14-1", 2016, 250, "indicators_kouhou_2016.xlsx", dt.datetime(2017, 5, 1)),
        report("M14-1", 2016, 260, "indicators_kouhou_2016_fix.xlsx", dt.datetime(2017, 6, 1)),
        report("M02-1", 2016, 100, "indicators_bunka_2016.xlsx", dt.datetime(2017, 5, 1)),
    ]


def measure_evaluation_rows() -> list[dict[str, Any]]:
    """The FY2016 取り組み状況 workbook returned with measure 14's self-assessment and comment (nothing decided)."""
    loaded = dt.datetime(2017, 6, 5)
    return [{
        "measure_id": 14, "fiscal_year": 2016, "self_assessed_grade": "B",
        "department_remark_ja": "閲覧数は伸びたが目標には届かない", "next_year_plan_ja": "スマートフォン表示を改善する",
        "decided_grade": None, "decided_reason_ja": None,
        **lineage("torikumi_jokyo_FY2016.xlsx", 14, dt.date(2016, 4, 1), loaded),
    }]


def fixture_rows() -> dict[str, list[dict[str, Any]]]:
    """All raw tables' rows, keyed by lake table name."""
    return {
        "certificate_issuances": certificate_rows(),
        "web_page_views_daily": web_page_view_rows(),
        "web_access_log": web_access_log_rows(),
        "gis_events": gis_event_rows(),
        "energy_readings_monthly": energy_monthly_rows(),
        "energy_readings_interval": energy_interval_rows(),
        "facilities": facility_rows(),
        "indicator_reports": indicator_report_rows(),
        "measure_evaluations": measure_evaluation_rows(),
    }


LOAD_STATUS_COLUMNS: list[tuple[str, str]] = [
    ("source_table", "varchar"),
    ("files_loaded", "bigint"),
    ("rows_loaded", "bigint"),
    ("last_loaded_at", "timestamp"),
    ("data_through_date", "date"),
    ("files_quarantined_open", "bigint"),
]


def load_status_rows(rows: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """raw.source_load_status as the refresh job writes it: one row per lake table."""
    status = []
    for table, table_rows in rows.items():
        months = sorted(row["fiscal_month"] for row in table_rows)
        last_month = dt.date.fromisoformat(months[-1] + "-01") if months else None
        through = next(months_after(last_month)) - dt.timedelta(days=1) if last_month else None
        status.append(
            {
                "source_table": table,
                "files_loaded": len({row["source_file_name"] for row in table_rows}),
                "rows_loaded": len(table_rows),
                "last_loaded_at": max((row["loaded_at"] for row in table_rows), default=None),
                "data_through_date": through,
                "files_quarantined_open": 0,
            }
        )
    return status


def months_after(month: dt.date) -> Iterator[dt.date]:
    """First days of the months following month (used to find a month's last day)."""
    current = month
    while True:
        current = (current.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        yield current


def write_raw_database(path: Path, rows: dict[str, list[dict[str, Any]]]) -> None:
    """Create schema raw in a new DuckDB file with the architecture's column types and insert the rows."""
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema if not exists raw")
        for table, business_columns in RAW_COLUMNS.items():
            columns = business_columns + LINEAGE_COLUMNS
            ddl = ", ".join(f"{name} {sql_type}" for name, sql_type in columns)
            con.execute(f"create or replace table raw.{table} ({ddl})")
            if rows[table]:
                batch = pa.Table.from_pylist(
                    [{name: row[name] for name, _ in columns} for row in rows[table]]
                )
                con.register("incoming_rows", batch)
                casts = ", ".join(f"cast({name} as {sql_type})" for name, sql_type in columns)
                con.execute(f"insert into raw.{table} select {casts} from incoming_rows")
                con.unregister("incoming_rows")
        status_ddl = ", ".join(f"{name} {sql_type}" for name, sql_type in LOAD_STATUS_COLUMNS)
        con.execute(f"create or replace table raw.source_load_status ({status_ddl})")
        con.register("incoming_status", pa.Table.from_pylist(load_status_rows(rows)))
        status_casts = ", ".join(f"cast({name} as {sql_type})" for name, sql_type in LOAD_STATUS_COLUMNS)
        con.execute(f"insert into raw.source_load_status select {status_casts} from incoming_status")
        con.unregister("incoming_status")
        load_open_data_items(con)
        load_closed_year_figures(con, None)
        load_lake_file_versions(con, None)
        con.execute("checkpoint")
    finally:
        con.close()


if __name__ == "__main__":
    import sys

    write_raw_database(Path(sys.argv[1]), fixture_rows())
