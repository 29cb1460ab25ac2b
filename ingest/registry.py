"""Every extract kind ingest knows and every lake table they fill: the one list to extend for a new kind.

Everything else that needs a per-table fact reads it here, from the contracts: which date a table's rows run
through (`data_through_sql`) and which columns are sensitive (`SENSITIVE_COLUMNS`).
"""
from __future__ import annotations

from ingest import certificates, energy, evaluations, gis, indicator_reports, web_access
from ingest.common.contract import LINEAGE_COLUMNS, Contract
from ingest.common.pipeline import KindSpec

KINDS: dict[str, KindSpec] = {
    spec.kind: spec for spec in (certificates.SPEC, web_access.SPEC, gis.SPEC, energy.SPEC, indicator_reports.SPEC,
                                 evaluations.SPEC)
}
CONTRACTS: dict[str, Contract] = {table: contract for spec in KINDS.values() for table, contract in spec.contracts.items()}

# Columns marked sensitive in any contract: the sandbox refuses them in every table, the export never writes them.
SENSITIVE_COLUMNS: frozenset[str] = frozenset().union(*(c.sensitive_columns for c in CONTRACTS.values()))
# Lineage columns: they name department files, so they never leave the warehouse as open data.
LINEAGE_COLUMN_NAMES: frozenset[str] = frozenset(name for name, _, _ in LINEAGE_COLUMNS if name != "loaded_at")


def data_through_sql(table: str) -> str:
    """SQL aggregate for the newest date a lake table's rows cover (null for masters and unknown tables)."""
    contract = CONTRACTS.get(table)
    expression = contract.data_date_sql if contract else None
    return f"max(cast({expression} as date))" if expression else "cast(null as date)"
