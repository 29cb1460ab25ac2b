"""Analytics exports → web_page_views_daily; combined web server logs → web_access_log (IPs hashed at read)."""
from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import polars as pl

from ingest.common.contract import Layout
from ingest.common.convert import code_parser, convert, text
from ingest.common.encoding import detect_encoding
from ingest.common.findings import Finding, Rejected
from ingest.common.normalize import parse_date, parse_integer
from ingest.common.reader import RawTable
from ingest.web_access.contract import ACCESS_LOG, DEVICES, LOG_FIELDS, PAGE_VIEW_FIELDS, PAGE_VIEWS

# host ident user [time] "request" status bytes ["referrer" "agent" [more fields]]: the Common Log Format (no
# referrer or agent), the Combined Log Format, and nginx's default formats ("combined", and "main" with a trailing
# "$http_x_forwarded_for"). host may be an IP or a host name (both are hashed); bytes may be '-'. Fields after the
# agent are read and dropped. A closing quote may be missing at the very end.
_QUOTED = r'"(?:[^"\\]|\\.)*"'
COMBINED = re.compile(
    r'^(?P<host>\S+) (?P<ident>\S+) (?P<user>\S+) \[(?P<time>[^\]]+)\] "(?P<request>(?:[^"\\]|\\.)*)" '
    r'(?P<status>\d{3}) (?P<bytes>\d+|-)'
    r'(?: "(?P<referrer>(?:[^"\\]|\\.)*)" "(?P<agent>(?:[^"\\]|\\.)*)"?(?P<extra>(?: +(?:' + _QUOTED + r'|[^\s"]+))*))?'
    r'\s*$'
)
BOT = re.compile(r"bot|crawl|spider|slurp|archiver|fetch|monitor|curl|wget|python-|java/|go-http|httpclient|"
                 r"libwww|scrapy|feed|preview|headless|phantomjs|semrush|ahrefs|yandex|baidu|bingpreview", re.IGNORECASE)
TABLET = re.compile(r"ipad|tablet|kindle|silk|playbook|(android(?!.*mobile))", re.IGNORECASE)
SMARTPHONE = re.compile(r"iphone|ipod|android.*mobile|windows phone|blackberry|opera mini|mobile", re.IGNORECASE)
ASSET = re.compile(r"\.(?:png|jpe?g|gif|svg|ico|webp|bmp|css|js|mjs|map|woff2?|ttf|eot|otf|mp4|webm|mp3|"
                   r"json|xml|rss|atom|txt|pdf|zip|gz|tar|py|rb|sh)$", re.IGNORECASE)


def _no_agent(agent: str | None) -> bool:
    """True when the log does not say who asked (Common Log Format, or '-')."""
    return agent is None or not agent.strip() or agent.strip() == "-"


def device_of(agent: str | None) -> str:
    """Device class of a user agent: tablet, smartphone, pc, other (bots, unknown agents), or unknown (no agent)."""
    if _no_agent(agent):
        return "unknown"
    if BOT.search(agent):
        return "other"
    if TABLET.search(agent):
        return "tablet"
    if SMARTPHONE.search(agent):
        return "smartphone"
    return "pc" if re.search(r"windows|macintosh|x11|linux|cros", agent, re.IGNORECASE) else "other"


def is_bot(agent: str | None) -> bool:
    """Crawlers, monitors and scripts, by their user agent; without an agent nothing says it is a bot."""
    return not _no_agent(agent) and bool(BOT.search(agent or ""))


def is_page(path: str | None) -> bool:
    """Pages are paths without an asset extension (a directory or .html counts as a page)."""
    return bool(path) and not ASSET.search(path)


def client_hash(salt: bytes, address: str) -> str:
    """Salted SHA-256 of an IP address or host name: stable within one salt, irreversible without it."""
    return hashlib.sha256(salt + address.strip().encode("utf-8")).hexdigest()


def _page_path(value: str) -> str:
    """Path part of a page URL (host, query and fragment removed)."""
    parts = urlsplit(value if "://" in value else "http://host" + (value if value.startswith("/") else "/" + value))
    return parts.path or "/"


def transform_page_views(frame: pl.DataFrame, ctx, findings: list[Finding]) -> pl.DataFrame:
    """Parse dates and counts, reduce URLs to paths, map device names."""
    specs = [
        ("access_date", "access_date", parse_date),
        ("page_path", "page_path", _page_path),
        ("page_title_ja", "page_title_ja", text),
        ("device_type", "device_type", code_parser(DEVICES)),
        ("page_view_count", "page_view_count", parse_integer),
    ]
    return convert(frame, specs, PAGE_VIEWS, ctx.headers, findings)


def _referrer_host(value: str | None) -> str | None:
    """Host of a referrer URL; None for '-' or unparsable values."""
    if not value or value == "-":
        return None
    try:
        return urlsplit(value).hostname
    except ValueError:
        return None


def transform_log(frame: pl.DataFrame, ctx, findings: list[Finding]) -> pl.DataFrame:
    """Hash client IPs, convert times to JST, keep only method/path/referrer host and derived agent flags."""
    requested = (
        frame["requested_at_raw"].str.to_datetime("%d/%b/%Y:%H:%M:%S %z", strict=False)
        .dt.convert_time_zone("Asia/Tokyo").dt.replace_time_zone(None).cast(pl.Datetime("us"))
    )
    for row in frame["source_row_number"].filter(requested.is_null()).to_list():
        findings.append(Finding(int(row), "time", "wrong type or value: not a log timestamp"))
    methods, paths = [], []
    for line in frame["request_line"].to_list():
        pieces = (line or "").split(" ")
        methods.append(pieces[0] if len(pieces) >= 2 else None)
        target = pieces[1] if len(pieces) >= 2 else None
        paths.append(re.split(r"[?#]", target, maxsplit=1)[0] if target else None)
    agents = frame["user_agent"].to_list()
    salt = ctx.salt
    return pl.DataFrame({
        "source_row_number": frame["source_row_number"],
        "requested_at": requested,
        "client_hash": pl.Series([client_hash(salt, ip) if ip else None for ip in frame["client_ip"].to_list()],
                                 dtype=pl.String),
        "http_method": pl.Series(methods, dtype=pl.String),
        "request_path": pl.Series(paths, dtype=pl.String),
        "http_status": frame["http_status_raw"].cast(pl.Int32, strict=False),
        "response_bytes": frame["response_bytes_raw"].cast(pl.Int64, strict=False),
        "referrer_host": pl.Series([_referrer_host(r) for r in frame["referrer"].to_list()], dtype=pl.String),
        "device_type": pl.Series([device_of(a) for a in agents], dtype=pl.String),
        "is_bot": pl.Series([is_bot(a) for a in agents], dtype=pl.Boolean),
        "is_page": pl.Series([is_page(p) for p in paths], dtype=pl.Boolean),
    })


def _log_rows(path: Path, encoding: str) -> Iterator[tuple[int, list[str | None]]]:
    """Parse log lines one at a time; an unparsable line rejects the file, naming the line."""
    with path.open("rb") as probe:
        probe.seek(0, 2)
        size = probe.tell()
        probe.seek(max(0, size - 1))
        ends_with_newline = size == 0 or probe.read(1) == b"\n"
    with path.open("r", encoding=encoding, newline="") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            match = COMBINED.match(line.rstrip("\r\n"))
            if not match:
                last = not line.endswith("\n") and not ends_with_newline
                reason = "truncated last line" if last else "not a log line"
                raise Rejected(
                    f"{path.name}: line {number}: {reason}; send the complete log as the web server wrote it "
                    "(Common or Combined Log Format, Apache or nginx).", [Finding(number, None, reason)],
                    message_ja=(f"{path.name}: {number}行目がWebサーバーのログの形式（Common / Combined Log Format）として"
                                "読めません。サーバーが書き出したままのログを、途中で切らずに送ってください。"),
                    next_step="resend_complete")
            g = match.groupdict()
            yield number, [g["host"], g["ident"], g["user"], g["time"], g["request"], g["status"],
                           None if g["bytes"] == "-" else g["bytes"], g["referrer"], g["agent"], g["extra"] or None]


def read_log(path: Path, ctx) -> RawTable | None:
    """A RawTable over a combined log (*.log, or a .txt that starts like one); None for other files."""
    if path.suffix.lower() not in {".log", ".txt"}:
        return None
    encoding = detect_encoding(path)
    with path.open("r", encoding=encoding, errors="replace") as handle:
        first = handle.readline()
    if path.suffix.lower() == ".txt" and not COMBINED.match(first.rstrip("\r\n")):
        return None
    if not first.strip():
        raise Rejected(f"{path.name}: the file is empty; send the log again.", [Finding(0, None, "empty file")])
    header = [spec.name for spec in LOG_FIELDS]
    return RawTable(header, [], _log_rows(path, encoding), encoding, 1)


LAYOUTS = (
    Layout("analytics_export", "web_access", PAGE_VIEWS.table, PAGE_VIEW_FIELDS, transform_page_views),
    Layout("combined_log", "web_access", ACCESS_LOG.table, LOG_FIELDS, transform_log),
)
