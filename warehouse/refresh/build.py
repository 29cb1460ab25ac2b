"""Step 6, build: one in-process `dbt build` into the build file (setting aside new files that make a rule
fail), then the data catalog: `dbt docs generate` when models, seeds or macros changed since the published
version, else the published docs."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from warehouse import attribution
from warehouse.platform import database
from warehouse.platform.faults import kill_point
from warehouse.platform.settings import Settings
from warehouse.refresh.dbt_runner import run_dbt
from warehouse.refresh.errors import DbtFailed
from warehouse.refresh.set_aside import set_aside_culprits

if TYPE_CHECKING:
    from warehouse.refresh.run import Refresh

DOCS_FILES = ("catalog.json", "manifest.json", "index.html", "run_results.json")
DBT_CODE_RECORD = "dbt_code.json"  # in a release's docs/: the dbt code fingerprint the release was built from


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


def build_arguments(run: Refresh) -> list[str]:
    """`dbt build`; with --full-rebuild the incremental facts are rebuilt from every month too."""
    return ["build", "--full-refresh"] if run.full_rebuild else ["build"]


def build_setting_aside_failing_files(run: Refresh, build_path: Path) -> None:
    """dbt build; if a rule fails, set aside the file versions that make it fail and build again. After an
    incremental load the data tests of the big row-level models read only the changed fiscal months (the others
    were tested when they were built: macros/get_where_subquery.sql); the builds after a set-aside load the
    whole lake, so they test every row."""
    incremental = run.load_plan is not None and run.load_plan.incremental
    try:
        run_dbt(run.settings, build_path, build_arguments(run), run.as_of, run.log,
                tests_changed_months_only=incremental)
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
    """The docs step: dbt docs of the build file in build/<run_id>.docs (published with it); the published
    docs when they were generated from the same models, seeds and macros."""
    docs_out = run.settings.build_dir / f"{run.record.run_id}.docs"
    shutil.rmtree(docs_out, ignore_errors=True)
    published_docs = published_docs_dir(run.settings)
    if (not run.full_rebuild and published_docs is not None
            and published_dbt_code_fingerprint(run.settings) == run.dbt_code_fingerprint):
        with run.step("dbt_docs", "the published data catalog (models, seeds and macros unchanged)"):
            shutil.copytree(published_docs, docs_out)
        return docs_out
    with run.step("dbt_docs", "dbt docs generate (the data catalog)"):
        run_dbt(run.settings, build_path, ["docs", "generate", "--no-compile"], run.as_of, run.log)
        docs_out.mkdir(parents=True, exist_ok=True)
        for name in DOCS_FILES:
            source = run.settings.dbt_dir / "target" / name
            if source.exists():
                shutil.copy2(source, docs_out / name)
        (docs_out / DBT_CODE_RECORD).write_text(json.dumps({"fingerprint": run.dbt_code_fingerprint}),
                                                 encoding="utf-8")
    return docs_out


def published_docs_dir(settings: Settings) -> Path | None:
    """The served release's docs/, if it has a catalog."""
    folder = database.current_release(settings)
    if folder is None or not (folder / "docs" / "catalog.json").exists():
        return None
    return folder / "docs"


def published_dbt_code_fingerprint(settings: Settings) -> str | None:
    """The dbt code fingerprint the served release was built from (None: not recorded, e.g. an older release
    or one served again from a kept copy without its docs)."""
    folder = database.current_release(settings)
    if folder is None:
        return None
    try:
        return json.loads((folder / "docs" / DBT_CODE_RECORD).read_text(encoding="utf-8"))["fingerprint"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
