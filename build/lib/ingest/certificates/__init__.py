"""Certificate issuance extracts (戸籍住民課): CP932 CSV or .xlsx, one month per file."""
from ingest.certificates.contract import CONTRACT
from ingest.certificates.parser import LAYOUTS
from ingest.common.pipeline import KindSpec

SPEC = KindSpec("certificates", {CONTRACT.table: CONTRACT}, LAYOUTS)
