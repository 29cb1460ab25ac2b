"""指標の詳細: one indicator's actuals against baseline and target, forecast band, definition and freshness."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl
import streamlit as st

from app import charts, queries, url_state
from app.formatting import format_date, format_percent, format_value, status_label, unit_label
from app.ui import (
    PageContext,
    chart_block,
    ctx,
    indicator_extracts,
    not_published,
    safe,
    status_line,
    year_to_date_label,
)

DEFAULT_INDICATOR = "M13-1"


def _float(value: object) -> float | None:
    return None if value is None else float(value)


def _first(progress: pl.DataFrame, column: str) -> Any:
    values = [v for v in progress[column].to_list() if v is not None] if column in progress.columns else []
    return values[0] if values else None


@dataclass(frozen=True)
class _Indicator:
    """The chosen indicator: its definition, yearly progress and this fiscal year's row, with the plan's figures."""

    indicator_id: str
    title: str
    definition: dict[str, Any]
    progress: pl.DataFrame
    row: dict[str, Any]  # the selected fiscal year's progress ({} when none)
    unit: Any
    baseline: float | None
    target: float | None
    baseline_year: Any
    target_year: Any
    year_to_date: dict[int, dict[str, Any]]  # fiscal year in progress -> its last month with data (monthly ones)

    def year_label(self, c: PageContext, fiscal_year: Any) -> str:
        """令和2年度, or 令和8年度（10月まで） for a year in progress: never mistaken for a full year."""
        ytd = self.year_to_date.get(int(fiscal_year)) if fiscal_year is not None else None
        if ytd is None:
            return c.fy(fiscal_year)
        return year_to_date_label(c, fiscal_year, ytd["through_month"])


def render() -> None:
    c = ctx()
    st.title(c.t("page_indicator"))
    indicators = safe(c, queries.indicator_list)
    if indicators.is_empty():
        not_published(c, "dim_indicator")
        return
    titles = _titles(indicators, c.lang)
    indicator = _load(c, _pick_indicator(c, titles), titles)
    _heading(c, indicator)
    _headline_metrics(c, indicator)
    _status_caption(c, indicator)
    _baseline_and_forecast_notes(c, indicator.row, indicator.progress, indicator.unit)
    _year_to_date_note(c, indicator)
    if indicator.progress.is_empty():
        not_published(c, "mart_kpi_indicator_progress")
    else:
        _yearly(c, indicator)
    monthly = safe(c, queries.indicator_monthly, indicator.indicator_id)
    if not monthly.is_empty():
        _monthly(c, monthly, indicator)
    _definition_table(c, indicator)


def _titles(indicators: pl.DataFrame, lang: str) -> dict[str, str]:
    """Indicator id → its name in the language, with the sub-item first when there is one."""
    name = "name_en" if lang == "en" else "name_ja"
    return {i: (f"{sub}: {n}" if sub else n) for i, n, sub in
            zip(indicators["indicator_id"].to_list(), indicators[name].to_list(),
                indicators["sub_item_ja"].to_list())}


def _pick_indicator(c: PageContext, titles: dict[str, str]) -> str:
    """The indicator selector, in the URL as ?indicator= (an unknown id: a notice and M13-1)."""
    options = list(titles)
    url_state.seed("indicator", "ind_pick", options)
    url_state.notices(c.lang)
    if st.session_state.get("ind_pick") not in options:
        st.session_state["ind_pick"] = DEFAULT_INDICATOR if DEFAULT_INDICATOR in options else options[0]
    chosen = st.selectbox(c.t("indicator"), options, format_func=lambda i: f"{i}  {titles[i]}", key="ind_pick")
    url_state.publish("indicator", chosen)
    return chosen


def _load(c: PageContext, indicator_id: str, titles: dict[str, str]) -> _Indicator:
    """Definition and progress of one indicator; the baseline and target fall back to the effective ones."""
    definition = safe(c, queries.indicator_definition, indicator_id, default={})
    progress = safe(c, queries.indicator_progress, indicator_id)
    baseline = _float(definition.get("baseline_value"))
    if baseline is None and not progress.is_empty():
        baseline = _float(_first(progress, "effective_baseline_value"))
    target = _float(definition.get("target_value"))
    if target is None and not progress.is_empty():
        target = _float(_first(progress, "effective_target_value"))
    current = progress.filter(pl.col("fiscal_year") == c.fiscal_year) if not progress.is_empty() else progress
    year_to_date = {int(r["fiscal_year"]): r for r in safe(c, queries.indicator_year_to_date, indicator_id).to_dicts()}
    return _Indicator(indicator_id, titles[indicator_id], definition, progress,
                      current.to_dicts()[0] if current.height else {}, definition.get("unit"), baseline, target,
                      definition.get("baseline_fiscal_year"), definition.get("target_fiscal_year"), year_to_date)


def _heading(c: PageContext, indicator: _Indicator) -> None:
    """The indicator's title, then its measure and owner departments."""
    definition = indicator.definition
    st.subheader(f"{indicator.indicator_id} {indicator.title}")
    measure = definition.get("measure_name_en" if c.lang == "en" else "measure_name_ja")
    st.caption(f"{c.t('measure')} {definition.get('measure_id')}: {measure} ・ {c.t('owner')}: "
               f"{definition.get('owner_departments_ja') or '—'}")


def _headline_metrics(c: PageContext, indicator: _Indicator) -> None:
    """Actual, baseline, target, achievement rate and status of the selected fiscal year."""
    lang, unit, row, definition = c.lang, indicator.unit, indicator.row, indicator.definition
    m1, m2, m3, m4, m5 = st.columns(5)
    ytd = indicator.year_to_date.get(c.fiscal_year)
    change = None if ytd is None else _change_text(ytd, c)
    m1.metric(f"{c.t('actual')}（{indicator.year_label(c, c.fiscal_year)}）",
              format_value(row.get("actual_value"), unit, lang), delta=change, delta_color="off")
    m2.metric(f"{c.t('baseline')}（{c.fy(indicator.baseline_year)}）",
              format_value(indicator.baseline, unit, lang) if definition.get("baseline_value") is not None
              else str(definition.get("baseline_text_ja") or "—"))
    m3.metric(f"{c.t('target')}（{c.fy(indicator.target_year)}）",
              format_value(indicator.target, unit, lang) if definition.get("target_value") is not None
              else str(definition.get("target_text_ja") or "—"))
    m4.metric(c.t("achievement_rate"), format_percent(row.get("achievement_rate"), ratio=True))
    m5.metric(c.t("status"), status_label(row.get("progress_status"), lang, with_icon=True))


def _status_caption(c: PageContext, indicator: _Indicator) -> None:
    """Where the figure comes from, how fresh it is and whether it passed the quality checks."""
    row = indicator.row
    source = str(indicator.definition.get("source_name") or "")
    st.caption(status_line(c, (source,), ("mart_kpi_indicator_progress",),
                           through=row.get("data_through_date"), fresh=row.get("is_data_fresh"),
                           passed=row.get("passed_quality_checks")))


def _definition_table(c: PageContext, indicator: _Indicator) -> None:
    """The indicator's definition as the plan states it: unit, owner, source, formula, baseline, target, notes."""
    lang, definition, row = c.lang, indicator.definition, indicator.row
    name = "name_en" if lang == "en" else "name_ja"
    source = str(definition.get("source_name") or "")
    st.markdown(f"**{c.t('definition')}**")
    rows = [
        (c.t("indicator"), definition.get(name) or "—"),
        (c.t("unit"), unit_label(indicator.unit, lang) or "—"),
        (c.t("owner"), definition.get("owner_departments_ja") or "—"),
        (c.t("source"), f"{definition.get('source_kind') or ''} / {source or '—'}"),
        (c.t("formula"), row.get("source_detail") or _first(indicator.progress, "source_detail") or "—"),
        (c.t("baseline"), f"{definition.get('baseline_text_ja') or '—'}（{c.fy(indicator.baseline_year)}）"),
        (c.t("target"), f"{definition.get('target_text_ja') or '—'}（{c.fy(indicator.target_year)}）"),
        ("※", definition.get("note_ja") or "—"),
        (c.t("data_through"), format_date(row.get("data_through_date"), lang)),
    ]
    st.table(pl.DataFrame({c.t("metric"): [r[0] for r in rows], "": [str(r[1]) for r in rows]})
             .to_pandas().set_index(c.t("metric")))


def _baseline_and_forecast_notes(c: PageContext, row: dict[str, Any], progress: pl.DataFrame, unit: Any) -> None:
    """Say whether our recomputed baseline matches the plan's and where the trend leads."""
    notes = []
    recomputed = _first(progress, "baseline_actual_value") if not progress.is_empty() else None
    if recomputed is not None:
        matches = _first(progress, "baseline_matches_plan")
        verdict = "" if matches is None else ("（◯ " + c.t("baseline_matches") + "）" if matches
                                              else "（× " + c.t("baseline_differs") + "）")
        notes.append(f"{c.t('baseline_check')}: {format_value(recomputed, unit, c.lang, exact=True)}{verdict}")
    if row.get("forecast_target_year_value") is not None:
        reach = row.get("will_reach_target_forecast")
        notes.append(f"{c.t('forecast')}: {format_value(row['forecast_target_year_value'], unit, c.lang)}"
                     f"（{format_value(row.get('forecast_lower'), unit, c.lang)}〜"
                     f"{format_value(row.get('forecast_upper'), unit, c.lang)}）"
                     + ("" if reach is None else " ・ " + c.t("forecast_reach" if reach else "forecast_miss")))
    if notes:
        st.caption(" ／ ".join(notes))


def _change_text(ytd: dict[str, Any], c: PageContext) -> str | None:
    """'前年度同期比 +29.8%': the year to date against the same months of the previous year."""
    now, before = ytd.get("actual_value_fytd"), ytd.get("previous_year_actual_value_fytd")
    if now is None or not before:
        return None
    return f"{c.t('vs_previous_same_months')} {(float(now) / float(before) - 1) * 100:+.1f}%"


def _year_to_date_note(c: PageContext, indicator: _Indicator) -> None:
    """Say that the chosen year is in progress and what it is compared with, above its figures."""
    ytd = indicator.year_to_date.get(c.fiscal_year)
    if ytd is None:
        return
    st.info(c.t("ytd_note", label=indicator.year_label(c, c.fiscal_year),
                value=format_value(ytd["actual_value_fytd"], indicator.unit, c.lang),
                previous=format_value(ytd.get("previous_year_actual_value_fytd"), indicator.unit, c.lang),
                change=_change_text(ytd, c) or "—"))


def _yearly(c: PageContext, indicator: _Indicator) -> None:
    """Actuals of complete years on a line; a year in progress apart, beside the same months of the year before."""
    lang, progress, unit = c.lang, indicator.progress, indicator.unit
    baseline, target, target_year = indicator.baseline, indicator.target, indicator.target_year
    in_progress = list(indicator.year_to_date)
    complete = progress.filter(~pl.col("fiscal_year").is_in(in_progress))
    years = complete.select("fiscal_year", "actual_value")
    recomputed = _first(progress, "baseline_actual_value")
    baseline_year = indicator.baseline_year
    if recomputed is not None and baseline_year is not None and baseline_year not in years["fiscal_year"].to_list():
        years = pl.concat([pl.DataFrame({"fiscal_year": [int(baseline_year)], "actual_value": [float(recomputed)]},
                                        schema=years.schema), years])
    years = years.with_columns(pl.col("fiscal_year").map_elements(c.fy, return_dtype=pl.String)
                               .alias("fiscal_year_label"))
    forecast = _forecast_frame(c, complete, target_year)
    labels = {"actual": c.t("actual"),
              "baseline": f"{c.t('baseline')} {format_value(baseline, unit, lang)}",
              "target": f"{c.t('target')} {format_value(target, unit, lang)}（{c.fy(target_year)}）"}
    chart = charts.indicator_chart(years, forecast, baseline, target, labels, unit_label(unit, lang) or "",
                                   year_to_date=_year_to_date_frame(c, indicator))
    last = progress.drop_nulls("actual_value").tail(1).to_dicts()
    summary = f"{indicator.title}: " + (
        f"{indicator.year_label(c, last[0]['fiscal_year'])} {c.t('actual')} "
        f"{format_value(last[0]['actual_value'], unit, lang)}" if last else c.t("no_rows"))
    ytd_last = indicator.year_to_date.get(int(last[0]["fiscal_year"])) if last else None
    if ytd_last is not None:
        summary += (f"（{c.t('previous_same_months')} "
                    f"{format_value(ytd_last.get('previous_year_actual_value_fytd'), unit, lang)}）")
    summary += f"、{c.t('target')} {format_value(target, unit, lang)}（{c.fy(target_year)}）"
    previous_same_months = {year: row.get("previous_year_actual_value_fytd")
                            for year, row in indicator.year_to_date.items()}
    table = progress.select(
        pl.col("fiscal_year").map_elements(lambda y: indicator.year_label(c, y), return_dtype=pl.String)
        .alias(c.t("fiscal_year")),
        pl.col("actual_value").alias(c.t("actual")),
        pl.col("fiscal_year").replace_strict(previous_same_months, default=None, return_dtype=pl.Float64)
        .alias(c.t("previous_same_months")),
        pl.col("effective_target_value").alias(c.t("target")),
        (pl.col("achievement_rate") * 100).round(1).alias(c.t("achievement_rate") + " (%)"),
        (pl.col("expected_progress_rate") * 100).round(1).alias(c.t("expected_progress") + " (%)"),
        pl.col("progress_status").map_elements(lambda s: status_label(s, lang), return_dtype=pl.String)
        .alias(c.t("status")),
        pl.col("forecast_target_year_value").alias(c.t("forecast")),
        pl.col("data_through_date").alias(c.t("data_through")),
        pl.col("passed_quality_checks").alias(c.t("quality_passed")),
    )
    st.markdown(f"**{c.t('yearly')}**")
    chart_block(c, chart, table, summary, "ind_years", source="mart_kpi_indicator_progress",
                definition=_definition_text(c, indicator), extracts=_extracts(c, indicator),
                file_stem=f"indicator_{indicator.indicator_id}", excel=True)


def _year_to_date_frame(c: PageContext, indicator: _Indicator) -> pl.DataFrame:
    """The points of the years in progress: the value to date and the same months of the previous year."""
    rows = []
    for year, ytd in indicator.year_to_date.items():
        label = indicator.year_label(c, year)
        rows.append((label, year, c.t("ytd_point"), ytd["actual_value_fytd"]))
        if ytd.get("previous_year_actual_value_fytd") is not None:
            rows.append((label, year, c.t("previous_same_months"), ytd["previous_year_actual_value_fytd"]))
    return pl.DataFrame(rows, schema={"fiscal_year_label": pl.String, "fiscal_year": pl.Int64, "series": pl.String,
                                      "value": pl.Float64}, orient="row")


def _extracts(c: PageContext, indicator: _Indicator) -> tuple[str, ...]:
    return indicator_extracts(c, str(indicator.definition.get("source_name") or ""))


def _definition_text(c: PageContext, indicator: _Indicator) -> str:
    """The plan's definition of the indicator for the charts' 出典: name, 現状値 → 目標, how it is computed."""
    definition = indicator.definition
    formula = indicator.row.get("source_detail") or _first(indicator.progress, "source_detail")
    text = (f"{indicator.indicator_id} {indicator.title}（{c.t('baseline')} {definition.get('baseline_text_ja') or '—'}"
            f"（{c.fy(indicator.baseline_year)}）→ {c.t('target')} {definition.get('target_text_ja') or '—'}"
            f"（{c.fy(indicator.target_year)}））")
    return text + (f" ・ {c.t('formula')}: {formula}" if formula else "")


def _monthly(c: PageContext, monthly: pl.DataFrame, indicator: _Indicator) -> None:
    lang, unit = c.lang, indicator.unit
    series = {"actual_value_month": c.t("month_value"), "actual_value_fytd": c.t("fytd_value"),
              "target_value_fytd": c.t("fytd_target")}
    monthly = monthly.filter(pl.col("fiscal_year").is_between(c.fiscal_year - 1, c.fiscal_year))
    if monthly.is_empty():
        return
    long = (monthly.unpivot(index=["month_start_date", "fiscal_year"], on=list(series), variable_name="series",
                            value_name="value")
            .with_columns(pl.col("series").replace_strict(series), pl.col("value").cast(pl.Float64)).drop_nulls("value"))
    st.markdown(f"**{c.t('monthly')}**")
    chart = charts.monthly_line(long, "value", unit_label(unit, lang) or c.t("actual"), color="series",
                                color_title="", color_scale=(list(series.values()),
                                                             ["#9e9e9e", "#1565c0", "#c62828"]),
                                detail="fiscal_year")  # year-to-date lines restart each April: no joining line
    latest = monthly.tail(1).to_dicts()[0]
    summary = (f"{latest['month_start_date']:%Y/%m}: {c.t('month_value')} "
               f"{format_value(latest['actual_value_month'], unit, lang)}、{c.t('fytd_value')} "
               f"{format_value(latest['actual_value_fytd'], unit, lang)}、{c.t('fytd_target')} "
               f"{format_value(latest['target_value_fytd'], unit, lang)}")
    table = monthly.select(
        pl.col("month_start_date").alias(c.t("month")), pl.col("actual_value_month").alias(c.t("month_value")),
        pl.col("actual_value_fytd").alias(c.t("fytd_value")), pl.col("target_value_fytd").alias(c.t("fytd_target")))
    chart_block(c, chart, table, summary, "ind_months", source="mart_kpi_indicator_progress_monthly",
                definition=_definition_text(c, indicator), extracts=_extracts(c, indicator),
                file_stem=f"indicator_{indicator.indicator_id}_monthly")


def _forecast_frame(c: PageContext, progress: pl.DataFrame, target_year: object) -> pl.DataFrame:
    """Band from the last actual to the target year: (label, fiscal_year, value, lower, upper)."""
    schema = {"fiscal_year_label": pl.String, "fiscal_year": pl.Int64, "value": pl.Float64,
              "lower": pl.Float64, "upper": pl.Float64}
    known = progress.drop_nulls("actual_value")
    if known.is_empty() or target_year is None:
        return pl.DataFrame(schema=schema)
    last = known.tail(1).to_dicts()[0]
    if last.get("forecast_target_year_value") is None or int(target_year) <= int(last["fiscal_year"]):
        return pl.DataFrame(schema=schema)
    actual = float(last["actual_value"])
    value = float(last["forecast_target_year_value"])
    lower, upper = last.get("forecast_lower"), last.get("forecast_upper")
    return pl.DataFrame({
        "fiscal_year_label": [c.fy(last["fiscal_year"]), c.fy(target_year)],
        "fiscal_year": [int(last["fiscal_year"]), int(target_year)],
        "value": [actual, value],
        "lower": [actual, float(lower) if lower is not None else value],
        "upper": [actual, float(upper) if upper is not None else value],
    }, schema=schema)


if __name__ == "__main__":  # Streamlit runs page files as __main__
    render()
