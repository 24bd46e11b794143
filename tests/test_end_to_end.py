"""The whole pipeline, through the command line, on a landing folder made independently.

`tests/independent` writes a landing folder straight from the contracts and says, by
construction, what every delivery and every figure must be. Two stages: a first month
published, then the next month with a corrected re-delivery of an earlier one. Alerts go
to a real SMTP server and a real webhook receiver on 127.0.0.1.
"""

from __future__ import annotations

import csv
import email
import email.policy
import hashlib
import json
import threading
from pathlib import Path

import duckdb
import pytest
from aiosmtpd.controller import Controller

from tests.analyst_views import analyst_views_against_build
from tests.cli_process import cli_env, run_cli
from tests.independent import build_landing, expected_measures, measures_csv_text, published_cells, revisions
from tests.receivers import Receiver, SmtpCapture, free_port

pytestmark = pytest.mark.slow
TODAY = "2026-12-15"  # after 2026-11's deadline: months missing by then are late


def tree_digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def warehouse_rows(home: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def warehouse_records(home: Path, sql: str) -> list[dict]:
    """Rows as {column: value}: the test names the columns it reads, whatever their order."""
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]
    finally:
        con.close()


class Stage:
    def __init__(self, expected, result, messages, posts):
        self.expected, self.result, self.messages, self.posts = expected, result, messages, posts


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    """Stage 1, a repeat with nothing new, then stage 2, on one home; what each run did."""
    root = tmp_path_factory.mktemp("e2e")
    landing, home = root / "landing", root / "home"
    dbt_target = Path(__file__).resolve().parent.parent / "dbt_project" / "target"
    folders_before = {p.name for p in dbt_target.iterdir() if p.is_dir()} if dbt_target.is_dir() else set()
    capture = SmtpCapture()
    smtp = Controller(capture, hostname="127.0.0.1", port=free_port())
    smtp.start()
    webhook = Receiver()
    threading.Thread(target=webhook.serve_forever, daemon=True).start()
    env = cli_env(
        CHECKPOINT_PSEUDONYM_KEY="e2e-secret-key-" + "0" * 48, CHECKPOINT_TODAY=TODAY,
        CHECKPOINT_SMTP_URL=f"smtp://127.0.0.1:{smtp.port}",
        CHECKPOINT_ALERT_FROM="warehouse@checkpoint.example",
        CHECKPOINT_ALERT_TO="data-admins@checkpoint.example",
        CHECKPOINT_ALERT_WEBHOOK_URL=webhook.url,
    )
    stages = {}
    try:
        def stage(name, expected, *extra):
            sent, posted = len(capture.messages), len(webhook.posts)
            before = tree_digest(home) if home.exists() else {}
            result = run_cli("run", "--landing", str(landing), "--home", str(home), *extra, env=env)
            stages[name] = Stage(expected, result, capture.messages[sent:], webhook.posts[posted:])
            stages[name].before = before
            stages[name].after = tree_digest(home)
            # What the analyst file held after this run (later runs change it).
            stages[name].deliveries = warehouse_records(home, "SELECT * FROM dq.deliveries ORDER BY seen_order")
            stages[name].mart = mart(home)

        stage("first", build_landing(landing, stage=1))
        stage("repeat", stages["first"].expected)
        stage("second", build_landing(landing, stage=2))
    finally:
        smtp.stop()
        webhook.shutdown()
        webhook.server_close()
    stages["home"] = home
    stages["new_dbt_target_folders"] = {p.name for p in dbt_target.iterdir() if p.is_dir()} - folders_before
    return stages


def mart(home: Path) -> dict[tuple, float | None]:
    return {tuple(r[:4]): r[4] for r in warehouse_rows(
        home, "SELECT period, measure, breakdown, category, value FROM marts.monthly_measures")}


def assert_deliveries_match(stage: Stage):
    counts = ("status", "rows_read", "rows_loaded", "rows_quarantined", "rows_duplicate")
    rows = {r["file_name"]: tuple(r[c] for c in counts) for r in stage.deliveries}
    assert set(rows) == set(stage.expected.files)
    for name, f in stage.expected.files.items():
        assert rows[name] == (f.status, f.rows_read, f.rows_loaded, f.rows_quarantined, f.rows_duplicate), name
        if f.status in ("accepted", "superseded"):
            read, loaded, quarantined, duplicate = rows[name][1:]
            assert read == loaded + quarantined + duplicate


def assert_cells_match(stage: Stage, expected_cells: dict):
    actual = stage.mart
    assert set(actual) == set(expected_cells)
    for key, cell in expected_cells.items():
        if cell.value is None:
            assert actual[key] is None, key
        else:
            assert actual[key] == pytest.approx(float(cell.value), abs=1e-9), key


def read_csv_rows(path: Path) -> list[tuple]:
    with open(path, newline="", encoding="utf-8") as handle:
        return [tuple(r) for r in csv.reader(handle)][1:]


def test_first_stage_deliveries_figures_and_publication(pipeline):
    first, home = pipeline["first"], pipeline["home"]
    assert first.result.returncode == 2, first.result.stderr[-2000:]
    assert "rejected" in first.result.stderr
    # dbt's target and logs are the home's, not a new folder per run under dbt_project/target/.
    assert (home / "state" / "dbt" / "run_results.json").exists()
    assert pipeline["new_dbt_target_folders"] == set()
    assert_deliveries_match(first)
    exp = first.expected
    cells = expected_measures(exp.loaded, exp.accepted_deliveries(), exp.latest_period, detail=True)
    assert_cells_match(first, cells)
    bundle = home / "publications" / exp.latest_period
    measures_file = bundle / f"checkpoint_measures_{exp.latest_period}.csv"
    assert measures_file.read_text(encoding="utf-8") == measures_csv_text(
        published_cells(cells, latest_period=exp.latest_period))
    assert (bundle / f"revisions_{exp.latest_period}.csv").read_text(encoding="utf-8").count("\n") == 1
    manifest = json.loads((bundle / "manifest.json").read_text())
    accepted = [(d["source"], d["month"], d["file_name"]) for d in first.deliveries if d["status"] == "accepted"]
    assert sorted((d["source"], d["month"], d["file_name"]) for d in manifest["deliveries"]) == sorted(accepted)


def test_first_stage_alerts_once_each_in_one_digest(pipeline):
    first = pipeline["first"]
    assert len(first.messages) == 1 and len(first.posts) == 1
    payload = json.loads(first.posts[0]["body"])
    keys = {i["key"] for i in payload["incidents"]}
    assert len(keys) == len(payload["incidents"])
    rejected = {n for n, f in first.expected.files.items() if f.status == "rejected"}
    assert {k.split(":", 2)[2] for k in keys if k.startswith("rejected:")} == rejected
    quarantined = {n for n, f in first.expected.files.items() if f.status == "accepted" and f.rows_quarantined}
    assert {k.split(":", 2)[2] for k in keys if k.startswith("quarantine:")} == quarantined
    assert "freshness:rms:2026-01" in keys and "freshness:custody:2026-08" in keys
    message = email.message_from_bytes(first.messages[0][2], policy=email.policy.default)
    text = message.get_body(("plain",)).get_content()
    assert "custody/custody_202608.csv" in text


def test_a_repeat_run_with_nothing_new_changes_nothing(pipeline):
    repeat = pipeline["repeat"]
    assert repeat.result.returncode == 0, repeat.result.stderr[-2000:]
    assert repeat.messages == [] and repeat.posts == []
    assert repeat.deliveries == pipeline["first"].deliveries
    changed = {name for name in set(repeat.before) | set(repeat.after)
               if repeat.before.get(name) != repeat.after.get(name)}
    assert not {n for n in changed if n.startswith(("publications/", "alerts.jsonl", "restricted/"))}


def test_each_run_keeps_the_digests_of_the_landing_files_for_the_next(pipeline):
    """The next run takes up these digests and does not read a delivery again while it stands
    (pipelines/ingest/discovery.py): each is the digest dq.deliveries holds for the file. (A
    file that is not a delivery is known by its name alone, and not read again at all.)"""
    home, landing = pipeline["home"], pipeline["home"].parent / "landing"
    record = json.loads((home / "state" / "landing_digests.json").read_text(encoding="utf-8"))
    kept = {Path(f["path"]).relative_to(landing).as_posix(): f["sha256"] for f in record["files"]}
    delivered = {r["file_name"]: r["sha256"] for r in pipeline["second"].deliveries if r["status"] != "ignored"}
    standing = {name: sha for name, sha in delivered.items()
                if (landing / name).is_file() and hashlib.sha256((landing / name).read_bytes()).hexdigest() == sha}
    assert standing and {name: kept.get(name) for name in standing} == standing


def test_second_stage_redelivery_revisions_and_untouched_first_bundle(pipeline):
    first, second, home = pipeline["first"], pipeline["second"], pipeline["home"]
    assert second.result.returncode == 2, second.result.stderr[-2000:]
    assert_deliveries_match(second)
    exp = second.expected
    cells = expected_measures(exp.loaded, exp.accepted_deliveries(), exp.latest_period, detail=True)
    assert_cells_match(second, cells)
    old = home / "publications" / first.expected.latest_period
    assert {n: d for n, d in second.after.items() if n.startswith(f"publications/{old.name}/")} == \
           {n: d for n, d in first.after.items() if n.startswith(f"publications/{old.name}/")}
    previous_rows = read_csv_rows(old / f"checkpoint_measures_{old.name}.csv")
    rows = published_cells(cells, previous=previous_rows, latest_period=exp.latest_period)
    bundle = home / "publications" / exp.latest_period
    assert (bundle / f"checkpoint_measures_{exp.latest_period}.csv").read_text(encoding="utf-8") == measures_csv_text(rows)
    assert read_csv_rows(bundle / f"revisions_{exp.latest_period}.csv") == revisions(rows, previous_rows)
    # Only the new incidents are alerted: the v3 rejection, nothing from stage 1 again.
    keys = {i["key"] for i in json.loads(second.posts[0]["body"])["incidents"]}
    assert any(k.startswith("rejected:") and k.endswith("custody/custody_202609_v3.csv") for k in keys)
    assert not keys & {i["key"] for i in json.loads(first.posts[0]["body"])["incidents"]}


def test_analyst_warehouse_holds_no_direct_identifier(pipeline):
    home, exp = pipeline["home"], pipeline["second"].expected
    identifiers = set()
    for arrest in exp.loaded["arrests"]:
        identifiers |= {arrest["person_id"], arrest["surname"], arrest["forenames"], arrest["date_of_birth"].isoformat()}
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        columns = {c for (c,) in con.execute("SELECT column_name FROM information_schema.columns").fetchall()}
        assert not columns & {"person_id", "surname", "forenames", "date_of_birth"}
        found = set()
        for schema, table in con.execute(
                "SELECT table_schema, table_name FROM information_schema.tables").fetchall():
            for row in con.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall():
                found |= {str(v) for v in row if v is not None} & identifiers
        assert not found
    finally:
        con.close()


def test_intermediate_models_reach_analysts_as_views_giving_the_build_tables_rows(pipeline):
    """The build holds the intermediate models as tables (derived once per build); the analyst
    file holds them as views of the same SQL (the data once), and each gives the same rows.
    The build's working sets (which keys it rebuilt) are not published."""
    kinds, built, differences = analyst_views_against_build(pipeline["home"])
    assert kinds and set(kinds.values()) == {"VIEW"}, kinds
    assert built == set(kinds)
    assert set(differences.values()) == {0}, differences
