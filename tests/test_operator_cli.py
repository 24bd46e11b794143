"""The operator's view: a run that reads as a report, status, quarantine, the release
calendar, and refusals in one line that say what to do.

The commands run as the real CLI in a subprocess, on a landing folder from the generator
(whose faults are planted and counted) and a real pipeline run; the figures they print are
compared with the warehouse's own tables.
"""

from __future__ import annotations

import csv
import fcntl
import json
import os
import pty
import re
import shutil
import stat
import subprocess
from datetime import date
from pathlib import Path

import duckdb
import pytest

from generator import generate_landing
from pipelines.calendar_uk import is_working_day, release_date
from pipelines.cli.progress import without_ansi
from pipelines.cli.quarantine import QuarantinedRow, quarantined_rows, shown
from pipelines.cli.run_report import RunRecords, fates, summary_lines
from pipelines.cli.status import cell_text, source_months
from pipelines.ingest.store import open_restricted
from pipelines.publication.text import long_date
from pipelines.release_calendar import next_release, release_calendar
from pipelines.settings import Home
from tests.cli_process import CLI, cli_env, one_line, run_cli
from tests.ingest_files import TEST_KEY, rms_row, write_rms

ANSI = re.compile(r"\x1b\[")
TODAY = "2026-12-15"  # 2026-11 is late for every source; 2026-12's release is still to come


def cli(*args: str, env_extra: dict | None = None, timeout: float = 900) -> subprocess.CompletedProcess:
    """The CLI on this file's day, TODAY."""
    return run_cli(*args, env=cli_env(**{"CHECKPOINT_TODAY": TODAY, **(env_extra or {})}), timeout=timeout)


def records(db: Path, sql: str, params: list | None = None) -> list[dict]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        cursor = con.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]
    finally:
        con.close()


# --- pure parts ------------------------------------------------------------------------------

def test_next_release_is_the_fifth_working_day_until_it_has_passed():
    # December 2026: Tue 1 .. Fri 4, Mon 7 is the fifth working day.
    assert release_date("2026-11") == date(2026, 12, 7)
    assert next_release(date(2026, 12, 7)).period == "2026-11"  # on the day itself: still to come
    assert next_release(date(2026, 12, 8)).period == "2026-12"
    # New Year's Day 2027 is a Friday: 4, 5, 6, 7, 8 January.
    assert next_release(date(2026, 12, 8)).day == date(2027, 1, 8)


def test_the_release_calendar_lists_consecutive_months_on_working_days():
    releases = release_calendar(date(2026, 12, 15), 12)
    assert [r.period for r in releases][:2] == ["2026-12", "2027-01"] and len(releases) == 12
    assert all(is_working_day(r.day) and r.day == release_date(r.period) for r in releases)
    # Easter 2027: Good Friday 26 March, Easter Monday 29 March; April's fifth working day is the 7th.
    assert {r.period: r.day for r in releases}["2027-03"] == date(2027, 4, 7)
    with pytest.raises(ValueError):
        release_calendar(date(2026, 12, 15), 0)


def test_source_months_show_what_is_in_force_rejected_superseded_and_late():
    rows = [("rms", "2026-09", 1, "rms/arrests_202609.csv", "superseded"),
            ("rms", "2026-09", 2, "rms/arrests_202609_v2.csv", "accepted"),
            ("rms", "2026-10", 1, "rms/arrests_202610.csv", "accepted"),
            ("rms", "2026-10", 2, "rms/arrests_202610_v2.csv", "rejected"),
            ("custody", "2026-10", 1, "custody/custody_202610.csv", "rejected"),
            (None, None, None, "notes.txt", "ignored")]
    grid = {(s.source, s.month): s for s in source_months(rows, date(2026, 12, 15))}
    assert sorted({m for _, m in grid}) == ["2026-09", "2026-10", "2026-11"]
    assert grid[("rms", "2026-09")].in_force == "rms/arrests_202609_v2.csv"
    assert grid[("rms", "2026-09")].superseded == ("rms/arrests_202609.csv",)
    v2 = grid[("rms", "2026-10")]
    assert (v2.state, v2.version, v2.rejected, v2.late) == ("accepted", 1, ("rms/arrests_202610_v2.csv",), False)
    assert cell_text(v2) == "v1 (1 rejected)"
    custody = grid[("custody", "2026-10")]
    assert (custody.state, custody.late) == ("rejected", True) and cell_text(custody) == "rejected, LATE"
    # November is due on 7 December: late on the 15th, not on the 7th itself.
    assert grid[("programme", "2026-11")].late
    on_the_day = {(s.source, s.month): s for s in source_months(rows, date(2026, 12, 7))}
    assert not on_the_day[("programme", "2026-11")].late
    assert cell_text(on_the_day[("programme", "2026-11")]) == "missing (due 07 Dec)"


def test_fates_sum_the_row_counts_of_each_fate():
    rows = [dict(file_name="a", status="accepted", rows_read=10, rows_loaded=8, rows_quarantined=1, rows_duplicate=1),
            dict(file_name="b", status="accepted", rows_read=5, rows_loaded=5, rows_quarantined=0, rows_duplicate=0),
            dict(file_name="c", status="rejected", rows_read=None, rows_loaded=None, rows_quarantined=None,
                 rows_duplicate=None)]
    got = {f.status: (f.files, f.rows) for f in fates(rows)}
    assert got == {"accepted": (2, {"rows_read": 15, "rows_loaded": 13, "rows_quarantined": 1, "rows_duplicate": 1}),
                   "rejected": (1, {})}


def test_the_summary_names_the_checks_that_warned_or_failed_and_why_nothing_was_published(tmp_path):
    records = RunRecords(
        deliveries=[dict(file_name="rms/arrests_202610.csv", status="accepted", rows_read=3, rows_loaded=2,
                         rows_quarantined=1, rows_duplicate=0, reason=None, seen_order=1)],
        alerts=[dict(key="quarantine:x", kind="quarantine", severity="warning", email_status="failed",
                     webhook_status="sent")],
        publication={"published": False},
        checks=[("dq/deliveries rows_reconcile", True, "ERROR"), ("dq/consistency_checks warn", False, "WARN"),
                ("marts/fct_arrests unique", False, "ERROR")])
    lines = summary_lines(records, Home(tmp_path), tmp_path / "run.log")
    assert lines == [
        "Deliveries: 1 new file",
        "  accepted      1   3 rows read: 2 loaded, 1 quarantined, 0 duplicate",
        f"  1 row quarantined in 1 delivery: list them with `checkpoint-warehouse quarantine --home {tmp_path}`",
        "Checks: 1 of 3 passed; warned: dq/consistency_checks warn; FAILED: marts/fct_arrests unique",
        "Alerts: 1 incident raised (1 quarantine); email FAILED (it is sent again with the next alert), webhook sent",
        "Publication: none (no month has an accepted delivery from every source yet)",
        f"Event log: {tmp_path / 'run.log'}",
    ]


def test_quarantined_rows_are_filtered_by_file_and_reason_and_shown_safely():
    raw = [("s1", "rms/arrests_202610.csv", "arrests", 7, "sex: not in the code list", "A,B,\x1b[2JX\r\n"),
           ("s1", "rms/arrests_202610.csv", "arrests", 3, "rule broken", "C,D\r\n"),
           ("s1", "rms/arrests_202610.csv", "arrests", 3, "rule broken", "C,D\r\n"),  # the same row twice
           ("s2", "custody/custody_202610.csv", "custody", 4, "arrest_id: required", "E,F\n")]
    labels = {("s1", "rms/arrests_202610.csv", "arrests", 7): ("sex",),
              ("s1", "rms/arrests_202610.csv", "arrests", 3): ("rule: outcome needs a date",)}
    every = quarantined_rows(raw, labels)
    assert [(r.file_name, r.row_number) for r in every] == [
        ("custody/custody_202610.csv", 4), ("rms/arrests_202610.csv", 3), ("rms/arrests_202610.csv", 7)]
    assert every[0].reasons == ("arrest_id: required",)  # no label in the analyst copy: the store's text
    assert [r.row_number for r in quarantined_rows(raw, labels, file_name="arrests_202610.csv")] == [3, 7]
    assert [r.row_number for r in quarantined_rows(raw, labels, reason="RULE")] == [3]
    assert quarantined_rows(raw, labels, file_name="rms/arrests_202611.csv") == []
    assert "\x1b" not in shown(every[2].raw_text) and "\\x1b[2J" in shown(every[2].raw_text)
    assert isinstance(every[0], QuarantinedRow)


def on_terminal(*args: str, env_extra: dict | None = None, timeout: float = 900) -> tuple[int, str]:
    """The CLI with a pseudo-terminal as standard output and error: (exit status, output)."""
    leader, follower = pty.openpty()
    env = cli_env(**{"CHECKPOINT_TODAY": TODAY, "TERM": "xterm-256color", "COLUMNS": "120", **(env_extra or {})})
    env.pop("NO_COLOR", None)
    process = subprocess.Popen([*CLI, *args], stdout=follower, stderr=follower, env=env)
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the other end closed: the process has ended
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    return process.wait(timeout=timeout), output.decode("utf-8", "replace")


def test_the_ansi_check_sees_codes_when_there_is_a_terminal():
    """The check the run tests make (no escape codes without a terminal) can fail: on a
    pseudo-terminal the same command does colour its output."""
    status, output = on_terminal("calendar", "--months", "2")
    assert status == 0 and ANSI.search(output)
    assert without_ansi(output).count("figures for") == 2
    plain = cli("calendar", "--months", "2")
    assert plain.returncode == 0 and not ANSI.search(plain.stdout + plain.stderr)
    assert "Mon 07 Dec 2026" not in plain.stdout and "Fri 08 Jan 2027" in plain.stdout


# --- refusals --------------------------------------------------------------------------------

def test_every_command_has_help_with_an_example():
    for command in ("run", "status", "quarantine", "calendar", "rekey", "expectations"):
        result = cli(command, "--help")
        assert result.returncode == 0 and "examples:" in result.stdout, command
        assert f"checkpoint-warehouse {command}" in result.stdout.split("examples:")[1], command
    top = cli("--help")
    assert top.returncode == 0 and "checkpoint-warehouse status --home" in top.stdout.split("examples:")[1]
    unknown = cli("bogus")
    assert unknown.returncode == 1 and "invalid choice: 'bogus'" in one_line(unknown)


def test_usage_errors_and_bad_arguments_are_one_line_saying_what_to_do(tmp_path):
    missing = cli("run", "--home", str(tmp_path / "h"))
    assert missing.returncode == 1 and "--landing" in one_line(missing) and "--help" in one_line(missing)
    (tmp_path / "landing").mkdir()
    key = {"CHECKPOINT_PSEUDONYM_KEY": TEST_KEY}
    bad_month = cli("run", "--landing", str(tmp_path / "landing"), "--home", str(tmp_path / "h"),
                    "--publish", "2026-13", env_extra=key)
    assert bad_month.returncode == 1 and "--publish takes a month as YYYY-MM (e.g. --publish 2026-10)" in one_line(bad_month)
    assert not (tmp_path / "h").exists()
    no_key_file = cli("run", "--landing", str(tmp_path / "landing"), "--home", str(tmp_path / "h"),
                      env_extra={"CHECKPOINT_PSEUDONYM_KEY_FILE": str(tmp_path / "absent.key")})
    assert no_key_file.returncode == 1
    assert one_line(no_key_file) == (f"checkpoint-warehouse: cannot read CHECKPOINT_PSEUDONYM_KEY_FILE "
                                     f"{tmp_path / 'absent.key'}: No such file or directory: set "
                                     "CHECKPOINT_PSEUDONYM_KEY_FILE to the readable file holding this home's key")
    months = cli("calendar", "--months", "0")
    assert months.returncode == 1 and "--months 12" in one_line(months)
    no_warehouse = cli("status", "--home", str(tmp_path))
    assert no_warehouse.returncode == 1 and "checkpoint-warehouse run" in one_line(no_warehouse)
    no_home = cli("quarantine", "--home", str(tmp_path / "nowhere"))
    assert no_home.returncode == 1 and "does not exist" in one_line(no_home)


@pytest.mark.parametrize("lock", ["writer.lock", "cli-run.lock"])
def test_a_home_another_run_holds_is_refused_at_once(tmp_path, lock):
    landing, home = tmp_path / "landing", tmp_path / "home"
    landing.mkdir()
    (home / "state").mkdir(parents=True)
    with open(home / "state" / lock, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        result = cli("run", "--landing", str(landing), "--home", str(home),
                     env_extra={"CHECKPOINT_PSEUDONYM_KEY": TEST_KEY}, timeout=120)
    assert result.returncode == 1
    assert one_line(result) == (f"checkpoint-warehouse: another run is using {home} now: wait for it to end "
                                f"(see `checkpoint-warehouse status --home {home}`), then run again")
    assert not (home / "state" / "runs").exists()


def test_quarantine_says_when_the_restricted_store_is_not_readable(tmp_path):
    home = tmp_path / "home"
    open_restricted(home / "restricted" / "quarantine.duckdb").close()
    command = [*CLI, "quarantine", "--home", str(home)]
    if os.geteuid() == 0:
        # Root reads everything: the store is given to another user, and the command runs
        # as root without the capabilities that override file permissions.
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: cannot take away root's access to the store")
        for path in (home / "restricted", home / "restricted" / "quarantine.duckdb"):
            os.chown(path, 65534, 65534)
        command = ["setpriv", "--bounding-set=-all", "--inh-caps=-all", *command]
    else:
        (home / "restricted").chmod(0)
    result = subprocess.run(command, env=cli_env(), capture_output=True, text=True, timeout=120)
    (home / "restricted").chmod(0o700)
    assert result.returncode == 1
    assert one_line(result) == (
        f"checkpoint-warehouse: the restricted store {home / 'restricted' / 'quarantine.duckdb'} is not readable "
        "by you (it is owner-only, as it may hold personal data): run this as the account the pipeline runs as")


# --- a real run, followed by status and quarantine --------------------------------------------

@pytest.fixture(scope="module")
def operated(tmp_path_factory):
    root = tmp_path_factory.mktemp("operated")
    landing, home = root / "landing", root / "home"
    planted = generate_landing(landing, start="2026-08", months=3, scale="durham", seed=7)
    run = cli("run", "--landing", str(landing), "--home", str(home),
              env_extra={"CHECKPOINT_PSEUDONYM_KEY": TEST_KEY})
    return {"landing": landing, "home": home, "planted": planted, "run": run}


@pytest.mark.slow
def test_run_without_a_terminal_is_a_short_plain_report(operated):
    run = operated["run"]
    assert run.returncode == 2, run.stderr[-3000:]
    assert not ANSI.search(run.stdout) and not ANSI.search(run.stderr)
    lines = run.stdout.splitlines()
    assert len(lines) <= 40, run.stdout  # one screen
    for stage in ("ingest", "models", "alerts", "analyst warehouse", "publication"):
        assert sum(bool(re.fullmatch(rf"\d\d:\d\d:\d\d  {stage}: started", l)) for l in lines) == 1, stage
        assert sum(bool(re.fullmatch(rf"\d\d:\d\d:\d\d  {stage}: done in [0-9.]+ s", l)) for l in lines) == 1, stage
    assert "Running with dbt" not in run.stdout and "DEBUG" not in run.stdout + run.stderr
    assert one_line(run).startswith("checkpoint-warehouse: delivery rejected: ")


@pytest.mark.slow
def test_run_summary_figures_equal_dq_deliveries(operated):
    run, home = operated["run"], operated["home"]
    deliveries = records(home / "warehouse.duckdb", "SELECT * FROM dq.deliveries ORDER BY seen_order")
    assert f"Deliveries: {len(deliveries)} new files" in run.stdout
    for status in ("accepted", "superseded", "rejected", "duplicate", "ignored"):
        rows = [d for d in deliveries if d["status"] == status]
        assert rows, status  # the generator plants every fate
        line = next(l for l in run.stdout.splitlines() if l.startswith(f"  {status} "))
        assert line.split()[1] == str(len(rows)), line
        counted = [d for d in rows if d["rows_read"] is not None]
        if counted:
            read, loaded, quarantined, duplicate = (sum(d[c] for d in counted) for c in (
                "rows_read", "rows_loaded", "rows_quarantined", "rows_duplicate"))
            assert line.endswith(f"{read:,} rows read: {loaded:,} loaded, {quarantined:,} quarantined, "
                                 f"{duplicate:,} duplicate"), line
    for d in deliveries:
        if d["status"] == "rejected":
            assert f"  rejected: {d['file_name']}: " in run.stdout
    run_id = re.match(r"Run (\S+) of ", run.stdout).group(1)
    alerts = records(home / "warehouse.duckdb", "SELECT kind FROM dq.alerts WHERE run_id = ?", [run_id])
    assert f"Alerts: {len(alerts)} incidents raised (" in run.stdout
    assert "email not configured, webhook not configured" in run.stdout
    assert f"Publication: 2026-10 written to {home / 'publications' / '2026-10'}" in run.stdout
    log = Path(re.search(r"^Event log: (.+)$", run.stdout, re.M).group(1))
    assert log.parent == home / "state" / "runs" and run_id in log.name
    text = log.read_text(encoding="utf-8")
    assert "STEP_START" in text and "Running with dbt" in text and not ANSI.search(text)
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


@pytest.mark.slow
def test_the_bulletin_names_the_next_release_date(operated):
    bulletin = (operated["home"] / "publications" / "2026-10" / "bulletin_2026-10.html").read_text(encoding="utf-8")
    assert f"Next release: {long_date(release_date('2026-11'))}." in bulletin


@pytest.mark.slow
def test_status_shows_late_sources_a_rejected_version_waiting_orphans_and_files(operated):
    landing, home, planted = operated["landing"], operated["home"], operated["planted"]
    waiting = write_rms(landing / "rms" / "arrests_202611.csv", [rms_row("DUR-A-0999999")])
    # Status reads the analyst copy only: a run holding the writer lock does not hold it up.
    (home / "state").mkdir(exist_ok=True)
    with open(home / "state" / "writer.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        result = cli("status", "--home", str(home), "--landing", str(landing), "--json", timeout=120)
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    months = {(m["source"], m["month"]): m for rows in status["sources"].values() for m in rows}
    for source in ("rms", "custody", "programme"):
        late = months[(source, "2026-11")]
        assert (late["state"], late["late"], late["due"]) == ("missing", True, "2026-12-07")
        assert f"freshness:{source}:2026-11" in {i["key"] for i in status["incidents"]}
    rejected = [f["path"] for f in planted["files"] if f["expected_fate"] == "rejected"]
    assert any("_v" in name for name in rejected)
    for name in rejected:
        month = next(m for m in months.values() if name in m["rejected"])
        assert month["in_force"] and month["in_force"] != name and not month["late"]
    superseded = [m for m in months.values() if m["superseded"]]
    assert superseded and all(m["version"] >= 2 for m in superseded)
    orphans = records(home / "warehouse.duckdb",
                      "SELECT source_table, count(*) AS n FROM dq.orphan_references GROUP BY ALL")
    assert orphans and status["orphans_waiting"] == {r["source_table"]: r["n"] for r in orphans}
    assert [w["file_name"] for w in status["waiting_files"]] == [waiting.relative_to(landing).as_posix()]
    assert status["latest_publication"]["period"] == "2026-10"
    assert status["next_release"] == {"period": "2026-12", "release_date": "2027-01-08"}
    assert status["overdue"] == [{"period": "2026-11", "release_date": "2026-12-07",
                                  "waiting_for": ["rms", "custody", "programme"]}]

    text = cli("status", "--home", str(home))
    assert text.returncode == 0 and not ANSI.search(text.stdout)
    assert "Next release: Friday 8 January 2027, figures for December 2026" in text.stdout
    assert "missing, LATE" in text.stdout
    waiting.unlink()


@pytest.mark.slow
def test_quarantine_lists_the_planted_rows_of_the_generated_landing(operated, tmp_path):
    home, planted = operated["home"], operated["planted"]
    out = tmp_path / "rows.csv"
    result = cli("quarantine", "--home", str(home), "--csv", str(out))
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with open(out, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    listed: dict[str, int] = {}
    for row in rows:
        assert row["reasons"] and row["raw_text"], row
        listed[row["file_name"]] = listed.get(row["file_name"], 0) + 1
    expected = {f["path"]: f["expected_counts"]["rows_quarantined"] for f in planted["files"]
                if f.get("expected_counts", {}).get("rows_quarantined")}
    assert expected and listed == expected
    deliveries = records(home / "warehouse.duckdb",
                         "SELECT file_name, rows_quarantined FROM dq.deliveries WHERE rows_quarantined > 0")
    assert listed == {d["file_name"]: d["rows_quarantined"] for d in deliveries}
    assert f"{len(rows):,} quarantined row(s) in {len(listed)} delivery(ies)" in result.stdout

    name = sorted(expected)[0]
    one_file = cli("quarantine", "--home", str(home), "--file", name)
    assert one_file.returncode == 0 and f"{expected[name]:,} quarantined row(s) in 1 delivery(ies)" in one_file.stdout
    by_rule = cli("quarantine", "--home", str(home), "--reason", "rule:")
    ruled = [r for r in rows if "rule:" in r["reasons"]]
    assert ruled and f"{len(ruled):,} quarantined row(s)" in by_rule.stdout
    # The raw rows hold person ids; the run's event log holds none of them (the search can
    # fail: it finds them in the quarantine listing itself).
    person_ids = {m for r in rows for m in re.findall(r"\b[A-Z]{3}-P-[0-9]{7}\b", r["raw_text"])}
    assert person_ids and person_ids <= set(re.findall(r"\b[A-Z]{3}-P-[0-9]{7}\b", result.stdout))
    log = Path(re.search(r"^Event log: (.+)$", operated["run"].stdout, re.M).group(1)).read_text(encoding="utf-8")
    assert not {p for p in person_ids if p in log}

    nothing = cli("quarantine", "--home", str(home), "--file", "rms/arrests_209901.csv")
    assert nothing.returncode == 0 and nothing.stdout.startswith("No quarantined rows for file rms/arrests_209901.csv")


@pytest.mark.slow
def test_a_verbose_run_adds_dagsters_own_log_on_standard_error(operated):
    landing, home = operated["landing"], operated["home"]
    run = cli("run", "--landing", str(landing), "--home", str(home), "--verbose",
              env_extra={"CHECKPOINT_PSEUDONYM_KEY": TEST_KEY})
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Deliveries: nothing new in the landing folder" in run.stdout
    assert "Alerts: nothing new to alert" in run.stdout
    assert "Publication: 2026-10 unchanged, already in" in run.stdout
    assert "STEP_START" in run.stderr and "STEP_START" not in run.stdout
    assert "STEP_START" not in operated["run"].stderr  # without --verbose: not there
    assert not ANSI.search(run.stdout)


@pytest.mark.slow
def test_on_a_terminal_the_run_draws_live_stages_and_the_same_summary(operated):
    landing, home = operated["landing"], operated["home"]
    status, output = on_terminal("run", "--landing", str(landing), "--home", str(home),
                                 env_extra={"CHECKPOINT_PSEUDONYM_KEY": TEST_KEY})
    assert status == 0, output[-3000:]
    assert ANSI.search(output)  # rich's live display: the cursor hidden, lines redrawn
    text = without_ansi(output).replace("\r", "\n")
    for stage in ("alerts", "analyst warehouse", "publication"):
        assert re.search(rf"\d\d:\d\d:\d\d  {stage}: done in [0-9.]+ s", text), stage
    assert "Deliveries: nothing new in the landing folder" in text and "Event log: " in text


@pytest.mark.slow
def test_publishing_a_month_without_figures_fails_in_one_line_naming_the_log(operated):
    landing, home = operated["landing"], operated["home"]
    run = cli("run", "--landing", str(landing), "--home", str(home), "--publish", "2020-01",
              env_extra={"CHECKPOINT_PSEUDONYM_KEY": TEST_KEY})
    assert run.returncode == 1
    line = one_line(run)
    assert line.startswith("checkpoint-warehouse: run ") and " failed: step publication: " in line
    assert "cannot publish 2020-01" in line and "fix the cause and run again" in line
    log = Path(re.search(r"^Event log: (.+)$", run.stdout, re.M).group(1))
    assert log.exists() and f"read {log}" in line
    assert "publication: FAILED in" in run.stdout


def test_event_logs_older_than_the_kept_days_go_beyond_the_latest_kept(tmp_path):
    from pipelines.cli.run import prune_event_logs

    now, day = 1_800_000_000, 86400
    ages = {"a.log": 1, "b.log": 30, "c.log": 500, "d.log": 600, "e.log": 700, "notes.txt": 900}
    for name, age in ages.items():
        (tmp_path / name).write_text(name)
        os.utime(tmp_path / name, (now - age * day, now - age * day))
    removed = prune_event_logs(tmp_path, now, days=400, always_kept=3)
    assert sorted(p.name for p in removed) == ["d.log", "e.log"]  # c.log is among the latest three
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.log", "b.log", "c.log", "notes.txt"]
    assert prune_event_logs(tmp_path / "none", now) == []
