"""`dagster dev -w workspace.yaml` serves every asset, check, job, sensor and schedule."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from pipelines.paths import REPO_ROOT
from tests.receivers import free_port

pytestmark = pytest.mark.slow

QUERY = """{ repositoriesOrError { ... on RepositoryConnection { nodes {
  jobs { name } sensors { name } schedules { name }
  assetNodes { assetKey { path } assetChecksOrError { ... on AssetChecks { checks { name } } } }
} } } }"""


def _restore_default_signals():
    # A shell may start us with SIGINT/SIGTERM ignored; the server must honour them.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def graphql(port: int) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": QUERY}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_dagster_dev_shows_the_whole_code_location(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHECKPOINT_", "DAGSTER_"))}
    env.update({"CHECKPOINT_HOME": str(tmp_path / "home"), "CHECKPOINT_LANDING": str(tmp_path / "landing"),
                "CHECKPOINT_PSEUDONYM_KEY": "0123456789abcdef" * 4, "DAGSTER_HOME": str(tmp_path / "dagster")})
    (tmp_path / "dagster").mkdir()
    (tmp_path / "dagster" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster"), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True, preexec_fn=_restore_default_signals)
    try:
        deadline, answer = time.monotonic() + 180, None
        while time.monotonic() < deadline:
            try:
                answer = graphql(port)
                if answer.get("data", {}).get("repositoriesOrError", {}).get("nodes"):
                    break
            except OSError:
                pass
            assert server.poll() is None, "dagster dev exited"
            time.sleep(2)
        repository = answer["data"]["repositoriesOrError"]["nodes"][0]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    assets = {"/".join(a["assetKey"]["path"]) for a in repository["assetNodes"]}
    assert {"raw/rms_arrests", "raw/custody_records", "raw/programme_contracts", "raw/programme_sessions",
            "dq/deliveries", "staging/stg_rms__arrest_versions", "marts/monthly_measures",
            "marts/monthly_measure_cells", "dq/consistency_checks", "dq/alerts", "analyst_warehouse",
            "publication"} <= assets
    checks = {c["name"] for a in repository["assetNodes"] for c in a["assetChecksOrError"].get("checks", [])}
    assert {"rows_reconcile", "gx_validation"} <= checks and len(checks) > 50  # dbt tests are checks too
    assert {s["name"] for s in repository["sensors"]} == {"delivery_sensor", "freshness_sensor", "run_failure_alert"}
    assert [s["name"] for s in repository["schedules"]] == ["monthly_publication"]
    assert {"checkpoint_run", "checkpoint_publish"} <= {j["name"] for j in repository["jobs"]}
