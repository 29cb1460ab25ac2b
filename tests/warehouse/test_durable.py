"""Deferred durability (issue 12): in a durable.deferred() scope files are renamed at once but fsynced by none;
flush() makes them durable with one syncfs(2) per filesystem (or deduplicated fsyncs without it), and the lake's
commit point, the manifest write, flushes before it lists them. os.fsync, syncfs and os.replace are wrapped only
to count and order the real calls."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ingest import ingest_landing
from ingest.common import lake
from tests.ingest.conftest import CERT_HEADER, write_csv
from warehouse.platform import durable
from warehouse.platform.settings import load_settings


class Calls:
    """The real fsync, syncfs and os.replace calls, in order: ("fsync", path), ("syncfs", path), ("replace", name)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, syncfs: bool) -> None:
        self.events: list[tuple[str, str]] = []
        real_fsync, real_replace, real_syncfs = os.fsync, os.replace, durable._SYNCFS

        def fsync(descriptor: int) -> None:
            self.events.append(("fsync", os.readlink(f"/proc/self/fd/{descriptor}")))
            real_fsync(descriptor)

        def counted_syncfs(descriptor: int) -> int:
            self.events.append(("syncfs", os.readlink(f"/proc/self/fd/{descriptor}")))
            return real_syncfs(descriptor)

        def replace(source: str | Path, target: str | Path) -> None:
            self.events.append(("replace", Path(target).name))
            real_replace(source, target)

        monkeypatch.setattr(os, "fsync", fsync)
        monkeypatch.setattr(os, "replace", replace)
        monkeypatch.setattr(durable, "_SYNCFS", counted_syncfs if syncfs else None)

    def of(self, kind: str) -> list[str]:
        return [path for event, path in self.events if event == kind]


@pytest.fixture()
def with_syncfs(monkeypatch: pytest.MonkeyPatch) -> Calls:
    if durable._SYNCFS is None:
        pytest.skip("no syncfs(2) on this platform")
    return Calls(monkeypatch, syncfs=True)


@pytest.fixture()
def without_syncfs(monkeypatch: pytest.MonkeyPatch) -> Calls:
    return Calls(monkeypatch, syncfs=False)


def _write_some(root: Path) -> None:
    """Files in two folders, one written twice, one copied, one moved over, and one folder removed again."""
    durable.write_bytes(root / "a" / "x.bin", b"first")
    durable.write_bytes(root / "a" / "x.bin", b"second")
    durable.copy_file(root / "a" / "x.bin", root / "a" / "y.bin")
    (root / "b").mkdir()
    (root / "b" / "z.tmp").write_bytes(b"zed")
    durable.replace(root / "b" / "z.tmp", root / "b" / "z.bin")
    durable.write_text(root / "gone" / "w.txt", "staging")
    shutil.rmtree(root / "gone")


def test_deferred_writes_fsync_nothing_and_flush_is_one_syncfs(tmp_path: Path, with_syncfs: Calls) -> None:
    with durable.deferred():
        _write_some(tmp_path)
        assert with_syncfs.events == [("replace", "x.bin"), ("replace", "x.bin"), ("replace", "y.bin"),
                                      ("replace", "z.bin"), ("replace", "w.txt")]
        assert (tmp_path / "a" / "x.bin").read_bytes() == b"second" and (tmp_path / "b" / "z.bin").exists()
        durable.flush()
        assert with_syncfs.of("syncfs") == [str(tmp_path / "a")] and with_syncfs.of("fsync") == []
        durable.flush()  # nothing new: nothing to do
        durable.write_bytes(tmp_path / "a" / "later.bin", b"later")
    assert with_syncfs.of("syncfs") == [str(tmp_path / "a"), str(tmp_path / "a")]  # leaving the scope flushes
    assert with_syncfs.of("fsync") == []


def test_without_syncfs_flush_fsyncs_each_file_and_folder_once(tmp_path: Path, without_syncfs: Calls) -> None:
    with durable.deferred():
        _write_some(tmp_path)
        assert without_syncfs.of("fsync") == []
        durable.flush()
    assert sorted(without_syncfs.of("fsync")) == sorted(
        str(tmp_path / name) for name in ("a/x.bin", "a/y.bin", "b/z.bin", "a", "b"))


def test_outside_a_scope_every_write_is_durable_at_once(tmp_path: Path, with_syncfs: Calls) -> None:
    durable.write_bytes(tmp_path / "x.bin", b"x")
    durable.flush()
    assert with_syncfs.events == [("fsync", str(tmp_path / f".x.bin.tmp-{os.getpid()}")), ("replace", "x.bin"),
                                  ("fsync", str(tmp_path))]


@pytest.mark.parametrize("syncfs", [True, False])
def test_write_manifest_flushes_the_deferred_parts_before_it_lists_them(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch,
                                                                        syncfs: bool) -> None:
    if syncfs and durable._SYNCFS is None:
        pytest.skip("no syncfs(2) on this platform")
    lake_dir = tmp_path / "lake"
    lake.write_manifest(lake_dir, [])
    calls = Calls(monkeypatch, syncfs=syncfs)
    part = lake_dir / "certificate_issuances" / "fiscal_month=2020-04" / "abc.parquet"
    with durable.deferred():
        durable.write_bytes(part, b"a part")
        lake.write_manifest(lake_dir, [])
        events = list(calls.events)
    flushed = ("syncfs", str(part.parent)) if syncfs else ("fsync", str(part))
    assert flushed in events
    manifest = events.index(("replace", lake.MANIFEST_NAME))
    assert events.index(flushed) < manifest
    assert events[manifest + 1:] == [("fsync", str(lake_dir))]  # the commit point itself is durable at once
    assert calls.events == events  # nothing was left for leaving the scope


def _certificates(month: int) -> list[list[object]]:
    return [CERT_HEADER] + [[f"令和2年{month}月{day}日", "本庁舎", "住民票の写し", "窓口", str(day)] for day in (1, 2)]


def test_ingest_syncs_per_manifest_write_not_per_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       with_syncfs: Calls) -> None:
    counts = {}
    for files in (1, 6):
        monkeypatch.setenv("WAREHOUSE_HOME", str(tmp_path / f"home{files}"))
        monkeypatch.setenv("WAREHOUSE_INGEST_SALT_FILE", str(tmp_path / "ip_salt"))
        settings = load_settings()
        for month in range(4, 4 + files):
            write_csv(settings.landing_dir / "certificates" / f"c_2020-{month:02d}.csv", _certificates(month), "cp932")
        with_syncfs.events.clear()
        report = ingest_landing(settings, f"r{files}")
        assert [f.status for f in report.files] == ["loaded"] * files
        assert len(list(settings.archive_dir.glob(f"*/*/{lake.ORIGIN_NAME}"))) == files
        counts[files] = (len(with_syncfs.of("fsync")), len(with_syncfs.of("syncfs")))
    assert counts[6] == counts[1] and counts[1][1] >= 1


def test_a_file_memo_keeps_a_value_only_while_the_file_is_unchanged(tmp_path: Path) -> None:
    """durable.FileMemo (the shared manifest rows, the record of verified parts): a replace, a rewrite in place or
    a removal of the file makes the kept value a miss, so a step never reads a document older than the file."""
    path = tmp_path / "doc.json"
    memo = durable.FileMemo()
    durable.write_text(path, "one")
    state, value = memo.get(path)
    assert value is None and state is not None
    memo.put(path, state, "parsed one")
    assert memo.get(path) == (state, "parsed one")
    durable.write_text(path, "two")  # replaced by a rename: another inode
    assert memo.get(path)[1] is None
    memo.put(path, durable.file_state(path), "parsed two")
    with path.open("a") as handle:  # rewritten in place: another size
        handle.write("!")
    assert memo.get(path)[1] is None
    memo.put(path, durable.file_state(path), "parsed two!")
    path.unlink()
    assert memo.get(path) == (None, None)
    assert memo.get(tmp_path / "other.json") == (None, None)
