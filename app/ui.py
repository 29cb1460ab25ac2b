"""Shared rendering helpers: the page context, chart blocks with table and summary, freshness/quality badges."""
from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import streamlit as st

from app.formatting import fiscal_year_label, format_date
from app.i18n import t
from app.queries import Catalog, Runner
from warehouse.platform.settings import Settings

CTX_KEY = "_dashboard_context"


@dataclass(frozen=True)
class PageContext:
    """What every page needs: language, era, the bound query runner and what the published file holds."""

    lang: str
    era: str
    settings: Settings
    run: Runner
    catalog: Catalog
    fiscal_years: tuple[int, ...]
    fiscal_year: int
    version: dict[str, Any] = field(default_factory=dict)
    freshness: pl.DataFrame = field(default_factory=pl.DataFrame)
    quality: dict[str, bool] = field(default_factory=dict)
    default_fiscal_year: int | None = None
    stale_after_days: int | None = None  # the threshold the published build used (None: an older file)
    indicator_tables: dict[str, tuple[str, ...]] = field(default_factory=dict)  # source_name -> lake tables

    def t(self, key: str, **kwargs: object) -> str:
        return t(key, self.lang, **kwargs)

    def fy(self, fiscal_year: Any) -> str:
        return fiscal_year_label(fiscal_year, self.era, self.lang)

    @property
    def as_of(self) -> dt.date:
        value = self.version.get("as_of_date")
        if isinstance(value, dt.date):
            return value
        return dt.date.today()


def ctx() -> PageContext:
    """The context streamlit_app.py stored for this rerun."""
    return st.session_state[CTX_KEY]


def safe(c: PageContext, query: Callable[..., Any], *args: Any, default: Any = None) -> Any:
    """Run query(c.run, *args); on any failure show a calm warning instead of a traceback."""
    try:
        return query(c.run, *args)
    except Exception as exc:  # noqa: BLE001 - a page must never show a traceback (e.g. mid-refresh)
        st.warning(c.t("query_failed", detail=type(exc).__name__))
        return pl.DataFrame() if default is None else default


# The landing folders (docs/architecture.md, "Landing files"), in the order the departments know them.
LANDING_KINDS: tuple[str, ...] = ("certificates", "web_access", "gis", "energy", "indicator_reports")
# Lake table -> the landing kind whose files fill it.
TABLE_KINDS: dict[str, str] = {
    "certificate_issuances": "certificates", "web_page_views_daily": "web_access", "web_access_log": "web_access",
    "gis_events": "gis", "energy_readings_monthly": "energy", "energy_readings_interval": "energy",
    "facilities": "energy", "indicator_reports": "indicator_reports",
}
# Mart -> the landing kinds its rows come from (a mart without rows means: no file of these kinds yet).
MART_KINDS: dict[str, tuple[str, ...]] = {
    "mart_certificate_channel_shift": ("certificates",),
    "mart_web_access_monthly": ("web_access",),
    "mart_gis_usage_monthly": ("gis",),
    "mart_facility_energy_monthly": ("energy",),
    "mart_kpi_indicator_progress_monthly": ("certificates", "web_access", "gis"),
    "mart_kpi_indicator_progress": LANDING_KINDS,
}
README = Path(__file__).resolve().parent.parent / "README.md"


def has_any_data(c: PageContext) -> bool | None:
    """True when any lake table has rows in the published file, False for a warehouse built from no files,
    None when the file does not say (no meta.source_load_status)."""
    frame = c.freshness
    if frame.is_empty() or "rows_loaded" not in frame.columns:
        return None
    return int(frame["rows_loaded"].fill_null(0).sum()) > 0


def no_data_yet(c: PageContext, kinds: Iterable[str] = LANDING_KINDS, whole_warehouse: bool = False) -> None:
    """'No data yet', with the landing folders to put files in and where the file formats are described."""
    folders = "\n".join(f"- `{c.settings.landing_dir / kind}/` — {c.t('kind_' + kind)}" for kind in kinds)
    body = "no_data_home_body" if whole_warehouse else "no_data_yet_body"
    st.info(f"### {c.t('no_data_yet_title')}\n\n" + c.t(body, folders=folders, readme=README))


def not_published(c: PageContext, table: str) -> None:
    """Say plainly why a dataset shows nothing: no file of its kind yet (an empty mart), or not in this file."""
    if c.catalog.has(table) and table in MART_KINDS:
        if has_any_data(c) is not False:  # a warehouse without any file already says so above every page
            no_data_yet(c, MART_KINDS[table])
    else:
        st.info(c.t("not_published", table=table))


def chart_block(c: PageContext, chart: Any, table: pl.DataFrame, summary: str, key: str) -> None:
    """A chart, its one-line text summary and the same numbers as a table (for screen readers and reports)."""
    st.altair_chart(chart, width="stretch")
    st.caption(f"{c.t('summary')}: {summary}")
    with st.expander(c.t("table_alt")):
        st.dataframe(table.to_pandas(), hide_index=True, width="stretch", key=f"tbl_{key}")


def lake_tables(c: PageContext, sources: Iterable[str]) -> list[str]:
    """Lake tables behind indicator sources or lake table names: an indicator source (dim_indicator.source_name)
    means the tables seeds/plan_indicators.csv names for it (source_lake_tables); anything else is a table."""
    tables: list[str] = []
    for source in sources:
        tables.extend(c.indicator_tables.get(source, (source,)))
    return tables


def freshness_of(c: PageContext, sources: Iterable[str]) -> tuple[dt.date | None, bool | None]:
    """Newest data date over the given sources (meta.source_load_status) and whether it is within stale_after_days."""
    frame = c.freshness
    if frame.is_empty():
        return None, None
    rows = frame.filter(pl.col("source_table").is_in(lake_tables(c, sources)))
    dates = [d for d in rows["data_through_date"].to_list() if d is not None]
    if not dates:
        return None, None
    through = max(dates)
    if isinstance(through, dt.datetime):
        through = through.date()
    stale_days = c.stale_after_days
    if stale_days is None:  # a file published before the mart carried the build's threshold
        stale_days = int(c.settings.get("refresh", "stale_after_days"))
    return through, (c.as_of - through).days <= stale_days


def quality_of(c: PageContext, tables: Iterable[str], sources: Iterable[str] = ()) -> bool | None:
    """False when a quality expectation on the tables failed or a source has quarantined files waiting;
    True when results exist and all passed; None when nothing was checked."""
    wanted = {name for table in [*tables, *lake_tables(c, sources)] for name in (table, f"main.{table}")}
    results = [passed for name, passed in c.quality.items() if name in wanted]
    if not c.freshness.is_empty() and "files_quarantined_open" in c.freshness.columns:
        open_files = c.freshness.filter(pl.col("source_table").is_in(lake_tables(c, sources)))["files_quarantined_open"]
        if open_files.len():
            results.append(int(open_files.fill_null(0).sum()) == 0)
    return all(results) if results else None


def status_line(c: PageContext, sources: Iterable[str], tables: Iterable[str],
                through: dt.date | None = None, fresh: bool | None = None, passed: bool | None = None) -> str:
    """'データ時点: 2021年3月31日（最新） ・ ◯ 品質チェック合格' for a KPI (mart values win over the source's)."""
    sources, tables = list(sources), list(tables)
    if through is None:
        through, fresh = freshness_of(c, sources)
    checked = quality_of(c, tables, sources)
    if passed is None:
        passed = checked
    elif checked is False:
        passed = False
    fresh_text = "" if fresh is None else f"（{c.t('fresh') if fresh else c.t('stale')}）"
    quality_text = {True: "◯ " + c.t("quality_passed"), False: "× " + c.t("quality_failed"),
                    None: c.t("quality_unknown")}[passed]
    return f"{c.t('data_through')}: {format_date(through, c.lang)}{fresh_text} ・ {quality_text}"


def downloads(c: PageContext, frame: pl.DataFrame, stem: str, key: str) -> None:
    """CSV (UTF-8 with BOM, opens in Excel) and .xlsx downloads of a table."""
    left, right = st.columns(2)
    csv = "\ufeff" + frame.write_csv()
    left.download_button(c.t("download_csv"), csv.encode("utf-8"), file_name=f"{stem}.csv", mime="text/csv",
                         key=f"csv_{key}")
    buffer = io.BytesIO()
    frame.write_excel(buffer, worksheet="data", autofit=True)
    right.download_button(c.t("download_xlsx"), buffer.getvalue(), file_name=f"{stem}.xlsx",
                          mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          key=f"xlsx_{key}")
