"""The one declaration per lake table (columns, types, units, allowed values, ranges, key) and per landing layout."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

import polars as pl

from ingest.common.normalize import header_key

POLARS_TYPES: dict[str, pl.DataType] = {
    "varchar": pl.String(),
    "bigint": pl.Int64(),
    "integer": pl.Int32(),
    "double": pl.Float64(),
    "date": pl.Date(),
    "timestamp": pl.Datetime("us"),
    "boolean": pl.Boolean(),
}

LINEAGE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("source_file_name", "varchar", "Name of the landing file the row came from."),
    ("source_file_sha256", "varchar", "SHA-256 of the landing file version (identifies the load)."),
    ("source_row_number", "bigint", "1-based data row in the landing file, header excluded."),
    ("loaded_at", "timestamp", "When ingest accepted the file (UTC)."),
)


@dataclass(frozen=True)
class Column:
    """One lake column: its type, meaning, unit and the checks every consumer applies."""

    name: str
    dtype: str
    description: str
    unit: str | None = None
    required: bool = True
    accepted_values: tuple[str, ...] | None = None
    min_value: float | None = None
    max_value: float | None = None
    max_setting: str | None = None  # [ingest] setting that overrides max_value (e.g. max_plausible_daily_count)
    sensitive: bool = False


@dataclass(frozen=True)
class Contract:
    """A lake table: grain, columns, unique key, the date that sets fiscal_month and what a corrected file replaces."""

    table: str
    kind: str
    description: str
    grain: str
    columns: tuple[Column, ...]
    unique_key: tuple[str, ...] = ()
    date_column: str | None = None  # its calendar month is the partition; None: see partition_rule
    # SQL (over the lake table) for the date a row's data runs through: "data through" and freshness in the
    # refresh, `warehouse status` and the gates; default date_column; None with no date_column: a master.
    data_date: str | None = None
    partition_rule: str = "date"  # "date", "load_month" or "fiscal_year_april"
    replace_scope: tuple[str, ...] | None = ()  # columns that, with the month, identify replaced data; None: never replace
    check_not_future: bool = True
    table_unique_key: tuple[str, ...] | None = None  # key over the whole lake table, when wider than unique_key

    @property
    def lake_unique_key(self) -> tuple[str, ...]:
        """Columns unique across the whole lake table (the per-file key unless declared wider)."""
        return self.table_unique_key if self.table_unique_key is not None else self.unique_key

    @property
    def data_date_sql(self) -> str | None:
        """SQL for the date each row's data runs through (None for masters, which cannot go stale)."""
        return self.data_date or self.date_column

    @property
    def sensitive_columns(self) -> frozenset[str]:
        """Columns marked sensitive: never readable in the sandbox, never exported."""
        return frozenset(column.name for column in self.columns if column.sensitive)

    def column(self, name: str) -> Column:
        """The column called name."""
        return next(column for column in self.columns if column.name == name)

    @property
    def names(self) -> list[str]:
        """Lake column names in order."""
        return [column.name for column in self.columns]

    def polars_schema(self) -> dict[str, pl.DataType]:
        """Polars schema of the lake file, lineage and partition columns included."""
        schema = {column.name: POLARS_TYPES[column.dtype] for column in self.columns}
        schema.update({name: POLARS_TYPES[dtype] for name, dtype, _ in LINEAGE_COLUMNS})
        schema["fiscal_month"] = pl.String()
        return schema


@dataclass(frozen=True)
class Field:
    """One landing-file column: the header names it goes by and which PII kinds it may legitimately hold."""

    name: str
    aliases: tuple[str, ...] = ()
    required: bool = True
    pii_allowed: frozenset[str] = frozenset()  # e.g. {"ip"} for a client address that is then anonymised
    keep: bool = True  # False: read for checks/derivation, never stored

    def header_keys(self) -> set[str]:
        """Comparable header forms this field matches."""
        return {header_key(self.name), *(header_key(alias) for alias in self.aliases)}

    @property
    def label(self) -> str:
        """The header a department writes for this field: the first Japanese alias, else the first alias."""
        japanese = [alias for alias in self.aliases if not alias.isascii()]
        return (japanese or list(self.aliases) or [self.name])[0]


# Identifier columns of the standard open datasets (自治体標準オープンデータセット): public codes, never personal
# data, although a 12-digit ID passes the My Number check digit about one time in eleven.
PUBLIC_IDENTIFIER_HEADERS: tuple[str, ...] = (
    "ID", "NO", "全国地方公共団体コード", "都道府県コード又は市区町村コード", "施設ID", "施設コード", "郵便番号", "法人番号",
)
PUBLIC_IDENTIFIER_PII: frozenset[str] = frozenset({"my_number", "phone"})


@dataclass(frozen=True)
class ReadOptions:
    """Where the table sits in the file: how far down the header may be, which sheet, which of stacked tables."""

    header_search_rows: int = 50  # title and blank lines allowed above the header
    header_row: int | None = None  # 1-based line of the header, when a mapping says so
    block_title: str | None = None  # the table whose title line (or header) contains this text
    block_index: int | None = None  # the n-th table (1-based); tables are separated by blank lines
    sheet: str | int | None = None  # .xlsx: sheet name or 1-based index (default: the first sheet with the header)

    @property
    def picks_block(self) -> bool:
        """True when one of several stacked tables is chosen: that table then ends at the first blank line."""
        return self.block_title is not None or self.block_index is not None


@dataclass(frozen=True)
class Layout:
    """A landing layout of one kind: its fields, how it is recognised and the function turning it into lake rows."""

    name: str
    kind: str
    table: str
    fields: tuple[Field, ...]
    transform: Callable[..., object]
    signature: tuple[str, ...] = ()  # headers whose presence identifies this layout among others of the kind
    declares_month: bool = True  # files hold one month, declared in the file name or a title row
    constants: Mapping[str, object] = field(default_factory=dict)
    read: ReadOptions = field(default_factory=ReadOptions)
    public_identifiers: tuple[str, ...] = ()  # headers declared public identifiers (not PII) by a mapping
    units: Mapping[str, str] = field(default_factory=dict)  # field → unit the source writes it in (mappings)
    limits: Mapping[str, float] = field(default_factory=dict)  # lake column → plausible maximum for this source
    source: str | None = None  # the mapping file that defined this layout, for messages

    @property
    def expected_headers(self) -> list[str]:
        """Headers of the required fields, as a department writes them (Japanese where the contract has it)."""
        return [spec.label for spec in self.fields if spec.required]

    @property
    def optional_headers(self) -> list[str]:
        """Headers of the optional fields that are stored (not the ignored open-data extras)."""
        return [spec.label for spec in self.fields if not spec.required and spec.keep
                and not spec.name.startswith(("public_", "kyoiku_"))]

    @cached_property
    def _header_lookup(self) -> dict[str, str]:
        """Comparable header form → field name (the first field that claims it)."""
        lookup: dict[str, str] = {}
        for spec in self.fields:
            for key in spec.header_keys():
                lookup.setdefault(key, spec.name)
        return lookup

    @cached_property
    def _matched_headers(self) -> dict[tuple[str, ...], tuple[dict[int, str], list[str], list[str]]]:
        return {}

    def match_header(self, header: list[str]) -> tuple[dict[int, str], list[str], list[str]]:
        """Map header positions to field names; return (mapping, missing required fields, unknown headers).
        A header seen before is answered from memory (36,000 monthly files share a handful of headers)."""
        memory = self._matched_headers
        known = memory.get(tuple(header))
        if known is None:
            if len(memory) >= 10_000:  # title lines differ per file: keep the memory bounded
                memory.clear()
            known = memory[tuple(header)] = self._match_header(header)
        mapping, missing, unknown = known
        return dict(mapping), list(missing), list(unknown)

    def _match_header(self, header: list[str]) -> tuple[dict[int, str], list[str], list[str]]:
        lookup = self._header_lookup
        mapping: dict[int, str] = {}
        unknown: list[str] = []
        for index, title in enumerate(header):
            name = lookup.get(header_key(title))
            if name is not None and name not in mapping.values():
                mapping[index] = name
            elif (title or "").strip():
                unknown.append(title)
        missing = [spec.name for spec in self.fields if spec.required and spec.name not in mapping.values()]
        return mapping, missing, unknown

    def field(self, name: str) -> Field:
        """The field called name."""
        return next(spec for spec in self.fields if spec.name == name)
