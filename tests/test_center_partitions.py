"""Which center and month a run serves, read from its tags however it was launched (assets/partitions.py)."""

from dagster import MultiPartitionKey

from assets.partitions import center_month_key, partition_center, partition_month, run_center, run_month
from core.months import Month


def test_a_groups_run_is_read_from_dagsters_dimension_tags_or_from_its_partition_key_alone():
    tagged = {"dagster/partition": "sh|2026-09", "dagster/partition/center": "sh", "dagster/partition/month": "2026-09"}
    assert (run_center(tagged), run_month(tagged)) == ("sh", "2026-09")
    # A launch that gave only the partition key (GraphQL, an older client): still its center's, never the group's.
    assert (run_center({"dagster/partition": "cd|2026-10"}), run_month({"dagster/partition": "cd|2026-10"})) == \
        ("cd", "2026-10")


def test_a_group_of_ones_run_has_a_month_and_no_center():
    assert (run_center({"dagster/partition": "2026-09"}), run_month({"dagster/partition": "2026-09"})) == \
        (None, "2026-09")
    assert (run_center({}), run_month({})) == (None, None)


def test_partition_keys_of_a_center_month_and_back():
    key = center_month_key(Month(2026, 9), "sh")
    assert isinstance(key, MultiPartitionKey) and str(key) == "sh|2026-09"
    assert (partition_center(key), partition_month(key)) == ("sh", Month(2026, 9))
    assert center_month_key(Month(2026, 9)) == "2026-09"
    assert (partition_center("2026-09"), partition_month("2026-09")) == (None, Month(2026, 9))
