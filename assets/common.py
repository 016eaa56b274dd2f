"""What every ccpulse asset shares: the monthly partitions and its owners."""

from functools import partial

from dagster import asset

from assets.partitions import monthly_partitions

OWNERS = ["team:ccpulse-ops"]

monthly_asset = partial(asset, partitions_def=monthly_partitions, owners=OWNERS)
