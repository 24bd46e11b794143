-- Programme flow measures, over contracts whose chain reaches a loaded arrest, each
-- described by its latest loaded row:
--   diversions_started      start_date in P; every contract
--   contracts_completed     status_date in P; status = COMPLETED
--   contracts_failed        status_date in P; status = FAILED
--   completion_rate         status_date in P; numerator COMPLETED, denominator COMPLETED or
--                           FAILED (WITHDRAWN counts in neither)
--   cohort_completion_rate  start_date in P (the cohort); numerator now COMPLETED,
--                           denominator every contract of the cohort; is_active flags the
--                           cohort's ACTIVE contracts (the cell is then provisional)
with contracts as (

    select *
    from {{ ref('int_contracts__chained') }}
    where is_chain_complete

)

select {{ measure_contribution('diversions_started', period_of('start_date'), 'contract_ref') }}
from contracts

union all

select {{ measure_contribution('contracts_completed', period_of('status_date'), 'contract_ref') }}
from contracts
where status = 'COMPLETED'

union all

select {{ measure_contribution('contracts_failed', period_of('status_date'), 'contract_ref') }}
from contracts
where status = 'FAILED'

union all

select {{ measure_contribution(
    'completion_rate', period_of('status_date'), 'contract_ref',
    in_numerator="status = 'COMPLETED'",
    in_denominator='true'
) }}
from contracts
where status in ('COMPLETED', 'FAILED')

union all

select {{ measure_contribution(
    'cohort_completion_rate', period_of('start_date'), 'contract_ref',
    in_numerator="status = 'COMPLETED'",
    in_denominator='true',
    is_active="status = 'ACTIVE'"
) }}
from contracts
