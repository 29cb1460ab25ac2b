"""Check that our marts, the hand-written DuckDB script and the pandas pipeline give the same numbers."""
from __future__ import annotations

import unicodedata
from pathlib import Path

import duckdb
import polars as pl

# mart → (key columns, value columns compared)
MART_COLUMNS: dict[str, tuple[list[str], list[str]]] = {
    "certificate_channel_shift": (["fiscal_month_start_date", "channel_code"],
                                  ["issued_count", "total_issued_count", "channel_share_pct"]),
    "web_access_monthly": (["fiscal_month_start_date"],
                           ["page_view_count", "pc_page_view_count", "smartphone_page_view_count",
                            "tablet_page_view_count", "fiscal_ytd_page_view_count", "previous_year_page_view_count"]),
    "web_requests_daily": (["request_date", "is_bot", "is_page", "http_status_class"],
                           ["request_count", "client_count"]),
    "gis_usage_monthly": (["fiscal_month_start_date", "department_name_ja"],
                          ["login_count", "business_days", "logins_per_business_day", "map_open_count",
                           "distinct_map_count"]),
    "facility_energy_monthly": (["facility_code", "fiscal_month_start_date"], ["electricity_kwh", "gas_m3", "water_m3"]),
}
# mart → our model, where it is not mart_<mart> (the raw-log facts are not an app mart)
OUR_MODELS = {"web_requests_daily": "fct_web_requests_daily"}
REL_TOLERANCE = 1e-9
ABS_TOLERANCE = 1e-6


def _normalise(frame: pl.DataFrame, mart: str) -> pl.DataFrame:
    """Same column types and NFKC-folded text keys, sorted by key, so frames from any engine compare."""
    keys, values = MART_COLUMNS[mart]
    exprs = []
    for key in keys:
        if key.endswith("_date"):
            exprs.append(pl.col(key).cast(pl.Date))
        else:
            exprs.append(pl.col(key).cast(pl.String).map_elements(lambda s: unicodedata.normalize("NFKC", s),
                                                                  return_dtype=pl.String))
    exprs += [pl.col(value).cast(pl.Float64) for value in values]
    return frame.select(exprs).sort(keys)


def ours(published: Path) -> dict[str, pl.DataFrame]:
    """Our marts from the published warehouse file (read-only)."""
    con = duckdb.connect(str(published), read_only=True)
    try:
        return {mart: _normalise(con.sql(f"select * from main.{OUR_MODELS.get(mart, 'mart_' + mart)}").pl(), mart)
                for mart in MART_COLUMNS}
    finally:
        con.close()


def reference(folder: Path) -> dict[str, pl.DataFrame]:
    """A baseline's marts from its <mart>.parquet files."""
    return {mart: _normalise(pl.read_parquet(folder / f"{mart}.parquet"), mart) for mart in MART_COLUMNS}


def differences(left: pl.DataFrame, right: pl.DataFrame, mart: str, limit: int = 3) -> list[str]:
    """Human-readable differences: rows only on one side, then values outside the tolerance."""
    keys, values = MART_COLUMNS[mart]
    joined = left.join(right, on=keys, how="full", coalesce=True, suffix="_other", nulls_equal=True)
    problems: list[str] = []
    only_left = joined.filter(pl.all_horizontal(pl.col(f"{v}_other").is_null() for v in values)
                              & pl.any_horizontal(pl.col(v).is_not_null() for v in values))
    only_right = joined.filter(pl.all_horizontal(pl.col(v).is_null() for v in values)
                               & pl.any_horizontal(pl.col(f"{v}_other").is_not_null() for v in values))
    for label, rows in (("only in ours", only_left), ("only in the baseline", only_right)):
        if rows.height:
            problems.append(f"{mart}: {rows.height} row(s) {label}, e.g. {rows.select(keys).head(limit).to_dicts()}")
    for value in values:
        a, b = pl.col(value), pl.col(f"{value}_other")
        bad = joined.filter((a.is_null() != b.is_null())
                            | ((a - b).abs() > pl.max_horizontal(pl.lit(ABS_TOLERANCE), b.abs() * REL_TOLERANCE)))
        if bad.height:
            problems.append(f"{mart}.{value}: {bad.height} row(s) differ, e.g. "
                            f"{bad.select([*keys, value, f'{value}_other']).head(limit).to_dicts()}")
    return problems


def compare_all(ours_marts: dict[str, pl.DataFrame], baselines: dict[str, dict[str, pl.DataFrame]]) -> dict:
    """{baseline: {mart: {"rows": n, "problems": [...]}}} for every baseline against ours."""
    report: dict[str, dict[str, object]] = {}
    for name, marts in baselines.items():
        report[name] = {mart: {"rows_ours": ours_marts[mart].height, "rows_baseline": marts[mart].height,
                               "problems": differences(ours_marts[mart], marts[mart], mart)}
                        for mart in MART_COLUMNS}
    return report


def all_equal(report: dict) -> bool:
    return all(not item["problems"] for marts in report.values() for item in marts.values())
