"""closed_fiscal_years: the years whose record file exists, nothing else."""
from __future__ import annotations

import json

from warehouse.platform.closed_years import (
    closed_fiscal_years,
    closed_year_record,
    record_path,
    snapshot_path,
)


def test_a_home_without_closed_years_has_none(tmp_path):
    assert closed_fiscal_years(tmp_path) == set()
    assert closed_year_record(tmp_path, 2020) is None


def test_only_record_files_count(tmp_path):
    record_path(tmp_path, 2020).parent.mkdir(parents=True)
    record_path(tmp_path, 2020).write_text(json.dumps({"fiscal_year": 2020, "closed_by": "ito"}), encoding="utf-8")
    snapshot_path(tmp_path, 2021).write_bytes(b"")  # a snapshot without its record: the close did not finish
    (record_path(tmp_path, 2022).parent / ".fy2022.json.tmp-1").write_text("{}", encoding="utf-8")
    assert closed_fiscal_years(tmp_path) == {2020}
    assert closed_year_record(tmp_path, 2020)["closed_by"] == "ito"
