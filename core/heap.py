"""The garbage collector of a batch process, set for one that allocates millions of short-lived objects.

WeasyPrint builds a box for every element and Dagster an object for every event: with Python's defaults the
collector took 12% of a team report's rendering and 10% of a demo run, walking the same long-lived objects
(the imported modules) again and again. Cycles are still collected, only less often.
"""

from __future__ import annotations

import ctypes
import gc
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_COLLECTION_EVERY = 50_000  # allocations; Python's default is 700


def collect_less_often() -> None:
    """Young collections every 50,000 allocations instead of 700. For a process that is ours (the command
    line's, a render worker): it stays so until the process ends."""
    gc.set_threshold(YOUNG_COLLECTION_EVERY, 20, 20)


def settle_after_imports() -> None:
    """For a process that is ours, once it has imported what it needs: those objects live to the end, so they
    are moved out of the collector's sight (gc.freeze)."""
    gc.freeze()
    collect_less_often()


@contextmanager
def settled_heap() -> Iterator[None]:
    """settle_after_imports for the length of one run, in a process that may do other things after it (tests,
    an embedding program): the collector's settings and the frozen objects are given back at the end."""
    thresholds = gc.get_threshold()
    settle_after_imports()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def release_freed_memory() -> None:
    """Hand the memory freed by a large step back to the system (glibc keeps it otherwise): the process then
    waits for its render workers at its working size, not at its largest. A no-op where malloc_trim is missing."""
    gc.collect()
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (AttributeError, OSError):  # not glibc
        pass
