"""The fast path (a well-formed CSV decoded at once and split by polars) and the streaming reader give the same
lake, the same manifest and the same refusals, over the sample extracts, the real-shape fixtures and bad files."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from ingest import ingest_landing
from ingest.common import lake
from ingest.common.reader import open_table
from ingest.registry import KINDS
from tests.ingest.conftest import REAL, certificate_rows, write_csv
from tests.ingest.shapes import (
    common_log_lines,
    kokyo_shisetsu_rows,
    my_number_like_ids,
    nginx_main_lines,
    write_text,
)
from warehouse.platform.settings import load_settings

GIS_HEADER = ["日時", "職員ID", "所属", "操作", "地図名"]
# Manifest fields that differ between two loads of the same bytes: when, by which run, from which home.
RUN_FIELDS = {"loaded_at", "run_id", "path", "mtime_ns"}


def _landing(folder: Path) -> Path:
    """Two months of sample extracts, real-shape files, and files each refused for another reason."""
    from demo_data import write_sample_extracts

    write_sample_extracts(folder, start_month="2021-02", end_month="2021-03", seed=20160201, real_data_dir=REAL)
    write_csv(folder / "energy" / "kokyo_shisetsu_56.csv", kokyo_shisetsu_rows(my_number_like_ids()))
    write_text(folder / "web_access" / "access_shapes.log", "\n".join(common_log_lines()) + "\n")
    shutil.copyfile(REAL / "web_access" / "elastic_apache_logs_semicomplete_2015.log",
                    folder / "web_access" / "elastic_apache_2015.log")
    nginx = nginx_main_lines()
    write_text(folder / "web_access" / "access_crlf_blank.log", "\r\n".join([nginx[0], "  ", *nginx[1:]]) + "\r\n")
    write_text(folder / "web_access" / "access_lone_cr.log", "\r".join(common_log_lines()) + "\n")
    write_text(folder / "web_access" / "access_bad_line.log",
               "\n".join([*common_log_lines()[:2], "GET /index.html 200", *common_log_lines()[2:]]) + "\n")
    write_text(folder / "web_access" / "access_cut_off.log", "\n".join(nginx) + "\n" + nginx[0][:40])
    write_csv(folder / "certificates" / "c_2020-04.csv", certificate_rows(), "cp932")
    bad_values = certificate_rows()
    bad_values[2][4] = "多数"
    bad_values[4][0] = "令和2年5月1日"
    write_csv(folder / "certificates" / "c_bad_2020-04.csv", bad_values, "utf-8-sig")
    write_csv(folder / "certificates" / "c_duplicate_2020-04.csv", [*certificate_rows(), certificate_rows()[1]])
    rows = [GIS_HEADER, ["2020-04-01 09:00", "S1", "IT推進課", "ログイン", ""],
            ["2020-04-01 24:00", "S2", "IT推進課", "地図表示", "都市計画図"],
            ["令和2年4月2日 9時5分", "S3", "IT推進課", "地図表示", "連絡先 someone@example.jp"]]
    write_csv(folder / "gis" / "gis_pii_2020-04.csv", rows)
    write_csv(folder / "gis" / "gis_quoted_2020-04.csv", [*rows[:3], ["2020-04-03 10:00", "S4", "課,係", "印刷", "地図"]])
    write_text(folder / "gis" / "gis_blank_line_2020-04.csv",
               "日時,職員ID,所属,操作,地図名\n2020-04-01 09:00,S1,IT推進課,ログイン,\n\n"
               "2020-04-02 09:00,S2,IT推進課,地図表示,区域図\n")
    write_text(folder / "gis" / "gis_short_row_2020-04.csv",
               "日時,職員ID,所属,操作,地図名\n2020-04-01 09:00,S1,IT推進課,ログイン,\n2020-04-02 09:00,S2\n")
    # as many commas as a good file, one row long and one short: only splitting the rows finds it, and the bulk
    # batch it joined is then read file by file
    write_text(folder / "gis" / "gis_long_and_short_2020-04.csv",
               "日時,職員ID,所属,操作,地図名\n2020-04-01 09:00,S1,IT推進課,ログイン,,x\n2020-04-02 09:00,S2,IT推進課,ログイン\n")
    write_text(folder / "gis" / "gis_cut_off_2020-04.csv",
               "日時,職員ID,所属,操作,地図名\n2020-04-01 09:00,S1,IT推進課,ログイン,\n2020-04-02 09:00,S2")
    return folder


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _landing(tmp_path_factory.mktemp("fast_slow") / "landing")


def _ingest(root: Path, landing: Path, fast_read: bool, monkeypatch: pytest.MonkeyPatch):
    home = root / ("fast" if fast_read else "slow")
    shutil.copytree(landing, home / "landing")
    monkeypatch.setenv("WAREHOUSE_HOME", str(home))
    monkeypatch.setenv("WAREHOUSE_INGEST_SALT_FILE", str(root / "ip_salt"))  # one salt: client hashes compare
    monkeypatch.setenv("WAREHOUSE_INGEST_SETTLE_SECONDS", "0")
    monkeypatch.setenv("WAREHOUSE_AS_OF_DATE", "2021-04-20")
    settings = load_settings()
    return home, settings, ingest_landing(settings, "run-" + home.name, fast_read=fast_read)


def _outcomes(report, home: Path) -> list[dict]:
    rows = []
    for outcome in report.files:
        row = outcome.to_dict()
        row["path"] = Path(row["path"]).name.split("__", 1)[-1]  # quarantine/<sha16>__<name>
        rows.append(row)
    return sorted(rows, key=lambda row: (row["kind"], row["path"]))


def _manifest(home: Path) -> list[dict]:
    rows = []
    for row in lake.read_manifest(home / "lake"):
        kept = {key: value for key, value in row.items() if key not in RUN_FIELDS}
        kept["parts"] = [{key: value for key, value in part.items() if key not in {"sha256", "bytes"}}
                         for part in row["parts"]]
        rows.append(kept)
    return sorted(rows, key=lambda row: row["sha256"])


def _lake_files(home: Path) -> dict[str, pl.DataFrame]:
    return {str(path.relative_to(home / "lake")): pl.read_parquet(path).drop("loaded_at")
            for path in lake.lake_parquet_files(home / "lake")}


def _reports(home: Path) -> dict[str, dict]:
    return {path.name: json.loads(path.read_text(encoding="utf-8"))
            for path in sorted((home / "quarantine").glob("*.report.json"))}


def test_fast_and_streaming_paths_give_the_same_lake_manifest_and_refusals(
        tmp_path: Path, landing: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_home, _, fast = _ingest(tmp_path, landing, True, monkeypatch)
    slow_home, _, slow = _ingest(tmp_path, landing, False, monkeypatch)

    statuses = {outcome["path"]: outcome["status"] for outcome in _outcomes(fast, fast_home)}
    for loaded in ("c_2020-04.csv", "gis_quoted_2020-04.csv", "gis_blank_line_2020-04.csv", "access_shapes.log",
                   "elastic_apache_2015.log", "access_crlf_blank.log", "access_lone_cr.log"):
        assert statuses[loaded] in {"loaded", "replaced"}, loaded
    for refused in ("c_bad_2020-04.csv", "c_duplicate_2020-04.csv", "gis_pii_2020-04.csv",
                    "gis_short_row_2020-04.csv", "gis_cut_off_2020-04.csv", "gis_long_and_short_2020-04.csv",
                    "access_bad_line.log", "access_cut_off.log"):
        assert statuses[refused] == "quarantined", refused
    assert _outcomes(fast, fast_home) == _outcomes(slow, slow_home)
    assert fast.to_dict()["changed"] == slow.to_dict()["changed"]
    assert _manifest(fast_home) == _manifest(slow_home)
    fast_files, slow_files = _lake_files(fast_home), _lake_files(slow_home)
    assert sorted(fast_files) == sorted(slow_files) and len(fast_files) > 10
    for name, frame in fast_files.items():
        assert frame.equals(slow_files[name]), name
    assert _reports(fast_home) == _reports(slow_home) and len(_reports(fast_home)) == 8


def test_the_fast_path_reads_the_well_formed_sample_files(landing: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without this the comparison above could pass with every file on the streaming reader."""
    from ingest.common.mapping import layouts_for

    monkeypatch.setenv("WAREHOUSE_HOME", str(landing.parent))
    settings = load_settings()
    csv_files = [(kind, path) for kind in ("certificates", "web_access", "gis", "energy")
                 for path in sorted((landing / kind).glob("*.csv"))]
    fast = {path.name for kind, path in csv_files
            if open_table(path, layouts_for(KINDS[kind], path, settings), kind).frame is not None}
    assert {"c_2020-04.csv", "c_bad_2020-04.csv", "gis_pii_2020-04.csv", "kokyo_shisetsu_56.csv"} <= fast
    assert any(name.startswith("energy_interval") for name in fast)
    assert not fast & {"gis_quoted_2020-04.csv", "gis_blank_line_2020-04.csv", "gis_short_row_2020-04.csv",
                       "gis_cut_off_2020-04.csv"}


def test_the_fast_path_parses_the_well_formed_logs(landing: Path, tmp_path: Path) -> None:
    """Logs are parsed whole in polars unless a lone carriage return leaves them to the line-by-line reader."""
    from ingest.web_access.parser import read_log

    class Ctx:
        fast_read = True

    fast = {path.name for path in sorted((landing / "web_access").glob("*.log"))
            if "bad_line" not in path.name and "cut_off" not in path.name and read_log(path, Ctx).frame is not None}
    assert fast == {"access_shapes.log", "elastic_apache_2015.log", "access_crlf_blank.log"}


def test_both_log_patterns_read_a_mixed_log_as_the_line_reader_does(tmp_path: Path) -> None:
    """Lines of the usual combined shape take the quick pattern; escaped quotes, Common Log Format lines and nginx's
    trailing field take the full one, in the same file; every row comes out as the line-by-line reader reads it."""
    from ingest.web_access.parser import SIMPLE_COMBINED, _log_frame, _log_rows

    usual = ('198.51.100.1 - - [01/Apr/2020:09:00:00 +0900] "GET /a/ HTTP/1.1" 200 10 "-" '
             '"Mozilla/5.0 (Windows NT 10.0)"')
    escaped = ('198.51.100.2 - - [01/Apr/2020:09:00:01 +0900] "GET /q?\\"x\\" HTTP/1.1" 200 - '
               '"http://example.jp/\\"r\\"" "agent \\"quoted\\""')
    lines = [usual, escaped, *common_log_lines()[:2], usual.replace("/a/", "/b/"), *nginx_main_lines(),
             usual + "   "]
    assert [bool(SIMPLE_COMBINED.match(line)) for line in lines] == [True, False, False, False, True, False,
                                                                     False, False, True]
    path = write_text(tmp_path / "mixed.log", "\n".join(lines) + "\n")
    frame = _log_frame(path, "utf-8")
    assert frame is not None
    slow = [[number, *cells] for number, cells in _log_rows(path, "utf-8")]
    fast = frame.select("source_row_number", *(f"column_{index}" for index in range(len(slow[0]) - 1))).rows()
    assert [list(row) for row in fast] == slow
