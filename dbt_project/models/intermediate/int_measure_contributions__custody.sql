-- Custody measures, by the month of booked_in, over custody records whose chain reaches a
-- loaded arrest:
--   assessed_eligible   checkpoint_eligible = Y
--   offers_made         checkpoint_offered = Y
--   offers_accepted     offer_response = ACCEPTED
--   acceptance_rate     numerator offers_accepted, denominator offers_made
-- A record's contributions come from its chained row alone, which is rebuilt for the keys of
-- int_changes__custody_records: built for those records only when it can be
-- (macros/incremental.sql), not over every custody record of the history.
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail',
          pre_hook="{{ delete_changed_keys('record_key', ref('int_changes__custody_records'), 'custody_ref') }}") }}
-- depends_on: {{ ref('int_changes__custody_records') }}
with custody as (

    select *
    from {{ ref('int_custody_records__chained') }}
    where is_chain_complete
        and {{ is_changed_key('custody_ref', ref('int_changes__custody_records')) }}

)

select {{ measure_contribution('assessed_eligible', period_of('booked_in_date'), 'custody_ref') }}
from custody
where checkpoint_eligible = 'Y'

union all

select {{ measure_contribution('offers_made', period_of('booked_in_date'), 'custody_ref') }}
from custody
where checkpoint_offered = 'Y'

union all

select {{ measure_contribution('offers_accepted', period_of('booked_in_date'), 'custody_ref') }}
from custody
where offer_response = 'ACCEPTED'

union all

select {{ measure_contribution(
    'acceptance_rate', period_of('booked_in_date'), 'custody_ref',
    in_numerator="offer_response = 'ACCEPTED'",
    in_denominator="checkpoint_offered = 'Y'"
) }}
from custody
where checkpoint_offered = 'Y' or offer_response = 'ACCEPTED'
