"""Dagster assets: thin wiring around the plain functions in ingest/, schemas/ and metrics/."""
