"""Scale generator: N fiscal years of M facilities (30-minute electricity for every facility, every month),
written by the sample-extract generator as the landing files departments would send."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from demo_data import write_sample_extracts
from demo_data.common import Month, month_range

LAST_HISTORY_FISCAL_YEAR = 2025  # history ends 2026-03; the "new month" of the incremental benchmark is 2026-04
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


def generate(landing_dir: Path, years: int, facilities: int, extra_months: int = 0,
             real_data_dir: Path | None = None) -> dict[str, object]:
    """Write the landing files; every facility has a 30-minute meter for every month of the span."""
    start, end = history_span(years, extra_months)
    months = len(month_range(Month.parse(start), Month.parse(end)))
    summary = write_sample_extracts(Path(landing_dir), start, end, SEED, facilities=facilities,
                                    interval_facilities=facilities, interval_months=months,
                                    real_data_dir=real_data_dir)
    payload = summary.to_dict()
    payload["bytes"] = sum(p.stat().st_size for p in Path(landing_dir).rglob("*") if p.is_file())
    return payload


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--landing", type=Path, required=True, help="landing/ folder to write into")
    parser.add_argument("--years", type=int, default=1, help="fiscal years of history (1-10)")
    parser.add_argument("--facilities", type=int, default=20, help="facilities (~300 for the full profile)")
    parser.add_argument("--extra-months", type=int, default=0, help="months after FY2025 (incremental benchmark)")
    parser.add_argument("--real-data", type=Path, default=None, help="shared/data/real (real school list)")
    args = parser.parse_args(argv)
    print(json.dumps(generate(args.landing, args.years, args.facilities, args.extra_months, args.real_data)))


if __name__ == "__main__":
    main()
