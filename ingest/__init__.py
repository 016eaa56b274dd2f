"""Reading the monthly sources into typed polars frames (files by default, SQL later)."""
