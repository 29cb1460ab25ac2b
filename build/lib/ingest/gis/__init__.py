"""GIS usage event logs: UTF-8 CSV, one month per file."""
from ingest.common.pipeline import KindSpec
from ingest.gis.contract import CONTRACT
from ingest.gis.parser import LAYOUTS

SPEC = KindSpec("gis", {CONTRACT.table: CONTRACT}, LAYOUTS)
