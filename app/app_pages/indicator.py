"""指標の詳細: one indicator's actuals against baseline and target, forecast band, definition and freshness."""
from __future__ import annotations

import polars as pl
import streamlit as st

from app import charts, queries
from app.formatting import format_date, format_percent, format_value, status_label, unit_label
from app.ui import chart_block, ctx, downloads, not_published, safe, status_line


def _float(value: object) -> float | None:
    return None if value is None else float(value)


def render() -> None:
    c = ctx()
    lang = c.lang
    st.title(c.t("page_indicator"))
    indicators = safe(c, queries.indicator_list)
    if indicators.is_empty():
        not_published(c, "seeds.plan_indicators")
        return
    name = "name_en" if lang == "en" else "name_ja"
    options = indicators["indicator_id"].to_list()
    names = dict(zip(options, indicators[name].to_list()))
    default = st.query_params.get("indicator", "M13-1")
    indicator_id = st.selectbox(c.t("indicator"), options, index=options.index(default) if default in options else 0,
                                format_func=lambda i: f"{i}  {names[i]}", key="ind_pick")
    definition = safe(c, queries.indicator_definition, indicator_id, default={})
    progress = safe(c, queries.indicator_progress, indicator_id)
    unit = definition.get("unit")
    baseline = _float(definition.get("baseline_value"))
    target = _float(definition.get("target_value"))
    target_year = definition.get("target_fiscal_year")
    if not progress.is_empty():
        baseline = _float(progress["baseline_value"][0]) if progress["baseline_value"][0] is not None else baseline
        target = _float(progress["target_value"][0]) if progress["target_value"][0] is not None else target

    st.subheader(f"{indicator_id} {names[indicator_id]}")
    current = progress.filter(pl.col("fiscal_year") == c.fiscal_year) if not progress.is_empty() else progress
    row = current.to_dicts()[0] if current.height else {}
    m1, m2, m3, m4, m5 = st.columns(5)
    m1.metric(f"{c.t('actual')}（{c.fy(c.fiscal_year)}）", format_value(row.get("actual_value"), unit, lang))
    m2.metric(c.t("baseline"), format_value(baseline, unit, lang) if baseline is not None
              else str(definition.get("baseline_text_ja") or "—"))
    m3.metric(f"{c.t('target')}（{c.fy(target_year)}）", format_value(target, unit, lang) if target is not None
              else str(definition.get("target_text_ja") or "—"))
    m4.metric(c.t("achievement_rate"), format_percent(row.get("achievement_rate"), ratio=True))
    m5.metric(c.t("status"), status_label(row.get("progress_status"), lang, with_icon=True))
    source = str(definition.get("source_name") or "")
    st.caption(status_line(c, (source,), ("mart_kpi_indicator_progress", source),
                           through=row.get("data_through_date"), fresh=row.get("is_data_fresh"),
                           passed=row.get("passed_quality_checks")))

    if progress.is_empty():
        not_published(c, "mart_kpi_indicator_progress")
    else:
        years = progress.select("fiscal_year", "actual_value").with_columns(
            pl.col("fiscal_year").map_elements(c.fy, return_dtype=pl.String).alias("fiscal_year_label"))
        forecast = _forecast_frame(c, progress, target_year)
        labels = {"actual": c.t("actual"), "baseline": c.t("baseline"), "target": c.t("target")}
        chart = charts.indicator_chart(years, forecast, baseline, target, labels, unit_label(unit, lang) or "")
        last = progress.drop_nulls("actual_value").tail(1).to_dicts()
        summary = (f"{names[indicator_id]}: " + (
            f"{c.fy(last[0]['fiscal_year'])} {c.t('actual')} {format_value(last[0]['actual_value'], unit, lang)}"
            if last else c.t("no_rows")) + f"、{c.t('target')} {format_value(target, unit, lang)}"
            f"（{c.fy(target_year)}）")
        table = progress.select(
            pl.col("fiscal_year").map_elements(c.fy, return_dtype=pl.String).alias(c.t("fiscal_year")),
            pl.col("actual_value").alias(c.t("actual")),
            pl.col("target_value").alias(c.t("target")),
            (pl.col("achievement_rate") * 100).round(1).alias(c.t("achievement_rate") + " (%)"),
            pl.col("progress_status").map_elements(lambda s: status_label(s, lang), return_dtype=pl.String)
            .alias(c.t("status")),
            pl.col("forecast_target_year_value").alias(c.t("forecast")),
            pl.col("data_through_date").alias(c.t("data_through")),
        )
        st.markdown(f"**{c.t('yearly')}**")
        chart_block(c, chart, table, summary, "ind_years")
        downloads(c, table, f"indicator_{indicator_id}", "ind")

    monthly = safe(c, queries.indicator_monthly, indicator_id)
    if not monthly.is_empty():
        st.markdown(f"**{c.t('monthly')}**")
        chart = charts.monthly_line(monthly, "actual_value", unit_label(unit, lang) or c.t("actual"))
        peak = monthly.sort("actual_value").tail(1).to_dicts()[0]
        summary = f"{monthly.height}{'か月' if lang == 'ja' else ' months'}, max " \
                  f"{format_value(peak['actual_value'], unit, lang)}"
        chart_block(c, chart, monthly, summary, "ind_months")

    st.markdown(f"**{c.t('definition')}**")
    formula = definition.get("formula_ja" if lang == "ja" else "formula_en") or definition.get("formula_ja") \
        or definition.get("formula") or definition.get("note_ja") or "—"
    rows = [
        (c.t("definition"), definition.get(name) or "—"),
        (c.t("unit"), unit_label(unit, lang) or "—"),
        (c.t("owner"), definition.get("owner_departments_ja") or "—"),
        (c.t("source"), f"{definition.get('source_kind') or ''} / {source or '—'}"
                        + (f" ({row['source_detail']})" if row.get("source_detail") else "")),
        (c.t("formula"), formula),
        (c.t("baseline"), f"{definition.get('baseline_text_ja') or '—'}（{c.fy(definition.get('baseline_fiscal_year'))}）"),
        (c.t("target"), f"{definition.get('target_text_ja') or '—'}（{c.fy(target_year)}）"),
        (c.t("data_through"), format_date(row.get("data_through_date"), lang)),
    ]
    st.table(pl.DataFrame({c.t("metric"): [r[0] for r in rows], "": [str(r[1]) for r in rows]}).to_pandas())


def _forecast_frame(c, progress: pl.DataFrame, target_year: object) -> pl.DataFrame:
    """Band from the last actual to the target year: (label, fiscal_year, value, lower, upper)."""
    schema = {"fiscal_year_label": pl.String, "fiscal_year": pl.Int64, "value": pl.Float64,
              "lower": pl.Float64, "upper": pl.Float64}
    known = progress.drop_nulls("actual_value")
    if known.is_empty() or target_year is None or "forecast_target_year_value" not in progress.columns:
        return pl.DataFrame(schema=schema)
    last = known.tail(1).to_dicts()[0]
    if last.get("forecast_target_year_value") is None or int(target_year) <= int(last["fiscal_year"]):
        return pl.DataFrame(schema=schema)
    actual = float(last["actual_value"])
    lower = last.get("forecast_lower")
    upper = last.get("forecast_upper")
    value = float(last["forecast_target_year_value"])
    return pl.DataFrame({
        "fiscal_year_label": [c.fy(last["fiscal_year"]), c.fy(target_year)],
        "fiscal_year": [int(last["fiscal_year"]), int(target_year)],
        "value": [actual, value],
        "lower": [actual, float(lower) if lower is not None else value],
        "upper": [actual, float(upper) if upper is not None else value],
    }, schema=schema)


if __name__ == "__main__":  # Streamlit runs page files as __main__
    render()
