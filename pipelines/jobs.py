"""The jobs: a center's whole month, delivery alone (`ccpulse send`), and, for a group of centers, its roll-up."""

from dagster import AssetSelection, define_asset_job

from assets.common import folder_tags
from assets.delivery import DELIVERY
from assets.group import GROUP_ASSETS
from assets.partitions import GROUP, center_month_partitions, monthly_partitions

MONTHLY_JOB = "ccpulse_monthly"
SEND_JOB = "ccpulse_send"
GROUP_JOB = "ccpulse_group"

# A group's center runs get their center's folders as tags when they start (assets/storage.py); the job cannot know
# which center a run will be.
CENTER_RUN_TAGS = folder_tags() if GROUP is None else {}

monthly_job = define_asset_job(
    MONTHLY_JOB,
    selection=AssetSelection.all() - AssetSelection.groups(GROUP_ASSETS),
    partitions_def=center_month_partitions,
    run_tags=CENTER_RUN_TAGS,
    description="Everything for one month of a center: ingest, validate, every output of SPEC §9, and delivery.",
)

send_job = define_asset_job(
    SEND_JOB,
    selection=AssetSelection.assets(DELIVERY),
    partitions_def=center_month_partitions,
    run_tags=CENTER_RUN_TAGS,
    description="Delivery alone, from the reports already rendered; with config force=true it resends on purpose.",
)

group_job = define_asset_job(
    GROUP_JOB,
    selection=AssetSelection.groups(GROUP_ASSETS),
    partitions_def=monthly_partitions,
    run_tags=folder_tags(),
    description="A group of centers' month (SPEC §15): group_health.csv and group_report.pdf from every center's "
    "month, emailed to the group's report_recipients.",
)
