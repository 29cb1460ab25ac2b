"""エネルギー: electricity, gas, water and CO₂ of the ward's facilities by month, year on year, top users, a map."""
from __future__ import annotations

import polars as pl
import streamlit as st

from app import charts, queries
from app.formatting import format_man, format_percent
from app.ui import PageContext, chart_block, ctx, not_published, safe, status_line

LABEL_KEYS = {"electricity_kwh": "electricity", "gas_m3": "gas", "water_m3": "water", "co2_kg": "co2"}


def render() -> None:
    c = ctx()
    st.title(c.t("page_energy"))
    totals = safe(c, queries.energy_monthly_totals)
    if totals.is_empty():
        not_published(c, "mart_facility_energy_monthly")
        return
    metric = st.radio(c.t("metric"), list(queries.ENERGY_METRICS), format_func=lambda m: c.t(LABEL_KEYS[m]),
                      horizontal=True, key="energy_metric")
    label = c.t(LABEL_KEYS[metric])
    totals = totals.with_columns(pl.col(metric).cast(pl.Float64))
    this_year, yoy = _year_metrics(c, totals, metric, label)
    _monthly(c, totals, metric, label, this_year, yoy)
    facilities = safe(c, queries.energy_by_facility, metric, c.fiscal_year)
    st.markdown(f"**{c.t('top_consumers')}（{c.fy(c.fiscal_year)}）**")
    if facilities.is_empty():
        st.info(c.t("no_rows"))
        return
    _top_consumers(c, facilities, label)
    _facility_map(c, facilities, label)


def _year_metrics(c: PageContext, totals: pl.DataFrame, metric: str, label: str) -> tuple[float, float | None]:
    """The year's total, its change on the year before and the facility count; returns (total, change)."""
    this_year = totals.filter(pl.col("fiscal_year") == c.fiscal_year)[metric].sum()
    last_year = totals.filter(pl.col("fiscal_year") == c.fiscal_year - 1)[metric].sum()
    yoy = (this_year / last_year - 1) if last_year else None
    m1, m2, m3 = st.columns(3)
    m1.metric(f"{label}（{c.fy(c.fiscal_year)}）", format_man(this_year, c.lang))
    m2.metric(f"{c.t('yoy_year')}（{c.fy(c.fiscal_year - 1)}）", format_percent(yoy, ratio=True) if yoy is None
              else f"{yoy * 100:+.1f}%")
    m3.metric(c.t("facilities"), f"{int(totals.filter(pl.col('fiscal_year') == c.fiscal_year)['facility_count'].max() or 0)}")
    st.caption(status_line(c, ("energy_readings_monthly", "energy_readings_interval"), ("mart_facility_energy_monthly",)))
    return this_year, yoy


def _monthly(c: PageContext, totals: pl.DataFrame, metric: str, label: str, this_year: float,
             yoy: float | None) -> None:
    """The metric by month, with its change on the same month a year before."""
    monthly = totals.select("month_start_date", "fiscal_year", metric).with_columns(
        pl.col(metric).shift(12).alias("previous_year"))
    monthly = monthly.with_columns(((pl.col(metric) / pl.col("previous_year") - 1) * 100).round(1).alias("yoy_pct"))
    chart_block(c, charts.monthly_line(monthly, metric, label), monthly.select(
        pl.col("month_start_date").alias(c.t("month")), pl.col(metric).round(1).alias(label),
        pl.col("yoy_pct").alias(c.t("yoy") + " (%)")),
        f"{label} {c.fy(c.fiscal_year)} {format_man(this_year, c.lang)}、{c.t('yoy_year')} "
        f"{'—' if yoy is None else f'{yoy * 100:+.1f}%'}", "energy_monthly",
        source="mart_facility_energy_monthly")


def _top_consumers(c: PageContext, facilities: pl.DataFrame, label: str) -> None:
    """The ten facilities that used the most in the year."""
    top = facilities.drop_nulls("value").head(10)
    chart_block(c, charts.bar(top, "facility_name_ja", "value", label),
                top.select(pl.col("facility_name_ja").alias(c.t("facility")), "facility_kind_ja",
                           pl.col("value").round(1).alias(label)),
                f"1. {top['facility_name_ja'][0]} {format_man(top['value'][0], c.lang)}", "energy_top",
                source="mart_facility_energy_monthly")


def _facility_map(c: PageContext, facilities: pl.DataFrame, label: str) -> None:
    """The facilities with a location on a map, sized by the year's use."""
    st.markdown(f"**{c.t('facility_map')}（{c.fy(c.fiscal_year)}）**")
    points = facilities.drop_nulls(["latitude", "longitude", "value"])
    if points.is_empty():
        st.info(c.t("no_rows"))
        return
    chart_block(c, charts.point_map(points, "value", "facility_name_ja", label),
                points.select(pl.col("facility_name_ja").alias(c.t("facility")), "latitude", "longitude",
                              pl.col("value").round(1).alias(label)),
                f"{points.height}{c.t('facilities_suffix')}", "energy_map",
                source="mart_facility_energy_monthly")


if __name__ == "__main__":  # Streamlit runs page files as __main__
    render()
