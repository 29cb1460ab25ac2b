"""Column mappings: a TOML file per source layout, so a department's own files load without code.

Mappings live in the data home, `<home>/mappings/<kind>/*.toml` (documented with examples in docs/mappings.md);
a few ship with the code as defaults (`ingest/<kind>/mappings/*.toml`, e.g. the Cambridge hourly exports). A
home mapping with the same file name as a shipped one replaces it.

A mapping names the lake table, the files it applies to (`match`, glob patterns on the end of the landing
path), and for each column the header in the file (two or more headers are joined with a space, e.g. a date
and a time column). It can add constants and values taken from the path, declare units (converted to the
lake's unit where physics allows; see common/units.py), declare public-identifier columns (never PII), say
where the header is, which sheet or which of several stacked tables to read, and raise a plausibility limit.

A mapping whose `match` fits a file is the only layout tried for it. A mapping without `match` is tried on
every file of its kind before the built-in layouts, and is used when the file's header fits it.
"""
from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl

from ingest.common.contract import Field, Layout, ReadOptions
from ingest.common.findings import Finding, Rejected
from ingest.common.units import find_unit, known_units

CODE_DIR = Path(__file__).resolve().parents[1]
TOP_KEYS = {"name", "table", "layout", "match", "declares_month", "header_row", "header_search_rows", "sheet",
            "block", "columns", "constants", "from_path", "units", "limits", "public_identifier_columns",
            "description"}
# Fields of a built-in layout that only identify the file (never stored): a mapping does not need them.
NOT_NEEDED = ("municipality_code",)
# Which fields may carry a declared unit, per base layout.
UNIT_FIELDS = {"energy_interval": ("usage_value",), "energy_monthly_long": ("usage_value",),
               "energy_monthly": ("electricity_kwh", "gas_m3", "water_m3")}
NO_MAPPING = {"combined_log": "web server logs are read by their format (Common or Combined Log Format), not by "
                              "column headers"}


class MappingError(Exception):
    """A mapping file that cannot be used; the message names the file and what to change."""


def shipped_dir(kind: str) -> Path:
    """Where the mappings that ship with the code for a kind live."""
    return CODE_DIR / kind / "mappings"


def mapping_files(settings: Any, kind: str) -> list[Path]:
    """The kind's mapping files: the data home's first, then the shipped defaults not overridden by name."""
    home_dir = Path(settings.mappings_dir) / kind if settings is not None \
        else None
    cache = _LISTINGS.get()
    key = (str(home_dir), kind)
    if cache is not None and key in cache:
        return list(cache[key])
    home = sorted(home_dir.glob("*.toml")) if home_dir is not None and home_dir.is_dir() else []
    names = {path.name for path in home}
    shipped = [path for path in sorted(shipped_dir(kind).glob("*.toml")) if path.name not in names]
    if cache is not None:
        cache[key] = home + shipped
    return home + shipped


_LISTINGS: ContextVar[dict[tuple[str, str], list[Path]] | None] = ContextVar("mapping_listings", default=None)


@contextmanager
def listed_once() -> Iterator[None]:
    """Within it, each kind's mapping folders are listed once (ingest asks once per landing file: 36,000 times in
    a full rebuild); a mapping added meanwhile is seen by the next run."""
    token = _LISTINGS.set({})
    try:
        yield
    finally:
        _LISTINGS.reset(token)


def _patterns(spec: dict[str, Any], where: str) -> list[str] | None:
    value = spec.get("match")
    if value is None:
        return None
    patterns = [value] if isinstance(value, str) else value
    if not isinstance(patterns, list) or not all(isinstance(p, str) and p for p in patterns):
        raise MappingError(f"{where}: match must be a file pattern or a list of them, e.g. match = [\"juyo-*.csv\"]")
    return patterns


def _matches(source: Path, patterns: list[str]) -> bool:
    """A pattern matches the end of the landing path (the file name, or folders/file name)."""
    return any(source.match(pattern) for pattern in patterns)


def _base_layout(spec: dict[str, Any], kind_spec: Any, where: str) -> Layout:
    """The built-in layout the mapping renames: by `layout`, else the table's layout (long or wide for monthly)."""
    tables = list(kind_spec.contracts)
    table = spec.get("table") or (tables[0] if len(tables) == 1 else None)
    if table is None:
        raise MappingError(f"{where}: say which lake table the file loads, table = one of {', '.join(tables)}")
    if table not in tables:
        raise MappingError(f"{where}: table '{table}' is not a table of kind {kind_spec.kind}; use one of {', '.join(tables)}")
    candidates = [layout for layout in kind_spec.layouts if layout.table == table]
    wanted = spec.get("layout")
    if wanted is not None:
        chosen = [layout for layout in candidates if layout.name == wanted]
        if not chosen:
            raise MappingError(f"{where}: layout '{wanted}' is not a layout of {table}; use one of "
                               f"{', '.join(layout.name for layout in candidates)}")
        base = chosen[0]
    elif len(candidates) == 1:
        base = candidates[0]
    else:
        keys = set(spec.get("columns", {})) | set(spec.get("constants", {})) | set(spec.get("units", {}))
        preferred = {"energy_readings_monthly": "energy_monthly_long" if keys & {"usage_value", "meter_type"}
                     else "energy_monthly", "facilities": "kokyo_shisetsu_v2"}.get(table)
        base = next((layout for layout in candidates if layout.name == preferred), candidates[0])
    if base.name in NO_MAPPING:
        raise MappingError(f"{where}: {NO_MAPPING[base.name]}; remove this mapping")
    return base


def _text_table(spec: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = spec.get(key, {})
    if not isinstance(value, dict):
        raise MappingError(f"{where}: [{key}] must be a table of name = value lines")
    return value


def _read_options(spec: dict[str, Any], where: str) -> ReadOptions:
    block = _text_table(spec, "block", where)
    unknown = set(block) - {"title", "index"}
    if unknown:
        raise MappingError(f"{where}: [block] takes title = \"text\" or index = N, not {', '.join(sorted(unknown))}")
    sheet = spec.get("sheet")
    if sheet is not None and not isinstance(sheet, str | int):
        raise MappingError(f"{where}: sheet must be a sheet name or its number (1 = first)")
    for key in ("header_row", "header_search_rows"):
        if key in spec and (not isinstance(spec[key], int) or spec[key] < 1):
            raise MappingError(f"{where}: {key} must be a line number (1 = first line)")
    if "index" in block and (not isinstance(block["index"], int) or block["index"] < 1):
        raise MappingError(f"{where}: [block] index must be a table number (1 = first table in the file)")
    return ReadOptions(header_search_rows=int(spec.get("header_search_rows", ReadOptions().header_search_rows)),
                       header_row=spec.get("header_row"), block_title=block.get("title"),
                       block_index=block.get("index"), sheet=sheet)


def _joined(parts: list[str], target: str) -> Callable[..., pl.DataFrame]:
    """A pre-step joining two or more file columns (e.g. 日付 and 時刻) into one field, separated by a space."""

    def join(frame: pl.DataFrame, ctx: Any) -> pl.DataFrame:
        names = [f"{target}__{index}" for index in range(1, len(parts) + 1)]
        ctx.headers[target] = " + ".join(ctx.headers.get(name, name) for name in names)
        return frame.with_columns(
            pl.concat_str([pl.col(name).str.strip_chars() for name in names], separator=" ").alias(target)
        )

    return join


@functools.lru_cache(maxsize=256)
def _parsed_toml(path: str, mtime_ns: int, size: int) -> dict[str, Any]:
    """A mapping file's TOML, parsed once per version of the file (a run reads it for each of thousands of files);
    callers only read it."""
    with open(path, "rb") as handle:
        return tomllib.load(handle)


def load_mapping(path: Path, kind_spec: Any, source: Path) -> tuple[Layout | None, bool]:
    """(layout, explicit) of a mapping file for a landing file: (None, False) when its match does not fit.

    Raises MappingError naming the file and the line to change when the mapping cannot be used."""
    where = str(path)
    try:
        stat = path.stat()
        spec = _parsed_toml(where, stat.st_mtime_ns, stat.st_size)
    except tomllib.TOMLDecodeError as error:
        raise MappingError(f"{where}: not valid TOML ({error}); check quotes and [sections]") from error
    except OSError as error:
        raise MappingError(f"{where}: cannot be read ({error.strerror})") from error
    patterns = _patterns(spec, where)
    if patterns is not None and not _matches(source, patterns):
        return None, False
    unknown = set(spec) - TOP_KEYS
    if unknown:
        raise MappingError(f"{where}: unknown setting(s) {', '.join(sorted(unknown))}; allowed: "
                           f"{', '.join(sorted(TOP_KEYS))}")
    base = _base_layout(spec, kind_spec, where)
    fields_by_name = {field.name: field for field in base.fields}
    stored = [field.name for field in base.fields if not field.name.startswith(("public_", "kyoiku_"))
              and field.name not in NOT_NEEDED]
    columns = _text_table(spec, "columns", where)
    constants = dict(_text_table(spec, "constants", where))
    from_path = _text_table(spec, "from_path", where)
    units = _text_table(spec, "units", where)
    limits = _text_table(spec, "limits", where)
    for section, names in (("columns", columns), ("constants", constants), ("from_path", from_path)):
        wrong = [name for name in names if name not in fields_by_name]
        if wrong:
            raise MappingError(f"{where}: [{section}] {', '.join(wrong)} not a column of {base.table} "
                               f"({base.name}); use {', '.join(stored)}")
    for column, rule in from_path.items():
        try:
            found = re.search(rule, source.as_posix())
        except re.error as error:
            raise MappingError(f"{where}: [from_path] {column} is not a valid pattern ({error})") from error
        constants[column] = found.group(1) if found and found.groups() else (found.group(0) if found else None)
    allowed_units = UNIT_FIELDS.get(base.name, ())
    for field_name, unit in units.items():
        if field_name not in allowed_units:
            raise MappingError(f"{where}: [units] {field_name}: units apply to "
                               f"{', '.join(allowed_units) or 'energy readings only'}")
        if not isinstance(unit, str) or find_unit(unit) is None:
            raise MappingError(f"{where}: [units] {field_name} = {unit!r} is not a unit we know; known units: "
                               f"{known_units()}")
    contract = kind_spec.contracts[base.table]
    for column, limit in limits.items():
        if column not in contract.names or not isinstance(limit, int | float):
            raise MappingError(f"{where}: [limits] {column} must be a column of {base.table} with a number")
        ceiling = contract.column(column).max_value
        if ceiling is not None and limit > ceiling:
            raise MappingError(f"{where}: [limits] {column} = {limit:g} is above the lake's limit {ceiling:g}; a mapping "
                               "can only set a tighter limit")
    public = spec.get("public_identifier_columns", [])
    if isinstance(public, str):
        public = [public]
    if not isinstance(public, list) or not all(isinstance(h, str) for h in public):
        raise MappingError(f"{where}: public_identifier_columns must be a list of headers, e.g. [\"施設ID\"]")

    fields: list[Field] = []
    steps = []
    for field in base.fields:
        header = columns.get(field.name)
        provided = field.name in constants or (field.name == "usage_unit" and "usage_value" in units)
        required = field.required and not provided and field.name not in NOT_NEEDED
        if isinstance(header, list):
            if not header or not all(isinstance(h, str) for h in header):
                raise MappingError(f"{where}: [columns] {field.name} must be a header or a list of headers")
            if len(header) == 1:
                header = header[0]
            else:
                fields.extend(Field(f"{field.name}__{index}", (part,), required=required,
                                    pii_allowed=field.pii_allowed) for index, part in enumerate(header, start=1))
                steps.append(_joined(header, field.name))
                continue
        if header is not None and not isinstance(header, str):
            raise MappingError(f"{where}: [columns] {field.name} must be a header (text) or a list of headers")
        aliases = (header,) if header is not None else field.aliases
        fields.append(replace(field, aliases=aliases, required=required))
    if units and "usage_value" in units and "usage_unit" in fields_by_name:
        constants.setdefault("usage_unit", units["usage_value"])

    def transform(frame: pl.DataFrame, ctx: Any, findings: list[Finding]) -> pl.DataFrame:
        for step in steps:
            frame = step(frame, ctx)
        return base.transform(frame, ctx, findings)

    layout = Layout(
        name=str(spec.get("name", path.stem)), kind=base.kind, table=base.table, fields=tuple(fields),
        transform=transform, signature=(), declares_month=bool(spec.get("declares_month", True)),
        constants=constants, read=_read_options(spec, where), public_identifiers=tuple(public),
        units=dict(units), limits={k: float(v) for k, v in limits.items()}, source=where,
    )
    return layout, patterns is not None


def layouts_for(kind_spec: Any, source: Path, settings: Any) -> list[Layout]:
    """The layouts to try on a landing file: the mappings whose match fits it (only those), else the mappings
    without a match followed by the built-in layouts. Rejected (fix_mapping) if a mapping cannot be used."""
    explicit: list[Layout] = []
    general: list[Layout] = []
    for path in mapping_files(settings, kind_spec.kind):
        try:
            layout, is_explicit = load_mapping(path, kind_spec, source)
        except MappingError as error:
            raise Rejected(
                f"{source.name}: the mapping {error}. Correct the mapping file, then retry the file "
                f"(warehouse files retry {source.name}).",
                [Finding(0, None, "mapping file cannot be used")],
                message_ja=(f"{source.name}: 列の対応表（マッピング）を使えません: {error}。マッピングファイルを直してから、"
                            f"このファイルを読み直してください（warehouse files retry {source.name}）。"),
                next_step="fix_mapping", mapping_file=str(path),
            ) from error
        if layout is None:
            continue
        (explicit if is_explicit else general).append(layout)
    return explicit or [*general, *kind_spec.layouts]
