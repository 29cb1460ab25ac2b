"""Baseline (a): one hand-written DuckDB SQL script computing the app marts from the same landing files.

DuckDB reads neither CP932 nor .xlsx here (no extensions offline), so the CP932 certificate CSVs are
stream-converted to UTF-8 and the .xlsx sheets saved as CSV first; that conversion is timed as part of it.
"""
from __future__ import annotations

import argparse
import codecs
import json
import shutil
import time
from pathlib import Path

import duckdb
import polars as pl

SCRIPT = Path(__file__).with_name("reference_duckdb.sql")
SEEDS_DIR = Path(__file__).resolve().parents[1] / "seeds"  # the ward calendar (business days)
MARTS = ("certificate_channel_shift", "web_access_monthly", "web_requests_daily", "gis_usage_monthly",
         "facility_energy_monthly")


def cp932_to_utf8(source: Path, target: Path) -> None:
    """Stream-convert one CP932 file to UTF-8 (1 MiB blocks, never the whole file in memory)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with source.open("rb") as raw, target.open("w", encoding="utf-8", newline="") as out:
        reader = codecs.getreader("cp932")(raw)
        for block in iter(lambda: reader.read(1 << 20), ""):
            out.write(block)


def xlsx_to_csv(source: Path, target: Path) -> None:
    """First sheet of a workbook as a UTF-8 CSV (dates as ISO text)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    frame = pl.read_excel(source)
    frame.with_columns(pl.all().cast(pl.String)).write_csv(target)


def prepare(landing: Path, utf8_dir: Path) -> int:
    """Convert what DuckDB cannot read; return the number of files converted."""
    shutil.rmtree(utf8_dir, ignore_errors=True)
    converted = 0
    for path in sorted((landing / "certificates").glob("*")):
        if path.suffix.lower() == ".csv":
            cp932_to_utf8(path, utf8_dir / "certificates" / path.name)
        elif path.suffix.lower() == ".xlsx":
            xlsx_to_csv(path, utf8_dir / "certificates" / f"{path.stem}.csv")
        else:
            continue
        converted += 1
    for path in sorted((landing / "energy").glob("energy_monthly_*.xlsx")):
        xlsx_to_csv(path, utf8_dir / "energy" / f"{path.stem}.csv")
        converted += 1
    return converted


def run(landing: Path, out_dir: Path, threads: int | None = None) -> dict[str, object]:
    """Convert, run the script, write one Parquet per mart into out_dir; return row counts and timings."""
    out_dir.mkdir(parents=True, exist_ok=True)
    utf8_dir = out_dir / "utf8"
    started = time.perf_counter()
    converted = prepare(landing, utf8_dir)
    prepared = time.perf_counter()
    sql = (SCRIPT.read_text(encoding="utf-8").replace("{landing_dir}", landing.as_posix())
           .replace("{utf8_dir}", utf8_dir.as_posix()).replace("{seeds_dir}", SEEDS_DIR.as_posix()))
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    if threads:
        con.execute(f"set threads = {int(threads)}")
    con.execute(sql)
    rows = {}
    for mart in MARTS:
        target = out_dir / f"{mart}.parquet"
        con.execute(f"copy ref_{mart} to '{target.as_posix()}' (format parquet)")
        rows[mart] = con.sql(f"select count(*) from ref_{mart}").fetchall()[0][0]
    con.close()
    shutil.rmtree(utf8_dir, ignore_errors=True)
    return {"files_converted": converted, "convert_seconds": round(prepared - started, 3),
            "sql_seconds": round(time.perf_counter() - prepared, 3), "rows": rows}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True, help="folder for <mart>.parquet")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.landing, args.out)))


if __name__ == "__main__":
    main()
