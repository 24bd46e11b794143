"""Find what is in the landing folder and decide what each file is.

A delivery name matches one source contract's ``file_regex``; anything else (lock files,
``.tmp`` files being written, notes) is not a delivery. Nothing here touches the warehouse.

The landing folder is written by others, so nothing in it is trusted: names are shown in an
escaped form that is valid, printable UTF-8 (a name with a control character or bytes that
are not UTF-8 can never be a delivery); links are never followed and special files (fifos,
devices, sockets) never opened; a delivery is read into memory once, bounded by the size
limit, and the bytes hashed are the bytes parsed.

Each file is hashed once: a digest is remembered with the file's identity (path, device,
inode, size, modification and change times), so that deciding what a run must do and then
taking the unseen files do not read the whole landing folder twice, and a file already seen
is never read again while its identity stands. Ingest keeps what it knows in the home's
state (``keep_digests``) and the next process takes it up (``recall_digests``): otherwise
every run read every file ever delivered again, twice (ten national years: 3.4 GB, 3.0 to
3.7 s each time), a cost that grew with history.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from pipelines.contracts import SOURCES, load_contract
from pipelines.ingest.limits import LIMITS, Limits
from pipelines.ingest.readers import DeliveryRejected
from pipelines.records import write_record


@dataclass(frozen=True)
class LandedFile:
    file_name: str  # path relative to the landing folder, forward slashes, escaped by display_name
    path: Path
    sha256: str | None  # None: never read (a link, a special file, a name refused before reading)
    source: str | None = None  # None: not a delivery
    month: str | None = None  # 'YYYY-MM'
    version: int | None = None
    problem: str | None = None  # why it is refused without being loaded (rejected, or ignored if no delivery)

    @property
    def is_delivery(self) -> bool:
        return self.source is not None

    @property
    def order(self) -> tuple:
        """Deliveries are taken by source (rms, custody, programme), month, then version."""
        if not self.is_delivery:
            return (len(SOURCES), "", 0, self.file_name)
        return (SOURCES.index(self.source), self.month, self.version or 0, self.file_name)


def display_name(name: str) -> str:
    """A landed name as printable, valid UTF-8: undecodable bytes and control characters escaped.

    Python hands undecodable bytes of a name over as lone surrogates, which no database,
    log or mail accepts; a trailing newline or a right-to-left override would mislead
    whoever reads the name. Escaped, such a name can no longer match a delivery pattern.
    """
    text = os.fsencode(name).decode("utf-8", "backslashreplace")
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def parse_delivery_name(file_name: str) -> tuple[str, str, int] | None:
    """(source, 'YYYY-MM', version) for a delivery name, None for anything else."""
    for source in SOURCES:
        # fullmatch: with `$` alone, a name ending in a newline would still match.
        match = re.fullmatch(load_contract(source).file_regex, file_name)
        if not match:
            continue
        yyyymm = match["month"]
        year, month = int(yyyymm[:4]), int(yyyymm[4:])
        version = int(match["version"]) if match["version"] else 1
        # `_v1` and months like 202613 are not delivery names: the contract has no such file.
        if not 1 <= month <= 12 or (match["version"] and version < 2):
            return None
        return source, f"{year:04d}-{month:02d}", version
    return None


def _kind(mode: int) -> str | None:
    """None for a regular file, else what the entry is, in words."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return "symbolic link"
    if stat.S_ISFIFO(mode):
        return "named pipe"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"


def _walk(folder: Path) -> Iterator[tuple[Path, str | None]]:
    """(path, kind) of every entry below ``folder`` that is not a folder, never following a link."""
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError as error:
        yield folder, f"folder that cannot be listed ({error.strerror})"
        return
    for entry in entries:
        try:
            mode = entry.stat(follow_symlinks=False).st_mode
        except OSError:
            continue  # gone since it was listed: the next run sees whatever replaced it
        if stat.S_ISDIR(mode):
            yield from _walk(Path(entry.path))
        else:
            yield Path(entry.path), _kind(mode)


# File identity -> sha256 of the bytes read under it, for this process (see the module doc).
_DIGESTS: dict[tuple, str] = {}
# A file changed within this many seconds before it was read may change again within the
# same timestamp tick and keep its identity (git's "racy" files): its digest is not kept.
_SETTLED_NS = 2_000_000_000


IDENTITY_FIELDS = ("path", "dev", "ino", "size", "mtime_ns", "ctime_ns")  # of ``_identity``, in order


def _identity(path: Path, status: os.stat_result) -> tuple:
    # ctime changes on every write and cannot be set by the writer, unlike mtime.
    return (str(path), status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns)


def recall_digests(record: Path) -> None:
    """Take up the digests an earlier process kept in ``record`` (``keep_digests``): a file
    whose identity still stands is not read again to be hashed. A record missing or not as
    ``keep_digests`` writes it is as if empty (it only spares reading: every file is then
    hashed again)."""
    try:
        files = json.loads(record.read_text(encoding="utf-8"))["files"]
        recalled = {tuple(entry[name] for name in IDENTITY_FIELDS): entry["sha256"] for entry in files}
    except (OSError, ValueError, KeyError, TypeError):
        return
    _DIGESTS.update(recalled)


def keep_digests(record: Path, landing: Path) -> None:
    """Keep in ``record``, for the processes that follow, the digest this process knows of
    each file now under ``landing``, its identity unchanged: a file gone or changed since
    leaves the record, so the record holds what the landing folder holds, no more."""
    files = []
    for path, kind in _walk(landing):
        try:
            identity = None if kind else _identity(path, os.stat(path, follow_symlinks=False))
        except OSError:
            continue  # gone since it was listed
        if identity in _DIGESTS:
            files.append({**dict(zip(IDENTITY_FIELDS, identity)), "sha256": _DIGESTS[identity]})
    write_record(record, {"files": files})


def remembered_digest(path: Path) -> str | None:
    """The sha256 this process computed (or recalled) for the file as it stands now, if any."""
    try:
        status = os.stat(path, follow_symlinks=False)
    except OSError:
        return None
    return _DIGESTS.get(_identity(path, status))


def read_once(path: Path, keep_up_to: int) -> tuple[str, bytes | None]:
    """The file's sha256 and, if it holds at most ``keep_up_to`` bytes, those very bytes.

    One pass over one open file: what is hashed is what is returned, even while another
    process appends to it. Opened without following a link and without blocking on a fifo,
    and refused unless it is a regular file when opened (it may have changed since listed).
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        raise DeliveryRejected(f"unreadable: {error.strerror}") from None
    with open(fd, "rb", buffering=0) as handle:
        started_ns = time.time_ns()
        before = os.fstat(fd)
        kind = _kind(before.st_mode)
        if kind:
            raise DeliveryRejected(f"not a regular file but a {kind}: never read")
        digest, chunks, size = hashlib.sha256(), [], 0
        try:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
                size += len(block)
                if size <= keep_up_to:
                    chunks.append(block)
                else:
                    chunks.clear()  # over the limit: hashed to the end, never held
        except OSError as error:
            raise DeliveryRejected(f"unreadable: {error.strerror}") from None
        settled = before.st_ctime_ns < started_ns - _SETTLED_NS
        if settled and _identity(path, os.fstat(fd)) == _identity(path, before):  # not written to while read
            _DIGESTS[_identity(path, before)] = digest.hexdigest()
    return digest.hexdigest(), (b"".join(chunks) if size <= keep_up_to else None)


def sha256_of(path: Path) -> str:
    return remembered_digest(path) or read_once(path, keep_up_to=-1)[0]


def scan_landing(landing: Path, digest: bool = True, limits: Limits = LIMITS) -> list[LandedFile]:
    """Every entry under the landing folder, deliveries first in processing order.

    ``digest=False`` leaves ``sha256`` unset so that a delivery is read only once, when it
    is taken (``take_unseen``). A link or special file is never read; nor is a delivery name
    whose version no warehouse column can hold.
    """
    found = []
    for path, kind in _walk(landing):
        file_name = display_name(path.relative_to(landing).as_posix())
        source, month, version = parse_delivery_name(file_name) or (None, None, None)
        problem = f"not a regular file but a {kind}: never followed nor read" if kind else None
        if problem is None and version is not None and version > limits.max_version:
            problem = f"version suffix is larger than {limits.max_version}"
            version = None
        sha256 = None
        if digest and problem is None:
            try:
                sha256 = sha256_of(path)
            except DeliveryRejected as refused:
                problem = str(refused)
        found.append(LandedFile(file_name, path, sha256, source, month, version, problem))
    return sorted(found, key=lambda f: f.order)


def _is_new(landed: LandedFile, seen_files: set, ignored: set) -> bool:
    if landed.is_delivery:
        return (landed.file_name, landed.sha256) not in seen_files
    return landed.file_name not in ignored


def _seen_sets(seen: list[tuple[str, str, str]]) -> tuple[set, set]:
    return {(name, sha) for name, sha, _ in seen}, {name for name, _, status in seen if status == "ignored"}


def unseen_files(files: list[LandedFile], seen: list[tuple[str, str, str]]) -> list[LandedFile]:
    """The files no run has recorded, given dq.deliveries' (file_name, sha256, status) rows.

    A delivery is known by its name and bytes (changed bytes make a new delivery); a
    non-delivery is known by its name alone, so it is reported once whatever its bytes.
    """
    seen_files, ignored = _seen_sets(seen)
    return [f for f in files if _is_new(f, seen_files, ignored)]


def take_unseen(landing: Path, seen: list[tuple[str, str, str]],
                limits: Limits = LIMITS) -> Iterator[tuple[LandedFile, bytes | None]]:
    """Each file no run has recorded, in processing order, with a delivery's bytes read once.

    The sha256 of a delivery is that of the buffer handed on for parsing. A delivery over
    the size limit is hashed to the end but not held, and comes with its ``problem``.
    """
    seen_files, ignored = _seen_sets(seen)
    for landed in scan_landing(landing, digest=False, limits=limits):
        if not landed.is_delivery and landed.file_name in ignored:
            continue  # known by name alone: not even read
        data = None
        known = remembered_digest(landed.path) if landed.problem is None and landed.is_delivery else None
        if known and not _is_new(replace(landed, sha256=known), seen_files, ignored):
            continue  # hashed earlier in this process, and seen by a run: not read again
        if landed.problem is None:
            try:
                sha256, data = read_once(landed.path, limits.max_file_bytes if landed.is_delivery else -1)
                landed = replace(landed, sha256=sha256)
                if landed.is_delivery and data is None:
                    landed = replace(landed, problem=f"file is larger than the limit of {limits.max_file_bytes} bytes")
            except DeliveryRejected as refused:
                landed = replace(landed, problem=str(refused))
        if _is_new(landed, seen_files, ignored):
            yield landed, data


def unseen_bytes(landing: Path, seen: list[tuple[str, str, str]], limits: Limits = LIMITS) -> int:
    """About how many bytes of deliveries are new: the regular delivery files whose names no
    run has recorded (a file changed under a recorded name is not counted: none is read here)."""
    seen_names = {name for name, _, _ in seen}
    total = 0
    for landed in scan_landing(landing, digest=False, limits=limits):
        if landed.is_delivery and landed.problem is None and landed.file_name not in seen_names:
            with contextlib.suppress(OSError):
                total += landed.path.stat().st_size
    return total
