"""The outcomes file (outcomes.md section 6): which cells, rounding, disclosure control,
[p] and [r], and its place in the bundle and the manifest."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from pipelines.publication import write_bundle
from pipelines.publication.bundle import build_bundle
from pipelines.publication.outcomes import (
    OUTCOMES_HEADER,
    disclose_outcomes,
    apply_outcome_status,
    outcome_measures,
    outcomes_csv,
    read_published_outcomes,
)
from tests.publication_sample import sample_cells, sample_deliveries

P = "2026-10"
Z = 1.959964
ORDER = {m.name: m.order for m in outcome_measures()}
UNIT = {m.name: m.unit for m in outcome_measures()}
BREAKDOWN_ORDER = {"total": 1, "sex": 2, "age_band": 3, "ethnicity_group": 4, "drug_class": 5,
                   "contract_status": 7}
CATEGORY_ORDER = {"all": 1, "M": 1, "F": 2, "X": 3, "U": 4, "Asian": 1, "Black": 2, "Mixed": 3,
                  "Other": 5, "ACTIVE": 1, "COMPLETED": 2, "FAILED": 3, "WITHDRAWN": 4}


def wilson(x, n):
    centre = (x + Z * Z / 2) / (n + Z * Z)
    half = Z * math.sqrt(x * (n - x) / n + Z * Z / 4) / (n + Z * Z)
    return max(0.0, 100 * (centre - half)), min(100.0, 100 * (centre + half))


def cell(period, measure, breakdown="total", category="all", *, count=None, rate=None, rri=None,
         available=True):
    """One row of marts.outcome_measure_cells, its exact value worked out here."""
    unit = UNIT[measure]
    row = {"period": period, "measure": measure, "breakdown": breakdown, "category": category,
           "value": None, "lower_95": None, "upper_95": None, "numerator": None,
           "denominator": None, "reference_numerator": None, "reference_denominator": None,
           "source_available": available, "unit": unit, "measure_order": ORDER[measure],
           "breakdown_order": BREAKDOWN_ORDER[breakdown], "category_order": CATEGORY_ORDER[category]}
    if not available:
        return row
    if unit == "count":
        row["value"] = float(count)
    elif unit == "rate":
        x, n = rate
        row.update(numerator=x, denominator=n)
        if n:
            row["value"] = 100 * x / n
            row["lower_95"], row["upper_95"] = wilson(x, n)
    else:
        a, n, c, m = rri
        row.update(numerator=a, denominator=n, reference_numerator=c, reference_denominator=m)
        if 0 not in (a, n, c, m):
            value = (a / n) / (c / m)
            se = math.sqrt(1 / a - 1 / n + 1 / c - 1 / m)
            row.update(value=value, lower_95=math.exp(math.log(value) - Z * se),
                       upper_95=math.exp(math.log(value) + Z * se))
    return row


def frame(*rows):
    return pd.DataFrame(list(rows))


def published(rows, period=P, previous=None):
    return {c.key: c for c in apply_outcome_status(disclose_outcomes(frame(*rows), period), period, previous)}


def test_rates_rounded_with_their_bounds_and_suppressed_on_exact_counts():
    cells = published([
        cell(P, "acceptance_rate_12m", rate=(45, 80)),             # 56.25 -> 56.3
        cell(P, "acceptance_rate_12m", "sex", "M", rate=(5, 9)),   # denominator 1-9
        cell(P, "acceptance_rate_12m", "sex", "F", rate=(3, 40)),  # numerator 1-4
        cell(P, "acceptance_rate_12m", "sex", "X", rate=(0, 0)),   # [z]
        cell(P, "acceptance_rate_12m", "sex", "U", rate=(0, 10)),  # 0 of 10 is published
    ])
    total = cells[(P, "acceptance_rate_12m", "total", "all")]
    lo, hi = wilson(45, 80)
    assert (total.value, total.marker, total.status) == ("56.3", "", "[p]")
    assert (total.lower_95, total.upper_95) == (f"{lo:.1f}", f"{hi:.1f}")
    for category, marker in (("M", "[c]"), ("F", "[c]"), ("X", "[z]")):
        c = cells[(P, "acceptance_rate_12m", "sex", category)]
        assert (c.value, c.lower_95, c.upper_95, c.marker) == ("", "", "", marker)
    zero = cells[(P, "acceptance_rate_12m", "sex", "U")]
    assert (zero.value, zero.lower_95, zero.upper_95) == ("0.0", "0.0", "27.8")


def test_rri_markers_and_two_decimals():
    cells = published([
        cell(P, "offer_rri_12m", "ethnicity_group", "Asian", rri=(10, 10, 5, 10)),  # 2.00
        cell(P, "offer_rri_12m", "ethnicity_group", "Black", rri=(0, 10, 5, 10)),   # a = 0
        cell(P, "offer_rri_12m", "ethnicity_group", "Mixed", rri=(3, 30, 10, 20)),  # a 1-4
        cell(P, "offer_rri_12m", "ethnicity_group", "Other", rri=(12, 30, 18, 20)), # m - c = 2
    ])
    asian = cells[(P, "offer_rri_12m", "ethnicity_group", "Asian")]
    assert (asian.value, asian.lower_95, asian.upper_95, asian.marker) == ("2.00", "1.08", "3.72", "")
    assert cells[(P, "offer_rri_12m", "ethnicity_group", "Black")].marker == "[z]"
    assert cells[(P, "offer_rri_12m", "ethnicity_group", "Mixed")].marker == "[c]"
    assert cells[(P, "offer_rri_12m", "ethnicity_group", "Other")].marker == "[c]"


def test_counts_primary_and_secondary_suppression_and_x_first():
    c = "2025-06"  # a cohort month published for P = 2026-10 (up to P - 12)
    cells = published([
        cell(c, "diverted_cohort", count=20),
        cell(c, "diverted_cohort", "contract_status", "ACTIVE", count=3),      # primary
        cell(c, "diverted_cohort", "contract_status", "COMPLETED", count=9),
        cell(c, "diverted_cohort", "contract_status", "FAILED", count=8),      # secondary
        cell(c, "diverted_cohort", "contract_status", "WITHDRAWN", count=0),
        cell(c, "rearrest_rate_12m", available=False),
    ])
    shown = {k[2:]: (v.value, v.marker, v.status) for k, v in cells.items() if k[1] == "diverted_cohort"}
    assert shown[("total", "all")] == ("20", "", "")          # cohorts are not provisional
    assert shown[("contract_status", "ACTIVE")] == ("", "[c]", "")
    assert shown[("contract_status", "FAILED")] == ("", "[c]", "")
    assert shown[("contract_status", "COMPLETED")] == ("9", "", "")
    assert shown[("contract_status", "WITHDRAWN")] == ("0", "", "")
    assert cells[(c, "rearrest_rate_12m", "total", "all")].marker == "[x]"


def test_only_the_cohorts_outcomes_md_defines_for_p_are_published():
    # the warehouse's last month may be later than P (publishing an earlier month)
    rows = [cell("2025-10", "rearrest_rate_12m", rate=(10, 20)),   # P - 12: in
            cell("2025-11", "rearrest_rate_12m", rate=(10, 20)),   # too recent for P
            cell("2025-04", "reoffending_rate_12m", rate=(10, 20)),  # P - 18: in
            cell("2025-05", "reoffending_rate_12m", rate=(10, 20)),
            cell("2026-11", "completion_rate_12m", rate=(10, 20))]  # after P
    assert {k[:2] for k in published(rows)} == {("2025-10", "rearrest_rate_12m"),
                                                ("2025-04", "reoffending_rate_12m")}


def test_revised_when_value_or_marker_differs_from_the_previous_outcomes_file():
    rows = [cell("2025-09", "rearrest_rate_12m", rate=(10, 20)),
            cell("2025-08", "rearrest_rate_12m", rate=(11, 20))]
    previous = {("2025-09", "rearrest_rate_12m", "total", "all"): "50.0",
                ("2025-08", "rearrest_rate_12m", "total", "all"): "[c]"}
    cells = published(rows, previous=previous)
    assert cells[("2025-09", "rearrest_rate_12m", "total", "all")].status == ""
    assert cells[("2025-08", "rearrest_rate_12m", "total", "all")].status == "[r]"


def test_a_value_that_disagrees_with_its_counts_is_refused():
    bad = cell(P, "acceptance_rate_12m", rate=(45, 80))
    bad["value"] = 55.0  # planted: not 100 x 45 / 80
    with pytest.raises(ValueError, match="not"):
        disclose_outcomes(frame(bad), P)
    bad_rri = cell(P, "offer_rri_12m", "ethnicity_group", "Asian", rri=(10, 10, 5, 10))
    bad_rri["value"] = 1.5
    with pytest.raises(ValueError):
        disclose_outcomes(frame(bad_rri), P)


def test_csv_order_encoding_and_reading_back():
    rows = [cell("2025-09", "diverted_cohort", count=12),
            cell(P, "completion_rate_12m", rate=(30, 40)),
            cell(P, "acceptance_rate_12m", "sex", "F", rate=(20, 40)),
            cell(P, "acceptance_rate_12m", rate=(40, 80))]
    cells = apply_outcome_status(disclose_outcomes(frame(*rows), P), P, None)
    data = outcomes_csv(cells)
    lines = data.decode("utf-8").split("\n")
    assert lines[0] == ",".join(OUTCOMES_HEADER) and lines[-1] == "" and b"\r" not in data
    assert [tuple(line.split(",")[:4]) for line in lines[1:-1]] == [
        (P, "acceptance_rate_12m", "total", "all"), (P, "acceptance_rate_12m", "sex", "F"),
        (P, "completion_rate_12m", "total", "all"), ("2025-09", "diverted_cohort", "total", "all")]
    assert lines[1] == f"{P},acceptance_rate_12m,total,all,50.0,39.3,60.7,,[p]"
    assert read_published_outcomes(data)[("2025-09", "diverted_cohort", "total", "all")] == "12"


def test_bundle_lists_the_outcomes_file_and_stays_byte_identical(tmp_path):
    cells = sample_cells("2025-10", P, seed=3)
    deliveries = sample_deliveries("2025-10", P)
    outcome_cells = frame(cell("2025-09", "rearrest_rate_12m", rate=(10, 20)),
                          cell(P, "completion_rate_12m", rate=(30, 40)))
    one = build_bundle(P, cells, deliveries, {}, "v1", outcome_cells=outcome_cells)
    two = build_bundle(P, cells, deliveries, {}, "v1", outcome_cells=outcome_cells)
    assert one == two
    manifest = json.loads(one["manifest.json"])
    assert f"checkpoint_outcomes_{P}.csv" in manifest["files"]
    # a second publication: the changed cohort is revised, the measures' revisions untouched
    pubs = tmp_path / "publications"
    write_bundle(pubs, P, cells, deliveries, {}, "v1", outcome_cells)
    changed = frame(cell("2025-09", "rearrest_rate_12m", rate=(11, 20)),
                    cell(P, "completion_rate_12m", rate=(30, 40)))
    second = write_bundle(pubs, P, cells, deliveries, {}, "v1", changed)
    assert second.version == 2
    text = (second.path / f"checkpoint_outcomes_{P}.csv").read_text(encoding="utf-8")
    assert "2025-09,rearrest_rate_12m,total,all,55.0,34.2,74.2,,[r]" in text
    assert (second.path / f"revisions_{P}.csv").read_text(encoding="utf-8").count("\n") == 1


# --------------------------------------------------------------------------- spreadsheet, bulletin


def outcome_sample():
    rows = [cell("2026-09", "acceptance_rate_12m", rate=(150, 200)),
            cell(P, "acceptance_rate_12m", rate=(160, 200)),
            cell(P, "acceptance_rate_12m", "sex", "F", rate=(3, 20)),       # [c]
            cell(P, "completion_rate_12m", available=True, rate=(90, 120)),
            cell(P, "offer_rri_12m", "ethnicity_group", "Asian", rri=(40, 50, 150, 200)),
            cell(P, "offer_rri_12m", "ethnicity_group", "Black", rri=(0, 10, 150, 200)),  # [z]
            cell(P, "acceptance_rri_12m", "ethnicity_group", "Other", available=False),  # [x]
            cell("2025-10", "diverted_cohort", count=20),
            cell("2025-10", "declined_rearrest_rate_12m", rate=(6, 12))]
    for i, month in enumerate(["2025-05", "2025-06", "2025-07", "2025-08", "2025-09", "2025-10"]):
        rows.append(cell(month, "rearrest_rate_12m", rate=(3, 20) if i == 2 else (8 + i, 20 + i)))
    return frame(*rows)


@pytest.fixture(scope="module")
def outcome_bundle():
    return build_bundle(P, sample_cells("2025-10", P, seed=5), sample_deliveries("2025-10", P), {},
                        "abc123", outcome_cells=outcome_sample())


def test_spreadsheet_gains_three_outcome_tables_numbers_as_numbers(outcome_bundle, tmp_path):
    import openpyxl
    path = tmp_path / "w.xlsx"
    path.write_bytes(outcome_bundle[f"checkpoint_measures_{P}.xlsx"])
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[-3:] == ["Rolling rates", "Relative rate index", "Reoffending"]
    contents = [r[0] for r in wb["Contents"].iter_rows(min_row=4, values_only=True)]
    assert contents[-3:] == ["Rolling rates", "Relative rate index", "Reoffending"]
    notes = {r[1]: r[2] for r in wb["Notes"].iter_rows(min_row=4, values_only=True)}
    assert "not a conviction" in notes["Police data"]
    assert "not a controlled comparison group" in notes["No control group"]
    for m in outcome_measures():
        assert m.definition in notes[m.name]
    csv_rows = {tuple(r[:4]): r for r in
                (line.split(",") for line in outcome_bundle[f"checkpoint_outcomes_{P}.csv"].decode().splitlines()[1:])}
    seen = 0
    for sheet in ("Rolling rates", "Relative rate index", "Reoffending"):
        ws = wb[sheet]
        (table,) = ws.tables.values()
        assert [c.value for c in ws[3]] == ["Period", "Measure", "Unit", "Breakdown", "Category",
                                            "Value", "Lower 95% limit", "Upper 95% limit", "Status"]
        for row in ws.iter_rows(min_row=4, max_row=ws.max_row):
            values = [c.value for c in row]
            assert all(v not in (None, "") for v in values), (sheet, values)
            want = csv_rows[tuple(values[:2] + values[3:5])]
            for got, text in zip(row[5:8], want[4:7]):
                if text:
                    assert got.data_type == "n" and got.value == float(text)
                else:
                    assert got.value in ("[c]", "[z]", "[x]")
            seen += 1
    assert seen == len(csv_rows)


def test_bulletin_outcomes_section_words_chart_band_and_text_alternative(outcome_bundle):
    html = outcome_bundle[f"bulletin_{P}.html"].decode()
    section = html[html.index('<section aria-labelledby="outcomes">'):]
    section = section[:section.index("</section>")]
    assert "a later arrest is not a conviction" in section
    assert "not a controlled comparison group" in section
    lo, hi = wilson(160, 200)
    assert f"80.0% (95% confidence interval {lo:.1f}% to {hi:.1f}%)" in section
    assert "[z] (not applicable)" in section and "[x] (not available)" in section
    assert "October 2025" in section  # the latest cohort followed for 12 months
    assert section.count("<polygon") == 2   # two runs of months around the [c] July gap
    assert 'role="img"' in section and "<figcaption>" in section
    assert "1 cohort month is not plotted" in section
    assert "<th scope=\"row\">July 2025</th><td class=\"n\">[c]</td>" in section
    # nothing external
    assert "http" not in section and "<script" not in html


def test_bulletin_and_workbook_without_outcome_cells_have_no_outcome_parts():
    files = build_bundle(P, sample_cells("2025-10", P, seed=5), sample_deliveries("2025-10", P), {}, "abc")
    assert 'aria-labelledby="outcomes"' not in files[f"bulletin_{P}.html"].decode()
    assert files[f"checkpoint_outcomes_{P}.csv"] == (",".join(OUTCOMES_HEADER) + "\n").encode()
