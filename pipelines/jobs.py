"""The jobs: the whole month, and delivery alone (`ccpulse send`)."""

import os

from dagster import AssetSelection, define_asset_job

from assets.delivery import DELIVERY
from assets.partitions import monthly_partitions

MONTHLY_JOB = "ccpulse_monthly"
SEND_JOB = "ccpulse_send"


def folder_tags() -> dict[str, str]:
    """Which data and out folders a run used, shown on the run in the UI (settings as the code server has them;
    `ccpulse run` sets its own)."""
    return {"ccpulse/source": os.environ.get("CCPULSE_SOURCE") or "files",
            "ccpulse/data": os.environ.get("CCPULSE_DATA_DIR") or "-",
            "ccpulse/out": os.environ.get("CCPULSE_OUT_DIR") or "-"}


monthly_job = define_asset_job(
    MONTHLY_JOB,
    selection=AssetSelection.all(),
    partitions_def=monthly_partitions,
    run_tags=folder_tags(),
    description="Everything for one month: ingest, validate, every output of SPEC §9, and delivery.",
)

send_job = define_asset_job(
    SEND_JOB,
    selection=AssetSelection.assets(DELIVERY),
    partitions_def=monthly_partitions,
    run_tags=folder_tags(),
    description="Delivery alone, from the reports already rendered; with config force=true it resends on purpose.",
)
