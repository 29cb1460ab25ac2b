"""Certificate issuance (戸籍住民課): counts per day × office × certificate type × channel."""
from __future__ import annotations

from ingest.common.contract import Column, Contract, Field

CHANNELS = {"窓口": "counter", "自動交付機": "kiosk", "コンビニ交付": "convenience_store", "郵送": "post",
            "オンライン": "online"}
CHANNEL_ALIASES = {"コンビニ": "convenience_store", "電子申請": "online", "郵便": "post"}
CERTIFICATE_TYPES = {"住民票の写し": "residence", "印鑑登録証明書": "seal", "課税(非課税)証明書": "tax_assessment",
                     "納税証明書": "tax_payment", "戸籍証明書": "family_register",
                     "住民票記載事項証明書": "residence_record"}
CERTIFICATE_ALIASES = {"住民票": "residence", "印鑑証明書": "seal", "印鑑証明": "seal", "課税証明書": "tax_assessment",
                       "非課税証明書": "tax_assessment", "戸籍謄抄本": "family_register",
                       "戸籍全部事項証明書": "family_register"}
OFFICES = {"本庁舎": "honcho", "赤塚区民事務所": "akatsuka", "板橋区民事務所": "itabashi",
           "上板橋区民事務所": "kamiitabashi", "志村区民事務所": "shimura", "高島平区民事務所": "takashimadaira",
           "常盤台区民事務所": "tokiwadai", "なし": "none"}
OFFICE_ALIASES = {"本庁": "honcho", "区役所本庁舎": "honcho", "赤塚": "akatsuka", "板橋": "itabashi",
                  "上板橋": "kamiitabashi", "志村": "shimura", "高島平": "takashimadaira", "常盤台": "tokiwadai",
                  "-": "none", "ー": "none", "―": "none", "該当なし": "none", "窓口外": "none"}

CONTRACT = Contract(
    table="certificate_issuances",
    kind="certificates",
    description="Certificates issued by the 戸籍住民課, as counted by its issuing system.",
    grain="One row per day × office × certificate type × channel.",
    columns=(
        Column("issued_date", "date", "Day the certificates were issued (JST)."),
        Column("office_code", "varchar", "Issuing office; 'none' for channels not at an office.",
               accepted_values=tuple(dict.fromkeys(OFFICES.values()))),
        Column("certificate_type_code", "varchar", "Kind of certificate.",
               accepted_values=tuple(CERTIFICATE_TYPES.values())),
        Column("channel_code", "varchar", "How the certificate was issued.", accepted_values=tuple(CHANNELS.values())),
        Column("issued_count", "bigint", "Certificates issued.", unit="certificates", min_value=0,
               max_value=100000, max_setting="max_plausible_daily_count"),
    ),
    unique_key=("issued_date", "office_code", "certificate_type_code", "channel_code"),
    date_column="issued_date",
    replace_scope=(),
)

FIELDS = (
    Field("issued_date", ("交付日", "年月日", "日付")),
    Field("office_code", ("窓口", "交付場所", "事務所", "庁舎")),
    Field("certificate_type_code", ("証明書種別", "証明書", "種別")),
    Field("channel_code", ("交付方法", "交付チャネル", "チャネル")),
    Field("issued_count", ("件数", "交付件数", "枚数")),
)
