"""Every extract kind ingest knows and every lake table they fill: the one list to extend for a new kind."""
from __future__ import annotations

from ingest import certificates, energy, gis, indicator_reports, web_access
from ingest.common.contract import Contract
from ingest.common.pipeline import KindSpec

KINDS: dict[str, KindSpec] = {
    spec.kind: spec for spec in (certificates.SPEC, web_access.SPEC, gis.SPEC, energy.SPEC, indicator_reports.SPEC)
}
CONTRACTS: dict[str, Contract] = {table: contract for spec in KINDS.values() for table, contract in spec.contracts.items()}
