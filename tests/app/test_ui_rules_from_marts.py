"""The page helpers take their rules from what the build published, not from the app's own settings."""
from __future__ import annotations

import datetime as dt

import polars as pl

from app.queries import Catalog
from app.ui import PageContext, freshness_of, lake_tables


class _AppSettings:
    """The app's own setting says 45 days; the build's value must win."""

    def get(self, section: str, key: str) -> int:
        assert (section, key) == ("refresh", "stale_after_days")
        return 45


def _context(stale_after_days: int | None) -> PageContext:
    freshness = pl.DataFrame({"source_table": ["web_page_views_daily", "web_access_log"],
                              "data_through_date": [dt.date(2021, 3, 1), dt.date(2021, 3, 31)],
                              "files_quarantined_open": [0, 0]})
    return PageContext(lang="ja", era="wareki", settings=_AppSettings(), run=lambda sql, params: pl.DataFrame(),
                       catalog=Catalog(), fiscal_years=(2020,), fiscal_year=2020,
                       version={"as_of_date": dt.date(2021, 3, 31)}, freshness=freshness,
                       stale_after_days=stale_after_days,
                       indicator_tables={"web_access": ("web_page_views_daily",)})


def test_indicator_sources_map_to_the_seeds_lake_tables() -> None:
    assert lake_tables(_context(20), ["web_access", "gis_events"]) == ["web_page_views_daily", "gis_events"]


def test_freshness_uses_the_threshold_the_build_used() -> None:
    # M13-1 reads web_page_views_daily only (seeds/plan_indicators.csv), 30 days old on the as-of date
    assert freshness_of(_context(20), ["web_access"]) == (dt.date(2021, 3, 1), False)
    assert freshness_of(_context(45), ["web_access"]) == (dt.date(2021, 3, 1), True)
    assert freshness_of(_context(None), ["web_access"]) == (dt.date(2021, 3, 1), True)  # older file: settings
