-- Sessions with the chain session -> contract -> custody -> arrest followed. A session
-- whose contract is not loaded (or whose contract's chain is broken) is held back. Built
-- for the changed contracts' sessions only when it can be (macros/incremental.sql).
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail',
          pre_hook="{{ delete_changed_keys('contract_ref', ref('int_changes__sessions')) }}") }}
-- depends_on: {{ ref('int_changes__sessions') }}
with sessions as (

    select * from {{ ref('stg_programme__sessions') }}
    where {{ is_changed_key('contract_ref', ref('int_changes__sessions')) }}

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
    sessions.file_name,
    sessions.delivery_sha256
from sessions
left join contracts
    on sessions.contract_ref = contracts.contract_ref
