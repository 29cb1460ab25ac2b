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
    log_lines_per_year: int  # raw web server log requests a year (full: ≈ 25 M over 10 years)
    repeats: int             # side-by-side repeats of the full rebuild and ingest comparisons
    incremental_repeats: int  # months added to each history, alternating 1 year / long (≥ 3 for a median)
    big_file_mb: int         # size of the single-file ingest memory test
    render_repeats: int      # AppTest renders per page
    query_repeats: int       # replays of each page's queries


PROFILES = {
    "small": Profile("small", years=2, facilities=4, log_lines_per_year=5_000, repeats=1, incremental_repeats=1,
                     big_file_mb=20, render_repeats=1, query_repeats=10),
    "full": Profile("full", years=10, facilities=300, log_lines_per_year=2_500_000, repeats=2, incremental_repeats=3,
                    big_file_mb=1000, render_repeats=3, query_repeats=30),
}
NEW_MONTHS_FROM = "2026-04"  # the incremental benchmark's months come after the history (which ends 2026-03)


def log(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def generate(landing: Path, years: int, facilities: int, log_lines_per_year: int, extra_months: int = 0,
             from_month: str | None = None) -> dict:
    """bench.generate in its own process (timed, peak memory); reuses landing when it already holds the same data."""
    step = run_measured(f"generate {years}y", python_command(
        "bench.generate", "--landing", str(landing), "--years", str(years), "--facilities", str(facilities),
        "--extra-months", str(extra_months), "--log-lines-per-year", str(log_lines_per_year),
        *(["--from-month", from_month] if from_month else []),
        *(["--real-data", str(REAL_DATA)] if REAL_DATA.is_dir() else [])))
    return json.loads(step.stdout_tail.strip().splitlines()[-1]) | {
        "wall_seconds": step.seconds, "peak_rss_mib": round(step.peak_rss_bytes / 2**20, 1)}


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


def add_new_months(landing: Path, new_months: Path, backup: Path, written_before: list[Path] = ()) -> list[Path]:
    """Copy the files of new_months that landing lacks or has different (as a department would send them);
    a replaced file the generator wrote is first kept in backup (one an earlier round wrote, written_before, is
    not: restore_landing removes it). Returns the landing paths written, for restore_landing."""
    written = []
    ours = set(written_before)
    for path in sorted(new_months.rglob("*")):
        if path.is_file():
            target = landing / path.relative_to(new_months)
            if target.exists() and filecmp.cmp(path, target, shallow=False):
                continue
            if target.exists() and target not in ours and not (backup / path.relative_to(new_months)).exists():
                (backup / path.relative_to(new_months)).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(target, backup / path.relative_to(new_months))
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
            written.append(target)
    return written


def restore_landing(landing: Path, written: list[Path], backup: Path) -> None:
    """Undo add_new_months, so a reused workdir's landing is again what the generator wrote."""
    for target in dict.fromkeys(written):  # a file two rounds wrote is listed twice
        original = backup / target.relative_to(landing)
        if original.exists():
            shutil.copy2(original, target)
        else:
            target.unlink(missing_ok=True)
    shutil.rmtree(backup, ignore_errors=True)


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
        if repeat:  # disk: each home archives a copy of every original; only the last one is kept
            shutil.rmtree(home, ignore_errors=True)
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
    result["ours"]["step_seconds_median"] = step_medians(result["ours"]["refresh_step_seconds"])
    result["duckdb_script"]["inner"] = [_last_json(m) for m in runs["duckdb_script"]]
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


def _last_json(step: Measurement) -> dict:
    lines = step.stdout_tail.strip().splitlines()
    return json.loads(lines[-1]) if lines else {}


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
    shutil.rmtree(work / "home_ingest", ignore_errors=True)
    shutil.rmtree(work / "polars_bare", ignore_errors=True)
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
    shutil.rmtree(home, ignore_errors=True)
    (work / "big.parquet").unlink(missing_ok=True)
    return result


def spread(values: list[float]) -> dict[str, object]:
    return {"median": round(median(values), 3), "min": round(min(values), 3), "max": round(max(values), 3),
            "all": [round(v, 3) for v in values]}


def step_medians(step_runs: list[dict | None]) -> dict[str, float]:
    """Median seconds of each refresh step over the runs that recorded it."""
    names = list(dict.fromkeys(name for steps in step_runs if steps for name in steps))
    return {name: round(median([steps[name] for steps in step_runs if steps and name in steps]), 3) for name in names}


def incremental(work: Path, long_home: Path, long_landing: Path, profile: Profile) -> dict:
    """One month added at a time to a 1-year and to the long history, alternating (1 year, long, 1 year, …), each
    history `incremental_repeats` times: the k-th round adds month 2026-04 + k to both, as the monthly refresh
    would. Medians, spread, and the ratio of the medians; the long landing is restored afterwards."""
    short_landing = work / "landing_1y"
    log("incremental: the 1-year history")
    generate(short_landing, 1, profile.facilities, profile.log_lines_per_year)
    short_home = new_home(work, "home_1y", short_landing)
    initial = refresh(short_home, "1-year initial refresh")
    histories = {"one_year": (short_home, short_landing), f"{profile.years}_years": (long_home, long_landing)}
    runs: dict[str, list[dict]] = {label: [] for label in histories}
    written: dict[str, list[Path]] = {label: [] for label in histories}
    try:
        for round_number in range(1, profile.incremental_repeats + 1):
            new_months = work / f"new_months_{round_number}"
            generate(new_months, 1, profile.facilities, profile.log_lines_per_year, extra_months=round_number,
                     from_month=NEW_MONTHS_FROM)
            for label, (home, landing) in histories.items():
                log(f"incremental round {round_number}/{profile.incremental_repeats}: one new month on {label}")
                added = add_new_months(landing, new_months, work / f"landing_backup_{label}", written[label])
                written[label] += added
                step = refresh(home, f"incremental {label} {round_number}")
                runs[label].append({"seconds": step.seconds, "peak_rss_mib": round(step.peak_rss_bytes / 2**20, 1),
                                    "files_added_or_changed": len(added), "step_seconds": step.extra.get("step_seconds"),
                                    "status": step.extra.get("status")})
    finally:
        for label, (_, landing) in histories.items():
            restore_landing(landing, written[label], work / f"landing_backup_{label}")
    result: dict[str, object] = {"one_year_initial_seconds": initial.seconds, "rounds": profile.incremental_repeats}
    for label, items in runs.items():
        result[label] = {"seconds": spread([item["seconds"] for item in items]),
                         "peak_rss_mib": max(item["peak_rss_mib"] for item in items),
                         "status": [item["status"] for item in items],
                         "step_seconds_median": step_medians([item["step_seconds"] for item in items]),
                         "runs": items}
    long_label = f"{profile.years}_years"
    paired = [long["seconds"] / short["seconds"] for long, short in zip(runs[long_label], runs["one_year"], strict=True)]
    result["ratio_long_over_one_year"] = round(
        result[long_label]["seconds"]["median"] / result["one_year"]["seconds"]["median"], 3)  # type: ignore[index]
    result["ratio_per_round"] = spread(paired)
    return result


def dashboard(home: Path, render_repeats: int, query_repeats: int) -> dict:
    step = run_measured("dashboard", python_command(
        "bench.dashboard", "--home", str(home), "--render-repeats", str(render_repeats),
        "--query-repeats", str(query_repeats)), env=bench_env({"WAREHOUSE_HOME": str(home)}))
    payload = json.loads(step.stdout_tail.strip().splitlines()[-1])
    payload["peak_rss_mib"] = round(step.peak_rss_bytes / 2**20, 1)
    return payload


def run(profile: Profile, work: Path, out_dir: Path) -> dict:
    """Run every benchmark of the profile; write <profile>.json and <profile>.md into out_dir."""
    started = time.perf_counter()
    results: dict[str, object] = {"profile": profile.__dict__, "machine": machine_description(),
                                  "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
                                  "as_of_date": bench_env()["WAREHOUSE_AS_OF_DATE"], "workdir": str(work)}
    landing = work / "landing"
    log(f"generating {profile.years} fiscal years × {profile.facilities} facilities into {landing}")
    results["data"] = generate(landing, profile.years, profile.facilities, profile.log_lines_per_year)
    out_dir.mkdir(parents=True, exist_ok=True)
    partial = out_dir / f"{profile.name}.partial.json"

    def keep(name: str, value: object) -> None:
        """Record a finished benchmark at once: a long run stopped part-way still leaves what it measured."""
        results[name] = value
        partial.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")

    rebuild, long_home = full_rebuild(work, landing, profile.repeats)
    keep("full_rebuild", rebuild)
    log("dashboard pages (on the long history as the full rebuild published it)")
    if (long_home / "warehouse.duckdb").exists():
        keep("dashboard", dashboard(long_home, profile.render_repeats, profile.query_repeats))
    else:
        keep("dashboard", {"pages": {}, "skipped": "no published warehouse (our refresh failed)"})
    keep("incremental", incremental(work, long_home, landing, profile))
    keep("ingest", ingest(work, landing, profile.repeats, profile.big_file_mb))
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    (out_dir / f"{profile.name}.json").write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n",
                                                  encoding="utf-8")
    (out_dir / f"{profile.name}.md").write_text(report.markdown(results), encoding="utf-8")
    partial.unlink(missing_ok=True)
    log(f"done in {results['total_seconds']} s: {out_dir / (profile.name + '.md')}")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="small")
    parser.add_argument("--years", type=int, help="override the profile's fiscal years")
    parser.add_argument("--facilities", type=int, help="override the profile's facilities")
    parser.add_argument("--log-lines-per-year", type=int, help="override the profile's web log requests a year")
    parser.add_argument("--repeats", type=int, help="override the profile's repeats")
    parser.add_argument("--incremental-repeats", type=int, help="override the profile's incremental rounds")
    parser.add_argument("--big-file-mb", type=int, help="override the large-file size")
    parser.add_argument("--workdir", type=Path, default=os.environ.get("BENCH_WORKDIR") or None,
                        help="scratch folder for generated data (default: a temp dir, removed afterwards)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="where results JSON + Markdown go")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args(argv)
    base = PROFILES[args.profile]
    profile = Profile(base.name, args.years or base.years, args.facilities or base.facilities,
                      base.log_lines_per_year if args.log_lines_per_year is None else args.log_lines_per_year,
                      args.repeats or base.repeats, args.incremental_repeats or base.incremental_repeats,
                      args.big_file_mb or base.big_file_mb, base.render_repeats, base.query_repeats)
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
