"""`make bench-small` end to end, so the harness cannot rot: it must complete, write its results, and all
three systems must compute the same marts (its duration is printed, not asserted)."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench import compare
from bench.generate import history_span

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_history_span_ends_with_fiscal_2025_and_adds_months() -> None:
    assert history_span(1) == ("2025-04", "2026-03")
    assert history_span(10) == ("2016-04", "2026-03")
    assert history_span(2, extra_months=1) == ("2024-04", "2026-04")
    with pytest.raises(ValueError, match="at least 1"):
        history_span(0)


def test_duckdb_script_and_pandas_agree_on_generated_landing(tmp_path: Path) -> None:
    """The two baselines read the same landing files (CP932, 和暦, .xlsx) and must give the same marts."""
    from bench import generate, reference_duckdb, reference_pandas

    landing = tmp_path / "landing"
    generate.generate(landing, years=1, facilities=3)
    reference_duckdb.run(landing, tmp_path / "duckdb")
    reference_pandas.run(landing, tmp_path / "pandas")
    report = compare.compare_all(compare.reference(tmp_path / "duckdb"),
                                 {"pandas": compare.reference(tmp_path / "pandas")})
    assert compare.all_equal(report), report
    web = compare.reference(tmp_path / "duckdb")["web_access_monthly"]
    assert web.height == 12 and web["page_view_count"].min() > 0


def test_compare_reports_a_changed_value(tmp_path: Path) -> None:
    import datetime as dt

    import polars as pl

    frame = pl.DataFrame({"fiscal_month_start_date": [dt.date(2025, 4, 1)], "page_view_count": [10],
                          "pc_page_view_count": [5], "smartphone_page_view_count": [4], "tablet_page_view_count": [1],
                          "fiscal_ytd_page_view_count": [10], "previous_year_page_view_count": [None]})
    left = compare._normalise(frame, "web_access_monthly")
    right = compare._normalise(frame.with_columns(pl.lit(11).alias("page_view_count")), "web_access_monthly")
    problems = compare.differences(left, right, "web_access_monthly")
    assert len(problems) == 1 and "page_view_count" in problems[0]


@pytest.mark.slow
def test_bench_small_runs_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "results"
    started = time.perf_counter()
    completed = subprocess.run([sys.executable, "-m", "bench.run", "--profile", "small", "--out", str(out),
                                "--workdir", str(tmp_path / "work")], cwd=PROJECT_ROOT, capture_output=True,
                               text=True, timeout=600, check=False)
    elapsed = time.perf_counter() - started
    assert completed.returncode == 0, completed.stderr[-3000:]
    results = json.loads((out / "small.json").read_text(encoding="utf-8"))
    assert (out / "small.md").read_text(encoding="utf-8").startswith("# Benchmark results")
    rebuild = results["full_rebuild"]
    assert rebuild["baselines_agree"], rebuild["comparison"]
    assert rebuild["ours"]["status"] == ["success"], rebuild["ours"].get("messages")
    assert rebuild["same_numbers"], rebuild["comparison"]
    assert results["ingest"]["big_file"]["rows"] > 0
    assert results["dashboard"]["pages"], "no app page was measured"
    # Speed is measured by the benchmark itself, not asserted here (a loaded CI machine is not a benchmark);
    # the duration is printed so a run that creeps past the 3-minute budget is visible in the test log.
    print(f"bench-small took {elapsed:.0f} s (budget: 180 s)")
