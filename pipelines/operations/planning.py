"""What a run has to do, decided from the landing folder and the last published warehouse."""


from pathlib import Path

from pipelines.ingest.discovery import LandedFile, recall_digests, scan_landing, unseen_files
from pipelines.settings import Home
from pipelines.warehouse.queries import complete_months, seen_deliveries

__all__ = ["complete_months", "needs_full_run", "pending_files"]


def pending_files(landing: Path, home: Home) -> list[LandedFile]:
    """Files in the landing folder that no completed run has seen (those seen before are
    known by the digests ingest kept, not read again)."""
    recall_digests(home.landing_digests)
    return unseen_files(scan_landing(landing), seen_deliveries(home))


def needs_full_run(landing: Path, home: Home) -> bool:
    return not home.warehouse_db.exists() or bool(pending_files(landing, home))
