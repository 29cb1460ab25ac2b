"""Great-expectations suites for the raw lake tables, built from the ingest contracts (one declaration)."""
from __future__ import annotations

import os

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import great_expectations as gx

from ingest import CONTRACTS
from ingest.common.contract import LINEAGE_COLUMNS, Contract


def _setting_maxima(contract: Contract) -> dict[str, float]:
    """Column -> the [ingest] setting that overrides its contract maximum (as ingest applies it), if set."""
    names = {column.name: column.max_setting for column in contract.columns if column.max_setting}
    if not names:
        return {}
    from warehouse.platform.settings import load_settings

    settings = load_settings()
    maxima: dict[str, float] = {}
    for column, setting in names.items():
        try:
            maxima[column] = float(settings.get("ingest", setting))
        except (KeyError, TypeError, ValueError):
            continue
    return maxima


def contract_expectations(contract: Contract, maxima: dict[str, float] | None = None) -> list:
    """Columns exist, required ones are not null, codes in set, numbers in range, key unique.

    maxima overrides a column's contract maximum with its setting (e.g. [ingest] max_plausible_daily_count),
    exactly as ingest checks it: a row ingest accepted under the ward's settings must pass its gate too."""
    maxima = _setting_maxima(contract) if maxima is None else maxima
    expectations: list = []
    for column in contract.columns:
        expectations.append(gx.expectations.ExpectColumnToExist(column=column.name))
        if column.required:
            expectations.append(gx.expectations.ExpectColumnValuesToNotBeNull(column=column.name))
        if column.accepted_values:
            expectations.append(gx.expectations.ExpectColumnValuesToBeInSet(
                column=column.name, value_set=list(column.accepted_values)))
        maximum = maxima.get(column.name, column.max_value)
        if column.min_value is not None or maximum is not None:
            expectations.append(gx.expectations.ExpectColumnValuesToBeBetween(
                column=column.name, min_value=column.min_value, max_value=maximum))
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
