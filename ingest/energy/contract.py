"""EMS energy: monthly and interval meter readings per facility, and the facility master (3 open-data layouts)."""
from __future__ import annotations

from ingest.common.contract import PUBLIC_IDENTIFIER_PII, Column, Contract, Field

METERS = ("electricity", "gas", "water")
METER_LABELS = {"電気": "electricity", "電力": "electricity", "ガス": "gas", "都市ガス": "gas", "水道": "water",
                "水": "water"}
UNITS = ("kWh", "m3", "GJ")  # lake units; a source's MWh, Wh, 万kW (hourly), L, MJ … are converted (common/units.py)
LAYOUT_NAMES = ("kyoiku_kikan", "kokyo_shisetsu_v1", "kokyo_shisetsu_v2")

MONTHLY = Contract(
    table="energy_readings_monthly",
    kind="energy",
    description="Monthly meter readings per facility from the energy management system (EMS).",
    grain="One row per facility × meter × month.",
    columns=(
        Column("facility_code", "varchar", "Facility, as in the facility master."),
        Column("meter_type", "varchar", "Meter.", accepted_values=METERS),
        Column("reading_month", "date", "First day of the month read."),
        Column("usage_value", "double", "Use in the month.", unit="usage_unit", min_value=0, max_value=1e9),
        Column("usage_unit", "varchar", "Unit of usage_value: kWh for electricity, m3 for gas and water; GJ where "
                                        "the source reports heat (never relabelled).", accepted_values=UNITS),
    ),
    unique_key=("facility_code", "meter_type", "reading_month"),
    date_column="reading_month",
    data_date="last_day(reading_month)",  # a month's reading covers the whole month
    replace_scope=("facility_code",),
)

INTERVAL = Contract(
    table="energy_readings_interval",
    kind="energy",
    description="Interval (30- or 60-minute) meter readings per facility.",
    grain="One row per facility × meter × interval start.",
    columns=(
        Column("facility_code", "varchar", "Facility, as in the facility master (or from a mapping's path rule)."),
        Column("meter_type", "varchar", "Meter.", accepted_values=METERS),
        Column("reading_start_at", "timestamp", "Start of the interval (local time, naive)."),
        Column("interval_minutes", "integer", "Interval length.", unit="minutes", accepted_values=None,
               min_value=30, max_value=60),
        # Up to an area-wide total (a power company's hourly demand is ~3e7 kWh); a mapping's [limits] can be tighter.
        Column("usage_value", "double", "Use in the interval.", unit="usage_unit", min_value=0, max_value=1e9),
        Column("usage_unit", "varchar", "Unit of usage_value (kWh, m3 or GJ; other source units are converted).",
               accepted_values=UNITS),
    ),
    unique_key=("facility_code", "meter_type", "reading_start_at"),
    date_column="reading_start_at",
    replace_scope=("facility_code", "meter_type"),
)

FACILITIES = Contract(
    table="facilities",
    kind="energy",
    description="Facility master as loaded from each file version (公共施設一覧 v1/v2 or 教育機関一覧).",
    grain="One row per facility × file version.",
    columns=(
        Column("facility_code", "varchar", "Facility code (教育機関: school code, or 'school-' + SHA-1 of the "
                                           "NFKC name when the open data leaves it empty)."),
        Column("facility_name_ja", "varchar", "Facility name."),
        Column("facility_kind_ja", "varchar", "Kind of facility (学校種, 種別 or POIコード).", required=False),
        Column("address_ja", "varchar", "Address (NFKC-normalised).", required=False),
        Column("postal_code", "varchar", "Postal code, 7 digits without hyphen.", required=False),
        Column("latitude", "double", "Latitude (WGS84).", unit="degrees", required=False, min_value=20,
               max_value=46),
        Column("longitude", "double", "Longitude (WGS84).", unit="degrees", required=False, min_value=122,
               max_value=154),
        Column("source_layout", "varchar", "Layout of the file.", accepted_values=LAYOUT_NAMES),
    ),
    unique_key=("facility_code",),
    table_unique_key=("facility_code", "source_file_sha256"),
    date_column=None,
    partition_rule="load_month",
    replace_scope=None,  # every file version is kept; staging picks the newest
    check_not_future=False,
)

_FACILITY_CODE = Field("facility_code", ("施設コード", "施設番号"), pii_allowed=PUBLIC_IDENTIFIER_PII)
MONTHLY_FIELDS = (
    _FACILITY_CODE,
    Field("facility_name", ("施設名", "施設名称"), required=False),
    Field("reading_month", ("年月", "計測年月", "対象年月")),
    Field("electricity_kwh", ("電気使用量(kWh)", "電気使用量", "電力使用量(kWh)", "電気(kWh)")),
    Field("gas_m3", ("ガス使用量(m3)", "ガス使用量(㎥)", "ガス使用量", "ガス(m3)"), required=False),
    Field("water_m3", ("水道使用量(m3)", "水道使用量(㎥)", "水道使用量", "水道(m3)"), required=False),
)

MONTHLY_LONG_FIELDS = (  # one row per facility × meter × month, the unit in its own column (or from a mapping)
    _FACILITY_CODE,
    Field("facility_name", ("施設名", "施設名称"), required=False),
    Field("reading_month", ("年月", "計測年月", "対象年月")),
    Field("meter_type", ("エネルギー種別", "メーター種別", "計測種別", "種別")),
    Field("usage_value", ("使用量", "使用量(値)")),
    Field("usage_unit", ("単位",)),
)

INTERVAL_FIELDS = (
    _FACILITY_CODE,
    Field("reading_start_at", ("計測日時", "日時", "計測開始日時")),
    Field("usage_value", ("電力量(kWh)", "電力量", "使用量")),
    Field("meter_type", ("メーター種別", "計測種別"), required=False),
    Field("interval_minutes", ("計測間隔(分)", "間隔(分)"), required=False),
    Field("usage_unit", ("単位",), required=False),
)

_KYOIKU = "教育機関_"
KYOIKU_FIELDS = (
    Field("facility_code", (_KYOIKU + "学校コード",), pii_allowed=PUBLIC_IDENTIFIER_PII),
    Field("facility_kind", (_KYOIKU + "学校種",), required=False),
    Field("facility_name_ja", (_KYOIKU + "学校名",)),
    Field("address_city", (_KYOIKU + "学校所在地（市区町村）",), required=False),
    Field("address_town", (_KYOIKU + "学校所在地（町字）",), required=False),
    Field("address_block", (_KYOIKU + "学校所在地（番地以下）",), required=False),
    Field("postal_code", (_KYOIKU + "郵便番号",), required=False, pii_allowed=PUBLIC_IDENTIFIER_PII),
    Field("latitude", (_KYOIKU + "緯度",), required=False),
    Field("longitude", (_KYOIKU + "経度",), required=False),
    # Public school phone number: a column meant for phone numbers; not stored in the lake.
    Field("public_phone", (_KYOIKU + "連絡先電話番号",), required=False, pii_allowed=PUBLIC_IDENTIFIER_PII),
    *(Field(f"kyoiku_{name}", (_KYOIKU + name,), required=False) for name in (
        "設置区分", "設置者情報", "本分校", "本校学校コード", "本校学校名", "学校名カナ表記", "学校略称",
        "連絡先名称", "属性情報設定年月日", "属性情報廃止年月日")),
    *(Field(f"kyoiku_{name}", (_KYOIKU + name,), required=False, pii_allowed=PUBLIC_IDENTIFIER_PII) for name in (
        "都道府県番号", "旧学校調査番号", "移行後の学校コード")),
)

_COMMON_PUBLIC = (
    Field("facility_name_ja", ("名称",)),
    Field("facility_kind", ("種別", "施設種別", "施設分類", "POIコード"), required=False),
    Field("address_ja", ("住所", "所在地_連結表記", "所在地"), required=False),
    Field("address_extra", ("方書",), required=False),
    Field("postal_code", ("郵便番号",), required=False, pii_allowed=PUBLIC_IDENTIFIER_PII),
    Field("latitude", ("緯度",), required=False),
    Field("longitude", ("経度",), required=False),
    # Public facility contact columns: meant for phone numbers / e-mail addresses; not stored in the lake.
    Field("public_phone", ("電話番号",), required=False, pii_allowed=PUBLIC_IDENTIFIER_PII),
    Field("public_fax", ("FAX番号", "FAX", "ファックス番号"), required=False, pii_allowed=PUBLIC_IDENTIFIER_PII),
    Field("public_extension", ("内線番号",), required=False, pii_allowed=PUBLIC_IDENTIFIER_PII),
    Field("public_email", ("連絡先メールアドレス",), required=False, pii_allowed=frozenset({"email"})),
    # Public identifiers of the standard datasets (a 12-digit ID may pass the My Number check digit): not PII.
    *(Field(f"public_{name}", (name,), required=False, pii_allowed=PUBLIC_IDENTIFIER_PII) for name in (
        "施設ID", "法人番号")),
    *(Field(f"public_{name}", (name,), required=False) for name in (
        "都道府県名", "市区町村名", "地方公共団体名", "名称_カナ", "名称_英字", "名称_通称", "種別_英字", "利用可能曜日",
        "開始時間", "終了時間", "利用可能日時特記事項", "団体名", "URL", "画像", "画像_ライセンス", "備考",
        "連絡先FormURL", "連絡先備考（その他、SNSなど）", "料金（基本）", "料金（詳細）", "説明", "説明_英字",
        "バリアフリー情報", "駐車場情報")),
)
PUBLIC_V1_FIELDS = (
    Field("facility_code", ("NO",), pii_allowed=PUBLIC_IDENTIFIER_PII),
    Field("municipality_code", ("都道府県コード又は市区町村コード",), pii_allowed=PUBLIC_IDENTIFIER_PII),
    *_COMMON_PUBLIC,
)
PUBLIC_V2_FIELDS = (
    Field("facility_code", ("ID",), pii_allowed=PUBLIC_IDENTIFIER_PII),
    Field("municipality_code", ("全国地方公共団体コード",), pii_allowed=PUBLIC_IDENTIFIER_PII),
    *_COMMON_PUBLIC,
)
