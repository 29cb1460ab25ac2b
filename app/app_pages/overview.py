"""計画の概要: the 35 measures by basic goal and focus strategy, with status, suggested grade and trend."""
from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import streamlit as st

from app import charts, queries
from app.formatting import STATUS_ORDER, grade_label, normalize_status, status_label
from app.ui import PageContext, chart_block, ctx, safe, status_line

INDICATOR_SOURCES = ("indicator_reports", "certificate_issuances", "web_page_views_daily", "gis_events")
GRADES = ("AA", "A", "B", "C", "not_evaluable")


@dataclass(frozen=True)
class _Names:
    """The language's column names of measures_overview."""

    measure: str
    goal: str
    strategy: str
    reason: str

    @classmethod
    def of(cls, lang: str) -> _Names:
        """English or Japanese columns."""
        suffix = "en" if lang == "en" else "ja"
        return cls(f"measure_name_{suffix}", f"goal_name_{suffix}", f"strategy_name_{suffix}",
                   f"computed_reason_{suffix}")


def render() -> None:
    c = ctx()
    st.title(c.t("page_overview"))
    st.caption(f"{c.t('fiscal_year')}: {c.fy(c.fiscal_year)}")
    measures = safe(c, queries.measures_overview, c.fiscal_year)
    if measures.is_empty():
        st.info(c.t("no_rows"))
        return
    measures = _with_status_and_trend(measures, safe(c, queries.measure_trends))
    names = _Names.of(c.lang)
    owners = safe(c, queries.measure_departments)
    goals = _unique_sorted(measures, "main_goal_id", names.goal)
    view = _filters(c, measures, owners, goals, names)
    counts = _status_metrics(c, view)
    _grade_line(c, view)
    _status_chart(c, view, counts)
    _goal_tables(c, view, goals, names)


def _with_status_and_trend(measures: pl.DataFrame, trends: pl.DataFrame) -> pl.DataFrame:
    """Measures with their status key and the yearly trend list (null when no trend is known)."""
    measures = measures.with_columns(
        pl.col("measure_id").cast(pl.Int64),
        pl.col("measure_status").map_elements(normalize_status, return_dtype=pl.String).alias("status_key"),
    )
    if not trends.is_empty():
        return measures.join(trends, on="measure_id", how="left")
    return measures.with_columns(pl.lit(None, dtype=pl.List(pl.Float64)).alias("trend"))


def _unique_sorted(measures: pl.DataFrame, order: str, column: str) -> list[str]:
    """The non-empty values of column, in the order of the order column."""
    return [value for value in measures.sort(order)[column].unique(maintain_order=True).to_list() if value]


def _filters(c: PageContext, measures: pl.DataFrame, owners: pl.DataFrame, goals: list[str], names: _Names) -> pl.DataFrame:
    """The four filters (department, goal, strategy, status) and the measures they keep."""
    departments = sorted(set(owners["department_name_ja"].to_list())) if not owners.is_empty() else []
    strategies = _unique_sorted(measures, "strategy_id", names.strategy)
    f1, f2, f3, f4 = st.columns(4)
    pick_dept = f1.multiselect(c.t("filter_department"), departments, key="ov_dept",
                               placeholder=c.t("all"))
    pick_goal = f2.multiselect(c.t("filter_goal"), goals, key="ov_goal",
                               placeholder=c.t("all"))
    pick_strategy = f3.multiselect(c.t("filter_strategy"), strategies, key="ov_strategy",
                                   placeholder=c.t("all"))
    pick_status = f4.multiselect(c.t("filter_status"), list(STATUS_ORDER), key="ov_status",
                                 format_func=lambda s: status_label(s, c.lang, with_icon=True), placeholder=c.t("all"))
    view = measures
    if pick_dept:
        chosen = owners.filter(pl.col("department_name_ja").is_in(pick_dept))["measure_id"].cast(pl.Int64)
        view = view.filter(pl.col("measure_id").is_in(chosen.to_list()))
    if pick_goal:
        view = view.filter(pl.col(names.goal).is_in(pick_goal))
    if pick_strategy:
        view = view.filter(pl.col(names.strategy).is_in(pick_strategy))
    if pick_status:
        view = view.filter(pl.col("status_key").is_in(pick_status))
    return view


def _status_metrics(c: PageContext, view: pl.DataFrame) -> dict[str, int]:
    """One metric for the number of measures and one per status, then where the figures come from."""
    counts = {s: view.filter(pl.col("status_key") == s).height for s in STATUS_ORDER}
    cols = st.columns(len(STATUS_ORDER) + 1)
    cols[0].metric(c.t("measures"), c.t("count_measures", n=view.height))
    for col, status in zip(cols[1:], STATUS_ORDER):
        col.metric(status_label(status, c.lang, with_icon=True), counts[status])
    st.caption(status_line(c, INDICATOR_SOURCES, ("mart_kpi_indicator_progress", "mart_plan_measure_status")))
    return counts


def _grade_line(c: PageContext, view: pl.DataFrame) -> None:
    """Suggested grades counted, and how many are the department's own decision."""
    grade_counts = {g: view.filter(pl.col("suggested_grade") == g).height for g in GRADES}
    grade_text = (" ・ ".join(f"{grade_label(g, c.lang)} {grade_counts[g]}" for g in GRADES if grade_counts[g]))
    decided = view.filter(pl.col("is_human_decision")).height
    st.markdown(f"**{c.t('suggested_grade')}**: {grade_text}"
                + (f"（{c.t('human_decisions', n=decided)}）" if decided else ""))


def _status_chart(c: PageContext, view: pl.DataFrame, counts: dict[str, int]) -> None:
    """Measures per status as a bar chart, with its table and a one-line summary."""
    lang = c.lang
    labels = {s: status_label(s, lang) for s in STATUS_ORDER}
    count_frame = pl.DataFrame({"status_label": [labels[s] for s in STATUS_ORDER],
                                "measure_count": [counts[s] for s in STATUS_ORDER]})
    summary = "、".join(f"{labels[s]} {counts[s]}" for s in STATUS_ORDER if counts[s]) if lang == "ja" else \
        ", ".join(f"{labels[s]} {counts[s]}" for s in STATUS_ORDER if counts[s])
    summary = f"{c.fy(c.fiscal_year)}: {c.t('count_measures', n=view.height)} — {summary}"
    chart_block(c, charts.status_counts_bar(count_frame, labels, c.t("status_counts"), c.t("measures")),
                count_frame.rename({"status_label": c.t("status"), "measure_count": c.t("measures")}),
                summary, "ov_status", source="mart_plan_measure_status")


def _goal_tables(c: PageContext, view: pl.DataFrame, goals: list[str], names: _Names) -> None:
    """One table of measures per basic goal: status, the three grades side by side (suggested with its reason, the
    department's self-assessment, the decided grade with its reason), the department's comment, and trend."""
    lang = c.lang
    for goal in goals:
        block = view.filter(pl.col(names.goal) == goal)
        if block.is_empty():
            continue
        st.subheader(f"{c.t('filter_goal')}: {goal}")
        table = block.select(
            (pl.col("measure_id").cast(pl.String) + ". " + pl.col(names.measure)).alias(c.t("measure")),
            pl.col(names.strategy).fill_null("—").alias(c.t("filter_strategy")),
            pl.col("owner_departments_ja").alias(c.t("filter_department")),
            pl.col("status_key").map_elements(lambda s: status_label(s, lang, with_icon=True),
                                              return_dtype=pl.String).alias(c.t("status")),
            pl.col("computed_grade").map_elements(lambda g: grade_label(g, lang), return_dtype=pl.String)
            .alias(c.t("suggested_grade")),
            pl.col(names.reason).fill_null("").alias(c.t("grade_reason")),
            pl.col("self_assessed_grade").map_elements(lambda g: grade_label(g, lang), return_dtype=pl.String)
            .fill_null("—").alias(c.t("self_assessed_grade")),
            pl.when(pl.col("decided_grade").is_null()).then(pl.lit("—"))
            .otherwise(pl.col("decided_grade").map_elements(lambda g: grade_label(g, lang), return_dtype=pl.String)
                       + pl.lit("：") + pl.col("decided_reason_ja").fill_null(""))
            .alias(c.t("decided_grade")),
            pl.col("department_remark_ja").fill_null("").alias(c.t("department_comment")),
            pl.col("trend").map_elements(_trend_text, return_dtype=pl.String).alias(c.t("trend")),
        )
        st.table(table.to_pandas(), hide_index=True)  # wraps long names: nothing is clipped


SPARK_LEVELS = "▁▂▃▄▅▆▇█"


def _trend_text(rates: pl.Series | list[float] | None) -> str:
    """A text sparkline of mean achievement by year, then the numbers: '▁▄█ 12 → 48 → 100' (%).

    Block characters keep the sparkline inside the wrapped table (st.table), and the numbers after it are
    what a screen reader reads and what pastes into a report. Scaled to 0-100 %, higher values to their max.
    """
    items = rates.to_list() if isinstance(rates, pl.Series) else (rates or [])
    values = [rate for rate in items if rate is not None]
    if not values:
        return "—"
    top = max(100.0, *values)
    spark = "".join(SPARK_LEVELS[min(len(SPARK_LEVELS) - 1, max(0, round(v / top * (len(SPARK_LEVELS) - 1))))]
                    for v in values)
    return f"{spark} " + " → ".join(f"{v:.0f}" for v in values)


if __name__ == "__main__":  # Streamlit runs page files as __main__
    render()
