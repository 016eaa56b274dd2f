"""What every ccpulse asset shares: the monthly partitions, its owners, and the tags of the runs that make it."""

import os
import warnings
from functools import partial

from dagster import AssetCheckSpec, PreviewWarning, asset

from assets.partitions import monthly_partitions

OWNERS = ["team:ccpulse-ops"]

monthly_asset = partial(asset, partitions_def=monthly_partitions, owners=OWNERS)


def monthly_check(name: str, **kwargs) -> AssetCheckSpec:
    """A check whose result belongs to its month: the UI's Checks tab shows each month's own. Partitioned checks
    are a preview feature of Dagster 1.13 (requirements.lock pins the exact release we tested them with); its
    warning would be printed by every process that loads the definitions."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=PreviewWarning)
        return AssetCheckSpec(name, partitions_def=monthly_partitions, **kwargs)


def folder_tags() -> dict[str, str]:
    """Which source, data and out folders a run uses (`ccpulse/source|data|out`), from the settings of the process
    that runs it. Every run that writes a month carries them, however it was launched (assets/storage.py)."""
    return {"ccpulse/source": os.environ.get("CCPULSE_SOURCE") or "files",
            "ccpulse/data": os.environ.get("CCPULSE_DATA_DIR") or "-",
            "ccpulse/out": os.environ.get("CCPULSE_OUT_DIR") or "-"}
