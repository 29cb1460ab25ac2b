"""The digest after each refresh (issue 14, item 3): a real SMTP server (aiosmtpd) and a real webhook receiver
(http.server), both on 127.0.0.1 and started here. A status change sends one message naming the indicator and its
department; a refresh with no change sends nothing; a quarantined file is news even without a publish; a failure
to send never fails the refresh and is written into the digest."""
from __future__ import annotations

import email
import json
import socket
import threading
import time
from collections.abc import Iterator
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import run_warehouse

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")

REMOVED_FILE = "indicator_report_FY2020_庁舎管理・契約課.xlsx"  # M33-1 (遅れ in FY2020) is its only indicator
INDICATOR, DEPARTMENT = "M33-1", "庁舎管理・契約課"
RECEIVER_SECONDS = 600  # the receivers stop by themselves after this, whatever the test does


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Inbox:
    """aiosmtpd handler: keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


class _Webhook(ThreadingHTTPServer):
    posts: list[dict[str, object]]


class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.server.posts.append(json.loads(self.rfile.read(length).decode("utf-8")))  # type: ignore[attr-defined]
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def smtp_inbox() -> Iterator[tuple[_Inbox, int]]:
    inbox = _Inbox()
    port = _free_port()
    controller = aiosmtpd_controller.Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    timer = threading.Timer(RECEIVER_SECONDS, controller.stop)
    timer.daemon = True
    timer.start()
    try:
        yield inbox, port
    finally:
        timer.cancel()
        controller.stop()


@pytest.fixture()
def webhook() -> Iterator[tuple[_Webhook, str]]:
    server = _Webhook(("127.0.0.1", 0), _Receiver)
    server.posts = []
    server.timeout = 1
    deadline = time.monotonic() + RECEIVER_SECONDS

    def serve() -> None:  # bounded: stops by itself at the deadline
        while time.monotonic() < deadline and not getattr(server, "stopping", False):
            server.handle_request()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server, f"http://127.0.0.1:{server.server_address[1]}/digest"
    finally:
        server.stopping = True  # type: ignore[attr-defined]
        thread.join(timeout=5)
        server.server_close()


def _text(message: Message) -> str:
    parts = [part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
             for part in message.walk() if part.get_content_type() == "text/plain"]
    return "\n".join(parts)


def test_status_change_sends_one_message_and_no_change_sends_nothing(
        tmp_path: Path, smtp_inbox: tuple[_Inbox, int], webhook: tuple[_Webhook, str]) -> None:
    inbox, smtp_port = smtp_inbox
    receiver, url = webhook
    home = tmp_path / "home"
    run_warehouse(home, "demo", "--start", "2021-02", "--end", "2021-03", check=True)
    notify = {"WAREHOUSE_NOTIFY_SMTP_HOST": "127.0.0.1", "WAREHOUSE_NOTIFY_SMTP_PORT": str(smtp_port),
              "WAREHOUSE_NOTIFY_MAIL_FROM": "warehouse@example.jp",
              "WAREHOUSE_NOTIFY_MAIL_TO": "ict@example.jp, kikaku@example.jp",
              "WAREHOUSE_NOTIFY_WEBHOOK_URL": url, "WAREHOUSE_NOTIFY_LANGUAGES": "ja,en"}
    assert not (home / "digests").exists(), "the first publish has nothing to compare with: no digest"

    # a status change: M33-1's only report is taken out of the lake → 遅れ becomes データなし
    run_warehouse(home, "files", "remove", REMOVED_FILE, "--reason", "test", check=True)
    changed = run_warehouse(home, "refresh", **notify)
    assert changed.returncode == 0, changed.stdout + changed.stderr
    assert len(inbox.messages) == 1 and len(receiver.posts) == 1
    message = inbox.messages[0]
    assert "状況の変化 1件" in str(email.header.make_header(email.header.decode_header(message["Subject"])))
    assert message["To"] == "ict@example.jp, kikaku@example.jp"
    text = _text(message)
    assert f"{INDICATOR} " in text and DEPARTMENT in text and "遅れ → データなし" in text, text
    assert "Off track → No data" in text, "English follows when [notify] languages has en"
    post = receiver.posts[0]
    assert [(c["indicator_id"], c["old_status"], c["new_status"], c["departments_ja"]) for c in post["changed"]] == [
        (INDICATOR, "off_track", "no_data", DEPARTMENT)]
    ledger = [json.loads(line) for line in (home / "runs" / "ledger.jsonl").read_text(encoding="utf-8").splitlines()]
    run_id = ledger[-1]["run_id"]
    digest_md = (home / "digests" / f"{run_id}.md").read_text(encoding="utf-8")
    assert INDICATOR in digest_md and "送信済み" in digest_md and "webhook" in digest_md
    assert "<li>" in (home / "digests" / f"{run_id}.html").read_text(encoding="utf-8")
    status = json.loads(run_warehouse(home, "status", "--json").stdout)
    assert status["last_digest"]["run_id"] == run_id and status["last_digest"]["counts"]["changed"] == 1
    shown = run_warehouse(home, "status")
    assert "last digest:" in shown.stdout + shown.stderr

    # nothing new: nothing sent, no digest written
    same = run_warehouse(home, "refresh", **notify)
    assert same.returncode == 0, same.stdout + same.stderr
    assert len(inbox.messages) == 1 and len(receiver.posts) == 1
    assert len(list((home / "digests").glob("*.md"))) == 1

    # a quarantined file is news even without a publish
    bad = home / "landing" / "gis" / "gis_events_broken.csv"
    bad.write_text("no,such,header\n1,2,3\n", encoding="utf-8")
    quarantined = run_warehouse(home, "refresh", **notify)
    assert quarantined.returncode == 3, quarantined.stdout + quarantined.stderr
    assert len(inbox.messages) == 2 and len(receiver.posts) == 2
    assert "gis_events_broken.csv" in _text(inbox.messages[1])
    assert [q["file"] for q in receiver.posts[1]["quarantined"]] == ["gis_events_broken.csv"]


def test_a_failure_to_send_is_recorded_not_raised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from warehouse import digest as digest_module
    from warehouse.platform.settings import load_settings

    closed = _free_port()  # nothing listens there
    monkeypatch.setenv("WAREHOUSE_NOTIFY_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("WAREHOUSE_NOTIFY_SMTP_PORT", str(closed))
    monkeypatch.setenv("WAREHOUSE_NOTIFY_MAIL_FROM", "warehouse@example.jp")
    monkeypatch.setenv("WAREHOUSE_NOTIFY_MAIL_TO", "ict@example.jp")
    monkeypatch.setenv("WAREHOUSE_NOTIFY_WEBHOOK_URL", f"http://127.0.0.1:{closed}/digest")
    monkeypatch.setenv("WAREHOUSE_NOTIFY_TIMEOUT_SECONDS", "2")
    settings = load_settings(home=tmp_path / "home")
    digest = digest_module.Digest(run_id="20210420T000000Z-abcdef", version="warehouse-x", previous_version="warehouse-w",
                                  as_of_date="2021-04-20")
    digest.changed.append({"indicator_id": INDICATOR, "fiscal_year": 2020, "name_ja": "入札用発送図書の電子化",
                           "name_en": "e-tender documents", "departments_ja": DEPARTMENT,
                           "old_status": "on_track", "new_status": "at_risk", "status": "at_risk"})
    digest_module.deliver(settings.notify, digest, "text", "<p>page</p>")
    assert [(d["channel"], d["ok"]) for d in digest.delivery] == [("email", False), ("webhook", False)]
    path = digest_module.write_digest(settings, digest)
    text = path.read_text(encoding="utf-8")
    assert "順調 → 要注意" in text and DEPARTMENT in text and "送信できませんでした" in text
    assert digest_module.last_digest(settings)["delivery"][0]["ok"] is False


@pytest.mark.parametrize(("name", "value", "allowed"), [
    ("WAREHOUSE_NOTIFY_SMTP_PORT", "0", "from 1"),
    ("WAREHOUSE_NOTIFY_WEBHOOK_URL", "ftp://example.jp/x", "http(s) URL"),
    ("WAREHOUSE_NOTIFY_MAIL_TO", "not-an-address", "e-mail addresses"),
    ("WAREHOUSE_NOTIFY_LANGUAGES", "fr", "ja, en or ja,en"),
    ("WAREHOUSE_NOTIFY_SMTP_HOST", "127.0.0.1", "incomplete"),  # a host without mail_from and mail_to
])
def test_notify_settings_are_validated(name: str, value: str, allowed: str, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from warehouse.platform.settings import SettingsError, load_settings

    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=allowed.replace("(", r"\(").replace(")", r"\)")):
        load_settings(home=tmp_path)


def test_notify_is_off_by_default(tmp_path: Path) -> None:
    from warehouse.platform.settings import load_settings

    notify = load_settings(home=tmp_path).notify
    assert notify.smtp_host == notify.webhook_url == notify.mail_to == "" and notify.language_list == ["ja"]
