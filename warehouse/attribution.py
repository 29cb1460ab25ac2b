"""When a build-time rule fails, find the file versions whose rows make it fail, so they can be set aside.

Ingest checks every row-level rule it can and attributes a failure to its file. What only the build can see
(a rule across tables or files) is traced here: the suspects are the live file versions that are not yet in
the published warehouse and that feed the failing model (dbt's manifest gives the lineage). If the build
passes without all of them, group testing finds which ones fail it: a group is tried together with the
versions already cleared; a failing group of one is a culprit. The number of extra builds is bounded;
suspects still undecided when the budget runs out are set aside too (named as such in the report) rather
than blocking the publish. If the build fails even without any suspect, the fault is in the code or the
older data, and the refresh fails as before with the published warehouse untouched.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from warehouse.platform import database
from warehouse.platform.settings import Settings

MAX_BUILDS = 8  # extra dbt builds one refresh may spend finding the files that fail a rule


@dataclass
class Isolation:
    culprits: list[str] = field(default_factory=list)
    undetermined: list[str] = field(default_factory=list)
    builds: int = 0


def upstream_raw_tables(manifest_path: Path, unique_ids: list[str]) -> set[str]:
    """Raw lake tables the given dbt nodes read, directly or through other models."""
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    nodes = {**manifest.get("nodes", {}), **manifest.get("unit_tests", {})}
    sources = manifest.get("sources", {})
    tables: set[str] = set()
    seen: set[str] = set()
    stack = list(unique_ids)
    while stack:
        uid = stack.pop()
        if uid in seen:
            continue
        seen.add(uid)
        if uid in sources:
            if sources[uid].get("source_name") == "raw":
                tables.add(sources[uid]["name"])
            continue
        stack.extend(nodes.get(uid, {}).get("depends_on", {}).get("nodes", []))
    return tables


def published_versions(settings: Settings, tables: set[str]) -> set[str] | None:
    """File versions whose rows are in the published warehouse's raw tables (None: nothing published)."""
    if database.current_version(settings) is None:
        return None
    versions: set[str] = set()
    try:
        with database.connect_read_only(settings.published_path) as con:
            present = {row[0] for row in con.sql(
                "select table_name from information_schema.tables where table_schema = 'raw'").fetchall()}
            for table in sorted(tables & present):
                versions.update(row[0] for row in con.sql(
                    f'select distinct source_file_sha256 from raw."{table}"').fetchall())
    except duckdb.Error:
        return None
    return versions


def isolate(suspects: list[str], passes: Callable[[set[str]], bool], budget: int) -> Isolation | None:
    """Group testing over `suspects`; `passes(excluded)` builds without the excluded versions.
    Returns None when the build fails even without every suspect (not the files' fault)."""
    result = Isolation()
    result.builds += 1
    if not passes(set(suspects)):
        return None
    cleared: set[str] = set()
    groups = [list(suspects)]
    while groups:
        group = groups.pop(0)
        if result.builds >= budget:
            result.undetermined.extend(group)
            continue
        if len(group) == len(suspects) and len(group) > 1:
            groups[:0] = [group[: len(group) // 2], group[len(group) // 2:]]
            continue
        result.builds += 1
        excluded = set(suspects) - cleared - set(group)
        if passes(excluded):
            cleared.update(group)
        elif len(group) == 1:
            result.culprits.extend(group)
        else:
            groups[:0] = [group[: len(group) // 2], group[len(group) // 2:]]
    return result


def describe_rule(manifest_path: Path, unique_id: str, message: str) -> str:
    """A failing dbt node in words: the rule, the model it guards and what dbt reported."""
    try:
        node = json.loads(manifest_path.read_text(encoding="utf-8")).get("nodes", {}).get(unique_id, {})
    except (OSError, ValueError):
        node = {}
    meta = node.get("test_metadata") or {}
    model = next((ref.split(".")[-1] for ref in node.get("depends_on", {}).get("nodes", [])
                  if ref.startswith("model.")), None)
    column = node.get("column_name") or (meta.get("kwargs") or {}).get("column_name")
    if meta.get("name"):
        rule = f"the check '{meta['name']}'" + (f" on column {column}" if column else "")
    else:
        rule = f"the check '{node.get('name') or unique_id.split('.')[-1]}'"
    where = f" of {model}" if model else ""
    description = (node.get("description") or "").strip()
    return f"{rule}{where} failed ({message})" + (f": {description}" if description else "")
