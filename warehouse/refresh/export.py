"""Step 9, export: the open-data export of the new file into its release folder (before the switch)."""
from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from warehouse.platform import database

if TYPE_CHECKING:
    from warehouse.refresh.run import Refresh


def export_open_data_step(run: Refresh, db_path: Path, target: Path) -> None:
    """Export the public datasets of db_path into target.

    An export bug does not stop the publish (the warehouse is sound): the release then carries the served
    version's open/ and the message says so. A full disk does stop it (the publish fails cleanly).
    """
    started = time.perf_counter()
    run.progress("open_data", "writing open-data exports")
    try:
        from warehouse.products.open_data import export_open_data

        export_open_data(run.settings, db_path=db_path, target_dir=target)
    except Exception as exc:
        if database.disk_full(exc):
            raise
        run.log.exception("open-data export failed")
        source = database.carry_over_open(run.settings, target)
        run.record.message = (f"open-data export failed ({type(exc).__name__}: {exc}); open/ "
                              + (f"keeps the export of {source}; " if source else "is empty; "))
    finally:
        run.record.step_seconds["open_data"] = round(time.perf_counter() - started, 3)
