"""The digest after each refresh: what changed since the previous published version, written to
digests/<run_id>.md and .html and sent by e-mail ([notify] smtp_*) and/or to a webhook ([notify] webhook_url).

What it says (Japanese; English too when [notify] languages includes en):
- indicators whose status changed between the previous and the new published file (e.g. 順調 → 要注意);
- indicators off track now, with their owner departments;
- sources that went stale (meta.source_load_status, [refresh] stale_after_days);
- files quarantined or set aside by this run, and why;
- quality checks that fail or warn in the new file and did not in the previous one.

Nothing is written or sent when nothing changed (a no-op run without quarantined files, or a publish whose
statuses, sources and checks are those of the previous version). A failure to send never fails the refresh: it is
recorded in the run's message, in digests/<run_id>.json and in the digest file itself.
"""
from __future__ import annotations

import html
import json
import smtplib
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any

from warehouse.platform import database, durable, ledger
from warehouse.platform.progress_status import STATUS_LABELS
from warehouse.platform.settings import NotifySettings, Settings

if TYPE_CHECKING:
    from warehouse.refresh.run import Refresh

OFF_TRACK = "off_track"
SECTION_TITLES: dict[str, dict[str, str]] = {
    "title": {"ja": "ICT推進計画 指標ダイジェスト", "en": "ICT plan indicator digest"},
    "changed": {"ja": "状況が変わった指標", "en": "Indicators whose status changed"},
    "off_track": {"ja": "遅れている指標（所管課）", "en": "Indicators off track (owner department)"},
    "stale": {"ja": "更新が止まったデータ", "en": "Sources that went stale"},
    "quarantined": {"ja": "隔離したファイル", "en": "Files quarantined"},
    "set_aside": {"ja": "公開を見送ったファイル", "en": "Files set aside"},
    "quality": {"ja": "品質チェックの失敗・警告", "en": "Quality checks that failed or warned"},
    "delivery": {"ja": "送信", "en": "Delivery"},
}


@dataclass
class Digest:
    run_id: str
    version: str | None
    previous_version: str | None
    as_of_date: str
    changed: list[dict[str, Any]] = field(default_factory=list)
    off_track: list[dict[str, Any]] = field(default_factory=list)
    stale: list[dict[str, Any]] = field(default_factory=list)
    quarantined: list[dict[str, Any]] = field(default_factory=list)
    set_aside: list[dict[str, Any]] = field(default_factory=list)
    quality: list[dict[str, Any]] = field(default_factory=list)
    delivery: list[dict[str, Any]] = field(default_factory=list)

    @property
    def has_news(self) -> bool:
        """Something happened that someone should hear about (the off-track list alone is context)."""
        return bool(self.changed or self.stale or self.quarantined or self.set_aside or self.quality)

    def subject(self, lang: str = "ja") -> str:
        counts = len(self.changed)
        if lang == "ja":
            return f"【{SECTION_TITLES['title']['ja']}】{self.as_of_date} 状況の変化 {counts}件"
        return f"[{SECTION_TITLES['title']['en']}] {self.as_of_date}: {counts} status change(s)"

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "version": self.version, "previous_version": self.previous_version,
                "as_of_date": self.as_of_date, "changed": self.changed, "off_track": self.off_track,
                "stale": self.stale, "quarantined": self.quarantined, "set_aside": self.set_aside,
                "quality": self.quality}


# --- reading the published files -----------------------------------------------------------------------------------

def _version_file(settings: Settings, version_id: str) -> Path | None:
    for path in (database.release_dir(settings, version_id) / "warehouse.duckdb",
                 settings.versions_dir / f"{version_id}.duckdb"):
        if path.is_file():
            return path
    return None


def _read(path: Path | None, stale_after: int, as_of: date) -> dict[str, Any]:
    """Statuses per (indicator, fiscal year), source freshness and failing checks of one published file."""
    empty: dict[str, Any] = {"status": {}, "sources": {}, "quality": {}}
    if path is None:
        return empty
    con = database.connect_read_only(path)
    try:
        rows = con.sql(
            "select indicator_id, fiscal_year, progress_status, indicator_name_ja, indicator_name_en, "
            "owner_departments_ja from main.mart_kpi_indicator_progress").fetchall()
        status = {(r[0], int(r[1])): {"indicator_id": r[0], "fiscal_year": int(r[1]), "status": r[2],
                                      "name_ja": r[3], "name_en": r[4], "departments_ja": r[5] or ""} for r in rows}
        sources = {}
        for table, through in con.sql("select source_table, data_through_date from meta.source_load_status").fetchall():
            fresh = through is None or (as_of - through) <= timedelta(days=stale_after)
            sources[table] = {"table": table, "data_through_date": through.isoformat() if through else None,
                              "fresh": fresh}
        quality = {}
        for suite, table, expectation, details, severity in con.sql(
                "select suite_name, table_name, expectation, details, severity from meta.quality_results "
                "where not success").fetchall():
            quality[(suite, table, expectation)] = {"suite": suite, "table": table, "expectation": expectation,
                                                    "details": str(details or "")[:300], "severity": severity}
        return {"status": status, "sources": sources, "quality": quality}
    finally:
        con.close()


def _previous_version(settings: Settings, new_version: str | None, run_id: str) -> str | None:
    """The version served before this run (the ledger's last run that served one: a refresh, a rollback), if its
    file is still kept; else the newest kept version older than the new one."""
    ids = set(database.list_releases(settings)) | {p.stem for p in database.list_versions(settings)}
    for record in reversed(ledger.read_all(settings)):
        version = record.get("warehouse_version")
        if record.get("run_id") != run_id and version and record.get("status") in {"success", "no_op", "rolled_back"}:
            if version in ids and version != new_version:
                return str(version)
            break
    older = sorted(v for v in ids if new_version is None or v < new_version)
    return older[-1] if older else None


def compare(settings: Settings, new_version: str | None, previous_version: str | None, run_id: str,
            as_of: date) -> Digest:
    """What changed from previous_version to new_version (both version ids; None = nothing to compare)."""
    stale_after = settings.refresh.stale_after_days
    new = _read(_version_file(settings, new_version) if new_version else None, stale_after, as_of)
    old = _read(_version_file(settings, previous_version) if previous_version else None, stale_after, as_of)
    digest = Digest(run_id=run_id, version=new_version, previous_version=previous_version,
                    as_of_date=as_of.isoformat())
    if previous_version is not None:
        for key, row in sorted(new["status"].items()):
            before = old["status"].get(key)
            old_status = before["status"] if before else None
            if old_status == row["status"] or (before is None and row["status"] == "no_data"):
                continue
            digest.changed.append({**row, "old_status": old_status, "new_status": row["status"]})
    latest_year = max((year for _, year in new["status"]), default=None)
    for (indicator, year), row in sorted(new["status"].items()):
        # off track now: the latest fiscal year with an evaluated status for that indicator
        years = [y for (i, y), r in new["status"].items() if i == indicator and r["status"] != "no_data"]
        if row["status"] == OFF_TRACK and years and year == max(years) and latest_year is not None:
            digest.off_track.append(row)
    for table, source in sorted(new["sources"].items()):
        was = old["sources"].get(table)
        if not source["fresh"] and (was is None or was["fresh"]) and previous_version is not None:
            digest.stale.append(source)
    for key, check in sorted(new["quality"].items()):
        if key not in old["quality"]:
            digest.quality.append(check)
    return digest


def _files_of_run(run: Refresh, digest: Digest) -> None:
    for entry in run.record.files:
        if entry.get("status") == "quarantined":
            name = Path(str(entry.get("path", ""))).name
            sha = str(entry.get("sha256") or "")
            if sha and name.startswith(f"{sha[:16]}__"):  # quarantine/<sha16>__<file name>
                name = name.removeprefix(f"{sha[:16]}__")
            digest.quarantined.append({"file": name, "quarantined_as": str(entry.get("path", "")),
                                       "kind": entry.get("kind"),
                                       "reason_ja": str(entry.get("message_ja") or entry.get("message") or ""),
                                       "reason_en": str(entry.get("message") or "")})
    for item in run.set_aside:
        digest.set_aside.append({"file": item.get("file_name"), "reason": item.get("reason")})


# --- rendering --------------------------------------------------------------------------------------------------

def _label(status: str | None, lang: str) -> str:
    if status is None:
        return "（なし）" if lang == "ja" else "(none)"
    return STATUS_LABELS.get(status, {}).get(lang, status)


def _fy(year: int, lang: str) -> str:
    if lang == "ja":
        return f"令和{year - 2018}年度" if year >= 2019 else f"平成{year - 1988}年度"
    return f"FY{year}"


def _sections(digest: Digest, lang: str) -> list[tuple[str, list[str]]]:
    ja = lang == "ja"
    name = "name_ja" if ja else "name_en"
    left, right = ("（", "）") if ja else (" (", ")")
    sections: list[tuple[str, list[str]]] = []
    sections.append(("changed", [
        f"{row['indicator_id']} {row[name]}{left}{_fy(row['fiscal_year'], lang)}{right}: {_label(row['old_status'], lang)} → "
        f"{_label(row['new_status'], lang)}" + (f" — 所管: {row['departments_ja']}" if ja else
                                                 f" — owner: {row['departments_ja']}")
        for row in digest.changed]))
    sections.append(("off_track", [
        f"{row['indicator_id']} {row[name]}{left}{_fy(row['fiscal_year'], lang)}{right} — {row['departments_ja']}"
        for row in digest.off_track]))
    sections.append(("stale", [
        f"{s['table']}: " + (f"{s['data_through_date']} までのデータ" if ja else f"data through {s['data_through_date']}")
        for s in digest.stale]))
    sections.append(("quarantined", [
        f"{q['file']} ({q['kind']}): {q['reason_ja'] if ja else q['reason_en']}" for q in digest.quarantined]))
    sections.append(("set_aside", [f"{s['file']}: {s['reason']}" for s in digest.set_aside]))
    sections.append(("quality", [
        f"[{q['severity']}] {q['table']}: {q['expectation']} ({q['suite']}) {q['details']}".rstrip()
        for q in digest.quality]))
    return sections


def _delivery_lines(digest: Digest, lang: str) -> list[str]:
    lines = []
    for item in digest.delivery:
        if item["ok"]:
            lines.append(f"{item['channel']}: " + ("送信済み" if lang == "ja" else "sent") + f" ({item['target']})")
        else:
            lines.append(f"{item['channel']}: " + ("送信できませんでした" if lang == "ja" else "could not be sent")
                         + f" ({item['target']}): {item['error']}")
    return lines


def render_markdown(digest: Digest, languages: list[str]) -> str:
    parts: list[str] = []
    for lang in languages:
        none = "なし" if lang == "ja" else "none"
        parts.append(f"# {SECTION_TITLES['title'][lang]} — {digest.as_of_date}\n")
        versions = (f"公開版 {digest.version}（前回 {digest.previous_version or 'なし'}）、実行 {digest.run_id}"
                    if lang == "ja" else
                    f"version {digest.version} (previous {digest.previous_version or 'none'}), run {digest.run_id}")
        parts.append(versions + "\n")
        for key, lines in _sections(digest, lang):
            parts.append(f"## {SECTION_TITLES[key][lang]}\n")
            parts.append("\n".join(f"- {line}" for line in lines) if lines else f"- {none}")
            parts.append("")
        delivery = _delivery_lines(digest, lang)
        if delivery:
            parts.append(f"## {SECTION_TITLES['delivery'][lang]}\n")
            parts.append("\n".join(f"- {line}" for line in delivery))
            parts.append("")
    return "\n".join(parts).rstrip() + "\n"


def render_html(digest: Digest, languages: list[str]) -> str:
    body: list[str] = []
    for lang in languages:
        none = "なし" if lang == "ja" else "none"
        body.append(f'<section lang="{lang}"><h1>{html.escape(SECTION_TITLES["title"][lang])} — '
                    f"{html.escape(digest.as_of_date)}</h1>")
        body.append(f"<p>{html.escape(str(digest.version))} / {html.escape(digest.run_id)}</p>")
        for key, lines in [*_sections(digest, lang), ("delivery", _delivery_lines(digest, lang))]:
            if key == "delivery" and not lines:
                continue
            items = "".join(f"<li>{html.escape(line)}</li>" for line in lines) or f"<li>{none}</li>"
            body.append(f"<h2>{html.escape(SECTION_TITLES[key][lang])}</h2><ul>{items}</ul>")
        body.append("</section>")
    return ('<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>'
            f"{html.escape(digest.subject())}</title></head><body>{''.join(body)}</body></html>\n")


# --- sending ----------------------------------------------------------------------------------------------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """The digest goes only to the configured URL: a redirect is an error, never followed."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise urllib.error.HTTPError(req.full_url, code, f"redirect to {newurl} not followed", headers, fp)


def _send_mail(notify: NotifySettings, digest: Digest, text: str, page: str) -> None:
    message = EmailMessage()
    message["Subject"] = digest.subject(notify.language_list[0])
    message["From"] = notify.mail_from
    message["To"] = ", ".join(notify.mail_recipients)
    message.set_content(text)
    message.add_alternative(page, subtype="html")
    with smtplib.SMTP(notify.smtp_host, notify.smtp_port, timeout=notify.timeout_seconds) as smtp:
        if notify.smtp_starttls:
            smtp.starttls()
        if notify.smtp_user:
            smtp.login(notify.smtp_user, notify.smtp_password)
        smtp.send_message(message)


def _post_webhook(notify: NotifySettings, digest: Digest, text: str) -> None:
    payload = {"subject": digest.subject(notify.language_list[0]), "text": text, **digest.to_dict()}
    request = urllib.request.Request(notify.webhook_url, data=json.dumps(payload, ensure_ascii=False).encode(),
                                     headers={"Content-Type": "application/json; charset=utf-8"}, method="POST")
    opener = urllib.request.build_opener(_NoRedirect)
    with opener.open(request, timeout=notify.timeout_seconds) as response:
        if not 200 <= response.status < 300:
            raise urllib.error.HTTPError(notify.webhook_url, response.status, "not a 2xx answer", response.headers,
                                         None)


def deliver(notify: NotifySettings, digest: Digest, text: str, page: str) -> None:
    """Send to every configured channel; each outcome (never an exception) goes into digest.delivery."""
    channels = []
    if notify.smtp_host:
        channels.append(("email", f"{notify.smtp_host}:{notify.smtp_port} → {notify.mail_to}",
                         lambda: _send_mail(notify, digest, text, page)))
    if notify.webhook_url:
        channels.append(("webhook", notify.webhook_url, lambda: _post_webhook(notify, digest, text)))
    for channel, target, send in channels:
        try:
            send()
            digest.delivery.append({"channel": channel, "target": target, "ok": True, "error": None})
        except Exception as exc:  # noqa: BLE001 - a failure to send never fails the refresh
            digest.delivery.append({"channel": channel, "target": target, "ok": False,
                                    "error": f"{type(exc).__name__}: {exc}"})


# --- the hook -----------------------------------------------------------------------------------------------------

def write_digest(settings: Settings, digest: Digest) -> Path:
    """digests/<run_id>.md, .html and .json (durable); returns the .md path."""
    languages = settings.notify.language_list
    folder = settings.digests_dir
    folder.mkdir(parents=True, exist_ok=True)
    durable.write_text(folder / f"{digest.run_id}.md", render_markdown(digest, languages))
    durable.write_text(folder / f"{digest.run_id}.html", render_html(digest, languages))
    summary = {**digest.to_dict(), "delivery": digest.delivery, "languages": languages,
               "counts": {key: len(getattr(digest, key)) for key in
                          ("changed", "off_track", "stale", "quarantined", "set_aside", "quality")}}
    durable.write_text(folder / f"{digest.run_id}.json", json.dumps(summary, ensure_ascii=False, indent=2,
                                                                     default=str))
    return folder / f"{digest.run_id}.md"


def digest_after_refresh(run: Refresh) -> Digest | None:
    """Called at the end of a refresh that published or did nothing. Never raises: a problem is noted in the
    run's message (and, when sending failed, in the digest file)."""
    started = time.perf_counter()
    try:
        settings = run.settings
        record = run.record
        if record.status == "success":
            new = record.warehouse_version
            digest = compare(settings, new, _previous_version(settings, new, record.run_id), record.run_id, run.as_of)
        elif record.status == "no_op":
            digest = Digest(run_id=record.run_id, version=record.warehouse_version,
                            previous_version=record.warehouse_version, as_of_date=run.as_of.isoformat())
        else:
            return None
        _files_of_run(run, digest)
        if not digest.has_news:
            run.log.info("digest: nothing changed; nothing written or sent")
            return None
        notify = settings.notify
        text = render_markdown(digest, notify.language_list)
        deliver(notify, digest, text, render_html(digest, notify.language_list))
        path = write_digest(settings, digest)
        failed = [d for d in digest.delivery if not d["ok"]]
        record.message += f"; digest {path.name}" + "".join(
            f"; digest not sent by {d['channel']}: {d['error']}" for d in failed)
        for item in digest.delivery:
            run.log.info("digest %s to %s: %s", item["channel"], item["target"], "sent" if item["ok"] else item["error"])
        return digest
    except Exception as exc:  # the digest never fails the refresh
        run.log.exception("digest failed")
        run.record.message += f"; digest failed ({type(exc).__name__}: {exc})"
        return None
    finally:
        run.record.step_seconds["digest"] = round(time.perf_counter() - started, 3)


def last_digest(settings: Settings) -> dict[str, Any] | None:
    """The newest digests/<run_id>.json, summarised for `warehouse status`."""
    folder = settings.digests_dir
    if not folder.is_dir():
        return None
    for path in sorted(folder.glob("*.json"), reverse=True):
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        return {"run_id": payload.get("run_id"), "path": str(path.with_suffix(".md")),
                "html": str(path.with_suffix(".html")), "version": payload.get("version"),
                "counts": payload.get("counts", {}), "delivery": payload.get("delivery", []),
                "changed": [f"{c['indicator_id']} {c['fiscal_year']}: {c['old_status']} → {c['new_status']}"
                            for c in payload.get("changed", [])][:10]}
    return None
