"""Proves that the dbt seeds under seeds/ transcribe 板橋区ICT推進・活用計画2020 faithfully.

Only the standard library is used (csv), so this runs without the warehouse's dependencies.
The faithfulness checks read the plan text itself from ../shared/plan/ (next to the repository
checkout) and are skipped with an explanatory message when that file is not there.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SEEDS = REPO_ROOT / "seeds"
PLAN_FILE = REPO_ROOT.parent / "shared" / "plan" / "itabashi-ict-plan-2020.txt"

SEED_FILES = [
    "plan_basic_goals",
    "plan_focus_strategies",
    "plan_measures",
    "plan_measure_goals",
    "plan_measure_schedule",
    "plan_indicators",
    "previous_plan_projects",
    "previous_plan_grade_definitions",
]

UNITS = {
    "count",
    "percent",
    "persons",
    "items",
    "sites",
    "facilities",
    "media_types",
    "posts",
    "accesses",
    "logins_per_day",
    "maps_per_month",
    "date",
    "score",
}
DIRECTIONS = {"increase", "decrease", "keep", "reach_by"}
GRADES = ["AA", "A", "B", "C", "その他"]

# The five indicators that can be computed from operational systems (everything else: department reports).
SYSTEM_INDICATORS = {
    "M01-1": "open_data_catalog",  # オープンデータの項目数
    "M03-1": "gis_events",  # GISの職員利用（システムログイン）数（日平均）
    "M03-2": "gis_events",  # GISシステムにおける年間利用地図数（月平均）
    "M09-1": "certificate_issuances",  # コンビニでの諸証明交付率
    "M13-1": "web_access",  # 区ホームページにアクセス件数（年間）
}


# ----------------------------------------------------------------------------- helpers


@cache
def load(name: str) -> tuple[list[str], list[dict[str, str]]]:
    with open(SEEDS / f"{name}.csv", encoding="utf-8", newline="") as f:
        raw = list(csv.reader(f))
    header, body = raw[0], raw[1:]
    for i, row in enumerate(body, start=2):
        assert len(row) == len(header), f"{name}.csv line {i}: {len(row)} fields, header has {len(header)}"
    return header, [dict(zip(header, row)) for row in body]


def rows(name: str) -> list[dict[str, str]]:
    return load(name)[1]


def num(s: str) -> float | None:
    return float(s) if s != "" else None


def collapse_ws(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


_FOOTNOTE = re.compile(r"[¹²³⁴⁵⁶⁷⁸⁹⁰]+")


def loose(s: str) -> str:
    """Drop all whitespace and footnote superscripts (used for names/summaries whose ¹⁸ markers were removed)."""
    return re.sub(r"\s+", "", _FOOTNOTE.sub("", s))


@pytest.fixture(scope="module")
def plan_text() -> str:
    if not PLAN_FILE.exists():
        pytest.skip(
            f"plan text not found at {PLAN_FILE} (expected shared/plan/ next to the repository checkout); "
            "the faithfulness checks need the original plan to compare against"
        )
    return PLAN_FILE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def plan_ws(plan_text: str) -> str:
    return collapse_ws(plan_text)


@pytest.fixture(scope="module")
def plan_loose(plan_text: str) -> str:
    return loose(plan_text)


# ----------------------------------------------------------------------------- file format


@pytest.mark.parametrize("name", SEED_FILES)
def test_csv_is_valid_utf8_with_snake_case_header(name):
    header, body = load(name)
    assert body, f"{name}.csv has no data rows"
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", h) for h in header), header
    assert len(set(header)) == len(header)
    # Japanese only in *_ja columns (the grade code その他 is a value prescribed by the plan itself).
    for r in body:
        for col, val in r.items():
            if not col.endswith("_ja") and col != "grade":
                assert val.isascii(), f"{name}.{col} holds non-ASCII text {val!r}"
            assert val == val.strip(), f"{name}.{col} has surrounding whitespace: {val!r}"


def test_properties_yml_covers_every_seed():
    text = (SEEDS / "properties.yml").read_text(encoding="utf-8")
    assert re.search(r"^version: 2\s*$", text, re.MULTILINE)
    for name in SEED_FILES:
        assert re.search(rf"^\s*- name: {name}\s*$", text, re.MULTILINE), (
            f"{name} missing from properties.yml"
        )
        for col in load(name)[0]:
            assert re.search(rf"^\s*- name: {col}\s*$", text, re.MULTILINE), (
                f"column {name}.{col} undocumented"
            )


# ----------------------------------------------------------------------------- goals, strategies, measures


def test_basic_goals_are_five_plus_progress_management():
    goals = rows("plan_basic_goals")
    assert [int(g["goal_id"]) for g in goals] == [1, 2, 3, 4, 5, 6]
    names = {int(g["goal_id"]): g["name_ja"] for g in goals}
    assert names == {
        1: "開かれた区政の実現",
        2: "区民サービスの向上",
        3: "情報セキュリティの強化",
        4: "安心・安全の向上",
        5: "行政事務の効率化",
        6: "計画に関する進捗管理",
    }
    for g in goals:
        assert (g["description_ja"] == "") == (g["goal_id"] == "6")
        assert g["name_en"]


def test_four_focus_strategies_with_related_goals():
    strategies = {s["strategy_id"]: s for s in rows("plan_focus_strategies")}
    assert list(strategies) == ["I", "II", "III", "IV"]
    assert {k: v["name_ja"] for k, v in strategies.items()} == {
        "I": "データの利活用",
        "II": "マイナンバー法への対応",
        "III": "情報セキュリティ対策",
        "IV": "クラウドコンピューティング等の活用",
    }
    # 戦略名 / 関連基本目標 table (chapter 4, section 2)
    assert {k: v["related_goal_ids"] for k, v in strategies.items()} == {
        "I": "1 2 4 5",
        "II": "2 3",
        "III": "3 4",
        "IV": "3 4 5",
    }


def test_35_measures_numbered_1_to_35():
    measures = rows("plan_measures")
    assert [int(m["measure_id"]) for m in measures] == list(range(1, 36))
    assert all(
        m["name_ja"] and m["name_en"] and m["owner_departments_ja"] and m["summary_ja"] for m in measures
    )
    assert not any("<" in m["summary_ja"] or ">" in m["summary_ja"] for m in measures), "HTML left in summary"


def test_main_goal_counts_match_the_measure_list():
    # 推進施策一覧 (chapter 4 section 3), ◎ column: ① measures 1-4, ② 5-15, ③ 16-18, ④ 19-22, ⑤ 23-33,
    # 計画に関する進捗管理 34-35.
    expected = {1: 4, 2: 11, 3: 3, 4: 4, 5: 11, 6: 2}
    counts = Counter(int(m["main_goal_id"]) for m in rows("plan_measures"))
    assert dict(counts) == expected
    assert sum(expected.values()) == 35


def test_detail_section_matches_main_goal():
    for m in rows("plan_measures"):
        assert m["detail_section_goal_id"] == m["main_goal_id"], m["measure_id"]
    assert {int(m["measure_id"]) for m in rows("plan_measures") if m["main_goal_id"] == "6"} == {34, 35}


def test_every_strategy_used_by_a_measure_exists():
    known = {s["strategy_id"] for s in rows("plan_focus_strategies")}
    used = {m["strategy_id"] for m in rows("plan_measures") if m["strategy_id"]}
    assert used <= known
    by_strategy = {
        sid: sorted(int(m["measure_id"]) for m in rows("plan_measures") if m["strategy_id"] == sid)
        for sid in known
    }
    # 重点戦略 column of 推進施策一覧
    assert by_strategy == {
        "I": [1, 3, 15, 24, 29, 30, 31],
        "II": [6, 7, 8, 9],
        "III": [16, 17, 18],
        "IV": [22],
    }


def test_measure_goal_marks():
    marks = rows("plan_measure_goals")
    ids = [r["measure_goal_id"] for r in marks]
    assert len(ids) == len(set(ids))
    goal_ids = {g["goal_id"] for g in rows("plan_basic_goals")}
    measure_ids = {m["measure_id"] for m in rows("plan_measures")}
    assert all(r["goal_id"] in goal_ids and r["measure_id"] in measure_ids for r in marks)
    assert {r["goal_role"] for r in marks} == {"main", "sub"}
    mains = {r["measure_id"]: r["goal_id"] for r in marks if r["goal_role"] == "main"}
    assert Counter(r["measure_id"] for r in marks if r["goal_role"] == "main") == Counter(measure_ids)
    assert mains == {m["measure_id"]: m["main_goal_id"] for m in rows("plan_measures")}
    # 25 ○ marks in 推進施策一覧 (plus 35 ◎).
    assert Counter(r["goal_role"] for r in marks) == {"main": 35, "sub": 25}


def test_list_and_detail_tables_disagree_only_where_the_plan_does():
    """The plan's 推進施策一覧 and its detail tables differ in three places; the seeds keep both readings."""
    measures = {int(m["measure_id"]): m for m in rows("plan_measures")}
    subs = {}
    for r in rows("plan_measure_goals"):
        if r["goal_role"] == "sub":
            subs.setdefault(int(r["measure_id"]), []).append(r["goal_id"])
    for mid, m in measures.items():
        listed = " ".join(sorted(subs.get(mid, []), key=int))
        if mid == 33:
            # Discrepancy in the plan: the list marks ○② for measure 33, its detail table has no サブの基本目標.
            assert listed == "2" and m["detail_sub_goal_ids"] == ""
        else:
            assert listed == m["detail_sub_goal_ids"], mid
    differing_names = {
        mid: (m["name_ja"], m["detail_name_ja"])
        for mid, m in measures.items()
        if m["name_ja"] != m["detail_name_ja"]
    }
    assert differing_names == {
        8: ("マイナポータルの活用", "マイナポータル活用"),
        33: ("入札用発送図書の電子データ化", "入札用発送図書データの電子データ化"),
    }


# ----------------------------------------------------------------------------- schedule


def test_schedule_cells():
    sched = rows("plan_measure_schedule")
    ids = [r["schedule_id"] for r in sched]
    assert len(ids) == len(set(ids))
    measure_ids = {m["measure_id"] for m in rows("plan_measures")}
    for r in sched:
        assert r["measure_id"] in measure_ids
        assert 2016 <= int(r["fiscal_year"]) <= 2020
        assert r["schedule_text_ja"]
        assert r["schedule_id"] == f"M{int(r['measure_id']):02d}-R{r['schedule_row']}-{r['fiscal_year']}"
    assert {r["measure_id"] for r in sched} == measure_ids  # every measure has a schedule
    m2 = {r["schedule_id"]: r["schedule_text_ja"] for r in sched if r["measure_id"] == "2"}
    assert m2 == {
        "M02-R1-2016": "美術館: 運用",
        "M02-R1-2020": "美術館: →",
        "M02-R2-2016": "郷土資料館: 運用 構築",
        "M02-R2-2020": "郷土資料館: →",
    }
    assert all(
        r["schedule_text_ja"].startswith(("組織のあり方: ", "人材育成: "))
        for r in sched
        if r["measure_id"] == "23"
    )


def test_schedule_text_found_in_plan(plan_ws):
    for r in rows("plan_measure_schedule"):
        text = r["schedule_text_ja"].split(": ", 1)[-1]
        assert collapse_ws(text) in plan_ws, r["schedule_id"]


# ----------------------------------------------------------------------------- indicators


def test_every_measure_has_an_indicator():
    per_measure = Counter(int(i["measure_id"]) for i in rows("plan_indicators"))
    assert set(per_measure) == set(range(1, 36))
    assert {m: n for m, n in per_measure.items() if n > 1} == {2: 2, 3: 2, 19: 2, 20: 2, 22: 2, 23: 2}
    assert len(rows("plan_indicators")) == 41


def test_indicator_ids_unique_and_formatted():
    inds = rows("plan_indicators")
    ids = [i["indicator_id"] for i in inds]
    assert len(ids) == len(set(ids))
    seqs: dict[str, list[int]] = {}
    for i in inds:
        assert re.fullmatch(r"M\d{2}-\d+", i["indicator_id"]), i["indicator_id"]
        assert i["indicator_id"] == f"M{int(i['measure_id']):02d}-{i['indicator_seq']}"
        seqs.setdefault(i["measure_id"], []).append(int(i["indicator_seq"]))
    assert all(s == list(range(1, len(s) + 1)) for s in seqs.values())


def test_indicator_enumerations():
    for i in rows("plan_indicators"):
        assert i["unit"] in UNITS, i
        assert i["direction"] in DIRECTIONS, i
        assert i["target_is_above_baseline"] in ("true", "false"), i
        assert i["source_kind"] in ("system", "report"), i
        assert 2014 <= int(i["baseline_fiscal_year"]) <= 2016
        assert 2016 <= int(i["target_fiscal_year"]) <= 2020
        assert i["owner_departments_ja"]


def test_indicator_text_found_verbatim_in_plan(plan_ws):
    """Faithfulness: every 現状/目標 cell is a substring of the plan text (whitespace normalised only)."""
    for i in rows("plan_indicators"):
        for col in ("baseline_text_ja", "target_text_ja"):
            assert i[col], (i["indicator_id"], col)
            assert collapse_ws(i[col]) in plan_ws, (i["indicator_id"], col, i[col])
        if i["note_ja"]:
            assert i["note_ja"].startswith("※")
            assert collapse_ws(i["note_ja"]) in plan_ws, i["indicator_id"]


def test_indicator_names_found_in_plan(plan_loose):
    for i in rows("plan_indicators"):
        assert loose(i["name_ja"]) in plan_loose, i["indicator_id"]
        assert "※" not in i["name_ja"]


def test_measure_text_found_in_plan(plan_loose):
    for m in rows("plan_measures"):
        for col in ("name_ja", "detail_name_ja", "summary_ja"):
            assert loose(m[col]) in plan_loose, (m["measure_id"], col)
        for dept in m["owner_departments_ja"].split("、"):
            assert loose(dept) in plan_loose, (m["measure_id"], dept)


def test_measure_13_homepage_accesses():
    (i,) = [i for i in rows("plan_indicators") if i["measure_id"] == "13"]
    assert i["baseline_text_ja"] == "2,578,895" and i["target_text_ja"] == "3,000,000"
    assert num(i["baseline_value"]) == 2578895
    assert num(i["target_value"]) == 3000000
    assert i["direction"] == "increase" and i["unit"] == "accesses"


def test_measure_3_gis_baselines():
    inds = sorted(
        (i for i in rows("plan_indicators") if i["measure_id"] == "3"), key=lambda i: i["indicator_seq"]
    )
    assert [num(i["baseline_value"]) for i in inds] == [58, 220]
    assert [i["baseline_fiscal_year"] for i in inds] == ["2015", "2015"]
    assert [i["unit"] for i in inds] == ["logins_per_day", "maps_per_month"]
    assert all(i["target_text_ja"] == "↑" and i["target_value"] == "" for i in inds)


def test_measure_9_target_40_percent_by_2020():
    (i,) = [i for i in rows("plan_indicators") if i["measure_id"] == "9"]
    assert i["unit"] == "percent"
    assert num(i["target_value"]) == 40
    assert i["target_fiscal_year"] == "2020"
    assert i["baseline_value"] == ""  # 現状: 平成28年1月 開始 (service started January 2016 = FY2015)
    assert i["baseline_fiscal_year"] == "2015"


def test_directions_consistent():
    for i in rows("plan_indicators"):
        iid, b, t = i["indicator_id"], num(i["baseline_value"]), num(i["target_value"])
        above = i["target_is_above_baseline"] == "true"
        assert above == (i["target_text_ja"] == "↑"), iid
        if above:
            assert i["direction"] == "increase" and t is None, iid
        if i["direction"] == "reach_by":
            assert t is None and i["unit"] == "date", iid
        if i["unit"] == "date":
            assert i["direction"] == "reach_by", iid
        if b is not None and t is not None:
            expected = "increase" if t > b else "decrease" if t < b else "keep"
            assert i["direction"] == expected, iid
        if i["unit"] == "percent":
            assert all(v is None or 0 <= v <= 100 for v in (b, t)), iid


def test_source_kinds():
    inds = rows("plan_indicators")
    system = {i["indicator_id"]: i["source_name"] for i in inds if i["source_kind"] == "system"}
    assert system == SYSTEM_INDICATORS
    assert {i["source_name"] for i in inds if i["source_kind"] == "report"} == {"indicator_reports"}


def test_indicator_owner_is_the_measures():
    owners = {m["measure_id"]: m["owner_departments_ja"] for m in rows("plan_measures")}
    assert all(i["owner_departments_ja"] == owners[i["measure_id"]] for i in rows("plan_indicators"))


# ----------------------------------------------------------------------------- previous plan (appendix)

# Section headers of the appendix 「第3次板橋区電子区役所推進計画 個別事業評価一覧」, e.g. "1 開かれた区政の実現（12事業）".
SECTION_HEADER_COUNTS = {1: 12, 2: 15, 3: 11, 4: 13, 5: 5, 6: 12, 7: 8}
# 表1 第3次電子区役所推進計画の評価別事業数 (chapter 2).
TABLE1 = {"AA": 1, "A": 68, "B": 6, "C": 0, "その他": 1}


def test_76_previous_projects_in_order():
    projects = rows("previous_plan_projects")
    assert [int(p["project_no"]) for p in projects] == list(range(1, 77))
    sections = [int(p["section_no"]) for p in projects]
    assert sections == sorted(sections) and set(sections) == set(range(1, 8))
    assert all(not p["project_name_ja"].startswith("☆") and p["departments_ja"] for p in projects)


def test_section_counts_equal_section_headers():
    counts = Counter(int(p["section_no"]) for p in rows("previous_plan_projects"))
    assert dict(counts) == SECTION_HEADER_COUNTS
    assert sum(SECTION_HEADER_COUNTS.values()) == 76


def test_section_headers_in_plan(plan_text):
    found = {
        int(m.group(1)): int(m.group(3))
        for m in re.finditer(r"^(\d) (\S+?)\s*[（(](\d+)事業[）)]", plan_text, re.MULTILINE)
    }
    assert found == SECTION_HEADER_COUNTS
    names = {int(p["section_no"]): p["section_name_ja"] for p in rows("previous_plan_projects")}
    for no, name in names.items():
        assert re.search(rf"^{no} {re.escape(name)}\s*[（(]", plan_text, re.MULTILINE), (no, name)


def test_supplement_projects():
    # Chapter 2: the 追録版 added 11 new projects (新規事業（11事業）の追加), marked ☆ in the appendix.
    assert sum(p["is_added_in_supplement"] == "true" for p in rows("previous_plan_projects")) == 11
    assert {p["is_added_in_supplement"] for p in rows("previous_plan_projects")} == {"true", "false"}


def test_grade_counts_reproduce_table1():
    counts = Counter(p["grade"] for p in rows("previous_plan_projects"))
    assert {g: counts.get(g, 0) for g in GRADES} == TABLE1
    assert sum(counts.values()) == 76 == sum(TABLE1.values())
    # Chapter 2 text: 「全76事業のうち、AAまたはA評価が69事業、B評価が6事業」 and one project not evaluable.
    assert counts["AA"] + counts["A"] == 69
    b_projects = {p["project_name_ja"] for p in rows("previous_plan_projects") if p["grade"] == "B"}
    assert b_projects == {
        "新公会計システムの導入",
        "文書管理システムの導入",
        "職員の情報研修の実施と自己啓発に対する助成",
        "個人情報保護制度の遵守",
        "セキュリティポリシーの向上",
        "ナレッジマネジメントの推進",
    }


def test_grade_definitions_agree_with_projects():
    defs = rows("previous_plan_grade_definitions")
    assert [d["grade"] for d in defs] == GRADES
    assert [int(d["sort_order"]) for d in defs] == [1, 2, 3, 4, 5]
    assert {d["grade"]: int(d["table1_project_count"]) for d in defs} == TABLE1
    counts = Counter(p["grade"] for p in rows("previous_plan_projects"))
    for d in defs:
        assert counts.get(d["grade"], 0) == int(d["table1_project_count"]), d["grade"]
    # Wording discrepancy kept as written: Table 1 says 「さらなる努力または」, the appendix legend 「さらなる努力又は」.
    differing = {d["grade"] for d in defs if d["criterion_ja"] != d["criterion_table1_ja"]}
    assert differing == {"C"}


def test_previous_projects_found_in_plan(plan_ws, plan_text):
    lines = plan_text.splitlines()
    for p in rows("previous_plan_projects"):
        star = "☆" if p["is_added_in_supplement"] == "true" else ""
        prefix = f"{star}{p['project_name_ja']}\t{p['departments_ja']}\t"
        matching = [ln for ln in lines if ln.startswith(prefix)]
        assert len(matching) == 1, p["project_no"]
        assert matching[0].rstrip().split("\t")[-1] == p["grade"], p["project_no"]
        assert collapse_ws(p["summary_ja"]) in plan_ws, p["project_no"]


def test_grade_definitions_found_in_plan(plan_text):
    for d in rows("previous_plan_grade_definitions"):
        assert f"{d['grade']}\t{d['criterion_ja']}\n" in plan_text
        assert f"{d['grade']}\t{d['criterion_table1_ja']}\t{d['table1_project_count']}件" in plan_text
