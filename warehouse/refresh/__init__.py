"""The monthly KPI refresh: lock → verify → ingest → plan → load → build → gate → publish → export.

Each step is a function in a module of its own (named after the step); `run.Refresh._run_locked` calls them in
order. Every step either completes or leaves the published warehouse untouched: the build happens in a separate
file, and publishing is a single rename (warehouse/platform/database.py).
"""
from __future__ import annotations

from warehouse.refresh.dbt_runner import invoke_dbt, run_dbt
from warehouse.refresh.errors import DbtFailed, RefreshFailed, RefreshLocked
from warehouse.refresh.load import load_lake_file_versions, load_open_data_items, load_raw, raw_source_columns
from warehouse.refresh.lock import refresh_lock
from warehouse.refresh.plan import code_fingerprint, lake_fingerprint, published_fingerprint
from warehouse.refresh.run import Refresh, RefreshOutcome, as_of_date

__all__ = [
    "DbtFailed", "Refresh", "RefreshFailed", "RefreshLocked", "RefreshOutcome", "as_of_date", "code_fingerprint",
    "invoke_dbt", "lake_fingerprint", "load_lake_file_versions", "load_open_data_items", "load_raw", "published_fingerprint",
    "raw_source_columns", "refresh_lock", "run_dbt",
]
