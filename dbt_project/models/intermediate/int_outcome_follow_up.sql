-- Each cohort member followed up for each horizon h of ref_outcome_measures (12 and 24
-- months), outcomes.md section 3:
--   window            the day after D to D + h months (same day of the month, clamped to
--                     the last day of a shorter month, as planned_end_date is)
--   later arrest      any loaded arrest of the same person in its current state, whatever
--                     its record_status (an arrest later expunged still happened), other
--                     than the index arrest, whose arrest date lies in the window
--   re-arrested       at least one later arrest
--   reoffended        at least one later arrest whose current outcome counts as reoffending
--                     (ref_outcome_types: 1, 3, 8) with outcome_date on or before
--                     (D + h months) + 6 months, each step clamped
-- Whether the follow-up has been delivered yet is decided downstream (the cohort month
-- must be old enough); here every member has every horizon.
with members as (

    select * from {{ ref('int_outcome_cohort_members') }}

),

horizons as (

    select distinct horizon_months
    from {{ ref('ref_outcome_measures') }}
    where horizon_months is not null

),

arrests as (

    select * from {{ ref('int_arrests__current') }}

),

reoffending_outcomes as (

    select outcome_code
    from {{ ref('ref_outcome_types') }}
    where counts_as_reoffending

),

windows as (

    -- DuckDB's date + interval clamps to the month's last day (2024-01-31 + 1 month is
    -- 2024-02-29), which is the contract's rule; the six months are added as a second step.
    select
        members.*,
        horizons.horizon_months,
        cast(members.index_date + to_months(horizons.horizon_months) as date)       as window_end,
        cast(cast(members.index_date + to_months(horizons.horizon_months) as date)
             + to_months(6) as date)                                                as outcome_deadline
    from members
    cross join horizons

),

later_arrests as (

    select
        windows.cohort,
        windows.member_key,
        windows.horizon_months,
        arrests.arrest_date,
        arrests.outcome_code in (select outcome_code from reoffending_outcomes)
            and arrests.outcome_date <= windows.outcome_deadline                    as is_reoffence
    from windows
    inner join arrests
        on arrests.person_pseudonym = windows.person_pseudonym
        and arrests.arrest_id <> windows.index_arrest_id
        and arrests.arrest_date > windows.index_date
        and arrests.arrest_date <= windows.window_end

),

summarised as (

    select
        cohort,
        member_key,
        horizon_months,
        count(*)                                     as later_arrests,
        min(arrest_date)                             as first_later_arrest_date,
        coalesce(bool_or(is_reoffence), false)       as is_reoffended
    from later_arrests
    group by cohort, member_key, horizon_months

)

select
    windows.cohort,
    windows.member_key,
    windows.contract_ref,
    windows.custody_ref,
    windows.index_arrest_id,
    windows.index_date,
    windows.cohort_month,
    windows.person_pseudonym,
    windows.sex,
    windows.age_band,
    windows.ethnicity_group,
    windows.drug_class_category,
    windows.contract_status,
    windows.horizon_months,
    windows.window_end,
    windows.outcome_deadline,
    coalesce(summarised.later_arrests, 0)                        as later_arrests,
    coalesce(summarised.later_arrests, 0) > 0                    as is_rearrested,
    coalesce(summarised.is_reoffended, false)                    as is_reoffended,
    date_diff('day', windows.index_date, summarised.first_later_arrest_date)
                                                                 as days_to_first_later_arrest
from windows
left join summarised
    on windows.cohort = summarised.cohort
    and windows.member_key = summarised.member_key
    and windows.horizon_months = summarised.horizon_months
