"""Step 4, plan: a build is needed unless the lake, the code and the as-of date match the published version."""
from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import duckdb

from warehouse.closing import loadable_closed_years
from warehouse.platform import database
from warehouse.platform.closed_years import closed_years_fingerprint
from warehouse.platform.settings import Settings
from warehouse.refresh.load import open_quarantine_by_table

if TYPE_CHECKING:
    from warehouse.refresh.run import Refresh

# What makes two builds identical besides the lake: the code that turns lake into marts.
CODE_PATHS = ("models", "seeds", "macros", "tests/dbt", "dbt_project.yml", "expectations",
              "warehouse/products/open_data.toml")
# What dbt builds the warehouse and its docs from: when it changed since the published version, the build
# starts from an empty file and the docs are generated again (build.py, load.py).
DBT_CODE_PATHS = ("models", "seeds", "macros", "dbt_project.yml")


def needs_build(run: Refresh) -> bool:
    """Record the new version's fingerprint; False when the published version already has it."""
    with run.step("plan", "deciding whether anything changed"):
        run.dbt_code_fingerprint = code_fingerprint(run.settings, DBT_CODE_PATHS)
        closed = closed_years_fingerprint(run.settings.home, loadable_closed_years(run.settings.home))
        run.record.fingerprint = hashlib.sha256(
            f"{lake_fingerprint(run.settings)}|{code_fingerprint(run.settings)}|{run.as_of}|"
            f"{sorted(open_quarantine_by_table(run.settings).items())}|{closed}"
            .encode()
        ).hexdigest()
        return (run.full_rebuild or published_fingerprint(run.settings) != run.record.fingerprint
                or not database.release_is_whole(run.settings))  # e.g. served again from a kept copy


def code_fingerprint(settings: Settings, paths: tuple[str, ...] = CODE_PATHS) -> str:
    digest = hashlib.sha256()
    for name in paths:
        base = settings.dbt_project_dir / name
        files = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
        for path in files:
            if "__pycache__" in path.parts:
                continue
            digest.update(str(path.relative_to(settings.dbt_project_dir)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def lake_fingerprint(settings: Settings) -> str:
    """What the lake holds, from the manifest: every live part and its checksum (a damaged file is found by
    `verify`, which runs first; names and sizes alone would miss it)."""
    from ingest.common import lake  # ingest pulls in polars: only when a refresh runs

    digest = hashlib.sha256()
    for part in sorted(lake.live_parts(lake.read_manifest(settings.lake_dir, shared=True)), key=lambda p: p["parquet"]):
        digest.update(f"{part['parquet']}|{part.get('sha256') or part.get('rows')}\n".encode())
    return digest.hexdigest()


def published_fingerprint(settings: Settings) -> str | None:
    if database.current_version(settings) is None:
        return None
    try:
        with database.connect_read_only(settings.published_path) as con:
            row = con.sql("select fingerprint from meta.warehouse_version").fetchall()
    except duckdb.Error:  # an older or foreign file: rebuild
        return None
    return row[0][0] if row else None
