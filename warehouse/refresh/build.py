"""Step 6, build: `dbt build` into the build file (setting aside new files that make a rule fail), then the
data catalog (`dbt docs generate`)."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from warehouse import attribution
from warehouse.platform.faults import kill_point
from warehouse.refresh.dbt_runner import run_dbt
from warehouse.refresh.errors import DbtFailed
from warehouse.refresh.set_aside import set_aside_culprits

if TYPE_CHECKING:
    from warehouse.refresh.run import Refresh

DOCS_FILES = ("catalog.json", "manifest.json", "index.html", "run_results.json")


def build(run: Refresh, build_path: Path, status: dict[str, dict[str, object]]) -> None:
    """The dbt build step; then note rows per source and warn when data runs past the as-of date."""
    with run.step("dbt_build", "dbt build (seeds, models, tests)"):
        build_setting_aside_failing_files(run, build_path)
    kill_point("refresh.after_dbt_build")
    for table, values in status.items():
        run.record.sources.setdefault(table, {})["rows_in_warehouse"] = int(values["rows_loaded"])
    newest = max((v["data_through_date"] for v in status.values() if v["data_through_date"]), default=None)
    if newest is not None and newest > run.as_of:
        run.warnings.append(
            f"the as-of date {run.as_of} is before the newest data in the lake ({newest}): months after it are "
            "kept but not counted in the fiscal year in progress; check WAREHOUSE_AS_OF_DATE")


def build_setting_aside_failing_files(run: Refresh, build_path: Path) -> None:
    """dbt build; if a rule fails, set aside the file versions that make it fail and build again."""
    try:
        run_dbt(run.settings, build_path, ["build"], run.as_of, run.log)
        return
    except DbtFailed as failure:
        first = failure
    target_manifest = run.settings.dbt_dir / "target" / "manifest.json"
    tables = attribution.upstream_raw_tables(target_manifest, [uid for uid, _, _ in first.failures])
    rules = "; ".join(attribution.describe_rule(target_manifest, uid, message)
                      for uid, _, message in first.failures[:3])

    def passes(excluded: set[str]) -> bool:
        run.load_raw(build_path, excluded)
        try:
            run_dbt(run.settings, build_path, ["build"], run.as_of, run.log)
            return True
        except DbtFailed:
            return False

    if not set_aside_culprits(run, tables, rules, passes):
        raise first
    run_dbt(run.settings, build_path, ["build"], run.as_of, run.log)


def generate_docs(run: Refresh, build_path: Path) -> Path:
    """The docs step: dbt docs of the build file, copied to build/<run_id>.docs (published with it)."""
    docs_out = run.settings.build_dir / f"{run.record.run_id}.docs"
    with run.step("dbt_docs", "dbt docs generate (the data catalog)"):
        run_dbt(run.settings, build_path, ["docs", "generate", "--no-compile"], run.as_of, run.log)
        docs_out.mkdir(parents=True, exist_ok=True)
        for name in DOCS_FILES:
            source = run.settings.dbt_dir / "target" / name
            if source.exists():
                shutil.copy2(source, docs_out / name)
    return docs_out
