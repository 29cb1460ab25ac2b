"""GIS: staff logins per day and maps opened per month, by department."""
from __future__ import annotations

import polars as pl
import streamlit as st

from app import charts, queries
from app.formatting import format_number
from app.ui import chart_block, ctx, not_published, safe, status_line


def render() -> None:
    c = ctx()
    st.title(c.t("page_gis"))
    usage = safe(c, queries.gis_monthly)
    if usage.is_empty():
        not_published(c, "mart_gis_usage_monthly")
        return
    usage = usage.with_columns(pl.col("logins_per_day").cast(pl.Float64), pl.col("map_open_count").cast(pl.Float64))
    by_month = usage.group_by("month_start_date").agg(pl.col("logins_per_day").sum(),
                                                      pl.col("map_open_count").sum()).sort("month_start_date")
    latest = by_month.tail(1).to_dicts()[0]
    m1, m2 = st.columns(2)
    m1.metric(f"{c.t('logins_per_day')}（{latest['month_start_date']:%Y/%m}）", format_number(latest["logins_per_day"], 1))
    m2.metric(f"{c.t('maps_per_month')}（{latest['month_start_date']:%Y/%m}）", format_number(latest["map_open_count"]))
    st.caption(status_line(c, ("gis_events",), ("mart_gis_usage_monthly",)))
    chart_block(c, charts.monthly_line(usage, "logins_per_day", c.t("logins_per_day"), color="department_name_ja",
                                       color_title=c.t("department")),
                usage.select("month_start_date", "department_name_ja", "logins_per_day"),
                f"{c.t('logins_per_day')} {format_number(latest['logins_per_day'], 1)}（{latest['month_start_date']:%Y/%m}）",
                "gis_logins")
    chart_block(c, charts.stacked_area(usage, "map_open_count", "department_name_ja", c.t("maps_per_month"),
                                       c.t("department")),
                usage.select("month_start_date", "department_name_ja", "map_open_count"),
                f"{c.t('maps_per_month')} {format_number(latest['map_open_count'])}（{latest['month_start_date']:%Y/%m}）",
                "gis_maps")


if __name__ == "__main__":  # Streamlit runs page files as __main__
    render()
