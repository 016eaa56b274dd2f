"""Reports laid out on a real Dask cluster (SPEC §14): a `dask scheduler` and two `dask worker` processes on
loopback, started here. The workers lay out every report and return its bytes; the run writes them; the month
has the same content fingerprints as when laid out in the run's own process."""

from __future__ import annotations

import importlib
import json

import pytest

from core.months import Month
from pipelines.cli import run_month
from reports import render
from synthetic.generator import GenerateOptions, generate
from tests.dask_cluster import dask_cluster, executed_by_worker

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dask_cluster")]

MONTH = Month(2026, 10)


def _fingerprints(out) -> dict[str, str]:
    manifest = json.loads((out / str(MONTH) / "manifest.json").read_text(encoding="utf-8"))
    return {entry["report"]: entry["fingerprint"] for entry in manifest["reports"] if entry["report"].endswith(".pdf")}


@pytest.fixture(scope="module")
def cluster():
    with dask_cluster(workers=2) as address:
        yield address


def test_a_month_laid_out_by_the_clusters_workers_reads_as_one_laid_out_here(cluster, tmp_path, dagster_home,
                                                                            monkeypatch):
    data = tmp_path / "data"
    generate(GenerateOptions(agents=30, team_size=6, month=MONTH, out=data, months_back=1, seed=11))
    here_ok, messages, _ = run_month(MONTH, str(data), str(tmp_path / "here"), send=False)
    assert here_ok, messages

    monkeypatch.setenv(render.SCHEDULER_SETTING, cluster)
    before = sum(executed_by_worker(cluster).values())
    ok, messages, _ = run_month(MONTH, str(data), str(tmp_path / "cluster"), send=False)
    assert ok, messages

    reports = _fingerprints(tmp_path / "cluster")
    assert len(reports) == 6  # the center report and five team reports
    assert reports == _fingerprints(tmp_path / "here")
    ran = executed_by_worker(cluster)
    assert sum(ran.values()) - before == len(reports)  # every report, none in the run's own process
    assert all(count > 0 for count in ran.values()), ran  # both workers took reports


def test_a_worker_with_other_templates_or_code_is_refused(cluster, tmp_path, monkeypatch):
    """A worker installed from another release would lay out other pages than this run's fingerprints say."""
    from distributed import Client

    def other_release(dask_worker):
        importlib.import_module("reports.render").render_environment = lambda: "0" * 64

    monkeypatch.setenv(render.SCHEDULER_SETTING, cluster)
    with Client(cluster) as client:
        client.run(other_release)
    try:
        job = render.RenderJob("base.html", dict, ({"lang": "en", "title": "T", "month": MONTH, "generated_at": "",
                                                    "footer_meta": "", "brief": (), "small_sample_note": ""},),
                               render.Earlier(), "UTC")
        written = []
        with pytest.raises(render.RenderEnvironmentDiffers, match="install the same ccpulse release"):
            render.render_many([job], lambda position, pdf: written.append(pdf))
        assert written == []  # nothing from that worker is written
    finally:
        with Client(cluster) as client:
            client.run(lambda dask_worker: setattr(importlib.import_module("reports.render"), "render_environment",
                                                   importlib.import_module("reports.fingerprint").render_environment))
