"""The group of centers (SPEC §15): `centers.yaml`, checked whole before anything runs.

    group: {name: Example Group, out: group-out, report_recipients: [group.director@example.com], language: en}
    centers:
      - {id: sh, name: Shanghai, data: data-sh, out: out-sh, policy: policy-sh.yaml}   # policy optional
      - {id: cd, name: Chengdu,  data: data-cd, out: out-cd}

Paths are relative to the file's folder. A center id names folders, Dagster tags and partitions, so
it must match the SPEC §2 safe-id rule as it is (no slug): `../x` or `a/b` is refused, not renamed.
Every problem of the file is listed in one error, each line naming the file and the center or key,
so one edit fixes them all. Loading reads the file system and never writes to it.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import get_args

import yaml

from core.config_files import read_yaml_mapping
from core.errors import ConfigError, PolicyError, shown
from core.names import SAFE_ID
from core.policy import Policy, load_policy

LANGUAGES: tuple[str, ...] = get_args(Policy.model_fields["language"].annotation)  # the reports' languages
DEFAULT_LANGUAGE = "en"
TOP_KEYS = ("group", "centers")
GROUP_KEYS = ("name", "out", "report_recipients", "language")
CENTER_KEYS = ("id", "name", "data", "out", "policy")


@dataclass(frozen=True)
class Center:
    id: str  # matches core.names.SAFE_ID: it names the center's folders, tags and partitions
    name: str
    data: Path  # absolute
    out: Path  # absolute
    policy: Path | None  # absolute, or None: the SPEC §3 defaults


@dataclass(frozen=True)
class Group:
    name: str
    out: Path
    report_recipients: tuple[str, ...]
    language: str
    centers: tuple[Center, ...]
    file: Path  # the centers.yaml, absolute

    @property
    def ids(self) -> list[str]:
        return [center.id for center in self.centers]

    def center(self, center_id: str) -> Center:
        for center in self.centers:
            if center.id == center_id:
                return center
        raise ConfigError(f"{self.file}: no center {shown(center_id)}; known: {', '.join(self.ids)}")


class CentersFileError(ConfigError):
    """centers.yaml does not validate; `problems` holds one line per problem, each naming the file."""

    def __init__(self, file: Path, problems: list[str]):
        self.file = file
        self.problems = problems
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(f"{file}: invalid centers file ({count})\n" + "\n".join(f"  {line}" for line in problems))


def load_group(path: str | Path, expectation_keys: frozenset[str] | None = None) -> Group:
    """The group the file describes, or a CentersFileError listing every problem.

    Each center's policy file is loaded too (its problems are listed with the others);
    `expectation_keys`: the names its `expectation_severity` may use, when the caller knows the suites.
    """
    file = Path(os.path.abspath(path))
    try:
        raw = read_yaml_mapping(file, "centers", ConfigError)
    except ConfigError as exc:
        cause = exc.__cause__
        if isinstance(cause, FileNotFoundError):
            problem = "file not found"
        elif isinstance(cause, yaml.MarkedYAMLError) and cause.problem_mark is not None:
            mark = cause.problem_mark
            problem = f"not valid YAML: line {mark.line + 1}, column {mark.column + 1}: {cause.problem}"
        else:  # `<file>: <what is wrong>`, the YAML parser's several lines made one
            problem = " ".join(str(exc).removeprefix(f"{file}: ").split())
        raise CentersFileError(file, [f"{file}: {problem}"]) from exc
    except OSError as exc:  # unreadable (permissions, a special file): read_yaml_mapping lets these through
        raise CentersFileError(file, [f"{file}: cannot be read ({exc.strerror or exc.__class__.__name__})"]) from exc
    return _Checker(file, expectation_keys).group(raw)


def _type_name(value) -> str:
    return "nothing" if value is None else type(value).__name__


def _nested(first: Path, second: Path) -> bool:
    """Equal, or one inside the other."""
    return first == second or first.is_relative_to(second) or second.is_relative_to(first)


@dataclass(frozen=True)
class _Place:
    where: str  # how problems name the center
    data: Path | None
    out: Path | None


class _Checker:
    """Collects the file's problems while it builds the group; `group` raises them all at once."""

    def __init__(self, file: Path, expectation_keys: frozenset[str] | None):
        self.file = file
        self.folder = file.parent
        self.expectation_keys = expectation_keys
        self.problems: list[str] = []
        self.places: list[_Place] = []  # every center's folders, for comparing them once all are read

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{self.file}: {where}: {message}")

    def unknown_keys(self, where: str, raw: dict, known: tuple[str, ...]) -> None:
        for key in raw:
            if key not in known:
                self.problem(where, f"unknown key {shown(key)} (known: {', '.join(known)})")

    def text(self, where: str, raw: dict, key: str, required: bool) -> str | None:
        """The key's non-empty text; None (and a problem when required or of the wrong type) otherwise."""
        if key not in raw:
            if required:
                self.problem(where, f"{key}: missing (required)")
            return None
        value = raw[key]
        if not isinstance(value, str):
            hint = " (quote it in the YAML)" if isinstance(value, (int, float, bool)) else ""
            self.problem(where, f"{key}: expected text, got {_type_name(value)} {shown(value)}{hint}")
            return None
        if not value.strip():
            self.problem(where, f"{key}: empty")
            return None
        if "\x00" in value:
            self.problem(where, f"{key}: contains a NUL character")
            return None
        return value

    def path(self, where: str, raw: dict, key: str, required: bool) -> Path | None:
        value = self.text(where, raw, key, required)
        return None if value is None else Path(os.path.abspath(self.folder / value))

    def group(self, raw: dict) -> Group:
        self.unknown_keys("top level", raw, TOP_KEYS)
        group_raw = raw.get("group")
        name = out = None
        recipients, language = (), DEFAULT_LANGUAGE
        if group_raw is None:
            self.problem("group", "missing (required: a mapping of name, out, report_recipients, language)")
        elif not isinstance(group_raw, dict):
            self.problem("group", f"expected a mapping of {', '.join(GROUP_KEYS)}, got {_type_name(group_raw)}")
        else:
            self.unknown_keys("group", group_raw, GROUP_KEYS)
            name = self.text("group", group_raw, "name", required=True)
            out = self.path("group", group_raw, "out", required=True)
            self.out_folder("group", out)
            recipients = self.recipients(group_raw)
            language = self.language(group_raw)
        centers = self.centers(raw)
        self.folders(out)
        if self.problems:
            raise CentersFileError(self.file, self.problems)
        return Group(name=name, out=out, report_recipients=recipients, language=language, centers=tuple(centers),
                     file=self.file)

    def recipients(self, group_raw: dict) -> tuple[str, ...]:
        value = group_raw.get("report_recipients", [])
        if value is None:
            return ()
        if not isinstance(value, list):
            self.problem("group", f"report_recipients: expected a list of addresses, got {_type_name(value)}")
            return ()
        good = True
        for index, address in enumerate(value):
            # Addresses are checked by the delivery layer; an address is personnel data, so it is never quoted here.
            if not isinstance(address, str) or not address.strip():
                what = "empty text" if isinstance(address, str) else _type_name(address)
                self.problem("group", f"report_recipients[{index}]: expected a non-empty address, got {what}")
                good = False
        return tuple(value) if good else ()

    def language(self, group_raw: dict) -> str:
        value = group_raw.get("language", DEFAULT_LANGUAGE)
        if value not in LANGUAGES:
            self.problem("group", f"language: unknown language {shown(value)} (known: {', '.join(LANGUAGES)})")
            return DEFAULT_LANGUAGE
        return value

    def centers(self, raw: dict) -> list[Center]:
        entries = raw.get("centers")
        if entries is None:
            self.problem("centers", "missing (required: a list of centers, each with id, name, data, out)")
            return []
        if not isinstance(entries, list):
            self.problem("centers", f"expected a list of centers, got {_type_name(entries)}")
            return []
        if not entries:
            self.problem("centers", "empty: list at least one center")
            return []
        centers = []
        first_of: dict[str, int] = {}  # lower-cased id → the index of the center that first has it
        for index, entry in enumerate(entries):
            where = f"centers[{index}]"
            if not isinstance(entry, dict):
                self.problem(where, f"expected a mapping of {', '.join(CENTER_KEYS)}, got {_type_name(entry)}")
                continue
            if isinstance(entry.get("id"), str):
                where += f" (id {shown(entry['id'])})"
            self.unknown_keys(where, entry, CENTER_KEYS)
            center_id = self.text(where, entry, "id", required=True)
            if center_id is not None:
                center_id = self.center_id(where, index, center_id, entries, first_of)
            name = self.text(where, entry, "name", required=True)
            data = self.path(where, entry, "data", required=True)
            out = self.path(where, entry, "out", required=True)
            policy = self.path(where, entry, "policy", required=False)
            self.data_folder(where, data)
            self.out_folder(where, out)
            self.policy_file(where, policy)
            self.places.append(_Place(where, data, out))
            if None not in (center_id, name, data, out):
                centers.append(Center(id=center_id, name=name, data=data, out=out, policy=policy))
        return centers

    def center_id(self, where: str, index: int, center_id: str, entries: list, first_of: dict[str, int]) -> str | None:
        if not SAFE_ID.fullmatch(center_id):
            self.problem(where, "id: must be 1 to 64 characters of A-Z a-z 0-9 _ . - starting with a letter or "
                                "digit (it names the center's folders, run tags and partitions)")
            return None
        # Ids that differ by case only would share a folder on a case-insensitive file system.
        first = first_of.setdefault(center_id.lower(), index)
        if first != index:
            first_id = entries[first]["id"]
            same = f"repeats centers[{first}]" if first_id == center_id else \
                f"differs from centers[{first}]'s {shown(first_id)} by case only"
            self.problem(where, f"id: {same}; center ids must be unique (they name folders)")
            return None
        return center_id

    def data_folder(self, where: str, data: Path | None) -> None:
        kind = _kind(data)
        if kind == MISSING:
            self.problem(where, f"data: folder not found: {data}")
        elif kind in (FILE, OTHER):
            self.problem(where, f"data: not a folder: {data}")
        elif kind not in (FOLDER, None):
            self.problem(where, f"data: {kind}: {data}")

    def out_folder(self, where: str, out: Path | None) -> None:
        kind = _kind(out)  # need not exist yet: the run makes it
        if kind in (FILE, OTHER):
            self.problem(where, f"out: not a folder: {out}")
        elif kind not in (FOLDER, MISSING, None):
            self.problem(where, f"out: {kind}: {out}")

    def policy_file(self, where: str, policy: Path | None) -> None:
        kind = _kind(policy)
        if kind is None:
            return
        if kind == MISSING:
            self.problem(where, f"policy: file not found: {policy}")
        elif kind in (FOLDER, OTHER):  # a folder, a FIFO, a device
            self.problem(where, f"policy: not a regular file: {policy}")
        elif kind != FILE:
            self.problem(where, f"policy: {kind}: {policy}")
        else:
            try:
                load_policy(policy, self.expectation_keys)
            except PolicyError as exc:  # its first line names the policy file, each further line one of its problems
                head, *lines = str(exc).splitlines()
                for line in lines or [""]:
                    self.problem(where, f"policy: {head}" + (f": {line.strip()}" if line.strip() else ""))
            except OSError as exc:
                self.problem(where, f"policy: cannot be read ({exc.strerror or exc.__class__.__name__}): {policy}")

    def folders(self, group_out: Path | None) -> None:
        """No two runs write into each other's folders, no run writes into a data folder, and no two
        centers read one data folder (one center's data never appears in another's outputs).

        Compared after resolving symbolic links (`out-b` may be a link to `out-a`); a folder that does
        not exist yet resolves as written.
        """
        group = _resolved(group_out)
        places = [(place, _resolved(place.data), _resolved(place.out)) for place in self.places]
        for position, (place, data, out) in enumerate(places):
            for other, other_data, other_out in places[position + 1:]:
                if out is not None and other_out is not None and _nested(out, other_out):
                    self.problem(other.where, f"out: {other.out} {_relation(other_out, out)} the out folder of "
                                              f"{place.where}; each center needs its own out folder")
                if data is not None and data == other_data:
                    self.problem(other.where, f"data: {other.data} is also the data folder of {place.where}; each "
                                              "center reads its own data")
            if out is not None and group is not None and _nested(out, group):
                self.problem(place.where, f"out: {place.out} {_relation(out, group)} the group's out folder")
            for data_place, other_data, _ in places:
                if out is not None and out == other_data:
                    whose = "its own data folder" if data_place is place else f"the data folder of {data_place.where}"
                    self.problem(place.where, f"out: {place.out} is {whose}")
            if group is not None and group == data:
                self.problem("group", f"out: {group_out} is the data folder of {place.where}")


MISSING, FOLDER, FILE, OTHER = "missing", "folder", "file", "other"


def _kind(path: Path | None) -> str | None:
    """What is at `path` (following links): MISSING, FOLDER, FILE (regular), OTHER, or why it cannot be told."""
    if path is None:
        return None
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        return MISSING
    except OSError as exc:  # a name too long, a folder we may not enter, a symbolic-link loop
        return f"cannot be checked ({exc.strerror or exc.__class__.__name__})"
    return FOLDER if stat.S_ISDIR(mode) else FILE if stat.S_ISREG(mode) else OTHER


def _resolved(path: Path | None) -> Path | None:
    if path is None:
        return None
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symbolic-link loop: compare it as written
        return path


def _relation(first: Path, second: Path) -> str:
    return "is" if first == second else "is inside" if first.is_relative_to(second) else "contains"
