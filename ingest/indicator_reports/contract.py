"""Indicator reports: each owner department reports its plan indicators once a fiscal year."""
from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

from ingest.common.contract import Column, Contract, Field

SEED = Path(__file__).resolve().parents[2] / "seeds" / "plan_indicators.csv"


@lru_cache(maxsize=1)
def known_indicator_ids() -> tuple[str, ...] | None:
    """Indicator ids of the plan (seeds/plan_indicators.csv); None when the seed is absent."""
    if not SEED.exists():
        return None
    with SEED.open(encoding="utf-8") as handle:
        return tuple(row["indicator_id"] for row in csv.DictReader(handle))


CONTRACT = Contract(
    table="indicator_reports",
    kind="indicator_reports",
    description="Values the owner departments report for the plan's indicators.",
    grain="One row per indicator × fiscal year (× reporting department's file).",
    columns=(
        Column("indicator_id", "varchar", "Plan indicator, as in seeds/plan_indicators.csv (e.g. M14-1).",
               accepted_values=known_indicator_ids()),
        Column("fiscal_year", "integer", "Fiscal year reported (April to March), by its starting year.",
               min_value=2000, max_value=2100),
        Column("reported_value", "double", "The reported figure as a number (the leading number of the text).",
               required=False),
        Column("reported_value_text_ja", "varchar", "The reported figure exactly as written (units, notes)."),
        Column("comment_ja", "varchar", "Free-text comment of the department; never exported.", required=False,
               sensitive=True),
        Column("reporting_department_ja", "varchar", "Department that reported (file's 所属 column, title or name)."),
    ),
    unique_key=("indicator_id", "fiscal_year"),
    table_unique_key=("indicator_id", "fiscal_year", "reporting_department_ja"),  # co-owned indicators
    date_column=None,
    data_date="make_date(fiscal_year + 1, 3, 31)",  # a yearly figure covers its fiscal year to 3/31
    partition_rule="fiscal_year_april",
    replace_scope=("reporting_department_ja",),
)

FIELDS = (
    Field("indicator_id", ("指標ID", "指標番号", "指標コード")),
    Field("fiscal_year", ("年度",)),
    Field("reported_value_text_ja", ("実績値", "実績", "値")),
    Field("comment_ja", ("備考", "コメント", "特記事項"), required=False),
    Field("reporting_department_ja", ("所属", "報告課", "担当課", "部署"), required=False),
)
