"""The last word of a command that could not finish: one line that says what to do, the
full traceback kept owner-only (under ``HOME/state/runs/``, or the system's temporary folder
when the home cannot take it), and the failed-run alert.

The line and the alert carry no exception message: an exception may quote a value it could
not handle. They name the kind of failure, the path involved (our own paths, never data)
and where the traceback is.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import tempfile
import traceback
from datetime import datetime, timezone
from pathlib import Path

# Below this much free space the disk holding the home is taken to be full: SQLite and
# DuckDB report a full disk as a generic I/O error.
NEARLY_FULL_BYTES = 1 << 20


def causes(error: BaseException) -> list[BaseException]:
    """The error and what it came from, outermost first."""
    chain, seen = [], set()
    while error is not None and id(error) not in seen:
        chain.append(error)
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return chain


def what_failed(error: BaseException, free_bytes: int | None) -> str:
    """A value-free account of ``error`` and what to do about it, for one line."""
    os_error = next((e for e in causes(error) if isinstance(e, OSError) and e.errno), None)
    code = os_error.errno if os_error is not None else None
    where = f" ({os_error.filename})" if os_error is not None and os_error.filename else ""
    if code in (errno.ENOSPC, errno.EDQUOT) or (free_bytes is not None and free_bytes < NEARLY_FULL_BYTES):
        return "the disk holding the home is full: free space there, then run the same command again"
    if code == errno.EROFS:
        return f"the home is on a read-only file system{where}: give a writable --home, then run again"
    if code in (errno.EACCES, errno.EPERM):
        return f"permission denied{where}: the home must be writable by the user running the pipeline"
    if code == errno.EFBIG:
        return f"a file under the home cannot grow{where} (file size limit): raise the limit, then run again"
    if os_error is not None:
        return f"{os_error.strerror or type(os_error).__name__}{where}: fix the cause, then run again"
    return f"unexpected {type(error).__name__}: fix the cause, then run the same command again"


def free_space(folder: Path | None) -> int | None:
    """Free bytes on the disk holding ``folder`` (or its nearest existing parent)."""
    if folder is None:
        return None
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            try:
                return shutil.disk_usage(candidate).free
            except OSError:
                return None
    return None


def keep_traceback(error: BaseException, home: Path | None, now: datetime) -> Path | None:
    """Write the traceback owner-only, under the home if it can take it, else in the system's
    temporary folder; the file written, or None if neither could."""
    text = "".join(traceback.format_exception(error))
    name = f"{now:%Y%m%dT%H%M%SZ}-failed.log"
    if home is not None:
        path = home / "state" / "runs" / name
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "a", encoding="utf-8") as log:
                log.write(text)
            return path
        except OSError:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)  # an empty or cut log would only mislead
    try:
        handle, fallback = tempfile.mkstemp(prefix="checkpoint-warehouse-", suffix=f"-{name}")  # mode 0600
        with os.fdopen(handle, "w", encoding="utf-8") as log:
            log.write(text)
        return Path(fallback)
    except OSError:
        return None


def failure_line(command: str, error: BaseException, home: Path | None, log: Path | None) -> str:
    kept = f"; the traceback is in {log}" if log is not None else "; no traceback could be written anywhere"
    return f"{command} failed: {what_failed(error, free_space(home))}{kept}"


@contextlib.contextmanager
def logging_to(log: Path | None):
    """Log records (the alert's own complaints about a full or read-only home) go to the kept
    traceback, not to standard error: the failure stays one line."""
    root = logging.getLogger()
    saved = root.handlers[:]
    handler = logging.FileHandler(log, encoding="utf-8") if log is not None else logging.NullHandler()
    root.handlers[:] = [handler]
    try:
        yield
    finally:
        root.handlers[:] = saved
        handler.close()


def report_failure(command: str, error: BaseException, home: Path | None, writes_home: bool) -> str:
    """Keep the traceback and return the one line; for a command that writes the home (a
    run, a rekey), keep it there and raise the failed-run alert. A reading command (status,
    quarantine) leaves the home as it was and alerts nobody: its caller sees the line."""
    now = datetime.now(timezone.utc)
    log = keep_traceback(error, home if writes_home else None, now)
    line = failure_line(command, error, home, log)
    if home is not None and writes_home:
        try:
            from pipelines.alerts.dispatch import alert_run_failure
            from pipelines.settings import Home

            with logging_to(log):
                alert_run_failure(Home(home), f"{command}-{now:%Y%m%dT%H%M%SZ}", line)
        except Exception as alert_error:  # noqa: BLE001 (the line must still be printed)
            line += f" (the failure alert could not be sent: {type(alert_error).__name__})"
    return line
