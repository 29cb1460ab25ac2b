"""GIS usage (統合型GIS): one row per staff event."""
from __future__ import annotations

from ingest.common.contract import Column, Contract, Field

EVENTS = {"ログイン": "login", "地図表示": "map_open", "レイヤ追加": "layer_add", "印刷": "print",
          "エクスポート": "export"}
EVENT_ALIASES = {"レイヤー追加": "layer_add", "地図を開く": "map_open", "出力": "export", "ダウンロード": "export"}

CONTRACT = Contract(
    table="gis_events",
    kind="gis",
    description="Staff use of the ward's integrated GIS, from its event log.",
    grain="One row per event (no natural key: the same staff member may repeat an action within a second).",
    columns=(
        Column("event_at", "timestamp", "When the event happened (JST)."),
        Column("staff_pseudo_id", "varchar", "Pseudonymous staff id as exported by the GIS (never a name).",
               sensitive=True),
        Column("department_name_ja", "varchar", "Staff member's department (所属)."),
        Column("event_type", "varchar", "What the staff member did.", accepted_values=tuple(EVENTS.values())),
        Column("map_name_ja", "varchar", "Map used; null for login.", required=False),
    ),
    unique_key=(),
    date_column="event_at",
    replace_scope=(),
)

FIELDS = (
    Field("event_at", ("日時", "発生日時", "操作日時", "タイムスタンプ")),
    Field("staff_pseudo_id", ("職員ID", "利用者ID", "ユーザID")),
    Field("department_name_ja", ("所属", "部署", "所属名")),
    Field("event_type", ("操作", "イベント", "操作種別")),
    Field("map_name_ja", ("地図名", "マップ名"), required=False),
)
