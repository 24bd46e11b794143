"""Fault injection: turn a clean month of a source into what really arrives.

Why: the spec's "What really arrives" table is the warehouse's test plan. Each fault here is
one row of that table, injected at a low, seed-determined rate into the rendered rows, and
logged by kind so a test can compare what the pipeline reports with what was injected.

Rules of the game:
- Faults never overlap: a ``Picker`` hands out each base row at most once, so one row carries
  one fault and its expected fate is unambiguous (a duplicate of a faulted row would muddle
  the "rows read = loaded + quarantined + duplicate" check).
- Faulty values are derived from the contract (pattern, code list, bounds, formats), not
  hard-coded per column, so they stay faulty if the contract changes.
- Work frames carry two helper columns: ``_pos`` (where the row goes in the file; copies get
  fractional positions) and ``_broken`` (CSV rows to be written with too many/few fields).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from pipelines.contracts import Column, Table, seed_values
from generator import settings as S
from generator.dates import add_months_clamped

# kind -> what the spec says the warehouse must do with it (for tests and reports)
FAULT_HANDLING: dict[str, str] = {
    "code_case_space": "normalised (trimmed, upper-cased) and loaded",
    "flag_variant": "y/yes/n/no normalised to Y/N and loaded",
    "duplicate_row": "loaded once, the extra copy counted as a duplicate",
    "key_conflict": "both rows of the key quarantined",
    "field_count": "quarantined with its raw text",
    "required_empty": "quarantined, reason names the column",
    "bad_value": "quarantined, reason names the column",
    "bad_date": "quarantined, reason names the column",
    "cross_rule": "quarantined, reason names the rule",
    "month_outside": "quarantined, reason says the month is wrong",
    "earlier_version_changed": "RMS key of an earlier delivery with other values: quarantined",
    "earlier_version_resent": "RMS key of an earlier delivery, equal values: counted as duplicate",
    "custody_ref_other_month": "custody_ref of another month's delivery: quarantined",
    "session_correction": "later workbook's row for an earlier session: replaces it",
    "session_resent": "later workbook repeats an earlier session unchanged: duplicate",
    "contract_late_in_snapshot": "sessions reference a contract first listed next month: kept, held out",
    "contract_missing_from_snapshot": "contract absent from one snapshot: keeps last row, reported",
    "custody_late_redelivery": "custody rows absent from v1, present in the _v2: contracts wait for them",
    "text_date": "date typed as DD/MM/YYYY text: read as the same date",
    "blank_sheet_row": "wholly empty worksheet row: not a row",
    "trailing_blank_lines": "blank lines at the end of a CSV: not rows",
    "no_final_line_end": "last line without a line end: read normally",
    "schema_drift": "extra unknown column: loaded, column ignored, admins warned",
    "column_order": "columns in another order: matched by header name",
    "extra_sheet": "extra worksheet: ignored",
    "redelivery_v2": "corrected _v2 of a month: replaces v1 as a whole",
    "duplicate_file": "same bytes under another name: changes nothing (duplicate)",
    "wrong_encoding": "RMS file not UTF-8: rejected whole, earlier version stays",
    "missing_header_column": "header lacks a required column: rejected whole",
    "non_delivery": "not a delivery name: reported once, never loaded",
}


# Row faults by their fate in an accepted delivery ("rows read = loaded + quarantined +
# duplicate"); a key conflict quarantines two rows: the original and its injected twin.
QUARANTINED_KINDS = ("required_empty", "bad_value", "bad_date", "cross_rule", "month_outside",
                     "field_count", "earlier_version_changed", "custody_ref_other_month")
DUPLICATE_KINDS = ("duplicate_row", "earlier_version_resent", "session_resent")


def expected_counts(rows: int, kinds: dict[str, int]) -> dict[str, int]:
    """What an accepted delivery's row accounting should be, from the faults injected in it."""
    quarantined = sum(kinds.get(k, 0) for k in QUARANTINED_KINDS) + 2 * kinds.get("key_conflict", 0)
    duplicate = sum(kinds.get(k, 0) for k in DUPLICATE_KINDS)
    return {"rows_read": rows, "rows_loaded": rows - quarantined - duplicate,
            "rows_quarantined": quarantined, "rows_duplicate": duplicate}


class FaultLog:
    """Counts of injected faults per file and kind."""

    def __init__(self) -> None:
        self.by_file: dict[str, Counter] = {}

    def add(self, file: str, kind: str, n: int = 1) -> None:
        if n:
            self.by_file.setdefault(file, Counter())[kind] += int(n)

    def totals(self) -> dict[str, int]:
        total: Counter = Counter()
        for c in self.by_file.values():
            total.update(c)
        return dict(sorted(total.items()))

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {f: dict(sorted(c.items())) for f, c in sorted(self.by_file.items())}


class Picker:
    """Hands out distinct base rows in a seed-determined order, optionally filtered."""

    def __init__(self, rng: np.random.Generator, n: int) -> None:
        self.order = rng.permutation(n)
        self.used = np.zeros(n, dtype=bool)

    def take(self, k: int, where=None) -> np.ndarray:
        cand = self.order[~self.used[self.order]]
        if where is not None:
            cand = cand[np.asarray(where, dtype=bool)[cand]]
        chosen = cand[:max(k, 0)]
        self.used[chosen] = True
        return chosen


@dataclass
class Ctx:
    """Where a fault goes: the random stream, the log, the file and its month."""

    rng: np.random.Generator
    log: FaultLog
    file: str
    month: np.datetime64
    xlsx: bool = False

    def count(self, kind: str, n_rows: int, rate: float | None = None, minimum: int = 1) -> int:
        """Seed-determined count: Poisson around rate x rows, at least ``minimum``."""
        if n_rows <= 0:
            return 0
        lam = (S.FAULT_RATES[kind] if rate is None else rate) * n_rows
        return int(min(max(minimum, self.rng.poisson(lam)), max(n_rows // 10, minimum)))

    def note(self, kind: str, n: int = 1) -> None:
        self.log.add(self.file, kind, n)

    @property
    def empty(self):
        return None if self.xlsx else ""


# ------------------------------------------------------------------------------------------
# work frames
# ------------------------------------------------------------------------------------------
def work_frame(clean: pd.DataFrame) -> pd.DataFrame:
    df = clean.drop(columns=["_month"], errors="ignore").reset_index(drop=True).copy()
    df["_pos"] = np.arange(len(df), dtype=float)
    df["_broken"] = ""
    df["_blank"] = False
    return df


def add_rows(df: pd.DataFrame, rows: pd.DataFrame, pos) -> pd.DataFrame:
    rows = rows.copy()
    rows["_pos"] = np.asarray(pos, dtype=float)
    rows["_broken"] = ""
    rows["_blank"] = False
    return pd.concat([df, rows], ignore_index=True)


def finish(df: pd.DataFrame) -> pd.DataFrame:
    """Rows in file order, helper columns kept for the writer."""
    return df.sort_values("_pos", kind="stable").reset_index(drop=True)


def _is_blank(v) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and v == "")


def _col(df: pd.DataFrame, name: str) -> int:
    return df.columns.get_loc(name)


# ------------------------------------------------------------------------------------------
# value mutations derived from the contract
# ------------------------------------------------------------------------------------------
def case_space_variant(rng: np.random.Generator, value: str) -> str:
    """Same code after trimming and upper-casing, but not the same text."""
    options = [f" {value}", f"{value} ", f"  {value} "]
    if value.lower() != value:
        options += [value.lower(), value.lower(), value.title() if value.title() != value else value.lower(),
                    f" {value.lower()}"]
    return options[int(rng.integers(0, len(options)))]


def flag_variant(rng: np.random.Generator, value: str) -> str:
    table = {"Y": ["y", "yes", "Yes", "YES", " Y"], "N": ["n", "no", "No", "NO", "N "]}
    options = table.get(value, [value.lower()])
    return options[int(rng.integers(0, len(options)))]


def bad_value_for(col: Column, value, rng: np.random.Generator):
    """A value that breaks the column's own rule (type, pattern, code list, bounds), or None."""
    if _is_blank(value):
        return None
    if col.pattern:
        text = str(value)
        return text[:-1] if rng.random() < 0.6 else text.replace("-", "_").replace("/", "-")
    if col.codes:
        for candidate in ("ZZ", "UNKNOWN", "N/A", "9"):
            if candidate not in col.codes:
                return candidate
        return None
    if col.type == "flag":
        return "P"
    if col.type == "integer":
        if col.maximum is not None and rng.random() < 0.5:
            return str(int(col.maximum) + 1)
        if col.minimum is not None and rng.random() < 0.5:
            return str(int(col.minimum) - 1)
        return "two"
    if col.type == "decimal":
        hi = col.maximum if col.maximum is not None else 8
        return float(hi) + 1.5 if rng.random() < 0.6 else "two hours"
    return None


def bad_date_for(value, rng: np.random.Generator):
    """A date that does not parse: day 32, or a word, keeping the column's look otherwise."""
    if _is_blank(value):
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return rng.choice(["32/%02d/%04d" % (value.month, value.year), "TBC", "31/02/%04d" % value.year])
    text = str(value)
    if len(text) >= 10 and text[4] == "-":          # ISO: YYYY-MM-DD...
        return text[:8] + "32" + text[10:]
    if len(text) >= 10 and text[2] == "/":          # DD/MM/YYYY...
        return "32" + text[2:] if rng.random() < 0.6 else text[6:10] + "-" + text[3:5] + "-" + text[0:2] + text[10:]
    return "not a date"


# ------------------------------------------------------------------------------------------
# generic operations (both CSV and workbook sheets)
# ------------------------------------------------------------------------------------------
def op_case_space(ctx: Ctx, df, picker: Picker, table: Table, rate: float, n_base: int):
    cols = [c.name for c in table.columns if c.upper and c.type == "text"]
    k = ctx.count("code_case_space", n_base, rate)
    done = 0
    for r in picker.take(k):
        for name in ctx.rng.permutation(cols):
            v = df.iat[r, _col(df, name)]
            if isinstance(v, str) and v:
                df.iat[r, _col(df, name)] = case_space_variant(ctx.rng, v)
                done += 1
                break
    ctx.note("code_case_space", done)


def op_flag_variant(ctx: Ctx, df, picker: Picker, table: Table, n_base: int):
    cols = [c.name for c in table.columns if c.type == "flag"]
    if not cols:
        return
    k = ctx.count("flag_variant", n_base)
    done = 0
    for r in picker.take(k):
        for name in cols:
            if ctx.rng.random() < 0.7:
                df.iat[r, _col(df, name)] = flag_variant(ctx.rng, df.iat[r, _col(df, name)])
                done += 1
    ctx.note("flag_variant", done)


def op_required_empty(ctx: Ctx, df, picker: Picker, table: Table, n_base: int):
    cols = [c.name for c in table.columns
            if not c.nullable and c.name not in table.key and c.name != table.month_column]
    k = ctx.count("required_empty", n_base)
    rows = picker.take(k)
    for r in rows:
        df.iat[r, _col(df, str(ctx.rng.choice(cols)))] = ctx.empty
    ctx.note("required_empty", len(rows))


def op_bad_value(ctx: Ctx, df, picker: Picker, table: Table, n_base: int):
    cols = [c for c in table.columns if c.type in ("text", "integer", "decimal", "flag")
            and (c.pattern or c.codes or c.type != "text")]
    k = ctx.count("bad_value", n_base)
    done = 0
    for r in picker.take(k):
        for i in ctx.rng.permutation(len(cols)):
            col = cols[i]
            bad = bad_value_for(col, df.iat[r, _col(df, col.name)], ctx.rng)
            if bad is not None:
                df.iat[r, _col(df, col.name)] = bad
                done += 1
                break
    ctx.note("bad_value", done)


def op_bad_date(ctx: Ctx, df, picker: Picker, table: Table, n_base: int):
    cols = [c.name for c in table.columns if c.type in ("date", "datetime") and c.name != table.month_column]
    k = ctx.count("bad_date", n_base)
    done = 0
    for r in picker.take(k):
        for name in ctx.rng.permutation(cols):
            bad = bad_date_for(df.iat[r, _col(df, name)], ctx.rng)
            if bad is not None:
                df.iat[r, _col(df, name)] = bad
                done += 1
                break
    ctx.note("bad_date", done)


def op_duplicates(ctx: Ctx, df, picker: Picker, table: Table, n_base: int):
    """Exact copies, half of them differing only in case/spaces (equal after normalisation)."""
    rows = picker.take(ctx.count("duplicate_row", n_base))
    if not len(rows):
        return df
    copies = df.iloc[rows][table.column_names].copy()
    codes = [c.name for c in table.columns if c.upper and c.type == "text"]
    for j in range(len(copies)):
        if ctx.rng.random() < 0.5:
            name = str(ctx.rng.choice(codes))
            v = copies.iat[j, _col(copies, name)]
            if isinstance(v, str) and v:
                copies.iat[j, _col(copies, name)] = case_space_variant(ctx.rng, v)
    near = df["_pos"].to_numpy()[rows] + 0.5
    far = ctx.rng.uniform(0, n_base, len(rows))
    pos = np.where(ctx.rng.random(len(rows)) < 0.5, near, far)
    ctx.note("duplicate_row", len(rows))
    return add_rows(df, copies, pos)


def op_key_conflict(ctx: Ctx, df, picker: Picker, table: Table, n_base: int, change):
    """A second row with the same key and other values; ``change(row, df, rng)`` alters it."""
    rows = picker.take(ctx.count("key_conflict", n_base))
    if not len(rows):
        return df
    copies = df.iloc[rows][table.column_names].copy().reset_index(drop=True)
    for j in range(len(copies)):
        change(copies, j, df, ctx.rng)
    ctx.note("key_conflict", len(rows))
    return add_rows(df, copies, ctx.rng.uniform(0, n_base, len(rows)))


def op_field_count(ctx: Ctx, df, picker: Picker, n_base: int):
    rows = picker.take(ctx.count("field_count", n_base))
    kinds = np.where(ctx.rng.random(len(rows)) < 0.5, "many", "few")
    df.loc[rows, "_broken"] = kinds
    ctx.note("field_count", len(rows))


def op_text_dates(ctx: Ctx, df, table: Table):
    """Some date cells typed as DD/MM/YYYY text (benign: the same date)."""
    done = 0
    for c in table.columns:
        if c.type != "date":
            continue
        j = _col(df, c.name)
        values = df.iloc[:, j].to_numpy(object)
        is_date = np.array([isinstance(v, dt.date) for v in values], dtype=bool)
        hit = is_date & (ctx.rng.random(len(values)) < S.FAULT_RATES["text_date"])
        for r in np.flatnonzero(hit):
            d = values[r]
            df.iat[r, j] = f"{d.day:02d}/{d.month:02d}/{d.year:04d}"
        done += int(hit.sum())
    ctx.note("text_date", done)


# ------------------------------------------------------------------------------------------
# key changes (a second row of the key with other, still valid, values)
# ------------------------------------------------------------------------------------------
def _other_value(df, name: str, current, rng) -> object:
    pool = df[name].to_numpy(object)
    for _ in range(8):
        v = pool[int(rng.integers(0, len(pool)))]
        if isinstance(v, str) and v and v != current and v.strip() == v:
            return v
    return f"{current}X"


def change_station(copies, j, df, rng):
    copies.iat[j, _col(copies, "station_code")] = _other_value(df, "station_code", copies.iat[j, _col(copies, "station_code")], rng)


def change_gravity(copies, j, df, rng):
    cur = copies.iat[j, _col(copies, "gravity_score")]
    options = [str(g) for g in (1, 2, 3) if str(g) != cur]
    copies.iat[j, _col(copies, "gravity_score")] = options[int(rng.integers(0, len(options)))]


def change_contract_custody(copies, j, df, rng):
    copies.iat[j, _col(copies, "custody_ref")] = _other_value(df, "custody_ref", copies.iat[j, _col(copies, "custody_ref")], rng)


def change_attendance(copies, j, df=None, rng=None):
    if copies.iat[j, _col(copies, "attendance")] == "ATTENDED":
        copies.iat[j, _col(copies, "attendance")] = "EXCUSED"
        copies.iat[j, _col(copies, "hours")] = 0.0
    else:
        copies.iat[j, _col(copies, "attendance")] = "ATTENDED"
        copies.iat[j, _col(copies, "hours")] = 1.0


# ------------------------------------------------------------------------------------------
# cross-column rules (source specific: the rules are what they are)
# ------------------------------------------------------------------------------------------
def _listed_non_drug() -> set[str]:
    codes = seed_values("ref_offence_codes", "offence_code")
    drug = seed_values("ref_offence_codes", "is_drug_offence")
    return {c for c, d in zip(codes, drug) if d.strip().lower() != "true"}


def rms_cross_rules(ctx: Ctx, df, picker: Picker, n_base: int):
    """EXPUNGED without date, date without EXPUNGED, outcome without date, wrong drug_class."""
    k = ctx.count("cross_rule", n_base)
    status = df["record_status"].to_numpy(object)
    outcome = df["outcome_code"].to_numpy(object)
    offence = df["offence_code"].to_numpy(object)
    base = np.arange(len(df)) < n_base
    non_drug = pd.Series(offence).isin(_listed_non_drug()).to_numpy()
    done = 0
    for i in range(k):
        variant = (i + int(ctx.rng.integers(0, 4))) % 4
        if variant == 0:
            r = picker.take(1, base & (status == "EXPUNGED"))
            if len(r):
                df.iat[r[0], _col(df, "expunged_date")] = ""
            else:
                r = picker.take(1, base & (status == "ACTIVE"))
                if len(r):
                    df.iat[r[0], _col(df, "record_status")] = "EXPUNGED"
        elif variant == 1:
            r = picker.take(1, base & (status == "ACTIVE"))
            if len(r):
                df.iat[r[0], _col(df, "expunged_date")] = df.iat[r[0], _col(df, "updated_at")][:10]
        elif variant == 2:
            r = picker.take(1, base & (outcome != ""))
            if len(r):
                df.iat[r[0], _col(df, "outcome_date")] = ""
        else:
            r = picker.take(1, base & non_drug)
            if len(r):
                df.iat[r[0], _col(df, "drug_class")] = "B"
        done += len(r)
    ctx.note("cross_rule", done)


def _parse_dmy_hm(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%d/%m/%Y %H:%M")


def custody_cross_rules(ctx: Ctx, df, picker: Picker, n_base: int):
    """released before booked_in; reason vs eligible; offered while ineligible; CHECKPOINT vs response."""
    k = ctx.count("cross_rule", n_base)
    base = np.arange(len(df)) < n_base
    elig = df["checkpoint_eligible"].to_numpy(object)
    rel = df["released"].to_numpy(object)
    disp = df["custody_disposal"].to_numpy(object)
    done = 0
    for i in range(k):
        variant = (i + int(ctx.rng.integers(0, 5))) % 5
        if variant == 0:
            r = picker.take(1, base & (rel != ""))
            if len(r):
                booked = _parse_dmy_hm(df.iat[r[0], _col(df, "booked_in")])
                df.iat[r[0], _col(df, "released")] = (booked - dt.timedelta(hours=int(ctx.rng.integers(1, 6)))).strftime("%d/%m/%Y %H:%M")
        elif variant == 1:
            r = picker.take(1, base & (elig == "Y"))
            if len(r):
                df.iat[r[0], _col(df, "ineligible_reason")] = "OTHER"
        elif variant == 2:
            r = picker.take(1, base & (elig == "N"))
            if len(r):
                df.iat[r[0], _col(df, "ineligible_reason")] = ""
        elif variant == 3:
            r = picker.take(1, base & (elig == "N"))
            if len(r):
                df.iat[r[0], _col(df, "checkpoint_offered")] = "Y"
                df.iat[r[0], _col(df, "offer_response")] = "DECLINED"
        else:
            r = picker.take(1, base & (disp == "CHECKPOINT"))
            if len(r):
                df.iat[r[0], _col(df, "offer_response")] = "DECLINED"
        done += len(r)
    ctx.note("cross_rule", done)


def contracts_cross_rules(ctx: Ctx, df, picker: Picker, n_base: int):
    """planned_end_date not four months on; status_date vs status; failure_reason vs FAILED."""
    k = ctx.count("cross_rule", n_base)
    base = np.arange(len(df)) < n_base
    status = df["status"].to_numpy(object)
    done = 0
    for i in range(k):
        variant = (i + int(ctx.rng.integers(0, 4))) % 4
        if variant == 0:
            r = picker.take(1, base)
            if len(r):
                start = df.iat[r[0], _col(df, "start_date")]
                months = int(ctx.rng.choice([3, 5]))
                df.iat[r[0], _col(df, "planned_end_date")] = add_months_clamped(
                    np.datetime64(start, "D"), months)[()].astype(object)
        elif variant == 1:
            r = picker.take(1, base & (status != "ACTIVE"))
            if len(r):
                df.iat[r[0], _col(df, "status_date")] = None
        elif variant == 2:
            r = picker.take(1, base & (status == "ACTIVE"))
            if len(r):
                df.iat[r[0], _col(df, "status_date")] = df.iat[r[0], _col(df, "start_date")]
        else:
            r = picker.take(1, base & (status == "FAILED"))
            if len(r):
                df.iat[r[0], _col(df, "failure_reason")] = None
            else:
                r = picker.take(1, base & (status == "COMPLETED"))
                if len(r):
                    df.iat[r[0], _col(df, "failure_reason")] = "NON_COMPLIANCE"
        done += len(r)
    ctx.note("cross_rule", done)


# ------------------------------------------------------------------------------------------
# month-defining date outside the file's month
# ------------------------------------------------------------------------------------------
def rms_month_outside(ctx: Ctx, df, picker: Picker, n_base: int):
    rows = picker.take(ctx.count("month_outside", n_base))
    first = np.datetime64(ctx.month, "D").astype(object)
    for r in rows:
        t = dt.datetime.strptime(df.iat[r, _col(df, "updated_at")], "%Y-%m-%dT%H:%M:%S")
        day = first - dt.timedelta(days=int(ctx.rng.integers(1, 11)))
        df.iat[r, _col(df, "updated_at")] = dt.datetime.combine(day, t.time()).strftime("%Y-%m-%dT%H:%M:%S")
    ctx.note("month_outside", len(rows))


def _shift_custody(df, r, delta: dt.timedelta):
    for name in ("booked_in", "released"):
        v = df.iat[r, _col(df, name)]
        if v:
            df.iat[r, _col(df, name)] = (_parse_dmy_hm(v) + delta).strftime("%d/%m/%Y %H:%M")


def custody_month_outside(ctx: Ctx, df, picker: Picker, n_base: int):
    rows = picker.take(ctx.count("month_outside", n_base))
    first = np.datetime64(ctx.month, "D").astype(object)
    for r in rows:
        booked = _parse_dmy_hm(df.iat[r, _col(df, "booked_in")])
        target = first - dt.timedelta(days=int(ctx.rng.integers(1, 11)))
        _shift_custody(df, r, dt.datetime.combine(target, booked.time()) - booked)
    ctx.note("month_outside", len(rows))


# ------------------------------------------------------------------------------------------
# keys of earlier deliveries
# ------------------------------------------------------------------------------------------
@dataclass
class Earlier:
    """A clean earlier month of a source and which of its rows are still untouched.

    ``rows`` are the month's rows as positions in the world's frame, in file order: a picked
    row is rendered again from the world rather than kept as text, because ten years of
    rendered months do not fit in memory at national scale.
    """

    month: np.datetime64
    rows: np.ndarray
    used: np.ndarray


@dataclass
class History:
    """The earlier months of one source and how to render rows of them (world positions)."""

    render: Callable[[np.ndarray], pd.DataFrame]
    months: list[Earlier] = field(default_factory=list)


def _pick_earlier(ctx: Ctx, history: History, k: int) -> pd.DataFrame | None:
    """``k`` untouched rows of random earlier months, clean, in the order drawn."""
    picked = []
    usable = [h for h in history.months if (~h.used).any()]
    for _ in range(k):
        if not usable:
            break
        h = usable[int(ctx.rng.integers(0, len(usable)))]
        free = np.flatnonzero(~h.used)
        r = int(free[int(ctx.rng.integers(0, len(free)))])
        h.used[r] = True
        picked.append(h.rows[r])
    return history.render(np.array(picked, dtype=np.int64)) if picked else None


def rms_earlier(ctx: Ctx, df, history: History, table: Table, n_base: int):
    """Rows of earlier deliveries sent again: changed (quarantine) and unchanged (duplicate)."""
    for kind in ("earlier_version_changed", "earlier_version_resent"):
        rows = _pick_earlier(ctx, history, ctx.count(kind, n_base))
        if rows is None:
            continue
        copies = rows[table.column_names]
        if kind == "earlier_version_changed":
            for j in range(len(copies)):
                change_station(copies, j, df, ctx.rng)
        df = add_rows(df, copies, ctx.rng.uniform(0, n_base, len(copies)))
        ctx.note(kind, len(copies))
    return df


def custody_earlier(ctx: Ctx, df, history: History, table: Table, n_base: int):
    """A custody_ref of an earlier month's delivery, booked in again in this month."""
    rows = _pick_earlier(ctx, history, ctx.count("custody_ref_other_month", n_base))
    if rows is None:
        return df
    copies = rows[table.column_names]
    first = np.datetime64(ctx.month, "D").astype(object)
    for j in range(len(copies)):
        booked = _parse_dmy_hm(copies.iat[j, _col(copies, "booked_in")])
        target = first + dt.timedelta(days=int(ctx.rng.integers(0, 27)))
        _shift_custody(copies, j, dt.datetime.combine(target, booked.time()) - booked)
    ctx.note("custody_ref_other_month", len(copies))
    return add_rows(df, copies, ctx.rng.uniform(0, n_base, len(copies)))


def sessions_earlier(ctx: Ctx, df, history: History, table: Table, n_base: int):
    """Earlier workbooks' sessions recorded again: corrected (replaces) or unchanged (duplicate)."""
    for kind in ("session_correction", "session_resent"):
        rows = _pick_earlier(ctx, history, ctx.count(kind, n_base))
        if rows is None:
            continue
        copies = rows[table.column_names]
        if kind == "session_correction":
            for j in range(len(copies)):
                change_attendance(copies, j)
        df = add_rows(df, copies, ctx.rng.uniform(0, n_base, len(copies)))
        ctx.note(kind, len(copies))
    return df


def blank_rows(ctx: Ctx, df, n: int):
    """Wholly empty worksheet rows (not rows, per the spec)."""
    if n <= 0:
        return df
    cols = [c for c in df.columns if not c.startswith("_")]
    rows = pd.DataFrame({c: [None] * n for c in cols})
    out = add_rows(df, rows, ctx.rng.uniform(0, max(len(df), 1), n))
    out.loc[out.index[-n:], "_blank"] = True
    ctx.note("blank_sheet_row", n)
    return out
