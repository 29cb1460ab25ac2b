"""A partial run of a profile, for rounds that cannot afford the whole `make bench`: our full rebuild against the
DuckDB script (no pandas, which alone takes ~30 min at full size), the incremental month (the profile's rounds)
and ingest against polars bare (one repeat, no large file). Results go to one JSON file as each part finishes.

    python -m bench.partial --profile full --workdir /tmp/bench-work --out bench/results/full-<commit>.json
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from bench import compare
from bench import run as bench_run
from bench.measure import PROJECT_ROOT, machine_description, python_command, run_measured

PARTS = ("rebuild", "incremental", "ingest")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=sorted(bench_run.PROFILES), default="full")
    parser.add_argument("--workdir", type=Path, required=True, help="generated data and homes (kept, reused)")
    parser.add_argument("--out", type=Path, required=True, help="the results JSON")
    parser.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated, of {', '.join(PARTS)}")
    parser.add_argument("--incremental-repeats", type=int, default=None,
                        help="rounds of the incremental month (default: the profile's); more rounds, steadier medians")
    args = parser.parse_args(argv)
    profile, work, parts = bench_run.PROFILES[args.profile], args.workdir.resolve(), args.parts.split(",")
    if args.incremental_repeats is not None:
        profile = dataclasses.replace(profile, incremental_repeats=max(1, args.incremental_repeats))
    work.mkdir(parents=True, exist_ok=True)
    landing = work / "landing"
    commit = subprocess.run(["git", "-C", str(PROJECT_ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, check=False).stdout.strip()
    results: dict[str, object] = {"code": commit, "profile": profile.__dict__, "machine": machine_description(),
                                  "started_at": datetime.now(UTC).isoformat(timespec="seconds"), "parts": parts}

    def keep(name: str, value: object) -> None:
        results[name] = value
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")

    keep("data", bench_run.generate(landing, profile.years, profile.facilities, profile.log_lines_per_year))
    home = work / "home_rebuild_1"
    if "rebuild" in parts:
        home = bench_run.new_home(work, "home_rebuild_1", landing)
        ours = bench_run.refresh(home, "ours refresh")
        script = run_measured("duckdb script", python_command(
            "bench.reference_duckdb", "--landing", str(landing), "--out", str(work / "ref_duckdb")))
        diff = compare.compare_all(compare.ours(home / "warehouse.duckdb"),
                                   {"duckdb_script": compare.reference(work / "ref_duckdb")})
        keep("full_rebuild", {"ours_seconds": ours.seconds, "ours_peak_rss_mib": round(ours.peak_rss_bytes / 2**20, 1),
                              "ours_status": ours.extra.get("status"), "step_seconds": ours.extra.get("step_seconds"),
                              "duckdb_script_seconds": script.seconds, "ratio": round(ours.seconds / script.seconds, 2),
                              "same_numbers": compare.all_equal(diff)})
    if "incremental" in parts:
        keep("incremental", bench_run.incremental(work, home, landing, profile))
    if "ingest" in parts:
        ingest_home = bench_run.new_home(work, "home_ingest", landing)
        ours = run_measured("ours ingest", python_command("bench.ingest_bench", "ours", "--home", str(ingest_home)),
                            env=bench_run.bench_env({"WAREHOUSE_HOME": str(ingest_home)}))
        bare = run_measured("polars bare", python_command(
            "bench.ingest_bench", "polars", "--landing", str(landing), "--out", str(work / "polars_bare")))
        shutil.rmtree(ingest_home, ignore_errors=True)
        shutil.rmtree(work / "polars_bare", ignore_errors=True)
        keep("ingest", {"ours": [ours.seconds], "ours_peak_rss_mib": [round(ours.peak_rss_bytes / 2**20, 1)],
                        "polars_bare": [bare.seconds], "ratios": [round(ours.seconds / bare.seconds, 2)]})
    keep("finished_at", datetime.now(UTC).isoformat(timespec="seconds"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
