"""Independent check of the warehouse: a hand-made landing folder and a plain-Python oracle.

Nothing in this package imports ``pipelines`` or the project's generator. It is written
from ``shared/contracts/source-extracts.md``, ``methodology.md`` and ``publication.md``
only, so that the end-to-end test can compare our pipeline against a second, separately
made reading of the contracts.

Modules
-------
``landing``  ``build_landing(root, stage=1) -> Expected`` writes the landing folder of a
             stage (1: months 2026-01..2026-10; 2: adds 2026-11 and the re-deliveries) and
             returns what it implies, computed *by construction* (each fault was placed
             on purpose, so each row's fate is known; the files are never read back).
             ``expected_loaded_rows(stage)`` gives the rows in force without writing.
``oracle``   ``expected_measures(loaded, deliveries, up_to_period, detail=False)``: the
             methodology's complete grid; ``published_cells(cells, previous, latest_period)``:
             the rows of ``checkpoint_measures_P.csv``; ``revisions(rows, previous_rows)``:
             the rows of ``revisions_P.csv``; ``held_back(loaded)``: kept rows waiting for
             a key.

``Expected``
------------
- ``files``: ``{file_name: FileExpectation}`` for every file written, ``file_name`` the
  path relative to the landing folder (posix). ``FileExpectation`` has ``source``,
  ``month`` ('YYYY-MM'), ``version`` (1 without suffix), ``status`` (``accepted``,
  ``rejected``, ``superseded``, ``duplicate``, ``ignored``), and ``rows_read``,
  ``rows_loaded``, ``rows_quarantined``, ``rows_duplicate`` (None for rejected, duplicate
  and ignored files, kept for superseded ones), and ``note`` (the faults placed in it).
  For ignored files ``source``/``month``/``version`` are None here; the contract lets
  ``dq.deliveries`` leave them NULL or fill them, so do not compare them.
- ``loaded``: ``{"arrests", "custody", "contracts", "sessions"}`` -> list of dicts, typed
  (``datetime.date``/``datetime.datetime``, ints, floats, None for empty optional
  values, upper-case codes, ``'Y'``/``'N'``, ``outcome_code`` as text such as ``'22'``).
  ``arrests`` holds every loaded record version plus derived ``age_at_arrest``,
  ``offence_group``, ``ethnicity_group`` (and the personal columns, which the warehouse
  must NOT hold: compare only the others). ``custody``: records in force; ``contracts``:
  latest loaded row per contract; ``sessions``: latest loaded row per identity.
  Orphans are included (they are loaded rows); ``oracle.held_back`` lists them.
- ``accepted_deliveries()``: ``[(source, month)]`` with an accepted delivery.
- ``latest_period``: latest month with an accepted delivery of all three sources for that
  month (what ``run`` publishes by default): ``2026-10`` at stage 1, ``2026-11`` at 2.
- ``special``: names of deliberately placed cases -> key (e.g. ``leap_17`` -> arrest_id).
- ``deliveries_rows()``, ``by_status(status)``: convenience views.

Oracle results
--------------
``expected_measures(..., detail=False)`` -> ``{(period, measure, breakdown, category):
float | None}`` (exact; rates as unrounded percentages; None for ``[x]``, a rate with
denominator 0 and a median over nothing), i.e. what ``marts.monthly_measures`` should
hold. ``detail=True`` -> ``{key: Cell}`` with ``value``, ``missing``, ``count``,
``numerator``, ``denominator``, ``n_values``, ``values``, ``any_active``; pass that to
``published_cells``. Rows are ``(period, measure, breakdown, category, value, marker,
status)`` strings in publication.md order; ``measures_csv_text(rows)`` gives the exact
file text. ``previous`` may be rows, a ``{key: (value, marker)}`` dict or a CSV path.

Example (the end-to-end test)
-----------------------------
::

    from tests.independent import build_landing, expected_measures, published_cells

    exp1 = build_landing(tmp_path / "landing", stage=1)
    # checkpoint-warehouse run --landing tmp_path/landing --home tmp_path/home  (exit 2:
    # stage 1 holds rejected deliveries)
    for name, f in exp1.files.items():
        row = dq_deliveries[name]          # from warehouse.duckdb, by file_name
        assert row.status == f.status
        assert (row.rows_read, row.rows_loaded, row.rows_quarantined,
                row.rows_duplicate) == (f.rows_read, f.rows_loaded,
                                        f.rows_quarantined, f.rows_duplicate)
    cells1 = expected_measures(exp1.loaded, exp1.accepted_deliveries(),
                               exp1.latest_period, detail=True)
    for key, cell in cells1.items():      # compare with marts.monthly_measures
        assert mart[key] == pytest.approx(cell.value) if cell.value is not None \\
            else mart[key] is None
    rows1 = published_cells(cells1, latest_period=exp1.latest_period)
    # == the rows of publications/2026-10/checkpoint_measures_2026-10.csv

    exp2 = build_landing(tmp_path / "landing", stage=2)   # adds files, same bytes
    # run again on the same home
    cells2 = expected_measures(exp2.loaded, exp2.accepted_deliveries(), "2026-11",
                               detail=True)
    rows2 = published_cells(cells2, previous=rows1, latest_period="2026-11")
    # == publications/2026-11/checkpoint_measures_2026-11.csv; and
    # revisions(rows2, rows1) == the rows of revisions_2026-11.csv

Outcomes (outcomes.md) need years of data, so they have their own landing and oracle:
``outcomes_landing.build_outcomes_landing(root, stage)`` (2023-01 .. 2025-07, then
2025-08 with a late RMS month and a corrected custody month) and
``outcomes_oracle.expected_outcomes(loaded, deliveries, period)`` /
``published_outcomes(cells, period, previous)`` (``tests/test_outcomes_end_to_end.py``).

Stage 2 gives the same expectations whether the folder is ingested once (stage 2 only)
or twice (stage 1, then stage 2 on the same home): no stage-2 file interacts with a file
processed after it in a different order.

Import as ``tests.independent`` (with the project root on ``sys.path``, as the other
tests do) or as ``independent`` (pytest's rootdir insertion); the modules use relative
imports only.
"""
from .landing import (Expected, FileExpectation, build_landing, expected_loaded_rows,
                      landing_bytes)
from .oracle import (Cell, expected_measures, expected_publication, grid_keys, held_back,
                     measures_csv_text, published_cells, revisions)

__all__ = [
    "Expected", "FileExpectation", "build_landing", "expected_loaded_rows",
    "landing_bytes", "Cell", "expected_measures", "expected_publication", "grid_keys",
    "held_back", "measures_csv_text", "published_cells", "revisions",
]
