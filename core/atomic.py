"""Every output file is written whole or not at all (SPEC §9).

The bytes go to a temporary file in the target's own folder (same file system, so the rename is
atomic), are flushed to disk, and only then replace the target: a run killed half-way leaves the
previous file or none, never half of one, and a reader never sees a file being written.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def write_bytes_atomically(path: Path, data: bytes, permissions: int = 0o644) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:60]}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, permissions)  # mkstemp makes it 0600; outputs are read by whoever reads the folder
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def write_text_atomically(path: Path, text: str, encoding: str = "utf-8") -> Path:
    return write_bytes_atomically(path, text.encode(encoding))


def replace_folder(built: Path, target: Path) -> None:
    """Put a folder that was built aside (`built`, beside `target`) in the place of `target`.

    A folder cannot be swapped in one step; the old one is first renamed away, so a reader sees the
    old folder, briefly none, or the new one, never a folder half written.
    """
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(built, target)
    shutil.rmtree(old, ignore_errors=True)
