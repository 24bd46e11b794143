"""Simulate one coherent Checkpoint world, column by column.

Why a "world" first and files second: every file is a view of the same truth (an arrest, its
custody record, its contract, its sessions and the later record versions agree), so the
warehouse's joins, orphan checks and measures can be tested against known answers. Faults are
applied later, when the world is rendered into deliveries (faults.py), never here.

Everything is vectorised: one numpy draw per column, no Python loop over people or arrests
(loops below run over code lists or name origins, a few dozen iterations at most). Each stage
has its own random stream, derived from the seed and the stage name, so changing one stage
does not reshuffle the others.
"""

from __future__ import annotations

import unicodedata
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.contracts import load_contract, seed_values
from generator import settings as S
from generator.dates import (
    DAY, HOUR, MINUTE, SECOND, add_months_clamped, age_in_years, days_in_month, month_end,
    month_start, parse_month,
)
from generator.names import (
    NAME_POOLS, ORIGINS_ANY, ORIGINS_BY_ETHNICITY_CODE, ORIGINS_BY_ETHNICITY_GROUP,
)


def stream(seed: int, name: str) -> np.random.Generator:
    """A random stream for one stage: stable across runs and Python versions (crc32, not hash)."""
    return np.random.default_rng([int(seed), zlib.crc32(name.encode("utf-8"))])


def weighted_choice(rng: np.random.Generator, labels, weights, size: int) -> np.ndarray:
    """Draw ``size`` labels with the given (unnormalised) weights."""
    w = np.asarray(weights, dtype=float)
    return np.asarray(labels, dtype=object)[rng.choice(len(w), size=size, p=w / w.sum())]


def banded(rng: np.random.Generator, bands, size: int) -> np.ndarray:
    """Integers from a mixture of uniform bands ((probability, low, high), ...)."""
    p = np.array([b[0] for b in bands], dtype=float)
    which = rng.choice(len(bands), size=size, p=p / p.sum())
    lo = np.array([b[1] for b in bands])[which]
    hi = np.array([b[2] for b in bands])[which]
    return lo + np.floor(rng.random(size) * (hi - lo + 1)).astype(np.int64)


def _codes(source: str, table: str, column: str) -> tuple[str, ...]:
    return load_contract(source).table(table).column(column).codes


def _require(codes, *wanted: str) -> None:
    """Fail loudly if a code the simulation gives meaning to left the contract or seed."""
    missing = [w for w in wanted if w not in codes]
    if missing:
        raise ValueError(f"codes {missing} are no longer in the contract/seed list {codes}")


@dataclass(frozen=True)
class Reference:
    """Code lists as the contracts and seeds declare them (nothing copied into the generator)."""

    forces: tuple[str, ...]
    force_names: tuple[str, ...]
    offence_codes: tuple[str, ...]
    offence_groups: tuple[str, ...]
    offence_is_drug: tuple[bool, ...]
    scope: dict[str, tuple[str, str]]
    ethnicity_codes: tuple[str, ...]
    ethnicity_groups: tuple[str, ...]
    sexes: tuple[str, ...]
    drug_classes: tuple[str, ...]
    outcome_codes: tuple[str, ...]
    ineligible_reasons: tuple[str, ...]
    offer_responses: tuple[str, ...]
    disposals: tuple[str, ...]
    statuses: tuple[str, ...]
    failure_reasons: tuple[str, ...]
    session_types: tuple[str, ...]
    attendance: tuple[str, ...]


def load_reference() -> Reference:
    """Read every code list the generator needs from the contracts and dbt seeds."""
    ref = Reference(
        forces=seed_values("ref_forces", "force_code"),
        force_names=seed_values("ref_forces", "force_name"),
        offence_codes=seed_values("ref_offence_codes", "offence_code"),
        offence_groups=seed_values("ref_offence_codes", "offence_group"),
        offence_is_drug=tuple(v.strip().lower() == "true"
                              for v in seed_values("ref_offence_codes", "is_drug_offence")),
        scope=dict(zip(seed_values("ref_offence_scope", "offence_group"),
                       zip(seed_values("ref_offence_scope", "in_scope_from"),
                           seed_values("ref_offence_scope", "in_scope_until")))),
        ethnicity_codes=seed_values("ref_ethnicity_codes", "ethnicity_code"),
        ethnicity_groups=seed_values("ref_ethnicity_codes", "ethnicity_group"),
        sexes=_codes("rms", "arrests", "sex"),
        drug_classes=_codes("rms", "arrests", "drug_class"),
        outcome_codes=_codes("rms", "arrests", "outcome_code"),
        ineligible_reasons=_codes("custody", "custody", "ineligible_reason"),
        offer_responses=_codes("custody", "custody", "offer_response"),
        disposals=_codes("custody", "custody", "custody_disposal"),
        statuses=_codes("programme", "contracts", "status"),
        failure_reasons=_codes("programme", "contracts", "failure_reason"),
        session_types=_codes("programme", "sessions", "session_type"),
        attendance=_codes("programme", "sessions", "attendance"),
    )
    _require(ref.outcome_codes, "1", "3", "8", "10", "15", "16", "21", "22")
    _require(ref.ineligible_reasons, "AGE", "OFFENCE", "GRAVITY", *S.OTHER_INELIGIBLE)
    _require(ref.offer_responses, "ACCEPTED", "DECLINED")
    _require(ref.disposals, "CHECKPOINT", *S.DISPOSAL_DECLINED, *S.DISPOSAL_OTHERWISE)
    _require(ref.statuses, "ACTIVE", *S.CONTRACT_OUTCOME)
    _require(ref.failure_reasons, *S.FAILURE_REASONS)
    _require(ref.session_types, *{t for t, _, _ in S.SESSION_TEMPLATE})
    _require(ref.attendance, *S.ATTENDANCE)
    _require(ref.drug_classes, "A", "B", "C")
    _require(ref.ethnicity_codes, "NS")
    return ref


@dataclass
class World:
    """The simulated truth. Frames are typed (datetime64, bool, int), not yet text.

    Kept small enough for ten national years (some 7 million arrests and 18 million record
    versions): identifiers are kept as their numbers and spelled out when rendered (the
    ``*_ids`` methods), code columns are categoricals, and columns that only carry one
    simulation stage to the next are dropped once that stage has run.
    """

    start: np.datetime64          # first month, datetime64[M]
    months: int
    first_day: np.datetime64      # datetime64[D]
    last_day: np.datetime64       # datetime64[D], last day of the last month
    persons: pd.DataFrame
    arrests: pd.DataFrame
    custody: pd.DataFrame
    contracts: pd.DataFrame
    sessions: pd.DataFrame
    versions: pd.DataFrame
    ref: Reference

    @property
    def month_list(self) -> list[np.datetime64]:
        return [self.start + i for i in range(self.months)]

    def person_ids(self, rows) -> np.ndarray:
        """person_id of the persons at positions ``rows``."""
        p = self.persons
        return person_id_text(self.ref, column_at(p, "force_idx", rows), column_at(p, "person_no", rows))

    def arrest_ids(self, rows) -> np.ndarray:
        """arrest_id of the arrests at positions ``rows``."""
        a = self.arrests
        return arrest_id_text(self.ref, column_at(a, "force_idx", rows), column_at(a, "arrest_no", rows))

    def custody_refs(self, rows) -> np.ndarray:
        """custody_ref of the custody records at positions ``rows``."""
        c = self.custody
        return custody_ref_text(self.ref, column_at(c, "force_idx", rows), column_at(c, "booked_in", rows),
                                column_at(c, "custody_no", rows))


def column_at(frame: pd.DataFrame, column: str, rows) -> np.ndarray:
    """Values of one column at row positions, without materialising the whole column."""
    return frame[column].iloc[rows].to_numpy()


def _numbered(prefix: np.ndarray, number, width: int) -> np.ndarray:
    """Each prefix followed by its number, zero-padded to ``width`` digits (object strings)."""
    return prefix + pd.Series(number).astype(str).str.zfill(width).to_numpy(object)


def _force_codes(ref: Reference, force_idx) -> np.ndarray:
    return np.array(ref.forces, dtype=object)[force_idx]


def person_id_text(ref: Reference, force_idx, number) -> np.ndarray:
    """DUR-P-0123456: force, P, the person's number."""
    return _numbered(_force_codes(ref, force_idx) + "-P-", number, 7)


def arrest_id_text(ref: Reference, force_idx, number) -> np.ndarray:
    """DUR-A-0123456: force, A, the arrest's number within the force."""
    return _numbered(_force_codes(ref, force_idx) + "-A-", number, 7)


def custody_ref_text(ref: Reference, force_idx, booked_in, number) -> np.ndarray:
    """DUR/C/25/001234: force, C, two-digit booking year, number within force and year."""
    yy = np.asarray(booked_in).astype("datetime64[Y]").astype(int) + 1970
    return _numbered(_numbered(_force_codes(ref, force_idx) + "/C/", yy % 100, 2) + "/", number, 6)


def _categorical(values) -> pd.Categorical:
    """A code column as a categorical: a small integer a row, each string held once."""
    return pd.Categorical(values)


# ------------------------------------------------------------------------------------------
# stations and custody suites
# ------------------------------------------------------------------------------------------
_SUITES: dict[str, tuple[str, ...]] = {
    # cp1252-safe on purpose: the custody file is Windows-1252 (é, â and – are defined there)
    "DUR": ("Durham (Aykley Heads)", "Darlington", "Peterlee", "Bishop Auckland – Renée Ward"),
    "GWE": ("Cwmbrân", "Newport Central", "Ystrad Mynach"),
    "SWP": ("Cardiff Bay", "Pen-y-bont", "Swansea Central"),
    "NWP": ("Caernarfon", "Llandudno", "Wrexham"),
    "DYP": ("Llanelli", "Aberystwyth", "Haverfordwest"),
    "MPS": ("Brixton", "Hammersmith", "Lewisham", "Wood Green", "Charing Cross", "Croydon",
            "Leyton", "Colindale"),
}


def _suites_for(code: str, name: str) -> tuple[str, ...]:
    if code in _SUITES:
        return _SUITES[code]
    return (f"{name} Central", f"{name} North", f"{name} South")


# ------------------------------------------------------------------------------------------
# people
# ------------------------------------------------------------------------------------------
def _origins_for(ref: Reference, eth: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Name origin per person from their self-defined ethnicity (loop over codes, not people)."""
    origin = np.empty(len(eth), dtype=object)
    group_of = dict(zip(ref.ethnicity_codes, ref.ethnicity_groups))
    for code in np.unique(eth):
        mask = eth == code
        table = (ORIGINS_BY_ETHNICITY_CODE.get(code)
                 or ORIGINS_BY_ETHNICITY_GROUP.get(group_of.get(code, ""))
                 or ORIGINS_ANY)
        origin[mask] = weighted_choice(rng, list(table), list(table.values()), int(mask.sum()))
    return origin


def _pick_names(rng, pool: tuple[str, ...], size: int) -> np.ndarray:
    arr = np.array([unicodedata.normalize("NFC", n) for n in pool], dtype=object)
    return arr[rng.integers(0, len(arr), size=size)]


def _names(rng: np.random.Generator, origin: np.ndarray, sex: np.ndarray):
    """Forenames and surname per person, vectorised per origin."""
    n = len(origin)
    fore = np.empty(n, dtype=object)
    fore2 = np.empty(n, dtype=object)
    sur = np.empty(n, dtype=object)
    sur2 = np.empty(n, dtype=object)
    male = (sex == "M") | ((sex != "F") & (rng.random(n) < 0.5))
    for name in NAME_POOLS:
        males, females, surnames = NAME_POOLS[name]
        mask = origin == name
        for is_male, pool in ((True, males), (False, females)):
            m = mask & (male == is_male)
            k = int(m.sum())
            fore[m] = _pick_names(rng, pool, k)
            fore2[m] = _pick_names(rng, pool, k)
        k = int(mask.sum())
        sur[mask] = _pick_names(rng, surnames, k)
        sur2[mask] = _pick_names(rng, surnames, k)
    two = (rng.random(n) < S.SECOND_FORENAME) & (fore != fore2)
    forenames = np.where(two, fore + " " + fore2, fore)
    barrel = (rng.random(n) < S.DOUBLE_BARRELLED) & (origin == "british") & (sur != sur2)
    surname = np.where(barrel, sur + "-" + sur2, sur)
    return forenames, surname


def _persons(rng, ref: Reference, scale: S.Scale, pool_sizes: np.ndarray, first_day):
    """Every person a force may arrest, with fixed identity, sex, ethnicity and birth date."""
    total = int(pool_sizes.sum())
    force_idx = np.repeat(np.arange(len(ref.forces)), pool_sizes)
    local = np.arange(total) - np.repeat(np.cumsum(pool_sizes) - pool_sizes, pool_sizes)
    base = rng.integers(100_000, 2_000_000, size=len(ref.forces))
    number = local + base[force_idx]  # person_id: see person_id_text

    sex = weighted_choice(rng, list(S.SEX_WEIGHTS), list(S.SEX_WEIGHTS.values()), total)
    sex = np.where(np.isin(sex, ref.sexes), sex, ref.sexes[0])
    codes = [c for c in ref.ethnicity_codes if c != "NS"]
    eth = weighted_choice(rng, codes, [scale.ethnicity_weights.get(c, 0.2) for c in codes], total)
    origin = _origins_for(ref, eth, rng)
    forenames, surname = _names(rng, origin, sex)

    juvenile = rng.random(total) < S.JUVENILE_SHARE
    age = np.where(juvenile, 16.0 + 2.0 * rng.random(total),
                   np.minimum(18.0 + rng.gamma(2.2, 7.0, size=total), 80.0))
    dob = (np.datetime64(first_day, "D")
           - np.round(age * 365.2425).astype(np.int64).astype("timedelta64[D]"))
    declines = rng.random(total) < S.ETHNICITY_NOT_STATED_PERSON
    return pd.DataFrame({
        "force_idx": force_idx.astype(np.int16), "person_no": number.astype(np.int32), "surname": surname,
        "forenames": forenames, "sex": _categorical(sex), "true_ethnicity": eth, "declines_ethnicity": declines,
        "date_of_birth": dob, "origin": origin,
    })


# ------------------------------------------------------------------------------------------
# arrests
# ------------------------------------------------------------------------------------------
def _force_weights(ref: Reference, scale: S.Scale) -> np.ndarray:
    if scale.force_weights is None:
        w = [S.FORCE_POPULATION.get(c, 1.0) for c in ref.forces]
    else:
        unknown = set(scale.force_weights) - set(ref.forces)
        if unknown:
            raise ValueError(f"scale {scale.name} names forces not in ref_forces: {unknown}")
        w = [scale.force_weights.get(c, 0.0) for c in ref.forces]
    w = np.asarray(w, dtype=float)
    return w / w.sum()


def _offence_universe(ref: Reference):
    """Seed codes (with their group) plus well-formed codes outside the seed (group other)."""
    others = [c for c in S.OTHER_OFFENCE_CODES if c not in ref.offence_codes]
    codes = list(ref.offence_codes) + others
    groups = list(ref.offence_groups) + ["other"] * len(others)
    drug = list(ref.offence_is_drug) + [False] * len(others)
    weights = [S.OFFENCE_WEIGHTS.get(c, S.DEFAULT_OFFENCE_WEIGHT) for c in ref.offence_codes]
    weights += [S.OTHER_OFFENCE_WEIGHT / max(len(others), 1)] * len(others)
    return (np.array(codes, dtype=object), np.array(groups, dtype=object),
            np.array(drug, dtype=bool), np.array(weights, dtype=float))


def in_scope(ref: Reference, groups: np.ndarray, dates: np.ndarray) -> np.ndarray:
    """Offence group in Checkpoint scope on the date (seed ref_offence_scope, bounds inclusive)."""
    dates = np.asarray(dates).astype("datetime64[D]")
    out = np.zeros(len(groups), dtype=bool)
    for group, (since, until) in ref.scope.items():
        if not since:
            continue
        ok = (groups == group) & (dates >= np.datetime64(since, "D"))
        if until:
            ok &= dates <= np.datetime64(until, "D")
        out |= ok
    return out


def _arrests(rng, ref: Reference, scale: S.Scale, months_arr, force_p, persons, pool_sizes):
    dim = days_in_month(months_arr)
    moy = (months_arr.astype(int) % 12)
    lam = scale.arrests_per_month * dim / 30.44 * (1 + S.SEASONALITY * np.sin(2 * np.pi * moy / 12))
    counts = rng.poisson(lam)
    n = int(counts.sum())
    mon = np.repeat(months_arr, counts)
    day = np.floor(rng.random(n) * np.repeat(dim, counts)).astype(np.int64)
    hour = rng.choice(24, size=n, p=np.array(S.HOUR_WEIGHTS) / sum(S.HOUR_WEIGHTS))
    minute = rng.integers(0, 60, size=n)
    arrest_dt = (month_start(mon).astype("datetime64[s]") + day * 86400 * SECOND
                 + hour * HOUR + minute * MINUTE)
    force_idx = rng.choice(len(ref.forces), size=n, p=force_p)

    order = np.lexsort((force_idx, arrest_dt))
    arrest_dt, force_idx = arrest_dt[order], force_idx[order]
    seq = pd.Series(force_idx).groupby(force_idx).cumcount().to_numpy()
    base = rng.integers(10_000, 2_000_000, size=len(ref.forces))
    number = seq + base[force_idx]  # arrest_id: see arrest_id_text

    # repeat arrestees: skewed draw within the force's pool
    offsets = np.cumsum(pool_sizes) - pool_sizes
    local = np.floor(pool_sizes[force_idx] * rng.random(n) ** S.REPEAT_SKEW).astype(np.int64)
    person_idx = offsets[force_idx] + np.minimum(local, pool_sizes[force_idx] - 1)

    codes, groups, drug, weights = _offence_universe(ref)
    oi = rng.choice(len(codes), size=n, p=weights / weights.sum())
    offence_code, group, is_drug = codes[oi], groups[oi], drug[oi]
    drug_class = np.full(n, None, dtype=object)
    for code in np.unique(offence_code[is_drug]):
        m = offence_code == code
        w = S.DRUG_CLASS_WEIGHTS.get(code, S.DEFAULT_DRUG_CLASS_WEIGHTS)
        drug_class[m] = weighted_choice(rng, ["A", "B", "C"], w, int(m.sum()))

    n_stations = rng.integers(4, 13, size=len(ref.forces))  # at least one station per named suite
    st = np.floor(n_stations[force_idx] * rng.random(n) ** 1.5).astype(np.int64)
    station_code = _station_codes(ref, force_idx, st, int(n_stations.max()))

    dob = persons["date_of_birth"].to_numpy()[person_idx]
    age = age_in_years(dob, arrest_dt)
    scope = in_scope(ref, group, arrest_dt)

    declines = persons["declines_ethnicity"].to_numpy()[person_idx]
    true_eth = persons["true_ethnicity"].to_numpy()[person_idx]
    not_recorded = rng.random(n) < S.ETHNICITY_NOT_RECORDED_ARREST
    recorded_eth = np.where(declines | not_recorded, "NS", true_eth).astype(object)
    amended = not_recorded & ~declines & (rng.random(n) < S.ETHNICITY_AMENDED)

    create_lag = banded(rng, S.CREATE_LAG_MINUTES, n) * MINUTE + rng.integers(0, 60, n) * SECOND
    return pd.DataFrame({
        "arrest_no": number.astype(np.int32), "force_idx": force_idx,
        "force_code": pd.Categorical.from_codes(force_idx, categories=ref.forces),
        "person_idx": person_idx.astype(np.int32), "arrest_datetime": arrest_dt,
        "offence_code": _categorical(offence_code), "offence_group": group, "is_drug": is_drug,
        "drug_class": _categorical(drug_class), "station_idx": st, "station_code": station_code,
        "age": age, "in_scope_adult": scope & (age >= 18), "recorded_ethnicity": recorded_eth,
        "true_ethnicity": true_eth, "amended": amended, "t_create": arrest_dt + create_lag,
    })


def _station_codes(ref: Reference, force_idx: np.ndarray, station: np.ndarray, per_force: int) -> pd.Categorical:
    """Station code per arrest (force code + two digits), each code's text made once."""
    labels = _numbered(np.repeat(np.array(ref.forces, dtype=object), per_force),
                       np.tile(np.arange(per_force) + 1, len(ref.forces)), 2)
    return pd.Categorical.from_codes(force_idx * per_force + station, categories=labels)


# ------------------------------------------------------------------------------------------
# custody and the funnel
# ------------------------------------------------------------------------------------------
def _custody(rng, ref: Reference, arrests: pd.DataFrame) -> pd.DataFrame:
    n_all = len(arrests)
    has = rng.random(n_all) < S.CUSTODY_SHARE
    a = arrests[["arrest_datetime", "offence_group", "age", "force_idx", "station_idx"]][has]
    n = len(a)
    arrest_idx = np.flatnonzero(has)
    booked = a["arrest_datetime"].to_numpy() + rng.integers(10, 151, n) * MINUTE

    group = a["offence_group"].to_numpy()
    gravity = np.zeros(n, dtype=np.int64)
    for g in np.unique(group):
        m = group == g
        w = S.GRAVITY_WEIGHTS.get(g, S.DEFAULT_GRAVITY_WEIGHTS)
        gravity[m] = rng.choice(4, size=int(m.sum()), p=np.array(w) / sum(w)) + 1

    age = a["age"].to_numpy()
    scope = in_scope(ref, group, booked)
    reason = np.full(n, None, dtype=object)
    reason[gravity == 4] = "GRAVITY"
    reason[~scope] = "OFFENCE"
    reason[age < 18] = "AGE"
    other = weighted_choice(rng, [*S.OTHER_INELIGIBLE, "_"],
                            [*S.OTHER_INELIGIBLE.values(), 1 - sum(S.OTHER_INELIGIBLE.values())], n)
    reason = np.where(pd.isna(reason) & (other != "_"), other, reason)
    eligible = pd.isna(reason)
    offered = eligible & (rng.random(n) < S.OFFERED_SHARE)
    accepted = offered & (rng.random(n) < S.ACCEPTED_SHARE)
    response = np.where(offered, np.where(accepted, "ACCEPTED", "DECLINED"), None).astype(object)
    disp_declined = weighted_choice(rng, list(S.DISPOSAL_DECLINED), list(S.DISPOSAL_DECLINED.values()), n)
    disp_other = weighted_choice(rng, list(S.DISPOSAL_OTHERWISE), list(S.DISPOSAL_OTHERWISE.values()), n)
    disposal = np.where(accepted, "CHECKPOINT", np.where(offered, disp_declined, disp_other)).astype(object)

    hours = np.clip(rng.lognormal(np.log(9.0), 0.7, n), 1.0, 60.0)
    released = booked + np.round(hours * 60).astype(np.int64) * MINUTE
    remanded = (disposal == "CHARGED") & (rng.random(n) < S.REMANDED_SHARE_OF_CHARGED)
    released = np.where(remanded, np.datetime64("NaT", "s"), released)

    # custody_ref: force / C / yy / number within force and booking year, in booking order
    force_idx = a["force_idx"].to_numpy()
    order = np.lexsort((arrest_idx, booked))
    yy = booked.astype("datetime64[Y]").astype(int) + 1970
    key = pd.Series(force_idx * 10_000 + yy)
    seq = np.empty(n, dtype=np.int64)
    seq[order] = key.iloc[order].groupby(key.iloc[order].to_numpy()).cumcount().to_numpy()
    base = rng.integers(1, 5_000, size=len(ref.forces))
    number = seq + base[force_idx]  # custody_ref: see custody_ref_text

    suites = [_suites_for(c, nm) for c, nm in zip(ref.forces, ref.force_names)]
    station = a["station_idx"].to_numpy()
    suite = np.empty(n, dtype=object)
    for fi in np.unique(force_idx):
        m = force_idx == fi
        options = np.array(suites[fi], dtype=object)
        suite[m] = options[station[m] % len(options)]

    frame = pd.DataFrame({
        "arrest_idx": arrest_idx.astype(np.int32), "force_idx": force_idx.astype(np.int16),
        "custody_no": number.astype(np.int32), "custody_suite": _categorical(suite), "booked_in": booked,
        "released": released, "gravity_score": gravity.astype(np.int8), "checkpoint_eligible": eligible,
        "ineligible_reason": _categorical(reason), "checkpoint_offered": offered,
        "offer_response": _categorical(response), "custody_disposal": _categorical(disposal),
    })
    return frame.iloc[order].reset_index(drop=True)


# ------------------------------------------------------------------------------------------
# contracts and sessions
# ------------------------------------------------------------------------------------------
def _contracts(rng, ref: Reference, custody: pd.DataFrame, arrests: pd.DataFrame) -> pd.DataFrame:
    c = custody[custody["custody_disposal"] == "CHECKPOINT"]
    n = len(c)
    start = c["booked_in"].to_numpy().astype("datetime64[D]")
    planned = add_months_clamped(start, S.CONTRACT_MONTHS)
    status = weighted_choice(rng, list(S.CONTRACT_OUTCOME), list(S.CONTRACT_OUTCOME.values()), n)
    done = planned + rng.integers(-3, 15, n) * DAY
    failed = start + rng.integers(14, 116, n) * DAY
    withdrawn = start + rng.integers(2, 61, n) * DAY
    status_date = np.select([status == "COMPLETED", status == "FAILED"], [done, failed], withdrawn)
    reason = np.where(status == "FAILED", weighted_choice(
        rng, list(S.FAILURE_REASONS), list(S.FAILURE_REASONS.values()), n), None).astype(object)
    base = int(rng.integers(1, 500))
    if base + n > 999_999:
        raise ValueError(f"{n} contracts do not fit the CP-NNNNNN pattern; use fewer months")
    ref_ = "CP-" + pd.Series(np.arange(n) + base).astype(str).str.zfill(6).to_numpy(object)
    arrest_idx = c["arrest_idx"].to_numpy()
    return pd.DataFrame({
        "contract_ref": ref_, "custody_idx": c.index.to_numpy(), "custody_ref": custody_ref_text(
            ref, c["force_idx"].to_numpy(), c["booked_in"].to_numpy(), c["custody_no"].to_numpy()),
        "arrest_idx": arrest_idx, "start_date": start, "planned_end_date": planned,
        "final_status": status, "status_date": status_date.astype("datetime64[D]"),
        "failure_reason": reason, "is_drug": arrests["is_drug"].to_numpy()[arrest_idx],
    })


def _sessions(rng, contracts: pd.DataFrame, last_day) -> pd.DataFrame:
    """Expand the session template per contract; keep what happened and was recorded in time."""
    tpl_type = np.array([t for t, _, _ in S.SESSION_TEMPLATE], dtype=object)
    tpl_off = np.array([o for _, o, _ in S.SESSION_TEMPLATE])
    tpl_who = np.array([w for _, _, w in S.SESSION_TEMPLATE], dtype=object)
    k, n = len(tpl_type), len(contracts)
    ci = np.repeat(np.arange(n), k)
    slot = np.tile(np.arange(k), n)
    drug = contracts["is_drug"].to_numpy()[ci]
    who = tpl_who[slot]
    keep = (who == "all") | ((who == "drug") & drug) | ((who == "victim") & ~drug)
    jitter = rng.integers(-S.SESSION_JITTER_DAYS, S.SESSION_JITTER_DAYS + 1, len(ci))
    date = (contracts["start_date"].to_numpy()[ci]
            + np.maximum(tpl_off[slot] + jitter, 0) * DAY)
    keep &= date <= contracts["status_date"].to_numpy()[ci]
    keep &= date <= last_day
    ci, slot, date = ci[keep], slot[keep], date[keep]
    m = len(ci)

    stype = tpl_type[slot]
    non_attender = contracts["failure_reason"].to_numpy()[ci] == "NON_ATTENDANCE"
    att = np.where(non_attender,
                   weighted_choice(rng, list(S.ATTENDANCE_NON_ATTENDERS), list(S.ATTENDANCE_NON_ATTENDERS.values()), m),
                   weighted_choice(rng, list(S.ATTENDANCE), list(S.ATTENDANCE.values()), m)).astype(object)
    hours = np.zeros(m)
    for t, options in S.SESSION_HOURS.items():
        msk = stype == t
        hours[msk] = np.asarray(options)[rng.integers(0, len(options), int(msk.sum()))]
    hours = np.where(att == "ATTENDED", hours, 0.0)
    recorded = date + banded(rng, S.RECORDING_LAG, m) * DAY
    frame = pd.DataFrame({
        "contract_idx": ci, "contract_ref": contracts["contract_ref"].to_numpy()[ci],
        "session_date": date, "session_type": _categorical(stype), "attendance": _categorical(att), "hours": hours,
        "recorded_date": recorded,
    })
    frame = frame[frame["recorded_date"] <= last_day]
    return frame.sort_values(["recorded_date", "contract_ref", "session_date"], kind="stable").reset_index(drop=True)


# ------------------------------------------------------------------------------------------
# RMS record versions
# ------------------------------------------------------------------------------------------
def _outcomes(rng, arrests: pd.DataFrame, custody: pd.DataFrame, contracts: pd.DataFrame):
    """Outcome code and date per arrest (None/NaT while open), and when it was written."""
    n = len(arrests)
    code = np.full(n, None, dtype=object)
    odate = np.full(n, np.datetime64("NaT", "D"))
    lag_days = rng.integers(0, 3, n)

    # no custody record: street disposals and slower investigations
    no_custody = np.ones(n, dtype=bool)
    no_custody[custody["arrest_idx"].to_numpy()] = False
    arrest_day = arrests["arrest_datetime"].to_numpy().astype("datetime64[D]")
    pick = weighted_choice(rng, ["8", "21", "16", None], [0.45, 0.15, 0.1, 0.3], n)
    delay = np.where(pick == "8", rng.integers(0, 3, n), rng.integers(10, 120, n))
    code = np.where(no_custody, pick, code)
    odate = np.where(no_custody & pd.notna(pick), arrest_day + delay * DAY, odate)

    # custody disposals
    ai = custody["arrest_idx"].to_numpy()
    m = len(custody)
    disp = custody["custody_disposal"].to_numpy()
    booked_day = custody["booked_in"].to_numpy().astype("datetime64[D]")
    rel = custody["released"].to_numpy()
    rel_day = np.where(np.isnat(rel), booked_day, rel.astype("datetime64[D]"))
    nfa = weighted_choice(rng, ["10", "15", "16", "21"], [0.15, 0.3, 0.35, 0.2], m)
    rui = weighted_choice(rng, ["1", "15", "16", "21"], [0.35, 0.2, 0.25, 0.2], m)
    bail = weighted_choice(rng, ["1", "21", "3"], [0.6, 0.2, 0.2], m)
    oth = weighted_choice(rng, ["8", "10"], [0.6, 0.4], m)
    c_code = np.select(
        [disp == "CHARGED", disp == "CAUTIONED", disp == "NFA", disp == "RUI", disp == "BAILED", disp == "OTHER"],
        [np.full(m, "1", dtype=object), np.full(m, "3", dtype=object), nfa, rui, bail, oth],
        None).astype(object)
    c_date = np.select(
        [np.isin(disp, ["CHARGED", "CAUTIONED", "NFA"]), disp == "RUI", disp == "BAILED", disp == "OTHER"],
        [rel_day, booked_day + rng.integers(20, 241, m) * DAY, booked_day + rng.integers(14, 61, m) * DAY,
         booked_day + rng.integers(0, 4, m) * DAY],
        np.datetime64("NaT", "D"))
    code[ai] = np.where(disp == "CHECKPOINT", None, c_code)
    odate[ai] = np.where(disp == "CHECKPOINT", np.datetime64("NaT", "D"), c_date)

    # Checkpoint contracts: 22 on completion; otherwise back to prosecution (or dropped)
    k = len(contracts)
    ci = contracts["arrest_idx"].to_numpy()
    st = contracts["final_status"].to_numpy()
    sd = contracts["status_date"].to_numpy()
    wd = weighted_choice(rng, ["1", "21"], [0.5, 0.5], k)
    code[ci] = np.select([st == "COMPLETED", st == "FAILED"],
                         [np.full(k, "22", dtype=object), np.full(k, "1", dtype=object)], wd)
    odate[ci] = np.select([st == "COMPLETED", st == "FAILED"],
                          [sd, sd + rng.integers(7, 46, k) * DAY], sd + rng.integers(7, 31, k) * DAY)
    lag_days[ci] = np.where(st == "COMPLETED", rng.integers(0, 21, k), rng.integers(0, 6, k))

    written = (odate.astype("datetime64[s]") + lag_days * 86400 * SECOND
               + rng.integers(8 * 3600, 18 * 3600, n) * SECOND)
    floor = arrests["t_create"].to_numpy() + rng.integers(3600, 6 * 3600, n) * SECOND
    written = np.where(np.isnat(written), written, np.maximum(written, floor))
    expunge = np.full(n, np.datetime64("NaT", "s"))
    completed = np.zeros(n, dtype=bool)
    completed[ci[st == "COMPLETED"]] = True
    expunge[completed] = written[completed] + rng.integers(28 * 86400, 93 * 86400, int(completed.sum())) * SECOND  # 1-3 months
    return code, odate, written, expunge


def _versions(rng, arrests: pd.DataFrame, custody, contracts) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per record version: creation, ethnicity amendment, outcome, expungement."""
    n = len(arrests)
    code, odate, t_out, t_exp = _outcomes(rng, arrests, custody, contracts)
    t_create = arrests["t_create"].to_numpy()
    amended = arrests["amended"].to_numpy()
    t_amend = np.where(amended, t_create + rng.integers(86400, 40 * 86400, n) * SECOND,
                       np.datetime64("NaT", "s"))
    true_eth = arrests["true_ethnicity"].to_numpy()
    recorded_eth = arrests["recorded_ethnicity"].to_numpy()
    # ethnicity as recorded and as amended lives on in the versions, not in the arrest
    arrests = arrests.drop(columns=["true_ethnicity", "recorded_ethnicity", "amended"]).assign(
        outcome_code=_categorical(code), outcome_date=odate, t_expunge=t_exp)

    idx = np.concatenate([np.arange(n), np.flatnonzero(amended), np.flatnonzero(~np.isnat(t_out)),
                          np.flatnonzero(~np.isnat(t_exp))])
    t = np.concatenate([t_create, t_amend[amended], t_out[~np.isnat(t_out)], t_exp[~np.isnat(t_exp)]])
    order = np.lexsort((t, idx))
    idx, t = idx[order], t[order]
    same = np.r_[False, idx[1:] == idx[:-1]]
    t = np.where(same & np.r_[False, t[1:] <= t[:-1]], np.r_[t[:1], t[:-1]] + SECOND, t)
    version = np.arange(len(idx)) - np.searchsorted(idx, idx, side="left") + 1
    has_outcome = t >= t_out[idx]
    expunged = t >= t_exp[idx]
    eth = np.where(t >= t_amend[idx], true_eth[idx], recorded_eth[idx])
    versions = pd.DataFrame({
        "arrest_idx": idx.astype(np.int32), "record_version": version.astype(np.int8), "updated_at": t,
        "has_outcome": has_outcome, "expunged": expunged, "ethnicity_code": _categorical(eth),
    })
    return arrests, versions


# ------------------------------------------------------------------------------------------
def simulate_world(start: str, months: int, scale: str, seed: int) -> World:
    """Build the whole truth for ``months`` months from ``start`` at the given scale."""
    if scale not in S.SCALES:
        raise ValueError(f"scale must be one of {sorted(S.SCALES)}, got {scale!r}")
    if months < 1:
        raise ValueError("months must be at least 1")

    sc = S.SCALES[scale]
    first = parse_month(start)
    months_arr = first + np.arange(months)
    first_day = month_start(first)[()]
    last_day = month_end(months_arr[-1])[()]
    ref = load_reference()

    force_p = _force_weights(ref, sc)
    pool_sizes = np.where(force_p > 0, np.maximum(
        np.round(force_p * sc.arrests_per_month * months * S.PERSONS_PER_ARREST), 30), 0).astype(np.int64)
    persons = _persons(stream(seed, "persons"), ref, sc, pool_sizes, first_day)
    arrests = _arrests(stream(seed, "arrests"), ref, sc, months_arr, force_p, persons, pool_sizes)
    persons = persons.drop(columns=["true_ethnicity", "declines_ethnicity", "origin"])  # read by _arrests
    custody = _custody(stream(seed, "custody"), ref, arrests)
    contracts = _contracts(stream(seed, "contracts"), ref, custody, arrests)
    # read by _custody and _contracts; force_idx stays for arrest_id, narrowed now that no
    # stage computes with it (force_idx * 10_000 in _custody would overflow a small int)
    arrests = arrests.drop(columns=["offence_group", "is_drug", "station_idx", "age"]).astype({"force_idx": np.int16})
    sessions = _sessions(stream(seed, "sessions"), contracts, last_day)
    arrests, versions = _versions(stream(seed, "versions"), arrests, custody, contracts)
    return World(first, months, first_day, last_day, persons, arrests, custody, contracts,
                 sessions, versions, ref)


def world_stats(world: World) -> dict:
    """Funnel counts of what falls inside the window (for the summary and for tests)."""
    last = np.datetime64(world.last_day, "D")
    a = world.arrests
    c = world.custody[world.custody["booked_in"].to_numpy().astype("datetime64[D]") <= last]
    k = world.contracts[world.contracts["start_date"].to_numpy() <= last]
    ended = k["status_date"].to_numpy() <= last
    st = k["final_status"].to_numpy()
    in_scope_custody = a["in_scope_adult"].to_numpy()[c["arrest_idx"].to_numpy()]
    v = world.versions[world.versions["updated_at"].to_numpy().astype("datetime64[D]") <= last]
    return {
        "arrests": int(len(a)),
        "in_scope_adult_arrests": int(a["in_scope_adult"].sum()),
        "custody_records": int(len(c)),
        "in_scope_adult_custody": int(in_scope_custody.sum()),
        "assessed_eligible": int(c["checkpoint_eligible"].sum()),
        "offers_made": int(c["checkpoint_offered"].sum()),
        "offers_accepted": int((c["offer_response"] == "ACCEPTED").sum()),
        "contracts_started": int(len(k)),
        "contracts_completed": int(((st == "COMPLETED") & ended).sum()),
        "contracts_failed": int(((st == "FAILED") & ended).sum()),
        "contracts_withdrawn": int(((st == "WITHDRAWN") & ended).sum()),
        "sessions_recorded": int(len(world.sessions)),
        "rms_record_versions": int(len(v)),
        "records_expunged": int(v.drop_duplicates("arrest_idx", keep="last")["expunged"].sum()),
    }
