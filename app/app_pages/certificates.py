"""証明書交付: channel shift, convenience-store share vs the 40% target, real My Number card uptake beside it."""
from __future__ import annotations

import polars as pl
import streamlit as st

from app import charts, queries, real_data
from app.formatting import format_man, format_percent
from app.ui import PageContext, chart_block, ctx, not_published, plan_definition, safe, status_line

CONVENIENCE_INDICATOR = "M09-1"  # plan measure 9: convenience-store share of certificates, 40% by FY2020


def render() -> None:
    c = ctx()
    st.title(c.t("page_certificates"))
    shift = safe(c, queries.certificate_channel_shift)
    if shift.is_empty():
        not_published(c, "mart_certificate_channel_shift")
    else:
        _issuance(c, shift)
    _mynumber(c)


def _issuance(c: PageContext, shift: pl.DataFrame) -> None:
    """Issuance by channel: the year's headline figures, the channel mix, the convenience-store share, breakdowns."""
    channel = "channel_name_en" if c.lang == "en" else "channel_name_ja"
    target_pct = float(shift["convenience_store_target_pct"].drop_nulls()[0])
    fy_share = _headline_metrics(c, shift, target_pct)
    order = _channel_mix(c, shift, channel)
    _convenience_share(c, shift, target_pct, fy_share)
    _breakdowns(c, channel, order)


def _headline_metrics(c: PageContext, shift: pl.DataFrame, target_pct: float) -> float | None:
    """The year's convenience-store share against the target, certificates issued, the target; returns the share."""
    kpi = safe(c, queries.indicator_year, CONVENIENCE_INDICATOR, c.fiscal_year, default={})
    year = shift.filter(pl.col("fiscal_year") == c.fiscal_year)
    total = year.filter(pl.col("channel_code") == "convenience_store")["total_issued_count"].sum()
    fy_share = kpi.get("actual_value")
    m1, m2, m3 = st.columns(3)
    m1.metric(f"{c.t('conv_share')}（{c.fy(c.fiscal_year)}）", format_percent(fy_share),
              delta=None if fy_share is None else f"{fy_share - target_pct:+.1f} pt（{c.t('target')} {target_pct:g}%）")
    m2.metric(f"{c.t('issued_count')}（{c.fy(c.fiscal_year)}）", format_man(total, c.lang) + c.t("unit_items"))
    m3.metric(f"{c.t('target')}（{c.fy(kpi.get('target_fiscal_year') or 2020)}）", f"{target_pct:g}%")
    st.caption(status_line(c, ("certificate_issuances",), ("mart_certificate_channel_shift",),
                           through=kpi.get("data_through_date"), fresh=kpi.get("is_data_fresh"),
                           passed=kpi.get("passed_quality_checks")))
    return fy_share


def _channel_mix(c: PageContext, shift: pl.DataFrame, channel: str) -> list[str]:
    """Certificates by channel per month (stacked area); returns the channels in their display order."""
    order = shift.sort("channel_sort_order")[channel].unique(maintain_order=True).to_list()
    chart = charts.stacked_area(shift, "issued_count", channel, c.t("issued_count"), c.t("channel"), sort=order)
    first = shift.filter(pl.col("month_start_date") == shift["month_start_date"].min())
    last_month = shift["month_start_date"].max()
    last = shift.filter(pl.col("month_start_date") == last_month)
    top_first = first.sort("issued_count").tail(1).to_dicts()[0]
    top_last = last.sort("issued_count").tail(1).to_dicts()[0]
    summary = (f"{first['month_start_date'][0]:%Y/%m} {top_first[channel]} {format_percent(top_first['channel_share_pct'])}"
               f" → {last_month:%Y/%m} {top_last[channel]} {format_percent(top_last['channel_share_pct'])}")
    chart_block(c, chart, shift.select(
        pl.col("month_start_date").alias(c.t("month")), pl.col(channel).alias(c.t("channel")),
        pl.col("issued_count").alias(c.t("issued_count")),
        pl.col("channel_share_pct").round(1).alias(c.t("share") + " (%)")), summary, "cert_area",
        source="mart_certificate_channel_shift")
    return order


def _convenience_share(c: PageContext, shift: pl.DataFrame, target_pct: float, fy_share: float | None) -> None:
    """The convenience-store share per month against the target line."""
    share = (shift.filter(pl.col("channel_code") == "convenience_store")
             .select("month_start_date", "fiscal_year", "issued_count", "total_issued_count",
                     (pl.col("channel_share_pct") / 100).alias("convenience_share")))
    latest = share.tail(1).to_dicts()[0]
    chart = charts.monthly_line(share, "convenience_share", c.t("conv_share"), target=target_pct / 100,
                                target_label=f"{c.t('target')} {target_pct:g}%", percent=True)
    summary = (f"{c.t('conv_share')} {format_percent(fy_share)}（{c.fy(c.fiscal_year)}）、"
               f"{latest['month_start_date']:%Y/%m} {format_percent(latest['convenience_share'], ratio=True)}"
               f" ／ {c.t('target')} {target_pct:g}%")
    chart_block(c, chart, share.select(
        pl.col("month_start_date").alias(c.t("month")), pl.col("issued_count").alias(c.t("conv_count")),
        pl.col("total_issued_count").alias(c.t("issued_count")),
        (pl.col("convenience_share") * 100).round(1).alias(c.t("conv_share") + " (%)")), summary, "cert_share",
        source="mart_certificate_channel_shift", definition=plan_definition(c, "M09-1"))


def _breakdowns(c: PageContext, channel: str, order: list[str]) -> None:
    """The year's certificates by type and by office, side by side, each split by channel."""
    left, right = st.columns(2)
    for column, dimension in ((left, "certificate_type"), (right, "office")):
        with column:
            _breakdown(c, dimension, channel, order)


def _breakdown(c: PageContext, dimension: str, channel: str, order: list[str]) -> None:
    """One stacked bar of the year's certificates by dimension and channel."""
    lang = c.lang
    breakdown = safe(c, queries.certificate_breakdown, dimension, c.fiscal_year)
    st.markdown(f"**{c.t(dimension)}（{c.fy(c.fiscal_year)}）**")
    if breakdown.is_empty():
        st.info(c.t("no_rows"))
        return
    breakdown = breakdown.with_columns(
        pl.col("category_en" if lang == "en" else "category_ja").alias("category"),
        pl.col(channel).alias("channel"))
    top = breakdown.group_by("category").agg(pl.col("issued_count").sum()).sort("issued_count").tail(1)
    summary = f"{top['category'][0]} {format_man(top['issued_count'][0], lang)}{c.t('unit_items')}"
    chart = charts.stacked_bar(breakdown, "category", "issued_count", "channel", c.t("issued_count"),
                               c.t("channel"), channel_order=order)
    chart_block(c, chart, breakdown.select(
        pl.col("category").alias(c.t(dimension)), pl.col("channel").alias(c.t("channel")),
        pl.col("issued_count").alias(c.t("issued_count"))), summary, f"cert_{dimension}",
        source="fct_certificate_issuance_monthly")


def _mynumber(c: PageContext) -> None:
    lang = c.lang
    st.subheader(c.t("mynumber_title"))
    folder = c.settings.real_data_dir / real_data.MYNUMBER_DIR
    series = real_data.itabashi_card_timeseries(c.settings.real_data_dir)
    if series is None:
        st.warning(c.t("mynumber_missing", path=folder / real_data.ITABASHI_TIMESERIES))
    else:
        frame = series.select(pl.col("snapshot_date").alias("month_start_date"),
                              (pl.col("card_rate_percent") / 100).alias("card_rate"), "cards_issued", "population")
        first, last = series.head(1).to_dicts()[0], series.tail(1).to_dicts()[0]
        summary = (f"{first['snapshot_date']} {first['card_rate_percent']}% → {last['snapshot_date']} "
                   f"{last['card_rate_percent']}%（{format_man(last['cards_issued'], lang)}"
                   f"{'枚' if lang == 'ja' else ' cards'}）")
        st.metric(f"{c.t('mynumber_rate')}（{last['snapshot_date']}）", f"{last['card_rate_percent']}%")
        chart_block(c, charts.monthly_line(frame, "card_rate", c.t("mynumber_rate"), percent=True), frame,
                    summary, "mynumber_series",
                    source=f"{real_data.MYNUMBER_DIR}/{real_data.ITABASHI_TIMESERIES}")
    st.subheader(c.t("wards_title"))
    wards = real_data.special_wards_card_rate(c.settings.real_data_dir)
    if wards is None:
        st.warning(c.t("mynumber_missing", path=folder / real_data.ALL_LOCALGOVS))
    else:
        frame = wards.select(pl.col("municipality_name_ja").alias("ward"),
                             (pl.col("card_rate_percent") / 100).alias("card_rate"), "cards_issued", "population")
        rank = frame["ward"].to_list().index("板橋区") + 1 if "板橋区" in frame["ward"].to_list() else None
        rate = frame.filter(pl.col("ward") == "板橋区")["card_rate"].to_list()
        summary = (f"板橋区 {format_percent(rate[0], ratio=True) if rate else '—'}"
                   f"（{wards.height}区中{rank}位）" if lang == "ja" else
                   f"Itabashi {format_percent(rate[0], ratio=True) if rate else '—'} (rank {rank} of {wards.height})")
        chart_block(c, charts.bar(frame, "ward", "card_rate", c.t("mynumber_rate"), highlight="板橋区", percent=True),
                    frame, summary, "wards",
                    source=f"{real_data.MYNUMBER_DIR}/{real_data.ALL_LOCALGOVS}")
    st.caption(c.t("attribution_mynumber"))


if __name__ == "__main__":  # Streamlit runs page files as __main__
    render()
