"""Step 5, load: copy the live lake files into schema raw of a new build file (with what each source holds)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from warehouse.closing import load_closed_year_figures
from warehouse.platform import database
from warehouse.platform.faults import kill_point
from warehouse.platform.settings import Settings

if TYPE_CHECKING:
    from warehouse.refresh.run import Refresh


def load_lake(run: Refresh, build_path: Path) -> dict[str, dict[str, object]]:
    """The load step: a fresh build file holding the lake; lake table → files, rows, data through."""
    with run.step("load_raw", "copying the lake into a new build file"):
        if build_path.exists():
            build_path.unlink()
        status = run.load_raw(build_path)
    kill_point("refresh.after_load_raw")
    return status


def raw_source_columns(settings: Settings) -> dict[str, list[tuple[str, str]]]:
    """Lake table → [(column, type)] from the generated dbt source YAML (rendered from the ingest contracts)."""
    path = settings.dbt_project_dir / "models" / "staging" / "_raw__sources.yml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    tables: dict[str, list[tuple[str, str]]] = {}
    for source in document["sources"]:
        if source["name"] != "raw":
            continue
        for table in source["tables"]:
            tables[table["name"]] = [(c["name"], c.get("data_type", "varchar")) for c in table.get("columns", [])]
    return tables


def open_quarantine_by_table(settings: Settings) -> dict[str, int]:
    """Lake table → quarantined files of its kind still waiting in quarantine/ (their sources are suspect)."""
    from ingest import KINDS

    counts: dict[str, int] = {}
    if not settings.quarantine_dir.exists():
        return counts
    for report in settings.quarantine_dir.glob("*.report.json"):
        try:
            kind = json.loads(report.read_text(encoding="utf-8")).get("kind")
        except ValueError:
            kind = None
        tables = list(KINDS[kind].contracts) if kind in KINDS else list(raw_source_columns(settings))
        for table in tables:
            counts[table] = counts.get(table, 0) + 1
    return counts


def live_files_by_table(settings: Settings, exclude: set[str] = frozenset()) -> dict[str, list[Path]]:
    """Lake table → the Parquet files of its live versions (the manifest decides, not a folder listing)."""
    from ingest.common import lake

    files: dict[str, list[Path]] = {}
    for row in lake.read_manifest(settings.lake_dir):
        if row.get("status", "live") != "live" or row["sha256"] in exclude:
            continue
        for part in row["parts"]:
            if part.get("live"):
                files.setdefault(part["table"], []).append(settings.lake_dir / part["parquet"])
    return {table: sorted(paths) for table, paths in files.items()}


def load_raw(settings: Settings, build_path: Path, quarantined_open: dict[str, int],
             exclude: set[str] = frozenset()) -> dict[str, dict[str, object]]:
    """Copy every live lake file (less `exclude`d versions) into schema raw of the build file; write
    raw.source_load_status."""
    from ingest.registry import data_through_sql

    status: dict[str, dict[str, object]] = {}
    live = live_files_by_table(settings, exclude)
    with database.connect_build(build_path) as con:
        con.execute("create schema if not exists raw")
        for table, columns in raw_source_columns(settings).items():
            files = live.get(table, [])
            if files:
                con.execute(
                    f"create or replace table raw.{table} as "
                    "select * from read_parquet(?, hive_partitioning = true, union_by_name = true)",
                    [[database.file_pattern(path) for path in files]],
                )
            else:
                declared = [(name, dtype) for name, dtype in columns if name != "fiscal_month"]
                column_sql = ", ".join(f'"{name}" {dtype}' for name, dtype in [*declared, ("fiscal_month", "varchar")])
                con.execute(f"create or replace table raw.{table} ({column_sql})")
            rows, loaded_at, data_through = con.sql(
                f"select count(*), max(loaded_at), {data_through_sql(table)} from raw.{table}"
            ).fetchall()[0]
            status[table] = {
                "files_loaded": len(files),
                "rows_loaded": rows,
                "last_loaded_at": loaded_at,
                "data_through_date": data_through,
            }
        load_open_data_items(con)
        load_closed_year_figures(con, settings.home)
        con.execute(
            "create or replace table raw.source_load_status (source_table varchar, files_loaded bigint, "
            "rows_loaded bigint, last_loaded_at timestamp, data_through_date date, files_quarantined_open bigint)"
        )
        for table, values in status.items():
            con.execute(
                "insert into raw.source_load_status values (?, ?, ?, ?, ?, ?)",
                [table, values["files_loaded"], values["rows_loaded"], values["last_loaded_at"],
                 values["data_through_date"], quarantined_open.get(table, 0)],
            )
    return status


def load_open_data_items(con) -> None:
    """The datasets this warehouse publishes as open data (warehouse/products/open_data.toml): they count toward
    measure 1's indicator (オープンデータの項目数). Taken from the registry, not from open/, so a build does
    not depend on what the previous export happened to write."""
    from warehouse.products.open_data import load_registry

    _, datasets = load_registry()
    con.execute("create or replace table raw.open_data_items (dataset_id varchar, source_table varchar, "
                "title_ja varchar, title_en varchar, update_frequency varchar)")
    for spec in datasets:
        con.execute("insert into raw.open_data_items values (?, ?, ?, ?, ?)",
                    [spec.id, spec.table, spec.title_ja, spec.title_en, spec.update_frequency])


