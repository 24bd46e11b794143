"""The monthly publication bundle (shared/contracts/publication.md), as pure Python.

Modules, in the order the figures flow:

- ``reference``: the grid and its order, from the reference seeds;
- ``disclosure``: input checks, rounding and disclosure control (exact cells -> published
  values and markers);
- ``status``: ``[p]`` and ``[r]`` flags and the revisions;
- ``outcomes``: the outcomes file (outcomes.md section 6): its cells, rounding, disclosure
  control and status, and the outcome groups and caveats the spreadsheet and bulletin use;
- ``tables``, ``spreadsheet``, ``bulletin`` (with ``charts``), ``manifest``: the files;
- ``bundle``: the bundle in memory and on disk (previous publication, idempotence, atomic
  write).
"""

from pipelines.publication.bundle import BundleResult, build_bundle, folder_name, write_bundle
from pipelines.publication.disclosure import PublishedCell, disclose, round_half_away

__all__ = [
    "BundleResult",
    "PublishedCell",
    "build_bundle",
    "disclose",
    "folder_name",
    "round_half_away",
    "write_bundle",
]
