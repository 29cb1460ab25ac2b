"""Readers for the team's real public data (My Number card uptake), read in place from settings.real_data_dir."""
from __future__ import annotations

from pathlib import Path

import polars as pl

MYNUMBER_DIR = "mynumbercard_codeforjapan"
ITABASHI_TIMESERIES = "itabashi_131199_mynumbercard_timeseries_2017-2022.csv"
ALL_LOCALGOVS = "all_localgovs_20221231.csv"
SPECIAL_WARD_CODES = range(131016, 131238)  # 千代田区 131016 … 江戸川区 131237 (codes lost no digits here)
_RENAME = {"算出基準日": "snapshot_date", "都道府県名": "prefecture_name_ja", "市区町村名": "municipality_name_ja",
           "総数（人口）": "population", "交付枚数": "cards_issued", "人口に対する交付枚数率": "card_rate_percent",
           "団体コード": "municipality_code"}


def _read(path: Path) -> pl.DataFrame:
    frame = pl.read_csv(path, encoding="utf8-lossy", infer_schema=False)  # codes as text; BOM stripped below
    frame = frame.rename({c: c.lstrip("\ufeff") for c in frame.columns})
    frame = frame.rename({k: v for k, v in _RENAME.items() if k in frame.columns})
    return frame.select(
        pl.col("snapshot_date").str.strptime(pl.Date, "%Y/%m/%d"),
        "prefecture_name_ja", "municipality_name_ja",
        pl.col("population").cast(pl.Int64, strict=False),
        pl.col("cards_issued").cast(pl.Int64, strict=False),
        pl.col("card_rate_percent").cast(pl.Float64, strict=False),
        pl.col("municipality_code").str.strip_chars().str.zfill(6).alias("municipality_code"),
    )


def itabashi_card_timeseries(real_data_dir: Path) -> pl.DataFrame | None:
    """Itabashi's 46 snapshots 2017-2022 (None when the shared file is absent)."""
    path = real_data_dir / MYNUMBER_DIR / ITABASHI_TIMESERIES
    return _read(path).sort("snapshot_date") if path.exists() else None


def special_wards_card_rate(real_data_dir: Path) -> pl.DataFrame | None:
    """The 23 special wards on 2022-12-31: 東京都 rows whose name ends in 区 (codes 131016-131237)."""
    path = real_data_dir / MYNUMBER_DIR / ALL_LOCALGOVS
    if not path.exists():
        return None
    frame = _read(path).filter(
        (pl.col("prefecture_name_ja") == "東京都") & pl.col("municipality_name_ja").str.ends_with("区")
        & pl.col("municipality_code").str.contains(r"^\d{6}$"))
    frame = frame.filter(pl.col("municipality_code").cast(pl.Int64).is_between(131016, 131237))
    return frame.sort("card_rate_percent", descending=True)
