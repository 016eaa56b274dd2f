"""The render cluster (SPEC §14): a Dask client to the scheduler of CCPULSE_DASK_SCHEDULER, or to a local
cluster of processes on this machine. Imported only by a run that renders on it."""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Iterator

from distributed import Client, LocalCluster, WorkerPlugin, as_completed

from core.heap import collect_less_often, settle_after_imports
from reports.render import LaidOut, RenderJob, lay_out_job, process_renderer


class WorkerSetup(WorkerPlugin):
    """What a worker needs before its first report (imports, fonts, stylesheet), loaded once when it joins."""

    name = "ccpulse-render-setup"
    idempotent = True

    def __init__(self, modules: tuple[str, ...], local: bool):
        self.modules, self.local = modules, local

    def setup(self, worker) -> None:
        if self.local:
            os.nice(5)  # a local worker yields the cores to the run's own steps (reading, checks) while they run
        collect_less_often()
        for module in self.modules:  # what the jobs' context builders need (polars, matplotlib)
            importlib.import_module(module)
        process_renderer()
        settle_after_imports()


class RenderCluster:
    """A Dask client, to the scheduler at `address` or to a local cluster of `workers` processes (one thread
    each: WeasyPrint holds the GIL) that lives as long as this object."""

    def __init__(self, workers: int, modules: tuple[str, ...], address: str = ""):
        self.cluster = None
        if address:
            self.client = Client(address, timeout="30s")
        else:
            # Loopback only, no dashboard: the workers hold personnel data and serve nobody else. The scheduler's
            # HTTP endpoints (health, metrics) would otherwise listen on every interface, port 8787.
            self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                        dashboard_address=None, silence_logs=logging.ERROR,
                                        scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"})
            self.client = Client(self.cluster)
        self.client.register_plugin(WorkerSetup(modules, local=not address))

    def lay_out(self, jobs: list[RenderJob]) -> Iterator[tuple[int, LaidOut]]:
        """Each job's PDF as soon as it is done (index, laid out): the run writes it while others render."""
        index = {}
        for position, job in enumerate(jobs):  # one task a report: a worker that finishes early takes the next
            future = self.client.submit(lay_out_job, job, pure=False, key=f"report-{position}-{os.urandom(4).hex()}")
            index[future] = position
        for future in as_completed(list(index)):
            yield index.pop(future), future.result()
            future.release()

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
