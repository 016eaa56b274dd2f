"""What every ccpulse asset shares: the monthly partitions, its owners, and the tags of the runs that make it."""

import os
import warnings
from functools import partial

from dagster import AssetCheckSpec, PreviewWarning, asset

from assets.partitions import CENTER_TAG, GROUP, center_month_partitions

OWNERS = ["team:ccpulse-ops"]

# A center's month (and, for a group of centers, which center): every asset of a center's run.
monthly_asset = partial(asset, partitions_def=center_month_partitions, owners=OWNERS)


def monthly_check(name: str, partitions_def=center_month_partitions, **kwargs) -> AssetCheckSpec:
    """A check whose result belongs to its month: the UI's Checks tab shows each month's own. Partitioned checks
    are a preview feature of Dagster 1.13 (requirements.lock pins the exact release we tested them with); its
    warning would be printed by every process that loads the definitions."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=PreviewWarning)
        return AssetCheckSpec(name, partitions_def=partitions_def, **kwargs)


def folder_tags(center_id: str | None = None) -> dict[str, str]:
    """Which source, data and out folders a run uses (`ccpulse/source|data|out`), from the settings of the process
    that runs it. Every run that writes a month carries them, however it was launched (assets/storage.py).

    A group's runs (CCPULSE_CENTERS) use their center's folders from centers.yaml and say which center
    (`ccpulse/center`); the group's own runs write the group's out folder."""
    if GROUP is not None:
        if center_id is None:
            return {"ccpulse/source": "files", "ccpulse/data": "-", "ccpulse/out": str(GROUP.out)}
        center = GROUP.center(center_id)
        return {"ccpulse/source": "files", "ccpulse/data": str(center.data), "ccpulse/out": str(center.out),
                CENTER_TAG: center.id}
    return {"ccpulse/source": os.environ.get("CCPULSE_SOURCE") or "files",
            "ccpulse/data": os.environ.get("CCPULSE_DATA_DIR") or "-",
            "ccpulse/out": os.environ.get("CCPULSE_OUT_DIR") or "-"}
