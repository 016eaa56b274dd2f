"""A centers.yaml cannot steer a run outside its own folders (SPEC §2, §15).

A center id names folders, run tags and partitions, so it must be a safe name as written: a path, a
hidden name, an over-long or non-ASCII id is refused, not slugged. No center writes into another
center's out folder, the group's, or a data folder, even through a symbolic link.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.centers import CentersFileError, load_group
from core.errors import shown

ID_RULE = ("id: must be 1 to 64 characters of A-Z a-z 0-9 _ . - starting with a letter or digit (it names the "
           "center's folders, run tags and partitions)")


@pytest.fixture
def site(tmp_path) -> Path:
    for name in ("data-a", "data-b"):
        (tmp_path / name).mkdir()
    return tmp_path


def problems_of(site: Path, centers: list[str], group_out: str = "group-out") -> list[str]:
    path = site / "centers.yaml"
    path.write_text(f"group: {{name: G, out: {group_out}}}\ncenters:\n" + "".join(f"  - {c}\n" for c in centers),
                    encoding="utf-8")
    with pytest.raises(CentersFileError) as caught:
        load_group(path)
    return [problem.removeprefix(f"{path}: ") for problem in caught.value.problems]


HOSTILE_IDS = ["../x", "/etc", "a/b", ".hidden", "a" * 65, "🐉", "..", "-rf", "a\\b", "团队", "sh\u200b", "sh\n"]


@pytest.mark.parametrize("center_id", HOSTILE_IDS)
def test_an_id_that_is_not_a_safe_name_is_refused(site, center_id):
    quoted = center_id.replace("\\", "\\\\").replace("\n", "\\n")
    problems = problems_of(site, [f'{{id: "{quoted}", name: A, data: data-a, out: out-a}}'])
    assert problems == [f"centers[0] (id {shown(center_id)}): {ID_RULE}"]


def test_a_64_character_id_is_taken(site):
    (site / "centers.yaml").write_text(
        f"group: {{name: G, out: group-out}}\ncenters:\n  - {{id: {'a' * 64}, name: A, data: data-a, out: out-a}}\n",
        encoding="utf-8")
    assert load_group(site / "centers.yaml").ids == ["a" * 64]


def test_an_out_folder_that_is_another_centers_is_refused(site):
    assert problems_of(site, ["{id: a, name: A, data: data-a, out: out}",
                              "{id: b, name: B, data: data-b, out: out/}"]) == \
        [f"centers[1] (id 'b'): out: {site / 'out'} is the out folder of centers[0] (id 'a'); each center needs "
         "its own out folder"]


def test_an_out_folder_inside_another_centers_is_refused_whichever_comes_first(site):
    problems = problems_of(site, ["{id: a, name: A, data: data-a, out: out/a/../a/inner}",
                                  "{id: b, name: B, data: data-b, out: out/a}"])
    assert problems == [f"centers[1] (id 'b'): out: {site / 'out' / 'a'} contains the out folder of centers[0] "
                        "(id 'a'); each center needs its own out folder"]


@pytest.mark.parametrize("out,how", [("group-out", "is"), ("group-out/a", "is inside"), (".", "contains")])
def test_an_out_folder_that_is_the_group_out_or_nested_with_it_is_refused(site, out, how):
    assert problems_of(site, [f"{{id: a, name: A, data: data-a, out: '{out}'}}"]) == \
        [f"centers[0] (id 'a'): out: {os.path.abspath(site / out)} {how} the group's out folder"]


def test_an_out_folder_that_is_a_data_folder_is_refused(site):
    assert problems_of(site, ["{id: a, name: A, data: data-a, out: out-a}",
                              "{id: b, name: B, data: data-b, out: data-a}"]) == \
        [f"centers[1] (id 'b'): out: {site / 'data-a'} is the data folder of centers[0] (id 'a')"]


def test_an_out_folder_that_is_its_own_data_folder_is_refused(site):
    assert problems_of(site, ["{id: a, name: A, data: data-a, out: data-a}"]) == \
        [f"centers[0] (id 'a'): out: {site / 'data-a'} is its own data folder"]


def test_a_symlinked_out_folder_pointing_at_another_centers_out_is_refused(site):
    (site / "out-a").mkdir()
    (site / "out-b").symlink_to(site / "out-a", target_is_directory=True)
    assert problems_of(site, ["{id: a, name: A, data: data-a, out: out-a}",
                              "{id: b, name: B, data: data-b, out: out-b}"]) == \
        [f"centers[1] (id 'b'): out: {site / 'out-b'} is the out folder of centers[0] (id 'a'); each center needs "
         "its own out folder"]


def test_a_symlinked_parent_that_puts_an_out_folder_inside_another_is_refused(site):
    (site / "out-a").mkdir()
    (site / "elsewhere").symlink_to(site / "out-a", target_is_directory=True)
    assert problems_of(site, ["{id: a, name: A, data: data-a, out: out-a}",
                              "{id: b, name: B, data: data-b, out: elsewhere/b}"]) == \
        [f"centers[1] (id 'b'): out: {site / 'elsewhere' / 'b'} is inside the out folder of centers[0] (id 'a'); "
         "each center needs its own out folder"]


def test_a_symlinked_out_folder_pointing_at_a_data_folder_is_refused(site):
    (site / "out-a").symlink_to(site / "data-b", target_is_directory=True)
    assert problems_of(site, ["{id: a, name: A, data: data-a, out: out-a}",
                              "{id: b, name: B, data: data-b, out: out-b}"]) == \
        [f"centers[0] (id 'a'): out: {site / 'out-a'} is the data folder of centers[1] (id 'b')"]


def test_a_symlink_loop_is_refused_without_hanging(site):
    (site / "loop").symlink_to(site / "loop")
    problems = problems_of(site, ["{id: a, name: A, data: loop, out: out-a}"])
    assert problems == [f"centers[0] (id 'a'): data: cannot be checked (Too many levels of symbolic links): "
                        f"{site / 'loop'}"]


def test_a_path_too_long_for_the_file_system_is_refused_not_crashed_on(site):
    problems = problems_of(site, [f"{{id: a, name: A, data: {'d' * 300}, out: {'o' * 300}}}"])
    assert problems == [f"centers[0] (id 'a'): data: cannot be checked (File name too long): {site / ('d' * 300)}",
                        f"centers[0] (id 'a'): out: cannot be checked (File name too long): {site / ('o' * 300)}"]


def test_a_nul_character_in_a_path_is_refused(site):
    assert problems_of(site, ['{id: a, name: A, data: "data-a\\0/x", out: out-a}']) == \
        ["centers[0] (id 'a'): data: contains a NUL character"]


def test_loading_creates_no_folder(site):
    (site / "centers.yaml").write_text(
        "group: {name: G, out: g/deep/out}\ncenters:\n  - {id: a, name: A, data: data-a, out: o/deep/a}\n",
        encoding="utf-8")
    load_group(site / "centers.yaml")
    assert sorted(path.name for path in site.iterdir()) == ["centers.yaml", "data-a", "data-b"]


def test_a_policy_that_is_a_fifo_is_refused_without_reading_it(site):
    os.mkfifo(site / "policy.yaml")  # reading it would wait forever for a writer
    assert problems_of(site, ["{id: a, name: A, data: data-a, out: out-a, policy: policy.yaml}"]) == \
        [f"centers[0] (id 'a'): policy: not a regular file: {site / 'policy.yaml'}"]
