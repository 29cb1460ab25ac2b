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
# GX draws a "Calculating Metrics" progress bar per suite on stderr. It passes disable=False to tqdm explicitly,
# so TQDM_DISABLE alone does not stop it: run_gates also turns GX's own progress_bars setting off.
os.environ.setdefault("TQDM_DISABLE", "1")


def verbose_requested() -> bool:
    """True when WAREHOUSE_VERBOSE is set to something other than '', 0, false or no (`warehouse --verbose`)."""
    return os.environ.get("WAREHOUSE_VERBOSE", "").strip().lower() not in {"", "0", "false", "no", "off"}


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
    def warnings(self) -> list[dict[str, object]]:
        """Rows that passed with a warning (severity 'warn'): worth a look, never a reason to stop a publish."""
        return [row for row in self.rows if row.get("severity") == "warn"]

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



# Raw rows are validated in chunks of whole files of at most this many rows: the suites run on pandas, and a
# 10-year lake as one DataFrame took over 4 GiB. Table-wide uniqueness is also a dbt test on each staging model.
RAW_CHUNK_ROWS = 1_000_000


def _raw_chunks(con, table: str, files: list[str] | None) -> list[str]:
    """WHERE clauses splitting a raw table's rows (all, or only those of `files`) into chunks of whole files."""
    if files is not None and not files:
        return []
    counts = con.sql(f"select source_file_sha256, count(*) from raw.{table} group by 1 order by 1").fetchall()
    wanted = [(sha, rows) for sha, rows in counts if files is None or sha in set(files)]
    chunks: list[list[str]] = []
    size = 0
    for sha, rows in wanted:
        if not chunks or size + rows > RAW_CHUNK_ROWS:
            chunks.append([])
            size = 0
        chunks[-1].append(sha)
        size += rows
    return ["source_file_sha256 in (" + ", ".join(f"'{sha}'" for sha in chunk) + ")" for chunk in chunks]


def _frame(con, sql: str):
    """A query's rows as the pandas DataFrame great-expectations checks, shaped for its vectorised paths: read
    through Arrow (DuckDB's .df() builds text columns value by value, 9× slower on a million rows) and with
    narrow integers widened to int64 (GX's between-check compares only int64 and float64 columns without a
    Python call per value)."""
    import pandas as pd

    frame = con.sql(sql).to_arrow_table().to_pandas()
    for column, dtype in frame.dtypes.items():
        if pd.api.types.is_integer_dtype(dtype) and dtype != "int64":
            frame[column] = frame[column].astype("int64")
    return frame


def _validate(datasource, gx, suite_name: str, table_name: str, expectations: list, frame, part: int,
              result: GateResult) -> None:
    asset = datasource.add_dataframe_asset(name=f"{suite_name}__asset_{part}")
    batch = asset.add_batch_definition_whole_dataframe(f"{suite_name}__batch_{part}").get_batch(
        batch_parameters={"dataframe": frame})
    validation = batch.validate(gx.ExpectationSuite(name=f"{suite_name}_{part}", expectations=list(expectations)))
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


def _quiet_context(gx, verbose: bool):
    """An ephemeral GX context that draws no progress bars unless verbose."""
    context = gx.get_context(mode="ephemeral")
    if not verbose:
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


def run_gates(db_path: Path, raw_files: dict[str, list[str]] | None = None, verbose: bool | None = None) -> GateResult:
    """Run every suite against the tables of db_path (read-only) and the golden-record checks.

    raw_files limits the raw suites to the rows of the given file versions (lake table → sha256 list): a
    refresh gates what arrived in this run, since older lake files passed these suites when they arrived.
    None validates every raw row. verbose (default: WAREHOUSE_VERBOSE) lets great-expectations draw its
    progress bars; otherwise the gates print nothing.
    """
    import great_expectations as gx

    from expectations.marts import golden_record_checks, mart_suites
    from expectations.raw_contracts import raw_suites
    from warehouse.platform.database import connect_read_only

    result = GateResult()
    context = _quiet_context(gx, verbose_requested() if verbose is None else verbose)
    datasource = context.data_sources.add_pandas("warehouse")
    with connect_read_only(db_path) as con:
        for suite_name, table_name, expectations in raw_suites():
            files = None if raw_files is None else raw_files.get(table_name, [])
            for part, where in enumerate(_raw_chunks(con, table_name, files)):
                frame = _frame(con, f"select * from raw.{table_name} where {where}")
                _validate(datasource, gx, suite_name, table_name, expectations, frame, part, result)
                del frame
        for suite_name, table_name, expectations in mart_suites():
            frame = _frame(con, f"select * from {table_name}")
            _validate(datasource, gx, suite_name, table_name, expectations, frame, 0, result)
        for check in golden_record_checks(con):
            name, passed, message = check[:3]
            severity = check[3] if len(check) > 3 else "error"
            result.rows.append({"suite_name": "golden_records", "table_name": name.split(":")[0],
                                "expectation": name, "success": bool(passed), "details": message,
                                "severity": severity})
    return result
