"""Issue 26, the second reading of the pages: the team comparison's order, and the † footnote shown only where a †
is, as plain functions (the pages themselves: tests/security/test_report_layout_and_wording.py)."""

from reports.context import _holds, by_status


def test_red_teams_come_first_then_amber_then_green_each_in_team_order_at_any_count():
    # 35 teams by id, their statuses in a repeating pattern: T01 green, T02 amber, T03 red, T04 green, …
    pattern = ["green", "amber", "red", "green", "green"]
    rows = [{"team_id": f"T{i:02d}", "status": pattern[(i - 1) % 5]} for i in range(1, 36)]
    ordered = [row["team_id"] for row in by_status(rows)]
    reds = [f"T{i:02d}" for i in range(3, 36, 5)]                      # T03, T08, …, T33: 7 teams
    ambers = [f"T{i:02d}" for i in range(2, 36, 5)]                    # T02, T07, …, T32: 7 teams
    greens = [f"T{i:02d}" for i in range(1, 36) if i % 5 in (1, 4, 0)]  # the other 21
    assert ordered == reds + ambers + greens
    assert len(ordered) == 35 and ordered[:2] == ["T03", "T08"] and ordered[7] == "T02" and ordered[14] == "T01"


def test_the_small_sample_mark_is_found_anywhere_in_a_context_but_in_the_note_itself():
    note = {"small_sample_note": "† small sample: …"}
    assert not _holds({**note, "teams": [{"csat": "91.2% (n=48)"}], "kpis": []}, "†", skip={"small_sample_note"})
    assert _holds({**note, "teams": [{"csat": "91.2% (n=8)†"}]}, "†", skip={"small_sample_note"})
    assert _holds({"kpis": [{"value": "89.7%†", "n": 8}]}, "†")
    assert not _holds({"rows": ("a", 3, None, {"x": ["y"]})}, "†")
