"""Small hand-made rows of every source, valid for October 2026, for rule-by-rule tests."""

import datetime as dt

import polars as pl

from core.months import Month
from schemas.sources import SOURCES
from schemas.validate import MonthContext

OCTOBER = Month(2026, 10)
D = dt.date
T = dt.datetime

GOOD = {
    "teams": {"team_id": "T1", "team_name": "上海1组", "site": "上海", "supervisor_id": "S1",
              "supervisor_name": "王芳", "supervisor_email": "s1@example.com"},
    "agents": {"agent_id": "A1", "agent_name": "李雷", "team_id": "T1", "shift_pattern": "day",
               "hire_date": D(2025, 1, 1), "exit_date": None, "email": None},
    "attendance": {"shift_id": "SH1", "agent_id": "A1", "shift_date": D(2026, 10, 5),
                   "scheduled_start": T(2026, 10, 5, 21), "scheduled_end": T(2026, 10, 6, 6),
                   "clock_in": T(2026, 10, 5, 21, 3), "clock_out": T(2026, 10, 6, 6, 10),
                   "leave_type": "none", "leave_approved": False},
    "qa_evaluations": {"evaluation_id": "E1", "agent_id": "A1", "evaluated_at": T(2026, 10, 9, 10),
                       "evaluator_id": "QA1", "channel": "voice", "score": 88.5, "critical_error": False},
    "qa_deductions": {"evaluation_id": "E1", "item_code": "ET-01", "category": "etiquette", "points": 2.0},
    "csat_responses": {"response_id": "R1", "agent_id": "A1", "responded_at": T(2026, 10, 9, 10),
                       "score": 4, "channel": "chat"},
    "complaints": {"complaint_id": "C1", "agent_id": "A1", "received_at": T(2026, 10, 9, 10),
                   "category": "服务态度", "severity": "low", "status": "open", "closed_at": None},
    "discipline": {"action_id": "D1", "agent_id": "A1", "kind": "penalty", "category": "fine",
                   "reason_code": "LATE", "incident_date": D(2026, 10, 2), "action_date": D(2026, 10, 4),
                   "amount": 100.0, "complaint_id": None, "issued_by": "S1"},
}

CONTEXT = MonthContext(
    OCTOBER,
    team_ids=frozenset({"T1"}),
    agent_ids=frozenset({"A1", "A2", "GONE"}),
    active_agent_ids=frozenset({"A1", "A2"}),
    evaluation_ids=frozenset({"E1"}),
    quarantined_evaluation_ids=frozenset({"E-BAD"}),
)


def frame(source: str, *rows: dict) -> pl.DataFrame:
    """Rows of `source`, each the good row with some columns changed."""
    return pl.DataFrame([{**GOOD[source], **row} for row in rows], schema=SOURCES[source].columns)
