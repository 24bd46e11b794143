"""Compose the landing folder: world -> clean months -> faults -> bytes on disk.

Why one orchestrating module: which month carries which file-level fault (the _v2
re-delivery, the duplicate file, the rejected files, the schema drift) is a plan over the
whole run, decided here once and recorded in the summary, while the row-level faults are
decided per file from the seed. Nothing reads the clock; every random choice comes from a
stream named after the file it affects, so the same seed gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import os
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.contracts import load_contract
from generator import faults as F
from generator.dates import month_of, month_tag
from generator.population import World, simulate_world, world_stats
from generator.render import (
    contracts_snapshot, custody_months, custody_text, rms_months, rms_text, sessions_months,
    sessions_text,
)
from generator.writers import (
    csv_text, encode_custody, encode_rms, sheet_rows, write_bytes, xlsx_bytes,
)

RMS_EOL, CUSTODY_EOL = "\r\n", "\n"


@dataclass(frozen=True)
class Plan:
    """Month index (0-based) of each file-level fault; None where the run is too short."""

    rms_trailing_blank: int | None
    rms_no_final_eol: int | None
    rms_schema_drift: int | None
    rms_duplicate_file: int | None
    rms_wrong_encoding: int | None
    custody_no_final_eol: int | None
    custody_trailing_blank: int | None
    custody_column_order: int | None
    custody_v2: int | None
    custody_missing_header: int | None
    programme_schema_drift: int | None
    programme_notes_sheet: int | None
    programme_contracts_order: int | None
    programme_sessions_order: int | None


def make_plan(months: int, faults: bool) -> Plan:
    if not faults:
        return Plan(*([None] * 14))
    last = months - 1
    multi = months >= 2
    pick = lambda i: min(i, last)  # noqa: E731
    return Plan(
        rms_trailing_blank=pick(1),
        rms_no_final_eol=pick(3) if pick(3) != pick(1) else None,
        rms_schema_drift=pick(4),
        rms_duplicate_file=pick(2) if multi else None,
        rms_wrong_encoding=pick(5) if multi else None,
        custody_no_final_eol=0,
        custody_trailing_blank=pick(2) if pick(2) != 0 else None,
        custody_column_order=pick(3),
        custody_v2=1 if multi else None,
        custody_missing_header=pick(4) if multi else None,
        programme_schema_drift=pick(2),
        programme_notes_sheet=pick(1),
        programme_contracts_order=pick(3),
        programme_sessions_order=pick(1),
    )


def file_rng(seed: int, rel: str) -> np.random.Generator:
    """Random stream for one file's faults, named by the file (stable across runs)."""
    return np.random.default_rng([int(seed), zlib.crc32(("faults:" + rel).encode("utf-8"))])


def _rows_by_month(month_of_row: np.ndarray, months: list) -> dict:
    """Positions of each month's rows in the world's frame, in frame order (the file order)."""
    key = month_of_row.astype("datetime64[M]").astype(np.int64)
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    out = {}
    for m in months:
        at = int(np.datetime64(m, "M").astype(np.int64))
        out[m] = order[np.searchsorted(ordered, at, "left"):np.searchsorted(ordered, at, "right")]
    return out


# ------------------------------------------------------------------------------------------
# Every table takes the same faults in the same order (the random draws depend on it): the
# column faults, the table's own (cross-column rules, a date outside the month), a wrong
# field count (CSV only), duplicates and key conflicts.
# ------------------------------------------------------------------------------------------
def _faulty_rows(ctx: F.Ctx, clean: pd.DataFrame, table, change, source_ops: tuple = (), *,
                 case_rate: float = F.S.FAULT_RATES["code_case_space"], flags: bool = False,
                 field_count: bool = True) -> tuple[pd.DataFrame, F.Picker]:
    """Faulty rows of one table's month, before the earlier-delivery faults."""
    df = F.work_frame(clean)
    n = len(clean)
    picker = F.Picker(ctx.rng, n)
    F.op_case_space(ctx, df, picker, table, case_rate, n)
    if flags:
        F.op_flag_variant(ctx, df, picker, table, n)
    F.op_required_empty(ctx, df, picker, table, n)
    F.op_bad_value(ctx, df, picker, table, n)
    F.op_bad_date(ctx, df, picker, table, n)
    for op in source_ops:
        op(ctx, df, picker, n)
    if field_count:
        F.op_field_count(ctx, df, picker, n)
    df = F.op_duplicates(ctx, df, picker, table, n)
    return F.op_key_conflict(ctx, df, picker, table, n, change), picker


def _rms_month(ctx: F.Ctx, clean: pd.DataFrame, history: F.History, table) -> tuple[pd.DataFrame, F.Picker]:
    df, picker = _faulty_rows(ctx, clean, table, F.change_station, (F.rms_cross_rules, F.rms_month_outside))
    return F.rms_earlier(ctx, df, history, table, len(clean)), picker


def _custody_month(ctx: F.Ctx, clean: pd.DataFrame, history: F.History, table) -> tuple[pd.DataFrame, F.Picker]:
    df, picker = _faulty_rows(ctx, clean, table, F.change_gravity, (F.custody_cross_rules, F.custody_month_outside),
                              case_rate=F.S.CUSTODY_CASE_RATE, flags=True)
    return F.custody_earlier(ctx, df, history, table, len(clean)), picker


# ------------------------------------------------------------------------------------------
# programme workbook
# ------------------------------------------------------------------------------------------
def _programme_month(ctx: F.Ctx, contracts: pd.DataFrame, sessions: pd.DataFrame, history: F.History,
                     t_contracts, t_sessions, i: int, last: int, seen: set, held: set):
    """Faulty Contracts and Sessions frames for one workbook, and the sessions picker.

    ``seen``: contract_refs written in earlier snapshots; ``held``: refs already held back
    once (each contract is the subject of at most one snapshot fault). Both are updated.
    """
    # snapshot faults first: they decide which rows exist at all
    ref_series = contracts["contract_ref"]
    refs = ref_series.to_numpy(object)
    known = ref_series.isin(seen).to_numpy()      # hash look-ups: np.isin sorts objects
    is_held = ref_series.isin(held).to_numpy()
    fresh = ~known & ~is_held
    with_sessions = ref_series.isin(set(sessions["contract_ref"])).to_numpy()
    drop = np.zeros(len(contracts), dtype=bool)
    if i < last:  # first listed next month, while this month's sessions already name it
        cand = np.flatnonzero(fresh & with_sessions)
        if len(cand):
            drop[cand[int(ctx.rng.integers(0, len(cand)))]] = True
            ctx.note("contract_late_in_snapshot", 1)
    if 0 < i < last:  # listed before, absent now, back next month
        cand = np.flatnonzero(known & ~is_held)
        if len(cand):
            drop[cand[int(ctx.rng.integers(0, len(cand)))]] = True
            ctx.note("contract_missing_from_snapshot", 1)
    held |= set(refs[drop])
    contracts = contracts[~drop].reset_index(drop=True)
    seen |= set(contracts["contract_ref"].to_numpy(object))

    k, _ = _faulty_rows(ctx, contracts, t_contracts, F.change_contract_custody, (F.contracts_cross_rules,),
                        field_count=False)
    F.op_text_dates(ctx, k, t_contracts)

    s, ps = _faulty_rows(ctx, sessions, t_sessions, F.change_attendance, field_count=False)
    s = F.sessions_earlier(ctx, s, history, t_sessions, len(sessions))
    F.op_text_dates(ctx, s, t_sessions)
    if ctx.rng.random() < 0.5 or i == 0:
        s = F.blank_rows(ctx, s, int(ctx.rng.integers(1, 3)))
    return k, s, ps


def _xlsx_job(args) -> tuple[str, bytes]:
    """Build one workbook (run in a worker process at national scale)."""
    rel, sheets, when = args
    return rel, xlsx_bytes(sheets, when)


def _started() -> int:
    """A job that does nothing: submitting it makes the pool start its workers."""
    return os.getpid()


def _workbook_pool(n_workers: int) -> ProcessPoolExecutor | None:
    """Workbook workers, started before the world is simulated.

    A forked worker keeps the pages its parent held at the fork for as long as it lives, so a
    worker forked after the world exists holds a second copy of it once the parent frees or
    touches its own (several GB at national scale over years). Started now, they copy a
    process that has imported its modules and nothing more.
    """
    if n_workers <= 1:
        return None
    pool = ProcessPoolExecutor(max_workers=n_workers)
    for future in [pool.submit(_started) for _ in range(n_workers)]:
        future.result()
    return pool


def _export_time(month) -> dt.datetime:
    """When the provider exported the workbook: 06:30 on the first day after the month."""
    nxt = (np.datetime64(month, "M") + 1).astype("datetime64[D]").astype(object)
    return dt.datetime.combine(nxt, dt.time(6, 30))


# ------------------------------------------------------------------------------------------
class _Run:
    """State of one generation run: the world, the plan, the log and the per-source history.

    Sources are independent (each file has its own random stream and each source its own
    history), so the months can be produced in one loop: RMS, custody, then the workbook of
    month i, whose slow xlsx build goes to a worker while the next month's CSVs are made.

    A month's clean rows are rendered when the month is written and dropped after it; what
    is kept of earlier months is where their rows are in the world and which were used.
    """

    def __init__(self, out: Path, world: World, plan: Plan, seed: int, faults: bool):
        self.out, self.world, self.plan, self.seed, self.faults = out, world, plan, seed, faults
        self.log = F.FaultLog()
        self.files: list[dict] = []
        self.months = world.month_list
        self.last = len(self.months) - 1
        self.tags = [month_tag(m) for m in self.months]
        self.t_rms = load_contract("rms").table("arrests")
        self.t_cus = load_contract("custody").table("custody")
        self.t_con = load_contract("programme").table("contracts")
        self.t_ses = load_contract("programme").table("sessions")
        self.rms_rows = _rows_by_month(rms_months(world), self.months)
        self.cus_rows = _rows_by_month(custody_months(world), self.months)
        self.ses_rows = _rows_by_month(sessions_months(world), self.months)
        self.rms_history = F.History(lambda rows: rms_text(world, rows))
        self.cus_history = F.History(lambda rows: custody_text(world, rows))
        self.ses_history = F.History(lambda rows: sessions_text(world, rows))
        self.seen_refs: set = set()
        self.held_refs: set = set()
        self.late_refs: set = set()

    def record(self, rel: str, data: bytes, source: str, i: int | None, version: int | None,
               rows: int | None, fate: str) -> dict:
        rec = write_bytes(self.out, rel, data)
        rec.update(source=source, month=None if i is None else str(self.months[i]), version=version,
                   rows=rows, expected_fate=fate)
        self.files.append(rec)
        return rec

    def ctx(self, rel: str, i: int, xlsx: bool = False) -> F.Ctx:
        return F.Ctx(file_rng(self.seed, rel), self.log, rel, self.months[i], xlsx=xlsx)

    # ---------------- RMS ----------------
    def rms(self, i: int) -> None:
        plan, rel = self.plan, f"rms/arrests_{self.tags[i]}.csv"
        rows = self.rms_rows[self.months[i]]
        clean = rms_text(self.world, rows)
        ctx = self.ctx(rel, i)
        if self.faults:
            df, picker = _rms_month(ctx, clean, self.rms_history, self.t_rms)
            self.rms_history.months.append(F.Earlier(self.months[i], rows, picker.used.copy()))
        else:
            df = F.work_frame(clean)
        df = F.finish(df)
        columns = list(self.t_rms.column_names)
        if plan.rms_schema_drift == i:
            df["source_system"] = "RMS 7.2"
            columns.insert(int(ctx.rng.integers(1, len(columns))), "source_system")
            ctx.note("schema_drift")
        trailing = 2 if plan.rms_trailing_blank == i else 0
        final_eol = plan.rms_no_final_eol != i
        ctx.note("trailing_blank_lines", trailing)
        ctx.note("no_final_line_end", int(not final_eol))
        data = encode_rms(csv_text(df, columns, eol=RMS_EOL, trailing_blank=trailing, final_eol=final_eol))
        self.record(rel, data, "rms", i, 1, len(df), "accepted")
        if plan.rms_duplicate_file == i:
            dup = f"rms/arrests_{self.tags[i]}_v2.csv"
            self.record(dup, data, "rms", i, 2, len(df), "duplicate")
            self.log.add(dup, "duplicate_file")
        if plan.rms_wrong_encoding == i:
            self.rms_wrong_encoding(i, clean)

    def rms_wrong_encoding(self, i: int, clean: pd.DataFrame) -> None:
        """A later version of a month whose v1 is good, in Windows-1252: rejected, v1 stays."""
        text = csv_text(F.work_frame(clean), self.t_rms.column_names, eol=RMS_EOL)
        data = text.encode("cp1252", errors="replace")
        try:
            data.decode("utf-8")
            return  # all ASCII this month: it would not be a wrong encoding at all
        except UnicodeDecodeError:
            pass
        version = 3 if self.plan.rms_duplicate_file == i else 2
        rel = f"rms/arrests_{self.tags[i]}_v{version}.csv"
        self.record(rel, data, "rms", i, version, len(clean), "rejected")
        self.log.add(rel, "wrong_encoding")

    # ---------------- custody ----------------
    def custody(self, i: int) -> None:
        plan, rel = self.plan, f"custody/custody_{self.tags[i]}.csv"
        rows = self.cus_rows[self.months[i]]
        clean = custody_text(self.world, rows)
        cols = self.t_cus.column_names
        ctx = self.ctx(rel, i)
        if self.faults:
            df, picker = _custody_month(ctx, clean, self.cus_history, self.t_cus)
            if plan.custody_v2 == i:
                # v1 misses some records (contracts among them); the _v2 brings them
                n = len(clean)
                is_cp = (clean["custody_disposal"] == "CHECKPOINT").to_numpy()
                k = ctx.count("late_redelivery_rows", n, minimum=4)
                gone = np.concatenate([picker.take(2, is_cp), picker.take(max(k - 2, 0))])
                self.late_refs |= set(clean["custody_ref"].to_numpy(object)[gone])
                position = np.arange(len(df))
                df = df[~np.isin(position, gone) | (position >= n)]
                ctx.note("custody_late_redelivery", len(gone))
            self.cus_history.months.append(F.Earlier(self.months[i], rows, picker.used.copy()))
        else:
            df = F.work_frame(clean)
        df = F.finish(df)
        columns = list(cols)
        if plan.custody_column_order == i:
            columns = [str(c) for c in ctx.rng.permutation(columns)]
            ctx.note("column_order")
        trailing = 3 if plan.custody_trailing_blank == i else 0
        final_eol = plan.custody_no_final_eol != i
        ctx.note("trailing_blank_lines", trailing)
        ctx.note("no_final_line_end", int(not final_eol))
        data = encode_custody(csv_text(df, columns, eol=CUSTODY_EOL, trailing_blank=trailing, final_eol=final_eol))
        self.record(rel, data, "custody", i, 1, len(df), "accepted")
        version = 1
        if plan.custody_v2 == i:
            version = 2
            rel2 = f"custody/custody_{self.tags[i]}_v2.csv"
            data2 = encode_custody(csv_text(F.work_frame(clean), cols, eol=CUSTODY_EOL))
            self.record(rel2, data2, "custody", i, 2, len(clean), "accepted (replaces v1)")
            self.log.add(rel2, "redelivery_v2")
        if plan.custody_missing_header == i:
            version += 1
            rel3 = f"custody/custody_{self.tags[i]}_v{version}.csv"
            cols3 = [c for c in cols if c != "gravity_score"]
            data3 = encode_custody(csv_text(F.work_frame(clean), cols3, eol=CUSTODY_EOL))
            self.record(rel3, data3, "custody", i, version, len(clean), "rejected")
            self.log.add(rel3, "missing_header_column")

    # ---------------- programme ----------------
    def programme(self, i: int) -> tuple:
        """Faulty sheets of month i, ready for a worker: (rel, sheets, export time, i, rows)."""
        plan, m = self.plan, self.months[i]
        rel = f"programme/checkpoint_programme_{self.tags[i]}.xlsx"
        ctx = self.ctx(rel, i, xlsx=True)
        contracts = contracts_snapshot(self.world, m)
        rows = self.ses_rows[m]
        sessions = sessions_text(self.world, rows)
        if self.faults:
            k, s, ps = _programme_month(ctx, contracts, sessions, self.ses_history, self.t_con, self.t_ses,
                                        i, self.last, self.seen_refs, self.held_refs)
            self.ses_history.months.append(F.Earlier(m, rows, ps.used.copy()))
        else:
            k, s = F.work_frame(contracts), F.work_frame(sessions)
        k, s = F.finish(k), F.finish(s)
        kcols, scols = list(self.t_con.column_names), list(self.t_ses.column_names)
        sheets_extra = None
        if self.faults:
            if plan.programme_contracts_order == i or (i != 0 and ctx.rng.random() < 0.2):
                kcols = [str(c) for c in ctx.rng.permutation(kcols)]
                ctx.note("column_order")
            if plan.programme_sessions_order == i or (i != 0 and ctx.rng.random() < 0.2):
                scols = [str(c) for c in ctx.rng.permutation(scols)]
                ctx.note("column_order")
            if plan.programme_schema_drift == i:
                k["navigator"] = "NAV-" + pd.Series(ctx.rng.integers(1, 40, len(k))).astype(str).str.zfill(2).to_numpy(object)
                kcols.append("navigator")
                ctx.note("schema_drift")
            if plan.programme_notes_sheet == i or ctx.rng.random() < 0.25:
                sheets_extra = ("Notes", ["note"], [[f"Export of the case system as at the end of {m}."],
                                                    ["Dates typed by staff are DD/MM/YYYY."]])
                ctx.note("extra_sheet")
        sheets = [("Contracts", kcols, sheet_rows(k, kcols)), ("Sessions", scols, sheet_rows(s, scols))]
        if sheets_extra:
            sheets.insert(0 if i % 2 else len(sheets), sheets_extra)
        rows = int((~k["_blank"]).sum() + (~s["_blank"]).sum())
        return rel, sheets, _export_time(m), i, rows

    # ---------------- stray files ----------------
    def strays(self) -> None:
        tags, plan = self.tags, self.plan
        note = "Landing notes\r\n"
        if plan.custody_v2 is not None:
            note += f"Custody {tags[plan.custody_v2]} was re-sent as _v2 by the supplier.\r\n"
        partial = (self.out / f"custody/custody_{tags[self.last]}.csv").read_bytes()
        strays = {
            f"rms/~$arrests_{tags[0]}.csv": b"\x07analyst" + b"\x20" * 46 + b"\x07\x00a\x00n\x00" + b"\x00" * 100,
            "notes.txt": note.encode("utf-8"),
            f"custody/custody_{tags[self.last]}.csv.tmp": partial[: len(partial) // 2],
        }
        for rel, data in strays.items():
            self.record(rel, data, "none", None, None, None, "ignored")
            self.log.add(rel, "non_delivery")


def generate_landing(out_dir: Path, start: str = "2025-01", months: int = 12, scale: str = "durham",
                     seed: int = 42, faults: bool = True, workers: int | None = None) -> dict:
    """Write a landing folder of ``months`` monthly deliveries from ``start``; return a summary.

    ``faults=False`` gives a clean landing (every row valid, no re-deliveries, no stray files).
    ``workers`` is the number of processes building workbooks (default: 2 at national scale,
    where openpyxl dominates the run time, else 1 = in this process). The bytes do not depend
    on it.
    """
    if int(seed) < 0:
        raise ValueError("seed must be a non-negative integer")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    n_workers = workers if workers is not None else (min(2, os.cpu_count() or 1) if scale == "national" else 1)
    pool = _workbook_pool(n_workers)
    pending: list = []  # (future, job meta), bounded so at most a few workbooks sit in memory

    def collect(entry) -> None:
        future, (rel, i, rows) = entry
        _, data = future.result()
        run.record(rel, data, "programme", i, 1, rows, "accepted")

    try:
        world = simulate_world(start, months, scale, seed)
        run = _Run(out, world, make_plan(months, faults), seed, faults)
        for i in range(months):
            run.rms(i)
            run.custody(i)
            rel, sheets, when, i_, rows = run.programme(i)
            if pool is None:
                run.record(rel, _xlsx_job((rel, sheets, when))[1], "programme", i_, 1, rows, "accepted")
                continue
            pending.append((pool.submit(_xlsx_job, (rel, sheets, when)), (rel, i_, rows)))
            del sheets
            while len(pending) > n_workers:
                collect(pending.pop(0))
        while pending:
            collect(pending.pop(0))
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    if faults:
        run.strays()

    files = sorted(run.files, key=lambda f: f["path"])
    by_file = run.log.as_dict()
    for f in files:  # the row accounting an accepted delivery should produce
        if f["expected_fate"].startswith("accepted"):
            f["expected_counts"] = F.expected_counts(f["rows"], by_file.get(f["path"], {}))
    month_list = world.month_list
    return {
        "out_dir": str(out),
        "start": start, "months": months, "scale": scale, "seed": seed, "faults_enabled": faults,
        "plan": {k: (None if v is None else str(month_list[v])) for k, v in asdict(run.plan).items()},
        "files": files,
        "rows": _row_totals(files),
        "faults": run.log.totals(),
        "faults_by_file": by_file,
        "fault_handling": dict(F.FAULT_HANDLING),
        "world": world_stats(world),
        "natural": _natural_reference_lags(world),
        "late_custody_refs": sorted(run.late_refs),
    }


def _row_totals(files: list[dict]) -> dict:
    out: dict = {}
    for f in files:
        if f["rows"] is not None and f["expected_fate"].startswith("accepted"):
            out[f["source"]] = out.get(f["source"], 0) + f["rows"]
    return out


def _natural_reference_lags(world: World) -> dict:
    """References that arrive before their key in a clean world too (not faults)."""
    c = world.custody
    c = c[c["booked_in"].to_numpy().astype("datetime64[D]") <= world.last_day]
    created = world.arrests["t_create"].to_numpy()[c["arrest_idx"].to_numpy()]
    booked_m = month_of(c["booked_in"].to_numpy())
    s = world.sessions
    return {
        "custody_before_arrest_record": int((month_of(created) > booked_m).sum()),
        "sessions_recorded_late": int((month_of(s["recorded_date"].to_numpy()) > month_of(s["session_date"].to_numpy())).sum()),
    }
