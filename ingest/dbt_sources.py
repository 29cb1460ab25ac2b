"""Render the dbt source documentation (models/staging/_raw__sources.yml) from the ingest contracts."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from ingest.common.contract import LINEAGE_COLUMNS, Contract

HEADER = ("# Generated from the ingest contracts (ingest/<kind>/contract.py) by `python -m ingest.dbt_sources`.\n"
          "# Do not edit by hand: change the contract and re-run; tests/ingest checks the two agree.\n")
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "models" / "staging" / "_raw__sources.yml"


def _column(name: str, dtype: str, description: str, meta: dict[str, Any]) -> dict[str, Any]:
    """One documented column."""
    entry: dict[str, Any] = {"name": name, "description": description, "data_type": dtype}
    if meta:
        entry["meta"] = meta
    return entry


def _table(contract: Contract) -> dict[str, Any]:
    """One source table: description with grain, columns with types, units, allowed values and sensitivity."""
    columns = []
    for column in contract.columns:
        meta: dict[str, Any] = {}
        if column.unit:
            meta["unit"] = column.unit
        if column.accepted_values:
            meta["accepted_values"] = list(column.accepted_values)
        if column.min_value is not None or column.max_value is not None:
            meta["range"] = [column.min_value, column.max_value]
        if not column.required:
            meta["nullable"] = True
        if column.sensitive:
            meta["sensitive"] = True
        columns.append(_column(column.name, column.dtype, column.description, meta))
    columns.extend(_column(name, dtype, description, {"lineage": True}) for name, dtype, description in LINEAGE_COLUMNS)
    partition = {"date": f"calendar month of {contract.date_column}", "load_month": "month the file was loaded",
                 "fiscal_year_april": "'YYYY-04' of fiscal_year"}[contract.partition_rule]
    columns.append(_column("fiscal_month", "varchar", f"Hive partition 'YYYY-MM': {partition}.", {"partition": True}))
    return {
        "name": contract.table,
        "description": f"{contract.description} {contract.grain}",
        "meta": {"ingest_kind": contract.kind, "grain": contract.grain, "unique_key": list(contract.unique_key)},
        "columns": columns,
    }


def render_dbt_sources(contracts: dict[str, Contract] | None = None) -> str:
    """YAML text of the `raw` source, one table per lake table, in contract order."""
    if contracts is None:
        from ingest.registry import CONTRACTS

        contracts = CONTRACTS
    document = {
        "version": 2,
        "sources": [{
            "name": "raw",
            "schema": "raw",
            "description": "Lake tables written by ingest/ (validated, anonymised); copied into schema raw by the "
                           "refresh job.",
            "tables": [_table(contract) for contract in contracts.values()],
        }],
    }
    return HEADER + yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=110)


def write_dbt_sources_yaml(path: Path | str = DEFAULT_PATH) -> Path:
    """Write the rendered source YAML to path (default models/staging/_raw__sources.yml)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_dbt_sources(), encoding="utf-8")
    return target


if __name__ == "__main__":
    print(write_dbt_sources_yaml(*sys.argv[1:2]))
