-- Sessions with the chain session -> contract -> custody -> arrest followed. A session
-- whose contract is not loaded (or whose contract's chain is broken) is held back.
with sessions as (

    select * from {{ ref('stg_programme__sessions') }}

),

contracts as (

    select * from {{ ref('int_contracts__chained') }}

)

select
    sessions.session_key,
    sessions.contract_ref,
    contracts.custody_ref,
    contracts.arrest_id,
    sessions.session_date,
    sessions.session_type,
    sessions.attendance,
    sessions.hours,
    sessions.first_recorded_month,
    sessions.is_recorded_late,
    contracts.contract_ref is not null                 as contract_found,
    coalesce(contracts.is_chain_complete, false)       as is_chain_complete,
    sessions.source_month,
    sessions.delivery_version,
    sessions.file_name
from sessions
left join contracts
    on sessions.contract_ref = contracts.contract_ref
