"""Ingest benchmark: our ingest (contracts, normalisation, PII guard, lake commit) vs polars' bare
read_csv → write_parquet on the same files, and peak memory on one large file (does ingest stream?)."""
from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

from warehouse.platform.allocators import tune_for_batch

tune_for_batch()  # both sides run with the refresh's allocator settings, applied before polars is imported

import polars as pl

CP932_KINDS = {"certificates"}


def polars_bare(landing: Path, out_dir: Path) -> dict[str, int]:
    """Every landing file read with polars' defaults and written as Parquet: the floor for 'ingest'."""
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    files = rows = 0
    for path in sorted(p for p in landing.rglob("*") if p.is_file()):
        if path.suffix.lower() == ".xlsx":
            frame = pl.read_excel(path)
        elif path.suffix.lower() == ".log":
            # a web server log read as lines (polars has no log parser): the floor for reading it at all
            frame = pl.read_csv(path, has_header=False, separator="\x1f", quote_char=None, new_columns=["line"],
                                infer_schema=False)
        elif path.suffix.lower() == ".csv":
            encoding = "cp932" if path.parent.name in CP932_KINDS else "utf8"
            # all columns as text: departments' files (full-width digits, 和暦) defeat type inference
            frame = pl.read_csv(path, encoding=encoding, infer_schema=False)
        else:
            continue
        frame.write_parquet(out_dir / f"{files:06d}_{path.stem}.parquet")
        files, rows = files + 1, rows + frame.height
    return {"files": files, "rows": rows}


def ours(home: Path) -> dict[str, int]:
    """Our ingest of everything in home/landing into an empty lake (what `warehouse refresh` does first)."""
    from ingest import ingest_landing
    from warehouse.platform.settings import load_settings

    report = ingest_landing(load_settings(home), "bench-ingest")
    statuses: dict[str, int] = {}
    for outcome in report.files:
        statuses[outcome.status] = statuses.get(outcome.status, 0) + 1
    if statuses.get("quarantined"):
        bad = [f"{o.path}: {o.message}" for o in report.files if o.status == "quarantined"][:3]
        raise SystemExit(f"ingest quarantined {statuses['quarantined']} benchmark file(s), e.g. {bad}; "
                         "the generator and ingest disagree — fix that before benchmarking")
    return {"files": len(report.files), "rows": sum(int(o.rows_out or 0) for o in report.files), **statuses}


def ours_file(home: Path, path: Path, kind: str) -> dict[str, object]:
    """Our ingest of one file."""
    from ingest import ingest_file
    from warehouse.platform.settings import load_settings

    outcome = ingest_file(load_settings(home), path, kind, "bench-bigfile")
    if outcome.status not in {"loaded", "replaced"}:
        raise SystemExit(f"{path}: ingest did not load the large file ({outcome.status}): {outcome.message}")
    return {"status": outcome.status, "rows": int(outcome.rows_out or 0)}


def polars_file(path: Path, out: Path) -> dict[str, int]:
    """polars' bare read_csv → write_parquet of one file."""
    frame = pl.read_csv(path)
    frame.write_parquet(out)
    return {"rows": frame.height}


def write_big_gis(target: Path, source_dir: Path, megabytes: int) -> int:
    """One GIS event log of about `megabytes` MB: the generated months' rows repeated (GIS events have no key)."""
    sources = sorted(source_dir.glob("gis_events_*.csv"))
    if not sources:
        raise FileNotFoundError(f"{source_dir}: no gis_events_*.csv to build the large file from; generate first")
    header, *_ = sources[0].read_text(encoding="utf-8").splitlines(keepends=True)
    bodies = [p.read_bytes().split(b"\n", 1)[1] for p in sources]
    target.parent.mkdir(parents=True, exist_ok=True)
    limit = megabytes * 1_000_000
    written = 0
    with target.open("wb") as out:
        out.write(header.encode("utf-8"))
        while written < limit:
            for body in bodies:
                out.write(body)
                written += len(body)
                if written >= limit:
                    break
    return target.stat().st_size


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=["ours", "polars", "ours-file", "polars-file"])
    parser.add_argument("--home", type=Path)
    parser.add_argument("--landing", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--file", type=Path)
    parser.add_argument("--kind", default="gis")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.mode == "ours":
        result = ours(args.home)
    elif args.mode == "polars":
        result = polars_bare(args.landing, args.out)
    elif args.mode == "ours-file":
        result = ours_file(args.home, args.file, args.kind)
    else:
        result = polars_file(args.file, args.out)
    print(json.dumps({**result, "inner_seconds": round(time.perf_counter() - started, 3)}))


if __name__ == "__main__":
    main()
