"""The KPI progress statuses (mart_kpi_indicator_progress.progress_status) in words: one home for the
labels the dashboard and the monthly digest both show (docs/kpi_rules.md defines the statuses)."""
from __future__ import annotations

STATUS_LABELS: dict[str, dict[str, str]] = {
    "achieved": {"ja": "達成", "en": "Achieved"},
    "on_track": {"ja": "順調", "en": "On track"},
    "at_risk": {"ja": "要注意", "en": "At risk"},
    "off_track": {"ja": "遅れ", "en": "Off track"},
    "not_evaluable": {"ja": "評価不能", "en": "Not evaluable"},
    "no_data": {"ja": "データなし", "en": "No data"},
}
