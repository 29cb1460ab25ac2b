"""オープンデータ: the datasets `warehouse export` published to open/, with downloads and their metadata."""
from __future__ import annotations

from pathlib import Path

import polars as pl
import streamlit as st

from app.ui import ctx
from warehouse.products.open_data import CATALOG_NAME, read_catalog

TEXT = {  # page-local strings (ja, en)
    "intro": ("公開可能なデータをCC BY 4.0で提供しています。件数が{k}未満のセルは「x」で秘匿しています。",
              "Publishable data under CC BY 4.0. Counts below {k} are suppressed ('x')."),
    "none": ("まだオープンデータが書き出されていません。`warehouse export` を実行してください。",
             "No open data has been exported yet. Run `warehouse export`."),
    "count": ("公開データセット数", "Datasets published"),
    "frequency": ("更新頻度", "Update frequency"),
    "period": ("期間", "Period"),
    "rows": ("行数", "Rows"),
    "columns": ("列の説明", "Column dictionary"),
    "catalog": ("カタログ（JSON）をダウンロード", "Download the catalog (JSON)"),
    "readme": ("説明（README）", "README"),
    "download": ("{fmt}をダウンロード", "Download {fmt}"),
}
MIME = {"CSV": "text/csv", "Parquet": "application/vnd.apache.parquet",
        "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def text(key: str, lang: str, **kwargs: object) -> str:
    return TEXT[key][0 if lang == "ja" else 1].format(**kwargs)


def render_dataset(dataset: dict, open_dir: Path, lang: str) -> None:
    """Title, description, metadata, one download per format and the column dictionary."""
    side = "ja" if lang == "ja" else "en"
    st.subheader(dataset["title"][side])
    st.write(dataset["description"][side])
    period = dataset.get("temporal") or {}
    meta = st.columns(3)
    meta[0].metric(text("frequency", lang), dataset["accrualPeriodicity"])
    meta[1].metric(text("period", lang), f"{period['startDate']} – {period['endDate']}" if period else "—")
    meta[2].metric(text("rows", lang), f"{dataset['row_count']:,}")
    buttons = st.columns(len(dataset["distribution"]))
    for column, distribution in zip(buttons, dataset["distribution"]):
        path = open_dir / distribution["downloadURL"]
        if path.exists():
            column.download_button(text("download", lang, fmt=distribution["format"]), path.read_bytes(),
                                   file_name=path.name, mime=MIME.get(distribution["format"]),
                                   key=f"open_{dataset['identifier']}_{distribution['format']}")
    with st.expander(text("columns", lang)):
        st.dataframe(pl.DataFrame(dataset["columns"]), hide_index=True, width="stretch")


def main() -> None:
    c = ctx()
    lang = c.lang
    st.title(c.t("page_open_data"))
    catalog = read_catalog(c.settings)
    if not catalog:
        st.info(text("none", lang))
        return
    st.caption(text("intro", lang, k=catalog["disclosure_control"]["min_publishable_count"]))
    st.metric(text("count", lang), len(catalog["dataset"]))
    open_dir = Path(c.settings.open_dir)
    st.download_button(text("catalog", lang), (open_dir / CATALOG_NAME).read_bytes(), file_name=CATALOG_NAME,
                       mime="application/json", key="open_catalog")
    readme = open_dir / "README.md"
    if readme.exists():
        with st.expander(text("readme", lang)):
            st.markdown(readme.read_text(encoding="utf-8"))
    for dataset in catalog["dataset"]:
        st.divider()
        render_dataset(dataset, open_dir, lang)


main()
