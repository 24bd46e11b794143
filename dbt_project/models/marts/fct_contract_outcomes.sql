-- One row per member of a diverted cohort (a contract) or a declined cohort (a custody
-- record), with its index arrest, index date, person and, for 12 and 24 months, whether it
-- was re-arrested or reoffended and the days to the first later arrest (outcomes.md
-- sections 3 and 5). An outcome is NULL until its follow-up has been delivered, exactly
-- when the cohort month appears for it in outcome_measures (C <= P - 12 for re-arrest
-- within 12 months, P - 18 for reoffending within 12, P - 24 and P - 30 for 24 months,
-- P the last month of monthly_measures): a flag over a window still open would read as
-- "not re-arrested" when the answer is not known yet.
{%- set horizons = [12, 24] %}
with follow_up as (

    select * from {{ ref('int_outcome_follow_up') }}

),

last_month as (

    select max(period_start) as last_start from {{ ref('int_measure_months') }}

),

members as (

    select * from {{ ref('int_outcome_cohort_members') }}

)

select
    cast(members.cohort as varchar)                        as cohort,
    cast(members.member_key as varchar)                    as member_key,
    cast(members.contract_ref as varchar)                  as contract_ref,
    cast(members.custody_ref as varchar)                   as custody_ref,
    cast(members.cohort_month as varchar)                  as cohort_month,
    cast(members.index_arrest_id as varchar)               as index_arrest_id,
    cast(members.index_date as date)                       as index_date,
    cast(members.person_pseudonym as varchar)              as person_pseudonym,
    cast(members.sex as varchar)                           as sex,
    cast(members.age_band as varchar)                      as age_band,
    cast(members.ethnicity_group as varchar)               as ethnicity_group,
    cast(members.contract_status as varchar)               as contract_status
    {%- for h in horizons %},
    cast(f{{ h }}.window_end as date)                      as follow_up_end_{{ h }}m,
    cast(f{{ h }}.outcome_deadline as date)                as outcome_deadline_{{ h }}m,
    cast(case when cast(members.cohort_month || '-01' as date)
        <= cast(last_month.last_start - to_months({{ h }}) as date) then f{{ h }}.is_rearrested end as boolean)
                                                           as rearrested_{{ h }}m,
    cast(case when cast(members.cohort_month || '-01' as date)
        <= cast(last_month.last_start - to_months({{ h }} + 6) as date) then f{{ h }}.is_reoffended end as boolean)
                                                           as reoffended_{{ h }}m,
    cast(case when cast(members.cohort_month || '-01' as date)
        <= cast(last_month.last_start - to_months({{ h }}) as date) then f{{ h }}.days_to_first_later_arrest end as integer)
                                                           as days_to_first_later_arrest_{{ h }}m
    {%- endfor %}
from members
cross join last_month
{%- for h in horizons %}
inner join follow_up as f{{ h }}
    on members.cohort = f{{ h }}.cohort
    and members.member_key = f{{ h }}.member_key
    and f{{ h }}.horizon_months = {{ h }}
{%- endfor %}
order by cohort, cohort_month, member_key
