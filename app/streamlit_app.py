"""Entry point: page config, sidebar switches, header, navigation. Pages only render (app/app_pages/)."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run app/streamlit_app.py` puts only app/ on the path
    sys.path.insert(0, str(ROOT))

import streamlit as st

from app import connection, queries, url_state
from app.formatting import fiscal_year_label, format_date
from app.i18n import LANGS, t
from app.ui import CTX_KEY, PRINT_STYLE, PageContext, has_any_data, no_data_yet

st.set_page_config(layout="wide", page_title="板橋区 ICT推進・活用計画 ダッシュボード", page_icon=None)


ERAS = ("wareki", "seireki")


def sidebar_switches() -> tuple[str, str]:
    """言語 and 年度表示 switches; their state survives page changes and lives in the URL (?lang=, ?era=)."""
    url_state.seed("lang", "lang", LANGS)
    url_state.seed("era", "era", ERAS)
    lang = st.sidebar.radio("言語 / Language", ["ja", "en"], key="lang", horizontal=True,
                            format_func=lambda code: {"ja": "日本語", "en": "English"}[code])
    era = st.sidebar.radio(t("era", lang), list(ERAS), key="era", horizontal=True,
                           format_func=lambda code: t(f"era_{code}", lang))
    url_state.publish("lang", lang)
    url_state.publish("era", era)
    return lang, era


def empty_page(lang: str, path: Path, detail: str = "") -> None:
    """Friendly first-run page instead of a traceback."""
    st.title(t("app_title", lang))
    st.info(f"### {t('empty_title', lang)}\n\n" + t("empty_body", lang, path=path))
    if detail:
        st.caption(detail)


def build_context(lang: str, era: str) -> PageContext | None:
    """Open (or reuse) the sandbox of the published version and read what every page shares."""
    config = connection.settings()
    file_key = connection.published_file_key(config.published_path)
    if file_key is None:
        return None
    run = connection.make_runner(config, file_key)
    catalog = queries.load_catalog(run)
    if queries.is_empty_warehouse(catalog):
        return None
    year_rows = queries.fiscal_years(run)
    if year_rows.is_empty():
        return None
    years = tuple(int(y) for y in year_rows["fiscal_year"].to_list())
    options = list(reversed(years))
    default_year = queries.default_fiscal_year(year_rows)
    url_state.seed("year", "fiscal_year_switch", options, parse=int)
    if st.session_state.get("fiscal_year_switch") not in options:  # first visit, or a publish without that year
        st.session_state["fiscal_year_switch"] = default_year
    chosen = st.sidebar.selectbox(t("fiscal_year", lang), options, key="fiscal_year_switch",
                                  format_func=lambda y: fiscal_year_label(y, era, lang))
    url_state.publish("year", chosen)
    version = {**connection.published_version_info(config), **queries.warehouse_version(run, catalog)}
    return PageContext(lang=lang, era=era, settings=config, run=run, catalog=catalog, fiscal_years=years,
                       fiscal_year=int(chosen if chosen is not None else default_year), version=version,
                       freshness=queries.source_freshness(run, catalog),
                       quality=queries.quality_by_table(run, catalog), default_fiscal_year=default_year,
                       stale_after_days=queries.build_stale_after_days(run),
                       indicator_tables=queries.indicator_source_tables(run, catalog))


def header(c: PageContext) -> None:
    """Title plus the published version and overall data freshness, on every page."""
    st.markdown(f"#### {c.t('app_title')}")
    version = c.version.get("version_id") or c.version.get("run_id") or "—"
    published = c.version.get("published_at") or c.version.get("built_at")
    through = None
    if not c.freshness.is_empty() and "data_through_date" in c.freshness.columns:
        dates = [d for d in c.freshness["data_through_date"].to_list() if d is not None]
        through = max(dates) if dates else None
    passed = all(c.quality.values()) if c.quality else None
    quality = {True: "◯ " + c.t("quality_passed"), False: "× " + c.t("quality_failed"),
               None: c.t("quality_unknown")}[passed]
    published_text = format_date(str(published)[:10], c.lang) if published else "—"
    st.caption(f"{c.t('published_version')}: `{version}` ・ {c.t('published_at')}: {published_text} ・ "
               f"{c.t('data_through')}: {format_date(through, c.lang)} ・ {quality}")
    if has_any_data(c) is False:  # published from no files at all: say how to add them, on every page
        no_data_yet(c, whole_warehouse=True)


SECTIONS: list[tuple[str, list[tuple[str, str, str]]]] = [
    ("nav_plan", [("overview", "page_overview", "dashboard"), ("indicator", "page_indicator", "monitoring"),
                  ("previous_plan", "page_previous", "history"), ("yearly_report", "page_report", "description")]),
    ("nav_sources", [("certificates", "page_certificates", "badge"), ("homepage", "page_homepage", "language"),
                     ("gis", "page_gis", "map"), ("energy", "page_energy", "bolt")]),
    ("nav_data", [("catalog", "page_catalog", "menu_book"), ("sql_console", "page_sql", "terminal"),
                  ("open_data", "page_open_data", "download")]),
]


def navigation(lang: str) -> st.navigation:
    """Every page in three sections (the plan, its data sources, data for analysts), titled in the chosen language."""
    return st.navigation({
        t(section, lang): [st.Page(f"app_pages/{name}.py", title=t(key, lang), url_path=name, icon=f":material/{icon}:",
                                   default=name == "overview")
                           for name, key, icon in pages]
        for section, pages in SECTIONS
    })


def main() -> None:
    url_state.start_rerun()
    lang, era = sidebar_switches()
    config = connection.settings()
    try:
        context = build_context(lang, era)
    except Exception as exc:  # noqa: BLE001 - unreadable file (e.g. mid-publish): friendly page, not a trace
        detail = type(exc).__name__
        st.navigation([st.Page(lambda: empty_page(lang, config.published_path, detail),
                               title=t("empty_title", lang), url_path="welcome")]).run()
        return
    if context is None:
        st.navigation([st.Page(lambda: empty_page(lang, config.published_path), title=t("empty_title", lang),
                               url_path="welcome")]).run()
        return
    st.session_state[CTX_KEY] = context
    page = navigation(lang)
    st.html(PRINT_STYLE)
    header(context)
    url_state.notices(lang)
    page.run()


main()
