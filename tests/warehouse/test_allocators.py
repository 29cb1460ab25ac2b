"""The refresh's allocator settings: jemalloc's reach polars only when set before it is imported (polars then
sets its own default), an operator's own _RJEM_MALLOC_CONF wins, and glibc's thresholds are set in the process."""
from __future__ import annotations

import json
import os
import subprocess
import sys

PROBE = """
import json, os, sys
from warehouse.platform.allocators import tune_for_batch
{before}
applied = tune_for_batch()
print(json.dumps({{"applied": applied, "conf": os.environ.get("_RJEM_MALLOC_CONF")}}))
"""


def _probe(before: str = "", **env: str) -> dict:
    environment = {key: value for key, value in os.environ.items() if key != "_RJEM_MALLOC_CONF"} | env
    done = subprocess.run([sys.executable, "-c", PROBE.format(before=before)], capture_output=True, text=True,
                          env=environment, check=True)
    return json.loads(done.stdout)


def test_the_batch_settings_apply_before_polars_is_imported() -> None:
    from warehouse.platform.allocators import JEMALLOC_CONF

    result = _probe()
    assert result["conf"] == JEMALLOC_CONF
    assert result["applied"][0] == f"jemalloc {JEMALLOC_CONF}"
    assert any(item.startswith("glibc") for item in result["applied"])  # these machines run glibc


def test_after_polars_is_imported_only_glibc_is_tuned() -> None:
    from warehouse.platform.allocators import JEMALLOC_CONF

    result = _probe("import polars")
    assert result["conf"] != JEMALLOC_CONF  # polars set its own default when it was imported
    assert [item for item in result["applied"] if item.startswith("jemalloc")] == []


def test_an_operators_own_jemalloc_setting_wins() -> None:
    result = _probe(_RJEM_MALLOC_CONF="dirty_decay_ms:0")
    assert result["conf"] == "dirty_decay_ms:0"
    assert not any(item.startswith("jemalloc") for item in result["applied"])
