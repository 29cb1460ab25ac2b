"""What a publish changed against the previous published version, kept in the new file's meta schema.

Per mart: rows added, removed and changed, matched by the mart's key (the unique test in its YAML); per indicator ×
fiscal year: the actual and status, old → new. meta.publish_change_log carries one summary row per publish, the
previous file's rows included, so the open-data catalog and the app can show the whole history.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import yaml

from warehouse.platform import database

if TYPE_CHECKING:
    from warehouse.refresh.run import Refresh

FIRST_PUBLISH_NOTE = "first publish: there is no previous published version to compare with"
INDICATOR_MART = "mart_kpi_indicator_progress"


def mart_keys(models_dir: Path) -> dict[str, list[str]]:
    """mart name → its key columns, from the unique_combination test or the first column tested unique."""
    keys: dict[str, list[str]] = {}
    for path in sorted(models_dir.rglob("mart_*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for model in document.get("models") or []:
            key = None
            for test in model.get("data_tests") or []:
                if isinstance(test, dict) and "unique_combination" in test:
                    key = list(test["unique_combination"]["arguments"]["combination_of_columns"])
            for column in model.get("columns") or []:
                if key is None and "unique" in (column.get("data_tests") or []):
                    key = [column["name"]]
            if key:
                keys[model["name"]] = key
    return keys


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> dict[str, str]:
    rows = con.sql("select column_name, data_type from information_schema.columns where table_catalog = ? and "
                   "table_schema = 'main' and table_name = ? order by ordinal_position", params=[catalog, table]).fetchall()
    return dict(rows)


def _marts(con: duckdb.DuckDBPyConnection, catalog: str) -> set[str]:
    rows = con.sql("select table_name from information_schema.tables where table_catalog = ? and "
                   "table_schema = 'main' and table_name like 'mart\\_%' escape '\\'", params=[catalog]).fetchall()
    return {row[0] for row in rows}


def _comparable(column: str, dtype: str, alias: str) -> str:
    """A column as compared: doubles rounded (sums of doubles may differ in the last bits between builds)."""
    quoted = f'{alias}."{column}"'
    return f"round({quoted}, 6)" if dtype.upper() in ("DOUBLE", "FLOAT", "REAL") else quoted


def compare_mart(con: duckdb.DuckDBPyConnection, mart: str, key: list[str]) -> dict[str, Any]:
    """Rows added, removed and changed between prev.main.<mart> and next.main.<mart>, matched by key."""
    before, after = _columns(con, "prev", mart), _columns(con, "next", mart)
    common = [name for name in after if name in before and name not in key]
    on = " and ".join(f'o."{name}" is not distinct from n."{name}"' for name in key)
    differs = " or ".join(
        f"({_comparable(name, after[name], 'o')}) is distinct from ({_comparable(name, after[name], 'n')})"
        for name in common) or "false"
    first = f'"{key[0]}"'
    row = con.sql(
        f"select count(*) filter (where o.{first} is null), count(*) filter (where n.{first} is null), "
        f"count(*) filter (where o.{first} is not null and n.{first} is not null and ({differs})), "
        f"count(o.{first}), count(n.{first}) "
        f'from (select * from prev.main."{mart}") as o full outer join (select * from next.main."{mart}") as n on {on}'
    ).fetchall()[0]
    added, removed, changed, rows_before, rows_after = row
    return {"mart_name": mart, "key_columns": ", ".join(key), "rows_before": rows_before, "rows_after": rows_after,
            "rows_added": added, "rows_removed": removed, "rows_changed": changed}


INDICATOR_CHANGES_SQL = f"""
select
    coalesce(n.indicator_id, o.indicator_id) as indicator_id,
    coalesce(n.fiscal_year, o.fiscal_year) as fiscal_year,
    case when o.indicator_id is null then 'added' when n.indicator_id is null then 'removed' else 'changed' end
        as change_kind,
    o.actual_value as old_actual_value, n.actual_value as new_actual_value,
    o.progress_status as old_progress_status, n.progress_status as new_progress_status
from prev.main.{INDICATOR_MART} as o
full outer join next.main.{INDICATOR_MART} as n
    on o.indicator_id = n.indicator_id and o.fiscal_year = n.fiscal_year
where o.indicator_id is null or n.indicator_id is null
    or round(o.actual_value, 6) is distinct from round(n.actual_value, 6)
    or o.progress_status is distinct from n.progress_status
order by 1, 2
"""


def record_publish_changes(build_path: Path, previous_path: Path | None, version_id: str,
                           previous_version_id: str | None, models_dir: Path, note: str = "") -> dict[str, Any]:
    """Compare the build file with the previous published file and write meta.publish_mart_changes,
    meta.publish_indicator_changes and meta.publish_change_log into the build file. Returns the summary row."""
    keys = mart_keys(models_dir)
    mart_rows: list[dict[str, Any]] = []
    indicator_rows: list[tuple] = []
    history: list[tuple] = []
    compared = previous_path is not None and previous_path.exists()
    con = duckdb.connect()
    try:
        con.execute(f"attach {database.sql_literal(build_path)} as next (read_only)")
        if compared:
            con.execute(f"attach {database.sql_literal(previous_path)} as prev (read_only)")
            previous_marts = _marts(con, "prev")
            for mart in sorted(_marts(con, "next") | previous_marts):
                key = keys.get(mart)
                if mart not in previous_marts or mart not in _marts(con, "next") or not key:
                    rows_after = (con.sql(f'select count(*) from next.main."{mart}"').fetchall()[0][0]
                                  if mart not in previous_marts else None)
                    mart_rows.append({"mart_name": mart, "key_columns": ", ".join(key or []), "rows_before": None,
                                      "rows_after": rows_after, "rows_added": rows_after, "rows_removed": None,
                                      "rows_changed": None})
                    continue
                mart_rows.append(compare_mart(con, mart, key))
            if INDICATOR_MART in previous_marts:
                indicator_rows = con.sql(INDICATOR_CHANGES_SQL).fetchall()
            has_log = con.sql("select count(*) from information_schema.tables where table_catalog = 'prev' and "
                              "table_schema = 'meta' and table_name = 'publish_change_log'").fetchall()[0][0]
            if has_log:
                history = con.sql("select * from prev.meta.publish_change_log order by published_at").fetchall()
    finally:
        con.close()
    changed_marts = [row for row in mart_rows if row["rows_added"] or row["rows_removed"] or row["rows_changed"]]
    summary = {
        "version_id": version_id, "compared_with_version": previous_version_id if compared else None,
        "note": note or ("" if compared else FIRST_PUBLISH_NOTE),
        "marts_changed": len(changed_marts),
        "rows_added": sum(row["rows_added"] or 0 for row in mart_rows),
        "rows_removed": sum(row["rows_removed"] or 0 for row in mart_rows),
        "rows_changed": sum(row["rows_changed"] or 0 for row in mart_rows),
        "indicator_values_changed": len(indicator_rows),
    }
    with database.connect_build(build_path) as con:
        con.execute("create schema if not exists meta")
        con.execute("create or replace table meta.publish_mart_changes (version_id varchar, compared_with_version "
                    "varchar, mart_name varchar, key_columns varchar, rows_before bigint, rows_after bigint, "
                    "rows_added bigint, rows_removed bigint, rows_changed bigint)")
        for row in mart_rows:
            con.execute("insert into meta.publish_mart_changes values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [version_id, previous_version_id, row["mart_name"], row["key_columns"], row["rows_before"],
                         row["rows_after"], row["rows_added"], row["rows_removed"], row["rows_changed"]])
        con.execute("create or replace table meta.publish_indicator_changes (version_id varchar, "
                    "compared_with_version varchar, indicator_id varchar, fiscal_year integer, change_kind varchar, "
                    "old_actual_value double, new_actual_value double, old_progress_status varchar, "
                    "new_progress_status varchar)")
        for row in indicator_rows:
            con.execute("insert into meta.publish_indicator_changes values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [version_id, previous_version_id, *row])
        con.execute("create or replace table meta.publish_change_log (version_id varchar, published_at timestamptz, "
                    "compared_with_version varchar, note varchar, marts_changed bigint, rows_added bigint, "
                    "rows_removed bigint, rows_changed bigint, indicator_values_changed bigint)")
        for row in history:
            con.execute("insert into meta.publish_change_log values (?, ?, ?, ?, ?, ?, ?, ?, ?)", list(row))
        con.execute("insert into meta.publish_change_log values (?, current_timestamp, ?, ?, ?, ?, ?, ?, ?)",
                    [version_id, summary["compared_with_version"], summary["note"], summary["marts_changed"],
                     summary["rows_added"], summary["rows_removed"], summary["rows_changed"],
                     summary["indicator_values_changed"]])
        con.execute("comment on table meta.publish_mart_changes is 'One row per mart of this version compared with "
                    "the previous published version (by the key of the mart''s unique test): rows added, removed, "
                    "changed. Empty on the first publish.'")
        con.execute("comment on table meta.publish_indicator_changes is 'One row per indicator x fiscal year whose "
                    "actual or status differs from the previous published version: old -> new.'")
        con.execute("comment on table meta.publish_change_log is 'One row per publish up to this version: what it "
                    "changed against the one before (the open-data catalog''s change log).'")
    return summary


def record_changes_against_served(run: Refresh, build_path: Path) -> None:
    """The publish step's call: compare with the version served now (none before the first publish). A served
    file that cannot be read is noted in the change log, never a failed publish."""
    current = database.current_version(run.settings)
    previous_path = run.settings.published_path if current is not None else None
    previous_version = str(current["version_id"]) if current is not None else None
    models_dir = run.settings.dbt_project_dir / "models"
    try:
        record_publish_changes(build_path, previous_path, str(run.record.warehouse_version), previous_version,
                               models_dir)
    except duckdb.Error as exc:
        run.log.warning("could not compare with the served version %s: %s", previous_version, exc)
        run.warnings.append(f"the change record against {previous_version} could not be computed ({exc})")
        record_publish_changes(build_path, None, str(run.record.warehouse_version), previous_version, models_dir,
                               note=f"not compared: the served version {previous_version} could not be read")
