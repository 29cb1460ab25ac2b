"""Facility master: the real 教育機関一覧 (copied byte for byte) plus synthetic non-school facilities (公共施設一覧 v2)."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .common import rng_for, stable_code, write_bytes

SCHOOL_FILE = Path("itabashi_kyoiku_kikan") / "itabashi_kyoiku_kikan_ichiran.csv"
SCHOOL_MASTER_NAME = "facilities_kyoiku_kikan.csv"
PUBLIC_MASTER_NAME = "facilities_kokyo_shisetsu_v2.csv"
LOCAL_GOV_CODE = "131199"
LOCAL_GOV_NAME = "東京都板橋区"
# 公共施設一覧 (自治体標準オープンデータセット v2), the columns we fill; 電話番号 left empty on purpose.
PUBLIC_HEADER = ["全国地方公共団体コード", "ID", "地方公共団体名", "名称", "名称_カナ", "種別", "住所", "緯度", "経度",
                 "電話番号"]
DEFAULT_NON_SCHOOL = 30
REAL_SCHOOL_ROWS = 74

# (name, kana, kind, size factor relative to an average school's electricity)
NON_SCHOOL_TEMPLATES: list[tuple[str, str, str, float]] = [
    ("板橋区役所本庁舎", "イタバシクヤクショホンチョウシャ", "庁舎", 9.0),
    ("赤塚区民事務所", "アカツカクミンジムショ", "区民事務所", 0.35),
    ("板橋区民事務所", "イタバシクミンジムショ", "区民事務所", 0.35),
    ("上板橋区民事務所", "カミイタバシクミンジムショ", "区民事務所", 0.3),
    ("志村区民事務所", "シムラクミンジムショ", "区民事務所", 0.3),
    ("高島平区民事務所", "タカシマダイラクミンジムショ", "区民事務所", 0.35),
    ("常盤台区民事務所", "トキワダイクミンジムショ", "区民事務所", 0.3),
    ("中央図書館", "チュウオウトショカン", "図書館", 1.6),
    ("赤塚図書館", "アカツカトショカン", "図書館", 0.6),
    ("高島平図書館", "タカシマダイラトショカン", "図書館", 0.6),
    ("氷川図書館", "ヒカワトショカン", "図書館", 0.5),
    ("志村図書館", "シムラトショカン", "図書館", 0.5),
    ("小豆沢体育館", "アズサワタイイクカン", "体育館", 2.2),
    ("東板橋体育館", "ヒガシイタバシタイイクカン", "体育館", 1.8),
    ("赤塚体育館", "アカツカタイイクカン", "体育館", 1.6),
    ("大山児童館", "オオヤマジドウカン", "児童館", 0.15),
    ("蓮根児童館", "ハスネジドウカン", "児童館", 0.15),
    ("成増児童館", "ナリマスジドウカン", "児童館", 0.15),
    ("徳丸児童館", "トクマルジドウカン", "児童館", 0.15),
    ("前野児童館", "マエノジドウカン", "児童館", 0.15),
    ("グリーンホール", "グリーンホール", "文化施設", 1.4),
    ("板橋区立文化会館", "イタバシクリツブンカカイカン", "文化施設", 2.5),
    ("板橋区立美術館", "イタバシクリツビジュツカン", "文化施設", 1.2),
    ("板橋区立郷土資料館", "イタバシクリツキョウドシリョウカン", "文化施設", 0.5),
    ("板橋区立教育科学館", "イタバシクリツキョウイクカガクカン", "文化施設", 0.9),
    ("板橋区保健所", "イタバシクホケンジョ", "保健施設", 1.5),
    ("高島平健康福祉センター", "タカシマダイラケンコウフクシセンター", "保健施設", 0.6),
    ("志村健康福祉センター", "シムラケンコウフクシセンター", "保健施設", 0.6),
    ("防災センター", "ボウサイセンター", "庁舎", 0.8),
    ("エコポリスセンター", "エコポリスセンター", "環境施設", 0.7),
]
TOWNS = ["板橋", "大山町", "熊野町", "仲宿", "氷川町", "栄町", "大和町", "双葉町", "富士見町", "大谷口", "常盤台",
         "南常盤台", "東新町", "上板橋", "清水町", "蓮沼町", "大原町", "泉町", "宮本町", "志村", "坂下", "東坂下",
         "小豆沢", "西台", "中台", "若木", "前野町", "舟渡", "蓮根", "高島平", "新河岸", "赤塚", "成増", "徳丸"]


@dataclass(frozen=True)
class Facility:
    """One metered facility, as the energy readings refer to it."""

    facility_code: str
    name_ja: str
    kind_ja: str
    size: float
    is_school: bool
    has_gas: bool
    has_pool: bool


def _read_school_rows(real_data_dir: Path | None) -> tuple[bytes, list[bytes], list[dict[str, str]]] | None:
    """Header line, raw data lines and parsed rows of the real school list, or None if it is not there."""
    if real_data_dir is None:
        return None
    path = Path(real_data_dir) / SCHOOL_FILE
    if not path.is_file():
        return None
    raw = path.read_bytes()
    lines = raw.splitlines(keepends=True)
    header, data = lines[0], [line for line in lines[1:] if line.strip()]
    parsed = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    if len(parsed) != len(data):
        raise ValueError(f"{path}: {len(parsed)} CSV records but {len(data)} lines; quoted line breaks are not "
                         "supported by the sample generator — give a school list with one record per line")
    return header, data, parsed


def _school_facility(row: dict[str, str]) -> Facility:
    """A real school as a facility; junior high schools (C1) are a little larger than elementary ones."""
    name = row["教育機関_学校名"]
    size = 1.25 if row.get("教育機関_学校種") == "C1" else 0.95
    # vary size by name so schools differ but stay stable across runs
    size *= 0.8 + (int(stable_code("s", name).split("-")[1], 16) % 400) / 1000
    return Facility(stable_code("school", name), name, "学校", size, True, True, True)


def _synthetic_schools(count: int) -> list[tuple[Facility, dict[str, str]]]:
    """Made-up schools when the real list is not available."""
    out = []
    for i in range(count):
        junior = i % 3 == 2
        name = f"板橋区立サンプル第{i + 1}{'中学校' if junior else '小学校'}"
        row = {"教育機関_学校名": name, "教育機関_学校種": "C1" if junior else "B1"}
        out.append((_school_facility(row), row))
    return out


def _non_school(count: int) -> list[Facility]:
    """Synthetic non-school facilities; beyond the 30 templates, numbered 集会所 are added."""
    out = []
    for i in range(count):
        if i < len(NON_SCHOOL_TEMPLATES):
            name, _, kind, size = NON_SCHOOL_TEMPLATES[i]
        else:
            name, kind, size = f"地域集会所{i - len(NON_SCHOOL_TEMPLATES) + 1}", "集会所", 0.1
        code = f"F{i + 1:04d}"
        has_gas = kind not in {"児童館", "区民事務所", "集会所"}
        out.append(Facility(code, name, kind, size, False, has_gas, kind == "体育館"))
    return out


def _public_master_csv(facilities: list[Facility], seed: int) -> bytes:
    """公共施設一覧 v2 CSV, UTF-8 with BOM and CRLF, coordinates inside the ward."""
    rng = rng_for(seed, "facilities")
    kana = {name: kana for name, kana, _, _ in NON_SCHOOL_TEMPLATES}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(PUBLIC_HEADER)
    for facility in facilities:
        lat = rng.uniform(35.745, 35.795)
        lon = rng.uniform(139.635, 139.725)
        town = TOWNS[int(rng.integers(len(TOWNS)))]
        address = f"東京都板橋区{town}{int(rng.integers(1, 40))}-{int(rng.integers(1, 30))}"
        if facility.name_ja == "板橋区役所本庁舎":
            lat, lon, address = 35.751228, 139.709385, "東京都板橋区板橋2-66-1"
        writer.writerow([LOCAL_GOV_CODE, facility.facility_code, LOCAL_GOV_NAME, facility.name_ja,
                         kana.get(facility.name_ja, ""), facility.kind_ja, address, f"{lat:.6f}", f"{lon:.6f}", ""])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_facility_masters(energy_dir: Path, seed: int, facilities: int | None,
                           real_data_dir: Path | None) -> tuple[list[Facility], list[str], list[Path]]:
    """Write the facility master files; return the facilities, notes for the summary and the files written."""
    notes: list[str] = []
    real = _read_school_rows(real_data_dir)
    total = REAL_SCHOOL_ROWS + DEFAULT_NON_SCHOOL if facilities is None else facilities
    if total < 1:
        raise ValueError(f"facilities={facilities}: give at least 1 facility (or None for the real school list)")
    wanted_schools = REAL_SCHOOL_ROWS if facilities is None else total * REAL_SCHOOL_ROWS // (
        REAL_SCHOOL_ROWS + DEFAULT_NON_SCHOOL)
    written: list[Path] = []
    if real is not None:
        header, lines, parsed = real
        wanted_schools = min(wanted_schools, len(parsed))
        schools = [_school_facility(row) for row in parsed[:wanted_schools]]
        path = energy_dir / SCHOOL_MASTER_NAME
        write_bytes(path, header + b"".join(lines[:wanted_schools]))
        written.append(path)
        notes.append(f"schools: {wanted_schools} real schools from {SCHOOL_FILE} (CC BY 4.0, rows unchanged)")
    else:
        schools = [facility for facility, _ in _synthetic_schools(wanted_schools)]
        notes.append(f"schools: real school list not found under {real_data_dir}; {wanted_schools} SYNTHETIC "
                     "schools generated and written in the 公共施設一覧 v2 layout")
    non_school = _non_school(total - len(schools))
    public = non_school if real is not None else non_school + schools
    if public:
        path = energy_dir / PUBLIC_MASTER_NAME
        write_bytes(path, _public_master_csv(public, seed))
        written.append(path)
    return non_school[:1] + schools + non_school[1:], notes, written


def school_share(facility_list: list[Facility]) -> float:
    """Fraction of facilities that are schools (used in the summary)."""
    return float(np.mean([f.is_school for f in facility_list])) if facility_list else 0.0
