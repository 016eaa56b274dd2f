"""Write a source the way the center's systems would: CSV (UTF-8, BOM or GBK), Parquet or XLSX."""

from __future__ import annotations

from pathlib import Path

import polars as pl

CSV_DATETIME = "%Y-%m-%dT%H:%M:%S"


def write_source(frame: pl.DataFrame, stem: Path, fmt: str, encoding: str = "utf-8") -> Path:
    path = stem.with_suffix(f".{fmt}")
    if fmt == "parquet":
        frame.write_parquet(path)
    elif fmt == "xlsx":
        frame.write_excel(path, worksheet=stem.name[:31], autofit=False, dtype_formats={pl.Datetime: "yyyy-mm-dd hh:mm:ss", pl.Date: "yyyy-mm-dd"})
    elif fmt == "csv":
        text = frame.write_csv(datetime_format=CSV_DATETIME, date_format="%Y-%m-%d")
        # What Excel on Chinese Windows writes is GBK; GB18030 is its superset for rare characters.
        codec = {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "gbk": "gb18030"}[encoding]
        path.write_bytes(text.encode(codec))
    else:
        raise ValueError(f"unknown format {fmt!r}")
    return path
