"""UI strings in Japanese (default) and English; pages call t(key, lang) instead of writing literals."""
from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # app shell
    "app_title": ("板橋区 ICT推進・活用計画 ダッシュボード", "Itabashi ICT Plan 2020 dashboard"),
    "language": ("言語", "Language"),
    "era": ("年度表示", "Fiscal year format"),
    "era_wareki": ("和暦", "Japanese era"),
    "era_seireki": ("西暦", "Western"),
    "fiscal_year": ("年度", "Fiscal year"),
    "published_version": ("公開版", "Published version"),
    "published_at": ("公開日時", "Published at"),
    "data_through": ("データ時点", "Data through"),
    "freshness": ("データの鮮度", "Data freshness"),
    "fresh": ("最新", "fresh"),
    "stale": ("更新遅れ", "stale"),
    "quality_passed": ("品質チェック合格", "Quality checks passed"),
    "quality_failed": ("品質チェック不合格", "Quality checks failed"),
    "quality_unknown": ("品質チェック結果なし", "No quality result"),
    "table_alt": ("表で見る", "Show as table"),
    "summary": ("要約", "Summary"),
    "download_csv": ("CSVをダウンロード", "Download CSV"),
    "download_xlsx": ("Excelをダウンロード", "Download Excel"),
    "not_published": ("このデータはまだ公開されていません（{table}）。", "This data is not published yet ({table})."),
    "query_failed": (
        "このデータを読み込めませんでした。しばらくしてから再読み込みしてください。（{detail}）",
        "Could not read this data. Please reload in a moment. ({detail})",
    ),
    "all": ("すべて（絞り込みなし）", "All (no filter)"),
    "no_rows": ("該当するデータがありません。", "No matching data."),
    "source": ("出典", "Source"),
    "updated_at": ("更新日時", "Updated"),
    "plan_definition": ("計画での指標の定義", "The plan's definition"),
    "url_fallback": ("URLの「{name}={value}」は使えない値のため、既定の表示にしています（使える値: {valid}）。",
                     ("The link's \"{name}={value}\" is not a valid value, so the default is shown "
                      "(valid values: {valid}).")),
    # empty warehouse
    "empty_title": ("まだデータが公開されていません", "No data has been published yet"),
    "empty_body": (
        ("データウェアハウス（{path}）が見つからないか、空です。最初の更新を実行してください:\n\n"
        "- デモデータで試す: `make run` または `warehouse demo`\n"
        "- 実データを取り込む: 各課のファイルを `landing/` に置いて `warehouse refresh`\n\n"
        "公開が終わると、このページを再読み込みするだけで表示されます（再起動は不要です）。"),
        ("The warehouse ({path}) is missing or empty. Run the first refresh:\n\n"
        "- Try it with demo data: `make run` or `warehouse demo`\n"
        "- Load real data: drop the departments' files into `landing/` and run `warehouse refresh`\n\n"
        "Once published, just reload this page (no restart needed)."),
    ),
    # no data yet (a published warehouse without files of some kind)
    "no_data_yet_title": ("まだデータがありません", "No data yet"),
    "no_data_yet_body": (
        ("このページに表示するデータがまだありません。各課から届いたファイルを次のフォルダーに置いて "
         "`warehouse refresh` を実行すると（毎月の定期実行でも）取り込まれ、ここに表示されます。\n\n{folders}\n\n"
         "置けるファイルの形式と列名、取り込めなかったときの確認方法は README（{readme}）の "
         "「Where data lives」と docs/architecture.md の「Landing files」にあります。"),
        ("There is nothing to show here yet. Put the files the departments send into the folder(s) below and run "
         "`warehouse refresh` (the monthly job does it too); they will appear here.\n\n{folders}\n\n"
         "Which file formats and headers are accepted, and what to do when a file is refused: README "
         "({readme}), \"Where data lives\", and docs/architecture.md, \"Landing files\"."),
    ),
    "no_data_home_body": (
        ("この公開版は、まだ各課のファイルを1つも取り込んでいません。計画の35施策・41指標はすべて"
         "「データなし」として表示しています。各課から届いたファイルを種類ごとに次のフォルダーに置いて "
         "`warehouse refresh` を実行すると（毎月の定期実行でも）取り込まれます。\n\n{folders}\n\n"
         "置けるファイルの形式と列名、取り込めなかったときの確認方法は README（{readme}）の "
         "「Where data lives」と docs/architecture.md の「Landing files」にあります。"),
        ("This published version holds no department files yet: the plan's 35 measures and 41 indicators are all "
         "shown as \"No data\". Put the files the departments send into the folder for their kind and run "
         "`warehouse refresh` (the monthly job does it too).\n\n{folders}\n\n"
         "Which file formats and headers are accepted, and what to do when a file is refused: README "
         "({readme}), \"Where data lives\", and docs/architecture.md, \"Landing files\"."),
    ),
    "kind_certificates": ("証明書の交付件数（月ごとの CSV・Excel）", "certificate issuances (monthly CSV or Excel)"),
    "kind_web_access": ("ホームページのアクセス（アクセス解析の CSV、またはアクセスログ）",
                        "website access (analytics CSV export, or server access logs)"),
    "kind_gis": ("統合型GISの利用ログ（月ごとの CSV）", "integrated GIS usage log (monthly CSV)"),
    "kind_energy": ("施設のエネルギー使用量と施設一覧（Excel・CSV）", "facility energy readings and facility list (Excel, CSV)"),
    "kind_indicator_reports": ("各課の指標の年次実績報告（Excel）", "departments' yearly indicator reports (Excel)"),
    # data quality warnings (mart_data_quality_warnings)
    "quality_warnings": ("データの注意", "Data warnings"),
    "quality_warnings_none": ("注意が必要なデータはありません。", "No data needs attention."),
    "quality_warnings_count": ("{n}件の注意があります（公開は止めていません）。",
                               "{n} warning(s); the publish was not held back."),
    # pages
    "nav_plan": ("計画と評価", "Plan and evaluation"),
    "nav_sources": ("データの分野", "Data by source"),
    "nav_data": ("データを使う", "Using the data"),
    "page_overview": ("計画の概要", "Plan overview"),
    "page_indicator": ("指標の詳細", "Indicator detail"),
    "page_certificates": ("証明書交付", "Certificates"),
    "page_homepage": ("ホームページ", "Website"),
    "page_gis": ("GIS", "GIS"),
    "page_energy": ("エネルギー", "Energy"),
    "page_previous": ("前計画の評価", "Previous plan"),
    "page_catalog": ("データカタログと品質", "Data catalog and quality"),
    "page_report": ("年次報告", "Yearly report"),
    "page_sql": ("SQLコンソール", "SQL console"),
    "page_open_data": ("オープンデータ", "Open data"),
    # overview
    "filter_department": ("所管課", "Department"),
    "filter_goal": ("基本目標", "Basic goal"),
    "filter_strategy": ("重点戦略", "Focus strategy"),
    "filter_status": ("状況", "Status"),
    "measures": ("推進施策", "Measures"),
    "measure": ("施策", "Measure"),
    "measure_no": ("No.", "No."),
    "status": ("状況", "Status"),
    "suggested_grade": ("評価(案)", "Suggested grade"),
    "grade_reason": ("評価の理由", "Reason"),
    "self_assessed_grade": ("自己評価", "Self-assessment"),
    "decided_grade": ("決定評価", "Decided grade"),
    "decided_reason": ("決定の理由", "Reason for the decision"),
    "trend": ("達成率の推移（%）", "Achievement by year (%)"),
    "count_measures": ("{n}施策", "{n} measures"),
    "status_counts": ("状況別の施策数", "Measures by status"),
    "no_strategy": ("（重点戦略なし）", "(no focus strategy)"),
    "human_decisions": ("うち{n}件は所管課・IT推進課の判断による", "{n} decided by the departments"),
    "latest_complete_year": ("既定は実績のそろった最新年度", "Default: latest complete year with actuals"),
    # indicator
    "indicator": ("指標", "Indicator"),
    "actual": ("実績", "Actual"),
    "baseline": ("現状値", "Baseline"),
    "target": ("目標", "Target"),
    "target_year": ("目標年度", "Target year"),
    "achievement_rate": ("達成率", "Achievement"),
    "expected_progress": ("期待進捗", "Expected progress"),
    "forecast": ("予測（目標年度）", "Forecast (target year)"),
    "forecast_band": ("予測の幅", "Forecast range"),
    "definition": ("定義", "Definition"),
    "unit": ("単位", "Unit"),
    "owner": ("所管課", "Owner"),
    "formula": ("算出方法", "Formula"),
    "monthly": ("月別の実績", "Monthly actuals"),
    "month_value": ("月の値", "Value of the month"),
    "fytd_value": ("年度累計・年度内の値", "Fiscal year to date"),
    "fytd_target": ("年度の目標線", "Target path for the year"),
    "baseline_check": ("基準値の再計算", "Baseline recomputed"),
    "baseline_matches": ("計画の現状値と一致", "matches the plan"),
    "baseline_differs": ("計画の現状値と不一致", "differs from the plan"),
    "forecast_reach": ("このままの傾向で目標に届く見込み", "On the current trend the target will be reached"),
    "forecast_miss": ("このままの傾向では目標に届かない見込み", "On the current trend the target will be missed"),
    "yearly": ("年度別の実績", "Actuals by fiscal year"),
    "month": ("月", "Month"),
    "ytd_label": ("{fy}（{month}月まで）", "{fy} (Apr–{month_abbr})"),
    "ytd_point": ("年度途中の値", "Year to date"),
    "previous_same_months": ("前年度の同じ月まで", "Previous year, same months"),
    "vs_previous_same_months": ("前年度同期比", "vs same months last year"),
    "ytd_note": (
        ("{label}は年度の途中です。{value}は年度当初からこの月までの値で、1年分の実績ではありません"
         "（前年度の同じ月まで: {previous}、{change}）。"),
        ("{label} is in progress: {value} covers the year so far, not a full year "
         "(previous year, same months: {previous}; {change})."),
    ),
    # certificates
    "channel": ("交付方法", "Channel"),
    "certificate_type": ("証明書種別", "Certificate type"),
    "office": ("窓口", "Office"),
    "issued_count": ("交付件数", "Certificates issued"),
    "conv_share": ("コンビニ交付率", "Convenience-store share"),
    "conv_count": ("コンビニ交付件数", "Convenience-store issuances"),
    "share": ("割合", "Share"),
    "unit_items": ("件", " items"),
    "mynumber_title": ("マイナンバーカード交付率（板橋区・実データ）", "My Number card uptake (Itabashi, real data)"),
    "mynumber_rate": ("交付率", "Uptake rate"),
    "mynumber_missing": (
        "マイナンバーカードの実データが見つかりません（{path}）。共有データフォルダを確認してください。",
        "The real My Number card data was not found ({path}). Check the shared data folder.",
    ),
    "wards_title": ("特別区23区のカード交付率（2022年12月31日・実データ）", "Card uptake in the 23 special wards (2022-12-31, real data)"),
    "ward": ("区", "Ward"),
    "attribution_mynumber": (
        "出典: 総務省公表値（codeforjapan/mynumbercard_statistics による集約、MIT）",
        "Source: Ministry figures collected by codeforjapan/mynumbercard_statistics (MIT)",
    ),
    # homepage
    "page_views": ("アクセス数", "Accesses"),
    "target_ratio": ("目標に対する割合", "Share of target"),
    "months_so_far": ("か月分", " months so far"),
    "months": ("月数", "Months"),
    "fy_cumulative": ("年度累計", "Fiscal-year total"),
    "by_year": ("年度別アクセス件数", "Accesses by fiscal year"),
    "baseline_year_actual": ("基準年度の実績", "Baseline-year actual"),
    "top_pages": ("よく見られたページ", "Top pages"),
    "page": ("ページ", "Page"),
    "device": ("デバイス", "Device"),
    "device_mix": ("デバイス別の割合", "Device mix"),
    # gis
    "logins_per_day": ("ログイン数（日平均）", "Logins per day"),
    "maps_per_month": ("地図表示数（月）", "Maps opened per month"),
    "department": ("所属", "Department"),
    "logins": ("ログイン数", "Logins"),
    "business_days": ("稼働日数", "Business days"),
    "map_opens": ("地図表示数", "Maps opened"),
    "maps_by_department": ("所属別の地図表示数", "Maps opened by department"),
    "departments_suffix": ("所属", " departments"),
    # energy
    "facility": ("施設", "Facility"),
    "electricity": ("電気（kWh）", "Electricity (kWh)"),
    "gas": ("ガス（m³）", "Gas (m³)"),
    "water": ("水道（m³）", "Water (m³)"),
    "co2": ("CO₂（kg）", "CO₂ (kg)"),
    "yoy": ("前年同月比", "Year on year"),
    "yoy_year": ("前年度比", "Change from previous year"),
    "facilities": ("施設数", "Facilities"),
    "facilities_suffix": ("施設", " facilities"),
    "top_consumers": ("使用量の多い施設", "Top consumers"),
    "facility_map": ("施設の位置", "Facility locations"),
    "metric": ("項目", "Measure"),
    # previous plan
    "table1": ("表1 第3次電子区役所推進計画の評価別事業数", "Table 1: projects of the 3rd e-ward plan by grade"),
    "grade": ("評価", "Grade"),
    "criterion": ("基準", "Criterion"),
    "project_count": ("事業数", "Projects"),
    "projects": ("事業一覧（76事業）", "Projects (76)"),
    "total": ("合計", "Total"),
    "plan_appendix": ("計画書 付属資料「個別事業評価一覧」", "the plan's appendix (project evaluations)"),
    "printed_count": ("計画書の表1", "As printed in Table 1"),
    "table1_matches": ("76事業の一覧から数え直した件数は計画書の表1と一致", "Recounted from the 76 projects: matches the printed Table 1"),
    "table1_differs": ("数え直した件数が計画書の表1と一致しません", "Recounted numbers differ from the printed Table 1"),
    "section": ("分野", "Section"),
    "project": ("事業名", "Project"),
    # catalog
    "datasets": ("データセット", "Datasets"),
    "refresh_runs": ("更新の履歴", "Refresh runs"),
    "quality_results": ("品質チェックの結果", "Quality results"),
    "source_freshness": ("取込元ごとの鮮度", "Freshness per source"),
    "columns": ("列", "Columns"),
    "dataset_count": ("{n}件のデータセット", "{n} datasets"),
    "description": ("説明", "Description"),
    "grain": ("粒度", "Grain"),
    # report
    "report_title": ("『ICT推進・活用計画2020』の取り組み状況（{fy}）", "Progress of the ICT Plan 2020 ({fy})"),
    "report_intro": (
        ("計画のPDCAサイクルの評価（Check）段階で公表する取り組み状況の案です。評価(案)は指標の実績から算出した"
        "目安で、所管課のコメント欄は空欄です。"),
        ("Draft of the yearly progress report (the Check step of the plan's PDCA cycle). Suggested grades are "
        "computed from the indicators; the department comment column is left empty."),
    ),
    "department_comment": ("所管課コメント", "Department comment"),
    "publish_changes": ("前回公開からの変更", "Changes since the previous publish"),
    "publish_changes_none": ("この公開版には変更の記録がありません（変更の記録より前に公開された版です）。",
                             "This published version carries no change record (it predates the record)."),
    "publish_changes_first": ("最初の公開版です。比較する前回の公開版はありません。",
                              "This is the first published version: there is nothing to compare it with."),
    "publish_changes_summary": (
        ("前回の公開版 {previous} と比べて: 変更のあった表 {marts}、行の追加 {added}・削除 {removed}・変更 {changed}、"
         "指標の実績・状況の変更 {indicators}件"),
        ("Against the previous version {previous}: {marts} marts changed; rows added {added}, removed {removed}, "
         "changed {changed}; {indicators} indicator values changed"),
    ),
    "publish_changes_no_indicator": ("指標の実績・状況に変更はありません。", "No indicator value or status changed."),
    "publish_change_log": ("公開ごとの変更履歴（新しい順）", "Change log per publish (newest first)"),
    "report_closed_year": (
        "{fy}は{date}に確定しました（`warehouse close-year`）。表の数値は報告時のものです。確定後の修正: {n}件",
        "{fy} was closed on {date} (`warehouse close-year`): figures are as reported. Revised after closing: {n}",
    ),
    "revision_after_closing": ("確定後の修正", "Revised after closing"),
}

LANGS: tuple[str, ...] = ("ja", "en")


def t(key: str, lang: str = "ja", **kwargs: object) -> str:
    """The string for key in lang (falls back to Japanese, then to the key itself so gaps are visible)."""
    pair = TEXTS.get(key)
    if pair is None:
        return key
    text = pair[1] if lang == "en" else pair[0]
    return text.format(**kwargs) if kwargs else text


DEVICE_NAMES: dict[str, tuple[str, str]] = {
    "pc": ("パソコン", "PC"),
    "smartphone": ("スマートフォン", "Smartphone"),
    "tablet": ("タブレット", "Tablet"),
    "other": ("その他", "Other"),
}


def code_name(mapping: dict[str, tuple[str, str]], code: object, lang: str = "ja") -> str:
    """Display name of a lake code (device); unknown codes shown as is. Certificate codes are named by the
    seeds (dim_certificate_channel, dim_certificate_type, dim_certificate_office), never here."""
    pair = mapping.get(str(code))
    if pair is None:
        return str(code)
    return pair[1] if lang == "en" else pair[0]
