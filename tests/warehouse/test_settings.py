"""Settings are checked once at start: a bad value is one line naming the setting, the value and what is allowed,
exit 2 (issue 11, item 5); CLI options after the command; a mistyped home; one-line unexpected errors."""
from __future__ import annotations

import dataclasses
import json
import tomllib
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import run_warehouse
from warehouse.platform import settings as settings_module
from warehouse.platform.settings import SECTIONS, SettingsError, load_settings

BAD = [
    ("WAREHOUSE_PUBLISH_VERSIONS_KEPT", "abc", "whole number"),
    ("WAREHOUSE_PUBLISH_VERSIONS_KEPT", "0", "from 1"),
    ("WAREHOUSE_AS_OF_DATE", "2026-02-30", "real calendar date"),
    ("WAREHOUSE_AS_OF_DATE", "20.4.2021", "YYYY-MM-DD"),
    ("WAREHOUSE_SQL_TIMEOUT_SECONDS", "ten", "number > 0"),
    ("WAREHOUSE_SQL_TIMEOUT_SECONDS", "0", "number > 0"),
    ("WAREHOUSE_INGEST_MAX_FILE_MEGABYTES", "0", "≥ 1"),
    ("WAREHOUSE_INGEST_SETTLE_SECONDS", "-5", "from 0"),
    ("WAREHOUSE_SQL_MEMORY_LIMIT", "lots", "512MB"),
    ("WAREHOUSE_REFRESH_DBT_THREADS", "2.5", "whole number"),
    ("WAREHOUSE_REFRESH_DUCKDB_MEMORY_LIMIT", "lots", "2GB"),
    ("WAREHOUSE_REFRESH_FULL_VERIFY_DAYS", "-1", "from 0"),
    ("WAREHOUSE_PRIVACY_MIN_PUBLISHABLE_COUNT", "", "whole number"),
    ("WAREHOUSE_PUBLISH_VERSION_KEPT", "3", "not a setting"),  # a typo is not silently ignored
]


@pytest.mark.parametrize(("name", "value", "allowed"), BAD, ids=[f"{n}={v}" for n, v, _ in BAD])
def test_bad_setting_is_one_line_and_exit_2(name: str, value: str, allowed: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    for command in (["status"], ["refresh"]):
        completed = run_warehouse(home, *command, **{name: value})
        assert completed.returncode == 2, (command, completed.stderr)
        lines = completed.stderr.strip().splitlines()
        assert len(lines) == 1, completed.stderr
        assert f"{name}={value}" in lines[0] and allowed in lines[0], lines[0]
        assert "Traceback" not in completed.stderr
    assert not (home / "runs").exists(), "nothing ran"


def test_bad_value_in_the_settings_file_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = settings_module.SETTINGS_FILE.read_text(encoding="utf-8")
    assert "max_file_megabytes = 2048" in text
    broken = tmp_path / "settings.toml"
    broken.write_text(text.replace("max_file_megabytes = 2048", "max_file_megabytes = 0"), encoding="utf-8")
    monkeypatch.setattr(settings_module, "SETTINGS_FILE", broken)
    with pytest.raises(SettingsError, match=r"\[ingest\] max_file_megabytes = 0 in .*settings.toml.*≥ 1"):
        load_settings(home=tmp_path)
    broken.write_text(text + "\n[publish2]\nx = 1\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="not a settings section"):
        load_settings(home=tmp_path)


def test_typed_sections_agree_with_get_and_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAREHOUSE_PUBLISH_VERSIONS_KEPT", "7")
    monkeypatch.setenv("WAREHOUSE_AS_OF_DATE", "2021-04-20")
    monkeypatch.delenv("WAREHOUSE_INGEST_SETTLE_SECONDS", raising=False)
    settings = load_settings(home=tmp_path)
    assert settings.publish.versions_kept == settings.get("publish", "versions_kept") == 7
    assert settings.ingest.settle_seconds == 15 and isinstance(settings.sql.timeout_seconds, float)
    assert settings.as_of_date == date(2021, 4, 20)
    with settings_module.SETTINGS_FILE.open("rb") as handle:
        document = tomllib.load(handle)
    for section, cls in SECTIONS.items():  # defaults live in one place: every key is in the file
        assert set(document[section]) == {f.name for f in dataclasses.fields(cls)}, section


def test_refresh_as_of_date_is_a_thin_wrapper(monkeypatch: pytest.MonkeyPatch) -> None:
    from warehouse.refresh import as_of_date

    monkeypatch.setenv("WAREHOUSE_AS_OF_DATE", "2021-04-20")
    assert as_of_date() == date(2021, 4, 20)
    monkeypatch.setenv("WAREHOUSE_AS_OF_DATE", "2026-02-30")
    with pytest.raises(SettingsError, match="WAREHOUSE_AS_OF_DATE=2026-02-30"):
        as_of_date()


@pytest.mark.parametrize("command", [["status"], ["sql", "select 1"], ["serve"], ["rollback"], ["export"]])
def test_mistyped_home_exits_2_saying_how_to_create_one(command: list[str], tmp_path: Path) -> None:
    missing = tmp_path / "no-such-home"
    completed = run_warehouse(missing, *command)
    assert completed.returncode == 2, completed.stderr
    assert f"no warehouse home at {missing}" in completed.stderr and "warehouse demo" in completed.stderr
    assert len(completed.stderr.strip().splitlines()) == 1
    assert not missing.exists(), "a mistyped home is not created"


def test_options_after_the_command(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    completed = run_warehouse(tmp_path / "elsewhere", "status", "--json", "--home", str(home))
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["home"] == str(home)
    quiet = run_warehouse(home, "status", "--quiet")
    assert quiet.returncode == 0 and quiet.stderr == "" and quiet.stdout == ""


def test_unexpected_error_is_one_line_with_the_log_unless_debug(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from warehouse import cli, status

    home = tmp_path / "home"
    home.mkdir()

    def broken(*args, **kwargs):
        raise RuntimeError("something nobody expected")

    monkeypatch.setattr(status, "collect_status", broken)
    monkeypatch.setenv("WAREHOUSE_HOME", str(home))
    monkeypatch.delenv("WAREHOUSE_DEBUG", raising=False)
    result = CliRunner().invoke(cli.main, ["status"])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines() if hasattr(result, "stderr") else result.output.strip().splitlines()
    assert len(lines) == 1 and "RuntimeError: something nobody expected" in lines[0], lines
    log = Path(lines[0].split("traceback in ")[1].split(";")[0])
    assert log.parent == home / "runs" and "Traceback" in log.read_text(encoding="utf-8")
    debug = CliRunner().invoke(cli.main, ["status", "--debug"])
    assert isinstance(debug.exception, RuntimeError)


def test_refresh_says_it_creates_a_new_home(tmp_path: Path) -> None:
    home = tmp_path / "new-home"
    completed = run_warehouse(home, "refresh", WAREHOUSE_KILL_AT="refresh.after_running_record")  # stop early
    assert "creating a new warehouse home at" in completed.stderr
    assert home.is_dir()
