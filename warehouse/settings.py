"""Settings: committed defaults in settings.toml, overridden by environment variables."""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SETTINGS_FILE = Path(__file__).with_name("settings.toml")


def _coerce(value: str, like: object) -> object:
    if isinstance(like, bool):
        return value.lower() in {"1", "true", "yes", "on"}
    if isinstance(like, int):
        return int(value)
    if isinstance(like, float):
        return float(value)
    return value


def _load_raw() -> dict[str, dict[str, object]]:
    with SETTINGS_FILE.open("rb") as handle:
        raw = tomllib.load(handle)
    for section, values in raw.items():
        for key, default in values.items():
            env = os.environ.get(f"WAREHOUSE_{section.upper()}_{key.upper()}")
            if env is not None:
                values[key] = _coerce(env, default)
    return raw


@dataclass(frozen=True)
class Settings:
    home: Path
    real_data_dir: Path
    dbt_project_dir: Path
    raw: dict[str, dict[str, object]] = field(repr=False)

    # data home layout (docs/architecture.md)
    @property
    def landing_dir(self) -> Path:
        return self.home / "landing"

    @property
    def lake_dir(self) -> Path:
        return self.home / "lake"

    @property
    def quarantine_dir(self) -> Path:
        return self.home / "quarantine"

    @property
    def build_dir(self) -> Path:
        return self.home / "build"

    @property
    def versions_dir(self) -> Path:
        return self.home / "versions"

    @property
    def runs_dir(self) -> Path:
        return self.home / "runs"

    @property
    def dbt_dir(self) -> Path:
        return self.home / "dbt"

    @property
    def docs_dir(self) -> Path:
        return self.home / "docs"

    @property
    def open_dir(self) -> Path:
        return self.home / "open"

    @property
    def published_path(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def archive_dir(self) -> Path:
        """The original of every accepted landing file, content-addressed: archive/<sha[:2]>/<sha256><suffix>."""
        return self.home / "archive"

    @property
    def mappings_dir(self) -> Path:
        """Column mappings a ward writes for its own files: mappings/<kind>/*.toml."""
        return self.home / "mappings"

    @property
    def releases_dir(self) -> Path:
        """One folder per published version (served file, docs, open data), switched by one pointer."""
        return self.home / "releases"

    def get(self, section: str, key: str) -> object:
        return self.raw[section][key]


def load_settings(home: Path | str | None = None) -> Settings:
    """Read settings.toml, apply environment overrides, resolve paths."""
    raw = _load_raw()
    home_value = home or os.environ.get("WAREHOUSE_HOME") or raw["paths"]["home"]
    home_path = Path(str(home_value)).expanduser()
    if not home_path.is_absolute():
        home_path = PROJECT_ROOT / home_path
    real = Path(str(os.environ.get("WAREHOUSE_REAL_DATA") or raw["paths"]["real_data"])).expanduser()
    if not real.is_absolute():
        real = (PROJECT_ROOT / real).resolve()
    dbt_dir = Path(os.environ.get("WAREHOUSE_DBT_PROJECT_DIR") or PROJECT_ROOT)
    return Settings(home=home_path.resolve(), real_data_dir=real, dbt_project_dir=dbt_dir.resolve(), raw=raw)
