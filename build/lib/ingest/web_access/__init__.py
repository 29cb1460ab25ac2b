"""Homepage access: analytics page-view exports (CSV) and raw combined web server logs (*.log)."""
from ingest.common.pipeline import KindSpec
from ingest.web_access.contract import ACCESS_LOG, PAGE_VIEWS
from ingest.web_access.parser import LAYOUTS, read_log

SPEC = KindSpec("web_access", {PAGE_VIEWS.table: PAGE_VIEWS, ACCESS_LOG.table: ACCESS_LOG}, LAYOUTS,
                special_reader=read_log)
