"""Month arithmetic, in its one home."""

from datetime import date

import pytest

from pipelines.months import add_months, month_of, month_range, parse_period, period_of, previous_month


def test_stepping_across_years():
    assert add_months("2026-11", 2) == "2027-01"
    assert add_months("2026-01", -1) == "2025-12"
    assert add_months("2026-10", -12) == "2025-10"
    assert period_of(2026, 13) == "2027-01" and period_of(2026, 0) == "2025-12"
    assert month_of(date(2026, 2, 28)) == "2026-02"
    assert previous_month(date(2026, 1, 3)) == "2025-12"


def test_ranges_and_refusals():
    assert month_range("2025-11", "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert month_range("2026-03", "2026-02") == []
    assert parse_period("2026-10") == (2026, 10)
    for bad in ("2026-13", "202610", "2026-1", None):
        with pytest.raises(ValueError):
            parse_period(bad)
