"""The sources' names and allowed values, light to import (no pandera): what the policy, the suites, the metrics
and the report workers refer to.

schemas/sources.py holds each source's model, in this order.
"""

SOURCE_NAMES = ("teams", "agents", "attendance", "qa_evaluations", "qa_deductions", "csat_responses", "complaints",
                "discipline")
# Snapshots of the roster at the month's end: their size does not follow the number of working days.
SNAPSHOT_SOURCES = ("teams", "agents")
# management_health.csv's team_id for the whole center (SPEC §9): no team may carry it.
CENTER_TEAM_ID = "ALL"
OPTIONAL_SOURCES = ("qa_deductions",)  # an empty table when its file or query is absent
FILE_EXTENSIONS = ("csv", "parquet", "xlsx")

# The values a column may take (SPEC §2); schemas/sources.py checks them.
SHIFT_PATTERNS = ["day", "night", "rotating"]
LEAVE_TYPES = ["none", "annual", "sick", "personal", "other"]
QA_CHANNELS = ["voice", "chat", "email", "other"]
DEDUCTION_CATEGORIES = ["business_risk", "knowledge", "compliance", "etiquette", "process", "other"]
SEVERITIES = ["low", "medium", "high"]
COMPLAINT_STATUSES = ["open", "investigating", "substantiated", "unsubstantiated", "withdrawn"]
DISCIPLINE_KINDS = ["reward", "penalty"]
MINOR_PENALTIES = ["verbal_warning", "written_warning"]
SEVERE_PENALTIES = ["fine", "demerit", "suspension", "dismissal"]
PENALTY_CATEGORIES = MINOR_PENALTIES + SEVERE_PENALTIES
REWARD_CATEGORIES = ["praise", "certificate", "bonus", "gift", "day_off", "training", "other"]
