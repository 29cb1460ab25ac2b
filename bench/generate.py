"""Scale generator: N fiscal years of M facilities (30-minute electricity for every facility, every month) and
raw daily web server logs, written by the sample-extract generator as the landing files departments would send.

A landing folder generated before with the same arguments is reused (36,000 files are not written twice): the
arguments and the file count are kept beside it in <landing>.generated.json."""
from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path

from demo_data import write_sample_extracts
from demo_data.common import Month, month_range

LAST_HISTORY_FISCAL_YEAR = 2025  # history ends 2026-03; the incremental benchmark's new months are 2026-04 on
SEED = 20160201


def history_span(years: int, extra_months: int = 0) -> tuple[str, str]:
    """First and last month of `years` complete fiscal years ending FY2025, plus `extra_months` after it."""
    if years < 1:
        raise ValueError(f"--years {years}: give at least 1 fiscal year")
    start = Month(LAST_HISTORY_FISCAL_YEAR - years + 1, 4)
    end = Month(LAST_HISTORY_FISCAL_YEAR + 1, 3)
    for _ in range(extra_months):
        end = end.next()
    return str(start), str(end)


def stamp_path(landing_dir: Path) -> Path:
    """Where the arguments of the last generation are kept: beside landing/, never inside it (it is not data)."""
    landing_dir = Path(landing_dir)
    return landing_dir.with_name(f"{landing_dir.name}.generated.json")


def count_files(landing_dir: Path) -> int:
    return sum(1 for _root, _dirs, files in os.walk(landing_dir) for _ in files)


def _reusable(landing_dir: Path, arguments: dict[str, object]) -> dict[str, object] | None:
    """The previous summary when landing_dir holds exactly what these arguments would write (same file count)."""
    stamp = stamp_path(landing_dir)
    if not stamp.is_file() or not landing_dir.is_dir():
        return None
    try:
        previous = json.loads(stamp.read_text(encoding="utf-8"))
    except ValueError:
        return None
    if previous.get("arguments") != arguments or previous.get("file_count") != count_files(landing_dir):
        return None
    return previous["summary"]


def generate(landing_dir: Path, years: int, facilities: int, extra_months: int = 0,
             real_data_dir: Path | None = None, log_lines_per_year: int = 0,
             from_month: str | None = None) -> dict[str, object]:
    """Write the landing files (or reuse them); every facility has a 30-minute meter for every month of the span.

    from_month starts the span later (the incremental benchmark writes only the months after the history)."""
    landing_dir = Path(landing_dir)
    start, end = history_span(years, extra_months)
    start = from_month or start
    arguments = {"start": start, "end": end, "facilities": facilities, "seed": SEED,
                 "log_lines_per_year": log_lines_per_year, "real_data": bool(real_data_dir)}
    previous = _reusable(landing_dir, arguments)
    if previous is not None:
        return previous | {"reused": True}
    stamp_path(landing_dir).unlink(missing_ok=True)
    shutil.rmtree(landing_dir, ignore_errors=True)
    months = len(month_range(Month.parse(start), Month.parse(end)))
    summary = write_sample_extracts(landing_dir, start, end, SEED, facilities=facilities,
                                    interval_facilities=facilities, interval_months=months,
                                    real_data_dir=real_data_dir, access_log_lines_per_year=log_lines_per_year)
    payload = summary.to_dict()
    payload["bytes"] = sum(p.stat().st_size for p in landing_dir.rglob("*") if p.is_file())
    stamp_path(landing_dir).write_text(json.dumps({"arguments": arguments, "file_count": count_files(landing_dir),
                                                   "summary": payload}, ensure_ascii=False), encoding="utf-8")
    return payload | {"reused": False}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--landing", type=Path, required=True, help="landing/ folder to write into")
    parser.add_argument("--years", type=int, default=1, help="fiscal years of history (1-10)")
    parser.add_argument("--facilities", type=int, default=20, help="facilities (~300 for the full profile)")
    parser.add_argument("--extra-months", type=int, default=0, help="months after FY2025 (incremental benchmark)")
    parser.add_argument("--from-month", default=None, help="first month to write (YYYY-MM; default: the history's)")
    parser.add_argument("--log-lines-per-year", type=int, default=0,
                        help="raw web server log requests a year (2,500,000 for the full profile; 0: no logs)")
    parser.add_argument("--real-data", type=Path, default=None, help="shared/data/real (real school list)")
    args = parser.parse_args(argv)
    print(json.dumps(generate(args.landing, args.years, args.facilities, args.extra_months, args.real_data,
                              args.log_lines_per_year, args.from_month)))


if __name__ == "__main__":
    main()
