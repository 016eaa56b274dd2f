"""The local render cluster holds personnel data (each report's inputs): it listens on loopback only, with no
dashboard, and its workers end with the run (tests/security/test_killed_run.py)."""

from __future__ import annotations

import psutil

from reports.cluster import RenderCluster


def _listening(process: psutil.Process) -> list[tuple[int, str, int]]:
    return [(process.pid, connection.laddr.ip, connection.laddr.port)
            for connection in process.net_connections(kind="inet") if connection.status == psutil.CONN_LISTEN]


def test_the_local_render_cluster_listens_on_loopback_only():
    cluster = RenderCluster(1, ())
    try:
        me = psutil.Process()
        sockets = _listening(me) + [found for child in me.children(recursive=True) for found in _listening(child)]
        assert len({pid for pid, _, _ in sockets}) >= 2  # the scheduler here and the worker process both listen
        assert sockets and all(ip == "127.0.0.1" for _, ip, _ in sockets), sockets
        assert 8787 not in {port for _, _, port in sockets}  # no dashboard on its well-known port
    finally:
        cluster.close()
