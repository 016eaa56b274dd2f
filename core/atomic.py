"""Every output file is written whole or not at all (SPEC §9).

The bytes go to a temporary file in the target's own folder (same file system, so the rename is
atomic), are flushed to disk, and only then replace the target: a run killed half-way leaves the
previous file or none, never half of one, and a reader never sees a file being written.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


@contextmanager
def atomic_writer(path: Path, mode: str = "wb", encoding: str | None = None, permissions: int = 0o644) -> Iterator[IO]:
    """A handle on a temporary file that becomes `path` when the block ends without error."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:60]}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, mode, encoding=encoding, newline="" if "b" not in mode else None) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, permissions)  # mkstemp makes it 0600; outputs are read by whoever reads the folder
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_bytes_atomically(path: Path, data: bytes, permissions: int = 0o644) -> Path:
    with atomic_writer(path, permissions=permissions) as handle:
        handle.write(data)
    return Path(path)


def write_text_atomically(path: Path, text: str, encoding: str = "utf-8") -> Path:
    return write_bytes_atomically(path, text.encode(encoding))
