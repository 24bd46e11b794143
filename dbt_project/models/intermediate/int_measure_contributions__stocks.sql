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

    -- Only the arrests of completed contracts are looked up (for awaiting_expungement).
    select * from {{ ref('int_arrests__versions') }}
    where is_ever_in_force
        and arrest_id in (select arrest_id from contracts where status = 'COMPLETED')

),

-- The date from which an arrest is EXPUNGED as at every later date: the start of the run of
-- EXPUNGED versions that ends with its latest one (its in-force versions follow each other
-- without overlap). From there on a completed contract is no longer awaiting, so the months
-- after it are not joined with the versions at all: without this, every completed contract
-- met every month after its completion, and the history's length squared the work.
expunged_for_good as (

    select arrest_id, min(valid_from) as expunged_from
    from (
        select
            arrest_id,
            valid_from,
            bool_and(coalesce(record_status = 'EXPUNGED', false)) over (
                partition by arrest_id
                order by valid_from desc
                rows between unbounded preceding and current row
            ) as is_expunged_from_here_on
        from versions
    )
    where is_expunged_from_here_on
    group by arrest_id

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
    left join expunged_for_good
        on contracts.arrest_id = expunged_for_good.arrest_id
    inner join months
        on contracts.status = 'COMPLETED'
        and contracts.status_date <= months.period_end - 28
        and (expunged_for_good.expunged_from is null or months.period_end < expunged_for_good.expunged_from)

),

-- Awaiting unless the arrest's version as at end of P is EXPUNGED (no two in-force versions
-- of an arrest cover the same date).
awaiting as (

    select completed_28_days.*
    from completed_28_days
    where not exists (
        select 1
        from versions
        where versions.record_status = 'EXPUNGED'
            and versions.arrest_id = completed_28_days.arrest_id
            and versions.valid_from <= completed_28_days.period_end
            and (versions.valid_to is null or completed_28_days.period_end < versions.valid_to)
    )

)

select {{ measure_contribution('active_contracts', 'period', 'contract_ref') }}
from active

union all

select {{ measure_contribution('awaiting_expungement', 'period', 'contract_ref') }}
from awaiting
