"""Shared fixtures: a demo warehouse home built once per session by the real pipeline."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# Tests write landing files and ingest them at once; the settle time ([ingest] settle_seconds) is tested on its own.
os.environ.setdefault("WAREHOUSE_INGEST_SETTLE_SECONDS", "0")

REPO = Path(__file__).resolve().parent.parent
WAREHOUSE = str(Path(sys.executable).with_name("warehouse"))

# The demo span the suite uses: six fiscal years (FY2015-FY2020) so the plan's baselines and its
# final year are both present, seen from a pinned "today" so results never depend on the calendar.
DEMO_START, DEMO_END, DEMO_AS_OF = "2015-04", "2021-03", "2021-04-20"


def warehouse_env(home: Path, **extra: str) -> dict[str, str]:
    """Environment for running the CLI against an isolated home."""
    env = {**os.environ, "WAREHOUSE_HOME": str(home), "WAREHOUSE_AS_OF_DATE": DEMO_AS_OF,
           "WAREHOUSE_INGEST_SALT_FILE": str(home.parent / "ip_salt"), "GX_ANALYTICS_ENABLED": "false"}
    env.update(extra)
    return env


def run_warehouse(home: Path, *args: str, check: bool = False, **extra: str) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run([WAREHOUSE, *args], check=False, env=warehouse_env(home, **extra), capture_output=True,
                               text=True, cwd=REPO, timeout=900)
    if check and completed.returncode != 0:
        raise AssertionError(f"warehouse {' '.join(args)} exited {completed.returncode}:\n"
                             f"{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}")
    return completed


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home after `warehouse demo` over DEMO_START..DEMO_END. Read-only for tests: copy it to change it."""
    home = tmp_path_factory.mktemp("demo") / "home"
    run_warehouse(home, "demo", "--start", DEMO_START, "--end", DEMO_END, check=True)
    return home


@pytest.fixture()
def demo_home_copy(demo_home: Path, tmp_path: Path) -> Path:
    """A private copy of the demo home that a test may change."""
    home = tmp_path / "home"
    shutil.copytree(demo_home, home, symlinks=True)
    if (demo_home.parent / "ip_salt").exists():
        shutil.copy2(demo_home.parent / "ip_salt", tmp_path / "ip_salt")
    return home


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules marked slow (whole refreshes) first: under `make test` (pytest-xdist, one module per worker at a
    time) a ten-minute module that starts last would leave the other core idle. Stable, so every worker agrees."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
