"""統合型GIS usage: one event per row (login, map open, layer add, print, export), one UTF-8 CSV per month."""
from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import numpy as np
import polars as pl

from .common import (
    Month,
    apportion,
    business_days,
    fiscal_year_business_days,
    fiscal_year_months,
    rng_for,
    write_bytes,
)

HEADER = ["日時", "職員ID", "所属", "操作", "地図名"]
# The plan's baselines (chapter 4, measure 3), FY2015: 58 logins per business day, 220 maps opened per month.
FY2015_LOGINS_PER_DAY = 58
FY2015_MAP_OPENS_PER_MONTH = 220
EVENT_JA = {"login": "ログイン", "map_open": "地図表示", "layer_add": "レイヤ追加", "print": "印刷", "export": "エクスポート"}
PER_MAP_OPEN = {"layer_add": 1.6, "print": 0.45, "export": 0.08}  # follow-up events per map opened
DEPARTMENTS = [("IT推進課", 3.0), ("都市計画課", 6.0), ("道路管理課", 6.0), ("防災危機管理課", 4.0), ("環境政策課", 2.0),
               ("建築指導課", 5.0), ("公園みどり課", 3.5), ("戸籍住民課", 2.5), ("課税課", 2.5), ("資産税課", 1.0),
               ("住宅政策課", 2.0), ("市街地整備課", 2.5), ("拠点整備課", 1.5), ("交通安全課", 1.5), ("土木計画・交通政策課", 2.0),
               ("工事課", 2.0), ("治水課", 1.5), ("清掃リサイクル課", 1.5), ("生活衛生課", 1.5), ("健康推進課", 1.0),
               ("福祉部管理課", 1.0), ("学務課", 1.0), ("施設経営課", 2.0), ("くらしと観光課", 0.8), ("区民文化部地域振興課", 1.0)]
MAPS = [("都市計画図", 6.0), ("道路台帳図", 6.0), ("防災マップ", 3.0), ("住居表示図", 4.0), ("公園台帳", 2.0),
        ("下水道台帳", 2.0), ("地番図", 3.0), ("航空写真", 3.5), ("用途地域図", 3.0), ("建築計画概要書図", 1.5),
        ("ハザードマップ（浸水）", 1.5), ("避難所マップ", 1.0), ("公共施設マップ", 1.5), ("学区域図", 1.0)]
STAFF_COUNT = 300
# Honest gap: the GIS server was down for a week (no events at all).
OUTAGE = (dt.date(2019, 8, 5), dt.date(2019, 8, 9))


def logins_per_day(fiscal_year: int) -> float:
    """58 in FY2015, ~95 by FY2020, ~120 by FY2026."""
    if fiscal_year <= 2020:
        return FY2015_LOGINS_PER_DAY + (95 - FY2015_LOGINS_PER_DAY) * (fiscal_year - 2015) / 5
    return 95 + 4.2 * (fiscal_year - 2020)


def map_opens_per_month(fiscal_year: int) -> float:
    """220 in FY2015, ~420 by FY2020, growing slower afterwards."""
    if fiscal_year <= 2020:
        return FY2015_MAP_OPENS_PER_MONTH + 40 * (fiscal_year - 2015)
    return 420 + 18 * (fiscal_year - 2020)


@cache
def staff(seed: int) -> tuple[list[str], list[str], np.ndarray]:
    """Pseudonymous staff ids (S + 6 digits), their departments and how heavily each uses the GIS."""
    rng = rng_for(seed, "gis", None, part=1)
    ids = [f"S{n:06d}" for n in rng.choice(1_000_000, size=STAFF_COUNT, replace=False)]
    weights = np.array([w for _, w in DEPARTMENTS])
    depts = [DEPARTMENTS[i][0] for i in rng.choice(len(DEPARTMENTS), size=STAFF_COUNT, p=weights / weights.sum())]
    activity = rng.lognormal(0.0, 0.9, size=STAFF_COUNT)
    return ids, depts, activity / activity.sum()


def _daily_counts(month: Month, days: list[dt.date], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Logins and map openings per business day of the month."""
    fy = month.fiscal_year
    login_lambda = logins_per_day(fy) * np.array([1.1 if d.weekday() == 0 else 1.0 for d in days])
    opens_lambda = map_opens_per_month(fy) * 12 / fiscal_year_business_days(fy)
    return rng.poisson(login_lambda), rng.poisson(opens_lambda, size=len(days))


def _fy2015_targets(month: Month, seed: int, days: list[dt.date], logins: np.ndarray,
                    opens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """In March 2016, make FY2015's totals exact: 58 logins per business day, 220 map openings per month."""
    earlier_logins = earlier_opens = 0
    for m in fiscal_year_months(2015)[:-1]:
        m_days = business_days(m)
        l_counts, o_counts = _daily_counts(m, m_days, rng_for(seed, "gis", m))
        earlier_logins += int(l_counts.sum())
        earlier_opens += int(o_counts.sum())
    login_target = FY2015_LOGINS_PER_DAY * fiscal_year_business_days(2015) - earlier_logins
    opens_target = FY2015_MAP_OPENS_PER_MONTH * 12 - earlier_opens
    logins = apportion(login_target, np.ones(len(days)) * np.maximum(logins, 1))
    opens = apportion(opens_target, np.ones(len(days)) * np.maximum(opens, 1))
    return logins, opens


def month_events(month: Month, seed: int) -> pl.DataFrame:
    """All events of one month, ordered by time."""
    rng = rng_for(seed, "gis", month)
    days = business_days(month)
    logins, opens = _daily_counts(month, days, rng)
    if month == Month(2016, 3):
        logins, opens = _fy2015_targets(month, seed, days, logins, opens)
    keep = np.array([not (OUTAGE[0] <= d <= OUTAGE[1]) for d in days], dtype=bool)
    logins, opens = logins * keep, opens * keep
    ids, depts, activity = staff(seed)
    day_ordinal = np.array([d.toordinal() for d in days])

    # logins: a staff member, a time in office hours (8:30-17:15, a few after hours)
    login_day = np.repeat(np.arange(len(days)), logins)
    login_staff = rng.choice(STAFF_COUNT, size=login_day.size, p=activity)
    login_sec = 8.5 * 3600 + rng.beta(1.8, 2.4, size=login_day.size) * 8.75 * 3600
    login_sec += (rng.random(login_day.size) < 0.03) * rng.exponential(3600, size=login_day.size)

    # map openings and follow-up events belong to a login of the same day, a little later
    open_day = np.repeat(np.arange(len(days)), opens)
    first_login = np.concatenate([[0], np.cumsum(logins)[:-1]])
    pick = first_login[open_day] + (rng.random(open_day.size) * np.maximum(logins[open_day], 1)).astype(np.int64)
    pick = np.minimum(pick, max(login_day.size - 1, 0))
    map_weights = np.array([w for _, w in MAPS])
    open_map = rng.choice(len(MAPS), size=open_day.size, p=map_weights / map_weights.sum())
    open_sec = login_sec[pick] + rng.exponential(300, size=open_day.size) + 5 if pick.size else np.zeros(0)

    parts = [(login_day, login_staff, login_sec, np.full(login_day.size, -1), "login"),
             (open_day, login_staff[pick] if pick.size else pick, open_sec, open_map, "map_open")]
    for event, per_open in PER_MAP_OPEN.items():
        n = rng.poisson(per_open, size=open_day.size)
        src = np.repeat(np.arange(open_day.size), n)
        sec = open_sec[src] + rng.exponential(420, size=src.size) + 10
        parts.append((open_day[src], login_staff[pick][src] if pick.size else src, sec, open_map[src], event))

    frames = []
    for day_idx, staff_idx, sec, map_idx, event in parts:
        if day_idx.size == 0:
            continue
        frames.append(pl.DataFrame({
            "ordinal": day_ordinal[day_idx].astype(np.int64),
            "second": np.minimum(sec, 86399).astype(np.int64),
            "staff_index": staff_idx.astype(np.int64),
            "map_index": map_idx.astype(np.int64),
            "event_type": [event] * day_idx.size,
        }))
    if not frames:
        return pl.DataFrame(schema={"event_at": pl.Datetime, "staff_pseudo_id": pl.String,
                                    "department_name_ja": pl.String, "event_type": pl.String,
                                    "map_name_ja": pl.String})
    epoch = dt.date(1970, 1, 1).toordinal()
    order = {e: i for i, e in enumerate(EVENT_JA)}
    events = pl.concat(frames).with_columns(pl.col("event_type").replace_strict(order).alias("event_order"))
    events = events.sort(["ordinal", "second", "event_order", "staff_index", "map_index"])
    return events.select(
        (pl.from_epoch((pl.col("ordinal") - epoch) * 86400 + pl.col("second"), time_unit="s")).alias("event_at"),
        pl.col("staff_index").replace_strict(dict(enumerate(ids)), return_dtype=pl.String).alias("staff_pseudo_id"),
        pl.col("staff_index").replace_strict(dict(enumerate(depts)), return_dtype=pl.String)
        .alias("department_name_ja"),
        pl.col("event_type"),
        pl.col("map_index").replace_strict({-1: None} | {i: m for i, (m, _) in enumerate(MAPS)},
                                           return_dtype=pl.String).alias("map_name_ja"),
    )


def write_month(out_dir: Path, month: Month, seed: int) -> tuple[Path, int]:
    """One plain UTF-8 CSV per month with ISO timestamps and Japanese operation names."""
    frame = month_events(month, seed).select(
        pl.col("event_at").dt.strftime("%Y-%m-%dT%H:%M:%S").alias("日時"),
        pl.col("staff_pseudo_id").alias("職員ID"),
        pl.col("department_name_ja").alias("所属"),
        pl.col("event_type").replace_strict(EVENT_JA, return_dtype=pl.String).alias("操作"),
        pl.col("map_name_ja").alias("地図名"),
    )
    path = out_dir / f"gis_events_{month}.csv"
    write_bytes(path, frame.write_csv().encode("utf-8"))
    return path, frame.height
