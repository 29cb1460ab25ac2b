"""ホームページ: accesses by fiscal year against the plan's baseline and 3,000,000 target, monthly, pages, devices."""
from __future__ import annotations

import polars as pl
import streamlit as st

from app import charts, queries
from app.formatting import format_man, format_number, format_percent
from app.i18n import DEVICE_NAMES, code_name
from app.ui import (
    PageContext,
    chart_block,
    ctx,
    not_published,
    plan_definition,
    safe,
    status_line,
    year_to_date_label,
)

WEB_INDICATOR = "M13-1"  # plan measure 13: ward website accesses a year, 2,578,895 (FY2015) -> 3,000,000 (FY2020)
DEVICES = ("pc", "smartphone", "tablet", "other")


def render() -> None:
    c = ctx()
    st.title(c.t("page_homepage"))
    monthly = safe(c, queries.web_monthly)
    if monthly.is_empty():
        not_published(c, "mart_web_access_monthly")
        return
    kpi = safe(c, queries.indicator_year, WEB_INDICATOR, c.fiscal_year, default={})
    target = float(monthly["annual_target_page_views"].drop_nulls()[0])
    _headline(c, monthly, kpi, target)
    _by_year(c, monthly, kpi, target)
    _monthly(c, monthly, target)
    left, right = st.columns(2)
    with left:
        _top_pages(c)
    with right:
        _devices(c, monthly)


def _headline(c: PageContext, monthly: pl.DataFrame, kpi: dict, target: float) -> None:
    lang = c.lang
    year = monthly.filter(pl.col("fiscal_year") == c.fiscal_year)
    total = year["page_view_count"].sum() if year.height else None
    baseline = kpi.get("baseline_value")
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(f"{c.t('fy_cumulative')}（{c.fy(c.fiscal_year)}）",
              "—" if total is None else f"{format_man(total, lang)}{c.t('unit_items')}",
              delta=None if not year.height or year.height == 12 else f"{year.height}{c.t('months_so_far')}",
              delta_color="off")
    m2.metric(f"{c.t('baseline')}（{c.fy(kpi.get('baseline_fiscal_year') or 2015)}）",
              "—" if baseline is None else f"{format_number(baseline)}{c.t('unit_items')}")
    m3.metric(f"{c.t('target')}（{c.fy(kpi.get('target_fiscal_year') or 2020)}）",
              f"{format_number(target)}{c.t('unit_items')}")
    m4.metric(c.t("target_ratio"), format_percent(None if total is None else total / target, ratio=True))
    st.caption(status_line(c, ("web_access",), ("mart_web_access_monthly", "fct_web_page_views_daily"),
                           through=kpi.get("data_through_date"), fresh=kpi.get("is_data_fresh"),
                           passed=kpi.get("passed_quality_checks")))


def _by_year(c: PageContext, monthly: pl.DataFrame, kpi: dict, target: float) -> None:
    """Fiscal-year totals beside the plan's baseline (FY2015) and target (FY2020)."""
    lang = c.lang
    years = (monthly.group_by("fiscal_year").agg(pl.col("page_view_count").sum(), pl.len().alias("months"),
                                                 pl.col("month_start_date").max().alias("through_month"))
             .sort("fiscal_year"))
    # the latest year, its data ending before March, is a year to date (令和8年度（10月まで）): drawn apart,
    # never as a full year
    years = years.with_columns(((pl.col("fiscal_year") == pl.col("fiscal_year").max())
                                & (pl.col("through_month").dt.month() != 3)).alias("is_partial"))
    years = years.with_columns(pl.struct("fiscal_year", "is_partial", "through_month").map_elements(
        lambda r: year_to_date_label(c, r["fiscal_year"], r["through_month"]) if r["is_partial"]
        else c.fy(r["fiscal_year"]), return_dtype=pl.String).alias("fiscal_year_label"))
    baseline = kpi.get("baseline_value")
    st.markdown(f"**{c.t('by_year')}**")
    chart = charts.yearly_bars(years, "fiscal_year_label", "page_view_count", c.t("page_views"), partial="is_partial",
                               rules=[(float(baseline), f"{c.t('baseline')} {format_man(baseline, lang)}", "#757575")
                                      if baseline is not None else None,
                                      (target, f"{c.t('target')} {format_man(target, lang)}", "#c62828")])
    base_year = kpi.get("baseline_fiscal_year") or 2015
    base_row = years.filter(pl.col("fiscal_year") == base_year).to_dicts()
    parts = []
    if base_row:
        parts.append(f"{c.fy(base_year)} {format_number(base_row[0]['page_view_count'])}{c.t('unit_items')}"
                     f"（{c.t('baseline')} {format_number(baseline)}）")
    latest = years.filter(pl.col("months") == 12).tail(1).to_dicts()
    if latest:
        parts.append(f"{c.fy(latest[0]['fiscal_year'])} {format_number(latest[0]['page_view_count'])}"
                     f"{c.t('unit_items')}（{c.t('target')} {format_number(target)}）")
    table = years.select(
        pl.col("fiscal_year_label").alias(c.t("fiscal_year")),
        pl.col("page_view_count").map_elements(format_number, return_dtype=pl.String).alias(c.t("page_views")),
        pl.col("months").alias(c.t("months")),
        (pl.col("page_view_count") / target * 100).round(1).alias(c.t("target_ratio") + " (%)"))
    chart_block(c, chart, table, " → ".join(parts), "web_years",
                source="mart_web_access_monthly",
                definition=plan_definition(c, "M13-1"))


def _monthly(c: PageContext, monthly: pl.DataFrame, target: float) -> None:
    lang = c.lang
    recent = monthly.filter(pl.col("fiscal_year") >= c.fiscal_year - 2).with_columns(
        pl.col("fiscal_year").map_elements(c.fy, return_dtype=pl.String).alias("fiscal_year_label"))
    st.markdown(f"**{c.t('fy_cumulative')}**")
    chart = charts.fytd_lines(recent, "fiscal_ytd_page_view_count", "fiscal_year_label", c.t("fy_cumulative"),
                              c.t("fiscal_year"), target=target,
                              target_label=f"{c.t('target')} {format_man(target, lang)}")
    year = monthly.filter(pl.col("fiscal_year") == c.fiscal_year)
    summary = (f"{c.fy(c.fiscal_year)} {c.t('fy_cumulative')} "
               f"{format_man(year['page_view_count'].sum(), lang)}{c.t('unit_items')} ／ {c.t('target')} "
               f"{format_man(target, lang)}{c.t('unit_items')}")
    table = monthly.select(
        pl.col("month_start_date").alias(c.t("month")), pl.col("page_view_count").alias(c.t("page_views")),
        pl.col("fiscal_ytd_page_view_count").alias(c.t("fy_cumulative")),
        pl.col("yoy_change_pct").round(1).alias(c.t("yoy") + " (%)"))
    chart_block(c, chart, table, summary, "web_cum", source="mart_web_access_monthly")


def _top_pages(c: PageContext) -> None:
    lang = c.lang
    st.markdown(f"**{c.t('top_pages')}（{c.fy(c.fiscal_year)}）**")
    pages = safe(c, queries.web_top_pages, c.fiscal_year)
    if pages.is_empty():
        st.info(c.t("no_rows"))
        return
    pages = pages.with_columns(pl.coalesce("page_title_ja", "page_path").alias("page"))
    chart_block(c, charts.bar(pages, "page", "page_view_count", c.t("page_views")),
                pages.select(pl.col("page").alias(c.t("page")), "page_path",
                             pl.col("page_view_count").alias(c.t("page_views"))),
                f"1. {pages['page'][0]} {format_man(pages['page_view_count'][0], lang)}{c.t('unit_items')}",
                "web_pages", source="fct_web_page_views_daily")


def _devices(c: PageContext, monthly: pl.DataFrame) -> None:
    lang = c.lang
    st.markdown(f"**{c.t('device_mix')}（{c.fy(c.fiscal_year)}）**")
    year = monthly.filter(pl.col("fiscal_year") == c.fiscal_year)
    devices = pl.DataFrame({
        "device": [code_name(DEVICE_NAMES, d, lang) for d in DEVICES],
        "page_view_count": [int(year[f"{d}_page_view_count"].sum()) for d in DEVICES],
    }).filter(pl.col("page_view_count") > 0)
    if devices.is_empty():
        st.info(c.t("no_rows"))
        return
    devices = devices.with_columns((pl.col("page_view_count") / pl.col("page_view_count").sum()).alias("share"))
    summary = "、".join(f"{d} {format_percent(s, ratio=True)}" for d, s in
                       zip(devices["device"].to_list(), devices["share"].to_list()))
    chart_block(c, charts.donut(devices, "device", "page_view_count", c.t("device")),
                devices.select(pl.col("device").alias(c.t("device")),
                               pl.col("page_view_count").alias(c.t("page_views")),
                               (pl.col("share") * 100).round(1).alias(c.t("share") + " (%)")), summary, "web_devices",
                source="mart_web_access_monthly")


if __name__ == "__main__":  # Streamlit runs page files as __main__
    render()
