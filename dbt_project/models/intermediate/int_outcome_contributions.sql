-- One row per (outcome measure, record period, counted record), outcomes.md sections 1-3,
-- with the breakdown attributes under the breakdowns' names. The record period is the
-- month of the date that places the record (booked_in, status_date, or the cohort month);
-- outcome_measure_cells pools the 12 months of a rolling window.
--   acceptance_rate_12m  custody records: numerator ACCEPTED, denominator offered
--   completion_rate_12m  contracts COMPLETED or FAILED (by status_date): numerator COMPLETED
--   offer_rri_12m        custody records eligible (n), of whom offered (a)
--   acceptance_rri_12m   custody records offered (n), of whom ACCEPTED (a)
--   completion_rri_12m   contracts COMPLETED or FAILED (n), of whom COMPLETED (a)
--   cohort counts        every member of the diverted / declined cohort
--   cohort rates         every member (denominator), re-arrested or reoffended within h
--                        (numerator), from int_outcome_follow_up
-- Only records whose chain reaches a loaded arrest appear.
with custody as (

    select *
    from {{ ref('int_custody_records__chained') }}
    where is_chain_complete

),

contracts as (

    select *
    from {{ ref('int_contracts__chained') }}
    where is_chain_complete

),

members as (

    select * from {{ ref('int_outcome_cohort_members') }}

),

follow_up as (

    select * from {{ ref('int_outcome_follow_up') }}

),

cohort_measures as (

    select * from {{ ref('ref_outcome_measures') }}
    where family in ('diverted', 'declined')

)

select {{ outcome_contribution("'acceptance_rate_12m'", period_of('booked_in_date'), 'custody_ref',
    "offer_response = 'ACCEPTED'", "checkpoint_offered = 'Y'") }}
from custody
where checkpoint_offered = 'Y' or offer_response = 'ACCEPTED'

union all

select {{ outcome_contribution("'completion_rate_12m'", period_of('status_date'), 'contract_ref',
    "status = 'COMPLETED'", 'true') }}
from contracts
where status in ('COMPLETED', 'FAILED')

union all

select {{ outcome_contribution("'offer_rri_12m'", period_of('booked_in_date'), 'custody_ref',
    "checkpoint_offered = 'Y'", 'true') }}
from custody
where checkpoint_eligible = 'Y'

union all

select {{ outcome_contribution("'acceptance_rri_12m'", period_of('booked_in_date'), 'custody_ref',
    "offer_response = 'ACCEPTED'", 'true') }}
from custody
where checkpoint_offered = 'Y'

union all

select {{ outcome_contribution("'completion_rri_12m'", period_of('status_date'), 'contract_ref',
    "status = 'COMPLETED'", 'true') }}
from contracts
where status in ('COMPLETED', 'FAILED')

union all

select {{ outcome_contribution('cohort_measures.measure', 'members.cohort_month', 'members.member_key',
    'null', 'true', 'members.contract_status') }}
from members
inner join cohort_measures
    on members.cohort = cohort_measures.family
    and cohort_measures.unit = 'count'

union all

select {{ outcome_contribution('cohort_measures.measure', 'follow_up.cohort_month', 'follow_up.member_key',
    "case cohort_measures.outcome when 'rearrest' then follow_up.is_rearrested else follow_up.is_reoffended end",
    'true', 'follow_up.contract_status') }}
from follow_up
inner join cohort_measures
    on follow_up.cohort = cohort_measures.family
    and follow_up.horizon_months = cohort_measures.horizon_months
    and cohort_measures.unit = 'rate'
