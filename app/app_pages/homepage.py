"""ホームページ: monthly accesses against the 3,000,000 annual target, top pages, device mix."""
from __future__ import annotations

import polars as pl
import streamlit as st

from app import charts, queries
from app.formatting import format_man, format_percent
from app.i18n import DEVICE_NAMES, code_name
from app.ui import chart_block, ctx, not_published, safe, status_line

ANNUAL_TARGET = 3_000_000  # plan measure 13 (M13-1): 3,000,000 accesses a year by FY2020


def render() -> None:
    c = ctx()
    lang = c.lang
    st.title(c.t("page_homepage"))
    monthly = safe(c, queries.web_monthly)
    if monthly.is_empty():
        not_published(c, "fct_web_page_views_daily")
        return
    monthly = monthly.with_columns(
        pl.col("page_view_count").cast(pl.Float64),
        pl.when(pl.col("month_start_date").dt.month() >= 4).then(pl.col("month_start_date").dt.year())
        .otherwise(pl.col("month_start_date").dt.year() - 1).cast(pl.Int32).alias("fiscal_year"))
    monthly = monthly.with_columns(pl.col("page_view_count").cum_sum().over("fiscal_year").alias("fy_cumulative"))
    year = monthly.filter(pl.col("fiscal_year") == c.fiscal_year)
    total = year["page_view_count"].sum() if year.height else None
    m1, m2, m3 = st.columns(3)
    m1.metric(f"{c.t('fy_cumulative')}（{c.fy(c.fiscal_year)}）", format_man(total, lang))
    m2.metric(c.t("annual_target"), format_man(ANNUAL_TARGET, lang))
    m3.metric(c.t("achievement_rate"), format_percent(None if total is None else total / ANNUAL_TARGET, ratio=True))
    st.caption(status_line(c, ("web_page_views_daily", "web_access_log"), ("fct_web_page_views_daily",)))
    chart = charts.monthly_line(monthly, "fy_cumulative", c.t("fy_cumulative"), color="fiscal_year",
                                color_title=c.t("fiscal_year"), target=ANNUAL_TARGET, target_label=c.t("annual_target"))
    summary = f"{c.fy(c.fiscal_year)} {c.t('fy_cumulative')} {format_man(total, lang)} / {format_man(ANNUAL_TARGET, lang)}"
    chart_block(c, chart, monthly.select("month_start_date", "page_view_count", "fy_cumulative"), summary, "web_cum")
    chart = charts.monthly_line(monthly, "page_view_count", c.t("page_views"))
    peak = monthly.sort("page_view_count").tail(1).to_dicts()[0]
    chart_block(c, chart, monthly.select("month_start_date", "page_view_count"),
                f"{c.t('page_views')} max {format_man(peak['page_view_count'], lang)}（{peak['month_start_date']:%Y/%m}）",
                "web_monthly")
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{c.t('top_pages')}（{c.fy(c.fiscal_year)}）**")
        pages = safe(c, queries.web_top_pages, c.fiscal_year)
        if not pages.is_empty():
            pages = pages.with_columns(pl.coalesce("page_title_ja", "page_path").alias("page"))
            chart_block(c, charts.bar(pages, "page", "page_view_count", c.t("page_views")),
                        pages.select("page", "page_path", "page_view_count"),
                        f"1. {pages['page'][0]} {format_man(pages['page_view_count'][0], lang)}", "web_pages")
    with right:
        st.markdown(f"**{c.t('device_mix')}（{c.fy(c.fiscal_year)}）**")
        devices = safe(c, queries.web_devices, c.fiscal_year)
        if not devices.is_empty():
            devices = devices.with_columns(
                pl.col("device_type").map_elements(lambda d: code_name(DEVICE_NAMES, d, lang), return_dtype=pl.String)
                .alias("device"), (pl.col("page_view_count") / pl.col("page_view_count").sum()).alias("share"))
            summary = "、".join(f"{d} {format_percent(s, ratio=True)}" for d, s in
                               zip(devices["device"].to_list(), devices["share"].to_list()))
            chart_block(c, charts.donut(devices, "device", "page_view_count", c.t("device")),
                        devices.select("device", "page_view_count", "share"), summary, "web_devices")


if __name__ == "__main__":  # Streamlit runs page files as __main__
    render()
