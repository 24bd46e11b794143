"""Tunable parameters of the simulated world and of the fault injection.

Why a separate module: the rates are the only "opinions" in the generator. Code lists (forces,
offence codes, outcome types, ethnicity codes, the custody/programme code lists) are never
copied here; they come from the contracts and the dbt seeds at run time. What lives here are
weights and probabilities keyed by those codes, with a default for any code not mentioned,
so a new seed row still gets generated.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Scale:
    """How big the world is: arrests per month and which forces make them."""

    name: str
    arrests_per_month: float
    # force_code -> weight. None: every force of the seed ref_forces, weighted by
    # FORCE_POPULATION (default 1.0 for a force not listed there).
    force_weights: dict[str, float] | None
    # true self-defined ethnicity code -> weight (NS is a recording state, not drawn here)
    ethnicity_weights: dict[str, float] = field(default_factory=dict)


# Resident population in millions (approximate; only used as relative weights).
FORCE_POPULATION: dict[str, float] = {
    "AAS": 1.7, "BED": 0.7, "CAM": 0.9, "CHE": 1.1, "COL": 0.15, "CLE": 0.57, "CUM": 0.5,
    "DER": 1.05, "DAC": 1.8, "DOR": 0.78, "DUR": 0.65, "DYP": 0.52, "ESS": 1.85, "GLO": 0.64,
    "GMP": 2.87, "GWE": 0.6, "HAM": 2.0, "HER": 1.2, "HUM": 0.93, "KEN": 1.87, "LAN": 1.5,
    "LEI": 1.1, "LIN": 0.77, "MER": 1.43, "MPS": 8.9, "NFK": 0.92, "NWP": 0.7, "NYK": 0.83,
    "NTH": 0.76, "NOR": 1.47, "NOT": 1.17, "SWP": 1.35, "SYP": 1.4, "STA": 1.13, "SUF": 0.76,
    "SUR": 1.2, "SUS": 1.7, "TVP": 2.4, "WAR": 0.6, "WMC": 1.3, "WMP": 2.9, "WYP": 2.35,
    "WIL": 0.73,
}

_ETHNICITY_DURHAM = {
    "W1": 88.0, "W2": 0.8, "W3": 0.8, "W9": 3.5, "A1": 0.6, "A2": 0.6, "A3": 0.4, "A4": 0.4,
    "A5": 0.3, "B1": 0.3, "B2": 0.5, "B3": 0.2, "M1": 0.6, "M2": 0.2, "M3": 0.3, "M4": 0.4,
    "O1": 0.3, "O2": 0.4,
}
_ETHNICITY_NATIONAL = {
    "W1": 70.0, "W2": 1.0, "W3": 0.6, "W9": 6.5, "A1": 2.6, "A2": 3.0, "A3": 1.4, "A4": 0.6,
    "A5": 1.2, "B1": 2.4, "B2": 2.8, "B3": 1.2, "M1": 1.2, "M2": 0.5, "M3": 0.5, "M4": 0.8,
    "O1": 0.8, "O2": 1.6,
}

SCALES: dict[str, Scale] = {
    # Durham: one force, with a few arrests made by neighbouring forces.
    "durham": Scale("durham", 1200, {"DUR": 0.97, "CLE": 0.012, "NOR": 0.012, "NYK": 0.006},
                    _ETHNICITY_DURHAM),
    "national": Scale("national", 60000, None, _ETHNICITY_NATIONAL),
}

# --- people -----------------------------------------------------------------------------
PERSONS_PER_ARREST = 0.6        # pool size per force; skewed draws give repeat arrestees
REPEAT_SKEW = 1.8               # person index = floor(pool * u**REPEAT_SKEW)
JUVENILE_SHARE = 0.04           # aged 16-17 at the start of the run
SEX_WEIGHTS = {"M": 0.84, "F": 0.15, "X": 0.003, "U": 0.007}
ETHNICITY_NOT_STATED_PERSON = 0.04   # person declines to state: NS on every arrest
ETHNICITY_NOT_RECORDED_ARREST = 0.04  # officer left it NS on this arrest
ETHNICITY_AMENDED = 0.5               # ... and of those, later corrected in a new version
SECOND_FORENAME = 0.12
DOUBLE_BARRELLED = 0.03

# --- arrests ----------------------------------------------------------------------------
# offence_code -> weight; codes of the seed not listed get DEFAULT_OFFENCE_WEIGHT.
OFFENCE_WEIGHTS: dict[str, float] = {
    "092/01": 13.0, "092/02": 6.0, "092/03": 3.0, "092/04": 2.0, "092/05": 1.2,
    "046/01": 12.0, "058/01": 7.0, "105/01": 9.0, "008/01": 6.0, "125/01": 8.0,
}
DEFAULT_OFFENCE_WEIGHT = 2.0
# Well-formed Home Office codes outside the seed (offence group "other"), with a total weight.
OTHER_OFFENCE_CODES = ("028/01", "030/01", "037/02", "049/01", "010/01", "003/01", "802/01",
                       "804/01", "814/01", "066/05", "090/01", "195/12")
# Most arrests are for offences Checkpoint never covers (burglary, robbery, driving, ...).
OTHER_OFFENCE_WEIGHT = 150.0
# drug class weights (A, B, C) by offence code; default for a drug offence not listed.
DRUG_CLASS_WEIGHTS: dict[str, tuple[float, float, float]] = {
    "092/01": (0.0, 1.0, 0.0),      # cannabis is class B
    "092/02": (0.65, 0.2, 0.15),
    "092/03": (0.6, 0.35, 0.05),
    "092/04": (0.6, 0.35, 0.05),
    "092/05": (0.05, 0.9, 0.05),
}
DEFAULT_DRUG_CLASS_WEIGHTS = (0.4, 0.4, 0.2)
HOUR_WEIGHTS = (3, 2.5, 2, 1.5, 1, 0.8, 0.8, 1, 1.5, 2, 2.5, 3, 3.5, 3.8, 4, 4.2, 4.5, 4.8,
                5, 5, 4.8, 4.5, 4, 3.5)
SEASONALITY = 0.08              # +-8% arrests over the year

# --- custody and the Checkpoint funnel --------------------------------------------------
CUSTODY_SHARE = 0.9             # arrests that lead to a custody record
# gravity score weights (1, 2, 3, 4) by offence group
GRAVITY_WEIGHTS: dict[str, tuple[float, float, float, float]] = {
    "possession": (0.4, 0.5, 0.1, 0.0),
    "supply": (0.0, 0.25, 0.5, 0.25),
    "production": (0.0, 0.3, 0.5, 0.2),
    "theft": (0.3, 0.55, 0.15, 0.0),
    "damage": (0.25, 0.55, 0.2, 0.0),
    "violence": (0.0, 0.45, 0.42, 0.13),
    "public_order": (0.3, 0.55, 0.15, 0.0),
}
DEFAULT_GRAVITY_WEIGHTS = (0.1, 0.3, 0.35, 0.25)
# Among in-scope adults with gravity <= 3: reasons a sergeant still says no. A previous
# record bars most; with the offence mix this gives Durham a few dozen contracts a month.
OTHER_INELIGIBLE = {"PREVIOUS": 0.55, "DENIED": 0.1, "OTHER": 0.05}
OFFERED_SHARE = 0.88            # eligible -> offered
ACCEPTED_SHARE = 0.78           # offered -> accepted
DISPOSAL_DECLINED = {"CHARGED": 0.55, "CAUTIONED": 0.15, "RUI": 0.2, "BAILED": 0.1}
DISPOSAL_OTHERWISE = {"CHARGED": 0.3, "CAUTIONED": 0.1, "NFA": 0.2, "RUI": 0.25,
                      "BAILED": 0.1, "OTHER": 0.05}
REMANDED_SHARE_OF_CHARGED = 0.03  # released left empty

# --- contracts and sessions -------------------------------------------------------------
CONTRACT_MONTHS = 4
CONTRACT_OUTCOME = {"COMPLETED": 0.875, "FAILED": 0.085, "WITHDRAWN": 0.04}
FAILURE_REASONS = {"NON_ATTENDANCE": 0.5, "REOFFENDED": 0.25, "NON_COMPLIANCE": 0.25}
# (session_type, day offset from start, who gets it: all | drug | victim)
SESSION_TEMPLATE: tuple[tuple[str, int, str], ...] = (
    ("ASSESSMENT", 3, "all"),
    ("DRUG_AWARENESS", 14, "drug"),
    ("RESTORATIVE_JUSTICE", 28, "victim"),
    ("REVIEW", 30, "all"),
    ("DRUG_AWARENESS", 38, "drug"),
    ("COMMUNITY_WORK", 45, "all"),
    ("REVIEW", 60, "all"),
    ("COMMUNITY_WORK", 66, "all"),
    ("COMMUNITY_WORK", 88, "all"),
    ("REVIEW", 92, "all"),
    ("REVIEW", 116, "all"),
)
SESSION_JITTER_DAYS = 3         # same-type sessions are >= 8 days apart: keys stay unique
SESSION_HOURS: dict[str, tuple[float, ...]] = {
    "ASSESSMENT": (1.5,), "DRUG_AWARENESS": (2.0,), "RESTORATIVE_JUSTICE": (2.0, 2.5),
    "COMMUNITY_WORK": (3.0, 4.0, 6.0, 7.5), "REVIEW": (0.5, 1.0),
}
ATTENDANCE = {"ATTENDED": 0.88, "MISSED": 0.08, "EXCUSED": 0.04}
ATTENDANCE_NON_ATTENDERS = {"ATTENDED": 0.45, "MISSED": 0.5, "EXCUSED": 0.05}
# recording lag (days) bands: (probability, low, high)
RECORDING_LAG = ((0.75, 0, 2), (0.2, 3, 14), (0.05, 15, 70))

# --- RMS record versions ----------------------------------------------------------------
# creation lag after the arrest: (probability, low minutes, high minutes)
CREATE_LAG_MINUTES = ((0.85, 10, 240), (0.12, 240, 2880), (0.03, 2880, 8640))

# --- faults: expected count per row of the delivery (at least one per file when on) -----
FAULT_RATES: dict[str, float] = {
    "code_case_space": 0.004,
    "flag_variant": 0.02,
    "duplicate_row": 0.002,
    "key_conflict": 0.0006,
    "field_count": 0.0006,
    "required_empty": 0.0006,
    "bad_value": 0.0008,
    "bad_date": 0.0005,
    "cross_rule": 0.0008,
    "month_outside": 0.0005,
    "earlier_version_changed": 0.0005,
    "earlier_version_resent": 0.0005,
    "custody_ref_other_month": 0.0005,
    "session_correction": 0.001,
    "session_resent": 0.0005,
    "text_date": 0.03,
    "late_redelivery_rows": 0.005,
}
CUSTODY_CASE_RATE = 0.03        # the spec warns custody codes arrive in any case
