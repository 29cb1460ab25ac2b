"""Column converters shared by the kinds: text cells in, typed lake values out, failures as findings."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import polars as pl

from ingest.common.contract import POLARS_TYPES, Contract
from ingest.common.findings import Finding
from ingest.common.normalize import header_key, nfkc, parse_date, parse_datetime, parse_integer, parse_number


def code_lookup(labels: Mapping[str, str]) -> dict[str, str]:
    """Comparable label → code, the codes themselves included, so 'コンビニ交付' and 'convenience_store' both load."""
    lookup = {header_key(label): code for label, code in labels.items()}
    lookup.update({header_key(code): code for code in labels.values()})
    return lookup


def code_parser(labels: Mapping[str, str], shown: Mapping[str, str] | None = None) -> Callable[[str], str]:
    """A parser mapping a Japanese label (or code) to its code; ValueError naming the allowed labels otherwise
    (the labels of shown, when given: the official names without every alias)."""
    lookup = code_lookup(labels)
    allowed = ", ".join(dict.fromkeys(shown if shown is not None else labels))

    def parse(text: str) -> str:
        code = lookup.get(header_key(text))
        if code is None:
            raise ValueError(f"unknown value; allowed: {allowed}")
        return code

    return parse


def text(value: str) -> str | None:
    """NFKC-normalised text."""
    return nfkc(value)


# Vectorised fast paths for the plain forms most cells take (ISO dates, ASCII digits). A cell they do not
# match exactly stays null here and goes through the full Python parser (和暦, full-width digits, 24:00, …),
# so results are the same as parsing every cell in Python, only faster on large files.
_ISO_DATETIME = r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?$"
_FAST_PATHS: dict[Callable[[str], Any], Callable[[pl.Series], pl.Series]] = {
    parse_datetime: lambda cells: pl.when(cells.str.contains(_ISO_DATETIME)).then(pl.coalesce(
        cells.str.replace("T", " ").str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False),
        cells.str.replace("T", " ").str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M", strict=False))),
    parse_date: lambda cells: pl.when(cells.str.contains(r"^\d{4}-\d{2}-\d{2}$"))
    .then(cells.str.strptime(pl.Date, "%Y-%m-%d", strict=False)),
    parse_number: lambda cells: pl.when(cells.str.contains(r"^-?\d+(\.\d+)?$"))
    .then(cells.cast(pl.Float64, strict=False)),
    parse_integer: lambda cells: pl.when(cells.str.contains(r"^-?\d{1,18}$")).then(cells.cast(pl.Int64, strict=False)),
}


def _fast_parse(cells: pl.Series, parser: Callable[[str], Any], dtype: pl.DataType) -> pl.Series | None:
    """Values of the cells the fast path understands (null elsewhere), or None if the parser has none."""
    fast = _FAST_PATHS.get(parser)
    if fast is None or cells.dtype != pl.String:
        return None
    return pl.select(fast(cells).cast(dtype, strict=False).alias(cells.name)).to_series()


def _parse_distinct(cells: pl.Series, parser: Callable[[str], Any], dtype: pl.DataType, label: str,
                    rows: pl.Series, findings: list[Finding]) -> pl.Series:
    """Parse each distinct non-null cell once in Python (extracts repeat dates, codes and names) and spread the
    values back over the rows; a cell that does not parse is a finding at every row holding it, in row order."""
    distinct = cells.drop_nulls().unique(maintain_order=True).to_list()
    parsed: list[Any] = []
    problems: dict[str, str] = {}
    for cell in distinct:
        folded = nfkc(cell)
        try:
            parsed.append(None if folded is None else parser(folded))
        except (ValueError, OverflowError) as error:
            parsed.append(None)
            problems[cell] = f"wrong type or value: {error}"
    lookup = pl.DataFrame({"cell": pl.Series(distinct, dtype=pl.String),
                           "value": pl.Series(parsed, dtype=dtype, strict=False)})
    values = pl.DataFrame({"cell": cells}).join(lookup, on="cell", how="left", maintain_order="left")["value"]
    if problems:
        bad = cells.is_in(list(problems)).fill_null(False)
        findings.extend(Finding(row, label, problems[cell])
                        for row, cell in zip(rows.filter(bad).to_list(), cells.filter(bad).to_list()))
    return values


def convert(
    frame: pl.DataFrame,
    specs: list[tuple[str, str, Callable[[str], Any]]],
    contract: Contract,
    headers: Mapping[str, str],
    findings: list[Finding],
) -> pl.DataFrame:
    """Apply (field, lake column, parser) to each text column; a parse error becomes a finding at row and column."""
    rows = frame["source_row_number"]
    columns: dict[str, pl.Series] = {"source_row_number": rows}
    for field_name, column_name, parser in specs:
        dtype = POLARS_TYPES[contract.column(column_name).dtype]
        if field_name not in frame.columns:
            columns[column_name] = pl.Series(column_name, [None] * frame.height, dtype=dtype)
            continue
        label = headers.get(field_name, field_name)
        cells = frame[field_name]
        fast = _fast_parse(cells, parser, dtype)
        if fast is None:
            columns[column_name] = _parse_distinct(cells, parser, dtype, label, rows, findings).alias(column_name)
            continue
        # only the cells the fast path left null (and that are not empty) need Python
        rest = pl.select(pl.when(fast.is_null()).then(cells)).to_series()
        slow = _parse_distinct(rest, parser, dtype, label, rows, findings)
        columns[column_name] = pl.select(pl.coalesce(fast, slow)).to_series().alias(column_name)
    return pl.DataFrame(columns)
