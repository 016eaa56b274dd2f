"""Email delivery of the month's reports, exactly once (SPEC §11)."""
