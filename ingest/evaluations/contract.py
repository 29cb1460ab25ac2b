"""Evaluations: the 取り組み状況 workbook returned with the departments' self-assessments and the decided grades."""
from __future__ import annotations

from ingest.common.contract import Column, Contract, Field
from ingest.evaluations.workbook import DECIDED_GRADES, SELF_ASSESSMENT_GRADES

MEASURE_COUNT = 35  # measures 1-35 of the plan (seeds/plan_measures.csv)

CONTRACT = Contract(
    table="measure_evaluations",
    kind="evaluations",
    description=("What the owner departments wrote in the returned 取り組み状況 workbook (self-assessment, comment, "
                 "next year's plan) and the grade the ICT推進・活用本部 decided, with its reason."),
    grain="One row per measure × fiscal year that has anything filled in; a later workbook for the fiscal year "
          "replaces the earlier one.",
    columns=(
        Column("measure_id", "integer", "Measure number of the plan (NO. on the workbook).", min_value=1,
               max_value=MEASURE_COUNT),
        Column("fiscal_year", "integer", "Fiscal year evaluated (cell B3 of the workbook), by its starting year.",
               min_value=2000, max_value=2100),
        Column("self_assessed_grade", "varchar", "The owner department's self-assessment (A, B or C; AA is "
               "decision-only).", required=False, accepted_values=SELF_ASSESSMENT_GRADES),
        Column("department_remark_ja", "varchar", "所管課コメント: the department's comment on the year.",
               required=False),
        Column("next_year_plan_ja", "varchar", "次年度の取組: what the department will do next fiscal year.",
               required=False),
        Column("decided_grade", "varchar", "決定評価: the grade the ICT推進・活用本部 decided (AA, A, B or C).",
               required=False, accepted_values=DECIDED_GRADES),
        Column("decided_reason_ja", "varchar", "決定の理由: the reason recorded with the decided grade.",
               required=False),
    ),
    unique_key=("measure_id", "fiscal_year"),
    date_column=None,
    data_date=None,  # judgements, not a data series: they never go stale
    partition_rule="fiscal_year_april",
    replace_scope=(),  # the whole fiscal year: a later workbook replaces the earlier one
)

_ANY_PII = frozenset({"email", "phone", "ip", "my_number"})  # scanned by the transform, which names the cell

FIELDS = (
    Field("measure_id", ("NO.", "No.")),
    Field("fiscal_year", ("年度", "Fiscal year")),
    Field("self_assessed_grade", ("自己評価", "Self-assessment"), required=False),
    Field("department_remark_ja", ("所管課コメント", "Department comment"), required=False, pii_allowed=_ANY_PII),
    Field("next_year_plan_ja", ("次年度の取組", "Next year's plan"), required=False, pii_allowed=_ANY_PII),
    Field("decided_grade", ("決定評価", "Decided grade"), required=False),
    Field("decided_reason_ja", ("決定の理由", "Reason for the decision"), required=False, pii_allowed=_ANY_PII),
    # where each row's cells are on the sheets, for messages that name the cell; never stored
    Field("report_row", ("取り組み状況の行",), keep=False),
    Field("decision_row", ("推進本部の決定評価の行",), required=False, keep=False),
)
