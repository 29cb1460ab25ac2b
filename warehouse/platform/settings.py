"""Settings: committed defaults in settings.toml, overridden by environment variables, validated once at start.

settings.toml is the one place where default values live; the classes below say what type and range each
value must have. `load_settings()` checks every value (the file's and every WAREHOUSE_<SECTION>_<KEY>
override) and raises `SettingsError` with one line naming the setting, the value and what is allowed; the
CLI prints that line and exits 2. Code reads either `settings.get("section", "key")` or the typed sections
(`settings.publish.versions_kept`).
"""
from __future__ import annotations

import dataclasses
import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SETTINGS_FILE = Path(__file__).with_name("settings.toml")
AS_OF_ENV = "WAREHOUSE_AS_OF_DATE"
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}
MEMORY_PATTERN = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)\s*$", re.IGNORECASE)
HOST_PATTERN = re.compile(r"^[A-Za-z0-9.\-:\[\]]+$")
ADDRESS_PATTERN = re.compile(r"^[^@\s,<>]+@[^@\s,<>]+$")
ADDRESSES_PATTERN = re.compile(r"^\s*[^@\s,<>]+@[^@\s,<>]+(\s*,\s*[^@\s,<>]+@[^@\s,<>]+)*\s*$")
URL_PATTERN = re.compile(r"^https?://[^\s/?#]+[^\s]*$")
LANGUAGES_PATTERN = re.compile(r"^\s*(ja|en)(\s*,\s*(ja|en))*\s*$")


class SettingsError(ValueError):
    """A setting has a value the warehouse cannot use (the CLI prints the message and exits 2)."""


def _rule(kind: type, minimum: float | None = None, maximum: float | None = None, allowed: str = "",
          pattern: re.Pattern[str] | None = None, exclusive_minimum: bool = False, optional: bool = False) -> Any:
    """A dataclass field with no default (defaults live in settings.toml) and its validation rule.

    optional: text that may be empty ("" = off), e.g. the [notify] settings."""
    return field(metadata={"kind": kind, "minimum": minimum, "maximum": maximum, "allowed": allowed,
                           "pattern": pattern, "exclusive_minimum": exclusive_minimum, "optional": optional})


@dataclass(frozen=True)
class PathsSettings:
    home: str = _rule(str, allowed="a folder path (relative to the project root unless absolute)")
    real_data: str = _rule(str, allowed="a folder path (relative to the project root unless absolute)")


@dataclass(frozen=True)
class PublishSettings:
    versions_kept: int = _rule(int, minimum=1, maximum=1000)


@dataclass(frozen=True)
class RefreshSettings:
    dbt_threads: int = _rule(int, minimum=1, maximum=64)
    duckdb_memory_limit: str = _rule(str, pattern=MEMORY_PATTERN, allowed="a size such as 2GB")
    full_verify_days: int = _rule(int, minimum=0, maximum=3660)
    stale_after_days: int = _rule(int, minimum=1, maximum=3660)


@dataclass(frozen=True)
class IngestSettings:
    salt_file: str = _rule(str, allowed="a file path")
    max_file_megabytes: int = _rule(int, minimum=1)
    settle_seconds: int = _rule(int, minimum=0, maximum=86400)
    max_plausible_daily_count: int = _rule(int, minimum=1)


@dataclass(frozen=True)
class PrivacySettings:
    min_publishable_count: int = _rule(int, minimum=1, maximum=1000)


@dataclass(frozen=True)
class SqlSettings:
    memory_limit: str = _rule(str, pattern=MEMORY_PATTERN, allowed="a size such as 512MB or 1GB")
    threads: int = _rule(int, minimum=1, maximum=64)
    timeout_seconds: float = _rule(float, minimum=0, exclusive_minimum=True, maximum=86400)
    max_rows: int = _rule(int, minimum=1)


@dataclass(frozen=True)
class NotifySettings:
    """The digest after each refresh (warehouse/digest.py): e-mail when smtp_host is set, a POST when webhook_url
    is; both empty = the digest is only written to digests/."""
    smtp_host: str = _rule(str, optional=True, pattern=HOST_PATTERN, allowed="a host name or IP address, or empty")
    smtp_port: int = _rule(int, minimum=1, maximum=65535)
    smtp_starttls: bool = _rule(bool)
    smtp_user: str = _rule(str, optional=True, allowed="a user name, or empty (no login)")
    smtp_password: str = _rule(str, optional=True, allowed="a password (set it through the environment), or empty")
    mail_from: str = _rule(str, optional=True, pattern=ADDRESS_PATTERN, allowed="one e-mail address, or empty")
    mail_to: str = _rule(str, optional=True, pattern=ADDRESSES_PATTERN,
                         allowed="e-mail addresses separated by commas, or empty")
    webhook_url: str = _rule(str, optional=True, pattern=URL_PATTERN, allowed="an http(s) URL, or empty")
    languages: str = _rule(str, pattern=LANGUAGES_PATTERN, allowed="ja, en or ja,en")
    timeout_seconds: float = _rule(float, minimum=0, exclusive_minimum=True, maximum=600)

    @property
    def mail_recipients(self) -> list[str]:
        return [part.strip() for part in self.mail_to.split(",") if part.strip()]

    @property
    def language_list(self) -> list[str]:
        """ja first, then en (when configured); no duplicates."""
        chosen = {part.strip() for part in self.languages.split(",")}
        return [lang for lang in ("ja", "en") if lang in chosen]


SECTIONS: dict[str, type] = {
    "paths": PathsSettings, "publish": PublishSettings, "refresh": RefreshSettings, "ingest": IngestSettings,
    "privacy": PrivacySettings, "sql": SqlSettings, "notify": NotifySettings,
}


def env_name(section: str, key: str) -> str:
    """The environment variable that overrides [section] key."""
    return f"WAREHOUSE_{section.upper()}_{key.upper()}"


def _describe(meta: dict[str, Any]) -> str:
    kind, low, high = meta["kind"], meta["minimum"], meta["maximum"]
    if meta["allowed"]:
        return meta["allowed"]
    noun = {int: "a whole number", float: "a number", bool: "true or false", str: "text"}[kind]
    if low is not None and high is not None:
        lower = f"> {low:g}" if meta["exclusive_minimum"] else f"from {low:g}"
        return f"{noun} {lower} to {high:g}" if not meta["exclusive_minimum"] else f"{noun} {lower} and ≤ {high:g}"
    if low is not None:
        return f"{noun} {'>' if meta['exclusive_minimum'] else '≥'} {low:g}"
    return noun


def _convert(raw: object, meta: dict[str, Any]) -> object:
    """The value as the rule's type, or ValueError when it is not one."""
    kind = meta["kind"]
    if kind is bool:
        if isinstance(raw, bool):
            return raw
        word = str(raw).strip().lower()
        if word in TRUE_WORDS | FALSE_WORDS:
            return word in TRUE_WORDS
        raise ValueError
    if kind is int:
        if isinstance(raw, bool | float):
            raise ValueError
        value: object = raw if isinstance(raw, int) else int(str(raw).strip())
    elif kind is float:
        if isinstance(raw, bool):
            raise ValueError
        value = float(raw) if isinstance(raw, int | float) else float(str(raw).strip())
        if not math.isfinite(value):  # nan, inf
            raise ValueError
    else:
        if not isinstance(raw, str):
            raise ValueError
        if not raw.strip():
            if meta.get("optional"):
                return ""
            raise ValueError
        value = raw
    if kind in (int, float):
        low, high = meta["minimum"], meta["maximum"]
        if low is not None and (value < low or (meta["exclusive_minimum"] and value == low)):  # type: ignore[operator]
            raise ValueError
        if high is not None and value > high:  # type: ignore[operator]
            raise ValueError
    if meta["pattern"] is not None and not meta["pattern"].match(str(value)):
        raise ValueError
    return value


def _where(section: str, key: str, raw: object, from_env: bool) -> str:
    if from_env:
        return f"{env_name(section, key)}={raw}"
    return f"[{section}] {key} = {raw!r} in {SETTINGS_FILE}"


def _load_raw() -> dict[str, dict[str, object]]:
    """settings.toml with the environment overrides applied, every value checked and typed."""
    try:
        with SETTINGS_FILE.open("rb") as handle:
            document = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"cannot read {SETTINGS_FILE}: {exc}") from exc
    raw: dict[str, dict[str, object]] = {}
    for section, cls in SECTIONS.items():
        values = document.get(section, {})
        known = {f.name: f for f in dataclasses.fields(cls)}
        for key in values:
            if key not in known:
                raise SettingsError(f"[{section}] {key} in {SETTINGS_FILE} is not a setting; "
                                    f"allowed keys: {', '.join(known)}")
        raw[section] = {}
        for key, spec in known.items():
            env = os.environ.get(env_name(section, key))
            from_env = env is not None
            value = env if from_env else values.get(key)
            if value is None:
                raise SettingsError(f"[{section}] {key} is missing from {SETTINGS_FILE} (and "
                                    f"{env_name(section, key)} is not set): {_describe(spec.metadata)} is needed")
            try:
                raw[section][key] = _convert(value, spec.metadata)
            except (TypeError, ValueError):
                raise SettingsError(f"setting {_where(section, key, value, from_env)} is not allowed: "
                                    f"{key} must be {_describe(spec.metadata)}") from None
    for name, value in os.environ.items():
        for section, cls in SECTIONS.items():
            prefix = f"WAREHOUSE_{section.upper()}_"
            keys = {f.name.upper() for f in dataclasses.fields(cls)}
            if name.startswith(prefix) and name.removeprefix(prefix) not in keys:
                raise SettingsError(f"setting {name}={value} is not a setting (a typo?): [{section}] has "
                                    + ", ".join(env_name(section, f.name) for f in dataclasses.fields(cls)))
    for section in document:
        if section not in SECTIONS:
            raise SettingsError(f"[{section}] in {SETTINGS_FILE} is not a settings section; "
                                f"allowed: {', '.join(SECTIONS)}")
    _check_notify(raw["notify"])
    return raw


def _check_notify(notify: dict[str, object]) -> None:
    """E-mail needs a host, a sender and recipients together; a user needs a password."""
    mail = {key: notify[key] for key in ("smtp_host", "mail_from", "mail_to")}
    if any(mail.values()) and not all(mail.values()):
        missing = ", ".join(env_name("notify", key) for key, value in mail.items() if not value)
        raise SettingsError(f"setting [notify] is incomplete: e-mail needs smtp_host, mail_from and mail_to "
                            f"together; set {missing} (or empty the others to send no e-mail)")
    if notify["smtp_user"] and not notify["smtp_password"]:
        raise SettingsError("setting [notify] smtp_user is set but smtp_password is not: set "
                            f"{env_name('notify', 'smtp_password')} in the environment (never in settings.toml)")


def parse_as_of_date(value: str | None, name: str = AS_OF_ENV) -> date:
    """Today, or the pinned date (YYYY-MM-DD, a real calendar day)."""
    if value is None or value == "":
        return date.today()
    text = value.strip()
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError
        pinned = date.fromisoformat(text)
    except ValueError:
        raise SettingsError(f"setting {name}={value} is not allowed: it must be a real calendar date as "
                            "YYYY-MM-DD (e.g. 2021-04-20), or unset for today") from None
    if pinned.year < 2000 or pinned.year > date.today().year + 10:
        raise SettingsError(f"setting {name}={value} is not allowed: the as-of date must lie between "
                            f"2000-01-01 and ten years from today")
    return pinned


def as_of_date_from_env() -> date:
    """The as-of date the warehouse judges freshness and future dates by (WAREHOUSE_AS_OF_DATE or today)."""
    return parse_as_of_date(os.environ.get(AS_OF_ENV))


@dataclass(frozen=True)
class Settings:
    home: Path
    real_data_dir: Path
    dbt_project_dir: Path
    raw: dict[str, dict[str, object]] = field(repr=False)
    as_of_date: date = field(default_factory=date.today)

    # typed sections (built from raw; raw stays the source `get` reads, so tests may still adjust it)
    @property
    def paths(self) -> PathsSettings:
        return PathsSettings(**self.raw["paths"])  # type: ignore[arg-type]

    @property
    def publish(self) -> PublishSettings:
        return PublishSettings(**self.raw["publish"])  # type: ignore[arg-type]

    @property
    def refresh(self) -> RefreshSettings:
        return RefreshSettings(**self.raw["refresh"])  # type: ignore[arg-type]

    @property
    def ingest(self) -> IngestSettings:
        return IngestSettings(**self.raw["ingest"])  # type: ignore[arg-type]

    @property
    def privacy(self) -> PrivacySettings:
        return PrivacySettings(**self.raw["privacy"])  # type: ignore[arg-type]

    @property
    def sql(self) -> SqlSettings:
        return SqlSettings(**self.raw["sql"])  # type: ignore[arg-type]

    @property
    def notify(self) -> NotifySettings:
        return NotifySettings(**self.raw["notify"])  # type: ignore[arg-type]

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
    def digests_dir(self) -> Path:
        """digests/<run_id>.md, .html and .json: what each refresh's digest said and whether it was sent."""
        return self.home / "digests"

    @property
    def releases_dir(self) -> Path:
        """One folder per published version (served file, docs, open data), switched by one pointer."""
        return self.home / "releases"

    def get(self, section: str, key: str) -> object:
        return self.raw[section][key]


def load_settings(home: Path | str | None = None) -> Settings:
    """Read settings.toml, apply environment overrides, check every value, resolve paths.

    Raises SettingsError (one line: the setting, its value, what is allowed) for a value the warehouse cannot use.
    """
    raw = _load_raw()
    as_of = as_of_date_from_env()
    home_value = home or os.environ.get("WAREHOUSE_HOME") or raw["paths"]["home"]
    if not str(home_value).strip():
        raise SettingsError("setting WAREHOUSE_HOME= is not allowed: it must be a folder path")
    home_path = Path(str(home_value)).expanduser()
    if not home_path.is_absolute():
        home_path = PROJECT_ROOT / home_path
    real = Path(str(os.environ.get("WAREHOUSE_REAL_DATA") or raw["paths"]["real_data"])).expanduser()
    if not real.is_absolute():
        real = (PROJECT_ROOT / real).resolve()
    dbt_dir = Path(os.environ.get("WAREHOUSE_DBT_PROJECT_DIR") or PROJECT_ROOT)
    return Settings(home=home_path.resolve(), real_data_dir=real, dbt_project_dir=dbt_dir.resolve(), raw=raw,
                    as_of_date=as_of)
