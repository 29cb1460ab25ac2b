"""Deterministic, synthetic sample extracts in the landing formats of docs/architecture.md (demo and benchmarks).

Everything written is synthetic except the real school list (教育機関一覧) and, when present, the real My Number
card rates that shape convenience-store issuance. See README.md for the anchors and the deliberate gaps.
"""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from warehouse.platform.settings import as_of_date_from_env

from . import certificates, energy, gis, indicator_reports, web_access, web_access_log
from .common import Month, month_range
from .facilities import write_facility_masters

__all__ = ["KINDS", "SampleSummary", "default_end_month", "write_sample_extracts"]

KINDS = ("certificates", "web_access", "gis", "energy", "indicator_reports")
DEFAULT_SEEDS_FILE = Path(__file__).resolve().parents[1] / indicator_reports.INDICATORS_SEED

ProgressCallback = Callable[[str, int, int], None]


@dataclass
class SampleSummary:
    """What a generator run wrote: files and rows per kind, the months covered, how long it took."""

    landing_dir: str
    start_month: str
    end_month: str
    months_covered: int
    seed: int
    files: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    facilities: int = 0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def as_of_date() -> dt.date:
    """The warehouse's as-of date (WAREHOUSE_AS_OF_DATE or today), read where every setting is read."""
    return as_of_date_from_env()


def default_end_month() -> str:
    """The last complete calendar month before the as-of date."""
    today = as_of_date()
    return str(Month(today.year, today.month).prev())


def _report(progress: ProgressCallback | None, kind: str, done: int, total: int) -> None:
    if progress is not None:
        progress(kind, done, total)


def write_sample_extracts(landing_dir: Path, start_month: str = "2015-04", end_month: str | None = None,
                          seed: int = 20160201, *, facilities: int | None = None, interval_facilities: int = 4,
                          interval_months: int = 3, real_data_dir: Path | None = None,
                          progress: ProgressCallback | None = None,
                          indicators_path: Path | None = None, access_log_lines_per_year: int = 0) -> SampleSummary:
    """Write every kind's landing files for the months start..end into landing_dir/<kind>/; same args → same bytes.
    With access_log_lines_per_year > 0, web_access/ also gets raw monthly web server logs of about that many
    requests a year (the benchmark's scale; the demo has the analytics export only)."""
    started = time.perf_counter()
    landing_dir = Path(landing_dir)
    start = Month.parse(start_month)
    end = Month.parse(end_month or default_end_month())
    if end < start:
        raise ValueError(f"end_month {end} is before start_month {start}; give end_month >= start_month")
    months = month_range(start, end)
    summary = SampleSummary(str(landing_dir), str(start), str(end), len(months), seed)
    for kind in KINDS:
        (landing_dir / kind).mkdir(parents=True, exist_ok=True)

    def count(kind: str, files: int, rows: int) -> None:
        summary.files[kind] = summary.files.get(kind, 0) + files
        summary.rows[kind] = summary.rows.get(kind, 0) + rows

    points = certificates.card_rate_points(real_data_dir)
    for i, month in enumerate(months, start=1):
        count("certificates", 1, certificates.write_month(landing_dir / "certificates", month, seed, points)[1])
        _report(progress, "certificates", i, len(months))
    for i, month in enumerate(months, start=1):
        count("web_access", 1, web_access.write_month(landing_dir / "web_access", month, seed)[1])
        _report(progress, "web_access", i, len(months))
    if access_log_lines_per_year > 0:
        for month in months:
            count("web_access", 1, web_access_log.write_month(landing_dir / "web_access", month,
                                                             access_log_lines_per_year, seed)[1])
    for i, month in enumerate(months, start=1):
        count("gis", 1, gis.write_month(landing_dir / "gis", month, seed)[1])
        _report(progress, "gis", i, len(months))

    energy_dir = landing_dir / "energy"
    facility_list, notes, masters = write_facility_masters(energy_dir, seed, facilities, real_data_dir)
    summary.facilities = len(facility_list)
    summary.notes += notes
    count("energy", len(masters), 0)
    fiscal_years = sorted({m.fiscal_year for m in months})
    for i, fy in enumerate(fiscal_years, start=1):
        fy_months = [m for m in months if m.fiscal_year == fy]
        count("energy", 1, energy.write_fiscal_year(energy_dir, fy, facility_list, fy_months, seed)[1])
        _report(progress, "energy", i, len(fiscal_years))
    interval_span = months[-interval_months:] if interval_months > 0 else []
    for _, facility in energy.interval_facilities(facility_list, interval_facilities):
        for month in interval_span:
            count("energy", 1, energy.write_interval(energy_dir, facility, month, seed)[1])

    complete_years = [fy for fy in fiscal_years
                      if fy >= indicator_reports.FIRST_FISCAL_YEAR and Month(fy + 1, 3) <= end]
    seeds_file = indicators_path or DEFAULT_SEEDS_FILE
    if not seeds_file.is_file():
        raise FileNotFoundError(f"{seeds_file}: the plan's indicator seed is missing; indicator reports need it "
                                "(pass indicators_path= or restore seeds/plan_indicators.csv)")
    reports, report_rows = indicator_reports.write_reports(landing_dir / "indicator_reports", seeds_file,
                                                           complete_years, seed)
    count("indicator_reports", len(reports), report_rows)
    _report(progress, "indicator_reports", 1, 1)
    for kind in KINDS:
        summary.files.setdefault(kind, 0)
        summary.rows.setdefault(kind, 0)
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary
