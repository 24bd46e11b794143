-- One row per session identity (contract_ref, session_date, session_type): its latest
-- loaded row, i.e. the greatest (source_month, delivery_version). A later workbook's row is a
-- correction. Staff record late, so a session may first appear in a workbook of a later
-- month than its session_date.
with source as (

    select * from {{ source('raw', 'programme_sessions') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by contract_ref, session_date, session_type
            order by source_month desc, delivery_version desc, "row_number" desc
        ) as recency_rank,
        min(source_month) over (
            partition by contract_ref, session_date, session_type
        ) as first_recorded_month
    from source

)

select
    cast(contract_ref as varchar)
        || '|' || strftime(cast(session_date as date), '%Y-%m-%d')
        || '|' || cast(session_type as varchar)      as session_key,
    cast(contract_ref as varchar)                    as contract_ref,
    cast(session_date as date)                       as session_date,
    cast(session_type as varchar)                    as session_type,
    cast(attendance as varchar)                      as attendance,
    cast(hours as double)                            as hours,
    cast(first_recorded_month as varchar)            as first_recorded_month,
    cast(first_recorded_month as varchar)
        > {{ period_of('session_date') }}            as is_recorded_late,
    cast(delivery_sha256 as varchar)                 as delivery_sha256,
    cast(source_month as varchar)                    as source_month,
    cast(delivery_version as integer)                as delivery_version,
    cast(file_name as varchar)                       as file_name,
    cast("row_number" as integer)                    as source_row_number
from ranked
where recency_rank = 1
