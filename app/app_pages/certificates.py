"""証明書交付: channel shift, convenience-store share vs the 40% target, real My Number card uptake beside it."""
from __future__ import annotations

import polars as pl
import streamlit as st

from app import charts, queries, real_data
from app.formatting import format_man, format_percent
from app.i18n import CERTIFICATE_TYPE_NAMES, CHANNEL_NAMES, OFFICE_NAMES, code_name
from app.ui import chart_block, ctx, not_published, safe, status_line

CONVENIENCE_TARGET = 0.40  # plan measure 9 (M09-1): convenience-store share 40% by FY2020


def render() -> None:
    c = ctx()
    st.title(c.t("page_certificates"))
    years = safe(c, queries.certificate_years, default=[])
    if not years:
        not_published(c, "fct_certificate_issuance_monthly")
    else:
        _issuance(c, years)
    _mynumber(c)


def _issuance(c, years: list[int]) -> None:
    lang = c.lang
    f1, f2 = st.columns(2)
    cert_type = f1.selectbox(c.t("certificate_type"), [None, *CERTIFICATE_TYPE_NAMES], key="cert_type",
                             format_func=lambda code: "—" if code is None else code_name(CERTIFICATE_TYPE_NAMES, code, lang))
    office = f2.selectbox(c.t("office"), [None, *OFFICE_NAMES], key="cert_office",
                          format_func=lambda code: "—" if code is None else code_name(OFFICE_NAMES, code, lang))
    monthly = safe(c, queries.certificate_monthly, cert_type, office, years[0], years[-1])
    if monthly.is_empty():
        st.info(c.t("no_rows"))
        return
    monthly = monthly.with_columns(
        pl.col("channel_code").map_elements(lambda x: code_name(CHANNEL_NAMES, x, lang), return_dtype=pl.String)
        .alias("channel"), pl.col("issued_count").cast(pl.Float64))
    share = (monthly.group_by("month_start_date").agg(
        pl.col("issued_count").filter(pl.col("channel_code") == "convenience_store").sum().alias("conv"),
        pl.col("issued_count").sum().alias("total"))
        .with_columns((pl.col("conv") / pl.col("total")).alias("convenience_share")).sort("month_start_date"))
    latest = share.tail(1).to_dicts()[0]
    year_rows = share.filter(pl.col("month_start_date").dt.year().cast(pl.Int32) * 12
                             + pl.col("month_start_date").dt.month().cast(pl.Int32)
                             >= c.fiscal_year * 12 + 4).filter(
        pl.col("month_start_date").dt.year().cast(pl.Int32) * 12 + pl.col("month_start_date").dt.month().cast(pl.Int32)
        < (c.fiscal_year + 1) * 12 + 4)
    fy_share = (year_rows["conv"].sum() / year_rows["total"].sum()) if year_rows.height else None
    m1, m2, m3 = st.columns(3)
    m1.metric(f"{c.t('conv_share')}（{c.fy(c.fiscal_year)}）", format_percent(fy_share, ratio=True),
              delta=None if fy_share is None else f"{(fy_share - CONVENIENCE_TARGET) * 100:+.1f} pt vs 40%")
    m2.metric(f"{c.t('issued_count')}（{c.fy(c.fiscal_year)}）", format_man(year_rows["total"].sum(), lang))
    m3.metric(c.t("conv_target"), "40%")
    st.caption(status_line(c, ("certificate_issuances",), ("fct_certificate_issuance_monthly",)))

    chart = charts.stacked_area(monthly, "issued_count", "channel", c.t("issued_count"), c.t("channel"),
                                sort=[code_name(CHANNEL_NAMES, k, lang) for k in CHANNEL_NAMES])
    summary = (f"{c.t('conv_share')}: {format_percent(share['convenience_share'][0], ratio=True)} → "
               f"{format_percent(latest['convenience_share'], ratio=True)}（{latest['month_start_date']:%Y/%m}）")
    chart_block(c, chart, monthly.select("month_start_date", "channel", "issued_count"), summary, "cert_area")

    chart = charts.monthly_line(share, "convenience_share", c.t("conv_share"), target=CONVENIENCE_TARGET,
                                target_label=c.t("conv_target"), percent=True)
    summary = f"{c.t('conv_share')} {format_percent(latest['convenience_share'], ratio=True)} / {c.t('conv_target')}"
    chart_block(c, chart, share.select("month_start_date", "conv", "total", "convenience_share"), summary, "cert_share")

    left, right = st.columns(2)
    for column, dimension, names, title in ((left, "certificate_type_code", CERTIFICATE_TYPE_NAMES, "certificate_type"),
                                            (right, "office_code", OFFICE_NAMES, "office")):
        with column:
            breakdown = safe(c, queries.certificate_breakdown, dimension, c.fiscal_year)
            st.markdown(f"**{c.t(title)}（{c.fy(c.fiscal_year)}）**")
            if breakdown.is_empty():
                st.info(c.t("no_rows"))
                continue
            breakdown = breakdown.with_columns(
                pl.col("code").map_elements(lambda x, n=names: code_name(n, x, lang), return_dtype=pl.String)
                .alias("category"),
                pl.col("channel_code").map_elements(lambda x: code_name(CHANNEL_NAMES, x, lang),
                                                    return_dtype=pl.String).alias("channel"))
            top = breakdown.group_by("category").agg(pl.col("issued_count").sum()).sort("issued_count").tail(1)
            summary = f"{top['category'][0]} {format_man(top['issued_count'][0], lang)}"
            chart = charts.stacked_bar(breakdown, "category", "issued_count", "channel", c.t("issued_count"),
                                       c.t("channel"))
            chart_block(c, chart, breakdown.select("category", "channel", "issued_count"), summary, f"cert_{dimension}")


def _mynumber(c) -> None:
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
                    summary, "mynumber_series")
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
                    frame, summary, "wards")
    st.caption(c.t("attribution_mynumber"))


if __name__ == "__main__":  # Streamlit runs page files as __main__
    render()
