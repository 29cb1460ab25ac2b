"""The incremental benchmark gives the long landing back as the generator wrote it (bench.run.restore_landing)."""
from __future__ import annotations

from pathlib import Path

from bench.run import add_new_months, restore_landing


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_file_two_rounds_wrote_is_removed_and_a_generated_one_restored(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    (landing / "energy").mkdir(parents=True)
    (landing / "energy" / "energy_monthly_FY2025.xlsx").write_bytes(b"generated FY2025")
    generated = _files(landing)
    written: list[Path] = []
    for round_number in (1, 2):  # each round's yearly file differs from the last (one more month in it)
        new_months = tmp_path / f"new_months_{round_number}"
        (new_months / "energy").mkdir(parents=True)
        (new_months / "energy" / "energy_monthly_FY2025.xlsx").write_bytes(f"FY2025 round {round_number}".encode())
        (new_months / "energy" / "energy_monthly_FY2026.xlsx").write_bytes(f"FY2026 round {round_number}".encode())
        written += add_new_months(landing, new_months, tmp_path / "backup", written)
    assert (landing / "energy" / "energy_monthly_FY2026.xlsx").read_bytes() == b"FY2026 round 2"
    restore_landing(landing, written, tmp_path / "backup")
    assert _files(landing) == generated
