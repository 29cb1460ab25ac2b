"""The example mappings in docs/ are valid for the kind folder they name, and mapping mistakes are said in words."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from ingest import KINDS
from ingest.common.mapping import MappingError, load_mapping

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "docs" / "mappings" / "examples").glob("*.toml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_mapping_loads_for_its_kind(path: Path) -> None:
    kind = re.search(r"mappings/(\w+)/", path.read_text(encoding="utf-8")).group(1)
    spec = tomllib.loads(path.read_text(encoding="utf-8"))
    source = Path("landing") / kind / spec["match"][0].replace("*", "2020")
    layout, explicit = load_mapping(path, KINDS[kind], source)
    assert layout is not None and explicit
    assert layout.table in KINDS[kind].contracts


def test_examples_exist_for_several_kinds() -> None:
    kinds = {re.search(r"mappings/(\w+)/", p.read_text(encoding="utf-8")).group(1) for p in EXAMPLES}
    assert {"energy", "certificates", "gis", "indicator_reports"} <= kinds


@pytest.mark.parametrize("text, words", [
    ('match = ["a.csv"]\ntable = "facilities"\n[columns]\nnot_a_column = "x"\n', "not a column"),
    ('match = ["a.csv"]\n', "say which lake table"),
    ('match = ["a.csv"]\ntable = "nope"\n', "not a table of kind energy"),
    ('match = ["a.csv"]\ntable = "energy_readings_interval"\n[units]\nusage_value = "kcal"\n', "known units"),
    ('match = ["a.csv"]\ntable = "energy_readings_interval"\nfrobnicate = 1\n', "unknown setting"),
    ('match = ["a.csv"\n', "not valid TOML"),
])
def test_mapping_mistakes_are_named(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "m.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MappingError, match=words):
        load_mapping(path, KINDS["energy"], Path("landing/energy/a.csv"))
