"""Homepage access (広聴広報課): analytics page-view exports and raw combined web server logs."""
from __future__ import annotations

from ingest.common.contract import Column, Contract, Field

DEVICES = {"PC": "pc", "パソコン": "pc", "デスクトップ": "pc", "desktop": "pc", "スマートフォン": "smartphone",
           "スマホ": "smartphone", "モバイル": "smartphone", "mobile": "smartphone", "タブレット": "tablet",
           "その他": "other"}
DEVICE_TYPES = ("pc", "smartphone", "tablet", "other")
LOG_DEVICE_TYPES = (*DEVICE_TYPES, "unknown")  # a log without user agents (Common Log Format) cannot say

PAGE_VIEWS = Contract(
    table="web_page_views_daily",
    kind="web_access",
    description="Daily page views of the ward homepage, from the analytics tool's export.",
    grain="One row per day × page × device type.",
    columns=(
        Column("access_date", "date", "Day of the page views (JST)."),
        Column("page_path", "varchar", "Path of the page on the ward site (host and query string removed)."),
        Column("page_title_ja", "varchar", "Page title as the analytics tool reports it.", required=False),
        Column("device_type", "varchar", "Device class.", accepted_values=DEVICE_TYPES),
        Column("page_view_count", "bigint", "Page views.", unit="views", min_value=0, max_value=10_000_000),
    ),
    unique_key=("access_date", "page_path", "device_type"),
    date_column="access_date",
    replace_scope=(),
)

ACCESS_LOG = Contract(
    table="web_access_log",
    kind="web_access",
    description="Requests to the ward web server (Common or Combined Log Format); client IPs or host names are "
                "replaced by salted hashes.",
    grain="One row per request (no natural key: identical requests within one second are normal).",
    columns=(
        Column("requested_at", "timestamp", "Request time converted to JST (naive)."),
        Column("client_hash", "varchar", "Salted SHA-256 of the client IP or host name; the raw value never reaches "
                                         "the lake.", sensitive=True),
        Column("http_method", "varchar", "HTTP method.", required=False),
        Column("request_path", "varchar", "Requested path, query string removed.", required=False),
        Column("http_status", "integer", "HTTP status code.", min_value=100, max_value=599),
        Column("response_bytes", "bigint", "Response size; null when the log shows '-'.", unit="bytes",
               required=False, min_value=0),
        Column("referrer_host", "varchar", "Host of the referring page (path and query dropped).", required=False),
        Column("device_type", "varchar", "Device class from the user agent (the agent itself is not stored); "
                                         "'unknown' when the log has no user agent (Common Log Format).",
               accepted_values=LOG_DEVICE_TYPES),
        Column("is_bot", "boolean", "User agent is a crawler, monitor or script (flagged, not dropped); false when "
                                    "the log has no user agent."),
        Column("is_page", "boolean", "Request is for a page, not an asset (image, script, style, font, feed)."),
    ),
    unique_key=(),
    date_column="requested_at",
    replace_scope=("source_file_name",),  # logs rotate: a corrected file replaces the file of the same name
)

PAGE_VIEW_FIELDS = (
    Field("access_date", ("日付", "年月日", "date")),
    Field("page_path", ("ページURL", "ページ", "URL", "ページパス", "page")),
    Field("page_title_ja", ("ページタイトル", "タイトル"), required=False),
    Field("device_type", ("デバイス", "デバイスカテゴリ", "端末")),
    Field("page_view_count", ("ページビュー数", "ページビュー", "PV", "PV数", "表示回数")),
)

LOG_FIELDS = (
    # An IP or a host name (which may look like anything): hashed with the salt, then dropped.
    Field("client_ip", pii_allowed=frozenset({"ip", "phone", "email", "my_number"})),
    Field("ident", keep=False),
    Field("auth_user", keep=False),
    Field("requested_at_raw"),
    Field("request_line", keep=False),  # only method and path (no query) are stored
    Field("http_status_raw"),
    Field("response_bytes_raw"),
    Field("referrer", keep=False),  # only the host is stored
    Field("user_agent", keep=False),  # only device class and bot flag are stored
    Field("extra", keep=False),  # fields after the agent (nginx's X-Forwarded-For …): read and dropped
)
