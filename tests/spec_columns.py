"""The output columns of SPEC §9 (and §13), written here from the SPEC, never imported from the product:
a column the product forgets or moves fails the tests that compare with these."""

SPEC_METRICS = ["scheduled_shifts", "leave_shifts", "worked_shifts", "absences", "late_count", "serious_late_count",
                "required_shifts", "attendance_rate", "punctuality_rate", "new_hire", "qa_evals", "qa_score",
                "qa_critical_errors", "csat_responses", "csat", "complaints_received", "complaints_substantiated",
                "penalties", "severe_penalties", "rewards"]
SPEC_SCORECARD = (["month", "agent_id", "agent_name", "team_id", "shift_pattern"] + SPEC_METRICS
                  + ["ranked", "not_ranked_reason", "quality", "satisfaction", "attendance", "conduct", "composite",
                     "team_rank", "cohort_rank", "cohort_percentile", "composite_delta"]
                  + ["qa_flagged_evaluator_share", "qa_score_adjusted"])  # §13's two, after §9's
SPEC_HEALTH = ["month", "team_id", "headcount", "penalties", "severe_penalties", "rewards", "penalty_rate_per_100",
               "severe_penalty_rate_per_100", "reward_penalty_ratio", "median_action_lag_days", "untimely_action_share",
               "premature_complaint_penalties", "qa_coverage", "discretionary_deduction_share", "attrition_rate",
               "csat", "qa_score", "attendance_rate", "undisciplined_top_performers", "status", "flags"]
SPEC_FAIRNESS = ["month", "group_kind", "group", "active_agents", "ranked_agents", "award", "winners", "award_rate",
                 "center_award_rate"]
SPEC_COACHING = ["month", "agent_id", "team_id", "reasons", "qa_evals", "buddy_agent_id", "focus"]
SPEC_COACHING_FOLLOWUP = ["month", "agent_id", "team_id", "reasons_last_month", "outcome", "reasons_now",
                          "composite_delta"]
