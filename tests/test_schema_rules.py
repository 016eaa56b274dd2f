"""Every contract rule of SPEC §2, once passing and once failing, with the reason it gives."""

import pytest

from core.months import Month
from schemas.roster import active_agents
from schemas.validate import validate_source
from tests.rows import CONTEXT, D, T, frame

# (source, changed columns, reason expected; None means the row must pass)
CASES = [
    # teams
    ("teams", {}, None),
    ("teams", {"supervisor_email": None}, None),
    ("teams", {"team_name": None}, "missing team_name"),
    # agents
    ("agents", {}, None),
    ("agents", {"team_id": "T9"}, "unknown team_id"),
    ("agents", {"shift_pattern": "rotating"}, None),
    ("agents", {"shift_pattern": "evening"}, "shift_pattern not one of day/night/rotating"),
    ("agents", {"exit_date": D(2025, 1, 1)}, None),
    ("agents", {"exit_date": D(2024, 12, 31)}, "exit_date before hire_date"),
    ("agents", {"hire_date": None}, "missing hire_date"),
    ("agents", {"agent_name": "Zoë O'Brien-李"}, None),
    # attendance
    ("attendance", {}, None),
    ("attendance", {"agent_id": "A9"}, "unknown agent_id"),
    ("attendance", {"agent_id": "GONE"}, "agent not active in 2026-10"),
    ("attendance", {"agent_id": None}, "missing agent_id"),
    ("attendance", {"shift_date": D(2026, 10, 31)}, None),
    ("attendance", {"shift_date": D(2026, 11, 1)}, "shift_date outside 2026-10"),
    ("attendance", {"shift_date": D(2026, 9, 30)}, "shift_date outside 2026-10"),
    ("attendance", {"scheduled_end": T(2026, 10, 5, 21)}, "scheduled_end not after scheduled_start"),
    ("attendance", {"clock_out": T(2026, 10, 5, 21, 3)}, "clock_out before clock_in"),
    ("attendance", {"clock_out": T(2026, 10, 5, 20)}, "clock_out before clock_in"),
    ("attendance", {"clock_in": None, "clock_out": None, "leave_type": "sick", "leave_approved": True}, None),
    ("attendance", {"clock_out": None}, None),
    ("attendance", {"leave_type": "vacation"}, "leave_type not one of none/annual/sick/personal/other"),
    ("attendance", {"leave_approved": None}, "missing leave_approved"),
    # qa_evaluations
    ("qa_evaluations", {"score": 0.0}, None),
    ("qa_evaluations", {"score": 100.0}, None),
    ("qa_evaluations", {"score": 100.5}, "score outside 0..100"),
    ("qa_evaluations", {"score": -0.1}, "score outside 0..100"),
    ("qa_evaluations", {"channel": "phone"}, "channel not one of voice/chat/email/other"),
    ("qa_evaluations", {"evaluated_at": T(2026, 10, 31, 23, 59, 59)}, None),
    ("qa_evaluations", {"evaluated_at": T(2026, 11, 1)}, "evaluated_at outside 2026-10"),
    ("qa_evaluations", {"critical_error": None}, "missing critical_error"),
    # qa_deductions
    ("qa_deductions", {"points": 0.5}, None),
    ("qa_deductions", {"points": 0.0}, "points not above 0"),
    ("qa_deductions", {"category": "tone"},
     "category not one of business_risk/knowledge/compliance/etiquette/process/other"),
    ("qa_deductions", {"evaluation_id": "E7"}, "unknown evaluation_id"),
    ("qa_deductions", {"evaluation_id": "E-BAD"}, "its evaluation is quarantined"),
    # csat_responses
    ("csat_responses", {"score": 1}, None),
    ("csat_responses", {"score": 5}, None),
    ("csat_responses", {"score": 0}, "score outside 1..5"),
    ("csat_responses", {"score": 6}, "score outside 1..5"),
    ("csat_responses", {"responded_at": T(2026, 10, 1)}, None),
    ("csat_responses", {"responded_at": T(2026, 9, 30, 23, 59)}, "responded_at outside 2026-10"),
    ("csat_responses", {"agent_id": "GONE"}, "agent not active in 2026-10"),
    # complaints
    ("complaints", {"agent_id": None}, None),
    ("complaints", {"agent_id": "A9"}, "unknown agent_id"),
    ("complaints", {"received_at": T(2026, 9, 20), "status": "substantiated", "closed_at": T(2026, 10, 3)}, None),
    ("complaints", {"received_at": T(2026, 9, 20), "status": "investigating", "closed_at": None},
     "received_at outside 2026-10 and not closed in it"),
    ("complaints", {"received_at": T(2026, 9, 20), "status": "withdrawn", "closed_at": T(2026, 9, 25)},
     "received_at outside 2026-10 and not closed in it"),
    ("complaints", {"received_at": T(2026, 11, 2)}, "received_at outside 2026-10 and not closed in it"),
    ("complaints", {"status": "substantiated", "closed_at": T(2026, 10, 8)}, "closed_at before received_at"),
    ("complaints", {"severity": "urgent"}, "severity not one of low/medium/high"),
    ("complaints", {"status": "closed"},
     "status not one of open/investigating/substantiated/unsubstantiated/withdrawn"),
    # discipline
    ("discipline", {"incident_date": D(2026, 10, 4)}, None),
    ("discipline", {"incident_date": D(2026, 9, 1)}, None),
    ("discipline", {"incident_date": D(2026, 10, 5)}, "action_date before incident_date"),
    ("discipline", {"kind": "reward", "category": "bonus"}, None),
    ("discipline", {"kind": "penalty", "category": "bonus"}, "category not valid for kind"),
    ("discipline", {"kind": "reward", "category": "dismissal"}, "category not valid for kind"),
    ("discipline", {"kind": "praise"}, "kind not one of reward/penalty"),
    ("discipline", {"amount": None}, None),
    ("discipline", {"amount": 0.0}, None),
    ("discipline", {"amount": -1.0}, "amount below 0"),
    ("discipline", {"action_date": D(2026, 11, 1)}, "action_date outside 2026-10"),
    ("discipline", {"complaint_id": "C-UNKNOWN"}, None),  # a lookup warning later, never a quarantine
]


@pytest.mark.parametrize("source,changes,reason", CASES, ids=lambda v: str(v) if not isinstance(v, dict) else None)
def test_rule(source, changes, reason):
    outcome = validate_source(source, frame(source, changes), CONTEXT, origin="test")
    if reason is None:
        assert outcome.quarantine.height == 0, outcome.quarantine["reasons"].to_list()
        assert outcome.valid.height == 1
    else:
        assert outcome.valid.height == 0
        assert outcome.quarantine["reasons"].to_list() == [reason]


@pytest.mark.parametrize("source,id_column", [
    ("teams", "team_id"), ("agents", "agent_id"), ("attendance", "shift_id"), ("qa_evaluations", "evaluation_id"),
    ("csat_responses", "response_id"), ("complaints", "complaint_id"), ("discipline", "action_id"),
])
def test_duplicate_ids_quarantine_every_copy(source, id_column):
    other = {id_column: "OTHER"}
    outcome = validate_source(source, frame(source, {}, {}, other), CONTEXT, origin="test")
    assert outcome.valid[id_column].to_list() == ["OTHER"]
    assert outcome.quarantine["reasons"].to_list() == [f"duplicate {id_column}"] * 2


def test_every_reason_of_a_row_is_listed_and_counted():
    rows = frame("csat_responses", {"score": 9, "agent_id": "A9"}, {"response_id": "R2"})
    outcome = validate_source("csat_responses", rows, CONTEXT, origin="test")
    assert outcome.quarantine["reasons"].to_list() == ["score outside 1..5; unknown agent_id"]
    assert dict(outcome.reason_counts) == {"score outside 1..5": 1, "unknown agent_id": 1}
    assert outcome.rows_read == 2 and outcome.valid.height == 1


def test_quarantine_keeps_source_positions_and_values():
    rows = frame("qa_evaluations", {}, {"evaluation_id": "E2", "score": 140.0}).with_columns(
        source_line=__import__("polars").Series([2, 3])
    )
    outcome = validate_source("qa_evaluations", rows, CONTEXT, origin="test")
    assert outcome.quarantine.columns[:3] == ["source_line", "reasons", "evaluation_id"]
    assert outcome.quarantine.row(0, named=True)["source_line"] == 3
    assert outcome.quarantine.row(0, named=True)["score"] == 140.0
    assert "source_line" not in outcome.valid.columns


@pytest.mark.parametrize("hire,exit_,active", [
    (D(2026, 10, 31), None, True),     # hired on the last day
    (D(2026, 11, 1), None, False),     # hired after the month
    (D(2020, 1, 1), D(2026, 10, 1), True),   # left on the first day
    (D(2020, 1, 1), D(2026, 9, 30), False),  # left the day before
])
def test_active_agent_window(hire, exit_, active):
    roster = frame("agents", {"hire_date": hire, "exit_date": exit_})
    assert active_agents(roster, Month(2026, 10)).height == (1 if active else 0)
