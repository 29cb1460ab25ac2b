"""Dashboard benchmark on a published warehouse: each app page rendered server-side with Streamlit's AppTest
(cold query cache), the SQL each page ran captured, then replayed on a read-only connection for p50/p95."""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
APP = PROJECT_ROOT / "app" / "streamlit_app.py"
PAGES = ("overview", "indicator", "certificates", "homepage", "gis", "energy", "previous_plan", "catalog",
         "yearly_report", "sql_console", "open_data")


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, min(len(ordered), -(-int(pct * len(ordered)) // 100))) - 1]


def render_pages(repeats: int) -> tuple[dict[str, dict[str, object]], dict[str, list[tuple[str, tuple]]]]:
    """Render every page `repeats` times with a cold data cache; return timings and the SQL each page ran."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from app import connection

    original = connection._cached_query
    captured: list[tuple[str, tuple]] = []

    def recording(path, file_key, sql, params, sql_settings):  # same signature as the cached function
        captured.append((sql, tuple(params)))
        return original(path, file_key, sql, params, sql_settings)

    connection._cached_query = recording
    timings: dict[str, dict[str, object]] = {}
    queries: dict[str, list[tuple[str, tuple]]] = {}
    try:
        for page in PAGES:
            if not (APP.parent / "app_pages" / f"{page}.py").exists():
                continue
            seconds, errors = [], []
            for _ in range(repeats):
                app = AppTest.from_file(str(APP), default_timeout=120)
                app.run()
                app.switch_page(f"app_pages/{page}.py")
                st.cache_data.clear()
                captured.clear()
                started = time.perf_counter()
                app.run()
                seconds.append(time.perf_counter() - started)
                errors = [str(e.message)[:300] for e in app.exception]
            queries[page] = list(dict.fromkeys(captured))
            timings[page] = {"render_seconds_median": round(statistics.median(seconds), 3),
                             "render_seconds_max": round(max(seconds), 3), "queries": len(queries[page]),
                             "exceptions": errors}
    finally:
        connection._cached_query = original
        st.cache_data.clear()
        st.cache_resource.clear()  # closes the app's sandbox: one process cannot mix connection configs
    return timings, queries


def replay(published: Path, queries: dict[str, list[tuple[str, tuple]]], repeats: int) -> dict[str, dict]:
    """Run each page's queries `repeats` times (the page's total per run), on a read-only connection."""
    import duckdb

    con = duckdb.connect(str(published), read_only=True)
    result: dict[str, dict] = {}
    try:
        for page, items in queries.items():
            page_totals, per_query = [], []
            by_query: dict[str, list[float]] = {}
            for _ in range(repeats):
                total = 0.0
                for sql, params in items:
                    cursor = con.cursor()
                    started = time.perf_counter()
                    cursor.execute(sql, list(params) or None).fetchall()
                    elapsed = time.perf_counter() - started
                    cursor.close()
                    per_query.append(elapsed)
                    by_query.setdefault(sql, []).append(elapsed)
                    total += elapsed
                page_totals.append(total)
            result[page] = {"queries": len(items),
                            "page_p50_ms": round(1000 * _percentile(page_totals, 50), 2),
                            "page_p95_ms": round(1000 * _percentile(page_totals, 95), 2),
                            "query_p95_ms": round(1000 * _percentile(per_query, 95), 2) if per_query else 0.0,
                            "slowest_query": " ".join(max(by_query, key=lambda q: statistics.median(by_query[q]))
                                                      .split())[:200] if by_query else ""}
    finally:
        con.close()
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", type=Path, required=True, help="warehouse home with a published warehouse")
    parser.add_argument("--render-repeats", type=int, default=3)
    parser.add_argument("--query-repeats", type=int, default=20)
    args = parser.parse_args(argv)
    import os

    os.environ["WAREHOUSE_HOME"] = str(args.home)
    timings, queries = render_pages(args.render_repeats)
    replayed = replay(args.home / "warehouse.duckdb", queries, args.query_repeats)
    print(json.dumps({"pages": {page: {**timings[page], **replayed.get(page, {})} for page in timings}}))


if __name__ == "__main__":
    main()
