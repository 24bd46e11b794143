"""The part of a delivery's ingest that needs only its bytes, done one delivery ahead in a
process of its own, so that both cores work on a long landing.

Reading, the contract's checks, row digests and the digests of personal values depend on a
delivery alone. What depends on the deliveries before it (the rows they loaded, the personal
values they held) and the load itself stay with the process that owns the build database,
in delivery order, so every delivery's fate is decided exactly as if one process did all.
While that process loads a delivery, the worker prepares the next.
"""

from __future__ import annotations

import multiprocessing
import pickle
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from pipelines.contracts import load_contract
from pipelines.ingest.discovery import LandedFile
from pipelines.ingest.readers import DeliveryRejected, read_delivery
from pipelines.ingest.screening import ScreenCandidates, personal_digests, personal_key, screen_candidates
from pipelines.ingest.validate import CheckedSheet, check_header, check_sheet, reference_connection

# A landing this large (bytes of unseen deliveries) is worth a second process: below it,
# starting one (about 2 s of imports) costs more than it saves.
PREPARE_AHEAD_FROM_BYTES = 64 * 1024 * 1024


@dataclass
class PreparedDelivery:
    """A delivery read and checked, or the reason it is refused whole."""
    rejection: str | None = None
    personal_digests: frozenset[str] = frozenset()  # of every sheet: remembered before any is screened
    sheets: tuple[tuple[CheckedSheet, ScreenCandidates], ...] = ()


def prepare_delivery(landed: LandedFile, data: bytes | None, secret: bytes, row_digest_key: bytes) -> PreparedDelivery:
    """Everything about one delivery that its bytes alone decide."""
    if landed.problem or data is None:
        return PreparedDelivery(rejection=landed.problem or "unreadable")
    contract = load_contract(landed.source)
    try:
        sheets = read_delivery(data, contract)
        for sheet in sheets:  # every header is checked before any row work: a bad one rejects all
            check_header(sheet, contract.table(sheet.table))
    except DeliveryRejected as rejection:
        return PreparedDelivery(rejection=str(rejection))
    personal = personal_key(secret)
    reference = reference_connection()
    try:
        return PreparedDelivery(
            personal_digests=frozenset().union(
                *(personal_digests(sheet, contract.table(sheet.table), personal) for sheet in sheets)),
            sheets=tuple((check_sheet(sheet, contract.table(sheet.table), landed.month, row_digest_key, reference),
                          screen_candidates(sheet, contract.table(sheet.table), personal))
                         for sheet in sheets))
    finally:
        reference.close()


def able_to_cross(error: BaseException) -> BaseException:
    """The error itself if another process can rebuild it from a pickle (some exception
    classes pickle but cannot be rebuilt), else an error that tells it by its type alone."""
    try:
        pickle.loads(pickle.dumps(error))
        return error
    except Exception:  # noqa: BLE001 - whatever stops it crossing
        return RuntimeError(f"ingest failed: {type(error).__name__}")


def _worker(channel, secret: bytes, row_digest_key: bytes) -> None:
    from pipelines.ingest.load import cyclic_gc_paused

    try:
        while True:
            landed, data = channel.recv()
            try:
                with cyclic_gc_paused():
                    answer = ("prepared", prepare_delivery(landed, data, secret, row_digest_key))
            except Exception as error:  # noqa: BLE001 - raised again where the delivery is loaded
                answer = ("error", able_to_cross(error))
            channel.send(answer)
    except (EOFError, BrokenPipeError):  # the ingest process has finished, or died
        return
    finally:
        channel.close()


class Delivery:
    """A landed file, its bytes, and its preparation: made when first asked for, unless the
    worker made it already."""

    def __init__(self, landed: LandedFile, data: bytes | None, secret: bytes, row_digest_key: bytes):
        self.landed, self.data = landed, data
        self._secret, self._row_digest_key = secret, row_digest_key
        self.made: PreparedDelivery | None = None

    def prepared(self) -> PreparedDelivery:
        if self.made is None:
            self.made = prepare_delivery(self.landed, self.data, self._secret, self._row_digest_key)
        return self.made


def in_order(files: Iterable[tuple[LandedFile, bytes | None]], secret: bytes, row_digest_key: bytes,
             ahead: bool, worth_preparing: Callable[[LandedFile], bool]) -> Iterator[Delivery]:
    """Each file in order, its preparation made when asked for or, with ``ahead``, by a worker
    process while the caller loads the file before it. ``worth_preparing`` says, as a file is
    taken, whether the caller is likely to ask (not for a file seen before)."""
    if not ahead:
        for landed, data in files:
            yield Delivery(landed, data, secret, row_digest_key)
        return
    context = multiprocessing.get_context("spawn")
    channel, worker_end = context.Pipe(duplex=True)
    worker = context.Process(target=_worker, args=(worker_end, secret, row_digest_key),
                             name="checkpoint-ingest-prepare", daemon=True)
    worker.start()
    worker_end.close()
    files = iter(files)
    waiting: deque[tuple[Delivery, bool]] = deque()  # taken, in order; True: sent to the worker

    def send_next() -> None:
        # Take files up to the next one worth preparing and send that one. One file at a time:
        # the worker's answer is read before another is sent, so neither process ever waits
        # on the other to read a large message while itself sending one.
        for landed, data in files:
            sent = worth_preparing(landed)
            if sent:
                channel.send((landed, data))
            waiting.append((Delivery(landed, data, secret, row_digest_key), sent))
            if sent:
                return

    def answer() -> PreparedDelivery:
        try:
            kind, value = channel.recv()
        except EOFError:
            worker.join()
            raise ChildProcessError(f"the prepare process ended (exit code {worker.exitcode})") from None
        if kind == "error":
            raise value
        return value

    try:
        send_next()
        while waiting:
            delivery, sent = waiting.popleft()
            if sent:
                delivery.made = answer()
                send_next()  # the worker prepares the next while this one loads
            yield delivery
    finally:
        channel.close()  # the worker reads the end of its input and returns
        worker.join(timeout=60)
        if worker.is_alive():
            worker.terminate()
            worker.join()
