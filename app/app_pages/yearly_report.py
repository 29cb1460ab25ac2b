"""年次報告: the Check step of the plan's PDCA cycle — the FY's 取り組み状況 table, downloadable as Excel."""
from __future__ import annotations

import polars as pl
import streamlit as st

from app.formatting import grade_label, status_label
from app.ui import ctx
from warehouse.products import report


def render() -> None:
    c = ctx()
    st.title(c.t("page_report"))
    years = list(reversed(c.fiscal_years))
    fiscal_year = st.selectbox(c.t("fiscal_year"), years, key="report_year",
                               index=years.index(c.fiscal_year), format_func=c.fy)
    st.subheader(c.t("report_title", fy=c.fy(fiscal_year)))
    st.caption(c.t("report_intro"))
    try:
        frame = report.build_report_frame(c.run, int(fiscal_year), c.lang)
    except Exception as exc:  # noqa: BLE001 - friendly message, never a traceback
        st.warning(c.t("query_failed", detail=str(exc)))
        return
    closed_on = frame["closed_on"].drop_nulls()
    if closed_on.len():
        revised = frame.filter(pl.col("revision_after_closing").is_not_null())
        st.info(c.t("report_closed_year", fy=c.fy(fiscal_year), date=closed_on.max().isoformat(), n=revised.height))
        for row in revised.to_dicts():
            st.markdown(f"**{c.t('revision_after_closing')}** {row['indicator_id']}: {row['revision_after_closing']}")
    measures = frame["measure_id"].n_unique()
    graded = frame.unique("measure_id").filter(pl.col("suggested_grade").is_not_null())
    counts = graded.group_by("suggested_grade").len().sort("suggested_grade")
    cols = st.columns(1 + max(1, counts.height))
    cols[0].metric(c.t("measures"), c.t("count_measures", n=measures))
    for col, row in zip(cols[1:], counts.to_dicts()):
        col.metric(f"{c.t('suggested_grade')} {grade_label(row['suggested_grade'], c.lang)}", row["len"])
    names = (report.COLUMNS_EN if c.lang == "en" else report.COLUMNS_JA) | {"decided_reason_ja": c.t("decided_reason")}
    shown = frame.with_columns(
        (pl.col("achievement_rate") * 100).round(1),
        pl.col("progress_status").map_elements(lambda s: status_label(s, c.lang), return_dtype=pl.String),
        pl.col("target_fiscal_year").map_elements(c.fy, return_dtype=pl.String),
    ).drop("closed_on").rename(names)
    st.dataframe(shown.to_pandas(), hide_index=True, width="stretch", key="report_table", height=560)
    st.download_button(c.t("download_xlsx"), report.report_workbook_bytes(frame, int(fiscal_year), c.lang),
                       file_name=f"torikumi_jokyo_FY{fiscal_year}.xlsx", key="report_xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    st.caption(f"`warehouse report --fiscal-year {fiscal_year}`")


if __name__ == "__main__":  # Streamlit runs page files as __main__
    render()
