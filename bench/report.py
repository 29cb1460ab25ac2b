"""Markdown table of a benchmark run, with each target beside the measured figure."""
from __future__ import annotations

from typing import Any

# key → (figure, must reach, aim, test of "must", test of "aim"): the targets of issue 12, each a ratio of one run
TARGETS = {
    "ingest": ("ingest ÷ polars bare read → write_parquet, same files", "≤ 3×", "≤ 1.5×",
               lambda v: v <= 3.0, lambda v: v <= 1.5),
    "rebuild": ("full rebuild ÷ hand-written DuckDB script", "≤ 5×", "≤ 2×", lambda v: v <= 5.0, lambda v: v <= 2.0),
    "pandas": ("pandas pipeline ÷ our full rebuild", "≥ 1", "≥ 5", lambda v: v >= 1.0, lambda v: v >= 5.0),
    "incremental": ("one month on the long history ÷ one month on 1 year (median of the rounds)", "≤ 1.2", "≤ 1.05",
                    lambda v: v <= 1.2, lambda v: v <= 1.05),
    "memory": ("peak memory of any step of ours (GiB)", "≤ 4 GiB", "≤ 2 GiB", lambda v: v <= 4.0, lambda v: v <= 2.0),
    "p95": ("slowest page query p95 (ms)", "≤ 200 ms", "≤ 50 ms", lambda v: v <= 200, lambda v: v <= 50),
    "render": ("slowest page render, AppTest, cold cache (s)", "< 1 s", "< 1 s", lambda v: v < 1.0, lambda v: v < 1.0),
}
REFRESH_STEPS = ("verify", "ingest", "plan", "load_raw", "dbt_build", "dbt_docs", "quality_gates", "publish",
                 "open_data", "digest")


def _ok(key: str, value: float) -> str:
    _, _, _, must, aim = TARGETS[key]
    return "aim met" if aim(value) else "met" if must(value) else "**missed**"


def _incremental_seconds(item: dict[str, Any]) -> dict[str, Any]:
    """Older results have one run per history ('seconds': float); newer ones medians and spread."""
    seconds = item["seconds"]
    return seconds if isinstance(seconds, dict) else {"median": seconds, "min": seconds, "max": seconds,
                                                      "all": [seconds]}


def _histories(inc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {key: value for key, value in inc.items() if isinstance(value, dict) and "seconds" in value}


def headline(results: dict[str, Any]) -> dict[str, float]:
    """The figures the issue sets targets for."""
    rebuild, ingest = results["full_rebuild"], results["ingest"]
    pages = results["dashboard"]["pages"]
    inc = results["incremental"]
    ours_peaks = [rebuild["ours"]["peak_rss_mib_max"], ingest["ours"]["peak_rss_mib_max"],
                  ingest["big_file"]["ours_peak_rss_mib"], *[v["peak_rss_mib"] for v in _histories(inc).values()]]
    return {
        "ingest": ingest["ours_over_polars"],
        "rebuild": rebuild["ours_over_duckdb_script"],
        "pandas": rebuild["pandas_over_ours"],
        "incremental": inc["ratio_long_over_one_year"],
        "memory": round(max(ours_peaks) / 1024, 2),
        "p95": max((p.get("page_p95_ms", 0.0) for p in pages.values()), default=0.0),
        "render": max((p["render_seconds_max"] for p in pages.values()), default=0.0),
    }


def step_table(columns: dict[str, dict[str, float]]) -> list[str]:
    """Markdown rows: one per refresh step, one column per run (seconds), then the total."""
    names = [n for n in REFRESH_STEPS if any(n in c for c in columns.values())]
    names += [n for c in columns.values() for n in c if n not in names]
    lines = ["| step | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for name in names:
        lines.append(f"| {name} | " + " | ".join(f"{c[name]:.1f}" if name in c else "" for c in columns.values())
                     + " |")
    lines.append("| **sum of steps** | " + " | ".join(f"{sum(c.values()):.1f}" for c in columns.values()) + " |")
    return lines


def markdown(results: dict[str, Any]) -> str:
    """The results as Markdown: machine, data, targets, then one table per benchmark."""
    profile, machine, data = results["profile"], results["machine"], results["data"]
    rebuild, ingest, inc, dash = (results["full_rebuild"], results["ingest"], results["incremental"],
                                  results["dashboard"])
    lines = [
        f"# Benchmark results: profile `{profile['name']}`",
        "",
        (f"Run {results['started_at']} (as-of date {results['as_of_date']}), total {results['total_seconds']} s. "
        f"Machine: {machine['cpu']}, {machine['logical_cores']} cores, {machine['memory_gib']} GiB, "
        f"{machine['os']}, Python {machine['python']}, DuckDB {machine['duckdb']}, polars {machine['polars']}, "
        f"pandas {machine['pandas']}; load average at start {machine['load_average_at_start']} (shared machine)."),
        "",
        (f"Data: {profile['years']} fiscal years ({data['start_month']}..{data['end_month']}), "
        f"{data['facilities']} facilities with 30-minute electricity every month; "
        f"{sum(data['files'].values()):,} landing files, {data['bytes'] / 2**20:,.0f} MiB, "
        f"{sum(data['rows'].values()):,} rows ({', '.join(f'{k} {v:,}' for k, v in data['rows'].items())}). "
        f"Medians of {profile['repeats']} side-by-side repeat(s)."),
        "",
        "| figure | measured | must reach | aim | |",
        "|---|---|---|---|---|",
    ]
    for key, value in headline(results).items():
        label, must, aim, _, _ = TARGETS[key]
        lines.append(f"| {label} | {value} | {must} | {aim} | {_ok(key, value)} |")
    lines += ["", (f"Same numbers in all three ({len(next(iter(rebuild['comparison'].values()), {}))} marts, "
                   "tolerance 1e-9 relative): "
                  f"**{'yes' if rebuild['same_numbers'] else 'NO'}**"), ""]
    for name, marts in rebuild["comparison"].items():
        for item in marts.values():
            for problem in item["problems"]:
                lines.append(f"- {name} vs ours: {problem}")
    lines += ["", "## Full rebuild from an empty lake", "",
              "| system | median s | all runs s | peak RSS MiB |", "|---|---|---|---|"]
    for name, label in (("ours", "`warehouse refresh`"), ("duckdb_script", "(a) hand-written DuckDB script"),
                        ("pandas", "(b) pandas pipeline")):
        item = rebuild[name]
        lines.append(f"| {label} | {item['seconds_median']} | {item['seconds_all']} | {item['peak_rss_mib_max']} |")
    steps = [s for s in rebuild["ours"].get("refresh_step_seconds") or [] if s]
    histories = _histories(inc)
    columns = {f"full rebuild, run {i}": run for i, run in enumerate(steps, start=1)}
    columns |= {f"month on {key.replace('_', ' ')} (median)": value.get("step_seconds_median")
                or value.get("step_seconds") or {} for key, value in histories.items()}
    if columns:
        lines += ["", "## Per-step profile of the refresh (seconds, from the run's own step timings)", "",
                  *step_table(columns)]
    big = ingest["big_file"]
    lines += ["", "## Ingest", "", "| system | median s | peak RSS MiB |", "|---|---|---|",
              f"| ours (`ingest_landing`) | {ingest['ours']['seconds_median']} | {ingest['ours']['peak_rss_mib_max']} |",
              (f"| polars bare read_csv → write_parquet | {ingest['polars_bare']['seconds_median']} | "
              f"{ingest['polars_bare']['peak_rss_mib_max']} |"), "",
              (f"One {big['file_mib']} MiB GIS file ({big['rows']:,} rows): ours {big['ours_seconds']} s, peak RSS "
              f"{big['ours_peak_rss_mib']} MiB ({big['ours_peak_rss_over_file_size']}× the file); polars bare "
              f"{big['polars_seconds']} s, {big['polars_peak_rss_mib']} MiB."),
              "", "## Incremental month", "",
              (f"Months 2026-04 onwards added one at a time, alternating 1-year and long history, "
               f"{inc.get('rounds', 1)} round(s); refresh seconds:"), "",
              "| history | median | min | max | all runs | peak RSS MiB |", "|---|---|---|---|---|---|"]
    for key, value in histories.items():
        sec = _incremental_seconds(value)
        lines.append(f"| {key.replace('_', ' ')} | {sec['median']} | {sec['min']} | {sec['max']} | {sec['all']} | "
                     f"{value['peak_rss_mib']} |")
    per_round = inc.get("ratio_per_round")
    lines += ["", (f"Ratio of the medians: **{inc['ratio_long_over_one_year']}** (must ≤ 1.2, aim ≤ 1.05)"
                   + (f"; per round {per_round['all']} (median {per_round['median']})." if per_round else ".")), "",
              "## Dashboard pages (long history)", "",
              ("| page | AppTest render s (median / max, cold cache) | queries | page p50 ms | page p95 ms | "
              "query p95 ms | exceptions |"), "|---|---|---|---|---|---|---|"]
    for page, item in dash["pages"].items():
        lines.append(f"| {page} | {item['render_seconds_median']} / {item['render_seconds_max']} | {item['queries']} | "
                     f"{item.get('page_p50_ms', '')} | {item.get('page_p95_ms', '')} | {item.get('query_p95_ms', '')} "
                     f"| {len(item['exceptions'])} |")
    return "\n".join(lines) + "\n"
