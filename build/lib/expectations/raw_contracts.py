"""Great-expectations suites for the raw lake tables, built from the ingest contracts (one declaration)."""
from __future__ import annotations

import os

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import great_expectations as gx

from ingest import CONTRACTS
from ingest.common.contract import LINEAGE_COLUMNS, Contract


def contract_expectations(contract: Contract) -> list:
    """Columns exist, required ones are not null, codes in set, numbers in range, key unique."""
    expectations: list = []
    for column in contract.columns:
        expectations.append(gx.expectations.ExpectColumnToExist(column=column.name))
        if column.required:
            expectations.append(gx.expectations.ExpectColumnValuesToNotBeNull(column=column.name))
        if column.accepted_values:
            expectations.append(gx.expectations.ExpectColumnValuesToBeInSet(
                column=column.name, value_set=list(column.accepted_values)))
        if column.min_value is not None or column.max_value is not None:
            expectations.append(gx.expectations.ExpectColumnValuesToBeBetween(
                column=column.name, min_value=column.min_value, max_value=column.max_value))
    for name, _, _ in LINEAGE_COLUMNS:
        expectations.append(gx.expectations.ExpectColumnToExist(column=name))
        expectations.append(gx.expectations.ExpectColumnValuesToNotBeNull(column=name))
    key = list(contract.lake_unique_key)
    if len(key) == 1:
        expectations.append(gx.expectations.ExpectColumnValuesToBeUnique(column=key[0]))
    elif key:
        expectations.append(gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=key))
    return expectations


def raw_suites() -> list[tuple[str, str, list]]:
    """(suite name, lake table, expectations) for every lake table; suites are named raw_<table>."""
    return [(f"raw_{table}", table, contract_expectations(contract)) for table, contract in CONTRACTS.items()]
