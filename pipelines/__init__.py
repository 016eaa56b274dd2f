"""Dagster Definitions, jobs, schedules and the `ccpulse` command line."""
