"""The sources' names, light to import (no pandera): what the policy and the suites refer to.

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
