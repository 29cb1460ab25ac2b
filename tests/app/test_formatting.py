"""Japanese number, fiscal-year and status formatting."""
from app.formatting import (
    fiscal_year_label,
    format_man,
    format_number,
    format_percent,
    normalize_status,
    status_label,
)
from app.i18n import TEXTS, t


def test_numbers_use_thousands_separators_and_man() -> None:
    assert format_number(2578895) == "2,578,895"
    assert format_man(2578895) == "257.9万"
    assert format_man(3_000_000) == "300万"
    assert format_man(123_456_789) == "1.23億"
    assert format_man(9999) == "9,999"
    assert format_man(3_000_000, lang="en") == "3M"
    assert format_percent(0.4, ratio=True) == "40%"
    assert format_number(None) == "—"


def test_fiscal_years_in_wareki_and_seireki() -> None:
    assert fiscal_year_label(2015) == "平成27年度"
    assert fiscal_year_label(2019) == "令和元年度"
    assert fiscal_year_label(2020) == "令和2年度"
    assert fiscal_year_label(2020, era="seireki") == "2020年度"
    assert fiscal_year_label(2020, era="seireki", lang="en") == "FY2020"


def test_status_labels_and_aliases() -> None:
    assert status_label("on_track") == "順調"
    assert status_label("On track", lang="en") == "On track"
    assert normalize_status(None) == "no_data"
    assert status_label("off_track", with_icon=True).startswith("×")


def test_every_text_has_both_languages() -> None:
    assert all(ja and en for ja, en in TEXTS.values())
    assert t("page_overview") == "計画の概要" and t("page_overview", "en") == "Plan overview"


def test_overview_trend_is_a_text_sparkline_with_its_numbers() -> None:
    from app.app_pages.overview import _trend_text

    assert _trend_text([0.0, 50.0, 100.0]) == "▁▅█ 0 → 50 → 100"
    assert _trend_text([None, 20.0, 200.0]) == "▂█ 20 → 200"  # scaled to the largest value above 100 %
    assert _trend_text([]) == "—"
