"""What a department reads when its file is refused: the file, every kind of problem with its count and first rows,
the headers expected beside the headers found, and the one thing to do next — in Japanese and English.

Never a value from the file (a refused file may hold personal data), never a path into the source code.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.common.findings import FIRST_ROWS, Finding, Rejected, as_dicts, dedupe, summarise
from ingest.common.normalize import header_key

LAYOUT_JA = {"energy_monthly": "月次（メーターごとの列）", "energy_monthly_long": "月次（1行1メーター）",
             "energy_interval": "30分・60分値", "kyoiku_kikan": "教育機関一覧", "kokyo_shisetsu_v1": "公共施設一覧（旧版）",
             "kokyo_shisetsu_v2": "公共施設一覧", "analytics_export": "アクセス解析の書き出し",
             "combined_log": "Webサーバーのログ"}
LAYOUT_EN = {"energy_monthly": "monthly (a column per meter)", "energy_monthly_long": "monthly (a row per meter)",
             "energy_interval": "30/60-minute readings", "kyoiku_kikan": "school list (教育機関一覧)",
             "kokyo_shisetsu_v1": "public facility list, old edition", "kokyo_shisetsu_v2": "public facility list",
             "analytics_export": "analytics export", "combined_log": "web server log"}
KIND_JA = {"certificates": "証明書交付件数", "web_access": "ホームページアクセス", "gis": "統合型GIS利用",
           "energy": "施設エネルギー", "indicator_reports": "指標実績報告", "evaluations": "取り組み状況の評価"}
PII_JA = {"my_number": "マイナンバー（個人番号）", "phone": "電話番号", "email": "メールアドレス", "ip": "IPアドレス"}
PII_EN = {"my_number": "a My Number (12 digits with a valid check digit)", "phone": "a phone number",
          "email": "an e-mail address", "ip": "an IP address"}

# Parser details (after "wrong type or value: ") in Japanese.
DETAILS: list[tuple[str, str]] = [
    (r"^not a date-time", "日時として読めません（例: 2020-04-01 09:30）"),
    (r"^not a date", "日付として読めません（例: 令和2年4月1日、R2.4.1、2020-04-01）"),
    (r"^not a whole number", "整数ではありません"),
    (r"^not a number", "数値として読めません"),
    (r"^unknown value; allowed: (.+)$", "使えない値です（使える値: {0}）"),
    (r"^date outside the era (\S+) \((.+) to (.+)\)$", "{0}の期間（{1}〜{2}）にない日付です"),
    (r"^month outside the era (\S+)", "{0}の期間にない年月です"),
    (r"^era year 0", "元号の0年はありません"),
    (r"^postal code must have 7 digits", "郵便番号は7桁です"),
    (r"^interval must be 30 or 60 minutes", "計測間隔は30分か60分です"),
    (r"^not a time", "時刻として読めません（例: 09:30）"),
    (r"^time out of range", "時刻の範囲外です"),
    (r"^not a month", "年月として読めません（例: 令和2年4月、2020-04）"),
    (r"^not a fiscal year", "年度として読めません（例: 令和2年度、2020）"),
    (r"^not a log timestamp", "ログの日時として読めません"),
    (r"^unknown unit; known units: (.+)$", "知らない単位です（使える単位: {0}）"),
]


@dataclass(frozen=True)
class Kind:
    """A kind of problem: a code, and how to say it (templates take the reason's regex groups)."""

    code: str
    pattern: str
    ja: str
    en: str


KINDS: list[Kind] = [
    Kind("missing_value", r"^missing required value$", "値が空です（必ず入れる列です）", "empty, but a value is required"),
    Kind("not_allowed", r"^value not allowed \(allowed: (.+)\)$", "使えない値です（使える値: {0}）",
         "value not allowed (allowed: {0})"),
    Kind("negative", r"^negative value$", "マイナスの値です", "negative value"),
    Kind("below_minimum", r"^below minimum (.+)$", "最小値 {0} より小さい値です", "below the minimum {0}"),
    Kind("above_maximum", r"^above plausible maximum (.+)$", "ありえない大きさの値です（上限 {0}。単位の違いがないか確認してください）",
         "above the plausible maximum {0} (check the unit)"),
    Kind("future_date", r"^date in the future(?: \(after (.+)\))?$", "未来の日付です（基準日 {0} より後）",
         "date in the future (after the as-of date {0})"),
    Kind("outside_month", r"^date outside the month the file declares \((.+)\)$",
         "ファイル名または表題の月（{0}）以外の日付です", "date outside the month the file name or title declares ({0})"),
    Kind("future_fiscal_year", r"^fiscal year after the current one \((.+)\)$", "まだ来ていない年度です（現在は {0}）",
         "fiscal year after the current one ({0})"),
    Kind("unit_meter", r"^unit (\S+) does not fit meter (\S+) \(allowed: (.+)\)$",
         "単位 {0} はメーター {1} には使えません（使える単位: {2}）", "unit {0} does not fit meter {1} (allowed: {2})"),
    Kind("unit_power", r"^unit (\S+) is a power", "単位 {0} は電力（kW）です。30分・60分ごとの値でないと電力量（kWh）に換算できません",
         "unit {0} is a power: only 30- or 60-minute readings can become energy (kWh)"),
    Kind("unknown_unit", r"^unknown unit; known units: (.+)$", "知らない単位です（使える単位: {0}）",
         "unknown unit (known units: {0})"),
    Kind("unknown_value", r"^wrong type or value: unknown value; allowed: (.+)$", "使えない値です（使える値: {0}）",
         "unknown value (allowed: {0})"),
    Kind("unknown_unit", r"^wrong type or value: unknown unit; known units: (.+)$", "知らない単位です（使える単位: {0}）",
         "unknown unit (known units: {0})"),
    Kind("wrong_value", r"^wrong type or value: (.+)$", "値の形式が正しくありません（{ja0}）", "wrong type or value ({0})"),
    Kind("pii", r"^PII: (\w+)$", "個人情報と思われる値（{pii_ja}）があります", "looks like personal data ({pii_en})"),
    Kind("duplicate_across_files", r"^duplicate key across files(?: \(already loaded from (.+), row (\d+)\))?$",
         "取り込み済みの別のファイルと同じキーの行です", "the same key is already loaded from another file"),
    Kind("duplicate", r"^duplicate key(?: \(same as row (\d+)\))?$", "同じキーの行が2回以上あります",
         "the same key appears more than once"),
    Kind("missing_column", r"^missing or renamed required column$", "必要な列がないか、見出しが違います",
         "required column missing or named differently"),
    Kind("empty", r"^empty file$", "空のファイルです", "empty file"),
    Kind("header_only", r"^header only", "見出しだけで、データの行がありません", "header only, no data rows"),
    Kind("too_large", r"^file too large", "ファイルが大きすぎます", "file too large"),
    Kind("encoding", r"^(?:unsupported encoding|mixed encoding)", "文字コードを読めません（UTF-8 か Shift_JIS で保存してください）",
         "the text encoding cannot be read (save as UTF-8 or Shift_JIS)"),
    Kind("truncated", r"^truncated last line$", "最後の行が途中で切れています", "the last line is cut off"),
    Kind("ragged", r"^expected (\d+) fields, found (\d+)$", "列の数が見出しと違います（見出し {0} 列、この行 {1} 列）",
         "{1} fields where the header has {0}"),
    Kind("not_log_line", r"^not a (?:combined-)?log line$", "Webサーバーのログの行として読めません",
         "not a web server log line (Common or Combined Log Format)"),
    Kind("unreadable", r"^(?:unreadable|damaged or unreadable)", "ファイルを読み取れません（壊れているか、別の形式です）",
         "the file cannot be read (damaged, or another format)"),
    Kind("partial_overlap", r"^partial overlap with an earlier file for (.+)$",
         "前に取り込んだファイルの {0} 分の一部だけと重なっています", "covers only part of what an earlier file loaded for {0}"),
    Kind("mapping", r"^mapping", "列の対応表（マッピング）が使えません", "the column mapping cannot be used"),
    Kind("unknown_measure", r"^unknown measure \(the plan's measures are (.+)\)$", "計画にない施策の番号です（施策は {0}）",
         "not a measure of the plan (the measures are {0})"),
    Kind("decision_only_grade", r"^AA is decision-only", "AA は推進本部が決める評価です。自己評価は A、B、C のどれかです",
         "AA is decided by the ICT推進・活用本部 only; a self-assessment is A, B or C"),
    Kind("closed_year", r"^fiscal year (\d+) is closed$", "{0}年度は確定済みです", "fiscal year {0} is closed"),
    Kind("not_our_workbook", r"^not the 取り組み状況 workbook: (.+)$", "取り組み状況のブックの形になっていません（{0}）",
         "not the 取り組み状況 workbook ({0})"),
]
_COMPILED = [(kind, re.compile(kind.pattern)) for kind in KINDS]
RESEND = {"empty", "header_only", "encoding", "truncated", "ragged", "unreadable", "not_log_line"}


def _detail_ja(detail: str) -> str:
    for pattern, template in DETAILS:
        match = re.match(pattern, detail)
        if match:
            return template.format(*match.groups())
    return detail


def classify(reason: str) -> tuple[str, str, str]:
    """(code, Japanese, English) of a finding's reason; unknown reasons keep their words."""
    for kind, pattern in _COMPILED:
        match = pattern.match(reason)
        if not match:
            continue
        groups = [g or "" for g in match.groups()]
        extra = {"ja0": _detail_ja(groups[0]) if groups else "",
                 "pii_ja": PII_JA.get(groups[0], groups[0]) if groups else "",
                 "pii_en": PII_EN.get(groups[0], groups[0]) if groups else ""}
        return kind.code, kind.ja.format(*groups, **extra), kind.en.format(*groups, **extra)
    return "other", reason, reason


@dataclass
class Problem:
    """One kind of problem in one column: how many rows, and the first of them."""

    code: str
    column: str | None
    reason_ja: str
    reason_en: str
    count: int = 0
    first_rows: list[int] = field(default_factory=list)
    pii_kind: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.code, "column": self.column, "reason_ja": self.reason_ja, "reason_en": self.reason_en,
                "count": self.count, "first_rows": self.first_rows}


def group(findings: list[Finding], counts: dict[tuple[str, str | None], int] | None = None) -> list[Problem]:
    """Findings grouped by kind of problem and column, each finding counted once, in the order first seen."""
    problems: dict[tuple[str, str | None, str], Problem] = {}
    keyed: dict[tuple[str, str | None], tuple[str, str | None, str]] = {}

    def problem_for(reason: str, column: str | None) -> Problem:
        code, ja, en = classify(reason)
        # PII kinds and parse details stay apart (a phone and a My Number are two things to fix).
        detail = reason if code in {"pii", "wrong_value", "not_allowed", "other", "above_maximum", "unknown_unit",
                                    "unit_meter", "unit_power", "unknown_value"} else ""
        key = (code, column, detail)
        keyed[(reason, column)] = key
        if key not in problems:
            pii = reason.split(": ", 1)[1] if code == "pii" else None
            problems[key] = Problem(code, column, ja, en, pii_kind=pii)
        return problems[key]

    unique = dedupe(findings)
    for finding in unique:
        problem = problem_for(finding.reason, finding.column)
        if finding.row and finding.row not in problem.first_rows and len(problem.first_rows) < FIRST_ROWS:
            problem.first_rows.append(finding.row)
        if not counts:
            problem.count += 1
    if counts:
        for (reason, column), count in counts.items():
            problem_for(reason, column).count += count
    for problem in problems.values():
        problem.first_rows.sort()
        problem.count = max(problem.count, len(problem.first_rows), 1)
    return list(problems.values())


def _rows(problem: Problem, ja: bool) -> str:
    if not problem.first_rows:
        return "ファイル全体" if ja else "whole file"
    shown = ("、".join(f"{row}行目" for row in problem.first_rows) if ja
             else ", ".join(str(row) for row in problem.first_rows))
    more = problem.count > len(problem.first_rows)
    if ja:
        return f"{problem.count}行（{shown}{' ほか' if more else ''}）"
    return f"{problem.count} row{'s' if problem.count != 1 else ''} ({'row' if len(problem.first_rows) == 1 else 'rows'} " \
           f"{shown}{', …' if more else ''})"


def _line(problem: Problem, ja: bool) -> str:
    reason = problem.reason_ja if ja else problem.reason_en
    if ja:
        where = f"列「{problem.column}」: " if problem.column else ""
        return f"・{where}{reason} — {_rows(problem, True)}"
    where = f"column {problem.column}: " if problem.column else ""
    return f"- {where}{reason} — {_rows(problem, False)}"


def _pii_safe(headers: list[str] | None) -> list[str] | None:
    """Headers to show: a cell that looks like personal data (a header-less file's first row) is hidden."""
    if not headers:
        return headers
    import polars as pl

    from ingest.common.pii import scan_frame

    cells = [str(header) for header in headers]
    frame = pl.DataFrame({"cell": pl.Series(cells, dtype=pl.String),
                          "source_row_number": pl.Series(range(1, len(cells) + 1), dtype=pl.Int64)})
    risky = {finding.row for finding in scan_frame(frame, {}, {})}
    return ["（非表示 / hidden）" if index in risky else cell for index, cell in enumerate(cells, start=1)]


def _match_pattern(file_name: str) -> str:
    """A match pattern for files like this one: digits (dates, numbers) become '*'."""
    stem, dot, suffix = file_name.rpartition(".")
    base = re.sub(r"\*+", "*", re.sub(r"[0-9０-９]+", "*", stem if dot else file_name))
    return f"{base}.{suffix}" if dot else base


def _similarity(names: list[str], header: str) -> float:
    """How much a header looks like one of a field's accepted names (1.0: the same name)."""
    key = header_key(header)
    return max(difflib.SequenceMatcher(None, header_key(name), key).ratio() for name in names)


def example_mapping(file_name: str, kind: str, error: Rejected, found: list[str] | None) -> str:
    """A mapping file to start from: each stored column beside the header in this file that seems to be it."""
    fields = error.layout_fields or {}
    headers = [h for h in (found or []) if h and not h.startswith("（")]
    lines = [f"# 列の対応表 / column mapping for {file_name} (docs/mappings.md)",
             f'match = ["{_match_pattern(file_name)}"]']
    if error.table:
        lines.append(f'table = "{error.table}"')
    lines += ["", "[columns]   # 取り込み先の列 = \"このファイルの見出し\" / lake column = \"header in your file\""]
    pairs = sorted(((_similarity(names, header), index, name, header) for index, (name, names) in
                    enumerate(fields.items()) for header in headers), key=lambda p: (-p[0], p[1]))
    guesses: dict[str, str] = {}
    for ratio, _, name, header in pairs:  # best pairs first: a close guess never takes another field's header
        if ratio >= 0.6 and name not in guesses and header not in guesses.values():
            guesses[name] = header
    for name, names in fields.items():
        lines.append(f'{name} = "{guesses.get(name, "？")}"   # {names[0]}')
    unused = [h for h in headers if h not in guesses.values()]
    if unused and len(guesses) < len(fields):
        lines.append(f"# このファイルのほかの見出し / other headers in the file: {', '.join(unused)}")
    return "\n".join(lines) + "\n"


def _next_step(action: str, file_name: str, kind: str, settings: Any, error: Rejected, problems: list[Problem],
               found: list[str] | None) -> dict[str, Any]:
    landing = f"landing/{kind}/"
    mappings_dir = Path(settings.mappings_dir) / kind if settings is not None \
        else Path("mappings") / kind
    stem = re.sub(r"[^A-Za-z\u3040-\u30ff\u4e00-\u9fff]+", "_", file_name.rsplit(".", 1)[0]).strip("_")
    mapping_file = error.mapping_file or str(mappings_dir / f"{stem or kind}.toml")
    retry = f"warehouse files retry {file_name}"
    step: dict[str, Any] = {"action": action}
    if action == "add_mapping":
        step["ja"] = (f"見出しが違うだけなら、ファイルを直さずに読み込めます: 列の対応表 {mapping_file} を作り（下の例を参考に）、"
                      f"{retry} を実行してください。または見出しを「期待する見出し」のとおりに直して {landing} に置き直してください。")
        step["en"] = (f"If only the headers differ, the file can load as it is: write the column mapping {mapping_file} "
                      f"(start from the example below) and run {retry}. Or rename the headers to the expected ones and "
                      f"put the file in {landing} again.")
        step["mapping_file"] = mapping_file
        step["example"] = example_mapping(file_name, kind, error, found)
    elif action == "fix_mapping":
        step["ja"] = f"列の対応表（マッピング）{mapping_file} を直してから、{retry} を実行してください。"
        step["en"] = f"Correct the column mapping {mapping_file}, then run {retry}."
        step["mapping_file"] = mapping_file
    elif action == "resend_complete":
        step["ja"] = (f"元のシステムからもう一度書き出し（CSV は UTF-8 か Shift_JIS、Excel は .xlsx）、完全なファイルを {landing} "
                      "に置いてください。")
        step["en"] = (f"Export the file again from the source system (CSV as UTF-8 or Shift_JIS, Excel as .xlsx) and put "
                      f"the complete file in {landing}.")
    elif action == "declare_public_identifier":
        columns = sorted({p.column for p in problems if p.code == "pii" and p.pii_kind == "my_number" and p.column})
        quoted = ", ".join(f'"{c}"' for c in columns)
        step["ja"] = (f"列 {'、'.join(columns)} が施設IDなどの公開の番号なら、{mapping_file} に "
                      f"public_identifier_columns = [{quoted}] と書いて {retry} を実行してください。"
                      f"個人番号（マイナンバー）なら、その値を削除したファイルを {landing} に置き直してください。")
        step["en"] = (f"If column(s) {', '.join(columns)} hold public numbers (a facility ID, say), add "
                      f"public_identifier_columns = [{quoted}] to {mapping_file} and run {retry}. If they are personal "
                      f"numbers (My Number), delete them and put the file in {landing} again.")
        step["mapping_file"] = mapping_file
        step["example"] = (f'# {mapping_file}\nmatch = ["{_match_pattern(file_name)}"]\n'
                           f"public_identifier_columns = [{quoted}]\n")
    elif action == "remove_pii":
        kinds = sorted({p.pii_kind for p in problems if p.code == "pii" and p.pii_kind})
        others = any(p.code != "pii" for p in problems)
        step["ja"] = (f"個人情報（{'、'.join(PII_JA.get(k, k) for k in kinds)}）を削除するか伏せ字にし"
                      f"{'、上のほかの問題も直し' if others else ''}て、{landing} に置き直してください。")
        step["en"] = (f"Delete or mask the personal data ({', '.join(PII_EN.get(k, k) for k in kinds)})"
                      f"{', correct the other problems above,' if others else ''} and put the file in {landing} again.")
    elif action == "split_file":
        step["ja"] = f"ファイルを（月ごとなどに）分けて {landing} に置いてください。"
        step["en"] = f"Split the file (by month, say) and put the parts in {landing}."
    elif action == "send_complete_scope":
        step["ja"] = f"前に送ったファイルと同じ範囲（施設・月）をすべて含む訂正版を {landing} に置いてください。"
        step["en"] = f"Send a corrected file that covers everything the earlier file covered, in {landing}."
    else:
        step["action"] = "fix_and_resend"
        step["ja"] = (f"上の行を直して、{landing} にもう一度置いてください（行番号は見出しの次の行を1行目として数えます）。")
        step["en"] = (f"Correct the rows listed above and put the file in {landing} again (row 1 is the first row below "
                      "the header).")
    return step


def _action(error: Rejected, problems: list[Problem]) -> str:
    if error.next_step:
        return error.next_step
    codes = {p.code for p in problems}
    if codes & RESEND:
        return "resend_complete"
    if "mapping" in codes:
        return "fix_mapping"
    if "missing_column" in codes:
        return "add_mapping"
    if "pii" in codes:
        pii = [p for p in problems if p.code == "pii"]
        if all(p.pii_kind == "my_number" and p.column for p in pii) and codes == {"pii"}:
            return "declare_public_identifier"
        return "remove_pii"
    if "partial_overlap" in codes:
        return "send_complete_scope"
    if "too_large" in codes:
        return "split_file"
    return "fix_and_resend"


def _strip_code_paths(text: str) -> str:
    """No path into the source code reaches a department (an older message may still carry one)."""
    return re.sub(r"\bingest/[\w/]+\.py\b", "the ingest rules", text)


def build_report(file_name: str, kind: str, sha256: str, error: Rejected, settings: Any = None) -> dict[str, Any]:
    """The quarantine report: message_ja, message_en, message (one line), problems, headers and next step."""
    problems = group(error.findings, error.counts)
    found = _pii_safe(error.found_headers)
    action = _action(error, problems)
    step = _next_step(action, file_name, kind, settings, error, problems, found)
    kind_ja = KIND_JA.get(kind, kind)
    prose_en = _strip_code_paths(error.message)
    generic = prose_en.startswith(f"{file_name}: {summarise(error.findings)}")
    stopped = (f"（{error.rows_read}行目まで読んだところで問題が多いため読むのをやめました。数はそこまでのものです）"
               if error.stopped_early and error.rows_read else "")
    stopped_en = (f" (reading stopped after {error.rows_read} rows because of the number of problems; counts are up "
                  "to there)" if error.stopped_early and error.rows_read else "")

    ja = [f"{file_name}（{kind_ja}）は取り込めませんでした。このファイルのデータは1行も取り込んでいません。"]
    if error.message_ja:
        ja.append(_strip_code_paths(error.message_ja))
    elif not generic:
        ja.append(f"詳細（英語）: {prose_en}")
    en = [f"{file_name} ({kind}) was refused; nothing from it was loaded."]
    if not generic:
        en.append(prose_en)
    ja.append(f"見つかった問題（{len(problems)}種類）{stopped}:")
    ja.extend(_line(p, True) for p in problems)
    en.append(f"Problems found ({len(problems)} kind{'s' if len(problems) != 1 else ''}){stopped_en}:")
    en.extend(_line(p, False) for p in problems)
    if error.expected_headers and (found is not None) and action in {"add_mapping", "fix_and_resend", "fix_mapping"}:
        ja.append(f"期待する見出し: {'、'.join(error.expected_headers)}")
        for name, headers in (error.other_layouts or {}).items():
            ja.append(f"　（または {LAYOUT_JA.get(name, name)}: {'、'.join(headers)}）")
        ja.append(f"このファイルの見出し: {'、'.join(found) if found else '（なし）'}")
        en.append(f"Expected headers: {', '.join(error.expected_headers)}")
        for name, headers in (error.other_layouts or {}).items():
            en.append(f"  (or {LAYOUT_EN.get(name, name)}: {', '.join(headers)})")
        en.append(f"Headers found: {', '.join(found) if found else '(none)'}")
    ja.append(f"次にすること: {step['ja']}")
    en.append(f"Next: {step['en']}")
    if step.get("example"):
        ja.append("例:\n" + step["example"])
        en.append("Example:\n" + step["example"])
    shown = "; ".join(f"{p.column + ': ' if p.column else ''}{p.reason_en} ({_rows(p, False)})" for p in problems[:3])
    more = f"; and {len(problems) - 3} more kind(s)" if len(problems) > 3 else ""
    one_line = (prose_en if not generic else f"{file_name}: {shown}{more}.") + f" Next: {step['en']}"
    return {
        "file": file_name, "kind": kind, "sha256": sha256,
        "message": one_line, "message_ja": "\n".join(ja), "message_en": "\n".join(en),
        "problems": [p.to_dict() for p in problems],
        "findings": as_dicts(error.findings),
        "expected_headers": error.expected_headers, "optional_headers": error.optional_headers,
        "other_layouts": error.other_layouts, "found_headers": found,
        "next_step": step, "rows_read": error.rows_read, "stopped_early": error.stopped_early,
    }
