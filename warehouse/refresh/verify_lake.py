"""Step 2, verify: check the lake and the closed years' snapshots before anything reads them; restore or set
aside what is damaged; stop on a lost manifest."""
from __future__ import annotations

from typing import TYPE_CHECKING

from warehouse.closing import repair_closed_years
from warehouse.platform.faults import kill_point
from warehouse.refresh.errors import RefreshFailed
from warehouse.verify import record_result, repair_lake

if TYPE_CHECKING:
    from warehouse.refresh.run import Refresh


def verify_lake(run: Refresh) -> None:
    """The verify step: every lake file against the size the manifest recorded, and against its checksum when it
    was written since the last check or the last full hash is older than [refresh] full_verify_days."""
    with run.step("verify", "checking the lake files against the manifest"):
        result = repair_lake(run.settings, run.record.run_id, today=run.as_of, rebuild=False, quick=True)
        record_result(run.settings, result, run.as_of)
        if not result.manifest_ok:
            raise RefreshFailed("verify", result.issues[0].detail)
        for line in result.repaired:
            run.log.info("verify: %s", line)
        run.set_aside.extend(result.set_aside)
        run.record.lake = {"summary": result.summary(), "repaired": result.repaired, "set_aside": result.set_aside}
        closed = repair_closed_years(run.settings, run.record.run_id)
        if closed.issues:
            run.record.closed_years = {"repaired": closed.repaired, "set_aside": closed.set_aside}
            for line in closed.repaired:
                run.log.info("closed years: %s", line)
            for item in closed.set_aside:
                run.log.warning("closed years: FY%s set aside: %s", item["fiscal_year"], item["reason"])
            done = [f"restored {len(closed.repaired)} snapshot(s)" if closed.repaired else "",
                    f"set aside {len(closed.set_aside)} closed year(s)" if closed.set_aside else ""]
            run.progress("closed_years", f"{' and '.join(filter(None, done))} (the run's message says which)")
    kill_point("refresh.after_verify")
