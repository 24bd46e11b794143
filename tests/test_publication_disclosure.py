"""Rounding, disclosure control and status flags (methodology: "Rounding and disclosure
control", "Provisional and revised")."""

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from pipelines.publication.disclosure import disclose, round_half_away
from pipelines.publication.reference import reference
from tests.publication_sample import sample_cells, with_cell
from pipelines.publication.status import apply_status, revisions

P = "2026-10"
PREV = "2026-09"


@pytest.fixture(scope="module")
def base():
    return sample_cells(PREV, P, seed=7)


def published(cells, period=P):
    return {c.key: c for c in disclose(cells, period, reference())}


def shown(cells, *key, period=P):
    return published(cells, period)[key].shown


# --------------------------------------------------------------------------- rounding


@pytest.mark.parametrize(
    "x, expected",
    [(0.05, "0.1"), (2.25, "2.3"), (56.25, "56.3"), (-2.25, "-2.3"), (0.04, "0.0"),
     (1, "1.0"), (99.95, "100.0"), (2.675, "2.7"), (Decimal("0.15"), "0.2"), ("12.45", "12.5"),
     (np.float64(56.25), "56.3"), (np.int64(3), "3.0")],
)
def test_round_half_away_from_zero(x, expected):
    assert str(round_half_away(x, 1)) == expected


def test_round_other_places_and_bad_input():
    assert str(round_half_away(2.675, 2)) == "2.68"  # float's round() gives 2.67
    assert str(round_half_away(2.5, 0)) == "3"  # float's round() gives 2
    for bad in (float("nan"), float("inf"), None, True):
        with pytest.raises((TypeError, ValueError)):
            round_half_away(bad)


def test_rates_are_rounded_from_their_exact_fraction(base):
    cells = with_cell(base, P, "completion_rate", rate=(9, 16))  # 56.25
    cells = with_cell(cells, P, "acceptance_rate", rate=(75, 80))  # 93.75
    cells = with_cell(cells, P, "cohort_completion_rate", rate=(10, 20))  # 50
    assert shown(cells, P, "completion_rate", "total", "all") == "56.3"
    assert shown(cells, P, "acceptance_rate", "total", "all") == "93.8"
    assert shown(cells, P, "cohort_completion_rate", "total", "all") == "50.0"


# --------------------------------------------------------------------------- counts


@pytest.mark.parametrize("n, expected", [(0, "0"), (1, "[c]"), (4, "[c]"), (5, "5"),
                                         (1234, "1234")])
def test_primary_suppression_of_counts(base, n, expected):
    cells = with_cell(base, P, "arrests_in_scope", count=n)
    cell = published(cells)[(P, "arrests_in_scope", "total", "all")]
    assert cell.shown == expected
    assert (cell.value, cell.marker) == ((expected, "") if expected != "[c]" else ("", "[c]"))


# --------------------------------------------------------------------------- rates


@pytest.mark.parametrize(
    "num, den, expected",
    [
        (0, 0, "[z]"),  # denominator 0
        (5, 9, "[c]"),  # denominator 1 to 9
        (1, 1, "[c]"),
        (4, 100, "[c]"),  # numerator 1 to 4
        (1, 50, "[c]"),
        (96, 100, "[c]"),  # denominator − numerator 1 to 4
        (9, 10, "[c]"),
        (0, 10, "0.0"),  # zero is published
        (10, 10, "100.0"),
        (5, 10, "50.0"),
        (5, 15, "33.3"),
        (95, 100, "95.0"),
    ],
)
def test_rate_suppression(base, num, den, expected):
    cells = with_cell(base, P, "completion_rate", "sex", "F", rate=(num, den))
    assert shown(cells, P, "completion_rate", "sex", "F") == expected


def test_rate_value_must_agree_with_its_fraction(base):
    cells = with_cell(base, P, "completion_rate", rate=(9, 16))
    cells = with_cell(cells, P, "completion_rate", value=60.0)
    with pytest.raises(ValueError, match="100 × 9 ÷ 16"):
        published(cells)


# --------------------------------------------------------------------------- medians


@pytest.mark.parametrize(
    "value, n, expected",
    [(None, 0, "[z]"), (10.0, 1, "[c]"), (12.5, 4, "[c]"), (12.5, 5, "12.5"), (7, 9, "7.0"),
     (40.25, 6, "40.3")],
)
def test_median(base, value, n, expected):
    cells = with_cell(base, P, "median_days_to_expungement", median=(value, n))
    assert shown(cells, P, "median_days_to_expungement", "total", "all") == expected


# --------------------------------------------------------------------------- secondary


def sexes(base, total, m, f, x, u, measure="diversions_started", period=P):
    cells = with_cell(base, period, measure, count=total)
    for cat, n in zip("MFXU", (m, f, x, u)):
        cells = with_cell(cells, period, measure, "sex", cat, count=n)
    cells_out = published(cells, period)
    return [cells_out[(period, measure, "sex", cat)].shown for cat in "MFXU"]


def test_secondary_suppresses_the_smallest_other_non_zero_category(base):
    assert sexes(base, 20, 12, 5, 0, 3) == ["12", "[c]", "0", "[c]"]


def test_secondary_ties_go_to_the_first_in_listed_order(base):
    assert sexes(base, 22, 8, 6, 6, 2) == ["8", "[c]", "6", "[c]"]
    assert sexes(base, 22, 6, 8, 6, 2) == ["[c]", "8", "6", "[c]"]


def test_secondary_is_one_pass(base):
    # After F is suppressed, X is the only other [c]-adjacent figure: nothing more happens.
    assert sexes(base, 14, 0, 5, 6, 3) == ["0", "[c]", "6", "[c]"]


def test_no_secondary_when_two_categories_are_already_suppressed(base):
    assert sexes(base, 20, 13, 3, 0, 4) == ["13", "[c]", "0", "[c]"]


def test_no_secondary_when_no_other_category_is_non_zero(base):
    # Not additive on purpose: the rule looks at the categories only.
    assert sexes(base, 20, 0, 0, 3, 0) == ["0", "0", "[c]", "0"]


def test_no_secondary_when_the_total_holds_no_value(base):
    assert sexes(base, 3, 2, 7, 0, 0) == ["[c]", "7", "0", "0"]


def test_no_secondary_for_rates(base):
    cells = with_cell(base, P, "completion_rate", rate=(40, 60))
    cells = with_cell(cells, P, "completion_rate", "sex", "M", rate=(20, 30))
    cells = with_cell(cells, P, "completion_rate", "sex", "F", rate=(3, 12))  # [c]
    cells = with_cell(cells, P, "completion_rate", "sex", "X", rate=(14, 20))
    cells = with_cell(cells, P, "completion_rate", "sex", "U", rate=(10, 18))
    out = published(cells)
    assert [out[(P, "completion_rate", "sex", c)].shown for c in "MFXU"] == [
        "66.7", "[c]", "70.0", "55.6"]


# --------------------------------------------------------------------------- [x]


def test_missing_source_is_x_and_takes_precedence(base):
    cells = base.copy()
    off = (cells["period"] == P) & (cells["measure"].isin(["arrests_in_scope",
                                                           "completion_rate"]))
    cells.loc[off, "source_available"] = False
    cells = with_cell(cells, P, "arrests_in_scope", "sex", "M", count=3)
    cells = with_cell(cells, P, "completion_rate", "sex", "F", rate=(0, 0))
    out = published(cells)
    assert {c.shown for k, c in out.items()
            if k[0] == P and k[1] in ("arrests_in_scope", "completion_rate")} == {"[x]"}
    assert out[(P, "arrests_in_scope", "total", "all")].value == ""
    assert out[(PREV, "arrests_in_scope", "total", "all")].marker == ""


# --------------------------------------------------------------------------- inputs


def test_cells_after_the_period_are_left_out(base):
    out = disclose(base, PREV, reference())
    assert {c.period for c in out} == {PREV}
    assert len(out) == len(reference().grid)


def test_publication_order(base):
    ref = reference()
    out = disclose(base.sample(frac=1, random_state=1), P, ref)
    assert [c.key[1:] for c in out[: len(ref.grid)]] == list(ref.grid)
    assert out[0].key == (PREV, "arrests_in_scope", "total", "all")
    measures = [c.measure for c in out if c.period == P and c.breakdown == "total"]
    assert measures == [m.name for m in ref.measures]


def test_an_incomplete_grid_is_refused(base):
    with pytest.raises(ValueError, match="incomplete"):
        disclose(base.iloc[1:], P, reference())


def test_a_duplicate_or_unknown_cell_is_refused(base):
    with pytest.raises(ValueError, match="more than once"):
        disclose(pd.concat([base, base.iloc[:1]]), P, reference())
    odd = base.copy()
    odd.loc[odd.index[0], "category"] = "nonsense"
    with pytest.raises(ValueError, match="not in the methodology's grid"):
        disclose(odd, P, reference())


def test_nullable_dtypes_are_accepted(base):
    cells = base.copy()
    for col in ("numerator", "denominator", "n_values"):
        cells[col] = cells[col].astype("Int64")
    cells["source_available"] = cells["source_available"].astype("boolean")
    assert [c.shown for c in disclose(cells, P, reference())] == [
        c.shown for c in disclose(base, P, reference())]


# --------------------------------------------------------------------------- status


def test_provisional_flags(base):
    cells = base.copy()
    cohort = cells["measure"] == "cohort_completion_rate"
    cells.loc[cohort, "cohort_has_active"] = cells.loc[cohort, "period"] == PREV
    out = {c.key: c for c in apply_status(disclose(cells, P, reference()), P, None)}
    assert {c.status for k, c in out.items() if k[0] == P} == {"[p]"}
    assert {c.status for k, c in out.items() if k[0] == PREV and k[1] == "cohort_completion_rate"
            } == {"[p]"}
    assert {c.status for k, c in out.items() if k[0] == PREV and k[1] != "cohort_completion_rate"
            } == {""}


def test_revised_flags_and_revisions(base):
    cells = with_cell(base, PREV, "arrests_in_scope", count=50)
    cells = with_cell(cells, P, "arrests_in_scope", count=60)
    cur = disclose(cells, P, reference())
    previous = {c.key: c.shown for c in cur}
    previous[(PREV, "arrests_in_scope", "total", "all")] = "49"  # now 50: revised
    previous[(P, "arrests_in_scope", "total", "all")] = "[c]"  # now 60: revised, provisional
    del previous[(PREV, "offers_made", "total", "all")]  # not in both: not revised
    flagged = {c.key: c.status for c in apply_status(cur, P, previous)}
    assert flagged[(PREV, "arrests_in_scope", "total", "all")] == "[r]"
    assert flagged[(P, "arrests_in_scope", "total", "all")] == "[p][r]"
    assert flagged[(PREV, "offers_made", "total", "all")] == ""
    assert flagged[(P, "offers_made", "total", "all")] == "[p]"
    revised = revisions(apply_status(cur, P, previous), previous)
    assert [(c.key, old, c.shown) for c, old in revised] == [
        ((PREV, "arrests_in_scope", "total", "all"), "49", "50"),
        ((P, "arrests_in_scope", "total", "all"), "[c]", "60"),
    ]
    assert revisions(cur, None) == []
