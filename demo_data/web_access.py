"""Homepage access: daily page views by page × device, one UTF-8-with-BOM CSV per month (analytics export)."""
from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import numpy as np
import polars as pl

from .common import Month, adjust_to_total, fiscal_year_months, is_new_year_closure, rng_for, write_bytes

HEADER = ["日付", "ページURL", "ページタイトル", "デバイス", "ページビュー数"]
DEVICES = ["pc", "smartphone", "tablet"]
# The plan's baseline (chapter 4, measure 13): FY2015 accesses 2,578,895; target 3,000,000 in FY2020.
FY2015_PAGE_VIEWS = 2_578_895
ANNUAL_PAGE_VIEWS = {2015: FY2015_PAGE_VIEWS, 2016: 2_655_000, 2017: 2_741_000, 2018: 2_702_000,
                     2019: 2_985_000, 2020: 3_480_000, 2021: 3_290_000, 2022: 3_160_000, 2023: 3_120_000,
                     2024: 3_175_000, 2025: 3_230_000}
LATER_GROWTH = 1.015  # per year after the last listed fiscal year
# (path, title, weight); seasonal boosts below.
PAGES: list[tuple[str, str, float]] = [
    ("/index.html", "トップページ", 30.0),
    ("/kurashi/gomi/index.html", "ごみ・リサイクル", 7.0),
    ("/kurashi/gomi/bunbetsu/index.html", "ごみの分け方・出し方", 6.0),
    ("/kurashi/gomi/sodai/index.html", "粗大ごみ", 4.5),
    ("/kurashi/koseki/juminhyo/index.html", "住民票の写しの請求", 5.0),
    ("/kurashi/koseki/inkan/index.html", "印鑑登録", 2.0),
    ("/kurashi/koseki/konbini/index.html", "コンビニ交付サービス", 2.5),
    ("/kurashi/koseki/mynumber/index.html", "マイナンバーカード", 3.5),
    ("/kurashi/koseki/tenshutsu/index.html", "転入・転出の手続き", 3.0),
    ("/kurashi/zei/juminzei/index.html", "住民税", 3.0),
    ("/kurashi/zei/keijidosha/index.html", "軽自動車税", 1.2),
    ("/kurashi/hoken/kokuho/index.html", "国民健康保険", 3.0),
    ("/kurashi/hoken/nenkin/index.html", "国民年金", 1.8),
    ("/kosodate/index.html", "子育て", 5.0),
    ("/kosodate/hoikuen/index.html", "保育園の入園", 4.5),
    ("/kosodate/jidokan/index.html", "児童館", 1.5),
    ("/kosodate/teate/index.html", "児童手当", 2.0),
    ("/kenko/kenshin/index.html", "健康診断・がん検診", 2.5),
    ("/kenko/yobosesshu/index.html", "予防接種", 3.0),
    ("/fukushi/kaigo/index.html", "介護保険", 2.5),
    ("/fukushi/shogai/index.html", "障がい者福祉", 1.5),
    ("/bosai/index.html", "防災", 2.5),
    ("/bosai/hazardmap/index.html", "ハザードマップ", 2.0),
    ("/bosai/hinanjo/index.html", "避難所", 1.5),
    ("/event/index.html", "イベント", 4.0),
    ("/event/hanabi/index.html", "いたばし花火大会", 1.5),
    ("/bunka/bijutsukan/index.html", "板橋区立美術館", 1.5),
    ("/bunka/toshokan/index.html", "図書館", 3.0),
    ("/sports/shisetsu/index.html", "スポーツ施設の予約", 2.5),
    ("/kankyo/index.html", "環境・エコ", 1.0),
    ("/machi/toshikeikaku/index.html", "都市計画", 1.2),
    ("/machi/doro/index.html", "道路・交通", 1.0),
    ("/machi/koen/index.html", "公園", 1.5),
    ("/kusei/shisetsu/index.html", "施設案内", 2.5),
    ("/kusei/saiyo/index.html", "職員採用", 1.5),
    ("/kusei/opendata/index.html", "オープンデータ", 0.6),
    ("/kusei/keikaku/ict/index.html", "ICT推進・活用計画", 0.3),
    ("/kusei/gikai/index.html", "区議会", 0.8),
    ("/sangyo/shokogyo/index.html", "産業・商工業", 0.8),
    ("/toiawase/index.html", "お問い合わせ", 2.0),
]
COVID_PAGE = ("/kenko/covid19/index.html", "新型コロナウイルス感染症に関する情報")
COVID_FIRST_DAY = dt.date(2020, 2, 1)
SEASONAL = {  # title → {month: factor}
    "ごみ・リサイクル": {12: 1.6, 3: 1.3, 4: 1.3}, "粗大ごみ": {12: 1.8, 3: 1.6, 4: 1.5},
    "住民税": {6: 2.5, 7: 1.5}, "転入・転出の手続き": {3: 2.2, 4: 2.0}, "保育園の入園": {10: 2.0, 11: 2.2, 1: 1.8},
    "防災": {9: 1.8, 10: 1.5}, "ハザードマップ": {9: 2.0, 10: 1.6}, "いたばし花火大会": {7: 3.5, 8: 4.0, 9: 0.3},
    "国民健康保険": {4: 1.5, 7: 1.5}, "職員採用": {5: 1.8, 6: 1.5},
}
# Site renewal (old URLs broken, search engines re-indexing): a three-week dip.
RENEWAL = (dt.date(2018, 10, 1), dt.date(2018, 10, 21), 0.62)


def annual_page_views(fiscal_year: int) -> float:
    last = max(ANNUAL_PAGE_VIEWS)
    if fiscal_year in ANNUAL_PAGE_VIEWS:
        return float(ANNUAL_PAGE_VIEWS[fiscal_year])
    return ANNUAL_PAGE_VIEWS[last] * LATER_GROWTH ** (fiscal_year - last)


def device_shares(day: dt.date) -> np.ndarray:
    """pc / smartphone / tablet: smartphones from ~35% (2015) to ~70% (2026)."""
    years = (day - dt.date(2015, 4, 1)).days / 365.25
    smartphone = min(0.72, 0.35 + 0.032 * years)
    tablet = max(0.04, 0.09 - 0.004 * years)
    return np.array([1 - smartphone - tablet, smartphone, tablet])


def day_weight(day: dt.date) -> float:
    """Weekdays higher, 年末年始 low, the renewal dip, the spring-2020 COVID-19 surge."""
    weight = 1.12 if day.weekday() < 5 else 0.72
    if is_new_year_closure(day):
        weight *= 0.55
    if RENEWAL[0] <= day <= RENEWAL[1]:
        weight *= RENEWAL[2]
    if dt.date(2020, 3, 1) <= day <= dt.date(2020, 6, 30):
        weight *= 1.45
    return weight


def page_weights(day: dt.date) -> tuple[list[tuple[str, str]], np.ndarray]:
    """Pages live on a day and their relative popularity."""
    pages = [(path, title) for path, title, _ in PAGES]
    weights = [base * SEASONAL.get(title, {}).get(day.month, 1.0) for _, title, base in PAGES]
    if day >= COVID_FIRST_DAY:
        months = (day.year - 2020) * 12 + day.month - 2
        pages.append(COVID_PAGE)
        weights.append(max(0.8, 18.0 * 0.88 ** max(0, months - 2)))
    return pages, np.array(weights)


@cache
def _fiscal_year_weight_sum(fiscal_year: int) -> float:
    return sum(day_weight(day) for m in fiscal_year_months(fiscal_year) for day in m.days())


def month_counts(month: Month, seed: int) -> pl.DataFrame:
    """Page views for one month (page-device-days with zero views are not exported)."""
    rng = rng_for(seed, "web_access", month)
    fy_total, fy_weight = annual_page_views(month.fiscal_year), _fiscal_year_weight_sum(month.fiscal_year)
    frames = []
    for day in month.days():
        pages, weights = page_weights(day)
        expect = fy_total * day_weight(day) / fy_weight * np.outer(weights / weights.sum(), device_shares(day))
        counts = rng.poisson(expect).ravel()
        frames.append(pl.DataFrame({
            "access_date": [day] * counts.size,
            "page_path": [p for p, _ in pages for _ in DEVICES],
            "page_title_ja": [t for _, t in pages for _ in DEVICES],
            "device_type": DEVICES * len(pages),
            "page_view_count": counts.astype(np.int64),
        }))
    frame = pl.concat(frames)
    if month == Month(2016, 3):
        frame = _close_fiscal_2015(frame, seed)
    return frame.filter(pl.col("page_view_count") > 0)


def _close_fiscal_2015(march: pl.DataFrame, seed: int) -> pl.DataFrame:
    """Adjust March 2016 so FY2015's total is exactly the plan's baseline 2,578,895."""
    earlier = sum(int(month_counts(m, seed)["page_view_count"].sum()) for m in fiscal_year_months(2015)[:-1])
    counts = adjust_to_total(march["page_view_count"].to_numpy(), FY2015_PAGE_VIEWS - earlier)
    return march.with_columns(pl.Series("page_view_count", counts))


def write_month(out_dir: Path, month: Month, seed: int) -> tuple[Path, int]:
    """One UTF-8-with-BOM CSV per month."""
    frame = month_counts(month, seed).select(
        pl.col("access_date").dt.strftime("%Y-%m-%d").alias("日付"),
        pl.col("page_path").alias("ページURL"),
        pl.col("page_title_ja").alias("ページタイトル"),
        pl.col("device_type").alias("デバイス"),
        pl.col("page_view_count").alias("ページビュー数"),
    )
    path = out_dir / f"web_access_{month}.csv"
    write_bytes(path, b"\xef\xbb\xbf" + frame.write_csv().encode("utf-8"))
    return path, frame.height
