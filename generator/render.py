"""Render the simulated world into the clean content of each month's deliveries.

Why separate from faults: a clean rendering is the "expected" side of every test (what a
perfect upstream would send). Column names and order come from the contracts, so a column
added to a contract and not to the generator fails here, loudly, instead of drifting.

CSV sources are rendered as text (the exact strings that will be written); the workbook as
typed Python values (``datetime.date`` for date cells, ``float`` for hours), because typed
cells versus typed text is itself part of what the workbook sends.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.contracts import load_contract
from generator.dates import dmy_hm, iso_date, iso_seconds, month_end, month_of
from generator.population import World


def contract_columns(source: str, table: str) -> list[str]:
    return load_contract(source).table(table).column_names


def _frame(source: str, table: str, values: dict) -> pd.DataFrame:
    """Order columns as the contract declares them; fail if the two disagree."""
    cols = contract_columns(source, table)
    missing, extra = set(cols) - set(values), set(values) - set(cols) - {"_month"}
    if missing or extra:
        raise ValueError(f"{source}.{table}: generator and contract disagree: "
                         f"missing {sorted(missing)}, unknown {sorted(extra)}")
    return pd.DataFrame({c: values[c] for c in [*cols, "_month"] if c in values})


def _text(values) -> np.ndarray:
    """None/NaN -> '' and everything else str, as an object array."""
    s = pd.Series(values, dtype=object)
    return s.where(s.notna(), "").astype(str).to_numpy(object)


def rms_text(world: World) -> pd.DataFrame:
    """Every record version written inside the window, as RMS text, with its ``_month``."""
    v = world.versions
    v = v[v["updated_at"].to_numpy().astype("datetime64[D]") <= world.last_day]
    i = v["arrest_idx"].to_numpy()
    a = world.arrests
    p = world.persons
    pi = a["person_idx"].to_numpy()[i]
    has_outcome = v["has_outcome"].to_numpy()
    expunged = v["expunged"].to_numpy()
    t_exp = a["t_expunge"].to_numpy()[i]
    values = {
        "arrest_id": a["arrest_id"].to_numpy()[i],
        "record_version": v["record_version"].astype(str).to_numpy(object),
        "updated_at": iso_seconds(v["updated_at"].to_numpy()),
        "force_code": a["force_code"].to_numpy()[i],
        "person_id": p["person_id"].to_numpy()[pi],
        "surname": p["surname"].to_numpy()[pi],
        "forenames": p["forenames"].to_numpy()[pi],
        "date_of_birth": iso_date(p["date_of_birth"].to_numpy()[pi]),
        "sex": p["sex"].to_numpy()[pi],
        "ethnicity_code": v["ethnicity_code"].to_numpy(),
        "arrest_datetime": iso_seconds(a["arrest_datetime"].to_numpy()[i]),
        "offence_code": a["offence_code"].to_numpy()[i],
        "drug_class": _text(a["drug_class"].to_numpy()[i]),
        "station_code": a["station_code"].to_numpy()[i],
        "outcome_code": np.where(has_outcome, _text(a["outcome_code"].to_numpy()[i]), "").astype(object),
        "outcome_date": np.where(has_outcome, iso_date(a["outcome_date"].to_numpy()[i]), "").astype(object),
        "record_status": np.where(expunged, "EXPUNGED", "ACTIVE").astype(object),
        "expunged_date": np.where(expunged, iso_date(t_exp), "").astype(object),
        "_month": month_of(v["updated_at"].to_numpy()),
    }
    return _frame("rms", "arrests", values).reset_index(drop=True)


def custody_text(world: World) -> pd.DataFrame:
    """Every custody record booked in inside the window, as custody text, with ``_month``."""
    c = world.custody
    c = c[c["booked_in"].to_numpy().astype("datetime64[D]") <= world.last_day]
    yn = lambda b: np.where(b, "Y", "N").astype(object)  # noqa: E731
    values = {
        "custody_ref": c["custody_ref"].to_numpy(),
        "arrest_id": c["arrest_id"].to_numpy(),
        "custody_suite": c["custody_suite"].to_numpy(),
        "booked_in": dmy_hm(c["booked_in"].to_numpy()),
        "released": dmy_hm(c["released"].to_numpy()),
        "gravity_score": c["gravity_score"].astype(str).to_numpy(object),
        "checkpoint_eligible": yn(c["checkpoint_eligible"].to_numpy()),
        "ineligible_reason": _text(c["ineligible_reason"].to_numpy()),
        "checkpoint_offered": yn(c["checkpoint_offered"].to_numpy()),
        "offer_response": _text(c["offer_response"].to_numpy()),
        "custody_disposal": c["custody_disposal"].to_numpy(),
        "_month": month_of(c["booked_in"].to_numpy()),
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


def sessions_recorded(world: World, month) -> pd.DataFrame:
    """The Sessions sheet of ``month``: sessions recorded during it (some dated earlier)."""
    s = world.sessions
    s = s[month_of(s["recorded_date"].to_numpy()) == np.datetime64(month, "M")]
    values = {
        "contract_ref": s["contract_ref"].to_numpy(),
        "session_date": _dates(s["session_date"].to_numpy()),
        "session_type": s["session_type"].to_numpy(),
        "attendance": s["attendance"].to_numpy(),
        "hours": s["hours"].to_numpy(dtype=float).astype(object),
    }
    return _frame("programme", "sessions", values).reset_index(drop=True)
