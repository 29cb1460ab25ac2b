"""`python -m bench.run --profile small|full`: every benchmark of issue 7, results in bench/results/."""
from __future__ import annotations

import argparse
import filecmp
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import compare, report
from bench.measure import (
    Measurement,
    bench_env,
    machine_description,
    median,
    python_command,
    run_measured,
)

RESULTS_DIR = Path(__file__).resolve().parent / "results"
REAL_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"


@dataclass(frozen=True)
class Profile:
    """How big and how often: tuning knobs; `small` must stay under 3 minutes on 2 cores."""

    name: str
    years: int               # long history (fiscal years)
    facilities: int          # facilities, each with 30-minute electricity every month
    repeats: int             # side-by-side repeats of the full rebuild and ingest comparisons
    big_file_mb: int         # size of the single-file ingest memory test
    render_repeats: int      # AppTest renders per page
    query_repeats: int       # replays of each page's queries


PROFILES = {
    "small": Profile("small", years=2, facilities=4, repeats=1, big_file_mb=20, render_repeats=1, query_repeats=10),
    "full": Profile("full", years=10, facilities=300, repeats=2, big_file_mb=1000, render_repeats=3,
                    query_repeats=30),
}


def log(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def generate(landing: Path, years: int, facilities: int, extra_months: int = 0) -> dict:
    step = run_measured(f"generate {years}y", python_command(
        "bench.generate", "--landing", str(landing), "--years", str(years), "--facilities", str(facilities),
        "--extra-months", str(extra_months), *(["--real-data", str(REAL_DATA)] if REAL_DATA.is_dir() else [])))
    return json.loads(step.stdout_tail.strip().splitlines()[-1]) | {"wall_seconds": step.seconds}


def new_home(parent: Path, name: str, landing: Path) -> Path:
    """An empty warehouse home whose landing/ is the shared generated landing folder."""
    home = parent / name
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    (home / "landing").symlink_to(landing)
    return home


def refresh(home: Path, name: str) -> Measurement:
    """`warehouse --home H refresh`, as cron runs it; the run's own step timings are kept as the profile."""
    step = run_measured(name, python_command("warehouse.cli", "--home", str(home), "--json", "refresh"),
                        env=bench_env({"WAREHOUSE_HOME": str(home)}), check=False)
    try:
        record = json.loads(step.stdout_tail[step.stdout_tail.index("{"):]) if "{" in step.stdout_tail else {}
    except ValueError:
        record = {}
    step.extra = {"status": record.get("status"), "step_seconds": record.get("step_seconds"),
                  "exit_code": step.exit_code}
    if step.exit_code != 0:
        step.extra["message"] = record.get("message") or step.stderr_tail[-600:]
        log(f"{name} did not succeed (exit {step.exit_code}): {str(step.extra['message'])[:400]}")
    return step


def add_new_month(landing: Path, scratch: Path, years: int, facilities: int) -> int:
    """Generate the span plus one month elsewhere; copy only new or changed files (as a department would)."""
    generate(scratch, years, facilities, extra_months=1)
    copied = 0
    for path in scratch.rglob("*"):
        if path.is_file():
            target = landing / path.relative_to(scratch)
            if not target.exists() or not filecmp.cmp(path, target, shallow=False):
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
                copied += 1
    return copied


def summarise(measurements: list[Measurement]) -> dict[str, float]:
    return {"seconds_median": round(median([m.seconds for m in measurements]), 3),
            "seconds_all": [m.seconds for m in measurements],
            "peak_rss_mib_max": round(max(m.peak_rss_bytes for m in measurements) / 2**20, 1)}


def full_rebuild(work: Path, landing: Path, repeats: int) -> tuple[dict, Path]:
    """Ours vs (a) the DuckDB script vs (b) pandas, interleaved in each repeat; returns results and our home."""
    runs: dict[str, list[Measurement]] = {"ours": [], "duckdb_script": [], "pandas": []}
    home = work
    for repeat in range(repeats):
        log(f"full rebuild, repeat {repeat + 1}/{repeats}: ours")
        home = new_home(work, f"home_rebuild_{repeat}", landing)
        runs["ours"].append(refresh(home, "ours refresh"))
        log("full rebuild: hand-written DuckDB script")
        runs["duckdb_script"].append(run_measured("duckdb script", python_command(
            "bench.reference_duckdb", "--landing", str(landing), "--out", str(work / "ref_duckdb"))))
        log("full rebuild: pandas pipeline")
        runs["pandas"].append(run_measured("pandas", python_command(
            "bench.reference_pandas", "--landing", str(landing), "--out", str(work / "ref_pandas"))))
    result = {name: summarise(items) for name, items in runs.items()}
    result["ours"]["refresh_step_seconds"] = [m.extra.get("step_seconds") for m in runs["ours"]]
    result["ours"]["status"] = [m.extra.get("status") for m in runs["ours"]]
    ours_s = result["ours"]["seconds_median"]
    result["ours_over_duckdb_script"] = round(ours_s / result["duckdb_script"]["seconds_median"], 2)
    result["pandas_over_ours"] = round(result["pandas"]["seconds_median"] / ours_s, 2)
    result["ours"]["messages"] = [m.extra.get("message") for m in runs["ours"] if m.extra.get("message")]
    duckdb_marts, pandas_marts = compare.reference(work / "ref_duckdb"), compare.reference(work / "ref_pandas")
    result["baselines_agree"] = compare.all_equal(compare.compare_all(duckdb_marts, {"pandas": pandas_marts}))
    published = home / "warehouse.duckdb"
    if published.exists():
        mart_diff = compare.compare_all(compare.ours(published), {"duckdb_script": duckdb_marts,
                                                                  "pandas": pandas_marts})
        result["same_numbers"] = compare.all_equal(mart_diff)
        result["comparison"] = mart_diff
    else:
        result["same_numbers"] = False
        result["comparison"] = {"ours": {"all": {"problems": ["our refresh published no warehouse to compare"]}}}
    return result, home


def ingest(work: Path, landing: Path, repeats: int, big_file_mb: int) -> dict:
    """Our ingest vs polars bare on the same files; then one large file for peak memory."""
    ours_runs, polars_runs = [], []
    for repeat in range(repeats):
        log(f"ingest, repeat {repeat + 1}/{repeats}")
        home = new_home(work, "home_ingest", landing)
        ours_runs.append(run_measured("ours ingest", python_command("bench.ingest_bench", "ours", "--home", str(home)),
                                      env=bench_env({"WAREHOUSE_HOME": str(home)})))
        polars_runs.append(run_measured("polars bare", python_command(
            "bench.ingest_bench", "polars", "--landing", str(landing), "--out", str(work / "polars_bare"))))
    result = {"ours": summarise(ours_runs), "polars_bare": summarise(polars_runs)}
    result["ours_over_polars"] = round(result["ours"]["seconds_median"] / result["polars_bare"]["seconds_median"], 2)
    log(f"ingest of one {big_file_mb} MB file")
    from bench.ingest_bench import write_big_gis

    big = work / "big" / "gis_events_big.csv"
    size = write_big_gis(big, landing / "gis", big_file_mb)
    home = new_home(work, "home_bigfile", landing)
    ours_big = run_measured("ours big file", python_command(
        "bench.ingest_bench", "ours-file", "--home", str(home), "--file", str(big), "--kind", "gis"),
        env=bench_env({"WAREHOUSE_HOME": str(home)}))
    polars_big = run_measured("polars big file", python_command(
        "bench.ingest_bench", "polars-file", "--file", str(big), "--out", str(work / "big.parquet")))
    result["big_file"] = {
        "file_mib": round(size / 2**20, 1),
        "rows": json.loads(ours_big.stdout_tail.strip().splitlines()[-1])["rows"],
        "ours_seconds": ours_big.seconds, "ours_peak_rss_mib": round(ours_big.peak_rss_bytes / 2**20, 1),
        "polars_seconds": polars_big.seconds, "polars_peak_rss_mib": round(polars_big.peak_rss_bytes / 2**20, 1),
        "ours_peak_rss_over_file_size": round(ours_big.peak_rss_bytes / size, 2),
    }
    shutil.rmtree(big.parent, ignore_errors=True)
    return result


def incremental(work: Path, long_home: Path, long_landing: Path, years: int, facilities: int) -> dict:
    """Add one month to a 1-year and to the long history; the ratio of the two refresh times."""
    short_landing = work / "landing_1y"
    log("incremental: building the 1-year history")
    generate(short_landing, 1, facilities)
    short_home = new_home(work, "home_1y", short_landing)
    initial = refresh(short_home, "1-year initial refresh")
    result: dict[str, object] = {"one_year_initial_seconds": initial.seconds}
    for label, home, landing, span in (("one_year", short_home, short_landing, 1),
                                       (f"{years}_years", long_home, long_landing, years)):
        log(f"incremental: one new month on the {label} history")
        copied = add_new_month(landing, work / f"next_{label}", span, facilities)
        step = refresh(home, f"incremental {label}")
        result[label] = {"seconds": step.seconds, "peak_rss_mib": round(step.peak_rss_bytes / 2**20, 1),
                         "files_added_or_changed": copied, "step_seconds": step.extra.get("step_seconds"),
                         "status": step.extra.get("status")}
    result["ratio_long_over_one_year"] = round(
        result[f"{years}_years"]["seconds"] / result["one_year"]["seconds"], 2)  # type: ignore[index]
    return result


def dashboard(home: Path, render_repeats: int, query_repeats: int) -> dict:
    step = run_measured("dashboard", python_command(
        "bench.dashboard", "--home", str(home), "--render-repeats", str(render_repeats),
        "--query-repeats", str(query_repeats)), env=bench_env({"WAREHOUSE_HOME": str(home)}))
    payload = json.loads(step.stdout_tail.strip().splitlines()[-1])
    payload["peak_rss_mib"] = round(step.peak_rss_bytes / 2**20, 1)
    return payload


def run(profile: Profile, work: Path, out_dir: Path, only: set[str] | None = None) -> dict:
    """Run every benchmark of the profile; write <profile>.json and <profile>.md into out_dir."""
    started = time.perf_counter()
    results: dict[str, object] = {"profile": profile.__dict__, "machine": machine_description(),
                                  "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
                                  "as_of_date": bench_env()["WAREHOUSE_AS_OF_DATE"], "workdir": str(work)}
    landing = work / "landing"
    log(f"generating {profile.years} fiscal years × {profile.facilities} facilities into {landing}")
    results["data"] = generate(landing, profile.years, profile.facilities)
    rebuild, long_home = full_rebuild(work, landing, profile.repeats)
    results["full_rebuild"] = rebuild
    results["ingest"] = ingest(work, landing, profile.repeats, profile.big_file_mb)
    results["incremental"] = incremental(work, long_home, landing, profile.years, profile.facilities)
    log("dashboard pages")
    if (long_home / "warehouse.duckdb").exists():
        results["dashboard"] = dashboard(long_home, profile.render_repeats, profile.query_repeats)
    else:
        results["dashboard"] = {"pages": {}, "skipped": "no published warehouse (our refresh failed)"}
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"{profile.name}.json").write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n",
                                                  encoding="utf-8")
    (out_dir / f"{profile.name}.md").write_text(report.markdown(results), encoding="utf-8")
    log(f"done in {results['total_seconds']} s: {out_dir / (profile.name + '.md')}")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="small")
    parser.add_argument("--years", type=int, help="override the profile's fiscal years")
    parser.add_argument("--facilities", type=int, help="override the profile's facilities")
    parser.add_argument("--repeats", type=int, help="override the profile's repeats")
    parser.add_argument("--big-file-mb", type=int, help="override the large-file size")
    parser.add_argument("--workdir", type=Path, default=os.environ.get("BENCH_WORKDIR") or None,
                        help="scratch folder for generated data (default: a temp dir, removed afterwards)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="where results JSON + Markdown go")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args(argv)
    base = PROFILES[args.profile]
    profile = Profile(base.name, args.years or base.years, args.facilities or base.facilities,
                      args.repeats or base.repeats, args.big_file_mb or base.big_file_mb, base.render_repeats,
                      base.query_repeats)
    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix=f"bench_{profile.name}_"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        run(profile, work.resolve(), args.out)
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
