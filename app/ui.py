"""Shared rendering helpers: the page context, chart blocks with table and summary, freshness/quality badges."""
from __future__ import annotations

import calendar
import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import streamlit as st

from app.formatting import fiscal_year_label, format_date, format_datetime
from app.i18n import t
from app.queries import Catalog, Runner, indicator_definition
from warehouse.platform.settings import Settings

CTX_KEY = "_dashboard_context"
# Printing a page (the indicator page to PDF): no sidebar, header, toolbars or buttons; the main column at full
# width and allowed to flow over pages (on screen it scrolls inside a fixed box); charts and tables kept whole.
PRINT_STYLE = """<style>
@media print {
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
  [data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"],
  [data-testid="stElementToolbar"], [data-testid="stDownloadButton"], [data-testid="stBaseButton-header"],
  [data-testid="stSidebarCollapseButton"] { display: none !important; }
  html, body, [data-testid="stApp"], [data-testid="stAppViewContainer"], [data-testid="stMain"] {
    overflow: visible !important; height: auto !important; position: static !important; }
  [data-testid="stMain"] { margin-left: 0 !important; width: 100% !important; }
  [data-testid="stMainBlockContainer"] { max-width: 100% !important; padding: 0.5rem 1rem !important; }
  [data-testid="stVegaLiteChart"], [data-testid="stTable"], [data-testid="stDataFrame"], [data-testid="stMetric"],
  [data-testid="stExpander"], [data-testid="stHorizontalBlock"] { break-inside: avoid; page-break-inside: avoid; }
}
</style>"""


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


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """A table as CSV in UTF-8 with BOM (Excel opens the Japanese headers); list cells joined by spaces."""
    lists = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.List)]
    flat = frame.with_columns(pl.col(name).cast(pl.List(pl.String)).list.join(" ") for name in lists)
    return flat.write_csv().encode("utf-8-sig")


def source_text(c: PageContext, tables: Iterable[str], definition: str | None = None,
                extracts: Iterable[str] | None = None) -> str:
    """出典 of a chart: the published tables it reads with the landing folders that fill them (all a mart's
    kinds, or `extracts` when the chart is one indicator's), the plan's definition of the indicator when it is
    one, and the published version."""
    named = []
    for table in tables:
        kinds = tuple(extracts) if extracts is not None else MART_KINDS.get(
            table, (TABLE_KINDS[table],) if table in TABLE_KINDS else ())
        named.append(f"{table}（← {', '.join(f'landing/{kind}' for kind in kinds)}）" if kinds else table)
    version = c.version.get("version_id") or c.version.get("run_id") or "—"
    text = f"{c.t('source')}: {' ・ '.join(named)} ／ {c.t('published_version')} `{version}`"
    if definition:
        text += f" ／ {c.t('plan_definition')}: {definition}"
    return text


def year_to_date_label(c: PageContext, fiscal_year: Any, through_month: dt.date) -> str:
    """A fiscal year in progress as what it is: 令和8年度（10月まで） / FY2026 (Apr–Oct)."""
    return c.t("ytd_label", fy=c.fy(fiscal_year), month=through_month.month,
               month_abbr=calendar.month_abbr[through_month.month])


def indicator_extracts(c: PageContext, source_name: str) -> tuple[str, ...]:
    """The landing kinds an indicator's figures come from (its source's lake tables, seeds/plan_indicators.csv)."""
    kinds = [TABLE_KINDS[table] for table in lake_tables(c, [source_name]) if table in TABLE_KINDS]
    return tuple(dict.fromkeys(kinds))


def plan_definition(c: PageContext, indicator_id: str) -> str:
    """The plan's definition of an indicator for a chart's 出典: its name, 現状値 and 目標 as the plan prints them."""
    row = safe(c, indicator_definition, indicator_id, default={})
    if not row:
        return indicator_id
    name = row.get("name_en" if c.lang == "en" else "name_ja") or ""
    sub = f"{row['sub_item_ja']}: " if row.get("sub_item_ja") else ""
    text = (f"{indicator_id} {sub}{name}（{c.t('baseline')} {row.get('baseline_text_ja') or '—'}"
            f"（{c.fy(row.get('baseline_fiscal_year'))}）→ {c.t('target')} {row.get('target_text_ja') or '—'}"
            f"（{c.fy(row.get('target_fiscal_year'))}））")
    return text + (f" ※{row['note_ja']}" if row.get("note_ja") else "")


def updated_text(c: PageContext) -> str:
    """更新日時: when the published warehouse went live (published.json), else when it was built."""
    published = c.version.get("published_at") or c.version.get("built_at")
    return f"{c.t('updated_at')}: {format_datetime(published, c.lang)}"


def chart_block(c: PageContext, chart: Any, table: pl.DataFrame, summary: str, key: str, *,
                source: str | Iterable[str], definition: str | None = None, extracts: Iterable[str] | None = None,
                file_stem: str | None = None, excel: bool = False) -> None:
    """A chart with its one-line summary, 出典 and 更新日時, the rows behind it as CSV (UTF-8 with BOM; Excel
    too when asked) and the same rows as a table (for screen readers and reports)."""
    st.altair_chart(chart, width="stretch")
    st.caption(f"{c.t('summary')}: {summary}")
    tables = [source] if isinstance(source, str) else list(source)
    st.caption(f"{source_text(c, tables, definition, extracts)} ・ {updated_text(c)}")
    stem = file_stem or key
    if excel:
        downloads(c, table, stem, key)
    else:
        st.download_button(c.t("download_csv"), csv_bytes(table), file_name=f"{stem}.csv", mime="text/csv",
                           key=f"csv_{key}")
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
    left.download_button(c.t("download_csv"), csv_bytes(frame), file_name=f"{stem}.csv", mime="text/csv",
                         key=f"csv_{key}")
    buffer = io.BytesIO()
    frame.write_excel(buffer, worksheet="data", autofit=True)
    right.download_button(c.t("download_xlsx"), buffer.getvalue(), file_name=f"{stem}.xlsx",
                          mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          key=f"xlsx_{key}")
