"""`make bench-small` end to end, so the harness cannot rot: it must complete, write its results, and all
three systems must compute the same marts (its duration is printed, not asserted)."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
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
    generate.generate(landing, years=1, facilities=3, log_lines_per_year=6_000)
    reference_duckdb.run(landing, tmp_path / "duckdb")
    reference_pandas.run(landing, tmp_path / "pandas")
    report = compare.compare_all(compare.reference(tmp_path / "duckdb"),
                                 {"pandas": compare.reference(tmp_path / "pandas")})
    assert compare.all_equal(report), report
    marts = compare.reference(tmp_path / "duckdb")
    web = marts["web_access_monthly"]
    assert web.height == 12 and web["page_view_count"].min() > 0
    requests = marts["web_requests_daily"]
    assert requests["request_date"].n_unique() == 365
    assert requests.filter(pl.col("is_bot") == "true")["request_count"].sum() > 0
    assert requests.filter(pl.col("is_page") == "true")["request_count"].sum() > 0
    assert 5_000 < requests["request_count"].sum() < 8_000


def test_generated_logs_parse_and_do_not_depend_on_the_span(tmp_path: Path) -> None:
    """Every generated line is a Combined Log Format line for ingest, and a month's file is the same bytes
    whether it was written with one month or a whole year (the incremental benchmark copies only changed files)."""
    from demo_data.common import Month
    from demo_data.web_access_log import write_month
    from ingest.web_access.parser import COMBINED

    one, _ = write_month(tmp_path / "alone", Month(2025, 6), 24_000, 7)
    for month in (Month(2025, 5), Month(2025, 6)):
        write_month(tmp_path / "span", month, 24_000, 7)
    assert one.read_bytes() == (tmp_path / "span" / one.name).read_bytes()
    lines = one.read_text(encoding="utf-8").splitlines()
    assert 1_000 < len(lines) < 3_000
    assert all(COMBINED.match(line) for line in lines)
    assert {line.split("[", 1)[1][:11] for line in lines} == {f"{d:02d}/Jun/2025" for d in range(1, 31)}


def test_generate_reuses_a_landing_folder_with_the_same_arguments(tmp_path: Path) -> None:
    from bench import generate

    landing = tmp_path / "landing"
    first = generate.generate(landing, years=1, facilities=2, log_lines_per_year=1_200)
    assert first["reused"] is False
    marker = landing / "web_access" / "access_log_2025-04.log"
    mtime = marker.stat().st_mtime_ns
    assert generate.generate(landing, years=1, facilities=2, log_lines_per_year=1_200)["reused"] is True
    assert marker.stat().st_mtime_ns == mtime
    (landing / "web_access" / "stray.log").write_text("x", encoding="utf-8")  # the folder no longer matches
    assert generate.generate(landing, years=1, facilities=2, log_lines_per_year=1_200)["reused"] is False
    assert not (landing / "web_access" / "stray.log").exists()
    assert generate.generate(landing, years=1, facilities=3, log_lines_per_year=1_200)["reused"] is False


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
