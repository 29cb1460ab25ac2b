"""Raw web server logs: one Combined Log Format file per month (access_log_YYYY-MM.log), as a monthly logrotate
leaves them. Built a month at a time with numpy and polars string expressions (millions of lines in seconds);
each month has its own random stream, so a day's file does not depend on the span generated."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from .common import Month, rng_for
from .web_access import PAGES, _fiscal_year_weight_sum, annual_page_views, day_weight

REFERENCE_ANNUAL_PAGE_VIEWS = 3_000_000  # lines_per_year is the volume of a year with this many page views
ASSETS = ["/css/common.css", "/css/print.css", "/js/common.js", "/js/jquery.min.js", "/img/logo.png",
          "/img/header_bg.jpg", "/img/icon_pdf.gif", "/favicon.ico", "/fonts/notosansjp.woff2",
          "/kurashi/gomi/bunbetsu/files/gomi_calendar.pdf", "/rss/news.xml"]
PAGE_PATHS = [path for path, _, _ in PAGES]
PAGE_WEIGHTS = np.array([weight for _, _, weight in PAGES]) / sum(weight for _, _, weight in PAGES)
# (user agent, weight): browsers on PC, smartphone and tablet, crawlers and monitors, and a few '-' agents.
AGENTS: list[tuple[str, float]] = [
    (("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
     "Safari/537.36"), 0.20),
    (("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
     "Safari/537.36 Edg/120.0.0.0"), 0.10),
    (("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 "
     "Safari/605.1.15"), 0.05),
    (("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.1 Mobile/15E148 Safari/604.1"), 0.28),
    (("Mozilla/5.0 (Linux; Android 13; SO-51C) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
     "Mobile Safari/537.36"), 0.17),
    (("Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 "
     "Mobile/15E148 Safari/604.1"), 0.05),
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", 0.07),
    ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", 0.03),
    ("Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)", 0.03),
    ("curl/8.4.0", 0.01),
    ("-", 0.01),
]
REFERRERS = ["-", "https://www.google.com/", "https://search.yahoo.co.jp/", "https://www.bing.com/",
             "https://www.city.itabashi.tokyo.jp/index.html", "https://twitter.com/"]
REFERRER_WEIGHTS = np.array([0.45, 0.25, 0.08, 0.04, 0.16, 0.02])
# status code, weight (304 and most redirects carry no body: bytes '-')
STATUSES = np.array([200, 304, 301, 404, 500])
STATUS_WEIGHTS = np.array([0.86, 0.08, 0.02, 0.035, 0.005])
HOUR_WEIGHTS = np.array([1, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 4.5, 6.5, 7, 6.8, 6, 6.5, 6.8, 6.5, 6, 5.5, 5,
                         5, 4.8, 4, 3, 2], dtype=float)
MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
CLIENTS_PER_DAY_FRACTION = 0.12  # distinct client addresses ≈ 12 % of a day's requests (pages pull assets)


def day_request_counts(month: Month, lines_per_year: int, rng: np.random.Generator) -> np.ndarray:
    """Requests on each day of the month: the analytics export's daily profile scaled to lines_per_year."""
    scale = lines_per_year * annual_page_views(month.fiscal_year) / REFERENCE_ANNUAL_PAGE_VIEWS
    weight_sum = _fiscal_year_weight_sum(month.fiscal_year)
    expected = np.array([scale * day_weight(day) / weight_sum for day in month.days()])
    return rng.poisson(expected)


def _pick(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    return rng.choice(len(weights), size=size, p=weights / weights.sum())


def month_lines(month: Month, lines_per_year: int, seed: int) -> pl.DataFrame:
    """One row per request of the month (day of the month from 0, line), in time order."""
    rng = rng_for(seed, "web_access", month, part=1)
    per_day = day_request_counts(month, lines_per_year, rng)
    total = int(per_day.sum())
    day_index = np.repeat(np.arange(per_day.size), per_day)
    seconds = _pick(rng, HOUR_WEIGHTS, total) * 3600 + rng.integers(0, 3600, total)
    order = np.lexsort((seconds, day_index))
    day_index, seconds = day_index[order], seconds[order]
    # Clients: a day's pool of addresses in the documentation ranges (RFC 5737), drawn with a skew.
    pool = np.maximum(1, (per_day * CLIENTS_PER_DAY_FRACTION).astype(np.int64))
    client = (rng.pareto(1.2, total) * pool[day_index] / 8).astype(np.int64) % pool[day_index] + day_index * 7919
    is_asset = rng.random(total) < 0.55
    path = np.where(is_asset, (_pick(rng, np.ones(len(ASSETS)), total) + len(PAGE_PATHS)),
                    _pick(rng, PAGE_WEIGHTS, total))
    status = STATUSES[_pick(rng, STATUS_WEIGHTS, total)]
    body = rng.integers(300, 60_000, total)
    method = np.where(rng.random(total) < 0.01, 1, np.where(rng.random(total) < 0.005, 2, 0))
    with_query = rng.random(total) < 0.04
    frame = pl.DataFrame({
        "day": pl.Series(day_index, dtype=pl.Int32),
        "seconds": pl.Series(seconds, dtype=pl.Int32),
        "client": pl.Series(client, dtype=pl.Int64),
        "path": pl.Series(path, dtype=pl.Int32),
        "query": pl.Series(with_query),
        "status": pl.Series(status, dtype=pl.Int32),
        "body": pl.Series(body, dtype=pl.Int64),
        "method": pl.Series(method, dtype=pl.Int32),
        "referrer": pl.Series(_pick(rng, REFERRER_WEIGHTS, total), dtype=pl.Int32),
        "agent": pl.Series(_pick(rng, np.array([w for _, w in AGENTS]), total), dtype=pl.Int32),
    })
    two = {"hour": (pl.col("seconds") // 3600), "minute": (pl.col("seconds") // 60 % 60),
           "second": (pl.col("seconds") % 60)}
    address = pl.concat_str([pl.lit("203.0."), (pl.col("client") // 256 % 256).cast(pl.String), pl.lit("."),
                             (pl.col("client") % 256).cast(pl.String)]).alias("address")
    # 198.51.100.x and 192.0.2.x for part of the pool, so not every client shares one /16
    address = (pl.when(pl.col("client") % 3 == 0)
               .then(pl.concat_str([pl.lit("198.51."), (pl.col("client") // 256 % 256).cast(pl.String), pl.lit("."),
                                    (pl.col("client") % 256).cast(pl.String)]))
               .otherwise(address))
    date_text = pl.concat_str([
        (pl.col("day") + 1).cast(pl.String).str.zfill(2), pl.lit(f"/{MONTH_NAMES[month.month - 1]}/{month.year}:"),
        *[piece for name in ("hour", "minute", "second")
          for piece in (two[name].cast(pl.String).str.zfill(2), pl.lit(":" if name != "second" else ""))],
    ])
    paths = pl.Series(PAGE_PATHS + ASSETS)
    request = pl.concat_str([
        pl.col("method").replace_strict([0, 1, 2], ["GET", "POST", "HEAD"], return_dtype=pl.String), pl.lit(" "),
        pl.col("path").replace_strict(list(range(len(paths))), paths.to_list(), return_dtype=pl.String),
        pl.when(pl.col("query")).then(pl.lit("?page=") + (pl.col("client") % 9 + 1).cast(pl.String))
        .otherwise(pl.lit("")),
        pl.lit(" HTTP/1.1"),
    ])
    size = (pl.when(pl.col("status").is_in([304, 301])).then(pl.lit("-"))
            .otherwise(pl.col("body").cast(pl.String)))
    line = pl.concat_str([
        address, pl.lit(" - - ["), date_text, pl.lit(' +0900] "'), request, pl.lit('" '),
        pl.col("status").cast(pl.String), pl.lit(" "), size, pl.lit(' "'),
        pl.col("referrer").replace_strict(list(range(len(REFERRERS))), REFERRERS, return_dtype=pl.String),
        pl.lit('" "'),
        pl.col("agent").replace_strict(list(range(len(AGENTS))), [a for a, _ in AGENTS], return_dtype=pl.String),
        pl.lit('"'),
    ]).alias("line")
    return frame.select(pl.col("day"), line)


def write_month(out_dir: Path, month: Month, lines_per_year: int, seed: int) -> tuple[Path, int]:
    """The month's log file (written by polars in one go, no Python loop over lines); returns (path, lines)."""
    frame = month_lines(month, lines_per_year, seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"access_log_{month}.log"
    frame.select("line").write_csv(path, include_header=False, quote_style="never")
    return path, frame.height
