"""Evaluations: the 取り組み状況 workbook (`warehouse report`) filled in by departments and the ICT推進・活用本部."""
from ingest.common.pipeline import KindSpec
from ingest.evaluations.contract import CONTRACT
from ingest.evaluations.parser import LAYOUTS, read_workbook

SPEC = KindSpec("evaluations", {CONTRACT.table: CONTRACT}, LAYOUTS, special_reader=read_workbook)
