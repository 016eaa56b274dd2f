"""Pure polars functions for SPEC §4–§8: no Dagster, no I/O."""
