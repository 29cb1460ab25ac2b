"""When a build rule or a quality gate fails: find the new file versions that make it fail and set them aside."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from warehouse import attribution
from warehouse.verify import set_aside

if TYPE_CHECKING:
    from warehouse.refresh.run import Refresh


def set_aside_culprits(run: Refresh, tables: set[str], rules: str, passes: Callable[[set[str]], bool]) -> bool:
    """Find the new file versions (feeding `tables`) without which `passes`; set them aside with the rule in
    words and reload the raw tables from what is left. False when the files are not the cause."""
    from ingest.common import lake  # ingest pulls in polars: only when a refresh runs

    rows = lake.read_manifest(run.settings.lake_dir)
    published = attribution.published_versions(run.settings, tables) or set()
    suspects = [row["sha256"] for row in sorted(rows, key=lambda r: r["loaded_at"])
                if row.get("status", "live") == "live" and set(row["tables"]) & tables
                and row["sha256"] not in published]
    if not suspects:
        return False
    run.progress(run.current_step, f"a rule failed; finding which of {len(suspects)} new file(s) fail it")
    found = attribution.isolate(suspects, passes, attribution.MAX_BUILDS)
    if found is None:
        return False
    for sha in found.culprits + found.undetermined:
        row = next(r for r in rows if r["sha256"] == sha)
        reason = _reason(row, rules, undecided=sha in found.undetermined)
        set_aside(run.settings, rows, sha, reason=reason, rule=rules, run_id=run.record.run_id)
        run.set_aside.append({"file_name": row["file_name"], "sha256": sha, "reason": reason})
    lake.write_manifest(run.settings.lake_dir, rows)
    run.log.info("set aside after %s extra builds: %s", found.builds, run.set_aside)
    run.load_raw(run.build_path)  # the lake now holds what passed: build from it as the next run would
    return True


def _reason(row: dict, rules: str, undecided: bool) -> str:
    """Why a file version was set aside and what the department or operator can do, in words."""
    months = ", ".join(row["fiscal_months"][:6]) + ("…" if len(row["fiscal_months"]) > 6 else "")
    return (f"with this file in the lake {rules}"
            + (" (one of several new files that could not be told apart within the build budget)"
               if undecided else "")
            + f". Its {row['rows_out']} rows in {', '.join(row['tables'])} ({months}) are not published. "
            "Check the file against that rule, correct it and drop it into "
            f"landing/{row['kind']}/ again; or, if the file is right, fix the rule and run "
            f"`warehouse files retry {row['file_name']}`.")
