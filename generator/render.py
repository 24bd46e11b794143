"""Render the simulated world into the clean content of each month's deliveries.

Why separate from faults: a clean rendering is the "expected" side of every test (what a
perfect upstream would send). Column names and order come from the contracts, so a column
added to a contract and not to the generator fails here, loudly, instead of drifting.

CSV sources are rendered as text (the exact strings that will be written); the workbook as
typed Python values (``datetime.date`` for date cells, ``float`` for hours), because typed
cells versus typed text is itself part of what the workbook sends.

Rows are rendered a month at a time, by their positions in the world's frames (see the
``*_months`` functions): the whole period as text would not fit in memory at national scale
(ten years of RMS versions are some 18 million rows of 18 strings each).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.contracts import load_contract
from generator.dates import dmy_hm, iso_date, iso_seconds, month_end, month_of
from generator.population import World, column_at as _take


def contract_columns(source: str, table: str) -> list[str]:
    return load_contract(source).table(table).column_names


def _frame(source: str, table: str, values: dict) -> pd.DataFrame:
    """Order columns as the contract declares them; fail if the two disagree."""
    cols = contract_columns(source, table)
    missing, extra = set(cols) - set(values), set(values) - set(cols)
    if missing or extra:
        raise ValueError(f"{source}.{table}: generator and contract disagree: "
                         f"missing {sorted(missing)}, unknown {sorted(extra)}")
    return pd.DataFrame({c: values[c] for c in cols})


def _text(values) -> np.ndarray:
    """None/NaN -> '' and everything else str, as an object array."""
    s = pd.Series(values, dtype=object)
    return s.where(s.notna(), "").astype(str).to_numpy(object)


def rms_months(world: World) -> np.ndarray:
    """Delivery month of each record version (the month it was written in), by position."""
    return month_of(world.versions["updated_at"].to_numpy())


def rms_text(world: World, rows) -> pd.DataFrame:
    """The record versions at positions ``rows`` of ``world.versions``, as RMS text."""
    v = world.versions
    i = _take(v, "arrest_idx", rows)
    a = world.arrests
    p = world.persons
    pi = _take(a, "person_idx", i)
    has_outcome = _take(v, "has_outcome", rows)
    expunged = _take(v, "expunged", rows)
    t_exp = _take(a, "t_expunge", i)
    values = {
        "arrest_id": world.arrest_ids(i),
        "record_version": pd.Series(_take(v, "record_version", rows)).astype(str).to_numpy(object),
        "updated_at": iso_seconds(_take(v, "updated_at", rows)),
        "force_code": _take(a, "force_code", i),
        "person_id": world.person_ids(pi),
        "surname": _take(p, "surname", pi),
        "forenames": _take(p, "forenames", pi),
        "date_of_birth": iso_date(_take(p, "date_of_birth", pi)),
        "sex": _take(p, "sex", pi),
        "ethnicity_code": _take(v, "ethnicity_code", rows),
        "arrest_datetime": iso_seconds(_take(a, "arrest_datetime", i)),
        "offence_code": _take(a, "offence_code", i),
        "drug_class": _text(_take(a, "drug_class", i)),
        "station_code": _take(a, "station_code", i),
        "outcome_code": np.where(has_outcome, _text(_take(a, "outcome_code", i)), "").astype(object),
        "outcome_date": np.where(has_outcome, iso_date(_take(a, "outcome_date", i)), "").astype(object),
        "record_status": np.where(expunged, "EXPUNGED", "ACTIVE").astype(object),
        "expunged_date": np.where(expunged, iso_date(t_exp), "").astype(object),
    }
    return _frame("rms", "arrests", values).reset_index(drop=True)


def custody_months(world: World) -> np.ndarray:
    """Delivery month of each custody record (the month it was booked in), by position."""
    return month_of(world.custody["booked_in"].to_numpy())


def custody_text(world: World, rows) -> pd.DataFrame:
    """The custody records at positions ``rows`` of ``world.custody``, as custody text."""
    c = world.custody
    yn = lambda b: np.where(b, "Y", "N").astype(object)  # noqa: E731
    values = {
        "custody_ref": world.custody_refs(rows),
        "arrest_id": world.arrest_ids(_take(c, "arrest_idx", rows)),
        "custody_suite": _take(c, "custody_suite", rows),
        "booked_in": dmy_hm(_take(c, "booked_in", rows)),
        "released": dmy_hm(_take(c, "released", rows)),
        "gravity_score": pd.Series(_take(c, "gravity_score", rows)).astype(str).to_numpy(object),
        "checkpoint_eligible": yn(_take(c, "checkpoint_eligible", rows)),
        "ineligible_reason": _text(_take(c, "ineligible_reason", rows)),
        "checkpoint_offered": yn(_take(c, "checkpoint_offered", rows)),
        "offer_response": _text(_take(c, "offer_response", rows)),
        "custody_disposal": _take(c, "custody_disposal", rows),
    }
    return _frame("custody", "custody", values).reset_index(drop=True)


def _dates(values) -> np.ndarray:
    """datetime64 -> datetime.date objects (None for NaT): real date cells in the workbook."""
    return np.asarray(values).astype("datetime64[D]").astype(object)


def contracts_snapshot(world: World, month) -> pd.DataFrame:
    """The Contracts sheet as at the end of ``month``: every contract started by then."""
    end = month_end(month)[()]
    k = world.contracts
    k = k[k["start_date"].to_numpy() <= end]
    ended = k["status_date"].to_numpy() <= end
    status = np.where(ended, k["final_status"].to_numpy(), "ACTIVE").astype(object)
    values = {
        "contract_ref": k["contract_ref"].to_numpy(),
        "custody_ref": k["custody_ref"].to_numpy(),
        "start_date": _dates(k["start_date"].to_numpy()),
        "planned_end_date": _dates(k["planned_end_date"].to_numpy()),
        "status": status,
        "status_date": np.where(ended, _dates(k["status_date"].to_numpy()), None),
        "failure_reason": np.where(ended, k["failure_reason"].to_numpy(), None),
    }
    frame = _frame("programme", "contracts", values).reset_index(drop=True)
    frame["failure_reason"] = frame["failure_reason"].astype(object).where(frame["failure_reason"].notna(), None)
    return frame


def sessions_months(world: World) -> np.ndarray:
    """Workbook month of each session (the month it was recorded in), by position."""
    return month_of(world.sessions["recorded_date"].to_numpy())


def sessions_text(world: World, rows) -> pd.DataFrame:
    """The Sessions sheet rows at positions ``rows`` of ``world.sessions``."""
    s = world.sessions
    values = {
        "contract_ref": _take(s, "contract_ref", rows),
        "session_date": _dates(_take(s, "session_date", rows)),
        "session_type": _take(s, "session_type", rows),
        "attendance": _take(s, "attendance", rows),
        "hours": _take(s, "hours", rows).astype(float).astype(object),
    }
    return _frame("programme", "sessions", values).reset_index(drop=True)
