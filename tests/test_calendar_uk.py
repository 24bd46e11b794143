"""England and Wales bank holidays, working days and release dates."""

from datetime import date

import pytest

from pipelines.calendar_uk import (
    bank_holidays,
    easter_sunday,
    is_working_day,
    nth_working_day,
    release_date,
)

# gov.uk/bank-holidays, England and Wales.
KNOWN = {
    2011: ["01-03", "04-22", "04-25", "04-29", "05-02", "05-30", "08-29", "12-26", "12-27"],
    2012: ["01-02", "04-06", "04-09", "05-07", "06-04", "06-05", "08-27", "12-25", "12-26"],
    2019: ["01-01", "04-19", "04-22", "05-06", "05-27", "08-26", "12-25", "12-26"],
    2020: ["01-01", "04-10", "04-13", "05-08", "05-25", "08-31", "12-25", "12-28"],
    2021: ["01-01", "04-02", "04-05", "05-03", "05-31", "08-30", "12-27", "12-28"],
    2022: ["01-03", "04-15", "04-18", "05-02", "06-02", "06-03", "08-29", "09-19", "12-26",
           "12-27"],
    2023: ["01-02", "04-07", "04-10", "05-01", "05-08", "05-29", "08-28", "12-25", "12-26"],
    2024: ["01-01", "03-29", "04-01", "05-06", "05-27", "08-26", "12-25", "12-26"],
    2025: ["01-01", "04-18", "04-21", "05-05", "05-26", "08-25", "12-25", "12-26"],
    2026: ["01-01", "04-03", "04-06", "05-04", "05-25", "08-31", "12-25", "12-28"],
    2027: ["01-01", "03-26", "03-29", "05-03", "05-31", "08-30", "12-27", "12-28"],
}


@pytest.mark.parametrize("year", sorted(KNOWN))
def test_bank_holidays_match_gov_uk(year):
    assert [d.strftime("%m-%d") for d in bank_holidays(year)] == KNOWN[year]


def test_easter():
    assert easter_sunday(2026) == date(2026, 4, 5)
    assert easter_sunday(2038) == date(2038, 4, 25)  # the latest possible
    assert easter_sunday(2285) == date(2285, 3, 22)  # the earliest possible


def test_substitute_days_for_christmas_and_new_year():
    # Christmas on a Sunday: Boxing Day keeps Monday 26th, Christmas moves to Tuesday 27th.
    assert date(2033, 12, 26) in bank_holidays(2033) and date(2033, 12, 27) in bank_holidays(2033)
    # New Year's Day on a Saturday moves to Monday 3 January.
    assert date(2028, 1, 3) in bank_holidays(2028) and date(2028, 1, 1) not in bank_holidays(2028)


def test_every_year_has_eight_rule_holidays_on_weekdays():
    for year in range(1978, 2101):
        days = bank_holidays(year)
        assert all(d.weekday() < 5 for d in days), year
        assert len(days) >= 8, year


def test_years_before_the_rules_are_refused():
    with pytest.raises(ValueError):
        bank_holidays(1977)


def test_working_days():
    assert is_working_day(date(2026, 11, 6))  # Friday
    assert not is_working_day(date(2026, 11, 7))  # Saturday
    assert not is_working_day(date(2026, 12, 28))  # Boxing Day substitute
    assert nth_working_day(2026, 11, 1) == date(2026, 11, 2)
    assert nth_working_day(2026, 4, 1) == date(2026, 4, 1)
    assert nth_working_day(2026, 4, 3) == date(2026, 4, 7)  # past Good Friday, Easter Monday
    with pytest.raises(ValueError):
        nth_working_day(2026, 2, 21)  # February 2026 has 20 working days
    with pytest.raises(ValueError):
        nth_working_day(2026, 2, 0)


@pytest.mark.parametrize(
    "period, expected",
    [
        ("2026-10", date(2026, 11, 6)),
        ("2026-12", date(2027, 1, 8)),  # 1 January is a holiday: 4, 5, 6, 7, 8 January
        ("2026-04", date(2026, 5, 8)),  # the early May bank holiday on the 4th
        ("2020-04", date(2020, 5, 7)),  # 1, 4, 5, 6, 7 May: 8 May 2020 was the holiday
        ("2022-05", date(2022, 6, 9)),  # jubilee: 2 and 3 June were holidays
        ("2026-02", date(2026, 3, 6)),
    ],
)
def test_release_date(period, expected):
    assert release_date(period) == expected


@pytest.mark.parametrize("bad", ["2026-13", "2026-1", "202610", "2026-10-01", None])
def test_release_date_rejects_malformed_periods(bad):
    with pytest.raises(ValueError):
        release_date(bad)
