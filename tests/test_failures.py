"""Every failure of a command is one line that says what to do, an alert, and the traceback
kept owner-only: a full disk, a read-only home, a file that cannot grow, a defect.

The account of a failure is a pure function (tested on planted errors); the runs are the real
CLI in a subprocess, with a real webhook receiver on 127.0.0.1 for the alert. A full disk and
a read-only home are real file systems (a small tmpfs) where this machine lets the test mount
one; a file size limit (RLIMIT_FSIZE) makes the write failures everywhere.
"""

from __future__ import annotations

import errno
import json
import resource
import signal
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest

from pipelines.cli.failure import NEARLY_FULL_BYTES, causes, keep_traceback, what_failed
from tests.cli_process import cli_env, run_cli
from tests.ingest_files import TEST_KEY, rms_row, write_rms

PLANTED = "Smithson-1957-03-02"  # a value an exception might quote: never in the line or the alert


def raised(error: BaseException, cause: BaseException | None = None) -> BaseException:
    try:
        try:
            if cause is not None:
                raise cause
        except BaseException as inner:
            raise error from inner
        raise error
    except BaseException as caught:
        return caught


@pytest.mark.parametrize(("error", "free", "expected"), [
    (OSError(errno.ENOSPC, "No space left on device", "/h/state/x"), 10**9, "the disk holding the home is full"),
    (sqlite3.OperationalError(f"disk I/O error near {PLANTED}"), 0, "the disk holding the home is full"),
    (OSError(errno.EROFS, "Read-only file system", "/h/state/cli-run.lock"), 10**9,
     "the home is on a read-only file system (/h/state/cli-run.lock)"),
    (OSError(errno.EACCES, "Permission denied", "/h/build"), 10**9, "permission denied (/h/build)"),
    (OSError(errno.EFBIG, "File too large", "/h/build/warehouse.duckdb"), 10**9, "cannot grow"),
    (ValueError(f"could not convert {PLANTED!r}"), 10**9, "unexpected ValueError"),
])
def test_a_failure_is_named_without_its_message(error, free, expected):
    line = what_failed(raised(error), free)
    assert expected in line and PLANTED not in line and "\n" not in line


def test_the_os_error_behind_a_wrapped_failure_is_found():
    wrapped = raised(RuntimeError(f"step failed on {PLANTED}"), OSError(errno.ENOSPC, "No space left on device"))
    assert [type(e) for e in causes(wrapped)] == [RuntimeError, OSError]
    assert what_failed(wrapped, NEARLY_FULL_BYTES * 10).startswith("the disk holding the home is full")


def test_the_traceback_goes_where_it_can_be_written(tmp_path):
    from datetime import datetime, timezone

    error = raised(ValueError("boom"))
    now = datetime(2026, 12, 2, tzinfo=timezone.utc)
    kept = keep_traceback(error, tmp_path / "home", now)
    assert kept.parent == tmp_path / "home" / "state" / "runs" and "Traceback" in kept.read_text()
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the home's folder should be")
    elsewhere = keep_traceback(error, blocked, now)
    try:
        assert elsewhere is not None and not elsewhere.is_relative_to(blocked) and "boom" in elsewhere.read_text()
        assert stat.S_IMODE(elsewhere.stat().st_mode) == 0o600
    finally:
        elsewhere.unlink()


# ---- through the real CLI ------------------------------------------------------------------

def cli_run(landing: Path, home: Path, webhook: str, preexec=None) -> subprocess.CompletedProcess:
    """`checkpoint-warehouse run` alerting ``webhook``; ``preexec`` runs in the child before it starts."""
    env = cli_env(CHECKPOINT_PSEUDONYM_KEY=TEST_KEY, CHECKPOINT_TODAY="2026-11-20",
                  CHECKPOINT_ALERT_WEBHOOK_URL=webhook, CHECKPOINT_ALERT_DEADLINE_SECONDS="20")
    return run_cli("run", "--landing", str(landing), "--home", str(home), env=env, preexec_fn=preexec)


def assert_one_line_and_an_alert(result, receiver, expected: str) -> Path:
    assert result.returncode == 1, result.stderr
    line = result.stderr.strip()
    assert "\n" not in line and "Traceback" not in line, result.stderr
    assert line.startswith("checkpoint-warehouse: run failed: ") and expected in line, line
    log = Path(line.rsplit("the traceback is in ", 1)[1])
    assert "Traceback" in log.read_text() and stat.S_IMODE(log.stat().st_mode) == 0o600
    texts = [json.loads(post["body"])["text"] for post in receiver.posts]
    assert any("failed" in text and expected in text for text in texts), texts
    return log


def small_landing(tmp_path: Path, month: str = "202610") -> Path:
    landing = tmp_path / "landing"
    write_rms(landing / f"rms/arrests_{month}.csv", [rms_row(f"DUR-A-000000{i}") for i in range(1, 4)])
    return landing


def limit_file_size():
    # Writes beyond 64 KiB fail with EFBIG (SIGXFSZ ignored, so they fail rather than kill).
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


def test_a_write_that_fails_is_one_line_an_alert_and_a_kept_traceback(tmp_path, receiver):
    landing = small_landing(tmp_path)
    result = cli_run(landing, tmp_path / "home", receiver.url, preexec=limit_file_size)
    log = assert_one_line_and_an_alert(result, receiver, "run failed")
    assert log.stat().st_size > 0


def mount_tmpfs(folder: Path, size: str) -> bool:
    folder.mkdir()
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(folder)],
                          capture_output=True).returncode == 0


@pytest.fixture
def small_disk(tmp_path):
    disk = tmp_path / "disk"
    if not mount_tmpfs(disk, "2m"):
        pytest.skip("this machine does not let the test mount a tmpfs (the file size limit test covers the path)")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


@pytest.mark.slow
def test_a_full_disk_is_named_as_such(tmp_path, small_disk, receiver):
    landing = small_landing(tmp_path)
    result = cli_run(landing, small_disk / "home", receiver.url)
    assert_one_line_and_an_alert(result, receiver, "the disk holding the home is full")


@pytest.mark.slow
def test_a_read_only_home_is_named_as_such(tmp_path, receiver):
    disk = tmp_path / "disk"
    if not mount_tmpfs(disk, "200m"):
        pytest.skip("this machine does not let the test mount a tmpfs")
    try:
        landing = small_landing(tmp_path)
        first = cli_run(landing, disk / "home", receiver.url)
        assert first.returncode == 0, first.stderr
        write_rms(landing / "rms/arrests_202611.csv", [rms_row("DUR-A-0000009", arrest_datetime="2026-11-03T10:00:00")])
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        result = cli_run(landing, disk / "home", receiver.url)
        log = assert_one_line_and_an_alert(result, receiver, "the home is on a read-only file system")
        assert not log.is_relative_to(disk)  # kept where it could be written
        log.unlink()
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)
