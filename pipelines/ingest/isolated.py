"""Run ingest in a process of its own, so that the memory it used is given back when it ends.

What ingest allocates, freed, mostly stayed with the process: 1.6 GiB after ten national
years, not live objects (a full collection and ``malloc_trim`` gave back little; runs without
the GX gate kept a third as much). A run's later steps (dbt in a subprocess, the analyst
file) then came on top of it, over the 4 GiB target. A spawned child ends and returns all
of it; each delivery's result comes back as soon as it is recorded, so the run's progress
is unchanged.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from pathlib import Path

from pipelines.ingest.load import DeliveryResult, IngestReport, ingest_landing
from pipelines.ingest.prepare import able_to_cross


class IngestProcessDied(ChildProcessError):
    """The ingest process ended without a report (killed, or out of memory)."""


def _child(channel, landing: Path, build_db: Path, restricted_db: Path, secret: bytes, spill: Path | None,
           digests: Path | None) -> None:
    try:
        report = ingest_landing(landing, build_db, restricted_db, secret, spill,
                                on_result=lambda result: channel.send(("result", result)), digests=digests)
        channel.send(("report", report))
    except BaseException as error:  # noqa: BLE001 - handed to the parent, which raises it
        channel.send(("error", able_to_cross(error)))
    finally:
        channel.close()


def ingest_landing_isolated(landing: Path, build_db: Path, restricted_db: Path, secret: bytes,
                            spill: Path | None = None,
                            on_result: Callable[[DeliveryResult], None] | None = None,
                            digests: Path | None = None) -> IngestReport:
    """``ingest_landing`` in a spawned child process: the same report, results and errors."""
    context = multiprocessing.get_context("spawn")
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(sending, landing, build_db, restricted_db, secret, spill, digests),
                            name="checkpoint-ingest")
    child.start()
    sending.close()  # the child holds the only sending end: its exit ends the parent's wait
    try:
        while True:
            try:
                kind, value = receiving.recv()
            except EOFError:
                child.join()
                raise IngestProcessDied(f"the ingest process ended without a report (exit code {child.exitcode})") from None
            if kind == "result":
                if on_result is not None:
                    on_result(value)
            elif kind == "report":
                return value
            else:
                raise value
    finally:
        receiving.close()
        # Having sent its last word, the child is on its way out: it is let finish (stopping it
        # then would leave its locks to be reported as leaked), and stopped only if it hangs
        # or the parent itself is being stopped.
        child.join(timeout=60)
        if child.is_alive():
            child.terminate()
            child.join()
