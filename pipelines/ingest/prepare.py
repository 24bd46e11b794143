"""The part of a delivery's ingest that needs only its bytes, done ahead in worker
processes, so that both cores work on a long landing.

Reading, the contract's checks, row digests and the digests of personal values depend on a
delivery alone. What depends on the deliveries before it (the rows they loaded, the personal
values they held) and the load itself stay with the process that owns the build database,
in delivery order, so every delivery's fate is decided exactly as if one process did all.
While that process loads a delivery, each worker prepares one of the next.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import multiprocessing
import os
import pickle
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from pipelines.contracts import SOURCES, Table, load_contract
from pipelines.ingest.discovery import LandedFile
from pipelines.ingest.expectations import GateFinding, gate_frame, gx, gx_findings_of_each, suite_definition, suite_name
from pipelines.ingest.readers import DeliveryRejected, RawSheet, read_delivery
from pipelines.ingest.screening import ScreenCandidates, personal_digests, personal_key, screen_candidates
from pipelines.ingest.validate import (
    CheckedSheet,
    check_header,
    check_sheet,
    coded_as_categories,
    reference_connection,
    warehouse_rows,
)

# A landing this large (bytes of unseen deliveries) is worth worker processes: below it,
# starting them (about 2 s of imports each) costs more than they save.
PREPARE_AHEAD_FROM_BYTES = 64 * 1024 * 1024
# Preparing is most of a delivery's work (a national month: about 5.7 s of 6.7 s, plus 0.9 s
# to send it across), so one worker would only move the wait: two keep two cores busy.
PREPARE_WORKERS = 2 if (os.cpu_count() or 1) >= 2 else 0
# Deliveries this small in all, in one process, are prepared together (``_in_groups``), so
# that GX validates each suite once for them all: GX spends about 0.13 s per validation
# whatever its rows, which was half of a force's first load's ingest (43 deliveries). Their
# preparations are held together, so the bytes are few.
PREPARED_TOGETHER_BYTES = 16 * 1024 * 1024
# A workbook this large is prepared alone (``prepared_alone``): a worker preparing one holds
# about a hundred times its size.
WORKBOOK_PREPARED_ALONE_FROM_BYTES = 4 * 1024 * 1024


@dataclass
class PreparedSheet:
    checked: CheckedSheet
    screen: ScreenCandidates
    # The GX gate run on every checked row; the rows that load are a subset, decided later
    # (``expectations.results_on_rows``). None until gated, when gated with other deliveries'
    # sheets (``gate_together``).
    gate: tuple[GateFinding, ...] | None


@dataclass
class PreparedDelivery:
    """A delivery read and checked, or the reason it is refused whole."""
    rejection: str | None = None
    personal_digests: frozenset[str] = frozenset()  # of every sheet: remembered before any is screened
    sheets: tuple[PreparedSheet, ...] = ()


def prepare_sheet(sheet: RawSheet, table: Table, landed: LandedFile, secret: bytes, row_digest_key: bytes,
                  personal: bytes, reference) -> PreparedSheet:
    """A sheet checked and screened, not yet gated (``gate_together``); its checked rows
    handed on as the warehouse would hold them (``warehouse_rows``, codes as categoricals):
    what is left to do with them needs no personal value, so none crosses to the loading
    process."""
    checked = check_sheet(sheet, table, landed.month, row_digest_key, reference)
    rows = coded_as_categories(warehouse_rows(checked.checked, table, secret), table)
    checked = dataclasses.replace(checked, checked=rows)
    return PreparedSheet(checked, screen_candidates(sheet, table, personal), None)


def gate_together(sheets: list[tuple[LandedFile, PreparedSheet]]) -> None:
    """Run the GX gate on every checked row of these sheets, one GX validation per suite
    (``gx_findings_of_each``). The gate sees no personal column: the warehouse's rows serve
    it as well."""
    by_suite: dict[str, tuple[dict, Table, list[PreparedSheet]]] = {}
    for landed, sheet in sheets:
        sheet.gate = ()
        if sheet.checked.checked.empty:
            continue
        table = sheet.checked.table
        name = suite_name(landed.source, table)
        if name not in by_suite:
            by_suite[name] = (suite_definition(landed.source, table), table, [])
        by_suite[name][2].append(sheet)
    for suite, table, group in by_suite.values():
        frames = [gate_frame(table, sheet.checked.checked) for sheet in group]
        for sheet, findings in zip(group, gx_findings_of_each(suite, table, frames), strict=True):
            sheet.gate = tuple(findings)


def prepare_delivery(landed: LandedFile, data: bytes | None, secret: bytes, row_digest_key: bytes,
                     gate: bool = True) -> PreparedDelivery:
    """Everything about one delivery that its bytes alone decide (without ``gate``, all but
    the GX gate: ``gate_together``)."""
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
        prepared = PreparedDelivery(
            personal_digests=frozenset().union(
                *(personal_digests(sheet, contract.table(sheet.table), personal) for sheet in sheets)),
            sheets=tuple(prepare_sheet(sheet, contract.table(sheet.table), landed, secret, row_digest_key, personal,
                                       reference)
                         for sheet in sheets))
    finally:
        reference.close()
    if gate:
        gate_together([(landed, sheet) for sheet in prepared.sheets])
    return prepared


def able_to_cross(error: BaseException) -> BaseException:
    """The error itself if another process can rebuild it from a pickle (some exception
    classes pickle but cannot be rebuilt), else an error that tells it by its type alone."""
    try:
        pickle.loads(pickle.dumps(error))
        return error
    except Exception:  # noqa: BLE001 - whatever stops it crossing
        return RuntimeError(f"ingest failed: {type(error).__name__}")


@contextlib.contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cycle collector while a delivery is read and validated.

    A national month is millions of small objects (rows, fields, tuples) that all stay
    alive until the delivery is loaded; each collection the allocations trigger walks all of
    them again, which made building a list of half a million tuples 15 times slower. Reference
    counting still frees what is dropped; the few cycles wait for the collector's next turn
    (a full collection after each delivery walked every module GX had loaded, each time).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _worker(channel, secret: bytes, row_digest_key: bytes) -> None:
    # Every delivery runs the GX gate: GX is imported once, and what the imports made is left
    # out of the collections below (a full collection walked every module GX loaded: 0.15 to
    # 0.35 s each, 0.01 s frozen).
    gx()
    gc.freeze()
    try:
        while True:
            landed, data = channel.recv()
            with cyclic_gc_paused():  # pickling a national month with the collector on took twice as long
                try:
                    answer = ("prepared", prepare_delivery(landed, data, secret, row_digest_key))
                except Exception as error:  # noqa: BLE001 - raised again where the delivery is loaded
                    answer = ("error", able_to_cross(error))
                channel.send(answer)
            # Held until the next answer replaced it, a delivery's rows lived on through the
            # next one's preparation; and cycles (GX's validators among them) keep a
            # delivery's frames until a full collection, which the paused collector rarely
            # reaches. Ten national years: workers grew to 1.35 GiB each; five RMS months
            # prepared in one process left 718 MiB held, 519 MiB with a collection after each.
            del answer, data
            gc.collect()
    except (EOFError, BrokenPipeError):  # the ingest process has finished, or died
        return
    finally:
        channel.close()


class Delivery:
    """A landed file, its bytes, and its preparation: made when first asked for (with the
    rest of its ``group``), unless a worker made it already."""

    def __init__(self, landed: LandedFile, data: bytes | None, secret: bytes, row_digest_key: bytes):
        self.landed, self.data = landed, data
        self._secret, self._row_digest_key = secret, row_digest_key
        self.made: PreparedDelivery | None = None
        self.error: Exception | None = None  # raised when it is asked for
        self.worth = False  # to be prepared ahead, by a worker or with its group (``in_order``)
        self.worker: _Worker | None = None  # the worker it was sent to
        self.group: list[Delivery] = [self]  # the deliveries prepared when any is asked for

    def prepared(self) -> PreparedDelivery:
        if self.made is None and self.error is None:
            prepare_together(self.group)
        if self.error is not None:
            raise self.error
        return self.made

    def release(self) -> None:
        """Drop its bytes and preparation once it is loaded: the caller's loop still holds it
        while the next delivery's preparation is received (a national month: hundreds of MB)."""
        self.data = self.made = None

    def prepared_ungated(self) -> PreparedDelivery:
        return prepare_delivery(self.landed, self.data, self._secret, self._row_digest_key, gate=False)


def prepare_together(deliveries: list[Delivery]) -> None:
    """Prepare each of ``deliveries`` not yet prepared, then gate all their sheets together
    (``gate_together``). An error preparing one is kept, to be raised when it is asked for,
    where it would have been raised had each been prepared alone."""
    made = []
    for delivery in (d for d in deliveries if d.made is None and d.error is None):
        try:
            delivery.made = delivery.prepared_ungated()
            made.append(delivery)
        except Exception as error:  # noqa: BLE001 - raised where the delivery is loaded
            delivery.error = error
    gate_together([(d.landed, sheet) for d in made for sheet in d.made.sheets])


@dataclass(eq=False)  # a worker is itself, whatever its fields: a key of in_flight
class _Worker:
    process: multiprocessing.process.BaseProcess
    channel: object  # the parent's end of a duplex pipe

    def answer(self) -> PreparedDelivery:
        try:
            with cyclic_gc_paused():  # its millions of objects, rebuilt
                kind, value = self.channel.recv()
        except EOFError:
            self.process.join()
            raise ChildProcessError(f"a prepare process ended (exit code {self.process.exitcode})") from None
        if kind == "error":
            raise value
        return value

    def stop(self) -> None:
        if self.channel.closed:
            return
        self.channel.close()  # the worker reads the end of its input and returns
        self.process.join(timeout=60)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join()


def _start_worker(secret: bytes, row_digest_key: bytes) -> _Worker:
    context = multiprocessing.get_context("spawn")
    channel, worker_end = context.Pipe(duplex=True)
    process = context.Process(target=_worker, args=(worker_end, secret, row_digest_key),
                              name="checkpoint-ingest-prepare", daemon=True)
    process.start()
    worker_end.close()
    return _Worker(process, channel)


def prepared_alone(delivery: Delivery) -> bool:
    """Whether a delivery is prepared while no other is, by a worker that has prepared
    nothing else: a large workbook, whose cells become Python objects many times its size
    (ten national years: a 13 MB snapshot of every contract took a worker to 1.3 GiB; with two
    such workers beside the loading process, ingest went over 4 GiB). A smaller one (a
    national year's are under 2 MB) is prepared beside another delivery, like a CSV."""
    landed = delivery.landed
    return (landed.source in SOURCES and _format_of(landed.source) == "xlsx"
            and len(delivery.data or b"") >= WORKBOOK_PREPARED_ALONE_FROM_BYTES)


def may_prepare_beside(in_flight: list[Delivery], delivery: Delivery) -> bool:
    """Whether ``delivery`` may be prepared while ``in_flight`` are."""
    return not in_flight or not (prepared_alone(delivery) or any(map(prepared_alone, in_flight)))


@functools.cache
def _format_of(source: str) -> str:
    return load_contract(source).format


def in_order(files: Iterable[tuple[LandedFile, bytes | None]], secret: bytes, row_digest_key: bytes,
             workers: int, worth_preparing: Callable[[LandedFile], bool]) -> Iterator[Delivery]:
    """Each file in order, its preparation made when asked for or, with ``workers`` > 0, by
    worker processes, each preparing one of the next files while the caller loads this one
    (a large workbook only while no other file is being prepared: ``prepared_alone``).
    ``worth_preparing`` says, as a file is taken, whether the caller is likely to ask (not for
    a file seen before)."""
    if workers < 1:
        yield from _in_groups(files, secret, row_digest_key, worth_preparing)
        return
    started: list[_Worker] = []
    files = iter(files)
    taken: deque[Delivery] = deque()  # in order; those worth preparing have a ``worker`` once sent
    in_flight: dict[_Worker, Delivery] = {}
    free: deque[_Worker] = deque()

    def may_send(delivery: Delivery) -> bool:
        return bool(free) and may_prepare_beside(list(in_flight.values()), delivery)

    def send_ahead() -> None:
        # Send files in order while a worker is free and the memory rule allows, taking files
        # up to the next one worth preparing. A worker is sent a file only once its last answer
        # has been read, so no two processes ever wait on each other to read a large message
        # while each is sending one.
        while True:
            unsent = next((d for d in taken if d.worth and d.worker is None), None)
            if unsent is None:
                for landed, data in files:
                    taken.append(Delivery(landed, data, secret, row_digest_key))
                    taken[-1].worth = worth_preparing(landed)
                    if taken[-1].worth:
                        unsent = taken[-1]
                        break
            if unsent is None or not may_send(unsent):
                return
            if prepared_alone(unsent) and len(free) > 1:
                # From here on one worker is enough, and a fresh one holds none of the memory
                # the others kept from the files before (deliveries come source by source).
                for worker in free:
                    worker.stop()
                free.clear()
                started.append(_start_worker(secret, row_digest_key))
                free.append(started[-1])
            unsent.worker = free.popleft()
            unsent.worker.channel.send((unsent.landed, unsent.data))
            in_flight[unsent.worker] = unsent

    try:
        started += [_start_worker(secret, row_digest_key) for _ in range(workers)]
        free += started  # all started before any is sent a file: each takes seconds to import
        send_ahead()
        while taken:
            delivery = taken[0]
            if delivery.worth:
                if delivery.worker is None:
                    send_ahead()  # nothing before it is in flight: it goes now
                delivery.made = delivery.worker.answer()
                del in_flight[delivery.worker]
                free.append(delivery.worker)
            taken.popleft()
            send_ahead()  # a freed worker prepares a next file while this one loads
            yield delivery
    finally:
        for worker in started:
            worker.stop()


def _in_groups(files: Iterable[tuple[LandedFile, bytes | None]], secret: bytes, row_digest_key: bytes,
               worth_preparing: Callable[[LandedFile], bool]) -> Iterator[Delivery]:
    """Each file in order, in one process. Consecutive files up to ``PREPARED_TOGETHER_BYTES``
    in all are taken before the first is handed on, and those worth preparing are prepared
    together when the first is asked for (``prepare_together``); a large workbook is
    prepared alone (``prepared_alone``)."""
    taken: list[Delivery] = []
    taken_bytes = 0

    def handed_on() -> list[Delivery]:
        group = [d for d in taken if d.worth]
        for delivery in group:
            delivery.group = group
        return taken

    for landed, data in files:
        delivery = Delivery(landed, data, secret, row_digest_key)
        delivery.worth = worth_preparing(landed)
        size = len(data or b"")
        if taken and (taken_bytes + size > PREPARED_TOGETHER_BYTES
                      or prepared_alone(delivery) or prepared_alone(taken[-1])):
            yield from handed_on()
            taken, taken_bytes = [], 0
        taken.append(delivery)
        taken_bytes += size
    yield from handed_on()

