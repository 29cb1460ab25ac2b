"""Markdown table of a benchmark run, with each target beside the measured figure."""
from __future__ import annotations

from typing import Any

TARGETS = {
    "rebuild": ("full rebuild ÷ hand-written DuckDB script", "≤ 2.0×", lambda v: v <= 2.0),
    "pandas": ("pandas pipeline ÷ full rebuild", "≥ 5×", lambda v: v >= 5.0),
    "incremental": ("incremental month: long history ÷ 1 year", "≤ 1.2", lambda v: v <= 1.2),
    "ingest": ("ingest ÷ polars bare read_csv→write_parquet", "≤ 2.0×", lambda v: v <= 2.0),
    "p95": ("slowest page's query p95 (ms)", "≤ 200 ms", lambda v: v <= 200),
    "render": ("slowest page render, AppTest (s)", "< 1 s", lambda v: v < 1.0),
    "memory": ("peak memory of any step (GiB)", "≤ 4 GiB", lambda v: v <= 4.0),
}


def _ok(key: str, value: float) -> str:
    return "met" if TARGETS[key][2](value) else "**missed**"


def headline(results: dict[str, Any]) -> dict[str, float]:
    """The seven figures the issue sets targets for."""
    rebuild, ingest = results["full_rebuild"], results["ingest"]
    pages = results["dashboard"]["pages"]
    peaks = [rebuild[k]["peak_rss_mib_max"] for k in ("ours", "duckdb_script", "pandas")]
    peaks += [ingest["ours"]["peak_rss_mib_max"], ingest["big_file"]["ours_peak_rss_mib"]]
    inc = results["incremental"]
    peaks += [v["peak_rss_mib"] for v in inc.values() if isinstance(v, dict) and "peak_rss_mib" in v]
    ours_peaks = [rebuild["ours"]["peak_rss_mib_max"], ingest["ours"]["peak_rss_mib_max"],
                  ingest["big_file"]["ours_peak_rss_mib"],
                  *[v["peak_rss_mib"] for v in inc.values() if isinstance(v, dict) and "peak_rss_mib" in v]]
    del peaks
    return {
        "rebuild": rebuild["ours_over_duckdb_script"],
        "pandas": rebuild["pandas_over_ours"],
        "incremental": inc["ratio_long_over_one_year"],
        "ingest": ingest["ours_over_polars"],
        "p95": max((p.get("page_p95_ms", 0.0) for p in pages.values()), default=0.0),
        "render": max((p["render_seconds_max"] for p in pages.values()), default=0.0),
        "memory": round(max(ours_peaks) / 1024, 2),
    }


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
        "| target | measured | goal | |",
        "|---|---|---|---|",
    ]
    for key, value in headline(results).items():
        label, goal, _ = TARGETS[key]
        lines.append(f"| {label} | {value} | {goal} | {_ok(key, value)} |")
    lines += ["", (f"Same numbers in all three (four marts, tolerance 1e-9 relative): "
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
    if steps:
        lines += ["", "Where our refresh spends its time (last run): "
                  + ", ".join(f"{k} {v:.1f} s" for k, v in steps[-1].items())]
    big = ingest["big_file"]
    lines += ["", "## Ingest", "", "| system | median s | peak RSS MiB |", "|---|---|---|",
              f"| ours (`ingest_landing`) | {ingest['ours']['seconds_median']} | {ingest['ours']['peak_rss_mib_max']} |",
              (f"| polars bare read_csv → write_parquet | {ingest['polars_bare']['seconds_median']} | "
              f"{ingest['polars_bare']['peak_rss_mib_max']} |"), "",
              (f"One {big['file_mib']} MiB GIS file ({big['rows']:,} rows): ours {big['ours_seconds']} s, peak RSS "
              f"{big['ours_peak_rss_mib']} MiB ({big['ours_peak_rss_over_file_size']}× the file); polars bare "
              f"{big['polars_seconds']} s, {big['polars_peak_rss_mib']} MiB."),
              "", "## Incremental month", "", "| history | refresh s | peak RSS MiB | steps |", "|---|---|---|---|"]
    for key, value in inc.items():
        if isinstance(value, dict):
            step_text = ", ".join(f"{k} {v:.1f}" for k, v in (value.get("step_seconds") or {}).items())
            lines.append(f"| {key.replace('_', ' ')} | {value['seconds']} | {value['peak_rss_mib']} | {step_text} |")
    lines += ["", f"Ratio: **{inc['ratio_long_over_one_year']}** (goal ≤ 1.2).", "",
              "## Dashboard pages (long history)", "",
              ("| page | AppTest render s (median / max, cold cache) | queries | page p50 ms | page p95 ms | "
              "query p95 ms | exceptions |"), "|---|---|---|---|---|---|---|"]
    for page, item in dash["pages"].items():
        lines.append(f"| {page} | {item['render_seconds_median']} / {item['render_seconds_max']} | {item['queries']} | "
                     f"{item.get('page_p50_ms', '')} | {item.get('page_p95_ms', '')} | {item.get('query_p95_ms', '')} "
                     f"| {len(item['exceptions'])} |")
    return "\n".join(lines) + "\n"
