"""GIS event logs → gis_events rows."""
from __future__ import annotations

import polars as pl

from ingest.common.contract import Layout
from ingest.common.convert import code_parser, convert, text
from ingest.common.findings import Finding
from ingest.common.normalize import parse_datetime
from ingest.gis.contract import CONTRACT, EVENT_ALIASES, EVENTS, FIELDS


def transform(frame: pl.DataFrame, ctx, findings: list[Finding]) -> pl.DataFrame:
    """Parse timestamps, map Japanese operation names to event types; login rows carry no map."""
    specs = [
        ("event_at", "event_at", parse_datetime),
        ("staff_pseudo_id", "staff_pseudo_id", text),
        ("department_name_ja", "department_name_ja", text),
        ("event_type", "event_type", code_parser({**EVENTS, **EVENT_ALIASES}, EVENTS)),
        ("map_name_ja", "map_name_ja", text),
    ]
    result = convert(frame, specs, CONTRACT, ctx.headers, findings)
    return result.with_columns(
        pl.when(pl.col("event_type") == "login").then(None).otherwise(pl.col("map_name_ja")).alias("map_name_ja")
    )


LAYOUTS = (Layout("gis_events", "gis", CONTRACT.table, FIELDS, transform),)
