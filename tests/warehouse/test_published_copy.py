"""The published file's copy that a month's refresh starts while ingest runs (load.PublishedCopy)."""
from __future__ import annotations

import os
from pathlib import Path

from warehouse.refresh.load import PublishedCopy


class _SmallChunks(PublishedCopy):
    CHUNK = 4096  # many chunks even for a small file, so cancelling part-way is possible


def test_the_finished_copy_becomes_the_build_file(tmp_path: Path) -> None:
    source = tmp_path / "served.duckdb"
    source.write_bytes(os.urandom(5 * 4096 + 123))
    build = tmp_path / "build" / "20261129T000000Z-abcdef.duckdb"
    copy = _SmallChunks(source, build)
    assert copy.path.name == "20261129T000000Z-abcdef.base.duckdb"  # a run file: a killed run's copy is a leftover
    assert copy.take(build) is True
    assert build.read_bytes() == source.read_bytes()
    assert not copy.path.exists() and copy.taken
    copy.discard()  # after take: nothing left to remove, the build file stays
    assert build.exists()


def test_a_cancelled_copy_is_removed_and_never_taken(tmp_path: Path) -> None:
    source = tmp_path / "served.duckdb"
    source.write_bytes(os.urandom(64 * 4096))
    build = tmp_path / "build" / "20261129T000000Z-abcdef.duckdb"
    copy = _SmallChunks(source, build)
    copy.discard()
    assert not copy.path.exists()
    assert not build.exists() and not copy.taken


def test_a_copy_that_failed_is_not_taken(tmp_path: Path) -> None:
    build = tmp_path / "build" / "20261129T000000Z-abcdef.duckdb"
    copy = PublishedCopy(tmp_path / "missing.duckdb", build)
    assert copy.take(build) is False  # the load then copies the published file itself
    assert not build.exists()
    copy.discard()
