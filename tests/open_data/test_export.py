"""`warehouse export` end to end on a small warehouse: files, encodings, catalog, and what must never leave."""
from __future__ import annotations

import json

import jsonschema
import numpy as np
import polars as pl
import pytest

from warehouse.products.disclosure import SUPPRESSED, TOTAL_LABEL
from warehouse.products.open_data import (
    catalog_schema,
    export_open_data,
    load_registry,
    published_item_count,
)

FORBIDDEN = {"staff_pseudo_id", "client_hash", "comment_ja", "source_detail", "decided_by"}


@pytest.fixture()
def exported(settings):
    steps: list[str] = []
    report = export_open_data(settings, progress=lambda step, done, total: steps.append(step))
    return settings, report, steps


def read_csv(path) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema=False, encoding="utf8")


def test_report_lists_exported_and_skipped_datasets(exported) -> None:
    settings, report, steps = exported
    assert report.datasets == ["certificate_issuance_monthly", "gis_usage_monthly", "facility_energy_monthly",
                               "facilities", "kpi_indicator_progress"]
    assert set(report.skipped) == {"web_access_monthly", "plan_measure_status", "previous_plan_evaluation"}
    assert "not in the published warehouse" in report.skipped["web_access_monthly"]
    assert report.k == 10 and report.suppressed_primary > 0 and report.suppressed_complementary > 0
    assert json.loads(json.dumps(report.to_dict()))["published_item_count"] == 5
    assert published_item_count(settings) == 5
    assert steps[0] == "certificate_issuance_monthly" and steps[-1] == "done"


def test_catalog_validates_against_the_published_schema(exported) -> None:
    settings, _, _ = exported
    catalog = json.loads((settings.open_dir / "catalog.json").read_text(encoding="utf-8"))
    jsonschema.validate(catalog, catalog_schema())
    dataset = {d["identifier"]: d for d in catalog["dataset"]}["certificate_issuance_monthly"]
    assert dataset["title"]["ja"].startswith("証明書交付件数") and dataset["title"]["en"]
    assert dataset["temporal"] == {"startDate": "2024-04-01", "endDate": "2024-09-01"}
    assert catalog["license"].startswith("https://creativecommons.org/licenses/by/4.0")
    assert {c["name"] for c in dataset["columns"]} == {"fiscal_month_start_date", "office_code",
                                                        "certificate_type_code", "channel_code", "issued_count"}
    for entry in dataset["distribution"]:
        assert (settings.open_dir / entry["downloadURL"]).stat().st_size == entry["byteSize"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**catalog, "license": "all rights reserved"}, catalog_schema())


def test_csv_has_bom_and_japanese_survives_in_every_format(exported) -> None:
    settings, _, _ = exported
    raw = (settings.open_dir / "gis_usage_monthly.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "都市計画課" in raw.decode("utf-8-sig")
    excel = pl.read_excel(settings.open_dir / "gis_usage_monthly.xlsx")
    assert "土木計画・交通安全課" in excel["department_name_ja"].to_list()
    parquet = pl.read_parquet(settings.open_dir / "gis_usage_monthly.parquet")
    assert parquet.equals(read_csv(settings.open_dir / "gis_usage_monthly.csv"))
    readme = (settings.open_dir / "README.md").read_text(encoding="utf-8")
    assert "ライセンス: CC BY 4.0" in readme and f"「{SUPPRESSED}」" in readme


def test_no_forbidden_column_in_any_file(exported) -> None:
    settings, _, _ = exported
    for path in settings.open_dir.glob("*.csv"):
        assert FORBIDDEN.isdisjoint(read_csv(path).columns), path.name
        assert "staff-" not in path.read_text(encoding="utf-8-sig"), path.name
    for path in settings.open_dir.glob("*.parquet"):
        assert FORBIDDEN.isdisjoint(pl.read_parquet(path).columns), path.name


def test_no_count_below_k_and_no_suppressed_cell_recoverable(exported) -> None:
    settings, _, _ = exported
    _, specs = load_registry()
    for spec in (s for s in specs if s.counts and (settings.open_dir / f"{s.id}.csv").exists()):
        frame = read_csv(settings.open_dir / f"{spec.id}.csv")
        strata = [d for d in spec.dimensions if d not in (spec.row_dimension, spec.column_dimension)]
        for count in spec.counts:
            published = frame.filter(pl.col(count) != SUPPRESSED)[count].cast(pl.Int64)
            assert ((published == 0) | (published >= 10)).all(), f"{spec.id}.{count} publishes a count below k"
            assert (frame[count] == SUPPRESSED).any()
            groups = frame.partition_by(strata, as_dict=True) if strata else {(): frame}
            for part in groups.values():
                attack_cross_table(part, spec.row_dimension, spec.column_dimension, count)


def attack_cross_table(part: pl.DataFrame, row_dim: str, col_dim: str, count: str) -> None:
    """Rebuild one published cross table with its totals and try to recompute every 'x' by subtraction."""
    rows = sorted(set(part[row_dim]) - {TOTAL_LABEL}) + [TOTAL_LABEL]
    cols = sorted(set(part[col_dim]) - {TOTAL_LABEL}) + [TOTAL_LABEL]
    value = {(r, c): v for r, c, v in part.select(row_dim, col_dim, count).iter_rows()}
    lines = [[(r, c) for c in cols] for r in rows] + [[(r, c) for r in rows] for c in cols]
    known = {cell: (0 if cell not in value else int(value[cell])) for cell in
             ((r, c) for r in rows for c in cols) if value.get(cell, "0") != SUPPRESSED}
    for line in lines:  # one pass is enough: a line with exactly one unknown is already a leak
        unknown = [cell for cell in line if cell not in known]
        assert len(unknown) != 1, f"{count} at {unknown[0]} = total minus the published cells"
    grid_ok = np.array([[value.get((r, c), "0") for c in cols] for r in rows])
    assert grid_ok.shape == (len(rows), len(cols))


def test_a_second_export_replaces_the_first(exported) -> None:
    settings, _, _ = exported
    (settings.open_dir / "stale.csv").write_text("old")
    export_open_data(settings)
    assert not (settings.open_dir / "stale.csv").exists()
    assert not list(settings.open_dir.parent.glob(".open.*"))


def test_export_without_a_published_warehouse(tmp_path) -> None:
    from warehouse.platform.settings import load_settings

    with pytest.raises(FileNotFoundError, match="No published warehouse"):
        export_open_data(load_settings(home=tmp_path))
    assert published_item_count(load_settings(home=tmp_path)) == 0


def test_registry_is_well_formed() -> None:
    publisher, specs = load_registry()
    assert publisher["license"] == "CC BY 4.0"
    assert len({s.id for s in specs}) == len(specs)
    for spec in specs:
        assert spec.title_ja and spec.title_en and spec.description_ja and spec.description_en
        assert set(spec.counts) <= set(spec.dimensions) | set(spec.counts)
        if spec.counts:
            assert {spec.row_dimension, spec.column_dimension} <= set(spec.dimensions)
