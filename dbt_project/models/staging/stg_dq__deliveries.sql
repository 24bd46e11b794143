-- One row per file seen in the landing folder, typed once (publication.md). Ignored
-- non-deliveries have no source or month.
with source as (

    select * from {{ source('dq', 'deliveries') }}

)

select
    cast(source as varchar)             as source,
    cast(month as varchar)              as month,
    cast(version as integer)            as version,
    cast(file_name as varchar)          as file_name,
    cast(sha256 as varchar)             as sha256,
    cast(status as varchar)             as status,
    cast(rows_read as integer)          as rows_read,
    cast(rows_loaded as integer)        as rows_loaded,
    cast(rows_quarantined as integer)   as rows_quarantined,
    cast(rows_duplicate as integer)     as rows_duplicate,
    cast(reason as varchar)             as reason,
    cast(seen_order as integer)         as seen_order
from source
