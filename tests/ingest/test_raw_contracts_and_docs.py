"""The contracts drive the raw great-expectations suites and the committed dbt source YAML."""
from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from ingest import CONTRACTS, render_dbt_sources
from ingest.dbt_sources import DEFAULT_PATH


def test_committed_dbt_sources_yaml_matches_the_contracts() -> None:
    assert DEFAULT_PATH.read_text(encoding="utf-8") == render_dbt_sources(), (
        "models/staging/_raw__sources.yml is stale: run `python -m ingest.dbt_sources`")


def test_contracts_cover_exactly_the_lake_tables_of_the_architecture() -> None:
    assert set(CONTRACTS) == {"certificate_issuances", "web_page_views_daily", "web_access_log", "gis_events",
                              "energy_readings_monthly", "energy_readings_interval", "facilities",
                              "indicator_reports", "measure_evaluations"}
    text = render_dbt_sources()
    for name in ("client_hash", "staff_pseudo_id", "comment_ja"):
        block = text.split(f"- name: {name}\n", 1)[1].split("- name:", 1)[0]
        assert "sensitive: true" in block


def test_raw_suite_passes_good_rows_and_fails_bad_ones() -> None:
    import great_expectations as gx

    from expectations.raw_contracts import raw_suites

    suites = {table: (name, expectations) for name, table, expectations in raw_suites()}
    assert set(suites) == set(CONTRACTS)
    name, expectations = suites["certificate_issuances"]
    context = gx.get_context(mode="ephemeral")
    suite = context.suites.add(gx.ExpectationSuite(name=name, expectations=expectations))
    batch_definition = (context.data_sources.add_pandas("raw").add_dataframe_asset("certificate_issuances")
                        .add_batch_definition_whole_dataframe("all"))
    row = {"issued_date": date(2020, 4, 1), "office_code": "honcho", "certificate_type_code": "residence",
           "channel_code": "counter", "issued_count": 5, "source_file_name": "c.csv", "source_file_sha256": "ab",
           "source_row_number": 1, "loaded_at": datetime(2026, 1, 1)}
    good = pd.DataFrame([row, {**row, "channel_code": "post", "office_code": "none", "source_row_number": 2}])
    assert batch_definition.get_batch(batch_parameters={"dataframe": good}).validate(suite).success
    bad = pd.DataFrame([row, {**row, "issued_count": -1, "source_row_number": 2}, {**row, "channel_code": "fax"}])
    result = batch_definition.get_batch(batch_parameters={"dataframe": bad}).validate(suite)
    assert not result.success
    failed = {r.expectation_config.type for r in result.results if not r.success}
    assert failed == {"expect_column_values_to_be_between", "expect_column_values_to_be_in_set",
                      "expect_compound_columns_to_be_unique"}
