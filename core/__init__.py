"""Domain-level building blocks shared by ingestion, metrics, reports and the CLI (no Dagster here)."""
