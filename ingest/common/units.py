"""Units a source may declare, and how each becomes the lake's unit (kWh, m3, GJ) — only where physics allows.

Energy (Wh … GWh, 千kWh, 万kWh) becomes kWh. Power read as an interval's average (W … GW, 千kW, 万kW) becomes
the interval's energy in kWh: 1 万kW for one hour is 10,000 kWh, for 30 minutes 5,000 kWh. Volume (L, m3, 千m3)
becomes m3. Heat (MJ, GJ, TJ) becomes GJ and stays GJ: turning gas heat into m3 needs a calorific value, which is
not physics but a supplier's figure, so no unit is ever relabelled. Anything else is refused with the list below.
"""
from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ingest.common.normalize import nfkc

LAKE_UNITS = ("kWh", "m3", "GJ")


@dataclass(frozen=True)
class Unit:
    """A source unit: what it measures, the lake unit it becomes and the factor to get there."""

    name: str
    dimension: str  # energy, power, volume, heat
    lake_unit: str
    factor: float  # lake value = source value × factor (× hours for power)


UNITS: tuple[Unit, ...] = (
    Unit("Wh", "energy", "kWh", 0.001),
    Unit("kWh", "energy", "kWh", 1.0),
    Unit("MWh", "energy", "kWh", 1_000.0),
    Unit("GWh", "energy", "kWh", 1_000_000.0),
    Unit("千kWh", "energy", "kWh", 1_000.0),
    Unit("万kWh", "energy", "kWh", 10_000.0),
    Unit("W", "power", "kWh", 0.001),
    Unit("kW", "power", "kWh", 1.0),
    Unit("MW", "power", "kWh", 1_000.0),
    Unit("GW", "power", "kWh", 1_000_000.0),
    Unit("千kW", "power", "kWh", 1_000.0),
    Unit("万kW", "power", "kWh", 10_000.0),
    Unit("L", "volume", "m3", 0.001),
    Unit("m3", "volume", "m3", 1.0),
    Unit("千m3", "volume", "m3", 1_000.0),
    Unit("MJ", "heat", "GJ", 0.001),
    Unit("GJ", "heat", "GJ", 1.0),
    Unit("TJ", "heat", "GJ", 1_000.0),
)
_ALIASES = {"リットル": "L", "ℓ": "L", "立方メートル": "m3", "m³": "m3", "千立方メートル": "千m3",
            "ギガジュール": "GJ", "メガジュール": "MJ", "キロワット時": "kWh", "キロワットアワー": "kWh"}
# Which lake units each meter may hold (water in kWh is a mistake, gas in kWh or GJ is how some suppliers bill).
METER_UNITS = {"electricity": ("kWh", "GJ"), "gas": ("m3", "kWh", "GJ"), "water": ("m3",)}


def _key(text: str) -> str:
    """Comparable form: NFKC (㎥ → m3, ｋＷｈ → kWh), no spaces or brackets; case kept where it matters (MWh/mWh)."""
    value = (nfkc(text) or "").replace(" ", "").strip("()[]（）［］")
    return value.replace("m³", "m3")


_BY_KEY: dict[str, Unit] = {}
for _unit in UNITS:
    _BY_KEY[_key(_unit.name)] = _unit
    _BY_KEY.setdefault(_key(_unit.name).lower(), _unit)
for _alias, _name in _ALIASES.items():
    _BY_KEY[_key(_alias)] = next(u for u in UNITS if u.name == _name)


def known_units() -> str:
    """The units a source may declare, for messages."""
    return ", ".join(unit.name for unit in UNITS)


def find_unit(text: str | None) -> Unit | None:
    """The unit a label names (exact case first, then case-insensitive), or None."""
    if text is None:
        return None
    key = _key(text)
    return _BY_KEY.get(key) or _BY_KEY.get(key.lower())


def parse_unit(text: str) -> str:
    """Canonical unit name of a label; ValueError naming the known units otherwise (a cell parser)."""
    unit = find_unit(text)
    if unit is None:
        raise ValueError(f"unknown unit; known units: {known_units()}")
    return unit.name


def to_lake_units(values: pl.Series, units: pl.Series, meters: pl.Series, minutes: pl.Series | None,
                  rows: pl.Series) -> tuple[pl.Series, pl.Series, list[tuple[int, str]]]:
    """Convert each value from its source unit to the lake unit; returns (values, lake units, [(row, problem)]).

    A power unit needs the interval's length (minutes); a unit that does not fit the meter is a problem.
    Work is per distinct (unit, meter, minutes), so a year of half-hourly readings costs a handful of lookups.
    """
    frame = pl.DataFrame({
        "row": rows, "value": values.cast(pl.Float64), "unit": units.cast(pl.String), "meter": meters.cast(pl.String),
        "minutes": minutes.cast(pl.Float64) if minutes is not None else pl.Series([None] * len(values),
                                                                                   dtype=pl.Float64),
    })
    combos = frame.select("unit", "meter", "minutes").unique()
    factors, lake_units, problems_by_combo = [], [], []
    for name, meter, length in combos.iter_rows():
        unit = find_unit(name)
        problem = None
        factor: float | None = 1.0  # a row with a problem keeps its value: the problem is the unit, said once
        lake_unit = name
        if unit is None:
            problem = None if name is None else f"unknown unit; known units: {known_units()}"
        else:
            lake_unit, factor = unit.lake_unit, unit.factor
            if unit.dimension == "power":
                if length is None:
                    problem = (f"unit {unit.name} is a power: only interval readings (a value per 30 or 60 minutes) "
                               "can become energy")
                else:
                    factor = factor * length / 60.0
            if problem is None and meter in METER_UNITS and unit.lake_unit not in METER_UNITS[meter]:
                problem = f"unit {unit.name} does not fit meter {meter} (allowed: {', '.join(METER_UNITS[meter])})"
        factors.append(factor)
        lake_units.append(lake_unit)
        problems_by_combo.append(problem)
    lookup = combos.with_columns(pl.Series("factor", factors, dtype=pl.Float64),
                                 pl.Series("lake_unit", lake_units, dtype=pl.String),
                                 pl.Series("problem", problems_by_combo, dtype=pl.String))
    joined = frame.join(lookup, on=["unit", "meter", "minutes"], how="left", nulls_equal=True, maintain_order="left")
    converted = (joined["value"] * joined["factor"]).alias(values.name)
    bad = joined.filter(pl.col("problem").is_not_null())
    problems = list(zip(bad["row"].to_list(), bad["problem"].to_list()))
    return converted, joined["lake_unit"].alias(units.name), problems
