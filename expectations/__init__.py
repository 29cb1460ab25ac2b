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
# Chunks are first checked this many at a time, on their reduced values and key columns (_group_passed_rows).
CHUNKS_PER_CHECK = 5

# Checks whose verdict depends only on which values a column holds and whether a null occurs, never on how many
# rows hold them: great-expectations judges them on a few rows per column (_value_frame). Uniqueness checks need
# every row, but only of the key columns.
VALUE_CHECKS = frozenset({"expect_column_to_exist", "expect_column_values_to_not_be_null",
                          "expect_column_values_to_be_in_set", "expect_column_values_to_be_between"})
KEY_CHECKS = frozenset({"expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"})


def _raw_chunks(con, table: str, files: list[str] | None) -> tuple[list[list[str]], dict[str, list[str] | None]]:
    """A raw table's file versions (all, or those of `files` that it holds) split into chunks of whole files, and
    each version's fiscal months (None when a row has none: its rows are then found by version alone). Read from
    raw.lake_partitions, which the load counted from the same rows, when the file has it: a count over the whole
    raw table grew with the history (79 M rows after ten years)."""
    if files is not None and not files:
        return [], {}
    has_partitions = con.sql("select count(*) from information_schema.tables where table_schema = 'raw' "
                             "and table_name = 'lake_partitions'").fetchall()[0][0]
    month = "fiscal_month" if "fiscal_month" in con.sql(f"select * from raw.{table} limit 0").columns else "null"
    source = ("select source_file_sha256, sum(rows), list(distinct fiscal_month) from raw.lake_partitions "
              f"where source_table = '{table}'" if has_partitions else
              f"select source_file_sha256, count(*), list(distinct {month}) from raw.{table}")
    counts = con.sql(f"{source} group by 1 order by 1").fetchall()
    chosen = None if files is None else set(files)
    wanted = [(sha, rows) for sha, rows, _ in counts if chosen is None or sha in chosen]
    months = {sha: None if None in fiscal_months else sorted(fiscal_months)
              for sha, _, fiscal_months in counts if chosen is None or sha in chosen}
    chunks: list[list[str]] = []
    size = 0
    for sha, rows in wanted:
        if not chunks or size + rows > RAW_CHUNK_ROWS:
            chunks.append([])
            size = 0
        chunks[-1].append(sha)
        size += rows
    return chunks, months


def _of_files(shas: list[str], months: dict[str, list[str] | None], alias: str = "") -> str:
    """WHERE clause for the rows of these file versions; their fiscal months as constants first, so DuckDB skips
    the row groups of every other month instead of reading the whole history's file column."""
    in_months = {month for sha in shas for month in months.get(sha) or [None]}
    prefix = f"{alias}." if alias else ""
    month_filter = ("" if None in in_months else  # a version without known months: every row of the table
                    f"{prefix}fiscal_month in (" + ", ".join(f"'{month}'" for month in sorted(in_months)) + ") and ")
    return month_filter + f"{prefix}source_file_sha256 in (" + ", ".join(f"'{sha}'" for sha in shas) + ")"


def _pandas(table):
    """An Arrow table as the pandas DataFrame great-expectations checks, with narrow integers widened to int64
    (GX's between-check compares only int64 and float64 columns without a Python call per value)."""
    import pandas as pd

    frame = table.to_pandas()
    for column, dtype in frame.dtypes.items():
        if pd.api.types.is_integer_dtype(dtype) and dtype != "int64":
            frame[column] = frame[column].astype("int64")
    return frame


def _frame(con, sql: str):
    """A query's rows as the pandas DataFrame great-expectations checks, read through Arrow (DuckDB's .df()
    builds text columns value by value, 9× slower on a million rows)."""
    return _pandas(con.sql(sql).to_arrow_table())


def _value_frames(con, table: str, types: dict[str, str], expectations: list, groups: list[list[str]],
                  months: dict[str, list[str] | None]) -> list:
    """For each group of file versions, its rows' values reduced to what VALUE_CHECKS can tell apart, as a frame
    of the same column types: per column a value, its least and greatest where a range is checked, every distinct
    value where a set is checked, and a null when one occurs (NaN counts as null, as pandas reads it). Each check
    fails on it whenever it fails on the rows themselves; shorter columns repeat their first value. One pass
    over the table for all groups."""
    import pyarrow as pa

    checked: dict[str, set[str]] = {}
    for e in expectations:
        checked.setdefault(e.configuration.kwargs["column"], set()).add(e.expectation_type)
    columns = [column for column in types if column in checked]
    if not columns:
        return [_pandas(pa.table({})) for _ in groups]
    selects = []
    for i, column in enumerate(columns):
        value = f"nullif(r.\"{column}\", 'NaN'::double)" if types[column] in {"DOUBLE", "FLOAT"} else f'r."{column}"'
        if "expect_column_values_to_be_between" in checked[column]:
            selects += [f"min({value}) as least{i}", f"max({value}) as greatest{i}"]
        else:
            selects.append(f"any_value({value}) as least{i}")
        if "expect_column_values_to_be_in_set" in checked[column]:
            selects.append(f"list(distinct {value}) filter (where {value} is not null) as distinct{i}")
        selects.append(f"count({value}) < count(*) as null{i}")
    con.register("gate_groups", pa.table({"sha256": [sha for group in groups for sha in group],
                                          "gate_group": [n for n, group in enumerate(groups) for _ in group]}))
    try:
        where = _of_files([sha for group in groups for sha in group], months, alias="r")
        reduced = con.sql(f"select {', '.join(selects)} from raw.{table} r join gate_groups g on "
                          f"r.source_file_sha256 = g.sha256 where {where} group by g.gate_group "
                          "order by g.gate_group").to_arrow_table()
    finally:
        con.unregister("gate_groups")
    frames = []
    for row in (reduced.slice(n, 1) for n in range(reduced.num_rows)):
        arrays = {}
        for i, column in enumerate(columns):
            parts = [row[name].combine_chunks() for name in (f"least{i}", f"greatest{i}") if name in row.column_names]
            if f"distinct{i}" in row.column_names:
                parts.append(row[f"distinct{i}"].combine_chunks().flatten())
            values = pa.concat_arrays(parts).drop_null()
            if row[f"null{i}"][0].as_py():
                values = pa.concat_arrays([values, pa.nulls(1, values.type)])
            arrays[column] = values
        length = max(len(values) for values in arrays.values())
        frames.append(_pandas(pa.table({column: values.take([i if i < len(values) else 0 for i in range(length)])
                                        for column, values in arrays.items()})))
    return frames


def _key_frame(con, table: str, columns: list[str], where: str, key_sets: list[list[str]]):
    """The key columns of the rows whose key repeats under one of key_sets (DuckDB finds them; unique keys
    leave an empty frame, found by grouping before any row is read), text as pandas categoricals: GX's uniqueness checks then judge a few rows, not the
    5 million of a group of chunks, and fail exactly when they would on every row. (GX ignores null keys;
    DuckDB groups nulls together, so such rows are kept and GX ignores them as before.)"""
    import pyarrow as pa

    selected = ", ".join(f'"{column}"' for column in columns)
    if not any(con.sql(f"select exists (select 1 from raw.{table} where {where} group by "
                       + ", ".join(f'"{column}"' for column in key) + " having count(*) > 1)").fetchall()[0][0]
               for key in key_sets):  # the usual answer, from a hash aggregate instead of a window per key set
        return _pandas(con.sql(f"select {selected} from raw.{table} limit 0").to_arrow_table())
    repeated = " or ".join("count(*) over (partition by " + ", ".join(f'"{column}"' for column in key) + ") > 1"
                           for key in key_sets)
    rows = con.sql(f"select {selected} from raw.{table} where {where} qualify {repeated}").to_arrow_table()
    return _pandas(pa.table({name: column.dictionary_encode() if pa.types.is_string(column.type) else column
                             for name, column in zip(rows.column_names, rows.columns, strict=True)}))


def _validate(context, gx, suite_name: str, table_name: str, expectations: list, frame,
              part: int | str) -> list[dict[str, object]]:
    """great-expectations' result rows for the expectations on frame, in the suite's order when all pass.

    Each frame gets its own datasource, deleted afterwards: a datasource's execution engine keeps every batch it
    validated: one shared datasource kept ~320 MB per million raw rows until the gates ended (past 14 GiB on
    the 10-year lake's 30-minute readings alone)."""
    name = f"{suite_name}__{part}"
    datasource = context.data_sources.add_pandas(name)
    try:
        batch = datasource.add_dataframe_asset(name="frame").add_batch_definition_whole_dataframe("whole").get_batch(
            batch_parameters={"dataframe": frame})
        validation = batch.validate(gx.ExpectationSuite(name=name, expectations=list(expectations)))
    finally:
        context.data_sources.delete(name)
    rows = []
    for outcome in validation.results:
        config = outcome.expectation_config
        details = ""
        if not outcome.success:
            observed = (outcome.result or {}).get("observed_value")
            unexpected = (outcome.result or {}).get("unexpected_count")
            details = f"observed={observed}" if observed is not None else f"unexpected_count={unexpected}"
        rows.append({
            "suite_name": suite_name,
            "table_name": table_name,
            "expectation": f"{config.type}({config.kwargs.get('column', '')})",
            "success": bool(outcome.success),
            "details": details,
        })
    return rows


def _is_key(expectation) -> bool:
    return expectation.expectation_type in KEY_CHECKS


def _group_passed_rows(con, context, gx, suite_name: str, table_name: str, expectations: list, value_frame,
                       shas: list[str], months: dict[str, list[str] | None], part: int) -> list[dict[str, object]] | None:
    """The suite's rows for one chunk of these files when the value checks pass on their reduced values and the
    uniqueness checks on their key columns (then they pass on every chunk of them: values seen in a chunk are
    among the group's, a key unique over the group is unique within each chunk); None when any fails."""
    values = [e for e in expectations if not _is_key(e)]
    keys = [e for e in expectations if _is_key(e)]
    value_rows = _validate(context, gx, suite_name, table_name, values, value_frame, f"values_{part}") if values else []
    if not all(row["success"] for row in value_rows):
        return None
    key_sets = [e.configuration.kwargs.get("column_list") or [e.configuration.kwargs["column"]] for e in keys]
    key_columns = list(dict.fromkeys(column for key in key_sets for column in key))
    key_rows = _validate(context, gx, suite_name, table_name, keys,
                         _key_frame(con, table_name, key_columns, _of_files(shas, months), key_sets),
                         f"keys_{part}") if keys else []
    if not all(row["success"] for row in key_rows):
        return None
    passed = {False: iter(value_rows), True: iter(key_rows)}
    return [next(passed[_is_key(e)]) for e in expectations]


def _raw_suite_rows(con, context, gx, suite_name: str, table_name: str, expectations: list,
                    files: list[str] | None) -> list[dict[str, object]]:
    """A raw suite's result rows, one set per chunk of files, exactly as validating each chunk's whole rows gives.

    Chunks are checked CHUNKS_PER_CHECK at a time on their reduced values and key columns; the chunks of a group
    that fails there, or of a suite with a check of another kind, are validated on their whole rows, so a failure
    reports what it always did."""
    chunks, months = _raw_chunks(con, table_name, files)
    relation = con.sql(f"select * from raw.{table_name} limit 0")
    types = dict(zip(relation.columns, (str(t) for t in relation.types), strict=True))
    key_columns = {column for e in expectations if _is_key(e) for column in
                   e.configuration.kwargs.get("column_list") or [e.configuration.kwargs["column"]]}
    reducible = key_columns <= set(types) and all(
        e.expectation_type in VALUE_CHECKS | KEY_CHECKS and getattr(e, "mostly", 1) == 1 for e in expectations)
    groups = [chunks[first:first + CHUNKS_PER_CHECK] for first in range(0, len(chunks), CHUNKS_PER_CHECK)]
    group_files = [[sha for chunk in group for sha in chunk] for group in groups]
    values = [e for e in expectations if not _is_key(e)]
    value_frames = (_value_frames(con, table_name, types, values, group_files, months) if reducible and values
                    else None)
    rows: list[dict[str, object]] = []
    for number, group in enumerate(groups):
        first = number * CHUNKS_PER_CHECK
        passed = _group_passed_rows(con, context, gx, suite_name, table_name, expectations,
                                    value_frames[number] if value_frames else None, group_files[number],
                                    months, first) if reducible else None
        for part, shas in enumerate(group, start=first):
            if passed is not None:
                rows += [dict(row) for row in passed]
            else:
                frame = _frame(con, f"select * from raw.{table_name} where {_of_files(shas, months)}")
                rows += _validate(context, gx, suite_name, table_name, expectations, frame, part)
                del frame
    return rows


def _quiet_context(gx, verbose: bool):
    """An ephemeral GX context that draws no progress bars unless verbose."""
    context = gx.get_context(mode="ephemeral")
    if not verbose:
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


def run_gates(db_path: Path, raw_files: dict[str, list[str]] | None = None, verbose: bool | None = None,
              memory_limit: str | None = None) -> GateResult:
    """Run every suite against the tables of db_path (read-only) and the golden-record checks.

    raw_files limits the raw suites to the rows of the given file versions (lake table → sha256 list): a
    refresh gates what arrived in this run, since older lake files passed these suites when they arrived.
    None validates every raw row. verbose (default: WAREHOUSE_VERBOSE) lets great-expectations draw its
    progress bars; otherwise the gates print nothing. memory_limit caps DuckDB's buffer pool while the gates
    scan the raw tables (the refresh passes [refresh] duckdb_memory_limit).
    """
    import great_expectations as gx

    from expectations.marts import golden_record_checks, mart_suites
    from expectations.raw_contracts import raw_suites
    from warehouse.platform.database import connect_read_only

    result = GateResult()
    context = _quiet_context(gx, verbose_requested() if verbose is None else verbose)
    with connect_read_only(db_path, memory_limit) as con:
        for suite_name, table_name, expectations in raw_suites():
            files = None if raw_files is None else raw_files.get(table_name, [])
            result.rows += _raw_suite_rows(con, context, gx, suite_name, table_name, expectations, files)
        for suite_name, table_name, expectations in mart_suites():
            frame = _frame(con, f"select * from {table_name}")
            result.rows += _validate(context, gx, suite_name, table_name, expectations, frame, 0)
        for check in golden_record_checks(con):
            name, passed, message = check[:3]
            severity = check[3] if len(check) > 3 else "error"
            result.rows.append({"suite_name": "golden_records", "table_name": name.split(":")[0],
                                "expectation": name, "success": bool(passed), "details": message,
                                "severity": severity})
    return result
