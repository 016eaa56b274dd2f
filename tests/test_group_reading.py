"""The roll-up never reads a center's month while that center's run writes it (assets/group.py centers_held)."""

from pathlib import Path

from filelock import FileLock

from assets.group import centers_held
from assets.storage import RUN_LOCK
from core.centers import Center, Group
from core.months import Month

MONTH = Month(2026, 10)


def _group(root: Path) -> Group:
    centers = tuple(Center(id=i, name=i.upper(), data=root / f"data-{i}", out=root / f"out-{i}", policy=None)
                    for i in ("sh", "cd", "gz"))
    return Group(name="G", out=root / "group-out", report_recipients=(), language="en", centers=centers,
                 file=root / "centers.yaml")


def test_a_center_whose_run_holds_its_month_is_busy_and_the_others_are_held_for_the_reading(tmp_path):
    group = _group(tmp_path)
    for center in group.centers[:2]:
        (center.out / str(MONTH)).mkdir(parents=True)
    running = FileLock(str(group.center("cd").out / str(MONTH) / RUN_LOCK))  # cd's run is writing its month
    running.acquire()
    try:
        with centers_held(group, MONTH) as busy:
            assert busy == {"cd"}  # gz has no month folder: nothing to hold, and not busy
            sh_lock = FileLock(str(group.center("sh").out / str(MONTH) / RUN_LOCK))
            assert _taken(sh_lock)  # a run of sh starting now would wait for the reading
        assert not _taken(FileLock(str(group.center("sh").out / str(MONTH) / RUN_LOCK)))  # released after
    finally:
        running.release()


def _taken(lock: FileLock) -> bool:
    from filelock import Timeout

    try:
        lock.acquire(timeout=0)
    except Timeout:
        return True
    lock.release()
    return False
