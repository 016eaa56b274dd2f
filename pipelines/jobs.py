"""The jobs: the whole month, and delivery alone (`ccpulse send`)."""

from dagster import AssetSelection, define_asset_job

from assets.common import folder_tags
from assets.delivery import DELIVERY
from assets.partitions import monthly_partitions

MONTHLY_JOB = "ccpulse_monthly"
SEND_JOB = "ccpulse_send"

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
