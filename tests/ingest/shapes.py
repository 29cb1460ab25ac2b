"""Writers for files shaped like the real public ones a ward receives (written here from the public layouts)."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from ingest.common.pii import is_my_number

# 公共施設一覧 in the 自治体標準オープンデータセット layout: 56 columns. Built from the standard's column list
# (identifier, names, kind, address, position, contacts, opening hours, fees, description, accessibility, facilities,
# building, images, URL, notes); the names of the less common columns may differ slightly between editions.
KOKYO_SHISETSU_56 = [
    "全国地方公共団体コード", "ID", "地方公共団体名", "名称", "名称_カナ", "名称_英字", "名称_通称", "種別", "種別_英字",
    "POIコード", "郵便番号", "住所", "方書", "緯度", "経度", "電話番号", "内線番号", "FAX番号", "連絡先メールアドレス",
    "連絡先FormURL", "連絡先備考（その他、SNSなど）", "法人番号", "団体名", "利用可能曜日", "開始時間", "終了時間",
    "利用可能日時特記事項", "料金（基本）", "料金（詳細）", "説明", "説明_英字", "バリアフリー情報", "駐車場情報",
    "駐輪場情報", "授乳室", "おむつ替えコーナー", "車椅子対応トイレ", "AED設置", "公衆無線LAN", "開設年月日", "建築年",
    "延床面積", "敷地面積", "地上階数", "地下階数", "構造", "収容人数", "指定避難所", "所管部署", "画像", "画像_ライセンス",
    "URL", "URL_英語", "備考", "更新日", "公開日",
]
assert len(KOKYO_SHISETSU_56) == 56


def my_number_like_ids(prefix: str = "131199", count: int = 12) -> list[str]:
    """Standard 12-digit facility IDs (団体コード + serial) that all pass the My Number check digit."""
    found, serial = [], 0
    while len(found) < count:
        serial += 1
        candidate = f"{prefix}{serial:06d}"
        if is_my_number(candidate):
            found.append(candidate)
    return found


def kokyo_shisetsu_rows(ids: list[str]) -> list[list[str]]:
    """A 公共施設一覧 of Itabashi-like public facilities, every optional column filled the way wards fill them."""
    kinds = ["区民集会所", "図書館", "体育館", "児童館", "地域センター", "区役所"]
    rows = [KOKYO_SHISETSU_56]
    for index, facility_id in enumerate(ids, start=1):
        kind = kinds[index % len(kinds)]
        values = {
            "全国地方公共団体コード": "131199", "ID": facility_id, "地方公共団体名": "東京都板橋区",
            "名称": f"板橋区立第{index}{kind}", "名称_カナ": f"イタバシクリツダイ{index}", "名称_英字": f"Itabashi Facility {index}",
            "種別": kind, "種別_英字": "Public facility", "郵便番号": f"173-{8500 + index:04d}",
            "住所": f"東京都板橋区板橋２丁目{index}番", "方書": f"{index}階", "緯度": f"35.75{index:02d}",
            "経度": f"139.70{index:02d}", "電話番号": f"03-3579-{2000 + index:04d}", "内線番号": f"{100 + index}",
            "FAX番号": f"03-3579-{3000 + index:04d}", "法人番号": "8000020131199", "団体名": "板橋区",
            "利用可能曜日": "月火水木金土", "開始時間": "09:00", "終了時間": "21:30", "利用可能日時特記事項": "年末年始休館",
            "料金（基本）": "無料", "説明": "地域の皆さまの活動の場です。", "バリアフリー情報": "スロープあり", "駐車場情報": "なし",
            "開設年月日": "1985-04-01", "建築年": "1985", "延床面積": "1234.5", "地上階数": "3", "所管部署": "地域振興課",
            "画像_ライセンス": "CC BY 4.0", "URL": f"https://www.city.itabashi.tokyo.jp/shisetsu/{index}.html",
            "更新日": "2024-04-01", "公開日": "2024-04-01",
        }
        rows.append([values.get(column, "") for column in KOKYO_SHISETSU_56])
    return rows


def common_log_lines() -> list[str]:
    """A server log in Common Log Format (no referrer, no user agent) with host names and '-' sizes."""
    return [
        'ws1.example.ne.jp - - [01/Apr/2020:09:00:01 +0900] "GET /index.html HTTP/1.1" 200 5120',
        'p1234-ipad01.tokyo.ocn.ne.jp - - [01/Apr/2020:09:00:02 +0900] "GET /kurashi/ HTTP/1.1" 200 8101',
        'p1234-ipad01.tokyo.ocn.ne.jp - - [01/Apr/2020:09:00:02 +0900] "GET /img/logo.png HTTP/1.1" 304 -',
        ('host-03-1234-5678.isp.example.jp - frank [01/Apr/2020:09:01:10 +0900] '
         '"GET /kosodate/index.html?x=1 HTTP/1.1" 200 4402'),
        '192.0.2.10 - - [01/Apr/2020:09:02:00 +0900] "POST /form HTTP/1.1" 302 -',
        '2001:db8::1 - - [01/Apr/2020:09:03:00 +0900] "GET /robots.txt HTTP/1.1" 404 209',
    ]


def nginx_main_lines() -> list[str]:
    """nginx's default "main" format: combined plus a trailing "$http_x_forwarded_for"."""
    return [
        ('203.0.113.5 - - [01/Apr/2020:10:00:00 +0900] "GET / HTTP/1.1" 200 612 "-" "Mozilla/5.0 (Windows NT 10.0; '
         'Win64; x64)" "198.51.100.7, 10.0.0.3"'),
        ('203.0.113.6 - - [01/Apr/2020:10:00:01 +0900] "GET /news/ HTTP/1.1" 200 1024 '
         '"https://www.google.com/search?q=x" "Mozilla/5.0 (iPhone; CPU iPhone OS 13_3 like Mac OS X) Mobile/15E148" "-"'),
        '203.0.113.7 - - [01/Apr/2020:10:00:02 +0900] "GET /sitemap.xml HTTP/1.1" 200 99 "-" "Googlebot/2.1" "-"',
    ]


def csv_text(rows: list[list[object]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def power_company_hourly(day: str = "2020/4/1") -> str:
    """A power company's daily demand CSV: an update line, then several tables stacked with blank lines between
    them; the hourly one has separate DATE and TIME columns and values in 万kW (hourly averages)."""
    parts = [
        f"{day} 23:55 UPDATE\r\n",
        csv_text([["ピーク時供給力(万kW)", "時間帯", "供給力情報更新日", "供給力情報更新時刻"], ["4207", "13:00～14:00", "4/1", "8:30"]]),
        "\r\n",
        csv_text([["予想最大電力(万kW)", "時間帯", "予想最大電力情報更新日", "予想最大電力情報更新時刻"],
                  ["3227", "18:00～19:00", "4/1", "8:30"]]),
        "\r\n",
        csv_text([["ピーク時使用率(%)", "時間帯", "ピーク時使用率情報更新日", "ピーク時使用率情報更新時刻"], ["77", "18:00～19:00", "4/1", "8:30"]]),
        "\r\n",
        csv_text([["DATE", "TIME", "当日実績(万kW)", "予測値(万kW)", "使用率(%)", "供給力(万kW)"]]
                 + [[day, f"{hour}:00", str(2500 + hour * 10), str(2550 + hour * 10), "70", "3700"] for hour in range(24)]),
        "\r\n",
        csv_text([["DATE", "TIME", "当日実績(５分間隔値)(万kW)", "太陽光発電実績(５分間隔値)(万kW)"]]
                 + [[day, f"{m // 60}:{m % 60:02d}", "2575", "0"] for m in range(0, 60, 5)]),
    ]
    return "".join(parts)


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path
