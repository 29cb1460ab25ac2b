"""Open-data exports: every public dataset in open_data.toml to open/ (CSV with BOM, Parquet, Excel) with a catalog.

Counts are published only under disclosure control: cells below k ([privacy] min_publishable_count) are
suppressed and shown as 'x', as official statistics do, and complementary suppression makes sure no suppressed
cell can be recomputed from the published row and column totals. The data is read through the SQL sandbox, so
schema raw and columns marked sensitive cannot be exported; pseudonymous ids and free text are dropped too.
"""
from __future__ import annotations

import json
import os
import shutil
import time
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from ingest.registry import LINEAGE_COLUMN_NAMES, SENSITIVE_COLUMNS
from warehouse.platform import durable
from warehouse.platform.faults import kill_point
from warehouse.products.disclosure import SUPPRESSED, TOTAL_LABEL, protect_counts
from warehouse.products.xlsx import write_xlsx
from warehouse.serving.sandbox import QueryFailed, QueryRefused, Sandbox, open_sandbox

REGISTRY_FILE = Path(__file__).with_name("open_data.toml")
SCHEMA_FILE = Path(__file__).with_name("schemas") / "open_data_catalog.schema.json"
CATALOG_NAME = "catalog.json"
NEVER_EXPORTED = SENSITIVE_COLUMNS | LINEAGE_COLUMN_NAMES  # from the ingest contracts
NEVER_EXPORTED_SUFFIXES = ("_pseudo_id", "_hash", "comment_ja")  # pseudonymous ids and free text
EXPORT_TIMEOUT_SECONDS = 300  # a dataset query may scan a whole fact table
EXPORT_MAX_ROWS = 5_000_000  # far above any mart; a larger result fails loudly instead of being cut

Progress = Callable[[str, int, int], None]


# --- registry ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DatasetSpec:
    id: str
    table: str
    title_ja: str
    title_en: str
    description_ja: str
    description_en: str
    update_frequency: str
    dimensions: tuple[str, ...] = ()
    counts: tuple[str, ...] = ()
    row_dimension: str | None = None
    column_dimension: str | None = None
    exclude_columns: tuple[str, ...] = ()
    temporal_column: str | None = None


def load_registry(path: Path = REGISTRY_FILE) -> tuple[dict[str, Any], list[DatasetSpec]]:
    """The publisher block and the dataset specs; a malformed entry is reported with its file and id."""
    with path.open("rb") as handle:
        raw = tomllib.load(handle)
    specs: list[DatasetSpec] = []
    for number, entry in enumerate(raw.get("dataset", []), start=1):
        try:
            spec = DatasetSpec(**{k: tuple(v) if isinstance(v, list) else v for k, v in entry.items()})
        except TypeError as exc:
            raise ValueError(f"{path}: dataset #{number} ({entry.get('id', '?')}): {exc}. "
                             "Check the keys against the comment at the top of the file.") from exc
        if spec.counts and not (spec.row_dimension and spec.column_dimension):
            raise ValueError(f"{path}: dataset {spec.id} has counts but no row_dimension/column_dimension: "
                             "name the two dimensions whose totals are published.")
        specs.append(spec)
    return raw.get("publisher", {}), specs


def is_never_exported(column: str, sensitive: Iterable[str] = ()) -> bool:
    """True for sensitive columns, pseudonymous ids, lineage and free-text columns."""
    name = column.lower()
    return name in NEVER_EXPORTED or name in set(sensitive) or name.endswith(NEVER_EXPORTED_SUFFIXES)


# --- export --------------------------------------------------------------------------------------------------

@dataclass
class ExportReport:
    open_dir: str
    k: int
    datasets: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    suppressed_primary: int = 0
    suppressed_complementary: int = 0
    elapsed_seconds: float = 0.0

    @property
    def published_item_count(self) -> int:
        return len(self.datasets)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "published_item_count": self.published_item_count}


def _exportable_columns(sandbox: Sandbox, spec: DatasetSpec) -> pl.DataFrame:
    """Columns of the dataset's table that may leave the warehouse, with their descriptions."""
    columns = sandbox.tables().filter((pl.col("schema") == "main") & (pl.col("table") == spec.table))
    if columns.is_empty():
        raise LookupError(f"table main.{spec.table} is not in the published warehouse")
    sensitive = sandbox.sensitive_columns
    keep = [not is_never_exported(c, sensitive) and c not in spec.exclude_columns for c in columns["column"]]
    columns = columns.filter(pl.Series(keep))
    missing = [c for c in (*spec.dimensions, *spec.counts) if c not in columns["column"].to_list()]
    if missing:
        raise LookupError(f"open_data.toml dataset {spec.id}: columns {missing} are not exportable columns of "
                          f"main.{spec.table}; fix the registry to match the model's YAML")
    return columns


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_dataset(sandbox: Sandbox, spec: DatasetSpec, columns: pl.DataFrame) -> pl.DataFrame:
    """The dataset's rows through the sandbox: summed to its dimensions when it has counts."""
    table = f"main.{_quoted(spec.table)}"
    if spec.counts:
        dims = ", ".join(_quoted(d) for d in spec.dimensions)
        sums = ", ".join(f"sum({_quoted(c)})::bigint as {_quoted(c)}" for c in spec.counts)
        sql = f"select {dims}, {sums} from {table} group by {dims} order by {dims}"
    else:
        names = ", ".join(_quoted(c) for c in columns["column"])
        sql = f"select {names} from {table} order by all"
    result = sandbox.query(sql, max_rows=EXPORT_MAX_ROWS)
    if result.truncated:
        raise QueryFailed(f"{spec.table} has more than {EXPORT_MAX_ROWS} rows; aggregate it in a mart first")
    return result.frame


def _temporal(frame: pl.DataFrame, column: str | None) -> dict[str, str] | None:
    """First and last date of the dataset (ignoring total rows)."""
    if not column or column not in frame.columns:
        return None
    values = frame.filter(pl.col(column).cast(pl.String) != TOTAL_LABEL)[column].cast(pl.String).drop_nulls()
    if values.is_empty():
        return None
    return {"startDate": str(values.min())[:10], "endDate": str(values.max())[:10]}


def _write_files(frame: pl.DataFrame, target: Path, spec: DatasetSpec) -> list[dict[str, Any]]:
    """CSV (UTF-8 with BOM, for Excel), Parquet and Excel files; their catalog distributions."""
    csv_path, parquet_path, xlsx_path = (target / f"{spec.id}.{ext}" for ext in ("csv", "parquet", "xlsx"))
    frame.write_csv(csv_path, include_bom=True)
    frame.write_parquet(parquet_path)
    write_xlsx(frame, xlsx_path, spec.id)
    formats = [(csv_path, "CSV", "text/csv"), (parquet_path, "Parquet", "application/vnd.apache.parquet"),
               (xlsx_path, "XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")]
    return [{"format": fmt, "mediaType": media, "downloadURL": path.name, "byteSize": path.stat().st_size,
             **({"characterEncoding": "UTF-8 (BOM)"} if fmt == "CSV" else {})}
            for path, fmt, media in formats]


def _column_dictionary(frame: pl.DataFrame, columns: pl.DataFrame, spec: DatasetSpec) -> list[dict[str, Any]]:
    """Name, type and description of every exported column, noting suppression and totals."""
    described = dict(zip(columns["column"], columns["description"]))
    entries = []
    for name, dtype in frame.schema.items():
        text = described.get(name, "") or ""
        if name in spec.counts:
            text += f" 秘匿された値は「{SUPPRESSED}」(suppressed values are '{SUPPRESSED}')."
        if name in spec.dimensions and spec.counts and name in (spec.row_dimension, spec.column_dimension):
            text += f" 「{TOTAL_LABEL}」は合計行 ('{TOTAL_LABEL}' marks a total row)."
        entries.append({"name": name, "datatype": str(dtype), "description": text.strip()})
    return entries


def read_change_log(sandbox: Sandbox) -> list[dict[str, Any]]:
    """meta.publish_change_log of the exported file, newest first: one entry per publish (none in older files)."""
    try:
        frame = sandbox.query(
            "select version_id, published_at, compared_with_version, note, marts_changed, rows_added, rows_removed, "
            "rows_changed, indicator_values_changed from meta.publish_change_log order by published_at desc", []).frame
    except (QueryRefused, QueryFailed):
        return []
    return [{**row, "published_at": row["published_at"].isoformat() if row["published_at"] else None}
            for row in frame.to_dicts()]


def build_catalog(publisher: dict[str, Any], datasets: list[dict[str, Any]], k: int,
                  change_log: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The DCAT-style catalog: one entry per published dataset in catalog['dataset'], and per publish what it
    changed against the one before in catalog['change_log'] (newest first)."""
    return {
        "@context": "https://www.w3.org/ns/dcat3.jsonld",
        "@type": "dcat:Catalog",
        "title": {"ja": "板橋区 ICT推進・活用計画 オープンデータ", "en": "Itabashi ICT Plan open data"},
        "description": {"ja": "板橋区ICT推進・活用計画2020の進捗管理に用いるデータのうち公開可能なもの。",
                        "en": "The publishable data behind the progress tracking of Itabashi's ICT Plan 2020."},
        "publisher": {"name": {"ja": publisher.get("name_ja", "板橋区"), "en": publisher.get("name_en", "")},
                      "department_ja": publisher.get("department_ja", "")},
        "license": publisher.get("license_url", "https://creativecommons.org/licenses/by/4.0/"),
        "license_name": publisher.get("license", "CC BY 4.0"),
        "issued": datetime.now(UTC).isoformat(timespec="seconds"),
        "disclosure_control": {"min_publishable_count": k, "suppressed_marker": SUPPRESSED,
                               "method_ja": f"{k}未満の件数を秘匿し、合計から逆算できないよう補完秘匿を行う",
                               "method_en": f"counts below {k} suppressed, with complementary suppression"},
        "dataset": datasets,
        "change_log": change_log or [],
    }


def readme_ja(catalog: dict[str, Any]) -> str:
    """The Japanese README of open/: what each file is, the license, and what 'x' means."""
    k = catalog["disclosure_control"]["min_publishable_count"]
    lines = [f"# {catalog['title']['ja']}", "", catalog["description"]["ja"], "",
             f"- 公開者: {catalog['publisher']['name']['ja']} {catalog['publisher']['department_ja']}",
             f"- ライセンス: {catalog['license_name']}（{catalog['license']}）。出典を明記のうえ自由に利用できます。",
             f"- 作成日時: {catalog['issued']}", "- 文字コード: CSVはBOM付きUTF-8（Excelでそのまま開けます）",
             (f"- 秘匿: {k}未満の件数は「{SUPPRESSED}」で表示しています。合計から逆算できないよう、"
              f"一部の件数や合計も「{SUPPRESSED}」（補完秘匿）にしています。「{TOTAL_LABEL}」は合計の行です。"),
             "- 機械判読用のカタログ: catalog.json（DCAT形式）", "", "## データセット", ""]
    for dataset in catalog["dataset"]:
        files = "、".join(d["downloadURL"] for d in dataset["distribution"])
        period = dataset.get("temporal") or {}
        span = f"{period.get('startDate')}〜{period.get('endDate')}" if period else "—"
        lines += [f"### {dataset['title']['ja']}", "", dataset["description"]["ja"], "",
                  f"- ファイル: {files}", f"- 更新頻度: {dataset['accrualPeriodicity']}", f"- 期間: {span}",
                  f"- 行数: {dataset['row_count']}", ""]
    lines += ["## 変更履歴（公開ごとの前回公開からの変更）", ""]
    for entry in catalog.get("change_log") or []:
        if entry["compared_with_version"] is None:
            lines.append(f"- {entry['published_at']} {entry['version_id']}: {entry['note'] or '比較する前回の公開版なし'}")
        else:
            lines.append(f"- {entry['published_at']} {entry['version_id']}（{entry['compared_with_version']} と比較）: "
                         f"変更のあった表 {entry['marts_changed']}、行の追加 {entry['rows_added']}・削除 "
                         f"{entry['rows_removed']}・変更 {entry['rows_changed']}、指標値の変更 "
                         f"{entry['indicator_values_changed']}")
    return "\n".join(lines) + "\n"


def export_dataset(sandbox: Sandbox, spec: DatasetSpec, target: Path, k: int,
                   publisher: dict[str, Any]) -> tuple[dict[str, Any], dict[str, int]]:
    """Read, protect and write one dataset; its catalog entry and suppression counts."""
    columns = _exportable_columns(sandbox, spec)
    frame = read_dataset(sandbox, spec, columns)
    stats = {"primary": 0, "complementary": 0}
    if spec.counts:
        frame, stats = protect_counts(frame, spec, k)
    leaked = [c for c in frame.columns if is_never_exported(c, sandbox.sensitive_columns)]
    if leaked:  # pragma: no cover - _exportable_columns already dropped them
        raise RuntimeError(f"refusing to export {spec.id}: columns {leaked} must never be published")
    entry = {
        "identifier": spec.id,
        "title": {"ja": spec.title_ja, "en": spec.title_en},
        "description": {"ja": spec.description_ja, "en": spec.description_en},
        "publisher": {"ja": publisher.get("name_ja", "板橋区"), "en": publisher.get("name_en", "")},
        "license": publisher.get("license_url", "https://creativecommons.org/licenses/by/4.0/"),
        "accrualPeriodicity": spec.update_frequency,
        "temporal": _temporal(frame, spec.temporal_column),
        "source_table": f"main.{spec.table}",
        "row_count": frame.height,
        "columns": _column_dictionary(frame, columns, spec),
        "suppression": {"count_columns": list(spec.counts), "primary_cells": stats["primary"],
                        "complementary_cells": stats["complementary"]},
        "distribution": _write_files(frame, target, spec),
    }
    return entry, stats


def export_open_data(settings: Any, *, progress: Progress | None = None, registry_path: Path = REGISTRY_FILE,
                     db_path: Path | None = None, target_dir: Path | None = None) -> ExportReport:
    """Write every public dataset to open/, replacing the previous export only when all is written.

    By default it reads the served warehouse and writes the served open/ (through the `open` link into the
    current release folder). A publish passes db_path (the new release's file) and target_dir (its open/), so
    the export is part of the release before it is switched in.
    """
    started = time.perf_counter()
    k = int(settings.get("privacy", "min_publishable_count"))
    publisher, specs = load_registry(registry_path)
    open_dir = Path(target_dir) if target_dir is not None else Path(settings.open_dir)
    if open_dir.is_symlink():  # the served open/ -> current/open: write inside that release folder
        open_dir = open_dir.resolve()
    report = ExportReport(open_dir=str(open_dir), k=k)
    staging = open_dir.with_name(f".{open_dir.name}.tmp-{os.getpid()}")
    entries: list[dict[str, Any]] = []
    with open_sandbox(settings, db_path=db_path, timeout_seconds=EXPORT_TIMEOUT_SECONDS,
                      max_rows=EXPORT_MAX_ROWS) as sandbox:
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for number, spec in enumerate(specs, start=1):
            if progress:
                progress(spec.id, number - 1, len(specs))
            try:
                entry, stats = export_dataset(sandbox, spec, staging, k, publisher)
            except (LookupError, QueryRefused, QueryFailed) as exc:
                report.skipped[spec.id] = str(exc)
                continue
            entries.append(entry)
            report.datasets.append(spec.id)
            report.suppressed_primary += stats["primary"]
            report.suppressed_complementary += stats["complementary"]
            kill_point("open_data.after_dataset")
        change_log = read_change_log(sandbox)
    catalog = build_catalog(publisher, entries, k, change_log)
    (staging / CATALOG_NAME).write_text(json.dumps(catalog, ensure_ascii=False, indent=2), encoding="utf-8")
    (staging / "README.md").write_text(readme_ja(catalog), encoding="utf-8")
    _fsync_tree(staging)
    kill_point("open_data.before_swap")
    _swap_in(staging, open_dir)
    if progress:
        progress("done", len(specs), len(specs))
    report.elapsed_seconds = round(time.perf_counter() - started, 3)
    return report


def _fsync_tree(root: Path) -> None:
    for folder, _, files in os.walk(root):
        for name in files:
            durable.fsync_file(Path(folder) / name)
        durable.fsync_dir(Path(folder))


def _swap_in(staging: Path, open_dir: Path) -> None:
    """Replace open/ by the finished export (readers never see a half-written folder for long; a kill between
    the two renames is undone by the next command's home check, which puts .open.old-* back)."""
    old = open_dir.with_name(f".{open_dir.name}.old-{os.getpid()}")
    if open_dir.exists():
        os.replace(open_dir, old)
        kill_point("open_data.between_renames")
    os.replace(staging, open_dir)
    durable.fsync_dir(open_dir.parent)
    shutil.rmtree(old, ignore_errors=True)


def read_catalog(settings: Any) -> dict[str, Any] | None:
    """The published open-data catalog, or None before the first export."""
    try:
        return json.loads((Path(settings.open_dir) / CATALOG_NAME).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def published_item_count(settings: Any) -> int:
    """Number of open-data datasets published (plan indicator M01-1); 0 before the first export."""
    catalog = read_catalog(settings)
    return len(catalog["dataset"]) if catalog else 0


def catalog_schema() -> dict[str, Any]:
    """The JSON schema the project publishes for open/catalog.json."""
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
