"""SPEC §4 on small frames, every expected number worked out by hand in the comments."""

import polars as pl
import pytest

from core.policy import Policy
from core.months import Month
from metrics.agent_month import agent_month_metrics
from metrics.complaints import substantiated_before
from metrics.month import month_health
from metrics.ranking import previous_composites, rank_agents
from metrics.scorecard import last_month_card, month_metrics, scorecard_csv
from schemas.sources import SOURCES
from tests.rows import OCTOBER, D, T, frame
from tests.spec_columns import SPEC_SCORECARD

POLICY = Policy()


def shift(shift_id, agent, start_hour, clock_in=None, leave="none", approved=False, day=5):
    start = T(2026, 10, day, start_hour)
    return {"shift_id": shift_id, "agent_id": agent, "shift_date": D(2026, 10, day), "scheduled_start": start,
            "scheduled_end": T(2026, 10, day, start_hour + 9) if start_hour < 15 else T(2026, 10, day + 1, 6),
            "clock_in": clock_in, "clock_out": None, "leave_type": leave, "leave_approved": approved}


ROSTER = frame(
    "agents",
    {"agent_id": "A1", "agent_name": "Alice", "team_id": "T1"},
    {"agent_id": "A2", "agent_name": "王芳", "team_id": "T1"},
    {"agent_id": "A3", "team_id": "T1", "shift_pattern": "night", "hire_date": D(2026, 9, 15)},  # 16 days: new
    {"agent_id": "A4", "team_id": "T2", "hire_date": D(2020, 1, 1), "exit_date": D(2026, 10, 15)},  # left mid-month
    {"agent_id": "A5", "team_id": "T2", "hire_date": D(2026, 10, 20)},  # hired mid-month
    {"agent_id": "A6", "team_id": "T2", "hire_date": D(2020, 1, 1), "exit_date": D(2026, 9, 30)},  # not active
    {"agent_id": "A7", "team_id": "T2", "hire_date": D(2026, 9, 1)},  # exactly 30 days: not new
)

ATTENDANCE = frame(
    "attendance",
    shift("s1", "A1", 9, T(2026, 10, 5, 8, 55)),                       # on time
    shift("s2", "A1", 9, T(2026, 10, 6, 9, 5), day=6),                 # 5 min late
    shift("s3", "A1", 9, T(2026, 10, 7, 9, 20), day=7),                # 20 min: late and serious
    shift("s4", "A1", 9, None, leave="sick", approved=True, day=8),    # approved leave
    shift("s5", "A1", 9, None, leave="annual", approved=False, day=9),  # refused leave, stayed home: absent
    shift("s6", "A1", 9, None, day=12),                                # no show: absent
    shift("s7", "A1", 9, T(2026, 10, 13, 9, 0), leave="annual", approved=True, day=13),  # came in anyway
    shift("s8", "A2", 21, T(2026, 10, 5, 21, 0, 30)),                  # 30 seconds late, night shift
    shift("s9", "A2", 21, T(2026, 10, 6, 21, 19, 59), day=6),          # 19.98 min: late, not serious
    shift("s10", "A3", 9, None, leave="personal", approved=True),      # only shift is leave
)

QA = frame(
    "qa_evaluations",
    {"evaluation_id": "E1", "agent_id": "A1", "score": 90.0},
    {"evaluation_id": "E2", "agent_id": "A1", "score": 85.5, "critical_error": True},
    {"evaluation_id": "E3", "agent_id": "A1", "score": 70.0},
    {"evaluation_id": "E4", "agent_id": "A2", "score": 100.0},
)

CSAT = frame(
    "csat_responses",
    *[{"response_id": f"R{i}", "agent_id": "A1", "score": s} for i, s in enumerate([5, 4, 3, 5, 1, 4, 2, 5])],
    {"response_id": "R9", "agent_id": "A2", "score": 3},
)

COMPLAINTS = frame(
    "complaints",
    {"complaint_id": "C1", "agent_id": "A1", "status": "substantiated", "closed_at": T(2026, 10, 20)},
    {"complaint_id": "C2", "agent_id": "A1", "status": "investigating"},
    # received in September, closed in October: a status update, not received again
    {"complaint_id": "C3", "agent_id": "A1", "received_at": T(2026, 9, 25), "status": "substantiated",
     "closed_at": T(2026, 10, 2)},
    {"complaint_id": "C4", "agent_id": None, "status": "substantiated", "closed_at": T(2026, 10, 20)},
    {"complaint_id": "C5", "agent_id": "A2", "status": "withdrawn", "closed_at": T(2026, 10, 20)},
)

LEDGER = frame(
    "discipline",
    {"action_id": "D1", "agent_id": "A1", "kind": "penalty", "category": "verbal_warning"},
    {"action_id": "D2", "agent_id": "A1", "kind": "penalty", "category": "fine"},
    {"action_id": "D3", "agent_id": "A1", "kind": "reward", "category": "bonus"},
    {"action_id": "D4", "agent_id": "A2", "kind": "penalty", "category": "dismissal"},
)


@pytest.fixture  # per test: mutation testing ties each test to the functions it calls
def card():
    result = agent_month_metrics(ROSTER, ATTENDANCE, QA, CSAT, COMPLAINTS, LEDGER, OCTOBER, POLICY, [])
    return {row["agent_id"]: row for row in result.iter_rows(named=True)}


def test_only_active_agents_get_a_row(card):
    assert sorted(card) == ["A1", "A2", "A3", "A4", "A5", "A7"]


def test_attendance_counts_of_a_busy_month(card):
    a1 = card["A1"]
    # s1..s7: leave_shifts = s4 (s7 was worked); worked = s1 s2 s3 s7; absent = s5 s6
    assert (a1["scheduled_shifts"], a1["leave_shifts"], a1["worked_shifts"], a1["absences"]) == (7, 1, 4, 2)
    assert (a1["late_count"], a1["serious_late_count"], a1["required_shifts"]) == (2, 1, 6)
    assert a1["attendance_rate"] == pytest.approx(4 / 6)
    assert a1["punctuality_rate"] == pytest.approx((4 - 2) / 4)


def test_lateness_is_measured_to_the_second(card):
    a2 = card["A2"]
    # 30 s late is late with 0 grace; 19 min 59 s is late but not serious (< 20)
    assert (a2["late_count"], a2["serious_late_count"], a2["punctuality_rate"]) == (2, 0, 0.0)


def test_grace_minutes_excuse_small_lateness():
    graced = agent_month_metrics(ROSTER, ATTENDANCE, QA, CSAT, COMPLAINTS, LEDGER, OCTOBER,
                                 Policy(late_grace_minutes=5), [])
    a1 = graced.filter(pl.col("agent_id") == "A1").row(0, named=True)
    assert a1["late_count"] == 1  # 5 min is not > 5; 20 min is


def test_required_shifts_zero_gives_null_rates(card):
    a3, a4 = card["A3"], card["A4"]
    assert (a3["scheduled_shifts"], a3["leave_shifts"], a3["required_shifts"]) == (1, 1, 0)
    assert a3["attendance_rate"] is None and a3["punctuality_rate"] is None
    assert a4["scheduled_shifts"] == 0 and a4["attendance_rate"] is None


def test_new_hires(card):
    # A3: 16 days before 1 Oct; A5: hired 20 Oct (negative tenure); A7: exactly 30 days is not new
    assert {agent: row["new_hire"] for agent, row in card.items()} == {
        "A1": False, "A2": False, "A3": True, "A4": False, "A5": True, "A7": False}


def test_qa(card):
    a1 = card["A1"]
    assert a1["qa_evals"] == 3
    assert a1["qa_score"] == pytest.approx((90 + 85.5 + 70) / 3)  # 81.8333
    assert a1["qa_critical_errors"] == 1
    assert card["A3"]["qa_evals"] == 0 and card["A3"]["qa_score"] is None


def test_csat_top_two_box(card):
    # A1 answers 5 4 3 5 1 4 2 5: five of eight are 4 or 5
    assert (card["A1"]["csat_responses"], card["A1"]["csat"]) == (8, 5 / 8)
    assert (card["A2"]["csat_responses"], card["A2"]["csat"]) == (1, 0.0)
    assert card["A3"]["csat_responses"] == 0 and card["A3"]["csat"] is None


def test_complaints_received_and_substantiated(card):
    # C1 and C2 received in October; C3 is September's, substantiated in October; C4 unattributed
    assert (card["A1"]["complaints_received"], card["A1"]["complaints_substantiated"]) == (2, 2)
    assert (card["A2"]["complaints_received"], card["A2"]["complaints_substantiated"]) == (1, 0)


def test_a_complaint_substantiated_in_an_earlier_month_is_not_counted_again():
    # C3's September file already said substantiated: October's closing row is a status update only
    again = agent_month_metrics(ROSTER, ATTENDANCE, QA, CSAT, COMPLAINTS, LEDGER, OCTOBER, POLICY, ["C3"])
    a1 = again.filter(pl.col("agent_id") == "A1").row(0, named=True)
    assert (a1["complaints_received"], a1["complaints_substantiated"]) == (2, 1)


def test_substantiated_before_looks_only_at_earlier_months():
    def substantiated(complaint_id):
        return frame("complaints", {"complaint_id": complaint_id, "agent_id": "A1", "received_at": T(2026, 9, 2),
                                    "status": "substantiated"})

    history = {Month(2026, 8): substantiated("C8"), Month(2026, 9): substantiated("C9"), OCTOBER: substantiated("C10"),
               Month(2026, 11): substantiated("C11")}
    assert substantiated_before(history, OCTOBER) == ["C8", "C9"]  # October's own file is October's to count


def test_each_complaint_is_substantiated_once_across_three_months():
    """SPEC §4, through month_metrics as the assets call it, with the history each month would have."""
    months = [Month(2026, 1), Month(2026, 2), Month(2026, 3)]
    jan, feb, mar = months

    def complaints(*rows):
        return frame("complaints", *({"agent_id": "A1", **row} for row in rows))

    files = {
        # C1: substantiated in January, its closing row comes in February: January only.
        # C2: open in January, substantiated when it closes in February: February only.
        # C5: substantiated in January, reversed on appeal in February: January only, never again.
        jan: complaints({"complaint_id": "C1", "received_at": T(2026, 1, 5), "status": "substantiated"},
                        {"complaint_id": "C2", "received_at": T(2026, 1, 28), "status": "open"},
                        {"complaint_id": "C5", "received_at": T(2026, 1, 9), "status": "substantiated"}),
        feb: complaints({"complaint_id": "C1", "received_at": T(2026, 1, 5), "status": "substantiated",
                         "closed_at": T(2026, 2, 3)},
                        {"complaint_id": "C2", "received_at": T(2026, 1, 28), "status": "substantiated",
                         "closed_at": T(2026, 2, 10)},
                        {"complaint_id": "C5", "received_at": T(2026, 1, 9), "status": "unsubstantiated",
                         "closed_at": T(2026, 2, 11)},
                        {"complaint_id": "C3", "received_at": T(2026, 2, 20), "status": "investigating"}),
        # C3 closes unsubstantiated; C4 is received and substantiated in March; C2 shows up again, still so.
        mar: complaints({"complaint_id": "C3", "received_at": T(2026, 2, 20), "status": "unsubstantiated",
                         "closed_at": T(2026, 3, 2)},
                        {"complaint_id": "C4", "received_at": T(2026, 3, 4), "status": "substantiated"},
                        {"complaint_id": "C2", "received_at": T(2026, 1, 28), "status": "substantiated",
                         "closed_at": T(2026, 3, 1)}),
    }
    roster = frame("agents", {"agent_id": "A1", "hire_date": D(2020, 1, 1)})
    counted = {}
    for month in months:
        empty = {s: pl.DataFrame(schema=SOURCES[s].columns) for s in SOURCES}
        valid = {**empty, "agents": roster, "complaints": files[month]}
        history = {earlier: files[earlier] for earlier in months if earlier < month}
        row = month_metrics(valid, month, POLICY, history).row(0, named=True)
        counted[str(month)] = (row["complaints_received"], row["complaints_substantiated"])
    assert counted == {"2026-01": (3, 2), "2026-02": (1, 1), "2026-03": (1, 1)}  # C1+C5; C2; C4


def test_discipline(card):
    assert (card["A1"]["penalties"], card["A1"]["severe_penalties"], card["A1"]["rewards"]) == (2, 1, 1)
    assert (card["A2"]["penalties"], card["A2"]["severe_penalties"], card["A2"]["rewards"]) == (1, 1, 0)
    assert (card["A4"]["penalties"], card["A4"]["rewards"]) == (0, 0)


def test_a_team_move_counts_for_the_new_team_all_month(card):
    # the roster is the month-end snapshot: A4's team is T2 for all of October
    assert card["A4"]["team_id"] == "T2"


def test_empty_month_gives_rows_with_zero_counts():
    empty = {s: pl.DataFrame(schema=SOURCES[s].columns) for s in SOURCES}
    result = agent_month_metrics(ROSTER, empty["attendance"], empty["qa_evaluations"], empty["csat_responses"],
                                 empty["complaints"], empty["discipline"], OCTOBER, POLICY, [])
    assert result.height == 6
    assert result["scheduled_shifts"].to_list() == [0] * 6
    assert result["csat"].null_count() == 6


# --- a whole month from its validated sources (what earlier months and last month's delta use) -------

def october(**changes) -> dict[str, pl.DataFrame]:
    valid = {s: pl.DataFrame(schema=SOURCES[s].columns) for s in SOURCES}
    valid.update(teams=frame("teams", {"team_id": "T1"}, {"team_id": "T2"}), agents=ROSTER, attendance=ATTENDANCE,
                 qa_evaluations=QA, csat_responses=CSAT, complaints=COMPLAINTS, discipline=LEDGER)
    return {**valid, **changes}


def test_last_months_composites_are_computed_from_its_data_with_its_complaint_history():
    policy = Policy(min_csat_responses=1)  # A1 (3 evaluations, 8 responses) is ranked; A2 (1 evaluation) is not
    p0 = 5 / 9  # the center's top-2 responses: A1 5 of 8, A2 0 of 1
    base = 100 * (0.4 * (90 + 85.5 + 70) / 300 + 0.3 * (5 + 20 * p0) / (8 + 20) + 0.2 * (4 - 0.5 * 2) / 6)
    fresh = previous_composites(last_month_card(october(), Month(2026, 11), policy, {}))
    assert fresh.rows() == [("A1", pytest.approx(base + 100 * 0.1 * 0.5))]  # C1 and C3 substantiated: conduct 0.5
    september = {Month(2026, 9): frame("complaints", {"complaint_id": "C3", "received_at": T(2026, 9, 25),
                                                      "status": "substantiated"})}
    known = previous_composites(last_month_card(october(), Month(2026, 11), policy, september))
    assert known.rows() == [("A1", pytest.approx(base + 100 * 0.1 * 0.75))]  # C3 counted in September already
    assert last_month_card(None, Month(2026, 11), policy, {}) is None


def test_a_whole_months_health_uses_the_complaint_history_for_statuses():
    premature = frame("discipline", {"action_id": "D9", "agent_id": "A2", "category": "verbal_warning",
                                     "complaint_id": "C7"})
    valid = october(discipline=pl.concat([LEDGER, premature]))
    before = {Month(2026, 9): frame("complaints", {"complaint_id": "C7", "agent_id": "A2", "status": "investigating",
                                                   "received_at": T(2026, 9, 20)})}
    health = {row["team_id"]: row for row in month_health(valid, OCTOBER, POLICY, before).iter_rows(named=True)}
    assert list(health) == ["T1", "T2", "ALL"]
    t1 = health["T1"]
    # T1: A1, A2, A3 active; penalties D1, D2 (A1), D4 (A2), D9 (A2); D2 fine and D4 dismissal are severe
    assert (t1["headcount"], t1["penalties"], t1["severe_penalties"], t1["rewards"]) == (3, 4, 2, 1)
    assert t1["csat"] == pytest.approx(5 / 9) and t1["qa_score"] == pytest.approx((90 + 85.5 + 70 + 100) / 4)
    assert t1["premature_complaint_penalties"] == 1  # C7 still under investigation as of September's file
    assert (t1["status"], health["ALL"]["headcount"]) == ("red", 6)
    settled = {Month(2026, 9): before[Month(2026, 9)].with_columns(status=pl.lit("substantiated"))}
    health = month_health(valid, OCTOBER, POLICY, settled)
    assert health.filter(pl.col("team_id") == "T1")["premature_complaint_penalties"].item() == 0


def test_the_scorecard_csv_has_the_spec_columns_in_order():
    card = rank_agents(month_metrics(october(), OCTOBER, POLICY, {}), POLICY)
    assert scorecard_csv(card).columns == SPEC_SCORECARD
    assert scorecard_csv(card).height == 6
