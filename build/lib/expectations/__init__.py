"""Quality gates: great-expectations suites on the raw tables and the marts, plus golden records.

Suites are declared beside the data they guard (raw_contracts.py from the ingest contracts, marts.py for
the marts); this module only runs them. great-expectations validates pandas DataFrames here because its
SQL route is broken for DuckDB (docs/stack_notes.md).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("TQDM_DISABLE", "1")  # GX draws a progress bar per expectation on stderr


@dataclass
class GateResult:
    rows: list[dict[str, object]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def failed(self) -> int:
        return sum(1 for row in self.rows if not row["success"])

    @property
    def passed(self) -> int:
        return self.total - self.failed

    def summary(self) -> str:
        failures = [row for row in self.rows if not row["success"]]
        if not failures:
            return f"all {self.total} quality checks passed"
        shown = "; ".join(f"{r['table_name']}: {r['expectation']} {r.get('details', '')}".strip() for r in failures[:5])
        more = f" (and {len(failures) - 5} more)" if len(failures) > 5 else ""
        return f"{len(failures)} of {self.total} quality checks failed: {shown}{more}"


def _suites() -> list[tuple[str, str, list]]:
    from expectations.marts import mart_suites
    from expectations.raw_contracts import raw_suites

    return [*raw_suites(), *mart_suites()]


def _describe(expectation: object) -> str:
    kind = type(expectation).__name__
    column = getattr(expectation, "column", None)
    return f"{kind}({column})" if column else kind


def run_gates(db_path: Path) -> GateResult:
    """Run every suite against the tables of db_path (read-only) and the golden-record checks."""
    import great_expectations as gx

    from expectations.marts import golden_record_checks
    from warehouse.database import connect_read_only

    result = GateResult()
    context = gx.get_context(mode="ephemeral")
    datasource = context.data_sources.add_pandas("warehouse")
    with connect_read_only(db_path) as con:
        for suite_name, table_name, expectations in _suites():
            qualified = table_name if "." in table_name else f"raw.{table_name}"
            frame = con.sql(f"select * from {qualified}").df()
            asset = datasource.add_dataframe_asset(name=f"{suite_name}__asset")
            batch_definition = asset.add_batch_definition_whole_dataframe(f"{suite_name}__batch")
            batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
            suite = gx.ExpectationSuite(name=suite_name, expectations=list(expectations))
            validation = batch.validate(suite)
            for outcome in validation.results:
                config = outcome.expectation_config
                details = ""
                if not outcome.success:
                    observed = (outcome.result or {}).get("observed_value")
                    unexpected = (outcome.result or {}).get("unexpected_count")
                    details = f"observed={observed}" if observed is not None else f"unexpected_count={unexpected}"
                result.rows.append({
                    "suite_name": suite_name,
                    "table_name": table_name,
                    "expectation": f"{config.type}({config.kwargs.get('column', '')})",
                    "success": bool(outcome.success),
                    "details": details,
                })
        for name, passed, message in golden_record_checks(con):
            result.rows.append({"suite_name": "golden_records", "table_name": name.split(":")[0],
                                "expectation": name, "success": bool(passed), "details": message})
    return result
