"""Certificate files → certificate_issuances rows."""
from __future__ import annotations

import polars as pl

from ingest.certificates.contract import (
    CERTIFICATE_ALIASES,
    CERTIFICATE_TYPES,
    CHANNEL_ALIASES,
    CHANNELS,
    CONTRACT,
    FIELDS,
    OFFICE_ALIASES,
    OFFICES,
)
from ingest.common.contract import Layout
from ingest.common.convert import code_parser, convert
from ingest.common.findings import Finding
from ingest.common.normalize import parse_date, parse_integer


def transform(frame: pl.DataFrame, ctx, findings: list[Finding]) -> pl.DataFrame:
    """Parse 和暦 dates and counts, map Japanese office/type/channel names to codes."""
    specs = [
        ("issued_date", "issued_date", parse_date),
        ("office_code", "office_code", code_parser({**OFFICES, **OFFICE_ALIASES}, OFFICES)),
        ("certificate_type_code", "certificate_type_code", code_parser({**CERTIFICATE_TYPES, **CERTIFICATE_ALIASES},
                                                                       CERTIFICATE_TYPES)),
        ("channel_code", "channel_code", code_parser({**CHANNELS, **CHANNEL_ALIASES}, CHANNELS)),
        ("issued_count", "issued_count", parse_integer),
    ]
    result = convert(frame, specs, CONTRACT, ctx.headers, findings)
    not_at_office = pl.col("channel_code").is_in(list(NOT_AT_OFFICE))
    return result.with_columns(
        pl.when(pl.col("office_code").is_null() & not_at_office).then(pl.lit("none"))
        .otherwise(pl.col("office_code")).alias("office_code")
    )


NOT_AT_OFFICE = ("convenience_store", "post", "online")  # an empty 窓口 cell means 'none' for these


LAYOUTS = (Layout("certificates", "certificates", CONTRACT.table, FIELDS, transform),)
