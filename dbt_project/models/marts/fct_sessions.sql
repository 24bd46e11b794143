-- One row per session identity (contract_ref, session_date, session_type) whose chain
-- reaches a loaded arrest, described by its latest loaded row. Built for the changed
-- contracts' sessions only when it can be (macros/incremental.sql).
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail',
          pre_hook="{{ delete_changed_keys('contract_ref', ref('int_changes__sessions')) }}") }}
-- depends_on: {{ ref('int_changes__sessions') }}
select
    cast(session_key as varchar)                        as session_key,
    cast(contract_ref as varchar)                       as contract_ref,
    cast(arrest_id as varchar)                          as arrest_id,
    cast(session_date as date)                          as session_date,
    cast({{ period_of('session_date') }} as varchar)    as session_month,
    cast(session_type as varchar)                       as session_type,
    cast(attendance as varchar)                         as attendance,
    cast(hours as double)                               as hours,
    cast(first_recorded_month as varchar)               as first_recorded_month,
    cast(is_recorded_late as boolean)                   as is_recorded_late,
    cast(source_month as varchar)                       as source_month,
    cast(delivery_version as integer)                   as delivery_version,
    cast(file_name as varchar)                          as file_name
from {{ ref('int_sessions__chained') }}
where is_chain_complete
    and {{ is_changed_key('contract_ref', ref('int_changes__sessions')) }}
