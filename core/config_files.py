"""Reading the YAML configuration files (policy, column mapping) with errors that name the file."""

from __future__ import annotations

from pathlib import Path

import yaml


# A configuration file is a few kilobytes with an alias or two (`<<: *defaults`); anything far beyond is not one, and
# aliases nested in aliases (a "billion laughs") would have the checks walk 10⁸ values from a 1 KB file.
MAX_CONFIG_BYTES = 1_000_000
MAX_ALIASES = 20  # the most values 20 aliases can expand to is a few thousand


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys silently; a key written twice is refused instead. At most MAX_ALIASES
    aliases."""

    def __init__(self, stream):
        super().__init__(stream)
        self.aliases = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise yaml.composer.ComposerError(None, None, f"more than {MAX_ALIASES} aliases (*name)",
                                                  self.peek_event().start_mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *defaults` may be overridden on purpose
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.setdefault(key, key_node)
            except TypeError:  # an unhashable key: the base class says so
                break
            if first is not key_node:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping", node.start_mark,
                    f"found the key {key!r} twice (first on line {first.start_mark.line + 1})", key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


def parse_yaml(text: str):
    """YAML text as the configuration files are read: a key twice refused, at most MAX_ALIASES aliases."""
    return yaml.load(text, Loader=_UniqueKeyLoader)


def read_yaml_mapping(path: Path, what: str, error: type[Exception]) -> dict:
    """The file's top-level mapping (empty for an empty file); `error` for anything else."""
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise error(f"{path}: {path.stat().st_size:,} bytes; a {what} file is at most {MAX_CONFIG_BYTES:,}")
        raw = parse_yaml(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise error(f"{what} file not found: {path}") from exc
    except RecursionError as exc:  # [[[[…]]]] fifty thousand deep
        raise error(f"{path}: not a {what} file: nested too deeply") from exc
    except (IsADirectoryError, UnicodeDecodeError) as exc:
        raise error(f"{path}: not a UTF-8 text file of {what} keys ({exc.__class__.__name__})") from exc
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise error(f"{path}: expected a mapping of {what} keys, got {type(raw).__name__}")
    return raw
