"""データカタログと品質: every dataset's description, grain, columns and owner; refresh runs; quality; freshness."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import streamlit as st

from app import queries
from app.formatting import format_date
from app.ui import PageContext, ctx, safe


def load_dbt_docs(docs_dir: Path) -> dict[str, dict[str, Any]]:
    """name -> {description, owner, columns{name: description}, schema} from the published manifest.json."""
    path = docs_dir / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    docs: dict[str, dict[str, Any]] = {}
    for node in {**manifest.get("nodes", {}), **manifest.get("sources", {})}.values():
        if node.get("resource_type") not in ("model", "seed", "source", None):
            continue
        meta = {**(node.get("config", {}) or {}).get("meta", {}), **(node.get("meta") or {})}
        docs[str(node.get("name"))] = {
            "description": node.get("description") or "",
            "owner": meta.get("owner") or "",
            "schema": node.get("schema") or "",
            "columns": {k: (v or {}).get("description", "") for k, v in (node.get("columns") or {}).items()},
        }
    return docs


def grain_of(description: str) -> str:
    """The grain sentence of a description ('One row per …'), as STYLE.md asks every model YAML to state."""
    for sentence in description.replace("\n", " ").split(". "):
        if sentence.strip().lower().startswith("one row per") or "1行" in sentence:
            return sentence.strip().rstrip(".")
    return ""


def render() -> None:
    c = ctx()
    st.title(c.t("page_catalog"))
    docs = load_dbt_docs(c.settings.docs_dir)
    tables = safe(c, queries.dataset_comments)
    tab_data, tab_changes, tab_runs, tab_quality, tab_warnings, tab_fresh = st.tabs(
        [c.t("datasets"), c.t("publish_changes"), c.t("refresh_runs"), c.t("quality_results"),
         c.t("quality_warnings"), c.t("source_freshness")])
    with tab_data:
        _datasets(c, tables, docs)
    with tab_changes:
        _publish_changes(c)
    with tab_runs:
        _refresh_runs(c)
    with tab_quality:
        _quality_results(c)
    with tab_warnings:
        _quality_warnings(c)
    with tab_fresh:
        _source_freshness(c)


def _datasets(c: PageContext, tables: pl.DataFrame, docs: dict[str, dict[str, Any]]) -> None:
    """Every table with its description, grain, owner and size, then the columns of the one picked."""
    if tables.is_empty():
        st.info(c.t("no_rows"))
        return
    rows = []
    for record in tables.to_dicts():
        doc = docs.get(record["table_name"], {})
        description = doc.get("description") or record.get("comment") or ""
        rows.append({
            "schema": record["schema_name"], "table": record["table_name"],
            c.t("description"): description, c.t("grain"): grain_of(description),
            c.t("owner"): doc.get("owner", ""), "rows (est.)": record.get("row_estimate"),
        })
    frame = pl.DataFrame(rows)
    st.caption(c.t("dataset_count", n=frame.height) + f" ・ dbt docs: {'◯' if docs else '—'} "
               f"{c.settings.docs_dir / 'manifest.json'}")
    st.dataframe(frame.to_pandas(), hide_index=True, width="stretch", key="cat_tables")
    _table_columns(c, [f"{r['schema']}.{r['table']}" for r in rows], docs)


def _table_columns(c: PageContext, options: list[str], docs: dict[str, dict[str, Any]]) -> None:
    """The table selector and that table's columns, described by dbt docs or else the column comment."""
    picked = st.selectbox(c.t("columns"), options, key="cat_pick",
                          index=options.index("main.mart_kpi_indicator_progress")
                          if "main.mart_kpi_indicator_progress" in options else 0)
    schema, table = picked.split(".", 1)
    columns = safe(c, queries.column_comments, schema, table)
    doc_columns = docs.get(table, {}).get("columns", {})
    if not columns.is_empty():
        columns = columns.with_columns(pl.struct("column_name", "comment").map_elements(
            lambda s: doc_columns.get(s["column_name"]) or s["comment"] or "", return_dtype=pl.String)
            .alias("description")).drop("comment")
        st.dataframe(columns.to_pandas(), hide_index=True, width="stretch", key="cat_columns")


def _publish_changes(c: PageContext) -> None:
    """前回公開からの変更: per mart rows added/removed/changed, per indicator × year old → new, then the log."""
    log = safe(c, lambda run: queries.publish_change_log(run, c.catalog))
    if log.is_empty():
        st.info(c.t("publish_changes_none"))
        return
    latest = log.row(0, named=True)
    st.subheader(c.t("publish_changes"))
    if latest["compared_with_version"] is None:
        st.info(c.t("publish_changes_first"))
    else:
        st.caption(c.t("publish_changes_summary", previous=latest["compared_with_version"],
                       marts=latest["marts_changed"], added=latest["rows_added"], removed=latest["rows_removed"],
                       changed=latest["rows_changed"], indicators=latest["indicator_values_changed"]))
        marts = safe(c, lambda run: queries.publish_mart_changes(run, c.catalog))
        st.dataframe(marts.to_pandas(), hide_index=True, width="stretch", key="cat_mart_changes")
        indicators = safe(c, lambda run: queries.publish_indicator_changes(run, c.catalog))
        if indicators.is_empty():
            st.caption(c.t("publish_changes_no_indicator"))
        else:
            st.dataframe(indicators.with_columns(pl.col("fiscal_year").map_elements(c.fy, return_dtype=pl.String))
                         .to_pandas(), hide_index=True, width="stretch", key="cat_indicator_changes")
    st.caption(c.t("publish_change_log"))
    st.dataframe(log.to_pandas(), hide_index=True, width="stretch", key="cat_change_log")


def _refresh_runs(c: PageContext) -> None:
    """The refresh runs recorded in the build."""
    runs = safe(c, lambda run: queries.refresh_runs(run, c.catalog))
    if runs.is_empty():
        st.info(c.t("no_rows"))
    else:
        st.dataframe(runs.to_pandas(), hide_index=True, width="stretch", key="cat_runs")


def _quality_results(c: PageContext) -> None:
    """Quality checks passed out of run, and each check's result."""
    quality = safe(c, lambda run: queries.quality_results(run, c.catalog))
    if quality.is_empty():
        st.info(c.t("no_rows"))
    else:
        passed = int(quality["success"].sum())
        st.metric(c.t("quality_results"), f"{passed} / {quality.height}")
        st.dataframe(quality.to_pandas(), hide_index=True, width="stretch", key="cat_quality")


def _quality_warnings(c: PageContext) -> None:
    """Data-quality warnings: each serious one in words, then the whole list."""
    warnings = safe(c, lambda run: queries.data_quality_warnings(run, c.catalog))
    if warnings.is_empty():
        st.success(c.t("quality_warnings_none"))
        return
    serious = warnings.filter(pl.col("severity") == "warning").height
    st.caption(c.t("quality_warnings_count", n=serious))
    message = "message_en" if c.lang == "en" else "message_ja"
    for row in warnings.filter(pl.col("severity") == "warning").to_dicts():
        st.warning(f"{row[message]}（{row['source_table']}: {row['row_count']:,} rows, "
                   f"{format_date(row['first_date'], c.lang)} – {format_date(row['last_date'], c.lang)}, "
                   f"{row['example_file_name']}）", icon="⚠️")
    shown = warnings.drop("message_en" if c.lang != "en" else "message_ja")
    st.dataframe(shown.to_pandas(), hide_index=True, width="stretch", key="cat_warnings")


def _source_freshness(c: PageContext) -> None:
    """How far each source's data runs, as of the warehouse's date."""
    if c.freshness.is_empty():
        st.info(c.t("no_rows"))
    else:
        st.caption(f"{c.t('data_through')}: {format_date(c.as_of, c.lang)}（as of）")
        st.dataframe(c.freshness.to_pandas(), hide_index=True, width="stretch", key="cat_fresh")


if __name__ == "__main__":  # Streamlit runs page files as __main__
    render()
