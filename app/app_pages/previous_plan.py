"""前計画の評価: the previous plan's 76 projects and their grades; Table 1 reproduced."""
from __future__ import annotations

import polars as pl
import streamlit as st

from app import charts, queries
from app.ui import chart_block, ctx, not_published, safe


def render() -> None:
    c = ctx()
    st.title(c.t("page_previous"))
    table1 = safe(c, queries.previous_table1)
    projects = safe(c, queries.previous_projects)
    if table1.is_empty() and projects.is_empty():
        not_published(c, "seeds.previous_plan_projects")
        return
    st.subheader(c.t("table1"))
    if not table1.is_empty():
        total = int(table1["table1_project_count"].sum())
        shown = table1.select(
            pl.col("grade").alias(c.t("grade")), pl.col("criterion_ja").alias(c.t("criterion")),
            pl.col("table1_project_count").map_elements(lambda n: f"{n}件", return_dtype=pl.String)
            .alias(c.t("project_count")))
        shown = pl.concat([shown, pl.DataFrame({c.t("grade"): [c.t("total")], c.t("criterion"): [""],
                                                c.t("project_count"): [f"{total}件"]})])
        st.table(shown.to_pandas().set_index(c.t("grade")))
        top = table1.sort("table1_project_count").tail(1).to_dicts()[0]
        summary = (f"全{total}事業のうち {top['grade']}評価が{top['table1_project_count']}事業" if c.lang == "ja"
                   else f"{top['table1_project_count']} of {total} projects graded {top['grade']}")
        chart_block(c, charts.bar(table1, "grade", "table1_project_count", c.t("project_count")),
                    table1.select("grade", "table1_project_count", "counted_projects"), summary, "prev_table1")
    st.subheader(c.t("projects"))
    if not projects.is_empty():
        grades = sorted(g for g in projects["grade"].unique().to_list() if g)
        picked = st.multiselect(c.t("grade"), grades, key="prev_grade")
        view = projects.filter(pl.col("grade").is_in(picked)) if picked else projects
        columns = [col for col in ("project_no", "section_name_ja", "project_name_ja", "departments_ja", "grade",
                                   "summary_ja") if col in view.columns]
        st.dataframe(view.select(columns).to_pandas(), hide_index=True, width="stretch", key="prev_projects")


if __name__ == "__main__":  # Streamlit runs page files as __main__
    render()
