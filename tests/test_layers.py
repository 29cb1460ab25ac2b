"""No import runs from a lower layer back up (docs/architecture.md, "Layers")."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

from tests.conftest import REPO

# Lower number = lower layer; a module may import its own layer and the layers below.
LAYERS: list[tuple[str, int]] = [
    ("warehouse.platform", 0),
    ("warehouse.serving", 1),
    ("ingest", 1),
    ("expectations", 2),
    ("warehouse.products", 2),
    ("demo_data", 2),
    ("warehouse", 3),  # orchestration: refresh, verify, files, status, cli
    ("app", 4),
    ("bench", 5),
]


def layer_of(module: str) -> tuple[str, int] | None:
    for prefix, rank in LAYERS:
        if module == prefix or module.startswith(prefix + "."):
            return prefix, rank
    return None


def imports_of(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
    return names


def upward_imports() -> list[str]:
    found = []
    for top in {prefix.split(".")[0] for prefix, _ in LAYERS}:
        for path in sorted((REPO / top).rglob("*.py")):
            module = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
            source = layer_of(module)
            for name in imports_of(path):
                target = layer_of(name)
                if source and target and target[1] > source[1]:
                    found.append(f"{path.relative_to(REPO)} ({source[0]}) imports {name} ({target[0]})")
    return sorted(set(found))


def test_no_lower_layer_imports_a_higher_one():
    assert upward_imports() == []


def test_the_check_finds_an_upward_import(tmp_path, monkeypatch):
    """The check itself can fail: a platform module importing the refresh is reported."""
    module = sys.modules[__name__]

    fake = tmp_path / "warehouse" / "platform"
    fake.mkdir(parents=True)
    (fake / "bad.py").write_text("from warehouse.refresh import Refresh\n", encoding="utf-8")
    monkeypatch.setattr(module, "REPO", tmp_path)
    assert upward_imports() == ["warehouse/platform/bad.py (warehouse.platform) imports warehouse.refresh (warehouse)",
                                "warehouse/platform/bad.py (warehouse.platform) imports warehouse.refresh.Refresh (warehouse)"]
