"""A real Dask cluster on loopback for a test: `dask scheduler` and `dask worker` processes, started by the test
from this environment's executables and stopped with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from tests.smtp_server import free_port

DASK = str(Path(sys.executable).parent / "dask")


@contextmanager
def dask_cluster(workers: int, threads: int = 1):
    """The scheduler's address, once `workers` single-threaded workers have joined it."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "start_new_session": True}
    processes = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                   "--no-dashboard", "--no-show"], **quiet)]
    try:
        processes += [subprocess.Popen([DASK, "worker", address, "--nthreads", str(threads), "--nworkers", "1",
                                        "--host", "127.0.0.1", "--no-dashboard", "--no-nanny",
                                        "--name", f"render-{index}"], **quiet) for index in range(workers)]
        from distributed import Client

        with Client(address, timeout="60s") as client:
            client.wait_for_workers(workers, timeout=120)
        yield address
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def executed_by_worker(address: str) -> dict[str, int]:
    """How many tasks each worker of the cluster ran."""
    from distributed import Client

    with Client(address, timeout="30s") as client:
        counts = client.run(lambda dask_worker: dask_worker.state.executed_count)
        names = {worker: info["name"] for worker, info in client.scheduler_info()["workers"].items()}
    return {str(names[worker]): count for worker, count in counts.items()}
