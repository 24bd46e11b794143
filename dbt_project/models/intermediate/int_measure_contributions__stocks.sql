-- Point-in-time stocks, as at the end of each grid month P (period_end), over contracts
-- whose chain reaches a loaded arrest. A contract's status and status_date come from its
-- latest loaded row (they say when each status was reached); the arrest's state as at the
-- end of P comes from its version history.
--   active_contracts      start_date <= end of P, and not COMPLETED, FAILED or WITHDRAWN
--                         with status_date <= end of P
--   awaiting_expungement  COMPLETED with status_date <= end of P - 28 days, and the arrest
--                         as at end of P (its highest loaded version whose updated_at date
--                         is <= end of P) is not EXPUNGED. An arrest with no version yet as
--                         at end of P is not known to be expunged, so it is awaiting.
with months as (

    select period, period_end from {{ ref('int_measure_months') }}

),

contracts as (

    select *
    from {{ ref('int_contracts__chained') }}
    where is_chain_complete

),

versions as (

    select * from {{ ref('int_arrests__versions') }}
    where is_ever_in_force

),

active as (

    select months.period, contracts.*
    from contracts
    inner join months
        on contracts.start_date <= months.period_end
        and not coalesce(
            contracts.status in ('COMPLETED', 'FAILED', 'WITHDRAWN')
            and contracts.status_date <= months.period_end,
            false
        )

),

completed_28_days as (

    select months.period, months.period_end, contracts.*
    from contracts
    inner join months
        on contracts.status = 'COMPLETED'
        and contracts.status_date <= months.period_end - 28

),

awaiting as (

    select completed_28_days.*
    from completed_28_days
    left join versions
        on completed_28_days.arrest_id = versions.arrest_id
        and versions.valid_from <= completed_28_days.period_end
        and (versions.valid_to is null or completed_28_days.period_end < versions.valid_to)
    where versions.record_status is distinct from 'EXPUNGED'

)

select {{ measure_contribution('active_contracts', 'period', 'contract_ref') }}
from active

union all

select {{ measure_contribution('awaiting_expungement', 'period', 'contract_ref') }}
from awaiting
