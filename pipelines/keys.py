"""The pseudonym key of a home: its fingerprint, the check that a run uses the same key, and
re-keying.

A home records a fingerprint of the key its pseudonyms were made with (an HMAC of a fixed
label under the key: it identifies the key without revealing it) in
``HOME/state/pseudonym_key.json``. A run with another key is refused: it would give every
person a second pseudonym.

``checkpoint-warehouse rekey`` changes the key of a home. A pseudonym is an HMAC of the
person identifier, which the warehouse never holds, and nothing computed from the old
pseudonym could match what a later ingest computes from the identifier with the new key.
So re-keying reads every accepted delivery again from the landing folder (each checked
against the sha256 recorded when it was loaded), computes each loaded row's pseudonym and
row digest with the new key exactly as ingest does, and rewrites them in the raw tables,
and the old -> new pseudonym map in every built table, in one transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.contracts import load_contract, raw_tables
from pipelines.settings import KEY_FILE_ENV, ConfigurationError, Home, WriterBusy, pseudonym_key

FINGERPRINT_LABEL = b"checkpoint-warehouse pseudonym key fingerprint v1"
REKEY_COMMAND = "checkpoint-warehouse rekey --landing DIR --home DIR --new-key-file NEWKEY"


def fingerprint(key: bytes) -> str:
    return hmac.new(key, FINGERPRINT_LABEL, hashlib.sha256).hexdigest()


def fingerprint_path(home_root: Path) -> Path:
    return Path(home_root) / "state" / "pseudonym_key.json"


@dataclass(frozen=True)
class KeyRecord:
    fingerprint: str
    rekeying_to: str | None = None  # set while a rekey is under way (or was interrupted)


def read_record(home_root: Path) -> KeyRecord | None:
    path = fingerprint_path(home_root)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return KeyRecord(data["fingerprint"], data.get("rekeying_to"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ConfigurationError(f"{path} is unreadable ({type(error).__name__}): restore it from a backup") from None


def write_record(home_root: Path, record: KeyRecord, *, exclusive: bool = False) -> None:
    """Write the record owner-only, atomically (or only if there is none, with ``exclusive``)."""
    path = fingerprint_path(home_root)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    text = json.dumps({"fingerprint": record.fingerprint, "rekeying_to": record.rekeying_to}) + "\n"
    target = path if exclusive else path.with_name(f".{path.name}.incoming")
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    with open(os.open(target, flags, 0o600), "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    if not exclusive:
        os.replace(target, path)


def check_key(home_root: Path, environ=os.environ) -> bytes:
    """The pseudonym key, refused when it is not the one this home's pseudonyms were made
    with (nothing is written: a home without a record accepts any good key)."""
    key = pseudonym_key(environ)
    record = read_record(home_root)
    if record is None:
        return key
    if record.rekeying_to:
        raise ConfigurationError(f"a change of pseudonym key in {home_root} did not finish: run the same "
                                 f"`{REKEY_COMMAND}` again")
    if fingerprint(key) != record.fingerprint:
        raise ConfigurationError(
            f"the pseudonym key is not the one {home_root} was built with (fingerprint "
            f"{record.fingerprint[:12]}, this key's {fingerprint(key)[:12]}): use that key, or change "
            f"the key of every pseudonym with `{REKEY_COMMAND}`")
    return key


def home_key(home: Home, environ=os.environ) -> bytes:
    """``check_key``, recording the key's fingerprint in a home that has none yet (its first
    run, or a home made before fingerprints were recorded)."""
    key = check_key(home.root, environ)
    if read_record(home.root) is None:
        try:
            write_record(home.root, KeyRecord(fingerprint(key)), exclusive=True)
        except FileExistsError:  # another process recorded one first: it must be this key too
            return check_key(home.root, environ)
    return key


# --- re-keying -------------------------------------------------------------------------------

@dataclass(frozen=True)
class RekeyReport:
    deliveries: int
    rows: int
    people: int
    tables: list[str]  # every table whose pseudonyms were rewritten


def rekey(home: Home, landing: Path, new_key_file: Path, environ=os.environ) -> RekeyReport:
    """Change the key of every pseudonym of ``home`` to the key in ``new_key_file``; the
    current key comes from the environment as for a run. One transaction: all or nothing."""
    new_key = pseudonym_key({KEY_FILE_ENV: str(new_key_file)})
    old_key = pseudonym_key(environ)
    record = read_record(home.root)
    accepted = {record.fingerprint, record.rekeying_to} if record else set()
    if record is not None and fingerprint(old_key) not in accepted:
        raise ConfigurationError(f"the current pseudonym key (from the environment) is not the one {home.root} "
                                 "was built with: set it to that key")
    if record is not None and not record.rekeying_to and fingerprint(new_key) == record.fingerprint:
        raise ConfigurationError("the new key is the key already in use: nothing to change")
    if not home.build_db.exists():
        write_record(home.root, KeyRecord(fingerprint(new_key)))
        return RekeyReport(0, 0, 0, [])
    try:
        with home.exclusive_writer(timeout_s=0):
            report = _rekey_build(home, landing, record or KeyRecord(fingerprint(old_key)), new_key)
            if home.warehouse_db.exists():  # the analysts' copy must not keep the old pseudonyms
                from pipelines.warehouse.publish import publish_home

                publish_home(home)
    except WriterBusy:
        raise ConfigurationError("a pipeline run is writing this home: rekey when it has finished") from None
    return report


def _rekey_build(home: Home, landing: Path, record: KeyRecord, new_key: bytes) -> RekeyReport:
    con = home.connect_build()
    try:
        deliveries = con.execute("""
            SELECT source, month, file_name, sha256 FROM dq.deliveries
            WHERE status = 'accepted' ORDER BY seen_order""").fetchall()
        fresh: dict[str, list[pd.DataFrame]] = {}
        for source, month, file_name, sha256 in deliveries:
            for raw_table, frame in rows_under_key(landing, source, month, file_name, sha256, new_key).items():
                fresh.setdefault(raw_table, []).append(frame)
        # Marked before the commit: a crash after it leaves a home no run accepts until the
        # same rekey is run again (which finds the rows already rewritten and finishes).
        write_record(home.root, KeyRecord(record.fingerprint, rekeying_to=fingerprint(new_key)))
        try:
            con.begin()
            rows, people, tables = _rewrite(con, {t: pd.concat(f) for t, f in fresh.items()})
            con.commit()
        except BaseException:
            con.rollback()
            write_record(home.root, record)  # nothing changed: the record stands as it was
            raise
    finally:
        con.close()
    write_record(home.root, KeyRecord(fingerprint(new_key)))
    return RekeyReport(len(deliveries), rows, people, tables)


def main_rekey(args) -> int:
    """`checkpoint-warehouse rekey`: a summary line on success; a refusal is one line (the CLI's)."""
    report = rekey(Home(Path(args.home).resolve()), Path(args.landing).resolve(), Path(args.new_key_file))
    print(f"rekeyed {report.rows} row(s) of {report.deliveries} delivery(ies), {report.people} person "
          f"pseudonym(s), in {', '.join(report.tables) or 'no table'}; runs now need the new key")
    return 0


def rows_under_key(landing: Path, source: str, month: str, file_name: str, sha256: str,
                   key: bytes) -> dict[str, pd.DataFrame]:
    """Each loadable row of one delivery as ingest would load it under ``key``: its row
    number, row digest and (for tables with a person) pseudonym, by raw table."""
    from pipelines.ingest.load import digest_key
    from pipelines.ingest.prepare import cyclic_gc_paused
    from pipelines.ingest.readers import DeliveryRejected, read_csv, read_xlsx
    from pipelines.ingest.validate import reference_connection, rows_for_warehouse, validate_sheet

    path = landing / file_name
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ConfigurationError(f"rekey needs every accepted delivery as it was loaded: {file_name} "
                                 f"cannot be read from {landing} ({error.strerror})") from None
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ConfigurationError(f"rekey needs every accepted delivery as it was loaded: {file_name} in "
                                 f"{landing} is not the file that was loaded (its sha256 differs)")
    # A delivery read again is as many live objects as when it was ingested.
    with cyclic_gc_paused():
        contract = load_contract(source)
        try:
            sheets = (read_xlsx if contract.format == "xlsx" else read_csv)(data, contract)
        except DeliveryRejected as error:
            raise ConfigurationError(f"rekey cannot read {file_name} again: {error}") from None
        reference = reference_connection()
        out = {}
        try:
            for sheet in sheets:
                table = contract.table(sheet.table)
                outcome = validate_sheet(sheet, table, month, digest_key(key), None, reference)
                if outcome.to_load.empty:
                    continue
                frame = rows_for_warehouse(outcome, key)
                keep = ["row_number", "row_digest"] + [c.warehouse_name for c in table.columns if c.pii == "pseudonymise"]
                frame = frame[keep].copy()
                frame.insert(0, "delivery_sha256", sha256)
                out[table.raw_table] = frame
        finally:
            reference.close()
        return out


def _pseudonym_columns() -> set[str]:
    return {c.warehouse_name for t in raw_tables().values() for c in t.columns if c.pii == "pseudonymise"}


def _rewrite(con: duckdb.DuckDBPyConnection, fresh: dict[str, pd.DataFrame]) -> tuple[int, int, list[str]]:
    """Inside the caller's transaction: new row digests and pseudonyms in the raw tables, then
    the old -> new pseudonym map applied to every other table holding a pseudonym column."""
    pseudonym_columns = _pseudonym_columns()
    maps, rows, tables = [], 0, []
    for raw_table in raw_tables():
        total = con.execute(f"SELECT count(*) FROM raw.{raw_table}").fetchall()[0][0]
        frame = fresh.get(raw_table)
        if frame is None:
            if total:
                raise ConfigurationError(f"raw.{raw_table} holds rows of no accepted delivery: rekey refused, "
                                         "nothing changed")
            continue
        con.register("fresh_rows", frame)
        try:
            matched = con.execute(f"""
                SELECT count(*) FROM raw.{raw_table} r JOIN fresh_rows f
                ON r.delivery_sha256 = f.delivery_sha256 AND r.row_number = f.row_number""").fetchall()[0][0]
            if matched != total:
                raise ConfigurationError(
                    f"rekey found {total - matched} row(s) of raw.{raw_table} that reading the deliveries again "
                    "does not give (were the contracts or reference data changed since?): nothing changed")
            mine = [c for c in frame.columns if c in pseudonym_columns]
            for column in mine:
                maps.append(con.execute(f"""
                    SELECT DISTINCT r.{column} AS old, f.{column} AS new FROM raw.{raw_table} r JOIN fresh_rows f
                    ON r.delivery_sha256 = f.delivery_sha256 AND r.row_number = f.row_number
                    WHERE r.{column} IS NOT NULL""").df())
            assignments = ", ".join(f"{c} = f.{c}" for c in ["row_digest", *mine])
            con.execute(f"""
                UPDATE raw.{raw_table} AS r SET {assignments} FROM fresh_rows f
                WHERE r.delivery_sha256 = f.delivery_sha256 AND r.row_number = f.row_number""")
        finally:
            con.unregister("fresh_rows")
        rows += total
        tables.append(f"raw.{raw_table}")
    mapping = pd.concat(maps).drop_duplicates() if maps else pd.DataFrame({"old": [], "new": []})
    if mapping["old"].duplicated().any() or mapping["new"].duplicated().any():
        raise ConfigurationError("rekey found a pseudonym that is not one person under both keys: nothing changed")
    con.register("pseudonym_map", mapping)
    try:
        for schema, table, column in con.execute("""
                SELECT c.table_schema, c.table_name, c.column_name FROM information_schema.columns c
                JOIN information_schema.tables t USING (table_catalog, table_schema, table_name)
                WHERE t.table_type = 'BASE TABLE' AND c.table_schema <> 'raw'
                  AND c.table_catalog = current_database() AND list_contains(?, c.column_name)
                ORDER BY ALL""", [sorted(pseudonym_columns)]).fetchall():
            unmapped = con.execute(f"""
                SELECT count(*) FROM "{schema}"."{table}" WHERE "{column}" IS NOT NULL
                AND "{column}" NOT IN (SELECT old FROM pseudonym_map)""").fetchall()[0][0]
            if unmapped:
                raise ConfigurationError(f"{schema}.{table} holds {unmapped} pseudonym(s) of no loaded row: "
                                         "rekey refused, nothing changed (a run rebuilds it)")
            con.execute(f"""UPDATE "{schema}"."{table}" AS t SET "{column}" = m.new FROM pseudonym_map m
                            WHERE t."{column}" = m.old""")
            tables.append(f"{schema}.{table}")
    finally:
        con.unregister("pseudonym_map")
    return rows, len(mapping), tables
