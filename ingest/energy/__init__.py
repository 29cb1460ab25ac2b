"""EMS energy: monthly .xlsx per fiscal year, 30-minute CSV per facility-month, facility masters; mappings for others."""
from ingest.common.pipeline import KindSpec
from ingest.energy.contract import FACILITIES, INTERVAL, MONTHLY
from ingest.energy.parser import LAYOUTS

SPEC = KindSpec("energy", {c.table: c for c in (MONTHLY, INTERVAL, FACILITIES)}, LAYOUTS)
