-- One row per contract: its row in the latest workbook that loaded it, i.e. the greatest
-- (source_month, delivery_version). Every workbook is a whole snapshot, so a contract
-- missing from a later snapshot keeps its last loaded row (ingest reports it).
with source as (

    select * from {{ source('raw', 'programme_contracts') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by contract_ref
            order by source_month desc, delivery_version desc, "row_number" desc
        ) as snapshot_rank,
        count(*) over (partition by contract_ref) as snapshot_count
    from source

)

select
    cast(contract_ref as varchar)           as contract_ref,
    cast(custody_ref as varchar)            as custody_ref,
    cast(start_date as date)                as start_date,
    cast(planned_end_date as date)          as planned_end_date,
    cast(status as varchar)                 as status,
    cast(status_date as date)               as status_date,
    cast(failure_reason as varchar)         as failure_reason,
    cast(snapshot_count as integer)         as snapshot_count,
    cast(delivery_sha256 as varchar)        as delivery_sha256,
    cast(source_month as varchar)           as source_month,
    cast(delivery_version as integer)       as delivery_version,
    cast(file_name as varchar)              as file_name,
    cast("row_number" as integer)           as source_row_number
from ranked
where snapshot_rank = 1
