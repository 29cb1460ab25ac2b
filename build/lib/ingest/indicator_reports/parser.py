"""Indicator report workbooks → indicator_reports rows."""
from __future__ import annotations

import re

import polars as pl

from ingest.common.contract import Layout
from ingest.common.convert import convert, text
from ingest.common.findings import Finding
from ingest.common.normalize import leading_number, nfkc, parse_fiscal_year
from ingest.indicator_reports.contract import CONTRACT, FIELDS

_DEPARTMENT = re.compile(r"([^\s_:：\-]+?(?:課|室|館|部|局|所|センター))")


def department_of(ctx) -> str | None:
    """Reporting department from a title row ('所属：IT推進課'), the folder, or the file name."""
    candidates = [*getattr(ctx, "title_rows", []), ctx.path.parent.name, ctx.path.stem]
    for candidate in candidates:
        match = _DEPARTMENT.search(nfkc(candidate) or "")
        if match:
            return match.group(1)
    return None


def transform(frame: pl.DataFrame, ctx, findings: list[Finding]) -> pl.DataFrame:
    """Parse 年度 (和暦 too) and keep the figure both as text and as its leading number."""
    specs = [
        ("indicator_id", "indicator_id", lambda value: value.upper()),
        ("fiscal_year", "fiscal_year", parse_fiscal_year),
        ("reported_value_text_ja", "reported_value_text_ja", text),
        ("comment_ja", "comment_ja", text),
        ("reporting_department_ja", "reporting_department_ja", text),
    ]
    result = convert(frame, specs, CONTRACT, ctx.headers, findings)
    result = result.with_columns(
        pl.Series("reported_value", [leading_number(v) for v in result["reported_value_text_ja"].to_list()],
                  dtype=pl.Float64)
    )
    fallback = department_of(ctx)
    if fallback is not None:
        result = result.with_columns(pl.col("reporting_department_ja").fill_null(fallback))
    ctx.headers.setdefault("reporting_department_ja", "所属 (column, title row, folder or file name)")
    return result


LAYOUTS = (Layout("indicator_reports", "indicator_reports", CONTRACT.table, FIELDS, transform, declares_month=False),)
