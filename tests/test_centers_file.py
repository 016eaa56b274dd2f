"""centers.yaml (SPEC §15): a good file gives the group; a bad one is refused before anything runs,
every problem listed in one error, each line naming the file and the center or key."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.centers import Center, CentersFileError, Group, load_group
from core.errors import ConfigError


@pytest.fixture
def site(tmp_path) -> Path:
    """A folder with two centers' data folders and one policy file: what a good centers.yaml points at."""
    for name in ("data-sh", "data-cd"):
        (tmp_path / name).mkdir()
    (tmp_path / "policy-sh.yaml").write_text("language: zh-CN\ntimezone: Asia/Shanghai\n", encoding="utf-8")
    return tmp_path


GOOD = """\
group: {name: Example Group, out: group-out, report_recipients: [group.director@example.com], language: zh-CN}
centers:
  - {id: sh, name: Shanghai, data: data-sh, out: out-sh, policy: policy-sh.yaml}
  - {id: cd, name: Chengdu,  data: data-cd, out: out-cd}
"""


def write(folder: Path, text: str, name: str = "centers.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(CentersFileError) as caught:
        load_group(path)
    error = caught.value
    assert isinstance(error, ConfigError)  # what the CLI catches for configuration files
    assert str(error).splitlines()[1:] == [f"  {line}" for line in error.problems]  # one problem a line
    assert all(line.startswith(f"{path}: ") for line in error.problems)  # each naming the file
    return error.problems


def only_problem(path: Path) -> str:
    problems = problems_of(path)
    assert len(problems) == 1, problems
    return problems[0].removeprefix(f"{path}: ")


def centers_text(*lines: str, group: str = "{name: G, out: group-out}") -> str:
    return f"group: {group}\ncenters:\n" + "".join(f"  - {line}\n" for line in lines)


# --- a good file ------------------------------------------------------------------------------------------------

def test_a_good_file_gives_the_group_with_paths_relative_to_the_file(site, monkeypatch):
    path = write(site, GOOD)
    monkeypatch.chdir("/")  # relative to the file's folder, not the working directory
    group = load_group(os.path.relpath(path, "/"))
    assert group == Group(
        name="Example Group", out=site / "group-out", report_recipients=("group.director@example.com",),
        language="zh-CN", file=path,
        centers=(Center(id="sh", name="Shanghai", data=site / "data-sh", out=site / "out-sh",
                        policy=site / "policy-sh.yaml"),
                 Center(id="cd", name="Chengdu", data=site / "data-cd", out=site / "out-cd", policy=None)))
    assert group.ids == ["sh", "cd"]
    assert group.center("cd").data == site / "data-cd"
    assert not (site / "out-sh").exists() and not (site / "group-out").exists()  # loading creates no folder


def test_language_and_recipients_default_and_absolute_paths_are_kept(site, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    path = write(site, centers_text(f"{{id: sh, name: Shanghai, data: {site / 'data-sh'}, out: {elsewhere / 'o'}}}"))
    group = load_group(path)
    assert (group.language, group.report_recipients) == ("en", ())
    assert group.centers[0].data == site / "data-sh" and group.centers[0].out == elsewhere / "o"
    assert group.centers[0].policy is None


def test_an_unknown_center_id_names_the_known_ones(site):
    group = load_group(write(site, GOOD))
    with pytest.raises(ConfigError, match=r"no center 'gz'; known: sh, cd"):
        group.center("gz")


# --- the file itself --------------------------------------------------------------------------------------------

def test_a_missing_file(tmp_path):
    path = tmp_path / "centers.yaml"
    assert only_problem(path) == "file not found"


def test_an_unreadable_file(site, monkeypatch):
    path = write(site, GOOD)

    def denied(self, *args, **kwargs):  # what reading a chmod-000 file does to a user other than root
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_text", denied)
    assert only_problem(path) == "cannot be read (Permission denied)"


def test_a_folder_instead_of_a_file(tmp_path):
    (tmp_path / "centers.yaml").mkdir()
    assert only_problem(tmp_path / "centers.yaml") == "not a UTF-8 text file of centers keys (IsADirectoryError)"


def test_not_yaml(site):
    problem = only_problem(write(site, "group: {name: G, out: group-out}\ncenters: [unclosed\n"))
    assert problem == "not valid YAML: line 3, column 1: expected ',' or ']', but got '<stream end>'"


def test_a_list_instead_of_a_mapping(site):
    assert only_problem(write(site, "- sh\n- cd\n")) == "expected a mapping of centers keys, got list"


def test_a_key_written_twice_is_refused(site):
    problem = only_problem(write(site, GOOD.replace("data: data-cd,", "data: data-cd, data: data-sh,")))
    assert problem == "not valid YAML: line 4, column 45: found the key 'data' twice (first on line 4)"


def test_an_empty_file_misses_group_and_centers(site):
    assert problems_of(write(site, "")) == [
        f"{site / 'centers.yaml'}: group: missing (required: a mapping of name, out, report_recipients, language)",
        f"{site / 'centers.yaml'}: centers: missing (required: a list of centers, each with id, name, data, out)"]


# --- keys and types ---------------------------------------------------------------------------------------------

def test_an_unknown_top_level_key(site):
    path = write(site, GOOD + "center: {}\n")
    assert only_problem(path) == "top level: unknown key 'center' (known: group, centers)"


def test_an_unknown_group_key(site):
    path = write(site, GOOD.replace("language: zh-CN", "language: zh-CN, recipients: []"))
    assert only_problem(path) == "group: unknown key 'recipients' (known: name, out, report_recipients, language)"


def test_an_unknown_center_key(site):
    path = write(site, GOOD.replace("out: out-cd}", "out: out-cd, polcy: policy-sh.yaml}"))
    assert only_problem(path) == "centers[1] (id 'cd'): unknown key 'polcy' (known: id, name, data, out, policy)"


@pytest.mark.parametrize("key", ["name", "out"])
def test_a_missing_group_key(site, key):
    group = {"name": "name: G", "out": "out: group-out"}
    del group[key]
    group_text = "{" + ", ".join(group.values()) + "}"
    path = write(site, centers_text("{id: sh, name: S, data: data-sh, out: out-sh}", group=group_text))
    assert only_problem(path) == f"group: {key}: missing (required)"


@pytest.mark.parametrize("key", ["id", "name", "data", "out"])
def test_a_missing_center_key(site, key):
    center = {"id": "id: sh", "name": "name: S", "data": "data: data-sh", "out": "out: out-sh"}
    del center[key]
    where = "centers[0]" if key == "id" else "centers[0] (id 'sh')"
    assert only_problem(write(site, centers_text("{" + ", ".join(center.values()) + "}"))) == \
        f"{where}: {key}: missing (required)"


@pytest.mark.parametrize("text,problem", [
    ("{id: 7, name: S, data: data-sh, out: out-sh}", "centers[0]: id: expected text, got int 7 (quote it in the YAML)"),
    ("{id: sh, name: [S], data: data-sh, out: out-sh}", "centers[0] (id 'sh'): name: expected text, got list ['S']"),
    ("{id: sh, name: S, data: {a: 1}, out: out-sh}", "centers[0] (id 'sh'): data: expected text, got dict {'a': 1}"),
    ("{id: sh, name: S, data: data-sh, out: ''}", "centers[0] (id 'sh'): out: empty"),
    ("{id: sh, name: S, data: data-sh, out: out-sh, policy: true}",
     "centers[0] (id 'sh'): policy: expected text, got bool True (quote it in the YAML)"),
    ("sh", "centers[0]: expected a mapping of id, name, data, out, policy, got str"),
])
def test_a_center_value_of_the_wrong_type(site, text, problem):
    assert only_problem(write(site, centers_text(text))) == problem


@pytest.mark.parametrize("group,problem", [
    ("[G]", "group: expected a mapping of name, out, report_recipients, language, got list"),
    ("{name: 2026, out: group-out}", "group: name: expected text, got int 2026 (quote it in the YAML)"),
    ("{name: G, out: group-out, report_recipients: a@example.com}",
     "group: report_recipients: expected a list of addresses, got str"),
    ("{name: G, out: group-out, report_recipients: [a@example.com, 5]}",
     "group: report_recipients[1]: expected a non-empty address, got int"),
    ("{name: G, out: group-out, report_recipients: [' ']}",
     "group: report_recipients[0]: expected a non-empty address, got empty text"),
])
def test_a_group_value_of_the_wrong_type(site, group, problem):
    path = write(site, centers_text("{id: sh, name: S, data: data-sh, out: out-sh}", group=group))
    assert only_problem(path) == problem


def test_centers_not_a_list(site):
    path = write(site, "group: {name: G, out: group-out}\ncenters: {sh: data-sh}\n")
    assert only_problem(path) == "centers: expected a list of centers, got dict"


def test_an_empty_centers_list(site):
    assert only_problem(write(site, "group: {name: G, out: group-out}\ncenters: []\n")) == \
        "centers: empty: list at least one center"


def test_an_unknown_language(site):
    path = write(site, GOOD.replace("language: zh-CN", "language: fr"))
    assert only_problem(path) == "group: language: unknown language 'fr' (known: en, zh-CN)"


# --- ids --------------------------------------------------------------------------------------------------------

def test_a_duplicate_center_id(site):
    path = write(site, GOOD.replace("id: cd", "id: sh"))
    problems = problems_of(path)
    assert f"{path}: centers[1] (id 'sh'): id: repeats centers[0]; center ids must be unique (they name folders)" \
        in problems


def test_ids_differing_by_case_only_are_duplicates(site):
    path = write(site, GOOD.replace("id: cd", "id: SH"))
    assert only_problem(path) == ("centers[1] (id 'SH'): id: differs from centers[0]'s 'sh' by case only; "
                                  "center ids must be unique (they name folders)")


def test_an_id_that_is_not_a_safe_name(site):
    path = write(site, GOOD.replace("id: cd", "id: 'c d'"))
    assert only_problem(path) == (
        "centers[1] (id 'c d'): id: must be 1 to 64 characters of A-Z a-z 0-9 _ . - starting with a letter or "
        "digit (it names the center's folders, run tags and partitions)")


# --- folders and files ------------------------------------------------------------------------------------------

def test_a_missing_data_folder(site):
    path = write(site, GOOD.replace("data: data-cd", "data: data-xx"))
    assert only_problem(path) == f"centers[1] (id 'cd'): data: folder not found: {site / 'data-xx'}"


def test_a_data_folder_that_is_a_file(site):
    (site / "data.csv").write_text("x\n", encoding="utf-8")
    path = write(site, GOOD.replace("data: data-cd", "data: data.csv"))
    assert only_problem(path) == f"centers[1] (id 'cd'): data: not a folder: {site / 'data.csv'}"


def test_a_missing_policy_file(site):
    path = write(site, GOOD.replace("policy: policy-sh.yaml", "policy: policy-xx.yaml"))
    assert only_problem(path) == f"centers[0] (id 'sh'): policy: file not found: {site / 'policy-xx.yaml'}"


def test_a_policy_that_is_a_folder(site):
    path = write(site, GOOD.replace("policy: policy-sh.yaml", "policy: data-cd"))
    assert only_problem(path) == f"centers[0] (id 'sh'): policy: not a regular file: {site / 'data-cd'}"


def test_a_policy_that_does_not_validate_lists_its_problems(site):
    write(site, "language: fr\ncsat_target: 2\n", "policy-sh.yaml")
    policy = site / "policy-sh.yaml"
    assert problems_of(write(site, GOOD)) == [
        f"{site / 'centers.yaml'}: centers[0] (id 'sh'): policy: {policy}: invalid policy: csat_target: "
        "Input should be less than or equal to 1 (got 2)",
        f"{site / 'centers.yaml'}: centers[0] (id 'sh'): policy: {policy}: invalid policy: language: "
        "Input should be 'en' or 'zh-CN' (got 'fr')"]


def test_a_policy_naming_an_unknown_expectation_is_refused_when_the_caller_knows_the_suites(site):
    from schemas.expectations import EXPECTATION_KEYS

    write(site, "expectation_severity: {attendance.no_such_check: warn}\n", "policy-sh.yaml")
    path = write(site, GOOD)
    assert load_group(path).center("sh").policy == site / "policy-sh.yaml"  # core alone does not know the suites
    with pytest.raises(CentersFileError) as caught:
        load_group(path, EXPECTATION_KEYS)
    assert caught.value.problems == [
        f"{path}: centers[0] (id 'sh'): policy: {site / 'policy-sh.yaml'}: invalid policy: expectation_severity: "
        f"Value error, unknown expectation(s) attendance.no_such_check; known: {', '.join(sorted(EXPECTATION_KEYS))} "
        "(got {'attendance.no_such_check': 'warn'})"]


def test_an_out_folder_that_is_a_file(site):
    (site / "out-cd").write_text("", encoding="utf-8")
    assert only_problem(write(site, GOOD)) == f"centers[1] (id 'cd'): out: not a folder: {site / 'out-cd'}"


def test_two_centers_with_one_out_folder(site):
    path = write(site, GOOD.replace("out: out-cd", "out: out-sh"))
    assert only_problem(path) == (f"centers[1] (id 'cd'): out: {site / 'out-sh'} is the out folder of centers[0] "
                                  "(id 'sh'); each center needs its own out folder")


def test_a_center_out_folder_inside_another(site):
    path = write(site, GOOD.replace("out: out-cd", "out: out-sh/cd"))
    assert only_problem(path) == (f"centers[1] (id 'cd'): out: {site / 'out-sh' / 'cd'} is inside the out folder of "
                                  "centers[0] (id 'sh'); each center needs its own out folder")


def test_a_center_out_folder_that_is_or_holds_the_group_out(site):
    path = write(site, GOOD.replace("out: out-sh", "out: group-out").replace("out: out-cd", "out: ."))
    assert problems_of(path) == [
        f"{path}: centers[1] (id 'cd'): out: {site} contains the out folder of centers[0] (id 'sh'); "
        "each center needs its own out folder",
        f"{path}: centers[0] (id 'sh'): out: {site / 'group-out'} is the group's out folder",
        f"{path}: centers[1] (id 'cd'): out: {site} contains the group's out folder"]


def test_an_out_folder_that_is_a_data_folder(site):
    path = write(site, GOOD.replace("out: out-sh", "out: data-cd"))
    assert only_problem(path) == \
        f"centers[0] (id 'sh'): out: {site / 'data-cd'} is the data folder of centers[1] (id 'cd')"


def test_the_group_out_folder_that_is_a_data_folder(site):
    path = write(site, GOOD.replace("out: group-out", "out: data-sh"))
    assert only_problem(path) == f"group: out: {site / 'data-sh'} is the data folder of centers[0] (id 'sh')"


def test_two_centers_reading_one_data_folder(site):
    path = write(site, GOOD.replace("data: data-cd", "data: ./data-sh"))
    assert only_problem(path) == (f"centers[1] (id 'cd'): data: {site / 'data-sh'} is also the data folder of "
                                  "centers[0] (id 'sh'); each center reads its own data")


# --- every problem at once ----------------------------------------------------------------------------------------

def test_every_problem_of_the_file_is_listed_in_one_error(site):
    path = write(site, """\
group: {name: G, out: group-out, language: de, extra: 1}
centers:
  - {id: sh, name: Shanghai, data: data-sh, out: out-sh, policy: nowhere.yaml}
  - {id: ../cd, name: Chengdu, data: data-zz, out: out-sh}
  - {id: SH, data: data-cd, out: out-gz}
""")
    with pytest.raises(CentersFileError) as caught:
        load_group(path)
    expected = [
        "group: unknown key 'extra' (known: name, out, report_recipients, language)",
        "group: language: unknown language 'de' (known: en, zh-CN)",
        f"centers[0] (id 'sh'): policy: file not found: {site / 'nowhere.yaml'}",
        "centers[1] (id '../cd'): id: must be 1 to 64 characters of A-Z a-z 0-9 _ . - starting with a letter or "
        "digit (it names the center's folders, run tags and partitions)",
        f"centers[1] (id '../cd'): data: folder not found: {site / 'data-zz'}",
        "centers[2] (id 'SH'): id: differs from centers[0]'s 'sh' by case only; center ids must be unique "
        "(they name folders)",
        "centers[2] (id 'SH'): name: missing (required)",
        f"centers[1] (id '../cd'): out: {site / 'out-sh'} is the out folder of centers[0] (id 'sh'); "
        "each center needs its own out folder",
    ]
    assert caught.value.problems == [f"{path}: {line}" for line in expected]
    assert str(caught.value).splitlines()[0] == f"{path}: invalid centers file (8 problems)"
