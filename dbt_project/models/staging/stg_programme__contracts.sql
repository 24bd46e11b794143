-- One row per contract: its row in the latest workbook that loaded it, i.e. the greatest
-- (source_month, delivery_version). Every workbook is a whole snapshot, so a contract
-- missing from a later snapshot keeps its last loaded row (ingest reports it). Raw holds a
-- contract's latest row and the rows where its values changed (ingest folds the rest).
with source as (

    select * from {{ source('raw', 'programme_contracts') }}

),

latest as (

    -- The latest row per contract, as one grouping: a window would sort every stored row
    -- by contract (four times slower on a year when raw kept every snapshot).
    select
        contract_ref,
        arg_max(source, (source_month, delivery_version, "row_number")) as row
    from source
    group by contract_ref

)

select
    cast(contract_ref as varchar)           as contract_ref,
    cast(row.custody_ref as varchar)        as custody_ref,
    cast(row.start_date as date)            as start_date,
    cast(row.planned_end_date as date)      as planned_end_date,
    cast(row.status as varchar)             as status,
    cast(row.status_date as date)           as status_date,
    cast(row.failure_reason as varchar)     as failure_reason,
    cast(row.delivery_sha256 as varchar)    as delivery_sha256,
    cast(row.source_month as varchar)       as source_month,
    cast(row.delivery_version as integer)   as delivery_version,
    cast(row.file_name as varchar)          as file_name,
    cast(row."row_number" as integer)       as source_row_number
from latest
