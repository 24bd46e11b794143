-- The members of every diverted and declined cohort (outcomes.md section 3), one row each:
--   diverted  every contract whose chain reaches a loaded arrest (held-back contracts are
--             left out), whatever its status; index date D = start_date
--   declined  every custody record in force with offer_response = DECLINED whose arrest is
--             loaded; index date D = booked_in date
-- The index arrest is the arrest the record leads to; the person and the breakdown
-- attributes come from its current state.
with contracts as (

    select *
    from {{ ref('int_contracts__chained') }}
    where is_chain_complete

),

custody as (

    select *
    from {{ ref('int_custody_records__chained') }}
    where is_chain_complete
        and offer_response = 'DECLINED'

)

select
    'diverted'                                 as cohort,
    contract_ref                               as member_key,
    contract_ref,
    custody_ref,
    arrest_id                                  as index_arrest_id,
    start_date                                 as index_date,
    {{ period_of('start_date') }}              as cohort_month,
    person_pseudonym,
    sex,
    age_band,
    ethnicity_group,
    drug_class_category,
    status                                     as contract_status
from contracts

union all

select
    'declined'                                 as cohort,
    custody_ref                                as member_key,
    null                                       as contract_ref,
    custody_ref,
    arrest_id                                  as index_arrest_id,
    booked_in_date                             as index_date,
    {{ period_of('booked_in_date') }}          as cohort_month,
    person_pseudonym,
    sex,
    age_band,
    ethnicity_group,
    drug_class_category,
    null                                       as contract_status
from custody
