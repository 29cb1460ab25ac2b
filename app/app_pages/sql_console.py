"""SQLコンソール: read-only SQL on the published warehouse, in the same sandbox as `warehouse sql`."""
from __future__ import annotations

import polars as pl
import streamlit as st

from app import connection
from app.ui import ctx, downloads
from warehouse.serving.sandbox import QueryFailed, QueryRefused

TEXT = {  # page-local strings (ja, en)
    "intro": (("公開中のデータウェアハウスにSQL（SELECT文のみ）を実行できます。読み取り専用で、ファイルの読み書き・"
               "設定変更・rawスキーマや機微な列の参照はできません。"),
              ("Run SQL (SELECT only) on the published warehouse. It is read-only: no files, no settings, no raw "
               "schema, no sensitive columns.")),
    "sql": ("SQL", "SQL"),
    "run": ("実行", "Run"),
    "refused": ("実行できないクエリです: {msg}", "Query refused: {msg}"),
    "failed": ("クエリが失敗しました: {msg}", "Query failed: {msg}"),
    "rows": ("{rows:,}行・{ms:,.0f}ミリ秒", "{rows:,} rows in {ms:,.0f} ms"),
    "truncated": ("（上限{rows:,}行で打ち切り。LIMITや集計で絞り込んでください）",
                  " (cut at the {rows:,}-row cap; add a LIMIT or aggregate)"),
    "tables": ("テーブルと列", "Tables and columns"),
    "filter": ("絞り込み", "Filter"),
    "unavailable": ("ウェアハウスを開けませんでした: {msg}", "Could not open the warehouse: {msg}"),
}
DEFAULT_SQL = "select *\nfrom main.mart_kpi_indicator_progress\nlimit 100"


def text(key: str, lang: str, **kwargs: object) -> str:
    return TEXT[key][0 if lang == "ja" else 1].format(**kwargs)


@st.cache_data(max_entries=4, show_spinner=False)
def table_browser(path: str, file_key: tuple[int, int]) -> pl.DataFrame:
    """Tables and columns with descriptions, cached per published version."""
    config = connection.settings()
    return connection._sandbox(config, file_key).tables()


def render_browser(catalog: pl.DataFrame, lang: str) -> None:
    """One expander per table with its description and columns."""
    needle = st.text_input(text("filter", lang), key="sql_table_filter").strip().lower()
    for (schema, table), columns in catalog.group_by(["schema", "table"], maintain_order=True):
        if needle and needle not in f"{schema}.{table}".lower() and not columns["column"].str.contains(needle).any():
            continue
        with st.expander(f"{schema}.{table}"):
            description = columns["table_description"][0] if "table_description" in columns.columns else ""
            if description:
                st.caption(description)
            st.dataframe(columns.select("column", "type", "description"), hide_index=True, width="stretch")


def main() -> None:
    c = ctx()
    lang = c.lang
    st.title(c.t("page_sql"))
    st.caption(text("intro", lang))
    file_key = connection.published_file_key(c.settings.published_path)
    if file_key is None:
        st.info(c.t("empty_title"))
        return
    try:
        sandbox = connection._sandbox(c.settings, file_key)
        catalog = table_browser(str(c.settings.published_path), file_key)
    except Exception as exc:  # noqa: BLE001 - shown as a message, never a traceback
        st.error(text("unavailable", lang, msg=exc))
        return
    left, right = st.columns([3, 1])
    with right:
        st.subheader(text("tables", lang))
        render_browser(catalog, lang)
    with left:
        sql = st.text_area(text("sql", lang), value=st.session_state.get("sql_console_sql", DEFAULT_SQL),
                           height=180, key="sql_console_input")
        if st.button(text("run", lang), type="primary", key="sql_console_run"):
            st.session_state["sql_console_sql"] = sql
            try:
                st.session_state["sql_console_result"] = sandbox.query(sql)
                st.session_state.pop("sql_console_error", None)
            except QueryRefused as exc:
                st.session_state["sql_console_error"] = text("refused", lang, msg=exc)
                st.session_state.pop("sql_console_result", None)
            except QueryFailed as exc:
                st.session_state["sql_console_error"] = text("failed", lang, msg=exc)
                st.session_state.pop("sql_console_result", None)
        if "sql_console_error" in st.session_state:
            st.error(st.session_state["sql_console_error"])
        result = st.session_state.get("sql_console_result")
        if result is not None:
            note = text("rows", lang, rows=result.row_count, ms=result.elapsed_ms)
            if result.truncated:
                note += text("truncated", lang, rows=result.row_count)
            st.caption(note)
            st.dataframe(result.frame, hide_index=True, width="stretch")
            downloads(c, result.frame, "query_result", "sql_console")


main()
