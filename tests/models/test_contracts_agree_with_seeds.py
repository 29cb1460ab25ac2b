"""The dbt relationship tests from lake codes to the seeds (and the marts that cross-join the seed dimensions)
can fail on data only if an ingest contract accepts a code the seeds do not list. This checks, in CI rather
than at a monthly refresh, that every code a contract accepts is in its seed, and that the dbt source YAML the
staging tests read their allowed values from is the one rendered from the contracts."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml

from ingest import CONTRACTS

REPO = Path(__file__).resolve().parents[2]
SEED_KEYS = [
    ("certificate_issuances", "office_code", "certificate_offices.csv"),
    ("certificate_issuances", "certificate_type_code", "certificate_types.csv"),
    ("certificate_issuances", "channel_code", "certificate_channels.csv"),
    ("indicator_reports", "indicator_id", "plan_indicators.csv"),
]


def seed_codes(file_name: str, column: str) -> set[str]:
    with (REPO / "seeds" / file_name).open(encoding="utf-8") as handle:
        return {row[column] for row in csv.DictReader(handle)}


@pytest.mark.parametrize(("table", "column", "seed"), SEED_KEYS)
def test_every_code_a_contract_accepts_is_in_its_seed(table: str, column: str, seed: str) -> None:
    accepted = CONTRACTS[table].column(column).accepted_values
    assert accepted, f"{table}.{column} has no accepted values in its contract"
    assert set(accepted) - seed_codes(seed, column) == set()


def test_staging_tests_read_the_contracts_allowed_values() -> None:
    """accepted_by_contract tests read models/staging/_raw__sources.yml; it must match the contracts."""
    document = yaml.safe_load((REPO / "models" / "staging" / "_raw__sources.yml").read_text(encoding="utf-8"))
    declared = {(table["name"], column["name"]): column.get("meta", {}).get("accepted_values")
                for source in document["sources"] if source["name"] == "raw"
                for table in source["tables"] for column in table["columns"]}
    for table, contract in CONTRACTS.items():
        for column in contract.columns:
            if column.accepted_values:
                assert declared.get((table, column.name)) == list(column.accepted_values), (table, column.name)
