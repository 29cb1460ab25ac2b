"""Indicator reports: departments' yearly results for the plan's indicators, one .xlsx per department per year."""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .common import rng_for, wareki_fiscal_year, write_xlsx

HEADER = ["指標ID", "年度", "実績値", "備考"]
FIRST_FISCAL_YEAR = 2016
INDICATORS_SEED = Path("seeds") / "plan_indicators.csv"
ALWAYS_REPORTED = {"M01-1"}  # open-data item count: a system source from now on, its history comes from reports
# Honest gaps: these indicator-years were never reported.
MISSING = {("M14-1", 2019), ("M26-1", 2022)}
# Baselines that are totals over several years (M16-1: 8 incidents in FY2011-2015) → per-year level.
PERIOD_TOTALS = {"M16-1": 5}
# Indicators that reach their target late (fiscal years of delay) — an "off track" story.
LATE = {"M06-1": 2, "M17-1": 3, "M23-2": 1, "M33-1": 2, "M11-1": 1, "M29-1": 1}
# Completion year for date-type indicators (達成年度); absent → the target year.
DONE_YEAR = {"M04-1": 2017, "M08-1": 2017, "M12-1": 2016, "M19-1": 2019, "M19-2": 2021, "M22-1": 2016,
             "M22-2": 2020, "M23-1": 2018, "M25-1": 2016, "M28-1": 2017, "M29-1": 2018, "M30-1": 2017,
             "M31-1": 2019}
DONE_TEXT = {"M12-1": "本格運用中", "M22-1": "移設完了", "M22-2": "移設完了", "M23-1": "整備済", "M29-1": "完成",
             "M30-1": "完成", "M31-1": "整備完了", "M19-1": "更新完了", "M19-2": "更新完了"}


@dataclass(frozen=True)
class Indicator:
    """The columns of seeds/plan_indicators.csv the generator needs."""

    indicator_id: str
    unit: str
    baseline_value: float | None
    target_value: float | None
    target_fiscal_year: int
    direction: str
    source_kind: str
    owner_departments_ja: str

    @property
    def department(self) -> str:
        """The reporting department: the first owner, without 'ほか'."""
        first = re.split(r"[、,，]", self.owner_departments_ja)[0].strip()
        return re.sub(r"ほか$", "", first) or "IT推進課"


def _number(text: str) -> float | None:
    return float(text) if text and text.strip() else None


def read_indicators(path: Path) -> list[Indicator]:
    """Indicators from the seed file; a clear error if a documented column is missing."""
    needed = {"indicator_id", "unit", "baseline_value", "target_value", "target_fiscal_year", "direction",
              "source_kind", "owner_departments_ja"}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = needed - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: columns {sorted(missing)} are missing from the header; the sample generator "
                             "needs the documented plan_indicators columns")
        return [Indicator(row["indicator_id"], row["unit"], _number(row["baseline_value"]),
                          _number(row["target_value"]), int(row["target_fiscal_year"] or 2020), row["direction"],
                          row["source_kind"], row["owner_departments_ja"]) for row in reader]


def _numeric_value(ind: Indicator, fiscal_year: int, rng: np.random.Generator) -> float:
    """A value moving from baseline toward (and for open-ended targets past) the target."""
    base = ind.baseline_value
    if ind.direction == "keep":
        return base if base is not None else (ind.target_value or 0.0)
    if ind.direction == "decrease":
        start = (base if base is not None else 3.0) / PERIOD_TOTALS.get(ind.indicator_id, 1)
        return float(max(0, round(start * 0.55 ** (fiscal_year - 2015) - 0.3 + rng.random() * 0.6)))
    target_year = ind.target_fiscal_year + LATE.get(ind.indicator_id, 0)
    progress = min(1.0, (fiscal_year - 2015) / max(1, target_year - 2015))
    if ind.unit == "percent":
        start = base if base is not None else 10.0
        end = ind.target_value if ind.target_value is not None else 100.0
        value = start + (end - start) * progress
        return float(round(min(100.0, value if progress >= 1 else value - rng.random() * 4), 1))
    if ind.unit == "score":  # first measured FY2016; target +50%
        return float(round(52.0 * (1 + 0.55 * min(1.0, (fiscal_year - 2016) / 4)) + rng.normal(0, 1.2), 1))
    start = base if base is not None else 0.0
    if ind.target_value is not None:
        return float(round(start + (ind.target_value - start) * progress))
    growth = {"items": 0.09, "facilities": 0.05}.get(ind.unit, 0.12)  # '↑': keeps increasing
    return float(round(max(start, 1) * (1 + growth) ** (fiscal_year - 2015)))


def report_row(ind: Indicator, fiscal_year: int, seed: int) -> tuple[object, str] | None:
    """(実績値, 備考) for one indicator-year, or None for an honest gap."""
    if (ind.indicator_id, fiscal_year) in MISSING:
        return None
    rng = rng_for(seed, "indicator_reports", None, part=fiscal_year * 1000 + int(ind.indicator_id[1:3]) * 10
                  + int(ind.indicator_id[-1]))
    if ind.unit == "date":
        done = DONE_YEAR.get(ind.indicator_id, ind.target_fiscal_year)
        if fiscal_year < done:
            return "未達成", "準備中" if fiscal_year == done - 1 else "検討中"
        text = DONE_TEXT.get(ind.indicator_id, "導入済")
        return text, f"{wareki_fiscal_year(done, short=False)}に{text}" if fiscal_year == done else ""
    value = _numeric_value(ind, fiscal_year, rng)
    comment = ""
    if ind.indicator_id in LATE and fiscal_year == ind.target_fiscal_year and ind.target_value is not None:
        comment = "目標未達。次年度以降に達成見込み"
    return (int(value) if value.is_integer() else value), comment


def plan_reports(indicators: list[Indicator], fiscal_years: list[int],
                 seed: int) -> dict[tuple[int, str], list[list[object]]]:
    """(fiscal year, department) → rows (indicator id, year label, value, comment)."""
    files: dict[tuple[int, str], list[list[object]]] = {}
    for ind in indicators:
        if ind.source_kind != "report" and ind.indicator_id not in ALWAYS_REPORTED:
            continue
        for fy in fiscal_years:
            row = report_row(ind, fy, seed)
            if row is None:
                continue
            files.setdefault((fy, ind.department), []).append([ind.indicator_id, None, row[0], row[1]])
    for (fy, dept), rows in files.items():
        short = (sum(map(ord, dept)) + fy) % 3 == 0  # some departments write R2年度, most 令和2年度
        for row in rows:
            row[1] = wareki_fiscal_year(fy, short=short)
    return files


def write_reports(out_dir: Path, indicators_path: Path, fiscal_years: list[int], seed: int) -> tuple[list[Path], int]:
    """Write one workbook per department per fiscal year; return the files and the row count."""
    indicators = read_indicators(indicators_path)
    written, rows_total = [], 0
    for (fy, dept), rows in sorted(plan_reports(indicators, fiscal_years, seed).items()):
        path = out_dir / f"indicator_report_FY{fy}_{dept}.xlsx"
        write_xlsx(path, "実績報告", HEADER, rows)
        written.append(path)
        rows_total += len(rows)
    return written, rows_total
