"""A long landing folder for the outcome measures (outcomes.md), written from the contracts.

The landing of ``landing.py`` spans ten months; outcomes need years (12- and 24-month
follow-up plus a six-month wait). This one spans 2023-01 .. 2025-07 (stage 1) and adds
2025-08 (stage 2), with plain, valid files (the ingest faults are ``landing.py``'s job) and
the cases the outcome definitions turn on. It reuses ``landing.py``'s file writers and
expectation bookkeeping (nothing from ``pipelines``), and builds its own world.

World: 40 arrests a month, by a pool of 600 people (so people are arrested again), each
followed by a custody record: Mixed-ethnicity people are never eligible (a zero group for
the offer RRI), others mostly eligible, offered and accepting. An accepted offer starts a
contract the next day that completes at its planned end, fails after 50 days or is
withdrawn after 15; arrests get an outcome (some late) and completed ones are expunged.

Deliveries:

- stage 1: all three sources every month 2023-01 .. 2025-07, except RMS 2024-11, which has
  not arrived (cohorts whose follow-up holds it are ``[x]``), and custody 2025-01, rejected
  whole (its header lacks ``released``: rolling custody measures whose window holds it are
  ``[x]``);
- stage 2: the stage-1 files again (same bytes), the late ``rms/arrests_202411.csv``, a
  correct ``custody/custody_202501_v2.csv`` and the 2025-08 deliveries.

Placed cases (``special``): a later arrest on the index date (``on_index_date``), the day
after (``day_after``), on D + 12 months (``at_12_months``); a contract started on
31 August 2023 with a later arrest on 31 August 2024 whose outcome (1) is recorded on
28 February 2025, the last day of the clamped wait (``from_31st_in``), and another whose
outcome (3) comes on 1 March 2025, a day late (``from_31st_out``); a later arrest whose
only row is quarantined (``quarantined_later``).
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

from .landing import (
    CONTRACT_COLUMNS, CUSTODY_COLUMNS, LOADED, QUARANTINED, RMS_COLUMNS, SESSION_COLUMNS,
    CsvFile, Expected, Sheet, XlsxFile, _contract_cells, _expectations, _latest_complete,
    _loaded, _render, _row, add_months_clamped, custody_raw, month_end, rms_raw, ym,
)

FIRST_MONTH = "2023-01"
STAGE_LAST = {1: "2025-07", 2: "2025-08"}
LATE_RMS = "2024-11"          # absent at stage 1, arrives at stage 2
REJECTED_CUSTODY = "2025-01"  # rejected at stage 1, its _v2 accepted at stage 2
PER_MONTH = 40
POOL = 600
ETH_CYCLE = ["W1", "A1", "W2", "B1", "W9", "M1", "O1", "W1", "A2", "B2", "W3", "NS", "A3"]
SEX_CYCLE = ["M", "F", "M", "M", "F", "X", "M", "F", "U", "M"]
OUTCOME_CYCLE = ["1", "3", "8", "10", "15", "21", None, "1", "18"]


def _months(first: str, last: str) -> list[str]:
    out, m = [], first
    while m <= last:
        out.append(m)
        y, mo = int(m[:4]), int(m[5:])
        m = f"{y + (mo == 12):04d}-{mo % 12 + 1:02d}"
    return out


class _World:
    def __init__(self):
        self.versions: list[dict] = []   # every RMS version ever written (clean rows)
        self.quarantined: list[dict] = []  # RMS rows written but invalid
        self.custody: list[dict] = []
        self.contracts: list[dict] = []  # with final_status / final_date / final_reason
        self.special: dict[str, str] = {}
        self._arrest_n = 0
        self._custody_n = 0

    # -- people and arrests
    @staticmethod
    def person(n: int) -> dict:
        return {"person_id": f"DURP{n:06d}", "surname": "Walker" if n % 2 else "Hughes",
                "forenames": "Sam" if n % 3 else "Alex",
                "date_of_birth": date(1970 + n % 35, 1 + n % 12, 1 + n % 28),
                "sex": SEX_CYCLE[n % len(SEX_CYCLE)],
                "ethnicity_code": ETH_CYCLE[n % len(ETH_CYCLE)]}

    def arrest(self, who: dict, at: datetime, offence=("092/01", "B")) -> dict:
        self._arrest_n += 1
        row = {"arrest_id": f"DUR-A-{self._arrest_n:07d}", "record_version": 1,
               "updated_at": at + timedelta(minutes=30), "force_code": "DUR", **who,
               "arrest_datetime": at, "offence_code": offence[0], "drug_class": offence[1],
               "station_code": "DUR01", "outcome_code": None, "outcome_date": None,
               "record_status": "ACTIVE", "expunged_date": None}
        self.versions.append(row)
        return row

    def version(self, arrest: dict, on: date, **changes) -> dict:
        prior = max((v for v in self.versions if v["arrest_id"] == arrest["arrest_id"]),
                    key=lambda v: v["record_version"])
        row = {**prior, **changes, "record_version": prior["record_version"] + 1,
               "updated_at": datetime.combine(on, time(9, 15))}
        self.versions.append(row)
        return row

    # -- custody and contracts
    def custody_record(self, arrest: dict, eligible: bool, offered: bool, response: str | None,
                       disposal: str) -> dict:
        self._custody_n += 1
        booked = arrest["arrest_datetime"] + timedelta(hours=1)
        row = {"custody_ref": f"DUR/C/{booked.year % 100:02d}/{self._custody_n:06d}",
               "arrest_id": arrest["arrest_id"], "custody_suite": "Durham Custody Suite",
               "booked_in": booked, "released": booked + timedelta(hours=5),
               "gravity_score": 2, "checkpoint_eligible": "Y" if eligible else "N",
               "ineligible_reason": None if eligible else "PREVIOUS",
               "checkpoint_offered": "Y" if offered else "N",
               "offer_response": response if offered else None,
               "custody_disposal": disposal}
        self.custody.append(row)
        return row

    def contract(self, custody: dict, start: date, final: str, final_date: date | None,
                 reason: str | None = None) -> dict:
        row = {"contract_ref": f"CP-{len(self.contracts) + 1:06d}",
               "custody_ref": custody["custody_ref"], "start_date": start,
               "planned_end_date": add_months_clamped(start, 4), "final_status": final,
               "final_date": final_date, "final_reason": reason}
        self.contracts.append(row)
        return row

    def diverted(self, who: dict, at: datetime, final="COMPLETED") -> tuple[dict, dict]:
        """An arrest, an accepted offer and a contract starting the next day."""
        a = self.arrest(who, at)
        c = self.custody_record(a, True, True, "ACCEPTED", "CHECKPOINT")
        start = at.date() + timedelta(days=1)
        if final == "COMPLETED":
            ct = self.contract(c, start, final, add_months_clamped(start, 4))
        elif final == "FAILED":
            ct = self.contract(c, start, final, start + timedelta(days=50), "NON_COMPLIANCE")
        elif final == "WITHDRAWN":
            ct = self.contract(c, start, final, start + timedelta(days=15))
        else:
            ct = self.contract(c, start, "ACTIVE", None)
        return a, ct


def _build_world() -> _World:
    w = _World()
    j = 0
    for month in _months(FIRST_MONTH, "2025-08"):
        y, m = int(month[:4]), int(month[5:])
        for k in range(PER_MONTH):
            j += 1
            who = w.person(((j * 2654435761) % 2**32 >> 8) % POOL)  # scattered re-arrests
            at = datetime(y, m, 1 + (k * 2) % 28, 10 + k % 8, 5 * (k % 12))
            eth = who["ethnicity_code"]
            eligible = not eth.startswith("M") and j % 9 != 4
            offered = eligible and j % 7 != 3
            response = ("DECLINED" if j % 4 == 1 else "ACCEPTED") if offered else None
            if response == "ACCEPTED":
                final = ("COMPLETED", "COMPLETED", "COMPLETED", "FAILED", "WITHDRAWN")[j % 5]
                a, ct = w.diverted(who, at, final)
                if final == "COMPLETED":
                    w.version(a, ct["final_date"], outcome_code="22", outcome_date=ct["final_date"])
                    expunged = ct["final_date"] + timedelta(days=20)
                    w.version(a, expunged, record_status="EXPUNGED", expunged_date=expunged)
                else:
                    od = ct["final_date"] + timedelta(days=10)
                    w.version(a, od, outcome_code="1", outcome_date=od)
                continue
            a = w.arrest(who, at)
            disposal = ("CHARGED" if response == "DECLINED" else
                        "CAUTIONED" if eligible else "NFA")
            w.custody_record(a, eligible, offered, response, disposal)
            outcome = OUTCOME_CYCLE[j % len(OUTCOME_CYCLE)]
            if outcome is not None:
                lag = 250 if j % 11 == 0 else 20 + j % 50  # some outcomes recorded late
                od = at.date() + timedelta(days=lag)
                w.version(a, od, outcome_code=outcome, outcome_date=od)

    # placed cases, each a person of their own
    def case(name: str, n: int, at: datetime, later: list[tuple[datetime, str | None, date | None]]):
        who = w.person(10_000 + n)
        a, ct = w.diverted(who, at, "ACTIVE" if at.year == 2025 else "COMPLETED")
        w.special[name] = ct["contract_ref"]
        for when, outcome, recorded in later:
            la = w.arrest(who, when, offence=("046/01", None))
            if outcome is not None:
                w.version(la, recorded, outcome_code=outcome, outcome_date=recorded)
        return a, ct

    case("on_index_date", 1, datetime(2023, 5, 10, 11), [(datetime(2023, 5, 11, 15), None, None)])
    case("day_after", 2, datetime(2023, 5, 10, 11), [(datetime(2023, 5, 12, 15), None, None)])
    case("at_12_months", 3, datetime(2023, 5, 10, 11), [(datetime(2024, 5, 11, 15), None, None)])
    case("from_31st_in", 4, datetime(2023, 8, 30, 11),
         [(datetime(2024, 8, 31, 15), "1", date(2025, 2, 28))])
    case("from_31st_out", 5, datetime(2023, 8, 30, 12),
         [(datetime(2024, 6, 1, 15), "3", date(2025, 3, 1))])
    _, ct = case("quarantined_later", 6, datetime(2023, 6, 5, 11), [])
    who = w.person(10_006)
    bad = w.arrest(who, datetime(2023, 9, 12, 14))
    w.versions.remove(bad)
    w.quarantined.append({**bad, "sex": "Q"})  # not a sex code: the row is quarantined
    return w


def _snapshot(ct: dict, month: str) -> dict:
    end = month_end(month)
    done = ct["final_date"] is not None and ct["final_date"] <= end
    return {"contract_ref": ct["contract_ref"], "custody_ref": ct["custody_ref"],
            "start_date": ct["start_date"], "planned_end_date": ct["planned_end_date"],
            "status": ct["final_status"] if done else "ACTIVE",
            "status_date": ct["final_date"] if done else None,
            "failure_reason": ct["final_reason"] if done else None}


def _plan(stage: int):
    if stage not in (1, 2):
        raise ValueError("stage must be 1 or 2")
    w = _build_world()
    last = STAGE_LAST[stage]
    files: list = []
    status: dict[str, str] = {}
    for month in _months(FIRST_MONTH, last):
        tag = month.replace("-", "")
        if month != LATE_RMS or stage == 2:
            entries = [_row(rms_raw(v), LOADED, {c: v[c] for c in RMS_COLUMNS})
                       for v in sorted(w.versions, key=lambda v: (v["updated_at"], v["arrest_id"]))
                       if ym(v["updated_at"]) == month]
            entries += [_row(rms_raw(v), QUARANTINED, why="sex not in list")
                        for v in w.quarantined if ym(v["updated_at"]) == month]
            files.append(CsvFile(f"rms/arrests_{tag}.csv", list(RMS_COLUMNS), entries,
                                 "utf-8-sig", "\r\n"))
            status[files[-1].name] = "accepted"
        custody = [_row(custody_raw(c), LOADED, {k: c[k] for k in CUSTODY_COLUMNS})
                   for c in sorted(w.custody, key=lambda c: c["custody_ref"])
                   if ym(c["booked_in"]) == month]
        if month == REJECTED_CUSTODY:
            header = [c for c in CUSTODY_COLUMNS if c != "released"]
            files.append(CsvFile(f"custody/custody_{tag}.csv", header, custody, "cp1252", "\n",
                                 notes=["header lacks released"]))
            status[files[-1].name] = "rejected"
            if stage == 2:
                files.append(CsvFile(f"custody/custody_{tag}_v2.csv", list(CUSTODY_COLUMNS),
                                     custody, "cp1252", "\n"))
                status[files[-1].name] = "accepted"
        else:
            files.append(CsvFile(f"custody/custody_{tag}.csv", list(CUSTODY_COLUMNS), custody,
                                 "cp1252", "\n"))
            status[files[-1].name] = "accepted"
        contracts = []
        for ct in w.contracts:
            if ct["start_date"] <= month_end(month):
                row = _snapshot(ct, month)
                contracts.append(_row(_contract_cells(row, set()), LOADED, row))
        files.append(XlsxFile(f"programme/checkpoint_programme_{tag}.xlsx", [
            Sheet("Contracts", list(CONTRACT_COLUMNS), contracts),
            Sheet("Sessions", list(SESSION_COLUMNS), [])]))
        status[files[-1].name] = "accepted"
    return w, files, status


def build_outcomes_landing(root: Path | str, stage: int = 1) -> Expected:
    """Write the stage's landing folder under ``root``; what it implies (``Expected``)."""
    root = Path(root)
    w, files, status = _plan(stage)
    blobs = _render(files)
    for name, data in blobs.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    exp = _expectations(files, status)
    return Expected(stage, root, exp, _loaded(files, exp, w), dict(w.special),
                    _latest_complete(exp))


def outcomes_loaded_rows(stage: int = 1) -> tuple[dict[str, list[dict]], list[tuple[str, str]], str]:
    """(rows in force, accepted (source, month) pairs, latest complete month), unwritten."""
    w, files, status = _plan(stage)
    exp = _expectations(files, status)
    e = Expected(stage, None, exp, _loaded(files, exp, w), dict(w.special), _latest_complete(exp))
    return e.loaded, e.accepted_deliveries(), e.latest_period
