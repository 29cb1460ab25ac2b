"""前計画の評価: Table 1 of the plan recomputed from the previous plan's 76 projects, and the project list."""
from __future__ import annotations

import polars as pl
import streamlit as st

from app import charts, queries
from app.ui import chart_block, ctx, not_published, quality_of, safe


def render() -> None:
    c = ctx()
    st.title(c.t("page_previous"))
    table1 = safe(c, queries.previous_table1)
    if table1.is_empty():
        not_published(c, "mart_previous_plan_evaluation")
        return
    st.subheader(c.t("table1"))
    all_match = bool(table1["matches_table1"].all())
    passed = quality_of(c, ("mart_previous_plan_evaluation", "mart_previous_plan_projects"))
    quality = {True: "◯ " + c.t("quality_passed"), False: "× " + c.t("quality_failed"),
               None: c.t("quality_unknown")}[passed]
    st.caption(f"{c.t('source')}: {c.t('plan_appendix')} ・ {quality} ・ "
               f"{'◯ ' + c.t('table1_matches') if all_match else '× ' + c.t('table1_differs')}")
    shown = table1.select(
        pl.col("grade").alias(c.t("grade")),
        pl.col("criterion_ja").fill_null("").alias(c.t("criterion")),
        pl.col("project_count").map_elements(lambda n: f"{n}件", return_dtype=pl.String).alias(c.t("project_count")),
        pl.col("table1_project_count").map_elements(lambda n: f"{n}件", return_dtype=pl.String)
        .alias(c.t("printed_count")))
    st.table(shown.to_pandas().set_index(c.t("grade")))
    grades = table1.filter(pl.col("grade") != "合計")
    total = int(table1.filter(pl.col("grade") == "合計")["project_count"].sum())
    top = grades.sort("project_count").tail(1).to_dicts()[0]
    summary = (f"全{total}事業のうち{top['grade']}評価が{top['project_count']}事業（"
               + "、".join(f"{g} {n}" for g, n in zip(grades["grade"], grades["project_count"])) + "）"
               if c.lang == "ja" else f"{top['project_count']} of {total} projects graded {top['grade']}")
    chart_block(c, charts.bar(grades, "grade", "project_count", c.t("project_count"), sort=None),
                grades.select(pl.col("grade").alias(c.t("grade")), pl.col("project_count").alias(c.t("project_count"))),
                summary, "prev_table1",
                source="mart_previous_plan_evaluation")

    st.subheader(c.t("projects"))
    projects = safe(c, queries.previous_projects)
    if projects.is_empty():
        not_published(c, "mart_previous_plan_projects")
        return
    picked = st.multiselect(c.t("grade"), grades["grade"].to_list(), key="prev_grade", placeholder=c.t("all"))
    view = projects.filter(pl.col("grade").is_in(picked)) if picked else projects
    st.dataframe(view.select(
        pl.col("project_no").alias("No."), pl.col("section_name_ja").alias(c.t("section")),
        pl.col("project_name_ja").alias(c.t("project")), pl.col("departments_ja").alias(c.t("owner")),
        pl.col("grade").alias(c.t("grade")), pl.col("summary_ja").alias(c.t("description"))).to_pandas(),
        hide_index=True, width="stretch", key="prev_projects")


if __name__ == "__main__":  # Streamlit runs page files as __main__
    render()
