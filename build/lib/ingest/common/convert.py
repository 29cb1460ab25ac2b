"""Column converters shared by the kinds: text cells in, typed lake values out, failures as findings."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import polars as pl

from ingest.common.contract import POLARS_TYPES, Contract
from ingest.common.findings import Finding
from ingest.common.normalize import header_key, nfkc


def code_lookup(labels: Mapping[str, str]) -> dict[str, str]:
    """Comparable label → code, the codes themselves included, so 'コンビニ交付' and 'convenience_store' both load."""
    lookup = {header_key(label): code for label, code in labels.items()}
    lookup.update({header_key(code): code for code in labels.values()})
    return lookup


def code_parser(labels: Mapping[str, str]) -> Callable[[str], str]:
    """A parser mapping a Japanese label (or code) to its code; ValueError naming the allowed labels otherwise."""
    lookup = code_lookup(labels)
    allowed = ", ".join(dict.fromkeys(labels))

    def parse(text: str) -> str:
        code = lookup.get(header_key(text))
        if code is None:
            raise ValueError(f"unknown value; allowed: {allowed}")
        return code

    return parse


def text(value: str) -> str | None:
    """NFKC-normalised text."""
    return nfkc(value)


def convert(
    frame: pl.DataFrame,
    specs: list[tuple[str, str, Callable[[str], Any]]],
    contract: Contract,
    headers: Mapping[str, str],
    findings: list[Finding],
) -> pl.DataFrame:
    """Apply (field, lake column, parser) to each text column; a parse error becomes a finding at row and column."""
    rows = frame["source_row_number"].to_list()
    columns: dict[str, pl.Series] = {"source_row_number": frame["source_row_number"]}
    for field_name, column_name, parser in specs:
        dtype = POLARS_TYPES[contract.column(column_name).dtype]
        if field_name not in frame.columns:
            columns[column_name] = pl.Series(column_name, [None] * frame.height, dtype=dtype)
            continue
        label = headers.get(field_name, field_name)
        values: list[Any] = []
        cache: dict[str, tuple[Any, str | None]] = {}  # extracts repeat dates, codes and times: parse each once
        for row, cell in zip(rows, frame[field_name].to_list()):
            if cell is None:
                values.append(None)
                continue
            if cell not in cache:
                folded = nfkc(cell)
                try:
                    cache[cell] = (None if folded is None else parser(folded), None)
                except (ValueError, OverflowError) as error:
                    cache[cell] = (None, f"wrong type or value: {error}")
            value, problem = cache[cell]
            values.append(value)
            if problem:
                findings.append(Finding(row, label, problem))
        columns[column_name] = pl.Series(column_name, values, dtype=dtype, strict=False)
    return pl.DataFrame(columns)
