"""National scale: first load against the I/O floor, one more month on long vs short history, peak memory.

    .venv/bin/python benchmarks/bench_national.py                # 3 national months, then a 4th
    .venv/bin/python benchmarks/bench_national.py --months 12 --keep /tmp/bench12

Generates ``N + 1`` national months once (``checkpoint-warehouse generate --scale national``)
and prints, with ratios:

- the I/O floor of the first N months: the least time to parse every delivered byte with the
  fastest readers at hand (DuckDB's CSV reader over all columns as text, python-calamine for
  the workbooks), each file once;
- the first load of those N months: ingest alone (``ingest_landing``), then the whole
  ``checkpoint-warehouse run`` on a fresh home;
- month N + 1 run on that N-month history, against the same month N + 1 run on a home that
  holds the last K months of that history only (``--short-months``, default 3, as the
  issue's target compares a year with three months): the cost of history. The two runs
  follow each other, ``--repeat`` times (each home put back as it was before the month), and
  the fastest of each are compared: this machine's speed drifts from one minute to the next;
- peak memory of each step: the largest resident set of the process tree, sampled from
  ``/proc`` (DuckDB's memory limit and the Python side together), the analyst file's size,
  and the build database's size with the rows that hold the workbooks' contracts.

Every step runs in its own process, as a user would run it. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from generator import generate_landing  # noqa: E402
from pipelines.ingest.discovery import parse_delivery_name  # noqa: E402
from pipelines.months import add_months  # noqa: E402

BENCH_KEY = "ab" * 32  # a throwaway pseudonym key: the data are synthetic
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Step:
    seconds: float
    peak_rss: int  # bytes, the process tree's largest sampled total
    exit_code: int


def _tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and all its descendants, from /proc."""
    parents, rss = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])  # ppid (field 4 of stat)
        rss[int(entry)] = int(fields[21]) * PAGE  # rss in pages (field 24)
    total, frontier = 0, [root]
    while frontier:
        pid = frontier.pop()
        total += rss.get(pid, 0)
        frontier += [child for child, parent in parents.items() if parent == pid]
    return total


def timed(command: list[str], env: dict[str, str], log: Path) -> Step:
    """Run ``command`` to its end, sampling its tree's memory; stdout and stderr go to ``log``."""
    peak = [0]
    with open(log, "ab") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO)
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.2):
                peak[0] = max(peak[0], _tree_rss(process.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = process.wait()
        elapsed = time.perf_counter() - started
        done.set()
        sampler.join()
    return Step(elapsed, peak[0], code)


def step_seconds(home: Path) -> dict[str, float]:
    """Seconds of each step of the latest run of ``home``, from its Dagster instance's records."""
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(home / "state" / "dagster")
    with dg.DagsterInstance.get() as instance:
        latest = instance.get_runs(limit=1)[0]
        return {s.step_key: s.end_time - s.start_time for s in instance.get_run_step_stats(latest.run_id)
                if s.end_time and s.start_time}


def stored(home: Path) -> str:
    """The build database's size and how many rows hold the workbooks' contracts."""
    build = home / "state" / "build" / "warehouse.duckdb"
    con = duckdb.connect(str(build), read_only=True)
    try:
        contracts = con.execute("SELECT count(*) FROM raw.programme_contracts").fetchone()[0]
        keys = con.execute("SELECT count(DISTINCT contract_ref) FROM raw.programme_contracts").fetchone()[0]
    finally:
        con.close()
    return f"build database {build.stat().st_size / 1e6:,.0f} MB, raw.programme_contracts {contracts:,} rows for {keys:,} contracts"


def saved(home: Path) -> Path:
    """Where a home is kept as it was before month N + 1, to be put back for another run."""
    return home.with_name(home.name + ".before")


def landing_of(all_months: Path, out: Path, months: set[str], with_strays: bool) -> Path:
    """A landing folder holding the deliveries of ``months`` (hard links), strays if asked."""
    for path in sorted(all_months.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(all_months).as_posix()
        parsed = parse_delivery_name(relative)
        if (parsed and parsed[1] in months) or (parsed is None and with_strays):
            target = out / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                os.link(path, target)
    return out


def io_floor(landing: Path) -> tuple[float, int]:
    """(seconds, bytes) to parse every delivery once with the fastest readers at hand."""
    import duckdb
    import python_calamine

    files = [p for p in sorted(landing.rglob("*")) if p.is_file() and parse_delivery_name(
        p.relative_to(landing).as_posix())]
    con = duckdb.connect()
    transcoded = landing.parent / "floor_utf8.csv"
    started = time.perf_counter()
    for path in files:
        if path.suffix == ".csv":
            if path.parent.name == "custody":
                # Windows-1252 is not among DuckDB's encodings: transcoded in Python in one pass.
                transcoded.write_bytes(path.read_bytes().decode("cp1252", "replace").encode("utf-8"))
                path = transcoded
            con.execute("SELECT max(COLUMNS(*)) FROM read_csv(?, all_varchar = true, header = true, "
                        "strict_mode = false, null_padding = true, ignore_errors = true)",
                        [str(path)]).fetchall()
        else:
            workbook = python_calamine.CalamineWorkbook.from_path(str(path))
            for name in workbook.sheet_names:
                workbook.get_sheet_by_name(name).to_python()
    elapsed = time.perf_counter() - started
    con.close()
    transcoded.unlink(missing_ok=True)
    return elapsed, sum(p.stat().st_size for p in files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=3, help="months of history (N); month N + 1 is added")
    parser.add_argument("--short-months", type=int, default=3,
                        help="months of the short history (K, the last K of the N) that month N + 1 is also run on")
    parser.add_argument("--skip-ingest-alone", action="store_true",
                        help="do not time ingest on its own before the whole first run")
    parser.add_argument("--repeat", type=int, default=2,
                        help="times month N + 1 is run on each history, in turn (the fastest of each compared)")
    parser.add_argument("--start", default="2025-01")
    parser.add_argument("--keep", help="work in this folder and keep it (default: a temporary folder)")
    args = parser.parse_args()
    n = args.months
    k = min(args.short_months, n)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_national_"))
    work.mkdir(parents=True, exist_ok=True)
    log = work / "bench.log"
    python = str(Path(sys.executable))
    cli = str(Path(sys.executable).with_name("checkpoint-warehouse"))
    env = {**os.environ, "CHECKPOINT_PSEUDONYM_KEY": BENCH_KEY, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    env.pop("CHECKPOINT_PSEUDONYM_KEY_FILE", None)
    env.pop("DAGSTER_HOME", None)
    try:
        started = time.perf_counter()
        generated = work / "generated"
        done = work / f"generated_{args.start}_{n + 1}.done"  # --keep: a second run reuses the months
        if not done.exists():
            shutil.rmtree(generated, ignore_errors=True)
            summary = generate_landing(generated, start=args.start, months=n + 1, scale="national", seed=1)
            print(f"generated {n + 1} national months ({sum(summary['rows'].values()):,} rows) "
                  f"in {time.perf_counter() - started:.0f} s")
            done.touch()
        for step in ("first", "short", "home_ingest", "home_long", "home_short"):
            shutil.rmtree(work / step, ignore_errors=True)
            shutil.rmtree(saved(work / step), ignore_errors=True)
        history = [add_months(args.start, i) for i in range(n)]
        extra = add_months(args.start, n)
        first = landing_of(generated, work / "first", set(history), with_strays=True)

        floor, size = io_floor(first)
        print(f"\nfirst load, {n} month(s), {size / 1e6:,.0f} MB delivered")
        print(f"  I/O floor (DuckDB CSV as text + calamine): {floor:7.1f} s")

        ingest_home = work / "home_ingest"
        if args.skip_ingest_alone:  # ten years: the whole run says as much, in half the time
            ingest = Step(float("nan"), 0, 0)
        else:
            ingest = timed([python, "-c", (
                "import sys; from pathlib import Path; from pipelines.ingest.load import ingest_landing; "
                "h = Path(sys.argv[2]); ingest_landing(Path(sys.argv[1]), h / 'state/build/warehouse.duckdb', "
                "h / 'restricted/quarantine.duckdb', sys.argv[3].encode())"),
                str(first), str(ingest_home), BENCH_KEY], env, log)
        print(f"  ingest alone:                              {ingest.seconds:7.1f} s = {ingest.seconds / floor:5.1f} x floor"
              f"   peak {ingest.peak_rss / 2**20:,.0f} MiB")

        long_home = work / "home_long"
        run = timed([cli, "run", "--landing", str(first), "--home", str(long_home)], env, log)
        analyst = (long_home / "warehouse.duckdb").stat().st_size
        print(f"  whole run:                                 {run.seconds:7.1f} s = {run.seconds / floor:5.1f} x floor"
              f"   peak {run.peak_rss / 2**20:,.0f} MiB   exit {run.exit_code}   analyst file {analyst / 1e6:,.0f} MB")
        print(f"  {stored(long_home)}")

        short_landing = landing_of(generated, work / "short", set(history[n - k:]), with_strays=False)
        short_home = work / "home_short"
        timed([cli, "run", "--landing", str(short_landing), "--home", str(short_home)], env, log)

        histories = [(n, first, long_home), (k, short_landing, short_home)]
        for _, landing, home in histories:
            landing_of(generated, landing, {extra}, with_strays=False)  # month N + 1 lands beside the history
            shutil.copytree(home, saved(home), symlinks=True)
        tries: list[list[tuple[Step, dict[str, float]]]] = [[], []]
        for attempt in range(max(args.repeat, 1)):
            for (_, landing, home), tried in zip(histories, tries):
                if attempt:  # the home as it was before the month
                    shutil.rmtree(home)
                    shutil.copytree(saved(home), home, symlinks=True)
                tried.append((timed([cli, "run", "--landing", str(landing), "--home", str(home)], env, log),
                              step_seconds(home)))
        analyst_after = (long_home / "warehouse.duckdb").stat().st_size
        (more_long, steps_long), (more_short, steps_short) = (min(t, key=lambda run: run[0].seconds) for t in tries)

        average = run.seconds / n
        print(f"\none more month ({extra}), run {max(args.repeat, 1)} time(s) on each history in turn")
        for (months, _, _), tried in zip(histories, tries):
            fastest = min(t.seconds for t, _ in tried)
            each = ", ".join(f"{t.seconds:.1f}" for t, _ in tried)
            peak = max(t.peak_rss for t, _ in tried)
            print(f"  on {months} month(s) of history:{'':<{17 - len(str(months))}}{fastest:7.1f} s (fastest of {each})"
                  f"   peak {peak / 2**20:,.0f} MiB   exit {', '.join(str(t.exit_code) for t, _ in tried)}")
        print(f"  long / short history:                      {more_long.seconds / more_short.seconds:7.2f}")
        for key in steps_long:
            print(f"    step {key:<28} {steps_long[key]:6.1f} s on {n}, {steps_short.get(key, float('nan')):6.1f} s on {k}")
        print(f"  one more month / average month of first load: {more_long.seconds / average:5.2f}")
        print(f"  analyst file: {analyst / 1e6:,.0f} MB -> {analyst_after / 1e6:,.0f} MB "
              f"({(analyst_after / analyst - 1) * 100:+.0f}%)")
        print(f"  after it: {stored(long_home)}")
        tried_all = [t for tried in tries for t, _ in tried]
        print(f"\npeak memory of any step: {max(s.peak_rss for s in [ingest, run, *tried_all]) / 2**30:.2f} GiB"
              f" (process tree, sampled every 0.2 s); log: {log if args.keep else 'removed'}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
