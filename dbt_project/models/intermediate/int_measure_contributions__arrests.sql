-- RMS flow measures, from each arrest's current state:
--   arrests_in_scope            arrest_datetime in P; offence group in scope on the arrest
--                               date and age >= 18
--   records_expunged            expunged_date in P; current record_status = EXPUNGED
--   median_days_to_expungement  those expunged arrests that have a COMPLETED contract
--                               leading to them: expunged_date - status_date of the
--                               latest such contract (an expunged arrest without one counts
--                               in records_expunged but not here)
with arrests as (

    select * from {{ ref('int_arrests__current') }}

),

completed_contracts as (

    select *
    from {{ ref('int_contracts__chained') }}
    where is_chain_complete
        and status = 'COMPLETED'

),

latest_completion as (

    select
        arrest_id,
        max(status_date) as completed_status_date
    from completed_contracts
    group by arrest_id

),

expunged as (

    select
        arrests.*,
        latest_completion.completed_status_date
    from arrests
    left join latest_completion
        on arrests.arrest_id = latest_completion.arrest_id
    where arrests.record_status = 'EXPUNGED'
        and arrests.expunged_date is not null

)

select {{ measure_contribution('arrests_in_scope', period_of('arrest_date'), 'arrest_id') }}
from arrests
where is_in_scope

union all

select {{ measure_contribution('records_expunged', period_of('expunged_date'), 'arrest_id') }}
from expunged

union all

select {{ measure_contribution(
    'median_days_to_expungement', period_of('expunged_date'), 'arrest_id',
    in_numerator='null',
    measure_value="date_diff('day', completed_status_date, expunged_date)"
) }}
from expunged
where completed_status_date is not null
