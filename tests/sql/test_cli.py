"""`warehouse sql`: the same sandbox from the terminal, with exit codes and formats."""
from __future__ import annotations

import json

import pytest

from warehouse.cli import sql_command

QUERY = "select fiscal_month_start_date, login_count from mart_gis_usage_monthly order by 1 limit 2"


def test_csv_output(settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert sql_command(settings, QUERY, "csv") == 0
    out = capsys.readouterr()
    assert out.out.splitlines() == ["fiscal_month_start_date,login_count", "2024-04-01,11", "2024-05-01,14"]
    assert "2 rows" in out.err


def test_json_output_keeps_japanese(settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert sql_command(settings, "select department_name_ja from mart_gis_usage_monthly limit 1", "json") == 0
    assert json.loads(capsys.readouterr().out) == [{"department_name_ja": "都市計画課"}]


def test_table_output(settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert sql_command(settings, QUERY, "table") == 0
    assert "login_count" in capsys.readouterr().out


@pytest.mark.parametrize("attempt", [
    "select * from read_csv('/etc/passwd')", "copy (select 1) to '/tmp/x.csv'", "attach '/tmp/x.duckdb'",
    "install httpfs", "set threads = 4", "drop table mart_gis_usage_monthly", "select * from raw.gis_events",
])
def test_refused_statement_exits_2_with_the_reason(settings, capsys: pytest.CaptureFixture[str], attempt: str) -> None:
    assert sql_command(settings, attempt, "table") == 2
    out = capsys.readouterr()
    assert out.out == "" and out.err.startswith("refused: ") and "Traceback" not in out.err


def test_failed_statement_exits_1(settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert sql_command(settings, "select nope from mart_gis_usage_monthly", "csv") == 1
    assert capsys.readouterr().err.startswith("failed: ")


def test_timeout_from_the_terminal(settings, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.raw["sql"]["timeout_seconds"] = 1
    slow = "select count(*) from range(200000) as a, range(200000) as b where a.range + b.range = -1"
    assert sql_command(settings, slow, "csv") == 1
    assert "stopped after 1 s" in capsys.readouterr().err


def test_no_published_file(tmp_path, capsys) -> None:
    from warehouse.platform.settings import load_settings

    assert sql_command(load_settings(home=tmp_path), "select 1", "csv") == 1
    assert "No published warehouse" in capsys.readouterr().err
