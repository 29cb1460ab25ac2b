"""Baseline (b): the straightforward pandas pipeline a municipality would otherwise write, same landing files,
same marts (read every file, concatenate, group by)."""
from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

import pandas as pd

CALENDAR = Path(__file__).resolve().parents[1] / "seeds" / "calendar_dates.csv"  # the ward's 開庁日
CHANNELS = {"窓口": "counter", "自動交付機": "kiosk", "コンビニ交付": "convenience_store", "郵送": "post", "オンライン": "online"}
FULLWIDTH = str.maketrans("０１２３４５６７８９，．", "0123456789,.")
WAREKI = re.compile(r"^(平成|令和|H|R)(元|\d+)[年.](\d+)[月.](\d+)")


def parse_wareki(text: object) -> pd.Timestamp:
    """和暦 (平成27年4月1日, R2.4.1, 令和元年…) or an ISO date from an .xlsx cell."""
    if isinstance(text, (pd.Timestamp,)) or hasattr(text, "year"):
        return pd.Timestamp(text)
    value = str(text).translate(FULLWIDTH).strip()
    match = WAREKI.match(value)
    if not match:
        return pd.Timestamp(value[:10])
    era, year, month, day = match.groups()
    base = 1988 if era in ("平成", "H") else 2018
    return pd.Timestamp(base + (1 if year == "元" else int(year)), int(month), int(day))


def certificates(landing: Path) -> pd.DataFrame:
    frames = []
    for path in sorted((landing / "certificates").glob("*")):
        if path.suffix == ".csv":
            frames.append(pd.read_csv(path, encoding="cp932", dtype=str))
        elif path.suffix == ".xlsx":
            frames.append(pd.read_excel(path, dtype=object))
    rows = pd.concat(frames, ignore_index=True)
    rows["issued_date"] = rows["交付日"].map(parse_wareki)
    rows["issued_count"] = rows["件数"].astype(str).str.translate(FULLWIDTH).str.replace(",", "").astype(float)
    rows["channel_code"] = rows["交付方法"].map(CHANNELS)
    rows["fiscal_month_start_date"] = rows["issued_date"].dt.to_period("M").dt.to_timestamp()
    by_channel = rows.groupby(["fiscal_month_start_date", "channel_code"])["issued_count"].sum()
    months = rows["fiscal_month_start_date"].drop_duplicates().sort_values()
    grid = pd.MultiIndex.from_product([months, list(CHANNELS.values())],
                                      names=["fiscal_month_start_date", "channel_code"])
    shift = by_channel.reindex(grid, fill_value=0).reset_index()
    shift["total_issued_count"] = shift.groupby("fiscal_month_start_date")["issued_count"].transform("sum")
    shift["channel_share_pct"] = 100.0 * shift["issued_count"] / shift["total_issued_count"]
    return shift.astype({"issued_count": "int64", "total_issued_count": "int64"})


def web_access(landing: Path) -> pd.DataFrame:
    rows = pd.concat([pd.read_csv(p, encoding="utf-8-sig") for p in sorted((landing / "web_access").glob("*.csv"))],
                     ignore_index=True)
    rows["fiscal_month_start_date"] = pd.to_datetime(rows["日付"]).dt.to_period("M").dt.to_timestamp()
    wide = rows.pivot_table(index="fiscal_month_start_date", columns="デバイス", values="ページビュー数",
                            aggfunc="sum", fill_value=0)
    monthly = pd.DataFrame({"page_view_count": wide.sum(axis=1)})
    for device in ("pc", "smartphone", "tablet"):
        monthly[f"{device}_page_view_count"] = wide.get(device, 0)
    monthly = monthly.reset_index()
    fiscal_year = (monthly["fiscal_month_start_date"] - pd.DateOffset(months=3)).dt.year
    monthly["fiscal_ytd_page_view_count"] = monthly.groupby(fiscal_year)["page_view_count"].cumsum()
    last_year = monthly[["fiscal_month_start_date", "page_view_count"]].copy()
    last_year["fiscal_month_start_date"] += pd.DateOffset(months=12)
    last_year = last_year.rename(columns={"page_view_count": "previous_year_page_view_count"})
    return monthly.merge(last_year, on="fiscal_month_start_date", how="left")


LOG_LINE = (r'^(?P<client>\S+) \S+ \S+ \[(?P<time>[^\]]+)\] "(?P<request>(?:[^"\\]|\\.)*)" (?P<status>\d{3}) (?:\d+|-)'
            r'(?: "(?:[^"\\]|\\.)*" "(?P<agent>(?:[^"\\]|\\.)*)")?')
BOT = (r"bot|crawl|spider|slurp|archiver|fetch|monitor|curl|wget|python-|java/|go-http|httpclient|libwww|scrapy|feed|"
       r"preview|headless|phantomjs|semrush|ahrefs|yandex|baidu|bingpreview")
ASSET = (r"\.(?:png|jpe?g|gif|svg|ico|webp|bmp|css|js|mjs|map|woff2?|ttf|eot|otf|mp4|webm|mp3|json|xml|rss|atom|txt|"
         r"pdf|zip|gz|tar|py|rb|sh)$")
STATUS_CLASSES = {1: "1xx", 2: "2xx", 3: "3xx", 4: "4xx", 5: "5xx"}


def web_requests(landing: Path) -> pd.DataFrame:
    """Raw web server logs, one file at a time (25 M lines do not fit as Python strings): per file the counts and
    the distinct clients of each group, summed and counted once more over all files."""
    keys = ["request_date", "is_bot", "is_page", "http_status_class"]
    counts, clients = [], []
    for path in sorted((landing / "web_access").glob("*.log")):
        lines = pd.Series(path.read_text(encoding="utf-8").splitlines())
        rows = lines.str.extract(LOG_LINE)
        requested = pd.to_datetime(rows["time"], format="%d/%b/%Y:%H:%M:%S %z", utc=True).dt.tz_convert("Asia/Tokyo")
        pieces = rows["request"].str.split(" ")
        target = pieces.str[1].where(pieces.str.len() >= 2)
        request_path = target.str.split(r"[?#]", n=1, regex=True).str[0]
        agent = rows["agent"].str.strip()
        has_agent = agent.notna() & (agent != "") & (agent != "-")
        status = rows["status"].astype(int)
        frame = pd.DataFrame({
            "request_date": requested.dt.date,
            "is_bot": has_agent & agent.str.contains(BOT, case=False, regex=True, na=False),
            "is_page": request_path.fillna("").ne("") & ~request_path.str.contains(ASSET, case=False, regex=True,
                                                                                  na=True),
            "http_status_class": (status // 100).map(STATUS_CLASSES).fillna("other"),
            "client": rows["client"],
        })
        counts.append(frame.groupby(keys).size().rename("request_count"))
        clients.append(frame.drop_duplicates())
    per_group = pd.concat(counts).groupby(level=keys).sum()
    distinct = pd.concat(clients, ignore_index=True).groupby(keys)["client"].nunique().rename("client_count")
    out = pd.concat([per_group, distinct], axis=1).reset_index()
    out["request_date"] = pd.to_datetime(out["request_date"])
    return out


def gis(landing: Path) -> pd.DataFrame:
    rows = pd.concat([pd.read_csv(p) for p in sorted((landing / "gis").glob("*.csv"))], ignore_index=True)
    rows["event_date"] = pd.to_datetime(rows["日時"]).dt.normalize()
    rows["fiscal_month_start_date"] = rows["event_date"].dt.to_period("M").dt.to_timestamp()
    calendar = pd.read_csv(CALENDAR, parse_dates=["calendar_date"])
    calendar["fiscal_month_start_date"] = calendar["calendar_date"].dt.to_period("M").dt.to_timestamp()
    days = calendar.groupby("fiscal_month_start_date")["is_business_day"].sum().rename("business_days")
    grouped = rows.groupby(["fiscal_month_start_date", "所属"])
    usage = pd.DataFrame({
        "login_count": grouped["操作"].agg(lambda s: int((s == "ログイン").sum())),
        "map_open_count": grouped["操作"].agg(lambda s: int((s == "地図表示").sum())),
        "distinct_map_count": grouped["地図名"].nunique(),
    }).reset_index().rename(columns={"所属": "department_name_ja"})
    usage = usage.merge(days.reset_index(), on="fiscal_month_start_date")
    usage["logins_per_business_day"] = usage["login_count"] / usage["business_days"]
    return usage


def _monthly_interval(path: Path) -> pd.DataFrame:
    readings = pd.read_csv(path)
    readings["fiscal_month_start_date"] = pd.to_datetime(readings["計測日時"]).dt.to_period("M").dt.to_timestamp()
    return readings.groupby(["施設コード", "fiscal_month_start_date"], as_index=False)["電力量(kWh)"].sum()


def energy(landing: Path) -> pd.DataFrame:
    folder = landing / "energy"
    wide = pd.concat([pd.read_excel(p) for p in sorted(folder.glob("energy_monthly_*.xlsx"))], ignore_index=True)
    wide["fiscal_month_start_date"] = pd.to_datetime(wide["年月"]).dt.to_period("M").dt.to_timestamp()
    monthly = wide.melt(id_vars=["施設コード", "fiscal_month_start_date"],
                        value_vars=["電気使用量(kWh)", "ガス使用量(m3)", "水道使用量(m3)"],
                        var_name="meter", value_name="usage_value").dropna(subset=["usage_value"])
    monthly["meter_type"] = monthly["meter"].map({"電気使用量(kWh)": "electricity", "ガス使用量(m3)": "gas",
                                                  "水道使用量(m3)": "water"})
    monthly = monthly.rename(columns={"施設コード": "facility_code"})
    # 30-minute readings summed file by file (52 M readings at the full profile would not fit as one frame)
    interval = pd.concat([_monthly_interval(p) for p in sorted(folder.glob("energy_interval_*.csv"))],
                         ignore_index=True)
    interval = (interval.groupby(["施設コード", "fiscal_month_start_date"])["電力量(kWh)"].sum().reset_index()
                .rename(columns={"施設コード": "facility_code", "電力量(kWh)": "usage_value"}))
    interval["meter_type"] = "electricity"
    keys = ["facility_code", "fiscal_month_start_date", "meter_type"]
    interval = interval.merge(monthly[keys], on=keys, how="left", indicator=True)
    interval = interval[interval["_merge"] == "left_only"].drop(columns="_merge")
    unioned = pd.concat([monthly[[*keys, "usage_value"]], interval[[*keys, "usage_value"]]], ignore_index=True)
    out = unioned.pivot_table(index=["facility_code", "fiscal_month_start_date"], columns="meter_type",
                              values="usage_value", aggfunc="sum")
    out = out.reindex(columns=["electricity", "gas", "water"])
    return out.rename(columns={"electricity": "electricity_kwh", "gas": "gas_m3", "water": "water_m3"}).reset_index()


MARTS = {"certificate_channel_shift": certificates, "web_access_monthly": web_access, "web_requests_daily": web_requests,
         "gis_usage_monthly": gis, "facility_energy_monthly": energy}


def run(landing: Path, out_dir: Path) -> dict[str, object]:
    """Compute each mart and write it as <mart>.parquet; return row counts and seconds per mart."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rows, seconds = {}, {}
    for name, build in MARTS.items():
        started = time.perf_counter()
        frame = build(landing)
        frame.columns = [str(c) for c in frame.columns]
        frame.to_parquet(out_dir / f"{name}.parquet", index=False)
        rows[name], seconds[name] = len(frame), round(time.perf_counter() - started, 3)
    return {"rows": rows, "seconds": seconds}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.landing, args.out)))


if __name__ == "__main__":
    main()
