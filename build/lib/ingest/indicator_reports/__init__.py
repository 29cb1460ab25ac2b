"""Indicator reports: one .xlsx (or CSV) per department per fiscal year."""
from ingest.common.pipeline import KindSpec
from ingest.indicator_reports.contract import CONTRACT
from ingest.indicator_reports.parser import LAYOUTS

SPEC = KindSpec("indicator_reports", {CONTRACT.table: CONTRACT}, LAYOUTS)
