"""Deliveries prepared ahead, in worker processes or in groups in one process: handed on in
order, each with its own preparation, errors raised where the delivery is loaded."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pipelines.ingest import prepare
from pipelines.ingest.discovery import LandedFile
from pipelines.ingest.prepare import (
    WORKBOOK_PREPARED_ALONE_FROM_BYTES,
    Delivery,
    in_order,
    may_prepare_beside,
    prepare_delivery,
)
from tests.ingest_files import rms_row, write_rms

SECRET, ROW_KEY = b"prepare-secret", b"row-digest-key"


def landed_rms(tmp_path: Path, month: str, arrest_id: str) -> tuple[LandedFile, bytes]:
    path = write_rms(tmp_path / f"arrests_{month.replace('-', '')}.csv", [rms_row(arrest_id=arrest_id)])
    data = path.read_bytes()
    return LandedFile(f"rms/{path.name}", path, hashlib.sha256(data).hexdigest(), "rms", month, 1), data


def test_the_worker_hands_each_delivery_on_in_order_with_its_own_preparation(tmp_path):
    files = [landed_rms(tmp_path, f"2026-{m:02d}", f"DUR-A-00000{m:02d}") for m in (1, 2, 3, 4)]
    stray = LandedFile("notes.txt", tmp_path / "notes.txt", None)
    taken = [files[0], (stray, None), files[1], files[2], files[3]]
    skipped = files[2][0].file_name  # not worth preparing: prepared in this process if asked for

    handed = list(in_order(taken, SECRET, ROW_KEY, workers=2,
                           worth_preparing=lambda f: f.is_delivery and f.file_name != skipped))

    assert [d.landed.file_name for d in handed] == [landed.file_name for landed, _ in taken]
    for delivery in handed:
        if delivery.landed.is_delivery:
            alone = prepare_delivery(delivery.landed, delivery.data, SECRET, ROW_KEY)
            (sheet,), (expected,) = delivery.prepared().sheets, alone.sheets
            assert sheet.checked.checked.equals(expected.checked.checked), delivery.landed.file_name
            assert sheet.gate == expected.gate
            assert delivery.prepared().personal_digests == alone.personal_digests
    assert handed[3].made is not None  # asked for above, made here


def test_an_error_in_the_worker_is_raised_where_its_delivery_is_handed_on(tmp_path):
    good, data = landed_rms(tmp_path, "2026-01", "DUR-A-0000001")
    unknown = LandedFile("nowhere/x.csv", good.path, good.sha256, "no_such_source", "2026-01", 1)
    deliveries = in_order([(good, data), (unknown, data)], SECRET, ROW_KEY, workers=2,
                          worth_preparing=lambda f: True)
    assert next(deliveries).prepared().sheets
    with pytest.raises(FileNotFoundError, match="no_such_source"):
        next(deliveries)


def test_a_refused_delivery_is_prepared_as_its_reason(tmp_path):
    landed, _ = landed_rms(tmp_path, "2026-01", "DUR-A-0000001")
    empty = prepare_delivery(landed, b"", SECRET, ROW_KEY)
    assert empty.rejection == "zero bytes: the file is empty" and not empty.sheets


def test_a_large_workbook_is_prepared_while_no_other_delivery_is(tmp_path):
    def delivery(landed: LandedFile, size: int) -> Delivery:
        return Delivery(landed, b"x" * size, SECRET, ROW_KEY)

    rms = delivery(landed_rms(tmp_path, "2026-01", "DUR-A-0000001")[0], 1000)
    custody = delivery(LandedFile("custody/custody_202601.csv", tmp_path / "c.csv", "c", "custody", "2026-01", 1),
                       WORKBOOK_PREPARED_ALONE_FROM_BYTES * 2)
    workbook = LandedFile("programme/checkpoint_programme_202601.xlsx", tmp_path / "p.xlsx", "p", "programme",
                          "2026-01", 1)
    large, small = (delivery(workbook, WORKBOOK_PREPARED_ALONE_FROM_BYTES + n) for n in (0, -1))
    assert may_prepare_beside([], large) and may_prepare_beside([rms], custody)
    assert not may_prepare_beside([rms], large) and not may_prepare_beside([large], custody)
    assert may_prepare_beside([rms], small) and may_prepare_beside([small], custody)


def test_deliveries_in_one_process_are_prepared_together_each_as_if_alone(tmp_path):
    files = [landed_rms(tmp_path, f"2026-{m:02d}", f"DUR-A-00000{m:02d}") for m in (1, 2, 3, 4)]
    stray = LandedFile("notes.txt", tmp_path / "notes.txt", None)
    taken = [files[0], (stray, None), files[1], files[2], files[3]]
    skipped = files[2][0].file_name  # not worth preparing: prepared alone, if asked for

    handed = list(in_order(taken, SECRET, ROW_KEY, workers=0,
                           worth_preparing=lambda f: f.is_delivery and f.file_name != skipped))

    assert [d.landed.file_name for d in handed] == [landed.file_name for landed, _ in taken]
    handed[0].prepared()  # the group's first asked for: the group is prepared and gated
    assert [d.made is not None for d in handed] == [True, False, True, False, True]
    for delivery in (d for d in handed if d.landed.is_delivery):
        alone = prepare_delivery(delivery.landed, delivery.data, SECRET, ROW_KEY)
        (sheet,), (expected,) = delivery.prepared().sheets, alone.sheets
        assert sheet.checked.checked.equals(expected.checked.checked), delivery.landed.file_name
        assert sheet.gate == expected.gate and sheet.gate, delivery.landed.file_name
        assert delivery.prepared().personal_digests == alone.personal_digests


def test_an_error_preparing_one_of_a_group_is_raised_when_it_is_asked_for(tmp_path):
    (good, data), (later, later_data) = landed_rms(tmp_path, "2026-01", "DUR-A-0000001"), \
        landed_rms(tmp_path, "2026-02", "DUR-A-0000002")
    unknown = LandedFile("nowhere/x.csv", good.path, good.sha256, "no_such_source", "2026-01", 1)
    first, failing, last = in_order([(good, data), (unknown, data), (later, later_data)], SECRET, ROW_KEY,
                                    workers=0, worth_preparing=lambda f: True)
    assert first.prepared().sheets[0].gate
    with pytest.raises(FileNotFoundError, match="no_such_source"):
        failing.prepared()
    assert last.prepared().sheets[0].gate


def test_deliveries_are_prepared_together_up_to_a_size_and_a_large_workbook_alone(tmp_path, monkeypatch):
    def landed(name: str, source: str) -> LandedFile:
        return LandedFile(name, tmp_path / name, name, source, "2026-01", 1)

    monkeypatch.setattr(prepare, "PREPARED_TOGETHER_BYTES", 250)
    files = [(landed("rms/a.csv", "rms"), b"x" * 100), (landed("custody/b.csv", "custody"), b"x" * 100),
             (landed("rms/c.csv", "rms"), b"x" * 100),  # beyond 250 bytes with the two before
             (landed("programme/d.xlsx", "programme"), b"x" * WORKBOOK_PREPARED_ALONE_FROM_BYTES),
             (landed("rms/e.csv", "rms"), b"x" * 10)]
    handed = list(in_order(files, SECRET, ROW_KEY, workers=0, worth_preparing=lambda f: True))
    assert [[d.landed.file_name for d in delivery.group] for delivery in handed] == [
        ["rms/a.csv", "custody/b.csv"], ["rms/a.csv", "custody/b.csv"], ["rms/c.csv"], ["programme/d.xlsx"],
        ["rms/e.csv"]]
