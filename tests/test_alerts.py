"""Alerts against a real SMTP server (aiosmtpd), a real HTTP receiver and a real DuckDB file.

The build database is populated the way ingest and dbt populate it (the dq tables come from
ingest's own DDL), with a rejected delivery, quarantined rows, schema drift, a header-only
file, contracts missing from a snapshot, an ignored file, a late source, orphans, a failed
cross-source check and contracts awaiting expungement. A name planted where personal data
could sit (a quarantined row's raw text, a quoted value in a reason, an orphan's key) must
never reach an alert.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from tests.drip_receivers import drip_http, drip_smtp  # noqa: F401 (pytest fixtures)
from tests.receivers import free_port
from pipelines.alerts import (
    AlertConfig, Incident, collect_delivery_incidents, collect_state_incidents, dispatch,
    run_failed_incident,
)
from pipelines.alerts.incident import scrub
from pipelines.ingest.load import ingest_landing
from pipelines.ingest.store import ensure_schema, open_restricted
from pipelines.alerts.channels import chat_escape
from pipelines.alerts.dispatch import alert_run
from pipelines.settings import ConfigurationError, Home
from tests.ingest_files import CUSTODY_HEADER, custody_row, rms_row, write_custody, write_rms

PLANTED = "Zebedee Quillfeather"
NOW = datetime(2026, 12, 8, 9, 30)
TODAY = NOW.date()  # Tuesday 8 December 2026: the day after the 5th working day (Mon 7th)


def sha(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


RMS_10, CUSTODY_10, PROG_10 = "rms/arrests_202610.csv", "custody/custody_202610.csv", "programme/checkpoint_programme_202610.xlsx"
RMS_11, CUSTODY_11, PROG_11 = "rms/arrests_202611.csv", "custody/custody_202611.csv", "programme/checkpoint_programme_202611.xlsx"
NOTES = "notes for the warehouse.txt"

EXPECTED_KEYS = {
    f"rejected:{sha(CUSTODY_11)}:{CUSTODY_11}",
    f"quarantine:{sha(RMS_10)}:{RMS_10}",
    f"quarantine:{sha(PROG_11)}:{PROG_11}",
    f"schema_drift:{sha(PROG_10)}:{PROG_10}",
    f"header_only:{sha(RMS_11)}:{RMS_11}",
    f"contract_missing:{sha(PROG_11)}:{PROG_11}",
    f"ignored:{NOTES}",
    "freshness:custody:2026-11",
    "orphans:raw.custody_records:2026-10",
    "consistency:checkpoint_disposals_vs_diversions_started:2026-11",
    "awaiting_expungement:2026-11",
}


# --- the build database ---------------------------------------------------------------

def _delivery(con, seen_order, source, month, version, file_name, status, counts=None, reason=None, digest=None):
    read, loaded, quarantined, duplicate = counts or (None, None, None, None)
    con.execute("INSERT INTO dq.deliveries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [source, month, version, file_name, digest or sha(file_name), status, read, loaded,
                 quarantined, duplicate, reason, seen_order])


def _event(con, source, month, file_name, event, severity, detail, count=None, columns=None):
    con.execute("INSERT INTO dq.delivery_events (sha256, source, month, version, file_name, event, severity, "
                "event_count, column_names, detail) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?)",
                [sha(file_name), source, month, file_name, event, severity, count, columns, detail])


def _quarantined(con, source, month, file_name, table_name, row_number, *failed):
    """A quarantined row and what failed: (kind, column_name, rule_name, message) each. The
    messages carry a planted name, which alerts must never read."""
    reason = "; ".join(message for *_, message in failed)
    con.execute("INSERT INTO dq.quarantined_rows (sha256, source, month, version, file_name, table_name, "
                "row_number, reason, raw_text) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?)",
                [sha(file_name), source, month, file_name, table_name, row_number, reason,
                 f"DUR-A-{row_number:07d},{PLANTED},1990-05-17"])
    for kind, column_name, rule_name, message in failed:
        con.execute("INSERT INTO dq.quarantine_reasons VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [sha(file_name), file_name, table_name, row_number, kind, column_name, rule_name, message])


def populate(con: duckdb.DuckDBPyConnection) -> None:
    ensure_schema(con)
    # A column that must never be read: the raw text (with a person's name) beside a reason.
    con.execute("ALTER TABLE dq.quarantined_rows ADD COLUMN raw_text VARCHAR")

    _delivery(con, 1, "rms", "2026-10", 1, RMS_10, "accepted", (100, 95, 4, 1))
    for n, failed in enumerate([
        [("pattern", "arrest_id", None, "arrest_id: value 'XX-1' does not match ^[A-Z]{2,4}-A-[0-9]{7}$")],
        [("outside_month", "updated_at", None, "updated_at: date is outside the file's month 2026-10")],
        [("key_in_delivery", "arrest_id, record_version", None,
          "key (arrest_id, record_version) is in another row of this delivery with different values"),
         ("code_list", "sex", None, "sex: value 'Q' is not in the code list")],
        [("required", "surname", None, f"surname: value '{PLANTED}' is not allowed")],  # a value where none should be
    ], start=2):
        _quarantined(con, "rms", "2026-10", RMS_10, "arrests", n, *failed)
    _delivery(con, 2, "custody", "2026-10", 1, CUSTODY_10, "accepted", (50, 50, 0, 0))
    _delivery(con, 3, "programme", "2026-10", 1, PROG_10, "accepted", (30, 30, 0, 0))
    _event(con, "programme", "2026-10", PROG_10, "schema_drift", "warning", "unknown column(s) ignored: notes",
           1, ["notes"])

    _delivery(con, 4, "rms", "2026-11", 1, RMS_11, "accepted", (0, 0, 0, 0))
    _event(con, "rms", "2026-11", RMS_11, "header_only", "warning", "the delivery has a header and no rows")
    reason = "header lacks required column(s): gravity_score"
    _delivery(con, 5, "custody", "2026-11", 1, CUSTODY_11, "rejected", reason=reason)
    _event(con, "custody", "2026-11", CUSTODY_11, "rejected", "error", reason)
    _delivery(con, 6, "programme", "2026-11", 1, PROG_11, "accepted", (40, 38, 2, 0))
    _quarantined(con, "programme", "2026-11", PROG_11, "sessions", 7,
                 ("above_maximum", "hours", None, "hours: value '9' is above 8"))
    _quarantined(con, "programme", "2026-11", PROG_11, "contracts", 3,
                 ("rule", None, "status_date set exactly when status is not ACTIVE",
                  "rule broken: status_date set exactly when status is not ACTIVE"))
    _event(con, "programme", "2026-11", PROG_11, "quarantined", "warning", f"2 row(s) quarantined {PLANTED}", 2)
    _event(con, "programme", "2026-11", PROG_11, "contract_missing_from_snapshot", "warning",
           f"{PLANTED}: the count is read from event_count, never from this text", 2, ["contract_ref"])

    # Not alerted: the same bytes again under another name, and an ignored file.
    _delivery(con, 7, "custody", "2026-10", 2, "custody/custody_202610_v2.csv", "duplicate",
              reason="the same bytes as a file already seen: changes nothing", digest=sha(CUSTODY_10))
    _delivery(con, 8, None, None, None, NOTES, "ignored",
              reason="not a delivery name: reported once, never loaded")

    # dbt-built tables (their columns as the dbt models give them).
    con.execute("""CREATE TABLE dq.orphan_references (source_table VARCHAR, row_key VARCHAR,
                   missing_table VARCHAR, missing_key VARCHAR, source_month VARCHAR, file_name VARCHAR)""")
    con.executemany("INSERT INTO dq.orphan_references VALUES (?, ?, ?, ?, ?, ?)", [
        ("raw.custody_records", "DUR/C/26/000101", "raw.rms_arrests", PLANTED, "2026-10", CUSTODY_10),
        ("raw.custody_records", "DUR/C/26/000102", "raw.rms_arrests", "DUR-A-0000102", "2026-10", CUSTODY_10),
        # a month ago only: not overdue until the whole of December has passed
        ("raw.programme_sessions", "CP-000001|2026-11-03|REVIEW", "raw.programme_contracts", "CP-000001",
         "2026-11", PROG_11),
    ])
    con.execute("""CREATE TABLE dq.consistency_checks (check_name VARCHAR, period VARCHAR, left_value BIGINT,
                   right_value BIGINT, difference BIGINT, relative_difference DOUBLE, tolerance DOUBLE,
                   severity VARCHAR, passed BOOLEAN)""")
    con.executemany("INSERT INTO dq.consistency_checks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        ("checkpoint_disposals_vs_diversions_started", "2026-10", 10, 10, 0, 0.0, 0.1, "warn", True),
        ("checkpoint_disposals_vs_diversions_started", "2026-11", 20, 12, 8, 0.4, 0.1, "error", False),
    ])
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE TABLE marts.monthly_measures (period VARCHAR, measure VARCHAR, breakdown VARCHAR, "
                "category VARCHAR, value DOUBLE)")
    con.executemany("INSERT INTO marts.monthly_measures VALUES (?, ?, ?, ?, ?)", [
        ("2026-10", "awaiting_expungement", "total", "all", 2),
        ("2026-11", "awaiting_expungement", "total", "all", 3),
        ("2026-11", "awaiting_expungement", "sex", "F", 3),
        ("2026-11", "diversions_started", "total", "all", 12),
    ])


@pytest.fixture
def home(tmp_path) -> Path:
    (tmp_path / "home").mkdir()
    return tmp_path / "home"


@pytest.fixture
def con(home):
    path = home / "state" / "build" / "warehouse.duckdb"
    path.parent.mkdir(parents=True)
    con = duckdb.connect(str(path))
    populate(con)
    restricted = open_restricted(home / "restricted" / "quarantine.duckdb")
    restricted.execute("INSERT INTO quarantined_raw VALUES (?, ?, 'arrests', 5, 'surname', ?)",
                       [sha(RMS_10), RMS_10, f"DUR-A-0000005,{PLANTED}"])
    restricted.close()
    yield con
    con.close()


def all_incidents(con, today: date = TODAY) -> list[Incident]:
    return collect_delivery_incidents(con, None) + collect_state_incidents(con, today)


# --- real receivers ---------------------------------------------------------------------

def config_for(smtp_port: int, webhook_url: str) -> AlertConfig:
    return AlertConfig.from_env({
        "CHECKPOINT_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "CHECKPOINT_ALERT_FROM": "warehouse@checkpoint.example",
        "CHECKPOINT_ALERT_TO": "data-admins@checkpoint.example, lead@checkpoint.example",
        "CHECKPOINT_ALERT_WEBHOOK_URL": webhook_url,
    }, attempts=3, backoff_seconds=0.01, timeout_seconds=5)


def read_jsonl(home: Path) -> list[dict]:
    path = home / "alerts.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def dq_alerts(con) -> dict[str, tuple]:
    rows = con.execute("SELECT key, severity, kind, delivery, counts_json, email_status, webhook_status, "
                       "alerted_at, run_id FROM dq.alerts").fetchall()
    return {r[0]: r[1:] for r in rows}


def email_parts(raw: bytes) -> tuple[email.message.EmailMessage, str, str]:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    return (message, message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content())


# --- configuration -----------------------------------------------------------------------

def test_config_from_environment():
    config = AlertConfig.from_env({
        "CHECKPOINT_SMTP_URL": "smtp://mail.internal:2525",
        "CHECKPOINT_ALERT_FROM": "warehouse@x.example",
        "CHECKPOINT_ALERT_TO": " a@x.example,, b@x.example ,",
        "CHECKPOINT_ALERT_WEBHOOK_URL": "https://hooks.example/T0/B0/x",
    })
    assert config.mail_to == ("a@x.example", "b@x.example")
    assert config.email_configured and config.webhook_configured
    assert config.attempts == 3

    half = AlertConfig.from_env({"CHECKPOINT_SMTP_URL": "smtp://mail.internal:2525"})
    assert not half.email_configured and not half.webhook_configured
    assert half.missing_email_settings() == ["CHECKPOINT_ALERT_FROM", "CHECKPOINT_ALERT_TO"]
    assert AlertConfig.from_env({}).missing_email_settings() == []

    assert config.deadline_seconds == 60
    assert AlertConfig.from_env({"CHECKPOINT_ALERT_DEADLINE_SECONDS": "2.5"}).deadline_seconds == 2.5
    for bad in ("soon", "0", "-1", "nan", "inf"):
        with pytest.raises(ConfigurationError, match="CHECKPOINT_ALERT_DEADLINE_SECONDS must be a number"):
            AlertConfig.from_env({"CHECKPOINT_ALERT_DEADLINE_SECONDS": bad})


# --- what raises an incident -------------------------------------------------------------

def test_delivery_incidents_name_the_delivery_counts_and_next_step(con):
    incidents = {i.key: i for i in collect_delivery_incidents(con, None)}
    assert set(incidents) == {k for k in EXPECTED_KEYS if k.split(":")[0] in
                              ("rejected", "quarantine", "schema_drift", "header_only", "contract_missing", "ignored")}

    rejected = incidents[f"rejected:{sha(CUSTODY_11)}:{CUSTODY_11}"]
    assert (rejected.severity, rejected.kind, rejected.delivery) == ("error", "rejected", CUSTODY_11)
    assert "header lacks required column(s): gravity_score" in rejected.detail
    assert "custody/custody_202611_v2.csv" in rejected.action

    rms = incidents[f"quarantine:{sha(RMS_10)}:{RMS_10}"]
    assert rms.severity == "warning"
    assert rms.counts == {
        "rows_read": 100, "rows_loaded": 95, "rows_quarantined": 4, "rows_duplicate": 1,
        "reason: arrest_id": 1, "reason: key (arrest_id, record_version) is in another row of this "
        "delivery with different values": 1, "reason: sex": 1, "reason: surname": 1, "reason: updated_at": 1,
    }
    assert "rms/arrests_202610_v2.csv" in rms.action and "restricted" in rms.action

    workbook = incidents[f"quarantine:{sha(PROG_11)}:{PROG_11}"]
    assert workbook.counts["rows_quarantined"] == 2
    assert workbook.counts["reason: sessions: hours"] == 1
    assert workbook.counts["reason: contracts: rule: status_date set exactly when status is not ACTIVE"] == 1

    assert "notes" in incidents[f"schema_drift:{sha(PROG_10)}:{PROG_10}"].detail
    assert incidents[f"contract_missing:{sha(PROG_11)}:{PROG_11}"].counts["contracts_missing"] == 2
    assert incidents[f"ignored:{NOTES}"].severity == "warning"
    assert all(i.action for i in incidents.values())


def test_delivery_incidents_only_for_the_deliveries_asked_about(con):
    keys = {i.key for i in collect_delivery_incidents(con, [sha(PROG_11)])}
    assert keys == {f"quarantine:{sha(PROG_11)}:{PROG_11}", f"contract_missing:{sha(PROG_11)}:{PROG_11}"}
    assert collect_delivery_incidents(con, []) == []


def test_freshness_is_late_only_after_the_fifth_working_day(con):
    def late(today):
        return sorted(i.key for i in collect_state_incidents(con, today) if i.kind == "freshness")

    # custody 2026-11 was rejected whole: no accepted delivery. Due Monday 7 December 2026.
    assert late(date(2026, 12, 7)) == []
    assert late(date(2026, 12, 8)) == ["freshness:custody:2026-11"]
    incident = next(i for i in collect_state_incidents(con, date(2026, 12, 8)) if i.kind == "freshness")
    assert incident.severity == "error" and incident.counts == {"days_late": 1}
    assert "Monday 7 December 2026" in incident.detail and CUSTODY_11 in incident.detail
    assert "custody/custody_202611.csv" in incident.action
    # 2026-12 falls due on Friday 8 January 2027 (1 January is a bank holiday).
    assert late(date(2027, 1, 8)) == ["freshness:custody:2026-11"]
    assert late(date(2027, 1, 11)) == ["freshness:custody:2026-11", "freshness:custody:2026-12",
                                       "freshness:programme:2026-12", "freshness:rms:2026-12"]


def test_state_incidents(con):
    incidents = {i.key: i for i in collect_state_incidents(con, TODAY)}
    assert set(incidents) == {"freshness:custody:2026-11", "orphans:raw.custody_records:2026-10",
                              "consistency:checkpoint_disposals_vs_diversions_started:2026-11",
                              "awaiting_expungement:2026-11"}
    orphans = incidents["orphans:raw.custody_records:2026-10"]
    assert orphans.counts == {"rows_waiting": 2, "missing: raw.rms_arrests": 2}
    assert orphans.delivery == CUSTODY_10 and orphans.severity == "warning"
    check = incidents["consistency:checkpoint_disposals_vs_diversions_started:2026-11"]
    assert check.severity == "error" and check.counts["difference"] == 8
    assert incidents["awaiting_expungement:2026-11"].counts == {"contracts_awaiting_expungement": 3}

    # The sessions of November wait a full month (all of December) before they are overdue.
    later = {i.key for i in collect_state_incidents(con, date(2027, 1, 4))}
    assert "orphans:raw.programme_sessions:2026-11" in later


def test_a_contract_repeated_in_every_snapshot_waits_from_its_first_workbook(con):
    con.execute("INSERT INTO raw.programme_contracts (contract_ref, source_month, delivery_version, file_name) "
                "VALUES ('CP-000009', '2026-09', 1, 'programme/checkpoint_programme_202609.xlsx'), "
                "('CP-000009', '2026-11', 1, ?)", [PROG_11])
    con.execute("INSERT INTO dq.orphan_references VALUES ('raw.programme_contracts', 'CP-000009', "
                "'raw.custody_records', 'DUR/C/26/000999', '2026-11', ?)", [PROG_11])
    keys = {i.key for i in collect_state_incidents(con, TODAY)}
    assert "orphans:raw.programme_contracts:2026-09" in keys


def test_tables_not_built_yet_give_no_incidents(tmp_path):
    con = duckdb.connect(str(tmp_path / "empty.duckdb"))
    assert collect_delivery_incidents(con, None) == []
    assert collect_state_incidents(con, TODAY) == []


def test_run_failed_incident_scrubs_quoted_values():
    incident = run_failed_incident("run-42", f"dbt build failed: invalid literal '{PLANTED}' in sheet 'Contracts' "
                                             "reading '/landing/rms/arrests_202610.csv'")
    assert incident.key == "run_failed:run-42" and incident.severity == "error"
    assert PLANTED not in incident.detail
    assert "'Contracts'" in incident.detail and "'/landing/rms/arrests_202610.csv'" in incident.detail
    assert scrub("the file's month; O'Brien") == "the file's month; O'Brien"  # no quotes, nothing dropped
    assert PLANTED not in scrub(f"surname 'O'{PLANTED}'")


# --- dispatch: once, one digest, every channel --------------------------------------------

def test_one_digest_per_channel_once(con, home, smtp_server, receiver):
    smtp_port, mails = smtp_server
    config = config_for(smtp_port, receiver.url)

    result = dispatch(all_incidents(con), config, home, con, now=NOW, run_id="run-1")

    assert {i.key for i in result.raised} == EXPECTED_KEYS
    assert (result.email.status, result.email.attempts) == ("sent", 1)
    assert (result.webhook.status, result.webhook.attempts) == ("sent", 1)
    assert len(mails) == 1 and len(receiver.posts) == 1

    mail_from, rcpt_tos, raw = mails[0]
    assert mail_from == "warehouse@checkpoint.example"
    assert rcpt_tos == ["data-admins@checkpoint.example", "lead@checkpoint.example"]
    message, text, html = email_parts(raw)
    assert message["Subject"] == "[Checkpoint] 3 errors, 8 warnings in run run-1"
    for key in EXPECTED_KEYS:
        assert key in text and key in html
    assert text.index("Delivery rejected: custody/custody_202611.csv") < text.index("quarantined in")
    assert "What to do: Ask the custody supplier to correct the file and deliver it again as " \
           "custody/custody_202611_v2.csv" in text

    post = receiver.posts[0]
    assert post["path"] == "/hooks/alerts" and post["content_type"].startswith("application/json")
    payload = json.loads(post["body"])
    assert payload["text"].startswith("Checkpoint Warehouse: 3 errors, 8 warnings in run run-1")
    assert {i["key"] for i in payload["incidents"]} == EXPECTED_KEYS

    lines = read_jsonl(home)
    assert {line["key"] for line in lines} == EXPECTED_KEYS and len(lines) == len(EXPECTED_KEYS)
    assert all(line["event"] == "raised" and line["email_status"] == "sent" and line["webhook_status"] == "sent"
               and line["alerted_at"] == "2026-12-08T09:30:00" and line["run_id"] == "run-1" for line in lines)
    quarantine = next(line for line in lines if line["kind"] == "quarantine" and line["delivery"] == RMS_10)
    assert quarantine["counts"]["rows_quarantined"] == 4 and quarantine["action"]
    history = dq_alerts(con)
    assert set(history) == EXPECTED_KEYS
    assert history[f"quarantine:{sha(RMS_10)}:{RMS_10}"][:3] == ("warning", "quarantine", RMS_10)
    assert json.loads(history[f"quarantine:{sha(RMS_10)}:{RMS_10}"][3])["rows_quarantined"] == 4
    assert {row[4:6] for row in history.values()} == {("sent", "sent")}

    # A re-run finds the same incidents: nothing is sent, nothing more is recorded.
    again = dispatch(all_incidents(con), config, home, con, now=NOW, run_id="run-2")
    assert again.raised == [] and set(again.already_alerted) == EXPECTED_KEYS
    assert (again.email.status, again.webhook.status) == ("nothing_to_send", "nothing_to_send")
    assert len(mails) == 1 and len(receiver.posts) == 1
    assert len(read_jsonl(home)) == len(EXPECTED_KEYS) and len(dq_alerts(con)) == len(EXPECTED_KEYS)

    # A genuinely new problem (a corrected custody file that is rejected too) alerts, alone.
    v2 = "custody/custody_202611_v2.csv"
    _delivery(con, 9, "custody", "2026-11", 2, v2, "rejected", reason="zero bytes: the file is empty")
    third = dispatch(all_incidents(con), config, home, con, now=NOW, run_id="run-3")
    assert [i.key for i in third.raised] == [f"rejected:{sha(v2)}:{v2}"]
    assert len(mails) == 2 and len(receiver.posts) == 2
    message, text, _ = email_parts(mails[1][2])
    assert message["Subject"] == "[Checkpoint] 1 error in run run-3"
    assert "custody/custody_202611_v3.csv" in text


def test_no_personal_data_reaches_any_alert(con, home, smtp_server, receiver):
    smtp_port, mails = smtp_server
    dispatch(all_incidents(con), config_for(smtp_port, receiver.url), home, con, now=NOW, run_id="run-1")
    dispatch([run_failed_incident("run-1", f"could not parse '{PLANTED}'")],
             config_for(smtp_port, receiver.url), home, con, now=NOW, run_id="run-1")

    assert len(mails) == 2 and len(receiver.posts) == 2
    surname = PLANTED.split()[1]
    for _, _, raw in mails:
        _, text, html = email_parts(raw)
        assert surname not in text and surname not in html
    for post in receiver.posts:
        assert surname.encode() not in post["body"]
    assert surname not in (home / "alerts.jsonl").read_text(encoding="utf-8")
    assert not con.execute("SELECT count(*) FROM dq.alerts WHERE concat_ws('|', COLUMNS(*)) LIKE ?",
                           [f"%{surname}%"]).fetchone()[0]


def test_unreachable_channels_are_retried_recorded_and_caught_up(con, home, smtp_server, receiver):
    dead = config_for(free_port(), f"http://127.0.0.1:{free_port()}/hooks/alerts")

    result = dispatch(all_incidents(con), dead, home, con, now=NOW, run_id="run-1")  # does not raise

    for outcome in (result.email, result.webhook):
        assert (outcome.status, outcome.attempts) == ("failed", 3)
        assert "refused" in outcome.error.lower()
    assert {i.key for i in result.raised} == EXPECTED_KEYS
    lines = read_jsonl(home)
    assert {line["key"] for line in lines} == EXPECTED_KEYS
    assert {(line["email_status"], line["webhook_status"]) for line in lines} == {("failed", "failed")}
    assert {row[4:6] for row in dq_alerts(con).values()} == {("failed", "failed")}

    # Still down at the next run: nothing new, nothing lost, nothing recorded twice.
    again = dispatch(all_incidents(con), dead, home, con, now=NOW, run_id="run-2")
    assert again.raised == [] and again.email.status == "failed" and again.resent == []
    assert len(read_jsonl(home)) == len(EXPECTED_KEYS)

    # The channels are back: one digest each carries the alerts they missed, marked late.
    smtp_port, mails = smtp_server
    back = dispatch(all_incidents(con), config_for(smtp_port, receiver.url), home, con,
                    now=datetime(2026, 12, 9, 9, 30), run_id="run-3")
    assert back.raised == [] and set(back.resent) == EXPECTED_KEYS
    assert len(mails) == 1 and len(receiver.posts) == 1
    message, text, _ = email_parts(mails[0][2])
    assert message["Subject"] == "[Checkpoint] 3 errors, 8 warnings in run run-3"
    assert text.count("Sent late: first raised 2026-12-08T09:30:00") == len(EXPECTED_KEYS)
    resent = [line for line in read_jsonl(home) if line["event"] == "resent"]
    assert {line["key"] for line in resent} == EXPECTED_KEYS
    assert {(line["email_status"], line["webhook_status"]) for line in resent} == {("sent", "sent")}
    assert {row[4:6] for row in dq_alerts(con).values()} == {("sent", "sent")}

    # Caught up: the next run sends nothing.
    dispatch(all_incidents(con), config_for(smtp_port, receiver.url), home, con, now=NOW, run_id="run-4")
    assert len(mails) == 1 and len(receiver.posts) == 1


def test_webhook_answering_503_is_retried_until_it_takes_the_post(home, receiver):
    receiver.statuses = [503, 503]
    config = AlertConfig(webhook_url=receiver.url, attempts=3, backoff_seconds=0.01)
    incident = run_failed_incident("run-7", "the landing folder is unreadable")

    result = dispatch([incident], config, home, now=NOW, run_id="run-7")

    assert (result.webhook.status, result.webhook.attempts) == ("sent", 3)
    assert len(receiver.posts) == 3 and len({p["body"] for p in receiver.posts}) == 1
    assert result.email.status == "not_configured"
    [line] = read_jsonl(home)
    assert (line["key"], line["email_status"], line["webhook_status"]) == ("run_failed:run-7", "not_configured", "sent")


def test_webhook_refusing_the_payload_is_not_retried(home, receiver):
    receiver.statuses = [400]
    config = AlertConfig(webhook_url=receiver.url, attempts=3, backoff_seconds=0.01)

    result = dispatch([run_failed_incident("run-8", "boom")], config, home, now=NOW)

    assert (result.webhook.status, result.webhook.attempts) == ("failed", 1)
    assert "HTTP 400" in result.webhook.error and len(receiver.posts) == 1
    assert read_jsonl(home)[0]["webhook_status"] == "failed"


def test_without_channels_alerts_are_still_recorded(con, home):
    result = dispatch(all_incidents(con), AlertConfig.from_env({}), home, con, now=NOW)
    assert (result.email.status, result.webhook.status) == ("not_configured", "not_configured")
    assert {line["key"] for line in read_jsonl(home)} == EXPECTED_KEYS
    assert len(dq_alerts(con)) == len(EXPECTED_KEYS)
    # not_configured is not failed: configuring a channel later does not replay the past
    assert dispatch(all_incidents(con), AlertConfig.from_env({}), home, con, now=NOW).raised == []


# --- with the real ingest -----------------------------------------------------------------

def test_alerts_from_a_real_ingest(tmp_path, smtp_server, receiver):
    """The same path as a run: real files through ingest, then the run's alerts. The rows'
    personal data (surname, forenames, date of birth) reach no alert."""
    landing, home = tmp_path / "landing", Home(tmp_path / "home")
    write_rms(landing / "rms/arrests_202610.csv", [
        rms_row("DUR-A-0000001", surname="Quillfeather", forenames="Zebedee"),
        rms_row("DUR-A-0000002", surname="Quillfeather", sex="Q"),                 # quarantined: sex
        rms_row("DUR-A-0000003", surname="Quillfeather", date_of_birth="1990-02-30"),  # quarantined: date
        rms_row("DUR-A-0000004", record_status="EXPUNGED"),                        # quarantined: rule
    ], raw_lines=["DUR-A-0000005,1,Quillfeather,few"])                             # quarantined: fields
    write_custody(landing / "custody/custody_202610.csv", [custody_row()],
                  header=[h for h in CUSTODY_HEADER if h != "gravity_score"])  # rejected
    (landing / "README.txt").write_text("not a delivery")
    report = ingest_landing(landing, home.build_db, home.restricted_db, b"alerts-test-key-" + b"0" * 48)

    con = duckdb.connect(str(home.build_db))
    try:
        incidents = collect_delivery_incidents(con, [r.sha256 for r in report.results])
        smtp_port, mails = smtp_server
        result = dispatch(incidents, config_for(smtp_port, receiver.url), home.root, con, now=NOW, run_id="run-1")
    finally:
        con.close()

    rms_sha = next(r.sha256 for r in report.results if r.file_name == "rms/arrests_202610.csv")
    quarantine = next(i for i in result.raised if i.kind == "quarantine")
    assert quarantine.counts == {
        "rows_read": 5, "rows_loaded": 1, "rows_quarantined": 4, "rows_duplicate": 0,
        "reason: date_of_birth": 1, "reason: rule: expunged_date set exactly when record_status is EXPUNGED": 1,
        "reason: row has N fields; the header has N": 1, "reason: sex": 1,
    }
    assert quarantine.key == f"quarantine:{rms_sha}:rms/arrests_202610.csv"
    assert sorted(i.kind for i in result.raised) == ["ignored", "quarantine", "rejected"]
    rejected = next(i for i in result.raised if i.kind == "rejected")
    assert "gravity_score" in rejected.detail
    assert len(mails) == 1 and len(receiver.posts) == 1
    _, text, html = email_parts(mails[0][2])
    everything = "\n".join([text, html, receiver.posts[0]["body"].decode("utf-8"),
                            (home.root / "alerts.jsonl").read_text(encoding="utf-8")])
    assert "rms/arrests_202610.csv" in everything
    for personal in ("Quillfeather", "Zebedee", "Bhriain", "Siobh", "1990-02-30", "1990-05-17", "P-100"):
        assert personal not in everything


# --- alerts cannot hold the pipeline ---------------------------------------------------------

def test_chat_text_is_escaped_for_slack_and_teams():
    assert chat_escape("<!channel> & <@U0123|x> <http://evil.example|y>.csv") == \
        "&lt;!channel&gt; &amp; &lt;@U0123|x&gt; &lt;http://evil.example|y&gt;.csv"


def test_a_file_name_cannot_notify_a_channel_through_the_webhook(tmp_path, receiver):
    landing, home = tmp_path / "landing", Home(tmp_path / "home")
    hostile = "<!channel> urgent & <@U0123>.csv"
    write_rms(landing / "rms/arrests_202610.csv", [rms_row()])
    (landing / hostile).write_text("not a delivery")
    report = ingest_landing(landing, home.build_db, home.restricted_db, b"alerts-test-key-" + b"0" * 48)
    con = duckdb.connect(str(home.build_db))
    try:
        incidents = collect_delivery_incidents(con, [r.sha256 for r in report.results])
        result = dispatch(incidents, AlertConfig(webhook_url=receiver.url), home.root, con, now=NOW)
    finally:
        con.close()

    assert result.webhook.status == "sent" and f"ignored:{hostile}" in {i.key for i in result.raised}
    payload = json.loads(receiver.posts[0]["body"])
    for field in ("text", "summary"):
        assert "<" not in payload[field] and ">" not in payload[field]
    assert "&lt;!channel&gt; urgent &amp; &lt;@U0123&gt;.csv" in payload["text"]
    # The structured part is data, not text a chat client renders: it keeps the name as it is.
    assert hostile in {i["delivery"] for i in payload["incidents"]}


def test_a_dripping_smtp_server_and_webhook_are_cut_at_the_send_deadline(home, drip_smtp, drip_http):
    config = AlertConfig(smtp_url=f"smtp://127.0.0.1:{drip_smtp.port}", mail_from="w@x.example",
                         mail_to=("a@x.example",), webhook_url=f"http://127.0.0.1:{drip_http.port}/hook",
                         attempts=3, backoff_seconds=0.01, timeout_seconds=5, deadline_seconds=2)
    done: list = []
    sending = threading.Thread(target=lambda: done.append(
        dispatch([run_failed_incident("run-9", "boom")], config, home, now=NOW, run_id="run-9")), daemon=True)
    sending.start()
    sending.join(timeout=120)  # a bound for the test itself: without a deadline the send never ends

    assert not sending.is_alive(), "the send did not end: nothing cut the dripping connections"
    [result] = done
    for outcome, server in ((result.email, drip_smtp), (result.webhook, drip_http)):
        assert outcome.status == "failed" and "send deadline of 2 s passed" in outcome.error
        assert server.connections == 1  # no retry started after the deadline
        assert server.cut_by_client.wait(10), "the client never hung up"
    [line] = read_jsonl(home)
    assert (line["email_status"], line["webhook_status"]) == ("failed", "failed")


@pytest.fixture
def built_home(home) -> Home:
    """A home whose build database holds every kind of incident (and no open connection)."""
    path = home / "state" / "build" / "warehouse.duckdb"
    path.parent.mkdir(parents=True)
    con = duckdb.connect(str(path))
    populate(con)
    con.close()
    return Home(home)


def alert_env(monkeypatch, home: Home, smtp_port: int | None, deadline: float = 5) -> dict:
    env = {"CHECKPOINT_HOME": str(home.root), "CHECKPOINT_TODAY": TODAY.isoformat(),
           "CHECKPOINT_ALERT_DEADLINE_SECONDS": str(deadline)}
    if smtp_port:
        env.update({"CHECKPOINT_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
                    "CHECKPOINT_ALERT_FROM": "w@x.example", "CHECKPOINT_ALERT_TO": "a@x.example"})
    for name in ("CHECKPOINT_SMTP_URL", "CHECKPOINT_ALERT_FROM", "CHECKPOINT_ALERT_TO", "CHECKPOINT_ALERT_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def test_the_alert_step_sends_without_holding_the_writer_lock(built_home, drip_smtp, monkeypatch):
    alert_env(monkeypatch, built_home, drip_smtp.port)
    done: list = []
    step = threading.Thread(target=lambda: done.append(alert_run(built_home, "run-1")), daemon=True)
    step.start()
    assert drip_smtp.connected.wait(60)

    with built_home.exclusive_writer(timeout_s=0):  # WriterBusy if the step held it while sending
        still_sending = step.is_alive()
    step.join(timeout=120)

    assert still_sending and not step.is_alive()
    assert "send deadline" in done[0].email.error
    con = duckdb.connect(str(built_home.build_db), read_only=True)
    try:
        assert {k: v[4] for k, v in dq_alerts(con).items()} == {k: "failed" for k in EXPECTED_KEYS}
    finally:
        con.close()


def test_a_kill_during_the_alert_step_is_repaired_by_the_next_one(built_home, drip_smtp, monkeypatch):
    env = alert_env(monkeypatch, built_home, drip_smtp.port, deadline=2)
    script = "import sys; from pipelines.alerts.assets import alert_run; from pipelines.settings import Home; " \
             "alert_run(Home(__import__('pathlib').Path(sys.argv[1])), 'run-1')"
    step = subprocess.Popen([sys.executable, "-c", script, str(built_home.root)], env={**os.environ, **env},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert drip_smtp.connected.wait(60)
        # The step is sending, outside the writer lock: take the lock, so that once alerts.jsonl
        # is written the step waits to update dq.alerts, and kill it there.
        with built_home.exclusive_writer(timeout_s=0):
            for _ in range(600):
                if len(read_jsonl(built_home.root)) == len(EXPECTED_KEYS):
                    break
                assert step.poll() is None
                time.sleep(0.1)
            step.send_signal(signal.SIGKILL)
            step.wait(timeout=60)
    finally:
        if step.poll() is None:
            step.kill()
    assert step.returncode == -signal.SIGKILL
    con = duckdb.connect(str(built_home.build_db), read_only=True)
    try:
        assert not dq_alerts(con) if con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'alerts'").fetchall()[0][0] else True
    finally:
        con.close()

    alert_env(monkeypatch, built_home, None)  # the next run: no channel configured, nothing new
    result = alert_run(built_home, "run-2")

    assert result.raised == [] and set(result.already_alerted) == EXPECTED_KEYS
    con = duckdb.connect(str(built_home.build_db), read_only=True)
    try:
        history = dq_alerts(con)
    finally:
        con.close()
    assert set(history) == EXPECTED_KEYS
    assert {row[4:6] for row in history.values()} == {("failed", "not_configured")}
    assert {row[7] for row in history.values()} == {"run-1"}
    assert len(read_jsonl(built_home.root)) == len(EXPECTED_KEYS)  # nothing raised twice
