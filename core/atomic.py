"""Every output file is written whole or not at all (SPEC §9).

The bytes go to a temporary file in the target's own folder (same file system, so the rename is
atomic), are flushed to disk, and only then replace the target: a run killed half-way leaves the
previous file or none, never half of one, and a reader never sees a file being written.

Nothing is written through a symbolic link (SPEC §2): a link planted where ccpulse writes (`teams/`,
`outbox/`, an output file) would send personnel data wherever it points. A run looks for links in
its month folder before it writes anything (`refuse_links_under`), and every write checks its own
folder and file again, for a link planted while the run lasts.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


class LinkRefused(RuntimeError):
    """A symbolic link where ccpulse writes: the run stops before writing through it."""


def _link_message(links: list[str]) -> str:
    shown = ", ".join(links[:5]) + (f" and {len(links) - 5} more" if len(links) > 5 else "")
    return (f"refusing to write through symbolic links: {shown}. ccpulse writes only into real folders and files "
            "of the out folder; remove the link(s) (or point --out at a folder without them) and run again")


def refuse_links_under(folder: Path) -> None:
    """Stop (LinkRefused) when `folder`, or anything inside it, is a symbolic link. Links are never followed."""
    folder = Path(folder)
    if folder.is_symlink():
        raise LinkRefused(_link_message([str(folder)]))
    links = []
    for root, folders, files in os.walk(folder, followlinks=False):
        links += [os.path.join(root, name) for name in (*folders, *files) if os.path.islink(os.path.join(root, name))]
    if links:
        raise LinkRefused(_link_message(sorted(links)))


def write_bytes_atomically(path: Path, data: bytes, permissions: int = 0o644) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    planted = [str(p) for p in (path.parent, path) if p.is_symlink()]
    if planted:
        raise LinkRefused(_link_message(planted))
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
    if target.is_symlink():
        raise LinkRefused(_link_message([str(target)]))
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(built, target)
    shutil.rmtree(old, ignore_errors=True)
