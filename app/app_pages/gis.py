"""GIS: staff logins per business day (M03-1) and maps opened per month (M03-2), ward-wide and by department."""
from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from app import charts, queries
from app.formatting import format_number, format_value
from app.ui import PageContext, chart_block, ctx, not_published, plan_definition, safe, status_line

LOGIN_INDICATOR, MAP_INDICATOR = "M03-1", "M03-2"


def render() -> None:
    c = ctx()
    st.title(c.t("page_gis"))
    usage = safe(c, queries.gis_monthly)
    if usage.is_empty():
        not_published(c, "mart_gis_usage_monthly")
        return
    logins = _indicator_metrics(c)
    _logins_per_business_day(c, logins)
    _maps_by_department(c, usage)


def _indicator_metrics(c: PageContext) -> dict[str, Any]:
    """M03-1 and M03-2 for the year beside their targets; returns the logins indicator's row."""
    lang = c.lang
    logins = safe(c, queries.indicator_year, LOGIN_INDICATOR, c.fiscal_year, default={})
    maps = safe(c, queries.indicator_year, MAP_INDICATOR, c.fiscal_year, default={})
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(f"{c.t('logins_per_day')}（{c.fy(c.fiscal_year)}）", format_value(logins.get("actual_value"), None, lang))
    m2.metric(f"{c.t('target')}（{c.fy(logins.get('target_fiscal_year') or 2020)}）",
              str(logins.get("target_text_ja") or "—"))
    m3.metric(f"{c.t('maps_per_month')}（{c.fy(c.fiscal_year)}）", format_value(maps.get("actual_value"), None, lang))
    m4.metric(f"{c.t('target')}（{c.fy(maps.get('target_fiscal_year') or 2020)}）", str(maps.get("target_text_ja") or "—"))
    st.caption(status_line(c, ("gis_events",), ("mart_gis_usage_monthly",), through=logins.get("data_through_date"),
                           fresh=logins.get("is_data_fresh"), passed=logins.get("passed_quality_checks")))
    return logins


def _logins_per_business_day(c: PageContext, logins: dict[str, Any]) -> None:
    """Ward-wide logins per business day by month, against the plan's baseline."""
    ward = safe(c, queries.gis_ward_monthly)
    latest = ward.tail(1).to_dicts()[0]
    baseline = logins.get("baseline_value")
    chart = charts.monthly_line(ward, "logins_per_business_day", c.t("logins_per_day"),
                                target=None if baseline is None else float(baseline),
                                target_label=f"{c.t('baseline')} {format_number(baseline)}", target_color="#757575")
    chart_block(c, chart, ward.select(
        pl.col("month_start_date").alias(c.t("month")), pl.col("login_count").alias(c.t("logins")),
        pl.col("business_days").alias(c.t("business_days")),
        pl.col("logins_per_business_day").round(1).alias(c.t("logins_per_day"))),
        f"{c.t('logins_per_day')} {format_number(latest['logins_per_business_day'], 1)}"
        f"（{latest['month_start_date']:%Y/%m}）、{c.t('baseline')} {format_number(baseline)}", "gis_logins",
        source="mart_gis_usage_monthly", definition=plan_definition(c, "M03-1"))


def _maps_by_department(c: PageContext, usage: pl.DataFrame) -> None:
    """Maps opened in the year by department, most first."""
    year = usage.filter(pl.col("fiscal_year") == c.fiscal_year)
    by_dept = (year.group_by("department_name_ja").agg(pl.col("map_open_count").sum(), pl.col("login_count").sum())
               .sort("map_open_count", descending=True))
    st.markdown(f"**{c.t('maps_by_department')}（{c.fy(c.fiscal_year)}）**")
    if by_dept.is_empty():
        st.info(c.t("no_rows"))
        return
    top = by_dept.head(1).to_dicts()[0]
    chart_block(c, charts.bar(by_dept, "department_name_ja", "map_open_count", c.t("map_opens")),
                by_dept.select(pl.col("department_name_ja").alias(c.t("department")),
                               pl.col("map_open_count").alias(c.t("map_opens")),
                               pl.col("login_count").alias(c.t("logins"))),
                f"1. {top['department_name_ja']} {format_number(top['map_open_count'])}"
                f"（{by_dept.height}{c.t('departments_suffix')}）", "gis_maps",
                source="mart_gis_usage_monthly")


if __name__ == "__main__":  # Streamlit runs page files as __main__
    render()
