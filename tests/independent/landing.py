"""A hand-designed landing folder, written straight from the source-extracts contract.

Nothing here comes from ``pipelines`` or from the project's generator. The folder is
built from a small, deterministic "world" (arrests, custody records, contracts and
sessions made by short loops plus a few explicit special cases), rendered into the three
extract formats, with every fault of the contract's "What really arrives" table placed on
purpose. Because each fault is placed by hand, every row's fate is known *by
construction*: the expected ``dq.deliveries`` counts and the rows in force are computed
from the row specifications below, never by reading the written files back.

Public API (see the package docstring for an example):

- ``build_landing(root, stage=1) -> Expected``
- ``expected_loaded_rows(stage=1) -> dict[str, list[dict]]``
- ``Expected`` / ``FileExpectation`` dataclasses.

Timeline (world months 2026-02 .. 2026-11, about 44 arrests a month):

- stage 1: custody 2026-01 header only (so the grid starts in 2026-01, where rms
  measures are [x]), then all three sources 2026-02 .. 2026-10, with rejected,
  duplicate and ignored files mixed in. custody 2026-08 is rejected whole (header lacks
  ``released``), so custody measures for 2026-08 are [x] and the contracts that follow
  August custody records wait for their key (diversions_started 2026-08 is 0).
- stage 2: every stage-1 file again (identical bytes) plus the 2026-11 deliveries, a
  correct ``custody_202608_v2.csv``, a correction ``custody_202609_v2.csv`` (one record
  now offered, one record gone, the record with released before booked_in fixed) and a
  wrongly encoded ``custody_202609_v3.csv`` (rejected, so v2 stays in force).

Placed cases (``Expected.special`` gives their keys): 29-Feb birthdays arrested on
28 Feb (17) and 1 Mar 2026 (18); a person turning 18 on the arrest date and one turning
18 the next day; a 2017 supply arrest expunged in May 2026 without a contract; an
arrest at 23:40 on 31 Oct whose RMS record is only written on 1 Nov (its custody record
and contract, start 31 Oct, planned end 28 Feb 2027, wait in stage 1); contracts
completed on 3 Aug and 4 Aug (the awaiting_expungement boundary for August) and one
expunged on 30 Aug by a version written on 4 Sep; a contract dropped from the
snapshots from June (keeps its May row); an arrest whose version 2 is quarantined
(versions 1 and 3 loaded); an unlisted offence code with a drug class; in the October
workbook (latest of stage 1) a contract whose row lacks its status_date, one with two
conflicting rows and one new contract with a wrong planned_end_date (all resolved by
the November workbook); a June session corrected in July and another re-sent equal; an
orphan contract (custody ref never delivered) and an orphan session; the acceptance
rate for men in 2026-03 is 9/16 = 56.25 % (published 56.3), the August median days
to expungement is over six values (35.5). Contracts and Sessions column orders rotate
between months, the extra sheet "Notes" moves, dates are a mix of date cells and typed
``DD/MM/YYYY`` text.
"""
from __future__ import annotations

import calendar
import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

# --------------------------------------------------------------------------------------
# Reference data (own copy of the contract's lists)
# --------------------------------------------------------------------------------------

RMS_COLUMNS = [
    "arrest_id", "record_version", "updated_at", "force_code", "person_id", "surname",
    "forenames", "date_of_birth", "sex", "ethnicity_code", "arrest_datetime",
    "offence_code", "drug_class", "station_code", "outcome_code", "outcome_date",
    "record_status", "expunged_date",
]
CUSTODY_COLUMNS = [
    "custody_ref", "arrest_id", "custody_suite", "booked_in", "released", "gravity_score",
    "checkpoint_eligible", "ineligible_reason", "checkpoint_offered", "offer_response",
    "custody_disposal",
]
CONTRACT_COLUMNS = [
    "contract_ref", "custody_ref", "start_date", "planned_end_date", "status",
    "status_date", "failure_reason",
]
SESSION_COLUMNS = ["contract_ref", "session_date", "session_type", "attendance", "hours"]

OFFENCE_GROUP = {
    "092/01": "possession", "092/02": "possession", "092/03": "supply",
    "092/04": "supply", "092/05": "production", "046/01": "theft", "058/01": "damage",
    "105/01": "violence", "008/01": "violence", "125/01": "public_order",
}
SCOPE_FROM = {
    "possession": date(2015, 4, 1), "theft": date(2015, 4, 1), "damage": date(2015, 4, 1),
    "public_order": date(2015, 4, 1), "violence": date(2015, 4, 1),
    "supply": date(2018, 1, 1),
}
ETHNICITY_GROUP = {
    **{c: "Asian" for c in ("A1", "A2", "A3", "A4", "A5")},
    **{c: "Black" for c in ("B1", "B2", "B3")},
    **{c: "Mixed" for c in ("M1", "M2", "M3", "M4")},
    **{c: "White" for c in ("W1", "W2", "W3", "W9")},
    **{c: "Other" for c in ("O1", "O2")},
    "NS": "Not stated",
}

STAGE1_LATEST = "2026-10"
STAGE2_LATEST = "2026-11"
WORLD_MONTHS = [f"2026-{m:02d}" for m in range(2, 12)]  # 2026-02 .. 2026-11
HORIZON = date(2026, 11, 30)  # nothing after this is ever delivered


# --------------------------------------------------------------------------------------
# Small date helpers
# --------------------------------------------------------------------------------------

def ym(d: date | datetime) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def month_end(month: str) -> date:
    y, m = int(month[:4]), int(month[5:7])
    return date(y, m, calendar.monthrange(y, m)[1])


def next_month(month: str) -> str:
    y, m = int(month[:4]), int(month[5:7])
    return f"{y + (m == 12):04d}-{(m % 12) + 1:02d}"


def add_months_clamped(d: date, n: int) -> date:
    total = d.month - 1 + n
    y, m = d.year + total // 12, total % 12 + 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def age_on(dob: date, on: date) -> int:
    """Whole years; a 29-Feb birthday is reached on 1 March in a common year."""
    years = on.year - dob.year
    if (on.month, on.day) < (dob.month, dob.day):
        years -= 1
    return years


def _ddmmyyyy(d: date) -> str:
    return d.strftime("%d/%m/%Y")


# --------------------------------------------------------------------------------------
# The world
# --------------------------------------------------------------------------------------

FORCES = ["DUR", "CLE", "NOR", "NYK"]
STATIONS = {"DUR": ["DUR01", "DUR07"], "CLE": ["CLE02", "CLE05"],
            "NOR": ["NOR11", "NOR03"], "NYK": ["NYK04", "NYK09"]}
SUITES = {
    "DUR": ["Durham Aykley Heads Custody Suite", "Peterlee Custody Suite"],
    "CLE": ["Middlesbrough, Hemlington Custody Suite", "Hartlepool Café Lane Suite"],
    "NOR": ["Etal Lane Custody Suite", "Hexham Suite"],
    "NYK": ["Harrogate Custody Suite", "Scarborough Suite"],
}
SURNAMES = ["Smith", "O'Brien", "Nowak-Kowalska", "Patel", "Okafor", "Ní Bhriain",
            "Zhang", "Müller", "Van der Berg", "Çelik", "Jones", "Khan", "Øster",
            "Da Silva", "Ó Súilleabháin", "Brown", "Ahmed"]
FORENAMES = ["Zoë", "Siobhán", "José", "Mary Ann", "Jean-Luc", "Łukasz", "Aoife",
             "Mohammed", "Ana", "Chloé", "Tom", "Priya", "Kwame", "Björn"]
# (offence_code, drug_class)
OFFENCE_CYCLE = [
    ("092/01", "B"), ("092/02", "A"), ("046/01", None), ("092/03", "A"),
    ("058/01", None), ("105/01", None), ("092/02", "C"), ("125/01", None),
    ("092/04", "B"), ("008/01", None), ("092/05", "B"), ("030/01", None),
    ("092/01", "B"), ("046/01", None), ("003/07", None),
]
AGE_CYCLE = [19, 24, 31, 22, 45, 37, 28, 52, 61, 18, 33, 26, 41, 57, 23, 35, 17, 29,
             48, 20, 66]
SEX_CYCLE = ["M", "F", "M", "M", "F", "X", "M", "F", "U", "M", "F", "M", "M"]
ETH_CYCLE = ["W1", "A1", "B1", "W2", "M1", "NS", "O1", "A3", "W1", "B2", "W9", "M3",
             "A2", "W3", "O2", "B3", "A4", "M2", "A5", "M4", "W1", "NS"]
N_PER_MONTH = 44
EXPUNGE_LAGS = [14, 21, 30, 45, 60, 75, 26]
FAILURE_REASONS = ["NON_ATTENDANCE", "REOFFENDED", "NON_COMPLIANCE"]
SESSION_PLAN = [(0, "ASSESSMENT", 1.5), (14, "DRUG_AWARENESS", 2.0),
                (28, "RESTORATIVE_JUSTICE", 1.5), (42, "COMMUNITY_WORK", 6.0),
                (56, "COMMUNITY_WORK", 6.0), (84, "DRUG_AWARENESS", 2.0),
                (110, "REVIEW", 0.5)]

@dataclass
class World:
    arrests: dict[str, dict]          # arrest_id -> person/arrest attributes
    versions: list[dict]              # clean RMS rows (all versions ever written)
    custody: list[dict]               # clean custody rows
    contracts: list[dict]             # contract attributes incl. final outcome
    sessions: list[dict]              # clean session rows + "_recorded" month
    special: dict[str, str]           # name -> key (for documentation / tests)


def _rms_row(a: dict, version: int, updated_at: datetime, outcome: str | None = None,
             outcome_date: date | None = None, expunged: date | None = None) -> dict:
    return {
        "arrest_id": a["arrest_id"], "record_version": version, "updated_at": updated_at,
        "force_code": a["force_code"], "person_id": a["person_id"],
        "surname": a["surname"], "forenames": a["forenames"],
        "date_of_birth": a["date_of_birth"], "sex": a["sex"],
        "ethnicity_code": a["ethnicity_code"], "arrest_datetime": a["arrest_datetime"],
        "offence_code": a["offence_code"], "drug_class": a["drug_class"],
        "station_code": a["station_code"], "outcome_code": outcome,
        "outcome_date": outcome_date,
        "record_status": "EXPUNGED" if expunged else "ACTIVE", "expunged_date": expunged,
    }


def _in_scope(offence_code: str, on: date, age: int) -> bool:
    grp = OFFENCE_GROUP.get(offence_code, "other")
    start = SCOPE_FROM.get(grp)
    return start is not None and on >= start and age >= 18


def _build_world() -> World:
    arrests: dict[str, dict] = {}
    versions: list[dict] = []
    custody: list[dict] = []
    contracts: list[dict] = []
    special: dict[str, str] = {}

    def new_arrest(seq, force, arrest_dt, offence, dclass, dob, sex, eth, person_seq,
                   name_i):
        a = {
            "arrest_id": f"{force}-A-{seq:07d}", "force_code": force,
            "person_id": f"{force}P{person_seq:06d}",
            "surname": SURNAMES[name_i % len(SURNAMES)],
            "forenames": FORENAMES[(name_i * 5) % len(FORENAMES)],
            "date_of_birth": dob, "sex": sex, "ethnicity_code": eth,
            "arrest_datetime": arrest_dt, "offence_code": offence, "drug_class": dclass,
            "station_code": STATIONS[force][seq % 2],
        }
        arrests[a["arrest_id"]] = a
        return a

    def new_custody(a, seq, booked, released, gravity, eligible, reason, offered,
                    response, disposal):
        force = a["force_code"]
        c = {
            "custody_ref": f"{force}/C/26/{seq:06d}", "arrest_id": a["arrest_id"],
            "custody_suite": SUITES[force][seq % 2], "booked_in": booked,
            "released": released, "gravity_score": gravity,
            "checkpoint_eligible": "Y" if eligible else "N", "ineligible_reason": reason,
            "checkpoint_offered": "Y" if offered else "N", "offer_response": response,
            "custody_disposal": disposal,
        }
        custody.append(c)
        return c

    def non_contract_outcome(a, disposal, g):
        d0 = a["arrest_datetime"].date()
        plan = {"CHARGED": ("1", 14), "CAUTIONED": ("3", 1), "NFA": ("21", 2),
                "RUI": ("16", 45), "OTHER": ("8", 3), None: ("10", 20)}
        if disposal == "BAILED":
            return
        code, days = plan[disposal]
        od = d0 + timedelta(days=days)
        versions.append(_rms_row(a, 2, datetime.combine(od, datetime.min.time())
                                 + timedelta(hours=11), code, od))
        if disposal == "NFA" and g % 4 == 0:
            ed = d0 + timedelta(days=40)
            versions.append(_rms_row(a, 3, datetime.combine(ed, datetime.min.time())
                                     + timedelta(hours=14, minutes=5), code, od, ed))

    def new_contract(c, a, start):
        k = len(contracts)
        ref = f"CP-{100001 + k:06d}"
        planned = add_months_clamped(start, 4)
        r = k % 10
        if r <= 3:
            status, sdate, reason = "COMPLETED", planned - timedelta(days=k % 5), None
        elif r == 4:
            status, sdate, reason = "COMPLETED", planned + timedelta(days=9), None
        elif r in (5, 6, 7, 8):
            status = "FAILED"
            sdate = start + timedelta(days=30 + (k % 7) * 9)
            reason = FAILURE_REASONS[k % 3]
        else:
            status, sdate, reason = "WITHDRAWN", start + timedelta(days=9 + k % 6), None
        ct = {"contract_ref": ref, "custody_ref": c["custody_ref"],
              "arrest_id": a["arrest_id"], "start_date": start,
              "planned_end_date": planned, "final_status": status, "final_date": sdate,
              "final_reason": reason, "k": k,
              "lag": EXPUNGE_LAGS[k % 7], "backdate": 5 if k % 11 == 4 else 0,
              "omit_from": None}
        contracts.append(ct)
        return ct

    # ---- generic cases -------------------------------------------------------------
    g = 0
    cust_seq = 200000
    for mi, month in enumerate(WORLD_MONTHS):
        y, m = int(month[:4]), int(month[5:7])
        for i in range(N_PER_MONTH):
            force = FORCES[g % 4]
            offence, dclass = OFFENCE_CYCLE[(i + mi) % len(OFFENCE_CYCLE)]
            age = AGE_CYCLE[(g * 5) % len(AGE_CYCLE)]
            sex = SEX_CYCLE[g % len(SEX_CYCLE)]
            eth = ETH_CYCLE[(g * 7) % len(ETH_CYCLE)]
            day = 1 + (i * 11 + mi * 3) % 28
            arrest_dt = datetime(y, m, day, 7 + (i * 5) % 14, (i * 17) % 12 * 5)
            bm, bd = 1 + (g * 7) % 12, 1 + (g * 3) % 28
            dob_year = y - age - (1 if (bm, bd) > (m, day) else 0)
            dob = date(dob_year, bm, bd)
            a = new_arrest(1000001 + g, force, arrest_dt, offence, dclass, dob, sex, eth,
                           10000 + (g if g % 50 != 49 else g - 30), g)
            versions.append(_rms_row(a, 1, arrest_dt + timedelta(hours=2)))
            has_custody = i % 9 != 8
            if not has_custody:
                non_contract_outcome(a, None, g)
                g += 1
                continue
            scope = _in_scope(offence, arrest_dt.date(), age_on(dob, arrest_dt.date()))
            eligible = scope and g % 7 != 5
            if eligible:
                reason = None
            elif age_on(dob, arrest_dt.date()) < 18:
                reason = "AGE"
            elif not scope:
                reason = "OFFENCE"
            else:
                reason = ["GRAVITY", "PREVIOUS", "DENIED", "OTHER"][g % 4]
            offered = eligible and g % 6 != 4
            accepted = offered and g % 5 not in (1, 3)
            if accepted:
                disposal = "CHECKPOINT"
            elif offered:
                disposal = "CHARGED"
            elif eligible:
                disposal = "CAUTIONED"
            else:
                disposal = ["CHARGED", "NFA", "RUI", "BAILED", "OTHER", "CAUTIONED"][g % 6]
            booked = arrest_dt + timedelta(minutes=20)
            released = (None if g % 23 == 11
                        else booked + timedelta(hours=2 + g % 9, minutes=15))
            cust_seq += 1
            c = new_custody(a, cust_seq, booked, released,
                            4 if reason == "GRAVITY" else 1 + g % 3, eligible, reason,
                            offered, ("ACCEPTED" if accepted else "DECLINED") if offered
                            else None, disposal)
            if accepted:
                new_contract(c, a, booked.date() + timedelta(days=len(contracts) % 2))
            else:
                non_contract_outcome(a, disposal, g)
            g += 1

    # ---- special cases -------------------------------------------------------------
    # S1: born 29 Feb 2008, arrested 28 Feb 2026 -> still 17 (birthday reached 1 March)
    a = new_arrest(1900001, "DUR", datetime(2026, 2, 28, 14, 10), "092/01", "B",
                   date(2008, 2, 29), "M", "W1", 90001, 3)
    versions.append(_rms_row(a, 1, datetime(2026, 2, 28, 16, 0, 0)))
    new_custody(a, 290001, datetime(2026, 2, 28, 14, 30), datetime(2026, 2, 28, 19, 0),
                1, False, "AGE", False, None, "OTHER")
    versions.append(_rms_row(a, 2, datetime(2026, 3, 3, 11, 0), "8", date(2026, 3, 3)))
    special["leap_17"] = a["arrest_id"]
    # S2: born 29 Feb 2008, arrested 1 Mar 2026 -> 18, in scope, takes a contract
    a = new_arrest(1900002, "CLE", datetime(2026, 3, 1, 10, 30), "092/02", "A",
                   date(2008, 2, 29), "F", "B2", 90002, 4)
    versions.append(_rms_row(a, 1, datetime(2026, 3, 1, 12, 0)))
    c = new_custody(a, 290002, datetime(2026, 3, 1, 10, 50), datetime(2026, 3, 1, 15, 5),
                    1, True, None, True, "ACCEPTED", "CHECKPOINT")
    new_contract(c, a, date(2026, 3, 2))
    special["leap_18"] = a["arrest_id"]
    # S3: turns 18 on the arrest date -> 18, in scope, contract
    a = new_arrest(1900003, "NOR", datetime(2026, 7, 14, 15, 0), "046/01", None,
                   date(2008, 7, 14), "F", "M2", 90003, 5)
    versions.append(_rms_row(a, 1, datetime(2026, 7, 14, 17, 0)))
    c = new_custody(a, 290003, datetime(2026, 7, 14, 15, 20), datetime(2026, 7, 14, 21, 0),
                    1, True, None, True, "ACCEPTED", "CHECKPOINT")
    new_contract(c, a, date(2026, 7, 14))
    special["birthday_18"] = a["arrest_id"]
    # S4: turns 18 the day after the arrest -> 17, not in scope
    a = new_arrest(1900004, "NOR", datetime(2026, 7, 14, 16, 20), "046/01", None,
                   date(2008, 7, 15), "M", "A2", 90004, 6)
    versions.append(_rms_row(a, 1, datetime(2026, 7, 14, 18, 0)))
    new_custody(a, 290004, datetime(2026, 7, 14, 16, 40), datetime(2026, 7, 14, 22, 0),
                1, False, "AGE", False, None, "OTHER")
    versions.append(_rms_row(a, 2, datetime(2026, 7, 17, 11, 0), "8", date(2026, 7, 17)))
    special["day_before_18"] = a["arrest_id"]
    # S5: a 2017 supply arrest expunged in May 2026 (only version 3 is ever delivered;
    # its arrest period is outside the grid; it counts in records_expunged 2026-05 but
    # has no contract, so not in the median)
    a = new_arrest(1900005, "NYK", datetime(2017, 6, 10, 13, 0), "092/04", "A",
                   date(1985, 11, 2), "X", "O1", 90005, 7)
    versions.append(_rms_row(a, 3, datetime(2026, 5, 12, 10, 0), "21", date(2017, 9, 1),
                             date(2026, 5, 12)))
    special["old_2017_expunged"] = a["arrest_id"]
    # S8 / S9: one more accepted and one more declined offer for men in March 2026, so
    # that acceptance_rate (sex M, 2026-03) is 9/16 = 56.25 %: published 56.3 (half
    # away from zero), where banker's rounding would give 56.2.
    a = new_arrest(1900008, "NYK", datetime(2026, 3, 12, 9, 15), "058/01", None,
                   date(1990, 4, 4), "M", "O2", 90008, 9)
    versions.append(_rms_row(a, 1, datetime(2026, 3, 12, 11, 0)))
    c = new_custody(a, 290008, datetime(2026, 3, 12, 9, 35), datetime(2026, 3, 12, 14, 0),
                    2, True, None, True, "ACCEPTED", "CHECKPOINT")
    new_contract(c, a, date(2026, 3, 12))
    a = new_arrest(1900009, "DUR", datetime(2026, 3, 19, 13, 5), "125/01", None,
                   date(1979, 9, 9), "M", "A5", 90009, 10)
    versions.append(_rms_row(a, 1, datetime(2026, 3, 19, 15, 0)))
    new_custody(a, 290009, datetime(2026, 3, 19, 13, 25), datetime(2026, 3, 19, 18, 0),
                1, True, None, True, "DECLINED", "CHARGED")
    non_contract_outcome(a, "CHARGED", 1)
    special["acceptance_rate_tie"] = "2026-03/acceptance_rate/sex/M"
    # S6: arrested 31 Oct 23:40, booked in 23:52 (October custody file) but the RMS
    # record is only created on 1 Nov (November RMS file): the custody record and the
    # contract (start 31 Oct, planned end clamped to 28 Feb 2027) wait for their key in
    # stage 1 and count from stage 2 on.
    a = new_arrest(1900006, "DUR", datetime(2026, 10, 31, 23, 40), "092/01", "B",
                   date(1998, 12, 1), "M", "W2", 90006, 8)
    versions.append(_rms_row(a, 1, datetime(2026, 11, 1, 0, 20)))
    c = new_custody(a, 290006, datetime(2026, 10, 31, 23, 52),
                    datetime(2026, 11, 1, 6, 10), 2, True, None, True, "ACCEPTED",
                    "CHECKPOINT")
    ct = new_contract(c, a, date(2026, 10, 31))
    ct.update(final_status="ACTIVE", final_date=None, final_reason=None)
    special["late_rms_arrest"] = a["arrest_id"]
    special["late_rms_custody"] = c["custody_ref"]
    special["late_rms_contract"] = ct["contract_ref"]

    # ---- explicit contract overrides -------------------------------------------------
    # awaiting_expungement boundary (end of Aug 2026 - 28 days = 3 Aug 2026)
    cands = [ct for ct in contracts if ct["final_status"] == "COMPLETED"
             and ym(ct["final_date"]) == "2026-08"]
    b1, b2, b3 = cands[0], cands[1], cands[2]
    # b1: completed 3 Aug (= 31 Aug - 28 days), expunged 17 Sep: awaiting at end of Aug
    # b2: completed 4 Aug, expunged 18 Sep: never awaiting at a month end
    # b3: completed 20 Jul, expunged_date 30 Aug but that version written 4 Sep:
    #     records_expunged 2026-08 (41 days, so the August median is 35.5), yet as at
    #     31 Aug not EXPUNGED, so awaiting_expungement 2026-08 counts it
    b1.update(final_date=date(2026, 8, 3), lag=45, backdate=0)
    b2.update(final_date=date(2026, 8, 4), lag=45, backdate=0)
    b3.update(final_date=date(2026, 7, 20), lag=41, backdate=5)
    special["awaiting_boundary_in"] = b1["contract_ref"]
    special["awaiting_boundary_out"] = b2["contract_ref"]
    special["expunged_backdated"] = b3["contract_ref"]
    # a contract missing from the snapshots from June on: keeps its May row (ACTIVE)
    miss = [ct for ct in contracts if ct["final_status"] == "WITHDRAWN"
            and ym(ct["start_date"]) == "2026-04"
            and ym(ct["final_date"]) in ("2026-04", "2026-05")]
    miss = miss[0]
    miss.update(final_date=date(2026, 6, 12), omit_from="2026-06")
    special["missing_from_snapshot"] = miss["contract_ref"]

    # ---- RMS versions of contract arrests -----------------------------------------
    for ct in contracts:
        a = arrests[ct["arrest_id"]]
        sd = ct["final_date"]
        if ct["final_status"] == "COMPLETED":
            v2at = datetime.combine(sd + timedelta(days=1), datetime.min.time()) \
                + timedelta(hours=9, minutes=30)
            versions.append(_rms_row(a, 2, v2at, "22", sd))
            ed = sd + timedelta(days=ct["lag"])
            v3at = datetime.combine(ed + timedelta(days=ct["backdate"]),
                                    datetime.min.time()) + timedelta(hours=15)
            versions.append(_rms_row(a, 3, v3at, "22", sd, ed))
        elif ct["final_status"] in ("FAILED", "WITHDRAWN"):
            od = sd + timedelta(days=4 if ct["final_status"] == "FAILED" else 6)
            versions.append(_rms_row(a, 2, datetime.combine(od, datetime.min.time())
                                     + timedelta(hours=12), "1", od))

    # ---- sessions ------------------------------------------------------------------
    sessions: list[dict] = []
    for ct in contracts:
        k = ct["k"]
        last = ct["final_date"] or HORIZON
        if ct["omit_from"]:
            last = min(last, month_end("2026-05"))
        plan = [(ct["start_date"] + timedelta(days=off), typ, hrs)
                for off, typ, hrs in SESSION_PLAN]
        plan = [p for p in plan if p[0] <= last and p[0] <= HORIZON
                and (ct["final_status"] == "COMPLETED" or p[0] < last)]
        for j, (sdt, typ, hrs) in enumerate(plan):
            if ct["final_reason"] == "NON_ATTENDANCE" and j >= len(plan) - 2 and j > 0:
                att = "MISSED"
            elif (k + j) % 9 == 4:
                att = "MISSED"
            elif (k + j) % 11 == 6:
                att = "EXCUSED"
            else:
                att = "ATTENDED"
            rec = ym(sdt)
            if (k * 3 + j) % 8 == 5 and sdt.day >= 18:
                rec = next_month(rec)  # recorded late
            if rec > "2026-11":
                continue
            if ct["omit_from"] and rec >= ct["omit_from"]:
                continue
            sessions.append({"contract_ref": ct["contract_ref"], "session_date": sdt,
                             "session_type": typ, "attendance": att,
                             "hours": hrs if att == "ATTENDED" else 0.0,
                             "_recorded": rec})
    # drop RMS versions never delivered (written after the horizon)
    versions = [v for v in versions if v["updated_at"].date() <= HORIZON]
    return World(arrests, versions, custody, contracts, sessions, special)


# --------------------------------------------------------------------------------------
# Row specifications and file specifications
# --------------------------------------------------------------------------------------

LOADED, QUARANTINED, DUPLICATE = "loaded", "quarantined", "duplicate"


@dataclass
class Entry:
    kind: str                      # "row" (dict of raw values), "raw" (a text line), "blank"
    fate: str | None = None        # loaded / quarantined / duplicate (None for blank)
    raw: Any = None                # dict column -> raw value, or raw text line
    clean: dict | None = None      # typed, normalised values (loaded rows only)
    why: str = ""


@dataclass
class CsvFile:
    name: str
    header: list[str]
    entries: list[Entry]
    encoding: str                  # "utf-8-sig" or "cp1252"
    newline: str                   # "\r\n" or "\n"
    quote_all: bool = False
    trailing_blank_lines: int = 0
    final_newline: bool = True
    byte_patch: tuple[bytes, bytes] | None = None  # (old, new) applied to the bytes
    prefix: bytes = b""
    notes: list[str] = field(default_factory=list)   # file-level faults placed


@dataclass
class Sheet:
    name: str
    header: list[str]
    entries: list[Entry]


@dataclass
class XlsxFile:
    name: str
    sheets: list[Sheet]
    notes: list[str] = field(default_factory=list)


@dataclass
class RawFile:
    name: str
    data: bytes
    notes: list[str] = field(default_factory=list)


@dataclass
class FileExpectation:
    """Expected ``dq.deliveries`` row for one file (counts None where the contract
    says NULL: rejected, duplicate and ignored files)."""
    file_name: str
    source: str | None
    month: str | None
    version: int | None
    status: str
    rows_read: int | None = None
    rows_loaded: int | None = None
    rows_quarantined: int | None = None
    rows_duplicate: int | None = None
    note: str = ""


@dataclass
class Expected:
    """What the landing folder of ``stage`` implies, computed by construction.

    files: relative posix path -> FileExpectation, for every file written (stage 2
        includes the stage-1 files, with their final statuses).
    loaded: the rows in force per table (see ``expected_loaded_rows``).
    special: names of deliberately placed cases -> their key (arrest_id, contract_ref…).
    latest_period: latest month for which each of the three sources has an accepted
        delivery for that month itself (what ``run`` publishes by default).
    """
    stage: int
    root: Path | None
    files: dict[str, FileExpectation]
    loaded: dict[str, list[dict]]
    special: dict[str, str]
    latest_period: str

    def accepted_deliveries(self) -> list[tuple[str, str]]:
        """(source, month) of every delivery accepted (or accepted then superseded)."""
        out = {(f.source, f.month) for f in self.files.values()
               if f.status in ("accepted", "superseded")}
        order = {"rms": 0, "custody": 1, "programme": 2}
        return sorted(out, key=lambda sm: (order[sm[0]], sm[1]))

    def by_status(self, status: str) -> list[str]:
        return sorted(n for n, f in self.files.items() if f.status == status)

    def deliveries_rows(self) -> list[tuple]:
        """(file_name, source, month, version, status, rows_read, rows_loaded,
        rows_quarantined, rows_duplicate) sorted by file name."""
        return [(f.file_name, f.source, f.month, f.version, f.status, f.rows_read,
                 f.rows_loaded, f.rows_quarantined, f.rows_duplicate)
                for _, f in sorted(self.files.items())]


# ---- rendering typed values to raw text ------------------------------------------------

def _s(v) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%dT%H:%M:%S")
    if isinstance(v, date):
        return v.isoformat()
    return str(v)


def rms_raw(row: dict) -> dict[str, str]:
    return {c: _s(row[c]) for c in RMS_COLUMNS}


def custody_raw(row: dict) -> dict[str, str]:
    out = {}
    for c in CUSTODY_COLUMNS:
        v = row[c]
        if isinstance(v, datetime):
            out[c] = v.strftime("%d/%m/%Y %H:%M")
        else:
            out[c] = _s(v)
    return out


def _clean_rms(row: dict) -> dict:
    return {c: row[c] for c in RMS_COLUMNS}


def _clean_custody(row: dict) -> dict:
    return {c: row[c] for c in CUSTODY_COLUMNS}


def _contract_as_at(ct: dict, month: str) -> dict:
    end = month_end(month)
    if ct["final_date"] is not None and ct["final_date"] <= end:
        st, sd, fr = ct["final_status"], ct["final_date"], ct["final_reason"]
    else:
        st, sd, fr = "ACTIVE", None, None
    return {"contract_ref": ct["contract_ref"], "custody_ref": ct["custody_ref"],
            "start_date": ct["start_date"], "planned_end_date": ct["planned_end_date"],
            "status": st, "status_date": sd, "failure_reason": fr}


def _fake_rms(n: int, month: str, **over) -> dict:
    """A syntactically complete, otherwise valid RMS row for a made-up arrest."""
    d = month_end(month).replace(day=15)
    row = {
        "arrest_id": f"CLE-A-{9000000 + n:07d}", "record_version": 1,
        "updated_at": datetime(d.year, d.month, 15, 13, 0, 0), "force_code": "CLE",
        "person_id": f"CLEP9{n:05d}", "surname": "Fake", "forenames": "Row",
        "date_of_birth": date(1990, 5, 17), "sex": "M", "ethnicity_code": "W1",
        "arrest_datetime": datetime(d.year, d.month, 15, 11, 0, 0),
        "offence_code": "092/01", "drug_class": "B", "station_code": "CLE02",
        "outcome_code": None, "outcome_date": None, "record_status": "ACTIVE",
        "expunged_date": None,
    }
    row.update(over)
    return row


def _fake_custody(n: int, month: str, **over) -> dict:
    d = month_end(month).replace(day=16)
    row = {
        "custody_ref": f"CLE/C/26/{900000 + n:06d}", "arrest_id": f"CLE-A-{9500000 + n:07d}",
        "custody_suite": "Hartlepool Café Lane Suite",
        "booked_in": datetime(d.year, d.month, 16, 10, 0),
        "released": datetime(d.year, d.month, 16, 18, 0), "gravity_score": 2,
        "checkpoint_eligible": "Y", "ineligible_reason": None, "checkpoint_offered": "Y",
        "offer_response": "ACCEPTED", "custody_disposal": "CHECKPOINT",
    }
    row.update(over)
    return row


def _fake_contract(n: int, start: date, **over) -> dict:
    row = {"contract_ref": f"CP-{900000 + n:06d}", "custody_ref": f"CLE/C/26/{950000 + n:06d}",
           "start_date": start, "planned_end_date": add_months_clamped(start, 4),
           "status": "ACTIVE", "status_date": None, "failure_reason": None}
    row.update(over)
    return row


def _row(raw, fate, clean=None, why=""):
    return Entry("row", fate, raw, clean, why)


# ---- RMS ---------------------------------------------------------------------------------

def _rms_files(w: World, stage: int) -> tuple[list, dict[str, str]]:
    files: list = []
    status: dict[str, str] = {}
    months = [m for m in WORLD_MONTHS if m <= (STAGE1_LATEST if stage == 1 else STAGE2_LATEST)]
    by_month: dict[str, list[dict]] = {m: [] for m in WORLD_MONTHS}
    for v in w.versions:
        mo = ym(v["updated_at"])
        if mo in by_month:
            by_month[mo].append(v)
    for mo in by_month:
        by_month[mo].sort(key=lambda v: (v["updated_at"], v["arrest_id"], v["record_version"]))

    # re-sent equal in September: duplicate
    aug_sample = next(v for v in by_month["2026-08"][5:] if v["record_version"] == 1)
    jul_sample = by_month["2026-07"][7]        # re-sent with other values: quarantined
    # an arrest whose version 2 written in August is invalid (outcome code 99) and whose
    # version 3 arrives later: its versions are then 1 and 3
    bad_v2 = next(v for v in by_month["2026-08"]
                  if v["record_version"] == 2 and v["outcome_code"] == "22"
                  and any(x["arrest_id"] == v["arrest_id"] and x["record_version"] == 3
                          and ym(x["updated_at"]) <= STAGE1_LATEST for x in w.versions))
    w.special["rms_v2_quarantined"] = bad_v2["arrest_id"]

    for mo in months:
        header = list(RMS_COLUMNS)
        entries: list[Entry] = []
        for v in by_month[mo]:
            if v is bad_v2:
                raw = rms_raw(v)
                raw["outcome_code"] = "99"
                entries.append(_row(raw, QUARANTINED, why="outcome_code not in list"))
                continue
            entries.append(_row(rms_raw(v), LOADED, _clean_rms(v)))
        cf = CsvFile(f"rms/arrests_{mo.replace('-', '')}.csv", header, entries,
                     "utf-8-sig", "\r\n")
        add = entries.append
        if mo == "2026-02":
            cf.trailing_blank_lines = 2
            cf.notes.append("two trailing blank lines")
            add(_row(rms_raw(_fake_rms(1, mo, updated_at=datetime(2026, 1, 31, 22, 10))),
                     QUARANTINED, why="updated_at outside file month"))
        elif mo == "2026-03":
            # case / spaces variants on real rows: loaded
            for idx, tweak in ((0, {"sex": " {v} ", "force_code": "{l}"}),
                               (3, {"record_status": "{l}", "ethnicity_code": "{l} "}),
                               (6, {"arrest_id": "{l}", "drug_class": " {l}",
                                    "offence_code": " {v}"})):
                e = entries[idx]
                for col, pat in tweak.items():
                    val = e.raw[col]
                    e.raw[col] = pat.format(v=val, l=val.lower())
                e.why = "codes in other case / with spaces"
            # a repeated row (equal after normalisation): duplicate
            dup = dict(entries[10].raw)
            dup["sex"] = dup["sex"].lower()
            dup["surname"] = " " + dup["surname"] + " "
            add(_row(dup, DUPLICATE, why="repeat of an earlier row"))
        elif mo == "2026-04":
            add(_row(rms_raw(_fake_rms(2, mo, forenames="")), QUARANTINED,
                     why="required forenames empty"))
            add(_row(rms_raw(_fake_rms(3, mo, arrest_id="DURHAM-A-0000003")), QUARANTINED,
                     why="arrest_id pattern"))
            bad = rms_raw(_fake_rms(4, mo, sex="Q"))
            add(_row(bad, QUARANTINED, why="sex not in code list"))
            add(_row(dict(bad), DUPLICATE, why="repeat of a quarantined row"))
            r = rms_raw(_fake_rms(5, mo))
            r["date_of_birth"] = "1990-02-30"
            add(_row(r, QUARANTINED, why="date_of_birth does not parse"))
        elif mo == "2026-05":
            r1 = rms_raw(_fake_rms(6, mo))
            r2 = dict(r1, station_code="CLE05")
            add(_row(r1, QUARANTINED, why="same key, other values"))
            add(_row(r2, QUARANTINED, why="same key, other values"))
            add(_row(rms_raw(_fake_rms(7, mo, record_status="EXPUNGED", outcome_code="22",
                                       outcome_date=date(2026, 5, 1))),
                     QUARANTINED, why="EXPUNGED with no expunged_date"))
            add(_row(rms_raw(_fake_rms(8, mo, expunged_date=date(2026, 5, 2))),
                     QUARANTINED, why="expunged_date set while ACTIVE"))
        elif mo == "2026-06":
            add(_row(rms_raw(_fake_rms(9, mo, offence_code="092/02", drug_class=None)),
                     QUARANTINED, why="drug offence without drug_class"))
            add(_row(rms_raw(_fake_rms(10, mo, offence_code="046/01", drug_class="A")),
                     QUARANTINED, why="drug_class on a listed non-drug offence"))
            add(_row(rms_raw(_fake_rms(11, mo, outcome_code="1")), QUARANTINED,
                     why="outcome_code without outcome_date"))
            r = rms_raw(_fake_rms(12, mo))
            line = ",".join(r[c] for c in RMS_COLUMNS[:-3])
            add(Entry("raw", QUARANTINED, line, why="too few fields"))
            r = rms_raw(_fake_rms(13, mo))
            line = ",".join(r[c] for c in RMS_COLUMNS) + ",EXTRA"
            add(Entry("raw", QUARANTINED, line, why="too many fields"))
            # an unlisted offence code with a drug class: valid (not checked), loaded
            x = next(e for e in entries if e.fate == LOADED
                     and e.clean["offence_code"] == "030/01"
                     and e.clean["record_version"] == 1)
            x.raw["drug_class"] = "b"
            x.clean["drug_class"] = "B"
            x.why = "unlisted offence code with a drug class"
            _set_world_drug_class(w, x.clean["arrest_id"], "B")
            w.special["unlisted_code_with_class"] = x.clean["arrest_id"]
        elif mo == "2026-07":
            cf.header = header[::-1]
            cf.notes.append("columns in reverse order")
        elif mo == "2026-08":
            add(_row(rms_raw(_fake_rms(14, mo, force_code="XYZ")), QUARANTINED,
                     why="force_code not in list"))
        elif mo == "2026-09":
            cf.header = header + ["source_system"]
            cf.notes += ["extra column source_system (schema drift)",
                         "last line without line end"]
            for e in entries:
                e.raw["source_system"] = "NICHE"
            cf.final_newline = False
            add(_row(dict(rms_raw(aug_sample), source_system="NICHE"), DUPLICATE,
                     why="equal to a row loaded from August (updated_at in August)"))
            changed = dict(rms_raw(jul_sample), station_code="XXX99",
                           updated_at="2026-09-10T10:00:00", source_system="NICHE")
            add(_row(changed, QUARANTINED, why="key of a July row with other values"))
            # keep the "no line end" on a loaded row
            entries.append(entries.pop(0))
        elif mo == "2026-10":
            cf.quote_all = True
            cf.notes.append("every field quoted")
            add(_row(dict(entries[2].raw), DUPLICATE, why="repeated row"))
        files.append(cf)
        status[cf.name] = "accepted"

    # August _v2 that is not valid UTF-8: rejected, v1 stays in force
    aug = [e for e in files if e.name == "rms/arrests_202608.csv"][0]
    bad_entries = [Entry("row", None, dict(e.raw)) for e in aug.entries[:-6]
                   if e.kind == "row"]
    bad_entries[0].raw["surname"] = "Beaujé"
    files.append(CsvFile("rms/arrests_202608_v2.csv", list(RMS_COLUMNS), bad_entries,
                         "latin-1", "\r\n", prefix=b"\xef\xbb\xbf",
                         notes=["not valid UTF-8: a BOM, then a Latin-1 body"]))
    status["rms/arrests_202608_v2.csv"] = "rejected"
    return files, status


def _set_world_drug_class(w: World, arrest_id: str, dclass: str) -> None:
    w.arrests[arrest_id]["drug_class"] = dclass
    for v in w.versions:
        if v["arrest_id"] == arrest_id:
            v["drug_class"] = dclass


# ---- custody ---------------------------------------------------------------------------

def _custody_files(w: World, stage: int) -> tuple[list, dict[str, str]]:
    files: list = []
    status: dict[str, str] = {}
    by_month: dict[str, list[dict]] = {m: [] for m in WORLD_MONTHS}
    for c in w.custody:
        by_month[ym(c["booked_in"])].append(c)
    for mo in by_month:
        by_month[mo].sort(key=lambda c: (c["booked_in"], c["custody_ref"]))
    last = STAGE1_LATEST if stage == 1 else STAGE2_LATEST

    def std(rows):
        return [_row(custody_raw(c), LOADED, _clean_custody(c)) for c in rows]

    # header only: accepted with no rows, and the grid starts in 2026-01
    files.append(CsvFile("custody/custody_202601.csv", list(CUSTODY_COLUMNS), [],
                         "cp1252", "\n", notes=["header only"]))
    status["custody/custody_202601.csv"] = "accepted"

    jul_ref_row = by_month["2026-07"][4]
    # September records used by the stage-2 correction
    sep = by_month["2026-09"]
    no_contract = [c for c in sep if c["custody_disposal"] != "CHECKPOINT"]
    r_offer = next(c for c in no_contract
                   if c["checkpoint_eligible"] == "Y" and c["checkpoint_offered"] == "N")
    r_drop = next(c for c in no_contract if c is not r_offer)
    r_fix = next(c for c in no_contract if c not in (r_offer, r_drop)
                 and c["released"] is not None)
    w.special.update(custody_sep_offer_changed=r_offer["custody_ref"],
                     custody_sep_dropped=r_drop["custody_ref"],
                     custody_sep_fixed=r_fix["custody_ref"])

    for mo in [m for m in WORLD_MONTHS if m <= last]:
        entries = std(by_month[mo])
        add = entries.append
        cf = CsvFile(f"custody/custody_{mo.replace('-', '')}.csv", list(CUSTODY_COLUMNS),
                     entries, "cp1252", "\n")
        st = "accepted"
        if mo == "2026-03":
            # codes in other case / with spaces, y / yes / no flags: normalised, loaded
            yn = {"Y": ("yes", " y ", "Yes"), "N": ("no", " n ", "No")}
            e = entries[0]
            e.raw["checkpoint_eligible"] = yn[e.clean["checkpoint_eligible"]][0]
            e.raw["checkpoint_offered"] = yn[e.clean["checkpoint_offered"]][1]
            e = entries[1]
            e.raw["checkpoint_eligible"] = yn[e.clean["checkpoint_eligible"]][2]
            e.raw["custody_disposal"] = " " + e.raw["custody_disposal"].lower() + " "
            e = entries[2]
            e.raw["custody_ref"] = e.raw["custody_ref"].lower()
            e.raw["checkpoint_offered"] = yn[e.clean["checkpoint_offered"]][0].upper()
            e = next(x for x in entries if x.clean["offer_response"])
            e.raw["offer_response"] = e.raw["offer_response"].lower()
            e.raw["custody_suite"] = "  " + e.raw["custody_suite"] + "  "
            e = next(x for x in entries if x.clean["ineligible_reason"])
            e.raw["ineligible_reason"] = " " + e.raw["ineligible_reason"].title()
            for x in entries[:3]:
                x.why = "codes in other case / y, yes, no flags"
            # a repeated row (equal after normalisation): duplicate
            dup = dict(entries[6].raw)
            dup["checkpoint_eligible"] = dup["checkpoint_eligible"].lower()
            add(_row(dup, DUPLICATE, why="repeat of an earlier row"))
        elif mo == "2026-04":
            entries.insert(5, Entry("blank"))
            cf.notes.append("a blank line between rows")
            r = custody_raw(_fake_custody(1, mo))
            add(Entry("raw", QUARANTINED, ",".join(r[c] for c in CUSTODY_COLUMNS) + ",X",
                      why="too many fields"))
            add(_row(custody_raw(_fake_custody(2, mo, gravity_score=5)), QUARANTINED,
                     why="gravity_score outside 1-4"))
            add(_row(custody_raw(_fake_custody(3, mo, checkpoint_eligible="N",
                                               ineligible_reason="TOO_YOUNG",
                                               checkpoint_offered="N", offer_response=None,
                                               custody_disposal="CHARGED")),
                     QUARANTINED, why="ineligible_reason not in list"))
        elif mo == "2026-06":
            cf.header = ["booked_in", "custody_ref", "arrest_id", "custody_disposal",
                         "custody_suite", "released", "gravity_score",
                         "checkpoint_eligible", "checkpoint_offered", "ineligible_reason",
                         "offer_response"]
            cf.notes.append("columns in another order")
            a = custody_raw(_fake_custody(4, mo))
            b = dict(a, gravity_score="3")
            add(_row(a, QUARANTINED, why="same key, other values"))
            add(_row(dict(a, custody_disposal=" checkpoint "), DUPLICATE,
                     why="repeat (after normalisation) of a conflicting row"))
            add(_row(b, QUARANTINED, why="same key, other values"))
            r = custody_raw(_fake_custody(5, mo))
            r["booked_in"] = "31/06/2026 10:00"
            add(_row(r, QUARANTINED, why="booked_in does not parse"))
            add(_row(custody_raw(_fake_custody(6, mo, booked_in=datetime(2026, 7, 1, 0, 15),
                                               released=datetime(2026, 7, 1, 9, 0))),
                     QUARANTINED, why="booked_in outside file month"))
        elif mo == "2026-07":
            N_, Y_ = "N", "Y"
            faults = [
                (dict(checkpoint_eligible=N_, ineligible_reason=None, checkpoint_offered=N_,
                      offer_response=None, custody_disposal="CHARGED"),
                 "ineligible_reason missing when not eligible"),
                (dict(checkpoint_eligible=Y_, ineligible_reason="GRAVITY",
                      checkpoint_offered=N_, offer_response=None, custody_disposal="CHARGED"),
                 "ineligible_reason set when eligible"),
                (dict(checkpoint_eligible=N_, ineligible_reason="PREVIOUS",
                      checkpoint_offered=Y_, offer_response="DECLINED",
                      custody_disposal="CHARGED"), "offered although not eligible"),
                (dict(checkpoint_offered=Y_, offer_response=None, custody_disposal="CHARGED"),
                 "offer_response missing when offered"),
                (dict(checkpoint_offered=N_, offer_response="DECLINED",
                      custody_disposal="CHARGED"), "offer_response set when not offered"),
                (dict(checkpoint_offered=Y_, offer_response="DECLINED",
                      custody_disposal="CHECKPOINT"), "CHECKPOINT without acceptance"),
                (dict(offer_response="ACCEPTED", custody_disposal="CAUTIONED"),
                 "accepted without CHECKPOINT"),
                (dict(custody_suite=""), "required custody_suite empty"),
            ]
            for n, (over, why) in enumerate(faults):
                add(_row(custody_raw(_fake_custody(10 + n, mo, **over)), QUARANTINED,
                         why=why))
        elif mo == "2026-08":
            # header lacks `released`: rejected whole in stage 1 (custody 2026-08 is [x])
            cf.header = [c for c in CUSTODY_COLUMNS if c != "released"]
            cf.notes.append("header lacks released")
            st = "rejected"
        elif mo == "2026-09":
            rf = next(e for e in entries if e.clean["custody_ref"] == r_fix["custody_ref"])
            rf.raw["released"] = (r_fix["booked_in"] - timedelta(hours=1)).strftime(
                "%d/%m/%Y %H:%M")
            rf.fate, rf.clean, rf.why = QUARANTINED, None, "released before booked_in"
            coll = custody_raw(dict(jul_ref_row, booked_in=datetime(2026, 9, 9, 9, 0),
                                    released=datetime(2026, 9, 9, 13, 0)))
            add(_row(coll, QUARANTINED, why="custody_ref of a July record"))
        elif mo == "2026-10":
            cf.header = list(CUSTODY_COLUMNS) + ["detention_officer"]
            cf.notes += ["extra column detention_officer (schema drift)",
                         "last line without line end"]
            for e in entries:
                e.raw["detention_officer"] = "DO 4471"
            cf.final_newline = False
        files.append(cf)
        status[cf.name] = st

    # same bytes under another name: duplicate
    files.append(("copy", "custody/custody_202605_v2.csv", "custody/custody_202605.csv"))
    status["custody/custody_202605_v2.csv"] = "duplicate"
    # zero bytes: rejected (v1 stays in force)
    files.append(RawFile("custody/custody_202610_v2.csv", b"", ["zero bytes"]))
    status["custody/custody_202610_v2.csv"] = "rejected"

    if stage >= 2:
        # a correct August delivery
        entries = std(by_month["2026-08"])
        entries[0].raw["checkpoint_eligible"] = entries[0].raw["checkpoint_eligible"].lower()
        files.append(CsvFile("custody/custody_202608_v2.csv", list(CUSTODY_COLUMNS),
                             entries, "cp1252", "\n"))
        status["custody/custody_202608_v2.csv"] = "accepted"
        # the September correction: one record now offered (declined), one record gone,
        # the record with released before booked_in fixed, the collision row still there
        rows = []
        for c in by_month["2026-09"]:
            if c is r_drop:
                continue
            if c is r_offer:
                c = dict(c, checkpoint_offered="Y", offer_response="DECLINED",
                         custody_disposal="CHARGED")
            rows.append(c)
        entries = std(rows)
        coll = custody_raw(dict(jul_ref_row, booked_in=datetime(2026, 9, 9, 9, 0),
                                released=datetime(2026, 9, 9, 13, 0)))
        entries.append(_row(coll, QUARANTINED, why="custody_ref of a July record"))
        files.append(CsvFile("custody/custody_202609_v2.csv", list(CUSTODY_COLUMNS),
                             entries, "cp1252", "\n"))
        status["custody/custody_202609_v2.csv"] = "accepted"
        # v3 holds a byte Windows-1252 does not define: rejected, v2 stays in force
        bad = [Entry("row", None, dict(e.raw)) for e in entries[:-1] if e.kind == "row"]
        v3 = CsvFile("custody/custody_202609_v3.csv", list(CUSTODY_COLUMNS), bad,
                     "cp1252", "\n", byte_patch=(b"Caf\xe9", b"Caf\x81"),
                     notes=["byte 0x81, undefined in Windows-1252"])
        files.append(v3)
        status["custody/custody_202609_v3.csv"] = "rejected"
    return files, status


# ---- programme ---------------------------------------------------------------------------

CONTRACT_ORDERS = [
    CONTRACT_COLUMNS,
    ["contract_ref", "status", "status_date", "start_date", "planned_end_date",
     "custody_ref", "failure_reason"],
    ["custody_ref", "contract_ref", "failure_reason", "planned_end_date", "start_date",
     "status_date", "status"],
]
SESSION_ORDERS = [
    SESSION_COLUMNS,
    ["session_date", "contract_ref", "hours", "session_type", "attendance"],
]


def _contract_cells(row: dict, text_cols: set[str]) -> dict:
    out = {}
    for c in CONTRACT_COLUMNS:
        v = row[c]
        if isinstance(v, date) and c in text_cols:
            v = _ddmmyyyy(v)
        out[c] = v
    return out


def _session_cells(row: dict, as_text: bool) -> dict:
    out = {c: row[c] for c in SESSION_COLUMNS}
    if as_text:
        out["session_date"] = _ddmmyyyy(row["session_date"])
    return out


def _clean_session(s: dict) -> dict:
    return {c: s[c] for c in SESSION_COLUMNS}


def _programme_files(w: World, stage: int) -> tuple[list, dict[str, str]]:
    files: list = []
    status: dict[str, str] = {}
    last = STAGE1_LATEST if stage == 1 else STAGE2_LATEST
    orphan_start = date(2026, 5, 10)
    orphan = {"contract_ref": "CP-999990", "custody_ref": "DUR/C/26/999999",
              "start_date": orphan_start, "planned_end_date": add_months_clamped(orphan_start, 4),
              "status": "ACTIVE", "status_date": None, "failure_reason": None}
    w.special["orphan_contract"] = "CP-999990"

    # pick real contracts for the October (latest of stage 1) faults
    oct_completed = next(ct for ct in w.contracts if ct["final_status"] == "COMPLETED"
                         and ym(ct["final_date"]) == "2026-10")
    oct_failed = next(ct for ct in w.contracts if ct["final_status"] == "FAILED"
                      and ym(ct["final_date"]) == "2026-10")
    oct_started = next(ct for ct in w.contracts if ym(ct["start_date"]) == "2026-10")
    assert oct_started["start_date"] + timedelta(days=120) != oct_started["planned_end_date"]
    w.special.update(oct_row_status_date_missing=oct_completed["contract_ref"],
                     oct_row_conflict=oct_failed["contract_ref"],
                     oct_row_planned_end_wrong=oct_started["contract_ref"])

    # sessions by recorded month
    sess_by_month: dict[str, list[dict]] = {m: [] for m in WORLD_MONTHS}
    for s in w.sessions:
        sess_by_month[s["_recorded"]].append(s)
    for mo in sess_by_month:
        sess_by_month[mo].sort(key=lambda s: (s["session_date"], s["contract_ref"],
                                              s["session_type"]))
    # a June session recorded MISSED, corrected to EXCUSED in July; another June session
    # re-sent equal in July (duplicate)
    jun_missed = next(s for s in sess_by_month["2026-06"] if s["attendance"] == "MISSED")
    jun_equal = next(s for s in sess_by_month["2026-06"] if s["attendance"] == "ATTENDED"
                     and s is not jun_missed)
    w.special["session_corrected"] = f"{jun_missed['contract_ref']}|{jun_missed['session_date']}"
    jun_missed_original = dict(jun_missed, attendance="MISSED")
    jun_missed_corrected = dict(jun_missed, attendance="EXCUSED")
    # an April session with hours 9.5 (quarantined, never loaded)
    apr_bad = sess_by_month["2026-04"][3]

    for mi, mo in enumerate([m for m in WORLD_MONTHS if m <= last]):
        text_cols_cycle = [{"start_date"}, {"status_date"}, {"planned_end_date"}, set(),
                           {"start_date", "planned_end_date"}]
        centries: list[Entry] = []
        for n, ct in enumerate(w.contracts):
            if ct["start_date"] > month_end(mo):
                continue
            if ct["omit_from"] and mo >= ct["omit_from"]:
                continue
            row = _contract_as_at(ct, mo)
            cells = _contract_cells(row, text_cols_cycle[(n + mi) % 5])
            centries.append(_row(cells, LOADED, row))
        if orphan_start <= month_end(mo):
            centries.append(_row(_contract_cells(orphan, {"start_date"}), LOADED, dict(orphan)))
        sentries: list[Entry] = []
        rows = list(sess_by_month[mo])
        if mo == "2026-06":
            rows = [jun_missed_original if s is jun_missed else s for s in rows]
        for n, s in enumerate(rows):
            cl = _clean_session(s)
            sentries.append(_row(_session_cells(cl, (n + mi) % 6 == 0), LOADED, cl))
        cadd, sadd = centries.append, sentries.append
        file_notes: list[str] = []
        extra_sheet_first = mi % 3 == 0
        corder = CONTRACT_ORDERS[mi % 3]
        sorder = SESSION_ORDERS[mi % 2]

        if mo == "2026-04":
            e = next(e for e in centries if e.clean["status"] == "ACTIVE")
            e.raw["status"] = " active "
            e.why = "status in lower case with spaces"
            cadd(_row(_contract_cells(_fake_contract(1, date(2026, 4, 9),
                                                     contract_ref="CP-12345"), set()),
                      QUARANTINED, why="contract_ref pattern"))
            for e in sentries:
                if e.clean == _clean_session(apr_bad):
                    e.raw["hours"] = 9.5
                    e.fate, e.clean, e.why = QUARANTINED, None, "hours outside 0-8"
            e = next(e for e in sentries if e.fate == LOADED
                     and e.clean["attendance"] == "ATTENDED")
            e.raw["attendance"] = "attended"
            e.why = "attendance in lower case"
        elif mo == "2026-05":
            sadd(_row(_session_cells({"contract_ref": "CP-900002",
                                      "session_date": date(2026, 5, 6),
                                      "session_type": "YOGA", "attendance": "ATTENDED",
                                      "hours": 1.0}, False), QUARANTINED,
                      why="session_type not in list"))
            orphan_s = {"contract_ref": "CP-999998", "session_date": date(2026, 5, 20),
                        "session_type": "ASSESSMENT", "attendance": "ATTENDED", "hours": 1.5}
            sadd(_row(_session_cells(orphan_s, False), LOADED, dict(orphan_s),
                      why="session of a contract never seen"))
            w.special["orphan_session"] = "CP-999998"
        elif mo == "2026-06":
            # one contract row repeated, once with date cells and once with typed dates
            e = next(e for e in centries if e.clean["status"] == "ACTIVE")
            cadd(_row(_contract_cells(e.clean, {"start_date", "planned_end_date"}),
                      DUPLICATE, why="repeat with typed dates"))
            bad = _contract_cells(_fake_contract(3, date(2026, 6, 2)), set())
            bad["start_date"] = "31/06/2026"
            cadd(_row(bad, QUARANTINED, why="start_date does not parse"))
            sentries.insert(4, Entry("blank"))
            file_notes = ["a wholly empty worksheet row in Sessions"]
        elif mo == "2026-07":
            cadd(_row(_contract_cells(_fake_contract(4, date(2026, 7, 3),
                                                     status_date=date(2026, 7, 20)), set()),
                      QUARANTINED, why="status_date set while ACTIVE"))
            cadd(_row(_contract_cells(_fake_contract(5, date(2026, 7, 3), status="FAILED",
                                                     status_date=date(2026, 7, 28)), set()),
                      QUARANTINED, why="FAILED without failure_reason"))
            cl = _clean_session(jun_missed_corrected)
            sadd(_row(_session_cells(cl, True), LOADED, cl,
                      why="correction of a June session"))
            cl = _clean_session(jun_equal)
            sadd(_row(_session_cells(cl, False), DUPLICATE,
                      why="equal to a session loaded from June"))
        elif mo == "2026-08":
            cadd(_row(_contract_cells(_fake_contract(6, date(2026, 8, 4), status="COMPLETED",
                                                     status_date=date(2026, 8, 25),
                                                     failure_reason="REOFFENDED"), set()),
                      QUARANTINED, why="failure_reason set when not FAILED"))
            cadd(_row(_contract_cells(_fake_contract(7, date(2026, 8, 5),
                                                     planned_end_date=date(2026, 12, 3)),
                                      set()),
                      QUARANTINED, why="planned_end_date not four months on"))
            e = next(e for e in sentries if e.fate == LOADED)
            sadd(_row(dict(e.raw), DUPLICATE, why="repeated session row"))
            s1 = {"contract_ref": "CP-900050", "session_date": date(2026, 8, 12),
                  "session_type": "REVIEW", "attendance": "ATTENDED", "hours": 0.5}
            sadd(_row(_session_cells(s1, False), QUARANTINED, why="same session, other values"))
            sadd(_row(_session_cells(dict(s1, attendance="MISSED", hours=0.0), False),
                      QUARANTINED, why="same session, other values"))
        elif mo == "2026-09":
            corder = corder + ["navigator"]
            file_notes = ["extra column navigator in Contracts (schema drift)"]
            for e in centries:
                e.raw["navigator"] = "N. Avigator"
        elif mo == "2026-10":
            for e in list(centries):
                ref = e.clean["contract_ref"]
                if ref == oct_completed["contract_ref"]:
                    e.raw["status_date"] = None
                    e.fate, e.clean, e.why = QUARANTINED, None, \
                        "status_date missing when COMPLETED"
                elif ref == oct_failed["contract_ref"]:
                    other = dict(e.raw, failure_reason=[r for r in FAILURE_REASONS
                                                        if r != e.raw["failure_reason"]][0])
                    e.fate, e.clean, e.why = QUARANTINED, None, "same key, other values"
                    cadd(_row(other, QUARANTINED, why="same key, other values"))
                elif ref == oct_started["contract_ref"]:
                    e.raw["planned_end_date"] = e.clean["start_date"] + timedelta(days=120)
                    e.fate, e.clean, e.why = QUARANTINED, None, \
                        "planned_end_date not four months on"
        sheets = [Sheet("Contracts", corder, centries), Sheet("Sessions", sorder, sentries)]
        if mi % 2 == 1:
            sheets.reverse()
        extra = Sheet("Notes", ["note"], [Entry("row", None, {"note": "Exported by the provider"})])
        sheets = [extra] + sheets if extra_sheet_first else sheets + [extra]
        files.append(XlsxFile(f"programme/checkpoint_programme_{mo.replace('-', '')}.xlsx",
                              sheets, list(file_notes) + [
                                  "sheets: " + ", ".join(sh.name for sh in sheets)]))
        status[files[-1].name] = "accepted"

    # June v2 whose Sessions header lacks `hours`: rejected, v1 stays in force
    jun = next(f for f in files if f.name.endswith("202606.xlsx"))
    bad_sheets = []
    for sh in jun.sheets:
        if sh.name == "Sessions":
            hdr = [c for c in sh.header if c != "hours"]
            bad_sheets.append(Sheet("Sessions", hdr, [Entry("row", None, dict(e.raw))
                                                       for e in sh.entries if e.kind == "row"]))
        elif sh.name == "Contracts":
            bad_sheets.append(Sheet("Contracts", sh.header,
                                    [Entry("row", None, dict(e.raw)) for e in sh.entries
                                     if e.kind == "row"][:-3]))
    files.append(XlsxFile("programme/checkpoint_programme_202606_v2.xlsx", bad_sheets,
                          ["Sessions header lacks hours"]))
    status["programme/checkpoint_programme_202606_v2.xlsx"] = "rejected"
    return files, status


# --------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------

FIXED_ZIP_TIME = (2026, 1, 1, 0, 0, 0)


def _csv_bytes(f: CsvFile) -> bytes:
    buf = io.StringIO()
    lines: list[str] = []

    def fmt(values: list[str]) -> str:
        b = io.StringIO()
        csv.writer(b, lineterminator="",
                   quoting=csv.QUOTE_ALL if f.quote_all else csv.QUOTE_MINIMAL
                   ).writerow(values)
        return b.getvalue()

    lines.append(fmt(f.header))
    for e in f.entries:
        if e.kind == "blank":
            lines.append("")
        elif e.kind == "raw":
            lines.append(e.raw)
        else:
            lines.append(fmt([e.raw.get(c, "") for c in f.header]))
    text = f.newline.join(lines)
    if f.final_newline:
        text += f.newline
    text += f.newline * f.trailing_blank_lines
    buf.write(text)
    enc = "utf-8" if f.encoding == "utf-8-sig" else f.encoding
    data = (b"\xef\xbb\xbf" if f.encoding == "utf-8-sig" else f.prefix) + text.encode(
        enc, errors="replace" if enc == "latin-1" else "strict")
    if f.byte_patch:
        old, new = f.byte_patch
        assert old in data, f"byte patch target missing in {f.name}"
        data = data.replace(old, new, 1)
    return data


def _xlsx_bytes(f: XlsxFile) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for sh in f.sheets:
        ws = wb.create_sheet(sh.name)
        for ci, col in enumerate(sh.header, 1):
            ws.cell(row=1, column=ci, value=col)
        r = 2
        for e in sh.entries:
            if e.kind == "blank":
                r += 1  # a wholly empty worksheet row
                continue
            for ci, col in enumerate(sh.header, 1):
                v = e.raw.get(col)
                if v is None:
                    continue
                cell = ws.cell(row=r, column=ci, value=v)
                if isinstance(v, date):
                    cell.number_format = "DD/MM/YYYY"
            r += 1
    fixed = datetime(2026, 1, 1, 0, 0, 0)
    wb.properties.created = fixed
    wb.properties.creator = "Checkpoint provider"
    raw = io.BytesIO()
    wb.save(raw)
    # make the bytes deterministic: fixed modified time and fixed zip entry times
    src = zipfile.ZipFile(io.BytesIO(raw.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>2026-01-01T00:00:00Z\g<2>", data)
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, data)
    return out.getvalue()


# --------------------------------------------------------------------------------------
# Assembly and expectations
# --------------------------------------------------------------------------------------

def _parse_name(name: str) -> tuple[str, str, int] | None:
    m = re.fullmatch(r"(rms)/arrests_(\d{4})(\d{2})(?:_v(\d+))?\.csv"
                     r"|(custody)/custody_(\d{4})(\d{2})(?:_v(\d+))?\.csv"
                     r"|(programme)/checkpoint_programme_(\d{4})(\d{2})(?:_v(\d+))?\.xlsx",
                     name)
    if not m:
        return None
    g = m.groups()
    for i in (0, 4, 8):
        if g[i]:
            return g[i], f"{g[i + 1]}-{g[i + 2]}", int(g[i + 3] or 1)
    return None


def _entries_of(f) -> list[Entry]:
    if isinstance(f, CsvFile):
        return f.entries
    if isinstance(f, XlsxFile):
        return [e for sh in f.sheets if sh.name in ("Contracts", "Sessions")
                for e in sh.entries]
    return []


def _plan(stage: int):
    if stage not in (1, 2):
        raise ValueError("stage must be 1 or 2")
    w = _build_world()
    rms, st1 = _rms_files(w, stage)
    cus, st2 = _custody_files(w, stage)
    prog, st3 = _programme_files(w, stage)
    status = {**st1, **st2, **st3}
    files = rms + cus + prog
    lock = RawFile("rms/~$arrests_202607.csv", b"\x0cOwner\x00\x00\x00 lock file\x00",
                   ["a ~$ lock file"])
    notes = RawFile("notes.txt", "Deliveries for July: custody file follows.\n".encode(),
                    ["not a delivery name"])
    tmp_src = next(f for f in cus if isinstance(f, CsvFile)
                   and f.name == "custody/custody_202607.csv")
    files += [lock, notes, ("partial", "custody/custody_202608.csv.tmp", tmp_src)]
    for n in (lock.name, notes.name, "custody/custody_202608.csv.tmp"):
        status[n] = "ignored"
    return w, files, status


def _render(files) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for f in files:
        if isinstance(f, CsvFile):
            out[f.name] = _csv_bytes(f)
        elif isinstance(f, XlsxFile):
            out[f.name] = _xlsx_bytes(f)
        elif isinstance(f, RawFile):
            out[f.name] = f.data
    for f in files:
        if isinstance(f, tuple) and f[0] == "copy":
            out[f[1]] = out[f[2]]
        elif isinstance(f, tuple) and f[0] == "partial":
            full = _csv_bytes(f[2])
            out[f[1]] = full[: len(full) // 2]
    return out


def _expectations(files, status) -> dict[str, FileExpectation]:
    exp: dict[str, FileExpectation] = {}
    accepted_versions: dict[tuple[str, str], list[int]] = {}
    for f in files:
        name = f[1] if isinstance(f, tuple) else f.name
        st = status[name]
        parsed = _parse_name(name)
        src, mo, ver = parsed if parsed else (None, None, None)
        fe = FileExpectation(name, src, mo, ver, st)
        fnotes = [] if isinstance(f, tuple) else list(f.notes)
        if isinstance(f, tuple) and f[0] == "copy":
            fnotes = [f"same bytes as {f[2]}"]
        elif isinstance(f, tuple):
            fnotes = ["a .tmp file still being written"]
        fe.note = "; ".join(fnotes)
        if st == "accepted":
            ents = [e for e in _entries_of(f) if e.kind != "blank"]
            fe.rows_read = len(ents)
            fe.rows_loaded = sum(e.fate == LOADED for e in ents)
            fe.rows_quarantined = sum(e.fate == QUARANTINED for e in ents)
            fe.rows_duplicate = sum(e.fate == DUPLICATE for e in ents)
            assert fe.rows_read == fe.rows_loaded + fe.rows_quarantined + fe.rows_duplicate
            accepted_versions.setdefault((src, mo), []).append(ver)
            fe.note = "; ".join(fnotes + sorted({e.why for e in ents if e.why}))
        exp[name] = fe
    for fe in exp.values():
        if fe.status == "accepted" and max(accepted_versions[(fe.source, fe.month)]) > fe.version:
            fe.status = "superseded"
    return exp


def _in_force(files, exp) -> list:
    return [f for f in files if not isinstance(f, tuple) and f.name in exp
            and exp[f.name].status == "accepted"]


def _loaded(files, exp, w: World) -> dict[str, list[dict]]:
    order = {"rms": 0, "custody": 1, "programme": 2}
    live = sorted(_in_force(files, exp),
                  key=lambda f: (order[exp[f.name].source], exp[f.name].month,
                                 exp[f.name].version))
    arrests: dict[tuple, dict] = {}
    custody: dict[str, dict] = {}
    contracts: dict[str, dict] = {}
    sessions: dict[tuple, dict] = {}
    for f in live:
        src = exp[f.name].source
        if src == "rms":
            for e in f.entries:
                if e.fate == LOADED:
                    key = (e.clean["arrest_id"], e.clean["record_version"])
                    assert key not in arrests, key
                    arrests[key] = dict(e.clean)
        elif src == "custody":
            for e in f.entries:
                if e.fate == LOADED:
                    assert e.clean["custody_ref"] not in custody
                    custody[e.clean["custody_ref"]] = dict(e.clean)
        else:
            for sh in f.sheets:
                for e in sh.entries:
                    if e.fate != LOADED:
                        continue
                    if sh.name == "Contracts":
                        contracts[e.clean["contract_ref"]] = dict(e.clean)
                    elif sh.name == "Sessions":
                        k = (e.clean["contract_ref"], e.clean["session_date"],
                             e.clean["session_type"])
                        sessions[k] = dict(e.clean)
    out_arrests = []
    for key in sorted(arrests):
        r = arrests[key]
        r["age_at_arrest"] = age_on(r["date_of_birth"], r["arrest_datetime"].date())
        r["offence_group"] = OFFENCE_GROUP.get(r["offence_code"], "other")
        r["ethnicity_group"] = ETHNICITY_GROUP[r["ethnicity_code"]]
        out_arrests.append(r)
    return {
        "arrests": out_arrests,
        "custody": [custody[k] for k in sorted(custody)],
        "contracts": [contracts[k] for k in sorted(contracts)],
        "sessions": [sessions[k] for k in sorted(sessions)],
    }


def _latest_complete(exp: dict[str, FileExpectation]) -> str:
    have: dict[str, set[str]] = {"rms": set(), "custody": set(), "programme": set()}
    for f in exp.values():
        if f.status in ("accepted", "superseded"):
            have[f.source].add(f.month)
    return max(have["rms"] & have["custody"] & have["programme"])


def expected_loaded_rows(stage: int = 1) -> dict[str, list[dict]]:
    """Rows in force after ingesting the stage's landing folder, by table.

    Keys: ``arrests`` (every loaded record version, sorted by (arrest_id,
    record_version); the 18 RMS columns plus derived ``age_at_arrest``,
    ``offence_group``, ``ethnicity_group``), ``custody`` (records of the delivery in
    force for their month), ``contracts`` (latest loaded row per contract_ref) and
    ``sessions`` (latest loaded row per (contract_ref, session_date, session_type)).
    Values are typed: ``datetime.date`` / ``datetime.datetime``, ints for
    record_version and gravity_score, floats for hours, ``None`` for empty optional
    values, codes upper-case, flags ``'Y'``/``'N'``, outcome_code as text (``'22'``).
    Orphans (references to keys not loaded) are included: they are loaded rows.
    """
    w, files, status = _plan(stage)
    exp = _expectations(files, status)
    return _loaded(files, exp, w)


def build_landing(root: Path | str, stage: int = 1) -> Expected:
    """Write the landing folder of ``stage`` (1 or 2) under ``root`` and return what it
    implies. Stage 2 writes every stage-1 file again with identical bytes, plus the
    stage-2 files, so it can be called on a folder already ingested at stage 1."""
    root = Path(root)
    w, files, status = _plan(stage)
    blobs = _render(files)
    for name, data in blobs.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    exp = _expectations(files, status)
    assert set(exp) == set(blobs)
    return Expected(stage, root, exp, _loaded(files, exp, w), dict(w.special),
                    _latest_complete(exp))


def landing_bytes(stage: int = 1) -> dict[str, bytes]:
    """The files of the stage's landing folder as {relative name: bytes}, unwritten."""
    _, files, _ = _plan(stage)
    return _render(files)
