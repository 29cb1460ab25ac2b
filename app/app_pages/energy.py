"""エネルギー: electricity, gas, water and CO₂ by facility and month, year on year, top consumers, a map."""
from __future__ import annotations

import polars as pl
import streamlit as st

from app import charts, queries
from app.formatting import format_man, format_percent
from app.ui import chart_block, ctx, not_published, safe, status_line

METRICS = ("electricity_kwh", "gas_m3", "water_m3", "co2_kg")
LABEL_KEYS = {"electricity_kwh": "electricity", "gas_m3": "gas", "water_m3": "water", "co2_kg": "co2"}


def render() -> None:
    c = ctx()
    lang = c.lang
    st.title(c.t("page_energy"))
    energy = safe(c, queries.energy_monthly)
    if energy.is_empty():
        not_published(c, "mart_facility_energy_monthly")
        return
    energy = energy.with_columns([pl.col(m).cast(pl.Float64) for m in METRICS]).with_columns(
        pl.when(pl.col("month_start_date").dt.month() >= 4).then(pl.col("month_start_date").dt.year())
        .otherwise(pl.col("month_start_date").dt.year() - 1).cast(pl.Int32).alias("fiscal_year"))
    metric = st.radio(c.t("metric"), [m for m in METRICS if energy[m].null_count() < energy.height],
                      format_func=lambda m: c.t(LABEL_KEYS[m]), horizontal=True, key="energy_metric")
    label = c.t(LABEL_KEYS[metric])
    this_year = energy.filter(pl.col("fiscal_year") == c.fiscal_year)[metric].sum()
    last_year = energy.filter(pl.col("fiscal_year") == c.fiscal_year - 1)[metric].sum()
    yoy = (this_year / last_year - 1) if last_year else None
    m1, m2 = st.columns(2)
    m1.metric(f"{label}（{c.fy(c.fiscal_year)}）", format_man(this_year, lang),
              delta=None if yoy is None else f"{yoy * 100:+.1f}%", delta_color="inverse")
    m2.metric(c.t("yoy"), format_percent(yoy, ratio=True))
    st.caption(status_line(c, ("energy_readings_monthly", "energy_readings_interval"), ("mart_facility_energy_monthly",)))

    monthly = energy.group_by("month_start_date").agg(pl.col(metric).sum()).sort("month_start_date").with_columns(
        pl.col(metric).shift(12).alias("previous_year"))
    monthly = monthly.with_columns((pl.col(metric) / pl.col("previous_year") - 1).alias("yoy"))
    chart_block(c, charts.monthly_line(monthly, metric, label), monthly,
                f"{label} {c.fy(c.fiscal_year)} {format_man(this_year, lang)}、{c.t('yoy')} {format_percent(yoy, ratio=True)}",
                "energy_monthly")
    top = (energy.filter(pl.col("fiscal_year") == c.fiscal_year).group_by("facility_code", "facility_name_ja")
           .agg(pl.col(metric).sum()).sort(metric, descending=True).head(10))
    st.markdown(f"**{c.t('top_consumers')}（{c.fy(c.fiscal_year)}）**")
    if top.height:
        top = top.with_columns(pl.coalesce("facility_name_ja", "facility_code").alias("facility"))
        chart_block(c, charts.bar(top, "facility", metric, label), top.select("facility", "facility_code", metric),
                    f"1. {top['facility'][0]} {format_man(top[metric][0], lang)}", "energy_top")
    st.markdown(f"**{c.t('facility_map')}**")
    points = (energy.filter(pl.col("fiscal_year") == c.fiscal_year)
              .group_by("facility_code", "facility_name_ja", "latitude", "longitude").agg(pl.col(metric).sum())
              .drop_nulls(["latitude", "longitude"]))
    if points.is_empty():
        points = safe(c, queries.facilities)
        points = points.with_columns(pl.lit(None, dtype=pl.Float64).alias(metric)) if not points.is_empty() else points
    if points.is_empty():
        st.info(c.t("no_rows"))
    else:
        points = points.with_columns(pl.col("latitude").cast(pl.Float64), pl.col("longitude").cast(pl.Float64))
        chart_block(c, charts.point_map(points, metric if points[metric].null_count() == 0 else None,
                                        "facility_name_ja", label), points,
                    f"{points.height}{'施設' if lang == 'ja' else ' facilities'}", "energy_map")


if __name__ == "__main__":  # Streamlit runs page files as __main__
    render()
