"""Reading the YAML configuration files (policy, column mapping) with errors that name the file."""

from __future__ import annotations

from pathlib import Path

import yaml


def read_yaml_mapping(path: Path, what: str, error: type[Exception]) -> dict:
    """The file's top-level mapping (empty for an empty file); `error` for anything else."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise error(f"{what} file not found: {path}") from exc
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise error(f"{path}: expected a mapping of {what} keys, got {type(raw).__name__}")
    return raw
