"""The run's settings: where data comes from and goes, the policy and the column mapping."""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource

from core.months import Month
from core.policy import Policy, load_policy
from ingest.files import FileSource
from ingest.load import SourceReader
from ingest.mapping import ColumnMapping, load_mapping


class CcpulseSettings(ConfigurableResource):
    """Configured from environment variables (CCPULSE_DATA_DIR, CCPULSE_OUT_DIR, …) in the Definitions."""

    data_dir: str
    out_dir: str
    policy_file: str = ""
    column_mapping_file: str = ""
    source: str = "files"

    def policy(self) -> Policy:
        return load_policy(self.policy_file or None)

    def mapping(self) -> ColumnMapping:
        return load_mapping(self.column_mapping_file or None)

    def reader(self) -> SourceReader:
        if self.source == "files":
            return FileSource(self.data_dir)
        raise ValueError(f"unknown source kind {self.source!r} (expected 'files')")

    def month_dir(self, month: Month) -> Path:
        path = Path(self.out_dir) / str(month)
        path.mkdir(parents=True, exist_ok=True)
        return path
