"""Analytics exports → web_page_views_daily; combined web server logs → web_access_log (IPs hashed at read)."""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import polars as pl

from ingest.common import lake
from ingest.common.contract import Layout
from ingest.common.convert import code_parser, convert, text
from ingest.common.encoding import detect_encoding
from ingest.common.findings import Finding, Rejected
from ingest.common.normalize import parse_date, parse_integer
from ingest.common.reader import FAST_READ_MAX_BYTES, RawTable, has_python_only_whitespace
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
# The shape nearly every line has (referrer and agent, nothing escaped, nothing after): run first because Rust's
# regex captures it several times faster; a line it cannot match is parsed by COMBINED, and a line it matches gets
# the same groups from both (no backslash or quote inside its quoted fields, so COMBINED has no other reading).
SIMPLE_COMBINED = re.compile(
    r'^(?P<host>\S+) (?P<ident>\S+) (?P<user>\S+) \[(?P<time>[^\]]+)\] "(?P<request>[^"\\]*)" '
    r'(?P<status>\d{3}) (?P<bytes>\d+|-) "(?P<referrer>[^"\\]*)" "(?P<agent>[^"\\]*)"(?P<extra>)\s*$'
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


def _per_distinct(values: pl.Series, function: Callable[[str | None], Any], dtype: pl.DataType) -> pl.Series:
    """function of each distinct value, computed once and spread back over the rows (a month's log repeats few
    addresses, paths and agents)."""
    distinct = values.unique(maintain_order=True)
    lookup = pl.DataFrame({"value": distinct,
                           "result": pl.Series([function(value) for value in distinct.to_list()], dtype=dtype)})
    return (pl.DataFrame({"value": values})
            .join(lookup, on="value", how="left", nulls_equal=True, maintain_order="left")["result"])


def transform_log(frame: pl.DataFrame, ctx, findings: list[Finding]) -> pl.DataFrame:
    """Hash client IPs, convert times to JST, keep only method/path/referrer host and derived agent flags."""
    requested = (
        frame["requested_at_raw"].str.to_datetime("%d/%b/%Y:%H:%M:%S %z", strict=False)
        .dt.convert_time_zone("Asia/Tokyo").dt.replace_time_zone(None).cast(pl.Datetime("us"))
    )
    for row in frame["source_row_number"].filter(requested.is_null()).to_list():
        findings.append(Finding(int(row), "time", "wrong type or value: not a log timestamp"))
    # "METHOD target …": the method and the target's path (before ? or #) when the line has at least two pieces
    request = frame.select(pieces=pl.col("request_line").fill_null("").str.split(" "))["pieces"]
    has_target = request.list.len() >= 2
    methods = pl.select(pl.when(has_target).then(request.list.get(0, null_on_oob=True))).to_series()
    targets = pl.select(pl.when(has_target).then(request.list.get(1, null_on_oob=True))).to_series()
    paths = pl.select(pl.when(targets != "").then(targets.str.extract(r"^([^?#]*)", 1))).to_series()
    agents = frame["user_agent"]
    salt = ctx.salt
    return pl.DataFrame({
        "source_row_number": frame["source_row_number"],
        "requested_at": requested,
        "client_hash": _per_distinct(frame["client_ip"], lambda ip: client_hash(salt, ip) if ip else None,
                                     pl.String),
        "http_method": methods.cast(pl.String),
        "request_path": paths.cast(pl.String),
        "http_status": frame["http_status_raw"].cast(pl.Int32, strict=False),
        "response_bytes": frame["response_bytes_raw"].cast(pl.Int64, strict=False),
        "referrer_host": _per_distinct(frame["referrer"], _referrer_host, pl.String),
        "device_type": _per_distinct(agents, device_of, pl.String),
        "is_bot": _per_distinct(agents, is_bot, pl.Boolean),
        "is_page": _per_distinct(paths, is_page, pl.Boolean),
    })


def _not_a_log_line(path: Path, number: int, last: bool) -> Rejected:
    """The refusal for a line that is not a web server log line (a cut-off last line says so)."""
    reason = "truncated last line" if last else "not a log line"
    return Rejected(
        f"{path.name}: line {number}: {reason}; send the complete log as the web server wrote it "
        "(Common or Combined Log Format, Apache or nginx).", [Finding(number, None, reason)],
        message_ja=(f"{path.name}: {number}行目がWebサーバーのログの形式（Common / Combined Log Format）として"
                    "読めません。サーバーが書き出したままのログを、途中で切らずに送ってください。"),
        next_step="resend_complete")


def _fields(groups: dict[str, str | None]) -> list[str | None]:
    """The LOG_FIELDS cells of one matched line ('-' bytes and an empty tail become null)."""
    return [groups["host"], groups["ident"], groups["user"], groups["time"], groups["request"], groups["status"],
            None if groups["bytes"] == "-" else groups["bytes"], groups["referrer"], groups["agent"],
            groups["extra"] or None]


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
                raise _not_a_log_line(path, number, not line.endswith("\n") and not ends_with_newline)
            yield number, _fields(match.groupdict())


def _log_frame(path: Path, encoding: str) -> pl.DataFrame | None:
    """Every line of a log parsed at once by the same pattern in polars (Rust's regex), as text columns
    column_0 … and source_row_number (the line number); None when the streaming reader must decide: a very large
    file, bytes the codec refuses, lone carriage returns, or whitespace Python and Rust disagree on."""
    data = lake.kept_content(path)
    if data is None:
        if path.stat().st_size > FAST_READ_MAX_BYTES:
            return None
        data = path.read_bytes()
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return None
    if ("\r" in text and text.count("\r") != text.count("\r\n")) or has_python_only_whitespace(text):
        return None
    lines = pl.Series("line", [text]).str.split("\n").explode()
    if text.endswith("\n") or not text:
        lines = lines.head(-1)  # the empty piece after the last newline is not a line
    physical = lines.len()
    # the streaming engine runs the pattern over morsels of lines on every core, in line order
    parsed = (pl.DataFrame({"line": lines})
              .with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("source_row_number"))
              .lazy()
              .filter(pl.col("line").str.strip_chars() != "")
              .select("source_row_number", pl.col("line").str.strip_chars_end("\r\n"))
              .with_columns(groups=pl.col("line").str.extract_groups(SIMPLE_COMBINED.pattern))
              .collect(engine="streaming"))
    if not parsed["source_row_number"].is_sorted():
        parsed = parsed.sort("source_row_number")
    lines, groups = parsed.select("source_row_number"), parsed["groups"].struct.unnest()
    unusual = groups["host"].is_null()
    if unusual.any():
        others = parsed["line"].filter(unusual).str.extract_groups(COMBINED.pattern).struct.unnest()
        at = unusual.arg_true()
        groups = groups.with_columns(*(groups[name].scatter(at, others[name]) for name in groups.columns))
    matched = groups["host"].is_not_null()  # host is never empty in a match
    if not matched.all():
        number = int(lines["source_row_number"].filter(~matched).min())
        raise _not_a_log_line(path, number, number == physical and not text.endswith("\n"))
    columns = [groups["host"], groups["ident"], groups["user"], groups["time"], groups["request"], groups["status"],
               pl.select(pl.when(groups["bytes"] != "-").then(groups["bytes"])).to_series(), groups["referrer"],
               groups["agent"], pl.select(pl.when(groups["extra"] != "").then(groups["extra"])).to_series()]
    return pl.DataFrame({f"column_{index}": column.cast(pl.String) for index, column in enumerate(columns)}
                        ).with_columns(lines["source_row_number"])


def read_log(path: Path, ctx) -> RawTable | None:
    """A RawTable over a combined log (*.log, or a .txt that starts like one); None for other files. Logs are
    parsed whole in polars (ctx.fast_read), or line by line where the fast path cannot decide."""
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
    frame = _log_frame(path, encoding) if ctx.fast_read else None
    if frame is not None:
        return RawTable(header, [], iter(()), encoding, 1, frame=frame)
    return RawTable(header, [], _log_rows(path, encoding), encoding, 1)


LAYOUTS = (
    Layout("analytics_export", "web_access", PAGE_VIEWS.table, PAGE_VIEW_FIELDS, transform_page_views),
    Layout("combined_log", "web_access", ACCESS_LOG.table, LOG_FIELDS, transform_log),
)
