-- Custody measures, by the month of booked_in, over custody records whose chain reaches a
-- loaded arrest:
--   assessed_eligible   checkpoint_eligible = Y
--   offers_made         checkpoint_offered = Y
--   offers_accepted     offer_response = ACCEPTED
--   acceptance_rate     numerator offers_accepted, denominator offers_made
with custody as (

    select *
    from {{ ref('int_custody_records__chained') }}
    where is_chain_complete

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
